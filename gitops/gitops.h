/* Committing a remediation plan to a GitOps repository with libgit2.
 *
 * The repository is never checked out: commits are built from trees in the object
 * database (blobs -> git_tree_create_updated -> git_commit_create without a ref), and a
 * branch ref is moved only after every commit of the run is written, with a
 * compare-and-swap on its old value. A failure therefore leaves at most unreferenced
 * objects, never a half-made branch, and never touches a working tree.
 *
 * Branches: one branch (and one pull request) per target, the repository path plus the
 * cluster: kubecomply/remediate-<cluster>-<path slug>-<hash of both>. A run for another
 * --path or cluster never touches it. Ownership follows Renovate's manners:
 *   - every commit on it between the default branch and its tip carries our trailers
 *     (Kubecomply-Run and Kubecomply-Target naming this target): rebuilt on the current
 *     default branch and force-pushed with a lease;
 *   - the only other commits are reverts ("This reverts commit X") of our commits on the
 *     branch: the reviewer said no to those fixes; new commits go on top (fast-forward)
 *     and the reverted files are not proposed again on that branch;
 *   - anything else (a person pushed, merged the default branch in, amended): kubecomply
 *     stops updating the branch and says so; `rebuild` starts it over from the default
 *     branch.
 * `--branch NAME` is refused when NAME is the default branch or an existing branch whose
 * commits are not all ours, unless `direct` (then commits go on top of it, never
 * rewriting). The default branch itself is only written with `direct`. */
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
	int rebuild;             /* start the target's branch over even when a person pushed to it */
	int create_path;         /* --path may be absent from the repository (a new cluster directory) */
	/* Asked once the plan and branch are known and before anything is written: returns 0
	 * to go on, 1 to stop without writing (reason appended to why), negative on error.
	 * The CLI uses it to honour a pull request closed without merging. NULL: go on. */
	int (*approve)(void *payload, const struct kc_plan *plan, const char *branch, const char *base,
		       struct kc_buf *why);
	void *approve_payload;
	const char *author;      /* "Name <mail>"; NULL: the repository's user.name/user.email */
	const char *workdir;     /* parent of the clone made for a URL; NULL: $TMPDIR or /tmp */
	struct kc_netpol_opts netpol;
	char *const *include_namespaces;  /* remediate these although they look like infrastructure */
	size_t ninclude;
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
	int stopped;             /* the branch was left alone (a person pushed, a PR was closed); log says why */
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

/* The target's branch name ("kubecomply/remediate-prod-clusters-prod-1a2b3c") and its
 * trailer value ("prod:clusters/prod"); callers free both. cluster may be NULL. */
char *kc_gitops_branch_name(const char *cluster, const char *dir);
char *kc_gitops_target(const char *cluster, const char *dir);

/* 1 when repo names a remote (scheme://..., user@host:path) rather than a local path. */
int kc_gitops_is_url(const char *repo);

#endif
