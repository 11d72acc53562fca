/* kc_auditlog_watch: the entry point cmd_watch calls for --audit-log / --audit-webhook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auditlog/correlate.h"
#include "auditlog/follow.h"
#include "auditlog/proc.h"
#include "auditlog/rules.h"
#include "auditlog/watch.h"
#include "auditlog/webhook.h"
#include "common/error.h"

static void on_finding(void *payload, const struct kc_finding *f, const struct kc_audit_event *ev)
{
	(void)payload;
	const char *sub = ev->f[KC_AF_SUBRESOURCE];
	if (!sub || (strcmp(sub, "exec") != 0 && strcmp(sub, "attach") != 0))
		return;
	char *cmd = kc_audit_command(ev);
	struct kc_audit_exec_ref ref = {
		.audit_id = ev->f[KC_AF_AUDIT_ID],
		.user = ev->impersonated ? ev->f[KC_AF_IMP_USER] : ev->f[KC_AF_USER],
		.namespace_ = ev->f[KC_AF_NAMESPACE],
		.pod = ev->f[KC_AF_NAME],
		.command = cmd,
		.time_ms = kc_audit_time_ms(ev->f[KC_AF_TIME]),
		.finding_id = f->id,
	};
	kc_auditlog_correlate_exec(&ref);
	free(cmd);
}

/* The rule file: <policy_dir>/audit-rules.yaml when given, else <policies>/runtime/audit-rules.yaml. */
static int load_rules(const struct kc_watch_opts *o, struct kc_audit_rules **out)
{
	char path[4096];
	struct stat sb;
	if (o->policy_dir) {
		snprintf(path, sizeof(path), "%s/audit-rules.yaml", o->policy_dir);
		if (stat(path, &sb) == 0)
			return kc_audit_rules_load(path, out);
	}
	const char *root = o->policy_root;
	snprintf(path, sizeof(path), "%s/runtime/audit-rules.yaml", root ? root : "policies");
	return kc_audit_rules_load(path, out);
}

int kc_auditlog_watch(const struct kc_watch_opts *o, struct kc_store *st, struct kc_run *run)
{
	if (o->audit_log && o->webhook_addr)
		return kc_error_set(KC_EINVAL, "--audit-log and --audit-webhook: one at a time (the store has one writer)");
	struct kc_audit_rules *rules = NULL;
	struct kc_auditlog_proc *proc = NULL;
	struct kc_auditlog_webhook *hook = NULL;
	int rc = load_rules(o, &rules);
	if (rc < 0)
		goto out;
	if ((rc = kc_auditlog_proc_new(st, run->id, rules, &proc)) < 0)
		goto out;
	kc_auditlog_proc_on_finding(proc, on_finding, NULL);
	if (o->audit_log) {
		struct kc_auditlog_follow_opts fo = {
			.path = o->audit_log, .once = o->once, .duration = o->duration,
			.stopping = o->stopping, .run_id = run->id,
		};
		rc = kc_auditlog_follow(st, proc, &fo);
	} else if (o->webhook_addr) {
		struct kc_auditlog_webhook_opts wo = {
			.addr = o->webhook_addr, .cert = o->tls_cert, .key = o->tls_key,
			.client_ca = o->client_ca, .path = o->webhook_path, .duration = o->duration, .stopping = o->stopping,
		};
		if ((rc = kc_auditlog_webhook_open(&wo, &hook)) == 0)
			rc = kc_auditlog_webhook_serve(hook, st, proc);
	}
out:
	kc_auditlog_webhook_free(hook);
	kc_auditlog_proc_free(proc);
	kc_audit_rules_free(rules);
	return rc;
}
