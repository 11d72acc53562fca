/* The audit-event processor: one event in, rules applied, the request recorded once
 * (deduplicated on auditID and stage), findings written once per request and rule. Every
 * call writes inside the caller's transaction (kc_store_begin/commit), so the caller can put
 * its read position in the same transaction. Single-threaded: one processor per writer. */
#ifndef KC_AUDITLOG_PROC_H
#define KC_AUDITLOG_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "auditlog/event.h"
#include "auditlog/rules.h"
#include "store/run.h"
#include "store/store.h"

struct json_object;
struct kc_auditlog_proc;

struct kc_auditlog_stats {
	uint64_t events;      /* lines/items seen */
	uint64_t malformed;   /* not a JSON object */
	uint64_t scanned;     /* decided on the header scan alone (no full parse) */
	uint64_t parsed;      /* fully parsed with json-c */
	uint64_t recorded;    /* requests written to audit_events (new or later stage) */
	uint64_t duplicates;  /* (auditID, stage) already stored */
	uint64_t findings;
};

/* Called for each finding after it is stored (tests, bench, BPF correlation). */
typedef void (*kc_auditlog_finding_fn)(void *payload, const struct kc_finding *f,
				       const struct kc_audit_event *ev);

/* rules is borrowed and must outlive the processor. st may be NULL (rules only: the bench's
 * reference path and the tests), then nothing is stored and dedup is in memory only. */
int kc_auditlog_proc_new(struct kc_store *st, int64_t run_id, const struct kc_audit_rules *rules,
			 struct kc_auditlog_proc **out);
void kc_auditlog_proc_free(struct kc_auditlog_proc *p);
void kc_auditlog_proc_on_finding(struct kc_auditlog_proc *p, kc_auditlog_finding_fn fn, void *payload);
/* full = 1: parse every event with json-c (the reference the bench compares against). */
void kc_auditlog_proc_set_full(struct kc_auditlog_proc *p, int full);

/* One event as a line of JSON; a malformed line is counted and skipped (returns 0).
 * Negative only for store errors. */
int kc_auditlog_proc_line(struct kc_auditlog_proc *p, const char *line, size_t len);
/* One event already parsed (webhook EventList item). */
int kc_auditlog_proc_object(struct kc_auditlog_proc *p, struct json_object *obj);
const struct kc_auditlog_stats *kc_auditlog_proc_stats(const struct kc_auditlog_proc *p);
/* The run its findings and gaps belong to (0: none, nothing stored). */
int64_t kc_auditlog_proc_run_id(const struct kc_auditlog_proc *p);

/* FNV-1a, for line hashes and synthetic ids of events without an auditID. */
uint64_t kc_auditlog_hash(const void *data, size_t len);

#endif
