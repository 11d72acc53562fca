/* What a BPF event means: attribution (cgroup -> pod), the process tree, the watch list's
 * path for an inode, redacted argv, the event row, and the rules' findings. The caller owns
 * the store transaction; this module only adds rows to it. */
#ifndef KC_BPF_DECODE_H
#define KC_BPF_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "bpf/attribution.h"
#include "bpf/rules.h"
#include "bpf/u64map.h"
#include "bpf/watchlist.h"

struct kc_bpf_decoder {
	struct kc_store *st;
	int64_t run_id;
	struct kc_attr_cache *attr;        /* owned */
	struct kc_watchlist wl;            /* owned */
	struct kc_bpf_rules rules;             /* owned */
	struct kc_u64map procs;            /* pid -> executable path (char *) */
	struct kc_u64map euids;            /* pid -> effective uid + 1 (as a pointer), from its
					    * fork, exec or last set*id: "was it root before" */
	uint64_t tmp_dirs[4][2];           /* (kernel dev, ino) of /tmp, /var/tmp, /dev/shm, /run/shm */
	const char *tmp_names[4];
	size_t ntmp;
	double boot_to_real;               /* CLOCK_REALTIME - CLOCK_BOOTTIME, seconds */
	size_t rows;                       /* rows added since the caller last reset it */
	uint64_t findings;
	int watch_changed;                 /* a watched directory's names changed: rebuild the
					    * watch list (the caller resets it) */
};

/* rules_path: the YAML rules file; root: --root (watch list, /var/log/pods). */
int kc_bpf_decoder_init(struct kc_bpf_decoder *d, struct kc_store *st, int64_t run_id, const char *root,
		    const char *rules_path);
void kc_bpf_decoder_clear(struct kc_bpf_decoder *d);
/* Decodes one ring-buffer record and adds its rows. A short or unknown record is skipped. */
int kc_bpf_decoder_event(struct kc_bpf_decoder *d, const void *data, size_t size);
/* Name of an x86-64 syscall number the monitor filters, NULL for others. */
const char *kc_bpf_decoder_syscall_name(unsigned nr);
/* RFC 3339 UTC with milliseconds for a bpf_ktime_get_boot_ns() value; caller frees. */
char *kc_bpf_decoder_time(const struct kc_bpf_decoder *d, uint64_t boot_ns);

#endif
