#include "common/yaml.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/strbuf.h"

/* ---- bounds before the parser ---------------------------------------------------------- */

/* Occurrences of c in data, counting stops past stop. */
static size_t count_byte(const char *data, size_t len, char c, size_t stop)
{
	size_t n = 0;
	if (!len)
		return 0;
	for (const char *p = data, *end = data + len; n <= stop && (p = memchr(p, c, (size_t)(end - p))); p++)
		n++;
	return n;
}

int kc_yaml_check_depth(const char *name, const char *data, size_t len, int max_depth)
{
	/* Every '[' and '{' counts, ']' and '}' close, quotes and comments included. Skipping
	 * quoted text would let a stray quote (in a plain scalar or a block scalar) hide real
	 * nesting from this scan while libyaml still sees it; counting brackets that libyaml
	 * would not see can only over-count. The price is refusing text with more than
	 * max_depth unclosed brackets inside strings, which no Kubernetes object has. */
	/* fewer brackets in all than the limit: no nesting can pass it (memchr is vectorised;
	 * every policy file and most configs take this path) */
	if (max_depth >= 0 && count_byte(data, len, '[', (size_t)max_depth) + count_byte(data, len, '{', (size_t)max_depth) <=
				      (size_t)max_depth)
		return 0;
	int depth = 0;
	long line = 1;
	for (size_t i = 0; i < len; i++) {
		switch (data[i]) {
		case '\n':
			line++;
			break;
		case '[':
		case '{':
			if (++depth > max_depth)
				return kc_error_set(KC_EINVAL, "%s:%ld: nesting deeper than %d levels: refused before parsing",
						    name ? name : "<input>", line, max_depth);
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* ---- per-document checks and merge keys -------------------------------------------------- */

enum { NODE_NEW = 0, NODE_BUSY, NODE_DONE };

struct doc_walk {
	yaml_document_t *d;
	const char *name;
	unsigned char *state;
	size_t *size;        /* expanded node count of each node, aliases counted every time */
	size_t distinct;     /* nodes reached at all */
};

static size_t node_index(yaml_document_t *d, yaml_node_t *n)
{
	return (size_t)(n - d->nodes.start);
}

static int is_merge_key(const yaml_node_t *k)
{
	if (!k || k->type != YAML_SCALAR_NODE)
		return 0;
	if (k->tag && strcmp((const char *)k->tag, "tag:yaml.org,2002:merge") == 0)
		return 1;
	return k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && strcmp((const char *)k->data.scalar.value, "<<") == 0;
}

static int walk(struct doc_walk *w, yaml_node_t *n, int depth);

static void push_pairs(yaml_node_pair_t **arr, size_t *cap, size_t *cnt, const yaml_node_t *from)
{
	for (yaml_node_pair_t *p = from->data.mapping.pairs.start; p < from->data.mapping.pairs.top; p++) {
		*arr = kc_array_grow(*arr, cap, *cnt + 1, sizeof(**arr));
		(*arr)[(*cnt)++] = *p;
	}
}

static int merge_error(struct doc_walk *w, const yaml_node_t *at)
{
	return kc_error_set(KC_EINVAL, "%s:%ld:%ld: map merge requires map or sequence of maps as the value",
			    w->name, kc_yaml_line(at), kc_yaml_col(at));
}

/* Rewrites the mapping's pairs with every `<<` replaced by the pairs it merges, at its
 * place: go-yaml v2's decoder.mapping applies a merge when it meets it, so keys after it
 * override the merged ones and keys before it are overridden; for a list of maps it steps
 * backwards, so the first map wins. Lookups take the last occurrence, which then gives
 * exactly that precedence. The merged maps are walked first (they may merge, too). */
static int expand_merges(struct doc_walk *w, yaml_node_t *map, int depth)
{
	int has = 0;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
		if (is_merge_key(yaml_document_get_node(w->d, p->key)))
			has = 1;
	if (!has)
		return 0;
	yaml_node_pair_t *arr = NULL;
	size_t cap = 0, cnt = 0;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(w->d, p->key);
		if (!is_merge_key(k)) {
			arr = kc_array_grow(arr, &cap, cnt + 1, sizeof(*arr));
			arr[cnt++] = *p;
			continue;
		}
		yaml_node_t *v = yaml_document_get_node(w->d, p->value);
		int rc = v ? walk(w, v, depth + 1) : 0;
		if (rc < 0) {
			free(arr);
			return rc;
		}
		if (v && v->type == YAML_MAPPING_NODE) {
			push_pairs(&arr, &cap, &cnt, v);
		} else if (v && v->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = v->data.sequence.items.top; it-- > v->data.sequence.items.start;) {
				yaml_node_t *m = yaml_document_get_node(w->d, *it);
				if (!m || m->type != YAML_MAPPING_NODE) {
					free(arr);
					return merge_error(w, m ? m : v);
				}
				push_pairs(&arr, &cap, &cnt, m);
			}
		} else {
			free(arr);
			return merge_error(w, v ? v : k);
		}
	}
	if (!arr) /* only empty merges: keep a valid (empty) array for libyaml to free */
		arr = kc_xcalloc(1, sizeof(*arr));
	free(map->data.mapping.pairs.start);
	map->data.mapping.pairs.start = arr;
	map->data.mapping.pairs.top = arr + cnt;
	map->data.mapping.pairs.end = arr + (cap ? cap : 1);
	return 0;
}

struct keyref {
	const char *text;
	const yaml_node_t *node;
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->text, y->text);
	if (c)
		return c;
	return (x->node->start_mark.index > y->node->start_mark.index) - (x->node->start_mark.index < y->node->start_mark.index);
}

/* Two keys written in one mapping (merged keys excluded: overriding them is what merges
 * are for) are refused as the strict decoders refuse them (go-yaml v2 "already set in map",
 * sigs.k8s.io/yaml UnmarshalStrict). Sorted, so a mapping of many keys stays n log n. */
static int check_duplicates(struct doc_walk *w, yaml_node_t *map)
{
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	if (n < 2)
		return 0;
	/* most mappings are small: compare pairwise without allocating */
	struct keyref small[16];
	struct keyref *keys = n <= 16 ? small : kc_xcalloc(n, sizeof(*keys));
	size_t k = 0;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(w->d, p->key);
		/* runs before expand_merges: every pair here was written in this mapping */
		if (!kn || kn->type != YAML_SCALAR_NODE || is_merge_key(kn))
			continue;
		keys[k].text = (const char *)kn->data.scalar.value;
		keys[k++].node = kn;
	}
	int rc = 0;
	if (k > 1) {
		/* sorted by text, then by position: the first of two equal keys is the earlier one */
		qsort(keys, k, sizeof(*keys), keyref_cmp);
		for (size_t i = 1; i < k; i++) {
			if (strcmp(keys[i].text, keys[i - 1].text) == 0) {
				rc = kc_error_set(KC_EINVAL, "%s:%ld:%ld: mapping key \"%s\" already defined at line %ld",
						  w->name, kc_yaml_line(keys[i].node), kc_yaml_col(keys[i].node), keys[i].text,
						  kc_yaml_line(keys[i - 1].node));
				break;
			}
		}
	}
	if (keys != small)
		free(keys);
	return rc;
}

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static int walk(struct doc_walk *w, yaml_node_t *n, int depth)
{
	size_t i = node_index(w->d, n);
	if (w->state[i] == NODE_DONE)
		return 0;
	if (w->state[i] == NODE_BUSY)
		return kc_error_set(KC_EINVAL, "%s:%ld:%ld: anchor value contains itself", w->name, kc_yaml_line(n),
				    kc_yaml_col(n));
	if (depth > KC_YAML_MAX_DEPTH)
		return kc_error_set(KC_EINVAL, "%s:%ld:%ld: nesting deeper than %d levels", w->name, kc_yaml_line(n),
				    kc_yaml_col(n), KC_YAML_MAX_DEPTH);
	w->state[i] = NODE_BUSY;
	w->distinct++;
	size_t size = 1;
	int rc = 0;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top && rc == 0; it++) {
			yaml_node_t *c = yaml_document_get_node(w->d, *it);
			if (c && (rc = walk(w, c, depth + 1)) == 0)
				size = sat_add(size, w->size[node_index(w->d, c)]);
		}
	} else if (n->type == YAML_MAPPING_NODE) {
		rc = check_duplicates(w, n);
		if (rc == 0)
			rc = expand_merges(w, n, depth);
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && rc == 0; p++) {
			yaml_node_t *kv[2] = { yaml_document_get_node(w->d, p->key), yaml_document_get_node(w->d, p->value) };
			for (int j = 0; j < 2 && rc == 0; j++)
				if (kv[j] && (rc = walk(w, kv[j], depth + 1)) == 0)
					size = sat_add(size, w->size[node_index(w->d, kv[j])]);
		}
	}
	w->size[i] = size;
	w->state[i] = NODE_DONE;
	return rc;
}

/* go-yaml v2 decode.go allowedAliasRatio: share of the decoded nodes that may come from
 * alias expansion, 99% up to 400,000 nodes, falling to 10% at 4,000,000. */
static double allowed_alias_ratio(size_t count)
{
	if (count <= 400000)
		return 0.99;
	if (count >= 4000000)
		return 0.10;
	return 0.99 - 0.89 * ((double)(count - 400000) / (double)(4000000 - 400000));
}

static int check_document(yaml_document_t *d, const char *name)
{
	yaml_node_t *root = yaml_document_get_root_node(d);
	size_t nnodes = (size_t)(d->nodes.top - d->nodes.start);
	if (!root || nnodes == 0)
		return 0;
	struct doc_walk w = { .d = d, .name = name };
	w.state = kc_xcalloc(nnodes, 1);
	w.size = kc_xcalloc(nnodes, sizeof(*w.size));
	int rc = walk(&w, root, 0);
	if (rc == 0) {
		size_t total = w.size[node_index(d, root)];
		size_t aliased = total - w.distinct;
		if (total > KC_YAML_MAX_EXPANDED ||
		    (aliased > 100 && total > 1000 && (double)aliased / (double)total > allowed_alias_ratio(total)))
			rc = kc_error_set(KC_EINVAL,
					  "%s:%ld: document contains excessive aliasing (%zu nodes written, %s%zu after "
					  "expanding aliases and merge keys): refused",
					  name, kc_yaml_line(root), w.distinct, total == SIZE_MAX ? "more than " : "",
					  total);
	}
	free(w.state);
	free(w.size);
	return rc;
}

int kc_yaml_load(struct kc_yaml *out, const char *name, const char *data, size_t len)
{
	yaml_parser_t parser;
	int rc = 0;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	out->name = kc_strdup(name ? name : "<input>");
	rc = kc_yaml_check_depth(out->name, data, len, KC_YAML_MAX_DEPTH);
	if (rc < 0)
		return rc;
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
		/* each document has its own budget: a bad one stops the stream, the good ones before
		 * it are kept for the caller */
		rc = check_document(&doc, out->name);
		if (rc < 0) {
			yaml_document_delete(&doc);
			break;
		}
		out->docs = kc_array_grow(out->docs, &cap, out->ndocs + 1, sizeof(*out->docs));
		out->docs[out->ndocs++] = doc;
	}
	yaml_parser_delete(&parser);
	return rc;
}

void kc_yaml_clear(struct kc_yaml *y)
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

/* ---- YAML 1.1 scalars, as go-yaml v2 resolve.go resolves plain scalars ------------------ */

enum scalar_kind { SK_STRING, SK_NULL, SK_BOOL, SK_INT, SK_FLOAT };

struct resolved {
	enum scalar_kind kind;
	int b;
	long long i;
	double f;
};

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static const char *const yaml_true[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL };
static const char *const yaml_false[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL };
static const char *const yaml_null[] = { "", "~", "null", "Null", "NULL", NULL };

/* strconv.ParseInt(s, 0, 64): sign, then 0x / 0o / 0b / leading-0 octal / decimal. */
static int go_parse_int(const char *s, long long *out)
{
	int neg = 0;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	if (!*s)
		return -1;
	unsigned long long v = 0;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		if (d >= base || v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + (unsigned)d;
	}
	if (v > (unsigned long long)LLONG_MAX + (neg ? 1u : 0u))
		return -1;
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

/* yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return 0;
		for (s++; isdigit((unsigned char)*s); s++)
			;
	} else {
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s == '.')
			for (s++; isdigit((unsigned char)*s); s++)
				;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

static struct resolved resolve(const yaml_node_t *n)
{
	struct resolved r = { .kind = SK_STRING };
	if (!n) {
		r.kind = SK_NULL;
		return r;
	}
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return r;
	const char *s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) /* an embedded NUL: only a string can hold it */
		return r;
	/* every null and boolean form is at most 5 bytes and starts with one of these: most
	 * scalars skip the lists (a tenth of a large manifest's load time was spent comparing
	 * against them) */
	int maybe = n->data.scalar.length <= 5 && (!s[0] || strchr("~nNyYtToOfF", s[0]));
	if (maybe && in_list(s, yaml_null)) {
		r.kind = SK_NULL;
	} else if (maybe && (in_list(s, yaml_true) || in_list(s, yaml_false))) {
		r.kind = SK_BOOL;
		r.b = in_list(s, yaml_true);
	} else if (strchr("+-.0123456789", s[0])) {
		/* resolve.go removes every '_' before trying the number forms */
		size_t len = strlen(s);
		char *plain = kc_xmalloc(len + 1), *q = plain;
		for (const char *p = s; *p; p++)
			if (*p != '_')
				*q++ = *p;
		*q = '\0';
		if (go_parse_int(plain, &r.i) == 0) {
			r.kind = SK_INT;
		} else if (yaml_style_float(plain)) {
			r.kind = SK_FLOAT;
			r.f = strtod(plain, NULL);
		} else if (in_list(s, (const char *const[]){ ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL })) {
			r.kind = SK_FLOAT;
			r.f = INFINITY;
		} else if (in_list(s, (const char *const[]){ "-.inf", "-.Inf", "-.INF", NULL })) {
			r.kind = SK_FLOAT;
			r.f = -INFINITY;
		} else if (in_list(s, (const char *const[]){ ".nan", ".NaN", ".NAN", NULL })) {
			r.kind = SK_FLOAT;
			r.f = NAN;
		}
		free(plain);
	}
	return r;
}

int kc_yaml_is_null(const yaml_node_t *n)
{
	return resolve(n).kind == SK_NULL;
}

int kc_yaml_bool(const yaml_node_t *n, int *out)
{
	struct resolved r = resolve(n);
	if (r.kind == SK_NULL)
		return KC_ENOTFOUND;
	if (r.kind == SK_BOOL) {
		*out = r.b;
		return 0;
	}
	return kc_error_set(KC_EINVAL, "line %ld: expected a boolean (true/false, yes/no, on/off), found %s%s%s",
			    kc_yaml_line(n), n->type == YAML_SCALAR_NODE ? "\"" : "",
			    n->type == YAML_SCALAR_NODE ? kc_yaml_scalar(n) : "a collection",
			    n->type == YAML_SCALAR_NODE ? "\"" : "");
}

int kc_yaml_int(const yaml_node_t *n, long long *out)
{
	struct resolved r = resolve(n);
	if (r.kind == SK_NULL)
		return KC_ENOTFOUND;
	if (r.kind == SK_INT) {
		*out = r.i;
		return 0;
	}
	if (r.kind == SK_FLOAT && isfinite(r.f) && r.f == floor(r.f) && fabs(r.f) < 9.2e18) {
		*out = (long long)r.f;
		return 0;
	}
	return kc_error_set(KC_EINVAL, "line %ld: expected an integer, found %s%s%s", kc_yaml_line(n),
			    n->type == YAML_SCALAR_NODE ? "\"" : "", n->type == YAML_SCALAR_NODE ? kc_yaml_scalar(n) : "a collection",
			    n->type == YAML_SCALAR_NODE ? "\"" : "");
}

char *kc_yaml_canon(const yaml_node_t *n)
{
	struct resolved r = resolve(n);
	struct kc_buf b = KC_BUF_INIT;
	switch (r.kind) {
	case SK_NULL:
		return NULL;
	case SK_BOOL:
		return kc_strdup(r.b ? "true" : "false");
	case SK_INT:
		kc_buf_printf(&b, "%lld", r.i);
		return kc_buf_detach(&b);
	default:
		return n->type == YAML_SCALAR_NODE ? kc_strdup(kc_yaml_scalar(n)) : NULL;
	}
}

static struct json_object *scalar_to_json(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	struct resolved r = resolve(n);
	switch (r.kind) {
	case SK_NULL:
		return NULL;
	case SK_BOOL:
		return json_object_new_boolean(r.b);
	case SK_INT:
		return json_object_new_int64(r.i);
	case SK_FLOAT:
		/* JSON has no infinity or NaN: sigs.k8s.io/yaml writes them as strings */
		if (!isfinite(r.f))
			return json_object_new_string_len(s, (int)len);
		return json_object_new_double(r.f);
	default:
		return json_object_new_string_len(s, (int)len);
	}
}

/* A mapping key as sigs.k8s.io/yaml's convertToJSONableObject names it: keys that go-yaml
 * resolves to booleans or numbers become their Go text ("yes" -> "true", "0x10" -> "16"). */
static char *json_key(const yaml_node_t *k)
{
	struct resolved r = resolve(k);
	struct kc_buf b = KC_BUF_INIT;
	switch (r.kind) {
	case SK_BOOL:
		return kc_strdup(r.b ? "true" : "false");
	case SK_INT:
		kc_buf_printf(&b, "%lld", r.i);
		return kc_buf_detach(&b);
	case SK_FLOAT:
		if (isfinite(r.f)) {
			kc_buf_printf(&b, "%.17g", r.f);
			return kc_buf_detach(&b);
		}
		return kc_strdup(kc_yaml_scalar(k));
	default:
		return kc_strdup(kc_yaml_scalar(k));
	}
}

static int to_json(yaml_document_t *d, yaml_node_t *n, size_t *budget, int depth, struct json_object **out)
{
	*out = NULL;
	if (!n)
		return 0;
	if (*budget == 0 || depth > KC_YAML_MAX_DEPTH)
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
			if (!kc_yaml_scalar(k)) /* complex keys do not occur in Kubernetes objects */
				continue;
			struct json_object *v;
			if (to_json(d, yaml_document_get_node(d, p->value), budget, depth + 1, &v) < 0) {
				json_object_put(obj);
				return KC_EINVAL;
			}
			/* merged pairs come first and later ones replace them: the last wins */
			char *key = json_key(k);
			json_object_object_add(obj, key, v);
			free(key);
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
	/* kc_yaml_load bounded the document's expanded size already; max_nodes is a caller's
	 * tighter cap */
	size_t budget = max_nodes ? max_nodes : KC_YAML_MAX_EXPANDED;
	return to_json(d, n, &budget, 0, out);
}
