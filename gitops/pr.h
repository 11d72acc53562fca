/* Opening the pull/merge request for a pushed remediation branch through the forge's
 * REST API (libcurl). --pr-url is the repository's API URL:
 *   github  https://api.github.com/repos/OWNER/REPO        POST <url>/pulls
 *           (GitHub Enterprise: https://HOST/api/v3/repos/OWNER/REPO)
 *   gitlab  https://HOST/api/v4/projects/GROUP%2FPROJECT    POST <url>/merge_requests
 *           (or /projects/<numeric id>)
 *   gitea   https://HOST/api/v1/repos/OWNER/REPO            POST <url>/pulls
 * The token goes only into the request header (Authorization: Bearer / PRIVATE-TOKEN /
 * Authorization: token) and never into a message. An already open request for the same
 * branch counts as success: re-running after a push updates that request. */
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
};

int kc_pr_kind_parse(const char *s, enum kc_pr_kind *out);   /* 0 or KC_EINVAL */
const char *kc_pr_kind_name(enum kc_pr_kind k);

/* Creates the request from head into base. *url_out (may be NULL; caller frees) is the web
 * URL of the request when the forge returned one; *existed is 1 when one was already open. */
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
