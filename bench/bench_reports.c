/* Report rendering at scale: a synthetic run of 10,000 results in 100 sections, 2,000 of
 * them FAIL with 50 failing objects each (100,000 objects), rendered as JUnit, HTML and
 * JSON. Baselines measured in the same process: building the run in memory, and a plain
 * fwrite of as many bytes as the three reports hold. Target: JUnit + HTML + JSON < 2 s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"
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

int main(void)
{
	char dir[] = "/tmp/kc-bench-reports-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	char junit[128], html[128], json[128], raw[128];
	snprintf(junit, sizeof(junit), "%s/report.xml", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(json, sizeof(json), "%s/report.json", dir);
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
	t0 = now();
	rc |= kc_report_junit_write(&run, junit);
	double t_junit = now() - t0;
	t0 = now();
	rc |= kc_report_html_write(&run, NULL, html);
	double t_html = now() - t0;
	t0 = now();
	int jrc = kc_report_json_write(&run, json);
	double t_json = now() - t0;
	if (rc || jrc)
		fprintf(stderr, "bench_reports: %s\n", kc_error_last());

	long bytes = file_size(junit) + file_size(html) + (jrc ? 0 : file_size(json));
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

	double total = t_junit + t_html + (jrc ? 0 : t_json);
	printf("run: %zu results, %zu failing objects, built in %.3f s\n", run.nresults, objects, t_build);
	printf("junit  %7.3f s  %6.1f MB\n", t_junit, file_size(junit) / 1e6);
	printf("html   %7.3f s  %6.1f MB\n", t_html, file_size(html) / 1e6);
	if (jrc)
		printf("json   not measured: %s\n", kc_error_last());
	else
		printf("json   %7.3f s  %6.1f MB\n", t_json, file_size(json) / 1e6);
	printf("baseline: fwrite+fsync of %.1f MB in %.3f s; build of the run %.3f s\n", bytes / 1e6, t_raw, t_build);
	printf("reports together: %.3f s (%.1fx the plain write, %.1fx the build); target < 2 s: %s\n", total,
	       t_raw > 0 ? total / t_raw : 0, t_build > 0 ? total / t_build : 0, total < 2.0 ? "met" : "MISSED");

	kc_run_clear(&run);
	unlink(junit); unlink(html); unlink(json); unlink(raw);
	rmdir(dir);
	return rc ? 1 : 0;
}
