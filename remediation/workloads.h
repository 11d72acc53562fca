/* What the repository says about the workloads of a namespace, read from what its
 * kustomization renders (remediation/render.h): which controller owns a pod seen on a node
 * and which labels select it, which namespaces hold infrastructure a default-deny would
 * break, whether NodeLocal DNSCache runs, and which Pod Security level the namespace's
 * pods already meet. Everything here decides what a remediation may propose, so an
 * answer that cannot be decided from the repository is "unknown", never "fine". */
#ifndef KC_WORKLOADS_H
#define KC_WORKLOADS_H

#include <stddef.h>

#include "common/strbuf.h"
#include "remediation/flows.h"
#include "remediation/render.h"

/* Selector callback for kc_flows_resolve (payload: const struct kc_render *). The owner
 * is found by the names controllers give pods (kubernetes pkg/controller: a Deployment's
 * pods are <deployment>-<pod-template-hash>-<5>, a StatefulSet's <name>-<ordinal>, a
 * DaemonSet's and a Job's <name>-<5>, a CronJob's <cronjob>-<scheduled time>-<5>); the
 * longest matching workload name of the namespace wins. */
int kc_workloads_selector(void *payload, const char *ns, const char *pod, struct kc_flow_label **out, size_t *n);

/* 1 and a reason when a default-deny in ns would break the cluster: kube-* namespaces,
 * well-known infrastructure (ingress controllers, CNI, GitOps and policy controllers,
 * cert-manager), the namespace of a Service an admission webhook calls, and namespaces
 * with pods on the host network. r may be NULL (names only). */
int kc_workloads_infrastructure(const struct kc_render *r, const char *ns, char *why, size_t cap);

/* NodeLocal DNSCache's link-local address when the repository deploys it (a DaemonSet
 * named node-local-dns, its -localip argument or 169.254.20.10), else NULL. */
const char *kc_workloads_nodelocal_dns(const struct kc_render *r, char *buf, size_t cap);

enum kc_pss_level { KC_PSS_PRIVILEGED, KC_PSS_BASELINE, KC_PSS_RESTRICTED };
const char *kc_pss_level_name(enum kc_pss_level l);

/* The strictest Pod Security Standard every workload of ns in r meets; violators (one
 * markdown line each: "`Kind/name`: what") go to why. *nworkloads counts what was
 * judged: with none, nothing is known and the level is KC_PSS_PRIVILEGED. Checks follow
 * k8s.io/pod-security-admission/policy (check_*.go) for the fields they name. */
enum kc_pss_level kc_workloads_pss_level(const struct kc_render *r, const char *ns, size_t *nworkloads,
					 struct kc_buf *why);

#endif
