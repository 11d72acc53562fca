#include "checks/section5/providers.h"

#include <string.h>
#include <time.h>

#include "checks/k8s/exceptions.h"
#include "checks/section5/s5.h"
#include "common/error.h"

#define NEED_NS KC_RES_BIT(KC_RES_NAMESPACES)
#define NEED_SA KC_RES_BIT(KC_RES_SERVICEACCOUNTS)
#define NEED_NP KC_RES_BIT(KC_RES_NETWORKPOLICIES)

struct query {
	const char *name;
	s5_eval_fn fn;
	unsigned long long needs;   /* collections that must have loaded */
};

static const struct query queries[] = {
	{ "rbac.cluster_admin_bindings", s5_rbac_cluster_admin, KC_RES_RBAC },
	{ "rbac.secrets_access", s5_rbac_secrets, KC_RES_RBAC },
	{ "rbac.wildcard_rules", s5_rbac_wildcards, KC_RES_RBAC },
	{ "rbac.pod_create", s5_rbac_pod_create, KC_RES_RBAC },
	{ "rbac.default_service_accounts", s5_rbac_default_sa, KC_RES_RBAC | NEED_SA | NEED_NS | KC_RES_WORKLOADS },
	{ "rbac.token_automount", s5_rbac_token_automount, KC_RES_RBAC | NEED_SA | KC_RES_WORKLOADS },
	{ "rbac.system_masters", s5_rbac_system_masters, KC_RES_RBAC },
	{ "rbac.bind_escalate_impersonate", s5_rbac_escalation_verbs, KC_RES_RBAC },
	{ "rbac.pv_create", s5_rbac_pv_create, KC_RES_RBAC },
	{ "rbac.node_proxy", s5_rbac_node_proxy, KC_RES_RBAC },
	{ "rbac.csr_approval", s5_rbac_csr_approval, KC_RES_RBAC },
	{ "rbac.webhook_config", s5_rbac_webhooks, KC_RES_RBAC },
	{ "rbac.sa_token_create", s5_rbac_sa_token_create, KC_RES_RBAC },
	{ "pods.psa_labels", s5_pods_psa_labels, NEED_NS | KC_RES_WORKLOADS },
	{ "pods.privileged", s5_pods_privileged, KC_RES_WORKLOADS },
	{ "pods.host_pid", s5_pods_host_pid, KC_RES_WORKLOADS },
	{ "pods.host_ipc", s5_pods_host_ipc, KC_RES_WORKLOADS },
	{ "pods.host_network", s5_pods_host_network, KC_RES_WORKLOADS },
	{ "pods.privilege_escalation", s5_pods_privilege_escalation, KC_RES_WORKLOADS },
	{ "pods.run_as_root", s5_pods_run_as_root, KC_RES_WORKLOADS },
	{ "pods.net_raw", s5_pods_net_raw, KC_RES_WORKLOADS },
	{ "pods.added_capabilities", s5_pods_added_caps, KC_RES_WORKLOADS },
	{ "pods.capabilities_add", s5_pods_capabilities_add, KC_RES_WORKLOADS },
	{ "pods.host_process", s5_pods_host_process, KC_RES_WORKLOADS },
	{ "pods.host_path", s5_pods_host_path, KC_RES_WORKLOADS },
	{ "pods.host_ports", s5_pods_host_ports, KC_RES_WORKLOADS },
	{ "pods.seccomp", s5_pods_seccomp, KC_RES_WORKLOADS },
	{ "pods.security_context", s5_pods_security_context, KC_RES_WORKLOADS },
	{ "netpol.cni_enforces", s5_netpol_cni, KC_RES_BIT(KC_RES_DAEMONSETS) },
	{ "netpol.namespaces", s5_netpol_namespaces, NEED_NS | NEED_NP | KC_RES_WORKLOADS },
	{ "secrets.env_vars", s5_secrets_env, KC_RES_WORKLOADS },
	{ "secrets.external_store", s5_secrets_external_store, 0 },
	{ "admission.image_provenance", s5_admission_image_provenance, 0 },
	{ "namespaces.in_use", s5_ns_in_use, NEED_NS | KC_RES_WORKLOADS },
	{ "namespaces.default_unused", s5_ns_default_unused,
	  KC_RES_WORKLOADS | KC_RES_RBAC | NEED_SA | KC_RES_BIT(KC_RES_SERVICES) },
};

const char *const *kc_section5_query_names(void)
{
	static const char *names[sizeof(queries) / sizeof(*queries) + 1];
	if (!names[0])
		for (size_t i = 0; i < sizeof(queries) / sizeof(*queries); i++)
			names[i] = queries[i].name;
	return names;
}

int kc_section5_query(struct kc_cluster *c, const char *query, const char *check_id, struct kc_result *r,
		      enum kc_status *status)
{
	const struct query *q = NULL;
	for (size_t i = 0; query && i < sizeof(queries) / sizeof(*queries); i++)
		if (strcmp(queries[i].name, query) == 0)
			q = &queries[i];
	if (!q)
		return kc_error_set(KC_EINVAL, "unknown section-5 query '%s'", query ? query : "");
	kc_cluster__index(c);
	int rc = kc_cluster__need(c, q->needs);
	if (rc < 0)
		return rc;
	struct s5 s = { .c = c, .r = r };
	rc = q->fn(&s, status);
	if (rc == 0 && c->exceptions)
		*status = kc_exceptions_apply(c->exceptions, check_id, r, *status, time(NULL));
	return rc;
}

static int provide(void *ctx, const struct kc_check *check, const struct kc_test *test, struct kc_result *r,
		   enum kc_status *status)
{
	return kc_section5_query(ctx, test ? test->query : NULL, check ? check->id : NULL, r, status);
}

size_t kc_cluster_providers(struct kc_cluster *c, struct kc_query_provider *out, size_t max)
{
	static const char *const prefixes[KC_SECTION5_PROVIDERS] = {
		"rbac.", "pods.", "netpol.", "secrets.", "admission.", "namespaces.",
	};
	/* indexed now, so that an engine evaluating checks concurrently only reads */
	kc_cluster__index(c);
	size_t n = 0;
	for (size_t i = 0; i < KC_SECTION5_PROVIDERS && n < max; i++)
		out[n++] = (struct kc_query_provider){ prefixes[i], provide, c };
	return n;
}
