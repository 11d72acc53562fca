/* Evidence store: round trip, migration from an older schema, a newer schema refused, and a
 * run that fails or is killed half-way leaves nothing behind. */
#include "kc_test.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auditor/store.h"
#include "auditor/store_schema.h"
#include "common/error.h"
#include "common/strbuf.h"

static char *db_path(char **dir)
{
	*dir = kc_test_mkdtemp();
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s/e.db", *dir);
	return kc_buf_detach(&b);
}

static void fill_run(struct kc_run *run, size_t nresults)
{
	memset(run, 0, sizeof(*run));
	run->host = kc_strdup("node-a");
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
		r->title = kc_strdup("Ensure <things> & \"stuff\"");
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
	(void)state;
	char *dir, *path = db_path(&dir);
	struct kc_store *st;
	assert_int_equal(kc_store_open(path, &st), 0);
	struct kc_run run;
	fill_run(&run, 7);
	struct kc_finding *f = kc_run_add_finding(&run);
	f->rule = kc_strdup("exec-in-container");
	f->time = kc_strdup("2026-11-28T00:00:00.500Z");
	f->source = kc_strdup("bpf");
	f->severity = KC_SEV_CRITICAL;
	f->data_json = kc_strdup("{\"pod_uid\":\"u1\"}");
	assert_int_equal(kc_store_save_run(st, &run), 0);
	assert_int_equal(run.id, 1);

	struct kc_run back;
	assert_int_equal(kc_store_load_run(st, 0, &back), 0);
	assert_int_equal(back.id, 1);
	assert_string_equal(back.host, "node-a");
	assert_int_equal(back.nresults, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_string_equal(back.results[i].id, run.results[i].id);
		assert_int_equal(back.results[i].status, run.results[i].status);
		assert_int_equal(back.results[i].level, run.results[i].level);
		assert_string_equal(back.results[i].title, "Ensure <things> & \"stuff\"");
		assert_int_equal(back.results[i].nevidence, 2);
		assert_int_equal(back.results[i].evidence[0].kind, KC_EV_FILE);
		assert_int_equal(back.results[i].evidence[0].mode, 0100644);
		assert_string_equal(back.results[i].evidence[1].obj_name, "shop");
		assert_int_equal(back.results[i].evidence[1].line, 12);
	}
	assert_int_equal(back.nfindings, 1);
	assert_string_equal(back.findings[0].rule, "exec-in-container");
	assert_int_equal(back.findings[0].severity, KC_SEV_CRITICAL);
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

	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	kc_test_rmtree(dir);
	free(dir);
	free(path);
}

static void test_migration_from_v1(void **state)
{
	(void)state;
	char *dir, *path = db_path(&dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* a database as version 1 of kubecomply left it, with one run in it */
	assert_int_equal(sqlite3_exec(db, kc_store_migration(1), NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=1;"
				      "INSERT INTO runs(id, host, benchmark, started) VALUES(1, 'old', 'cis-1.12', 't');"
				      "INSERT INTO results(id, run_id, seq, check_id, status) VALUES(1, 1, 0, '1.1.1', 'FAIL');",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct kc_store *st;
	assert_int_equal(kc_store_open(path, &st), 0);
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
	kc_test_rmtree(dir);
	free(dir);
	free(path);
}

static void test_newer_schema_refused(void **state)
{
	(void)state;
	char *dir, *path = db_path(&dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(db);
	struct kc_store *st;
	assert_int_equal(kc_store_open(path, &st), KC_EDB);
	assert_non_null(strstr(kc_error_last(), "schema version 99 is newer"));
	kc_test_rmtree(dir);
	free(dir);
	free(path);
}

static int count_rows(const char *path, const char *table)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char sql[128];
	int n = -1;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

static void test_failed_run_leaves_nothing(void **state)
{
	(void)state;
	char *dir, *path = db_path(&dir);
	struct kc_store *st;
	assert_int_equal(kc_store_open(path, &st), 0);
	/* the 5th evidence row fails: the whole run must roll back */
	assert_int_equal(sqlite3_exec(kc_store_db(st),
				      "CREATE TRIGGER boom BEFORE INSERT ON evidence WHEN (SELECT count(*) FROM evidence) >= 4 "
				      "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;", NULL, NULL, NULL), SQLITE_OK);
	struct kc_run run;
	fill_run(&run, 10);
	assert_int_equal(kc_store_save_run(st, &run), KC_EDB);
	assert_non_null(strstr(kc_error_last(), "disk on fire"));
	assert_int_equal(run.id, 0);
	kc_run_clear(&run);
	kc_store_free(st);
	assert_int_equal(count_rows(path, "runs"), 0);
	assert_int_equal(count_rows(path, "results"), 0);
	assert_int_equal(count_rows(path, "evidence"), 0);
	kc_test_rmtree(dir);
	free(dir);
	free(path);
}

static void test_killed_run_leaves_nothing_partial(void **state)
{
	(void)state;
	char *dir, *path = db_path(&dir);
	struct kc_store *st;
	assert_int_equal(kc_store_open(path, &st), 0);
	kc_store_free(st);
	for (int attempt = 0; attempt < 3; attempt++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct kc_store *cst;
			struct kc_run run;
			if (kc_store_open(path, &cst) < 0)
				_exit(3);
			fill_run(&run, 20000);
			kc_store_save_run(cst, &run);
			_exit(0);
		}
		/* kill it somewhere in the middle: wherever that lands, no partial run may remain */
		usleep(20000 + 30000 * attempt);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
	}
	int runs = count_rows(path, "runs"), results = count_rows(path, "results");
	assert_true(runs >= 0);
	assert_int_equal(results, runs * 20000);
	assert_int_equal(count_rows(path, "evidence"), runs * 40000);
	kc_test_rmtree(dir);
	free(dir);
	free(path);
}

static void test_symlink_db_refused(void **state)
{
	(void)state;
	char *dir, *path = db_path(&dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	struct kc_store *st;
	assert_true(kc_store_open(path, &st) < 0);
	kc_test_rmtree(dir);
	free(dir);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_migration_from_v1),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_failed_run_leaves_nothing),
		cmocka_unit_test(test_killed_run_leaves_nothing_partial),
		cmocka_unit_test(test_symlink_db_refused),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
