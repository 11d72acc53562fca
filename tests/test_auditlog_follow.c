/* The audit-log follower: exactly once across restarts and SIGKILL at random points, both
 * rotation styles, partial lines, --once. */
#include "kc_test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>
#include <sqlite3.h>
#include <zlib.h>

#include "auditlog/follow.h"
#include "auditlog/proc.h"
#include "auditlog/rules.h"
#include "store/store.h"
#include "common/error.h"
#include "common/strbuf.h"

#define RULES "policies/runtime/audit-rules.yaml"

/* A request the store keeps (a person creating a configmap), numbered. */
static int event_line(char *buf, size_t sz, int n, int with_id)
{
	char id[48] = "";
	if (with_id)
		snprintf(id, sizeof(id), "\"auditID\":\"ev-%06d\",", n);
	return snprintf(buf, sz,
			"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",%s"
			"\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/app/configmaps\","
			"\"verb\":\"create\",\"user\":{\"username\":\"dev@example.com\",\"groups\":[\"system:authenticated\"]},"
			"\"sourceIPs\":[\"10.1.2.3\"],\"objectRef\":{\"resource\":\"configmaps\",\"namespace\":\"app\","
			"\"name\":\"cm-%06d\"},\"responseStatus\":{\"code\":201},"
			"\"stageTimestamp\":\"2024-05-01T10:00:00.000000Z\"}\n",
			id, n);
}

/* System noise the store does not keep. */
static int noise_line(char *buf, size_t sz, int n)
{
	return snprintf(buf, sz,
			"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"noise-%d\","
			"\"stage\":\"ResponseComplete\",\"verb\":\"update\",\"user\":{\"username\":\"system:node:n1\","
			"\"groups\":[\"system:nodes\"]},\"objectRef\":{\"resource\":\"leases\",\"namespace\":\"kube-node-lease\","
			"\"name\":\"n1\"},\"responseStatus\":{\"code\":200}}\n", n);
}

static void append(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int follow_run(const char *db, const char *log, int once, double duration, int64_t run_id,
		      int (*stopping)(void))
{
	struct kc_store *st = NULL;
	struct kc_audit_rules *rules = NULL;
	struct kc_auditlog_proc *p = NULL;
	int rc = kc_store_open(db, &st);
	if (rc == 0)
		rc = kc_audit_rules_load(RULES, &rules);
	if (rc == 0)
		rc = kc_auditlog_proc_new(st, run_id, rules, &p);
	if (rc == 0) {
		struct kc_auditlog_follow_opts o = { .path = log, .once = once, .duration = duration, .poll_ms = 2,
						     .chunk = 4096, .run_id = run_id, .stopping = stopping };
		rc = kc_auditlog_follow(st, p, &o);
	}
	if (rc < 0)
		fprintf(stderr, "follow: %s\n", kc_error_last());
	kc_auditlog_proc_free(p);
	kc_audit_rules_free(rules);
	kc_store_free(st);
	return rc;
}

static int append_event(const char *log, int n, char *line, size_t sz)
{
	int len = event_line(line, sz, n, 1);
	append(log, line, (size_t)len);
	return len;
}

static int follow_once(const char *db, const char *log, int once, double duration)
{
	return follow_run(db, log, once, duration, 0, NULL);
}

/* A watch run for gap rows. */
static int64_t new_run(const char *db)
{
	struct kc_store *st;
	struct kc_run run = { 0 };
	assert_int_equal(kc_store_open(db, &st), 0);
	run.host = kc_strdup("node-1");
	run.started = kc_time_now_rfc3339();
	assert_int_equal(kc_store_start_watch(st, &run), 0);
	int64_t id = run.id;
	kc_run_clear(&run);
	kc_store_free(st);
	return id;
}

static long long query(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;
	/* -1 while no follower has created the store yet (a busy machine may not have run it) */
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return -1;
	}
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(h);
	return v;
}

static void test_partial_lines_and_once(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512], line[1024];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	for (int i = 0; i < 10; i++) {
		int n = event_line(line, sizeof(line), i, i % 3 != 0);
		append(log, line, (size_t)n);
		n = noise_line(line, sizeof(line), i);
		append(log, line, (size_t)n);
	}
	/* half of the 11th event: not consumed until its newline arrives */
	int n = event_line(line, sizeof(line), 10, 1);
	append(log, line, (size_t)n / 2);
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 10);
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 10);
	append(log, line + n / 2, (size_t)(n - n / 2));
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 11);
	struct stat sb;
	stat(log, &sb);
	char q[256];
	snprintf(q, sizeof(q), "SELECT offset = %lld FROM positions", (long long)sb.st_size);
	assert_int_equal(query(db, q), 1);
	kc_test_rmtree(dir);
	free(dir);
}

static void test_rotation_both_styles(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512], old[600], line[1024];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	int k = 0;
	for (; k < 5; k++)
		append(log, line, (size_t)event_line(line, sizeof(line), k, 1));
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	/* more lines, then rename-and-create while the follower is not running */
	for (; k < 8; k++)
		append(log, line, (size_t)event_line(line, sizeof(line), k, 1));
	snprintf(old, sizeof(old), "%s/audit-2024-05-01T10-00-00.000.log", dir);
	assert_int_equal(rename(log, old), 0);
	for (; k < 12; k++)
		append(log, line, (size_t)event_line(line, sizeof(line), k, 1));
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 12);
	/* copytruncate: the same inode shrinks to nothing and starts again */
	assert_int_equal(truncate(log, 0), 0);
	for (; k < 15; k++)
		append(log, line, (size_t)event_line(line, sizeof(line), k, 1));
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 15);
	/* truncated and refilled past the old offset: detected by the hash, not the size */
	assert_int_equal(truncate(log, 0), 0);
	for (int j = 0; j < 6; j++, k++)
		append(log, line, (size_t)event_line(line, sizeof(line), k, 1));
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 21);
	/* running again changes nothing */
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 21);
	kc_test_rmtree(dir);
	free(dir);
}

static uint64_t inode_of(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_ino : 0;
}

/* A writer appends (sometimes half a line at a time) and rotates by rename-and-create while
 * a follower child is killed with SIGKILL at random moments and restarted. */
static void test_crash_safety(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512], line[1024], q[256];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	unsigned seed = (unsigned)rand();
	print_message("crash test seed %u\n", seed);
	srand(seed);
	int written = 0, rotations = 0, kills = 0;
	append(log, "", 0);
	for (int round = 0; round < 30; round++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			/* a failed assertion in the parent must not leave this follower running for
			 * ever (it follows until stopped): it dies with the test */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			_exit(follow_once(db, log, 0, 0) == 0 ? 0 : 1);
		}
		int bursts = 1 + rand() % 6;
		for (int b = 0; b < bursts; b++) {
			for (int i = 0, m = 5 + rand() % 60; i < m; i++) {
				int n = event_line(line, sizeof(line), written, rand() % 4 != 0);
				if (rand() % 5 == 0) {
					/* half a line, then the rest: the follower may see either state */
					append(log, line, (size_t)n / 2);
					usleep((useconds_t)(rand() % 300));
					append(log, line + n / 2, (size_t)(n - n / 2));
				} else {
					append(log, line, (size_t)n);
				}
				written++;
				if (rand() % 3 == 0) {
					n = noise_line(line, sizeof(line), written);
					append(log, line, (size_t)n);
				}
			}
			/* rotate only once the follower has moved to the current file: two renames
			 * while it is down would need it to find a file it never saw */
			uint64_t cur = inode_of(log);
			snprintf(q, sizeof(q), "SELECT count(*) FROM positions WHERE inode = %llu", (unsigned long long)cur);
			if (rand() % 4 == 0 && query(db, q) == 1) {
				char old[600];
				snprintf(old, sizeof(old), "%s/audit-%04d.log", dir, rotations++);
				assert_int_equal(rename(log, old), 0);
				append(log, "", 0);
			}
			usleep((useconds_t)(rand() % 8000));
		}
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		kills += WIFSIGNALED(status);
		/* the next follower must drain a rotated file before another rotation */
		for (int tries = 0; tries < 2000; tries++) {
			snprintf(q, sizeof(q), "SELECT count(*) FROM positions WHERE inode = %llu",
				 (unsigned long long)inode_of(log));
			long long have = query(db, q);
			if (have != 0)
				break;
			/* position still on an old file: let a follower catch up before rotating */
			if (follow_once(db, log, 1, 0) != 0)
				break;
		}
	}
	/* the last follower, run to the end */
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	print_message("crash test: %d events written, %d rotations, %d kills\n", written, rotations, kills);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), written);
	snprintf(q, sizeof(q), "SELECT count(*) FROM audit_events WHERE name BETWEEN 'cm-000000' AND 'cm-%06d'", written - 1);
	assert_int_equal(query(db, q), written);
	assert_int_equal(query(db, "SELECT count(DISTINCT name) FROM audit_events"), written);
	kc_test_rmtree(dir);
	free(dir);
}


static void copy_file(const char *from, const char *to, int gzip)
{
	size_t len;
	char *data = kc_test_slurp(from, &len);
	assert_non_null(data);
	if (gzip) {
		gzFile g = gzopen(to, "wb");
		assert_non_null(g);
		assert_int_equal(gzwrite(g, data, (unsigned)len), (int)len);
		gzclose(g);
	} else {
		int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, data, len), (ssize_t)len);
		close(fd);
	}
	free(data);
}

struct writer {
	const char *log;
	pthread_mutex_t mu;   /* held by the rotation: logrotate copies, then truncates */
	volatile int stop;
	int written;
};

static void *write_events(void *arg)
{
	struct writer *w = arg;
	char line[1024];
	int fd = open(w->log, O_WRONLY | O_APPEND | O_CREAT, 0600);
	while (!w->stop) {
		pthread_mutex_lock(&w->mu);
		for (int i = 0; i < 20; i++) {
			int n = event_line(line, sizeof(line), w->written, 1);
			assert_int_equal(write(fd, line, (size_t)n), n);
			w->written++;
		}
		pthread_mutex_unlock(&w->mu);
		usleep(500);
	}
	close(fd);
	return NULL;
}

static volatile int follower_stop;
static int follower_stopping(void)
{
	return follower_stop;
}

struct follower_args {
	const char *db, *log;
	int64_t run_id;
	int rc;
};

static void *run_follower(void *arg)
{
	struct follower_args *a = arg;
	a->rc = follow_run(a->db, a->log, 0, 0, a->run_id, follower_stopping);
	return NULL;
}

/* logrotate's copytruncate under a writer appending about 40,000 events/s (O_APPEND, as the
 * API server's log backend opens it): whatever the follower had not read when the file shrank
 * is read from the copy, plain or gzip-compressed, so every event is stored once and no gap is
 * recorded; when the copy is deleted at once (rotate 0), the loss is a gap row. */
static void test_copytruncate_with_a_concurrent_writer_reads_the_rest_from_the_copy(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512], copy[600];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	append(log, "", 0);
	int64_t run_id = new_run(db);
	struct writer w = { .log = log };
	pthread_mutex_init(&w.mu, NULL);
	struct follower_args fa = { .db = db, .log = log, .run_id = run_id };
	follower_stop = 0;
	pthread_t wt, ft;
	pthread_create(&ft, NULL, run_follower, &fa);
	pthread_create(&wt, NULL, write_events, &w);
	for (int r = 0; r < 12; r++) {
		usleep(20000 + (useconds_t)(rand() % 30000));
		pthread_mutex_lock(&w.mu);
		snprintf(copy, sizeof(copy), "%s/audit.log.%d%s", dir, r + 1, r % 3 == 2 ? ".gz" : "");
		copy_file(log, copy, r % 3 == 2);
		assert_int_equal(truncate(log, 0), 0);
		pthread_mutex_unlock(&w.mu);
	}
	usleep(50000);
	w.stop = 1;
	pthread_join(wt, NULL);
	/* the follower has caught up when the position reaches the end of the file — of the live
	 * file: while a copy is drained the position names the copy (its inode, its offset), and
	 * with lines of equal length an offset in a copy often equals the live file's size */
	struct stat sb;
	stat(log, &sb);
	char q[256];
	snprintf(q, sizeof(q), "SELECT count(*) FROM positions WHERE inode = %llu AND offset = %lld",
		 (unsigned long long)sb.st_ino, (long long)sb.st_size);
	/* (a bound only against a hang: a sanitizer build under load follows far slower) */
	for (int i = 0; i < 150000 && query(db, q) != 1; i++)
		usleep(2000);
	follower_stop = 1;
	pthread_join(ft, NULL);
	assert_int_equal(fa.rc, 0);
	print_message("copytruncate: %d events written through 12 rotations, %lld stored, %lld gaps\n", w.written,
		      query(db, "SELECT count(*) FROM audit_events"), query(db, "SELECT count(*) FROM gaps"));
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), w.written);
	assert_int_equal(query(db, "SELECT count(DISTINCT name) FROM audit_events"), w.written);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps"), 0);

	/* rotate 0: the copy is removed before the follower looks; the unread rest is a gap */
	char line[1024];
	int n = 0;
	for (int i = 0; i < 5; i++)
		n += append_event(log, w.written + i, line, sizeof(line));
	assert_int_equal(follow_run(db, log, 1, 0, run_id, NULL), 0);
	for (int i = 5; i < 10; i++)
		append_event(log, w.written + i, line, sizeof(line));
	assert_int_equal(truncate(log, 0), 0);
	append_event(log, w.written + 10, line, sizeof(line));
	assert_int_equal(follow_run(db, log, 1, 0, run_id, NULL), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps WHERE monitor='audit:file' AND detail LIKE '%not found%'"), 1);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps WHERE start IS NOT NULL AND end >= start"), 1);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), w.written + 6);
	(void)n;
	pthread_mutex_destroy(&w.mu);
	kc_test_rmtree(dir);
	free(dir);
}

/* A scripted logrotate for the next test, run from the follower's stop check (called after
 * every batch it commits): first a copytruncate while the live file is half read, then — while
 * the follower is reading the rest of that copy — another one of the next generation, before
 * the follower has read a byte of it. */
static const char *script_log;
static char script_dir[512];
static int script_phase, script_next;

static void script_generation(int from)
{
	char line[1024];
	for (int i = from; i < from + 20; i++)
		append_event(script_log, i, line, sizeof(line));
}

static int script_rotate(void)
{
	char copy[600];
	if (script_phase < 2) {
		/* mtimes differ from the previous copy's (the kernel's file clock is coarse) */
		usleep(20000);
		snprintf(copy, sizeof(copy), "%s/audit.log.%d", script_dir, script_phase + 1);
		copy_file(script_log, copy, 0);
		assert_int_equal(truncate(script_log, 0), 0);
		script_generation(script_next);
		script_next += 20;
		script_phase++;
	}
	return 0;
}

/* A generation copied and truncated while the follower drains the previous generation's copy
 * is read whole from its copy once the drain ends: the directory is listed again, and a copy
 * that is not of the live generation is a generation never seen. (Listing once lost it: the
 * follower went on reading the next generation from 0, no bytes could tell, no gap.) */
static void test_copytruncate_during_a_drain_reads_the_generation_from_its_copy(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	snprintf(script_dir, sizeof(script_dir), "%s", dir);
	script_log = log;
	script_phase = 0;
	script_next = 20;
	int64_t run_id = new_run(db);
	script_generation(0);
	assert_int_equal(follow_run(db, log, 1, 0, run_id, script_rotate), 0);
	assert_int_equal(script_phase, 2);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 60);
	assert_int_equal(query(db, "SELECT count(DISTINCT name) FROM audit_events"), 60);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps"), 0);
	kc_test_rmtree(dir);
	free(dir);
}

/* Each kind of loss is a gap row with its window, and an EventList written on one line is
 * ingested item by item. */
static void test_every_loss_is_a_gap_row(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512], rot[600], line[1024];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	int64_t run_id = new_run(db);
	append_event(log, 0, line, sizeof(line));
	append(log, "{\"kind\":\"Event\", not json\n", 27);
	/* a line over the 8 MiB limit */
	size_t big = (9u << 20);
	char *huge = kc_xmalloc(big + 1);
	memset(huge, 'x', big);
	huge[0] = '{';
	huge[big] = '\n';
	append(log, huge, big + 1);
	free(huge);
	append_event(log, 1, line, sizeof(line));
	/* an EventList on one line: two events */
	const char *list =
		"{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":["
		"{\"level\":\"Metadata\",\"auditID\":\"list-1\",\"stage\":\"ResponseComplete\",\"verb\":\"create\","
		"\"user\":{\"username\":\"dev@example.com\"},\"objectRef\":{\"resource\":\"configmaps\",\"namespace\":\"app\","
		"\"name\":\"from-list-1\"},\"responseStatus\":{\"code\":201}},"
		"{\"level\":\"Metadata\",\"auditID\":\"list-2\",\"stage\":\"ResponseComplete\",\"verb\":\"create\","
		"\"user\":{\"username\":\"dev@example.com\"},\"objectRef\":{\"resource\":\"configmaps\",\"namespace\":\"app\","
		"\"name\":\"from-list-2\"},\"responseStatus\":{\"code\":201}}]}\n";
	append(log, list, strlen(list));
	assert_int_equal(follow_run(db, log, 1, 0, run_id, NULL), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events WHERE name LIKE 'from-list-%'"), 2);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 4);
	/* one invalid line and one over-long line: each counted, each with its byte range */
	assert_int_equal(query(db, "SELECT sum(lost) FROM gaps WHERE monitor='audit:file' AND detail LIKE '%skipped between offsets%'"), 2);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps WHERE detail LIKE '%1 invalid line(s)%'"), 1);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps WHERE detail LIKE '%1 line(s) over 8 MiB%'"), 1);

	/* rotated by rename and gzip-compressed while stopped: read from the .gz, no gap */
	for (int i = 2; i < 6; i++)
		append_event(log, i, line, sizeof(line));
	snprintf(rot, sizeof(rot), "%s/audit-2026-12-04T10-00-00.000.log.gz", dir);
	copy_file(log, rot, 1);
	assert_int_equal(unlink(log), 0);
	/* the new file may well reuse the old inode number: only the bytes tell them apart */
	for (int i = 6; i < 8; i++)
		append_event(log, i, line, sizeof(line));
	long long gaps = query(db, "SELECT count(*) FROM gaps");
	assert_int_equal(follow_run(db, log, 1, 0, run_id, NULL), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 10);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps"), gaps);

	/* rotated and removed while stopped (the new file reusing the inode or not): a gap */
	append_event(log, 8, line, sizeof(line));
	assert_int_equal(unlink(log), 0);
	append_event(log, 9, line, sizeof(line));
	assert_int_equal(follow_run(db, log, 1, 0, run_id, NULL), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps"), gaps + 1);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events WHERE name = 'cm-000009'"), 1);
	kc_test_rmtree(dir);
	free(dir);
}

/* Stored text is valid UTF-8: invalid bytes in an event (an overlong '/', a lone continuation
 * byte, a UTF-16 surrogate) are written as "\xNN"; valid multi-byte text is kept. */
static void test_stored_text_is_valid_utf8(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	const char *line =
		"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"u-1\","
		"\"stage\":\"ResponseComplete\",\"verb\":\"create\",\"user\":{\"username\":\"j\xc3\xb6rg\xc0\xaf\x80\"},"
		"\"objectRef\":{\"resource\":\"configmaps\",\"namespace\":\"app\",\"name\":\"c\xed\xa0\x80m\"},"
		"\"responseStatus\":{\"code\":201}}\n";
	append(log, line, strlen(line));
	assert_int_equal(follow_once(db, log, 1, 0), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events WHERE user = 'j\xc3\xb6rg\\xc0\\xaf\\x80'"), 1);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events WHERE name = 'c\\xed\\xa0\\x80m'"), 1);
	kc_test_rmtree(dir);
	free(dir);
}

/* A burst of 403s split by a restart still completes: the threshold rule's state is in the
 * store, committed with the events that made it. */
static void test_forbidden_burst_survives_a_restart(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512], line[1024];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	int64_t run_id = new_run(db);
	for (int i = 0; i < 4; i++) {
		int n = snprintf(line, sizeof(line),
				 "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"f-%d\","
				 "\"stage\":\"ResponseComplete\",\"verb\":\"list\",\"user\":{\"username\":\"mallory\"},"
				 "\"objectRef\":{\"resource\":\"configmaps\",\"namespace\":\"ns%d\"},\"responseStatus\":{\"code\":403},"
				 "\"stageTimestamp\":\"2026-12-04T10:00:%02d.000000Z\"}\n", i, i, 10 * i);
		append(log, line, (size_t)n);
		if (i == 1)
			assert_int_equal(follow_run(db, log, 1, 0, run_id, NULL), 0); /* stopped after two */
	}
	assert_int_equal(query(db, "SELECT count(*) FROM findings WHERE rule='forbidden-burst'"), 0);
	assert_int_equal(follow_run(db, log, 1, 0, run_id, NULL), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM findings WHERE rule='forbidden-burst'"), 1);
	kc_test_rmtree(dir);
	free(dir);
}

/* `watch --audit-log` given SIGHUP (a closed terminal, a supervisor's reload) flushes what it
 * read and exits 0 with its run finished, as for SIGTERM; SIGHUP's default action would end the
 * process with nothing recorded as finished. */
static void test_watch_sighup_flushes_like_sigterm(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512], line[1024];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	for (int i = 0; i < 5; i++)
		append_event(log, i, line, sizeof(line));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execl(kc_test_bin(), "kubecomply", "watch", "--audit-log", log, "--db", db, "-q", (char *)NULL);
		_exit(127);
	}
	/* wait until the five events are in, then hang up */
	struct stat sb;
	for (int i = 0; i < 5000 && stat(db, &sb) != 0; i++)
		usleep(2000);
	for (int i = 0; i < 5000 && query(db, "SELECT count(*) FROM audit_events") != 5; i++)
		usleep(2000);
	kill(pid, SIGHUP);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE kind='watch' AND finished IS NOT NULL"), 1);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 5);
	kc_test_rmtree(dir);
	free(dir);
}

static int run_watch(const char *const argv[])
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execv(kc_test_bin(), (char *const *)argv);
		_exit(127);
	}
	return (int)pid;
}

/* A watch killed with SIGKILL leaves its run unfinished; the next run records the blind time
 * as a gap (monitor "watch") and closes the old run, once. --retain deletes stored requests
 * older than the bound and keeps the findings. */
static void test_restart_after_sigkill_records_the_down_time(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], log[512], line[1024];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	for (int i = 0; i < 3; i++)
		append_event(log, i, line, sizeof(line));
	const char *follow[] = { "kubecomply", "watch", "--audit-log", log, "--db", db, "-q", NULL };
	pid_t pid = run_watch(follow);
	struct stat sb;
	for (int i = 0; i < 5000 && stat(db, &sb) != 0; i++)
		usleep(2000);
	for (int i = 0; i < 5000 && query(db, "SELECT count(*) FROM audit_events") != 3; i++)
		usleep(2000);
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE finished IS NULL"), 1);
	const char *once[] = { "kubecomply", "watch", "--audit-log", log, "--once", "--db", db, "-q", NULL };
	for (int k = 0; k < 2; k++) {
		pid = run_watch(once);
		waitpid(pid, &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* one gap, in the run after the killed one, and no run left open */
	assert_int_equal(query(db, "SELECT count(*) FROM gaps WHERE monitor='watch' AND detail LIKE '%killed%'"), 1);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps g JOIN runs r ON r.id = g.run_id WHERE g.monitor='watch'"
				   " AND g.start <= g.end AND g.end = r.started"), 1);
	assert_int_equal(query(db, "SELECT count(*) FROM runs WHERE finished IS NULL"), 0);
	/* the killed run, closed by the next one, is sealed like any finished run */
	const char *verify[] = { "kubecomply", "verify", "--db", db, "--quiet", NULL };
	pid = run_watch(verify);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the events are from 2024: a 30-day bound deletes them, not the findings or gaps */
	long long findings = query(db, "SELECT count(*) FROM findings");
	const char *retain[] = { "kubecomply", "watch", "--audit-log", log, "--once", "--db", db, "-q", "--retain", "30d", NULL };
	pid = run_watch(retain);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM findings"), findings);
	assert_int_equal(query(db, "SELECT count(*) FROM gaps WHERE monitor='watch'"), 1);
	/* the deleted rows are sealed as deleted: the chain still verifies */
	pid = run_watch(verify);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_lines_and_once),
		cmocka_unit_test(test_rotation_both_styles),
		cmocka_unit_test(test_crash_safety),
		cmocka_unit_test(test_copytruncate_with_a_concurrent_writer_reads_the_rest_from_the_copy),
		cmocka_unit_test(test_copytruncate_during_a_drain_reads_the_generation_from_its_copy),
		cmocka_unit_test(test_every_loss_is_a_gap_row),
		cmocka_unit_test(test_watch_sighup_flushes_like_sigterm),
		cmocka_unit_test(test_stored_text_is_valid_utf8),
		cmocka_unit_test(test_forbidden_burst_survives_a_restart),
		cmocka_unit_test(test_restart_after_sigkill_records_the_down_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
