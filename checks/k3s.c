#include "checks/k3s.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "checks/node.h"
#include "checks/systemd.h"
#include "common/error.h"
#include "common/redact.h"
#include "common/strbuf.h"

/* One argument with the text that produced it (evidence names it). */
struct karg {
	char *name, *value, *origin;
};

struct kargs {
	struct karg *v;
	size_t n, cap;
};

static void kargs_add(struct kargs *a, const char *name, const char *value, const char *origin)
{
	a->v = kc_array_grow(a->v, &a->cap, a->n + 1, sizeof(*a->v));
	a->v[a->n].name = kc_strdup(name);
	a->v[a->n].value = kc_strdup(value ? value : "");
	a->v[a->n].origin = kc_strdup(origin);
	a->n++;
}

static void kargs_clear(struct kargs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].value);
		free(a->v[i].origin);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* The value of a k3s scalar flag: the last occurrence (config file first, command line
 * after it: configfilearg Parser.Parse inserts the file's flags before the command line's). */
static const struct karg *kargs_last(const struct kargs *a, const char *name)
{
	for (size_t i = a->n; i-- > 0;)
		if (strcmp(a->v[i].name, name) == 0)
			return &a->v[i];
	return NULL;
}

/* urfave/cli BoolFlag values are read by strconv.ParseBool. */
static int kargs_bool(const struct kargs *a, const char *name)
{
	const struct karg *k = kargs_last(a, name);
	if (!k)
		return 0;
	/* "" (a YAML null) is not a boolean: k3s would refuse it, nothing is disabled here */
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (strcmp(k->value, yes[i]) == 0)
			return 1;
	return 0;
}

/* ---- config.yaml and config.yaml.d (pkg/configfilearg/parser.go readConfigFile) ---- */

struct ckey {
	char *key;
	int is_list;       /* the value is a YAML sequence: one flag per item */
	struct kargs vals; /* name unused */
};

struct cmerge {
	struct ckey *v;
	size_t n, cap;
};

static struct ckey *ckey_find(struct cmerge *m, const char *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].key, k) == 0)
			return &m->v[i];
	return NULL;
}

static int has_suffix_i(const char *s, const char *suf)
{
	size_t l = strlen(s), sl = strlen(suf);
	return l >= sl && strcasecmp(s + l - sl, suf) == 0;
}

static int config_error(char **err, const char *file, const yaml_node_t *n, const char *what)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s:%ld: %s", file, kc_yaml_line(n), what);
	*err = kc_buf_detach(&b);
	return -1;
}

/* One file's top-level keys into the merge, in document order. */
static int merge_file(struct kc_node *node, const char *file, struct cmerge *m, char **err)
{
	const struct kc_yamlfile *yf = kc_node_yaml(node, file);
	if (yf->err) {
		struct kc_buf b = KC_BUF_INIT;
		if (yf->errmsg)
			kc_buf_puts(&b, yf->errmsg);
		else
			kc_buf_printf(&b, "%s: %s", file, kc_error_is_errno(yf->err) ? strerror(-yf->err) : "unreadable");
		*err = kc_buf_detach(&b);
		return -1;
	}
	if (yf->y.ndocs == 0)
		return 0; /* an empty file sets nothing */
	yaml_document_t *d = &yf->y.docs[0];
	yaml_node_t *root = yaml_document_get_root_node(d);
	if (!root || kc_yaml_is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return config_error(err, file, root, "expected a mapping of k3s flag names to values");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key), *vn = yaml_document_get_node(d, p->value);
		char *k = kn ? kc_yaml_canon(kn) : NULL;
		if (!k)
			return config_error(err, file, kn, "a flag name (a scalar key) expected");
		size_t kl = strlen(k);
		int append = kl > 0 && k[kl - 1] == '+';
		if (append)
			k[--kl] = '\0';
		struct kargs vals = { 0 };
		int is_list = 0;
		struct kc_buf origin = KC_BUF_INIT;
		if (vn && vn->type == YAML_SEQUENCE_NODE) {
			is_list = 1;
			for (yaml_node_item_t *it = vn->data.sequence.items.start; it < vn->data.sequence.items.top; it++) {
				yaml_node_t *in = yaml_document_get_node(d, *it);
				if (!in || in->type != YAML_SCALAR_NODE) {
					kargs_clear(&vals);
					free(k);
					kc_buf_clear(&origin);
					return config_error(err, file, in ? in : vn, "a list of scalar values expected");
				}
				char *c = kc_yaml_canon(in);
				kc_buf_reset(&origin);
				kc_buf_printf(&origin, "%s:%ld", file, kc_yaml_line(in));
				kargs_add(&vals, k, c, origin.ptr);
				free(c);
			}
		} else if (vn && vn->type == YAML_MAPPING_NODE) {
			free(k);
			kc_buf_clear(&origin);
			return config_error(err, file, vn, "a scalar or a list value expected");
		} else {
			/* convert.ToString(nil) is "": "key:" gives --key= */
			char *c = vn ? kc_yaml_canon(vn) : NULL;
			kc_buf_printf(&origin, "%s:%ld", file, kc_yaml_line(vn ? vn : kn));
			kargs_add(&vals, k, c, origin.ptr);
			free(c);
		}
		kc_buf_clear(&origin);
		struct ckey *ck = ckey_find(m, k);
		if (ck && append) {
			/* toSlice(old) + toSlice(new); toSlice drops an empty non-string value */
			for (size_t i = 0; i < vals.n; i++)
				kargs_add(&ck->vals, k, vals.v[i].value, vals.v[i].origin);
			ck->is_list = 1;
			kargs_clear(&vals);
		} else {
			if (!ck) {
				m->v = kc_array_grow(m->v, &m->cap, m->n + 1, sizeof(*m->v));
				ck = &m->v[m->n++];
				memset(ck, 0, sizeof(*ck));
				ck->key = kc_strdup(k);
			}
			kargs_clear(&ck->vals);
			ck->vals = vals;
			ck->is_list = is_list;
		}
		free(k);
	}
	return 0;
}

/* The config file and its drop-ins merged into flags, keys in first-seen order. Returns 0,
 * or -1 with *err (file:line and the reason) when a file exists but cannot be used. */
static int read_config(struct kc_node *node, const char *path, struct kargs *out, char **err)
{
	struct kc_buf dir = KC_BUF_INIT;
	kc_buf_printf(&dir, "%s.d", path);
	char **names = NULL;
	size_t nn = 0;
	int rc = kc_root_list_dir(node->root, dir.ptr, NULL, 0, &names, &nn);
	if (rc < 0 && rc != -ENOENT && rc != -ENOTDIR) {
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_printf(&b, "%s: %s", dir.ptr, strerror(-rc));
		*err = kc_buf_detach(&b);
		kc_buf_clear(&dir);
		return -1;
	}
	char **files = kc_xcalloc(nn + 2, sizeof(char *));
	size_t nf = 0;
	const struct kc_yamlfile *main = kc_node_yaml(node, path);
	if (main->err != -ENOENT)
		files[nf++] = kc_strdup(path);
	/* os.ReadDir order (sorted by name); *.yaml and *.yml of any case; not directories */
	for (size_t i = 0; i < nn; i++) {
		if (!has_suffix_i(names[i], ".yaml") && !has_suffix_i(names[i], ".yml"))
			continue;
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s/%s", dir.ptr, names[i]);
		const struct kc_filefact *ff = kc_node_file(node, p.ptr);
		if (ff->err == 0 && S_ISDIR(ff->mode)) {
			kc_buf_clear(&p);
			continue;
		}
		files[nf++] = kc_buf_detach(&p);
	}
	kc_strv_free(names, nn);
	kc_buf_clear(&dir);
	struct cmerge m = { 0 };
	rc = 0;
	for (size_t i = 0; i < nf && rc == 0; i++)
		rc = merge_file(node, files[i], &m, err);
	for (size_t i = 0; i < m.n; i++) {
		if (rc == 0)
			for (size_t j = 0; j < m.v[i].vals.n; j++)
				kargs_add(out, m.v[i].key, m.v[i].vals.v[j].value, m.v[i].vals.v[j].origin);
		free(m.v[i].key);
		kargs_clear(&m.v[i].vals);
	}
	free(m.v);
	kc_strv_free(files, nf);
	return rc;
}

/* ---- k3s's own command line (urfave/cli v1 over Go's flag package) ---- */

/* Boolean k3s flags never take the next word (pkg/cli/cmds server.go, agent.go BoolFlag). */
static int k3s_bool_flag(const char *name)
{
	static const char *const bools[] = {
		"cluster-init", "cluster-reset", "secrets-encryption", "protect-kernel-defaults", "debug", "rootless",
		"selinux", "docker", "no-flannel", "flannel-ipv6-masq", "flannel-external-ip", "embedded-registry",
		"supervisor-metrics", "prefer-bundled-bin", "enable-pprof", "etcd-expose-metrics", "etcd-s3",
		"etcd-s3-insecure", "etcd-s3-skip-ssl-verify", "etcd-disable-snapshots", "help", "h", "version", "v",
	};
	if (strncmp(name, "disable-", 8) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(bools) / sizeof(*bools); i++)
		if (strcmp(name, bools[i]) == 0)
			return 1;
	return 0;
}

/* Short aliases of the flags we read. */
static const char *k3s_long_name(const char *name)
{
	if (strcmp(name, "c") == 0)
		return "config";
	if (strcmp(name, "d") == 0)
		return "data-dir";
	return name;
}

static void parse_k3s_argv(char *const *argv, size_t argc, char *const *origins, const char *origin, struct kargs *out)
{
	for (size_t i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0 || a[0] != '-' || a[1] == '\0')
			break; /* Go's flag package stops at the first positional word */
		a += a[1] == '-' ? 2 : 1;
		const char *eq = strchr(a, '=');
		char *name = eq ? kc_strndup(a, (size_t)(eq - a)) : kc_strdup(a);
		const char *value = eq ? eq + 1 : NULL;
		const char *src = origins && origins[i] ? origins[i] : origin;
		if (!value && !k3s_bool_flag(name) && i + 1 < argc)
			value = argv[++i];
		kargs_add(out, k3s_long_name(name), value ? value : "true", src);
		free(name);
	}
}

/* ---- the embedded components' command lines (GetArgs) ---- */

struct defarg {
	const char *name;
	char *value;
};

struct defs {
	struct defarg v[48];
	size_t n;
	const char *origin; /* "k3s default (file function)" */
};

static void def(struct defs *d, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void def(struct defs *d, const char *name, const char *fmt, ...)
{
	if (d->n >= sizeof(d->v) / sizeof(*d->v))
		return;
	struct kc_buf b = KC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0) {
			free(d->v[i].value);
			d->v[i].value = kc_buf_detach(&b);
			return;
		}
	d->v[d->n].name = name;
	d->v[d->n++].value = kc_buf_detach(&b);
}

static void defs_clear(struct defs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].value);
	d->n = 0;
}

static int cmp_karg_name(const void *a, const void *b)
{
	return strcmp(((const struct karg *)a)->name, ((const struct karg *)b)->name);
}

/* k3s pkg/daemons/config GetArgs: a passed key replaces k3s's value, `key+=v` appends to it
 * and `key-=v` prepends; repeated keys keep every value in order; keys come out sorted. */
static void get_args(const struct defs *d, const struct kargs *extra, const char *argname, struct kargs *out)
{
	struct kargs multi = { 0 }; /* name = cleaned key; values in their final order */
	int used[48] = { 0 };
	for (size_t i = 0; i < extra->n; i++) {
		if (strcmp(extra->v[i].name, argname) != 0)
			continue;
		const char *a = extra->v[i].value;
		if (strncmp(a, "--", 2) == 0)
			a += 2;
		const char *eq = strchr(a, '=');
		char *arg = eq ? kc_strndup(a, (size_t)(eq - a)) : kc_strdup(a);
		const char *value = eq ? eq + 1 : "true";
		size_t al = strlen(arg);
		char mode = al && (arg[al - 1] == '+' || arg[al - 1] == '-') ? arg[al - 1] : 0;
		while (al && (arg[al - 1] == '+' || arg[al - 1] == '-'))
			arg[--al] = '\0';
		const struct defarg *initial = NULL;
		for (size_t k = 0; k < d->n; k++)
			if (!used[k] && strcmp(d->v[k].name, arg) == 0) {
				initial = &d->v[k];
				used[k] = 1; /* delete(initialArgs, cleanedArg) */
			}
		struct kargs nv = { 0 };
		if (mode == '-')
			kargs_add(&nv, arg, value, extra->v[i].origin);
		if (mode && initial)
			kargs_add(&nv, arg, initial->value, d->origin);
		for (size_t k = 0; k < multi.n; k++)
			if (strcmp(multi.v[k].name, arg) == 0)
				kargs_add(&nv, arg, multi.v[k].value, multi.v[k].origin);
		if (mode != '-')
			kargs_add(&nv, arg, value, extra->v[i].origin);
		/* multiArgs[cleanedArg] = newValues */
		struct kargs rest = { 0 };
		for (size_t k = 0; k < multi.n; k++)
			if (strcmp(multi.v[k].name, arg) != 0)
				kargs_add(&rest, multi.v[k].name, multi.v[k].value, multi.v[k].origin);
		for (size_t k = 0; k < nv.n; k++)
			kargs_add(&rest, nv.v[k].name, nv.v[k].value, nv.v[k].origin);
		kargs_clear(&multi);
		kargs_clear(&nv);
		multi = rest;
		free(arg);
	}
	for (size_t k = 0; k < d->n; k++)
		if (!used[k])
			kargs_add(out, d->v[k].name, d->v[k].value, d->origin);
	for (size_t k = 0; k < multi.n; k++)
		kargs_add(out, multi.v[k].name, multi.v[k].value, multi.v[k].origin);
	kargs_clear(&multi);
	/* stable: repeated keys keep their order */
	for (size_t i = 1; i < out->n; i++)
		for (size_t j = i; j > 0 && cmp_karg_name(&out->v[j - 1], &out->v[j]) > 0; j--) {
			struct karg t = out->v[j];
			out->v[j] = out->v[j - 1];
			out->v[j - 1] = t;
		}
}

struct k3s_src {
	const char *path;  /* /proc/<pid>/cmdline or the unit file */
	long pid;
};

static void fill_component(struct kc_node *node, enum kc_component_id id, const struct k3s_src *src,
			   const struct kargs *args, const char *error)
{
	struct kc_component *c = &node->comps[id];
	if (c->source != KC_SRC_NONE)
		return;
	c->source = KC_SRC_K3S;
	c->pid = src->pid;
	c->source_path = kc_strdup(src->path);
	c->flags.component = c->name;
	if (error) {
		c->flags_error = kc_strdup(error);
		c->cmdline_redacted = kc_strdup("(k3s configuration unreadable)");
		return;
	}
	size_t argc = args->n + 1;
	char **argv = kc_xcalloc(argc + 1, sizeof(char *));
	c->arg_origin = kc_xcalloc(argc, sizeof(char *));
	c->nargs = argc;
	argv[0] = kc_strdup(c->name);
	for (size_t i = 0; i < args->n; i++) {
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_printf(&b, "--%s=%s", args->v[i].name, args->v[i].value);
		argv[i + 1] = kc_buf_detach(&b);
		c->arg_origin[i + 1] = kc_strdup(args->v[i].origin);
	}
	kc_flags_parse(&c->flags, (int)argc, argv);
	struct kc_buf line = KC_BUF_INIT;
	for (size_t i = 0; i < argc; i++) {
		if (i)
			kc_buf_putc(&line, ' ');
		kc_buf_puts(&line, argv[i]);
	}
	c->cmdline_redacted = kc_redact_text(line.ptr);
	kc_buf_clear(&line);
	kc_strv_free(argv, argc);
}

static void build(struct kc_node *node, enum kc_component_id id, struct defs *d, const struct kargs *k3s,
		  const char *argname, const struct k3s_src *src)
{
	struct kargs out = { 0 };
	get_args(d, k3s, argname, &out);
	fill_component(node, id, src, &out, NULL);
	kargs_clear(&out);
	defs_clear(d);
}

/* k3s pkg/util ArgValue: the value of the first pass-through argument named exactly key
 * ("key+=v" is another name), or "" */
static const char *arg_value(const struct kargs *k, const char *argname, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < k->n; i++) {
		if (strcmp(k->v[i].name, argname) != 0)
			continue;
		const char *a = k->v[i].value;
		if (strncmp(a, "--", 2) == 0)
			a += 2;
		if (strncmp(a, key, kl) == 0 && a[kl] == '=')
			return a + kl + 1;
	}
	return "";
}

/* The arguments k3s gives each component it runs (version modelled: docs/node-checks.md
 * "k3s"). dd is the data directory. */
static void build_server(struct kc_node *node, const struct kargs *k, const char *dd, const struct k3s_src *src)
{
	struct defs d = { .n = 0 };
	const struct karg *ds = kargs_last(k, "datastore-endpoint");
	/* etcd runs in the k3s process when the cluster was initialised with it (--cluster-init)
	 * or joined to one (its data directory exists); an external datastore replaces it */
	struct kc_buf p = KC_BUF_INIT;
	kc_buf_printf(&p, "%s/server/db/etcd", dd);
	int embedded_etcd = !kargs_bool(k, "disable-etcd") && !(ds && *ds->value) &&
			    (kargs_bool(k, "cluster-init") || kc_node_file(node, p.ptr)->err == 0);
	kc_buf_clear(&p);
	if (!kargs_bool(k, "disable-apiserver")) {
		d.origin = "k3s default (pkg/daemons/control/server.go apiServer)";
		def(&d, "storage-backend", "etcd3");
		if (ds && *ds->value) {
			def(&d, "etcd-servers", "%s", ds->value);
			const struct karg *f;
			if ((f = kargs_last(k, "datastore-cafile")) && *f->value)
				def(&d, "etcd-cafile", "%s", f->value);
			if ((f = kargs_last(k, "datastore-certfile")) && *f->value)
				def(&d, "etcd-certfile", "%s", f->value);
			if ((f = kargs_last(k, "datastore-keyfile")) && *f->value)
				def(&d, "etcd-keyfile", "%s", f->value);
		} else if (embedded_etcd) {
			def(&d, "etcd-servers", "https://127.0.0.1:2379");
			def(&d, "etcd-cafile", "%s/server/tls/etcd/server-ca.crt", dd);
			def(&d, "etcd-certfile", "%s/server/tls/etcd/client.crt", dd);
			def(&d, "etcd-keyfile", "%s/server/tls/etcd/client.key", dd);
		} else {
			def(&d, "etcd-servers", "unix://kine.sock"); /* kine over SQLite, in process */
		}
		def(&d, "cert-dir", "%s/server/tls/temporary-certs", dd);
		def(&d, "allow-privileged", "true");
		def(&d, "enable-bootstrap-token-auth", "true");
		/* a structured authorization / authentication file replaces k3s's mode and
		 * anonymous-auth defaults (k3s leaves them unset then, with a warning) */
		if (!*arg_value(k, "kube-apiserver-arg", "authorization-config"))
			def(&d, "authorization-mode", "Node,RBAC");
		if (!*arg_value(k, "kube-apiserver-arg", "authentication-config"))
			def(&d, "anonymous-auth", "false");
		def(&d, "service-account-signing-key-file", "%s/server/tls/service.current.key", dd);
		def(&d, "service-account-key-file", "%s/server/tls/service.key", dd);
		def(&d, "service-account-issuer", "https://kubernetes.default.svc.cluster.local");
		def(&d, "tls-cert-file", "%s/server/tls/serving-kube-apiserver.crt", dd);
		def(&d, "tls-private-key-file", "%s/server/tls/serving-kube-apiserver.key", dd);
		def(&d, "kubelet-certificate-authority", "%s/server/tls/server-ca.crt", dd);
		def(&d, "kubelet-client-certificate", "%s/server/tls/client-kube-apiserver.crt", dd);
		def(&d, "kubelet-client-key", "%s/server/tls/client-kube-apiserver.key", dd);
		def(&d, "requestheader-client-ca-file", "%s/server/tls/request-header-ca.crt", dd);
		def(&d, "proxy-client-cert-file", "%s/server/tls/client-auth-proxy.crt", dd);
		def(&d, "proxy-client-key-file", "%s/server/tls/client-auth-proxy.key", dd);
		def(&d, "client-ca-file", "%s/server/tls/client-ca.crt", dd);
		def(&d, "enable-admission-plugins", "NodeRestriction");
		def(&d, "profiling", "false");
		def(&d, "secure-port", "6444");
		def(&d, "bind-address", "127.0.0.1");
		if (kargs_bool(k, "secrets-encryption")) {
			def(&d, "encryption-provider-config", "%s/server/cred/encryption-config.json", dd);
			def(&d, "encryption-provider-config-automatic-reload", "true");
		}
		build(node, KC_COMP_APISERVER, &d, k, "kube-apiserver-arg", src);
	}
	if (!kargs_bool(k, "disable-controller-manager")) {
		d.origin = "k3s default (pkg/daemons/control/server.go controllerManager)";
		def(&d, "kubeconfig", "%s/server/cred/controller.kubeconfig", dd);
		def(&d, "authorization-kubeconfig", "%s/server/cred/controller.kubeconfig", dd);
		def(&d, "authentication-kubeconfig", "%s/server/cred/controller.kubeconfig", dd);
		def(&d, "service-account-private-key-file", "%s/server/tls/service.current.key", dd);
		def(&d, "allocate-node-cidrs", "true");
		def(&d, "root-ca-file", "%s/server/tls/server-ca.crt", dd);
		def(&d, "profiling", "false");
		def(&d, "bind-address", "127.0.0.1");
		def(&d, "secure-port", "10257");
		def(&d, "use-service-account-credentials", "true");
		def(&d, "cluster-signing-kubelet-serving-cert-file", "%s/server/tls/server-ca.nochain.crt", dd);
		def(&d, "cluster-signing-kubelet-serving-key-file", "%s/server/tls/server-ca.key", dd);
		build(node, KC_COMP_CONTROLLER_MANAGER, &d, k, "kube-controller-manager-arg", src);
	}
	if (!kargs_bool(k, "disable-scheduler")) {
		d.origin = "k3s default (pkg/daemons/control/server.go scheduler)";
		def(&d, "kubeconfig", "%s/server/cred/scheduler.kubeconfig", dd);
		def(&d, "authorization-kubeconfig", "%s/server/cred/scheduler.kubeconfig", dd);
		def(&d, "authentication-kubeconfig", "%s/server/cred/scheduler.kubeconfig", dd);
		def(&d, "bind-address", "127.0.0.1");
		def(&d, "secure-port", "10259");
		def(&d, "profiling", "false");
		build(node, KC_COMP_SCHEDULER, &d, k, "kube-scheduler-arg", src);
	}
	if (embedded_etcd) {
		/* k3s writes etcd's whole configuration, --etcd-arg values included, to this file
		 * and starts etcd with it (pkg/daemons/executor/embed.go ETCD, pkg/etcd ETCDConfig) */
		d.origin = "k3s default (pkg/daemons/executor embedded etcd: --config-file)";
		def(&d, "config-file", "%s/server/db/etcd/config", dd);
		struct kargs none = { 0 };
		build(node, KC_COMP_ETCD, &d, &none, "etcd-arg", src);
	}
}

static void build_agent(struct kc_node *node, const struct kargs *k, const char *dd, const struct k3s_src *src)
{
	struct defs d = { .n = 0 };
	struct kc_buf cd = KC_BUF_INIT;
	kc_buf_printf(&cd, "%s/agent/etc/kubelet.conf.d", dd);
	const struct kc_filefact *cdf = kc_node_file(node, cd.ptr);
	if (cdf->err == 0 && S_ISDIR(cdf->mode)) {
		/* newer k3s writes its kubelet settings to a --config-dir drop-in
		 * (00-k3s-defaults.conf) and passes few flags: the kubelet's own layering then
		 * judges the drop-ins as written */
		d.origin = "k3s default (pkg/daemons/agent/agent_linux.go kubeletArgsAndConfig)";
		def(&d, "config-dir", "%s", cd.ptr);
		def(&d, "kubeconfig", "%s/agent/kubelet.kubeconfig", dd);
		def(&d, "read-only-port", "0");
		kc_buf_clear(&cd);
		build(node, KC_COMP_KUBELET, &d, k, "kubelet-arg", src);
		goto proxy;
	}
	kc_buf_clear(&cd);
	d.origin = "k3s default (pkg/daemons/agent commonKubeletArgs)";
	def(&d, "healthz-bind-address", "127.0.0.1");
	def(&d, "read-only-port", "0");
	def(&d, "kubeconfig", "%s/agent/kubelet.kubeconfig", dd);
	def(&d, "fail-swap-on", "false");
	def(&d, "authentication-token-webhook", "true");
	def(&d, "anonymous-auth", "false");
	def(&d, "authorization-mode", "Webhook");
	def(&d, "client-ca-file", "%s/agent/client-ca.crt", dd);
	def(&d, "tls-cert-file", "%s/agent/serving-kubelet.crt", dd);
	def(&d, "tls-private-key-file", "%s/agent/serving-kubelet.key", dd);
	def(&d, "pod-manifest-path", "%s/agent/pod-manifests", dd);
	if (kargs_bool(k, "protect-kernel-defaults"))
		def(&d, "protect-kernel-defaults", "true");
	build(node, KC_COMP_KUBELET, &d, k, "kubelet-arg", src);
proxy:
	if (!kargs_bool(k, "disable-kube-proxy")) {
		d.origin = "k3s default (pkg/daemons/agent/agent_linux.go kubeProxyArgs)";
		def(&d, "proxy-mode", "iptables");
		def(&d, "healthz-bind-address", "127.0.0.1");
		def(&d, "kubeconfig", "%s/agent/kubeproxy.kubeconfig", dd);
		build(node, KC_COMP_PROXY, &d, k, "kube-proxy-arg", src);
	}
}

/* k3s's own argv: the running process, else the systemd unit that starts it. */
struct k3s_cmd {
	char **argv;
	char **origins; /* per argument (unit: the file whose text produced it) */
	size_t argc;
	char *source;
	long pid;
	char *config_env; /* K3S_CONFIG_FILE */
};

static int find_cmd(struct kc_node *node, struct k3s_cmd *cmd)
{
	if (node->k3s_argv && node->k3s_argc >= 2) {
		cmd->argc = node->k3s_argc;
		cmd->argv = kc_xcalloc(cmd->argc + 1, sizeof(char *));
		for (size_t i = 0; i < cmd->argc; i++)
			cmd->argv[i] = kc_strdup(node->k3s_argv[i]);
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_printf(&b, "%s/%ld/cmdline", node->proc_dir ? node->proc_dir : "/proc", node->k3s_pid);
		cmd->source = kc_buf_detach(&b);
		cmd->pid = node->k3s_pid;
		if (node->k3s_config_env)
			cmd->config_env = kc_strdup(node->k3s_config_env);
		return 1;
	}
	static const char *const units[] = { "k3s.service", "k3s-agent.service" };
	for (size_t i = 0; i < 2; i++) {
		struct kc_unit u;
		if (kc_unit_load(node->root, units[i], &u) == 0 && u.argc >= 2) {
			const char *base = strrchr(u.argv[0], '/');
			base = base ? base + 1 : u.argv[0];
			if (strcmp(base, "k3s") == 0) {
				cmd->argc = u.argc;
				cmd->argv = u.argv;
				cmd->origins = u.argv_src;
				u.argv = NULL;
				u.argv_src = NULL;
				u.argc = 0;
				cmd->source = kc_strdup(u.path ? u.path : u.exec_file);
				const struct kc_unit_var *v = kc_unit_var(&u, "K3S_CONFIG_FILE");
				if (v && *v->value)
					cmd->config_env = kc_strdup(v->value);
				kc_unit_clear(&u);
				return 1;
			}
		}
		kc_unit_clear(&u);
	}
	return 0;
}

void kc_k3s_load(struct kc_node *node)
{
	struct k3s_cmd cmd = { 0 };
	if (!find_cmd(node, &cmd))
		return;
	const char *sub = cmd.argv[1];
	int server = strcmp(sub, "server") == 0, agent = strcmp(sub, "agent") == 0;
	if (server || agent) {
		struct kargs cli = { 0 }, all = { 0 };
		parse_k3s_argv(cmd.argv, cmd.argc, cmd.origins, cmd.source, &cli);
		/* --config / -c, else K3S_CONFIG_FILE, else the default (findConfigFileFlag) */
		const struct karg *cf = kargs_last(&cli, "config");
		const char *config = cmd.config_env ? cmd.config_env : cf ? cf->value : KC_K3S_CONFIG;
		char *err = NULL;
		struct k3s_src src = { cmd.source, cmd.pid };
		if (read_config(node, config, &all, &err) < 0) {
			/* undecidable: every component this process would run is an ERROR naming
			 * the file and line, never judged on k3s's defaults */
			static const enum kc_component_id srv[] = { KC_COMP_APISERVER, KC_COMP_CONTROLLER_MANAGER,
								   KC_COMP_SCHEDULER, KC_COMP_KUBELET, KC_COMP_PROXY };
			for (size_t i = server ? 0 : 3; i < sizeof(srv) / sizeof(*srv); i++)
				fill_component(node, srv[i], &src, NULL, err);
		} else {
			for (size_t i = 0; i < cli.n; i++)
				kargs_add(&all, cli.v[i].name, cli.v[i].value, cli.v[i].origin);
			const struct karg *ddf = kargs_last(&all, "data-dir");
			const char *dd = ddf && *ddf->value ? ddf->value : KC_K3S_DATA_DIR;
			if (server)
				build_server(node, &all, dd, &src);
			if (agent || !kargs_bool(&all, "disable-agent"))
				build_agent(node, &all, dd, &src);
		}
		free(err);
		kargs_clear(&cli);
		kargs_clear(&all);
	}
	if (cmd.origins)
		for (size_t i = 0; i < cmd.argc; i++)
			free(cmd.origins[i]);
	free(cmd.origins);
	kc_strv_free(cmd.argv, cmd.argc);
	free(cmd.source);
	free(cmd.config_env);
}
