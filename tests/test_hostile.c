/* Hostile input (issue 19): each test is a reproducer of one class an attacker could use
 * against an auditor that runs as root on every node. A crash, a hang, an escape from
 * --root, a leaked secret or a PASS where nothing was decided fails the test (the sanitizer
 * build turns a use-after-free into a failure too). */
#include "node_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "checks/nodequery.h"

static char *tree(void)
{
	char *d = kc_test_mkdtemp();
	assert_non_null(d);
	return d;
}

/* ---- crashes: pointers into growable arrays ---- */

static const char etcd_pod[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: etcd}\nspec:\n  containers:\n  - name: etcd\n"
	"    image: registry.k8s.io/etcd:3.5.15-0\n    command:\n    - etcd\n"
	"    - --trusted-ca-file=/etc/etcd/ca.crt\n";
static const char apiserver_pod[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver}\nspec:\n  containers:\n  - name: kube-apiserver\n"
	"    image: registry.k8s.io/kube-apiserver:v1.31.2\n    command:\n    - kube-apiserver\n"
	"    - --client-ca-file=/etc/ssl/cluster-ca.crt\n";

/* etcd.ca_distinct looks up two files in the node's file cache; with the CA files outside
 * /etc/kubernetes/pki and the cache filled by a PKI walk, the second lookup grows the cache
 * under the first one's pointer. Every fill level around the growth points is tried. */
static void test_file_cache_growth_keeps_entries(void **state)
{
	(void)state;
	char *d = tree();
	put(d, "etc/kubernetes/manifests/etcd.yaml", etcd_pod, 0600, 0);
	put(d, "etc/kubernetes/manifests/kube-apiserver.yaml", apiserver_pod, 0600, 0);
	put(d, "etc/etcd/ca.crt", "etcd CA\n", 0644, 0);
	put(d, "etc/ssl/cluster-ca.crt", "cluster CA\n", 0644, 0);
	char rel[128];
	for (int i = 0; i < 40; i++) {
		snprintf(rel, sizeof(rel), "etc/kubernetes/pki/f%02d.crt", i);
		put(d, rel, "x", 0644, 0);
	}
	struct kc_test t = { .fact = KC_FACT_QUERY, .query = (char *)"etcd.ca_distinct" };
	for (int fill = 0; fill < 40; fill++) {
		struct kc_node n;
		assert_int_equal(kc_node_open(&n, d, NULL), 0);
		for (int i = 0; i < fill; i++) {
			snprintf(rel, sizeof(rel), "/etc/kubernetes/pki/f%02d.crt", i);
			kc_node_file(&n, rel);
		}
		struct kc_result r;
		memset(&r, 0, sizeof(r));
		struct kc_nodequery_out out;
		assert_int_equal(kc_nodequery_run(&n, &t, &r, &out), 1);
		assert_int_equal(out.undecided, 0);
		assert_string_equal(out.value, "true");
		kc_nodequery_out_clear(&out);
		kc_result_clear(&r);
		kc_node_free(&n);
	}
	kc_test_rmtree(d);
	free(d);
}

/* A cached entry's address is stable for the node's lifetime (the contract callers rely on). */
static void test_file_cache_entries_stable(void **state)
{
	(void)state;
	char *d = tree();
	put(d, "etc/a.conf", "a: 1\n", 0600, 0);
	struct kc_node n;
	assert_int_equal(kc_node_open(&n, d, NULL), 0);
	const struct kc_filefact *first = kc_node_file(&n, "/etc/a.conf");
	const struct kc_yamlfile *y = kc_node_yaml(&n, "/etc/a.conf");
	char rel[64];
	for (int i = 0; i < 300; i++) {
		snprintf(rel, sizeof(rel), "/missing/%d", i);
		kc_node_file(&n, rel);
		kc_node_yaml(&n, rel);
	}
	assert_ptr_equal(first, kc_node_file(&n, "/etc/a.conf"));
	assert_ptr_equal(y, kc_node_yaml(&n, "/etc/a.conf"));
	assert_string_equal(first->path, "/etc/a.conf");
	assert_int_equal(first->err, 0);
	kc_node_free(&n);
	kc_test_rmtree(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_cache_growth_keeps_entries),
		cmocka_unit_test(test_file_cache_entries_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
