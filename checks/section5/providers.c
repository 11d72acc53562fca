#include "checks/section5/providers.h"

#include <string.h>
#include <time.h>

#include "checks/k8s/exceptions.h"
#include "checks/section5/s5.h"
#include "common/error.h"
#include "common/strbuf.h"

#define NEED_NS KC_RES_BIT(KC_RES_NAMESPACES)
#define NEED_SA KC_RES_BIT(KC_RES_SERVICEACCOUNTS)
#define NEED_NP KC_RES_BIT(KC_RES_NETWORKPOLICIES)

/* Kinds a manifest input must hold at least one of for a query to be decided. Two cases:
 * - where absence would PASS ("no binding grants X" over an input without bindings is a PASS
 *   about nothing), the kind is required of every manifest input (REQUIRED);
 * - where absence FAILs (no NetworkPolicy, no Namespace labels, the implicit default
 *   ServiceAccount), a repository is the desired state and what it leaves out will not exist,
 *   so the FAIL stands; but an export of live objects (`kubectl get all -A -o yaml`, whose
 *   objects carry metadata.uid or resourceVersion) leaves out NetworkPolicies, Namespaces,
 *   ServiceAccounts and RBAC by construction, so there the kind is required too. */
#define K(k) (1u << (k))
#define HAS_BINDINGS (K(KC_K_ROLEBINDING) | K(KC_K_CLUSTERROLEBINDING))
#define HAS_ROLES (K(KC_K_ROLE) | K(KC_K_CLUSTERROLE))
#define HAS_NS K(KC_K_NAMESPACE)
#define HAS_SA K(KC_K_SERVICEACCOUNT)
#define HAS_NP K(KC_K_NETWORKPOLICY)

struct query {
	const char *name;
	s5_eval_fn fn;
	unsigned long long needs;   /* collections that must have loaded */
	unsigned present[2];        /* manifests: each a set of kinds, one of which must be present */
};
/* set in a present[] group: required of every manifest input, not only of exports */
#define REQUIRED (1u << 31)

static const struct query queries[] = {
	{ "rbac.cluster_admin_bindings", s5_rbac_cluster_admin, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "rbac.secrets_access", s5_rbac_secrets, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "rbac.wildcard_rules", s5_rbac_wildcards, KC_RES_RBAC, { HAS_ROLES | REQUIRED } },
	{ "rbac.pod_create", s5_rbac_pod_create, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "rbac.default_service_accounts", s5_rbac_default_sa, KC_RES_RBAC | NEED_SA | NEED_NS | KC_RES_WORKLOADS, { HAS_SA } },
	{ "rbac.token_automount", s5_rbac_token_automount, KC_RES_RBAC | NEED_SA | KC_RES_WORKLOADS, { HAS_BINDINGS, HAS_SA } },
	{ "rbac.system_masters", s5_rbac_system_masters, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "rbac.bind_escalate_impersonate", s5_rbac_escalation_verbs, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "rbac.pv_create", s5_rbac_pv_create, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "rbac.node_proxy", s5_rbac_node_proxy, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "rbac.csr_approval", s5_rbac_csr_approval, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "rbac.webhook_config", s5_rbac_webhooks, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "rbac.sa_token_create", s5_rbac_sa_token_create, KC_RES_RBAC, { HAS_BINDINGS | REQUIRED } },
	{ "pods.psa_labels", s5_pods_psa_labels, NEED_NS | KC_RES_WORKLOADS, { HAS_NS } },
	{ "pods.privileged", s5_pods_privileged, KC_RES_WORKLOADS, { 0 } },
	{ "pods.host_pid", s5_pods_host_pid, KC_RES_WORKLOADS, { 0 } },
	{ "pods.host_ipc", s5_pods_host_ipc, KC_RES_WORKLOADS, { 0 } },
	{ "pods.host_network", s5_pods_host_network, KC_RES_WORKLOADS, { 0 } },
	{ "pods.privilege_escalation", s5_pods_privilege_escalation, KC_RES_WORKLOADS, { 0 } },
	{ "pods.run_as_root", s5_pods_run_as_root, KC_RES_WORKLOADS, { 0 } },
	{ "pods.net_raw", s5_pods_net_raw, KC_RES_WORKLOADS, { 0 } },
	{ "pods.added_capabilities", s5_pods_added_caps, KC_RES_WORKLOADS, { 0 } },
	{ "pods.capabilities_add", s5_pods_capabilities_add, KC_RES_WORKLOADS, { 0 } },
	{ "pods.host_process", s5_pods_host_process, KC_RES_WORKLOADS, { 0 } },
	{ "pods.host_path", s5_pods_host_path, KC_RES_WORKLOADS, { 0 } },
	{ "pods.host_ports", s5_pods_host_ports, KC_RES_WORKLOADS, { 0 } },
	{ "pods.seccomp", s5_pods_seccomp, KC_RES_WORKLOADS, { 0 } },
	{ "pods.security_context", s5_pods_security_context, KC_RES_WORKLOADS, { 0 } },
	{ "netpol.cni_enforces", s5_netpol_cni, KC_RES_BIT(KC_RES_DAEMONSETS), { 0 } },
	{ "netpol.namespaces", s5_netpol_namespaces, NEED_NS | NEED_NP | KC_RES_WORKLOADS, { HAS_NP } },
	{ "secrets.env_vars", s5_secrets_env, KC_RES_WORKLOADS, { 0 } },
	{ "secrets.external_store", s5_secrets_external_store, 0, { 0 } },
	{ "admission.image_provenance", s5_admission_image_provenance, 0, { 0 } },
	{ "namespaces.in_use", s5_ns_in_use, NEED_NS | KC_RES_WORKLOADS, { 0 } },
	{ "namespaces.default_unused", s5_ns_default_unused,
	  KC_RES_WORKLOADS | KC_RES_RBAC | NEED_SA | KC_RES_BIT(KC_RES_SERVICES), { 0 } },
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
	/* a collection the credentials may not list (403) makes only its checks undecided */
	if (kc_cluster__need(c, q->needs) < 0) {
		kc_result_set_reason(r, "%s", kc_error_last());
		*status = KC_WARN;
		return 0;
	}
	for (size_t g = 0; !c->server && g < 2 && q->present[g]; g++) {
		if (!(q->present[g] & REQUIRED) && !c->nexported)
			continue;
		int found = 0;
		for (int k = 0; k < KC_K_KIND_COUNT && !found; k++)
			for (size_t i = 0; (q->present[g] & K(k)) && i < c->nby_kind[k] && !found; i++)
				found = !c->by_kind[k][i]->builtin; /* the input's own, not the built-in roles */
		if (found)
			continue;
		struct kc_buf names = KC_BUF_INIT;
		for (int k = 0, n = 0; k < KC_K_KIND_COUNT; k++) {
			if (!(q->present[g] & K(k)))
				continue;
			const char *kn = kc_k8s_kind_name((enum kc_k8s_kind)k);
			size_t kl = strlen(kn);
			if (kn[kl - 1] == 'y') /* NetworkPolicy -> NetworkPolicies */
				kc_buf_printf(&names, "%s%.*sies", n++ ? " or " : "", (int)(kl - 1), kn);
			else
				kc_buf_printf(&names, "%s%ss", n++ ? " or " : "", kn);
		}
		kc_result_set_reason(r, "the input has no %s: this check cannot be decided from it (a partial export "
				     "such as `kubectl get all` leaves them out)", names.ptr);
		kc_buf_clear(&names);
		*status = KC_WARN;
		return 0;
	}
	struct s5 s = { .c = c, .r = r };
	int rc = q->fn(&s, status);
	if (rc == 0 && c->exceptions)
		*status = kc_exceptions_apply(c->exceptions, check_id, r, *status, time(NULL));
	/* what could not be read is not judged: no PASS over it */
	if (rc == 0 && *status == KC_PASS && c->nskipped) {
		kc_result_set_reason(r, "%zu part%s of the input could not be read and %s not judged (first: %s)",
				     c->nskipped, c->nskipped == 1 ? "" : "s", c->nskipped == 1 ? "is" : "are",
				     kc_cluster_warning(c, c->first_skip));
		*status = KC_WARN;
	}
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
