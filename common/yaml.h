/* The one YAML reader: libyaml's document loader, with marks kept for file:line:column
 * messages, and a converter to json-c so that YAML and JSON share one object model.
 *
 * YAML is read the way the Kubernetes components read it: sigs.k8s.io/yaml over go-yaml v2,
 * i.e. YAML 1.1 (docs/node-checks.md, "How YAML is read"). kc_yaml_load applies, per document:
 *   - nesting depth bounded BEFORE libyaml sees the text (its tokenizer is quadratic in flow
 *     depth), and again on the loaded graph (block nesting);
 *   - aliases: libyaml shares the node; an anchor that contains itself is refused;
 *   - merge keys (`<<: *a`, `<<: [*a, *b]`) expanded in place, in document order, as go-yaml
 *     v2's decoder.merge applies them (a later key wins; in a list the earlier map wins);
 *   - the alias expansion budget of go-yaml v2 (decode.go allowedAliasRatio) over the whole
 *     document, so a billion-laughs document is refused in milliseconds;
 *   - duplicate keys in one mapping refused with file:line, as the strict decoders do.
 * Every walk after the load (kc_yaml_get, kc_yaml_text, kc_yaml_to_json) sees merged maps
 * and is bounded by the document's checked expanded size. */
#ifndef KC_YAML_H
#define KC_YAML_H

#include <stddef.h>
#include <yaml.h>

struct json_object;

struct kc_yaml {
	char *name;              /* file name for messages */
	yaml_document_t *docs;   /* every document of the stream, empty ones dropped */
	size_t ndocs;
};

/* Deepest nesting accepted (flow or block). go-yaml v2 stops at 10000 (scannerc.go
 * max_flow_level/max_indents); we stop lower because libyaml's tokenizer is quadratic in it
 * and no Kubernetes object nests past a few dozen levels. */
#define KC_YAML_MAX_DEPTH 1000
/* Absolute cap on a document's expanded node count (aliases and merges counted each time
 * they are used), whatever the alias ratio. */
#define KC_YAML_MAX_EXPANDED (50u * 1000u * 1000u)

/* Parses a whole stream. On a syntax error returns KC_EINVAL with
 * "name:line:column: <libyaml problem> (<context>)" and keeps the documents before it in out
 * (so a caller can audit what was good); out must be freed either way. */
int kc_yaml_load(struct kc_yaml *out, const char *name, const char *data, size_t len);
void kc_yaml_clear(struct kc_yaml *y);

yaml_node_t *kc_yaml_root(struct kc_yaml *y, size_t doc);
/* Value of key in a mapping node; NULL when absent or not a mapping. */
yaml_node_t *kc_yaml_get(yaml_document_t *d, yaml_node_t *map, const char *key);
/* Follows a dotted path ("authentication.anonymous.enabled") through mappings; a numeric
 * part selects an item of a sequence ("resources.0.providers"). */
yaml_node_t *kc_yaml_path(yaml_document_t *d, yaml_node_t *map, const char *dotted);
/* Scalar text or NULL when n is not a scalar. */
const char *kc_yaml_scalar(const yaml_node_t *n);
/* n as one comparable text (caller frees): a scalar's text, a mapping's keys or a sequence's
 * scalar items comma-joined (so "has"/"subset" can test lists); NULL for a NULL node. */
char *kc_yaml_text(yaml_document_t *d, const yaml_node_t *n);
/* YAML 1.1 null (go-yaml v2 resolve.go): no node, or a plain "", "~", "null", "Null", "NULL".
 * A null field is unset: the component's default applies. */
int kc_yaml_is_null(const yaml_node_t *n);
/* A field the component declares boolean. Plain y/Y/yes/Yes/YES/on/On/ON/true/True/TRUE and
 * their false forms (go-yaml v2 resolve.go, decode.go's YAML 1.1 bool compatibility).
 * Returns 0 with *out set, KC_ENOTFOUND when the field is null/absent (unset), KC_EINVAL
 * with "line L: ..." when it is not a boolean (a quoted "true" is a string: the component
 * refuses to start). */
int kc_yaml_bool(const yaml_node_t *n, int *out);
/* A field the component declares integer: YAML 1.1 integer forms as go-yaml v2 resolves
 * them (strconv.ParseInt base 0 after removing '_': 0x1f, 0o17, 017, 0b101, +12, 1_000), or
 * a float with an integral value (sigs.k8s.io/yaml passes 1e3 to JSON as 1000).
 * Same returns as kc_yaml_bool. */
int kc_yaml_int(const yaml_node_t *n, long long *out);
/* The plain scalar's YAML 1.1 resolution as canonical text: booleans as "true"/"false",
 * integers in decimal, null as NULL; other scalars (and quoted ones) as written. This is
 * the text a typed field holds after sigs.k8s.io/yaml converts the document to JSON.
 * Caller frees. */
char *kc_yaml_canon(const yaml_node_t *n);

/* Refuses text nested deeper than max_depth in flow collections ("[[[[...", "{{{") before
 * any parser sees it. Returns 0 or KC_EINVAL with "name:line: ..." (name may be NULL). Also
 * used by the JSON readers. */
int kc_yaml_check_depth(const char *name, const char *data, size_t len, int max_depth);

/* 1-based line and column of a node. */
static inline long kc_yaml_line(const yaml_node_t *n) { return n ? (long)n->start_mark.line + 1 : 0; }
static inline long kc_yaml_col(const yaml_node_t *n) { return n ? (long)n->start_mark.column + 1 : 0; }

/* Converts a node to json-c as sigs.k8s.io/yaml's YAMLToJSON does over go-yaml v2: plain
 * scalars typed by YAML 1.1 (null, y/yes/on/off... booleans, 0x/0o/0/0b/_ integers,
 * floats, .inf/.nan as strings since JSON has none), quoted scalars stay strings, mapping
 * keys that resolve to booleans or numbers become their text ("true", "16"). Merge keys are
 * already applied by kc_yaml_load. Returns KC_EINVAL past max_nodes nodes (0 = no extra
 * cap) or KC_YAML_MAX_DEPTH levels. *out is NULL for a YAML null. */
int kc_yaml_to_json(yaml_document_t *d, yaml_node_t *n, size_t max_nodes, struct json_object **out);

#endif
