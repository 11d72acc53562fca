/* Pull requests against a local HTTPS server (OpenSSL in a thread, a self-signed
 * certificate made here) that records the request: path, token header and JSON body in
 * GitHub's and GitLab's shapes; "already exists" answers; a failed call that leaves the
 * pushed branch and prints how to open the request by hand - end to end through the
 * binary, with a stored run and recorded connections. */
#include "kc_test.h"

#include <arpa/inet.h>
#include <git2.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "store/run.h"
#include "store/store.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "gitops/pr.h"

#define TOKEN "tok-3f9a-SECRET-71c2"

struct server {
	int fd, port;
	SSL_CTX *ctx;
	pthread_t thread;
	int status;                 /* to answer */
	const char *answer;         /* JSON body to answer */
	char request[65536];        /* what came in: request line + headers + body */
	size_t len;
	char *tmp;
	char cert[600];
};

static void make_cert(struct server *s)
{
	EVP_PKEY *pkey = EVP_EC_gen("prime256v1");
	X509 *x = X509_new();
	X509V3_CTX v3;
	assert_non_null(pkey);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pkey);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	const char *exts[][2] = { { "subjectAltName", "DNS:localhost,IP:127.0.0.1" }, { "basicConstraints", "critical,CA:TRUE" } };
	for (size_t i = 0; i < 2; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
	snprintf(s->cert, sizeof(s->cert), "%s/cert.pem", s->tmp);
	FILE *f = fopen(s->cert, "w");
	PEM_write_X509(f, x);
	fclose(f);
	s->ctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(s->ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, pkey), 1);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

/* Serves exactly one request. */
static void *serve(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	SSL *ssl = SSL_new(s->ctx);
	SSL_set_fd(ssl, c);
	if (SSL_accept(ssl) == 1) {
		size_t want = 0;
		char *hdr_end = NULL;
		while (s->len < sizeof(s->request) - 1) {
			int n = SSL_read(ssl, s->request + s->len, (int)(sizeof(s->request) - 1 - s->len));
			if (n <= 0)
				break;
			s->len += (size_t)n;
			s->request[s->len] = '\0';
			if (!hdr_end && (hdr_end = strstr(s->request, "\r\n\r\n")) != NULL) {
				const char *cl = strcasestr(s->request, "\r\ncontent-length:");
				want = (size_t)(hdr_end + 4 - s->request) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
			}
			if (hdr_end && s->len >= want)
				break;
		}
		char head[256];
		int hn = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
				  s->status, strlen(s->answer));
		SSL_write(ssl, head, hn);
		SSL_write(ssl, s->answer, (int)strlen(s->answer));
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	close(c);
	return NULL;
}

static void server_start(struct server *s, int status, const char *answer)
{
	s->status = status;
	s->answer = answer;
	s->len = 0;
	s->request[0] = '\0';
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static int setup(void **state)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	s->tmp = kc_test_mkdtemp();
	make_cert(s);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 4), 0);
	getsockname(s->fd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct server *s = *state;
	close(s->fd);
	SSL_CTX_free(s->ctx);
	kc_test_rmtree(s->tmp);
	free(s->tmp);
	free(s);
	return 0;
}

static const char *body_of(struct server *s)
{
	char *b = strstr(s->request, "\r\n\r\n");
	return b ? b + 4 : "";
}

static const char *jfield(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static void test_github_shape(void **state)
{
	struct server *s = *state;
	char url[256], *web = NULL;
	int existed = -1;
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/repos/acme/gitops/", s->port);
	struct kc_pr_opts o = { KC_PR_GITHUB, url, TOKEN, s->cert, 30 };
	server_start(s, 201, "{\"number\":12,\"html_url\":\"https://github.example/acme/gitops/pull/12\"}");
	int rc = kc_pr_open(&o, "kubecomply/remediate-5-abcd1234", "main", "kubecomply: remediate CIS 5.3.2",
			    "Body with \"quotes\"\nand lines", &web, &existed);
	pthread_join(s->thread, NULL);
	if (rc)
		print_message("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	assert_int_equal(existed, 0);
	assert_string_equal(web, "https://github.example/acme/gitops/pull/12");
	free(web);
	assert_true(strncmp(s->request, "POST /repos/acme/gitops/pulls HTTP/1.1\r\n", 40) == 0);
	assert_non_null(strstr(s->request, "\r\nAuthorization: Bearer " TOKEN "\r\n"));
	assert_non_null(strstr(s->request, "\r\nAccept: application/vnd.github+json\r\n"));
	assert_non_null(strstr(s->request, "\r\nX-GitHub-Api-Version: 2022-11-28\r\n"));
	struct json_object *j = json_tokener_parse(body_of(s));
	assert_non_null(j);
	assert_string_equal(jfield(j, "title"), "kubecomply: remediate CIS 5.3.2");
	assert_string_equal(jfield(j, "head"), "kubecomply/remediate-5-abcd1234");
	assert_string_equal(jfield(j, "base"), "main");
	assert_string_equal(jfield(j, "body"), "Body with \"quotes\"\nand lines");
	json_object_put(j);

	/* an open request for the branch already: fine, it shows the new commits */
	server_start(s, 422, "{\"message\":\"Validation Failed\",\"errors\":[{\"message\":\"A pull request already exists for acme:kubecomply/remediate-5-abcd1234.\"}]}");
	rc = kc_pr_open(&o, "kubecomply/remediate-5-abcd1234", "main", "t", "b", NULL, &existed);
	pthread_join(s->thread, NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(existed, 1);
}

static void test_gitlab_shape(void **state)
{
	struct server *s = *state;
	char url[256], *web = NULL;
	int existed = -1;
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/api/v4/projects/acme%%2Fgitops", s->port);
	struct kc_pr_opts o = { KC_PR_GITLAB, url, TOKEN, s->cert, 30 };
	server_start(s, 201, "{\"iid\":3,\"web_url\":\"https://gitlab.example/acme/gitops/-/merge_requests/3\"}");
	int rc = kc_pr_open(&o, "kubecomply/remediate-5-abcd1234", "main", "title", "body", &web, &existed);
	pthread_join(s->thread, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(web, "https://gitlab.example/acme/gitops/-/merge_requests/3");
	free(web);
	assert_true(strncmp(s->request, "POST /api/v4/projects/acme%2Fgitops/merge_requests HTTP/1.1\r\n", 61) == 0);
	assert_non_null(strstr(s->request, "\r\nPRIVATE-TOKEN: " TOKEN "\r\n"));
	assert_null(strstr(s->request, "Authorization:"));
	struct json_object *j = json_tokener_parse(body_of(s)), *v;
	assert_non_null(j);
	assert_string_equal(jfield(j, "source_branch"), "kubecomply/remediate-5-abcd1234");
	assert_string_equal(jfield(j, "target_branch"), "main");
	assert_string_equal(jfield(j, "title"), "title");
	assert_string_equal(jfield(j, "description"), "body");
	assert_true(json_object_object_get_ex(j, "remove_source_branch", &v) && json_object_get_boolean(v));
	json_object_put(j);
}

static void test_failure_says_why_without_the_token(void **state)
{
	struct server *s = *state;
	char url[256];
	int existed = -1;
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/repos/acme/gitops", s->port);
	struct kc_pr_opts o = { KC_PR_GITHUB, url, TOKEN, s->cert, 30 };
	server_start(s, 401, "{\"message\":\"Bad credentials\"}");
	int rc = kc_pr_open(&o, "b", "main", "t", "body", NULL, &existed);
	pthread_join(s->thread, NULL);
	assert_true(rc < 0);
	assert_non_null(strstr(kc_error_last(), "401"));
	assert_non_null(strstr(kc_error_last(), "Bad credentials"));
	assert_null(strstr(kc_error_last(), TOKEN));

	struct kc_buf m = KC_BUF_INIT;
	kc_pr_manual(&m, &o, "kubecomply/remediate-5-abcd1234", "main", "the title", "the body\n");
	char want[256];
	snprintf(want, sizeof(want), "https://127.0.0.1:%d/acme/gitops/compare/main...kubecomply/remediate-5-abcd1234?expand=1", s->port);
	assert_non_null(strstr(m.ptr, want));
	assert_non_null(strstr(m.ptr, "the title"));
	assert_non_null(strstr(m.ptr, "the body"));
	kc_buf_free(&m);

	/* an untrusted certificate is a failure too, and plain http is refused before sending */
	struct kc_pr_opts untrusted = { KC_PR_GITHUB, url, TOKEN, NULL, 30 };
	server_start(s, 201, "{}");
	assert_true(kc_pr_open(&untrusted, "b", "main", "t", "b", NULL, &existed) < 0);
	pthread_join(s->thread, NULL);
	struct kc_pr_opts plain = { KC_PR_GITHUB, "http://127.0.0.1:1/repos/a/b", TOKEN, NULL, 30 };
	assert_int_equal(kc_pr_open(&plain, "b", "main", "t", "b", NULL, &existed), KC_EINVAL);
}

/* ---- end to end through the binary ------------------------------------------------------- */

static void seed_repos(const char *tmp, char *remote, size_t rcap, char *work, size_t wcap)
{
	git_repository *r, *w;
	git_treebuilder *tb;
	git_oid empty, blob, tree_id, commit;
	git_tree *base, *tree;
	git_signature *sig;
	snprintf(remote, rcap, "%s/remote.git", tmp);
	snprintf(work, wcap, "%s/work", tmp);
	git_libgit2_init();
	assert_int_equal(git_repository_init(&r, remote, 1), 0);
	git_treebuilder_new(&tb, r, NULL);
	git_treebuilder_write(&empty, tb);
	git_treebuilder_free(tb);
	git_tree_lookup(&base, r, &empty);
	const char *k = "resources:\n- apps.yaml\n";
	git_blob_create_from_buffer(&blob, r, k, strlen(k));
	git_tree_update up = { GIT_TREE_UPDATE_UPSERT, blob, GIT_FILEMODE_BLOB, "clusters/prod/kustomization.yaml" };
	assert_int_equal(git_tree_create_updated(&tree_id, r, base, 1, &up), 0);
	git_tree_lookup(&tree, r, &tree_id);
	git_signature_now(&sig, "Human", "h@example.test");
	assert_int_equal(git_commit_create(&commit, r, "refs/heads/main", sig, sig, NULL, "init\n", tree, 0, NULL), 0);
	git_repository_set_head(r, "refs/heads/main");
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_repository_free(r);
	assert_int_equal(git_clone(&w, remote, work, NULL), 0);
	git_repository_free(w);
	git_libgit2_shutdown();
}

static void seed_db(const char *path)
{
	struct kc_store *st;
	struct kc_run run;
	memset(&run, 0, sizeof(run));
	run.host = kc_strdup("node-1");
	run.cluster = kc_strdup("prod");
	run.benchmark = kc_strdup("cis-1.12");
	run.started = kc_strdup("2026-01-05T03:00:00Z");
	run.finished = kc_strdup("2026-01-05T03:00:02Z");
	struct kc_result *r = kc_run_add_result(&run);
	r->id = kc_strdup("5.3.2");
	r->title = kc_strdup("Ensure that all Namespaces have NetworkPolicies defined");
	r->status = KC_FAIL;
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_OBJECT);
	ev->obj_kind = kc_strdup("Namespace");
	ev->obj_name = kc_strdup("shop");
	ev->detail = kc_strdup("no NetworkPolicy selects the pods of namespace shop");
	assert_int_equal(kc_store_open(path, &st), 0);
	assert_int_equal(kc_store_save_run(st, &run), 0);
	struct kc_event e = { 0 };
	e.time = "2026-01-04T10:00:00Z";
	e.source = "bpf";
	e.type = "connect";
	e.data_json = "{\"src_ip\":\"10.1.0.5\",\"src_pod\":\"web-1\",\"src_namespace\":\"shop\",\"src_labels\":{\"app\":\"web\"},"
		      "\"dst_ip\":\"10.1.0.9\",\"dst_port\":5432,\"protocol\":\"TCP\",\"dst_pod\":\"db-0\",\"dst_namespace\":\"shop\",\"dst_labels\":{\"app\":\"db\"}}";
	assert_int_equal(kc_store_add_event(st, run.id, &e), 0);
	kc_store_free(st);
	kc_run_clear(&run);
}

static void test_cli_failed_pr_leaves_branch_and_instructions(void **state)
{
	struct server *s = *state;
	char remote[512], work[512], db[512], tok[512], url[256], ca[700];
	if (access(kc_test_bin(), X_OK) != 0) {
		print_message("kc-skip: %s not built\n", kc_test_bin());
		skip();
	}
	seed_repos(s->tmp, remote, sizeof(remote), work, sizeof(work));
	snprintf(db, sizeof(db), "%s/evidence.db", s->tmp);
	seed_db(db);
	snprintf(tok, sizeof(tok), "%s", kc_test_write(s->tmp, "token", TOKEN "\n", 0600));
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/repos/acme/gitops", s->port);
	snprintf(ca, sizeof(ca), "%s", s->cert);
	setenv("KUBECOMPLY_CA_FILE", ca, 1);
	/* see __lsan_default_suppressions below: the binary links the same libgit2 */
	char supp[600], lsan[700];
	snprintf(supp, sizeof(supp), "%s", kc_test_write(s->tmp, "lsan.supp", "leak:libpcre2-8.so\n", 0644));
	snprintf(lsan, sizeof(lsan), "suppressions=%s", supp);
	setenv("LSAN_OPTIONS", lsan, 1);

	/* dry run first: the diff and the PR text, nothing written */
	char *out = NULL;
	const char *dry[] = { "remediate", "--db", db, "--repo", work, "--path", "clusters/prod", "--dry-run", NULL };
	assert_int_equal(kc_test_run(&out, dry), 0);
	assert_non_null(strstr(out, "+++ b/clusters/prod/shop/networkpolicy-default-deny.yaml"));
	assert_non_null(strstr(out, "+++ b/clusters/prod/shop/networkpolicy-observed-flows.yaml"));
	assert_non_null(strstr(out, "| shop/app=web | shop/app=db | TCP/5432 | 1 | 2026-01-04T10:00:00Z |"));
	assert_non_null(strstr(out, "Title: kubecomply: remediate CIS 5.3.2"));
	free(out);

	server_start(s, 500, "{\"message\":\"Server Error\"}");
	const char *argv[] = { "remediate", "--db", db, "--repo", work, "--path", "clusters/prod", "--push",
			       "--author", "Kube Comply <kc@example.test>", "--pr", "github", "--pr-url", url,
			       "--token-file", tok, NULL };
	int rc = kc_test_run(&out, argv);
	pthread_join(s->thread, NULL);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "open the pull request by hand"));
	assert_non_null(strstr(out, "/acme/gitops/compare/main...kubecomply/remediate-"));
	assert_non_null(strstr(out, "answered 500"));
	assert_null(strstr(out, TOKEN));
	/* the request carried the token; the branch is on the remote */
	assert_non_null(strstr(s->request, "Authorization: Bearer " TOKEN));
	free(out);
	git_libgit2_init();
	git_repository *r;
	git_reference_iterator *it;
	git_reference *ref;
	size_t n = 0;
	assert_int_equal(git_repository_open(&r, remote), 0);
	assert_int_equal(git_reference_iterator_glob_new(&it, r, "refs/heads/kubecomply/remediate-*"), 0);
	while (git_reference_next(&ref, it) == 0) {
		n++;
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	git_repository_free(r);
	git_libgit2_shutdown();
	assert_int_equal(n, 1);

	/* a second run: nothing new to commit; the PR call is retried and succeeds */
	server_start(s, 201, "{\"html_url\":\"https://github.example/acme/gitops/pull/1\"}");
	rc = kc_test_run(&out, argv);
	pthread_join(s->thread, NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "up to date"));
	assert_non_null(strstr(out, "opened https://github.example/acme/gitops/pull/1"));
	free(out);

	/* usage errors are one line and exit 2 */
	const char *bad[] = { "remediate", "--db", db, "--repo", work, NULL };
	assert_int_equal(kc_test_run(&out, bad), 2);
	assert_non_null(strstr(out, "kubecomply remediate: --repo and --path are required"));
	free(out);
	unsetenv("KUBECOMPLY_CA_FILE");
	unsetenv("LSAN_OPTIONS");
}

/* libgit2 1.5 (Debian 12) leaks pcre2 match data on its regex no-match path
 * (libgit2/libgit2#6382, fixed after 1.5): not ours to fix, so LeakSanitizer is told to
 * ignore exactly that library. Binaries run from here get the same through LSAN_OPTIONS. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_github_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gitlab_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_says_why_without_the_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_failed_pr_leaves_branch_and_instructions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
