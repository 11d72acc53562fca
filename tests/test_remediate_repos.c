/* Remediation on repositories shaped like the public examples people start from: Argo CD's
 * argocd-example-apps (a plain directory app, a kustomize app with namePrefix, a Helm chart)
 * and Flux's flux2-kustomize-helm-example / fleet-infra (clusters/<name> with Flux
 * Kustomizations, apps/base + apps/<cluster> overlays, a Namespace already declared in the
 * base). Every commit of every generated branch is checked twice: by the built-in render
 * check (every resource rendered exactly once, every path resolvable) everywhere, and by
 * `kubectl kustomize` where kubectl is installed (skipped with a kc-skip line otherwise).
 * Pushes go to bare repositories served on loopback with a pre-receive hook that protects
 * main and logs every ref update: by `git daemon` (git://) and by `git http-backend`
 * behind a small CGI server in this file (smart HTTP, chunked request bodies included). */
#include "kc_test.h"

#include <arpa/inet.h>
#include <git2.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/run.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "common/yaml.h"
#include "gitops/gitops.h"
#include "remediation/render.h"

#define AUTHOR "Kube Comply <kubecomply@example.test>"

static void ok(int rc)
{
	if (rc < 0) {
		const git_error *e = git_error_last();
		print_message("libgit2: %s\n", e ? e->message : "?");
	}
	assert_true(rc >= 0);
}

/* ---- repositories ------------------------------------------------------------------- */

static void commit_tree(git_repository *repo, const char *ref, const char *const *files, git_oid *out)
{
	git_treebuilder *tb;
	git_oid empty, tree_id;
	git_tree *base, *tree;
	git_signature *sig;
	size_t n = 0;
	for (size_t i = 0; files[i]; i += 2)
		n++;
	git_tree_update *up = calloc(n, sizeof(*up));
	ok(git_treebuilder_new(&tb, repo, NULL));
	ok(git_treebuilder_write(&empty, tb));
	git_treebuilder_free(tb);
	ok(git_tree_lookup(&base, repo, &empty));
	for (size_t i = 0; i < n; i++) {
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].filemode = GIT_FILEMODE_BLOB;
		up[i].path = files[2 * i];
		ok(git_blob_create_from_buffer(&up[i].id, repo, files[2 * i + 1], strlen(files[2 * i + 1])));
	}
	ok(git_tree_create_updated(&tree_id, repo, base, n, up));
	ok(git_tree_lookup(&tree, repo, &tree_id));
	ok(git_signature_now(&sig, "Platform Team", "platform@example.test"));
	ok(git_commit_create(out, repo, ref, sig, sig, NULL, "initial layout\n", tree, 0, NULL));
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	free(up);
}

/* Argo CD's argocd-example-apps, cut down: guestbook (plain directory), kustomize-guestbook
 * (namePrefix), helm-guestbook (a chart), plus a cluster directory the way teams lay
 * out theirs (namespaces declared once, comments). */
static const char *const argocd_files[] = {
	"guestbook/guestbook-ui-deployment.yaml",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: guestbook-ui\nspec:\n  replicas: 1\n"
	"  revisionHistoryLimit: 3\n  selector:\n    matchLabels:\n      app: guestbook-ui\n  template:\n"
	"    metadata:\n      labels:\n        app: guestbook-ui\n    spec:\n      containers:\n"
	"      - image: gcr.io/heptio-images/ks-guestbook-demo:0.2\n        name: guestbook-ui\n"
	"        ports:\n        - containerPort: 80\n",
	"guestbook/guestbook-ui-svc.yaml",
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: guestbook-ui\nspec:\n  ports:\n  - port: 80\n"
	"    targetPort: 80\n  selector:\n    app: guestbook-ui\n",
	"kustomize-guestbook/kustomization.yaml",
	"namePrefix: kustomize-\n\nresources:\n- guestbook-ui-deployment.yaml\n- guestbook-ui-svc.yaml\n",
	"kustomize-guestbook/guestbook-ui-deployment.yaml",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: guestbook-ui\nspec:\n  selector:\n"
	"    matchLabels:\n      app: guestbook-ui\n  template:\n    metadata:\n      labels:\n"
	"        app: guestbook-ui\n    spec:\n      containers:\n      - image: gcr.io/heptio-images/ks-guestbook-demo:0.1\n"
	"        name: guestbook-ui\n",
	"kustomize-guestbook/guestbook-ui-svc.yaml",
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: guestbook-ui\nspec:\n  ports:\n  - port: 80\n  selector:\n"
	"    app: guestbook-ui\n",
	"helm-guestbook/Chart.yaml", "apiVersion: v2\nname: helm-guestbook\nversion: 0.1.0\n",
	"helm-guestbook/values.yaml", "replicaCount: 1\n",
	"helm-guestbook/templates/deployment.yaml",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
	"  replicas: {{ .Values.replicaCount }}\n",
	"clusters/prod/kustomization.yaml",
	"# prod: one directory per namespace, the namespaces declared once here\n"
	"apiVersion: kustomize.config.k8s.io/v1beta1\n"
	"kind: Kustomization\n"
	"resources:\n"
	"  - namespaces.yaml   # keep first\n"
	"  - shop\n"
	"  # team-a is onboarded next sprint\n"
	"commonAnnotations:\n"
	"  owner: platform\n",
	"clusters/prod/namespaces.yaml",
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: Namespace\n"
	"metadata:\n  name: team-a\n",
	"clusters/prod/shop/kustomization.yaml",
	"resources:\n- web.yaml\n- serviceaccount.yaml\n",
	"clusters/prod/shop/web.yaml",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: shop\n",
	"clusters/prod/shop/serviceaccount.yaml",
	"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: shop\n",
	NULL,
};

/* fluxcd/flux2-kustomize-helm-example, cut down. */
static const char *const flux_files[] = {
	"clusters/production/flux-system/kustomization.yaml",
	"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\n",
	"clusters/production/flux-system/gotk-components.yaml",
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n",
	"clusters/production/flux-system/gotk-sync.yaml",
	"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n"
	"  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: ssh://git@github.com/acme/fleet-infra\n"
	"---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n"
	"  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: ./clusters/production\n  prune: true\n"
	"  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
	"clusters/production/apps.yaml",
	"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\n"
	"spec:\n  interval: 10m0s\n  path: ./apps/production\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
	"    name: flux-system\n",
	"apps/base/podinfo/kustomization.yaml",
	"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: podinfo\nresources:\n"
	"  - namespace.yaml\n  - repository.yaml\n  - release.yaml\n",
	"apps/base/podinfo/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n",
	"apps/base/podinfo/repository.yaml",
	"apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\nspec:\n"
	"  interval: 5m\n  url: https://stefanprodan.github.io/podinfo\n",
	"apps/base/podinfo/release.yaml",
	"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\nspec:\n"
	"  interval: 50m\n  chart:\n    spec:\n      chart: podinfo\n      sourceRef:\n        kind: HelmRepository\n"
	"        name: podinfo\n",
	"apps/production/kustomization.yaml",
	"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base/podinfo\n"
	"patches:\n  - path: podinfo-values.yaml\n    target:\n      kind: HelmRelease\n",
	"apps/production/podinfo-values.yaml",
	"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\nspec:\n  chart:\n"
	"    spec:\n      version: \">=1.0.0\"\n",
	"apps/staging/kustomization.yaml",
	"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: podinfo\nresources:\n  - ../base/podinfo\n",
	NULL,
};

struct fixture {
	char *tmp;
	char remote[512];
	pid_t daemon;
	int port;
	char url[256];
	char hooklog[600];
};

static void write_hook(const char *remote, const char *log)
{
	char path[700], body[1400];
	snprintf(path, sizeof(path), "%s/hooks/pre-receive", remote);
	snprintf(body, sizeof(body),
		 "#!/bin/sh\n# main is protected: changes arrive by pull request only\n"
		 "while read old new ref; do\n  echo \"$ref\" >> '%s'\n"
		 "  if [ \"$ref\" = refs/heads/main ]; then echo 'main is protected' >&2; exit 1; fi\ndone\nexit 0\n", log);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	chmod(path, 0755);
}

/* git daemon on a free loopback port; the child is ours and is killed by its pid. */
static void start_daemon(struct fixture *f)
{
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int attempt = 0; attempt < 20; attempt++) {
		f->port = 20000 + rand() % 30000;
		char port[32], base[600];
		snprintf(port, sizeof(port), "--port=%d", f->port);
		snprintf(base, sizeof(base), "--base-path=%s", f->tmp);
		pid_t pid = fork();
		if (pid == 0) {
			int devnull = open("/dev/null", 1);
			dup2(devnull, 2);
			execlp("git", "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", port, base, "--export-all",
			       "--enable=receive-pack", "--informative-errors", f->tmp, (char *)NULL);
			_exit(127);
		}
		/* ready when a clone-style ls-remote answers */
		snprintf(f->url, sizeof(f->url), "git://127.0.0.1:%d/remote.git", f->port);
		for (int i = 0; i < 50; i++) {
			char cmd[400];
			snprintf(cmd, sizeof(cmd), "git ls-remote %s >/dev/null 2>&1", f->url);
			if (system(cmd) == 0) {
				f->daemon = pid;
				return;
			}
			int st;
			if (waitpid(pid, &st, WNOHANG) == pid)
				break;
			usleep(100 * 1000);
		}
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	fail_msg("git daemon did not start");
}

static int setup_with(void **state, const char *const *files)
{
	struct fixture *f = calloc(1, sizeof(*f));
	git_repository *remote;
	git_oid seed;
	git_libgit2_init();
	f->tmp = kc_test_mkdtemp();
	snprintf(f->remote, sizeof(f->remote), "%s/remote.git", f->tmp);
	snprintf(f->hooklog, sizeof(f->hooklog), "%s/hook.log", f->tmp);
	ok(git_repository_init(&remote, f->remote, 1));
	commit_tree(remote, "refs/heads/main", files, &seed);
	ok(git_repository_set_head(remote, "refs/heads/main"));
	git_repository_free(remote);
	write_hook(f->remote, f->hooklog);
	start_daemon(f);
	*state = f;
	return 0;
}

static int setup_argocd(void **state) { return setup_with(state, argocd_files); }
static int setup_flux(void **state) { return setup_with(state, flux_files); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->daemon > 0) {
		kill(f->daemon, SIGTERM);
		waitpid(f->daemon, NULL, 0);
	}
	kc_test_rmtree(f->tmp);
	free(f->tmp);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

/* ---- checking every commit ---------------------------------------------------------- */

struct tree_read {
	git_repository *repo;
	git_tree *tree;
};

static int tree_read(void *payload, const char *path, char **out, size_t *len)
{
	struct tree_read *t = payload;
	git_tree_entry *e = NULL;
	*out = NULL;
	*len = 0;
	if (git_tree_entry_bypath(&e, t->tree, path) != 0) {
		git_error_clear();
		return 0;
	}
	if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
		git_blob *b;
		ok(git_blob_lookup(&b, t->repo, git_tree_entry_id(e)));
		*len = (size_t)git_blob_rawsize(b);
		*out = kc_strndup(git_blob_rawcontent(b), *len);
		git_blob_free(b);
	}
	git_tree_entry_free(e);
	return 0;
}

struct export {
	git_repository *repo;
	const char *dir;
};

static int export_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct export *x = payload;
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s%s", x->dir, root, git_tree_entry_name(e));
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		mkdir(path, 0755);
		return 0;
	}
	git_blob *b;
	ok(git_blob_lookup(&b, x->repo, git_tree_entry_id(e)));
	FILE *f = fopen(path, "w");
	fwrite(git_blob_rawcontent(b), 1, (size_t)git_blob_rawsize(b), f);
	fclose(f);
	git_blob_free(b);
	return 0;
}

static int have_kubectl(void)
{
	return system("kubectl version --client >/dev/null 2>&1") == 0;
}

/* Number of top-level objects in kubectl kustomize's output. */
static size_t count_docs(const char *out)
{
	size_t n = *out ? 1 : 0;
	for (const char *p = out; (p = strstr(p, "\n---\n")) != NULL; p += 5)
		n++;
	return n;
}

/* Every commit from main to ref: the built-in check, and kubectl kustomize of path. The
 * kubectl output goes to $KC_KUSTOMIZE_LOG when set (the closing note shows it). */
static void check_every_commit(struct fixture *f, const char *ref, const char *path, size_t want_commits)
{
	git_repository *repo;
	git_revwalk *w;
	git_oid id;
	size_t n = 0;
	int kubectl = have_kubectl();
	const char *logpath = getenv("KC_KUSTOMIZE_LOG");
	FILE *log = logpath && *logpath ? fopen(logpath, "a") : NULL;
	if (!kubectl)
		print_message("kc-skip: kubectl not installed; only the built-in render check ran\n");
	ok(git_repository_open(&repo, f->remote));
	ok(git_revwalk_new(&w, repo));
	ok(git_revwalk_push_ref(w, ref));
	ok(git_revwalk_hide_ref(w, "refs/heads/main"));
	git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	while (git_revwalk_next(&id, w) == 0) {
		git_commit *c;
		git_tree *tree;
		ok(git_commit_lookup(&c, repo, &id));
		ok(git_commit_tree(&tree, c));
		n++;
		/* built-in: builds, and nothing rendered twice */
		struct tree_read tr = { repo, tree };
		struct kc_render r;
		kc_render_init(&r);
		assert_int_equal(kc_render_dir(tree_read, &tr, path, &r), 0);
		if (r.nerrors)
			print_message("%s", r.errors.ptr);
		assert_int_equal(r.nerrors, 0);
		for (size_t i = 0; i < r.n; i++)
			for (size_t j = i + 1; j < r.n; j++)
				assert_false(strcmp(r.v[i].kind, r.v[j].kind) == 0 && strcmp(r.v[i].name, r.v[j].name) == 0 &&
					     ((!r.v[i].ns && !r.v[j].ns) || (r.v[i].ns && r.v[j].ns && strcmp(r.v[i].ns, r.v[j].ns) == 0)));
		if (kubectl) {
			char *dir = kc_test_mkdtemp();
			struct export x = { repo, dir };
			ok(git_tree_walk(tree, GIT_TREEWALK_PRE, export_cb, &x));
			char cmd[1400];
			snprintf(cmd, sizeof(cmd), "kubectl kustomize %s/%s 2>&1", dir, path);
			FILE *p = popen(cmd, "r");
			struct kc_buf out = KC_BUF_INIT;
			char buf[4096];
			size_t got;
			while ((got = fread(buf, 1, sizeof(buf), p)) > 0)
				kc_buf_add(&out, buf, got);
			int st = pclose(p);
			if (st != 0)
				print_message("kubectl kustomize failed on \"%s\":\n%s\n", git_commit_summary(c), out.ptr);
			assert_int_equal(st, 0);
			/* kubectl and the built-in check agree on the number of objects */
			assert_int_equal(count_docs(out.ptr), r.n);
			if (log) {
				char hex[10];
				git_oid_tostr(hex, sizeof(hex), &id);
				fprintf(log, "### %s %s\n$ kubectl kustomize %s  # exit 0, %zu objects\n%s\n", hex,
					git_commit_summary(c), path, r.n, out.ptr);
			}
			kc_buf_clear(&out);
			kc_test_rmtree(dir);
			free(dir);
		}
		kc_render_clear(&r);
		git_tree_free(tree);
		git_commit_free(c);
	}
	assert_int_equal(n, want_commits);
	git_revwalk_free(w);
	git_repository_free(repo);
	if (log)
		fclose(log);
}

static char *blob_at(struct fixture *f, const char *ref, const char *path)
{
	git_repository *repo;
	git_object *obj = NULL;
	char spec[700];
	char *out = NULL;
	ok(git_repository_open(&repo, f->remote));
	snprintf(spec, sizeof(spec), "%s:%s", ref, path);
	if (git_revparse_single(&obj, repo, spec) == 0 && git_object_type(obj) == GIT_OBJECT_BLOB)
		out = kc_strndup(git_blob_rawcontent((git_blob *)obj), (size_t)git_blob_rawsize((git_blob *)obj));
	git_error_clear();
	git_object_free(obj);
	git_repository_free(repo);
	return out;
}

static void finding(struct kc_run *run, const char *check, const char *kind, const char *ns, const char *name)
{
	struct kc_result *r = NULL;
	for (size_t i = 0; i < run->nresults; i++)
		if (strcmp(run->results[i].id, check) == 0)
			r = &run->results[i];
	if (!r) {
		r = kc_run_add_result(run);
		r->id = kc_strdup(check);
		r->status = KC_FAIL;
	}
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_OBJECT);
	ev->obj_kind = kc_strdup(kind);
	ev->obj_namespace = kc_strdup(name ? ns : NULL);
	ev->obj_name = kc_strdup(name ? name : ns);
	ev->detail = kc_strdup("finding from the test");
}

static int remediate(struct fixture *f, struct kc_run *run, const char *path, int direct, struct kc_gitops_result *res)
{
	struct kc_gitops_opts o = { .netpol = KC_NETPOL_OPTS_INIT };
	o.repo = f->url;
	o.path = path;
	o.push = 1;
	o.direct = direct;
	o.author = AUTHOR;
	o.workdir = f->tmp;
	kc_gitops_result_init(res);
	return kc_gitops_remediate(run, NULL, &o, res);
}

static char *hook_log(struct fixture *f)
{
	char *s = kc_test_slurp(f->hooklog, NULL);
	return s ? s : kc_strdup("");
}

/* ---- smart HTTP: git http-backend behind a CGI server ------------------------------ */

struct http_server {
	int fd, port;
	pthread_t thread;
	const char *root;      /* GIT_PROJECT_ROOT */
	int requests;
};

static int read_all(int fd, struct kc_buf *b)
{
	char tmp[8192];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		kc_buf_add(b, tmp, (size_t)n);
	return n < 0 ? -1 : 0;
}

/* Request body per Content-Length or chunked transfer coding (how libgit2 streams pushes). */
static int read_body(int c, struct kc_buf *in, size_t hdr_len, struct kc_buf *body)
{
	const char *h = in->ptr;
	const char *cl = strcasestr(h, "\r\ncontent-length:");
	int chunked = strcasestr(h, "\r\ntransfer-encoding: chunked") != NULL;
	char tmp[8192];
	ssize_t n;
	if (!chunked) {
		size_t want = cl && cl < h + hdr_len ? strtoul(cl + 17, NULL, 10) : 0;
		while (in->len - hdr_len < want && (n = read(c, tmp, sizeof(tmp))) > 0)
			kc_buf_add(in, tmp, (size_t)n);
		kc_buf_add(body, in->ptr + hdr_len, in->len - hdr_len < want ? in->len - hdr_len : want);
		return 0;
	}
	size_t pos = hdr_len;
	for (;;) {
		char *eol;
		while ((eol = memmem(in->ptr + pos, in->len - pos, "\r\n", 2)) == NULL) {
			if ((n = read(c, tmp, sizeof(tmp))) <= 0)
				return -1;
			kc_buf_add(in, tmp, (size_t)n);
		}
		size_t size = strtoul(in->ptr + pos, NULL, 16);
		size_t data = (size_t)(eol - in->ptr) + 2;
		while (in->len < data + size + 2) {
			if ((n = read(c, tmp, sizeof(tmp))) <= 0)
				return -1;
			kc_buf_add(in, tmp, (size_t)n);
		}
		if (size == 0)
			return 0;
		kc_buf_add(body, in->ptr + data, size);
		pos = data + size + 2;
	}
}

static void serve_one(struct http_server *h, int c)
{
	struct kc_buf in = KC_BUF_INIT, body = KC_BUF_INIT, out = KC_BUF_INIT;
	char tmp[8192], *end = NULL;
	ssize_t n;
	while (!end && (n = read(c, tmp, sizeof(tmp))) > 0) {
		kc_buf_add(&in, tmp, (size_t)n);
		end = strstr(in.ptr, "\r\n\r\n");
	}
	if (!end)
		goto done;
	size_t hdr_len = (size_t)(end - in.ptr) + 4;
	char method[16] = "", target[1024] = "";
	sscanf(in.ptr, "%15s %1023s", method, target);
	char ctype[256] = "";
	const char *ct = strcasestr(in.ptr, "\r\ncontent-type:");
	if (ct && ct < end)
		sscanf(ct + 15, " %255[^\r]", ctype);
	if (read_body(c, &in, hdr_len, &body) < 0)
		goto done;
	char *q = strchr(target, '?');
	if (q)
		*q++ = '\0';
	int to_cgi[2], from_cgi[2];
	if (pipe(to_cgi) || pipe(from_cgi))
		goto done;
	pid_t pid = fork();
	if (pid == 0) {
		char env[8][1100];
		snprintf(env[0], sizeof(env[0]), "GIT_PROJECT_ROOT=%s", h->root);
		snprintf(env[1], sizeof(env[1]), "GIT_HTTP_EXPORT_ALL=1");
		snprintf(env[2], sizeof(env[2]), "REQUEST_METHOD=%s", method);
		snprintf(env[3], sizeof(env[3]), "PATH_INFO=%s", target);
		snprintf(env[4], sizeof(env[4]), "QUERY_STRING=%s", q ? q : "");
		snprintf(env[5], sizeof(env[5]), "CONTENT_TYPE=%s", ctype);
		snprintf(env[6], sizeof(env[6]), "CONTENT_LENGTH=%zu", body.len);
		snprintf(env[7], sizeof(env[7]), "REMOTE_ADDR=127.0.0.1");
		char *envp[] = { env[0], env[1], env[2], env[3], env[4], env[5], env[6], env[7], "PATH=/usr/bin:/bin", NULL };
		dup2(to_cgi[0], 0);
		dup2(from_cgi[1], 1);
		close(to_cgi[1]);
		close(from_cgi[0]);
		execle("/usr/lib/git-core/git-http-backend", "git-http-backend", (char *)NULL, envp);
		_exit(127);
	}
	close(to_cgi[0]);
	close(from_cgi[1]);
	/* the pack can exceed the pipe: write from a child so that reading never deadlocks */
	pid_t writer = fork();
	if (writer == 0) {
		close(from_cgi[0]);
		size_t off = 0;
		while (off < body.len) {
			ssize_t w = write(to_cgi[1], body.ptr + off, body.len - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		_exit(0);
	}
	close(to_cgi[1]);
	read_all(from_cgi[0], &out);
	close(from_cgi[0]);
	waitpid(writer, NULL, 0);
	waitpid(pid, NULL, 0);
	/* CGI headers -> an HTTP response */
	char *sep = out.ptr ? strstr(out.ptr, "\r\n\r\n") : NULL;
	size_t skip = 4;
	if (!sep && out.ptr) {
		sep = strstr(out.ptr, "\n\n");
		skip = 2;
	}
	if (!sep)
		goto done;
	*sep = '\0';
	int status = 200;
	const char *st = strstr(out.ptr, "Status: ");
	if (st)
		status = atoi(st + 8);
	struct kc_buf resp = KC_BUF_INIT;
	kc_buf_printf(&resp, "HTTP/1.1 %d X\r\n", status);
	for (char *line = strtok(out.ptr, "\r\n"); line; line = strtok(NULL, "\r\n"))
		if (strncmp(line, "Status:", 7) != 0)
			kc_buf_printf(&resp, "%s\r\n", line);
	size_t blen = out.len - (size_t)(sep + skip - out.ptr);
	kc_buf_printf(&resp, "Content-Length: %zu\r\nConnection: close\r\n\r\n", blen);
	kc_buf_add(&resp, sep + skip, blen);
	size_t off = 0;
	while (off < resp.len) {
		ssize_t w = write(c, resp.ptr + off, resp.len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	kc_buf_clear(&resp);
	h->requests++;
done:
	kc_buf_clear(&in);
	kc_buf_clear(&body);
	kc_buf_clear(&out);
}

static void *http_main(void *arg)
{
	struct http_server *h = arg;
	for (;;) {
		int c = accept(h->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		serve_one(h, c);
		close(c);
	}
}

static void http_start(struct http_server *h, const char *root)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	h->root = root;
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(h->fd, 8), 0);
	getsockname(h->fd, (struct sockaddr *)&a, &al);
	h->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&h->thread, NULL, http_main, h), 0);
}

static void http_stop(struct http_server *h)
{
	shutdown(h->fd, SHUT_RDWR);
	pthread_join(h->thread, NULL);
	close(h->fd);
}

/* ---- tests ---------------------------------------------------------------------------- */

/* clusters/prod: Namespace shop and ServiceAccount shop/default are already declared, so
 * the PSA and service-account fixes are patches listed under `patches:`, never a second
 * declaration; new NetworkPolicies are listed in shop's own kustomization; comments and
 * layout of both kustomizations survive. Pushed over git:// through a pre-receive hook. */
static void test_argocd_cluster_dir_patches_declared_objects_and_builds(void **state)
{
	struct fixture *f = *state;
	struct kc_run run;
	memset(&run, 0, sizeof(run));
	run.id = 41;
	run.cluster = kc_strdup("prod");
	finding(&run, "5.3.2", "Namespace", "shop", NULL);
	finding(&run, "5.1.5", "ServiceAccount", "shop", "default");
	finding(&run, "5.2.1", "Namespace", "shop", NULL);
	struct kc_gitops_result res;
	assert_int_equal(remediate(f, &run, "clusters/prod", 0, &res), 0);
	assert_true(res.pushed);
	assert_int_equal(res.ncommits, 3);
	char ref[300];
	snprintf(ref, sizeof(ref), "refs/heads/%s", res.branch);

	char *root = blob_at(f, ref, "clusters/prod/kustomization.yaml");
	assert_non_null(strstr(root, "# prod: one directory per namespace, the namespaces declared once here\n"));
	assert_non_null(strstr(root, "  - namespaces.yaml   # keep first\n  - shop\n  # team-a is onboarded next sprint\n"));
	assert_non_null(strstr(root, "patches:\n- path: shop/serviceaccount-default.yaml\n- path: shop/namespace-pod-security.yaml\n"));
	char *shop = blob_at(f, ref, "clusters/prod/shop/kustomization.yaml");
	assert_string_equal(shop, "resources:\n- web.yaml\n- serviceaccount.yaml\n- networkpolicy-default-deny.yaml\n");
	char *ns = blob_at(f, ref, "clusters/prod/shop/namespace-pod-security.yaml");
	assert_non_null(strstr(ns, "kustomize.toolkit.fluxcd.io/prune: disabled"));
	assert_non_null(strstr(ns, "argocd.argoproj.io/sync-options: Prune=false,Delete=false"));
	free(root);
	free(shop);
	free(ns);
	check_every_commit(f, ref, "clusters/prod", 3);

	/* the hook saw the branch only */
	char *hl = hook_log(f);
	assert_non_null(strstr(hl, res.branch));
	assert_null(strstr(hl, "refs/heads/main"));
	free(hl);
	kc_gitops_result_clear(&res);

	/* --direct to the protected main: the hook refuses, the error says so */
	assert_int_not_equal(remediate(f, &run, "clusters/prod", 1, &res), 0);
	print_message("direct push: %s\n", kc_error_last());
	assert_non_null(strstr(kc_error_last(), "main is protected"));
	assert_non_null(strstr(res.log.ptr, "was not pushed"));
	kc_gitops_result_clear(&res);
	kc_run_clear(&run);
}

/* kustomize-guestbook has namePrefix: the default-deny NetworkPolicy is fine (a new
 * object; its name gets the prefix), the default service account is refused with the
 * reason; helm-guestbook gets templates/; guestbook (a plain directory) gets flat files. */
static void test_argocd_example_apps_layouts(void **state)
{
	struct fixture *f = *state;
	struct kc_run run;
	memset(&run, 0, sizeof(run));
	run.id = 42;
	run.cluster = kc_strdup("in-cluster");
	finding(&run, "5.3.2", "Namespace", "guestbook", NULL);
	finding(&run, "5.1.5", "ServiceAccount", "guestbook", "default");
	struct kc_gitops_result res;

	assert_int_equal(remediate(f, &run, "kustomize-guestbook", 0, &res), 0);
	assert_int_equal(res.ncommits, 1);
	assert_non_null(strstr(res.plan->notes.ptr, "namePrefix"));
	char ref[300];
	snprintf(ref, sizeof(ref), "refs/heads/%s", res.branch);
	char *k = blob_at(f, ref, "kustomize-guestbook/kustomization.yaml");
	assert_string_equal(k, "namePrefix: kustomize-\n\nresources:\n- guestbook-ui-deployment.yaml\n- guestbook-ui-svc.yaml\n"
			       "- guestbook/networkpolicy-default-deny.yaml\n");
	free(k);
	check_every_commit(f, ref, "kustomize-guestbook", 1);
	kc_gitops_result_clear(&res);

	assert_int_equal(remediate(f, &run, "helm-guestbook", 0, &res), 0);
	snprintf(ref, sizeof(ref), "refs/heads/%s", res.branch);
	char *t = blob_at(f, ref, "helm-guestbook/templates/kubecomply-guestbook-networkpolicy-default-deny.yaml");
	assert_non_null(t);
	free(t);
	assert_non_null(strstr(res.plan->notes.ptr, "Helm chart"));
	kc_gitops_result_clear(&res);

	assert_int_equal(remediate(f, &run, "guestbook", 0, &res), 0);
	snprintf(ref, sizeof(ref), "refs/heads/%s", res.branch);
	t = blob_at(f, ref, "guestbook/guestbook-networkpolicy-default-deny.yaml");
	assert_non_null(t);
	free(t);
	assert_null(blob_at(f, ref, "guestbook/guestbook/networkpolicy-default-deny.yaml"));
	assert_non_null(strstr(res.plan->notes.ptr, "non-recursive directory source"));
	kc_gitops_result_clear(&res);
	/* three targets, three branches */
	kc_run_clear(&run);
}

/* Flux: apps/production renders ../base/podinfo, whose kustomization sets namespace:
 * podinfo and declares the Namespace. The podinfo fixes build (the Namespace is patched),
 * a finding for another namespace is refused because the transformer would move it. */
static void test_flux_fleet_overlay_honours_namespace_transformer(void **state)
{
	struct fixture *f = *state;
	struct kc_run run;
	memset(&run, 0, sizeof(run));
	run.id = 43;
	run.cluster = kc_strdup("production");
	finding(&run, "5.3.2", "Namespace", "podinfo", NULL);
	finding(&run, "5.2.1", "Namespace", "podinfo", NULL);
	struct kc_gitops_result res;
	assert_int_equal(remediate(f, &run, "apps/production", 0, &res), 0);
	assert_int_equal(res.ncommits, 2);
	char ref[300];
	snprintf(ref, sizeof(ref), "refs/heads/%s", res.branch);
	char *k = blob_at(f, ref, "apps/production/kustomization.yaml");
	assert_string_equal(k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base/podinfo\n"
			       "  - podinfo/networkpolicy-default-deny.yaml\n"
			       "patches:\n  - path: podinfo-values.yaml\n    target:\n      kind: HelmRelease\n"
			       "  - path: podinfo/namespace-pod-security.yaml\n");
	free(k);
	check_every_commit(f, ref, "apps/production", 2);
	kc_gitops_result_clear(&res);

	/* staging sets namespace: podinfo at the top: a fix for another namespace is refused */
	struct kc_run other;
	memset(&other, 0, sizeof(other));
	other.id = 44;
	other.cluster = kc_strdup("staging");
	finding(&other, "5.3.2", "Namespace", "web", NULL);
	assert_int_equal(remediate(f, &other, "apps/staging", 0, &res), 0);
	assert_null(res.branch);
	assert_non_null(strstr(res.plan->notes.ptr, "sets `namespace: podinfo`"));
	kc_gitops_result_clear(&res);
	kc_run_clear(&other);
	kc_run_clear(&run);
}

/* The same flow over smart HTTP (git http-backend, receive-pack enabled): the branch is
 * pushed through the hook, a second run with a new finding rebuilds it, and --direct to
 * the protected main is refused with the hook's words. */
static void test_smart_http_push_through_hook(void **state)
{
	struct fixture *f = *state;
	if (access("/usr/lib/git-core/git-http-backend", X_OK) != 0) {
		print_message("kc-skip: git-http-backend not installed\n");
		skip();
	}
	git_repository *r;
	git_config *cfg;
	ok(git_repository_open(&r, f->remote));
	ok(git_repository_config(&cfg, r));
	ok(git_config_set_bool(cfg, "http.receivepack", 1));
	git_config_free(cfg);
	git_repository_free(r);
	struct http_server h = { 0 };
	http_start(&h, f->tmp);
	char url[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/remote.git", h.port);
	snprintf(f->url, sizeof(f->url), "%s", url);

	struct kc_run run;
	memset(&run, 0, sizeof(run));
	run.id = 45;
	run.cluster = kc_strdup("prod");
	finding(&run, "5.3.2", "Namespace", "shop", NULL);
	struct kc_gitops_result res;
	int rc = remediate(f, &run, "clusters/prod", 0, &res);
	if (rc)
		print_message("%s\n%s", kc_error_last(), res.log.ptr);
	assert_int_equal(rc, 0);
	assert_true(res.pushed && res.created);
	char ref[300];
	snprintf(ref, sizeof(ref), "refs/heads/%s", res.branch);
	kc_gitops_result_clear(&res);
	finding(&run, "5.3.2", "Namespace", "team-a", NULL);
	assert_int_equal(remediate(f, &run, "clusters/prod", 0, &res), 0);
	assert_true(res.pushed && res.changed && !res.created);
	kc_gitops_result_clear(&res);
	char *dd = blob_at(f, ref, "clusters/prod/team-a/networkpolicy-default-deny.yaml");
	assert_non_null(dd);
	free(dd);
	check_every_commit(f, ref, "clusters/prod", 1);

	assert_int_not_equal(remediate(f, &run, "clusters/prod", 1, &res), 0);
	assert_non_null(strstr(kc_error_last(), "main is protected"));
	kc_gitops_result_clear(&res);
	char *hl = hook_log(f);
	assert_non_null(strstr(hl, ref));
	free(hl);
	assert_true(h.requests >= 6);
	http_stop(&h);
	kc_run_clear(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_argocd_cluster_dir_patches_declared_objects_and_builds, setup_argocd, teardown),
		cmocka_unit_test_setup_teardown(test_argocd_example_apps_layouts, setup_argocd, teardown),
		cmocka_unit_test_setup_teardown(test_flux_fleet_overlay_honours_namespace_transformer, setup_flux, teardown),
		cmocka_unit_test_setup_teardown(test_smart_http_push_through_hook, setup_argocd, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
