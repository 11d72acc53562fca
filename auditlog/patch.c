/* JSON patch (RFC 6902) operations to the object shape they set (see patch.h). */
#include "auditlog/patch.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/strbuf.h"

/* Bounds: an audit body is at most a few MiB; these keep a hostile patch linear. */
#define MAX_OPS 4096
#define MAX_DEPTH 64
#define MAX_INDEX 1024

/* One RFC 6901 reference token: "~1" is '/', "~0" is '~'. */
static void unescape(const char *s, size_t n, struct kc_buf *out)
{
	kc_buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
			kc_buf_putc(out, s[i + 1] == '0' ? '~' : '/');
			i++;
		} else {
			kc_buf_putc(out, s[i]);
		}
	}
}

/* An array index token ("0".."1023") or "-" (append); -1 for anything else. */
static long index_of(const char *tok, size_t len)
{
	if (len == 1 && tok[0] == '-')
		return MAX_INDEX; /* past the end: appended */
	if (len == 0 || len > 4 || (len > 1 && tok[0] == '0'))
		return -1;
	long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return -1;
		v = v * 10 + (tok[i] - '0');
	}
	return v < MAX_INDEX ? v : -1;
}

/* Places val at o[key] (object) or o[index] (array; "-" appends). Returns the child now there. */
static struct json_object *put(struct json_object *o, const char *key, size_t klen,
			       struct json_object *val)
{
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_add(o, key, val);
		return val;
	}
	long idx = index_of(key, klen);
	size_t len = json_object_array_length(o);
	if (idx < 0) {
		json_object_put(val);
		return NULL;
	}
	if ((size_t)idx >= len) {
		json_object_array_add(o, val);
		return val;
	}
	json_object_array_put_idx(o, (size_t)idx, val);
	return val;
}

/* The container at o[key], created when missing (an array when the next token is an index). */
static struct json_object *step(struct json_object *o, const char *key, size_t klen, int next_is_index)
{
	struct json_object *v = NULL;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_get_ex(o, key, &v);
	} else {
		long idx = index_of(key, klen);
		if (idx < 0)
			return NULL;
		if ((size_t)idx < json_object_array_length(o))
			v = json_object_array_get_idx(o, (size_t)idx);
	}
	if (v && (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array)))
		return v;
	return put(o, key, klen, next_is_index ? json_object_new_array() : json_object_new_object());
}

static int is_index_token(const char *p)
{
	size_t n = strcspn(p, "/");
	return index_of(p, n) >= 0;
}

static void apply(struct json_object *view, const char *path, struct json_object *value)
{
	if (path[0] != '/')
		return; /* "" (the whole document) and malformed pointers: nothing placed */
	struct kc_buf tok = KC_BUF_INIT;
	struct json_object *o = view;
	const char *p = path + 1;
	for (int depth = 0; o && depth < MAX_DEPTH; depth++) {
		size_t n = strcspn(p, "/");
		unescape(p, n, &tok);
		const char *key = tok.ptr ? tok.ptr : "";
		if (p[n] == '\0') {
			put(o, key, tok.len, json_object_get(value));
			break;
		}
		o = step(o, key, tok.len, is_index_token(p + n + 1));
		p += n + 1;
	}
	kc_buf_clear(&tok);
}

struct json_object *kc_audit_patch_view(struct json_object *ops)
{
	if (!ops || !json_object_is_type(ops, json_type_array))
		return NULL;
	struct json_object *view = json_object_new_object();
	size_t n = json_object_array_length(ops), placed = 0;
	for (size_t i = 0; i < n && i < MAX_OPS; i++) {
		struct json_object *op = json_object_array_get_idx(ops, i), *kind, *path, *value;
		if (!json_object_is_type(op, json_type_object) || !json_object_object_get_ex(op, "op", &kind) ||
		    !json_object_object_get_ex(op, "path", &path) || !json_object_object_get_ex(op, "value", &value) ||
		    !json_object_is_type(kind, json_type_string) || !json_object_is_type(path, json_type_string))
			continue;
		const char *k = json_object_get_string(kind);
		if (strcmp(k, "add") != 0 && strcmp(k, "replace") != 0)
			continue;
		apply(view, json_object_get_string(path), value);
		placed++;
	}
	if (!placed) {
		json_object_put(view);
		return NULL;
	}
	return view;
}
