/* A run: one audit of one host against one benchmark, with its results, plus the runtime
 * findings and monitor gaps recorded while it was the current run. This is what the evidence
 * store saves and loads and what every report renders. */
#ifndef KC_RUN_H
#define KC_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "store/result.h"

/* A runtime finding (BPF monitor, audit log). Common columns are typed; the rest of what a
 * source knows (process chain, audit fields, ...) is a JSON object in `data_json`. */
struct kc_finding {
	int64_t id;          /* store row id, 0 until stored */
	char *rule;          /* rule id from policies/, e.g. "exec-in-container" */
	enum kc_severity severity;
	char *time;          /* RFC 3339 UTC with sub-second precision */
	char *source;        /* "bpf" or "audit" */
	char *cis;           /* CIS control the finding supports, NULL when none */
	char *summary;       /* one sentence */
	char *data_json;     /* JSON object text, already redacted */
};

/* A period in which a monitor saw events it could not deliver. */
struct kc_gap {
	char *monitor;       /* "bpf:exec", "bpf:file", "audit:webhook" */
	char *start, *end;   /* RFC 3339 UTC */
	uint64_t seen, sent, lost;
	char *detail;
};

struct kc_run {
	int64_t id;          /* store row id (1 = first run of a database), 0 until stored */
	char *host;
	char *cluster;       /* NULL when unknown */
	char *benchmark;     /* "cis-1.12" */
	char *k8s_version;   /* detected or given, NULL when unknown */
	char *targets;       /* comma list actually audited */
	char *root;          /* --root */
	char *tool_version;
	char *started, *finished; /* RFC 3339 UTC */
	struct kc_result *results;
	size_t nresults, results_cap;
	struct kc_finding *findings;
	size_t nfindings, findings_cap;
	struct kc_gap *gaps;
	size_t ngaps, gaps_cap;
	/* the run's seal in the store's hash chain (store/chain.h, docs/evidence.md): hex
	 * SHA-256 of its canonical form, its position and link; NULL / 0 while not sealed */
	char *digest, *chain_link;
	int64_t chain_pos;
};

struct kc_result *kc_run_add_result(struct kc_run *run);  /* zeroed, owned by run */
/* Redacts every text of the run in place (common/redact.h). The store calls it on a run it
 * saves, before the same run is rendered, so reports and the store hold the same text. */
void kc_run_redact(struct kc_run *run);
struct kc_finding *kc_run_add_finding(struct kc_run *run);
struct kc_gap *kc_run_add_gap(struct kc_run *run);
void kc_run_count(const struct kc_run *run, size_t counts[KC_STATUS_COUNT]);
void kc_run_clear(struct kc_run *run);                     /* frees contents, not run */
void kc_finding_clear(struct kc_finding *f);
void kc_gap_clear(struct kc_gap *g);

/* Current time as RFC 3339 UTC with milliseconds ("2026-11-28T05:45:39.123Z"); caller frees. */
char *kc_time_now_rfc3339(void);

#endif
