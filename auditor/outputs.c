#include "auditor/outputs.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auditor/cli.h"
#include "checks/k8s/client.h"
#include "common/error.h"
#include "common/log.h"
#include "reports/metrics.h"
#include "reports/policyreport.h"
#include "reports/report.h"

int kc_outputs_option(const char *cmd, struct kc_output_opts *o, int which, const char *value)
{
	switch (which) {
	case 0:
		if (strcmp(value, "kube-bench") != 0 && strcmp(value, "kubecomply") != 0)
			return kc_cli_fail(cmd, "--json-format: expected kubecomply or kube-bench, got '%s'", value);
		o->json_kube_bench = strcmp(value, "kube-bench") == 0;
		return 0;
	case 1: o->oscal = value; return 0;
	default: o->policy_report_apply = 1; return 0;
	}
}

/* --policy-report-apply: 0 or -1 after printing why. */
static int apply_policy_reports(const char *cmd, const struct kc_run *run, const struct kc_output_opts *o)
{
	struct kc_k8s_client *cl = NULL;
	size_t applied = 0, deleted = 0;
	int rc = kc_k8s_client_open(&o->kube, &cl);
	if (rc == 0)
		rc = kc_report_policyreport_apply(run, cl, &applied, &deleted);
	kc_k8s_client_free(cl);
	if (rc < 0) {
		kc_cli_fail(cmd, "PolicyReport apply: %s", kc_error_last());
		return -1;
	}
	if (!o->quiet)
		kc_log(KC_LOG_INFO, "PolicyReports applied: %zu, stale deleted: %zu", applied, deleted);
	return 0;
}

int kc_outputs_write(const char *cmd, const struct kc_run *run, struct kc_store *st,
		     const struct kc_output_opts *o, const struct kc_gate *gate)
{
	int failed = 0;
	/* the terminal goes to stdout unless the JSON report does */
	FILE *term = o->json && o->json[0] == '-' && !o->json[1] ? stderr : stdout;
	struct kc_term_opts to = { .color = isatty(fileno(term)), .quiet = o->quiet, .verbose = o->verbose };
	kc_report_term_print(run, term, &to);

	struct {
		const char *path, *what;
		int rc;
	} outs[] = {
		{ o->json, "JSON", 0 }, { o->junit, "JUnit", 0 }, { o->html, "HTML", 0 }, { o->sarif, "SARIF", 0 },
		{ o->policy_report, "PolicyReport", 0 }, { o->metrics_file, "metrics", 0 }, { o->oscal, "OSCAL", 0 },
	};
	for (size_t i = 0; i < sizeof(outs) / sizeof(*outs); i++) {
		if (!outs[i].path)
			continue;
		int rc;
		switch (i) {
		case 0:
			rc = o->json_kube_bench ? kc_report_kubebench_write(run, outs[i].path)
						: kc_report_json_write(run, outs[i].path);
			break;
		case 1: rc = kc_report_junit_write(run, outs[i].path); break;
		case 2: rc = kc_report_html_write(run, st, outs[i].path); break;
		case 3: rc = kc_report_sarif_write(run, outs[i].path); break;
		case 4: rc = kc_report_policyreport_write(run, outs[i].path); break;
		case 6: rc = kc_report_oscal_write(run, outs[i].path); break;
		default: rc = kc_metrics_write_file(run, st, outs[i].path); break;
		}
		if (rc < 0) {
			kc_cli_fail(cmd, "%s report: %s", outs[i].what, kc_error_last());
			failed = 1;
		} else if (!o->quiet && outs[i].path[0] != '-') {
			kc_log(KC_LOG_INFO, "%s report written to %s", outs[i].what, outs[i].path);
		}
	}
	if (o->policy_report_apply && apply_policy_reports(cmd, run, o) < 0)
		failed = 1;
	if (failed)
		return KC_EXIT_ERROR;
	if (!gate)
		return KC_EXIT_OK;
	size_t tripped = 0;
	int json = kc_log_get_format() == KC_LOG_JSON;
	for (size_t i = 0; i < run->nresults; i++) {
		const struct kc_result *r = &run->results[i];
		if (!kc_gate_trips(gate, r))
			continue;
		if (json) {
			kc_log_fields(KC_LOG_WARN, (const char *const[]){ "check", r->id, "status", kc_status_name(r->status), NULL },
				      "the gate (--fail-on) tripped on %s", r->title ? r->title : r->id);
		} else {
			if (!tripped)
				fprintf(stderr, "kubecomply: the gate (--fail-on) tripped on:\n");
			fprintf(stderr, "  [%s] %s %s\n", kc_status_name(r->status), r->id, r->title ? r->title : "");
		}
		tripped++;
	}
	return tripped ? KC_EXIT_GATE : KC_EXIT_OK;
}
