/* Shared by the section-5 evaluators: one evaluation's state, evidence rows for objects, and
 * iteration over workloads and containers. Internal to checks/section5. */
#ifndef KC_SECTION5_S5_H
#define KC_SECTION5_S5_H

#include <stddef.h>

#include "checks/k8s/index.h"
#include "store/result.h"
#include "common/strbuf.h"

struct s5 {
	struct kc_cluster *c;
	struct kc_result *r;
	size_t nrows;                     /* failing-object rows added */
	size_t nobjects;                  /* distinct objects among them */
	const struct kc_k8s_obj *last;
};

/* Every KC_EV_OBJECT row of a result is a failing object (exceptions rely on that); context
 * goes into KC_EV_NOTE rows. value is redacted; detail is printf-style. */
struct kc_evidence *s5_row(struct s5 *s, const struct kc_k8s_obj *o, const char *key, const char *value,
			   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A row for a namespace, whether or not its Namespace object is among the objects. */
struct kc_evidence *s5_ns_row(struct s5 *s, const struct kc_ns_info *ns, const char *key, const char *value,
			      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Where an object can be looked at: "file" or the API URL of the object; caller frees. */
char *s5_source(const struct kc_cluster *c, const struct kc_k8s_obj *o);

/* Top-level pod-bearing objects (pods, controllers), in a fixed kind order then load order.
 * Caller frees the array. */
size_t s5_workloads(struct kc_cluster *c, const struct kc_k8s_obj ***out);
/* s5_workloads plus the Pods reported through their controller that carry ephemeral
 * containers: those are added to the running Pod (the pods/ephemeralcontainers subresource),
 * never to a template, so only the Pod shows them. Caller frees the array. */
size_t s5_container_holders(struct kc_cluster *c, const struct kc_k8s_obj ***out);
/* Is ct judged on w? Every container of a top-level workload; only the ephemeral ones of a
 * Pod whose controller already reports its template's containers. */
int s5_container_judged(const struct kc_k8s_obj *w, const struct kc_container *ct);
/* "spec.template.spec.containers[2]" */
void s5_container_path(struct kc_buf *b, const struct kc_podspec *p, const struct kc_container *ct);
const char *s5_container_word(const struct kc_container *ct); /* "container", "init container", ... */


/* Evaluators: each returns the status and fills s->r; negative on an internal error. */
typedef int (*s5_eval_fn)(struct s5 *s, enum kc_status *status);

int s5_rbac_cluster_admin(struct s5 *s, enum kc_status *st);
int s5_rbac_secrets(struct s5 *s, enum kc_status *st);
int s5_rbac_wildcards(struct s5 *s, enum kc_status *st);
int s5_rbac_pod_create(struct s5 *s, enum kc_status *st);
int s5_rbac_default_sa(struct s5 *s, enum kc_status *st);
int s5_rbac_token_automount(struct s5 *s, enum kc_status *st);
int s5_rbac_system_masters(struct s5 *s, enum kc_status *st);
int s5_rbac_escalation_verbs(struct s5 *s, enum kc_status *st);
int s5_rbac_pv_create(struct s5 *s, enum kc_status *st);
int s5_rbac_node_proxy(struct s5 *s, enum kc_status *st);
int s5_rbac_csr_approval(struct s5 *s, enum kc_status *st);
int s5_rbac_webhooks(struct s5 *s, enum kc_status *st);
int s5_rbac_sa_token_create(struct s5 *s, enum kc_status *st);

int s5_pods_psa_labels(struct s5 *s, enum kc_status *st);
int s5_pods_privileged(struct s5 *s, enum kc_status *st);
int s5_pods_host_pid(struct s5 *s, enum kc_status *st);
int s5_pods_host_ipc(struct s5 *s, enum kc_status *st);
int s5_pods_host_network(struct s5 *s, enum kc_status *st);
int s5_pods_privilege_escalation(struct s5 *s, enum kc_status *st);
int s5_pods_run_as_root(struct s5 *s, enum kc_status *st);
int s5_pods_net_raw(struct s5 *s, enum kc_status *st);
int s5_pods_added_caps(struct s5 *s, enum kc_status *st);
int s5_pods_capabilities_add(struct s5 *s, enum kc_status *st);
int s5_pods_host_process(struct s5 *s, enum kc_status *st);
int s5_pods_host_path(struct s5 *s, enum kc_status *st);
int s5_pods_host_ports(struct s5 *s, enum kc_status *st);
int s5_pods_seccomp(struct s5 *s, enum kc_status *st);
int s5_pods_security_context(struct s5 *s, enum kc_status *st);

int s5_netpol_cni(struct s5 *s, enum kc_status *st);
int s5_netpol_namespaces(struct s5 *s, enum kc_status *st);

int s5_secrets_env(struct s5 *s, enum kc_status *st);
int s5_secrets_external_store(struct s5 *s, enum kc_status *st);
int s5_admission_image_provenance(struct s5 *s, enum kc_status *st);
int s5_ns_in_use(struct s5 *s, enum kc_status *st);
int s5_ns_default_unused(struct s5 *s, enum kc_status *st);

#endif
