/* kube-bench's JSON (`--json-format kube-bench`): the {"Controls": [...], "Totals": {...}}
 * document `kube-bench --json` writes when it runs several node types, so that the tools that
 * import kube-bench results (DefectDojo's "kube-bench Scan", AWS Security Hub integrations,
 * dashboards) take kubecomply's unchanged. The shape and key names follow kube-bench's
 * check/controls.go (Controls: id, version, text, node_type, tests, total_pass/fail/warn/info;
 * Group: section, pass, fail, warn, info, desc, results) and check/check.go (Check:
 * test_number, test_desc, audit, AuditConfig, type, remediation, test_info, status,
 * actual_value, scored, expected_result, reason omitted when empty), checked against the
 * fixtures in shared/corpus/kube-bench-expected/result-json and golden outputs.
 *
 * Mapping:
 * - one control per node type (our target: master, etcd, controlplane, node, policies) in
 *   order of first appearance, id = the leading number of its sections, text = kube-bench's
 *   title for that node type in cfg/cis-1.12, version = the benchmark ("cis-1.12");
 * - one group per CIS section; desc = the section title;
 * - status: PASS, FAIL, WARN as is; SKIP -> INFO (kube-bench's "skip" type gives INFO);
 *   ERROR -> WARN with the reason: kube-bench has no error state, and an undecided check must
 *   not read as passed;
 * - test_desc ends with "(Automated)" / "(Manual)" as kube-bench's texts do; type is "manual"
 *   for manual checks, "" otherwise; audit lists the evidence kubecomply read (at most
 *   KB_AUDIT_LINES lines: kube-bench has no object lists), actual_value / expected_result the
 *   human forms; reason the WARN/INFO reason or the documented exception. */
#include "reports/report.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "reports/render.h"

#define KB_AUDIT_LINES 50

static json_object *jstr(const char *s) { return kc_report_json_string(s); }

static void put(json_object *o, const char *k, json_object *v) { json_object_object_add(o, k, v); }

/* kube-bench cfg/cis-1.12/<type>.yaml: controls.text */
static const char *control_text(const char *target, const char *fallback)
{
	static const struct { const char *type, *text; } t[] = {
		{ "master", "Control Plane Security Configuration" },
		{ "etcd", "Etcd Node Configuration" },
		{ "controlplane", "Control Plane Configuration" },
		{ "node", "Worker Node Security Configuration" },
		{ "policies", "Kubernetes Policies" },
	};
	for (size_t i = 0; target && i < sizeof(t) / sizeof(*t); i++)
		if (strcmp(target, t[i].type) == 0)
			return t[i].text;
	return fallback;
}

static const char *kb_status(enum kc_status s)
{
	switch (s) {
	case KC_PASS: return "PASS";
	case KC_FAIL: return "FAIL";
	case KC_SKIP: return "INFO";
	default: return "WARN";
	}
}

static int is_manual(const struct kc_result *r)
{
	return r->type && strcmp(r->type, "manual") == 0;
}

static json_object *check_json(const struct kc_result *r, struct kc_buf *tmp)
{
	json_object *o = json_object_new_object();
	put(o, "test_number", jstr(r->id));
	kc_buf_reset(tmp);
	kc_buf_puts(tmp, kc_report_str(r->title));
	size_t tl = tmp->len;
	if (!(tl > 0 && tmp->ptr[tl - 1] == ')'))
		kc_buf_puts(tmp, is_manual(r) ? " (Manual)" : " (Automated)");
	put(o, "test_desc", jstr(tmp->ptr));
	kc_buf_reset(tmp);
	size_t lines = 0;
	for (size_t i = 0; i < r->nevidence && lines < KB_AUDIT_LINES; i++, lines++) {
		kc_report_evidence_line(tmp, &r->evidence[i]);
		kc_buf_putc(tmp, '\n');
	}
	if (lines < r->nevidence)
		kc_buf_printf(tmp, "... and %zu more evidence rows (the kubecomply JSON report lists every one)\n",
			      r->nevidence - lines);
	put(o, "audit", jstr(tmp->ptr ? tmp->ptr : ""));
	put(o, "AuditConfig", json_object_new_string(""));
	put(o, "type", json_object_new_string(is_manual(r) ? "manual" : ""));
	put(o, "remediation", jstr(r->remediation));
	json_object *info = json_object_new_array();
	json_object_array_add(info, jstr(r->remediation));
	put(o, "test_info", info);
	put(o, "status", json_object_new_string(kb_status(r->status)));
	put(o, "actual_value", jstr(r->actual));
	put(o, "scored", json_object_new_boolean(r->scored));
	put(o, "expected_result", jstr(r->expected));
	kc_buf_reset(tmp);
	if (r->status == KC_ERROR)
		kc_buf_puts(tmp, "ERROR: ");
	if (r->reason && *r->reason)
		kc_buf_puts(tmp, r->reason);
	if (r->exception && *r->exception)
		kc_buf_printf(tmp, "%sdocumented exception: %s", tmp->len ? "; " : "", r->exception);
	if (tmp->len)
		put(o, "reason", jstr(tmp->ptr));
	return o;
}

struct control {
	const char *target;
	json_object *obj, *groups;
	size_t counts[4];   /* pass fail warn info */
};

static size_t slot(const char *kb)
{
	return strcmp(kb, "PASS") == 0 ? 0 : strcmp(kb, "FAIL") == 0 ? 1 : strcmp(kb, "WARN") == 0 ? 2 : 3;
}

static void put_counts(json_object *o, const char *prefix, const size_t c[4])
{
	static const char *const names[4] = { "pass", "fail", "warn", "info" };
	char key[32];
	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "%s%s", prefix, names[i]);
		put(o, key, json_object_new_int64((int64_t)c[i]));
	}
}

/* Builds the document; caller releases it with json_object_put. */
static json_object *build(const struct kc_run *run)
{
	struct kc_report_section *secs = NULL;
	size_t nsecs = 0;
	kc_report_sections(run, &secs, &nsecs);
	struct control *ctl = kc_xcalloc(nsecs + 1, sizeof(*ctl));
	size_t nctl = 0, totals[4] = { 0 };
	struct kc_buf tmp = KC_BUF_INIT;
	for (size_t s = 0; s < nsecs; s++) {
		const char *target = secs[s].target;
		struct control *c = NULL;
		for (size_t k = 0; k < nctl && !c; k++)
			if (strcmp(ctl[k].target, target) == 0)
				c = &ctl[k];
		if (!c) {
			c = &ctl[nctl++];
			c->target = target;
			c->obj = json_object_new_object();
			c->groups = json_object_new_array();
			kc_buf_reset(&tmp);
			kc_buf_add(&tmp, secs[s].id, strcspn(secs[s].id, "."));
			put(c->obj, "id", jstr(tmp.ptr ? tmp.ptr : ""));
			put(c->obj, "version", jstr(run->benchmark));
			put(c->obj, "text", jstr(control_text(target, secs[s].title)));
			put(c->obj, "node_type", jstr(target));
		}
		json_object *g = json_object_new_object(), *results = json_object_new_array();
		size_t gc[4] = { 0 };
		for (size_t i = 0; i < secs[s].n; i++) {
			const struct kc_result *r = &run->results[secs[s].idx[i]];
			gc[slot(kb_status(r->status))]++;
			json_object_array_add(results, check_json(r, &tmp));
		}
		put(g, "section", jstr(secs[s].id));
		put_counts(g, "", gc);
		put(g, "desc", jstr(secs[s].title));
		put(g, "results", results);
		json_object_array_add(c->groups, g);
		for (int k = 0; k < 4; k++) {
			c->counts[k] += gc[k];
			totals[k] += gc[k];
		}
	}
	json_object *root = json_object_new_object(), *controls = json_object_new_array();
	for (size_t k = 0; k < nctl; k++) {
		put(ctl[k].obj, "tests", ctl[k].groups);
		put_counts(ctl[k].obj, "total_", ctl[k].counts);
		json_object_array_add(controls, ctl[k].obj);
	}
	put(root, "Controls", controls);
	json_object *t = json_object_new_object();
	put_counts(t, "total_", totals);
	put(root, "Totals", t);
	kc_buf_clear(&tmp);
	free(ctl);
	kc_report_sections_free(secs, nsecs);
	return root;
}

int kc_report_kubebench_fprint(const struct kc_run *run, FILE *fp)
{
	json_object *root = build(run);
	size_t len = 0;
	const char *text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	int rc = !text || fwrite(text, 1, len, fp) != len || fputc('\n', fp) == EOF;
	json_object_put(root);
	return rc ? kc_error_set(KC_EIO, "cannot write the kube-bench JSON report") : 0;
}

int kc_report_kubebench_write(const struct kc_run *run, const char *path)
{
	return kc_report_write_stream(run, path, kc_report_kubebench_fprint);
}
