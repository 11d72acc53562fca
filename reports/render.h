/* What the report writers share: grouping results by CIS section, one human line per evidence
 * row, the "expected … got …" message, and text cleaning for formats that must stay valid
 * (XML 1.0 and JSON reject control characters and invalid UTF-8 that evidence may carry).
 * Semi-private to reports/: nothing outside this folder includes it. */
#ifndef KC_REPORT_RENDER_H
#define KC_REPORT_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "store/run.h"
#include "common/strbuf.h"

/* Results of one section, in run order; idx points into run->results. */
struct kc_report_section {
	const char *id;       /* "1.2", "" when the result has none */
	const char *title;    /* "API Server", "" when unknown */
	const char *target;   /* of the first result; "" when unknown */
	size_t *idx;
	size_t n, cap;
	size_t counts[KC_STATUS_COUNT];
	double seconds;       /* sum of the results' durations */
};

/* Sections in order of first appearance; *out freed with kc_report_sections_free. */
void kc_report_sections(const struct kc_run *run, struct kc_report_section **out, size_t *n);
void kc_report_sections_free(struct kc_report_section *s, size_t n);

/* Appends s with invalid UTF-8 and control characters other than tab / newline replaced by
 * U+FFFD, so that XML and JSON writers never emit an ill-formed document. */
void kc_report_put_clean(struct kc_buf *b, const char *s);
/* For text people read (HTML, terminal, diff): kc_report_put_clean, and every invisible
 * format control (bidi overrides and isolates, zero-width characters, BOM) shown as
 * "[U+202E]", so that a pod named with U+202E cannot display reversed or hide characters. */
void kc_report_put_visible(struct kc_buf *b, const char *s);
/* The same into a fresh string; caller frees. */
char *kc_report_clean(const char *s);

/* One line describing an evidence row (no newline), e.g.
 * "file /etc/kubernetes/admin.conf mode 0644 owner root:root". */
void kc_report_evidence_line(struct kc_buf *b, const struct kc_evidence *ev);
/* "expected X, got Y" or the reason for WARN/SKIP/ERROR. */
void kc_report_message(struct kc_buf *b, const struct kc_result *r);
/* "Pod default/nginx" or "ClusterRole admin"; empty for non-object rows. */
void kc_report_object_name(struct kc_buf *b, const struct kc_evidence *ev);

/* Seconds from a duration in milliseconds, never negative nor NaN (schemas want a decimal). */
double kc_report_seconds(double ms);
/* Writes what fprint renders to path atomically, or to stdout for "-" (the JSON writers). */
int kc_report_write_stream(const struct kc_run *run, const char *path,
			   int (*fprint)(const struct kc_run *run, FILE *fp));

struct json_object;
/* The JSON documents' one ending: root serialised pretty (no "\/" escapes) and written
 * atomically to path, or to stdout for "-"; root is released either way. what names the
 * document in errors ("the OSCAL document"). 0 or a negative code with a message. */
int kc_report_json_document(struct json_object *root, const char *path, const char *what);
/* A json-c string of s cleaned with kc_report_put_clean ("" for NULL): what every JSON writer
 * of reports/ puts in a document. */
struct json_object *kc_report_json_string(const char *s);

/* s or "" when NULL. */
static inline const char *kc_report_str(const char *s) { return s ? s : ""; }

#endif
