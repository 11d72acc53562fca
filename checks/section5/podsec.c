/* 5.2.x and 5.6.2/5.6.3: pod security, judged on pods and on the pod templates of every
 * controller, each container (init and ephemeral too) on its own row. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/section5/s5.h"

/* A container predicate: returns 1 when ct fails and fills the field (relative to the
 * container, or absolute when it starts with '/') and the value found. */
typedef int (*ct_pred)(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *field,
		       struct kc_buf *value);

static int container_check(struct s5 *s, enum kc_status *st, ct_pred pred, const char *expected,
			   const char *what, const char *what_pl)
{
	const struct kc_k8s_obj **w;
	size_t n = s5_container_holders(s->c, &w);
	struct kc_buf key = KC_BUF_INIT, field = KC_BUF_INIT, value = KC_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct kc_podspec *p = w[i]->pod;
		for (size_t j = 0; j < p->ncontainers; j++) {
			const struct kc_container *ct = &p->containers[j];
			if (!s5_container_judged(w[i], ct))
				continue;
			kc_buf_reset(&field);
			kc_buf_reset(&value);
			if (!pred(p, ct, &field, &value))
				continue;
			kc_buf_reset(&key);
			if (field.ptr[0] == '/') {
				kc_buf_printf(&key, "%s%s", p->prefix, field.ptr + 1);
			} else {
				s5_container_path(&key, p, ct);
				kc_buf_printf(&key, ".%s", field.ptr);
			}
			s5_row(s, w[i], key.ptr, value.ptr, "%s '%s' %s", s5_container_word(ct),
			       ct->name ? ct->name : "?", what);
		}
	}
	kc_buf_clear(&key);
	kc_buf_clear(&field);
	kc_buf_clear(&value);
	free(w);
	kc_result_set_expected(s->r, "%s", expected);
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu container%s in %zu workload%s %s", s->nrows, s->nrows == 1 ? "" : "s",
				     s->nobjects, s->nobjects == 1 ? "" : "s", s->nrows == 1 ? what : what_pl);
	else
		kc_result_set_actual(s->r, "no container of %zu workload%s %s", n, n == 1 ? "" : "s", what);
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

/* Pod-level flags: hostPID, hostIPC, hostNetwork. */
static int pod_flag_check(struct s5 *s, enum kc_status *st, size_t offset, const char *field,
			  const char *expected, const char *what, const char *what_pl)
{
	const struct kc_k8s_obj **w;
	size_t n = s5_workloads(s->c, &w);
	struct kc_buf key = KC_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct kc_podspec *p = w[i]->pod;
		signed char v = *((const signed char *)p + offset);
		if (v != KC_TRI_TRUE)
			continue;
		kc_buf_reset(&key);
		kc_buf_printf(&key, "%s.%s", p->prefix, field);
		s5_row(s, w[i], key.ptr, "true", "%s %s", w[i]->kind_name, what);
	}
	kc_buf_clear(&key);
	free(w);
	kc_result_set_expected(s->r, "%s", expected);
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu workload%s %s", s->nrows, s->nrows == 1 ? "" : "s",
				     s->nrows == 1 ? what : what_pl);
	else
		kc_result_set_actual(s->r, "none of %zu workload%s %s", n, n == 1 ? "" : "s", what_pl);
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

int s5_pods_host_pid(struct s5 *s, enum kc_status *st)
{
	return pod_flag_check(s, st, offsetof(struct kc_podspec, host_pid), "hostPID",
			      "no workload shares the host's process ID namespace (hostPID)", "shares the host PID namespace", "share the host PID namespace");
}

int s5_pods_host_ipc(struct s5 *s, enum kc_status *st)
{
	return pod_flag_check(s, st, offsetof(struct kc_podspec, host_ipc), "hostIPC",
			      "no workload shares the host's IPC namespace (hostIPC)", "shares the host IPC namespace", "share the host IPC namespace");
}

int s5_pods_host_network(struct s5 *s, enum kc_status *st)
{
	return pod_flag_check(s, st, offsetof(struct kc_podspec, host_network), "hostNetwork",
			      "no workload shares the host's network namespace (hostNetwork)", "shares the host network namespace", "share the host network namespace");
}

static int has_cap(const char **caps, size_t n, const char *cap)
{
	for (size_t i = 0; i < n; i++) {
		const char *c = caps[i];
		if (strncasecmp(c, "CAP_", 4) == 0)
			c += 4;
		if (strcasecmp(c, cap) == 0)
			return 1;
	}
	return 0;
}

static void join(struct kc_buf *b, const char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kc_buf_printf(b, "%s%s", i ? "," : "", items[i]);
}

static int pred_privileged(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *f, struct kc_buf *v)
{
	(void)p;
	if (ct->privileged != KC_TRI_TRUE)
		return 0;
	kc_buf_puts(f, "securityContext.privileged");
	kc_buf_puts(v, "true");
	return 1;
}

int s5_pods_privileged(struct s5 *s, enum kc_status *st)
{
	return container_check(s, st, pred_privileged, "no container runs privileged", "runs privileged", "run privileged");
}

static int pred_ape(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *f, struct kc_buf *v)
{
	(void)p;
	if (ct->ape != KC_TRI_TRUE)
		return 0;
	kc_buf_puts(f, "securityContext.allowPrivilegeEscalation");
	kc_buf_puts(v, "true");
	return 1;
}

int s5_pods_privilege_escalation(struct s5 *s, enum kc_status *st)
{
	return container_check(s, st, pred_ape, "no container sets allowPrivilegeEscalation: true",
			       "allows privilege escalation", "allow privilege escalation");
}

/* Root: runAsUser 0 at the effective level, or neither runAsUser nor runAsNonRoot: true,
 * in which case the image's USER decides and is usually root. */
static int pred_root(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *f, struct kc_buf *v)
{
	if (ct->has_run_as_user || p->has_run_as_user) {
		long long uid = ct->has_run_as_user ? ct->run_as_user : p->run_as_user;
		if (uid != 0)
			return 0;
		kc_buf_puts(f, ct->has_run_as_user ? "securityContext.runAsUser" : "/.securityContext.runAsUser");
		kc_buf_puts(v, "0");
		return 1;
	}
	signed char nonroot = ct->run_as_non_root != KC_TRI_UNSET ? ct->run_as_non_root : p->run_as_non_root;
	if (nonroot == KC_TRI_TRUE)
		return 0;
	kc_buf_puts(f, ct->run_as_non_root != KC_TRI_UNSET || p->run_as_non_root == KC_TRI_UNSET
			       ? "securityContext.runAsNonRoot" : "/.securityContext.runAsNonRoot");
	kc_buf_puts(v, nonroot == KC_TRI_FALSE ? "false" : "<unset> (runAsUser unset: the image decides)");
	return 1;
}

int s5_pods_run_as_root(struct s5 *s, enum kc_status *st)
{
	return container_check(s, st, pred_root,
			       "every container runs as non-root (runAsNonRoot: true or a non-zero runAsUser)",
			       "may run as root", "may run as root");
}

static int pred_net_raw(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *f, struct kc_buf *v)
{
	(void)p;
	if (ct->privileged == KC_TRI_TRUE) {
		kc_buf_puts(f, "securityContext.privileged");
		kc_buf_puts(v, "true (every capability, NET_RAW included)");
		return 1;
	}
	if (has_cap(ct->cap_add, ct->ncap_add, "NET_RAW") || has_cap(ct->cap_add, ct->ncap_add, "ALL")) {
		kc_buf_puts(f, "securityContext.capabilities.add");
		join(v, ct->cap_add, ct->ncap_add);
		return 1;
	}
	if (has_cap(ct->cap_drop, ct->ncap_drop, "NET_RAW") || has_cap(ct->cap_drop, ct->ncap_drop, "ALL"))
		return 0;
	kc_buf_puts(f, "securityContext.capabilities.drop");
	if (ct->ncap_drop)
		join(v, ct->cap_drop, ct->ncap_drop);
	else
		kc_buf_puts(v, "<unset> (the runtime's default set includes NET_RAW)");
	return 1;
}

int s5_pods_net_raw(struct s5 *s, enum kc_status *st)
{
	return container_check(s, st, pred_net_raw, "every container drops NET_RAW (or ALL) and none adds it",
			       "keeps NET_RAW", "keep NET_RAW");
}

/* Added capabilities and capabilities not dropped. NET_BIND_SERVICE may be added back after
 * dropping ALL, as the "restricted" Pod Security Standard allows. */
static int pred_caps(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *f, struct kc_buf *v)
{
	(void)p;
	int drops_all = has_cap(ct->cap_drop, ct->ncap_drop, "ALL");
	size_t extra = 0;
	for (size_t i = 0; i < ct->ncap_add; i++)
		if (!(drops_all && has_cap(&ct->cap_add[i], 1, "NET_BIND_SERVICE")))
			extra++;
	if (extra) {
		kc_buf_puts(f, "securityContext.capabilities.add");
		join(v, ct->cap_add, ct->ncap_add);
		return 1;
	}
	if (drops_all)
		return 0;
	kc_buf_puts(f, "securityContext.capabilities.drop");
	if (ct->ncap_drop)
		join(v, ct->cap_drop, ct->ncap_drop);
	else
		kc_buf_puts(v, "<unset>");
	return 1;
}

int s5_pods_added_caps(struct s5 *s, enum kc_status *st)
{
	return container_check(s, st, pred_caps,
			       "every container drops ALL capabilities and adds none (NET_BIND_SERVICE excepted)",
			       "adds or keeps capabilities", "add or keep capabilities");
}

/* The older benchmarks' "containers with added capabilities": only what is added counts
 * (NET_BIND_SERVICE after dropping ALL aside, as the restricted standard allows). */
static int pred_caps_add(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *f, struct kc_buf *v)
{
	(void)p;
	int drops_all = has_cap(ct->cap_drop, ct->ncap_drop, "ALL");
	for (size_t i = 0; i < ct->ncap_add; i++)
		if (!(drops_all && has_cap(&ct->cap_add[i], 1, "NET_BIND_SERVICE"))) {
			kc_buf_puts(f, "securityContext.capabilities.add");
			join(v, ct->cap_add, ct->ncap_add);
			return 1;
		}
	return 0;
}

int s5_pods_capabilities_add(struct s5 *s, enum kc_status *st)
{
	return container_check(s, st, pred_caps_add, "no container adds capabilities (NET_BIND_SERVICE after ALL excepted)",
			       "adds capabilities", "add capabilities");
}

static int pred_host_process(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *f, struct kc_buf *v)
{
	if (ct->host_process == KC_TRI_TRUE) {
		kc_buf_puts(f, "securityContext.windowsOptions.hostProcess");
	} else if (ct->host_process == KC_TRI_UNSET && p->host_process == KC_TRI_TRUE) {
		kc_buf_puts(f, "/.securityContext.windowsOptions.hostProcess");
	} else {
		return 0;
	}
	kc_buf_puts(v, "true");
	return 1;
}

int s5_pods_host_process(struct s5 *s, enum kc_status *st)
{
	return container_check(s, st, pred_host_process, "no container runs as a Windows HostProcess",
			       "runs as a Windows HostProcess", "run as a Windows HostProcess");
}

/* Only securityContext.seccompProfile counts: since Kubernetes 1.27 (kubernetes PR #114947,
 * KEP-135) the alpha annotations are neither honoured by the kubelet nor copied into the
 * fields, so a pod that only has the annotation runs Unconfined (unless the kubelet defaults
 * to RuntimeDefault, which the objects cannot show). */
static int pred_seccomp(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *f, struct kc_buf *v)
{
	const char *type = ct->seccomp ? ct->seccomp : p->seccomp;
	if (type) {
		if (strcmp(type, "RuntimeDefault") == 0 || strcmp(type, "Localhost") == 0)
			return 0;
		kc_buf_puts(f, ct->seccomp ? "securityContext.seccompProfile.type" : "/.securityContext.seccompProfile.type");
		kc_buf_puts(v, type);
		return 1;
	}
	const char *annot = ct->seccomp_annot ? ct->seccomp_annot : p->seccomp_annot;
	kc_buf_puts(f, "securityContext.seccompProfile");
	if (annot)
		kc_buf_printf(v, "<unset> (annotation %s ignored since Kubernetes 1.27)", annot);
	else
		kc_buf_puts(v, "<unset> (Unconfined unless the kubelet defaults to RuntimeDefault)");
	return 1;
}

static int has_seccomp_annotation(struct kc_cluster *c)
{
	const struct kc_k8s_obj **w;
	size_t n = s5_container_holders(c, &w);
	int found = 0;
	for (size_t i = 0; i < n && !found; i++) {
		found = w[i]->pod->seccomp_annot != NULL;
		for (size_t j = 0; j < w[i]->pod->ncontainers && !found; j++)
			found = w[i]->pod->containers[j].seccomp_annot != NULL;
	}
	free(w);
	return found;
}

int s5_pods_seccomp(struct s5 *s, enum kc_status *st)
{
	if (has_seccomp_annotation(s->c))
		kc_result_note(s->r, "the seccomp.security.alpha.kubernetes.io annotations do not count: Kubernetes 1.27 "
				     "removed them (the kubelet ignores them and the API server no longer copies them into "
				     "securityContext.seccompProfile); set the field instead");
	return container_check(s, st, pred_seccomp,
			       "every container runs with seccomp profile RuntimeDefault or Localhost",
			       "has no RuntimeDefault seccomp profile", "have no RuntimeDefault seccomp profile");
}

static int pred_sc(const struct kc_podspec *p, const struct kc_container *ct, struct kc_buf *f, struct kc_buf *v)
{
	if (ct->has_sc || p->has_sc)
		return 0;
	kc_buf_puts(f, "securityContext");
	kc_buf_puts(v, "<unset> (neither pod nor container securityContext)");
	return 1;
}

int s5_pods_security_context(struct s5 *s, enum kc_status *st)
{
	return container_check(s, st, pred_sc, "every container has a securityContext (its own or its pod's)",
			       "has no securityContext", "have no securityContext");
}

int s5_pods_host_path(struct s5 *s, enum kc_status *st)
{
	const struct kc_k8s_obj **w;
	size_t n = s5_workloads(s->c, &w);
	struct kc_buf key = KC_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct kc_podspec *p = w[i]->pod;
		for (size_t j = 0; j < p->nhostpaths; j++) {
			kc_buf_reset(&key);
			kc_buf_printf(&key, "%s.volumes[%u].hostPath.path", p->prefix, p->hostpaths[j].index);
			s5_row(s, w[i], key.ptr, p->hostpaths[j].path, "volume '%s' mounts host path %s",
			       p->hostpaths[j].volume ? p->hostpaths[j].volume : "?", p->hostpaths[j].path);
		}
	}
	kc_buf_clear(&key);
	free(w);
	kc_result_set_expected(s->r, "no workload mounts a hostPath volume");
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu hostPath volume%s in %zu workload%s", s->nrows, s->nrows == 1 ? "" : "s",
				     s->nobjects, s->nobjects == 1 ? "" : "s");
	else
		kc_result_set_actual(s->r, "no hostPath volume in %zu workload%s", n, n == 1 ? "" : "s");
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

int s5_pods_host_ports(struct s5 *s, enum kc_status *st)
{
	const struct kc_k8s_obj **w;
	size_t n = s5_container_holders(s->c, &w);
	struct kc_buf key = KC_BUF_INIT;
	char val[32];
	for (size_t i = 0; i < n; i++) {
		const struct kc_podspec *p = w[i]->pod;
		for (size_t j = 0; j < p->ncontainers; j++) {
			const struct kc_container *ct = &p->containers[j];
			if (!s5_container_judged(w[i], ct))
				continue;
			for (size_t k = 0; k < ct->nhostports; k++) {
				kc_buf_reset(&key);
				s5_container_path(&key, p, ct);
				kc_buf_printf(&key, ".ports[%u].hostPort", ct->hostports[k].index);
				snprintf(val, sizeof(val), "%ld", ct->hostports[k].port);
				s5_row(s, w[i], key.ptr, val, "%s '%s' binds host port %ld", s5_container_word(ct),
				       ct->name ? ct->name : "?", ct->hostports[k].port);
			}
		}
	}
	kc_buf_clear(&key);
	free(w);
	kc_result_set_expected(s->r, "no container uses a hostPort");
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu host port%s in %zu workload%s", s->nrows, s->nrows == 1 ? "" : "s",
				     s->nobjects, s->nobjects == 1 ? "" : "s");
	else
		kc_result_set_actual(s->r, "no hostPort in %zu workload%s", n, n == 1 ? "" : "s");
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

/* Pod Security Admission: the namespace's enforce label at baseline or restricted. An
 * admission policy engine among the objects may do the same job: then WARN, not FAIL. */
int s5_pods_psa_labels(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	size_t judged = 0;
	for (size_t i = 0; i < c->nnss; i++) {
		const struct kc_ns_info *ns = &c->nss[i];
		if (ns->exempt || !ns->nworkloads)
			continue;
		judged++;
		const char *enforce = ns->obj ? kc_k8s_label(ns->obj->labels, ns->obj->nlabels,
							      "pod-security.kubernetes.io/enforce") : NULL;
		if (enforce && (strcmp(enforce, "baseline") == 0 || strcmp(enforce, "restricted") == 0))
			continue;
		if (!ns->obj)
			s5_ns_row(s, ns, "metadata.labels.pod-security.kubernetes.io/enforce", "<namespace not among the objects>",
				  "namespace with %zu workload%s is not declared, so its Pod Security labels are unknown",
				  ns->nworkloads, ns->nworkloads == 1 ? "" : "s");
		else
			s5_ns_row(s, ns, "metadata.labels.pod-security.kubernetes.io/enforce", enforce ? enforce : "<unset>",
				  "namespace with %zu workload%s does not enforce the baseline or restricted Pod Security Standard",
				  ns->nworkloads, ns->nworkloads == 1 ? "" : "s");
	}
	kc_result_set_expected(s->r, "every namespace with workloads enforces Pod Security 'baseline' or 'restricted'");
	if (!s->nrows) {
		kc_result_set_actual(s->r, "all %zu namespace%s with workloads enforce it", judged, judged == 1 ? "" : "s");
		*st = KC_PASS;
		return 0;
	}
	kc_result_set_actual(s->r, "%zu of %zu namespace%s with workloads do not enforce it", s->nrows, judged,
			     judged == 1 ? "" : "s");
	*st = KC_FAIL;
	/* an external admission policy may cover what the labels do not */
	size_t engines = 0;
	for (size_t i = 0; i < c->nby_kind[KC_K_OTHER]; i++) {
		const struct kc_k8s_obj *o = c->by_kind[KC_K_OTHER][i];
		if (o->pod_security) {
			if (!engines++)
				kc_result_note(s->r, "admission policy %s %s may enforce pod security instead of the labels",
					       o->kind_name, o->name);
		}
	}
	if (engines) {
		*st = KC_WARN;
		kc_result_set_reason(s->r, "%zu pod security admission polic%s (Kyverno podSecurity or Gatekeeper PSP templates) "
				     "may cover the unlabelled namespaces: confirm they enforce the baseline standard",
				     engines, engines == 1 ? "y" : "ies");
	}
	return 0;
}
