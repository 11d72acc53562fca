/* The sensitive files the monitor watches, by (device, inode), built from --root with lstat
 * only: a symlink in the watched tree is never followed (a planted link cannot add or hide a
 * file), and matching by inode means "..", symlinks and hard links used at open time do not
 * evade it. Devices are kept in the kernel's encoding, (major << 20) | minor, which is what
 * the BPF side reads from inode->i_sb->s_dev; user space's st_dev is converted here. */
#ifndef KC_BPF_WATCHLIST_H
#define KC_BPF_WATCHLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kc_watch_entry {
	char *path;              /* as seen on the host: "/etc/kubernetes/admin.conf" */
	const char *cls;         /* "admin-kubeconfig", "kubeconfig", "pki-key", "manifest",
	                          * "kubelet-config", "etcd-data", "sa-token", "shadow",
	                          * "etc", "bin-dir" (directories watched for writes) */
	const char *owners;      /* comma list of process names that normally read it */
	char pod_uid[40];        /* sa-token: the pod it was issued to */
	uint64_t dev, ino;       /* dev in kernel encoding */
	unsigned flags;          /* KC_WATCH_FILE, KC_WATCH_CHILDREN, KC_WATCH_CHILD_WRITES */
};

/* A directory that holds watched files, with the names in it that are watched: a rename,
 * link or unlink there of a matching name changes the watch list (replaced keys, a new
 * manifest), which the monitor then rebuilds at once instead of at the next rescan. */
struct kc_watch_dir {
	char *path;              /* as seen on the host */
	const char *cls, *owners; /* of the files it holds */
	const char *glob;        /* watched names in it: "*.key", "admin.conf", "*" */
	uint64_t dev, ino;       /* dev in kernel encoding */
};

struct kc_watchlist {
	struct kc_watch_entry *v;  /* sorted by (dev, ino), unique */
	size_t n, cap;
	struct kc_watch_dir *dirs; /* unsorted; one per (directory, glob) */
	size_t ndirs, dcap;
};

#define KC_WATCHLIST_INIT { NULL, 0, 0, NULL, 0, 0 }

/* Builds the list from the host filesystem at root ("/" or the DaemonSet's host mount).
 * Missing files are simply not watched. */
int kc_watchlist_build(const char *root, struct kc_watchlist *out);
void kc_watchlist_clear(struct kc_watchlist *w);
const struct kc_watch_entry *kc_watchlist_find(const struct kc_watchlist *w, uint64_t dev, uint64_t ino);
/* The watched directory (dev, ino) in which name (a basename) is or would be watched, or
 * NULL: a change to any other name there leaves the watch list as it is. */
const struct kc_watch_dir *kc_watchlist_dir_match(const struct kc_watchlist *w, uint64_t dev, uint64_t ino,
						  const char *name);
/* st_dev as user space sees it -> the kernel's s_dev encoding. */
uint64_t kc_watch_kdev(dev_t st_dev);
/* Is comm (a 15-character kernel task name) one of the comma-separated owners? */
int kc_watch_is_owner(const char *owners, const char *comm);

#endif
