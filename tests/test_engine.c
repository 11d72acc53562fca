/* The engine on node trees the tests build: operators, file modes and owners, planted
 * symlinks, flag sources and their precedence, defaults, targets, manual checks. */
#include "kc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/engine.h"
#include "common/error.h"

static const char apiserver[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver}\nspec:\n  containers:\n  - name: kube-apiserver\n"
	"    image: registry.k8s.io/kube-apiserver:v1.31.2\n"
	"    command:\n    - kube-apiserver\n    - --authorization-mode=Node,RBAC\n"
	"    - --enable-admission-plugins=NodeRestriction\n    - --audit-log-maxage=7\n    - --token=s3cr3t-value\n";

struct fx {
	char *dir;
	struct kc_node node;
	struct kc_policy_set set;
	struct kc_run run;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = kc_test_mkdtemp();
	kc_test_write(f->dir, "etc/kubernetes/manifests/kube-apiserver.yaml", apiserver, 0600);
	kc_test_write(f->dir, "etc/passwd", "root:x:0:0::/root:/bin/sh\netcd:x:998:998::/var/lib/etcd:/bin/false\n", 0644);
	kc_test_write(f->dir, "etc/group", "root:x:0:\netcd:x:998:\n", 0644);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	kc_run_clear(&f->run);
	kc_policy_set_clear(&f->set);
	if (f->node.root)
		kc_node_clear(&f->node);
	kc_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Loads a policy from text, audits the fixture tree, returns the result of check id. */
static const struct kc_result *audit(struct fx *f, const char *proc, const char *policy, const char *id)
{
	kc_run_clear(&f->run);
	kc_policy_set_clear(&f->set);
	if (f->node.root)
		kc_node_clear(&f->node);
	if (kc_policy_load_buffer(&f->set, "t.yaml", policy, strlen(policy)) < 0)
		fail_msg("policy: %s", kc_error_last());
	assert_int_equal(kc_node_open(&f->node, f->dir, proc), 0);
	struct kc_engine_opts o = { 0 };
	kc_engine_run(&f->set, &f->node, &o, &f->run);
	for (size_t i = 0; i < f->run.nresults; i++)
		if (strcmp(f->run.results[i].id, id) == 0)
			return &f->run.results[i];
	fail_msg("no result for %s", id);
	return NULL;
}

#define POLICY(target, tests) \
	"benchmark: t\ntarget: " target "\nchecks:\n  - id: 9.9.9\n    title: t\n    type: automated\n    tests:\n" tests

static const struct kc_evidence *find_ev(const struct kc_result *r, enum kc_evidence_kind kind)
{
	for (size_t i = 0; i < r->nevidence; i++)
		if (r->evidence[i].kind == kind)
			return &r->evidence[i];
	return NULL;
}

static void test_operators(void **state)
{
	struct fx *f = *state;
	struct { const char *test; enum kc_status want; } cases[] = {
		{ "      - flag: kube-apiserver --authorization-mode\n        has: RBAC\n", KC_PASS },
		{ "      - flag: kube-apiserver --authorization-mode\n        has: RBA\n", KC_FAIL },
		{ "      - flag: kube-apiserver --authorization-mode\n        has_not: AlwaysAllow\n", KC_PASS },
		{ "      - flag: kube-apiserver --authorization-mode\n        eq: Node,RBAC\n", KC_PASS },
		{ "      - flag: kube-apiserver --authorization-mode\n        neq: Node,RBAC\n", KC_FAIL },
		{ "      - flag: kube-apiserver --authorization-mode\n        regex: \"^Node,\"\n", KC_PASS },
		{ "      - flag: kube-apiserver --authorization-mode\n        subset: \"Node,RBAC,Webhook\"\n", KC_PASS },
		{ "      - flag: kube-apiserver --authorization-mode\n        subset: \"Node\"\n", KC_FAIL },
		{ "      - flag: kube-apiserver --audit-log-maxage\n        gte: 30\n", KC_FAIL },
		{ "      - flag: kube-apiserver --audit-log-maxage\n        lte: 7\n", KC_PASS },
		{ "      - flag: kube-apiserver --audit-log-maxage\n        gte: 7\n", KC_PASS },
		{ "      - flag: kube-apiserver --profiling\n        present: false\n", KC_PASS },
		{ "      - flag: kube-apiserver --profiling\n        present: true\n", KC_FAIL },
		/* unset, the default decides: kube-apiserver profiles unless told not to */
		{ "      - flag: kube-apiserver --profiling\n        eq: \"false\"\n        default: \"true\"\n", KC_FAIL },
		{ "      - flag: kube-apiserver --service-account-lookup\n        eq: \"true\"\n        default: \"true\"\n", KC_PASS },
		/* unset with no default: not compliant */
		{ "      - flag: kube-apiserver --service-account-lookup\n        eq: \"true\"\n", KC_FAIL },
		{ "      - flag: kube-apiserver --enable-admission-plugins\n        has_not: AlwaysAdmit\n        default: \"\"\n", KC_PASS },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char policy[1024];
		snprintf(policy, sizeof(policy), POLICY("master", "%s"), cases[i].test);
		const struct kc_result *r = audit(f, NULL, policy, "9.9.9");
		if (r->status != cases[i].want)
			fail_msg("case %zu: got %s want %s (%s / %s)", i, kc_status_name(r->status),
				 kc_status_name(cases[i].want), r->expected, r->actual);
	}
	/* durations compare in seconds */
	const struct kc_result *r = audit(f, NULL, POLICY("master", "      - flag: kube-apiserver --x\n        gte: 5m\n        default: 4h0m0s\n"), "9.9.9");
	assert_int_equal(r->status, KC_PASS);
	const struct kc_evidence *ev = find_ev(r, KC_EV_DEFAULT);
	assert_non_null(ev);
	assert_string_equal(ev->value, "4h0m0s");
}

static void test_static_pod_evidence_redacted(void **state)
{
	struct fx *f = *state;
	const struct kc_result *r = audit(f, NULL, POLICY("master", "      - flag: kube-apiserver --token\n        present: false\n"), "9.9.9");
	assert_int_equal(r->status, KC_FAIL);
	const struct kc_evidence *ev = find_ev(r, KC_EV_CONFIG);
	assert_non_null(ev);
	assert_string_equal(ev->layer, "static-pod");
	assert_string_equal(ev->source, "/etc/kubernetes/manifests/kube-apiserver.yaml");
	assert_string_equal(ev->value, "<redacted>");
	assert_int_equal(ev->line, 13); /* the manifest line that sets it */
	assert_null(r->actual ? strstr(r->actual, "s3cr3t") : NULL);
	for (size_t i = 0; i < r->nevidence; i++)
		assert_null(r->evidence[i].detail ? strstr(r->evidence[i].detail, "s3cr3t") : NULL);
	/* a value the check is about stays readable: --authorization-mode is not a credential */
	r = audit(f, NULL, POLICY("master", "      - flag: kube-apiserver --authorization-mode\n        present: true\n"), "9.9.9");
	ev = find_ev(r, KC_EV_CONFIG);
	assert_string_equal(ev->value, "Node,RBAC");
	assert_int_equal(ev->line, 10);
}

static void test_process_beats_manifest(void **state)
{
	struct fx *f = *state;
	static const char cmd[] = "/usr/local/bin/kube-apiserver\0--authorization-mode=AlwaysAllow\0";
	char *proc = kc_test_mkdtemp();
	FILE *fp = fopen(kc_test_write(proc, "77/cmdline", "", 0644), "w");
	fwrite(cmd, 1, sizeof(cmd) - 1, fp);
	fclose(fp);
	const struct kc_result *r = audit(f, proc, POLICY("master", "      - flag: kube-apiserver --authorization-mode\n        has_not: AlwaysAllow\n"), "9.9.9");
	assert_int_equal(r->status, KC_FAIL);
	const struct kc_evidence *ev = find_ev(r, KC_EV_PROCESS);
	assert_non_null(ev);
	assert_int_equal(ev->pid, 77);
	assert_string_equal(ev->layer, "process");
	kc_test_rmtree(proc);
	free(proc);
}

static void test_file_modes(void **state)
{
	struct fx *f = *state;
	struct { unsigned mode; enum kc_status want; } cases[] = {
		{ 0600, KC_PASS }, { 0400, KC_PASS }, { 0000, KC_PASS }, { 0640, KC_FAIL }, { 0700, KC_FAIL }, { 0604, KC_FAIL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *p = kc_test_write(f->dir, "etc/kubernetes/admin.conf", "x", cases[i].mode);
		chmod(p, cases[i].mode);
		const struct kc_result *r = audit(f, NULL, POLICY("master", "      - file: /etc/kubernetes/admin.conf\n        mode_max: \"600\"\n"), "9.9.9");
		if (r->status != cases[i].want)
			fail_msg("mode %o: got %s (%s)", cases[i].mode, kc_status_name(r->status), r->actual);
		const struct kc_evidence *ev = find_ev(r, KC_EV_FILE);
		assert_non_null(ev);
		assert_int_equal(ev->has_stat, 1);
		assert_int_equal(ev->mode & 07777, cases[i].mode);
		/* sha256 of "x" */
		assert_string_equal(ev->sha256, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
	}
}

static void test_owner_names_from_audited_root(void **state)
{
	struct fx *f = *state;
	if (!kc_test_is_root()) {
		print_message("kc-skip: chown needs root\n");
		skip();
	}
	const char *p = kc_test_write(f->dir, "var/lib/etcd/member", "x", 0600);
	assert_int_equal(chown(p, 998, 998), 0);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/var/lib/etcd", f->dir);
	assert_int_equal(chown(dir, 998, 998), 0);
	const struct kc_result *r = audit(f, NULL, POLICY("master", "      - file: {path: /var/lib/etcd, type: directory}\n        owner: etcd:etcd\n"), "9.9.9");
	assert_int_equal(r->status, KC_PASS);
	r = audit(f, NULL, POLICY("master", "      - file: {path: /var/lib/etcd, type: directory}\n        owner: root:root\n"), "9.9.9");
	assert_int_equal(r->status, KC_FAIL);
	assert_non_null(strstr(r->actual, "etcd:etcd"));
	r = audit(f, NULL, POLICY("master", "      - files: {dir: /var/lib/etcd, recursive: true}\n        owner: etcd\n"), "9.9.9");
	assert_int_equal(r->status, KC_PASS);
}

/* Issue 12 §5: a checked path that is a symlink is resolved inside --root (never outside it),
 * the verdict is on the target's mode and owner, the evidence names link and target. */
static void test_symlink_judged_on_target_inside_root(void **state)
{
	struct fx *f = *state;
	/* the link's target under the tree, not the auditor's own /tmp/innocent */
	kc_test_write(f->dir, "tmp/innocent", "x", 0644);
	char link[4096];
	snprintf(link, sizeof(link), "%s/etc/kubernetes/scheduler.conf", f->dir);
	unlink(link);
	assert_int_equal(symlink("/tmp/innocent", link), 0);
	const struct kc_result *r = audit(f, NULL, POLICY("master", "      - file: /etc/kubernetes/scheduler.conf\n        mode_max: \"600\"\n"), "9.9.9");
	assert_int_equal(r->status, KC_FAIL); /* the target is 0644 */
	assert_non_null(strstr(r->actual, "symlink to /tmp/innocent"));
	assert_non_null(strstr(r->actual, "mode 644"));
	const struct kc_evidence *ev = find_ev(r, KC_EV_FILE);
	assert_non_null(strstr(ev->detail, "resolved inside --root to /tmp/innocent"));
	char tgt[4096];
	snprintf(tgt, sizeof(tgt), "%s/tmp/innocent", f->dir);
	assert_int_equal(chmod(tgt, 0600), 0);
	r = audit(f, NULL, POLICY("master", "      - file: /etc/kubernetes/scheduler.conf\n        mode_max: \"600\"\n"), "9.9.9");
	assert_int_equal(r->status, KC_PASS);

	/* a symlinked directory pointing at the auditor's own /etc stays inside the root */
	char dirlink[4096];
	snprintf(dirlink, sizeof(dirlink), "%s/hostetc", f->dir);
	assert_int_equal(symlink("/etc", dirlink), 0);
	r = audit(f, NULL, POLICY("master", "      - file: /hostetc/passwd\n        present: true\n"), "9.9.9");
	assert_int_equal(r->status, KC_PASS); /* the tree's own etc/passwd, not the auditor's */
	r = audit(f, NULL, POLICY("master", "      - file: /hostetc/shadow\n        present: true\n"), "9.9.9");
	assert_int_equal(r->status, KC_FAIL); /* the host has /etc/shadow; the tree does not */
	r = audit(f, NULL, POLICY("master", "      - file: /../../../../etc/shadow\n        present: true\n"), "9.9.9");
	assert_int_equal(r->status, KC_FAIL);
}

static void test_missing_file_and_targets(void **state)
{
	struct fx *f = *state;
	/* the one rule for missing files: WARN with the reason unless the policy says the
	 * benchmark's audit reads "if it exists" (missing: pass) — was FAIL before */
	const struct kc_result *r = audit(f, NULL, POLICY("master", "      - file: /etc/kubernetes/none.conf\n        mode_max: \"600\"\n"), "9.9.9");
	assert_int_equal(r->status, KC_WARN);
	assert_non_null(strstr(r->reason, "does not exist"));
	r = audit(f, NULL, POLICY("master", "      - file: /etc/kubernetes/none.conf\n        mode_max: \"600\"\n        missing: fail\n"), "9.9.9");
	assert_int_equal(r->status, KC_FAIL);
	r = audit(f, NULL, POLICY("master", "      - file: /etc/kubernetes/none.conf\n        mode_max: \"600\"\n        missing: pass\n"), "9.9.9");
	assert_int_equal(r->status, KC_PASS);
	r = audit(f, NULL, POLICY("master", "      - file: /etc/kubernetes/none.conf\n        mode_max: \"600\"\n        missing: warn\n"), "9.9.9");
	assert_int_equal(r->status, KC_WARN);
	assert_non_null(strstr(r->reason, "does not exist"));
	/* no kubelet on this tree: worker checks are skipped with the reason */
	r = audit(f, NULL, POLICY("node", "      - file: /etc/kubernetes/kubelet.conf\n        mode_max: \"600\"\n"), "9.9.9");
	assert_int_equal(r->status, KC_SKIP);
	assert_non_null(strstr(r->reason, "kubelet"));
	r = audit(f, NULL, POLICY("policies", "      - query: rbac.x\n"), "9.9.9");
	assert_int_equal(r->status, KC_SKIP);
}

static void test_same_sentence_of_two_tests_printed_once(void **state)
{
	struct fx *f = *state;
	/* two tests of one fact used to read "--x is not set or --x is not set" */
	const struct kc_result *r = audit(f, NULL,
		"benchmark: t\ntarget: master\nchecks:\n  - id: 9.9.9\n    title: t\n    type: automated\n    match: any\n"
		"    tests:\n      - flag: kube-apiserver --token-auth-file\n        present: true\n"
		"      - flag: kube-apiserver --token-auth-file\n        present: true\n", "9.9.9");
	assert_int_equal(r->status, KC_FAIL);
	assert_string_equal(r->actual, "--token-auth-file is not set");
}

static void test_kubelet_setting_layers(void **state)
{
	struct fx *f = *state;
	kc_test_write(f->dir, "var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\nreadOnlyPort: 10255\n", 0600);
	const char *pol = POLICY("node", "      - setting: {component: kubelet, flag: read-only-port, config: readOnlyPort}\n"
					 "        eq: \"0\"\n        default: \"0\"\n");
	const struct kc_result *r = audit(f, NULL, pol, "9.9.9");
	assert_int_equal(r->status, KC_FAIL);
	int saw_layer = 0;
	for (size_t i = 0; i < r->nevidence; i++)
		if (r->evidence[i].layer && strcmp(r->evidence[i].layer, "config-file") == 0 && r->evidence[i].line == 2)
			saw_layer = 1;
	assert_true(saw_layer);
	/* the flag on the running kubelet beats the file */
	static const char cmd[] = "/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0--read-only-port=0\0";
	char *proc = kc_test_mkdtemp();
	FILE *fp = fopen(kc_test_write(proc, "12/cmdline", "", 0644), "w");
	fwrite(cmd, 1, sizeof(cmd) - 1, fp);
	fclose(fp);
	r = audit(f, proc, pol, "9.9.9");
	assert_int_equal(r->status, KC_PASS);
	const struct kc_evidence *ev = find_ev(r, KC_EV_PROCESS);
	assert_non_null(ev);
	assert_string_equal(ev->value, "0");
	kc_test_rmtree(proc);
	free(proc);
}

static void test_manual_and_content(void **state)
{
	struct fx *f = *state;
	const struct kc_result *r = audit(f, NULL, "benchmark: t\ntarget: master\nchecks:\n  - id: 3.1.1\n    title: t\n"
					  "    type: manual\n    manual: look at the users\n", "3.1.1");
	assert_int_equal(r->status, KC_WARN);
	assert_string_equal(r->reason, "manual check: look at the users");
	kc_test_write(f->dir, "etc/kubernetes/enc.yaml",
		      "kind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc: {keys: []}\n  - identity: {}\n", 0600);
	r = audit(f, NULL, "benchmark: t\ntarget: master\nchecks:\n  - id: 1.2.28\n    title: t\n    type: manual\n"
			   "    tests:\n      - content: {file: /etc/kubernetes/enc.yaml, key: resources.0.providers.0}\n"
			   "        regex: \"^(aescbc|kms|secretbox)$\"\n", "1.2.28");
	assert_int_equal(r->status, KC_PASS);
	assert_int_equal(r->scored, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_pod_evidence_redacted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_beats_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_names_from_audited_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_judged_on_target_inside_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_and_targets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_sentence_of_two_tests_printed_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kubelet_setting_layers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manual_and_content, setup, teardown),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
