/* Evidence store, on BOTH backends (SQLite and a real PostgreSQL server started here):
 * round trip, atomic runs, every monitor row type, the batched writer, read-only opens,
 * a fleet in one store. SQLite only: migration from an older schema, a newer schema refused,
 * a killed writer, a planted store (trigger, view, extra table, altered column) refused, the
 * defensive settings, a corrupted store refused, another process's write lock waited for
 * (and the run kept when it never comes), `report` on a read-only mount. PostgreSQL only:
 * 50 node audits writing at once (one migration, every run whole), a planted trigger refused,
 * bytes that are not UTF-8, and `report --db postgres://` for a node, a diff and the fleet. */
#include "kc_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "kc_pg.h"
#include "store/chain.h"
#include "store/db.h"
#include "store/store.h"

enum backend { SQLITE, PG };

static struct kc_pg *pg;
static const char *pg_why;

struct where {
	enum backend b;
	char *dir;   /* SQLite: the temporary directory */
	char *path;  /* a path or URL */
};

/* A fresh, not yet created store of backend b. */
static int where_new(struct where *w, enum backend b)
{
	static int n;
	memset(w, 0, sizeof(*w));
	w->b = b;
	if (b == PG) {
		if (!pg) {
			print_message("kc-skip: PostgreSQL: %s\n", pg_why);
			return -1;
		}
		char name[32];
		snprintf(name, sizeof(name), "kc_store_%d", ++n);
		w->path = kc_strdup(kc_pg_new_db(pg, name));
		assert_non_null(w->path);
		return 0;
	}
	w->dir = kc_test_mkdtemp();
	struct kc_buf b2 = KC_BUF_INIT;
	kc_buf_printf(&b2, "%s/e.db", w->dir);
	w->path = kc_buf_detach(&b2);
	return 0;
}

static void where_free(struct where *w)
{
	if (w->dir)
		kc_test_rmtree(w->dir);
	free(w->dir);
	free(w->path);
}

#define WHERE(w, state)                                        \
	struct where w;                                        \
	if (where_new(&w, *(enum backend *)(state)) < 0) {      \
		skip();                                        \
		return;                                        \
	}

static void fill_run(struct kc_run *run, const char *host, size_t nresults)
{
	memset(run, 0, sizeof(*run));
	run->host = kc_strdup(host);
	run->benchmark = kc_strdup("cis-1.12");
	run->targets = kc_strdup("master,node");
	run->root = kc_strdup("/");
	run->tool_version = kc_strdup("test");
	run->started = kc_strdup("2026-11-28T00:00:00.000Z");
	run->finished = kc_strdup("2026-11-28T00:00:01.000Z");
	for (size_t i = 0; i < nresults; i++) {
		struct kc_result *r = kc_run_add_result(run);
		char id[32];
		snprintf(id, sizeof(id), "1.1.%zu", i + 1);
		r->id = kc_strdup(id);
		r->title = kc_strdup("Ensure <things> & \"stuff\" 'quoted'");
		r->section = kc_strdup("1.1");
		r->section_title = kc_strdup("Files");
		r->target = kc_strdup("master");
		r->type = kc_strdup("automated");
		r->level = 1 + (int)(i % 2);
		r->scored = 1;
		r->severity = KC_SEV_HIGH;
		r->status = (enum kc_status)(i % KC_STATUS_COUNT);
		r->expected = kc_strdup("mode 600");
		r->actual = kc_strdup("mode 644");
		r->remediation = kc_strdup("chmod 600");
		r->duration_ms = 0.25;
		struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_FILE);
		ev->source = kc_strdup("/etc/kubernetes/admin.conf");
		ev->has_stat = 1;
		ev->mode = 0100644;
		ev->owner = kc_strdup("root");
		ev->group = kc_strdup("root");
		ev->sha256 = kc_strdup("ab");
		ev = kc_result_add_evidence(r, KC_EV_OBJECT);
		ev->obj_kind = kc_strdup("Namespace");
		ev->obj_name = kc_strdup("shop");
		ev->line = 12;
	}
}

static void test_round_trip(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	assert_string_equal(kc_store_backend(st), w.b == PG ? "postgres" : "sqlite");
	struct kc_run run;
	fill_run(&run, "node-a", 7);
	struct kc_finding *f = kc_run_add_finding(&run);
	f->rule = kc_strdup("exec-in-container");
	f->time = kc_strdup("2026-11-28T00:00:00.500Z");
	f->source = kc_strdup("bpf");
	f->severity = KC_SEV_CRITICAL;
	f->data_json = kc_strdup("{\"pod_uid\":\"u1\"}");
	struct kc_gap *g = kc_run_add_gap(&run);
	g->monitor = kc_strdup("bpf:exec");
	g->start = kc_strdup("a");
	g->end = kc_strdup("b");
	g->seen = 5000000000ull; /* past 32 bits */
	g->lost = 3;
	assert_int_equal(kc_store_save_run(st, &run), 0);
	assert_int_equal(run.id, 1);
	assert_true(run.findings[0].id > 0);

	struct kc_run back;
	assert_int_equal(kc_store_load_run(st, 0, &back), 0);
	assert_int_equal(back.id, 1);
	assert_string_equal(back.host, "node-a");
	assert_null(back.cluster);
	assert_int_equal(back.nresults, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_string_equal(back.results[i].id, run.results[i].id);
		assert_int_equal(back.results[i].status, run.results[i].status);
		assert_int_equal(back.results[i].level, run.results[i].level);
		assert_string_equal(back.results[i].title, "Ensure <things> & \"stuff\" 'quoted'");
		assert_true(back.results[i].duration_ms == 0.25);
		assert_int_equal(back.results[i].nevidence, 2);
		assert_int_equal(back.results[i].evidence[0].kind, KC_EV_FILE);
		assert_int_equal(back.results[i].evidence[0].mode, 0100644);
		assert_string_equal(back.results[i].evidence[1].obj_name, "shop");
		assert_int_equal(back.results[i].evidence[1].line, 12);
	}
	assert_int_equal(back.nfindings, 1);
	assert_string_equal(back.findings[0].rule, "exec-in-container");
	assert_int_equal(back.findings[0].severity, KC_SEV_CRITICAL);
	assert_int_equal(back.ngaps, 1);
	assert_true(back.gaps[0].seen == 5000000000ull);
	kc_run_clear(&back);

	/* a second run of the same host: history and previous */
	run.id = 0;
	assert_int_equal(kc_store_save_run(st, &run), 0);
	assert_int_equal(run.id, 2);
	int64_t prev;
	assert_int_equal(kc_store_previous_run(st, 2, &prev), 0);
	assert_int_equal(prev, 1);
	assert_int_equal(kc_store_previous_run(st, 1, &prev), 0);
	assert_int_equal(prev, 0);
	int64_t ids[5];
	int n;
	assert_int_equal(kc_store_history(st, 2, ids, 5, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	assert_int_equal(kc_store_load_run(st, 42, &back), KC_ENOTFOUND);
	kc_run_clear(&run);
	kc_store_free(st);

	if (w.b == SQLITE) {
		struct stat sb;
		assert_int_equal(stat(w.path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	where_free(&w);
}

static long long count_rows(const struct where *w, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (w->b == PG)
		return kc_pg_query_int(w->path, sql);
	sqlite3 *db;
	sqlite3_stmt *s;
	long long n = -1;
	if (sqlite3_open(w->path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

static void test_failed_run_leaves_nothing(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	struct kc_run run;
	fill_run(&run, "node-a", 10);
	/* the 3rd result's evidence fails: the whole run must roll back */
	free(run.results[2].evidence[0].value);
	if (w.b == SQLITE) {
		/* a value over the connection's length limit */
		sqlite3_limit(kc_store_db(st), SQLITE_LIMIT_LENGTH, 1000);
		char *big = malloc(2001);
		memset(big, 'x', 2000);
		big[2000] = 0;
		run.results[2].evidence[0].value = big;
	} else {
		assert_int_equal(kc_pg_exec(pg, w.path, "ALTER TABLE evidence ADD CONSTRAINT disk_on_fire CHECK (value IS DISTINCT FROM 'boom')"), 0);
		run.results[2].evidence[0].value = kc_strdup("boom");
	}
	assert_int_equal(kc_store_save_run(st, &run), KC_EDB);
	assert_non_null(strstr(kc_error_last(), w.b == SQLITE ? "too big" : "disk_on_fire"));
	assert_int_equal(run.id, 0);
	kc_run_clear(&run);
	/* the store is still usable after the failure */
	fill_run(&run, "node-a", 1);
	assert_int_equal(kc_store_save_run(st, &run), 0);
	kc_run_clear(&run);
	kc_store_free(st);
	assert_int_equal(count_rows(&w, "runs"), 1);
	assert_int_equal(count_rows(&w, "results"), 1);
	assert_int_equal(count_rows(&w, "evidence"), 2);
	where_free(&w);
}

static int collect(void *payload, const struct kc_event *ev)
{
	struct kc_buf *b = payload;
	kc_buf_printf(b, "%s|%ld|%ld|%s|%s|%s;", ev->time, ev->pid, ev->ppid, ev->comm ? ev->comm : "-",
		      ev->container_id ? ev->container_id : "-", ev->data_json ? ev->data_json : "-");
	return 0;
}

static int collect_counts(void *payload, const char *const *keys, const int64_t *values)
{
	kc_buf_printf(payload, "%s/%s/%s=%lld;", keys[0], keys[1], keys[2], (long long)values[0]);
	return 0;
}

static int collect_gaps(void *payload, const char *const *keys, const int64_t *values)
{
	kc_buf_printf(payload, "%s=%lld,%lld,%lld;", keys[0], (long long)values[0], (long long)values[1], (long long)values[2]);
	return 0;
}

static void test_monitor_rows(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_MONITOR, &st), 0);
	struct kc_run run = { 0 };
	run.host = kc_strdup("node-a");
	run.cluster = kc_strdup("prod");
	run.started = kc_strdup("2026-11-28T06:00:00.000Z");
	assert_int_equal(kc_store_start_watch(st, &run), 0);
	assert_int_equal(kc_store_begin(st), 0);
	struct kc_event e1 = { .time = "2026-11-28T06:00:01.000Z", .source = "bpf", .type = "exec", .pid = 10, .ppid = 1,
			       .comm = "sh", .path = "/bin/sh", .container_id = "c1", .namespace_ = "shop", .pod = "web",
			       .data_json = "{\"argv\":[\"sh\"]}" };
	struct kc_event e2 = e1, e3 = e1, c1 = { .time = "2026-11-28T06:00:02.000Z", .source = "bpf", .type = "connect",
						   .data_json = "{\"dst\":\"10.0.0.1\"}" };
	e2.time = "2026-11-28T06:00:09.000Z";
	e2.pid = 11;
	e3.pod = "other";
	assert_int_equal(kc_store_add_event(st, run.id, &e1), 0);
	assert_int_equal(kc_store_add_event(st, run.id, &e2), 0);
	assert_int_equal(kc_store_add_event(st, run.id, &e3), 0);
	assert_int_equal(kc_store_add_event(st, run.id, &c1), 0);
	assert_int_equal(kc_store_add_event(st, 0, &c1), 0); /* no run: counts for every cluster */
	struct kc_finding f = { .rule = "exec-in-container", .time = "2026-11-28T06:00:01.000Z", .source = "bpf",
				.severity = KC_SEV_HIGH, .data_json = "{\"a\":1}" };
	assert_int_equal(kc_store_add_finding(st, run.id, &f), 0);
	assert_true(f.id > 0);
	struct kc_finding f2 = f;
	f2.severity = KC_SEV_LOW;
	assert_int_equal(kc_store_add_finding(st, run.id, &f2), 0);
	struct kc_gap g = { .monitor = "bpf:exec", .start = "s", .end = "e", .seen = 7, .sent = 4, .lost = 3 };
	assert_int_equal(kc_store_add_gap(st, run.id, &g), 0);
	assert_int_equal(kc_store_add_gap(st, run.id, &g), 0);
	assert_int_equal(kc_store_add_attachment(st, run.id, "bpf", "tp_exec", 1, "tracepoint/sched/sched_process_exec"), 0);
	assert_int_equal(kc_store_commit(st), 0);

	/* execs of one pod in a window, oldest first, limited */
	struct kc_buf b = KC_BUF_INIT;
	assert_int_equal(kc_store_pod_execs(st, "shop", "web", "2026-11-28T06:00:00.000Z", "2026-11-28T06:00:10.000Z", 64,
					    collect, &b), 0);
	assert_string_equal(b.ptr, "2026-11-28T06:00:01.000Z|10|1|sh|c1|{\"argv\":[\"sh\"]};"
				   "2026-11-28T06:00:09.000Z|11|1|sh|c1|{\"argv\":[\"sh\"]};");
	kc_buf_truncate(&b, 0);
	assert_int_equal(kc_store_pod_execs(st, "shop", "web", "2026-11-28T06:00:00.000Z", "2026-11-28T06:00:10.000Z", 1,
					    collect, &b), 0);
	assert_int_equal(strlen(b.ptr) > 0 && strchr(b.ptr, ';') == b.ptr + b.len - 1, 1);
	/* connects: of the cluster's runs and of no run; another cluster's are not */
	kc_buf_truncate(&b, 0);
	assert_int_equal(kc_store_connect_events(st, "prod", NULL, collect, &b), 0);
	assert_non_null(strstr(b.ptr, "10.0.0.1"));
	assert_non_null(strstr(strstr(b.ptr, "10.0.0.1") + 1, "10.0.0.1"));
	kc_buf_truncate(&b, 0);
	assert_int_equal(kc_store_connect_events(st, "staging", NULL, collect, &b), 0);
	assert_null(strstr(strstr(b.ptr, "10.0.0.1") + 1, "10.0.0.1"));
	kc_buf_truncate(&b, 0);
	assert_int_equal(kc_store_connect_events(st, NULL, NULL, collect, &b), 0);
	assert_non_null(strstr(strstr(b.ptr, "10.0.0.1") + 1, "10.0.0.1"));

	/* a finding's data, replaced */
	char *data;
	assert_int_equal(kc_store_finding_data(st, f.id, &data), 0);
	assert_string_equal(data, "{\"a\":1}");
	free(data);
	assert_int_equal(kc_store_finding_set_data(st, f.id, "{\"a\":2}"), 0);
	assert_int_equal(kc_store_finding_data(st, f.id, &data), 0);
	assert_string_equal(data, "{\"a\":2}");
	free(data);

	/* audit events: insert, later stage supersedes, earlier stage only touches data */
	struct kc_store_audit_event a = { .run_id = run.id, .audit_id = "id-1", .stage = "RequestReceived", .verb = "get",
					  .user = "alice", .code = -1, .data_json = "{\"stages\":[\"RequestReceived\"]}" };
	int found;
	char *stage, *dj;
	assert_int_equal(kc_store_audit_event_get(st, "id-1", &found, &stage, &dj), 0);
	assert_int_equal(found, 0);
	assert_int_equal(kc_store_audit_event_put(st, KC_STORE_AUDIT_INSERT, &a), 0);
	a.stage = "ResponseComplete";
	a.code = 403;
	a.data_json = "{\"stages\":[\"RequestReceived\",\"ResponseComplete\"]}";
	assert_int_equal(kc_store_audit_event_put(st, KC_STORE_AUDIT_UPDATE, &a), 0);
	a.data_json = "{\"x\":1}";
	assert_int_equal(kc_store_audit_event_put(st, KC_STORE_AUDIT_UPDATE_DATA, &a), 0);
	assert_int_equal(kc_store_audit_event_get(st, "id-1", &found, &stage, &dj), 0);
	assert_int_equal(found, 1);
	assert_string_equal(stage, "ResponseComplete");
	assert_string_equal(dj, "{\"x\":1}");
	free(stage);
	free(dj);
	a.audit_id = "id-1";
	assert_true(kc_store_audit_event_put(st, KC_STORE_AUDIT_INSERT, &a) < 0); /* one row per audit ID */
	int64_t n;
	assert_int_equal(kc_store_audit_event_count(st, &n), 0);
	assert_int_equal(n, 1);

	/* positions: absent, put, replaced; offsets past 32 bits */
	uint64_t ino, off;
	char hash[17];
	assert_int_equal(kc_store_position_get(st, "/var/log/a.log", &found, &ino, &off, hash, NULL), 0);
	assert_int_equal(found, 0);
	assert_int_equal(kc_store_position_put(st, "/var/log/a.log", 12, 5000000000ull, "0123456789abcdef", "t1"), 0);
	assert_int_equal(kc_store_position_put(st, "/var/log/a.log", 13, 6000000000ull, "fedcba9876543210", "t2"), 0);
	assert_int_equal(kc_store_position_get(st, "/var/log/a.log", &found, &ino, &off, hash, NULL), 0);
	assert_int_equal(found, 1);
	assert_int_equal(ino, 13);
	assert_true(off == 6000000000ull);
	assert_string_equal(hash, "fedcba9876543210");

	/* counters */
	kc_buf_truncate(&b, 0);
	assert_int_equal(kc_store_finding_counts(st, collect_counts, &b), 0);
	assert_string_equal(b.ptr, "exec-in-container/high/bpf=1;exec-in-container/low/bpf=1;");
	kc_buf_truncate(&b, 0);
	assert_int_equal(kc_store_gap_totals(st, collect_gaps, &b), 0);
	assert_string_equal(b.ptr, "bpf:exec=14,6,2;");
	assert_int_equal(count_rows(&w, "attachments"), 1);

	assert_int_equal(kc_store_finish_run(st, run.id, "2026-11-28T07:00:00.000Z"), 0);
	struct kc_run back;
	assert_int_equal(kc_store_load_run(st, run.id, &back), 0);
	assert_string_equal(back.finished, "2026-11-28T07:00:00.000Z");
	assert_int_equal(back.nfindings, 2);
	assert_int_equal(back.ngaps, 2);
	kc_run_clear(&back);
	kc_buf_clear(&b);
	kc_run_clear(&run);
	kc_store_free(st);
	where_free(&w);
}

static int count_execs(void *payload, const struct kc_event *ev)
{
	(void)ev;
	(*(int *)payload)++;
	return 0;
}

static int visible_execs(const char *path)
{
	struct kc_store *ro;
	int n = 0;
	assert_int_equal(kc_store_open_mode(path, KC_STORE_READ_ONLY, &ro), 0);
	assert_int_equal(kc_store_pod_execs(ro, "ns", "p", "0", "9", 100000, count_execs, &n), 0);
	kc_store_free(ro);
	return n;
}

/* The batched writer: rows outside kc_store_begin commit every KC_STORE_BATCH_ROWS rows, the
 * rest on kc_store_flush; another connection sees exactly the committed batches. */
static void test_monitor_mode_commits_in_batches(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_MONITOR, &st), 0);
	struct kc_event ev = { .time = "1", .source = "bpf", .type = "exec", .namespace_ = "ns", .pod = "p" };
	for (int i = 0; i < KC_STORE_BATCH_ROWS + 10; i++)
		assert_int_equal(kc_store_add_event(st, 0, &ev), 0);
	assert_int_equal(visible_execs(w.path), KC_STORE_BATCH_ROWS);
	assert_int_equal(kc_store_flush(st), 0);
	assert_int_equal(visible_execs(w.path), KC_STORE_BATCH_ROWS + 10);
	/* an explicit transaction is the caller's: nothing is committed before kc_store_commit */
	assert_int_equal(kc_store_begin(st), 0);
	for (int i = 0; i < KC_STORE_BATCH_ROWS + 1; i++)
		assert_int_equal(kc_store_add_event(st, 0, &ev), 0);
	assert_int_equal(visible_execs(w.path), KC_STORE_BATCH_ROWS + 10);
	assert_int_equal(kc_store_commit(st), 0);
	/* a last partial batch is committed by kc_store_free */
	assert_int_equal(kc_store_add_event(st, 0, &ev), 0);
	kc_store_free(st);
	assert_int_equal(visible_execs(w.path), 2 * KC_STORE_BATCH_ROWS + 12);
	where_free(&w);
}

static void test_read_only_never_creates(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_READ_ONLY, &st), KC_ENOTFOUND);
	assert_null(st);
	if (w.b == SQLITE) {
		assert_non_null(strstr(kc_error_last(), "no such evidence database"));
		assert_int_equal(access(w.path, F_OK), -1);
	} else {
		assert_non_null(strstr(kc_error_last(), "no kubecomply store"));
		assert_int_equal(kc_pg_query_int(w.path, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 0);
	}
	/* created by a writer, then read; the reader cannot write */
	assert_int_equal(kc_store_open(w.path, &st), 0);
	struct kc_run run;
	fill_run(&run, "node-a", 2);
	assert_int_equal(kc_store_save_run(st, &run), 0);
	kc_store_free(st);
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_READ_ONLY, &st), 0);
	struct kc_run back;
	assert_int_equal(kc_store_load_run(st, 0, &back), 0);
	assert_int_equal(back.nresults, 2);
	kc_run_clear(&back);
	run.id = 0;
	assert_true(kc_store_save_run(st, &run) < 0);
	kc_store_free(st);
	kc_run_clear(&run);
	assert_int_equal(count_rows(&w, "runs"), 1);
	where_free(&w);
}

static void test_fleet_in_one_store(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	const char *hosts[] = { "node-b", "node-a", "node-c", "node-a", "node-b" };
	for (int i = 0; i < 5; i++) {
		struct kc_run run;
		fill_run(&run, hosts[i], 1);
		run.cluster = kc_strdup("prod");
		assert_int_equal(kc_store_save_run(st, &run), 0);
		kc_run_clear(&run);
	}
	struct kc_run watch = { 0 };
	watch.host = kc_strdup("node-c");
	watch.started = kc_strdup("t");
	assert_int_equal(kc_store_start_watch(st, &watch), 0);
	kc_run_clear(&watch);
	int64_t *ids;
	size_t n;
	assert_int_equal(kc_store_fleet_runs(st, &ids, &n), 0);
	assert_int_equal(n, 3);
	/* by host: node-a's run 4, node-b's run 5, node-c's run 3 (not the watch run) */
	assert_int_equal(ids[0], 4);
	assert_int_equal(ids[1], 5);
	assert_int_equal(ids[2], 3);
	free(ids);
	kc_store_free(st);
	where_free(&w);
}

/* ---- SQLite only ---- */

static void test_migration_from_v1(void **state)
{
	WHERE(w, *state);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(w.path, &db), SQLITE_OK);
	/* a database as version 1 of kubecomply left it, with one run in it */
	assert_int_equal(sqlite3_exec(db, kc_store_sqlite_migration(1), NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=1;"
				      "INSERT INTO runs(id, host, benchmark, started) VALUES(1, 'old', 'cis-1.12', 't');"
				      "INSERT INTO results(id, run_id, seq, check_id, status) VALUES(1, 1, 0, '1.1.1', 'FAIL');",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct kc_store *st;
	/* a reader does not migrate: it says how to */
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_READ_ONLY, &st), KC_EDB);
	assert_non_null(strstr(kc_error_last(), "older"));
	assert_int_equal(kc_store_open(w.path, &st), 0);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(kc_store_db(st), "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), KC_STORE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	struct kc_run run;
	assert_int_equal(kc_store_load_run(st, 1, &run), 0);
	assert_string_equal(run.host, "old");
	assert_int_equal(run.nresults, 1);
	assert_int_equal(run.results[0].status, KC_FAIL);
	kc_run_clear(&run);
	/* v2 tables are there */
	struct kc_event ev = { .time = "t", .source = "bpf", .type = "exec", .pid = 1 };
	assert_int_equal(kc_store_add_event(st, 1, &ev), 0);
	kc_store_free(st);
	where_free(&w);
}

static void test_newer_schema_refused(void **state)
{
	WHERE(w, *state);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(w.path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(db);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), KC_EDB);
	assert_non_null(strstr(kc_error_last(), "schema version 99 is newer"));
	where_free(&w);
}

static void test_killed_run_leaves_nothing_partial(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	kc_store_free(st);
	for (int attempt = 0; attempt < 3; attempt++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct kc_store *cst;
			struct kc_run run;
			if (kc_store_open(w.path, &cst) < 0)
				_exit(3);
			fill_run(&run, "node-a", 20000);
			kc_store_save_run(cst, &run);
			_exit(0);
		}
		/* kill it somewhere in the middle: wherever that lands, no partial run may remain */
		usleep(20000 + 30000 * attempt);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
	}
	long long runs = count_rows(&w, "runs"), results = count_rows(&w, "results");
	assert_true(runs >= 0);
	assert_int_equal(results, runs * 20000);
	assert_int_equal(count_rows(&w, "evidence"), runs * 40000);
	where_free(&w);
}

static void test_symlink_db_refused(void **state)
{
	WHERE(w, *state);
	assert_int_equal(symlink("/etc/passwd", w.path), 0);
	struct kc_store *st;
	assert_true(kc_store_open(w.path, &st) < 0);
	assert_true(kc_store_open_mode(w.path, KC_STORE_READ_ONLY, &st) < 0);
	where_free(&w);
}

/* A store made by us with one FAILing run, then altered with raw SQL as an attacker would. */
static void plant(const struct where *w, const char *sql)
{
	struct kc_store *st;
	assert_int_equal(kc_store_open(w->path, &st), 0);
	struct kc_run run;
	fill_run(&run, "node-a", 1);
	run.results[0].status = KC_FAIL;
	assert_int_equal(kc_store_save_run(st, &run), 0);
	kc_run_clear(&run);
	kc_store_free(st);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(w->path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("planting: %s", msg);
	sqlite3_close(db);
}

/* The planted-database attack: a trigger rewrites every stored FAIL to PASS and deletes its
 * evidence. The store is refused before anything is written or read; so are views, extra
 * tables, and one of our tables re-created with a different definition. */
static void test_planted_store_refused(void **state)
{
	static const struct { const char *sql, *says; } cases[] = {
		{ "CREATE TRIGGER pass AFTER INSERT ON results BEGIN"
		  " UPDATE results SET status='PASS' WHERE id=new.id; DELETE FROM evidence WHERE result_id=new.id; END;",
		  "trigger pass" },
		{ "CREATE VIEW v AS SELECT * FROM results;", "view v" },
		{ "CREATE TABLE notes(x);", "table notes" },
		{ "CREATE INDEX results_status ON results(status);", "index results_status" },
		/* our table with its definition edited in place: a status that defaults to PASS */
		{ "PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql=replace(sql, 'status TEXT NOT NULL',"
		  " 'status TEXT NOT NULL DEFAULT ''PASS''') WHERE name='results';",
		  "table results" },

	};
	/* twice: comparing with the reference built at open, then with the one the binary
	 * carries from its build (kc_store_use_schema_ref, as the CLI does) */
	struct kc_buf ref = KC_BUF_INIT;
	int version = kc_store_schema_ref_text(&ref);
	assert_int_equal(version, KC_STORE_SCHEMA_VERSION);
	for (size_t i = 0; i < 2 * sizeof(cases) / sizeof(*cases); i++) {
		size_t c = i % (sizeof(cases) / sizeof(*cases));
		if (c == 0)
			kc_store_use_schema_ref(version, i ? ref.ptr : NULL);
		WHERE(w, *state);
		plant(&w, cases[c].sql);
		struct kc_store *st;
		assert_int_equal(kc_store_open(w.path, &st), KC_EUNSAFE);
		if (!strstr(kc_error_last(), "did not create") || !strstr(kc_error_last(), cases[c].says))
			fail_msg("case %zu: %s", i, kc_error_last());
		assert_int_equal(kc_store_open_mode(w.path, KC_STORE_READ_ONLY, &st), KC_EUNSAFE);
		/* the CLI: report refuses it with the reason and a non-zero exit */
		char *out = NULL;
		const char *argv[] = { "report", "--db", w.path, NULL };
		assert_int_not_equal(kc_test_run(&out, argv), 0);
		assert_non_null(strstr(out, "did not create"));
		free(out);
		where_free(&w);
	}
	kc_store_use_schema_ref(0, NULL);
	kc_buf_clear(&ref);
}

/* The schema of a store, one line per object, as the open compares it. */
static void schema_of(sqlite3 *db, struct kc_buf *out)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_schema"
					    " ORDER BY name, type", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		kc_buf_printf(out, "%s %s %s %s\n", sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
			      sqlite3_column_text(s, 2), sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
}

static long long pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	long long v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* A new store gets every migration in one transaction, written without syncs while it holds
 * nothing: the same schema as a store migrated step by step from v1, the same as the
 * reference, and the connection back at synchronous=NORMAL (1) before anything is recorded. */
static void test_new_store_created_in_one_step_has_the_migrated_schema_and_normal_sync(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	sqlite3 *db = kc_store_db(st);
	assert_int_equal(pragma_int(db, "PRAGMA synchronous"), 1);
	assert_int_equal(pragma_int(db, "PRAGMA user_version"), KC_STORE_SCHEMA_VERSION);
	struct kc_buf fresh = KC_BUF_INIT, migrated = KC_BUF_INIT, ref = KC_BUF_INIT;
	schema_of(db, &fresh);
	kc_store_free(st);
	assert_int_equal(kc_store_schema_ref_text(&ref), KC_STORE_SCHEMA_VERSION);
	assert_string_equal(fresh.ptr, ref.ptr);

	/* the same store reached from v1, one migration at a time */
	struct kc_buf old = KC_BUF_INIT;
	kc_buf_printf(&old, "%s.v1", w.path);
	sqlite3 *v1;
	assert_int_equal(sqlite3_open(old.ptr, &v1), SQLITE_OK);
	assert_int_equal(sqlite3_exec(v1, kc_store_sqlite_migration(1), NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(v1, "PRAGMA user_version=1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(v1);
	assert_int_equal(kc_store_open(old.ptr, &st), 0);
	assert_int_equal(pragma_int(kc_store_db(st), "PRAGMA synchronous"), 1);
	schema_of(kc_store_db(st), &migrated);
	kc_store_free(st);
	assert_string_equal(fresh.ptr, migrated.ptr);

	/* and reopened, the new store is judged by the reference and accepted */
	assert_int_equal(kc_store_open(w.path, &st), 0);
	assert_int_equal(pragma_int(kc_store_db(st), "PRAGMA synchronous"), 1);
	kc_store_free(st);
	unlink(old.ptr);
	kc_buf_clear(&old);
	kc_buf_clear(&fresh);
	kc_buf_clear(&migrated);
	kc_buf_clear(&ref);
	where_free(&w);
}

/* A store with three runs, closed (everything checkpointed into the main file). */
static void three_runs(const struct where *w)
{
	struct kc_store *st;
	assert_int_equal(kc_store_open(w->path, &st), 0);
	for (int i = 0; i < 3; i++) {
		struct kc_run run;
		fill_run(&run, "node-a", 300);
		assert_int_equal(kc_store_save_run(st, &run), 0);
		kc_run_clear(&run);
	}
	kc_store_free(st);
}

static int opens_with_check(const struct where *w, int *ran)
{
	struct kc_store *st;
	int rc = kc_store_open(w->path, &st);
	if (rc == 0) {
		*ran = kc_store_integrity_checked(st);
		kc_store_free(st);
	}
	return rc;
}

/* A store as a kubecomply process that checked it left it is not read page by page again at
 * the next open (the nightly audit's cost stopped growing with its history); any change to
 * the file since -- its bytes, even with the old mtime put back; another file in its place;
 * WAL frames beside it; a record copied from elsewhere -- and it is checked, and a damaged
 * one refused, as before. */
static void test_store_unchanged_since_close_is_not_checked_again_any_change_is(void **state)
{
	WHERE(w, *state);
	three_runs(&w);
	struct kc_buf rec = KC_BUF_INIT;
	kc_buf_printf(&rec, "%s-checked", w.path);
	struct stat sb;
	assert_int_equal(stat(rec.ptr, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	int ran = -1;
	assert_int_equal(opens_with_check(&w, &ran), 0);
	assert_int_equal(ran, 0);

	/* the old bytes' mtime put back after a write: the kernel's ctime still moved */
	assert_int_equal(stat(w.path, &sb), 0);
	int fd = open(w.path, O_WRONLY);
	assert_true(fd >= 0);
	char page[4096];
	int rfd = open(w.path, O_RDONLY);
	assert_int_equal(pread(rfd, page, sizeof(page), 4096), (ssize_t)sizeof(page));
	close(rfd);
	assert_int_equal(pwrite(fd, page, sizeof(page), 4096), (ssize_t)sizeof(page)); /* same bytes */
	struct timespec times[2] = { sb.st_atim, sb.st_mtim };
	assert_int_equal(futimens(fd, times), 0);
	close(fd);
	assert_int_equal(opens_with_check(&w, &ran), 0);
	assert_int_equal(ran, 1);
	assert_int_equal(opens_with_check(&w, &ran), 0); /* that open checked it and recorded it */
	assert_int_equal(ran, 0);

	/* damaged, with the mtime put back: refused as damaged, as without the record */
	assert_int_equal(stat(w.path, &sb), 0);
	long pages = (long)(sb.st_size / 4096);
	fd = open(w.path, O_WRONLY);
	memset(page, 0x5a, sizeof(page));
	assert_int_equal(pwrite(fd, page, sizeof(page), (pages / 2) * 4096), (ssize_t)sizeof(page));
	struct timespec back[2] = { sb.st_atim, sb.st_mtim };
	assert_int_equal(futimens(fd, back), 0);
	close(fd);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), KC_EDB);
	assert_non_null(strstr(kc_error_last(), "damaged"));
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_READ_ONLY, &st), KC_EDB);
	where_free(&w);
	kc_buf_clear(&rec);
}

/* Another file in the store's place (a copy, byte for byte), WAL frames beside it, or the
 * record of another store copied beside it: checked. */
static void test_store_record_binds_one_file_and_its_wal(void **state)
{
	WHERE(w, *state);
	three_runs(&w);
	int ran = -1;
	assert_int_equal(opens_with_check(&w, &ran), 0);
	assert_int_equal(ran, 0);

	/* a copy renamed over it: same bytes, same size, another inode */
	struct kc_buf copy = KC_BUF_INIT;
	kc_buf_printf(&copy, "%s.copy", w.path);
	size_t len;
	char *data = kc_test_slurp(w.path, &len);
	int fd = open(copy.ptr, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	free(data);
	assert_int_equal(rename(copy.ptr, w.path), 0);
	assert_int_equal(opens_with_check(&w, &ran), 0);
	assert_int_equal(ran, 1);

	/* frames in the WAL beside it (another connection still writing) */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(w.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL; UPDATE runs SET host='x' WHERE id=1;", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(opens_with_check(&w, &ran), 0);
	assert_int_equal(ran, 1);
	sqlite3_close(db);

	/* the record of another store beside this one */
	WHERE(other, *state);
	three_runs(&other);
	assert_int_equal(opens_with_check(&w, &ran), 0); /* recorded again, now without frames */
	struct kc_buf from = KC_BUF_INIT, to = KC_BUF_INIT;
	kc_buf_printf(&from, "%s-checked", other.path);
	kc_buf_printf(&to, "%s-checked", w.path);
	assert_int_equal(rename(from.ptr, to.ptr), 0);
	assert_int_equal(opens_with_check(&w, &ran), 0);
	assert_int_equal(ran, 1);
	kc_buf_clear(&from);
	kc_buf_clear(&to);
	kc_buf_clear(&copy);
	where_free(&other);
	where_free(&w);
}

/* A reference that does not match (a binary built against another SQLite that writes the
 * schema differently) never refuses a store our migrations made: the open falls back to the
 * reference it builds itself. */
static void test_stale_build_time_reference_does_not_refuse_a_good_store(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	kc_store_free(st);
	kc_store_use_schema_ref(KC_STORE_SCHEMA_VERSION, "table runs runs CREATE TABLE runs (id)\n");
	assert_int_equal(kc_store_open(w.path, &st), 0);
	kc_store_free(st);
	kc_store_use_schema_ref(0, NULL);
	where_free(&w);
}

/* Two audits creating the same store at once (two cron jobs): the second to take the write
 * lock finds the schema made and judges it as any store; both save their run. */
static void test_two_processes_creating_one_store_both_succeed(void **state)
{
	for (int round = 0; round < 10; round++) {
		WHERE(w, *state);
		pid_t kids[2];
		for (int k = 0; k < 2; k++) {
			kids[k] = fork();
			assert_true(kids[k] >= 0);
			if (kids[k] == 0) {
				struct kc_store *st;
				if (kc_store_open(w.path, &st) != 0) {
					print_message("process %d: %s\n", k, kc_error_last());
					_exit(1);
				}
				/* whoever created it, this connection syncs as every store's does */
				if (pragma_int(kc_store_db(st), "PRAGMA synchronous") != 1)
					_exit(3);
				struct kc_run run;
				fill_run(&run, k ? "node-b" : "node-a", 2);
				int rc = kc_store_save_run(st, &run);
				kc_run_clear(&run);
				kc_store_free(st);
				_exit(rc == 0 ? 0 : 2);
			}
		}
		for (int k = 0; k < 2; k++) {
			int status;
			assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		assert_int_equal(count_rows(&w, "runs"), 2);
		where_free(&w);
	}
}

/* Even a trigger that slipped past the comparison could not run: the connection disables
 * triggers and views, schema-defined functions, and writes to the schema table. */
static void test_defensive_settings(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	sqlite3 *db = kc_store_db(st);
	int v = -1;
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, -1, &v);
	assert_int_equal(v, 1);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, -1, &v);
	assert_int_equal(v, 0);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, -1, &v);
	assert_int_equal(v, 0);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, -1, &v);
	assert_int_equal(v, 0);
	/* defensive: the schema table cannot be written even with writable_schema */
	assert_int_not_equal(sqlite3_exec(db, "PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql='x';", NULL, NULL, NULL),
			     SQLITE_OK);
	/* a trigger made on this connection does not fire */
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER t AFTER INSERT ON runs BEGIN DELETE FROM runs; END;", NULL, NULL, NULL),
			 SQLITE_OK);
	struct kc_run run;
	fill_run(&run, "node-a", 1);
	assert_int_equal(kc_store_save_run(st, &run), 0);
	kc_run_clear(&run);
	kc_store_free(st);
	assert_int_equal(count_rows(&w, "runs"), 1);
	where_free(&w);
}

/* A store damaged in the middle (a page overwritten) is refused at open with what to do,
 * not read as if healthy. */
static void test_corrupt_store_refused(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	for (int i = 0; i < 3; i++) {
		struct kc_run run;
		fill_run(&run, "node-a", 300);
		assert_int_equal(kc_store_save_run(st, &run), 0);
		kc_run_clear(&run);
	}
	kc_store_free(st); /* checkpoints: everything is in the main file */
	struct stat sb;
	assert_int_equal(stat(w.path, &sb), 0);
	long page = 4096, pages = (long)(sb.st_size / page);
	assert_true(pages > 20);
	int fd = open(w.path, O_WRONLY);
	assert_true(fd >= 0);
	char junk[4096];
	memset(junk, 0x5a, sizeof(junk));
	/* a b-tree page in the middle: its header and cells become garbage */
	assert_int_equal(pwrite(fd, junk, sizeof(junk), (pages / 2) * page), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(kc_store_open(w.path, &st), KC_EDB);
	assert_non_null(strstr(kc_error_last(), "damaged"));
	assert_non_null(strstr(kc_error_last(), "move it aside"));
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_READ_ONLY, &st), KC_EDB);
	where_free(&w);
}

/* A child holds the store's write lock for hold_ms, telling the parent through a pipe when. */
static pid_t hold_write_lock(const char *path, int hold_ms)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;
		close(p[0]);
		if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			_exit(3);
		if (write(p[1], "x", 1) != 1)
			_exit(4);
		usleep((useconds_t)hold_ms * 1000);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(0);
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void test_write_lock_waited_for(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *log = open_memstream(&logbuf, &loglen);
	kc_log_set_stream(log);
	pid_t pid = hold_write_lock(w.path, 1500);
	struct kc_run run;
	fill_run(&run, "node-a", 3);
	assert_int_equal(kc_store_save_run(st, &run), 0);
	assert_int_equal(run.id, 1);
	kc_log_set_stream(NULL);
	fclose(log);
	assert_non_null(strstr(logbuf, "another process holds the store's write lock; waiting"));
	free(logbuf);
	int status;
	waitpid(pid, &status, 0);
	kc_run_clear(&run);
	kc_store_free(st);
	where_free(&w);
}

/* The lock never comes within the wait: the audited run is kept beside the store and the
 * next read-write open adds it, whole. */
static void test_write_lock_timeout_keeps_the_run(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	kc_store_set_busy_timeout(st, 200);
	pid_t pid = hold_write_lock(w.path, 1500);
	struct kc_run run;
	fill_run(&run, "node-kept", 4);
	assert_int_equal(kc_store_save_run(st, &run), KC_EDB);
	assert_non_null(strstr(kc_error_last(), "write lock"));
	assert_non_null(strstr(kc_error_last(), "kept"));
	kc_run_clear(&run);
	kc_store_free(st);
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(count_rows(&w, "runs"), 0);
	assert_int_equal(kc_store_open(w.path, &st), 0);
	struct kc_run back;
	assert_int_equal(kc_store_load_run(st, 0, &back), 0);
	assert_string_equal(back.host, "node-kept");
	assert_int_equal(back.nresults, 4);
	kc_run_clear(&back);
	kc_store_free(st);
	/* adopted once: the side file is gone */
	struct kc_buf ls = KC_BUF_INIT;
	kc_buf_printf(&ls, "%s", w.dir);
	int side = 0;
	DIR *d = opendir(w.dir);
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		side += strstr(de->d_name, ".pending-") != NULL;
	closedir(d);
	assert_int_equal(side, 0);
	kc_buf_clear(&ls);
	assert_int_equal(count_rows(&w, "runs"), 1);
	where_free(&w);
}

/* A "kept run" planted beside the store by someone else (mode 0644 here) is not adopted into
 * the history; one of ours (0600) is. */
static void test_planted_pending_run_not_adopted(void **state)
{
	WHERE(w, *state);
	struct kc_buf side = KC_BUF_INIT;
	kc_buf_printf(&side, "%s.pending-1-1.db", w.path);
	struct kc_store *st;
	assert_int_equal(kc_store_open(side.ptr, &st), 0);
	struct kc_run run;
	fill_run(&run, "planted", 1);
	run.results[0].status = KC_PASS;
	assert_int_equal(kc_store_save_run(st, &run), 0);
	kc_run_clear(&run);
	kc_store_free(st);
	assert_int_equal(chmod(side.ptr, 0644), 0);
	assert_int_equal(kc_store_open(w.path, &st), 0);
	int64_t id;
	assert_int_equal(kc_store_latest_run(st, "audit", &id), 0);
	assert_int_equal(id, 0);
	kc_store_free(st);
	assert_int_equal(access(side.ptr, F_OK), 0);
	assert_int_equal(chmod(side.ptr, 0600), 0);
	assert_int_equal(kc_store_open(w.path, &st), 0);
	assert_int_equal(kc_store_latest_run(st, "audit", &id), 0);
	assert_int_equal(id, 1);
	kc_store_free(st);
	kc_buf_clear(&side);
	where_free(&w);
}

/* `report` on a store on a read-only mount: opened read-only, never written. */
static void test_report_on_read_only_mount(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	struct kc_run run;
	fill_run(&run, "node-a", 3);
	assert_int_equal(kc_store_save_run(st, &run), 0);
	kc_run_clear(&run);
	kc_store_free(st);
	char *ro = kc_test_mkdtemp();
	if (mount(w.dir, ro, NULL, MS_BIND, NULL) != 0 ||
	    mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
		print_message("kc-skip: cannot make a read-only bind mount here: %s\n", strerror(errno));
		umount2(ro, MNT_DETACH);
		kc_test_rmtree(ro);
		free(ro);
		where_free(&w);
		skip();
		return;
	}
	struct kc_buf db = KC_BUF_INIT, json = KC_BUF_INIT;
	kc_buf_printf(&db, "%s/e.db", ro);
	kc_buf_printf(&json, "%s/r.json", w.dir);
	assert_int_equal(kc_store_open_mode(db.ptr, KC_STORE_READ_ONLY, &st), 0);
	struct kc_run back;
	assert_int_equal(kc_store_load_run(st, 0, &back), 0);
	assert_int_equal(back.nresults, 3);
	kc_run_clear(&back);
	kc_store_free(st);
	char *out = NULL;
	const char *argv[] = { "report", "--db", db.ptr, "--json", json.ptr, "--quiet", NULL };
	int rc = kc_test_run(&out, argv);
	umount2(ro, MNT_DETACH);
	if (rc != 0)
		fail_msg("report on a read-only mount: exit %d: %s", rc, out);
	free(out);
	struct json_object *rep = json_object_from_file(json.ptr);
	assert_non_null(rep);
	json_object_put(rep);
	kc_buf_clear(&db);
	kc_buf_clear(&json);
	kc_test_rmtree(ro);
	free(ro);
	where_free(&w);
}

/* ---- PostgreSQL only ---- */

#define NODES 50
#define NODE_RESULTS 200

/* 50 node audits against a database nobody migrated yet: each opens (the first migrates
 * under the advisory lock, the others wait and find it current) and saves its run in one
 * transaction. Every run is whole; the schema was migrated once. */
static void test_pg_fifty_node_audits_at_once(void **state)
{
	WHERE(w, *state);
	pid_t pids[NODES];
	for (int i = 0; i < NODES; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct kc_store *st;
			char host[32];
			snprintf(host, sizeof(host), "node-%02d", i);
			if (kc_store_open(w.path, &st) < 0) {
				fprintf(stderr, "node %d: %s\n", i, kc_error_last());
				_exit(3);
			}
			struct kc_run run;
			fill_run(&run, host, NODE_RESULTS);
			int rc = kc_store_save_run(st, &run);
			if (rc < 0)
				fprintf(stderr, "node %d: %s\n", i, kc_error_last());
			kc_store_free(st);
			_exit(rc < 0 ? 4 : 0);
		}
	}
	for (int i = 0; i < NODES; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(kc_pg_query_int(w.path, "SELECT count(*) FROM kc_schema"), 1);
	assert_int_equal(kc_pg_query_int(w.path, "SELECT max(version) FROM kc_schema"), KC_STORE_SCHEMA_VERSION);
	assert_int_equal(count_rows(&w, "runs"), NODES);
	assert_int_equal(kc_pg_query_int(w.path, "SELECT count(*) FROM (SELECT run_id FROM results GROUP BY run_id"
					 " HAVING count(*) = 200) x"), NODES);
	assert_int_equal(count_rows(&w, "evidence"), NODES * NODE_RESULTS * 2);
	struct kc_store *st;
	int64_t *ids;
	size_t n;
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_READ_ONLY, &st), 0);
	assert_int_equal(kc_store_fleet_runs(st, &ids, &n), 0);
	assert_int_equal(n, NODES);
	struct kc_run back;
	assert_int_equal(kc_store_load_run(st, ids[17], &back), 0);
	assert_string_equal(back.host, "node-17");
	assert_int_equal(back.nresults, NODE_RESULTS);
	kc_run_clear(&back);
	free(ids);
	kc_store_free(st);
	where_free(&w);
}

static void test_pg_planted_trigger_refused(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	kc_store_free(st);
	assert_int_equal(kc_pg_exec(pg, w.path,
				    "CREATE FUNCTION pass() RETURNS trigger LANGUAGE plpgsql AS"
				    " $$ BEGIN NEW.status := 'PASS'; RETURN NEW; END $$;"
				    "CREATE TRIGGER pass BEFORE INSERT ON results FOR EACH ROW EXECUTE FUNCTION pass();"), 0);
	assert_int_equal(kc_store_open(w.path, &st), KC_EUNSAFE);
	assert_non_null(strstr(kc_error_last(), "trigger"));
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_READ_ONLY, &st), KC_EUNSAFE);
	where_free(&w);
}

/* Evidence quotes bytes as found; PostgreSQL text must be UTF-8: invalid bytes are replaced,
 * the run is saved. */
static void test_pg_bytes_that_are_not_utf8(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open(w.path, &st), 0);
	struct kc_run run;
	fill_run(&run, "node-a", 1);
	free(run.results[0].actual);
	run.results[0].actual = kc_strdup("a\xff" "b\xc3\xa9");
	assert_int_equal(kc_store_save_run(st, &run), 0);
	struct kc_run back;
	assert_int_equal(kc_store_load_run(st, 0, &back), 0);
	assert_string_equal(back.results[0].actual, "a\xef\xbf\xbd" "b\xc3\xa9");
	kc_run_clear(&back);
	kc_run_clear(&run);
	kc_store_free(st);
	where_free(&w);
}

/* The CLI end to end: two nodes audit the example tree into PostgreSQL; report renders one
 * node, a diff, and the fleet from the database. */
static void test_pg_cli_audit_and_report(void **state)
{
	WHERE(w, *state);
	char *dir = kc_test_mkdtemp(), *out = NULL;
	struct kc_buf json = KC_BUF_INIT;
	kc_buf_printf(&json, "%s/r.json", dir);
	const char *hosts[] = { "node-a", "node-b", "node-a" };
	for (int i = 0; i < 3; i++) {
		const char *argv[] = { "audit", "--root", "examples/node-kubeadm", "--host", hosts[i], "--db", w.path,
				       "--check", "1.1.1,1.1.2,4.2.1", "--quiet", NULL };
		int rc = kc_test_run(&out, argv);
		if (rc != 0 && rc != 1)
			fail_msg("audit into PostgreSQL: exit %d: %s", rc, out);
		free(out);
	}
	const char *one[] = { "report", "--db", w.path, "--run", "2", "--json", json.ptr, "--quiet", NULL };
	int rc = kc_test_run(&out, one);
	if (rc != 0 && rc != 1)
		fail_msg("report one node: exit %d: %s", rc, out);
	free(out);
	struct json_object *rep = json_object_from_file(json.ptr), *v;
	assert_non_null(rep);
	assert_true(json_object_object_get_ex(rep, "host", &v) || json_object_object_get_ex(rep, "run", &v));
	assert_non_null(strstr(json_object_to_json_string(rep), "node-b"));
	json_object_put(rep);

	const char *diff[] = { "report", "--db", w.path, "--diff", "1", "3", NULL };
	rc = kc_test_run(&out, diff);
	if (rc != 0)
		fail_msg("report --diff: exit %d: %s", rc, out);
	free(out);

	const char *fleet[] = { "report", "--db", w.path, "--fleet", "--json", json.ptr, NULL };
	rc = kc_test_run(&out, fleet);
	if (rc != 0)
		fail_msg("report --fleet: exit %d: %s", rc, out);
	assert_non_null(strstr(out, "node-a"));
	assert_non_null(strstr(out, "node-b"));
	free(out);
	rep = json_object_from_file(json.ptr);
	assert_non_null(rep);
	const char *text = json_object_to_json_string(rep);
	assert_non_null(strstr(text, "node-a"));
	assert_non_null(strstr(text, "node-b"));
	json_object_put(rep);
	kc_buf_clear(&json);
	kc_test_rmtree(dir);
	free(dir);
	where_free(&w);
}

static void collect_rulestate(void *payload, const char *rule, const char *user, const int64_t *t, size_t n,
			      int64_t fired)
{
	struct kc_buf *b = payload;
	kc_buf_printf(b, "%s/%s:", rule, user);
	for (size_t i = 0; i < n; i++)
		kc_buf_printf(b, "%s%lld", i ? "," : "", (long long)t[i]);
	kc_buf_printf(b, "/%lld;", (long long)fired);
}

/* The watch command's continuity through the store: a killed run's blind time is one gap of
 * the next run and the killed run is closed (sealed) once; --retain deletes old events with
 * tombstones, so the chain still verifies; threshold-rule state is kept per rule and identity. */
static void test_watch_continuity_and_rule_state(void **state)
{
	WHERE(w, *state);
	struct kc_store *st;
	assert_int_equal(kc_store_open_mode(w.path, KC_STORE_MONITOR, &st), 0);
	struct kc_run killed = { 0 }, other = { 0 }, next = { 0 };
	killed.host = kc_strdup("node-a");
	killed.started = kc_strdup("2024-01-01T00:00:00.000Z");
	other.host = kc_strdup("node-b");
	other.started = kc_strdup("2024-01-01T00:00:00.000Z");
	assert_int_equal(kc_store_start_watch(st, &killed), 0);
	assert_int_equal(kc_store_start_watch(st, &other), 0);
	struct kc_event e = { .time = "2024-01-01T00:00:05.000Z", .source = "bpf", .type = "exec", .pid = 1 };
	assert_int_equal(kc_store_add_event(st, killed.id, &e), 0);
	e.time = "2026-11-28T06:00:00.000Z";
	assert_int_equal(kc_store_add_event(st, killed.id, &e), 0);
	struct kc_gap g = { .monitor = "bpf:exec", .start = "2024-01-01T00:00:06.000Z", .end = "2024-01-01T00:00:07.000Z" };
	assert_int_equal(kc_store_add_gap(st, killed.id, &g), 0);
	assert_int_equal(kc_store_flush(st), 0);

	next.host = kc_strdup("node-a");
	next.started = kc_strdup("2026-11-29T00:00:00.000Z");
	assert_int_equal(kc_store_start_watch(st, &next), 0);
	int n;
	assert_int_equal(kc_store_watch_downtime(st, &next, &n), 0);
	assert_int_equal(n, 1); /* node-b's open run is not ours */
	assert_int_equal(kc_store_watch_downtime(st, &next, &n), 0);
	assert_int_equal(n, 0);
	struct kc_run back;
	assert_int_equal(kc_store_load_run(st, killed.id, &back), 0);
	/* closed at its last sign of life: the newest of start, events and gaps */
	assert_string_equal(back.finished, "2026-11-28T06:00:00.000Z");
	kc_run_clear(&back);
	assert_int_equal(kc_store_load_run(st, next.id, &back), 0);
	assert_int_equal(back.ngaps, 1);
	assert_string_equal(back.gaps[0].monitor, "watch");
	assert_string_equal(back.gaps[0].start, "2026-11-28T06:00:00.000Z");
	assert_string_equal(back.gaps[0].end, "2026-11-29T00:00:00.000Z");
	kc_run_clear(&back);

	int64_t deleted;
	assert_int_equal(kc_store_watch_retain(st, "2025-01-01T00:00:00.000Z", &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(count_rows(&w, "events"), 1);
	assert_int_equal(count_rows(&w, "gaps"), 2);

	/* rule state: replaced per (rule, identity) */
	const int64_t t1[] = { 1000, 2000 }, t2[] = { 3000 };
	assert_int_equal(kc_store_begin(st), 0);
	assert_int_equal(kc_store_rulestate_save(st, "forbidden-burst", "mallory", t1, 2, -1), 0);
	assert_int_equal(kc_store_rulestate_save(st, "forbidden-burst", "eve", t2, 1, 2500), 0);
	assert_int_equal(kc_store_rulestate_save(st, "forbidden-burst", "mallory", t1, 1, 1500), 0);
	assert_int_equal(kc_store_commit(st), 0);
	struct kc_buf b = KC_BUF_INIT;
	assert_int_equal(kc_store_rulestate_load(st, collect_rulestate, &b), 0);
	assert_true(strstr(b.ptr, "forbidden-burst/mallory:1000/1500;") != NULL);
	assert_true(strstr(b.ptr, "forbidden-burst/eve:3000/2500;") != NULL);
	assert_int_equal(count_rows(&w, "audit_rule_state"), 2);
	kc_buf_clear(&b);

	assert_int_equal(kc_store_finish_run(st, next.id, "2026-11-29T01:00:00.000Z"), 0);
	assert_int_equal(kc_store_finish_run(st, other.id, "2026-11-29T01:00:00.000Z"), 0);
	struct kc_chain_verify v;
	assert_int_equal(kc_chain_verify(st, NULL, &v), 0);
	if (v.nproblems)
		print_message("%s", v.problems.ptr);
	assert_int_equal(v.nproblems, 0);
	kc_chain_verify_dispose(&v);
	kc_run_clear(&killed);
	kc_run_clear(&other);
	kc_run_clear(&next);
	kc_store_free(st);
	where_free(&w);
}

static int pg_setup(void **state)
{
	(void)state;
	pg = kc_pg_start(&pg_why);
	return 0;
}

static int pg_teardown(void **state)
{
	(void)state;
	kc_pg_stop(pg);
	pg = NULL;
	return 0;
}

static enum backend on_sqlite = SQLITE, on_pg = PG;

#define BOTH(t) cmocka_unit_test_prestate(t, &on_sqlite), cmocka_unit_test_prestate(t, &on_pg)
#define SQLITE_ONLY(t) cmocka_unit_test_prestate(t, &on_sqlite)
#define PG_ONLY(t) cmocka_unit_test_prestate(t, &on_pg)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_round_trip),
		BOTH(test_failed_run_leaves_nothing),
		BOTH(test_monitor_rows),
		BOTH(test_monitor_mode_commits_in_batches),
		BOTH(test_read_only_never_creates),
		BOTH(test_fleet_in_one_store),
		BOTH(test_watch_continuity_and_rule_state),
		SQLITE_ONLY(test_migration_from_v1),
		SQLITE_ONLY(test_newer_schema_refused),
		SQLITE_ONLY(test_killed_run_leaves_nothing_partial),
		SQLITE_ONLY(test_symlink_db_refused),
		SQLITE_ONLY(test_planted_store_refused),
		SQLITE_ONLY(test_new_store_created_in_one_step_has_the_migrated_schema_and_normal_sync),
		SQLITE_ONLY(test_stale_build_time_reference_does_not_refuse_a_good_store),
		SQLITE_ONLY(test_two_processes_creating_one_store_both_succeed),
		SQLITE_ONLY(test_store_unchanged_since_close_is_not_checked_again_any_change_is),
		SQLITE_ONLY(test_store_record_binds_one_file_and_its_wal),
		SQLITE_ONLY(test_defensive_settings),
		SQLITE_ONLY(test_corrupt_store_refused),
		SQLITE_ONLY(test_write_lock_waited_for),
		SQLITE_ONLY(test_write_lock_timeout_keeps_the_run),
		SQLITE_ONLY(test_planted_pending_run_not_adopted),
		SQLITE_ONLY(test_report_on_read_only_mount),
		PG_ONLY(test_pg_fifty_node_audits_at_once),
		PG_ONLY(test_pg_planted_trigger_refused),
		PG_ONLY(test_pg_bytes_that_are_not_utf8),
		PG_ONLY(test_pg_cli_audit_and_report),
	};
	return cmocka_run_group_tests_name("store", tests, pg_setup, pg_teardown);
}
