/* What the HTML report reads from the evidence store besides the run itself: the drift
 * against the previous run of the same host and benchmark, the status counts of the last
 * runs (trend), and since which run each current failure has been failing. */
#ifndef KC_HTML_HISTORY_H
#define KC_HTML_HISTORY_H

#include <stdint.h>

#include "store/store.h"
#include "reports/drift.h"
#include "reports/html_svg.h"

#define KC_HTML_TREND_RUNS 20

struct kc_html_history {
	int stored;                    /* a store was given and the run has an id */
	int64_t prev_id;               /* 0: this is the first run of its host and benchmark */
	struct kc_run prev;            /* loaded previous run (drift items point into it) */
	struct kc_drift drift;         /* prev -> run */
	struct kc_trend_point *trend;  /* oldest first, the current run last */
	size_t ntrend;
	/* per result of the current run, for failures: the oldest run of the unbroken failing
	 * streak among the loaded ones (its id and start time, borrowed from trend) */
	int64_t *since_id;
	const char **since_time;
	char *error;                   /* the store could not be read: shown, not fatal */
};

/* Never fails: a store error is kept in h->error so the report still renders. */
void kc_html_history_load(struct kc_html_history *h, struct kc_store *st, const struct kc_run *run);
void kc_html_history_clear(struct kc_html_history *h);

#endif
