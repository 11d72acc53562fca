/* The evidence store: every read and write of runs, results, evidence, events, findings,
 * gaps, audit events, log positions, flows and BPF attachments goes through this header.
 * Callers pass typed values; SQL, database handles and the backend stay inside store/.
 *
 * Backends: a path is a SQLite file (one node, WAL); postgres://user@host/db is a PostgreSQL
 * database (a fleet). Both hold the same schema at the same version and answer the same
 * queries (store/db.h says which SQL both accept).
 *
 * Open modes:
 *   KC_STORE_READ_WRITE  creates the store (SQLite: mode 0600, never through a symlink) and
 *                        migrates it: audit.
 *   KC_STORE_READ_ONLY   never creates, never writes, never migrates; a missing store is
 *                        KC_ENOTFOUND. Works on a read-only mount: report, remediate, metrics.
 *   KC_STORE_MONITOR     read-write, and the monitors' batched writer (below).
 * Every open of a SQLite file refuses a schema holding anything our migrations did not create
 * (triggers, views, extra tables or columns: KC_EUNSAFE), runs with SQLite's defensive settings,
 * and checks the integrity of stores up to 64 MiB (PRAGMA quick_check) before using them.
 *
 * Transactions and batches:
 *   - kc_store_save_run writes a run with its results, evidence, findings and gaps in ONE
 *     transaction: a run killed half-way leaves nothing.
 *   - Monitors group rows into batches: explicitly with kc_store_begin/kc_store_commit (the
 *     audit follower commits its log position with the events it read), or, in
 *     KC_STORE_MONITOR mode, implicitly: a row added outside kc_store_begin opens a batch that
 *     commits after KC_STORE_BATCH_ROWS rows, on kc_store_flush, or on kc_store_free. A batch
 *     costs one fsync-free WAL commit; 512 rows keeps a burst of execs to a few commits a
 *     second while a crash loses at most one batch of the current second.
 *   - Another process's write lock (a second audit from cron, a watch) is waited for with
 *     growing pauses (1 ms .. 250 ms), logged once after 1 s, for up to 120 s
 *     (kc_store_set_busy_timeout). A run that still cannot be saved is kept beside the store
 *     as <store>.pending-<pid>-<n>.db and added by the next read-write open.
 *
 * Schema (version KC_STORE_SCHEMA_VERSION; migrations in store/schema.c, applied in order):
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
 *   v5 flows(id, cluster, node, run_id, src_key, src_kind, src_namespace, src_workload,
 *            src_pod, src_addr, dst_key, ..., port, protocol, count, first_seen, last_seen)
 *   v6 audit_rule_state(rule, user, times, fired, PRIMARY KEY(rule, user))  -- rule bursts
 *
 * The hash chain (store/chain.h, docs/evidence.md): every run and every committed batch of
 * monitor rows is sealed in the transaction that writes it (a watch run when it finishes);
 * a write made outside a transaction gets one of its own. A store migrated from before v4 is
 * sealed as found by its first read-write open.
 */
#ifndef KC_STORE_H
#define KC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/run.h"

struct kc_store;
struct kc_key;
struct kc_chain_prune;

#define KC_STORE_SCHEMA_VERSION 6
#define KC_STORE_BATCH_ROWS 512

enum kc_store_mode { KC_STORE_READ_WRITE, KC_STORE_READ_ONLY, KC_STORE_MONITOR };

/* where: a SQLite path or a postgres:// URL. A store newer than this binary is refused. */
int kc_store_open_mode(const char *where, enum kc_store_mode mode, struct kc_store **out);
/* kc_store_open_mode(where, KC_STORE_READ_WRITE, out) */
int kc_store_open(const char *where, struct kc_store **out);
/* A second connection to the same store (another thread's), in mode. */
int kc_store_open_again(const struct kc_store *st, enum kc_store_mode mode, struct kc_store **out);
void kc_store_free(struct kc_store *st);
/* The path or URL (password removed) for messages; "sqlite" or "postgres". */
const char *kc_store_path(const struct kc_store *st);
const char *kc_store_backend(const struct kc_store *st);
int kc_store_is_url(const char *where);
/* "sqlite 3.40.1, libpq 150020": the backends' library versions, for `kubecomply version`. */
const char *kc_store_library_versions(void);
/* A SQLite store's schema at the latest version, as the migrations build it (one line per
 * object), into out: what every open compares a store with. tools/schema_ref_gen.c writes it
 * into the binary at build time (kc_store_schema_ref); kc_store_use_schema_ref makes opens
 * compare with that first instead of building it again (a tenth of an audit's store work). */
struct kc_buf;
int kc_store_schema_ref_text(struct kc_buf *out); /* the version, or <0 */
extern const char kc_store_schema_ref[];
extern const int kc_store_schema_ref_version;
void kc_store_use_schema_ref(int version, const char *text);
/* How long a write waits for another process's lock, in ms (default 120000). */
void kc_store_set_busy_timeout(struct kc_store *st, int ms);
/* Whether the last failed write failed on another process's lock, still held after the busy
 * timeout (the audit webhook answers 503 with Retry-After then, so the API server retries). */
int kc_store_busy(const struct kc_store *st);

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
/* The newest audit run of every host (and cluster) in the store, ordered by cluster and host:
 * a fleet in one database. *ids is malloc'ed, caller frees. */
int kc_store_fleet_runs(struct kc_store *st, int64_t **ids, size_t *n);

/* Signs each chain head this connection seals from now on with key (borrowed; NULL stops). */
void kc_store_set_key(struct kc_store *st, const struct kc_key *key);
/* Removes what was sealed before `before` (RFC 3339 UTC) keeping a checkpoint; refuses
 * when the chain does not verify with verify_key (may be NULL). See kc_chain_prune. */
int kc_store_prune(struct kc_store *st, const char *before, const struct kc_key *verify_key,
		   struct kc_chain_prune *out);

/* Batches (see above). kc_store_flush commits an implicit batch (KC_STORE_MONITOR). */
int kc_store_begin(struct kc_store *st);
int kc_store_commit(struct kc_store *st);
void kc_store_rollback(struct kc_store *st);
int kc_store_flush(struct kc_store *st);

struct kc_event {
	char *time;        /* RFC 3339 UTC */
	const char *source; /* "bpf" */
	const char *type;   /* "exec", "open", "fork", "exit", "setns", "module", ... */
	long pid, ppid, uid;
	const char *comm, *path, *pod_uid, *container_id, *namespace_, *pod;
	const char *data_json; /* extra fields, may be NULL */
};
int kc_store_add_event(struct kc_store *st, int64_t run_id, const struct kc_event *ev);
/* Sets f->id. */
int kc_store_add_finding(struct kc_store *st, int64_t run_id, struct kc_finding *f);
int kc_store_add_gap(struct kc_store *st, int64_t run_id, const struct kc_gap *g);
/* Which BPF program (or setting) a monitor attached, and why or why not. */
int kc_store_add_attachment(struct kc_store *st, int64_t run_id, const char *monitor, const char *program,
			    int attached, const char *detail);

/* Events read back, each handed to fn with borrowed fields valid during the call; a negative
 * return from fn stops the walk and is returned. */
typedef int (*kc_store_event_fn)(void *payload, const struct kc_event *ev);
/* Kernel execs (source bpf, type exec) of one pod with time in [from, to] (RFC 3339 text),
 * oldest first, at most limit. */
int kc_store_pod_execs(struct kc_store *st, const char *namespace_, const char *pod, const char *from,
		       const char *to, int limit, kc_store_event_fn fn, void *payload);
/* Connection events (type connect) of runs of cluster (NULL: every run; runs without a
 * cluster always count), in the order they were stored. Only time and data_json are set. */
int kc_store_connect_events(struct kc_store *st, const char *cluster, const char *since, kc_store_event_fn fn,
			    void *payload);

/* Observed TCP flows (`watch --bpf`, bpf/flows.c) aggregated per (cluster, source workload or
 * address, destination workload or address, port, protocol) with counts and first/last seen:
 * one row per pair, not per connection. Peers: kind "pod" (namespace, workload derived from
 * the pod name, one pod seen), "node" or "address" (addr). */
struct kc_store_flow {
	const char *cluster, *node;
	int64_t run_id;                 /* the watch run that last saw it */
	const char *src_kind, *src_namespace, *src_workload, *src_pod, *src_addr;
	const char *dst_kind, *dst_namespace, *dst_workload, *dst_pod, *dst_addr;
	int port;
	const char *protocol;
	int64_t count;
	const char *first_seen, *last_seen;   /* RFC 3339 UTC */
};
/* Adds f's count to its row (created when new), widening first/last seen. */
int kc_store_flow_add(struct kc_store *st, const struct kc_store_flow *f);
typedef int (*kc_store_flow_cb)(void *payload, const struct kc_store_flow *f);
/* Rows of cluster (NULL: all) last seen at or after since (NULL: all), in a stable order;
 * a non-zero return of cb stops the walk. */
int kc_store_flows(struct kc_store *st, const char *cluster, const char *since, kc_store_flow_cb cb, void *payload);

/* A finding's data_json (caller frees; NULL when the finding has none) and its replacement. */
int kc_store_finding_data(struct kc_store *st, int64_t finding_id, char **data_json);
int kc_store_finding_set_data(struct kc_store *st, int64_t finding_id, const char *data_json);

/* API server audit events, one row per audit ID however many stages arrive. */
struct kc_store_audit_event {
	int64_t run_id; /* 0: none */
	const char *audit_id, *stage, *time, *verb, *user, *impersonated, *groups, *source_ip, *user_agent,
		*namespace_, *resource, *subresource, *name;
	int code; /* -1: none */
	const char *decision, *reason, *level, *data_json;
};
enum kc_store_audit_write {
	KC_STORE_AUDIT_INSERT,      /* first stage seen of this audit ID */
	KC_STORE_AUDIT_UPDATE,      /* a later stage: its fields supersede */
	KC_STORE_AUDIT_UPDATE_DATA, /* an earlier or repeated stage: only data_json changes */
};
int kc_store_audit_event_put(struct kc_store *st, enum kc_store_audit_write how, const struct kc_store_audit_event *ev);
/* *found 0 when the audit ID is not stored; else its stage and data_json (caller frees). */
int kc_store_audit_event_get(struct kc_store *st, const char *audit_id, int *found, char **stage, char **data_json);

/* Where the audit log follower stopped in a file: inode, offset, a hash (16 hex digits) of
 * the bytes before offset, and when it was written (updated may be NULL). *found 0 when the
 * path has no position. */
int kc_store_position_get(struct kc_store *st, const char *path, int *found, uint64_t *inode, uint64_t *offset,
			  char hash[17], char updated[64]);
int kc_store_position_put(struct kc_store *st, const char *path, uint64_t inode, uint64_t offset,
			  const char *hash, const char *updated);

/* Threshold-rule state of the audit-log rules (a burst of 403s in progress), per rule and
 * identity: times = the hits in the window (ms since the epoch, oldest first, at most
 * KC_STORE_RULESTATE_TIMES), fired = time of the last finding (-1: none). Saved in the
 * caller's transaction (the follower's batch), so the state commits with the events that made
 * it; loaded at start, so that a burst survives a restart. Borrowed strings. */
#define KC_STORE_RULESTATE_TIMES 64
typedef void (*kc_store_rulestate_fn)(void *payload, const char *rule, const char *user, const int64_t *times,
				      size_t n, int64_t fired);
int kc_store_rulestate_load(struct kc_store *st, kc_store_rulestate_fn fn, void *payload);
int kc_store_rulestate_save(struct kc_store *st, const char *rule, const char *user, const int64_t *times, size_t n,
			    int64_t fired);

/* A watch run that never finished (SIGKILL, OOM kill, node crash) left the node unwatched
 * from its last sign of life (its start, or its newest event, finding or gap) until run
 * started: each such earlier run of run->host becomes a gap row of run (monitor "watch"), and
 * is closed (finished = its last sign of life) and sealed, in one transaction, so that the gap
 * is recorded once. *n = how many. */
int kc_store_watch_downtime(struct kc_store *st, const struct kc_run *run, int *n);
/* --retain: deletes events and audit_events older than cutoff (RFC 3339 UTC); findings and
 * gaps stay. Deleted rows are sealed as deleted (tombstones), so the chain still verifies.
 * *deleted = rows removed. */
int kc_store_watch_retain(struct kc_store *st, const char *cutoff, int64_t *deleted);

/* Counters over the whole store, for the metrics endpoint. Borrowed strings. */
typedef int (*kc_store_count_fn)(void *payload, const char *const *keys, const int64_t *values);
/* keys: rule, severity ("" when none), source; values: count. By rule, severity, source. */
int kc_store_finding_counts(struct kc_store *st, kc_store_count_fn fn, void *payload);
/* keys: monitor; values: sum of seen, sum of lost, number of gaps. By monitor. */
int kc_store_gap_totals(struct kc_store *st, kc_store_count_fn fn, void *payload);
int kc_store_audit_event_count(struct kc_store *st, int64_t *out);

/* For tests that inspect what was stored: the SQLite handle (NULL on PostgreSQL). Production
 * code never calls it (scripts/include-graph.sh fails the build when it does). */
struct sqlite3;
struct sqlite3 *kc_store_db(struct kc_store *st);
/* For tests: whether opening this SQLite store ran PRAGMA quick_check (store/closed.h says
 * when it need not). */
int kc_store_integrity_checked(const struct kc_store *st);

#endif
