/* The audit-log follower: exactly once across restarts and SIGKILL at random points, both
 * rotation styles, partial lines, --once. */
#include "kc_test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "auditlog/follow.h"
#include "auditlog/proc.h"
#include "auditlog/rules.h"
#include "store/store.h"
#include "common/error.h"

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

static int follow_once(const char *db, const char *log, int once, double duration)
{
	struct kc_store *st = NULL;
	struct kc_audit_rules *rules = NULL;
	struct kc_auditlog_proc *p = NULL;
	int rc = kc_store_open(db, &st);
	if (rc == 0)
		rc = kc_audit_rules_load(RULES, &rules);
	if (rc == 0)
		rc = kc_auditlog_proc_new(st, 0, rules, &p);
	if (rc == 0) {
		struct kc_auditlog_follow_opts o = { .path = log, .once = once, .duration = duration, .poll_ms = 2,
						     .chunk = 4096 };
		rc = kc_auditlog_follow(st, p, &o);
	}
	if (rc < 0)
		fprintf(stderr, "follow: %s\n", kc_error_last());
	kc_auditlog_proc_free(p);
	kc_audit_rules_free(rules);
	kc_store_free(st);
	return rc;
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
		if (pid == 0)
			_exit(follow_once(db, log, 0, 0) == 0 ? 0 : 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_lines_and_once),
		cmocka_unit_test(test_rotation_both_styles),
		cmocka_unit_test(test_crash_safety),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
