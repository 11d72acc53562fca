/* Generators, name validation, kustomization editing and planning, without git: every
 * manifest is parsed back with common/yaml.h and asserted on as objects. */
#include "kc_test.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "store/run.h"
#include "common/error.h"
#include "common/yaml.h"
#include "remediation/flows.h"
#include "remediation/kustomize.h"
#include "remediation/manifest.h"
#include "remediation/names.h"
#include "remediation/plan.h"
#include "remediation/render.h"

/* ---- helpers ---------------------------------------------------------------------- */

/* Every document of a YAML stream as json-c objects. */
static size_t parse_docs(const char *text, struct json_object **docs, size_t max)
{
	struct kc_yaml y;
	assert_int_equal(kc_yaml_load(&y, "generated", text, strlen(text)), 0);
	assert_true(y.ndocs <= max);
	for (size_t i = 0; i < y.ndocs; i++)
		assert_int_equal(kc_yaml_to_json(&y.docs[i], kc_yaml_root(&y, i), 10000, &docs[i]), 0);
	size_t n = y.ndocs;
	kc_yaml_clear(&y);
	return n;
}

static void free_docs(struct json_object **docs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(docs[i]);
}

/* "a.b.0.c" through objects and arrays. */
static struct json_object *jpath(struct json_object *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for (char *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array)) {
			size_t idx = strtoul(t, NULL, 10);
			o = idx < json_object_array_length(o) ? json_object_array_get_idx(o, idx) : NULL;
		} else if (!json_object_object_get_ex(o, t, &o)) {
			o = NULL;
		}
	}
	return o;
}

/* Keys containing dots (label names) need a separate lookup. */
static const char *jget(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jpath(o, path);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static size_t jlen(struct json_object *o, const char *path)
{
	struct json_object *v = jpath(o, path);
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v);
	if (json_object_is_type(v, json_type_object))
		return (size_t)json_object_object_length(v);
	return 0;
}

static struct kc_evidence *obj_ev(struct kc_result *r, const char *kind, const char *ns, const char *name)
{
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_OBJECT);
	ev->obj_kind = kc_strdup(kind);
	ev->obj_namespace = kc_strdup(ns);
	ev->obj_name = kc_strdup(name);
	ev->detail = kc_strdup("seen in test");
	return ev;
}

static struct kc_result *fail_result(struct kc_run *run, const char *id)
{
	struct kc_result *r = kc_run_add_result(run);
	r->id = kc_strdup(id);
	r->status = KC_FAIL;
	return r;
}

static const struct kc_manifest_meta meta7 = { "5.3.2", 7 };

/* ---- default deny --------------------------------------------------------------------- */

static void test_default_deny_parses_and_selects(void **state)
{
	(void)state;
	struct kc_buf out = KC_BUF_INIT;
	struct kc_netpol_opts o = KC_NETPOL_OPTS_INIT;
	struct kc_flow_set fs;
	kc_flows_init(&fs);
	kc_flows_add_json(&fs, "2026-01-01T00:00:00Z",
			  "{\"src_namespace\":\"shop\",\"src_labels\":{\"app\":\"web\"},\"src_ip\":\"10.0.0.5\","
			  "\"dst_ip\":\"172.18.0.2\",\"dst_port\":6443,\"protocol\":\"TCP\",\"dst_service\":\"default/kubernetes\"}");
	kc_flows_finish(&fs);
	assert_int_equal(kc_manifest_default_deny(&out, "shop", &o, &fs, &meta7), 0);

	struct json_object *d[8];
	size_t n = parse_docs(out.ptr, d, 8);
	assert_int_equal(n, 4);
	/* 1: the deny itself selects every pod, both directions, nothing allowed */
	assert_string_equal(jstr(d[0], "kind"), "NetworkPolicy");
	assert_string_equal(jstr(d[0], "apiVersion"), "networking.k8s.io/v1");
	assert_string_equal(jstr(d[0], "metadata.name"), "kubecomply-default-deny");
	assert_string_equal(jstr(d[0], "metadata.namespace"), "shop");
	assert_string_equal(jget(jpath(d[0], "metadata.labels"), KC_MANAGED_BY_LABEL), "kubecomply");
	assert_string_equal(jget(jpath(d[0], "metadata.annotations"), KC_ANN_CHECK), "5.3.2");
	assert_string_equal(jget(jpath(d[0], "metadata.annotations"), KC_ANN_RUN), "7");
	assert_non_null(jpath(d[0], "spec.podSelector"));
	assert_int_equal(jlen(d[0], "spec.podSelector"), 0);
	assert_int_equal(jlen(d[0], "spec.policyTypes"), 2);
	assert_string_equal(jstr(d[0], "spec.policyTypes.0"), "Ingress");
	assert_string_equal(jstr(d[0], "spec.policyTypes.1"), "Egress");
	assert_null(jpath(d[0], "spec.ingress"));
	assert_null(jpath(d[0], "spec.egress"));
	/* 2: DNS to kube-dns on UDP and TCP 53 */
	assert_string_equal(jstr(d[1], "metadata.name"), "kubecomply-allow-dns");
	assert_string_equal(jget(jpath(d[1], "spec.egress.0.to.0.namespaceSelector.matchLabels"), "kubernetes.io/metadata.name"), "kube-system");
	assert_string_equal(jstr(d[1], "spec.egress.0.to.0.podSelector.matchLabels.k8s-app"), "kube-dns");
	assert_string_equal(jstr(d[1], "spec.egress.0.ports.0.protocol"), "UDP");
	assert_int_equal(json_object_get_int(jpath(d[1], "spec.egress.0.ports.0.port")), 53);
	assert_true(json_object_is_type(jpath(d[1], "spec.egress.0.ports.0.port"), json_type_int));
	assert_string_equal(jstr(d[1], "spec.egress.0.ports.1.protocol"), "TCP");
	/* 3: same namespace both ways */
	assert_string_equal(jstr(d[2], "metadata.name"), "kubecomply-allow-same-namespace");
	assert_int_equal(jlen(d[2], "spec.ingress.0.from.0.podSelector"), 0);
	assert_null(jpath(d[2], "spec.ingress.0.from.0.namespaceSelector"));
	assert_int_equal(jlen(d[2], "spec.egress.0.to.0.podSelector"), 0);
	/* 4: the API server endpoint that was observed, and only that */
	assert_string_equal(jstr(d[3], "metadata.name"), "kubecomply-allow-apiserver");
	assert_int_equal(jlen(d[3], "spec.egress"), 1);
	assert_string_equal(jstr(d[3], "spec.egress.0.to.0.ipBlock.cidr"), "172.18.0.2/32");
	assert_int_equal(json_object_get_int(jpath(d[3], "spec.egress.0.ports.0.port")), 6443);
	free_docs(d, n);

	/* ingress-only: the deny and same-namespace ingress, no egress anywhere */
	kc_buf_reset(&out);
	o.ingress_only = 1;
	assert_int_equal(kc_manifest_default_deny(&out, "shop", &o, &fs, &meta7), 0);
	n = parse_docs(out.ptr, d, 8);
	assert_int_equal(n, 2);
	assert_int_equal(jlen(d[0], "spec.policyTypes"), 1);
	assert_string_equal(jstr(d[0], "spec.policyTypes.0"), "Ingress");
	assert_null(jpath(d[1], "spec.egress"));
	assert_non_null(jpath(d[1], "spec.ingress"));
	free_docs(d, n);

	/* every allowance switched off: the deny alone; no API server policy without flows */
	kc_buf_reset(&out);
	struct kc_netpol_opts none = { 0, 0, 0, 0, NULL };
	assert_int_equal(kc_manifest_default_deny(&out, "shop", &none, NULL, &meta7), 0);
	n = parse_docs(out.ptr, d, 8);
	assert_int_equal(n, 1);
	free_docs(d, n);
	kc_buf_clear(&out);
	kc_flows_clear(&fs);
}

static void test_psa_and_service_account(void **state)
{
	(void)state;
	struct kc_buf out = KC_BUF_INIT;
	struct kc_manifest_meta m = { "5.2.1", 3 };
	struct json_object *d[2];
	assert_int_equal(kc_manifest_psa_namespace(&out, "shop", KC_PSA_OBSERVE, NULL, &m), 0);
	size_t n = parse_docs(out.ptr, d, 2);
	assert_int_equal(n, 1);
	struct json_object *labels = jpath(d[0], "metadata.labels");
	assert_string_equal(jstr(d[0], "kind"), "Namespace");
	assert_string_equal(jstr(d[0], "metadata.name"), "shop");
	assert_string_equal(jget(labels, "pod-security.kubernetes.io/warn"), "restricted");
	assert_string_equal(jget(labels, "pod-security.kubernetes.io/audit"), "restricted");
	assert_null(jget(labels, "pod-security.kubernetes.io/enforce"));
	assert_string_equal(jget(jpath(d[0], "metadata.annotations"), "argocd.argoproj.io/sync-options"), "Prune=false,Delete=false");
	free_docs(d, n);

	kc_buf_reset(&out);
	assert_int_equal(kc_manifest_psa_namespace(&out, "shop", KC_PSA_ENFORCE, "baseline", &m), 0);
	n = parse_docs(out.ptr, d, 2);
	assert_string_equal(jget(jpath(d[0], "metadata.labels"), "pod-security.kubernetes.io/enforce"), "baseline");
	assert_string_equal(jget(jpath(d[0], "metadata.labels"), "pod-security.kubernetes.io/warn"), "restricted");
	free_docs(d, n);

	kc_buf_reset(&out);
	m.check_id = "5.1.5";
	assert_int_equal(kc_manifest_service_account(&out, "shop", "default", &m), 0);
	n = parse_docs(out.ptr, d, 2);
	assert_string_equal(jstr(d[0], "kind"), "ServiceAccount");
	assert_string_equal(jstr(d[0], "metadata.name"), "default");
	assert_string_equal(jstr(d[0], "metadata.namespace"), "shop");
	struct json_object *am = jpath(d[0], "automountServiceAccountToken");
	assert_true(json_object_is_type(am, json_type_boolean));
	assert_false(json_object_get_boolean(am));
	assert_int_equal(kc_manifest_run_id(out.ptr, out.len), 3);
	free_docs(d, n);
	kc_buf_clear(&out);
}

/* ---- names ---------------------------------------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	char long63[64], long64[65];
	memset(long63, 'a', 63);
	long63[63] = '\0';
	memset(long64, 'a', 64);
	long64[64] = '\0';
	assert_int_equal(kc_names_check_label("namespace", "shop-1"), 0);
	assert_int_equal(kc_names_check_label("namespace", long63), 0);
	const char *bad[] = { "../../etc", "a/b", "/etc", "..", ".", "", "Shop", "-a", "a-", "a_b", "a.b", "a b", "a\nb", long64 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kc_names_check_label("namespace", bad[i]), KC_EUNSAFE);
	assert_int_equal(kc_names_check_relpath("--path", "clusters/prod"), 0);
	assert_int_equal(kc_names_check_relpath("--path", "clusters/prod/"), 0);
	assert_int_equal(kc_names_check_relpath("--path", ".github/clusters"), 0);
	assert_int_equal(kc_names_check_relpath("--path", "a/.GIT/b"), KC_EUNSAFE);
	const char *badp[] = { "/abs", "../x", "a/../b", "a//b", ".git/hooks", "a/.git", "a\\b", "" };
	for (size_t i = 0; i < sizeof(badp) / sizeof(badp[0]); i++)
		assert_int_equal(kc_names_check_relpath("--path", badp[i]), KC_EUNSAFE);
	assert_int_equal(kc_names_check_label_key("app.kubernetes.io/name"), 0);
	assert_int_equal(kc_names_check_label_key("bad key"), KC_EUNSAFE);
	assert_int_equal(kc_names_check_label_value("app", ""), 0);
	assert_int_equal(kc_names_check_label_value("app", "a/b"), KC_EUNSAFE);
}

static const char *read_none_payload = NULL;
static int read_none(void *payload, enum kc_plan_tree which, const char *path, char **out, size_t *len)
{
	(void)payload; (void)which; (void)path;
	read_none_payload = "called";
	*out = NULL;
	*len = 0;
	return 0;
}

static void test_hostile_names_plan_nothing(void **state)
{
	(void)state;
	char longname[80];
	memset(longname, 'x', 79);
	longname[79] = '\0';
	const char *hostile[] = { "../../etc", "a/b", longname, "kube/../../../root" };
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct kc_run run = { .id = 4 };
		obj_ev(fail_result(&run, "5.3.2"), "Namespace", NULL, "fine");
		obj_ev(fail_result(&run, "5.3.2"), "Namespace", NULL, hostile[i]);
		struct kc_plan_opts po = KC_PLAN_OPTS_INIT;
		struct kc_plan *plan = (struct kc_plan *)0x1;
		po.path = "clusters/prod";
		po.read = read_none;
		read_none_payload = NULL;
		assert_int_equal(kc_plan_build(&run, &po, &plan), KC_EUNSAFE);
		assert_null(plan);
		/* refused before the repository was even read */
		assert_null(read_none_payload);
		assert_non_null(strstr(kc_error_last(), "DNS-1123") ? kc_error_last() : strstr(kc_error_last(), "63"));
		kc_run_clear(&run);
	}
	/* a hostile service-account namespace as well, and a hostile --path */
	struct kc_run run = { .id = 4 };
	obj_ev(fail_result(&run, "5.1.5"), "ServiceAccount", "../x", "default");
	struct kc_plan_opts po = KC_PLAN_OPTS_INIT;
	struct kc_plan *plan = NULL;
	po.path = "clusters/prod";
	assert_int_equal(kc_plan_build(&run, &po, &plan), KC_EUNSAFE);
	kc_run_clear(&run);
	struct kc_run ok = { .id = 4 };
	obj_ev(fail_result(&ok, "5.3.2"), "Namespace", NULL, "shop");
	po.path = "../outside";
	assert_int_equal(kc_plan_build(&ok, &po, &plan), KC_EUNSAFE);
	assert_null(plan);
	kc_run_clear(&ok);
}

/* ---- flows ---------------------------------------------------------------------------- */

/* Rules as "ingress|egress <selector> <peer> <proto>/<port>" lines, sorted. */
static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void labels_str(struct kc_buf *b, struct json_object *sel)
{
	struct json_object *ml = sel ? jpath(sel, "matchLabels") : NULL;
	if (!ml) {
		kc_buf_puts(b, "{}");
		return;
	}
	int first = 1;
	json_object_object_foreach(ml, k, v) {
		kc_buf_printf(b, "%s%s=%s", first ? "" : ",", k, json_object_get_string(v));
		first = 0;
	}
}

static size_t collect_rules(struct json_object **d, size_t n, char **lines, size_t max)
{
	size_t nl = 0;
	for (size_t i = 0; i < n; i++) {
		int ingress = jpath(d[i], "spec.ingress") != NULL;
		const char *list = ingress ? "spec.ingress" : "spec.egress";
		const char *peerkey = ingress ? "from" : "to";
		assert_int_equal(jlen(d[i], "spec.policyTypes"), 1);
		assert_string_equal(jstr(d[i], "spec.policyTypes.0"), ingress ? "Ingress" : "Egress");
		assert_string_equal(jget(jpath(d[i], "metadata.labels"), KC_MANAGED_BY_LABEL), "kubecomply");
		struct json_object *rules = jpath(d[i], list);
		for (size_t r = 0; r < json_object_array_length(rules); r++) {
			struct json_object *rule = json_object_array_get_idx(rules, r), *peers, *ports;
			assert_true(json_object_object_get_ex(rule, peerkey, &peers));
			assert_true(json_object_object_get_ex(rule, "ports", &ports));
			assert_int_equal(json_object_array_length(peers), 1);
			assert_int_equal(json_object_array_length(ports), 1);
			struct json_object *peer = json_object_array_get_idx(peers, 0), *port = json_object_array_get_idx(ports, 0);
			struct kc_buf b = KC_BUF_INIT;
			kc_buf_printf(&b, "%s ", ingress ? "ingress" : "egress");
			labels_str(&b, jpath(d[i], "spec.podSelector"));
			kc_buf_puts(&b, " ");
			if (jpath(peer, "ipBlock")) {
				kc_buf_puts(&b, jstr(peer, "ipBlock.cidr"));
			} else {
				kc_buf_printf(&b, "%s/", jget(jpath(peer, "namespaceSelector.matchLabels"), "kubernetes.io/metadata.name"));
				labels_str(&b, jpath(peer, "podSelector"));
			}
			kc_buf_printf(&b, " %s/%d", jstr(port, "protocol"), json_object_get_int(jpath(port, "port")));
			assert_true(nl < max);
			lines[nl++] = kc_buf_detach(&b);
		}
	}
	qsort(lines, nl, sizeof(*lines), line_cmp);
	return nl;
}

static void test_flow_policies_are_exactly_the_observed_pairs(void **state)
{
	(void)state;
	static const char *const events[] = {
		/* web -> db, three times: one rule */
		"{\"src_ip\":\"10.1.0.5\",\"src_pod\":\"web-1\",\"src_namespace\":\"shop\",\"src_labels\":{\"app\":\"web\",\"tier\":\"front\"},"
		"\"dst_ip\":\"10.1.0.9\",\"dst_port\":5432,\"protocol\":\"TCP\",\"dst_pod\":\"db-0\",\"dst_namespace\":\"shop\",\"dst_labels\":{\"app\":\"db\"}}",
		"{\"src_ip\":\"10.1.0.6\",\"src_pod\":\"web-2\",\"src_namespace\":\"shop\",\"src_labels\":{\"tier\":\"front\",\"app\":\"web\"},"
		"\"dst_ip\":\"10.1.0.9\",\"dst_port\":5432,\"protocol\":\"TCP\",\"dst_pod\":\"db-0\",\"dst_namespace\":\"shop\",\"dst_labels\":{\"app\":\"db\"}}",
		"{\"src_ip\":\"10.1.0.5\",\"src_pod\":\"web-1\",\"src_namespace\":\"shop\",\"src_labels\":{\"app\":\"web\",\"tier\":\"front\"},"
		"\"dst_ip\":\"10.1.0.9\",\"dst_port\":5432,\"protocol\":\"TCP\",\"dst_pod\":\"db-0\",\"dst_namespace\":\"shop\",\"dst_labels\":{\"app\":\"db\"},\"count\":5}",
		/* ingress controller in another namespace -> web:8080 */
		"{\"src_ip\":\"10.2.0.3\",\"src_pod\":\"nginx-x\",\"src_namespace\":\"ingress\",\"src_labels\":{\"app.kubernetes.io/name\":\"ingress-nginx\"},"
		"\"dst_ip\":\"10.1.0.5\",\"dst_port\":8080,\"protocol\":\"TCP\",\"dst_pod\":\"web-1\",\"dst_namespace\":\"shop\",\"dst_labels\":{\"app\":\"web\",\"tier\":\"front\"}}",
		/* web -> an external payment API */
		"{\"src_ip\":\"10.1.0.5\",\"src_pod\":\"web-1\",\"src_namespace\":\"shop\",\"src_labels\":{\"app\":\"web\",\"tier\":\"front\"},"
		"\"dst_ip\":\"203.0.113.7\",\"dst_port\":443,\"protocol\":\"TCP\"}",
		/* traffic of another namespace only: not shop's business */
		"{\"src_ip\":\"10.3.0.1\",\"src_namespace\":\"other\",\"src_labels\":{\"app\":\"x\"},"
		"\"dst_ip\":\"10.3.0.2\",\"dst_port\":80,\"protocol\":\"TCP\",\"dst_namespace\":\"other\",\"dst_labels\":{\"app\":\"y\"}}",
		/* refused: hostile namespace, bad label, no port, not JSON */
		"{\"src_ip\":\"10.1.0.5\",\"src_namespace\":\"../etc\",\"dst_ip\":\"10.1.0.9\",\"dst_port\":1,\"dst_namespace\":\"shop\"}",
		"{\"src_ip\":\"10.1.0.5\",\"src_namespace\":\"shop\",\"src_labels\":{\"app\":\"a b\"},\"dst_ip\":\"10.1.0.9\",\"dst_port\":1,\"dst_namespace\":\"shop\"}",
		"{\"src_ip\":\"10.1.0.5\",\"src_namespace\":\"shop\",\"dst_ip\":\"10.1.0.9\",\"dst_namespace\":\"shop\"}",
		"not json",
	};
	struct kc_flow_set fs;
	kc_flows_init(&fs);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		kc_flows_add_json(&fs, i == 2 ? "2026-01-03T00:00:00Z" : "2026-01-02T00:00:00Z", events[i]);
	kc_flows_finish(&fs);
	assert_int_equal(fs.skipped, 4);
	assert_int_equal(fs.n, 4);
	for (size_t i = 0; i < fs.n; i++) {
		if (fs.flows[i].port == 5432) {
			assert_int_equal(fs.flows[i].count, 7);
			assert_string_equal(fs.flows[i].first_seen, "2026-01-02T00:00:00Z");
			assert_string_equal(fs.flows[i].last_seen, "2026-01-03T00:00:00Z");
		}
	}

	struct kc_netpol_opts o = KC_NETPOL_OPTS_INIT;
	struct kc_buf out = KC_BUF_INIT;
	size_t nrules = 0;
	assert_int_equal(kc_manifest_flow_policies(&out, "shop", &o, &fs, &meta7, &nrules), 0);
	struct json_object *d[16];
	size_t n = parse_docs(out.ptr, d, 16);
	char *lines[32];
	size_t nl = collect_rules(d, n, lines, 32);
	static const char *const expect[] = {
		"egress app=web,tier=front 203.0.113.7/32 TCP/443",
		"egress app=web,tier=front shop/app=db TCP/5432",
		"ingress app=db shop/app=web,tier=front TCP/5432",
		"ingress app=web,tier=front ingress/app.kubernetes.io/name=ingress-nginx TCP/8080",
	};
	assert_int_equal(nl, sizeof(expect) / sizeof(expect[0]));
	assert_int_equal(nrules, nl);
	for (size_t i = 0; i < nl; i++) {
		assert_string_equal(lines[i], expect[i]);
		free(lines[i]);
	}
	/* one policy per workload and direction: db in, web in, web out */
	assert_int_equal(n, 3);
	free_docs(d, n);

	/* ingress-only: the egress rules disappear, the ingress ones stay exactly */
	kc_buf_reset(&out);
	o.ingress_only = 1;
	assert_int_equal(kc_manifest_flow_policies(&out, "shop", &o, &fs, &meta7, &nrules), 0);
	n = parse_docs(out.ptr, d, 16);
	nl = collect_rules(d, n, lines, 32);
	assert_int_equal(nl, 2);
	assert_string_equal(lines[0], expect[2]);
	assert_string_equal(lines[1], expect[3]);
	for (size_t i = 0; i < nl; i++)
		free(lines[i]);
	free_docs(d, n);

	/* a namespace with no observed traffic gets nothing */
	kc_buf_reset(&out);
	assert_int_equal(kc_manifest_flow_policies(&out, "quiet", &o, &fs, &meta7, &nrules), 0);
	assert_int_equal(nrules, 0);
	kc_buf_clear(&out);
	kc_flows_clear(&fs);
}

/* ---- kustomization -------------------------------------------------------------------- */

static void test_kustomize_add_keeps_the_rest(void **state)
{
	(void)state;
	const char *k =
		"apiVersion: kustomize.config.k8s.io/v1beta1\n"
		"kind: Kustomization\n"
		"namespace: prod\n"
		"commonLabels:\n"
		"  env: \"prod\"\n"
		"  version: '1.0'\n"
		"resources:\n"
		"- apps/web.yaml\n"
		"- ./shop/networkpolicy-default-deny.yaml\n"
		"patches:\n"
		"- path: patch.yaml\n"
		"  target:\n"
		"    kind: Deployment\n"
		"configMapGenerator:\n"
		"- name: cfg\n"
		"  literals: [\"a=1\", \"b=true\"]\n"
		"description: |\n"
		"  multi\n"
		"  line\n";
	const char *add[] = { "shop/networkpolicy-default-deny.yaml", "team-a/networkpolicy-default-deny.yaml",
			      "team-a/networkpolicy-default-deny.yaml" };
	struct kc_buf out = KC_BUF_INIT;
	int changed = -1;
	assert_int_equal(kc_kustomize_add_resources("k", k, strlen(k), add, 3, &out, &changed), 0);
	assert_int_equal(changed, 1);

	struct json_object *d[1];
	assert_int_equal(parse_docs(out.ptr, d, 1), 1);
	assert_string_equal(jstr(d[0], "namespace"), "prod");
	assert_string_equal(jstr(d[0], "commonLabels.env"), "prod");
	assert_string_equal(jstr(d[0], "commonLabels.version"), "1.0");
	assert_string_equal(jstr(d[0], "patches.0.target.kind"), "Deployment");
	assert_string_equal(jstr(d[0], "configMapGenerator.0.literals.1"), "b=true");
	assert_string_equal(jstr(d[0], "description"), "multi\nline\n");
	assert_int_equal(jlen(d[0], "resources"), 3);
	assert_string_equal(jstr(d[0], "resources.0"), "apps/web.yaml");
	assert_string_equal(jstr(d[0], "resources.1"), "./shop/networkpolicy-default-deny.yaml");
	assert_string_equal(jstr(d[0], "resources.2"), "team-a/networkpolicy-default-deny.yaml");
	json_object_put(d[0]);
	/* key order kept */
	assert_true(strstr(out.ptr, "namespace:") < strstr(out.ptr, "resources:"));
	assert_true(strstr(out.ptr, "resources:") < strstr(out.ptr, "patches:"));

	/* listed already: untouched, byte for byte */
	struct kc_buf again = KC_BUF_INIT;
	assert_int_equal(kc_kustomize_add_resources("k", out.ptr, out.len, add, 3, &again, &changed), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(again.len, 0);
	assert_true(kc_kustomize_lists(out.ptr, out.len, "./team-a/networkpolicy-default-deny.yaml"));

	/* no resources key; empty file; flow-style list */
	kc_buf_reset(&out);
	const char *nores = "kind: Kustomization\n";
	assert_int_equal(kc_kustomize_add_resources("k", nores, strlen(nores), add, 1, &out, &changed), 0);
	assert_int_equal(parse_docs(out.ptr, d, 1), 1);
	assert_string_equal(jstr(d[0], "resources.0"), add[0]);
	json_object_put(d[0]);
	kc_buf_reset(&out);
	assert_int_equal(kc_kustomize_add_resources("k", "", 0, add, 1, &out, &changed), 0);
	assert_int_equal(changed, 1);
	kc_buf_reset(&out);
	const char *flow = "resources: [a.yaml]\n";
	assert_int_equal(kc_kustomize_add_resources("k", flow, strlen(flow), add + 1, 1, &out, &changed), 0);
	assert_non_null(strstr(out.ptr, "[a.yaml, team-a/networkpolicy-default-deny.yaml]"));

	/* what cannot be edited is refused */
	const char *bad[] = { "resources: a.yaml\n", "- a\n- b\n", "a: 1\n---\nb: 2\n", "resources: [\n" };
	for (size_t i = 0; i < 4; i++) {
		kc_buf_reset(&out);
		assert_int_equal(kc_kustomize_add_resources("k", bad[i], strlen(bad[i]), add, 1, &out, &changed), KC_EINVAL);
		assert_int_equal(changed, 0);
	}
	kc_buf_clear(&out);
	kc_buf_clear(&again);
}

/* The edit is a line insertion at libyaml's positions: comments, indentation, quoting and
 * key order survive byte for byte; only the new lines differ. */
static void test_kustomization_edited_in_place_keeps_comments_order_and_indentation(void **state)
{
	(void)state;
	const char *k =
		"# cluster prod: managed by the platform team\n"
		"apiVersion: kustomize.config.k8s.io/v1beta1\n"
		"kind: Kustomization\n"
		"\n"
		"resources:\n"
		"  # the apps\n"
		"  - apps/web.yaml   # web tier\n"
		"  - 'apps/db.yaml'\n"
		"  # more to come\n"
		"\n"
		"commonLabels: {env: prod}  # flow map kept\n"
		"images:\n"
		"- name: web\n"
		"  newTag: \"1.2\"\n";
	const char *add[] = { "shop/networkpolicy-default-deny.yaml" };
	struct kc_buf out = KC_BUF_INIT;
	int changed = 0;
	assert_int_equal(kc_kustomize_add_resources("k", k, strlen(k), add, 1, &out, &changed), 0);
	assert_int_equal(changed, 1);
	const char *want =
		"# cluster prod: managed by the platform team\n"
		"apiVersion: kustomize.config.k8s.io/v1beta1\n"
		"kind: Kustomization\n"
		"\n"
		"resources:\n"
		"  # the apps\n"
		"  - apps/web.yaml   # web tier\n"
		"  - 'apps/db.yaml'\n"
		"  - shop/networkpolicy-default-deny.yaml\n"
		"  # more to come\n"
		"\n"
		"commonLabels: {env: prod}  # flow map kept\n"
		"images:\n"
		"- name: web\n"
		"  newTag: \"1.2\"\n";
	assert_string_equal(out.ptr, want);

	/* `resources:` with nothing under it, no trailing newline */
	kc_buf_reset(&out);
	const char *empty = "kind: Kustomization\nresources:\nnamespace: shop";
	assert_int_equal(kc_kustomize_add_resources("k", empty, strlen(empty), add, 1, &out, &changed), 0);
	assert_string_equal(out.ptr, "kind: Kustomization\nresources:\n- shop/networkpolicy-default-deny.yaml\nnamespace: shop");

	/* patches as `- path:` items, after the last item's nested lines */
	kc_buf_reset(&out);
	const char *pk = "resources:\n- a.yaml\npatches:\n- path: p.yaml\n  target:\n    kind: Deployment\n# end\n";
	const char *padd[] = { "shop/namespace-pod-security.yaml" };
	assert_int_equal(kc_kustomize_add("k", pk, strlen(pk), KC_KUSTOMIZE_PATCHES, padd, 1, &out, &changed), 0);
	assert_string_equal(out.ptr, "resources:\n- a.yaml\npatches:\n- path: p.yaml\n  target:\n    kind: Deployment\n"
				     "- path: shop/namespace-pod-security.yaml\n# end\n");
	assert_true(kc_kustomize_lists_patch(out.ptr, out.len, "shop/namespace-pod-security.yaml"));
	/* a flow mapping root cannot be edited line by line: refused, not rewritten */
	kc_buf_reset(&out);
	const char *flowroot = "{resources: [a.yaml]}\n";
	assert_int_equal(kc_kustomize_add_resources("k", flowroot, strlen(flowroot), add, 1, &out, &changed), KC_EINVAL);
	kc_buf_clear(&out);
}

/* ---- planning ------------------------------------------------------------------------- */

struct fake_tree {
	const char *paths[12];
	const char *data[12];
	size_t n;
	int deployed;   /* the default branch has these files too (merged) */
};

static int read_fake(void *payload, enum kc_plan_tree which, const char *path, char **out, size_t *len)
{
	struct fake_tree *t = payload;
	*out = NULL;
	*len = 0;
	if (which == KC_PLAN_DEPLOYED && !t->deployed)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->paths[i], path) == 0) {
			*out = kc_strdup(t->data[i]);
			*len = strlen(t->data[i]);
		}
	}
	return 0;
}

static void test_plan_groups_and_idempotence(void **state)
{
	(void)state;
	struct kc_run run = { .id = 5 };
	run.cluster = kc_strdup("prod");
	struct kc_result *np = fail_result(&run, "5.3.2");
	obj_ev(np, "Namespace", NULL, "team-b");
	obj_ev(np, "Namespace", NULL, "shop");
	obj_ev(np, "Namespace", NULL, "kube-system");
	obj_ev(np, "Namespace", NULL, "shop");
	struct kc_result *sa = fail_result(&run, "5.1.5");
	obj_ev(sa, "ServiceAccount", "shop", "default");
	obj_ev(sa, "ServiceAccount", "shop", "builder");
	obj_ev(sa, "RoleBinding", "shop", "x");
	struct kc_result *psa = fail_result(&run, "5.2.1");
	obj_ev(psa, "Namespace", NULL, "shop");
	struct kc_result *pass = kc_run_add_result(&run);
	pass->id = kc_strdup("5.3.2");
	pass->status = KC_PASS;
	obj_ev(pass, "Namespace", NULL, "ignored");

	struct fake_tree tree = { { "clusters/prod/kustomization.yaml" }, { "resources:\n- apps.yaml\n" }, 1, 0 };
	struct kc_plan_opts po = KC_PLAN_OPTS_INIT;
	po.path = "clusters/prod/";
	po.read = read_fake;
	po.payload = &tree;
	struct kc_plan *plan = NULL;
	assert_int_equal(kc_plan_build(&run, &po, &plan), 0);
	assert_int_equal(plan->ngroups, 3);
	assert_int_equal(plan->groups[0].kind, KC_FIX_DEFAULT_DENY);
	assert_int_equal(plan->groups[0].nitems, 2);
	assert_string_equal(plan->groups[0].items[0], "shop");
	assert_string_equal(plan->groups[0].items[1], "team-b");
	/* two manifests + the kustomization */
	assert_int_equal(plan->groups[0].nfiles, 3);
	assert_string_equal(plan->groups[0].files[0].path, "clusters/prod/shop/networkpolicy-default-deny.yaml");
	assert_string_equal(plan->groups[0].files[2].path, "clusters/prod/kustomization.yaml");
	assert_non_null(strstr(plan->groups[0].message, "Kubecomply-Run: 5"));
	assert_non_null(strstr(plan->groups[0].subject, "5.3.2"));
	assert_int_equal(plan->groups[1].kind, KC_FIX_SERVICE_ACCOUNT);
	assert_int_equal(plan->groups[1].nitems, 1);
	assert_string_equal(plan->groups[1].files[0].path, "clusters/prod/shop/serviceaccount-default.yaml");
	assert_int_equal(plan->groups[2].kind, KC_FIX_POD_SECURITY);
	/* the kustomization grows commit by commit: the PSA commit's "old" has the SA entry */
	const struct kc_plan_file *k3 = &plan->groups[2].files[plan->groups[2].nfiles - 1];
	assert_string_equal(k3->path, "clusters/prod/kustomization.yaml");
	assert_non_null(strstr(k3->old, "shop/serviceaccount-default.yaml"));
	assert_non_null(strstr(k3->content, "shop/namespace-pod-security.yaml"));
	assert_non_null(strstr(plan->notes.ptr, "kube-system"));
	assert_non_null(strstr(plan->notes.ptr, "builder"));

	struct kc_buf title = KC_BUF_INIT, body = KC_BUF_INIT;
	kc_plan_pr_text(plan, &run, "kubecomply/remediate-5-x", "main", 0, &title, &body);
	assert_non_null(strstr(title.ptr, "5.3.2, 5.1.5, 5.2.1"));
	assert_non_null(strstr(body.ptr, "## Roll back"));
	assert_non_null(strstr(body.ptr, "`team-b`: seen in test"));

	/* the same findings on a tree that has the result of run 5 -> run 6 plans nothing */
	/* (an open branch: the base has them, the default branch does not yet) */
	struct fake_tree done = { { 0 }, { 0 }, 0, 0 };
	for (size_t g = 0; g < plan->ngroups; g++) {
		for (size_t f = 0; f < plan->groups[g].nfiles; f++) {
			const char *p = plan->groups[g].files[f].path;
			size_t i;
			for (i = 0; i < done.n && strcmp(done.paths[i], p) != 0; i++)
				;
			done.paths[i] = p;
			done.data[i] = plan->groups[g].files[f].content;
			if (i == done.n)
				done.n++;
		}
	}
	run.id = 6;
	po.payload = &done;
	struct kc_plan *again = NULL;
	assert_int_equal(kc_plan_build(&run, &po, &again), 0);
	assert_int_equal(again->ngroups, 0);
	kc_plan_free(again);

	/* once merged, a run that still fails 5.2.1 would propose step 2, enforce - but no
	 * workload of shop is in the tree, so no level is known to hold: nothing, and why */
	done.deployed = 1;
	assert_int_equal(kc_plan_build(&run, &po, &again), 0);
	assert_int_equal(again->ngroups, 0);
	assert_non_null(strstr(again->notes.ptr, "`enforce` is not proposed"));
	kc_plan_free(again);
	kc_plan_free(plan);
	kc_buf_clear(&title);
	kc_buf_clear(&body);
	kc_run_clear(&run);
}

/* The cluster as the repository declares it: shop's web Deployment, db StatefulSet and
 * migrate Job; an ingress controller; an admission webhook's backend in `policy`; a
 * host-network agent; NodeLocal DNSCache. */
static const char prod_kustomization[] =
	"resources:\n- shop/apps.yaml\n- ingress-nginx/controller.yaml\n- webhooks.yaml\n- kube-system/nodelocaldns.yaml\n"
	"- agents/agent.yaml\n";
static const char prod_apps[] =
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n"
	"  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web, version: v2}}\n"
	"    spec: {containers: [{name: web, image: web}]}\n---\n"
	"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\nspec:\n"
	"  selector: {matchLabels: {app: db, tier: data}}\n  template:\n    metadata: {labels: {app: db, tier: data}}\n"
	"    spec: {containers: [{name: db, image: db}]}\n---\n"
	"apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, namespace: shop}\nspec:\n"
	"  template:\n    metadata: {labels: {app: migrate}}\n    spec: {restartPolicy: Never, containers: [{name: m, image: m}]}\n";
static const char prod_ingress[] =
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\n"
	"spec:\n  selector: {matchLabels: {app: ingress}}\n  template:\n    metadata: {labels: {app: ingress}}\n"
	"    spec: {containers: [{name: c, image: c}]}\n";
static const char prod_webhooks[] =
	"apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: policy-check}\n"
	"webhooks:\n- name: check.policy.example\n  clientConfig:\n    service: {name: checker, namespace: policy}\n";
static const char prod_nodelocal[] =
	"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: node-local-dns, namespace: kube-system}\nspec:\n"
	"  selector: {matchLabels: {k8s-app: node-local-dns}}\n  template:\n    metadata: {labels: {k8s-app: node-local-dns}}\n"
	"    spec:\n      hostNetwork: true\n      containers:\n      - name: node-cache\n        image: k8s.gcr.io/dns/k8s-dns-node-cache:1.22.20\n"
	"        args: [\"-localip\", \"169.254.20.10,10.96.0.10\", \"-conf\", \"/etc/Corefile\"]\n";
static const char prod_agent[] =
	"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: node-agent, namespace: monitoring-agent}\nspec:\n"
	"  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n"
	"    spec: {hostNetwork: true, containers: [{name: a, image: a}]}\n";

static const char *rule_of(char **lines, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(lines[i], prefix, strlen(prefix)) == 0)
			return lines[i];
	return NULL;
}

/* Pods are selected by what their controller selects (Deployment/StatefulSet
 * spec.selector.matchLabels, a Job's template labels), never by pod-template-hash,
 * controller-revision-hash or statefulset.kubernetes.io/pod-name; a pod nothing stable
 * selects is refused with the reason, never widened to its namespace. */
static void test_flow_peers_selected_by_controller_match_labels(void **state)
{
	(void)state;
	static const char *const events[] = {
		"{\"src_pod\":\"web-7d9c5b6f4-x2x9k\",\"src_namespace\":\"shop\",\"src_labels\":{\"app\":\"web\",\"version\":\"v2\",\"pod-template-hash\":\"7d9c5b6f4\"},"
		"\"dst_pod\":\"db-0\",\"dst_namespace\":\"shop\",\"dst_labels\":{\"app\":\"db\",\"tier\":\"data\",\"controller-revision-hash\":\"db-5f8d\",\"statefulset.kubernetes.io/pod-name\":\"db-0\"},"
		"\"dst_port\":5432,\"protocol\":\"TCP\"}",
		/* the second replica: the same workload pair, one rule */
		"{\"src_pod\":\"web-7d9c5b6f4-q8w2e\",\"src_namespace\":\"shop\",\"dst_pod\":\"db-1\",\"dst_namespace\":\"shop\",\"dst_port\":5432,\"count\":3}",
		"{\"src_pod\":\"migrate-k2j4h\",\"src_namespace\":\"shop\",\"src_labels\":{\"controller-uid\":\"4c1e\",\"job-name\":\"migrate\"},"
		"\"dst_pod\":\"db-0\",\"dst_namespace\":\"shop\",\"dst_port\":5432}",
		/* a pod of no controller in the repository, with only a revision label */
		"{\"src_pod\":\"debug-6b7f8c9d5-zzzzz\",\"src_namespace\":\"shop\",\"src_labels\":{\"pod-template-hash\":\"6b7f8c9d5\"},"
		"\"dst_pod\":\"db-0\",\"dst_namespace\":\"shop\",\"dst_port\":5432}",
	};
	struct kc_flow_set fs;
	kc_flows_init(&fs);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		kc_flows_add_json(&fs, "2026-12-04T10:00:00Z", events[i]);
	kc_flows_finish(&fs);
	assert_int_equal(fs.skipped, 0);

	struct kc_run run = { .id = 9 };
	obj_ev(fail_result(&run, "5.3.2"), "Namespace", NULL, "shop");
	struct fake_tree tree = { { "clusters/prod/kustomization.yaml", "clusters/prod/shop/apps.yaml",
				    "clusters/prod/ingress-nginx/controller.yaml", "clusters/prod/webhooks.yaml",
				    "clusters/prod/kube-system/nodelocaldns.yaml", "clusters/prod/agents/agent.yaml" },
				  { prod_kustomization, prod_apps, prod_ingress, prod_webhooks, prod_nodelocal, prod_agent }, 6, 0 };
	struct kc_plan_opts po = KC_PLAN_OPTS_INIT;
	po.path = "clusters/prod";
	po.read = read_fake;
	po.payload = &tree;
	po.flows = &fs;
	struct kc_plan *plan = NULL;
	assert_int_equal(kc_plan_build(&run, &po, &plan), 0);
	assert_int_equal(plan->ngroups, 2);
	assert_int_equal(plan->groups[1].kind, KC_FIX_FLOWS);
	const char *policies = plan->groups[1].files[0].content;
	assert_null(strstr(policies, "pod-template-hash"));
	assert_null(strstr(policies, "controller-revision-hash"));
	assert_null(strstr(policies, "statefulset.kubernetes.io/pod-name"));
	assert_null(strstr(policies, "controller-uid"));
	assert_null(strstr(policies, "version: v2"));   /* template label, not the selector */
	struct json_object *d[8];
	size_t n = parse_docs(policies, d, 8);
	char *lines[16];
	size_t nl = collect_rules(d, n, lines, 16);
	assert_non_null(rule_of(lines, nl, "ingress app=db,tier=data shop/app=web TCP/5432"));
	assert_non_null(rule_of(lines, nl, "ingress app=db,tier=data shop/app=migrate TCP/5432"));
	assert_non_null(rule_of(lines, nl, "egress app=web shop/app=db,tier=data TCP/5432"));
	/* nothing selects a whole namespace */
	for (size_t i = 0; i < nl; i++) {
		assert_null(strstr(lines[i], "/{}"));
		assert_null(strstr(lines[i], " {} "));
		free(lines[i]);
	}
	free_docs(d, n);
	/* the unlabelled pod's flow is in the notes with its reason, and allowed nowhere */
	assert_non_null(strstr(plan->notes.ptr, "debug-6b7f8c9d5-zzzzz"));
	assert_non_null(strstr(plan->notes.ptr, "not widened to the namespace"));
	/* each allow rule lists its observed flows in the PR: the web replicas as one flow, 4 connections */
	assert_non_null(strstr(plan->groups[1].evidence.ptr, "| shop/app=web | shop/app=db,tier=data | TCP/5432 | 4 |"));
	/* ... naming both rules that allow it: db's ingress and web's egress */
	assert_non_null(strstr(plan->groups[1].evidence.ptr, "| `shop/kubecomply-ingress-db-"));
	assert_non_null(strstr(plan->groups[1].evidence.ptr, "`<br>`shop/kubecomply-egress-web-"));
	/* NodeLocal DNSCache deployed: the DNS allowance covers its address */
	const char *deny = plan->groups[0].files[0].content;
	assert_non_null(strstr(deny, "cidr: 169.254.20.10/32"));
	kc_plan_free(plan);
	kc_run_clear(&run);
	kc_flows_clear(&fs);
}

/* kube-* namespaces, an ingress controller's, an admission webhook backend's and a
 * host-network agent's are left alone with the reason; listing one explicitly remediates it. */
static void test_infrastructure_namespaces_left_alone_unless_listed(void **state)
{
	(void)state;
	struct kc_run run = { .id = 10 };
	struct kc_result *r = fail_result(&run, "5.3.2");
	obj_ev(r, "Namespace", NULL, "kube-flannel");
	obj_ev(r, "Namespace", NULL, "ingress-nginx");
	obj_ev(r, "Namespace", NULL, "policy");
	obj_ev(r, "Namespace", NULL, "monitoring-agent");
	obj_ev(r, "Namespace", NULL, "shop");
	struct fake_tree tree = { { "clusters/prod/kustomization.yaml", "clusters/prod/shop/apps.yaml",
				    "clusters/prod/ingress-nginx/controller.yaml", "clusters/prod/webhooks.yaml",
				    "clusters/prod/kube-system/nodelocaldns.yaml", "clusters/prod/agents/agent.yaml" },
				  { prod_kustomization, prod_apps, prod_ingress, prod_webhooks, prod_nodelocal, prod_agent }, 6, 0 };
	struct kc_plan_opts po = KC_PLAN_OPTS_INIT;
	po.path = "clusters/prod";
	po.read = read_fake;
	po.payload = &tree;
	struct kc_plan *plan = NULL;
	assert_int_equal(kc_plan_build(&run, &po, &plan), 0);
	assert_int_equal(plan->ngroups, 1);
	assert_int_equal(plan->groups[0].nitems, 1);
	assert_string_equal(plan->groups[0].items[0], "shop");
	assert_non_null(strstr(plan->notes.ptr, "`kube-flannel` left alone: a kube-* namespace"));
	assert_non_null(strstr(plan->notes.ptr, "`ingress-nginx` left alone"));
	assert_non_null(strstr(plan->notes.ptr, "`policy` left alone: the API server calls the admission webhook ValidatingWebhookConfiguration/policy-check"));
	assert_non_null(strstr(plan->notes.ptr, "`monitoring-agent` left alone: DaemonSet/node-agent runs on the host network"));
	kc_plan_free(plan);

	char *include[] = { "policy" };
	po.include_namespaces = include;
	po.ninclude = 1;
	assert_int_equal(kc_plan_build(&run, &po, &plan), 0);
	assert_int_equal(plan->groups[0].nitems, 2);
	assert_string_equal(plan->groups[0].items[0], "policy");
	kc_plan_free(plan);
	kc_run_clear(&run);
}

/* Pod Security enforce is proposed at the strictest level every workload meets:
 * restricted for a hardened Deployment, baseline when one is merely unhardened, none
 * (warn/audit stay, violators listed) when one is privileged. */
static void test_psa_enforce_only_at_a_level_the_workloads_meet(void **state)
{
	(void)state;
	static const char *const specs[] = {
		"    spec:\n      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n"
		"      containers:\n      - name: a\n        image: a\n        securityContext:\n"
		"          allowPrivilegeEscalation: false\n          capabilities: {drop: [ALL]}\n",
		"    spec:\n      containers:\n      - {name: a, image: a}\n",
		"    spec:\n      containers:\n      - {name: a, image: a, securityContext: {privileged: true}}\n",
	};
	static const char *const want[] = { "enforce: restricted", "enforce: baseline", NULL };
	for (size_t i = 0; i < 3; i++) {
		struct kc_buf app = KC_BUF_INIT;
		kc_buf_printf(&app, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n"
				    "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n%s", specs[i]);
		struct kc_buf psa = KC_BUF_INIT;
		struct kc_manifest_meta m = { "5.2.1", 3 };
		assert_int_equal(kc_manifest_psa_namespace(&psa, "shop", KC_PSA_OBSERVE, NULL, &m), 0);
		struct fake_tree tree = { { "clusters/prod/kustomization.yaml", "clusters/prod/shop/api.yaml",
					    "clusters/prod/shop/namespace-pod-security.yaml" },
					  { "resources:\n- shop/api.yaml\n- shop/namespace-pod-security.yaml\n", app.ptr, psa.ptr }, 3, 1 };
		struct kc_run run = { .id = 11 };
		obj_ev(fail_result(&run, "5.2.1"), "Namespace", NULL, "shop");
		struct kc_plan_opts po = KC_PLAN_OPTS_INIT;
		po.path = "clusters/prod";
		po.read = read_fake;
		po.payload = &tree;
		struct kc_plan *plan = NULL;
		assert_int_equal(kc_plan_build(&run, &po, &plan), 0);
		if (want[i]) {
			assert_int_equal(plan->ngroups, 1);
			assert_non_null(strstr(plan->groups[0].files[0].content, want[i]));
		} else {
			assert_int_equal(plan->ngroups, 0);
			assert_non_null(strstr(plan->notes.ptr, "`Deployment/api`: privileged container (not baseline)"));
		}
		kc_plan_free(plan);
		kc_run_clear(&run);
		kc_buf_clear(&app);
		kc_buf_clear(&psa);
	}
}

static int read_render_fake(void *payload, const char *path, char **out, size_t *len)
{
	return read_fake(payload, KC_PLAN_BASE, path, out, len);
}

/* The built-in render check: a missing resource, an object declared twice and a
 * kustomization that includes itself are errors, as `kustomize build` makes them. */
static void test_render_check_finds_what_kustomize_refuses(void **state)
{
	(void)state;
	struct fake_tree tree = { { "c/kustomization.yaml", "c/a.yaml", "c/b.yaml", "c/loop/kustomization.yaml" },
				  { "resources:\n- a.yaml\n- b.yaml\n- missing.yaml\n- loop\n",
				    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: n}\n",
				    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: n}\n",
				    "resources:\n- ../loop\n" }, 4, 0 };
	struct kc_render r;
	kc_render_init(&r);
	assert_int_equal(kc_render_dir(read_render_fake, &tree, "c", &r), 0);
	print_message("%s", r.errors.ptr);
	assert_int_equal(r.nerrors, 3);
	assert_non_null(strstr(r.errors.ptr, "ConfigMap n/x is rendered twice (c/a.yaml and c/b.yaml)"));
	assert_non_null(strstr(r.errors.ptr, "resource missing.yaml: no such file"));
	assert_non_null(strstr(r.errors.ptr, "c/loop: includes itself"));
	assert_int_equal(r.n, 1);
	kc_render_clear(&r);
}

static void test_quoting_round_trips(void **state)
{
	(void)state;
	struct kc_flow_set fs;
	kc_flows_init(&fs);
	kc_flows_add_json(&fs, "t", "{\"src_namespace\":\"shop\",\"src_labels\":{\"enabled\":\"true\",\"v\":\"1.10\",\"n\":\"null\",\"o\":\"0x1F\"},"
				    "\"dst_ip\":\"198.51.100.1\",\"dst_port\":53,\"protocol\":\"UDP\"}");
	kc_flows_finish(&fs);
	struct kc_netpol_opts o = KC_NETPOL_OPTS_INIT;
	struct kc_buf out = KC_BUF_INIT;
	assert_int_equal(kc_manifest_flow_policies(&out, "shop", &o, &fs, &meta7, NULL), 0);
	struct json_object *d[2];
	size_t n = parse_docs(out.ptr, d, 2);
	assert_int_equal(n, 1);
	struct json_object *ml = jpath(d[0], "spec.podSelector.matchLabels");
	assert_string_equal(jget(ml, "enabled"), "true");
	assert_string_equal(jget(ml, "v"), "1.10");
	assert_string_equal(jget(ml, "n"), "null");
	assert_string_equal(jget(ml, "o"), "0x1F");
	assert_string_equal(jstr(d[0], "spec.egress.0.ports.0.protocol"), "UDP");
	free_docs(d, n);
	kc_buf_clear(&out);
	kc_flows_clear(&fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_deny_parses_and_selects),
		cmocka_unit_test(test_psa_and_service_account),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hostile_names_plan_nothing),
		cmocka_unit_test(test_flow_policies_are_exactly_the_observed_pairs),
		cmocka_unit_test(test_kustomize_add_keeps_the_rest),
		cmocka_unit_test(test_kustomization_edited_in_place_keeps_comments_order_and_indentation),
		cmocka_unit_test(test_plan_groups_and_idempotence),
		cmocka_unit_test(test_quoting_round_trips),
		cmocka_unit_test(test_render_check_finds_what_kustomize_refuses),
		cmocka_unit_test(test_flow_peers_selected_by_controller_match_labels),
		cmocka_unit_test(test_infrastructure_namespaces_left_alone_unless_listed),
		cmocka_unit_test(test_psa_enforce_only_at_a_level_the_workloads_meet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
