/* The distribution and managed-platform variants: rke2-cis-1.12 (sections 1-5, paths and the
 * automated/manual split of RKE2's own CIS 1.12 self-assessment guide) and the worker-node
 * sections of the EKS, AKS and GKE benchmarks. Small hardened and weak trees are written here,
 * the expected status of every check tabled below; corpus trees (RKE2's guide with the command
 * lines of its hardened cluster, the EKS AMI's kubelet files) are built at test time from
 * ../shared/corpus and skipped cleanly when it is absent; --benchmark auto picks each variant
 * from the node's own files. */
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

#define ETCD_UID 998
#define SECTIONS_1_4 "master,etcd,controlplane,node"

/* Every policy file of the benchmark loads, with this many checks. */
static void loads(const char *bench, size_t want)
{
	struct kc_policy_set set;
	memset(&set, 0, sizeof(set));
	char dir[256];
	snprintf(dir, sizeof(dir), "policies/%s", bench);
	if (kc_policy_load_dir(&set, dir) < 0)
		fail_msg("%s: %s", bench, kc_error_last());
	if (set.nchecks != want)
		fail_msg("%s: %zu checks, expected %zu", bench, set.nchecks, want);
	for (size_t i = 0; i < set.nchecks; i++) {
		const struct kc_check *c = &set.checks[i];
		assert_non_null(c->remediation);
		if (strcmp(c->type, "manual") == 0 && c->ntests == 0)
			assert_non_null(c->manual); /* a manual check without tests says what to look at */
	}
	kc_policy_set_clear(&set);
}

static void test_every_check_loads(void **state)
{
	(void)state;
	loads("rke2-cis-1.12", 131);
	loads("eks-cis-1.8", 13);
	loads("aks-cis-1.8", 13);
	loads("gke-cis-1.6", 13);
}

/* ---- RKE2 ------------------------------------------------------------------------------ */

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\netcd:x:998:998::/var/lib/etcd:/usr/sbin/nologin\n"
			     "nobody:x:1000:1000::/:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\netcd:x:998:\nnobody:x:1000:\n";

#define RKE2_MANIFESTS "var/lib/rancher/rke2/agent/pod-manifests/"
#define RKE2_TLS "/var/lib/rancher/rke2/server/tls/"
#define POD_HEAD(name, image)                                                                                 \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: kube-system}\nspec:\n  containers:\n" \
	"  - name: " name "\n    image: index.docker.io/rancher/hardened-" image "\n"

static const char rke2_apiserver_hard[] = POD_HEAD("kube-apiserver", "kubernetes:v1.33.1-rke2r1-build20250515")
	"    command: [kube-apiserver]\n    args:\n"
	"    - --anonymous-auth=false\n    - --authorization-mode=Node,RBAC\n"
	"    - --enable-admission-plugins=NodeRestriction,EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs\n"
	"    - --admission-control-config-file=/etc/rancher/rke2/rke2-pss.yaml\n"
	"    - --kubelet-client-certificate=" RKE2_TLS "client-kube-apiserver.crt\n"
	"    - --kubelet-client-key=" RKE2_TLS "client-kube-apiserver.key\n"
	"    - --kubelet-certificate-authority=" RKE2_TLS "server-ca.crt\n    - --profiling=false\n"
	"    - --audit-log-path=/var/lib/rancher/rke2/server/logs/audit.log\n    - --audit-log-maxage=30\n"
	"    - --audit-log-maxbackup=10\n    - --audit-log-maxsize=100\n"
	"    - --audit-policy-file=/etc/rancher/rke2/audit-policy.yaml\n    - --service-account-lookup=true\n"
	"    - --service-account-key-file=" RKE2_TLS "service.key\n"
	"    - --etcd-certfile=" RKE2_TLS "etcd/client.crt\n    - --etcd-keyfile=" RKE2_TLS "etcd/client.key\n"
	"    - --etcd-cafile=" RKE2_TLS "etcd/server-ca.crt\n"
	"    - --tls-cert-file=" RKE2_TLS "serving-kube-apiserver.crt\n"
	"    - --tls-private-key-file=" RKE2_TLS "serving-kube-apiserver.key\n"
	"    - --client-ca-file=" RKE2_TLS "client-ca.crt\n"
	"    - --encryption-provider-config=/var/lib/rancher/rke2/server/cred/encryption-config.json\n"
	"    - --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
	"    - --service-account-extend-token-expiration=false\n";
static const char rke2_apiserver_weak[] = POD_HEAD("kube-apiserver", "kubernetes:v1.33.1-rke2r1-build20250515")
	"    command: [kube-apiserver]\n    args:\n"
	"    - --token-auth-file=/etc/rancher/rke2/tokens.csv\n    - --authorization-mode=AlwaysAllow\n"
	"    - --enable-admission-plugins=AlwaysAdmit\n    - --disable-admission-plugins=ServiceAccount,NamespaceLifecycle\n"
	"    - --audit-log-maxage=7\n    - --audit-log-maxbackup=2\n    - --audit-log-maxsize=10\n"
	"    - --service-account-lookup=false\n    - --tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA\n";
static const char rke2_cm_hard[] = POD_HEAD("kube-controller-manager", "kubernetes:v1.33.1-rke2r1-build20250515")
	"    command: [kube-controller-manager]\n    args:\n    - --terminated-pod-gc-threshold=1000\n    - --profiling=false\n"
	"    - --use-service-account-credentials=true\n    - --service-account-private-key-file=" RKE2_TLS "service.current.key\n"
	"    - --root-ca-file=" RKE2_TLS "server-ca.crt\n    - --feature-gates=RotateKubeletServerCertificate=true\n"
	"    - --bind-address=127.0.0.1\n    - --kubeconfig=/var/lib/rancher/rke2/server/cred/controller.kubeconfig\n";
static const char rke2_cm_weak[] = POD_HEAD("kube-controller-manager", "kubernetes:v1.33.1-rke2r1-build20250515")
	"    command: [kube-controller-manager]\n    args:\n    - --profiling=true\n    - --use-service-account-credentials=false\n"
	"    - --feature-gates=RotateKubeletServerCertificate=false\n    - --bind-address=0.0.0.0\n"
	"    - --kubeconfig=/var/lib/rancher/rke2/server/cred/controller.kubeconfig\n";
static const char rke2_sched_hard[] = POD_HEAD("kube-scheduler", "kubernetes:v1.33.1-rke2r1-build20250515")
	"    command: [kube-scheduler]\n    args: [--profiling=false, --bind-address=127.0.0.1,"
	" --kubeconfig=/var/lib/rancher/rke2/server/cred/scheduler.kubeconfig]\n";
static const char rke2_sched_weak[] = POD_HEAD("kube-scheduler", "kubernetes:v1.33.1-rke2r1-build20250515")
	"    command: [kube-scheduler]\n    args: [--kubeconfig=/var/lib/rancher/rke2/server/cred/scheduler.kubeconfig]\n";
/* RKE2's etcd reads everything from the config file it writes */
static const char rke2_etcd_pod[] = POD_HEAD("etcd", "etcd:v3.5.21-k3s1-build20250411")
	"    command: [etcd]\n    args: [--config-file=/var/lib/rancher/rke2/server/db/etcd/config]\n";
static const char rke2_etcd_cfg_hard[] =
	"data-dir: /var/lib/rancher/rke2/server/db/etcd\nclient-transport-security:\n"
	"  cert-file: " RKE2_TLS "etcd/server-client.crt\n  key-file: " RKE2_TLS "etcd/server-client.key\n"
	"  client-cert-auth: true\n  trusted-ca-file: " RKE2_TLS "etcd/server-ca.crt\npeer-transport-security:\n"
	"  cert-file: " RKE2_TLS "etcd/peer-server-client.crt\n  key-file: " RKE2_TLS "etcd/peer-server-client.key\n"
	"  client-cert-auth: true\n  trusted-ca-file: " RKE2_TLS "etcd/peer-ca.crt\n";
static const char rke2_etcd_cfg_weak[] =
	"data-dir: /var/lib/rancher/rke2/server/db/etcd\nclient-transport-security:\n  auto-tls: true\n"
	"  client-cert-auth: false\n  trusted-ca-file: " RKE2_TLS "client-ca.crt\npeer-transport-security:\n"
	"  auto-tls: true\n  trusted-ca-file: " RKE2_TLS "client-ca.crt\n";
static const char rke2_proxy_hard[] = POD_HEAD("kube-proxy", "kubernetes:v1.33.1-rke2r1-build20250515")
	"    command: [kube-proxy]\n    args: [--kubeconfig=/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig,"
	" --metrics-bind-address=127.0.0.1:10249]\n";
static const char rke2_proxy_weak[] = POD_HEAD("kube-proxy", "kubernetes:v1.33.1-rke2r1-build20250515")
	"    command: [kube-proxy]\n    args: [--kubeconfig=/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig,"
	" --metrics-bind-address=0.0.0.0:10249]\n";
/* RKE2 writes the kubelet's settings as a --config-dir drop-in */
static const char rke2_kubelet_hard[] =
	"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
	"authentication:\n  anonymous: {enabled: false}\n  webhook: {enabled: true}\n"
	"  x509: {clientCAFile: /var/lib/rancher/rke2/agent/client-ca.crt}\nauthorization: {mode: Webhook}\n"
	"streamingConnectionIdleTimeout: 4h0m0s\nmakeIPTablesUtilChains: true\neventRecordQPS: 5\n"
	"tlsCertFile: /var/lib/rancher/rke2/agent/serving-kubelet.crt\ntlsPrivateKeyFile: /var/lib/rancher/rke2/agent/serving-kubelet.key\n"
	"rotateCertificates: true\nfeatureGates: {RotateKubeletServerCertificate: true}\n"
	"tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n"
	"podPidsLimit: 4096\nseccompDefault: true\n";
static const char rke2_kubelet_weak[] =
	"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
	"authentication:\n  anonymous: {enabled: true}\nauthorization: {mode: AlwaysAllow}\nreadOnlyPort: 10255\n"
	"streamingConnectionIdleTimeout: 0s\nmakeIPTablesUtilChains: false\neventRecordQPS: -1\nrotateCertificates: false\n"
	"featureGates: {RotateKubeletServerCertificate: false}\ntlsCipherSuites: [TLS_RSA_WITH_RC4_128_SHA]\n";
static const char rke2_encryption[] =
	"{\"kind\": \"EncryptionConfiguration\", \"apiVersion\": \"apiserver.config.k8s.io/v1\", \"resources\": [{\"resources\": [\"secrets\"],"
	" \"providers\": [{\"aescbc\": {\"keys\": [{\"name\": \"aescbckey\", \"secret\": \"dGVzdC1vbmx5LW5vdC1hLXJlYWwta2V5LTMyYnl0ZXMh\"}]}},"
	" {\"identity\": {}}]}]}\n";
static const char rke2_audit_hard[] =
	"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources:\n  - group: \"\"\n"
	"    resources: [secrets, configmaps]\n- level: RequestResponse\n  resources:\n  - group: \"\"\n    resources: [pods/exec]\n"
	"- level: Request\n";
static const char kubeconfig[] = "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n";

static void build_rke2(const char *d, int weak)
{
	unsigned bad = weak ? NOBODY : 0;
	unsigned m600 = weak ? 0644 : 0600;
	put(d, "etc/passwd", passwd, 0644, 0);
	put(d, "etc/group", group, 0644, 0);
	put(d, "etc/rancher/rke2/config.yaml", weak ? "write-kubeconfig-mode: \"0644\"\n" : "profile: cis\n", 0600, 0);
	put(d, RKE2_MANIFESTS "kube-apiserver.yaml", weak ? rke2_apiserver_weak : rke2_apiserver_hard, m600, bad);
	put(d, RKE2_MANIFESTS "kube-controller-manager.yaml", weak ? rke2_cm_weak : rke2_cm_hard, m600, bad);
	put(d, RKE2_MANIFESTS "kube-scheduler.yaml", weak ? rke2_sched_weak : rke2_sched_hard, m600, bad);
	put(d, RKE2_MANIFESTS "etcd.yaml", rke2_etcd_pod, m600, bad);
	put(d, RKE2_MANIFESTS "kube-proxy.yaml", weak ? rke2_proxy_weak : rke2_proxy_hard, 0600, 0);
	put_dir(d, "var/lib/rancher/rke2/server/db/etcd", weak ? 0755 : 0700, weak ? 0 : ETCD_UID);
	put(d, "var/lib/rancher/rke2/server/db/etcd/config", weak ? rke2_etcd_cfg_weak : rke2_etcd_cfg_hard, 0600, 0);
	put(d, "var/lib/rancher/rke2/server/cred/admin.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/rke2/server/cred/scheduler.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/rke2/server/cred/controller.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/rke2/server/tls/client-ca.crt", "client CA\n", weak ? 0666 : 0644, 0);
	put(d, "var/lib/rancher/rke2/server/tls/server-ca.crt", "server CA\n", 0644, 0);
	put(d, "var/lib/rancher/rke2/server/tls/client-ca.key", "k\n", weak ? 0644 : 0600, 0);
	put(d, "var/lib/rancher/rke2/server/tls/etcd/server-ca.crt", "etcd CA\n", 0644, 0);
	put_dir(d, "var/lib/rancher/rke2/server/tls", 0755, bad);
	put(d, "etc/cni/net.d/10-canal.conflist", "{\"cniVersion\": \"1.0.0\"}\n", m600, bad);
	if (!weak) {
		put(d, "var/lib/rancher/rke2/server/cred/encryption-config.json", rke2_encryption, 0600, 0);
		put(d, "etc/rancher/rke2/audit-policy.yaml", rke2_audit_hard, 0600, 0);
	}
	put(d, "var/lib/rancher/rke2/agent/kubelet.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/rke2/agent/kubeproxy.kubeconfig", kubeconfig, m600, bad);
	put(d, "var/lib/rancher/rke2/agent/client-ca.crt", "client CA\n", m600, bad);
	put(d, "var/lib/rancher/rke2/agent/etc/kubelet.conf.d/00-rke2-defaults.conf", weak ? rke2_kubelet_weak : rke2_kubelet_hard,
	    m600, bad);
	/* the kubelet is a process rke2 starts (no unit, no static pod): its flags are in /proc */
	put_cmdline(d, 90, "/usr/local/bin/rke2 server");
	/* a 0s timeout in a drop-in is defaulted to 4h after the merge: only a flag keeps 0 */
	put_cmdline(d, 100, weak ? "kubelet --config-dir=/var/lib/rancher/rke2/agent/etc/kubelet.conf.d "
				   "--kubeconfig=/var/lib/rancher/rke2/agent/kubelet.kubeconfig --hostname-override=node-a "
				   "--streaming-connection-idle-timeout=0"
				 : "kubelet --config-dir=/var/lib/rancher/rke2/agent/etc/kubelet.conf.d "
				   "--kubeconfig=/var/lib/rancher/rke2/agent/kubelet.kubeconfig --hostname-override=node-a "
				   "--read-only-port=0");
}

/* Every check of rke2-cis-1.12 sections 1-4 on the hardened and the weak RKE2 tree. Manual
 * checks decided from the node's files are PASS/FAIL too; the rest stay WARN. */
static const struct { const char *id; enum kc_status hard, weak; } rke2[] = {
	{ "1.1.1", KC_PASS, KC_FAIL }, { "1.1.2", KC_PASS, KC_FAIL }, { "1.1.3", KC_PASS, KC_FAIL },
	{ "1.1.4", KC_PASS, KC_FAIL }, { "1.1.5", KC_PASS, KC_FAIL }, { "1.1.6", KC_PASS, KC_FAIL },
	{ "1.1.7", KC_PASS, KC_FAIL }, { "1.1.8", KC_PASS, KC_FAIL }, { "1.1.9", KC_PASS, KC_FAIL },
	{ "1.1.10", KC_PASS, KC_FAIL }, { "1.1.11", KC_PASS, KC_FAIL }, { "1.1.12", KC_PASS, KC_FAIL },
	{ "1.1.13", KC_PASS, KC_FAIL }, { "1.1.14", KC_PASS, KC_FAIL }, { "1.1.15", KC_PASS, KC_FAIL },
	{ "1.1.16", KC_PASS, KC_FAIL }, { "1.1.17", KC_PASS, KC_FAIL }, { "1.1.18", KC_PASS, KC_FAIL },
	{ "1.1.19", KC_PASS, KC_FAIL }, { "1.1.20", KC_PASS, KC_FAIL }, { "1.1.21", KC_PASS, KC_FAIL },
	{ "1.2.1", KC_PASS, KC_FAIL }, { "1.2.2", KC_PASS, KC_FAIL }, { "1.2.3", KC_PASS, KC_FAIL },
	{ "1.2.4", KC_PASS, KC_FAIL }, { "1.2.5", KC_PASS, KC_FAIL }, { "1.2.6", KC_PASS, KC_FAIL },
	{ "1.2.7", KC_PASS, KC_FAIL }, { "1.2.8", KC_PASS, KC_FAIL }, { "1.2.9", KC_PASS, KC_FAIL },
	{ "1.2.10", KC_PASS, KC_FAIL }, { "1.2.11", KC_PASS, KC_FAIL }, { "1.2.12", KC_PASS, KC_FAIL },
	{ "1.2.13", KC_PASS, KC_FAIL }, { "1.2.14", KC_PASS, KC_FAIL }, { "1.2.15", KC_PASS, KC_FAIL },
	{ "1.2.16", KC_PASS, KC_FAIL }, { "1.2.17", KC_PASS, KC_FAIL }, { "1.2.18", KC_PASS, KC_FAIL },
	{ "1.2.19", KC_PASS, KC_FAIL }, { "1.2.20", KC_WARN, KC_WARN }, { "1.2.21", KC_PASS, KC_FAIL },
	{ "1.2.22", KC_PASS, KC_FAIL }, { "1.2.23", KC_PASS, KC_FAIL }, { "1.2.24", KC_PASS, KC_FAIL },
	{ "1.2.25", KC_PASS, KC_FAIL }, { "1.2.26", KC_PASS, KC_FAIL }, { "1.2.27", KC_PASS, KC_FAIL },
	{ "1.2.28", KC_PASS, KC_FAIL }, { "1.2.29", KC_PASS, KC_FAIL }, { "1.2.30", KC_PASS, KC_FAIL },
	{ "1.3.1", KC_PASS, KC_FAIL }, { "1.3.2", KC_PASS, KC_FAIL }, { "1.3.3", KC_PASS, KC_FAIL },
	{ "1.3.4", KC_PASS, KC_FAIL }, { "1.3.5", KC_PASS, KC_FAIL }, { "1.3.6", KC_PASS, KC_FAIL },
	{ "1.3.7", KC_PASS, KC_FAIL }, { "1.4.1", KC_PASS, KC_FAIL }, { "1.4.2", KC_PASS, KC_FAIL },
	{ "2.1", KC_PASS, KC_FAIL }, { "2.2", KC_PASS, KC_FAIL }, { "2.3", KC_PASS, KC_FAIL },
	{ "2.4", KC_PASS, KC_FAIL }, { "2.5", KC_PASS, KC_FAIL }, { "2.6", KC_PASS, KC_FAIL },
	{ "2.7", KC_PASS, KC_FAIL }, { "3.1.1", KC_WARN, KC_WARN }, { "3.1.2", KC_WARN, KC_WARN },
	{ "3.1.3", KC_WARN, KC_WARN }, { "3.2.1", KC_PASS, KC_FAIL }, { "3.2.2", KC_PASS, KC_FAIL },
	/* 4.1.1/4.1.2/4.2.7: RKE2's guide says not applicable (no kubelet unit; RKE2 sets the
	 * hostname override): manual, WARN with the reason */
	{ "4.1.1", KC_WARN, KC_WARN }, { "4.1.2", KC_WARN, KC_WARN }, { "4.1.3", KC_PASS, KC_FAIL },
	{ "4.1.4", KC_PASS, KC_FAIL }, { "4.1.5", KC_PASS, KC_FAIL }, { "4.1.6", KC_PASS, KC_FAIL },
	{ "4.1.7", KC_PASS, KC_FAIL }, { "4.1.8", KC_PASS, KC_FAIL }, { "4.1.9", KC_PASS, KC_FAIL },
	{ "4.1.10", KC_PASS, KC_FAIL }, { "4.2.1", KC_PASS, KC_FAIL }, { "4.2.2", KC_PASS, KC_FAIL },
	{ "4.2.3", KC_PASS, KC_FAIL }, { "4.2.4", KC_PASS, KC_FAIL }, { "4.2.5", KC_PASS, KC_FAIL },
	{ "4.2.6", KC_PASS, KC_FAIL }, { "4.2.7", KC_WARN, KC_WARN }, { "4.2.8", KC_PASS, KC_FAIL },
	{ "4.2.9", KC_PASS, KC_FAIL }, { "4.2.10", KC_PASS, KC_FAIL }, { "4.2.11", KC_PASS, KC_FAIL },
	{ "4.2.12", KC_PASS, KC_FAIL }, { "4.2.13", KC_PASS, KC_FAIL }, { "4.2.14", KC_PASS, KC_FAIL },
	{ "4.3.1", KC_PASS, KC_FAIL },
};

static void run_rke2(int weak)
{
	need_root();
	char *d = kc_test_mkdtemp(), proc[1024];
	build_rke2(d, weak);
	snprintf(proc, sizeof(proc), "%s/proc", d);
	struct audit a;
	audit_tree(&a, d, proc, "rke2-cis-1.12", SECTIONS_1_4);
	size_t n = sizeof(rke2) / sizeof(*rke2);
	for (size_t i = 0; i < n; i++) {
		expect(&a, rke2[i].id, weak ? rke2[i].weak : rke2[i].hard);
		/* every automated check passes on the hardened tree and fails on the weak one */
		const struct kc_check *c = kc_policy_find(&a.set, rke2[i].id);
		if (strcmp(c->type, "automated") == 0)
			assert_int_equal(result(&a, rke2[i].id)->status, weak ? KC_FAIL : KC_PASS);
	}
	assert_int_equal(a.run.nresults, n); /* the table covers every check of sections 1-4 */
	no_errors(&a);
	/* flags come from RKE2's static pods; the kubelet's settings from its --config-dir drop-in */
	assert_int_equal(kc_node_component(&a.node, KC_COMP_APISERVER)->source, KC_SRC_STATIC_POD);
	assert_true(has_layer(&a, "4.2.1", "config-dir", "00-rke2-defaults.conf"));
	if (!weak)
		assert_true(has_layer(&a, "4.2.4", "process", NULL));
	assert_non_null(strstr(result(&a, "4.1.1")->reason, "RKE2"));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

static void test_rke2_hardened(void **state) { (void)state; run_rke2(0); }
static void test_rke2_weak(void **state) { (void)state; run_rke2(1); }

/* Offline (no /proc) the kubelet rke2 starts is not visible: the worker checks are skipped and
 * say why; the control plane is still audited from the static pods. */
static void test_rke2_offline(void **state)
{
	(void)state;
	need_root();
	char *d = kc_test_mkdtemp();
	build_rke2(d, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "rke2-cis-1.12", SECTIONS_1_4);
	expect(&a, "1.2.1", KC_PASS);
	expect(&a, "2.1", KC_PASS);
	expect(&a, "4.2.1", KC_SKIP);
	assert_non_null(strstr(result(&a, "4.2.1")->reason, "kubelet"));
	no_errors(&a);
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* ---- managed platforms: worker-node sections ------------------------------------------- */

static const char kubelet_json_hard[] =
	"{\"kind\": \"KubeletConfiguration\", \"apiVersion\": \"kubelet.config.k8s.io/v1beta1\",\n"
	" \"authentication\": {\"anonymous\": {\"enabled\": false}, \"webhook\": {\"enabled\": true},"
	" \"x509\": {\"clientCAFile\": \"/etc/kubernetes/pki/ca.crt\"}},\n"
	" \"authorization\": {\"mode\": \"Webhook\"}, \"readOnlyPort\": 0, \"streamingConnectionIdleTimeout\": \"4h0m0s\",\n"
	" \"makeIPTablesUtilChains\": true, \"eventRecordQPS\": 5, \"rotateCertificates\": true,\n"
	" \"featureGates\": {\"RotateKubeletServerCertificate\": true}}\n";
static const char kubelet_json_weak[] =
	"{\"kind\": \"KubeletConfiguration\", \"apiVersion\": \"kubelet.config.k8s.io/v1beta1\",\n"
	" \"authentication\": {\"anonymous\": {\"enabled\": true}}, \"authorization\": {\"mode\": \"AlwaysAllow\"},\n"
	" \"readOnlyPort\": 0, \"streamingConnectionIdleTimeout\": \"0s\", \"makeIPTablesUtilChains\": false,\n"
	" \"eventRecordQPS\": -1, \"rotateCertificates\": false, \"featureGates\": {\"RotateKubeletServerCertificate\": false}}\n";

struct platform {
	const char *bench;
	const char *unit;          /* /etc/systemd/system/kubelet.service */
	const char *envfile;       /* its EnvironmentFile, when it has one */
	const char *envfile_text;
	const char *config;        /* the file --config names */
	const char *marker;        /* what tells the platform apart (a directory when it ends in '/') */
	const char *extra;         /* a file of section 3.1 besides the kubelet's (azure.json, kube-proxy's kubeconfig) */
};

static const struct platform platforms[] = {
	{ "eks-cis-1.8",
	  "[Service]\nExecStart=/usr/bin/kubelet \\\n    --config /etc/kubernetes/kubelet/kubelet-config.json \\\n"
	  "    --kubeconfig /var/lib/kubelet/kubeconfig \\\n    $KUBELET_ARGS $KUBELET_EXTRA_ARGS\n",
	  NULL, NULL, "etc/kubernetes/kubelet/kubelet-config.json", "etc/eks/", NULL },
	{ "aks-cis-1.8",
	  "[Service]\nEnvironmentFile=/etc/default/kubelet\n"
	  "ExecStart=/usr/local/bin/kubelet --enable-server $KUBELET_CONFIG_FILE_FLAGS $KUBELET_FLAGS\n",
	  "etc/default/kubelet",
	  "KUBELET_CONFIG_FILE_FLAGS=\"--config /etc/default/kubeletconfig.json\"\n"
	  "KUBELET_FLAGS=\"--kubeconfig=/var/lib/kubelet/kubeconfig --v=2\"\n",
	  "etc/default/kubeletconfig.json", "etc/kubernetes/azure.json", "etc/kubernetes/azure.json" },
	{ "gke-cis-1.6",
	  "[Service]\nEnvironmentFile=/etc/default/kubelet\nExecStart=/home/kubernetes/bin/kubelet $KUBELET_OPTS\n",
	  "etc/default/kubelet",
	  "KUBELET_OPTS=\"--config=/home/kubernetes/kubelet-config.yaml --kubeconfig=/var/lib/kubelet/kubeconfig\"\n",
	  "home/kubernetes/kubelet-config.yaml", "home/kubernetes/kubelet-config.yaml", "var/lib/kube-proxy/kubeconfig" },
};

static void build_platform(const char *d, const struct platform *p, int weak)
{
	unsigned bad = weak ? NOBODY : 0;
	put(d, "etc/passwd", passwd, 0644, 0);
	put(d, "etc/group", group, 0644, 0);
	put(d, "etc/systemd/system/kubelet.service", p->unit, 0644, 0);
	if (p->envfile)
		put(d, p->envfile, p->envfile_text, 0644, 0);
	if (weak)
		/* a flag in the drop-in beats readOnlyPort: 0 in the config file; the config's 0s
		 * timeout is defaulted to 4h after the merge, the flag's 0 is not */
		put(d, "etc/systemd/system/kubelet.service.d/30-extra.conf",
		    p->envfile ? "[Service]\nEnvironment=\"KUBELET_EXTRA=--read-only-port=10255 --streaming-connection-idle-timeout=0\"\nExecStart=\n"
				 "ExecStart=/usr/bin/kubelet $KUBELET_CONFIG_FILE_FLAGS $KUBELET_FLAGS $KUBELET_OPTS $KUBELET_EXTRA\n"
			       : "[Service]\nEnvironment=\"KUBELET_EXTRA_ARGS=--read-only-port=10255 --streaming-connection-idle-timeout=0\"\n",
		    0644, 0);
	put(d, p->config, weak ? kubelet_json_weak : kubelet_json_hard, weak ? 0666 : 0600, bad);
	put(d, "var/lib/kubelet/kubeconfig", kubeconfig, weak ? 0666 : 0644, bad);
	if (p->extra)
		put(d, p->extra, "{}\n", weak ? 0666 : 0600, bad);
	if (p->marker[strlen(p->marker) - 1] == '/') {
		char dir[256];
		snprintf(dir, sizeof(dir), "%.*s", (int)strlen(p->marker) - 1, p->marker);
		put_dir(d, dir, 0755, 0);
	}
}

/* The worker-node sections of the three managed benchmarks share their ids. Section 3.1 of
 * GKE is manual in its benchmark but decided from the files, so it is PASS/FAIL too. */
static const struct { const char *id; enum kc_status hard, weak; } managed[] = {
	{ "3.1.1", KC_PASS, KC_FAIL }, { "3.1.2", KC_PASS, KC_FAIL }, { "3.1.3", KC_PASS, KC_FAIL },
	{ "3.1.4", KC_PASS, KC_FAIL }, { "3.2.1", KC_PASS, KC_FAIL }, { "3.2.2", KC_PASS, KC_FAIL },
	{ "3.2.3", KC_PASS, KC_FAIL }, { "3.2.4", KC_PASS, KC_FAIL }, { "3.2.5", KC_PASS, KC_FAIL },
	{ "3.2.6", KC_PASS, KC_FAIL }, { "3.2.7", KC_PASS, KC_FAIL }, { "3.2.8", KC_PASS, KC_FAIL },
	{ "3.2.9", KC_PASS, KC_FAIL },
};

static void run_platform(const struct platform *p, int weak)
{
	char *d = kc_test_mkdtemp();
	build_platform(d, p, weak);
	struct audit a;
	audit_tree(&a, d, NULL, p->bench, NULL);
	size_t n = sizeof(managed) / sizeof(*managed);
	for (size_t i = 0; i < n; i++)
		expect(&a, managed[i].id, weak ? managed[i].weak : managed[i].hard);
	assert_int_equal(a.run.nresults, n);
	no_errors(&a);
	assert_true(has_layer(&a, "3.2.1", "config-file", p->config + strlen(p->config) - 8));
	if (weak)
		assert_true(has_layer(&a, "3.2.4", "systemd", "30-extra.conf"));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

static void test_managed_hardened(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(platforms) / sizeof(*platforms); i++)
		run_platform(&platforms[i], 0);
}

static void test_managed_weak(void **state)
{
	(void)state;
	need_root();
	for (size_t i = 0; i < sizeof(platforms) / sizeof(*platforms); i++)
		run_platform(&platforms[i], 1);
}

/* ---- selection ------------------------------------------------------------------------- */

static char *resolve(const char *root, const char *proc, const char *name, const char *k8s, const char **why)
{
	struct kc_node n;
	assert_int_equal(kc_node_open(&n, root, proc), 0);
	char *b = kc_benchmark_resolve(name, &n, k8s, why, NULL);
	kc_node_clear(&n);
	return b;
}

static void test_auto_selects_variant(void **state)
{
	(void)state;
	need_root();
	const char *why;
	char *d = kc_test_mkdtemp(), proc[1024];
	build_rke2(d, 0);
	snprintf(proc, sizeof(proc), "%s/proc", d);
	char *b = resolve(d, proc, "auto", NULL, &why);
	assert_string_equal(b, "rke2-cis-1.12");
	assert_non_null(strstr(why, "RKE2"));
	assert_non_null(strstr(why, "v1.33.1")); /* the version found still shows */
	free(b);
	b = resolve(d, NULL, NULL, "v1.29.2", &why); /* offline, version given: the layout still decides */
	assert_string_equal(b, "rke2-cis-1.12");
	assert_non_null(strstr(why, "/var/lib/rancher/rke2"));
	free(b);
	b = resolve(d, NULL, "cis-1.11", NULL, &why); /* a named benchmark always wins */
	assert_string_equal(b, "cis-1.11");
	free(b);
	kc_test_rmtree(d);
	free(d);

	static const char *const marks[] = { "/etc/eks", "azure.json", "/home/kubernetes/kubelet-config.yaml" };
	for (size_t i = 0; i < sizeof(platforms) / sizeof(*platforms); i++) {
		d = kc_test_mkdtemp();
		build_platform(d, &platforms[i], 0);
		b = resolve(d, NULL, "auto", NULL, &why);
		assert_string_equal(b, platforms[i].bench);
		assert_non_null(strstr(why, marks[i]));
		free(b);
		b = resolve(d, NULL, "cis-1.12", NULL, &why);
		assert_string_equal(b, "cis-1.12");
		free(b);
		kc_test_rmtree(d);
		free(d);
	}

	/* EKS told apart by nodeadm's kubelet config alone (AL2023, no /etc/eks written yet) */
	d = kc_test_mkdtemp();
	put(d, "etc/kubernetes/kubelet/config.json", kubelet_json_hard, 0644, 0);
	b = resolve(d, NULL, "auto", NULL, &why);
	assert_string_equal(b, "eks-cis-1.8");
	assert_non_null(strstr(why, "nodeadm"));
	free(b);
	kc_test_rmtree(d);
	free(d);

	/* a kubeadm node keeps the version-based CIS benchmark */
	d = kc_test_mkdtemp();
	put(d, "etc/kubernetes/manifests/kube-apiserver.yaml",
	    "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: registry.k8s.io/kube-apiserver:v1.30.2\n    command: [kube-apiserver]\n",
	    0600, 0);
	b = resolve(d, NULL, "auto", NULL, &why);
	assert_string_equal(b, "cis-1.11");
	free(b);
	kc_test_rmtree(d);
	free(d);
}

/* ---- corpus trees ------------------------------------------------------------------------ */

static char *corpus_file(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/node/%s", kc_test_corpus(), rel);
	char *data = kc_test_slurp(path, NULL);
	if (!data)
		fail_msg("corpus file %s missing", path);
	return data;
}

/* The text of the first fenced block (```lang) after the heading 'after' in a Markdown file,
 * with 'must' inside it; caller frees. */
static char *md_block(const char *md, const char *after, const char *lang, const char *must)
{
	const char *p = strstr(md, after);
	assert_non_null(p);
	char fence[32];
	snprintf(fence, sizeof(fence), "```%s\n", lang);
	while ((p = strstr(p, fence)) != NULL) {
		p += strlen(fence);
		const char *end = strstr(p, "\n```");
		assert_non_null(end);
		char *text = strndup(p, (size_t)(end - p) + 1);
		if (!must || strstr(text, must))
			return text;
		free(text);
		p = end;
	}
	fail_msg("no ```%s block after %s", lang, after);
	return NULL;
}

/* A static pod manifest holding a command line of the guide (the files must exist for 1.1.x;
 * the flags themselves come from the /proc entry built from the same line). */
static void put_manifest_from_cmdline(const char *d, const char *name, const char *line)
{
	char rel[256];
	struct { char *ptr; size_t len; } b = { NULL, 0 };
	FILE *f = open_memstream(&b.ptr, &b.len);
	fprintf(f, "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: kube-system}\nspec:\n  containers:\n"
		   "  - name: %s\n    image: index.docker.io/rancher/hardened-kubernetes:v1.33.1-rke2r1-build20250515\n"
		   "    command:\n", name, name);
	for (const char *p = line; *p;) {
		while (*p == ' ' || *p == '\n')
			p++;
		size_t n = strcspn(p, " \n");
		if (!n)
			break;
		fprintf(f, "    - \"%.*s\"\n", (int)n, p);
		p += n;
	}
	fclose(f);
	snprintf(rel, sizeof(rel), RKE2_MANIFESTS "%s.yaml", name);
	put(d, rel, b.ptr, 0600, 0);
	free(b.ptr);
}

/* RKE2's CIS 1.12 self-assessment: the command lines of its hardened cluster, the kubelet's
 * config drop-in and etcd's config file shown in the guide, the audit policy of the hardening
 * guide; every file with the mode and owner the guide reports. The result of every check the
 * guide reports follows, except where the guide and kubecomply judge differently (tabled). */
static void test_corpus_rke2(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	need_root();
	char *d = kc_test_mkdtemp(), proc[1024];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	put(d, "etc/passwd", passwd, 0644, 0);
	put(d, "etc/group", group, 0644, 0);
	static const char *const comps[] = { "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kubelet" };
	for (size_t i = 0; i < sizeof(comps) / sizeof(*comps); i++) {
		char rel[256];
		snprintf(rel, sizeof(rel), "rke2-docs/cmdlines-cis112/%s.cmdline.txt", comps[i]);
		char *line = corpus_file(rel);
		put_cmdline(d, 200 + (int)i, line);
		if (i < 4)
			put_manifest_from_cmdline(d, comps[i], line);
		free(line);
	}
	put_cmdline(d, 190, "/usr/local/bin/rke2 server");
	char *kcfg = corpus_file("rke2-docs/cmdlines-cis112/kubelet-config.from-4.2.1.yaml");
	put(d, "var/lib/rancher/rke2/agent/etc/kubelet.conf.d/00-rke2-defaults.conf", kcfg, 0600, 0);
	free(kcfg);
	char *md = corpus_file("rke2-docs/cis_self_assessment112.md");
	char *etcd = md_block(md, "#### 2.1 ", "console", "client-transport-security");
	put(d, "var/lib/rancher/rke2/server/db/etcd/config", etcd, 0600, 0);
	free(etcd);
	free(md);
	char *hg = corpus_file("rke2-docs/hardening_guide.md");
	char *policy = md_block(hg, "### API Server audit configuration", "yaml", "kind: Policy");
	put(d, "etc/rancher/rke2/audit-policy.yaml", policy, 0600, 0);
	free(policy);
	free(hg);
	put(d, RKE2_MANIFESTS "etcd.yaml", rke2_etcd_pod, 0600, 0);
	/* files the command lines name, with the guide's modes (contents are placeholders) */
	put(d, "var/lib/rancher/rke2/server/cred/encryption-config.json", rke2_encryption, 0600, 0);
	put_dir(d, "var/lib/rancher/rke2/server/db/etcd", 0700, ETCD_UID);
	put(d, "var/lib/rancher/rke2/server/cred/admin.kubeconfig", kubeconfig, 0600, 0);
	put(d, "var/lib/rancher/rke2/server/cred/scheduler.kubeconfig", kubeconfig, 0600, 0);
	put(d, "var/lib/rancher/rke2/server/cred/controller.kubeconfig", kubeconfig, 0600, 0);
	put(d, "var/lib/rancher/rke2/server/tls/client-ca.crt", "client CA\n", 0644, 0);
	put(d, "var/lib/rancher/rke2/server/tls/server-ca.crt", "server CA\n", 0644, 0);
	put(d, "var/lib/rancher/rke2/server/tls/service.key", "k\n", 0600, 0);
	put(d, "var/lib/rancher/rke2/agent/kubelet.kubeconfig", kubeconfig, 0600, 0);
	put(d, "var/lib/rancher/rke2/agent/kubeproxy.kubeconfig", kubeconfig, 0600, 0);
	put(d, "var/lib/rancher/rke2/agent/client-ca.crt", "client CA\n", 0600, 0);
	put(d, "etc/cni/net.d/05-cilium.conflist", "{}\n", 0600, 0);
	put(d, "etc/rancher/rke2/config.yaml", "profile: cis\n", 0600, 0);

	const char *why;
	char *b = resolve(d, proc, "auto", NULL, &why);
	assert_string_equal(b, "rke2-cis-1.12");
	free(b);
	struct audit a;
	audit_tree(&a, d, proc, "rke2-cis-1.12", SECTIONS_1_4);
	no_errors(&a);

	/* Where the guide's result (hardened RKE2) and ours differ, and why. */
	static const struct { const char *id; enum kc_status ours; } differ[] = {
		{ "1.1.9", KC_PASS },  /* guide WARN (manual): decided from the CNI file's mode */
		{ "1.2.3", KC_FAIL },  /* guide WARN: DenyServiceExternalIPs is not enabled on that cluster */
		{ "1.2.9", KC_FAIL },  /* guide WARN: EventRateLimit is not enabled */
		{ "1.2.11", KC_FAIL }, /* guide WARN: AlwaysPullImages is not enabled */
		{ "1.2.20", KC_WARN }, /* guide PASS ("set or not set"): manual here, shown for review */
		{ "3.2.2", KC_FAIL },  /* guide WARN: RKE2's default policy logs nothing (level None) */
		{ "4.1.9", KC_PASS },  /* guide N/A: the config drop-in is checked instead */
		{ "4.1.10", KC_PASS },
		{ "4.2.12", KC_FAIL }, /* guide WARN: tlsCipherSuites unset (Go's defaults include suites the benchmark rejects) */
		{ "4.2.13", KC_FAIL }, /* guide WARN: podPidsLimit unset (-1) */
		{ "4.2.14", KC_FAIL }, /* guide WARN: seccompDefault unset (false) */
	};
	char *json = corpus_file("rke2-docs/cis_self_assessment112.checks.json");
	size_t checked = 0;
	for (size_t i = 0; i < a.run.nresults; i++) {
		const struct kc_result *r = &a.run.results[i];
		char key[64];
		snprintf(key, sizeof(key), "\"id\": \"%s\"", r->id);
		const char *at = strstr(json, key);
		assert_non_null(at);
		const char *res = strstr(at, "\"result\": \"");
		assert_non_null(res);
		res += strlen("\"result\": \"");
		enum kc_status want = strncmp(res, "PASS", 4) == 0 ? KC_PASS : KC_WARN; /* WARN and Not Applicable */
		for (size_t k = 0; k < sizeof(differ) / sizeof(*differ); k++)
			if (strcmp(differ[k].id, r->id) == 0)
				want = differ[k].ours;
		expect(&a, r->id, want);
		checked++;
	}
	free(json);
	assert_int_equal(checked, 97);
	assert_true(has_layer(&a, "4.2.1", "config-dir", "00-rke2-defaults.conf"));
	assert_true(has_layer(&a, "4.2.4", "process", NULL));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* The EKS AMI's own kubelet files: AL2 (unit + kubelet-config.json), AL2023 with nodeadm's
 * config and --config-dir drop-in, and the 2018 flags-only unit. */
static void eks_tree(const char *d, int variant)
{
	put(d, "etc/passwd", passwd, 0644, 0);
	put(d, "etc/group", group, 0644, 0);
	put_dir(d, "etc/eks", 0755, 0);
	char *unit = NULL, *cfg = NULL, *kc = NULL;
	if (variant == 0) {
		unit = corpus_file("eks-amazon-eks-ami/al2-2026/kubelet-containerd.service");
		cfg = corpus_file("eks-amazon-eks-ami/al2-2026/kubelet-config.json");
		kc = corpus_file("eks-amazon-eks-ami/al2-2026/kubelet-kubeconfig");
		put(d, "etc/kubernetes/kubelet/kubelet-config.json", cfg, 0644, 0);
	} else if (variant == 1) {
		/* nodeadm's unit, as the AL2023 AMI installs it (a fixture: the corpus has its inputs) */
		unit = strdup("[Service]\nSlice=runtime.slice\nEnvironmentFile=/etc/eks/kubelet/environment\n"
			      "ExecStart=/usr/bin/kubelet \\\n    --config /etc/kubernetes/kubelet/config.json \\\n"
			      "    --kubeconfig /var/lib/kubelet/kubeconfig \\\n"
			      "    --container-runtime-endpoint unix:///run/containerd/containerd.sock \\\n"
			      "    $NODEADM_KUBELET_ARGS \\\n    $KUBELET_EXTRA_ARGS\n");
		put(d, "etc/eks/kubelet/environment",
		    "NODEADM_KUBELET_ARGS=\"--node-ip=10.0.0.1 --config-dir=/etc/kubernetes/kubelet/config.json.d\"\n", 0644, 0);
		cfg = corpus_file("eks-amazon-eks-ami/al2023-nodeadm/kubelet-config.json");
		put(d, "etc/kubernetes/kubelet/config.json", cfg, 0644, 0);
		free(cfg);
		cfg = corpus_file("eks-amazon-eks-ami/al2023-nodeadm/kubelet-config.d-00-nodeadm.conf.json");
		put(d, "etc/kubernetes/kubelet/config.json.d/00-nodeadm.conf", cfg, 0644, 0);
		kc = corpus_file("eks-amazon-eks-ami/al2023-nodeadm/kubelet-kubeconfig.yaml");
		char *dropin = corpus_file("eks-amazon-eks-ami/al2023-nodeadm/kubelet.service.d-environment.conf");
		put(d, "etc/systemd/system/kubelet.service.d/environment.conf", dropin, 0644, 0);
		free(dropin);
	} else {
		unit = corpus_file("eks-amazon-eks-ami/al2-2018/kubelet.service.flags-only");
		kc = strdup(kubeconfig);
	}
	put(d, "etc/systemd/system/kubelet.service", unit, 0644, 0);
	put(d, "var/lib/kubelet/kubeconfig", kc, 0644, 0);
	free(unit);
	free(cfg);
	free(kc);
}

static void test_corpus_eks(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	for (int variant = 0; variant < 3; variant++) {
		char *d = kc_test_mkdtemp();
		eks_tree(d, variant);
		const char *why;
		char *b = resolve(d, NULL, "auto", NULL, &why);
		assert_string_equal(b, "eks-cis-1.8");
		free(b);
		struct audit a;
		audit_tree(&a, d, NULL, "eks-cis-1.8", NULL);
		no_errors(&a);
		for (size_t i = 0; i < sizeof(managed) / sizeof(*managed); i++) {
			enum kc_status want = KC_PASS;
			/* 2018: no config file, so the flag defaults apply: the read-only port 10255 is open */
			if (variant == 2 && strcmp(managed[i].id, "3.2.4") == 0)
				want = KC_FAIL;
			expect(&a, managed[i].id, want);
		}
		if (variant == 0)
			assert_true(has_layer(&a, "3.2.4", "config-file", "/etc/kubernetes/kubelet/kubelet-config.json"));
		if (variant == 1)
			assert_true(has_layer(&a, "3.2.1", "config-file", "/etc/kubernetes/kubelet/config.json"));
		if (variant == 2) {
			assert_true(has_layer(&a, "3.2.1", "systemd", NULL));
			assert_true(has_layer(&a, "3.2.4", "default", NULL));
		}
		audit_free(&a);
		kc_test_rmtree(d);
		free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_check_loads),
		cmocka_unit_test(test_rke2_hardened),
		cmocka_unit_test(test_rke2_weak),
		cmocka_unit_test(test_rke2_offline),
		cmocka_unit_test(test_managed_hardened),
		cmocka_unit_test(test_managed_weak),
		cmocka_unit_test(test_auto_selects_variant),
		cmocka_unit_test(test_corpus_rke2),
		cmocka_unit_test(test_corpus_eks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
