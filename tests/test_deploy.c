/* deploy/: the manifests users apply. Every YAML file parses; every kustomization lists files
 * that exist; the exceptions ConfigMap carries deploy/exceptions.yaml byte for byte and the
 * file loads with the section-5 loader, no entry expired; every workload of the base and the
 * overlays is hardened beyond what section 5 checks (read-only root filesystem, requests and
 * limits, RuntimeDefault seccomp, no privilege escalation, ALL capabilities dropped, host
 * mounts read-only except the evidence directory); and the self-audit: `kubecomply audit
 * --targets policies --manifests deploy --exceptions deploy/exceptions.yaml` has no FAIL.
 * Run from the checkout's top directory (as `make test` does). */
#include "kc_test.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "checks/k8s/exceptions.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "common/yaml.h"

#define REQUIRE_DEPLOY()                                                                 \
	do {                                                                             \
		struct stat sb_;                                                         \
		if (stat("deploy/exceptions.yaml", &sb_) != 0) {                         \
			print_message("kc-skip: deploy/ not found (run from the checkout)\n"); \
			skip();                                                          \
		}                                                                        \
	} while (0)

/* ---- walking deploy/ ---- */

typedef void (*doc_fn)(const char *path, struct json_object *doc, void *arg);

static void load_docs(const char *path, doc_fn fn, void *arg)
{
	size_t len;
	char *text = kc_test_slurp(path, &len);
	assert_non_null(text);
	struct kc_yaml y;
	int rc = kc_yaml_load(&y, path, text, len);
	if (rc < 0)
		fail_msg("%s", kc_error_last());
	for (size_t i = 0; i < y.ndocs; i++) {
		struct json_object *o = NULL;
		assert_int_equal(kc_yaml_to_json(&y.docs[i], kc_yaml_root(&y, i), 1000000, &o), 0);
		if (o)
			fn(path, o, arg);
		json_object_put(o);
	}
	kc_yaml_clear(&y);
	free(text);
}

static void walk(const char *dir, doc_fn fn, void *arg, size_t *nfiles)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct stat sb;
		assert_int_equal(lstat(path, &sb), 0);
		size_t n = strlen(de->d_name);
		if (S_ISDIR(sb.st_mode))
			walk(path, fn, arg, nfiles);
		else if (n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0) {
			load_docs(path, fn, arg);
			(*nfiles)++;
		}
	}
	closedir(d);
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* ---- parse + kustomizations ---- */

static void check_kustomization(const char *path, struct json_object *doc, void *arg)
{
	size_t *n = arg;
	const char *kind = str(doc, "kind");
	if (!kind || strcmp(kind, "Kustomization") != 0)
		return;
	(*n)++;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	struct json_object *res = get(doc, "resources");
	assert_non_null(res);
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		const char *r = json_object_get_string(json_object_array_get_idx(res, i));
		char p[8192];
		snprintf(p, sizeof(p), "%s/%s", dir, r);
		struct stat sb;
		if (stat(p, &sb) != 0)
			fail_msg("%s: resource %s does not exist", path, r);
		if (S_ISDIR(sb.st_mode)) {
			snprintf(p, sizeof(p), "%s/%s/kustomization.yaml", dir, r);
			if (stat(p, &sb) != 0)
				fail_msg("%s: resource %s is a directory without kustomization.yaml", path, r);
		}
	}
}

static void test_parse_and_kustomizations(void **state)
{
	(void)state;
	REQUIRE_DEPLOY();
	size_t files = 0, kustomizations = 0;
	walk("deploy", check_kustomization, &kustomizations, &files);
	assert_true(files >= 15);
	/* base and the four overlays */
	assert_true(kustomizations >= 5);
}

/* ---- exceptions ---- */

struct cm_check {
	const char *file;
	int found;
};

static void check_configmap(const char *path, struct json_object *doc, void *arg)
{
	struct cm_check *cm = arg;
	const char *kind = str(doc, "kind");
	const char *name = str(get(doc, "metadata"), "name");
	if (!kind || strcmp(kind, "ConfigMap") != 0 || !name || strcmp(name, "kubecomply-exceptions") != 0)
		return;
	const char *data = str(get(doc, "data"), "exceptions.yaml");
	assert_non_null(data);
	if (strcmp(data, cm->file) != 0)
		fail_msg("%s differs from deploy/exceptions.yaml: regenerate the ConfigMap from the file", path);
	cm->found = 1;
}

static void test_exceptions(void **state)
{
	(void)state;
	REQUIRE_DEPLOY();
	size_t len;
	char *text = kc_test_slurp("deploy/exceptions.yaml", &len);
	assert_non_null(text);
	struct cm_check cm = { text, 0 };
	load_docs("deploy/base/exceptions-configmap.yaml", check_configmap, &cm);
	assert_int_equal(cm.found, 1);

	struct kc_exceptions *ex = NULL;
	int rc = kc_exceptions_load("deploy/exceptions.yaml", &ex);
	if (rc < 0)
		fail_msg("%s", kc_error_last());
	assert_true(ex->n >= 5);
	time_t now = time(NULL);
	for (size_t i = 0; i < ex->n; i++) {
		assert_true(ex->items[i].reason && strlen(ex->items[i].reason) > 20);
		if (ex->items[i].until <= now)
			fail_msg("deploy/exceptions.yaml:%ld: expired on %s: review it and the manifests it excuses",
				 ex->items[i].line, ex->items[i].expires);
		/* only the node namespace is excused (and Argo CD's, which deploy/ does not own) */
		assert_true(strncmp(ex->items[i].ns_glob ? ex->items[i].ns_glob : ex->items[i].name_glob,
				    "kubecomply-node", 15) == 0 ||
			    strcmp(ex->items[i].ns_glob ? ex->items[i].ns_glob : ex->items[i].name_glob, "argocd") == 0);
	}
	kc_exceptions_free(ex);
	free(text);
}

/* ---- hardening beyond section 5 ---- */

struct hard {
	size_t workloads;
	struct kc_buf problems;
};

static int in_list(struct json_object *arr, const char *s)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
			return 1;
	return 0;
}

static void problem(struct hard *h, const char *path, const char *name, const char *what)
{
	kc_buf_printf(&h->problems, "  %s %s: %s\n", path, name, what);
}

static void check_pod(struct hard *h, const char *path, const char *name, struct json_object *spec)
{
	struct json_object *psc = get(spec, "securityContext");
	const char *seccomp = str(get(psc, "seccompProfile"), "type");
	if (!seccomp || strcmp(seccomp, "RuntimeDefault") != 0)
		problem(h, path, name, "pod seccompProfile is not RuntimeDefault");
	/* the host directories mounted read-write: only the evidence directory */
	struct json_object *vols = get(spec, "volumes"), *cts = get(spec, "containers");
	for (size_t c = 0; cts && c < json_object_array_length(cts); c++) {
		struct json_object *ct = json_object_array_get_idx(cts, c), *sc = get(ct, "securityContext");
		struct json_object *ro = get(sc, "readOnlyRootFilesystem"), *ape = get(sc, "allowPrivilegeEscalation");
		if (!ro || !json_object_get_boolean(ro))
			problem(h, path, name, "readOnlyRootFilesystem is not true");
		if (!ape || json_object_get_boolean(ape))
			problem(h, path, name, "allowPrivilegeEscalation is not false");
		if (!in_list(get(get(sc, "capabilities"), "drop"), "ALL"))
			problem(h, path, name, "capabilities.drop lacks ALL");
		struct json_object *res = get(ct, "resources");
		if (!get(get(res, "requests"), "cpu") || !get(get(res, "requests"), "memory") ||
		    !get(get(res, "limits"), "memory") || !get(get(res, "limits"), "cpu"))
			problem(h, path, name, "cpu/memory requests and limits are not all set");
		struct json_object *mounts = get(ct, "volumeMounts");
		for (size_t m = 0; mounts && m < json_object_array_length(mounts); m++) {
			struct json_object *mt = json_object_array_get_idx(mounts, m);
			const char *vname = str(mt, "name");
			struct json_object *ro_m = get(mt, "readOnly");
			for (size_t v = 0; vols && v < json_object_array_length(vols); v++) {
				struct json_object *vol = json_object_array_get_idx(vols, v);
				const char *hp = str(get(vol, "hostPath"), "path");
				if (!hp || strcmp(str(vol, "name"), vname) != 0)
					continue;
				if (strcmp(hp, "/var/lib/kubecomply") != 0 && (!ro_m || !json_object_get_boolean(ro_m)))
					problem(h, path, name, "a host path other than /var/lib/kubecomply is mounted writable");
			}
		}
	}
	/* non-root wherever no host access is needed */
	int host = get(spec, "hostPID") && json_object_get_boolean(get(spec, "hostPID"));
	struct json_object *nonroot = get(psc, "runAsNonRoot");
	if (!host && (!nonroot || !json_object_get_boolean(nonroot)))
		problem(h, path, name, "a pod without host access does not set runAsNonRoot: true");
	h->workloads++;
}

static void check_workload(const char *path, struct json_object *doc, void *arg)
{
	const char *kind = str(doc, "kind");
	const char *name = str(get(doc, "metadata"), "name");
	struct json_object *spec = get(doc, "spec");
	if (!kind)
		return;
	if (strcmp(kind, "CronJob") == 0)
		spec = get(get(spec, "jobTemplate"), "spec");
	if (strcmp(kind, "CronJob") == 0 || strcmp(kind, "Job") == 0 || strcmp(kind, "DaemonSet") == 0 ||
	    strcmp(kind, "Deployment") == 0)
		check_pod(arg, path, name ? name : "?", get(get(spec, "template"), "spec"));
}

static void test_hardening(void **state)
{
	(void)state;
	REQUIRE_DEPLOY();
	struct hard h = { .problems = KC_BUF_INIT };
	size_t files = 0;
	walk("deploy/base", check_workload, &h, &files);
	walk("deploy/overlays", check_workload, &h, &files);
	if (h.problems.len)
		fail_msg("workloads not hardened:\n%s", h.problems.ptr);
	/* cluster CronJob + Job, two node CronJobs + one Job, two watch DaemonSets */
	assert_true(h.workloads >= 7);
	kc_buf_clear(&h.problems);
}

/* ---- the self-audit ---- */

static void test_self_audit(void **state)
{
	(void)state;
	REQUIRE_DEPLOY();
	char *dir = kc_test_mkdtemp();
	char db[4200], json[4200];
	snprintf(db, sizeof(db), "%s/self.db", dir);
	snprintf(json, sizeof(json), "%s/self.json", dir);
	char *out = NULL;
	const char *argv[] = { "audit", "--targets", "policies", "--manifests", "deploy", "--exceptions",
			       "deploy/exceptions.yaml", "--db", db, "--json", json, "--fail-on", "FAIL", "--quiet", NULL };
	int rc = kc_test_run(&out, argv);
	if (rc == 2 && out && (strstr(out, "manifests") || strstr(out, "exceptions")) &&
	    (strstr(out, "unrecognized") || strstr(out, "unknown") || strstr(out, "usage"))) {
		print_message("kc-skip: this kubecomply does not accept --manifests/--exceptions yet\n");
		free(out);
		kc_test_rmtree(dir);
		free(dir);
		skip();
	}
	struct json_object *root = json_object_from_file(json), *results = NULL;
	if (!root)
		fail_msg("no JSON report (exit %d):\n%s", rc, out ? out : "");
	assert_true(json_object_object_get_ex(root, "results", &results));
	struct kc_buf failing = KC_BUF_INIT;
	size_t n5 = 0;
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		struct json_object *r = json_object_array_get_idx(results, i);
		const char *id = str(r, "id");
		assert_true(strncmp(id, "5.", 2) == 0);
		n5++;
		if (strcmp(str(r, "status"), "FAIL") != 0)
			continue;
		const char *actual = str(r, "actual");
		kc_buf_printf(&failing, "  %s %s\n", id, actual ? actual : "");
		struct json_object *ev = get(r, "evidence");
		for (size_t k = 0; ev && k < json_object_array_length(ev); k++) {
			struct json_object *e = json_object_array_get_idx(ev, k);
			if (strcmp(str(e, "kind"), "object") != 0)
				continue;
			const char *src = str(e, "source"), *okind = str(e, "object_kind"), *ons = str(e, "object_namespace"),
				   *oname = str(e, "object_name"), *detail = str(e, "detail");
			kc_buf_printf(&failing, "    %s %s/%s (%s): %s\n", okind ? okind : "?", ons ? ons : "-",
				      oname ? oname : "?", src ? src : "?", detail ? detail : "");
		}
	}
	if (failing.len)
		fail_msg("section 5 fails on deploy/ (fix the manifest, or document an exception with its reason in "
			 "deploy/exceptions.yaml):\n%s", failing.ptr);
	assert_true(n5 >= 34); /* every section-5 check of cis-1.12 ran */
	assert_int_equal(rc, 0);
	kc_buf_clear(&failing);
	json_object_put(root);
	free(out);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_kustomizations),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_hardening),
		cmocka_unit_test(test_self_audit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
