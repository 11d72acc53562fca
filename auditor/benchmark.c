#include "auditor/benchmark.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "auditor/cli.h"
#include "common/error.h"
#include "common/strbuf.h"

char *kc_benchmark_resolve(const char *name, struct kc_node *node, const char *k8s_version, const char **why)
{
	(void)node;
	(void)k8s_version;
	if (name && *name && strcmp(name, "auto") != 0) {
		*why = "given with --benchmark";
		return kc_strdup(name);
	}
	*why = "the newest benchmark (no version detected)";
	return kc_strdup(KC_DEFAULT_BENCHMARK);
}

/* Benchmark names become directory names: letters, digits, '.', '-', '_' only. */
static int valid_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

int kc_benchmark_load(const char *name, const char *extra_dir, struct kc_policy_set *out)
{
	if (!valid_name(name))
		return kc_error_set(KC_EINVAL, "--benchmark '%s': a name of letters, digits, '.', '-' and '_' expected", name);
	struct kc_buf dir = KC_BUF_INIT;
	kc_buf_printf(&dir, "%s/%s", kc_cli_policy_root(), name);
	struct stat st;
	int rc = 0;
	if (stat(dir.ptr, &st) == 0 && S_ISDIR(st.st_mode))
		rc = kc_policy_load_dir(out, dir.ptr);
	else if (!extra_dir)
		rc = kc_error_set(KC_ENOTFOUND, "benchmark '%s' not found (no directory %s); 'kubecomply checks --help' "
				  "lists where policies are looked up", name, dir.ptr);
	if (rc == 0 && extra_dir)
		rc = kc_policy_load_dir(out, extra_dir);
	kc_buf_free(&dir);
	return rc;
}
