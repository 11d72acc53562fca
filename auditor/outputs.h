/* What `audit` and `report` both do once a run is in hand: write the report files asked
 * for, print the terminal summary, and apply the gate. */
#ifndef KC_OUTPUTS_H
#define KC_OUTPUTS_H

#include <getopt.h>
#include <stdio.h>

#include "store/run.h"
#include "checks/k8s/kubeconfig.h"
#include "store/store.h"
#include "reports/formats.h"
#include "reports/gate.h"

struct kc_output_opts {
	/* by index in kc_report_formats (reports/formats.h); NULL = not asked for */
	const char *path[KC_REPORT_FORMATS_MAX];
	const char *shape[KC_REPORT_FORMATS_MAX]; /* --json-format: NULL = the format's default */
	int policy_report_apply;     /* server-side apply the PolicyReports through `kube` */
	struct kc_kubeconfig_opts kube;
	int quiet, verbose;
};

/* Getopt values base .. base + KC_OUTPUT_NOPTS - 1 belong to the outputs: one --FLAG FILE per
 * report format, then --json-format and --policy-report-apply. */
#define KC_OUTPUT_NOPTS (KC_REPORT_FORMATS_MAX + 2)

/* Fills dst (room entries) with the command's own options (own, up to its {0}), then the
 * outputs' options, then the {0} end; the CLI's getopt_long table. Aborts when room is short
 * (a programming error). */
void kc_outputs_options(struct option *dst, size_t room, const struct option *own, int base);
/* The --help lines of the outputs' options. */
void kc_outputs_help(FILE *fp);
/* Handles getopt value base + which: 0, or KC_EXIT_ERROR after printing why (an unknown
 * --json-format). */
int kc_outputs_option(const char *cmd, struct kc_output_opts *o, int which, const char *value);
/* The path asked for the format whose flag is `flag` ("json"), or NULL. */
const char *kc_outputs_path(const struct kc_output_opts *o, const char *flag);

/* Returns the exit code: 0, 1 when the gate trips (gate may be NULL: never), 2 when a report
 * could not be written (the others are still written). */
int kc_outputs_write(const char *cmd, const struct kc_run *run, struct kc_store *st,
		     const struct kc_output_opts *o, const struct kc_gate *gate);

#endif
