/* OSCAL Assessment Results (`--oscal FILE`): valid against NIST's official 1.0.4 schema
 * (shared/corpus/oscal, checked with Debian's python3-jsonschema through
 * tests/tools/validate_jsonschema.py) for the fixture run, an empty run and a run with
 * 100,000 failing objects; every check an observation with its evidence and a finding whose
 * status is `satisfied` only for PASS; references resolve; the same run gives the same
 * document. */
#include "kc_test.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "reports/report.h"
#include "report_fixture.h"


/* Runs the schema validator on path; skips the test (kc-skip) when it cannot run. */
static void validate(const char *path)
{
	char schema[1024], cmd[3000], out[8192] = "";
	snprintf(schema, sizeof(schema), "%s/oscal/oscal_assessment-results_schema-1.0.4.json", kc_test_corpus());
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/tools/validate_jsonschema.py '%s' '%s' 2>&1", schema, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 2) {
		print_message("kc-skip: %s", out);
		skip();
	}
	if (st != 0)
		fail_msg("OSCAL schema: %s", out);
}

static json_object *write_and_load(const struct kc_run *run, const char *dir)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/ar.json", dir);
	int rc = kc_report_oscal_write(run, path);
	if (rc)
		print_error("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	if (kc_test_corpus())
		validate(path);
	json_object *o = json_object_from_file(path);
	assert_non_null(o);
	return o;
}

static void test_valid_and_every_check_an_observation_and_finding(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	char *dir = kc_test_mkdtemp();
	struct kc_run run;
	fx_run(&run);
	json_object *doc = write_and_load(&run, dir);
	json_object *res = fx_get(doc, "assessment-results.results.0");
	assert_string_equal(fx_gets(doc, "assessment-results.metadata.oscal-version"), "1.0.4");
	json_object *obs = fx_get(res, "observations"), *fs = fx_get(res, "findings");
	assert_int_equal(json_object_array_length(obs), run.nresults);
	assert_int_equal(json_object_array_length(fs), run.nresults);
	assert_int_equal(json_object_array_length(fx_get(res, "reviewed-controls.control-selections.0.include-controls")),
			 run.nresults);
	for (size_t i = 0; i < run.nresults; i++) {
		json_object *f = json_object_array_get_idx(fs, i), *o = json_object_array_get_idx(obs, i);
		const struct kc_result *r = &run.results[i];
		/* satisfied only for PASS: undecided is not satisfied */
		assert_string_equal(fx_gets(f, "target.status.state"), r->status == KC_PASS ? "satisfied" : "not-satisfied");
		assert_string_equal(fx_gets(f, "target.status.reason"),
				    r->status == KC_PASS ? "pass" : r->status == KC_FAIL ? "fail" : "other");
		assert_string_equal(fx_gets(f, "related-observations.0.observation-uuid"), fx_gets(o, "uuid"));
		char path[96];
		snprintf(path, sizeof(path), "reviewed-controls.control-selections.0.include-controls.%zu.control-id", i);
		assert_string_equal(fx_gets(f, "target.target-id"), fx_gets(res, path));
		json_object *ev = fx_get(o, "relevant-evidence");
		assert_int_equal(ev ? json_object_array_length(ev) : 0, r->nevidence);
	}
	/* the check as a control id; ERROR and WARN say why they are not satisfied */
	assert_string_equal(fx_gets(fs, "3.target.target-id"), "cis-1.12-1.2.15");
	assert_string_equal(fx_gets(fs, "7.target.status.remarks"),
			    "ERROR: cannot read /var/lib/kubelet/config.yaml: Permission denied");
	assert_string_equal(fx_gets(obs, "0.relevant-evidence.0.props.2.value"),
			    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	json_object_put(doc);
	kc_run_clear(&run);
	kc_test_rmtree(dir);
	free(dir);
}

/* A passed-by-exception check is satisfied with the exception stated; an empty run is a valid
 * document; the same run renders to the same bytes (UUIDs derive from the run). */
static void test_exception_empty_run_and_stable_uuids(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	char *dir = kc_test_mkdtemp(), a[700], b[700];
	struct kc_run run;
	fx_run(&run);
	struct kc_result *r = &run.results[run.nresults - 1];
	r->status = KC_PASS;
	r->exception = kc_strdup("3 of 3 failing objects excepted: the CNI needs it (until 2027-06-30, ex.yaml:3)");
	json_object *doc = write_and_load(&run, dir);
	json_object *f = fx_get(doc, "assessment-results.results.0.findings.8");
	assert_string_equal(fx_gets(f, "target.status.state"), "satisfied");
	assert_non_null(strstr(fx_gets(f, "target.status.remarks"), "passed by documented exception: 3 of 3"));
	json_object_put(doc);
	snprintf(a, sizeof(a), "%s/ar.json", dir);
	snprintf(b, sizeof(b), "%s/ar2.json", dir);
	assert_int_equal(kc_report_oscal_write(&run, b), 0);
	size_t la, lb;
	char *ta = kc_test_slurp(a, &la), *tb = kc_test_slurp(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(ta, tb, la);
	free(ta);
	free(tb);
	kc_run_clear(&run);

	struct kc_run empty = { 0 };
	doc = write_and_load(&empty, dir);
	assert_null(fx_get(doc, "assessment-results.results.0.findings"));
	assert_non_null(fx_get(doc, "assessment-results.results.0.reviewed-controls.control-selections.0.include-all"));
	json_object_put(doc);
	kc_test_rmtree(dir);
	free(dir);
}

/* 100,000 failing objects: each observation keeps at most 200 evidence entries and counts the
 * rest; still valid. */
static void test_hundred_thousand_objects_bounded_and_valid(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	char *dir = kc_test_mkdtemp();
	struct kc_run run;
	fx_run(&run);
	struct kc_result *r = &run.results[run.nresults - 1];
	char name[48];
	for (int i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "pod-%06d", i);
		fx_object(r, "Pod", "team-a", name, "/api/v1/namespaces/team-a/pods", 0);
	}
	json_object *doc = write_and_load(&run, dir);
	json_object *ev = fx_get(doc, "assessment-results.results.0.observations.8.relevant-evidence");
	assert_int_equal(json_object_array_length(ev), 201);
	assert_string_equal(fx_gets(ev, "200.description"),
			    "99803 more evidence rows: the kubecomply JSON report lists every one");
	json_object_put(doc);
	char path[700];
	snprintf(path, sizeof(path), "%s/ar.json", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 2 * 1024 * 1024);
	kc_run_clear(&run);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_and_every_check_an_observation_and_finding),
		cmocka_unit_test(test_exception_empty_run_and_stable_uuids),
		cmocka_unit_test(test_hundred_thousand_objects_bounded_and_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
