#include "checks/section5/s5.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/redact.h"

char *s5_source(const struct kc_cluster *c, const struct kc_k8s_obj *o)
{
	if (!o || !o->src)
		return NULL;
	if (!o->src->api)
		return kc_strdup(o->src->path);
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, o->src->path);
	if (o->ns)
		kc_buf_printf(&b, "/namespaces/%s", o->ns);
	kc_buf_printf(&b, "/%s/%s", o->src->resource, o->name);
	(void)c;
	return kc_buf_detach(&b);
}

static struct kc_evidence *vrow(struct s5 *s, const char *kind, const char *ns, const char *name,
				const struct kc_k8s_obj *o, const char *key, const char *value,
				const char *fmt, va_list ap) __attribute__((format(printf, 8, 0)));
static struct kc_evidence *vrow(struct s5 *s, const char *kind, const char *ns, const char *name,
				const struct kc_k8s_obj *o, const char *key, const char *value,
				const char *fmt, va_list ap)
{
	struct kc_evidence *ev = kc_result_add_evidence(s->r, KC_EV_OBJECT);
	ev->obj_kind = kc_strdup(kind);
	ev->obj_namespace = kc_strdup(ns);
	ev->obj_name = kc_strdup(name);
	ev->source = s5_source(s->c, o);
	ev->line = o ? o->line : 0;
	ev->key = kc_strdup(key);
	/* values are field values the decoder kept (names, flags, paths), never Secret data;
	 * token-looking text is still masked */
	ev->value = value ? kc_redact_text(value) : NULL;
	if (fmt) {
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_vprintf(&b, fmt, ap);
		ev->detail = kc_redact_text(b.ptr);
		kc_buf_clear(&b);
	}
	s->nrows++;
	if (!o || o != s->last)
		s->nobjects++;
	s->last = o;
	return ev;
}

struct kc_evidence *s5_row(struct s5 *s, const struct kc_k8s_obj *o, const char *key, const char *value,
			   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct kc_evidence *ev = vrow(s, o->kind_name, o->ns, o->name, o, key, value, fmt, ap);
	va_end(ap);
	return ev;
}

struct kc_evidence *s5_ns_row(struct s5 *s, const struct kc_ns_info *ns, const char *key, const char *value,
			      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct kc_evidence *ev = vrow(s, "Namespace", NULL, ns->name, ns->obj, key, value, fmt, ap);
	va_end(ap);
	return ev;
}

static const enum kc_k8s_kind workload_kinds[] = {
	KC_K_DEPLOYMENT, KC_K_STATEFULSET, KC_K_DAEMONSET, KC_K_CRONJOB, KC_K_JOB,
	KC_K_REPLICASET, KC_K_REPLICATIONCONTROLLER, KC_K_POD,
};

size_t s5_workloads(struct kc_cluster *c, const struct kc_k8s_obj ***out)
{
	size_t total = 0, n = 0;
	for (size_t k = 0; k < sizeof(workload_kinds) / sizeof(*workload_kinds); k++)
		total += c->nby_kind[workload_kinds[k]];
	const struct kc_k8s_obj **w = kc_xcalloc(total ? total : 1, sizeof(*w));
	for (size_t k = 0; k < sizeof(workload_kinds) / sizeof(*workload_kinds); k++) {
		enum kc_k8s_kind kind = workload_kinds[k];
		for (size_t i = 0; i < c->nby_kind[kind]; i++) {
			const struct kc_k8s_obj *o = c->by_kind[kind][i];
			if (o->pod && !o->owned)
				w[n++] = o;
		}
	}
	*out = w;
	return n;
}

static int has_ephemeral(const struct kc_podspec *p)
{
	for (size_t j = 0; j < p->ncontainers; j++)
		if (p->containers[j].type == KC_CT_EPHEMERAL)
			return 1;
	return 0;
}

size_t s5_container_holders(struct kc_cluster *c, const struct kc_k8s_obj ***out)
{
	size_t n = s5_workloads(c, out), extra = 0;
	for (size_t i = 0; i < c->nby_kind[KC_K_POD]; i++)
		extra += c->by_kind[KC_K_POD][i]->owned && has_ephemeral(c->by_kind[KC_K_POD][i]->pod);
	if (!extra)
		return n;
	*out = kc_xrealloc(*out, (n + extra) * sizeof(**out));
	for (size_t i = 0; i < c->nby_kind[KC_K_POD]; i++) {
		const struct kc_k8s_obj *o = c->by_kind[KC_K_POD][i];
		if (o->owned && has_ephemeral(o->pod))
			(*out)[n++] = o;
	}
	return n;
}

int s5_container_judged(const struct kc_k8s_obj *w, const struct kc_container *ct)
{
	return !w->owned || ct->type == KC_CT_EPHEMERAL;
}

static const char *const list_names[] = { "containers", "initContainers", "ephemeralContainers" };
static const char *const words[] = { "container", "init container", "ephemeral container" };

void s5_container_path(struct kc_buf *b, const struct kc_podspec *p, const struct kc_container *ct)
{
	kc_buf_printf(b, "%s.%s[%u]", p->prefix, list_names[ct->type % 3], ct->index);
}

const char *s5_container_word(const struct kc_container *ct)
{
	return words[ct->type % 3];
}
