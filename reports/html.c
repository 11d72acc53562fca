/* The self-contained HTML report: what is wrong, where, since when, and how to fix it, in
 * one file that opens from disk with the network off. Layout: header (host, benchmark, time,
 * score, counts chart), drift since the previous run and trend (from the store), runtime
 * findings and monitor gaps, filters, then one collapsible block per CIS section with one
 * per check. Every string from outside goes through kc_html_text; the page's CSP allows only
 * its own script (by hash) and no fetch at all. With scripts off everything is listed. */
#include "reports/report.h"

#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "reports/html_history.h"
#include "reports/html_page.h"
#include "reports/html_svg.h"
#include "reports/render.h"

/* Objects listed openly per check; the rest sit in a closed <details> so a check with
 * 100,000 failing objects costs the browser no layout until asked. */
#define OBJECTS_SHOWN 50
/* Items listed per drift category before "and N more". */
#define DRIFT_SHOWN 100
/* Failing checks are opened at load when there are at most this many. */
#define OPEN_FAILURES 30
#define MAX_TARGETS 64

static const enum kc_status status_order[KC_STATUS_COUNT] = { KC_FAIL, KC_ERROR, KC_WARN, KC_SKIP, KC_PASS };

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

/* The headline counts what a manager acts on: failing checks (scored or not — a failing
 * critical section-5 check matters as much as a node flag), the most severe first, and what
 * could not be decided. The scored score follows; a run without scored checks (policies
 * only) says so instead of "0 / 0". */
static void write_headline(struct kc_html *h, const struct kc_run *run, const size_t counts[KC_STATUS_COUNT],
			   size_t by_sev[KC_SEV_CRITICAL + 1][KC_STATUS_COUNT])
{
	size_t scored = 0, passed = 0;
	/* the JSON summary's definition: a skipped check was not assessed, so it is not scored */
	for (size_t i = 0; i < run->nresults; i++)
		if (run->results[i].scored && run->results[i].status != KC_SKIP) {
			scored++;
			passed += run->results[i].status == KC_PASS;
		}
	size_t fail = counts[KC_FAIL];
	kc_html_raw(h, "<div class=\"headline\"><div class=\"score\" id=\"headline\">");
	if (fail) {
		kc_html_fmt(h, "<b id=\"headline-fail\">%zu</b> failing check%s", fail, plural(fail));
		const char *sep = "<span class=\"meta\"> — ";
		for (int s = KC_SEV_CRITICAL; s >= KC_SEV_HIGH; s--)
			if (by_sev[s][KC_FAIL]) {
				kc_html_fmt(h, "%s<span class=\"sev sev-%s\">%zu %s</span>", sep, kc_severity_name((enum kc_severity)s),
					    by_sev[s][KC_FAIL], kc_severity_name((enum kc_severity)s));
				sep = ", ";
			}
		if (*sep == ',')
			kc_html_raw(h, "</span>");
	} else if (run->nresults) {
		kc_html_raw(h, "<b id=\"headline-fail\">0</b> failing checks");
	} else {
		kc_html_raw(h, "No checks in this run");
	}
	kc_html_raw(h, "</div>\n<p class=\"meta\">");
	if (counts[KC_ERROR])
		kc_html_fmt(h, "%zu check%s could not be decided (ERROR). ", counts[KC_ERROR], plural(counts[KC_ERROR]));
	if (counts[KC_WARN])
		kc_html_fmt(h, "%zu to review by hand (WARN). ", counts[KC_WARN]);
	if (scored)
		kc_html_fmt(h, "Scored checks passed: <b id=\"score-passed\">%zu</b> of <b id=\"score-scored\">%zu</b>.",
			    passed, scored);
	else if (run->nresults)
		kc_html_raw(h, "<span id=\"score-none\">No scored check was assessed in this run (section 5 and manual "
			    "checks are not scored): the counts below are the result.</span>");
	kc_html_raw(h, "</p></div>\n");
}

/* Status × severity: where the failures are, at a glance. */
static void write_severity_table(struct kc_html *h, size_t by_sev[KC_SEV_CRITICAL + 1][KC_STATUS_COUNT])
{
	kc_html_raw(h, "<table class=\"sevtab\" id=\"severity\"><thead><tr><th>Severity</th>");
	for (int i = 0; i < KC_STATUS_COUNT; i++)
		kc_html_fmt(h, "<th>%s</th>", kc_status_name(status_order[i]));
	kc_html_raw(h, "</tr></thead><tbody>");
	for (int s = KC_SEV_CRITICAL; s >= KC_SEV_INFO; s--) {
		const char *sev = kc_severity_name((enum kc_severity)s);
		kc_html_fmt(h, "<tr><th><span class=\"sev sev-%s\">%s</span></th>", sev, sev);
		for (int i = 0; i < KC_STATUS_COUNT; i++) {
			const char *st = kc_status_name(status_order[i]);
			size_t n = by_sev[s][status_order[i]];
			kc_html_fmt(h, "<td id=\"sev-%s-%s\"%s>%zu</td>", sev, st,
				    n && (status_order[i] == KC_FAIL || status_order[i] == KC_ERROR) ? " class=\"hot\"" : "", n);
		}
		kc_html_raw(h, "</tr>");
	}
	kc_html_raw(h, "</tbody></table>\n");
}

static void write_header(struct kc_html *h, const struct kc_run *run, const size_t counts[KC_STATUS_COUNT])
{
	size_t by_sev[KC_SEV_CRITICAL + 1][KC_STATUS_COUNT];
	memset(by_sev, 0, sizeof(by_sev));
	for (size_t i = 0; i < run->nresults; i++) {
		const struct kc_result *r = &run->results[i];
		if ((unsigned)r->severity <= KC_SEV_CRITICAL && (unsigned)r->status < KC_STATUS_COUNT)
			by_sev[r->severity][r->status]++;
	}
	kc_html_raw(h, "<header class=\"head\">\n<div>\n<h1>CIS compliance: ");
	kc_html_text(h, run->host && *run->host ? run->host : "unknown host");
	kc_html_raw(h, "</h1>\n");
	write_headline(h, run, counts, by_sev);
	kc_html_raw(h, "<dl>");
	struct { const char *label, *value; } rows[] = {
		{ "Benchmark", run->benchmark }, { "Cluster", run->cluster }, { "Kubernetes", run->k8s_version },
		{ "Targets", run->targets }, { "Started", run->started }, { "Finished", run->finished },
		{ "Root", run->root }, { "kubecomply", run->tool_version },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!rows[i].value || !*rows[i].value)
			continue;
		kc_html_fmt(h, "<dt>%s</dt><dd>", rows[i].label);
		kc_html_text(h, rows[i].value);
		kc_html_raw(h, "</dd>");
	}
	if (run->id > 0)
		kc_html_fmt(h, "<dt>Run</dt><dd>#%lld</dd>", (long long)run->id);
	if (run->digest) { /* the run's seal, for `kubecomply verify` (docs/evidence.md) */
		kc_html_raw(h, "<dt>Evidence digest</dt><dd><code id=\"run-digest\">");
		kc_html_text(h, run->digest);
		kc_html_fmt(h, "</code> at chain position %lld</dd>", (long long)run->chain_pos);
	}
	kc_html_raw(h, "</dl>\n</div>\n<div>");
	/* status chips: filter buttons once the script enables them; plain counts without it */
	kc_html_raw(h, "<ul class=\"counts\">");
	for (int i = 0; i < KC_STATUS_COUNT; i++) {
		const char *s = kc_status_name(status_order[i]);
		kc_html_fmt(h, "<li><button type=\"button\" class=\"chip\" data-status=\"%s\" title=\"show %s only\" disabled>"
			    "<span class=\"badge %s\">%s</span> <b id=\"count-%s\">%zu</b></button></li>",
			    s, s, s, s, s, counts[status_order[i]]);
	}
	kc_html_fmt(h, "<li>total <b id=\"count-total\">%zu</b></li></ul>\n", run->nresults);
	write_severity_table(h, by_sev);
	kc_html_raw(h, "</div>\n<div>");
	kc_html_svg_status(h, counts);
	kc_html_raw(h, "</div>\n</header>\n");
}

static void drift_list(struct kc_html *h, const struct kc_run *run, const struct kc_drift *d, enum kc_drift_kind k)
{
	kc_html_fmt(h, "<section><h3>%s <b id=\"drift-%s\">%zu</b></h3>", kc_drift_kind_title(k),
		    kc_drift_kind_key(k), d->counts[k]);
	size_t shown = 0;
	kc_html_raw(h, "<ul>");
	for (size_t i = 0; i < d->n; i++) {
		const struct kc_drift_item *it = &d->items[i];
		if (it->kind != k)
			continue;
		if (shown++ == DRIFT_SHOWN) {
			kc_html_fmt(h, "<li>and %zu more</li>", d->counts[k] - DRIFT_SHOWN);
			break;
		}
		const struct kc_result *r = it->b ? it->b : it->a;
		kc_html_raw(h, "<li>");
		if (it->b)
			kc_html_fmt(h, "<a href=\"#r-%zu\">", (size_t)(it->b - run->results));
		kc_html_text(h, r->id);
		kc_html_raw(h, it->b ? "</a> " : " ");
		kc_html_text(h, r->title);
		if (it->a && it->b && k == KC_DRIFT_CHANGED)
			kc_html_fmt(h, " <span class=\"meta\">%s → %s</span>", kc_status_name(it->a->status),
				    kc_status_name(it->b->status));
		kc_html_raw(h, "</li>");
	}
	if (!shown)
		kc_html_raw(h, "<li class=\"meta\">none</li>");
	kc_html_raw(h, "</ul></section>\n");
}

static void write_history(struct kc_html *h, const struct kc_run *run, const struct kc_html_history *hist)
{
	kc_html_raw(h, "<h2>Since the previous run</h2>\n");
	if (!hist->stored) {
		kc_html_raw(h, "<p class=\"meta\" id=\"drift-none\">This run is not in an evidence store: drift and "
			    "trend are not shown (render it with <code>kubecomply report --db FILE</code>).</p>\n");
		return;
	}
	if (hist->error) {
		kc_html_raw(h, "<p class=\"meta\" id=\"drift-error\">The evidence store could not be read: ");
		kc_html_text(h, hist->error);
		kc_html_raw(h, "</p>\n");
	}
	if (hist->prev_id <= 0) {
		if (!hist->error)
			kc_html_raw(h, "<p class=\"meta\" id=\"drift-none\">This is the first stored run of this host "
				    "and benchmark.</p>\n");
	} else {
		kc_html_fmt(h, "<p class=\"meta\">Compared with run #%lld", (long long)hist->prev_id);
		if (hist->prev.started) {
			kc_html_raw(h, " (started ");
			kc_html_text(h, hist->prev.started);
			kc_html_raw(h, ")");
		}
		kc_html_fmt(h, ": %zu changed status, %zu added, %zu removed, %zu unchanged.</p>\n<div class=\"drift\">",
			    hist->drift.counts[KC_DRIFT_CHANGED], hist->drift.counts[KC_DRIFT_ADDED],
			    hist->drift.counts[KC_DRIFT_REMOVED], hist->drift.unchanged);
		drift_list(h, run, &hist->drift, KC_DRIFT_NEW_FAILURE);
		drift_list(h, run, &hist->drift, KC_DRIFT_FIXED);
		drift_list(h, run, &hist->drift, KC_DRIFT_STILL_FAILING);
		if (hist->drift.counts[KC_DRIFT_CHANGED])
			drift_list(h, run, &hist->drift, KC_DRIFT_CHANGED);
		kc_html_raw(h, "</div>\n");
	}
	size_t n = 0;
	for (size_t i = 0; i < hist->ntrend; i++)
		n += hist->trend[i].run_id > 0;
	if (n >= 2) {
		struct kc_trend_point *pts = kc_xcalloc(n, sizeof(*pts));
		size_t k = 0;
		for (size_t i = 0; i < hist->ntrend; i++)
			if (hist->trend[i].run_id > 0)
				pts[k++] = hist->trend[i];
		kc_html_fmt(h, "<h2>Trend over the last %zu runs</h2>\n", n);
		kc_html_svg_trend(h, pts, n);
		free(pts);
	}
}

static void write_runtime(struct kc_html *h, const struct kc_run *run)
{
	if (run->nfindings) {
		kc_html_fmt(h, "<h2>Runtime findings (%zu)</h2>\n<table id=\"findings\"><thead><tr><th>Time</th>"
			    "<th>Severity</th><th>Rule</th><th>Source</th><th>CIS</th><th>Summary</th></tr></thead><tbody>",
			    run->nfindings);
		for (size_t i = 0; i < run->nfindings; i++) {
			const struct kc_finding *f = &run->findings[i];
			kc_html_raw(h, "<tr><td>");
			kc_html_text(h, f->time);
			kc_html_fmt(h, "</td><td>%s</td><td>", kc_severity_name(f->severity));
			kc_html_text(h, f->rule);
			kc_html_raw(h, "</td><td>");
			kc_html_text(h, f->source);
			kc_html_raw(h, "</td><td>");
			kc_html_text(h, f->cis);
			kc_html_raw(h, "</td><td>");
			kc_html_text(h, f->summary);
			kc_html_raw(h, "</td></tr>\n");
			kc_html_flush(h, 0);
		}
		kc_html_raw(h, "</tbody></table>\n");
	}
	if (run->ngaps) {
		kc_html_raw(h, "<h2>Monitor gaps</h2>\n<p class=\"meta\">Periods in which a monitor saw events it "
			    "could not deliver: findings may be missing there.</p>\n<table id=\"gaps\"><thead><tr>"
			    "<th>Monitor</th><th>From</th><th>To</th><th>Seen</th><th>Sent</th><th>Lost</th>"
			    "<th>Detail</th></tr></thead><tbody>");
		for (size_t i = 0; i < run->ngaps; i++) {
			const struct kc_gap *g = &run->gaps[i];
			kc_html_raw(h, "<tr><td>");
			kc_html_text(h, g->monitor);
			kc_html_raw(h, "</td><td>");
			kc_html_text(h, g->start);
			kc_html_raw(h, "</td><td>");
			kc_html_text(h, g->end);
			kc_html_fmt(h, "</td><td>%llu</td><td>%llu</td><td>%llu</td><td>", (unsigned long long)g->seen,
				    (unsigned long long)g->sent, (unsigned long long)g->lost);
			kc_html_text(h, g->detail);
			kc_html_raw(h, "</td></tr>\n");
		}
		kc_html_raw(h, "</tbody></table>\n");
	}
}

static void write_filters(struct kc_html *h, const struct kc_run *run)
{
	kc_html_raw(h, "<form id=\"filters\" hidden role=\"search\">\n<label>Status <select id=\"f-status\">"
		    "<option value=\"\">all</option>");
	for (int i = 0; i < KC_STATUS_COUNT; i++)
		kc_html_fmt(h, "<option>%s</option>", kc_status_name(status_order[i]));
	kc_html_raw(h, "</select></label>\n<label>Severity <select id=\"f-severity\"><option value=\"\">all</option>");
	for (int s = KC_SEV_CRITICAL; s >= KC_SEV_INFO; s--)
		kc_html_fmt(h, "<option>%s</option>", kc_severity_name((enum kc_severity)s));
	kc_html_raw(h, "</select></label>\n<label>Target <select id=\"f-target\"><option value=\"\">all</option>");
	const char *targets[MAX_TARGETS];
	size_t nt = 0;
	for (size_t i = 0; i < run->nresults && nt < MAX_TARGETS; i++) {
		const char *t = kc_report_str(run->results[i].target);
		size_t k = 0;
		while (k < nt && strcmp(targets[k], t) != 0)
			k++;
		if (k < nt || !*t)
			continue;
		targets[nt++] = t;
		kc_html_raw(h, "<option value=\"");
		kc_html_text(h, t);
		kc_html_raw(h, "\">");
		kc_html_text(h, t);
		kc_html_raw(h, "</option>");
	}
	kc_html_fmt(h, "</select></label>\n<label>Search <input type=\"search\" id=\"f-q\" "
		    "placeholder=\"id, title, object, path…\"></label>\n"
		    "<button type=\"button\" id=\"f-reset\" class=\"chip\">Reset</button>\n"
		    "<span>Showing <b id=\"shown\">%zu</b> of %zu check%s</span>\n</form>\n"
		    "<noscript><p class=\"meta\">Filters need scripts; every check is listed below.</p></noscript>\n",
		    run->nresults, run->nresults, plural(run->nresults));
}

static void dd(struct kc_html *h, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	kc_html_fmt(h, "<dt>%s</dt><dd>", label);
	kc_html_text(h, value);
	kc_html_raw(h, "</dd>");
}

static void code(struct kc_html *h, const char *s)
{
	kc_html_raw(h, "<code>");
	kc_html_text(h, s);
	kc_html_raw(h, "</code>");
}

static void location(struct kc_html *h, const struct kc_evidence *ev)
{
	if (!ev->source || !*ev->source)
		return;
	kc_html_raw(h, "<code>");
	kc_html_text(h, ev->source);
	if (ev->line > 0)
		kc_html_fmt(h, ":%ld", ev->line);
	kc_html_raw(h, "</code>");
}

static void evidence_item(struct kc_html *h, const struct kc_evidence *ev)
{
	kc_html_fmt(h, "<li class=\"ev-%s\"><b>%s</b> ", kc_evidence_kind_name(ev->kind), kc_evidence_kind_name(ev->kind));
	if (ev->kind == KC_EV_PROCESS && ev->pid)
		kc_html_fmt(h, "pid %ld ", ev->pid);
	location(h, ev);
	if (ev->has_stat) {
		kc_html_fmt(h, " mode <code>%04o</code> owner ", ev->mode & 07777);
		kc_html_raw(h, "<code>");
		kc_html_text(h, ev->owner);
		kc_html_raw(h, ":");
		kc_html_text(h, ev->group);
		kc_html_raw(h, "</code>");
	}
	if (ev->sha256) {
		kc_html_raw(h, " sha256 ");
		code(h, ev->sha256);
	}
	if (ev->key && *ev->key) {
		kc_html_raw(h, " ");
		code(h, ev->key);
	}
	if (ev->value) {
		kc_html_raw(h, ev->key && *ev->key ? " = " : " ");
		code(h, ev->value);
	}
	if (ev->layer && *ev->layer) {
		kc_html_raw(h, " <span class=\"meta\">(layer ");
		kc_html_text(h, ev->layer);
		kc_html_raw(h, ")</span>");
	}
	if (ev->detail && *ev->detail) {
		kc_html_raw(h, ev->kind == KC_EV_NOTE ? "" : " — ");
		kc_html_text(h, ev->detail);
	}
	kc_html_raw(h, "</li>\n");
}

static void object_row(struct kc_html *h, const struct kc_evidence *ev, struct kc_buf *scratch)
{
	kc_buf_reset(scratch);
	kc_report_object_name(scratch, ev);
	kc_html_raw(h, "<tr><td>");
	kc_html_text(h, scratch->ptr);
	kc_html_raw(h, "</td><td>");
	location(h, ev);
	kc_html_raw(h, "</td><td>");
	if (ev->key)
		code(h, ev->key);
	kc_html_raw(h, "</td><td>");
	if (ev->value)
		code(h, ev->value);
	if (ev->detail && *ev->detail) {
		kc_html_raw(h, ev->value ? " " : "");
		kc_html_text(h, ev->detail);
	}
	kc_html_raw(h, "</td></tr>\n");
}

static const char objects_head[] =
	"<table class=\"objs\"><thead><tr><th>Object</th><th>Where</th><th>Field</th><th>Value</th></tr></thead><tbody>\n";

static void write_objects(struct kc_html *h, const struct kc_result *r, size_t nobj, struct kc_buf *scratch)
{
	kc_html_fmt(h, "<h3>%s objects (<span class=\"nobj\">%zu</span>)</h3>\n",
		    r->status == KC_FAIL ? "Failing" : "Matching", nobj);
	kc_html_raw(h, objects_head);
	size_t k = 0;
	for (size_t i = 0; i < r->nevidence; i++) {
		if (r->evidence[i].kind != KC_EV_OBJECT)
			continue;
		if (k == OBJECTS_SHOWN)
			kc_html_fmt(h, "</tbody></table>\n<details class=\"more\"><summary>%zu more object%s</summary>\n%s",
				    nobj - OBJECTS_SHOWN, plural(nobj - OBJECTS_SHOWN), objects_head);
		object_row(h, &r->evidence[i], scratch);
		k++;
		kc_html_flush(h, 0);
	}
	kc_html_raw(h, k > OBJECTS_SHOWN ? "</tbody></table>\n</details>\n" : "</tbody></table>\n");
}

static void write_check(struct kc_html *h, const struct kc_run *run, size_t idx, const struct kc_html_history *hist,
			int open, struct kc_buf *scratch)
{
	const struct kc_result *r = &run->results[idx];
	const char *st = kc_status_name(r->status), *sev = kc_severity_name(r->severity);
	kc_html_fmt(h, "<details class=\"check\" id=\"r-%zu\" data-status=\"%s\" data-severity=\"%s\" data-target=\"",
		    idx, st, sev);
	kc_html_text(h, r->target);
	kc_html_fmt(h, "\"%s><summary><span class=\"badge %s\">%s</span> <b class=\"cid\">", open ? " open" : "", st, st);
	kc_html_text(h, r->id);
	kc_html_raw(h, "</b> <span class=\"ctitle\">");
	kc_html_text(h, r->title);
	kc_html_fmt(h, "</span> <span class=\"sev sev-%s\">%s</span> <span class=\"meta\">", sev, sev);
	kc_html_text(h, r->target && *r->target ? r->target : "-");
	kc_html_fmt(h, " · level %d · %s · ", r->level, r->scored ? "scored" : "not scored");
	kc_html_text(h, r->type && *r->type ? r->type : "automated");
	if (r->status == KC_FAIL && hist->since_id[idx] > 0 && hist->since_id[idx] != run->id) {
		int at_least = hist->ntrend == KC_HTML_TREND_RUNS && hist->since_id[idx] == hist->trend[0].run_id;
		kc_html_fmt(h, " · failing since %srun #%lld", at_least ? "at least " : "", (long long)hist->since_id[idx]);
		if (hist->since_time[idx]) {
			kc_html_raw(h, " (");
			kc_html_text(h, hist->since_time[idx]);
			kc_html_raw(h, ")");
		}
	}
	kc_html_raw(h, "</span></summary>\n<div class=\"body\">\n<dl class=\"ea\">");
	dd(h, "Expected", r->expected);
	dd(h, "Actual", r->actual);
	dd(h, "Reason", r->reason);
	dd(h, "Exception", r->exception);
	kc_html_raw(h, "</dl>\n");

	size_t nobj = 0;
	for (size_t i = 0; i < r->nevidence; i++)
		nobj += r->evidence[i].kind == KC_EV_OBJECT;
	if (r->nevidence > nobj) {
		kc_html_raw(h, "<h3>Evidence</h3>\n<ul class=\"ev\">\n");
		for (size_t i = 0; i < r->nevidence; i++)
			if (r->evidence[i].kind != KC_EV_OBJECT)
				evidence_item(h, &r->evidence[i]);
		kc_html_raw(h, "</ul>\n");
	}
	if (nobj)
		write_objects(h, r, nobj, scratch);
	if (r->remediation && *r->remediation) {
		kc_html_raw(h, "<h3>Remediation</h3>\n<pre class=\"rem\">");
		kc_html_text(h, r->remediation);
		kc_html_raw(h, "</pre>\n");
	}
	kc_html_raw(h, "</div>\n</details>\n");
}

static void write_sections(struct kc_html *h, const struct kc_run *run, const struct kc_html_history *hist,
			   const size_t counts[KC_STATUS_COUNT])
{
	struct kc_report_section *secs;
	size_t nsecs;
	struct kc_buf scratch = KC_BUF_INIT;
	int open_failures = counts[KC_FAIL] + counts[KC_ERROR] <= OPEN_FAILURES;
	kc_report_sections(run, &secs, &nsecs);
	kc_html_raw(h, "<h2>Checks</h2>\n<main id=\"checks\">\n");
	for (size_t s = 0; s < nsecs; s++) {
		const struct kc_report_section *sec = &secs[s];
		int bad = sec->counts[KC_FAIL] + sec->counts[KC_ERROR] > 0;
		kc_html_fmt(h, "<details class=\"sec\"%s><summary>", bad ? " open" : "");
		kc_html_text(h, *sec->id ? sec->id : "other");
		kc_html_raw(h, " ");
		kc_html_text(h, sec->title);
		kc_html_fmt(h, " <span class=\"meta sec-counts\">%zu check%s", sec->n, plural(sec->n));
		for (int i = 0; i < KC_STATUS_COUNT; i++)
			if (sec->counts[status_order[i]])
				kc_html_fmt(h, " · %zu %s", sec->counts[status_order[i]], kc_status_name(status_order[i]));
		/* filled by the script with what the filters leave of this section */
		kc_html_raw(h, "</span> <span class=\"meta sec-shown\"></span></summary>\n");
		for (size_t i = 0; i < sec->n; i++) {
			const struct kc_result *r = &run->results[sec->idx[i]];
			int open = open_failures && (r->status == KC_FAIL || r->status == KC_ERROR);
			write_check(h, run, sec->idx[i], hist, open, &scratch);
			kc_html_flush(h, 0);
		}
		kc_html_raw(h, "</details>\n");
	}
	kc_html_raw(h, "</main>\n");
	kc_report_sections_free(secs, nsecs);
	kc_buf_clear(&scratch);
}

int kc_report_html_write(const struct kc_run *run, struct kc_store *st, const char *path)
{
	struct kc_atomic_file af;
	struct kc_html h = { .b = KC_BUF_INIT, .tmp = KC_BUF_INIT };
	struct kc_html_history hist;
	int rc = kc_atomic_open(&af, path);
	if (rc < 0)
		return rc;
	h.fp = af.fp;
	kc_html_history_load(&hist, st, run);

	size_t counts[KC_STATUS_COUNT];
	kc_run_count(run, counts);
	struct kc_buf title = KC_BUF_INIT;
	kc_buf_printf(&title, "kubecomply: %s %s", run->host ? run->host : "", run->benchmark ? run->benchmark : "");
	kc_html_page_start(&h, title.ptr, 1);
	kc_buf_clear(&title);
	write_header(&h, run, counts);
	write_history(&h, run, &hist);
	write_runtime(&h, run);
	write_filters(&h, run);
	write_sections(&h, run, &hist, counts);
	kc_html_fmt(&h, "<footer class=\"meta\"><p>%zu check%s. Generated by kubecomply", run->nresults,
		    plural(run->nresults));
	if (run->tool_version) {
		kc_html_raw(&h, " ");
		kc_html_text(&h, run->tool_version);
	}
	kc_html_raw(&h, ". Printing opens every section.</p></footer>\n");
	rc = kc_html_page_finish(&h, &af, 1);
	kc_html_history_clear(&hist);
	return rc;
}
