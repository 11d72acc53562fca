#include "checks/k8s/exceptions.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/input.h"
#include "common/strbuf.h"
#include "common/yaml.h"

static const char *const keys[] = { "check", "object", "kind", "reason", "expires" };

static int parse_date(const char *s, time_t *until)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end)
		return -1;
	tm.tm_mday += 1; /* the whole expiry day still counts */
	*until = timegm(&tm);
	return 0;
}

static int parse_item(const char *name, yaml_document_t *d, yaml_node_t *n, struct kc_exception *e)
{
	if (n->type != YAML_MAPPING_NODE)
		return kc_error_set(KC_EINVAL, "%s:%ld:%ld: expected a mapping with check, object, reason, expires",
				    name, kc_yaml_line(n), kc_yaml_col(n));
	e->line = kc_yaml_line(n);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key), *v = yaml_document_get_node(d, p->value);
		const char *key = kc_yaml_scalar(k), *val = kc_yaml_scalar(v);
		size_t i;
		for (i = 0; key && i < sizeof(keys) / sizeof(*keys); i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (!key || i == sizeof(keys) / sizeof(*keys))
			return kc_error_set(KC_EINVAL, "%s:%ld:%ld: unknown key '%s' in exception (expected one of: check, "
					    "object, kind, reason, expires)", name, kc_yaml_line(k), kc_yaml_col(k), key ? key : "?");
		if (!val || !*val)
			return kc_error_set(KC_EINVAL, "%s:%ld:%ld: '%s' must be a non-empty string", name,
					    kc_yaml_line(v), kc_yaml_col(v), key);
		switch (i) {
		case 0: free(e->check); e->check = kc_strdup(val); break;
		case 1: {
			const char *slash = strchr(val, '/');
			free(e->ns_glob);
			free(e->name_glob);
			e->ns_glob = slash ? kc_strndup(val, (size_t)(slash - val)) : NULL;
			e->name_glob = kc_strdup(slash ? slash + 1 : val);
			break;
		}
		case 2: free(e->kind); e->kind = kc_strdup(val); break;
		case 3: free(e->reason); e->reason = kc_strdup(val); break;
		case 4:
			free(e->expires);
			e->expires = kc_strdup(val);
			if (parse_date(val, &e->until) < 0)
				return kc_error_set(KC_EINVAL, "%s:%ld:%ld: expires must be a date YYYY-MM-DD, not '%s'",
						    name, kc_yaml_line(v), kc_yaml_col(v), val);
			break;
		}
	}
	const char *missing = !e->check ? "check" : !e->name_glob ? "object" : !e->reason ? "reason"
			      : !e->expires ? "expires" : NULL;
	if (missing)
		return kc_error_set(KC_EINVAL, "%s:%ld:%ld: exception without '%s' (every exception needs check, "
				    "object, reason and expires)", name, kc_yaml_line(n), kc_yaml_col(n), missing);
	return 0;
}

int kc_exceptions_load_buffer(const char *name, const char *data, size_t len, struct kc_exceptions **out)
{
	struct kc_yaml y;
	struct kc_exceptions *ex = kc_xcalloc(1, sizeof(*ex));
	int rc = kc_yaml_load(&y, name, data, len);
	*out = NULL;
	ex->path = kc_strdup(name);
	if (rc < 0)
		goto cleanup;
	yaml_node_t *root = kc_yaml_root(&y, 0);
	if (!root) /* an empty file: no exceptions */
		goto cleanup;
	yaml_node_t *list = kc_yaml_get(&y.docs[0], root, "exceptions");
	if (root->type != YAML_MAPPING_NODE || !list || list->type != YAML_SEQUENCE_NODE) {
		rc = kc_error_set(KC_EINVAL, "%s:%ld:%ld: expected 'exceptions:' with a list of exceptions", name,
				  kc_yaml_line(root), kc_yaml_col(root));
		goto cleanup;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&y.docs[0], p->key);
		const char *key = kc_yaml_scalar(k);
		if (!key || strcmp(key, "exceptions") != 0) {
			rc = kc_error_set(KC_EINVAL, "%s:%ld:%ld: unknown key '%s' (expected: exceptions)", name,
					  kc_yaml_line(k), kc_yaml_col(k), key ? key : "?");
			goto cleanup;
		}
	}
	size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	ex->items = kc_xcalloc(n ? n : 1, sizeof(*ex->items));
	for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		rc = parse_item(name, &y.docs[0], yaml_document_get_node(&y.docs[0], *it), &ex->items[ex->n++]);
		if (rc < 0)
			goto cleanup;
	}
cleanup:
	kc_yaml_clear(&y);
	if (rc < 0) {
		kc_exceptions_free(ex);
		return rc;
	}
	*out = ex;
	return 0;
}

int kc_exceptions_load(const char *path, struct kc_exceptions **out)
{
	*out = NULL;
	char *data;
	size_t len;
	/* before: reading stopped silently at 16 MiB, dropping the exceptions after it */
	int rc = kc_input_read(path, "exceptions file", 16u << 20, &data, &len);
	if (rc < 0)
		return rc;
	rc = kc_exceptions_load_buffer(path, data, len, out);
	free(data);
	return rc;
}

void kc_exceptions_free(struct kc_exceptions *ex)
{
	if (!ex)
		return;
	for (size_t i = 0; i < ex->n; i++) {
		struct kc_exception *e = &ex->items[i];
		free(e->check); free(e->kind); free(e->ns_glob); free(e->name_glob); free(e->reason); free(e->expires);
	}
	free(ex->items);
	free(ex->path);
	free(ex);
}

static int row_matches(const struct kc_exception *e, const char *check_id, const struct kc_evidence *ev)
{
	if (!check_id || fnmatch(e->check, check_id, 0) != 0)
		return 0;
	if (e->kind && (!ev->obj_kind || strcmp(e->kind, ev->obj_kind) != 0))
		return 0;
	if (e->ns_glob) {
		if (!ev->obj_namespace || fnmatch(e->ns_glob, ev->obj_namespace, 0) != 0)
			return 0;
	} else if (ev->obj_namespace) {
		return 0;
	}
	return ev->obj_name && fnmatch(e->name_glob, ev->obj_name, 0) == 0;
}

static void append_detail(struct kc_evidence *ev, int expired, const struct kc_exception *e, const char *path)
{
	struct kc_buf b = KC_BUF_INIT;
	if (ev->detail)
		kc_buf_printf(&b, "%s; ", ev->detail);
	kc_buf_printf(&b, "%s: %s (%s %s, %s:%ld)", expired ? "exception expired" : "excepted", e->reason,
		      expired ? "ended" : "until", e->expires, path, e->line);
	free(ev->detail);
	ev->detail = kc_buf_detach(&b);
}

enum kc_status kc_exceptions_apply(const struct kc_exceptions *ex, const char *check_id, struct kc_result *r,
				   enum kc_status status, time_t now)
{
	if (!ex || !ex->n || status != KC_FAIL)
		return status;
	size_t failing = 0, excepted = 0;
	/* which exceptions were used, to name their reasons once each */
	unsigned char *used = kc_xcalloc(ex->n, 1);
	for (size_t i = 0; i < r->nevidence; i++) {
		struct kc_evidence *ev = &r->evidence[i];
		if (ev->kind != KC_EV_OBJECT)
			continue;
		failing++;
		const struct kc_exception *hit = NULL, *expired = NULL;
		for (size_t k = 0; k < ex->n && !hit; k++) {
			if (!row_matches(&ex->items[k], check_id, ev))
				continue;
			if (now < ex->items[k].until) {
				hit = &ex->items[k];
				used[k] = 1;
			} else if (!expired) {
				expired = &ex->items[k];
			}
		}
		if (hit) {
			excepted++;
			free(ev->layer);
			ev->layer = kc_strdup("exception");
			append_detail(ev, 0, hit, ex->path);
		} else if (expired) {
			append_detail(ev, 1, expired, ex->path);
		}
	}
	if (excepted) {
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_printf(&b, "%zu of %zu failing object%s excepted: ", excepted, failing, failing == 1 ? "" : "s");
		int first = 1;
		for (size_t k = 0; k < ex->n; k++)
			if (used[k]) {
				kc_buf_printf(&b, "%s%s (until %s, %s:%ld)", first ? "" : "; ", ex->items[k].reason,
					      ex->items[k].expires, ex->path, ex->items[k].line);
				first = 0;
			}
		if (excepted == failing) {
			free(r->exception);
			r->exception = kc_buf_detach(&b);
			status = KC_PASS;
			struct kc_buf a = KC_BUF_INIT;
			kc_buf_printf(&a, "every failing object is a documented exception (%s)", r->actual ? r->actual : "");
			free(r->actual);
			r->actual = kc_buf_detach(&a);
		} else {
			kc_result_note(r, "%s", b.ptr);
			kc_buf_clear(&b);
		}
	}
	free(used);
	return status;
}
