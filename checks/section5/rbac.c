/* 5.1.x: RBAC. Bindings are judged through their role's effective rules (aggregated
 * ClusterRoles resolved by the index first), one row per binding subject that holds the
 * permission. The platform's own objects (kubernetes.io/bootstrapping=rbac-defaults) are not
 * judged unless asked, and group system:masters is cluster-admin by design (5.1.7 covers it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/section5/s5.h"

/* One permission: any of verbs on any of resources in group. */
struct perm {
	const char *group;
	const char *const *resources;
	const char *const *verbs;
	int cluster_scoped;         /* a RoleBinding cannot grant it */
};

static int has(const char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* RBAC's resource matching, as the API server's authorizer does it (k8s
 * pkg/apis/rbac/v1/evaluation_helpers.go ResourceMatches): "*", the exact resource (with its
 * subresource, "pods/exec"), and "<star>/x" for subresource x of anything. "pods/<star>" is NOT a
 * wildcard there: it matches only a subresource literally named "*", so it grants nothing. */
static int resource_matches(const struct kc_rule *r, const char *res)
{
	const char *slash = strchr(res, '/');
	for (size_t i = 0; i < r->nresources; i++) {
		const char *x = r->resources[i];
		if (strcmp(x, "*") == 0 || strcmp(x, res) == 0)
			return 1;
		if (slash && strncmp(x, "*/", 2) == 0 && strcmp(x + 1, slash) == 0)
			return 1;
	}
	return 0;
}

/* Does the rule grant one of p's verbs on one of its resources? Rules limited by
 * resourceNames are already least-privilege and are not counted unless with_names. */
static const char *rule_grants(const struct kc_rule *r, const struct perm *p, int with_names)
{
	if (r->nnames && !with_names)
		return NULL;
	if (!has(r->groups, r->ngroups, "*") && !has(r->groups, r->ngroups, p->group))
		return NULL;
	for (const char *const *res = p->resources; *res; res++) {
		if (!resource_matches(r, *res))
			continue;
		for (const char *const *v = p->verbs; *v; v++)
			if (has(r->verbs, r->nverbs, "*") || has(r->verbs, r->nverbs, *v))
				return *v;
	}
	return NULL;
}

static void rule_text(struct kc_buf *b, const struct kc_rule_ref *ref)
{
	const struct kc_rule *r = ref->rule;
	kc_buf_printf(b, "%s %s rules[%zu]: verbs=[", ref->from->kind_name, ref->from->name, ref->index);
	for (size_t i = 0; i < r->nverbs; i++)
		kc_buf_printf(b, "%s%s", i ? "," : "", r->verbs[i]);
	kc_buf_puts(b, "] apiGroups=[");
	for (size_t i = 0; i < r->ngroups; i++)
		kc_buf_printf(b, "%s\"%s\"", i ? "," : "", r->groups[i]);
	kc_buf_puts(b, "] resources=[");
	for (size_t i = 0; i < r->nresources; i++)
		kc_buf_printf(b, "%s%s", i ? "," : "", r->resources[i]);
	kc_buf_puts(b, "]");
	if (r->nnames) {
		kc_buf_puts(b, " resourceNames=[");
		for (size_t i = 0; i < r->nnames; i++)
			kc_buf_printf(b, "%s%s", i ? "," : "", r->names[i]);
		kc_buf_puts(b, "]");
	}
}

static const struct kc_k8s_obj *binding_role(const struct kc_cluster *c, const struct kc_k8s_obj *b)
{
	const char *kind = b->binding->role_kind, *name = b->binding->role_name;
	if (!kind || !name)
		return NULL;
	if (strcmp(kind, "ClusterRole") == 0)
		return kc_cluster__find(c, KC_K_CLUSTERROLE, NULL, name);
	if (strcmp(kind, "Role") == 0)
		return kc_cluster__find(c, KC_K_ROLE, b->ns, name);
	return NULL;
}

static void subject_text(struct kc_buf *b, const struct kc_subject *sj)
{
	if (sj->ns && *sj->ns && strcmp(sj->kind, "ServiceAccount") == 0)
		kc_buf_printf(b, "%s %s/%s", sj->kind, sj->ns, sj->name);
	else
		kc_buf_printf(b, "%s %s", sj->kind, sj->name);
}

static const char *broad_group(const struct kc_subject *sj)
{
	if (strcmp(sj->kind, "Group") == 0) {
		if (strcmp(sj->name, "system:authenticated") == 0)
			return " (every authenticated user)";
		if (strcmp(sj->name, "system:unauthenticated") == 0)
			return " (every anonymous request)";
		if (strcmp(sj->name, "system:serviceaccounts") == 0)
			return " (every service account)";
		if (strncmp(sj->name, "system:serviceaccounts:", 23) == 0)
			return " (every service account of the namespace)";
	}
	if (strcmp(sj->kind, "User") == 0 && strcmp(sj->name, "system:anonymous") == 0)
		return " (anonymous requests)";
	return "";
}

static int is_masters(const struct kc_subject *sj)
{
	return strcmp(sj->kind, "Group") == 0 && strcmp(sj->name, "system:masters") == 0;
}

static size_t all_bindings(struct kc_cluster *c, const struct kc_k8s_obj ***out)
{
	size_t n = c->nby_kind[KC_K_CLUSTERROLEBINDING] + c->nby_kind[KC_K_ROLEBINDING], m = 0;
	const struct kc_k8s_obj **b = kc_xcalloc(n ? n : 1, sizeof(*b));
	for (size_t i = 0; i < c->nby_kind[KC_K_CLUSTERROLEBINDING]; i++)
		b[m++] = c->by_kind[KC_K_CLUSTERROLEBINDING][i];
	for (size_t i = 0; i < c->nby_kind[KC_K_ROLEBINDING]; i++)
		b[m++] = c->by_kind[KC_K_ROLEBINDING][i];
	*out = b;
	return m;
}

/* Rows for every (binding, subject) whose role grants one of perms. */
static int who_can(struct s5 *s, enum kc_status *st, const struct perm *perms, int with_names,
		   const char *what, const char *expected)
{
	struct kc_cluster *c = s->c;
	const struct kc_k8s_obj **bs;
	size_t nb = all_bindings(c, &bs), skipped = 0;
	struct kc_buf key = KC_BUF_INIT, val = KC_BUF_INIT, rule = KC_BUF_INIT;
	for (size_t i = 0; i < nb; i++) {
		const struct kc_k8s_obj *b = bs[i];
		if (b->is_default && !c->include_defaults) {
			skipped++;
			continue;
		}
		const struct kc_k8s_obj *role = binding_role(c, b);
		if (!role || !role->role)
			continue;
		const struct kc_rule_ref *hit = NULL;
		const char *verb = NULL, *res = NULL;
		for (size_t r = 0; r < role->role->neff && !hit; r++)
			for (const struct perm *p = perms; p->group && !hit; p++)
				if ((!p->cluster_scoped || b->kind == KC_K_CLUSTERROLEBINDING) &&
				    (verb = rule_grants(role->role->eff[r].rule, p, with_names))) {
					hit = &role->role->eff[r];
					for (const char *const *x = p->resources; *x; x++)
						if (resource_matches(hit->rule, *x)) {
							res = *x;
							break;
						}
				}
		if (!hit)
			continue;
		kc_buf_reset(&rule);
		rule_text(&rule, hit);
		for (size_t k = 0; k < b->binding->nsubjects; k++) {
			const struct kc_subject *sj = &b->binding->subjects[k];
			if (is_masters(sj))
				continue;
			kc_buf_reset(&key);
			kc_buf_reset(&val);
			kc_buf_printf(&key, "subjects[%zu]", k);
			subject_text(&val, sj);
			s5_row(s, b, key.ptr, val.ptr, "%s%s can %s %s %s via %s", val.ptr, broad_group(sj), verb, res,
			       b->ns ? "in its namespace" : "cluster-wide", rule.ptr);
		}
	}
	kc_buf_clear(&key);
	kc_buf_clear(&val);
	kc_buf_clear(&rule);
	free(bs);
	if (skipped)
		kc_result_note(s->r, "%zu binding%s of the platform's default policy (kubernetes.io/bootstrapping=rbac-defaults) not judged",
			       skipped, skipped == 1 ? "" : "s");
	kc_result_set_expected(s->r, "%s", expected);
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu subject%s in %zu binding%s can %s", s->nrows, s->nrows == 1 ? "" : "s",
				     s->nobjects, s->nobjects == 1 ? "" : "s", what);
	else
		kc_result_set_actual(s->r, "no subject outside the default policy can %s", what);
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

int s5_rbac_secrets(struct s5 *s, enum kc_status *st)
{
	const struct perm perms[] = {
		{ "", LIST("secrets"), LIST("get", "list", "watch"), 0 },
		{ NULL, NULL, NULL, 0 },
	};
	return who_can(s, st, perms, 0, "get, list or watch secrets",
		       "only the subjects that need it can get, list or watch Secrets");
}

int s5_rbac_pod_create(struct s5 *s, enum kc_status *st)
{
	const struct perm perms[] = {
		{ "", LIST("pods", "replicationcontrollers"), LIST("create"), 0 },
		{ "apps", LIST("deployments", "replicasets", "statefulsets", "daemonsets"), LIST("create"), 0 },
		{ "batch", LIST("jobs", "cronjobs"), LIST("create"), 0 },
		{ NULL, NULL, NULL, 0 },
	};
	return who_can(s, st, perms, 0, "create pods or workloads that create pods",
		       "only the subjects that need it can create pods or pod controllers");
}

int s5_rbac_escalation_verbs(struct s5 *s, enum kc_status *st)
{
	const struct perm perms[] = {
		{ "rbac.authorization.k8s.io", LIST("roles"), LIST("bind", "escalate"), 0 },
		/* a RoleBinding granting bind/escalate on clusterroles lets its subjects bind any
		 * ClusterRole in that namespace: the API server authorizes the RoleBinding's roleRef
		 * with the binding's namespace (k8s pkg/registry/rbac/escalation_check.go
		 * BindingAuthorized), so it counts there, not only cluster-wide */
		{ "rbac.authorization.k8s.io", LIST("clusterroles"), LIST("bind", "escalate"), 0 },
		{ "", LIST("serviceaccounts"), LIST("impersonate"), 0 },
		{ "", LIST("users", "groups"), LIST("impersonate"), 1 },
		{ "authentication.k8s.io", LIST("userextras/scopes", "uids"), LIST("impersonate"), 1 },
		{ NULL, NULL, NULL, 0 },
	};
	return who_can(s, st, perms, 1, "bind, escalate or impersonate",
		       "only the subjects that need it hold bind, escalate or impersonate");
}

int s5_rbac_pv_create(struct s5 *s, enum kc_status *st)
{
	const struct perm perms[] = {
		{ "", LIST("persistentvolumes"), LIST("create"), 1 },
		{ NULL, NULL, NULL, 0 },
	};
	return who_can(s, st, perms, 0, "create persistentvolumes",
		       "only the subjects that need it can create PersistentVolumes");
}

int s5_rbac_node_proxy(struct s5 *s, enum kc_status *st)
{
	const struct perm perms[] = {
		{ "", LIST("nodes/proxy"), LIST("get", "create", "update", "patch", "delete", "list", "watch"), 1 },
		{ NULL, NULL, NULL, 0 },
	};
	return who_can(s, st, perms, 1, "use nodes/proxy", "only the subjects that need it can use nodes/proxy");
}

int s5_rbac_csr_approval(struct s5 *s, enum kc_status *st)
{
	const struct perm perms[] = {
		{ "certificates.k8s.io", LIST("certificatesigningrequests/approval"), LIST("update", "patch"), 1 },
		{ NULL, NULL, NULL, 0 },
	};
	return who_can(s, st, perms, 1, "approve certificate signing requests",
		       "only the subjects that need it can update certificatesigningrequests/approval");
}

int s5_rbac_webhooks(struct s5 *s, enum kc_status *st)
{
	const struct perm perms[] = {
		{ "admissionregistration.k8s.io", LIST("validatingwebhookconfigurations", "mutatingwebhookconfigurations"),
		  LIST("create", "update", "patch", "delete", "deletecollection"), 1 },
		{ NULL, NULL, NULL, 0 },
	};
	return who_can(s, st, perms, 1, "change admission webhook configurations",
		       "only the subjects that need it can write validating/mutating webhook configurations");
}

int s5_rbac_sa_token_create(struct s5 *s, enum kc_status *st)
{
	const struct perm perms[] = {
		{ "", LIST("serviceaccounts/token"), LIST("create"), 0 },
		{ NULL, NULL, NULL, 0 },
	};
	return who_can(s, st, perms, 1, "create service account tokens",
		       "only the subjects that need it can create serviceaccounts/token");
}

/* A rule that grants everything, as cluster-admin's does. */
static int rule_is_full_wildcard(const struct kc_rule *r)
{
	return has(r->verbs, r->nverbs, "*") && has(r->groups, r->ngroups, "*") && has(r->resources, r->nresources, "*");
}

int s5_rbac_cluster_admin(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	const struct kc_k8s_obj **bs;
	size_t nb = all_bindings(c, &bs);
	struct kc_buf key = KC_BUF_INIT, val = KC_BUF_INIT;
	for (size_t i = 0; i < nb; i++) {
		const struct kc_k8s_obj *b = bs[i];
		const char *rk = b->binding->role_kind, *rn = b->binding->role_name;
		int direct = rk && rn && strcmp(rk, "ClusterRole") == 0 && strcmp(rn, "cluster-admin") == 0;
		/* The one binding the benchmark allows is the platform's own, to group system:masters.
		 * It is judged by its subjects, not by its name: anyone may add a subject to a
		 * ClusterRoleBinding called cluster-admin, and the authorizer grants them everything
		 * (k8s plugin/pkg/auth/authorizer/rbac/rbac.go VisitRulesFor walks every subject). */
		int platform = direct && b->kind == KC_K_CLUSTERROLEBINDING && strcmp(b->name, "cluster-admin") == 0;
		const char *why = "is bound to ClusterRole cluster-admin";
		if (!direct) {
			const struct kc_k8s_obj *role = binding_role(c, b);
			int full = 0;
			for (size_t r = 0; role && role->role && r < role->role->neff && !full; r++)
				full = rule_is_full_wildcard(role->role->eff[r].rule);
			if (!full || (b->is_default && !c->include_defaults))
				continue;
			why = "is bound to a role that grants every verb on every resource, as cluster-admin does";
		}
		for (size_t k = 0; k < b->binding->nsubjects; k++) {
			const struct kc_subject *sj = &b->binding->subjects[k];
			if (platform && is_masters(sj))
				continue;
			kc_buf_reset(&key);
			kc_buf_reset(&val);
			kc_buf_printf(&key, "subjects[%zu]", k);
			subject_text(&val, sj);
			s5_row(s, b, key.ptr, val.ptr, "%s%s %s (%s %s, roleRef %s %s)%s", val.ptr, broad_group(sj), why,
			       b->kind_name, b->name, rk ? rk : "?", rn ? rn : "?",
			       b->ns ? " in its namespace" : "");
		}
	}
	kc_buf_clear(&key);
	kc_buf_clear(&val);
	free(bs);
	kc_result_set_expected(s->r, "no subject other than group system:masters holds cluster-admin");
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu subject%s hold cluster-admin through %zu other binding%s", s->nrows,
				     s->nrows == 1 ? "" : "s", s->nobjects, s->nobjects == 1 ? "" : "s");
	else
		kc_result_set_actual(s->r, "only the default cluster-admin binding grants it");
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

int s5_rbac_wildcards(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	size_t skipped = 0;
	struct kc_buf key = KC_BUF_INIT;
	static const enum kc_k8s_kind kinds[] = { KC_K_CLUSTERROLE, KC_K_ROLE };
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < c->nby_kind[kinds[k]]; i++) {
			const struct kc_k8s_obj *o = c->by_kind[kinds[k]][i];
			if (!o->role)
				continue;
			if (o->is_default && !c->include_defaults) {
				skipped++;
				continue;
			}
			/* own rules only: an aggregated role's copies are judged where they are written */
			for (size_t r = 0; r < o->role->nrules; r++) {
				const struct kc_rule *ru = &o->role->rules[r];
				const char *field = has(ru->verbs, ru->nverbs, "*") ? "verbs"
						    : has(ru->resources, ru->nresources, "*") ? "resources"
						    : has(ru->groups, ru->ngroups, "*") ? "apiGroups" : NULL;
				if (!field)
					continue;
				kc_buf_reset(&key);
				kc_buf_printf(&key, "rules[%zu].%s", r, field);
				s5_row(s, o, key.ptr, "*", "%s %s uses a wildcard in %s", o->kind_name, o->name, field);
			}
		}
	kc_buf_clear(&key);
	if (skipped)
		kc_result_note(s->r, "%zu role%s of the platform's default policy not judged", skipped, skipped == 1 ? "" : "s");
	kc_result_set_expected(s->r, "no Role or ClusterRole rule uses '*' in verbs, resources or apiGroups");
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu rule%s in %zu role%s use wildcards", s->nrows, s->nrows == 1 ? "" : "s",
				     s->nobjects, s->nobjects == 1 ? "" : "s");
	else
		kc_result_set_actual(s->r, "no role uses wildcards");
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

int s5_rbac_system_masters(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	const struct kc_k8s_obj **bs;
	size_t nb = all_bindings(c, &bs);
	char key[32];
	for (size_t i = 0; i < nb; i++) {
		const struct kc_k8s_obj *b = bs[i];
		if (b->kind == KC_K_CLUSTERROLEBINDING && strcmp(b->name, "cluster-admin") == 0 &&
		    (b->is_default || c->include_defaults == 0))
			continue; /* the platform's own binding of system:masters */
		for (size_t k = 0; k < b->binding->nsubjects; k++)
			if (is_masters(&b->binding->subjects[k])) {
				snprintf(key, sizeof(key), "subjects[%zu]", k);
				s5_row(s, b, key, "Group system:masters", "%s %s binds group system:masters, which no "
				       "authorizer can restrict", b->kind_name, b->name);
			}
	}
	free(bs);
	kc_result_set_expected(s->r, "no binding names group system:masters and no credential carries it");
	kc_result_note(s->r, "client certificates issued with O=system:masters are not visible in the API or in "
			     "manifests; review the certificates your CA has issued");
	if (s->nrows) {
		kc_result_set_actual(s->r, "%zu binding%s name group system:masters", s->nobjects, s->nobjects == 1 ? "" : "s");
		*st = KC_FAIL;
	} else {
		kc_result_set_actual(s->r, "no binding names group system:masters");
		kc_result_set_reason(s->r, "membership of system:masters through client certificates cannot be seen from "
					   "cluster objects");
		*st = KC_WARN;
	}
	return 0;
}

/* ---- service account tokens ---- */

/* Service accounts named as a subject of any binding, "ns/name" sorted for bsearch. */
struct sa_set {
	char **keys;
	size_t n;
};

static void sa_set_build(struct kc_cluster *c, struct sa_set *set)
{
	const struct kc_k8s_obj **bs;
	size_t nb = all_bindings(c, &bs), cap = 0;
	set->keys = NULL;
	set->n = 0;
	for (size_t i = 0; i < nb; i++)
		for (size_t k = 0; k < bs[i]->binding->nsubjects; k++) {
			const struct kc_subject *sj = &bs[i]->binding->subjects[k];
			if (strcmp(sj->kind, "ServiceAccount") != 0 || !sj->ns)
				continue;
			struct kc_buf b = KC_BUF_INIT;
			kc_buf_printf(&b, "%s/%s", sj->ns, sj->name);
			set->keys = kc_array_grow(set->keys, &cap, set->n + 1, sizeof(*set->keys));
			set->keys[set->n++] = kc_buf_detach(&b);
		}
	free(bs);
	if (set->n) /* qsort(NULL, 0, ...) is undefined behaviour */
		qsort(set->keys, set->n, sizeof(*set->keys), kc_strcmp_ptr);
}

static int sa_set_has(const struct sa_set *set, const char *ns, const char *name)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s/%s", ns ? ns : "", name);
	char *key = b.ptr;
	int found = set->n && bsearch(&key, set->keys, set->n, sizeof(*set->keys), kc_strcmp_ptr) != NULL;
	kc_buf_clear(&b);
	return found;
}

static void sa_set_clear(struct sa_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->keys[i]);
	free(set->keys);
}

/* Does the workload get a token mounted? The pod's field wins; unset defers to the service
 * account's, and a service account that says nothing (or is not among the objects) mounts. */
static int automounts(const struct kc_cluster *c, const struct kc_k8s_obj *w, const char **why)
{
	const struct kc_podspec *p = w->pod;
	if (p->automount != KC_TRI_UNSET) {
		*why = p->automount == KC_TRI_TRUE ? "true" : "false";
		return p->automount == KC_TRI_TRUE;
	}
	const char *sa = p->service_account ? p->service_account : "default";
	const struct kc_k8s_obj *o = kc_cluster__find(c, KC_K_SERVICEACCOUNT, w->ns, sa);
	if (o && o->automount == KC_TRI_FALSE) {
		*why = "false (from its ServiceAccount)";
		return 0;
	}
	*why = o ? "<unset> (its ServiceAccount automounts)" : "<unset> (its ServiceAccount is not among the objects; the default mounts)";
	return 1;
}

int s5_rbac_default_sa(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	/* 1. every namespace's default service account must not automount */
	for (size_t i = 0; i < c->nnss; i++) {
		const struct kc_ns_info *ns = &c->nss[i];
		const struct kc_k8s_obj *sa = kc_cluster__find(c, KC_K_SERVICEACCOUNT, ns->name, "default");
		if (sa && sa->automount == KC_TRI_FALSE)
			continue;
		if (sa) {
			s5_row(s, sa, "automountServiceAccountToken", sa->automount == KC_TRI_TRUE ? "true" : "<unset>",
			       "default service account of namespace %s automounts its token", ns->name);
		} else {
			/* Kubernetes creates it in every namespace, automounting */
			struct kc_evidence *ev = s5_row(s, &(struct kc_k8s_obj){ .kind_name = "ServiceAccount", .ns = ns->name,
							.name = "default", .src = ns->obj ? ns->obj->src : NULL,
							.line = ns->obj ? ns->obj->line : 0 },
							"automountServiceAccountToken", "<unset> (created by Kubernetes)",
							"namespace %s gets a default service account that automounts its token; "
							"declare it with automountServiceAccountToken: false", ns->name);
			if (ns->obj && ns->obj->src && ns->obj->src->api) {
				free(ev->source);
				ev->source = NULL; /* the URL of the namespace would mislead */
			}
			s->last = NULL; /* the object above was a temporary */
		}
	}
	size_t nsa_rows = s->nrows;
	/* 2. default service accounts granted roles */
	const struct kc_k8s_obj **bs;
	size_t nb = all_bindings(c, &bs);
	char key[32];
	for (size_t i = 0; i < nb; i++) {
		const struct kc_k8s_obj *b = bs[i];
		if (b->is_default && !c->include_defaults)
			continue;
		for (size_t k = 0; k < b->binding->nsubjects; k++) {
			const struct kc_subject *sj = &b->binding->subjects[k];
			if (strcmp(sj->kind, "ServiceAccount") != 0 || strcmp(sj->name, "default") != 0)
				continue;
			snprintf(key, sizeof(key), "subjects[%zu]", k);
			s5_row(s, b, key, "ServiceAccount default", "grants %s %s to the default service account of %s",
			       b->binding->role_kind ? b->binding->role_kind : "?",
			       b->binding->role_name ? b->binding->role_name : "?", sj->ns ? sj->ns : "?");
		}
	}
	free(bs);
	size_t nbind_rows = s->nrows - nsa_rows;
	/* 3. workloads that actually run as the default service account with its token */
	const struct kc_k8s_obj **w;
	size_t nw = s5_workloads(c, &w);
	struct kc_buf path = KC_BUF_INIT;
	for (size_t i = 0; i < nw; i++) {
		const struct kc_podspec *p = w[i]->pod;
		const char *why;
		if ((p->service_account && strcmp(p->service_account, "default") != 0) || !automounts(c, w[i], &why))
			continue;
		kc_buf_reset(&path);
		kc_buf_printf(&path, "%s.serviceAccountName", p->prefix);
		s5_row(s, w[i], path.ptr, p->service_account ? "default" : "<unset> (default)",
		       "%s runs as the default service account with its token mounted (automount %s)", w[i]->kind_name, why);
	}
	kc_buf_clear(&path);
	free(w);
	size_t nwork_rows = s->nrows - nsa_rows - nbind_rows;
	kc_result_set_expected(s->r, "default service accounts do not automount tokens, hold no roles and are not used by workloads");
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu default service account%s automount, %zu binding subject%s, %zu workload%s use one",
				     nsa_rows, nsa_rows == 1 ? "" : "s", nbind_rows, nbind_rows == 1 ? "" : "s",
				     nwork_rows, nwork_rows == 1 ? "" : "s");
	else
		kc_result_set_actual(s->r, "no default service account is active");
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

/* 5.1.6: a token is "needed" when its service account holds RBAC permissions; a workload that
 * mounts the token of an account without any binding gains nothing but an attack surface. */
int s5_rbac_token_automount(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	struct sa_set set;
	sa_set_build(c, &set);
	const struct kc_k8s_obj **w;
	size_t nw = s5_workloads(c, &w), needed = 0;
	struct kc_buf path = KC_BUF_INIT;
	for (size_t i = 0; i < nw; i++) {
		const struct kc_podspec *p = w[i]->pod;
		const char *why;
		if (!automounts(c, w[i], &why))
			continue;
		const char *sa = p->service_account ? p->service_account : "default";
		if (sa_set_has(&set, w[i]->ns, sa)) {
			needed++;
			continue;
		}
		kc_buf_reset(&path);
		kc_buf_printf(&path, "%s.automountServiceAccountToken", p->prefix);
		s5_row(s, w[i], path.ptr, why, "%s mounts the token of service account %s, which holds no RBAC binding",
		       w[i]->kind_name, sa);
	}
	kc_buf_clear(&path);
	free(w);
	sa_set_clear(&set);
	if (needed)
		kc_result_note(s->r, "%zu workload%s mount the token of a service account that has RBAC bindings (taken as needed)",
			       needed, needed == 1 ? "" : "s");
	kc_result_set_expected(s->r, "service account tokens are mounted only by workloads whose account holds permissions");
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu workload%s mount a token they have no use for", s->nrows, s->nrows == 1 ? "" : "s");
	else
		kc_result_set_actual(s->r, "no workload mounts an unneeded token");
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}
