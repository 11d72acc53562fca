/* Fleet report: many nodes' latest audit runs side by side (see reports/fleet.h). */
#include "reports/fleet.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "common/input.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/html_page.h"
#include "reports/render.h"

/* ---- loading ---- */

struct paths {
	char **v;
	size_t n, cap;
};

static void paths_add(struct paths *p, char *s)
{
	p->v = kc_array_grow(p->v, &p->cap, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = s;
}

static int add_dir(struct paths *p, const char *dir)
{
	char **names;
	size_t n;
	int rc = kc_dir_names(dir, ".db", &names, &n);
	if (rc < 0)
		return kc_error_set_errno(-rc, "%s: cannot list", dir);
	size_t first = p->n;
	for (size_t i = 0; i < n; i++) {
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_printf(&b, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		struct stat sb;
		if (stat(b.ptr, &sb) == 0 && S_ISREG(sb.st_mode))
			paths_add(p, kc_buf_detach(&b));
		else
			kc_buf_clear(&b);
	}
	kc_strv_free(names, n);
	if (p->n == first)
		return kc_error_set(KC_ENOTFOUND, "%s: no *.db evidence databases in this directory", dir);
	return 0;
}

static int latest_audit(struct kc_store *st, const char *path, int64_t *id)
{
	int rc = kc_store_latest_run(st, "audit", id);
	if (rc == 0 && *id == 0)
		rc = kc_error_set(KC_ENOTFOUND, "%s: no audit run in this database", path);
	return rc;
}

static int load_node(const char *path, struct kc_fleet_node *node)
{
	struct kc_store *st = NULL;
	int64_t id;
	/* read-only: a typo must not become an empty node */
	int rc = kc_store_open_mode(path, KC_STORE_READ_ONLY, &st);
	if (rc == 0 && (rc = latest_audit(st, path, &id)) == 0 && (rc = kc_store_load_run(st, id, &node->run)) < 0)
		kc_error_wrap(rc, "%s: ", path);
	kc_store_free(st);
	node->db = kc_strdup(path);
	return rc;
}

/* Benchmark ids compare by their numeric parts: 1.2.9 < 1.2.10 < 1.3. */
static int cmp_id(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			char *ea, *eb;
			unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea, b = eb;
		} else {
			if (*a != *b)
				return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
			a++, b++;
		}
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int cmp_check(const void *x, const void *y)
{
	const struct kc_fleet_check *a = x, *b = y;
	return cmp_id(a->first->id, b->first->id);
}

static void label_nodes(struct kc_fleet *f)
{
	for (size_t i = 0; i < f->nnodes; i++) {
		struct kc_fleet_node *n = &f->nodes[i];
		struct kc_buf b = KC_BUF_INIT;
		if (n->run.cluster && *n->run.cluster)
			kc_buf_printf(&b, "%s/", n->run.cluster);
		kc_buf_puts(&b, n->run.host && *n->run.host ? n->run.host : "unknown");
		for (size_t k = 0; k < i; k++)
			if (strcmp(f->nodes[k].label, b.ptr) == 0) {
				const char *base = strrchr(n->db, '/');
				kc_buf_printf(&b, " (%s)", base ? base + 1 : n->db);
				break;
			}
		n->label = kc_buf_detach(&b);
	}
}

static struct kc_fleet_check *find_check(struct kc_fleet *f, const char *id)
{
	for (size_t i = 0; i < f->nchecks; i++)
		if (strcmp(f->checks[i].first->id, id) == 0)
			return &f->checks[i];
	return NULL;
}

static void build_matrix(struct kc_fleet *f)
{
	size_t cap = 0;
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct kc_run *run = &f->nodes[i].run;
		for (size_t k = 0; k < run->nresults; k++) {
			const struct kc_result *r = &run->results[k];
			if (!r->id)
				continue;
			struct kc_fleet_check *c = find_check(f, r->id);
			if (!c) {
				f->checks = kc_array_grow(f->checks, &cap, f->nchecks + 1, sizeof(*f->checks));
				c = &f->checks[f->nchecks++];
				memset(c, 0, sizeof(*c));
				c->first = r;
				c->status = kc_xmalloc(f->nnodes * sizeof(*c->status));
				for (size_t n = 0; n < f->nnodes; n++)
					c->status[n] = -1;
			}
			c->status[i] = (int)r->status;
		}
	}
	qsort(f->checks, f->nchecks, sizeof(*f->checks), cmp_check);
	for (size_t i = 0; i < f->nchecks; i++) {
		struct kc_fleet_check *c = &f->checks[i];
		size_t count[KC_STATUS_COUNT] = { 0 };
		for (size_t n = 0; n < f->nnodes; n++)
			if (c->status[n] >= 0 && c->status[n] != KC_SKIP)
				count[c->status[n]]++;
		/* ties go to the better status: the order of enum kc_status is PASS, FAIL, WARN, SKIP, ERROR */
		c->majority = -1;
		for (int s = 0; s < KC_STATUS_COUNT; s++)
			if (count[s] && (c->majority < 0 || count[s] > count[c->majority]))
				c->majority = s;
		c->nmajority = c->majority >= 0 ? count[c->majority] : 0;
		for (size_t n = 0; n < f->nnodes; n++)
			if (c->majority >= 0 && c->status[n] >= 0 && c->status[n] != KC_SKIP && c->status[n] != c->majority) {
				c->ndrift++;
				f->nodes[n].ndrift++;
			}
		f->ndrift_checks += c->ndrift > 0;
	}
}

/* The loaded nodes labelled and compared, or freed on error. */
static int finish(struct kc_fleet *f, int rc, struct kc_fleet **out)
{
	if (rc < 0) {
		kc_fleet_free(f);
		return rc;
	}
	label_nodes(f);
	build_matrix(f);
	*out = f;
	return 0;
}

int kc_fleet_load(const char *const *paths, size_t npaths, struct kc_fleet **out)
{
	struct paths p = { 0 };
	struct kc_fleet *f = kc_xcalloc(1, sizeof(*f));
	int rc = 0;
	*out = NULL;
	for (size_t i = 0; i < npaths && rc == 0; i++) {
		struct stat sb;
		if (stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = add_dir(&p, paths[i]);
		else
			paths_add(&p, kc_strdup(paths[i]));
	}
	if (rc == 0 && p.n == 0)
		rc = kc_error_set(KC_EINVAL, "a fleet report needs at least one evidence database");
	if (rc == 0) {
		f->nodes = kc_xcalloc(p.n, sizeof(*f->nodes));
		for (size_t i = 0; i < p.n && rc == 0; i++, f->nnodes++)
			rc = load_node(p.v[i], &f->nodes[i]);
	}
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i]);
	free(p.v);
	return finish(f, rc, out);
}

int kc_fleet_load_store(const char *where, struct kc_fleet **out)
{
	struct kc_store *st = NULL;
	struct kc_fleet *f = kc_xcalloc(1, sizeof(*f));
	int64_t *ids = NULL;
	size_t n = 0;
	*out = NULL;
	int rc = kc_store_open_mode(where, KC_STORE_READ_ONLY, &st);
	if (rc == 0)
		rc = kc_store_fleet_runs(st, &ids, &n);
	if (rc == 0 && n == 0)
		rc = kc_error_set(KC_ENOTFOUND, "%s: no audit run in this store", kc_store_path(st));
	if (rc == 0)
		f->nodes = kc_xcalloc(n, sizeof(*f->nodes));
	for (size_t i = 0; rc == 0 && i < n; i++, f->nnodes++) {
		f->nodes[i].db = kc_strdup(kc_store_path(st));
		rc = kc_store_load_run(st, ids[i], &f->nodes[i].run);
	}
	free(ids);
	kc_store_free(st);
	return finish(f, rc, out);
}

void kc_fleet_free(struct kc_fleet *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nchecks; i++)
		free(f->checks[i].status);
	free(f->checks);
	for (size_t i = 0; i < f->nnodes; i++) {
		free(f->nodes[i].db);
		free(f->nodes[i].label);
		kc_run_clear(&f->nodes[i].run);
	}
	free(f->nodes);
	free(f);
}

/* ---- rendering ---- */

static int is_drift(const struct kc_fleet_check *c, size_t n)
{
	return c->majority >= 0 && c->status[n] >= 0 && c->status[n] != KC_SKIP && c->status[n] != c->majority;
}

/* Outside text for the terminal: controls and invisible format characters made visible. */
static const char *vis(struct kc_buf *b, const char *s)
{
	kc_buf_reset(b);
	kc_report_put_visible(b, s ? s : "");
	return b->ptr ? b->ptr : "";
}

static void render_text(const struct kc_fleet *f, FILE *fp)
{
	/* one buffer per argument: two vis() on one buffer in one call print the same text (which
	 * one depends on the compiler's order of evaluation) */
	struct kc_buf v1 = KC_BUF_INIT, v2 = KC_BUF_INIT, v3 = KC_BUF_INIT, v4 = KC_BUF_INIT;
	fprintf(fp, "fleet: %zu node%s, %zu checks, %zu check%s drift\n", f->nnodes, f->nnodes == 1 ? "" : "s",
		f->nchecks, f->ndrift_checks, f->ndrift_checks == 1 ? "" : "s");
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct kc_fleet_node *n = &f->nodes[i];
		size_t counts[KC_STATUS_COUNT];
		kc_run_count(&n->run, counts);
		fprintf(fp, "  %-24s run %lld %s %s  PASS %zu FAIL %zu WARN %zu SKIP %zu ERROR %zu  drift %zu  (%s)\n",
			vis(&v1, n->label), (long long)n->run.id, vis(&v2, n->run.benchmark ? n->run.benchmark : "-"),
			vis(&v3, n->run.started ? n->run.started : "-"), counts[KC_PASS], counts[KC_FAIL], counts[KC_WARN],
			counts[KC_SKIP], counts[KC_ERROR], n->ndrift, vis(&v4, n->db));
	}
	if (!f->ndrift_checks) {
		fputs("no drift: every node agrees with the majority on every check\n", fp);
		goto out;
	}
	fputs("drift (node status differs from the majority of the nodes that ran the check):\n", fp);
	for (size_t i = 0; i < f->nchecks; i++) {
		const struct kc_fleet_check *c = &f->checks[i];
		if (!c->ndrift)
			continue;
		fprintf(fp, "  %-8s %s\n           majority %s (%zu node%s);", vis(&v1, c->first->id), vis(&v2, c->first->title),
			kc_status_name((enum kc_status)c->majority), c->nmajority, c->nmajority == 1 ? "" : "s");
		for (size_t n = 0; n < f->nnodes; n++)
			if (is_drift(c, n))
				fprintf(fp, " %s %s", vis(&v1, f->nodes[n].label), kc_status_name((enum kc_status)c->status[n]));
		fputc('\n', fp);
	}
out:
	kc_buf_clear(&v1);
	kc_buf_clear(&v2);
	kc_buf_clear(&v3);
	kc_buf_clear(&v4);
}

static int render_json(const struct kc_fleet *f, const char *path)
{
	struct json_object *root = json_object_new_object(), *nodes = json_object_new_array(),
			   *checks = json_object_new_array();
	json_object_object_add(root, "schema", json_object_new_string("kubecomply.fleet/v1"));
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct kc_fleet_node *n = &f->nodes[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "label", json_object_new_string(n->label));
		json_object_object_add(o, "db", json_object_new_string(n->db));
		json_object_object_add(o, "run", json_object_new_int64(n->run.id));
		json_object_object_add(o, "host", n->run.host ? json_object_new_string(n->run.host) : NULL);
		json_object_object_add(o, "cluster", n->run.cluster ? json_object_new_string(n->run.cluster) : NULL);
		json_object_object_add(o, "benchmark", n->run.benchmark ? json_object_new_string(n->run.benchmark) : NULL);
		json_object_object_add(o, "started", n->run.started ? json_object_new_string(n->run.started) : NULL);
		json_object_object_add(o, "drift", json_object_new_int64((int64_t)n->ndrift));
		json_object_array_add(nodes, o);
	}
	for (size_t i = 0; i < f->nchecks; i++) {
		const struct kc_fleet_check *c = &f->checks[i];
		struct json_object *o = json_object_new_object(), *st = json_object_new_object(),
				   *drift = json_object_new_array();
		json_object_object_add(o, "id", json_object_new_string(c->first->id));
		json_object_object_add(o, "title", c->first->title ? json_object_new_string(c->first->title) : NULL);
		json_object_object_add(o, "section", c->first->section ? json_object_new_string(c->first->section) : NULL);
		json_object_object_add(o, "severity", json_object_new_string(kc_severity_name(c->first->severity)));
		json_object_object_add(o, "majority", c->majority >= 0 ? json_object_new_string(kc_status_name((enum kc_status)c->majority)) : NULL);
		for (size_t n = 0; n < f->nnodes; n++) {
			json_object_object_add(st, f->nodes[n].label,
					       c->status[n] >= 0 ? json_object_new_string(kc_status_name((enum kc_status)c->status[n])) : NULL);
			if (is_drift(c, n))
				json_object_array_add(drift, json_object_new_string(f->nodes[n].label));
		}
		json_object_object_add(o, "status", st);
		json_object_object_add(o, "drift", drift);
		json_object_array_add(checks, o);
	}
	json_object_object_add(root, "nodes", nodes);
	json_object_object_add(root, "checks", checks);
	struct json_object *sum = json_object_new_object();
	json_object_object_add(sum, "nodes", json_object_new_int64((int64_t)f->nnodes));
	json_object_object_add(sum, "checks", json_object_new_int64((int64_t)f->nchecks));
	json_object_object_add(sum, "drift_checks", json_object_new_int64((int64_t)f->ndrift_checks));
	json_object_object_add(root, "summary", sum);
	return kc_report_json_document(root, path, "the fleet report");
}

static void html_cell(struct kc_html *h, const struct kc_fleet_check *c, size_t n)
{
	int s = c->status[n];
	if (s < 0) {
		kc_html_raw(h, "<td>-</td>");
		return;
	}
	/* <mark> highlights without a style of our own: the page's CSP allows no inline styles */
	int drift = is_drift(c, n);
	kc_html_fmt(h, "<td%s>%s<span class=\"badge %s\">%s</span>%s</td>",
		    drift ? " class=\"drift\" title=\"differs from the majority\"" : "", drift ? "<mark class=\"drift-cell\">" : "",
		    kc_status_name((enum kc_status)s), kc_status_name((enum kc_status)s), drift ? " ≠</mark>" : "");
}

static void html_row(struct kc_html *h, const struct kc_fleet *f, const struct kc_fleet_check *c)
{
	/* ids never wrap ("5.2.10" split over two lines reads as two checks) */
	kc_html_raw(h, c->ndrift ? "<tr class=\"drifting\"><td class=\"cid\">" : "<tr><td class=\"cid\">");
	kc_html_text(h, c->first->id);
	kc_html_raw(h, "</td><td>");
	kc_html_text(h, c->first->title);
	kc_html_fmt(h, "</td><td>%s</td><td>%s</td>", kc_severity_name(c->first->severity),
		    c->majority >= 0 ? kc_status_name((enum kc_status)c->majority) : "-");
	for (size_t n = 0; n < f->nnodes; n++)
		html_cell(h, c, n);
	kc_html_raw(h, "</tr>\n");
}

static void html_table(struct kc_html *h, const struct kc_fleet *f, int drift_only, const char *id)
{
	/* a matrix of many nodes is wider than a phone: it scrolls inside its box, not the page */
	kc_html_fmt(h, "<div class=\"matrix\"><table id=\"%s\" class=\"fleet\"><thead><tr><th>Check</th><th>Title</th>"
		    "<th>Severity</th><th>Majority</th>", id);
	for (size_t n = 0; n < f->nnodes; n++) {
		kc_html_raw(h, "<th>");
		kc_html_text(h, f->nodes[n].label);
		kc_html_raw(h, "</th>");
	}
	kc_html_raw(h, "</tr></thead><tbody>\n");
	for (size_t i = 0; i < f->nchecks; i++)
		if (!drift_only || f->checks[i].ndrift) {
			html_row(h, f, &f->checks[i]);
			kc_html_flush(h, 0);
		}
	kc_html_raw(h, "</tbody></table></div>\n");
}

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

static int render_html(const struct kc_fleet *f, const char *path)
{
	struct kc_atomic_file af;
	int rc = kc_atomic_open(&af, path);
	if (rc < 0)
		return rc;
	struct kc_html h = { .b = KC_BUF_INIT, .tmp = KC_BUF_INIT, .fp = af.fp };
	kc_html_page_start(&h, "kubecomply: fleet report", 0);
	kc_html_fmt(&h, "<header class=\"head\"><div><h1>Fleet report</h1><p class=\"score\"><b id=\"fleet-drift\">%zu</b> "
		    "check%s drift</p><p>%zu node%s, %zu check%s</p><dl>", f->ndrift_checks, plural(f->ndrift_checks),
		    f->nnodes, plural(f->nnodes), f->nchecks, plural(f->nchecks));
	for (size_t n = 0; n < f->nnodes; n++) {
		const struct kc_fleet_node *nd = &f->nodes[n];
		kc_html_raw(&h, "<dt>");
		kc_html_text(&h, nd->label);
		kc_html_fmt(&h, "</dt><dd>run #%lld · ", (long long)nd->run.id);
		kc_html_text(&h, nd->run.benchmark);
		kc_html_raw(&h, " · ");
		kc_html_text(&h, nd->run.started);
		kc_html_fmt(&h, " · %sdrifts on %zu check%s%s · ", nd->ndrift ? "<mark>" : "", nd->ndrift, plural(nd->ndrift),
			    nd->ndrift ? "</mark>" : "");
		kc_html_text(&h, nd->db);
		kc_html_raw(&h, "</dd>");
	}
	kc_html_raw(&h, "</dl></div></header>\n");
	if (f->ndrift_checks) {
		kc_html_raw(&h, "<h2>Drifting checks</h2>\n<p>Highlighted: a node whose status differs from the majority "
				"of the nodes that ran the check (SKIP is not drift).</p>\n");
		html_table(&h, f, 1, "fleet-drifting");
	} else {
		kc_html_raw(&h, "<p>No drift: every node agrees with the majority on every check.</p>\n");
	}
	kc_html_raw(&h, "<h2>Every check</h2>\n");
	html_table(&h, f, 0, "fleet-all");
	return kc_html_page_finish(&h, &af, 0);
}

int kc_fleet_render(const struct kc_fleet *f, FILE *fp, const char *json_path, const char *html_path)
{
	int rc = 0;
	if (fp)
		render_text(f, fp);
	if (json_path && (rc = render_json(f, json_path)) < 0)
		return rc;
	if (html_path && (rc = render_html(f, html_path)) < 0)
		return rc;
	return 0;
}
