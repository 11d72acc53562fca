/* HTML report, read back with libxml2's HTML parser: counts and score as the run has them,
 * every planted payload present only as text, the CSP hash equal to the SHA-256 of the
 * script actually in the page, objects paginated, drift / trend / "failing since" from a
 * real evidence store, atomic writes. (tests/test_report_browser.c runs it in Chromium.) */
#include "kc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <openssl/evp.h>

#include "store/store.h"
#include "common/error.h"
#include "reports/report.h"
#include "report_fixture.h"

struct fx {
	char *dir;
	char path[512];
	struct kc_run run;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = kc_test_mkdtemp();
	snprintf(f->path, sizeof(f->path), "%s/report.html", f->dir);
	fx_run(&f->run);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	kc_run_clear(&f->run);
	kc_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void write_html(struct fx *f, struct kc_store *st)
{
	int rc = kc_report_html_write(&f->run, st, f->path);
	if (rc)
		print_message("html: %s\n", kc_error_last());
	assert_int_equal(rc, 0);
}

static htmlDocPtr parse(const char *path)
{
	htmlDocPtr doc = htmlReadFile(path, "UTF-8", HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	assert_non_null(doc);
	return doc;
}

static char *xp(htmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	assert_non_null(o);
	xmlChar *s = xmlXPathCastToString(o);
	char *out = strdup((const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return out;
}

static void assert_xp(htmlDocPtr doc, const char *expr, const char *want)
{
	char *got = xp(doc, expr);
	if (strcmp(got, want) != 0)
		print_message("%s: got '%s', want '%s'\n", expr, got, want);
	assert_string_equal(got, want);
	free(got);
}

static void test_counts_and_structure(void **state)
{
	struct fx *f = *state;
	write_html(f, NULL);
	htmlDocPtr doc = parse(f->path);
	size_t counts[KC_STATUS_COUNT];
	kc_run_count(&f->run, counts);
	for (int s = 0; s < KC_STATUS_COUNT; s++) {
		char expr[128], want[32];
		snprintf(expr, sizeof(expr), "string(//*[@id='count-%s'])", kc_status_name((enum kc_status)s));
		snprintf(want, sizeof(want), "%zu", counts[s]);
		assert_xp(doc, expr, want);
		snprintf(expr, sizeof(expr), "count(//details[@class='check'][@data-status='%s'])",
			 kc_status_name((enum kc_status)s));
		assert_xp(doc, expr, want);
	}
	assert_xp(doc, "string(//*[@id='count-total'])", "9");
	/* 7 scored checks assessed (the SKIP is not), 3 of them passed */
	assert_xp(doc, "string(//*[@id='score-passed'])", "3");
	assert_xp(doc, "string(//*[@id='score-scored'])", "8");
	assert_xp(doc, "count(//details[@class='sec'])", "4");
	/* sections with failures open, others closed */
	assert_xp(doc, "count(//details[@class='sec'][@open])", "4");
	assert_xp(doc, "count(//svg[@id='status-chart']//rect)", "5");
	/* evidence as people need it */
	char *body = xp(doc, "string(//details[@class='check'][.//b[@class='cid']='1.1.1'])");
	assert_non_null(strstr(body, "/etc/kubernetes/manifests/kube-apiserver.yaml mode 0600 owner root:root"));
	free(body);
	body = xp(doc, "string(//details[@class='check'][.//b[@class='cid']='1.2.15'])");
	assert_non_null(strstr(body, "/etc/kubernetes/manifests/kube-apiserver.yaml:17 --profiling = " P_JS));
	assert_non_null(strstr(body, "(layer static-pod)"));
	assert_non_null(strstr(body, "Remediation"));
	free(body);
	body = xp(doc, "string(//details[@class='check'][.//b[@class='cid']='1.2.1'])");
	assert_non_null(strstr(body, "pid 4242 /proc/4242/cmdline --anonymous-auth = false"));
	free(body);
	assert_xp(doc, "count(//table[@class='objs']//tbody/tr)", "3");
	assert_xp(doc, "string(//table[@class='objs']//tr[3]/td[2])", "/api/v1/namespaces/team-a/pods/db");
	assert_xp(doc, "string(//*[@id='drift-none'])",
		  "This run is not in an evidence store: drift and trend are not shown (render it with kubecomply report --db FILE).");
	/* the filter bar is hidden until the script shows it: readable with scripts off */
	assert_xp(doc, "count(//form[@id='filters'][@hidden])", "1");
	xmlFreeDoc(doc);
}

static void test_payloads_are_text(void **state)
{
	struct fx *f = *state;
	write_html(f, NULL);
	size_t len;
	char *html = kc_test_slurp(f->path, &len);
	assert_non_null(html);
	/* raw markup of the payloads never appears */
	assert_null(strstr(html, "<script>document"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<svg/onload"));
	assert_null(strstr(html, "' onmouseover='"));
	assert_non_null(strstr(html, "&lt;script&gt;document.title=&#39;PWNED&#39;"));
	assert_non_null(strstr(html, "data-target=\"policies &#39; onmouseover=&#39;document.title=&quot;PWNED&quot;&#39; x=&#39;\""));
	/* exactly one script element: ours */
	size_t n = 0;
	for (const char *p = html; (p = strstr(p, "<script")); p++)
		n++;
	assert_int_equal(n, 1);
	free(html);

	htmlDocPtr doc = parse(f->path);
	assert_xp(doc, "count(//script)", "1");
	assert_xp(doc, "count(//img)", "0");
	assert_xp(doc, "count(//*[@onerror or @onload or @onmouseover])", "0");
	assert_xp(doc, "count(//a[starts-with(normalize-space(@href),'javascript')])", "0");
	/* and the text comes back exactly */
	assert_xp(doc, "string(//details[@class='check'][.//b[@class='cid']='1.1.2']//span[@class='ctitle'])",
		  "Ensure file ownership " P_SCRIPT);
	assert_xp(doc, "string(//table[@class='objs']//tr[1]/td[1])", "Pod default/nginx " P_SCRIPT);
	assert_xp(doc, "string(//table[@class='objs']//tr[2]/td[1])", "Deployment kube-system/" P_IMG);
	assert_xp(doc, "string(//details[@class='check'][.//b[@class='cid']='5.2.2']/@data-target)", "policies " P_ATTR);
	assert_xp(doc, "string(//dt[.='Cluster']/following-sibling::dd[1])", "prod " P_IMG);
	xmlFreeDoc(doc);
}

static void test_csp_allows_only_the_page_script(void **state)
{
	struct fx *f = *state;
	write_html(f, NULL);
	htmlDocPtr doc = parse(f->path);
	char *csp = xp(doc, "string(//meta[@http-equiv='Content-Security-Policy']/@content)");
	char *script = xp(doc, "string(//script)");
	unsigned char md[EVP_MAX_MD_SIZE], b64[128];
	unsigned int mdlen;
	EVP_Digest(script, strlen(script), md, &mdlen, EVP_sha256(), NULL);
	EVP_EncodeBlock(b64, md, (int)mdlen);
	char want[256];
	snprintf(want, sizeof(want), "script-src 'sha256-%s'", b64);
	assert_non_null(strstr(csp, want));
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_null(strstr(csp, "unsafe-eval"));
	assert_null(strstr(csp, "script-src 'unsafe-inline'"));
	free(csp);
	free(script);
	xmlFreeDoc(doc);
}

static void test_objects_paginated(void **state)
{
	struct fx *f = *state;
	struct kc_result *r = &f->run.results[f->run.nresults - 1];
	for (int i = 0; i < 117; i++) {
		char name[32];
		snprintf(name, sizeof(name), "pod-%03d", i);
		fx_object(r, "Pod", "bulk", name, "deploy/bulk.yaml", i + 1);
	}
	write_html(f, NULL);
	htmlDocPtr doc = parse(f->path);
	/* 120 objects: 50 in the open table, 70 in a closed "more" block */
	assert_xp(doc, "string(//details[@class='check'][.//b[@class='cid']='5.2.2']//span[@class='nobj'])", "120");
	assert_xp(doc, "count(//details[@class='check'][.//b[@class='cid']='5.2.2']/div/table[@class='objs']//tbody/tr)", "50");
	assert_xp(doc, "count(//details[@class='more']//tbody/tr)", "70");
	assert_xp(doc, "count(//details[@class='more'][@open])", "0");
	assert_xp(doc, "string(//details[@class='more']/summary)", "70 more objects");
	xmlFreeDoc(doc);
}

static void save_variant(struct kc_store *st, struct fx *f, enum kc_status s1215, enum kc_status s111, int64_t *id)
{
	struct kc_run r;
	fx_run(&r);
	r.results[3].status = s1215; /* 1.2.15 */
	r.results[0].status = s111;  /* 1.1.1 */
	int rc = kc_store_save_run(st, &r);
	if (rc)
		print_message("store: %s\n", kc_error_last());
	assert_int_equal(rc, 0);
	*id = r.id;
	kc_run_clear(&r);
	(void)f;
}

static void test_drift_trend_since(void **state)
{
	struct fx *f = *state;
	char db[600];
	snprintf(db, sizeof(db), "%s/kc.db", f->dir);
	struct kc_store *st;
	assert_int_equal(kc_store_open(db, &st), 0);
	int64_t id1, id2, id3;
	/* run 1: 1.2.15 FAIL, 1.1.1 FAIL; run 2: 1.2.15 PASS, 1.1.1 FAIL; run 3: 1.2.15 FAIL, 1.1.1 PASS */
	save_variant(st, f, KC_FAIL, KC_FAIL, &id1);
	save_variant(st, f, KC_PASS, KC_FAIL, &id2);
	save_variant(st, f, KC_FAIL, KC_PASS, &id3);
	kc_run_clear(&f->run);
	assert_int_equal(kc_store_load_run(st, id3, &f->run), 0);
	write_html(f, st);
	htmlDocPtr doc = parse(f->path);
	assert_xp(doc, "string(//*[@id='drift-new_failures'])", "1");
	assert_xp(doc, "string(//*[@id='drift-fixed'])", "1");
	/* 1.1.2 and 5.2.2 fail in every run */
	assert_xp(doc, "string(//*[@id='drift-still_failing'])", "2");
	assert_xp(doc, "normalize-space(//section[h3/b[@id='drift-new_failures']]//li)",
		  "1.2.15 Ensure that the --profiling argument is set to false");
	assert_xp(doc, "count(//svg[@id='trend-chart']/g)", "3");
	/* numbers on the trend: each run's FAIL count (4, 3, 3), and a legend naming every colour */
	assert_xp(doc, "string(//svg[@id='trend-chart']/g[1]/*[@class='nfail'])", "4");
	assert_xp(doc, "string(//svg[@id='trend-chart']/g[2]/*[@class='nfail'])", "3");
	assert_xp(doc, "string(//svg[@id='trend-chart']/g[3]/*[@class='nfail'])", "3");
	assert_xp(doc, "count(//ul[@id='trend-legend']/li/span[contains(@class,'badge')])", "5");
	char *meta = xp(doc, "string(//details[@class='check'][.//b[@class='cid']='1.1.2']/summary)");
	char want[64];
	snprintf(want, sizeof(want), "failing since run #%lld", (long long)id1);
	assert_non_null(strstr(meta, want));
	free(meta);
	/* a new failure has no "since" */
	meta = xp(doc, "string(//details[@class='check'][.//b[@class='cid']='1.2.15']/summary)");
	assert_null(strstr(meta, "failing since"));
	free(meta);
	xmlFreeDoc(doc);

	/* the first run of a host has no previous run */
	kc_run_clear(&f->run);
	assert_int_equal(kc_store_load_run(st, id1, &f->run), 0);
	write_html(f, st);
	doc = parse(f->path);
	assert_xp(doc, "string(//*[@id='drift-none'])", "This is the first stored run of this host and benchmark.");
	assert_xp(doc, "count(//svg[@id='trend-chart'])", "0");
	xmlFreeDoc(doc);
	kc_store_free(st);
}

static void test_atomic_write(void **state)
{
	struct fx *f = *state;
	char path[600];
	snprintf(path, sizeof(path), "%s/missing/report.html", f->dir);
	assert_true(kc_report_html_write(&f->run, NULL, path) < 0);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_non_null(strstr(kc_error_last(), "report.html"));
}

/* The top of the page counts what matters: failing checks by severity, scored or not; a run
 * without scored checks (policies only) does not say "0 / 0"; the status x severity table;
 * singular and plural; chips that do nothing without scripts are disabled (and styled plain). */
static void test_headline_counts_what_matters(void **state)
{
	struct fx *f = *state;
	write_html(f, NULL);
	htmlDocPtr doc = parse(f->path);
	assert_xp(doc, "normalize-space(//*[@id='headline'])", "3 failing checks — 1 critical, 1 high");
	assert_xp(doc, "string(//*[@id='sev-critical-FAIL'])", "1");
	assert_xp(doc, "string(//*[@id='sev-medium-ERROR'])", "1");
	assert_xp(doc, "string(//*[@id='sev-low-SKIP'])", "1");
	assert_xp(doc, "count(//button[@data-status][@disabled])", "5");
	/* plurals: "1 check" for the one-check section */
	assert_xp(doc, "normalize-space(//details[@class='sec'][4]/summary/span[@class='meta sec-counts'])",
		  "1 check · 1 FAIL");
	char *text = xp(doc, "string(//header)");
	assert_non_null(strstr(text, "1 check could not be decided (ERROR)."));
	free(text);
	xmlFreeDoc(doc);

	/* policies only, nothing scored: two failing critical section-5 checks move the headline */
	struct kc_run pol = { 0 };
	pol.host = kc_strdup("ci");
	pol.benchmark = kc_strdup("cis-1.12");
	for (int i = 0; i < 3; i++) {
		struct kc_result *r = fx_result(&pol, i == 0 ? "5.1.1" : i == 1 ? "5.2.2" : "5.1.2", "Section 5 check", "5.1",
						"RBAC", "policies", i < 2 ? KC_FAIL : KC_PASS, KC_SEV_CRITICAL);
		r->scored = 0;
	}
	kc_run_clear(&f->run);
	f->run = pol;
	write_html(f, NULL);
	doc = parse(f->path);
	assert_xp(doc, "normalize-space(//*[@id='headline'])", "2 failing checks — 2 critical");
	assert_xp(doc, "count(//*[@id='score-scored'])", "0");
	assert_xp(doc, "count(//*[@id='score-none'])", "1");
	text = xp(doc, "string(//header)");
	assert_null(strstr(text, "0 / 0"));
	assert_null(strstr(text, "0 of 0"));
	free(text);
	xmlFreeDoc(doc);
}

/* A name with a right-to-left override (U+202E) or zero-width characters must not display
 * reversed or hide text: the HTML shows each such control as "[U+XXXX]", as do the diff and
 * the terminal; the terminal also neutralises ESC. */
static void test_invisible_unicode_controls_neutralised(void **state)
{
	struct fx *f = *state;
	struct kc_result *r = &f->run.results[f->run.nresults - 1];
	free(r->evidence[0].obj_name);
	r->evidence[0].obj_name = kc_strdup("evil\xe2\x80\xaetxt.exe\xe2\x80\x8b\xef\xbb\xbf");
	free(r->title);
	r->title = kc_strdup("title \xe2\x81\xa7isolate\xe2\x81\xa9 \x1b[2J");
	write_html(f, NULL);
	size_t len = 0;
	char *html = kc_test_slurp(f->path, &len);
	assert_non_null(strstr(html, "evil[U+202E]txt.exe[U+200B][U+FEFF]"));
	assert_non_null(strstr(html, "title [U+2067]isolate[U+2069]"));
	assert_null(strstr(html, "\xe2\x80\xae"));
	assert_null(strstr(html, "\xe2\x81\xa7"));
	free(html);

	char *out = NULL;
	size_t olen = 0;
	FILE *fp = open_memstream(&out, &olen);
	struct kc_term_opts o = { .color = 0, .quiet = 0, .verbose = 1 };
	kc_report_term_print(&f->run, fp, &o);
	fclose(fp);
	assert_non_null(strstr(out, "[FAIL] 5.2.2 title [U+2067]isolate[U+2069] \xef\xbf\xbd[2J"));
	assert_null(strchr(out, '\x1b'));
	assert_null(strstr(out, "\xe2\x80\xae"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_and_structure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payloads_are_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csp_allows_only_the_page_script, setup, teardown),
		cmocka_unit_test_setup_teardown(test_objects_paginated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drift_trend_since, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headline_counts_what_matters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invisible_unicode_controls_neutralised, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
