/* A run built in memory for the report suites: every status, every evidence kind, and
 * injection payloads in the places outside text reaches (titles, object names, labels,
 * paths, remediation, host). Header-only so that it is linked only into the report suites. */
#ifndef KC_REPORT_FIXTURE_H
#define KC_REPORT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "store/run.h"
#include "common/strbuf.h"

/* A dotted path into a JSON document, numeric parts indexing arrays: "runs.0.tool.driver".
 * NULL when absent. */
static inline json_object *fx_get(json_object *o, const char *path)
{
	char *copy = strdup(path), *save = NULL;
	for (char *tok = strtok_r(copy, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(o, tok, &o))
			o = NULL;
	}
	free(copy);
	return o;
}

static inline const char *fx_gets(json_object *o, const char *path)
{
	json_object *v = fx_get(o, path);
	return v ? json_object_get_string(v) : NULL;
}

/* Payloads: each would change document.title or add an element if it ever ran. */
#define P_SCRIPT "<script>document.title='PWNED';document.documentElement.setAttribute('data-pwned','1')</script>"
#define P_IMG "\"><img src=x onerror=\"document.title='PWNED';document.body.appendChild(document.createElement('pwned'))\">"
#define P_JS "javascript:document.title='PWNED'"
#define P_ATTR "' onmouseover='document.title=\"PWNED\"' x='"
#define P_SVG "<svg/onload=document.title='PWNED'>"

static inline struct kc_result *fx_result(struct kc_run *run, const char *id, const char *title,
					  const char *section, const char *section_title, const char *target,
					  enum kc_status st, enum kc_severity sev)
{
	struct kc_result *r = kc_run_add_result(run);
	r->id = kc_strdup(id);
	r->title = kc_strdup(title);
	r->section = kc_strdup(section);
	r->section_title = kc_strdup(section_title);
	r->target = kc_strdup(target);
	r->type = kc_strdup("automated");
	r->level = 1;
	r->scored = 1;
	r->severity = sev;
	r->status = st;
	r->duration_ms = 1.5;
	r->remediation = kc_strdup("Edit the manifest and restart the component.");
	kc_result_set_expected(r, "%s", "--profiling is false");
	kc_result_set_actual(r, "%s", st == KC_PASS ? "--profiling is false" : "--profiling is not set (default true)");
	return r;
}

static inline struct kc_evidence *fx_object(struct kc_result *r, const char *kind, const char *ns, const char *name,
					    const char *source, long line)
{
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_OBJECT);
	ev->obj_kind = kc_strdup(kind);
	ev->obj_namespace = kc_strdup(ns);
	ev->obj_name = kc_strdup(name);
	ev->source = kc_strdup(source);
	ev->line = line;
	ev->key = kc_strdup("spec.containers[0].securityContext.privileged");
	ev->value = kc_strdup("true");
	return ev;
}

/* The fixture: 4 sections, 9 checks: 3 PASS, 3 FAIL, 1 WARN, 1 SKIP, 1 ERROR. */
static inline void fx_run(struct kc_run *run)
{
	memset(run, 0, sizeof(*run));
	run->host = kc_strdup("node-1");
	run->benchmark = kc_strdup("cis-1.12");
	run->cluster = kc_strdup("prod " P_IMG);
	run->k8s_version = kc_strdup("1.31.2");
	run->targets = kc_strdup("master,node,policies");
	run->tool_version = kc_strdup("0.1.0");
	run->started = kc_strdup("2026-11-28T05:45:39.123Z");
	run->finished = kc_strdup("2026-11-28T05:45:41.456Z");

	struct kc_result *r;
	struct kc_evidence *ev;
	r = fx_result(run, "1.1.1", "Ensure that the API server pod specification file permissions are set to 600",
		      "1.1", "Control Plane Node Configuration Files", "master", KC_PASS, KC_SEV_MEDIUM);
	ev = kc_result_add_evidence(r, KC_EV_FILE);
	ev->source = kc_strdup("/etc/kubernetes/manifests/kube-apiserver.yaml");
	ev->has_stat = 1;
	ev->mode = 0100600;
	ev->owner = kc_strdup("root");
	ev->group = kc_strdup("root");
	ev->sha256 = kc_strdup("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");

	r = fx_result(run, "1.1.2", "Ensure file ownership " P_SCRIPT, "1.1", "Control Plane Node Configuration Files",
		      "master", KC_FAIL, KC_SEV_HIGH);
	ev = kc_result_add_evidence(r, KC_EV_FILE);
	ev->source = kc_strdup("/etc/kubernetes/" P_IMG ".conf");
	ev->has_stat = 1;
	ev->mode = 0100644;
	ev->owner = kc_strdup("nobody" P_ATTR);
	ev->group = kc_strdup("root");

	r = fx_result(run, "1.2.1", "Ensure that the --anonymous-auth argument is set to false", "1.2", "API Server",
		      "master", KC_PASS, KC_SEV_HIGH);
	ev = kc_result_add_evidence(r, KC_EV_PROCESS);
	ev->pid = 4242;
	ev->source = kc_strdup("/proc/4242/cmdline");
	ev->key = kc_strdup("--anonymous-auth");
	ev->value = kc_strdup("false");
	ev->layer = kc_strdup("process");

	r = fx_result(run, "1.2.15", "Ensure that the --profiling argument is set to false", "1.2", "API Server",
		      "master", KC_FAIL, KC_SEV_MEDIUM);
	ev = kc_result_add_evidence(r, KC_EV_CONFIG);
	ev->source = kc_strdup("/etc/kubernetes/manifests/kube-apiserver.yaml");
	ev->line = 17;
	ev->key = kc_strdup("--profiling");
	ev->value = kc_strdup(P_JS);
	ev->layer = kc_strdup("static-pod");
	free(r->remediation);
	r->remediation = kc_strdup("Set --profiling=false\n" P_SCRIPT "\nthen restart.");

	r = fx_result(run, "1.2.30", "Ensure encryption providers are configured", "1.2", "API Server", "master",
		      KC_WARN, KC_SEV_HIGH);
	free(r->type);
	r->type = kc_strdup("manual");
	kc_result_set_reason(r, "%s", "manual check: review the encryption configuration " P_IMG);
	kc_result_note(r, "%s", "look at --encryption-provider-config");

	r = fx_result(run, "4.2.1", "Ensure that the --anonymous-auth argument is set to false", "4.2", "Kubelet",
		      "node", KC_PASS, KC_SEV_CRITICAL);
	ev = kc_result_add_evidence(r, KC_EV_DEFAULT);
	ev->key = kc_strdup("authentication.anonymous.enabled");
	ev->value = kc_strdup("false");
	ev->layer = kc_strdup("default");
	ev->detail = kc_strdup("KubeletConfiguration default");

	r = fx_result(run, "4.2.9", "Ensure that the eventRecordQPS argument is set", "4.2", "Kubelet", "node",
		      KC_SKIP, KC_SEV_LOW);
	kc_result_set_reason(r, "%s", "kubelet is not running on this node");

	r = fx_result(run, "4.2.12", "Ensure the kubelet only uses strong ciphers", "4.2", "Kubelet", "node",
		      KC_ERROR, KC_SEV_MEDIUM);
	kc_result_set_reason(r, "%s", "cannot read /var/lib/kubelet/config.yaml: Permission denied");

	r = fx_result(run, "5.2.2", "Minimize the admission of privileged containers " P_SVG, "5.2",
		      "Pod Security Standards", "policies " P_ATTR, KC_FAIL, KC_SEV_CRITICAL);
	fx_object(r, "Pod", "default", "nginx " P_SCRIPT, "deploy/nginx.yaml", 12);
	fx_object(r, "Deployment", "kube-system", P_IMG, "deploy/sys.yaml", 40);
	fx_object(r, "Pod", "team-a", "db", "/api/v1/namespaces/team-a/pods/db", 0);
}

#endif
