/* Section 5 at scale: a generated cluster of 10,000 namespaces, 100,000 pods and 20,000 RBAC
 * objects (one manifest file per namespace, as a GitOps repository holds them) is loaded and
 * every section-5 query decided, at 1x, 2x and 4x. Each scale runs in a child process so that
 * its peak RSS is its own. Usage: bench_section5 [max-scale] (default 4). Target at 1x on two
 * cores: under 5 s and under 1 GiB. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checks/k8s/cluster.h"
#include "store/result.h"
#include "checks/section5/providers.h"
#include "common/error.h"
#include "common/strbuf.h"

#define NS_PER_SCALE 10000
#define PODS_PER_NS 10

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One namespace: the Namespace, a ServiceAccount, a Role and its RoleBinding, ten pods (one in
 * ten of them insecure in some way), and a NetworkPolicy in most namespaces. */
static void gen_namespace(struct kc_buf *b, unsigned n)
{
	kc_buf_printf(b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-%05u\n  labels:\n"
		      "    team: t%u\n%s", n, n % 97, n % 5 ? "    pod-security.kubernetes.io/enforce: baseline\n" : "");
	kc_buf_printf(b, "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: ns-%05u\n"
		      "automountServiceAccountToken: false\n", n);
	kc_buf_printf(b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: app-reader\n"
		      "  namespace: ns-%05u\nrules:\n  - apiGroups: [\"\"]\n    resources: [\"configmaps\", \"%s\"]\n"
		      "    verbs: [\"get\", \"list\", \"watch\"]\n", n, n % 50 ? "services" : "secrets");
	kc_buf_printf(b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n"
		      "  name: app-reader\n  namespace: ns-%05u\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n"
		      "  kind: Role\n  name: app-reader\nsubjects:\n  - kind: ServiceAccount\n    name: app\n"
		      "    namespace: ns-%05u\n", n, n);
	if (n % 10)
		kc_buf_printf(b, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
			      "  name: default-deny\n  namespace: ns-%05u\nspec:\n  podSelector: {}\n"
			      "  policyTypes: [Ingress, Egress]\n", n);
	for (unsigned p = 0; p < PODS_PER_NS; p++) {
		unsigned k = n * PODS_PER_NS + p;
		int bad = k % 10 == 7;
		kc_buf_printf(b,
			      "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-%u-%05u\n  namespace: ns-%05u\n"
			      "  labels:\n    app: web-%u\n    tier: frontend\nspec:\n  serviceAccountName: app\n"
			      "  automountServiceAccountToken: false\n%s"
			      "  securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001\n"
			      "    seccompProfile:\n      type: RuntimeDefault\n"
			      "  containers:\n    - name: web\n      image: registry.example/web:1.%u\n"
			      "      ports:\n        - containerPort: 8080\n%s"
			      "      env:\n        - name: MODE\n          value: production\n%s"
			      "      resources:\n        limits: {cpu: 500m, memory: 256Mi}\n"
			      "      securityContext:\n        allowPrivilegeEscalation: false\n"
			      "        readOnlyRootFilesystem: true\n%s"
			      "        capabilities:\n          drop: [ALL]\n"
			      "      volumeMounts:\n        - name: tmp\n          mountPath: /tmp\n"
			      "  volumes:\n    - name: tmp\n      emptyDir: {}\n%s",
			      p, n, n, p, bad && k % 3 == 0 ? "  hostNetwork: true\n" : "", p,
			      bad && k % 3 == 1 ? "          hostPort: 8080\n" : "",
			      bad ? "        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef: {name: db, key: password}\n" : "",
			      bad && k % 3 == 2 ? "        privileged: true\n" : "",
			      bad && k % 3 == 0 ? "    - name: logs\n      hostPath: {path: /var/log}\n" : "");
	}
}

static int generate(const char *dir, unsigned nns, size_t *bytes)
{
	struct kc_buf b = KC_BUF_INIT, path = KC_BUF_INIT;
	*bytes = 0;
	for (unsigned n = 0; n < nns; n++) {
		if (n % 1000 == 0) {
			kc_buf_reset(&path);
			kc_buf_printf(&path, "%s/group-%02u", dir, n / 1000);
			mkdir(path.ptr, 0755);
		}
		kc_buf_reset(&b);
		gen_namespace(&b, n);
		kc_buf_reset(&path);
		kc_buf_printf(&path, "%s/group-%02u/ns-%05u.yaml", dir, n / 1000, n);
		FILE *f = fopen(path.ptr, "w");
		if (!f || fwrite(b.ptr, 1, b.len, f) != b.len) {
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		*bytes += b.len;
	}
	kc_buf_free(&b);
	kc_buf_free(&path);
	return 0;
}

/* The measured part, in a child: load, then decide every query. */
static int audit(const char *dir, int out_fd)
{
	/* libyaml and json-c allocate and free a few hundred KB per file; without this, glibc trims
	 * and refaults the worker threads' heaps for every file (a third of the CPU time). A
	 * process setting, so it is the program's to make: the CLI should do the same. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	double t0 = now();
	struct kc_cluster *c = kc_cluster_new();
	if (kc_cluster_load_manifests(c, dir) < 0) {
		fprintf(stderr, "load: %s\n", kc_error_last());
		return 1;
	}
	double t1 = now();
	size_t rows = 0, fails = 0;
	for (const char *const *q = kc_section5_query_names(); *q; q++) {
		struct kc_result r = { 0 };
		enum kc_status st;
		if (kc_section5_query(c, *q, NULL, &r, &st) < 0) {
			fprintf(stderr, "%s: %s\n", *q, kc_error_last());
			return 1;
		}
		rows += r.nevidence;
		fails += st == KC_FAIL;
		kc_result_clear(&r);
	}
	double t2 = now();
	char line[256];
	int n = snprintf(line, sizeof(line), "%zu %.3f %.3f %zu %zu %zu\n", kc_cluster_object_count(c), t1 - t0,
			 t2 - t1, rows, fails, kc_cluster_warning_count(c));
	kc_cluster_free(c);
	return write(out_fd, line, (size_t)n) == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	int max_scale = argc > 1 ? atoi(argv[1]) : 4;
	char tmpl[] = "/tmp/kc-bench-s5-XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	printf("section 5 from manifests: 1x = %d namespaces, %d pods, %d RBAC objects (+ SAs, netpols); %ld cores\n",
	       NS_PER_SCALE, NS_PER_SCALE * PODS_PER_NS, NS_PER_SCALE * 2, sysconf(_SC_NPROCESSORS_ONLN));
	double load1[3];
	getloadavg(load1, 3);
	printf("machine load average before the run: %.2f (timings are wall clock; cpu s = user + sys)\n", load1[0]);
	printf("%5s %9s %9s %8s %8s %8s %8s %9s %10s %9s\n", "scale", "objects", "MB yaml", "load s", "eval s",
	       "total s", "cpu s", "us/object", "peak RSS", "rows");
	int rc = 0;
	for (int s = 1; s <= max_scale; s *= 2) {
		char dir[256];
		snprintf(dir, sizeof(dir), "%s/x%d", tmpl, s);
		mkdir(dir, 0755);
		size_t bytes;
		if (generate(dir, (unsigned)(NS_PER_SCALE * s), &bytes) < 0) {
			fprintf(stderr, "generate: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		int fds[2];
		if (pipe(fds) != 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			_exit(audit(dir, fds[1]));
		}
		close(fds[1]);
		char buf[256] = "";
		ssize_t got = read(fds[0], buf, sizeof(buf) - 1);
		close(fds[0]);
		int status;
		struct rusage ru;
		wait4(pid, &status, 0, &ru);
		size_t objs = 0, rows = 0, fails = 0, warns = 0;
		double load = 0, eval = 0;
		if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
		    sscanf(buf, "%zu %lf %lf %zu %zu %zu", &objs, &load, &eval, &rows, &fails, &warns) != 6) {
			fprintf(stderr, "scale %d failed\n", s);
			rc = 1;
			break;
		}
		double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
			     (double)ru.ru_stime.tv_usec / 1e6;
		printf("%4dx %9zu %9.1f %8.2f %8.2f %8.2f %8.2f %9.2f %7ld MB %9zu\n", s, objs, (double)bytes / 1e6, load,
		       eval, load + eval, cpu, (load + eval) * 1e6 / (double)objs, ru.ru_maxrss / 1024, rows);
		fflush(stdout);
		if (warns)
			fprintf(stderr, "  %zu warnings\n", warns);
	}
	/* the generated trees are removed with nftw-free recursion: one level of groups */
	for (int s = 1; s <= max_scale; s *= 2) {
		char dir[256], sub[300], file[400];
		snprintf(dir, sizeof(dir), "%s/x%d", tmpl, s);
		for (unsigned g = 0; g < (unsigned)(NS_PER_SCALE * s / 1000); g++) {
			snprintf(sub, sizeof(sub), "%s/group-%02u", dir, g);
			for (unsigned n = g * 1000; n < (g + 1) * 1000; n++) {
				snprintf(file, sizeof(file), "%s/ns-%05u.yaml", sub, n);
				unlink(file);
			}
			rmdir(sub);
		}
		rmdir(dir);
	}
	rmdir(tmpl);
	return rc;
}
