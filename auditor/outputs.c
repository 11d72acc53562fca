#include "auditor/outputs.h"

#include <stdio.h>
#include <unistd.h>

#include "auditor/cli.h"
#include "common/error.h"
#include "common/log.h"
#include "reports/metrics.h"
#include "reports/policyreport.h"
#include "reports/report.h"

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
		{ o->policy_report, "PolicyReport", 0 }, { o->metrics_file, "metrics", 0 },
	};
	for (size_t i = 0; i < sizeof(outs) / sizeof(*outs); i++) {
		if (!outs[i].path)
			continue;
		int rc;
		switch (i) {
		case 0: rc = kc_report_json_write(run, outs[i].path); break;
		case 1: rc = kc_report_junit_write(run, outs[i].path); break;
		case 2: rc = kc_report_html_write(run, st, outs[i].path); break;
		case 3: rc = kc_report_sarif_write(run, outs[i].path); break;
		case 4: rc = kc_report_policyreport_write(run, outs[i].path); break;
		default: rc = kc_metrics_write_file(run, st, outs[i].path); break;
		}
		if (rc < 0) {
			kc_cli_fail(cmd, "%s report: %s", outs[i].what, kc_error_last());
			failed = 1;
		} else if (!o->quiet && outs[i].path[0] != '-') {
			kc_log(KC_LOG_INFO, "%s report written to %s", outs[i].what, outs[i].path);
		}
	}
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
