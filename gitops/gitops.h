/* Committing a remediation plan to a GitOps repository with libgit2.
 *
 * The repository is never checked out: commits are built from trees in the object
 * database (blobs -> git_tree_create_updated -> git_commit_create without a ref), and a
 * branch ref is moved only after every commit of the run is written, with a
 * compare-and-swap on its old value. A failure therefore leaves at most unreferenced
 * objects, never a half-made branch, and never touches a working tree.
 *
 * Branches: new work goes to kubecomply/remediate-<run>-<hash> made from the up-to-date
 * default branch. An open remediation branch (not merged into the default branch) is
 * reused instead of creating another: when every commit on it is kubecomply's (they carry
 * the Kubecomply-Run trailer) it is rebuilt on the current default branch and
 * force-pushed; when a human added commits, the new commits go on top and the push is a
 * fast-forward. The default branch itself is only written with `direct`. */
#ifndef KC_GITOPS_H
#define KC_GITOPS_H

#include <stddef.h>

#include "store/run.h"
#include "common/strbuf.h"
#include "remediation/flows.h"
#include "remediation/manifest.h"
#include "remediation/plan.h"

/* Credentials for fetch and push. Secrets are only handed to libgit2, never copied into
 * messages. With nothing set, ssh URLs use ssh-agent. */
struct kc_git_cred {
	const char *ssh_key;        /* private key file ($KUBECOMPLY_SSH_KEY) */
	const char *ssh_pubkey;     /* NULL: libgit2 derives it */
	const char *ssh_passphrase; /* NULL: none */
	const char *token;          /* HTTPS token (read by the caller from a file or env) */
	const char *user;           /* HTTPS user name for the token; NULL: from the URL, else "x-access-token" */
	int attempts;               /* internal: stops libgit2 retrying bad credentials forever */
};

struct kc_gitops_opts {
	const char *repo;        /* local path (working copy or bare) or URL */
	const char *path;        /* --path inside the repository */
	const char *branch;      /* --branch: fixed branch name instead of kubecomply/remediate-* */
	int push;                /* push the branch to origin */
	int direct;              /* commit on the default branch itself */
	int dry_run;             /* plan and diff only: no fetch into a local repo, no object, no ref */
	const char *author;      /* "Name <mail>"; NULL: the repository's user.name/user.email */
	const char *workdir;     /* parent of the clone made for a URL; NULL: $TMPDIR or /tmp */
	struct kc_netpol_opts netpol;
	struct kc_git_cred cred;
};

struct kc_gitops_result {
	struct kc_plan *plan;    /* the plan committed (or to commit, for dry runs) */
	char *branch;            /* short name written to, NULL when nothing to fix */
	char *base_branch;       /* default branch short name, "main" */
	char *remote_url;        /* origin's URL, NULL without a remote */
	char head[41];           /* branch tip after the run (hex), "" when none */
	int created;             /* the branch did not exist before */
	int changed;             /* commits were written this run */
	int pushed;              /* the remote branch now equals head */
	size_t ncommits;
	struct kc_buf diff;      /* unified diff of the plan against its base (always filled) */
	struct kc_buf log;       /* what happened, one line each, for the command to print */
};

void kc_gitops_result_init(struct kc_gitops_result *r);
void kc_gitops_result_clear(struct kc_gitops_result *r);

/* Plans the fixes of run (flows may be NULL) against the repository and commits/pushes
 * them as opts says. Returns 0 (also when there was nothing to fix: out->branch NULL) or
 * a negative code with kc_error_last() saying why; out->log tells what was done before a
 * failure (for instance "committed locally, push failed"). */
int kc_gitops_remediate(const struct kc_run *run, const struct kc_flow_set *flows,
			const struct kc_gitops_opts *opts, struct kc_gitops_result *out);

/* libgit2 credential callback over a struct kc_git_cred payload. */
struct git_credential;
int kc_git_cred_acquire(struct git_credential **out, const char *url, const char *username_from_url,
			unsigned int allowed_types, void *payload);

/* 1 when repo names a remote (scheme://..., user@host:path) rather than a local path. */
int kc_gitops_is_url(const char *repo);

#endif
