/* `--policy-report-apply` against a loopback HTTPS fake API server (a certificate made with the
 * openssl command, libcurl verifying it as the real client does): every part is server-side
 * applied (PATCH, application/apply-patch+yaml, fieldManager=kubecomply, force=true) and
 * stored; stale parts of ours are deleted and nobody else's are touched (other tools, other
 * benchmarks, another node whose name extends ours); a second apply changes nothing;
 * an API refusal stops with its message; a namespace that is not a DNS name never becomes a
 * request path. The fake server keeps objects by path and filters LISTs by the label
 * selector as the API server does. */
#include "kc_test.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/k8s/client.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/policyreport.h"
#include "report_fixture.h"

#define TOKEN "kc-apply-token-0123456789"
#define MAXOBJ 256

struct obj {
	char *path;   /* /apis/.../namespaces/ns/policyreports/name or .../clusterpolicyreports/name */
	char *json;
};

static struct {
	int fd, port;
	SSL_CTX *ctx;
	pthread_t thread;
	atomic_int stop;
	pthread_mutex_t mu;
	struct obj objs[MAXOBJ];
	size_t nobj;
	int patches, deletes, lists, bad_patch, forbid_patch, bad_path;
} srv;

static char *dir;

static struct obj *find(const char *path)
{
	for (size_t i = 0; i < srv.nobj; i++)
		if (strcmp(srv.objs[i].path, path) == 0)
			return &srv.objs[i];
	return NULL;
}

static void put_obj(const char *path, const char *json)
{
	struct obj *o = find(path);
	if (!o) {
		assert_true(srv.nobj < MAXOBJ);
		o = &srv.objs[srv.nobj++];
		o->path = strdup(path);
	} else {
		free(o->json);
	}
	o->json = strdup(json);
}

static void respond(SSL *ssl, int code, const char *body)
{
	char head[256];
	size_t len = strlen(body);
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", code, len);
	SSL_write(ssl, head, n);
	if (len)
		SSL_write(ssl, body, (int)len);
}

/* labelSelector=app.kubernetes.io%2Fmanaged-by%3Dkubecomply%2Ckubecomply.io%2Fbenchmark%3D<b> */
static int selected(json_object *o, const char *query)
{
	const char *bench = strstr(query, "kubecomply.io%2Fbenchmark%3D");
	if (!strstr(query, "app.kubernetes.io%2Fmanaged-by%3Dkubecomply") || !bench)
		return 1; /* no selector: everything */
	bench += strlen("kubecomply.io%2Fbenchmark%3D");
	json_object *l = NULL, *v = NULL;
	if (!json_object_object_get_ex(o, "metadata", &l) || !json_object_object_get_ex(l, "labels", &l))
		return 0;
	if (!json_object_object_get_ex(l, "app.kubernetes.io/managed-by", &v) || strcmp(json_object_get_string(v), "kubecomply"))
		return 0;
	if (!json_object_object_get_ex(l, "kubecomply.io/benchmark", &v))
		return 0;
	size_t bl = strcspn(bench, "&");
	return strlen(json_object_get_string(v)) == bl && strncmp(json_object_get_string(v), bench, bl) == 0;
}

static void serve(SSL *ssl)
{
	static char req[8 << 20];
	size_t len = 0;
	char *body = NULL;
	while (len < sizeof(req) - 1) {
		int r = SSL_read(ssl, req + len, (int)(sizeof(req) - 1 - len));
		if (r <= 0)
			return;
		len += (size_t)r;
		req[len] = '\0';
		char *end = strstr(req, "\r\n\r\n");
		if (!end)
			continue;
		const char *cl = strcasestr(req, "\r\nContent-Length:");
		size_t want = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
		if (len >= (size_t)(end + 4 - req) + want) {
			body = end + 4;
			break;
		}
	}
	char method[16], target[4096];
	if (!body || sscanf(req, "%15s %4095s HTTP/1.1", method, target) != 2)
		return;
	if (!strstr(req, "\r\nAuthorization: Bearer " TOKEN "\r\n")) {
		respond(ssl, 401, "{\"kind\":\"Status\",\"message\":\"Unauthorized\"}");
		return;
	}
	char *q = strchr(target, '?');
	const char *query = q ? q + 1 : "";
	if (q)
		*q = '\0';
	pthread_mutex_lock(&srv.mu);
	if (strstr(target, "..") || strchr(target, '%'))
		srv.bad_path++;
	if (strcmp(method, "PATCH") == 0) {
		srv.patches++;
		if (srv.forbid_patch) {
			pthread_mutex_unlock(&srv.mu);
			respond(ssl, 403, "{\"kind\":\"Status\",\"message\":\"policyreports.wgpolicyk8s.io is forbidden: "
				"User cannot patch resource\"}");
			return;
		}
		json_object *o = json_tokener_parse(body);
		if (!strstr(req, "\r\nContent-Type: application/apply-patch+yaml\r\n") ||
		    !strstr(query, "fieldManager=kubecomply") || !strstr(query, "force=true") || !o)
			srv.bad_patch++;
		put_obj(target, body);
		json_object_put(o);
		pthread_mutex_unlock(&srv.mu);
		respond(ssl, 200, body);
		return;
	}
	if (strcmp(method, "DELETE") == 0) {
		srv.deletes++;
		struct obj *o = find(target);
		if (o) {
			free(o->path);
			free(o->json);
			*o = srv.objs[--srv.nobj];
		}
		pthread_mutex_unlock(&srv.mu);
		respond(ssl, o ? 200 : 404, "{\"kind\":\"Status\",\"status\":\"Success\"}");
		return;
	}
	/* LIST of every namespace's policyreports or of clusterpolicyreports */
	srv.lists++;
	int cluster = strcmp(target, "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports") == 0;
	int ns = strcmp(target, "/apis/wgpolicyk8s.io/v1alpha2/policyreports") == 0;
	struct kc_buf out = KC_BUF_INIT;
	kc_buf_puts(&out, "{\"kind\":\"List\",\"metadata\":{},\"items\":[");
	int first = 1;
	for (size_t i = 0; (cluster || ns) && i < srv.nobj; i++) {
		int is_cluster = strstr(srv.objs[i].path, "/clusterpolicyreports/") != NULL;
		if (is_cluster != cluster)
			continue;
		json_object *o = json_tokener_parse(srv.objs[i].json);
		if (o && selected(o, query)) {
			kc_buf_printf(&out, "%s%s", first ? "" : ",", srv.objs[i].json);
			first = 0;
		}
		json_object_put(o);
	}
	kc_buf_puts(&out, "]}");
	pthread_mutex_unlock(&srv.mu);
	respond(ssl, cluster || ns ? 200 : 404, out.ptr);
	kc_buf_clear(&out);
}

static void *server_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&srv.stop)) {
		struct pollfd p = { .fd = srv.fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int cfd = accept(srv.fd, NULL, NULL);
		if (cfd < 0)
			continue;
		SSL *ssl = SSL_new(srv.ctx);
		SSL_set_fd(ssl, cfd);
		if (SSL_accept(ssl) == 1)
			serve(ssl);
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(cfd);
	}
	return NULL;
}

static int group_setup(void **state)
{
	(void)state;
	dir = kc_test_mkdtemp();
	char cmd[2048];
	/* a self-signed server certificate for 127.0.0.1, made by the openssl command */
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
		 "-subj /CN=kube-apiserver -addext subjectAltName=IP:127.0.0.1 -keyout '%s/key.pem' -out '%s/cert.pem' "
		 ">/dev/null 2>&1", dir, dir);
	if (system(cmd) != 0)
		return -1;
	srv.ctx = SSL_CTX_new(TLS_server_method());
	char p[700];
	snprintf(p, sizeof(p), "%s/cert.pem", dir);
	if (SSL_CTX_use_certificate_file(srv.ctx, p, SSL_FILETYPE_PEM) != 1)
		return -1;
	snprintf(p, sizeof(p), "%s/key.pem", dir);
	if (SSL_CTX_use_PrivateKey_file(srv.ctx, p, SSL_FILETYPE_PEM) != 1)
		return -1;
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	if (bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(srv.fd, 16) != 0)
		return -1;
	getsockname(srv.fd, (struct sockaddr *)&a, &alen);
	srv.port = ntohs(a.sin_port);
	pthread_mutex_init(&srv.mu, NULL);
	atomic_init(&srv.stop, 0);
	return pthread_create(&srv.thread, NULL, server_main, NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	atomic_store(&srv.stop, 1);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	SSL_CTX_free(srv.ctx);
	for (size_t i = 0; i < srv.nobj; i++) {
		free(srv.objs[i].path);
		free(srv.objs[i].json);
	}
	kc_test_rmtree(dir);
	free(dir);
	return 0;
}

static struct kc_k8s_client *client(void)
{
	char *text, cert[700];
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	assert_true(asprintf(&text, "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
			     "clusters:\n- name: loop\n  cluster:\n    server: https://127.0.0.1:%d\n"
			     "    certificate-authority: %s\n"
			     "contexts:\n- name: t\n  context:\n    cluster: loop\n    user: u\n"
			     "users:\n- name: u\n  user:\n    token: " TOKEN "\n", srv.port, cert) > 0);
	const char *kc = kc_test_write(dir, "kubeconfig", text, 0600);
	free(text);
	struct kc_kubeconfig_opts o = { .kubeconfig = kc, .retry_base_ms = 1, .max_retries = -1, .timeout_ms = 20000 };
	struct kc_k8s_client *cl = NULL;
	int rc = kc_k8s_client_open(&o, &cl);
	if (rc < 0)
		print_error("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	return cl;
}

#define PR "/apis/wgpolicyk8s.io/v1alpha2"
#define OURS(bench) "\"labels\":{\"app.kubernetes.io/managed-by\":\"kubecomply\",\"kubecomply.io/benchmark\":\"" bench "\"}"

static void seed(const char *path, const char *json)
{
	pthread_mutex_lock(&srv.mu);
	put_obj(path, json);
	pthread_mutex_unlock(&srv.mu);
}

static int exists(const char *path)
{
	pthread_mutex_lock(&srv.mu);
	int e = find(path) != NULL;
	pthread_mutex_unlock(&srv.mu);
	return e;
}

/* A node + section-5 run: the node's ClusterPolicyReport, and team-a's report in parts. */
static void make_run(struct kc_run *run)
{
	fx_run(run);
	free(run->host);
	run->host = kc_strdup("node-a");
	struct kc_result *r = fx_result(run, "5.2.3", "Minimize hostPID", "5.2", "Pod Security Standards", "policies",
					KC_FAIL, KC_SEV_HIGH);
	char name[64];
	for (int i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "pod-%04d", i);
		fx_object(r, "Pod", "team-a", name, "/api/v1/namespaces/team-a/pods", 0);
	}
}


static void test_apply_creates_prunes_and_is_idempotent(void **state)
{
	(void)state;
	/* from an earlier run: stale parts of ours, and objects that are not ours to delete */
	seed(PR "/clusterpolicyreports/kubecomply-cis-1.12-node-node-a-9",
	     "{\"metadata\":{\"name\":\"kubecomply-cis-1.12-node-node-a-9\"," OURS("cis-1.12")
	     ",\"annotations\":{\"kubecomply.io/host\":\"node-a\"}}}");
	seed(PR "/clusterpolicyreports/kubecomply-cis-1.12-node-node-a-3",
	     "{\"metadata\":{\"name\":\"kubecomply-cis-1.12-node-node-a-3\"," OURS("cis-1.12")
	     ",\"annotations\":{\"kubecomply.io/host\":\"node-a-3\"}}}");
	seed(PR "/namespaces/fixed/policyreports/kubecomply-cis-1.12",
	     "{\"metadata\":{\"name\":\"kubecomply-cis-1.12\",\"namespace\":\"fixed\"," OURS("cis-1.12") "}}");
	seed(PR "/namespaces/team-a/policyreports/kubecomply-cis-1.12-40",
	     "{\"metadata\":{\"name\":\"kubecomply-cis-1.12-40\",\"namespace\":\"team-a\"," OURS("cis-1.12") "}}");
	seed(PR "/namespaces/team-a/policyreports/kubecomply-cis-1.10",
	     "{\"metadata\":{\"name\":\"kubecomply-cis-1.10\",\"namespace\":\"team-a\"," OURS("cis-1.10") "}}");
	seed(PR "/namespaces/team-a/policyreports/kyverno-polr",
	     "{\"metadata\":{\"name\":\"kyverno-polr\",\"namespace\":\"team-a\",\"labels\":"
	     "{\"app.kubernetes.io/managed-by\":\"kyverno\"}}}");

	struct kc_run run;
	make_run(&run);
	struct kc_buf yaml = KC_BUF_INIT;
	assert_int_equal(kc_report_policyreport_render(&run, &yaml), 0);
	size_t ndocs = 0;
	for (const char *p = yaml.ptr; (p = strstr(p, "\nkind: ")); p++)
		ndocs++;
	kc_buf_clear(&yaml);

	struct kc_k8s_client *cl = client();
	size_t applied = 0, deleted = 0;
	int rc = kc_report_policyreport_apply(&run, cl, &applied, &deleted);
	if (rc < 0)
		print_error("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	assert_int_equal(applied, ndocs);
	assert_true(applied >= 3); /* the node's cluster report and team-a's report in parts */
	assert_int_equal(srv.bad_patch, 0);
	assert_int_equal(deleted, 3);
	assert_true(exists(PR "/clusterpolicyreports/kubecomply-cis-1.12-node-node-a"));
	assert_true(exists(PR "/namespaces/team-a/policyreports/kubecomply-cis-1.12"));
	assert_true(exists(PR "/namespaces/team-a/policyreports/kubecomply-cis-1.12-2"));
	assert_false(exists(PR "/clusterpolicyreports/kubecomply-cis-1.12-node-node-a-9"));
	assert_false(exists(PR "/namespaces/fixed/policyreports/kubecomply-cis-1.12"));
	assert_false(exists(PR "/namespaces/team-a/policyreports/kubecomply-cis-1.12-40"));
	/* not ours: another node, another benchmark, another tool */
	assert_true(exists(PR "/clusterpolicyreports/kubecomply-cis-1.12-node-node-a-3"));
	assert_true(exists(PR "/namespaces/team-a/policyreports/kubecomply-cis-1.10"));
	assert_true(exists(PR "/namespaces/team-a/policyreports/kyverno-polr"));
	size_t nobj = srv.nobj;
	size_t team_a_parts = applied - 1;

	/* the same run again: same objects, nothing deleted */
	assert_int_equal(kc_report_policyreport_apply(&run, cl, &applied, &deleted), 0);
	assert_int_equal(applied, ndocs);
	assert_int_equal(deleted, 0);
	assert_int_equal(srv.nobj, nobj);

	/* the team-a failures fixed: its extra parts go, its report is gone too */
	struct kc_result *r = &run.results[run.nresults - 1];
	r->status = KC_PASS;
	for (size_t i = 0; i < r->nevidence; i++)
		kc_evidence_clear(&r->evidence[i]);
	r->nevidence = 0;
	assert_int_equal(kc_report_policyreport_apply(&run, cl, &applied, &deleted), 0);
	assert_false(exists(PR "/namespaces/team-a/policyreports/kubecomply-cis-1.12-2"));
	assert_false(exists(PR "/namespaces/team-a/policyreports/kubecomply-cis-1.12"));
	assert_true(exists(PR "/clusterpolicyreports/kubecomply-cis-1.12-node-node-a"));
	assert_int_equal(deleted, team_a_parts);
	assert_int_equal(srv.bad_path, 0);
	kc_k8s_client_free(cl);
	kc_run_clear(&run);
}

static void test_api_refusal_stops_with_its_message(void **state)
{
	(void)state;
	struct kc_run run;
	make_run(&run);
	struct kc_k8s_client *cl = client();
	srv.forbid_patch = 1;
	size_t applied = 0, deleted = 0;
	assert_true(kc_report_policyreport_apply(&run, cl, &applied, &deleted) < 0);
	assert_non_null(strstr(kc_error_last(), "HTTP 403"));
	assert_non_null(strstr(kc_error_last(), "forbidden"));
	assert_int_equal(applied, 0);
	srv.forbid_patch = 0;
	kc_k8s_client_free(cl);
	kc_run_clear(&run);
}

static void test_namespace_that_is_not_a_dns_name_is_refused(void **state)
{
	(void)state;
	struct kc_run run;
	make_run(&run);
	struct kc_result *r = &run.results[run.nresults - 1];
	free(r->evidence[0].obj_namespace);
	r->evidence[0].obj_namespace = kc_strdup("../../api/v1/secrets");
	struct kc_k8s_client *cl = client();
	size_t applied = 0, deleted = 0;
	assert_true(kc_report_policyreport_apply(&run, cl, &applied, &deleted) < 0);
	assert_non_null(strstr(kc_error_last(), "not a DNS-1123 name"));
	assert_int_equal(srv.bad_path, 0);
	kc_k8s_client_free(cl);
	kc_run_clear(&run);
}

/* End to end: `report --db X --policy-report-apply` with $KUBECONFIG applies the stored run's
 * ClusterPolicyReport; an unreachable or refusing API server exits 2 with the reason. */
static void test_cli_report_policy_report_apply(void **state)
{
	(void)state;
	struct stat sb;
	if (stat("examples/node-kubeadm", &sb) != 0) {
		print_message("kc-skip: examples/ not found (run from the checkout)\n");
		skip();
	}
	struct kc_k8s_client *cl = client(); /* writes dir/kubeconfig */
	kc_k8s_client_free(cl);
	char db[600], kc[600];
	snprintf(db, sizeof(db), "%s/x.db", dir);
	snprintf(kc, sizeof(kc), "%s/kubeconfig", dir);
	char *out = NULL;
	const char *audit[] = { "audit", "--root", "examples/node-kubeadm", "--db", db, "--quiet", "--fail-on", "ERROR", NULL };
	assert_int_equal(kc_test_run(&out, audit), 0);
	free(out);
	setenv("KUBECONFIG", kc, 1);
	const char *report[] = { "report", "--db", db, "--policy-report-apply", NULL };
	int rc = kc_test_run(&out, report);
	if (rc != 0)
		print_message("%s\n", out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "PolicyReports applied: 1, stale deleted: 0"));
	free(out);
	assert_true(exists(PR "/clusterpolicyreports/kubecomply-cis-1.12-node-cp-demo-1"));
	srv.forbid_patch = 1;
	assert_int_equal(kc_test_run(&out, report), 2);
	assert_non_null(strstr(out, "PolicyReport apply: PATCH"));
	assert_non_null(strstr(out, "HTTP 403"));
	free(out);
	srv.forbid_patch = 0;
	unsetenv("KUBECONFIG");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_creates_prunes_and_is_idempotent),
		cmocka_unit_test(test_api_refusal_stops_with_its_message),
		cmocka_unit_test(test_namespace_that_is_not_a_dns_name_is_refused),
		cmocka_unit_test(test_cli_report_policy_report_apply),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
