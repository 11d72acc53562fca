/* The remediation flow over a repository: plan, pick the branch, write commits, move the
 * ref, push. See gitops.h for the rules this enforces. */
#include <git2.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "gitops/gitops.h"
#include "common/redact.h"
#include "gitops/repo.h"
#include "remediation/kustomize.h"

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
	kc_buf_clear(&r->diff);
	kc_buf_clear(&r->log);
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
	int dir_ok = ((int)which & KC_PLAN_DIR_OK) != 0;
	which = (enum kc_plan_tree)((int)which & ~KC_PLAN_DIR_OK);
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
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE && dir_ok)
		goto done;
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

struct branch_state;
static void suppress_from(const struct branch_state *bs, struct kc_plan_opts *po);
static int plan_on(struct kc_gitops_repo *r, const struct kc_run *run, const struct kc_flow_set *flows,
		   const struct kc_gitops_opts *opts, const char *target, git_commit *base,
		   const git_oid *previous, const struct branch_state *bs, struct kc_plan **out)
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
	po.target = target;
	po.include_namespaces = opts->include_namespaces;
	po.ninclude = opts->ninclude;
	suppress_from(bs, &po);
	rc = kc_plan_build(run, &po, out);
done:
	git_tree_free(t.base);
	git_tree_free(t.deployed);
	git_tree_free(t.previous);
	git_commit_free(prev);
	return rc;
}

/* A --path that does not exist is a typo more often than a new cluster. */
static int check_path(struct kc_gitops_repo *r, const struct kc_gitops_opts *opts)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int rc = 0;
	const char *p = opts->path;
	size_t n = strlen(p);
	while (n && p[n - 1] == '/')
		n--;
	if (n == 0 || (n == 1 && p[0] == '.'))
		return 0;
	char *dir = kc_strndup(p, n);
	if (git_commit_tree(&tree, r->base) < 0) {
		rc = kc_gitops_git_error(r, "reading %s", r->base_ref);
	} else if (git_tree_entry_bypath(&e, tree, dir) < 0) {
		git_error_clear();
		if (!opts->create_path)
			rc = kc_error_set(KC_EINVAL, "--path %s does not exist on %s of %s (pass --create-path for a new directory)",
					  dir, r->default_branch, r->url_shown);
	} else if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		rc = kc_error_set(KC_EINVAL, "--path %s is a file on %s, not a directory", dir, r->default_branch);
	}
	git_tree_entry_free(e);
	git_tree_free(tree);
	free(dir);
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

char *kc_gitops_target(const char *cluster, const char *dir)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s:%s", cluster && *cluster ? cluster : "-", dir && *dir ? dir : ".");
	return kc_buf_detach(&b);
}

/* Readable and unique: the slug keeps [a-z0-9.-] of cluster and path, the hash of the
 * exact target keeps "a/b" and "a-b" (or two long paths cut alike) apart. */
char *kc_gitops_branch_name(const char *cluster, const char *dir)
{
	char *target = kc_gitops_target(cluster, dir);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct kc_buf b = KC_BUF_INIT;
	EVP_Digest(target, strlen(target), md, &mdlen, EVP_sha256(), NULL);
	kc_buf_puts(&b, branch_prefix);
	size_t start = b.len;
	for (const char *p = target; *p && b.len - start < 60; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		int keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.';
		if (keep)
			kc_buf_putc(&b, c);
		else if (b.len > start && b.ptr[b.len - 1] != '-')
			kc_buf_putc(&b, '-');
	}
	while (b.len > start && (b.ptr[b.len - 1] == '-' || b.ptr[b.len - 1] == '.'))
		b.ptr[--b.len] = '\0';
	kc_buf_printf(&b, "-%02x%02x%02x", md[0], md[1], md[2]);
	free(target);
	return kc_buf_detach(&b);
}

enum ownership {
	OWN_EMPTY,        /* no commit between the default branch and the tip */
	OWN_OURS,         /* every commit is ours for this target */
	OWN_REVERTED,     /* ours plus reverts of ours */
	OWN_FOREIGN,      /* someone else wrote to it */
};

struct branch_state {
	enum ownership own;
	char who[256];            /* the first foreign commit, for the message */
	char **reverted;          /* files of reverted commits (kustomizations excluded) */
	size_t nreverted, cap;
};

static void suppress_from(const struct branch_state *bs, struct kc_plan_opts *po)
{
	po->suppress = bs ? bs->reverted : NULL;
	po->nsuppress = bs ? bs->nreverted : 0;
}

static void branch_state_clear(struct branch_state *bs)
{
	for (size_t i = 0; i < bs->nreverted; i++)
		free(bs->reverted[i]);
	free(bs->reverted);
	memset(bs, 0, sizeof(*bs));
}

static int commit_is_ours(git_commit *c, const char *target)
{
	const char *msg = git_commit_message(c);
	char want[600];
	snprintf(want, sizeof(want), "\n" KC_PLAN_TARGET_TRAILER ": %s\n", target);
	return msg && strstr(msg, "\n" KC_PLAN_TRAILER ": ") && strstr(msg, want);
}

static int is_kustomization(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < 3; i++)
		if (strcmp(base, kc_kustomize_names[i]) == 0)
			return 1;
	return 0;
}

/* Files a commit changed against its first parent. */
static void reverted_files(struct kc_gitops_repo *r, const git_oid *id, struct branch_state *bs)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *t = NULL, *pt = NULL;
	git_diff *diff = NULL;
	if (git_commit_lookup(&c, r->repo, id) == 0 && git_commit_parent(&parent, c, 0) == 0 &&
	    git_commit_tree(&t, c) == 0 && git_commit_tree(&pt, parent) == 0 &&
	    git_diff_tree_to_tree(&diff, r->repo, pt, t, NULL) == 0) {
		for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
			const char *path = git_diff_get_delta(diff, i)->new_file.path;
			if (!path || is_kustomization(path))
				continue;
			bs->reverted = kc_array_grow(bs->reverted, &bs->cap, bs->nreverted + 1, sizeof(*bs->reverted));
			bs->reverted[bs->nreverted++] = kc_strdup(path);
		}
	}
	git_error_clear();
	git_diff_free(diff);
	git_tree_free(t);
	git_tree_free(pt);
	git_commit_free(parent);
	git_commit_free(c);
}

/* Who wrote the commits between the default branch and tip. A revert is recognised by
 * git's own message ("This reverts commit <40 hex>.") naming one of our commits there. */
static int classify_branch(struct kc_gitops_repo *r, const git_oid *tip, const char *target, struct branch_state *bs)
{
	git_revwalk *walk = NULL;
	git_oid id, *ours = NULL;
	size_t nours = 0, ours_cap = 0, nall = 0;
	git_oid *reverts = NULL;
	size_t nrev = 0, rev_cap = 0;
	int rc = 0;
	memset(bs, 0, sizeof(*bs));
	if (git_revwalk_new(&walk, r->repo) < 0 || git_revwalk_push(walk, tip) < 0 ||
	    git_revwalk_hide(walk, git_commit_id(r->base)) < 0) {
		rc = kc_gitops_git_error(r, "walking the remediation branch");
		goto done;
	}
	while (git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, r->repo, &id) < 0) {
			rc = kc_gitops_git_error(r, "reading the remediation branch");
			goto done;
		}
		nall++;
		if (commit_is_ours(c, target) && git_commit_parentcount(c) == 1) {
			ours = kc_array_grow(ours, &ours_cap, nours + 1, sizeof(*ours));
			ours[nours++] = id;
		} else {
			const char *msg = git_commit_message(c), *rv = msg ? strstr(msg, "This reverts commit ") : NULL;
			git_oid target_id;
			if (rv && git_commit_parentcount(c) == 1 && git_oid_fromstrn(&target_id, rv + 20, GIT_OID_HEXSZ) == 0) {
				reverts = kc_array_grow(reverts, &rev_cap, nrev + 1, sizeof(*reverts));
				reverts[nrev++] = target_id;
			} else if (!bs->who[0]) {
				char hex[10];
				git_oid_tostr(hex, sizeof(hex), &id);
				const git_signature *a = git_commit_author(c);
				snprintf(bs->who, sizeof(bs->who), "%s by %s", hex, a && a->name ? a->name : "?");
			}
		}
		git_commit_free(c);
	}
	/* a revert of anything but our own commit on this branch is someone else's work */
	for (size_t i = 0; i < nrev && !bs->who[0]; i++) {
		int known = 0;
		for (size_t j = 0; j < nours && !known; j++)
			known = git_oid_equal(&reverts[i], &ours[j]);
		if (!known) {
			char hex[10];
			git_oid_tostr(hex, sizeof(hex), &reverts[i]);
			snprintf(bs->who, sizeof(bs->who), "a revert of %s, which kubecomply did not write", hex);
		} else {
			reverted_files(r, &reverts[i], bs);
		}
	}
	bs->own = nall == 0 ? OWN_EMPTY : bs->who[0] || nours == 0 ? OWN_FOREIGN : nrev ? OWN_REVERTED : OWN_OURS;
done:
	git_error_clear();
	free(ours);
	free(reverts);
	git_revwalk_free(walk);
	return rc;
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
	struct kc_buf remote_says; /* the server's sideband text (hook output), bounded */
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

/* What the server printed (a pre-receive hook's reason for refusing) */
static int sideband(const char *str, int len, void *payload)
{
	struct push_state *st = ((struct push_payload *)payload)->state;
	if (len > 0 && st->remote_says.len < 1024)
		kc_buf_add(&st->remote_says, str, (size_t)len < 1024 - st->remote_says.len ? (size_t)len : 1024 - st->remote_says.len);
	return 0;
}

static int push_branch(struct kc_gitops_repo *r, const char *name, int force, int have_expected,
		       const git_oid *expected)
{
	struct push_state st = { have_expected, { { 0 } }, NULL, KC_BUF_INIT };
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
	po.callbacks.sideband_progress = sideband;
	/* forced pushes only replace what we fetched and checked is ours */
	if (force)
		po.callbacks.push_negotiation = lease_check;
	po.callbacks.payload = &pp;
	if (git_remote_push(r->remote, &arr, &po) < 0)
		rc = kc_gitops_git_error(r, "pushing %s to %s", name, r->url_shown);
	else if (st.rejected) {
		/* one line of what the server said, without control bytes or credentials */
		char *said = NULL;
		if (st.remote_says.len) {
			for (size_t i = 0; i < st.remote_says.len; i++)
				if ((unsigned char)st.remote_says.ptr[i] < 0x20)
					st.remote_says.ptr[i] = ' ';
			said = kc_redact_text(st.remote_says.ptr);
		}
		rc = kc_error_set(KC_EGENERIC, "pushing %s to %s: rejected (%s)%s%s", name, r->url_shown, st.rejected,
				  said ? "; the server said: " : "", said ? said : "");
		free(said);
	}
	free(st.rejected);
	kc_buf_clear(&st.remote_says);
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
	char *branch = NULL, *target = NULL;
	struct branch_state bs;
	int rc, force = 0;
	git_oid tip, local, remote, head;
	int have_tip = 0, have_local = 0, have_remote = 0;

	memset(&r, 0, sizeof(r));
	memset(&bs, 0, sizeof(bs));
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

	target = kc_gitops_target(run->cluster, opts->path);
	if ((rc = check_path(&r, opts)) != 0)
		goto done;

	/* 1. What does the default branch still lack? Nothing: no branch at all. */
	if ((rc = plan_on(&r, run, flows, opts, target, r.base, NULL, NULL, &plan)) != 0)
		goto done;
	if (plan->ngroups == 0) {
		kc_buf_printf(&out->log, "nothing to fix: %s already has every remediation for run %" PRId64 "\n",
			      r.default_branch, run->id);
		goto done;
	}

	/* 2. Which branch: the default one (--direct), --branch, or the target's own. */
	if (opts->branch)
		branch = kc_strdup(opts->branch);
	else if (opts->direct)
		branch = kc_strdup(r.default_branch);
	else
		branch = kc_gitops_branch_name(run->cluster, plan->dir);
	have_tip = branch_tip(&r, branch, &tip, &have_local, &local, &have_remote, &remote) == 0;
	out->branch = kc_strdup(branch);
	out->created = !have_tip;
	if (have_tip && is_open(&r, &tip) && (rc = classify_branch(&r, &tip, target, &bs)) != 0)
		goto done;
	else if (have_tip && !is_open(&r, &tip))
		bs.own = OWN_EMPTY;
	int is_default = strcmp(branch, r.default_branch) == 0;
	if (opts->branch && !opts->direct &&
	    (is_default || (have_tip && bs.own != OWN_OURS && bs.own != OWN_REVERTED))) {
		rc = kc_error_set(KC_EINVAL, "--branch %s: %s; kubecomply only writes branches it created "
				  "(pass --direct to commit on top of it anyway)", branch,
				  is_default ? "that is the default branch" :
				  bs.own == OWN_EMPTY ? "it exists and has no kubecomply commit" : "it has commits kubecomply did not write");
		goto done;
	}

	/* 3. What to build on. */
	if (opts->direct) {
		/* on top of what is there, never rewriting */
		if (is_default && have_local && !git_oid_equal(&local, git_commit_id(r.base)) &&
		    git_graph_descendant_of(r.repo, git_commit_id(r.base), &local) != 1) {
			rc = kc_error_set(KC_EINVAL, "local %s has commits that origin does not; push or drop them first", branch);
			goto done;
		}
		if (is_default || !have_tip) {
			build_on = r.base;
		} else {
			if (git_commit_lookup(&build_on, r.repo, &tip) < 0) {
				rc = kc_gitops_git_error(&r, "reading %s", branch);
				goto done;
			}
			kc_plan_free(plan);
			plan = NULL;
			if ((rc = plan_on(&r, run, flows, opts, target, build_on, NULL, NULL, &plan)) != 0)
				goto done;
		}
	} else if (have_tip && bs.own == OWN_FOREIGN && !opts->rebuild) {
		kc_buf_printf(&out->log, "%s has commits kubecomply did not write (%s): kubecomply stops updating it. "
			      "Merge or close it, or pass --rebuild to start it over from %s.\n",
			      branch, bs.who, r.default_branch);
		out->stopped = 1;
		goto done;
	} else if (have_tip && bs.own == OWN_REVERTED && !opts->rebuild) {
		/* a reviewer reverted some fixes: keep their reverts, add on top, never rewrite */
		if (git_commit_lookup(&build_on, r.repo, &tip) < 0) {
			rc = kc_gitops_git_error(&r, "reading %s", branch);
			goto done;
		}
		kc_plan_free(plan);
		plan = NULL;
		if ((rc = plan_on(&r, run, flows, opts, target, build_on, NULL, &bs, &plan)) != 0)
			goto done;
	} else {
		build_on = r.base;
		force = have_tip;
		if (have_tip && bs.own == OWN_OURS) {
			/* our own open branch: rebuilt on the current default branch, keeping the
			 * run stamps of what it already proposed */
			kc_plan_free(plan);
			plan = NULL;
			if ((rc = plan_on(&r, run, flows, opts, target, build_on, &tip, NULL, &plan)) != 0)
				goto done;
		}
		if (have_tip && bs.own == OWN_FOREIGN)
			kc_buf_printf(&out->log, "--rebuild: %s starts over from %s; the commits by others (%s) are dropped from it\n",
				      branch, r.default_branch, bs.who);
	}
	if (plan->ngroups > 0 && opts->approve) {
		struct kc_buf why = KC_BUF_INIT;
		int a = opts->approve(opts->approve_payload, plan, branch, r.default_branch, &why);
		if (a != 0) {
			if (a > 0) {
				kc_buf_add(&out->log, why.ptr, why.len);
				out->stopped = 1;
			}
			kc_buf_clear(&why);
			rc = a < 0 ? a : 0;
			goto done;
		}
		kc_buf_clear(&why);
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
	free(target);
	branch_state_clear(&bs);
	kc_gitops_repo_close(&r);
	git_libgit2_shutdown();
	return rc;
}
