/* Events and maps shared by bpf/monitor.bpf.c (kernel) and bpf/monitor.c (user space).
 * The kernel side includes vmlinux.h first; user space gets the __u* types here, so the
 * layout cannot drift between the two. Every event starts with struct kc_mon_hdr. */
#ifndef KC_BPF_MONITOR_H
#define KC_BPF_MONITOR_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KC_MON_COMM_LEN 16
#define KC_MON_CHAIN 4         /* ancestors carried by every event: parent, grandparent, ... */
#define KC_MON_FILENAME_LEN 256
#define KC_MON_ARGS_LEN 1024   /* power of two: the verifier bounds reads with a mask */
#define KC_MON_TTY_LEN 32
#define KC_MON_NAME_LEN 128
#define KC_MON_NSYSCALLS 512   /* size of the syscall filter array */

enum kc_mon_type {
	KC_MON_EXEC = 0,
	KC_MON_FORK,
	KC_MON_EXIT,
	KC_MON_OPEN,
	KC_MON_SYSCALL,
	KC_MON_CGROUP,           /* a cgroup v2 directory was created: its id and path */
	KC_MON_NTYPES,
};

/* hdr.flags */
#define KC_MON_F_ARGS_TRUNC 0x1  /* argv longer than KC_MON_ARGS_LEN */
#define KC_MON_F_READ_FAIL 0x2   /* a field could not be read; the event is still sent */
#define KC_MON_F_EXE_MEMFD 0x4   /* executable is a memfd (fileless exec) */
#define KC_MON_F_NAME_TRUNC 0x8  /* filename or string argument hit its bound */
#define KC_MON_F_EXE_SETID 0x10  /* exec: the file is set-user-ID or set-group-ID */
#define KC_MON_F_EXE_DELETED 0x20 /* exec: the file has no name left (unlinked) */
#define KC_MON_EXE_DIRS 4        /* exec: ancestors of the file carried by inode */

/* Syscall filter array values: low byte = what to do, next byte = which argument. */
#define KC_SC_OPEN 1             /* returns an fd: look its inode up in the watch map */
#define KC_SC_PLAIN 2            /* report with its arguments */
#define KC_SC_USTR 3             /* ... plus a user string argument */
#define KC_SC_FDNAME 4           /* ... plus the dentry name of an fd argument */
#define KC_SC_PATHOP 5           /* rename/link/unlink: on success, the new (or removed) name,
				  * the old name, and the directory the name is relative to */
#define KC_SC_SETID 6            /* set*uid/set*gid: only a success with a 0 target */
#define KC_SC_BPF 7              /* bpf(): only BPF_PROG_LOAD */
#define KC_SC(kind, arg) ((kind) | ((arg) << 8))
/* KC_SC_PATHOP: arg = the name's argument, dfd = its directory fd's argument (KC_SC_CWD: the
 * working directory), old = the old name's argument (KC_SC_NONE: none). */
#define KC_SC_CWD 6
#define KC_SC_NONE 7
#define KC_SC_PATH(arg, dfd, old) (KC_SC_PATHOP | ((arg) << 8) | ((dfd) << 16) | ((old) << 24))

/* What each watched syscall reports: the per-syscall programs (tp/syscalls/sys_exit_*) take
 * these as constants, user space puts the same values in the raw_tp fallback's array. */
/* KC_SC_OPEN: for a refused open (an attempt), where the name is (arg, KC_SC_NONE: none),
 * its directory fd (dfd, KC_SC_CWD: the working directory) and the flags (flags, KC_SC_NONE:
 * creat's; KC_SC_HOW_PTR set: the argument points to openat2's struct open_how). */
#define KC_SC_HOW_PTR 0x80
#define KC_SC_OPENS(arg, dfd, flags) (KC_SC_OPEN | ((arg) << 8) | ((dfd) << 16) | ((flags) << 24))
#define KC_SC_HOW_OPENAT KC_SC_OPENS(1, 0, 2)          /* openat(dfd, name, flags, mode) */
#define KC_SC_HOW_OPENAT2 KC_SC_OPENS(1, 0, 2 | KC_SC_HOW_PTR) /* openat2(dfd, name, how, size) */
#define KC_SC_HOW_OPEN KC_SC_OPENS(0, KC_SC_CWD, 1)    /* open(name, flags, mode) */
#define KC_SC_HOW_CREAT KC_SC_OPENS(0, KC_SC_CWD, KC_SC_NONE) /* creat(name, mode) */
#define KC_SC_HOW_OPEN_BY_HANDLE_AT KC_SC_OPENS(KC_SC_NONE, KC_SC_NONE, KC_SC_NONE) /* no name */
#define KC_SC_HOW_SETNS KC_SC(KC_SC_FDNAME, 0)        /* the namespace file's name */
#define KC_SC_HOW_UNSHARE KC_SC(KC_SC_PLAIN, 0)
#define KC_SC_HOW_PTRACE KC_SC(KC_SC_PLAIN, 0)
#define KC_SC_HOW_MOUNT KC_SC(KC_SC_USTR, 1)          /* target */
#define KC_SC_HOW_MOVE_MOUNT KC_SC(KC_SC_USTR, 3)     /* to_pathname */
#define KC_SC_HOW_FSMOUNT KC_SC(KC_SC_PLAIN, 0)
#define KC_SC_HOW_OPEN_TREE KC_SC(KC_SC_USTR, 1)      /* filename */
#define KC_SC_HOW_INIT_MODULE KC_SC(KC_SC_PLAIN, 0)
#define KC_SC_HOW_FINIT_MODULE KC_SC(KC_SC_FDNAME, 0) /* the module file's name */
#define KC_SC_HOW_MEMFD_CREATE KC_SC(KC_SC_USTR, 0)   /* the memfd's name */
#define KC_SC_HOW_RENAME KC_SC_PATH(1, KC_SC_CWD, 0)     /* rename(old, new) */
#define KC_SC_HOW_RENAMEAT KC_SC_PATH(3, 2, 1)           /* renameat(odfd, old, ndfd, new) */
#define KC_SC_HOW_RENAMEAT2 KC_SC_PATH(3, 2, 1)
#define KC_SC_HOW_LINK KC_SC_PATH(1, KC_SC_CWD, 0)       /* link(old, new) */
#define KC_SC_HOW_LINKAT KC_SC_PATH(3, 2, 1)             /* linkat(odfd, old, ndfd, new, flags) */
#define KC_SC_HOW_UNLINK KC_SC_PATH(0, KC_SC_CWD, KC_SC_NONE)
#define KC_SC_HOW_UNLINKAT KC_SC_PATH(1, 0, KC_SC_NONE)  /* unlinkat(dfd, name, flags) */
/* set*id: arg = how many leading arguments are targets ((uid_t)-1 = unchanged) */
#define KC_SC_HOW_SETUID KC_SC(KC_SC_SETID, 1)
#define KC_SC_HOW_SETREUID KC_SC(KC_SC_SETID, 2)
#define KC_SC_HOW_SETRESUID KC_SC(KC_SC_SETID, 3)
#define KC_SC_HOW_SETGID KC_SC(KC_SC_SETID, 1)
#define KC_SC_HOW_SETREGID KC_SC(KC_SC_SETID, 2)
#define KC_SC_HOW_SETRESGID KC_SC(KC_SC_SETID, 3)
#define KC_SC_HOW_BPF KC_SC(KC_SC_BPF, 0)

/* Watch map value flags. */
#define KC_WATCH_FILE 0x1        /* this inode itself */
#define KC_WATCH_CHILDREN 0x2    /* a directory: opens of its direct children */
#define KC_WATCH_CHILD_WRITES 0x4 /* a directory: opens of its direct children for writing */
/* In-kernel filtering, from the rules (user space works it out per class): opens that no
 * rule can match are dropped before they take ring-buffer space. */
#define KC_WATCH_DROP_READ 0x8   /* no rule matches a read of it */
#define KC_WATCH_DROP_WRITE 0x10 /* no rule matches a write */
#define KC_WATCH_DROP_OWNER_READ 0x20  /* no rule matches a read by one of its owners */
#define KC_WATCH_DROP_OWNER_WRITE 0x40 /* no rule matches a write by one of its owners */

struct kc_mon_proc {
	__u32 pid;
	char comm[KC_MON_COMM_LEN];
};

struct kc_mon_hdr {
	__u32 type;              /* enum kc_mon_type */
	__u32 flags;
	__u64 ts_ns;             /* bpf_ktime_get_boot_ns */
	__u64 cgroup_id;         /* v2 cgroup id = inode number of the cgroup directory */
	__u32 pid, tid, ppid;    /* tgid, thread, parent's tgid */
	__u32 vpid;              /* tgid in the task's own pid namespace (1 = a container's init) */
	__u32 uid, euid;
	char comm[KC_MON_COMM_LEN];
	struct kc_mon_proc chain[KC_MON_CHAIN];
};

struct kc_mon_exec {
	struct kc_mon_hdr h;
	__u32 args_len;          /* bytes of args used: NUL-separated argv */
	__u32 old_pid;
	__u64 exe_dev;           /* the executed file's device (kernel encoding) */
	__u64 exe_dirs[KC_MON_EXE_DIRS]; /* inodes of its directory, that one's parent, ... up
				  * to its filesystem's root (0 beyond): user space matches them
				  * to /tmp, /dev/shm even for a relative or symlinked path */
	char filename[KC_MON_FILENAME_LEN];
	char tty[KC_MON_TTY_LEN];
	char args[KC_MON_ARGS_LEN];
};

struct kc_mon_fork {
	struct kc_mon_hdr h;     /* h.pid = child, h.ppid = parent */
};

struct kc_mon_exit {
	struct kc_mon_hdr h;
	__s32 exit_code;
	__u32 pad;
};

struct kc_mon_open {
	struct kc_mon_hdr h;
	__u64 dev;               /* kernel encoding: (major << 20) | minor */
	__u64 ino;               /* inode that matched: the file, or its directory */
	__u32 match;             /* KC_WATCH_FILE or KC_WATCH_CHILDREN */
	__u32 f_flags;           /* open flags: O_ACCMODE, O_TRUNC, O_CREAT */
	__s64 ret;               /* the fd; an attempt: the negative errno (-EACCES, -EPERM) */
	__s32 dfd;               /* an attempt: the directory fd the name is relative to (-100:
				  * the working directory) */
	__u32 pad;
	char name[KC_MON_NAME_LEN]; /* dentry name of the opened file; an attempt: the name as
				     * the caller gave it (dev, ino and match are 0) */
};

struct kc_mon_syscall {
	struct kc_mon_hdr h;
	__u32 nr;
	__u32 pad;
	__s64 ret;
	__u64 args[6];
	char str[KC_MON_NAME_LEN]; /* mount target, memfd name, module file name, or the
				    * new/removed name of a rename, link or unlink */
	char str2[KC_MON_NAME_LEN]; /* rename, link: the old name */
	__u64 dir_dev, dir_ino;  /* rename, link, unlink: the directory fd or working directory
				  * the name is relative to (kernel device encoding) */
};

struct kc_mon_cgroup {
	struct kc_mon_hdr h;     /* who created it (kubelet, the runtime, systemd) */
	__u64 id;                /* the id bpf_get_current_cgroup_id() returns inside it */
	char path[KC_MON_FILENAME_LEN]; /* relative to the v2 root: "/kubepods.slice/..." */
};

/* A bitmap in front of the watch map: an unwatched open (nearly all of them) costs two bit
 * tests instead of two hash lookups. Set by user space for every watch-map key; a set bit
 * only means "look in the map". */
#define KC_WATCH_BITS_LOG2 16
#define KC_WATCH_BITS_WORDS ((1u << KC_WATCH_BITS_LOG2) / 64)

static inline __u32 kc_watch_bit(__u64 dev, __u64 ino)
{
	return (__u32)(((ino ^ (dev << 40)) * 0x9E3779B97F4A7C15ull) >> (64 - KC_WATCH_BITS_LOG2));
}

struct kc_watch_key {
	__u64 dev;               /* kernel encoding */
	__u64 ino;
};

struct kc_watch_val {
	__u32 flags;             /* KC_WATCH_* */
	__u32 id;                /* index into user space's watch list */
	__u32 owner_group;       /* its owners' list: key of the owners map with a task name */
	__u32 pad;
};

/* owners map key: a process name (the kernel's 16-byte comm, zero-padded) in an owner list */
struct kc_owner_key {
	char comm[KC_MON_COMM_LEN]; /* first: copied as two aligned 8-byte words */
	__u32 group;
	__u32 pad;
};

/* Per-source accounting (the sources map, by cgroup id): who filled the ring buffer and whose
 * events were lost, so that a gap can name them. */
struct kc_src_counters {
	__u64 sent;
	__u64 lost;
	__u64 filtered;          /* opens dropped in the kernel because no rule could match */
};

/* Per-CPU, per-type loss accounting: seen = sent + full. */
struct kc_mon_counters {
	__u64 seen;              /* passed the in-kernel filter */
	__u64 sent;              /* reserved and submitted */
	__u64 full;              /* ring buffer reservation failed: lost */
	__u64 read_fail;         /* sent with a field unreadable */
	__u64 truncated;         /* sent with argv or a name truncated */
	__u64 filtered;          /* dropped in the kernel: no rule could match (not a loss) */
};

#endif
