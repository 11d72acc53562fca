#include "reports/drift.h"

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

static const char *const keys[KC_DRIFT_KIND_COUNT] = {
	"new_failures", "fixed", "still_failing", "changed", "added", "removed",
};
static const char *const titles[KC_DRIFT_KIND_COUNT] = {
	"New failures", "Fixed", "Still failing", "Changed status", "Added checks", "Removed checks",
};

const char *kc_drift_kind_key(enum kc_drift_kind k)
{
	return (unsigned)k < KC_DRIFT_KIND_COUNT ? keys[k] : "changed";
}

const char *kc_drift_kind_title(enum kc_drift_kind k)
{
	return (unsigned)k < KC_DRIFT_KIND_COUNT ? titles[k] : "Changed status";
}

static int cmp_id(const void *x, const void *y)
{
	const struct kc_result *const *a = x, *const *b = y;
	int c = strcmp((*a)->id ? (*a)->id : "", (*b)->id ? (*b)->id : "");
	/* equal ids keep run order, so the first occurrence is the one matched */
	if (c == 0)
		c = (*a < *b) ? -1 : (*a > *b);
	return c;
}

/* Run results sorted by id, for matching in O(n log n) on 10,000-check runs. */
static const struct kc_result **index_run(const struct kc_run *r)
{
	const struct kc_result **ix = kc_xcalloc(r->nresults ? r->nresults : 1, sizeof(*ix));
	for (size_t i = 0; i < r->nresults; i++)
		ix[i] = &r->results[i];
	qsort(ix, r->nresults, sizeof(*ix), cmp_id);
	return ix;
}

static long find(const struct kc_result **ix, size_t n, const char *id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix[mid]->id ? ix[mid]->id : "", id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(ix[lo]->id ? ix[lo]->id : "", id) == 0 ? (long)lo : -1;
}

static enum kc_drift_kind classify(const struct kc_result *a, const struct kc_result *b, int *same)
{
	*same = 0;
	if (a->status == KC_FAIL && b->status == KC_FAIL)
		return KC_DRIFT_STILL_FAILING;
	if (b->status == KC_FAIL)
		return KC_DRIFT_NEW_FAILURE;
	if (a->status == KC_FAIL && b->status == KC_PASS)
		return KC_DRIFT_FIXED;
	*same = a->status == b->status;
	return KC_DRIFT_CHANGED;
}

void kc_drift_compute(const struct kc_run *a, const struct kc_run *b, struct kc_drift *d)
{
	memset(d, 0, sizeof(*d));
	const struct kc_result **ia = index_run(a), **ib = index_run(b);
	struct kc_drift_item *tmp = kc_xcalloc(a->nresults + b->nresults + 1, sizeof(*tmp));
	char *seen_a = kc_xcalloc(a->nresults + 1, 1);
	size_t nt = 0;

	for (size_t i = 0; i < b->nresults; i++) {
		const struct kc_result *rb = &b->results[i];
		const char *id = rb->id ? rb->id : "";
		long jb = find(ib, b->nresults, id);
		if (jb >= 0 && ib[jb] != rb)
			continue; /* a duplicate id: only its first occurrence is compared */
		long ja = find(ia, a->nresults, id);
		if (ja < 0) {
			tmp[nt++] = (struct kc_drift_item){ KC_DRIFT_ADDED, NULL, rb };
			continue;
		}
		const struct kc_result *ra = ia[ja];
		seen_a[ra - a->results] = 1;
		int same;
		enum kc_drift_kind k = classify(ra, rb, &same);
		if (same)
			d->unchanged++;
		else
			tmp[nt++] = (struct kc_drift_item){ k, ra, rb };
	}
	for (size_t i = 0; i < a->nresults; i++) {
		const struct kc_result *ra = &a->results[i];
		long ja = find(ia, a->nresults, ra->id ? ra->id : "");
		if (!seen_a[i] && ja >= 0 && ia[ja] == ra)
			tmp[nt++] = (struct kc_drift_item){ KC_DRIFT_REMOVED, ra, NULL };
	}
	/* stable grouping by kind */
	d->items = kc_xcalloc(nt + 1, sizeof(*d->items));
	d->cap = nt + 1;
	for (int k = 0; k < KC_DRIFT_KIND_COUNT; k++)
		for (size_t i = 0; i < nt; i++)
			if (tmp[i].kind == (enum kc_drift_kind)k) {
				d->items[d->n++] = tmp[i];
				d->counts[k]++;
			}
	free(tmp);
	free(seen_a);
	free(ia);
	free(ib);
}

void kc_drift_clear(struct kc_drift *d)
{
	free(d->items);
	memset(d, 0, sizeof(*d));
}
