/* Fuzz target for the audit event decoders: the header scanner (prefilter.c) and the json-c
 * decoder (decode.c) must never crash, and whenever both accept an input they must extract
 * the same header fields (the prefilter may only skip events a full parse would also skip).
 * Rules from a fixed text run on whatever decoded, including the body paths, JSON-patch
 * views (patch.c) and owner attribution (owners.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog/event.h"
#include "auditlog/proc.h"
#include "auditlog/rules.h"
#include "common/error.h"

static const char rules_text[] =
	"record: { any: [ { verb: [create] }, { code: [\"403\"] } ] }\n"
	"rules:\n"
	"  - id: exec\n    severity: high\n    evidence: [command, \"object.rules[].verbs[]\"]\n"
	"    when: { resource: [pods], subresource: [exec], code: [\"101\", \"2*\"], command: [\"*\"] }\n"
	"  - id: rbac\n    severity: high\n    when: { any: [ { \"object.rules[].verbs[]\": [\"\\\\*\"] },"
	" { object.roleRef.name: [cluster-admin] } ], not: { effective_user: [\"system:*\"] } }\n"
	"  - id: anon\n    severity: low\n    when: { groups: [\"system:unauthenticated\"], source_ip: [10.0.0.0/8] }\n"
	"  - id: priv\n    severity: high\n    evidence: [creator, attribution]\n"
	"    when: { \"object.spec.template.spec.containers[].securityContext.privileged\": [true],"
	" not: { creator: [\"system:*\"] } }\n"
	"  - id: burst\n    severity: low\n    threshold: { count: 2, window: 60 }\n    when: { code: [\"403\"] }\n";

static struct kc_audit_rules *rules;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rules && kc_audit_rules_parse("fuzz", rules_text, sizeof(rules_text) - 1, &rules) < 0)
		abort();
	struct kc_audit_event a = { 0 }, b = { 0 };
	int da = kc_audit_decode(&a, (const char *)data, size);
	int db = kc_audit_scan(&b, (const char *)data, size);
	if (da == 0 && db == 0 && !kc_audit_event_same_header(&a, &b))
		abort();
	if (da == 0) {
		char *cmd = kc_audit_command(&a);
		free(cmd);
		free(kc_audit_time_rfc3339(a.f[KC_AF_TIME]));
	}
	kc_audit_event_clear(&a);
	kc_audit_event_clear(&b);

	struct kc_auditlog_proc *p;
	if (kc_auditlog_proc_new(NULL, 0, rules, &p) == 0) {
		kc_auditlog_proc_line(p, (const char *)data, size);
		kc_auditlog_proc_line(p, (const char *)data, size);
		kc_auditlog_proc_free(p);
	}
	kc_error_clear();
	return 0;
}
