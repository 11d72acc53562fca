/* Prometheus text exposition of a run and of the store's runtime counters (see
 * reports/metrics.h for the metric list). */
#include "reports/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/atomic_file.h"
#include "common/error.h"

static const enum kc_severity severities[] = { KC_SEV_INFO, KC_SEV_LOW, KC_SEV_MEDIUM, KC_SEV_HIGH, KC_SEV_CRITICAL };

/* Label values escape backslash, double quote and newline, as the format requires. */
static void put_label(struct kc_buf *b, const char *name, const char *value, int first)
{
	if (!first)
		kc_buf_putc(b, ',');
	kc_buf_printf(b, "%s=\"", name);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\')
			kc_buf_puts(b, "\\\\");
		else if (*p == '"')
			kc_buf_puts(b, "\\\"");
		else if (*p == '\n')
			kc_buf_puts(b, "\\n");
		else
			kc_buf_putc(b, *p);
	}
	kc_buf_putc(b, '"');
}

static void header(struct kc_buf *b, const char *name, const char *type, const char *help)
{
	kc_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* "2026-11-28T06:00:00.120Z" -> seconds with milliseconds; -1 when unparsable. */
static int rfc3339_ms(const char *s, long long *sec, int *ms)
{
	struct tm tm = { 0 };
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int frac = 0, digits = 0;
	const char *p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
	while (digits > 0 && digits < 3)
		frac *= 10, digits++;
	*sec = (long long)timegm(&tm);
	*ms = frac;
	return 0;
}

static void render_run(const struct kc_run *run, struct kc_buf *b)
{
	size_t counts[KC_STATUS_COUNT][sizeof(severities) / sizeof(*severities)];
	memset(counts, 0, sizeof(counts));
	for (size_t i = 0; i < run->nresults; i++) {
		const struct kc_result *r = &run->results[i];
		if ((unsigned)r->status < KC_STATUS_COUNT && (unsigned)r->severity <= KC_SEV_CRITICAL)
			counts[r->status][r->severity]++;
	}
	header(b, "kubecomply_checks", "gauge", "Checks of the latest audit run by status and severity.");
	for (int s = 0; s < KC_STATUS_COUNT; s++)
		for (size_t v = 0; v < sizeof(severities) / sizeof(*severities); v++) {
			kc_buf_puts(b, "kubecomply_checks{");
			put_label(b, "benchmark", run->benchmark, 1);
			put_label(b, "host", run->host, 0);
			put_label(b, "status", kc_status_name((enum kc_status)s), 0);
			put_label(b, "severity", kc_severity_name(severities[v]), 0);
			kc_buf_printf(b, "} %zu\n", counts[s][v]);
		}
	header(b, "kubecomply_check_status", "gauge", "Status of each check in the latest audit run (1 for the current status).");
	for (size_t i = 0; i < run->nresults; i++) {
		const struct kc_result *r = &run->results[i];
		kc_buf_puts(b, "kubecomply_check_status{");
		put_label(b, "benchmark", run->benchmark, 1);
		put_label(b, "host", run->host, 0);
		put_label(b, "check", r->id, 0);
		put_label(b, "section", r->section, 0);
		put_label(b, "severity", kc_severity_name(r->severity), 0);
		put_label(b, "status", kc_status_name(r->status), 0);
		kc_buf_puts(b, "} 1\n");
	}
	long long sec;
	int ms;
	if (rfc3339_ms(run->finished ? run->finished : run->started, &sec, &ms) == 0) {
		header(b, "kubecomply_last_audit_timestamp_seconds", "gauge",
		       "When the latest audit run finished (Unix time).");
		kc_buf_puts(b, "kubecomply_last_audit_timestamp_seconds{");
		put_label(b, "benchmark", run->benchmark, 1);
		put_label(b, "host", run->host, 0);
		kc_buf_printf(b, "} %lld.%03d\n", sec, ms);
	}
	if (run->id > 0) {
		header(b, "kubecomply_last_audit_run_id", "gauge", "Evidence store id of the latest audit run.");
		kc_buf_puts(b, "kubecomply_last_audit_run_id{");
		put_label(b, "benchmark", run->benchmark, 1);
		put_label(b, "host", run->host, 0);
		kc_buf_printf(b, "} %lld\n", (long long)run->id);
	}
}

/* ---- counters over the whole store ---- */

static int finding_line(void *payload, const char *const *keys, const int64_t *values)
{
	struct kc_buf *b = payload;
	kc_buf_puts(b, "kubecomply_findings_total{");
	put_label(b, "rule", keys[0], 1);
	put_label(b, "severity", keys[1], 0);
	put_label(b, "source", keys[2], 0);
	kc_buf_printf(b, "} %lld\n", (long long)values[0]);
	return 0;
}

static int store_findings(struct kc_store *st, struct kc_buf *b)
{
	header(b, "kubecomply_findings_total", "counter", "Runtime findings recorded, by rule.");
	int rc = kc_store_finding_counts(st, finding_line, b);
	return rc < 0 ? kc_error_wrap(rc, "metrics: ") : 0;
}

struct gap_sum { const char *monitor; unsigned long long seen, lost, n; };

static void render_gaps(struct kc_buf *b, const struct gap_sum *g, size_t n)
{
	static const struct { const char *name, *help; } m[] = {
		{ "kubecomply_monitor_events_seen_total", "Events a monitor saw during its gaps." },
		{ "kubecomply_monitor_events_lost_total", "Events a monitor saw but could not deliver." },
		{ "kubecomply_monitor_gaps_total", "Periods in which a monitor was blind." },
	};
	for (size_t k = 0; k < 3; k++) {
		header(b, m[k].name, "counter", m[k].help);
		for (size_t i = 0; i < n; i++) {
			kc_buf_printf(b, "%s{", m[k].name);
			put_label(b, "monitor", g[i].monitor, 1);
			kc_buf_printf(b, "} %llu\n", k == 0 ? g[i].seen : k == 1 ? g[i].lost : g[i].n);
		}
	}
}

struct gap_list { struct gap_sum *g; size_t n, cap; };

static int gap_row(void *payload, const char *const *keys, const int64_t *values)
{
	struct gap_list *l = payload;
	l->g = kc_array_grow(l->g, &l->cap, l->n + 1, sizeof(*l->g));
	l->g[l->n++] = (struct gap_sum){ kc_strdup(keys[0]), (unsigned long long)values[0],
					 (unsigned long long)values[1], (unsigned long long)values[2] };
	return 0;
}

static int store_gaps(struct kc_store *st, struct kc_buf *b)
{
	struct gap_list l = { 0 };
	int rc = kc_store_gap_totals(st, gap_row, &l);
	if (rc == 0)
		render_gaps(b, l.g, l.n);
	for (size_t i = 0; i < l.n; i++)
		free((char *)l.g[i].monitor);
	free(l.g);
	return rc < 0 ? kc_error_wrap(rc, "metrics: ") : 0;
}

static int store_audit_events(struct kc_store *st, struct kc_buf *b)
{
	int64_t n;
	int rc = kc_store_audit_event_count(st, &n);
	if (rc < 0)
		return kc_error_wrap(rc, "metrics: ");
	header(b, "kubecomply_audit_events_ingested_total", "counter", "API server audit events stored.");
	kc_buf_printf(b, "kubecomply_audit_events_ingested_total %lld\n", (long long)n);
	return 0;
}

/* Without a store, the run's own findings and gaps (batch mode writes a file per run). */
static int cmp_finding(const void *a, const void *b)
{
	const struct kc_finding *x = *(const struct kc_finding *const *)a, *y = *(const struct kc_finding *const *)b;
	int c = strcmp(x->rule ? x->rule : "", y->rule ? y->rule : "");
	if (!c)
		c = (int)x->severity - (int)y->severity;
	if (!c)
		c = strcmp(x->source ? x->source : "", y->source ? y->source : "");
	return c;
}

static int cmp_gap(const void *a, const void *b)
{
	const struct kc_gap *x = *(const struct kc_gap *const *)a, *y = *(const struct kc_gap *const *)b;
	return strcmp(x->monitor ? x->monitor : "", y->monitor ? y->monitor : "");
}

static void run_counters(const struct kc_run *run, struct kc_buf *b)
{
	const struct kc_finding **f = kc_xcalloc(run->nfindings + 1, sizeof(*f));
	for (size_t i = 0; i < run->nfindings; i++)
		f[i] = &run->findings[i];
	qsort(f, run->nfindings, sizeof(*f), cmp_finding);
	header(b, "kubecomply_findings_total", "counter", "Runtime findings recorded, by rule.");
	for (size_t i = 0, j; i < run->nfindings; i = j) {
		for (j = i + 1; j < run->nfindings && cmp_finding(&f[i], &f[j]) == 0; j++)
			;
		kc_buf_puts(b, "kubecomply_findings_total{");
		put_label(b, "rule", f[i]->rule, 1);
		put_label(b, "severity", kc_severity_name(f[i]->severity), 0);
		put_label(b, "source", f[i]->source, 0);
		kc_buf_printf(b, "} %zu\n", j - i);
	}
	free(f);

	const struct kc_gap **g = kc_xcalloc(run->ngaps + 1, sizeof(*g));
	for (size_t i = 0; i < run->ngaps; i++)
		g[i] = &run->gaps[i];
	qsort(g, run->ngaps, sizeof(*g), cmp_gap);
	struct gap_sum *sum = kc_xcalloc(run->ngaps + 1, sizeof(*sum));
	size_t n = 0;
	for (size_t i = 0; i < run->ngaps; i++) {
		if (!n || cmp_gap(&g[i - 1], &g[i]) != 0)
			sum[n++].monitor = g[i]->monitor ? g[i]->monitor : "";
		sum[n - 1].seen += g[i]->seen;
		sum[n - 1].lost += g[i]->lost;
		sum[n - 1].n++;
	}
	render_gaps(b, sum, n);
	free(sum);
	free(g);
}

int kc_metrics_render(const struct kc_run *run, struct kc_store *st, struct kc_buf *out)
{
	struct kc_buf b = KC_BUF_INIT;
	struct kc_run loaded = { 0 };
	int rc = 0;
	header(&b, "kubecomply_build_info", "gauge", "The kubecomply version serving these metrics.");
	kc_buf_puts(&b, "kubecomply_build_info{");
	put_label(&b, "version", KC_VERSION, 1);
	kc_buf_puts(&b, "} 1\n");
	if (!run && st) {
		int64_t id;
		if ((rc = kc_store_latest_run(st, "audit", &id)) < 0)
			goto out;
		if (id > 0) {
			if ((rc = kc_store_load_run(st, id, &loaded)) < 0)
				goto out;
			run = &loaded;
		}
	}
	if (run)
		render_run(run, &b);
	if (st) {
		if ((rc = store_findings(st, &b)) < 0 || (rc = store_gaps(st, &b)) < 0 ||
		    (rc = store_audit_events(st, &b)) < 0)
			goto out;
	} else if (run) {
		run_counters(run, &b);
	}
	kc_buf_add(out, b.ptr, b.len);
out:
	kc_run_clear(&loaded);
	kc_buf_clear(&b);
	return rc;
}

int kc_metrics_write_file(const struct kc_run *run, struct kc_store *st, const char *path)
{
	struct kc_buf b = KC_BUF_INIT;
	struct kc_atomic_file af;
	int rc = kc_metrics_render(run, st, &b);
	if (rc < 0)
		goto out;
	if ((rc = kc_atomic_open(&af, path)) < 0)
		goto out;
	/* node-exporter reads the file as another user; metrics hold counts, not evidence */
	fchmod(fileno(af.fp), 0644);
	fwrite(b.ptr, 1, b.len, af.fp);
	rc = kc_atomic_commit(&af);
	kc_atomic_abort(&af);
out:
	kc_buf_clear(&b);
	return rc;
}
