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

#include <dirent.h>
#include <grp.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "auditlog/rules.h"
#include "bpf/rules.h"
#include "checks/k8s/cluster.h"
#include "checks/k8s/exceptions.h"
#include "checks/k8s/kubeconfig.h"
#include "checks/nodequery.h"
#include "checks/policy.h"
#include "common/atomic_file.h"
#include "gitops/pr.h"

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
		kc_node_clear(&n);
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
	kc_node_clear(&n);
	kc_test_rmtree(d);
	free(d);
}


/* ---- hangs: FIFOs, devices and huge files where outside input is expected ---- */

/* A hang would stop the suite forever; the alarm turns it into a failure of the test that
 * hung (not a timing assertion: nothing here takes more than milliseconds unless it hangs). */
static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("hung: an open or read of planted input blocked for 60 s");
}

static void hang_guard(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGALRM, &sa, NULL);
	alarm(60);
}
#define HANG_GUARD() hang_guard()

static void fifo(const char *dir, const char *rel)
{
	const char *p = kc_test_write(dir, rel, "", 0600); /* creates the parents */
	char path[4096];
	snprintf(path, sizeof(path), "%s", p);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
}

static void test_fifo_in_proc_does_not_hang(void **state)
{
	(void)state;
	HANG_GUARD();
	char *d = tree();
	fifo(d, "proc/42/cmdline");
	put_cmdline(d, 43, "etcd --data-dir=/var/lib/etcd");
	fifo(d, "proc/43/environ");
	char proc[4096];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	struct kc_node n;
	assert_int_equal(kc_node_open(&n, d, proc), 0);
	const struct kc_component *c = kc_node_component(&n, KC_COMP_ETCD);
	assert_int_equal(c->source, KC_SRC_PROCESS);
	assert_null(c->env);
	kc_node_clear(&n);
	kc_test_rmtree(d);
	free(d);
	alarm(0);
}

static void test_fifo_as_outside_input_refused(void **state)
{
	(void)state;
	HANG_GUARD();
	char *d = tree();
	/* --policy-dir content */
	fifo(d, "policies/9-planted.yaml");
	char path[4096];
	snprintf(path, sizeof(path), "%s/policies", d);
	struct kc_policy_set set;
	memset(&set, 0, sizeof(set));
	assert_true(kc_policy_load_dir(&set, path) < 0);
	assert_non_null(strstr(kc_error_last(), "is a FIFO, expected a regular file"));
	assert_non_null(strstr(kc_error_last(), "9-planted.yaml"));
	kc_policy_set_clear(&set);
	/* --manifests naming a FIFO */
	fifo(d, "manifests.yaml");
	snprintf(path, sizeof(path), "%s/manifests.yaml", d);
	struct kc_cluster *cl = kc_cluster_new();
	kc_cluster_load_manifests(cl, path);
	assert_true(kc_cluster_warning_count(cl) > 0);
	assert_non_null(strstr(kc_cluster_warning(cl, 0), "is a FIFO"));
	kc_cluster_free(cl);
	/* --exceptions */
	fifo(d, "exceptions.yaml");
	snprintf(path, sizeof(path), "%s/exceptions.yaml", d);
	struct kc_exceptions *ex = NULL;
	assert_true(kc_exceptions_load(path, &ex) < 0);
	assert_non_null(strstr(kc_error_last(), "is a FIFO"));
	/* --kubeconfig */
	fifo(d, "kubeconfig");
	snprintf(path, sizeof(path), "%s/kubeconfig", d);
	struct kc_kubeconfig_opts ko = { .kubeconfig = path };
	struct kc_k8s_creds cr;
	memset(&cr, 0, sizeof(cr));
	assert_true(kc_kubeconfig_load(&ko, &cr) < 0);
	assert_non_null(strstr(kc_error_last(), "is a FIFO"));
	kc_k8s_creds_clear(&cr);
	/* audit-log rules, runtime rules and the gitops token file */
	fifo(d, "rules.yaml");
	snprintf(path, sizeof(path), "%s/rules.yaml", d);
	struct kc_audit_rules *ar = NULL;
	assert_true(kc_audit_rules_load(path, &ar) < 0);
	assert_non_null(strstr(kc_error_last(), "is a FIFO"));
	struct kc_bpf_rules br;
	memset(&br, 0, sizeof(br));
	assert_true(kc_bpf_rules_load(path, &br) < 0);
	assert_non_null(strstr(kc_error_last(), "is a FIFO"));
	kc_bpf_rules_clear(&br);
	char *tok = NULL;
	assert_true(kc_pr_read_token(path, &tok) < 0);
	assert_non_null(strstr(kc_error_last(), "is a FIFO"));
	kc_test_rmtree(d);
	free(d);
	alarm(0);
}

static void test_device_and_huge_file_bounded(void **state)
{
	(void)state;
	HANG_GUARD();
	char *d = tree();
	/* a policy file that is /dev/zero */
	put(d, "policies/.keep", "", 0600, 0);
	char path[4096];
	snprintf(path, sizeof(path), "%s/policies/1-zero.yaml", d);
	assert_int_equal(symlink("/dev/zero", path), 0);
	snprintf(path, sizeof(path), "%s/policies", d);
	struct kc_policy_set set;
	memset(&set, 0, sizeof(set));
	assert_true(kc_policy_load_dir(&set, path) < 0);
	assert_non_null(strstr(kc_error_last(), "is a character device"));
	kc_policy_set_clear(&set);
	/* a 10 GB sparse manifest: refused by its size, not read */
	snprintf(path, sizeof(path), "%s/huge.yaml", d);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 10LL << 30), 0);
	close(fd);
	struct kc_cluster *cl = kc_cluster_new();
	kc_cluster_load_manifests(cl, path);
	assert_true(kc_cluster_warning_count(cl) > 0);
	assert_non_null(strstr(kc_cluster_warning(cl, 0), "huge.yaml"));
	assert_non_null(strstr(kc_cluster_warning(cl, 0), "limit"));
	kc_cluster_free(cl);
	/* the same as an exceptions file (before: read silently cut at 16 MiB) */
	struct kc_exceptions *ex = NULL;
	assert_true(kc_exceptions_load(path, &ex) < 0);
	assert_non_null(strstr(kc_error_last(), "limit"));
	kc_test_rmtree(d);
	free(d);
	alarm(0);
}

/* ---- escapes and false PASSes ---- */

/* A /proc/<pid> under --root that is a symlink out of the root: its content is not evidence. */
static void test_proc_symlink_out_of_root_not_read(void **state)
{
	(void)state;
	char *d = tree(), *outside = tree();
	put_cmdline(outside, 7, "kube-apiserver --anonymous-auth=true");
	put(d, "proc/.keep", "", 0600, 0);
	char link[4096], target[4096], proc[4096];
	snprintf(link, sizeof(link), "%s/proc/77", d);
	snprintf(target, sizeof(target), "%s/proc/7", outside);
	assert_int_equal(symlink(target, link), 0);
	snprintf(proc, sizeof(proc), "%s/proc", d);
	struct kc_node n;
	assert_int_equal(kc_node_open(&n, d, proc), 0);
	const struct kc_component *c = kc_node_component(&n, KC_COMP_APISERVER);
	assert_int_not_equal(c->source, KC_SRC_PROCESS);
	kc_node_clear(&n);
	kc_test_rmtree(d);
	kc_test_rmtree(outside);
	free(d);
	free(outside);
}

#define FILE_POLICY(path, extra) \
	"benchmark: t\ntarget: master\nchecks:\n  - id: 9.9.9\n    title: t\n    type: automated\n    tests:\n" \
	"      - file: " path "\n        mode_max: \"600\"\n" extra

static const struct kc_result *audit_policy(struct audit *a, const char *root, const char *policy)
{
	memset(a, 0, sizeof(*a));
	/* the target (master) is present */
	put(root, "etc/kubernetes/manifests/kube-apiserver.yaml", apiserver_pod, 0600, 0);
	assert_int_equal(kc_node_open(&a->node, root, NULL), 0);
	if (kc_policy_load_buffer(&a->set, "t.yaml", policy, strlen(policy)) < 0)
		fail_msg("policy: %s", kc_error_last());
	struct kc_engine_opts o = { 0 };
	kc_engine_run(&a->set, &a->node, &o, &a->run);
	return result(a, "9.9.9");
}

static void test_checked_file_must_be_regular(void **state)
{
	(void)state;
	HANG_GUARD();
	char *d = tree();
	fifo(d, "etc/kubernetes/admin.conf");
	put_dir(d, "etc/kubernetes/scheduler.conf", 0600, 0);
	char dev[4096];
	snprintf(dev, sizeof(dev), "%s/etc/kubernetes/controller-manager.conf", d);
	int have_dev = mknod(dev, S_IFCHR | 0600, makedev(1, 3)) == 0;
	struct audit a;
	const struct kc_result *r = audit_policy(&a, d, FILE_POLICY("/etc/kubernetes/admin.conf", ""));
	assert_int_equal(r->status, KC_FAIL);
	assert_non_null(strstr(r->actual, "is a FIFO, expected a regular file"));
	audit_free(&a);
	r = audit_policy(&a, d, FILE_POLICY("/etc/kubernetes/scheduler.conf", ""));
	assert_int_equal(r->status, KC_FAIL);
	assert_non_null(strstr(r->actual, "is a directory, expected a regular file"));
	audit_free(&a);
	if (have_dev) {
		r = audit_policy(&a, d, FILE_POLICY("/etc/kubernetes/controller-manager.conf", ""));
		assert_int_equal(r->status, KC_FAIL);
		assert_non_null(strstr(r->actual, "is a character device"));
		audit_free(&a);
	}
	/* a FIFO where a config's content is read: ERROR naming the type, and no hang */
	fifo(d, "var/lib/kubelet/config.yaml");
	r = audit_policy(&a, d, "benchmark: t\ntarget: master\nchecks:\n  - id: 9.9.9\n    title: t\n    type: automated\n"
			 "    tests:\n      - content: {file: /var/lib/kubelet/config.yaml, key: readOnlyPort}\n        eq: \"0\"\n");
	assert_int_equal(r->status, KC_ERROR);
	assert_non_null(strstr(r->reason, "is a FIFO"));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
	alarm(0);
}

/* Issue 12 §5: a dangling link and one that would leave --root are results of their own. */
static void test_symlink_dangling_or_escaping_is_its_own_result(void **state)
{
	(void)state;
	char *d = tree();
	put(d, "etc/kubernetes/.keep", "", 0600, 0);
	char link[4096];
	snprintf(link, sizeof(link), "%s/etc/kubernetes/admin.conf", d);
	assert_int_equal(symlink("/nowhere/admin.conf", link), 0);
	struct audit a;
	const struct kc_result *r = audit_policy(&a, d, FILE_POLICY("/etc/kubernetes/admin.conf", ""));
	assert_int_equal(r->status, KC_WARN);
	assert_non_null(strstr(r->reason, "dangling"));
	audit_free(&a);
	snprintf(link, sizeof(link), "%s/etc/kubernetes/scheduler.conf", d);
	assert_int_equal(symlink("../../../../../../etc/passwd", link), 0);
	r = audit_policy(&a, d, FILE_POLICY("/etc/kubernetes/scheduler.conf", ""));
	assert_int_equal(r->status, KC_ERROR);
	assert_non_null(strstr(r->reason, "leaves --root"));
	audit_free(&a);
	/* its content is not read at the clamped target either */
	r = audit_policy(&a, d, "benchmark: t\ntarget: master\nchecks:\n  - id: 9.9.9\n    title: t\n    type: automated\n"
			 "    tests:\n      - content: {file: /etc/kubernetes/scheduler.conf, key: kind}\n        eq: Config\n");
	assert_int_equal(r->status, KC_ERROR);
	assert_non_null(strstr(r->reason, "leaves --root"));
	audit_free(&a);
	snprintf(link, sizeof(link), "%s/etc/kubernetes/loop.conf", d);
	assert_int_equal(symlink("/etc/kubernetes/loop.conf", link), 0);
	r = audit_policy(&a, d, FILE_POLICY("/etc/kubernetes/loop.conf", ""));
	assert_int_equal(r->status, KC_ERROR);
	audit_free(&a);
	/* a PKI directory that is a symlink: walked at its target inside the root */
	put(d, "srv/pki/ca.key", "k", 0644, 0);
	snprintf(link, sizeof(link), "%s/etc/kubernetes/pki", d);
	assert_int_equal(symlink("/srv/pki", link), 0);
	static const char walk[] = "benchmark: t\ntarget: master\nchecks:\n  - id: 9.9.9\n    title: t\n    type: automated\n"
				   "    tests:\n      - files: {dir: /etc/kubernetes/pki, glob: '*.key'}\n        mode_max: \"600\"\n";
	r = audit_policy(&a, d, walk);
	assert_int_equal(r->status, KC_FAIL); /* /srv/pki/ca.key is 0644 */
	audit_free(&a);
	unlink(link);
	assert_int_equal(symlink("/srv/nothing", link), 0);
	r = audit_policy(&a, d, walk);
	assert_int_equal(r->status, KC_WARN);
	assert_non_null(strstr(r->reason, "dangling"));
	audit_free(&a);
	kc_test_rmtree(d);
	free(d);
}

/* An unreadable PKI directory: nobody looked at its entries, so nothing passes. Root reads
 * every directory, so the audit runs in a child that gave up root. */
static void test_pki_listing_error_is_error(void **state)
{
	(void)state;
	need_root();
	char *d = tree();
	assert_int_equal(chmod(d, 0755), 0);
	put(d, "etc/kubernetes/pki/ca.key", "k", 0600, 0);
	put(d, "etc/kubernetes/manifests/kube-apiserver.yaml", apiserver_pod, 0644, 0);
	char pki[4096];
	snprintf(pki, sizeof(pki), "%s/etc/kubernetes/pki", d);
	assert_int_equal(chmod(pki, 0), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(100);
		struct kc_node n;
		if (kc_node_open(&n, d, NULL) < 0)
			_exit(101);
		struct kc_policy_set set;
		memset(&set, 0, sizeof(set));
		const char *pol = "benchmark: t\ntarget: master\nchecks:\n  - id: 9.9.9\n    title: t\n    type: automated\n"
				  "    tests:\n      - files: {dir: /etc/kubernetes/pki, glob: '*.key', recursive: true}\n"
				  "        mode_max: \"600\"\n";
		if (kc_policy_load_buffer(&set, "t.yaml", pol, strlen(pol)) < 0)
			_exit(102);
		struct kc_run run;
		memset(&run, 0, sizeof(run));
		struct kc_engine_opts o = { 0 };
		kc_engine_run(&set, &n, &o, &run);
		_exit(run.nresults == 1 ? 10 + (int)run.results[0].status : 103);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	chmod(pki, 0755);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 10 + KC_ERROR);
	kc_test_rmtree(d);
	free(d);
}

/* A flag after the first MiBs of a command line: before, it was dropped and "--token-auth-file
 * is not set" passed. Now the whole line is read up to the bound, and past it nothing about
 * the component is decided. */
static void test_long_cmdline_flag_not_dropped(void **state)
{
	(void)state;
	char *d = tree();
	put(d, "proc/42/.keep", "", 0600, 0);
	char path[4096];
	snprintf(path, sizeof(path), "%s/proc/42/cmdline", d);
	static const char head[] = "kube-apiserver\0--anonymous-auth=false\0--padding=";
	static const char tail[] = "\0--token-auth-file=/etc/tokens.csv";
	const char *policy = "benchmark: t\ntarget: master\nchecks:\n  - id: 9.9.9\n    title: t\n    type: automated\n"
			     "    tests:\n      - flag: \"kube-apiserver --token-auth-file\"\n        present: false\n";
	/* 2 MiB of padding: within what a kernel allows; then 65 MiB: past the bound */
	long long pads[] = { 2LL << 20, 65LL << 20 };
	enum kc_status want[] = { KC_FAIL, KC_WARN };
	for (int i = 0; i < 2; i++) {
		int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, head, sizeof(head) - 1), (ssize_t)(sizeof(head) - 1));
		char *pad = malloc((size_t)pads[i]);
		memset(pad, 'x', (size_t)pads[i]);
		assert_int_equal(write(fd, pad, (size_t)pads[i]), (ssize_t)pads[i]);
		free(pad);
		assert_int_equal(write(fd, tail, sizeof(tail)), (ssize_t)sizeof(tail));
		close(fd);
		struct audit a;
		memset(&a, 0, sizeof(a));
		char proc[4096];
		snprintf(proc, sizeof(proc), "%s/proc", d);
		assert_int_equal(kc_node_open(&a.node, d, proc), 0);
		assert_int_equal(kc_policy_load_buffer(&a.set, "t.yaml", policy, strlen(policy)), 0);
		struct kc_engine_opts o = { 0 };
		kc_engine_run(&a.set, &a.node, &o, &a.run);
		expect(&a, "9.9.9", want[i]);
		audit_free(&a);
	}
	kc_test_rmtree(d);
	free(d);
}

/* ---- reports: kill -9 while writing leaves nothing behind ---- */

static int count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		n += strstr(de->d_name, ".tmp-") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void test_report_killed_mid_write_leaves_nothing(void **state)
{
	(void)state;
	char *d = tree();
	char path[4096];
	snprintf(path, sizeof(path), "%s/report.json", d);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct kc_atomic_file af;
		if (kc_atomic_open(&af, path) < 0)
			_exit(1);
		fputs("{\"half\": ", af.fp);
		fflush(af.fp);
		(void)!write(ready[1], "x", 1);
		for (;;)
			pause();
	}
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	assert_int_equal(count_tmp(d), 0);
	assert_int_equal(access(path, F_OK), -1);
	/* a complete write still lands whole */
	assert_int_equal(kc_atomic_write(path, "{}\n", 3), 0);
	size_t len;
	char *got = kc_test_slurp(path, &len);
	assert_string_equal(got, "{}\n");
	free(got);
	assert_int_equal(count_tmp(d), 0);
	kc_test_rmtree(d);
	free(d);
}

/* Where O_TMPFILE is unavailable a named temporary is used: one whose writer died (its lock
 * is free) is removed by the next write of the same report; a live writer's is kept. */
static void test_stale_report_temporaries_cleaned(void **state)
{
	(void)state;
	char *d = tree();
	kc_test_write(d, "report.json.tmp-AbC123", "stale", 0600);
	const char *live = kc_test_write(d, "report.json.tmp-LiVe99", "live", 0600);
	int lfd = open(live, O_RDONLY);
	assert_true(lfd >= 0);
	assert_int_equal(flock(lfd, LOCK_EX), 0);
	kc_test_write(d, "other.json.tmp-AbC123", "not ours", 0600);
	char path[4096];
	snprintf(path, sizeof(path), "%s/report.json", d);
	assert_int_equal(kc_atomic_write(path, "{}\n", 3), 0);
	snprintf(path, sizeof(path), "%s/report.json.tmp-AbC123", d);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/report.json.tmp-LiVe99", d);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/other.json.tmp-AbC123", d);
	assert_int_equal(access(path, F_OK), 0);
	close(lfd);
	kc_test_rmtree(d);
	free(d);
}

/* ---- secrets: redacted by rule, in every field of the store and the reports ---- */

static int file_has(const char *path, const char *needle)
{
	size_t len;
	char *data = kc_test_slurp(path, &len);
	assert_non_null(data);
	int found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

static void test_secrets_redacted_by_rule_in_store_and_reports(void **state)
{
	(void)state;
	char *d = tree();
	/* both pflag forms, names on no list, a cloud key in an unrelated flag */
	put_cmdline(d, 42, "kube-apiserver --token S3CRET-tok-1 --registry-password=S3CRET-reg-2 --api-token=S3CRET-api-3 "
			   "--static-token S3CRET-static-4 --azure-client-secret S3CRET-azure-5 --token-auth-file=/etc/kubernetes/tokens.csv "
			   "--authorization-mode=Node,RBAC --cloud-config-note=AKIAIOSFODNN7EXAMPLE --anonymous-auth=false");
	put(d, "etc/kubernetes/manifests/kube-apiserver.yaml", apiserver_pod, 0600, 0);
	/* a check whose actual text carries the credential value */
	put(d, "extra/9-secret.yaml",
	    "benchmark: cis-1.12\nchecks:\n  - id: 9.9.1\n    title: api token shown\n    target: master\n    type: automated\n"
	    "    tests:\n      - flag: \"kube-apiserver --api-token\"\n        eq: \"x\"\n"
	    "  - id: 9.9.2\n    title: azure secret shown\n    target: master\n    type: automated\n"
	    "    tests:\n      - flag: \"kube-apiserver --azure-client-secret\"\n        eq: \"x\"\n",
	    0644, 0);
	char proc[4096], db[4096], json[4096], pol[4096];
	snprintf(proc, sizeof(proc), "%s/proc", d);
	snprintf(db, sizeof(db), "%s/kc.db", d);
	snprintf(json, sizeof(json), "%s/out.json", d);
	snprintf(pol, sizeof(pol), "%s/extra", d);
	const char *argv[] = { "audit", "--root", d, "--proc", proc, "--db", db, "--json", json, "--policy-dir", pol,
			       "--benchmark", "cis-1.12", "--quiet", NULL };
	char *out = NULL;
	int rc = kc_test_run(&out, argv);
	if (rc < 0 || rc > 1)
		fail_msg("audit exited %d: %s", rc, out ? out : "");
	static const char *const secrets[] = { "S3CRET-tok-1", "S3CRET-reg-2", "S3CRET-api-3", "S3CRET-static-4",
					       "S3CRET-azure-5", "AKIAIOSFODNN7EXAMPLE" };
	for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++) {
		if (file_has(json, secrets[i]))
			fail_msg("%s leaked into the JSON report", secrets[i]);
		if (file_has(db, secrets[i]))
			fail_msg("%s leaked into the store", secrets[i]);
		if (out && strstr(out, secrets[i]))
			fail_msg("%s leaked into the terminal output", secrets[i]);
	}
	/* paths and settings stay readable: they are the evidence */
	assert_true(file_has(json, "--token-auth-file=/etc/kubernetes/tokens.csv"));
	assert_true(file_has(json, "--authorization-mode=Node,RBAC"));
	assert_true(file_has(json, "--api-token=<redacted>"));
	assert_true(file_has(json, "--token <redacted>"));
	/* a report rendered again from the store holds the same redacted text */
	char again[4096];
	snprintf(again, sizeof(again), "%s/again.json", d);
	const char *rep[] = { "report", "--db", db, "--run", "latest", "--json", again, "--quiet", NULL };
	assert_int_equal(kc_test_run(NULL, rep), 0);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++)
		assert_false(file_has(again, secrets[i]));
	assert_true(file_has(again, "--authorization-mode=Node,RBAC"));
	free(out);
	kc_test_rmtree(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_cache_growth_keeps_entries),
		cmocka_unit_test(test_file_cache_entries_stable),
		cmocka_unit_test(test_fifo_in_proc_does_not_hang),
		cmocka_unit_test(test_fifo_as_outside_input_refused),
		cmocka_unit_test(test_device_and_huge_file_bounded),
		cmocka_unit_test(test_proc_symlink_out_of_root_not_read),
		cmocka_unit_test(test_checked_file_must_be_regular),
		cmocka_unit_test(test_symlink_dangling_or_escaping_is_its_own_result),
		cmocka_unit_test(test_pki_listing_error_is_error),
		cmocka_unit_test(test_long_cmdline_flag_not_dropped),
		cmocka_unit_test(test_report_killed_mid_write_leaves_nothing),
		cmocka_unit_test(test_stale_report_temporaries_cleaned),
		cmocka_unit_test(test_secrets_redacted_by_rule_in_store_and_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
