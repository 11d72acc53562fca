/* OSCAL Assessment Results 1.0.4 (NIST's JSON model, used by FedRAMP and compliance-as-code
 * tooling) for `--oscal FILE`, valid against the official schema
 * (shared/corpus/oscal/oscal_assessment-results_schema-1.0.4.json; tests/test_report_oscal.c).
 *
 * One result per run (start/end, props: benchmark, host, cluster, Kubernetes version):
 * - reviewed-controls: every check of the run as a control id "<benchmark>-<check id>";
 * - one observation per check: description = "expected … got …" or the reason, props for
 *   status/severity/level/scored/target, method EXAMINE (kubecomply reads files, processes and
 *   objects; it interviews no one), each evidence row as a relevant-evidence entry (at most
 *   KC_OSCAL_MAX_EVIDENCE, then one entry counting the rest — the JSON report keeps all);
 * - one finding per check, target objective-id = the control id, status `satisfied` only for
 *   PASS (reason pass); FAIL is `not-satisfied`/fail; WARN, SKIP and ERROR are `not-satisfied`
 *   with reason `other` and the status in remarks: undecided is not satisfied. A PASS by
 *   documented exception stays `satisfied`, with the exception in props and remarks.
 * There is no assessment plan to import: import-ap points at a back-matter resource naming
 * the benchmark. UUIDs are version-4-shaped digests of the run and the check, so rendering
 * the same stored run twice gives the same document. */
#include "reports/report.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/render.h"

#define KC_OSCAL_MAX_EVIDENCE 200
#define KC_OSCAL_NS "urn:kubecomply:oscal"

static json_object *jstr(const char *s) { return kc_report_json_string(s); }

static void put(json_object *o, const char *k, json_object *v) { json_object_object_add(o, k, v); }

/* A UUID of the version-4 form from the digest of the run's identity and what: stable per run. */
static json_object *uuid_of(const struct kc_run *run, const char *what, size_t n)
{
	struct kc_buf in = KC_BUF_INIT;
	kc_buf_printf(&in, "%s\n%s\n%s\n%lld\n%s\n%zu", kc_report_str(run->benchmark), kc_report_str(run->host),
		      kc_report_str(run->started), (long long)run->id, what, n);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_Digest(in.ptr, in.len, md, &len, EVP_sha256(), NULL);
	kc_buf_clear(&in);
	md[6] = (unsigned char)((md[6] & 0x0F) | 0x40);
	md[8] = (unsigned char)((md[8] & 0x3F) | 0x80);
	char out[37];
	int o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		o += snprintf(out + o, sizeof(out) - (size_t)o, "%02x", md[i]);
	}
	return json_object_new_string(out);
}

/* OSCAL tokens: a letter or "_" first (when lead), then letters, digits, ".", "-", "_". */
static void put_token(struct kc_buf *b, const char *s, int lead)
{
	size_t start = b->len;
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
		int ok = alpha || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_';
		if (lead && b->len == start && !alpha)
			kc_buf_putc(b, '_');
		kc_buf_putc(b, ok ? (char)*p : '_');
	}
	if (b->len == start)
		kc_buf_putc(b, '_');
}

/* "cis-1.12-1.2.15" */
static void control_id(struct kc_buf *b, const struct kc_run *run, const struct kc_result *r)
{
	kc_buf_reset(b);
	put_token(b, run->benchmark ? run->benchmark : "kubecomply", 1);
	kc_buf_putc(b, '-');
	put_token(b, r->id, 0);
}

static void prop(json_object *props, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	json_object *p = json_object_new_object();
	put(p, "name", json_object_new_string(name));
	put(p, "ns", json_object_new_string(KC_OSCAL_NS));
	put(p, "value", jstr(value));
	json_object_array_add(props, p);
}

/* RFC 3339 with a zone, as the schema's date-time pattern wants; now when the run has none. */
static json_object *when(const char *t)
{
	if (t && strlen(t) >= 20)
		return jstr(t);
	char *now = kc_time_now_rfc3339();
	json_object *o = json_object_new_string(now);
	free(now);
	return o;
}

static json_object *observation(const struct kc_run *run, const struct kc_result *r, size_t i, struct kc_buf *tmp)
{
	json_object *o = json_object_new_object();
	put(o, "uuid", uuid_of(run, "observation", i));
	kc_buf_reset(tmp);
	kc_buf_printf(tmp, "%s %s", kc_report_str(r->id), kc_report_str(r->title));
	put(o, "title", jstr(tmp->ptr));
	kc_buf_reset(tmp);
	kc_report_message(tmp, r);
	put(o, "description", jstr(tmp->len ? tmp->ptr : kc_status_name(r->status)));
	json_object *props = json_object_new_array();
	prop(props, "status", kc_status_name(r->status));
	prop(props, "severity", kc_severity_name(r->severity));
	char num[16];
	snprintf(num, sizeof(num), "%d", r->level);
	prop(props, "level", num);
	prop(props, "scored", r->scored ? "true" : "false");
	prop(props, "target", r->target);
	prop(props, "exception", r->exception);
	put(o, "props", props);
	json_object *methods = json_object_new_array();
	json_object_array_add(methods, json_object_new_string("EXAMINE"));
	put(o, "methods", methods);
	if (r->nevidence) {
		json_object *ev = json_object_new_array();
		size_t shown = r->nevidence < KC_OSCAL_MAX_EVIDENCE ? r->nevidence : KC_OSCAL_MAX_EVIDENCE;
		for (size_t e = 0; e < shown; e++) {
			json_object *x = json_object_new_object();
			kc_buf_reset(tmp);
			kc_report_evidence_line(tmp, &r->evidence[e]);
			put(x, "description", jstr(tmp->ptr ? tmp->ptr : ""));
			json_object *xp = json_object_new_array();
			prop(xp, "kind", kc_evidence_kind_name(r->evidence[e].kind));
			prop(xp, "source", r->evidence[e].source);
			prop(xp, "sha256", r->evidence[e].sha256);
			put(x, "props", xp);
			json_object_array_add(ev, x);
		}
		if (shown < r->nevidence) {
			json_object *x = json_object_new_object();
			kc_buf_reset(tmp);
			kc_buf_printf(tmp, "%zu more evidence rows: the kubecomply JSON report lists every one",
				      r->nevidence - shown);
			put(x, "description", jstr(tmp->ptr));
			json_object_array_add(ev, x);
		}
		put(o, "relevant-evidence", ev);
	}
	put(o, "collected", when(run->finished ? run->finished : run->started));
	if (r->remediation && *r->remediation)
		put(o, "remarks", jstr(r->remediation));
	return o;
}

static json_object *finding(const struct kc_run *run, const struct kc_result *r, size_t i, struct kc_buf *tmp)
{
	json_object *f = json_object_new_object();
	put(f, "uuid", uuid_of(run, "finding", i));
	kc_buf_reset(tmp);
	kc_buf_printf(tmp, "%s %s", kc_report_str(r->id), kc_report_str(r->title));
	put(f, "title", jstr(tmp->ptr));
	kc_buf_reset(tmp);
	kc_buf_printf(tmp, "%s: ", kc_status_name(r->status));
	kc_report_message(tmp, r);
	put(f, "description", jstr(tmp->ptr));
	json_object *target = json_object_new_object(), *status = json_object_new_object();
	put(target, "type", json_object_new_string("objective-id"));
	control_id(tmp, run, r);
	put(target, "target-id", json_object_new_string(tmp->ptr));
	int ok = r->status == KC_PASS;
	put(status, "state", json_object_new_string(ok ? "satisfied" : "not-satisfied"));
	put(status, "reason", json_object_new_string(ok ? "pass" : r->status == KC_FAIL ? "fail" : "other"));
	kc_buf_reset(tmp);
	if (!ok && r->status != KC_FAIL)
		kc_buf_printf(tmp, "%s: %s", kc_status_name(r->status), r->reason ? r->reason : "not decided");
	if (r->exception && *r->exception)
		kc_buf_printf(tmp, "passed by documented exception: %s", r->exception);
	if (tmp->len)
		put(status, "remarks", jstr(tmp->ptr));
	put(target, "status", status);
	put(f, "target", target);
	json_object *rel = json_object_new_array(), *ro = json_object_new_object();
	put(ro, "observation-uuid", uuid_of(run, "observation", i));
	json_object_array_add(rel, ro);
	put(f, "related-observations", rel);
	return f;
}

static json_object *build(const struct kc_run *run)
{
	struct kc_buf tmp = KC_BUF_INIT;
	json_object *ar = json_object_new_object();
	put(ar, "uuid", uuid_of(run, "assessment-results", 0));

	json_object *md = json_object_new_object();
	kc_buf_printf(&tmp, "kubecomply %s assessment of %s", kc_report_str(run->benchmark),
		      run->host && *run->host ? run->host : "an unnamed host");
	put(md, "title", jstr(tmp.ptr));
	put(md, "last-modified", when(run->finished ? run->finished : run->started));
	put(md, "version", jstr(run->tool_version && *run->tool_version ? run->tool_version : "unknown"));
	put(md, "oscal-version", json_object_new_string("1.0.4"));
	put(ar, "metadata", md);

	json_object *imp = json_object_new_object();
	json_object *bench_uuid = uuid_of(run, "benchmark", 0);
	kc_buf_reset(&tmp);
	kc_buf_printf(&tmp, "#%s", json_object_get_string(bench_uuid));
	json_object_put(bench_uuid);
	put(imp, "href", json_object_new_string(tmp.ptr));
	put(imp, "remarks", json_object_new_string("No assessment plan: the plan is the benchmark named in back-matter."));
	put(ar, "import-ap", imp);

	json_object *res = json_object_new_object();
	put(res, "uuid", uuid_of(run, "result", 0));
	kc_buf_reset(&tmp);
	kc_buf_printf(&tmp, "%s on %s", kc_report_str(run->benchmark), run->host && *run->host ? run->host : "an unnamed host");
	put(res, "title", jstr(tmp.ptr));
	size_t counts[KC_STATUS_COUNT];
	kc_run_count(run, counts);
	kc_buf_reset(&tmp);
	kc_buf_printf(&tmp, "%zu checks: %zu PASS, %zu FAIL, %zu WARN, %zu SKIP, %zu ERROR", run->nresults,
		      counts[KC_PASS], counts[KC_FAIL], counts[KC_WARN], counts[KC_SKIP], counts[KC_ERROR]);
	put(res, "description", jstr(tmp.ptr));
	put(res, "start", when(run->started));
	if (run->finished)
		put(res, "end", when(run->finished));
	json_object *props = json_object_new_array();
	prop(props, "benchmark", run->benchmark);
	prop(props, "host", run->host);
	prop(props, "cluster", run->cluster);
	prop(props, "kubernetes-version", run->k8s_version);
	prop(props, "targets", run->targets);
	if (json_object_array_length(props))
		put(res, "props", props);
	else
		json_object_put(props);

	json_object *rc = json_object_new_object(), *sels = json_object_new_array(), *sel = json_object_new_object();
	if (run->nresults) {
		json_object *inc = json_object_new_array();
		for (size_t i = 0; i < run->nresults; i++) {
			json_object *c = json_object_new_object();
			control_id(&tmp, run, &run->results[i]);
			put(c, "control-id", json_object_new_string(tmp.ptr));
			json_object_array_add(inc, c);
		}
		put(sel, "include-controls", inc);
	} else {
		put(sel, "include-all", json_object_new_object());
	}
	json_object_array_add(sels, sel);
	put(rc, "control-selections", sels);
	put(res, "reviewed-controls", rc);

	if (run->nresults) {
		json_object *obs = json_object_new_array(), *fs = json_object_new_array();
		for (size_t i = 0; i < run->nresults; i++) {
			json_object_array_add(obs, observation(run, &run->results[i], i, &tmp));
			json_object_array_add(fs, finding(run, &run->results[i], i, &tmp));
		}
		put(res, "observations", obs);
		put(res, "findings", fs);
	}
	json_object *results = json_object_new_array();
	json_object_array_add(results, res);
	put(ar, "results", results);

	json_object *bm = json_object_new_object(), *resources = json_object_new_array(), *rsrc = json_object_new_object();
	put(rsrc, "uuid", uuid_of(run, "benchmark", 0));
	kc_buf_reset(&tmp);
	kc_buf_printf(&tmp, "CIS Kubernetes Benchmark (%s)", kc_report_str(run->benchmark));
	put(rsrc, "title", jstr(tmp.ptr));
	json_object *rlinks = json_object_new_array(), *rl = json_object_new_object();
	put(rl, "href", json_object_new_string("https://www.cisecurity.org/benchmark/kubernetes"));
	json_object_array_add(rlinks, rl);
	put(rsrc, "rlinks", rlinks);
	json_object_array_add(resources, rsrc);
	put(bm, "resources", resources);
	put(ar, "back-matter", bm);

	json_object *root = json_object_new_object();
	put(root, "assessment-results", ar);
	kc_buf_clear(&tmp);
	return root;
}

int kc_report_oscal_write(const struct kc_run *run, const char *path)
{
	return kc_report_json_document(build(run), path, "the OSCAL document");
}
