/* The table of report formats (reports/formats.h). Adding a format: write
 * reports/<format>.c with a writer of the signature below (or a one-line adapter here), add
 * its row. audit, report and their --help pick it up. */
#include "reports/formats.h"

#include <string.h>

#include "reports/metrics.h"
#include "reports/policyreport.h"
#include "reports/report.h"

/* Adapters from each writer's own signature to the table's. */
static int json_write(const struct kc_run *run, struct kc_store *st, const char *path, const char *shape)
{
	(void)st;
	return shape && strcmp(shape, "kube-bench") == 0 ? kc_report_kubebench_write(run, path)
							  : kc_report_json_write(run, path);
}

static int junit_write(const struct kc_run *run, struct kc_store *st, const char *path, const char *shape)
{
	(void)st, (void)shape;
	return kc_report_junit_write(run, path);
}

static int html_write(const struct kc_run *run, struct kc_store *st, const char *path, const char *shape)
{
	(void)shape;
	return kc_report_html_write(run, st, path);
}

static int sarif_write(const struct kc_run *run, struct kc_store *st, const char *path, const char *shape)
{
	(void)st, (void)shape;
	return kc_report_sarif_write(run, path);
}

static int policyreport_write(const struct kc_run *run, struct kc_store *st, const char *path, const char *shape)
{
	(void)st, (void)shape;
	return kc_report_policyreport_write(run, path);
}

static int metrics_write(const struct kc_run *run, struct kc_store *st, const char *path, const char *shape)
{
	(void)shape;
	return kc_metrics_write_file(run, st, path);
}

static int oscal_write(const struct kc_run *run, struct kc_store *st, const char *path, const char *shape)
{
	(void)st, (void)shape;
	return kc_report_oscal_write(run, path);
}

static const char *const json_shapes[] = { "kubecomply", "kube-bench", NULL };

const struct kc_report_format kc_report_formats[] = {
	{ "json", "JSON", "JSON report ('-' for stdout)", json_shapes, 0, json_write },
	{ "junit", "JUnit", "JUnit XML report", NULL, 0, junit_write },
	{ "html", "HTML", "self-contained HTML report", NULL, 1, html_write },
	{ "sarif", "SARIF", "SARIF 2.1.0 for findings with a file location", NULL, 0, sarif_write },
	{ "policy-report", "PolicyReport",
	  "wgpolicyk8s.io/v1alpha2 PolicyReports and a ClusterPolicyReport (YAML)", NULL, 0, policyreport_write },
	{ "metrics-file", "metrics", "Prometheus metrics for node-exporter's textfile collector", NULL, 1,
	  metrics_write },
	{ "oscal", "OSCAL", "OSCAL Assessment Results 1.0.4 (JSON)", NULL, 0, oscal_write },
};
const size_t kc_report_nformats = sizeof(kc_report_formats) / sizeof(*kc_report_formats);
_Static_assert(sizeof(kc_report_formats) / sizeof(*kc_report_formats) <= KC_REPORT_FORMATS_MAX,
	       "raise KC_REPORT_FORMATS_MAX");

int kc_report_format_find(const char *flag)
{
	for (size_t i = 0; i < kc_report_nformats; i++)
		if (strcmp(kc_report_formats[i].flag, flag) == 0)
			return (int)i;
	return -1;
}

int kc_report_format_has_shape(const struct kc_report_format *f, const char *shape)
{
	if (!shape)
		return 1;
	for (const char *const *s = f->shapes; s && *s; s++)
		if (strcmp(*s, shape) == 0)
			return 1;
	return 0;
}
