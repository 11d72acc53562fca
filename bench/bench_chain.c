/* The cost of the evidence chain per run, end to end through the CLI (docs/evidence.md):
 * ROUNDS audits of the example kubeadm node into one store (each run is hashed once when it is
 * sealed), then `kubecomply verify` over that store (which hashes every run again) against
 * `verify` over a store holding one run, in the same run of the bench. The difference divided
 * by the runs added is the hashing cost of one run; printed as a share of one audit's time.
 * Target: under 5 %. No timed assertions: it prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 40
#define VERIFY_ROUNDS 5

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double child_cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* Runs the binary with argv, output to /dev/null; exits the bench when it did not run. */
static void run(char *const argv[], int ok_codes_mask)
{
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || !(ok_codes_mask & (1 << WEXITSTATUS(status)))) {
		fprintf(stderr, "bench_chain: %s %s failed (status %d)\n", argv[0], argv[1], status);
		exit(2);
	}
}

struct cost { double wall, cpu; };

static struct cost timed_verify(char *bin, char *db)
{
	char *argv[] = { bin, "verify", "--db", db, "--quiet", NULL };
	struct cost c = { 0 };
	for (int i = 0; i < VERIFY_ROUNDS; i++) {
		double w = now_ms(), u = child_cpu_ms();
		run(argv, 1 << 0);
		c.wall += now_ms() - w;
		c.cpu += child_cpu_ms() - u;
	}
	c.wall /= VERIFY_ROUNDS;
	c.cpu /= VERIFY_ROUNDS;
	return c;
}

int main(void)
{
	char *bin = getenv("KC_BIN") ? getenv("KC_BIN") : "build/kubecomply";
	char dir[] = "/tmp/kc-bench-chain-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	char one[256], many[256];
	snprintf(one, sizeof(one), "%s/one.db", dir);
	snprintf(many, sizeof(many), "%s/many.db", dir);
	char *audit1[] = { bin, "audit", "--root", "examples/node-kubeadm", "--db", one, "--quiet", NULL };
	run(audit1, 1 << 0 | 1 << 1);

	/* baseline: what an audit costs (exit 1 is the gate tripping on the example's findings) */
	char *audit[] = { bin, "audit", "--root", "examples/node-kubeadm", "--db", many, "--quiet", NULL };
	struct cost a = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		double w = now_ms(), u = child_cpu_ms();
		run(audit, 1 << 0 | 1 << 1);
		a.wall += now_ms() - w;
		a.cpu += child_cpu_ms() - u;
	}
	a.wall /= ROUNDS;
	a.cpu /= ROUNDS;

	struct cost v1 = timed_verify(bin, one), vn = timed_verify(bin, many);
	/* many.db holds ROUNDS runs, one.db one: the difference is ROUNDS - 1 runs hashed */
	double per_run_wall = (vn.wall - v1.wall) / (ROUNDS - 1), per_run_cpu = (vn.cpu - v1.cpu) / (ROUNDS - 1);
	if (per_run_wall < 0)
		per_run_wall = 0;
	if (per_run_cpu < 0)
		per_run_cpu = 0;
	printf("audit of examples/node-kubeadm: %.2f ms wall, %.2f ms CPU per run (%d runs)\n", a.wall, a.cpu, ROUNDS);
	printf("verify, 1 run: %.2f ms wall, %.2f ms CPU; %d runs: %.2f ms wall, %.2f ms CPU\n", v1.wall, v1.cpu, ROUNDS,
	       vn.wall, vn.cpu);
	printf("hashing one run (read back, canonical form, SHA-256): %.3f ms wall, %.3f ms CPU\n", per_run_wall,
	       per_run_cpu);
	printf("ratio hashing/audit: %.2f%% wall, %.2f%% CPU (target < 5%%)\n", 100.0 * per_run_wall / a.wall,
	       100.0 * per_run_cpu / (a.cpu > 0 ? a.cpu : 1));
	char rm[300];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) != 0)
		fprintf(stderr, "bench_chain: could not remove %s\n", dir);
	return 0;
}
