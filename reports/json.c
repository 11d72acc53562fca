/* The JSON report: the complete machine-readable form of a run (docs/json-schema.md).
 * Built with json-c so escaping is never hand-rolled. */
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "reports/render.h"
#include "reports/report.h"

static void put_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

/* The results are written directly, byte for byte as json-c 0.16 prints the same objects
 * (JSON_C_TO_STRING_PRETTY | SPACED | NOSLASHESCAPE, re-indented by put_member): building a
 * json-c tree per result and printing it was a quarter of an audit's instructions. Run
 * metadata, summary, findings and gaps, one object each or rare, still go through json-c.
 * tests/test_report_json.c compares the two writers on awkward results. */

/* json-c's json_escape_str: \b \f \n \r \t \" \\ named, other bytes below 0x20 as \u00xx
 * (lower-case hex), '/' kept (NOSLASHESCAPE), everything else (UTF-8 included) as is. */
static void put_jstr(struct kc_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (!s) {
		kc_buf_add(b, "null", 4);
		return;
	}
	kc_buf_putc(b, '"');
	const char *run = s;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		kc_buf_add(b, run, (size_t)(p - run));
		run = p + 1;
		switch (c) {
		case '\b': kc_buf_add(b, "\\b", 2); break;
		case '\f': kc_buf_add(b, "\\f", 2); break;
		case '\n': kc_buf_add(b, "\\n", 2); break;
		case '\r': kc_buf_add(b, "\\r", 2); break;
		case '\t': kc_buf_add(b, "\\t", 2); break;
		case '"': kc_buf_add(b, "\\\"", 2); break;
		case '\\': kc_buf_add(b, "\\\\", 2); break;
		default: {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			kc_buf_add(b, esc, 6);
		}
		}
	}
	kc_buf_add(b, run, strlen(run));
	kc_buf_putc(b, '"');
}

/* json-c's json_object_double_to_json_string_format with its default "%.17g" */
static void put_jdouble(struct kc_buf *b, double d)
{
	if (isnan(d)) {
		kc_buf_puts(b, "NaN");
		return;
	}
	if (isinf(d)) {
		kc_buf_puts(b, d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%.17g", d);
	if (n < 0)
		return;
	char *comma = strchr(buf, ',');
	if (comma)
		*comma = '.';
	int numeric = (buf[0] >= '0' && buf[0] <= '9') || (n > 1 && buf[0] == '-' && buf[1] >= '0' && buf[1] <= '9');
	if (n < (int)sizeof(buf) - 2 && numeric && !comma && !strchr(buf, '.') && !strchr(buf, 'e'))
		strcat(buf, ".0");
	kc_buf_puts(b, buf);
}

/* One member: ",\n" before all but the first, the indent, "\"key\": " */
static void put_key(struct kc_buf *b, int *first, int indent, const char *key)
{
	static const char spaces[] = "          ";
	if (!*first)
		kc_buf_add(b, ",\n", 2);
	*first = 0;
	kc_buf_add(b, spaces, (size_t)indent < sizeof(spaces) - 1 ? (size_t)indent : sizeof(spaces) - 1);
	kc_buf_putc(b, '"');
	kc_buf_puts(b, key);
	kc_buf_add(b, "\": ", 3);
}

static void put_kstr(struct kc_buf *b, int *first, int indent, const char *key, const char *v)
{
	put_key(b, first, indent, key);
	put_jstr(b, v);
}

static void put_kint(struct kc_buf *b, int *first, int indent, const char *key, int64_t v)
{
	char num[24];
	put_key(b, first, indent, key);
	kc_buf_add(b, num, (size_t)snprintf(num, sizeof(num), "%" PRId64, v));
}

/* An evidence object as an item of the evidence array: at json-c level 2, shifted by 4 */
static void put_evidence(struct kc_buf *b, const struct kc_evidence *ev)
{
	int first = 1;
	kc_buf_puts(b, "{\n");
	put_kstr(b, &first, 10, "kind", kc_evidence_kind_name(ev->kind));
	if (ev->source) put_kstr(b, &first, 10, "source", ev->source);
	if (ev->line) put_kint(b, &first, 10, "line", ev->line);
	if (ev->key) put_kstr(b, &first, 10, "key", ev->key);
	if (ev->value) put_kstr(b, &first, 10, "value", ev->value);
	if (ev->layer) put_kstr(b, &first, 10, "layer", ev->layer);
	if (ev->detail) put_kstr(b, &first, 10, "detail", ev->detail);
	if (ev->pid) put_kint(b, &first, 10, "pid", ev->pid);
	if (ev->has_stat) {
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", ev->mode & 07777);
		put_kstr(b, &first, 10, "mode", mode);
		put_kstr(b, &first, 10, "owner", ev->owner);
		put_kstr(b, &first, 10, "group", ev->group);
	}
	if (ev->sha256) put_kstr(b, &first, 10, "sha256", ev->sha256);
	if (ev->obj_kind) put_kstr(b, &first, 10, "object_kind", ev->obj_kind);
	if (ev->obj_namespace) put_kstr(b, &first, 10, "object_namespace", ev->obj_namespace);
	if (ev->obj_name) put_kstr(b, &first, 10, "object_name", ev->obj_name);
	kc_buf_puts(b, "\n        }");
}

/* A result as an item of the results array, with its trailing ",\n" or "\n" */
static int put_result(FILE *fp, struct kc_buf *b, const struct kc_result *r, int last)
{
	int first = 1;
	kc_buf_reset(b);
	kc_buf_puts(b, "    {\n");
	put_kstr(b, &first, 6, "id", r->id);
	put_kstr(b, &first, 6, "title", r->title);
	put_kstr(b, &first, 6, "section", r->section);
	put_kstr(b, &first, 6, "section_title", r->section_title);
	put_kstr(b, &first, 6, "target", r->target);
	put_kstr(b, &first, 6, "type", r->type);
	put_kint(b, &first, 6, "level", r->level);
	put_key(b, &first, 6, "scored");
	kc_buf_puts(b, r->scored ? "true" : "false");
	put_kstr(b, &first, 6, "severity", kc_severity_name(r->severity));
	put_kstr(b, &first, 6, "status", kc_status_name(r->status));
	put_kstr(b, &first, 6, "expected", r->expected);
	put_kstr(b, &first, 6, "actual", r->actual);
	if (r->reason) put_kstr(b, &first, 6, "reason", r->reason);
	if (r->exception) put_kstr(b, &first, 6, "exception", r->exception);
	put_key(b, &first, 6, "evidence");
	kc_buf_puts(b, "[\n");
	for (size_t i = 0; i < r->nevidence; i++) {
		kc_buf_puts(b, i ? ",\n        " : "        ");
		put_evidence(b, &r->evidence[i]);
	}
	kc_buf_puts(b, r->nevidence ? "\n      ]" : "      ]");
	put_kstr(b, &first, 6, "remediation", r->remediation);
	put_key(b, &first, 6, "duration_ms");
	put_jdouble(b, r->duration_ms);
	kc_buf_puts(b, last ? "\n    }\n" : "\n    },\n");
	return fwrite(b->ptr, 1, b->len, fp) != b->len;
}

static struct json_object *finding_json(const struct kc_finding *f)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(f->id));
	put_str(o, "rule", f->rule);
	put_str(o, "severity", kc_severity_name(f->severity));
	put_str(o, "time", f->time);
	put_str(o, "source", f->source);
	if (f->cis) put_str(o, "cis", f->cis);
	put_str(o, "summary", f->summary);
	/* the source's own fields (pod_uid, audit_id, user, process chain, ...) are merged in
	 * at the top level so consumers read finding.user, not finding.data.user */
	struct json_object *data = f->data_json ? json_tokener_parse(f->data_json) : NULL;
	if (data && json_object_is_type(data, json_type_object)) {
		json_object_object_foreach(data, k, v) {
			if (!json_object_object_get_ex(o, k, NULL))
				json_object_object_add(o, k, json_object_get(v));
		}
	}
	json_object_put(data);
	return o;
}

static const int json_flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE;

/* Writes "  \"key\": <value>" with the value's lines indented one level, and frees the value.
 * The report is streamed member by member and result by result: a tree of a whole large run
 * (100,000 objects) costs several times the output in memory and time. */
static int put_member(FILE *fp, const char *key, struct json_object *v, int last, int indent)
{
	const char *text = json_object_to_json_string_ext(v, json_flags);
	int rc = 0;
	if (key)
		rc |= fprintf(fp, "%*s\"%s\": ", indent, "", key) < 0;
	else
		rc |= fprintf(fp, "%*s", indent, "") < 0;
	/* line by line, not byte by byte: once the process has threads (the manifest reader's)
	 * every fputc takes the stream's lock, a tenth of a large audit's CPU */
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		rc |= fwrite(p, 1, n, fp) != n;
		p += n;
		if (nl)
			rc |= fprintf(fp, "%*s", indent, "") < 0;
	}
	rc |= fputs(last ? "\n" : ",\n", fp) == EOF;
	json_object_put(v);
	return rc;
}

static struct json_object *meta_json(const struct kc_run *run)
{
	struct json_object *meta = json_object_new_object();
	json_object_object_add(meta, "id", json_object_new_int64(run->id));
	put_str(meta, "host", run->host);
	if (run->cluster) put_str(meta, "cluster", run->cluster);
	put_str(meta, "benchmark", run->benchmark);
	put_str(meta, "k8s_version", run->k8s_version);
	put_str(meta, "targets", run->targets);
	put_str(meta, "root", run->root);
	put_str(meta, "tool_version", run->tool_version);
	put_str(meta, "started", run->started);
	put_str(meta, "finished", run->finished);
	if (run->digest) { /* the run's seal: `kubecomply verify --report` checks it (docs/evidence.md) */
		put_str(meta, "digest", run->digest);
		json_object_object_add(meta, "chain_position", json_object_new_int64(run->chain_pos));
		put_str(meta, "chain_link", run->chain_link);
	}
	return meta;
}

static struct json_object *summary_json(const struct kc_run *run)
{
	size_t counts[KC_STATUS_COUNT];
	kc_run_count(run, counts);
	struct json_object *sum = json_object_new_object();
	size_t scored = 0, scored_pass = 0;
	for (size_t i = 0; i < run->nresults; i++)
		if (run->results[i].scored && run->results[i].status != KC_SKIP) {
			scored++;
			scored_pass += run->results[i].status == KC_PASS;
		}
	for (int s = 0; s < KC_STATUS_COUNT; s++)
		json_object_object_add(sum, kc_status_name((enum kc_status)s), json_object_new_int64((int64_t)counts[s]));
	json_object_object_add(sum, "total", json_object_new_int64((int64_t)run->nresults));
	json_object_object_add(sum, "scored", json_object_new_int64((int64_t)scored));
	json_object_object_add(sum, "scored_passed", json_object_new_int64((int64_t)scored_pass));
	json_object_object_add(sum, "findings", json_object_new_int64((int64_t)run->nfindings));
	return sum;
}

static struct json_object *gap_json(const struct kc_gap *g)
{
	struct json_object *o = json_object_new_object();
	put_str(o, "monitor", g->monitor);
	put_str(o, "start", g->start);
	put_str(o, "end", g->end);
	json_object_object_add(o, "seen", json_object_new_int64((int64_t)g->seen));
	json_object_object_add(o, "sent", json_object_new_int64((int64_t)g->sent));
	json_object_object_add(o, "lost", json_object_new_int64((int64_t)g->lost));
	if (g->detail) put_str(o, "detail", g->detail);
	return o;
}

int kc_report_json_fprint(const struct kc_run *run, FILE *fp)
{
	int rc = fputs("{\n  \"schema\": \"kubecomply.report/v1\",\n", fp) == EOF;
	rc |= put_member(fp, "run", meta_json(run), 0, 2);
	rc |= fputs("  \"results\": [", fp) == EOF;
	struct kc_buf b = KC_BUF_INIT;
	for (size_t i = 0; i < run->nresults && !rc; i++) {
		rc |= fputs(i ? "" : "\n", fp) == EOF;
		rc |= put_result(fp, &b, &run->results[i], i + 1 == run->nresults);
	}
	kc_buf_clear(&b);
	rc |= fputs(run->nresults ? "  ],\n" : "],\n", fp) == EOF;
	rc |= put_member(fp, "summary", summary_json(run), 0, 2);
	rc |= fputs("  \"findings\": [", fp) == EOF;
	for (size_t i = 0; i < run->nfindings && !rc; i++) {
		rc |= fputs(i ? "" : "\n", fp) == EOF;
		rc |= put_member(fp, NULL, finding_json(&run->findings[i]), i + 1 == run->nfindings, 4);
	}
	rc |= fputs(run->nfindings ? "  ],\n" : "],\n", fp) == EOF;
	rc |= fputs("  \"monitor_gaps\": [", fp) == EOF;
	for (size_t i = 0; i < run->ngaps && !rc; i++) {
		rc |= fputs(i ? "" : "\n", fp) == EOF;
		rc |= put_member(fp, NULL, gap_json(&run->gaps[i]), i + 1 == run->ngaps, 4);
	}
	rc |= fputs(run->ngaps ? "  ]\n}\n" : "]\n}\n", fp) == EOF;
	return rc ? kc_error_set(KC_EIO, "cannot write the JSON report") : 0;
}

int kc_report_json_write(const struct kc_run *run, const char *path)
{
	return kc_report_write_stream(run, path, kc_report_json_fprint);
}
