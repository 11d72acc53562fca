/* Listening sockets for the servers kubecomply runs (audit webhook, metrics). */
#include "common/net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"

/* Splits "host:port", "[v6]:port", ":port" into host (NULL = any) and port. */
static int split_addr(const char *addr, const char *what, char **host, char **port)
{
	*host = *port = NULL;
	const char *colon;
	if (addr && addr[0] == '[') {
		const char *close_br = strchr(addr, ']');
		if (!close_br || close_br[1] != ':')
			goto bad;
		*host = kc_strndup(addr + 1, (size_t)(close_br - addr - 1));
		colon = close_br + 1;
	} else {
		colon = addr ? strrchr(addr, ':') : NULL;
		if (!colon)
			goto bad;
		if (colon != addr)
			*host = kc_strndup(addr, (size_t)(colon - addr));
	}
	if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) || strlen(colon + 1) > 5)
		goto bad;
	*port = kc_strdup(colon + 1);
	return 0;
bad:
	free(*host);
	*host = NULL;
	return kc_error_set(KC_EINVAL, "%s: expected HOST:PORT, [IPv6]:PORT or :PORT, not '%s'", what,
			    addr ? addr : "");
}

int kc_net_listen(const char *addr, const char *what, int *fd_out, int *port_out)
{
	char *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	int fd = -1, rc = split_addr(addr, what, &host, &port);
	if (rc < 0)
		return rc;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		rc = kc_error_set(KC_EINVAL, "%s %s: %s", what, addr, gai_strerror(gai));
		goto out;
	}
	int err = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		rc = kc_error_set_errno(err, "%s %s: cannot listen", what, addr);
		goto out;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port_out = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
out:
	if (res)
		freeaddrinfo(res);
	free(host);
	free(port);
	return rc;
}

