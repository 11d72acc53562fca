/* Section 5 on tests/fixtures/k8s/cluster: a small cluster in which every check has passing and
 * failing objects. Proves each evaluator's verdict and evidence rows, the contract the
 * remediation helper relies on (5.3.2, 5.1.5, 5.2.1 rows), exceptions, the policy files, and
 * the engine driving the providers. */
#include "kc_test.h"

#include "k8s_test_util.h"

#include "store/run.h"
#include "checks/engine.h"
#include "checks/k8s/exceptions.h"
#include "checks/node.h"
#include "checks/policy.h"

#define FIXTURE "tests/fixtures/k8s/cluster"

static int setup(void **state)
{
	struct kc_cluster *c = kc_cluster_new();
	if (kc_cluster_load_manifests(c, FIXTURE) < 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	kc_cluster_free(*state);
	return 0;
}

static void test_loads_without_warnings(void **state)
{
	struct kc_cluster *c = *state;
	for (size_t i = 0; i < kc_cluster_warning_count(c); i++)
		fprintf(stderr, "warning: %s\n", kc_cluster_warning(c, i));
	assert_int_equal(kc_cluster_warning_count(c), 0);
	assert_int_equal(kc_cluster_object_count(c), 34);
}

static void test_cluster_admin(void **state)
{
	struct kc_result r;
	assert_int_equal(k8s_run(*state, "rbac.cluster_admin_bindings", "5.1.1", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "ClusterRoleBinding", NULL, "ci-admin");
	assert_non_null(e);
	assert_string_equal(e->value, "ServiceAccount team-b/ci-deployer");
	assert_string_equal(e->key, "subjects[0]");
	assert_string_equal(e->source, FIXTURE "/rbac.yaml");
	assert_int_equal(e->line, 27);
	/* the platform's own binding to system:masters is the one allowed */
	assert_null(k8s_row(&r, "ClusterRoleBinding", NULL, "cluster-admin"));
	assert_int_equal(k8s_nrows(&r), 1);
	kc_result_clear(&r);
}

static void test_secrets_through_aggregation(void **state)
{
	struct kc_result r;
	assert_int_equal(k8s_run(*state, "rbac.secrets_access", "5.1.2", &r), KC_FAIL);
	/* secret-aggregator has no rules of its own: they come from secret-reader-part */
	const struct kc_evidence *e = k8s_row(&r, "RoleBinding", "team-a", "read-secrets");
	assert_non_null(e);
	assert_string_equal(e->value, "Group system:authenticated");
	assert_non_null(strstr(e->detail, "every authenticated user"));
	assert_non_null(strstr(e->detail, "secret-reader-part"));
	assert_non_null(k8s_row(&r, "ClusterRoleBinding", NULL, "ci-admin"));
	assert_int_equal(k8s_nrows(&r), 2);
	kc_result_clear(&r);
}

static void test_wildcards_and_pod_create(void **state)
{
	struct kc_result r;
	assert_int_equal(k8s_run(*state, "rbac.wildcard_rules", "5.1.3", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "Role", "team-b", "deployer");
	assert_non_null(e);
	assert_string_equal(e->key, "rules[1].verbs");
	assert_null(k8s_row(&r, "ClusterRole", NULL, "cluster-admin")); /* rbac-defaults not judged */
	assert_int_equal(k8s_nrows(&r), 1);
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "rbac.pod_create", "5.1.4", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "RoleBinding", "team-b", "deployer"));
	assert_int_equal(k8s_nrows(&r), 3);
	kc_result_clear(&r);
}

static void test_include_defaults(void **state)
{
	struct kc_cluster *c = *state;
	struct kc_result r;
	kc_cluster_set_include_defaults(c, 1);
	assert_int_equal(k8s_run(c, "rbac.wildcard_rules", "5.1.3", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "ClusterRole", NULL, "cluster-admin"));
	kc_result_clear(&r);
	kc_cluster_set_include_defaults(c, 0);
}

/* Contract: 5.1.5 lists default ServiceAccounts with automount on, obj_kind ServiceAccount. */
static void test_default_service_accounts(void **state)
{
	struct kc_result r;
	assert_int_equal(k8s_run(*state, "rbac.default_service_accounts", "5.1.5", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "ServiceAccount", "team-b", "default");
	assert_non_null(e);
	assert_string_equal(e->key, "automountServiceAccountToken");
	assert_null(k8s_row(&r, "ServiceAccount", "team-a", "default"));
	assert_non_null(k8s_row(&r, "RoleBinding", "team-b", "deployer"));
	assert_non_null(k8s_row(&r, "Deployment", "team-b", "legacy"));
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "rbac.token_automount", "5.1.6", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Job", "team-a", "migrate"));       /* app-a has no binding */
	assert_null(k8s_row(&r, "Deployment", "team-a", "web"));        /* automount: false */
	assert_null(k8s_row(&r, "Deployment", "team-b", "legacy"));     /* default in team-b holds a role */
	kc_result_clear(&r);
}

static void test_masters_and_escalation(void **state)
{
	struct kc_result r;
	assert_int_equal(k8s_run(*state, "rbac.system_masters", "5.1.7", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "ClusterRoleBinding", NULL, "masters-extra"));
	assert_int_equal(k8s_nrows(&r), 1);
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "rbac.bind_escalate_impersonate", "5.1.8", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "ClusterRoleBinding", NULL, "impersonator");
	assert_non_null(e);
	assert_string_equal(e->value, "User alice");
	kc_result_clear(&r);

	/* cluster-scoped permissions: a RoleBinding cannot grant them, only ci-admin does */
	static const char *const cluster_scoped[] = { "rbac.pv_create", "rbac.node_proxy", "rbac.csr_approval",
						      "rbac.webhook_config" };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(k8s_run(*state, cluster_scoped[i], NULL, &r), KC_FAIL);
		assert_int_equal(k8s_nrows(&r), 1);
		assert_non_null(k8s_row(&r, "ClusterRoleBinding", NULL, "ci-admin"));
		kc_result_clear(&r);
	}
}

/* Contract: 5.2.1 rows are Namespaces without PSA enforcement. */
static void test_psa_labels(void **state)
{
	struct kc_result r;
	assert_int_equal(k8s_run(*state, "pods.psa_labels", "5.2.1", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "Namespace", NULL, "team-b");
	assert_non_null(e);
	assert_string_equal(e->value, "<unset>");
	assert_non_null(k8s_row(&r, "Namespace", NULL, "default"));
	assert_null(k8s_row(&r, "Namespace", NULL, "team-a"));      /* restricted */
	assert_null(k8s_row(&r, "Namespace", NULL, "kube-system")); /* exempt */
	kc_result_clear(&r);
}

static void test_pod_security(void **state)
{
	struct kc_result r;
	assert_int_equal(k8s_run(*state, "pods.privileged", "5.2.2", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "Deployment", "team-b", "legacy");
	assert_non_null(e);
	assert_string_equal(e->key, "spec.template.spec.containers[0].securityContext.privileged");
	assert_string_equal(e->value, "true");
	assert_int_equal(e->line, 37);
	/* the ReplicaSet and Pod of that Deployment are reported through it, once */
	assert_null(k8s_row(&r, "ReplicaSet", "team-b", "legacy-5d8f"));
	assert_null(k8s_row(&r, "Pod", "team-b", "legacy-5d8f-x2k9q"));
	assert_non_null(k8s_row(&r, "DaemonSet", "kube-system", "calico-node"));
	assert_int_equal(k8s_nrows(&r), 2);
	assert_string_equal(r.actual, "2 containers in 2 workloads run privileged");
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "pods.host_ipc", "5.2.4", &r), KC_FAIL);
	e = k8s_row(&r, "CronJob", "team-b", "report");
	assert_non_null(e);
	assert_string_equal(e->key, "spec.jobTemplate.spec.template.spec.hostIPC");
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "pods.run_as_root", "5.2.7", &r), KC_FAIL);
	e = k8s_row(&r, "CronJob", "team-b", "report");
	assert_non_null(e);
	assert_string_equal(e->key, "spec.jobTemplate.spec.template.spec.securityContext.runAsUser");
	assert_string_equal(e->value, "0");
	assert_null(k8s_row(&r, "Deployment", "team-a", "web"));
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "pods.added_capabilities", "5.2.9", &r), KC_FAIL);
	e = k8s_row(&r, "Deployment", "team-b", "legacy");
	assert_string_equal(e->value, "NET_ADMIN");
	assert_null(k8s_row(&r, "Deployment", "team-a", "web")); /* drop ALL, add NET_BIND_SERVICE */
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "pods.host_path", "5.2.11", &r), KC_FAIL);
	assert_string_equal(k8s_row(&r, "Deployment", "team-b", "legacy")->value, "/var/run/docker.sock");
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "pods.host_ports", "5.2.12", &r), KC_FAIL);
	assert_string_equal(k8s_row(&r, "Deployment", "team-b", "legacy")->key,
			    "spec.template.spec.containers[0].ports[0].hostPort");
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "pods.host_process", "5.2.10", &r), KC_PASS);
	assert_int_equal(k8s_nrows(&r), 0);
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "pods.privilege_escalation", "5.2.6", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Job", "team-a", "migrate"));
	assert_int_equal(k8s_nrows(&r), 1);
	kc_result_clear(&r);
}

/* Contract: 5.3.2 has one Namespace row per namespace without a NetworkPolicy. */
static void test_network_policies(void **state)
{
	struct kc_cluster *c = *state;
	struct kc_result r;
	assert_int_equal(k8s_run(c, "netpol.namespaces", "5.3.2", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "Namespace", NULL, "default");
	assert_non_null(e);
	assert_null(e->obj_namespace);
	assert_null(k8s_row(&r, "Namespace", NULL, "team-a"));
	assert_null(k8s_row(&r, "Namespace", NULL, "team-b"));      /* has a policy ... */
	e = k8s_row(&r, "Deployment", "team-b", "legacy");          /* ... that does not select legacy */
	assert_non_null(e);
	assert_string_equal(e->key, "spec.template.metadata.labels");
	assert_string_equal(e->value, "app=legacy");
	assert_null(k8s_row(&r, "Namespace", NULL, "kube-system")); /* exempt by default */
	kc_result_clear(&r);

	kc_cluster_set_exempt_namespaces(c, "kube-system, default");
	assert_int_equal(k8s_run(c, "netpol.namespaces", "5.3.2", &r), KC_FAIL);
	assert_null(k8s_row(&r, "Namespace", NULL, "default"));
	kc_result_clear(&r);
	kc_cluster_set_exempt_namespaces(c, "kube-system,kube-public,kube-node-lease");

	assert_int_equal(k8s_run(c, "netpol.cni_enforces", "5.3.1", &r), KC_PASS);
	kc_result_clear(&r);
}

static void test_secrets_and_general(void **state)
{
	struct kc_result r;
	assert_int_equal(k8s_run(*state, "secrets.env_vars", "5.4.1", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "Deployment", "team-b", "legacy");
	assert_string_equal(e->key, "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef");
	assert_string_equal(e->value, "secret db key password");
	e = k8s_row(&r, "CronJob", "team-b", "report");
	assert_string_equal(e->key, "spec.jobTemplate.spec.template.spec.containers[0].envFrom[0].secretRef");
	assert_null(k8s_row(&r, "Deployment", "team-a", "web")); /* a secret volume is fine */
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "secrets.external_store", "5.4.2", &r), KC_WARN);
	kc_result_clear(&r);
	assert_int_equal(k8s_run(*state, "admission.image_provenance", "5.5.1", &r), KC_WARN);
	kc_result_clear(&r);
	assert_int_equal(k8s_run(*state, "namespaces.in_use", "5.6.1", &r), KC_PASS);
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "pods.seccomp", "5.6.2", &r), KC_FAIL);
	assert_null(k8s_row(&r, "Deployment", "team-a", "web"));
	assert_non_null(k8s_row(&r, "Pod", "default", "debug"));
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "pods.security_context", "5.6.3", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Pod", "default", "debug"));
	assert_int_equal(k8s_nrows(&r), 1);
	kc_result_clear(&r);

	assert_int_equal(k8s_run(*state, "namespaces.default_unused", "5.6.4", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Service", "default", "debug-svc"));
	assert_null(k8s_row(&r, "Service", "default", "kubernetes"));
	assert_null(k8s_row(&r, "ServiceAccount", "default", "default"));
	assert_int_equal(k8s_nrows(&r), 2);
	kc_result_clear(&r);
}

static void test_unknown_query(void **state)
{
	struct kc_result r = { 0 };
	enum kc_status st;
	assert_true(kc_section5_query(*state, "rbac.nope", NULL, &r, &st) < 0);
	assert_non_null(strstr(kc_error_last(), "rbac.nope"));
	kc_result_clear(&r);
}

static const char exceptions_yaml[] =
	"exceptions:\n"
	"  - check: \"5.2.2\"\n"
	"    object: kube-system/calico-*\n"
	"    kind: DaemonSet\n"
	"    reason: the CNI agent needs privileged mode\n"
	"    expires: 2099-12-31\n"
	"  - check: \"5.2.*\"\n"
	"    object: team-b/legacy\n"
	"    reason: being rewritten\n"
	"    expires: 2020-01-31\n"
	"  - check: \"5.3.2\"\n"
	"    object: default\n"
	"    reason: nothing runs there\n"
	"    expires: 2099-01-01\n";

static void test_exceptions(void **state)
{
	struct kc_cluster *c = *state;
	struct kc_exceptions *ex;
	assert_int_equal(kc_exceptions_load_buffer("exc.yaml", exceptions_yaml, strlen(exceptions_yaml), &ex), 0);
	assert_int_equal(ex->n, 3);
	kc_cluster_set_exceptions(c, ex);

	/* calico excepted, legacy's exception expired: still FAIL, both rows kept */
	struct kc_result r;
	assert_int_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_FAIL);
	const struct kc_evidence *e = k8s_row(&r, "DaemonSet", "kube-system", "calico-node");
	assert_string_equal(e->layer, "exception");
	assert_non_null(strstr(e->detail, "the CNI agent needs privileged mode"));
	e = k8s_row(&r, "Deployment", "team-b", "legacy");
	assert_non_null(strstr(e->detail, "exception expired"));
	assert_null(r.exception);
	kc_result_clear(&r);

	/* hostNetwork: calico (exception for 5.2.2 only) and legacy (expired) */
	assert_int_equal(k8s_run(c, "pods.host_network", "5.2.5", &r), KC_FAIL);
	kc_result_clear(&r);

	/* every failing Namespace row of 5.3.2 excepted would pass; here workloads remain */
	assert_int_equal(k8s_run(c, "netpol.namespaces", "5.3.2", &r), KC_FAIL);
	assert_string_equal(k8s_row(&r, "Namespace", NULL, "default")->layer, "exception");
	kc_result_clear(&r);

	/* all failing objects excepted: PASS with the exception recorded, objects kept */
	static const char all[] = "exceptions:\n"
				  "  - {check: \"5.2.5\", object: \"*/*\", reason: accepted risk, expires: 2099-01-01}\n";
	struct kc_exceptions *ex2;
	assert_int_equal(kc_exceptions_load_buffer("all.yaml", all, strlen(all), &ex2), 0);
	kc_cluster_set_exceptions(c, ex2);
	assert_int_equal(k8s_run(c, "pods.host_network", "5.2.5", &r), KC_PASS);
	assert_non_null(r.exception);
	assert_non_null(strstr(r.exception, "accepted risk"));
	assert_int_equal(k8s_nrows(&r), 2);
	kc_result_clear(&r);

	kc_cluster_set_exceptions(c, NULL);
	kc_exceptions_free(ex);
	kc_exceptions_free(ex2);
}

static void test_exceptions_errors(void **state)
{
	(void)state;
	struct kc_exceptions *ex;
	static const char unknown[] = "exceptions:\n  - check: 5.1.1\n    objcet: x\n";
	assert_int_equal(kc_exceptions_load_buffer("e.yaml", unknown, strlen(unknown), &ex), KC_EINVAL);
	assert_null(ex);
	assert_non_null(strstr(kc_error_last(), "e.yaml:3:5: unknown key 'objcet'"));
	static const char date[] = "exceptions:\n  - {check: 5.1.1, object: x, reason: y, expires: next week}\n";
	assert_int_equal(kc_exceptions_load_buffer("e.yaml", date, strlen(date), &ex), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "expires must be a date"));
	static const char noreason[] = "exceptions:\n  - {check: 5.1.1, object: x, expires: 2030-01-01}\n";
	assert_int_equal(kc_exceptions_load_buffer("e.yaml", noreason, strlen(noreason), &ex), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "without 'reason'"));
}

static const char *const policy_files[] = {
	"policies/cis-1.12/5-1-rbac.yaml", "policies/cis-1.12/5-2-pod-security.yaml",
	"policies/cis-1.12/5-3-network-policies.yaml", "policies/cis-1.12/5-4-secrets.yaml",
	"policies/cis-1.12/5-5-admission.yaml", "policies/cis-1.12/5-6-general.yaml",
};

static void load_policies(struct kc_policy_set *set)
{
	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < sizeof(policy_files) / sizeof(*policy_files); i++) {
		int rc = kc_policy_load_file(set, policy_files[i]);
		if (rc < 0)
			fprintf(stderr, "%s\n", kc_error_last());
		assert_int_equal(rc, 0);
	}
}

/* Every section-5 id of the catalogue is a check whose query exists, and every query is used
 * by v1.12 (pods.capabilities_add serves only the older benchmarks' 5.2.9: test_section5_versions). */
static void test_policy_files(void **state)
{
	(void)state;
	struct kc_policy_set set;
	load_policies(&set);
	assert_int_equal(set.nchecks, 34);
	const char *const *names = kc_section5_query_names();
	size_t nnames = 0;
	for (; names[nnames]; nnames++) {
		int used = strcmp(names[nnames], "pods.capabilities_add") == 0;
		for (size_t i = 0; i < set.nchecks; i++)
			used |= strcmp(set.checks[i].tests[0].query, names[nnames]) == 0;
		if (!used)
			fprintf(stderr, "query %s unused\n", names[nnames]);
		assert_true(used);
	}
	assert_int_equal(nnames, set.nchecks + 1);
	static const char *const ids[] = { "5.1.1", "5.1.13", "5.2.1", "5.2.12", "5.3.1", "5.3.2", "5.4.1", "5.4.2",
					   "5.5.1", "5.6.1", "5.6.4" };
	for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
		const struct kc_check *ch = kc_policy_find(&set, ids[i]);
		assert_non_null(ch);
		assert_string_equal(ch->target, "policies");
		assert_int_equal(ch->tests[0].fact, KC_FACT_QUERY);
		assert_non_null(ch->remediation);
	}
	kc_policy_set_clear(&set);
}

/* The engine drives the providers; results carry the v1.12 ids and the evidence. */
static void test_engine(void **state)
{
	struct kc_cluster *c = *state;
	struct kc_policy_set set;
	load_policies(&set);
	char *dir = kc_test_mkdtemp();
	struct kc_node node;
	memset(&node, 0, sizeof(node));
	assert_int_equal(kc_node_open(&node, dir, NULL), 0);
	struct kc_query_provider qp[KC_SECTION5_PROVIDERS];
	struct kc_engine_opts opts = { .targets = "policies" };
	opts.providers = qp;
	opts.nproviders = kc_cluster_providers(c, qp, KC_SECTION5_PROVIDERS);
	assert_int_equal(opts.nproviders, KC_SECTION5_PROVIDERS);
	struct kc_run run;
	memset(&run, 0, sizeof(run));
	assert_int_equal(kc_engine_run(&set, &node, &opts, &run), 0);
	assert_int_equal(run.nresults, 34);
	size_t counts[KC_STATUS_COUNT];
	kc_run_count(&run, counts);
	assert_int_equal(counts[KC_ERROR], 0);
	assert_int_equal(counts[KC_SKIP], 0);
	for (size_t i = 0; i < run.nresults; i++)
		if (strcmp(run.results[i].id, "5.3.2") == 0) {
			assert_int_equal(run.results[i].status, KC_FAIL);
			assert_non_null(k8s_row(&run.results[i], "Namespace", NULL, "default"));
		}
	kc_run_clear(&run);
	kc_node_clear(&node);
	kc_test_rmtree(dir);
	free(dir);
	kc_policy_set_clear(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_without_warnings),
		cmocka_unit_test(test_cluster_admin),
		cmocka_unit_test(test_secrets_through_aggregation),
		cmocka_unit_test(test_wildcards_and_pod_create),
		cmocka_unit_test(test_include_defaults),
		cmocka_unit_test(test_default_service_accounts),
		cmocka_unit_test(test_masters_and_escalation),
		cmocka_unit_test(test_psa_labels),
		cmocka_unit_test(test_pod_security),
		cmocka_unit_test(test_network_policies),
		cmocka_unit_test(test_secrets_and_general),
		cmocka_unit_test(test_unknown_query),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_exceptions_errors),
		cmocka_unit_test(test_policy_files),
		cmocka_unit_test(test_engine),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
