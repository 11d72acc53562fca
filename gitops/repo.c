/* Getting an up-to-date repository: open a local one or clone a URL into a temporary
 * directory, find origin's default branch and fetch it. */
#include "gitops/repo.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/redact.h"
#include "common/strbuf.h"

int kc_gitops_is_url(const char *repo)
{
	if (strstr(repo, "://"))
		return 1;
	/* scp-like "git@host:org/repo.git": a ':' before any '/' */
	const char *colon = strchr(repo, ':'), *slash = strchr(repo, '/');
	return colon && colon != repo && (!slash || colon < slash);
}

/* "https://user:secret@host/x" -> "https://host/x": URLs reach messages and logs. */
char *kc_gitops_url_for_humans(const char *url)
{
	struct kc_buf b = KC_BUF_INIT;
	const char *scheme = url ? strstr(url, "://") : NULL;
	if (!url)
		return NULL;
	if (scheme) {
		const char *host = scheme + 3, *at = strchr(host, '@'), *slash = strchr(host, '/');
		if (at && (!slash || at < slash)) {
			kc_buf_add(&b, url, (size_t)(host - url));
			kc_buf_puts(&b, at + 1);
			return kc_buf_detach(&b);
		}
	}
	kc_buf_puts(&b, url);
	return kc_buf_detach(&b);
}

int kc_gitops_git_error(struct kc_gitops_repo *r, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	struct kc_buf b = KC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	kc_buf_printf(&b, ": %s", e && e->message ? e->message : "unknown libgit2 error");
	/* libgit2 messages may quote URLs with credentials in them, or echo what a server said */
	char *masked = kc_redact_text(b.ptr);
	if (r && r->cred && r->cred->token && *r->cred->token) {
		char *p;
		while ((p = strstr(masked, r->cred->token)) != NULL)
			memset(p, '*', strlen(r->cred->token));
	}
	char *clean = kc_gitops_url_for_humans(masked);
	int rc = kc_error_set(KC_EGENERIC, "%s", clean);
	free(clean);
	free(masked);
	kc_buf_clear(&b);
	return rc;
}

static void callbacks_init(struct kc_gitops_repo *r, git_remote_callbacks *cb)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = kc_git_cred_acquire;
	cb->payload = r->cred;
	/* the retry limit is per network operation, not per run */
	r->cred->attempts = 0;
}

void kc_gitops_callbacks(struct kc_gitops_repo *r, git_remote_callbacks *cb)
{
	callbacks_init(r, cb);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* Which branch origin's HEAD names, asked over the wire. */
static int remote_default_branch(struct kc_gitops_repo *r, char **out)
{
	git_remote_callbacks cb;
	git_buf buf = { 0 };
	int rc;
	callbacks_init(r, &cb);
	if (git_remote_connect(r->remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL) < 0)
		return kc_gitops_git_error(r, "cannot connect to %s", r->url_shown);
	rc = git_remote_default_branch(&buf, r->remote);
	git_remote_disconnect(r->remote);
	if (rc < 0)
		return kc_gitops_git_error(r, "cannot find the default branch of %s", r->url_shown);
	const char *name = buf.ptr;
	if (strncmp(name, "refs/heads/", 11) == 0)
		name += 11;
	*out = kc_strdup(name);
	git_buf_dispose(&buf);
	return 0;
}

static int head_branch(struct kc_gitops_repo *r, char **out)
{
	git_reference *head = NULL;
	int rc = git_repository_head(&head, r->repo);
	if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND)
		return kc_error_set(KC_EINVAL, "%s has no commits yet: the remediation branch needs a base", r->url_shown);
	if (rc < 0)
		return kc_gitops_git_error(r, "cannot read HEAD of %s", r->url_shown);
	if (!git_reference_is_branch(head)) {
		git_reference_free(head);
		return kc_error_set(KC_EINVAL, "HEAD of %s is detached: cannot tell its default branch", r->url_shown);
	}
	*out = kc_strdup(git_reference_shorthand(head));
	git_reference_free(head);
	return 0;
}

/* Without fetching (dry runs on a local repository): what origin/HEAD was last known as. */
static int cached_default_branch(struct kc_gitops_repo *r, char **out)
{
	git_reference *ref = NULL;
	if (git_reference_lookup(&ref, r->repo, "refs/remotes/origin/HEAD") == 0) {
		const char *t = git_reference_symbolic_target(ref);
		if (t && strncmp(t, "refs/remotes/origin/", 20) == 0) {
			*out = kc_strdup(t + 20);
			git_reference_free(ref);
			return 0;
		}
		git_reference_free(ref);
	}
	static const char *const guesses[] = { "main", "master" };
	for (size_t i = 0; i < 2; i++) {
		char name[64];
		snprintf(name, sizeof(name), "refs/remotes/origin/%s", guesses[i]);
		if (git_reference_lookup(&ref, r->repo, name) == 0) {
			git_reference_free(ref);
			*out = kc_strdup(guesses[i]);
			return 0;
		}
	}
	return head_branch(r, out);
}

int kc_gitops_repo_open(struct kc_gitops_repo *r, const char *repo, const char *workdir, int dry_run,
			struct kc_git_cred *cred)
{
	int rc = 0;
	memset(r, 0, sizeof(*r));
	r->cred = cred;
	r->url_shown = kc_gitops_url_for_humans(repo);

	if (kc_gitops_is_url(repo)) {
		const char *tmp = workdir ? workdir : getenv("TMPDIR");
		struct kc_buf dir = KC_BUF_INIT;
		kc_buf_printf(&dir, "%s/kubecomply-remediate-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir.ptr)) {
			rc = kc_error_set_errno(errno, "cannot create a work directory under %s", tmp && *tmp ? tmp : "/tmp");
			kc_buf_clear(&dir);
			return rc;
		}
		r->tmpdir = kc_buf_detach(&dir);
		git_clone_options co;
		git_clone_options_init(&co, GIT_CLONE_OPTIONS_VERSION);
		co.bare = 1; /* nothing is ever checked out: commits are built from trees */
		callbacks_init(r, &co.fetch_opts.callbacks);
		if (git_clone(&r->repo, repo, r->tmpdir, &co) < 0)
			return kc_gitops_git_error(r, "cannot clone %s", r->url_shown);
		r->cloned = 1;
	} else if (git_repository_open_ext(&r->repo, repo, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		return kc_gitops_git_error(r, "cannot open the repository %s", r->url_shown);
	}

	rc = git_remote_lookup(&r->remote, r->repo, "origin");
	if (rc == GIT_ENOTFOUND) {
		r->remote = NULL;
		git_error_clear();
	} else if (rc < 0) {
		return kc_gitops_git_error(r, "cannot read remote origin of %s", r->url_shown);
	}

	if (!r->remote) {
		if ((rc = head_branch(r, &r->default_branch)) != 0)
			return rc;
		r->base_ref = kc_strdup("refs/heads/");
	} else if (r->cloned) {
		/* a fresh clone's HEAD is origin's default branch, and everything is fetched */
		if ((rc = head_branch(r, &r->default_branch)) != 0)
			return rc;
		r->base_ref = kc_strdup("refs/remotes/origin/");
	} else if (dry_run) {
		if ((rc = cached_default_branch(r, &r->default_branch)) != 0)
			return rc;
		r->base_ref = kc_strdup("refs/remotes/origin/");
	} else {
		if ((rc = remote_default_branch(r, &r->default_branch)) != 0)
			return rc;
		git_fetch_options fo;
		git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
		callbacks_init(r, &fo.callbacks);
		fo.prune = GIT_FETCH_PRUNE; /* a deleted remediation branch must not look open */
		if (git_remote_fetch(r->remote, NULL, &fo, "kubecomply remediate: fetch") < 0)
			return kc_gitops_git_error(r, "cannot fetch %s", r->url_shown);
		r->base_ref = kc_strdup("refs/remotes/origin/");
	}
	struct kc_buf ref = KC_BUF_INIT;
	kc_buf_printf(&ref, "%s%s", r->base_ref, r->default_branch);
	free(r->base_ref);
	r->base_ref = kc_buf_detach(&ref);

	git_oid oid;
	if (git_reference_name_to_id(&oid, r->repo, r->base_ref) < 0)
		return kc_gitops_git_error(r, "default branch %s not found in %s", r->default_branch, r->url_shown);
	if (git_commit_lookup(&r->base, r->repo, &oid) < 0)
		return kc_gitops_git_error(r, "cannot read %s", r->base_ref);
	return 0;
}

void kc_gitops_repo_close(struct kc_gitops_repo *r)
{
	git_commit_free(r->base);
	git_remote_free(r->remote);
	git_repository_free(r->repo);
	if (r->tmpdir) {
		nftw(r->tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(r->tmpdir);
	}
	free(r->default_branch);
	free(r->base_ref);
	free(r->url_shown);
	memset(r, 0, sizeof(*r));
}
