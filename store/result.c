#include "store/result.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/redact.h"
#include "common/strbuf.h"

static const char *const status_names[KC_STATUS_COUNT] = { "PASS", "FAIL", "WARN", "SKIP", "ERROR" };
static const char *const severity_names[] = { "info", "low", "medium", "high", "critical" };
static const char *const kind_names[KC_EV_KIND_COUNT] = { "process", "file", "config", "default", "object", "note" };

const char *kc_status_name(enum kc_status s)
{
	return (unsigned)s < KC_STATUS_COUNT ? status_names[s] : "ERROR";
}

int kc_status_parse(const char *s, enum kc_status *out)
{
	for (int i = 0; i < KC_STATUS_COUNT; i++)
		if (s && strcasecmp(s, status_names[i]) == 0) {
			*out = (enum kc_status)i;
			return 0;
		}
	return KC_EINVAL;
}

const char *kc_severity_name(enum kc_severity s)
{
	return (unsigned)s <= KC_SEV_CRITICAL ? severity_names[s] : "info";
}

int kc_severity_parse(const char *s, enum kc_severity *out)
{
	for (int i = 0; i <= KC_SEV_CRITICAL; i++)
		if (s && strcasecmp(s, severity_names[i]) == 0) {
			*out = (enum kc_severity)i;
			return 0;
		}
	return KC_EINVAL;
}

const char *kc_evidence_kind_name(enum kc_evidence_kind k)
{
	return (unsigned)k < KC_EV_KIND_COUNT ? kind_names[k] : "note";
}

int kc_evidence_kind_parse(const char *s, enum kc_evidence_kind *out)
{
	for (int i = 0; i < KC_EV_KIND_COUNT; i++)
		if (s && strcmp(s, kind_names[i]) == 0) {
			*out = (enum kc_evidence_kind)i;
			return 0;
		}
	return KC_EINVAL;
}

struct kc_evidence *kc_result_add_evidence(struct kc_result *r, enum kc_evidence_kind kind)
{
	r->evidence = kc_array_grow(r->evidence, &r->evidence_cap, r->nevidence + 1, sizeof(*r->evidence));
	struct kc_evidence *ev = &r->evidence[r->nevidence++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	return ev;
}

struct kc_evidence *kc_result_add_config(struct kc_result *r, const char *source, const char *key,
					 const char *value, long line, const char *layer, const char *detail)
{
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_CONFIG);
	ev->source = kc_strdup(source);
	ev->key = kc_strdup(key);
	ev->value = value ? kc_redact_value(key, value) : NULL;
	ev->line = line;
	ev->layer = kc_strdup(layer);
	ev->detail = kc_strdup(detail);
	return ev;
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_vprintf(&b, fmt, ap);
	return kc_buf_detach(&b);
}

struct kc_evidence *kc_result_note(struct kc_result *r, const char *fmt, ...)
{
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_NOTE);
	va_list ap;
	va_start(ap, fmt);
	ev->detail = vformat(fmt, ap);
	va_end(ap);
	return ev;
}

#define SETTER(fn, field)                                  \
	void fn(struct kc_result *r, const char *fmt, ...) \
	{                                                  \
		va_list ap;                                \
		va_start(ap, fmt);                         \
		free(r->field);                            \
		r->field = vformat(fmt, ap);               \
		va_end(ap);                                \
	}
SETTER(kc_result_set_actual, actual)
SETTER(kc_result_set_expected, expected)
SETTER(kc_result_set_reason, reason)

void kc_evidence_clear(struct kc_evidence *ev)
{
	free(ev->source); free(ev->key); free(ev->value); free(ev->layer); free(ev->detail);
	free(ev->owner); free(ev->group); free(ev->sha256);
	free(ev->obj_kind); free(ev->obj_namespace); free(ev->obj_name);
	memset(ev, 0, sizeof(*ev));
}

void kc_evidence_copy(struct kc_evidence *dst, const struct kc_evidence *src)
{
	*dst = *src;
	dst->source = kc_strdup(src->source);
	dst->key = kc_strdup(src->key);
	dst->value = kc_strdup(src->value);
	dst->layer = kc_strdup(src->layer);
	dst->detail = kc_strdup(src->detail);
	dst->owner = kc_strdup(src->owner);
	dst->group = kc_strdup(src->group);
	dst->sha256 = kc_strdup(src->sha256);
	dst->obj_kind = kc_strdup(src->obj_kind);
	dst->obj_namespace = kc_strdup(src->obj_namespace);
	dst->obj_name = kc_strdup(src->obj_name);
}

void kc_result_clear(struct kc_result *r)
{
	free(r->id); free(r->title); free(r->section); free(r->section_title); free(r->target);
	free(r->type); free(r->remediation); free(r->expected); free(r->actual); free(r->reason);
	free(r->exception);
	for (size_t i = 0; i < r->nevidence; i++)
		kc_evidence_clear(&r->evidence[i]);
	free(r->evidence);
	memset(r, 0, sizeof(*r));
}

static void redact_field(struct kc_redact_memo *memo, char **s)
{
	if (memo)
		kc_redact_str_memo(memo, s);
	else
		kc_redact_str(s);
}

void kc_result_redact(struct kc_result *r, struct kc_redact_memo *memo)
{
	/* every text the store keeps of a result: the store binds them as they are now, so a
	 * report rendered from the run and one rendered from the store agree (verify --report) */
	char **fields[] = { &r->id, &r->title, &r->section, &r->section_title, &r->target, &r->type,
			    &r->remediation, &r->expected, &r->actual, &r->reason, &r->exception };
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		redact_field(memo, fields[i]);
	for (size_t i = 0; i < r->nevidence; i++) {
		struct kc_evidence *ev = &r->evidence[i];
		if (ev->value && kc_redact_key_is_secret(ev->key) && strcmp(ev->value, KC_REDACTED) != 0) {
			free(ev->value);
			ev->value = kc_strdup(KC_REDACTED);
		}
		char **ef[] = { &ev->source, &ev->key, &ev->value, &ev->layer, &ev->detail, &ev->owner, &ev->group,
				&ev->sha256, &ev->obj_kind, &ev->obj_namespace, &ev->obj_name };
		for (size_t k = 0; k < sizeof(ef) / sizeof(*ef); k++)
			redact_field(memo, ef[k]);
	}
}

void kc_result_copy(struct kc_result *dst, const struct kc_result *src)
{
	*dst = *src;
	dst->id = kc_strdup(src->id);
	dst->title = kc_strdup(src->title);
	dst->section = kc_strdup(src->section);
	dst->section_title = kc_strdup(src->section_title);
	dst->target = kc_strdup(src->target);
	dst->type = kc_strdup(src->type);
	dst->remediation = kc_strdup(src->remediation);
	dst->expected = kc_strdup(src->expected);
	dst->actual = kc_strdup(src->actual);
	dst->reason = kc_strdup(src->reason);
	dst->exception = kc_strdup(src->exception);
	dst->evidence = NULL;
	dst->nevidence = dst->evidence_cap = 0;
	for (size_t i = 0; i < src->nevidence; i++)
		kc_evidence_copy(kc_result_add_evidence(dst, src->evidence[i].kind), &src->evidence[i]);
}
