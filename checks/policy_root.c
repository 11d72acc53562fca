#include "checks/policy_root.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"

#ifndef KC_PREFIX
#define KC_PREFIX "/usr/local"
#endif

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *kc_policy_root(void)
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
