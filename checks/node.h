/* The facts of one node, read without a shell: component processes from /proc, static pod
 * manifests, files under --root (stat'ed without following planted symlinks), and the
 * users and groups of the audited root. Each fact is read once per run and cached. */
#ifndef KC_NODE_H
#define KC_NODE_H

#include <stddef.h>
#include <sys/types.h>

#include "checks/flags.h"
#include "checks/fsroot.h"
#include "common/yaml.h"

enum kc_component_id {
	KC_COMP_APISERVER, KC_COMP_CONTROLLER_MANAGER, KC_COMP_SCHEDULER, KC_COMP_ETCD,
	KC_COMP_KUBELET, KC_COMP_PROXY, KC_COMP_COUNT
};

/* Where a component's flags came from. */
enum kc_flag_source { KC_SRC_NONE, KC_SRC_PROCESS, KC_SRC_STATIC_POD, KC_SRC_SYSTEMD,
	KC_SRC_K3S /* run inside a k3s process: k3s's arguments for it (checks/k3s.h) */ };

struct kc_component {
	enum kc_component_id id;
	const char *name;          /* "kube-apiserver" */
	enum kc_flag_source source;
	long pid;                  /* KC_SRC_PROCESS */
	char *source_path;         /* /proc/<pid>/cmdline, manifest or unit path (as under root) */
	struct kc_flags flags;     /* parsed command line */
	long *arg_lines;           /* KC_SRC_STATIC_POD/SYSTEMD: line of argv[i] in source_path, 0 unknown */
	size_t narg_lines;
	char **env;                /* KEY=VALUE from /proc/<pid>/environ or the pod spec; NULL-terminated */
	char *cmdline_redacted;    /* for evidence */
	int cmdline_cut;           /* KC_SRC_PROCESS: cmdline or environ too long to read whole:
				    * flags unknown, every check on this component is undecided */
	char *image;               /* static pod image (version detection) */
	char **arg_origin;         /* KC_SRC_SYSTEMD: per argv index, the unit, drop-in or
				    * EnvironmentFile whose text produced it; NULL otherwise */
	size_t nargs;
	char *flags_error;         /* the flags cannot be known (KC_SRC_K3S: its config file
				    * does not parse): file:line and why; every check is ERROR */
};

/* How the node was built, from its files and processes (see kc_node_distribution). */
enum kc_distro { KC_DISTRO_UNKNOWN, KC_DISTRO_KUBEADM, KC_DISTRO_K3S, KC_DISTRO_RKE2, KC_DISTRO_SYSTEMD };

struct kc_kubelet;

struct kc_node {
	struct kc_root *root;      /* --root, where every path is opened */
	char *proc_dir;            /* --proc; NULL disables process discovery */
	struct kc_root *proc;      /* proc_dir, opened confined (inside --root when under it) */
	char *manifest_dir;        /* static pod manifests, default /etc/kubernetes/manifests */
	int loaded;
	struct kc_component comps[KC_COMP_COUNT];
	/* users and groups of the audited root, for owner names */
	struct kc_idname *users, *groups;
	size_t nusers, ngroups;
	/* per-run caches: each file is stat'ed, hashed and parsed at most once. Arrays of
	 * pointers: an entry never moves when the cache grows, so the pointer kc_node_file and
	 * kc_node_yaml return stays valid until kc_node_clear (callers hold two at once). */
	struct kc_filefact **files;
	size_t nfiles, files_cap;
	struct kc_yamlfile **yamls;
	size_t nyamls, yamls_cap;
	struct kc_kubelet *kubelet; /* kubelet layering state (checks/kubelet.h), built on first use */
	enum kc_distro distro;
	const char *distro_why;
	/* the running k3s process, for checks/k3s.c: its argv and K3S_CONFIG_FILE */
	char **k3s_argv;
	size_t k3s_argc;
	long k3s_pid;
	char *k3s_config_env;
};

/* A YAML/JSON config file read under root (JSON is YAML to libyaml). */
struct kc_yamlfile {
	char *path;        /* as the process names it */
	long pid;          /* 0: read under --root; else read through /proc/<pid>/root */
	int err;           /* 0, -errno of the read, or KC_EINVAL when it does not parse */
	char *errmsg;      /* parse error with file:line:column */
	struct kc_yaml y;
};

struct kc_idname { unsigned id; char *name; };

/* A file as the auditor saw it, under root. */
struct kc_filefact {
	char *path;        /* as under root, e.g. "/etc/kubernetes/admin.conf" */
	int err;           /* 0, or errno of the failed lstat (ENOENT = missing) */
	int is_symlink;
	char *link_target; /* when is_symlink: the link's text */
	char *resolved;    /* when is_symlink: the path it resolves to inside root (or the
			    * missing one); mode, owner, size and sha256 are the target's */
	int link_err;      /* when is_symlink: 0, ENOENT (dangling), EXDEV (would leave the
			    * root: not followed), ELOOP; the fields below are the link's then */
	unsigned mode;     /* st_mode */
	unsigned uid, gid;
	long long size;
	char sha256[65];   /* regular files only, "" otherwise */
};

int kc_node_open(struct kc_node *node, const char *root, const char *proc_dir);
void kc_node_clear(struct kc_node *node);
/* Discovers components (processes, then static pod manifests); idempotent. */
int kc_node_load(struct kc_node *node);
const struct kc_component *kc_node_component(struct kc_node *node, enum kc_component_id id);
const struct kc_component *kc_node_component_by_name(struct kc_node *node, const char *name);
/* Cached lstat + sha256 of a path under root; never NULL (err says what happened). The
 * entry is owned by the node and valid until kc_node_clear, whatever is looked up after it. */
const struct kc_filefact *kc_node_file(struct kc_node *node, const char *path);
/* Cached parse of a config file under root; never NULL (err says what happened); valid
 * until kc_node_clear. */
const struct kc_yamlfile *kc_node_yaml(struct kc_node *node, const char *path);
/* A file named by a component's flag, as that component sees it: under --root, else — when
 * absent there and the component is a running process — through the process's own root,
 * /proc/<pid>/root<path> (kube-proxy's config lives in its container). *view (may be NULL)
 * gets "host" or "process root /proc/<pid>/root". */
const struct kc_yamlfile *kc_node_component_yaml(struct kc_node *node, const struct kc_component *c, const char *path,
						 const char **view);
/* "root" for uid 0 in the audited root's /etc/passwd, else the number as text. */
const char *kc_node_user_name(struct kc_node *node, unsigned uid, char numbuf[16]);
const char *kc_node_group_name(struct kc_node *node, unsigned gid, char numbuf[16]);
/* kubeadm, k3s, rke2, systemd (components run as plain units, no kubeadm) or unknown; why
 * gets the file or process that decided. */
enum kc_distro kc_node_distribution(struct kc_node *node, const char **why);
const char *kc_distro_name(enum kc_distro d);
/* Static pod directories searched, in order (kubeadm's, then RKE2's). */
extern const char *const kc_node_manifest_dirs[];

/* Is any node target (master, etcd, node) present? 0 for an empty or mis-mounted root. */
int kc_node_has_any_component(struct kc_node *node);
/* Is the target (master, etcd, node, controlplane, policies) present on this node? why gets
 * a sentence either way. */
int kc_node_has_target(struct kc_node *node, const char *target, const char **why);

#endif
