#include "remediation/plan.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/yaml.h"
#include "remediation/kustomize.h"
#include "remediation/names.h"
#include "remediation/render.h"
#include "remediation/workloads.h"

static const char *const system_namespaces[] = { "kube-system", "kube-public", "kube-node-lease" };

/* A file as the plan sees it so far: the base tree with the earlier groups applied. */
struct overlay {
	char *path;
	char *data;   /* NULL: absent */
	size_t len;
};

/* One finding's object: a namespace, or a namespace and a name. */
struct target {
	char *ns, *name, *detail;
};

struct targets {
	struct target *v;
	size_t n, cap;
};

/* How the application at --path is rendered, which decides where files go. */
enum layout {
	LAYOUT_KUSTOMIZE,      /* <path>/kustomization.yaml: <path>/<ns>/<file>, listed in it */
	LAYOUT_HELM,           /* <path>/Chart.yaml: <path>/templates/kubecomply-<ns>-<file> */
	LAYOUT_PLAIN,          /* a directory source (not recursive): <path>/<ns>-<file> */
};

struct builder {
	const struct kc_run *run;
	const struct kc_plan_opts *opts;
	struct kc_plan *plan;
	struct overlay *ov;
	size_t nov, ov_cap;
	char **newfiles;       /* files the current group creates: kustomization entries */
	unsigned char *newpatch; /* parallel: 1 when the entry goes to `patches` */
	size_t nnew, new_cap, newpatch_cap;
	enum layout layout;
	struct kc_render base; /* what --path renders on the base tree (LAYOUT_KUSTOMIZE) */
	size_t base_errors;
	struct kc_plan_opts own;       /* the caller's options with the flows below */
	struct kc_flow_set resolved;   /* flows with peers selected by their controllers */
};

const char *kc_fix_kind_name(enum kc_fix_kind k)
{
	static const char *const names[] = { "default-deny", "observed-flows", "service-accounts", "pod-security" };
	return (unsigned)k < KC_FIX_KIND_COUNT ? names[k] : "?";
}

static const char *const kind_checks[] = { "5.3.2", "5.3.2", "5.1.5", "5.2.1" };

static char *join(const char *dir, const char *a, const char *b)
{
	struct kc_buf p = KC_BUF_INIT;
	if (dir && *dir)
		kc_buf_printf(&p, "%s/", dir);
	kc_buf_puts(&p, a);
	if (b)
		kc_buf_printf(&p, "/%s", b);
	return kc_buf_detach(&p);
}

/* ---- overlay -------------------------------------------------------------------- */

/* A file of the base tree with the earlier groups applied; borrowed, NULL when absent. */
static int ov_read(struct builder *b, const char *path, const char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	for (size_t i = 0; i < b->nov; i++) {
		if (strcmp(b->ov[i].path, path) == 0) {
			*data = b->ov[i].data;
			*len = b->ov[i].len;
			return 0;
		}
	}
	char *got = NULL;
	size_t glen = 0;
	if (b->opts->read) {
		int rc = b->opts->read(b->opts->payload, KC_PLAN_BASE, path, &got, &glen);
		if (rc)
			return rc;
	}
	b->ov = kc_array_grow(b->ov, &b->ov_cap, b->nov + 1, sizeof(*b->ov));
	b->ov[b->nov++] = (struct overlay){ kc_strdup(path), got, glen };
	*data = got;
	*len = glen;
	return 0;
}

/* Reads a deployed file into a caller-owned buffer (NULL when absent). */
static int deployed_read(struct builder *b, const char *path, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	return b->opts->read ? b->opts->read(b->opts->payload, KC_PLAN_DEPLOYED, path, out, len) : 0;
}

static void ov_set(struct builder *b, const char *path, const char *data, size_t len)
{
	for (size_t i = 0; i < b->nov; i++) {
		if (strcmp(b->ov[i].path, path) == 0) {
			free(b->ov[i].data);
			b->ov[i].data = kc_strndup(data, len);
			b->ov[i].len = len;
			return;
		}
	}
	b->ov = kc_array_grow(b->ov, &b->ov_cap, b->nov + 1, sizeof(*b->ov));
	b->ov[b->nov++] = (struct overlay){ kc_strdup(path), kc_strndup(data, len), len };
}

/* ---- findings ------------------------------------------------------------------- */

static void targets_clear(struct targets *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].ns);
		free(t->v[i].name);
		free(t->v[i].detail);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int target_cmp(const void *a, const void *b)
{
	const struct target *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);
	return c ? c : strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int is_system_namespace(const char *ns)
{
	for (size_t i = 0; i < sizeof(system_namespaces) / sizeof(system_namespaces[0]); i++)
		if (strcmp(ns, system_namespaces[i]) == 0)
			return 1;
	return 0;
}

/* Objects named by FAIL results of check_id. A name that is not a DNS-1123 label stops
 * the whole plan: it is either a broken store or someone trying to write outside --path. */
static int collect(struct builder *b, const char *check_id, const char *obj_kind, struct targets *out)
{
	const struct kc_run *run = b->run;
	int is_sa = strcmp(obj_kind, "ServiceAccount") == 0;
	for (size_t i = 0; i < run->nresults; i++) {
		const struct kc_result *r = &run->results[i];
		if (!r->id || strcmp(r->id, check_id) != 0 || r->status != KC_FAIL)
			continue;
		size_t found = 0;
		for (size_t j = 0; j < r->nevidence; j++) {
			const struct kc_evidence *ev = &r->evidence[j];
			if (ev->kind != KC_EV_OBJECT || !ev->obj_kind || strcmp(ev->obj_kind, obj_kind) != 0)
				continue;
			const char *ns = is_sa ? ev->obj_namespace : ev->obj_name;
			const char *name = is_sa ? ev->obj_name : NULL;
			int rc = kc_names_check_label("namespace", ns);
			if (!rc && is_sa)
				rc = kc_names_check_label("service account", name);
			if (rc)
				return kc_error_wrap(rc, "CIS %s finding of run %" PRId64 " refused", check_id, run->id);
			found++;
			/* CIS 5.1.5 is about the default service account; others are workloads' own */
			if (is_sa && strcmp(name, "default") != 0) {
				kc_buf_printf(&b->plan->notes, "- CIS %s: `%s/%s` is not a default service account; left alone.\n",
					      check_id, ns, name);
				continue;
			}
			if (is_system_namespace(ns)) {
				kc_buf_printf(&b->plan->notes, "- CIS %s: `%s%s%s` is a system namespace; left for a human to review.\n",
					      check_id, ns, name ? "/" : "", name ? name : "");
				continue;
			}
			int dup = 0;
			for (size_t k = 0; k < out->n && !dup; k++)
				dup = strcmp(out->v[k].ns, ns) == 0 && (!name || strcmp(out->v[k].name, name) == 0);
			if (dup)
				continue;
			out->v = kc_array_grow(out->v, &out->cap, out->n + 1, sizeof(*out->v));
			out->v[out->n++] = (struct target){
				kc_strdup(ns), kc_strdup(name),
				kc_strdup(ev->detail ? ev->detail : ev->value),
			};
		}
		if (!found)
			kc_buf_printf(&b->plan->notes, "- CIS %s failed without naming any %s; nothing generated for it.\n",
				      check_id, obj_kind);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), target_cmp);
	return 0;
}

/* ---- groups and files ----------------------------------------------------------- */

struct gen_args {
	const struct kc_plan_opts *opts;
	const char *ns, *name;
	enum kc_psa_stage stage;
	size_t nrules;
	/* a patch names the object as the kustomization sees it before its transformers */
	const char *obj_ns, *obj_name;
	int patch;
	const char *level;     /* Pod Security level to enforce */
};

typedef int (*gen_fn)(struct kc_buf *out, struct gen_args *a, const struct kc_manifest_meta *meta);

static int gen_default_deny(struct kc_buf *out, struct gen_args *a, const struct kc_manifest_meta *meta)
{
	return kc_manifest_default_deny(out, a->ns, &a->opts->netpol, a->opts->flows, meta);
}

static int gen_flows(struct kc_buf *out, struct gen_args *a, const struct kc_manifest_meta *meta)
{
	return kc_manifest_flow_policies(out, a->ns, &a->opts->netpol, a->opts->flows, meta, &a->nrules);
}

static int gen_sa(struct kc_buf *out, struct gen_args *a, const struct kc_manifest_meta *meta)
{
	return kc_manifest_service_account(out, a->obj_ns ? a->obj_ns : a->ns, a->obj_name ? a->obj_name : a->name, meta);
}

static int gen_psa(struct kc_buf *out, struct gen_args *a, const struct kc_manifest_meta *meta)
{
	return kc_manifest_psa_namespace(out, a->obj_name ? a->obj_name : a->ns, a->stage, a->level, meta);
}

static struct kc_plan_group *group_new(struct kc_plan *plan, enum kc_fix_kind kind)
{
	plan->groups = kc_xrealloc(plan->groups, (plan->ngroups + 1) * sizeof(*plan->groups));
	struct kc_plan_group *g = &plan->groups[plan->ngroups++];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->checks = kind_checks[kind];
	kc_buf_init(&g->evidence);
	return g;
}

static void group_clear(struct kc_plan_group *g)
{
	for (size_t i = 0; i < g->nitems; i++)
		free(g->items[i]);
	free(g->items);
	for (size_t i = 0; i < g->nfiles; i++) {
		free(g->files[i].path);
		free(g->files[i].content);
		free(g->files[i].old);
	}
	free(g->files);
	kc_buf_clear(&g->evidence);
	free(g->subject);
	free(g->message);
}

static void group_add_file(struct kc_plan_group *g, const char *path, const char *data, size_t len,
			   const char *old, size_t old_len)
{
	g->files = kc_array_grow(g->files, &g->files_cap, g->nfiles + 1, sizeof(*g->files));
	g->files[g->nfiles++] = (struct kc_plan_file){
		kc_strdup(path), kc_strndup(data, len), len, old ? kc_strndup(old, old_len) : NULL, old_len,
	};
}

static void group_add_item(struct kc_plan_group *g, const char *ns, const char *name)
{
	g->items = kc_array_grow(g->items, &g->items_cap, g->nitems + 1, sizeof(*g->items));
	g->items[g->nitems++] = join(NULL, ns, name);
}

/* Generates one manifest and records it unless the tree already has it (byte for byte, or
 * differing only by the run id it was stamped with). *changed says which. */
static int add_manifest(struct builder *b, struct kc_plan_group *g, const char *path, gen_fn fn,
			struct gen_args *a, int *changed)
{
	struct kc_manifest_meta meta = { kind_checks[g->kind], b->plan->run_id };
	struct kc_buf content = KC_BUF_INIT, again = KC_BUF_INIT;
	const char *prior;
	size_t prior_len;
	int rc;

	*changed = 0;
	for (size_t i = 0; i < b->opts->nsuppress; i++) {
		if (strcmp(b->opts->suppress[i], path) == 0) {
			kc_buf_printf(&b->plan->notes, "- `%s` was reverted by a reviewer on this branch; not proposed again.\n", path);
			return 0;
		}
	}
	if ((rc = fn(&content, a, &meta)) != 0)
		goto done;
	if (g->kind == KC_FIX_FLOWS && a->nrules == 0)
		goto done;
	if ((rc = ov_read(b, path, &prior, &prior_len)) != 0)
		goto done;
	if (prior && prior_len == content.len && memcmp(prior, content.ptr, prior_len) == 0)
		goto done;
	if (prior) {
		int64_t stamped = kc_manifest_run_id(prior, prior_len);
		if (stamped > 0 && stamped != meta.run_id) {
			meta.run_id = stamped;
			if ((rc = fn(&again, a, &meta)) != 0)
				goto done;
			if (again.len == prior_len && memcmp(again.ptr, prior, prior_len) == 0)
				goto done;
		}
	} else if (b->opts->read) {
		/* rebuilding an open branch: what it already proposed keeps its stamp */
		char *prev = NULL;
		size_t prev_len = 0;
		if ((rc = b->opts->read(b->opts->payload, KC_PLAN_PREVIOUS, path, &prev, &prev_len)) != 0)
			goto done;
		int64_t stamped = prev ? kc_manifest_run_id(prev, prev_len) : 0;
		if (stamped > 0 && stamped != meta.run_id) {
			meta.run_id = stamped;
			if ((rc = fn(&again, a, &meta)) == 0 && again.len == prev_len &&
			    memcmp(again.ptr, prev, prev_len) == 0) {
				kc_buf_reset(&content);
				kc_buf_add(&content, again.ptr, again.len);
			}
		}
		free(prev);
		if (rc)
			goto done;
	}
	group_add_file(g, path, content.ptr, content.len, prior, prior_len);
	if (!prior) {
		b->newfiles = kc_array_grow(b->newfiles, &b->new_cap, b->nnew + 1, sizeof(*b->newfiles));
		b->newpatch = kc_array_grow(b->newpatch, &b->newpatch_cap, b->nnew + 1, 1);
		b->newpatch[b->nnew] = (unsigned char)a->patch;
		b->newfiles[b->nnew++] = kc_strdup(path);
	}
	ov_set(b, path, content.ptr, content.len);
	*changed = 1;
done:
	kc_buf_clear(&content);
	kc_buf_clear(&again);
	return rc;
}

/* The kustomization that should list dir/<ns>/<file>: the namespace directory's own, else
 * the one of --path. NULL when neither exists (plain-directory Argo CD applications). */
static int find_kustomization(struct builder *b, const char *dir, char **out)
{
	*out = NULL;
	for (size_t i = 0; i < 3; i++) {
		char *p = join(dir, kc_kustomize_names[i], NULL);
		const char *data;
		size_t len;
		int rc = ov_read(b, p, &data, &len);
		if (rc || data) {
			if (!rc)
				*out = p;
			else
				free(p);
			return rc;
		}
		free(p);
	}
	return 0;
}

static int kustomize_group(struct builder *b, struct kc_plan_group *g)
{
	const char *dir = b->plan->dir;
	size_t dlen = strlen(dir);
	if (b->layout != LAYOUT_KUSTOMIZE) {
		for (size_t i = 0; i < b->nnew; i++)
			free(b->newfiles[i]);
		b->nnew = 0;
		return 0;
	}
	char **kpaths = kc_xcalloc(b->nnew + 1, sizeof(char *));
	char **entries = kc_xcalloc(b->nnew + 1, sizeof(char *));
	int rc = 0;

	for (size_t i = 0; i < b->nnew && !rc; i++) {
		const char *rel = b->newfiles[i] + (dlen ? dlen + 1 : 0);  /* "<ns>/<file>" */
		const char *slash = strchr(rel, '/');
		char *nsdir = kc_strndup(b->newfiles[i], (size_t)(slash - b->newfiles[i]));
		/* a patch is listed where the object is seen with the names it has: --path's own */
		if (!b->newpatch[i])
			rc = find_kustomization(b, nsdir, &kpaths[i]);
		free(nsdir);
		if (!rc && kpaths[i]) {
			entries[i] = kc_strdup(slash + 1);
		} else if (!rc) {
			rc = find_kustomization(b, dir, &kpaths[i]);
			if (!rc && kpaths[i])
				entries[i] = kc_strdup(rel);
		}
	}
	for (size_t i = 0; i < b->nnew && !rc; i++) {
		if (!kpaths[i] || !entries[i])
			continue;
		const char **add = kc_xcalloc(b->nnew, sizeof(*add));
		size_t nadd = 0;
		for (size_t j = i; j < b->nnew; j++) {
			if (kpaths[j] && entries[j] && strcmp(kpaths[j], kpaths[i]) == 0 && b->newpatch[j] == b->newpatch[i]) {
				add[nadd++] = entries[j];
				if (j != i) {
					free(kpaths[j]);
					kpaths[j] = NULL;
				}
			}
		}
		const char *data;
		size_t len;
		struct kc_buf nk = KC_BUF_INIT;
		int changed = 0;
		rc = ov_read(b, kpaths[i], &data, &len);
		if (!rc)
			rc = kc_kustomize_add(kpaths[i], data, len, b->newpatch[i] ? KC_KUSTOMIZE_PATCHES : KC_KUSTOMIZE_RESOURCES,
					      add, nadd, &nk, &changed);
		if (!rc && changed) {
			/* the file found in the tree may sit in the namespace directory or in --path */
			int have = 0;
			for (size_t f = 0; f < g->nfiles; f++) {
				if (strcmp(g->files[f].path, kpaths[i]) == 0) {
					free(g->files[f].content);
					g->files[f].content = kc_strndup(nk.ptr, nk.len);
					g->files[f].len = nk.len;
					have = 1;
				}
			}
			if (!have)
				group_add_file(g, kpaths[i], nk.ptr, nk.len, data, len);
			ov_set(b, kpaths[i], nk.ptr, nk.len);
		}
		kc_buf_clear(&nk);
		free(add);
	}
	for (size_t i = 0; i < b->nnew; i++) {
		free(kpaths[i]);
		free(entries[i]);
		free(b->newfiles[i]);
	}
	free(kpaths);
	free(entries);
	b->nnew = 0;
	return rc;
}

static void join_items(struct kc_buf *out, const struct kc_plan_group *g, size_t max)
{
	for (size_t i = 0; i < g->nitems && i < max; i++)
		kc_buf_printf(out, "%s%s", i ? ", " : "", g->items[i]);
	if (g->nitems > max)
		kc_buf_printf(out, " and %zu more", g->nitems - max);
}

static void group_messages(const struct kc_run *run, const char *target, struct kc_plan_group *g)
{
	struct kc_buf s = KC_BUF_INIT, m = KC_BUF_INIT;
	size_t n = g->nitems;
	switch (g->kind) {
	case KC_FIX_DEFAULT_DENY:
		kc_buf_printf(&s, "kubecomply: default-deny NetworkPolicy for %zu namespace%s (CIS %s)", n, n == 1 ? "" : "s", g->checks);
		break;
	case KC_FIX_FLOWS:
		kc_buf_printf(&s, "kubecomply: allow observed traffic in %zu namespace%s (CIS %s)", n, n == 1 ? "" : "s", g->checks);
		break;
	case KC_FIX_SERVICE_ACCOUNT:
		kc_buf_printf(&s, "kubecomply: stop automounting tokens of %zu default service account%s (CIS %s)", n, n == 1 ? "" : "s", g->checks);
		break;
	case KC_FIX_POD_SECURITY:
		kc_buf_printf(&s, "kubecomply: Pod Security Admission labels for %zu namespace%s (CIS %s)", n, n == 1 ? "" : "s", g->checks);
		break;
	default:
		break;
	}
	kc_buf_printf(&m, "%s\n\n", s.ptr);
	kc_buf_printf(&m, "Run %" PRId64 "%s%s reported CIS %s as failing for: ", run->id,
		      run->cluster ? " of cluster " : "", run->cluster ? run->cluster : "", g->checks);
	join_items(&m, g, 50);
	kc_buf_puts(&m, ".\n\nFiles:\n");
	for (size_t i = 0; i < g->nfiles; i++)
		kc_buf_printf(&m, "  %s (%s)\n", g->files[i].path, g->files[i].old ? "updated" : "new");
	kc_buf_puts(&m, "\nRoll back by reverting this commit; Argo CD removes or restores the objects on its next sync.\n\n");
	kc_buf_printf(&m, KC_PLAN_TRAILER ": %" PRId64 "\nKubecomply-Checks: %s\nKubecomply-Fix: %s\n",
		      run->id, g->checks, kc_fix_kind_name(g->kind));
	if (target)
		kc_buf_printf(&m, KC_PLAN_TARGET_TRAILER ": %s\n", target);
	g->subject = kc_buf_detach(&s);
	g->message = kc_buf_detach(&m);
}

/* A namespace a default-deny or an enforced profile would break, unless listed. */
static int left_alone(struct builder *b, enum kc_fix_kind kind, const char *ns)
{
	char why[256];
	for (size_t i = 0; i < b->opts->ninclude; i++)
		if (strcmp(b->opts->include_namespaces[i], ns) == 0)
			return 0;
	if (!kc_workloads_infrastructure(b->layout == LAYOUT_KUSTOMIZE ? &b->base : NULL, ns, why, sizeof(why)))
		return 0;
	kc_buf_printf(&b->plan->notes, "- CIS %s: `%s` left alone: %s (list it with --include-namespace to remediate it).\n",
		      kind_checks[kind], ns, why);
	return 1;
}

/* ---- the four kinds ------------------------------------------------------------- */

/* Where a fix's file goes for the application's layout. */
static char *fix_path(struct builder *b, const char *ns, const char *file)
{
	struct kc_buf p = KC_BUF_INIT;
	if (*b->plan->dir)
		kc_buf_printf(&p, "%s/", b->plan->dir);
	if (b->layout == LAYOUT_HELM)
		kc_buf_printf(&p, "templates/kubecomply-%s-%s", ns, file);
	else if (b->layout == LAYOUT_PLAIN)
		kc_buf_printf(&p, "%s-%s", ns, file);
	else
		kc_buf_printf(&p, "%s/%s", ns, file);
	return kc_buf_detach(&p);
}

/* The renderer's reads: the overlay, then the base tree (directories read as absent). */
static int render_read(void *payload, const char *path, char **out, size_t *len)
{
	struct builder *b = payload;
	*out = NULL;
	*len = 0;
	for (size_t i = 0; i < b->nov; i++) {
		if (strcmp(b->ov[i].path, path) == 0) {
			if (b->ov[i].data) {
				*out = kc_strndup(b->ov[i].data, b->ov[i].len);
				*len = b->ov[i].len;
			}
			return 0;
		}
	}
	if (!b->opts->read)
		return 0;
	return b->opts->read(b->opts->payload, (enum kc_plan_tree)(KC_PLAN_BASE | KC_PLAN_DIR_OK), path, out, len);
}

/* The namespace a kustomization file sets, or NULL (caller frees). */
static char *kustomization_namespace(const char *data, size_t len)
{
	struct kc_yaml y;
	char *ns = NULL;
	if (kc_yaml_load(&y, "kustomization", data, len) == 0 && y.ndocs == 1) {
		const char *v = kc_yaml_scalar(kc_yaml_get(&y.docs[0], kc_yaml_root(&y, 0), "namespace"));
		if (v && *v)
			ns = kc_strdup(v);
	}
	kc_error_clear();
	kc_yaml_clear(&y);
	return ns;
}

/* Whether the kustomization's transformers let the fix change the object the cluster
 * really has. An object the kustomization already renders is patched (with the names it
 * has before the transformers), never declared twice. Returns 1 (and a note) to refuse. */
static int transformers_refuse(struct builder *b, enum kc_fix_kind kind, const char *ns, const char *name,
			       struct gen_args *a)
{
	if (b->layout != LAYOUT_KUSTOMIZE)
		return 0;
	const struct kc_render *r = &b->base;
	const struct kc_render_obj *o = NULL;
	if (kind == KC_FIX_POD_SECURITY)
		o = kc_render_find(r, "Namespace", NULL, ns);
	else if (kind == KC_FIX_SERVICE_ACCOUNT)
		o = kc_render_find(r, "ServiceAccount", ns, name);
	if (o) {
		a->patch = 1;
		a->obj_ns = o->in_ns;
		a->obj_name = o->in_name;
		return 0;
	}
	const char *dir = *b->plan->dir ? b->plan->dir : ".";
	if (r->namespace_ && strcmp(r->namespace_, ns) != 0) {
		kc_buf_printf(&b->plan->notes, "- CIS %s: `%s`: the kustomization of `%s` sets `namespace: %s`, which would move "
			      "the fix into `%s`; refused (add it in a kustomization of its own).\n",
			      kind_checks[kind], ns, dir, r->namespace_, r->namespace_);
		return 1;
	}
	if (kind == KC_FIX_SERVICE_ACCOUNT && (r->name_prefix || r->name_suffix)) {
		kc_buf_printf(&b->plan->notes, "- CIS %s: `%s/%s`: `namePrefix`/`nameSuffix` of `%s` would create `%s%s%s` instead "
			      "of changing the service account the cluster has; refused.\n", kind_checks[kind], ns, name, dir,
			      r->name_prefix ? r->name_prefix : "", name, r->name_suffix ? r->name_suffix : "");
		return 1;
	}
	/* the namespace directory's own kustomization, when the file would be listed there */
	for (size_t i = 0; i < 3; i++) {
		struct kc_buf p = KC_BUF_INIT;
		const char *data;
		size_t len;
		if (*b->plan->dir)
			kc_buf_printf(&p, "%s/", b->plan->dir);
		kc_buf_printf(&p, "%s/%s", ns, kc_kustomize_names[i]);
		int rc = ov_read(b, p.ptr, &data, &len);
		kc_buf_clear(&p);
		if (rc) {
			kc_error_clear();
			break;
		}
		if (!data)
			continue;
		char *kns = kustomization_namespace(data, len);
		int bad = kns && strcmp(kns, ns) != 0;
		if (bad)
			kc_buf_printf(&b->plan->notes, "- CIS %s: `%s`: the kustomization of `%s/%s` sets `namespace: %s`; refused.\n",
				      kind_checks[kind], ns, dir, ns, kns);
		free(kns);
		return bad;
	}
	return 0;
}

/* The built-in check of one commit's tree: it builds (every path resolves, nothing is
 * rendered twice) and every file the commit adds is rendered or listed as a patch. */
static int check_group(struct builder *b, const struct kc_plan_group *g)
{
	if (b->layout != LAYOUT_KUSTOMIZE || !g->nfiles)
		return 0;
	struct kc_render r;
	kc_render_init(&r);
	int rc = kc_render_dir(render_read, b, b->plan->dir, &r);
	if (rc == 0 && r.nerrors > b->base_errors)
		rc = kc_error_set(KC_EINVAL, "the %s commit would not build: %s", kc_fix_kind_name(g->kind), r.errors.ptr);
	for (size_t i = 0; i < g->nfiles && rc == 0; i++) {
		const char *f = g->files[i].path, *base = strrchr(f, '/');
		base = base ? base + 1 : f;
		int is_k = 0;
		for (size_t k = 0; k < 3; k++)
			is_k |= strcmp(base, kc_kustomize_names[k]) == 0;
		if (is_k || kc_render_has_file(&r, f))
			continue;
		/* a patch: listed in --path's kustomization */
		int listed = 0;
		for (size_t k = 0; k < 3 && !listed; k++) {
			char *kp = join(b->plan->dir, kc_kustomize_names[k], NULL);
			const char *data;
			size_t len;
			if (ov_read(b, kp, &data, &len) == 0 && data)
				listed = kc_kustomize_lists_patch(data, len, f + (*b->plan->dir ? strlen(b->plan->dir) + 1 : 0));
			free(kp);
		}
		if (!listed)
			rc = kc_error_set(KC_EINVAL, "%s would not be rendered by %s: no kustomization lists it", f,
					  *b->plan->dir ? b->plan->dir : ".");
	}
	kc_render_clear(&r);
	return rc < 0 ? rc : 0;
}

static int plan_targets(struct builder *b, enum kc_fix_kind kind, const struct targets *t,
			const char *file, gen_fn fn)
{
	struct kc_plan_group *g = group_new(b->plan, kind);
	int rc = 0;
	for (size_t i = 0; i < t->n && !rc; i++) {
		/* per-object files are "<file><name>.yaml", per-namespace ones just <file> */
		struct kc_buf fname = KC_BUF_INIT;
		kc_buf_puts(&fname, file);
		if (t->v[i].name)
			kc_buf_printf(&fname, "%s.yaml", t->v[i].name);
		char *path = fix_path(b, t->v[i].ns, fname.ptr);
		kc_buf_clear(&fname);
		struct gen_args a = { b->opts, t->v[i].ns, t->v[i].name, KC_PSA_OBSERVE, 0, NULL, NULL, 0, NULL };
		if (left_alone(b, kind, t->v[i].ns) || transformers_refuse(b, kind, t->v[i].ns, t->v[i].name, &a)) {
			free(path);
			continue;
		}
		if (kind == KC_FIX_POD_SECURITY) {
			/* warn/audit first; enforce once the observing labels are on the default branch */
			char *dep;
			size_t dlen;
			rc = deployed_read(b, path, &dep, &dlen);
			if (!rc && dep && strstr(dep, "pod-security.kubernetes.io/warn")) {
				/* enforce only a level every workload of the namespace already meets */
				struct kc_buf why = KC_BUF_INIT;
				size_t nw = 0;
				enum kc_pss_level lvl = kc_workloads_pss_level(b->layout == LAYOUT_KUSTOMIZE ? &b->base : NULL,
									       t->v[i].ns, &nw, &why);
				if (lvl >= KC_PSS_BASELINE) {
					a.stage = KC_PSA_ENFORCE;
					a.level = kc_pss_level_name(lvl);
				} else if (!nw) {
					kc_buf_printf(&b->plan->notes, "- CIS %s: `%s`: no workload of the namespace is in the repository, so no "
						      "Pod Security level is known to hold; `enforce` is not proposed (warn and audit stay).\n",
						      kind_checks[kind], t->v[i].ns);
				} else {
					kc_buf_printf(&b->plan->notes, "- CIS %s: `%s`: `enforce` is not proposed, workloads violate even baseline "
						      "(warn and audit stay):\n%s", kind_checks[kind], t->v[i].ns, why.ptr);
				}
				kc_buf_clear(&why);
			}
			free(dep);
		}
		int changed = 0;
		if (!rc)
			rc = add_manifest(b, g, path, fn, &a, &changed);
		if (!rc && changed) {
			group_add_item(g, t->v[i].ns, t->v[i].name);
			kc_buf_printf(&g->evidence, "- `%s%s%s`%s%s%s\n", t->v[i].ns, t->v[i].name ? "/" : "",
				      t->v[i].name ? t->v[i].name : "", t->v[i].detail ? ": " : "",
				      t->v[i].detail ? t->v[i].detail : "",
				      kind == KC_FIX_POD_SECURITY
					      ? (a.stage == KC_PSA_ENFORCE ? (strcmp(a.level, "restricted") == 0
										  ? " (step 2: enforce restricted, which every workload meets)"
										  : " (step 2: enforce baseline, which every workload meets)")
									   : " (step 1: warn and audit restricted)")
					      : "");
		}
		free(path);
	}
	if (!rc)
		rc = kustomize_group(b, g);
	if (!rc)
		rc = check_group(b, g);
	return rc;
}

static int ns_in(const struct targets *t, const char *ns)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].ns, ns) == 0)
			return 1;
	return 0;
}

static void add_ns(char ***v, size_t *n, size_t *cap, const char *ns)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], ns) == 0)
			return;
	*v = kc_array_grow(*v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = kc_strdup(ns);
}

/* Least privilege for namespaces that get (or already have) kubecomply's default-deny. */
static int plan_flows(struct builder *b, const struct targets *deny)
{
	const struct kc_flow_set *fs = b->opts->flows;
	if (!fs || !fs->n)
		return 0;
	char **nss = NULL;
	size_t nns = 0, cap = 0;
	int rc = 0;
	for (size_t i = 0; i < fs->n; i++) {
		if (fs->flows[i].src.namespace_)
			add_ns(&nss, &nns, &cap, fs->flows[i].src.namespace_);
		if (fs->flows[i].dst.namespace_)
			add_ns(&nss, &nns, &cap, fs->flows[i].dst.namespace_);
	}
	if (nns > 1)
		qsort(nss, nns, sizeof(*nss), kc_strcmp_ptr);
	struct kc_plan_group *g = group_new(b->plan, KC_FIX_FLOWS);
	for (size_t i = 0; i < nns && !rc; i++) {
		const char *ns = nss[i];
		if (is_system_namespace(ns) || (!ns_in(deny, ns) && left_alone(b, KC_FIX_FLOWS, ns)))
			continue;
		if (!ns_in(deny, ns)) {
			char *dd = fix_path(b, ns, "networkpolicy-default-deny.yaml"), *dep;
			size_t dlen;
			rc = deployed_read(b, dd, &dep, &dlen);
			free(dd);
			int managed = dep != NULL;
			free(dep);
			if (rc || !managed)
				continue;
		}
		char *path = fix_path(b, ns, "networkpolicy-observed-flows.yaml");
		struct gen_args a = { b->opts, ns, NULL, KC_PSA_OBSERVE, 0, NULL, NULL, 0, NULL };
		if (transformers_refuse(b, KC_FIX_FLOWS, ns, NULL, &a)) {
			free(path);
			continue;
		}
		int changed = 0;
		rc = add_manifest(b, g, path, gen_flows, &a, &changed);
		free(path);
		if (rc || !changed)
			continue;
		group_add_item(g, ns, NULL);
		for (size_t j = 0; j < fs->n; j++) {
			const struct kc_flow *f = &fs->flows[j];
			int in = f->dst.namespace_ && strcmp(f->dst.namespace_, ns) == 0 && !f->apiserver;
			int outb = f->src.namespace_ && strcmp(f->src.namespace_, ns) == 0 && !b->opts->netpol.ingress_only;
			if (!in && !outb)
				continue;
			char pol[96];
			if (f->refused) {
				kc_buf_puts(&b->plan->notes, "- Not allowed, and not widened to the namespace: ");
				kc_flows_describe_peer(&b->plan->notes, &f->src);
				kc_buf_printf(&b->plan->notes, " (pod %s) -> ", f->src.pod ? f->src.pod : "?");
				kc_flows_describe_peer(&b->plan->notes, &f->dst);
				kc_buf_printf(&b->plan->notes, " (pod %s) %s/%d: %s.\n", f->dst.pod ? f->dst.pod : "?",
					      f->protocol, f->port, f->refused);
				continue;
			}
			/* the rules that allow it here: the destination's ingress rule and the source's egress rule */
			kc_buf_puts(&g->evidence, "| ");
			if (in) {
				kc_manifest_flow_policy_name(pol, sizeof(pol), "ingress", &f->dst);
				kc_buf_printf(&g->evidence, "`%s/%s`", ns, pol);
			}
			if (outb) {
				kc_manifest_flow_policy_name(pol, sizeof(pol), "egress", &f->src);
				kc_buf_printf(&g->evidence, "%s`%s/%s`", in ? "<br>" : "", ns, pol);
			}
			kc_buf_puts(&g->evidence, " | ");
			kc_flows_describe_peer(&g->evidence, &f->src);
			kc_buf_puts(&g->evidence, " | ");
			if (f->apiserver)
				kc_buf_printf(&g->evidence, "API server %s", f->dst.ip);
			else
				kc_flows_describe_peer(&g->evidence, &f->dst);
			kc_buf_printf(&g->evidence, " | %s/%d | %" PRIu64 " | %s | %s |\n", f->protocol, f->port,
				      f->count, f->first_seen ? f->first_seen : "?", f->last_seen ? f->last_seen : "?");
		}
	}
	for (size_t i = 0; i < nns; i++)
		free(nss[i]);
	free(nss);
	if (!rc)
		rc = kustomize_group(b, g);
	if (!rc)
		rc = check_group(b, g);
	return rc;
}

/* ---- entry points --------------------------------------------------------------- */

/* Ends ctx (freed) and writes the first nbytes of the digest as hex into out. */
static void digest_hex(EVP_MD_CTX *ctx, char *out, int nbytes)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static EVP_MD_CTX *sha256_new(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	return ctx;
}

static void plan_hash(struct kc_plan *plan)
{
	EVP_MD_CTX *ctx = sha256_new();
	for (size_t i = 0; i < plan->ngroups; i++) {
		for (size_t j = 0; j < plan->groups[i].nfiles; j++) {
			const struct kc_plan_file *f = &plan->groups[i].files[j];
			EVP_DigestUpdate(ctx, f->path, strlen(f->path) + 1);
			EVP_DigestUpdate(ctx, f->content, f->len);
		}
	}
	digest_hex(ctx, plan->hash, 4);
}

/* Chart.yaml: Helm renders templates/ (recursively) and nothing else. A kustomization:
 * kustomize renders what it lists. Neither: Argo CD's directory source, which reads the
 * manifests directly in the directory (not below it unless `recurse` is set). */
static int detect_layout(struct builder *b)
{
	const char *data;
	size_t len;
	char *chart = join(b->plan->dir, "Chart.yaml", NULL), *k = NULL;
	int rc = ov_read(b, chart, &data, &len);
	free(chart);
	if (rc)
		return rc;
	if (data) {
		b->layout = LAYOUT_HELM;
		kc_buf_printf(&b->plan->notes, "- `%s` is a Helm chart: the manifests go under `templates/`, which Helm renders as they are.\n",
			      *b->plan->dir ? b->plan->dir : ".");
		return 0;
	}
	if ((rc = find_kustomization(b, b->plan->dir, &k)) != 0)
		return rc;
	if (!k) {
		b->layout = LAYOUT_PLAIN;
		kc_buf_printf(&b->plan->notes, "- `%s` has no kustomization.yaml: the manifests are placed directly in it, where a "
			      "non-recursive directory source reads them. If the application sets `directory.include`, check it.\n",
			      *b->plan->dir ? b->plan->dir : ".");
		return 0;
	}
	free(k);
	b->layout = LAYOUT_KUSTOMIZE;
	rc = kc_render_dir(render_read, b, b->plan->dir, &b->base);
	if (rc < 0)
		return rc;
	b->base_errors = b->base.nerrors;
	if (b->base.nerrors)
		kc_buf_printf(&b->plan->notes, "- `%s` does not build on the default branch already: %.*s\n",
			      *b->plan->dir ? b->plan->dir : ".", (int)(b->base.errors.len > 400 ? 400 : b->base.errors.len),
			      b->base.errors.ptr);
	return 0;
}

/* The findings a plan acts on, without run ids or file contents: a later run with the
 * same findings has the same value even when the manifests were stamped differently. */
static void findings_hash(struct kc_plan *plan)
{
	EVP_MD_CTX *ctx = sha256_new();
	for (size_t i = 0; i < plan->ngroups; i++) {
		const char *k = kc_fix_kind_name(plan->groups[i].kind);
		EVP_DigestUpdate(ctx, k, strlen(k) + 1);
		for (size_t j = 0; j < plan->groups[i].nitems; j++)
			EVP_DigestUpdate(ctx, plan->groups[i].items[j], strlen(plan->groups[i].items[j]) + 1);
	}
	digest_hex(ctx, plan->findings, 8);
}

int kc_plan_build(const struct kc_run *run, const struct kc_plan_opts *opts, struct kc_plan **out)
{
	struct builder b;
	struct targets deny = { 0 }, sa = { 0 }, psa = { 0 };
	struct kc_plan *plan = kc_xcalloc(1, sizeof(*plan));
	int rc;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	kc_render_init(&b.base);
	b.run = run;
	b.opts = opts;
	b.plan = plan;
	plan->run_id = run->id;
	kc_buf_init(&plan->notes);

	const char *path = opts->path ? opts->path : "";
	if (strcmp(path, ".") == 0 || strcmp(path, "./") == 0) {
		plan->dir = kc_strdup("");
	} else {
		if ((rc = kc_names_check_relpath("--path", path)) != 0)
			goto done;
		plan->dir = kc_strdup(path);
		size_t n = strlen(plan->dir);
		while (n && plan->dir[n - 1] == '/')
			plan->dir[--n] = '\0';
	}

	/* every name is checked before anything is generated: a refusal plans nothing */
	if ((rc = collect(&b, "5.3.2", "Namespace", &deny)) != 0 ||
	    (rc = collect(&b, "5.1.5", "ServiceAccount", &sa)) != 0 ||
	    (rc = collect(&b, "5.2.1", "Namespace", &psa)) != 0)
		goto done;
	/* only then is the repository read */
	if ((rc = detect_layout(&b)) != 0)
		goto done;
	b.own = *opts;
	b.opts = &b.own;
	if (opts->flows) {
		kc_flows_resolve(opts->flows, kc_workloads_selector, b.layout == LAYOUT_KUSTOMIZE ? &b.base : NULL, &b.resolved);
		b.own.flows = &b.resolved;
	}
	if (!b.own.netpol.nodelocal_dns) {
		static char nld[48];
		b.own.netpol.nodelocal_dns = kc_workloads_nodelocal_dns(&b.base, nld, sizeof(nld));
		for (size_t i = 0; opts->flows && !b.own.netpol.nodelocal_dns && i < opts->flows->n; i++) {
			const struct kc_flow *f = &opts->flows->flows[i];
			if (!f->dst.namespace_ && f->dst.ip && strcmp(f->dst.ip, "169.254.20.10") == 0 && f->port == 53)
				b.own.netpol.nodelocal_dns = "169.254.20.10";
		}
	}
	if (opts->flows && opts->flows->skipped)
		kc_buf_printf(&plan->notes, "- %zu connection event%s could not be attributed and stay denied (first: %s).\n",
			      opts->flows->skipped, opts->flows->skipped == 1 ? "" : "s",
			      opts->flows->first_skip ? opts->flows->first_skip : "?");

	if ((rc = plan_targets(&b, KC_FIX_DEFAULT_DENY, &deny, "networkpolicy-default-deny.yaml", gen_default_deny)) != 0 ||
	    (rc = plan_flows(&b, &deny)) != 0 ||
	    (rc = plan_targets(&b, KC_FIX_SERVICE_ACCOUNT, &sa, "serviceaccount-", gen_sa)) != 0 ||
	    (rc = plan_targets(&b, KC_FIX_POD_SECURITY, &psa, "namespace-pod-security.yaml", gen_psa)) != 0)
		goto done;

	/* keep only groups that change something */
	size_t w = 0;
	for (size_t i = 0; i < plan->ngroups; i++) {
		if (plan->groups[i].nfiles == 0) {
			group_clear(&plan->groups[i]);
			continue;
		}
		plan->groups[w++] = plan->groups[i];
	}
	plan->ngroups = w;
	for (size_t i = 0; i < plan->ngroups; i++)
		group_messages(run, opts->target, &plan->groups[i]);
	plan_hash(plan);
	findings_hash(plan);
done:
	targets_clear(&deny);
	targets_clear(&sa);
	targets_clear(&psa);
	for (size_t i = 0; i < b.nov; i++) {
		free(b.ov[i].path);
		free(b.ov[i].data);
	}
	free(b.ov);
	for (size_t i = 0; i < b.nnew; i++)
		free(b.newfiles[i]);
	free(b.newfiles);
	free(b.newpatch);
	kc_render_clear(&b.base);
	kc_flows_clear(&b.resolved);
	if (rc)
		kc_plan_free(plan);
	else
		*out = plan;
	return rc;
}

void kc_plan_free(struct kc_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->ngroups; i++)
		group_clear(&plan->groups[i]);
	free(plan->groups);
	free(plan->dir);
	kc_buf_clear(&plan->notes);
	free(plan);
}
