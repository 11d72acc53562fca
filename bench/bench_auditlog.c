/* Audit-log throughput: a generated log that looks like a busy cluster (kubelets, controllers,
 * watches, health checks; a few incidents), read end to end by the follower (read, header
 * scan, rules, full parse where a rule may fire, SQLite commit) against the raw json-c parse
 * of the same file, in the same run. Asserts the findings equal those of a full parse of
 * every event. Usage: bench_auditlog [events] (default 500000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "auditlog/follow.h"
#include "auditlog/proc.h"
#include "auditlog/rules.h"
#include "store/store.h"
#include "common/error.h"
#include "common/strbuf.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned long long rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void ts(struct kc_buf *b, long i)
{
	long s = i / 2000; /* ~2000 events per second of cluster time */
	kc_buf_printf(b, "\"requestReceivedTimestamp\":\"2024-05-01T%02ld:%02ld:%02ld.%06ldZ\","
		      "\"stageTimestamp\":\"2024-05-01T%02ld:%02ld:%02ld.%06ldZ\"",
		      (s / 3600) % 24, (s / 60) % 60, s % 60, (i % 2000) * 500,
		      (s / 3600) % 24, (s / 60) % 60, s % 60, (i % 2000) * 500 + 120);
}

static void head(struct kc_buf *b, long i, const char *level, const char *stage, const char *verb,
		 const char *user, const char *groups, const char *ip, const char *ua)
{
	kc_buf_printf(b, "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"%s\","
		      "\"auditID\":\"%08lx-1c2d-4e5f-8a9b-%012lx\",\"stage\":\"%s\",\"verb\":\"%s\","
		      "\"user\":{\"username\":\"%s\",\"groups\":[%s]},\"sourceIPs\":[\"%s\"],\"userAgent\":\"%s\",",
		      level, i * 2654435761UL % 0xffffffffUL, i, stage, verb, user, groups, ip, ua);
}

static void tail_(struct kc_buf *b, long i, int code, const char *decision)
{
	kc_buf_printf(b, "\"responseStatus\":{\"metadata\":{},\"code\":%d},", code);
	ts(b, i);
	kc_buf_printf(b, ",\"annotations\":{\"authorization.k8s.io/decision\":\"%s\","
		      "\"authorization.k8s.io/reason\":\"RBAC: allowed by ClusterRoleBinding \\\"system:node\\\"\"}}\n",
		      decision);
}

/* One event of system noise. */
static void noise(struct kc_buf *b, long i)
{
	unsigned node = rnd(200), k = rnd(100);
	char user[96], uri[256];
	if (k < 35) { /* kubelet lease renewal, with the lease body at RequestResponse */
		snprintf(user, sizeof(user), "system:node:ip-10-0-%u-%u.ec2.internal", node / 10, node);
		head(b, i, "RequestResponse", "ResponseComplete", "update", user,
		     "\"system:nodes\",\"system:authenticated\"", "10.0.3.17", "kubelet/v1.29.3 (linux/amd64) kubernetes/6813625");
		kc_buf_printf(b, "\"requestURI\":\"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/ip-10-0-%u\","
			      "\"objectRef\":{\"resource\":\"leases\",\"namespace\":\"kube-node-lease\",\"name\":\"ip-10-0-%u\","
			      "\"apiGroup\":\"coordination.k8s.io\",\"apiVersion\":\"v1\"},", node, node);
		kc_buf_printf(b, "\"requestObject\":{\"kind\":\"Lease\",\"apiVersion\":\"coordination.k8s.io/v1\",\"metadata\":"
			      "{\"name\":\"ip-10-0-%u\",\"namespace\":\"kube-node-lease\",\"resourceVersion\":\"%ld\"},\"spec\":"
			      "{\"holderIdentity\":\"ip-10-0-%u\",\"leaseDurationSeconds\":40,\"renewTime\":\"2024-05-01T10:00:00.000000Z\"}},"
			      "\"responseObject\":{\"kind\":\"Lease\",\"apiVersion\":\"coordination.k8s.io/v1\",\"metadata\":"
			      "{\"name\":\"ip-10-0-%u\",\"namespace\":\"kube-node-lease\",\"resourceVersion\":\"%ld\"},\"spec\":"
			      "{\"holderIdentity\":\"ip-10-0-%u\",\"leaseDurationSeconds\":40}},", node, i, node, node, i + 1, node);
		tail_(b, i, 200, "allow");
	} else if (k < 60) { /* controllers and add-ons watching and listing */
		static const char *const sa[] = { "replicaset-controller", "endpointslice-controller", "coredns",
						  "kube-proxy", "namespace-controller", "generic-garbage-collector" };
		static const char *const res[] = { "pods", "endpointslices", "services", "configmaps", "nodes", "replicasets" };
		snprintf(user, sizeof(user), "system:serviceaccount:kube-system:%s", sa[rnd(6)]);
		const char *r = res[rnd(6)];
		int watch = rnd(2);
		head(b, i, "Metadata", watch ? "ResponseStarted" : "ResponseComplete", watch ? "watch" : "list", user,
		     "\"system:serviceaccounts\",\"system:serviceaccounts:kube-system\",\"system:authenticated\"",
		     "10.0.27.115", "kube-controller-manager/v1.29.3 (linux/amd64) kubernetes/6813625/system:serviceaccount:kube-system:replicaset-controller");
		snprintf(uri, sizeof(uri), "/api/v1/%s?allowWatchBookmarks=true&resourceVersion=%ld&timeout=7m2s&watch=%s", r, i,
			 watch ? "true" : "false");
		kc_buf_printf(b, "\"requestURI\":\"%s\",\"objectRef\":{\"resource\":\"%s\",\"apiVersion\":\"v1\"},", uri, r);
		tail_(b, i, 200, "allow");
	} else if (k < 80) { /* kubelets reading what their pods need, including secrets */
		snprintf(user, sizeof(user), "system:node:ip-10-0-%u-%u.ec2.internal", node / 10, node);
		const char *r = rnd(3) == 0 ? "secrets" : rnd(2) ? "configmaps" : "pods";
		head(b, i, "Metadata", "ResponseComplete", "get", user, "\"system:nodes\",\"system:authenticated\"",
		     "10.0.3.17", "kubelet/v1.29.3 (linux/amd64) kubernetes/6813625");
		kc_buf_printf(b, "\"requestURI\":\"/api/v1/namespaces/app-%u/%s/obj-%u\",\"objectRef\":{\"resource\":\"%s\","
			      "\"namespace\":\"app-%u\",\"name\":\"obj-%u\",\"apiVersion\":\"v1\"},", k, r, node, r, k, node);
		tail_(b, i, 200, "allow");
	} else if (k < 92) { /* node status patches */
		snprintf(user, sizeof(user), "system:node:ip-10-0-%u-%u.ec2.internal", node / 10, node);
		head(b, i, "Request", "ResponseComplete", "patch", user, "\"system:nodes\",\"system:authenticated\"",
		     "10.0.3.17", "kubelet/v1.29.3 (linux/amd64) kubernetes/6813625");
		kc_buf_printf(b, "\"requestURI\":\"/api/v1/nodes/ip-10-0-%u/status?timeout=10s\",\"objectRef\":{\"resource\":"
			      "\"nodes\",\"name\":\"ip-10-0-%u\",\"subresource\":\"status\",\"apiVersion\":\"v1\"},"
			      "\"requestObject\":{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
			      "\"lastHeartbeatTime\":\"2024-05-01T10:00:00Z\",\"reason\":\"KubeletReady\",\"message\":"
			      "\"kubelet is posting ready status\"}]}},", node, node);
		tail_(b, i, 200, "allow");
	} else if (k < 97) { /* the scheduler binding pods */
		head(b, i, "Metadata", "ResponseComplete", "create", "system:kube-scheduler", "\"system:authenticated\"",
		     "10.0.1.5", "kube-scheduler/v1.29.3 (linux/amd64) kubernetes/6813625/scheduler");
		kc_buf_printf(b, "\"requestURI\":\"/api/v1/namespaces/app-%u/pods/web-%ld/binding\",\"objectRef\":{\"resource\":"
			      "\"pods\",\"namespace\":\"app-%u\",\"name\":\"web-%ld\",\"subresource\":\"binding\",\"apiVersion\":\"v1\"},",
			      k, i, k, i);
		tail_(b, i, 201, "allow");
	} else { /* health checks */
		head(b, i, "Metadata", "ResponseComplete", "get", "system:anonymous", "\"system:unauthenticated\"",
		     "10.0.0.2", "kube-probe/1.29");
		kc_buf_printf(b, "\"requestURI\":\"/livez\",");
		tail_(b, i, 200, "allow");
	}
}

/* One incident (about 1 in 2000 events). */
static void incident(struct kc_buf *b, long i)
{
	unsigned k = rnd(8);
	switch (k) {
	case 0:
		head(b, i, "Request", "ResponseStarted", rnd(2) ? "create" : "get", "alice@example.com",
		     "\"devs\",\"system:authenticated\"", "203.0.113.9", "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b");
		kc_buf_printf(b, "\"requestURI\":\"/api/v1/namespaces/kube-system/pods/etcd-0/exec?command=sh&stdin=true\","
			      "\"objectRef\":{\"resource\":\"pods\",\"namespace\":\"kube-system\",\"name\":\"etcd-0\","
			      "\"subresource\":\"exec\",\"apiVersion\":\"v1\"},");
		tail_(b, i, 101, "allow");
		break;
	case 1:
		head(b, i, "RequestResponse", "ResponseComplete", "create", "bob@example.com", "\"system:authenticated\"",
		     "203.0.113.10", "kubectl/v1.30.0");
		kc_buf_printf(b, "\"requestURI\":\"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings\",\"objectRef\":{"
			      "\"resource\":\"clusterrolebindings\",\"name\":\"b-%ld\",\"apiGroup\":\"rbac.authorization.k8s.io\"},"
			      "\"requestObject\":{\"kind\":\"ClusterRoleBinding\",\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":"
			      "\"cluster-admin\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"bob@example.com\"}]},", i);
		tail_(b, i, 201, "allow");
		break;
	case 2:
		head(b, i, "Metadata", "ResponseComplete", "list", "carol@example.com", "\"system:authenticated\"",
		     "198.51.100.4", "kubectl/v1.30.0");
		kc_buf_printf(b, "\"requestURI\":\"/api/v1/secrets\",\"objectRef\":{\"resource\":\"secrets\",\"apiVersion\":\"v1\"},");
		tail_(b, i, 200, "allow");
		break;
	case 3:
		head(b, i, "Metadata", "ResponseComplete", "get", "system:anonymous", "\"system:unauthenticated\"",
		     "198.51.100.77", "python-requests/2.31.0");
		kc_buf_printf(b, "\"requestURI\":\"/api/v1/namespaces/default/pods\",\"objectRef\":{\"resource\":\"pods\","
			      "\"namespace\":\"default\"},");
		tail_(b, i, 200, "allow");
		break;
	case 4:
		head(b, i, "RequestResponse", "ResponseComplete", "create", "dave@example.com", "\"system:authenticated\"",
		     "203.0.113.11", "kubectl/v1.30.0");
		kc_buf_printf(b, "\"requestURI\":\"/api/v1/namespaces/default/pods\",\"objectRef\":{\"resource\":\"pods\","
			      "\"namespace\":\"default\",\"name\":\"p-%ld\"},\"requestObject\":{\"kind\":\"Pod\",\"spec\":{"
			      "\"hostPID\":true,\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"securityContext\":"
			      "{\"privileged\":true}}],\"volumes\":[{\"name\":\"root\",\"hostPath\":{\"path\":\"/\"}}]}},", i);
		tail_(b, i, 201, "allow");
		break;
	case 5:
	case 6:
		head(b, i, "Metadata", "ResponseComplete", "list", "erin@example.com", "\"system:authenticated\"",
		     "203.0.113.12", "kubectl/v1.30.0");
		kc_buf_printf(b, "\"requestURI\":\"/api/v1/namespaces/prod/secrets\",\"objectRef\":{\"resource\":\"secrets\","
			      "\"namespace\":\"prod\"},");
		tail_(b, i, 403, "forbid");
		break;
	default:
		head(b, i, "Metadata", "ResponseComplete", "get", "system:admin", "\"system:masters\",\"system:authenticated\"",
		     "127.0.0.1", "kubectl/v1.30.0");
		kc_buf_printf(b, "\"impersonatedUser\":{\"username\":\"frank\",\"groups\":[\"system:authenticated\"]},"
			      "\"requestURI\":\"/api/v1/namespaces/default/pods\",\"objectRef\":{\"resource\":\"pods\","
			      "\"namespace\":\"default\"},");
		tail_(b, i, 200, "allow");
	}
}

/* Findings as sorted "rule audit_id" lines. */
struct flist {
	char **v;
	size_t n, cap;
};

static void on_finding(void *payload, const struct kc_finding *f, const struct kc_audit_event *ev)
{
	struct flist *l = payload;
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s %s", f->rule, ev->f[KC_AF_AUDIT_ID] ? ev->f[KC_AF_AUDIT_ID] : "-");
	l->v = kc_array_grow(l->v, &l->cap, l->n + 1, sizeof(char *));
	l->v[l->n++] = kc_buf_detach(&b);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 500000;
	const char *tmp = getenv("TMPDIR");
	char dir[512], log[600], db[600];
	snprintf(dir, sizeof(dir), "%s/kcbench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 2;
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	snprintf(db, sizeof(db), "%s/kc.db", dir);

	FILE *f = fopen(log, "w");
	struct kc_buf b = KC_BUF_INIT;
	long incidents = 0;
	for (long i = 0; i < n; i++) {
		kc_buf_reset(&b);
		if (rnd(2000) == 0) {
			incident(&b, i);
			incidents++;
		} else {
			noise(&b, i);
		}
		fwrite(b.ptr, 1, b.len, f);
	}
	long size = ftell(f);
	fclose(f);
	kc_buf_clear(&b);
	printf("log: %ld events (%ld incidents), %.1f MB, %.0f bytes/event\n", n, incidents, size / 1e6,
	       (double)size / (double)n);

	/* 1. raw json-c parse of every line (the file already in the page cache) */
	FILE *in = fopen(log, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long parsed = 0;
	struct json_tokener *tok = json_tokener_new();
	double t0 = now();
	while ((len = getline(&line, &cap, in)) > 0) {
		json_tokener_reset(tok);
		struct json_object *o = json_tokener_parse_ex(tok, line, (int)len);
		parsed += o != NULL;
		json_object_put(o);
	}
	double raw = now() - t0;
	json_tokener_free(tok);
	fclose(in);

	/* 2. end to end: follower, header scan, rules, SQLite (a fresh store) */
	struct kc_audit_rules *rules = NULL;
	struct kc_store *st = NULL;
	struct kc_auditlog_proc *p = NULL;
	struct flist fast = { 0 }, full = { 0 };
	if (kc_audit_rules_load("policies/runtime/audit-rules.yaml", &rules) < 0 || kc_store_open(db, &st) < 0 ||
	    kc_auditlog_proc_new(st, 0, rules, &p) < 0) {
		fprintf(stderr, "bench: %s\n", kc_error_last());
		return 2;
	}
	kc_auditlog_proc_on_finding(p, on_finding, &fast);
	struct kc_auditlog_follow_opts fo = { .path = log, .once = 1 };
	t0 = now();
	if (kc_auditlog_follow(st, p, &fo) < 0) {
		fprintf(stderr, "bench: %s\n", kc_error_last());
		return 2;
	}
	double e2e = now() - t0;
	struct kc_auditlog_stats s = *kc_auditlog_proc_stats(p);
	kc_auditlog_proc_free(p);
	kc_store_free(st);

	/* 3. reference: every event fully parsed with json-c, same rules and dedup, no store */
	kc_auditlog_proc_new(NULL, 0, rules, &p);
	kc_auditlog_proc_set_full(p, 1);
	kc_auditlog_proc_on_finding(p, on_finding, &full);
	in = fopen(log, "r");
	t0 = now();
	while ((len = getline(&line, &cap, in)) > 0)
		kc_auditlog_proc_line(p, line, (size_t)len);
	double ref = now() - t0;
	fclose(in);
	free(line);
	kc_auditlog_proc_free(p);

	qsort(fast.v, fast.n, sizeof(char *), cmp);
	qsort(full.v, full.n, sizeof(char *), cmp);
	int same = fast.n == full.n;
	for (size_t i = 0; same && i < fast.n; i++)
		same = strcmp(fast.v[i], full.v[i]) == 0;

	double raw_rate = (double)n / raw, e2e_rate = (double)n / e2e, ref_rate = (double)n / ref;
	printf("raw json-c parse:            %9.0f events/s (%.2f s)\n", raw_rate, raw);
	printf("end to end (read, scan, rules, SQLite commit): %9.0f events/s (%.2f s)\n", e2e_rate, e2e);
	printf("full parse + rules, no store: %9.0f events/s (%.2f s)\n", ref_rate, ref);
	printf("ratio end-to-end / raw parse: %.2fx\n", e2e_rate / raw_rate);
	printf("decided on the header scan: %.2f%%, parsed fully: %llu, recorded: %llu, findings: %llu\n",
	       100.0 * (double)s.scanned / (double)s.events, (unsigned long long)s.parsed,
	       (unsigned long long)s.recorded, (unsigned long long)s.findings);
	printf("findings equal to the full parse of every event: %s (%zu vs %zu)\n", same ? "yes" : "NO", fast.n, full.n);
	printf("target 200000 events/s end to end: %s\n", e2e_rate >= 200000 ? "met" : "MISSED");

	for (size_t i = 0; i < fast.n; i++)
		free(fast.v[i]);
	for (size_t i = 0; i < full.n; i++)
		free(full.v[i]);
	free(fast.v);
	free(full.v);
	kc_audit_rules_free(rules);
	unlink(log);
	unlink(db);
	char side[700];
	snprintf(side, sizeof(side), "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
	rmdir(dir);
	return same && fast.n > 0 && parsed == n ? 0 : 1;
}
