/* 5.4.x secrets, 5.5.1 image provenance, 5.6.1 and 5.6.4 namespaces (5.7.x before v1.12). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/section5/s5.h"

int s5_secrets_env(struct s5 *s, enum kc_status *st)
{
	const struct kc_k8s_obj **w;
	size_t nw = s5_container_holders(s->c, &w);
	struct kc_buf key = KC_BUF_INIT, val = KC_BUF_INIT;
	for (size_t i = 0; i < nw; i++) {
		const struct kc_podspec *p = w[i]->pod;
		for (size_t j = 0; j < p->ncontainers; j++) {
			const struct kc_container *ct = &p->containers[j];
			if (!s5_container_judged(w[i], ct))
				continue;
			for (size_t k = 0; k < ct->nsecret_env; k++) {
				const struct kc_secret_env *e = &ct->secret_env[k];
				kc_buf_reset(&key);
				kc_buf_reset(&val);
				s5_container_path(&key, p, ct);
				if (e->from == 0) {
					kc_buf_printf(&key, ".env[%u].valueFrom.secretKeyRef", e->index);
					kc_buf_printf(&val, "secret %s key %s", e->secret ? e->secret : "?", e->key ? e->key : "?");
				} else {
					kc_buf_printf(&key, ".envFrom[%u].secretRef", e->index);
					kc_buf_printf(&val, "secret %s (every key)", e->secret ? e->secret : "?");
				}
				s5_row(s, w[i], key.ptr, val.ptr, "%s '%s' reads %s into %s", s5_container_word(ct),
				       ct->name ? ct->name : "?", val.ptr,
				       e->from == 0 ? (e->var ? e->var : "an environment variable") : "its environment");
			}
		}
	}
	kc_buf_clear(&key);
	kc_buf_clear(&val);
	free(w);
	kc_result_set_expected(s->r, "Secrets are mounted as files, never passed as environment variables");
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu secret reference%s in the environment of %zu workload%s", s->nrows,
				     s->nrows == 1 ? "" : "s", s->nobjects, s->nobjects == 1 ? "" : "s");
	else
		kc_result_set_actual(s->r, "no workload reads a Secret into its environment");
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

static size_t note_kinds(struct s5 *s, const char *const *kinds, size_t nkinds, const char *why)
{
	struct kc_cluster *c = s->c;
	size_t n = 0;
	for (size_t i = 0; i < c->nby_kind[KC_K_OTHER]; i++) {
		const struct kc_k8s_obj *o = c->by_kind[KC_K_OTHER][i];
		for (size_t k = 0; k < nkinds; k++)
			if (strcmp(o->kind_name, kinds[k]) == 0 && n++ < 10)
				kc_result_note(s->r, "%s %s%s%s %s", o->kind_name, o->ns ? o->ns : "", o->ns ? "/" : "", o->name, why);
	}
	return n;
}

int s5_secrets_external_store(struct s5 *s, enum kc_status *st)
{
	static const char *const kinds[] = { "SecretStore", "ClusterSecretStore", "ExternalSecret", "SecretProviderClass" };
	size_t n = note_kinds(s, kinds, 4, "connects an external secret store");
	kc_result_set_expected(s->r, "Secrets come from an external secret store (or a KMS-encrypted etcd)");
	if (n) {
		kc_result_set_actual(s->r, "%zu external secret store object%s", n, n == 1 ? "" : "s");
		*st = KC_PASS;
	} else {
		kc_result_set_actual(s->r, "no external secret store objects (External Secrets, Secrets Store CSI)");
		kc_result_set_reason(s->r, "no external secret store is visible in the objects; a KMS provider in the API "
					   "server's encryption configuration would also do (see 1.2.x)");
		*st = KC_WARN;
	}
	return 0;
}

int s5_admission_image_provenance(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	size_t n = 0;
	for (size_t i = 0; i < c->nby_kind[KC_K_OTHER]; i++) {
		const struct kc_k8s_obj *o = c->by_kind[KC_K_OTHER][i];
		if (o->verify_images && n++ < 10)
			kc_result_note(s->r, "%s %s verifies image signatures at admission", o->kind_name, o->name);
	}
	kc_result_set_expected(s->r, "image provenance is enforced at admission");
	if (n) {
		kc_result_set_actual(s->r, "%zu admission polic%s verify images", n, n == 1 ? "y" : "ies");
		*st = KC_PASS;
	} else {
		kc_result_set_actual(s->r, "no image-verifying admission policy among the objects");
		kc_result_set_reason(s->r, "no Kyverno verifyImages rule or Sigstore ClusterImagePolicy found; the "
					   "ImagePolicyWebhook admission plugin is an API server flag (see 1.2.x)");
		*st = KC_WARN;
	}
	return 0;
}

static int is_builtin_ns(const char *ns)
{
	return strcmp(ns, "default") == 0 || strcmp(ns, "kube-system") == 0 || strcmp(ns, "kube-public") == 0 ||
	       strcmp(ns, "kube-node-lease") == 0;
}

int s5_ns_in_use(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	size_t used = 0, in_default = 0;
	for (size_t i = 0; i < c->nnss; i++) {
		const struct kc_ns_info *ns = &c->nss[i];
		if (!ns->nworkloads)
			continue;
		if (!is_builtin_ns(ns->name))
			used++;
		else if (strcmp(ns->name, "default") == 0)
			in_default = ns->nworkloads;
	}
	kc_result_set_expected(s->r, "workloads are placed in namespaces of their own, not only the built-in ones");
	if (used || !in_default) {
		kc_result_set_actual(s->r, "%zu namespace%s beyond the built-in ones hold workloads", used, used == 1 ? "" : "s");
		*st = KC_PASS;
		return 0;
	}
	const struct kc_ns_info *def = kc_cluster__ns(c, "default");
	char val[32];
	snprintf(val, sizeof(val), "%zu", in_default);
	s5_ns_row(s, def, "workloads", val, "every workload (%zu) is in namespace default", in_default);
	kc_result_set_actual(s->r, "all %zu workload%s are in namespace default", in_default, in_default == 1 ? "" : "s");
	*st = KC_FAIL;
	return 0;
}

/* What the control plane itself keeps in namespace default: the `kubernetes` Service and its
 * Endpoints/EndpointSlice (k8s pkg/controlplane/reconcilers, kubernetesservice controller), the
 * default ServiceAccount (serviceaccounts controller) and the kube-root-ca.crt ConfigMap
 * (rootcacertpublisher controller). */
static int kept_by_api_server(const struct kc_k8s_obj *o)
{
	const char *k = o->kind_name;
	if (strcmp(o->name, "kubernetes") == 0)
		return strcmp(k, "Service") == 0 || strcmp(k, "Endpoints") == 0 || strcmp(k, "EndpointSlice") == 0;
	if (strcmp(o->name, "default") == 0)
		return strcmp(k, "ServiceAccount") == 0;
	return strcmp(k, "ConfigMap") == 0 && strcmp(o->name, "kube-root-ca.crt") == 0;
}

/* The default namespace: only what Kubernetes itself puts there may live in it. Every
 * namespaced kind counts (ConfigMaps, Secrets, Ingresses, PVCs, custom resources that name
 * the namespace, ...), except NetworkPolicies: 5.3.2 asks for one in every namespace,
 * default included, so a default-deny policy there is hardening, not use. */
int s5_ns_default_unused(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	for (int k = 0; k < KC_K_KIND_COUNT; k++) {
		if (k == KC_K_NAMESPACE || k == KC_K_NETWORKPOLICY || k == KC_K_CLUSTERROLE || k == KC_K_CLUSTERROLEBINDING)
			continue;
		for (size_t i = 0; i < c->nby_kind[k]; i++) {
			const struct kc_k8s_obj *o = c->by_kind[k][i];
			if (!o->ns || strcmp(o->ns, "default") != 0 || o->owned || kept_by_api_server(o))
				continue;
			s5_row(s, o, "metadata.namespace", "default", "%s %s lives in namespace default", o->kind_name, o->name);
		}
	}
	kc_result_set_expected(s->r, "namespace default holds nothing but what Kubernetes creates there");
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu object%s in namespace default", s->nrows, s->nrows == 1 ? "" : "s");
	else
		kc_result_set_actual(s->r, "namespace default is unused");
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}
