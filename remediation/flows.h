/* Observed connections, aggregated into the flows that least-privilege NetworkPolicies
 * allow. A flow is one (source workload, destination workload, port, protocol) pair; a
 * workload is a namespace plus the pod's label set (pods of one Deployment share labels),
 * or an IP address when the peer is outside the cluster.
 *
 * Input: rows of the store's `events` table with type 'connect' whose data_json is
 *   {"src_ip":"10.244.1.5","src_pod":"web-7d9c","src_namespace":"shop","src_labels":{"app":"web"},
 *    "dst_ip":"10.244.2.9","dst_port":5432,"protocol":"TCP",
 *    "dst_pod":"db-0","dst_namespace":"shop","dst_labels":{"app":"db"},
 *    "dst_service":"default/kubernetes", "count":1}
 * src_namespace / dst_namespace absent or null = the peer is outside the cluster (its IP is
 * used); dst_service "default/kubernetes" marks API-server connections (dst_ip must then be
 * the endpoint address, after the service DNAT); count is optional (default 1). Events that
 * do not have this shape, or whose names and labels Kubernetes would not accept, are
 * skipped and counted: a skipped flow stays denied, which is the safe side. */
#ifndef KC_FLOWS_H
#define KC_FLOWS_H

#include <stddef.h>
#include <stdint.h>

struct kc_store;

struct kc_flow_label {
	char *key, *value;
};

struct kc_flow_peer {
	char *namespace_;              /* NULL: outside the cluster, ip decides */
	char *ip;                      /* as observed */
	char *pod;                     /* one pod seen (evidence only) */
	struct kc_flow_label *labels;  /* sorted by key */
	size_t nlabels;
};

struct kc_flow {
	struct kc_flow_peer src, dst;
	const char *refused;           /* static reason when no allow rule may be written for it
					* (a pod peer without labels that survive rollouts) */
	int port;
	char *protocol;                /* "TCP", "UDP", "SCTP" */
	int apiserver;                 /* dst is the Kubernetes API server */
	uint64_t count;
	char *first_seen, *last_seen;  /* RFC 3339, as stored */
};

struct kc_flow_set {
	struct kc_flow *flows;         /* one per flow after kc_flows_finish */
	size_t n, cap;
	size_t skipped;                /* events refused (malformed or invalid names) */
	char *first_skip;              /* why the first one was refused */
};

void kc_flows_init(struct kc_flow_set *set);
void kc_flows_clear(struct kc_flow_set *set);
/* Adds one connection event. Returns 0 when added or skipped (set->skipped counts it). */
int kc_flows_add_json(struct kc_flow_set *set, const char *time, const char *data_json);
/* Loads every 'connect' event of runs of `cluster` (NULL: every run) at or after since
 * (RFC 3339; NULL: all). Does not finish: more may be added (kc_flows_add_observed). */
int kc_flows_load(struct kc_store *st, const char *cluster, const char *since, struct kc_flow_set *set);
/* One aggregated observation (the store's flows table, from `watch --bpf`): a peer is a pod
 * (kind "pod": namespace + pod; its labels come later from the repository, see
 * kc_flows_resolve), "node" or "address" (addr). A pod without a namespace is skipped and
 * counted: it stays denied. */
struct kc_flow_observed {
	const char *src_kind, *src_namespace, *src_pod, *src_addr;
	const char *dst_kind, *dst_namespace, *dst_pod, *dst_addr;
	int port;
	const char *protocol;
	int64_t count;
	const char *first_seen, *last_seen;
};
void kc_flows_add_observed(struct kc_flow_set *set, const struct kc_flow_observed *o);
/* Sorts (destination, source, port, protocol) and merges events of the same flow, adding
 * counts and keeping the first and last time seen. Call after the last kc_flows_add_json. */
void kc_flows_finish(struct kc_flow_set *set);

/* Labels the pod's controller writes per revision or per pod: selecting on them allows
 * one ReplicaSet or one pod, and the rule breaks on the next rollout. Never selected on. */
int kc_flows_label_is_ephemeral(const char *key);

/* The labels that select a pod's workload: the owning controller's
 * spec.selector.matchLabels (Deployment, StatefulSet, DaemonSet) or its pod template's
 * labels (Job, CronJob). Returns 1 with *out and *n (caller frees with kc_flows_labels_free)
 * when the pod's owner is known, 0 when not. */
typedef int (*kc_flows_selector_cb)(void *payload, const char *ns, const char *pod,
				    struct kc_flow_label **out, size_t *n);
void kc_flows_labels_free(struct kc_flow_label *labels, size_t n);

/* A copy of in whose pod peers select their workload: labels from cb when it knows the
 * owner, else the observed labels without ephemeral keys. A pod peer left with no label
 * gets flow->refused set: it is never widened to the whole namespace. Flows of one
 * workload pair are merged (counts added, first and last seen kept). */
void kc_flows_resolve(const struct kc_flow_set *in, kc_flows_selector_cb cb, void *payload,
		      struct kc_flow_set *out);

/* "shop/app=web,tier=front" or "203.0.113.7" into out (appended). */
struct kc_buf;
void kc_flows_describe_peer(struct kc_buf *out, const struct kc_flow_peer *p);
/* Label set equality. */
int kc_flows_same_labels(const struct kc_flow_peer *a, const struct kc_flow_peer *b);

#endif
