/* Section-5 rules as the API server decides them, each on manifests written for the one
 * behaviour the test is named after (docs/section5.md cites the upstream code of each). */
#include "kc_test.h"

#include "k8s_test_util.h"

static struct kc_cluster *from(const char *name, const char *yaml)
{
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_buffer(c, name, yaml, strlen(yaml)), 0);
	return c;
}

/* A namespace's worth of RBAC context, so that the RBAC checks have bindings to judge. */
#define SA_APP                                                                                 \
	"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: team}\n---\n"

/* ---- RBAC ---- */

/* The API server authorizes a RoleBinding's roleRef with verb bind in the binding's
 * namespace (pkg/registry/rbac/escalation_check.go BindingAuthorized): bind on clusterroles
 * granted by a RoleBinding lets its subjects bind any ClusterRole there. */
static void test_rolebinding_grants_bind_on_clusterroles_in_its_namespace(void **state)
{
	(void)state;
	struct kc_cluster *c = from("rb.yaml", SA_APP
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: binder}\n"
		"rules:\n- apiGroups: [rbac.authorization.k8s.io]\n  resources: [clusterroles]\n  verbs: [bind]\n"
		"---\n"
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: binder, namespace: team}\n"
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}\n"
		"subjects:\n- {kind: ServiceAccount, name: app}\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "rbac.bind_escalate_impersonate", "5.1.8", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "RoleBinding", "team", "binder");
	assert_non_null(e);
	assert_non_null(strstr(e->detail, "bind clusterroles in its namespace"));
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* RBAC matches "*", the exact resource and "<star>/subresource" only
 * (pkg/apis/rbac/v1/evaluation_helpers.go ResourceMatches): "nodes/<star>" grants no
 * subresource of nodes, while "<star>/proxy" grants nodes/proxy. */
static void test_resource_slash_star_is_not_a_wildcard(void **state)
{
	(void)state;
	static const char base[] =
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: px}\n"
		"rules:\n- apiGroups: ['']\n  resources: ['%s']\n  verbs: [get]\n"
		"---\n"
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: px}\n"
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: px}\n"
		"subjects:\n- {kind: User, name: alice}\n";
	static const struct { const char *res; enum kc_status want; } cases[] = {
		{ "nodes/*", KC_PASS }, { "*/proxy", KC_FAIL }, { "nodes/proxy", KC_FAIL }, { "*", KC_FAIL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char yaml[1024];
		snprintf(yaml, sizeof(yaml), base, cases[i].res);
		struct kc_cluster *c = from("px.yaml", yaml);
		struct kc_result r;
		enum kc_status st = k8s_run(c, "rbac.node_proxy", "5.1.10", &r);
		if (st != cases[i].want)
			fprintf(stderr, "resources [%s]:\n", cases[i].res), k8s_dump(&r);
		assert_int_equal(st, cases[i].want);
		kc_result_clear(&r);
		kc_cluster_free(c);
	}
}

/* The ClusterRoleBinding named cluster-admin is judged by its subjects: a subject added
 * beside group system:masters holds everything (rbac.go VisitRulesFor visits every subject). */
static void test_cluster_admin_binding_judged_by_subjects(void **state)
{
	(void)state;
	static const char crb[] =
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: cluster-admin}\n"
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
		"subjects:\n- {kind: Group, name: 'system:masters'}\n%s";
	char yaml[1024];
	snprintf(yaml, sizeof(yaml), crb, "");
	struct kc_cluster *c = from("crb.yaml", yaml);
	struct kc_result r;
	assert_int_equal(k8s_run(c, "rbac.cluster_admin_bindings", "5.1.1", &r), KC_PASS);
	kc_result_clear(&r);
	kc_cluster_free(c);

	snprintf(yaml, sizeof(yaml), crb, "- {kind: ServiceAccount, name: ci, namespace: tools}\n");
	c = from("crb.yaml", yaml);
	assert_int_equal(k8s_run(c, "rbac.cluster_admin_bindings", "5.1.1", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "ClusterRoleBinding", NULL, "cluster-admin");
	assert_non_null(e);
	assert_string_equal(e->key, "subjects[1]");
	assert_int_equal(k8s_nrows(&r), 1); /* system:masters itself is not a row */
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* A binding to the built-in `edit` in a repository that does not define it is judged by the
 * API server's own edit role (aggregated from system:aggregate-to-edit): secrets readable. */
static void test_binding_to_builtin_role_resolved_without_its_manifest(void **state)
{
	(void)state;
	struct kc_cluster *c = from("edit.yaml", SA_APP
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: devs, namespace: team}\n"
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\n"
		"subjects:\n- {kind: Group, name: devs}\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "rbac.secrets_access", "5.1.2", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "RoleBinding", "team", "devs");
	assert_non_null(e);
	assert_non_null(strstr(e->detail, "system:aggregate-to-edit"));
	kc_result_clear(&r);
	/* the built-in roles themselves are the platform's: not judged for wildcards */
	assert_int_equal(k8s_run(c, "rbac.wildcard_rules", "5.1.3", &r), KC_WARN);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* Bindings without a ServiceAccount subject: the evaluator sorts an empty set (qsort on
 * NULL is undefined behaviour, fatal under the sanitizer build). */
static void test_no_service_account_subjects(void **state)
{
	(void)state;
	struct kc_cluster *c = from("nosa.yaml", SA_APP
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: g, namespace: team}\n"
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"
		"subjects:\n- {kind: Group, name: readers}\n"
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team}\n"
		"spec: {serviceAccountName: app, containers: [{name: c, image: x}]}\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "rbac.token_automount", "5.1.6", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Pod", "team", "p"));
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* ---- pods ---- */

/* Ephemeral containers are added to a running Pod (pods/ephemeralcontainers), never to its
 * template: a Pod whose ReplicaSet is present is still judged for them, and only for them. */
static void test_ephemeral_container_of_owned_pod_is_judged(void **state)
{
	(void)state;
	struct kc_cluster *c = from("eph.yaml",
		"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web, namespace: shop}\n"
		"spec:\n  template:\n    spec:\n      containers: [{name: app, image: x, securityContext: {privileged: true}}]\n"
		"---\n"
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: shop\n"
		"  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web, controller: true}]\n"
		"spec:\n  containers: [{name: app, image: x, securityContext: {privileged: true}}]\n"
		"  ephemeralContainers: [{name: debugger, image: busybox, securityContext: {privileged: true}}]\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "ReplicaSet", "shop", "web"));
	const struct kc_evidence *e = k8s_row(&r, "Pod", "shop", "web-1");
	assert_non_null(e);
	assert_string_equal(e->key, "spec.ephemeralContainers[0].securityContext.privileged");
	assert_int_equal(k8s_nrows(&r), 2); /* the pod's template container is the ReplicaSet's row */
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* Seccomp counts only from securityContext: Kubernetes 1.27 made the alpha annotations
 * non-functional (kubernetes PR #114947), so an annotation-only pod runs Unconfined. */
static void test_seccomp_annotation_does_not_count(void **state)
{
	(void)state;
	struct kc_cluster *c = from("sc.yaml",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: old\n  namespace: shop\n"
		"  annotations: {seccomp.security.alpha.kubernetes.io/pod: runtime/default}\n"
		"spec: {containers: [{name: c, image: x}]}\n"
		"---\n"
		"apiVersion: v1\nkind: Pod\nmetadata: {name: new, namespace: shop}\n"
		"spec: {securityContext: {seccompProfile: {type: RuntimeDefault}}, containers: [{name: c, image: x}]}\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "pods.seccomp", "5.6.2", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "Pod", "shop", "old");
	assert_non_null(e);
	assert_non_null(strstr(e->value, "ignored since Kubernetes 1.27"));
	assert_null(k8s_row(&r, "Pod", "shop", "new"));
	int noted = 0;
	for (size_t i = 0; i < r.nevidence; i++)
		noted |= r.evidence[i].kind == KC_EV_NOTE && r.evidence[i].detail &&
			 strstr(r.evidence[i].detail, "1.27") != NULL;
	assert_true(noted);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* 5.6.4 counts every namespaced kind in default, except what the control plane keeps
 * there: the kubernetes Service, Endpoints and EndpointSlice, the default ServiceAccount and
 * the kube-root-ca.crt ConfigMap. */
static void test_default_namespace_counts_every_kind(void **state)
{
	(void)state;
	struct kc_cluster *c = from("def.yaml",
		"apiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, namespace: default}\n---\n"
		"apiVersion: v1\nkind: Endpoints\nmetadata: {name: kubernetes, namespace: default}\n---\n"
		"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: kubernetes, namespace: default}\n---\n"
		"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: default}\n---\n"
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-root-ca.crt, namespace: default}\n---\n"
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n---\n"
		"apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: default}\n---\n"
		"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n---\n"
		"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "namespaces.default_unused", "5.6.4", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "ConfigMap", "default", "settings"));
	assert_non_null(k8s_row(&r, "Secret", "default", "creds"));
	assert_non_null(k8s_row(&r, "Ingress", "default", "web"));
	assert_non_null(k8s_row(&r, "PersistentVolumeClaim", "default", "data"));
	assert_int_equal(k8s_nrows(&r), 4);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* 5.3.2 counts NetworkPolicy objects only: a CiliumNetworkPolicy or Calico policy does not
 * make a namespace pass, and says so in a note (docs/section5.md gives the stance). */
static void test_cni_policies_do_not_satisfy_5_3_2(void **state)
{
	(void)state;
	struct kc_cluster *c = from("cni.yaml",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: c, image: x}]}\n---\n"
		"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: deny, namespace: shop}\n"
		"spec: {endpointSelector: {}}\n---\n"
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: other}\n"
		"spec: {podSelector: {}}\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "netpol.namespaces", "5.3.2", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Namespace", NULL, "shop"));
	int noted = 0;
	for (size_t i = 0; i < r.nevidence; i++)
		noted |= r.evidence[i].kind == KC_EV_NOTE && r.evidence[i].detail &&
			 strstr(r.evidence[i].detail, "CiliumNetworkPolicy") != NULL;
	assert_true(noted);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rolebinding_grants_bind_on_clusterroles_in_its_namespace),
		cmocka_unit_test(test_resource_slash_star_is_not_a_wildcard),
		cmocka_unit_test(test_cluster_admin_binding_judged_by_subjects),
		cmocka_unit_test(test_binding_to_builtin_role_resolved_without_its_manifest),
		cmocka_unit_test(test_no_service_account_subjects),
		cmocka_unit_test(test_ephemeral_container_of_owned_pod_is_judged),
		cmocka_unit_test(test_seccomp_annotation_does_not_count),
		cmocka_unit_test(test_default_namespace_counts_every_kind),
		cmocka_unit_test(test_cni_policies_do_not_satisfy_5_3_2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
