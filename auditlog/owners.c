/* Bounded owner -> creator map and the ownerReference walk (see owners.h). */
#include "auditlog/owners.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "auditlog/event.h"
#include "common/strbuf.h"

#define CHAIN_MAX 600

struct entry {
	char *key;      /* "Kind\x1fnamespace\x1fname" */
	char *creator;  /* NULL: unknown */
	char *chain;
	struct entry *prev, *next; /* LRU list, head = most recent */
	struct entry *hnext;
};

struct kc_audit_owners {
	struct entry **buckets;
	size_t nbuckets, n, cap;
	struct entry *head, *tail;
};

/* Owner kinds a controller creates workloads for, by the resource their create names. */
static const struct { const char *resource, *kind; } owner_kinds[] = {
	{ "deployments", "Deployment" }, { "replicasets", "ReplicaSet" }, { "statefulsets", "StatefulSet" },
	{ "daemonsets", "DaemonSet" }, { "jobs", "Job" }, { "cronjobs", "CronJob" },
	{ "replicationcontrollers", "ReplicationController" },
};

static const char *kind_of_resource(const char *res)
{
	for (size_t i = 0; res && i < sizeof(owner_kinds) / sizeof(owner_kinds[0]); i++)
		if (strcmp(owner_kinds[i].resource, res) == 0)
			return owner_kinds[i].kind;
	return NULL;
}

static int is_owner_kind(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(owner_kinds) / sizeof(owner_kinds[0]); i++)
		if (strcmp(owner_kinds[i].kind, kind) == 0)
			return 1;
	return 0;
}

void kc_audit_attribution_free(struct kc_audit_attribution *a)
{
	if (!a)
		return;
	free(a->creator);
	free(a->chain);
	free(a);
}

struct kc_audit_owners *kc_audit_owners_new(size_t cap)
{
	struct kc_audit_owners *o = kc_xcalloc(1, sizeof(*o));
	o->cap = cap < 16 ? 16 : cap;
	o->nbuckets = 1;
	while (o->nbuckets < o->cap)
		o->nbuckets <<= 1;
	o->buckets = kc_xcalloc(o->nbuckets, sizeof(*o->buckets));
	return o;
}

static void entry_free(struct entry *e)
{
	free(e->key);
	free(e->creator);
	free(e->chain);
	free(e);
}

void kc_audit_owners_free(struct kc_audit_owners *o)
{
	if (!o)
		return;
	for (struct entry *e = o->head, *next; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	free(o->buckets);
	free(o);
}

size_t kc_audit_owners_count(const struct kc_audit_owners *o)
{
	return o ? o->n : 0;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct entry **slot(struct kc_audit_owners *o, const char *key)
{
	struct entry **p = &o->buckets[hash(key) & (o->nbuckets - 1)];
	while (*p && strcmp((*p)->key, key) != 0)
		p = &(*p)->hnext;
	return p;
}

static void unlink_lru(struct kc_audit_owners *o, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		o->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		o->tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(struct kc_audit_owners *o, struct entry *e)
{
	e->next = o->head;
	if (o->head)
		o->head->prev = e;
	o->head = e;
	if (!o->tail)
		o->tail = e;
}

static void make_key(struct kc_buf *b, const char *kind, const char *ns, const char *name)
{
	kc_buf_reset(b);
	kc_buf_printf(b, "%s\x1f%s\x1f%s", kind, ns ? ns : "", name);
}

static struct entry *lookup(struct kc_audit_owners *o, const char *key)
{
	struct entry *e = *slot(o, key);
	if (e) {
		unlink_lru(o, e);
		push_front(o, e);
	}
	return e;
}

static void remember(struct kc_audit_owners *o, const char *key, const char *creator, const char *chain)
{
	struct entry **p = slot(o, key), *e = *p;
	if (e) {
		free(e->creator);
		free(e->chain);
		unlink_lru(o, e);
	} else {
		if (o->n == o->cap) {
			struct entry *old = o->tail;
			unlink_lru(o, old);
			struct entry **q = slot(o, old->key);
			*q = old->hnext;
			entry_free(old);
			o->n--;
			p = slot(o, key); /* the chain may have changed */
		}
		e = kc_xcalloc(1, sizeof(*e));
		e->key = kc_strdup(key);
		*p = e;
		o->n++;
	}
	e->creator = creator ? kc_strdup(creator) : NULL;
	e->chain = kc_strndup(chain, strlen(chain) < CHAIN_MAX ? strlen(chain) : CHAIN_MAX);
	push_front(o, e);
}

static struct json_object *get(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key, json_type_string);
	return v ? json_object_get_string(v) : NULL;
}

/* The object's metadata: from the request body, else the response (RequestResponse level). */
static struct json_object *metadata(const struct kc_audit_event *ev, int request)
{
	struct json_object *body = NULL;
	if (!ev->root)
		return NULL;
	if (request)
		json_object_object_get_ex(ev->root, "requestObject", &body);
	else
		json_object_object_get_ex(ev->root, "responseObject", &body);
	return get(body, "metadata", json_type_object);
}

/* The controller ownerReference (controller: true), else the first of an owner kind. */
static struct json_object *owner_ref(struct json_object *meta)
{
	struct json_object *refs = get(meta, "ownerReferences", json_type_array), *first = NULL;
	for (size_t i = 0; refs && i < json_object_array_length(refs); i++) {
		struct json_object *r = json_object_array_get_idx(refs, i);
		if (!is_owner_kind(str(r, "kind")) || !str(r, "name"))
			continue;
		struct json_object *c = get(r, "controller", json_type_boolean);
		if (c && json_object_get_boolean(c))
			return r;
		if (!first)
			first = r;
	}
	return first;
}

static const char *actor(const struct kc_audit_event *ev)
{
	const char *u = ev->impersonated ? ev->f[KC_AF_IMP_USER] : ev->f[KC_AF_USER];
	return u ? u : "(no user)";
}

void kc_audit_owners_observe(struct kc_audit_owners *o, struct kc_audit_event *ev)
{
	const char *verb = ev->f[KC_AF_VERB];
	if (!o || !verb || strcmp(verb, "create") != 0 || ev->f[KC_AF_SUBRESOURCE])
		return;
	/* a scanned body is not parsed: the full decode that follows looks at it. Without a body
	 * (Metadata level) the header names the owner and its creator: enough to remember it. */
	if (!ev->root && ev->has_request_object)
		return;
	struct json_object *meta = metadata(ev, 1), *rmeta = metadata(ev, 0);
	struct json_object *ref = owner_ref(meta);
	if (!ref) {
		ref = owner_ref(rmeta);
		if (ref)
			meta = rmeta;
	}
	const char *ns = ev->f[KC_AF_NAMESPACE];
	struct kc_buf key = KC_BUF_INIT, chain = KC_BUF_INIT;
	if (ref) {
		const char *kind = str(ref, "kind"), *name = str(ref, "name");
		make_key(&key, kind, ns, name);
		struct entry *e = lookup(o, key.ptr);
		if (!e && strcmp(kind, "ReplicaSet") == 0) {
			/* <deployment>-<pod-template-hash>: the Deployment behind an unseen ReplicaSet */
			const char *h = str(get(meta, "labels", json_type_object), "pod-template-hash");
			size_t nl = strlen(name), hl = h ? strlen(h) : 0;
			if (h && hl && nl > hl + 1 && name[nl - hl - 1] == '-' && strcmp(name + nl - hl, h) == 0) {
				char *dep = kc_strndup(name, nl - hl - 1);
				make_key(&key, "Deployment", ns, dep);
				e = lookup(o, key.ptr);
				free(dep);
			}
		}
		ev->attr = kc_xcalloc(1, sizeof(*ev->attr));
		if (e) {
			ev->attr->creator = e->creator ? kc_strdup(e->creator) : NULL;
			ev->attr->chain = kc_strdup(e->chain);
		} else {
			kc_buf_printf(&chain, "%s %s/%s: not in the log (created before the log began, or its create "
				      "was logged below Request level); creator unknown", kind, ns ? ns : "", name);
			ev->attr->chain = kc_buf_detach(&chain);
		}
	}
	/* an owner kind created: remember who is behind it */
	const char *kind = kind_of_resource(ev->f[KC_AF_RESOURCE]);
	const char *name = ev->f[KC_AF_NAME];
	if (!name)
		name = str(meta, "name");
	if (!name)
		name = str(rmeta, "name");
	if (kind && name && ev->code >= 200 && ev->code < 300) {
		const char *creator = ev->attr ? ev->attr->creator : actor(ev);
		kc_buf_reset(&chain);
		kc_buf_printf(&chain, "%s %s/%s by %s", kind, ns ? ns : "", name, actor(ev));
		if (ev->attr)
			kc_buf_printf(&chain, ", owned by %s", ev->attr->chain);
		make_key(&key, kind, ns, name);
		remember(o, key.ptr, creator, chain.ptr);
	}
	kc_buf_clear(&key);
	kc_buf_clear(&chain);
}
