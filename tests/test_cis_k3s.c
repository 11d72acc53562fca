/* The k3s variant (k3s-cis-1.12) and the model behind it: one `k3s server` / `k3s agent`
 * process runs the components, each with k3s's built-in arguments overridden by the
 * --kube-*-arg pass-through values, from k3s's command line and its merged config file
 * (config.yaml, then config.yaml.d in lexical order, `key+:` appending). Hardened and weak
 * server trees are written here with the expected status of every check of sections 1-4;
 * the model's rules each have a test named after the k3s behaviour. */
#include "kc_test.h"
#include "node_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/benchmark.h"
#include "store/run.h"
#include "checks/engine.h"
#include "checks/node.h"
#include "checks/policy.h"
#include "common/error.h"

#define SECTIONS_1_4 "master,etcd,controlplane,node"
#define K3S_TLS "/var/lib/rancher/k3s/server/tls/"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\nnobody:x:1000:1000::/:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\nnobody:x:1000:\n";
static const char kubeconfig[] = "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n";

/* The hardening of k3s's CIS guide, split over the config file and a drop-in that appends
 * (`kube-apiserver-arg+:`) to the file's list. */
static const char config_hard[] =
	"protect-kernel-defaults: true\nsecrets-encryption: yes\n"
	"kube-apiserver-arg:\n"
	"  - enable-admission-plugins=NodeRestriction,EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs\n"
	"  - admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml\n"
	"  - audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log\n"
	"  - audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml\n"
	"kube-controller-manager-arg:\n  - terminated-pod-gc-threshold=10\n"
	"  - feature-gates=RotateKubeletServerCertificate=true\n"
	"kubelet-arg:\n  - streaming-connection-idle-timeout=5m\n  - make-iptables-util-chains=true\n"
	"  - rotate-certificates=true\n  - feature-gates=RotateKubeletServerCertificate=true\n"
	"  - tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
	"  - pod-max-pids=4096\n  - seccomp-default=true\n  - event-qps=5\n"
	"kube-proxy-arg:\n  - metrics-bind-address=127.0.0.1:10249\n";
static const char dropin_hard[] =
	"kube-apiserver-arg+:\n  - audit-log-maxage=30\n  - audit-log-maxbackup=10\n  - audit-log-maxsize=100\n"
	"  - service-account-lookup=true\n  - service-account-extend-token-expiration=false\n"
	"  - tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n";
/* Each weakness is a pass-through value replacing k3s's own (GetArgs: a passed key
 * replaces the default) */
static const char config_weak[] =
	"write-kubeconfig-mode: \"0644\"\n"
	"kube-apiserver-arg:\n  - anonymous-auth=true\n  - authorization-mode=AlwaysAllow\n  - profiling=true\n"
	"  - token-auth-file=/etc/rancher/k3s/tokens.csv\n  - enable-admission-plugins=AlwaysAdmit\n"
	"  - disable-admission-plugins=ServiceAccount,NamespaceLifecycle\n  - service-account-lookup=false\n"
	"  - tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA\n  - audit-log-maxage=7\n"
	"kube-controller-manager-arg:\n  - profiling=true\n  - use-service-account-credentials=false\n"
	"  - bind-address=0.0.0.0\n  - feature-gates=RotateKubeletServerCertificate=false\n"
	"kube-scheduler-arg:\n  - profiling=true\n  - bind-address=0.0.0.0\n"
	"kubelet-arg:\n  - anonymous-auth=true\n  - authorization-mode=AlwaysAllow\n  - read-only-port=10255\n"
	"  - streaming-connection-idle-timeout=0\n  - make-iptables-util-chains=false\n  - event-qps=-1\n"
	"  - rotate-certificates=false\n  - feature-gates=RotateKubeletServerCertificate=false\n"
	"  - tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA\n"
	"kube-proxy-arg:\n  - metrics-bind-address=0.0.0.0:10249\n";

/* the etcd configuration k3s writes for its embedded etcd */
static const char etcd_cfg_hard[] =
	"data-dir: /var/lib/rancher/k3s/server/db/etcd\nclient-transport-security:\n"
	"  cert-file: " K3S_TLS "etcd/server-client.crt\n  key-file: " K3S_TLS "etcd/server-client.key\n"
	"  client-cert-auth: true\n  trusted-ca-file: " K3S_TLS "etcd/server-ca.crt\npeer-transport-security:\n"
	"  cert-file: " K3S_TLS "etcd/peer-server-client.crt\n  key-file: " K3S_TLS "etcd/peer-server-client.key\n"
	"  client-cert-auth: true\n  trusted-ca-file: " K3S_TLS "etcd/peer-ca.crt\n";
static const char etcd_cfg_weak[] =
	"data-dir: /var/lib/rancher/k3s/server/db/etcd\nclient-transport-security:\n  auto-tls: true\n"
	"  client-cert-auth: false\n  trusted-ca-file: " K3S_TLS "client-ca.crt\npeer-transport-security:\n"
	"  auto-tls: true\n  trusted-ca-file: " K3S_TLS "client-ca.crt\n";
static const char encryption[] =
	"{\"kind\": \"EncryptionConfiguration\", \"apiVersion\": \"apiserver.config.k8s.io/v1\", \"resources\": [{\"resources\": [\"secrets\"],"
	" \"providers\": [{\"aescbc\": {\"keys\": [{\"name\": \"aescbckey\", \"secret\": \"dGVzdC1vbmx5LW5vdC1hLXJlYWwta2V5LTMyYnl0ZXMh\"}]}},"
	" {\"identity\": {}}]}]}\n";
static const char audit_hard[] =
	"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources:\n  - group: \"\"\n"
	"    resources: [secrets, configmaps]\n- level: RequestResponse\n  resources:\n  - group: \"\"\n    resources: [pods/exec]\n"
	"- level: Request\n";

static void build_k3s(const char *d, int weak)
{
	unsigned bad = weak ? NOBODY : 0;
	unsigned m600 = weak ? 0644 : 0600;
	put(d, "etc/passwd", passwd, 0644, 0);
	put(d, "etc/group", group, 0644, 0);
	put(d, "etc/rancher/k3s/config.yaml", weak ? config_weak : config_hard, 0600, 0);
	if (!weak)
		put(d, "etc/rancher/k3s/config.yaml.d/50-cis.yaml", dropin_hard, 0600, 0);
	put_dir(d, "var/lib/rancher/k3s/server/db/etcd", weak ? 0755 : 0700, bad);
	put(d, "var/lib/rancher/k3s/server/db/etcd/config", weak ? etcd_cfg_weak : etcd_cfg_hard, 0600, 0);
	put(d, "var/lib/rancher/k3s/server/cred/admin.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/k3s/server/cred/scheduler.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/k3s/server/cred/controller.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/k3s/server/tls/client-ca.crt", "client CA\n", weak ? 0666 : 0644, 0);
	put(d, "var/lib/rancher/k3s/server/tls/server-ca.crt", "server CA\n", 0644, 0);
	put(d, "var/lib/rancher/k3s/server/tls/client-ca.key", "k\n", weak ? 0644 : 0600, 0);
	put(d, "var/lib/rancher/k3s/server/tls/etcd/server-ca.crt", "etcd CA\n", 0644, 0);
	put_dir(d, "var/lib/rancher/k3s/server/tls", 0755, bad);
	put(d, "etc/cni/net.d/10-flannel.conflist", "{\"cniVersion\": \"1.0.0\"}\n", m600, bad);
	if (!weak) {
		put(d, "var/lib/rancher/k3s/server/cred/encryption-config.json", encryption, 0600, 0);
		put(d, "var/lib/rancher/k3s/server/audit.yaml", audit_hard, 0600, 0);
	}
	put(d, "var/lib/rancher/k3s/agent/kubelet.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/k3s/agent/kubeproxy.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/k3s/agent/client-ca.crt", "client CA\n", m600, bad);
	/* one process runs everything; --cluster-init: etcd is embedded */
	put_cmdline(d, 77, "/usr/local/bin/k3s server --cluster-init");
}

/* Every check of k3s-cis-1.12 sections 1-4 on the hardened and the weak tree. The weak tree
 * overrides k3s's defaults where it can; what it leaves alone stays PASS on k3s's own value
 * (1.2.4/1.2.5 and 1.2.22-1.2.26: the certificates k3s passes; 1.3.4/1.3.5; 4.2.3 and
 * 4.2.9: the kubelet's client CA and serving certificate). 4.1.9/4.1.10: this k3s passes
 * the kubelet flags, no kubelet.conf.d exists ("if it exists": PASS). */
static const struct { const char *id; enum kc_status hard, weak; } k3s[] = {
	{ "1.1.1", KC_WARN, KC_WARN }, { "1.1.2", KC_WARN, KC_WARN }, { "1.1.3", KC_WARN, KC_WARN }, 
	{ "1.1.4", KC_WARN, KC_WARN }, { "1.1.5", KC_WARN, KC_WARN }, { "1.1.6", KC_WARN, KC_WARN }, 
	{ "1.1.7", KC_WARN, KC_WARN }, { "1.1.8", KC_WARN, KC_WARN }, { "1.1.9", KC_PASS, KC_FAIL }, 
	{ "1.1.10", KC_PASS, KC_FAIL }, { "1.1.11", KC_PASS, KC_FAIL }, { "1.1.12", KC_PASS, KC_FAIL }, 
	{ "1.1.13", KC_PASS, KC_FAIL }, { "1.1.14", KC_PASS, KC_FAIL }, { "1.1.15", KC_PASS, KC_FAIL }, 
	{ "1.1.16", KC_PASS, KC_FAIL }, { "1.1.17", KC_PASS, KC_FAIL }, { "1.1.18", KC_PASS, KC_FAIL }, 
	{ "1.1.19", KC_PASS, KC_FAIL }, { "1.1.20", KC_PASS, KC_FAIL }, { "1.1.21", KC_PASS, KC_FAIL }, 
	{ "1.2.1", KC_PASS, KC_FAIL }, { "1.2.2", KC_PASS, KC_FAIL }, { "1.2.3", KC_PASS, KC_FAIL }, 
	{ "1.2.4", KC_PASS, KC_PASS }, { "1.2.5", KC_PASS, KC_PASS }, { "1.2.6", KC_PASS, KC_FAIL }, 
	{ "1.2.7", KC_PASS, KC_FAIL }, { "1.2.8", KC_PASS, KC_FAIL }, { "1.2.9", KC_PASS, KC_FAIL }, 
	{ "1.2.10", KC_PASS, KC_FAIL }, { "1.2.11", KC_PASS, KC_FAIL }, { "1.2.12", KC_PASS, KC_FAIL }, 
	{ "1.2.13", KC_PASS, KC_FAIL }, { "1.2.14", KC_PASS, KC_FAIL }, { "1.2.15", KC_PASS, KC_FAIL }, 
	{ "1.2.16", KC_PASS, KC_FAIL }, { "1.2.17", KC_PASS, KC_FAIL }, { "1.2.18", KC_PASS, KC_FAIL }, 
	{ "1.2.19", KC_PASS, KC_FAIL }, { "1.2.20", KC_WARN, KC_WARN }, { "1.2.21", KC_PASS, KC_FAIL }, 
	{ "1.2.22", KC_PASS, KC_PASS }, { "1.2.23", KC_PASS, KC_PASS }, { "1.2.24", KC_PASS, KC_PASS }, 
	{ "1.2.25", KC_PASS, KC_PASS }, { "1.2.26", KC_PASS, KC_PASS }, { "1.2.27", KC_PASS, KC_FAIL }, 
	{ "1.2.28", KC_PASS, KC_FAIL }, { "1.2.29", KC_PASS, KC_FAIL }, { "1.2.30", KC_PASS, KC_FAIL }, 
	{ "1.3.1", KC_PASS, KC_FAIL }, { "1.3.2", KC_PASS, KC_FAIL }, { "1.3.3", KC_PASS, KC_FAIL }, 
	{ "1.3.4", KC_PASS, KC_PASS }, { "1.3.5", KC_PASS, KC_PASS }, { "1.3.6", KC_PASS, KC_FAIL }, 
	{ "1.3.7", KC_PASS, KC_FAIL }, { "1.4.1", KC_PASS, KC_FAIL }, { "1.4.2", KC_PASS, KC_FAIL }, 
	{ "2.1", KC_PASS, KC_FAIL }, { "2.2", KC_PASS, KC_FAIL }, { "2.3", KC_PASS, KC_FAIL }, 
	{ "2.4", KC_PASS, KC_FAIL }, { "2.5", KC_PASS, KC_FAIL }, { "2.6", KC_PASS, KC_FAIL }, 
	{ "2.7", KC_PASS, KC_FAIL }, { "3.1.1", KC_WARN, KC_WARN }, { "3.1.2", KC_WARN, KC_WARN }, 
	{ "3.1.3", KC_WARN, KC_WARN }, { "3.2.1", KC_PASS, KC_FAIL }, { "3.2.2", KC_PASS, KC_FAIL }, 
	{ "4.1.1", KC_WARN, KC_WARN }, { "4.1.2", KC_WARN, KC_WARN }, { "4.1.3", KC_PASS, KC_FAIL }, 
	{ "4.1.4", KC_PASS, KC_FAIL }, { "4.1.5", KC_PASS, KC_FAIL }, { "4.1.6", KC_PASS, KC_FAIL }, 
	{ "4.1.7", KC_PASS, KC_FAIL }, { "4.1.8", KC_PASS, KC_FAIL }, { "4.1.9", KC_PASS, KC_PASS }, 
	{ "4.1.10", KC_PASS, KC_PASS }, { "4.2.1", KC_PASS, KC_FAIL }, { "4.2.2", KC_PASS, KC_FAIL }, 
	{ "4.2.3", KC_PASS, KC_PASS }, { "4.2.4", KC_PASS, KC_FAIL }, { "4.2.5", KC_PASS, KC_FAIL }, 
	{ "4.2.6", KC_PASS, KC_FAIL }, { "4.2.7", KC_WARN, KC_WARN }, { "4.2.8", KC_PASS, KC_FAIL }, 
	{ "4.2.9", KC_PASS, KC_PASS }, { "4.2.10", KC_PASS, KC_FAIL }, { "4.2.11", KC_PASS, KC_FAIL }, 
	{ "4.2.12", KC_PASS, KC_FAIL }, { "4.2.13", KC_PASS, KC_FAIL }, { "4.2.14", KC_PASS, KC_FAIL }, 
	{ "4.3.1", KC_PASS, KC_FAIL }
};

/* Does some evidence of id come from a source containing src? */
static int ev_from(const struct audit *a, const char *id, const char *src)
{
	const struct kc_result *r = result(a, id);
	for (size_t i = 0; i < r->nevidence; i++)
		if (r->evidence[i].source && strstr(r->evidence[i].source, src))
			return 1;
	return 0;
}

static void run_k3s(int weak)
{
	need_root();
	char *d = kc_test_mkdtemp(), proc[1024];
	build_k3s(d, weak);
	snprintf(proc, sizeof(proc), "%s/proc", d);
	struct audit a;
	audit_tree(&a, d, proc, "k3s-cis-1.12", SECTIONS_1_4);
	size_t n = sizeof(k3s) / sizeof(*k3s);
	for (size_t i = 0; i < n; i++)
		expect(&a, k3s[i].id, weak ? k3s[i].weak : k3s[i].hard);
	assert_int_equal(a.run.nresults, n); /* the table covers every check of sections 1-4 */
	no_errors(&a);
	for (int i = 0; i < KC_COMP_COUNT; i++)
		assert_int_equal(kc_node_component(&a.node, (enum kc_component_id)i)->source, KC_SRC_K3S);
	/* evidence names what decided: k3s's own default, or the config file and line */
	if (weak) {
		assert_true(ev_from(&a, "1.2.1", "/etc/rancher/k3s/config.yaml:3"));
		assert_true(ev_from(&a, "1.2.4", "k3s default (pkg/daemons/control/server.go apiServer)"));
	} else {
		assert_true(ev_from(&a, "1.2.1", "k3s default (pkg/daemons/control/server.go apiServer)"));
		assert_true(ev_from(&a, "1.2.17", "/etc/rancher/k3s/config.yaml.d/50-cis.yaml:2"));
		assert_true(ev_from(&a, "4.2.4", "k3s default (pkg/daemons/agent"));
	}
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

static void test_k3s_hardened(void **state) { (void)state; run_k3s(0); }
static void test_k3s_weak(void **state) { (void)state; run_k3s(1); }

static void test_every_check_loads(void **state)
{
	(void)state;
	struct kc_policy_set set;
	memset(&set, 0, sizeof(set));
	if (kc_policy_load_dir(&set, "policies/k3s-cis-1.12") < 0)
		fail_msg("%s", kc_error_last());
	assert_int_equal(set.nchecks, 131);
	for (size_t i = 0; i < set.nchecks; i++) {
		assert_non_null(set.checks[i].remediation);
		if (strcmp(set.checks[i].type, "manual") == 0 && set.checks[i].ntests == 0)
			assert_non_null(set.checks[i].manual);
	}
	kc_policy_set_clear(&set);
}

/* ---- the model, rule by rule ----------------------------------------------------------- */

static struct kc_node *open_node(const char *d, int with_proc)
{
	static struct kc_node n;
	char proc[1024];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	assert_int_equal(kc_node_open(&n, d, with_proc ? proc : NULL), 0);
	return &n;
}

static const char *flag(struct kc_node *n, enum kc_component_id id, const char *name)
{
	return kc_flags_value(&kc_node_component(n, id)->flags, name);
}

/* The origin of the argument that set a flag (arg_origin of the winning occurrence). */
static const char *origin(struct kc_node *n, enum kc_component_id id, const char *name)
{
	const struct kc_component *c = kc_node_component(n, id);
	const struct kc_flag *f = kc_flags_get(&c->flags, name);
	assert_non_null(f);
	assert_true(f->index >= 0 && (size_t)f->index < c->nargs);
	return c->arg_origin[f->index];
}

/* configfilearg readConfigFile: config.yaml first, then config.yaml.d/ entries sorted by
 * name (*.yaml and *.yml of any case, not directories); a plain key replaces the value
 * so far, `key+:` appends to it. */
static void test_k3s_config_dropins_merge_in_lexical_order_and_plus_appends(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/rancher/k3s/config.yaml",
	    "kube-apiserver-arg:\n  - profiling=true\n  - audit-log-maxage=1\nkubelet-arg: [read-only-port=10255]\n", 0600, 0);
	/* 20 replaces the list of the main file (profiling=true is gone); 10 came before it */
	put(d, "etc/rancher/k3s/config.yaml.d/20-replace.yaml", "kube-apiserver-arg:\n  - audit-log-maxage=20\n", 0600, 0);
	put(d, "etc/rancher/k3s/config.yaml.d/10-first.yaml", "kube-apiserver-arg+: [audit-log-maxbackup=3]\n", 0600, 0);
	/* 30 appends to what 20 left; a .YML name counts, a .txt and a directory do not */
	put(d, "etc/rancher/k3s/config.yaml.d/30-append.YML", "kube-apiserver-arg+:\n  - audit-log-maxsize=300\n", 0600, 0);
	put(d, "etc/rancher/k3s/config.yaml.d/40-ignored.txt", "kube-apiserver-arg: [anonymous-auth=true]\n", 0600, 0);
	put_dir(d, "etc/rancher/k3s/config.yaml.d/50-dir.yaml", 0700, 0);
	/* the kubelet's list is appended to by a later file */
	put(d, "etc/rancher/k3s/config.yaml.d/60-kubelet.yaml", "kubelet-arg+: [read-only-port=0]\n", 0600, 0);
	put_cmdline(d, 10, "/usr/local/bin/k3s server");
	struct kc_node *n = open_node(d, 1);
	assert_string_equal(flag(n, KC_COMP_APISERVER, "profiling"), "false"); /* k3s's default again */
	assert_string_equal(origin(n, KC_COMP_APISERVER, "profiling"), "k3s default (pkg/daemons/control/server.go apiServer)");
	assert_string_equal(flag(n, KC_COMP_APISERVER, "audit-log-maxage"), "20");
	assert_null(flag(n, KC_COMP_APISERVER, "audit-log-maxbackup")); /* 10's append was replaced by 20 */
	assert_string_equal(flag(n, KC_COMP_APISERVER, "audit-log-maxsize"), "300");
	assert_non_null(strstr(origin(n, KC_COMP_APISERVER, "audit-log-maxsize"), "30-append.YML:2"));
	assert_string_equal(flag(n, KC_COMP_APISERVER, "anonymous-auth"), "false");
	/* both kubelet values reach the kubelet, in order: the last occurrence wins */
	assert_string_equal(flag(n, KC_COMP_KUBELET, "read-only-port"), "0");
	assert_non_null(strstr(origin(n, KC_COMP_KUBELET, "read-only-port"), "60-kubelet.yaml:1"));
	kc_node_clear(n);
	kc_test_rmtree(d);
	free(d);
}

/* k3s GetArgs: a passed key replaces k3s's value (not accumulated with it, even for a slice
 * flag); `key+=v` appends to k3s's value and `key-=v` prepends; the config file's values come
 * before the command line's (Parser.Parse inserts them first), so the command line wins. */
static void test_k3s_passthrough_args_replace_k3s_defaults_plus_appends_minus_prepends(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/rancher/k3s/config.yaml", "kube-apiserver-arg:\n  - audit-log-maxage=10\n", 0600, 0);
	put_cmdline(d, 10, "/usr/local/bin/k3s server --kube-apiserver-arg=authorization-mode=AlwaysAllow "
			   "--kube-apiserver-arg enable-admission-plugins+=EventRateLimit "
			   "--kube-apiserver-arg=audit-log-maxage=90 --kubelet-arg=--anonymous-auth=true "
			   "--kube-scheduler-arg=bind-address-=0.0.0.0");
	struct kc_node *n = open_node(d, 1);
	assert_string_equal(flag(n, KC_COMP_APISERVER, "authorization-mode"), "AlwaysAllow");
	assert_string_equal(flag(n, KC_COMP_APISERVER, "enable-admission-plugins"), "NodeRestriction,EventRateLimit");
	assert_string_equal(flag(n, KC_COMP_APISERVER, "audit-log-maxage"), "90");
	assert_non_null(strstr(origin(n, KC_COMP_APISERVER, "audit-log-maxage"), "/proc/10/cmdline"));
	assert_string_equal(flag(n, KC_COMP_KUBELET, "anonymous-auth"), "true"); /* "--" of the value stripped */
	assert_string_equal(flag(n, KC_COMP_APISERVER, "enable-bootstrap-token-auth"), "true");
	/* prepended: k3s's 127.0.0.1 comes after and, a scalar, wins */
	assert_string_equal(flag(n, KC_COMP_SCHEDULER, "bind-address"), "127.0.0.1");
	kc_node_clear(n);
	kc_test_rmtree(d);
	free(d);
}

/* k3s leaves --anonymous-auth and --authorization-mode unset when an --authentication-config
 * / --authorization-config is passed through (control/server.go apiServer, util.ArgValue):
 * the file decides then, as for any API server */
static void test_k3s_structured_auth_config_passed_through_drops_k3s_defaults(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/rancher/k3s/config.yaml",
	    "kube-apiserver-arg:\n  - authentication-config=/etc/rancher/k3s/authn.yaml\n"
	    "  - authorization-config=/etc/rancher/k3s/authz.yaml\n", 0600, 0);
	put(d, "etc/rancher/k3s/authn.yaml",
	    "apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: true\n", 0600, 0);
	put_cmdline(d, 10, "/usr/local/bin/k3s server");
	struct kc_node *n = open_node(d, 1);
	assert_null(flag(n, KC_COMP_APISERVER, "anonymous-auth"));
	assert_null(flag(n, KC_COMP_APISERVER, "authorization-mode"));
	kc_node_clear(n);
	char proc[1024];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	struct audit a;
	audit_tree(&a, d, proc, "k3s-cis-1.12", "master");
	expect(&a, "1.2.1", KC_FAIL); /* the file enables anonymous requests */
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* `k3s agent` runs the kubelet and kube-proxy only: the control plane is not found (never
 * judged on defaults), the kubelet is judged on k3s's agent defaults. */
static void test_k3s_agent_only_node_runs_kubelet_and_proxy(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "var/lib/rancher/k3s/agent/kubelet.kubeconfig", kubeconfig, 0600, 0);
	put_cmdline(d, 10, "/usr/local/bin/k3s agent --server https://10.0.0.1:6443 --token-file /etc/k3s-token");
	struct kc_node *n = open_node(d, 1);
	assert_int_equal(kc_node_component(n, KC_COMP_APISERVER)->source, KC_SRC_NONE);
	assert_int_equal(kc_node_component(n, KC_COMP_ETCD)->source, KC_SRC_NONE);
	assert_int_equal(kc_node_component(n, KC_COMP_KUBELET)->source, KC_SRC_K3S);
	assert_int_equal(kc_node_component(n, KC_COMP_PROXY)->source, KC_SRC_K3S);
	const char *why;
	assert_false(kc_node_has_target(n, "master", &why));
	assert_true(kc_node_has_target(n, "node", &why));
	kc_node_clear(n);
	struct audit a;
	char proc[1024];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	audit_tree(&a, d, proc, "k3s-cis-1.12", NULL);
	expect(&a, "4.2.1", KC_PASS);
	expect(&a, "4.2.4", KC_PASS);
	assert_true(ev_from(&a, "4.2.1", "k3s default (pkg/daemons/agent commonKubeletArgs)"));
	assert_int_not_equal(result(&a, "1.2.1")->status, KC_PASS);
	assert_int_not_equal(result(&a, "1.2.1")->status, KC_FAIL);
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* Newer k3s passes --config-dir=<data-dir>/agent/etc/kubelet.conf.d and writes its settings
 * to 00-k3s-defaults.conf there (agent_linux.go kubeletArgsAndConfig): the kubelet's own
 * layering decides, so a later user drop-in that enables anonymous auth wins over k3s's. */
static void test_k3s_kubelet_config_dir_dropins_decide_when_k3s_writes_them(void **state)
{
	(void)state;
	need_root();
	char *d = kc_test_mkdtemp();
	put(d, "var/lib/rancher/k3s/agent/etc/kubelet.conf.d/00-k3s-defaults.conf",
	    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
	    "authentication:\n  anonymous: {enabled: false}\n  webhook: {enabled: true}\n"
	    "  x509: {clientCAFile: /var/lib/rancher/k3s/agent/client-ca.crt}\nauthorization: {mode: Webhook}\n", 0600, 0);
	put(d, "var/lib/rancher/k3s/agent/etc/kubelet.conf.d/99-user.conf",
	    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
	    "authentication:\n  anonymous: {enabled: true}\n", 0600, 0);
	put_cmdline(d, 10, "/usr/local/bin/k3s agent --server https://10.0.0.1:6443");
	struct kc_node *n = open_node(d, 1);
	assert_string_equal(flag(n, KC_COMP_KUBELET, "config-dir"), "/var/lib/rancher/k3s/agent/etc/kubelet.conf.d");
	assert_null(flag(n, KC_COMP_KUBELET, "anonymous-auth"));
	kc_node_clear(n);
	char proc[1024];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	struct audit a;
	audit_tree(&a, d, proc, "k3s-cis-1.12", "node");
	expect(&a, "4.2.1", KC_FAIL);
	assert_true(has_layer(&a, "4.2.1", "config-dir", "99-user.conf"));
	expect(&a, "4.2.2", KC_PASS);
	assert_true(has_layer(&a, "4.2.2", "config-dir", "00-k3s-defaults.conf"));
	expect(&a, "4.2.4", KC_PASS); /* --read-only-port=0, k3s's flag */
	expect(&a, "4.1.9", KC_PASS);
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* --disable-* leave a component out of the k3s process: not found, never a default verdict */
static void test_k3s_disabled_components_are_not_found(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/rancher/k3s/config.yaml", "disable-kube-proxy: true\n", 0600, 0);
	put_cmdline(d, 10, "/usr/local/bin/k3s server --disable-scheduler --disable-etcd");
	struct kc_node *n = open_node(d, 1);
	assert_int_equal(kc_node_component(n, KC_COMP_SCHEDULER)->source, KC_SRC_NONE);
	assert_int_equal(kc_node_component(n, KC_COMP_PROXY)->source, KC_SRC_NONE);
	assert_int_equal(kc_node_component(n, KC_COMP_ETCD)->source, KC_SRC_NONE);
	assert_int_equal(kc_node_component(n, KC_COMP_APISERVER)->source, KC_SRC_K3S);
	/* no embedded etcd: the API server talks to kine in process */
	assert_string_equal(flag(n, KC_COMP_APISERVER, "etcd-servers"), "unix://kine.sock");
	kc_node_clear(n);
	kc_test_rmtree(d);
	free(d);
}

/* A config file that exists but does not parse: every component k3s would run is ERROR with
 * file:line, never judged on k3s's defaults. */
static void test_k3s_unparsable_config_is_error_with_file_line(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/rancher/k3s/config.yaml", "write-kubeconfig-mode: \"0600\"\n", 0600, 0);
	put(d, "etc/rancher/k3s/config.yaml.d/10-bad.yaml", "kube-apiserver-arg:\n  - a=b\n bad: [\n", 0600, 0);
	put_cmdline(d, 10, "/usr/local/bin/k3s server");
	char proc[1024];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	struct audit a;
	audit_tree(&a, d, proc, "k3s-cis-1.12", NULL);
	expect(&a, "1.2.1", KC_ERROR);
	expect(&a, "4.2.1", KC_ERROR);
	assert_non_null(strstr(result(&a, "1.2.1")->reason, "10-bad.yaml:"));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* Without a process, the unit's ExecStart is k3s's command line, its EnvironmentFile
 * expanded; K3S_CONFIG_FILE there names the config file (findConfigFileFlag). */
static void test_k3s_unit_execstart_with_environment_file_and_config_env(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/systemd/system/k3s.service",
	    "[Service]\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\n"
	    "ExecStart=/usr/local/bin/k3s \\\n    server $K3S_EXTRA\n", 0644, 0);
	put(d, "etc/systemd/system/k3s.service.env",
	    "K3S_CONFIG_FILE=/etc/k3s/custom.yaml\nK3S_EXTRA=--kube-apiserver-arg=profiling=true\n", 0600, 0);
	put(d, "etc/k3s/custom.yaml", "kubelet-arg:\n  - anonymous-auth=true\n", 0600, 0);
	/* the default file is not read when K3S_CONFIG_FILE names another */
	put(d, "etc/rancher/k3s/config.yaml", "kubelet-arg: [anonymous-auth=false]\n", 0600, 0);
	struct kc_node *n = open_node(d, 0);
	assert_int_equal(kc_node_component(n, KC_COMP_APISERVER)->source, KC_SRC_K3S);
	assert_string_equal(flag(n, KC_COMP_APISERVER, "profiling"), "true");
	assert_non_null(strstr(origin(n, KC_COMP_APISERVER, "profiling"), "k3s.service.env"));
	assert_string_equal(flag(n, KC_COMP_KUBELET, "anonymous-auth"), "true");
	assert_string_equal(origin(n, KC_COMP_KUBELET, "anonymous-auth"), "/etc/k3s/custom.yaml:2");
	kc_node_clear(n);
	kc_test_rmtree(d);
	free(d);
}

/* --benchmark auto picks the k3s variant where k3s runs, and says where its command line
 * came from; a node without k3s keeps the version-based benchmark. */
static void test_k3s_benchmark_auto_picks_the_k3s_variant_and_says_why(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	/* a `k3s kubectl` listed first (pid 1) is not the server */
	put_cmdline(d, 1, "/usr/local/bin/k3s kubectl get pods");
	put_cmdline(d, 10, "/usr/local/bin/k3s server");
	struct kc_node *n = open_node(d, 1);
	assert_int_equal(kc_node_component(n, KC_COMP_APISERVER)->source, KC_SRC_K3S);
	const char *why = NULL;
	char *b = kc_benchmark_resolve("auto", n, NULL, &why, NULL);
	assert_string_equal(b, "k3s-cis-1.12");
	assert_non_null(strstr(why, "k3s detected (a running k3s process)"));
	assert_non_null(strstr(why, "/proc/10/cmdline"));
	free(b);
	b = kc_benchmark_resolve("cis-1.12", n, NULL, &why, NULL); /* a named benchmark wins */
	assert_string_equal(b, "cis-1.12");
	free(b);
	kc_node_clear(n);
	kc_test_rmtree(d);
	free(d);

	d = kc_test_mkdtemp();
	put(d, "etc/kubernetes/manifests/kube-apiserver.yaml",
	    "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: registry.k8s.io/kube-apiserver:v1.33.2\n    command: [kube-apiserver]\n",
	    0600, 0);
	n = open_node(d, 0);
	b = kc_benchmark_resolve("auto", n, NULL, &why, NULL);
	assert_string_equal(b, "cis-1.12");
	assert_null(strstr(why, "k3s"));
	free(b);
	kc_node_clear(n);
	kc_test_rmtree(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_check_loads),
		cmocka_unit_test(test_k3s_hardened),
		cmocka_unit_test(test_k3s_weak),
		cmocka_unit_test(test_k3s_config_dropins_merge_in_lexical_order_and_plus_appends),
		cmocka_unit_test(test_k3s_passthrough_args_replace_k3s_defaults_plus_appends_minus_prepends),
		cmocka_unit_test(test_k3s_structured_auth_config_passed_through_drops_k3s_defaults),
		cmocka_unit_test(test_k3s_agent_only_node_runs_kubelet_and_proxy),
		cmocka_unit_test(test_k3s_kubelet_config_dir_dropins_decide_when_k3s_writes_them),
		cmocka_unit_test(test_k3s_disabled_components_are_not_found),
		cmocka_unit_test(test_k3s_unparsable_config_is_error_with_file_line),
		cmocka_unit_test(test_k3s_unit_execstart_with_environment_file_and_config_env),
		cmocka_unit_test(test_k3s_benchmark_auto_picks_the_k3s_variant_and_says_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
