/* Continuous mode: `kubecomply watch`. The subcommand (auditor/cmd_watch.c) parses options,
 * opens the store, creates the watch run, and runs the monitors asked for; each monitor is
 * an entry point that returns when the duration ends, on SIGTERM/SIGINT (kc_watch_stopping),
 * or on a fatal error (negative code, message in kc_error_last()). */
#ifndef KC_WATCH_H
#define KC_WATCH_H

#include <stdint.h>

#include "auditor/run.h"
#include "store/store.h"

struct kc_watch_opts {
	const char *db;            /* --db */
	int bpf;                   /* --bpf */
	const char *audit_log;     /* --audit-log FILE */
	int once;                  /* --once: read what is there and exit */
	const char *webhook_addr;  /* --audit-webhook ADDR (host:port) */
	const char *tls_cert, *tls_key, *client_ca;
	double duration;           /* --duration S; 0 = until signalled */
	uint64_t ringbuf_size;     /* --ringbuf-size BYTES; 0 = default */
	const char *root;          /* --root: the host's filesystem (watch lists, /var/log/pods) */
	const char *policy_dir;    /* extra rule files */
	const char *metrics_addr;  /* --metrics-addr HOST:PORT */
	int quiet;
};

/* Set by the signal handler installed by cmd_watch; monitors poll it. */
int kc_watch_stopping(void);
void kc_watch_request_stop(void);

/* BPF monitors (bpf/monitor.c). */
int kc_bpf_watch(const struct kc_watch_opts *o, struct kc_store *st, struct kc_run *run);
/* Audit-log follower and webhook (auditor/auditlog/). */
int kc_auditlog_watch(const struct kc_watch_opts *o, struct kc_store *st, struct kc_run *run);

#endif
