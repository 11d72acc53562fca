#include "checks/k8s/jsonscan.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"

/* A key of an open object: a span of the input, or a decoded copy when it had escapes (so
 * that "a" and "\u0061" are the same key, as they are to the API server). */
struct key {
	const char *p;
	size_t n;
	size_t off;                 /* where it was written, for the message */
	int owned;
};

struct frame {
	char type;                  /* '{' or '[' */
	struct key *keys;
	size_t nkeys, cap;
};

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(struct kc_buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	kc_buf_add(b, u, n);
}

/* Scans the string whose opening quote is s[*i]; leaves *i past the closing quote. With dec,
 * appends the decoded text. Sets *escaped when it held an escape. */
static int scan_string(const char *s, size_t len, size_t *i, struct kc_buf *dec, int *escaped, size_t *err)
{
	size_t p = *i + 1;
	*escaped = 0;
	while (p < len) {
		unsigned char c = (unsigned char)s[p];
		if (c == '"') {
			*i = p + 1;
			return 0;
		}
		if (c < 0x20) {
			*err = p;
			return kc_error_set(KC_EINVAL, "invalid JSON: control character in a string");
		}
		if (c != '\\') {
			if (dec)
				kc_buf_add(dec, (const char *)&s[p], 1);
			p++;
			continue;
		}
		*escaped = 1;
		if (p + 1 >= len)
			break;
		char e = s[p + 1];
		if (e == 'u') {
			unsigned cp = 0;
			for (int k = 0; k < 4; k++) {
				int h = p + 2 + (size_t)k < len ? hexval(s[p + 2 + k]) : -1;
				if (h < 0) {
					*err = p;
					return kc_error_set(KC_EINVAL, "invalid JSON: bad \\u escape");
				}
				cp = cp << 4 | (unsigned)h;
			}
			if (cp == 0) {
				*err = p;
				return kc_error_set(KC_EINVAL, "string holds \\u0000 (NUL), which would cut it short; refused");
			}
			p += 6;
			/* a surrogate pair is one character */
			if (cp >= 0xd800 && cp < 0xdc00 && p + 5 < len && s[p] == '\\' && s[p + 1] == 'u') {
				unsigned lo = 0;
				int ok = 1;
				for (int k = 0; k < 4; k++) {
					int h = hexval(s[p + 2 + k]);
					ok &= h >= 0;
					lo = lo << 4 | (unsigned)(h < 0 ? 0 : h);
				}
				if (ok && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			if (dec)
				put_utf8(dec, cp);
			continue;
		}
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		const char *m = strchr(from, e);
		if (!e || !m) {
			*err = p;
			return kc_error_set(KC_EINVAL, "invalid JSON: bad escape \\%c", e ? e : '0');
		}
		if (dec)
			kc_buf_add(dec, &to[m - from], 1);
		p += 2;
	}
	*err = *i;
	return kc_error_set(KC_EINVAL, "invalid JSON: unterminated string");
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->p, y->p, n);
	if (c)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

static void frame_clear(struct frame *f)
{
	for (size_t k = 0; k < f->nkeys; k++)
		if (f->keys[k].owned)
			free((char *)f->keys[k].p);
	f->nkeys = 0;
}

/* At the close of an object: sorting finds duplicates in n log n, whatever the key count. */
static int frame_check_dups(struct frame *f, size_t *err)
{
	if (f->nkeys < 2)
		return 0;
	qsort(f->keys, f->nkeys, sizeof(*f->keys), key_cmp);
	for (size_t k = 1; k < f->nkeys; k++)
		if (key_cmp(&f->keys[k - 1], &f->keys[k]) == 0) {
			size_t later = f->keys[k].off > f->keys[k - 1].off ? f->keys[k].off : f->keys[k - 1].off;
			*err = later;
			return kc_error_set(KC_EINVAL, "duplicate key \"%.*s\" in one object (the API server's strict "
					    "decoding refuses it; with last-wins the first value would be lost)",
					    (int)(f->keys[k].n > 100 ? 100 : f->keys[k].n), f->keys[k].p);
		}
	return 0;
}

static void add_item(struct kc_json_scan *out, size_t *cap, size_t off)
{
	out->items = kc_array_grow(out->items, cap, out->nitems + 1, sizeof(*out->items));
	out->items[out->nitems++] = (struct kc_json_span){ off, 0 };
}

#define PROGRESS_STEP (4u << 20)

int kc_json_scan(const char *s, size_t len, struct kc_json_scan *out)
{
	return kc_json_scan_ex(s, len, out, NULL, NULL);
}

int kc_json_scan_ex(const char *s, size_t len, struct kc_json_scan *out, void (*progress)(void *arg, size_t off),
		    void *arg)
{
	memset(out, 0, sizeof(*out));
	size_t next_progress = PROGRESS_STEP;
	struct frame *st = kc_xcalloc(KC_JSON_MAX_DEPTH + 1, sizeof(*st));
	int depth = 0, rc = 0;
	size_t i = 0, items_cap = 0, err = 0;
	int items_depth = -1;       /* depth of the array whose elements are recorded */
	enum { VALUE, AFTER_VALUE, KEY_OR_END, KEY, COLON, VALUE_OR_END } want = VALUE;
	const char *pending = NULL; /* top-level key just read: "kind", "apiVersion", "items" */
	struct kc_buf dec = KC_BUF_INIT;

	for (;;) {
		while (i < len && is_ws(s[i]))
			i++;
		if (depth == 0 && want == AFTER_VALUE)
			break;
		if (progress && i >= next_progress) {
			progress(arg, i);
			next_progress = i + PROGRESS_STEP;
		}
		if (i >= len) {
			err = len;
			rc = kc_error_set(KC_EINVAL, "invalid JSON: the text ends inside a value");
			break;
		}
		char c = s[i];
		struct frame *f = depth ? &st[depth - 1] : NULL;
		if (want == AFTER_VALUE) {
			if (c == ',') {
				want = f->type == '{' ? KEY : VALUE;
				i++;
				continue;
			}
			if (c != (f->type == '{' ? '}' : ']')) {
				err = i;
				rc = kc_error_set(KC_EINVAL, "invalid JSON: expected ',' or '%c'", f->type == '{' ? '}' : ']');
				break;
			}
		close:
			if (f->type == '{' && (rc = frame_check_dups(f, &err)) < 0)
				break;
			frame_clear(f);
			if (items_depth == depth)
				items_depth = -1;
			depth--;
			i++;
			want = AFTER_VALUE;
			if (depth == 0)
				out->end = i;
			continue;
		}
		if (want == KEY_OR_END || want == VALUE_OR_END) {
			if (c == (want == KEY_OR_END ? '}' : ']')) {
				if (items_depth == depth)
					items_depth = -1;
				goto close;
			}
			want = want == KEY_OR_END ? KEY : VALUE;
		}
		if (want == KEY) {
			if (c != '"') {
				err = i;
				rc = kc_error_set(KC_EINVAL, "invalid JSON: expected a key in double quotes");
				break;
			}
			size_t start = i;
			int escaped;
			/* a first pass without decoding: most keys have no escape and stay spans */
			if ((rc = scan_string(s, len, &i, NULL, &escaped, &err)) < 0)
				break;
			struct key k = { s + start + 1, i - start - 2, start, 0 };
			if (escaped) {
				size_t j = start;
				kc_buf_reset(&dec);
				scan_string(s, len, &j, &dec, &escaped, &err);
				k.p = kc_strndup(dec.ptr, dec.len);
				k.n = dec.len;
				k.owned = 1;
			}
			f->keys = kc_array_grow(f->keys, &f->cap, f->nkeys + 1, sizeof(*f->keys));
			f->keys[f->nkeys++] = k;
			pending = NULL;
			if (depth == 1 && !out->root_array) {
				if (k.n == 4 && memcmp(k.p, "kind", 4) == 0)
					pending = "kind";
				else if (k.n == 10 && memcmp(k.p, "apiVersion", 10) == 0)
					pending = "apiVersion";
				else if (k.n == 5 && memcmp(k.p, "items", 5) == 0)
					pending = "items";
			}
			want = COLON;
			continue;
		}
		if (want == COLON) {
			if (c != ':') {
				err = i;
				rc = kc_error_set(KC_EINVAL, "invalid JSON: expected ':' after a key");
				break;
			}
			i++;
			want = VALUE;
			continue;
		}
		/* want == VALUE */
		if (items_depth >= 0 && depth == items_depth)
			add_item(out, &items_cap, i);
		const char *key = depth == 1 ? pending : NULL;
		pending = NULL;
		if (c == '{' || c == '[') {
			if (depth == KC_JSON_MAX_DEPTH) {
				err = i;
				rc = kc_error_set(KC_EINVAL, "nested deeper than %d levels; refused", KC_JSON_MAX_DEPTH);
				break;
			}
			if (depth == 0 && c == '[') {
				out->root_array = 1;
				items_depth = 1;
			} else if (key && strcmp(key, "items") == 0 && c == '[') {
				out->has_items = 1;
				items_depth = 2;
			}
			st[depth].type = c;
			depth++;
			i++;
			want = c == '{' ? KEY_OR_END : VALUE_OR_END;
			continue;
		}
		if (c == '"') {
			int escaped;
			if (key && strcmp(key, "items") != 0) {
				kc_buf_reset(&dec);
				if ((rc = scan_string(s, len, &i, &dec, &escaped, &err)) < 0)
					break;
				char **slot = strcmp(key, "kind") == 0 ? &out->kind : &out->api_version;
				free(*slot);
				*slot = kc_strndup(dec.ptr, dec.len);
			} else if ((rc = scan_string(s, len, &i, NULL, &escaped, &err)) < 0) {
				break;
			}
		} else if (c == 't' || c == 'f' || c == 'n') {
			const char *lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
			size_t n = strlen(lit);
			if (len - i < n || memcmp(s + i, lit, n) != 0) {
				err = i;
				rc = kc_error_set(KC_EINVAL, "invalid JSON: unexpected '%c'", c);
				break;
			}
			i += n;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			i++;
			while (i < len && (strchr("0123456789.eE+-", s[i]) && s[i]))
				i++;
		} else {
			err = i;
			rc = kc_error_set(KC_EINVAL, "invalid JSON: unexpected '%c'", c);
			break;
		}
		want = AFTER_VALUE;
		if (depth == 0) {
			out->end = i;
			break;
		}
	}
	for (int d = 0; d <= KC_JSON_MAX_DEPTH; d++) {
		frame_clear(&st[d]);
		free(st[d].keys);
	}
	free(st);
	kc_buf_clear(&dec);
	if (rc < 0) {
		kc_json_scan_clear(out);
		out->err_off = err;
		out->syntax = strncmp(kc_error_last(), "invalid JSON", 12) == 0;
		return rc;
	}
	/* each item runs to the next one (json-c stops at the value's end by itself) */
	for (size_t k = 0; k < out->nitems; k++)
		out->items[k].len = (k + 1 < out->nitems ? out->items[k + 1].off : out->end) - out->items[k].off;
	return 0;
}

void kc_json_scan_clear(struct kc_json_scan *sc)
{
	free(sc->kind);
	free(sc->api_version);
	free(sc->items);
	sc->kind = sc->api_version = NULL;
	sc->items = NULL;
	sc->nitems = 0;
}
