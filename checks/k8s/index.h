/* The inside of a cluster, shared by checks/k8s and checks/section5 only: the objects, the
 * lookups built once after loading, and what could not be loaded. Outside those two folders
 * use checks/k8s/cluster.h. */
#ifndef KC_K8S_INDEX_H
#define KC_K8S_INDEX_H

#include <stddef.h>

#include "checks/k8s/cluster.h"
#include "checks/k8s/object.h"

struct kc_arena;

/* Resource collections as the API server serves them; a manifest load has them all. */
enum kc_k8s_res {
	KC_RES_NAMESPACES, KC_RES_PODS, KC_RES_SERVICEACCOUNTS, KC_RES_SERVICES,
	KC_RES_REPLICATIONCONTROLLERS, KC_RES_DEPLOYMENTS, KC_RES_STATEFULSETS,
	KC_RES_DAEMONSETS, KC_RES_REPLICASETS, KC_RES_JOBS, KC_RES_CRONJOBS,
	KC_RES_ROLES, KC_RES_CLUSTERROLES, KC_RES_ROLEBINDINGS, KC_RES_CLUSTERROLEBINDINGS,
	KC_RES_NETWORKPOLICIES,
	/* optional: admission and secret-store products; absent (404) is normal */
	KC_RES_VALIDATINGWEBHOOKS, KC_RES_MUTATINGWEBHOOKS, KC_RES_KYVERNO_CLUSTERPOLICIES,
	KC_RES_GATEKEEPER_TEMPLATES, KC_RES_SIGSTORE_POLICIES, KC_RES_EXTERNAL_SECRETSTORES,
	KC_RES_EXTERNAL_CLUSTERSECRETSTORES, KC_RES_CSI_SECRETPROVIDERS,
	KC_RES_COUNT
};
#define KC_RES_BIT(r) (1ULL << (r))
#define KC_RES_WORKLOADS                                                                     \
	(KC_RES_BIT(KC_RES_PODS) | KC_RES_BIT(KC_RES_REPLICATIONCONTROLLERS) |               \
	 KC_RES_BIT(KC_RES_DEPLOYMENTS) | KC_RES_BIT(KC_RES_STATEFULSETS) |                  \
	 KC_RES_BIT(KC_RES_DAEMONSETS) | KC_RES_BIT(KC_RES_REPLICASETS) |                    \
	 KC_RES_BIT(KC_RES_JOBS) | KC_RES_BIT(KC_RES_CRONJOBS))
#define KC_RES_RBAC                                                                          \
	(KC_RES_BIT(KC_RES_ROLES) | KC_RES_BIT(KC_RES_CLUSTERROLES) |                        \
	 KC_RES_BIT(KC_RES_ROLEBINDINGS) | KC_RES_BIT(KC_RES_CLUSTERROLEBINDINGS))

struct kc_k8s_resource {
	const char *group;          /* "" for the core group */
	const char *version;
	const char *plural;
	const char *kind;           /* kind of the items (LIST items carry none) */
	int namespaced;
	int optional;               /* a product's CRD: 404 means not installed */
};
const struct kc_k8s_resource *kc_k8s_resource(enum kc_k8s_res r);

struct kc_ns_info {
	const char *name;
	const struct kc_k8s_obj *obj;  /* the Namespace object, NULL when only referenced */
	size_t nworkloads;             /* top-level pod-bearing objects */
	size_t nnetpols;
	int exempt;
};

struct kc_cluster {
	struct kc_arena **arenas;   /* one per load (and per worker); objects point into them */
	size_t narenas, arenas_cap;
	struct kc_k8s_obj **objs;   /* load order */
	size_t nobjs, objs_cap;
	char **warnings;
	size_t nwarnings, warnings_cap;
	size_t nskipped;            /* documents, items or files of the input not judged */
	size_t first_skip;          /* warnings[first_skip] describes the first of them */
	int bootstrap_done;         /* built-in ClusterRoles added (checks/k8s/bootstrap.h) */
	size_t nexported;           /* set by the index: objects read back from a server (uid or
				     * resourceVersion), i.e. the input is an export, maybe partial */
	char *default_ns;
	char **exempt;
	size_t nexempt;
	int include_defaults;
	const struct kc_exceptions *exceptions;
	/* API loads: which collections failed, and why (NULL = loaded or manifests) */
	char *res_error[KC_RES_COUNT];
	char *server;               /* API server URL, NULL for manifests */
	/* index, rebuilt lazily when objects were added since */
	int indexed;
	struct kc_k8s_obj **by_kind[KC_K_KIND_COUNT];
	size_t nby_kind[KC_K_KIND_COUNT];
	struct kc_k8s_obj **table;  /* open addressing on (kind, namespace, name) */
	size_t table_cap;
	struct kc_ns_info *nss;     /* sorted by name */
	size_t nnss;
	struct kc_arena *index_arena;
};

/* Appends objects decoded elsewhere; a (may be NULL: already adopted) passes to c. */
void kc_cluster__adopt(struct kc_cluster *c, struct kc_arena *a, struct kc_k8s_obj **objs, size_t n);
void kc_cluster__warn(struct kc_cluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Builds the lookups when needed; cheap when nothing changed. */
void kc_cluster__index(struct kc_cluster *c);
const struct kc_k8s_obj *kc_cluster__find(const struct kc_cluster *c, enum kc_k8s_kind kind,
					  const char *ns, const char *name);
const struct kc_ns_info *kc_cluster__ns(const struct kc_cluster *c, const char *name);
int kc_cluster__is_exempt(const struct kc_cluster *c, const char *ns);
/* 0 when every collection in mask was loaded; otherwise a negative code and kc_error_set. */
int kc_cluster__need(const struct kc_cluster *c, unsigned long long mask);

#endif
