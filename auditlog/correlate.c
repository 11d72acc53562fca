/* The BPF correlation hook (see correlate.h): a handler slot, nothing more. */
#include "auditlog/correlate.h"

#include <stddef.h>

static kc_auditlog_exec_fn exec_fn;
static void *exec_payload;

void kc_auditlog_correlate_set(kc_auditlog_exec_fn fn, void *payload)
{
	exec_fn = fn;
	exec_payload = payload;
}

void kc_auditlog_correlate_exec(const struct kc_audit_exec_ref *ref)
{
	if (exec_fn)
		exec_fn(exec_payload, ref);
}
