#include "checks/kubelet.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/error.h"
#include "common/redact.h"
#include "common/strbuf.h"

/* kubeadm's path: where an offline tree's kubelet would read its config when neither a
 * process nor a unit says otherwise. */
#define KUBEADM_KUBELET_CONFIG "/var/lib/kubelet/config.yaml"
#define MAX_CONFIG_DROPINS 128

/* One config layer: the base file or a drop-in of --config-dir. */
struct layer {
	const char *path;          /* borrowed from the node's yaml cache */
	const struct kc_yamlfile *yf;
};

struct kc_kubelet {
	const struct kc_component *comp;
	const char *config;        /* --config, or kubeadm's path when the kubelet was not found */
	int config_assumed;        /* config is kubeadm's path, not named by any flag */
	int config_exists;
	char *config_dir;          /* --config-dir */
	char **dropin_paths;
	struct layer *layers;      /* [0] = base file (when it exists), then drop-ins in order */
	size_t nlayers;
};

/* flag, config key, default with a config file, default without one. The two columns
 * differ where the KubeletConfiguration format chose safer values than the flags. */
static const struct setting_def {
	const char *flag, *key, *with_config, *without_config;
} defs[] = {
	{ "anonymous-auth", "authentication.anonymous.enabled", "false", "true" },
	{ "authentication-token-webhook", "authentication.webhook.enabled", "true", "false" },
	{ "authorization-mode", "authorization.mode", "Webhook", "AlwaysAllow" },
	{ "client-ca-file", "authentication.x509.clientCAFile", NULL, NULL },
	{ "read-only-port", "readOnlyPort", "0", "10255" },
	{ "streaming-connection-idle-timeout", "streamingConnectionIdleTimeout", "4h0m0s", "4h0m0s" },
	{ "protect-kernel-defaults", "protectKernelDefaults", "false", "false" },
	{ "make-iptables-util-chains", "makeIPTablesUtilChains", "true", "true" },
	{ "event-qps", "eventRecordQPS", "50", "50" },
	{ "tls-cert-file", "tlsCertFile", NULL, NULL },
	{ "tls-private-key-file", "tlsPrivateKeyFile", NULL, NULL },
	{ "tls-cipher-suites", "tlsCipherSuites", NULL, NULL },
	{ "rotate-certificates", "rotateCertificates", "false", "false" },
	{ "rotate-server-certificates", "serverTLSBootstrap", "false", "false" },
	{ "pod-max-pids", "podPidsLimit", "-1", "-1" },
	{ "seccomp-default", "seccompDefault", "false", "false" },
	{ "cgroup-driver", "cgroupDriver", "cgroupfs", "cgroupfs" },
	{ "address", "address", "0.0.0.0", "0.0.0.0" },
	{ "port", "port", "10250", "10250" },
	{ "healthz-bind-address", "healthzBindAddress", "127.0.0.1", "127.0.0.1" },
	{ "static-pod-path", "staticPodPath", NULL, NULL },
};

static const struct setting_def *def_by(const char *flag, const char *key)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(*defs); i++)
		if ((flag && strcmp(defs[i].flag, flag) == 0) || (key && strcmp(defs[i].key, key) == 0))
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
	default: return "none";
	}
}

static void load_dropins(struct kc_node *node, struct kc_kubelet *k)
{
	char **names;
	size_t n;
	/* the kubelet reads only *.conf files of the drop-in directory */
	if (kc_root_list_dir(node->root, k->config_dir, ".conf", MAX_CONFIG_DROPINS, &names, &n) < 0)
		return;
	k->dropin_paths = kc_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s%s%s", k->config_dir, k->config_dir[strlen(k->config_dir) - 1] == '/' ? "" : "/", names[i]);
		k->dropin_paths[i] = kc_buf_detach(&p);
		free(names[i]);
		const struct kc_yamlfile *yf = kc_node_yaml(node, k->dropin_paths[i]);
		k->layers[k->nlayers].path = k->dropin_paths[i];
		k->layers[k->nlayers++].yf = yf;
	}
	free(names);
}

static struct kc_kubelet *state(struct kc_node *node)
{
	if (node->kubelet)
		return node->kubelet;
	struct kc_kubelet *k = kc_xcalloc(1, sizeof(*k));
	node->kubelet = k;
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
			k->layers[0].yf = yf;
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

static int layer_error(const struct layer *l)
{
	if (l->yf->err == KC_EINVAL || l->yf->errmsg)
		return kc_error_set(KC_EINVAL, "%s", l->yf->errmsg ? l->yf->errmsg : l->path);
	return kc_error_set_errno(-l->yf->err, "kubelet config %s", l->path);
}

/* Looks key up in the config layers, last drop-in first. */
static int config_lookup(struct kc_kubelet *k, const char *key, struct kc_kubelet_value *out, struct kc_result *r,
			 int *decided)
{
	for (size_t i = k->nlayers; i-- > 0;) {
		const struct layer *l = &k->layers[i];
		const char *lname = (i == 0 && k->config_exists) ? "config-file" : "config-dir";
		if (l->yf->err) {
			ev_config(r, l->path, key, NULL, 0, lname, "cannot be read or parsed");
			return layer_error(l);
		}
		yaml_document_t *doc = l->yf->y.ndocs ? &((struct kc_yamlfile *)l->yf)->y.docs[0] : NULL;
		yaml_node_t *n = doc ? kc_yaml_path(doc, yaml_document_get_root_node(doc), key) : NULL;
		if (*decided) {
			/* already decided by a higher layer: still name this one as consulted */
			ev_config(r, l->path, key, n ? kc_yaml_scalar(n) : NULL, kc_yaml_line(n), lname,
				  n ? "set here but overridden by a higher layer" : "not set here");
			continue;
		}
		if (!n || (n->type == YAML_SCALAR_NODE && (!*kc_yaml_scalar(n) || strcmp(kc_yaml_scalar(n), "null") == 0) &&
			   n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)) {
			ev_config(r, l->path, key, NULL, 0, lname, "not set here");
			continue;
		}
		out->owned = kc_yaml_text(doc, n);
		out->value = out->owned;
		out->layer = lname;
		out->source = l->path;
		out->line = kc_yaml_line(n);
		*decided = 1;
		ev_config(r, l->path, key, out->value, out->line, lname, "set here: this layer decides");
	}
	return 0;
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
	int decided = 0;
	const struct kc_component *c = k->comp;
	if (flag && c && c->source != KC_SRC_NONE) {
		const struct kc_flag *fl = kc_flags_get(&c->flags, flag);
		if (fl) {
			out->value = fl->value ? fl->value : "true";
			out->layer = src_layer(c->source);
			out->source = flag_origin(c, fl);
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
		if (!k->config && r)
			kc_result_note(r, "the kubelet has no --config file: built-in flag defaults apply");
		else if (k->config && !k->config_exists)
			ev_config(r, k->config, config_key, NULL, 0, "config-file",
				  k->config_assumed ? "kubeadm's default config path: file not found" : "file named by --config not found");
		int rc = config_lookup(k, config_key, out, r, &decided);
		if (rc < 0)
			return rc;
	}
	if (!decided && use_default && def) {
		const char *dv = k->config_exists ? def->with_config : def->without_config;
		if (dv) {
			out->value = dv;
			out->layer = "default";
			out->source = NULL;
			decided = 1;
			if (r) {
				struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_DEFAULT);
				ev->key = kc_strdup(config_key ? config_key : flag);
				ev->value = kc_strdup(dv);
				ev->layer = kc_strdup("default");
				ev->detail = kc_strdup(k->config_exists ? "unset: the KubeletConfiguration default applies"
									 : "unset and no config file: the flag's default applies");
			}
		}
	}
	if (r) {
		struct kc_buf what = KC_BUF_INIT;
		if (flag)
			kc_buf_printf(&what, "--%s", flag);
		if (flag && config_key)
			kc_buf_puts(&what, " / ");
		if (config_key)
			kc_buf_puts(&what, config_key);
		kc_result_note(r, "kubelet %s decided by the %s layer%s%s", what.ptr, decided ? out->layer : "none (unset)",
			       out->source ? ": " : "", out->source ? out->source : "");
		kc_buf_free(&what);
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
	int rc = config_lookup(k, key.ptr, &cv, r, &decided);
	kc_buf_free(&key);
	if (rc < 0) {
		kc_kubelet_value_clear(&cv);
		return rc;
	}
	if (cv.value) {
		*out = cv;
	}
	if (!decided && default_value) {
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
