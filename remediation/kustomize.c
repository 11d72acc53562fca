#include "remediation/kustomize.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/yaml.h"
#include "remediation/yemit.h"

const char *const kc_kustomize_names[3] = { "kustomization.yaml", "kustomization.yml", "Kustomization" };

static const char *strip_dot(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	return s;
}

static int seq_has(yaml_document_t *d, yaml_node_t *seq, const char *entry)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const char *s = kc_yaml_scalar(yaml_document_get_node(d, *it));
		if (s && strcmp(strip_dot(s), strip_dot(entry)) == 0)
			return 1;
	}
	return 0;
}

int kc_kustomize_lists(const char *data, size_t len, const char *entry)
{
	struct kc_yaml y;
	int found = 0;
	if (kc_yaml_load(&y, "kustomization", data, len) == 0 && y.ndocs == 1)
		found = seq_has(&y.docs[0], kc_yaml_get(&y.docs[0], kc_yaml_root(&y, 0), "resources"), entry);
	kc_error_clear();
	kc_yaml_free(&y);
	return found;
}

int kc_kustomize_add_resources(const char *name, const char *data, size_t len,
			       const char *const *add, size_t nadd, struct kc_buf *out, int *changed)
{
	struct kc_yaml y;
	struct kc_yemit em;
	int rc, em_ready = 0;
	char *missing = kc_xcalloc(nadd ? nadd : 1, 1);
	size_t nmissing = 0;

	*changed = 0;
	rc = kc_yaml_load(&y, name, data, len);
	if (rc)
		goto done;
	if (y.ndocs > 1) {
		rc = kc_error_set(KC_EINVAL, "%s: holds %zu YAML documents, a kustomization is one", name, y.ndocs);
		goto done;
	}
	yaml_document_t *d = y.ndocs ? &y.docs[0] : NULL;
	yaml_node_t *root = d ? kc_yaml_root(&y, 0) : NULL;
	if (root && root->type != YAML_MAPPING_NODE) {
		rc = kc_error_set(KC_EINVAL, "%s:%ld:%ld: a kustomization must be a mapping", name,
				  kc_yaml_line(root), kc_yaml_col(root));
		goto done;
	}
	yaml_node_t *res = root ? kc_yaml_get(d, root, "resources") : NULL;
	if (res && res->type != YAML_SEQUENCE_NODE &&
	    !(res->type == YAML_SCALAR_NODE && res->data.scalar.length == 0)) {
		rc = kc_error_set(KC_EINVAL, "%s:%ld:%ld: resources must be a list", name,
				  kc_yaml_line(res), kc_yaml_col(res));
		goto done;
	}
	for (size_t i = 0; i < nadd; i++) {
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = missing[j] && strcmp(strip_dot(add[i]), strip_dot(add[j])) == 0;
		if (!dup && !(res && seq_has(d, res, add[i]))) {
			missing[i] = 1;
			nmissing++;
		}
	}
	if (!nmissing)
		goto done;

	struct kc_buf tmp = KC_BUF_INIT;
	if ((rc = kc_yemit_init(&em, &tmp)) != 0) {
		kc_buf_free(&tmp);
		goto done;
	}
	em_ready = 1;
	kc_yemit_doc_start(&em);
	kc_yemit_map_start(&em);
	int wrote_res = 0;
	for (yaml_node_pair_t *p = root ? root->data.mapping.pairs.start : NULL;
	     p && p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key), *v = yaml_document_get_node(d, p->value);
		kc_yemit_node(&em, d, k);
		if (v != res) {
			kc_yemit_node(&em, d, v);
			continue;
		}
		/* the same list with the missing entries at its end, in the list's own style */
		if (v->type == YAML_SEQUENCE_NODE && v->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE)
			kc_yemit_seq_start_flow(&em);
		else
			kc_yemit_seq_start(&em);
		for (yaml_node_item_t *it = v->type == YAML_SEQUENCE_NODE ? v->data.sequence.items.start : NULL;
		     it && it < v->data.sequence.items.top; it++)
			kc_yemit_node(&em, d, yaml_document_get_node(d, *it));
		for (size_t i = 0; i < nadd; i++)
			if (missing[i])
				kc_yemit_str(&em, add[i]);
		kc_yemit_seq_end(&em);
		wrote_res = 1;
	}
	if (!wrote_res) {
		kc_yemit_str(&em, "resources");
		kc_yemit_seq_start(&em);
		for (size_t i = 0; i < nadd; i++)
			if (missing[i])
				kc_yemit_str(&em, add[i]);
		kc_yemit_seq_end(&em);
	}
	kc_yemit_map_end(&em);
	kc_yemit_doc_end(&em);
	em_ready = 0;
	rc = kc_yemit_finish(&em);
	if (!rc) {
		kc_buf_add(out, tmp.ptr, tmp.len);
		*changed = 1;
	}
	kc_buf_free(&tmp);
done:
	if (em_ready)
		kc_yemit_finish(&em);
	kc_yaml_free(&y);
	free(missing);
	return rc;
}
