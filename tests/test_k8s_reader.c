/* The manifest reader and the kubeconfig reader: YAML streams with bad documents among good
 * ones, JSON and kubectl List output with per-item lines, directory walks, duplicates, and
 * kubeconfig contexts, paths and refusals. */
#include "kc_test.h"

#include "k8s_test_util.h"

#include "checks/k8s/index.h"
#include "checks/k8s/execcred.h"
#include "checks/k8s/kubeconfig.h"

static const struct kc_k8s_obj *find(struct kc_cluster *c, enum kc_k8s_kind k, const char *ns, const char *name)
{
	kc_cluster__index(c);
	return kc_cluster__find(c, k, ns, name);
}

static int has_warning(struct kc_cluster *c, const char *needle)
{
	for (size_t i = 0; i < kc_cluster_warning_count(c); i++)
		if (strstr(kc_cluster_warning(c, i), needle))
			return 1;
	return 0;
}

static void dump_warnings(struct kc_cluster *c)
{
	for (size_t i = 0; i < kc_cluster_warning_count(c); i++)
		fprintf(stderr, "warning: %s\n", kc_cluster_warning(c, i));
}

/* helm template output: "# Source:" headers, empty documents, and a broken one in the middle */
static const char helm[] =
	"---\n"                                   /* 1 */
	"# Source: app/templates/sa.yaml\n"       /* 2 */
	"apiVersion: v1\n"                        /* 3 */
	"kind: ServiceAccount\n"
	"metadata:\n"
	"  name: app\n"
	"---\n"                                   /* 7 */
	"# Source: app/templates/empty.yaml\n"
	"---\n"                                   /* 9 */
	"# Source: app/templates/broken.yaml\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: broken\n"
	"  labels: {app: [unclosed\n"             /* 15 */
	"---\n"                                   /* 16 */
	"apiVersion: v1\n"                        /* 17 */
	"kind: Service\n"
	"metadata:\n"
	"  name: app\n"
	"  namespace: shop\n"
	"---\n"                                   /* 22 */
	"just: a mapping\n"                       /* 23 */
	"...\n";

static void test_yaml_stream_with_bad_document(void **state)
{
	(void)state;
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_buffer(c, "chart.yaml", helm, strlen(helm)), 0);
	dump_warnings(c);
	assert_int_equal(kc_cluster_object_count(c), 2);
	const struct kc_k8s_obj *sa = find(c, KC_K_SERVICEACCOUNT, "default", "app");
	assert_non_null(sa);
	assert_int_equal(sa->line, 3);
	assert_string_equal(sa->src->path, "chart.yaml");
	const struct kc_k8s_obj *svc = find(c, KC_K_SERVICE, "shop", "app");
	assert_non_null(svc);
	assert_int_equal(svc->line, 17);
	assert_null(find(c, KC_K_DEPLOYMENT, "default", "broken"));
	assert_int_equal(kc_cluster_warning_count(c), 2);
	/* the syntax error is reported at its absolute line */
	assert_true(has_warning(c, "chart.yaml:16:") || has_warning(c, "chart.yaml:15:"));
	assert_true(has_warning(c, "chart.yaml:23: not a Kubernetes object (no kind)"));
	kc_cluster_free(c);
}

/* kubectl get -o json: a List whose items each keep their own line */
static const char kubectl_json[] =
	"{\n"
	"    \"apiVersion\": \"v1\",\n"
	"    \"items\": [\n"
	"        {\n"                                              /* 4 */
	"            \"apiVersion\": \"v1\",\n"
	"            \"kind\": \"Pod\",\n"
	"            \"metadata\": {\"name\": \"a\", \"namespace\": \"x\", \"labels\": {\"k\": \"v\"}},\n"
	"            \"spec\": {\"hostPID\": true, \"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}\n"
	"        },\n"
	"        {\n"                                              /* 10 */
	"            \"apiVersion\": \"v1\",\n"
	"            \"kind\": \"Pod\",\n"
	"            \"metadata\": {\"name\": \"b\", \"namespace\": \"x\"},\n"
	"            \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\", \"env\": [{\"name\": \"T\", "
	"\"valueFrom\": {\"secretKeyRef\": {\"name\": \"s\", \"key\": \"k\"}}}]}]}\n"
	"        }\n"
	"    ],\n"
	"    \"kind\": \"List\",\n"
	"    \"metadata\": {\"resourceVersion\": \"\"}\n"
	"}\n"
	"{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"x\"}}\n"; /* 20 */

static void test_json_list_lines(void **state)
{
	(void)state;
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_buffer(c, "pods.json", kubectl_json, strlen(kubectl_json)), 0);
	dump_warnings(c);
	assert_int_equal(kc_cluster_warning_count(c), 0);
	assert_int_equal(kc_cluster_object_count(c), 3);
	const struct kc_k8s_obj *a = find(c, KC_K_POD, "x", "a"), *b = find(c, KC_K_POD, "x", "b");
	assert_int_equal(a->line, 4);
	assert_int_equal(a->pod->host_pid, KC_TRI_TRUE);
	assert_string_equal(kc_k8s_label(a->pod->labels, a->pod->nlabels, "k"), "v");
	assert_int_equal(b->line, 10);
	assert_int_equal(b->pod->containers[0].nsecret_env, 1);
	assert_int_equal(find(c, KC_K_NAMESPACE, NULL, "x")->line, 20);
	kc_cluster_free(c);
}

static const char yaml_list[] =
	"apiVersion: v1\n"
	"kind: List\n"
	"items:\n"
	"- apiVersion: rbac.authorization.k8s.io/v1\n"  /* 4 */
	"  kind: ClusterRole\n"
	"  metadata:\n"
	"    name: r1\n"
	"  rules: null\n"
	"- apiVersion: v1\n"                            /* 9 */
	"  kind: ServiceAccount\n"
	"  metadata: {name: default, namespace: ns1}\n"
	"  automountServiceAccountToken: false\n";

static void test_yaml_list(void **state)
{
	(void)state;
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_buffer(c, "list.yaml", yaml_list, strlen(yaml_list)), 0);
	assert_int_equal(kc_cluster_object_count(c), 2);
	assert_int_equal(find(c, KC_K_CLUSTERROLE, NULL, "r1")->line, 4);
	const struct kc_k8s_obj *sa = find(c, KC_K_SERVICEACCOUNT, "ns1", "default");
	assert_int_equal(sa->line, 9);
	assert_int_equal(sa->automount, KC_TRI_FALSE);
	kc_cluster_free(c);
}

static void test_directory_walk_and_duplicates(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	kc_test_write(dir, "a/one.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: n1}\n", 0644);
	kc_test_write(dir, "a/b/two.yml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n1}\n"
					     "spec: {containers: [{name: c, image: i}]}\n", 0644);
	kc_test_write(dir, "c/three.json", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
					      "\"namespace\":\"n1\"},\"spec\":{\"hostIPC\":true}}\n", 0644);
	kc_test_write(dir, ".git/config.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: hidden}\n", 0644);
	kc_test_write(dir, "README.md", "kind: Namespace\n", 0644);
	kc_test_write(dir, "values.yaml", "replicas: 3\n", 0644);
	struct kc_cluster *c = kc_cluster_new();
	assert_int_equal(kc_cluster_load_manifests(c, dir), 0);
	assert_int_equal(kc_cluster_object_count(c), 3);
	assert_null(find(c, KC_K_NAMESPACE, NULL, "hidden"));
	/* the same Pod twice: the later file (c/three.json) is the one audited */
	const struct kc_k8s_obj *p = find(c, KC_K_POD, "n1", "p");
	assert_non_null(strstr(p->src->path, "three.json"));
	assert_int_equal(p->pod->host_ipc, KC_TRI_TRUE);
	assert_true(has_warning(c, "values.yaml:1: not a Kubernetes object (no kind)"));
	kc_cluster_free(c);

	c = kc_cluster_new();
	assert_true(kc_cluster_load_manifests(c, "/nonexistent/manifests") < 0);
	assert_non_null(strstr(kc_error_last(), "/nonexistent/manifests"));
	kc_cluster_free(c);
	kc_test_rmtree(dir);
	free(dir);
}

/* Aliases that expand exponentially are refused, not expanded. */
static void test_alias_bomb(void **state)
{
	(void)state;
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 9; i++)
		kc_buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
			      i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	kc_buf_puts(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: fine}\n");
	struct kc_cluster *c = kc_cluster_new();
	kc_cluster_load_buffer(c, "bomb.yaml", b.ptr, b.len);
	assert_int_equal(kc_cluster_object_count(c), 1);
	assert_true(has_warning(c, "bomb.yaml:1:"));
	kc_cluster_free(c);
	kc_buf_clear(&b);
}

static const char kubeconfig[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: prod\n"
	"clusters:\n"
	"- name: prod\n"
	"  cluster:\n"
	"    server: https://prod.example:6443/\n"
	"    certificate-authority: pki/ca.crt\n"
	"- name: dev\n"
	"  cluster:\n"
	"    server: https://dev.example:6443\n"
	"    certificate-authority-data: aGVsbG8=\n"
	"    insecure-skip-tls-verify: true\n"
	"contexts:\n"
	"- name: prod\n"
	"  context: {cluster: prod, user: admin, namespace: ops}\n"
	"- name: dev\n"
	"  context: {cluster: dev, user: dev}\n"
	"- name: eks\n"
	"  context: {cluster: prod, user: eks}\n"
	"- name: broken\n"
	"  context: {cluster: nowhere, user: dev}\n"
	"users:\n"
	"- name: admin\n"
	"  user:\n"
	"    client-certificate: /abs/admin.crt\n"
	"    client-key: keys/admin.key\n"
	"- name: dev\n"
	"  user:\n"
	"    token: s3cr3t-token-value\n"
	"- name: eks\n"
	"  user:\n"
	"    exec:\n"
	"      apiVersion: client.authentication.k8s.io/v1beta1\n"
	"      command: aws\n";

static void test_kubeconfig(void **state)
{
	(void)state;
	struct kc_k8s_creds k;
	assert_int_equal(kc_kubeconfig_parse("kc", kubeconfig, strlen(kubeconfig), NULL, "/home/u/.kube", &k), 0);
	assert_string_equal(k.context, "prod");
	assert_string_equal(k.server, "https://prod.example:6443");
	assert_string_equal(k.ca_file, "/home/u/.kube/pki/ca.crt");
	assert_string_equal(k.cert_file, "/abs/admin.crt");
	assert_string_equal(k.key_file, "/home/u/.kube/keys/admin.key");
	assert_string_equal(k.ns, "ops");
	assert_int_equal(k.insecure, 0);
	kc_k8s_creds_clear(&k);

	assert_int_equal(kc_kubeconfig_parse("kc", kubeconfig, strlen(kubeconfig), "dev", NULL, &k), 0);
	assert_int_equal(k.ca_len, 5);
	assert_memory_equal(k.ca_data, "hello", 5);
	assert_string_equal(k.token, "s3cr3t-token-value");
	assert_int_equal(k.insecure, 1);
	kc_k8s_creds_clear(&k);

	/* an exec plugin is parsed into its command (run only when the API is listed) */
	assert_int_equal(kc_kubeconfig_parse("kc", kubeconfig, strlen(kubeconfig), "eks", NULL, &k), 0);
	assert_non_null(k.exec);
	assert_string_equal(k.exec->command, "aws");
	assert_string_equal(k.exec->api_version, "client.authentication.k8s.io/v1beta1");
	kc_k8s_creds_clear(&k);
	assert_true(kc_kubeconfig_parse("kc", kubeconfig, strlen(kubeconfig), "nope", NULL, &k) < 0);
	assert_non_null(strstr(kc_error_last(), "context 'nope' not found"));
	assert_true(kc_kubeconfig_parse("kc", kubeconfig, strlen(kubeconfig), "broken", NULL, &k) < 0);
	assert_non_null(strstr(kc_error_last(), "cluster 'nowhere'"));
	assert_null(strstr(kc_error_last(), "s3cr3t"));

	static const char bad64[] = "current-context: x\nclusters: [{name: c, cluster: {server: 'https://h', "
				    "certificate-authority-data: '@@@'}}]\ncontexts: [{name: x, context: {cluster: c}}]\n";
	assert_true(kc_kubeconfig_parse("kc", bad64, strlen(bad64), NULL, NULL, &k) < 0);
	assert_non_null(strstr(kc_error_last(), "certificate-authority-data is not valid base64"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_stream_with_bad_document),
		cmocka_unit_test(test_json_list_lines),
		cmocka_unit_test(test_yaml_list),
		cmocka_unit_test(test_directory_walk_and_duplicates),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_kubeconfig),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
