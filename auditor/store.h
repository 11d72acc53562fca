/* The evidence store: SQLite, one file, WAL. Every audit run is saved in ONE transaction
 * (a run killed half-way leaves nothing); runtime monitors write events and findings in
 * batches with kc_store_begin/kc_store_commit from a single writer thread.
 *
 * Schema (PRAGMA user_version; migrations in store_schema.c, applied in order):
 *   v1 runs(id, kind, host, cluster, benchmark, k8s_version, targets, root, tool_version,
 *           started, finished)
 *      results(id, run_id, seq, check_id, title, section, section_title, target, type, level,
 *              scored, severity, status, expected, actual, reason, exception, remediation,
 *              duration_ms)
 *      evidence(id, result_id, seq, kind, source, line, key, value, layer, detail, pid,
 *               has_stat, mode, owner, grp, sha256, obj_kind, obj_namespace, obj_name)
 *   v2 events(id, run_id, time, source, type, pid, ppid, uid, comm, path, pod_uid,
 *             container_id, namespace, pod, data_json)
 *      findings(id, run_id, time, source, rule, severity, cis, summary, data_json)
 *      gaps(id, run_id, monitor, start, end, seen, sent, lost, detail)
 *      audit_events(id, run_id, audit_id UNIQUE, stage, time, verb, user, impersonated,
 *                   groups, source_ip, user_agent, namespace, resource, subresource, name,
 *                   code, decision, reason, level, data_json)
 *      positions(path PRIMARY KEY, inode, offset, hash, updated)  -- audit log read position
 *      attachments(id, run_id, monitor, program, attached, detail) -- which BPF programs loaded
 *   v3 index events(namespace, pod, time) for the audit/kernel exec correlation
 *   v4 seals(pos, kind, run_id, sealed, content, rows, prev, link, key, sig)  -- hash chain
 *      checkpoints(pos, link, pruned, runs, seals, key, sig)                -- after prune
 *
 * Every run and every committed batch of monitor rows is sealed in a hash chain
 * (store/chain.h); a store created before v4 is sealed as found when it is migrated.
 */
#ifndef KC_STORE_H
#define KC_STORE_H

#include <stdint.h>

#include "auditor/run.h"

struct sqlite3;
struct kc_store;
struct kc_key;
struct kc_chain_prune;

#define KC_STORE_SCHEMA_VERSION 4

/* Opens or creates the database (mode 0600, parent directory must exist), enables WAL and
 * foreign keys, and migrates to KC_STORE_SCHEMA_VERSION. A database newer than this binary
 * is refused. */
int kc_store_open(const char *path, struct kc_store **out);
void kc_store_free(struct kc_store *st);
/* Borrowed handle for modules that keep their own prepared statements (audit follower). */
struct sqlite3 *kc_store_db(struct kc_store *st);
const char *kc_store_path(const struct kc_store *st);

/* Saves run with results and evidence in one transaction; sets run->id. kind: "audit". */
int kc_store_save_run(struct kc_store *st, struct kc_run *run);
/* Creates a run row at once (kind "watch") so that events can reference it; sets run->id. */
int kc_store_start_watch(struct kc_store *st, struct kc_run *run);
int kc_store_finish_run(struct kc_store *st, int64_t run_id, const char *finished);

/* Loads run id (0 = the latest run) with results, evidence, findings and gaps into out,
 * which the caller clears with kc_run_clear. KC_ENOTFOUND when there is no such run. */
int kc_store_load_run(struct kc_store *st, int64_t id, struct kc_run *out);
/* The newest run of a kind ("audit" or "watch"); 0 in *out when there is none. */
int kc_store_latest_run(struct kc_store *st, const char *kind, int64_t *out);
/* The run before `run_id` of the same host and benchmark (for drift); 0 in *out when none. */
int kc_store_previous_run(struct kc_store *st, int64_t run_id, int64_t *out);
/* Up to max run ids of the same host and benchmark ending at run_id, oldest first. */
int kc_store_history(struct kc_store *st, int64_t run_id, int64_t *ids, int max, int *n);

/* Signs each chain head from now on with key (borrowed; NULL stops signing). */
void kc_store_set_key(struct kc_store *st, const struct kc_key *key);
/* Removes what was sealed before `before` (RFC 3339 UTC) keeping a checkpoint; refuses
 * when the chain does not verify with verify_key (may be NULL). See kc_chain_prune. */
int kc_store_prune(struct kc_store *st, const char *before, const struct kc_key *verify_key,
		   struct kc_chain_prune *out);

/* Batch writes for monitors: one transaction per batch; kc_store_commit seals the rows the
 * batch wrote (store/chain.h) before committing. */
int kc_store_begin(struct kc_store *st);
int kc_store_commit(struct kc_store *st);
void kc_store_rollback(struct kc_store *st);

struct kc_event {
	char *time;        /* RFC 3339 UTC */
	const char *source; /* "bpf" */
	const char *type;   /* "exec", "open", "fork", "exit", "setns", "module", ... */
	long pid, ppid, uid;
	const char *comm, *path, *pod_uid, *container_id, *namespace_, *pod;
	const char *data_json; /* extra fields, may be NULL */
};
int kc_store_add_event(struct kc_store *st, int64_t run_id, const struct kc_event *ev);
int kc_store_add_finding(struct kc_store *st, int64_t run_id, struct kc_finding *f);
int kc_store_add_gap(struct kc_store *st, int64_t run_id, const struct kc_gap *g);

#endif
