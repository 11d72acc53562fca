#include "common/yaml.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/strbuf.h"

int kc_yaml_load(struct kc_yaml *out, const char *name, const char *data, size_t len)
{
	yaml_parser_t parser;
	int rc = 0;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	out->name = kc_strdup(name ? name : "<input>");
	if (!yaml_parser_initialize(&parser))
		return kc_error_set(KC_EGENERIC, "%s: cannot initialise the YAML parser", out->name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			rc = kc_error_set(KC_EINVAL, "%s:%zu:%zu: %s%s%s", out->name,
					  parser.problem_mark.line + 1, parser.problem_mark.column + 1,
					  parser.problem ? parser.problem : "invalid YAML",
					  parser.context ? " " : "", parser.context ? parser.context : "");
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			/* an empty document ends the stream (libyaml's convention) */
			yaml_document_delete(&doc);
			if (parser.stream_end_produced)
				break;
			continue;
		}
		out->docs = kc_array_grow(out->docs, &cap, out->ndocs + 1, sizeof(*out->docs));
		out->docs[out->ndocs++] = doc;
	}
	yaml_parser_delete(&parser);
	return rc;
}

void kc_yaml_free(struct kc_yaml *y)
{
	for (size_t i = 0; i < y->ndocs; i++)
		yaml_document_delete(&y->docs[i]);
	free(y->docs);
	free(y->name);
	memset(y, 0, sizeof(*y));
}

yaml_node_t *kc_yaml_root(struct kc_yaml *y, size_t doc)
{
	return doc < y->ndocs ? yaml_document_get_root_node(&y->docs[doc]) : NULL;
}

const char *kc_yaml_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

char *kc_yaml_text(yaml_document_t *d, const yaml_node_t *n)
{
	if (!n)
		return NULL;
	if (n->type == YAML_SCALAR_NODE)
		return kc_strdup(kc_yaml_scalar(n));
	struct kc_buf b = KC_BUF_INIT;
	if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const char *k = kc_yaml_scalar(yaml_document_get_node(d, p->key));
			if (k)
				kc_buf_printf(&b, "%s%s", b.len ? "," : "", k);
		}
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			const char *s = kc_yaml_scalar(yaml_document_get_node(d, *it));
			if (s)
				kc_buf_printf(&b, "%s%s", b.len ? "," : "", s);
		}
	}
	return kc_buf_detach(&b);
}

yaml_node_t *kc_yaml_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	yaml_node_t *found = NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = kc_yaml_scalar(yaml_document_get_node(d, p->key));
		/* the last duplicate wins, as in the Go YAML decoders the components use */
		if (k && strcmp(k, key) == 0)
			found = yaml_document_get_node(d, p->value);
	}
	return found;
}

yaml_node_t *kc_yaml_path(yaml_document_t *d, yaml_node_t *map, const char *dotted)
{
	char part[256];
	const char *p = dotted;
	yaml_node_t *n = map;
	while (n && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len >= sizeof(part))
			return NULL;
		memcpy(part, p, len);
		part[len] = '\0';
		if (n->type == YAML_SEQUENCE_NODE) {
			/* a number selects an item of a sequence: "resources.0.providers" */
			char *end;
			long idx = strtol(part, &end, 10);
			long count = n->data.sequence.items.top - n->data.sequence.items.start;
			n = (!*part || *end || idx < 0 || idx >= count) ? NULL
								       : yaml_document_get_node(d, n->data.sequence.items.start[idx]);
		} else {
			n = kc_yaml_get(d, n, part);
		}
		p += len + (dot ? 1 : 0);
	}
	return n;
}

static struct json_object *scalar_to_json(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_object_new_string_len(s, (int)len);
	if (len == 0 || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0)
		return NULL;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
		return json_object_new_boolean(1);
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		return json_object_new_boolean(0);
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end == '\0' && errno == 0 && (s[0] != '0' || len == 1) && !(s[0] == '+' && len == 1))
		return json_object_new_int64(v);
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.') {
		double dv = strtod(s, &end);
		if (*end == '\0' && strspn(s, "0123456789.-+eE") == len)
			return json_object_new_double(dv);
	}
	return json_object_new_string_len(s, (int)len);
}

static int to_json(yaml_document_t *d, yaml_node_t *n, size_t *budget, int depth, struct json_object **out)
{
	*out = NULL;
	if (!n)
		return 0;
	if (*budget == 0 || depth > 100)
		return kc_error_set(KC_EINVAL, "line %ld: document too large or too deeply nested (aliases?)",
				    kc_yaml_line(n));
	(*budget)--;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		*out = scalar_to_json(n);
		return 0;
	case YAML_SEQUENCE_NODE: {
		struct json_object *arr = json_object_new_array();
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			struct json_object *v;
			if (to_json(d, yaml_document_get_node(d, *it), budget, depth + 1, &v) < 0) {
				json_object_put(arr);
				return KC_EINVAL;
			}
			json_object_array_add(arr, v);
		}
		*out = arr;
		return 0;
	}
	case YAML_MAPPING_NODE: {
		struct json_object *obj = json_object_new_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(d, p->key);
			const char *key = kc_yaml_scalar(k);
			if (!key) /* complex keys do not occur in Kubernetes objects */
				continue;
			if (strcmp(key, "<<") == 0)
				continue; /* merge keys are not part of the Kubernetes YAML dialect */
			struct json_object *v;
			if (to_json(d, yaml_document_get_node(d, p->value), budget, depth + 1, &v) < 0) {
				json_object_put(obj);
				return KC_EINVAL;
			}
			json_object_object_add(obj, key, v);
		}
		*out = obj;
		return 0;
	}
	default:
		return 0;
	}
}

int kc_yaml_to_json(yaml_document_t *d, yaml_node_t *n, size_t max_nodes, struct json_object **out)
{
	size_t budget = max_nodes ? max_nodes : 10 * 1000 * 1000;
	return to_json(d, n, &budget, 0, out);
}
