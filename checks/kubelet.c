#include "checks/kubelet.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/error.h"
#include "common/govalue.h"
#include "common/redact.h"
#include "common/strbuf.h"

/* kubeadm's path: where an offline tree's kubelet would read its config when neither a
 * process nor a unit says otherwise. */
#define KUBEADM_KUBELET_CONFIG "/var/lib/kubelet/config.yaml"
#define MAX_CONFIG_DROPINS 128

/* One config layer: the base file or a drop-in of --config-dir. Only the path is kept: the
 * node's file cache grows, so its entries are looked up again at each use. */
struct layer {
	const char *path;          /* borrowed from the node's yaml cache */
};

struct kc_kubelet {
	struct kc_node *node;
	const struct kc_component *comp;
	const char *config;        /* --config, or kubeadm's path when the kubelet was not found */
	int config_assumed;        /* config is kubeadm's path, not named by any flag */
	int config_exists;
	char *config_dir;          /* --config-dir */
	char **dropin_paths;
	size_t ndropins;
	int dropin_err;            /* listing --config-dir failed: -errno */
	char *dropin_err_path;
	struct layer *layers;      /* [0] = base file (when it exists), then drop-ins in order */
	size_t nlayers;
};

/* flag, config key, default with a config file, default without one, field type, and
 * whether SetDefaults_KubeletConfiguration (pkg/kubelet/apis/config/v1beta1/defaults.go)
 * replaces the field's zero value (value fields: "", 0, 0s) — pointer fields (*bool,
 * *int32) keep an explicit zero. The two default columns differ where the
 * KubeletConfiguration format chose safer values than the flags
 * (cmd/kubelet/app/options/options.go applyLegacyDefaults). */
enum field_type { FT_STRING, FT_BOOL, FT_INT, FT_DURATION, FT_LIST };

static const struct setting_def {
	const char *flag, *key, *with_config, *without_config;
	enum field_type type;
	int zero_defaulted;
} defs[] = {
	{ "anonymous-auth", "authentication.anonymous.enabled", "false", "true", FT_BOOL, 0 },
	{ "authentication-token-webhook", "authentication.webhook.enabled", "true", "false", FT_BOOL, 0 },
	{ "authorization-mode", "authorization.mode", "Webhook", "AlwaysAllow", FT_STRING, 1 },
	{ "client-ca-file", "authentication.x509.clientCAFile", NULL, NULL, FT_STRING, 0 },
	{ "read-only-port", "readOnlyPort", "0", "10255", FT_INT, 0 },
	{ "streaming-connection-idle-timeout", "streamingConnectionIdleTimeout", "4h0m0s", "4h0m0s", FT_DURATION, 1 },
	{ "protect-kernel-defaults", "protectKernelDefaults", "false", "false", FT_BOOL, 0 },
	{ "make-iptables-util-chains", "makeIPTablesUtilChains", "true", "true", FT_BOOL, 0 },
	{ "event-qps", "eventRecordQPS", "50", "50", FT_INT, 0 },
	{ "tls-cert-file", "tlsCertFile", NULL, NULL, FT_STRING, 0 },
	{ "tls-private-key-file", "tlsPrivateKeyFile", NULL, NULL, FT_STRING, 0 },
	{ "tls-cipher-suites", "tlsCipherSuites", NULL, NULL, FT_LIST, 0 },
	{ "rotate-certificates", "rotateCertificates", "false", "false", FT_BOOL, 0 },
	{ "rotate-server-certificates", "serverTLSBootstrap", "false", "false", FT_BOOL, 0 },
	{ "pod-max-pids", "podPidsLimit", "-1", "-1", FT_INT, 0 },
	{ "seccomp-default", "seccompDefault", "false", "false", FT_BOOL, 0 },
	{ "cgroup-driver", "cgroupDriver", "cgroupfs", "cgroupfs", FT_STRING, 1 },
	{ "address", "address", "0.0.0.0", "0.0.0.0", FT_STRING, 1 },
	{ "port", "port", "10250", "10250", FT_INT, 1 },
	{ "healthz-bind-address", "healthzBindAddress", "127.0.0.1", "127.0.0.1", FT_STRING, 1 },
	{ "static-pod-path", "staticPodPath", NULL, NULL, FT_STRING, 0 },
};

static const struct setting_def *def_by(const char *flag, const char *key)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(*defs); i++)
		if ((flag && strcmp(defs[i].flag, flag) == 0) || (key && defs[i].key && strcmp(defs[i].key, key) == 0))
			return &defs[i];
	return NULL;
}

const char *kc_kubelet_config_key(const char *flag)
{
	const struct setting_def *d = def_by(flag, NULL);
	return d ? d->key : NULL;
}

static const char *src_layer(enum kc_flag_source s)
{
	switch (s) {
	case KC_SRC_PROCESS: return "process";
	case KC_SRC_STATIC_POD: return "static-pod";
	case KC_SRC_SYSTEMD: return "systemd";
	case KC_SRC_K3S: return "k3s";
	default: return "none";
	}
}

static void add_dropin(struct kc_node *node, struct kc_kubelet *k, char *path)
{
	if (k->nlayers >= MAX_CONFIG_DROPINS + 1) {
		free(path);
		return;
	}
	k->dropin_paths[k->ndropins++] = path;
	k->layers[k->nlayers].path = path;
	k->nlayers++;
	kc_node_yaml(node, path); /* parsed now, so its errors are known early */
}

/* filepath.WalkDir as mergeKubeletConfigurations uses it: entries in lexical order, a
 * subdirectory walked at its place in that order, only files named *.conf merged. A
 * listing error is the kubelet's own startup error ("failed to walk through kubelet dropin
 * directory"): remembered, and every config lookup reports it. */
static void walk_dropins(struct kc_node *node, struct kc_kubelet *k, const char *dir, int depth)
{
	char **names;
	size_t n;
	int rc = kc_root_list_dir(node->root, dir, NULL, 0, &names, &n);
	if (rc < 0) {
		if (!k->dropin_err) {
			k->dropin_err = rc;
			k->dropin_err_path = kc_strdup(dir);
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		struct stat st;
		size_t len = strlen(names[i]);
		if (kc_root_lstat(node->root, p.ptr, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < 16) /* WalkDir has no bound; a tree deeper than this is hostile */
				walk_dropins(node, k, p.ptr, depth + 1);
			kc_buf_clear(&p);
		} else if (len > 5 && strcmp(names[i] + len - 5, ".conf") == 0) {
			add_dropin(node, k, kc_buf_detach(&p));
		} else {
			kc_buf_clear(&p);
		}
	}
	kc_strv_free(names, n);
}

static void load_dropins(struct kc_node *node, struct kc_kubelet *k)
{
	k->dropin_paths = kc_xcalloc(MAX_CONFIG_DROPINS + 2, sizeof(char *));
	walk_dropins(node, k, k->config_dir, 0);
}

static struct kc_kubelet *state(struct kc_node *node)
{
	if (node->kubelet)
		return node->kubelet;
	struct kc_kubelet *k = kc_xcalloc(1, sizeof(*k));
	node->kubelet = k;
	k->node = node;
	k->comp = kc_node_component(node, KC_COMP_KUBELET);
	int found = k->comp && k->comp->source != KC_SRC_NONE;
	k->config = found ? kc_flags_value(&k->comp->flags, "config") : NULL;
	if (!found) {
		k->config = KUBEADM_KUBELET_CONFIG;
		k->config_assumed = 1;
	}
	const char *dir = found ? kc_flags_value(&k->comp->flags, "config-dir") : NULL;
	k->config_dir = dir && *dir ? kc_strdup(dir) : NULL;
	k->layers = kc_xcalloc(MAX_CONFIG_DROPINS + 2, sizeof(*k->layers));
	if (k->config && *k->config) {
		const struct kc_yamlfile *yf = kc_node_yaml(node, k->config);
		k->config_exists = yf->err != -ENOENT;
		if (k->config_exists) {
			k->layers[0].path = k->config;
			k->nlayers = 1;
		}
	}
	if (k->config_dir)
		load_dropins(node, k);
	return k;
}

const char *kc_kubelet_config_path(struct kc_node *node)
{
	struct kc_kubelet *k = state(node);
	return k->config_exists ? k->config : NULL;
}

void kc_kubelet_value_clear(struct kc_kubelet_value *v)
{
	free(v->owned);
	memset(v, 0, sizeof(*v));
}

void kc_kubelet_free(struct kc_kubelet *k)
{
	if (!k)
		return;
	if (k->dropin_paths)
		for (char **p = k->dropin_paths; *p; p++)
			free(*p);
	free(k->dropin_paths);
	free(k->config_dir);
	free(k->dropin_err_path);
	free(k->layers);
	free(k);
}

/* r may be NULL when a caller only wants the value */
static void ev_config(struct kc_result *r, const char *path, const char *key, const char *value, long line,
		      const char *layer, const char *detail)
{
	if (r)
		kc_result_add_config(r, path, key, value, line, layer, detail);
}

/* The command-line layer: which argument set the flag and which file produced it. */
static const char *flag_origin(const struct kc_component *c, const struct kc_flag *fl)
{
	if (c->arg_origin && fl->index >= 0 && (size_t)fl->index < c->nargs && c->arg_origin[fl->index])
		return c->arg_origin[fl->index];
	return c->source_path;
}

static int layer_error(const struct layer *l, const struct kc_yamlfile *yf)
{
	if (yf->err == KC_EINVAL || yf->errmsg)
		return kc_error_set(KC_EINVAL, "%s", yf->errmsg ? yf->errmsg : l->path);
	return kc_error_set_errno(-yf->err, "kubelet config %s", l->path);
}

/* The layer's name in evidence: the --config file, else a drop-in of --config-dir. */
static const char *layer_name(const struct kc_kubelet *k, size_t i)
{
	return (i == 0 && k->config_exists) ? "config-file" : "config-dir";
}

/* A key, or one of its parents, written as null in a drop-in: the JSON merge patch of
 * mergeKubeletConfigurations deletes it, so the merged object lacks it and the defaulting
 * after the merge decides — whatever lower layers said. */
static yaml_node_t *null_on_path(yaml_document_t *doc, const char *key)
{
	char prefix[256];
	size_t len = strlen(key);
	if (len >= sizeof(prefix))
		return NULL;
	for (size_t i = 0; i <= len; i++) {
		if (key[i] != '.' && key[i] != '\0')
			continue;
		memcpy(prefix, key, i);
		prefix[i] = '\0';
		yaml_node_t *n = kc_yaml_path(doc, yaml_document_get_root_node(doc), prefix);
		if (n && kc_yaml_is_null(n))
			return n;
		if (!n)
			return NULL;
	}
	return NULL;
}

/* The field's value as the kubelet decodes it (sigs.k8s.io/yaml into the typed
 * KubeletConfiguration): YAML 1.1 booleans and integers, metav1.Duration from a string
 * through time.ParseDuration. A value the kubelet cannot decode stops it at startup: that is
 * an error here, never a guess. Returns the canonical text (caller frees) or NULL with the
 * error set. */
static char *typed_value(const struct setting_def *def, yaml_document_t *doc, yaml_node_t *n, const char *path,
			 const char *key, int *rc)
{
	*rc = 0;
	enum field_type type = def ? def->type : FT_STRING;
	if (!def || type == FT_LIST || n->type != YAML_SCALAR_NODE) {
		if (type != FT_LIST && def && n->type != YAML_SCALAR_NODE) {
			*rc = kc_error_set(KC_EINVAL, "%s:%ld: %s: expected a single value, found a %s", path, kc_yaml_line(n), key,
					   n->type == YAML_MAPPING_NODE ? "mapping" : "list");
			return NULL;
		}
		return n->type == YAML_SCALAR_NODE ? kc_yaml_canon(n) : kc_yaml_text(doc, n);
	}
	struct kc_buf b = KC_BUF_INIT;
	switch (type) {
	case FT_BOOL: {
		int v;
		if (kc_yaml_bool(n, &v) < 0)
			break;
		return kc_strdup(v ? "true" : "false");
	}
	case FT_INT: {
		long long v;
		if (kc_yaml_int(n, &v) < 0)
			break;
		kc_buf_printf(&b, "%lld", v);
		return kc_buf_detach(&b);
	}
	case FT_DURATION: {
		/* metav1.Duration.UnmarshalJSON takes a JSON string: a plain 0 or 30 is a number
		 * and fails to decode */
		char *canon = kc_yaml_canon(n);
		int is_number = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && canon && kc_yaml_int(n, &(long long){ 0 }) == 0;
		free(canon);
		int64_t ns;
		if (is_number) {
			kc_error_set(KC_EINVAL, "line %ld: a number where metav1.Duration expects a string such as \"4h0m0s\"",
				     kc_yaml_line(n));
			break;
		}
		if (kc_go_duration(kc_yaml_scalar(n), &ns) < 0)
			break;
		char tmp[40];
		return kc_strdup(kc_go_duration_string(ns, tmp, sizeof(tmp)));
	}
	default:
		return kc_strdup(kc_yaml_scalar(n));
	}
	*rc = kc_error_wrap(KC_EINVAL, "%s:%ld: %s (the kubelet cannot decode this value and would not start)", path,
			    kc_yaml_line(n), key);
	return NULL;
}

/* Looks key up in the config layers, last drop-in first. *reset is set when a drop-in's
 * null removed the key (the default decides). */
static int config_lookup(struct kc_kubelet *k, const struct setting_def *def, const char *key, struct kc_kubelet_value *out,
			 struct kc_result *r, int *decided, int *reset)
{
	if (k->dropin_err) {
		ev_config(r, k->dropin_err_path, key, NULL, 0, "config-dir", "the drop-in directory cannot be listed");
		return kc_error_set_errno(-k->dropin_err, "kubelet --config-dir %s", k->dropin_err_path);
	}
	for (size_t i = k->nlayers; i-- > 0;) {
		const struct layer *l = &k->layers[i];
		const char *lname = layer_name(k, i);
		const struct kc_yamlfile *yf = kc_node_yaml(k->node, l->path);
		if (yf->err) {
			ev_config(r, l->path, key, NULL, 0, lname, "cannot be read or parsed");
			return layer_error(l, yf);
		}
		yaml_document_t *doc = yf->y.ndocs ? &((struct kc_yamlfile *)yf)->y.docs[0] : NULL;
		yaml_node_t *n = doc ? kc_yaml_path(doc, yaml_document_get_root_node(doc), key) : NULL;
		if (*decided) {
			/* already decided by a higher layer: still name this one as consulted */
			ev_config(r, l->path, key, n ? kc_yaml_scalar(n) : NULL, kc_yaml_line(n), lname,
				  n ? "set here but overridden by a higher layer" : "not set here");
			continue;
		}
		yaml_node_t *null = (doc && strcmp(lname, "config-dir") == 0) ? null_on_path(doc, key) : NULL;
		if (null) {
			*decided = 1;
			*reset = 1;
			out->layer = lname;
			out->source = l->path;
			out->line = kc_yaml_line(null);
			ev_config(r, l->path, key, NULL, out->line, lname,
				  "null here: the merge patch removes the key, so the default decides");
			continue;
		}
		if (!n || kc_yaml_is_null(n)) {
			ev_config(r, l->path, key, NULL, 0, lname, "not set here");
			continue;
		}
		int rc;
		char *v = typed_value(def, doc, n, l->path, key, &rc);
		if (rc < 0) {
			ev_config(r, l->path, key, kc_yaml_scalar(n), kc_yaml_line(n), lname, "cannot be decoded");
			return rc;
		}
		out->owned = v;
		out->value = v;
		out->layer = lname;
		out->source = l->path;
		out->line = kc_yaml_line(n);
		*decided = 1;
		ev_config(r, l->path, key, out->value, out->line, lname, "set here: this layer decides");
	}
	return 0;
}

/* Is v the zero value of its type ("", 0, 0s)? */
static int is_zero(const struct setting_def *def, const char *v)
{
	switch (def->type) {
	case FT_STRING: return *v == '\0';
	case FT_INT: return strcmp(v, "0") == 0;
	case FT_DURATION: return strcmp(v, "0s") == 0;
	default: return 0;
	}
}

/* A flag's text as the kubelet's pflag Value parses it (strconv.ParseBool, ParseDuration).
 * Returns the canonical text (caller frees) or NULL with the error set. */
static char *typed_flag(const struct setting_def *def, const char *flag, const char *v, const char *origin)
{
	if (def && def->type == FT_BOOL) {
		int b;
		if (kc_go_bool(v, &b) < 0) {
			kc_error_wrap(KC_EINVAL, "%s: --%s (the kubelet refuses this value and would not start)", origin, flag);
			return NULL;
		}
		return kc_strdup(b ? "true" : "false");
	}
	if (def && def->type == FT_DURATION) {
		int64_t ns;
		char tmp[40];
		if (kc_go_duration(v, &ns) < 0) {
			kc_error_wrap(KC_EINVAL, "%s: --%s (the kubelet refuses this value and would not start)", origin, flag);
			return NULL;
		}
		return kc_strdup(kc_go_duration_string(ns, tmp, sizeof(tmp)));
	}
	return kc_strdup(v);
}

static void ev_default(struct kc_result *r, const char *key, const char *value, const char *detail)
{
	if (!r)
		return;
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_DEFAULT);
	ev->key = kc_strdup(key);
	ev->value = kc_strdup(value);
	ev->layer = kc_strdup("default");
	ev->detail = kc_strdup(detail);
}

int kc_kubelet_resolve(struct kc_node *node, const char *flag, const char *config_key, int use_default,
		       struct kc_kubelet_value *out, struct kc_result *r)
{
	memset(out, 0, sizeof(*out));
	out->layer = "none";
	struct kc_kubelet *k = state(node);
	const struct setting_def *def = def_by(flag, config_key);
	if (!config_key && def)
		config_key = def->key;
	if (!flag && def)
		flag = def->flag;
	int decided = 0, reset = 0;
	const struct kc_component *c = k->comp;
	if (flag && c && c->source != KC_SRC_NONE) {
		const struct kc_flag *fl = kc_flags_get(&c->flags, flag);
		if (fl) {
			out->source = flag_origin(c, fl);
			/* flags are applied after the merge and its defaulting
			 * (kubeletConfigFlagPrecedence): their value stands as given */
			out->owned = typed_flag(def, flag, fl->value ? fl->value : "true", out->source);
			if (!out->owned)
				return KC_EINVAL;
			out->value = out->owned;
			out->layer = src_layer(c->source);
			decided = 1;
		}
		if (r) {
			struct kc_evidence *ev = kc_result_add_evidence(r, c->source == KC_SRC_PROCESS ? KC_EV_PROCESS : KC_EV_CONFIG);
			ev->source = kc_strdup(fl ? out->source : c->source_path);
			ev->pid = c->pid;
			ev->layer = kc_strdup(src_layer(c->source));
			struct kc_buf kb = KC_BUF_INIT;
			kc_buf_printf(&kb, "--%s", flag);
			ev->key = kc_buf_detach(&kb);
			ev->value = fl ? kc_redact_value(flag, out->value) : NULL;
			ev->detail = kc_strdup(fl ? "set on the command line: flags beat every config layer"
						  : "not set on the command line");
		}
	} else if (r && flag) {
		kc_result_note(r, "kubelet command line not found (no process, no systemd unit): flags cannot be read");
	}
	if (config_key) {
		if (!k->config && !k->config_dir && r)
			kc_result_note(r, "the kubelet has no --config file: built-in flag defaults apply");
		else if (k->config && !k->config_exists) {
			ev_config(r, k->config, config_key, NULL, 0, "config-file",
				  k->config_assumed ? "kubeadm's default config path: file not found" : "file named by --config not found");
			if (!k->config_assumed) {
				/* loadConfigFile fails and the kubelet exits: no layer below decides, and the
				 * flags' defaults are not what runs */
				kc_kubelet_value_clear(out);
				return kc_error_set(KC_ENOTFOUND, "the kubelet's --config %s does not exist under --root "
						    "(a kubelet given a missing config file does not start)", k->config);
			}
		}
		int rc = config_lookup(k, def, config_key, out, r, &decided, &reset);
		if (rc < 0) {
			kc_kubelet_value_clear(out);
			return rc;
		}
	}
	/* with a config file or drop-ins, SetDefaults_KubeletConfiguration runs on the merged
	 * object: unset fields, keys a drop-in nulled and zero values of value fields all end as
	 * the default the kubelet runs with */
	int with_config = k->config_exists || k->ndropins > 0;
	const char *dv = def ? (with_config ? def->with_config : def->without_config) : NULL;
	int from_file = strcmp(out->layer, "config-file") == 0 || strcmp(out->layer, "config-dir") == 0;
	if (decided && !reset && def && def->zero_defaulted && dv && out->value && is_zero(def, out->value) && from_file) {
		struct kc_buf d = KC_BUF_INIT;
		kc_buf_printf(&d, "the zero value \"%s\" from %s is replaced by the defaulting after the merge "
			      "(SetDefaults_KubeletConfiguration)", out->value, out->source ? out->source : out->layer);
		ev_default(r, config_key, dv, d.ptr);
		kc_buf_clear(&d);
		free(out->owned);
		out->owned = NULL;
		out->value = dv;
		out->layer = "default";
	} else if (reset && use_default && dv) {
		ev_default(r, config_key, dv, "removed by a drop-in's null: the default applies");
		free(out->owned);
		out->owned = NULL;
		out->value = dv;
		out->layer = "default";
	} else if (reset) {
		free(out->owned);
		out->owned = NULL;
		out->value = NULL;
	} else if (!decided && use_default && dv) {
		out->value = dv;
		out->layer = "default";
		out->source = NULL;
		decided = 1;
		ev_default(r, config_key ? config_key : flag, dv,
			   with_config ? "unset: the KubeletConfiguration default applies"
				       : "unset and no config file: the flag's default applies");
	}
	if (r) {
		struct kc_buf what = KC_BUF_INIT;
		if (flag)
			kc_buf_printf(&what, "--%s", flag);
		if (flag && config_key)
			kc_buf_puts(&what, " / ");
		if (config_key)
			kc_buf_puts(&what, config_key);
		const char *src = strcmp(out->layer, "default") == 0 ? NULL : out->source;
		kc_result_note(r, "kubelet %s decided by the %s layer%s%s", what.ptr,
			       out->value ? out->layer : "none (unset)", src ? ": " : "", src ? src : "");
		kc_buf_clear(&what);
	}
	return 0;
}

/* "A=true,B=false": the value of one gate, or NULL. */
static char *gate_in_list(const char *list, const char *gate)
{
	size_t gl = strlen(gate);
	char *found = NULL;
	for (const char *p = list; *p;) {
		while (*p == ',' || *p == ' ')
			p++;
		size_t len = strcspn(p, ",");
		if (len > gl && strncmp(p, gate, gl) == 0 && p[gl] == '=') {
			free(found);
			found = kc_strndup(p + gl + 1, len - gl - 1);
		}
		p += len;
	}
	return found;
}

int kc_kubelet_feature_gate(struct kc_node *node, const char *gate, const char *default_value,
			    struct kc_kubelet_value *out, struct kc_result *r)
{
	memset(out, 0, sizeof(*out));
	out->layer = "none";
	struct kc_kubelet *k = state(node);
	const struct kc_component *c = k->comp;
	int decided = 0;
	if (c && c->source != KC_SRC_NONE) {
		const struct kc_flag *fl = kc_flags_get(&c->flags, "feature-gates");
		char *v = fl && fl->value ? gate_in_list(fl->value, gate) : NULL;
		int b;
		if (v && kc_go_bool(v, &b) == 0) { /* featuregate.Set parses with strconv.ParseBool */
			free(v);
			v = kc_strdup(b ? "true" : "false");
		}
		if (v) {
			out->owned = v;
			out->value = v;
			out->layer = src_layer(c->source);
			out->source = flag_origin(c, fl);
			decided = 1;
		}
		ev_config(r, fl ? flag_origin(c, fl) : c->source_path, "--feature-gates", fl ? fl->value : NULL, 0,
			  src_layer(c->source), v ? "the gate is set on the command line: this layer decides"
						  : "the gate is not set on the command line");
	}
	struct kc_buf key = KC_BUF_INIT;
	kc_buf_printf(&key, "featureGates.%s", gate);
	struct kc_kubelet_value cv;
	memset(&cv, 0, sizeof(cv));
	int reset = 0;
	int rc = config_lookup(k, NULL, key.ptr, &cv, r, &decided, &reset);
	kc_buf_clear(&key);
	if (rc < 0) {
		kc_kubelet_value_clear(&cv);
		return rc;
	}
	if (cv.value) {
		*out = cv;
	}
	if ((!decided || reset) && default_value) {
		/* a drop-in's null removes the gate from the merged map, too */
		out->value = default_value;
		out->layer = "default";
		if (r) {
			struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_DEFAULT);
			ev->key = kc_strdup(gate);
			ev->value = kc_strdup(default_value);
			ev->layer = kc_strdup("default");
			ev->detail = kc_strdup("the gate is set nowhere: its default for this release applies");
		}
		decided = 1;
	}
	if (r)
		kc_result_note(r, "feature gate %s decided by the %s layer", gate, decided ? out->layer : "none (unset)");
	return 0;
}
