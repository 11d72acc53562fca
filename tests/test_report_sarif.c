/* SARIF 2.1.0: the shape GitHub code scanning reads (version, $schema, one run, driver rules
 * with security-severity, results with ruleId/ruleIndex/level/message/locations), results
 * only for located FAIL/WARN evidence, URIs relative to the audited root, stable
 * fingerprints. */
#include "kc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/error.h"
#include "reports/report.h"
#include "report_fixture.h"


static int one_of(const char *s, const char *const *set)
{
	for (; s && *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* What the SARIF 2.1.0 schema requires of the parts we write (no copy of the schema can be
 * read offline here), plus GitHub code scanning's documented limits: version and runs;
 * tool.driver.name; rules with id; results with message.text, a ruleIndex naming the rule
 * of the same id, level in the schema's enum, at least one location with uri and a
 * startLine >= 1, a uriBaseId declared in originalUriBaseIds, suppressions of the
 * schema's kinds; at most 25,000 results per run. */
static void sarif_structure_ok(json_object *root)
{
	static const char *const levels[] = { "none", "note", "warning", "error", NULL };
	static const char *const kinds[] = { "inSource", "external", NULL };
	assert_string_equal(fx_gets(root, "version"), "2.1.0");
	json_object *runs = fx_get(root, "runs");
	assert_true(json_object_is_type(runs, json_type_array));
	for (size_t ri = 0; ri < json_object_array_length(runs); ri++) {
		json_object *run = json_object_array_get_idx(runs, ri);
		assert_non_null(fx_gets(run, "tool.driver.name"));
		json_object *rules = fx_get(run, "tool.driver.rules"), *results = fx_get(run, "results");
		json_object *bases = fx_get(run, "originalUriBaseIds");
		assert_true(json_object_array_length(results) <= KC_SARIF_MAX_RESULTS);
		for (size_t i = 0; i < json_object_array_length(rules); i++) {
			json_object *rule = json_object_array_get_idx(rules, i);
			assert_non_null(fx_gets(rule, "id"));
			assert_non_null(fx_gets(rule, "name"));
			assert_int_equal(strncmp(fx_gets(rule, "helpUri"), "https://", 8), 0);
		}
		for (size_t i = 0; i < json_object_array_length(results); i++) {
			json_object *r = json_object_array_get_idx(results, i);
			assert_non_null(fx_gets(r, "message.text"));
			int idx = json_object_get_int(fx_get(r, "ruleIndex"));
			assert_true(idx >= 0 && (size_t)idx < json_object_array_length(rules));
			assert_string_equal(fx_gets(r, "ruleId"), fx_gets(json_object_array_get_idx(rules, (size_t)idx), "id"));
			assert_true(one_of(fx_gets(r, "level"), levels));
			assert_true(json_object_array_length(fx_get(r, "locations")) >= 1);
			assert_non_null(fx_gets(r, "locations.0.physicalLocation.artifactLocation.uri"));
			assert_true(json_object_get_int64(fx_get(r, "locations.0.physicalLocation.region.startLine")) >= 1);
			const char *base = fx_gets(r, "locations.0.physicalLocation.artifactLocation.uriBaseId");
			json_object *decl = NULL;
			if (base)
				assert_true(json_object_object_get_ex(bases, base, &decl));
			json_object *sups = fx_get(r, "suppressions");
			for (size_t k = 0; sups && k < json_object_array_length(sups); k++)
				assert_true(one_of(fx_gets(json_object_array_get_idx(sups, k), "kind"), kinds));
		}
	}
}

static json_object *write_and_load(struct kc_run *run, const char *dir)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/report.sarif", dir);
	int rc = kc_report_sarif_write(run, path);
	if (rc)
		print_message("sarif: %s\n", kc_error_last());
	assert_int_equal(rc, 0);
	json_object *root = json_object_from_file(path);
	assert_non_null(root);
	return root;
}

static void test_shape(void **state)
{
	char *dir = kc_test_mkdtemp();
	struct kc_run run;
	fx_run(&run);
	json_object *root = write_and_load(&run, dir);
	assert_string_equal(fx_gets(root, "version"), "2.1.0");
	assert_string_equal(fx_gets(root, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
	assert_int_equal(json_object_array_length(fx_get(root, "runs")), 1);
	assert_string_equal(fx_gets(root, "runs.0.tool.driver.name"), "kubecomply");
	assert_string_equal(fx_gets(root, "runs.0.automationDetails.id"), "kubecomply/cis-1.12/");

	/* located FAIL evidence only: 1.2.15's config line and 5.2.2's two manifest objects;
	 * not the PASS, not the /proc or API-path rows, not file rows without a line */
	json_object *results = fx_get(root, "runs.0.results");
	assert_int_equal(json_object_array_length(results), 3);
	json_object *rules = fx_get(root, "runs.0.tool.driver.rules");
	assert_int_equal(json_object_array_length(rules), 2);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		int idx = json_object_get_int(fx_get(r, "ruleIndex"));
		assert_string_equal(fx_gets(r, "ruleId"), fx_gets(json_object_array_get_idx(rules, (size_t)idx), "id"));
		assert_string_equal(fx_gets(r, "level"), "error");
		assert_non_null(fx_gets(r, "message.text"));
		assert_true(json_object_get_int(fx_get(r, "locations.0.physicalLocation.region.startLine")) > 0);
		assert_int_equal(strlen(fx_gets(r, "partialFingerprints.kubecomply/v1")), 64);
	}
	json_object *r0 = json_object_array_get_idx(results, 0);
	assert_string_equal(fx_gets(r0, "ruleId"), "1.2.15");
	/* node files: relative to the audited host's root, under their own base id */
	assert_string_equal(fx_gets(r0, "locations.0.physicalLocation.artifactLocation.uri"),
			    "etc/kubernetes/manifests/kube-apiserver.yaml");
	assert_string_equal(fx_gets(r0, "locations.0.physicalLocation.artifactLocation.uriBaseId"), "NODEROOT");
	assert_string_equal(fx_gets(root, "runs.0.originalUriBaseIds.NODEROOT.uri"), "file:///");
	assert_non_null(fx_get(root, "runs.0.originalUriBaseIds.%SRCROOT%.description.text"));
	/* no root given: %SRCROOT% is declared without claiming a location */
	assert_null(fx_get(root, "runs.0.originalUriBaseIds.%SRCROOT%.uri"));
	json_object *r1 = json_object_array_get_idx(results, 1);
	assert_string_equal(fx_gets(r1, "ruleId"), "5.2.2");
	assert_string_equal(fx_gets(r1, "locations.0.physicalLocation.artifactLocation.uri"), "deploy/nginx.yaml");
	assert_string_equal(fx_gets(r1, "locations.0.physicalLocation.artifactLocation.uriBaseId"), "%SRCROOT%");
	assert_int_equal(json_object_get_int(fx_get(r1, "locations.0.physicalLocation.region.startLine")), 12);
	assert_non_null(strstr(fx_gets(r1, "message.text"), "Pod default/nginx " P_SCRIPT ": spec.containers"));
	json_object *rule = json_object_array_get_idx(rules, 1);
	assert_string_equal(fx_gets(rule, "properties.security-severity"), "9.5");
	assert_string_equal(fx_gets(rule, "name"), "MinimizeTheAdmissionOfPrivilegedContainersSvgOnloadDocumentTitlePWNED");
	assert_string_equal(fx_gets(rule, "helpUri"), "https://www.cisecurity.org/benchmark/kubernetes");
	sarif_structure_ok(root);
	assert_string_equal(fx_gets(rule, "shortDescription.text"), "Minimize the admission of privileged containers " P_SVG);
	assert_string_equal(fx_gets(rule, "help.text"), "Edit the manifest and restart the component.");
	/* distinct objects, distinct fingerprints */
	assert_string_not_equal(fx_gets(r1, "partialFingerprints.kubecomply/v1"),
				fx_gets(json_object_array_get_idx(results, 2), "partialFingerprints.kubecomply/v1"));
	json_object_put(root);

	/* paths under --root become repository-relative and percent-encoded */
	struct kc_result *pod = &run.results[run.nresults - 1];
	pod->evidence[0].line = 99;
	free(pod->evidence[0].source);
	pod->evidence[0].source = kc_strdup("/src/repo/deploy/nginx app.yaml");
	run.root = kc_strdup("/src/repo/");
	pod->evidence[1].source[0] = '\xff'; /* invalid UTF-8 must not make invalid JSON */
	root = write_and_load(&run, dir);
	assert_string_equal(fx_gets(root, "runs.0.results.1.locations.0.physicalLocation.artifactLocation.uri"),
			    "deploy/nginx%20app.yaml");
	assert_string_equal(fx_gets(root, "runs.0.originalUriBaseIds.%SRCROOT%.uri"), "file:///src/repo/");
	sarif_structure_ok(root);
	assert_string_equal(fx_gets(root, "runs.0.results.2.locations.0.physicalLocation.artifactLocation.uri"),
			    "%EF%BF%BDeploy/sys.yaml");
	json_object_put(root);

	/* a run without located evidence is an empty, valid log */
	struct kc_run empty = { 0 };
	root = write_and_load(&empty, dir);
	assert_int_equal(json_object_array_length(fx_get(root, "runs.0.results")), 0);
	assert_int_equal(json_object_array_length(fx_get(root, "runs.0.tool.driver.rules")), 0);
	json_object_put(root);

	char bad[700];
	snprintf(bad, sizeof(bad), "%s/missing/x.sarif", dir);
	assert_true(kc_report_sarif_write(&run, bad) < 0);
	assert_int_not_equal(access(bad, F_OK), 0);
	kc_run_clear(&run);
	kc_test_rmtree(dir);
	free(dir);
}

static void test_fingerprint_stable_across_line_moves(void **state)
{
	char *dir = kc_test_mkdtemp();
	struct kc_run run;
	fx_run(&run);
	json_object *root = write_and_load(&run, dir);
	char before[80];
	snprintf(before, sizeof(before), "%s", fx_gets(root, "runs.0.results.1.partialFingerprints.kubecomply/v1"));
	json_object_put(root);
	run.results[run.nresults - 1].evidence[0].line = 300;
	root = write_and_load(&run, dir);
	assert_string_equal(fx_gets(root, "runs.0.results.1.partialFingerprints.kubecomply/v1"), before);
	assert_int_equal(json_object_get_int(fx_get(root, "runs.0.results.1.locations.0.physicalLocation.region.startLine")), 300);
	json_object_put(root);
	kc_run_clear(&run);
	kc_test_rmtree(dir);
	free(dir);
}

/* An excepted object is a suppressed result with the exception as justification, also when
 * every object of the check was excepted and the check passed. */
static void test_exceptions_are_suppressions(void **state)
{
	char *dir = kc_test_mkdtemp();
	struct kc_run run;
	fx_run(&run);
	struct kc_result *pod = &run.results[run.nresults - 1];
	free(pod->evidence[1].layer);
	pod->evidence[1].layer = kc_strdup("exception");
	pod->evidence[1].detail = kc_strdup("excepted: the CNI agent needs privileged mode (until 2027-06-30, ex.yaml:3)");
	json_object *root = write_and_load(&run, dir);
	sarif_structure_ok(root);
	json_object *results = fx_get(root, "runs.0.results");
	assert_int_equal(json_object_array_length(results), 3);
	assert_null(fx_get(json_object_array_get_idx(results, 1), "suppressions"));
	json_object *sup = json_object_array_get_idx(results, 2);
	assert_string_equal(fx_gets(sup, "suppressions.0.kind"), "external");
	assert_string_equal(fx_gets(sup, "suppressions.0.status"), "accepted");
	assert_non_null(strstr(fx_gets(sup, "suppressions.0.justification"), "CNI agent needs privileged mode"));
	json_object_put(root);

	/* the check passed because its only failing object was excepted: still reported, suppressed */
	pod->status = KC_PASS;
	pod->exception = kc_strdup("1 of 1 failing object excepted: the CNI agent needs privileged mode");
	pod->nevidence = 2;
	free(pod->evidence[0].layer);
	pod->evidence[0].layer = kc_strdup("exception");
	root = write_and_load(&run, dir);
	sarif_structure_ok(root);
	results = fx_get(root, "runs.0.results");
	assert_int_equal(json_object_array_length(results), 3);
	for (size_t i = 1; i < 3; i++)
		assert_string_equal(fx_gets(json_object_array_get_idx(results, i), "suppressions.0.kind"), "external");
	json_object_put(root);
	pod->nevidence = 3;
	kc_run_clear(&run);
	kc_test_rmtree(dir);
	free(dir);
}

/* GitHub rejects a run with more than 25,000 results: the most severe stay, the last result
 * counts what was left out by severity. */
static void test_capped_at_github_limit_most_severe_first(void **state)
{
	char *dir = kc_test_mkdtemp();
	struct kc_run run = { 0 };
	run.benchmark = kc_strdup("cis-1.12");
	run.root = kc_strdup("/repo");
	struct kc_result *low = fx_result(&run, "5.7.4", "The default namespace should not be used", "5.7",
					  "General Policies", "policies", KC_FAIL, KC_SEV_LOW);
	struct kc_result *crit = fx_result(&run, "5.2.2", "Minimize privileged containers", "5.2",
					   "Pod Security Standards", "policies", KC_FAIL, KC_SEV_CRITICAL);
	char name[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "low-%d", i);
		fx_object(low, "Pod", "default", name, "/repo/low.yaml", i + 1);
		snprintf(name, sizeof(name), "crit-%d", i);
		fx_object(crit, "Pod", "team-a", name, "/repo/crit.yaml", i + 1);
	}
	json_object *root = write_and_load(&run, dir);
	sarif_structure_ok(root);
	json_object *results = fx_get(root, "runs.0.results");
	assert_int_equal(json_object_array_length(results), KC_SARIF_MAX_RESULTS);
	size_t ncrit = 0, nlow = 0;
	for (size_t i = 0; i + 1 < json_object_array_length(results); i++) {
		const char *id = fx_gets(json_object_array_get_idx(results, i), "ruleId");
		ncrit += strcmp(id, "5.2.2") == 0;
		nlow += strcmp(id, "5.7.4") == 0;
	}
	assert_int_equal(ncrit, 20000);
	assert_int_equal(nlow, KC_SARIF_MAX_RESULTS - 1 - 20000);
	json_object *last = json_object_array_get_idx(results, KC_SARIF_MAX_RESULTS - 1);
	assert_string_equal(fx_gets(last, "ruleId"), "kubecomply/omitted");
	assert_non_null(strstr(fx_gets(last, "message.text"), "15001 more results were left out"));
	assert_non_null(strstr(fx_gets(last, "message.text"), "15001 low"));
	assert_int_equal(json_object_get_int(fx_get(last, "properties.omitted")), 15001);
	json_object_put(root);
	kc_run_clear(&run);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_fingerprint_stable_across_line_moves),
		cmocka_unit_test(test_exceptions_are_suppressions),
		cmocka_unit_test(test_capped_at_github_limit_most_severe_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
