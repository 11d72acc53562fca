/* Every output renders a kc_run (from an audit just made, or loaded from the store), so any
 * stored run can be rendered again. Each writer goes through common/atomic_file.h: a report
 * file is complete or absent. */
#ifndef KC_REPORT_H
#define KC_REPORT_H

#include <stdio.h>

#include "store/run.h"
#include "store/store.h"

/* JSON report (schema in docs/json-schema.md). */
int kc_report_json_write(const struct kc_run *run, const char *path);
/* Writes the same JSON to a buffer-backed stream (used by tests and `-` for stdout). */
int kc_report_json_fprint(const struct kc_run *run, FILE *fp);

/* kube-bench's JSON shape ({"Controls": [...], "Totals": {...}}, reports/kubebench.c), for tools
 * that import kube-bench results; `-` writes to stdout. */
int kc_report_kubebench_write(const struct kc_run *run, const char *path);
int kc_report_kubebench_fprint(const struct kc_run *run, FILE *fp);

/* OSCAL Assessment Results 1.0.4 JSON (reports/oscal.c); `-` writes to stdout. */
int kc_report_oscal_write(const struct kc_run *run, const char *path);

/* Terminal summary in kube-bench's shape; colour when use_color. verbose adds evidence. */
struct kc_term_opts { int color; int quiet; int verbose; };
void kc_report_term_print(const struct kc_run *run, FILE *fp, const struct kc_term_opts *o);

/* JUnit XML with libxml2's xmlwriter (reports/junit.c). */
int kc_report_junit_write(const struct kc_run *run, const char *path);
/* Self-contained HTML (reports/html.c); st (may be NULL) supplies drift and trend. */
int kc_report_html_write(const struct kc_run *run, struct kc_store *st, const char *path);
/* SARIF 2.1.0 for results with file locations (reports/sarif.c); at most KC_SARIF_MAX_RESULTS
 * results (GitHub code scanning's per-run limit), the last one summarising what was left out. */
#define KC_SARIF_MAX_RESULTS 25000
int kc_report_sarif_write(const struct kc_run *run, const char *path);

/* Drift between two runs (reports/diff.c): text to fp, and JSON / HTML files when given. */
int kc_report_diff(const struct kc_run *a, const struct kc_run *b, FILE *fp,
		   const char *json_path, const char *html_path);

#endif
