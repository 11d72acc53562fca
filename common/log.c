/* Log lines: formatted into one buffer, then written at once (see common/log.h). */
#include "common/log.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/strbuf.h"

static _Atomic int log_format = KC_LOG_TEXT;
static _Atomic int log_min = KC_LOG_INFO;
static FILE *_Atomic log_stream;

/* RFC 3339 UTC with milliseconds, as everywhere in kubecomply (common/ must not reach into
 * auditor/ for kc_time_now_rfc3339). */
static void put_now(struct kc_buf *b)
{
	struct timespec ts;
	struct tm tm;
	char buf[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	kc_buf_printf(b, "%s.%03ldZ", buf, ts.tv_nsec / 1000000);
}

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void kc_log_set_format(enum kc_log_format f) { atomic_store(&log_format, (int)f); }
enum kc_log_format kc_log_get_format(void) { return (enum kc_log_format)atomic_load(&log_format); }
void kc_log_set_level(enum kc_log_level min) { atomic_store(&log_min, (int)min); }
void kc_log_set_stream(FILE *fp) { atomic_store(&log_stream, fp); }

int kc_log_set_format_name(const char *name)
{
	if (name && strcmp(name, "text") == 0)
		kc_log_set_format(KC_LOG_TEXT);
	else if (name && strcmp(name, "json") == 0)
		kc_log_set_format(KC_LOG_JSON);
	else
		return kc_error_set(KC_EINVAL, "--log-format: expected text or json, not '%s'", name ? name : "");
	return 0;
}

const char *kc_log_level_name(enum kc_log_level l)
{
	return (unsigned)l < sizeof(level_names) / sizeof(*level_names) ? level_names[l] : "info";
}

int kc_log_level_parse(const char *name, enum kc_log_level *out)
{
	for (size_t i = 0; name && i < sizeof(level_names) / sizeof(*level_names); i++)
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum kc_log_level)i;
			return 0;
		}
	return kc_error_set(KC_EINVAL, "--log-level: expected debug, info, warn or error, not '%s'", name ? name : "");
}

/* Text lines stay one line each: a message (or a value from outside: a path, an audit event's
 * user) must not be able to start a forged line, so control characters are escaped. */
static void put_text(struct kc_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			kc_buf_puts(b, "\\n");
		else if (*p == '\r')
			kc_buf_puts(b, "\\r");
		else if (*p < 0x20 && *p != '\t')
			kc_buf_printf(b, "\\x%02x", *p);
		else
			kc_buf_putc(b, (char)*p);
	}
}

/* A text value is quoted when a reader splitting on spaces would cut it. */
static void put_text_value(struct kc_buf *b, const char *v)
{
	if (*v && strpbrk(v, " \t\n\"=") == NULL)
		kc_buf_puts(b, v);
	else
		kc_buf_put_json_str(b, v);
}

static void emit(enum kc_log_level level, const char *const *fields, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void emit(enum kc_log_level level, const char *const *fields, const char *fmt, va_list ap)
{
	if ((int)level < atomic_load(&log_min))
		return;
	struct kc_buf msg = KC_BUF_INIT, line = KC_BUF_INIT;
	kc_buf_vprintf(&msg, fmt, ap);
	/* a trailing newline from a caller would break JSON-lines framing in text mode too */
	while (msg.len && msg.ptr[msg.len - 1] == '\n')
		kc_buf_truncate(&msg, msg.len - 1);
	struct kc_buf now = KC_BUF_INIT;
	put_now(&now);
	if (atomic_load(&log_format) == KC_LOG_JSON) {
		kc_buf_puts(&line, "{\"time\":");
		kc_buf_put_json_str(&line, now.ptr);
		kc_buf_puts(&line, ",\"level\":");
		kc_buf_put_json_str(&line, kc_log_level_name(level));
		kc_buf_puts(&line, ",\"msg\":");
		kc_buf_put_json_str(&line, msg.ptr);
		for (size_t i = 0; fields && fields[i]; i += 2) {
			if (!fields[i + 1])
				continue;
			kc_buf_putc(&line, ',');
			kc_buf_put_json_str(&line, fields[i]);
			kc_buf_putc(&line, ':');
			kc_buf_put_json_str(&line, fields[i + 1]);
		}
		kc_buf_puts(&line, "}\n");
	} else {
		kc_buf_printf(&line, "%s %s: ", now.ptr, kc_log_level_name(level));
		put_text(&line, msg.ptr);
		for (size_t i = 0; fields && fields[i]; i += 2) {
			if (!fields[i + 1])
				continue;
			kc_buf_printf(&line, " %s=", fields[i]);
			put_text_value(&line, fields[i + 1]);
		}
		kc_buf_putc(&line, '\n');
	}
	FILE *fp = atomic_load(&log_stream);
	if (!fp)
		fp = stderr;
	flockfile(fp);
	fwrite(line.ptr, 1, line.len, fp);
	fflush(fp);
	funlockfile(fp);
	kc_buf_clear(&now);
	kc_buf_clear(&msg);
	kc_buf_clear(&line);
}

void kc_logv(enum kc_log_level level, const char *fmt, va_list ap)
{
	emit(level, NULL, fmt, ap);
}

void kc_log(enum kc_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(level, NULL, fmt, ap);
	va_end(ap);
}

void kc_log_fields(enum kc_log_level level, const char *const *fields, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(level, fields, fmt, ap);
	va_end(ap);
}
