/* User side of the TCP flow tracer: loads bpf/flows.bpf.c, drains its aggregate map,
 * attributes both ends to pods through their cgroup ids (bpf/attribution.h) and joins the
 * two halves of a connection seen on this node, then hands flows to the store. */
#include "bpf/flows.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "store/run.h"
#include "store/store.h"
#include "bpf/attribution.h"
#include "bpf/flows.skel.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strbuf.h"

struct rec {
	struct kc_flow_key k;
	struct kc_flow_val v;
	int age;                 /* drains it has waited for its other half */
	int used;
};

struct kc_flowmon {
	struct flows_bpf *skel;
	struct kc_attr_cache *attr;
	struct rec *pending;
	size_t npending, cap;
};

static const char safe_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

static int all_in(const char *s, size_t n, const char *set)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr(set, s[i]))
			return 0;
	return 1;
}

void kc_flowmon_workload(const char *pod, char *out, size_t cap)
{
	size_t n = strlen(pod);
	const char *d1 = strrchr(pod, '-');
	snprintf(out, cap, "%s", pod);
	if (!d1 || d1 == pod)
		return;
	size_t tail = (size_t)(pod + n - d1 - 1);
	if (tail == 5 && all_in(d1 + 1, 5, safe_alphabet)) {
		/* <name>-<5>, or <deployment>-<pod-template-hash>-<5> */
		size_t keep = (size_t)(d1 - pod);
		const char *d2 = NULL;
		for (const char *p = d1 - 1; p > pod; p--)
			if (*p == '-') {
				d2 = p;
				break;
			}
		if (d2 && d2 > pod && all_in(d2 + 1, (size_t)(d1 - d2 - 1), safe_alphabet) && d1 - d2 - 1 >= 6 && d1 - d2 - 1 <= 10)
			keep = (size_t)(d2 - pod);
		snprintf(out, cap, "%.*s", (int)keep, pod);
		return;
	}
	if (all_in(d1 + 1, tail, "0123456789"))
		snprintf(out, cap, "%.*s", (int)(d1 - pod), pod);
}

int kc_flowmon_open(struct kc_attr_cache *attr, struct kc_flowmon **out)
{
	struct kc_flowmon *m = kc_xcalloc(1, sizeof(*m));
	int rc;
	*out = NULL;
	m->attr = attr;
	m->skel = flows_bpf__open();
	if (!m->skel) {
		rc = kc_error_set_errno(errno, "cannot open the flow tracer");
		goto fail;
	}
	if ((rc = flows_bpf__load(m->skel)) < 0) {
		rc = kc_error_set_errno(-rc, "cannot load the flow tracer (tp_btf/inet_sock_set_state)");
		goto fail;
	}
	if ((rc = flows_bpf__attach(m->skel)) < 0) {
		rc = kc_error_set_errno(-rc, "cannot attach the flow tracer to sock:inet_sock_set_state");
		goto fail;
	}
	*out = m;
	return 0;
fail:
	kc_flowmon_free(m);
	return rc;
}

void kc_flowmon_free(struct kc_flowmon *m)
{
	if (!m)
		return;
	flows_bpf__destroy(m->skel);
	free(m->pending);
	free(m);
}

void kc_flowmon_counters(struct kc_flowmon *m, uint64_t *seen, uint64_t *dropped)
{
	int ncpu = libbpf_num_possible_cpus();
	*seen = *dropped = 0;
	if (ncpu <= 0)
		return;
	uint64_t *v = kc_xcalloc((size_t)ncpu, sizeof(*v));
	for (uint32_t i = 0; i < KC_FLOW_NCOUNTERS; i++) {
		if (bpf_map__lookup_elem(m->skel->maps.flow_counters, &i, sizeof(i), v, sizeof(*v) * (size_t)ncpu, 0) < 0)
			continue;
		for (int c = 0; c < ncpu; c++)
			*(i == 0 ? seen : dropped) += v[c];
	}
	free(v);
}

static void addr_text(int family, const uint8_t *a, char *out, size_t cap)
{
	/* an IPv4-mapped IPv6 address (a dual-stack socket) is the IPv4 address */
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (family == AF_INET)
		inet_ntop(AF_INET, a, out, (socklen_t)cap);
	else if (memcmp(a, mapped, 12) == 0)
		inet_ntop(AF_INET, a + 12, out, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)cap);
}

static void attribute(struct kc_flowmon *m, uint64_t cgid, const char *addr, struct kc_flowmon_peer *p)
{
	const struct kc_attr *a = m->attr && cgid ? kc_attr_lookup(m->attr, cgid) : NULL;
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	if (a && (a->info.kind == KC_CGROUP_POD || a->info.kind == KC_CGROUP_CONTAINER)) {
		p->kind = "pod";
		snprintf(p->ns, sizeof(p->ns), "%s", a->namespace_ ? a->namespace_ : "");
		snprintf(p->pod, sizeof(p->pod), "%s", a->pod ? a->pod : a->info.pod_uid);
		kc_flowmon_workload(p->pod, p->workload, sizeof(p->workload));
	} else if (a && a->info.kind == KC_CGROUP_HOST) {
		p->kind = "node";
	} else {
		p->kind = "address";
	}
}

static int64_t boot_to_unix(uint64_t boot_ns)
{
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	int64_t now_rt = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec, now_bt = (int64_t)bt.tv_sec * 1000000000 + bt.tv_nsec;
	return now_rt - (now_bt - (int64_t)boot_ns);
}

static int emit(struct kc_flowmon *m, const struct rec *client, const struct rec *server, kc_flowmon_cb cb, void *payload)
{
	struct kc_flowmon_obs o;
	char local[64], remote[64];
	memset(&o, 0, sizeof(o));
	const struct rec *r = client ? client : server;
	addr_text(r->k.family, r->k.local, local, sizeof(local));
	addr_text(r->k.family, r->k.remote, remote, sizeof(remote));
	if (client) {
		attribute(m, client->k.cgroup_id, local, &o.src);
		if (server) {
			char sl[64];
			addr_text(server->k.family, server->k.local, sl, sizeof(sl));
			attribute(m, server->k.cgroup_id, sl, &o.dst);
		} else {
			attribute(m, 0, remote, &o.dst);
		}
	} else {
		attribute(m, 0, remote, &o.src);
		attribute(m, server->k.cgroup_id, local, &o.dst);
	}
	o.port = r->k.port;
	o.count = r->v.count;
	uint64_t first = r->v.first_ns, last = r->v.last_ns;
	if (client && server) {
		first = server->v.first_ns < first ? server->v.first_ns : first;
		last = server->v.last_ns > last ? server->v.last_ns : last;
	}
	o.first_unix_ns = boot_to_unix(first);
	o.last_unix_ns = boot_to_unix(last);
	return cb(payload, &o);
}

/* The accept that is the other half of connect c: same addresses swapped, same port. */
static int halves(const struct rec *c, const struct rec *a)
{
	return c->k.dir == KC_FLOW_CONNECT && a->k.dir == KC_FLOW_ACCEPT && c->k.family == a->k.family &&
	       c->k.port == a->k.port && memcmp(c->k.remote, a->k.local, 16) == 0 && memcmp(c->k.local, a->k.remote, 16) == 0;
}

int kc_flowmon_drain(struct kc_flowmon *m, int final, kc_flowmon_cb cb, void *payload)
{
	int fd = bpf_map__fd(m->skel->maps.flows), rc = 0;
	struct kc_flow_key key, next;
	/* take every aggregate out: lookup-and-delete, so an increment after it starts a new one */
	int more = bpf_map_get_next_key(fd, NULL, &next) == 0;
	while (more) {
		key = next;
		more = bpf_map_get_next_key(fd, &key, &next) == 0;
		struct rec r;
		memset(&r, 0, sizeof(r));
		r.k = key;
		if (bpf_map_lookup_and_delete_elem(fd, &key, &r.v) != 0)
			continue;
		/* the same aggregate may still wait from the last drain: add up */
		int merged = 0;
		for (size_t i = 0; i < m->npending && !merged; i++) {
			if (memcmp(&m->pending[i].k, &r.k, sizeof(r.k)) == 0) {
				m->pending[i].v.count += r.v.count;
				m->pending[i].v.last_ns = r.v.last_ns;
				m->pending[i].age = 0;
				merged = 1;
			}
		}
		if (!merged) {
			m->pending = kc_array_grow(m->pending, &m->cap, m->npending + 1, sizeof(*m->pending));
			m->pending[m->npending++] = r;
		}
	}
	/* join: a connect with its accept is one pod-to-pod flow; counts are the client's */
	for (size_t i = 0; i < m->npending && !rc; i++) {
		struct rec *c = &m->pending[i];
		if (c->used || c->k.dir != KC_FLOW_CONNECT)
			continue;
		for (size_t j = 0; j < m->npending; j++) {
			struct rec *a = &m->pending[j];
			if (!a->used && halves(c, a)) {
				rc = emit(m, c, a, cb, payload);
				c->used = a->used = 1;
				break;
			}
		}
	}
	/* the rest waits one drain for its other half (it may have been counted on the other
	 * side of the drain), then goes alone: to or from an address off this node */
	size_t w = 0;
	for (size_t i = 0; i < m->npending; i++) {
		struct rec *r = &m->pending[i];
		if (r->used)
			continue;
		if ((final || r->age >= 1) && !rc) {
			rc = emit(m, r->k.dir == KC_FLOW_CONNECT ? r : NULL, r->k.dir == KC_FLOW_ACCEPT ? r : NULL, cb, payload);
			continue;
		}
		r->age++;
		m->pending[w++] = *r;
	}
	m->npending = w;
	return rc;
}

/* ---- watch --bpf ---------------------------------------------------------------------- */

struct kc_flows_watch {
	pthread_t thread;
	atomic_int stop;
	struct kc_store *st;
	struct kc_attr_cache *attr;
	struct kc_flowmon *mon;
	char *cluster, *node, *started;
	int64_t run_id;
	int rc;
	char err[512];
};

static char *rfc3339(int64_t unix_ns)
{
	time_t t = (time_t)(unix_ns / 1000000000);
	struct tm tm;
	char buf[40];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return kc_strdup(buf);
}

static int store_obs(void *payload, const struct kc_flowmon_obs *o)
{
	struct kc_flows_watch *w = payload;
	char *first = rfc3339(o->first_unix_ns), *last = rfc3339(o->last_unix_ns);
	int src_pod = strcmp(o->src.kind, "pod") == 0, dst_pod = strcmp(o->dst.kind, "pod") == 0;
	struct kc_store_flow f = {
		w->cluster, w->node, w->run_id,
		o->src.kind, src_pod && o->src.ns[0] ? o->src.ns : NULL, src_pod ? o->src.workload : NULL,
		src_pod ? o->src.pod : NULL, o->src.addr,
		o->dst.kind, dst_pod && o->dst.ns[0] ? o->dst.ns : NULL, dst_pod ? o->dst.workload : NULL,
		dst_pod ? o->dst.pod : NULL, o->dst.addr,
		o->port, "TCP", (int64_t)o->count, first, last,
	};
	int rc = kc_store_flow_add(w->st, &f);
	free(first);
	free(last);
	return rc;
}

static int drain_to_store(struct kc_flows_watch *w, int final)
{
	int rc = kc_store_begin(w->st);
	if (!rc)
		rc = kc_flowmon_drain(w->mon, final, store_obs, w);
	if (!rc)
		rc = kc_store_commit(w->st);
	else
		kc_store_rollback(w->st);
	return rc;
}

static void *flows_main(void *arg)
{
	struct kc_flows_watch *w = arg;
	while (!atomic_load(&w->stop)) {
		for (int i = 0; i < 10 && !atomic_load(&w->stop); i++)
			usleep(100 * 1000);
		if (drain_to_store(w, 0) < 0) {
			w->rc = -1;
			snprintf(w->err, sizeof(w->err), "%s", kc_error_last());
			break;
		}
	}
	return NULL;
}

static void watch_free(struct kc_flows_watch *w)
{
	kc_flowmon_free(w->mon);
	kc_attr_free(w->attr);
	kc_store_free(w->st);
	free(w->cluster);
	free(w->node);
	free(w->started);
	free(w);
}

int kc_flows_watch_start(const char *db, const char *root, const char *cluster, const char *node, int64_t run_id,
			 struct kc_flows_watch **out)
{
	struct kc_flows_watch *w = kc_xcalloc(1, sizeof(*w));
	int rc;
	*out = NULL;
	w->cluster = kc_strdup(cluster);
	w->node = kc_strdup(node);
	w->run_id = run_id;
	w->started = kc_time_now_rfc3339();
	if ((rc = kc_store_open(db, &w->st)) < 0 || (rc = kc_attr_new(NULL, root ? root : "/", &w->attr)) < 0 ||
	    (rc = kc_flowmon_open(w->attr, &w->mon)) < 0)
		goto fail;
	if (pthread_create(&w->thread, NULL, flows_main, w) != 0) {
		rc = kc_error_set(KC_EGENERIC, "cannot start the flow recorder thread");
		goto fail;
	}
	*out = w;
	return 0;
fail:
	watch_free(w);
	return rc;
}

int kc_flows_watch_stop(struct kc_flows_watch *w)
{
	if (!w)
		return 0;
	atomic_store(&w->stop, 1);
	pthread_join(w->thread, NULL);
	int rc = w->rc;
	if (rc == 0 && drain_to_store(w, 1) < 0)
		rc = -1;
	else if (rc)
		kc_error_set(KC_EGENERIC, "%s", w->err);
	uint64_t seen = 0, dropped = 0;
	kc_flowmon_counters(w->mon, &seen, &dropped);
	if (dropped) {
		char *now = kc_time_now_rfc3339();
		struct kc_gap g;
		memset(&g, 0, sizeof(g));
		g.monitor = (char *)"bpf:flows";
		g.start = w->started;
		g.end = now;
		g.seen = seen;
		g.sent = seen - dropped;
		g.lost = dropped;
		g.detail = (char *)"flow map full between two drains: these connections were not counted";
		kc_store_add_gap(w->st, w->run_id, &g);
		free(now);
	}
	kc_log(KC_LOG_INFO, "flow recorder: %llu TCP connections seen, %llu dropped", (unsigned long long)seen,
	       (unsigned long long)dropped);
	watch_free(w);
	return rc < 0 ? (rc == -1 ? KC_EGENERIC : rc) : 0;
}
