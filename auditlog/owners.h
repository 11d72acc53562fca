/* Who is behind a workload a controller created. kube-controller-manager's controllers create
 * ReplicaSets, Pods and Jobs on behalf of whoever created the Deployment, DaemonSet,
 * StatefulSet, Job or CronJob; their own identity is excluded from the workload rules, so a
 * privileged pod template would otherwise be judged only on the owner's own request. This
 * bounded map remembers, from the create events of owner kinds, who created each owner
 * (kind/namespace/name), and follows an object's controller ownerReference (requestObject or
 * responseObject metadata) back to that person or service account:
 *   Deployment (alice) <- ReplicaSet <name>-<pod-template-hash> (deployment-controller)
 *                      <- Pod (replicaset-controller): creator alice.
 * When the ReplicaSet's own create was not seen, the pod's `pod-template-hash` label and the
 * ReplicaSet's name `<deployment>-<hash>` lead to the Deployment directly
 * (pkg/controller/deployment/sync.go getNewReplicaSet: Name = d.Name + "-" + podTemplateHash).
 * Least recently used owners are forgotten first; state is in memory only. */
#ifndef KC_AUDITLOG_OWNERS_H
#define KC_AUDITLOG_OWNERS_H

#include <stddef.h>

struct kc_audit_event;

/* The creator behind one event's object. Owned by the event (ev->attr). */
struct kc_audit_attribution {
	char *creator; /* who created the owning object; NULL: not in the log (unknown) */
	char *chain;   /* "ReplicaSet shop/web-5d8 by ..., owned by Deployment shop/web by alice", or the note */
};
void kc_audit_attribution_free(struct kc_audit_attribution *a);

struct kc_audit_owners;
/* cap: owners remembered (at least 16). */
struct kc_audit_owners *kc_audit_owners_new(size_t cap);
void kc_audit_owners_free(struct kc_audit_owners *o);
size_t kc_audit_owners_count(const struct kc_audit_owners *o);

/* On a persisted (not dry-run) event, fully decoded or scanned without a body (Metadata
 * level: the owner's create needs no more): sets ev->attr when it creates an object whose
 * controller owner is a workload kind, and remembers the creator of a successfully created
 * owner kind. */
void kc_audit_owners_observe(struct kc_audit_owners *o, struct kc_audit_event *ev);

#endif
