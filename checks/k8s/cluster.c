/* The cluster object: ownership of what was loaded, settings, and the index the checks use. */
#include "checks/k8s/index.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/k8s/arena.h"
#include "checks/k8s/bootstrap.h"
#include "common/error.h"
#include "common/strbuf.h"

static const char *const default_exempt = "kube-system,kube-public,kube-node-lease";

struct kc_cluster *kc_cluster_new(void)
{
	struct kc_cluster *c = kc_xcalloc(1, sizeof(*c));
	c->default_ns = kc_strdup("default");
	kc_cluster_set_exempt_namespaces(c, default_exempt);
	return c;
}

static void index_clear(struct kc_cluster *c)
{
	kc_arena_free(c->index_arena);
	c->index_arena = NULL;
	memset(c->by_kind, 0, sizeof(c->by_kind));
	memset(c->nby_kind, 0, sizeof(c->nby_kind));
	free(c->table);
	c->table = NULL;
	c->table_cap = 0;
	c->nss = NULL;
	c->nnss = 0;
	c->indexed = 0;
}

void kc_cluster_free(struct kc_cluster *c)
{
	if (!c)
		return;
	index_clear(c);
	for (size_t i = 0; i < c->narenas; i++)
		kc_arena_free(c->arenas[i]);
	free(c->arenas);
	free(c->objs);
	for (size_t i = 0; i < c->nwarnings; i++)
		free(c->warnings[i]);
	free(c->warnings);
	for (size_t i = 0; i < c->nexempt; i++)
		free(c->exempt[i]);
	free(c->exempt);
	for (int i = 0; i < KC_RES_COUNT; i++)
		free(c->res_error[i]);
	free(c->default_ns);
	free(c->server);
	free(c);
}

void kc_cluster__adopt(struct kc_cluster *c, struct kc_arena *a, struct kc_k8s_obj **objs, size_t n)
{
	if (a) {
		c->arenas = kc_array_grow(c->arenas, &c->arenas_cap, c->narenas + 1, sizeof(*c->arenas));
		c->arenas[c->narenas++] = a;
	}
	if (n == 0)
		return;
	c->objs = kc_array_grow(c->objs, &c->objs_cap, c->nobjs + n, sizeof(*c->objs));
	memcpy(c->objs + c->nobjs, objs, n * sizeof(*objs));
	c->nobjs += n;
	c->indexed = 0;
}

void kc_cluster__warn(struct kc_cluster *c, const char *fmt, ...)
{
	struct kc_buf b = KC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	c->warnings = kc_array_grow(c->warnings, &c->warnings_cap, c->nwarnings + 1, sizeof(*c->warnings));
	c->warnings[c->nwarnings++] = kc_buf_detach(&b);
}

size_t kc_cluster_warning_count(const struct kc_cluster *c)
{
	return c->nwarnings;
}

const char *kc_cluster_warning(const struct kc_cluster *c, size_t i)
{
	return i < c->nwarnings ? c->warnings[i] : NULL;
}

size_t kc_cluster_object_count(const struct kc_cluster *c)
{
	return c->nobjs;
}

void kc_cluster_set_exempt_namespaces(struct kc_cluster *c, const char *list)
{
	for (size_t i = 0; i < c->nexempt; i++)
		free(c->exempt[i]);
	free(c->exempt);
	c->exempt = NULL;
	c->nexempt = 0;
	size_t cap = 0;
	for (const char *p = list ? list : ""; *p;) {
		size_t n = strcspn(p, ",");
		while (n && (*p == ' ')) {
			p++;
			n--;
		}
		size_t m = n;
		while (m && p[m - 1] == ' ')
			m--;
		if (m) {
			c->exempt = kc_array_grow(c->exempt, &cap, c->nexempt + 1, sizeof(*c->exempt));
			c->exempt[c->nexempt++] = kc_strndup(p, m);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	c->indexed = 0;
}

void kc_cluster_set_default_namespace(struct kc_cluster *c, const char *ns)
{
	free(c->default_ns);
	c->default_ns = kc_strdup(ns && *ns ? ns : "default");
}

void kc_cluster_set_include_defaults(struct kc_cluster *c, int on)
{
	c->include_defaults = on;
}

void kc_cluster_set_exceptions(struct kc_cluster *c, const struct kc_exceptions *ex)
{
	c->exceptions = ex;
}

int kc_cluster__is_exempt(const struct kc_cluster *c, const char *ns)
{
	for (size_t i = 0; ns && i < c->nexempt; i++)
		if (strcmp(c->exempt[i], ns) == 0)
			return 1;
	return 0;
}

/* ---- index ---- */

static uint64_t key_hash(enum kc_k8s_kind kind, const char *ns, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)kind;
	for (const char *p = ns ? ns : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static int same_key(const struct kc_k8s_obj *o, enum kc_k8s_kind kind, const char *ns, const char *name)
{
	if (o->kind != kind || strcmp(o->name, name) != 0)
		return 0;
	if (!o->ns || !ns)
		return o->ns == ns;
	return strcmp(o->ns, ns) == 0;
}

static struct kc_k8s_obj **slot(struct kc_k8s_obj **table, size_t cap, enum kc_k8s_kind kind,
				const char *ns, const char *name)
{
	size_t i = key_hash(kind, ns, name) & (cap - 1);
	while (table[i] && !same_key(table[i], kind, ns, name))
		i = (i + 1) & (cap - 1);
	return &table[i];
}

const struct kc_k8s_obj *kc_cluster__find(const struct kc_cluster *c, enum kc_k8s_kind kind,
					  const char *ns, const char *name)
{
	if (!c->table || !name)
		return NULL;
	return *slot(c->table, c->table_cap, kind, ns, name);
}

static int ns_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kc_ns_info *)a)->name, ((const struct kc_ns_info *)b)->name);
}

const struct kc_ns_info *kc_cluster__ns(const struct kc_cluster *c, const char *name)
{
	if (!name || !c->nss)
		return NULL;
	struct kc_ns_info key = { .name = name };
	return bsearch(&key, c->nss, c->nnss, sizeof(*c->nss), ns_cmp);
}

/* Namespaces: every Namespace object plus every namespace an object lives in. */
static void index_namespaces(struct kc_cluster *c, struct kc_k8s_obj **live, size_t nlive)
{
	size_t cap = 64, n = 0;
	struct kc_ns_info *tmp = kc_xcalloc(cap, sizeof(*tmp));
	for (size_t i = 0; i < nlive; i++) {
		const struct kc_k8s_obj *o = live[i];
		const char *name = o->kind == KC_K_NAMESPACE ? o->name : o->ns;
		if (!name || !*name)
			continue;
		if (n == cap)
			tmp = kc_array_grow(tmp, &cap, n + 1, sizeof(*tmp));
		tmp[n++] = (struct kc_ns_info){ .name = name, .obj = o->kind == KC_K_NAMESPACE ? o : NULL };
	}
	qsort(tmp, n, sizeof(*tmp), ns_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && strcmp(tmp[m - 1].name, tmp[i].name) == 0) {
			if (tmp[i].obj)
				tmp[m - 1].obj = tmp[i].obj;
			continue;
		}
		tmp[m++] = tmp[i];
	}
	c->nss = kc_arena_alloc(c->index_arena, (m ? m : 1) * sizeof(*c->nss));
	memcpy(c->nss, tmp, m * sizeof(*tmp));
	c->nnss = m;
	free(tmp);
	for (size_t i = 0; i < m; i++)
		c->nss[i].exempt = kc_cluster__is_exempt(c, c->nss[i].name);
}

/* Effective rules of a ClusterRole: its own plus, through aggregationRule, those of every
 * ClusterRole its selectors match, transitively (the API server's aggregation controller does
 * the same; from manifests the aggregated role's own rules are empty). */
static void resolve_aggregation(struct kc_cluster *c)
{
	size_t nroles = c->nby_kind[KC_K_CLUSTERROLE];
	struct kc_k8s_obj **roles = c->by_kind[KC_K_CLUSTERROLE];
	unsigned char *seen = kc_xcalloc(nroles ? nroles : 1, 1);
	size_t *stack = kc_xcalloc(nroles ? nroles : 1, sizeof(*stack));
	struct kc_rule_ref *refs = NULL;
	size_t nrefs = 0, refs_cap = 0;

	for (int pass = 0; pass < 2; pass++) {
		const enum kc_k8s_kind kind = pass ? KC_K_ROLE : KC_K_CLUSTERROLE;
		for (size_t i = 0; i < c->nby_kind[kind]; i++) {
			struct kc_k8s_obj *o = c->by_kind[kind][i];
			struct kc_role *role = o->role;
			if (!role)
				continue;
			nrefs = 0;
			size_t top = 0;
			/* own rules first */
			for (size_t r = 0; r < role->nrules; r++) {
				refs = kc_array_grow(refs, &refs_cap, nrefs + 1, sizeof(*refs));
				refs[nrefs++] = (struct kc_rule_ref){ o, &role->rules[r], r };
			}
			if (kind == KC_K_CLUSTERROLE && role->has_agg) {
				memset(seen, 0, nroles);
				for (size_t k = 0; k < nroles; k++)
					if (roles[k] == o)
						seen[k] = 1;
				const struct kc_role *cur = role;
				for (;;) {
					for (size_t s = 0; s < cur->nagg; s++)
						for (size_t k = 0; k < nroles; k++) {
							struct kc_k8s_obj *cand = roles[k];
							if (seen[k] || !kc_selector_matches(&cur->agg[s], cand->labels, cand->nlabels))
								continue;
							seen[k] = 1;
							for (size_t r = 0; cand->role && r < cand->role->nrules; r++) {
								refs = kc_array_grow(refs, &refs_cap, nrefs + 1, sizeof(*refs));
								refs[nrefs++] = (struct kc_rule_ref){ cand, &cand->role->rules[r], r };
							}
							if (cand->role && cand->role->has_agg)
								stack[top++] = k;
						}
					if (!top)
						break;
					cur = roles[stack[--top]]->role;
				}
			}
			struct kc_rule_ref *eff = kc_arena_alloc(c->index_arena, (nrefs ? nrefs : 1) * sizeof(*eff));
			if (nrefs)
				memcpy(eff, refs, nrefs * sizeof(*eff));
			role->eff = eff;
			role->neff = nrefs;
		}
	}
	free(refs);
	free(stack);
	free(seen);
}

void kc_cluster__index(struct kc_cluster *c)
{
	if (c->indexed)
		return;
	kc_bootstrap_add_missing(c);
	index_clear(c);
	c->index_arena = kc_arena_new();
	size_t cap = 16;
	while (cap < c->nobjs * 2 + 2)
		cap <<= 1;
	c->table = kc_xcalloc(cap, sizeof(*c->table));
	c->table_cap = cap;

	/* Later definitions of the same object replace earlier ones, as a later `kubectl apply`
	 * would; the earlier ones are not audited. */
	for (size_t i = 0; i < c->nobjs; i++)
		c->objs[i]->owned = c->objs[i]->shadowed = 0;
	for (size_t i = 0; i < c->nobjs; i++) {
		struct kc_k8s_obj *o = c->objs[i];
		if (!o->name || !*o->name || o->kind == KC_K_OTHER)
			continue; /* untyped kinds are not judged per object: keep every copy */
		struct kc_k8s_obj **s = slot(c->table, cap, o->kind, o->ns, o->name);
		if (*s)
			(*s)->shadowed = 1;
		*s = o;
	}
	size_t nlive = 0;
	struct kc_k8s_obj **live = kc_arena_alloc(c->index_arena, (c->nobjs ? c->nobjs : 1) * sizeof(*live));
	for (size_t i = 0; i < c->nobjs; i++)
		if (!c->objs[i]->shadowed)
			live[nlive++] = c->objs[i];

	c->nexported = 0;
	for (size_t i = 0; i < nlive; i++) {
		c->nby_kind[live[i]->kind]++;
		c->nexported += live[i]->exported;
	}
	for (int k = 0; k < KC_K_KIND_COUNT; k++) {
		c->by_kind[k] = kc_arena_alloc(c->index_arena, (c->nby_kind[k] ? c->nby_kind[k] : 1) * sizeof(**c->by_kind));
		c->nby_kind[k] = 0;
	}
	for (size_t i = 0; i < nlive; i++)
		c->by_kind[live[i]->kind][c->nby_kind[live[i]->kind]++] = live[i];

	/* A pod-bearing object whose controller is present is reported through the controller. */
	for (size_t i = 0; i < nlive; i++) {
		struct kc_k8s_obj *o = live[i];
		if (!o->pod || !o->owner_kind || !o->owner_name)
			continue;
		enum kc_k8s_kind ok = kc_k8s_kind_parse(o->owner_kind);
		if (ok != KC_K_OTHER && kc_k8s_kind_has_pods(ok) && kc_cluster__find(c, ok, o->ns, o->owner_name))
			o->owned = 1;
	}

	index_namespaces(c, live, nlive);
	for (size_t i = 0; i < nlive; i++) {
		const struct kc_k8s_obj *o = live[i];
		struct kc_ns_info *ns = (struct kc_ns_info *)kc_cluster__ns(c, o->ns);
		if (!ns)
			continue;
		if (o->pod && !o->owned)
			ns->nworkloads++;
		if (o->kind == KC_K_NETWORKPOLICY)
			ns->nnetpols++;
	}
	resolve_aggregation(c);
	c->indexed = 1;
}

int kc_cluster__need(const struct kc_cluster *c, unsigned long long mask)
{
	int first = -1, more = 0;
	for (int r = 0; r < KC_RES_COUNT; r++) {
		if (!(mask & KC_RES_BIT(r)) || !c->res_error[r])
			continue;
		if (first < 0)
			first = r;
		else
			more++;
	}
	if (first < 0)
		return 0;
	if (more)
		return kc_error_set(KC_EGENERIC, "%s (and %d more collection%s could not be listed)",
				    c->res_error[first], more, more == 1 ? "" : "s");
	return kc_error_set(KC_EGENERIC, "%s", c->res_error[first]);
}
