/* Policy loader: valid input, and each kind of bad input with its exact message. */
#include "kc_test.h"

#include <stdlib.h>
#include <string.h>

#include "checks/policy.h"
#include "common/error.h"

static const char valid[] =
	"benchmark: test-1\n"
	"section: \"1.2\"\n"
	"section_title: API Server\n"
	"target: master\n"
	"checks:\n"
	"  - id: 1.2.15\n"
	"    title: Ensure that the --profiling argument is set to false\n"
	"    severity: medium\n"
	"    type: automated\n"
	"    tests:\n"
	"      - flag: kube-apiserver --profiling\n"
	"        eq: \"false\"\n"
	"        default: \"true\"\n"
	"    remediation: set it\n"
	"    references: [https://example.invalid/a]\n"
	"  - id: 1.1.1\n"
	"    title: mode\n"
	"    section: \"1.1\"\n"
	"    type: automated\n"
	"    level: 2\n"
	"    scored: false\n"
	"    match: any\n"
	"    tests:\n"
	"      - file: {flag: \"kubelet --kubeconfig\", path: /etc/kubernetes/kubelet.conf}\n"
	"        mode_max: \"600\"\n"
	"        missing: warn\n"
	"      - files: {dir: /etc/kubernetes/pki, glob: \"*.key\", recursive: true}\n"
	"        owner: root:root\n"
	"  - id: 3.2.1\n"
	"    title: manual one\n"
	"    type: manual\n"
	"    manual: look at the audit policy\n";

static void test_valid(void **state)
{
	(void)state;
	struct kc_policy_set set = { 0 };
	assert_int_equal(kc_policy_load_buffer(&set, "valid.yaml", valid, strlen(valid)), 0);
	assert_int_equal(set.nchecks, 3);
	assert_string_equal(set.benchmark, "test-1");
	const struct kc_check *c = kc_policy_find(&set, "1.2.15");
	assert_non_null(c);
	assert_string_equal(c->section, "1.2");
	assert_string_equal(c->section_title, "API Server");
	assert_string_equal(c->target, "master");
	assert_int_equal(c->scored, 1);
	assert_int_equal(c->level, 1);
	assert_int_equal(c->ntests, 1);
	assert_int_equal(c->tests[0].fact, KC_FACT_FLAG);
	assert_string_equal(c->tests[0].component, "kube-apiserver");
	assert_string_equal(c->tests[0].flag, "profiling");
	assert_int_equal(c->tests[0].op, KC_OP_EQ);
	assert_string_equal(c->tests[0].defval, "true");
	assert_int_equal(c->nreferences, 1);
	c = kc_policy_find(&set, "1.1.1");
	assert_int_equal(c->level, 2);
	assert_int_equal(c->scored, 0);
	assert_int_equal(c->match_any, 1);
	assert_int_equal(c->tests[0].fact, KC_FACT_FILE);
	assert_string_equal(c->tests[0].flag, "kubeconfig");
	assert_string_equal(c->tests[0].path, "/etc/kubernetes/kubelet.conf");
	assert_int_equal(c->tests[0].mode, 0600);
	assert_int_equal(c->tests[0].missing, KC_WARN);
	assert_int_equal(c->tests[1].fact, KC_FACT_FILES);
	assert_int_equal(c->tests[1].recursive, 1);
	c = kc_policy_find(&set, "3.2.1");
	assert_string_equal(c->type, "manual");
	assert_int_equal(c->scored, 0);
	assert_string_equal(c->section, "3.2");
	kc_policy_set_clear(&set);
}

static void expect_error(const char *doc, const char *message)
{
	struct kc_policy_set set = { 0 };
	int rc = kc_policy_load_buffer(&set, "bad.yaml", doc, strlen(doc));
	assert_int_equal(rc, KC_EINVAL);
	assert_string_equal(kc_error_last(), message);
	kc_policy_set_clear(&set);
}

#define HEAD "benchmark: t\ntarget: master\nchecks:\n  - id: 1.1.1\n    title: x\n    type: automated\n"

static void test_unknown_key(void **state)
{
	(void)state;
	expect_error(HEAD "    colour: blue\n    tests: [{flag: kube-apiserver --x, present: true}]\n",
		     "bad.yaml:7:5: unknown key 'colour' in check (expected one of: id, title, section, section_title, "
		     "target, level, scored, severity, type, match, tests, manual, remediation, references)");
	expect_error("benchmark: t\nchecks: []\nextra: 1\n",
		     "bad.yaml:3:1: unknown key 'extra' at top level (expected one of: benchmark, title, section, "
		     "section_title, target, checks)");
}

static void test_bad_operator(void **state)
{
	(void)state;
	expect_error(HEAD "    tests:\n      - flag: kube-apiserver --profiling\n        eqq: \"false\"\n",
		     "bad.yaml:9:9: unknown key 'eqq' in test (expected a fact: flag, setting, env, file, files, "
		     "content, query; an operator: present, eq, neq, gte, lte, has, has_not, subset, regex, mode_max, "
		     "owner; or default, missing)");
	expect_error(HEAD "    tests:\n      - file: /etc/x\n        mode_max: \"abc\"\n",
		     "bad.yaml:9:19: operator 'mode_max' takes an octal mode like 600, got 'abc'");
	expect_error(HEAD "    tests:\n      - flag: kube-apiserver --x\n        regex: \"(\"\n",
		     "bad.yaml:9:16: operator 'regex': invalid regular expression '(': Unmatched ( or \\(");
	expect_error(HEAD "    tests:\n      - flag: kube-apiserver --x\n        eq: a\n        neq: b\n",
		     "bad.yaml:10:9: a test has one operator; 'neq' is a second one (first: 'eq')");
	expect_error(HEAD "    tests:\n      - flag: kube-apiserver --x\n        owner: root\n",
		     "bad.yaml:8:9: operator 'owner' applies to file and files facts only");
	expect_error(HEAD "    tests:\n      - flag: kube-apiserver --x\n",
		     "bad.yaml:8:9: a test of an automated check needs an operator (present, eq, neq, gte, lte, has, "
		     "has_not, subset, regex, mode_max, owner)");
}

static void test_duplicate_id(void **state)
{
	(void)state;
	expect_error(HEAD "    tests: [{flag: kube-apiserver --x, present: true}]\n"
			  "  - id: 1.1.1\n    title: y\n    type: manual\n    manual: m\n",
		     "bad.yaml:8:5: duplicate check id '1.1.1' (first defined at bad.yaml:4)");
	expect_error(HEAD "    title: again\n    tests: [{flag: kube-apiserver --x, present: true}]\n",
		     "bad.yaml:7:5: mapping key \"title\" already defined at line 5");
}

static void test_wrong_type(void **state)
{
	(void)state;
	expect_error(HEAD "    level: [1]\n    tests: [{flag: kube-apiserver --x, present: true}]\n",
		     "bad.yaml:7:12: 'level' must be 1 or 2, got a sequence");
	expect_error(HEAD "    scored: maybe\n    tests: [{flag: kube-apiserver --x, present: true}]\n",
		     "bad.yaml:7:13: 'scored' must be true or false, got 'maybe'");
	expect_error("benchmark: t\ntarget: master\nchecks: {a: 1}\n", "bad.yaml:3:9: 'checks' must be a sequence, got a mapping");
	expect_error(HEAD "    tests:\n      - flag: kube-nothing --x\n        present: true\n",
		     "bad.yaml:8:15: unknown component 'kube-nothing' (expected one of: kube-apiserver, "
		     "kube-controller-manager, kube-scheduler, etcd, kubelet, kube-proxy)");
	expect_error("benchmark: t\nchecks:\n  - id: 9\n    title: x\n    type: automated\n    tests: [{file: /x, present: true}]\n",
		     "bad.yaml:3:5: check 9 needs a 'target' (or one for the whole file)");
}

static void test_not_yaml(void **state)
{
	(void)state;
	expect_error("benchmark: [unclosed\n", "bad.yaml:2:1: did not find expected ',' or ']' while parsing a flow sequence");
	expect_error("", "bad.yaml:1:1: empty policy file (expected a mapping with 'benchmark' and 'checks')");
	expect_error("- a\n- b\n", "bad.yaml:1:1: a policy file must be a mapping with 'benchmark' and 'checks'");
}

static void test_selection(void **state)
{
	(void)state;
	struct kc_check c = { .id = "1.2.1" };
	assert_true(kc_check_selected(&c, NULL, NULL));
	assert_true(kc_check_selected(&c, "1.2", NULL));
	assert_true(kc_check_selected(&c, "4.1,1.2.1", NULL));
	assert_false(kc_check_selected(&c, "1.2.10", NULL));
	assert_false(kc_check_selected(&c, "1.2", "1.2.1"));
	assert_false(kc_check_selected(&c, "1", "1.2"));
	c.id = "1.2.10";
	assert_false(kc_check_selected(&c, "1.2.1", NULL));
	assert_true(kc_check_selected(&c, "1.2", "1.2.1"));
}

static void test_shipped_benchmark_loads(void **state)
{
	(void)state;
	struct kc_policy_set set = { 0 };
	int rc = kc_policy_load_dir(&set, "policies/cis-1.12");
	if (rc < 0)
		fail_msg("%s", kc_error_last());
	assert_true(set.nchecks >= 61);
	assert_non_null(kc_policy_find(&set, "1.1.1"));
	assert_non_null(kc_policy_find(&set, "1.2.30"));
	assert_non_null(kc_policy_find(&set, "4.1.10"));
	kc_policy_set_clear(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_operator),
		cmocka_unit_test(test_duplicate_id),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_not_yaml),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_shipped_benchmark_loads),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
