/* Evidence store throughput on both backends, measured in the same run: rows per second of
 * whole audit runs (kc_store_save_run: one transaction of 1 run + 2,000 results + 4,000
 * evidence rows) and of monitor events through the batched writer (KC_STORE_MONITOR), then
 * `kubecomply audit` end to end into each backend. SQLite is the baseline; PostgreSQL is
 * printed as a ratio against it. The PostgreSQL server is a real one started here (Debian's
 * initdb, as `nobody`, on a unix socket); without the binaries its lines are skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "store/store.h"
#include "tests/kc_pg.h"

#define RESULTS 2000
#define RUNS 5
#define EVENTS 20000
#define AUDITS 5

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void build_run(struct kc_run *run)
{
	memset(run, 0, sizeof(*run));
	run->host = kc_strdup("bench-node");
	run->benchmark = kc_strdup("cis-1.12");
	run->started = kc_strdup("2026-11-28T05:45:39.123Z");
	char buf[128];
	for (int i = 0; i < RESULTS; i++) {
		struct kc_result *r = kc_run_add_result(run);
		snprintf(buf, sizeof(buf), "1.%d.%d", i / 100, i % 100);
		r->id = kc_strdup(buf);
		r->title = kc_strdup("Ensure that the setting is configured");
		r->status = i % 3 ? KC_PASS : KC_FAIL;
		r->actual = kc_strdup("--flag is true");
		struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_CONFIG);
		ev->source = kc_strdup("/etc/kubernetes/manifests/kube-apiserver.yaml");
		ev->key = kc_strdup("--flag");
		ev->value = kc_strdup("true");
		ev->line = i;
		ev = kc_result_add_evidence(r, KC_EV_FILE);
		ev->source = kc_strdup("/etc/kubernetes/admin.conf");
		ev->has_stat = 1;
		ev->mode = 0100600;
	}
}

struct figures { double run_rows_s, event_rows_s, audit_s; };

static int measure(const char *where, struct figures *f)
{
	struct kc_store *st;
	struct kc_run run;
	if (kc_store_open(where, &st) < 0)
		return -1;
	build_run(&run);
	double t0 = now();
	for (int i = 0; i < RUNS; i++) {
		run.id = 0;
		if (kc_store_save_run(st, &run) < 0) {
			kc_store_free(st);
			kc_run_clear(&run);
			return -1;
		}
	}
	f->run_rows_s = RUNS * (1.0 + 3.0 * RESULTS) / (now() - t0);
	kc_run_clear(&run);
	kc_store_free(st);

	if (kc_store_open_mode(where, KC_STORE_MONITOR, &st) < 0)
		return -1;
	struct kc_event ev = { .time = "2026-11-28T05:45:39.123Z", .source = "bpf", .type = "exec", .pid = 42,
			       .comm = "sh", .path = "/bin/sh", .namespace_ = "shop", .pod = "web",
			       .data_json = "{\"argv\":[\"sh\",\"-c\",\"id\"]}" };
	t0 = now();
	for (int i = 0; i < EVENTS; i++)
		if (kc_store_add_event(st, 0, &ev) < 0) {
			kc_store_free(st);
			return -1;
		}
	int rc = kc_store_flush(st);
	f->event_rows_s = EVENTS / (now() - t0);
	kc_store_free(st);
	return rc;
}

/* `kubecomply audit` of the example node into where, AUDITS times; seconds per audit. */
static double audit_cli(const char *bin, const char *where)
{
	double t0 = now();
	for (int i = 0; i < AUDITS; i++) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
				_exit(126);
			execl(bin, bin, "audit", "--root", "examples/node-kubeadm", "--db", where, "--quiet", (char *)NULL);
			_exit(127);
		}
		int status;
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
			return -1;
	}
	return (now() - t0) / AUDITS;
}

int main(void)
{
	const char *bin = getenv("KC_BIN") ? getenv("KC_BIN") : "build/kubecomply";
	setvbuf(stdout, NULL, _IOLBF, 0); /* children fork from here */
	char dir[] = "/tmp/kcbench-store-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char db[128], cli_db[128];
	snprintf(db, sizeof(db), "%s/bench.db", dir);
	snprintf(cli_db, sizeof(cli_db), "%s/cli.db", dir);
	struct figures sq = { 0 }, pg = { 0 };
	if (measure(db, &sq) < 0 || (sq.audit_s = audit_cli(bin, cli_db)) < 0) {
		fprintf(stderr, "bench_store: sqlite: %s\n", kc_error_last());
		return 1;
	}
	printf("sqlite    runs %9.0f rows/s   events %9.0f rows/s   audit (CLI) %6.3f s   (baseline)\n",
	       sq.run_rows_s, sq.event_rows_s, sq.audit_s);
	const char *why = NULL;
	struct kc_pg *server = kc_pg_start(&why);
	if (!server) {
		printf("postgres  kc-skip: %s\n", why);
	} else {
		char url[1024];
		snprintf(url, sizeof(url), "%s", kc_pg_new_db(server, "bench"));
		const char *cli_url = kc_pg_new_db(server, "bench_cli");
		if (measure(url, &pg) < 0 || (pg.audit_s = audit_cli(bin, cli_url)) < 0) {
			fprintf(stderr, "bench_store: postgres: %s\n", kc_error_last());
			kc_pg_stop(server);
			return 1;
		}
		printf("postgres  runs %9.0f rows/s   events %9.0f rows/s   audit (CLI) %6.3f s\n", pg.run_rows_s,
		       pg.event_rows_s, pg.audit_s);
		printf("postgres/sqlite: runs %.2fx, events %.2fx the rows/s; audit %.2fx the time\n",
		       pg.run_rows_s / sq.run_rows_s, pg.event_rows_s / sq.event_rows_s, pg.audit_s / sq.audit_s);
		kc_pg_stop(server);
	}
	char rm[160];
	/* the directory holds only our files */
	static const char *const files[] = { "bench.db", "bench.db-wal", "bench.db-shm", "cli.db", "cli.db-wal", "cli.db-shm" };
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(rm, sizeof(rm), "%s/%s", dir, files[i]);
		unlink(rm);
	}
	rmdir(dir);
	return 0;
}
