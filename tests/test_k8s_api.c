/* The live path against a real HTTPS server on loopback: OpenSSL in a thread, with a CA, server
 * and client certificates generated here, serving the recorded LIST pages of
 * tests/fixtures/k8s/api. Proves pagination (limit + continue), gzip, the retry on 429, bearer
 * token / token file / client certificate / in-cluster credentials, TLS verification and
 * insecure-skip-tls-verify, the 401 and 403 messages, and that the API and the manifests of the
 * same objects give the same results. No assertion depends on time. */
#include "kc_test.h"

#include "k8s_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "checks/k8s/kubeconfig.h"
#include "common/strbuf.h"

#define TOKEN "kc-test-token-0123456789"
#define API_DIR "tests/fixtures/k8s/api"

/* ---- certificates ---- */

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, const char *bc,
		       const char *eku, const char *san)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	const int nids[] = { NID_basic_constraints, NID_ext_key_usage, NID_subject_alt_name };
	const char *vals[] = { bc, eku, san };
	for (int i = 0; i < 3; i++) {
		if (!vals[i])
			continue;
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nids[i], vals[i]);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static char *pem_of(X509 *x, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (x)
		PEM_write_bio_X509(b, x);
	else
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *out = strndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static char *b64(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

/* ---- the server ---- */

struct server {
	int fd, port;
	SSL_CTX *ctx;
	pthread_t thread;
	atomic_int stop;
	pthread_mutex_t mu;
	/* behaviour, set per test */
	const char *forbid;       /* path answered 403 */
	const char *throttle;     /* path answered 429 once */
	int throttled;
	int no_retry_after;       /* the 429 carries no Retry-After header */
	const char *override, *override_body; /* path answered with this body instead of its fixture */
	struct timespec t_throttled, t_retried; /* when the 429 went out, when the retry came */
	/* what happened */
	int requests, gzipped, with_limit, with_continue, unauthorized, by_cert, by_token, throttle_hits;
};

static struct server srv;
static char *ca_pem, *client_cert_pem, *client_key_pem, *tmpdir;

static void respond(SSL *ssl, int code, const char *reason, const char *extra, const char *body, size_t len, int gzip)
{
	unsigned char *z = NULL;
	if (gzip) {
		z_stream zs = { 0 };
		uLong cap = compressBound((uLong)len) + 64;
		z = malloc(cap);
		deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
		zs.next_in = (unsigned char *)body;
		zs.avail_in = (uInt)len;
		zs.next_out = z;
		zs.avail_out = (uInt)cap;
		deflate(&zs, Z_FINISH);
		len = zs.total_out;
		deflateEnd(&zs);
		body = (const char *)z;
	}
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s%s"
			 "Connection: close\r\n\r\n", code, reason, len, gzip ? "Content-Encoding: gzip\r\n" : "",
			 extra ? extra : "");
	SSL_write(ssl, head, n);
	if (len)
		SSL_write(ssl, body, (int)len);
	free(z);
}

static void status_body(SSL *ssl, int code, const char *reason, const char *message, const char *extra)
{
	char body[512];
	int n = snprintf(body, sizeof(body), "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
			 "\"message\":\"%s\",\"reason\":\"%s\",\"code\":%d}", message, reason, code);
	respond(ssl, code, reason, extra, body, (size_t)n, 0);
}

/* "/apis/apps/v1/deployments" -> "apps_v1_deployments"; "/api/v1/pods" -> "core_v1_pods" */
static int fixture_name(const char *path, char *out, size_t n)
{
	char g[128], v[32], p[128];
	if (sscanf(path, "/api/%31[^/]/%127[^/?]", v, p) == 2)
		return snprintf(out, n, "core_%s_%s", v, p) < (int)n;
	if (sscanf(path, "/apis/%127[^/]/%31[^/]/%127[^/?]", g, v, p) == 3)
		return snprintf(out, n, "%s_%s_%s", g, v, p) < (int)n;
	return 0;
}

static void serve(SSL *ssl)
{
	char req[16384];
	size_t len = 0;
	while (len < sizeof(req) - 1) {
		int r = SSL_read(ssl, req + len, (int)(sizeof(req) - 1 - len));
		if (r <= 0)
			return;
		len += (size_t)r;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	char path[4096];
	if (sscanf(req, "GET %4095s HTTP/1.1", path) != 1)
		return;
	int gzip = strcasestr(req, "\r\nAccept-Encoding:") && strstr(strcasestr(req, "\r\nAccept-Encoding:"), "gzip");
	int cert = SSL_get0_peer_certificate(ssl) && SSL_get_verify_result(ssl) == X509_V_OK;
	int token = strstr(req, "\r\nAuthorization: Bearer " TOKEN "\r\n") != NULL;
	pthread_mutex_lock(&srv.mu);
	srv.requests++;
	srv.with_limit += strstr(path, "limit=") != NULL;
	srv.with_continue += strstr(path, "continue=") != NULL;
	srv.by_cert += cert;
	srv.by_token += token;
	if (!cert && !token) {
		srv.unauthorized++;
		pthread_mutex_unlock(&srv.mu);
		status_body(ssl, 401, "Unauthorized", "Unauthorized", NULL);
		return;
	}
	size_t plen = strcspn(path, "?");
	if (srv.throttle && strncmp(path, srv.throttle, plen) == 0 && strlen(srv.throttle) == plen) {
		srv.throttle_hits++;
		if (!srv.throttled) {
			srv.throttled = 1;
			pthread_mutex_unlock(&srv.mu);
			status_body(ssl, 429, "TooManyRequests", "storage is (re)initializing",
				    srv.no_retry_after ? NULL : "Retry-After: 0\r\n");
			clock_gettime(CLOCK_MONOTONIC, &srv.t_throttled);
			return;
		}
		if (srv.throttle_hits == 2)
			clock_gettime(CLOCK_MONOTONIC, &srv.t_retried);
	}
	if (srv.forbid && strncmp(path, srv.forbid, plen) == 0 && strlen(srv.forbid) == plen) {
		pthread_mutex_unlock(&srv.mu);
		status_body(ssl, 403, "Forbidden", "cronjobs.batch is forbidden: User \\\"system:serviceaccount:audit:kubecomply\\\" "
			    "cannot list resource \\\"cronjobs\\\" in API group \\\"batch\\\" at the cluster scope", NULL);
		return;
	}
	pthread_mutex_unlock(&srv.mu);
	if (srv.override && strncmp(path, srv.override, plen) == 0 && strlen(srv.override) == plen) {
		respond(ssl, 200, "OK", NULL, srv.override_body, strlen(srv.override_body), 0);
		return;
	}
	char name[300], file[600];
	const char *cont = strstr(path, "continue=p");
	int page = cont ? atoi(cont + 10) : 0;
	if (!fixture_name(path, name, sizeof(name))) {
		status_body(ssl, 404, "NotFound", "the server could not find the requested resource", NULL);
		return;
	}
	snprintf(file, sizeof(file), API_DIR "/%s.%d.json", name, page);
	size_t blen;
	char *body = kc_test_slurp(file, &blen);
	if (!body) {
		status_body(ssl, 404, "NotFound", "the server could not find the requested resource", NULL);
		return;
	}
	if (gzip) {
		pthread_mutex_lock(&srv.mu);
		srv.gzipped++;
		pthread_mutex_unlock(&srv.mu);
	}
	respond(ssl, 200, "OK", NULL, body, blen, gzip);
	free(body);
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
	/* a client that refuses the certificate hangs up mid-handshake: the server's write must
	 * fail with EPIPE, not kill the suite */
	signal(SIGPIPE, SIG_IGN);
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256"), *cl_key = EVP_EC_gen("P-256");
	X509 *ca = make_cert(ca_key, "kubecomply-test-ca", NULL, NULL, "critical,CA:TRUE", NULL, NULL);
	X509 *sc = make_cert(srv_key, "kube-apiserver", ca, ca_key, "CA:FALSE", "serverAuth",
			     "IP:127.0.0.1,DNS:localhost");
	X509 *cc = make_cert(cl_key, "kubecomply-auditor", ca, ca_key, "CA:FALSE", "clientAuth", NULL);
	ca_pem = pem_of(ca, NULL);
	client_cert_pem = pem_of(cc, NULL);
	client_key_pem = pem_of(NULL, cl_key);

	srv.ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(srv.ctx, sc);
	SSL_CTX_use_PrivateKey(srv.ctx, srv_key);
	X509_STORE_add_cert(SSL_CTX_get_cert_store(srv.ctx), ca);
	/* ask for a client certificate, accept its absence (token clients) */
	SSL_CTX_set_verify(srv.ctx, SSL_VERIFY_PEER, NULL);
	/* libcurl resumes sessions; with client verification on, resumption needs a context id */
	SSL_CTX_set_session_id_context(srv.ctx, (const unsigned char *)"kc-test", 7);
	X509_free(ca); X509_free(sc); X509_free(cc);
	EVP_PKEY_free(ca_key); EVP_PKEY_free(srv_key); EVP_PKEY_free(cl_key);

	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	if (bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(srv.fd, 16) != 0)
		return -1;
	getsockname(srv.fd, (struct sockaddr *)&a, &alen);
	srv.port = ntohs(a.sin_port);
	pthread_mutex_init(&srv.mu, NULL);
	atomic_init(&srv.stop, 0);
	tmpdir = kc_test_mkdtemp();
	return pthread_create(&srv.thread, NULL, server_main, NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	atomic_store(&srv.stop, 1);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	SSL_CTX_free(srv.ctx);
	free(ca_pem); free(client_cert_pem); free(client_key_pem);
	kc_test_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

static int reset(void **state)
{
	(void)state;
	pthread_mutex_lock(&srv.mu);
	srv.forbid = srv.throttle = NULL;
	srv.throttled = srv.no_retry_after = 0;
	srv.override = srv.override_body = NULL;
	srv.requests = srv.gzipped = srv.with_limit = srv.with_continue = 0;
	srv.unauthorized = srv.by_cert = srv.by_token = srv.throttle_hits = 0;
	pthread_mutex_unlock(&srv.mu);
	return 0;
}

/* A kubeconfig with context "test" (current) built from the given user and cluster lines. */
static const char *write_kubeconfig(const char *cluster_extra, const char *user_lines)
{
	char *text;
	if (asprintf(&text,
		     "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
		     "clusters:\n- name: loop\n  cluster:\n    server: https://127.0.0.1:%d/\n%s"
		     "contexts:\n- name: test\n  context:\n    cluster: loop\n    user: auditor\n"
		     "- name: other\n  context:\n    cluster: loop\n    user: nobody\n"
		     "users:\n- name: auditor\n  user:\n%s- name: nobody\n  user:\n    token: wrong-token\n",
		     srv.port, cluster_extra, user_lines) < 0)
		return NULL;
	const char *path = kc_test_write(tmpdir, "kubeconfig", text, 0600);
	free(text);
	return path;
}

static const char *ca_data_line(void)
{
	static char line[8192];
	char *b = b64(ca_pem);
	snprintf(line, sizeof(line), "    certificate-authority-data: %s\n", b);
	free(b);
	return line;
}

static struct kc_kubeconfig_opts opts_for(const char *kubeconfig)
{
	return (struct kc_kubeconfig_opts){ .kubeconfig = kubeconfig, .page_limit = 2, .retry_base_ms = 1,
					    .max_retries = 3, .timeout_ms = 20000 };
}

/* Status and object rows (kind, namespace, name, key, value) of every query, sorted. */
static char *results_text(struct kc_cluster *c)
{
	struct kc_buf out = KC_BUF_INIT;
	for (const char *const *q = kc_section5_query_names(); *q; q++) {
		struct kc_result r;
		enum kc_status st = k8s_run(c, *q, NULL, &r);
		size_t n = 0;
		char **rows = calloc(r.nevidence + 1, sizeof(*rows));
		for (size_t i = 0; i < r.nevidence; i++) {
			const struct kc_evidence *e = &r.evidence[i];
			if (e->kind != KC_EV_OBJECT)
				continue;
			struct kc_buf b = KC_BUF_INIT;
			kc_buf_printf(&b, "  %s %s/%s %s=%s\n", e->obj_kind, e->obj_namespace ? e->obj_namespace : "",
				      e->obj_name, e->key ? e->key : "", e->value ? e->value : "");
			rows[n++] = kc_buf_detach(&b);
		}
		for (size_t i = 0; i + 1 < n; i++) /* sort: load order differs between the paths */
			for (size_t j = i + 1; j < n; j++)
				if (strcmp(rows[i], rows[j]) > 0) {
					char *t = rows[i];
					rows[i] = rows[j];
					rows[j] = t;
				}
		kc_buf_printf(&out, "%s %s | %s\n", *q, kc_status_name(st), r.actual ? r.actual : "");
		for (size_t i = 0; i < n; i++) {
			kc_buf_puts(&out, rows[i]);
			free(rows[i]);
		}
		free(rows);
		kc_result_clear(&r);
	}
	return kc_buf_detach(&out);
}

static void test_token_pages_gzip_retry(void **state)
{
	(void)state;
	srv.throttle = "/api/v1/pods";
	char user[256];
	snprintf(user, sizeof(user), "    token: %s\n", TOKEN);
	struct kc_kubeconfig_opts o = opts_for(write_kubeconfig(ca_data_line(), user));
	struct kc_cluster *api = kc_cluster_new();
	int rc = kc_cluster_load_api(api, &o);
	if (rc < 0)
		fprintf(stderr, "%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < kc_cluster_warning_count(api); i++)
		fprintf(stderr, "warning: %s\n", kc_cluster_warning(api, i));
	assert_int_equal(kc_cluster_warning_count(api), 0);   /* absent optional CRDs (404) are silent */
	assert_int_equal(kc_cluster_object_count(api), 34);
	assert_int_equal(srv.throttle_hits, 2);                /* 429 once, then retried */
	assert_true(srv.with_continue >= 6);                   /* multi-page collections followed */
	assert_int_equal(srv.with_limit, srv.requests);
	assert_true(srv.gzipped > 0);
	assert_int_equal(srv.by_token, srv.requests);
	assert_int_equal(srv.unauthorized, 0);

	/* the same objects as manifests give the same results */
	struct kc_cluster *files = kc_cluster_new();
	assert_int_equal(kc_cluster_load_manifests(files, "tests/fixtures/k8s/cluster"), 0);
	char *a = results_text(api), *m = results_text(files);
	if (strcmp(a, m) != 0)
		fprintf(stderr, "--- api\n%s--- manifests\n%s", a, m);
	assert_string_equal(a, m);

	/* API evidence points at the object's URL */
	struct kc_result r;
	assert_int_equal(k8s_run(api, "rbac.cluster_admin_bindings", "5.1.1", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "ClusterRoleBinding", NULL, "ci-admin");
	char url[256];
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ci-admin",
		 srv.port);
	assert_string_equal(e->source, url);
	assert_int_equal(e->line, 0);
	kc_result_clear(&r);
	free(a);
	free(m);
	kc_cluster_free(files);
	kc_cluster_free(api);
}

static void test_forbidden_names_permission(void **state)
{
	(void)state;
	srv.forbid = "/apis/batch/v1/cronjobs";
	char user[256];
	snprintf(user, sizeof(user), "    token: %s\n", TOKEN);
	struct kc_kubeconfig_opts o = opts_for(write_kubeconfig(ca_data_line(), user));
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_api(c, &o), 0);
	assert_int_equal(kc_cluster_warning_count(c), 1);
	const char *w = kc_cluster_warning(c, 0);
	assert_non_null(strstr(w, "403 Forbidden"));
	assert_non_null(strstr(w, "list cronjobs.batch at cluster scope"));
	assert_non_null(strstr(w, "system:serviceaccount:audit:kubecomply"));
	/* checks that need cronjobs cannot be decided: WARN naming the permission */
	struct kc_result r = { 0 };
	assert_int_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_WARN);
	assert_non_null(strstr(r.reason, "list cronjobs.batch at cluster scope"));
	kc_result_clear(&r);
	/* the rest is decided */
	assert_int_equal(k8s_run(c, "rbac.cluster_admin_bindings", "5.1.1", &r), KC_FAIL);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

static void test_bad_token_is_401(void **state)
{
	(void)state;
	struct kc_kubeconfig_opts o = opts_for(write_kubeconfig(ca_data_line(), "    token: not-the-token\n"));
	struct kc_cluster *c = kc_cluster_new();
	assert_true(kc_cluster_load_api(c, &o) < 0);
	assert_non_null(strstr(kc_error_last(), "401 Unauthorized"));
	assert_null(strstr(kc_error_last(), "not-the-token"));
	/* no point in listing the rest: only the collections already being listed concurrently */
	assert_true(srv.requests <= 4);
	kc_cluster_free(c);

	/* --context picks another user: the same failure through a context that is not current */
	reset(NULL);
	char user[256];
	snprintf(user, sizeof(user), "    token: %s\n", TOKEN);
	o = opts_for(write_kubeconfig(ca_data_line(), user));
	o.context = "other";
	c = kc_cluster_new();
	assert_true(kc_cluster_load_api(c, &o) < 0);
	assert_non_null(strstr(kc_error_last(), "context 'other'"));
	kc_cluster_free(c);
}

static void test_client_certificate(void **state)
{
	(void)state;
	char *cert = b64(client_cert_pem), *key = b64(client_key_pem), *user;
	assert_true(asprintf(&user, "    client-certificate-data: %s\n    client-key-data: %s\n", cert, key) > 0);
	struct kc_kubeconfig_opts o = opts_for(write_kubeconfig(ca_data_line(), user));
	struct kc_cluster *c = kc_cluster_new();
	int rc = kc_cluster_load_api(c, &o);
	if (rc < 0)
		fprintf(stderr, "%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	assert_int_equal(kc_cluster_object_count(c), 34);
	assert_int_equal(srv.by_cert, srv.requests);
	assert_int_equal(srv.by_token, 0);
	kc_cluster_free(c);
	free(cert);
	free(key);
	free(user);
}

static void test_token_file_and_ca_file(void **state)
{
	(void)state;
	kc_test_write(tmpdir, "creds/ca.crt", ca_pem, 0644);
	kc_test_write(tmpdir, "creds/token", TOKEN "\n", 0600);
	/* relative paths are relative to the kubeconfig's directory */
	struct kc_kubeconfig_opts o = opts_for(write_kubeconfig("    certificate-authority: creds/ca.crt\n",
								"    tokenFile: creds/token\n"));
	struct kc_cluster *c = kc_cluster_new();
	int rc = kc_cluster_load_api(c, &o);
	if (rc < 0)
		fprintf(stderr, "%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	assert_int_equal(srv.by_token, srv.requests);
	kc_cluster_free(c);
}

static void test_in_cluster(void **state)
{
	(void)state;
	kc_test_write(tmpdir, "sa/token", TOKEN, 0600);
	kc_test_write(tmpdir, "sa/ca.crt", ca_pem, 0644);
	kc_test_write(tmpdir, "sa/namespace", "audit\n", 0644);
	char dir[4096], port[16];
	snprintf(dir, sizeof(dir), "%s/sa", tmpdir);
	snprintf(port, sizeof(port), "%d", srv.port);
	setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", port, 1);
	struct kc_kubeconfig_opts o = { .in_cluster = 1, .sa_dir = dir, .retry_base_ms = 1 };
	struct kc_k8s_creds creds;
	assert_int_equal(kc_kubeconfig_load(&o, &creds), 0);
	assert_string_equal(creds.ns, "audit");
	kc_k8s_creds_clear(&creds);
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_api(c, &o), 0);
	assert_int_equal(kc_cluster_object_count(c), 34);
	assert_int_equal(srv.by_token, srv.requests);
	kc_cluster_free(c);
	unsetenv("KUBERNETES_SERVICE_HOST");
	struct kc_cluster *c2 = kc_cluster_new();
	assert_true(kc_cluster_load_api(c2, &o) < 0);
	assert_non_null(strstr(kc_error_last(), "KUBERNETES_SERVICE_HOST"));
	kc_cluster_free(c2);
	unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_tls_verification(void **state)
{
	(void)state;
	char user[256];
	snprintf(user, sizeof(user), "    token: %s\n", TOKEN);
	/* no CA: the self-signed chain is not trusted and nothing is sent */
	struct kc_kubeconfig_opts o = opts_for(write_kubeconfig("", user));
	o.max_retries = -1;
	struct kc_cluster *c = kc_cluster_new();
	assert_true(kc_cluster_load_api(c, &o) < 0);
	assert_int_equal(srv.requests, 0);
	kc_cluster_free(c);
	/* insecure-skip-tls-verify, only because the kubeconfig says so */
	o = opts_for(write_kubeconfig("    insecure-skip-tls-verify: true\n", user));
	c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_api(c, &o), 0);
	assert_int_equal(kc_cluster_object_count(c), 34);
	kc_cluster_free(c);
}


/* libcurl reports Retry-After as 0 when the header is absent: the client must back off on
 * its own then (the first retry waits retry_base_ms), not retry at once. The bound is a
 * lower one: the client slept at least that long, whatever the machine's load. */
static void test_backoff_without_retry_after(void **state)
{
	(void)state;
	srv.throttle = "/api/v1/pods";
	srv.no_retry_after = 1;
	char user[256];
	snprintf(user, sizeof(user), "    token: %s\n", TOKEN);
	struct kc_kubeconfig_opts o = opts_for(write_kubeconfig(ca_data_line(), user));
	o.retry_base_ms = 300;
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_api(c, &o), 0);
	assert_int_equal(srv.throttle_hits, 2);
	double gap = (double)(srv.t_retried.tv_sec - srv.t_throttled.tv_sec) +
		     (double)(srv.t_retried.tv_nsec - srv.t_throttled.tv_nsec) / 1e9;
	assert_true(gap >= 0.25);
	kc_cluster_free(c);
}

/* tls-server-name is the name checked against the server's certificate (and sent in SNI)
 * while the connection goes to the server URL's address: a name the certificate does not
 * carry fails verification, one it carries succeeds. */
static void test_tls_server_name_honoured(void **state)
{
	(void)state;
	char user[256], cluster[8400];
	snprintf(user, sizeof(user), "    token: %s\n", TOKEN);
	snprintf(cluster, sizeof(cluster), "%s    tls-server-name: localhost\n", ca_data_line());
	struct kc_kubeconfig_opts o = opts_for(write_kubeconfig(cluster, user));
	struct kc_cluster *c = kc_cluster_new();
	int rc = kc_cluster_load_api(c, &o);
	if (rc < 0)
		fprintf(stderr, "%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	assert_int_equal(kc_cluster_object_count(c), 34);
	kc_cluster_free(c);

	snprintf(cluster, sizeof(cluster), "%s    tls-server-name: apiserver.not-in-the-cert.invalid\n", ca_data_line());
	o = opts_for(write_kubeconfig(cluster, user));
	c = kc_cluster_new();
	assert_true(kc_cluster_load_api(c, &o) < 0);
	kc_cluster_free(c);
}

/* EKS, GKE and AKS kubeconfigs authenticate with an exec plugin: run directly (arguments
 * reach it verbatim, no shell), with the kubeconfig's env and KUBERNETES_EXEC_INFO, and its
 * credential reused until it expires. */
static void test_exec_plugin(void **state)
{
	(void)state;
	char script[1024], user[2048], path[600];
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "n=$(cat \"$DIR/count-$EXP\" 2>/dev/null || echo 0)\n"
		 "echo $((n + 1)) > \"$DIR/count-$EXP\"\n"
		 "printf '%%s' \"$1\" > \"$DIR/arg1\"\n"
		 "printf '%%s' \"$KUBERNETES_EXEC_INFO\" > \"$DIR/info\"\n"
		 "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
		 "\"status\":{\"token\":\"%%s\",\"expirationTimestamp\":\"%%s\"}}' \"$TOKEN_OUT\" \"$EXP\"\n");
	kc_test_write(tmpdir, "plugin.sh", script, 0755);
	for (int expired = 0; expired < 2; expired++) {
		const char *exp = expired ? "2000-01-01T00:00:00Z" : "2099-01-01T00:00:00Z";
		snprintf(user, sizeof(user),
			 "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: %s/plugin.sh\n"
			 "      args: ['a b;touch %s/pwned', second]\n"
			 "      env:\n      - {name: DIR, value: '%s'}\n      - {name: TOKEN_OUT, value: %s}\n"
			 "      - {name: EXP, value: '%s'}\n      provideClusterInfo: true\n      interactiveMode: Never\n",
			 tmpdir, tmpdir, tmpdir, TOKEN, exp);
		struct kc_kubeconfig_opts o = opts_for(write_kubeconfig(ca_data_line(), user));
		for (int run = 0; run < 2; run++) {
			reset(NULL);
			struct kc_cluster *c = kc_cluster_new();
			int rc = kc_cluster_load_api(c, &o);
			if (rc < 0)
				fprintf(stderr, "%s\n", kc_error_last());
			assert_int_equal(rc, 0);
			assert_int_equal(srv.by_token, srv.requests);
			assert_int_equal(kc_cluster_object_count(c), 34);
			kc_cluster_free(c);
		}
		snprintf(path, sizeof(path), "%s/count-%s", tmpdir, exp);
		char *count = kc_test_slurp(path, NULL);
		assert_non_null(count);
		/* valid until 2099: run once for both loads; already expired: run for each */
		assert_int_equal(atoi(count), expired ? 2 : 1);
		free(count);
	}
	snprintf(path, sizeof(path), "%s/arg1", tmpdir);
	char *arg1 = kc_test_slurp(path, NULL), want[700];
	snprintf(want, sizeof(want), "a b;touch %s/pwned", tmpdir);
	assert_string_equal(arg1, want);
	free(arg1);
	snprintf(path, sizeof(path), "%s/pwned", tmpdir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/info", tmpdir);
	char *info = kc_test_slurp(path, NULL);
	assert_non_null(strstr(info, "\"kind\":\"ExecCredential\""));
	assert_non_null(strstr(info, "\"apiVersion\":\"client.authentication.k8s.io\\/v1\"") ?
			strstr(info, "\"apiVersion\":\"client.authentication.k8s.io\\/v1\"") :
			strstr(info, "\"apiVersion\":\"client.authentication.k8s.io/v1\""));
	assert_non_null(strstr(info, "\"interactive\":false"));
	assert_non_null(strstr(info, "certificate-authority-data"));
	free(info);
}

/* An item the decoder refuses (a NUL inside a string would cut it short) is not judged, and
 * so no check may PASS over it: the pods it hides could be anything. */
static void test_refused_api_item_prevents_pass(void **state)
{
	(void)state;
	srv.override = "/api/v1/pods";
	srv.override_body = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":["
			    "{\"metadata\":{\"name\":\"hidden\",\"namespace\":\"default\",\"annotations\":{\"a\":\"x\\u0000y\"}},"
			    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"securityContext\":"
			    "{\"windowsOptions\":{\"hostProcess\":true}}}]}}]}";
	char user[256];
	snprintf(user, sizeof(user), "    token: %s\n", TOKEN);
	struct kc_kubeconfig_opts o = opts_for(write_kubeconfig(ca_data_line(), user));
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_api(c, &o), 0);
	int warned = 0;
	for (size_t i = 0; i < kc_cluster_warning_count(c); i++)
		warned |= strstr(kc_cluster_warning(c, i), "/api/v1/pods") && strstr(kc_cluster_warning(c, i), "NUL");
	assert_true(warned);
	struct kc_result r;
	assert_int_equal(k8s_run(c, "pods.host_process", "5.2.10", &r), KC_WARN);
	assert_non_null(strstr(r.reason, "could not be read"));
	kc_result_clear(&r);
	kc_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_backoff_without_retry_after, reset),
		cmocka_unit_test_setup(test_tls_server_name_honoured, reset),
		cmocka_unit_test_setup(test_exec_plugin, reset),
		cmocka_unit_test_setup(test_refused_api_item_prevents_pass, reset),
		cmocka_unit_test_setup(test_token_pages_gzip_retry, reset),
		cmocka_unit_test_setup(test_forbidden_names_permission, reset),
		cmocka_unit_test_setup(test_bad_token_is_401, reset),
		cmocka_unit_test_setup(test_client_certificate, reset),
		cmocka_unit_test_setup(test_token_file_and_ca_file, reset),
		cmocka_unit_test_setup(test_in_cluster, reset),
		cmocka_unit_test_setup(test_tls_verification, reset),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
