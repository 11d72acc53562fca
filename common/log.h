/* Operational log lines (not results: results go to the store and the reports). Plain text
 * for people at a terminal, or one JSON object per line (`--log-format json`) for a cluster's
 * log pipeline (Loki, Elasticsearch, Cloud Logging), which parses fields instead of text.
 *
 *   kc_log(KC_LOG_INFO, "audit saved as run %lld", (long long)run.id);
 *   kc_log_fields(KC_LOG_WARN, (const char *const[]){ "monitor", "bpf:exec", NULL },
 *                 "lost %llu events", lost);
 *
 * text: 2026-11-28T06:00:00.120Z warn: lost 3 events monitor=bpf:exec
 * json: {"time":"2026-11-28T06:00:00.120Z","level":"warn","msg":"lost 3 events","monitor":"bpf:exec"}
 *
 * Each line is formatted whole and written with one fwrite under the stream's lock, so lines
 * from the watch threads never interleave. Settings are process-wide. */
#ifndef KC_LOG_H
#define KC_LOG_H

#include <stdarg.h>
#include <stdio.h>

enum kc_log_level { KC_LOG_DEBUG, KC_LOG_INFO, KC_LOG_WARN, KC_LOG_ERROR };
enum kc_log_format { KC_LOG_TEXT, KC_LOG_JSON };

void kc_log_set_format(enum kc_log_format f);
enum kc_log_format kc_log_get_format(void);
/* "text" or "json"; KC_EINVAL (message set) otherwise. For --log-format. */
int kc_log_set_format_name(const char *name);
/* Lines below min are dropped (default KC_LOG_INFO). */
void kc_log_set_level(enum kc_log_level min);
/* "debug", "info", "warn", "error"; KC_EINVAL otherwise. For --log-level. */
int kc_log_level_parse(const char *name, enum kc_log_level *out);
const char *kc_log_level_name(enum kc_log_level l);
/* Where lines go (default stderr; NULL restores it). Borrowed: the caller keeps it open. */
void kc_log_set_stream(FILE *fp);

void kc_log(enum kc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kc_logv(enum kc_log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* fields: key, value, key, value, ..., NULL (a NULL value is skipped); keys should be plain
 * identifiers. In text they follow the message as key=value (values with spaces quoted). */
void kc_log_fields(enum kc_log_level level, const char *const *fields, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
