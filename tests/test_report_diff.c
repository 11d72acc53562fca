/* `report --diff`: every category (new failure, fixed, still failing, changed, added,
 * removed) on two in-memory runs, in the text, JSON and HTML forms; terminal text cleaned of
 * control characters; HTML escaped and script-free. */
#include "kc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/error.h"
#include "reports/report.h"
#include "report_fixture.h"

/* a: the fixture as run #1. b: run #2 where 1.2.15 is fixed, 1.1.1 newly fails, 1.2.30 went
 * WARN -> ERROR, 4.2.9 was removed and 9.9.9 (a FAIL) was added. */
static void make_runs(struct kc_run *a, struct kc_run *b)
{
	fx_run(a);
	a->id = 1;
	fx_run(b);
	b->id = 2;
	b->results[3].status = KC_PASS;  /* 1.2.15 */
	b->results[0].status = KC_FAIL;  /* 1.1.1 */
	b->results[4].status = KC_ERROR; /* 1.2.30 */
	kc_result_clear(&b->results[6]); /* 4.2.9 */
	memmove(&b->results[6], &b->results[7], 2 * sizeof(b->results[0]));
	b->nresults--;
	fx_result(b, "9.9.9", "A new check \x1b[2J" P_SCRIPT, "9.9", "New", "node", KC_FAIL, KC_SEV_LOW);
}

static void test_text(void **state)
{
	struct kc_run a, b;
	make_runs(&a, &b);
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	assert_int_equal(kc_report_diff(&a, &b, fp, NULL, NULL), 0);
	fclose(fp);
	assert_non_null(strstr(out, "kubecomply diff: run #1 (node-1, cis-1.12, 2026-11-28T05:45:39.123Z) -> run #2"));
	assert_non_null(strstr(out, "New failures (1):\n  FAIL  1.1.1  Ensure that the API server pod specification "
				    "file permissions are set to 600  (PASS -> FAIL)\n"));
	assert_non_null(strstr(out, "Fixed (1):\n  PASS  1.2.15  "));
	assert_non_null(strstr(out, "Still failing (2):\n  FAIL  1.1.2  "));
	assert_non_null(strstr(out, "Changed status (1):\n  ERROR 1.2.30  Ensure encryption providers are configured  "
				    "(WARN -> ERROR)\n"));
	assert_non_null(strstr(out, "Added checks (1):\n  FAIL  9.9.9  A new check \xef\xbf\xbd[2J<script>"));
	assert_non_null(strstr(out, "Removed checks (1):\n  SKIP  4.2.9  "));
	assert_non_null(strstr(out, "summary: 1 new failures, 1 fixed, 2 still failing, 1 changed, 1 added, 1 removed, "
				    "3 unchanged\n"));
	/* no escape character reaches the terminal */
	assert_null(strchr(out, '\x1b'));
	free(out);
	kc_run_clear(&a);
	kc_run_clear(&b);
}

static long long jint(json_object *o, const char *k1, const char *k2)
{
	json_object *v = NULL;
	assert_true(json_object_object_get_ex(o, k1, &v));
	assert_true(json_object_object_get_ex(v, k2, &v));
	return json_object_get_int64(v);
}

static void test_json_and_html(void **state)
{
	struct kc_run a, b;
	make_runs(&a, &b);
	char *dir = kc_test_mkdtemp();
	char jp[600], hp[600];
	snprintf(jp, sizeof(jp), "%s/diff.json", dir);
	snprintf(hp, sizeof(hp), "%s/diff.html", dir);
	assert_int_equal(kc_report_diff(&a, &b, NULL, jp, hp), 0);

	json_object *root = json_object_from_file(jp);
	assert_non_null(root);
	assert_int_equal(jint(root, "from", "id"), 1);
	assert_int_equal(jint(root, "to", "id"), 2);
	struct { const char *k; long long n; } want[] = {
		{ "new_failures", 1 }, { "fixed", 1 }, { "still_failing", 2 }, { "changed", 1 },
		{ "added", 1 }, { "removed", 1 }, { "unchanged", 3 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(jint(root, "summary", want[i].k), want[i].n);
		if (strcmp(want[i].k, "unchanged") == 0)
			continue;
		json_object *arr;
		assert_true(json_object_object_get_ex(root, want[i].k, &arr));
		assert_int_equal(json_object_array_length(arr), want[i].n);
	}
	json_object *arr, *it, *v;
	assert_true(json_object_object_get_ex(root, "changed", &arr));
	it = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(it, "from", &v));
	assert_string_equal(json_object_get_string(v), "WARN");
	assert_true(json_object_object_get_ex(it, "to", &v));
	assert_string_equal(json_object_get_string(v), "ERROR");
	assert_true(json_object_object_get_ex(root, "removed", &arr));
	it = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(it, "to", &v));
	assert_null(v);
	json_object_put(root);

	size_t len;
	char *html = kc_test_slurp(hp, &len);
	assert_non_null(html);
	assert_non_null(strstr(html, "<b id=\"diff-new_failures\">1</b>"));
	assert_non_null(strstr(html, "<b id=\"diff-still_failing\">2</b>"));
	assert_non_null(strstr(html, "<b id=\"diff-unchanged\">3</b>"));
	assert_non_null(strstr(html, "A new check \xef\xbf\xbd[2J&lt;script&gt;"));
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "script-src 'none'") ? strstr(html, "script-src 'none'")
							   : strstr(html, "script-src &#39;none&#39;"));
	free(html);

	/* an unwritable path: error, no file */
	char bad[700];
	snprintf(bad, sizeof(bad), "%s/missing/diff.json", dir);
	assert_true(kc_report_diff(&a, &b, NULL, bad, NULL) < 0);
	assert_int_not_equal(access(bad, F_OK), 0);
	kc_test_rmtree(dir);
	free(dir);
	kc_run_clear(&a);
	kc_run_clear(&b);
}

static void test_identical_runs(void **state)
{
	struct kc_run a;
	fx_run(&a);
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	assert_int_equal(kc_report_diff(&a, &a, fp, NULL, NULL), 0);
	fclose(fp);
	/* the three failures are "still failing", nothing else moved */
	assert_non_null(strstr(out, "summary: 0 new failures, 0 fixed, 3 still failing, 0 changed, 0 added, 0 removed, "
				    "6 unchanged\n"));
	free(out);
	kc_run_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json_and_html),
		cmocka_unit_test(test_identical_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
