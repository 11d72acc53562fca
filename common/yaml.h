/* The one YAML reader: libyaml's document loader, with marks kept for file:line:column
 * messages, and a converter to json-c so that YAML and JSON share one object model.
 * Aliases are resolved by libyaml as shared nodes; conversion bounds depth and node count
 * so that "billion laughs" documents fail instead of exhausting memory. */
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

/* Parses a whole stream. On a syntax error returns KC_EINVAL with
 * "name:line:column: <libyaml problem> (<context>)" and keeps the documents before it in out
 * (so a caller can audit what was good); out must be freed either way. */
int kc_yaml_load(struct kc_yaml *out, const char *name, const char *data, size_t len);
void kc_yaml_free(struct kc_yaml *y);

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
/* 1-based line and column of a node. */
static inline long kc_yaml_line(const yaml_node_t *n) { return n ? (long)n->start_mark.line + 1 : 0; }
static inline long kc_yaml_col(const yaml_node_t *n) { return n ? (long)n->start_mark.column + 1 : 0; }

/* Converts a node to json-c: plain scalars are typed (null, booleans, integers, floats) as
 * YAML 1.2's core schema says; quoted scalars stay strings. Returns KC_EINVAL past
 * max_nodes nodes or 100 levels. *out is NULL for a YAML null. */
int kc_yaml_to_json(yaml_document_t *d, yaml_node_t *n, size_t max_nodes, struct json_object **out);

#endif
