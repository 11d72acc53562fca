/* `kubecomply report --diff RUN_A RUN_B`: what changed between two runs, as text (always),
 * JSON and HTML (when paths are given). Categories come from reports/drift.c; a is the
 * older run, b the newer. Outside text written to the terminal is cleaned of control
 * characters so a check title cannot move the cursor or recolour the screen. */
#include "reports/report.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/drift.h"
#include "reports/html_page.h"
#include "reports/render.h"

/* One line of terminal-safe text. */
static void put_line_text(struct kc_buf *b, const char *s)
{
	size_t start = b->len;
	kc_report_put_visible(b, s);
	for (size_t i = start; i < b->len; i++)
		if (b->ptr[i] == '\n' || b->ptr[i] == '\t')
			b->ptr[i] = ' ';
}

static void run_label(struct kc_buf *b, const struct kc_run *r)
{
	kc_buf_printf(b, "run #%lld (", (long long)r->id);
	put_line_text(b, r->host ? r->host : "?");
	kc_buf_puts(b, ", ");
	put_line_text(b, r->benchmark ? r->benchmark : "?");
	if (r->started) {
		kc_buf_puts(b, ", ");
		put_line_text(b, r->started);
	}
	kc_buf_putc(b, ')');
}

static void write_text(FILE *fp, const struct kc_run *a, const struct kc_run *b, const struct kc_drift *d)
{
	struct kc_buf o = KC_BUF_INIT;
	kc_buf_puts(&o, "kubecomply diff: ");
	run_label(&o, a);
	kc_buf_puts(&o, " -> ");
	run_label(&o, b);
	kc_buf_putc(&o, '\n');
	for (int k = 0; k < KC_DRIFT_KIND_COUNT; k++) {
		kc_buf_printf(&o, "\n%s (%zu)%s\n", kc_drift_kind_title((enum kc_drift_kind)k), d->counts[k],
			      d->counts[k] ? ":" : "");
		for (size_t i = 0; i < d->n; i++) {
			const struct kc_drift_item *it = &d->items[i];
			if (it->kind != (enum kc_drift_kind)k)
				continue;
			const struct kc_result *r = it->b ? it->b : it->a;
			kc_buf_printf(&o, "  %-5s ", kc_status_name(r->status));
			put_line_text(&o, r->id);
			kc_buf_puts(&o, "  ");
			put_line_text(&o, r->title);
			if (it->a && it->b)
				kc_buf_printf(&o, "  (%s -> %s)", kc_status_name(it->a->status), kc_status_name(it->b->status));
			kc_buf_putc(&o, '\n');
		}
	}
	kc_buf_printf(&o, "\nsummary: %zu new failures, %zu fixed, %zu still failing, %zu changed, %zu added, "
		      "%zu removed, %zu unchanged\n", d->counts[KC_DRIFT_NEW_FAILURE], d->counts[KC_DRIFT_FIXED],
		      d->counts[KC_DRIFT_STILL_FAILING], d->counts[KC_DRIFT_CHANGED], d->counts[KC_DRIFT_ADDED],
		      d->counts[KC_DRIFT_REMOVED], d->unchanged);
	fwrite(o.ptr, 1, o.len, fp);
	kc_buf_clear(&o);
}

static json_object *jstr(const char *s)
{
	if (!s)
		return NULL;
	char *c = kc_report_clean(s);
	json_object *o = json_object_new_string(c);
	free(c);
	return o;
}

static json_object *run_json(const struct kc_run *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_object_object_add(o, "host", jstr(r->host));
	json_object_object_add(o, "benchmark", jstr(r->benchmark));
	json_object_object_add(o, "started", jstr(r->started));
	json_object_object_add(o, "checks", json_object_new_int64((int64_t)r->nresults));
	return o;
}

static int write_json(const char *path, const struct kc_run *a, const struct kc_run *b, const struct kc_drift *d)
{
	json_object *root = json_object_new_object();
	json_object_object_add(root, "from", run_json(a));
	json_object_object_add(root, "to", run_json(b));
	json_object *sum = json_object_new_object();
	for (int k = 0; k < KC_DRIFT_KIND_COUNT; k++)
		json_object_object_add(sum, kc_drift_kind_key((enum kc_drift_kind)k),
				       json_object_new_int64((int64_t)d->counts[k]));
	json_object_object_add(sum, "unchanged", json_object_new_int64((int64_t)d->unchanged));
	json_object_object_add(root, "summary", sum);
	for (int k = 0; k < KC_DRIFT_KIND_COUNT; k++) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < d->n; i++) {
			const struct kc_drift_item *it = &d->items[i];
			if (it->kind != (enum kc_drift_kind)k)
				continue;
			const struct kc_result *r = it->b ? it->b : it->a;
			json_object *o = json_object_new_object();
			json_object_object_add(o, "id", jstr(r->id));
			json_object_object_add(o, "title", jstr(r->title));
			json_object_object_add(o, "section", jstr(r->section));
			json_object_object_add(o, "target", jstr(r->target));
			json_object_object_add(o, "severity", json_object_new_string(kc_severity_name(r->severity)));
			json_object_object_add(o, "scored", json_object_new_boolean(r->scored));
			json_object_object_add(o, "from", it->a ? json_object_new_string(kc_status_name(it->a->status)) : NULL);
			json_object_object_add(o, "to", it->b ? json_object_new_string(kc_status_name(it->b->status)) : NULL);
			json_object_array_add(arr, o);
		}
		json_object_object_add(root, kc_drift_kind_key((enum kc_drift_kind)k), arr);
	}
	return kc_report_json_document(root, path, "the drift report");
}

static void html_run(struct kc_html *h, const char *label, const struct kc_run *r)
{
	kc_html_fmt(h, "<dt>%s</dt><dd>run #%lld · ", label, (long long)r->id);
	kc_html_text(h, r->host);
	kc_html_raw(h, " · ");
	kc_html_text(h, r->benchmark);
	kc_html_raw(h, " · ");
	kc_html_text(h, r->started);
	kc_html_fmt(h, " · %zu checks</dd>", r->nresults);
}

static int write_html(const char *path, const struct kc_run *a, const struct kc_run *b, const struct kc_drift *d)
{
	struct kc_atomic_file af;
	int rc = kc_atomic_open(&af, path);
	if (rc < 0)
		return rc;
	struct kc_html h = { .b = KC_BUF_INIT, .tmp = KC_BUF_INIT, .fp = af.fp };
	kc_html_page_start(&h, "kubecomply: what changed between two runs", 0);
	kc_html_raw(&h, "<header class=\"head\"><div><h1>What changed between two runs</h1><dl>");
	html_run(&h, "From", a);
	html_run(&h, "To", b);
	kc_html_raw(&h, "</dl></div></header>\n<ul class=\"counts\">");
	for (int k = 0; k < KC_DRIFT_KIND_COUNT; k++)
		kc_html_fmt(&h, "<li>%s <b id=\"diff-%s\">%zu</b></li>", kc_drift_kind_title((enum kc_drift_kind)k),
			    kc_drift_kind_key((enum kc_drift_kind)k), d->counts[k]);
	kc_html_fmt(&h, "<li>Unchanged <b id=\"diff-unchanged\">%zu</b></li></ul>\n", d->unchanged);
	for (int k = 0; k < KC_DRIFT_KIND_COUNT; k++) {
		if (!d->counts[k])
			continue;
		kc_html_fmt(&h, "<h2>%s (%zu)</h2>\n<table id=\"list-%s\"><thead><tr><th>Check</th><th>Title</th>"
			    "<th>Severity</th><th>Before</th><th>Now</th></tr></thead><tbody>\n",
			    kc_drift_kind_title((enum kc_drift_kind)k), d->counts[k], kc_drift_kind_key((enum kc_drift_kind)k));
		for (size_t i = 0; i < d->n; i++) {
			const struct kc_drift_item *it = &d->items[i];
			if (it->kind != (enum kc_drift_kind)k)
				continue;
			const struct kc_result *r = it->b ? it->b : it->a;
			kc_html_raw(&h, "<tr><td>");
			kc_html_text(&h, r->id);
			kc_html_raw(&h, "</td><td>");
			kc_html_text(&h, r->title);
			kc_html_fmt(&h, "</td><td>%s</td><td>", kc_severity_name(r->severity));
			if (it->a)
				kc_html_fmt(&h, "<span class=\"badge %s\">%s</span>", kc_status_name(it->a->status),
					    kc_status_name(it->a->status));
			kc_html_raw(&h, "</td><td>");
			if (it->b)
				kc_html_fmt(&h, "<span class=\"badge %s\">%s</span>", kc_status_name(it->b->status),
					    kc_status_name(it->b->status));
			kc_html_raw(&h, "</td></tr>\n");
			kc_html_flush(&h, 0);
		}
		kc_html_raw(&h, "</tbody></table>\n");
	}
	return kc_html_page_finish(&h, &af, 0);
}

int kc_report_diff(const struct kc_run *a, const struct kc_run *b, FILE *fp,
		   const char *json_path, const char *html_path)
{
	struct kc_drift d;
	int rc = 0;
	kc_drift_compute(a, b, &d);
	if (fp)
		write_text(fp, a, b, &d);
	if (json_path)
		rc = write_json(json_path, a, b, &d);
	if (rc == 0 && html_path)
		rc = write_html(html_path, a, b, &d);
	kc_drift_clear(&d);
	return rc;
}
