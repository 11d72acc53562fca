/* 5.3.x: network policies. 5.3.2's Namespace rows are a contract: the remediation helper turns
 * each into a pull request adding a default-deny policy to that namespace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/section5/s5.h"

static int cmp_ns(const void *a, const void *b)
{
	const struct kc_k8s_obj *x = *(const struct kc_k8s_obj *const *)a, *y = *(const struct kc_k8s_obj *const *)b;
	return strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "");
}

/* Is the workload's pod selected by a policy of its namespace? pols sorted by namespace. */
static int selected(const struct kc_k8s_obj **pols, size_t n, const struct kc_k8s_obj *w)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(pols[mid]->ns ? pols[mid]->ns : "", w->ns ? w->ns : "") < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && strcmp(pols[i]->ns ? pols[i]->ns : "", w->ns ? w->ns : "") == 0; i++) {
		const struct kc_netpol *np = pols[i]->netpol;
		if (!np->has_selector || kc_selector_matches(&np->pod_selector, w->pod->labels, w->pod->nlabels))
			return 1;
	}
	return 0;
}

/* CNI-specific policies are not counted: 5.3.2 asks for Kubernetes NetworkPolicy objects,
 * whose meaning every conforming CNI implements the same way; CiliumNetworkPolicy, Calico's
 * NetworkPolicy/GlobalNetworkPolicy and AdminNetworkPolicy have their own selectors, ordering
 * and cluster-wide scopes, enforced only by their CNI. Judging them would mean modelling each
 * CNI; counting them unjudged would be a PASS nobody decided. They are named in a note. */
static void note_cni_policies(struct s5 *s)
{
	static const char *const kinds[] = {
		"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy" /* Calico's */,
		"GlobalNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
	};
	struct kc_cluster *c = s->c;
	size_t n = 0;
	const struct kc_k8s_obj *first = NULL;
	for (size_t i = 0; i < c->nby_kind[KC_K_OTHER]; i++) {
		const struct kc_k8s_obj *o = c->by_kind[KC_K_OTHER][i];
		for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
			if (strcmp(o->kind_name, kinds[k]) == 0) {
				first = first ? first : o;
				n++;
				break;
			}
	}
	if (n)
		kc_result_note(s->r, "%zu CNI-specific polic%s (CiliumNetworkPolicy, Calico NetworkPolicy or "
			       "GlobalNetworkPolicy, AdminNetworkPolicy; first: %s %s%s%s) not counted: 5.3.2 asks for "
			       "Kubernetes NetworkPolicy objects; if the CNI's policies isolate these namespaces, record "
			       "an exception", n, n == 1 ? "y" : "ies", first->kind_name, first->ns ? first->ns : "",
			       first->ns ? "/" : "", first->name);
}

int s5_netpol_namespaces(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	size_t judged = 0, exempt = 0;
	for (size_t i = 0; i < c->nnss; i++) {
		const struct kc_ns_info *ns = &c->nss[i];
		if (ns->exempt) {
			exempt++;
			continue;
		}
		judged++;
		if (!ns->nnetpols)
			s5_ns_row(s, ns, "networkpolicies", "0", "namespace %s has no NetworkPolicy (%zu workload%s)",
				  ns->name, ns->nworkloads, ns->nworkloads == 1 ? "" : "s");
	}
	size_t nns_rows = s->nrows;
	/* namespaces with policies: pods that no policy selects are still unrestricted */
	size_t npol = c->nby_kind[KC_K_NETWORKPOLICY];
	const struct kc_k8s_obj **pols = kc_xcalloc(npol ? npol : 1, sizeof(*pols));
	memcpy(pols, c->by_kind[KC_K_NETWORKPOLICY], npol * sizeof(*pols));
	qsort(pols, npol, sizeof(*pols), cmp_ns);
	const struct kc_k8s_obj **w;
	size_t nw = s5_workloads(c, &w);
	struct kc_buf key = KC_BUF_INIT, val = KC_BUF_INIT;
	for (size_t i = 0; i < nw; i++) {
		const struct kc_ns_info *ns = kc_cluster__ns(c, w[i]->ns);
		if (!ns || ns->exempt || !ns->nnetpols || selected(pols, npol, w[i]))
			continue;
		/* the pods' labels sit beside their spec: "spec.template.spec" -> "spec.template.metadata.labels" */
		const char *prefix = w[i]->pod->prefix;
		size_t plen = strlen(prefix);
		kc_buf_reset(&key);
		kc_buf_reset(&val);
		if (plen > 5)
			kc_buf_printf(&key, "%.*s.metadata.labels", (int)(plen - 5), prefix);
		else
			kc_buf_puts(&key, "metadata.labels");
		for (size_t l = 0; l < w[i]->pod->nlabels; l++)
			kc_buf_printf(&val, "%s%s=%s", l ? "," : "", w[i]->pod->labels[l].key, w[i]->pod->labels[l].value);
		s5_row(s, w[i], key.ptr, val.len ? val.ptr : "<none>",
		       "no NetworkPolicy of namespace %s selects the pods of %s %s", w[i]->ns, w[i]->kind_name, w[i]->name);
	}
	kc_buf_clear(&key);
	kc_buf_clear(&val);
	free(w);
	free(pols);
	if (exempt)
		kc_result_note(s->r, "%zu exempt namespace%s not judged (kube-system, kube-public, kube-node-lease unless changed)",
			       exempt, exempt == 1 ? "" : "s");
	note_cni_policies(s);
	kc_result_set_expected(s->r, "every namespace has a NetworkPolicy that selects its pods");
	if (s->nrows)
		kc_result_set_actual(s->r, "%zu of %zu namespace%s have no NetworkPolicy; %zu workload%s not selected by any",
				     nns_rows, judged, judged == 1 ? "" : "s", s->nrows - nns_rows,
				     s->nrows - nns_rows == 1 ? " is" : "s are");
	else
		kc_result_set_actual(s->r, "all %zu namespace%s have NetworkPolicies selecting their pods", judged,
				     judged == 1 ? "" : "s");
	*st = s->nrows ? KC_FAIL : KC_PASS;
	return 0;
}

/* CNI plugins recognised by their DaemonSets' images. */
static const char *const enforcing[] = {
	"calico", "cilium", "antrea", "weave-npc", "weave-kube", "kube-router", "kube-ovn",
	"aws-network-policy-agent", "azure-npm", "canal", "openshift-sdn", "ovn-kubernetes",
};
static const char *const not_enforcing[] = { "flannel", "kindnet", "amazon-k8s-cni" };

static const char *image_match(const struct kc_podspec *p, const char *const *list, size_t n, const char **image)
{
	for (size_t j = 0; j < p->ncontainers; j++)
		for (size_t k = 0; k < n; k++)
			if (p->containers[j].image && strstr(p->containers[j].image, list[k])) {
				*image = p->containers[j].image;
				return list[k];
			}
	return NULL;
}

int s5_netpol_cni(struct s5 *s, enum kc_status *st)
{
	struct kc_cluster *c = s->c;
	size_t found = 0;
	const struct kc_k8s_obj *weak = NULL;
	const char *weak_name = NULL, *weak_image = NULL;
	for (size_t i = 0; i < c->nby_kind[KC_K_DAEMONSET]; i++) {
		const struct kc_k8s_obj *o = c->by_kind[KC_K_DAEMONSET][i];
		const char *image, *name = image_match(o->pod, enforcing, sizeof(enforcing) / sizeof(*enforcing), &image);
		if (name) {
			kc_result_note(s->r, "DaemonSet %s/%s runs %s (image %s), which enforces NetworkPolicy",
				       o->ns ? o->ns : "", o->name, name, image);
			found++;
		} else if (!weak && (name = image_match(o->pod, not_enforcing, sizeof(not_enforcing) / sizeof(*not_enforcing), &image))) {
			weak = o;
			weak_name = name;
			weak_image = image;
		}
	}
	kc_result_set_expected(s->r, "the CNI plugin enforces NetworkPolicy objects");
	if (found) {
		kc_result_set_actual(s->r, "a CNI plugin that enforces NetworkPolicy runs");
		*st = KC_PASS;
	} else if (weak) {
		s5_row(s, weak, "spec.template.spec.containers", weak_image, "%s does not enforce NetworkPolicy by itself",
		       weak_name);
		kc_result_set_actual(s->r, "the CNI plugin %s does not enforce NetworkPolicy", weak_name);
		*st = KC_FAIL;
	} else {
		kc_result_set_actual(s->r, "no known CNI DaemonSet among the objects");
		kc_result_set_reason(s->r, "the CNI plugin could not be identified from the objects; confirm that it "
					   "enforces NetworkPolicy");
		*st = KC_WARN;
	}
	return 0;
}
