/* The audit webhook endpoint (see webhook.h): TLS with OpenSSL on non-blocking sockets, the
 * request head parsed by http.c, EventList decoding with json-c, a worker pool fed by the
 * accepting thread. */
#include "auditlog/webhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/http.h"
#include "common/error.h"
#include "common/log.h"
#include "common/net.h"
#include "common/strbuf.h"

#define MAX_HEAD 16384
#define IO_SLICE_MS 200
#define QUEUE_CAP 64
#define PEERS 256
#define WRITE_MS 10000

struct slot {
	int fd;
	int peer;   /* index in peers */
};

struct kc_auditlog_webhook {
	int fd;
	int port;
	SSL_CTX *ctx;
	char *path;
	size_t max_body;
	double duration;
	int (*stopping)(void);
	struct timespec t0;
	unsigned workers, per_peer, head_ms, idle_ms, body_ms, busy_ms;

	pthread_mutex_t mu;            /* queue, peers, stats */
	pthread_cond_t cv;
	struct slot queue[QUEUE_CAP];
	unsigned qhead, qn;
	int quit;
	struct { char addr[INET6_ADDRSTRLEN]; unsigned n; } peers[PEERS];
	struct kc_auditlog_webhook_stats stats;
	int64_t last_bad_log;          /* rate limit of the bad-item warning (ms) */

	pthread_mutex_t store_mu;      /* one batch in the store at a time */
	struct kc_store *st;
	struct kc_auditlog_proc *p;
};

static int ssl_fail(const char *what)
{
	char msg[256];
	unsigned long e = ERR_get_error();
	ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	return kc_error_set(KC_EINVAL, "audit webhook: %s: %s", what, e ? msg : "unknown TLS error");
}

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

#define STAT_ADD(w, field, n) do { \
	pthread_mutex_lock(&(w)->mu); (w)->stats.field += (n); pthread_mutex_unlock(&(w)->mu); \
} while (0)

int kc_auditlog_webhook_open(const struct kc_auditlog_webhook_opts *o, struct kc_auditlog_webhook **out)
{
	*out = NULL;
	if (!o->addr || !o->cert || !o->key)
		return kc_error_set(KC_EINVAL, "audit webhook: needs an address, --tls-cert and --tls-key");
	if (o->path && o->path[0] != '/')
		return kc_error_set(KC_EINVAL, "audit webhook: the path must start with '/', got '%s'", o->path);
	/* a TLS write to a socket the peer closed raises SIGPIPE, whose default action ends the
	 * process: every write error is handled on its connection instead */
	signal(SIGPIPE, SIG_IGN);
	struct kc_auditlog_webhook *w = kc_xcalloc(1, sizeof(*w));
	w->fd = -1;
	w->path = kc_strdup(o->path ? o->path : "/audit");
	w->max_body = o->max_body ? o->max_body : (32u << 20);
	w->duration = o->duration;
	w->stopping = o->stopping;
	w->workers = o->workers ? o->workers : 8;
	w->per_peer = o->per_peer ? o->per_peer : 4;
	w->head_ms = o->head_ms ? o->head_ms : 10000;
	w->idle_ms = o->idle_ms ? o->idle_ms : 30000;
	w->body_ms = o->body_ms ? o->body_ms : 30000;
	w->busy_ms = o->busy_ms ? o->busy_ms : 5000;
	w->last_bad_log = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_mutex_init(&w->store_mu, NULL);
	clock_gettime(CLOCK_MONOTONIC, &w->t0);
	int rc;

	w->ctx = SSL_CTX_new(TLS_server_method());
	if (!w->ctx) {
		rc = ssl_fail("creating the TLS context");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(w->ctx, TLS1_2_VERSION);
	/* a write may complete in parts on a non-blocking socket; the buffer may move between tries */
	SSL_CTX_set_mode(w->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
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
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->store_mu);
	free(w->path);
	free(w);
}

int kc_auditlog_webhook_port(const struct kc_auditlog_webhook *w)
{
	return w->port;
}

void kc_auditlog_webhook_stats(struct kc_auditlog_webhook *w, struct kc_auditlog_webhook_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	pthread_mutex_unlock(&w->mu);
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
	const char *peer;
	int64_t deadline;   /* monotonic ms: the current wait ends here */
	struct kc_buf in;   /* bytes received, not yet consumed */
};

/* Waits for the socket; 1 ready, 0 deadline passed or stopping, -1 error. */
static int wait_io(struct conn *c, int write)
{
	for (;;) {
		int64_t left = c->deadline - mono_ms();
		if (left <= 0) {
			STAT_ADD(c->w, timeouts, 1);
			return 0;
		}
		if (done(c->w))
			return 0;
		struct pollfd pfd = { .fd = c->fd, .events = write ? POLLOUT : POLLIN };
		int pr = poll(&pfd, 1, left < IO_SLICE_MS ? (int)left : IO_SLICE_MS);
		if (pr > 0)
			return 1;
		if (pr < 0 && errno != EINTR)
			return -1;
	}
}

/* Drives one TLS call that may want to read or write; 1 done, 0 deadline/closed, -1 error. */
static int ssl_wait(struct conn *c, int n)
{
	int err = SSL_get_error(c->ssl, n);
	if (err == SSL_ERROR_WANT_READ)
		return wait_io(c, 0) > 0 ? 1 : 0;
	if (err == SSL_ERROR_WANT_WRITE)
		return wait_io(c, 1) > 0 ? 1 : 0;
	ERR_clear_error();
	return -1;
}

static int conn_handshake(struct conn *c)
{
	for (;;) {
		int n = SSL_accept(c->ssl);
		if (n == 1)
			return 1;
		if (ssl_wait(c, n) <= 0)
			return 0;
	}
}

/* Reads more bytes into c->in before c->deadline; 1 read, 0 closed/deadline/stopping. */
static int conn_fill(struct conn *c)
{
	char buf[65536];
	for (;;) {
		int n = SSL_read(c->ssl, buf, sizeof(buf));
		if (n > 0) {
			kc_buf_add(&c->in, buf, (size_t)n);
			return 1;
		}
		if (ssl_wait(c, n) <= 0)
			return 0;
	}
}

/* Writes all of data before the write deadline; 0, or -1 when the peer went away. */
static int conn_write(struct conn *c, const char *data, size_t len)
{
	c->deadline = mono_ms() + WRITE_MS;
	size_t off = 0;
	while (off < len) {
		int n = SSL_write(c->ssl, data + off, (int)(len - off));
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (ssl_wait(c, n) <= 0)
			return -1;
	}
	return 0;
}

/* retry_after > 0 adds Retry-After (seconds), which client-go's checkWait honours for 429 and
 * 5xx. Returns -1 when the answer could not be delivered. */
static int respond(struct conn *c, int code, const char *body, int close_after, int retry_after)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n",
		      code, kc_http_reason_phrase(code), strlen(body));
	if (retry_after > 0)
		kc_buf_printf(&b, "Retry-After: %d\r\n", retry_after);
	if (code == 405)
		kc_buf_puts(&b, "Allow: POST\r\n");
	kc_buf_printf(&b, "%s\r\n%s", close_after ? "Connection: close\r\n" : "", body);
	int rc = conn_write(c, b.ptr, b.len);
	kc_buf_clear(&b);
	pthread_mutex_lock(&c->w->mu);
	if (code == 429 || code == 503)
		c->w->stats.busy++;
	else if (code >= 500)
		c->w->stats.failed++;
	else if (code >= 400)
		c->w->stats.refused++;
	pthread_mutex_unlock(&c->w->mu);
	return rc;
}

static int respond_error(struct conn *c, int code, const char *msg, int close_after, int retry_after)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, "{\"error\":");
	kc_buf_put_json_str(&b, msg);
	kc_buf_putc(&b, '}');
	int rc = respond(c, code, b.ptr, close_after, retry_after);
	kc_buf_clear(&b);
	return rc;
}

/* Items that are not audit events are skipped; the loss is a gap row in the same transaction. */
static int record_bad_items(struct conn *c, size_t bad, size_t n)
{
	struct kc_auditlog_webhook *w = c->w;
	int64_t now = mono_ms();
	pthread_mutex_lock(&w->mu);
	int log_it = w->last_bad_log < 0 || now - w->last_bad_log >= 10000;
	if (log_it)
		w->last_bad_log = now;
	pthread_mutex_unlock(&w->mu);
	char detail[256];
	snprintf(detail, sizeof(detail), "%zu of %zu items in a batch from %s were not audit events: skipped",
		 bad, n, c->peer);
	if (log_it)
		kc_log_fields(KC_LOG_WARN, (const char *const[]){ "monitor", "audit:webhook", NULL }, "%s", detail);
	int64_t run_id = kc_auditlog_proc_run_id(w->p);
	if (!run_id)
		return 0;
	char *t = kc_time_now_rfc3339();
	struct kc_gap g = { .monitor = (char *)"audit:webhook", .start = t, .end = t,
			    .seen = n, .sent = n, .lost = bad, .detail = detail };
	int rc = kc_store_add_gap(w->st, run_id, &g);
	free(t);
	return rc;
}

/* Stores one batch under the store lock. Returns the status to answer. */
static int store_batch(struct conn *c, struct json_object *items, int *retry_after, const char **msg)
{
	struct kc_auditlog_webhook *w = c->w;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += w->busy_ms / 1000;
	until.tv_nsec += (long)(w->busy_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	if (pthread_mutex_timedlock(&w->store_mu, &until) != 0) {
		/* another batch holds the store for long: the API server backs off and resends */
		*retry_after = 1;
		*msg = "the store is busy with another batch";
		return 429;
	}
	size_t n = json_object_array_length(items), bad = 0;
	int code = 200;
	int rc = kc_store_begin(w->st);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		if (!json_object_is_type(it, json_type_object)) {
			bad++;
			continue;
		}
		rc = kc_auditlog_proc_object(w->p, it);
	}
	if (rc == 0 && bad)
		rc = record_bad_items(c, bad, n);
	if (rc == 0)
		rc = kc_store_commit(w->st);
	if (rc < 0) {
		int busy = kc_store_busy(w->st);
		kc_store_rollback(w->st);
		/* not acknowledged: the API server keeps the batch and tries again */
		if (busy) {
			code = 503;
			*retry_after = 2;
			*msg = "the evidence store is locked by another process";
		} else {
			code = 500;
			*retry_after = 5;
			*msg = kc_error_last();
		}
	}
	pthread_mutex_unlock(&w->store_mu);
	if (code == 200) {
		pthread_mutex_lock(&w->mu);
		w->stats.batches++;
		w->stats.items += n - bad;
		w->stats.bad_items += bad;
		pthread_mutex_unlock(&w->mu);
	}
	return code;
}

/* Decodes one body (outside the store lock: batches of several clients decode in parallel)
 * and stores it. Returns -1 when the answer could not be delivered. */
static int handle_body(struct conn *c, const char *body, size_t len, int close_after)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
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
		     (json_object_is_type(items, json_type_array) || json_object_is_type(items, json_type_null));
	if (!ok) {
		json_object_put(root);
		return respond_error(c, 400, "expected an audit.k8s.io EventList", close_after, 0);
	}
	if (json_object_is_type(items, json_type_null)) {
		/* an empty list marshalled by Go: nothing to store */
		json_object_put(root);
		return respond(c, 200, "{}", close_after, 0);
	}
	int retry_after = 0;
	const char *msg = NULL;
	int code = store_batch(c, items, &retry_after, &msg);
	json_object_put(root);
	if (code != 200)
		return respond_error(c, code, msg, close_after, retry_after);
	return respond(c, 200, "{}", close_after, 0);
}

/* Serves requests on one connection until it closes, misbehaves or a deadline passes. */
static void serve_conn(struct conn *c)
{
	struct kc_auditlog_webhook *w = c->w;
	int first = 1;
	for (;;) {
		/* the first request's head counts from the handshake; later ones wait idle_ms for
		 * their first byte, then head_ms for the rest of the head */
		if (!first && !c->in.len)
			c->deadline = mono_ms() + w->idle_ms;
		struct kc_http_request r;
		long hl;
		while ((hl = kc_http_request_parse(c->in.ptr ? c->in.ptr : "", c->in.len, MAX_HEAD, &r)) == 0) {
			size_t had = c->in.len;
			if (conn_fill(c) <= 0)
				return;
			if (!had && !first)
				c->deadline = mono_ms() + w->head_ms;
		}
		first = 0;
		if (hl < 0) {
			respond_error(c, r.status, r.reason, 1, 0);
			return;
		}
		STAT_ADD(w, requests, 1);
		if (strcmp(r.method, "POST") != 0) {
			respond_error(c, 405, "POST an EventList", 1, 0);
			return;
		}
		if (strcmp(r.path, w->path) != 0) {
			respond_error(c, 404, "no such path: the audit webhook is served at its configured path", 1, 0);
			return;
		}
		if (!r.json) {
			respond_error(c, 415, "expected Content-Type: application/json", 1, 0);
			return;
		}
		if ((uint64_t)r.content_length > w->max_body) {
			/* refused before reading it: the connection is closed, the body never buffered */
			respond_error(c, 413, "body over the configured limit", 1, 0);
			return;
		}
		size_t blen = (size_t)r.content_length;
		if (r.expect_continue && c->in.len < (size_t)hl + blen &&
		    conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
			return;
		c->deadline = mono_ms() + w->body_ms + (int64_t)(blen >> 20) * 1000;
		while (c->in.len < (size_t)hl + blen)
			if (conn_fill(c) <= 0)
				return;
		if (handle_body(c, c->in.ptr + hl, blen, !r.keep_alive) < 0)
			return;
		size_t used = (size_t)hl + blen;
		memmove(c->in.ptr, c->in.ptr + used, c->in.len - used);
		kc_buf_truncate(&c->in, c->in.len - used);
		if (!r.keep_alive)
			return;
	}
}

/* Closing a socket with unread input sends a reset, and a reset makes the peer drop our
 * answer from its receive buffer: after a refusal sent before the body was read, half-close
 * and drain what is still coming for a moment (a "lingering close", as HTTP servers do). */
static void linger_close(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	char buf[16384];
	size_t drained = 0;
	int64_t until = mono_ms() + 1000;
	while (drained < (1u << 20)) {
		int64_t left = until - mono_ms();
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
			break;
		if (n > 0)
			drained += (size_t)n;
	}
}

static void serve_fd(struct kc_auditlog_webhook *w, int fd, const char *peer)
{
	struct conn c = { .w = w, .fd = fd, .peer = peer, .in = KC_BUF_INIT };
	c.deadline = mono_ms() + w->head_ms;
	c.ssl = SSL_new(w->ctx);
	if (c.ssl && SSL_set_fd(c.ssl, fd) == 1 && conn_handshake(&c) == 1) {
		STAT_ADD(w, connections, 1);
		serve_conn(&c);
		/* best effort: a peer that is gone makes this fail, which is fine */
		SSL_shutdown(c.ssl);
		linger_close(&c);
	} else {
		STAT_ADD(w, handshake_failed, 1);
	}
	ERR_clear_error();
	SSL_free(c.ssl);
	kc_buf_clear(&c.in);
}

static void *worker(void *arg)
{
	struct kc_auditlog_webhook *w = arg;
	/* belt and braces beside SIG_IGN: a SIGPIPE meant for this thread stays pending */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->qn && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->qn) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		struct slot s = w->queue[w->qhead];
		w->qhead = (w->qhead + 1) % QUEUE_CAP;
		w->qn--;
		char peer[INET6_ADDRSTRLEN];
		memcpy(peer, w->peers[s.peer].addr, sizeof(peer));
		int quitting = w->quit;
		pthread_mutex_unlock(&w->mu);
		if (!quitting)
			serve_fd(w, s.fd, peer);
		close(s.fd);
		pthread_mutex_lock(&w->mu);
		w->peers[s.peer].n--;
		pthread_mutex_unlock(&w->mu);
	}
}

static void peer_name(const struct sockaddr_storage *sa, char out[INET6_ADDRSTRLEN])
{
	out[0] = '\0';
	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, INET6_ADDRSTRLEN);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, INET6_ADDRSTRLEN);
	if (!out[0])
		snprintf(out, INET6_ADDRSTRLEN, "unknown");
}

/* Queues an accepted connection; 0, or -1 (refused: the caller closes it). Under w->mu. */
static int admit(struct kc_auditlog_webhook *w, int fd, const char *peer)
{
	int free_slot = -1, at = -1;
	for (int i = 0; i < PEERS; i++) {
		if (w->peers[i].n && strcmp(w->peers[i].addr, peer) == 0) {
			at = i;
			break;
		}
		if (!w->peers[i].n && free_slot < 0)
			free_slot = i;
	}
	if (at >= 0 && w->peers[at].n >= w->per_peer) {
		w->stats.refused_peer++;
		return -1;
	}
	if (w->qn == QUEUE_CAP || (at < 0 && free_slot < 0)) {
		w->stats.refused_full++;
		return -1;
	}
	if (at < 0) {
		at = free_slot;
		snprintf(w->peers[at].addr, sizeof(w->peers[at].addr), "%s", peer);
	}
	w->peers[at].n++;
	w->queue[(w->qhead + w->qn) % QUEUE_CAP] = (struct slot){ .fd = fd, .peer = at };
	w->qn++;
	pthread_cond_signal(&w->cv);
	return 0;
}

int kc_auditlog_webhook_serve(struct kc_auditlog_webhook *w, struct kc_store *st, struct kc_auditlog_proc *p)
{
	w->st = st;
	/* a batch must be answered within the API server's webhook timeout: give up on another
	 * process's lock early and answer 503 with Retry-After instead (the batch is resent) */
	if (st)
		kc_store_set_busy_timeout(st, (int)w->busy_ms);
	w->p = p;
	w->quit = 0;
	pthread_t *th = kc_xcalloc(w->workers, sizeof(*th));
	unsigned started = 0;
	for (; started < w->workers; started++)
		if (pthread_create(&th[started], NULL, worker, w) != 0)
			break;
	int rc = 0;
	if (!started) {
		rc = kc_error_set(KC_EGENERIC, "audit webhook: cannot start a worker thread");
		goto out;
	}
	while (!done(w)) {
		struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
		if (poll(&pfd, 1, IO_SLICE_MS) <= 0)
			continue;
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		int cfd = accept4(w->fd, (struct sockaddr *)&sa, &salen, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0)
			continue;
		char peer[INET6_ADDRSTRLEN];
		peer_name(&sa, peer);
		pthread_mutex_lock(&w->mu);
		int admitted = admit(w, cfd, peer);
		pthread_mutex_unlock(&w->mu);
		if (admitted < 0)
			close(cfd); /* the API server's client retries a reset connection */
	}
out:
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	return rc;
}
