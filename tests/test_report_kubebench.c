/* kube-bench JSON (`--json-format kube-bench`): the key set and JSON types of kube-bench's own
 * fixtures (shared/corpus/kube-bench-expected/result-json/result.json) at every level, and,
 * for each golden text output of a full kube-bench run in the corpus, a run holding the same
 * checks and statuses renders to JSON from which kube-bench's text (control, group and check
 * lines, per-node-type summaries, totals) is rebuilt line for line. Also the status mapping
 * (SKIP -> INFO, ERROR -> WARN with its reason) and the Automated/Manual suffix. */
#include "kc_test.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "reports/report.h"
#include "report_fixture.h"

static json_object *render(const struct kc_run *run)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	assert_int_equal(kc_report_kubebench_fprint(run, fp), 0);
	fclose(fp);
	json_object *o = json_tokener_parse(text);
	assert_non_null(o);
	free(text);
	return o;
}

static json_object *at(json_object *o, const char *k)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("no key '%s'", k);
	return v;
}

/* Every key of want is in got with the same JSON type; every key of got is in want except
 * those listed as optional (kube-bench's omitempty). */
static void same_keys(json_object *want, json_object *got, const char *where, const char *const *optional)
{
	json_object_object_foreach(want, k, v) {
		json_object *g = NULL;
		if (!json_object_object_get_ex(got, k, &g)) {
			int opt = 0;
			for (const char *const *o = optional; *o; o++)
				opt |= strcmp(*o, k) == 0;
			if (!opt)
				fail_msg("%s: key '%s' missing", where, k);
			continue;
		}
		if (json_object_get_type(g) != json_object_get_type(v))
			fail_msg("%s: key '%s' has type %s, kube-bench writes %s", where, k,
				 json_type_to_name(json_object_get_type(g)), json_type_to_name(json_object_get_type(v)));
	}
	json_object_object_foreach(got, k2, v2) {
		(void)v2;
		json_object *w = NULL;
		int opt = 0;
		for (const char *const *o = optional; *o; o++)
			opt |= strcmp(*o, k2) == 0;
		if (!opt && !json_object_object_get_ex(want, k2, &w))
			fail_msg("%s: key '%s' is not in kube-bench's output", where, k2);
	}
}

static void test_same_shape_as_kube_bench_result_json(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	char path[1024];
	snprintf(path, sizeof(path), "%s/kube-bench-expected/result-json/result.json", kc_test_corpus());
	json_object *want = json_object_from_file(path);
	assert_non_null(want);
	struct kc_run run;
	fx_run(&run);
	json_object *got = render(&run);
	static const char *const none[] = { NULL };
	static const char *const reason[] = { "reason", NULL };
	same_keys(want, got, "top", none);
	same_keys(at(want, "Totals"), at(got, "Totals"), "Totals", none);
	json_object *wc = json_object_array_get_idx(at(want, "Controls"), 0);
	json_object *wg = json_object_array_get_idx(at(wc, "tests"), 0);
	json_object *wr = json_object_array_get_idx(at(wg, "results"), 0);
	json_object *gcs = at(got, "Controls");
	assert_int_equal(json_object_array_length(gcs), 3); /* master, node, policies */
	for (size_t c = 0; c < json_object_array_length(gcs); c++) {
		json_object *gc = json_object_array_get_idx(gcs, c);
		same_keys(wc, gc, "control", none);
		for (size_t g = 0; g < json_object_array_length(at(gc, "tests")); g++) {
			json_object *gg = json_object_array_get_idx(at(gc, "tests"), g);
			same_keys(wg, gg, "group", none);
			for (size_t r = 0; r < json_object_array_length(at(gg, "results")); r++)
				same_keys(wr, json_object_array_get_idx(at(gg, "results"), r), "check", reason);
		}
	}
	/* the mapping */
	json_object *master = json_object_array_get_idx(gcs, 0);
	assert_string_equal(json_object_get_string(at(master, "id")), "1");
	assert_string_equal(json_object_get_string(at(master, "node_type")), "master");
	assert_string_equal(json_object_get_string(at(master, "text")), "Control Plane Security Configuration");
	assert_string_equal(json_object_get_string(at(master, "version")), "cis-1.12");
	json_object *node = json_object_array_get_idx(gcs, 1);
	json_object *kubelet = json_object_array_get_idx(at(node, "tests"), 0);
	json_object *skip = json_object_array_get_idx(at(kubelet, "results"), 1);
	json_object *err = json_object_array_get_idx(at(kubelet, "results"), 2);
	assert_string_equal(json_object_get_string(at(skip, "test_number")), "4.2.9");
	assert_string_equal(json_object_get_string(at(skip, "status")), "INFO");
	assert_string_equal(json_object_get_string(at(err, "status")), "WARN");
	assert_string_equal(json_object_get_string(at(err, "reason")),
			    "ERROR: cannot read /var/lib/kubelet/config.yaml: Permission denied");
	assert_string_equal(json_object_get_string(at(err, "test_desc")),
			    "Ensure the kubelet only uses strong ciphers (Automated)");
	assert_int_equal(json_object_get_int(at(kubelet, "warn")), 1);
	assert_int_equal(json_object_get_int(at(kubelet, "info")), 1);
	json_object *warn = json_object_array_get_idx(at(json_object_array_get_idx(at(master, "tests"), 1), "results"), 2);
	assert_string_equal(json_object_get_string(at(warn, "type")), "manual");
	assert_non_null(strstr(json_object_get_string(at(warn, "test_desc")), "(Manual)"));
	json_object *t = at(got, "Totals");
	assert_int_equal(json_object_get_int(at(t, "total_pass")), 3);
	assert_int_equal(json_object_get_int(at(t, "total_fail")), 3);
	assert_int_equal(json_object_get_int(at(t, "total_warn")), 2);
	assert_int_equal(json_object_get_int(at(t, "total_info")), 1);
	json_object_put(got);
	json_object_put(want);
	kc_run_clear(&run);
}

/* ---- golden text outputs ---- */

static void rstrip(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Reads a full kube-bench text output into a run and the list of lines we must rebuild
 * (control lines reduced to "[INFO] <id>": our control texts are cis-1.12's). */
static int load_golden(const char *path, struct kc_run *run, struct kc_buf *want)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char line[4096], sec[64] = "", sec_title[512] = "";
	int in_control = 0, in_remed = 0, has_total = 0;
	size_t first = 0; /* first result of the current control */
	memset(run, 0, sizeof(*run));
	run->benchmark = kc_strdup("cis-1.20");
	while (fgets(line, sizeof(line), fp)) {
		rstrip(line);
		if (strncmp(line, "== Remediations", 15) == 0) {
			in_remed = 1;
			continue;
		}
		if (strncmp(line, "== Summary ", 11) == 0) {
			in_remed = 0;
			char type[64];
			snprintf(type, sizeof(type), "%.*s", (int)(strlen(line) - 14), line + 11);
			if (strcmp(type, "total") == 0)
				has_total = 1;
			else
				for (size_t i = first; i < run->nresults; i++)
					run->results[i].target = kc_strdup(type);
			first = run->nresults;
			in_control = 0;
			kc_buf_printf(want, "%s\n", line);
			continue;
		}
		if (in_remed)
			continue;
		if (strstr(line, " checks ") && line[0] >= '0' && line[0] <= '9') {
			kc_buf_printf(want, "%s\n", line);
			continue;
		}
		if (line[0] != '[')
			continue;
		char st[8], id[64];
		int off = 0;
		if (sscanf(line, "[%7[A-Z]] %63s %n", st, id, &off) != 2)
			continue;
		if (strcmp(st, "INFO") == 0 && !in_control) {
			in_control = 1;
			kc_buf_printf(want, "[INFO] %s\n", id);
			continue;
		}
		/* a group line: [INFO] with a numeric id that is not one of the current group's
		 * checks (theirs extend the group's id: group 2 holds 2.1, group 1.2 holds 1.2.1) */
		size_t sl = strlen(sec);
		int in_group = sl && strncmp(id, sec, sl) == 0 && id[sl] == '.';
		int is_group = strcmp(st, "INFO") == 0 && id[strspn(id, "0123456789.")] == '\0' && !in_group;
		if (is_group) {
			snprintf(sec, sizeof(sec), "%s", id);
			snprintf(sec_title, sizeof(sec_title), "%s", line + off);
			kc_buf_printf(want, "%s\n", line);
			continue;
		}
		struct kc_result *r = kc_run_add_result(run);
		r->id = kc_strdup(id);
		r->title = kc_strdup(line + off);
		r->section = kc_strdup(sec);
		r->section_title = kc_strdup(sec_title);
		r->type = kc_strdup(strstr(line, "(Manual)") || strstr(line, "(Not Scored)") ? "manual" : "automated");
		r->scored = !strstr(line, "(Not Scored)");
		r->status = strcmp(st, "PASS") == 0 ? KC_PASS : strcmp(st, "FAIL") == 0 ? KC_FAIL :
			    strcmp(st, "WARN") == 0 ? KC_WARN : KC_SKIP;
		kc_buf_printf(want, "%s\n", line);
	}
	fclose(fp);
	return has_total;
}

/* kube-bench's text rendering (cmd/common.go prettyPrint) of our JSON. */
static void rebuild(json_object *doc, struct kc_buf *out)
{
	static const char *const names[4] = { "PASS", "FAIL", "WARN", "INFO" };
	static const char *const keys[4] = { "total_pass", "total_fail", "total_warn", "total_info" };
	json_object *cs = at(doc, "Controls");
	for (size_t c = 0; c < json_object_array_length(cs); c++) {
		json_object *ctl = json_object_array_get_idx(cs, c);
		kc_buf_printf(out, "[INFO] %s\n", json_object_get_string(at(ctl, "id")));
		json_object *gs = at(ctl, "tests");
		for (size_t g = 0; g < json_object_array_length(gs); g++) {
			json_object *grp = json_object_array_get_idx(gs, g);
			kc_buf_printf(out, "[INFO] %s %s\n", json_object_get_string(at(grp, "section")),
				      json_object_get_string(at(grp, "desc")));
			json_object *rs = at(grp, "results");
			for (size_t i = 0; i < json_object_array_length(rs); i++) {
				json_object *r = json_object_array_get_idx(rs, i);
				kc_buf_printf(out, "[%s] %s %s\n", json_object_get_string(at(r, "status")),
					      json_object_get_string(at(r, "test_number")),
					      json_object_get_string(at(r, "test_desc")));
			}
		}
		kc_buf_printf(out, "== Summary %s ==\n", json_object_get_string(at(ctl, "node_type")));
		for (int k = 0; k < 4; k++)
			kc_buf_printf(out, "%d checks %s\n", json_object_get_int(at(ctl, keys[k])), names[k]);
	}
	kc_buf_puts(out, "== Summary total ==\n");
	for (int k = 0; k < 4; k++)
		kc_buf_printf(out, "%d checks %s\n", json_object_get_int(at(at(doc, "Totals"), keys[k])), names[k]);
}

static void check_golden(const char *path, size_t *compared)
{
	struct kc_run run;
	struct kc_buf want = KC_BUF_INIT, got = KC_BUF_INIT;
	if (load_golden(path, &run, &want)) {
		json_object *doc = render(&run);
		rebuild(doc, &got);
		if (strcmp(want.ptr, got.ptr) != 0) {
			/* the first differing line */
			const char *a = want.ptr, *b = got.ptr;
			while (*a && *a == *b)
				a++, b++;
			while (a > want.ptr && a[-1] != '\n')
				a--, b--;
			fail_msg("%s: kube-bench wrote\n  %.*s\nwe rebuild\n  %.*s", path, (int)strcspn(a, "\n"), a,
				 (int)strcspn(b, "\n"), b);
		}
		json_object_put(doc);
		(*compared)++;
	}
	kc_buf_clear(&want);
	kc_buf_clear(&got);
	kc_run_clear(&run);
}

static void walk(const char *dir, size_t *compared)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[1024];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		size_t n = strlen(e->d_name);
		if (e->d_type == DT_DIR)
			walk(p, compared);
		else if (n > 5 && strcmp(e->d_name + n - 5, ".data") == 0 && !strstr(e->d_name, "stig"))
			check_golden(p, compared);
	}
	closedir(d);
}

/* Every golden output of a full CIS run (one with "== Summary total ==") is rebuilt exactly.
 * The DISA STIG output is left out: it has a control without any check, which a run (a list
 * of results) cannot hold, and STIG ids are not CIS sections. */
static void test_golden_outputs_rebuilt_from_our_json(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/kube-bench-expected", kc_test_corpus());
	size_t compared = 0;
	walk(dir, &compared);
	print_message("compared %zu golden outputs\n", compared);
	assert_true(compared >= 5);
}

static void test_stdout_and_atomic_file(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	struct kc_run run;
	fx_run(&run);
	char path[600];
	snprintf(path, sizeof(path), "%s/kb.json", dir);
	assert_int_equal(kc_report_kubebench_write(&run, path), 0);
	json_object *o = json_object_from_file(path);
	assert_non_null(o);
	assert_int_equal(json_object_array_length(at(o, "Controls")), 3);
	json_object_put(o);
	snprintf(path, sizeof(path), "%s/missing/kb.json", dir);
	assert_true(kc_report_kubebench_write(&run, path) < 0);
	kc_run_clear(&run);
	kc_test_rmtree(dir);
	free(dir);
}

/* End to end through the CLI: `audit --json FILE --json-format kube-bench --oscal FILE`, and an
 * unknown format refused before anything runs. */
static void test_cli_json_format_and_oscal(void **state)
{
	(void)state;
	struct stat sb;
	if (stat("examples/node-kubeadm", &sb) != 0) {
		print_message("kc-skip: examples/ not found (run from the checkout)\n");
		skip();
	}
	char *dir = kc_test_mkdtemp(), db[600], kb[600], ar[600];
	snprintf(db, sizeof(db), "%s/x.db", dir);
	snprintf(kb, sizeof(kb), "%s/kb.json", dir);
	snprintf(ar, sizeof(ar), "%s/ar.json", dir);
	char *out = NULL;
	const char *argv[] = { "audit", "--root", "examples/node-kubeadm", "--db", db, "--json", kb, "--json-format",
			       "kube-bench", "--oscal", ar, "--quiet", "--fail-on", "ERROR", NULL };
	int rc = kc_test_run(&out, argv);
	if (rc != 0)
		print_message("%s\n", out);
	assert_int_equal(rc, 0);
	free(out);
	json_object *o = json_object_from_file(kb);
	assert_non_null(o);
	json_object *c0 = json_object_array_get_idx(at(o, "Controls"), 0);
	assert_string_equal(json_object_get_string(at(c0, "node_type")), "master");
	assert_true(json_object_get_int(at(at(o, "Totals"), "total_fail")) > 0);
	json_object_put(o);
	o = json_object_from_file(ar);
	assert_non_null(o);
	json_object_put(o);
	const char *bad[] = { "audit", "--root", "examples/node-kubeadm", "--db", db, "--json-format", "xml", NULL };
	assert_int_equal(kc_test_run(&out, bad), 2);
	assert_non_null(strstr(out, "--json-format: expected kubecomply or kube-bench, got 'xml'"));
	free(out);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_shape_as_kube_bench_result_json),
		cmocka_unit_test(test_golden_outputs_rebuilt_from_our_json),
		cmocka_unit_test(test_stdout_and_atomic_file),
		cmocka_unit_test(test_cli_json_format_and_oscal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
