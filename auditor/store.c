#include "auditor/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auditor/store_schema.h"
#include "common/error.h"
#include "common/redact.h"
#include "common/strbuf.h"

enum stmt_id {
	ST_RUN_INSERT, ST_RESULT_INSERT, ST_EVIDENCE_INSERT, ST_EVENT_INSERT, ST_FINDING_INSERT,
	ST_GAP_INSERT, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_RUN_INSERT] = "INSERT INTO runs(kind, host, cluster, benchmark, k8s_version, targets, root,"
			  " tool_version, started, finished) VALUES(?,?,?,?,?,?,?,?,?,?)",
	[ST_RESULT_INSERT] = "INSERT INTO results(run_id, seq, check_id, title, section, section_title,"
			     " target, type, level, scored, severity, status, expected, actual, reason,"
			     " exception, remediation, duration_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_EVIDENCE_INSERT] = "INSERT INTO evidence(result_id, seq, kind, source, line, key, value, layer,"
			       " detail, pid, has_stat, mode, owner, grp, sha256, obj_kind, obj_namespace,"
			       " obj_name) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_EVENT_INSERT] = "INSERT INTO events(run_id, time, source, type, pid, ppid, uid, comm, path,"
			    " pod_uid, container_id, namespace, pod, data_json) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_FINDING_INSERT] = "INSERT INTO findings(run_id, time, source, rule, severity, cis, summary,"
			      " data_json) VALUES(?,?,?,?,?,?,?,?)",
	[ST_GAP_INSERT] = "INSERT INTO gaps(run_id, monitor, start, end, seen, sent, lost, detail)"
			  " VALUES(?,?,?,?,?,?,?,?)",
};

struct kc_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST_COUNT];
};

static int db_error(struct kc_store *st, const char *what)
{
	return kc_error_set(KC_EDB, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int exec_sql(struct kc_store *st, const char *sql, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = kc_error_set(KC_EDB, "%s: %s: %s", st->path, what, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static int user_version(struct kc_store *st, int *out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "reading the schema version");
	*out = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

static int migrate(struct kc_store *st)
{
	int cur = 0, rc;
	if ((rc = user_version(st, &cur)) < 0)
		return rc;
	int last = kc_store_migration_count();
	if (cur > last)
		return kc_error_set(KC_EDB, "%s: schema version %d is newer than this kubecomply understands (%d); "
				    "use a newer kubecomply", st->path, cur, last);
	for (int v = cur + 1; v <= last; v++) {
		/* each step is atomic: a crash mid-migration leaves the previous version intact */
		struct kc_buf sql = KC_BUF_INIT;
		kc_buf_printf(&sql, "BEGIN IMMEDIATE; %s PRAGMA user_version=%d; COMMIT;", kc_store_migration(v), v);
		rc = exec_sql(st, sql.ptr, "migrating the schema");
		kc_buf_free(&sql);
		if (rc < 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	return 0;
}

int kc_store_open(const char *path, struct kc_store **out)
{
	*out = NULL;
	if (!path || !*path)
		return kc_error_set(KC_EINVAL, "empty database path");
	/* create it ourselves: mode 0600 and never through a planted symlink */
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kc_error_set_errno(errno, "cannot open the evidence database %s", path);
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return kc_error_set(KC_EUNSAFE, "%s: not a regular file", path);
	}
	close(fd);

	struct kc_store *st = kc_xcalloc(1, sizeof(*st));
	st->path = kc_strdup(path);
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = kc_error_set(KC_EDB, "%s: cannot open: %s", path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/* WAL: readers (report) never block the writer (watch); NORMAL sync is durable across
	 * process crashes, which is what exactly-once needs; FULL would cost an fsync per batch.
	 * In WAL mode NORMAL never corrupts the store: a commit is appended to the WAL and the
	 * WAL is synced before each checkpoint copies it into the database (the last one when
	 * the store is closed), so a power loss can only drop the newest commits, whole. */
	if ((rc = exec_sql(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
			   "configuring")) < 0)
		goto fail;
	if ((rc = migrate(st)) < 0)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) != SQLITE_OK) {
			rc = db_error(st, "preparing statements");
			goto fail;
		}
	*out = st;
	return 0;
fail:
	kc_store_free(st);
	return rc;
}

void kc_store_free(struct kc_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

struct sqlite3 *kc_store_db(struct kc_store *st) { return st->db; }
const char *kc_store_path(const struct kc_store *st) { return st->path; }

int kc_store_begin(struct kc_store *st)
{
	/* IMMEDIATE takes the write lock now, so a batch never fails half-way on SQLITE_BUSY */
	return exec_sql(st, "BEGIN IMMEDIATE", "starting a transaction");
}

int kc_store_commit(struct kc_store *st)
{
	return exec_sql(st, "COMMIT", "committing");
}

void kc_store_rollback(struct kc_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The single point where text enters the store: every column passes through the redaction
 * rule (common/redact.h), whatever produced it — results, evidence, findings, events. */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, kc_redact_text(v), -1, free);
	else
		sqlite3_bind_null(s, i);
}

/* Text kc_run_redact has already passed through (kc_store_save_run redacts the run before
 * inserting it): a second pass would change nothing, redaction being idempotent
 * (test_redact, fuzz_redact), and cost as much as the first. The run outlives the step. */
static void bind_redacted(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static int step_done(struct kc_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_error(st, what);
}

static int insert_run(struct kc_store *st, struct kc_run *run, const char *kind)
{
	sqlite3_stmt *s = st->stmt[ST_RUN_INSERT];
	bind_text(s, 1, kind);
	bind_text(s, 2, run->host);
	bind_text(s, 3, run->cluster);
	bind_text(s, 4, run->benchmark);
	bind_text(s, 5, run->k8s_version);
	bind_text(s, 6, run->targets);
	bind_text(s, 7, run->root);
	bind_text(s, 8, run->tool_version);
	bind_text(s, 9, run->started ? run->started : "");
	bind_text(s, 10, run->finished);
	int rc = step_done(st, s, "saving the run");
	if (rc == 0)
		run->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

/* r has been redacted by kc_run_redact (only kc_store_save_run calls this) */
static int insert_result(struct kc_store *st, int64_t run_id, int seq, const struct kc_result *r)
{
	sqlite3_stmt *s = st->stmt[ST_RESULT_INSERT];
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int(s, 2, seq);
	bind_text(s, 3, r->id ? r->id : "");
	bind_text(s, 4, r->title);
	bind_text(s, 5, r->section);
	bind_text(s, 6, r->section_title);
	bind_text(s, 7, r->target);
	bind_text(s, 8, r->type);
	sqlite3_bind_int(s, 9, r->level);
	sqlite3_bind_int(s, 10, r->scored);
	bind_text(s, 11, kc_severity_name(r->severity));
	bind_text(s, 12, kc_status_name(r->status));
	bind_redacted(s, 13, r->expected);
	bind_redacted(s, 14, r->actual);
	bind_redacted(s, 15, r->reason);
	bind_redacted(s, 16, r->exception);
	bind_text(s, 17, r->remediation);
	sqlite3_bind_double(s, 18, r->duration_ms);
	int rc = step_done(st, s, "saving a result");
	if (rc < 0)
		return rc;
	int64_t result_id = sqlite3_last_insert_rowid(st->db);
	s = st->stmt[ST_EVIDENCE_INSERT];
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct kc_evidence *ev = &r->evidence[i];
		sqlite3_bind_int64(s, 1, result_id);
		sqlite3_bind_int(s, 2, (int)i);
		bind_text(s, 3, kc_evidence_kind_name(ev->kind));
		bind_redacted(s, 4, ev->source);
		sqlite3_bind_int64(s, 5, ev->line);
		bind_redacted(s, 6, ev->key);
		bind_redacted(s, 7, ev->value);
		bind_text(s, 8, ev->layer);
		bind_redacted(s, 9, ev->detail);
		sqlite3_bind_int64(s, 10, ev->pid);
		sqlite3_bind_int(s, 11, ev->has_stat);
		sqlite3_bind_int(s, 12, (int)ev->mode);
		bind_text(s, 13, ev->owner);
		bind_text(s, 14, ev->group);
		bind_text(s, 15, ev->sha256);
		bind_text(s, 16, ev->obj_kind);
		bind_text(s, 17, ev->obj_namespace);
		bind_redacted(s, 18, ev->obj_name);
		if ((rc = step_done(st, s, "saving evidence")) < 0)
			return rc;
	}
	return 0;
}

int kc_store_save_run(struct kc_store *st, struct kc_run *run)
{
	/* the run is rendered into reports after it is saved: redacted in place, so every report
	 * carries exactly the text the store holds (key-aware for evidence values) */
	kc_run_redact(run);
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
	if ((rc = kc_store_commit(st)) < 0)
		goto fail;
	return 0;
fail:
	kc_store_rollback(st);
	run->id = 0;
	return rc;
}

int kc_store_start_watch(struct kc_store *st, struct kc_run *run)
{
	return insert_run(st, run, "watch");
}

int kc_store_finish_run(struct kc_store *st, int64_t run_id, const char *finished)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "UPDATE runs SET finished=? WHERE id=?", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "finishing the run");
	bind_text(s, 1, finished);
	sqlite3_bind_int64(s, 2, run_id);
	int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_error(st, "finishing the run");
	sqlite3_finalize(s);
	return rc;
}

int kc_store_add_event(struct kc_store *st, int64_t run_id, const struct kc_event *ev)
{
	sqlite3_stmt *s = st->stmt[ST_EVENT_INSERT];
	if (run_id)
		sqlite3_bind_int64(s, 1, run_id);
	bind_text(s, 2, ev->time ? ev->time : "");
	bind_text(s, 3, ev->source ? ev->source : "");
	bind_text(s, 4, ev->type ? ev->type : "");
	sqlite3_bind_int64(s, 5, ev->pid);
	sqlite3_bind_int64(s, 6, ev->ppid);
	sqlite3_bind_int64(s, 7, ev->uid);
	bind_text(s, 8, ev->comm);
	bind_text(s, 9, ev->path);
	bind_text(s, 10, ev->pod_uid);
	bind_text(s, 11, ev->container_id);
	bind_text(s, 12, ev->namespace_);
	bind_text(s, 13, ev->pod);
	bind_text(s, 14, ev->data_json);
	return step_done(st, s, "saving an event");
}

int kc_store_add_finding(struct kc_store *st, int64_t run_id, struct kc_finding *f)
{
	sqlite3_stmt *s = st->stmt[ST_FINDING_INSERT];
	if (run_id)
		sqlite3_bind_int64(s, 1, run_id);
	bind_text(s, 2, f->time ? f->time : "");
	bind_text(s, 3, f->source ? f->source : "");
	bind_text(s, 4, f->rule ? f->rule : "");
	bind_text(s, 5, kc_severity_name(f->severity));
	bind_text(s, 6, f->cis);
	bind_text(s, 7, f->summary);
	bind_text(s, 8, f->data_json);
	int rc = step_done(st, s, "saving a finding");
	if (rc == 0)
		f->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int kc_store_add_gap(struct kc_store *st, int64_t run_id, const struct kc_gap *g)
{
	sqlite3_stmt *s = st->stmt[ST_GAP_INSERT];
	if (run_id)
		sqlite3_bind_int64(s, 1, run_id);
	bind_text(s, 2, g->monitor ? g->monitor : "");
	bind_text(s, 3, g->start ? g->start : "");
	bind_text(s, 4, g->end ? g->end : "");
	sqlite3_bind_int64(s, 5, (sqlite3_int64)g->seen);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)g->sent);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)g->lost);
	bind_text(s, 8, g->detail);
	return step_done(st, s, "saving a monitor gap");
}

static char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? kc_strdup((const char *)t) : NULL;
}

static int load_evidence(struct kc_store *st, int64_t result_id, struct kc_result *r)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT kind, source, line, key, value, layer, detail, pid, has_stat, mode, owner, grp,"
			       " sha256, obj_kind, obj_namespace, obj_name FROM evidence WHERE result_id=? ORDER BY seq",
			       -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "loading evidence");
	sqlite3_bind_int64(s, 1, result_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		enum kc_evidence_kind kind = KC_EV_NOTE;
		kc_evidence_kind_parse((const char *)sqlite3_column_text(s, 0), &kind);
		struct kc_evidence *ev = kc_result_add_evidence(r, kind);
		ev->source = col_text(s, 1);
		ev->line = (long)sqlite3_column_int64(s, 2);
		ev->key = col_text(s, 3);
		ev->value = col_text(s, 4);
		ev->layer = col_text(s, 5);
		ev->detail = col_text(s, 6);
		ev->pid = (long)sqlite3_column_int64(s, 7);
		ev->has_stat = sqlite3_column_int(s, 8);
		ev->mode = (unsigned)sqlite3_column_int(s, 9);
		ev->owner = col_text(s, 10);
		ev->group = col_text(s, 11);
		ev->sha256 = col_text(s, 12);
		ev->obj_kind = col_text(s, 13);
		ev->obj_namespace = col_text(s, 14);
		ev->obj_name = col_text(s, 15);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_error(st, "loading evidence");
}

static int load_results(struct kc_store *st, struct kc_run *run)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT id, check_id, title, section, section_title, target, type, level, scored,"
			       " severity, status, expected, actual, reason, exception, remediation, duration_ms"
			       " FROM results WHERE run_id=? ORDER BY seq", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "loading results");
	sqlite3_bind_int64(s, 1, run->id);
	int rc, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct kc_result *r = kc_run_add_result(run);
		r->id = col_text(s, 1);
		r->title = col_text(s, 2);
		r->section = col_text(s, 3);
		r->section_title = col_text(s, 4);
		r->target = col_text(s, 5);
		r->type = col_text(s, 6);
		r->level = sqlite3_column_int(s, 7);
		r->scored = sqlite3_column_int(s, 8);
		kc_severity_parse((const char *)sqlite3_column_text(s, 9), &r->severity);
		if (kc_status_parse((const char *)sqlite3_column_text(s, 10), &r->status) < 0)
			r->status = KC_ERROR;
		r->expected = col_text(s, 11);
		r->actual = col_text(s, 12);
		r->reason = col_text(s, 13);
		r->exception = col_text(s, 14);
		r->remediation = col_text(s, 15);
		r->duration_ms = sqlite3_column_double(s, 16);
		if ((rc = load_evidence(st, sqlite3_column_int64(s, 0), r)) < 0) {
			sqlite3_finalize(s);
			return rc;
		}
	}
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : db_error(st, "loading results");
}

static int load_findings_and_gaps(struct kc_store *st, struct kc_run *run)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "SELECT id, time, source, rule, severity, cis, summary, data_json"
			       " FROM findings WHERE run_id=? ORDER BY time, id", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "loading findings");
	sqlite3_bind_int64(s, 1, run->id);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct kc_finding *f = kc_run_add_finding(run);
		f->id = sqlite3_column_int64(s, 0);
		f->time = col_text(s, 1);
		f->source = col_text(s, 2);
		f->rule = col_text(s, 3);
		kc_severity_parse((const char *)sqlite3_column_text(s, 4), &f->severity);
		f->cis = col_text(s, 5);
		f->summary = col_text(s, 6);
		f->data_json = col_text(s, 7);
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return db_error(st, "loading findings");
	if (sqlite3_prepare_v2(st->db, "SELECT monitor, start, end, seen, sent, lost, detail FROM gaps"
			       " WHERE run_id=? ORDER BY start, id", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "loading monitor gaps");
	sqlite3_bind_int64(s, 1, run->id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct kc_gap *g = kc_run_add_gap(run);
		g->monitor = col_text(s, 0);
		g->start = col_text(s, 1);
		g->end = col_text(s, 2);
		g->seen = (uint64_t)sqlite3_column_int64(s, 3);
		g->sent = (uint64_t)sqlite3_column_int64(s, 4);
		g->lost = (uint64_t)sqlite3_column_int64(s, 5);
		g->detail = col_text(s, 6);
	}
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : db_error(st, "loading monitor gaps");
}

int kc_store_load_run(struct kc_store *st, int64_t id, struct kc_run *out)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *s;
	const char *sql = id ? "SELECT id, host, cluster, benchmark, k8s_version, targets, root, tool_version,"
			       " started, finished FROM runs WHERE id=?"
			     : "SELECT id, host, cluster, benchmark, k8s_version, targets, root, tool_version,"
			       " started, finished FROM runs ORDER BY id DESC LIMIT 1";
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "loading a run");
	if (id)
		sqlite3_bind_int64(s, 1, id);
	/* one read transaction so a concurrent writer cannot change the run under us */
	exec_sql(st, "BEGIN", "reading");
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		exec_sql(st, "COMMIT", "reading");
		if (rc != SQLITE_DONE)
			return db_error(st, "loading a run");
		if (id)
			return kc_error_set(KC_ENOTFOUND, "%s: no run with id %lld", st->path, (long long)id);
		return kc_error_set(KC_ENOTFOUND, "%s: the database holds no run yet", st->path);
	}
	out->id = sqlite3_column_int64(s, 0);
	out->host = col_text(s, 1);
	out->cluster = col_text(s, 2);
	out->benchmark = col_text(s, 3);
	out->k8s_version = col_text(s, 4);
	out->targets = col_text(s, 5);
	out->root = col_text(s, 6);
	out->tool_version = col_text(s, 7);
	out->started = col_text(s, 8);
	out->finished = col_text(s, 9);
	sqlite3_finalize(s);
	rc = load_results(st, out);
	if (rc == 0)
		rc = load_findings_and_gaps(st, out);
	exec_sql(st, "COMMIT", "reading");
	if (rc < 0)
		kc_run_clear(out);
	return rc;
}

int kc_store_latest_run(struct kc_store *st, const char *kind, int64_t *out)
{
	sqlite3_stmt *s;
	*out = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT id FROM runs WHERE kind=? ORDER BY id DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "finding the latest run");
	bind_text(s, 1, kind);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(st, "finding the latest run");
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
	sqlite3_stmt *s;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT r.id FROM runs r, runs me WHERE me.id=?1 AND r.kind=me.kind"
			       " AND r.host IS me.host AND r.benchmark IS me.benchmark AND r.id<=me.id"
			       " ORDER BY r.id DESC LIMIT ?2", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, "reading run history");
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int(s, 2, max);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	/* oldest first */
	for (int i = 0; i < *n / 2; i++) {
		int64_t t = ids[i];
		ids[i] = ids[*n - 1 - i];
		ids[*n - 1 - i] = t;
	}
	return step == SQLITE_DONE || step == SQLITE_ROW ? 0 : db_error(st, "reading run history");
}

/* ---- flows (issue 14) ---------------------------------------------------------------- */

/* The key columns are texts ("ns/workload" or the address) so that one UNIQUE index
 * decides what aggregates with what; the parts stay in their own columns for reading. */
static const char flows_ddl[] =
	"CREATE TABLE IF NOT EXISTS flows ("
	" id INTEGER PRIMARY KEY, cluster TEXT NOT NULL DEFAULT '', node TEXT, run_id INTEGER,"
	" src_key TEXT NOT NULL, src_kind TEXT, src_namespace TEXT, src_workload TEXT, src_pod TEXT, src_addr TEXT,"
	" dst_key TEXT NOT NULL, dst_kind TEXT, dst_namespace TEXT, dst_workload TEXT, dst_pod TEXT, dst_addr TEXT,"
	" port INTEGER NOT NULL, protocol TEXT NOT NULL, count INTEGER NOT NULL,"
	" first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);"
	"CREATE UNIQUE INDEX IF NOT EXISTS flows_key ON flows(cluster, src_key, dst_key, port, protocol);"
	"CREATE INDEX IF NOT EXISTS flows_last ON flows(cluster, last_seen);";

static int flows_ensure(struct kc_store *st)
{
	char *err = NULL;
	if (sqlite3_exec(st->db, flows_ddl, NULL, NULL, &err) != SQLITE_OK) {
		int rc = kc_error_set(KC_EDB, "creating the flows table in %s: %s", st->path, err ? err : "?");
		sqlite3_free(err);
		return rc;
	}
	return 0;
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
	static const char sql[] =
		"INSERT INTO flows(cluster, node, run_id, src_key, src_kind, src_namespace, src_workload, src_pod, src_addr,"
		" dst_key, dst_kind, dst_namespace, dst_workload, dst_pod, dst_addr, port, protocol, count, first_seen, last_seen)"
		" VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"
		" ON CONFLICT(cluster, src_key, dst_key, port, protocol) DO UPDATE SET"
		" count = count + excluded.count, node = excluded.node, run_id = excluded.run_id,"
		" src_pod = excluded.src_pod, dst_pod = excluded.dst_pod,"
		" src_addr = excluded.src_addr, dst_addr = excluded.dst_addr,"
		" first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)";
	sqlite3_stmt *s = NULL;
	struct kc_buf sk = KC_BUF_INIT, dk = KC_BUF_INIT;
	int rc = flows_ensure(st);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return kc_error_set(KC_EDB, "saving a flow: %s", sqlite3_errmsg(st->db));
	flow_key(&sk, f->src_kind, f->src_namespace, f->src_workload, f->src_addr);
	flow_key(&dk, f->dst_kind, f->dst_namespace, f->dst_workload, f->dst_addr);
	bind_text(s, 1, f->cluster ? f->cluster : "");
	bind_text(s, 2, f->node);
	if (f->run_id)
		sqlite3_bind_int64(s, 3, f->run_id);
	bind_text(s, 4, sk.ptr);
	bind_text(s, 5, f->src_kind);
	bind_text(s, 6, f->src_namespace);
	bind_text(s, 7, f->src_workload);
	bind_text(s, 8, f->src_pod);
	bind_text(s, 9, f->src_addr);
	bind_text(s, 10, dk.ptr);
	bind_text(s, 11, f->dst_kind);
	bind_text(s, 12, f->dst_namespace);
	bind_text(s, 13, f->dst_workload);
	bind_text(s, 14, f->dst_pod);
	bind_text(s, 15, f->dst_addr);
	sqlite3_bind_int(s, 16, f->port);
	bind_text(s, 17, f->protocol ? f->protocol : "TCP");
	sqlite3_bind_int64(s, 18, f->count);
	bind_text(s, 19, f->first_seen);
	bind_text(s, 20, f->last_seen);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : kc_error_set(KC_EDB, "saving a flow: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	kc_buf_free(&sk);
	kc_buf_free(&dk);
	return rc;
}

int kc_store_flows(struct kc_store *st, const char *cluster, const char *since, kc_store_flow_cb cb, void *payload)
{
	static const char sql[] =
		"SELECT cluster, node, run_id, src_kind, src_namespace, src_workload, src_pod, src_addr,"
		" dst_kind, dst_namespace, dst_workload, dst_pod, dst_addr, port, protocol, count, first_seen, last_seen"
		" FROM flows WHERE (?1 IS NULL OR cluster = ?1) AND (?2 IS NULL OR last_seen >= ?2) ORDER BY id";
	sqlite3_stmt *s = NULL;
	int rc = flows_ensure(st), step;
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return kc_error_set(KC_EDB, "reading flows: %s", sqlite3_errmsg(st->db));
	bind_text(s, 1, cluster);
	bind_text(s, 2, since);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
#define COL(i) ((const char *)sqlite3_column_text(s, i))
		struct kc_store_flow f = {
			COL(0), COL(1), sqlite3_column_int64(s, 2), COL(3), COL(4), COL(5), COL(6), COL(7),
			COL(8), COL(9), COL(10), COL(11), COL(12), sqlite3_column_int(s, 13), COL(14),
			sqlite3_column_int64(s, 15), COL(16), COL(17),
		};
#undef COL
		rc = cb(payload, &f);
	}
	if (!rc && step != SQLITE_DONE)
		rc = kc_error_set(KC_EDB, "reading flows: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc;
}
