/* What a PATCH request sets, in the shape of the object it patches, so that the rules written
 * against a create or update body (`object.spec.template.spec.hostPID`) judge a patch too.
 *
 * The API server logs the patch body as sent (k8s.io/apiserver pkg/endpoints/handlers/patch.go
 * PatchResource: audit.LogRequestPatch; apply-patch YAML is transcoded to JSON first,
 * validateAndTranscodePatch). A strategic-merge, merge or apply patch already has the
 * object's shape. A JSON patch (RFC 6902, application/json-patch+json, applied by
 * evanphx/json-patch) is a list of operations; the view below is an object holding the value
 * of every `add` and `replace` at its `path` (RFC 6901 pointer). */
#ifndef KC_AUDITLOG_PATCH_H
#define KC_AUDITLOG_PATCH_H

struct json_object;

/* The view of a JSON-patch operation list (ops is a JSON array), or NULL when ops is not one
 * or sets nothing. Caller owns the result (json_object_put). Values are shared with ops by
 * reference. `remove`, `test`, `move` and `copy` set no value that the body shows: `move` and
 * `copy` take theirs from the stored object, which the audit event does not carry. */
struct json_object *kc_audit_patch_view(struct json_object *ops);

#endif
