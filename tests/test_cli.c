/* The binary as users and CI run it: exit codes 0/1/2, the JSON report's statuses follow
 * the files, stored runs render again, and bad input gets one clear line. */
#include "kc_test.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "reports/formats.h"

struct fx {
	char *dir;
	char db[4096], json[4096], root[4096];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = kc_test_mkdtemp();
	snprintf(f->root, sizeof(f->root), "%s/node", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/e.db", f->dir);
	snprintf(f->json, sizeof(f->json), "%s/out.json", f->dir);
	kc_test_write(f->root, "etc/kubernetes/admin.conf", "x", 0600);
	kc_test_write(f->root, "etc/kubernetes/manifests/kube-apiserver.yaml",
		      "kind: Pod\nspec:\n  containers:\n  - name: a\n    command:\n    - kube-apiserver\n    - --profiling=false\n", 0600);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	kc_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static const char *status_of(struct json_object *report, const char *id)
{
	struct json_object *results;
	json_object_object_get_ex(report, "results", &results);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		struct json_object *r = json_object_array_get_idx(results, i), *v;
		json_object_object_get_ex(r, "id", &v);
		if (strcmp(json_object_get_string(v), id) == 0) {
			json_object_object_get_ex(r, "status", &v);
			return json_object_get_string(v);
		}
	}
	return NULL;
}

static void test_exit_codes_and_json(void **state)
{
	struct fx *f = *state;
	char *out = NULL;
	/* a hardened slice: exit 0 */
	const char *ok[] = { "audit", "--root", f->root, "--db", f->db, "--json", f->json, "--check", "1.1.13,1.2.15", "--quiet", NULL };
	int rc = kc_test_run(&out, ok);
	if (rc != 0)
		fail_msg("exit %d: %s", rc, out);
	free(out);
	struct json_object *rep = json_object_from_file(f->json);
	assert_non_null(rep);
	assert_string_equal(status_of(rep, "1.1.13"), "PASS");
	assert_string_equal(status_of(rep, "1.2.15"), "PASS");
	assert_null(status_of(rep, "1.1.1"));
	struct json_object *sum, *v;
	assert_true(json_object_object_get_ex(rep, "summary", &sum));
	json_object_object_get_ex(sum, "PASS", &v);
	assert_int_equal(json_object_get_int(v), 2);
	json_object_put(rep);

	/* loosen a file: the scored check fails and the gate trips: exit 1 */
	char p[8192];
	snprintf(p, sizeof(p), "%s/etc/kubernetes/admin.conf", f->root);
	chmod(p, 0644);
	rc = kc_test_run(&out, ok);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "1.1.13"));
	free(out);
	rep = json_object_from_file(f->json);
	assert_string_equal(status_of(rep, "1.1.13"), "FAIL");
	json_object_put(rep);

	/* the same failure under a gate that only minds WARN-or-worse of level 2: exit 0 */
	const char *lvl[] = { "audit", "--root", f->root, "--db", f->db, "--check", "1.1.13", "--fail-on", "FAIL,level=2", "--quiet", NULL };
	rc = kc_test_run(NULL, lvl);
	assert_int_equal(rc, 1); /* 1.1.13 is level 1, and level=2 means "level 2 or lower" */
	const char *sev[] = { "audit", "--root", f->root, "--db", f->db, "--check", "1.2.15", "--fail-on", "severity>=critical", "--quiet", NULL };
	rc = kc_test_run(NULL, sev);
	assert_int_equal(rc, 0);

	/* stored runs render again */
	char runjson[8192];
	snprintf(runjson, sizeof(runjson), "%s/again.json", f->dir);
	const char *rep1[] = { "report", "--db", f->db, "--run", "1", "--json", runjson, "--quiet", NULL };
	assert_int_equal(kc_test_run(NULL, rep1), 0);
	rep = json_object_from_file(runjson);
	assert_non_null(rep);
	assert_string_equal(status_of(rep, "1.1.13"), "PASS");
	json_object_put(rep);
	const char *repl[] = { "report", "--db", f->db, "--run", "latest", "--json", runjson, "--quiet", NULL };
	assert_int_equal(kc_test_run(NULL, repl), 0);
	rep = json_object_from_file(runjson);
	struct json_object *run, *id;
	json_object_object_get_ex(rep, "run", &run);
	json_object_object_get_ex(run, "id", &id);
	assert_int_equal(json_object_get_int(id), 4);
	json_object_put(rep);
}

static void test_usage_and_input_errors(void **state)
{
	struct fx *f = *state;
	char *out = NULL;
	const char *noroot[] = { "audit", "--root", "/nonexistent/kc-root", "--db", f->db, NULL };
	assert_int_equal(kc_test_run(&out, noroot), 2);
	assert_non_null(strstr(out, "/nonexistent/kc-root"));
	free(out);
	const char *badopt[] = { "audit", "--no-such-option", NULL };
	assert_int_equal(kc_test_run(NULL, badopt), 2);
	const char *badgate[] = { "audit", "--root", f->root, "--db", f->db, "--fail-on", "sometimes", NULL };
	assert_int_equal(kc_test_run(&out, badgate), 2);
	assert_non_null(strstr(out, "'sometimes' is not understood"));
	free(out);
	const char *badtarget[] = { "audit", "--targets", "master,moon", NULL };
	assert_int_equal(kc_test_run(&out, badtarget), 2);
	assert_non_null(strstr(out, "unknown target 'moon'"));
	free(out);
	const char *badbench[] = { "audit", "--root", f->root, "--db", f->db, "--benchmark", "../../etc", NULL };
	assert_int_equal(kc_test_run(&out, badbench), 2);
	assert_non_null(strstr(out, "--benchmark '../../etc'"));
	free(out);
	const char *unknown[] = { "frobnicate", NULL };
	assert_int_equal(kc_test_run(NULL, unknown), 2);
	const char *nodb[] = { "report", "--db", f->db, NULL };
	assert_int_equal(kc_test_run(&out, nodb), 2);
	assert_non_null(strstr(out, "no such evidence database"));
	free(out);

	/* a broken policy directory: file:line:column and exit 2, nothing stored */
	char pdir[8192];
	snprintf(pdir, sizeof(pdir), "%s/pol", f->dir);
	kc_test_write(pdir, "x.yaml", "benchmark: cis-1.12\nchecks:\n  - id: 99.1\n    titel: x\n", 0644);
	const char *badpol[] = { "audit", "--root", f->root, "--db", f->db, "--policy-dir", pdir, NULL };
	assert_int_equal(kc_test_run(&out, badpol), 2);
	assert_non_null(strstr(out, "x.yaml:4:5: unknown key 'titel' in check"));
	free(out);
	struct stat st;
	assert_int_equal(stat(f->db, &st) == 0 ? 0 : -1, -1); /* the store was not even created */

	/* an unwritable report path: exit 2, the run is still stored, no partial file left */
	const char *badout[] = { "audit", "--root", f->root, "--db", f->db, "--json", "/nonexistent-dir/r.json", "--check", "1.1.13", "--quiet", NULL };
	assert_int_equal(kc_test_run(&out, badout), 2);
	assert_non_null(strstr(out, "JSON report"));
	free(out);
	assert_int_equal(stat(f->db, &st), 0);
	/* the report path is a directory: the rename fails and no temporary file is left */
	char outdir[8192];
	snprintf(outdir, sizeof(outdir), "%s/isdir", f->dir);
	mkdir(outdir, 0700);
	const char *dirout[] = { "audit", "--root", f->root, "--db", f->db, "--json", outdir, "--check", "1.1.13", "--quiet", NULL };
	assert_int_equal(kc_test_run(NULL, dirout), 2);
	DIR *d = opendir(f->dir);
	struct dirent *de;
	while ((de = readdir(d)))
		assert_null(strstr(de->d_name, ".tmp-"));
	closedir(d);
	const char *norun[] = { "report", "--db", f->db, "--run", "99", NULL };
	assert_int_equal(kc_test_run(&out, norun), 2);
	assert_non_null(strstr(out, "no run with id 99"));
	free(out);
}

static void test_checks_and_version(void **state)
{
	(void)state;
	char *out = NULL;
	const char *args[] = { "checks", "--benchmark", "cis-1.12", NULL };
	assert_int_equal(kc_test_run(&out, args), 0);
	assert_non_null(strstr(out, "1.1.1\tautomated\tmaster"));
	assert_non_null(strstr(out, "\n4.1.10\t"));
	free(out);
	const char *ver[] = { "version", NULL };
	assert_int_equal(kc_test_run(&out, ver), 0);
	assert_non_null(strstr(out, "kubecomply "));
	free(out);
	const char *help[] = { "audit", "--help", NULL };
	assert_int_equal(kc_test_run(&out, help), 0);
	assert_non_null(strstr(out, "exit codes"));
	free(out);
}

/* A report format is one row in reports/formats.c: every row is an option of both audit and
 * report, listed in their --help, and writes its file. */
static void test_every_report_format_is_an_option(void **state)
{
	struct fx *f = *state;
	assert_true(kc_report_nformats >= 7);
	for (size_t i = 0; i < kc_report_nformats; i++) {
		const struct kc_report_format *fmt = &kc_report_formats[i];
		char flag[64], path[4096], *out = NULL;
		struct stat st;
		snprintf(flag, sizeof(flag), "--%s", fmt->flag);
		snprintf(path, sizeof(path), "%s/audit.%s", f->dir, fmt->flag);
		const char *audit[] = { "audit", "--root", f->root, "--proc", "none", "--db", f->db, "--check", "1.1",
					"-q", flag, path, NULL };
		int rc = kc_test_run(&out, audit);
		free(out);
		assert_in_range(rc, 0, 1);
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size > 0);
		snprintf(path, sizeof(path), "%s/report.%s", f->dir, fmt->flag);
		const char *report[] = { "report", "--db", f->db, "-q", flag, path, NULL };
		rc = kc_test_run(&out, report);
		free(out);
		assert_in_range(rc, 0, 1);
		assert_int_equal(stat(path, &st), 0);
		for (const char *cmd_name = "audit"; cmd_name; cmd_name = strcmp(cmd_name, "audit") == 0 ? "report" : NULL) {
			const char *help[] = { cmd_name, "--help", NULL };
			assert_int_equal(kc_test_run(&out, help), 0);
			snprintf(flag, sizeof(flag), "--%s FILE", fmt->flag);
			assert_non_null(strstr(out, flag));
			free(out);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exit_codes_and_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_and_input_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checks_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_report_format_is_an_option, setup, teardown),
	};
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
