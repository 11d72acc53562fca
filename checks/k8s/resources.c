#include "checks/k8s/index.h"

/* What section 5 lists from an API server; the read-only ClusterRole in
 * deploy/rbac/clusterrole-readonly.yaml grants exactly these. */
static const struct kc_k8s_resource resources[KC_RES_COUNT] = {
	[KC_RES_NAMESPACES] = { "", "v1", "namespaces", "Namespace", 0, 0 },
	[KC_RES_PODS] = { "", "v1", "pods", "Pod", 1, 0 },
	[KC_RES_SERVICEACCOUNTS] = { "", "v1", "serviceaccounts", "ServiceAccount", 1, 0 },
	[KC_RES_SERVICES] = { "", "v1", "services", "Service", 1, 0 },
	[KC_RES_REPLICATIONCONTROLLERS] = { "", "v1", "replicationcontrollers", "ReplicationController", 1, 0 },
	[KC_RES_DEPLOYMENTS] = { "apps", "v1", "deployments", "Deployment", 1, 0 },
	[KC_RES_STATEFULSETS] = { "apps", "v1", "statefulsets", "StatefulSet", 1, 0 },
	[KC_RES_DAEMONSETS] = { "apps", "v1", "daemonsets", "DaemonSet", 1, 0 },
	[KC_RES_REPLICASETS] = { "apps", "v1", "replicasets", "ReplicaSet", 1, 0 },
	[KC_RES_JOBS] = { "batch", "v1", "jobs", "Job", 1, 0 },
	[KC_RES_CRONJOBS] = { "batch", "v1", "cronjobs", "CronJob", 1, 0 },
	[KC_RES_ROLES] = { "rbac.authorization.k8s.io", "v1", "roles", "Role", 1, 0 },
	[KC_RES_CLUSTERROLES] = { "rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", 0, 0 },
	[KC_RES_ROLEBINDINGS] = { "rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", 1, 0 },
	[KC_RES_CLUSTERROLEBINDINGS] = { "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", 0, 0 },
	[KC_RES_NETWORKPOLICIES] = { "networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", 1, 0 },
	[KC_RES_VALIDATINGWEBHOOKS] = { "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", 0, 1 },
	[KC_RES_MUTATINGWEBHOOKS] = { "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", 0, 1 },
	[KC_RES_KYVERNO_CLUSTERPOLICIES] = { "kyverno.io", "v1", "clusterpolicies", "ClusterPolicy", 0, 1 },
	[KC_RES_GATEKEEPER_TEMPLATES] = { "templates.gatekeeper.sh", "v1", "constrainttemplates", "ConstraintTemplate", 0, 1 },
	[KC_RES_SIGSTORE_POLICIES] = { "policy.sigstore.dev", "v1beta1", "clusterimagepolicies", "ClusterImagePolicy", 0, 1 },
	[KC_RES_EXTERNAL_SECRETSTORES] = { "external-secrets.io", "v1beta1", "secretstores", "SecretStore", 1, 1 },
	[KC_RES_EXTERNAL_CLUSTERSECRETSTORES] = { "external-secrets.io", "v1beta1", "clustersecretstores", "ClusterSecretStore", 0, 1 },
	[KC_RES_CSI_SECRETPROVIDERS] = { "secrets-store.csi.x-k8s.io", "v1", "secretproviderclasses", "SecretProviderClass", 1, 1 },
};

const struct kc_k8s_resource *kc_k8s_resource(enum kc_k8s_res r)
{
	return (unsigned)r < KC_RES_COUNT ? &resources[r] : NULL;
}
