/* What `audit` and `report` both do once a run is in hand: write the report files asked
 * for, print the terminal summary, and apply the gate. */
#ifndef KC_OUTPUTS_H
#define KC_OUTPUTS_H

#include "store/run.h"
#include "store/store.h"
#include "reports/gate.h"

struct kc_output_opts {
	const char *json, *junit, *html, *sarif;
	const char *policy_report;   /* wgpolicyk8s.io PolicyReports (YAML) */
	const char *metrics_file;    /* Prometheus textfile for node-exporter */
	int quiet, verbose;
};

/* Returns the exit code: 0, 1 when the gate trips (gate may be NULL: never), 2 when a report
 * could not be written (the others are still written). */
int kc_outputs_write(const char *cmd, const struct kc_run *run, struct kc_store *st,
		     const struct kc_output_opts *o, const struct kc_gate *gate);

#endif
