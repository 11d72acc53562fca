/* The audit webhook endpoint (see webhook.h): TLS with OpenSSL, a minimal HTTP/1.1 reader
 * (Content-Length bodies, keep-alive), EventList decoding with json-c. */
#include "auditlog/webhook.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/error.h"
#include "common/net.h"
#include "common/strbuf.h"

#define MAX_HEADER 16384
#define IDLE_SECONDS 30
#define IO_SLICE_MS 200

struct kc_auditlog_webhook {
	int fd;
	int port;
	SSL_CTX *ctx;
	size_t max_body;
	double duration;
	int (*stopping)(void);
	struct timespec t0;
};

static int ssl_fail(const char *what)
{
	char msg[256];
	unsigned long e = ERR_get_error();
	ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	return kc_error_set(KC_EINVAL, "audit webhook: %s: %s", what, e ? msg : "unknown TLS error");
}

int kc_auditlog_webhook_open(const struct kc_auditlog_webhook_opts *o, struct kc_auditlog_webhook **out)
{
	*out = NULL;
	if (!o->addr || !o->cert || !o->key)
		return kc_error_set(KC_EINVAL, "audit webhook: needs an address, --tls-cert and --tls-key");
	struct kc_auditlog_webhook *w = kc_xcalloc(1, sizeof(*w));
	w->fd = -1;
	w->max_body = o->max_body ? o->max_body : (32u << 20);
	w->duration = o->duration;
	w->stopping = o->stopping;
	clock_gettime(CLOCK_MONOTONIC, &w->t0);
	int rc;

	w->ctx = SSL_CTX_new(TLS_server_method());
	if (!w->ctx) {
		rc = ssl_fail("creating the TLS context");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(w->ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(w->ctx, o->cert) != 1) {
		rc = ssl_fail(o->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(w->ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(w->ctx) != 1) {
		rc = ssl_fail(o->key);
		goto fail;
	}
	if (o->client_ca) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->client_ca);
		if (!names || SSL_CTX_load_verify_locations(w->ctx, o->client_ca, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			rc = ssl_fail(o->client_ca);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(w->ctx, names);
		SSL_CTX_set_verify(w->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}

	if ((rc = kc_net_listen(o->addr, "--audit-webhook", &w->fd, &w->port)) < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	kc_auditlog_webhook_free(w);
	return rc;
}

void kc_auditlog_webhook_free(struct kc_auditlog_webhook *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	SSL_CTX_free(w->ctx);
	free(w);
}

int kc_auditlog_webhook_port(const struct kc_auditlog_webhook *w)
{
	return w->port;
}

static int done(const struct kc_auditlog_webhook *w)
{
	if (w->stopping && w->stopping())
		return 1;
	if (w->duration > 0) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		double e = (double)(t.tv_sec - w->t0.tv_sec) + (double)(t.tv_nsec - w->t0.tv_nsec) / 1e9;
		return e >= w->duration;
	}
	return 0;
}

struct conn {
	struct kc_auditlog_webhook *w;
	SSL *ssl;
	int fd;
	struct kc_buf in;   /* bytes received, not yet consumed */
};

/* Reads more bytes into c->in; 1 read, 0 closed/idle/stopping, negative error. */
static int conn_fill(struct conn *c)
{
	char buf[65536];
	int waited = 0;
	for (;;) {
		if (!SSL_pending(c->ssl)) {
			struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
			int pr = poll(&pfd, 1, IO_SLICE_MS);
			if (pr == 0) {
				waited += IO_SLICE_MS;
				if (done(c->w) || waited >= IDLE_SECONDS * 1000)
					return 0;
				continue;
			}
			if (pr < 0 && errno != EINTR)
				return -1;
		}
		int n = SSL_read(c->ssl, buf, sizeof(buf));
		if (n > 0) {
			kc_buf_add(&c->in, buf, (size_t)n);
			return 1;
		}
		int err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			continue;
		ERR_clear_error();
		return 0;
	}
}

static void respond(struct conn *c, int code, const char *reason, const char *body, int close_after)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n%s",
		      code, reason, strlen(body), close_after ? "Connection: close\r\n" : "", body);
	size_t off = 0;
	while (off < b.len) {
		int n = SSL_write(c->ssl, b.ptr + off, (int)(b.len - off));
		if (n <= 0) {
			ERR_clear_error();
			break;
		}
		off += (size_t)n;
	}
	kc_buf_free(&b);
}

static void respond_error(struct conn *c, int code, const char *reason, const char *msg, int close_after)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, "{\"error\":");
	kc_buf_put_json_str(&b, msg);
	kc_buf_putc(&b, '}');
	respond(c, code, reason, b.ptr, close_after);
	kc_buf_free(&b);
}

static const char *header(const char *head, size_t headlen, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	const char *p = head, *end = head + headlen;
	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		p = eol + 2;
	}
	return NULL;
}

/* Validates and commits one EventList; fills the HTTP answer. */
static void handle_body(struct conn *c, struct kc_store *st, struct kc_auditlog_proc *p,
			const char *body, size_t len, int close_after)
{
	struct json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *root = json_tokener_parse_ex(tok, body, (int)len);
	int ok = root && json_tokener_get_error(tok) == json_tokener_success && (size_t)tok->char_offset == len;
	json_tokener_free(tok);
	struct json_object *kind = NULL, *items = NULL;
	if (ok)
		ok = json_object_is_type(root, json_type_object) &&
		     json_object_object_get_ex(root, "kind", &kind) &&
		     json_object_is_type(kind, json_type_string) &&
		     strcmp(json_object_get_string(kind), "EventList") == 0 &&
		     json_object_object_get_ex(root, "items", &items) &&
		     json_object_is_type(items, json_type_array);
	size_t n = ok ? json_object_array_length(items) : 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = json_object_is_type(json_object_array_get_idx(items, i), json_type_object);
	if (!ok) {
		json_object_put(root);
		respond_error(c, 400, "Bad Request", "expected an audit.k8s.io EventList", close_after);
		return;
	}
	int rc = kc_store_begin(st);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = kc_auditlog_proc_object(p, json_object_array_get_idx(items, i));
	if (rc == 0)
		rc = kc_store_commit(st);
	json_object_put(root);
	if (rc < 0) {
		kc_store_rollback(st);
		/* not acknowledged: the API server keeps the batch and tries again */
		respond_error(c, 500, "Internal Server Error", kc_error_last(), close_after);
		return;
	}
	respond(c, 200, "OK", "{}", close_after);
}

/* Serves requests on one connection until it closes. */
static void serve_conn(struct conn *c, struct kc_store *st, struct kc_auditlog_proc *p)
{
	for (;;) {
		const char *eoh;
		while (!(eoh = memmem(c->in.ptr, c->in.len, "\r\n\r\n", 4))) {
			if (c->in.len > MAX_HEADER) {
				respond_error(c, 431, "Request Header Fields Too Large", "headers too large", 1);
				return;
			}
			if (conn_fill(c) <= 0)
				return;
		}
		size_t headlen = (size_t)(eoh - c->in.ptr) + 4;
		const char *head = c->in.ptr;
		size_t vlen;
		const char *conn_hdr = header(head, headlen, "Connection", &vlen);
		int close_after = conn_hdr && vlen == 5 && strncasecmp(conn_hdr, "close", 5) == 0;
		if (strncmp(head, "POST ", 5) != 0) {
			respond_error(c, 405, "Method Not Allowed", "POST an EventList", 1);
			return;
		}
		if (header(head, headlen, "Transfer-Encoding", &vlen)) {
			respond_error(c, 411, "Length Required", "send a Content-Length", 1);
			return;
		}
		const char *cl = header(head, headlen, "Content-Length", &vlen);
		char num[24];
		char *end;
		if (!cl || vlen == 0 || vlen >= sizeof(num)) {
			respond_error(c, 411, "Length Required", "send a Content-Length", 1);
			return;
		}
		memcpy(num, cl, vlen);
		num[vlen] = '\0';
		unsigned long long blen = strtoull(num, &end, 10);
		if (*end || num[0] == '-') {
			respond_error(c, 400, "Bad Request", "bad Content-Length", 1);
			return;
		}
		if (blen > c->w->max_body) {
			/* refused before reading it: the connection is closed, the body never buffered */
			respond_error(c, 413, "Payload Too Large", "body over the configured limit", 1);
			return;
		}
		while (c->in.len < headlen + blen)
			if (conn_fill(c) <= 0)
				return;
		handle_body(c, st, p, c->in.ptr + headlen, (size_t)blen, close_after);
		size_t used = headlen + (size_t)blen;
		memmove(c->in.ptr, c->in.ptr + used, c->in.len - used);
		kc_buf_truncate(&c->in, c->in.len - used);
		if (close_after)
			return;
	}
}

int kc_auditlog_webhook_serve(struct kc_auditlog_webhook *w, struct kc_store *st, struct kc_auditlog_proc *p)
{
	while (!done(w)) {
		struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, IO_SLICE_MS);
		if (pr <= 0)
			continue;
		int cfd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		/* a handshake that stalls must not hold the only serving thread for long */
		struct timeval tv = { .tv_sec = 10 };
		setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		struct conn c = { .w = w, .fd = cfd, .in = KC_BUF_INIT };
		c.ssl = SSL_new(w->ctx);
		if (c.ssl && SSL_set_fd(c.ssl, cfd) == 1 && SSL_accept(c.ssl) == 1) {
			serve_conn(&c, st, p);
			SSL_shutdown(c.ssl);
		}
		ERR_clear_error();
		SSL_free(c.ssl);
		close(cfd);
		kc_buf_free(&c.in);
	}
	return 0;
}
