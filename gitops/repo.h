/* Semi-private to gitops/: the repository a remediation works on. */
#ifndef KC_GITOPS_REPO_H
#define KC_GITOPS_REPO_H

#include <git2.h>

#include "gitops/gitops.h"

struct kc_gitops_repo {
	git_repository *repo;
	git_remote *remote;      /* origin, NULL when the repository has none */
	git_commit *base;        /* tip of the default branch (fetched) */
	char *default_branch;    /* "main" */
	char *base_ref;          /* "refs/remotes/origin/main" or "refs/heads/main" */
	char *tmpdir;            /* the clone of a URL, removed on close */
	char *url_shown;         /* --repo without credentials, for messages */
	int cloned;
	struct kc_git_cred *cred;
};

/* Opens (or clones a URL bare into a temporary directory under workdir) and fetches
 * origin unless dry_run on a local repository. r must be closed even on failure. */
int kc_gitops_repo_open(struct kc_gitops_repo *r, const char *repo, const char *workdir, int dry_run,
			struct kc_git_cred *cred);
void kc_gitops_repo_close(struct kc_gitops_repo *r);
/* Callbacks with the credential helper for fetch/push options. */
void kc_gitops_callbacks(struct kc_gitops_repo *r, git_remote_callbacks *cb);
/* Sets the kc error from libgit2's last error, masking credentials; returns KC_EGENERIC. */
int kc_gitops_git_error(struct kc_gitops_repo *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* URL without user:password@; caller frees. */
char *kc_gitops_url_for_humans(const char *url);

#endif
