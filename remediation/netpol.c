/* NetworkPolicies: the default-deny set for a namespace and the least-privilege policies
 * derived from observed flows. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "remediation/manifest.h"
#include "remediation/manifest_int.h"
#include "remediation/names.h"
#include "remediation/yemit.h"

static void policy_head(struct kc_yemit *y, const char *name, const char *ns,
			const struct kc_manifest_meta *meta, const char *why)
{
	const char *ann[] = { "kubecomply.io/reason", why, NULL };
	kc_yemit_doc_start(y);
	kc_yemit_map_start(y);
	kc_yemit_kv(y, "apiVersion", "networking.k8s.io/v1");
	kc_yemit_kv(y, "kind", "NetworkPolicy");
	kc_manifest__metadata(y, name, ns, meta, NULL, ann);
	kc_yemit_str(y, "spec");
	kc_yemit_map_start(y);
}

static void policy_tail(struct kc_yemit *y)
{
	kc_yemit_map_end(y); /* spec */
	kc_yemit_map_end(y);
	kc_yemit_doc_end(y);
}

static void empty_map(struct kc_yemit *y)
{
	kc_yemit_map_start_flow(y);
	kc_yemit_map_end(y);
}

static void policy_types(struct kc_yemit *y, int ingress, int egress)
{
	kc_yemit_str(y, "policyTypes");
	kc_yemit_seq_start(y);
	if (ingress)
		kc_yemit_str(y, "Ingress");
	if (egress)
		kc_yemit_str(y, "Egress");
	kc_yemit_seq_end(y);
}

static void port_item(struct kc_yemit *y, const char *proto, int port)
{
	kc_yemit_map_start(y);
	kc_yemit_kv(y, "protocol", proto);
	kc_yemit_str(y, "port");
	kc_yemit_int(y, port);
	kc_yemit_map_end(y);
}

static void ns_selector(struct kc_yemit *y, const char *ns)
{
	kc_yemit_str(y, "namespaceSelector");
	kc_yemit_map_start(y);
	kc_yemit_str(y, "matchLabels");
	kc_yemit_map_start(y);
	/* set by the API server on every namespace since Kubernetes 1.21 */
	kc_yemit_kv(y, "kubernetes.io/metadata.name", ns);
	kc_yemit_map_end(y);
	kc_yemit_map_end(y);
}

static void pod_selector_labels(struct kc_yemit *y, const struct kc_flow_peer *p)
{
	kc_yemit_str(y, "podSelector");
	if (!p->nlabels) {
		empty_map(y);
		return;
	}
	kc_yemit_map_start(y);
	kc_yemit_str(y, "matchLabels");
	kc_yemit_map_start(y);
	for (size_t i = 0; i < p->nlabels; i++)
		kc_yemit_kv(y, p->labels[i].key, p->labels[i].value);
	kc_yemit_map_end(y);
	kc_yemit_map_end(y);
}

static void ip_block(struct kc_yemit *y, const char *ip)
{
	char cidr[64];
	snprintf(cidr, sizeof(cidr), "%s/%d", ip, strchr(ip, ':') ? 128 : 32);
	kc_yemit_str(y, "ipBlock");
	kc_yemit_map_start(y);
	kc_yemit_kv(y, "cidr", cidr);
	kc_yemit_map_end(y);
}

/* One element of from:/to:. In the cluster a peer is its namespace and labels; outside,
 * and for the API server (not a pod), its address. */
static void peer_item(struct kc_yemit *y, const struct kc_flow_peer *p, int by_ip)
{
	kc_yemit_map_start(y);
	if (by_ip || !p->namespace_) {
		ip_block(y, p->ip);
	} else {
		ns_selector(y, p->namespace_);
		pod_selector_labels(y, p);
	}
	kc_yemit_map_end(y);
}

/* One rule of a flow policy: `{to|from: [peer], ports: [port]}`. */
static void flow_rule(struct kc_yemit *y, const char *dir, const struct kc_flow_peer *peer, int by_ip,
		      const char *proto, int port)
{
	kc_yemit_map_start(y);
	kc_yemit_str(y, dir);
	kc_yemit_seq_start(y);
	peer_item(y, peer, by_ip);
	kc_yemit_seq_end(y);
	kc_yemit_str(y, "ports");
	kc_yemit_seq_start(y);
	port_item(y, proto, port);
	kc_yemit_seq_end(y);
	kc_yemit_map_end(y);
}

static int seen_apiserver(const struct kc_flow_set *flows, size_t upto, const struct kc_flow *f)
{
	for (size_t i = 0; i < upto; i++) {
		const struct kc_flow *g = &flows->flows[i];
		if (g->apiserver && g->src.namespace_ && strcmp(g->src.namespace_, f->src.namespace_) == 0 &&
		    strcmp(g->dst.ip, f->dst.ip) == 0 && g->port == f->port &&
		    strcmp(g->protocol, f->protocol) == 0)
			return 1;
	}
	return 0;
}

int kc_manifest_default_deny(struct kc_buf *out, const char *ns, const struct kc_netpol_opts *opts,
			     const struct kc_flow_set *flows, const struct kc_manifest_meta *meta)
{
	struct kc_yemit y;
	int rc = kc_names_check_label("namespace", ns);
	if (rc)
		return rc;
	int egress = !opts->ingress_only;
	if ((rc = kc_yemit_init(&y, out)) != 0)
		goto done;

	policy_head(&y, "kubecomply-default-deny", ns, meta,
		    egress ? "deny all ingress and egress not allowed by another policy"
			   : "deny all ingress not allowed by another policy");
	kc_yemit_str(&y, "podSelector");
	empty_map(&y);
	policy_types(&y, 1, egress);
	policy_tail(&y);

	if (egress && opts->allow_dns) {
		policy_head(&y, "kubecomply-allow-dns", ns, meta, "name resolution through kube-dns");
		kc_yemit_str(&y, "podSelector");
		empty_map(&y);
		policy_types(&y, 0, 1);
		kc_yemit_str(&y, "egress");
		kc_yemit_seq_start(&y);
		kc_yemit_map_start(&y);
		kc_yemit_str(&y, "to");
		kc_yemit_seq_start(&y);
		kc_yemit_map_start(&y);
		ns_selector(&y, "kube-system");
		kc_yemit_str(&y, "podSelector");
		kc_yemit_map_start(&y);
		kc_yemit_str(&y, "matchLabels");
		kc_yemit_map_start(&y);
		kc_yemit_kv(&y, "k8s-app", "kube-dns");
		kc_yemit_map_end(&y);
		kc_yemit_map_end(&y);
		kc_yemit_map_end(&y);
		/* NodeLocal DNSCache answers on a link-local address on every node, and pods
		 * configured for it never reach kube-dns directly */
		if (opts->nodelocal_dns) {
			kc_yemit_map_start(&y);
			ip_block(&y, opts->nodelocal_dns);
			kc_yemit_map_end(&y);
		}
		kc_yemit_seq_end(&y);
		kc_yemit_str(&y, "ports");
		kc_yemit_seq_start(&y);
		port_item(&y, "UDP", 53);
		port_item(&y, "TCP", 53);
		kc_yemit_seq_end(&y);
		kc_yemit_map_end(&y);
		kc_yemit_seq_end(&y);
		policy_tail(&y);
	}

	if (opts->allow_same_namespace) {
		policy_head(&y, "kubecomply-allow-same-namespace", ns, meta,
			    "traffic between pods of this namespace");
		kc_yemit_str(&y, "podSelector");
		empty_map(&y);
		policy_types(&y, 1, egress);
		kc_yemit_str(&y, "ingress");
		kc_yemit_seq_start(&y);
		kc_yemit_map_start(&y);
		kc_yemit_str(&y, "from");
		kc_yemit_seq_start(&y);
		kc_yemit_map_start(&y);
		kc_yemit_str(&y, "podSelector");
		empty_map(&y);
		kc_yemit_map_end(&y);
		kc_yemit_seq_end(&y);
		kc_yemit_map_end(&y);
		kc_yemit_seq_end(&y);
		if (egress) {
			kc_yemit_str(&y, "egress");
			kc_yemit_seq_start(&y);
			kc_yemit_map_start(&y);
			kc_yemit_str(&y, "to");
			kc_yemit_seq_start(&y);
			kc_yemit_map_start(&y);
			kc_yemit_str(&y, "podSelector");
			empty_map(&y);
			kc_yemit_map_end(&y);
			kc_yemit_seq_end(&y);
			kc_yemit_map_end(&y);
			kc_yemit_seq_end(&y);
		}
		policy_tail(&y);
	}

	/* The API server is not a pod: only the endpoint addresses the namespace was seen
	 * reaching can be allowed, so without observations there is no rule to propose. */
	size_t napi = 0;
	for (size_t i = 0; egress && opts->allow_apiserver && flows && i < flows->n; i++) {
		const struct kc_flow *f = &flows->flows[i];
		if (!f->apiserver || !f->src.namespace_ || strcmp(f->src.namespace_, ns) != 0 ||
		    seen_apiserver(flows, i, f))
			continue;
		if (napi++ == 0) {
			policy_head(&y, "kubecomply-allow-apiserver", ns, meta,
				    "pods of this namespace were seen calling the Kubernetes API");
			kc_yemit_str(&y, "podSelector");
			empty_map(&y);
			policy_types(&y, 0, 1);
			kc_yemit_str(&y, "egress");
			kc_yemit_seq_start(&y);
		}
		flow_rule(&y, "to", &f->dst, 1, f->protocol, f->port);
	}
	if (napi) {
		kc_yemit_seq_end(&y);
		policy_tail(&y);
	}
done:
	return kc_yemit_finish(&y);
}

/* A short stable name for a workload's policy: the value of its app label when that is a
 * usable name, plus a hash of the whole label set so that two workloads never collide. */
void kc_manifest_flow_policy_name(char *out, size_t cap, const char *dir, const struct kc_flow_peer *p)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < p->nlabels; i++) {
		for (const char *s = p->labels[i].key; *s; s++)
			h = (h ^ (unsigned char)*s) * 16777619u;
		h = (h ^ '=') * 16777619u;
		for (const char *s = p->labels[i].value; *s; s++)
			h = (h ^ (unsigned char)*s) * 16777619u;
		h = (h ^ ',') * 16777619u;
	}
	const char *app = NULL;
	for (size_t i = 0; i < p->nlabels; i++) {
		if (strcmp(p->labels[i].key, "app.kubernetes.io/name") == 0 ||
		    (!app && strcmp(p->labels[i].key, "app") == 0))
			app = p->labels[i].value;
	}
	int err = kc_names_check_label("app", app ? app : "");
	kc_error_clear();
	if (app && !err && strlen(app) <= 30)
		snprintf(out, cap, "kubecomply-%s-%s-%08x", dir, app, h);
	else
		snprintf(out, cap, "kubecomply-%s-%08x", dir, h);
}

static int same_workload(const struct kc_flow_peer *a, const struct kc_flow_peer *b)
{
	return a->namespace_ && b->namespace_ && strcmp(a->namespace_, b->namespace_) == 0 &&
	       kc_flows_same_labels(a, b);
}

static void flow_reason(char *out, size_t cap, const char *dir)
{
	snprintf(out, cap, "%s connections observed by the kubecomply connection monitor; "
		 "anything not observed stays denied", dir);
}

int kc_manifest_flow_policies(struct kc_buf *out, const char *ns, const struct kc_netpol_opts *opts,
			      const struct kc_flow_set *flows, const struct kc_manifest_meta *meta,
			      size_t *nrules_out)
{
	struct kc_yemit y;
	size_t nrules = 0;
	char name[96], why[160];
	int rc = kc_names_check_label("namespace", ns);
	if (rc)
		return rc;
	if (nrules_out)
		*nrules_out = 0;
	size_t n = flows ? flows->n : 0;
	unsigned char *done_in = kc_xcalloc(n ? n : 1, 1), *done_out = kc_xcalloc(n ? n : 1, 1);
	if ((rc = kc_yemit_init(&y, out)) != 0)
		goto done;

	/* Ingress: one policy per destination workload in ns, one rule per observed flow. */
	flow_reason(why, sizeof(why), "inbound");
	for (size_t i = 0; i < n; i++) {
		const struct kc_flow *f = &flows->flows[i];
		if (done_in[i] || f->refused || f->apiserver || !f->dst.namespace_ || strcmp(f->dst.namespace_, ns) != 0)
			continue;
		kc_manifest_flow_policy_name(name, sizeof(name), "ingress", &f->dst);
		policy_head(&y, name, ns, meta, why);
		pod_selector_labels(&y, &f->dst);
		policy_types(&y, 1, 0);
		kc_yemit_str(&y, "ingress");
		kc_yemit_seq_start(&y);
		for (size_t j = i; j < n; j++) {
			const struct kc_flow *g = &flows->flows[j];
			if (done_in[j] || g->refused || g->apiserver || !same_workload(&g->dst, &f->dst))
				continue;
			done_in[j] = 1;
			flow_rule(&y, "from", &g->src, 0, g->protocol, g->port);
			nrules++;
		}
		kc_yemit_seq_end(&y);
		policy_tail(&y);
	}

	/* Egress: one policy per source workload in ns. */
	flow_reason(why, sizeof(why), "outbound");
	for (size_t i = 0; i < n && !opts->ingress_only; i++) {
		const struct kc_flow *f = &flows->flows[i];
		if (done_out[i] || f->refused || !f->src.namespace_ || strcmp(f->src.namespace_, ns) != 0)
			continue;
		kc_manifest_flow_policy_name(name, sizeof(name), "egress", &f->src);
		policy_head(&y, name, ns, meta, why);
		pod_selector_labels(&y, &f->src);
		policy_types(&y, 0, 1);
		kc_yemit_str(&y, "egress");
		kc_yemit_seq_start(&y);
		for (size_t j = i; j < n; j++) {
			const struct kc_flow *g = &flows->flows[j];
			if (done_out[j] || g->refused || !same_workload(&g->src, &f->src))
				continue;
			done_out[j] = 1;
			flow_rule(&y, "to", &g->dst, g->apiserver, g->protocol, g->port);
			nrules++;
		}
		kc_yemit_seq_end(&y);
		policy_tail(&y);
	}
done:
	rc = kc_yemit_finish(&y);
	free(done_in);
	free(done_out);
	if (!rc && nrules_out)
		*nrules_out = nrules;
	return rc;
}
