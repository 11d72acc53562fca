/* JUnit report: structure and counts read back with libxml2, schema validity against
 * shared/corpus/junit/JUnit.xsd, exact round trip of injection payloads, cleaning of what
 * XML cannot carry, atomic writes. */
#include "kc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

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
	snprintf(f->path, sizeof(f->path), "%s/report.xml", f->dir);
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

static xmlDocPtr write_and_parse(struct fx *f)
{
	int rc = kc_report_junit_write(&f->run, f->path);
	if (rc != 0)
		print_message("junit: %s\n", kc_error_last());
	assert_int_equal(rc, 0);
	xmlDocPtr doc = xmlReadFile(f->path, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	return doc;
}

/* The string value of an XPath expression (caller frees). */
static char *xp(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	assert_non_null(o);
	xmlChar *s = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	char *out = strdup((const char *)s);
	xmlFree(s);
	return out;
}

static void assert_xp(xmlDocPtr doc, const char *expr, const char *want)
{
	char *got = xp(doc, expr);
	if (strcmp(got, want) != 0)
		print_message("%s: got '%s', want '%s'\n", expr, got, want);
	assert_string_equal(got, want);
	free(got);
}

static void test_structure_and_counts(void **state)
{
	struct fx *f = *state;
	xmlDocPtr doc = write_and_parse(f);
	assert_xp(doc, "name(/*)", "testsuites");
	assert_xp(doc, "count(/testsuites/testsuite)", "4");
	assert_xp(doc, "count(//testcase)", "9");
	assert_xp(doc, "sum(//testsuite/@tests)", "9");
	assert_xp(doc, "sum(//testsuite/@failures)", "3");
	assert_xp(doc, "sum(//testsuite/@errors)", "1");
	assert_xp(doc, "sum(//testsuite/@skipped)", "2");
	assert_xp(doc, "count(//failure)", "3");
	assert_xp(doc, "count(//error)", "1");
	assert_xp(doc, "count(//skipped)", "2");

	/* the suite per section */
	assert_xp(doc, "/testsuites/testsuite[2]/@name", "cis-1.12 1.2 API Server");
	assert_xp(doc, "/testsuites/testsuite[2]/@tests", "3");
	assert_xp(doc, "/testsuites/testsuite[2]/@failures", "1");
	assert_xp(doc, "/testsuites/testsuite[2]/@skipped", "1");
	assert_xp(doc, "/testsuites/testsuite[2]/@hostname", "node-1");
	assert_xp(doc, "/testsuites/testsuite[2]/@timestamp", "2026-11-28T05:45:39");
	assert_xp(doc, "/testsuites/testsuite[2]/@id", "1");
	assert_xp(doc, "/testsuites/testsuite[2]/properties/property[@name='benchmark']/@value", "cis-1.12");
	assert_xp(doc, "/testsuites/testsuite[2]/properties/property[@name='1.2.15.severity']/@value", "medium");
	assert_xp(doc, "/testsuites/testsuite[2]/properties/property[@name='1.2.15.scored']/@value", "true");
	assert_xp(doc, "/testsuites/testsuite[2]/properties/property[@name='1.2.15.level']/@value", "1");
	assert_xp(doc, "/testsuites/testsuite[2]/properties/property[@name='1.2.15.target']/@value", "master");

	/* the testcase */
	const char *tc = "//testcase[@name='1.2.15 Ensure that the --profiling argument is set to false']";
	char expr[512];
	snprintf(expr, sizeof(expr), "%s/@classname", tc);
	assert_xp(doc, expr, "cis-1_12.1_2 API Server");
	snprintf(expr, sizeof(expr), "%s/@time", tc);
	assert_xp(doc, expr, "0.001500");
	snprintf(expr, sizeof(expr), "%s/failure/@type", tc);
	assert_xp(doc, expr, "FAIL");
	snprintf(expr, sizeof(expr), "%s/failure/@message", tc);
	assert_xp(doc, expr, "expected --profiling is false, got --profiling is not set (default true)");
	snprintf(expr, sizeof(expr), "%s/failure", tc);
	char *body = xp(doc, expr);
	assert_non_null(strstr(body, "config /etc/kubernetes/manifests/kube-apiserver.yaml:17 --profiling = " P_JS
				     " [layer static-pod]\n"));
	assert_non_null(strstr(body, "remediation:\nSet --profiling=false\n"));
	assert_non_null(strstr(body, "severity medium"));
	free(body);

	/* PASS carries nothing; ERROR, WARN and SKIP their element and reason */
	assert_xp(doc, "count(//testcase[starts-with(@name,'1.2.1 ')]/*)", "0");
	assert_xp(doc, "//testcase[starts-with(@name,'4.2.12 ')]/error/@type", "ERROR");
	assert_xp(doc, "//testcase[starts-with(@name,'4.2.12 ')]/error/@message",
		  "cannot read /var/lib/kubelet/config.yaml: Permission denied");
	assert_xp(doc, "//testcase[starts-with(@name,'4.2.9 ')]/skipped/@message", "SKIP: kubelet is not running on this node");
	assert_xp(doc, "starts-with(//testcase[starts-with(@name,'1.2.30 ')]/skipped/@message, 'WARN: manual check')", "true");

	/* failing objects, one per line */
	body = xp(doc, "//testcase[starts-with(@name,'5.2.2 ')]/failure");
	assert_non_null(strstr(body, "failing objects (3):\n"));
	assert_non_null(strstr(body, "\n  Pod default/nginx " P_SCRIPT " at deploy/nginx.yaml:12 "
				     "spec.containers[0].securityContext.privileged = true\n"));
	assert_non_null(strstr(body, "\n  Deployment kube-system/" P_IMG " at deploy/sys.yaml:40 "));
	assert_non_null(strstr(body, "\n  Pod team-a/db at /api/v1/namespaces/team-a/pods/db spec."));
	free(body);
	xmlFreeDoc(doc);
}

static void validate(const char *xml_path)
{
	char xsd[1024];
	snprintf(xsd, sizeof(xsd), "%s/junit/JUnit.xsd", kc_test_corpus());
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd);
	assert_non_null(pc);
	xmlSchemaPtr schema = xmlSchemaParse(pc);
	assert_non_null(schema);
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
	xmlDocPtr doc = xmlReadFile(xml_path, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	/* the schema declares testsuites as a global element: validate the document as is */
	assert_int_equal(xmlSchemaValidateDoc(vc, doc), 0);
	xmlFreeDoc(doc);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	xmlSchemaFreeParserCtxt(pc);
}

static void test_valid_against_schema(void **state)
{
	KC_REQUIRE_CORPUS();
	struct fx *f = *state;
	assert_int_equal(kc_report_junit_write(&f->run, f->path), 0);
	validate(f->path);

	/* an empty run and a run without host, times or sections stay valid */
	struct kc_run empty = { 0 };
	assert_int_equal(kc_report_junit_write(&empty, f->path), 0);
	validate(f->path);
	struct kc_result *r = kc_run_add_result(&empty);
	r->status = KC_FAIL;
	r->duration_ms = -3;
	assert_int_equal(kc_report_junit_write(&empty, f->path), 0);
	validate(f->path);
	kc_run_clear(&empty);
}

static void test_payloads_round_trip(void **state)
{
	struct fx *f = *state;
	free(f->run.host);
	f->run.host = kc_strdup("h\"ost" P_IMG);
	xmlDocPtr doc = write_and_parse(f);
	/* nothing from the payloads became markup */
	assert_xp(doc, "count(//script)", "0");
	assert_xp(doc, "count(//img)", "0");
	assert_xp(doc, "count(//svg)", "0");
	assert_xp(doc, "/testsuites/testsuite[1]/@hostname", "h\"ost" P_IMG);
	assert_xp(doc, "/testsuites/testsuite[1]/testcase[2]/@name", "1.1.2 Ensure file ownership " P_SCRIPT);
	char *body = xp(doc, "/testsuites/testsuite[1]/testcase[2]/failure");
	assert_non_null(strstr(body, "file /etc/kubernetes/" P_IMG ".conf mode 0644 owner nobody" P_ATTR ":root\n"));
	free(body);
	body = xp(doc, "//testcase[starts-with(@name,'1.2.15 ')]/failure");
	assert_non_null(strstr(body, "remediation:\nSet --profiling=false\n" P_SCRIPT "\nthen restart.\n"));
	free(body);
	assert_xp(doc, "//testcase[starts-with(@name,'1.2.30 ')]/skipped/@message",
		  "WARN: manual check: review the encryption configuration " P_IMG);
	/* a newline in an attribute survives (xmlwriter writes &#10;) */
	xmlFreeDoc(doc);

	struct kc_result *r = &f->run.results[0];
	free(r->reason);
	r->status = KC_ERROR;
	r->reason = kc_strdup("line one\nline two\ttab");
	doc = write_and_parse(f);
	assert_xp(doc, "/testsuites/testsuite[1]/testcase[1]/error/@message", "line one\nline two\ttab");
	xmlFreeDoc(doc);
}

static void test_unrepresentable_text_is_cleaned(void **state)
{
	struct fx *f = *state;
	struct kc_result *r = &f->run.results[1];
	free(r->title);
	r->title = kc_strdup("bell\a esc\x1b[31m bad\xff\xfe utf8 \xe2\x82 ok \xc3\xa9");
	free(f->run.host);
	f->run.host = kc_strdup("   ");
	xmlDocPtr doc = write_and_parse(f);
	assert_xp(doc, "/testsuites/testsuite[1]/testcase[2]/@name",
		  "1.1.2 bell\xef\xbf\xbd esc\xef\xbf\xbd[31m bad\xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd\xef\xbf\xbd ok \xc3\xa9");
	xmlFreeDoc(doc);
	if (kc_test_corpus())
		validate(f->path);
}

static void test_atomic_write(void **state)
{
	struct fx *f = *state;
	char path[600];
	/* a missing directory and a parent that is a file: error, nothing written */
	snprintf(path, sizeof(path), "%s/missing/report.xml", f->dir);
	assert_true(kc_report_junit_write(&f->run, path) < 0);
	assert_int_not_equal(access(path, F_OK), 0);
	const char *file = kc_test_write(f->dir, "plain", "x", 0644);
	snprintf(path, sizeof(path), "%s/report.xml", file);
	assert_true(kc_report_junit_write(&f->run, path) < 0);
	assert_non_null(strstr(kc_error_last(), "report.xml"));

	/* an existing report is replaced whole, never truncated in place */
	assert_int_equal(kc_report_junit_write(&f->run, f->path), 0);
	struct stat before;
	assert_int_equal(stat(f->path, &before), 0);
	assert_int_equal(kc_report_junit_write(&f->run, f->path), 0);
	struct stat after;
	assert_int_equal(stat(f->path, &after), 0);
	assert_int_not_equal(before.st_ino, after.st_ino);
	char *dirlist = NULL;
	size_t n = 0;
	FILE *ls = open_memstream(&dirlist, &n);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "ls -A '%s'", f->dir);
	FILE *p = popen(cmd, "r");
	char line[256];
	while (fgets(line, sizeof(line), p))
		fputs(line, ls);
	pclose(p);
	fclose(ls);
	/* no temporary left behind */
	assert_null(strstr(dirlist, ".tmp-"));
	free(dirlist);
}

/* Jenkins splits classname at the last dot into package and class; the GitHub reporters
 * take the last dotted segment as a file name: both must read as benchmark and section. */
static void test_classname_splits_at_last_dot_into_benchmark_and_section(void **state)
{
	struct fx *f = *state;
	xmlDocPtr doc = write_and_parse(f);
	char *cls = xp(doc, "//testcase[starts-with(@name,'1.1.1 ')]/@classname");
	char *dot = strrchr(cls, '.');
	assert_non_null(dot);
	*dot = '\0';
	assert_string_equal(cls, "cis-1_12");                                     /* Jenkins' package */
	assert_string_equal(dot + 1, "1_1 Control Plane Node Configuration Files"); /* Jenkins' class */
	free(cls);
	assert_xp(doc, "/testsuites/testsuite[1]/@package", "cis-1_12");
	/* every classname has exactly one dot */
	assert_xp(doc, "count(//testcase[string-length(@classname) - string-length(translate(@classname, '.', '')) != 1])", "0");
	xmlFreeDoc(doc);
}

/* A check passed by a documented exception names the exception where the schema allows it. */
static void test_exception_reason_on_excepted_check(void **state)
{
	struct fx *f = *state;
	struct kc_result *r = &f->run.results[f->run.nresults - 1];
	r->status = KC_PASS;
	r->exception = kc_strdup("3 of 3 failing objects excepted: CNI agent (until 2027-06-30, ex.yaml:3)");
	xmlDocPtr doc = write_and_parse(f);
	assert_xp(doc, "//property[@name='5.2.2.exception']/@value",
		  "3 of 3 failing objects excepted: CNI agent (until 2027-06-30, ex.yaml:3)");
	assert_xp(doc, "count(//property[@name='1.2.15.exception'])", "0");
	char *out = xp(doc, "/testsuites/testsuite[4]/system-out");
	assert_non_null(strstr(out, "5.2.2 PASS by documented exception: 3 of 3 failing objects excepted: CNI agent"));
	free(out);
	xmlFreeDoc(doc);
	if (kc_test_corpus())
		validate(f->path);
}

/* 100,000 failing objects: under GitLab's 30 MiB, every body under GitHub's 64 KB annotation
 * limit, the objects past the bound counted, the file still valid and read by junitparser. */
static void test_hundred_thousand_objects_fit_gitlab_and_github(void **state)
{
	struct fx *f = *state;
	struct kc_result *r = &f->run.results[f->run.nresults - 1];
	char name[64];
	for (int i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "pod-%06d-with-a-long-generated-suffix", i);
		fx_object(r, "Pod", i % 2 ? "team-a" : "team-b", name, "/api/v1/namespaces/team-a/pods", 0);
	}
	xmlDocPtr doc = write_and_parse(f);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size < 30 * 1024 * 1024);
	char *body = xp(doc, "//testcase[starts-with(@name,'5.2.2 ')]/failure");
	assert_true(strlen(body) <= 64 * 1024);
	assert_non_null(strstr(body, "failing objects (100003):\n"));
	assert_non_null(strstr(body, "... and 99803 more failing objects: the JSON and HTML reports list every one"));
	free(body);
	xmlFreeDoc(doc);
	if (kc_test_corpus())
		validate(f->path);

	/* one object with a megabyte of text: the body is cut on a character boundary */
	struct kc_evidence *big = &r->evidence[0];
	free(big->value);
	big->value = malloc(1 << 20);
	for (size_t i = 0; i + 2 < (1 << 20); i += 2)
		memcpy(big->value + i, "\xc3\xa9", 2);
	big->value[(1 << 20) - 1] = '\0';
	doc = write_and_parse(f);
	body = xp(doc, "//testcase[starts-with(@name,'5.2.2 ')]/failure");
	assert_true(strlen(body) <= 64 * 1024);
	assert_non_null(strstr(body, "[cut: the JSON and HTML reports hold the full text]"));
	free(body);
	char *msg = xp(doc, "//testcase[starts-with(@name,'5.2.2 ')]/failure/@message");
	assert_true(strlen(msg) <= 4096);
	free(msg);
	xmlFreeDoc(doc);
}

/* Python's junitparser (Debian python3-junitparser), the parser several CI reporters build
 * on, reads the file with the counts, class names and times we wrote. */
static void test_read_by_junitparser(void **state)
{
	struct fx *f = *state;
	/* Debian's interpreter: the package installs for it, not for one earlier in PATH */
	if (system("/usr/bin/python3 -c 'import junitparser' 2>/dev/null") != 0) {
		print_message("kc-skip: python3-junitparser not installed\n");
		skip();
	}
	assert_int_equal(kc_report_junit_write(&f->run, f->path), 0);
	char *script = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&script, &n);
	fprintf(fp, "import sys, junitparser\n"
		    "x = junitparser.JUnitXml.fromfile(sys.argv[1])\n"
		    "t = f = e = s = 0\n"
		    "for suite in x:\n"
		    "    for c in suite:\n"
		    "        t += 1\n"
		    "        for r in c.result:\n"
		    "            f += isinstance(r, junitparser.Failure)\n"
		    "            e += isinstance(r, junitparser.Error)\n"
		    "            s += isinstance(r, junitparser.Skipped)\n"
		    "        if c.name.startswith('1.2.15 '):\n"
		    "            print('case', c.classname, '%%.6f' %% c.time)\n"
		    "print('totals', t, f, e, s)\n");
	fclose(fp);
	const char *sp = kc_test_write(f->dir, "read.py", script, 0644);
	free(script);
	char cmd[1400], out[4096] = "";
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s'", sp, f->path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(out, "case cis-1_12.1_2 API Server 0.001500\n"));
	assert_non_null(strstr(out, "totals 9 3 1 2\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_structure_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_against_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payloads_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unrepresentable_text_is_cleaned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classname_splits_at_last_dot_into_benchmark_and_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exception_reason_on_excepted_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hundred_thousand_objects_fit_gitlab_and_github, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_by_junitparser, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
