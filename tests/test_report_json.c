/* The JSON report's results are written directly (reports/json.c, for speed): their bytes
 * must stay exactly what json-c 0.16 prints for the same objects, so consumers of the report
 * see no change. The reference here builds each result as a json-c object, prints it with
 * the report's flags and re-indents it as the report nests it. */
#include "kc_test.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/run.h"
#include "common/strbuf.h"
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

/* The "results" array as json-c prints each item, re-indented by 4 as the report does. */
static char *reference_results(const struct kc_run *run)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, "  \"results\": [");
	for (size_t i = 0; i < run->nresults; i++) {
		if (!i)
			kc_buf_puts(&b, "\n");
		struct json_object *o = result_json(&run->results[i]);
		const char *text = json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
		kc_buf_puts(&b, "    ");
		for (const char *p = text; *p; p++) {
			kc_buf_putc(&b, *p);
			if (*p == '\n')
				kc_buf_puts(&b, "    ");
		}
		kc_buf_puts(&b, i + 1 == run->nresults ? "\n" : ",\n");
		json_object_put(o);
	}
	kc_buf_puts(&b, run->nresults ? "  ],\n" : "],\n");
	return kc_buf_detach(&b);
}

/* The "results" member of the report the writer produces. */
static char *written_results(const struct kc_run *run)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	assert_non_null(fp);
	assert_int_equal(kc_report_json_fprint(run, fp), 0);
	fclose(fp);
	char *start = strstr(text, "  \"results\": [");
	char *end = strstr(text, "  \"summary\": ");
	assert_non_null(start);
	assert_non_null(end);
	char *out = kc_strndup(start, (size_t)(end - start));
	free(text);
	return out;
}

static void expect_same_bytes(const struct kc_run *run)
{
	char *want = reference_results(run), *got = written_results(run);
	assert_string_equal(got, want);
	free(want);
	free(got);
	/* and the whole report is still JSON */
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	assert_int_equal(kc_report_json_fprint(run, fp), 0);
	fclose(fp);
	struct json_object *o = json_tokener_parse(text);
	assert_non_null(o);
	json_object_put(o);
	free(text);
}

static void test_results_written_byte_for_byte_as_json_c_prints_them(void **state)
{
	(void)state;
	struct kc_run run;
	memset(&run, 0, sizeof(run));
	run.host = kc_strdup("node-1");
	run.benchmark = kc_strdup("cis-1.12");
	/* every escape json-c names, the others as \u00xx, '/' and '<' and UTF-8 kept */
	static const char awkward[] = "a\"b\\c/d<e>\b\f\n\r\t\x01\x1f\x7f é 日本 \xff end";
	static const double durations[] = { 0.0, 1.0, 0.1, 3.25, 1e-7, 123456789.125, 1e300, -2.5, 1e17, NAN, INFINITY };
	for (size_t i = 0; i < sizeof(durations) / sizeof(*durations); i++) {
		struct kc_result *r = kc_run_add_result(&run);
		char id[16];
		snprintf(id, sizeof(id), "1.2.%zu", i + 1);
		r->id = kc_strdup(id);
		r->title = kc_strdup(i % 2 ? awkward : "Ensure that the --anonymous-auth argument is set to false");
		r->section = i % 3 ? kc_strdup("1.2") : NULL;
		r->section_title = kc_strdup("API Server");
		r->target = kc_strdup("master");
		r->type = kc_strdup("automated");
		r->level = (int)i % 3;
		r->scored = (int)i % 2;
		r->severity = (enum kc_severity)(i % 4);
		r->status = (enum kc_status)(i % KC_STATUS_COUNT);
		r->expected = kc_strdup("false");
		r->actual = i % 4 ? kc_strdup(awkward) : NULL;
		r->reason = i % 2 ? kc_strdup("reason\twith tab") : NULL;
		r->exception = i == 3 ? kc_strdup("accepted: ticket/42") : NULL;
		r->remediation = i == 5 ? NULL : kc_strdup("Edit /etc/kubernetes/manifests/kube-apiserver.yaml");
		r->duration_ms = durations[i];
		/* no evidence, one item, and every field of several items */
		for (size_t k = 0; k < i % 3; k++) {
			struct kc_evidence *ev = kc_result_add_evidence(r, (enum kc_evidence_kind)((i + k) % KC_EV_KIND_COUNT));
			ev->source = kc_strdup(k ? awkward : "/proc/50/cmdline");
			ev->line = (long)(k * 7);
			ev->key = kc_strdup("--anonymous-auth");
			ev->value = k ? kc_strdup("") : kc_strdup("true");
			ev->layer = k ? kc_strdup("flag") : NULL;
			ev->detail = kc_strdup(awkward);
			ev->pid = (long)(k * 50);
			ev->has_stat = (int)k;
			ev->mode = 0100644;
			ev->owner = k ? kc_strdup("root") : NULL;
			ev->group = kc_strdup("root");
			ev->sha256 = k ? kc_strdup("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881") : NULL;
			ev->obj_kind = k ? kc_strdup("Pod") : NULL;
			ev->obj_namespace = k ? kc_strdup("kube-system") : NULL;
			ev->obj_name = k ? kc_strdup("kube-apiserver-node-1") : NULL;
		}
	}
	expect_same_bytes(&run);
	kc_run_clear(&run);

	/* a run without results */
	memset(&run, 0, sizeof(run));
	expect_same_bytes(&run);
	kc_run_clear(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_written_byte_for_byte_as_json_c_prints_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
