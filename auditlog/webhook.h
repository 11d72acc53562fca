/* The audit webhook: an HTTPS endpoint the API server's webhook backend posts EventList
 * batches to (--audit-webhook-config-file; see docs/auditlog.md). A batch is acknowledged
 * (200) only after it is committed; a body over max_body is refused with 413 before it is
 * read, a body that is not an EventList with 400, a store failure with 500 (the API server
 * retries). One connection at a time, on the caller's thread: the store has one writer. */
#ifndef KC_AUDITLOG_WEBHOOK_H
#define KC_AUDITLOG_WEBHOOK_H

#include <stddef.h>

#include "auditlog/proc.h"
#include "store/store.h"

struct kc_auditlog_webhook;

struct kc_auditlog_webhook_opts {
	const char *addr;        /* "host:port", "[v6]:port", ":port"; port 0 picks one */
	const char *cert, *key;  /* PEM server certificate (chain) and key: required */
	const char *client_ca;   /* PEM CAs: when set, clients must present a certificate */
	size_t max_body;         /* bytes; 0 = 32 MiB (400 events of RequestResponse level) */
	double duration;         /* seconds; 0 = until stopping() */
	int (*stopping)(void);
};

int kc_auditlog_webhook_open(const struct kc_auditlog_webhook_opts *o, struct kc_auditlog_webhook **out);
void kc_auditlog_webhook_free(struct kc_auditlog_webhook *w);
/* The bound port (after port 0). */
int kc_auditlog_webhook_port(const struct kc_auditlog_webhook *w);
/* Serves until stopping()/duration; 0, or negative on a fatal error. */
int kc_auditlog_webhook_serve(struct kc_auditlog_webhook *w, struct kc_store *st, struct kc_auditlog_proc *p);

#endif
