/* kubecomply remediate: turn a stored run's findings into manifests committed to a GitOps
 * repository (gitops/), optionally pushed and proposed as a pull request (gitops/pr.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auditor/cli.h"
#include "store/store.h"
#include "common/error.h"
#include "gitops/gitops.h"
#include "gitops/pr.h"
#include "remediation/flows.h"
#include "remediation/plan.h"

static const char usage[] =
	"usage: kubecomply remediate --db FILE [--run ID] --repo PATH|URL --path DIR [--branch NAME]\n"
	"                            [--push] [--direct] [--dry-run] [--rebuild] [--create-path]\n"
	"                            [--pr github|gitlab|gitea --pr-url URL --token-file F\n"
	"                             [--pr-label L]... [--pr-draft]]\n"
	"                            [--author \"Name <mail>\"]\n"
	"\n"
	"Writes fixes for a stored run's findings into a GitOps repository, one commit per kind:\n"
	"  CIS 5.3.2  <path>/<ns>/networkpolicy-default-deny.yaml (+ networkpolicy-observed-flows.yaml\n"
	"             from recorded connections), CIS 5.1.5 <path>/<ns>/serviceaccount-default.yaml,\n"
	"  CIS 5.2.1  <path>/<ns>/namespace-pod-security.yaml (warn/audit first, enforce next run).\n"
	"New files are added to an existing kustomization.yaml. Commits go to one branch per target\n"
	"(cluster and --path), kubecomply/remediate-<cluster>-<path>-<hash>, rebuilt on the default\n"
	"branch while every commit on it is kubecomply's; once a person pushes to it kubecomply stops\n"
	"updating it (--rebuild starts it over). The same findings twice change nothing.\n"
	"\n"
	"  --db FILE          evidence database (default: kubecomply.db, /var/lib/kubecomply as root)\n"
	"  --run ID           run to remediate (default: the latest)\n"
	"  --repo PATH|URL    local repository (working copy or bare; never checked out) or URL to clone\n"
	"  --path DIR         directory of the cluster inside the repository, e.g. clusters/prod\n"
	"  --branch NAME      use this branch instead of kubecomply/remediate-* (refused for the default\n"
	"                     branch or a branch kubecomply did not create, unless --direct)\n"
	"  --rebuild          start the target's branch over even when a person pushed to it\n"
	"  --create-path      --path may be a directory the repository does not have yet\n"
	"  --include-namespace NS  remediate NS although it looks like infrastructure (repeatable)\n"
	"  --since DURATION   least-privilege rules from connections seen in this window only\n"
	"                     (90m, 24h, 7d; default: everything recorded)\n"
	"  --push             push the branch to origin\n"
	"  --direct           commit on the default branch itself (no review!)\n"
	"  --dry-run          print the diff and the pull-request text; write nothing, fetch nothing\n"
	"  --pr KIND          open a pull/merge request after pushing: github, gitlab or gitea\n"
	"  --pr-url URL       the repository's API URL (https://api.github.com/repos/OWNER/REPO,\n"
	"                     https://HOST/api/v4/projects/GROUP%2FPROJECT, https://HOST/api/v1/repos/OWNER/REPO)\n"
	"  --token-file F     API token for --pr (also used for HTTPS pushes when no git token is set)\n"
	"  --pr-label L       label of the request (repeatable; default: compliance)\n"
	"  --pr-draft         open the request as a draft\n"
	"The request of the branch stays true: its title, body and labels are updated in place when\n"
	"the branch changes. A request closed without merging is not proposed again until the\n"
	"findings change.\n"
	"  --author \"N <m>\"   commit author and committer (default: user.name/user.email of the repo)\n"
	"\n"
	"Environment: KUBECOMPLY_GIT_TOKEN or KUBECOMPLY_GIT_TOKEN_FILE (HTTPS push token),\n"
	"KUBECOMPLY_GIT_USER, KUBECOMPLY_SSH_KEY (+ KUBECOMPLY_SSH_KEY_PASSPHRASE; default ssh-agent),\n"
	"KUBECOMPLY_CA_FILE (extra CA bundle for --pr), KUBECOMPLY_NETPOL (comma list of\n"
	"ingress-only, no-dns, no-apiserver, no-same-namespace, nodelocaldns=IP).\n"
	"\n"
	"Exit status: 0 done (also: nothing to fix), 2 usage, input or environment error.\n"
	"\n"
	"Examples:\n"
	"  kubecomply remediate --db evidence.db --repo . --path clusters/prod --dry-run\n"
	"  kubecomply remediate --db evidence.db --repo git@github.com:acme/gitops.git \\\n"
	"      --path clusters/prod --push --author \"kubecomply <kubecomply@acme.example>\"\n"
	"  kubecomply remediate --db evidence.db --repo https://github.com/acme/gitops.git \\\n"
	"      --path clusters/prod --push --pr github \\\n"
	"      --pr-url https://api.github.com/repos/acme/gitops --token-file /run/secrets/gh-token\n";

static int valid_ipv4(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1;
}

static int netpol_from_env(struct kc_netpol_opts *np)
{
	const char *env = getenv("KUBECOMPLY_NETPOL");
	if (!env || !*env)
		return 0;
	char *copy = kc_strdup(env), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "ingress-only") == 0)
			np->ingress_only = 1;
		else if (strcmp(t, "no-dns") == 0)
			np->allow_dns = 0;
		else if (strcmp(t, "no-apiserver") == 0)
			np->allow_apiserver = 0;
		else if (strcmp(t, "no-same-namespace") == 0)
			np->allow_same_namespace = 0;
		else if (strncmp(t, "nodelocaldns=", 13) == 0 && valid_ipv4(t + 13))
			np->nodelocal_dns = t + 13;
		else
			rc = kc_error_set(KC_EINVAL, "KUBECOMPLY_NETPOL: unknown switch \"%s\" (ingress-only, no-dns, no-apiserver, no-same-namespace, nodelocaldns=IP)", t);
	}
	/* nodelocal_dns points into the environment, which outlives the command */
	if (!rc && np->nodelocal_dns)
		np->nodelocal_dns = env + (np->nodelocal_dns - copy);
	free(copy);
	return rc;
}

/* "90m", "24h", "7d", "3600s" -> the RFC 3339 time that long ago. */
static int since_cutoff(const char *arg, char *out, size_t cap)
{
	char *end;
	errno = 0;
	long long n = strtoll(arg, &end, 10);
	long long unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : *end == 'w' ? 604800 : 0;
	if (errno || end == arg || n <= 0 || !unit || end[1] != '\0' || n > 3650LL * 86400 / unit)
		return -1;
	time_t t = time(NULL) - (time_t)(n * unit);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

static int add_flow_row(void *payload, const struct kc_store_flow *f)
{
	struct kc_flow_observed o = {
		f->src_kind, f->src_namespace, f->src_pod, f->src_addr,
		f->dst_kind, f->dst_namespace, f->dst_pod, f->dst_addr,
		f->port, f->protocol, f->count, f->first_seen, f->last_seen,
	};
	kc_flows_add_observed(payload, &o);
	return 0;
}

struct approve_ctx {
	const struct kc_pr_opts *pr;
};

/* Renovate's manners: a request closed without merging is the reviewers' answer; the same
 * findings are not proposed again, different findings are. */
static int approve_cb(void *payload, const struct kc_plan *plan, const char *branch, const char *base,
		      struct kc_buf *why)
{
	struct approve_ctx *ax = payload;
	struct kc_pr_info info;
	int rc = kc_pr_find(ax->pr, branch, base, &info);
	if (rc)
		return rc;
	int stop = 0;
	if (info.state == KC_PR_CLOSED && info.body) {
		char marker[64];
		snprintf(marker, sizeof(marker), KC_PLAN_FINDINGS_MARKER "%s", plan->findings);
		if (strstr(info.body, marker)) {
			kc_buf_printf(why, "request #%ld for %s was closed without merging and the findings have not changed "
				      "since; not proposing them again (%s)\n", info.number, branch, info.url ? info.url : "");
			stop = 1;
		}
	}
	kc_pr_info_clear(&info);
	return stop;
}

int kc_cmd_remediate(int argc, char **argv)
{
	enum { O_DB = 256, O_RUN, O_REPO, O_PATH, O_BRANCH, O_PUSH, O_DIRECT, O_DRY_RUN, O_PR, O_PR_URL,
	       O_TOKEN_FILE, O_AUTHOR, O_REBUILD, O_CREATE_PATH, O_INCLUDE_NS, O_PR_LABEL, O_PR_DRAFT, O_SINCE };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "run", required_argument, NULL, O_RUN },
		{ "repo", required_argument, NULL, O_REPO },
		{ "path", required_argument, NULL, O_PATH },
		{ "branch", required_argument, NULL, O_BRANCH },
		{ "push", no_argument, NULL, O_PUSH },
		{ "direct", no_argument, NULL, O_DIRECT },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "pr", required_argument, NULL, O_PR },
		{ "pr-url", required_argument, NULL, O_PR_URL },
		{ "token-file", required_argument, NULL, O_TOKEN_FILE },
		{ "author", required_argument, NULL, O_AUTHOR },
		{ "rebuild", no_argument, NULL, O_REBUILD },
		{ "create-path", no_argument, NULL, O_CREATE_PATH },
		{ "include-namespace", required_argument, NULL, O_INCLUDE_NS },
		{ "pr-label", required_argument, NULL, O_PR_LABEL },
		{ "pr-draft", no_argument, NULL, O_PR_DRAFT },
		{ "since", required_argument, NULL, O_SINCE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct kc_gitops_opts go = { .netpol = KC_NETPOL_OPTS_INIT };
	struct kc_pr_opts pr = { 0 };
	static char *include[64], *labels[16];
	static char since_buf[40];
	const char *since = NULL;
	static char *default_labels[] = { "compliance" };
	const char *db = NULL, *pr_kind = NULL, *token_file = NULL;
	int64_t run_id = 0;
	int c, rc = KC_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB: db = optarg; break;
		case O_RUN: {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || v <= 0)
				return kc_cli_fail("remediate", "--run \"%s\": expected a positive run id", optarg);
			run_id = v;
			break;
		}
		case O_REPO: go.repo = optarg; break;
		case O_PATH: go.path = optarg; break;
		case O_BRANCH: go.branch = optarg; break;
		case O_PUSH: go.push = 1; break;
		case O_DIRECT: go.direct = 1; break;
		case O_DRY_RUN: go.dry_run = 1; break;
		case O_PR: pr_kind = optarg; break;
		case O_PR_URL: pr.api_url = optarg; break;
		case O_TOKEN_FILE: token_file = optarg; break;
		case O_AUTHOR: go.author = optarg; break;
		case O_REBUILD: go.rebuild = 1; break;
		case O_CREATE_PATH: go.create_path = 1; break;
		case O_PR_LABEL:
			if (pr.nlabels == 16)
				return kc_cli_fail("remediate", "--pr-label: at most 16");
			labels[pr.nlabels++] = optarg;
			pr.labels = labels;
			break;
		case O_PR_DRAFT: pr.draft = 1; break;
		case O_SINCE:
			if (since_cutoff(optarg, since_buf, sizeof(since_buf)) != 0)
				return kc_cli_fail("remediate", "--since \"%s\": expected a duration such as 90m, 24h or 7d", optarg);
			since = since_buf;
			break;
		case O_INCLUDE_NS:
			if (go.ninclude == 64)
				return kc_cli_fail("remediate", "--include-namespace: at most 64");
			include[go.ninclude++] = optarg;
			go.include_namespaces = include;
			break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default:
			return kc_cli_fail("remediate", "unknown or incomplete option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return kc_cli_fail("remediate", "unexpected argument '%s' (see --help)", argv[optind]);
	if (!go.repo || !go.path)
		return kc_cli_fail("remediate", "--repo and --path are required (see --help)");
	if (go.dry_run && (go.push || pr_kind))
		return kc_cli_fail("remediate", "--dry-run writes nothing: it excludes --push and --pr");
	if (go.direct && go.rebuild)
		return kc_cli_fail("remediate", "--direct never rewrites a branch: it excludes --rebuild");
	if (pr_kind) {
		if (kc_pr_kind_parse(pr_kind, &pr.kind))
			return kc_cli_fail("remediate", "%s", kc_error_last());
		if (!pr.api_url || !token_file)
			return kc_cli_fail("remediate", "--pr needs --pr-url and --token-file");
		if (!go.push)
			return kc_cli_fail("remediate", "--pr needs --push: the request is opened for the pushed branch");
		if (go.direct)
			return kc_cli_fail("remediate", "--direct commits on the default branch: there is nothing to request");
		/* before anything is pushed: a plain-http API would carry the token in clear */
		if (!kc_pr_url_ok(pr.api_url))
			return kc_cli_fail("remediate", "%s", kc_error_last());
		if (!pr.nlabels) {
			pr.labels = default_labels;
			pr.nlabels = 1;
		}
	} else if (pr.api_url || pr.nlabels || pr.draft) {
		return kc_cli_fail("remediate", "--pr-url, --pr-label and --pr-draft need --pr");
	}
	if (netpol_from_env(&go.netpol))
		return kc_cli_fail("remediate", "%s", kc_error_last());
	if (!db)
		db = kc_cli_default_db();

	struct kc_store *st = NULL;
	struct kc_run run;
	struct kc_flow_set flows;
	struct kc_gitops_result res;
	char *pr_token = NULL, *git_token = NULL, *pr_url_out = NULL;
	struct kc_buf title = KC_BUF_INIT, body = KC_BUF_INIT, manual = KC_BUF_INIT;
	memset(&run, 0, sizeof(run));
	kc_flows_init(&flows);
	kc_gitops_result_init(&res);

	/* read-only: a typo must not look like "nothing to fix" */
	if (kc_store_open_mode(db, KC_STORE_READ_ONLY, &st) || kc_store_load_run(st, run_id, &run)) {
		rc = kc_cli_fail("remediate", "%s", kc_error_last());
		goto done;
	}
	if (kc_flows_load(st, run.cluster, since, &flows) ||
	    kc_store_flows(st, run.cluster, since, add_flow_row, &flows)) {
		rc = kc_cli_fail("remediate", "%s", kc_error_last());
		goto done;
	}
	kc_flows_finish(&flows);

	/* tokens: read once, handed to libgit2/libcurl, never printed */
	if (token_file && kc_pr_read_token(token_file, &pr_token)) {
		rc = kc_cli_fail("remediate", "%s", kc_error_last());
		goto done;
	}
	const char *gt_file = getenv("KUBECOMPLY_GIT_TOKEN_FILE"), *gt = getenv("KUBECOMPLY_GIT_TOKEN");
	if (gt_file && *gt_file) {
		if (kc_pr_read_token(gt_file, &git_token)) {
			rc = kc_cli_fail("remediate", "%s", kc_error_last());
			goto done;
		}
	} else if (gt && *gt) {
		git_token = kc_strdup(gt);
	}
	go.cred.token = git_token ? git_token : pr_token;
	go.cred.user = getenv("KUBECOMPLY_GIT_USER");
	if (!go.cred.user && !git_token && pr_token)
		go.cred.user = pr.kind == KC_PR_GITLAB ? "oauth2" : "x-access-token";
	go.cred.ssh_key = getenv("KUBECOMPLY_SSH_KEY");
	go.cred.ssh_passphrase = getenv("KUBECOMPLY_SSH_KEY_PASSPHRASE");
	pr.token = pr_token;
	pr.ca_file = getenv("KUBECOMPLY_CA_FILE");

	struct approve_ctx ax = { &pr };
	if (pr_kind) {
		go.approve = approve_cb;
		go.approve_payload = &ax;
	}
	if (kc_gitops_remediate(&run, &flows, &go, &res)) {
		fputs(res.log.ptr, stdout);
		rc = kc_cli_fail("remediate", "%s", kc_error_last());
		goto done;
	}
	if (res.plan && res.plan->ngroups)
		kc_plan_pr_text(res.plan, &run, res.branch, res.base_branch, KC_PR_BODY_MAX, &title, &body);
	if (go.dry_run) {
		fputs(res.diff.ptr, stdout);
		if (title.len)
			printf("\n# pull request\nTitle: %s\n\n%s", title.ptr, body.ptr);
	}
	fputs(res.log.ptr, stdout);

	if (pr_kind && res.branch && res.pushed && !res.stopped) {
		int existed = 0;
		if (kc_pr_open(&pr, res.branch, res.base_branch, title.ptr, body.ptr, &pr_url_out, &existed)) {
			/* the branch stays pushed: say how to finish by hand, then fail */
			kc_pr_manual(&manual, &pr, res.branch, res.base_branch, title.ptr, body.ptr);
			fputs(manual.ptr, stdout);
			rc = kc_cli_fail("remediate", "%s", kc_error_last());
			goto done;
		}
		if (existed)
			printf("updated %s (title, body and labels follow the branch)\n", pr_url_out ? pr_url_out : "the open request");
		else
			printf("opened %s\n", pr_url_out ? pr_url_out : "the request");
	}
done:
	if (pr_token)
		memset(pr_token, 0, strlen(pr_token));
	if (git_token)
		memset(git_token, 0, strlen(git_token));
	free(pr_token);
	free(git_token);
	free(pr_url_out);
	kc_buf_clear(&title);
	kc_buf_clear(&body);
	kc_buf_clear(&manual);
	kc_gitops_result_clear(&res);
	kc_flows_clear(&flows);
	kc_run_clear(&run);
	kc_store_free(st);
	return rc;
}
