#include "remediation/render.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/error.h"
#include "common/yaml.h"
#include "remediation/kustomize.h"

#define MAX_DEPTH 16
#define MAX_VISITS 512   /* kustomizations rendered in one call: a repository listing the
			  * same bases many times must not cost exponential time */

/* Kinds kustomize's namespace transformer leaves without a namespace (the common ones;
 * a CRD-defined cluster-scoped kind is treated as namespaced, which only matters for the
 * check's identity and errs towards reporting a duplicate). */
static const char *const cluster_scoped[] = {
	"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
	"StorageClass", "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
	"APIService", "IngressClass", "RuntimeClass", "Node", "CSIDriver", "ClusterIssuer",
};

static int is_cluster_scoped(const char *kind)
{
	for (size_t i = 0; i < sizeof(cluster_scoped) / sizeof(cluster_scoped[0]); i++)
		if (strcmp(kind, cluster_scoped[i]) == 0)
			return 1;
	return 0;
}

void kc_render_init(struct kc_render *r)
{
	memset(r, 0, sizeof(*r));
	kc_buf_init(&r->errors);
	kc_buf_init(&r->notes);
}

static void obj_clear(struct kc_render_obj *o)
{
	free(o->kind);
	free(o->ns);
	free(o->name);
	free(o->in_ns);
	free(o->in_name);
	free(o->file);
	if (o->json)
		json_object_put(o->json);
}

void kc_render_clear(struct kc_render *r)
{
	for (size_t i = 0; i < r->n; i++)
		obj_clear(&r->v[i]);
	free(r->v);
	kc_buf_clear(&r->errors);
	kc_buf_clear(&r->notes);
	free(r->namespace_);
	free(r->name_prefix);
	free(r->name_suffix);
	memset(r, 0, sizeof(*r));
}

int kc_render_join(const char *dir, const char *rel, struct kc_buf *out)
{
	char *parts[256];
	size_t n = 0;
	struct kc_buf all = KC_BUF_INIT;
	int rc = 0;
	if (rel[0] == '/')
		return kc_error_set(KC_EUNSAFE, "\"%s\" is an absolute path", rel);
	if (dir && *dir)
		kc_buf_printf(&all, "%s/", dir);
	kc_buf_puts(&all, rel);
	char *save = NULL;
	for (char *t = strtok_r(all.ptr, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (strcmp(t, ".") == 0)
			continue;
		if (strcmp(t, "..") == 0) {
			if (n == 0) {
				rc = kc_error_set(KC_EUNSAFE, "\"%s\" leaves the repository", rel);
				break;
			}
			n--;
			continue;
		}
		if (n == 256) {
			rc = kc_error_set(KC_EUNSAFE, "\"%s\" is too deep", rel);
			break;
		}
		parts[n++] = t;
	}
	for (size_t i = 0; !rc && i < n; i++)
		kc_buf_printf(out, "%s%s", i ? "/" : "", parts[i]);
	kc_buf_clear(&all);
	return rc;
}

struct walk {
	kc_render_read_cb read;
	void *payload;
	struct kc_render *out;
	const char *stack[MAX_DEPTH + 2]; /* directories being rendered: a cycle is an error */
	size_t visits;
};

static void err(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void err(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&w->out->errors, fmt, ap);
	va_end(ap);
	kc_buf_putc(&w->out->errors, '\n');
	w->out->nerrors++;
}

struct objs {
	struct kc_render_obj *v;
	size_t n, cap;
};

static void objs_clear(struct objs *o)
{
	for (size_t i = 0; i < o->n; i++)
		obj_clear(&o->v[i]);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

static int same_id(const struct kc_render_obj *a, const struct kc_render_obj *b)
{
	return strcmp(a->kind, b->kind) == 0 && strcmp(a->name, b->name) == 0 &&
	       ((!a->ns && !b->ns) || (a->ns && b->ns && strcmp(a->ns, b->ns) == 0));
}

/* kustomize's accumulator refuses an id it already holds */
static void accumulate(struct walk *w, struct objs *into, struct kc_render_obj *o)
{
	for (size_t i = 0; i < into->n; i++) {
		if (same_id(&into->v[i], o)) {
			err(w, "%s %s%s%s is rendered twice (%s and %s)", o->kind, o->ns ? o->ns : "", o->ns ? "/" : "",
			    o->name, into->v[i].file, o->file);
			obj_clear(o);
			return;
		}
	}
	into->v = kc_array_grow(into->v, &into->cap, into->n + 1, sizeof(*into->v));
	into->v[into->n++] = *o;
}

static void load_file(struct walk *w, const char *path, const char *data, size_t len, struct objs *into)
{
	struct kc_yaml y;
	if (kc_yaml_load(&y, path, data, len) != 0) {
		err(w, "%s", kc_error_last());
		kc_error_clear();
		kc_yaml_clear(&y);
		return;
	}
	for (size_t i = 0; i < y.ndocs; i++) {
		yaml_document_t *d = &y.docs[i];
		yaml_node_t *root = kc_yaml_root(&y, i);
		if (!root || (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0))
			continue;
		const char *kind = kc_yaml_scalar(kc_yaml_get(d, root, "kind"));
		const char *name = kc_yaml_scalar(kc_yaml_path(d, root, "metadata.name"));
		const char *ns = kc_yaml_scalar(kc_yaml_path(d, root, "metadata.namespace"));
		if (!kind || !*kind || !name || !*name) {
			err(w, "%s: document %zu has no kind or metadata.name", path, i + 1);
			continue;
		}
		struct kc_render_obj o = { kc_strdup(kind), kc_strdup(ns && *ns ? ns : NULL), kc_strdup(name),
					   NULL, NULL, kc_strdup(path), NULL };
		if (kc_yaml_to_json(d, root, 100000, &o.json) != 0)
			kc_error_clear();
		accumulate(w, into, &o);
	}
	kc_yaml_clear(&y);
}

static char *kust_path(struct walk *w, const char *dir, char **data, size_t *len, int *rc)
{
	for (size_t i = 0; i < 3; i++) {
		struct kc_buf p = KC_BUF_INIT;
		if (dir && *dir)
			kc_buf_printf(&p, "%s/", dir);
		kc_buf_puts(&p, kc_kustomize_names[i]);
		*rc = w->read(w->payload, p.ptr, data, len);
		if (*rc || *data)
			return kc_buf_detach(&p);
		kc_buf_clear(&p);
	}
	return NULL;
}

static int is_remote(const char *s)
{
	return strstr(s, "://") || strncmp(s, "github.com/", 11) == 0 || strncmp(s, "git@", 4) == 0;
}

static void transform(struct objs *o, const char *ns, const char *prefix, const char *suffix)
{
	for (size_t i = 0; i < o->n; i++) {
		struct kc_render_obj *x = &o->v[i];
		if (ns && *ns) {
			if (strcmp(x->kind, "Namespace") == 0) {
				free(x->name);
				x->name = kc_strdup(ns);
			} else if (!is_cluster_scoped(x->kind)) {
				free(x->ns);
				x->ns = kc_strdup(ns);
			}
		}
		if ((prefix || suffix) && strcmp(x->kind, "Namespace") != 0 && strcmp(x->kind, "CustomResourceDefinition") != 0) {
			struct kc_buf b = KC_BUF_INIT;
			kc_buf_printf(&b, "%s%s%s", prefix ? prefix : "", x->name, suffix ? suffix : "");
			free(x->name);
			x->name = kc_buf_detach(&b);
		}
	}
}

static int render(struct walk *w, const char *dir, int depth, struct objs *out, int top);

/* One entry of resources/components: a file, or a directory with a kustomization. */
static int entry(struct walk *w, const char *dir, const char *kpath, const char *e, int depth, struct objs *into)
{
	struct kc_buf p = KC_BUF_INIT;
	char *data = NULL;
	size_t len = 0;
	int rc = 0;
	if (is_remote(e)) {
		kc_buf_printf(&w->out->notes, "%s: remote base %s not followed\n", kpath, e);
		return 0;
	}
	if (kc_render_join(dir, e, &p) != 0) {
		err(w, "%s: %s", kpath, kc_error_last());
		kc_error_clear();
		kc_buf_clear(&p);
		return 0;
	}
	if ((rc = w->read(w->payload, p.ptr, &data, &len)) != 0)
		goto done;
	if (data) {
		load_file(w, p.ptr, data, len, into);
	} else {
		struct objs sub = { 0 };
		rc = render(w, p.ptr, depth + 1, &sub, 0);
		if (rc == 1) {
			err(w, "%s: resource %s: no such file, and no kustomization in such a directory", kpath, e);
			rc = 0;
		}
		for (size_t i = 0; i < sub.n; i++)
			accumulate(w, into, &sub.v[i]);
		free(sub.v);
	}
done:
	free(data);
	kc_buf_clear(&p);
	return rc;
}

static int render(struct walk *w, const char *dir, int depth, struct objs *out, int top)
{
	char *data = NULL;
	size_t len = 0;
	int rc = 0;
	if (depth > MAX_DEPTH) {
		err(w, "%s: kustomizations nested deeper than %d", dir, MAX_DEPTH);
		return 0;
	}
	for (int i = 0; i < depth; i++) {
		if (strcmp(w->stack[i], dir) == 0) {
			err(w, "%s: includes itself (kustomize refuses cycles)", dir);
			return 0;
		}
	}
	if (++w->visits > MAX_VISITS) {
		if (w->visits == MAX_VISITS + 1)
			err(w, "%s: more than %d kustomizations to render; stopped", dir, MAX_VISITS);
		return 0;
	}
	w->stack[depth] = dir;
	char *kpath = kust_path(w, dir, &data, &len, &rc);
	if (rc || !data) {
		free(kpath);
		return rc ? rc : 1;
	}
	struct kc_yaml y;
	if (kc_yaml_load(&y, kpath, data, len) != 0 || y.ndocs != 1 || kc_yaml_root(&y, 0)->type != YAML_MAPPING_NODE) {
		err(w, "%s: %s", kpath, y.ndocs == 1 ? kc_error_last() : "not one YAML mapping");
		kc_error_clear();
		goto done;
	}
	yaml_document_t *d = &y.docs[0];
	yaml_node_t *root = kc_yaml_root(&y, 0);
	static const char *const lists[] = { "resources", "components", "bases" };
	for (size_t l = 0; l < 3 && !rc; l++) {
		yaml_node_t *seq = kc_yaml_get(d, root, lists[l]);
		if (!seq || seq->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top && !rc; it++) {
			const char *e = kc_yaml_scalar(yaml_document_get_node(d, *it));
			if (e)
				rc = entry(w, dir, kpath, e, depth, out);
		}
	}
	/* patch files must exist (inline patches have no path) */
	static const char *const plists[] = { "patches", "patchesStrategicMerge" };
	for (size_t l = 0; l < 2 && !rc; l++) {
		yaml_node_t *seq = kc_yaml_get(d, root, plists[l]);
		if (!seq || seq->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top && !rc; it++) {
			yaml_node_t *item = yaml_document_get_node(d, *it);
			const char *pth = l == 0 ? kc_yaml_scalar(kc_yaml_get(d, item, "path")) : kc_yaml_scalar(item);
			if (!pth || strchr(pth, '\n'))
				continue;
			struct kc_buf p = KC_BUF_INIT;
			char *pd = NULL;
			size_t pl = 0;
			if (kc_render_join(dir, pth, &p) != 0) {
				err(w, "%s: %s", kpath, kc_error_last());
				kc_error_clear();
			} else if ((rc = w->read(w->payload, p.ptr, &pd, &pl)) == 0 && !pd) {
				err(w, "%s: patch %s does not exist", kpath, pth);
			}
			free(pd);
			kc_buf_clear(&p);
		}
	}
	if (kc_yaml_get(d, root, "helmCharts"))
		kc_buf_printf(&w->out->notes, "%s: helmCharts not rendered\n", kpath);
	const char *ns = kc_yaml_scalar(kc_yaml_get(d, root, "namespace"));
	const char *prefix = kc_yaml_scalar(kc_yaml_get(d, root, "namePrefix"));
	const char *suffix = kc_yaml_scalar(kc_yaml_get(d, root, "nameSuffix"));
	if (ns && !*ns)
		ns = NULL;
	if (prefix && !*prefix)
		prefix = NULL;
	if (suffix && !*suffix)
		suffix = NULL;
	if (top) {
		for (size_t i = 0; i < out->n; i++) {
			out->v[i].in_ns = kc_strdup(out->v[i].ns);
			out->v[i].in_name = kc_strdup(out->v[i].name);
		}
		w->out->namespace_ = kc_strdup(ns);
		w->out->name_prefix = kc_strdup(prefix);
		w->out->name_suffix = kc_strdup(suffix);
	}
	transform(out, ns, prefix, suffix);
done:
	kc_yaml_clear(&y);
	free(data);
	free(kpath);
	return rc;
}

int kc_render_dir(kc_render_read_cb read, void *payload, const char *dir, struct kc_render *out)
{
	struct walk w = { read, payload, out, { 0 }, 0 };
	struct objs o = { 0 };
	int rc = render(&w, dir, 0, &o, 1);
	if (rc == 0) {
		/* ids may collide only after the transformers (two bases, one prefix) */
		struct objs fin = { 0 };
		for (size_t i = 0; i < o.n; i++)
			accumulate(&w, &fin, &o.v[i]);
		free(o.v);
		out->v = fin.v;
		out->n = fin.n;
		out->cap = fin.cap;
	} else {
		objs_clear(&o);
	}
	return rc;
}

const struct kc_render_obj *kc_render_find(const struct kc_render *r, const char *kind, const char *ns,
					   const char *name)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct kc_render_obj *o = &r->v[i];
		if (strcmp(o->kind, kind) == 0 && strcmp(o->name, name) == 0 &&
		    ((!ns && !o->ns) || (ns && o->ns && strcmp(ns, o->ns) == 0)))
			return o;
	}
	return NULL;
}

int kc_render_has_file(const struct kc_render *r, const char *file)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].file, file) == 0)
			return 1;
	return 0;
}
