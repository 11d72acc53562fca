#include "checks/k8s/decode.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/k8s/arena.h"
#include "common/error.h"

/* ---- json-c accessors: absent, null and wrongly typed values all read as "not set" ---- */

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static struct json_object *jobj(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

static struct json_object *jarr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

static size_t jlen(struct json_object *arr)
{
	return arr ? json_object_array_length(arr) : 0;
}

/* Scalars read as text: YAML turns `name: 123` into a number; Kubernetes would read "123". */
static const char *jscalar(struct json_object *v)
{
	if (!v)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string: case json_type_int: case json_type_double: case json_type_boolean:
		return json_object_get_string(v);
	default:
		return NULL;
	}
}

static const char *jstr(struct kc_arena *a, struct json_object *o, const char *key)
{
	return kc_arena_strdup(a, jscalar(jget(o, key)));
}

static signed char jtri(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);
	if (!v)
		return KC_TRI_UNSET;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? KC_TRI_TRUE : KC_TRI_FALSE;
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		if (strcmp(s, "true") == 0)
			return KC_TRI_TRUE;
		if (strcmp(s, "false") == 0)
			return KC_TRI_FALSE;
	}
	return KC_TRI_UNSET;
}

static int jint(struct json_object *o, const char *key, long long *out)
{
	struct json_object *v = jget(o, key);
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 1;
	}
	if (json_object_is_type(v, json_type_string)) {
		char *end;
		const char *s = json_object_get_string(v);
		long long n = strtoll(s, &end, 10);
		if (*s && !*end) {
			*out = n;
			return 1;
		}
	}
	return 0;
}

static const char **jstrings(struct kc_arena *a, struct json_object *arr, size_t *n)
{
	size_t len = jlen(arr), m = 0;
	*n = 0;
	if (!len)
		return NULL;
	const char **out = kc_arena_alloc(a, len * sizeof(*out));
	for (size_t i = 0; i < len; i++) {
		const char *s = jscalar(json_object_array_get_idx(arr, i));
		if (s)
			out[m++] = kc_arena_strdup(a, s);
	}
	*n = m;
	return out;
}

static struct kc_kv *jlabels(struct kc_arena *a, struct json_object *map, size_t *n)
{
	*n = 0;
	if (!map || !json_object_is_type(map, json_type_object))
		return NULL;
	size_t len = (size_t)json_object_object_length(map), m = 0;
	if (!len)
		return NULL;
	struct kc_kv *kv = kc_arena_alloc(a, len * sizeof(*kv));
	json_object_object_foreach(map, k, v)
	{
		const char *s = jscalar(v);
		kv[m].key = kc_arena_strdup(a, k);
		kv[m].value = kc_arena_strdup(a, s ? s : "");
		m++;
	}
	*n = m;
	return kv;
}

static void jselector(struct kc_arena *a, struct json_object *o, struct kc_selector *sel)
{
	sel->match = jlabels(a, jobj(o, "matchLabels"), &sel->nmatch);
	struct json_object *exprs = jarr(o, "matchExpressions");
	size_t n = jlen(exprs);
	if (!n)
		return;
	sel->exprs = kc_arena_alloc(a, n * sizeof(*sel->exprs));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(exprs, i);
		struct kc_selector_expr *x = &sel->exprs[sel->nexprs];
		x->key = jstr(a, e, "key");
		x->op = jstr(a, e, "operator");
		if (!x->key || !x->op)
			continue;
		x->values = jstrings(a, jarr(e, "values"), &x->nvalues);
		sel->nexprs++;
	}
}

/* ---- pods ---- */

static const char *annotation(struct json_object *meta, const char *key)
{
	return jscalar(jget(jobj(meta, "annotations"), key));
}

static void decode_security_context(struct kc_arena *a, struct json_object *sc, struct kc_container *c)
{
	c->has_sc = sc != NULL;
	c->privileged = jtri(sc, "privileged");
	c->ape = jtri(sc, "allowPrivilegeEscalation");
	c->run_as_non_root = jtri(sc, "runAsNonRoot");
	c->ro_rootfs = jtri(sc, "readOnlyRootFilesystem");
	c->host_process = jtri(jobj(sc, "windowsOptions"), "hostProcess");
	c->has_run_as_user = (signed char)jint(sc, "runAsUser", &c->run_as_user);
	c->seccomp = jstr(a, jobj(sc, "seccompProfile"), "type");
	struct json_object *caps = jobj(sc, "capabilities");
	c->has_caps = caps != NULL;
	c->cap_add = jstrings(a, jarr(caps, "add"), &c->ncap_add);
	c->cap_drop = jstrings(a, jarr(caps, "drop"), &c->ncap_drop);
}

static void decode_container(struct kc_arena *a, struct json_object *co, struct json_object *meta,
			     unsigned char type, size_t index, struct kc_container *c)
{
	c->type = type;
	c->index = (unsigned short)index;
	c->name = jstr(a, co, "name");
	c->image = jstr(a, co, "image");
	decode_security_context(a, jobj(co, "securityContext"), c);
	if (c->name) {
		char key[320];
		snprintf(key, sizeof(key), "container.seccomp.security.alpha.kubernetes.io/%s", c->name);
		c->seccomp_annot = kc_arena_strdup(a, annotation(meta, key));
	}

	struct json_object *ports = jarr(co, "ports");
	size_t np = jlen(ports);
	for (size_t i = 0; i < np; i++) {
		long long hp = 0;
		if (!jint(json_object_array_get_idx(ports, i), "hostPort", &hp) || hp <= 0)
			continue;
		if (!c->hostports)
			c->hostports = kc_arena_alloc(a, np * sizeof(*c->hostports));
		c->hostports[c->nhostports++] = (struct kc_hostport){ (long)hp, (unsigned short)i };
	}

	struct json_object *env = jarr(co, "env"), *envfrom = jarr(co, "envFrom");
	size_t ne = jlen(env), nf = jlen(envfrom);
	for (size_t i = 0; i < ne; i++) {
		struct json_object *e = json_object_array_get_idx(env, i);
		struct json_object *ref = jobj(jobj(e, "valueFrom"), "secretKeyRef");
		if (!ref)
			continue;
		if (!c->secret_env)
			c->secret_env = kc_arena_alloc(a, (ne + nf) * sizeof(*c->secret_env));
		c->secret_env[c->nsecret_env++] = (struct kc_secret_env){
			0, (unsigned short)i, jstr(a, e, "name"), jstr(a, ref, "name"), jstr(a, ref, "key") };
	}
	for (size_t i = 0; i < nf; i++) {
		struct json_object *e = json_object_array_get_idx(envfrom, i);
		struct json_object *ref = jobj(e, "secretRef");
		if (!ref)
			continue;
		if (!c->secret_env)
			c->secret_env = kc_arena_alloc(a, (ne + nf) * sizeof(*c->secret_env));
		c->secret_env[c->nsecret_env++] = (struct kc_secret_env){
			1, (unsigned short)i, jstr(a, e, "prefix"), jstr(a, ref, "name"), NULL };
	}
}

static struct kc_podspec *decode_podspec(struct kc_arena *a, struct json_object *spec,
					 struct json_object *meta, const char *prefix)
{
	struct kc_podspec *p = kc_arena_alloc(a, sizeof(*p));
	p->prefix = prefix;
	p->host_pid = jtri(spec, "hostPID");
	p->host_ipc = jtri(spec, "hostIPC");
	p->host_network = jtri(spec, "hostNetwork");
	p->automount = jtri(spec, "automountServiceAccountToken");
	p->service_account = jstr(a, spec, "serviceAccountName");
	if (!p->service_account || !*p->service_account)
		p->service_account = jstr(a, spec, "serviceAccount"); /* deprecated alias */
	if (p->service_account && !*p->service_account)
		p->service_account = NULL;
	struct json_object *sc = jobj(spec, "securityContext");
	p->has_sc = sc != NULL;
	p->run_as_non_root = jtri(sc, "runAsNonRoot");
	p->has_run_as_user = (signed char)jint(sc, "runAsUser", &p->run_as_user);
	p->seccomp = jstr(a, jobj(sc, "seccompProfile"), "type");
	p->host_process = jtri(jobj(sc, "windowsOptions"), "hostProcess");
	p->seccomp_annot = kc_arena_strdup(a, annotation(meta, "seccomp.security.alpha.kubernetes.io/pod"));
	p->labels = jlabels(a, jobj(meta, "labels"), &p->nlabels);

	static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers" };
	size_t total = 0;
	for (int l = 0; l < 3; l++)
		total += jlen(jarr(spec, lists[l]));
	if (total)
		p->containers = kc_arena_alloc(a, total * sizeof(*p->containers));
	for (int l = 0; l < 3; l++) {
		struct json_object *arr = jarr(spec, lists[l]);
		for (size_t i = 0; i < jlen(arr); i++) {
			struct json_object *co = json_object_array_get_idx(arr, i);
			if (!co || !json_object_is_type(co, json_type_object))
				continue;
			decode_container(a, co, meta, (unsigned char)l, i, &p->containers[p->ncontainers++]);
		}
	}

	struct json_object *vols = jarr(spec, "volumes");
	size_t nv = jlen(vols);
	for (size_t i = 0; i < nv; i++) {
		struct json_object *v = json_object_array_get_idx(vols, i);
		struct json_object *hp = jobj(v, "hostPath");
		if (!hp)
			continue;
		if (!p->hostpaths)
			p->hostpaths = kc_arena_alloc(a, nv * sizeof(*p->hostpaths));
		const char *path = jstr(a, hp, "path");
		p->hostpaths[p->nhostpaths++] = (struct kc_hostpath){ jstr(a, v, "name"), path ? path : "", (unsigned short)i };
	}
	return p;
}

/* ---- RBAC and network policies ---- */

static struct kc_role *decode_role(struct kc_arena *a, struct json_object *o)
{
	struct kc_role *r = kc_arena_alloc(a, sizeof(*r));
	struct json_object *rules = jarr(o, "rules");
	size_t n = jlen(rules);
	if (n)
		r->rules = kc_arena_alloc(a, n * sizeof(*r->rules));
	for (size_t i = 0; i < n; i++) {
		struct json_object *ru = json_object_array_get_idx(rules, i);
		struct kc_rule *x = &r->rules[r->nrules++];
		x->verbs = jstrings(a, jarr(ru, "verbs"), &x->nverbs);
		x->groups = jstrings(a, jarr(ru, "apiGroups"), &x->ngroups);
		x->resources = jstrings(a, jarr(ru, "resources"), &x->nresources);
		x->names = jstrings(a, jarr(ru, "resourceNames"), &x->nnames);
		x->urls = jstrings(a, jarr(ru, "nonResourceURLs"), &x->nurls);
	}
	struct json_object *agg = jobj(o, "aggregationRule");
	struct json_object *sels = jarr(agg, "clusterRoleSelectors");
	r->has_agg = agg != NULL;
	size_t ns = jlen(sels);
	if (ns)
		r->agg = kc_arena_alloc(a, ns * sizeof(*r->agg));
	for (size_t i = 0; i < ns; i++) {
		struct json_object *s = json_object_array_get_idx(sels, i);
		if (s && json_object_is_type(s, json_type_object))
			jselector(a, s, &r->agg[r->nagg++]);
	}
	return r;
}

static struct kc_binding *decode_binding(struct kc_arena *a, struct json_object *o, const char *ns)
{
	struct kc_binding *b = kc_arena_alloc(a, sizeof(*b));
	struct json_object *ref = jobj(o, "roleRef");
	b->role_kind = jstr(a, ref, "kind");
	b->role_name = jstr(a, ref, "name");
	struct json_object *subs = jarr(o, "subjects");
	size_t n = jlen(subs);
	if (n)
		b->subjects = kc_arena_alloc(a, n * sizeof(*b->subjects));
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(subs, i);
		struct kc_subject *x = &b->subjects[b->nsubjects++];
		x->kind = jstr(a, s, "kind");
		x->name = jstr(a, s, "name");
		x->ns = jstr(a, s, "namespace");
		if (!x->kind)
			x->kind = "";
		if (!x->name)
			x->name = "";
		/* a service account named without a namespace in a RoleBinding is the binding's own */
		if (!x->ns && ns && strcmp(x->kind, "ServiceAccount") == 0)
			x->ns = ns;
	}
	return b;
}

/* ---- objects ---- */

static const char *const cluster_scoped[] = {
	"Namespace", "ClusterRole", "ClusterRoleBinding", "Node", "PersistentVolume",
	"CustomResourceDefinition", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
	"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "StorageClass",
	"PriorityClass", "IngressClass", "RuntimeClass", "APIService", "CertificateSigningRequest",
	"PodSecurityPolicy", "ClusterPolicy", "ClusterPolicyReport", "ConstraintTemplate",
	"ClusterImagePolicy", "ClusterSecretStore", "ClusterIssuer", "CSIDriver", "VolumeAttachment",
};
/* Untyped kinds known to be namespaced, so that they land in the default namespace too. */
static const char *const namespaced_other[] = {
	"ConfigMap", "Secret", "Ingress", "PersistentVolumeClaim", "HorizontalPodAutoscaler",
	"PodDisruptionBudget", "Endpoints", "EndpointSlice", "LimitRange", "ResourceQuota",
	"PodTemplate", "Policy", "SecretStore", "ExternalSecret", "SecretProviderClass",
};

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

int kc_k8s_list_kind(const char *kind, char *item_kind, size_t cap)
{
	size_t n = kind ? strlen(kind) : 0;
	if (n < 4 || strcmp(kind + n - 4, "List") != 0)
		return 0;
	item_kind[0] = '\0';
	if (n == 4)
		return 1; /* "List": every item names its own kind */
	if (n - 4 >= cap)
		return 0;
	memcpy(item_kind, kind, n - 4);
	item_kind[n - 4] = '\0';
	/* only collections of kinds we know: a custom "AllowList" with "items" is an object */
	return kc_k8s_kind_parse(item_kind) != KC_K_OTHER ||
	       in_list(item_kind, cluster_scoped, sizeof(cluster_scoped) / sizeof(*cluster_scoped)) ||
	       in_list(item_kind, namespaced_other, sizeof(namespaced_other) / sizeof(*namespaced_other));
}

/* json-c keeps a NUL inside a string value, and every C-string reader after it cuts the value
 * there ("kube-system\0evil" would judge as kube-system). The JSON reader refuses \u0000
 * before json-c; this walk refuses the same from any other source (YAML "\0"). */
static int find_nul(struct json_object *o, int depth)
{
	if (!o || depth > 200)
		return 0;
	switch (json_object_get_type(o)) {
	case json_type_string:
		return strlen(json_object_get_string(o)) != (size_t)json_object_get_string_len(o);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (find_nul(json_object_array_get_idx(o, i), depth + 1))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			if (find_nul(v, depth + 1))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static const char *pod_prefix(enum kc_k8s_kind k)
{
	switch (k) {
	case KC_K_POD: return "spec";
	case KC_K_CRONJOB: return "spec.jobTemplate.spec.template.spec";
	default: return "spec.template.spec";
	}
}

int kc_k8s_decode(struct kc_arena *a, struct json_object *o, const struct kc_k8s_decode_ctx *ctx,
		  long line, struct kc_k8s_obj **out)
{
	*out = NULL;
	if (!o || !json_object_is_type(o, json_type_object))
		return kc_error_set(KC_EINVAL, "not a Kubernetes object (not a mapping)");
	if (find_nul(o, 0))
		return kc_error_set(KC_EINVAL, "a string holds a NUL character, which would cut it short; refused");
	const char *kind = jscalar(jget(o, "kind"));
	if (!kind || !*kind)
		kind = ctx->kind_hint;
	if (!kind || !*kind)
		return kc_error_set(KC_EINVAL, "not a Kubernetes object (no kind)");
	struct json_object *meta = jobj(o, "metadata");

	struct kc_k8s_obj *ob = kc_arena_alloc(a, sizeof(*ob));
	ob->kind = kc_k8s_kind_parse(kind);
	/* Calico's projectcalico.org NetworkPolicy shares the name, not the semantics (a selector
	 * expression, order, tiers): it is a CNI-specific policy, see 5.3.2 in docs/section5.md */
	const char *av = jscalar(jget(o, "apiVersion"));
	if (ob->kind == KC_K_NETWORKPOLICY && av && strstr(av, "projectcalico.org/"))
		ob->kind = KC_K_OTHER;
	ob->kind_name = ob->kind == KC_K_OTHER ? kc_arena_strdup(a, kind) : kc_k8s_kind_name(ob->kind);
	ob->api_version = jstr(a, o, "apiVersion");
	if (!ob->api_version)
		ob->api_version = ctx->api_version_hint;
	ob->name = jstr(a, meta, "name");
	if (!ob->name)
		ob->name = jstr(a, meta, "generateName");
	if (!ob->name)
		ob->name = "";
	ob->src = ctx->src;
	ob->line = line;
	ob->exported = jget(meta, "uid") != NULL || jget(meta, "resourceVersion") != NULL;
	ob->automount = KC_TRI_UNSET;
	ob->labels = jlabels(a, jobj(meta, "labels"), &ob->nlabels);
	const char *boot = kc_k8s_label(ob->labels, ob->nlabels, "kubernetes.io/bootstrapping");
	ob->is_default = boot && strcmp(boot, "rbac-defaults") == 0;

	const char *ns = jscalar(jget(meta, "namespace"));
	int scoped = in_list(kind, cluster_scoped, sizeof(cluster_scoped) / sizeof(*cluster_scoped));
	if (!scoped && ns && *ns)
		ob->ns = kc_arena_strdup(a, ns);
	else if (!scoped && (ob->kind != KC_K_OTHER ||
			     in_list(kind, namespaced_other, sizeof(namespaced_other) / sizeof(*namespaced_other))))
		ob->ns = ctx->default_ns;

	struct json_object *owners = jarr(meta, "ownerReferences");
	for (size_t i = 0; i < jlen(owners); i++) {
		struct json_object *ow = json_object_array_get_idx(owners, i);
		if (jtri(ow, "controller") == KC_TRI_TRUE) {
			ob->owner_kind = jstr(a, ow, "kind");
			ob->owner_name = jstr(a, ow, "name");
			break;
		}
	}

	struct json_object *spec = jobj(o, "spec");
	switch (ob->kind) {
	case KC_K_POD:
		ob->pod = decode_podspec(a, spec, meta, pod_prefix(ob->kind));
		break;
	case KC_K_DEPLOYMENT: case KC_K_STATEFULSET: case KC_K_DAEMONSET: case KC_K_REPLICASET:
	case KC_K_REPLICATIONCONTROLLER: case KC_K_JOB: {
		struct json_object *tpl = jobj(spec, "template");
		ob->pod = decode_podspec(a, jobj(tpl, "spec"), jobj(tpl, "metadata"), pod_prefix(ob->kind));
		break;
	}
	case KC_K_CRONJOB: {
		struct json_object *tpl = jobj(jobj(jobj(spec, "jobTemplate"), "spec"), "template");
		ob->pod = decode_podspec(a, jobj(tpl, "spec"), jobj(tpl, "metadata"), pod_prefix(ob->kind));
		break;
	}
	case KC_K_SERVICEACCOUNT:
		ob->automount = jtri(o, "automountServiceAccountToken");
		break;
	case KC_K_ROLE: case KC_K_CLUSTERROLE:
		ob->role = decode_role(a, o);
		break;
	case KC_K_ROLEBINDING: case KC_K_CLUSTERROLEBINDING:
		ob->binding = decode_binding(a, o, ob->ns);
		break;
	case KC_K_NETWORKPOLICY: {
		ob->netpol = kc_arena_alloc(a, sizeof(*ob->netpol));
		struct json_object *sel = jobj(spec, "podSelector");
		ob->netpol->has_selector = sel != NULL;
		if (sel)
			jselector(a, sel, &ob->netpol->pod_selector);
		break;
	}
	default:
		if (strcmp(kind, "ClusterImagePolicy") == 0) {
			ob->verify_images = 1;
		} else if (strcmp(kind, "ClusterPolicy") == 0 || strcmp(kind, "Policy") == 0) {
			struct json_object *rules = jarr(spec, "rules");
			for (size_t i = 0; i < jlen(rules); i++) {
				struct json_object *rule = json_object_array_get_idx(rules, i);
				if (jlen(jarr(rule, "verifyImages")))
					ob->verify_images = 1;
				if (jobj(jobj(rule, "validate"), "podSecurity"))
					ob->pod_security = 1;
			}
		} else if (strcmp(kind, "ConstraintTemplate") == 0 && strncmp(ob->name, "k8spsp", 6) == 0) {
			ob->pod_security = 1; /* the gatekeeper-library's pod security templates */
		}
		break;
	}
	*out = ob;
	return 0;
}
