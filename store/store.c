/* The store's typed functions, written once over the backend interface (store/db.h). Every
 * query of the program is in the table below. */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/strbuf.h"
#include "store/chain.h"
#include "store/chain_int.h"
#include "store/db.h"

enum query {
	Q_RUN_INSERT, Q_RESULT_INSERT, Q_EVIDENCE_INSERT, Q_EVENT_INSERT, Q_FINDING_INSERT, Q_GAP_INSERT,
	Q_RUN_FINISH, Q_RUN_BY_ID, Q_RUN_LATEST, Q_RUN_LATEST_KIND, Q_HISTORY, Q_FLEET, Q_RESULTS, Q_EVIDENCE,
	Q_FINDINGS, Q_GAPS, Q_ATTACHMENT_INSERT, Q_POD_EXECS, Q_CONNECTS, Q_FINDING_DATA, Q_FINDING_SET_DATA,
	Q_AUDIT_GET, Q_AUDIT_INSERT, Q_AUDIT_UPDATE, Q_AUDIT_UPDATE_DATA, Q_POSITION_GET, Q_POSITION_PUT,
	Q_FINDING_COUNTS, Q_GAP_TOTALS, Q_AUDIT_COUNT, Q_FLOW_UPSERT, Q_FLOWS, Q_RULESTATE_LOAD, Q_RULESTATE_SAVE,
	Q_WATCH_UNFINISHED, Q_RETAIN_EVENTS, Q_RETAIN_AUDIT, Q_COUNT
};

static const char *const query_sql[Q_COUNT] = {
	[Q_RUN_INSERT] = "INSERT INTO runs(kind, host, cluster, benchmark, k8s_version, targets, root,"
			 " tool_version, started, finished) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
	[Q_RESULT_INSERT] = "INSERT INTO results(run_id, seq, check_id, title, section, section_title,"
			    " target, type, level, scored, severity, status, expected, actual, reason,"
			    " exception, remediation, duration_ms)"
			    " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) RETURNING id",
	[Q_EVIDENCE_INSERT] = "INSERT INTO evidence(result_id, seq, kind, source, line, key, value, layer,"
			      " detail, pid, has_stat, mode, owner, grp, sha256, obj_kind, obj_namespace,"
			      " obj_name) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)",
	[Q_EVENT_INSERT] = "INSERT INTO events(run_id, time, source, type, pid, ppid, uid, comm, path,"
			   " pod_uid, container_id, namespace, pod, data_json)"
			   " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id",
	[Q_FINDING_INSERT] = "INSERT INTO findings(run_id, time, source, rule, severity, cis, summary,"
			     " data_json) VALUES($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
	[Q_GAP_INSERT] = "INSERT INTO gaps(run_id, monitor, start, \"end\", seen, sent, lost, detail)"
			 " VALUES($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
	[Q_RUN_FINISH] = "UPDATE runs SET finished=$1 WHERE id=$2",
	[Q_RUN_BY_ID] = "SELECT id, host, cluster, benchmark, k8s_version, targets, root, tool_version,"
			" started, finished FROM runs WHERE id=$1",
	[Q_RUN_LATEST] = "SELECT id, host, cluster, benchmark, k8s_version, targets, root, tool_version,"
			 " started, finished FROM runs ORDER BY id DESC LIMIT 1",
	[Q_RUN_LATEST_KIND] = "SELECT id FROM runs WHERE kind=$1 ORDER BY id DESC LIMIT 1",
	[Q_HISTORY] = "SELECT r.id FROM runs r, runs me WHERE me.id=$1 AND r.kind=me.kind"
		      " AND r.host IS NOT DISTINCT FROM me.host AND r.benchmark IS NOT DISTINCT FROM me.benchmark"
		      " AND r.id<=me.id ORDER BY r.id DESC LIMIT $2",
	[Q_FLEET] = "SELECT max(id) FROM runs WHERE kind='audit' GROUP BY cluster, host"
		    " ORDER BY COALESCE(cluster, ''), COALESCE(host, '')",
	[Q_RESULTS] = "SELECT id, check_id, title, section, section_title, target, type, level, scored,"
		      " severity, status, expected, actual, reason, exception, remediation, duration_ms"
		      " FROM results WHERE run_id=$1 ORDER BY seq",
	[Q_EVIDENCE] = "SELECT kind, source, line, key, value, layer, detail, pid, has_stat, mode, owner, grp,"
		       " sha256, obj_kind, obj_namespace, obj_name FROM evidence WHERE result_id=$1 ORDER BY seq",
	[Q_FINDINGS] = "SELECT id, time, source, rule, severity, cis, summary, data_json"
		       " FROM findings WHERE run_id=$1 ORDER BY time, id",
	[Q_GAPS] = "SELECT monitor, start, \"end\", seen, sent, lost, detail FROM gaps"
		   " WHERE run_id=$1 ORDER BY start, id",
	[Q_ATTACHMENT_INSERT] = "INSERT INTO attachments(run_id, monitor, program, attached, detail)"
				" VALUES($1,$2,$3,$4,$5) RETURNING id",
	[Q_POD_EXECS] = "SELECT time, pid, ppid, comm, path, container_id, data_json FROM events"
			" WHERE source='bpf' AND type='exec' AND namespace=$1 AND pod=$2 AND time BETWEEN $3 AND $4"
			" ORDER BY time LIMIT $5",
	[Q_CONNECTS] = "SELECT e.time, e.data_json FROM events e LEFT JOIN runs r ON r.id = e.run_id"
		       " WHERE e.type = 'connect' AND (CAST($1 AS TEXT) IS NULL OR r.cluster IS NULL OR r.cluster = $1)"
		       " AND (CAST($2 AS TEXT) IS NULL OR e.time >= $2) ORDER BY e.id",
	[Q_FINDING_DATA] = "SELECT data_json FROM findings WHERE id=$1",
	[Q_FINDING_SET_DATA] = "UPDATE findings SET data_json=$1 WHERE id=$2",
	[Q_AUDIT_GET] = "SELECT stage, data_json FROM audit_events WHERE audit_id=$1",
	[Q_AUDIT_INSERT] = "INSERT INTO audit_events(run_id, audit_id, stage, time, verb, \"user\", impersonated,"
			   " groups, source_ip, user_agent, namespace, resource, subresource, name, code,"
			   " decision, reason, level, data_json)"
			   " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) RETURNING id",
	/* a later stage of a request already stored: its fields (code, decision) supersede */
	[Q_AUDIT_UPDATE] = "UPDATE audit_events SET run_id=$1, stage=$3, time=$4, verb=$5, \"user\"=$6,"
			   " impersonated=$7, groups=$8, source_ip=$9, user_agent=$10, namespace=$11,"
			   " resource=$12, subresource=$13, name=$14, code=$15, decision=$16, reason=$17,"
			   " level=$18, data_json=$19 WHERE audit_id=$2 RETURNING id",
	[Q_AUDIT_UPDATE_DATA] = "UPDATE audit_events SET data_json=$1 WHERE audit_id=$2 RETURNING id",
	[Q_POSITION_GET] = "SELECT inode, \"offset\", hash, updated FROM positions WHERE path=$1",
	[Q_POSITION_PUT] = "INSERT INTO positions(path, inode, \"offset\", hash, updated) VALUES($1,$2,$3,$4,$5)"
			   " ON CONFLICT(path) DO UPDATE SET inode=excluded.inode, \"offset\"=excluded.\"offset\","
			   " hash=excluded.hash, updated=excluded.updated",
	[Q_FINDING_COUNTS] = "SELECT rule, COALESCE(severity, ''), source, COUNT(*) FROM findings"
			     " GROUP BY rule, severity, source ORDER BY rule, COALESCE(severity, ''), source",
	[Q_GAP_TOTALS] = "SELECT monitor, COALESCE(SUM(seen), 0), COALESCE(SUM(lost), 0), COUNT(*) FROM gaps"
			 " GROUP BY monitor ORDER BY monitor",
	[Q_AUDIT_COUNT] = "SELECT COUNT(*) FROM audit_events",
	/* one row per (cluster, source, destination, port, protocol): counts add up, first and
	 * last seen widen (issue 14: flows aggregated, not a row per connection) */
	[Q_FLOW_UPSERT] = "INSERT INTO flows(cluster, node, run_id, src_key, src_kind, src_namespace, src_workload,"
			  " src_pod, src_addr, dst_key, dst_kind, dst_namespace, dst_workload, dst_pod, dst_addr,"
			  " port, protocol, count, first_seen, last_seen)"
			  " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)"
			  " ON CONFLICT(cluster, src_key, dst_key, port, protocol) DO UPDATE SET"
			  " count = flows.count + excluded.count, node = excluded.node, run_id = excluded.run_id,"
			  " src_pod = excluded.src_pod, dst_pod = excluded.dst_pod,"
			  " src_addr = excluded.src_addr, dst_addr = excluded.dst_addr,"
			  " first_seen = CASE WHEN excluded.first_seen < flows.first_seen THEN excluded.first_seen"
			  " ELSE flows.first_seen END,"
			  " last_seen = CASE WHEN excluded.last_seen > flows.last_seen THEN excluded.last_seen"
			  " ELSE flows.last_seen END",
	[Q_FLOWS] = "SELECT cluster, node, run_id, src_kind, src_namespace, src_workload, src_pod, src_addr,"
		    " dst_kind, dst_namespace, dst_workload, dst_pod, dst_addr, port, protocol, count, first_seen,"
		    " last_seen FROM flows WHERE (CAST($1 AS TEXT) IS NULL OR cluster = $1)"
		    " AND (CAST($2 AS TEXT) IS NULL OR last_seen >= $2) ORDER BY id",
	[Q_RULESTATE_LOAD] = "SELECT rule, \"user\", times, fired FROM audit_rule_state",
	[Q_RULESTATE_SAVE] = "INSERT INTO audit_rule_state(rule, \"user\", times, fired) VALUES($1,$2,$3,$4)"
			     " ON CONFLICT(rule, \"user\") DO UPDATE SET times=excluded.times, fired=excluded.fired",
	/* watch runs of this host that never finished, with their last signs of life (times are
	 * RFC 3339 UTC, which sort as text; the newest is taken in C: max(a, b) is SQLite's only) */
	[Q_WATCH_UNFINISHED] = "SELECT r.id, r.started, (SELECT max(time) FROM events WHERE run_id=r.id),"
			       " (SELECT max(time) FROM findings WHERE run_id=r.id),"
			       " (SELECT max(\"end\") FROM gaps WHERE run_id=r.id) FROM runs r"
			       " WHERE r.kind='watch' AND r.finished IS NULL AND r.id < $1"
			       " AND r.host IS NOT DISTINCT FROM CAST($2 AS TEXT) ORDER BY r.id",
	/* --retain deletes in slices: each slice is one transaction and one sealed batch of
	 * tombstones, however much a month of events holds */
	[Q_RETAIN_EVENTS] = "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < $1 ORDER BY id"
			    " LIMIT 4096) RETURNING id",
	[Q_RETAIN_AUDIT] = "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE time < $1"
			   " ORDER BY id LIMIT 4096) RETURNING id",
};

struct kc_store {
	struct kc_db *db;
	const struct kc_db_ops *ops;
	enum kc_store_mode mode;
	char *where;          /* as given: a URL keeps its password, for kc_store_open_again */
	struct kc_db_stmt *stmt[Q_COUNT];
	int auto_batch;       /* KC_STORE_MONITOR: an implicit batch is open */
	unsigned batch_rows;
	struct kc_chain *chain; /* what this connection wrote and has not sealed yet */
};

struct kc_db *kc_store__backend(struct kc_store *st) { return st->db; }

/* The statement of a query, prepared on first use and kept for the store's lifetime. */
static int q(struct kc_store *st, enum query id, struct kc_db_stmt **out)
{
	if (!st->stmt[id]) {
		int rc = st->ops->prepare(st->db, query_sql[id], &st->stmt[id]);
		if (rc < 0)
			return rc;
	}
	*out = st->stmt[id];
	return 0;
}

#define TEXT(s, i, v) bind_text_redacting(st, s, i, v)
/* Text kc_run_redact has already passed through (kc_store_save_run redacts the run in place
 * before inserting it): bound as it is, so that the stored run and the run the reports render
 * are the same text; a second pass would change nothing (redaction is idempotent: test_redact,
 * fuzz_redact) and cost as much as the first. */
#define TEXT_AS_IS(s, i, v) st->ops->bind_text(s, i, v)

/* Where text enters the store: every bound text has passed the redaction rule
 * (common/redact.h) — here, or for a saved run's results and evidence in kc_run_redact just
 * before insert_result (TEXT_AS_IS) — whatever produced it, so every report rendered from the
 * store inherits it. */
static void bind_text_redacting(struct kc_store *st, struct kc_db_stmt *s, int i, const char *v)
{
	char *r = v ? kc_redact_text(v) : NULL;
	st->ops->bind_text(s, i, r);
	free(r);
}
#define INT(s, i, v) st->ops->bind_int64(s, i, (int64_t)(v))
#define COL(s, i) st->ops->col_text(s, i)
#define COLINT(s, i) st->ops->col_int64(s, i)

static void bind_run_id(struct kc_store *st, struct kc_db_stmt *s, int i, int64_t run_id)
{
	if (run_id)
		INT(s, i, run_id);
	else
		TEXT(s, i, NULL);
}

/* Steps a statement that returns no row, or one row whose first column is an id. */
static int run_write(struct kc_store *st, struct kc_db_stmt *s, const char *what, int64_t *id)
{
	int rc = st->ops->step(s, what);
	if (rc == 1 && id)
		*id = COLINT(s, 0);
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

static char *dup_col(struct kc_store *st, struct kc_db_stmt *s, int i)
{
	const char *t = COL(s, i);
	return t ? kc_strdup(t) : NULL;
}

const char *kc_store_library_versions(void)
{
	static char v[96];
	if (!v[0])
		snprintf(v, sizeof(v), "sqlite %s, libpq %d", kc_db_sqlite_version(), kc_db_pg_version());
	return v;
}

int kc_store_schema_ref_text(struct kc_buf *out)
{
	int v = kc_store_migration_count(), rc = kc_db_sqlite_schema_text(v, out);
	return rc < 0 ? rc : v;
}

void kc_store_use_schema_ref(int version, const char *text)
{
	kc_db_sqlite_use_schema_ref(version, text);
}

int kc_store_is_url(const char *where)
{
	return kc_db_is_pg_url(where);
}

static int open_backend(const char *where, enum kc_store_mode mode, struct kc_db **db)
{
	enum kc_db_open m = mode == KC_STORE_READ_ONLY ? KC_DB_READ_ONLY : KC_DB_READ_WRITE;
	return kc_db_is_pg_url(where) ? kc_db_pg_open(where, m, db) : kc_db_sqlite_open(where, m, db);
}

static void adopt_pending(struct kc_store *st, const char *path);

int kc_store_open_mode(const char *where, enum kc_store_mode mode, struct kc_store **out)
{
	*out = NULL;
	if (!where || !*where)
		return kc_error_set(KC_EINVAL, "empty database path");
	struct kc_db *db = NULL;
	int rc = open_backend(where, mode, &db);
	if (rc < 0)
		return rc;
	if ((rc = db->ops->migrate(db)) < 0) {
		db->ops->close(db);
		return rc;
	}
	struct kc_store *st = kc_xcalloc(1, sizeof(*st));
	st->db = db;
	st->ops = db->ops;
	st->mode = mode;
	st->where = kc_strdup(where);
	st->chain = kc_chain_new();
	/* a store migrated from before the chain is sealed as found, once */
	if (mode != KC_STORE_READ_ONLY && (rc = kc_chain_adopt(st, st->chain)) < 0) {
		kc_store_free(st);
		return rc;
	}
	if (mode != KC_STORE_READ_ONLY && !kc_db_is_pg_url(where))
		adopt_pending(st, where);
	*out = st;
	return 0;
}

int kc_store_open_again(const struct kc_store *st, enum kc_store_mode mode, struct kc_store **out)
{
	return kc_store_open_mode(st->where, mode, out);
}

int kc_store_open(const char *where, struct kc_store **out)
{
	return kc_store_open_mode(where, KC_STORE_READ_WRITE, out);
}

void kc_store_free(struct kc_store *st)
{
	if (!st)
		return;
	if (st->auto_batch && kc_store_flush(st) < 0)
		kc_log(KC_LOG_ERROR, "%s", kc_error_last());
	kc_chain_free(st->chain);
	for (int i = 0; i < Q_COUNT; i++)
		st->ops->finalize(st->stmt[i]);
	st->ops->close(st->db);
	free(st->where);
	free(st);
}

const char *kc_store_path(const struct kc_store *st) { return st->db->where; }
const char *kc_store_backend(const struct kc_store *st) { return st->ops->name; }
int kc_store_busy(const struct kc_store *st)
{
	return st->db->busy;
}

void kc_store_set_busy_timeout(struct kc_store *st, int ms) { st->db->busy_ms = ms; }
struct sqlite3 *kc_store_db(struct kc_store *st) { return kc_db_sqlite_handle(st->db); }
int kc_store_integrity_checked(const struct kc_store *st) { return kc_db_sqlite_ran_check(st->db); }

int kc_store_flush(struct kc_store *st)
{
	if (!st->auto_batch)
		return 0;
	st->auto_batch = 0;
	st->batch_rows = 0;
	int rc = kc_store_commit(st);
	if (rc < 0)
		kc_store_rollback(st);
	return rc;
}

int kc_store_begin(struct kc_store *st)
{
	int rc = kc_store_flush(st);
	if (rc == 0 && (rc = st->ops->begin_write(st->db)) == 0)
		kc_chain_begin(st->chain);
	return rc;
}

int kc_store_commit(struct kc_store *st)
{
	/* commits an implicit batch too, if one was open; the rows this transaction wrote are
	 * sealed in it: committed means sealed */
	st->auto_batch = 0;
	st->batch_rows = 0;
	int rc = kc_chain_seal_batch(st, st->chain);
	return rc < 0 ? rc : st->ops->commit(st->db);
}

void kc_store_rollback(struct kc_store *st)
{
	st->auto_batch = 0;
	st->batch_rows = 0;
	kc_chain_rollback(st->chain);
	st->ops->rollback(st->db);
}

void kc_store_set_key(struct kc_store *st, const struct kc_key *key) { kc_chain_set_key(st->chain, key); }

int kc_store_prune(struct kc_store *st, const char *before, const struct kc_key *verify_key,
		   struct kc_chain_prune *out)
{
	return kc_chain_prune(st, st->chain, before, verify_key, out);
}

/* KC_STORE_MONITOR: a row outside an explicit transaction joins the implicit batch. */
static int batch_open(struct kc_store *st)
{
	if (st->mode != KC_STORE_MONITOR || st->auto_batch || st->ops->in_transaction(st->db))
		return 0;
	int rc = st->ops->begin_write(st->db);
	if (rc == 0) {
		st->auto_batch = 1;
		kc_chain_begin(st->chain);
	}
	return rc;
}

/* A monitor row written: inside a transaction (the caller's, or the implicit batch) the
 * chain seals it at commit; outside any, the write gets a transaction of its own, so that no
 * committed row is ever left unsealed. known_id: the row's id when the statement returns none. */
static int monitor_write(struct kc_store *st, struct kc_db_stmt *s, const char *what, enum kc_chain_table t,
			 int64_t known_id, int64_t *id_out)
{
	int own = !st->ops->in_transaction(st->db), rc = 0;
	if (own && (rc = kc_store_begin(st)) < 0) {
		st->ops->reset(s);
		return rc;
	}
	int64_t id = known_id;
	rc = run_write(st, s, what, known_id ? NULL : &id);
	if (rc == 0) {
		kc_chain_touch(st->chain, t, id, 0);
		if (id_out)
			*id_out = id;
	}
	if (own) {
		if (rc == 0)
			rc = kc_store_commit(st);
		if (rc < 0)
			kc_store_rollback(st);
	}
	return rc;
}

static int batch_row(struct kc_store *st, int rc)
{
	if (rc < 0 || !st->auto_batch)
		return rc;
	if (++st->batch_rows >= KC_STORE_BATCH_ROWS)
		return kc_store_flush(st);
	return 0;
}

static int insert_run(struct kc_store *st, struct kc_run *run, const char *kind)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_RUN_INSERT, &s);
	if (rc < 0)
		return rc;
	TEXT(s, 1, kind);
	TEXT(s, 2, run->host);
	TEXT(s, 3, run->cluster);
	TEXT(s, 4, run->benchmark);
	TEXT(s, 5, run->k8s_version);
	TEXT(s, 6, run->targets);
	TEXT(s, 7, run->root);
	TEXT(s, 8, run->tool_version);
	TEXT(s, 9, run->started ? run->started : "");
	TEXT(s, 10, run->finished);
	return run_write(st, s, "saving the run", &run->id);
}

/* r has been redacted by kc_run_redact (only save_run_tx calls this) */
static int insert_result(struct kc_store *st, int64_t run_id, int seq, const struct kc_result *r)
{
	struct kc_db_stmt *s;
	int64_t result_id = 0;
	int rc = q(st, Q_RESULT_INSERT, &s);
	if (rc < 0)
		return rc;
	INT(s, 1, run_id);
	INT(s, 2, seq);
	TEXT_AS_IS(s, 3, r->id ? r->id : "");
	TEXT_AS_IS(s, 4, r->title);
	TEXT_AS_IS(s, 5, r->section);
	TEXT_AS_IS(s, 6, r->section_title);
	TEXT_AS_IS(s, 7, r->target);
	TEXT_AS_IS(s, 8, r->type);
	INT(s, 9, r->level);
	INT(s, 10, r->scored);
	TEXT(s, 11, kc_severity_name(r->severity));
	TEXT(s, 12, kc_status_name(r->status));
	TEXT_AS_IS(s, 13, r->expected);
	TEXT_AS_IS(s, 14, r->actual);
	TEXT_AS_IS(s, 15, r->reason);
	TEXT_AS_IS(s, 16, r->exception);
	TEXT_AS_IS(s, 17, r->remediation);
	st->ops->bind_double(s, 18, r->duration_ms);
	if ((rc = run_write(st, s, "saving a result", &result_id)) < 0)
		return rc;
	if ((rc = q(st, Q_EVIDENCE_INSERT, &s)) < 0)
		return rc;
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct kc_evidence *ev = &r->evidence[i];
		INT(s, 1, result_id);
		INT(s, 2, i);
		TEXT(s, 3, kc_evidence_kind_name(ev->kind));
		TEXT_AS_IS(s, 4, ev->source);
		INT(s, 5, ev->line);
		TEXT_AS_IS(s, 6, ev->key);
		TEXT_AS_IS(s, 7, ev->value);
		TEXT_AS_IS(s, 8, ev->layer);
		TEXT_AS_IS(s, 9, ev->detail);
		INT(s, 10, ev->pid);
		INT(s, 11, ev->has_stat);
		INT(s, 12, ev->mode);
		TEXT_AS_IS(s, 13, ev->owner);
		TEXT_AS_IS(s, 14, ev->group);
		TEXT_AS_IS(s, 15, ev->sha256);
		TEXT_AS_IS(s, 16, ev->obj_kind);
		TEXT_AS_IS(s, 17, ev->obj_namespace);
		TEXT_AS_IS(s, 18, ev->obj_name);
		if ((rc = run_write(st, s, "saving evidence", NULL)) < 0)
			return rc;
	}
	return 0;
}

static int save_run_tx(struct kc_store *st, struct kc_run *run)
{
	/* one transaction: a run killed half-way leaves no partial run behind */
	int rc = kc_store_begin(st);
	if (rc < 0)
		return rc;
	if ((rc = insert_run(st, run, "audit")) < 0)
		goto fail;
	for (size_t i = 0; i < run->nresults; i++)
		if ((rc = insert_result(st, run->id, (int)i, &run->results[i])) < 0)
			goto fail;
	for (size_t i = 0; i < run->nfindings; i++)
		if ((rc = kc_store_add_finding(st, run->id, &run->findings[i])) < 0)
			goto fail;
	for (size_t i = 0; i < run->ngaps; i++)
		if ((rc = kc_store_add_gap(st, run->id, &run->gaps[i])) < 0)
			goto fail;
	if ((rc = kc_chain_seal_run(st, st->chain, run)) < 0 || (rc = kc_store_commit(st)) < 0)
		goto fail;
	return 0;
fail:
	kc_store_rollback(st);
	run->id = 0;
	free(run->digest);
	free(run->chain_link);
	run->digest = run->chain_link = NULL;
	run->chain_pos = 0;
	return rc;
}

/* ---- a run that could not be saved is kept beside the store ---- */

#define PENDING_INFIX ".pending-"

/* A SQLite file and its WAL sidecars. */
static void unlink_store(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal", "-checked" };
	for (size_t i = 0; i < sizeof(sfx) / sizeof(*sfx); i++) {
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s%s", path, sfx[i]);
		unlink(p.ptr);
		kc_buf_clear(&p);
	}
}

static int keep_pending(struct kc_store *st, struct kc_run *run)
{
	static unsigned seq;
	struct kc_buf path = KC_BUF_INIT;
	kc_buf_printf(&path, "%s" PENDING_INFIX "%ld-%u.db", st->db->where, (long)getpid(), ++seq);
	struct kc_store *side = NULL;
	int rc = kc_store_open(path.ptr, &side);
	if (rc == 0)
		rc = save_run_tx(side, run);
	kc_store_free(side);
	run->id = 0;
	if (rc < 0)
		unlink_store(path.ptr);
	else
		kc_log(KC_LOG_WARN, "the run was kept in %s; the next audit with this store adds it", path.ptr);
	kc_buf_clear(&path);
	return rc;
}

/* Runs kept by keep_pending: added to this store, then their files removed. */
static void adopt_pending(struct kc_store *st, const char *path)
{
	const char *slash = strrchr(path, '/');
	struct kc_buf dir = KC_BUF_INIT, prefix = KC_BUF_INIT;
	if (slash)
		kc_buf_add(&dir, path, (size_t)(slash - path) + 1);
	else
		kc_buf_puts(&dir, "./");
	kc_buf_printf(&prefix, "%s" PENDING_INFIX, slash ? slash + 1 : path);
	DIR *d = opendir(dir.ptr);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (strncmp(de->d_name, prefix.ptr, prefix.len) != 0 || len < 4 || strcmp(de->d_name + len - 3, ".db") != 0)
			continue;
		struct kc_buf side_path = KC_BUF_INIT;
		kc_buf_printf(&side_path, "%s%s", dir.ptr, de->d_name);
		/* only what keep_pending made: ours, 0600, a regular file; a run planted beside the
		 * store by someone else is not adopted into the history */
		struct stat sb;
		if (lstat(side_path.ptr, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
		    (sb.st_mode & 077)) {
			kc_log(KC_LOG_WARN, "%s: not adopting %s: not a kept run of this user (owner %u, mode %o)",
			       st->db->where, side_path.ptr, (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777));
			kc_buf_clear(&side_path);
			continue;
		}
		struct kc_store *side = NULL;
		struct kc_run run = { 0 };
		int rc = kc_store_open_mode(side_path.ptr, KC_STORE_READ_ONLY, &side);
		if (rc == 0)
			rc = kc_store_load_run(side, 0, &run);
		kc_store_free(side);
		if (rc == 0)
			rc = save_run_tx(st, &run);
		if (rc == 0) {
			kc_log(KC_LOG_INFO, "%s: added the run kept in %s as run %lld", st->db->where, side_path.ptr,
			       (long long)run.id);
			unlink_store(side_path.ptr);
		} else {
			kc_log(KC_LOG_WARN, "%s: kept run %s not added: %s", st->db->where, side_path.ptr, kc_error_last());
		}
		kc_run_clear(&run);
		kc_buf_clear(&side_path);
	}
	if (d)
		closedir(d);
	kc_buf_clear(&dir);
	kc_buf_clear(&prefix);
}

int kc_store_save_run(struct kc_store *st, struct kc_run *run)
{
	/* the run is rendered into reports after it is saved: redacted in place, so every report
	 * carries exactly the text the store holds and the chain seals (key-aware for evidence) */
	kc_run_redact(run);
	int rc = save_run_tx(st, run);
	if (rc < 0 && st->db->busy && !kc_db_is_pg_url(st->db->where)) {
		/* the lock never came: the audit is not lost, it waits beside the store */
		struct kc_buf msg = KC_BUF_INIT;
		kc_buf_puts(&msg, kc_error_last());
		if (keep_pending(st, run) == 0)
			rc = kc_error_set(KC_EDB, "%s; the run was kept beside the store and is added by the next audit", msg.ptr);
		else
			rc = kc_error_set(KC_EDB, "%s", msg.ptr);
		kc_buf_clear(&msg);
	}
	return rc;
}

int kc_store_start_watch(struct kc_store *st, struct kc_run *run)
{
	return insert_run(st, run, "watch");
}

int kc_store_finish_run(struct kc_store *st, int64_t run_id, const char *finished)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_RUN_FINISH, &s);
	if (rc < 0 || (rc = kc_store_begin(st)) < 0)
		return rc;
	/* a watch run is sealed once, when it finishes: the seal covers its finish time */
	TEXT(s, 1, finished);
	INT(s, 2, run_id);
	struct kc_run sealed = { .id = run_id };
	if ((rc = run_write(st, s, "finishing the run", NULL)) == 0 &&
	    (rc = kc_chain_seal_run(st, st->chain, &sealed)) == 0)
		rc = kc_store_commit(st);
	kc_run_clear(&sealed);
	if (rc < 0)
		kc_store_rollback(st);
	return rc;
}

int kc_store_add_event(struct kc_store *st, int64_t run_id, const struct kc_event *ev)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_EVENT_INSERT, &s);
	if (rc < 0 || (rc = batch_open(st)) < 0)
		return rc;
	bind_run_id(st, s, 1, run_id);
	TEXT(s, 2, ev->time ? ev->time : "");
	TEXT(s, 3, ev->source ? ev->source : "");
	TEXT(s, 4, ev->type ? ev->type : "");
	INT(s, 5, ev->pid);
	INT(s, 6, ev->ppid);
	INT(s, 7, ev->uid);
	TEXT(s, 8, ev->comm);
	TEXT(s, 9, ev->path);
	TEXT(s, 10, ev->pod_uid);
	TEXT(s, 11, ev->container_id);
	TEXT(s, 12, ev->namespace_);
	TEXT(s, 13, ev->pod);
	TEXT(s, 14, ev->data_json);
	return batch_row(st, monitor_write(st, s, "saving an event", KC_CHAIN_EVENTS, 0, NULL));
}

int kc_store_add_finding(struct kc_store *st, int64_t run_id, struct kc_finding *f)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_FINDING_INSERT, &s);
	if (rc < 0 || (rc = batch_open(st)) < 0)
		return rc;
	bind_run_id(st, s, 1, run_id);
	TEXT(s, 2, f->time ? f->time : "");
	TEXT(s, 3, f->source ? f->source : "");
	TEXT(s, 4, f->rule ? f->rule : "");
	TEXT(s, 5, kc_severity_name(f->severity));
	TEXT(s, 6, f->cis);
	TEXT(s, 7, f->summary);
	TEXT(s, 8, f->data_json);
	return batch_row(st, monitor_write(st, s, "saving a finding", KC_CHAIN_FINDINGS, 0, &f->id));
}

int kc_store_add_gap(struct kc_store *st, int64_t run_id, const struct kc_gap *g)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_GAP_INSERT, &s);
	if (rc < 0 || (rc = batch_open(st)) < 0)
		return rc;
	bind_run_id(st, s, 1, run_id);
	TEXT(s, 2, g->monitor ? g->monitor : "");
	TEXT(s, 3, g->start ? g->start : "");
	TEXT(s, 4, g->end ? g->end : "");
	INT(s, 5, g->seen);
	INT(s, 6, g->sent);
	INT(s, 7, g->lost);
	TEXT(s, 8, g->detail);
	return batch_row(st, monitor_write(st, s, "saving a monitor gap", KC_CHAIN_GAPS, 0, NULL));
}

int kc_store_add_attachment(struct kc_store *st, int64_t run_id, const char *monitor, const char *program,
			    int attached, const char *detail)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_ATTACHMENT_INSERT, &s);
	if (rc < 0)
		return rc;
	bind_run_id(st, s, 1, run_id);
	TEXT(s, 2, monitor);
	TEXT(s, 3, program);
	INT(s, 4, attached);
	TEXT(s, 5, detail);
	return monitor_write(st, s, "recording BPF attachments", KC_CHAIN_ATTACHMENTS, 0, NULL);
}

/* ---- reading runs ---- */

static int load_evidence(struct kc_store *st, int64_t result_id, struct kc_result *r)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_EVIDENCE, &s);
	if (rc < 0)
		return rc;
	INT(s, 1, result_id);
	while ((rc = st->ops->step(s, "loading evidence")) == 1) {
		enum kc_evidence_kind kind = KC_EV_NOTE;
		kc_evidence_kind_parse(COL(s, 0), &kind);
		struct kc_evidence *ev = kc_result_add_evidence(r, kind);
		ev->source = dup_col(st, s, 1);
		ev->line = (long)COLINT(s, 2);
		ev->key = dup_col(st, s, 3);
		ev->value = dup_col(st, s, 4);
		ev->layer = dup_col(st, s, 5);
		ev->detail = dup_col(st, s, 6);
		ev->pid = (long)COLINT(s, 7);
		ev->has_stat = (int)COLINT(s, 8);
		ev->mode = (unsigned)COLINT(s, 9);
		ev->owner = dup_col(st, s, 10);
		ev->group = dup_col(st, s, 11);
		ev->sha256 = dup_col(st, s, 12);
		ev->obj_kind = dup_col(st, s, 13);
		ev->obj_namespace = dup_col(st, s, 14);
		ev->obj_name = dup_col(st, s, 15);
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

static int load_results(struct kc_store *st, struct kc_run *run)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_RESULTS, &s);
	if (rc < 0)
		return rc;
	INT(s, 1, run->id);
	/* evidence is read with its own statement while this one stays open on SQLite, and from
	 * the whole result set PostgreSQL returned: both keep their rows */
	while ((rc = st->ops->step(s, "loading results")) == 1) {
		struct kc_result *r = kc_run_add_result(run);
		r->id = dup_col(st, s, 1);
		r->title = dup_col(st, s, 2);
		r->section = dup_col(st, s, 3);
		r->section_title = dup_col(st, s, 4);
		r->target = dup_col(st, s, 5);
		r->type = dup_col(st, s, 6);
		r->level = (int)COLINT(s, 7);
		r->scored = (int)COLINT(s, 8);
		kc_severity_parse(COL(s, 9), &r->severity);
		if (kc_status_parse(COL(s, 10), &r->status) < 0)
			r->status = KC_ERROR;
		r->expected = dup_col(st, s, 11);
		r->actual = dup_col(st, s, 12);
		r->reason = dup_col(st, s, 13);
		r->exception = dup_col(st, s, 14);
		r->remediation = dup_col(st, s, 15);
		r->duration_ms = st->ops->col_double(s, 16);
		if ((rc = load_evidence(st, COLINT(s, 0), r)) < 0)
			break;
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

static int load_findings_and_gaps(struct kc_store *st, struct kc_run *run)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_FINDINGS, &s);
	if (rc < 0)
		return rc;
	INT(s, 1, run->id);
	while ((rc = st->ops->step(s, "loading findings")) == 1) {
		struct kc_finding *f = kc_run_add_finding(run);
		f->id = COLINT(s, 0);
		f->time = dup_col(st, s, 1);
		f->source = dup_col(st, s, 2);
		f->rule = dup_col(st, s, 3);
		kc_severity_parse(COL(s, 4), &f->severity);
		f->cis = dup_col(st, s, 5);
		f->summary = dup_col(st, s, 6);
		f->data_json = dup_col(st, s, 7);
	}
	st->ops->reset(s);
	if (rc < 0 || (rc = q(st, Q_GAPS, &s)) < 0)
		return rc;
	INT(s, 1, run->id);
	while ((rc = st->ops->step(s, "loading monitor gaps")) == 1) {
		struct kc_gap *g = kc_run_add_gap(run);
		g->monitor = dup_col(st, s, 0);
		g->start = dup_col(st, s, 1);
		g->end = dup_col(st, s, 2);
		g->seen = (uint64_t)COLINT(s, 3);
		g->sent = (uint64_t)COLINT(s, 4);
		g->lost = (uint64_t)COLINT(s, 5);
		g->detail = dup_col(st, s, 6);
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

int kc_store_load_run(struct kc_store *st, int64_t id, struct kc_run *out)
{
	memset(out, 0, sizeof(*out));
	struct kc_db_stmt *s;
	int rc = q(st, id ? Q_RUN_BY_ID : Q_RUN_LATEST, &s);
	if (rc < 0)
		return rc;
	/* one read transaction so a concurrent writer cannot change the run under us */
	int own_tx = !st->ops->in_transaction(st->db);
	if (own_tx && (rc = st->ops->begin_read(st->db)) < 0)
		return rc;
	if (id)
		INT(s, 1, id);
	rc = st->ops->step(s, "loading a run");
	if (rc == 1) {
		out->id = COLINT(s, 0);
		out->host = dup_col(st, s, 1);
		out->cluster = dup_col(st, s, 2);
		out->benchmark = dup_col(st, s, 3);
		out->k8s_version = dup_col(st, s, 4);
		out->targets = dup_col(st, s, 5);
		out->root = dup_col(st, s, 6);
		out->tool_version = dup_col(st, s, 7);
		out->started = dup_col(st, s, 8);
		out->finished = dup_col(st, s, 9);
	}
	st->ops->reset(s);
	if (rc == 0)
		rc = id ? kc_error_set(KC_ENOTFOUND, "%s: no run with id %lld", st->db->where, (long long)id)
			: kc_error_set(KC_ENOTFOUND, "%s: the database holds no run yet", st->db->where);
	else if (rc == 1 && (rc = load_results(st, out)) == 0 && (rc = load_findings_and_gaps(st, out)) == 0)
		rc = kc_chain_run_proof(st, out);
	if (own_tx) {
		if (rc < 0)
			st->ops->rollback(st->db);
		else if ((rc = st->ops->commit(st->db)) < 0)
			st->ops->rollback(st->db);
	}
	if (rc < 0)
		kc_run_clear(out);
	return rc;
}

int kc_store_latest_run(struct kc_store *st, const char *kind, int64_t *out)
{
	struct kc_db_stmt *s;
	*out = 0;
	int rc = q(st, Q_RUN_LATEST_KIND, &s);
	if (rc < 0)
		return rc;
	TEXT(s, 1, kind);
	rc = st->ops->step(s, "finding the latest run");
	if (rc == 1)
		*out = COLINT(s, 0);
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

int kc_store_previous_run(struct kc_store *st, int64_t run_id, int64_t *out)
{
	int n = 0;
	int64_t ids[2];
	*out = 0;
	int rc = kc_store_history(st, run_id, ids, 2, &n);
	if (rc == 0 && n == 2)
		*out = ids[0];
	return rc;
}

int kc_store_history(struct kc_store *st, int64_t run_id, int64_t *ids, int max, int *n)
{
	struct kc_db_stmt *s;
	*n = 0;
	int rc = q(st, Q_HISTORY, &s);
	if (rc < 0)
		return rc;
	INT(s, 1, run_id);
	INT(s, 2, max);
	while (*n < max && (rc = st->ops->step(s, "reading run history")) == 1)
		ids[(*n)++] = COLINT(s, 0);
	st->ops->reset(s);
	/* oldest first */
	for (int i = 0; i < *n / 2; i++) {
		int64_t t = ids[i];
		ids[i] = ids[*n - 1 - i];
		ids[*n - 1 - i] = t;
	}
	return rc < 0 ? rc : 0;
}

int kc_store_fleet_runs(struct kc_store *st, int64_t **ids, size_t *n)
{
	struct kc_db_stmt *s;
	size_t cap = 0;
	*ids = NULL;
	*n = 0;
	int rc = q(st, Q_FLEET, &s);
	if (rc < 0)
		return rc;
	while ((rc = st->ops->step(s, "listing the fleet")) == 1) {
		*ids = kc_array_grow(*ids, &cap, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = COLINT(s, 0);
	}
	st->ops->reset(s);
	if (rc < 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc < 0 ? rc : 0;
}

/* ---- events, findings, audit events, positions ---- */

int kc_store_pod_execs(struct kc_store *st, const char *namespace_, const char *pod, const char *from,
		       const char *to, int limit, kc_store_event_fn fn, void *payload)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_POD_EXECS, &s);
	if (rc < 0)
		return rc;
	TEXT(s, 1, namespace_);
	TEXT(s, 2, pod);
	TEXT(s, 3, from);
	TEXT(s, 4, to);
	INT(s, 5, limit);
	while ((rc = st->ops->step(s, "reading exec events")) == 1) {
		struct kc_event ev = {
			.time = (char *)COL(s, 0), .source = "bpf", .type = "exec",
			.pid = (long)COLINT(s, 1), .ppid = (long)COLINT(s, 2), .comm = COL(s, 3),
			.path = COL(s, 4), .container_id = COL(s, 5), .namespace_ = namespace_, .pod = pod,
			.data_json = COL(s, 6),
		};
		if ((rc = fn(payload, &ev)) < 0)
			break;
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

int kc_store_connect_events(struct kc_store *st, const char *cluster, const char *since, kc_store_event_fn fn,
			    void *payload)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_CONNECTS, &s);
	if (rc < 0)
		return rc;
	TEXT(s, 1, cluster);
	TEXT(s, 2, since);
	while ((rc = st->ops->step(s, "reading connection events")) == 1) {
		struct kc_event ev = { .time = (char *)COL(s, 0), .type = "connect", .data_json = COL(s, 1) };
		if ((rc = fn(payload, &ev)) < 0)
			break;
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

int kc_store_finding_data(struct kc_store *st, int64_t finding_id, char **data_json)
{
	struct kc_db_stmt *s;
	*data_json = NULL;
	int rc = q(st, Q_FINDING_DATA, &s);
	if (rc < 0)
		return rc;
	INT(s, 1, finding_id);
	if ((rc = st->ops->step(s, "reading a finding")) == 1)
		*data_json = dup_col(st, s, 0);
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

int kc_store_finding_set_data(struct kc_store *st, int64_t finding_id, const char *data_json)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_FINDING_SET_DATA, &s);
	if (rc < 0)
		return rc;
	TEXT(s, 1, data_json);
	INT(s, 2, finding_id);
	return monitor_write(st, s, "updating a finding", KC_CHAIN_FINDINGS, finding_id, NULL);
}

int kc_store_audit_event_put(struct kc_store *st, enum kc_store_audit_write how, const struct kc_store_audit_event *ev)
{
	struct kc_db_stmt *s;
	int rc = q(st, how == KC_STORE_AUDIT_INSERT ? Q_AUDIT_INSERT
		       : how == KC_STORE_AUDIT_UPDATE ? Q_AUDIT_UPDATE : Q_AUDIT_UPDATE_DATA, &s);
	if (rc < 0)
		return rc;
	if (how == KC_STORE_AUDIT_UPDATE_DATA) {
		TEXT(s, 1, ev->data_json);
		TEXT(s, 2, ev->audit_id);
		return monitor_write(st, s, "saving an audit event", KC_CHAIN_AUDIT_EVENTS, 0, NULL);
	}
	bind_run_id(st, s, 1, ev->run_id);
	TEXT(s, 2, ev->audit_id);
	TEXT(s, 3, ev->stage);
	TEXT(s, 4, ev->time);
	TEXT(s, 5, ev->verb);
	TEXT(s, 6, ev->user);
	TEXT(s, 7, ev->impersonated);
	TEXT(s, 8, ev->groups);
	TEXT(s, 9, ev->source_ip);
	TEXT(s, 10, ev->user_agent);
	TEXT(s, 11, ev->namespace_);
	TEXT(s, 12, ev->resource);
	TEXT(s, 13, ev->subresource);
	TEXT(s, 14, ev->name);
	if (ev->code >= 0)
		INT(s, 15, ev->code);
	else
		TEXT(s, 15, NULL);
	TEXT(s, 16, ev->decision);
	TEXT(s, 17, ev->reason);
	TEXT(s, 18, ev->level);
	TEXT(s, 19, ev->data_json);
	return monitor_write(st, s, "saving an audit event", KC_CHAIN_AUDIT_EVENTS, 0, NULL);
}

int kc_store_audit_event_get(struct kc_store *st, const char *audit_id, int *found, char **stage, char **data_json)
{
	struct kc_db_stmt *s;
	*found = 0;
	*stage = *data_json = NULL;
	int rc = q(st, Q_AUDIT_GET, &s);
	if (rc < 0)
		return rc;
	TEXT(s, 1, audit_id);
	if ((rc = st->ops->step(s, "reading audit_events")) == 1) {
		*found = 1;
		*stage = dup_col(st, s, 0);
		*data_json = dup_col(st, s, 1);
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

int kc_store_position_get(struct kc_store *st, const char *path, int *found, uint64_t *inode, uint64_t *offset,
			  char hash[17], char updated[64])
{
	struct kc_db_stmt *s;
	*found = 0;
	*inode = *offset = 0;
	hash[0] = 0;
	if (updated)
		updated[0] = 0;
	int rc = q(st, Q_POSITION_GET, &s);
	if (rc < 0)
		return rc;
	TEXT(s, 1, path);
	if ((rc = st->ops->step(s, "reading the audit log position")) == 1) {
		*found = 1;
		*inode = (uint64_t)COLINT(s, 0);
		*offset = (uint64_t)COLINT(s, 1);
		if (COL(s, 2))
			snprintf(hash, 17, "%s", COL(s, 2));
		if (updated && COL(s, 3))
			snprintf(updated, 64, "%s", COL(s, 3));
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

int kc_store_position_put(struct kc_store *st, const char *path, uint64_t inode, uint64_t offset,
			  const char *hash, const char *updated)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_POSITION_PUT, &s);
	if (rc < 0)
		return rc;
	TEXT(s, 1, path);
	INT(s, 2, inode);
	INT(s, 3, offset);
	TEXT(s, 4, hash);
	TEXT(s, 5, updated);
	return run_write(st, s, "saving the audit log position", NULL);
}

/* ---- audit rule state, watch continuity, retention ---- */

int kc_store_rulestate_load(struct kc_store *st, kc_store_rulestate_fn fn, void *payload)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_RULESTATE_LOAD, &s);
	if (rc < 0)
		return rc;
	while ((rc = st->ops->step(s, "reading audit_rule_state")) == 1) {
		const char *times = COL(s, 2);
		int64_t t[KC_STORE_RULESTATE_TIMES];
		size_t n = 0;
		for (const char *p = times ? times : ""; *p && n < KC_STORE_RULESTATE_TIMES;) {
			char *end;
			long long v = strtoll(p, &end, 10);
			if (end == p)
				break;
			t[n++] = v;
			p = *end == ',' ? end + 1 : end;
		}
		fn(payload, COL(s, 0), COL(s, 1), t, n, COLINT(s, 3));
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

int kc_store_rulestate_save(struct kc_store *st, const char *rule, const char *user, const int64_t *times, size_t n,
			    int64_t fired)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_RULESTATE_SAVE, &s);
	if (rc < 0)
		return rc;
	struct kc_buf b = KC_BUF_INIT;
	for (size_t i = 0; i < n && i < KC_STORE_RULESTATE_TIMES; i++)
		kc_buf_printf(&b, "%s%lld", i ? "," : "", (long long)times[i]);
	TEXT(s, 1, rule);
	TEXT(s, 2, user ? user : "");
	TEXT(s, 3, b.ptr);
	INT(s, 4, fired);
	rc = run_write(st, s, "saving audit_rule_state", NULL);
	kc_buf_clear(&b);
	return rc;
}

int kc_store_watch_downtime(struct kc_store *st, const struct kc_run *run, int *n)
{
	enum { MAX_RUNS = 64 };
	struct kc_db_stmt *s;
	int64_t ids[MAX_RUNS];
	char *last[MAX_RUNS];
	int k = 0;
	*n = 0;
	int rc = q(st, Q_WATCH_UNFINISHED, &s);
	if (rc < 0)
		return rc;
	INT(s, 1, run->id);
	TEXT(s, 2, run->host);
	while (k < MAX_RUNS && (rc = st->ops->step(s, "finding unfinished watch runs")) == 1) {
		/* the last sign of life: the newest of its start, events, findings and gaps */
		const char *l = COL(s, 1) ? COL(s, 1) : "";
		for (int c = 2; c <= 4; c++)
			if (COL(s, c) && strcmp(COL(s, c), l) > 0)
				l = COL(s, c);
		ids[k] = COLINT(s, 0);
		last[k++] = kc_strdup(l);
	}
	st->ops->reset(s);
	if (rc >= 0 && k) {
		/* the gaps and the closing of the killed runs in one transaction: recorded once */
		rc = kc_store_begin(st);
		for (int i = 0; rc >= 0 && i < k; i++) {
			char detail[256];
			snprintf(detail, sizeof(detail),
				 "watch run %lld ended without finishing (killed or crashed): nothing was watched from"
				 " its last sign of life until run %lld started", (long long)ids[i], (long long)run->id);
			struct kc_gap g = { .monitor = (char *)"watch", .start = last[i], .end = run->started,
					    .detail = detail };
			struct kc_run sealed = { .id = ids[i] };
			if ((rc = kc_store_add_gap(st, run->id, &g)) < 0 || (rc = q(st, Q_RUN_FINISH, &s)) < 0)
				break;
			/* closed at its last sign of life, and sealed as a finished watch run is */
			TEXT(s, 1, last[i]);
			INT(s, 2, ids[i]);
			if ((rc = run_write(st, s, "closing a killed watch run", NULL)) == 0)
				rc = kc_chain_seal_run(st, st->chain, &sealed);
			kc_run_clear(&sealed);
			if (rc == 0)
				(*n)++;
		}
		if (rc >= 0)
			rc = kc_store_commit(st);
		if (rc < 0) {
			kc_store_rollback(st);
			*n = 0;
		}
	}
	for (int i = 0; i < k; i++)
		free(last[i]);
	return rc < 0 ? rc : 0;
}

/* One slice of a retention delete: the rows' tombstones are sealed with the commit. */
static int retain_slice(struct kc_store *st, enum query id, enum kc_chain_table t, const char *cutoff,
			int64_t *deleted)
{
	struct kc_db_stmt *s;
	int64_t before = *deleted;
	int rc = q(st, id, &s);
	if (rc < 0 || (rc = kc_store_begin(st)) < 0)
		return rc;
	TEXT(s, 1, cutoff);
	while ((rc = st->ops->step(s, "applying --retain")) == 1) {
		kc_chain_touch(st->chain, t, COLINT(s, 0), 1);
		(*deleted)++;
	}
	st->ops->reset(s);
	if (rc >= 0)
		rc = kc_store_commit(st);
	if (rc < 0) {
		kc_store_rollback(st);
		*deleted = before;
		return rc;
	}
	return *deleted > before;
}

int kc_store_watch_retain(struct kc_store *st, const char *cutoff, int64_t *deleted)
{
	*deleted = 0;
	int rc;
	while ((rc = retain_slice(st, Q_RETAIN_EVENTS, KC_CHAIN_EVENTS, cutoff, deleted)) > 0)
		;
	while (rc == 0 && (rc = retain_slice(st, Q_RETAIN_AUDIT, KC_CHAIN_AUDIT_EVENTS, cutoff, deleted)) > 0)
		;
	return rc < 0 ? rc : 0;
}

/* ---- counters ---- */

static int counts(struct kc_store *st, enum query id, int nkeys, int nvalues, const char *what,
		  kc_store_count_fn fn, void *payload)
{
	struct kc_db_stmt *s;
	int rc = q(st, id, &s);
	if (rc < 0)
		return rc;
	while ((rc = st->ops->step(s, what)) == 1) {
		const char *keys[4];
		int64_t values[4];
		for (int i = 0; i < nkeys; i++)
			keys[i] = COL(s, i) ? COL(s, i) : "";
		for (int i = 0; i < nvalues; i++)
			values[i] = COLINT(s, nkeys + i);
		if ((rc = fn(payload, keys, values)) < 0)
			break;
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

int kc_store_finding_counts(struct kc_store *st, kc_store_count_fn fn, void *payload)
{
	return counts(st, Q_FINDING_COUNTS, 3, 1, "counting findings", fn, payload);
}

int kc_store_gap_totals(struct kc_store *st, kc_store_count_fn fn, void *payload)
{
	return counts(st, Q_GAP_TOTALS, 1, 3, "counting monitor gaps", fn, payload);
}

int kc_store_audit_event_count(struct kc_store *st, int64_t *out)
{
	struct kc_db_stmt *s;
	*out = 0;
	int rc = q(st, Q_AUDIT_COUNT, &s);
	if (rc < 0)
		return rc;
	if ((rc = st->ops->step(s, "counting audit events")) == 1)
		*out = COLINT(s, 0);
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}

static void flow_key(struct kc_buf *b, const char *kind, const char *ns, const char *workload, const char *addr)
{
	if (kind && strcmp(kind, "pod") == 0 && ns)
		kc_buf_printf(b, "%s/%s", ns, workload ? workload : "");
	else
		kc_buf_printf(b, "%s:%s", kind ? kind : "address", addr ? addr : "");
}

int kc_store_flow_add(struct kc_store *st, const struct kc_store_flow *f)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_FLOW_UPSERT, &s);
	if (rc < 0)
		return rc;
	struct kc_buf sk = KC_BUF_INIT, dk = KC_BUF_INIT;
	flow_key(&sk, f->src_kind, f->src_namespace, f->src_workload, f->src_addr);
	flow_key(&dk, f->dst_kind, f->dst_namespace, f->dst_workload, f->dst_addr);
	TEXT(s, 1, f->cluster ? f->cluster : "");
	TEXT(s, 2, f->node);
	bind_run_id(st, s, 3, f->run_id);
	TEXT(s, 4, sk.ptr);
	TEXT(s, 5, f->src_kind);
	TEXT(s, 6, f->src_namespace);
	TEXT(s, 7, f->src_workload);
	TEXT(s, 8, f->src_pod);
	TEXT(s, 9, f->src_addr);
	TEXT(s, 10, dk.ptr);
	TEXT(s, 11, f->dst_kind);
	TEXT(s, 12, f->dst_namespace);
	TEXT(s, 13, f->dst_workload);
	TEXT(s, 14, f->dst_pod);
	TEXT(s, 15, f->dst_addr);
	INT(s, 16, f->port);
	TEXT(s, 17, f->protocol ? f->protocol : "TCP");
	INT(s, 18, f->count);
	TEXT(s, 19, f->first_seen);
	TEXT(s, 20, f->last_seen);
	rc = st->ops->step(s, "saving a flow");
	st->ops->reset(s);
	kc_buf_clear(&sk);
	kc_buf_clear(&dk);
	return rc < 0 ? rc : 0;
}

int kc_store_flows(struct kc_store *st, const char *cluster, const char *since, kc_store_flow_cb cb, void *payload)
{
	struct kc_db_stmt *s;
	int rc = q(st, Q_FLOWS, &s);
	if (rc < 0)
		return rc;
	TEXT(s, 1, cluster);
	TEXT(s, 2, since);
	while ((rc = st->ops->step(s, "reading flows")) == 1) {
		struct kc_store_flow f = {
			COL(s, 0), COL(s, 1), COLINT(s, 2), COL(s, 3), COL(s, 4), COL(s, 5), COL(s, 6), COL(s, 7),
			COL(s, 8), COL(s, 9), COL(s, 10), COL(s, 11), COL(s, 12), (int)COLINT(s, 13), COL(s, 14),
			COLINT(s, 15), COL(s, 16), COL(s, 17),
		};
		if ((rc = cb(payload, &f)) != 0)
			break;
	}
	st->ops->reset(s);
	return rc < 0 ? rc : 0;
}
