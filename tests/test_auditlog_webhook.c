/* The audit webhook over real HTTPS on loopback: a self-signed certificate made here with
 * OpenSSL, an EventList posted, acknowledged after commit, replays deduplicated, malformed
 * and oversized bodies refused. */
#include "kc_test.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include "auditlog/proc.h"
#include "auditlog/rules.h"
#include "auditlog/webhook.h"
#include "store/store.h"
#include "common/error.h"

static volatile int stop_flag;
static int stopping(void)
{
	return stop_flag;
}

static void make_cert(const char *cert_path, const char *key_path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	assert_non_null(key);
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	FILE *f = fopen(cert_path, "w");
	PEM_write_X509(f, x);
	fclose(f);
	f = fopen(key_path, "w");
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
}

struct server {
	struct kc_auditlog_webhook *w;
	struct kc_store *st;
	struct kc_auditlog_proc *p;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	kc_auditlog_webhook_serve(s->w, s->st, s->p);
	return NULL;
}

/* One HTTPS request; returns the status code, 0 on a connection failure. */
static int post(int port, const char *ca, const char *method, const char *body, long content_length)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(ctx, ca, NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int code = 0;
	SSL *ssl = NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto out;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	SSL_set1_host(ssl, "localhost");
	if (SSL_connect(ssl) != 1)
		goto out;
	char head[512];
	size_t blen = body ? strlen(body) : 0;
	int n = snprintf(head, sizeof(head),
			 "%s /audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
			 "Content-Length: %ld\r\nConnection: close\r\n\r\n",
			 method, content_length >= 0 ? content_length : (long)blen);
	SSL_write(ssl, head, n);
	if (body && content_length < 0)
		SSL_write(ssl, body, (int)blen);
	char resp[4096];
	int got = 0, r;
	while ((r = SSL_read(ssl, resp + got, (int)sizeof(resp) - 1 - got)) > 0)
		got += r;
	resp[got] = '\0';
	sscanf(resp, "HTTP/1.1 %d", &code);
out:
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return code;
}

static long long query(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;
	sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(h);
	return v;
}

static const char *batch =
	"{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"metadata\":{},\"items\":["
	"{\"level\":\"Metadata\",\"auditID\":\"w-1\",\"stage\":\"ResponseStarted\",\"verb\":\"create\","
	"\"user\":{\"username\":\"mallory\",\"groups\":[\"system:authenticated\"]},\"sourceIPs\":[\"192.0.2.7\"],"
	"\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"kube-system\",\"name\":\"etcd-0\"},"
	"\"requestURI\":\"/api/v1/namespaces/kube-system/pods/etcd-0/exec?command=sh\",\"responseStatus\":{\"code\":101},"
	"\"stageTimestamp\":\"2024-05-01T10:00:00.000000Z\"},"
	"{\"level\":\"Metadata\",\"auditID\":\"w-2\",\"stage\":\"ResponseComplete\",\"verb\":\"get\","
	"\"user\":{\"username\":\"mallory\"},\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\",\"name\":\"db\"},"
	"\"responseStatus\":{\"code\":200}},"
	"{\"level\":\"Metadata\",\"auditID\":\"w-3\",\"stage\":\"ResponseComplete\",\"verb\":\"watch\","
	"\"user\":{\"username\":\"system:node:n1\"},\"objectRef\":{\"resource\":\"pods\"},\"responseStatus\":{\"code\":200}}"
	"]}";

static void test_webhook_https(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char db[512], cert[512], key[512];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(cert, sizeof(cert), "%s/tls.crt", dir);
	snprintf(key, sizeof(key), "%s/tls.key", dir);
	make_cert(cert, key);

	struct server s = { 0 };
	struct kc_audit_rules *rules = NULL;
	assert_int_equal(kc_store_open(db, &s.st), 0);
	assert_int_equal(kc_audit_rules_load("policies/runtime/audit-rules.yaml", &rules), 0);
	assert_int_equal(kc_auditlog_proc_new(s.st, 0, rules, &s.p), 0);
	struct kc_auditlog_webhook_opts o = { .addr = "127.0.0.1:0", .cert = cert, .key = key,
					      .max_body = 8192, .stopping = stopping };
	int rc = kc_auditlog_webhook_open(&o, &s.w);
	if (rc < 0)
		print_message("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	int port = kc_auditlog_webhook_port(s.w);
	assert_true(port > 0);
	pthread_t th;
	stop_flag = 0;
	pthread_create(&th, NULL, serve, &s);

	assert_int_equal(post(port, cert, "POST", batch, -1), 200);
	/* acknowledged means committed: the rows are there for another connection */
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 2);
	assert_int_equal(query(db, "SELECT count(*) FROM findings WHERE rule='pod-exec' AND severity='critical'"), 1);
	assert_int_equal(query(db, "SELECT count(*) FROM findings WHERE rule='secrets-read'"), 1);
	/* the API server retries a batch it thinks failed: nothing doubles */
	assert_int_equal(post(port, cert, "POST", batch, -1), 200);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 2);
	assert_int_equal(query(db, "SELECT count(*) FROM findings"), 2);

	assert_int_equal(post(port, cert, "POST", "{\"kind\":\"EventList\",\"items\":[", -1), 400);
	assert_int_equal(post(port, cert, "POST", "{\"kind\":\"Event\",\"items\":[]}", -1), 400);
	assert_int_equal(post(port, cert, "POST", "{\"kind\":\"EventList\",\"items\":[1]}", -1), 400);
	assert_int_equal(post(port, cert, "POST", "{\"kind\":\"EventList\",\"items\":[]} x", -1), 400);
	/* over max_body: refused from the header, the body never sent */
	assert_int_equal(post(port, cert, "POST", NULL, 1L << 30), 413);
	assert_int_equal(post(port, cert, "GET", NULL, 0), 405);
	assert_int_equal(query(db, "SELECT count(*) FROM audit_events"), 2);

	stop_flag = 1;
	pthread_join(th, NULL);
	kc_auditlog_webhook_free(s.w);
	kc_auditlog_proc_free(s.p);
	kc_audit_rules_free(rules);
	kc_store_free(s.st);
	kc_test_rmtree(dir);
	free(dir);
}

static void test_webhook_client_certificate_required(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char cert[512], key[512];
	snprintf(cert, sizeof(cert), "%s/tls.crt", dir);
	snprintf(key, sizeof(key), "%s/tls.key", dir);
	make_cert(cert, key);
	struct kc_auditlog_webhook *w = NULL;
	struct kc_auditlog_webhook_opts o = { .addr = "127.0.0.1:0", .cert = cert, .key = key,
					      .client_ca = cert, .stopping = stopping };
	assert_int_equal(kc_auditlog_webhook_open(&o, &w), 0);
	struct server s = { .w = w };
	pthread_t th;
	stop_flag = 0;
	pthread_create(&th, NULL, serve, &s);
	/* no client certificate: the handshake fails, nothing is served */
	assert_int_equal(post(kc_auditlog_webhook_port(w), cert, "POST", batch, -1), 0);
	stop_flag = 1;
	pthread_join(th, NULL);
	kc_auditlog_webhook_free(w);
	/* missing key material is an error, not a plain-HTTP fallback */
	struct kc_auditlog_webhook_opts bad = { .addr = "127.0.0.1:0" };
	assert_int_equal(kc_auditlog_webhook_open(&bad, &w), KC_EINVAL);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_https),
		cmocka_unit_test(test_webhook_client_certificate_required),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
