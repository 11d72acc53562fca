/* The HTML report in a real headless Chromium (Debian's chromium, from
 * scripts/debian-packages.txt): planted <script>, onerror and javascript: payloads run
 * nothing (the dumped DOM has the page's own title, no injected element or attribute, one
 * script); the counts shown equal the JSON report's; the page's script runs under its CSP
 * (it shows the filter bar) and a filter given in the URL (#status=FAIL, the same code path
 * as a click) hides every other row. Screenshots are kept in build/test-artifacts/. */
#include "kc_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "common/error.h"
#include "reports/report.h"
#include "report_fixture.h"

#define CHROMIUM "/usr/bin/chromium"

struct fx {
	char *dir;
	char html[512];
	char artifacts[512];
	struct kc_run run;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = kc_test_mkdtemp();
	snprintf(f->html, sizeof(f->html), "%s/report.html", f->dir);
	const char *build = getenv("KC_BUILD");
	snprintf(f->artifacts, sizeof(f->artifacts), "%s/test-artifacts", build && *build ? build : "build");
	mkdir(build && *build ? build : "build", 0755);
	mkdir(f->artifacts, 0755);
	fx_run(&f->run);
	/* payloads also in the host (page title and h1) */
	free(f->run.host);
	f->run.host = kc_strdup("node-1 " P_SVG);
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

static void require_chromium(void)
{
	if (access(CHROMIUM, X_OK) != 0) {
		print_message("kc-skip: %s is not installed (apt-get install chromium, or make deps)\n", CHROMIUM);
		skip();
	}
}

/* Runs headless Chromium on url with extra flags; its stdout into *out (caller frees).
 * A fresh profile per run; no network features; bounded by timeout(1). */
static int chromium_v(struct fx *f, const char *url, const char *const *flags, char **out)
{
	char profile[600], outpath[600];
	static int seq;
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/profile-%d", f->dir, seq);
	snprintf(outpath, sizeof(outpath), "%s/chromium-%d.out", f->dir, seq++);
	const char *argv[32] = {
		"timeout", "300", CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,1600", profile,
	};
	size_t n = 15;
	for (size_t i = 0; flags[i] && n < 30; i++)
		argv[n++] = flags[i];
	argv[n++] = url;
	argv[n] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(nul, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	if (out) {
		size_t len;
		*out = kc_test_slurp(outpath, &len);
		assert_non_null(*out);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs headless Chromium on url with one or two extra flags (flag2 may be NULL). */
static int chromium2(struct fx *f, const char *url, const char *flag, const char *flag2, char **out)
{
	const char *flags[] = { flag, flag2, NULL };
	return chromium_v(f, url, flags, out);
}

static int chromium(struct fx *f, const char *url, const char *flag, char **out)
{
	return chromium2(f, url, flag, NULL, out);
}

static htmlDocPtr dump_dom(struct fx *f, const char *fragment)
{
	char url[700], *dom = NULL;
	snprintf(url, sizeof(url), "file://%s%s", f->html, fragment ? fragment : "");
	int rc = chromium(f, url, "--dump-dom", &dom);
	if (rc != 0 || !*dom)
		print_message("chromium exited with %d\n", rc);
	assert_int_equal(rc, 0);
	assert_true(strlen(dom) > 1000);
	htmlDocPtr doc = htmlReadMemory(dom, (int)strlen(dom), url, "UTF-8",
					HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	free(dom);
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

static void assert_nothing_ran(htmlDocPtr doc, const char *title)
{
	assert_xp(doc, "string(/html/head/title)", title);
	assert_xp(doc, "count(//pwned)", "0");
	assert_xp(doc, "count(//*[@data-pwned])", "0");
	assert_xp(doc, "count(//img)", "0");
	assert_xp(doc, "count(//script)", "1");
	assert_xp(doc, "count(//*[@onerror or @onload or @onmouseover])", "0");
	assert_xp(doc, "count(//svg[not(@class='chart')])", "0");
}

/* The JSON report's summary (the lead's reports/json.c) as the reference counts. */
static json_object *json_summary(const struct kc_run *run, json_object **root)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	assert_int_equal(kc_report_json_fprint(run, fp), 0);
	fclose(fp);
	*root = json_tokener_parse(text);
	free(text);
	assert_non_null(*root);
	json_object *sum = NULL;
	assert_true(json_object_object_get_ex(*root, "summary", &sum));
	return sum;
}

static void test_payloads_run_nothing_and_counts_match_json(void **state)
{
	require_chromium();
	struct fx *f = *state;
	assert_int_equal(kc_report_html_write(&f->run, NULL, f->html), 0);
	htmlDocPtr doc = dump_dom(f, NULL);
	assert_nothing_ran(doc, "kubecomply: node-1 " P_SVG " cis-1.12");
	/* the payload text is there, as text */
	assert_xp(doc, "string(//details[@class='check'][.//b[@class='cid']='1.1.2']//span[@class='ctitle'])",
		  "Ensure file ownership " P_SCRIPT);
	assert_xp(doc, "string(//table[@class='objs']//tr[2]/td[1])", "Deployment kube-system/" P_IMG);
	/* the page's own script ran under the CSP: it un-hid the filter bar */
	assert_xp(doc, "count(//form[@id='filters'][@hidden])", "0");
	assert_xp(doc, "string(//*[@id='shown'])", "9");

	json_object *root, *sum = json_summary(&f->run, &root);
	for (int s = 0; s < KC_STATUS_COUNT; s++) {
		const char *name = kc_status_name((enum kc_status)s);
		json_object *v;
		assert_true(json_object_object_get_ex(sum, name, &v));
		char expr[96], want[32];
		snprintf(expr, sizeof(expr), "string(//*[@id='count-%s'])", name);
		snprintf(want, sizeof(want), "%lld", (long long)json_object_get_int64(v));
		assert_xp(doc, expr, want);
	}
	struct { const char *key, *id; } more[] = {
		{ "total", "count-total" }, { "scored", "score-scored" }, { "scored_passed", "score-passed" },
	};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		json_object *v;
		assert_true(json_object_object_get_ex(sum, more[i].key, &v));
		char expr[96], want[32];
		snprintf(expr, sizeof(expr), "string(//*[@id='%s'])", more[i].id);
		snprintf(want, sizeof(want), "%lld", (long long)json_object_get_int64(v));
		assert_xp(doc, expr, want);
	}
	json_object_put(root);
	xmlFreeDoc(doc);

	char shot[700];
	snprintf(shot, sizeof(shot), "--screenshot=%s/report.png", f->artifacts);
	char url[700];
	snprintf(url, sizeof(url), "file://%s", f->html);
	assert_int_equal(chromium(f, url, shot, NULL), 0);
	snprintf(shot, sizeof(shot), "%s/report.png", f->artifacts);
	size_t len = 0;
	char *png = kc_test_slurp(shot, &len);
	assert_non_null(png);
	assert_true(len > 8 && memcmp(png, "\x89PNG", 4) == 0);
	free(png);
	/* the page itself, beside its screenshot */
	char keep[1200];
	snprintf(keep, sizeof(keep), "cp '%s' '%s/report.html'", f->html, f->artifacts);
	assert_int_equal(system(keep), 0);
}

static void test_filter_from_url(void **state)
{
	require_chromium();
	struct fx *f = *state;
	assert_int_equal(kc_report_html_write(&f->run, NULL, f->html), 0);
	size_t counts[KC_STATUS_COUNT];
	kc_run_count(&f->run, counts);
	char want[32];
	snprintf(want, sizeof(want), "%zu", counts[KC_FAIL]);

	htmlDocPtr doc = dump_dom(f, "#status=FAIL");
	assert_xp(doc, "count(//details[@class='check'][@data-status='FAIL'][not(@hidden)])", want);
	assert_xp(doc, "count(//details[@class='check'][@data-status!='FAIL'][not(@hidden)])", "0");
	assert_xp(doc, "string(//*[@id='shown'])", want);
	/* the section without failures is hidden as a whole */
	assert_xp(doc, "count(//details[@class='sec'][not(@hidden)])", "3");
	xmlFreeDoc(doc);

	/* filters combine: status, target and the text search */
	doc = dump_dom(f, "#status=FAIL&q=nginx");
	assert_xp(doc, "count(//details[@class='check'][not(@hidden)])", "1");
	assert_xp(doc, "string(//details[@class='check'][not(@hidden)]//b[@class='cid'])", "5.2.2");
	xmlFreeDoc(doc);
	doc = dump_dom(f, "#target=node");
	assert_xp(doc, "count(//details[@class='check'][not(@hidden)])", "3");
	xmlFreeDoc(doc);

	/* a payload in the URL is a search string, not markup */
	doc = dump_dom(f, "#q=%3Cimg%20src%3Dx%20onerror%3D%22document.title%3D'PWNED'%22%3E");
	assert_nothing_ran(doc, "kubecomply: node-1 " P_SVG " cis-1.12");
	assert_xp(doc, "string(//*[@id='shown'])", "0");
	xmlFreeDoc(doc);

	char shot[700], url[700];
	snprintf(shot, sizeof(shot), "--screenshot=%s/report-status-FAIL.png", f->artifacts);
	snprintf(url, sizeof(url), "file://%s#status=FAIL", f->html);
	assert_int_equal(chromium(f, url, shot, NULL), 0);
}

/* A page of our own (no CSP) that loads the report in a 414 px wide iframe (file:// access
 * allowed for it), runs pre on it once loaded, then js half a second later (events such as
 * hashchange are asynchronous), and prints what js returns in <pre id="out">. */
static char *measure(struct fx *f, const char *fragment, const char *pre, const char *js)
{
	char *page = NULL;
	if (asprintf(&page, "<!DOCTYPE html><html><body><iframe id=\"f\" src=\"report.html%s\" "
		     "style=\"width:414px;height:800px;border:0\"></iframe><pre id=\"out\">pending</pre><script>"
		     "window.addEventListener('load',function(){var doc=document.getElementById('f').contentDocument,"
		     "win=document.getElementById('f').contentWindow;%s;setTimeout(function(){"
		     "document.getElementById('out').textContent=(function(){%s})();},500);});</script></body></html>",
		     fragment, pre, js) < 0)
		fail();
	const char *harness = kc_test_write(f->dir, "harness.html", page, 0644);
	free(page);
	char url[700], *dom = NULL;
	snprintf(url, sizeof(url), "file://%s", harness);
	/* --dump-dom waits for the load event only: give the timer its time with virtual time */
	const char *flags[] = { "--dump-dom", "--allow-file-access-from-files", "--virtual-time-budget=5000", NULL };
	assert_int_equal(chromium_v(f, url, flags, &dom), 0);
	char *start = strstr(dom, "<pre id=\"out\">"), *end = start ? strstr(start, "</pre>") : NULL;
	assert_non_null(end);
	start += strlen("<pre id=\"out\">");
	char *res = strndup(start, (size_t)(end - start));
	free(dom);
	return res;
}

/* At 414 px (a phone) nothing scrolls sideways, with every section, check and object list
 * open. */
static void test_no_sideways_scroll_at_414px(void **state)
{
	require_chromium();
	struct fx *f = *state;
	assert_int_equal(kc_report_html_write(&f->run, NULL, f->html), 0);
	char *got = measure(f, "", "", "[].slice.call(doc.querySelectorAll('details')).forEach(function(e){e.open=true;});"
				   "return 'sw='+doc.documentElement.scrollWidth+' cw='+doc.documentElement.clientWidth;");
	int sw = 0, cw = 0;
	assert_int_equal(sscanf(got, "sw=%d cw=%d", &sw, &cw), 2);
	if (sw > cw)
		print_message("at 414 px: %s\n", got);
	assert_true(cw > 0 && sw <= cw);
	free(got);
	char shot[700], url[700];
	snprintf(shot, sizeof(shot), "--screenshot=%s/report-414.png", f->artifacts);
	snprintf(url, sizeof(url), "file://%s", f->html);
	assert_int_equal(chromium2(f, url, shot, "--window-size=414,900", NULL), 0);
}

/* A drift link (#r-N) opens its check and section, and the check lands below the sticky
 * filter bar, also when a filter was active before. */
static void test_drift_link_lands_on_open_check_below_sticky_bar(void **state)
{
	require_chromium();
	struct fx *f = *state;
	assert_int_equal(kc_report_html_write(&f->run, NULL, f->html), 0);
	/* r-6 is 4.2.9, a SKIP: closed by default, hidden by the FAIL filter */
	char *got = measure(f, "#status=FAIL", "win.location.hash='r-6'",
			    "var el=doc.getElementById('r-6'),bar=doc.getElementById('filters');"
			    "return 'open='+el.open+' hidden='+el.hidden+' sec='+el.parentNode.open+' top='+"
			    "Math.round(el.getBoundingClientRect().top)+' bar='+Math.round(bar.getBoundingClientRect().bottom);");
	int top = 0, bar = 0;
	char *p = strstr(got, " top=");
	assert_non_null(p);
	assert_int_equal(sscanf(p, " top=%d bar=%d", &top, &bar), 2);
	if (!strstr(got, "open=true hidden=false sec=true") || top < bar)
		print_message("drift link: %s\n", got);
	assert_non_null(strstr(got, "open=true hidden=false sec=true"));
	assert_true(top >= bar);
	free(got);
}

/* A search match inside a closed check (and inside the closed list of more objects) is
 * opened; section summaries say how many of their checks the filters leave; the status chips
 * are enabled by the script (disabled, and plain, without it). */
static void test_search_opens_matches_and_sections_follow_filters(void **state)
{
	require_chromium();
	struct fx *f = *state;
	struct kc_result *r = &f->run.results[f->run.nresults - 1];
	char name[32];
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "extra-%02d", i);
		fx_object(r, "Pod", "team-b", name, "deploy/more.yaml", i + 1);
	}
	assert_int_equal(kc_report_html_write(&f->run, NULL, f->html), 0);
	/* the sha256 of 1.1.1's file: 1.1.1 is a PASS, closed by default */
	htmlDocPtr doc = dump_dom(f, "#q=9f86d081884c");
	assert_xp(doc, "string(//*[@id='shown'])", "1");
	assert_xp(doc, "count(//details[@id='r-0'][@open][not(@hidden)])", "1");
	assert_xp(doc, "string(//details[@class='sec'][not(@hidden)]//span[@class='meta sec-shown'])", "· showing 1 of 2");
	assert_xp(doc, "count(//button[@data-status][@disabled])", "0");
	xmlFreeDoc(doc);
	/* a match in the objects past the first 50 opens their list */
	doc = dump_dom(f, "#q=extra-59");
	assert_xp(doc, "count(//details[@class='more'][@open])", "1");
	xmlFreeDoc(doc);
	char shot[700], url[700];
	snprintf(shot, sizeof(shot), "--screenshot=%s/report-search.png", f->artifacts);
	snprintf(url, sizeof(url), "file://%s#q=9f86d081884c", f->html);
	assert_int_equal(chromium(f, url, shot, NULL), 0);
}

/* 100,000 failing objects: the page opens, a search finds the one object, and it prints
 * (Chromium's print to PDF completes and writes a PDF). */
static void test_hundred_thousand_objects_open_search_print(void **state)
{
	require_chromium();
	struct fx *f = *state;
	struct kc_result *r = &f->run.results[f->run.nresults - 1];
	char name[32];
	for (int i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "pod-%06d", i);
		fx_object(r, "Pod", i % 2 ? "team-a" : "team-b", name, "/api/v1/namespaces/team-a/pods", 0);
	}
	assert_int_equal(kc_report_html_write(&f->run, NULL, f->html), 0);
	htmlDocPtr doc = dump_dom(f, "#q=pod-099999");
	assert_xp(doc, "string(//*[@id='shown'])", "1");
	assert_xp(doc, "count(//details[@class='more'][@open])", "1");
	xmlFreeDoc(doc);
	char pdf[700], url[700];
	snprintf(pdf, sizeof(pdf), "--print-to-pdf=%s/report-100k.pdf", f->artifacts);
	snprintf(url, sizeof(url), "file://%s", f->html);
	assert_int_equal(chromium2(f, url, pdf, "--no-pdf-header-footer", NULL), 0);
	snprintf(pdf, sizeof(pdf), "%s/report-100k.pdf", f->artifacts);
	size_t len = 0;
	char *data = kc_test_slurp(pdf, &len);
	assert_non_null(data);
	assert_true(len > 1000 && memcmp(data, "%PDF", 4) == 0);
	free(data);
	char shot[700];
	snprintf(shot, sizeof(shot), "--screenshot=%s/report-100k.png", f->artifacts);
	assert_int_equal(chromium(f, url, shot, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_payloads_run_nothing_and_counts_match_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_from_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_sideways_scroll_at_414px, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drift_link_lands_on_open_check_below_sticky_bar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_opens_matches_and_sections_follow_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hundred_thousand_objects_open_search_print, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
