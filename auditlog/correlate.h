/* Hook for linking an audit exec into a pod with the kernel's exec events in that pod's
 * cgroup (BPF monitor, same process): "who" from the audit log, "what ran" from the kernel.
 * The audit side calls kc_auditlog_correlate_exec for every exec/attach finding; a monitor
 * that wants the link installs a handler. Without one, nothing happens. */
#ifndef KC_AUDITLOG_CORRELATE_H
#define KC_AUDITLOG_CORRELATE_H

#include <stdint.h>

struct kc_audit_exec_ref {
	const char *audit_id;
	const char *user;          /* effective user (impersonated when impersonated) */
	const char *namespace_, *pod, *container; /* container from the request URI, may be NULL */
	const char *command;       /* may be NULL */
	int64_t time_ms;           /* event time */
	int64_t finding_id;        /* row id of the audit finding */
};

typedef void (*kc_auditlog_exec_fn)(void *payload, const struct kc_audit_exec_ref *ref);

/* Installs (or with fn NULL removes) the handler; called from the audit writer thread, so a
 * handler that touches another thread's state must lock. */
void kc_auditlog_correlate_set(kc_auditlog_exec_fn fn, void *payload);
void kc_auditlog_correlate_exec(const struct kc_audit_exec_ref *ref);

#endif
