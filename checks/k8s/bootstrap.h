/* The ClusterRoles the API server creates at start (admin, edit, view, cluster-admin,
 * system:*, with their aggregation labels), as data generated from the upstream bootstrap
 * policy by scripts/gen-bootstrap-roles.py. A manifest input that binds one of them without
 * containing it gets the built-in definition, so the binding is judged by what the API
 * server would grant. Internal to checks/k8s. */
#ifndef KC_K8S_BOOTSTRAP_H
#define KC_K8S_BOOTSTRAP_H

#include <stddef.h>

struct kc_cluster;

struct kc_bootstrap_policy {
	const char *version;        /* the Kubernetes release the policy was taken from */
	size_t nroles;
	const char *json;           /* a v1 List of ClusterRoles */
};
extern const struct kc_bootstrap_policy kc_bootstrap_policies[];

/* Adds the built-in ClusterRoles that bindings of a manifest input reference but the input
 * does not define (all the missing built-in ones, so that aggregation resolves). Once per
 * cluster; nothing for API inputs, which list the real ones. */
void kc_bootstrap_add_missing(struct kc_cluster *c);

#endif
