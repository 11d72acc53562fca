/* Cost of the BPF monitor: an exec storm (fork + exec of /bin/true, one at a time, as fast as
 * the machine goes) and an open storm (open + close of an unwatched file, and of a watched
 * one), without the monitor, with it on its normal path (per-syscall tracepoints) and with it
 * forced onto the raw_tp/sys_exit fallback, interleaved in rounds in the same run so that the
 * machine's drifting load hits all three alike. Prints, per storm and path, the median and
 * range over rounds of the slowdown in wall-clock rate and of the extra CPU time per
 * operation (user + system time of the storm's processes, which is where the kernel programs
 * run; less sensitive to other load than the rate), the events the monitor lost, and then a
 * profile of the kernel programs' own run time (BPF statistics) per storm. Needs root.
 * KC_BENCH_ROUNDS sets the number of rounds (default 5); KUBECOMPLY_BPF_COMPAT=1 measures the
 * compat variant of the syscall programs (CO-RE probe reads, what kernels before 6.2 run)
 * instead of the variant this kernel would choose; the variant in use is printed first.
 * The storms run in a worker process forked before anything is loaded: a process that has
 * the ring buffer mapped forks much more slowly (its page tables are copied), which would
 * charge the monitor for a cost that workloads on a node never pay. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "store/store.h"
#include "bpf/bpfmon.h"
#include "common/error.h"
#include "common/strbuf.h"

enum { MAX_ROUNDS = 20, EXECS = 1000, OPENS = 200000, WATCHED_OPENS = 10000, MAX_STATS = 32 };
enum cfg { C_NONE, C_TP, C_RAW, NCFG };
enum storm { S_EXEC, S_OPEN, S_WATCHED, NSTORM };

static const char *const cfg_names[NCFG] = { "without", "per-syscall tp", "raw_tp fallback" };
static const char storm_cmd[NSTORM] = { 'e', 'o', 'w' };
static const char *const storm_names[NSTORM] = { "exec storm", "open storm (unwatched)",
						 "watched open (/etc/shadow)" };
static const int storm_ops[NSTORM] = { EXECS, OPENS, WATCHED_OPENS };

struct result {
	double rate;             /* operations per second, wall clock */
	double cpu_ns;           /* CPU time per operation: the worker and its reaped children */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
			kids.ru_stime.tv_usec) / 1e6;
}

static void exec_storm(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

static void open_storm(const char *path, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
}

static void *run(void *arg)
{
	kc_bpfmon_run(arg, 0);
	return NULL;
}

/* The worker: reads a storm name, runs it, writes back its rate and CPU cost. */
static void worker(int in, int out, const char *plain)
{
	char cmd;
	while (read(in, &cmd, 1) == 1) {
		int n = cmd == 'e' ? EXECS : cmd == 'o' ? OPENS : WATCHED_OPENS;
		double t0 = now(), c0 = cpu_seconds();
		if (cmd == 'e')
			exec_storm(n);
		else
			open_storm(cmd == 'o' ? plain : "/etc/shadow", n);
		struct result r = { n / (now() - t0), (cpu_seconds() - c0) * 1e9 / n };
		if (write(out, &r, sizeof(r)) != sizeof(r))
			break;
	}
	_exit(0);
}

static struct result ask(int to, int from, char cmd)
{
	struct result r = { 0, 0 };
	if (write(to, &cmd, 1) != 1 || read(from, &r, sizeof(r)) != sizeof(r))
		memset(&r, 0, sizeof(r));
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct bench {
	int to, from;
	struct kc_store *st;
	int64_t run_id;
	struct kc_watch_opts o;
};

static int start(struct bench *b, enum cfg c, struct kc_bpfmon **m, pthread_t *th)
{
	struct kc_bpfmon_opts bo = { .no_tracefs = c == C_RAW };
	*m = NULL;
	if (c == C_NONE)
		return 0;
	if (kc_bpfmon_open_opts(&b->o, &bo, b->st, b->run_id, m) < 0)
		return -1;
	enum kc_bpfmon_path want = c == C_TP ? KC_BPFMON_PATH_SYSCALL_TP : KC_BPFMON_PATH_RAW_SYS_EXIT;
	const char *why = NULL;
	if (kc_bpfmon_syscall_path(*m, &why) != want)
		fprintf(stderr, "bench_bpf: %s: the monitor took the other path (%s)\n", cfg_names[c],
			why ? why : "?");
	static int told;
	if (!told++) {
		enum kc_bpfmon_variant v = kc_bpfmon_variant(*m, &why);
		printf("syscall programs: %s variant (%s)\n", v == KC_BPFMON_VARIANT_FAST ? "fast" : "compat",
		       why ? why : "?");
	}
	pthread_create(th, NULL, run, *m);
	return 0;
}

static void stop(struct kc_bpfmon *m, pthread_t th)
{
	if (!m)
		return;
	kc_bpfmon_stop(m);
	pthread_join(th, NULL);
}

/* Each storm once with the monitor on one path and the kernel's BPF statistics on: which
 * programs the storm ran and what they cost, beside the extra CPU the storm paid. */
static void profile(struct bench *b, enum cfg c, const double extra_ns[NSTORM])
{
	struct kc_bpfmon *m;
	pthread_t th;
	int sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (sfd < 0) {
		printf("  (no BPF statistics: %s)\n", strerror(-sfd));
		return;
	}
	if (start(b, c, &m, &th) < 0) {
		close(sfd);
		return;
	}
	printf("kernel programs' own time, %s path (BPF statistics on, which add ~2 clock reads a run):\n",
	       cfg_names[c]);
	struct kc_bpfmon_prog_stats before[MAX_STATS], after[MAX_STATS];
	for (int s = 0; s < NSTORM; s++) {
		int n = kc_bpfmon_prog_stats(m, before, MAX_STATS);
		ask(b->to, b->from, storm_cmd[s]);
		kc_bpfmon_prog_stats(m, after, MAX_STATS);
		double total = 0;
		struct kc_buf line = KC_BUF_INIT;
		for (int i = 0; i < n; i++) {
			uint64_t runs = after[i].run_cnt - before[i].run_cnt;
			uint64_t ns = after[i].run_time_ns - before[i].run_time_ns;
			if (!runs)
				continue;
			total += (double)ns;
			kc_buf_printf(&line, " %s %llu x %.0f ns;", after[i].name, (unsigned long long)runs,
				      (double)ns / (double)runs);
		}
		printf("  %-27s %6.0f ns/op in programs (extra CPU measured: %.0f ns/op):%s\n", storm_names[s],
		       total / storm_ops[s], extra_ns[s], line.len ? line.ptr : " none ran");
		kc_buf_clear(&line);
	}
	stop(m, th);
	kc_bpfmon_free(m);
	close(sfd);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("bench_bpf: skipped (needs root for BPF)\n");
		return 0;
	}
	int rounds = getenv("KC_BENCH_ROUNDS") ? atoi(getenv("KC_BENCH_ROUNDS")) : 5;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 5;
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

	struct bench b;
	memset(&b, 0, sizeof(b));
	b.to = cmd[1];
	b.from = res[0];
	struct kc_run r;
	memset(&r, 0, sizeof(r));
	int rc = 1;
	if (kc_store_open(db.ptr, &b.st) < 0 || kc_store_start_watch(b.st, &r) < 0) {
		fprintf(stderr, "bench_bpf: %s\n", kc_error_last());
		goto out;
	}
	b.run_id = r.id;
	b.o.root = "/";
	b.o.quiet = 1;

	ask(b.to, b.from, 'e'); /* warm the page cache */
	static struct result res_all[MAX_ROUNDS][NCFG][NSTORM];
	struct kc_mon_counters lost[NCFG][KC_MON_NTYPES];
	memset(lost, 0, sizeof(lost));
	for (int round = 0; round < rounds; round++) {
		for (int k = 0; k < NCFG; k++) {
			enum cfg c = (enum cfg)((round + k) % NCFG); /* rotate the order */
			struct kc_bpfmon *m;
			pthread_t th;
			if (start(&b, c, &m, &th) < 0) {
				printf("bench_bpf: skipped (%s)\n", kc_error_last());
				rc = 0;
				goto out;
			}
			for (int s = 0; s < NSTORM; s++)
				res_all[round][c][s] = ask(b.to, b.from, storm_cmd[s]);
			stop(m, th);
			if (m) {
				struct kc_mon_counters tot[KC_MON_NTYPES];
				kc_bpfmon_totals(m, tot, NULL);
				for (int t = 0; t < KC_MON_NTYPES; t++) {
					lost[c][t].seen += tot[t].seen;
					lost[c][t].full += tot[t].full;
				}
				kc_bpfmon_free(m);
			}
		}
	}

	printf("%d rounds; slowdown = rate without / rate with - 1; extra CPU = CPU per op with / without - 1;\n"
	       "median [min, max] over rounds\n", rounds);
	double extra_ns[NCFG][NSTORM];
	for (int s = 0; s < NSTORM; s++) {
		double rate0[MAX_ROUNDS], cpu0[MAX_ROUNDS];
		for (int i = 0; i < rounds; i++) {
			rate0[i] = res_all[i][C_NONE][s].rate;
			cpu0[i] = res_all[i][C_NONE][s].cpu_ns;
		}
		printf("%s: without %.0f/s, %.0f ns CPU/op\n", storm_names[s], median(rate0, rounds),
		       median(cpu0, rounds));
		for (int c = C_TP; c < NCFG; c++) {
			double slow[MAX_ROUNDS], cpu[MAX_ROUNDS], rate[MAX_ROUNDS], dns[MAX_ROUNDS];
			for (int i = 0; i < rounds; i++) {
				const struct result *w0 = &res_all[i][C_NONE][s], *w1 = &res_all[i][c][s];
				rate[i] = w1->rate;
				slow[i] = 100.0 * (w0->rate / w1->rate - 1.0);
				cpu[i] = 100.0 * (w1->cpu_ns / w0->cpu_ns - 1.0);
				dns[i] = w1->cpu_ns - w0->cpu_ns;
			}
			double mr = median(rate, rounds), ms = median(slow, rounds), mc = median(cpu, rounds);
			extra_ns[c][s] = median(dns, rounds);
			printf("  %-16s %8.0f/s  slowdown %6.1f%% [%6.1f, %6.1f]  extra CPU %6.1f%% [%6.1f, %6.1f] (%+.0f ns/op)\n",
			       cfg_names[c], mr, ms, slow[0], slow[rounds - 1], mc, cpu[0], cpu[rounds - 1],
			       extra_ns[c][s]);
		}
	}
	static const char *const names[KC_MON_NTYPES] = { "exec", "fork", "exit", "file", "syscall", "cgroup" };
	for (int c = C_TP; c < NCFG; c++) {
		printf("events, %s (default %u MiB ring buffer, all rounds):", cfg_names[c],
		       KC_BPFMON_DEFAULT_RINGBUF >> 20);
		for (int t = 0; t < KC_MON_NTYPES; t++)
			printf(" %s seen %llu lost %llu;", names[t], (unsigned long long)lost[c][t].seen,
			       (unsigned long long)lost[c][t].full);
		printf("\n");
	}
	for (int c = C_TP; c < NCFG; c++)
		profile(&b, (enum cfg)c, extra_ns[c]);
	rc = 0;
out:
	close(cmd[1]); /* the worker sees EOF and exits */
	waitpid(wpid, NULL, 0);
	close(res[0]);
	kc_store_free(b.st);
	kc_run_clear(&r);
	unlink(db.ptr);
	kc_buf_puts(&db, "-wal");
	unlink(db.ptr);
	kc_buf_truncate(&db, db.len - 4);
	kc_buf_puts(&db, "-shm");
	unlink(db.ptr);
	unlink(plain.ptr);
	rmdir(dir);
	kc_buf_clear(&db);
	kc_buf_clear(&plain);
	return rc;
}
