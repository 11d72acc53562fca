/* Kernel/user layout of the TCP flow tracer (bpf/flows.bpf.c, bpf/flows.c). One map entry
 * is one aggregate: (socket's cgroup, direction, family, service port, local address,
 * remote address) -> count and first/last time, so a busy pod costs map updates, not one
 * event per connection. The client's ephemeral port is not part of the key: it changes on
 * every connection and no policy names it. */
#ifndef KC_BPF_FLOWS_H
#define KC_BPF_FLOWS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KC_FLOW_MAX 16384       /* distinct aggregates between two drains */

#define KC_FLOW_CONNECT 1       /* SYN_SENT -> ESTABLISHED: this socket's cgroup connected */
#define KC_FLOW_ACCEPT 2        /* SYN_RECV -> ESTABLISHED: this socket's cgroup accepted */

struct kc_flow_key {
	__u64 cgroup_id;        /* v2 id of the socket's cgroup (the listener's, for accepts) */
	__u8 dir;               /* KC_FLOW_* */
	__u8 family;            /* AF_INET, AF_INET6 */
	__u16 port;             /* the service port: remote for connects, local for accepts (host order) */
	__u32 pad;
	__u8 local[16];         /* IPv4 in the first 4 bytes */
	__u8 remote[16];
};

struct kc_flow_val {
	__u64 count;
	__u64 first_ns;         /* bpf_ktime_get_boot_ns */
	__u64 last_ns;
};

/* counters[0]: connections seen; [1]: dropped because the map was full */
#define KC_FLOW_NCOUNTERS 2

#ifndef __VMLINUX_H__
/* ---- user space ------------------------------------------------------------------------ */
#include <stddef.h>
#include <stdint.h>

struct kc_store;
struct kc_attr_cache;

/* One end of an observed flow, attributed: a pod (namespace, workload derived from the pod
 * name the way controllers name pods, the pod), the node itself, or an address. */
struct kc_flowmon_peer {
	const char *kind;            /* "pod", "node", "address" */
	char ns[64], workload[254], pod[254], addr[64];
};

struct kc_flowmon_obs {
	struct kc_flowmon_peer src, dst;
	int port;
	uint64_t count;
	int64_t first_unix_ns, last_unix_ns;
};

struct kc_flowmon;
typedef int (*kc_flowmon_cb)(void *payload, const struct kc_flowmon_obs *obs);

/* Loads and attaches the tracer (tp_btf/inet_sock_set_state). attr attributes cgroup ids
 * (borrowed; NULL: every peer is an address). */
int kc_flowmon_open(struct kc_attr_cache *attr, struct kc_flowmon **out);
/* Moves what the kernel aggregated since the last drain to cb, both ends joined: a connect
 * and the accept of the same connection on this node become one flow from the client's pod
 * to the server's pod. A side whose other half is not seen yet waits one drain; final = 1
 * (at exit) flushes everything. */
int kc_flowmon_drain(struct kc_flowmon *m, int final, kc_flowmon_cb cb, void *payload);
/* Connections seen and dropped (map full) so far. */
void kc_flowmon_counters(struct kc_flowmon *m, uint64_t *seen, uint64_t *dropped);
void kc_flowmon_free(struct kc_flowmon *m);

/* The workload a pod belongs to, from the name its controller gave it: "<deployment>-<hash>-
 * <5>", "<daemonset|job>-<5>", "<statefulset>-<ordinal>"; the pod name itself otherwise. The
 * random parts use Kubernetes' safe alphabet (k8s.io/apimachinery/pkg/util/rand), which has
 * no vowels, so "api-proxy" stays whole. */
void kc_flowmon_workload(const char *pod, char *out, size_t cap);

/* `watch --bpf`'s flow recorder: a thread that drains every second into the store's flows
 * table (own store connection to db) until kc_flows_watch_stop. */
struct kc_flows_watch;
int kc_flows_watch_start(const char *db, const char *root, const char *cluster, const char *node, int64_t run_id,
			 struct kc_flows_watch **out);
/* Stops, drains what is left, records a gap for what the kernel dropped; 0 or negative. */
int kc_flows_watch_stop(struct kc_flows_watch *w);
#endif

#endif
