/* PolicyReport / ClusterPolicyReport stream: parsed back with the project's YAML reader and
 * checked field by field (apiVersion, kind, metadata, scope, summary counts, results[] with
 * policy, rule, result, severity, category, resources, timestamp, source, properties), the
 * grouping of section-5 objects by namespace, excepted objects as skip, and that outside text
 * (invalid UTF-8, numbers-looking ids) stays a string. */
#include "kc_test.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/yaml.h"
#include "reports/policyreport.h"

static struct kc_result *res(struct kc_run *run, const char *id, const char *section, const char *stitle,
			     const char *target, enum kc_status st, enum kc_severity sev)
{
	struct kc_result *r = kc_run_add_result(run);
	r->id = kc_strdup(id);
	r->title = kc_strdup("title of ");
	r->section = kc_strdup(section);
	r->section_title = kc_strdup(stitle);
	r->target = kc_strdup(target);
	r->type = kc_strdup("automated");
	r->level = 1;
	r->scored = strcmp(target, "policies") != 0;
	r->severity = sev;
	r->status = st;
	kc_result_set_expected(r, "%s", "expected text");
	kc_result_set_actual(r, "%s", "actual text");
	if (st == KC_WARN || st == KC_SKIP || st == KC_ERROR)
		kc_result_set_reason(r, "reason for %s", id);
	return r;
}

static struct kc_evidence *obj(struct kc_result *r, const char *kind, const char *ns, const char *name,
			       const char *key, const char *detail)
{
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_OBJECT);
	ev->obj_kind = kc_strdup(kind);
	ev->obj_namespace = kc_strdup(ns);
	ev->obj_name = kc_strdup(name);
	ev->source = kc_strdup("deploy/app.yaml");
	ev->line = 12;
	ev->key = kc_strdup(key);
	ev->value = kc_strdup("true");
	ev->detail = kc_strdup(detail);
	return ev;
}

/* Node checks of every status, and section-5 results: objects in three namespaces, one of
 * them excepted, a cluster-scoped binding, a Namespace row, and one result without objects. */
static void make_run(struct kc_run *run)
{
	memset(run, 0, sizeof(*run));
	run->id = 7;
	run->host = kc_strdup("CP-Node_1");
	run->cluster = kc_strdup("prod");
	run->benchmark = kc_strdup("cis-1.12");
	run->tool_version = kc_strdup("0.1.0");
	run->started = kc_strdup("2026-11-28T05:45:39.123Z");
	run->finished = kc_strdup("2026-11-28T05:45:41.456Z");
	struct kc_result *r;
	r = res(run, "1.1.1", "1.1", "Control Plane Node Configuration Files", "master", KC_PASS, KC_SEV_MEDIUM);
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_FILE);
	ev->source = kc_strdup("/etc/kubernetes/manifests/kube-apiserver.yaml");
	ev->has_stat = 1;
	ev->mode = 0100600;
	ev->owner = kc_strdup("root");
	ev->group = kc_strdup("root");
	r = res(run, "1.2.15", "1.2", "API Server", "master", KC_FAIL, KC_SEV_MEDIUM);
	ev = kc_result_add_evidence(r, KC_EV_CONFIG);
	ev->source = kc_strdup("/etc/kubernetes/manifests/kube-apiserver.yaml");
	ev->key = kc_strdup("--profiling");
	ev->value = kc_strdup("bad \xff\xfe utf-8");
	res(run, "1.2.30", "1.2", "API Server", "master", KC_WARN, KC_SEV_HIGH);
	res(run, "1.3", "1", "Numbers-looking id", "controlplane", KC_ERROR, KC_SEV_LOW);
	res(run, "4.2.1", "4.2", "Kubelet", "node", KC_SKIP, KC_SEV_CRITICAL);

	r = res(run, "5.2.2", "5.2", "Pod Security Standards", "policies", KC_FAIL, KC_SEV_CRITICAL);
	obj(r, "DaemonSet", "team-a", "agent", "spec.template.spec.containers[0].securityContext.privileged",
	    "container 'a' runs privileged");
	obj(r, "DaemonSet", "team-a", "agent", "spec.template.spec.containers[1].securityContext.privileged",
	    "container 'b' runs privileged");
	obj(r, "Pod", "team-b", "web", "spec.containers[0].securityContext.privileged", "container 'web' runs privileged");
	ev = obj(r, "DaemonSet", "kube-system", "cilium", "spec.template.spec.containers[0].securityContext.privileged",
		 "container 'cilium' runs privileged; excepted: the CNI needs it (until 2027-01-31, ex.yaml:3)");
	ev->layer = kc_strdup("exception");
	kc_result_note(r, "%s", "1 of 4 failing objects excepted");

	r = res(run, "5.1.1", "5.1", "RBAC and Service Accounts", "policies", KC_FAIL, KC_SEV_HIGH);
	obj(r, "ClusterRoleBinding", NULL, "ops-admin", "roleRef", "grants cluster-admin");
	r = res(run, "5.3.2", "5.3", "Network Policies and CNI", "policies", KC_FAIL, KC_SEV_MEDIUM);
	obj(r, "Namespace", NULL, "team-a", "networkpolicies", "namespace has no NetworkPolicy");
	res(run, "5.3.1", "5.3", "Network Policies and CNI", "policies", KC_PASS, KC_SEV_MEDIUM);
}

struct docs {
	struct kc_yaml y;
	struct json_object *d[8];
	size_t n;
};

static void parse(const char *text, struct docs *out)
{
	memset(out, 0, sizeof(*out));
	int rc = kc_yaml_load(&out->y, "policyreport.yaml", text, strlen(text));
	if (rc < 0)
		print_error("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	assert_true(out->y.ndocs <= 8);
	for (size_t i = 0; i < out->y.ndocs; i++) {
		assert_int_equal(kc_yaml_to_json(&out->y.docs[i], kc_yaml_root(&out->y, i), 100000, &out->d[i]), 0);
		out->n++;
	}
}

static void docs_free(struct docs *d)
{
	for (size_t i = 0; i < d->n; i++)
		json_object_put(d->d[i]);
	kc_yaml_clear(&d->y);
}

static struct json_object *get(struct json_object *o, const char *dotted)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", dotted);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		struct json_object *next = NULL;
		if (json_object_is_type(o, json_type_array))
			next = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &next))
			next = NULL;
		o = next;
	}
	return o;
}

static const char *s(struct json_object *o, const char *dotted)
{
	struct json_object *v = get(o, dotted);
	assert_non_null(v);
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static int64_t n(struct json_object *o, const char *dotted)
{
	struct json_object *v = get(o, dotted);
	assert_non_null(v);
	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static void assert_summary(struct json_object *doc, int pass, int fail, int warn, int error, int skip)
{
	assert_int_equal(n(doc, "summary.pass"), pass);
	assert_int_equal(n(doc, "summary.fail"), fail);
	assert_int_equal(n(doc, "summary.warn"), warn);
	assert_int_equal(n(doc, "summary.error"), error);
	assert_int_equal(n(doc, "summary.skip"), skip);
	/* the summary counts exactly the results listed */
	assert_int_equal(json_object_array_length(get(doc, "results")), pass + fail + warn + error + skip);
}

static void test_shape(void **state)
{
	(void)state;
	struct kc_run run;
	make_run(&run);
	struct kc_buf out = KC_BUF_INIT;
	assert_int_equal(kc_report_policyreport_render(&run, &out), 0);
	struct docs d;
	parse(out.ptr, &d);
	/* the ClusterPolicyReport first, then one PolicyReport per namespace in name order */
	assert_int_equal(d.n, 4);
	for (size_t i = 0; i < d.n; i++) {
		assert_string_equal(s(d.d[i], "apiVersion"), "wgpolicyk8s.io/v1alpha2");
		struct json_object *labels = get(d.d[i], "metadata.labels"), *v = NULL;
		assert_true(json_object_object_get_ex(labels, "app.kubernetes.io/managed-by", &v));
		assert_string_equal(json_object_get_string(v), "kubecomply");
	}

	struct json_object *c = d.d[0];
	assert_string_equal(s(c, "kind"), "ClusterPolicyReport");
	assert_null(get(c, "metadata.namespace"));
	/* a DNS-1123 name per node, so that every node of a fleet keeps its own report */
	assert_string_equal(s(c, "metadata.name"), "kubecomply-cis-1.12-node-cp-node-1");
	assert_string_equal(s(c, "scope.kind"), "Node");
	assert_string_equal(s(c, "scope.apiVersion"), "v1");
	assert_string_equal(s(c, "scope.name"), "CP-Node_1");
	/* node: PASS 1.1.1, FAIL 1.2.15, WARN 1.2.30, ERROR 1.3, SKIP 4.2.1; cluster: FAIL 5.1.1
	 * (a cluster-scoped binding), PASS 5.3.1 (no object) */
	assert_summary(c, 2, 2, 1, 1, 1);
	struct json_object *r0 = get(c, "results.0");
	assert_string_equal(s(r0, "policy"), "cis-1.12");
	assert_string_equal(s(r0, "rule"), "1.1.1");
	assert_string_equal(s(r0, "result"), "pass");
	assert_string_equal(s(r0, "severity"), "medium");
	assert_string_equal(s(r0, "category"), "1.1 Control Plane Node Configuration Files");
	assert_string_equal(s(r0, "source"), "kubecomply");
	assert_string_equal(s(r0, "message"), "actual text");
	assert_true(json_object_get_boolean(get(r0, "scored")));
	assert_true(json_object_is_type(get(r0, "scored"), json_type_boolean));
	assert_string_equal(s(r0, "resources.0.kind"), "Node");
	assert_string_equal(s(r0, "resources.0.name"), "CP-Node_1");
	assert_int_equal(n(r0, "timestamp.seconds"), 1795844741); /* 2026-11-28T05:45:41Z */
	assert_int_equal(n(r0, "timestamp.nanos"), 456000000);
	assert_string_equal(s(r0, "properties.status"), "PASS");
	assert_string_equal(s(r0, "properties.expected"), "expected text");
	assert_non_null(strstr(s(r0, "properties.evidence"), "file /etc/kubernetes/manifests/kube-apiserver.yaml mode 0600 root:root"));
	/* the id "1.3" must stay a string, not become the number 1.3 */
	assert_string_equal(s(get(c, "results.3"), "rule"), "1.3");
	assert_string_equal(s(get(c, "results.3"), "result"), "error");
	assert_string_equal(s(get(c, "results.3"), "message"), "reason for 1.3");
	/* invalid UTF-8 from a file became U+FFFD instead of breaking the stream */
	assert_non_null(strstr(s(get(c, "results.1"), "properties.evidence"), "bad \xEF\xBF\xBD\xEF\xBF\xBD utf-8"));
	struct json_object *crb = get(c, "results.5");
	assert_string_equal(s(crb, "rule"), "5.1.1");
	assert_string_equal(s(crb, "result"), "fail");
	assert_string_equal(s(crb, "resources.0.apiVersion"), "rbac.authorization.k8s.io/v1");
	assert_string_equal(s(crb, "resources.0.kind"), "ClusterRoleBinding");
	assert_string_equal(s(crb, "resources.0.name"), "ops-admin");
	assert_null(get(crb, "resources.0.namespace"));
	assert_false(json_object_get_boolean(get(crb, "scored")));
	/* a section-5 result without objects has no resources */
	assert_string_equal(s(get(c, "results.6"), "rule"), "5.3.1");
	assert_null(get(c, "results.6.resources"));

	struct json_object *ks = d.d[1];
	assert_string_equal(s(ks, "kind"), "PolicyReport");
	assert_string_equal(s(ks, "metadata.namespace"), "kube-system");
	assert_string_equal(s(ks, "metadata.name"), "kubecomply-cis-1.12");
	assert_null(get(ks, "scope"));
	assert_summary(ks, 0, 0, 0, 0, 1);
	assert_string_equal(s(ks, "results.0.result"), "skip");
	assert_non_null(strstr(s(ks, "results.0.properties.exception"), "the CNI needs it"));

	struct json_object *a = d.d[2];
	assert_string_equal(s(a, "metadata.namespace"), "team-a");
	/* the DaemonSet (two rows, one result) and the namespace's own row */
	assert_summary(a, 0, 2, 0, 0, 0);
	struct json_object *ds = get(a, "results.0");
	assert_string_equal(s(ds, "rule"), "5.2.2");
	assert_string_equal(s(ds, "result"), "fail");
	assert_string_equal(s(ds, "severity"), "critical");
	assert_string_equal(s(ds, "category"), "5.2 Pod Security Standards");
	assert_string_equal(s(ds, "message"), "DaemonSet team-a/agent: container 'a' runs privileged");
	assert_string_equal(s(ds, "resources.0.apiVersion"), "apps/v1");
	assert_string_equal(s(ds, "resources.0.kind"), "DaemonSet");
	assert_string_equal(s(ds, "resources.0.namespace"), "team-a");
	assert_string_equal(s(ds, "resources.0.name"), "agent");
	assert_int_equal(json_object_array_length(get(ds, "resources")), 1);
	const char *evd = s(ds, "properties.evidence");
	assert_non_null(strstr(evd, "containers[0]"));
	assert_non_null(strstr(evd, "containers[1]"));
	assert_null(strstr(evd, "cilium"));
	assert_string_equal(s(a, "results.1.rule"), "5.3.2");
	assert_string_equal(s(a, "results.1.resources.0.kind"), "Namespace");
	assert_string_equal(s(a, "results.1.resources.0.apiVersion"), "v1");

	struct json_object *b = d.d[3];
	assert_string_equal(s(b, "metadata.namespace"), "team-b");
	assert_summary(b, 0, 1, 0, 0, 0);
	assert_string_equal(s(b, "results.0.resources.0.kind"), "Pod");
	assert_string_equal(s(b, "results.0.resources.0.apiVersion"), "v1");

	docs_free(&d);
	kc_buf_clear(&out);
	kc_run_clear(&run);
}

/* A section-5-only run (the cluster audit) has one cluster-wide report without a Node scope. */
static void test_cluster_only(void **state)
{
	(void)state;
	struct kc_run run = { 0 };
	run.host = kc_strdup("prod");
	run.benchmark = kc_strdup("cis-1.12");
	run.started = kc_strdup("2026-11-28T05:45:39Z");
	res(&run, "5.3.1", "5.3", "Network Policies and CNI", "policies", KC_WARN, KC_SEV_MEDIUM);
	struct kc_buf out = KC_BUF_INIT;
	assert_int_equal(kc_report_policyreport_render(&run, &out), 0);
	struct docs d;
	parse(out.ptr, &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(s(d.d[0], "kind"), "ClusterPolicyReport");
	assert_string_equal(s(d.d[0], "metadata.name"), "kubecomply-cis-1.12-cluster");
	assert_null(get(d.d[0], "scope"));
	assert_summary(d.d[0], 0, 0, 1, 0, 0);
	assert_null(get(d.d[0], "results.0.resources"));
	assert_int_equal(n(d.d[0], "results.0.timestamp.seconds"), 1795844739);
	assert_int_equal(n(d.d[0], "results.0.timestamp.nanos"), 0);
	docs_free(&d);
	kc_buf_clear(&out);
	kc_run_clear(&run);
}

/* The file is written whole (atomically) and equals the rendered stream. */
static void test_write_file(void **state)
{
	(void)state;
	struct kc_run run;
	make_run(&run);
	char *dir = kc_test_mkdtemp();
	char path[4096];
	snprintf(path, sizeof(path), "%s/policyreport.yaml", dir);
	assert_int_equal(kc_report_policyreport_write(&run, path), 0);
	size_t len;
	char *text = kc_test_slurp(path, &len);
	assert_non_null(text);
	struct kc_buf out = KC_BUF_INIT;
	assert_int_equal(kc_report_policyreport_render(&run, &out), 0);
	assert_int_equal(len, out.len);
	assert_memory_equal(text, out.ptr, len);
	assert_non_null(strstr(text, "---"));
	/* an unwritable place is an error that leaves nothing behind */
	snprintf(path, sizeof(path), "%s/missing/policyreport.yaml", dir);
	assert_true(kc_report_policyreport_write(&run, path) < 0);
	free(text);
	kc_buf_clear(&out);
	kc_test_rmtree(dir);
	free(dir);
	kc_run_clear(&run);
}

/* The CRD's enums (wgpolicyk8s.io_policyreports.yaml, v1alpha2 of
 * kubernetes-sigs/wg-policy-prototypes): result, severity; properties are strings, scored a
 * boolean, timestamp two integers, summary five integers, policy required. */
static void assert_crd_shape(struct json_object *doc)
{
	static const char *const results[] = { "pass", "fail", "warn", "error", "skip" };
	static const char *const sevs[] = { "critical", "high", "low", "medium", "info" };
	struct json_object *rs = get(doc, "results");
	for (size_t i = 0; i < json_object_array_length(rs); i++) {
		struct json_object *r = json_object_array_get_idx(rs, i);
		s(r, "policy");
		int ok = 0;
		for (size_t k = 0; k < 5; k++)
			ok |= strcmp(s(r, "result"), results[k]) == 0;
		assert_true(ok);
		ok = 0;
		for (size_t k = 0; k < 5; k++)
			ok |= strcmp(s(r, "severity"), sevs[k]) == 0;
		assert_true(ok);
		assert_true(json_object_is_type(get(r, "scored"), json_type_boolean));
		n(r, "timestamp.seconds");
		n(r, "timestamp.nanos");
		json_object_object_foreach(get(r, "properties"), key, val) {
			(void)key;
			assert_true(json_object_is_type(val, json_type_string));
		}
	}
	for (size_t k = 0; k < 5; k++) {
		char path[32];
		snprintf(path, sizeof(path), "summary.%s", results[k]);
		n(doc, path);
	}
}

/* A namespace with thousands of failing objects is split into numbered parts, each well under
 * etcd's 1.5 MiB and with the summary of its own results; together they hold every object. */
static void test_large_namespace_split_into_numbered_parts(void **state)
{
	(void)state;
	struct kc_run run;
	make_run(&run);
	struct kc_result *r = res(&run, "5.2.3", "5.2", "Pod Security Standards", "policies", KC_FAIL, KC_SEV_HIGH);
	char name[64];
	for (int i = 0; i < 6000; i++) {
		snprintf(name, sizeof(name), "pod-%05d", i);
		obj(r, "Pod", "big", name, "spec.hostPID", "the pod shares the host's process ID namespace");
	}
	struct kc_buf out = KC_BUF_INIT;
	assert_int_equal(kc_report_policyreport_render(&run, &out), 0);
	struct kc_yaml y;
	assert_int_equal(kc_yaml_load(&y, "policyreport.yaml", out.ptr, out.len), 0);
	size_t parts = 0, objects = 0, fails = 0;
	for (size_t i = 0; i < y.ndocs; i++) {
		struct json_object *d = NULL;
		assert_int_equal(kc_yaml_to_json(&y.docs[i], kc_yaml_root(&y, i), 100000, &d), 0);
		assert_crd_shape(d);
		size_t len = strlen(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
		assert_true(len < 1024 * 1024);
		struct json_object *ns = get(d, "metadata.namespace");
		if (ns && strcmp(json_object_get_string(ns), "big") == 0) {
			parts++;
			char want[64];
			snprintf(want, sizeof(want), parts == 1 ? "kubecomply-cis-1.12" : "kubecomply-cis-1.12-%zu", parts);
			assert_string_equal(s(d, "metadata.name"), want);
			snprintf(want, sizeof(want), "%zu", parts);
			struct json_object *v = NULL;
			assert_true(json_object_object_get_ex(get(d, "metadata.labels"), "kubecomply.io/part", &v));
			assert_string_equal(json_object_get_string(v), want);
			size_t nres = json_object_array_length(get(d, "results"));
			objects += nres;
			fails += (size_t)n(d, "summary.fail");
			assert_int_equal(n(d, "summary.fail"), nres);
			assert_int_equal(n(d, "summary.pass") + n(d, "summary.skip") + n(d, "summary.warn") +
					 n(d, "summary.error"), 0);
		}
		json_object_put(d);
	}
	assert_true(parts >= 4);
	assert_int_equal(objects, 6000);
	assert_int_equal(fails, 6000);
	kc_yaml_clear(&y);
	kc_buf_clear(&out);
	kc_run_clear(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_cluster_only),
		cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_large_namespace_split_into_numbered_parts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
