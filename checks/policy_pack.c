#include "checks/policy_pack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "store/canon.h"

/* "KCPK" and a version: a build reads only the packs it wrote (they live in its own binary) */
static const char magic[8] = "KCPK\0\0\0\1";
#define NULL_STR 0xffffffffu

static const struct kc_policy_pack *packs;
static size_t npacks;

void kc_policy_packs_use(const struct kc_policy_pack *p, size_t n)
{
	packs = p;
	npacks = p ? n : 0;
}

/* Packs of one benchmark's versions share file names and often sizes: each file is hashed
 * once, when a pack first needs its digest. */
const struct kc_policy_pack *kc_policy_pack_find(char *const *names, char *const *data, const size_t *lens, size_t n)
{
	const struct kc_policy_pack *found = NULL;
	unsigned char (*digest)[KC_DIGEST_LEN] = NULL;
	char *hashed = NULL;
	for (size_t i = 0; i < npacks && !found; i++) {
		const struct kc_policy_pack *p = &packs[i];
		if (p->nfiles != n)
			continue;
		if (!digest) {
			digest = kc_xcalloc(n, sizeof(*digest));
			hashed = kc_xcalloc(n, 1);
		}
		size_t k = 0;
		for (; k < n; k++) {
			const struct kc_policy_pack_file *f = &p->files[k];
			if (f->size != lens[k] || strcmp(f->name, names[k]) != 0)
				break;
			if (!hashed[k]) {
				kc_sha256(data[k], lens[k], digest[k]);
				hashed[k] = 1;
			}
			if (memcmp(digest[k], f->sha256, KC_DIGEST_LEN) != 0)
				break;
		}
		if (k == n)
			found = p;
	}
	free(digest);
	free(hashed);
	return found;
}

/* ---- writing ---- */

static void put_u32(struct kc_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	kc_buf_add(b, x, 4);
}

static void put_i64(struct kc_buf *b, long long v)
{
	uint64_t u = (uint64_t)v;
	put_u32(b, (uint32_t)u);
	put_u32(b, (uint32_t)(u >> 32));
}

static void put_str(struct kc_buf *b, const char *s)
{
	if (!s) {
		put_u32(b, NULL_STR);
		return;
	}
	size_t n = strlen(s);
	put_u32(b, (uint32_t)n);
	kc_buf_add(b, s, n);
}

static void put_test(struct kc_buf *b, const struct kc_test *t)
{
	put_i64(b, t->fact);
	put_str(b, t->component);
	put_str(b, t->flag);
	put_str(b, t->config_key);
	put_str(b, t->path);
	put_i64(b, t->want_dir);
	put_str(b, t->unit);
	put_str(b, t->dir);
	put_str(b, t->glob);
	put_i64(b, t->recursive);
	put_i64(b, t->only_files);
	put_str(b, t->query);
	put_i64(b, t->op);
	put_str(b, t->value);
	put_i64(b, t->num);
	put_i64(b, t->mode);
	put_i64(b, t->has_re);
	put_str(b, t->defval);
	put_i64(b, t->missing);
	put_i64(b, t->missing_set);
	put_i64(b, t->line);
	put_i64(b, t->column);
}

void kc_policy_pack_write(const struct kc_policy_set *set, struct kc_buf *out)
{
	kc_buf_add(out, magic, sizeof(magic));
	put_str(out, set->benchmark);
	put_str(out, set->title);
	put_u32(out, (uint32_t)set->nchecks);
	for (size_t i = 0; i < set->nchecks; i++) {
		const struct kc_check *c = &set->checks[i];
		put_str(out, c->id);
		put_str(out, c->title);
		put_str(out, c->section);
		put_str(out, c->section_title);
		put_str(out, c->target);
		put_str(out, c->type);
		put_i64(out, c->level);
		put_i64(out, c->scored);
		put_i64(out, c->severity);
		put_str(out, c->manual);
		put_str(out, c->remediation);
		put_u32(out, (uint32_t)c->nreferences);
		for (size_t k = 0; k < c->nreferences; k++)
			put_str(out, c->references[k]);
		put_u32(out, (uint32_t)c->ntests);
		for (size_t k = 0; k < c->ntests; k++)
			put_test(out, &c->tests[k]);
		put_i64(out, c->match_any);
		const char *slash = c->file ? strrchr(c->file, '/') : NULL;
		put_str(out, slash ? slash + 1 : c->file);
		put_i64(out, c->line);
	}
}

/* ---- reading ---- */

struct rd {
	const unsigned char *p, *end;
	int bad;
};

static uint32_t get_u32(struct rd *r)
{
	if (r->end - r->p < 4) {
		r->bad = 1;
		return 0;
	}
	uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

static long long get_i64(struct rd *r)
{
	uint64_t lo = get_u32(r), hi = get_u32(r);
	return (long long)(lo | hi << 32);
}

static char *get_str(struct rd *r)
{
	uint32_t n = get_u32(r);
	if (r->bad || n == NULL_STR)
		return NULL;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	char *s = kc_strndup((const char *)r->p, n);
	r->p += n;
	return s;
}

/* a count that cannot exceed what is left (each item takes at least 4 bytes) */
static size_t get_count(struct rd *r)
{
	uint32_t n = get_u32(r);
	if ((size_t)(r->end - r->p) / 4 < n)
		r->bad = 1;
	return r->bad ? 0 : n;
}

static void get_test(struct rd *r, struct kc_test *t)
{
	t->fact = (enum kc_fact_kind)get_i64(r);
	t->component = get_str(r);
	t->flag = get_str(r);
	t->config_key = get_str(r);
	t->path = get_str(r);
	t->want_dir = (int)get_i64(r);
	t->unit = get_str(r);
	t->dir = get_str(r);
	t->glob = get_str(r);
	t->recursive = (int)get_i64(r);
	t->only_files = (int)get_i64(r);
	t->query = get_str(r);
	t->op = (enum kc_op)get_i64(r);
	t->value = get_str(r);
	t->num = get_i64(r);
	t->mode = (unsigned)get_i64(r);
	int has_re = (int)get_i64(r);
	t->defval = get_str(r);
	t->missing = (enum kc_status)get_i64(r);
	t->missing_set = (int)get_i64(r);
	t->line = get_i64(r);
	t->column = get_i64(r);
	/* compiled as the loader compiled it (policy.c parse_op): it compiled there at build time */
	if (has_re && !r->bad) {
		if (t->value && regcomp(&t->re, t->value, REG_EXTENDED | REG_NOSUB) == 0)
			t->has_re = 1;
		else
			r->bad = 1;
	}
}

int kc_policy_pack_read(const unsigned char *data, size_t len, const char *dir, struct kc_policy_set *set)
{
	struct rd r = { data, data + len, 0 };
	if (len < sizeof(magic) || memcmp(data, magic, sizeof(magic)) != 0)
		return kc_error_set(KC_EINVAL, "policy pack: not a pack of this build");
	r.p += sizeof(magic);
	set->benchmark = get_str(&r);
	set->title = get_str(&r);
	size_t n = get_count(&r);
	set->checks = n ? kc_xcalloc(n, sizeof(*set->checks)) : NULL;
	set->checks_cap = n;
	for (size_t i = 0; i < n && !r.bad; i++) {
		struct kc_check *c = &set->checks[i];
		set->nchecks = i + 1;
		c->id = get_str(&r);
		c->title = get_str(&r);
		c->section = get_str(&r);
		c->section_title = get_str(&r);
		c->target = get_str(&r);
		c->type = get_str(&r);
		c->level = (int)get_i64(&r);
		c->scored = (int)get_i64(&r);
		c->severity = (enum kc_severity)get_i64(&r);
		c->manual = get_str(&r);
		c->remediation = get_str(&r);
		size_t nref = get_count(&r);
		c->references = nref ? kc_xcalloc(nref, sizeof(char *)) : NULL;
		for (size_t k = 0; k < nref && !r.bad; k++) {
			c->nreferences = k + 1;
			c->references[k] = get_str(&r);
		}
		size_t nt = get_count(&r);
		c->tests = nt ? kc_xcalloc(nt, sizeof(*c->tests)) : NULL;
		for (size_t k = 0; k < nt && !r.bad; k++) {
			c->ntests = k + 1;
			get_test(&r, &c->tests[k]);
		}
		c->match_any = (int)get_i64(&r);
		char *base = get_str(&r);
		if (base) {
			struct kc_buf f = KC_BUF_INIT;
			kc_buf_printf(&f, "%s/%s", dir, base);
			c->file = kc_buf_detach(&f);
			free(base);
		}
		c->line = get_i64(&r);
		if (!c->id)
			r.bad = 1;
	}
	if (r.bad || r.p != r.end) {
		kc_policy_set_clear(set);
		return kc_error_set(KC_EINVAL, "policy pack: damaged");
	}
	return 0;
}
