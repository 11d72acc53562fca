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

void kc_flows_free(struct kc_flow_set *set)
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

int kc_flows_load(struct kc_store *st, const char *cluster, struct kc_flow_set *set)
{
	int rc = kc_store_connect_events(st, cluster, add_connect, set);
	kc_flows_finish(set);
	return rc;
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
