/* Fleet report from three node databases made here with kc_store_save_run: the latest AUDIT
 * run of each (not an older audit, not a later watch run), the status of each check on every
 * node, the majority among the nodes that ran it (SKIP is not drift, ties go to the better
 * status), the drifting nodes in text, JSON and HTML (escaped), loading from a directory, and
 * the errors for a missing database (never created), an empty one and an empty directory. */
#include "kc_test.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/fleet.h"

struct spec { const char *id; int status; }; /* status -1: the run lacks the check */

static void save(const char *path, const char *host, const struct spec *s, size_t n, int watch_after)
{
	struct kc_store *st;
	assert_int_equal(kc_store_open(path, &st), 0);
	struct kc_run run = { 0 };
	run.host = kc_strdup(host);
	run.cluster = kc_strdup("prod");
	run.benchmark = kc_strdup("cis-1.12");
	run.started = kc_strdup("2026-11-28T06:00:00.000Z");
	run.finished = kc_strdup("2026-11-28T06:00:01.000Z");
	for (size_t i = 0; i < n; i++) {
		if (s[i].status < 0)
			continue;
		struct kc_result *r = kc_run_add_result(&run);
		r->id = kc_strdup(s[i].id);
		r->title = kc_strdup(strcmp(s[i].id, "1.1.1") == 0 ? "File <b>modes</b>" : "a check");
		r->section = kc_strndup(s[i].id, 3);
		r->target = kc_strdup("node");
		r->severity = KC_SEV_HIGH;
		r->status = (enum kc_status)s[i].status;
	}
	assert_int_equal(kc_store_save_run(st, &run), 0);
	kc_run_clear(&run);
	if (watch_after) {
		struct kc_run w = { 0 };
		w.host = kc_strdup(host);
		w.started = kc_strdup("2026-11-28T07:00:00.000Z");
		assert_int_equal(kc_store_start_watch(st, &w), 0);
		kc_run_clear(&w);
	}
	kc_store_free(st);
}

/* node-a: an older run where 1.1.1 FAILed, then the latest where it passes.
 * node-b: a watch run after its audit.  node-c: a host name with markup in it.
 *              node-a  node-b  node-c
 *   1.1.1      PASS    PASS    FAIL    -> majority PASS, node-c drifts
 *   1.2.1      PASS    SKIP    PASS    -> no drift (SKIP is a role, not drift)
 *   1.2.10     FAIL    FAIL    FAIL    -> no drift
 *   1.2.9      PASS    FAIL    -       -> tie: PASS wins, node-b drifts
 *   4.2.1      SKIP    SKIP    SKIP    -> no majority, no drift */
static char *make_fleet(void)
{
	char *dir = kc_test_mkdtemp();
	char p[4200];
	static const struct spec old_a[] = { { "1.1.1", KC_FAIL }, { "1.2.1", KC_FAIL } };
	static const struct spec a[] = { { "1.1.1", KC_PASS }, { "1.2.1", KC_PASS }, { "1.2.10", KC_FAIL },
					 { "1.2.9", KC_PASS }, { "4.2.1", KC_SKIP } };
	static const struct spec b[] = { { "1.1.1", KC_PASS }, { "1.2.1", KC_SKIP }, { "1.2.10", KC_FAIL },
					 { "1.2.9", KC_FAIL }, { "4.2.1", KC_SKIP } };
	static const struct spec c[] = { { "1.1.1", KC_FAIL }, { "1.2.1", KC_PASS }, { "1.2.10", KC_FAIL },
					 { "1.2.9", -1 }, { "4.2.1", KC_SKIP } };
	snprintf(p, sizeof(p), "%s/node-a.db", dir);
	save(p, "node-a", old_a, 2, 0);
	save(p, "node-a", a, 5, 0);
	snprintf(p, sizeof(p), "%s/node-b.db", dir);
	save(p, "node-b", b, 5, 1);
	snprintf(p, sizeof(p), "%s/node-c.db", dir);
	save(p, "node-c<script>x</script>", c, 5, 0);
	/* not a database name: ignored when the directory is loaded */
	kc_test_write(dir, "notes.txt", "not a database\n", 0644);
	return dir;
}

static const struct kc_fleet_check *check(const struct kc_fleet *f, const char *id)
{
	for (size_t i = 0; i < f->nchecks; i++)
		if (strcmp(f->checks[i].first->id, id) == 0)
			return &f->checks[i];
	fail_msg("check %s missing", id);
	return NULL;
}

static void assert_matrix(const struct kc_fleet *f)
{
	assert_int_equal(f->nnodes, 3);
	assert_string_equal(f->nodes[0].label, "prod/node-a");
	assert_string_equal(f->nodes[1].label, "prod/node-b");
	assert_string_equal(f->nodes[2].label, "prod/node-c<script>x</script>");
	assert_int_equal(f->nodes[0].run.id, 2); /* the latest audit, not the first */
	assert_int_equal(f->nodes[1].run.id, 1); /* the audit, not the later watch run */
	assert_int_equal(f->nchecks, 5);
	/* benchmark order: 1.2.9 before 1.2.10 */
	const char *order[] = { "1.1.1", "1.2.1", "1.2.9", "1.2.10", "4.2.1" };
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(f->checks[i].first->id, order[i]);
	const struct kc_fleet_check *c = check(f, "1.1.1");
	assert_int_equal(c->majority, KC_PASS);
	assert_int_equal(c->nmajority, 2);
	assert_int_equal(c->ndrift, 1);
	assert_int_equal(c->status[2], KC_FAIL);
	c = check(f, "1.2.1");
	assert_int_equal(c->majority, KC_PASS);
	assert_int_equal(c->ndrift, 0);
	c = check(f, "1.2.9");
	assert_int_equal(c->majority, KC_PASS);
	assert_int_equal(c->ndrift, 1);
	assert_int_equal(c->status[2], -1);
	c = check(f, "1.2.10");
	assert_int_equal(c->majority, KC_FAIL);
	assert_int_equal(c->ndrift, 0);
	c = check(f, "4.2.1");
	assert_int_equal(c->majority, -1);
	assert_int_equal(c->ndrift, 0);
	assert_int_equal(f->ndrift_checks, 2);
	assert_int_equal(f->nodes[0].ndrift, 0);
	assert_int_equal(f->nodes[1].ndrift, 1);
	assert_int_equal(f->nodes[2].ndrift, 1);
}

static void test_three_databases(void **state)
{
	(void)state;
	char *dir = make_fleet();
	char a[4200], b[4200], c[4200], json[4200], html[4200];
	snprintf(a, sizeof(a), "%s/node-a.db", dir);
	snprintf(b, sizeof(b), "%s/node-b.db", dir);
	snprintf(c, sizeof(c), "%s/node-c.db", dir);
	snprintf(json, sizeof(json), "%s/fleet.json", dir);
	snprintf(html, sizeof(html), "%s/fleet.html", dir);
	const char *paths[] = { a, b, c };
	struct kc_fleet *f = NULL;
	int rc = kc_fleet_load(paths, 3, &f);
	if (rc < 0)
		print_error("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	assert_matrix(f);

	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	assert_int_equal(kc_fleet_render(f, fp, json, html), 0);
	fclose(fp);
	assert_non_null(strstr(text, "fleet: 3 nodes, 5 checks, 2 checks drift\n"));
	assert_non_null(strstr(text, "  1.1.1    File <b>modes</b>\n           majority PASS (2 nodes); prod/node-c<script>x</script> FAIL\n"));
	assert_non_null(strstr(text, "  1.2.9    a check\n           majority PASS (1 node); prod/node-b FAIL\n"));
	assert_null(strstr(text, "  1.2.1 "));
	/* a node's row names the node first and its store last, whatever order the compiler
	 * evaluates printf's arguments in */
	char row[4300];
	snprintf(row, sizeof(row), "  prod/node-b ");
	const char *r = strstr(text, row);
	assert_non_null(r);
	snprintf(row, sizeof(row), "(%s)\n", b);
	assert_non_null(strstr(r, row));
	free(text);

	struct json_object *root = json_object_from_file(json), *v;
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "schema", &v));
	assert_string_equal(json_object_get_string(v), "kubecomply.fleet/v1");
	assert_true(json_object_object_get_ex(root, "checks", &v));
	assert_int_equal(json_object_array_length(v), 5);
	struct json_object *c0 = json_object_array_get_idx(v, 0), *st, *x;
	assert_true(json_object_object_get_ex(c0, "status", &st));
	assert_true(json_object_object_get_ex(st, "prod/node-c<script>x</script>", &x));
	assert_string_equal(json_object_get_string(x), "FAIL");
	assert_true(json_object_object_get_ex(c0, "drift", &x));
	assert_int_equal(json_object_array_length(x), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(x, 0)), "prod/node-c<script>x</script>");
	/* a node lacking the check: null, not drift */
	struct json_object *c2 = json_object_array_get_idx(v, 2);
	assert_true(json_object_object_get_ex(c2, "status", &st));
	assert_true(json_object_object_get_ex(st, "prod/node-c<script>x</script>", &x));
	assert_null(x);
	assert_true(json_object_object_get_ex(root, "summary", &v));
	assert_true(json_object_object_get_ex(v, "drift_checks", &x));
	assert_int_equal(json_object_get_int(x), 2);
	json_object_put(root);

	char *page = kc_test_slurp(html, &len);
	assert_non_null(page);
	assert_null(strstr(page, "<script>x"));
	assert_non_null(strstr(page, "node-c&lt;script&gt;x"));
	assert_null(strstr(page, "<b>modes"));
	assert_non_null(strstr(page, "<b id=\"fleet-drift\">2</b>"));
	/* the drifting table holds the two drifting checks, each with one highlighted cell */
	char *drifting = strstr(page, "<table id=\"fleet-drifting\" class=\"fleet\">");
	char *all = strstr(page, "<table id=\"fleet-all\" class=\"fleet\">");
	assert_non_null(drifting);
	assert_non_null(all);
	size_t marks = 0, rows = 0;
	for (char *p = drifting; (p = strstr(p, "<mark class=\"drift-cell\">")) && p < all; p++)
		marks++;
	for (char *p = drifting; (p = strstr(p, "<tr class=\"drifting\"><td class=\"cid\">")) && p < all; p++)
		rows++;
	assert_int_equal(marks, 2);
	assert_int_equal(rows, 2);
	/* readable at a glance: ids in a no-wrap cell, a drifting cell says so in text too, the
	 * matrix scrolls in its own box */
	assert_non_null(strstr(drifting, "<td class=\"drift\" title=\"differs from the majority\"><mark class=\"drift-cell\">"));
	assert_non_null(strstr(drifting, " ≠</mark>"));
	assert_non_null(strstr(page, "<div class=\"matrix\"><table id=\"fleet-drifting\""));
	free(page);
	kc_fleet_free(f);

	/* the same fleet from the directory */
	const char *dirs[] = { dir };
	assert_int_equal(kc_fleet_load(dirs, 1, &f), 0);
	assert_matrix(f);
	kc_fleet_free(f);
	kc_test_rmtree(dir);
	free(dir);
}

static void test_errors(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char p[4200];
	struct kc_fleet *f = (struct kc_fleet *)1;
	snprintf(p, sizeof(p), "%s/missing.db", dir);
	const char *one[] = { p };
	assert_true(kc_fleet_load(one, 1, &f) < 0);
	assert_null(f);
	assert_non_null(strstr(kc_error_last(), "missing.db"));
	struct stat sb;
	assert_int_equal(stat(p, &sb), -1); /* a typo never becomes an empty database */

	/* a database without an audit run */
	snprintf(p, sizeof(p), "%s/empty.db", dir);
	struct kc_store *st;
	assert_int_equal(kc_store_open(p, &st), 0);
	kc_store_free(st);
	assert_int_equal(kc_fleet_load(one, 1, &f), KC_ENOTFOUND);
	assert_non_null(strstr(kc_error_last(), "no audit run"));

	/* a directory without databases */
	char *empty = kc_test_mkdtemp();
	const char *d[] = { empty };
	assert_int_equal(kc_fleet_load(d, 1, &f), KC_ENOTFOUND);
	assert_non_null(strstr(kc_error_last(), "no *.db"));
	assert_true(kc_fleet_load(d, 0, &f) < 0);
	kc_test_rmtree(empty);
	free(empty);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_databases),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
