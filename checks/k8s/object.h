/* The object model: the part of each Kubernetes object that section 5 judges, in typed form.
 * Manifests (YAML or JSON) and API LIST responses are both read into json-c first and decoded
 * here by one function (decode.c), so every check is written once against these structs.
 * Everything is allocated in the owning cluster's arena and is read-only once indexed. */
#ifndef KC_K8S_OBJECT_H
#define KC_K8S_OBJECT_H

#include <stddef.h>

enum kc_k8s_kind {
	KC_K_OTHER,
	KC_K_NAMESPACE,
	KC_K_POD,
	KC_K_DEPLOYMENT,
	KC_K_STATEFULSET,
	KC_K_DAEMONSET,
	KC_K_REPLICASET,
	KC_K_REPLICATIONCONTROLLER,
	KC_K_JOB,
	KC_K_CRONJOB,
	KC_K_SERVICEACCOUNT,
	KC_K_ROLE,
	KC_K_CLUSTERROLE,
	KC_K_ROLEBINDING,
	KC_K_CLUSTERROLEBINDING,
	KC_K_NETWORKPOLICY,
	KC_K_SERVICE,
	KC_K_KIND_COUNT
};

/* Tri-state booleans: a field that is absent is not the same as false. */
enum { KC_TRI_UNSET = -1, KC_TRI_FALSE = 0, KC_TRI_TRUE = 1 };

struct kc_k8s_obj;

struct kc_kv {
	const char *key, *value;
};

/* A label selector (metav1.LabelSelector). An empty selector selects everything; a missing
 * one (NULL pointer where a selector is optional) selects nothing. */
struct kc_selector_expr {
	const char *key, *op;   /* In, NotIn, Exists, DoesNotExist */
	const char **values;
	size_t nvalues;
};
struct kc_selector {
	struct kc_kv *match;
	size_t nmatch;
	struct kc_selector_expr *exprs;
	size_t nexprs;
};

enum kc_container_type { KC_CT_CONTAINER, KC_CT_INIT, KC_CT_EPHEMERAL };

struct kc_hostport {
	long port;
	unsigned short index;       /* ports[index] */
};

struct kc_secret_env {
	int from;                   /* 0 env[].valueFrom.secretKeyRef, 1 envFrom[].secretRef */
	unsigned short index;
	const char *var;            /* env name (from = 0) or prefix (from = 1) */
	const char *secret, *key;
};

struct kc_container {
	const char *name, *image;
	unsigned char type;         /* enum kc_container_type */
	unsigned short index;       /* position in its list */
	signed char has_sc;         /* securityContext present (even empty) */
	signed char privileged, ape, run_as_non_root, host_process, ro_rootfs;
	signed char has_run_as_user;
	long long run_as_user;
	const char *seccomp;        /* securityContext.seccompProfile.type */
	const char *seccomp_annot;  /* legacy container.seccomp.security.alpha.kubernetes.io/<name> */
	const char **cap_add, **cap_drop;
	size_t ncap_add, ncap_drop;
	signed char has_caps;
	struct kc_hostport *hostports;
	size_t nhostports;
	struct kc_secret_env *secret_env;
	size_t nsecret_env;
};

struct kc_hostpath {
	const char *volume, *path;
	unsigned short index;       /* volumes[index] */
};

struct kc_podspec {
	const char *prefix;         /* field path of the pod spec: "spec", "spec.template.spec", ... */
	signed char host_pid, host_ipc, host_network, automount;
	signed char has_sc, run_as_non_root, host_process, has_run_as_user;
	long long run_as_user;
	const char *seccomp;        /* spec.securityContext.seccompProfile.type */
	const char *seccomp_annot;  /* legacy seccomp.security.alpha.kubernetes.io/pod */
	const char *service_account;/* serviceAccountName (or deprecated serviceAccount); NULL = default */
	struct kc_kv *labels;       /* the pods' labels (template labels for controllers) */
	size_t nlabels;
	struct kc_container *containers;
	size_t ncontainers;
	struct kc_hostpath *hostpaths;
	size_t nhostpaths;
};

struct kc_rule {
	const char **verbs, **groups, **resources, **names, **urls;
	size_t nverbs, ngroups, nresources, nnames, nurls;
};

/* A rule as it applies to a role after aggregation: the rule and the role it came from. */
struct kc_rule_ref {
	const struct kc_k8s_obj *from;
	const struct kc_rule *rule;
	size_t index;               /* rules[index] of from */
};

struct kc_role {
	struct kc_rule *rules;
	size_t nrules;
	const struct kc_rule_ref *eff; /* set by the index: own rules plus aggregated ones */
	size_t neff;
	struct kc_selector *agg;    /* aggregationRule.clusterRoleSelectors */
	size_t nagg;
	int has_agg;
};

struct kc_subject {
	const char *kind, *name, *ns;
};

struct kc_binding {
	const char *role_kind, *role_name;
	struct kc_subject *subjects;
	size_t nsubjects;
};

struct kc_netpol {
	struct kc_selector pod_selector;
	int has_selector;
};

/* Where an object came from: a manifest file, or an API collection. */
struct kc_k8s_src {
	const char *path;           /* file path ("-" for stdin) or collection URL */
	int api;                    /* 1: path is "<server>/apis/<group>/<version>" and resource is set */
	const char *resource;       /* plural resource name for API URLs */
};

struct kc_k8s_obj {
	enum kc_k8s_kind kind;
	const char *kind_name;      /* as written ("Deployment", "ClusterPolicy", ...) */
	const char *api_version;
	const char *name;
	const char *ns;             /* NULL for cluster-scoped */
	const struct kc_k8s_src *src;
	long line;                  /* 1-based line in src, 0 for API objects */
	struct kc_kv *labels;
	size_t nlabels;
	const char *owner_kind, *owner_name; /* the controlling ownerReference, if any */
	signed char automount;      /* ServiceAccount.automountServiceAccountToken */
	signed char verify_images;  /* OTHER: an admission policy that verifies image signatures */
	signed char pod_security;   /* OTHER: an admission policy enforcing pod security standards */
	signed char is_default;     /* labelled kubernetes.io/bootstrapping=rbac-defaults */
	signed char owned;          /* set by the index: its controller is among the objects, which
				     * is reported instead (a pod of a ReplicaSet of a Deployment) */
	signed char shadowed;       /* set by the index: a later definition of the same object wins */
	signed char exported;       /* has metadata.uid or resourceVersion: read back from a server */
	signed char builtin;        /* a built-in ClusterRole added from the bootstrap policy data */
	struct kc_podspec *pod;     /* Pod and every controller with a pod template */
	struct kc_role *role;       /* Role, ClusterRole */
	struct kc_binding *binding; /* RoleBinding, ClusterRoleBinding */
	struct kc_netpol *netpol;
};

const char *kc_k8s_kind_name(enum kc_k8s_kind k);
enum kc_k8s_kind kc_k8s_kind_parse(const char *kind);
/* Kinds that carry a pod template (or are pods). */
int kc_k8s_kind_has_pods(enum kc_k8s_kind k);

/* Label value or NULL. */
const char *kc_k8s_label(const struct kc_kv *labels, size_t n, const char *key);
/* Does sel select an object with these labels? */
int kc_selector_matches(const struct kc_selector *sel, const struct kc_kv *labels, size_t n);

#endif
