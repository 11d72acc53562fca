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

static json_object *get(json_object *o, const char *path)
{
	/* dotted path with numeric array indexes: "runs.0.tool.driver" */
	char *copy = strdup(path), *save = NULL;
	for (char *tok = strtok_r(copy, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(o, tok, &o))
			o = NULL;
	}
	free(copy);
	return o;
}

static const char *gets_(json_object *o, const char *path)
{
	json_object *v = get(o, path);
	return v ? json_object_get_string(v) : NULL;
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
	assert_string_equal(gets_(root, "version"), "2.1.0");
	assert_string_equal(gets_(root, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
	assert_int_equal(json_object_array_length(get(root, "runs")), 1);
	assert_string_equal(gets_(root, "runs.0.tool.driver.name"), "kubecomply");
	assert_string_equal(gets_(root, "runs.0.automationDetails.id"), "kubecomply/cis-1.12/");

	/* located FAIL evidence only: 1.2.15's config line and 5.2.2's two manifest objects;
	 * not the PASS, not the /proc or API-path rows, not file rows without a line */
	json_object *results = get(root, "runs.0.results");
	assert_int_equal(json_object_array_length(results), 3);
	json_object *rules = get(root, "runs.0.tool.driver.rules");
	assert_int_equal(json_object_array_length(rules), 2);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		int idx = json_object_get_int(get(r, "ruleIndex"));
		assert_string_equal(gets_(r, "ruleId"), gets_(json_object_array_get_idx(rules, (size_t)idx), "id"));
		assert_string_equal(gets_(r, "level"), "error");
		assert_non_null(gets_(r, "message.text"));
		assert_true(json_object_get_int(get(r, "locations.0.physicalLocation.region.startLine")) > 0);
		assert_int_equal(strlen(gets_(r, "partialFingerprints.kubecomply/v1")), 64);
	}
	json_object *r0 = json_object_array_get_idx(results, 0);
	assert_string_equal(gets_(r0, "ruleId"), "1.2.15");
	assert_string_equal(gets_(r0, "locations.0.physicalLocation.artifactLocation.uri"),
			    "file:///etc/kubernetes/manifests/kube-apiserver.yaml");
	assert_null(get(r0, "locations.0.physicalLocation.artifactLocation.uriBaseId"));
	json_object *r1 = json_object_array_get_idx(results, 1);
	assert_string_equal(gets_(r1, "ruleId"), "5.2.2");
	assert_string_equal(gets_(r1, "locations.0.physicalLocation.artifactLocation.uri"), "deploy/nginx.yaml");
	assert_string_equal(gets_(r1, "locations.0.physicalLocation.artifactLocation.uriBaseId"), "%SRCROOT%");
	assert_int_equal(json_object_get_int(get(r1, "locations.0.physicalLocation.region.startLine")), 12);
	assert_non_null(strstr(gets_(r1, "message.text"), "Pod default/nginx " P_SCRIPT ": spec.containers"));
	json_object *rule = json_object_array_get_idx(rules, 1);
	assert_string_equal(gets_(rule, "properties.security-severity"), "9.5");
	assert_string_equal(gets_(rule, "shortDescription.text"), "Minimize the admission of privileged containers " P_SVG);
	assert_string_equal(gets_(rule, "help.text"), "Edit the manifest and restart the component.");
	/* distinct objects, distinct fingerprints */
	assert_string_not_equal(gets_(r1, "partialFingerprints.kubecomply/v1"),
				gets_(json_object_array_get_idx(results, 2), "partialFingerprints.kubecomply/v1"));
	json_object_put(root);

	/* paths under --root become repository-relative and percent-encoded */
	struct kc_result *pod = &run.results[run.nresults - 1];
	pod->evidence[0].line = 99;
	free(pod->evidence[0].source);
	pod->evidence[0].source = kc_strdup("/src/repo/deploy/nginx app.yaml");
	run.root = kc_strdup("/src/repo/");
	pod->evidence[1].source[0] = '\xff'; /* invalid UTF-8 must not make invalid JSON */
	root = write_and_load(&run, dir);
	assert_string_equal(gets_(root, "runs.0.results.1.locations.0.physicalLocation.artifactLocation.uri"),
			    "deploy/nginx%20app.yaml");
	assert_string_equal(gets_(root, "runs.0.results.2.locations.0.physicalLocation.artifactLocation.uri"),
			    "%EF%BF%BDeploy/sys.yaml");
	json_object_put(root);

	/* a run without located evidence is an empty, valid log */
	struct kc_run empty = { 0 };
	root = write_and_load(&empty, dir);
	assert_int_equal(json_object_array_length(get(root, "runs.0.results")), 0);
	assert_int_equal(json_object_array_length(get(root, "runs.0.tool.driver.rules")), 0);
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
	snprintf(before, sizeof(before), "%s", gets_(root, "runs.0.results.1.partialFingerprints.kubecomply/v1"));
	json_object_put(root);
	run.results[run.nresults - 1].evidence[0].line = 300;
	root = write_and_load(&run, dir);
	assert_string_equal(gets_(root, "runs.0.results.1.partialFingerprints.kubecomply/v1"), before);
	assert_int_equal(json_object_get_int(get(root, "runs.0.results.1.locations.0.physicalLocation.region.startLine")), 300);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
