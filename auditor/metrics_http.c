/* The /metrics endpoint (see auditor/metrics_http.h for why it is shaped this way). */
#include "auditor/metrics_http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bpf/bpfmon.h"
#include "common/error.h"
#include "common/http.h"
#include "common/net.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "reports/metrics.h"

#define MAX_REQUEST 8192
#define READ_TIMEOUT_MS 5000
#define WRITE_TIMEOUT_MS 10000

struct kc_metrics_server {
	int listen_fd;
	int stop_pipe[2];
	int port;
	struct kc_store *st;      /* the server's own connection */
	pthread_t thread;
	int started;
	atomic_ulong requests;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes; 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 0;
	}
}

static void send_all(int fd, const char *data, size_t len)
{
	long long deadline = now_ms() + WRITE_TIMEOUT_MS;
	while (len > 0) {
		if (!wait_fd(fd, POLLOUT, deadline))
			return;
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

static void respond(int fd, int code, const char *ctype, const char *extra, const char *body, size_t len,
		    int head_only)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
		      code, kc_http_reason_phrase(code), ctype, len, extra ? extra : "");
	if (!head_only)
		kc_buf_add(&b, body, len);
	send_all(fd, b.ptr, b.len);
	kc_buf_clear(&b);
}

static void respond_text(int fd, int code, const char *extra, const char *text)
{
	respond(fd, code, "text/plain; charset=utf-8", extra, text, strlen(text), 0);
}

/* Reads the request head into b and parses it with the audit webhook's parser
 * (common/http.h), so one parser (and one fuzz target) serves both servers. 0 with r
 * filled; the status to answer; or -1 when the client went away. */
static int read_head(int fd, struct kc_buf *b, struct kc_http_request *r)
{
	long long deadline = now_ms() + READ_TIMEOUT_MS;
	char chunk[1024];
	for (;;) {
		long n = kc_http_request_parse(b->ptr ? b->ptr : "", b->len, MAX_REQUEST, r);
		if (n > 0)
			return 0;
		if (n < 0)
			return r->status;
		if (!wait_fd(fd, POLLIN, deadline))
			return 408;
		/* the parser refuses a head of MAX_REQUEST bytes, so want > 0 */
		size_t want = MAX_REQUEST - b->len < sizeof(chunk) ? MAX_REQUEST - b->len : sizeof(chunk);
		ssize_t got = recv(fd, chunk, want, 0);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return -1;
		kc_buf_add(b, chunk, (size_t)got);
	}
}

static void serve(struct kc_metrics_server *srv, int fd)
{
	struct kc_buf req = KC_BUF_INIT, body = KC_BUF_INIT;
	struct kc_http_request r;
	int bad = read_head(fd, &req, &r);
	if (bad) {
		if (bad > 0) {
			struct kc_buf why = KC_BUF_INIT;
			kc_buf_printf(&why, "%s\n", bad == 408 ? "request timeout" : r.reason);
			respond_text(fd, bad, NULL, why.ptr);
			kc_buf_clear(&why);
		}
		goto out;
	}
	int head = strcmp(r.method, "HEAD") == 0;
	if (strcmp(r.path, "/metrics") != 0) {
		respond_text(fd, 404, NULL, "not found: try /metrics\n");
	} else if (!head && strcmp(r.method, "GET") != 0) {
		respond_text(fd, 405, "Allow: GET, HEAD\r\n", "only GET and HEAD\n");
	} else if (kc_metrics_render(NULL, srv->st, &body) < 0) {
		kc_log(KC_LOG_WARN, "metrics: %s", kc_error_last());
		respond_text(fd, 500, NULL, "metrics unavailable: the evidence store could not be read\n");
	} else {
		kc_bpfmon_metrics(&body); /* in-memory: a full disk is not in the store */
		respond(fd, 200, KC_METRICS_CONTENT_TYPE, NULL, body.ptr, body.len, head);
	}
out:
	atomic_fetch_add(&srv->requests, 1);
	kc_buf_clear(&req);
	kc_buf_clear(&body);
}

static void *server_main(void *arg)
{
	struct kc_metrics_server *srv = arg;
	for (;;) {
		struct pollfd p[2] = { { .fd = srv->listen_fd, .events = POLLIN }, { .fd = srv->stop_pipe[0], .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			kc_log(KC_LOG_ERROR, "metrics server: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue; /* the client went away, or EMFILE: the next poll retries */
		serve(srv, fd);
		close(fd);
	}
	return NULL;
}

int kc_metrics_server_start(const char *addr, struct kc_store *st, struct kc_metrics_server **out)
{
	*out = NULL;
	struct kc_metrics_server *srv = kc_xcalloc(1, sizeof(*srv));
	srv->listen_fd = srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
	int rc = kc_net_listen(addr, "--metrics-addr", &srv->listen_fd, &srv->port);
	if (rc < 0)
		goto fail;
	if (pipe2(srv->stop_pipe, O_CLOEXEC) != 0) {
		rc = kc_error_set_errno(errno, "metrics server: pipe");
		goto fail;
	}
	if (st && (rc = kc_store_open_again(st, KC_STORE_READ_ONLY, &srv->st)) < 0) {
		kc_error_wrap(rc, "metrics server: ");
		goto fail;
	}
	if ((rc = pthread_create(&srv->thread, NULL, server_main, srv)) != 0) {
		rc = kc_error_set_errno(rc, "metrics server: cannot start its thread");
		goto fail;
	}
	srv->started = 1;
	*out = srv;
	return 0;
fail:
	kc_metrics_server_stop(srv);
	return rc;
}

void kc_metrics_server_stop(struct kc_metrics_server *srv)
{
	if (!srv)
		return;
	if (srv->started) {
		ssize_t n;
		do
			n = write(srv->stop_pipe[1], "x", 1);
		while (n < 0 && errno == EINTR);
		pthread_join(srv->thread, NULL);
	}
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	for (int i = 0; i < 2; i++)
		if (srv->stop_pipe[i] >= 0)
			close(srv->stop_pipe[i]);
	kc_store_free(srv->st);
	free(srv);
}

int kc_metrics_server_port(const struct kc_metrics_server *srv) { return srv->port; }

unsigned long kc_metrics_server_requests(const struct kc_metrics_server *srv)
{
	return atomic_load(&((struct kc_metrics_server *)srv)->requests);
}
