#include "reports/render.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/error.h"

void kc_report_sections(const struct kc_run *run, struct kc_report_section **out, size_t *n)
{
	struct kc_report_section *s = NULL;
	size_t ns = 0, cap = 0, last = 0;
	for (size_t i = 0; i < run->nresults; i++) {
		const struct kc_result *r = &run->results[i];
		const char *id = kc_report_str(r->section);
		size_t k = ns;
		/* results arrive grouped by section, so the last one matched is tried first */
		if (ns && strcmp(s[last].id, id) == 0)
			k = last;
		else
			for (k = 0; k < ns && strcmp(s[k].id, id) != 0; k++)
				;
		if (k == ns) {
			s = kc_array_grow(s, &cap, ns + 1, sizeof(*s));
			memset(&s[ns], 0, sizeof(*s));
			s[ns].id = id;
			s[ns].title = kc_report_str(r->section_title);
			s[ns].target = kc_report_str(r->target);
			ns++;
		}
		last = k;
		struct kc_report_section *sec = &s[k];
		sec->idx = kc_array_grow(sec->idx, &sec->cap, sec->n + 1, sizeof(*sec->idx));
		sec->idx[sec->n++] = i;
		if ((unsigned)r->status < KC_STATUS_COUNT)
			sec->counts[r->status]++;
		sec->seconds += kc_report_seconds(r->duration_ms);
	}
	*out = s;
	*n = ns;
}

void kc_report_sections_free(struct kc_report_section *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].idx);
	free(s);
}

/* Length of the valid UTF-8 sequence at p (1..4), 0 when invalid (overlong, surrogate,
 * beyond U+10FFFF or truncated). */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;
		if (c == 0xED && p[1] >= 0xA0)
			return 0;
		/* U+FFFE and U+FFFF are not XML characters either */
		if (c == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;
		if (c == 0xF4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* Format controls a reader cannot see: bidirectional embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069: "Trojan Source", CVE-2021-42574), marks (U+200E, U+200F,
 * U+061C), zero-width characters and joiners (U+200B-U+200D, U+2060-U+2064, U+FEFF, U+180E),
 * the soft hyphen and the interlinear annotation controls. */
static int invisible(unsigned cp)
{
	return cp == 0x00AD || cp == 0x061C || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB);
}

static unsigned codepoint(const unsigned char *p, size_t n)
{
	if (n == 2)
		return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
	if (n == 3)
		return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
	return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

static void put_clean(struct kc_buf *b, const char *s, int visible)
{
	const unsigned char *p = (const unsigned char *)kc_report_str(s);
	const unsigned char *run = p;
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 1 && (*p >= 0x20 || *p == '\n' || *p == '\t') && *p != 0x7F) {
			p++;
			continue;
		}
		if (n > 1) {
			unsigned cp = codepoint(p, n);
			if (visible && invisible(cp)) {
				kc_buf_add(b, run, (size_t)(p - run));
				kc_buf_printf(b, "[U+%04X]", cp);
				run = p + n;
			}
			p += n;
			continue;
		}
		kc_buf_add(b, run, (size_t)(p - run));
		kc_buf_puts(b, "\xEF\xBF\xBD");
		p++;
		run = p;
	}
	kc_buf_add(b, run, (size_t)(p - run));
}

void kc_report_put_clean(struct kc_buf *b, const char *s)
{
	put_clean(b, s, 0);
}

void kc_report_put_visible(struct kc_buf *b, const char *s)
{
	put_clean(b, s, 1);
}

int kc_report_write_stream(const struct kc_run *run, const char *path,
			   int (*fprint)(const struct kc_run *run, FILE *fp))
{
	if (strcmp(path, "-") == 0)
		return fprint(run, stdout);
	struct kc_atomic_file af;
	int rc = kc_atomic_open(&af, path);
	if (rc < 0)
		return rc;
	if ((rc = fprint(run, af.fp)) < 0) {
		kc_atomic_abort(&af);
		return rc;
	}
	return kc_atomic_commit(&af);
}

int kc_report_json_document(struct json_object *root, const char *path, const char *what)
{
	size_t len = 0;
	const char *text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	int rc;
	if (!text)
		rc = kc_error_set(KC_EGENERIC, "%s: cannot serialise %s", path, what);
	else if (strcmp(path, "-") == 0)
		rc = fwrite(text, 1, len, stdout) == len ? 0 : kc_error_set(KC_EIO, "cannot write %s", what);
	else
		rc = kc_atomic_write(path, text, len);
	json_object_put(root);
	return rc;
}

struct json_object *kc_report_json_string(const char *s)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_report_put_clean(&b, s);
	struct json_object *o = json_object_new_string_len(b.ptr ? b.ptr : "", (int)b.len);
	kc_buf_clear(&b);
	return o;
}

char *kc_report_clean(const char *s)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_report_put_clean(&b, s);
	return kc_buf_detach(&b);
}

void kc_report_object_name(struct kc_buf *b, const struct kc_evidence *ev)
{
	if (ev->kind != KC_EV_OBJECT)
		return;
	kc_buf_puts(b, ev->obj_kind && *ev->obj_kind ? ev->obj_kind : "object");
	kc_buf_putc(b, ' ');
	if (ev->obj_namespace && *ev->obj_namespace)
		kc_buf_printf(b, "%s/", ev->obj_namespace);
	kc_buf_puts(b, kc_report_str(ev->obj_name));
}

static void put_location(struct kc_buf *b, const struct kc_evidence *ev)
{
	if (!ev->source || !*ev->source)
		return;
	kc_buf_puts(b, ev->source);
	if (ev->line > 0)
		kc_buf_printf(b, ":%ld", ev->line);
}

static void put_setting(struct kc_buf *b, const struct kc_evidence *ev)
{
	if (ev->key && *ev->key) {
		kc_buf_printf(b, " %s", ev->key);
		if (ev->value)
			kc_buf_printf(b, " = %s", ev->value);
	} else if (ev->value) {
		kc_buf_printf(b, " %s", ev->value);
	}
}

void kc_report_evidence_line(struct kc_buf *b, const struct kc_evidence *ev)
{
	size_t start = b->len;
	switch (ev->kind) {
	case KC_EV_PROCESS:
		kc_buf_printf(b, "process pid %ld", ev->pid);
		if (ev->source && *ev->source) {
			kc_buf_puts(b, " (");
			put_location(b, ev);
			kc_buf_putc(b, ')');
		}
		put_setting(b, ev);
		break;
	case KC_EV_FILE:
		kc_buf_puts(b, "file ");
		put_location(b, ev);
		if (ev->has_stat)
			kc_buf_printf(b, " mode %04o owner %s:%s", ev->mode & 07777,
				      kc_report_str(ev->owner), kc_report_str(ev->group));
		if (ev->sha256)
			kc_buf_printf(b, " sha256 %s", ev->sha256);
		break;
	case KC_EV_CONFIG:
		kc_buf_puts(b, "config ");
		put_location(b, ev);
		put_setting(b, ev);
		break;
	case KC_EV_DEFAULT:
		kc_buf_puts(b, "default");
		put_setting(b, ev);
		break;
	case KC_EV_OBJECT:
		kc_report_object_name(b, ev);
		if (ev->source && *ev->source) {
			kc_buf_puts(b, " at ");
			put_location(b, ev);
		}
		put_setting(b, ev);
		break;
	case KC_EV_NOTE:
	case KC_EV_KIND_COUNT:
		break;
	}
	if (ev->layer && *ev->layer && ev->kind != KC_EV_NOTE)
		kc_buf_printf(b, " [layer %s]", ev->layer);
	if (ev->detail && *ev->detail)
		kc_buf_printf(b, "%s%s", b->len > start ? ": " : "", ev->detail);
	/* one row, one line: a newline inside a value must not fake a second evidence row */
	for (size_t i = start; i < b->len; i++)
		if (b->ptr[i] == '\n' || b->ptr[i] == '\r')
			b->ptr[i] = ' ';
}

void kc_report_message(struct kc_buf *b, const struct kc_result *r)
{
	if (r->status == KC_PASS || r->status == KC_FAIL) {
		kc_buf_printf(b, "expected %s, got %s",
			      r->expected && *r->expected ? r->expected : "(unspecified)",
			      r->actual && *r->actual ? r->actual : "(nothing found)");
		if (r->exception && *r->exception)
			kc_buf_printf(b, " (exception: %s)", r->exception);
		return;
	}
	if (r->reason && *r->reason)
		kc_buf_puts(b, r->reason);
	else if (r->type && strcmp(r->type, "manual") == 0)
		kc_buf_puts(b, "manual check: review the evidence and the remediation");
	else
		kc_buf_puts(b, kc_status_name(r->status));
}

double kc_report_seconds(double ms)
{
	if (!isfinite(ms) || ms <= 0)
		return 0;
	return ms / 1000.0;
}
