/* Audit rules, read from YAML (policies/runtime/audit-rules.yaml; format in docs/auditlog.md).
 * A rule is a condition over an event's header fields and, when it names `object.<path>` or
 * `command`, over the request body. Conditions evaluate three-valued: on a scanned event
 * (no body parsed) a body condition is "unknown", so the caller parses fully only the events
 * for which some rule is not already false. */
#ifndef KC_AUDITLOG_RULES_H
#define KC_AUDITLOG_RULES_H

#include <stddef.h>

#include "auditlog/event.h"
#include "store/result.h"

enum kc_tri { KC_FALSE = 0, KC_TRUE = 1, KC_UNKNOWN = 2 };

struct kc_audit_cond;  /* compiled condition tree (rules.c) */

struct kc_audit_escalation {
	struct kc_audit_cond *when;
	enum kc_severity severity;
};

struct kc_audit_rule {
	char *id;
	char *title;
	enum kc_severity severity;
	char *cis;                 /* NULL when none */
	char *summary;             /* template: {user} {verb} {namespace} {name} {command} ... */
	char *needs;               /* audit level the rule needs: "Metadata", "Request" */
	struct kc_audit_cond *when;
	struct kc_audit_escalation *esc;
	size_t nesc;
	char **evidence;           /* extra values for the finding: "command", "object.roleRef.name" */
	size_t nevidence;
	unsigned threshold_count;  /* 0: every matching request is a finding */
	unsigned threshold_window; /* seconds */
	int uses_body;             /* names object.* or command */
};

/* Rules grouped by the objectRef.resource they require, so that an event is held against
 * the few rules that can apply to its resource (plus those that name no resource). */
struct kc_audit_rule_index {
	char *resource;      /* NULL: the list for any other resource */
	size_t *rules;       /* ascending rule indices */
	size_t n;
};

struct kc_audit_rules {
	struct kc_audit_rule *rules;
	size_t n;
	struct kc_audit_cond *record; /* header-only: requests kept even when no rule fires */
	struct kc_audit_rule_index *index; /* [0] is the any-resource list */
	size_t nindex;
};

/* Parses rule text (name for messages). KC_EINVAL with file:line:column on a bad rule. */
int kc_audit_rules_parse(const char *name, const char *text, size_t len, struct kc_audit_rules **out);
int kc_audit_rules_load(const char *path, struct kc_audit_rules **out);
void kc_audit_rules_free(struct kc_audit_rules *r);

/* The rules that can apply to ev (by its resource); the rest are false without evaluation. */
const struct kc_audit_rule_index *kc_audit_rules_select(const struct kc_audit_rules *r,
							const struct kc_audit_event *ev);
enum kc_tri kc_audit_cond_eval(const struct kc_audit_cond *c, const struct kc_audit_event *ev);
/* The rule's severity for this event after escalations. */
enum kc_severity kc_audit_rule_severity(const struct kc_audit_rule *r, const struct kc_audit_event *ev);
/* Values of one evidence/template name on a fully decoded event, appended to out as a JSON
 * value (string, or array when the path iterates); returns 0 when there was nothing. */
struct kc_buf;
int kc_audit_value_json(const struct kc_audit_event *ev, const char *name, struct kc_buf *out);
/* The summary template filled in (values redacted); caller frees. */
char *kc_audit_rule_summary(const struct kc_audit_rule *r, const struct kc_audit_event *ev);

/* A service account acting on an object of another namespace. */
int kc_audit_cross_namespace(const struct kc_audit_event *ev);
/* The request was a dry run (dryRun=All): nothing was persisted, no rule fires. */
int kc_audit_dry_run(const struct kc_audit_event *ev);

#endif
