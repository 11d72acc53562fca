#include "checks/flags.h"

#include <stdlib.h>
#include <string.h>

#include "common/redact.h"
#include "common/strbuf.h"


/* pflag booleans never take the next word as their value ("--profiling false" leaves
 * "false" positional); these are the booleans of the audited components. */
static const char *const bool_flags[] = {
	"anonymous-auth", "profiling", "client-cert-auth", "peer-client-cert-auth", "auto-tls",
	"peer-auto-tls", "service-account-lookup", "rotate-certificates", "make-iptables-util-chains",
	"protect-kernel-defaults", "use-service-account-credentials", "allow-privileged",
	"enable-bootstrap-token-auth", "service-account-extend-token-expiration", "seccomp-default",
	"leader-elect", "enable-admission-plugins-default", "insecure-skip-tls-verify", "logtostderr",
	"alsologtostderr", "enable-debugging-handlers", "fail-swap-on", "serialize-image-pulls",
	"enable-v2", "enable-pprof", "strict-reconfig-check", "enable-aggregator-routing",
	"enable-priority-and-fairness", "allow-metric-labels", "enable-garbage-collector",
	"authorization-always-allow-paths-enabled", "cgroups-per-qos", "enforce-node-allocatable-default",
	"experimental-initial-corrupt-check", "enable-server", "hairpin-mode-default",
};

static int is_bool_flag(const char *name)
{
	for (size_t i = 0; i < sizeof(bool_flags) / sizeof(*bool_flags); i++)
		if (strcmp(name, bool_flags[i]) == 0)
			return 1;
	return 0;
}

int kc_flag_is_secret(const char *name)
{
	/* by rule, not by list: a list missed --registry-password, --api-token, --static-token */
	return kc_redact_key_is_secret(name);
}

void kc_flags_add(struct kc_flags *f, const char *name, const char *value, int index)
{
	f->items = kc_array_grow(f->items, &f->cap, f->n + 1, sizeof(*f->items));
	struct kc_flag *fl = &f->items[f->n++];
	fl->name = kc_strdup(name);
	fl->value = kc_strdup(value);
	fl->index = index;
}

void kc_flags_parse(struct kc_flags *out, int argc, char *const argv[])
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break; /* pflag: the rest are positional */
		if (a[0] != '-' || a[1] == '\0')
			continue; /* positional argument */
		const char *name = a + (a[1] == '-' ? 2 : 1);
		if (!*name)
			continue;
		const char *eq = strchr(name, '=');
		if (eq) {
			char *n = kc_strndup(name, (size_t)(eq - name));
			kc_flags_add(out, n, eq + 1, i);
			free(n);
			continue;
		}
		/* "--flag value": pflag takes the next word unless the flag is a boolean; for
		 * flags we do not know, a next word starting with '-' is taken as another flag */
		if (i + 1 < argc && argv[i + 1][0] != '-' && !is_bool_flag(name)) {
			kc_flags_add(out, name, argv[i + 1], i);
			i++;
		} else {
			kc_flags_add(out, name, NULL, i);
		}
	}
}

void kc_flags_parse_cmdline(struct kc_flags *out, const char *buf, size_t len)
{
	char **argv = NULL;
	size_t cap = 0, argc = 0;
	/* arguments are NUL-terminated; a missing final NUL (truncated read) still ends one */
	for (size_t start = 0; start < len;) {
		const char *nul = memchr(buf + start, '\0', len - start);
		size_t end = nul ? (size_t)(nul - buf) : len;
		argv = kc_array_grow(argv, &cap, argc + 1, sizeof(*argv));
		argv[argc++] = kc_strndup(buf + start, end - start);
		start = end + 1;
	}
	kc_flags_parse(out, (int)argc, argv);
	for (size_t i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

const struct kc_flag *kc_flags_get(const struct kc_flags *f, const char *name)
{
	while (*name == '-')
		name++;
	for (size_t i = f->n; i-- > 0;)
		if (strcmp(f->items[i].name, name) == 0)
			return &f->items[i];
	return NULL;
}

const char *kc_flags_value(const struct kc_flags *f, const char *name)
{
	const struct kc_flag *fl = kc_flags_get(f, name);
	if (!fl)
		return NULL;
	return fl->value ? fl->value : "true";
}

void kc_flags_free(struct kc_flags *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].name);
		free(f->items[i].value);
	}
	free(f->items);
	memset(f, 0, sizeof(*f));
}
