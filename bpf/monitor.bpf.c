// SPDX-License-Identifier: GPL-2.0
/* Kernel side of the runtime monitor. No kprobes, fentry or LSM (this kernel and many
 * DaemonSet hosts refuse them):
 *   exec/fork/exit  tp_btf/sched_process_*          the process tree
 *   open + syscalls tp/syscalls/sys_exit_<name>     one small program per watched syscall
 *                   (needs tracefs; user space mounts it), all calling on_sys_exit; or,
 *                   without tracefs, raw_tp/sys_exit for every syscall, filtered by a
 *                   syscall-number array. Opens are then checked against the (dev, ino)
 *                   watch map on the new fd's inode.
 * There is no tracepoint carrying the opened struct file, so opens are matched at syscall
 * exit by looking the returned fd up in current->files: the inode is what was really opened,
 * whatever path (symlink, "..", hard link) led there.
 *
 * Every syscall program exists in two variants built from the same always-inline bodies,
 * which take `compat` as a compile-time constant: the fast one (tp_exit_<name>,
 * handle_sys_exit) reads kernel structures through BTF pointers and needs the
 * bpf_rdonly_cast kfunc (6.2+); the compat one (<same>_compat) reads the same fields with
 * CO-RE probe reads from bpf_get_current_task() and calls no kfunc. User space loads exactly
 * one variant of each (bpf_program__set_autoload). The tp_btf programs need no variant:
 * their arguments are BTF pointers on every kernel that has tp_btf. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "monitor.h"

/* src->a->b...: a plain load through BTF pointers in the fast variant, a CO-RE probe read
 * (BPF_CORE_READ) in the compat one. `compat` is a constant in every caller, so only one
 * branch survives compilation; both name the field once, so the variants read the same. */
#define KC_ARROW1(s, a) (s)->a
#define KC_ARROW2(s, a, b) (s)->a->b
#define KC_ARROW3(s, a, b, c) (s)->a->b->c
#define KC_ARROW4(s, a, b, c, d) (s)->a->b->c->d
#define KC_NARG(...) KC_NARG_(__VA_ARGS__, 4, 3, 2, 1, 0)
#define KC_NARG_(_1, _2, _3, _4, n, ...) n
#define KC_CAT(a, b) KC_CAT_(a, b)
#define KC_CAT_(a, b) a##b
#define RD(compat, s, ...) \
	((compat) ? BPF_CORE_READ(s, __VA_ARGS__) : KC_CAT(KC_ARROW, KC_NARG(__VA_ARGS__))(s, __VA_ARGS__))

char LICENSE[] SEC("license") = "GPL";

#define KC_O_WRITE 03 /* O_WRONLY | O_RDWR (uapi fcntl.h, not in vmlinux.h) */

/* set by user space before load: unread bytes that make a submit wake the reader */
const volatile __u64 wakeup_bytes = 0;
/* The monitor's own process: its watch-list rescans open the watched directories and files,
 * which must never come back as events (in the kernel, so they cost no ring-buffer space). */
const volatile __u32 self_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KC_MON_NTYPES);
	__type(key, __u32);
	__type(value, struct kc_mon_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct kc_watch_key);
	__type(value, struct kc_watch_val);
} watch SEC(".maps");

/* the watch map's prefilter (monitor.h), written by user space through the mmapped .bss */
__u64 watch_bits[KC_WATCH_BITS_WORDS];

static __always_inline int maybe_watched(__u64 dev, __u64 ino)
{
	__u32 bit = kc_watch_bit(dev, ino);
	return (watch_bits[(bit / 64) & (KC_WATCH_BITS_WORDS - 1)] >> (bit % 64)) & 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KC_MON_NSYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct kc_owner_key);
	__type(value, __u32);
} owners SEC(".maps");

/* by cgroup id; LRU: a node's cgroups come and go, the busy ones stay */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct kc_src_counters);
} sources SEC(".maps");

static __always_inline struct kc_src_counters *source(void)
{
	__u64 id = bpf_get_current_cgroup_id();
	struct kc_src_counters *s = bpf_map_lookup_elem(&sources, &id), zero = {};

	if (!s) {
		bpf_map_update_elem(&sources, &id, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&sources, &id);
	}
	return s;
}

static __always_inline struct kc_mon_counters *counter(__u32 type)
{
	return bpf_map_lookup_elem(&counters, &type);
}

/* Counts the event as seen and reserves room for it; a failed reservation is a loss. */
static __always_inline void *reserve(__u32 type, __u64 size)
{
	struct kc_mon_counters *c = counter(type);
	struct kc_src_counters *src = source();
	void *e;

	if (c)
		c->seen++;
	e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e && c)
		c->full++;
	if (src) {
		if (e)
			__sync_fetch_and_add(&src->sent, 1);
		else
			__sync_fetch_and_add(&src->lost, 1);
	}
	return e;
}

/* Counts after submitting, so that a consumer that read the counters first and drained
 * the buffer afterwards has received at least `sent` records. */
static __always_inline void submit(void *e, struct kc_mon_hdr *h)
{
	__u32 type = h->type, flags = h->flags;
	struct kc_mon_counters *c;

	/* waking the reader for every record costs more than the record: user space polls
	 * every 100 ms anyway, so wake it early only when the buffer is filling up */
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
				      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	c = counter(type);
	if (c) {
		c->sent++;
		if (flags & (KC_MON_F_ARGS_TRUNC | KC_MON_F_NAME_TRUNC))
			c->truncated++;
		if (flags & KC_MON_F_READ_FAIL)
			c->read_fail++;
	}
}

/* Every event's header; this runs for every fork, exec and exit on the node. Fast: t is a
 * BTF pointer (a tp_btf argument or bpf_get_current_task_btf), fields are plain guarded
 * loads and task names are copied as two 8-byte words. Compat: t is bpf_get_current_task()
 * and every field a CO-RE probe read. */
static __always_inline void copy_comm(char *dst, const char *src, const int compat)
{
	if (compat) {
		bpf_probe_read_kernel(dst, KC_MON_COMM_LEN, src);
	} else {
		((__u64 *)dst)[0] = ((const __u64 *)src)[0];
		((__u64 *)dst)[1] = ((const __u64 *)src)[1];
	}
	dst[KC_MON_COMM_LEN - 1] = 0;
}

static __always_inline void fill_hdr(struct kc_mon_hdr *h, struct task_struct *t, __u32 type,
				     const int compat)
{
	struct task_struct *p;
	struct pid *tp;
	unsigned int level;

	h->type = type;
	h->flags = 0;
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = RD(compat, t, tgid);
	h->tid = RD(compat, t, pid);
	h->uid = RD(compat, t, cred, uid.val);
	h->euid = RD(compat, t, cred, euid.val);
	copy_comm(h->comm, t->comm, compat);

	tp = RD(compat, t, group_leader, thread_pid);
	level = RD(compat, tp, level);
	h->vpid = 0;
	bpf_core_read(&h->vpid, sizeof(h->vpid), &tp->numbers[level & 31].nr);

	p = t;
	for (int i = 0; i < KC_MON_CHAIN; i++) {
		if (p)
			p = RD(compat, p, real_parent);
		if (!p) {
			h->chain[i].pid = 0;
			__builtin_memset(h->chain[i].comm, 0, KC_MON_COMM_LEN);
			continue;
		}
		h->chain[i].pid = RD(compat, p, tgid);
		copy_comm(h->chain[i].comm, p->comm, compat);
	}
	h->ppid = h->chain[0].pid;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct kc_mon_exec *e;
	unsigned long start, end;
	struct tty_struct *tty;
	struct inode *exe_ino;
	struct dentry *dir;
	const unsigned char *dname;
	char memfd[6];
	__u64 len;
	long n;

	e = reserve(KC_MON_EXEC, sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, p, KC_MON_EXEC, 0);
	e->old_pid = old_pid;

	n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename);
	if (n < 0) {
		e->filename[0] = 0;
		e->h.flags |= KC_MON_F_READ_FAIL;
	} else if (n == sizeof(e->filename)) {
		e->h.flags |= KC_MON_F_NAME_TRUNC;
	}

	/* argv from the new image: argv[0] is whatever the caller chose, not the file */
	start = p->mm->arg_start;
	end = p->mm->arg_end;
	len = end > start ? end - start : 0;
	if (len > KC_MON_ARGS_LEN) {
		len = KC_MON_ARGS_LEN;
		e->h.flags |= KC_MON_F_ARGS_TRUNC;
	}
	e->args_len = 0;
	if (len && bpf_probe_read_user(e->args, len, (const void *)start) == 0)
		e->args_len = len;
	else if (len)
		e->h.flags |= KC_MON_F_READ_FAIL;

	e->tty[0] = 0;
	tty = p->signal->tty;
	if (tty)
		BPF_CORE_READ_STR_INTO(&e->tty, tty, name);

	/* set-id files, files with no name left, and where the file lies (by inode: a
	 * relative or symlinked path cannot hide /tmp) */
	exe_ino = bprm->file->f_inode;
	if (exe_ino) {
		if (exe_ino->i_mode & (04000 | 02000)) /* S_ISUID | S_ISGID */
			e->h.flags |= KC_MON_F_EXE_SETID;
		if (exe_ino->i_nlink == 0)
			e->h.flags |= KC_MON_F_EXE_DELETED;
		e->exe_dev = exe_ino->i_sb->s_dev;
	} else {
		e->exe_dev = 0;
	}
	dir = bprm->file->f_path.dentry;
	for (int i = 0; i < KC_MON_EXE_DIRS; i++) {
		struct dentry *up = dir ? dir->d_parent : NULL;
		dir = up && up != dir ? up : NULL;
		e->exe_dirs[i] = dir && dir->d_inode ? dir->d_inode->i_ino : 0;
	}

	/* memfd files are named "memfd:<name>": an exec of one left nothing on disk */
	dname = bprm->file->f_path.dentry->d_name.name;
	if (dname && bpf_probe_read_kernel(memfd, sizeof(memfd), dname) == 0 &&
	    memfd[0] == 'm' && memfd[1] == 'e' && memfd[2] == 'm' && memfd[3] == 'f' &&
	    memfd[4] == 'd' && memfd[5] == ':')
		e->h.flags |= KC_MON_F_EXE_MEMFD;

	submit(e, &e->h);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct kc_mon_fork *e;

	/* threads share the process: only new processes change the tree */
	if (child->pid != child->tgid)
		return 0;
	e = reserve(KC_MON_FORK, sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, child, KC_MON_FORK, 0);
	/* the child's real_parent may be a subreaper's choice later; at fork it is parent */
	e->h.ppid = parent->tgid;
	submit(e, &e->h);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	struct kc_mon_exit *e;

	if (p->pid != p->tgid)
		return 0;
	e = reserve(KC_MON_EXIT, sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, p, KC_MON_EXIT, 0);
	e->exit_code = p->exit_code;
	e->pad = 0;
	submit(e, &e->h);
	return 0;
}

/* A cgroup created on the v2 hierarchy (hierarchy id 0; v1 hierarchies are numbered from 1):
 * its id and path, so that user space can name a container whose cgroup is gone by the time
 * its events are read (short-lived containers, jobs, exec probes). */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(handle_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct kc_mon_cgroup *e;
	long n;

	if (cgrp->root->hierarchy_id != 0)
		return 0;
	e = reserve(KC_MON_CGROUP, sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, bpf_get_current_task_btf(), KC_MON_CGROUP, 0);
	e->id = cgrp->kn->id;
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	if (n < 0) {
		e->path[0] = 0;
		e->h.flags |= KC_MON_F_READ_FAIL;
	} else if (n == sizeof(e->path)) {
		e->h.flags |= KC_MON_F_NAME_TRUNC;
	}
	submit(e, &e->h);
	return 0;
}

/* The open path runs for every successful open on the node. Fast: only the fd table slot
 * needs bpf_probe_read_kernel (the verifier types a pointer-to-pointer as a number), and the
 * file it yields is typed again with bpf_rdonly_cast, so every later field is a plain load.
 * Compat: the file stays a number and every field is a probe read. __weak: the kfunc is
 * resolved only where it exists; the compat variant never calls it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline struct task_struct *current_task(const int compat)
{
	return compat ? (struct task_struct *)bpf_get_current_task() : bpf_get_current_task_btf();
}

static __always_inline struct file *fd_file(struct task_struct *t, long fd, const int compat)
{
	struct fdtable *fdt = RD(compat, t, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (unsigned long)fd >= RD(compat, fdt, max_fds))
		return NULL;
	fds = RD(compat, fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	return compat ? f : bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
}

static __always_inline int filtered(void)
{
	struct kc_mon_counters *c = counter(KC_MON_OPEN);
	struct kc_src_counters *src = source();

	if (c)
		c->filtered++;
	if (src)
		__sync_fetch_and_add(&src->filtered, 1);
	return 0;
}

static __always_inline int handle_open(struct task_struct *t, long ret, const int compat)
{
	struct kc_watch_key key = {};
	struct kc_watch_val *v;
	struct kc_mon_open *e;
	struct dentry *d, *parent;
	struct inode *ino;
	struct file *f;
	__u32 match = KC_WATCH_FILE, f_flags;
	int write;
	long n;

	if (self_tgid && RD(compat, t, tgid) == self_tgid)
		return 0;
	f = fd_file(t, ret, compat);
	if (!f)
		return 0;
	ino = RD(compat, f, f_inode);
	key.dev = RD(compat, ino, i_sb, s_dev);
	key.ino = RD(compat, ino, i_ino);
	v = maybe_watched(key.dev, key.ino) ? bpf_map_lookup_elem(&watch, &key) : NULL;
	if (!v || !(v->flags & KC_WATCH_FILE)) {
		/* not itself watched: is it a child of a watched directory (new manifests)? */
		d = RD(compat, f, f_path.dentry);
		parent = RD(compat, d, d_parent);
		if (!parent || parent == d)
			return 0;
		ino = RD(compat, parent, d_inode);
		key.dev = RD(compat, ino, i_sb, s_dev);
		key.ino = RD(compat, ino, i_ino);
		if (!maybe_watched(key.dev, key.ino))
			return 0;
		v = bpf_map_lookup_elem(&watch, &key);
		if (!v || !(v->flags & (KC_WATCH_CHILDREN | KC_WATCH_CHILD_WRITES)))
			return 0;
		/* /etc, the binary directories: only writes (O_CREAT and O_TRUNC are gone from
		 * f_flags by now; both need write access to do anything) */
		if (!(v->flags & KC_WATCH_CHILDREN) && !(RD(compat, f, f_flags) & KC_O_WRITE))
			return 0;
		match = KC_WATCH_CHILDREN;
	}

	/* what no rule can match never takes ring-buffer space (a pod reading its own token in
	 * a loop cannot crowd out other pods' events) */
	f_flags = RD(compat, f, f_flags);
	write = (f_flags & KC_O_WRITE) != 0;
	if (v->flags & (write ? KC_WATCH_DROP_WRITE : KC_WATCH_DROP_READ))
		return filtered();
	if (v->flags & (write ? KC_WATCH_DROP_OWNER_WRITE : KC_WATCH_DROP_OWNER_READ)) {
		struct kc_owner_key ok = { .group = v->owner_group };
		copy_comm(ok.comm, t->comm, compat);
		if (bpf_map_lookup_elem(&owners, &ok))
			return filtered();
	}

	e = reserve(KC_MON_OPEN, sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, t, KC_MON_OPEN, compat);
	e->dev = key.dev;
	e->ino = key.ino;
	e->match = match;
	e->f_flags = f_flags;
	e->ret = ret;
	e->dfd = 0;
	e->pad = 0;
	n = bpf_probe_read_kernel_str(e->name, sizeof(e->name), RD(compat, f, f_path.dentry, d_name.name));
	if (n < 0) {
		e->name[0] = 0;
		e->h.flags |= KC_MON_F_READ_FAIL;
	}
	submit(e, &e->h);
	return 0;
}

/* Only a refusal by permission is an attempt (EACCES: mode bits or an LSM; EPERM: an LSM,
 * O_NOATIME, a sealed or immutable file); ENOENT and the like are not worth the ring buffer. */
static __always_inline int denied(long ret)
{
	return ret == -13 /* EACCES */ || ret == -1 /* EPERM */;
}

static __always_inline __u64 reg_arg(__u64 a0, __u64 a1, __u64 a2, __u32 i)
{
	return i == 0 ? a0 : i == 1 ? a1 : a2;
}

/* A refused open: no fd, so no inode; the name as the caller gave it, from the syscall's
 * arguments, for user space to resolve (through the process's root, working directory or
 * directory fd) and look up in the watch list. Runs only where the registers are at hand:
 * the raw_tp fallback's context, or bpf_task_pt_regs in the fast per-syscall programs; the
 * compat per-syscall programs keep to helpers of 5.8 and do not see attempts. */
static __always_inline int handle_attempt(struct task_struct *t, long ret, __u32 how, struct pt_regs *regs,
					  const int compat)
{
	__u32 arg = (how >> 8) & 0xff, dfd = (how >> 16) & 0xff, fl = (how >> 24) & 0xff;
	struct kc_mon_open *e;
	__u64 a0, a1, a2, flags = 01101; /* creat: O_CREAT | O_TRUNC | O_WRONLY */
	long n;

	if (arg > 2)
		return 0; /* open_by_handle_at: no name */
	if (self_tgid && RD(compat, t, tgid) == self_tgid)
		return 0;
	a0 = BPF_CORE_READ(regs, di);
	a1 = BPF_CORE_READ(regs, si);
	a2 = BPF_CORE_READ(regs, dx);
	if ((fl & 0x7f) <= 2) {
		flags = reg_arg(a0, a1, a2, fl & 0x7f);
		if ((fl & KC_SC_HOW_PTR) && bpf_probe_read_user(&flags, sizeof(flags), (const void *)flags) < 0)
			flags = 0;
	}
	e = reserve(KC_MON_OPEN, sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, t, KC_MON_OPEN, compat);
	e->dev = 0;
	e->ino = 0;
	e->match = 0;
	e->f_flags = (__u32)flags;
	e->ret = ret;
	e->dfd = dfd <= 2 ? (__s32)reg_arg(a0, a1, a2, dfd) : -100 /* AT_FDCWD */;
	e->pad = 0;
	n = bpf_probe_read_user_str(e->name, sizeof(e->name), (const void *)reg_arg(a0, a1, a2, arg));
	if (n < 0) {
		e->name[0] = 0;
		e->h.flags |= KC_MON_F_READ_FAIL;
	} else if (n == sizeof(e->name)) {
		e->h.flags |= KC_MON_F_NAME_TRUNC;
	}
	submit(e, &e->h);
	return 0;
}

/* rename, link, unlink: the names as the caller gave them, and the directory they are
 * relative to (its inode), so that user space can tell whether a watched directory changed
 * without a path lookup the kernel side cannot make. */
static __always_inline long path_op(struct kc_mon_syscall *e, struct task_struct *t, __u32 how,
				    const int compat)
{
	__u32 arg = (how >> 8) & 0xff, dfd = (how >> 16) & 0xff, old = (how >> 24) & 0xff;
	struct dentry *d = NULL;
	struct inode *ino;
	struct file *f;
	long n = 0;

	if (arg < 6)
		n = bpf_probe_read_user_str(e->str, sizeof(e->str), (const void *)e->args[arg]);
	if (old < 6 && bpf_probe_read_user_str(e->str2, sizeof(e->str2), (const void *)e->args[old]) < 0)
		e->str2[0] = 0;
	if (dfd < 6 && (int)e->args[dfd] != -100 /* AT_FDCWD */) {
		f = fd_file(t, (long)(int)e->args[dfd], compat);
		if (f)
			d = RD(compat, f, f_path.dentry);
	} else {
		d = RD(compat, t, fs, pwd.dentry);
	}
	if (d) {
		ino = RD(compat, d, d_inode);
		if (ino) {
			e->dir_dev = RD(compat, ino, i_sb, s_dev);
			e->dir_ino = RD(compat, ino, i_ino);
		}
	}
	return n;
}

/* What every syscall-exit program does once it knows the syscall: `how` is the filter's
 * value for it (KC_SC_*), `regs` the syscall's saved registers (for the arguments). */
static __always_inline int on_sys_exit(__u32 nr, long ret, __u32 how, struct pt_regs *regs,
				       const int compat)
{
	struct task_struct *t;
	struct kc_mon_syscall *e;
	__u32 kind = how & 0xff, arg = (how >> 8) & 0xff;
	struct file *f;
	long n = 0;

	t = current_task(compat);
	if (kind == KC_SC_OPEN) {
		if (ret >= 0)
			return handle_open(t, ret, compat);
		return regs && denied(ret) ? handle_attempt(t, ret, how, regs, compat) : 0;
	}
	/* a failed rename, link, set*id or program load changed nothing */
	if ((kind == KC_SC_PATHOP || kind == KC_SC_SETID || (kind == KC_SC_BPF)) && ret < 0)
		return 0;
	if (kind == KC_SC_PATHOP && ret != 0)
		return 0;
	/* the monitor's own calls never matter (it makes bpf() calls every second) */
	if (self_tgid && RD(compat, t, tgid) == self_tgid)
		return 0;
	/* set*id: only a change to 0 (root) is worth the ring buffer; bpf(): only loads */
	if (kind == KC_SC_SETID) {
		__u32 a0 = (__u32)BPF_CORE_READ(regs, di), a1 = (__u32)BPF_CORE_READ(regs, si);
		__u32 a2 = (__u32)BPF_CORE_READ(regs, dx);
		if (!(a0 == 0 || (arg >= 2 && a1 == 0) || (arg >= 3 && a2 == 0)))
			return 0;
	}
	if (kind == KC_SC_BPF && (__u32)BPF_CORE_READ(regs, di) != 5 /* BPF_PROG_LOAD */)
		return 0;

	e = reserve(KC_MON_SYSCALL, sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, t, KC_MON_SYSCALL, compat);
	e->nr = nr;
	e->pad = 0;
	e->ret = ret;
	/* x86-64 syscall argument registers; still the arguments at exit */
	e->args[0] = BPF_CORE_READ(regs, di);
	e->args[1] = BPF_CORE_READ(regs, si);
	e->args[2] = BPF_CORE_READ(regs, dx);
	e->args[3] = BPF_CORE_READ(regs, r10);
	e->args[4] = BPF_CORE_READ(regs, r8);
	e->args[5] = BPF_CORE_READ(regs, r9);
	e->str[0] = 0;
	e->str2[0] = 0;
	e->dir_dev = e->dir_ino = 0;
	if (kind == KC_SC_PATHOP)
		n = path_op(e, t, how, compat);
	else if (kind == KC_SC_USTR && arg < 6) {
		n = bpf_probe_read_user_str(e->str, sizeof(e->str), (const void *)e->args[arg]);
	} else if (kind == KC_SC_FDNAME && arg < 6) {
		f = fd_file(t, (long)e->args[arg], compat);
		if (f)
			n = bpf_probe_read_kernel_str(e->str, sizeof(e->str),
						      RD(compat, f, f_path.dentry, d_name.name));
	}
	if (n < 0) {
		e->str[0] = 0;
		e->h.flags |= KC_MON_F_READ_FAIL;
	} else if (n == sizeof(e->str)) {
		e->h.flags |= KC_MON_F_NAME_TRUNC;
	}
	submit(e, &e->h);
	return 0;
}

/* Fallback when the per-syscall tracepoints cannot be attached (no tracefs): every syscall
 * of every process runs this, so the syscall-number array decides first. */
static __always_inline int raw_sys_exit(struct bpf_raw_tracepoint_args *ctx, const int compat)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u32 nr, *how;

	nr = (__u32)BPF_CORE_READ(regs, orig_ax);
	if (nr >= KC_MON_NSYSCALLS)
		return 0;
	how = bpf_map_lookup_elem(&syscalls, &nr);
	if (!how || !*how)
		return 0;
	return on_sys_exit(nr, (long)ctx->args[1], *how, regs, compat);
}

SEC("raw_tp/sys_exit")
int handle_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return raw_sys_exit(ctx, 0);
}

SEC("raw_tp/sys_exit")
int handle_sys_exit_compat(struct bpf_raw_tracepoint_args *ctx)
{
	return raw_sys_exit(ctx, 1);
}

/* Per-syscall exit tracepoints: only the watched syscalls run a program. The context is the
 * tracepoint's record (syscall number, return value); the arguments are still in the task's
 * saved user registers, needed only by the rare non-open syscalls (bpf_task_pt_regs, 5.15+,
 * in both variants: without it those programs do not load and the raw_tp fallback, which
 * gets the registers from its context, is used) and, in the fast variant only, by refused
 * opens (their name). */
static __always_inline int tp_sys_exit(struct syscall_trace_exit *ctx, __u32 how, const int compat)
{
	struct pt_regs *regs = NULL;
	long ret = ctx->ret;
	__u32 nr = (__u32)ctx->nr;

	/* both context fields read first: otherwise clang keeps &ctx->ret across the branch and
	 * loads through a moved context pointer, which the verifier refuses */
	barrier_var(ret);
	barrier_var(nr);
	/* the fast variant also reads an attempted open's name from them */
	if ((how & 0xff) != KC_SC_OPEN || (!compat && denied(ret)))
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return on_sys_exit(nr, ret, how, regs, compat);
}

#define SYS_EXIT_PROG(name, how)                                                          \
	SEC("tp/syscalls/sys_exit_" #name)                                                \
	int tp_exit_##name(struct syscall_trace_exit *ctx)                                \
	{                                                                                 \
		return tp_sys_exit(ctx, (how), 0);                                        \
	}                                                                                 \
	SEC("tp/syscalls/sys_exit_" #name)                                                \
	int tp_exit_##name##_compat(struct syscall_trace_exit *ctx)                       \
	{                                                                                 \
		return tp_sys_exit(ctx, (how), 1);                                        \
	}

SYS_EXIT_PROG(openat, KC_SC_HOW_OPENAT)
SYS_EXIT_PROG(openat2, KC_SC_HOW_OPENAT2)
SYS_EXIT_PROG(open, KC_SC_HOW_OPEN)
SYS_EXIT_PROG(creat, KC_SC_HOW_CREAT)
SYS_EXIT_PROG(open_by_handle_at, KC_SC_HOW_OPEN_BY_HANDLE_AT)
SYS_EXIT_PROG(setns, KC_SC_HOW_SETNS)
SYS_EXIT_PROG(unshare, KC_SC_HOW_UNSHARE)
SYS_EXIT_PROG(ptrace, KC_SC_HOW_PTRACE)
SYS_EXIT_PROG(mount, KC_SC_HOW_MOUNT)
SYS_EXIT_PROG(move_mount, KC_SC_HOW_MOVE_MOUNT)
SYS_EXIT_PROG(fsmount, KC_SC_HOW_FSMOUNT)
SYS_EXIT_PROG(open_tree, KC_SC_HOW_OPEN_TREE)
SYS_EXIT_PROG(init_module, KC_SC_HOW_INIT_MODULE)
SYS_EXIT_PROG(finit_module, KC_SC_HOW_FINIT_MODULE)
SYS_EXIT_PROG(memfd_create, KC_SC_HOW_MEMFD_CREATE)
SYS_EXIT_PROG(rename, KC_SC_HOW_RENAME)
SYS_EXIT_PROG(renameat, KC_SC_HOW_RENAMEAT)
SYS_EXIT_PROG(renameat2, KC_SC_HOW_RENAMEAT2)
SYS_EXIT_PROG(link, KC_SC_HOW_LINK)
SYS_EXIT_PROG(linkat, KC_SC_HOW_LINKAT)
SYS_EXIT_PROG(unlink, KC_SC_HOW_UNLINK)
SYS_EXIT_PROG(unlinkat, KC_SC_HOW_UNLINKAT)
SYS_EXIT_PROG(setuid, KC_SC_HOW_SETUID)
SYS_EXIT_PROG(setreuid, KC_SC_HOW_SETREUID)
SYS_EXIT_PROG(setresuid, KC_SC_HOW_SETRESUID)
SYS_EXIT_PROG(setgid, KC_SC_HOW_SETGID)
SYS_EXIT_PROG(setregid, KC_SC_HOW_SETREGID)
SYS_EXIT_PROG(setresgid, KC_SC_HOW_SETRESGID)
SYS_EXIT_PROG(bpf, KC_SC_HOW_BPF)
