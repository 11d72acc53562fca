#include "remediation/kustomize.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/error.h"
#include "common/yaml.h"

const char *const kc_kustomize_names[3] = { "kustomization.yaml", "kustomization.yml", "Kustomization" };

static const char *const list_keys[] = { "resources", "patches" };

static const char *strip_dot(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	return s;
}

/* The path an item names: the scalar itself (resources) or its `path` (patches). */
static const char *item_path(yaml_document_t *d, yaml_node_t *item, enum kc_kustomize_list list)
{
	if (list == KC_KUSTOMIZE_PATCHES)
		return kc_yaml_scalar(kc_yaml_get(d, item, "path"));
	return kc_yaml_scalar(item);
}

static int seq_has(yaml_document_t *d, yaml_node_t *seq, const char *entry, enum kc_kustomize_list list)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const char *s = item_path(d, yaml_document_get_node(d, *it), list);
		if (s && strcmp(strip_dot(s), strip_dot(entry)) == 0)
			return 1;
	}
	return 0;
}

static int lists(const char *data, size_t len, const char *entry, enum kc_kustomize_list list)
{
	struct kc_yaml y;
	int found = 0;
	if (kc_yaml_load(&y, "kustomization", data, len) == 0 && y.ndocs == 1)
		found = seq_has(&y.docs[0], kc_yaml_get(&y.docs[0], kc_yaml_root(&y, 0), list_keys[list]), entry, list);
	kc_error_clear();
	kc_yaml_clear(&y);
	return found;
}

int kc_kustomize_lists(const char *data, size_t len, const char *entry)
{
	return lists(data, len, entry, KC_KUSTOMIZE_RESOURCES);
}

int kc_kustomize_lists_patch(const char *data, size_t len, const char *entry)
{
	return lists(data, len, entry, KC_KUSTOMIZE_PATCHES);
}

/* ---- positions in the text --------------------------------------------------------- */

static size_t line_start(const char *data, size_t pos)
{
	while (pos > 0 && data[pos - 1] != '\n')
		pos--;
	return pos;
}

/* Just past the '\n' ending the line that holds pos (len when the last line has none). */
static size_t after_line(const char *data, size_t len, size_t pos)
{
	while (pos < len && data[pos] != '\n')
		pos++;
	return pos < len ? pos + 1 : len;
}

/* The end of a node's own text. libyaml's end mark of a block collection lies where the
 * next token starts, past blank and comment lines that belong to what follows; the end
 * of its last scalar (or of a flow collection's bracket) does not. */
static size_t content_end(yaml_document_t *d, yaml_node_t *n)
{
	for (;;) {
		if (n->type == YAML_SEQUENCE_NODE && n->data.sequence.style != YAML_FLOW_SEQUENCE_STYLE &&
		    n->data.sequence.items.top > n->data.sequence.items.start)
			n = yaml_document_get_node(d, n->data.sequence.items.top[-1]);
		else if (n->type == YAML_MAPPING_NODE && n->data.mapping.style != YAML_FLOW_MAPPING_STYLE &&
			 n->data.mapping.pairs.top > n->data.mapping.pairs.start)
			n = yaml_document_get_node(d, n->data.mapping.pairs.top[-1].value);
		else
			return n->end_mark.index;
	}
}

static void put_item(struct kc_buf *b, size_t indent, const char *entry, enum kc_kustomize_list list)
{
	for (size_t i = 0; i < indent; i++)
		kc_buf_putc(b, ' ');
	kc_buf_printf(b, list == KC_KUSTOMIZE_PATCHES ? "- path: %s\n" : "- %s\n", entry);
}

/* Everything but the edited list, as JSON text, for the check after the edit. */
static char *others_json(yaml_document_t *d, yaml_node_t *root, const char *skip)
{
	struct json_object *o = NULL;
	char *s = NULL;
	if (kc_yaml_to_json(d, root, 100000, &o) == 0 && o && json_object_is_type(o, json_type_object)) {
		json_object_object_del(o, skip);
		s = kc_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	}
	if (o)
		json_object_put(o);
	kc_error_clear();
	return s;
}

/* Entries must stay plain one-line scalars: no quoting rules to get wrong. */
static int plain_entry(const char *s)
{
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '/' || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

int kc_kustomize_add(const char *name, const char *data, size_t len, enum kc_kustomize_list list,
		     const char *const *add, size_t nadd, struct kc_buf *out, int *changed)
{
	struct kc_yaml y, again;
	const char *key = list_keys[list];
	char *missing = kc_xcalloc(nadd ? nadd : 1, 1), *before = NULL, *after = NULL;
	size_t nmissing = 0;
	struct kc_buf res = KC_BUF_INIT, ins = KC_BUF_INIT;
	int rc;

	*changed = 0;
	memset(&again, 0, sizeof(again));
	rc = kc_yaml_load(&y, name, data, len);
	if (rc)
		goto done;
	if (y.ndocs > 1) {
		rc = kc_error_set(KC_EINVAL, "%s: holds %zu YAML documents, a kustomization is one", name, y.ndocs);
		goto done;
	}
	yaml_document_t *d = y.ndocs ? &y.docs[0] : NULL;
	yaml_node_t *root = d ? kc_yaml_root(&y, 0) : NULL;
	if (root && (root->type != YAML_MAPPING_NODE || root->data.mapping.style == YAML_FLOW_MAPPING_STYLE)) {
		rc = kc_error_set(KC_EINVAL, "%s:%ld:%ld: a kustomization must be a block mapping to be edited in place",
				  name, kc_yaml_line(root), kc_yaml_col(root));
		goto done;
	}
	yaml_node_t *keynode = NULL, *val = NULL;
	for (yaml_node_pair_t *p = root ? root->data.mapping.pairs.start : NULL; p && p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		const char *ks = kc_yaml_scalar(k);
		if (ks && strcmp(ks, key) == 0) {
			keynode = k;
			val = yaml_document_get_node(d, p->value);
		}
	}
	int empty_val = val && val->type == YAML_SCALAR_NODE && val->data.scalar.length == 0 &&
			val->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (val && val->type != YAML_SEQUENCE_NODE && !empty_val) {
		rc = kc_error_set(KC_EINVAL, "%s:%ld:%ld: %s must be a list", name, kc_yaml_line(val), kc_yaml_col(val), key);
		goto done;
	}
	for (size_t i = 0; i < nadd; i++) {
		if (!plain_entry(add[i])) {
			rc = kc_error_set(KC_EINVAL, "%s: entry \"%s\" is not a plain relative path", name, add[i]);
			goto done;
		}
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = missing[j] && strcmp(strip_dot(add[i]), strip_dot(add[j])) == 0;
		if (!dup && !(val && seq_has(d, val, add[i], list))) {
			missing[i] = 1;
			nmissing++;
		}
	}
	if (!nmissing)
		goto done;
	before = root ? others_json(d, root, key) : kc_strdup("{}");

	size_t at; /* where the new text goes */
	if (val && val->type == YAML_SEQUENCE_NODE && val->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE) {
		/* [a, b] -> [a, b, c]: just before the closing bracket */
		at = val->end_mark.index;
		while (at > val->start_mark.index && data[at - 1] != ']')
			at--;
		if (at == val->start_mark.index) {
			rc = kc_error_set(KC_EINVAL, "%s:%ld: cannot find the end of the %s list", name, kc_yaml_line(val), key);
			goto done;
		}
		at--;
		size_t nitems = (size_t)(val->data.sequence.items.top - val->data.sequence.items.start);
		for (size_t i = 0, n = 0; i < nadd; i++) {
			if (!missing[i])
				continue;
			if (nitems || n)
				kc_buf_puts(&ins, ", ");
			if (list == KC_KUSTOMIZE_PATCHES)
				kc_buf_printf(&ins, "{path: %s}", add[i]);
			else
				kc_buf_puts(&ins, add[i]);
			n++;
		}
	} else if (val && val->type == YAML_SEQUENCE_NODE && val->data.sequence.items.top > val->data.sequence.items.start) {
		/* block list: after the line of the last item, at the column of its dash */
		yaml_node_t *first = yaml_document_get_node(d, val->data.sequence.items.start[0]);
		yaml_node_t *last = yaml_document_get_node(d, val->data.sequence.items.top[-1]);
		size_t ls = line_start(data, first->start_mark.index), dash = ls;
		while (dash < first->start_mark.index && data[dash] == ' ')
			dash++;
		if (data[dash] != '-') {
			rc = kc_error_set(KC_EINVAL, "%s:%ld: the %s list is not laid out one item per line", name,
					  kc_yaml_line(first), key);
			goto done;
		}
		at = after_line(data, len, content_end(d, last));
		if (at == len && len && data[len - 1] != '\n')
			kc_buf_putc(&ins, '\n');
		for (size_t i = 0; i < nadd; i++)
			if (missing[i])
				put_item(&ins, dash - ls, add[i], list);
	} else {
		/* no list yet: "key:" with nothing after it, or no key at all */
		size_t indent = root && root->data.mapping.pairs.top > root->data.mapping.pairs.start
			? (size_t)yaml_document_get_node(d, root->data.mapping.pairs.start[0].key)->start_mark.column : 0;
		if (keynode) {
			at = after_line(data, len, keynode->end_mark.index);
			if (at == len && len && data[len - 1] != '\n')
				kc_buf_putc(&ins, '\n');
		} else {
			at = len;
			if (len && data[len - 1] != '\n')
				kc_buf_putc(&ins, '\n');
			for (size_t i = 0; i < indent; i++)
				kc_buf_putc(&ins, ' ');
			kc_buf_printf(&ins, "%s:\n", key);
		}
		for (size_t i = 0; i < nadd; i++)
			if (missing[i])
				put_item(&ins, indent, add[i], list);
	}
	kc_buf_add(&res, data, at);
	kc_buf_add(&res, ins.ptr, ins.len);
	kc_buf_add(&res, data + at, len - at);

	/* the edit must read back as the same file plus the entries */
	if ((rc = kc_yaml_load(&again, name, res.ptr, res.len)) != 0 || again.ndocs != 1) {
		rc = kc_error_set(KC_EINVAL, "%s: inserting the entries would break the file; not edited", name);
		goto done;
	}
	yaml_node_t *root2 = kc_yaml_root(&again, 0);
	after = others_json(&again.docs[0], root2, key);
	if ((before || after) && (!before || !after || strcmp(before, after) != 0)) {
		rc = kc_error_set(KC_EINVAL, "%s: inserting the entries would change other keys; not edited", name);
		goto done;
	}
	yaml_node_t *val2 = kc_yaml_get(&again.docs[0], root2, key);
	for (size_t i = 0; i < nadd; i++) {
		if (!seq_has(&again.docs[0], val2, add[i], list)) {
			rc = kc_error_set(KC_EINVAL, "%s: the %s list did not take the entry %s; not edited", name, key, add[i]);
			goto done;
		}
	}
	kc_buf_add(out, res.ptr, res.len);
	*changed = 1;
done:
	kc_yaml_clear(&y);
	kc_yaml_clear(&again);
	kc_buf_clear(&res);
	kc_buf_clear(&ins);
	free(before);
	free(after);
	free(missing);
	return rc;
}

int kc_kustomize_add_resources(const char *name, const char *data, size_t len,
			       const char *const *add, size_t nadd, struct kc_buf *out, int *changed)
{
	return kc_kustomize_add(name, data, len, KC_KUSTOMIZE_RESOURCES, add, nadd, out, changed);
}
