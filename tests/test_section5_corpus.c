/* Section 5 on real manifests written by others (../shared/corpus, see its SOURCES.md), read in
 * place: the findings that follow from their content. Skips cleanly without the corpus. */
#include "kc_test.h"

#include "k8s_test_util.h"

#include "common/strbuf.h"

static struct kc_cluster *load(const char *rel)
{
	KC_REQUIRE_CORPUS();
	struct kc_buf p = KC_BUF_INIT;
	kc_buf_printf(&p, "%s/%s", kc_test_corpus(), rel);
	struct kc_cluster *c = kc_cluster_new();
	int rc = kc_cluster_load_manifests(c, p.ptr);
	if (rc < 0)
		fprintf(stderr, "%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	kc_buf_clear(&p);
	return c;
}

/* kubernetes-goat's insecure RBAC scenario binds a service account to cluster-admin. */
static void test_goat_cluster_admin(void **state)
{
	(void)state;
	struct kc_cluster *c = load("manifests/kubernetes-goat");
	assert_int_equal(kc_cluster_warning_count(c), 0);
	struct kc_result r;
	assert_int_equal(k8s_run(c, "rbac.cluster_admin_bindings", "5.1.1", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "ClusterRoleBinding", NULL, "superadmin");
	assert_non_null(e);
	assert_string_equal(e->value, "ServiceAccount kube-system/superadmin");
	assert_non_null(strstr(e->source, "insecure-rbac--setup.yaml"));
	assert_int_equal(e->line, 7);
	assert_int_equal(k8s_nrows(&r), 1);
	kc_result_clear(&r);

	/* its Role secret-reader grants get/list/watch on every core resource */
	assert_int_equal(k8s_run(c, "rbac.secrets_access", "5.1.2", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "RoleBinding", "big-monolith", "secret-reader-binding"));
	kc_result_clear(&r);

	assert_int_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Deployment", "default", "health-check-deployment"));
	assert_non_null(k8s_row(&r, "Deployment", "default", "system-monitor-deployment"));
	assert_non_null(k8s_row(&r, "DaemonSet", "default", "docker-bench-security"));
	kc_result_clear(&r);

	assert_int_equal(k8s_run(c, "pods.host_path", "5.2.11", &r), KC_FAIL);
	e = k8s_row(&r, "Deployment", "default", "system-monitor-deployment");
	assert_string_equal(e->value, "/");
	kc_result_clear(&r);

	assert_int_equal(k8s_run(c, "pods.host_pid", "5.2.3", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Job", "default", "kube-bench-node"));
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* The microservices demo has no NetworkPolicy: 5.3.2 fails for its namespace. Its release
 * file repeats the per-service files: each object is judged once. */
static void test_microservices_netpol(void **state)
{
	(void)state;
	struct kc_cluster *c = load("manifests/microservices-demo");
	assert_int_equal(kc_cluster_warning_count(c), 0);
	struct kc_result r;
	assert_int_equal(k8s_run(c, "netpol.namespaces", "5.3.2", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "Namespace", NULL, "default");
	assert_non_null(e);
	assert_string_equal(e->value, "0");
	assert_int_equal(k8s_nrows(&r), 1);
	kc_result_clear(&r);

	assert_int_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_PASS);
	assert_string_equal(r.actual, "no container of 12 workloads runs privileged");
	kc_result_clear(&r);
	assert_int_equal(k8s_run(c, "pods.run_as_root", "5.2.7", &r), KC_PASS);
	kc_result_clear(&r);
	assert_int_equal(k8s_run(c, "namespaces.in_use", "5.6.1", &r), KC_FAIL);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

struct expect {
	const char *file;       /* under cluster/kubeaudit-fixtures/ */
	const char *query;
	enum kc_status status;
	const char *kind, *ns, *name; /* a row that must be there (FAIL) */
};

/* Each kubeaudit fixture is secure or insecure in one named way. */
static const struct expect kubeaudit[] = {
	{ "privileged--privileged-true.yml", "pods.privileged", KC_FAIL, "DaemonSet", "privileged-true", "daemonset" },
	{ "privileged--privileged-nil.yml", "pods.privileged", KC_PASS, NULL, NULL, NULL },
	{ "hostns--host-pid-true.yml", "pods.host_pid", KC_FAIL, "Pod", "host-pid-true", "pod" },
	{ "hostns--host-ipc-true.yml", "pods.host_ipc", KC_FAIL, NULL, NULL, NULL },
	{ "hostns--host-network-true.yml", "pods.host_network", KC_FAIL, NULL, NULL, NULL },
	{ "hostns--namespaces-all-true.yml", "pods.host_ipc", KC_FAIL, NULL, NULL, NULL },
	{ "hostns--host-pid-true.yml", "pods.host_network", KC_PASS, NULL, NULL, NULL },
	{ "capabilities--capabilities-added.yml", "pods.added_capabilities", KC_FAIL, "Deployment", "capabilities-added", "deployment" },
	{ "capabilities--capabilities-some-dropped.yml", "pods.added_capabilities", KC_FAIL, NULL, NULL, NULL },
	{ "capabilities--capabilities-dropped-all.yml", "pods.added_capabilities", KC_PASS, NULL, NULL, NULL },
	{ "capabilities--capabilities-dropped-all.yml", "pods.net_raw", KC_PASS, NULL, NULL, NULL },
	{ "capabilities--capabilities-nil.yml", "pods.net_raw", KC_FAIL, NULL, NULL, NULL },
	{ "privesc--allow-privilege-escalation-true.yml", "pods.privilege_escalation", KC_FAIL, NULL, NULL, NULL },
	{ "privesc--allow-privilege-escalation-nil.yml", "pods.privilege_escalation", KC_PASS, NULL, NULL, NULL },
	{ "nonroot--run-as-user-0.yml", "pods.run_as_root", KC_FAIL, NULL, NULL, NULL },
	{ "nonroot--run-as-non-root-psc-true.yml", "pods.run_as_root", KC_PASS, NULL, NULL, NULL },
	{ "nonroot--run-as-user-psc-1.yml", "pods.run_as_root", KC_PASS, NULL, NULL, NULL },
	{ "nonroot--run-as-non-root-psc-false.yml", "pods.run_as_root", KC_FAIL, NULL, NULL, NULL },
	{ "seccomp--seccomp-enabled.yml", "pods.seccomp", KC_PASS, NULL, NULL, NULL },
	{ "seccomp--seccomp-enabled-pod.yml", "pods.seccomp", KC_PASS, NULL, NULL, NULL },
	{ "seccomp--seccomp-disabled.yml", "pods.seccomp", KC_FAIL, "Pod", "seccomp-disabled", "pod" },
	{ "mounts--docker-sock-mounted.yml", "pods.host_path", KC_FAIL, "Pod", "docker-sock-mounted", "pod" },
	{ "asat--service-account-token-true-and-no-name.yml", "rbac.default_service_accounts", KC_FAIL,
	  "ReplicationController", "service-account-token-true-and-no-name", "replicationcontroller" },
	{ "test--cronjob.yml", "pods.host_pid", KC_FAIL, "CronJob", "cronjob", "cronjob" },
	{ "test--cronjob.yml", "netpol.namespaces", KC_FAIL, "Namespace", NULL, "cronjob" },
	{ "netpols--namespace-has-default-deny-netpol.yml", "netpol.namespaces", KC_PASS, NULL, NULL, NULL },
};

static void test_kubeaudit_fixtures(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	for (size_t i = 0; i < sizeof(kubeaudit) / sizeof(*kubeaudit); i++) {
		const struct expect *x = &kubeaudit[i];
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "cluster/kubeaudit-fixtures/%s", x->file);
		struct kc_cluster *c = load(p.ptr);
		struct kc_result r;
		enum kc_status st = k8s_run(c, x->query, NULL, &r);
		if (st != x->status || (x->kind && !k8s_row(&r, x->kind, x->ns, x->name))) {
			fprintf(stderr, "%s %s:\n", x->file, x->query);
			k8s_dump(&r);
		}
		assert_int_equal(st, x->status);
		if (x->kind)
			assert_non_null(k8s_row(&r, x->kind, x->ns, x->name));
		if (x->status == KC_PASS)
			assert_int_equal(k8s_nrows(&r), 0);
		kc_result_clear(&r);
		kc_cluster_free(c);
		kc_buf_clear(&p);
	}
}

/* The asat fixture with automount false uses the default account without its token. */
static void test_kubeaudit_automount_false(void **state)
{
	(void)state;
	struct kc_cluster *c = load("cluster/kubeaudit-fixtures/asat--service-account-token-false.yml");
	struct kc_result r;
	k8s_run(c, "rbac.default_service_accounts", "5.1.5", &r);
	assert_null(k8s_row(&r, "ReplicationController", "service-account-token-false", "replicationcontroller"));
	/* the namespace's implicit default ServiceAccount still automounts */
	assert_non_null(k8s_row(&r, "ServiceAccount", "service-account-token-false", "default"));
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* The real bootstrap policy: admin/edit/view have `rules: null` and an aggregationRule, so a
 * binding to edit grants secrets only once aggregation is resolved. */
static void test_bootstrap_aggregation(void **state)
{
	(void)state;
	struct kc_cluster *c = load("rbac/kubernetes-bootstrappolicy/cluster-roles.yaml");
	static const char binding[] =
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
		"metadata: {name: devs-edit, namespace: shop}\n"
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\n"
		"subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: developers}]\n";
	kc_cluster_load_buffer(c, "binding.yaml", binding, strlen(binding));
	struct kc_result r;
	assert_int_equal(k8s_run(c, "rbac.secrets_access", "5.1.2", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "RoleBinding", "shop", "devs-edit");
	assert_non_null(e);
	assert_string_equal(e->value, "Group developers");
	assert_non_null(strstr(e->detail, "system:aggregate-to-edit"));
	kc_result_clear(&r);
	assert_int_equal(k8s_run(c, "rbac.pod_create", "5.1.4", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "RoleBinding", "shop", "devs-edit"));
	kc_result_clear(&r);
	/* the bootstrap roles themselves are not judged for wildcards by default */
	assert_int_equal(k8s_run(c, "rbac.wildcard_rules", "5.1.3", &r), KC_PASS);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* rbac-tool's who-can scenarios, with their "# Expect:" subjects. */
static void test_rbac_tool_whocan(void **state)
{
	(void)state;
	struct kc_cluster *c = load("rbac/rbac-tool/whocan");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "rbac.secrets_access", "5.1.2", &r), KC_FAIL);
	/* secret-reader.yaml: a ServiceAccount and a User; specific-resource-reader.yaml is limited
	 * by resourceNames and not counted */
	size_t sa = 0, user = 0, specific = 0;
	for (size_t i = 0; i < r.nevidence; i++) {
		const struct kc_evidence *e = &r.evidence[i];
		if (e->kind != KC_EV_OBJECT)
			continue;
		sa += strcmp(e->value, "ServiceAccount test/test-secret-reader-sa") == 0;
		user += strcmp(e->value, "User test-secret-reader") == 0;
		specific += strstr(e->value, "specific") != NULL;
	}
	assert_int_equal(sa, 1);
	assert_int_equal(user, 1);
	assert_int_equal(specific, 0);
	kc_result_clear(&r);

	/* clusterrole-aggregate.yaml: create pods only through the aggregated role */
	assert_int_equal(k8s_run(c, "rbac.pod_create", "5.1.4", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "ClusterRoleBinding", NULL, "aggregate-pod-creator");
	assert_non_null(e);
	assert_non_null(k8s_row(&r, "RoleBinding", "test", "pod-creator"));
	kc_result_clear(&r);

	assert_int_equal(k8s_run(c, "rbac.bind_escalate_impersonate", "5.1.8", &r), KC_FAIL);
	e = k8s_row(&r, "RoleBinding", "test", "impersonator");
	assert_non_null(e);
	assert_string_equal(e->value, "User test-impersonator-user");
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* kubescape's role-in-default-namespace fixture (a TAB before a comment, which libyaml accepts)
 * puts a Role in namespace default by naming none. */
static void test_role_in_default_namespace(void **state)
{
	(void)state;
	struct kc_cluster *c = load("cluster/kubescape-regolibrary/rules/role-in-default-namespace/test/role/input/role.yaml");
	assert_int_equal(kc_cluster_warning_count(c), 0);
	struct kc_result r;
	assert_int_equal(k8s_run(c, "namespaces.default_unused", "5.6.4", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Role", "default", "allow-port-forward"));
	kc_result_clear(&r);
	assert_int_equal(k8s_run(c, "rbac.wildcard_rules", "5.1.3", &r), KC_FAIL);
	assert_string_equal(k8s_row(&r, "Role", "default", "allow-port-forward")->key, "rules[0].apiGroups");
	kc_result_clear(&r);
	kc_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goat_cluster_admin),
		cmocka_unit_test(test_microservices_netpol),
		cmocka_unit_test(test_kubeaudit_fixtures),
		cmocka_unit_test(test_kubeaudit_automount_false),
		cmocka_unit_test(test_bootstrap_aggregation),
		cmocka_unit_test(test_rbac_tool_whocan),
		cmocka_unit_test(test_role_in_default_namespace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
