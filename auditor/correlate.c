#include "auditor/correlate.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/strbuf.h"

struct pending {
	int64_t finding_id, t_ms;
	char *ns, *pod;
};

struct kc_correlator {
	struct kc_store *st;
	pthread_mutex_t lock;
	struct pending *q;
	size_t n, cap;
};

int kc_correlator_new(struct kc_store *st, struct kc_correlator **out)
{
	struct kc_correlator *c = kc_xcalloc(1, sizeof(*c));
	c->st = st;
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void kc_correlator_free(struct kc_correlator *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->q[i].ns);
		free(c->q[i].pod);
	}
	free(c->q);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void kc_correlator_add(void *correlator, const struct kc_audit_exec_ref *ref)
{
	struct kc_correlator *c = correlator;
	/* an exec the log cannot place in a pod, or a finding not stored, has nothing to link */
	if (!ref->namespace_ || !ref->pod || ref->finding_id <= 0)
		return;
	pthread_mutex_lock(&c->lock);
	c->q = kc_array_grow(c->q, &c->cap, c->n + 1, sizeof(*c->q));
	c->q[c->n++] = (struct pending){ ref->finding_id, ref->time_ms, kc_strdup(ref->namespace_), kc_strdup(ref->pod) };
	pthread_mutex_unlock(&c->lock);
}

/* Same form as the stored times ("2026-11-28T07:05:12.954Z"), so text order is time order. */
static void format_ms(int64_t ms, char out[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

static int add_exec(void *payload, const struct kc_event *ev)
{
	struct json_object *e = json_object_new_object();
	json_object_object_add(e, "time", json_object_new_string(ev->time ? ev->time : ""));
	json_object_object_add(e, "pid", json_object_new_int64(ev->pid));
	json_object_object_add(e, "ppid", json_object_new_int64(ev->ppid));
	if (ev->comm)
		json_object_object_add(e, "comm", json_object_new_string(ev->comm));
	if (ev->path)
		json_object_object_add(e, "path", json_object_new_string(ev->path));
	if (ev->container_id)
		json_object_object_add(e, "container_id", json_object_new_string(ev->container_id));
	/* argv as the monitor stored it: already redacted */
	struct json_object *data = ev->data_json ? json_tokener_parse(ev->data_json) : NULL, *argv;
	if (data && json_object_object_get_ex(data, "argv", &argv))
		json_object_object_add(e, "argv", json_object_get(argv));
	json_object_put(data);
	json_object_array_add(payload, e);
	return 0;
}

int kc_correlate_exec(struct kc_store *st, int64_t finding_id, const char *namespace_, const char *pod,
		      int64_t t_ms, int64_t window_ms)
{
	char from[32], to[32];
	/* the kernel may see the process a moment before the API server logs its answer */
	format_ms(t_ms - 1000, from);
	format_ms(t_ms + window_ms, to);
	struct json_object *execs = json_object_new_array();
	int linked = 0;
	char *old = NULL;
	int rc = kc_store_pod_execs(st, namespace_, pod, from, to, 64, add_exec, execs);
	if (rc == 0)
		linked = (int)json_object_array_length(execs);
	if (rc < 0 || !linked)
		goto out;
	if ((rc = kc_store_finding_data(st, finding_id, &old)) < 0)
		goto out;
	struct json_object *data = old ? json_tokener_parse(old) : NULL;
	if (!data || !json_object_is_type(data, json_type_object)) {
		json_object_put(data);
		data = json_object_new_object();
	}
	json_object_object_add(data, "kernel_execs", json_object_get(execs));
	rc = kc_store_finding_set_data(st, finding_id, json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN));
	json_object_put(data);
out:
	free(old);
	json_object_put(execs);
	if (rc < 0)
		return kc_error_wrap(rc, "correlating exec events: ");
	return linked;
}

int kc_correlator_flush(struct kc_correlator *c, int64_t now_ms, int force)
{
	int total = 0, rc = 0;
	pthread_mutex_lock(&c->lock);
	size_t keep = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct pending *p = &c->q[i];
		if (!force && p->t_ms + KC_CORRELATE_WINDOW_MS + KC_CORRELATE_SETTLE_MS > now_ms) {
			c->q[keep++] = *p;
			continue;
		}
		int n = rc < 0 ? 0 : kc_correlate_exec(c->st, p->finding_id, p->ns, p->pod, p->t_ms, KC_CORRELATE_WINDOW_MS);
		if (n < 0)
			rc = n;
		else
			total += n;
		free(p->ns);
		free(p->pod);
	}
	c->n = keep;
	pthread_mutex_unlock(&c->lock);
	return rc < 0 ? rc : total;
}
