/* CIS sections 1-4 end to end: small node trees (kubeadm hardened and weak, a systemd-run
 * cluster, RKE2 and k3s layouts) audited with the shipped policies, the expected status of
 * every check written down below; corpus trees (kubeadm v1.29 static pods, an old kubeadm
 * /etc/kubernetes with its PKI, Kubernetes the Hard Way's units) copied into a temp tree at
 * test time; key material never reaches evidence or the JSON report; benchmark selection. */
#include "kc_test.h"
#include "node_tree.h"

#include <dirent.h>
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
#include "reports/report.h"


/* Writes rel under dir with mode and owner uid:uid (0 = root). */

/* ---- the kubeadm-shaped trees -------------------------------------------------------- */

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\netcd:x:998:998::/var/lib/etcd:/usr/sbin/nologin\n"
			     "nobody:x:1000:1000::/:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\netcd:x:998:\nnobody:x:1000:\n";

static const char apiserver_hard[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, namespace: kube-system}\n"
	"spec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.32.1\n    command:\n"
	"    - kube-apiserver\n    - --anonymous-auth=false\n    - --authorization-mode=Node,RBAC\n"
	"    - --enable-admission-plugins=NodeRestriction,EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs\n"
	"    - --admission-control-config-file=/etc/kubernetes/admission.yaml\n"
	"    - --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt\n"
	"    - --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key\n"
	"    - --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt\n    - --profiling=false\n"
	"    - --audit-log-path=/var/log/kubernetes/audit.log\n    - --audit-log-maxage=30\n    - --audit-log-maxbackup=10\n"
	"    - --audit-log-maxsize=100\n    - --audit-policy-file=/etc/kubernetes/audit-policy.yaml\n"
	"    - --service-account-lookup=true\n    - --service-account-key-file=/etc/kubernetes/pki/sa.pub\n"
	"    - --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt\n"
	"    - --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key\n    - --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt\n"
	"    - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt\n    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key\n"
	"    - --client-ca-file=/etc/kubernetes/pki/ca.crt\n"
	"    - --encryption-provider-config=/etc/kubernetes/encryption.yaml\n"
	"    - --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
	"    - --service-account-extend-token-expiration=false\n";

static const char apiserver_weak[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, namespace: kube-system}\n"
	"spec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.32.1\n    command:\n"
	"    - kube-apiserver\n    - --token-auth-file=/etc/kubernetes/tokens.csv\n    - --authorization-mode=AlwaysAllow\n"
	"    - --enable-admission-plugins=AlwaysAdmit\n    - --disable-admission-plugins=ServiceAccount,NamespaceLifecycle\n"
	"    - --audit-log-maxage=7\n    - --audit-log-maxbackup=2\n    - --audit-log-maxsize=10\n"
	"    - --service-account-lookup=false\n    - --client-ca-file=/etc/kubernetes/pki/ca.crt\n" /* 2.7 compares it */
	"    - --tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA\n";

static const char cm_hard[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: kube-controller-manager}\nspec:\n  containers:\n  - name: c\n"
	"    image: registry.k8s.io/kube-controller-manager:v1.32.1\n    command:\n    - kube-controller-manager\n"
	"    - --terminated-pod-gc-threshold=10\n    - --profiling=false\n    - --use-service-account-credentials=true\n"
	"    - --service-account-private-key-file=/etc/kubernetes/pki/sa.key\n    - --root-ca-file=/etc/kubernetes/pki/ca.crt\n"
	"    - --feature-gates=RotateKubeletServerCertificate=true\n    - --bind-address=127.0.0.1\n"
	"    - --kubeconfig=/etc/kubernetes/controller-manager.conf\n";
static const char cm_weak[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: kube-controller-manager}\nspec:\n  containers:\n  - name: c\n"
	"    image: registry.k8s.io/kube-controller-manager:v1.32.1\n    command:\n    - kube-controller-manager\n"
	"    - --profiling=true\n    - --use-service-account-credentials=false\n"
	"    - --feature-gates=RotateKubeletServerCertificate=false\n    - --bind-address=0.0.0.0\n"
	"    - --kubeconfig=/etc/kubernetes/controller-manager.conf\n";
static const char sched_hard[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: kube-scheduler}\nspec:\n  containers:\n  - name: s\n"
	"    image: registry.k8s.io/kube-scheduler:v1.32.1\n    command: [kube-scheduler, --profiling=false, --bind-address=127.0.0.1,"
	" --kubeconfig=/etc/kubernetes/scheduler.conf]\n";
static const char sched_weak[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: kube-scheduler}\nspec:\n  containers:\n  - name: s\n"
	"    image: registry.k8s.io/kube-scheduler:v1.32.1\n    command: [kube-scheduler, --kubeconfig=/etc/kubernetes/scheduler.conf]\n";
static const char etcd_hard[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: etcd}\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.16-0\n"
	"    command: [etcd, --data-dir=/var/lib/etcd, --client-cert-auth=true, --peer-client-cert-auth=true,"
	" --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt, --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt,"
	" --peer-key-file=/etc/kubernetes/pki/etcd/peer.key]\n"
	/* the serving pair comes from the environment, as etcd also reads it */
	"    env:\n    - {name: ETCD_CERT_FILE, value: /etc/kubernetes/pki/etcd/server.crt}\n"
	"    - {name: ETCD_KEY_FILE, value: /etc/kubernetes/pki/etcd/server.key}\n";
static const char etcd_weak[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: etcd}\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.16-0\n"
	"    command: [etcd, --data-dir=/var/lib/etcd, --auto-tls=true, --peer-auto-tls=true,"
	" --trusted-ca-file=/etc/kubernetes/pki/ca.crt]\n";

static const char encryption_hard[] =
	"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [configmaps]\n"
	"  providers: [{identity: {}}]\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n"
	"      - {name: k1, secret: c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy1sb25nLSE=}\n  - identity: {}\n";
static const char audit_hard[] =
	"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: [system:kube-proxy]\n"
	"- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [secrets, configmaps]\n"
	"- level: RequestResponse\n  resources:\n  - group: \"\"\n    resources: [pods/exec, pods/portforward]\n- level: Request\n";

static const char kubelet_unit[] =
	"[Unit]\nDescription=kubelet\n[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\n";
static const char kubeadm_dropin[] =
	"[Service]\n"
	"Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"\n"
	"Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\n"
	"EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\nEnvironmentFile=-/etc/default/kubelet\nExecStart=\n"
	"ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n";
static const char kubelet_cfg_hard[] =
	"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
	"authentication:\n  anonymous: {enabled: false}\n  webhook: {enabled: true}\n  x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}\n"
	"authorization: {mode: Webhook}\nreadOnlyPort: 0\nstreamingConnectionIdleTimeout: 5m\nmakeIPTablesUtilChains: true\n"
	"eventRecordQPS: 5\ntlsCertFile: /var/lib/kubelet/pki/kubelet.crt\ntlsPrivateKeyFile: /var/lib/kubelet/pki/kubelet.key\n"
	"rotateCertificates: true\nfeatureGates: {RotateKubeletServerCertificate: true}\n"
	"tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n"
	"podPidsLimit: 4096\nseccompDefault: true\n";
static const char kubelet_cfg_weak[] =
	"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
	"authentication:\n  anonymous: {enabled: true}\nauthorization: {mode: AlwaysAllow}\nreadOnlyPort: 10255\n"
	"streamingConnectionIdleTimeout: 0s\nmakeIPTablesUtilChains: false\neventRecordQPS: -1\nrotateCertificates: false\n"
	"featureGates: {RotateKubeletServerCertificate: false}\ntlsCipherSuites: [TLS_RSA_WITH_RC4_128_SHA]\n";
static const char proxy_unit_hard[] =
	"[Service]\nExecStart=/usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf --kubeconfig=/etc/kubernetes/proxy.conf\n";
static const char proxy_unit_weak[] =
	"[Service]\nExecStart=/usr/local/bin/kube-proxy --kubeconfig=/etc/kubernetes/proxy.conf --metrics-bind-address=0.0.0.0:10249\n";
static const char proxy_cfg[] =
	"apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmetricsBindAddress: 127.0.0.1:10249\n";
static const char kubeconfig[] = "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n";

static void build_kubeadm(const char *d, int weak)
{
	unsigned bad = weak ? NOBODY : 0;
	unsigned m600 = weak ? 0644 : 0600;
	put(d, "etc/passwd", passwd, 0644, 0);
	put(d, "etc/group", group, 0644, 0);
	put(d, "etc/kubernetes/manifests/kube-apiserver.yaml", weak ? apiserver_weak : apiserver_hard, m600, bad);
	put(d, "etc/kubernetes/manifests/kube-controller-manager.yaml", weak ? cm_weak : cm_hard, m600, bad);
	put(d, "etc/kubernetes/manifests/kube-scheduler.yaml", weak ? sched_weak : sched_hard, m600, bad);
	put(d, "etc/kubernetes/manifests/etcd.yaml", weak ? etcd_weak : etcd_hard, m600, bad);
	put_dir(d, "var/lib/etcd", weak ? 0755 : 0700, weak ? 0 : 998);
	put(d, "etc/kubernetes/admin.conf", kubeconfig, m600, bad);
	put(d, "etc/kubernetes/super-admin.conf", kubeconfig, 0600, 0);
	put(d, "etc/kubernetes/scheduler.conf", kubeconfig, m600, bad);
	put(d, "etc/kubernetes/controller-manager.conf", kubeconfig, m600, bad);
	put(d, "etc/kubernetes/kubelet.conf", kubeconfig, m600, bad);
	put(d, "etc/kubernetes/proxy.conf", kubeconfig, m600, bad);
	put(d, "etc/kubernetes/pki/ca.crt", "cluster CA\n", weak ? 0666 : 0644, bad);
	put(d, "etc/kubernetes/pki/ca.key", "k\n", weak ? 0644 : 0600, 0);
	put(d, "etc/kubernetes/pki/etcd/ca.crt", "etcd CA\n", 0644, 0);
	put(d, "etc/cni/net.d/10-bridge.conflist", "{\"cniVersion\": \"1.0.0\"}\n", m600, bad);
	if (!weak) {
		put(d, "etc/kubernetes/encryption.yaml", encryption_hard, 0600, 0);
		put(d, "etc/kubernetes/audit-policy.yaml", audit_hard, 0600, 0);
	}
	/* 4.1.1/4.1.2 judge every file of the unit in effect (unit file and drop-ins), not
	 * only kubeadm's drop-in: the hardened tree has its unit file at 600 too */
	put(d, "lib/systemd/system/kubelet.service", kubelet_unit, m600, 0);
	put(d, "etc/systemd/system/kubelet.service.d/10-kubeadm.conf", kubeadm_dropin, m600, bad);
	put(d, "var/lib/kubelet/kubeadm-flags.env",
	    /* streamingConnectionIdleTimeout: 0s in the config is defaulted to 4h after the merge
	     * (SetDefaults_KubeletConfiguration); only a flag makes the kubelet run with 0 */
	    weak ? "KUBELET_KUBEADM_ARGS=\"--hostname-override=node-a --streaming-connection-idle-timeout=0\"\n"
		 : "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock\"\n", 0644, 0);
	put(d, "var/lib/kubelet/config.yaml", weak ? kubelet_cfg_weak : kubelet_cfg_hard, m600, bad);
	put(d, "etc/systemd/system/kube-proxy.service", weak ? proxy_unit_weak : proxy_unit_hard, 0644, 0);
	put(d, "var/lib/kube-proxy/config.conf", proxy_cfg, 0600, 0);
}

/* Every check of CIS v1.12 sections 1-4 on the hardened and the weak kubeadm tree. Manual
 * checks the node's files decide are PASS/FAIL too; the rest stay WARN. */
static const struct { const char *id; enum kc_status hard, weak; } cis112[] = {
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
	{ "1.2.25", KC_PASS, KC_PASS }, { "1.2.26", KC_PASS, KC_FAIL }, { "1.2.27", KC_PASS, KC_FAIL },
	{ "1.2.28", KC_PASS, KC_FAIL }, { "1.2.29", KC_PASS, KC_FAIL }, { "1.2.30", KC_PASS, KC_FAIL },
	{ "1.3.1", KC_PASS, KC_FAIL }, { "1.3.2", KC_PASS, KC_FAIL }, { "1.3.3", KC_PASS, KC_FAIL },
	{ "1.3.4", KC_PASS, KC_FAIL }, { "1.3.5", KC_PASS, KC_FAIL }, { "1.3.6", KC_PASS, KC_FAIL },
	{ "1.3.7", KC_PASS, KC_FAIL }, { "1.4.1", KC_PASS, KC_FAIL }, { "1.4.2", KC_PASS, KC_FAIL },
	{ "2.1", KC_PASS, KC_FAIL }, { "2.2", KC_PASS, KC_FAIL }, { "2.3", KC_PASS, KC_FAIL },
	{ "2.4", KC_PASS, KC_FAIL }, { "2.5", KC_PASS, KC_FAIL }, { "2.6", KC_PASS, KC_FAIL },
	{ "2.7", KC_PASS, KC_FAIL }, { "3.1.1", KC_WARN, KC_WARN }, { "3.1.2", KC_WARN, KC_WARN },
	{ "3.1.3", KC_WARN, KC_WARN }, { "3.2.1", KC_PASS, KC_FAIL }, { "3.2.2", KC_PASS, KC_FAIL },
	{ "4.1.1", KC_PASS, KC_FAIL }, { "4.1.2", KC_PASS, KC_FAIL }, { "4.1.3", KC_PASS, KC_FAIL },
	{ "4.1.4", KC_PASS, KC_FAIL }, { "4.1.5", KC_PASS, KC_FAIL }, { "4.1.6", KC_PASS, KC_FAIL },
	{ "4.1.7", KC_PASS, KC_FAIL }, { "4.1.8", KC_PASS, KC_FAIL }, { "4.1.9", KC_PASS, KC_FAIL },
	{ "4.1.10", KC_PASS, KC_FAIL }, { "4.2.1", KC_PASS, KC_FAIL }, { "4.2.2", KC_PASS, KC_FAIL },
	{ "4.2.3", KC_PASS, KC_FAIL }, { "4.2.4", KC_PASS, KC_FAIL }, { "4.2.5", KC_PASS, KC_FAIL },
	{ "4.2.6", KC_PASS, KC_FAIL }, { "4.2.7", KC_PASS, KC_FAIL }, { "4.2.8", KC_PASS, KC_FAIL },
	{ "4.2.9", KC_PASS, KC_FAIL }, { "4.2.10", KC_PASS, KC_FAIL }, { "4.2.11", KC_PASS, KC_FAIL },
	{ "4.2.12", KC_PASS, KC_FAIL }, { "4.2.13", KC_PASS, KC_FAIL }, { "4.2.14", KC_PASS, KC_FAIL },
	{ "4.3.1", KC_PASS, KC_FAIL },
};

static void run_kubeadm(int weak)
{
	if (!kc_test_is_root()) {
		print_message("kc-skip: ownership cases need root (chown)\n");
		skip();
	}
	char *d = kc_test_mkdtemp();
	build_kubeadm(d, weak);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "master,etcd,controlplane,node");
	size_t n = 0;
	for (size_t i = 0; i < sizeof(cis112) / sizeof(*cis112); i++, n++)
		expect(&a, cis112[i].id, weak ? cis112[i].weak : cis112[i].hard);
	/* the table covers every check of sections 1-4 */
	assert_int_equal(a.run.nresults, n);
	for (size_t i = 0; i < a.run.nresults; i++)
		assert_int_not_equal(a.run.results[i].status, KC_ERROR);
	/* a kubelet check names the layer that decided it */
	assert_true(has_layer(&a, "4.2.1", "config-file", "/var/lib/kubelet/config.yaml"));
	if (weak)
		assert_true(has_layer(&a, "4.2.7", "systemd", "/var/lib/kubelet/kubeadm-flags.env"));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

static void test_kubeadm_hardened(void **state) { (void)state; run_kubeadm(0); }
static void test_kubeadm_weak(void **state) { (void)state; run_kubeadm(1); }

/* 1.2.30 and 4.2.14 are new in v1.11/v1.12; v1.10 judges CA files against 600. */
static void test_older_benchmarks(void **state)
{
	(void)state;
	if (!kc_test_is_root())
		skip();
	char *d = kc_test_mkdtemp();
	build_kubeadm(d, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.10", "master,controlplane,etcd,node"); /* sections 1-4 */
	assert_int_equal(a.run.nresults, 95);
	assert_null(kc_policy_find(&a.set, "1.2.30"));
	assert_null(kc_policy_find(&a.set, "4.2.14"));
	expect(&a, "1.1.20", KC_FAIL); /* ca.crt is 644, v1.10 wants 600 */
	expect(&a, "4.2.1", KC_PASS);
	audit_free(&a);
	audit_tree(&a, d, NULL, "cis-1.11", "master,controlplane,etcd,node"); /* sections 1-4 */
	assert_int_equal(a.run.nresults, 98);
	expect(&a, "1.1.20", KC_PASS);
	expect(&a, "4.2.15", KC_FAIL); /* kubelet.service has no IPAddressDeny= */
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* 4.2.15 (v1.11): IPAddressDeny= read from the kubelet unit and its drop-ins. */
static void test_ipaddressdeny(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "lib/systemd/system/kubelet.service", "[Service]\nExecStart=/usr/bin/kubelet\n", 0644, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.11", "node");
	expect(&a, "4.2.15", KC_FAIL);
	audit_free(&a);
	put(d, "etc/systemd/system/kubelet.service.d/20-ip.conf", "[Service]\nIPAddressDeny=any\nIPAddressAllow=localhost\n",
	    0644, 0);
	audit_tree(&a, d, NULL, "cis-1.11", "node");
	expect(&a, "4.2.15", KC_PASS);
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* The precedence case: the config file says readOnlyPort 10255 and a drop-in passes
 * --read-only-port=0: the flag wins and 4.2.4 passes; the reverse fails. */
static void precedence_case(int flag_port, int file_port, enum kc_status want)
{
	char *d = kc_test_mkdtemp();
	char buf[256];
	put(d, "lib/systemd/system/kubelet.service", kubelet_unit, 0644, 0);
	put(d, "etc/systemd/system/kubelet.service.d/10-kubeadm.conf", kubeadm_dropin, 0600, 0);
	snprintf(buf, sizeof(buf), "[Service]\nEnvironment=\"KUBELET_EXTRA_ARGS=--read-only-port=%d\"\n", flag_port);
	put(d, "etc/systemd/system/kubelet.service.d/20-port.conf", buf, 0600, 0);
	snprintf(buf, sizeof(buf), "kind: KubeletConfiguration\nreadOnlyPort: %d\n", file_port);
	put(d, "var/lib/kubelet/config.yaml", buf, 0600, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.2.4", want);
	/* the evidence names the drop-in that set the flag as the deciding layer */
	assert_true(has_layer(&a, "4.2.4", "systemd", "20-port.conf"));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

static void test_precedence_flag_beats_file(void **state)
{
	(void)state;
	precedence_case(0, 10255, KC_PASS);
	precedence_case(10255, 0, KC_FAIL);
}

/* A kubelet with no config file takes the flags' defaults: anonymous auth on, AlwaysAllow,
 * read-only port 10255. */
static void test_kubelet_without_config(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/systemd/system/kubelet.service", "[Service]\nExecStart=/usr/bin/kubelet --kubeconfig=/etc/kubernetes/kubelet.conf\n",
	    0644, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.2.1", KC_FAIL);
	expect(&a, "4.2.2", KC_FAIL);
	expect(&a, "4.2.4", KC_FAIL);
	expect(&a, "4.2.6", KC_PASS);
	assert_true(has_layer(&a, "4.2.4", "default", NULL));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* --config-dir drop-ins override the base file, later files over earlier ones. */
static void test_kubelet_config_dir(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/systemd/system/kubelet.service",
	    "[Service]\nExecStart=/usr/bin/kubelet --config=/etc/kubelet.yaml --config-dir=/etc/kubelet.conf.d\n", 0644, 0);
	put(d, "etc/kubelet.yaml", "kind: KubeletConfiguration\nreadOnlyPort: 0\nauthentication: {anonymous: {enabled: false}}\n", 0600, 0);
	put(d, "etc/kubelet.conf.d/10-a.conf", "kind: KubeletConfiguration\nreadOnlyPort: 10255\n", 0600, 0);
	put(d, "etc/kubelet.conf.d/20-b.conf", "{\"kind\": \"KubeletConfiguration\", \"authentication\": {\"anonymous\": {\"enabled\": true}}}\n",
	    0600, 0);
	put(d, "etc/kubelet.conf.d/30-c.yaml", "readOnlyPort: 0\n", 0600, 0); /* not *.conf: ignored */
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "node");
	expect(&a, "4.2.4", KC_FAIL);
	assert_true(has_layer(&a, "4.2.4", "config-dir", "10-a.conf"));
	expect(&a, "4.2.1", KC_FAIL);
	assert_true(has_layer(&a, "4.2.1", "config-dir", "20-b.conf"));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* ---- distributions --------------------------------------------------------------------- */

static void test_distributions(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	struct kc_node n;
	const char *why;
	put(d, "etc/rancher/k3s/config.yaml", "write-kubeconfig-mode: \"0600\"\n", 0600, 0);
	assert_int_equal(kc_node_open(&n, d, NULL), 0);
	assert_int_equal(kc_node_distribution(&n, &why), KC_DISTRO_K3S);
	kc_node_clear(&n);
	kc_test_rmtree(d);
	free(d);

	/* RKE2: static pods under its own directory are found and audited */
	d = kc_test_mkdtemp();
	put(d, "var/lib/rancher/rke2/agent/pod-manifests/kube-apiserver.yaml", apiserver_hard, 0600, 0);
	assert_int_equal(kc_node_open(&n, d, NULL), 0);
	assert_int_equal(kc_node_distribution(&n, &why), KC_DISTRO_RKE2);
	assert_int_equal(kc_node_component(&n, KC_COMP_APISERVER)->source, KC_SRC_STATIC_POD);
	kc_node_clear(&n);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "master");
	expect(&a, "1.2.15", KC_PASS);
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);

	/* a process tree: k3s runs everything in one process */
	d = kc_test_mkdtemp();
	char proc[1024];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	kc_test_write(d, "proc/42/cmdline", "/usr/local/bin/k3s\0server", 0644);
	assert_int_equal(kc_node_open(&n, d, proc), 0);
	assert_int_equal(kc_node_distribution(&n, &why), KC_DISTRO_K3S);
	kc_node_clear(&n);
	kc_test_rmtree(d);
	free(d);
}

/* ---- benchmark selection ---------------------------------------------------------------- */

static void test_benchmark_auto(void **state)
{
	(void)state;
	const char *why;
	char *b = kc_benchmark_resolve("auto", NULL, "v1.29.4", &why, NULL);
	assert_string_equal(b, "cis-1.11");
	free(b);
	b = kc_benchmark_resolve(NULL, NULL, "1.28", &why, NULL);
	assert_string_equal(b, "cis-1.10");
	free(b);
	b = kc_benchmark_resolve("auto", NULL, "v1.33.0", &why, NULL);
	assert_string_equal(b, "cis-1.12");
	free(b);
	b = kc_benchmark_resolve("cis-1.10", NULL, "v1.33.0", &why, NULL);
	assert_string_equal(b, "cis-1.10");
	free(b);

	/* from a static pod's image tag */
	char *d = kc_test_mkdtemp();
	put(d, "etc/kubernetes/manifests/kube-apiserver.yaml",
	    "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: registry.k8s.io/kube-apiserver:v1.30.2\n    command: [kube-apiserver]\n",
	    0600, 0);
	struct kc_node n;
	assert_int_equal(kc_node_open(&n, d, NULL), 0);
	b = kc_benchmark_resolve("auto", &n, NULL, &why, NULL);
	assert_string_equal(b, "cis-1.11");
	assert_non_null(strstr(why, "v1.30.2"));
	free(b);
	kc_node_clear(&n);
	kc_test_rmtree(d);
	free(d);

	/* from the binary's embedded version string (a fake ELF-ish blob) */
	d = kc_test_mkdtemp();
	put(d, "etc/systemd/system/kubelet.service", "[Service]\nExecStart=/opt/bin/kubelet\n", 0644, 0);
	static const char blob[] = "\x7f" "ELF....go1.22.5\tgithub.com/x/y\tv1.28.0\th1:...\0gitVersion\0v1.32.3\0";
	char path[1024];
	snprintf(path, sizeof(path), "%s/opt/bin/kubelet", d);
	kc_test_write(d, "opt/bin/kubelet", "", 0755);
	FILE *f = fopen(path, "w");
	fwrite(blob, 1, sizeof(blob), f);
	fclose(f);
	assert_int_equal(kc_node_open(&n, d, NULL), 0);
	b = kc_benchmark_resolve("auto", &n, NULL, &why, NULL);
	assert_string_equal(b, "cis-1.12");
	assert_non_null(strstr(why, "v1.32.3"));
	free(b);
	kc_node_clear(&n);
	kc_test_rmtree(d);
	free(d);
}

/* ---- corpus trees ----------------------------------------------------------------------- */

/* Copies a corpus directory into the tree (files and directories; symlinks are not made). */
static void copy_tree(const char *src, const char *dst, unsigned fmode)
{
	DIR *dh = opendir(src);
	assert_non_null(dh);
	char parents[1024];
	snprintf(parents, sizeof(parents), "%s", dst);
	for (char *p = parents + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(parents, 0755);
			*p = '/';
		}
	mkdir(dst, 0755);
	struct dirent *de;
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		char s[1024], t[1024];
		snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
		snprintf(t, sizeof(t), "%s/%s", dst, de->d_name);
		struct stat st;
		assert_int_equal(lstat(s, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			copy_tree(s, t, fmode);
		} else if (S_ISREG(st.st_mode)) {
			size_t len;
			char *data = kc_test_slurp(s, &len);
			assert_non_null(data);
			FILE *f = fopen(t, "w");
			assert_non_null(f);
			assert_int_equal(fwrite(data, 1, len, f), len);
			fclose(f);
			chmod(t, fmode);
			free(data);
		}
	}
	closedir(dh);
}

static void test_corpus_kubeadm_v129(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	char *d = kc_test_mkdtemp(), src[1024], dst[1024];
	snprintf(src, sizeof(src), "%s/node/kubeadm-v1.29-cppntn/etc/kubernetes/manifests", kc_test_corpus());
	snprintf(dst, sizeof(dst), "%s/etc/kubernetes/manifests", d);
	put(d, "etc/passwd", passwd, 0644, 0);
	copy_tree(src, dst, 0600);
	struct kc_node n;
	assert_int_equal(kc_node_open(&n, d, NULL), 0);
	const char *why;
	char *b = kc_benchmark_resolve("auto", &n, NULL, &why, NULL);
	assert_string_equal(b, "cis-1.11"); /* image tag v1.29.0 */
	kc_node_clear(&n);
	struct audit a;
	audit_tree(&a, d, NULL, b, "master,etcd");
	free(b);
	no_errors(&a);
	/* what kubeadm v1.29 writes: Node,RBAC and NodeRestriction, no audit log, no profiling
	 * flag, no kubelet CA; loopback binds; etcd with client and peer certificate auth */
	expect(&a, "1.1.1", KC_PASS);
	expect(&a, "1.2.5", KC_FAIL);
	expect(&a, "1.2.6", KC_PASS);
	expect(&a, "1.2.7", KC_PASS);
	expect(&a, "1.2.8", KC_PASS);
	expect(&a, "1.2.12", KC_PASS); /* ServiceAccount: on by default */
	expect(&a, "1.2.14", KC_PASS);
	expect(&a, "1.2.15", KC_FAIL);
	expect(&a, "1.2.16", KC_FAIL);
	expect(&a, "1.2.22", KC_PASS);
	expect(&a, "1.2.27", KC_FAIL);
	expect(&a, "1.3.2", KC_FAIL);
	expect(&a, "1.3.3", KC_PASS);
	expect(&a, "1.3.7", KC_PASS);
	expect(&a, "1.4.2", KC_PASS);
	expect(&a, "2.1", KC_PASS);
	expect(&a, "2.2", KC_PASS);
	expect(&a, "2.4", KC_PASS);
	expect(&a, "2.5", KC_PASS);
	expect(&a, "2.6", KC_PASS);
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* A fake key planted where the real ones live, so the assertion means something even though
 * the corpus's own key files are empty. */
#define FAKE_KEY_BODY "MIIEowIBAAKCAQEAq7BFUpkGp3+LQmlQYx2eqzDV+xeG8kx/sQFV18S5JhzGeIJ6"
static const char fake_key[] = "-----BEGIN RSA PRIVATE KEY-----\n" FAKE_KEY_BODY "\n-----END RSA PRIVATE KEY-----\n";

static void test_corpus_kubeadm_old_pki(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	char *d = kc_test_mkdtemp(), src[1024], dst[1024];
	snprintf(src, sizeof(src), "%s/node/kubeadm-tree-cmeza99/etc/kubernetes", kc_test_corpus());
	snprintf(dst, sizeof(dst), "%s/etc", d);
	mkdir(dst, 0755);
	snprintf(dst, sizeof(dst), "%s/etc/kubernetes", d);
	copy_tree(src, dst, 0600);
	put(d, "etc/passwd", passwd, 0644, 0);
	put(d, "etc/kubernetes/pki/front-proxy-ca.key", fake_key, 0600, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.10", "master,etcd,controlplane,node");
	no_errors(&a);
	/* v1.8: AlwaysAllow is gone, Node,RBAC set; key files 0600 by our copy */
	expect(&a, "1.1.21", KC_PASS);
	expect(&a, "1.2.7", KC_PASS);
	expect(&a, "1.2.8", KC_PASS);
	/* no key material in evidence or in the JSON report */
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	assert_int_equal(kc_report_json_fprint(&a.run, f), 0);
	fclose(f);
	assert_null(strstr(json, "PRIVATE KEY"));
	assert_null(strstr(json, FAKE_KEY_BODY));
	assert_null(strstr(json, "MIIEow"));
	for (size_t i = 0; i < a.run.nresults; i++)
		for (size_t j = 0; j < a.run.results[i].nevidence; j++) {
			const struct kc_evidence *e = &a.run.results[i].evidence[j];
			const char *fields[] = { e->value, e->detail, e->source, e->key };
			for (size_t k = 0; k < 4; k++)
				assert_true(!fields[k] || (!strstr(fields[k], "PRIVATE KEY") && !strstr(fields[k], "MIIEow")));
		}
	free(json);
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* Kubernetes the Hard Way: every component a systemd unit, configs at the paths the units
 * name. */
static void test_corpus_kthw(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	char *d = kc_test_mkdtemp(), src[1024], dst[1024];
	const char *c = kc_test_corpus();
	snprintf(src, sizeof(src), "%s/node/kthw/units", c);
	snprintf(dst, sizeof(dst), "%s/etc", d);
	mkdir(dst, 0755);
	snprintf(dst, sizeof(dst), "%s/etc/systemd", d);
	mkdir(dst, 0755);
	snprintf(dst, sizeof(dst), "%s/etc/systemd/system", d);
	copy_tree(src, dst, 0644);
	static const struct { const char *file, *to; } cfg[] = {
		{ "kubelet-config.yaml", "var/lib/kubelet/kubelet-config.yaml" },
		{ "encryption-config.yaml", "var/lib/kubernetes/encryption-config.yaml" },
		{ "kube-proxy-config.yaml", "var/lib/kube-proxy/kube-proxy-config.yaml" },
		/* the scheduler unit runs with --config: the file is part of the node */
		{ "kube-scheduler.yaml", "etc/kubernetes/config/kube-scheduler.yaml" },
	};
	for (size_t i = 0; i < sizeof(cfg) / sizeof(*cfg); i++) {
		snprintf(src, sizeof(src), "%s/node/kthw/configs/%s", c, cfg[i].file);
		char *data = kc_test_slurp(src, NULL);
		assert_non_null(data);
		put(d, cfg[i].to, data, 0600, 0);
		free(data);
	}
	put(d, "etc/passwd", passwd, 0644, 0);
	struct kc_node n;
	assert_int_equal(kc_node_open(&n, d, NULL), 0);
	for (int i = 0; i < KC_COMP_COUNT; i++)
		assert_int_equal(kc_node_component(&n, (enum kc_component_id)i)->source, KC_SRC_SYSTEMD);
	const char *why;
	assert_int_equal(kc_node_distribution(&n, &why), KC_DISTRO_SYSTEMD);
	kc_node_clear(&n);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.12", "master,etcd,controlplane,node");
	no_errors(&a);
	expect(&a, "1.2.6", KC_PASS);
	expect(&a, "1.2.14", KC_PASS);
	expect(&a, "1.2.16", KC_PASS);
	expect(&a, "1.2.17", KC_PASS);
	expect(&a, "1.2.18", KC_FAIL);       /* --audit-log-maxbackup=3 */
	expect(&a, "1.2.23", KC_FAIL);       /* etcd over plain http */
	expect(&a, "1.2.27", KC_PASS);
	expect(&a, "1.3.7", KC_FAIL);        /* --bind-address=0.0.0.0 */
	expect(&a, "1.4.1", KC_FAIL);        /* --config governs: enableProfiling defaults to true */
	expect(&a, "2.1", KC_FAIL);
	expect(&a, "2.2", KC_FAIL);
	expect(&a, "2.3", KC_PASS);
	expect(&a, "3.2.1", KC_FAIL);        /* no audit policy file */
	expect(&a, "4.1.9", KC_PASS);
	expect(&a, "4.2.1", KC_PASS);
	assert_true(has_layer(&a, "4.2.1", "config-file", "/var/lib/kubelet/kubelet-config.yaml"));
	expect(&a, "4.2.2", KC_PASS);
	expect(&a, "4.2.3", KC_PASS);
	expect(&a, "4.2.4", KC_PASS);        /* unset in a config file: 0 */
	expect(&a, "4.2.9", KC_PASS);        /* tlsCertFile set */
	expect(&a, "4.3.1", KC_PASS);        /* metricsBindAddress defaults to 127.0.0.1:10249 */
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* 1.2.28 decided from the EncryptionConfiguration: the first provider of the entry that
 * covers secrets encrypts writes (the corpus file puts aescbc first). */
static void test_encryption_provider(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	put(d, "etc/kubernetes/manifests/kube-apiserver.yaml",
	    "kind: Pod\nspec:\n  containers:\n  - name: a\n    command: [kube-apiserver, --encryption-provider-config=/etc/enc.yaml]\n",
	    0600, 0);
	put(d, "etc/enc.yaml", "kind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers: [{identity: {}}, {aescbc: {}}]\n",
	    0600, 0);
	struct audit a;
	audit_tree(&a, d, NULL, "cis-1.11", "master");
	expect(&a, "1.2.28", KC_FAIL); /* identity first: stored in plain text */
	expect(&a, "1.2.25", KC_FAIL); /* the FAIL case of 1.2.25: no --client-ca-file */
	expect(&a, "1.2.27", KC_PASS);
	audit_free(&a);
	put(d, "etc/enc.yaml", "kind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers: [{kms: {name: x}}, {identity: {}}]\n",
	    0600, 0);
	audit_tree(&a, d, NULL, "cis-1.11", "master");
	expect(&a, "1.2.28", KC_PASS);
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubeadm_hardened),
		cmocka_unit_test(test_kubeadm_weak),
		cmocka_unit_test(test_older_benchmarks),
		cmocka_unit_test(test_ipaddressdeny),
		cmocka_unit_test(test_precedence_flag_beats_file),
		cmocka_unit_test(test_kubelet_without_config),
		cmocka_unit_test(test_kubelet_config_dir),
		cmocka_unit_test(test_distributions),
		cmocka_unit_test(test_benchmark_auto),
		cmocka_unit_test(test_corpus_kubeadm_v129),
		cmocka_unit_test(test_corpus_kubeadm_old_pki),
		cmocka_unit_test(test_corpus_kthw),
		cmocka_unit_test(test_encryption_provider),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
