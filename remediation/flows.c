#include "remediation/flows.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "remediation/names.h"
#include "store/store.h"

void kc_flows_init(struct kc_flow_set *set)
{
	memset(set, 0, sizeof(*set));
}

static void peer_clear(struct kc_flow_peer *p)
{
	free(p->namespace_);
	free(p->ip);
	free(p->pod);
	for (size_t i = 0; i < p->nlabels; i++) {
		free(p->labels[i].key);
		free(p->labels[i].value);
	}
	free(p->labels);
	memset(p, 0, sizeof(*p));
}

static void flow_clear(struct kc_flow *f)
{
	peer_clear(&f->src);
	peer_clear(&f->dst);
	free(f->protocol);
	free(f->first_seen);
	free(f->last_seen);
	memset(f, 0, sizeof(*f));
}

void kc_flows_clear(struct kc_flow_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		flow_clear(&set->flows[i]);
	free(set->flows);
	free(set->first_skip);
	memset(set, 0, sizeof(*set));
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kc_flow_label *)a)->key, ((const struct kc_flow_label *)b)->key);
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int valid_ip(const char *s)
{
	unsigned char tmp[16];
	return s && (inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1);
}

/* Fills p from the "<side>_*" fields; message in kc_error_last on refusal. */
static int peer_parse(struct kc_flow_peer *p, struct json_object *o, const char *side)
{
	char key[32];
	snprintf(key, sizeof(key), "%s_ip", side);
	const char *ip = get_str(o, key);
	snprintf(key, sizeof(key), "%s_namespace", side);
	const char *ns = get_str(o, key);
	snprintf(key, sizeof(key), "%s_pod", side);
	const char *pod = get_str(o, key);

	if (ip && !valid_ip(ip))
		return kc_error_set(KC_EINVAL, "%s_ip is not an IP address", side);
	if (ns && *ns) {
		int rc = kc_names_check_label("namespace", ns);
		if (rc)
			return rc;
		p->namespace_ = kc_strdup(ns);
	} else if (!ip) {
		return kc_error_set(KC_EINVAL, "%s has neither a namespace nor an IP address", side);
	}
	p->ip = kc_strdup(ip);
	p->pod = kc_strdup(pod);

	snprintf(key, sizeof(key), "%s_labels", side);
	struct json_object *labels;
	if (p->namespace_ && json_object_object_get_ex(o, key, &labels) &&
	    json_object_is_type(labels, json_type_object)) {
		size_t cap = 0;
		json_object_object_foreach(labels, k, v) {
			if (!json_object_is_type(v, json_type_string))
				return kc_error_set(KC_EINVAL, "%s label %s is not a string", side, k);
			int rc = kc_names_check_label_key(k);
			if (!rc)
				rc = kc_names_check_label_value(k, json_object_get_string(v));
			if (rc)
				return rc;
			p->labels = kc_array_grow(p->labels, &cap, p->nlabels + 1, sizeof(*p->labels));
			p->labels[p->nlabels].key = kc_strdup(k);
			p->labels[p->nlabels].value = kc_strdup(json_object_get_string(v));
			p->nlabels++;
		}
		if (p->nlabels > 1)
			qsort(p->labels, p->nlabels, sizeof(*p->labels), label_cmp);
	}
	return 0;
}

int kc_flows_same_labels(const struct kc_flow_peer *a, const struct kc_flow_peer *b)
{
	if (a->nlabels != b->nlabels)
		return 0;
	for (size_t i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i].key, b->labels[i].key) != 0 ||
		    strcmp(a->labels[i].value, b->labels[i].value) != 0)
			return 0;
	return 1;
}

static int nullcmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int labels_cmp(const struct kc_flow_peer *a, const struct kc_flow_peer *b)
{
	for (size_t i = 0; i < a->nlabels && i < b->nlabels; i++) {
		int c = strcmp(a->labels[i].key, b->labels[i].key);
		if (!c)
			c = strcmp(a->labels[i].value, b->labels[i].value);
		if (c)
			return c;
	}
	return (a->nlabels > b->nlabels) - (a->nlabels < b->nlabels);
}

/* A workload: namespace + labels in the cluster, the IP outside. */
static int peer_cmp(const struct kc_flow_peer *a, const struct kc_flow_peer *b)
{
	int c = nullcmp(a->namespace_, b->namespace_);
	if (c)
		return c;
	if (!a->namespace_)
		return nullcmp(a->ip, b->ip);
	return labels_cmp(a, b);
}

static int flow_cmp(const struct kc_flow *a, const struct kc_flow *b)
{
	int c = peer_cmp(&a->dst, &b->dst);
	if (!c)
		c = peer_cmp(&a->src, &b->src);
	if (!c)
		c = (a->port > b->port) - (a->port < b->port);
	if (!c)
		c = strcmp(a->protocol, b->protocol);
	if (!c)
		c = a->apiserver - b->apiserver;
	/* an API-server flow is keyed by the endpoint address it reached */
	if (!c && a->apiserver)
		c = nullcmp(a->dst.ip, b->dst.ip);
	/* a refused pod peer is kept apart by the pod it was seen as */
	if (!c)
		c = (a->refused != NULL) - (b->refused != NULL);
	if (!c && a->refused)
		c = nullcmp(a->src.pod, b->src.pod) ? nullcmp(a->src.pod, b->src.pod) : nullcmp(a->dst.pod, b->dst.pod);
	return c;
}

static int flow_qcmp(const void *a, const void *b)
{
	return flow_cmp(a, b);
}

/* Events are appended as they come and merged here, after one sort: O(n log n) for the
 * millions of connections a week of monitoring records. */
void kc_flows_finish(struct kc_flow_set *set)
{
	if (set->n < 2)
		return;
	qsort(set->flows, set->n, sizeof(*set->flows), flow_qcmp);
	size_t w = 0;
	for (size_t i = 1; i < set->n; i++) {
		struct kc_flow *g = &set->flows[w], *f = &set->flows[i];
		if (flow_cmp(g, f) != 0) {
			set->flows[++w] = *f;
			continue;
		}
		g->count += f->count;
		if (f->first_seen && (!g->first_seen || strcmp(f->first_seen, g->first_seen) < 0)) {
			free(g->first_seen);
			g->first_seen = f->first_seen;
			f->first_seen = NULL;
		}
		if (f->last_seen && (!g->last_seen || strcmp(f->last_seen, g->last_seen) > 0)) {
			free(g->last_seen);
			g->last_seen = f->last_seen;
			f->last_seen = NULL;
		}
		flow_clear(f);
	}
	set->n = w + 1;
}

static void skip(struct kc_flow_set *set, const char *why)
{
	set->skipped++;
	if (!set->first_skip)
		set->first_skip = kc_strdup(why);
}

int kc_flows_add_json(struct kc_flow_set *set, const char *time, const char *data_json)
{
	struct kc_flow f;
	memset(&f, 0, sizeof(f));
	struct json_object *o = data_json ? json_tokener_parse(data_json) : NULL;
	if (!o || !json_object_is_type(o, json_type_object)) {
		skip(set, "data_json is not a JSON object");
		goto out;
	}
	if (peer_parse(&f.src, o, "src") || peer_parse(&f.dst, o, "dst")) {
		skip(set, kc_error_last());
		goto out;
	}
	struct json_object *v;
	int64_t port = json_object_object_get_ex(o, "dst_port", &v) && json_object_is_type(v, json_type_int)
		? json_object_get_int64(v) : 0;
	if (port < 1 || port > 65535) {
		skip(set, "dst_port is not a port number");
		goto out;
	}
	f.port = (int)port;
	const char *proto = get_str(o, "protocol");
	if (!proto)
		proto = "TCP";
	if (strcmp(proto, "TCP") != 0 && strcmp(proto, "UDP") != 0 && strcmp(proto, "SCTP") != 0) {
		skip(set, "protocol is not TCP, UDP or SCTP");
		goto out;
	}
	f.protocol = kc_strdup(proto);
	const char *svc = get_str(o, "dst_service");
	f.apiserver = svc && strcmp(svc, "default/kubernetes") == 0;
	if (f.apiserver && !valid_ip(f.dst.ip)) {
		skip(set, "API-server connection without a dst_ip");
		goto out;
	}
	int64_t count = json_object_object_get_ex(o, "count", &v) && json_object_is_type(v, json_type_int)
		? json_object_get_int64(v) : 1;
	f.count = count > 0 ? (uint64_t)count : 1;

	f.first_seen = kc_strdup(time);
	f.last_seen = kc_strdup(time);
	set->flows = kc_array_grow(set->flows, &set->cap, set->n + 1, sizeof(*set->flows));
	set->flows[set->n++] = f;
	memset(&f, 0, sizeof(f));
out:
	flow_clear(&f);
	if (o)
		json_object_put(o);
	return 0;
}

static int add_connect(void *payload, const struct kc_event *ev)
{
	kc_flows_add_json(payload, ev->time, ev->data_json);
	return 0;
}

int kc_flows_load(struct kc_store *st, const char *cluster, const char *since, struct kc_flow_set *set)
{
	int rc = kc_store_connect_events(st, cluster, since, add_connect, set);
	return rc;
}

static void observed_side(struct json_object *o, const char *side, const char *kind, const char *ns,
			  const char *pod, const char *addr)
{
	char key[32];
	int is_pod = kind && strcmp(kind, "pod") == 0;
	snprintf(key, sizeof(key), "%s_ip", side);
	if (addr && *addr)
		json_object_object_add(o, key, json_object_new_string(addr));
	if (is_pod) {
		snprintf(key, sizeof(key), "%s_namespace", side);
		json_object_object_add(o, key, json_object_new_string(ns ? ns : ""));
		snprintf(key, sizeof(key), "%s_pod", side);
		if (pod)
			json_object_object_add(o, key, json_object_new_string(pod));
	}
}

void kc_flows_add_observed(struct kc_flow_set *set, const struct kc_flow_observed *ob)
{
	if ((ob->src_kind && strcmp(ob->src_kind, "pod") == 0 && (!ob->src_namespace || !*ob->src_namespace)) ||
	    (ob->dst_kind && strcmp(ob->dst_kind, "pod") == 0 && (!ob->dst_namespace || !*ob->dst_namespace))) {
		skip(set, "a pod whose namespace kubelet's /var/log/pods did not name");
		return;
	}
	/* one validation path for every producer: the same checks as stored events */
	struct json_object *o = json_object_new_object();
	observed_side(o, "src", ob->src_kind, ob->src_namespace, ob->src_pod, ob->src_addr);
	observed_side(o, "dst", ob->dst_kind, ob->dst_namespace, ob->dst_pod, ob->dst_addr);
	json_object_object_add(o, "dst_port", json_object_new_int(ob->port));
	json_object_object_add(o, "protocol", json_object_new_string(ob->protocol ? ob->protocol : "TCP"));
	json_object_object_add(o, "count", json_object_new_int64(ob->count > 0 ? ob->count : 1));
	size_t before = set->n;
	kc_flows_add_json(set, ob->first_seen, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (set->n > before && ob->last_seen) {
		free(set->flows[before].last_seen);
		set->flows[before].last_seen = kc_strdup(ob->last_seen);
	}
}

void kc_flows_describe_peer(struct kc_buf *out, const struct kc_flow_peer *p)
{
	if (!p->namespace_) {
		kc_buf_puts(out, p->ip ? p->ip : "?");
		return;
	}
	kc_buf_printf(out, "%s/", p->namespace_);
	if (!p->nlabels)
		kc_buf_puts(out, "(any pod)");
	for (size_t i = 0; i < p->nlabels; i++)
		kc_buf_printf(out, "%s%s=%s", i ? "," : "", p->labels[i].key, p->labels[i].value);
}

/* Set per revision by the Deployment controller (pod-template-hash), the StatefulSet and
 * DaemonSet controllers (controller-revision-hash), per pod by the StatefulSet controller
 * (statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index), per Job run by the
 * Job controller (controller-uid, batch.kubernetes.io/controller-uid): kubernetes
 * pkg/controller/deployment/util, pkg/controller/history, pkg/controller/statefulset and
 * pkg/controller/job. */
static const char *const ephemeral_keys[] = {
	"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
	"apps.kubernetes.io/pod-index", "controller-uid", "batch.kubernetes.io/controller-uid",
	"pod-template-generation",
};

int kc_flows_label_is_ephemeral(const char *key)
{
	for (size_t i = 0; i < sizeof(ephemeral_keys) / sizeof(ephemeral_keys[0]); i++)
		if (strcmp(key, ephemeral_keys[i]) == 0)
			return 1;
	return 0;
}

void kc_flows_labels_free(struct kc_flow_label *labels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(labels[i].key);
		free(labels[i].value);
	}
	free(labels);
}

static void peer_copy(struct kc_flow_peer *dst, const struct kc_flow_peer *src)
{
	dst->namespace_ = kc_strdup(src->namespace_);
	dst->ip = kc_strdup(src->ip);
	dst->pod = kc_strdup(src->pod);
	dst->labels = src->nlabels ? kc_xcalloc(src->nlabels, sizeof(*dst->labels)) : NULL;
	dst->nlabels = 0;
	for (size_t i = 0; i < src->nlabels; i++) {
		dst->labels[dst->nlabels].key = kc_strdup(src->labels[i].key);
		dst->labels[dst->nlabels].value = kc_strdup(src->labels[i].value);
		dst->nlabels++;
	}
}

/* 0 when the peer can be selected, else it is a pod peer with nothing stable to select */
static int peer_select(struct kc_flow_peer *p, kc_flows_selector_cb cb, void *payload)
{
	if (!p->namespace_)
		return 0;
	struct kc_flow_label *sel = NULL;
	size_t nsel = 0;
	if (cb && p->pod && cb(payload, p->namespace_, p->pod, &sel, &nsel) == 1) {
		kc_flows_labels_free(p->labels, p->nlabels);
		p->labels = sel;
		p->nlabels = nsel;
	}
	size_t w = 0;
	for (size_t i = 0; i < p->nlabels; i++) {
		if (kc_flows_label_is_ephemeral(p->labels[i].key)) {
			free(p->labels[i].key);
			free(p->labels[i].value);
			continue;
		}
		p->labels[w++] = p->labels[i];
	}
	p->nlabels = w;
	if (p->nlabels > 1)
		qsort(p->labels, p->nlabels, sizeof(*p->labels), label_cmp);
	return p->nlabels ? 0 : -1;
}

void kc_flows_resolve(const struct kc_flow_set *in, kc_flows_selector_cb cb, void *payload,
		      struct kc_flow_set *out)
{
	kc_flows_init(out);
	out->skipped = in->skipped;
	out->first_skip = kc_strdup(in->first_skip);
	for (size_t i = 0; i < in->n; i++) {
		const struct kc_flow *f = &in->flows[i];
		struct kc_flow c;
		memset(&c, 0, sizeof(c));
		peer_copy(&c.src, &f->src);
		peer_copy(&c.dst, &f->dst);
		c.port = f->port;
		c.protocol = kc_strdup(f->protocol);
		c.apiserver = f->apiserver;
		c.count = f->count;
		c.first_seen = kc_strdup(f->first_seen);
		c.last_seen = kc_strdup(f->last_seen);
		c.refused = f->refused;
		if (peer_select(&c.src, cb, payload) != 0)
			c.refused = "the source pod has no label that survives a rollout and no controller in the repository selects it";
		if (!c.apiserver && peer_select(&c.dst, cb, payload) != 0)
			c.refused = "the destination pod has no label that survives a rollout and no controller in the repository selects it";
		out->flows = kc_array_grow(out->flows, &out->cap, out->n + 1, sizeof(*out->flows));
		out->flows[out->n++] = c;
	}
	kc_flows_finish(out);
}
