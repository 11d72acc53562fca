/* Cost of the BPF monitor: an exec storm (fork + exec of /bin/true, one at a time, as fast as
 * the machine goes) and an open storm (open + close of an unwatched file, and of a watched
 * one), alternately without and with the monitor, in the same run. Prints the rates, the
 * slowdown ratio and the events the monitor lost. Needs root.
 * The storms run in a worker process forked before anything is loaded: a process that has
 * the ring buffer mapped forks much more slowly (its page tables are copied), which would
 * charge the monitor for a cost that workloads on a node never pay. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auditor/store.h"
#include "bpf/bpfmon.h"
#include "common/error.h"
#include "common/strbuf.h"

enum { ROUNDS = 2, EXECS = 1000, OPENS = 200000, WATCHED_OPENS = 10000 };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double exec_storm(int n)
{
	double t0 = now();
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return n / (now() - t0);
}

static double open_storm(const char *path, int n)
{
	double t0 = now();
	for (int i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	return n / (now() - t0);
}

static void *run(void *arg)
{
	kc_bpfmon_run(arg, 0);
	return NULL;
}

/* The worker: reads a storm name, runs it, writes back the rate. */
static void worker(int in, int out, const char *plain)
{
	char cmd;
	while (read(in, &cmd, 1) == 1) {
		double rate = cmd == 'e' ? exec_storm(EXECS)
			    : cmd == 'o' ? open_storm(plain, OPENS)
			    : cmd == 'w' ? open_storm("/etc/shadow", WATCHED_OPENS) : 0;
		if (write(out, &rate, sizeof(rate)) != sizeof(rate))
			break;
	}
	_exit(0);
}

static double ask(int to, int from, char cmd)
{
	double rate = 0;
	if (write(to, &cmd, 1) != 1 || read(from, &rate, sizeof(rate)) != sizeof(rate))
		return 0;
	return rate;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("bench_bpf: skipped (needs root for BPF)\n");
		return 0;
	}
	char dir[] = "/tmp/kc-bench-bpf-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	struct kc_buf db = KC_BUF_INIT, plain = KC_BUF_INIT;
	kc_buf_printf(&db, "%s/bench.db", dir);
	kc_buf_printf(&plain, "%s/plain", dir);
	int fd = open(plain.ptr, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0)
		close(fd);

	int cmd[2], res[2];
	if (pipe(cmd) < 0 || pipe(res) < 0)
		return 1;
	pid_t wpid = fork();
	if (wpid == 0) {
		close(cmd[1]);
		close(res[0]);
		worker(cmd[0], res[1], plain.ptr);
	}
	close(cmd[0]);
	close(res[1]);

	struct kc_store *st = NULL;
	struct kc_run r;
	memset(&r, 0, sizeof(r));
	struct kc_bpfmon *m = NULL;
	int rc = 1;
	if (kc_store_open(db.ptr, &st) < 0 || kc_store_start_watch(st, &r) < 0) {
		fprintf(stderr, "bench_bpf: %s\n", kc_error_last());
		goto out;
	}

	ask(cmd[1], res[0], 'e'); /* warm the page cache */
	struct kc_watch_opts o;
	memset(&o, 0, sizeof(o));
	o.root = "/";
	o.quiet = 1;
	/* alternate without/with twice: the machine's own load drifts during a run */
	double exec0 = 0, open0 = 0, watched0 = 0, exec1 = 0, open1 = 0, watched1 = 0;
	for (int round = 0; round < ROUNDS; round++) {
		exec0 += ask(cmd[1], res[0], 'e') / ROUNDS;
		open0 += ask(cmd[1], res[0], 'o') / ROUNDS;
		watched0 += ask(cmd[1], res[0], 'w') / ROUNDS;
		if (m) {
			kc_bpfmon_free(m);
			m = NULL;
		}
		if (kc_bpfmon_open(&o, st, r.id, &m) < 0) {
			printf("bench_bpf: skipped (%s)\n", kc_error_last());
			rc = 0;
			goto out;
		}
		pthread_t th;
		pthread_create(&th, NULL, run, m);
		exec1 += ask(cmd[1], res[0], 'e') / ROUNDS;
		open1 += ask(cmd[1], res[0], 'o') / ROUNDS;
		watched1 += ask(cmd[1], res[0], 'w') / ROUNDS;
		kc_bpfmon_stop(m);
		pthread_join(th, NULL);
		if (round + 1 < ROUNDS) {
			kc_bpfmon_free(m); /* detached for the next "without" */
			m = NULL;
		}
	}

	struct kc_mon_counters tot[KC_MON_NTYPES];
	uint64_t recv[KC_MON_NTYPES];
	kc_bpfmon_totals(m, tot, recv);
	printf("exec storm:   %7.0f/s without, %7.0f/s with the monitor: slowdown %.1f%%\n", exec0, exec1,
	       100.0 * (exec0 / exec1 - 1.0));
	printf("open storm:   %7.0f/s without, %7.0f/s with (unwatched file): slowdown %.1f%%\n", open0, open1,
	       100.0 * (open0 / open1 - 1.0));
	printf("watched open: %7.0f/s without, %7.0f/s with (/etc/shadow, every open stored): slowdown %.1f%%\n",
	       watched0, watched1, 100.0 * (watched0 / watched1 - 1.0));
	static const char *const names[KC_MON_NTYPES] = { "exec", "fork", "exit", "file", "syscall" };
	printf("events of the last round (default %u MiB ring buffer):", KC_BPFMON_DEFAULT_RINGBUF >> 20);
	for (int t = 0; t < KC_MON_NTYPES; t++)
		printf(" %s seen %llu lost %llu;", names[t], (unsigned long long)tot[t].seen,
		       (unsigned long long)tot[t].full);
	printf("\n");
	rc = 0;
out:
	close(cmd[1]); /* the worker sees EOF and exits */
	waitpid(wpid, NULL, 0);
	close(res[0]);
	kc_bpfmon_free(m);
	kc_store_free(st);
	kc_run_clear(&r);
	unlink(db.ptr);
	kc_buf_puts(&db, "-wal");
	unlink(db.ptr);
	kc_buf_truncate(&db, db.len - 4);
	kc_buf_puts(&db, "-shm");
	unlink(db.ptr);
	unlink(plain.ptr);
	rmdir(dir);
	kc_buf_free(&db);
	kc_buf_free(&plain);
	return rc;
}
