/* Who is behind a cgroup, without asking the container runtime: the cgroup v2 id that BPF
 * reports -> the cgroup's path (by walking the v2 hierarchy: a cgroup's id is its directory's
 * inode number) -> pod UID and container id (kubelet's systemd and cgroupfs drivers with
 * containerd, CRI-O and Docker naming) -> pod namespace and name from kubelet's
 * <root>/var/log/pods/<namespace>_<pod>_<uid>/. Host daemons are named by their unit. */
#ifndef KC_BPF_ATTRIBUTION_H
#define KC_BPF_ATTRIBUTION_H

#include <stddef.h>
#include <stdint.h>

enum kc_cgroup_kind {
	KC_CGROUP_UNKNOWN = 0,   /* no v2 hierarchy, or the id was not found */
	KC_CGROUP_HOST,          /* outside kubepods: a host daemon or session */
	KC_CGROUP_POD,           /* a pod's own cgroup (no container below it) */
	KC_CGROUP_CONTAINER,     /* a container of a pod */
};

struct kc_cgroup_info {
	enum kc_cgroup_kind kind;
	char qos[16];            /* "besteffort", "burstable", "" (guaranteed or unknown) */
	char pod_uid[40];        /* with dashes, as the API server shows it */
	char container_id[72];   /* 64 hex */
	char runtime[16];        /* "containerd", "crio", "docker", "" when the name says nothing */
	int conmon;              /* CRI-O's conmon for that container, not the container */
	char unit[128];          /* host: the last component ("kubelet.service"), "" for the root */
};

/* Parses a cgroup path (relative to the v2 root, "/kubepods.slice/..."). Never fails on
 * odd input: what does not match leaves kind HOST (or UNKNOWN for an empty string). */
void kc_cgroup_parse(const char *path, size_t len, struct kc_cgroup_info *out);

struct kc_attr {
	uint64_t id;
	char *path;              /* NULL when not found */
	struct kc_cgroup_info info;
	char *namespace_, *pod;  /* NULL when /var/log/pods does not say */
	uint64_t learned;        /* kc_attr_learn's sequence number (1, 2, ...), 0 = found by a scan */
};

struct kc_attr_cache;

/* Opens the cgroup v2 hierarchy whose ids BPF reports. When host_root is not "/" (a DaemonSet
 * with the host at /host, whose own /sys/fs/cgroup is namespaced), the host's first:
 * <host_root>/sys/fs/cgroup/unified (hybrid), then <host_root>/sys/fs/cgroup, each only when
 * it is a cgroup2 mount, resolved inside host_root with the last component not a symlink
 * (checks/fsroot.h); then the auditor's own /sys/fs/cgroup/unified, /sys/fs/cgroup.
 * Returns the directory's descriptor and *where (caller frees) naming it, or -1 (no v2
 * hierarchy; *where NULL). */
int kc_attr_open_cgroup_root(const char *host_root, char **where);
/* cgroup_root: the v2 mount to use (NULL = kc_attr_open_cgroup_root(host_root)); host_root:
 * --root, where var/log/pods is. No v2 hierarchy is not an error: lookups then return kind
 * UNKNOWN. */
int kc_attr_new(const char *cgroup_root, const char *host_root, struct kc_attr_cache **out);
/* The same over a hierarchy already open (the descriptor is taken over; -1 = none); where
 * names it for messages. Any directory tree works: ids are its directories' inode numbers,
 * paths are relative to it (so a test can use plain directories). */
int kc_attr_new_fd(int cgroup_fd, const char *where, const char *host_root, struct kc_attr_cache **out);
void kc_attr_free(struct kc_attr_cache *c);
const char *kc_attr_cgroup_root(const struct kc_attr_cache *c); /* NULL when none */
/* A cgroup the kernel reported at creation (id, path relative to the v2 root): kept even
 * after the directory is gone, so that events read later still name their pod. At most
 * KC_ATTR_LEARNED_MAX such entries outlive their directory (the oldest are dropped). */
#define KC_ATTR_LEARNED_MAX 16384
void kc_attr_learn(struct kc_attr_cache *c, uint64_t cgroup_id, const char *path);
/* Borrowed until the next lookup. Rescans the hierarchy when the id is new. */
const struct kc_attr *kc_attr_lookup(struct kc_attr_cache *c, uint64_t cgroup_id);

#endif
