/* SARIF 2.1.0 for results whose evidence points at a file and line (manifest scans of a
 * repository), in the subset GitHub code scanning accepts: one run, tool.driver.rules with
 * security-severity, results with ruleId/ruleIndex/level/message/locations and a
 * partialFingerprint that survives line moves. FAIL is "error", WARN is "warning"; PASS,
 * SKIP and ERROR produce no result. A check with several located evidence rows (one per
 * failing object) yields one result per row, so each object is its own alert. */
#include "reports/report.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/render.h"

static json_object *jstr(const char *s)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_report_put_clean(&b, s);
	json_object *o = json_object_new_string_len(b.ptr, (int)b.len);
	kc_buf_free(&b);
	return o;
}

static void put(json_object *obj, const char *key, json_object *val)
{
	json_object_object_add(obj, key, val);
}

static json_object *text_obj(const char *s)
{
	json_object *o = json_object_new_object();
	put(o, "text", jstr(s));
	return o;
}

/* GitHub's buckets: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. */
static const char *security_severity(enum kc_severity s)
{
	switch (s) {
	case KC_SEV_CRITICAL: return "9.5";
	case KC_SEV_HIGH: return "8.0";
	case KC_SEV_MEDIUM: return "5.5";
	case KC_SEV_LOW: return "3.0";
	case KC_SEV_INFO: break;
	}
	return "0.0";
}

static int located(const struct kc_evidence *ev)
{
	/* /proc/<pid>/cmdline has no line; API paths neither: only files with lines map to code */
	return ev->source && *ev->source && ev->line > 0;
}

/* A URI reference: paths under the audited root become relative to it (the repository
 * root for manifest scans), absolute paths become file:// URIs, and every byte outside
 * RFC 3986's unreserved set and "/" is percent-encoded. */
static void put_uri(struct kc_buf *b, const char *source, const char *root, int *relative)
{
	size_t rl = root ? strlen(root) : 0;
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl > 1 && strncmp(source, root, rl) == 0 && source[rl] == '/')
		source += rl + 1;
	while (source[0] == '.' && source[1] == '/')
		source += 2;
	*relative = source[0] != '/';
	if (!*relative)
		kc_buf_puts(b, "file://");
	for (const unsigned char *p = (const unsigned char *)source; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p))
			kc_buf_putc(b, (char)*p);
		else
			kc_buf_printf(b, "%%%02X", *p);
	}
}

static void fingerprint(struct kc_buf *out, const char *benchmark, const struct kc_result *r,
			const char *uri, const struct kc_evidence *ev)
{
	struct kc_buf in = KC_BUF_INIT;
	kc_buf_printf(&in, "%s\n%s\n%s\n", kc_report_str(benchmark), kc_report_str(r->id), uri);
	kc_report_object_name(&in, ev);
	kc_buf_printf(&in, "\n%s", kc_report_str(ev->key));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(in.ptr, in.len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n; i++)
		kc_buf_printf(out, "%02x", md[i]);
	kc_buf_free(&in);
}

static json_object *make_rule(const struct kc_run *run, const struct kc_result *r)
{
	json_object *rule = json_object_new_object();
	put(rule, "id", jstr(r->id));
	put(rule, "shortDescription", text_obj(r->title));
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s %s: %s", kc_report_str(run->benchmark), kc_report_str(r->id), kc_report_str(r->title));
	if (r->expected && *r->expected)
		kc_buf_printf(&b, " (expected: %s)", r->expected);
	put(rule, "fullDescription", text_obj(b.ptr));
	kc_buf_free(&b);
	if (r->remediation && *r->remediation)
		put(rule, "help", text_obj(r->remediation));
	json_object *conf = json_object_new_object();
	put(conf, "level", json_object_new_string(r->status == KC_WARN ? "warning" : "error"));
	put(rule, "defaultConfiguration", conf);
	json_object *props = json_object_new_object();
	json_object *tags = json_object_new_array();
	json_object_array_add(tags, json_object_new_string("security"));
	json_object_array_add(tags, json_object_new_string("compliance"));
	if (run->benchmark)
		json_object_array_add(tags, jstr(run->benchmark));
	if (r->target)
		json_object_array_add(tags, jstr(r->target));
	put(props, "tags", tags);
	put(props, "security-severity", json_object_new_string(security_severity(r->severity)));
	put(props, "precision", json_object_new_string("high"));
	put(props, "level", json_object_new_int(r->level));
	put(props, "scored", json_object_new_boolean(r->scored));
	put(rule, "properties", props);
	return rule;
}

static json_object *make_result(const struct kc_run *run, const struct kc_result *r, int rule_index,
				const struct kc_evidence *ev)
{
	json_object *res = json_object_new_object();
	put(res, "ruleId", jstr(r->id));
	put(res, "ruleIndex", json_object_new_int(rule_index));
	put(res, "level", json_object_new_string(r->status == KC_WARN ? "warning" : "error"));

	struct kc_buf msg = KC_BUF_INIT;
	kc_buf_printf(&msg, "%s %s: ", kc_report_str(r->id), kc_report_str(r->title));
	if (ev->kind == KC_EV_OBJECT) {
		kc_report_object_name(&msg, ev);
		kc_buf_puts(&msg, ": ");
	}
	if (ev->kind == KC_EV_OBJECT && ev->key && *ev->key) {
		kc_buf_printf(&msg, "%s", ev->key);
		if (ev->value)
			kc_buf_printf(&msg, " = %s", ev->value);
		if (ev->detail && *ev->detail)
			kc_buf_printf(&msg, " (%s)", ev->detail);
		if (r->expected && *r->expected)
			kc_buf_printf(&msg, "; expected %s", r->expected);
	} else {
		kc_report_message(&msg, r);
	}
	put(res, "message", text_obj(msg.ptr));
	kc_buf_free(&msg);

	struct kc_buf uri = KC_BUF_INIT;
	int relative = 0;
	/* cleaned first: a URI percent-encodes UTF-8, never stray bytes */
	char *source = kc_report_clean(ev->source);
	put_uri(&uri, source, run->root, &relative);
	free(source);
	json_object *art = json_object_new_object();
	put(art, "uri", json_object_new_string(uri.ptr));
	if (relative)
		put(art, "uriBaseId", json_object_new_string("%SRCROOT%"));
	json_object *region = json_object_new_object();
	put(region, "startLine", json_object_new_int64(ev->line));
	json_object *phys = json_object_new_object();
	put(phys, "artifactLocation", art);
	put(phys, "region", region);
	json_object *loc = json_object_new_object();
	put(loc, "physicalLocation", phys);
	json_object *locs = json_object_new_array();
	json_object_array_add(locs, loc);
	put(res, "locations", locs);

	struct kc_buf fp = KC_BUF_INIT;
	fingerprint(&fp, run->benchmark, r, uri.ptr, ev);
	json_object *fps = json_object_new_object();
	put(fps, "kubecomply/v1", json_object_new_string(fp.ptr));
	put(res, "partialFingerprints", fps);
	kc_buf_free(&fp);
	kc_buf_free(&uri);

	json_object *props = json_object_new_object();
	put(props, "status", json_object_new_string(kc_status_name(r->status)));
	put(props, "severity", json_object_new_string(kc_severity_name(r->severity)));
	if (r->target)
		put(props, "target", jstr(r->target));
	put(res, "properties", props);
	return res;
}

int kc_report_sarif_write(const struct kc_run *run, const char *path)
{
	json_object *root = json_object_new_object();
	put(root, "$schema", json_object_new_string("https://json.schemastore.org/sarif-2.1.0.json"));
	put(root, "version", json_object_new_string("2.1.0"));
	json_object *rules = json_object_new_array(), *results = json_object_new_array();
	/* rule index per result, -1 until a rule is emitted for that check */
	int *rule_of = kc_xcalloc(run->nresults + 1, sizeof(*rule_of));
	int nrules = 0;

	for (size_t i = 0; i < run->nresults; i++) {
		const struct kc_result *r = &run->results[i];
		rule_of[i] = -1;
		if (r->status != KC_FAIL && r->status != KC_WARN)
			continue;
		for (size_t e = 0; e < r->nevidence; e++) {
			if (!located(&r->evidence[e]))
				continue;
			if (rule_of[i] < 0) {
				/* a check id seen earlier (duplicate) shares its rule */
				for (size_t k = 0; k < i && rule_of[i] < 0; k++)
					if (rule_of[k] >= 0 && strcmp(kc_report_str(run->results[k].id), kc_report_str(r->id)) == 0)
						rule_of[i] = rule_of[k];
				if (rule_of[i] < 0) {
					json_object_array_add(rules, make_rule(run, r));
					rule_of[i] = nrules++;
				}
			}
			json_object_array_add(results, make_result(run, r, rule_of[i], &r->evidence[e]));
		}
	}

	json_object *driver = json_object_new_object();
	put(driver, "name", json_object_new_string("kubecomply"));
	if (run->tool_version)
		put(driver, "version", jstr(run->tool_version));
	put(driver, "rules", rules);
	json_object *tool = json_object_new_object();
	put(tool, "driver", driver);
	json_object *sr = json_object_new_object();
	put(sr, "tool", tool);
	/* GitHub keeps one analysis per category: one per benchmark */
	struct kc_buf cat = KC_BUF_INIT;
	kc_buf_printf(&cat, "kubecomply/%s/", run->benchmark ? run->benchmark : "cis");
	json_object *auto_ = json_object_new_object();
	put(auto_, "id", jstr(cat.ptr));
	put(sr, "automationDetails", auto_);
	kc_buf_free(&cat);
	json_object *inv = json_object_new_object();
	put(inv, "executionSuccessful", json_object_new_boolean(1));
	if (run->started)
		put(inv, "startTimeUtc", jstr(run->started));
	if (run->finished)
		put(inv, "endTimeUtc", jstr(run->finished));
	json_object *invs = json_object_new_array();
	json_object_array_add(invs, inv);
	put(sr, "invocations", invs);
	if (run->digest) { /* the run's seal (docs/evidence.md) */
		json_object *rp = json_object_new_object();
		put(rp, "evidenceDigest", jstr(run->digest));
		put(rp, "evidenceChainPosition", json_object_new_int64(run->chain_pos));
		put(sr, "properties", rp);
	}
	put(sr, "results", results);
	json_object *runs = json_object_new_array();
	json_object_array_add(runs, sr);
	put(root, "runs", runs);

	size_t len = 0;
	const char *text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	int rc = text ? kc_atomic_write(path, text, len) : kc_error_set(KC_EGENERIC, "%s: cannot serialise SARIF", path);
	json_object_put(root);
	free(rule_of);
	return rc;
}
