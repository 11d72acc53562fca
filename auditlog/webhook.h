/* The audit webhook: an HTTPS endpoint the API server's webhook backend posts EventList
 * batches to (--audit-webhook-config-file; see docs/auditlog.md). Several API servers post at
 * once, so connections are served concurrently by a small pool of worker threads fed by the
 * accepting thread through a bounded queue; a peer may hold at most per_peer connections,
 * every wait has a deadline (TLS handshake and request head, body, idle keep-alive, answer),
 * and nothing a client does can end the process (SIGPIPE is ignored, every TLS error is
 * handled on its connection).
 *
 * Answers follow what the API server's client does with them (k8s.io/apiserver
 * pkg/util/webhook DefaultShouldRetry, client-go rest checkWait): 200 once the batch is
 * committed (an item that is not an audit event is counted, recorded as a gap and skipped; the
 * rest is stored); 400 only for a body that is not an EventList at all; 413 for a body over
 * max_body (refused from its Content-Length, never read); 415 for a content type other than
 * JSON; 404 for another path; 429 with Retry-After when the store is held by another batch for
 * longer than busy_ms, 503 with Retry-After when the database is locked by another process,
 * 500 with Retry-After when it fails: all three are retried, nothing is acknowledged before
 * it is stored.
 *
 * The store has one writer: batches are decoded in parallel and committed one at a time
 * through the single processor under a lock. */
#ifndef KC_AUDITLOG_WEBHOOK_H
#define KC_AUDITLOG_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "auditlog/proc.h"
#include "store/store.h"

struct kc_auditlog_webhook;

struct kc_auditlog_webhook_opts {
	const char *addr;        /* "host:port", "[v6]:port", ":port"; port 0 picks one */
	const char *cert, *key;  /* PEM server certificate (chain) and key: required */
	const char *client_ca;   /* PEM CAs: when set, clients must present a certificate */
	const char *path;        /* the URL path the API server posts to; NULL = "/audit" */
	size_t max_body;         /* bytes; 0 = 32 MiB (400 events of RequestResponse level) */
	double duration;         /* seconds; 0 = until stopping() */
	int (*stopping)(void);
	unsigned workers;        /* serving threads; 0 = 8 */
	unsigned per_peer;       /* connections one client address may hold; 0 = 4 */
	unsigned head_ms;        /* TLS handshake + request head; 0 = 10 s */
	unsigned idle_ms;        /* keep-alive wait for the next request; 0 = 30 s */
	unsigned body_ms;        /* body: this + 1 s per MiB; 0 = 30 s */
	unsigned busy_ms;        /* wait for the store before answering 429; 0 = 5 s */
};

struct kc_auditlog_webhook_stats {
	uint64_t connections;      /* accepted and served */
	uint64_t refused_peer;     /* closed at accept: the peer already held per_peer connections */
	uint64_t refused_full;     /* closed at accept: every worker busy and the queue full */
	uint64_t handshake_failed;
	uint64_t timeouts;         /* a deadline passed (head, body, answer) */
	uint64_t requests;         /* complete request heads */
	uint64_t batches;          /* committed and answered 200 */
	uint64_t items;            /* events stored (offered to the processor) */
	uint64_t bad_items;        /* items skipped: not an audit event */
	uint64_t busy;             /* answered 429 or 503 */
	uint64_t refused;          /* answered 4xx other than 429 */
	uint64_t failed;           /* answered 500 */
};

int kc_auditlog_webhook_open(const struct kc_auditlog_webhook_opts *o, struct kc_auditlog_webhook **out);
void kc_auditlog_webhook_free(struct kc_auditlog_webhook *w);
/* The bound port (after port 0). */
int kc_auditlog_webhook_port(const struct kc_auditlog_webhook *w);
/* Serves until stopping()/duration; 0, or negative on a fatal error. The calling thread
 * accepts; the workers it starts are joined before it returns. */
int kc_auditlog_webhook_serve(struct kc_auditlog_webhook *w, struct kc_store *st, struct kc_auditlog_proc *p);
/* A consistent copy of the counters (any thread). */
void kc_auditlog_webhook_stats(struct kc_auditlog_webhook *w, struct kc_auditlog_webhook_stats *out);

#endif
