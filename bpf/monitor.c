/* User side of the BPF monitor: choose the variant of the syscall programs this kernel can
 * run (fast, with the bpf_rdonly_cast kfunc, or compat, with CO-RE probe reads), load and
 * attach (reporting what this kernel refused), choose how opens and syscalls are seen
 * (per-syscall tracepoints, mounting tracefs if needed, else raw_tp/sys_exit), fill the
 * in-kernel filters, poll the ring buffer, write rows in batched
 * transactions, and turn the kernel's loss counters into monitor-gap rows once a second. */
#include "bpf/bpfmon.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/decode.h"
#include "bpf/monitor.skel.h"
#include "common/log.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strbuf.h"

#define BATCH_ROWS 1000
#define BATCH_SECONDS 0.25
#define SAMPLE_SECONDS 1.0
#define RESCAN_SECONDS 30.0  /* new pods' tokens, rotated certificates */
#define STORE_RETRY_SECONDS 1.0 /* a store that failed a write (full disk) is tried again after */
#define MAX_PROGS 64          /* masks of programs are uint64_t */

/* Where libbpf (1.x) reads tracepoint ids: the debugfs path when it exists, else tracefs. */
#define TRACEFS_DIR "/sys/kernel/tracing"
#define DEBUGFS_TRACING_DIR "/sys/kernel/debug/tracing"
#define SYS_EXIT_SEC "tp/syscalls/sys_exit_"
#define RAW_SYS_EXIT_SEC "raw_tp/sys_exit"
#define COMPAT_SUFFIX "_compat"  /* the compat twin of a syscall program */
#define FAST_KFUNC "bpf_rdonly_cast"

static const char *const monitor_names[KC_MON_NTYPES] = {
	"bpf:exec", "bpf:fork", "bpf:exit", "bpf:file", "bpf:syscall", "bpf:cgroup",
};

enum prog_group {
	PROG_BASE,               /* always attached: the process tree */
	PROG_SYSCALL_TP,         /* tp/syscalls/sys_exit_<name>: the per-syscall path */
	PROG_RAW_SYS_EXIT,       /* raw_tp/sys_exit: the fallback */
};

/* Which variant a program is: the syscall programs come in two (monitor.bpf.c). */
enum prog_variant {
	VAR_ANY,                 /* no variants: the tp_btf programs */
	VAR_FAST,
	VAR_COMPAT,
};

struct prog_state {
	const char *name, *section;
	enum prog_group group;
	enum prog_variant variant;
	int attached;
	int unused;              /* loaded, deliberately not attached (the other path, or no such syscall) */
	int off;                 /* the variant not in use: not loaded at all */
	int built;               /* syscall in the kernel per /proc/kallsyms: -1 not looked up */
	char *why;               /* NULL when attached */
	struct bpf_program *prog;
	struct bpf_link *link;
};

struct kc_bpfmon {
	int (*stopping)(void);   /* the caller's stop signal, NULL: none */
	size_t unwatched;        /* watch-list entries the kernel map could not hold (last sync) */
	uint64_t rescans;        /* watch-list rebuilds caused by renames, links and unlinks */
	const char *owner_groups[64]; /* owner lists entered in the kernel's owners map */
	size_t nowner_groups;
	struct kc_u64map src_last; /* cgroup id -> struct kc_src_counters at the last sample */
	/* fail-safe on a store that cannot write (full disk, I/O error): rows are dropped and
	 * counted while it fails, watching goes on, and the gap is written once it works */
	int degraded;            /* the last store write failed */
	double retry_at;         /* monotonic: when to try the store again */
	char *gap_start;         /* RFC 3339: the first failure of this degraded period */
	char *store_error;       /* its message */
	uint64_t unstored;       /* events of this period not stored (rolled back or dropped) */
	uint64_t tx_events;      /* events in the open transaction */
	int gap_in_tx;           /* the open transaction holds the degraded period's gap row */
	struct monitor_bpf *skel;
	struct ring_buffer *rb;
	struct kc_bpf_decoder dec;
	struct prog_state progs[MAX_PROGS];
	int nprogs;
	uint32_t ringbuf_size;
	int in_tx;
	double tx_start, last_sample, next_rescan;
	char *last_sample_time;
	struct kc_mon_counters last[KC_MON_NTYPES];
	uint64_t received[KC_MON_NTYPES];
	int err;
	atomic_int stop;
	char *root;
	int quiet;
	int no_tracefs;
	enum kc_bpfmon_variant variant;
	char *variant_why;       /* why that variant */
	int kallsyms_read;
	enum kc_bpfmon_path path;
	char *path_why;          /* why the fallback is in use */
	int tracefs_mounted;     /* kubecomply mounted tracefs at TRACEFS_DIR: unmount at exit */
	char *tracefs_detail;
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* libbpf's warnings while loading, kept for the error message instead of printed */
static struct kc_buf libbpf_log = KC_BUF_INIT;

__attribute__((format(printf, 2, 0)))
static int capture_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && libbpf_log.len < 4096)
		kc_buf_vprintf(&libbpf_log, fmt, ap);
	return 0;
}

/* The ring buffer's size must be a power of two and a multiple of the page size. */
static uint32_t ringbuf_bytes(uint64_t want)
{
	uint64_t n = 4096;
	if (!want)
		want = KC_BPFMON_DEFAULT_RINGBUF;
	while (n < want && n < (1u << 30))
		n <<= 1;
	return (uint32_t)n;
}

static struct monitor_bpf *open_skel(uint32_t rb_size)
{
	struct monitor_bpf *s = monitor_bpf__open();
	if (s) {
		s->rodata->wakeup_bytes = rb_size / 4;
		s->rodata->self_tgid = (__u32)getpid();
	}
	if (s && bpf_map__set_max_entries(s->maps.events, rb_size) < 0) {
		monitor_bpf__destroy(s);
		s = NULL;
	}
	return s;
}

static void set_prog(struct prog_state *ps, struct bpf_program *p)
{
	size_t n, sl = strlen(COMPAT_SUFFIX);
	ps->prog = p;
	ps->name = bpf_program__name(p);
	ps->section = bpf_program__section_name(p);
	ps->group = strncmp(ps->section, SYS_EXIT_SEC, strlen(SYS_EXIT_SEC)) == 0 ? PROG_SYSCALL_TP
		  : strcmp(ps->section, RAW_SYS_EXIT_SEC) == 0			  ? PROG_RAW_SYS_EXIT
											  : PROG_BASE;
	n = strlen(ps->name);
	ps->variant = ps->group == PROG_BASE			       ? VAR_ANY
		    : n > sl && strcmp(ps->name + n - sl, COMPAT_SUFFIX) == 0 ? VAR_COMPAT
									       : VAR_FAST;
	ps->built = -1;
}

static const char *variant_name(enum kc_bpfmon_variant v)
{
	return v == KC_BPFMON_VARIANT_FAST ? "fast" : v == KC_BPFMON_VARIANT_COMPAT ? "compat" : "none";
}

/* Which variant of the syscall programs to load: compat when forced (option, or
 * KUBECOMPLY_BPF_COMPAT=1), else fast exactly when the kernel's BTF has the bpf_rdonly_cast
 * kfunc (6.2+; ~20 ms to parse vmlinux BTF here). load() still falls back to compat if the
 * kernel then refuses a fast program whose compat twin it accepts. */
static void choose_variant(struct kc_bpfmon *m, int forced)
{
	const char *env = getenv("KUBECOMPLY_BPF_COMPAT");
	struct btf *vmlinux;
	char msg[192];

	free(m->variant_why);
	m->variant = KC_BPFMON_VARIANT_COMPAT;
	if (env && *env && strcmp(env, "0") != 0) {
		snprintf(msg, sizeof(msg), "forced by KUBECOMPLY_BPF_COMPAT=%.32s", env);
		m->variant_why = kc_strdup(msg);
		return;
	}
	if (forced) {
		m->variant_why = kc_strdup("forced by the monitor's compat option");
		return;
	}
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		snprintf(msg, sizeof(msg), "vmlinux BTF unreadable (%s), kfuncs unknown", strerror(errno));
		m->variant_why = kc_strdup(msg);
		return;
	}
	if (btf__find_by_name_kind(vmlinux, FAST_KFUNC, BTF_KIND_FUNC) > 0) {
		m->variant = KC_BPFMON_VARIANT_FAST;
		m->variant_why = kc_strdup("the kernel's BTF has the " FAST_KFUNC " kfunc");
	} else {
		m->variant_why = kc_strdup("the kernel's BTF has no " FAST_KFUNC " kfunc (added in 6.2)");
	}
	btf__free(vmlinux);
}

static int in_variant(const struct kc_bpfmon *m, const struct prog_state *ps)
{
	return ps->variant == VAR_ANY ||
	       ps->variant == (m->variant == KC_BPFMON_VARIANT_FAST ? VAR_FAST : VAR_COMPAT);
}

/* The other variant's program for the same hook, or -1. */
static int twin_of(const struct kc_bpfmon *m, int k)
{
	const struct prog_state *ps = &m->progs[k];
	for (int i = 0; i < m->nprogs && ps->variant != VAR_ANY; i++)
		if (m->progs[i].variant != VAR_ANY && m->progs[i].variant != ps->variant &&
		    strcmp(m->progs[i].section, ps->section) == 0)
			return i;
	return -1;
}

/* Sets exactly the programs of mask to load. */
static void set_autoload(struct monitor_bpf *t, uint64_t mask)
{
	struct bpf_program *p;
	int i = 0;
	bpf_object__for_each_program(p, t->obj) {
		bpf_program__set_autoload(p, i < MAX_PROGS && ((mask >> i) & 1));
		i++;
	}
}

/* The object the monitor keeps: m->progs point into it. */
static struct monitor_bpf *open_tracked(struct kc_bpfmon *m, uint64_t mask)
{
	struct monitor_bpf *t = open_skel(m->ringbuf_size);
	struct bpf_program *p;
	int i = 0;
	if (!t)
		return NULL;
	bpf_object__for_each_program(p, t->obj) {
		if (i < MAX_PROGS)
			set_prog(&m->progs[i], p);
		i++;
	}
	m->nprogs = i;
	set_autoload(t, mask);
	return t;
}

static uint64_t variant_mask(const struct kc_bpfmon *m)
{
	uint64_t mask = 0;
	for (int i = 0; i < m->nprogs; i++)
		if (in_variant(m, &m->progs[i]))
			mask |= 1ull << i;
	return mask;
}

/* The programs of the variant not in use are neither loaded nor attached: say so. */
static void mark_off(struct kc_bpfmon *m)
{
	char why[64];
	snprintf(why, sizeof(why), "not loaded: %s variant in use", variant_name(m->variant));
	for (int i = 0; i < m->nprogs; i++) {
		struct prog_state *ps = &m->progs[i];
		if (in_variant(m, ps))
			continue;
		ps->off = 1;
		free(ps->why);
		ps->why = kc_strdup(why);
	}
}

/* Loads the chosen variant (both syscall paths: loading needs no tracefs, and the fallback
 * must be ready if a tracepoint will not attach); when the kernel refuses the object, finds
 * out program by program which ones it refuses and loads the rest, so one missing hook does
 * not blind the others. A fast program refused while its compat twin loads switches every
 * syscall program to compat (one variant for all: the attach report stays one sentence). */
static int load(struct kc_bpfmon *m)
{
	uint64_t ok_mask = 0, all;
	int rc = 0;

	m->skel = open_tracked(m, 0);
	if (!m->skel)
		return kc_error_set_errno(errno, "opening the BPF object");
	if (m->nprogs > MAX_PROGS)
		return kc_error_set(KC_EIO, "the BPF object has more than %d programs", MAX_PROGS);
	set_autoload(m->skel, variant_mask(m));
	if (monitor_bpf__load(m->skel) == 0) {
		mark_off(m);
		return 0;
	}

	all = m->nprogs >= 64 ? ~0ull : (1ull << m->nprogs) - 1;
	/* m->progs keep pointing into m->skel (names, sections) while each program is tried in
	 * an object of its own */
	for (int k = 0; k < m->nprogs; k++) {
		struct monitor_bpf *t = open_skel(m->ringbuf_size);
		if (t)
			set_autoload(t, 1ull << k);
		if (!t)
			return kc_error_set_errno(errno, "opening the BPF object");
		kc_buf_reset(&libbpf_log);
		rc = monitor_bpf__load(t);
		if (rc == 0)
			ok_mask |= 1ull << k;
		else
			m->progs[k].why = kc_strdup(libbpf_log.len ? "verifier or kernel refused it (see libbpf log)"
								 : strerror(-rc));
		monitor_bpf__destroy(t);
	}
	for (int k = 0; k < m->nprogs && m->variant == KC_BPFMON_VARIANT_FAST; k++) {
		int tw = twin_of(m, k);
		if (m->progs[k].variant != VAR_FAST || ((ok_mask >> k) & 1) || tw < 0 || !((ok_mask >> tw) & 1))
			continue;
		struct kc_buf why = KC_BUF_INIT;
		kc_buf_printf(&why, "the fast variant did not load (%s: %s)", m->progs[k].name, m->progs[k].why);
		free(m->variant_why);
		m->variant_why = kc_buf_detach(&why);
		m->variant = KC_BPFMON_VARIANT_COMPAT;
	}
	ok_mask &= variant_mask(m) & all;
	monitor_bpf__destroy(m->skel);
	m->skel = open_tracked(m, ok_mask);
	if (!m->skel)
		return kc_error_set_errno(errno, "opening the BPF object");
	mark_off(m);
	if (!ok_mask || (rc = monitor_bpf__load(m->skel)) < 0) {
		int e = ok_mask ? -rc : EPERM;
		return kc_error_set(e == EPERM || e == EACCES ? KC_EUNSAFE : KC_EIO,
				    "loading BPF programs: %s%s%s (needs root or CAP_BPF+CAP_PERFMON, and a kernel with BTF)",
				    strerror(e), libbpf_log.len ? ": " : "", libbpf_log.ptr);
	}
	return 0;
}

static const char *tracing_dir(void)
{
	return access(DEBUGFS_TRACING_DIR, F_OK) == 0 ? DEBUGFS_TRACING_DIR : TRACEFS_DIR;
}

static int have_syscall_events(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/events/syscalls", tracing_dir());
	return access(path, F_OK) == 0;
}

/* Makes the syscall tracepoints reachable: tracefs already there, or mounted by us at
 * TRACEFS_DIR (a mount(2), recorded, undone at exit). Returns 1, or 0 with *why set. */
static int tracefs_ready(struct kc_bpfmon *m, const char **why)
{
	static char msg[160];
	char path[128];

	if (have_syscall_events()) {
		if (!m->tracefs_detail)
			m->tracefs_detail = kc_strdup("already mounted at " TRACEFS_DIR);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/events", tracing_dir());
	if (access(path, F_OK) == 0) {
		*why = "this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS off)";
		return 0;
	}
	if (strcmp(tracing_dir(), TRACEFS_DIR) != 0) {
		*why = "tracefs under " DEBUGFS_TRACING_DIR " has no events";
		return 0;
	}
	if (mount("nodev", TRACEFS_DIR, "tracefs", 0, NULL) < 0) {
		snprintf(msg, sizeof(msg), "cannot mount tracefs at " TRACEFS_DIR ": %s", strerror(errno));
		free(m->tracefs_detail);
		m->tracefs_detail = kc_strdup(msg);
		*why = msg;
		return 0;
	}
	m->tracefs_mounted = 1;
	free(m->tracefs_detail);
	m->tracefs_detail = kc_strdup("mounted by kubecomply at " TRACEFS_DIR " (unmounted at exit)");
	if (!have_syscall_events()) {
		*why = "this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS off)";
		return 0;
	}
	return 1;
}

static void tracefs_release(struct kc_bpfmon *m)
{
	if (!m->tracefs_mounted)
		return;
	m->tracefs_mounted = 0;
	if (umount(TRACEFS_DIR) < 0 && !m->quiet)
		kc_log(KC_LOG_WARN, "bpf: could not unmount the tracefs it mounted at %s: %s", TRACEFS_DIR,
		       strerror(errno));
}

static int has_tracepoint(const char *sys)
{
	char path[192];
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_%s/id", tracing_dir(), sys);
	return access(path, F_OK) == 0;
}

/* With syscall tracepoints compiled in, every syscall the kernel implements has one; a
 * missing one is a syscall configured out (init_module without CONFIG_MODULES), which only
 * returns ENOSYS. Confirmed in /proc/kallsyms: a configured-out __x64_sys_<name> is a weak
 * alias of sys_ni_syscall (W) or absent. Reading kallsyms takes ~80 ms here, so one pass
 * answers for every syscall program, and only once a tracepoint is found missing.
 * built: 1 = implemented or unknown (kallsyms unreadable), 0 = configured out. */
static void scan_kallsyms(struct kc_bpfmon *m)
{
	static const char pfx[] = "__x64_sys_";
	char line[512];
	FILE *f;

	m->kallsyms_read = 1;
	f = fopen("/proc/kallsyms", "r");
	for (int i = 0; i < m->nprogs; i++)
		if (m->progs[i].group == PROG_SYSCALL_TP)
			m->progs[i].built = f ? 0 : 1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* "<addr> <type> <name>[\t[module]]\n" */
		char *sp = strchr(line, ' ');
		if (!sp || !sp[1] || sp[2] != ' ' || strncmp(sp + 3, pfx, sizeof(pfx) - 1) != 0)
			continue;
		char type = sp[1], *name = sp + 3 + sizeof(pfx) - 1;
		name[strcspn(name, "\t\n")] = 0;
		if (type != 'T' && type != 't')
			continue;
		for (int i = 0; i < m->nprogs; i++) {
			struct prog_state *ps = &m->progs[i];
			if (ps->group == PROG_SYSCALL_TP && strcmp(ps->section + strlen(SYS_EXIT_SEC), name) == 0)
				ps->built = 1;
		}
	}
	fclose(f);
}

static int syscall_built(struct kc_bpfmon *m, struct prog_state *ps)
{
	if (!m->kallsyms_read)
		scan_kallsyms(m);
	return ps->built != 0;
}

static void set_why(struct prog_state *ps, const char *why)
{
	free(ps->why);
	ps->why = kc_strdup(why);
}

/* The per-syscall tracepoints, or NULL; on failure returns the reason (detached again). */
static const char *attach_syscall_tps(struct kc_bpfmon *m)
{
	static char msg[256];
	const char *why = NULL;

	if (m->no_tracefs)
		return "tracefs disabled (option, or KUBECOMPLY_BPF_TRACEFS=off)";
	if (!tracefs_ready(m, &why))
		return why;
	for (int i = 0; i < m->nprogs && !why; i++) {
		struct prog_state *ps = &m->progs[i];
		const char *sys = ps->section + strlen(SYS_EXIT_SEC);
		if (ps->group != PROG_SYSCALL_TP || ps->off)
			continue;
		if (ps->why) {
			snprintf(msg, sizeof(msg), "%s did not load: %s", ps->name, ps->why);
			why = msg;
		} else if (!has_tracepoint(sys) && !syscall_built(m, ps)) {
			ps->unused = 1;
			set_why(ps, "not attached: syscall not built into this kernel (no tracepoint, always ENOSYS)");
		} else {
			ps->link = bpf_program__attach(ps->prog);
			/* someone unmounted tracefs meanwhile: make it reachable again, once */
			if (!ps->link && errno == ENOENT && !have_syscall_events() && tracefs_ready(m, &why))
				ps->link = bpf_program__attach(ps->prog);
			if (ps->link) {
				ps->attached = 1;
			} else if (!why) {
				snprintf(msg, sizeof(msg), "attaching %s%s: %s", SYS_EXIT_SEC, sys, strerror(errno));
				why = msg;
			}
		}
	}
	return why;
}

static int attach(struct kc_bpfmon *m)
{
	struct prog_state *raw = NULL;
	const char *why;
	int n = 0;

	for (int i = 0; i < m->nprogs; i++) {
		struct prog_state *ps = &m->progs[i];
		if (ps->group == PROG_RAW_SYS_EXIT && !ps->off)
			raw = ps;
		if (ps->group != PROG_BASE || ps->why)
			continue;
		ps->link = bpf_program__attach(ps->prog);
		if (!ps->link) {
			ps->why = kc_strdup(strerror(errno));
			continue;
		}
		ps->attached = 1;
	}

	why = attach_syscall_tps(m);
	if (!why) {
		m->path = KC_BPFMON_PATH_SYSCALL_TP;
		if (raw) {
			raw->unused = 1;
			set_why(raw, "not used: per-syscall tracepoints attached");
		}
	} else {
		m->path_why = kc_strdup(why);
		/* the fallback first, then detach what did attach: a moment of both beats a gap */
		if (raw && !raw->why) {
			raw->link = bpf_program__attach(raw->prog);
			if (raw->link) {
				raw->attached = 1;
				m->path = KC_BPFMON_PATH_RAW_SYS_EXIT;
			} else {
				raw->why = kc_strdup(strerror(errno));
			}
		}
		for (int i = 0; i < m->nprogs; i++) {
			struct prog_state *ps = &m->progs[i];
			if (ps->group != PROG_SYSCALL_TP || ps->off)
				continue;
			bpf_link__destroy(ps->link);
			ps->link = NULL;
			ps->attached = 0;
			ps->unused = 1;
			set_why(ps, "not used: raw_tp/sys_exit fallback in use");
		}
		tracefs_release(m); /* if we mounted it, it was for nothing */
	}

	for (int i = 0; i < m->nprogs; i++)
		n += m->progs[i].attached;
	if (!n)
		return kc_error_set(KC_EIO, "no BPF program could be attached (%s: %s)", m->progs[0].name,
				    m->progs[0].why ? m->progs[0].why : "unknown");
	return 0;
}

/* x86-64 syscall numbers the raw_tp fallback passes up; everything else is dropped in kernel.
 * The per-syscall programs carry the same KC_SC_HOW_* values as constants. */
static int fill_syscalls(struct kc_bpfmon *m)
{
	static const struct { unsigned nr, how; } table[] = {
		{ __NR_open, KC_SC_HOW_OPEN }, { __NR_creat, KC_SC_HOW_CREAT },
		{ __NR_openat, KC_SC_HOW_OPENAT }, { __NR_openat2, KC_SC_HOW_OPENAT2 },
		{ __NR_open_by_handle_at, KC_SC_HOW_OPEN_BY_HANDLE_AT },
		{ __NR_setns, KC_SC_HOW_SETNS }, { __NR_unshare, KC_SC_HOW_UNSHARE },
		{ __NR_ptrace, KC_SC_HOW_PTRACE }, { __NR_mount, KC_SC_HOW_MOUNT },
		{ __NR_move_mount, KC_SC_HOW_MOVE_MOUNT }, { __NR_fsmount, KC_SC_HOW_FSMOUNT },
		{ __NR_open_tree, KC_SC_HOW_OPEN_TREE }, { __NR_init_module, KC_SC_HOW_INIT_MODULE },
		{ __NR_finit_module, KC_SC_HOW_FINIT_MODULE },
		{ __NR_memfd_create, KC_SC_HOW_MEMFD_CREATE },
		{ __NR_rename, KC_SC_HOW_RENAME }, { __NR_renameat, KC_SC_HOW_RENAMEAT },
		{ __NR_renameat2, KC_SC_HOW_RENAMEAT2 }, { __NR_link, KC_SC_HOW_LINK },
		{ __NR_linkat, KC_SC_HOW_LINKAT }, { __NR_unlink, KC_SC_HOW_UNLINK },
		{ __NR_unlinkat, KC_SC_HOW_UNLINKAT },
		{ __NR_setuid, KC_SC_HOW_SETUID }, { __NR_setreuid, KC_SC_HOW_SETREUID },
		{ __NR_setresuid, KC_SC_HOW_SETRESUID }, { __NR_setgid, KC_SC_HOW_SETGID },
		{ __NR_setregid, KC_SC_HOW_SETREGID }, { __NR_setresgid, KC_SC_HOW_SETRESGID },
		{ __NR_bpf, KC_SC_HOW_BPF },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		uint32_t key = table[i].nr, val = table[i].how;
		if (bpf_map__update_elem(m->skel->maps.syscalls, &key, sizeof(key), &val, sizeof(val), 0) < 0)
			return kc_error_set_errno(errno, "filling the syscall filter");
	}
	return 0;
}

static void store_failed(struct kc_bpfmon *m);

/* Could any open rule match an open of a file of class cls, for writing or not, by one of
 * its owners or not? What none can match is dropped in the kernel (KC_WATCH_DROP_*). */
static int open_matchable(const struct kc_bpf_rules *rs, const char *cls, int write, int owner)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct kc_bpf_rule_input in = { .event = "open", .cls = cls, .write = write, .owner = owner };
		const struct kc_bpf_rule *r = &rs->v[i];
		if (strcmp(r->event, "open") != 0)
			continue;
		/* the conditions an open's file decides; the rest (process names, container)
		 * may hold for some process, so they count as matchable */
		struct kc_bpf_rule only = { .id = r->id, .event = r->event, .cls = r->cls, .write = r->write,
					    .not_owner = r->not_owner, .in_container = -1, .not_init = -1,
					    .memfd = -1, .setid = -1, .deleted = -1, .from_tmp = -1,
					    .to_root = -1, .ptrace_attach = -1 };
		if (kc_bpf_rules_match_one(&only, &in))
			return 1;
	}
	return 0;
}

static uint32_t drop_flags(const struct kc_bpf_rules *rs, const char *cls)
{
	uint32_t f = 0;
	if (!open_matchable(rs, cls, 0, 0) && !open_matchable(rs, cls, 0, 1))
		f |= KC_WATCH_DROP_READ;
	if (!open_matchable(rs, cls, 1, 0) && !open_matchable(rs, cls, 1, 1))
		f |= KC_WATCH_DROP_WRITE;
	if (!open_matchable(rs, cls, 0, 1))
		f |= KC_WATCH_DROP_OWNER_READ;
	if (!open_matchable(rs, cls, 1, 1))
		f |= KC_WATCH_DROP_OWNER_WRITE;
	return f;
}

/* The owners map's group for an owner list (the watch list's lists are a few constants),
 * its names entered in the kernel's owners map the first time it is seen. A pod's token is
 * owned by the pod, not by a process name: no group (0), its owner is decided in user space. */
static uint32_t owner_group(struct kc_bpfmon *m, const char *owners)
{
	if (!owners)
		return 0;
	for (size_t i = 0; i < m->nowner_groups; i++)
		if (m->owner_groups[i] == owners)
			return (uint32_t)i + 1;
	if (m->nowner_groups >= sizeof(m->owner_groups) / sizeof(m->owner_groups[0]))
		return 0;
	m->owner_groups[m->nowner_groups++] = owners;
	uint32_t g = (uint32_t)m->nowner_groups, one = 1;
	for (const char *p = owners; *p;) {
		size_t n = strcspn(p, ",");
		struct kc_owner_key k;
		memset(&k, 0, sizeof(k));
		k.group = g;
		memcpy(k.comm, p, n > KC_MON_COMM_LEN - 1 ? KC_MON_COMM_LEN - 1 : n);
		bpf_map__update_elem(m->skel->maps.owners, &k, sizeof(k), &one, sizeof(one), 0);
		p += n + (p[n] == ',');
	}
	return g;
}

/* Makes the kernel's watch map equal to the decoder's watch list. */
static int sync_watch(struct kc_bpfmon *m, const struct kc_watchlist *old)
{
	const struct kc_watchlist *wl = &m->dec.wl;
	for (size_t i = 0; old && i < old->n; i++) {
		if (kc_watchlist_find(wl, old->v[i].dev, old->v[i].ino))
			continue;
		struct kc_watch_key k = { old->v[i].dev, old->v[i].ino };
		bpf_map__delete_elem(m->skel->maps.watch, &k, sizeof(k), 0);
	}
	__u64 bits[KC_WATCH_BITS_WORDS];
	memset(bits, 0, sizeof(bits));
	size_t unwatched = 0;
	for (size_t i = 0; i < wl->n; i++) {
		struct kc_watch_key k = { wl->v[i].dev, wl->v[i].ino };
		struct kc_watch_val v = { wl->v[i].flags | drop_flags(&m->dec.rules, wl->v[i].cls), (uint32_t)i,
					  owner_group(m, wl->v[i].owners), 0 };
		if (bpf_map__update_elem(m->skel->maps.watch, &k, sizeof(k), &v, sizeof(v), 0) < 0) {
			if (errno != E2BIG && errno != ENOMEM)
				return kc_error_set_errno(errno, "filling the watch map (%zu files)", wl->n);
			/* the map is full: keep watching what fits (fail-safe, not fail-stop) */
			unwatched++;
			continue;
		}
		uint32_t bit = kc_watch_bit(k.dev, k.ino);
		bits[bit / 64] |= 1ull << (bit % 64);
	}
	if (unwatched != m->unwatched) {
		m->unwatched = unwatched;
		if (unwatched) {
			char detail[256];
			snprintf(detail, sizeof(detail),
				 "the watch list has %zu files, the kernel map holds %u: %zu files are not watched"
				 " (the rest still are)", wl->n, bpf_map__max_entries(m->skel->maps.watch), unwatched);
			kc_log_fields(KC_LOG_WARN, (const char *const[]){ "monitor", "bpf:watchlist", NULL }, "%s", detail);
			char *now = kc_time_now_rfc3339();
			struct kc_gap g = { .monitor = (char *)"bpf:watchlist", .start = now, .end = now,
					    .seen = wl->n, .lost = unwatched, .detail = detail };
			int rc = m->dec.st ? kc_store_add_gap(m->dec.st, m->dec.run_id, &g) : 0;
			free(now);
			if (rc < 0)
				store_failed(m); /* logged above; watching what fits goes on */
		}
	}
	/* the prefilter, word by word into the mapped .bss: a key in both lists keeps its bit
	 * throughout, a new key is found once its word is stored */
	volatile __u64 *live = m->skel->bss->watch_bits;
	for (size_t w = 0; w < KC_WATCH_BITS_WORDS; w++)
		if (live[w] != bits[w])
			live[w] = bits[w];
	return 0;
}

static int rescan_watch(struct kc_bpfmon *m)
{
	struct kc_watchlist fresh = KC_WATCHLIST_INIT, old;
	int rc = kc_watchlist_build(m->root, &fresh);
	if (rc < 0) {
		kc_watchlist_clear(&fresh);
		return 0; /* keep watching what we had */
	}
	old = m->dec.wl;
	m->dec.wl = fresh;
	rc = sync_watch(m, &old);
	kc_watchlist_clear(&old);
	return rc;
}

/* What this run cannot see, as gap rows (monitor_gaps, the report), not only as attachment
 * rows: each program that should have attached and did not, and the known blind paths. */
static int record_blind_spots(struct kc_bpfmon *m)
{
	char *now = kc_time_now_rfc3339();
	int rc = 0;
	for (int i = 0; rc == 0 && i < m->nprogs; i++) {
		const struct prog_state *p = &m->progs[i];
		/* a syscall this kernel lacks is reported too (its calls fail, but nothing says so
		 * in the report otherwise); a program left out for its alternative is not */
		if (p->attached || p->off || (p->unused && !(p->why && strstr(p->why, "not built"))))
			continue;
		struct kc_buf mon = KC_BUF_INIT, d = KC_BUF_INIT;
		kc_buf_printf(&mon, "bpf:%s", p->name);
		const char *why = p->why && strncmp(p->why, "not attached: ", 14) == 0 ? p->why + 14 : p->why;
		kc_buf_printf(&d, "program %s (%s) did not attach%s%s: what it watches is unseen for the whole run",
			      p->name, p->section, why ? ": " : "", why ? why : "");
		struct kc_gap g = { .monitor = mon.ptr, .start = now, .end = now, .detail = d.ptr };
		rc = kc_store_add_gap(m->dec.st, m->dec.run_id, &g);
		kc_buf_clear(&mon);
		kc_buf_clear(&d);
	}
	if (rc == 0 && m->path == KC_BPFMON_PATH_NONE) {
		struct kc_gap g = { .monitor = (char *)"bpf:syscalls", .start = now, .end = now,
				    .detail = (char *)"no syscall path attached: opens and syscalls are unseen for the whole run" };
		rc = kc_store_add_gap(m->dec.st, m->dec.run_id, &g);
	}
	if (rc == 0 && m->path == KC_BPFMON_PATH_SYSCALL_TP && m->variant == KC_BPFMON_VARIANT_COMPAT) {
		/* a refused open has no fd: its name is in the registers, which the compat
		 * per-syscall programs do not read (bpf_task_pt_regs is 5.15+) */
		struct kc_gap g = { .monitor = (char *)"bpf:attempts", .start = now, .end = now,
				    .detail = (char *)"refused opens of watched files (attempts) are not seen: compat variant on per-syscall tracepoints" };
		rc = kc_store_add_gap(m->dec.st, m->dec.run_id, &g);
	}
	if (rc == 0) {
		/* io_uring submits opens from a kernel worker without the open syscalls these
		 * programs hook: a known blind path on every kernel (docs/bpf.md, Limits) */
		struct kc_gap g = { .monitor = (char *)"bpf:io_uring", .start = now, .end = now,
				    .detail = (char *)"opens and reads submitted through io_uring are not seen (known blind path)" };
		rc = kc_store_add_gap(m->dec.st, m->dec.run_id, &g);
	}
	free(now);
	return rc;
}

static int record_attachments(struct kc_bpfmon *m, int quiet)
{
	int rc = kc_store_begin(m->dec.st);
	if (rc < 0)
		return rc;
	for (int i = 0; i < m->nprogs + 4; i++) {
		const struct prog_state *p = i < m->nprogs ? &m->progs[i] : NULL;
		struct kc_buf d = KC_BUF_INIT;
		const char *name;
		int attached;
		if (p) {
			name = p->name;
			attached = p->attached;
			kc_buf_puts(&d, p->section);
			if (p->why)
				kc_buf_printf(&d, ": %s", p->why);
			/* the other variant's programs are in the store, not worth a line each */
			if (!quiet && !p->off)
				kc_log_fields(KC_LOG_INFO,
					      (const char *const[]){ "program", p->name, "section", p->section, "why", p->why, NULL },
					      "bpf %-32s %-40s %s", p->name, p->section,
					      p->attached ? "attached" : p->unused ? "" : "NOT attached");
		} else if (i == m->nprogs) {
			/* which programs see opens and syscalls, and why */
			name = "syscall-path";
			attached = m->path != KC_BPFMON_PATH_NONE;
			kc_buf_puts(&d, m->path == KC_BPFMON_PATH_SYSCALL_TP ? "per-syscall tracepoints (" SYS_EXIT_SEC "*)"
					: m->path == KC_BPFMON_PATH_RAW_SYS_EXIT ? "fallback raw_tp/sys_exit (every syscall pays)"
										 : "none: opens and syscalls unseen");
			if (m->path_why)
				kc_buf_printf(&d, ": %s", m->path_why);
		} else if (i == m->nprogs + 1) {
			/* which variant of the syscall programs is loaded, and why */
			name = "syscall-variant";
			attached = 1;
			kc_buf_printf(&d, "%s: %s (%s)", variant_name(m->variant),
				      m->variant == KC_BPFMON_VARIANT_FAST
					      ? "BTF pointer loads and " FAST_KFUNC " (programs tp_exit_<name>, handle_sys_exit)"
					      : "CO-RE probe reads, no kfunc (programs tp_exit_<name>" COMPAT_SUFFIX
						", handle_sys_exit" COMPAT_SUFFIX ")",
				      m->variant_why ? m->variant_why : "?");
		} else if (i == m->nprogs + 2) {
			name = "tracefs";
			attached = m->tracefs_mounted;
			kc_buf_puts(&d, m->no_tracefs ? "not used (disabled)"
				    : m->tracefs_detail ? m->tracefs_detail : "not used");
			if (!m->tracefs_mounted && m->tracefs_detail && strncmp(m->tracefs_detail, "mounted by", 10) == 0)
				kc_buf_puts(&d, "; unmounted again, not needed");
		} else {
			/* where cgroup ids are resolved to pods */
			const char *cg = kc_attr_cgroup_root(m->dec.attr);
			name = "cgroup-root";
			attached = cg != NULL;
			if (cg)
				kc_buf_printf(&d, "cgroup v2 hierarchy at %s", cg);
			else
				kc_buf_puts(&d, "no cgroup v2 hierarchy found: events carry no pod or container");
		}
		if (!p && !quiet)
			kc_log_fields(KC_LOG_INFO, (const char *const[]){ "program", name, NULL }, "bpf %-32s %s", name,
				      d.ptr);
		rc = kc_store_add_attachment(m->dec.st, m->dec.run_id, "bpf", name, attached, d.ptr);
		kc_buf_clear(&d);
		if (rc < 0) {
			kc_store_rollback(m->dec.st);
			return rc;
		}
	}
	if ((rc = record_blind_spots(m)) < 0) {
		kc_store_rollback(m->dec.st);
		return rc;
	}
	return kc_store_commit(m->dec.st);
}

/* Process-wide store health for /metrics (auditor/metrics_http.c reads it from another
 * thread). */
static atomic_int g_store_degraded;
static _Atomic uint64_t g_store_failures, g_store_unstored;

/* A store write failed: the batch is rolled back and counted, the monitor keeps watching,
 * and the store is tried again after STORE_RETRY_SECONDS (fail-safe, not fail-stop). */
static void store_failed(struct kc_bpfmon *m)
{
	kc_store_rollback(m->dec.st);
	m->in_tx = 0;
	m->gap_in_tx = 0;
	m->unstored += m->tx_events;
	atomic_fetch_add(&g_store_unstored, m->tx_events);
	m->tx_events = 0;
	atomic_fetch_add(&g_store_failures, 1);
	if (!m->degraded) {
		m->degraded = 1;
		atomic_store(&g_store_degraded, 1);
		free(m->gap_start);
		m->gap_start = kc_time_now_rfc3339();
		free(m->store_error);
		m->store_error = kc_strdup(kc_error_last());
		kc_log_fields(KC_LOG_WARN, (const char *const[]){ "monitor", "bpf:store", NULL },
			      "evidence store write failed (%s): events are counted, not stored, until it works again; "
			      "watching continues", m->store_error);
	}
	m->retry_at = now_mono() + STORE_RETRY_SECONDS;
}

/* 1 with a transaction open for rows; 0 while the store is failing. The first transaction
 * after a failure starts with the gap row of the degraded period (monitor bpf:store). */
static int store_ready(struct kc_bpfmon *m)
{
	if (m->in_tx)
		return 1;
	if (m->degraded && now_mono() < m->retry_at)
		return 0;
	if (kc_store_begin(m->dec.st) < 0) {
		store_failed(m);
		return 0;
	}
	m->in_tx = 1;
	m->tx_start = now_mono();
	m->dec.rows = 0;
	m->tx_events = 0;
	if (m->degraded) {
		char *now = kc_time_now_rfc3339();
		struct kc_buf d = KC_BUF_INIT;
		kc_buf_printf(&d, "evidence store writes failed (%s): %llu events not stored; watching continued",
			      m->store_error ? m->store_error : "?", (unsigned long long)m->unstored);
		struct kc_gap g = { .monitor = (char *)"bpf:store", .start = m->gap_start, .end = now,
				    .seen = m->unstored, .lost = m->unstored, .detail = d.ptr };
		int rc = kc_store_add_gap(m->dec.st, m->dec.run_id, &g);
		free(now);
		kc_buf_clear(&d);
		if (rc < 0) {
			store_failed(m);
			return 0;
		}
		m->gap_in_tx = 1;
		m->dec.rows++;
	}
	return 1;
}

/* Commits; a failure degrades (store_failed) and is not returned: nothing a full disk does
 * stops the monitor. */
static int commit(struct kc_bpfmon *m)
{
	if (!m->in_tx)
		return 0;
	if (kc_store_commit(m->dec.st) < 0) {
		store_failed(m);
		return 0;
	}
	m->in_tx = 0;
	m->tx_events = 0;
	if (m->gap_in_tx) {
		m->gap_in_tx = 0;
		m->degraded = 0;
		m->unstored = 0;
		atomic_store(&g_store_degraded, 0);
		kc_log_fields(KC_LOG_INFO, (const char *const[]){ "monitor", "bpf:store", NULL },
			      "evidence store writable again; the gap is recorded");
	}
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct kc_bpfmon *m = ctx;
	const struct kc_mon_hdr *h = data;
	int rc;
	if (size >= sizeof(*h) && h->type < KC_MON_NTYPES)
		m->received[h->type]++;
	if (!store_ready(m)) {
		/* the process tree and cgroup names need no row: keep them current */
		if (size >= sizeof(*h) && (h->type == KC_MON_FORK || h->type == KC_MON_EXIT || h->type == KC_MON_CGROUP))
			kc_bpf_decoder_event(&m->dec, data, size);
		else {
			m->unstored++;
			atomic_fetch_add(&g_store_unstored, 1);
		}
		return 0;
	}
	m->tx_events++;
	if (kc_bpf_decoder_event(&m->dec, data, size) < 0) {
		store_failed(m);
		return 0;
	}
	if (m->dec.watch_changed) {
		/* a watched name was renamed, linked or removed: the old inode leaves the kernel
		 * map and the new one enters it now, before the next event is read, not at the
		 * next periodic rescan (a freed inode number is soon reused by unrelated files) */
		m->dec.watch_changed = 0;
		m->rescans++;
		if ((rc = rescan_watch(m)) < 0)
			return m->err = rc;
	}
	if (m->dec.rows >= BATCH_ROWS)
		commit(m);
	return 0;
}

static void read_counters(struct kc_bpfmon *m, struct kc_mon_counters tot[KC_MON_NTYPES])
{
	int ncpu = libbpf_num_possible_cpus();
	memset(tot, 0, sizeof(*tot) * KC_MON_NTYPES);
	if (ncpu <= 0)
		return;
	struct kc_mon_counters *v = kc_xcalloc((size_t)ncpu, sizeof(*v));
	for (uint32_t t = 0; t < KC_MON_NTYPES; t++) {
		if (bpf_map__lookup_elem(m->skel->maps.counters, &t, sizeof(t), v,
					 sizeof(*v) * (size_t)ncpu, 0) < 0)
			continue;
		for (int c = 0; c < ncpu; c++) {
			tot[t].seen += v[c].seen;
			tot[t].sent += v[c].sent;
			tot[t].full += v[c].full;
			tot[t].read_fail += v[c].read_fail;
			tot[t].truncated += v[c].truncated;
			tot[t].filtered += v[c].filtered;
		}
	}
	free(v);
}

/* Who a cgroup is, for a gap's text: namespace/pod (container), or the cgroup's path. */
static void source_name(struct kc_bpfmon *m, uint64_t id, struct kc_buf *b)
{
	const struct kc_attr *a = kc_attr_lookup(m->dec.attr, id);
	if (a->info.kind >= KC_CGROUP_POD && a->namespace_)
		kc_buf_printf(b, "pod %s/%s", a->namespace_, a->pod);
	else if (a->info.kind >= KC_CGROUP_POD)
		kc_buf_printf(b, "pod uid %s", a->info.pod_uid);
	else if (a->path)
		kc_buf_printf(b, "cgroup %s", a->path);
	else
		kc_buf_printf(b, "cgroup id %llu", (unsigned long long)id);
	if (a->info.kind == KC_CGROUP_CONTAINER)
		kc_buf_printf(b, " container %.12s", a->info.container_id);
}

struct src_delta {
	uint64_t id;
	struct kc_src_counters d;
};

static int by_sent(const void *x, const void *y)
{
	const struct src_delta *a = x, *b = y;
	return a->d.sent + a->d.lost < b->d.sent + b->d.lost ? 1 : a->d.sent + a->d.lost > b->d.sent + b->d.lost ? -1 : 0;
}

/* The per-cgroup counters since the last sample; with text (may be NULL), the sources of
 * this window that sent or lost the most, which is what a gap names as its cause. */
static void sources_window(struct kc_bpfmon *m, struct kc_buf *text)
{
	struct src_delta *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t key, next, *prev = NULL;
	struct kc_src_counters cur;
	while (bpf_map__get_next_key(m->skel->maps.sources, prev, &next, sizeof(next)) == 0) {
		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(m->skel->maps.sources, &key, sizeof(key), &cur, sizeof(cur), 0) < 0)
			continue;
		struct kc_src_counters *last = kc_u64map_get(&m->src_last, key);
		if (!last) {
			last = kc_xcalloc(1, sizeof(*last));
			kc_u64map_put(&m->src_last, key, last);
		}
		struct src_delta dl = { key, { cur.sent - last->sent, cur.lost - last->lost, cur.filtered - last->filtered } };
		*last = cur;
		if (!dl.d.sent && !dl.d.lost)
			continue;
		v = kc_array_grow(v, &cap, n + 1, sizeof(*v));
		v[n++] = dl;
	}
	if (text && n) {
		qsort(v, n, sizeof(*v), by_sent);
		kc_buf_puts(text, "; sources in this window (sent/lost):");
		for (size_t i = 0; i < n && i < 3; i++) {
			kc_buf_puts(text, i ? ", " : " ");
			source_name(m, v[i].id, text);
			kc_buf_printf(text, " %llu/%llu", (unsigned long long)v[i].d.sent, (unsigned long long)v[i].d.lost);
		}
		if (n > 3)
			kc_buf_printf(text, " and %zu more", n - 3);
	}
	free(v);
	if (m->src_last.len > 65536)
		kc_u64map_clear(&m->src_last, free); /* cgroups gone from the LRU map */
}

/* Every loss since the last sample becomes a gap row covering [last sample, now]. */
static int sample(struct kc_bpfmon *m)
{
	struct kc_mon_counters tot[KC_MON_NTYPES];
	char *now = kc_time_now_rfc3339();
	struct kc_buf sources = KC_BUF_INIT;
	int rc = 0, any = 0;
	read_counters(m, tot);
	for (int t = 0; t < KC_MON_NTYPES; t++)
		any |= tot[t].full != m->last[t].full;
	sources_window(m, any ? &sources : NULL);
	for (int t = 0; t < KC_MON_NTYPES && rc == 0; t++) {
		uint64_t lost = tot[t].full - m->last[t].full;
		if (!lost)
			continue;
		if (!store_ready(m)) {
			/* said in the store's gap instead, once it can be written */
			m->unstored += lost;
			atomic_fetch_add(&g_store_unstored, lost);
			continue;
		}
		struct kc_buf d = KC_BUF_INIT;
		kc_buf_printf(&d, "ring buffer full: %llu events lost (ring buffer %u bytes); "
			      "read failures %llu, truncated %llu in this window",
			      (unsigned long long)lost, m->ringbuf_size,
			      (unsigned long long)(tot[t].read_fail - m->last[t].read_fail),
			      (unsigned long long)(tot[t].truncated - m->last[t].truncated));
		if (sources.len)
			kc_buf_puts(&d, sources.ptr);
		struct kc_gap g = {
			.monitor = (char *)monitor_names[t], .start = m->last_sample_time, .end = now,
			.seen = tot[t].seen - m->last[t].seen, .sent = tot[t].sent - m->last[t].sent,
			.lost = lost, .detail = d.ptr,
		};
		if (kc_store_add_gap(m->dec.st, m->dec.run_id, &g) < 0) {
			store_failed(m);
			m->unstored += lost;
		}
		m->dec.rows++;
		kc_buf_clear(&d);
	}
	kc_buf_clear(&sources);
	memcpy(m->last, tot, sizeof(tot));
	free(m->last_sample_time);
	m->last_sample_time = now;
	m->last_sample = now_mono();
	return rc;
}

int kc_bpfmon_open(const struct kc_watch_opts *o, struct kc_store *st, int64_t run_id,
		   struct kc_bpfmon **out)
{
	return kc_bpfmon_open_opts(o, NULL, st, run_id, out);
}

int kc_bpfmon_open_opts(const struct kc_watch_opts *o, const struct kc_bpfmon_opts *bo,
			struct kc_store *st, int64_t run_id, struct kc_bpfmon **out)
{
	struct kc_bpfmon *m = kc_xcalloc(1, sizeof(*m));
	struct kc_buf rules = KC_BUF_INIT;
	libbpf_print_fn_t old_print;
	const char *env = getenv("KUBECOMPLY_BPF_TRACEFS");
	int rc;

	*out = NULL;
	m->quiet = o->quiet;
	m->stopping = o->stopping;
	m->no_tracefs = (bo && bo->no_tracefs) || (env && strcmp(env, "off") == 0);
	choose_variant(m, bo && bo->compat);
	m->root = kc_strdup(o->root && *o->root ? o->root : "/");
	m->ringbuf_size = ringbuf_bytes(o->ringbuf_size);
	m->last_sample_time = kc_time_now_rfc3339();
	m->last_sample = now_mono();
	m->next_rescan = m->last_sample + RESCAN_SECONDS;
	kc_buf_printf(&rules, "%s/runtime/bpf-rules.yaml", o->policy_dir ? o->policy_dir : o->policy_root ? o->policy_root : "policies");
	rc = kc_bpf_decoder_init(&m->dec, st, run_id, m->root, rules.ptr);
	kc_buf_clear(&rules);
	if (rc < 0)
		goto fail;

	kc_buf_reset(&libbpf_log);
	old_print = libbpf_set_print(capture_libbpf);
	rc = load(m);
	libbpf_set_print(old_print);
	kc_buf_clear(&libbpf_log);
	if (rc < 0)
		goto fail;
	if ((rc = fill_syscalls(m)) < 0 || (rc = sync_watch(m, NULL)) < 0 || (rc = attach(m)) < 0)
		goto fail;
	m->rb = ring_buffer__new(bpf_map__fd(m->skel->maps.events), on_event, m, NULL);
	if (!m->rb) {
		rc = kc_error_set_errno(errno, "opening the BPF ring buffer");
		goto fail;
	}
	if ((rc = record_attachments(m, o->quiet)) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	m->in_tx = 0; /* nothing written yet that must survive */
	kc_bpfmon_free(m);
	return rc;
}

int kc_bpfmon_poll(struct kc_bpfmon *m, int timeout_ms)
{
	int n = ring_buffer__poll(m->rb, timeout_ms);
	/* records submitted without a wakeup are read here, after the poll's timeout */
	if (n >= 0 && !m->err)
		n = ring_buffer__consume(m->rb);
	if (m->err)
		return m->err;
	if (n < 0 && n != -EINTR)
		return kc_error_set(KC_EIO, "polling the BPF ring buffer: %s", strerror(-n));
	double now = now_mono();
	int rc = 0;
	if (now - m->last_sample >= SAMPLE_SECONDS)
		rc = sample(m);
	if (rc == 0 && m->in_tx && (m->dec.rows >= BATCH_ROWS || now - m->tx_start >= BATCH_SECONDS))
		rc = commit(m);
	if (rc == 0 && now >= m->next_rescan) {
		m->next_rescan = now + RESCAN_SECONDS;
		rc = rescan_watch(m);
	}
	return rc;
}

int kc_bpfmon_drain(struct kc_bpfmon *m)
{
	/* sample first: every record counted as sent by then is in the buffer to be read */
	int rc = sample(m);
	while (rc == 0) {
		int n = ring_buffer__consume(m->rb);
		if (m->err)
			return m->err;
		if (n < 0)
			return kc_error_set(KC_EIO, "reading the BPF ring buffer: %s", strerror(-n));
		if (n == 0)
			break;
	}
	return rc ? rc : commit(m);
}

int kc_bpfmon_run(struct kc_bpfmon *m, double duration)
{
	double end = duration > 0 ? now_mono() + duration : 0;
	int rc = 0;
	while (rc == 0 && !atomic_load(&m->stop) && !(m->stopping && m->stopping())) {
		double left = end ? end - now_mono() : 1.0;
		if (left <= 0)
			break;
		rc = kc_bpfmon_poll(m, left < 0.1 ? (int)(left * 1000) + 1 : 100);
	}
	int drc = kc_bpfmon_drain(m);
	return rc ? rc : drc;
}

void kc_bpfmon_stop(struct kc_bpfmon *m)
{
	atomic_store(&m->stop, 1);
}

void kc_bpfmon_totals(struct kc_bpfmon *m, struct kc_mon_counters tot[KC_MON_NTYPES],
		      uint64_t received[KC_MON_NTYPES])
{
	if (tot)
		memcpy(tot, m->last, sizeof(m->last));
	if (received)
		memcpy(received, m->received, sizeof(m->received));
}

void kc_bpfmon_attached(const struct kc_bpfmon *m, int *ok, int *failed)
{
	*ok = *failed = 0;
	for (int i = 0; i < m->nprogs; i++)
		if (!m->progs[i].unused && !m->progs[i].off)
			(*(m->progs[i].attached ? ok : failed))++;
}

enum kc_bpfmon_path kc_bpfmon_syscall_path(const struct kc_bpfmon *m, const char **why)
{
	if (why)
		*why = m->path_why;
	return m->path;
}

enum kc_bpfmon_variant kc_bpfmon_variant(const struct kc_bpfmon *m, const char **why)
{
	if (why)
		*why = m->variant_why;
	return m->variant;
}

int kc_bpfmon_mounted_tracefs(const struct kc_bpfmon *m)
{
	return m->tracefs_mounted;
}

int kc_bpfmon_prog_stats(const struct kc_bpfmon *m, struct kc_bpfmon_prog_stats *out, int max)
{
	int n = 0;
	for (int i = 0; i < m->nprogs && n < max; i++) {
		const struct prog_state *ps = &m->progs[i];
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		int fd = bpf_program__fd(ps->prog);
		memset(&out[n], 0, sizeof(out[n]));
		out[n].name = ps->name;
		out[n].attached = ps->attached;
		memset(&info, 0, sizeof(info));
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			out[n].run_cnt = info.run_cnt;
			out[n].run_time_ns = info.run_time_ns;
		}
		n++;
	}
	return n;
}

/* The period's counters, one event row, so a report can state what was seen and lost. */
static void record_stats(struct kc_bpfmon *m)
{
	struct kc_buf j = KC_BUF_INIT;
	kc_buf_printf(&j, "{\"ringbuf_bytes\":%u,\"findings\":%llu,\"counters\":{", m->ringbuf_size,
		      (unsigned long long)m->dec.findings);
	for (int t = 0; t < KC_MON_NTYPES; t++)
		kc_buf_printf(&j, "%s\"%s\":{\"seen\":%llu,\"sent\":%llu,\"lost\":%llu,\"read_failures\":%llu,"
			      "\"truncated\":%llu,\"received\":%llu,\"filtered\":%llu}", t ? "," : "", monitor_names[t] + 4,
			      (unsigned long long)m->last[t].seen, (unsigned long long)m->last[t].sent,
			      (unsigned long long)m->last[t].full, (unsigned long long)m->last[t].read_fail,
			      (unsigned long long)m->last[t].truncated, (unsigned long long)m->received[t],
			      (unsigned long long)m->last[t].filtered);
	kc_buf_puts(&j, "}}");
	struct kc_event ev = { .time = kc_time_now_rfc3339(), .source = "bpf", .type = "monitor-stats",
			       .data_json = j.ptr };
	if (store_ready(m) && kc_store_add_event(m->dec.st, m->dec.run_id, &ev) < 0)
		store_failed(m);
	free(ev.time);
	kc_buf_clear(&j);
}

void kc_bpfmon_free(struct kc_bpfmon *m)
{
	if (!m)
		return;
	if (m->rb) {
		if (kc_bpfmon_drain(m) == 0)
			record_stats(m);
		commit(m);
		if (m->degraded)
			kc_log_fields(KC_LOG_WARN, (const char *const[]){ "monitor", "bpf:store", NULL },
				      "exiting with the evidence store still failing: %llu events not stored (%s)",
				      (unsigned long long)m->unstored, m->store_error ? m->store_error : "?");
	}
	ring_buffer__free(m->rb);
	for (int i = 0; i < m->nprogs; i++) {
		bpf_link__destroy(m->progs[i].link);
		free(m->progs[i].why);
	}
	tracefs_release(m);
	free(m->tracefs_detail);
	free(m->path_why);
	free(m->variant_why);
	monitor_bpf__destroy(m->skel);
	kc_bpf_decoder_clear(&m->dec);
	free(m->last_sample_time);
	free(m->gap_start);
	free(m->store_error);
	kc_u64map_clear(&m->src_last, free);
	free(m->root);
	free(m);
}

int kc_bpf_watch(const struct kc_watch_opts *o, struct kc_store *st, struct kc_run *run)
{
	struct kc_bpfmon *m = NULL;
	int rc = kc_bpfmon_open(o, st, run->id, &m);
	if (rc < 0)
		return rc;
	rc = kc_bpfmon_run(m, o->duration);
	kc_bpfmon_free(m);
	return rc;
}

int kc_bpfmon_watched(const struct kc_bpfmon *m, uint64_t dev, uint64_t ino)
{
	struct kc_watch_key k = { dev, ino };
	struct kc_watch_val v;
	return bpf_map__lookup_elem(m->skel->maps.watch, &k, sizeof(k), &v, sizeof(v), 0) == 0;
}

uint64_t kc_bpfmon_rescans(const struct kc_bpfmon *m)
{
	return m->rescans;
}

void kc_bpfmon_store_health(const struct kc_bpfmon *m, struct kc_bpfmon_store_health *out)
{
	if (m) {
		out->degraded = m->degraded;
		out->unstored = m->unstored;
	} else {
		out->degraded = atomic_load(&g_store_degraded);
		out->unstored = atomic_load(&g_store_unstored);
	}
	out->failures = atomic_load(&g_store_failures);
}

void kc_bpfmon_metrics(struct kc_buf *b)
{
	struct kc_bpfmon_store_health h;
	kc_bpfmon_store_health(NULL, &h);
	kc_buf_printf(b,
		      "# HELP kubecomply_monitor_store_degraded 1 while the BPF monitor cannot write the evidence store (full disk): events are counted, not stored.\n"
		      "# TYPE kubecomply_monitor_store_degraded gauge\n"
		      "kubecomply_monitor_store_degraded{monitor=\"bpf\"} %d\n"
		      "# HELP kubecomply_monitor_store_write_failures_total Evidence store writes of the BPF monitor that failed.\n"
		      "# TYPE kubecomply_monitor_store_write_failures_total counter\n"
		      "kubecomply_monitor_store_write_failures_total{monitor=\"bpf\"} %llu\n"
		      "# HELP kubecomply_monitor_events_unstored_total Events the BPF monitor saw but could not store (store failing).\n"
		      "# TYPE kubecomply_monitor_events_unstored_total counter\n"
		      "kubecomply_monitor_events_unstored_total{monitor=\"bpf\"} %llu\n",
		      h.degraded, (unsigned long long)h.failures, (unsigned long long)h.unstored);
}
