/* Audit exec ↔ kernel exec: when `watch` runs both monitors, each exec or attach into a pod
 * seen in the audit log ("who", from the API server) is linked with the processes the BPF
 * monitor saw start in that pod right after ("what ran", from the kernel), in the audit
 * finding's own evidence (`kernel_execs` in its data). The link is made once the window
 * has passed and the monitor's batch for it is committed. */
#ifndef KC_CORRELATE_H
#define KC_CORRELATE_H

#include <stdint.h>

#include "auditlog/correlate.h"
#include "store/store.h"

/* How long after the API server's answer a process in the pod counts as started by it. */
#define KC_CORRELATE_WINDOW_MS 5000
/* How long to wait past the window for the BPF monitor's batch (250 ms) to be committed. */
#define KC_CORRELATE_SETTLE_MS 1500

struct kc_correlator;

/* st: a connection of the correlator's own (the monitors write through theirs). */
int kc_correlator_new(struct kc_store *st, struct kc_correlator **out);
void kc_correlator_free(struct kc_correlator *c);
/* Queues an exec reference (copied); safe from any thread. Fits kc_auditlog_exec_fn. */
void kc_correlator_add(void *correlator, const struct kc_audit_exec_ref *ref);
/* Links every queued reference whose window ended before now_ms - SETTLE (all when force).
 * Returns how many were linked, or a negative code. */
int kc_correlator_flush(struct kc_correlator *c, int64_t now_ms, int force);

/* The link itself: BPF exec events of namespace/pod in [t_ms - 1 s, t_ms + window_ms] are
 * added to finding_id's data as `kernel_execs` (time, pid, ppid, comm, path, container_id,
 * argv). Returns how many processes were linked (0 leaves the finding unchanged). */
int kc_correlate_exec(struct kc_store *st, int64_t finding_id, const char *namespace_, const char *pod,
		      int64_t t_ms, int64_t window_ms);

#endif
