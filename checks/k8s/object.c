#include "checks/k8s/object.h"

#include <string.h>

static const char *const kind_names[KC_K_KIND_COUNT] = {
	[KC_K_OTHER] = "Object",
	[KC_K_NAMESPACE] = "Namespace",
	[KC_K_POD] = "Pod",
	[KC_K_DEPLOYMENT] = "Deployment",
	[KC_K_STATEFULSET] = "StatefulSet",
	[KC_K_DAEMONSET] = "DaemonSet",
	[KC_K_REPLICASET] = "ReplicaSet",
	[KC_K_REPLICATIONCONTROLLER] = "ReplicationController",
	[KC_K_JOB] = "Job",
	[KC_K_CRONJOB] = "CronJob",
	[KC_K_SERVICEACCOUNT] = "ServiceAccount",
	[KC_K_ROLE] = "Role",
	[KC_K_CLUSTERROLE] = "ClusterRole",
	[KC_K_ROLEBINDING] = "RoleBinding",
	[KC_K_CLUSTERROLEBINDING] = "ClusterRoleBinding",
	[KC_K_NETWORKPOLICY] = "NetworkPolicy",
	[KC_K_SERVICE] = "Service",
};

const char *kc_k8s_kind_name(enum kc_k8s_kind k)
{
	return (unsigned)k < KC_K_KIND_COUNT ? kind_names[k] : "Object";
}

enum kc_k8s_kind kc_k8s_kind_parse(const char *kind)
{
	if (!kind)
		return KC_K_OTHER;
	for (int i = 1; i < KC_K_KIND_COUNT; i++)
		if (strcmp(kind, kind_names[i]) == 0)
			return (enum kc_k8s_kind)i;
	return KC_K_OTHER;
}

int kc_k8s_kind_has_pods(enum kc_k8s_kind k)
{
	switch (k) {
	case KC_K_POD: case KC_K_DEPLOYMENT: case KC_K_STATEFULSET: case KC_K_DAEMONSET:
	case KC_K_REPLICASET: case KC_K_REPLICATIONCONTROLLER: case KC_K_JOB: case KC_K_CRONJOB:
		return 1;
	default:
		return 0;
	}
}

const char *kc_k8s_label(const struct kc_kv *labels, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(labels[i].key, key) == 0)
			return labels[i].value;
	return NULL;
}

static int expr_matches(const struct kc_selector_expr *e, const struct kc_kv *labels, size_t n)
{
	const char *v = kc_k8s_label(labels, n, e->key);
	if (strcmp(e->op, "Exists") == 0)
		return v != NULL;
	if (strcmp(e->op, "DoesNotExist") == 0)
		return v == NULL;
	int in = 0;
	for (size_t i = 0; v && i < e->nvalues; i++)
		if (strcmp(e->values[i], v) == 0)
			in = 1;
	if (strcmp(e->op, "In") == 0)
		return in;
	if (strcmp(e->op, "NotIn") == 0)
		return !in;
	return 0; /* an unknown operator selects nothing, as the API server would reject it */
}

int kc_selector_matches(const struct kc_selector *sel, const struct kc_kv *labels, size_t n)
{
	if (!sel)
		return 0;
	for (size_t i = 0; i < sel->nmatch; i++) {
		const char *v = kc_k8s_label(labels, n, sel->match[i].key);
		if (!v || strcmp(v, sel->match[i].value) != 0)
			return 0;
	}
	for (size_t i = 0; i < sel->nexprs; i++)
		if (!expr_matches(&sel->exprs[i], labels, n))
			return 0;
	return 1;
}
