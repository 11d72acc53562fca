#include "checks/flags.h"

#include <stdlib.h>
#include <string.h>

#include "common/redact.h"
#include "common/strbuf.h"


struct flag_type {
	const char *name;
	enum kc_flag_kind kind;
};

/* Flag types per component, from each component's options code (docs/node-checks.md cites
 * the file of each). Only flags whose type changes how the command line reads are listed:
 * booleans (they never take the next word), slices, arrays and maps (repeats combine). */
#define END { NULL, KC_FLAG_SCALAR }
static const struct flag_type apiserver_flags[] = {
	/* k8s.io/apiserver/pkg/server/options/admission.go AdmissionOptions.AddFlags */
	{ "enable-admission-plugins", KC_FLAG_SLICE }, { "disable-admission-plugins", KC_FLAG_SLICE },
	{ "admission-control", KC_FLAG_SLICE },
	/* pkg/kubeapiserver/options/authorization.go BuiltInAuthorizationOptions.AddFlags */
	{ "authorization-mode", KC_FLAG_SLICE },
	/* k8s.io/apiserver/pkg/server/options/serving.go SecureServingOptions.AddFlags */
	{ "tls-cipher-suites", KC_FLAG_SLICE },
	/* pkg/kubeapiserver/options/authentication.go BuiltInAuthenticationOptions.AddFlags */
	{ "service-account-key-file", KC_FLAG_ARRAY }, { "service-account-issuer", KC_FLAG_ARRAY },
	{ "api-audiences", KC_FLAG_SLICE }, { "anonymous-auth", KC_FLAG_BOOL },
	{ "enable-bootstrap-token-auth", KC_FLAG_BOOL }, { "service-account-lookup", KC_FLAG_BOOL },
	{ "service-account-extend-token-expiration", KC_FLAG_BOOL },
	/* k8s.io/apiserver/pkg/server/options/etcd.go, feature.go, audit.go, cmd/kube-apiserver options */
	{ "etcd-servers", KC_FLAG_SLICE }, { "profiling", KC_FLAG_BOOL }, { "contention-profiling", KC_FLAG_BOOL },
	{ "allow-privileged", KC_FLAG_BOOL }, { "enable-aggregator-routing", KC_FLAG_BOOL },
	{ "enable-priority-and-fairness", KC_FLAG_BOOL }, { "kubelet-preferred-address-types", KC_FLAG_SLICE },
	{ "cors-allowed-origins", KC_FLAG_SLICE }, { "enable-garbage-collector", KC_FLAG_BOOL },
	{ "requestheader-allowed-names", KC_FLAG_SLICE }, { "requestheader-username-headers", KC_FLAG_SLICE },
	{ "requestheader-group-headers", KC_FLAG_SLICE }, { "requestheader-extra-headers-prefix", KC_FLAG_SLICE },
	{ "audit-log-compress", KC_FLAG_BOOL }, { "enable-logs-handler", KC_FLAG_BOOL },
	/* component-base/featuregate feature_gate.go AddFlag; apiserver api_enablement.go
	 * (runtime-config is a cliflag.ConfigurationMap) */
	{ "feature-gates", KC_FLAG_MAP }, { "runtime-config", KC_FLAG_MAP },
	END,
};
static const struct flag_type kubelet_flags[] = {
	/* cmd/kubelet/app/options/options.go AddKubeletConfigFlags / KubeletFlags.AddFlags */
	{ "tls-cipher-suites", KC_FLAG_SLICE }, { "feature-gates", KC_FLAG_MAP },
	{ "anonymous-auth", KC_FLAG_BOOL }, { "authentication-token-webhook", KC_FLAG_BOOL },
	{ "rotate-certificates", KC_FLAG_BOOL }, { "rotate-server-certificates", KC_FLAG_BOOL },
	{ "protect-kernel-defaults", KC_FLAG_BOOL }, { "make-iptables-util-chains", KC_FLAG_BOOL },
	{ "seccomp-default", KC_FLAG_BOOL }, { "fail-swap-on", KC_FLAG_BOOL },
	{ "serialize-image-pulls", KC_FLAG_BOOL }, { "enable-debugging-handlers", KC_FLAG_BOOL },
	{ "cgroups-per-qos", KC_FLAG_BOOL }, { "enable-server", KC_FLAG_BOOL },
	{ "enable-controller-attach-detach", KC_FLAG_BOOL }, { "register-node", KC_FLAG_BOOL },
	{ "enforce-node-allocatable", KC_FLAG_SLICE }, { "register-with-taints", KC_FLAG_SLICE },
	{ "node-labels", KC_FLAG_MAP }, { "eviction-hard", KC_FLAG_MAP },
	END,
};
static const struct flag_type controller_manager_flags[] = {
	/* cmd/kube-controller-manager/app/options (GenericControllerManagerConfigurationOptions,
	 * ServiceAccountControllerOptions), k8s.io/component-base/config/options leaderelection */
	{ "controllers", KC_FLAG_SLICE }, { "feature-gates", KC_FLAG_MAP }, { "profiling", KC_FLAG_BOOL },
	{ "use-service-account-credentials", KC_FLAG_BOOL }, { "leader-elect", KC_FLAG_BOOL },
	{ "enable-garbage-collector", KC_FLAG_BOOL }, { "contention-profiling", KC_FLAG_BOOL },
	{ "tls-cipher-suites", KC_FLAG_SLICE },
	END,
};
static const struct flag_type scheduler_flags[] = {
	/* cmd/kube-scheduler/app/options/deprecated.go, insecure_serving.go; leaderelection */
	{ "feature-gates", KC_FLAG_MAP }, { "profiling", KC_FLAG_BOOL }, { "leader-elect", KC_FLAG_BOOL },
	{ "contention-profiling", KC_FLAG_BOOL }, { "tls-cipher-suites", KC_FLAG_SLICE },
	END,
};
static const struct flag_type proxy_flags[] = {
	/* cmd/kube-proxy/app/options.go Options.addFlags */
	{ "feature-gates", KC_FLAG_MAP }, { "profiling", KC_FLAG_BOOL }, { "masquerade-all", KC_FLAG_BOOL },
	{ "cleanup", KC_FLAG_BOOL }, { "nodeport-addresses", KC_FLAG_SLICE },
	END,
};
static const struct flag_type etcd_flags[] = {
	/* server/etcdmain/config.go newConfig: the standard library's flag package, booleans
	 * only; cipher-suites is a plain string there (etcd splits it itself) */
	{ "client-cert-auth", KC_FLAG_BOOL }, { "peer-client-cert-auth", KC_FLAG_BOOL }, { "auto-tls", KC_FLAG_BOOL },
	{ "peer-auto-tls", KC_FLAG_BOOL }, { "enable-v2", KC_FLAG_BOOL }, { "enable-pprof", KC_FLAG_BOOL },
	{ "strict-reconfig-check", KC_FLAG_BOOL }, { "experimental-initial-corrupt-check", KC_FLAG_BOOL },
	{ "force-new-cluster", KC_FLAG_BOOL }, { "debug", KC_FLAG_BOOL },
	END,
};
/* Booleans of klog and of k8s.io/component-base shared by every Kubernetes component. */
static const struct flag_type common_flags[] = {
	{ "logtostderr", KC_FLAG_BOOL }, { "alsologtostderr", KC_FLAG_BOOL }, { "insecure-skip-tls-verify", KC_FLAG_BOOL },
	{ "authorization-always-allow-paths-enabled", KC_FLAG_BOOL }, { "allow-metric-labels", KC_FLAG_BOOL },
	END,
};

static const struct {
	const char *component;
	const struct flag_type *flags;
} tables[] = {
	{ "kube-apiserver", apiserver_flags }, { "kubelet", kubelet_flags },
	{ "kube-controller-manager", controller_manager_flags }, { "kube-scheduler", scheduler_flags },
	{ "kube-proxy", proxy_flags }, { "etcd", etcd_flags },
};

static int lookup(const struct flag_type *t, const char *name, enum kc_flag_kind *kind)
{
	for (; t->name; t++) {
		if (strcmp(t->name, name) == 0) {
			*kind = t->kind;
			return 1;
		}
	}
	return 0;
}

/* Returns 1 and the kind when the flag is known (for component, else for any component). */
static int known_kind(const char *component, const char *name, enum kc_flag_kind *kind)
{
	if (lookup(common_flags, name, kind))
		return 1;
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++)
		if (component && strcmp(component, tables[i].component) == 0)
			return lookup(tables[i].flags, name, kind);
	/* no component given: a flag typed the same way everywhere it is declared */
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++)
		if (lookup(tables[i].flags, name, kind))
			return 1;
	return 0;
}

enum kc_flag_kind kc_flag_kind(const char *component, const char *name)
{
	enum kc_flag_kind k = KC_FLAG_SCALAR;
	known_kind(component, name, &k);
	return k;
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
	fl->combined = 0;
}

/* encoding/csv's reading of one record, as pflag's readAsCSV uses it: fields split at ',',
 * a field starting with '"' is quoted ("" is a quote inside it). Appends to b joined by ','. */
static void csv_append(struct kc_buf *b, const char *v)
{
	if (!*v)
		return; /* readAsCSV("") is an empty list */
	const char *p = v;
	for (;;) {
		if (b->len)
			kc_buf_putc(b, ',');
		if (*p == '"') {
			for (p++; *p; p++) {
				if (*p == '"') {
					if (p[1] == '"') {
						kc_buf_putc(b, '"');
						p++;
						continue;
					}
					p++;
					break;
				}
				kc_buf_putc(b, *p);
			}
			while (*p && *p != ',')
				p++; /* csv would refuse text after a closing quote; keep what is there */
		} else {
			size_t len = strcspn(p, ",");
			kc_buf_add(b, p, len);
			p += len;
		}
		if (*p != ',')
			break;
		p++;
	}
}

/* "k=v,k2=v2" items merged into keys/vals, a later key replacing an earlier one in place. */
static void map_merge(char ***keys, char ***vals, size_t *n, size_t *cap, const char *v)
{
	for (const char *p = v; *p;) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		if (eq) {
			/* MapStringBool.Set and featuregate.Set trim spaces around key and value */
			const char *ks = p, *ke = eq, *vs = eq + 1, *ve = p + len;
			while (ks < ke && *ks == ' ')
				ks++;
			while (ke > ks && ke[-1] == ' ')
				ke--;
			while (vs < ve && *vs == ' ')
				vs++;
			while (ve > vs && ve[-1] == ' ')
				ve--;
			char *k = kc_strndup(ks, (size_t)(ke - ks));
			size_t i;
			for (i = 0; i < *n; i++)
				if (strcmp((*keys)[i], k) == 0)
					break;
			if (i == *n) {
				size_t c2 = *cap;
				*keys = kc_array_grow(*keys, cap, *n + 1, sizeof(**keys));
				*vals = kc_array_grow(*vals, &c2, *n + 1, sizeof(**vals));
				(*keys)[i] = k;
				(*vals)[i] = NULL;
				(*n)++;
			} else {
				free(k);
			}
			free((*vals)[i]);
			(*vals)[i] = kc_strndup(vs, (size_t)(ve - vs));
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

/* Adds one combined entry per repeated (or CSV-quoted) slice, array or map flag. */
static void combine(struct kc_flags *f)
{
	size_t raw = f->n;
	for (size_t i = 0; i < raw; i++) {
		enum kc_flag_kind kind;
		if (!known_kind(f->component, f->items[i].name, &kind) ||
		    (kind != KC_FLAG_SLICE && kind != KC_FLAG_ARRAY && kind != KC_FLAG_MAP))
			continue;
		const char *name = f->items[i].name;
		int seen = 0, count = 0, quoted = 0, last = 0;
		for (size_t j = 0; j < raw; j++) {
			if (strcmp(f->items[j].name, name) != 0)
				continue;
			if (j < i)
				seen = 1;
			count++;
			last = f->items[j].index;
			quoted |= f->items[j].value && strchr(f->items[j].value, '"') != NULL;
		}
		if (seen || (count == 1 && !(kind == KC_FLAG_SLICE && quoted)))
			continue; /* handled at its first occurrence, or one plain occurrence */
		struct kc_buf b = KC_BUF_INIT;
		char **keys = NULL, **vals = NULL;
		size_t nk = 0, capk = 0;
		for (size_t j = 0; j < raw; j++) {
			if (strcmp(f->items[j].name, name) != 0)
				continue;
			const char *v = f->items[j].value ? f->items[j].value : "";
			if (kind == KC_FLAG_SLICE)
				csv_append(&b, v);
			else if (kind == KC_FLAG_ARRAY)
				kc_buf_printf(&b, "%s%s", j == i ? "" : ",", v);
			else
				map_merge(&keys, &vals, &nk, &capk, v);
		}
		for (size_t k = 0; k < nk; k++) {
			kc_buf_printf(&b, "%s%s=%s", k ? "," : "", keys[k], vals[k]);
			free(keys[k]);
			free(vals[k]);
		}
		free(keys);
		free(vals);
		char *nm = kc_strdup(name); /* kc_flags_add may move items */
		kc_flags_add(f, nm, b.ptr, last);
		f->items[f->n - 1].combined = 1;
		free(nm);
		kc_buf_clear(&b);
	}
}

void kc_flags_parse(struct kc_flags *out, int argc, char *const argv[])
{
	/* etcd parses with Go's flag package, which stops at the first positional word */
	int go_flag = out->component && strcmp(out->component, "etcd") == 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break; /* pflag and flag: the rest are positional */
		if (a[0] != '-' || a[1] == '\0') {
			if (go_flag)
				break;
			continue; /* positional argument: pflag keeps parsing after it */
		}
		const char *name = a + (a[1] == '-' ? 2 : 1);
		if (!*name || *name == '-' || *name == '=') {
			if (go_flag)
				break; /* flag.go: "bad flag syntax" */
			continue;
		}
		const char *eq = strchr(name, '=');
		if (eq) {
			char *n = kc_strndup(name, (size_t)(eq - name));
			kc_flags_add(out, n, eq + 1, i);
			free(n);
			continue;
		}
		enum kc_flag_kind kind = KC_FLAG_SCALAR;
		int known = known_kind(out->component, name, &kind);
		/* "--flag value": a known non-boolean flag takes the next word whatever it is
		 * (pflag parseLongArg); a boolean never does (NoOptDefVal). For flags we do not
		 * know, a next word starting with '-' is taken as another flag. */
		if (kind != KC_FLAG_BOOL && i + 1 < argc && (known || argv[i + 1][0] != '-')) {
			kc_flags_add(out, name, argv[i + 1], i);
			i++;
		} else {
			kc_flags_add(out, name, NULL, i);
		}
	}
	combine(out);
}

void kc_flags_parse_cmdline(struct kc_flags *out, const char *buf, size_t len)
{
	size_t argc;
	char **argv = kc_split_nul(buf, len, &argc);
	kc_flags_parse(out, (int)argc, argv);
	kc_strv_free(argv, argc);
}

const struct kc_flag *kc_flags_get(const struct kc_flags *f, const char *name)
{
	while (*name == '-')
		name++;
	/* the combined entry, when there is one, follows every raw occurrence */
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

void kc_flags_clear(struct kc_flags *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].name);
		free(f->items[i].value);
	}
	free(f->items);
	memset(f, 0, sizeof(*f));
}
