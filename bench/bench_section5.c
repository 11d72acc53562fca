/* Section 5 end to end through the CLI, in every input shape a CI gate is fed: a generated
 * cluster of 10,000 namespaces and 100,000 pods (about 30% of them failing some check), with
 * a ServiceAccount, Role, RoleBinding and (in nine namespaces of ten) a NetworkPolicy each, as
 *   dir     one manifest file per namespace (a GitOps repository),
 *   multi   one multi-document YAML file (`helm template`, `kubectl get -o yaml` of lists),
 *   list    one JSON List (`kubectl get pods,... -A -o json`),
 *   api     LIST pages from an HTTP API server on loopback (limit/continue pagination),
 * each audited by `kubecomply audit ... --db --json` in its own process: CPU time (user +
 * sys) and peak RSS are the child's, from wait4. The ratio column is against the first shape
 * measured in the same run. Target (issue 13): under 5 s CPU and 512 MiB in every shape.
 * Usage: bench_section5 [scale-percent] (default 100 = 10,000 namespaces). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/yaml.h"

#define PODS_PER_NS 10

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One namespace: the Namespace, a ServiceAccount, a Role and its RoleBinding, ten pods (three
 * in ten insecure in some way), and a NetworkPolicy in most namespaces. */
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
		int bad = k % 10 == 3 || k % 10 == 5 || k % 10 == 7;
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

/* ---- the API shape: LIST pages served from memory ---- */

struct collection {
	const char *path;           /* "/api/v1/pods" */
	const char *list_kind;
	struct kc_buf *items;       /* each item's JSON without kind, as a LIST returns it */
	size_t n, cap;
};

static struct collection cols[] = {
	{ "/api/v1/namespaces", "NamespaceList", NULL, 0, 0 },
	{ "/api/v1/serviceaccounts", "ServiceAccountList", NULL, 0, 0 },
	{ "/apis/rbac.authorization.k8s.io/v1/roles", "RoleList", NULL, 0, 0 },
	{ "/apis/rbac.authorization.k8s.io/v1/rolebindings", "RoleBindingList", NULL, 0, 0 },
	{ "/apis/networking.k8s.io/v1/networkpolicies", "NetworkPolicyList", NULL, 0, 0 },
	{ "/api/v1/pods", "PodList", NULL, 0, 0 },
};
static const char *const col_kinds[] = { "Namespace", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "Pod" };
#define NCOLS (sizeof(cols) / sizeof(*cols))

static void col_add(const char *kind, struct json_object *o)
{
	for (size_t i = 0; i < NCOLS; i++)
		if (strcmp(kind, col_kinds[i]) == 0) {
			struct collection *c = &cols[i];
			json_object_object_del(o, "kind");
			c->items = kc_array_grow(c->items, &c->cap, c->n + 1, sizeof(*c->items));
			c->items[c->n] = (struct kc_buf)KC_BUF_INIT;
			kc_buf_puts(&c->items[c->n++], json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		}
}

static void respond(int fd, const char *target)
{
	char path[512];
	long limit = 500, start = 0;
	snprintf(path, sizeof(path), "%s", target);
	char *q = strchr(path, '?');
	if (q) {
		*q++ = '\0';
		for (char *tok = strtok(q, "&"); tok; tok = strtok(NULL, "&")) {
			if (strncmp(tok, "limit=", 6) == 0)
				limit = atol(tok + 6);
			else if (strncmp(tok, "continue=", 9) == 0)
				start = atol(tok + 9);
		}
	}
	struct kc_buf body = KC_BUF_INIT, head = KC_BUF_INIT;
	const struct collection *c = NULL;
	for (size_t i = 0; i < NCOLS; i++)
		if (strcmp(path, cols[i].path) == 0)
			c = &cols[i];
	size_t n = c ? c->n : 0, end = (size_t)start + (size_t)limit < n ? (size_t)start + (size_t)limit : n;
	kc_buf_printf(&body, "{\"kind\":\"%s\",\"apiVersion\":\"v1\",\"metadata\":{%s", c ? c->list_kind : "List",
		      end < n ? "\"continue\":\"" : "");
	if (end < n)
		kc_buf_printf(&body, "%zu\"", end);
	kc_buf_puts(&body, "},\"items\":[");
	for (size_t i = (size_t)start; i < end; i++) {
		if (i > (size_t)start)
			kc_buf_puts(&body, ",");
		kc_buf_add(&body, c->items[i].ptr, c->items[i].len);
	}
	kc_buf_puts(&body, "]}");
	kc_buf_printf(&head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", body.len);
	/* a client that went away ends the connection at its next read */
	if (write(fd, head.ptr, head.len) == (ssize_t)head.len)
		(void)!write(fd, body.ptr, body.len);
	kc_buf_clear(&body);
	kc_buf_clear(&head);
}

static void *serve_conn(void *arg)
{
	int fd = (int)(long)arg;
	char buf[8192];
	size_t have = 0;
	for (;;) {
		ssize_t got = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (got <= 0)
			break;
		have += (size_t)got;
		buf[have] = '\0';
		char *end;
		while ((end = strstr(buf, "\r\n\r\n"))) {
			char target[1024] = "";
			sscanf(buf, "GET %1023s", target);
			respond(fd, target);
			size_t used = (size_t)(end + 4 - buf);
			memmove(buf, buf + used, have - used + 1);
			have -= used;
		}
	}
	close(fd);
	return NULL;
}

static void serve(int lfd)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_t t;
		if (pthread_create(&t, NULL, serve_conn, (void *)(long)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
}

/* ---- generation ---- */

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len) {
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

/* Writes the dir, multi and list shapes and fills the API collections. */
static int generate(const char *root, unsigned nns, size_t bytes[3])
{
	struct kc_buf b = KC_BUF_INIT, path = KC_BUF_INIT;
	char p[512];
	snprintf(p, sizeof(p), "%s/dir", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/multi.yaml", root);
	FILE *multi = fopen(p, "w");
	snprintf(p, sizeof(p), "%s/list.json", root);
	FILE *list = fopen(p, "w");
	if (!multi || !list)
		return -1;
	fputs("{\"apiVersion\":\"v1\",\"items\":[\n", list);
	size_t nitems = 0;
	bytes[0] = bytes[1] = bytes[2] = 0;
	for (unsigned n = 0; n < nns; n++) {
		if (n % 1000 == 0) {
			kc_buf_reset(&path);
			kc_buf_printf(&path, "%s/dir/group-%02u", root, n / 1000);
			mkdir(path.ptr, 0755);
		}
		kc_buf_reset(&b);
		gen_namespace(&b, n);
		kc_buf_reset(&path);
		kc_buf_printf(&path, "%s/dir/group-%02u/ns-%05u.yaml", root, n / 1000, n);
		if (write_file(path.ptr, b.ptr, b.len) < 0)
			return -1;
		bytes[0] += b.len;
		fprintf(multi, "%s---\n", b.ptr);
		bytes[1] += b.len + 4;
		struct kc_yaml y;
		if (kc_yaml_load(&y, "gen", b.ptr, b.len) < 0)
			return -1;
		for (size_t d = 0; d < y.ndocs; d++) {
			struct json_object *o = NULL;
			kc_yaml_to_json(&y.docs[d], kc_yaml_root(&y, d), 1000000, &o);
			const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_PRETTY);
			bytes[2] += (size_t)fprintf(list, "%s%s", nitems++ ? ",\n" : "", s);
			struct json_object *k;
			if (json_object_object_get_ex(o, "kind", &k))
				col_add(json_object_get_string(k), o);
			json_object_put(o);
		}
		kc_yaml_clear(&y);
	}
	fputs("\n],\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"}}\n", list);
	fclose(multi);
	fclose(list);
	kc_buf_clear(&b);
	kc_buf_clear(&path);
	return 0;
}

/* ---- measuring ---- */

struct shape {
	const char *name, *desc;
	char arg[600];              /* --manifests PATH or --kubeconfig FILE */
	int api;
	double mb;
};

static int measure(const char *bin, const char *root, struct shape *s, double *wall, double *cpu, long *rss_mb,
		   int *exit_code)
{
	char db[600], json[600];
	snprintf(db, sizeof(db), "%s/%s.db", root, s->name);
	snprintf(json, sizeof(json), "%s/%s.report.json", root, s->name);
	unlink(db);
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execl(bin, bin, "audit", s->api ? "--kubeconfig" : "--manifests", s->arg, "--db", db, "--json", json,
		      "--quiet", (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return -1;
	*wall = now() - t0;
	*cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
	*rss_mb = ru.ru_maxrss / 1024;
	*exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	struct stat st;
	return stat(json, &st) == 0 && st.st_size > 0 ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	int pct = argc > 1 ? atoi(argv[1]) : 100;
	unsigned nns = (unsigned)(10000L * (pct > 0 ? pct : 100) / 100);
	const char *bin = getenv("KC_BIN") ? getenv("KC_BIN") : "build/kubecomply";
	char root[] = "/tmp/kc-bench-s5-XXXXXX";
	if (!mkdtemp(root))
		return 1;
	size_t bytes[3];
	double g0 = now();
	if (generate(root, nns, bytes) < 0) {
		fprintf(stderr, "generate: %s\n", strerror(errno));
		return 1;
	}
	/* the API server: a child process serving the collections on loopback */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sa);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &slen) < 0)
		return 1;
	pid_t server = fork();
	if (server == 0) {
		serve(lfd);
		_exit(0);
	}
	close(lfd);
	char kubeconfig[600];
	snprintf(kubeconfig, sizeof(kubeconfig), "%s/kubeconfig", root);
	struct kc_buf kc = KC_BUF_INIT;
	kc_buf_printf(&kc, "apiVersion: v1\nkind: Config\ncurrent-context: bench\nclusters:\n- name: bench\n"
		      "  cluster: {server: 'http://127.0.0.1:%u'}\nusers:\n- name: bench\n  user: {token: bench-token}\n"
		      "contexts:\n- name: bench\n  context: {cluster: bench, user: bench}\n", ntohs(sa.sin_port));
	write_file(kubeconfig, kc.ptr, kc.len);
	kc_buf_clear(&kc);

	struct shape shapes[4] = {
		{ "dir", "one file per namespace", "", 0, (double)bytes[0] / 1e6 },
		{ "multi", "one multi-document YAML file", "", 0, (double)bytes[1] / 1e6 },
		{ "list", "one JSON List", "", 0, (double)bytes[2] / 1e6 },
		{ "api", "LIST pages over HTTP (limit 500)", "", 1, (double)bytes[2] / 1e6 },
	};
	snprintf(shapes[0].arg, sizeof(shapes[0].arg), "%s/dir", root);
	snprintf(shapes[1].arg, sizeof(shapes[1].arg), "%s/multi.yaml", root);
	snprintf(shapes[2].arg, sizeof(shapes[2].arg), "%s/list.json", root);
	snprintf(shapes[3].arg, sizeof(shapes[3].arg), "%s", kubeconfig);

	double load1[3];
	getloadavg(load1, 3);
	printf("section 5 end to end (kubecomply audit --db --json): %u namespaces, %u pods (30%% failing), "
	       "%ld cores, load average %.2f; generated in %.1f s\n", nns, nns * PODS_PER_NS,
	       sysconf(_SC_NPROCESSORS_ONLN), load1[0], now() - g0);
	printf("%-6s %-34s %8s %8s %8s %9s %6s %6s\n", "shape", "", "MB in", "wall s", "cpu s", "peak RSS",
	       "ratio", "exit");
	int rc = 0;
	double base = 0;
	for (size_t i = 0; i < 4; i++) {
		double wall = 0, cpu = 0;
		long rss = 0;
		int code = -1;
		if (measure(bin, root, &shapes[i], &wall, &cpu, &rss, &code) < 0) {
			fprintf(stderr, "%s: the audit wrote no report (exit %d)\n", shapes[i].name, code);
			rc = 1;
			continue;
		}
		if (i == 0)
			base = cpu;
		printf("%-6s %-34s %8.1f %8.2f %8.2f %6ld MB %6.2f %6d\n", shapes[i].name, shapes[i].desc, shapes[i].mb,
		       wall, cpu, rss, base > 0 ? cpu / base : 0, code);
		fflush(stdout);
	}
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	if (getenv("KC_BENCH_KEEP")) /* for profiling one shape by hand */
		fprintf(stderr, "inputs kept in %s\n", root);
	else if (nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		rc = 1;
	return rc;
}
