/* What a kustomization renders, computed without kustomize: the object identities (kind,
 * namespace, name) a `kustomize build` of a directory would output, with the paths it
 * would fail on. It follows `resources` (files and directories, `..` included),
 * `components`, and checks that `patches`/`patchesStrategicMerge` files exist; it applies
 * the `namespace`, `namePrefix` and `nameSuffix` transformers the way kustomize v5 does
 * (the namespace transformer renames Namespace objects; prefixes and suffixes leave
 * Namespaces alone), and reports an object accumulated twice, which kustomize refuses
 * ("may not add resource with an already registered id").
 *
 * The remediation planner uses it twice: to see what the repository already declares
 * (patch it instead of declaring it again, refuse a fix a transformer would send to the
 * wrong object) and to check each commit's tree before writing it (every resource
 * rendered exactly once, every path resolvable). Remote bases and helmCharts are not
 * followed; they are listed in `notes`. */
#ifndef KC_RENDER_H
#define KC_RENDER_H

#include <stddef.h>

#include "common/strbuf.h"

struct json_object;

/* Reads a repository path: 0 with *out NULL when absent (or a directory); caller frees. */
typedef int (*kc_render_read_cb)(void *payload, const char *path, char **out, size_t *len);

struct kc_render_obj {
	char *kind, *ns, *name;         /* as rendered (ns NULL: cluster-scoped or unset) */
	char *in_ns, *in_name;          /* before the top kustomization's own transformers:
					 * what a patch listed there must name */
	char *file;                     /* repository path it came from */
	struct json_object *json;       /* the object as written in the file (owned) */
};

struct kc_render {
	struct kc_render_obj *v;
	size_t n, cap;
	struct kc_buf errors;           /* one line per problem; empty when it builds */
	size_t nerrors;
	struct kc_buf notes;            /* what was not followed (remote bases, helmCharts) */
	/* the top kustomization's transformers (NULL when unset) */
	char *namespace_, *name_prefix, *name_suffix;
};

void kc_render_init(struct kc_render *r);
void kc_render_clear(struct kc_render *r);

/* Renders dir's kustomization (dir "" is the repository root). Returns 0 when the
 * directory has one (problems go to out->errors), 1 when it has none, negative when a
 * read failed. */
int kc_render_dir(kc_render_read_cb read, void *payload, const char *dir, struct kc_render *out);

/* The object with that rendered identity, or NULL. ns NULL matches cluster-scoped. */
const struct kc_render_obj *kc_render_find(const struct kc_render *r, const char *kind, const char *ns,
					   const char *name);
/* 1 when some object came from file. */
int kc_render_has_file(const struct kc_render *r, const char *file);

/* Normalises "a/b/../c/./d" against dir into out; KC_EUNSAFE when it leaves the root. */
int kc_render_join(const char *dir, const char *rel, struct kc_buf *out);

#endif
