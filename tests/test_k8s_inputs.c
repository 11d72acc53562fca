/* Input shapes people feed a CI gate, each written for the behaviour the test is named after:
 * raw API lists, custom kinds ending in "List", JSON-style documents in YAML streams, partial
 * exports, hostile JSON (NUL escapes, deep nesting, duplicate keys), skipped documents, and
 * the CLI's exit codes and default gate on cluster sources. */
#include "kc_test.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "k8s_test_util.h"

#include "checks/k8s/index.h"

static struct kc_cluster *from(const char *name, const char *text)
{
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_buffer(c, name, text, strlen(text)), 0);
	kc_cluster__index(c);
	return c;
}

static int has_warning(struct kc_cluster *c, const char *needle)
{
	for (size_t i = 0; i < kc_cluster_warning_count(c); i++)
		if (strstr(kc_cluster_warning(c, i), needle))
			return 1;
	return 0;
}

/* `kubectl get --raw /api/v1/pods`: items carry no kind; they take the list's. */
static void test_raw_api_list_items_take_the_list_kind(void **state)
{
	(void)state;
	struct kc_cluster *c = from("pods.json",
		"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[\n"
		"{\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\",\"uid\":\"u1\"},\n"
		" \"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"securityContext\":{\"privileged\":true}}]}}]}\n");
	const struct kc_k8s_obj *o = kc_cluster__find(c, KC_K_POD, "shop", "a");
	assert_non_null(o);
	assert_string_equal(o->api_version, "v1");
	assert_int_equal(o->line, 2);
	struct kc_result r;
	assert_int_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_FAIL);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* Only `List` and `<Kind>List` of a known kind are unpacked: a custom AllowList with items
 * is one object, and its items are not mistaken for objects. */
static void test_custom_kind_ending_in_list_is_an_object(void **state)
{
	(void)state;
	struct kc_cluster *c = from("allow.yaml",
		"apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: ok, namespace: shop}\n"
		"items:\n- {kind: Pod, metadata: {name: not-a-pod}}\n");
	assert_int_equal(kc_cluster_object_count(c), 1);
	assert_null(kc_cluster__find(c, KC_K_POD, "default", "not-a-pod"));
	assert_string_equal(c->objs[0]->kind_name, "AllowList");
	assert_int_equal(kc_cluster_warning_count(c), 0);
	kc_cluster_free(c);
}

/* JSON is a subset of YAML: a .yaml file whose first document is JSON is still a YAML
 * stream, and every later document is read. */
static void test_json_style_first_document_does_not_skip_the_rest(void **state)
{
	(void)state;
	struct kc_cluster *c = from("mixed.yaml",
		"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"shop\"}}\n"
		"---\n"
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
		"spec: {hostPID: true, containers: [{name: c, image: x}]}\n"
		"---\n"
		"{kind: ConfigMap, metadata: {name: flow, namespace: shop}}\n");
	assert_int_equal(kc_cluster_warning_count(c), 0);
	assert_non_null(kc_cluster__find(c, KC_K_NAMESPACE, NULL, "shop"));
	const struct kc_k8s_obj *p = kc_cluster__find(c, KC_K_POD, "shop", "p");
	assert_non_null(p);
	assert_int_equal(p->line, 3);
	assert_int_equal(kc_cluster_object_count(c), 3); /* the flow mapping is YAML, not bad JSON */
	struct kc_result r;
	assert_int_equal(k8s_run(c, "pods.host_pid", "5.2.3", &r), KC_FAIL);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* `kubectl get all -A -o yaml` has no NetworkPolicies, Namespaces, ServiceAccounts or RBAC:
 * checks that need them are WARN "the input has no ...", never FAIL or PASS. */
static void test_partial_export_warns_for_absent_kinds(void **state)
{
	(void)state;
	struct kc_cluster *c = from("all.yaml",
		"apiVersion: v1\nkind: List\nitems:\n"
		"- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: shop, uid: u1, resourceVersion: '5'}\n"
		"  spec: {containers: [{name: c, image: x}]}\n"
		"  status: {phase: Running}\n");
	struct kc_result r;
	static const struct { const char *query, *needle; } cases[] = {
		{ "netpol.namespaces", "the input has no NetworkPolicies" },
		{ "pods.psa_labels", "the input has no Namespaces" },
		{ "rbac.default_service_accounts", "the input has no ServiceAccounts" },
		{ "rbac.secrets_access", "the input has no RoleBindings or ClusterRoleBindings" },
		{ "rbac.wildcard_rules", "the input has no Roles or ClusterRoles" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_int_equal(k8s_run(c, cases[i].query, NULL, &r), KC_WARN);
		assert_non_null(r.reason);
		assert_non_null(strstr(r.reason, cases[i].needle));
		kc_result_clear(&r);
	}
	/* what the export does hold is decided */
	assert_int_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_PASS);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* A repository is the desired state: without NetworkPolicies none will exist, so 5.3.2 FAILs
 * there; without RBAC, "no binding grants it" would be vacuous, so RBAC checks WARN. */
static void test_repository_without_netpols_fails_without_rbac_warns(void **state)
{
	(void)state;
	struct kc_cluster *c = from("repo.yaml",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: c, image: x}]}\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "netpol.namespaces", "5.3.2", &r), KC_FAIL);
	kc_result_clear(&r);
	assert_int_equal(k8s_run(c, "rbac.pod_create", "5.1.4", &r), KC_WARN);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* "kube-system\u0000evil" must not read as kube-system: refused, with its line. */
static void test_json_nul_escape_refused(void **state)
{
	(void)state;
	struct kc_cluster *c = from("nul.json",
		"[\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"kube-system\\u0000evil\"},\n"
		" \"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}\n]\n");
	assert_null(kc_cluster__find(c, KC_K_POD, "kube-system", "p"));
	assert_int_equal(kc_cluster_object_count(c), 0);
	assert_true(has_warning(c, "nul.json:2: string holds \\u0000"));
	kc_cluster_free(c);
	/* in a key too (json-c would cut the key itself) */
	c = from("nulkey.json", "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"host\\u0000PID\":true}}");
	assert_int_equal(kc_cluster_object_count(c), 0);
	kc_cluster_free(c);
	/* and from YAML, whose "\0" escape keeps the NUL */
	c = from("nul.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: \"kube-system\\0evil\"}\n");
	assert_int_equal(kc_cluster_object_count(c), 0);
	assert_true(has_warning(c, "NUL"));
	kc_cluster_free(c);
}

/* 200 KB of nesting is refused by the JSON reader at its depth bound, never handed to the
 * YAML reader (whose tokenizer is quadratic in it). Not timed: the message proves the path. */
static void test_json_deep_nesting_refused_without_yaml_fallback(void **state)
{
	(void)state;
	size_t n = 100000;
	char *s = malloc(2 * n + 1);
	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	for (int t = 0; t < 2; t++) {
		const char *name = t ? "deep.yaml" : "deep.json";
		struct kc_cluster *c = from(name, s);
		assert_int_equal(kc_cluster_object_count(c), 0);
		assert_true(has_warning(c, "nested deeper than 100 levels"));
		kc_cluster_free(c);
	}
	free(s);
}

/* Duplicate keys are refused as the API server's strict decoding refuses them (last-wins
 * would turn `privileged: true` then `false` into a PASS), with the line of the second. */
static void test_json_duplicate_key_refused_with_line(void **state)
{
	(void)state;
	struct kc_cluster *c = from("dup.json",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\n"
		"\"spec\":{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"privileged\":true,\n"
		"\"privileged\":false}}]}}\n");
	assert_int_equal(kc_cluster_object_count(c), 0);
	assert_true(has_warning(c, "dup.json:3: duplicate key \"privileged\""));
	kc_cluster_free(c);
	/* the same key spelt with an escape is the same key */
	c = from("dup2.json", "{\"kind\":\"Pod\",\"kind\\u0000\":1}");
	kc_cluster_free(c);
	c = from("dup3.json", "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"k\\u0069nd\":\"Secret\"}");
	assert_int_equal(kc_cluster_object_count(c), 0);
	assert_true(has_warning(c, "duplicate key \"kind\""));
	kc_cluster_free(c);
}

/* A List is read item by item: a bad item costs only itself, each item keeps its line. */
static void test_json_list_bad_item_costs_only_itself(void **state)
{
	(void)state;
	struct kc_cluster *c = from("list.json",
		"{\"apiVersion\":\"v1\",\"items\":[\n"
		"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}},\n"
		"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"},\"metadata\":{}},\n"
		"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"c\"}}\n"
		"],\"kind\":\"List\"}\n");
	/* duplicate keys refuse the whole value before any item is read */
	assert_int_equal(kc_cluster_object_count(c), 0);
	assert_true(has_warning(c, "list.json:3: duplicate key \"metadata\""));
	kc_cluster_free(c);
	c = from("list2.json",
		"{\"apiVersion\":\"v1\",\"items\":[\n"
		"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}},\n"
		"{\"metadata\":{\"name\":\"nokind\"}},\n"
		"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"c\"}}\n"
		"],\"kind\":\"List\"}\n");
	assert_int_equal(kc_cluster_object_count(c), 2);
	assert_true(has_warning(c, "list2.json:3: not a Kubernetes object (no kind)"));
	assert_int_equal(kc_cluster__find(c, KC_K_POD, "default", "c")->line, 4);
	kc_cluster_free(c);
}

/* What could not be read is not judged, so no check PASSes over it. */
static void test_skipped_document_prevents_pass(void **state)
{
	(void)state;
	struct kc_cluster *c = from("skip.yaml",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: ok, namespace: shop}\nspec: {containers: [{name: c, image: x}]}\n"
		"---\n"
		"apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: shop}\n"
		"spec: {containers: [{name: c, image: x, securityContext: {privileged: [unclosed}}]}\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_WARN);
	assert_non_null(strstr(r.reason, "1 part of the input could not be read"));
	assert_non_null(strstr(r.reason, "skip.yaml:"));
	kc_result_clear(&r);
	kc_cluster_free(c);
}


/* Manifests are read as kubectl reads them (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1
 * booleans and merge keys decide verdicts; duplicate keys are refused with file:line. */
static void test_yaml_1_1_booleans_and_merge_keys_decide(void **state)
{
	(void)state;
	struct kc_cluster *c = from("y11.yaml",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: yes-pod, namespace: shop}\n"
		"spec:\n  hostPID: yes\n  containers: [{name: c, image: x}]\n"
		"---\n"
		"x-priv: &priv {privileged: on}\n"
		"apiVersion: v1\nkind: Pod\nmetadata: {name: merged, namespace: shop}\n"
		"spec:\n  containers:\n  - name: c\n    image: x\n    securityContext:\n      <<: *priv\n");
	struct kc_result r;
	assert_int_equal(k8s_run(c, "pods.host_pid", "5.2.3", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Pod", "shop", "yes-pod"));
	kc_result_clear(&r);
	assert_int_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_FAIL);
	assert_non_null(k8s_row(&r, "Pod", "shop", "merged"));
	kc_result_clear(&r);
	kc_cluster_free(c);
}

static void test_yaml_duplicate_key_refused_with_line(void **state)
{
	(void)state;
	struct kc_cluster *c = from("dup.yaml",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
		"spec:\n  containers:\n  - name: c\n    securityContext:\n      privileged: true\n      privileged: false\n");
	assert_int_equal(kc_cluster_object_count(c), 0);
	assert_true(has_warning(c, "dup.yaml:9"));
	struct kc_result r;
	assert_int_not_equal(k8s_run(c, "pods.privileged", "5.2.2", &r), KC_PASS);
	kc_result_clear(&r);
	kc_cluster_free(c);
}

/* A billion-laughs document is refused by the per-document alias budget; the documents
 * around it are still read. */
static void test_alias_bomb_refused_rest_read(void **state)
{
	(void)state;
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before, namespace: shop}\n---\n"
			"a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 9; i++)
		kc_buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
			      i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	kc_buf_puts(&b, "kind: Pod\nmetadata: {name: bomb}\nspec: {x: *a8}\n---\n"
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after, namespace: shop}\n");
	struct kc_cluster *c = from("bomb.yaml", b.ptr);
	assert_int_equal(kc_cluster_object_count(c), 2);
	assert_true(has_warning(c, "bomb.yaml:"));
	kc_cluster_free(c);
	kc_buf_clear(&b);
}


/* A file larger than the reader's release step is mapped and its pages given back behind the
 * reader: every document and item is still read, with its line (the page-release is only
 * about memory; bench/bench_section5 measures it). */
static void test_large_files_read_to_the_end(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	struct kc_buf json = KC_BUF_INIT, yaml = KC_BUF_INIT;
	const size_t n = 60000;
	kc_buf_puts(&json, "{\"apiVersion\":\"v1\",\"items\":[\n");
	for (size_t i = 0; i < n; i++) {
		kc_buf_printf(&json, "%s{\"metadata\":{\"name\":\"p%zu\",\"namespace\":\"big\",\"labels\":{\"pad\":\"%0120zu\"}},"
			      "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}", i ? ",\n" : "", i, i);
		kc_buf_printf(&yaml, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%zu\n  namespace: big\n"
			      "data: {pad: '%0120zu'}\n", i, i);
	}
	kc_buf_puts(&json, "\n],\"kind\":\"PodList\"}\n");
	/* both above the reader's mapping threshold and its release step (8 MiB each) */
	assert_true(json.len > 9u << 20);
	assert_true(yaml.len > 9u << 20);
	char jpath[600], ypath[600];
	snprintf(jpath, sizeof(jpath), "%s", kc_test_write(dir, "pods.json", json.ptr, 0644));
	snprintf(ypath, sizeof(ypath), "%s", kc_test_write(dir, "cms.yaml", yaml.ptr, 0644));
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_manifests(c, jpath), 0);
	assert_int_equal(kc_cluster_load_manifests(c, ypath), 0);
	assert_int_equal(kc_cluster_warning_count(c), 0);
	assert_int_equal(kc_cluster_object_count(c), 2 * n);
	kc_cluster__index(c);
	char name[32];
	snprintf(name, sizeof(name), "p%zu", n - 1);
	const struct kc_k8s_obj *o = kc_cluster__find(c, KC_K_POD, "big", name);
	assert_non_null(o);
	assert_int_equal(o->line, (long)n + 1);
	assert_string_equal(c->objs[2 * n - 1]->name, "c59999");
	assert_int_equal(c->objs[2 * n - 1]->line, (long)(7 * (n - 1) + 2));
	kc_cluster_free(c);
	kc_buf_clear(&json);
	kc_buf_clear(&yaml);
	kc_test_rmtree(dir);
	free(dir);
}

/* ---- the CLI ---- */

/* `kubectl get pods -A -o json | kubecomply audit --manifests -`: stdin is spooled to an
 * unnamed temporary file and read like a file (documents sniffed one by one, evidence from
 * "<stdin>" with lines). */
static void test_stdin_read_like_a_file(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char in[600], db[600], report[600];
	snprintf(in, sizeof(in), "%s", kc_test_write(dir, "in.txt",
		"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[\n"
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"shop\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\","
		"\"securityContext\":{\"privileged\":true}}]}}]}\n"
		"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", 0644));
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	snprintf(report, sizeof(report), "%s/r.json", dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(in, O_RDONLY);
		int devnull = open("/dev/null", O_WRONLY);
		if (fd < 0 || dup2(fd, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
			_exit(126);
		execl(kc_test_bin(), kc_test_bin(), "audit", "--manifests", "-", "--db", db, "--json", report, "--quiet",
		      (char *)NULL);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1); /* 5.2.2 FAILs: the default gate trips */
	char *text = kc_test_slurp(report, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"<stdin>\""));
	free(text);
	kc_test_rmtree(dir);
	free(dir);
}


static int run_audit(const char *dir, const char *manifests, const char *extra, char **out)
{
	char db[512];
	snprintf(db, sizeof(db), "%s/kc.db", dir);
	const char *argv[] = { "audit", "--manifests", manifests, "--db", db, "--quiet", extra, NULL };
	return kc_test_run(out, argv);
}

/* An input that yields no objects is exit 2 with a message, never "everything passes". */
static void test_no_objects_is_exit_2(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp(), *out = NULL;
	char sub[512];
	snprintf(sub, sizeof(sub), "%s/in", dir);
	kc_test_write(dir, "in/README.md", "# not a manifest\n", 0644);
	kc_test_write(dir, "in/values.txt", "a: b\n", 0644);
	assert_int_equal(run_audit(dir, sub, NULL, &out), 2);
	assert_non_null(strstr(out, "no Kubernetes objects"));
	free(out);
	kc_test_write(dir, "in/broken.yaml", "kind: [\n", 0644);
	assert_int_equal(run_audit(dir, sub, NULL, &out), 2);
	free(out);
	kc_test_rmtree(dir);
	free(dir);
}

/* With a cluster source the default gate trips on any FAIL of an automated check: section 5
 * is unscored, so the node default ("scored") would pass a failing repository. */
static void test_default_gate_for_cluster_sources_trips_on_automated_fail(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp(), *out = NULL;
	const char *f = kc_test_write(dir, "app.yaml",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
		"spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n", 0644);
	char path[512];
	snprintf(path, sizeof(path), "%s", f);
	assert_int_equal(run_audit(dir, path, NULL, &out), 1);
	assert_non_null(strstr(out, "5.2.2"));
	free(out);
	/* an explicit --fail-on still wins */
	assert_int_equal(run_audit(dir, path, "--fail-on=scored", &out), 0);
	free(out);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_api_list_items_take_the_list_kind),
		cmocka_unit_test(test_custom_kind_ending_in_list_is_an_object),
		cmocka_unit_test(test_json_style_first_document_does_not_skip_the_rest),
		cmocka_unit_test(test_partial_export_warns_for_absent_kinds),
		cmocka_unit_test(test_repository_without_netpols_fails_without_rbac_warns),
		cmocka_unit_test(test_json_nul_escape_refused),
		cmocka_unit_test(test_json_deep_nesting_refused_without_yaml_fallback),
		cmocka_unit_test(test_json_duplicate_key_refused_with_line),
		cmocka_unit_test(test_json_list_bad_item_costs_only_itself),
		cmocka_unit_test(test_skipped_document_prevents_pass),
		cmocka_unit_test(test_yaml_1_1_booleans_and_merge_keys_decide),
		cmocka_unit_test(test_yaml_duplicate_key_refused_with_line),
		cmocka_unit_test(test_alias_bomb_refused_rest_read),
		cmocka_unit_test(test_large_files_read_to_the_end),
		cmocka_unit_test(test_stdin_read_like_a_file),
		cmocka_unit_test(test_no_objects_is_exit_2),
		cmocka_unit_test(test_default_gate_for_cluster_sources_trips_on_automated_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
