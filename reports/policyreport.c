/* PolicyReport / ClusterPolicyReport stream (see reports/policyreport.h for the shape). */
#include "reports/policyreport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>

#include "common/atomic_file.h"
#include "common/error.h"

#define PROP_MAX 2048

/* One entry of results[]: a check's result, or one object of it. */
struct entry {
	const struct kc_result *r;
	const char *result;                 /* pass, fail, warn, error, skip */
	const struct kc_evidence **rows;    /* the object's rows; NULL: every evidence row of r */
	size_t nrows, rows_cap;
	const struct kc_evidence *obj;      /* first row of the object, NULL for a whole result */
	int node;                           /* the resource is the audited Node */
	const char *exception;              /* detail of an excepted row */
};

struct report {
	char *ns;                           /* NULL: the ClusterPolicyReport */
	struct entry *e;
	size_t n, cap;
};

struct reports {
	struct report *r;
	size_t n, cap;
	size_t last;                        /* index of the report found last */
};

static const char *result_word(enum kc_status s)
{
	switch (s) {
	case KC_PASS: return "pass";
	case KC_FAIL: return "fail";
	case KC_WARN: return "warn";
	case KC_SKIP: return "skip";
	default: return "error";
	}
}

static struct report *report_for(struct reports *rs, const char *ns)
{
	/* consecutive objects are mostly in one namespace: try the last one first */
	if (rs->last < rs->n && ns && rs->r[rs->last].ns && strcmp(ns, rs->r[rs->last].ns) == 0)
		return &rs->r[rs->last];
	for (size_t i = 0; i < rs->n; i++)
		if ((!ns && !rs->r[i].ns) || (ns && rs->r[i].ns && strcmp(ns, rs->r[i].ns) == 0))
			return &rs->r[rs->last = i];
	rs->last = rs->n;
	rs->r = kc_array_grow(rs->r, &rs->cap, rs->n + 1, sizeof(*rs->r));
	struct report *r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	r->ns = kc_strdup(ns);
	return r;
}

static struct entry *add_entry(struct report *rep, const struct kc_result *r, const char *result)
{
	rep->e = kc_array_grow(rep->e, &rep->cap, rep->n + 1, sizeof(*rep->e));
	struct entry *e = &rep->e[rep->n++];
	memset(e, 0, sizeof(*e));
	e->r = r;
	e->result = result;
	return e;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_object(const struct kc_evidence *a, const struct kc_evidence *b)
{
	return same_str(a->obj_kind, b->obj_kind) && same_str(a->obj_namespace, b->obj_namespace) &&
	       same_str(a->obj_name, b->obj_name);
}

/* A Namespace row is about the namespace: its owners look in that namespace's report. */
static const char *object_ns(const struct kc_evidence *ev)
{
	if (ev->obj_namespace)
		return ev->obj_namespace;
	if (ev->obj_kind && strcmp(ev->obj_kind, "Namespace") == 0)
		return ev->obj_name;
	return NULL;
}

static int is_excepted(const struct kc_evidence *ev)
{
	return ev->layer && strcmp(ev->layer, "exception") == 0;
}

/* Object rows of one result sorted by object, then by position: each object's rows are then
 * adjacent, and 100,000 objects cost a sort, not a comparison of every pair. */
struct objrow {
	const struct kc_evidence *ev;
	size_t pos;
};

static int cmp_objrow(const void *a, const void *b)
{
	const struct objrow *x = a, *y = b;
	int c = strcmp(x->ev->obj_kind ? x->ev->obj_kind : "", y->ev->obj_kind ? y->ev->obj_kind : "");
	if (!c)
		c = (x->ev->obj_namespace != NULL) - (y->ev->obj_namespace != NULL);
	if (!c)
		c = strcmp(x->ev->obj_namespace ? x->ev->obj_namespace : "", y->ev->obj_namespace ? y->ev->obj_namespace : "");
	if (!c)
		c = (x->ev->obj_name != NULL) - (y->ev->obj_name != NULL);
	if (!c)
		c = strcmp(x->ev->obj_name ? x->ev->obj_name : "", y->ev->obj_name ? y->ev->obj_name : "");
	if (!c)
		c = x->pos < y->pos ? -1 : x->pos > y->pos;
	return c;
}

/* groups in order of their first row, as the evidence lists them */
static int cmp_first_pos(const void *a, const void *b)
{
	const struct objrow *x = *(const struct objrow *const *)a, *y = *(const struct objrow *const *)b;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void add_object_entries(struct reports *rs, const struct kc_result *r)
{
	struct objrow *rows = kc_xcalloc(r->nevidence + 1, sizeof(*rows));
	size_t n = 0;
	for (size_t i = 0; i < r->nevidence; i++)
		if (r->evidence[i].kind == KC_EV_OBJECT)
			rows[n++] = (struct objrow){ &r->evidence[i], i };
	qsort(rows, n, sizeof(*rows), cmp_objrow);
	const struct objrow **firsts = kc_xcalloc(n + 1, sizeof(*firsts));
	size_t ng = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || !same_object(rows[i - 1].ev, rows[i].ev))
			firsts[ng++] = &rows[i];
	qsort(firsts, ng, sizeof(*firsts), cmp_first_pos);
	for (size_t g = 0; g < ng; g++) {
		const struct kc_evidence *ev = firsts[g]->ev;
		struct entry *e = add_entry(report_for(rs, object_ns(ev)), r, result_word(r->status));
		e->obj = ev;
		for (const struct objrow *row = firsts[g]; row < rows + n && same_object(row->ev, ev); row++) {
			e->rows = kc_array_grow(e->rows, &e->rows_cap, e->nrows + 1, sizeof(*e->rows));
			e->rows[e->nrows++] = row->ev;
			if (is_excepted(row->ev) && !e->exception)
				e->exception = row->ev->detail ? row->ev->detail : "documented exception";
		}
		/* excepted objects are skipped, as Kyverno reports a PolicyException; a FAIL result
		 * may still hold excepted objects beside the failing ones */
		if (e->exception)
			e->result = "skip";
	}
	free(firsts);
	free(rows);
}

static int has_object_rows(const struct kc_result *r)
{
	for (size_t i = 0; i < r->nevidence; i++)
		if (r->evidence[i].kind == KC_EV_OBJECT)
			return 1;
	return 0;
}

static int cmp_report(const void *a, const void *b)
{
	const struct report *x = a, *y = b;
	if (!x->ns || !y->ns)
		return !x->ns ? (y->ns ? -1 : 0) : 1;
	return strcmp(x->ns, y->ns);
}

static int is_policies(const struct kc_result *r)
{
	return r->target && strcmp(r->target, "policies") == 0;
}

static void group(const struct kc_run *run, struct reports *rs, int *node_run)
{
	*node_run = 0;
	report_for(rs, NULL); /* always present, so applying it clears what was fixed */
	for (size_t i = 0; i < run->nresults; i++) {
		const struct kc_result *r = &run->results[i];
		if (is_policies(r) && has_object_rows(r)) {
			add_object_entries(rs, r);
		} else {
			struct entry *e = add_entry(report_for(rs, NULL), r, result_word(r->status));
			e->node = !is_policies(r);
			*node_run |= e->node;
		}
	}
	qsort(rs->r, rs->n, sizeof(*rs->r), cmp_report);
}

static void reports_clear(struct reports *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		for (size_t k = 0; k < rs->r[i].n; k++)
			free(rs->r[i].e[k].rows);
		free(rs->r[i].e);
		free(rs->r[i].ns);
	}
	free(rs->r);
}

/* ---- text helpers ---- */

/* Valid UTF-8 (libyaml's emitter refuses anything else): each invalid byte becomes U+FFFD. */
static void put_utf8(struct kc_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
		int ok = n > 0 && (size_t)(end - p) >= n;
		for (size_t k = 1; ok && k < n; k++)
			ok = (p[k] & 0xC0) == 0x80;
		if (ok && n == 2 && *p < 0xC2)
			ok = 0; /* overlong */
		if (ok && n == 3) {
			unsigned cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
			ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF;
		}
		if (ok && n == 4) {
			unsigned cp = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
			ok = cp >= 0x10000 && cp <= 0x10FFFF;
		}
		/* control characters other than tab and newline are not printable YAML either */
		if (ok && n == 1 && *p < 0x20 && *p != '\t' && *p != '\n')
			ok = 0;
		if (ok && n == 1 && *p == 0x7F)
			ok = 0;
		if (ok) {
			kc_buf_add(b, p, n);
			p += n;
		} else {
			kc_buf_puts(b, "\xEF\xBF\xBD");
			p++;
		}
	}
}

/* A plain scalar a YAML 1.1 reader (sigs.k8s.io/yaml, PyYAML) would type as something other
 * than a string: quote it. */
static int ambiguous(const char *s)
{
	static const char *const words[] = { "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n" };
	if (!*s)
		return 1;
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	return strchr("0123456789+-.", *s) != NULL;
}

/* ---- emitter ---- */

struct em {
	yaml_emitter_t e;
	int failed;
	struct kc_buf tmp;
	struct kc_buf *out;   /* what the emitter wrote so far */
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	kc_buf_add(data, buffer, size);
	return 1;
}

static void emit(struct em *m, yaml_event_t *ev)
{
	if (!m->failed && !yaml_emitter_emit(&m->e, ev))
		m->failed = 1;
}

static void scalar_style(struct em *m, const char *s, size_t len, int quote_if_ambiguous)
{
	yaml_event_t ev;
	kc_buf_reset(&m->tmp);
	put_utf8(&m->tmp, s, len);
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	if (quote_if_ambiguous && ambiguous(m->tmp.ptr))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (memchr(m->tmp.ptr, '\n', m->tmp.len))
		style = YAML_LITERAL_SCALAR_STYLE;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)m->tmp.ptr, (int)m->tmp.len, 1, 1, style)) {
		m->failed = 1;
		return;
	}
	emit(m, &ev);
}

static void str(struct em *m, const char *s) { scalar_style(m, s ? s : "", strlen(s ? s : ""), 1); }

/* numbers and booleans: plain, so that readers type them */
static void plain(struct em *m, const char *s) { scalar_style(m, s, strlen(s), 0); }

static void num(struct em *m, long long v)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", v);
	plain(m, b);
}

static void map_start(struct em *m)
{
	yaml_event_t ev;
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	emit(m, &ev);
}

static void seq_start(struct em *m)
{
	yaml_event_t ev;
	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	emit(m, &ev);
}

static void map_end(struct em *m) { yaml_event_t ev; yaml_mapping_end_event_initialize(&ev); emit(m, &ev); }
static void seq_end(struct em *m) { yaml_event_t ev; yaml_sequence_end_event_initialize(&ev); emit(m, &ev); }

static void kv(struct em *m, const char *key, const char *value)
{
	if (!value)
		return;
	str(m, key);
	str(m, value);
}

/* properties are strings of at most PROP_MAX bytes */
static void prop(struct em *m, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	size_t len = strlen(value);
	str(m, key);
	if (len <= PROP_MAX) {
		str(m, value);
		return;
	}
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_add(&b, value, PROP_MAX);
	kc_buf_puts(&b, "...");
	str(m, b.ptr);
	kc_buf_clear(&b);
}

/* ---- names ---- */

/* A DNS-1123 subdomain (object names) or label value: lower case, [a-z0-9.-], alphanumeric at
 * both ends, at most max bytes. */
static void put_dns(struct kc_buf *b, const char *s, size_t max)
{
	size_t start = b->len;
	for (const char *p = s ? s : ""; *p && b->len - start < max; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
		if (!ok)
			c = '-';
		if (b->len == start && (c == '-' || c == '.'))
			continue;
		kc_buf_putc(b, c);
	}
	while (b->len > start && (b->ptr[b->len - 1] == '-' || b->ptr[b->len - 1] == '.'))
		kc_buf_truncate(b, b->len - 1);
	if (b->len == start)
		kc_buf_puts(b, "unknown");
}

static const char *api_version(const char *kind)
{
	static const struct { const char *kind, *api; } t[] = {
		{ "Pod", "v1" }, { "Namespace", "v1" }, { "ServiceAccount", "v1" }, { "Service", "v1" },
		{ "ConfigMap", "v1" }, { "Secret", "v1" }, { "Node", "v1" }, { "ReplicationController", "v1" },
		{ "PodTemplate", "v1" }, { "PersistentVolume", "v1" }, { "PersistentVolumeClaim", "v1" },
		{ "Deployment", "apps/v1" }, { "DaemonSet", "apps/v1" }, { "StatefulSet", "apps/v1" },
		{ "ReplicaSet", "apps/v1" }, { "Job", "batch/v1" }, { "CronJob", "batch/v1" },
		{ "Role", "rbac.authorization.k8s.io/v1" }, { "ClusterRole", "rbac.authorization.k8s.io/v1" },
		{ "RoleBinding", "rbac.authorization.k8s.io/v1" },
		{ "ClusterRoleBinding", "rbac.authorization.k8s.io/v1" },
		{ "NetworkPolicy", "networking.k8s.io/v1" },
		{ "ValidatingWebhookConfiguration", "admissionregistration.k8s.io/v1" },
		{ "MutatingWebhookConfiguration", "admissionregistration.k8s.io/v1" },
		{ "ValidatingAdmissionPolicy", "admissionregistration.k8s.io/v1" },
	};
	for (size_t i = 0; kind && i < sizeof(t) / sizeof(*t); i++)
		if (strcmp(kind, t[i].kind) == 0)
			return t[i].api;
	return NULL;
}

/* ---- one result ---- */

static void evidence_line(struct kc_buf *b, const struct kc_evidence *ev)
{
	kc_buf_puts(b, kc_evidence_kind_name(ev->kind));
	if (ev->obj_kind)
		kc_buf_printf(b, " %s %s%s%s", ev->obj_kind, ev->obj_namespace ? ev->obj_namespace : "",
			      ev->obj_namespace ? "/" : "", ev->obj_name ? ev->obj_name : "");
	if (ev->source) {
		kc_buf_printf(b, " %s", ev->source);
		if (ev->line > 0)
			kc_buf_printf(b, ":%ld", ev->line);
	}
	if (ev->key)
		kc_buf_printf(b, " %s", ev->key);
	if (ev->value)
		kc_buf_printf(b, " = %s", ev->value);
	if (ev->has_stat)
		kc_buf_printf(b, " mode %04o %s:%s", ev->mode & 07777, ev->owner ? ev->owner : "?", ev->group ? ev->group : "?");
	if (ev->layer)
		kc_buf_printf(b, " [%s]", ev->layer);
	if (ev->detail)
		kc_buf_printf(b, ": %s", ev->detail);
	kc_buf_putc(b, '\n');
}

static void message(struct kc_buf *b, const struct entry *e)
{
	const struct kc_result *r = e->r;
	if (e->obj) {
		const struct kc_evidence *o = e->obj;
		kc_buf_printf(b, "%s %s%s%s", o->obj_kind ? o->obj_kind : "object", o->obj_namespace ? o->obj_namespace : "",
			      o->obj_namespace ? "/" : "", o->obj_name ? o->obj_name : "");
		if (o->detail)
			kc_buf_printf(b, ": %s", o->detail);
		else if (o->key)
			kc_buf_printf(b, ": %s = %s", o->key, o->value ? o->value : "");
		return;
	}
	if (r->status != KC_PASS && r->status != KC_FAIL && r->reason)
		kc_buf_puts(b, r->reason);
	else if (r->actual)
		kc_buf_puts(b, r->actual);
	else if (r->title)
		kc_buf_puts(b, r->title);
	if (r->exception)
		kc_buf_printf(b, " (exception: %s)", r->exception);
}

static void resource(struct em *m, const char *kind, const char *ns, const char *name)
{
	map_start(m);
	kv(m, "apiVersion", api_version(kind));
	kv(m, "kind", kind);
	kv(m, "namespace", ns);
	kv(m, "name", name);
	map_end(m);
}

static void emit_entry(struct em *m, const struct kc_run *run, const struct entry *e, long long sec, long nanos)
{
	const struct kc_result *r = e->r;
	struct kc_buf b = KC_BUF_INIT;
	map_start(m);
	kv(m, "policy", run->benchmark ? run->benchmark : "kubecomply");
	kv(m, "rule", r->id);
	kv(m, "result", e->result);
	str(m, "scored");
	plain(m, r->scored ? "true" : "false"); /* the API's `scored` is a boolean */
	kv(m, "severity", kc_severity_name(r->severity));
	kc_buf_printf(&b, "%s %s", r->section ? r->section : "", r->section_title ? r->section_title : "");
	kv(m, "category", b.ptr);
	kc_buf_reset(&b);
	message(&b, e);
	kv(m, "message", b.ptr);
	if (e->obj || e->node) {
		str(m, "resources");
		seq_start(m);
		if (e->obj)
			resource(m, e->obj->obj_kind, e->obj->obj_namespace, e->obj->obj_name);
		else
			resource(m, "Node", NULL, run->host);
		seq_end(m);
	}
	str(m, "timestamp");
	map_start(m);
	str(m, "seconds");
	num(m, sec);
	str(m, "nanos");
	num(m, nanos);
	map_end(m);
	kv(m, "source", "kubecomply");
	str(m, "properties");
	map_start(m);
	prop(m, "title", r->title);
	prop(m, "status", kc_status_name(r->status));
	prop(m, "target", r->target);
	kc_buf_reset(&b);
	kc_buf_printf(&b, "%d", r->level);
	prop(m, "level", b.ptr);
	prop(m, "expected", r->expected);
	prop(m, "actual", r->actual);
	prop(m, "reason", r->reason);
	prop(m, "exception", e->exception ? e->exception : r->exception);
	kc_buf_reset(&b);
	if (e->rows)
		for (size_t i = 0; i < e->nrows; i++)
			evidence_line(&b, e->rows[i]);
	else
		for (size_t i = 0; i < r->nevidence; i++)
			evidence_line(&b, &r->evidence[i]);
	if (b.len)
		kc_buf_truncate(&b, b.len - 1);
	prop(m, "evidence", b.ptr);
	prop(m, "remediation", r->remediation);
	map_end(m);
	map_end(m);
	kc_buf_clear(&b);
}

/* ---- one report ---- */

static void labels(struct em *m, const struct kc_run *run, int part)
{
	struct kc_buf b = KC_BUF_INIT;
	str(m, "labels");
	map_start(m);
	kv(m, "app.kubernetes.io/managed-by", "kubecomply");
	put_dns(&b, run->benchmark ? run->benchmark : "kubecomply", 63);
	kv(m, "kubecomply.io/benchmark", b.ptr);
	kc_buf_reset(&b);
	kc_buf_printf(&b, "%d", part);
	kv(m, "kubecomply.io/part", b.ptr);
	map_end(m);
	str(m, "annotations");
	map_start(m);
	kv(m, "kubecomply.io/host", run->host);
	kv(m, "kubecomply.io/cluster", run->cluster);
	kc_buf_reset(&b);
	kc_buf_printf(&b, "%lld", (long long)run->id);
	kv(m, "kubecomply.io/run-id", b.ptr);
	kv(m, "kubecomply.io/started", run->started);
	kv(m, "kubecomply.io/tool-version", run->tool_version);
	kv(m, "kubecomply.io/evidence-digest", run->digest); /* the run's seal (docs/evidence.md) */
	if (run->digest) {
		kc_buf_reset(&b);
		kc_buf_printf(&b, "%lld", (long long)run->chain_pos);
		kv(m, "kubecomply.io/evidence-chain-position", b.ptr);
	}
	map_end(m);
	kc_buf_clear(&b);
}

/* Opens part `part` of a report: document, metadata (name numbered from the second part on),
 * scope, and the results sequence. */
static void open_part(struct em *m, const struct kc_run *run, const struct report *rep, int node_run, int part)
{
	struct kc_buf name = KC_BUF_INIT;
	yaml_event_t ev;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
	emit(m, &ev);
	map_start(m);
	kv(m, "apiVersion", "wgpolicyk8s.io/v1alpha2");
	kv(m, "kind", rep->ns ? "PolicyReport" : "ClusterPolicyReport");
	str(m, "metadata");
	map_start(m);
	kc_buf_puts(&name, "kubecomply-");
	put_dns(&name, run->benchmark ? run->benchmark : "run", 60);
	if (!rep->ns) {
		kc_buf_puts(&name, node_run ? "-node-" : "-cluster");
		if (node_run) /* an object name is at most 253 bytes, "-NNNNNN" included */
			put_dns(&name, run->host, 245 - name.len);
	}
	if (part > 1)
		kc_buf_printf(&name, "-%d", part);
	kv(m, "name", name.ptr);
	kv(m, "namespace", rep->ns);
	labels(m, run, part);
	map_end(m);
	if (!rep->ns && node_run) {
		str(m, "scope");
		resource(m, "Node", NULL, run->host);
	}
	str(m, "results");
	seq_start(m);
	kc_buf_clear(&name);
}

/* Closes a part: its summary counts the results it holds, entries [from, to). */
static void close_part(struct em *m, const struct report *rep, size_t from, size_t to)
{
	yaml_event_t ev;
	seq_end(m);
	size_t counts[5] = { 0 };
	static const char *const words[5] = { "pass", "fail", "warn", "error", "skip" };
	for (size_t i = from; i < to; i++)
		for (size_t k = 0; k < 5; k++)
			counts[k] += strcmp(rep->e[i].result, words[k]) == 0;
	str(m, "summary");
	map_start(m);
	for (size_t k = 0; k < 5; k++) {
		str(m, words[k]);
		num(m, (long long)counts[k]);
	}
	map_end(m);
	map_end(m);
	yaml_document_end_event_initialize(&ev, 1);
	emit(m, &ev);
}

/* The current length of the output; the emitter holds a few events back, so this lags by at
 * most one entry, which the part budget leaves room for. */
static size_t emitted(struct em *m)
{
	if (!m->failed && !yaml_emitter_flush(&m->e))
		m->failed = 1;
	return m->out->len;
}

/* One report, split into parts of about KC_POLICYREPORT_PART_BYTES of YAML each (summary after
 * results: key order means nothing to readers, and the counts are known only then). */
static void emit_report(struct em *m, const struct kc_run *run, const struct report *rep, int node_run,
			long long sec, long nanos)
{
	int part = 1;
	size_t from = 0;
	open_part(m, run, rep, node_run, part);
	size_t start = emitted(m);
	for (size_t i = 0; i < rep->n; i++) {
		emit_entry(m, run, &rep->e[i], sec, nanos);
		if (i + 1 < rep->n && emitted(m) - start >= KC_POLICYREPORT_PART_BYTES) {
			close_part(m, rep, from, i + 1);
			from = i + 1;
			open_part(m, run, rep, node_run, ++part);
			start = emitted(m);
		}
	}
	close_part(m, rep, from, rep->n);
}

/* The run's finish time (else its start) as seconds and nanoseconds; now when unparsable. */
static void run_time(const struct kc_run *run, long long *sec, long *nanos)
{
	const char *s = run->finished ? run->finished : run->started;
	struct tm tm = { 0 };
	int n = 0;
	*sec = (long long)time(NULL);
	*nanos = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, &n) != 6)
		return;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*sec = (long long)timegm(&tm);
	if (s[n] == '.') {
		long scale = 100000000;
		for (const char *p = s + n + 1; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			*nanos += (*p - '0') * scale;
	}
}

int kc_report_policyreport_render(const struct kc_run *run, struct kc_buf *out)
{
	struct reports rs = { 0 };
	struct em m = { .tmp = KC_BUF_INIT };
	struct kc_buf b = KC_BUF_INIT;
	yaml_event_t ev;
	int node_run, rc = 0;
	long long sec;
	long nanos;
	if (!yaml_emitter_initialize(&m.e))
		return kc_error_set(KC_EGENERIC, "policy report: cannot initialise the YAML emitter");
	yaml_emitter_set_output(&m.e, write_handler, &b);
	m.out = &b;
	yaml_emitter_set_unicode(&m.e, 1);
	yaml_emitter_set_width(&m.e, -1);
	group(run, &rs, &node_run);
	run_time(run, &sec, &nanos);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(&m, &ev);
	for (size_t i = 0; i < rs.n; i++)
		emit_report(&m, run, &rs.r[i], node_run, sec, nanos);
	yaml_stream_end_event_initialize(&ev);
	emit(&m, &ev);
	if (!m.failed && !yaml_emitter_flush(&m.e))
		m.failed = 1;
	if (m.failed)
		rc = kc_error_set(KC_EGENERIC, "policy report: YAML emitter: %s", m.e.problem ? m.e.problem : "failed");
	else
		kc_buf_add(out, b.ptr, b.len);
	yaml_emitter_delete(&m.e);
	reports_clear(&rs);
	kc_buf_clear(&m.tmp);
	kc_buf_clear(&b);
	return rc;
}

int kc_report_policyreport_write(const struct kc_run *run, const char *path)
{
	struct kc_buf b = KC_BUF_INIT;
	int rc = kc_report_policyreport_render(run, &b);
	if (rc < 0)
		goto out;
	rc = kc_atomic_write(path, b.ptr ? b.ptr : "", b.len);
out:
	kc_buf_clear(&b);
	return rc;
}
