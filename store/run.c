#include "store/run.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/redact.h"
#include "common/strbuf.h"

#define ADD(run, arr, n, cap)                                                    \
	do {                                                                     \
		(run)->arr = kc_array_grow((run)->arr, &(run)->cap, (run)->n + 1, \
					   sizeof(*(run)->arr));                  \
		memset(&(run)->arr[(run)->n], 0, sizeof(*(run)->arr));           \
		return &(run)->arr[(run)->n++];                                  \
	} while (0)

struct kc_result *kc_run_add_result(struct kc_run *run) { ADD(run, results, nresults, results_cap); }
struct kc_finding *kc_run_add_finding(struct kc_run *run) { ADD(run, findings, nfindings, findings_cap); }
struct kc_gap *kc_run_add_gap(struct kc_run *run) { ADD(run, gaps, ngaps, gaps_cap); }

void kc_run_redact(struct kc_run *run)
{
	/* one memo for the run: the texts it holds stay in the run until it is cleared */
	struct kc_redact_memo memo = KC_REDACT_MEMO_INIT;
	for (size_t i = 0; i < run->nresults; i++)
		kc_result_redact(&run->results[i], &memo);
	kc_redact_memo_clear(&memo);
	for (size_t i = 0; i < run->nfindings; i++) {
		kc_redact_str(&run->findings[i].summary);
		kc_redact_str(&run->findings[i].data_json);
	}
	for (size_t i = 0; i < run->ngaps; i++)
		kc_redact_str(&run->gaps[i].detail);
}

void kc_run_count(const struct kc_run *run, size_t counts[KC_STATUS_COUNT])
{
	memset(counts, 0, sizeof(size_t) * KC_STATUS_COUNT);
	for (size_t i = 0; i < run->nresults; i++)
		if ((unsigned)run->results[i].status < KC_STATUS_COUNT)
			counts[run->results[i].status]++;
}

void kc_finding_clear(struct kc_finding *f)
{
	free(f->rule); free(f->time); free(f->source); free(f->cis); free(f->summary); free(f->data_json);
	memset(f, 0, sizeof(*f));
}

void kc_gap_clear(struct kc_gap *g)
{
	free(g->monitor); free(g->start); free(g->end); free(g->detail);
	memset(g, 0, sizeof(*g));
}

void kc_run_clear(struct kc_run *run)
{
	free(run->host); free(run->cluster); free(run->benchmark); free(run->k8s_version);
	free(run->targets); free(run->root); free(run->tool_version); free(run->started); free(run->finished);
	for (size_t i = 0; i < run->nresults; i++)
		kc_result_clear(&run->results[i]);
	free(run->results);
	for (size_t i = 0; i < run->nfindings; i++)
		kc_finding_clear(&run->findings[i]);
	free(run->findings);
	for (size_t i = 0; i < run->ngaps; i++)
		kc_gap_clear(&run->gaps[i]);
	free(run->gaps);
	free(run->digest);
	free(run->chain_link);
	memset(run, 0, sizeof(*run));
}

char *kc_time_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_add(&b, buf, n);
	kc_buf_printf(&b, ".%03ldZ", ts.tv_nsec / 1000000);
	return kc_buf_detach(&b);
}
