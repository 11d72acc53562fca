/* The JSON report: the complete machine-readable form of a run (docs/json-schema.md).
 * Built with json-c so escaping is never hand-rolled. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "reports/render.h"
#include "reports/report.h"

static void put_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static struct json_object *evidence_json(const struct kc_evidence *ev)
{
	struct json_object *o = json_object_new_object();
	put_str(o, "kind", kc_evidence_kind_name(ev->kind));
	if (ev->source) put_str(o, "source", ev->source);
	if (ev->line) json_object_object_add(o, "line", json_object_new_int64(ev->line));
	if (ev->key) put_str(o, "key", ev->key);
	if (ev->value) put_str(o, "value", ev->value);
	if (ev->layer) put_str(o, "layer", ev->layer);
	if (ev->detail) put_str(o, "detail", ev->detail);
	if (ev->pid) json_object_object_add(o, "pid", json_object_new_int64(ev->pid));
	if (ev->has_stat) {
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", ev->mode & 07777);
		put_str(o, "mode", mode);
		put_str(o, "owner", ev->owner);
		put_str(o, "group", ev->group);
	}
	if (ev->sha256) put_str(o, "sha256", ev->sha256);
	if (ev->obj_kind) put_str(o, "object_kind", ev->obj_kind);
	if (ev->obj_namespace) put_str(o, "object_namespace", ev->obj_namespace);
	if (ev->obj_name) put_str(o, "object_name", ev->obj_name);
	return o;
}

static struct json_object *result_json(const struct kc_result *r)
{
	struct json_object *o = json_object_new_object();
	put_str(o, "id", r->id);
	put_str(o, "title", r->title);
	put_str(o, "section", r->section);
	put_str(o, "section_title", r->section_title);
	put_str(o, "target", r->target);
	put_str(o, "type", r->type);
	json_object_object_add(o, "level", json_object_new_int(r->level));
	json_object_object_add(o, "scored", json_object_new_boolean(r->scored));
	put_str(o, "severity", kc_severity_name(r->severity));
	put_str(o, "status", kc_status_name(r->status));
	put_str(o, "expected", r->expected);
	put_str(o, "actual", r->actual);
	if (r->reason) put_str(o, "reason", r->reason);
	if (r->exception) put_str(o, "exception", r->exception);
	struct json_object *evs = json_object_new_array_ext((int)r->nevidence);
	for (size_t i = 0; i < r->nevidence; i++)
		json_object_array_add(evs, evidence_json(&r->evidence[i]));
	json_object_object_add(o, "evidence", evs);
	put_str(o, "remediation", r->remediation);
	json_object_object_add(o, "duration_ms", json_object_new_double(r->duration_ms));
	return o;
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
	for (size_t i = 0; i < run->nresults && !rc; i++) {
		rc |= fputs(i ? "" : "\n", fp) == EOF;
		rc |= put_member(fp, NULL, result_json(&run->results[i]), i + 1 == run->nresults, 4);
	}
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
