// SPDX-License-Identifier: GPL-2.0
/* TCP connections as flows, from sock:inet_sock_set_state (tp_btf: no tracefs, no kprobes;
 * both are missing on this kernel and on many DaemonSet hosts). A socket reaching
 * ESTABLISHED from SYN_SENT connected; from SYN_RECV it was accepted. The transition runs
 * in softirq for inbound connections and often for outbound ones too (the SYN-ACK is
 * processed there), so the current task says nothing: the socket's own cgroup does
 * (sk_cgrp_data, set when the socket was created, and copied from the listener to the
 * accepted child by sk_clone_lock). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "flows.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KC_FLOW_MAX);
	__type(key, struct kc_flow_key);
	__type(value, struct kc_flow_val);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KC_FLOW_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} flow_counters SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&flow_counters, &i);
	if (c)
		(*c)++;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(kc_flow_state, const struct sock *sk, int oldstate, int newstate)
{
	if (newstate != TCP_ESTABLISHED || (oldstate != TCP_SYN_SENT && oldstate != TCP_SYN_RECV))
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	struct kc_flow_key k;
	__builtin_memset(&k, 0, sizeof(k));
	k.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (k.family != AF_INET && k.family != AF_INET6)
		return 0;
	k.dir = oldstate == TCP_SYN_SENT ? KC_FLOW_CONNECT : KC_FLOW_ACCEPT;
	k.cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	if (k.dir == KC_FLOW_CONNECT)
		k.port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	else
		k.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (k.family == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr), r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(k.local, &l, 4);
		__builtin_memcpy(k.remote, &r, 4);
	} else {
		BPF_CORE_READ_INTO(&k.local, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&k.remote, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	count(0);
	__u64 now = bpf_ktime_get_boot_ns();
	struct kc_flow_val *v = bpf_map_lookup_elem(&flows, &k);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		v->last_ns = now;
		return 0;
	}
	struct kc_flow_val nv = { 1, now, now };
	if (bpf_map_update_elem(&flows, &k, &nv, BPF_NOEXIST) != 0) {
		/* another CPU inserted it meanwhile, or the map is full */
		v = bpf_map_lookup_elem(&flows, &k);
		if (v) {
			__sync_fetch_and_add(&v->count, 1);
			v->last_ns = now;
		} else {
			count(1);
		}
	}
	return 0;
}
