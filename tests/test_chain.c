/* The evidence chain (store/chain.h, docs/evidence.md): every kind of after-the-fact edit an
 * auditor must be able to detect is made here with SQLite directly, as someone with write
 * access to the file would, and `kubecomply verify` must name it; an untouched store, a
 * legitimately re-sealed row and a pruned store must verify. */
#include "kc_test.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "store/db.h"
#include "common/error.h"
#include "common/sign.h"
#include "common/strbuf.h"
#include "store/canon.h"
#include "store/chain.h"
#include "kc_pg.h"

#define KC_TEST_RUN_DIGEST "e82ea36f8c41687b6de57bb18b12ee3006d76dcc0fea14485d9cb0890bb8ecce"

/* Every suite runs on SQLite, then on a real PostgreSQL server when Debian's is installed. */
static struct kc_pg *pg;
static const char *pg_why;
static int use_pg;

struct fx {
	char *dir;
	char db[512];          /* the --db argument: a SQLite path or a postgres:// URL */
	char cut[2][40];       /* times just before run 3's seal and before the monitor batch */
};

/* A fresh empty store of the backend under test. */
static void new_store(struct fx *f, const char *name)
{
	static unsigned n;
	if (use_pg) {
		char db[64];
		snprintf(db, sizeof(db), "chain_%s_%u", name, ++n);
		snprintf(f->db, sizeof(f->db), "%s", kc_pg_new_db(pg, db));
	} else {
		snprintf(f->db, sizeof(f->db), "%s/%s.db", f->dir, name);
	}
}

static void fill_run(struct kc_run *run, const char *host, const char *started, size_t nresults)
{
	memset(run, 0, sizeof(*run));
	run->host = kc_strdup(host);
	run->benchmark = kc_strdup("cis-1.12");
	run->targets = kc_strdup("master,node");
	run->root = kc_strdup("/");
	run->tool_version = kc_strdup("test");
	run->started = kc_strdup(started);
	run->finished = kc_strdup(started);
	for (size_t i = 0; i < nresults; i++) {
		struct kc_result *r = kc_run_add_result(run);
		char id[32];
		snprintf(id, sizeof(id), "1.1.%zu", i + 1);
		r->id = kc_strdup(id);
		r->title = kc_strdup("Ensure the admin.conf file permissions are 600");
		r->section = kc_strdup("1.1");
		r->target = kc_strdup("master");
		r->type = kc_strdup("automated");
		r->level = 1;
		r->scored = 1;
		r->severity = KC_SEV_HIGH;
		r->status = i % 2 ? KC_FAIL : KC_PASS;
		r->expected = kc_strdup("mode 600");
		r->actual = kc_strdup(i % 2 ? "mode 644" : "mode 600");
		r->duration_ms = 0.25 * (double)i;
		kc_result_add_config(r, "/etc/kubernetes/manifests/kube-apiserver.yaml", "--profiling", "false",
				     (long)(10 + i), "static-pod", NULL);
	}
}

/* Three audit runs of two hosts, and one batch of monitor rows. */
static int setup(void **state)
{
	struct fx *f = kc_xcalloc(1, sizeof(*f));
	f->dir = kc_test_mkdtemp();
	new_store(f, "e");
	struct kc_store *st;
	assert_int_equal(kc_store_open(f->db, &st), 0);
	static const char *const started[] = { "2026-11-01T00:00:00.000Z", "2026-11-02T00:00:00.000Z",
					       "2026-11-03T00:00:00.000Z" };
	for (int i = 0; i < 3; i++) {
		struct kc_run run;
		fill_run(&run, i == 1 ? "node-b" : "node-a", started[i], 4);
		/* seals a few milliseconds apart, so that prune can cut between them */
		usleep(3000);
		if (i == 2) {
			char *now = kc_time_now_rfc3339();
			snprintf(f->cut[0], sizeof(f->cut[0]), "%s", now);
			free(now);
		}
		assert_int_equal(kc_store_save_run(st, &run), 0);
		assert_int_equal(run.id, i + 1);
		assert_non_null(run.digest);
		assert_int_equal(strlen(run.digest), 64);
		kc_run_clear(&run);
	}
	assert_int_equal(kc_store_begin(st), 0);
	usleep(3000);
	char *now = kc_time_now_rfc3339();
	snprintf(f->cut[1], sizeof(f->cut[1]), "%s", now);
	free(now);
	for (int i = 0; i < 3; i++) {
		struct kc_event ev = { .time = (char *)"2026-11-03T00:00:01.000Z", .source = "bpf", .type = "exec",
				       .pid = 100 + i, .comm = "sh", .path = "/bin/sh", .namespace_ = "shop", .pod = "web" };
		assert_int_equal(kc_store_add_event(st, 3, &ev), 0);
	}
	struct kc_finding fi = { .rule = (char *)"exec-in-container", .time = (char *)"2026-11-03T00:00:01.000Z",
				 .source = (char *)"bpf", .summary = (char *)"a shell in shop/web" };
	assert_int_equal(kc_store_add_finding(st, 3, &fi), 0);
	assert_int_equal(kc_store_commit(st), 0);
	kc_store_free(st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	kc_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Edits the store behind kubecomply's back, as sqlite3(1) or psql would (no foreign keys:
 * on PostgreSQL, as a superuser who turns its constraint triggers off). */
static void tamper(const struct fx *f, const char *sql)
{
	if (use_pg) {
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_printf(&b, "SET session_replication_role = replica; %s", sql);
		if (kc_pg_exec(pg, f->db, b.ptr) != 0)
			fail_msg("tampering with %s failed", sql);
		kc_buf_clear(&b);
		return;
	}
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("tampering with %s: %s", sql, err);
	sqlite3_close(db);
}

/* Runs `kubecomply verify` with extra arguments; returns its exit code, output in *out. */
static int verify(const struct fx *f, char **out, const char *a1, const char *a2, const char *a3, const char *a4)
{
	const char *argv[] = { "verify", "--db", f->db, a1, a2, a3, a4, NULL };
	return kc_test_run(out, argv);
}

static void expect_caught(const struct fx *f, const char *needle)
{
	char *out = NULL;
	int rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 1 || !strstr(out, needle))
		fail_msg("verify exited %d, expected 1 naming \"%s\":\n%s", rc, needle, out);
	free(out);
}

static void test_untouched_store_verifies(void **state)
{
	struct fx *f = *state;
	char *out = NULL;
	int rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 0 || !strstr(out, "the chain holds: 3 runs, 1 batches, 4 monitor rows; positions 1-4"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
}

static void test_result_status_edit_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE results SET status='PASS' WHERE run_id=2 AND seq=1");
	expect_caught(f, "run 2 (position 2): content changed");
}

static void test_evidence_value_edit_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE evidence SET value='true' WHERE result_id=(SELECT id FROM results WHERE run_id=3 AND seq=2)");
	expect_caught(f, "run 3 (position 3): content changed");
}

static void test_run_timestamp_edit_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE runs SET started='2026-10-01T00:00:00.000Z' WHERE id=1");
	expect_caught(f, "run 1 (position 1): content changed");
}

static void test_deleted_run_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "DELETE FROM evidence WHERE result_id IN (SELECT id FROM results WHERE run_id=2);"
		  "DELETE FROM results WHERE run_id=2; DELETE FROM runs WHERE id=2");
	expect_caught(f, "run 2 (sealed at position 2): deleted");
}

static void test_forged_run_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "INSERT INTO runs(id, kind, host, benchmark, started, finished) VALUES"
		  " (7, 'audit', 'node-a', 'cis-1.12', '2026-11-02T12:00:00.000Z', '2026-11-02T12:00:01.000Z');"
		  "INSERT INTO results(run_id, seq, check_id, status) VALUES (7, 0, '1.1.1', 'PASS')");
	expect_caught(f, "run 7: not sealed (inserted after the fact)");
}

/* a forged run disguised as an open watch run still carries results: not an open watch */
static void test_forged_open_watch_with_results_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "INSERT INTO runs(id, kind, host, started) VALUES (8, 'watch', 'node-a', '2026-11-02T12:00:00.000Z');"
		  "INSERT INTO results(run_id, seq, check_id, status) VALUES (8, 0, '1.1.1', 'PASS')");
	expect_caught(f, "run 8: not sealed (inserted after the fact)");
}

static void test_reordered_runs_named(void **state)
{
	struct fx *f = *state;
	/* runs 1 and 3 swap places: ids of the runs and of their results */
	tamper(f, "UPDATE runs SET id=100 WHERE id=1; UPDATE runs SET id=1 WHERE id=3; UPDATE runs SET id=3 WHERE id=100;"
		  "UPDATE results SET run_id=100 WHERE run_id=1; UPDATE results SET run_id=1 WHERE run_id=3;"
		  "UPDATE results SET run_id=3 WHERE run_id=100");
	expect_caught(f, "run 1 (position 1): holds what was sealed as run 3 (position 3): runs reordered");
}

static void test_reordered_seals_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE seals SET pos=100 WHERE pos=1; UPDATE seals SET pos=1 WHERE pos=2; UPDATE seals SET pos=2 WHERE pos=100");
	expect_caught(f, "position 1: does not link to the seal before it");
}

static void test_deleted_seal_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "DELETE FROM seals WHERE pos=2");
	expect_caught(f, "positions 2 to 2: missing (seals deleted)");
}

static void test_altered_seal_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE seals SET sealed='2026-01-01T00:00:00.000Z' WHERE pos=3");
	expect_caught(f, "position 3 (run of run 3): seal altered");
}

static void test_monitor_row_edits_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE events SET comm='kworker' WHERE id=2");
	expect_caught(f, "events row 2 (batch at position 4): changed");
	tamper(f, "DELETE FROM findings WHERE id=1");
	expect_caught(f, "findings row 1 (batch at position 4): deleted");
	tamper(f, "INSERT INTO events(run_id, time, source, type, pid) VALUES (3, '2026-11-03T00:00:02.000Z', 'bpf', 'exec', 9)");
	expect_caught(f, "events row 4: not sealed (inserted after the fact)");
}

static void test_batch_row_list_edit_named(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE seals SET \"rows\"=\"rows\" || '00' WHERE pos=4");
	expect_caught(f, "batch at position 4: its row list was altered");
}

/* the correlator and the audit-log monitor update rows they wrote: the change is sealed again
 * (here outside a transaction: the write gets a transaction of its own) and the store still verifies */
static void test_row_updated_through_store_resealed(void **state)
{
	struct fx *f = *state;
	struct kc_store *st;
	assert_int_equal(kc_store_open(f->db, &st), 0);
	assert_int_equal(kc_store_finding_set_data(st, 1, "{\"kernel_execs\":[]}"), 0);
	kc_store_free(st);
	char *out = NULL;
	int rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 0 || !strstr(out, "positions 1-5"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
}

/* rows far apart in one batch (an audit event completed long after it was first stored, beside
 * a new one) are read back one by one, and sealed the same */
static void test_scattered_rows_sealed(void **state)
{
	struct fx *f = *state;
	struct kc_store *st;
	assert_int_equal(kc_store_open(f->db, &st), 0);
	char id[32];
	struct kc_store_audit_event ev = { .stage = "RequestReceived", .verb = "create", .user = "dev", .code = -1,
					   .audit_id = id };
	assert_int_equal(kc_store_begin(st), 0);
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "a-%d", i);
		assert_int_equal(kc_store_audit_event_put(st, KC_STORE_AUDIT_INSERT, &ev), 0);
	}
	assert_int_equal(kc_store_commit(st), 0);
	assert_int_equal(kc_store_begin(st), 0);
	snprintf(id, sizeof(id), "a-0");
	ev.stage = "ResponseComplete";
	ev.code = 201;
	assert_int_equal(kc_store_audit_event_put(st, KC_STORE_AUDIT_UPDATE, &ev), 0);
	snprintf(id, sizeof(id), "a-100");
	assert_int_equal(kc_store_audit_event_put(st, KC_STORE_AUDIT_INSERT, &ev), 0);
	assert_int_equal(kc_store_commit(st), 0);
	kc_store_free(st);
	char *out = NULL;
	int rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 0 || !strstr(out, "3 batches, 105 monitor rows; positions 1-6"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
	tamper(f, "UPDATE audit_events SET code=200 WHERE audit_id='a-0'");
	expect_caught(f, "audit_events row 1 (batch at position 6): changed");
}

/* a rolled-back batch leaves no seal and no pending rows */
static void test_rolled_back_batch_not_sealed(void **state)
{
	struct fx *f = *state;
	struct kc_store *st;
	assert_int_equal(kc_store_open(f->db, &st), 0);
	assert_int_equal(kc_store_begin(st), 0);
	struct kc_event ev = { .time = (char *)"2026-11-03T00:00:09.000Z", .source = "bpf", .type = "exec" };
	assert_int_equal(kc_store_add_event(st, 3, &ev), 0);
	kc_store_rollback(st);
	kc_store_free(st);
	char *out = NULL;
	int rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 0 || !strstr(out, "positions 1-4"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
}

static void test_open_watch_run_is_a_note(void **state)
{
	struct fx *f = *state;
	struct kc_store *st;
	assert_int_equal(kc_store_open(f->db, &st), 0);
	struct kc_run run = { 0 };
	run.host = kc_strdup("node-a");
	run.started = kc_time_now_rfc3339();
	assert_int_equal(kc_store_start_watch(st, &run), 0);
	char *out = NULL;
	int rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 0 || !strstr(out, "a watch run still open"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
	/* finished: sealed, and its finish time is covered */
	assert_int_equal(kc_store_finish_run(st, run.id, "2026-11-03T01:00:00.000Z"), 0);
	kc_store_free(st);
	kc_run_clear(&run);
	rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 0 || strstr(out, "still open"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
	tamper(f, "UPDATE runs SET finished='2026-11-03T02:00:00.000Z' WHERE id=4");
	expect_caught(f, "run 4 (position 5): content changed");
}

/* ---- signatures ---- */

static void write_keys(const char *dir, const char *name, char priv[512], char pub[512])
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(k);
	snprintf(priv, 512, "%s/%s.pem", dir, name);
	snprintf(pub, 512, "%s/%s.pub", dir, name);
	FILE *fp = fopen(priv, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
	fp = fopen(pub, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_PUBKEY(fp, k), 1);
	fclose(fp);
	EVP_PKEY_free(k);
}

static void audit_signed(const struct fx *f, const char *priv, const char *json)
{
	char *out = NULL;
	const char *argv[] = { "audit", "--root", "examples/node-kubeadm", "--db", f->db, "--quiet", "--sign-key", priv,
			       json ? "--json" : NULL, json, NULL };
	int rc = kc_test_run(&out, argv);
	if (rc != 0 && rc != 1)
		fail_msg("audit exited %d:\n%s", rc, out);
	free(out);
}

static void test_signed_head_verifies_with_pubkey(void **state)
{
	struct fx *f = *state;
	char priv[512], pub[512], opriv[512], opub[512];
	write_keys(f->dir, "k", priv, pub);
	write_keys(f->dir, "other", opriv, opub);
	/* an unsigned prefix is covered by the first signed head after it */
	audit_signed(f, priv, NULL);
	char *out = NULL;
	int rc = verify(f, &out, "--pubkey", pub, NULL, NULL);
	if (rc != 0 || !strstr(out, "signed by key"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
	rc = verify(f, &out, "--pubkey", opub, NULL, NULL);
	if (rc != 1 || !strstr(out, "does not verify with key"))
		fail_msg("verify with another key exited %d:\n%s", rc, out);
	free(out);
}

static void test_unsigned_head_refused_with_pubkey(void **state)
{
	struct fx *f = *state;
	char priv[512], pub[512];
	write_keys(f->dir, "k", priv, pub);
	audit_signed(f, priv, NULL);
	/* someone without the key appends a run: the chain links, but the head is unsigned */
	struct kc_store *st;
	assert_int_equal(kc_store_open(f->db, &st), 0);
	struct kc_run run;
	fill_run(&run, "node-a", "2026-11-04T00:00:00.000Z", 1);
	assert_int_equal(kc_store_save_run(st, &run), 0);
	kc_run_clear(&run);
	kc_store_free(st);
	char *out = NULL;
	int rc = verify(f, &out, NULL, NULL, NULL, NULL);
	assert_int_equal(rc, 0); /* without a key, a well-formed chain holds */
	free(out);
	rc = verify(f, &out, "--pubkey", pub, NULL, NULL);
	if (rc != 1 || !strstr(out, "the head (position 6) is not signed by key"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
	/* a stripped signature on an earlier head is no problem while a later head is signed... */
	tamper(f, "DELETE FROM seals WHERE pos=6; DELETE FROM results WHERE run_id=5; DELETE FROM runs WHERE id=5");
	tamper(f, "UPDATE seals SET sig=substr(sig,1,127) || CASE substr(sig,128,1) WHEN '0' THEN '1' ELSE '0' END WHERE pos=5");
	rc = verify(f, &out, "--pubkey", pub, NULL, NULL);
	if (rc != 1 || !strstr(out, "position 5: the signature does not verify"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
}

static void test_sign_key_must_be_ed25519(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k);
	char path[512];
	snprintf(path, sizeof(path), "%s/ec.pem", f->dir);
	FILE *fp = fopen(path, "w");
	PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	EVP_PKEY_free(k);
	struct kc_key *key = NULL;
	assert_int_equal(kc_key_load(path, 1, &key), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "not an Ed25519 key"));
	assert_null(key);
}

/* ---- monitors: the audit-log follower through the CLI ---- */

static void test_watch_batches_signed_and_verified(void **state)
{
	struct fx *f = *state;
	char priv[512], pub[512];
	write_keys(f->dir, "k", priv, pub);
	struct kc_buf log = KC_BUF_INIT;
	for (int i = 0; i < 3; i++) {
		/* the same request seen at two stages: the stored row is updated, and sealed again */
		static const char *const stages[] = { "RequestReceived", "ResponseComplete" };
		for (int j = 0; j < 2; j++)
			kc_buf_printf(&log,
				      "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
				      "\"auditID\":\"ev-%d\",\"stage\":\"%s\",\"verb\":\"create\","
				      "\"user\":{\"username\":\"dev@example.com\",\"groups\":[\"system:authenticated\"]},"
				      "\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"app\","
				      "\"name\":\"web-%d\"},\"responseStatus\":{\"code\":101},"
				      "\"stageTimestamp\":\"2026-11-03T10:00:0%d.000000Z\"}\n", i, stages[j], i, i);
	}
	const char *logpath = kc_test_write(f->dir, "audit.log", log.ptr, 0600);
	char logp[512];
	snprintf(logp, sizeof(logp), "%s", logpath);
	kc_buf_clear(&log);
	char *out = NULL;
	const char *argv[] = { "watch", "--audit-log", logp, "--once", "--db", f->db, "--sign-key", priv, "--quiet", NULL };
	int rc = kc_test_run(&out, argv);
	if (rc != 0)
		fail_msg("watch exited %d:\n%s", rc, out);
	free(out);
	rc = verify(f, &out, "--pubkey", pub, NULL, NULL);
	if (rc != 0 || !strstr(out, "signed by key"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
	tamper(f, "UPDATE audit_events SET \"user\"='someone-else' WHERE audit_id='ev-1'");
	rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 1 || !strstr(out, "audit_events row ") || !strstr(out, "changed"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
}

/* ---- reports ---- */

static void test_report_matches_and_edit_named(void **state)
{
	struct fx *f = *state;
	char priv[512], pub[512], json[512];
	write_keys(f->dir, "k", priv, pub);
	snprintf(json, sizeof(json), "%s/r.json", f->dir);
	audit_signed(f, priv, json);
	char *out = NULL;
	int rc = verify(f, &out, "--report", json, "--pubkey", pub);
	if (rc != 0 || !strstr(out, "matches the stored run it names"))
		fail_msg("verify --report exited %d:\n%s", rc, out);
	free(out);
	size_t len;
	char *text = kc_test_slurp(json, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"chain_position\": 5"));
	/* a FAIL turned into a PASS in the file */
	char *p = strstr(text, "\"status\": \"FAIL\"");
	assert_non_null(p);
	memcpy(p + 11, "PASS", 4);
	kc_test_write(f->dir, "r.json", text, 0644);
	rc = verify(f, &out, "--report", json, NULL, NULL);
	if (rc != 1 || !strstr(out, "differs from stored run 4 at results[") || !strstr(out, "].status"))
		fail_msg("verify --report exited %d:\n%s", rc, out);
	free(out);
	/* the digest claimed for another run */
	memcpy(p + 11, "FAIL", 4);
	p = strstr(text, "\"id\": 4");
	assert_non_null(p);
	p[6] = '3';
	kc_test_write(f->dir, "r.json", text, 0644);
	rc = verify(f, &out, "--report", json, NULL, NULL);
	if (rc != 1 || !strstr(out, "names run 3 with digest"))
		fail_msg("verify --report exited %d:\n%s", rc, out);
	free(out);
	free(text);
}

static char *digest_of(const char *json_path)
{
	size_t len;
	char *text = kc_test_slurp(json_path, &len);
	assert_non_null(text);
	char *p = strstr(text, "\"digest\": \"");
	assert_non_null(p);
	char *d = kc_strndup(p + 11, 64);
	free(text);
	return d;
}

static void expect_in_file(const char *path, const char *needle)
{
	size_t len;
	char *text = kc_test_slurp(path, &len);
	assert_non_null(text);
	if (!strstr(text, needle))
		fail_msg("%s does not contain %s", path, needle);
	free(text);
}

/* JSON, HTML, JUnit, SARIF and PolicyReports all name the run's seal */
static void test_every_report_names_the_seal(void **state)
{
	struct fx *f = *state;
	char json[512], html[512], junit[512], sarif[512], pr[512], *out = NULL;
	snprintf(json, sizeof(json), "%s/r.json", f->dir);
	snprintf(html, sizeof(html), "%s/r.html", f->dir);
	snprintf(junit, sizeof(junit), "%s/r.xml", f->dir);
	snprintf(sarif, sizeof(sarif), "%s/r.sarif", f->dir);
	snprintf(pr, sizeof(pr), "%s/r.yaml", f->dir);
	const char *argv[] = { "report", "--db", f->db, "--run", "2", "--json", json, "--html", html, "--junit", junit,
			       "--sarif", sarif, "--policy-report", pr, "--quiet", NULL };
	int rc = kc_test_run(&out, argv);
	if (rc != 0 && rc != 1)
		fail_msg("report exited %d:\n%s", rc, out);
	free(out);
	char *d = digest_of(json);
	char want[256];
	expect_in_file(json, "\"chain_position\": 2");
	snprintf(want, sizeof(want), "<code id=\"run-digest\">%s</code> at chain position 2", d);
	expect_in_file(html, want);
	snprintf(want, sizeof(want), "<property name=\"evidence-digest\" value=\"%s\"/>", d);
	expect_in_file(junit, want);
	expect_in_file(junit, "<property name=\"evidence-chain-position\" value=\"2\"/>");
	snprintf(want, sizeof(want), "\"evidenceDigest\":\"%s\"", d);
	expect_in_file(sarif, want);
	snprintf(want, sizeof(want), "kubecomply.io/evidence-digest: %s", d);
	expect_in_file(pr, want);
	rc = verify(f, &out, "--report", json, NULL, NULL);
	if (rc != 0)
		fail_msg("verify --report exited %d:\n%s", rc, out);
	free(out);
	free(d);
}

/* the seal is read from the store, which anyone may have edited: escaped like all else */
static void test_tampered_seal_escaped_in_html(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE seals SET content='<script>alert(1)</script>' WHERE pos=1");
	char html[512], *out = NULL;
	snprintf(html, sizeof(html), "%s/r.html", f->dir);
	const char *argv[] = { "report", "--db", f->db, "--run", "1", "--html", html, "--quiet", NULL };
	int rc = kc_test_run(&out, argv);
	free(out);
	assert_true(rc == 0 || rc == 1);
	size_t len;
	char *text = kc_test_slurp(html, &len);
	assert_non_null(text);
	assert_null(strstr(text, "<script>alert(1)"));
	assert_non_null(strstr(text, "&lt;script&gt;alert(1)"));
	free(text);
}

/* ---- prune ---- */

static void test_prune_then_verify(void **state)
{
	struct fx *f = *state;
	struct kc_store *st;
	assert_int_equal(kc_store_open(f->db, &st), 0);
	/* prune what was sealed before the seal of run 3 (positions 1 and 2: runs 1 and 2) */
	struct kc_chain_prune pr;
	assert_int_equal(kc_store_prune(st, f->cut[0], NULL, &pr), 0);
	assert_int_equal(pr.checkpoint_pos, 2);
	assert_int_equal(pr.runs, 2);
	assert_int_equal(pr.seals, 2);
	int64_t id;
	assert_int_equal(kc_store_latest_run(st, "audit", &id), 0);
	assert_int_equal(id, 3);
	kc_store_free(st);
	char *out = NULL;
	int rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 0 || !strstr(out, "1 runs, 1 batches, 4 monitor rows; positions 3-4"))
		fail_msg("verify after prune exited %d:\n%s", rc, out);
	free(out);
	/* the checkpoint is what the first kept seal links to: a forged one is caught */
	tamper(f, "UPDATE checkpoints SET link='" "1111111111111111111111111111111111111111111111111111111111111111" "'");
	expect_caught(f, "position 3: does not link to the seal before it");
}

/* the events of a pruned run were sealed in a kept batch: their deletion (by ON DELETE
 * CASCADE) is sealed in the prune's own batch, and the store verifies */
static void test_prune_cascade_sealed(void **state)
{
	struct fx *f = *state;
	struct kc_store *st;
	assert_int_equal(kc_store_open(f->db, &st), 0);
	struct kc_chain_prune pr;
	int rc = kc_store_prune(st, f->cut[1], NULL, &pr);
	assert_int_equal(rc, 0);
	assert_int_equal(pr.checkpoint_pos, 3);
	assert_int_equal(pr.runs, 3);
	kc_store_free(st);
	char *out = NULL;
	rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 0 || !strstr(out, "0 runs, 2 batches, 0 monitor rows; positions 4-5"))
		fail_msg("verify after prune exited %d:\n%s", rc, out);
	free(out);
}

/* pruning a tampered store would erase the evidence of tampering */
static void test_prune_refuses_broken_chain(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE results SET status='PASS' WHERE run_id=1");
	char *out = NULL;
	const char *argv[] = { "prune", "--db", f->db, "--keep-days", "1", NULL };
	int rc = kc_test_run(&out, argv);
	if (rc != 2 || !strstr(out, "the chain does not verify"))
		fail_msg("prune exited %d:\n%s", rc, out);
	free(out);
	const char *argv0[] = { "prune", "--db", f->db, "--keep-days", "0", NULL };
	rc = kc_test_run(&out, argv0);
	if (rc != 2 || !strstr(out, "--keep-days"))
		fail_msg("prune --keep-days 0 exited %d:\n%s", rc, out);
	free(out);
}

static void test_cli_prune_keeps_recent(void **state)
{
	struct fx *f = *state;
	char *out = NULL;
	const char *argv[] = { "prune", "--db", f->db, "--keep-days", "30", NULL };
	int rc = kc_test_run(&out, argv);
	if (rc != 0 || !strstr(out, "nothing was sealed before"))
		fail_msg("prune exited %d:\n%s", rc, out);
	free(out);
	rc = verify(f, &out, NULL, NULL, NULL, NULL);
	assert_int_equal(rc, 0);
	free(out);
}

/* ---- concurrency: writers take chain positions one at a time ---- */

/* Eight audits of eight nodes at once into one store (on PostgreSQL each in its own
 * transaction, racing for the chain's head): every run sealed once, the chain unbroken. */
static void test_concurrent_audits_chain_holds(void **state)
{
	struct fx *f = *state;
	enum { N = 8 };
	pid_t pids[N];
	for (int i = 0; i < N; i++) {
		char host[32];
		snprintf(host, sizeof(host), "node-%d", i);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
			execl(kc_test_bin(), "kubecomply", "audit", "--root", "examples/node-kubeadm", "--db", f->db, "--host",
			      host, "--quiet", (char *)NULL);
			_exit(127);
		}
	}
	for (int i = 0; i < N; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1));
	}
	char *out = NULL;
	int rc = verify(f, &out, NULL, NULL, NULL, NULL);
	if (rc != 0 || !strstr(out, "the chain holds: 11 runs, 1 batches, 4 monitor rows; positions 1-12"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
}

/* ---- deploy: the key as a Secret mount ---- */

static void test_deploy_overlays_mount_the_signing_key(void **state)
{
	(void)state;
	static const char *const overlays[] = { "deploy/overlays/signed", "deploy/overlays/watch-signed" };
	static const int workloads[] = { 3, 2 };
	if (system("kubectl version --client >/dev/null 2>&1") != 0) {
		print_message("kc-skip: kubectl (kustomize) not installed\n");
		skip();
	}
	for (size_t i = 0; i < 2; i++) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "kubectl kustomize %s 2>&1", overlays[i]);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		struct kc_buf out = KC_BUF_INIT;
		char chunk[4096];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
			kc_buf_add(&out, chunk, n);
		assert_int_equal(pclose(p), 0);
		int args = 0, secrets = 0, mounts = 0;
		for (const char *q = out.ptr; (q = strstr(q, "--sign-key=/etc/kubecomply/signing/signing.pem")); q++)
			args++;
		for (const char *q = out.ptr; (q = strstr(q, "secretName: kubecomply-signing-key")); q++)
			secrets++;
		for (const char *q = out.ptr; (q = strstr(q, "mountPath: /etc/kubecomply/signing\n")); q++)
			mounts++;
		if (args != workloads[i] || secrets != workloads[i] || mounts != workloads[i])
			fail_msg("%s: %d --sign-key, %d secret volumes, %d mounts; %d workloads expected", overlays[i], args,
				 secrets, mounts, workloads[i]);
		kc_buf_clear(&out);
	}
}

/* ---- migration: a store made before the chain is sealed as found ---- */

static void test_store_before_chain_adopted(void **state)
{
	struct fx *f = *state;
	char path[512];
	snprintf(path, sizeof(path), "%s/old.db", f->dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (int v = 1; v <= 3; v++)
		assert_int_equal(sqlite3_exec(db, kc_store_sqlite_migration(v), NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=3;"
					  "INSERT INTO runs(kind, host, started) VALUES ('audit', 'n', '2026-01-01T00:00:00Z');"
					  "INSERT INTO results(run_id, seq, check_id, status) VALUES (1, 0, '1.1.1', 'FAIL');"
					  "INSERT INTO events(run_id, time, source, type) VALUES (1, 't', 'bpf', 'exec');",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct kc_store *st;
	assert_int_equal(kc_store_open(path, &st), 0);
	kc_store_free(st);
	char *out = NULL;
	const char *argv[] = { "verify", "--db", path, NULL };
	int rc = kc_test_run(&out, argv);
	if (rc != 0 || !strstr(out, "1 runs, 1 batches, 1 monitor rows"))
		fail_msg("verify exited %d:\n%s", rc, out);
	free(out);
}

static void test_verify_never_creates_a_store(void **state)
{
	struct fx *f = *state;
	char path[512], *out = NULL;
	snprintf(path, sizeof(path), "%s/typo.db", f->dir);
	const char *argv[] = { "verify", "--db", path, NULL };
	assert_int_equal(kc_test_run(&out, argv), 2);
	free(out);
	FILE *fp = fopen(path, "r");
	assert_null(fp);
}

/* ---- the canonical form ---- */

/* Each value self-delimits: ("ab", "c") and ("a", "bc") differ; NULL differs from "". */
static void test_canonical_form_is_unambiguous(void **state)
{
	(void)state;
	struct kc_canon a, b;
	kc_canon_init_bytes(&a);
	kc_canon_init_bytes(&b);
	kc_canon_str(&a, "ab");
	kc_canon_str(&a, "c");
	kc_canon_str(&b, "a");
	kc_canon_str(&b, "bc");
	assert_false(a.buf.len == b.buf.len && memcmp(a.buf.ptr, b.buf.ptr, a.buf.len) == 0);
	kc_buf_reset(&a.buf);
	kc_buf_reset(&b.buf);
	kc_canon_str(&a, NULL);
	kc_canon_str(&b, "");
	assert_memory_not_equal(a.buf.ptr, b.buf.ptr, 1);
	/* the documented bytes of a small sequence (docs/evidence.md) */
	kc_buf_reset(&a.buf);
	kc_canon_str(&a, "run");
	kc_canon_int(&a, 1);
	kc_canon_null(&a);
	kc_canon_real(&a, 0.5);
	static const unsigned char want[] = { 's', 0, 0, 0, 3, 'r', 'u', 'n', 'i', 0, 0, 0, 0, 0, 0, 0, 1, 'n',
					      'r', 0x3f, 0xe0, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(a.buf.len, sizeof(want));
	assert_memory_equal(a.buf.ptr, want, sizeof(want));
	/* and back */
	size_t pos = 0;
	struct kc_canon_value v;
	assert_int_equal(kc_canon_next((const unsigned char *)a.buf.ptr, a.buf.len, &pos, &v), 1);
	assert_int_equal(v.type, 's');
	assert_int_equal(v.len, 3);
	assert_int_equal(kc_canon_next((const unsigned char *)a.buf.ptr, a.buf.len, &pos, &v), 1);
	assert_int_equal(v.i, 1);
	assert_int_equal(kc_canon_next((const unsigned char *)a.buf.ptr, a.buf.len, &pos, &v), 1);
	assert_int_equal(v.type, 'n');
	assert_int_equal(kc_canon_next((const unsigned char *)a.buf.ptr, a.buf.len, &pos, &v), 1);
	assert_true(v.r == 0.5);
	assert_int_equal(kc_canon_next((const unsigned char *)a.buf.ptr, a.buf.len, &pos, &v), 0);
	/* a length running past the end is an error, not a read past the buffer */
	assert_int_equal(kc_canon_next((const unsigned char *)a.buf.ptr, 4, &(size_t){ 0 }, &v), KC_EINVAL);
	kc_canon_dispose(&a);
	kc_canon_dispose(&b);
}

/* The digest of a fixed run must not change between releases or backends: another tool
 * verifying a store relies on exactly these bytes (docs/evidence.md gives the vector). */
static void test_run_digest_test_vector(void **state)
{
	struct fx *f = *state;
	new_store(f, "vector");
	struct kc_store *st;
	assert_int_equal(kc_store_open(f->db, &st), 0);
	struct kc_run run;
	fill_run(&run, "node-a", "2026-11-01T00:00:00.000Z", 2);
	assert_int_equal(kc_store_save_run(st, &run), 0);
	assert_string_equal(run.digest, KC_TEST_RUN_DIGEST);
	assert_int_equal(run.chain_pos, 1);
	kc_run_clear(&run);
	kc_store_free(st);
}

static int group_sqlite(void **state)
{
	(void)state;
	use_pg = 0;
	return 0;
}

static int group_pg(void **state)
{
	(void)state;
	use_pg = 1;
	pg = kc_pg_start(&pg_why);
	return 0;
}

static int group_pg_done(void **state)
{
	(void)state;
	kc_pg_stop(pg);
	pg = NULL;
	return 0;
}

#define BOTH_BACKENDS \
		cmocka_unit_test_setup_teardown(test_concurrent_audits_chain_holds, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_untouched_store_verifies, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_result_status_edit_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_evidence_value_edit_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_run_timestamp_edit_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_deleted_run_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_forged_run_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_forged_open_watch_with_results_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_reordered_runs_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_reordered_seals_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_deleted_seal_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_altered_seal_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_monitor_row_edits_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_batch_row_list_edit_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_row_updated_through_store_resealed, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_rolled_back_batch_not_sealed, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_scattered_rows_sealed, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_open_watch_run_is_a_note, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_signed_head_verifies_with_pubkey, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_unsigned_head_refused_with_pubkey, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_watch_batches_signed_and_verified, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_report_matches_and_edit_named, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_every_report_names_the_seal, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_tampered_seal_escaped_in_html, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_prune_then_verify, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_prune_cascade_sealed, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_prune_refuses_broken_chain, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_cli_prune_keeps_recent, setup, teardown), \
		cmocka_unit_test_setup_teardown(test_run_digest_test_vector, setup, teardown),

int main(void)
{
	const struct CMUnitTest on_sqlite[] = {
		BOTH_BACKENDS
		cmocka_unit_test_setup_teardown(test_sign_key_must_be_ed25519, setup, teardown),
		cmocka_unit_test(test_deploy_overlays_mount_the_signing_key),
		cmocka_unit_test_setup_teardown(test_store_before_chain_adopted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_never_creates_a_store, setup, teardown),
		cmocka_unit_test(test_canonical_form_is_unambiguous),
	};
	const struct CMUnitTest on_pg[] = { BOTH_BACKENDS };
	int failed = cmocka_run_group_tests_name("sqlite", on_sqlite, group_sqlite, NULL);
	if (group_pg(NULL) == 0 && !pg) {
		print_message("kc-skip: PostgreSQL: %s\n", pg_why ? pg_why : "cannot start a server");
		return failed;
	}
	use_pg = 1;
	failed += cmocka_run_group_tests_name("postgres", on_pg, NULL, group_pg_done);
	return failed;
}
