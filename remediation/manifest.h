/* Generators of the Kubernetes objects that fix a finding. Each writes one YAML stream
 * into out (appended) through libyaml's emitter and returns 0 or a negative code.
 * Every object carries
 *   labels:      app.kubernetes.io/managed-by: kubecomply
 *   annotations: kubecomply.io/check: <CIS id>, kubecomply.io/run-id: <run>
 * so that `kubectl get netpol -A -l app.kubernetes.io/managed-by=kubecomply` lists what the
 * tool proposed and the annotation leads back to the evidence. Names must already be
 * validated (kc_names_check_label); generators check again and refuse otherwise. */
#ifndef KC_MANIFEST_H
#define KC_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"
#include "remediation/flows.h"

#define KC_MANAGED_BY_LABEL "app.kubernetes.io/managed-by"
#define KC_MANAGED_BY_VALUE "kubecomply"
#define KC_ANN_CHECK "kubecomply.io/check"
#define KC_ANN_RUN "kubecomply.io/run-id"

struct kc_manifest_meta {
	const char *check_id;   /* "5.3.2" */
	int64_t run_id;         /* the run whose findings produced the object */
};

/* Which allowances accompany a default-deny policy. */
struct kc_netpol_opts {
	int ingress_only;         /* policyTypes [Ingress] only; egress stays open */
	int allow_dns;            /* egress to kube-system/k8s-app=kube-dns on UDP+TCP 53 */
	int allow_apiserver;      /* egress to the API-server endpoints the namespace was seen using */
	int allow_same_namespace; /* ingress from / egress to pods of the same namespace */
	const char *nodelocal_dns;/* NodeLocal DNSCache's address ("169.254.20.10"): allowed with kube-dns; NULL: none */
};
#define KC_NETPOL_OPTS_INIT { 0, 1, 1, 1, NULL }

/* <ns>/networkpolicy-default-deny.yaml: kubecomply-default-deny (podSelector {}) and one
 * policy per enabled allowance. API-server egress uses the endpoints of `flows` whose
 * source namespace is ns (flows may be NULL: no API-server policy then). */
int kc_manifest_default_deny(struct kc_buf *out, const char *ns, const struct kc_netpol_opts *opts,
			     const struct kc_flow_set *flows, const struct kc_manifest_meta *meta);

/* <ns>/networkpolicy-observed-flows.yaml: for every workload of ns that received observed
 * connections, an Ingress policy whose rules are exactly those (peer, port, protocol); for
 * every workload of ns that opened them, an Egress policy likewise (not with ingress_only).
 * *nrules_out (may be NULL) counts the rules written; 0 rules writes nothing. */
int kc_manifest_flow_policies(struct kc_buf *out, const char *ns, const struct kc_netpol_opts *opts,
			      const struct kc_flow_set *flows, const struct kc_manifest_meta *meta,
			      size_t *nrules_out);

/* The name of the flow policy of a workload ("kubecomply-ingress-web-1a2b3c4d"); dir is
 * "ingress" or "egress". */
void kc_manifest_flow_policy_name(char *out, size_t cap, const char *dir, const struct kc_flow_peer *p);

/* Pod Security Admission, in two steps so that nothing breaks unannounced:
 * OBSERVE sets warn and audit to "restricted" (violations show up in kubectl output and
 * the audit log, nothing is rejected); ENFORCE adds enforce at `level` ("baseline" or
 * "restricted"), a level the namespace's workloads already meet. */
enum kc_psa_stage { KC_PSA_OBSERVE, KC_PSA_ENFORCE };
/* <ns>/namespace-pod-security.yaml: the Namespace with the labels of the stage; level is
 * used with KC_PSA_ENFORCE only. */
int kc_manifest_psa_namespace(struct kc_buf *out, const char *ns, enum kc_psa_stage stage, const char *level,
			      const struct kc_manifest_meta *meta);

/* <ns>/serviceaccount-<name>.yaml: the ServiceAccount with automountServiceAccountToken false. */
int kc_manifest_service_account(struct kc_buf *out, const char *ns, const char *name,
				const struct kc_manifest_meta *meta);

/* The run id a generated manifest was stamped with (first document), 0 when none. */
int64_t kc_manifest_run_id(const char *yaml, size_t len);

#endif
