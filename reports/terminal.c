/* The terminal summary, in the shape kube-bench users know: [STATUS] id title lines grouped
 * by section, remediations for what failed, and totals per section. Every outside string goes
 * through V(): control characters (an ESC from a title would drive the terminal) and invisible
 * format controls (a U+202E in a pod name would show it reversed) are made visible. */
#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"
#include "reports/render.h"
#include "reports/report.h"

/* A few cleaned copies alive at once: one fprintf uses at most VIS_SLOTS. */
#define VIS_SLOTS 8
struct vis {
	struct kc_buf b[VIS_SLOTS];
	int next;
};

static const char *V(struct vis *v, const char *s)
{
	struct kc_buf *b = &v->b[v->next++ % VIS_SLOTS];
	kc_buf_reset(b);
	kc_report_put_visible(b, s ? s : "");
	return b->ptr ? b->ptr : "";
}

static const char *color(enum kc_status s, int on)
{
	if (!on)
		return "";
	switch (s) {
	case KC_PASS: return "\033[32m";
	case KC_FAIL: return "\033[31m";
	case KC_WARN: return "\033[33m";
	case KC_ERROR: return "\033[35m";
	default: return "\033[34m";
	}
}

static int same(const char *a, const char *b)
{
	return (a ? a : "")[0] == (b ? b : "")[0] && strcmp(a ? a : "", b ? b : "") == 0;
}

void kc_report_term_print(const struct kc_run *run, FILE *fp, const struct kc_term_opts *o)
{
	const char *reset = o->color ? "\033[0m" : "";
	const char *info = o->color ? "\033[34m" : "";
	struct vis v = { .next = 0 };
	if (!o->quiet) {
		const char *section = NULL;
		for (size_t i = 0; i < run->nresults; i++) {
			const struct kc_result *r = &run->results[i];
			if (!section || !same(section, r->section)) {
				section = r->section;
				fprintf(fp, "%s[INFO]%s %s %s\n", info, reset, V(&v, r->section),
					V(&v, r->section_title));
			}
			fprintf(fp, "%s[%s]%s %s %s%s\n", color(r->status, o->color), kc_status_name(r->status), reset,
				V(&v, r->id), V(&v, r->title), r->scored ? "" : " (manual)");
			if (r->status == KC_FAIL || (o->verbose && r->actual)) {
				if (r->expected)
					fprintf(fp, "       expected: %s\n", V(&v, r->expected));
				if (r->actual)
					fprintf(fp, "       actual:   %s\n", V(&v, r->actual));
			}
			if (r->exception)
				fprintf(fp, "       exception: %s\n", V(&v, r->exception));
			/* an undecided line always says why: ERROR, WARN and SKIP carry their reason */
			if (r->reason && *r->reason &&
			    (r->status == KC_ERROR || r->status == KC_WARN || r->status == KC_SKIP || o->verbose))
				fprintf(fp, "       reason:   %s\n", V(&v, r->reason));
			if (o->verbose)
				for (size_t e = 0; e < r->nevidence; e++) {
					const struct kc_evidence *ev = &r->evidence[e];
					fprintf(fp, "       evidence: %s %s%s%s%s%s\n", kc_evidence_kind_name(ev->kind),
						V(&v, ev->source), ev->key ? " " : "", V(&v, ev->key),
						ev->value ? "=" : "", V(&v, ev->value));
				}
		}

		int any = 0;
		for (size_t i = 0; i < run->nresults; i++) {
			const struct kc_result *r = &run->results[i];
			if ((r->status != KC_FAIL && r->status != KC_WARN) || !r->remediation)
				continue;
			if (!any++)
				fprintf(fp, "\n== Remediations ==\n");
			fprintf(fp, "%s %s\n\n", V(&v, r->id), V(&v, r->remediation));
		}
	}

	if (!o->quiet && run->nfindings) {
		fprintf(fp, "\n== Runtime findings ==\n");
		/* a busy node produces thousands: the terminal shows the first ones, the reports all */
		size_t shown = run->nfindings < 50 || o->verbose ? run->nfindings : 50;
		for (size_t i = 0; i < shown; i++) {
			const struct kc_finding *f = &run->findings[i];
			fprintf(fp, "%s [%s] %s: %s\n", V(&v, f->time), kc_severity_name(f->severity),
				V(&v, f->rule), V(&v, f->summary));
		}
		if (shown < run->nfindings)
			fprintf(fp, "... and %zu more (--verbose, or the JSON/HTML reports, list them all)\n", run->nfindings - shown);
	}
	if (!o->quiet && run->ngaps) {
		fprintf(fp, "\n== Monitor gaps ==\n");
		for (size_t i = 0; i < run->ngaps; i++) {
			const struct kc_gap *g = &run->gaps[i];
			fprintf(fp, "%s blind from %s to %s: %llu of %llu events lost\n", V(&v, g->monitor),
				V(&v, g->start), V(&v, g->end), (unsigned long long)g->lost,
				(unsigned long long)g->seen);
		}
	}

	fprintf(fp, "\n== Summary %s on %s ==\n", V(&v, run->benchmark), V(&v, run->host));
	/* totals per section, then overall */
	const char *section = NULL;
	size_t c[KC_STATUS_COUNT] = { 0 };
	for (size_t i = 0; i <= run->nresults; i++) {
		const struct kc_result *r = i < run->nresults ? &run->results[i] : NULL;
		if (section && (!r || !same(section, r->section))) {
			fprintf(fp, "%-6s %3zu pass, %3zu fail, %3zu warn, %3zu skip, %3zu error\n", V(&v, section),
				c[KC_PASS], c[KC_FAIL], c[KC_WARN], c[KC_SKIP], c[KC_ERROR]);
			memset(c, 0, sizeof(c));
		}
		if (!r)
			break;
		section = r->section ? r->section : "";
		c[r->status]++;
	}
	size_t t[KC_STATUS_COUNT];
	kc_run_count(run, t);
	if (!run->nresults) {
		fprintf(fp, "%zu runtime findings, %zu monitor gaps\n", run->nfindings, run->ngaps);
		goto out;
	}
	fprintf(fp, "%s%zu checks PASS%s\n", color(KC_PASS, o->color), t[KC_PASS], reset);
	fprintf(fp, "%s%zu checks FAIL%s\n", color(KC_FAIL, o->color), t[KC_FAIL], reset);
	fprintf(fp, "%s%zu checks WARN%s\n", color(KC_WARN, o->color), t[KC_WARN], reset);
	fprintf(fp, "%s%zu checks SKIP%s\n", color(KC_SKIP, o->color), t[KC_SKIP], reset);
	fprintf(fp, "%s%zu checks ERROR%s\n", color(KC_ERROR, o->color), t[KC_ERROR], reset);
	if (run->nfindings)
		fprintf(fp, "%zu runtime findings\n", run->nfindings);
out:
	for (int i = 0; i < VIS_SLOTS; i++)
		kc_buf_clear(&v.b[i]);
}
