/* Report rendering at scale: a synthetic run of 10,000 results in 100 sections, 2,000 of
 * them FAIL with 50 failing objects each (100,000 objects), rendered in every format (JUnit,
 * HTML, JSON, kube-bench JSON, SARIF, PolicyReport, OSCAL) with each one's time and size.
 * Baselines measured in the same process: building the run in memory, and a plain fwrite of
 * as many bytes as the reports hold. Target: JUnit + HTML + JSON < 2 s; consumers' limits
 * (GitLab's 30 MiB JUnit, etcd's 1.5 MiB per PolicyReport) printed beside. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "reports/policyreport.h"
#include "reports/report.h"

#define NRESULTS 10000
#define NSECTIONS 100
#define NFAIL 2000
#define OBJECTS_PER_FAIL 50

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void build_run(struct kc_run *run)
{
	memset(run, 0, sizeof(*run));
	run->host = kc_strdup("bench-node");
	run->benchmark = kc_strdup("cis-1.12");
	run->tool_version = kc_strdup(KC_VERSION);
	run->targets = kc_strdup("master,node,policies");
	run->started = kc_strdup("2026-11-28T05:45:39.123Z");
	run->finished = kc_strdup("2026-11-28T05:45:49.456Z");
	char buf[256];
	for (int i = 0; i < NRESULTS; i++) {
		struct kc_result *r = kc_run_add_result(run);
		int sec = i % NSECTIONS;
		snprintf(buf, sizeof(buf), "%d.%d.%d", sec / 10 + 1, sec % 10 + 1, i / NSECTIONS + 1);
		r->id = kc_strdup(buf);
		snprintf(buf, sizeof(buf), "Ensure that setting %d of section %d is configured <safely> & \"well\"", i, sec);
		r->title = kc_strdup(buf);
		snprintf(buf, sizeof(buf), "%d.%d", sec / 10 + 1, sec % 10 + 1);
		r->section = kc_strdup(buf);
		snprintf(buf, sizeof(buf), "Section %d", sec);
		r->section_title = kc_strdup(buf);
		r->target = kc_strdup(sec < 30 ? "master" : sec < 60 ? "node" : "policies");
		r->type = kc_strdup("automated");
		r->level = 1 + i % 2;
		r->scored = i % 3 != 0;
		r->severity = (enum kc_severity)(i % 5);
		r->remediation = kc_strdup("Edit the manifest on the control plane node and set the flag; restart the component.");
		r->duration_ms = 0.25;
		kc_result_set_expected(r, "--flag-%d is false", i);
		/* every fifth result fails: 2,000 FAIL with 50 objects each */
		r->status = i % 5 == 0 ? KC_FAIL : i % 5 == 1 ? KC_WARN : i % 97 == 2 ? KC_ERROR : KC_PASS;
		kc_result_set_actual(r, "--flag-%d is %s", i, r->status == KC_FAIL ? "true" : "false");
		struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_CONFIG);
		ev->source = kc_strdup("/etc/kubernetes/manifests/kube-apiserver.yaml");
		ev->line = 10 + i % 40;
		snprintf(buf, sizeof(buf), "--flag-%d", i);
		ev->key = kc_strdup(buf);
		ev->value = kc_strdup(r->status == KC_FAIL ? "true" : "false");
		ev->layer = kc_strdup("static-pod");
		if (r->status != KC_FAIL)
			continue;
		for (int k = 0; k < OBJECTS_PER_FAIL; k++) {
			ev = kc_result_add_evidence(r, KC_EV_OBJECT);
			ev->obj_kind = kc_strdup("Pod");
			snprintf(buf, sizeof(buf), "ns-%d", k % 20);
			ev->obj_namespace = kc_strdup(buf);
			snprintf(buf, sizeof(buf), "workload-%d-%d", i, k);
			ev->obj_name = kc_strdup(buf);
			snprintf(buf, sizeof(buf), "deploy/apps/workload-%d.yaml", i);
			ev->source = kc_strdup(buf);
			ev->line = 20 + k;
			ev->key = kc_strdup("spec.containers[0].securityContext.privileged");
			ev->value = kc_strdup("true");
		}
	}
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

typedef int (*writer_fn)(const struct kc_run *, const char *);

static int html_writer(const struct kc_run *run, const char *path) { return kc_report_html_write(run, NULL, path); }

/* The largest document of a PolicyReport stream and how many there are. */
static void policyreport_parts(const char *path, long *parts, long *largest)
{
	size_t len = 0;
	FILE *fp = fopen(path, "r");
	*parts = *largest = 0;
	if (!fp)
		return;
	char *line = NULL;
	size_t cap = 0;
	long cur = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (strncmp(line, "---", 3) == 0) {
			if (cur > *largest)
				*largest = cur;
			if (cur || *parts == 0)
				(*parts)++;
			cur = 0;
			continue;
		}
		cur += n;
		len += (size_t)n;
	}
	if (cur > *largest)
		*largest = cur;
	free(line);
	fclose(fp);
}

int main(void)
{
	char dir[] = "/tmp/kc-bench-reports-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	struct {
		const char *name, *file;
		writer_fn write;
		char path[160];
		double secs;
		long size;
		int rc;
	} fmt[] = {
		{ .name = "junit", .file = "report.xml", .write = kc_report_junit_write },
		{ .name = "html", .file = "report.html", .write = html_writer },
		{ .name = "json", .file = "report.json", .write = kc_report_json_write },
		{ .name = "kube-bench", .file = "kube-bench.json", .write = kc_report_kubebench_write },
		{ .name = "sarif", .file = "report.sarif", .write = kc_report_sarif_write },
		{ .name = "policyreport", .file = "policyreport.yaml", .write = kc_report_policyreport_write },
		{ .name = "oscal", .file = "oscal.json", .write = kc_report_oscal_write },
	};
	size_t nfmt = sizeof(fmt) / sizeof(*fmt);
	char raw[128];
	snprintf(raw, sizeof(raw), "%s/raw.bin", dir);

	struct kc_run run;
	double t0 = now();
	build_run(&run);
	double t_build = now() - t0;
	size_t objects = 0;
	for (size_t i = 0; i < run.nresults; i++)
		for (size_t k = 0; k < run.results[i].nevidence; k++)
			objects += run.results[i].evidence[k].kind == KC_EV_OBJECT;

	int rc = 0;
	long bytes = 0;
	for (size_t f = 0; f < nfmt; f++) {
		snprintf(fmt[f].path, sizeof(fmt[f].path), "%s/%s", dir, fmt[f].file);
		t0 = now();
		fmt[f].rc = fmt[f].write(&run, fmt[f].path);
		fmt[f].secs = now() - t0;
		if (fmt[f].rc < 0) {
			fprintf(stderr, "bench_reports: %s: %s\n", fmt[f].name, kc_error_last());
			rc = 1;
			continue;
		}
		fmt[f].size = file_size(fmt[f].path);
		bytes += fmt[f].size;
	}

	/* baseline: the same number of bytes written plainly, fsynced like the reports */
	char *blob = malloc((size_t)bytes);
	memset(blob, 'x', (size_t)bytes);
	t0 = now();
	FILE *fp = fopen(raw, "w");
	fwrite(blob, 1, (size_t)bytes, fp);
	fflush(fp);
	fsync(fileno(fp));
	fclose(fp);
	double t_raw = now() - t0;
	free(blob);

	printf("run: %zu results, %zu failing objects, built in %.3f s\n", run.nresults, objects, t_build);
	double total = 0, main3 = 0;
	for (size_t f = 0; f < nfmt; f++) {
		if (fmt[f].rc < 0) {
			printf("%-13s not measured\n", fmt[f].name);
			continue;
		}
		printf("%-13s %7.3f s  %7.1f MB  (%.1fx the plain write of its bytes)\n", fmt[f].name, fmt[f].secs,
		       fmt[f].size / 1e6, t_raw > 0 && bytes ? fmt[f].secs / (t_raw * (double)fmt[f].size / (double)bytes) : 0);
		total += fmt[f].secs;
		if (f < 3)
			main3 += fmt[f].secs;
	}
	long parts = 0, largest = 0;
	policyreport_parts(fmt[5].path, &parts, &largest);
	printf("policyreport: %ld documents, largest %.1f KiB (etcd limit 1536 KiB)\n", parts, largest / 1024.0);
	printf("limits: junit %.1f MB (GitLab 30 MiB: %s)\n", fmt[0].size / 1e6,
	       fmt[0].size < 30L * 1024 * 1024 ? "under" : "OVER");
	printf("baseline: fwrite+fsync of %.1f MB in %.3f s; build of the run %.3f s\n", bytes / 1e6, t_raw, t_build);
	printf("all formats: %.3f s (%.1fx the plain write, %.1fx the build)\n", total, t_raw > 0 ? total / t_raw : 0,
	       t_build > 0 ? total / t_build : 0);
	printf("junit + html + json: %.3f s; target < 2 s: %s\n", main3, main3 < 2.0 ? "met" : "MISSED");

	kc_run_clear(&run);
	for (size_t f = 0; f < nfmt; f++)
		unlink(fmt[f].path);
	unlink(raw);
	rmdir(dir);
	return rc;
}
