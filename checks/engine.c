#include "checks/engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checks/compconfig.h"
#include "checks/kubelet.h"
#include "checks/nodequery.h"
#include "checks/systemd.h"
#include "common/error.h"
#include "common/input.h"
#include "common/redact.h"
#include "common/strbuf.h"

/* One test's outcome before the check combines them. */
struct outcome {
	enum kc_status status;
	struct kc_buf expected, actual, reason;
};

static void outcome_init(struct outcome *o)
{
	o->status = KC_PASS;
	kc_buf_init(&o->expected);
	kc_buf_init(&o->actual);
	kc_buf_init(&o->reason);
}

static void outcome_clear(struct outcome *o)
{
	kc_buf_clear(&o->expected);
	kc_buf_clear(&o->actual);
	kc_buf_clear(&o->reason);
}

static int is_bool(const char *s)
{
	return strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0;
}

/* Is want an item of the comma list (items trimmed)? */
static int list_any(const char *list, const char *want)
{
	size_t wl = strlen(want);
	for (const char *p = list; *p;) {
		while (*p == ',' || *p == ' ')
			p++;
		size_t len = strcspn(p, ",");
		size_t tl = len;
		while (tl && p[tl - 1] == ' ')
			tl--;
		if (tl == wl && (strncmp(p, want, wl) == 0 ||
				 /* "Gate=false" vs "Gate=False": booleans compare case-insensitively */
				 (strchr(want, '=') && strncasecmp(p, want, wl) == 0)))
			return 1;
		p += len;
	}
	return 0;
}

static const char *op_phrase(enum kc_op op)
{
	switch (op) {
	case KC_OP_EQ: return "is";
	case KC_OP_NEQ: return "is not";
	case KC_OP_GTE: return "is at least";
	case KC_OP_LTE: return "is at most";
	case KC_OP_HAS: return "includes";
	case KC_OP_HAS_NOT: return "does not include";
	case KC_OP_SUBSET: return "only lists items of";
	case KC_OP_REGEX: return "matches";
	case KC_OP_MODE_MAX: return "has mode at most";
	case KC_OP_OWNER: return "is owned by";
	default: return "is";
	}
}

int kc_op_eval(const struct kc_test *t, const char *value, char **why)
{
	struct kc_buf b = KC_BUF_INIT;
	int ok = 0;
	if (t->op == KC_OP_PRESENT) {
		int want = strcmp(t->value, "true") == 0;
		ok = (value != NULL) == want;
		kc_buf_puts(&b, value ? "set" : "not set");
		goto out;
	}
	if (!value) {
		kc_buf_puts(&b, "not set and no default applies");
		goto out;
	}
	switch (t->op) {
	case KC_OP_EQ:
	case KC_OP_NEQ: {
		int eq = (is_bool(value) && is_bool(t->value)) ? strcasecmp(value, t->value) == 0 : strcmp(value, t->value) == 0;
		ok = t->op == KC_OP_EQ ? eq : !eq;
		break;
	}
	case KC_OP_GTE:
	case KC_OP_LTE: {
		long long v;
		if (kc_policy_parse_duration(value, &v) < 0) {
			kc_buf_printf(&b, "'%s' is not a number", value);
			goto out;
		}
		ok = t->op == KC_OP_GTE ? v >= t->num : v <= t->num;
		break;
	}
	case KC_OP_HAS:
	case KC_OP_HAS_NOT:
		ok = list_any(value, t->value);
		if (t->op == KC_OP_HAS_NOT)
			ok = !ok;
		break;
	case KC_OP_SUBSET: {
		ok = *value != '\0';
		for (const char *p = value; *p && ok;) {
			while (*p == ',' || *p == ' ')
				p++;
			size_t len = strcspn(p, ",");
			while (len && p[len - 1] == ' ')
				len--;
			if (len) {
				char *item = kc_strndup(p, len);
				if (!list_any(t->value, item)) {
					ok = 0;
					kc_buf_printf(&b, "'%s' is not allowed", item);
				}
				free(item);
			}
			p += strcspn(p, ",");
		}
		if (!*value)
			kc_buf_puts(&b, "empty list");
		goto out;
	}
	case KC_OP_REGEX:
		ok = regexec(&t->re, value, 0, NULL, 0) == 0;
		break;
	default:
		ok = 0;
		kc_buf_puts(&b, "operator does not apply to this value");
		goto out;
	}
	kc_buf_printf(&b, "'%s'", value);
out:
	if (why)
		*why = kc_buf_detach(&b);
	else
		kc_buf_clear(&b);
	return ok;
}

static const char *layer_name(enum kc_flag_source s)
{
	switch (s) {
	case KC_SRC_PROCESS: return "process";
	case KC_SRC_STATIC_POD: return "static-pod";
	case KC_SRC_SYSTEMD: return "systemd";
	case KC_SRC_K3S: return "k3s";
	default: return "none";
	}
}

static void add_component_evidence(struct kc_result *r, const struct kc_component *c, const char *flag,
				   const char *value)
{
	struct kc_evidence *ev = kc_result_add_evidence(r, c->source == KC_SRC_PROCESS ? KC_EV_PROCESS : KC_EV_CONFIG);
	const struct kc_flag *fl = kc_flags_get(&c->flags, flag);
	/* a unit's flag may come from a drop-in or an EnvironmentFile: name that file */
	int from_origin = fl && c->arg_origin && fl->index >= 0 && (size_t)fl->index < c->nargs && c->arg_origin[fl->index];
	ev->source = kc_strdup(from_origin ? c->arg_origin[fl->index] : c->source_path);
	ev->pid = c->pid;
	ev->layer = kc_strdup(layer_name(c->source));
	struct kc_buf k = KC_BUF_INIT;
	kc_buf_printf(&k, "--%s", flag);
	ev->key = kc_buf_detach(&k);
	/* flags are judged by the component's own list of credential flags: a name heuristic
	 * would hide --authorization-mode, the very value the check is about */
	if (value)
		ev->value = kc_flag_is_secret(flag) ? kc_strdup(KC_REDACTED) : kc_redact_text(value);
	/* the whole command line is evidence for a running process; a file source has its line */
	if (c->source == KC_SRC_PROCESS)
		ev->detail = kc_strdup(c->cmdline_redacted);
	/* the manifest line that sets the flag, so reports (SARIF) can point at it */
	if (fl && !from_origin && c->arg_lines && fl->index >= 0 && (size_t)fl->index < c->narg_lines)
		ev->line = c->arg_lines[fl->index];
}

/* Compares and writes expected/actual for a value-typed fact. */
static void judge_value(struct outcome *o, const struct kc_test *t, const char *what, const char *value,
			int from_default)
{
	char *why = NULL;
	int ok = kc_op_eval(t, value, &why);
	if (t->op == KC_OP_PRESENT)
		kc_buf_printf(&o->expected, "%s is %s", what, strcmp(t->value, "true") == 0 ? "set" : "not set");
	else if (t->op == KC_OP_NONE)
		kc_buf_printf(&o->expected, "%s (shown for review)", what);
	else
		kc_buf_printf(&o->expected, "%s %s %s", what, op_phrase(t->op), t->value);
	if (!value)
		kc_buf_printf(&o->actual, "%s is not set", what);
	else if (from_default)
		kc_buf_printf(&o->actual, "%s is not set (default %s)", what, *value ? value : "empty");
	else if (t->op == KC_OP_PRESENT)
		kc_buf_printf(&o->actual, "%s is set", what);
	else if (!*value)
		kc_buf_printf(&o->actual, "%s is set to an empty value", what);
	else
		kc_buf_printf(&o->actual, "%s is %s", what, kc_flag_is_secret(what + strspn(what, "-")) ? KC_REDACTED : value);
	if (!ok && why && value && t->op == KC_OP_SUBSET)
		kc_buf_printf(&o->actual, " (%s)", why);
	o->status = ok ? KC_PASS : KC_FAIL;
	free(why);
}

static const struct kc_component *need_component(struct kc_node *node, const struct kc_test *t, struct outcome *o)
{
	const struct kc_component *c = kc_node_component_by_name(node, t->component);
	if (!c || c->source == KC_SRC_NONE) {
		o->status = KC_WARN;
		kc_buf_printf(&o->reason, "%s is not running and no static pod manifest or unit names its flags",
			      t->component);
		return NULL;
	}
	return c;
}

static void eval_config_governed(struct kc_node *node, const struct kc_component *c, const struct kc_test *t,
				 const struct kc_config_key *key, struct kc_result *r, struct outcome *o);
static int component_config_value(struct kc_node *node, const struct kc_component *c, const char *key,
				  struct kc_result *r, struct outcome *o, char **value);
static int flag_ignored(const struct kc_component *c, const char *flag, struct kc_result *r,
			const struct kc_config_key **key);

/* kube-apiserver's structured configuration files replace two flags:
 *   --authentication-config: its anonymous.enabled decides anonymous auth when the file sets
 *     it (the flag may then not be given; pkg/kubeapiserver/options/authentication.go
 *     ApplyTo/Validate), else --anonymous-auth does;
 *   --authorization-config: its authorizers[].type list is the authorization chain, and
 *     --authorization-mode may not be given (pkg/kubeapiserver/options/authorization.go).
 * Returns 1 with *value (caller frees) when the file decides, 0 when the flag does, -1 with o
 * set to ERROR when the named file cannot be read or parsed. */
static int apiserver_structured(struct kc_node *node, const struct kc_component *c, const char *flag,
				struct kc_result *r, struct outcome *o, char **value)
{
	*value = NULL;
	const char *file_flag = strcmp(flag, "anonymous-auth") == 0	 ? "authentication-config"
				: strcmp(flag, "authorization-mode") == 0 ? "authorization-config"
									  : NULL;
	const char *path = file_flag ? kc_flags_value(&c->flags, file_flag) : NULL;
	if (!path || !*path)
		return 0;
	const char *view;
	const struct kc_yamlfile *yf = kc_node_component_yaml(node, c, path, &view);
	if (yf->err) {
		o->status = KC_ERROR;
		if (yf->errmsg)
			kc_buf_printf(&o->reason, "%s", yf->errmsg);
		else
			kc_buf_printf(&o->reason, "--%s %s: %s (the API server would not start)", file_flag, path,
				      strerror(-yf->err));
		return -1;
	}
	yaml_document_t *d = yf->y.ndocs ? &((struct kc_yamlfile *)yf)->y.docs[0] : NULL;
	yaml_node_t *root = d ? yaml_document_get_root_node(d) : NULL;
	if (strcmp(flag, "anonymous-auth") == 0) {
		yaml_node_t *n = kc_yaml_path(d, root, "anonymous.enabled");
		int b;
		int rc = n ? kc_yaml_bool(n, &b) : KC_ENOTFOUND;
		if (rc == KC_ENOTFOUND) {
			kc_result_add_config(r, path, "anonymous.enabled", NULL, 0, "config-file",
					     "not set in the authentication configuration: --anonymous-auth decides");
			return 0;
		}
		if (rc < 0) {
			o->status = KC_ERROR;
			kc_buf_printf(&o->reason, "%s: %s", path, kc_error_last());
			return -1;
		}
		*value = kc_strdup(b ? "true" : "false");
		yaml_node_t *cond = kc_yaml_path(d, root, "anonymous.conditions");
		kc_result_add_config(r, path, "anonymous.enabled", *value, kc_yaml_line(n), "config-file",
				     cond && b ? "set in --authentication-config (anonymous only on the paths of its conditions)"
					       : "set in --authentication-config: the file decides");
		return 1;
	}
	yaml_node_t *list = kc_yaml_get(d, root, "authorizers");
	struct kc_buf b = KC_BUF_INIT;
	for (yaml_node_item_t *it = list && list->type == YAML_SEQUENCE_NODE ? list->data.sequence.items.start : NULL;
	     it && it < list->data.sequence.items.top; it++) {
		const char *type = kc_yaml_scalar(kc_yaml_get(d, yaml_document_get_node(d, *it), "type"));
		if (type)
			kc_buf_printf(&b, "%s%s", b.len ? "," : "", type);
	}
	kc_result_add_config(r, path, "authorizers[].type", b.ptr, kc_yaml_line(list), "config-file",
			     "the authorization chain of --authorization-config (replaces --authorization-mode)");
	*value = kc_buf_detach(&b);
	return 1;
}

static void eval_flag(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	const struct kc_component *c = need_component(node, t, o);
	if (!c)
		return;
	const struct kc_config_key *key = NULL;
	if (flag_ignored(c, t->flag, r, &key)) {
		eval_config_governed(node, c, t, key, r, o);
		return;
	}
	if (c->id == KC_COMP_APISERVER) {
		char *sv;
		int rc = apiserver_structured(node, c, t->flag, r, o, &sv);
		if (rc < 0)
			return;
		if (rc == 1) {
			struct kc_buf what = KC_BUF_INIT;
			kc_buf_printf(&what, "--%s", t->flag);
			judge_value(o, t, what.ptr, sv, 0);
			kc_buf_clear(&what);
			free(sv);
			return;
		}
	}
	const char *v = kc_flags_value(&c->flags, t->flag);
	int from_default = 0;
	add_component_evidence(r, c, t->flag, v);
	if (!v && t->defval && t->op != KC_OP_PRESENT) {
		v = t->defval;
		from_default = 1;
		struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_DEFAULT);
		ev->key = kc_strdup(t->flag);
		ev->value = kc_strdup(t->defval);
		ev->layer = kc_strdup("default");
		ev->detail = kc_strdup("not set: the component's default applies");
	}
	struct kc_buf what = KC_BUF_INIT;
	kc_buf_printf(&what, "--%s", t->flag);
	judge_value(o, t, what.ptr, v, from_default);
	kc_buf_clear(&what);
}

/* A flag the component ignores because --config is set: the file decides, else the file
 * format's default, else the policy's. */
static void eval_config_governed(struct kc_node *node, const struct kc_component *c, const struct kc_test *t,
				 const struct kc_config_key *key, struct kc_result *r, struct outcome *o)
{
	struct kc_buf what = KC_BUF_INIT;
	kc_buf_printf(&what, "--%s", t->flag);
	if (!key || !key->key) {
		o->status = KC_WARN;
		kc_buf_printf(&o->reason, "%s runs with --config, which replaces --%s; the key that does is not known", c->name,
			      t->flag);
		kc_buf_clear(&what);
		return;
	}
	char *owned = NULL;
	if (component_config_value(node, c, key->key, r, o, &owned) < 0) {
		kc_buf_clear(&what);
		return;
	}
	const char *v = owned;
	int from_default = 0;
	if (!v && t->op != KC_OP_PRESENT && (key->defval || t->defval)) {
		v = key->defval ? key->defval : t->defval;
		from_default = 1;
		struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_DEFAULT);
		ev->key = kc_strdup(key->key);
		ev->value = kc_strdup(v);
		ev->layer = kc_strdup("default");
		ev->detail = kc_strdup("unset in the --config file: the configuration format's default applies");
	}
	kc_result_note(r, "%s: --%s is ignored with --config; %s decides", c->name, t->flag, key->key);
	judge_value(o, t, what.ptr, v, from_default);
	free(owned);
	kc_buf_clear(&what);
}

static void eval_env(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	const struct kc_component *c = need_component(node, t, o);
	if (!c)
		return;
	const char *v = NULL;
	size_t klen = strlen(t->flag);
	for (char **e = c->env; e && *e; e++)
		if (strncmp(*e, t->flag, klen) == 0 && (*e)[klen] == '=')
			v = *e + klen + 1;
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_CONFIG);
	ev->source = kc_strdup(c->source_path);
	ev->pid = c->pid;
	ev->layer = kc_strdup("environment");
	ev->key = kc_strdup(t->flag);
	ev->value = v ? kc_redact_value(t->flag, v) : NULL;
	int from_default = 0;
	if (!v && t->defval && t->op != KC_OP_PRESENT) {
		v = t->defval;
		from_default = 1;
	}
	judge_value(o, t, t->flag, v, from_default);
}

/* Value at a dotted key: scalars as text; a mapping gives its keys and a sequence its
 * scalar items, comma-joined, so "has"/"regex" can test lists and provider names. */
static char *yaml_value(yaml_document_t *d, yaml_node_t *root, const char *key, long *line)
{
	yaml_node_t *n = kc_yaml_path(d, root, key);
	if (!n)
		return NULL;
	*line = kc_yaml_line(n);
	if (n->type == YAML_SCALAR_NODE)
		return kc_strdup(kc_yaml_scalar(n));
	struct kc_buf b = KC_BUF_INIT;
	if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
			const char *k = kc_yaml_scalar(yaml_document_get_node(d, pr->key));
			if (k) {
				if (b.len)
					kc_buf_putc(&b, ',');
				kc_buf_puts(&b, k);
			}
		}
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			const char *s = kc_yaml_scalar(yaml_document_get_node(d, *it));
			if (s) {
				if (b.len)
					kc_buf_putc(&b, ',');
				kc_buf_puts(&b, s);
			}
		}
	}
	return kc_buf_detach(&b);
}


/* The value of key in component c's --config file, read as the process sees the file
 * (checks/node.h kc_node_component_yaml) and typed as sigs.k8s.io/yaml types it. Returns 0
 * (*value NULL when unset or null), or -1 with o set to ERROR when the file named by --config
 * cannot be read or parsed — the component would not start, so nothing here is decided. */
static int component_config_value(struct kc_node *node, const struct kc_component *c, const char *key,
				  struct kc_result *r, struct outcome *o, char **value)
{
	*value = NULL;
	const char *path = kc_flags_value(&c->flags, "config");
	const char *view = "host";
	const struct kc_yamlfile *yf = kc_node_component_yaml(node, c, path, &view);
	const char *layer = strcmp(view, "host") == 0 ? "config-file" : "config-file (process root)";
	if (yf->err == KC_EINVAL || yf->errmsg) {
		kc_result_add_config(r, path, key, NULL, 0, layer, yf->err == KC_EINVAL ? "cannot be parsed" : "cannot be read");
		o->status = KC_ERROR;
		kc_buf_printf(&o->reason, "%s", yf->errmsg);
		return -1;
	}
	if (yf->err) {
		kc_result_add_config(r, path, key, NULL, 0, layer,
				     yf->err == -ENOENT ? "not found under --root nor in the process's root" : "cannot be read");
		o->status = KC_ERROR;
		kc_buf_printf(&o->reason, "%s's --config %s: %s", c->name, path, strerror(-yf->err));
		return -1;
	}
	long line = 0;
	yaml_document_t *d = yf->y.ndocs ? &((struct kc_yamlfile *)yf)->y.docs[0] : NULL;
	yaml_node_t *n = d ? kc_yaml_path(d, yaml_document_get_root_node(d), key) : NULL;
	if (n && !kc_yaml_is_null(n)) {
		*value = n->type == YAML_SCALAR_NODE ? kc_yaml_canon(n) : yaml_value(d, yaml_document_get_root_node(d), key, &line);
		line = kc_yaml_line(n);
	}
	struct kc_buf detail = KC_BUF_INIT;
	kc_buf_printf(&detail, "%s in the config file%s%s", *value ? "set" : "not set",
		      strcmp(view, "host") == 0 ? "" : ", read through the process's root: ",
		      strcmp(view, "host") == 0 ? "" : yf->y.name);
	kc_result_add_config(r, path, key, *value, line, layer, detail.ptr);
	kc_buf_clear(&detail);
	return 0;
}

/* With --config, kube-proxy and kube-scheduler ignore some flags (checks/compconfig.h):
 * evidence says so. Returns 1 when flag is ignored; *key gets the config key replacing it. */
static int flag_ignored(const struct kc_component *c, const char *flag, struct kc_result *r,
			const struct kc_config_key **key)
{
	const char *cfg = c ? kc_flags_value(&c->flags, "config") : NULL;
	if (!cfg || !*cfg || !kc_config_ignores_flag(c->name, flag, key))
		return 0;
	const char *v = kc_flags_value(&c->flags, flag);
	if (v) {
		struct kc_buf k = KC_BUF_INIT;
		kc_buf_printf(&k, "--%s", flag);
		kc_result_add_config(r, c->source_path, k.ptr, kc_flag_is_secret(flag) ? KC_REDACTED : v, 0,
				     layer_name(c->source), "ignored: the component reads this setting from its --config file");
		kc_buf_clear(&k);
	}
	return 1;
}

/* The kubelet resolves its settings in layers (checks/kubelet.h); its built-in defaults
 * depend on whether a config file is in use, so they win over the policy's default. */
static void eval_kubelet_setting(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	struct kc_kubelet_value v;
	struct kc_buf what = KC_BUF_INIT;
	if (t->flag)
		kc_buf_printf(&what, "--%s", t->flag);
	else
		kc_buf_puts(&what, t->config_key);
	const struct kc_component *kc = kc_node_component(node, KC_COMP_KUBELET);
	if ((!kc || kc->source == KC_SRC_NONE) && !kc_kubelet_config_path(node)) {
		o->status = KC_WARN;
		kc_buf_puts(&o->reason, "kubelet not found on this node (no process, unit or config file)");
		kc_buf_clear(&what);
		return;
	}
	int rc = kc_kubelet_resolve(node, t->flag, t->config_key, t->op != KC_OP_PRESENT, &v, r);
	if (rc < 0) {
		/* a missing --config file is undecidable (WARN); one that cannot be read or parsed
		 * is an ERROR */
		o->status = rc == KC_ENOTFOUND ? KC_WARN : KC_ERROR;
		kc_buf_puts(&o->reason, kc_error_last());
	} else {
		const char *val = v.value;
		int from_default = v.layer && strcmp(v.layer, "default") == 0;
		if (!val && t->defval && t->op != KC_OP_PRESENT) {
			val = t->defval;
			from_default = 1;
			struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_DEFAULT);
			ev->key = kc_strdup(what.ptr);
			ev->value = kc_strdup(val);
			ev->layer = kc_strdup("default");
			ev->detail = kc_strdup("set by no layer: the benchmark's stated default applies");
		}
		judge_value(o, t, what.ptr, val, from_default);
	}
	kc_buf_clear(&what);
	kc_kubelet_value_clear(&v);
}

/* A command-line flag beats the component's --config file, which beats the default (the
 * kubelet's own layering lives in checks/kubelet.c). */
static void eval_setting(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	if (strcmp(t->component, "kubelet") == 0) {
		eval_kubelet_setting(node, t, r, o);
		return;
	}
	const struct kc_component *c = kc_node_component_by_name(node, t->component);
	if (!c || c->source == KC_SRC_NONE) {
		/* a component that is not there has no settings: a verdict from defaults would
		 * judge a process that does not run */
		o->status = KC_WARN;
		kc_buf_printf(&o->reason, "%s not found on this node (no process, static pod manifest or unit)", t->component);
		return;
	}
	const char *v = NULL;
	char *owned = NULL;
	const char *decided = NULL;
	struct kc_buf what = KC_BUF_INIT;
	if (t->flag)
		kc_buf_printf(&what, "--%s", t->flag);
	else
		kc_buf_puts(&what, t->config_key);

	const struct kc_config_key *ck = NULL;
	int ignored = c && c->source != KC_SRC_NONE && t->flag && flag_ignored(c, t->flag, r, &ck);
	if (c && c->source != KC_SRC_NONE && t->flag && !ignored) {
		v = kc_flags_value(&c->flags, t->flag);
		add_component_evidence(r, c, t->flag, v);
		if (v)
			decided = layer_name(c->source);
	}
	const char *config_key = t->config_key ? t->config_key : (ck ? ck->key : NULL);
	const char *cfg = c && c->source != KC_SRC_NONE ? kc_flags_value(&c->flags, "config") : NULL;
	if (!decided && config_key && cfg && *cfg) {
		/* the kubelet, whose layers differ, went to eval_kubelet_setting */
		if (component_config_value(node, c, config_key, r, o, &owned) < 0)
			goto out;
		if (owned) {
			v = owned;
			decided = "config-file";
		} else if (ck && ck->defval && t->op != KC_OP_PRESENT) {
			/* unset in the file: the file format's default, not the flag's */
			v = ck->defval;
			decided = "default";
			struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_DEFAULT);
			ev->key = kc_strdup(config_key);
			ev->value = kc_strdup(v);
			ev->layer = kc_strdup("default");
			ev->detail = kc_strdup("unset in the --config file: the configuration format's default applies");
		}
	}
	int from_default = decided && strcmp(decided, "default") == 0;
	if (!decided && t->defval && t->op != KC_OP_PRESENT) {
		v = t->defval;
		from_default = 1;
		decided = "default";
		struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_DEFAULT);
		ev->key = kc_strdup(what.ptr);
		ev->value = kc_strdup(v);
		ev->layer = kc_strdup("default");
		ev->detail = kc_strdup("set by neither flag nor config file: the built-in default applies");
	}
	kc_result_note(r, "%s decided by the %s layer", what.ptr, decided ? decided : "none (unset)");
	judge_value(o, t, what.ptr, v, from_default);
out:
	free(owned);
	kc_buf_clear(&what);
}

/* The file a test names: the component's flag when set, else the path written in the policy. */
static const char *file_path(struct kc_node *node, const struct kc_test *t, struct kc_result *r)
{
	if (t->flag && strcmp(t->component, "kubelet") == 0 && kc_kubelet_config_key(t->flag)) {
		/* the kubelet names some files in its config (authentication.x509.clientCAFile):
		 * follow the layer that decides, not only the command line */
		struct kc_kubelet_value v;
		if (kc_kubelet_resolve(node, t->flag, NULL, 0, &v, NULL) == 0 && v.value && v.value[0] == '/') {
			struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_CONFIG);
			ev->source = kc_strdup(v.source);
			ev->key = kc_strdup(t->flag);
			ev->value = kc_strdup(v.value);
			ev->line = v.line;
			ev->layer = kc_strdup(v.layer);
			ev->detail = kc_strdup("the file the kubelet is configured to use");
			/* the value lives in the node's caches (yaml text is owned by v) */
			const char *path = kc_node_file(node, v.value)->path;
			kc_kubelet_value_clear(&v);
			return path;
		}
		kc_kubelet_value_clear(&v);
		return t->path;
	}
	if (t->flag) {
		const struct kc_component *c = kc_node_component_by_name(node, t->component);
		const struct kc_config_key *key = NULL;
		if (c && c->source != KC_SRC_NONE && flag_ignored(c, t->flag, r, &key) && key && key->key) {
			/* kube-scheduler/kube-proxy with --config: clientConnection.kubeconfig names
			 * the kubeconfig in use, not the ignored --kubeconfig */
			struct outcome tmp;
			outcome_init(&tmp);
			char *cv = NULL;
			const char *path = t->path;
			if (component_config_value(node, c, key->key, r, &tmp, &cv) == 0 && cv && cv[0] == '/')
				path = kc_node_file(node, cv)->path;
			else if (tmp.reason.len)
				kc_result_note(r, "%s", tmp.reason.ptr);
			free(cv);
			outcome_clear(&tmp);
			return path;
		}
		const char *v = c && c->source != KC_SRC_NONE ? kc_flags_value(&c->flags, t->flag) : NULL;
		if (v && v[0] == '/') {
			struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_CONFIG);
			ev->source = kc_strdup(c->source_path);
			struct kc_buf k = KC_BUF_INIT;
			kc_buf_printf(&k, "--%s", t->flag);
			ev->key = kc_buf_detach(&k);
			ev->value = kc_strdup(v);
			ev->layer = kc_strdup(layer_name(c->source));
			ev->detail = kc_strdup("the file this component is configured to use");
			return v;
		}
	}
	return t->path;
}

static void add_file_evidence(struct kc_node *node, struct kc_result *r, const struct kc_filefact *f)
{
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_FILE);
	ev->source = kc_strdup(f->path);
	if (f->err) {
		ev->detail = kc_strdup(strerror(f->err));
		return;
	}
	char ub[16], gb[16];
	ev->has_stat = 1;
	ev->mode = f->mode;
	ev->owner = kc_strdup(kc_node_user_name(node, f->uid, ub));
	ev->group = kc_strdup(kc_node_group_name(node, f->gid, gb));
	if (f->sha256[0])
		ev->sha256 = kc_strdup(f->sha256);
	if (f->is_symlink) {
		struct kc_buf d = KC_BUF_INIT;
		const char *lt = f->link_target ? f->link_target : "?";
		if (f->link_err == 0)
			kc_buf_printf(&d, "symlink to %s, resolved inside --root to %s: mode and owner are the target's", lt,
				      f->resolved);
		else if (f->link_err == ENOENT)
			kc_buf_printf(&d, "symlink to %s: dangling (%s does not exist under --root)", lt, f->resolved);
		else if (f->link_err == EXDEV)
			kc_buf_printf(&d, "symlink to %s: leaves --root, not followed", lt);
		else
			kc_buf_printf(&d, "symlink to %s: %s", lt, strerror(f->link_err));
		ev->detail = kc_buf_detach(&d);
	}
}

/* A symlink is judged on its target, resolved inside --root; a link that cannot be followed
 * is a result of its own, never a PASS. Returns KC_PASS when the link (if any) resolved. */
static enum kc_status judge_link(const struct kc_filefact *f, struct kc_buf *actual)
{
	if (!f->is_symlink || f->link_err == 0)
		return KC_PASS;
	const char *lt = f->link_target ? f->link_target : "?";
	if (f->link_err == ENOENT) {
		kc_buf_printf(actual, "%s is a symlink to %s, which does not exist under --root (dangling)", f->path, lt);
		return KC_WARN;
	}
	if (f->link_err == EXDEV)
		kc_buf_printf(actual, "%s is a symlink to %s, which leaves --root: not followed", f->path, lt);
	else
		kc_buf_printf(actual, "%s is a symlink to %s that cannot be resolved: %s", f->path, lt, strerror(f->link_err));
	return KC_ERROR;
}

/* "/etc/kubernetes/admin.conf" or "/etc/kubernetes/admin.conf (a symlink to /srv/admin.conf)" */
static void file_name(const struct kc_filefact *f, struct kc_buf *b)
{
	kc_buf_puts(b, f->path);
	if (f->is_symlink)
		kc_buf_printf(b, " (a symlink to %s)", f->resolved);
}

/* Judges one existing file; returns PASS/FAIL and appends a phrase to actual. */
static enum kc_status judge_file(struct kc_node *node, const struct kc_test *t, const struct kc_filefact *f,
				 struct kc_buf *actual)
{
	if (t->op == KC_OP_PRESENT) {
		int want = strcmp(t->value, "true") == 0;
		kc_buf_printf(actual, "%s exists", f->path);
		return want ? KC_PASS : KC_FAIL;
	}
	enum kc_status ls = judge_link(f, actual);
	if (ls != KC_PASS)
		return ls;
	/* a file test names one file (or the directory the policy says it is): a FIFO, a device
	 * or a directory in a kubeconfig's place is not a compliant kubeconfig, whatever its mode */
	if (t->fact == KC_FACT_FILE && (t->want_dir ? !S_ISDIR(f->mode) : !S_ISREG(f->mode))) {
		file_name(f, actual);
		kc_buf_printf(actual, " is %s, expected %s", kc_file_type_name(f->mode),
			      t->want_dir ? "a directory" : "a regular file");
		return KC_FAIL;
	}
	if (t->op == KC_OP_MODE_MAX) {
		unsigned perm = f->mode & 07777;
		file_name(f, actual);
		kc_buf_printf(actual, " has mode %03o", perm);
		return (perm & ~t->mode) == 0 ? KC_PASS : KC_FAIL;
	}
	if (t->op == KC_OP_OWNER) {
		char ub[16], gb[16];
		const char *u = kc_node_user_name(node, f->uid, ub), *g = kc_node_group_name(node, f->gid, gb);
		/* id 0 is root whatever the tree's /etc/passwd says (or when it has none): the
		 * kernel grants root by id, not by name */
		if (f->uid == 0)
			u = "root";
		if (f->gid == 0)
			g = "root";
		file_name(f, actual);
		kc_buf_printf(actual, " is owned by %s:%s", u, g);
		const char *colon = strchr(t->value, ':');
		size_t ul = colon ? (size_t)(colon - t->value) : strlen(t->value);
		int ok = strlen(u) == ul && strncmp(u, t->value, ul) == 0;
		if (ok && colon)
			ok = strcmp(g, colon + 1) == 0;
		return ok ? KC_PASS : KC_FAIL;
	}
	kc_buf_printf(actual, "%s exists", f->path);
	return KC_PASS;
}

static void file_expected(const struct kc_test *t, const char *path, struct kc_buf *b)
{
	if (t->op == KC_OP_MODE_MAX)
		kc_buf_printf(b, "%s has mode %03o or more restrictive", path, t->mode);
	else if (t->op == KC_OP_OWNER)
		kc_buf_printf(b, "%s is owned by %s", path, t->value);
	else if (t->op == KC_OP_PRESENT)
		kc_buf_printf(b, "%s %s", path, strcmp(t->value, "true") == 0 ? "exists" : "does not exist");
	else
		kc_buf_printf(b, "%s", path);
}

/* The unit's files in effect — the unit file found first on systemd's search path and every
 * drop-in applied (checks/systemd.h) — judged each; a masked unit is not in effect. Without
 * any, the policy's path. Returns 1 when decided here. */
static int eval_unit_files(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	struct kc_unit u;
	int rc = kc_unit_load(node->root, t->unit, &u);
	if (u.masked_by) {
		o->status = KC_WARN;
		kc_buf_printf(&o->expected, "the files of %s in effect", t->unit);
		kc_buf_printf(&o->reason, "%s is masked (%s links to /dev/null): systemd does not start it", t->unit, u.masked_by);
		kc_unit_clear(&u);
		return 1;
	}
	if (rc < 0) {
		kc_unit_clear(&u);
		return 0;
	}
	struct kc_buf what = KC_BUF_INIT;
	kc_buf_printf(&what, "every file of %s in effect", t->unit);
	file_expected(t, what.ptr, &o->expected);
	kc_buf_clear(&what);
	size_t nfiles = 0, failed = 0;
	for (size_t i = 0; i < u.ndropins + 1; i++) {
		const char *p = i == 0 ? u.path : u.dropins[i - 1];
		if (!p)
			continue;
		const struct kc_filefact *f = kc_node_file(node, p);
		add_file_evidence(node, r, f);
		if (f->err) {
			o->status = KC_ERROR;
			kc_buf_printf(&o->reason, "%s: %s", p, strerror(f->err));
			kc_unit_clear(&u);
			return 1;
		}
		nfiles++;
		struct kc_buf phrase = KC_BUF_INIT;
		if (judge_file(node, t, f, &phrase) != KC_PASS) {
			failed++;
			kc_buf_printf(&o->actual, "%s%s", o->actual.len ? "; " : "", phrase.ptr);
		}
		kc_buf_clear(&phrase);
	}
	kc_result_note(r, "%s: %zu file(s) in effect on systemd's search path (unit file and drop-ins)", t->unit, nfiles);
	o->status = failed ? KC_FAIL : KC_PASS;
	if (!failed)
		kc_buf_printf(&o->actual, "all %zu files of %s comply", nfiles, t->unit);
	kc_unit_clear(&u);
	return 1;
}

static void eval_file(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	if (t->unit && eval_unit_files(node, t, r, o))
		return;
	const char *path = file_path(node, t, r);
	if (!path) {
		o->status = KC_WARN;
		kc_buf_printf(&o->reason, "the file is named by %s --%s, which is not set, and the policy gives no default path",
			      t->component, t->flag);
		return;
	}
	const struct kc_filefact *f = kc_node_file(node, path);
	add_file_evidence(node, r, f);
	file_expected(t, path, &o->expected);
	if (f->err == ENOENT) {
		kc_buf_printf(&o->actual, "%s does not exist", path);
		if (t->op == KC_OP_PRESENT) {
			o->status = strcmp(t->value, "false") == 0 ? KC_PASS : KC_FAIL;
			return;
		}
		o->status = t->missing;
		if (t->missing != KC_PASS && t->missing != KC_FAIL)
			kc_buf_printf(&o->reason, "%s does not exist", path);
		return;
	}
	if (f->err) {
		o->status = KC_ERROR;
		kc_buf_printf(&o->reason, "%s: %s", path, strerror(f->err));
		return;
	}
	o->status = judge_file(node, t, f, &o->actual);
	if (o->status != KC_PASS && o->status != KC_FAIL)
		kc_buf_puts(&o->reason, o->actual.ptr);
}

struct walk {
	struct kc_node *node;
	const struct kc_test *t;
	struct kc_result *r;
	struct outcome *o;
	size_t matched, failed;
	int depth;
	int list_err;      /* the first directory that could not be listed: the walk is incomplete */
	char *list_path;
};

static void walk_dir(struct walk *w, const char *dir)
{
	char **names;
	size_t n;
	int rc = kc_root_list_dir(w->node->root, dir, NULL, 0, &names, &n);
	if (rc < 0) {
		/* an unread directory is not an empty one: "no entry matches" would be a PASS on
		 * files nobody looked at */
		if (!w->list_err) {
			w->list_err = -rc;
			w->list_path = kc_strdup(dir);
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		const struct kc_filefact *f = kc_node_file(w->node, p.ptr);
		int is_dir = f->err == 0 && S_ISDIR(f->mode);
		int match = (!w->t->glob || fnmatch(w->t->glob, names[i], 0) == 0) && !(is_dir && w->t->only_files);
		if (match && f->err == 0) {
			w->matched++;
			struct kc_buf phrase = KC_BUF_INIT;
			enum kc_status st = judge_file(w->node, w->t, f, &phrase);
			if (st != KC_PASS) {
				w->failed++;
				if (w->o->actual.len)
					kc_buf_puts(&w->o->actual, "; ");
				kc_buf_add(&w->o->actual, phrase.ptr, phrase.len);
			}
			add_file_evidence(w->node, w->r, f);
			kc_buf_clear(&phrase);
		}
		/* symlinked directories are not entered: they could lead anywhere in the tree */
		if (is_dir && !f->is_symlink && w->t->recursive && w->depth < 16) {
			w->depth++;
			walk_dir(w, p.ptr);
			w->depth--;
		}
		kc_buf_clear(&p);
	}
	kc_strv_free(names, n);
}

static void eval_files(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	const struct kc_filefact *d = kc_node_file(node, t->dir);
	struct kc_buf what = KC_BUF_INIT;
	kc_buf_printf(&what, "every %s under %s", t->glob ? t->glob : "entry", t->dir);
	file_expected(t, what.ptr, &o->expected);
	kc_buf_clear(&what);
	if (d->err == ENOENT) {
		o->status = t->missing;
		kc_buf_printf(&o->actual, "%s does not exist", t->dir);
		if (t->missing != KC_PASS && t->missing != KC_FAIL)
			kc_buf_printf(&o->reason, "%s does not exist", t->dir);
		return;
	}
	struct kc_buf link = KC_BUF_INIT;
	enum kc_status ls = d->err ? KC_PASS : judge_link(d, &link);
	if (ls != KC_PASS) {
		/* the directory is a symlink that cannot be followed inside --root */
		o->status = ls;
		kc_buf_puts(&o->reason, link.ptr);
		kc_buf_clear(&link);
		return;
	}
	kc_buf_clear(&link);
	if (d->err || !S_ISDIR(d->mode)) {
		o->status = KC_ERROR;
		kc_buf_printf(&o->reason, "%s: %s", t->dir, d->err ? strerror(d->err) : "not a directory");
		return;
	}
	struct walk w = { node, t, r, o, 0, 0, 0, 0, NULL };
	walk_dir(&w, t->dir);
	if (w.list_err) {
		o->status = KC_ERROR;
		kc_buf_printf(&o->reason, "cannot list %s: %s; the entries under it were not checked", w.list_path,
			      strerror(w.list_err));
		free(w.list_path);
		return;
	}
	if (w.failed) {
		o->status = KC_FAIL;
		return;
	}
	o->status = KC_PASS;
	if (w.matched)
		kc_buf_printf(&o->actual, "all %zu matching entries under %s comply", w.matched, t->dir);
	else
		kc_buf_printf(&o->actual, "no entry under %s matches", t->dir);
}

static void eval_content(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	const char *path = file_path(node, t, r);
	struct kc_buf what = KC_BUF_INIT;
	if (!path) {
		o->status = t->missing == KC_FAIL ? KC_FAIL : t->missing;
		kc_buf_printf(&o->expected, "%s --%s names a file with %s", t->component, t->flag, t->config_key);
		kc_buf_printf(&o->actual, "%s --%s is not set", t->component, t->flag);
		if (o->status != KC_PASS && o->status != KC_FAIL)
			kc_buf_printf(&o->reason, "%s --%s is not set", t->component, t->flag);
		return;
	}
	const struct kc_yamlfile *yf = kc_node_yaml(node, path);
	kc_buf_printf(&what, "%s in %s", t->config_key, path);
	if (yf->err == -ENOENT) {
		o->status = t->missing;
		kc_buf_printf(&o->expected, "%s", what.ptr);
		kc_buf_printf(&o->actual, "%s does not exist", path);
		if (t->missing != KC_PASS && t->missing != KC_FAIL)
			kc_buf_printf(&o->reason, "%s does not exist", path);
		kc_buf_clear(&what);
		return;
	}
	if (yf->err) {
		o->status = KC_ERROR;
		kc_buf_printf(&o->reason, "%s", yf->errmsg ? yf->errmsg : strerror(-yf->err));
		kc_buf_clear(&what);
		return;
	}
	long line = 0;
	char *v = NULL;
	for (size_t i = 0; i < yf->y.ndocs && !v; i++) {
		yaml_document_t *doc = &((struct kc_yamlfile *)yf)->y.docs[i];
		v = yaml_value(doc, yaml_document_get_root_node(doc), t->config_key, &line);
	}
	kc_result_add_config(r, path, t->config_key, v, line, "file-content", v ? "read from the file" : "key not present");
	int from_default = 0;
	const char *val = v;
	if (!v && t->defval && t->op != KC_OP_PRESENT) {
		val = t->defval;
		from_default = 1;
	}
	judge_value(o, t, what.ptr, val, from_default);
	free(v);
	kc_buf_clear(&what);
}

static void eval_query(struct kc_node *node, const struct kc_engine_opts *opts, const struct kc_check *c,
		       const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	struct kc_nodequery_out nq;
	if (kc_nodequery_run(node, t, r, &nq)) {
		if (nq.undecided) {
			o->status = nq.status;
			kc_buf_printf(&o->expected, "%s %s %s", nq.what, op_phrase(t->op), t->value ? t->value : "");
			kc_buf_puts(&o->actual, nq.reason);
			if (nq.status != KC_PASS && nq.status != KC_FAIL)
				kc_buf_puts(&o->reason, nq.reason);
		} else {
			const char *v = nq.value;
			int from_default = nq.from_default;
			if (!v && t->defval && t->op != KC_OP_PRESENT) {
				v = t->defval;
				from_default = 1;
			}
			judge_value(o, t, nq.what, v, from_default);
		}
		kc_nodequery_out_clear(&nq);
		return;
	}
	for (size_t i = 0; i < opts->nproviders; i++) {
		const struct kc_query_provider *p = &opts->providers[i];
		if (strncmp(t->query, p->prefix, strlen(p->prefix)) != 0)
			continue;
		enum kc_status st = KC_ERROR;
		kc_error_clear();
		if (p->fn(p->ctx, c, t, r, &st) < 0) {
			o->status = KC_ERROR;
			kc_buf_puts(&o->reason, kc_error_last());
		} else {
			o->status = st;
		}
		return;
	}
	o->status = KC_ERROR;
	kc_buf_printf(&o->reason, "no evaluator for query '%s'", t->query);
}

/* The component whose command line a test reads, if any. */
static const struct kc_component *test_component(struct kc_node *node, const struct kc_test *t)
{
	if (t->component)
		return kc_node_component_by_name(node, t->component);
	if (t->fact != KC_FACT_QUERY || !t->query)
		return NULL;
	static const struct { const char *prefix; enum kc_component_id id; } q[] = {
		{ "apiserver.", KC_COMP_APISERVER }, { "etcd.", KC_COMP_ETCD }, { "kubelet.feature_gate.", KC_COMP_KUBELET },
	};
	for (size_t i = 0; i < sizeof(q) / sizeof(*q); i++)
		if (strncmp(t->query, q[i].prefix, strlen(q[i].prefix)) == 0)
			return kc_node_component(node, q[i].id);
	return NULL;
}

static void eval_test(struct kc_node *node, const struct kc_engine_opts *opts, const struct kc_check *c,
		      const struct kc_test *t, struct kc_result *r, struct outcome *o)
{
	const struct kc_component *comp = test_component(node, t);
	if (comp && comp->cmdline_cut) {
		/* a flag after the cut would decide: "not set" is not known, so nothing is decided */
		o->status = KC_WARN;
		kc_buf_printf(&o->reason, "the command line or environment of %s (pid %ld) is too long to read whole; "
			      "its flags cannot be decided", comp->name, comp->pid);
		kc_result_note(r, "%s: %s", comp->source_path, o->reason.ptr);
		return;
	}
	if (comp && comp->flags_error) {
		/* k3s's config file does not parse: its components' flags are not known */
		o->status = KC_ERROR;
		kc_buf_printf(&o->reason, "the flags k3s gives %s cannot be known: %s", comp->name, comp->flags_error);
		return;
	}
	switch (t->fact) {
	case KC_FACT_FLAG: eval_flag(node, t, r, o); break;
	case KC_FACT_SETTING: eval_setting(node, t, r, o); break;
	case KC_FACT_ENV: eval_env(node, t, r, o); break;
	case KC_FACT_FILE: eval_file(node, t, r, o); break;
	case KC_FACT_FILES: eval_files(node, t, r, o); break;
	case KC_FACT_CONTENT: eval_content(node, t, r, o); break;
	case KC_FACT_QUERY: eval_query(node, opts, c, t, r, o); break;
	default:
		o->status = KC_ERROR;
		kc_buf_puts(&o->reason, "unknown fact");
	}
}

/* all: the worst outcome decides (ERROR > FAIL > WARN > SKIP > PASS);
 * any: one PASS is enough, else the worst. */
static int badness(enum kc_status s)
{
	static const int rank[KC_STATUS_COUNT] = { [KC_PASS] = 0, [KC_SKIP] = 1, [KC_WARN] = 2, [KC_FAIL] = 3, [KC_ERROR] = 4 };
	return rank[s];
}

/* Is seg already one of the sep-separated parts of list? */
static int has_segment(const char *list, const char *seg, const char *sep)
{
	size_t sl = strlen(seg), pl = strlen(sep);
	for (const char *p = list; p;) {
		const char *next = strstr(p, sep);
		size_t len = next ? (size_t)(next - p) : strlen(p);
		if (len == sl && strncmp(p, seg, sl) == 0)
			return 1;
		p = next ? next + pl : NULL;
	}
	return 0;
}

static void join_into(char **dst, const struct kc_buf *src, const char *sep)
{
	if (!src->len)
		return;
	if (!*dst) {
		*dst = kc_strdup(src->ptr);
		return;
	}
	/* two tests on one fact say the same sentence once ("X is not set or X is not set") */
	if (has_segment(*dst, src->ptr, sep))
		return;
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s%s%s", *dst, sep, src->ptr);
	free(*dst);
	*dst = kc_buf_detach(&b);
}

static void eval_check(struct kc_node *node, const struct kc_engine_opts *opts, const struct kc_check *c,
		       struct kc_result *r)
{
	int manual = strcmp(c->type, "manual") == 0;
	if (c->ntests == 0) {
		r->status = KC_WARN;
		kc_result_set_reason(r, "manual check: %s", c->manual);
		kc_result_note(r, "%s", c->manual);
		return;
	}
	enum kc_status worst = KC_PASS;
	int any_pass = 0, any_informative = 0;
	const char *sep = c->match_any ? " or " : "; ";
	for (size_t i = 0; i < c->ntests; i++) {
		const struct kc_test *t = &c->tests[i];
		struct outcome o;
		outcome_init(&o);
		eval_test(node, opts, c, t, r, &o);
		if (t->op == KC_OP_NONE && t->fact != KC_FACT_QUERY) {
			/* a manual test names the fact to look at; its value is evidence only */
			o.status = KC_WARN;
			any_informative = 1;
		}
		join_into(&r->expected, &o.expected, sep);
		join_into(&r->actual, &o.actual, sep);
		join_into(&r->reason, &o.reason, "; ");
		if (o.status == KC_PASS)
			any_pass = 1;
		if (badness(o.status) > badness(worst))
			worst = o.status;
		outcome_clear(&o);
	}
	r->status = c->match_any && any_pass ? KC_PASS : worst;
	if (r->status == KC_PASS || r->status == KC_FAIL) {
		free(r->reason);
		r->reason = NULL;
	}
	if (manual) {
		if (r->status == KC_WARN && c->manual) {
			free(r->reason);
			r->reason = kc_strdup(c->manual);
		} else if (!any_informative && (r->status == KC_PASS || r->status == KC_FAIL)) {
			kc_result_note(r, "The benchmark marks this check manual; kubecomply decided it from the node's own "
				       "files.%s%s", c->manual ? " " : "", c->manual ? c->manual : "");
		}
	}
}

static int target_listed(const char *targets, const char *target)
{
	if (!targets || !*targets)
		return 1;
	size_t tl = strlen(target);
	for (const char *p = targets; *p;) {
		while (*p == ',' || *p == ' ')
			p++;
		size_t len = strcspn(p, ",");
		if (len == tl && strncmp(p, target, tl) == 0)
			return 1;
		p += len;
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int kc_engine_run(const struct kc_policy_set *set, struct kc_node *node, const struct kc_engine_opts *opts,
		  struct kc_run *run)
{
	kc_node_load(node);
	for (size_t i = 0; i < set->nchecks; i++) {
		const struct kc_check *c = &set->checks[i];
		if (!kc_check_selected(c, opts->include, opts->exclude) || !target_listed(opts->targets, c->target))
			continue;
		double t0 = now_ms();
		struct kc_result *r = kc_run_add_result(run);
		r->id = kc_strdup(c->id);
		r->title = kc_strdup(c->title);
		r->section = kc_strdup(c->section);
		r->section_title = kc_strdup(c->section_title);
		r->target = kc_strdup(c->target);
		r->type = kc_strdup(c->type);
		r->level = c->level;
		r->scored = c->scored;
		r->severity = c->severity;
		r->remediation = kc_strdup(c->remediation);
		const char *why = NULL;
		int present;
		if (strcmp(c->target, "policies") == 0) {
			present = opts->nproviders > 0;
			why = present ? "" : "no source of cluster objects (--kubeconfig, --in-cluster or --manifests)";
		} else {
			present = kc_node_has_target(node, c->target, &why);
		}
		if (!present) {
			r->status = KC_SKIP;
			kc_result_set_reason(r, "%s", why);
		} else {
			eval_check(node, opts, c, r);
		}
		r->duration_ms = now_ms() - t0;
	}
	return 0;
}
