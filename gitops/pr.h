/* Opening the pull/merge request for a pushed remediation branch through the forge's
 * REST API (libcurl). --pr-url is the repository's API URL:
 *   github  https://api.github.com/repos/OWNER/REPO        POST <url>/pulls
 *           (GitHub Enterprise: https://HOST/api/v3/repos/OWNER/REPO)
 *   gitlab  https://HOST/api/v4/projects/GROUP%2FPROJECT    POST <url>/merge_requests
 *           (or /projects/<numeric id>)
 *   gitea   https://HOST/api/v1/repos/OWNER/REPO            POST <url>/pulls
 * The token goes only into the request header (Authorization: Bearer / PRIVATE-TOKEN /
 * Authorization: token) and never into a message; what a forge answers is shown scrubbed
 * of credentials. Like Renovate and Dependabot, one request per branch stays true: when it
 * is open, its title, body and labels are updated in place (PATCH/PUT) instead of opening
 * another; a request closed without merging is reported so that the caller can leave its
 * findings alone until they change. */
#ifndef KC_PR_H
#define KC_PR_H

#include "common/strbuf.h"

enum kc_pr_kind { KC_PR_GITHUB, KC_PR_GITLAB, KC_PR_GITEA };

struct kc_pr_opts {
	enum kc_pr_kind kind;
	const char *api_url;     /* --pr-url */
	const char *token;       /* from --token-file */
	const char *ca_file;     /* extra CA bundle ($KUBECOMPLY_CA_FILE); NULL: the system's */
	long timeout_s;          /* whole request; 0: 60 s */
	char *const *labels;     /* --pr-label (default "compliance"); NULL/0: none */
	size_t nlabels;
	int draft;               /* --pr-draft: GitHub's draft flag, GitLab's "Draft: ", Gitea's "WIP: " */
};

/* The body limit of the strictest forge (GitHub's pull-request body, in characters). */
#define KC_PR_BODY_MAX 65536

enum kc_pr_state { KC_PR_NONE, KC_PR_OPEN, KC_PR_CLOSED, KC_PR_MERGED };

struct kc_pr_info {
	enum kc_pr_state state;
	long number;             /* GitHub/Gitea number, GitLab iid */
	char *url;               /* web URL, may be NULL */
	char *body;              /* its current body, may be NULL */
};
void kc_pr_info_clear(struct kc_pr_info *i);

/* 1 when https:// (anything else would carry the token in clear); 0 with a message. */
int kc_pr_url_ok(const char *api_url);

/* The newest request from head into base, whatever its state (KC_PR_NONE: none). */
int kc_pr_find(const struct kc_pr_opts *o, const char *head, const char *base, struct kc_pr_info *out);

int kc_pr_kind_parse(const char *s, enum kc_pr_kind *out);   /* 0 or KC_EINVAL */
const char *kc_pr_kind_name(enum kc_pr_kind k);

/* Makes the open request from head into base say title and body: updates the open one in
 * place (*existed = 1) or creates it, then sets the labels. *url_out (may be NULL; caller
 * frees) is its web URL when the forge returned one. A body over KC_PR_BODY_MAX is refused
 * (the caller fits it first: kc_plan_pr_text does). */
int kc_pr_open(const struct kc_pr_opts *o, const char *head, const char *base, const char *title,
	       const char *body, char **url_out, int *existed);

/* How to open it by hand: a compare/new-request link derived from --pr-url when possible,
 * then the title and body to paste. */
void kc_pr_manual(struct kc_buf *out, const struct kc_pr_opts *o, const char *head, const char *base,
		  const char *title, const char *body);

/* Reads a token file: its first line without surrounding blanks (a mounted Kubernetes
 * Secret is world-readable inside the pod by default, so modes are not judged). */
int kc_pr_read_token(const char *path, char **out);

#endif
