#include "auditor/cli.h"

#include "common/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KC_PREFIX
#define KC_PREFIX "/usr/local"
#endif

int kc_cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "kubecomply %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return KC_EXIT_ERROR;
}

const char *kc_cli_default_db(void)
{
	if (geteuid() == 0) {
		/* the evidence holds paths and findings about the host: root-only directory */
		if (mkdir("/var/lib/kubecomply", 0700) == 0 || errno == EEXIST)
			return "/var/lib/kubecomply/kubecomply.db";
	}
	return "kubecomply.db";
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *kc_cli_policy_root(void)
{
	static struct kc_buf path = KC_BUF_INIT;
	const char *env = getenv("KUBECOMPLY_POLICIES");
	if (env && *env)
		return env;
	/* beside the binary first (build/kubecomply -> policies/), so a checkout runs as is */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			static const char *const rel[] = { "/../policies", "/../share/kubecomply/policies" };
			for (size_t i = 0; i < 2; i++) {
				kc_buf_reset(&path);
				kc_buf_printf(&path, "%s%s", exe, rel[i]);
				if (is_dir(path.ptr))
					return path.ptr;
			}
		}
	}
	if (is_dir("policies"))
		return "policies";
	return KC_PREFIX "/share/kubecomply/policies";
}
