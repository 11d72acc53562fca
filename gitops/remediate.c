/* The remediation flow over a repository: plan, pick the branch, write commits, move the
 * ref, push. See gitops.h for the rules this enforces. */
#include <git2.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "gitops/gitops.h"
#include "gitops/repo.h"

#define MAX_READ (1u << 20) /* a kustomization or manifest bigger than 1 MiB is not ours to edit */

void kc_gitops_result_init(struct kc_gitops_result *r)
{
	memset(r, 0, sizeof(*r));
	kc_buf_init(&r->diff);
	kc_buf_init(&r->log);
}

void kc_gitops_result_clear(struct kc_gitops_result *r)
{
	kc_plan_free(r->plan);
	free(r->branch);
	free(r->base_branch);
	free(r->remote_url);
	kc_buf_free(&r->diff);
	kc_buf_free(&r->log);
	memset(r, 0, sizeof(*r));
}

/* ---- reading trees for the planner ----------------------------------------------- */

struct trees {
	struct kc_gitops_repo *r;
	git_tree *base, *deployed, *previous;  /* previous may be NULL */
};

static int read_cb(void *payload, enum kc_plan_tree which, const char *path, char **out, size_t *len)
{
	struct trees *t = payload;
	git_tree *tree = which == KC_PLAN_DEPLOYED ? t->deployed : which == KC_PLAN_PREVIOUS ? t->previous : t->base;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (!tree)
		return 0;
	int grc = git_tree_entry_bypath(&e, tree, path);
	if (grc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (grc < 0)
		return kc_gitops_git_error(t->r, "reading %s", path);
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		rc = kc_error_set(KC_EUNSAFE, "%s exists in the repository and is not a file", path);
		goto done;
	}
	if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
		rc = kc_error_set(KC_EUNSAFE, "%s is a symbolic link in the repository; refusing to edit it", path);
		goto done;
	}
	if (git_blob_lookup(&blob, t->r->repo, git_tree_entry_id(e)) < 0) {
		rc = kc_gitops_git_error(t->r, "reading %s", path);
		goto done;
	}
	git_object_size_t size = git_blob_rawsize(blob);
	if (size > MAX_READ) {
		rc = kc_error_set(KC_EINVAL, "%s is larger than 1 MiB", path);
		goto done;
	}
	*out = kc_strndup(git_blob_rawcontent(blob), (size_t)size);
	*len = (size_t)size;
done:
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}

static int plan_on(struct kc_gitops_repo *r, const struct kc_run *run, const struct kc_flow_set *flows,
		   const struct kc_gitops_opts *opts, git_commit *base, const git_oid *previous,
		   struct kc_plan **out)
{
	struct trees t = { r, NULL, NULL, NULL };
	git_commit *prev = NULL;
	struct kc_plan_opts po = KC_PLAN_OPTS_INIT;
	int rc;
	if (git_commit_tree(&t.base, base) < 0 || git_commit_tree(&t.deployed, r->base) < 0) {
		rc = kc_gitops_git_error(r, "reading trees");
		goto done;
	}
	if (previous && (git_commit_lookup(&prev, r->repo, previous) < 0 || git_commit_tree(&t.previous, prev) < 0)) {
		rc = kc_gitops_git_error(r, "reading the open remediation branch");
		goto done;
	}
	po.path = opts->path;
	po.netpol = opts->netpol;
	po.flows = flows;
	po.read = read_cb;
	po.payload = &t;
	rc = kc_plan_build(run, &po, out);
done:
	git_tree_free(t.base);
	git_tree_free(t.deployed);
	git_tree_free(t.previous);
	git_commit_free(prev);
	return rc;
}

/* ---- branches ----------------------------------------------------------------------- */

static const char branch_prefix[] = "kubecomply/remediate-";

/* The tip of a branch name: origin's when there is a remote (unless our local one is
 * ahead of it: a push that failed last time), the local one otherwise. */
static int branch_tip(struct kc_gitops_repo *r, const char *name, git_oid *out, int *have_local,
		      git_oid *local, int *have_remote, git_oid *remote)
{
	char ref[512];
	*have_local = *have_remote = 0;
	snprintf(ref, sizeof(ref), "refs/heads/%s", name);
	if (git_reference_name_to_id(local, r->repo, ref) == 0)
		*have_local = 1;
	if (r->remote) {
		snprintf(ref, sizeof(ref), "refs/remotes/origin/%s", name);
		if (git_reference_name_to_id(remote, r->repo, ref) == 0)
			*have_remote = 1;
	}
	git_error_clear();
	if (*have_local && *have_remote)
		*out = git_graph_descendant_of(r->repo, local, remote) == 1 ? *local : *remote;
	else if (*have_remote)
		*out = *remote;
	else if (*have_local)
		*out = *local;
	else
		return GIT_ENOTFOUND;
	return 0;
}

static int is_open(struct kc_gitops_repo *r, const git_oid *tip)
{
	const git_oid *base = git_commit_id(r->base);
	return !git_oid_equal(tip, base) && git_graph_descendant_of(r->repo, base, tip) != 1;
}

/* The newest open kubecomply/remediate-* branch, local or on origin. */
static int find_open_branch(struct kc_gitops_repo *r, char **out)
{
	static const char *const globs[] = { "refs/remotes/origin/kubecomply/remediate-*", "refs/heads/kubecomply/remediate-*" };
	int64_t best_time = -1;
	*out = NULL;
	for (size_t g = 0; g < 2; g++) {
		git_reference_iterator *it = NULL;
		git_reference *ref;
		if (git_reference_iterator_glob_new(&it, r->repo, globs[g]) < 0)
			return kc_gitops_git_error(r, "listing branches");
		while (git_reference_next(&ref, it) == 0) {
			const char *name = strstr(git_reference_name(ref), branch_prefix);
			const git_oid *id = git_reference_target(ref);
			git_commit *c = NULL;
			if (name && id && is_open(r, id) && git_commit_lookup(&c, r->repo, id) == 0) {
				int64_t t = git_commit_time(c);
				if (t > best_time) {
					best_time = t;
					free(*out);
					*out = kc_strdup(name);
				}
			}
			git_commit_free(c);
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	git_error_clear();
	return 0;
}

/* 1 when every commit between the default branch and tip carries our trailer: only then
 * may the branch be rebuilt and force-pushed. */
static int all_ours(struct kc_gitops_repo *r, const git_oid *tip)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int ours = 1, n = 0;
	if (git_revwalk_new(&walk, r->repo) < 0 || git_revwalk_push(walk, tip) < 0 ||
	    git_revwalk_hide(walk, git_commit_id(r->base)) < 0) {
		git_revwalk_free(walk);
		git_error_clear();
		return 0;
	}
	while (ours && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, r->repo, &id) < 0) {
			ours = 0;
			break;
		}
		const char *msg = git_commit_message(c);
		ours = msg && strstr(msg, "\n" KC_PLAN_TRAILER ": ") != NULL;
		git_commit_free(c);
		n++;
	}
	git_revwalk_free(walk);
	git_error_clear();
	return ours && n > 0;
}

/* ---- writing ---------------------------------------------------------------------- */

static int parse_author(struct kc_gitops_repo *r, const char *author, git_signature **out)
{
	if (!author) {
		if (git_signature_default(out, r->repo) < 0)
			return kc_error_set(KC_EINVAL, "no author: pass --author \"Name <mail>\" or set user.name and user.email in the repository's config");
		return 0;
	}
	const char *lt = strchr(author, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (!lt || !gt || gt[1] != '\0' || lt == author || gt == lt + 1)
		return kc_error_set(KC_EINVAL, "--author \"%s\": expected \"Name <mail>\"", author);
	size_t nlen = (size_t)(lt - author);
	while (nlen && author[nlen - 1] == ' ')
		nlen--;
	char *name = kc_strndup(author, nlen), *mail = kc_strndup(lt + 1, (size_t)(gt - lt - 1));
	int rc = 0;
	if (!nlen || git_signature_now(out, name, mail) < 0)
		rc = kc_error_set(KC_EINVAL, "--author \"%s\": expected \"Name <mail>\"", author);
	free(name);
	free(mail);
	git_error_clear();
	return rc;
}

/* One commit per group on top of parent; *out is the last one. Nothing refers to them
 * until the caller moves a ref. */
static int write_commits(struct kc_gitops_repo *r, const struct kc_plan *plan, const git_signature *sig,
			 git_commit *parent, git_oid *out, size_t *ncommits)
{
	git_tree *tree = NULL;
	git_commit *prev = parent;
	int rc = 0;
	git_commit_tree(&tree, parent);
	*ncommits = 0;
	for (size_t i = 0; i < plan->ngroups; i++) {
		const struct kc_plan_group *g = &plan->groups[i];
		git_tree_update *up = kc_xcalloc(g->nfiles, sizeof(*up));
		git_oid tree_id, commit_id;
		git_tree *next = NULL;
		for (size_t j = 0; j < g->nfiles && !rc; j++) {
			if (git_blob_create_from_buffer(&up[j].id, r->repo, g->files[j].content, g->files[j].len) < 0)
				rc = kc_gitops_git_error(r, "writing %s", g->files[j].path);
			up[j].action = GIT_TREE_UPDATE_UPSERT;
			up[j].filemode = GIT_FILEMODE_BLOB;
			up[j].path = g->files[j].path;
		}
		if (!rc && git_tree_create_updated(&tree_id, r->repo, tree, g->nfiles, up) < 0)
			rc = kc_gitops_git_error(r, "building the tree for \"%s\"", g->subject);
		free(up);
		if (!rc && git_tree_lookup(&next, r->repo, &tree_id) < 0)
			rc = kc_gitops_git_error(r, "reading the new tree");
		if (!rc) {
			const git_commit *parents[1] = { prev };
			if (git_commit_create(&commit_id, r->repo, NULL, sig, sig, NULL, g->message, next, 1, parents) < 0)
				rc = kc_gitops_git_error(r, "writing the commit \"%s\"", g->subject);
		}
		git_tree_free(tree);
		tree = next;
		if (rc)
			break;
		if (prev != parent)
			git_commit_free(prev);
		if (git_commit_lookup(&prev, r->repo, &commit_id) < 0) {
			prev = parent;
			rc = kc_gitops_git_error(r, "reading the new commit");
			break;
		}
		*out = commit_id;
		(*ncommits)++;
	}
	if (prev != parent)
		git_commit_free(prev);
	git_tree_free(tree);
	return rc;
}

static int trees_equal(struct kc_gitops_repo *r, const git_oid *a, const git_oid *b)
{
	git_commit *ca = NULL, *cb = NULL;
	int eq = git_commit_lookup(&ca, r->repo, a) == 0 && git_commit_lookup(&cb, r->repo, b) == 0 &&
		 git_oid_equal(git_commit_tree_id(ca), git_commit_tree_id(cb));
	git_commit_free(ca);
	git_commit_free(cb);
	return eq;
}

/* Moves refs/heads/<name> from *old (NULL: must not exist) to new: a compare-and-swap, so
 * a concurrent writer makes this fail instead of being overwritten. A branch checked out
 * in a working copy is only moved with `direct` and a clean working tree, and the
 * working tree follows it. */
static int move_ref(struct kc_gitops_repo *r, const char *name, const git_oid *old, const git_oid *new_id,
		    int direct, const char *why)
{
	char refname[512];
	git_reference *ref = NULL, *out = NULL;
	git_tree *old_tree = NULL;
	git_object *new_commit = NULL;
	int rc = 0, checked_out = 0;
	snprintf(refname, sizeof(refname), "refs/heads/%s", name);

	if (old && !git_repository_is_bare(r->repo) && git_reference_lookup(&ref, r->repo, refname) == 0)
		checked_out = git_branch_is_checked_out(ref) == 1;
	git_error_clear();
	if (checked_out) {
		git_status_list *st = NULL;
		git_status_options so;
		git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
		so.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
		size_t dirty = 1;
		if (git_status_list_new(&st, r->repo, &so) == 0)
			dirty = git_status_list_entrycount(st);
		git_status_list_free(st);
		if (!direct || dirty) {
			rc = kc_error_set(KC_EINVAL, "branch %s is checked out in %s%s; nothing was changed",
					  name, git_repository_workdir(r->repo),
					  dirty ? " with local changes" : "");
			goto done;
		}
		git_commit *oc = NULL;
		if (git_commit_lookup(&oc, r->repo, old) == 0)
			git_commit_tree(&old_tree, oc);
		git_commit_free(oc);
	}
	if (old)
		rc = git_reference_create_matching(&out, r->repo, refname, new_id, 1, old, why);
	else
		rc = git_reference_create(&out, r->repo, refname, new_id, 0, why);
	if (rc < 0) {
		rc = kc_gitops_git_error(r, "updating %s (did someone else write it meanwhile?)", refname);
		goto done;
	}
	if (checked_out) {
		git_checkout_options co;
		git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
		co.checkout_strategy = GIT_CHECKOUT_SAFE;
		co.baseline = old_tree;
		if (git_object_lookup(&new_commit, r->repo, new_id, GIT_OBJECT_COMMIT) < 0 ||
		    git_checkout_tree(r->repo, new_commit, &co) < 0)
			rc = kc_gitops_git_error(r, "%s moved, but updating the working tree failed", name);
	}
done:
	git_object_free(new_commit);
	git_tree_free(old_tree);
	git_reference_free(out);
	git_reference_free(ref);
	return rc;
}

/* ---- pushing ------------------------------------------------------------------------ */

struct push_state {
	int have_expected;
	git_oid expected;        /* what origin had when we fetched: a lease for forced pushes */
	char *rejected;
};

struct push_payload {
	struct kc_git_cred *cred;
	struct push_state *state;
};

static int cred_shim(git_credential **out, const char *url, const char *user, unsigned int types, void *payload)
{
	return kc_git_cred_acquire((struct git_credential **)out, url, user, types, ((struct push_payload *)payload)->cred);
}

static int lease_check(const git_push_update **updates, size_t len, void *payload)
{
	struct push_state *st = ((struct push_payload *)payload)->state;
	for (size_t i = 0; i < len; i++) {
		int remote_has = !git_oid_is_zero(&updates[i]->src);
		if (st->have_expected ? !git_oid_equal(&updates[i]->src, &st->expected) : remote_has) {
			git_error_set_str(GIT_ERROR_NET, "the remote branch changed since it was fetched; not overwriting it");
			return -1;
		}
	}
	return 0;
}

static int update_status(const char *refname, const char *status, void *payload)
{
	struct push_state *st = ((struct push_payload *)payload)->state;
	if (status && !st->rejected) {
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_printf(&b, "%s: %s", refname, status);
		st->rejected = kc_buf_detach(&b);
	}
	return 0;
}

static int push_branch(struct kc_gitops_repo *r, const char *name, int force, int have_expected,
		       const git_oid *expected)
{
	struct push_state st = { have_expected, { { 0 } }, NULL };
	struct push_payload pp = { r->cred, &st };
	git_push_options po;
	char spec[600];
	char *specs[1] = { spec };
	git_strarray arr = { specs, 1 };
	int rc = 0;

	if (expected)
		st.expected = *expected;
	snprintf(spec, sizeof(spec), "%srefs/heads/%s:refs/heads/%s", force ? "+" : "", name, name);
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	r->cred->attempts = 0;
	po.callbacks.credentials = cred_shim;
	po.callbacks.push_update_reference = update_status;
	/* forced pushes only replace what we fetched and checked is ours */
	if (force)
		po.callbacks.push_negotiation = lease_check;
	po.callbacks.payload = &pp;
	if (git_remote_push(r->remote, &arr, &po) < 0)
		rc = kc_gitops_git_error(r, "pushing %s to %s", name, r->url_shown);
	else if (st.rejected)
		rc = kc_error_set(KC_EGENERIC, "pushing %s to %s: rejected (%s)", name, r->url_shown, st.rejected);
	free(st.rejected);
	return rc;
}

/* ---- diff ----------------------------------------------------------------------------- */

static int plan_diff(struct kc_gitops_repo *r, const struct kc_plan *plan, struct kc_buf *out)
{
	for (size_t i = 0; i < plan->ngroups; i++) {
		const struct kc_plan_group *g = &plan->groups[i];
		kc_buf_printf(out, "# commit %zu/%zu: %s\n", i + 1, plan->ngroups, g->subject);
		for (size_t j = 0; j < g->nfiles; j++) {
			const struct kc_plan_file *f = &g->files[j];
			git_patch *p = NULL;
			git_buf b = { 0 };
			if (git_patch_from_buffers(&p, f->old, f->old ? f->old_len : 0, f->old ? f->path : NULL,
						   f->content, f->len, f->path, NULL) < 0 ||
			    git_patch_to_buf(&b, p) < 0) {
				git_patch_free(p);
				return kc_gitops_git_error(r, "diffing %s", f->path);
			}
			kc_buf_add(out, b.ptr, b.size);
			git_buf_dispose(&b);
			git_patch_free(p);
		}
	}
	return 0;
}

/* ---- the flow ------------------------------------------------------------------------- */

static int valid_branch_name(const char *name)
{
	char ref[512];
	int valid = 0;
	if (strlen(name) > 200)
		return 0;
	snprintf(ref, sizeof(ref), "refs/heads/%s", name);
	return git_reference_name_is_valid(&valid, ref) == 0 && valid;
}

int kc_gitops_remediate(const struct kc_run *run, const struct kc_flow_set *flows,
			const struct kc_gitops_opts *opts, struct kc_gitops_result *out)
{
	struct kc_gitops_repo r;
	struct kc_git_cred cred = opts->cred;
	struct kc_plan *plan = NULL;
	git_commit *build_on = NULL;
	git_signature *sig = NULL;
	char *branch = NULL;
	int rc, force = 0;
	git_oid tip, local, remote, head;
	int have_tip = 0, have_local = 0, have_remote = 0;

	memset(&r, 0, sizeof(r));
	git_libgit2_init();
	if (!opts->repo || !opts->path) {
		rc = kc_error_set(KC_EINVAL, "a repository and a path inside it are required");
		goto done;
	}
	if (opts->branch && !valid_branch_name(opts->branch)) {
		rc = kc_error_set(KC_EINVAL, "--branch \"%s\" is not a valid branch name", opts->branch);
		goto done;
	}
	if (opts->push && opts->dry_run) {
		rc = kc_error_set(KC_EINVAL, "--dry-run and --push exclude each other");
		goto done;
	}
	if ((rc = kc_gitops_repo_open(&r, opts->repo, opts->workdir, opts->dry_run, &cred)) != 0)
		goto done;
	if (opts->push && !r.remote) {
		rc = kc_error_set(KC_EINVAL, "%s has no remote \"origin\" to push to", r.url_shown);
		goto done;
	}
	out->base_branch = kc_strdup(r.default_branch);
	if (r.remote)
		out->remote_url = kc_gitops_url_for_humans(git_remote_url(r.remote));

	/* 1. What does the default branch still lack? Nothing: no branch at all. */
	if ((rc = plan_on(&r, run, flows, opts, r.base, NULL, &plan)) != 0)
		goto done;
	if (plan->ngroups == 0) {
		kc_buf_printf(&out->log, "nothing to fix: %s already has every remediation for run %" PRId64 "\n",
			      r.default_branch, run->id);
		goto done;
	}

	/* 2. Which branch: the default one (--direct), --branch, an open remediation branch, or a new one. */
	if (opts->direct)
		branch = kc_strdup(r.default_branch);
	else if (opts->branch)
		branch = kc_strdup(opts->branch);
	else if ((rc = find_open_branch(&r, &branch)) != 0)
		goto done;
	if (!branch) {
		struct kc_buf b = KC_BUF_INIT;
		kc_buf_printf(&b, "%s%" PRId64 "-%s", branch_prefix, run->id, plan->hash);
		branch = kc_buf_detach(&b);
	}
	have_tip = branch_tip(&r, branch, &tip, &have_local, &local, &have_remote, &remote) == 0;
	out->branch = kc_strdup(branch);
	out->created = !have_tip;

	/* 3. What to build on. */
	if (opts->direct) {
		if (have_local && !git_oid_equal(&local, git_commit_id(r.base)) &&
		    git_graph_descendant_of(r.repo, git_commit_id(r.base), &local) != 1) {
			rc = kc_error_set(KC_EINVAL, "local %s has commits that origin does not; push or drop them first", branch);
			goto done;
		}
		build_on = r.base;
	} else if (have_tip && !all_ours(&r, &tip) && is_open(&r, &tip)) {
		/* a human worked on this branch: add on top, never rewrite */
		if (git_commit_lookup(&build_on, r.repo, &tip) < 0) {
			rc = kc_gitops_git_error(&r, "reading %s", branch);
			goto done;
		}
		kc_plan_free(plan);
		plan = NULL;
		if ((rc = plan_on(&r, run, flows, opts, build_on, NULL, &plan)) != 0)
			goto done;
	} else {
		build_on = r.base;
		force = have_tip;
		if (have_tip && is_open(&r, &tip)) {
			/* our own open branch: rebuilt on the current default branch, keeping the
			 * run stamps of what it already proposed */
			kc_plan_free(plan);
			plan = NULL;
			if ((rc = plan_on(&r, run, flows, opts, build_on, &tip, &plan)) != 0)
				goto done;
		}
	}

	if ((rc = plan_diff(&r, plan, &out->diff)) != 0)
		goto done;
	if (opts->dry_run) {
		kc_buf_printf(&out->log, "dry run: %zu commit%s would go to %s%s (based on %s); nothing was written\n",
			      plan->ngroups, plan->ngroups == 1 ? "" : "s", branch, have_tip ? " (existing)" : " (new)",
			      r.base_ref);
		goto done;
	}

	/* 4. Commits, then the ref. */
	if (plan->ngroups > 0) {
		if ((rc = parse_author(&r, opts->author, &sig)) != 0)
			goto done;
		if ((rc = write_commits(&r, plan, sig, build_on, &head, &out->ncommits)) != 0)
			goto done;
	} else {
		head = tip;
	}
	if (have_tip && plan->ngroups > 0 && trees_equal(&r, &head, &tip)) {
		/* same content as the open branch: leave it exactly as it is */
		head = tip;
		out->ncommits = 0;
		force = 0;
	}
	out->changed = out->ncommits > 0;
	if (out->changed || !have_local || !git_oid_equal(&local, &head)) {
		/* the local ref follows: new, forward, or rebuilt (only our own commits) */
		if ((rc = move_ref(&r, branch, have_local ? &local : NULL, &head, opts->direct,
				   "kubecomply remediate")) != 0)
			goto done;
	}
	git_oid_tostr(out->head, sizeof(out->head), &head);
	if (out->changed)
		kc_buf_printf(&out->log, "%s %s with %zu commit%s (%s)\n", out->created ? "created" : "updated",
			      branch, out->ncommits, out->ncommits == 1 ? "" : "s", out->head);
	else
		kc_buf_printf(&out->log, "%s is up to date with run %" PRId64 "'s findings; no new commit\n", branch, run->id);

	/* 5. Push when origin does not have it yet. */
	if (opts->push) {
		if (have_remote && git_oid_equal(&remote, &head)) {
			out->pushed = 1;
		} else {
			int need_force = force && have_remote && git_graph_descendant_of(r.repo, &head, &remote) != 1;
			rc = push_branch(&r, branch, need_force, have_remote, have_remote ? &remote : NULL);
			if (rc) {
				kc_buf_printf(&out->log, "%s is committed in %s but was not pushed\n", branch,
					      r.cloned ? "a temporary clone (discarded)" : "the local repository");
				goto done;
			}
			out->pushed = 1;
			kc_buf_printf(&out->log, "pushed %s to %s%s\n", branch, out->remote_url ? out->remote_url : "origin",
				      need_force ? " (rebuilt on the current default branch)" : "");
		}
	}
done:
	out->plan = plan;
	if (build_on && build_on != r.base)
		git_commit_free(build_on);
	git_signature_free(sig);
	free(branch);
	kc_gitops_repo_close(&r);
	git_libgit2_shutdown();
	return rc;
}
