/* What changed between two runs, check by check (matched on the benchmark id). Used by
 * `report --diff` (reports/diff.c) and by the HTML header's "since the previous run".
 * Each check of either run lands in exactly one category or counts as unchanged. */
#ifndef KC_DRIFT_H
#define KC_DRIFT_H

#include <stddef.h>

#include "store/run.h"

enum kc_drift_kind {
	KC_DRIFT_NEW_FAILURE,   /* FAIL now, another status before */
	KC_DRIFT_FIXED,         /* FAIL before, PASS now */
	KC_DRIFT_STILL_FAILING, /* FAIL in both */
	KC_DRIFT_CHANGED,       /* any other status change (e.g. FAIL -> WARN, PASS -> ERROR) */
	KC_DRIFT_ADDED,         /* only in the newer run */
	KC_DRIFT_REMOVED,       /* only in the older run */
	KC_DRIFT_KIND_COUNT
};

struct kc_drift_item {
	enum kc_drift_kind kind;
	const struct kc_result *a; /* older run's result, NULL when added; borrowed */
	const struct kc_result *b; /* newer run's result, NULL when removed; borrowed */
};

struct kc_drift {
	struct kc_drift_item *items; /* grouped by kind, each group in the newer run's order */
	size_t n, cap;
	size_t counts[KC_DRIFT_KIND_COUNT];
	size_t unchanged;
};

/* a is the older run, b the newer; items borrow from both, which must outlive d. */
void kc_drift_compute(const struct kc_run *a, const struct kc_run *b, struct kc_drift *d);
void kc_drift_clear(struct kc_drift *d);
/* "new_failures", "fixed", "still_failing", "changed", "added", "removed" */
const char *kc_drift_kind_key(enum kc_drift_kind k);
/* "New failures", "Fixed", ... */
const char *kc_drift_kind_title(enum kc_drift_kind k);

#endif
