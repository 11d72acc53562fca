/* The cheap first look at every event: one pass over the bytes that extracts the header
 * fields the rules read (user, verb, objectRef, responseStatus.code, annotations, ...) and
 * skips request/response bodies without building them. The rules engine then decides on
 * these fields alone whether any rule could fire; only when one could does the event get a
 * full json-c parse (decode.c). Semantics follow decode.c exactly: the last duplicate key
 * wins, only string values count as strings, code only as an integer 0..999. */
#include "auditlog/event.h"
#include "auditlog/owners.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/error.h"
#include "common/strbuf.h"

#define MAX_DEPTH 64

struct sc {
	const char *p, *end;
	char *out;   /* arena cursor */
	int depth;
};

static void ws(struct sc *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xC0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xE0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (char)(0xF0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	}
	return o;
}

/* Parses a string at s->p (on the opening quote). With dst, writes the unescaped bytes and a
 * NUL there (at most the raw length + 1) and sets *n; without, only validates. */
static int string(struct sc *s, char *dst, size_t *n)
{
	if (s->p >= s->end || *s->p != '"')
		return -1;
	const char *p = s->p + 1;
	char *o = dst;
	for (;;) {
		/* the common case: a run of plain bytes */
		const char *q = p;
		while (q < s->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
			q++;
		if (o && q > p) {
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
		}
		p = q;
		if (p >= s->end || (unsigned char)*p < 0x20)
			return -1;
		if (*p == '"')
			break;
		/* backslash */
		if (p + 1 >= s->end)
			return -1;
		char c = p[1];
		p += 2;
		char lit;
		switch (c) {
		case '"': lit = '"'; break;
		case '\\': lit = '\\'; break;
		case '/': lit = '/'; break;
		case 'b': lit = '\b'; break;
		case 'f': lit = '\f'; break;
		case 'n': lit = '\n'; break;
		case 'r': lit = '\r'; break;
		case 't': lit = '\t'; break;
		case 'u': {
			unsigned cp;
			if (s->end - p < 4 || hex4(p, &cp) < 0)
				return -1;
			p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				unsigned lo;
				if (s->end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &lo) == 0 &&
				    lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					p += 6;
				} else {
					cp = 0xFFFD;
				}
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			if (o)
				o = put_utf8(o, cp);
			continue;
		}
		default:
			return -1;
		}
		if (o)
			*o++ = lit;
	}
	s->p = p + 1;
	if (o) {
		*o = '\0';
		if (n)
			*n = (size_t)(o - dst);
	}
	return 0;
}

/* A string value into the arena; the slot points at it. */
static int string_value(struct sc *s, const char **slot)
{
	size_t n;
	char *dst = s->out;
	if (string(s, dst, &n) < 0)
		return -1;
	s->out += n + 1;
	*slot = dst;
	return 0;
}

static int literal(struct sc *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Strict JSON number. *ival gets the value when it is an integer of at most 9 digits. */
static int number(struct sc *s, int *is_int, long *ival)
{
	const char *p = s->p;
	int neg = 0;
	*is_int = 1;
	*ival = 0;
	if (p < s->end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= s->end || !is_digit(*p))
		return -1;
	int digits = 0;
	if (*p == '0') {
		p++;
		digits = 1;
	} else {
		while (p < s->end && is_digit(*p)) {
			if (digits < 9)
				*ival = *ival * 10 + (*p - '0');
			digits++;
			p++;
		}
	}
	if (digits > 9)
		*is_int = 2; /* an integer, too large to be a status code */
	if (p < s->end && *p == '.') {
		p++;
		if (p >= s->end || !is_digit(*p))
			return -1;
		while (p < s->end && is_digit(*p))
			p++;
		*is_int = 0;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->end || !is_digit(*p))
			return -1;
		while (p < s->end && is_digit(*p))
			p++;
		*is_int = 0;
	}
	if (neg)
		*ival = -*ival;
	s->p = p;
	return 0;
}

static int skip_value(struct sc *s);

static int skip_container(struct sc *s, char close)
{
	if (++s->depth > MAX_DEPTH)
		return -1;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			ws(s);
			if (string(s, NULL, NULL) < 0)
				return -1;
			ws(s);
			if (s->p >= s->end || *s->p != ':')
				return -1;
			s->p++;
		}
		if (skip_value(s) < 0)
			return -1;
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == close) {
			s->p++;
			s->depth--;
			return 0;
		}
		return -1;
	}
}

static int skip_value(struct sc *s)
{
	ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{': return skip_container(s, '}');
	case '[': return skip_container(s, ']');
	case '"': return string(s, NULL, NULL);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	default: {
		int is_int;
		long v;
		return number(s, &is_int, &v);
	}
	}
}

/* Walks an object, calling fn for each key (unescaped, NUL-terminated; keys longer than
 * 63 bytes are passed as "" since no field we read has such a name). fn consumes the value. */
typedef int (*member_fn)(struct sc *s, const char *key, void *ctx);

static int walk_object(struct sc *s, member_fn fn, void *ctx)
{
	if (++s->depth > MAX_DEPTH)
		return -1;
	s->p++; /* '{' */
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		ws(s);
		char key[64];
		const char *kstart = s->p;
		if (s->p >= s->end || *s->p != '"')
			return -1;
		/* fast path: keys without escapes are compared in place */
		const char *q = s->p + 1;
		while (q < s->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 && q - kstart < 64)
			q++;
		if (q < s->end && *q == '"' && q - kstart - 1 < (long)sizeof(key)) {
			size_t n = (size_t)(q - kstart - 1);
			memcpy(key, kstart + 1, n);
			key[n] = '\0';
			s->p = q + 1;
		} else {
			/* escaped or long key: validate, and unescape when it fits */
			struct sc probe = *s;
			if (string(&probe, NULL, NULL) < 0)
				return -1;
			if (probe.p - kstart <= (long)sizeof(key)) {
				size_t n;
				if (string(s, key, &n) < 0)
					return -1;
			} else {
				key[0] = '\0';
				s->p = probe.p;
			}
		}
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -1;
		s->p++;
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (fn(s, key, ctx) < 0)
			return -1;
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == '}') {
			s->p++;
			s->depth--;
			return 0;
		}
		return -1;
	}
}

/* A value that counts only when it is a string. */
static int opt_string(struct sc *s, const char **slot)
{
	*slot = NULL;
	if (*s->p == '"')
		return string_value(s, slot);
	return skip_value(s);
}

struct scan_ctx {
	struct kc_audit_event *ev;
	const char *times[4];   /* stageTimestamp, requestReceivedTimestamp, timestamp, creation */
	enum kc_audit_list list;
	int user_slot;          /* KC_AF_USER or KC_AF_IMP_USER */
};

static int string_list(struct sc *s, struct kc_audit_event *ev, enum kc_audit_list l)
{
	ev->nlist[l] = 0;
	if (*s->p != '[')
		return skip_value(s);
	if (++s->depth > MAX_DEPTH)
		return -1;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == '"') {
			const char *v;
			if (string_value(s, &v) < 0)
				return -1;
			if (ev->nlist[l] < KC_AUDIT_MAX_LIST)
				ev->list[l][ev->nlist[l]] = v;
			ev->nlist[l]++;
		} else if (skip_value(s) < 0) {
			return -1;
		}
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == ']') {
			s->p++;
			s->depth--;
			return 0;
		}
		return -1;
	}
}

static int user_member(struct sc *s, const char *key, void *vctx)
{
	struct scan_ctx *c = vctx;
	if (strcmp(key, "username") == 0)
		return opt_string(s, &c->ev->f[c->user_slot]);
	if (strcmp(key, "groups") == 0)
		return string_list(s, c->ev, c->list);
	return skip_value(s);
}

static int ref_member(struct sc *s, const char *key, void *vctx)
{
	struct scan_ctx *c = vctx;
	const char **f = c->ev->f;
	if (strcmp(key, "namespace") == 0)
		return opt_string(s, &f[KC_AF_NAMESPACE]);
	if (strcmp(key, "resource") == 0)
		return opt_string(s, &f[KC_AF_RESOURCE]);
	if (strcmp(key, "subresource") == 0)
		return opt_string(s, &f[KC_AF_SUBRESOURCE]);
	if (strcmp(key, "name") == 0)
		return opt_string(s, &f[KC_AF_NAME]);
	if (strcmp(key, "apiGroup") == 0)
		return opt_string(s, &f[KC_AF_API_GROUP]);
	return skip_value(s);
}

static int ann_member(struct sc *s, const char *key, void *vctx)
{
	struct scan_ctx *c = vctx;
	if (strcmp(key, "authorization.k8s.io/decision") == 0)
		return opt_string(s, &c->ev->f[KC_AF_DECISION]);
	if (strcmp(key, "authorization.k8s.io/reason") == 0)
		return opt_string(s, &c->ev->f[KC_AF_REASON]);
	return skip_value(s);
}

static int meta_member(struct sc *s, const char *key, void *vctx)
{
	struct scan_ctx *c = vctx;
	if (strcmp(key, "creationTimestamp") == 0)
		return opt_string(s, &c->times[3]);
	return skip_value(s);
}

static int status_member(struct sc *s, const char *key, void *vctx)
{
	struct scan_ctx *c = vctx;
	if (strcmp(key, "code") != 0)
		return skip_value(s);
	c->ev->code = -1;
	if (*s->p == '-' || is_digit(*s->p)) {
		int is_int;
		long v;
		if (number(s, &is_int, &v) < 0)
			return -1;
		if (is_int == 1 && v >= 0 && v <= 999)
			c->ev->code = (int)v;
		return 0;
	}
	return skip_value(s);
}

/* Resets the slots a member fills, then walks it when it is an object (the last duplicate
 * key wins, as in json-c). Returns 1 when the value was an object. */
static int sub_object(struct sc *s, member_fn fn, struct scan_ctx *c, int *was_object)
{
	*was_object = *s->p == '{';
	if (!*was_object)
		return skip_value(s);
	return walk_object(s, fn, c);
}

static int top_member(struct sc *s, const char *key, void *vctx)
{
	struct scan_ctx *c = vctx;
	struct kc_audit_event *ev = c->ev;
	const char **f = ev->f;
	int obj;
	switch (key[0]) {
	case 'a':
		if (strcmp(key, "auditID") == 0)
			return opt_string(s, &f[KC_AF_AUDIT_ID]);
		if (strcmp(key, "apiVersion") == 0)
			return opt_string(s, &f[KC_AF_API_VERSION]);
		if (strcmp(key, "annotations") == 0) {
			f[KC_AF_DECISION] = f[KC_AF_REASON] = NULL;
			return sub_object(s, ann_member, c, &obj);
		}
		break;
	case 'i':
		if (strcmp(key, "impersonatedUser") == 0) {
			f[KC_AF_IMP_USER] = NULL;
			ev->nlist[KC_AL_IMP_GROUPS] = 0;
			c->user_slot = KC_AF_IMP_USER;
			c->list = KC_AL_IMP_GROUPS;
			int rc = sub_object(s, user_member, c, &obj);
			ev->impersonated = obj;
			return rc;
		}
		break;
	case 'l':
		if (strcmp(key, "level") == 0)
			return opt_string(s, &f[KC_AF_LEVEL]);
		break;
	case 'm':
		if (strcmp(key, "metadata") == 0) {
			c->times[3] = NULL;
			return sub_object(s, meta_member, c, &obj);
		}
		break;
	case 'o':
		if (strcmp(key, "objectRef") == 0) {
			f[KC_AF_NAMESPACE] = f[KC_AF_RESOURCE] = f[KC_AF_SUBRESOURCE] = NULL;
			f[KC_AF_NAME] = f[KC_AF_API_GROUP] = NULL;
			return sub_object(s, ref_member, c, &obj);
		}
		break;
	case 'r':
		if (strcmp(key, "requestObject") == 0) {
			ev->has_request_object = *s->p != 'n';
			return skip_value(s);
		}
		if (strcmp(key, "requestURI") == 0)
			return opt_string(s, &f[KC_AF_REQUEST_URI]);
		if (strcmp(key, "requestReceivedTimestamp") == 0)
			return opt_string(s, &c->times[1]);
		if (strcmp(key, "responseStatus") == 0) {
			ev->code = -1;
			return sub_object(s, status_member, c, &obj);
		}
		break;
	case 's':
		if (strcmp(key, "stage") == 0)
			return opt_string(s, &f[KC_AF_STAGE]);
		if (strcmp(key, "stageTimestamp") == 0)
			return opt_string(s, &c->times[0]);
		if (strcmp(key, "sourceIPs") == 0)
			return string_list(s, ev, KC_AL_SOURCE_IPS);
		break;
	case 't':
		if (strcmp(key, "timestamp") == 0)
			return opt_string(s, &c->times[2]);
		break;
	case 'u':
		if (strcmp(key, "user") == 0) {
			f[KC_AF_USER] = NULL;
			ev->nlist[KC_AL_GROUPS] = 0;
			c->user_slot = KC_AF_USER;
			c->list = KC_AL_GROUPS;
			return sub_object(s, user_member, c, &obj);
		}
		if (strcmp(key, "userAgent") == 0)
			return opt_string(s, &f[KC_AF_USER_AGENT]);
		break;
	case 'v':
		if (strcmp(key, "verb") == 0)
			return opt_string(s, &f[KC_AF_VERB]);
		break;
	}
	return skip_value(s);
}

int kc_audit_scan(struct kc_audit_event *ev, const char *json, size_t len)
{
	if (ev->root)
		json_object_put(ev->root);
	/* what the previous full decode or attribution left (decode.c reset does the same) */
	json_object_put(ev->patch_view);
	kc_audit_attribution_free(ev->attr);
	char *arena = ev->arena;
	size_t cap = ev->arena_cap;
	memset(ev, 0, sizeof(*ev));
	ev->code = -1;
	if (cap < len + 1) {
		cap = len + 1 < 4096 ? 4096 : len + 1;
		free(arena);
		arena = kc_xmalloc(cap);
	}
	ev->arena = arena;
	ev->arena_cap = cap;

	struct sc s = { json, json + len, arena, 0 };
	struct scan_ctx c = { .ev = ev };
	ws(&s);
	if (s.p >= s.end || *s.p != '{' || walk_object(&s, top_member, &c) < 0)
		goto bad;
	ws(&s);
	if (s.p != s.end)
		goto bad;
	for (int i = 0; i < 4 && !ev->f[KC_AF_TIME]; i++)
		ev->f[KC_AF_TIME] = c.times[i];
	ev->f[KC_AF_SOURCE_IP] = ev->nlist[KC_AL_SOURCE_IPS] ? ev->list[KC_AL_SOURCE_IPS][0] : NULL;
	if (ev->code >= 0)
		kc_audit_code_text(ev);
	return 0;
bad:
	memset(ev->f, 0, sizeof(ev->f));
	memset(ev->nlist, 0, sizeof(ev->nlist));
	return kc_error_set(KC_EINVAL, "audit event: not a JSON object the scanner reads");
}
