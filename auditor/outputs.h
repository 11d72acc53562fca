/* What `audit` and `report` both do once a run is in hand: write the report files asked
 * for, print the terminal summary, and apply the gate. */
#ifndef KC_OUTPUTS_H
#define KC_OUTPUTS_H

#include "store/run.h"
#include "checks/k8s/kubeconfig.h"
#include "store/store.h"
#include "reports/gate.h"

struct kc_output_opts {
	const char *json, *junit, *html, *sarif;
	int json_kube_bench;         /* --json-format kube-bench: --json in kube-bench's shape */
	const char *oscal;           /* OSCAL Assessment Results (JSON) */
	const char *policy_report;   /* wgpolicyk8s.io PolicyReports (YAML) */
	int policy_report_apply;     /* server-side apply them through `kube` */
	struct kc_kubeconfig_opts kube;
	const char *metrics_file;    /* Prometheus textfile for node-exporter */
	int quiet, verbose;
};

/* The output options audit and report share beyond the file names: getopt values base,
 * base + 1, base + 2, handled by kc_outputs_option(cmd, o, value - base, optarg). */
#define KC_OUTPUT_LONG_OPTIONS(base)                                  \
	{ "json-format", required_argument, NULL, (base) },           \
	{ "oscal", required_argument, NULL, (base) + 1 },             \
	{ "policy-report-apply", no_argument, NULL, (base) + 2 }
#define KC_OUTPUT_OPTIONS_HELP                                                                       \
	"      --json-format F   kubecomply (default) or kube-bench: --json in kube-bench's\n"         \
	"                        Controls/tests/results shape for tools that import kube-bench\n"     \
	"      --oscal FILE      OSCAL Assessment Results 1.0.4 (JSON)\n"                             \
	"      --policy-report-apply  server-side apply the PolicyReports to the cluster (the\n"      \
	"                        kubeconfig of --kubeconfig/--context/--in-cluster, else\n"          \
	"                        $KUBECONFIG or ~/.kube/config) and delete stale ones of ours\n"
/* 0, or KC_EXIT_ERROR after printing why (an unknown --json-format). */
int kc_outputs_option(const char *cmd, struct kc_output_opts *o, int which, const char *value);

/* Returns the exit code: 0, 1 when the gate trips (gate may be NULL: never), 2 when a report
 * could not be written (the others are still written). */
int kc_outputs_write(const char *cmd, const struct kc_run *run, struct kc_store *st,
		     const struct kc_output_opts *o, const struct kc_gate *gate);

#endif
