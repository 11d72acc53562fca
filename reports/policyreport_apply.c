/* `--policy-report-apply`: the PolicyReport stream of reports/policyreport.c sent to the API
 * server, so nothing has to run kubectl beside kubecomply.
 *
 * - Each part is applied with server-side apply (PATCH, application/apply-patch+yaml — JSON is
 *   YAML — fieldManager=kubecomply, force=true): it creates or updates, and applying the same
 *   run twice changes nothing, so a retried Job is harmless.
 * - Parts this run did not write are deleted: a report that shrank from three parts to one,
 *   or a namespace whose failures were all fixed, must not keep showing old results. Only
 *   objects that are ours are candidates: label app.kubernetes.io/managed-by=kubecomply, the
 *   same kubecomply.io/benchmark label, a name that is one of our base names or "<base>-N";
 *   a ClusterPolicyReport must also carry this run's kubecomply.io/host annotation (another
 *   node "<host>-2" would otherwise look like part 2 of "<host>"), and PolicyReports are only
 *   pruned by a run that audited section-5 objects (a node-only run knows nothing about them).
 * - Names become URL path segments: every namespace and name is checked to be a DNS-1123
 *   name before it is used. */
#include "reports/policyreport.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "checks/k8s/client.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "common/yaml.h"

#define PR_API "/apis/wgpolicyk8s.io/v1alpha2"
#define SELECTOR_KEY_MANAGED "app.kubernetes.io/managed-by"

struct applied {
	char *ns, *name;   /* ns NULL: ClusterPolicyReport */
};

struct state {
	struct kc_k8s_client *cl;
	struct applied *a;
	size_t n, cap;
	char *cluster_base, *ns_base, *benchmark_label;
	struct kc_buf resp;
};

static int dns_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 253)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return 0;
	return s[0] != '-' && s[0] != '.' && s[n - 1] != '-' && s[n - 1] != '.';
}

static const char *jget(json_object *o, const char *a, const char *b)
{
	json_object *v = o;
	if (!json_object_object_get_ex(v, a, &v))
		return NULL;
	if (b && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The API's Status message, else the body's start. */
static void status_text(struct kc_buf *out, const struct kc_buf *body)
{
	json_object *o = body->len ? json_tokener_parse(body->ptr) : NULL;
	const char *m = o ? jget(o, "message", NULL) : NULL;
	if (m)
		kc_buf_puts(out, m);
	else
		kc_buf_printf(out, "%.*s", (int)(body->len > 200 ? 200 : body->len), body->len ? body->ptr : "");
	json_object_put(o);
}

static int request(struct state *s, const char *method, const char *path, const char *body, size_t len,
		   long *status)
{
	int rc = kc_k8s_client_request(s->cl, method, path, body, len, body ? "application/apply-patch+yaml" : NULL,
				       status, &s->resp);
	if (rc < 0)
		return rc;
	if (*status == 401 || *status == 403 || (*status >= 400 && *status != 404)) {
		struct kc_buf m = KC_BUF_INIT;
		status_text(&m, &s->resp);
		rc = kc_error_set(*status == 401 || *status == 403 ? KC_EUNSAFE : KC_EGENERIC, "%s %s: HTTP %ld: %s",
				  method, path, *status, m.ptr ? m.ptr : "");
		kc_buf_clear(&m);
	}
	return rc;
}

static void item_path(struct kc_buf *p, const char *ns, const char *name)
{
	if (ns)
		kc_buf_printf(p, PR_API "/namespaces/%s/policyreports/%s", ns, name);
	else
		kc_buf_printf(p, PR_API "/clusterpolicyreports/%s", name);
}

static int apply_doc(struct state *s, json_object *doc)
{
	const char *kind = jget(doc, "kind", NULL), *name = jget(doc, "metadata", "name");
	const char *ns = jget(doc, "metadata", "namespace");
	int namespaced = kind && strcmp(kind, "PolicyReport") == 0;
	if (!kind || (!namespaced && strcmp(kind, "ClusterPolicyReport") != 0))
		return kc_error_set(KC_EINVAL, "policy report apply: unexpected document kind %s", kind ? kind : "(none)");
	if (!dns_name(name) || (namespaced && !dns_name(ns)))
		return kc_error_set(KC_EUNSAFE, "policy report apply: refusing the name %s/%s (not a DNS-1123 name)",
				    ns ? ns : "", name ? name : "");
	struct kc_buf path = KC_BUF_INIT;
	item_path(&path, namespaced ? ns : NULL, name);
	kc_buf_puts(&path, "?fieldManager=kubecomply&force=true");
	size_t len = 0;
	const char *body = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	long status = 0;
	int rc = request(s, "PATCH", path.ptr, body, len, &status);
	if (rc == 0 && status == 404)
		rc = kc_error_set(KC_ENOTFOUND, "PATCH %s: HTTP 404: are the wgpolicyk8s.io CRDs installed?", path.ptr);
	kc_buf_clear(&path);
	if (rc < 0)
		return rc;
	s->a = kc_array_grow(s->a, &s->cap, s->n + 1, sizeof(*s->a));
	s->a[s->n].ns = namespaced ? kc_strdup(ns) : NULL;
	s->a[s->n].name = kc_strdup(name);
	s->n++;
	return 0;
}

/* name is base or base-<digits> */
static int part_of(const char *name, const char *base)
{
	size_t bl = strlen(base);
	if (strncmp(name, base, bl) != 0)
		return 0;
	if (!name[bl])
		return 1;
	if (name[bl] != '-' || !name[bl + 1])
		return 0;
	return name[bl + 1 + strspn(name + bl + 1, "0123456789")] == '\0';
}

static int was_applied(const struct state *s, const char *ns, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->a[i].name, name) == 0 && ((!ns && !s->a[i].ns) || (ns && s->a[i].ns && strcmp(ns, s->a[i].ns) == 0)))
			return 1;
	return 0;
}

/* Lists our reports of one kind (page by page) and deletes the stale ones. */
static int prune(struct state *s, int namespaced, const char *host, size_t *deleted)
{
	struct kc_buf path = KC_BUF_INIT, cont = KC_BUF_INIT;
	int rc = 0;
	for (int page = 0; page < 10000; page++) {
		kc_buf_reset(&path);
		kc_buf_printf(&path, PR_API "/%s?limit=500&labelSelector=app.kubernetes.io%%2Fmanaged-by%%3Dkubecomply%%2C"
			      "kubecomply.io%%2Fbenchmark%%3D%s", namespaced ? "policyreports" : "clusterpolicyreports",
			      s->benchmark_label);
		if (cont.len)
			kc_buf_printf(&path, "&continue=%s", cont.ptr);
		long status = 0;
		if ((rc = request(s, "GET", path.ptr, NULL, 0, &status)) < 0)
			break;
		if (status == 404) /* no CRD: nothing of ours can exist */
			break;
		json_object *list = json_tokener_parse(s->resp.ptr ? s->resp.ptr : "");
		json_object *items = NULL;
		if (!list || !json_object_object_get_ex(list, "items", &items) || !json_object_is_type(items, json_type_array)) {
			json_object_put(list);
			rc = kc_error_set(KC_EINVAL, "GET %s: not a list", path.ptr);
			break;
		}
		for (size_t i = 0; i < json_object_array_length(items) && rc == 0; i++) {
			json_object *it = json_object_array_get_idx(items, i);
			const char *name = jget(it, "metadata", "name"), *ns = jget(it, "metadata", "namespace");
			if (!name || (namespaced && !ns) || !dns_name(name) || (ns && !dns_name(ns)))
				continue;
			if (!part_of(name, namespaced ? s->ns_base : s->cluster_base) || was_applied(s, namespaced ? ns : NULL, name))
				continue;
			if (!namespaced) {
				json_object *ann = NULL, *h = NULL;
				if (!json_object_object_get_ex(it, "metadata", &ann) ||
				    !json_object_object_get_ex(ann, "annotations", &ann) ||
				    !json_object_object_get_ex(ann, "kubecomply.io/host", &h) ||
				    strcmp(json_object_get_string(h), host ? host : "") != 0)
					continue;
			}
			struct kc_buf del = KC_BUF_INIT;
			item_path(&del, namespaced ? ns : NULL, name);
			long st = 0;
			rc = request(s, "DELETE", del.ptr, NULL, 0, &st);
			if (rc == 0 && st != 404)
				(*deleted)++;
			kc_buf_clear(&del);
		}
		const char *next = NULL;
		json_object *meta = NULL, *c = NULL;
		if (json_object_object_get_ex(list, "metadata", &meta) && json_object_object_get_ex(meta, "continue", &c))
			next = json_object_get_string(c);
		kc_buf_reset(&cont);
		/* the token is opaque base64: encode what a query cannot carry */
		for (const char *p = next; p && *p; p++)
			if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
				kc_buf_putc(&cont, *p);
			else
				kc_buf_printf(&cont, "%%%02X", (unsigned char)*p);
		json_object_put(list);
		if (rc < 0 || !cont.len)
			break;
	}
	kc_buf_clear(&path);
	kc_buf_clear(&cont);
	return rc;
}

int kc_report_policyreport_apply(const struct kc_run *run, struct kc_k8s_client *cl, size_t *applied,
				 size_t *deleted)
{
	struct state s = { .cl = cl, .resp = KC_BUF_INIT };
	struct kc_buf yaml = KC_BUF_INIT;
	struct kc_yaml y = { 0 };
	int rc = kc_report_policyreport_render(run, &yaml);
	*applied = *deleted = 0;
	if (rc < 0)
		goto out;
	if ((rc = kc_yaml_load(&y, "policy report", yaml.ptr, yaml.len)) < 0)
		goto out;
	int policies = 0;
	for (size_t i = 0; i < y.ndocs && rc == 0; i++) {
		json_object *doc = NULL;
		if ((rc = kc_yaml_to_json(&y.docs[i], kc_yaml_root(&y, i), 10000000, &doc)) < 0)
			break;
		const char *name = jget(doc, "metadata", "name");
		const char *bench = NULL;
		json_object *labels = NULL, *b = NULL;
		if (json_object_object_get_ex(doc, "metadata", &labels) && json_object_object_get_ex(labels, "labels", &labels) &&
		    json_object_object_get_ex(labels, "kubecomply.io/benchmark", &b))
			bench = json_object_get_string(b);
		if (!s.benchmark_label && bench)
			s.benchmark_label = kc_strdup(bench);
		/* part 1 carries the base name */
		if (name && jget(doc, "metadata", "namespace") == NULL && !s.cluster_base)
			s.cluster_base = kc_strdup(name);
		if (name && jget(doc, "metadata", "namespace") != NULL && !s.ns_base)
			s.ns_base = kc_strdup(name);
		rc = apply_doc(&s, doc);
		json_object_put(doc);
	}
	if (rc < 0)
		goto out;
	*applied = s.n;
	for (size_t i = 0; i < run->nresults; i++)
		policies |= run->results[i].target && strcmp(run->results[i].target, "policies") == 0;
	if (s.benchmark_label && s.cluster_base)
		rc = prune(&s, 0, run->host, deleted);
	if (rc == 0 && policies && s.benchmark_label) {
		/* no namespace report this time: the base name is still known */
		if (!s.ns_base) {
			struct kc_buf b = KC_BUF_INIT;
			size_t cut = strlen(s.cluster_base);
			const char *dash = strstr(s.cluster_base, "-cluster");
			if (!dash)
				dash = strstr(s.cluster_base, "-node-");
			if (dash)
				cut = (size_t)(dash - s.cluster_base);
			kc_buf_add(&b, s.cluster_base, cut);
			s.ns_base = kc_buf_detach(&b);
		}
		rc = prune(&s, 1, run->host, deleted);
	}
out:
	for (size_t i = 0; i < s.n; i++) {
		free(s.a[i].ns);
		free(s.a[i].name);
	}
	free(s.a);
	free(s.cluster_base);
	free(s.ns_base);
	free(s.benchmark_label);
	kc_buf_clear(&s.resp);
	kc_yaml_clear(&y);
	kc_buf_clear(&yaml);
	return rc;
}
