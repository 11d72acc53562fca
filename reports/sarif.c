/* SARIF 2.1.0 for results whose evidence points at a file and line (manifest scans of a
 * repository, node config files), in the subset GitHub code scanning accepts: one run,
 * tool.driver.rules with name/helpUri/security-severity, results with ruleId/ruleIndex/
 * level/message/locations and a partialFingerprint that survives line moves. FAIL is
 * "error", WARN is "warning"; PASS, SKIP and ERROR produce no result. A check with several
 * located evidence rows (one per failing object) yields one result per row, so each object
 * is its own alert.
 *
 * Consumers' limits decide the rest:
 * - GitHub rejects a run with more than 25,000 results: past KC_SARIF_MAX_RESULTS the most
 *   severe are kept (FAIL before WARN, critical before low, then run order) and one last
 *   result, of the rule `kubecomply/omitted`, says how many of each severity were left out
 *   and where the full list is (JSON / HTML reports);
 * - manifest files are relative to the audited root under %SRCROOT%, node files (config and
 *   file evidence, recorded as absolute paths on the audited host) relative to the host's
 *   "/" under NODEROOT; both are declared in run.originalUriBaseIds;
 * - an object covered by a documented exception is a result with a `suppressions` entry
 *   (kind external, the exception as justification), not silence: the reviewer sees it was
 *   accepted and by which entry. */
#include "reports/report.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/render.h"

/* The benchmark's own text: rules' help carries the remediation, this is where to read more. */
#define KC_SARIF_HELP_URI "https://www.cisecurity.org/benchmark/kubernetes"
#define KC_SARIF_OMITTED_RULE "kubecomply/omitted"

static json_object *jstr(const char *s) { return kc_report_json_string(s); }

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

/* A PASS reaches SARIF only through excepted objects: they read as the error they would be. */
static const char *level(const struct kc_result *r)
{
	return r->status == KC_WARN ? "warning" : "error";
}

static int located(const struct kc_evidence *ev)
{
	/* /proc/<pid>/cmdline has no line; API paths neither: only files with lines map to code */
	return ev->source && *ev->source && ev->line > 0;
}

static int is_excepted(const struct kc_evidence *ev)
{
	return ev->layer && strcmp(ev->layer, "exception") == 0;
}

/* Node evidence (config and file rows) names paths on the audited host; object rows name
 * manifest files of the scanned tree. */
static int node_file(const struct kc_evidence *ev)
{
	return ev->kind != KC_EV_OBJECT;
}

static void put_encoded(struct kc_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p))
			kc_buf_putc(b, (char)*p);
		else
			kc_buf_printf(b, "%%%02X", *p);
	}
}

/* Length of root without trailing slashes; 0 for no root or "/". */
static size_t root_len(const char *root)
{
	size_t rl = root ? strlen(root) : 0;
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	return rl;
}

/* A URI reference and the base id it is relative to (NULL: absolute file:// URI). Manifest
 * paths under the audited root become relative to it (%SRCROOT%); node paths become
 * relative to the audited host's "/" (NODEROOT), with the root prefix removed when the
 * evidence carries it. Every byte outside RFC 3986's unreserved set and "/" is
 * percent-encoded. */
static const char *put_uri(struct kc_buf *b, const char *source, const char *root, int node)
{
	size_t rl = root_len(root);
	if (rl && strncmp(source, root, rl) == 0 && source[rl] == '/')
		source += rl + 1;
	else if (node)
		while (*source == '/')
			source++;
	while (source[0] == '.' && source[1] == '/')
		source += 2;
	if (source[0] == '/') {
		kc_buf_puts(b, "file://");
		put_encoded(b, source);
		return NULL;
	}
	put_encoded(b, source);
	return node ? "NODEROOT" : "%SRCROOT%";
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
	kc_buf_clear(&in);
}

/* SARIF's rule name is an identifier ("NoUnusedVars"): the title in UpperCamelCase, letters
 * and digits only, at most 80 characters; "Check<id>" when the title has none. */
static void rule_name(struct kc_buf *b, const struct kc_result *r)
{
	int up = 1;
	for (const char *p = kc_report_str(r->title); *p && b->len < 80; p++) {
		char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			kc_buf_putc(b, up && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c);
			up = 0;
		} else {
			up = 1;
		}
	}
	if (!b->len) {
		kc_buf_puts(b, "Check");
		for (const char *p = kc_report_str(r->id); *p; p++)
			kc_buf_putc(b, (*p >= '0' && *p <= '9') ? *p : '_');
	}
}

static json_object *make_rule(const struct kc_run *run, const struct kc_result *r)
{
	struct kc_buf nb = KC_BUF_INIT;
	rule_name(&nb, r);
	const char *name = nb.ptr;
	json_object *rule = json_object_new_object();
	put(rule, "id", jstr(r->id));
	put(rule, "name", json_object_new_string(name));
	put(rule, "shortDescription", text_obj(r->title));
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s %s: %s", kc_report_str(run->benchmark), kc_report_str(r->id), kc_report_str(r->title));
	if (r->expected && *r->expected)
		kc_buf_printf(&b, " (expected: %s)", r->expected);
	put(rule, "fullDescription", text_obj(b.ptr));
	kc_buf_clear(&b);
	kc_buf_clear(&nb);
	if (r->remediation && *r->remediation)
		put(rule, "help", text_obj(r->remediation));
	/* the benchmark text itself; the rule's help carries the remediation */
	put(rule, "helpUri", json_object_new_string(KC_SARIF_HELP_URI));
	json_object *conf = json_object_new_object();
	put(conf, "level", json_object_new_string(level(r)));
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
	put(res, "level", json_object_new_string(level(r)));

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
	kc_buf_clear(&msg);

	struct kc_buf uri = KC_BUF_INIT;
	/* cleaned first: a URI percent-encodes UTF-8, never stray bytes */
	char *source = kc_report_clean(ev->source);
	const char *base = put_uri(&uri, source, run->root, node_file(ev));
	free(source);
	json_object *art = json_object_new_object();
	put(art, "uri", json_object_new_string(uri.ptr));
	if (base)
		put(art, "uriBaseId", json_object_new_string(base));
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
	kc_buf_clear(&fp);
	kc_buf_clear(&uri);

	json_object *props = json_object_new_object();
	put(props, "status", json_object_new_string(kc_status_name(r->status)));
	put(props, "severity", json_object_new_string(kc_severity_name(r->severity)));
	if (r->target)
		put(props, "target", jstr(r->target));
	put(res, "properties", props);
	if (is_excepted(ev)) {
		json_object *sup = json_object_new_object();
		put(sup, "kind", json_object_new_string("external"));
		put(sup, "status", json_object_new_string("accepted"));
		put(sup, "justification", jstr(ev->detail && *ev->detail ? ev->detail :
					       r->exception ? r->exception : "documented exception"));
		json_object *sups = json_object_new_array();
		json_object_array_add(sups, sup);
		put(res, "suppressions", sups);
	}
	return res;
}

/* One located evidence row that becomes a result. */
struct pick {
	size_t r, e;
	int rank;   /* lower is shown first when the run is capped */
};

static int rank_of(const struct kc_result *r, const struct kc_evidence *ev)
{
	/* suppressed rows last, then FAIL before WARN, then severity */
	return (is_excepted(ev) ? 100 : 0) + (r->status == KC_WARN ? 10 : 0) + (KC_SEV_CRITICAL - (int)r->severity);
}

static int by_rank(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->r != y->r)
		return x->r < y->r ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

static int by_order(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;
	if (x->r != y->r)
		return x->r < y->r ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

/* The result standing for every row past the cap, at the first left-out row's location
 * (GitHub refuses a result without one). */
static json_object *omitted_result(const struct kc_run *run, const struct pick *rest, size_t n, int rule_index)
{
	size_t by_sev[KC_SEV_CRITICAL + 1] = { 0 }, suppressed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kc_result *r = &run->results[rest[i].r];
		if (is_excepted(&r->evidence[rest[i].e]))
			suppressed++;
		else
			by_sev[r->severity]++;
	}
	struct kc_buf msg = KC_BUF_INIT;
	kc_buf_printf(&msg, "%zu more result%s left out: GitHub code scanning accepts at most %d per run, "
		      "the most severe were kept. Left out:", n, n == 1 ? " was" : "s were", KC_SARIF_MAX_RESULTS);
	const char *sep = " ";
	for (int s = KC_SEV_CRITICAL; s >= KC_SEV_INFO; s--)
		if (by_sev[s]) {
			kc_buf_printf(&msg, "%s%zu %s", sep, by_sev[s], kc_severity_name((enum kc_severity)s));
			sep = ", ";
		}
	if (suppressed)
		kc_buf_printf(&msg, "%s%zu excepted", sep, suppressed);
	kc_buf_puts(&msg, ". The JSON and HTML reports of this run list every one.");

	const struct kc_result *r = &run->results[rest[0].r];
	json_object *res = make_result(run, r, rule_index, &r->evidence[rest[0].e]);
	put(res, "ruleId", json_object_new_string(KC_SARIF_OMITTED_RULE));
	put(res, "level", json_object_new_string("warning"));
	put(res, "message", text_obj(msg.ptr));
	json_object_object_del(res, "suppressions");
	json_object *fps = json_object_new_object();
	put(fps, "kubecomply/v1", json_object_new_string("omitted"));
	put(res, "partialFingerprints", fps);
	json_object *props;
	if (json_object_object_get_ex(res, "properties", &props))
		put(props, "omitted", json_object_new_int64((int64_t)n));
	kc_buf_clear(&msg);
	return res;
}

static json_object *omitted_rule(void)
{
	json_object *rule = json_object_new_object();
	put(rule, "id", json_object_new_string(KC_SARIF_OMITTED_RULE));
	put(rule, "name", json_object_new_string("ResultsLeftOut"));
	put(rule, "shortDescription", text_obj("Results left out to stay within GitHub code scanning's limit"));
	put(rule, "fullDescription", text_obj("This run had more located results than GitHub code scanning accepts "
					      "in one run; the most severe were kept."));
	put(rule, "helpUri", json_object_new_string(KC_SARIF_HELP_URI));
	json_object *conf = json_object_new_object();
	put(conf, "level", json_object_new_string("warning"));
	put(rule, "defaultConfiguration", conf);
	return rule;
}

static json_object *base_ids(const struct kc_run *run)
{
	json_object *ids = json_object_new_object();
	json_object *src = json_object_new_object();
	size_t rl = root_len(run->root);
	/* "/" is the default root, not a statement about where the repository is: no uri then */
	if (run->root && run->root[0] == '/' && rl > 0) {
		struct kc_buf u = KC_BUF_INIT;
		kc_buf_puts(&u, "file://");
		char *clean = kc_report_clean(run->root);
		clean[rl] = '\0';
		put_encoded(&u, clean);
		free(clean);
		kc_buf_putc(&u, '/');
		put(src, "uri", json_object_new_string(u.ptr));
		kc_buf_clear(&u);
	}
	put(src, "description", text_obj("The audited root (--root): the scanned repository for manifest results"));
	put(ids, "%SRCROOT%", src);
	json_object *node = json_object_new_object();
	put(node, "uri", json_object_new_string("file:///"));
	put(node, "description", text_obj("The root of the audited node's file system"));
	put(ids, "NODEROOT", node);
	return ids;
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
	struct pick *picks = NULL;
	size_t npicks = 0, cap = 0;

	for (size_t i = 0; i < run->nresults; i++) {
		const struct kc_result *r = &run->results[i];
		rule_of[i] = -1;
		/* a PASS with an exception still shows its excepted objects, suppressed */
		int pass_excepted = r->status == KC_PASS && r->exception;
		if (r->status != KC_FAIL && r->status != KC_WARN && !pass_excepted)
			continue;
		for (size_t e = 0; e < r->nevidence; e++) {
			const struct kc_evidence *ev = &r->evidence[e];
			if (!located(ev) || (pass_excepted && !is_excepted(ev)))
				continue;
			if (npicks == cap) {
				cap = cap ? cap * 2 : 64;
				picks = kc_xrealloc(picks, cap * sizeof(*picks));
			}
			picks[npicks++] = (struct pick){ .r = i, .e = e, .rank = rank_of(r, ev) };
		}
	}
	size_t keep = npicks;
	if (npicks > KC_SARIF_MAX_RESULTS) {
		qsort(picks, npicks, sizeof(*picks), by_rank);
		keep = KC_SARIF_MAX_RESULTS - 1;
		/* the kept ones in run order, as an uncapped run lists them */
		qsort(picks, keep, sizeof(*picks), by_order);
	}

	for (size_t p = 0; p < keep; p++) {
		size_t i = picks[p].r;
		const struct kc_result *r = &run->results[i];
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
		json_object_array_add(results, make_result(run, r, rule_of[i], &r->evidence[picks[p].e]));
	}
	if (keep < npicks) {
		json_object_array_add(rules, omitted_rule());
		json_object_array_add(results, omitted_result(run, picks + keep, npicks - keep, nrules++));
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
	kc_buf_clear(&cat);
	json_object *inv = json_object_new_object();
	put(inv, "executionSuccessful", json_object_new_boolean(1));
	if (run->started)
		put(inv, "startTimeUtc", jstr(run->started));
	if (run->finished)
		put(inv, "endTimeUtc", jstr(run->finished));
	json_object *invs = json_object_new_array();
	json_object_array_add(invs, inv);
	put(sr, "invocations", invs);
	put(sr, "originalUriBaseIds", base_ids(run));
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

	int rc = kc_report_json_document(root, path, "SARIF");
	free(rule_of);
	free(picks);
	return rc;
}
