/* deploy/monitoring: the PrometheusRule's rules pass `promtool check rules` and the unit tests
 * in tests/fixtures/alerts/kubecomply-alerts.test.yaml (`promtool test rules`: each alert fires
 * on the series it is about, with the labels and annotations the runbooks name, and stays
 * quiet on the neighbouring healthy series); the ServiceMonitor selects the watch Service's
 * labels and port. Runs from the checkout, as scripts/run-tests.sh does. */
#include "kc_test.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "common/yaml.h"

#define RULE_CR "deploy/monitoring/prometheusrule.yaml"
#define RULE_TEST "tests/fixtures/alerts/kubecomply-alerts.test.yaml"

static json_object *load_doc(const char *path)
{
	size_t len = 0;
	char *text = kc_test_slurp(path, &len);
	assert_non_null(text);
	struct kc_yaml y;
	int rc = kc_yaml_load(&y, path, text, len);
	if (rc < 0)
		print_error("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	assert_int_equal(y.ndocs, 1);
	json_object *doc = NULL;
	assert_int_equal(kc_yaml_to_json(&y.docs[0], kc_yaml_root(&y, 0), 100000, &doc), 0);
	kc_yaml_clear(&y);
	free(text);
	return doc;
}

static const char *str_at(json_object *o, const char *a, const char *b, const char *c)
{
	const char *keys[] = { a, b, c };
	for (size_t i = 0; i < 3 && keys[i] && o; i++)
		if (!json_object_object_get_ex(o, keys[i], &o))
			o = NULL;
	return o ? json_object_get_string(o) : NULL;
}

/* Runs cmd, returns its exit status; its output goes to the test log. */
static int run_shell(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_prometheusrule_passes_promtool_unit_tests(void **state)
{
	(void)state;
	struct stat sb;
	if (stat(RULE_CR, &sb) != 0) {
		print_message("kc-skip: " RULE_CR " not found (run from the checkout)\n");
		skip();
	}
	if (run_shell("command -v promtool >/dev/null 2>&1") != 0) {
		print_message("kc-skip: promtool (Debian package prometheus) not installed\n");
		skip();
	}
	json_object *cr = load_doc(RULE_CR);
	assert_string_equal(str_at(cr, "apiVersion", NULL, NULL), "monitoring.coreos.com/v1");
	assert_string_equal(str_at(cr, "kind", NULL, NULL), "PrometheusRule");
	/* kube-prometheus-stack's ruleSelector */
	assert_string_equal(str_at(cr, "metadata", "labels", "release"), "kube-prometheus-stack");
	json_object *spec = NULL;
	assert_true(json_object_object_get_ex(cr, "spec", &spec));

	/* every alert has a runbook section in docs/alerts.md */
	size_t dlen = 0;
	char *docs = kc_test_slurp("docs/alerts.md", &dlen);
	assert_non_null(docs);
	json_object *groups = NULL;
	assert_true(json_object_object_get_ex(spec, "groups", &groups));
	size_t nalerts = 0;
	for (size_t g = 0; g < json_object_array_length(groups); g++) {
		json_object *rules = NULL;
		assert_true(json_object_object_get_ex(json_object_array_get_idx(groups, g), "rules", &rules));
		for (size_t i = 0; i < json_object_array_length(rules); i++) {
			json_object *r = json_object_array_get_idx(rules, i);
			const char *alert = str_at(r, "alert", NULL, NULL);
			assert_non_null(alert);
			nalerts++;
			char heading[128], anchor[160];
			snprintf(heading, sizeof(heading), "\n## %s\n", alert);
			if (!strstr(docs, heading))
				fail_msg("docs/alerts.md has no section '## %s'", alert);
			snprintf(anchor, sizeof(anchor), "docs/alerts.md#%s", alert);
			for (char *p = anchor; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			assert_string_equal(str_at(r, "annotations", "runbook_url", NULL), anchor);
			/* and a unit test */
			size_t tlen = 0;
			char *tests = kc_test_slurp(RULE_TEST, &tlen);
			char want[128];
			snprintf(want, sizeof(want), "alertname: %s\n", alert);
			if (!strstr(tests, want))
				fail_msg("%s has no test of %s", RULE_TEST, alert);
			free(tests);
		}
	}
	assert_int_equal(nalerts, 7);
	free(docs);

	char *dir = kc_test_mkdtemp();
	const char *rules_path = kc_test_write(dir, "rules.json", json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), 0644);
	char rules_copy[600];
	snprintf(rules_copy, sizeof(rules_copy), "%s", rules_path);
	size_t tlen = 0;
	char *tests = kc_test_slurp(RULE_TEST, &tlen);
	const char *test_path = kc_test_write(dir, "kubecomply-alerts.test.yaml", tests, 0644);
	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "promtool check rules '%s' && promtool test rules '%s'", rules_copy, test_path);
	assert_int_equal(run_shell(cmd), 0);

	/* the unit tests can fail: an alert whose threshold moved breaks them */
	char *broken = kc_strdup(json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	char *p = strstr(broken, "> 86400");
	assert_non_null(p);
	memcpy(p, "> 96400", 7);
	kc_test_write(dir, "rules.json", broken, 0644);
	snprintf(cmd, sizeof(cmd), "promtool test rules '%s/kubecomply-alerts.test.yaml' >/dev/null 2>&1", dir);
	assert_int_not_equal(run_shell(cmd), 0);
	free(broken);
	free(tests);
	json_object_put(cr);
	kc_test_rmtree(dir);
	free(dir);
}

static void test_servicemonitor_selects_the_watch_service(void **state)
{
	(void)state;
	struct stat sb;
	if (stat("deploy/monitoring/servicemonitor.yaml", &sb) != 0) {
		print_message("kc-skip: deploy/ not found (run from the checkout)\n");
		skip();
	}
	json_object *sm = load_doc("deploy/monitoring/servicemonitor.yaml");
	json_object *svc = load_doc("deploy/overlays/watch/service-metrics.yaml");
	assert_string_equal(str_at(sm, "kind", NULL, NULL), "ServiceMonitor");
	assert_string_equal(str_at(sm, "metadata", "labels", "release"), "kube-prometheus-stack");
	assert_string_equal(str_at(sm, "metadata", "namespace", NULL), str_at(svc, "metadata", "namespace", NULL));
	json_object *match = NULL;
	assert_true(json_object_object_get_ex(sm, "spec", &match));
	assert_true(json_object_object_get_ex(match, "selector", &match));
	assert_true(json_object_object_get_ex(match, "matchLabels", &match));
	json_object_object_foreach(match, k, v) {
		const char *have = str_at(svc, "metadata", "labels", k);
		assert_non_null(have);
		assert_string_equal(have, json_object_get_string(v));
	}
	json_object *eps = NULL, *ports = NULL;
	assert_true(json_object_object_get_ex(sm, "spec", &eps));
	assert_true(json_object_object_get_ex(eps, "endpoints", &eps));
	assert_true(json_object_object_get_ex(svc, "spec", &ports));
	assert_true(json_object_object_get_ex(ports, "ports", &ports));
	assert_string_equal(str_at(json_object_array_get_idx(eps, 0), "port", NULL, NULL),
			    str_at(json_object_array_get_idx(ports, 0), "name", NULL, NULL));
	json_object_put(sm);
	json_object_put(svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheusrule_passes_promtool_unit_tests),
		cmocka_unit_test(test_servicemonitor_selects_the_watch_service),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
