#include "reports/html_history.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"

static void count_into(struct kc_trend_point *p, const struct kc_run *r)
{
	p->run_id = r->id;
	p->started = kc_strdup(r->started);
	kc_run_count(r, p->counts);
}

/* Walks the history newest to oldest, one loaded run at a time (runs can hold 100,000
 * evidence rows: never keep them all), counting statuses and extending failing streaks. */
static int load_trend(struct kc_html_history *h, struct kc_store *st, const struct kc_run *run)
{
	int64_t ids[KC_HTML_TREND_RUNS];
	int n = 0;
	int rc = kc_store_history(st, run->id, ids, KC_HTML_TREND_RUNS, &n);
	if (rc < 0)
		return rc;
	if (n < 1 || ids[n - 1] != run->id) /* the run rendered is not the stored one */
		n = 0;
	h->trend = kc_xcalloc((size_t)n + 1, sizeof(*h->trend));
	h->ntrend = (size_t)(n ? n : 1);
	count_into(&h->trend[h->ntrend - 1], run);

	char *alive = kc_xcalloc(run->nresults + 1, 1);
	size_t nalive = 0;
	for (size_t i = 0; i < run->nresults; i++)
		if (run->results[i].status == KC_FAIL) {
			alive[i] = 1;
			nalive++;
			h->since_id[i] = run->id;
			h->since_time[i] = h->trend[h->ntrend - 1].started;
		}
	for (int k = n - 2; k >= 0; k--) {
		struct kc_run old;
		rc = kc_store_load_run(st, ids[k], &old);
		if (rc < 0)
			break;
		count_into(&h->trend[k], &old);
		if (nalive) {
			struct kc_drift d;
			kc_drift_compute(&old, run, &d);
			char *still = kc_xcalloc(run->nresults + 1, 1);
			for (size_t i = 0; i < d.n; i++)
				if (d.items[i].kind == KC_DRIFT_STILL_FAILING)
					still[d.items[i].b - run->results] = 1;
			for (size_t i = 0; i < run->nresults; i++) {
				if (!alive[i])
					continue;
				if (still[i]) {
					h->since_id[i] = old.id;
					h->since_time[i] = h->trend[k].started;
				} else {
					alive[i] = 0;
					nalive--;
				}
			}
			free(still);
			kc_drift_clear(&d);
		}
		kc_run_clear(&old);
	}
	free(alive);
	return rc;
}

void kc_html_history_load(struct kc_html_history *h, struct kc_store *st, const struct kc_run *run)
{
	memset(h, 0, sizeof(*h));
	h->since_id = kc_xcalloc(run->nresults + 1, sizeof(*h->since_id));
	h->since_time = kc_xcalloc(run->nresults + 1, sizeof(*h->since_time));
	if (!st || run->id <= 0)
		return;
	h->stored = 1;
	int rc = kc_store_previous_run(st, run->id, &h->prev_id);
	if (rc == 0 && h->prev_id > 0) {
		rc = kc_store_load_run(st, h->prev_id, &h->prev);
		if (rc == 0)
			kc_drift_compute(&h->prev, run, &h->drift);
		else
			h->prev_id = 0;
	}
	if (rc == 0)
		rc = load_trend(h, st, run);
	if (rc < 0)
		h->error = kc_strdup(kc_error_last());
}

void kc_html_history_clear(struct kc_html_history *h)
{
	kc_drift_clear(&h->drift);
	kc_run_clear(&h->prev);
	for (size_t i = 0; i < h->ntrend; i++)
		free(h->trend[i].started);
	free(h->trend);
	free(h->since_id);
	free(h->since_time);
	free(h->error);
	memset(h, 0, sizeof(*h));
}
