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
void kc_flows_free(struct kc_flow_set *set);
/* Adds one connection event. Returns 0 when added or skipped (set->skipped counts it). */
int kc_flows_add_json(struct kc_flow_set *set, const char *time, const char *data_json);
/* Loads every 'connect' event of runs of `cluster` (NULL: every run), then finishes. */
int kc_flows_load(struct kc_store *st, const char *cluster, struct kc_flow_set *set);
/* Sorts (destination, source, port, protocol) and merges events of the same flow, adding
 * counts and keeping the first and last time seen. Call after the last kc_flows_add_json. */
void kc_flows_finish(struct kc_flow_set *set);

/* "shop/app=web,tier=front" or "203.0.113.7" into out (appended). */
struct kc_buf;
void kc_flows_describe_peer(struct kc_buf *out, const struct kc_flow_peer *p);
/* Label set equality. */
int kc_flows_same_labels(const struct kc_flow_peer *a, const struct kc_flow_peer *b);

#endif
