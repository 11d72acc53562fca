/* Node verdicts decided as the components decide them: each test is one rule of
 * docs/node-checks.md, named after the upstream behaviour, on a small node tree written for
 * it. The rules' sources are cited in the docs next to each. */
#include "kc_test.h"
#include "node_tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/benchmark.h"
#include "checks/engine.h"
#include "checks/node.h"
#include "common/error.h"

static const char kubelet_unit_cfg[] =
	"[Service]\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --config-dir=/etc/kubernetes/kubelet.conf.d\n";
static const char cfg_head[] = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n";

static char *kubelet_tree(const char *config_body)
{
	char *d = kc_test_mkdtemp();
	char buf[2048];
	put(d, "etc/systemd/system/kubelet.service", kubelet_unit_cfg, 0644, 0);
	snprintf(buf, sizeof(buf), "%s%s", cfg_head, config_body);
	put(d, "var/lib/kubelet/config.yaml", buf, 0600, 0);
	/* the kubelet refuses to start when --config-dir cannot be walked */
	put_dir(d, "etc/kubernetes/kubelet.conf.d", 0755, 0);
	return d;
}

static void dropin(const char *d, const char *rel, const char *body)
{
	char path[512], buf[2048];
	snprintf(path, sizeof(path), "etc/kubernetes/kubelet.conf.d/%s", rel);
	snprintf(buf, sizeof(buf), "%s%s", cfg_head, body);
	put(d, path, buf, 0600, 0);
}

static void expect_node(const char *d, const char *proc, const char *id, enum kc_status want, const char *layer,
			const char *src)
{
	struct audit a;
	audit_tree(&a, d, proc, "cis-1.12", "master,etcd,controlplane,node");
	expect(&a, id, want);
	if (layer)
		assert_true(has_layer(&a, id, layer, src));
	audit_free(&a);
}

static const char *reason_of(struct audit *a, const char *id)
{
	const struct kc_result *r = result(a, id);
	return r->reason ? r->reason : "";
}

static void done(char *d)
{
	kc_test_rmtree(d);
	free(d);
}

/* ---- kubelet: cmd/kubelet/app/server.go mergeKubeletConfigurations -------------------- */

static void test_kubelet_config_dir_walked_recursively_in_lexical_order(void **state)
{
	(void)state;
	char *d = kubelet_tree("readOnlyPort: 10255\n");
	dropin(d, "10-a.conf", "readOnlyPort: 10255\n");
	dropin(d, "20-sub/05-b.conf", "readOnlyPort: 0\n");   /* a subdirectory, walked at its place */
	dropin(d, "30-ignored.yaml", "readOnlyPort: 10255\n"); /* not *.conf: never merged */
	expect_node(d, NULL, "4.2.4", KC_PASS, "config-dir", "20-sub/05-b.conf");
	dropin(d, "25-c.conf", "readOnlyPort: 10255\n"); /* "25-c.conf" sorts after "20-sub" */
	expect_node(d, NULL, "4.2.4", KC_FAIL, "config-dir", "25-c.conf");
	done(d);
}

static void test_kubelet_zero_duration_in_config_is_defaulted_after_merge(void **state)
{
	(void)state;
	/* SetDefaults_KubeletConfiguration: StreamingConnectionIdleTimeout == 0 -> 4h. The
	 * kubelet runs with 4h, so 4.2.5 passes; a flag is applied after the defaulting and
	 * keeps 0. */
	char *d = kubelet_tree("streamingConnectionIdleTimeout: 0s\n");
	expect_node(d, NULL, "4.2.5", KC_PASS, "default", NULL);
	dropin(d, "10-zero.conf", "streamingConnectionIdleTimeout: \"0\"\n");
	expect_node(d, NULL, "4.2.5", KC_PASS, "default", NULL);
	put(d, "etc/systemd/system/kubelet.service.d/20-timeout.conf",
	    "[Service]\nEnvironment=\"KUBELET_EXTRA_ARGS=--streaming-connection-idle-timeout=0\"\nExecStart=\n"
	    "ExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml $KUBELET_EXTRA_ARGS\n", 0644, 0);
	expect_node(d, NULL, "4.2.5", KC_FAIL, "systemd", "20-timeout.conf");
	done(d);
}

static void test_kubelet_duration_as_go_parses_it(void **state)
{
	(void)state;
	/* 1.5h is 5400s (time.ParseDuration); a plain number is not a metav1.Duration and the
	 * kubelet would not start */
	char *d = kubelet_tree("streamingConnectionIdleTimeout: 1.5h\n");
	expect_node(d, NULL, "4.2.5", KC_PASS, "config-file", NULL);
	/* 500ms is not 0: a fraction of a second does not round down to "not set to 0" */
	put(d, "var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\nstreamingConnectionIdleTimeout: 500ms\n", 0600, 0);
	expect_node(d, NULL, "4.2.5", KC_PASS, "config-file", NULL);
	put(d, "var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\nstreamingConnectionIdleTimeout: 300\n", 0600, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.2.5", KC_ERROR);
	assert_non_null(strstr(reason_of(&a, "4.2.5"), "config.yaml:2"));
	audit_free(&a);
	done(d);
}

static void test_kubelet_dropin_null_removes_key_so_default_decides(void **state)
{
	(void)state;
	/* a JSON merge patch null deletes the key; the defaulting after the merge sets
	 * anonymous.enabled to false whatever the base file said */
	char *d = kubelet_tree("authentication:\n  anonymous: {enabled: true}\n");
	expect_node(d, NULL, "4.2.1", KC_FAIL, "config-file", NULL);
	dropin(d, "50-null.conf", "authentication:\n  anonymous:\n    enabled: ~\n");
	expect_node(d, NULL, "4.2.1", KC_PASS, "default", NULL);
	/* a null in the base file is only "unset": a drop-in below... there is none; the
	 * default decides as well */
	done(d);
}

static void test_kubelet_yaml11_booleans_decoded_as_the_kubelet_does(void **state)
{
	(void)state;
	char *d = kubelet_tree("authentication:\n  anonymous: {enabled: off}\nmakeIPTablesUtilChains: on\nrotateCertificates: yes\n");
	expect_node(d, NULL, "4.2.1", KC_PASS, "config-file", NULL);
	expect_node(d, NULL, "4.2.6", KC_PASS, "config-file", NULL);
	expect_node(d, NULL, "4.2.10", KC_PASS, "config-file", NULL);
	/* a quoted "false" is a string where a bool is declared: the kubelet cannot decode it */
	put(d, "var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\nauthentication:\n  anonymous: {enabled: \"false\"}\n",
	    0600, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.2.1", KC_ERROR);
	assert_non_null(strstr(reason_of(&a, "4.2.1"), "expected a boolean"));
	audit_free(&a);
	done(d);
}

static void test_kubelet_merge_key_applies_the_anchor(void **state)
{
	(void)state;
	/* without merge keys, authentication would look empty and the safe default would PASS */
	char *d = kubelet_tree("x-weak: &weak\n  anonymous: {enabled: true}\nauthentication:\n  <<: *weak\n  webhook: {enabled: true}\n");
	expect_node(d, NULL, "4.2.1", KC_FAIL, "config-file", NULL);
	done(d);
}

static void test_kubelet_duplicate_key_is_error_with_file_and_line(void **state)
{
	(void)state;
	char *d = kubelet_tree("readOnlyPort: 0\nreadOnlyPort: 10255\n");
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.2.4", KC_ERROR);
	print_message("%s\n", reason_of(&a, "4.2.4"));
	assert_non_null(strstr(reason_of(&a, "4.2.4"), "/var/lib/kubelet/config.yaml:4:1: mapping key \"readOnlyPort\" already defined at line 3"));
	audit_free(&a);
	done(d);
}

static void test_kubelet_flag_bool_parsed_by_strconv(void **state)
{
	(void)state;
	/* pflag's bool Set is strconv.ParseBool: "0" is false */
	char *d = kubelet_tree("authentication:\n  anonymous: {enabled: true}\n");
	put(d, "etc/systemd/system/kubelet.service.d/20-anon.conf",
	    "[Service]\nExecStart=\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --anonymous-auth=0\n", 0644, 0);
	expect_node(d, NULL, "4.2.1", KC_PASS, "systemd", "20-anon.conf");
	done(d);
}

/* ---- kube-apiserver: pflag stringSlice ---------------------------------------------------- */

static void apiserver_pod(const char *d, const char *args)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver}\nspec:\n  containers:\n  - name: kube-apiserver\n"
		 "    image: registry.k8s.io/kube-apiserver:v1.32.1\n    command:\n    - kube-apiserver\n%s",
		 args);
	put(d, "etc/kubernetes/manifests/kube-apiserver.yaml", buf, 0600, 0);
}

static void test_apiserver_repeated_authorization_mode_accumulates(void **state)
{
	(void)state;
	/* --authorization-mode is a StringSlice: both occurrences are in effect, AlwaysAllow
	 * included — last-wins would report Node,RBAC and pass 1.2.6 */
	char *d = kc_test_mkdtemp();
	apiserver_pod(d, "    - --authorization-mode=AlwaysAllow\n    - --authorization-mode=Node,RBAC\n");
	expect_node(d, NULL, "1.2.6", KC_FAIL, NULL, NULL);
	expect_node(d, NULL, "1.2.7", KC_PASS, NULL, NULL);
	done(d);
}

static void test_apiserver_authorization_config_replaces_the_mode_flag(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	apiserver_pod(d, "    - --authorization-config=/etc/kubernetes/authz.yaml\n");
	put(d, "etc/kubernetes/authz.yaml",
	    "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n"
	    "- {type: Node, name: node}\n- {type: RBAC, name: rbac}\n", 0600, 0);
	/* no --authorization-mode: its default (AlwaysAllow) would FAIL a correct node */
	expect_node(d, NULL, "1.2.6", KC_PASS, NULL, NULL);
	expect_node(d, NULL, "1.2.7", KC_PASS, NULL, NULL);
	expect_node(d, NULL, "1.2.8", KC_PASS, NULL, NULL);
	put(d, "etc/kubernetes/authz.yaml",
	    "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n"
	    "- {type: AlwaysAllow, name: all}\n", 0600, 0);
	expect_node(d, NULL, "1.2.6", KC_FAIL, NULL, NULL);
	done(d);
}

static void test_apiserver_authentication_config_decides_anonymous_when_it_sets_it(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	apiserver_pod(d, "    - --authentication-config=/etc/kubernetes/authn.yaml\n");
	put(d, "etc/kubernetes/authn.yaml",
	    "apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: false\n",
	    0600, 0);
	expect_node(d, NULL, "1.2.1", KC_PASS, NULL, NULL);
	/* the file does not set it: --anonymous-auth (default true) decides */
	put(d, "etc/kubernetes/authn.yaml", "apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\n",
	    0600, 0);
	expect_node(d, NULL, "1.2.1", KC_FAIL, NULL, NULL);
	done(d);
}

static void test_encryption_most_specific_resource_entry_wins(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	apiserver_pod(d, "    - --encryption-provider-config=/etc/kubernetes/enc.yaml\n");
	/* secrets are encrypted; everything else is not: the exact entry decides */
	put(d, "etc/kubernetes/enc.yaml",
	    "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
	    "- resources: [\"*.*\"]\n  providers: [{identity: {}}]\n"
	    "- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: k, secret: c2VjcmV0}]}}, {identity: {}}]\n",
	    0600, 0);
	expect_node(d, NULL, "1.2.28", KC_PASS, NULL, NULL);
	/* the core group's wildcard beats *.* */
	put(d, "etc/kubernetes/enc.yaml",
	    "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
	    "- resources: [\"*.*\"]\n  providers: [{aescbc: {keys: [{name: k, secret: c2VjcmV0}]}}]\n"
	    "- resources: [\"*.\"]\n  providers: [{identity: {}}]\n",
	    0600, 0);
	expect_node(d, NULL, "1.2.28", KC_FAIL, NULL, NULL);
	done(d);
}

/* ---- kube-scheduler: deprecated flags ignored with --config ------------------------------- */

static void test_scheduler_config_governs_and_deprecated_profiling_flag_is_ignored(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	apiserver_pod(d, "    - --authorization-mode=Node,RBAC\n"); /* the master target */
	put(d, "etc/kubernetes/manifests/kube-scheduler.yaml",
	    "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-scheduler}\nspec:\n  containers:\n  - name: kube-scheduler\n"
	    "    image: registry.k8s.io/kube-scheduler:v1.32.1\n    command:\n    - kube-scheduler\n"
	    "    - --config=/etc/kubernetes/scheduler-config.yaml\n    - --profiling=false\n    - --bind-address=127.0.0.1\n"
	    "    - --kubeconfig=/etc/kubernetes/ignored.conf\n",
	    0600, 0);
	/* enableProfiling unset: KubeSchedulerConfiguration defaults it to true */
	put(d, "etc/kubernetes/scheduler-config.yaml",
	    "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
	    "clientConnection:\n  kubeconfig: /etc/kubernetes/scheduler.conf\n",
	    0600, 0);
	put(d, "etc/kubernetes/scheduler.conf", "apiVersion: v1\nkind: Config\n", 0644, 0);
	put(d, "etc/kubernetes/ignored.conf", "apiVersion: v1\nkind: Config\n", 0600, 0);
	expect_node(d, NULL, "1.4.1", KC_FAIL, NULL, NULL);
	/* 1.1.15: the kubeconfig in use is clientConnection.kubeconfig (mode 644 fails) */
	expect_node(d, NULL, "1.1.15", KC_FAIL, NULL, NULL);
	put(d, "etc/kubernetes/scheduler-config.yaml",
	    "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nenableProfiling: false\n"
	    "clientConnection:\n  kubeconfig: /etc/kubernetes/scheduler.conf\n",
	    0600, 0);
	expect_node(d, NULL, "1.4.1", KC_PASS, NULL, NULL);
	done(d);
}

/* ---- kube-proxy: the file replaces the flags; read through the process's root ------------- */

static void test_kube_proxy_config_read_through_process_root_and_governs_flags(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	char proc[1024];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	put(d, "etc/systemd/system/kubelet.service", "[Service]\nExecStart=/usr/bin/kubelet\n", 0644, 0); /* the node target */
	/* the flag says localhost, the file (only inside the container) says every interface:
	 * kube-proxy runs with the file */
	put_cmdline(d, 300, "/usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf "
			    "--metrics-bind-address=127.0.0.1:10249 --hostname-override=n1");
	put(d, "proc/300/root/var/lib/kube-proxy/config.conf",
	    "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmetricsBindAddress: 0.0.0.0:10249\n", 0644, 0);
	struct audit a;
	audit_tree(&a, d, proc, "cis-1.12", "node");
	expect(&a, "4.3.1", KC_FAIL);
	const struct kc_result *r = result(&a, "4.3.1");
	int seen_view = 0, seen_ignored = 0;
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct kc_evidence *e = &r->evidence[i];
		if (e->layer && strcmp(e->layer, "config-file (process root)") == 0)
			seen_view = 1;
		if (e->detail && strstr(e->detail, "ignored"))
			seen_ignored = 1;
	}
	assert_true(seen_view);
	assert_true(seen_ignored);
	audit_free(&a);
	done(d);
}

/* ---- etcd: server/etcdmain/config.go ------------------------------------------------------ */

static void etcd_pod(const char *d, const char *args, const char *env)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: etcd}\nspec:\n  containers:\n  - name: etcd\n"
		 "    image: registry.k8s.io/etcd:3.5.16-0\n    command:\n    - etcd\n%s%s",
		 args, env);
	put(d, "etc/kubernetes/manifests/etcd.yaml", buf, 0600, 0);
}

static void test_etcd_config_file_governs_over_flags_and_env(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/etcd/etcd.yaml", "client-transport-security:\n  client-cert-auth: false\n", 0600, 0);
	etcd_pod(d, "    - --config-file=/etc/etcd/etcd.yaml\n    - --client-cert-auth=true\n",
		 "    env:\n    - {name: ETCD_CLIENT_CERT_AUTH, value: \"true\"}\n");
	expect_node(d, NULL, "2.2", KC_FAIL, NULL, NULL);
	/* ETCD_CONFIG_FILE names it too */
	etcd_pod(d, "    - --client-cert-auth=true\n", "    env:\n    - {name: ETCD_CONFIG_FILE, value: /etc/etcd/etcd.yaml}\n");
	expect_node(d, NULL, "2.2", KC_FAIL, NULL, NULL);
	/* YAML 1.1: "on" is true for etcd's typed config */
	put(d, "etc/etcd/etcd.yaml", "client-transport-security:\n  client-cert-auth: on\n", 0600, 0);
	expect_node(d, NULL, "2.2", KC_PASS, NULL, NULL);
	/* a config file that is not there: etcd would not start — undecidable, not a default */
	etcd_pod(d, "    - --config-file=/etc/etcd/missing.yaml\n    - --client-cert-auth=true\n", "");
	expect_node(d, NULL, "2.2", KC_ERROR, NULL, NULL);
	done(d);
}

static void test_etcd_env_is_a_flag_when_no_config_file(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	etcd_pod(d, "", "    env:\n    - {name: ETCD_CLIENT_CERT_AUTH, value: \"1\"}\n");
	expect_node(d, NULL, "2.2", KC_PASS, NULL, NULL);
	/* the command line beats the variable */
	etcd_pod(d, "    - --client-cert-auth=false\n", "    env:\n    - {name: ETCD_CLIENT_CERT_AUTH, value: \"true\"}\n");
	expect_node(d, NULL, "2.2", KC_FAIL, NULL, NULL);
	done(d);
}

/* ---- unit files in effect (systemd.unit(5) search path, drop-ins, masking) ---------------- */

static void test_unit_files_in_effect_are_judged_not_a_fixed_kubeadm_path(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	/* no kubeadm drop-in: the unit lives in /usr/lib, a drop-in in /etc */
	put(d, "usr/lib/systemd/system/kubelet.service", "[Service]\nExecStart=/usr/bin/kubelet\n", 0644, 0);
	put(d, "etc/systemd/system/kubelet.service.d/20-local.conf", "[Service]\nEnvironment=A=1\n", 0600, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.1.1", KC_FAIL);
	assert_non_null(strstr(result(&a, "4.1.1")->actual, "/usr/lib/systemd/system/kubelet.service has mode 644"));
	audit_free(&a);
	put(d, "usr/lib/systemd/system/kubelet.service", "[Service]\nExecStart=/usr/bin/kubelet\n", 0600, 0);
	expect_node(d, NULL, "4.1.1", KC_PASS, NULL, NULL);
	/* masked: a link to /dev/null earlier on the search path; systemd does not start it */
	char link[1024];
	snprintf(link, sizeof(link), "%s/etc/systemd/system/kubelet.service", d);
	assert_int_equal(symlink("/dev/null", link), 0);
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.1.1", KC_WARN);
	assert_non_null(strstr(reason_of(&a, "4.1.1"), "masked"));
	audit_free(&a);
	done(d);
}

/* ---- missing things ---------------------------------------------------------------------- */

static void test_kubelet_missing_config_file_is_undecided_not_flag_defaults(void **state)
{
	(void)state;
	/* kind's image names /var/lib/kubelet/config.yaml, written only at boot: the kubelet
	 * would not start without it, so the flags' defaults (anonymous on) are not what runs */
	char *d = kc_test_mkdtemp();
	put(d, "etc/systemd/system/kubelet.service",
	    "[Service]\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\n", 0600, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.2.1", KC_WARN);
	assert_non_null(strstr(reason_of(&a, "4.2.1"), "does not exist"));
	audit_free(&a);
	done(d);
}

static void test_owner_id_0_is_root_without_a_passwd_file(void **state)
{
	(void)state;
	need_root();
	/* no /etc/passwd in the tree: uid 0 is still root */
	char *d = kubelet_tree("readOnlyPort: 0\n");
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.1.10", KC_PASS);
	assert_non_null(strstr(result(&a, "4.1.10")->actual, "owned by root:root"));
	audit_free(&a);
	done(d);
}

static void test_component_absent_is_warn_not_found_never_a_default_verdict(void **state)
{
	(void)state;
	/* a kubelet but no kube-proxy: 4.3.1 would PASS from kube-proxy's default otherwise */
	char *d = kubelet_tree("readOnlyPort: 0\n");
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.3.1", KC_WARN);
	assert_non_null(strstr(reason_of(&a, "4.3.1"), "kube-proxy not found"));
	audit_free(&a);
	done(d);
}

static void test_unparsable_config_is_error_with_file_line_never_not_found(void **state)
{
	(void)state;
	char *d = kubelet_tree("authentication: [unclosed\n");
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.2.1", KC_ERROR);
	assert_non_null(strstr(reason_of(&a, "4.2.1"), "/var/lib/kubelet/config.yaml:"));
	audit_free(&a);
	done(d);
}

static void test_missing_benchmark_file_is_warn_unless_audit_says_if_it_exists(void **state)
{
	(void)state;
	/* kubelet.conf named by the benchmark is absent: WARN; the proxy kubeconfig's check
	 * reads "if it exists": PASS */
	char *d = kubelet_tree("readOnlyPort: 0\n");
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.1.5", KC_WARN);
	assert_non_null(strstr(reason_of(&a, "4.1.5"), "does not exist"));
	expect(&a, "4.1.3", KC_PASS);
	audit_free(&a);
	done(d);
}

static void test_empty_root_exits_2_unless_targets_given(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	char db[1024];
	snprintf(db, sizeof(db), "%s.db", d);
	char *out = NULL;
	int rc = kc_test_run(&out, (const char *const[]){ "audit", "--root", d, "--db", db, "--quiet", NULL });
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "no Kubernetes component found"));
	free(out);
	rc = kc_test_run(&out, (const char *const[]){ "audit", "--root", d, "--db", db, "--quiet", "--targets", "node", NULL });
	assert_int_equal(rc, 0);
	free(out);
	unlink(db);
	done(d);
}

static void test_terminal_shows_reasons_of_warn_and_skip_without_null_or_repeats(void **state)
{
	(void)state;
	char *d = kubelet_tree("readOnlyPort: 0\n");
	char db[1024];
	snprintf(db, sizeof(db), "%s.db", d);
	char *out = NULL;
	int rc = kc_test_run(&out, (const char *const[]){ "audit", "--root", d, "--db", db, "--benchmark", "cis-1.12", "--check",
							   "1.2.1,4.3.1", NULL });
	assert_true(rc == 0 || rc == 1);
	/* WARN (kube-proxy absent) and SKIP (no API server) lines say why, in the default output */
	assert_non_null(strstr(out, "[WARN] 4.3.1"));
	assert_non_null(strstr(out, "reason:   kube-proxy not found on this node"));
	assert_non_null(strstr(out, "[SKIP] 1.2.1"));
	assert_non_null(strstr(out, "reason:   no kube-apiserver"));
	assert_null(strstr(out, "(null)"));
	free(out);
	unlink(db);
	done(d);
}

/* k3s installed (its config file) but neither its process nor its unit visible: the k3s
 * variant is chosen for the paths, and the reason says the components are not found */
static void test_k3s_detected_without_its_command_line_benchmark_auto_says_components_not_found(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/rancher/k3s/config.yaml", "write-kubeconfig-mode: \"0600\"\n", 0600, 0);
	struct kc_node n;
	assert_int_equal(kc_node_open(&n, d, NULL), 0);
	const char *why = NULL;
	char *b = kc_benchmark_resolve("auto", &n, NULL, &why, NULL);
	assert_string_equal(b, "k3s-cis-1.12");
	assert_non_null(strstr(why, "k3s detected (/etc/rancher/k3s/config.yaml exists): k3s-cis-1.12, the k3s variant; "
				    "no k3s server or agent process or unit was found"));
	free(b);
	kc_node_clear(&n);
	done(d);
}

/* ---- one error space -------------------------------------------------------------------- */

static void test_project_error_codes_never_collide_with_errno(void **state)
{
	(void)state;
	static const int codes[] = { KC_EGENERIC, KC_EINVAL, KC_ENOTFOUND, KC_EIO, KC_EUNSAFE, KC_EDB };
	for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++) {
		assert_false(kc_error_is_errno(codes[i]));
		assert_true(codes[i] < -KC_ERRNO_MAX);
		assert_string_not_equal(kc_error_name(codes[i]), "unknown error");
	}
	assert_true(kc_error_is_errno(-ENOENT));
	assert_string_equal(kc_error_name(-ENOENT), strerror(ENOENT));
	/* the collision that turned a parse error into "file not found" */
	assert_int_not_equal(KC_EINVAL, -ENOENT);
	/* no "(null)" reason: an empty error buffer reads as a sentence */
	kc_error_clear();
	assert_string_equal(kc_error_last(), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubelet_config_dir_walked_recursively_in_lexical_order),
		cmocka_unit_test(test_kubelet_zero_duration_in_config_is_defaulted_after_merge),
		cmocka_unit_test(test_kubelet_duration_as_go_parses_it),
		cmocka_unit_test(test_kubelet_dropin_null_removes_key_so_default_decides),
		cmocka_unit_test(test_kubelet_yaml11_booleans_decoded_as_the_kubelet_does),
		cmocka_unit_test(test_kubelet_merge_key_applies_the_anchor),
		cmocka_unit_test(test_kubelet_duplicate_key_is_error_with_file_and_line),
		cmocka_unit_test(test_kubelet_flag_bool_parsed_by_strconv),
		cmocka_unit_test(test_apiserver_repeated_authorization_mode_accumulates),
		cmocka_unit_test(test_apiserver_authorization_config_replaces_the_mode_flag),
		cmocka_unit_test(test_apiserver_authentication_config_decides_anonymous_when_it_sets_it),
		cmocka_unit_test(test_encryption_most_specific_resource_entry_wins),
		cmocka_unit_test(test_scheduler_config_governs_and_deprecated_profiling_flag_is_ignored),
		cmocka_unit_test(test_kube_proxy_config_read_through_process_root_and_governs_flags),
		cmocka_unit_test(test_etcd_config_file_governs_over_flags_and_env),
		cmocka_unit_test(test_etcd_env_is_a_flag_when_no_config_file),
		cmocka_unit_test(test_unit_files_in_effect_are_judged_not_a_fixed_kubeadm_path),
		cmocka_unit_test(test_kubelet_missing_config_file_is_undecided_not_flag_defaults),
		cmocka_unit_test(test_owner_id_0_is_root_without_a_passwd_file),
		cmocka_unit_test(test_component_absent_is_warn_not_found_never_a_default_verdict),
		cmocka_unit_test(test_unparsable_config_is_error_with_file_line_never_not_found),
		cmocka_unit_test(test_missing_benchmark_file_is_warn_unless_audit_says_if_it_exists),
		cmocka_unit_test(test_empty_root_exits_2_unless_targets_given),
		cmocka_unit_test(test_terminal_shows_reasons_of_warn_and_skip_without_null_or_repeats),
		cmocka_unit_test(test_k3s_detected_without_its_command_line_benchmark_auto_says_components_not_found),
		cmocka_unit_test(test_project_error_codes_never_collide_with_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
