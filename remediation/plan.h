/* A remediation plan: what a stored run's findings change in a GitOps repository, as file
 * contents grouped by kind of fix (one commit each), with the evidence and the commit
 * messages that explain them. Building a plan reads the repository through a callback and
 * never writes anything: the gitops module turns a plan into commits, --dry-run into a diff.
 *
 * Findings acted on (status FAIL, object evidence):
 *   5.3.2 Namespace          -> <path>/<ns>/networkpolicy-default-deny.yaml
 *         + observed flows   -> <path>/<ns>/networkpolicy-observed-flows.yaml
 *   5.1.5 ServiceAccount     -> <path>/<ns>/serviceaccount-<name>.yaml
 *   5.2.1 Namespace          -> <path>/<ns>/namespace-pod-security.yaml
 * System namespaces (kube-system, kube-public, kube-node-lease) are never changed: a
 * default-deny or an enforced profile there can take the cluster down; the PR body says
 * they were left for a human.
 *
 * Idempotence: a file whose content only differs by the run id it was stamped with (in
 * the base tree, or in the open branch being rebuilt) keeps that stamp, so a later run
 * with the same findings plans nothing. */
#ifndef KC_PLAN_H
#define KC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "store/run.h"
#include "common/strbuf.h"
#include "remediation/flows.h"
#include "remediation/manifest.h"

enum kc_fix_kind {
	KC_FIX_DEFAULT_DENY,     /* 5.3.2 */
	KC_FIX_FLOWS,            /* 5.3.2, least privilege from observed connections */
	KC_FIX_SERVICE_ACCOUNT,  /* 5.1.5 */
	KC_FIX_POD_SECURITY,     /* 5.2.1 */
	KC_FIX_KIND_COUNT
};

/* Which tree a read looks at: BASE is the commit the plan will be committed on (the
 * default branch, or an open remediation branch); DEPLOYED is the default branch, what
 * Argo CD applies (decides the PSA stage and which namespaces kubecomply already manages);
 * PREVIOUS is the open remediation branch being rebuilt, if any: a file it already has
 * keeps the run id it was stamped with, so the rebuild of unchanged findings is identical. */
enum kc_plan_tree { KC_PLAN_BASE, KC_PLAN_DEPLOYED, KC_PLAN_PREVIOUS };
/* Or'ed into `which` by the renderer: a directory at path reads as absent instead of
 * being refused (paths the plan writes are still refused when they are directories). */
#define KC_PLAN_DIR_OK 0x10
/* Reads a repository-relative path: 0 with *out = NULL when absent; *out is freed by the
 * caller. A negative code aborts the plan. */
typedef int (*kc_plan_read_cb)(void *payload, enum kc_plan_tree which, const char *path,
			       char **out, size_t *len);

struct kc_plan_opts {
	const char *path;                 /* --path, validated by kc_plan_build */
	struct kc_netpol_opts netpol;
	const struct kc_flow_set *flows;  /* NULL: no least-privilege policies */
	kc_plan_read_cb read;             /* NULL: an empty repository */
	void *payload;
	const char *target;               /* "cluster:path", the Kubecomply-Target trailer; NULL: none */
	/* Files a reviewer reverted on the branch: never proposed again there. */
	char *const *suppress;
	size_t nsuppress;
	/* Namespaces to remediate although they look like infrastructure (kube-* but the
	 * three system namespaces, ingress/CNI/GitOps controllers, webhook backends, host
	 * network): listed explicitly by the user. */
	char *const *include_namespaces;
	size_t ninclude;
};
#define KC_PLAN_OPTS_INIT { NULL, KC_NETPOL_OPTS_INIT, NULL, NULL, NULL, NULL, NULL, 0, NULL, 0 }

struct kc_plan_file {
	char *path;          /* repository-relative */
	char *content;       /* new content */
	size_t len;
	char *old;           /* content before this group's commit, NULL when the file is new */
	size_t old_len;
};

struct kc_plan_group {
	enum kc_fix_kind kind;
	const char *checks;        /* "5.3.2" (static) */
	char **items;              /* "ns" or "ns/name", sorted */
	size_t nitems, items_cap;
	struct kc_plan_file *files;
	size_t nfiles, files_cap;
	struct kc_buf evidence;    /* markdown lines for the PR body */
	char *subject;             /* commit subject */
	char *message;             /* whole commit message, trailers included */
};

struct kc_plan {
	int64_t run_id;
	char *dir;                 /* --path without trailing '/' */
	struct kc_plan_group *groups; /* in commit order, only kinds that change something */
	size_t ngroups;
	char hash[9];              /* 8 hex of SHA-256 over every (path, content) */
	char findings[17];         /* 16 hex of SHA-256 over the findings acted on (kind, items):
				    * what a closed pull request is compared with */
	struct kc_buf notes;       /* markdown lines: what was left alone and why */
};

/* Builds the plan; KC_EUNSAFE (nothing planned) when a name that would become a path is
 * not a DNS-1123 label, KC_EINVAL for a bad --path or a kustomization that cannot be
 * edited. A plan with ngroups == 0 means nothing to fix. */
int kc_plan_build(const struct kc_run *run, const struct kc_plan_opts *opts, struct kc_plan **out);
void kc_plan_free(struct kc_plan *plan);

/* Pull-request title and markdown body: findings, evidence, files, how to roll back, and a
 * hidden marker with plan->findings. With max > 0 the body fits in max bytes: the
 * summary stays, the evidence tables and notes are cut with a note saying so. */
void kc_plan_pr_text(const struct kc_plan *plan, const struct kc_run *run, const char *branch,
		     const char *base, size_t max, struct kc_buf *title, struct kc_buf *body);
/* "kubecomply-findings: " + plan->findings, inside an HTML comment of the body */
#define KC_PLAN_FINDINGS_MARKER "kubecomply-findings: "

const char *kc_fix_kind_name(enum kc_fix_kind k);  /* "default-deny", "observed-flows", ... */

/* Trailer every kubecomply commit carries; a branch whose commits all have it was made by us. */
#define KC_PLAN_TRAILER "Kubecomply-Run"
/* Which target (cluster:path) a commit belongs to. */
#define KC_PLAN_TARGET_TRAILER "Kubecomply-Target"

#endif
