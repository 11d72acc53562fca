#include "auditor/outputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditor/cli.h"
#include "checks/k8s/client.h"
#include "common/error.h"
#include "common/log.h"
#include "reports/policyreport.h"
#include "reports/report.h"

void kc_outputs_options(struct option *dst, size_t room, const struct option *own, int base)
{
	size_t n = 0;
	for (; own[n].name; n++) {
		if (n + 1 >= room)
			abort();
		dst[n] = own[n];
	}
	if (n + kc_report_nformats + 3 > room)
		abort();
	for (size_t i = 0; i < kc_report_nformats; i++)
		dst[n++] = (struct option){ kc_report_formats[i].flag, required_argument, NULL, base + (int)i };
	dst[n++] = (struct option){ "json-format", required_argument, NULL, base + KC_REPORT_FORMATS_MAX };
	dst[n++] = (struct option){ "policy-report-apply", no_argument, NULL, base + KC_REPORT_FORMATS_MAX + 1 };
	dst[n] = (struct option){ 0 };
}

void kc_outputs_help(FILE *fp)
{
	for (size_t i = 0; i < kc_report_nformats; i++) {
		const struct kc_report_format *f = &kc_report_formats[i];
		int w = (int)strlen(f->flag) + 5; /* "FLAG FILE" */
		fprintf(fp, "      --%s FILE%*s%s\n", f->flag, w < 16 ? 16 - w : 2, "", f->help);
	}
	fputs("      --json-format F   kubecomply (default) or kube-bench: --json in kube-bench's\n"
	      "                        Controls/tests/results shape for tools that import kube-bench\n"
	      "      --policy-report-apply  server-side apply the PolicyReports to the cluster (the\n"
	      "                        kubeconfig of --kubeconfig/--context/--in-cluster, else\n"
	      "                        $KUBECONFIG or ~/.kube/config) and delete stale ones of ours\n",
	      fp);
}

int kc_outputs_option(const char *cmd, struct kc_output_opts *o, int which, const char *value)
{
	if (which >= 0 && (size_t)which < kc_report_nformats) {
		o->path[which] = value;
		return 0;
	}
	if (which == KC_REPORT_FORMATS_MAX) {
		int json = kc_report_format_find("json");
		if (!kc_report_format_has_shape(&kc_report_formats[json], value))
			return kc_cli_fail(cmd, "--json-format: expected kubecomply or kube-bench, got '%s'", value);
		o->shape[json] = value;
		return 0;
	}
	o->policy_report_apply = 1;
	return 0;
}

const char *kc_outputs_path(const struct kc_output_opts *o, const char *flag)
{
	int i = kc_report_format_find(flag);
	return i < 0 ? NULL : o->path[i];
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
	/* the terminal goes to stdout unless a report does */
	FILE *term = stdout;
	for (size_t i = 0; i < kc_report_nformats; i++)
		if (o->path[i] && strcmp(o->path[i], "-") == 0)
			term = stderr;
	struct kc_term_opts to = { .color = isatty(fileno(term)), .quiet = o->quiet, .verbose = o->verbose };
	kc_report_term_print(run, term, &to);

	for (size_t i = 0; i < kc_report_nformats; i++) {
		const struct kc_report_format *f = &kc_report_formats[i];
		if (!o->path[i])
			continue;
		int rc = f->write(run, f->needs_store ? st : NULL, o->path[i], o->shape[i]);
		if (rc < 0) {
			kc_cli_fail(cmd, "%s report: %s", f->what, kc_error_last());
			failed = 1;
		} else if (!o->quiet && o->path[i][0] != '-') {
			kc_log(KC_LOG_INFO, "%s report written to %s", f->what, o->path[i]);
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
