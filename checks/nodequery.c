#include "checks/nodequery.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checks/kubelet.h"
#include "checks/systemd.h"
#include "common/error.h"
#include "common/govalue.h"
#include "common/redact.h"
#include "common/strbuf.h"

/* Admission plugins kube-apiserver enables when --enable-admission-plugins does not name
 * them (kube-apiserver --help, releases 1.28 to 1.33). */
static const char *const default_admission[] = {
	"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "TaintNodesByCondition", "PodSecurity",
	"Priority", "DefaultTolerationSeconds", "DefaultStorageClass", "StorageObjectInUseProtection",
	"PersistentVolumeClaimResize", "RuntimeClass", "CertificateApproval", "CertificateSigning",
	"ClusterTrustBundleAttest", "CertificateSubjectRestriction", "DefaultIngressClass",
	"MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota",
};

void kc_nodequery_out_clear(struct kc_nodequery_out *out)
{
	free(out->value);
	free(out->what);
	free(out->reason);
	memset(out, 0, sizeof(*out));
}

static void undecided(struct kc_nodequery_out *out, enum kc_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void undecided(struct kc_nodequery_out *out, enum kc_status st, const char *fmt, ...)
{
	struct kc_buf b = KC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	out->undecided = 1;
	out->status = st;
	free(out->reason);
	out->reason = kc_buf_detach(&b);
}


static const char *src_layer(enum kc_flag_source s)
{
	return s == KC_SRC_PROCESS ? "process" : s == KC_SRC_STATIC_POD ? "static-pod" : s == KC_SRC_SYSTEMD ? "systemd" : s == KC_SRC_K3S ? "k3s" : "none";
}

static const struct kc_component *need(struct kc_node *node, enum kc_component_id id, struct kc_nodequery_out *out)
{
	const struct kc_component *c = kc_node_component(node, id);
	if (!c || c->source == KC_SRC_NONE) {
		undecided(out, KC_WARN, "%s is not running and no static pod manifest or unit names its flags",
			  c ? c->name : "component");
		return NULL;
	}
	return c;
}

static void flag_evidence(struct kc_result *r, const struct kc_component *c, const char *flag)
{
	const char *v = kc_flags_value(&c->flags, flag);
	struct kc_buf k = KC_BUF_INIT;
	kc_buf_printf(&k, "--%s", flag);
	kc_result_add_config(r, c->source_path, k.ptr, v, 0, src_layer(c->source), v ? "set" : "not set");
	kc_buf_clear(&k);
}

static int list_has(const char *list, const char *item, size_t len)
{
	for (const char *p = list; p && *p;) {
		while (*p == ',' || *p == ' ')
			p++;
		size_t l = strcspn(p, ",");
		while (l && p[l - 1] == ' ')
			l--;
		if (l == len && strncmp(p, item, len) == 0)
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

static void add_item(struct kc_buf *b, const char *item, size_t len)
{
	if (list_has(b->ptr, item, len))
		return;
	if (b->len)
		kc_buf_putc(b, ',');
	kc_buf_add(b, item, len);
}

static void q_admission(struct kc_node *node, struct kc_result *r, struct kc_nodequery_out *out)
{
	out->what = kc_strdup("the admission plugins kube-apiserver enables");
	const struct kc_component *c = need(node, KC_COMP_APISERVER, out);
	if (!c)
		return;
	const char *legacy = kc_flags_value(&c->flags, "admission-control");
	const char *en = kc_flags_value(&c->flags, "enable-admission-plugins");
	const char *dis = kc_flags_value(&c->flags, "disable-admission-plugins");
	flag_evidence(r, c, "enable-admission-plugins");
	flag_evidence(r, c, "disable-admission-plugins");
	struct kc_buf b = KC_BUF_INIT;
	if (legacy) {
		/* the deprecated flag lists the whole chain: no defaults are added */
		flag_evidence(r, c, "admission-control");
		for (const char *p = legacy; *p; p += strcspn(p, ","), p += *p == ',')
			add_item(&b, p, strcspn(p, ","));
	} else {
		for (size_t i = 0; i < sizeof(default_admission) / sizeof(*default_admission); i++)
			if (!list_has(dis, default_admission[i], strlen(default_admission[i])))
				add_item(&b, default_admission[i], strlen(default_admission[i]));
		kc_result_note(r, "kube-apiserver enables %zu plugins by default; --disable-admission-plugins removes them",
			       sizeof(default_admission) / sizeof(*default_admission));
	}
	for (const char *p = en; p && *p; p += strcspn(p, ","), p += *p == ',') {
		size_t l = strcspn(p, ",");
		if (l && !list_has(dis, p, l))
			add_item(&b, p, l);
	}
	out->value = kc_buf_detach(&b);
}

/* The YAML document of the file named by a component flag; undecided when it cannot be
 * read. *path gets the file. */
static yaml_document_t *flag_file_doc(struct kc_node *node, const struct kc_component *c, const char *flag,
				      struct kc_result *r, struct kc_nodequery_out *out, const char **path)
{
	const char *p = kc_flags_value(&c->flags, flag);
	flag_evidence(r, c, flag);
	*path = p;
	if (!p) {
		/* unset: nothing to read; the value stays NULL and the operator decides */
		return NULL;
	}
	const struct kc_filefact *f = kc_node_file(node, p);
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_FILE);
	ev->source = kc_strdup(p);
	if (f->err == 0) {
		char ub[16], gb[16];
		ev->has_stat = 1;
		ev->mode = f->mode;
		ev->owner = kc_strdup(kc_node_user_name(node, f->uid, ub));
		ev->group = kc_strdup(kc_node_group_name(node, f->gid, gb));
		if (f->sha256[0])
			ev->sha256 = kc_strdup(f->sha256);
	} else {
		ev->detail = kc_strdup(strerror(f->err));
	}
	const struct kc_yamlfile *yf = kc_node_yaml(node, p);
	if (yf->err == -ENOENT) {
		undecided(out, KC_FAIL, "%s --%s names %s, which does not exist", c->name, flag, p);
		return NULL;
	}
	if (yf->err) {
		undecided(out, KC_ERROR, "%s", yf->errmsg ? yf->errmsg : strerror(-yf->err));
		return NULL;
	}
	if (!yf->y.ndocs) {
		undecided(out, KC_FAIL, "%s is empty", p);
		return NULL;
	}
	return &((struct kc_yamlfile *)yf)->y.docs[0];
}

static int seq_has(yaml_document_t *d, yaml_node_t *seq, const char *const *want)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const char *s = kc_yaml_scalar(yaml_document_get_node(d, *it));
		for (const char *const *w = want; s && *w; w++)
			if (strcmp(s, *w) == 0)
				return 1;
	}
	return 0;
}

/* The provider that writes Secrets, as the API server picks it
 * (k8s.io/apiserver/pkg/server/options/encryptionconfig/config.go: an exact group-resource
 * entry, else the group's wildcard "*.", else "*.*"; within a tier the first entry listing
 * it, and of its providers the first encrypts new writes). */
static void q_encryption(struct kc_node *node, struct kc_result *r, struct kc_nodequery_out *out)
{
	out->what = kc_strdup("the encryption provider used for secrets");
	const struct kc_component *c = need(node, KC_COMP_APISERVER, out);
	if (!c)
		return;
	const char *path;
	yaml_document_t *d = flag_file_doc(node, c, "encryption-provider-config", r, out, &path);
	if (!d)
		return;
	yaml_node_t *res = kc_yaml_get(d, yaml_document_get_root_node(d), "resources");
	static const char *const tiers[][3] = { { "secrets", "secrets.", NULL }, { "*.", NULL, NULL }, { "*.*", NULL, NULL } };
	static const char *const tier_name[] = { "the exact resource", "the core group's wildcard *.", "the wildcard *.*" };
	for (size_t tier = 0; tier < 3; tier++) {
		long idx = 0;
		for (yaml_node_item_t *it = res && res->type == YAML_SEQUENCE_NODE ? res->data.sequence.items.start : NULL;
		     it && it < res->data.sequence.items.top; it++, idx++) {
			yaml_node_t *e = yaml_document_get_node(d, *it);
			if (!seq_has(d, kc_yaml_get(d, e, "resources"), tiers[tier]))
				continue;
			yaml_node_t *prov = kc_yaml_get(d, e, "providers");
			yaml_node_t *first = prov && prov->type == YAML_SEQUENCE_NODE && prov->data.sequence.items.top > prov->data.sequence.items.start
						     ? yaml_document_get_node(d, prov->data.sequence.items.start[0]) : NULL;
			/* a provider is a one-key mapping: its key is the name; the keys inside are never read */
			const char *name = first && first->type == YAML_MAPPING_NODE && first->data.mapping.pairs.top > first->data.mapping.pairs.start
						   ? kc_yaml_scalar(yaml_document_get_node(d, first->data.mapping.pairs.start[0].key)) : NULL;
			struct kc_buf key = KC_BUF_INIT, detail = KC_BUF_INIT;
			kc_buf_printf(&key, "resources[%ld].providers[0]", idx);
			kc_buf_printf(&detail, "%s covers secrets here (the most specific entry decides); its first provider "
				      "encrypts new writes, later ones only decrypt", tier_name[tier]);
			kc_result_add_config(r, path, key.ptr, name, kc_yaml_line(first), "file-content", detail.ptr);
			kc_buf_clear(&key);
			kc_buf_clear(&detail);
			if (!name) {
				undecided(out, KC_ERROR, "%s:%ld: resources[%ld] has no provider (the API server would not start)",
					  path, kc_yaml_line(e), idx);
				return;
			}
			out->value = kc_strdup(name);
			return;
		}
	}
	kc_result_note(r, "no resources entry of %s covers secrets: they are stored unencrypted (identity)", path);
	out->value = kc_strdup("identity");
}

static size_t seq_len(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 0;
}

static void q_audit_rules(struct kc_node *node, struct kc_result *r, struct kc_nodequery_out *out)
{
	out->what = kc_strdup("the rules of the audit policy");
	const struct kc_component *c = need(node, KC_COMP_APISERVER, out);
	if (!c)
		return;
	const char *path;
	yaml_document_t *d = flag_file_doc(node, c, "audit-policy-file", r, out, &path);
	if (!d)
		return;
	yaml_node_t *root = yaml_document_get_root_node(d);
	const char *kind = kc_yaml_scalar(kc_yaml_get(d, root, "kind"));
	yaml_node_t *rules = kc_yaml_get(d, root, "rules");
	kc_result_add_config(r, path, "kind", kind, 0, "file-content", "an audit policy is kind Policy");
	if (!kind || strcmp(kind, "Policy") != 0) {
		undecided(out, KC_FAIL, "%s is not an audit Policy (kind %s)", path, kind ? kind : "missing");
		return;
	}
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%zu", seq_len(rules));
	kc_result_add_config(r, path, "rules", b.ptr, kc_yaml_line(rules), "file-content", "number of rules");
	out->value = kc_buf_detach(&b);
}

static int str_in_seq(yaml_document_t *d, yaml_node_t *seq, const char *a, const char *b)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const char *s = kc_yaml_scalar(yaml_document_get_node(d, *it));
		if (s && ((a && strcmp(s, a) == 0) || (b && strcmp(s, b) == 0)))
			return 1;
	}
	return 0;
}

/* Does one GroupResources entry cover core resource res ("secrets" or "pods/exec")? */
static int group_covers(yaml_document_t *d, yaml_node_t *g, const char *res)
{
	const char *group = kc_yaml_scalar(kc_yaml_get(d, g, "group"));
	if (group && *group)
		return 0;
	if (kc_yaml_get(d, g, "resourceNames"))
		return 0; /* only some objects by name */
	yaml_node_t *list = kc_yaml_get(d, g, "resources");
	if (seq_len(list) == 0)
		return 1;
	const char *slash = strchr(res, '/');
	char base[128], anysub[140], anyparent[140];
	snprintf(base, sizeof(base), "%.*s", (int)(slash ? (size_t)(slash - res) : strlen(res)), res);
	snprintf(anysub, sizeof(anysub), "%s/*", base);
	snprintf(anyparent, sizeof(anyparent), "*/%s", slash ? slash + 1 : "");
	if (str_in_seq(d, list, res, slash ? NULL : "*"))
		return 1;
	return slash ? str_in_seq(d, list, anysub, anyparent) || str_in_seq(d, list, "*/*", NULL) : 0;
}

static void q_audit_level(struct kc_node *node, const char *res, struct kc_result *r, struct kc_nodequery_out *out)
{
	struct kc_buf what = KC_BUF_INIT;
	kc_buf_printf(&what, "the audit level of %s", res);
	out->what = kc_buf_detach(&what);
	const struct kc_component *c = need(node, KC_COMP_APISERVER, out);
	if (!c)
		return;
	const char *path;
	yaml_document_t *d = flag_file_doc(node, c, "audit-policy-file", r, out, &path);
	if (!d)
		return;
	yaml_node_t *rules = kc_yaml_get(d, yaml_document_get_root_node(d), "rules");
	/* subresources are reached by create (exec, attach, portforward) or get (proxy, log) */
	const char *verb = strchr(res, '/') ? "create" : "get";
	const char *level = NULL;
	long idx = 0, line = 0;
	for (yaml_node_item_t *it = rules && rules->type == YAML_SEQUENCE_NODE ? rules->data.sequence.items.start : NULL;
	     it && it < rules->data.sequence.items.top && !level; it++, idx++) {
		yaml_node_t *rule = yaml_document_get_node(d, *it);
		/* rules for particular users, namespaces or URLs do not decide what an ordinary
		 * request is logged at */
		yaml_node_t *users = kc_yaml_get(d, rule, "users"), *groups = kc_yaml_get(d, rule, "userGroups");
		if (users || (groups && !str_in_seq(d, groups, "system:authenticated", NULL)) ||
		    kc_yaml_get(d, rule, "namespaces") || kc_yaml_get(d, rule, "nonResourceURLs"))
			continue;
		yaml_node_t *verbs = kc_yaml_get(d, rule, "verbs");
		if (verbs && !str_in_seq(d, verbs, verb, "*") && !(strcmp(verb, "create") == 0 && str_in_seq(d, verbs, "get", NULL)))
			continue;
		yaml_node_t *resources = kc_yaml_get(d, rule, "resources");
		int match = !resources;
		for (yaml_node_item_t *g = resources && resources->type == YAML_SEQUENCE_NODE ? resources->data.sequence.items.start : NULL;
		     g && g < resources->data.sequence.items.top && !match; g++)
			match = group_covers(d, yaml_document_get_node(d, *g), res);
		if (match) {
			level = kc_yaml_scalar(kc_yaml_get(d, rule, "level"));
			line = kc_yaml_line(rule);
			if (!level)
				level = "None";
		}
	}
	struct kc_buf key = KC_BUF_INIT;
	if (level)
		kc_buf_printf(&key, "rules[%ld].level", idx - 1);
	else
		kc_buf_puts(&key, "rules");
	kc_result_add_config(r, path, key.ptr, level ? level : "None", line, "file-content",
		  level ? "the first rule matching the request decides its level" : "no rule matches: not logged");
	kc_buf_clear(&key);
	out->value = kc_strdup(level ? level : "None");
}

/* etcd's config file nests the TLS options under client-/peer-transport-security. */
static char *etcd_config_key(const char *flag)
{
	static const char *const tls[] = { "cert-file", "key-file", "client-cert-auth", "auto-tls", "trusted-ca-file", NULL };
	int peer = strncmp(flag, "peer-", 5) == 0;
	const char *bare = flag + (peer ? 5 : 0);
	for (const char *const *t = tls; *t; t++)
		if (strcmp(bare, *t) == 0) {
			struct kc_buf b = KC_BUF_INIT;
			kc_buf_printf(&b, "%s-transport-security.%s", peer ? "peer" : "client", bare);
			return kc_buf_detach(&b);
		}
	return kc_strdup(flag);
}

/* ETCD_<FLAG> (go.etcd.io/etcd/pkg/flags FlagToEnv): upper case, '-' as '_'. */
static const char *etcd_env(const struct kc_component *c, const char *flag, struct kc_buf *name)
{
	kc_buf_puts(name, "ETCD_");
	for (const char *p = flag; *p; p++)
		kc_buf_putc(name, *p == '-' ? '_' : (char)toupper((unsigned char)*p));
	for (char **e = c->env; e && *e; e++)
		if (strncmp(*e, name->ptr, name->len) == 0 && (*e)[name->len] == '=')
			return *e + name->len + 1;
	return NULL;
}

/* A boolean flag's text as Go's flag package parses it (strconv.ParseBool: "1" is true). */
static char *etcd_canon(const char *flag, const char *v)
{
	int b;
	if (kc_flag_kind("etcd", flag) == KC_FLAG_BOOL && kc_go_bool(v, &b) == 0)
		return kc_strdup(b ? "true" : "false");
	return kc_strdup(v);
}

/* etcd's own precedence (server/etcdmain/config.go config.parse): a config file named by
 * --config-file, else by ETCD_CONFIG_FILE, governs alone — flags and ETCD_* variables are
 * then ignored ("other configuration command line flags and environment variables will be
 * ignored"); without one, a flag beats its ETCD_<FLAG> variable (flags.SetFlagsFromEnv
 * only fills flags the command line left unset). */
static void q_etcd_option(struct kc_node *node, const char *flag, struct kc_result *r, struct kc_nodequery_out *out)
{
	struct kc_buf what = KC_BUF_INIT;
	kc_buf_printf(&what, "etcd --%s", flag);
	out->what = kc_buf_detach(&what);
	const struct kc_component *c = need(node, KC_COMP_ETCD, out);
	if (!c)
		return;
	struct kc_buf cfgenv = KC_BUF_INIT;
	const char *cfg = kc_flags_value(&c->flags, "config-file");
	const char *cfg_from = "--config-file";
	if (!cfg && (cfg = etcd_env(c, "config-file", &cfgenv)) != NULL)
		cfg_from = "ETCD_CONFIG_FILE";
	if (cfg && *cfg) {
		const struct kc_yamlfile *yf = kc_node_yaml(node, cfg);
		char *key = etcd_config_key(flag);
		if (yf->err) {
			/* etcd does not start without its config file: nothing here decides */
			kc_result_add_config(r, cfg, key, NULL, 0, "config-file", "cannot be read or parsed");
			if (yf->err == -ENOENT)
				undecided(out, KC_ERROR, "etcd's %s %s does not exist (etcd would not start)", cfg_from, cfg);
			else
				undecided(out, KC_ERROR, "%s", yf->errmsg ? yf->errmsg : strerror(-yf->err));
			free(key);
			kc_buf_clear(&cfgenv);
			return;
		}
		yaml_document_t *d = yf->y.ndocs ? &((struct kc_yamlfile *)yf)->y.docs[0] : NULL;
		yaml_node_t *n = d ? kc_yaml_path(d, yaml_document_get_root_node(d), key) : NULL;
		if (n && !kc_yaml_is_null(n))
			out->value = n->type == YAML_SCALAR_NODE ? kc_yaml_canon(n) : kc_yaml_text(d, n);
		kc_result_add_config(r, cfg, key, out->value, kc_yaml_line(n), "config-file",
				     out->value ? "set in the config file, which governs alone" : "not set in the config file, which governs alone");
		if (kc_flags_value(&c->flags, flag)) {
			struct kc_buf k = KC_BUF_INIT;
			kc_buf_printf(&k, "--%s", flag);
			kc_result_add_config(r, c->source_path, k.ptr, kc_flags_value(&c->flags, flag), 0, src_layer(c->source),
					     "ignored: etcd reads only its config file when one is given");
			kc_buf_clear(&k);
		}
		kc_result_note(r, "etcd --%s decided by its config file %s (named by %s)%s", flag, cfg, cfg_from,
			       out->value ? "" : ": unset there, etcd's default applies");
		free(key);
		kc_buf_clear(&cfgenv);
		return;
	}
	kc_buf_clear(&cfgenv);
	const char *v = kc_flags_value(&c->flags, flag);
	flag_evidence(r, c, flag);
	if (v) {
		out->value = etcd_canon(flag, v);
		kc_result_note(r, "etcd --%s decided by the %s layer", flag, src_layer(c->source));
		return;
	}
	struct kc_buf env = KC_BUF_INIT;
	v = etcd_env(c, flag, &env);
	kc_result_add_config(r, c->source_path, env.ptr, v, 0, "environment", v ? "set in etcd's environment" : "not set");
	if (v) {
		out->value = etcd_canon(flag, v);
		kc_result_note(r, "etcd --%s decided by the environment (%s)", flag, env.ptr);
	}
	kc_buf_clear(&env);
}

static void q_feature_gate(struct kc_node *node, const struct kc_test *t, const char *gate, struct kc_result *r,
			   struct kc_nodequery_out *out)
{
	struct kc_buf what = KC_BUF_INIT;
	kc_buf_printf(&what, "kubelet feature gate %s", gate);
	out->what = kc_buf_detach(&what);
	struct kc_kubelet_value v;
	if (kc_kubelet_feature_gate(node, gate, t->defval, &v, r) < 0) {
		undecided(out, KC_ERROR, "%s", kc_error_last());
		return;
	}
	out->value = kc_strdup(v.value);
	out->from_default = v.layer && strcmp(v.layer, "default") == 0;
	kc_kubelet_value_clear(&v);
}

static void q_kubelet_unit(struct kc_node *node, const char *key, struct kc_result *r, struct kc_nodequery_out *out)
{
	struct kc_buf what = KC_BUF_INIT;
	kc_buf_printf(&what, "%s= of kubelet.service", key);
	out->what = kc_buf_detach(&what);
	struct kc_unit u;
	if (kc_unit_load(node->root, "kubelet.service", &u) < 0) {
		kc_unit_clear(&u);
		undecided(out, KC_WARN, "no kubelet.service unit or drop-in under the unit directories");
		return;
	}
	const struct kc_unit_setting *s = kc_unit_setting(&u, key);
	kc_result_add_config(r, s ? s->file : u.path, key, s ? s->value : NULL, s ? s->line : 0, "systemd",
		  s ? "the last assignment across the unit and its drop-ins" : "not set in the unit or its drop-ins");
	out->value = s ? kc_strdup(s->value) : NULL;
	kc_unit_clear(&u);
}

/* CIS 2.7: etcd trusts its own CA, not the one that signs the cluster's clients. Compared
 * by content (sha256) when both files are readable, else by path. */
static void q_etcd_ca_distinct(struct kc_node *node, struct kc_result *r, struct kc_nodequery_out *out)
{
	out->what = kc_strdup("etcd's trusted CA is distinct from the cluster CA");
	const struct kc_component *e = need(node, KC_COMP_ETCD, out);
	if (!e)
		return;
	const char *eca = kc_flags_value(&e->flags, "trusted-ca-file");
	const char *env = NULL;
	for (char **v = e->env; v && *v && !eca; v++)
		if (strncmp(*v, "ETCD_TRUSTED_CA_FILE=", 21) == 0)
			eca = env = *v + 21;
	kc_result_add_config(r, e->source_path, env ? "ETCD_TRUSTED_CA_FILE" : "--trusted-ca-file", eca, 0,
		  env ? "environment" : src_layer(e->source), eca ? "etcd's client CA" : "not set");
	if (!eca) {
		out->value = kc_strdup("false");
		return;
	}
	const struct kc_component *a = kc_node_component(node, KC_COMP_APISERVER);
	const char *aca = a && a->source != KC_SRC_NONE ? kc_flags_value(&a->flags, "client-ca-file") : NULL;
	if (!aca) {
		undecided(out, KC_WARN, "kube-apiserver's --client-ca-file is not known on this node: compare etcd's CA "
			  "%s with the cluster CA by hand", eca);
		return;
	}
	kc_result_add_config(r, a->source_path, "--client-ca-file", aca, 0, src_layer(a->source), "the cluster's client CA");
	const struct kc_filefact *fe = kc_node_file(node, eca), *fa = kc_node_file(node, aca);
	int same = strcmp(eca, aca) == 0 || (fe->sha256[0] && fa->sha256[0] && fe->size > 0 && strcmp(fe->sha256, fa->sha256) == 0);
	kc_result_note(r, "%s", fe->sha256[0] && fa->sha256[0] ? "compared by content (sha256)" : "compared by path");
	out->value = kc_strdup(same ? "false" : "true");
}

int kc_nodequery_run(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct kc_nodequery_out *out)
{
	memset(out, 0, sizeof(*out));
	const char *q = t->query;
	if (strcmp(q, "apiserver.admission_plugins") == 0)
		q_admission(node, r, out);
	else if (strcmp(q, "apiserver.encryption_providers") == 0)
		q_encryption(node, r, out);
	else if (strcmp(q, "apiserver.audit_policy_rules") == 0)
		q_audit_rules(node, r, out);
	else if (strncmp(q, "apiserver.audit_level.", 22) == 0 && q[22])
		q_audit_level(node, q + 22, r, out);
	else if (strncmp(q, "etcd.option.", 12) == 0 && q[12])
		q_etcd_option(node, q + 12, r, out);
	else if (strcmp(q, "etcd.ca_distinct") == 0)
		q_etcd_ca_distinct(node, r, out);
	else if (strncmp(q, "kubelet.feature_gate.", 21) == 0 && q[21])
		q_feature_gate(node, t, q + 21, r, out);
	else if (strncmp(q, "kubelet.unit.", 13) == 0 && q[13])
		q_kubelet_unit(node, q + 13, r, out);
	else if (strcmp(q, "node.distribution") == 0) {
		const char *why;
		out->what = kc_strdup("the distribution");
		out->value = kc_strdup(kc_distro_name(kc_node_distribution(node, &why)));
		kc_result_note(r, "distribution %s: %s", out->value, why);
	} else
		return 0;
	return 1;
}
