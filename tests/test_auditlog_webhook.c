/* The audit webhook over real HTTPS on loopback: a self-signed certificate made here with
 * OpenSSL, an EventList posted, acknowledged after commit, replays deduplicated, malformed
 * and oversized bodies refused. */
#include "kc_test.h"

#include <arpa/inet.h>
#include <poll.h>
#include <time.h>
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
#include "common/strbuf.h"

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
	/* one item that is no event: the rest of the batch would be stored, the item counted */
	assert_int_equal(post(port, cert, "POST", "{\"kind\":\"EventList\",\"items\":[1]}", -1), 200);
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


/* A TLS client that keeps its connection, like the API server's webhook client. */
struct client {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

static int tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int client_open(struct client *c, int port, const char *ca)
{
	memset(c, 0, sizeof(*c));
	c->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(c->ctx, ca, NULL);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->fd = tcp_connect(port);
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_tlsext_host_name(c->ssl, "localhost");
	SSL_set1_host(c->ssl, "localhost");
	return SSL_connect(c->ssl) == 1 ? 0 : -1;
}

static void client_close(struct client *c)
{
	SSL_free(c->ssl);
	close(c->fd);
	SSL_CTX_free(c->ctx);
	ERR_clear_error();
}

static int client_send(struct client *c, const char *method, const char *path, const char *ctype,
		       const char *body, int keep_alive)
{
	char head[512];
	size_t blen = body ? strlen(body) : 0;
	int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: localhost\r\n%s%s%sContent-Length: %zu\r\n%s\r\n",
			 method, path, ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
			 blen, keep_alive ? "" : "Connection: close\r\n");
	if (SSL_write(c->ssl, head, n) != n)
		return -1;
	if (blen && SSL_write(c->ssl, body, (int)blen) != (int)blen)
		return -1;
	return 0;
}

/* Reads one answer; its status (0 when the connection ended first) and Retry-After (-1 none). */
static int client_read(struct client *c, int *retry_after)
{
	char buf[8192];
	size_t got = 0;
	char *eoh = NULL;
	*retry_after = -1;
	while (!(eoh = got ? memmem(buf, got, "\r\n\r\n", 4) : NULL)) {
		int r = SSL_read(c->ssl, buf + got, (int)(sizeof(buf) - 1 - got));
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	buf[got] = '\0';
	int code = 0;
	sscanf(buf, "HTTP/1.1 %d", &code);
	const char *ra = strcasestr(buf, "\r\nRetry-After:");
	if (ra && ra < eoh)
		*retry_after = atoi(ra + 14);
	const char *cl = strcasestr(buf, "\r\nContent-Length:");
	size_t blen = cl ? (size_t)atol(cl + 17) : 0, have = got - (size_t)(eoh + 4 - buf);
	while (have < blen) {
		int r = SSL_read(c->ssl, buf, (int)sizeof(buf));
		if (r <= 0)
			return 0;
		have += (size_t)r;
	}
	return code;
}

static int request(struct client *c, const char *path, const char *ctype, const char *body, int *retry_after)
{
	if (client_send(c, "POST", path, ctype, body, 1) < 0)
		return 0;
	return client_read(c, retry_after);
}

struct fixture {
	char *dir;
	char db[512], cert[512], key[512];
	struct server s;
	struct kc_audit_rules *rules;
	struct kc_run run;
	pthread_t th;
	int port;
};

static void fixture_start(struct fixture *f, struct kc_auditlog_webhook_opts *o)
{
	memset(f, 0, sizeof(*f));
	f->dir = kc_test_mkdtemp();
	snprintf(f->db, sizeof(f->db), "%s/kc.db", f->dir);
	snprintf(f->cert, sizeof(f->cert), "%s/tls.crt", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/tls.key", f->dir);
	make_cert(f->cert, f->key);
	assert_int_equal(kc_store_open(f->db, &f->s.st), 0);
	f->run.host = kc_strdup("node-1");
	f->run.benchmark = kc_strdup("watch");
	f->run.started = kc_time_now_rfc3339();
	assert_int_equal(kc_store_start_watch(f->s.st, &f->run), 0);
	assert_int_equal(kc_audit_rules_load("policies/runtime/audit-rules.yaml", &f->rules), 0);
	assert_int_equal(kc_auditlog_proc_new(f->s.st, f->run.id, f->rules, &f->s.p), 0);
	o->addr = "127.0.0.1:0";
	o->cert = f->cert;
	o->key = f->key;
	o->stopping = stopping;
	assert_int_equal(kc_auditlog_webhook_open(o, &f->s.w), 0);
	f->port = kc_auditlog_webhook_port(f->s.w);
	stop_flag = 0;
	pthread_create(&f->th, NULL, serve, &f->s);
}

static void fixture_stop(struct fixture *f)
{
	stop_flag = 1;
	pthread_join(f->th, NULL);
	kc_auditlog_webhook_free(f->s.w);
	kc_auditlog_proc_free(f->s.p);
	kc_audit_rules_free(f->rules);
	kc_store_free(f->s.st);
	kc_run_clear(&f->run);
	kc_test_rmtree(f->dir);
	free(f->dir);
}

/* A batch of n events numbered from first, as the API server's batching backend sends them. */
static char *make_batch(const char *tag, int first, int n)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"metadata\":{},\"items\":[");
	for (int i = 0; i < n; i++)
		kc_buf_printf(&b, "%s{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
			      "\"auditID\":\"%s-%d\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/prod/secrets/db\","
			      "\"verb\":\"get\",\"user\":{\"username\":\"alice\",\"groups\":[\"system:authenticated\"]},"
			      "\"sourceIPs\":[\"192.0.2.9\"],\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\","
			      "\"name\":\"db\",\"apiVersion\":\"v1\"},\"responseStatus\":{\"code\":200},"
			      "\"requestReceivedTimestamp\":\"2026-12-04T10:00:00.000000Z\","
			      "\"stageTimestamp\":\"2026-12-04T10:00:00.001000Z\"}",
			      i ? "," : "", tag, first + i);
	kc_buf_puts(&b, "]}");
	return kc_buf_detach(&b);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define CLIENT_BATCHES 20
#define BATCH_EVENTS 400

struct sender {
	struct fixture *f;
	char tag[16];
	int ok, other;
	double max_latency, total;
};

static void *send_batches(void *arg)
{
	struct sender *s = arg;
	struct client c;
	double t0 = now_s();
	if (client_open(&c, s->f->port, s->f->cert) == 0) {
		for (int i = 0; i < CLIENT_BATCHES; i++) {
			char *body = make_batch(s->tag, i * BATCH_EVENTS, BATCH_EVENTS);
			double t = now_s();
			int ra, code = request(&c, "/audit", "application/json", body, &ra);
			double lat = now_s() - t;
			if (lat > s->max_latency)
				s->max_latency = lat;
			if (code == 200)
				s->ok++;
			else
				s->other++;
			free(body);
		}
	}
	client_close(&c);
	s->total = now_s() - t0;
	return NULL;
}

/* Three API servers post batches over kept-alive connections while a fourth client holds a
 * connection open and never speaks (and a fifth stops half-way through its head): the silent
 * ones hold one worker each and block nobody. */
static void test_webhook_serves_concurrent_api_servers_beside_a_silent_client(void **state)
{
	(void)state;
	struct fixture f;
	struct kc_auditlog_webhook_opts o = { .head_ms = 120000, .per_peer = 8 };
	fixture_start(&f, &o);
	int silent = tcp_connect(f.port);
	struct client half;
	assert_int_equal(client_open(&half, f.port, f.cert), 0);
	SSL_write(half.ssl, "POST /audit HTTP/1.1\r\nContent-", 31);

	struct sender snd[3];
	pthread_t th[3];
	double t0 = now_s();
	for (int i = 0; i < 3; i++) {
		memset(&snd[i], 0, sizeof(snd[i]));
		snd[i].f = &f;
		snprintf(snd[i].tag, sizeof(snd[i].tag), "apiserver%d", i);
		pthread_create(&th[i], NULL, send_batches, &snd[i]);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	double wall = now_s() - t0;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(snd[i].ok, CLIENT_BATCHES);
		assert_int_equal(snd[i].other, 0);
	}
	/* every acknowledged event is stored, once */
	assert_int_equal(query(f.db, "SELECT count(*) FROM audit_events"), 3 * CLIENT_BATCHES * BATCH_EVENTS);
	/* the silent client's connection is still open: nothing waited for it to go */
	struct pollfd pfd = { .fd = silent, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 0);
	struct kc_auditlog_webhook_stats st;
	kc_auditlog_webhook_stats(f.s.w, &st);
	assert_int_equal(st.batches, 3 * CLIENT_BATCHES);
	assert_int_equal(st.timeouts, 0);
	double max_lat = 0;
	for (int i = 0; i < 3; i++)
		max_lat = snd[i].max_latency > max_lat ? snd[i].max_latency : max_lat;
	print_message("webhook figures: 3 TLS clients x %d batches x %d events beside 2 silent connections:"
		      " %.2f s wall, %.0f events/s, slowest batch %.0f ms\n",
		      CLIENT_BATCHES, BATCH_EVENTS, wall, 3.0 * CLIENT_BATCHES * BATCH_EVENTS / wall, max_lat * 1000);
	close(silent);
	client_close(&half);
	fixture_stop(&f);
}

/* A client that stops talking is cut off at its deadline, and a peer cannot hold more than
 * per_peer connections: the extra one is closed at accept. */
static void test_webhook_deadline_and_per_peer_limit(void **state)
{
	(void)state;
	struct fixture f;
	struct kc_auditlog_webhook_opts o = { .head_ms = 300, .per_peer = 2 };
	fixture_start(&f, &o);
	int a = tcp_connect(f.port), b = tcp_connect(f.port), c = tcp_connect(f.port);
	char ch;
	/* each read ends with EOF or a reset: the third at once, the first two at the deadline */
	assert_true(read(c, &ch, 1) <= 0);
	assert_true(read(a, &ch, 1) <= 0);
	assert_true(read(b, &ch, 1) <= 0);
	struct kc_auditlog_webhook_stats st;
	kc_auditlog_webhook_stats(f.s.w, &st);
	assert_int_equal(st.refused_peer, 1);
	assert_int_equal(st.handshake_failed, 2);
	assert_true(st.timeouts >= 2);
	close(a);
	close(b);
	close(c);
	/* and the server still answers */
	struct client cl;
	int ra;
	assert_int_equal(client_open(&cl, f.port, f.cert), 0);
	assert_int_equal(request(&cl, "/audit", "application/json", batch, &ra), 200);
	client_close(&cl);
	fixture_stop(&f);
}

/* Clients that hang up before reading the answer (the TLS write, and the close_notify after
 * it, go to a closed socket): the process survives them all (SIGPIPE would end it). */
static void test_webhook_client_hangup_never_ends_the_process(void **state)
{
	(void)state;
	struct fixture f;
	struct kc_auditlog_webhook_opts o = { 0 };
	fixture_start(&f, &o);
	for (int i = 0; i < 20; i++) {
		struct client c;
		assert_int_equal(client_open(&c, f.port, f.cert), 0);
		char *body = make_batch("hangup", i * 5, 5);
		client_send(&c, "POST", "/audit", "application/json", body, i % 2);
		free(body);
		if (i % 3 == 0) {
			struct linger l = { 1, 0 };  /* RST instead of FIN */
			setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		client_close(&c);
	}
	struct client c;
	int ra;
	assert_int_equal(client_open(&c, f.port, f.cert), 0);
	assert_int_equal(request(&c, "/audit", "application/json", batch, &ra), 200);
	client_close(&c);
	fixture_stop(&f);
}

/* What the API server's client does with each answer (k8s.io/apiserver webhook
 * DefaultShouldRetry, client-go checkWait): 200 only once stored, a batch with one bad item is
 * stored without it (counted, a gap row), the wrong path or content type is refused, keep-alive
 * serves several batches on one connection, and a locked store answers 503 with Retry-After so
 * that the batch is sent again rather than dropped. */
static void test_webhook_answers_as_the_apiserver_client_expects(void **state)
{
	(void)state;
	struct fixture f;
	struct kc_auditlog_webhook_opts o = { 0 };
	fixture_start(&f, &o);
	struct client c;
	int ra;
	assert_int_equal(client_open(&c, f.port, f.cert), 0);
	const char *mixed =
		"{\"kind\":\"EventList\",\"items\":["
		"{\"level\":\"Metadata\",\"auditID\":\"m-1\",\"stage\":\"ResponseComplete\",\"verb\":\"get\","
		"\"user\":{\"username\":\"bob\"},\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"a\",\"name\":\"s\"},"
		"\"responseStatus\":{\"code\":200}},"
		"42,"
		"{\"level\":\"Metadata\",\"auditID\":\"m-2\",\"stage\":\"ResponseComplete\",\"verb\":\"get\","
		"\"user\":{\"username\":\"bob\"},\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"a\",\"name\":\"t\"},"
		"\"responseStatus\":{\"code\":200}}]}";
	assert_int_equal(request(&c, "/audit", "application/json; charset=utf-8", mixed, &ra), 200);
	assert_int_equal(query(f.db, "SELECT count(*) FROM audit_events WHERE audit_id IN ('m-1','m-2')"), 2);
	assert_int_equal(query(f.db, "SELECT lost FROM gaps WHERE monitor='audit:webhook'"), 1);
	/* the same kept-alive connection serves the next batch; a null item list is empty */
	assert_int_equal(request(&c, "/audit", "application/json", "{\"kind\":\"EventList\",\"items\":null}", &ra), 200);
	assert_int_equal(request(&c, "/audit", "application/json", batch, &ra), 200);
	client_close(&c);

	assert_int_equal(client_open(&c, f.port, f.cert), 0);
	assert_int_equal(request(&c, "/other", "application/json", batch, &ra), 404);
	client_close(&c);
	assert_int_equal(client_open(&c, f.port, f.cert), 0);
	assert_int_equal(request(&c, "/audit", "text/plain", batch, &ra), 415);
	client_close(&c);
	assert_int_equal(client_open(&c, f.port, f.cert), 0);
	assert_int_equal(request(&c, "/audit", NULL, batch, &ra), 415);
	client_close(&c);

	/* another process holds the write lock: not acknowledged, retried after Retry-After */
	sqlite3 *h;
	assert_int_equal(sqlite3_open(f.db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_busy_timeout(kc_store_db(f.s.st), 100);
	char *b2 = make_batch("locked", 0, 3);
	assert_int_equal(client_open(&c, f.port, f.cert), 0);
	assert_int_equal(request(&c, "/audit", "application/json", b2, &ra), 503);
	assert_true(ra > 0);
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	/* the retry is stored */
	assert_int_equal(request(&c, "/audit", "application/json", b2, &ra), 200);
	client_close(&c);
	free(b2);
	assert_int_equal(query(f.db, "SELECT count(*) FROM audit_events WHERE audit_id LIKE 'locked-%'"), 3);
	fixture_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_https),
		cmocka_unit_test(test_webhook_client_certificate_required),
		cmocka_unit_test(test_webhook_serves_concurrent_api_servers_beside_a_silent_client),
		cmocka_unit_test(test_webhook_deadline_and_per_peer_limit),
		cmocka_unit_test(test_webhook_client_hangup_never_ends_the_process),
		cmocka_unit_test(test_webhook_answers_as_the_apiserver_client_expects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
