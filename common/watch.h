/* What the runtime monitors (bpf/, auditlog/) are given by `kubecomply watch`: their
 * options, the policies directory and the stop signal. Passed in, so that a monitor never
 * calls back into the CLI above it. */
#ifndef KC_COMMON_WATCH_H
#define KC_COMMON_WATCH_H

#include <stdint.h>

struct kc_watch_opts {
	const char *db;            /* --db */
	int bpf;                   /* --bpf */
	const char *audit_log;     /* --audit-log FILE */
	int once;                  /* --once: read what is there and exit */
	const char *webhook_addr;  /* --audit-webhook ADDR (host:port) */
	const char *webhook_path;  /* --audit-webhook-path (default /audit) */
	const char *tls_cert, *tls_key, *client_ca;
	double duration;           /* --duration S; 0 = until signalled */
	uint64_t ringbuf_size;     /* --ringbuf-size BYTES; 0 = default */
	const char *root;          /* --root: the host's filesystem (watch lists, /var/log/pods) */
	const char *policy_dir;    /* extra rule files */
	const char *metrics_addr;  /* --metrics-addr HOST:PORT */
	int quiet;
	/* The policies directory (runtime/bpf-rules.yaml, runtime/audit-rules.yaml); NULL:
	 * "policies" in the working directory. */
	const char *policy_root;
	/* Polled by the monitors; nonzero ends them (SIGTERM/SIGINT in the CLI). NULL: only the
	 * duration ends them. */
	int (*stopping)(void);
};

#endif
