/* The edge of the object model: one json-c object (from YAML, a JSON file or a LIST page)
 * becomes a typed struct kc_k8s_obj. Both the manifest reader and the API client call this,
 * which is what makes their results the same for the same objects. */
#ifndef KC_K8S_DECODE_H
#define KC_K8S_DECODE_H

#include "checks/k8s/object.h"

struct json_object;
struct kc_arena;

struct kc_k8s_decode_ctx {
	const char *kind_hint;        /* LIST items carry no kind: the collection's */
	const char *api_version_hint;
	const char *default_ns;       /* for namespaced objects that name none (manifests) */
	const struct kc_k8s_src *src;
};

/* Returns 0 and *out, or KC_EINVAL with a message (no location; the caller adds file:line)
 * when o is not a Kubernetes object. Only what section 5 judges is kept. */
int kc_k8s_decode(struct kc_arena *a, struct json_object *o, const struct kc_k8s_decode_ctx *ctx,
		  long line, struct kc_k8s_obj **out);

/* Is kind a collection whose items are decoded one by one? "List" (1, item_kind "": items
 * name their kind) or "<Kind>List" of a kind this decoder knows (1, item_kind "<Kind>", the
 * kind of items that carry none, as `kubectl get --raw` LISTs do); 0 for anything else,
 * including a custom kind that merely ends in "List". */
int kc_k8s_list_kind(const char *kind, char *item_kind, size_t cap);

#endif
