#include "remediation/workloads.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *jget(struct json_object *o, const char *dotted)
{
	char key[128];
	const char *p = dotted;
	while (o && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		struct json_object *v = NULL;
		if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
			return NULL;
		o = v;
		p = dot ? dot + 1 : p + n;
	}
	return o;
}

static const char *jstr(struct json_object *o, const char *dotted)
{
	struct json_object *v = jget(o, dotted);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int jtrue(struct json_object *o, const char *dotted)
{
	struct json_object *v = jget(o, dotted);
	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static int is_kind(const struct kc_render_obj *o, const char *const *kinds)
{
	for (size_t i = 0; kinds[i]; i++)
		if (strcmp(o->kind, kinds[i]) == 0)
			return 1;
	return 0;
}

static const char *const workload_kinds[] = { "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod", NULL };

/* Unset metadata.namespace: the application's destination namespace, unknown here; such
 * an object is taken to be in whichever namespace asks (the flows tell which). */
static int in_ns(const struct kc_render_obj *o, const char *ns)
{
	return !o->ns || strcmp(o->ns, ns) == 0;
}

static struct json_object *pod_template(const struct kc_render_obj *o)
{
	if (!o->json)
		return NULL;
	if (strcmp(o->kind, "Pod") == 0)
		return o->json;
	if (strcmp(o->kind, "CronJob") == 0)
		return jget(o->json, "spec.jobTemplate.spec.template");
	return jget(o->json, "spec.template");
}

static int all_of(const char *s, size_t n, const char *set)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr(set, s[i]))
			return 0;
	return 1;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyz0123456789"
#define DIGITS "0123456789"

/* rest is what follows "<name>-" in the pod's name */
static int suffix_fits(const char *kind, const char *rest)
{
	const char *dash = strrchr(rest, '-');
	size_t n = strlen(rest);
	if (strcmp(kind, "StatefulSet") == 0)
		return all_of(rest, n, DIGITS);
	if (strcmp(kind, "DaemonSet") == 0 || strcmp(kind, "Job") == 0 || strcmp(kind, "ReplicaSet") == 0)
		return n == 5 && all_of(rest, n, ALNUM);
	if (!dash || strlen(dash + 1) != 5 || !all_of(dash + 1, 5, ALNUM))
		return 0;
	if (strcmp(kind, "Deployment") == 0)
		return all_of(rest, (size_t)(dash - rest), ALNUM) && dash - rest <= 10;
	if (strcmp(kind, "CronJob") == 0)
		return all_of(rest, (size_t)(dash - rest), DIGITS);
	return 0;
}

static void add_labels(struct json_object *m, struct kc_flow_label **out, size_t *n)
{
	size_t cap = 0;
	if (!m || !json_object_is_type(m, json_type_object))
		return;
	json_object_object_foreach(m, k, v) {
		if (!json_object_is_type(v, json_type_string) || kc_flows_label_is_ephemeral(k))
			continue;
		*out = kc_array_grow(*out, &cap, *n + 1, sizeof(**out));
		(*out)[*n].key = kc_strdup(k);
		(*out)[*n].value = kc_strdup(json_object_get_string(v));
		(*n)++;
	}
}

int kc_workloads_selector(void *payload, const char *ns, const char *pod, struct kc_flow_label **out, size_t *n)
{
	const struct kc_render *r = payload;
	const struct kc_render_obj *best = NULL;
	size_t best_len = 0;
	*out = NULL;
	*n = 0;
	if (!r)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct kc_render_obj *o = &r->v[i];
		if (!is_kind(o, workload_kinds) || !in_ns(o, ns))
			continue;
		size_t len = strlen(o->name);
		int match = strcmp(o->kind, "Pod") == 0 ? strcmp(o->name, pod) == 0
			: strncmp(pod, o->name, len) == 0 && pod[len] == '-' && suffix_fits(o->kind, pod + len + 1);
		if (match && len > best_len) {
			best = o;
			best_len = len;
		}
	}
	if (!best)
		return 0;
	/* a Deployment's, StatefulSet's, DaemonSet's selector; a Job's is generated per run
	 * (controller-uid), so its template's stable labels */
	int by_selector = strcmp(best->kind, "Deployment") == 0 || strcmp(best->kind, "StatefulSet") == 0 ||
			  strcmp(best->kind, "DaemonSet") == 0 || strcmp(best->kind, "ReplicaSet") == 0;
	if (by_selector)
		add_labels(jget(best->json, "spec.selector.matchLabels"), out, n);
	else
		add_labels(jget(pod_template(best), "metadata.labels"), out, n);
	return *n ? 1 : 0;
}

static const char *const infra_namespaces[] = {
	"ingress-nginx", "cert-manager", "argocd", "flux-system", "calico-system", "calico-apiserver",
	"tigera-operator", "cilium", "cilium-secrets", "kyverno", "gatekeeper-system", "istio-system",
	"linkerd", "metallb-system", "kube-flannel", "traefik", "local-path-storage",
};

int kc_workloads_infrastructure(const struct kc_render *r, const char *ns, char *why, size_t cap)
{
	if (strncmp(ns, "kube-", 5) == 0) {
		snprintf(why, cap, "a kube-* namespace: the control plane and node agents live there");
		return 1;
	}
	for (size_t i = 0; i < sizeof(infra_namespaces) / sizeof(infra_namespaces[0]); i++) {
		if (strcmp(ns, infra_namespaces[i]) == 0) {
			snprintf(why, cap, "the usual namespace of an ingress, CNI, GitOps or admission controller");
			return 1;
		}
	}
	for (size_t i = 0; r && i < r->n; i++) {
		const struct kc_render_obj *o = &r->v[i];
		if ((strcmp(o->kind, "ValidatingWebhookConfiguration") == 0 || strcmp(o->kind, "MutatingWebhookConfiguration") == 0) && o->json) {
			struct json_object *hooks = jget(o->json, "webhooks");
			size_t nh = hooks && json_object_is_type(hooks, json_type_array) ? json_object_array_length(hooks) : 0;
			for (size_t h = 0; h < nh; h++) {
				const char *sns = jstr(json_object_array_get_idx(hooks, h), "clientConfig.service.namespace");
				if (sns && strcmp(sns, ns) == 0) {
					snprintf(why, cap, "the API server calls the admission webhook %s/%s here", o->kind, o->name);
					return 1;
				}
			}
		}
		if (is_kind(o, workload_kinds) && o->ns && strcmp(o->ns, ns) == 0 &&
		    jtrue(pod_template(o), "spec.hostNetwork")) {
			snprintf(why, cap, "%s/%s runs on the host network", o->kind, o->name);
			return 1;
		}
	}
	return 0;
}

const char *kc_workloads_nodelocal_dns(const struct kc_render *r, char *buf, size_t cap)
{
	for (size_t i = 0; r && i < r->n; i++) {
		const struct kc_render_obj *o = &r->v[i];
		if (strcmp(o->kind, "DaemonSet") != 0 || strcmp(o->name, "node-local-dns") != 0)
			continue;
		snprintf(buf, cap, "169.254.20.10");
		struct json_object *cs = jget(pod_template(o), "spec.containers");
		size_t nc = cs && json_object_is_type(cs, json_type_array) ? json_object_array_length(cs) : 0;
		for (size_t c = 0; c < nc; c++) {
			struct json_object *args = jget(json_object_array_get_idx(cs, c), "args");
			size_t na = args && json_object_is_type(args, json_type_array) ? json_object_array_length(args) : 0;
			for (size_t a = 0; a + 1 < na; a++) {
				const char *s = json_object_get_string(json_object_array_get_idx(args, a));
				const char *v = json_object_get_string(json_object_array_get_idx(args, a + 1));
				/* "-localip 169.254.20.10,10.96.0.10": the first is the link-local one */
				if (s && v && strcmp(s, "-localip") == 0) {
					size_t n = strcspn(v, ",");
					if (n && n < cap && n < 40) {
						memcpy(buf, v, n);
						buf[n] = '\0';
					}
				}
			}
		}
		return buf;
	}
	return NULL;
}

const char *kc_pss_level_name(enum kc_pss_level l)
{
	return l == KC_PSS_RESTRICTED ? "restricted" : l == KC_PSS_BASELINE ? "baseline" : "privileged";
}

/* policy/check_capabilities_baseline.go */
static const char *const baseline_caps[] = {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
	"SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
};
/* policy/check_restrictedVolumes.go */
static const char *const restricted_volumes[] = {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
};

struct judge {
	enum kc_pss_level level;   /* strictest still met */
	struct kc_buf *why;
	const char *who;
	int said;
};

static void violates(struct judge *j, enum kc_pss_level broken, const char *what)
{
	/* breaking restricted leaves baseline; breaking baseline leaves privileged */
	enum kc_pss_level left = broken == KC_PSS_RESTRICTED ? KC_PSS_BASELINE : KC_PSS_PRIVILEGED;
	if (left < j->level)
		j->level = left;
	if (j->why && j->said < 4) {
		kc_buf_printf(j->why, "- `%s`: %s (not %s)\n", j->who, what, kc_pss_level_name(broken));
		j->said++;
	}
}

static int str_in(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

/* Fields whose baseline rules are not modelled here: a workload that sets them is taken
 * not to meet baseline, so enforce is never proposed on a guess. */
static void unjudged(struct judge *j, struct json_object *sc)
{
	static const char *const fields[] = { "seLinuxOptions", "sysctls", "appArmorProfile", "windowsOptions.hostProcess" };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (jget(sc, fields[i])) {
			char what[96];
			snprintf(what, sizeof(what), "sets securityContext.%s, which kubecomply does not judge", fields[i]);
			violates(j, KC_PSS_BASELINE, what);
		}
	}
}

static void judge_container(struct judge *j, struct json_object *c, struct json_object *pod_sc)
{
	struct json_object *sc = jget(c, "securityContext");
	unjudged(j, sc);
	if (jtrue(sc, "privileged"))
		violates(j, KC_PSS_BASELINE, "privileged container");
	struct json_object *add = jget(sc, "capabilities.add");
	size_t na = add && json_object_is_type(add, json_type_array) ? json_object_array_length(add) : 0;
	for (size_t i = 0; i < na; i++) {
		const char *cap = json_object_get_string(json_object_array_get_idx(add, i));
		if (!cap || !str_in(cap, baseline_caps, sizeof(baseline_caps) / sizeof(baseline_caps[0])))
			violates(j, KC_PSS_BASELINE, "adds a capability outside the baseline set");
		else if (strcmp(cap, "NET_BIND_SERVICE") != 0)
			violates(j, KC_PSS_RESTRICTED, "adds a capability other than NET_BIND_SERVICE");
	}
	struct json_object *ports = jget(c, "ports");
	size_t np = ports && json_object_is_type(ports, json_type_array) ? json_object_array_length(ports) : 0;
	for (size_t i = 0; i < np; i++) {
		struct json_object *hp = jget(json_object_array_get_idx(ports, i), "hostPort");
		if (hp && json_object_get_int64(hp) != 0)
			violates(j, KC_PSS_BASELINE, "uses a hostPort");
	}
	const char *pm = jstr(sc, "procMount");
	if (pm && strcmp(pm, "Default") != 0)
		violates(j, KC_PSS_BASELINE, "procMount is not Default");
	const char *seccomp = jstr(sc, "seccompProfile.type");
	const char *pod_seccomp = jstr(pod_sc, "seccompProfile.type");
	if (seccomp && strcmp(seccomp, "Unconfined") == 0)
		violates(j, KC_PSS_BASELINE, "seccomp Unconfined");
	const char *eff = seccomp ? seccomp : pod_seccomp;
	if (!eff || (strcmp(eff, "RuntimeDefault") != 0 && strcmp(eff, "Localhost") != 0))
		violates(j, KC_PSS_RESTRICTED, "no RuntimeDefault or Localhost seccomp profile");
	struct json_object *ape = jget(sc, "allowPrivilegeEscalation");
	if (!ape || !json_object_is_type(ape, json_type_boolean) || json_object_get_boolean(ape))
		violates(j, KC_PSS_RESTRICTED, "allowPrivilegeEscalation is not false");
	int nonroot = jtrue(sc, "runAsNonRoot") || (!jget(sc, "runAsNonRoot") && jtrue(pod_sc, "runAsNonRoot"));
	if (!nonroot)
		violates(j, KC_PSS_RESTRICTED, "runAsNonRoot is not true");
	struct json_object *uid = jget(sc, "runAsUser");
	if (!uid)
		uid = jget(pod_sc, "runAsUser");
	if (uid && json_object_get_int64(uid) == 0)
		violates(j, KC_PSS_RESTRICTED, "runs as user 0");
	struct json_object *drop = jget(sc, "capabilities.drop");
	size_t nd = drop && json_object_is_type(drop, json_type_array) ? json_object_array_length(drop) : 0;
	int all = 0;
	for (size_t i = 0; i < nd; i++) {
		const char *d = json_object_get_string(json_object_array_get_idx(drop, i));
		all |= d && strcmp(d, "ALL") == 0;
	}
	if (!all)
		violates(j, KC_PSS_RESTRICTED, "does not drop ALL capabilities");
}

static void judge_pod(struct judge *j, struct json_object *spec)
{
	static const char *const host[] = { "hostNetwork", "hostPID", "hostIPC" };
	for (size_t i = 0; i < 3; i++) {
		if (jtrue(spec, host[i])) {
			char what[64];
			snprintf(what, sizeof(what), "%s: true", host[i]);
			violates(j, KC_PSS_BASELINE, what);
		}
	}
	struct json_object *vols = jget(spec, "volumes");
	size_t nv = vols && json_object_is_type(vols, json_type_array) ? json_object_array_length(vols) : 0;
	for (size_t i = 0; i < nv; i++) {
		struct json_object *v = json_object_array_get_idx(vols, i);
		if (!json_object_is_type(v, json_type_object))
			continue;
		json_object_object_foreach(v, k, val) {
			(void)val;
			if (strcmp(k, "name") == 0)
				continue;
			if (strcmp(k, "hostPath") == 0)
				violates(j, KC_PSS_BASELINE, "mounts a hostPath volume");
			else if (!str_in(k, restricted_volumes, sizeof(restricted_volumes) / sizeof(restricted_volumes[0])))
				violates(j, KC_PSS_RESTRICTED, "uses a volume type restricted does not allow");
		}
	}
	struct json_object *pod_sc = jget(spec, "securityContext");
	unjudged(j, pod_sc);
	const char *pod_seccomp = jstr(pod_sc, "seccompProfile.type");
	if (pod_seccomp && strcmp(pod_seccomp, "Unconfined") == 0)
		violates(j, KC_PSS_BASELINE, "seccomp Unconfined");
	static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers" };
	for (size_t l = 0; l < 3; l++) {
		struct json_object *cs = jget(spec, lists[l]);
		size_t nc = cs && json_object_is_type(cs, json_type_array) ? json_object_array_length(cs) : 0;
		for (size_t i = 0; i < nc; i++)
			judge_container(j, json_object_array_get_idx(cs, i), pod_sc);
	}
}

enum kc_pss_level kc_workloads_pss_level(const struct kc_render *r, const char *ns, size_t *nworkloads,
					 struct kc_buf *why)
{
	struct judge j = { KC_PSS_RESTRICTED, why, NULL, 0 };
	*nworkloads = 0;
	for (size_t i = 0; r && i < r->n; i++) {
		const struct kc_render_obj *o = &r->v[i];
		if (!is_kind(o, workload_kinds) || !o->ns || strcmp(o->ns, ns) != 0)
			continue;
		struct json_object *spec = jget(pod_template(o), "spec");
		struct json_object *ann = jget(pod_template(o), "metadata.annotations");
		char who[300];
		snprintf(who, sizeof(who), "%s/%s", o->kind, o->name);
		j.who = who;
		j.said = 0;
		(*nworkloads)++;
		if (!spec) {
			violates(&j, KC_PSS_BASELINE, "no pod spec could be read");
			continue;
		}
		judge_pod(&j, spec);
		if (ann && json_object_is_type(ann, json_type_object)) {
			json_object_object_foreach(ann, k, v) {
				(void)v;
				if (strncmp(k, "container.apparmor.security.beta.kubernetes.io/", 47) == 0)
					violates(&j, KC_PSS_BASELINE, "sets an AppArmor annotation, which kubecomply does not judge");
			}
		}
	}
	return *nworkloads ? j.level : KC_PSS_PRIVILEGED;
}
