/* JUnit XML for CI gates, shaped by the Ant schema most consumers follow
 * (shared/corpus/junit/JUnit.xsd): GitLab, Jenkins and the GitHub Actions reporters read it.
 *
 * What the schema allows decides the layout:
 * - <testsuites> takes no attributes, so the run totals go in a comment beside it (every
 *   consumer recomputes them from the suites anyway);
 * - <properties> exist only on a <testsuite>, so per-check metadata (target, level, scored,
 *   severity, type) are suite properties named "<check id>.<field>", and are repeated in the
 *   first line of the failure / error / skipped body where people read them;
 * - a suite needs id, package, timestamp (no zone, no fraction), hostname, <system-out> and
 *   <system-err>.
 * All text goes through xmlTextWriter (it escapes) after kc_report_put_clean (it removes what
 * XML 1.0 cannot carry at all).
 *
 * What the consumers do decides the names and sizes:
 * - Jenkins splits `classname` at its LAST dot into package and class, and the GitHub
 *   reporters take the last dotted segment as a file name: classname is
 *   "<benchmark>.<section> <section title>" with the dots inside each part written as "_"
 *   ("cis-1_12.1_2 API Server": package cis-1_12, class "1_2 API Server");
 * - GitHub caps an annotation at 64 KB and GitLab refuses files over 30 MiB: a body lists at
 *   most KC_JUNIT_MAX_OBJECTS objects, then counts the rest, and is cut at KC_JUNIT_MAX_BODY
 *   bytes (on a UTF-8 boundary) with a line naming the JSON / HTML reports that hold it all;
 *   the message attribute is cut at KC_JUNIT_MAX_MESSAGE;
 * - a check passed by a documented exception has no element to carry the reason (a testcase
 *   holds only failure / error / skipped), so the reason is the suite property
 *   "<id>.exception" and a line of the suite's system-out. */
#include "reports/report.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlwriter.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/render.h"

#define KC_JUNIT_MAX_OBJECTS 200
#define KC_JUNIT_MAX_BODY (60 * 1024)
#define KC_JUNIT_MAX_MESSAGE 4096

struct jw {
	xmlTextWriterPtr w;
	struct kc_buf tmp;   /* cleaned copy of the string being written */
	int bad;             /* a libxml2 call failed */
};

static const xmlChar *X(const char *s) { return (const xmlChar *)s; }

/* xs:token attributes collapse whitespace and several must then be non-empty: a value made
 * only of blanks takes the fallback. */
static const char *or_else(const char *s, const char *fallback)
{
	for (const char *p = s; p && *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return s;
	return fallback;
}

static void start(struct jw *j, const char *name)
{
	if (xmlTextWriterStartElement(j->w, X(name)) < 0)
		j->bad = 1;
}

static void end(struct jw *j)
{
	if (xmlTextWriterEndElement(j->w) < 0)
		j->bad = 1;
}

static void attr(struct jw *j, const char *name, const char *value)
{
	kc_buf_reset(&j->tmp);
	kc_report_put_clean(&j->tmp, value);
	if (xmlTextWriterWriteAttribute(j->w, X(name), X(j->tmp.ptr)) < 0)
		j->bad = 1;
}

static void attrf(struct jw *j, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void attrf(struct jw *j, const char *name, const char *fmt, ...)
{
	struct kc_buf b = KC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	attr(j, name, b.ptr);
	kc_buf_clear(&b);
}

static void text(struct jw *j, const char *s)
{
	kc_buf_reset(&j->tmp);
	kc_report_put_clean(&j->tmp, s);
	if (j->tmp.len && xmlTextWriterWriteString(j->w, X(j->tmp.ptr)) < 0)
		j->bad = 1;
}

static void property(struct jw *j, const char *name, const char *value)
{
	start(j, "property");
	attr(j, "name", name);
	attr(j, "value", value);
	end(j);
}

/* The schema's timestamp: YYYY-MM-DDTHH:MM:SS, no zone. Taken from the run's start (UTC),
 * else from now. */
static void suite_timestamp(const struct kc_run *run, char out[20])
{
	const char *s = run->started ? run->started : run->finished;
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	int ok = s && strlen(s) >= 19;
	for (int i = 0; ok && i < 19; i++)
		ok = shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == shape[i];
	if (ok) {
		memcpy(out, s, 19);
		out[19] = '\0';
		return;
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* Cuts b to at most max bytes on a UTF-8 character boundary. Returns 1 when it cut. */
static int cut_utf8(struct kc_buf *b, size_t max)
{
	if (b->len <= max)
		return 0;
	size_t n = max;
	while (n > 0 && ((unsigned char)b->ptr[n] & 0xC0) == 0x80)
		n--;
	b->len = n;
	b->ptr[n] = '\0';
	return 1;
}

/* A name part without dots: Jenkins and the GitHub reporters split on them. */
static void put_undotted(struct kc_buf *b, const char *s)
{
	for (; *s; s++)
		kc_buf_putc(b, *s == '.' ? '_' : *s);
}

/* "cis-1_12" and "cis-1_12.1_2 API Server" */
static void class_name(struct kc_buf *b, const char *bench, const char *sid, const char *stitle)
{
	put_undotted(b, bench);
	if (!sid)
		return;
	kc_buf_putc(b, '.');
	put_undotted(b, sid);
	if (stitle && *stitle) {
		kc_buf_putc(b, ' ');
		put_undotted(b, stitle);
	}
}

/* "target master · level 1 · scored · severity high · automated" */
static void meta_line(struct kc_buf *b, const struct kc_result *r)
{
	kc_buf_printf(b, "%s %s: target %s, level %d, %s, severity %s, %s\n", kc_status_name(r->status),
		      kc_report_str(r->id), r->target && *r->target ? r->target : "-", r->level,
		      r->scored ? "scored" : "not scored", kc_severity_name(r->severity),
		      r->type && *r->type ? r->type : "automated");
}

/* The body people read in GitLab / Jenkins: metadata, expected vs actual, evidence (failing
 * objects one per line), remediation. */
static void case_body(struct kc_buf *b, const struct kc_result *r)
{
	meta_line(b, r);
	if (r->expected && *r->expected)
		kc_buf_printf(b, "expected: %s\n", r->expected);
	if (r->actual && *r->actual)
		kc_buf_printf(b, "actual: %s\n", r->actual);
	if (r->reason && *r->reason)
		kc_buf_printf(b, "reason: %s\n", r->reason);
	size_t nobj = 0;
	for (size_t i = 0; i < r->nevidence; i++)
		nobj += r->evidence[i].kind == KC_EV_OBJECT;
	if (r->nevidence > nobj) {
		kc_buf_puts(b, "evidence:\n");
		for (size_t i = 0; i < r->nevidence; i++) {
			if (r->evidence[i].kind == KC_EV_OBJECT)
				continue;
			kc_buf_puts(b, "  ");
			kc_report_evidence_line(b, &r->evidence[i]);
			kc_buf_putc(b, '\n');
		}
	}
	if (r->exception && *r->exception)
		kc_buf_printf(b, "exception: %s\n", r->exception);
	if (r->remediation && *r->remediation)
		kc_buf_printf(b, "remediation:\n%s\n", r->remediation);
	if (nobj) {
		/* objects last: they are what gets cut when the body is too long */
		const char *what = r->status == KC_FAIL ? "failing" : "matching";
		kc_buf_printf(b, "%s objects (%zu):\n", what, nobj);
		size_t listed = 0;
		for (size_t i = 0; i < r->nevidence && listed < KC_JUNIT_MAX_OBJECTS; i++) {
			if (r->evidence[i].kind != KC_EV_OBJECT)
				continue;
			kc_buf_puts(b, "  ");
			kc_report_evidence_line(b, &r->evidence[i]);
			kc_buf_putc(b, '\n');
			listed++;
		}
		if (listed < nobj)
			kc_buf_printf(b, "  ... and %zu more %s objects: the JSON and HTML reports list every one\n",
				      nobj - listed, what);
	}
	static const char cut_note[] = "\n[cut: the JSON and HTML reports hold the full text]\n";
	if (cut_utf8(b, KC_JUNIT_MAX_BODY - sizeof(cut_note)))
		kc_buf_puts(b, cut_note);
}

static void write_case(struct jw *j, const struct kc_run *run, const struct kc_result *r,
		       const char *stitle, struct kc_buf *scratch)
{
	start(j, "testcase");
	/* token attributes must not be empty after whitespace collapse */
	kc_buf_reset(scratch);
	kc_buf_printf(scratch, "%s %s", or_else(r->id, "(no id)"), kc_report_str(r->title));
	attr(j, "name", scratch->ptr);
	kc_buf_reset(scratch);
	class_name(scratch, or_else(run->benchmark, "kubecomply"), or_else(r->section, "other"), stitle);
	attr(j, "classname", scratch->ptr);
	/* microseconds: a node check takes tens of them, and "0.000" everywhere says nothing */
	attrf(j, "time", "%.6f", kc_report_seconds(r->duration_ms));

	const char *elem = NULL, *type = NULL;
	switch (r->status) {
	case KC_FAIL: elem = "failure"; type = "FAIL"; break;
	case KC_ERROR: elem = "error"; type = "ERROR"; break;
	case KC_WARN: case KC_SKIP: elem = "skipped"; break;
	case KC_PASS: case KC_STATUS_COUNT: break;
	}
	if (elem) {
		start(j, elem);
		kc_buf_reset(scratch);
		if (!type)  /* skipped has no type: the status leads the message */
			kc_buf_printf(scratch, "%s: ", kc_status_name(r->status));
		kc_report_message(scratch, r);
		if (cut_utf8(scratch, KC_JUNIT_MAX_MESSAGE - 4))
			kc_buf_puts(scratch, "...");
		attr(j, "message", scratch->ptr);
		if (type)
			attr(j, "type", type);
		kc_buf_reset(scratch);
		case_body(scratch, r);
		text(j, scratch->ptr);
		end(j);
	}
	end(j);
}

static void write_suite(struct jw *j, const struct kc_run *run, const struct kc_report_section *s,
			int id, const char *timestamp, struct kc_buf *scratch)
{
	const char *bench = or_else(run->benchmark, "kubecomply"), *sid = or_else(s->id, "other");
	start(j, "testsuite");
	kc_buf_reset(scratch);
	kc_buf_printf(scratch, "%s %s %s", bench, sid, s->title);
	attr(j, "name", scratch->ptr);
	kc_buf_reset(scratch);
	class_name(scratch, bench, NULL, NULL);
	attr(j, "package", scratch->ptr);
	attrf(j, "id", "%d", id);
	attrf(j, "tests", "%zu", s->n);
	attrf(j, "failures", "%zu", s->counts[KC_FAIL]);
	attrf(j, "errors", "%zu", s->counts[KC_ERROR]);
	attrf(j, "skipped", "%zu", s->counts[KC_WARN] + s->counts[KC_SKIP]);
	attrf(j, "time", "%.3f", s->seconds);
	attr(j, "timestamp", timestamp);
	attr(j, "hostname", or_else(run->host, "localhost"));

	start(j, "properties");
	property(j, "benchmark", bench);
	property(j, "section", sid);
	if (*s->title)
		property(j, "section-title", s->title);
	if (*s->target)
		property(j, "target", s->target);
	if (run->cluster && *run->cluster)
		property(j, "cluster", run->cluster);
	if (run->k8s_version && *run->k8s_version)
		property(j, "kubernetes-version", run->k8s_version);
	if (run->id > 0) {
		kc_buf_reset(scratch);
		kc_buf_printf(scratch, "%lld", (long long)run->id);
		property(j, "run-id", scratch->ptr);
	}
	if (run->tool_version && *run->tool_version)
		property(j, "tool-version", run->tool_version);
	if (run->digest) { /* the run's seal (docs/evidence.md) */
		property(j, "evidence-digest", run->digest);
		kc_buf_reset(scratch);
		kc_buf_printf(scratch, "%lld", (long long)run->chain_pos);
		property(j, "evidence-chain-position", scratch->ptr);
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct kc_result *r = &run->results[s->idx[i]];
		const char *cid = or_else(r->id, "(no id)");
		char num[32];
		struct { const char *field, *value; } meta[] = {
			{ "target", r->target && *r->target ? r->target : "-" },
			{ "level", num },
			{ "scored", r->scored ? "true" : "false" },
			{ "severity", kc_severity_name(r->severity) },
			{ "type", r->type && *r->type ? r->type : "automated" },
			{ "exception", r->exception },
		};
		snprintf(num, sizeof(num), "%d", r->level);
		/* the last slot, "exception", only for a check that has one */
		size_t nmeta = sizeof(meta) / sizeof(meta[0]) - !(r->exception && *r->exception);
		for (size_t m = 0; m < nmeta; m++) {
			struct kc_buf name = KC_BUF_INIT;
			kc_buf_printf(&name, "%s.%s", cid, meta[m].field);
			property(j, name.ptr, meta[m].value);
			kc_buf_clear(&name);
		}
	}
	end(j);

	for (size_t i = 0; i < s->n; i++)
		write_case(j, run, &run->results[s->idx[i]], s->title, scratch);

	start(j, "system-out");
	kc_buf_reset(scratch);
	kc_buf_printf(scratch, "%s: %zu checks, %zu PASS, %zu FAIL, %zu WARN, %zu SKIP, %zu ERROR\n",
		      sid, s->n, s->counts[KC_PASS], s->counts[KC_FAIL],
		      s->counts[KC_WARN], s->counts[KC_SKIP], s->counts[KC_ERROR]);
	for (size_t i = 0; i < s->n; i++) {
		const struct kc_result *r = &run->results[s->idx[i]];
		if (r->exception && *r->exception)
			kc_buf_printf(scratch, "%s %s by documented exception: %s\n", or_else(r->id, "(no id)"),
				      kc_status_name(r->status), r->exception);
	}
	text(j, scratch->ptr);
	end(j);
	start(j, "system-err");
	end(j);
	end(j);
}

int kc_report_junit_write(const struct kc_run *run, const char *path)
{
	struct kc_atomic_file af;
	struct jw j = { .tmp = KC_BUF_INIT };
	struct kc_buf scratch = KC_BUF_INIT;
	struct kc_report_section *secs = NULL;
	size_t nsecs = 0;
	int rc = kc_atomic_open(&af, path);
	if (rc < 0)
		return rc;

	/* the output buffer writes into af.fp and, on close, flushes without closing it */
	xmlOutputBufferPtr out = xmlOutputBufferCreateFile(af.fp, NULL);
	if (!out || !(j.w = xmlNewTextWriter(out))) {
		if (out)
			xmlOutputBufferClose(out);
		rc = kc_error_set(KC_EGENERIC, "%s: cannot start the XML writer", path);
		goto cleanup;
	}
	xmlTextWriterSetIndent(j.w, 1);
	xmlTextWriterSetIndentString(j.w, X("  "));
	if (xmlTextWriterStartDocument(j.w, "1.0", "UTF-8", NULL) < 0)
		j.bad = 1;

	size_t counts[KC_STATUS_COUNT];
	double total = 0;
	kc_run_count(run, counts);
	kc_report_sections(run, &secs, &nsecs);
	for (size_t i = 0; i < nsecs; i++)
		total += secs[i].seconds;
	kc_buf_printf(&scratch, " kubecomply %s: host %s, benchmark %s, tests=%zu failures=%zu errors=%zu "
		      "skipped=%zu time=%.3f ", kc_report_str(run->tool_version), kc_report_str(run->host),
		      kc_report_str(run->benchmark), run->nresults, counts[KC_FAIL], counts[KC_ERROR],
		      counts[KC_WARN] + counts[KC_SKIP], total);
	/* "--" may not appear inside a comment; hosts and versions are outside text */
	for (char *p = strstr(scratch.ptr, "--"); p; p = strstr(p, "--"))
		p[1] = '_';
	kc_buf_reset(&j.tmp);
	kc_report_put_clean(&j.tmp, scratch.ptr);
	if (xmlTextWriterWriteComment(j.w, X(j.tmp.ptr)) < 0)
		j.bad = 1;

	start(&j, "testsuites");
	char timestamp[20];
	suite_timestamp(run, timestamp);
	for (size_t i = 0; i < nsecs && !j.bad; i++)
		write_suite(&j, run, &secs[i], (int)i, timestamp, &scratch);
	if (xmlTextWriterEndDocument(j.w) < 0)
		j.bad = 1;
	/* frees the output buffer, which flushes into af.fp */
	xmlFreeTextWriter(j.w);
	j.w = NULL;
	if (j.bad) {
		rc = kc_error_set(KC_EIO, "%s: the XML writer failed", path);
		goto cleanup;
	}
	rc = kc_atomic_commit(&af);

cleanup:
	if (j.w)
		xmlFreeTextWriter(j.w);
	if (rc < 0)
		kc_atomic_abort(&af);
	kc_report_sections_free(secs, nsecs);
	kc_buf_clear(&scratch);
	kc_buf_clear(&j.tmp);
	return rc;
}
