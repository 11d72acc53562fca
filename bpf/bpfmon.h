/* The BPF runtime monitor as a library: kc_bpf_watch is open + run + free.
 * Split so that a test or a bench can attach, generate activity, and drain deterministically.
 * One thread runs the monitor (it is the store's single writer); only kc_bpfmon_stop may be
 * called from another thread. */
#ifndef KC_BPF_BPFMON_H
#define KC_BPF_BPFMON_H

#include <stdint.h>

#include "store/run.h"
#include "bpf/monitor.h"
#include "common/watch.h"
#include "store/store.h"

struct kc_bpfmon;

/* The monitor for `kubecomply watch --bpf`: open, run until o->duration ends or o->stopping()
 * says so, free. */
int kc_bpf_watch(const struct kc_watch_opts *o, struct kc_store *st, struct kc_run *run);

#define KC_BPFMON_DEFAULT_RINGBUF (8u << 20)

/* Loads and attaches the programs (reporting each on stderr unless o->quiet, and in the
 * store's attachments table), builds the watch list from o->root and loads the rules from
 * o->policy_dir (the policies directory holding runtime/bpf-rules.yaml; default
 * o->policy_root, else "policies").
 * Fails when no program could be attached. */
int kc_bpfmon_open(const struct kc_watch_opts *o, struct kc_store *st, int64_t run_id,
		   struct kc_bpfmon **out);

/* How opens and the watched syscalls are seen. */
enum kc_bpfmon_path {
	KC_BPFMON_PATH_NONE = 0,     /* not at all: neither path attached */
	KC_BPFMON_PATH_SYSCALL_TP,   /* tp/syscalls/sys_exit_<name>: only those syscalls run a program */
	KC_BPFMON_PATH_RAW_SYS_EXIT, /* fallback raw_tp/sys_exit: every syscall runs the program */
};

/* Which build of the syscall programs (tp_exit_<name>, handle_sys_exit) is loaded. Both read
 * the same kernel fields and send the same events. */
enum kc_bpfmon_variant {
	KC_BPFMON_VARIANT_NONE = 0,
	KC_BPFMON_VARIANT_FAST,      /* BTF pointer loads + the bpf_rdonly_cast kfunc (kernel 6.2+) */
	KC_BPFMON_VARIANT_COMPAT,    /* CO-RE probe reads, no kfunc (<name>_compat; 5.8+, 5.15+ for
				      * the per-syscall path's non-open programs) */
};

/* Monitor-level options beyond the command line's. */
struct kc_bpfmon_opts {
	/* Never mount or use tracefs: the raw_tp/sys_exit fallback. Also set by the environment
	 * variable KUBECOMPLY_BPF_TRACEFS=off (for nodes where mounting tracefs is unwanted). */
	int no_tracefs;
	/* Load the compat variant even where the fast one would load. Also set by the
	 * environment variable KUBECOMPLY_BPF_COMPAT=1. Without either, the variant follows the
	 * kernel: fast when its BTF has the bpf_rdonly_cast kfunc, else compat (and compat when
	 * the kernel refuses a fast program whose compat twin it accepts). */
	int compat;
};

/* kc_bpfmon_open with options; bo may be NULL. The per-syscall tracepoints need tracefs: when
 * <tracefs>/events is absent it is mounted at /sys/kernel/tracing (recorded in the attach
 * report and the attachments table) and unmounted by kc_bpfmon_free. A missing tracepoint of
 * a syscall the kernel implements, an unmountable tracefs or a failed attach selects the
 * raw_tp/sys_exit fallback; a syscall configured out of the kernel is simply not watched. */
int kc_bpfmon_open_opts(const struct kc_watch_opts *o, const struct kc_bpfmon_opts *bo,
			struct kc_store *st, int64_t run_id, struct kc_bpfmon **out);
/* The path in use; *why (may be NULL) gets the fallback's reason, NULL on the normal path. */
enum kc_bpfmon_path kc_bpfmon_syscall_path(const struct kc_bpfmon *m, const char **why);
/* The variant loaded; *why (may be NULL) gets the reason (forced, or what the kernel has). */
enum kc_bpfmon_variant kc_bpfmon_variant(const struct kc_bpfmon *m, const char **why);
/* 1 while tracefs is mounted by this monitor (it unmounts it when freed). */
int kc_bpfmon_mounted_tracefs(const struct kc_bpfmon *m);

/* Kernel-side cost per program, from the kernel's BPF statistics (counted only while
 * bpf_enable_stats(BPF_STATS_RUN_TIME) is in effect). Fills up to max; returns the count. */
struct kc_bpfmon_prog_stats {
	const char *name;        /* owned by the monitor */
	int attached;
	uint64_t run_cnt, run_time_ns;
};
int kc_bpfmon_prog_stats(const struct kc_bpfmon *m, struct kc_bpfmon_prog_stats *out, int max);
/* Polls until kc_bpfmon_stop, o->stopping() or duration seconds (0 = no limit), then
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
/* Programs attached and not attached (those of the path or variant not taken are neither). */
void kc_bpfmon_attached(const struct kc_bpfmon *m, int *ok, int *failed);
/* 1 when (dev in kernel encoding, ino) is in the kernel's watch map now. */
int kc_bpfmon_watched(const struct kc_bpfmon *m, uint64_t dev, uint64_t ino);
/* Watch-list rebuilds caused by a rename, link or unlink of a watched name. */
uint64_t kc_bpfmon_rescans(const struct kc_bpfmon *m);
/* Fail-safe on a store that cannot be written (full disk): while writes fail the monitor keeps
 * watching, counts the events it cannot store, tries the store again every second, and once
 * it works writes one gap row (monitor "bpf:store", lost = events not stored) for the period. */
struct kc_bpfmon_store_health {
	int degraded;            /* the store is failing now */
	uint64_t failures;       /* failed writes (process-wide) */
	uint64_t unstored;       /* events not stored: this degraded period (m), or ever (NULL) */
};
/* m NULL: process-wide figures, safe from any thread. */
void kc_bpfmon_store_health(const struct kc_bpfmon *m, struct kc_bpfmon_store_health *out);
/* Those figures as Prometheus series, appended to b (for /metrics). */
struct kc_buf;
void kc_bpfmon_metrics(struct kc_buf *b);
/* Drains, records the period's counters (an event of type "monitor-stats"), commits,
 * detaches. */
void kc_bpfmon_free(struct kc_bpfmon *m);

#endif
