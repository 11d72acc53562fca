/* The BPF runtime monitor as a library: kc_bpf_watch (auditor/watch.h) is open + run + free.
 * Split so that a test or a bench can attach, generate activity, and drain deterministically.
 * One thread runs the monitor (it is the store's single writer); only kc_bpfmon_stop may be
 * called from another thread. */
#ifndef KC_BPF_BPFMON_H
#define KC_BPF_BPFMON_H

#include <stdint.h>

#include "auditor/watch.h"
#include "bpf/monitor.h"

struct kc_bpfmon;

#define KC_BPFMON_DEFAULT_RINGBUF (8u << 20)

/* Loads and attaches the programs (reporting each on stderr unless o->quiet, and in the
 * store's attachments table), builds the watch list from o->root and loads the rules from
 * o->policy_dir (the policies directory holding runtime/bpf-rules.yaml; default
 * kc_cli_policy_root()).
 * Fails when no program could be attached. */
int kc_bpfmon_open(const struct kc_watch_opts *o, struct kc_store *st, int64_t run_id,
		   struct kc_bpfmon **out);
/* Polls until kc_bpfmon_stop, kc_watch_stopping() or duration seconds (0 = no limit), then
 * drains. Returns 0 or the first fatal error. */
int kc_bpfmon_run(struct kc_bpfmon *m, double duration);
/* One round: waits up to timeout_ms for events, writes them, commits a batch that is 250 ms
 * old or 1,000 rows big, samples loss once a second. */
int kc_bpfmon_poll(struct kc_bpfmon *m, int timeout_ms);
/* Reads everything in the ring buffer, samples loss, commits. */
int kc_bpfmon_drain(struct kc_bpfmon *m);
void kc_bpfmon_stop(struct kc_bpfmon *m);
/* Kernel counters summed over CPUs, and what user space received, per enum kc_mon_type. */
void kc_bpfmon_totals(struct kc_bpfmon *m, struct kc_mon_counters tot[KC_MON_NTYPES],
		      uint64_t received[KC_MON_NTYPES]);
/* Programs attached and not attached. */
void kc_bpfmon_attached(const struct kc_bpfmon *m, int *ok, int *failed);
/* Drains, records the period's counters (an event of type "monitor-stats"), commits,
 * detaches. */
void kc_bpfmon_free(struct kc_bpfmon *m);

#endif
