/* Section 5 of CIS v1.10 and v1.11 (policies/cis-1.10/5-*.yaml, policies/cis-1.11/5-*.yaml):
 * the older ids load, each decided by the same evaluator as its v1.12 counterpart, and the
 * fixture cluster (tests/fixtures/k8s/cluster) audited through the engine gives every mapped
 * pair the same status and the same failing objects. docs/section5.md lists the mapping. */
#include "kc_test.h"

#include "k8s_test_util.h"

#include "store/run.h"
#include "checks/engine.h"
#include "checks/node.h"
#include "checks/policy.h"

#define FIXTURE "tests/fixtures/k8s/cluster"
#define NVERSIONS 2
#define SECTION5_CHECKS 35 /* v1.10 and v1.11 each: 13 RBAC, 13 pod security, 2, 2, 1, 4 general */

static const char *const benchmarks[NVERSIONS] = { "cis-1.10", "cis-1.11" };

/* One row per older check: its id in v1.10 and in v1.11, and the v1.12 id decided by the same
 * evaluator (NULL: the check exists only before v1.12). */
struct pair {
	const char *old_id[NVERSIONS];
	const char *v112;
};

static const struct pair mapping[] = {
	{ { "5.1.1", "5.1.1" }, "5.1.1" },     { { "5.1.2", "5.1.2" }, "5.1.2" },
	{ { "5.1.3", "5.1.3" }, "5.1.3" },     { { "5.1.4", "5.1.4" }, "5.1.4" },
	{ { "5.1.5", "5.1.5" }, "5.1.5" },     { { "5.1.6", "5.1.6" }, "5.1.6" },
	{ { "5.1.7", "5.1.7" }, "5.1.7" },     { { "5.1.8", "5.1.8" }, "5.1.8" },
	{ { "5.1.9", "5.1.9" }, "5.1.9" },     { { "5.1.10", "5.1.10" }, "5.1.10" },
	{ { "5.1.11", "5.1.11" }, "5.1.11" }, { { "5.1.12", "5.1.12" }, "5.1.12" },
	{ { "5.1.13", "5.1.13" }, "5.1.13" }, { { "5.2.1", "5.2.1" }, "5.2.1" },
	{ { "5.2.2", "5.2.2" }, "5.2.2" },     { { "5.2.3", "5.2.3" }, "5.2.3" },
	{ { "5.2.4", "5.2.4" }, "5.2.4" },     { { "5.2.5", "5.2.5" }, "5.2.5" },
	{ { "5.2.6", "5.2.6" }, "5.2.6" },     { { "5.2.7", "5.2.7" }, "5.2.7" },
	{ { "5.2.8", "5.2.8" }, "5.2.8" },
	{ { "5.2.9", "5.2.9" }, NULL },         /* added capabilities: its own evaluator, no v1.12 twin */
	{ { "5.2.10", "5.2.10" }, "5.2.9" },   /* capabilities assigned */
	{ { "5.2.11", "5.2.11" }, "5.2.10" },  /* Windows HostProcess */
	{ { "5.2.12", "5.2.12" }, "5.2.11" },  /* hostPath */
	{ { "5.2.13", "5.2.13" }, "5.2.12" },  /* hostPort */
	{ { "5.3.1", "5.3.1" }, "5.3.1" },     { { "5.3.2", "5.3.2" }, "5.3.2" },
	{ { "5.4.1", "5.4.1" }, "5.4.1" },     { { "5.4.2", "5.4.2" }, "5.4.2" },
	{ { "5.5.1", "5.5.1" }, "5.5.1" },
	{ { "5.7.1", "5.6.1" }, "5.6.1" },     /* general policies: 5.7.x in v1.10, 5.6.x in v1.11 */
	{ { "5.7.2", "5.6.2" }, "5.6.2" },     { { "5.7.3", "5.6.3" }, "5.6.3" },
	{ { "5.7.4", "5.6.4" }, "5.6.4" },
};
#define NMAPPING (sizeof(mapping) / sizeof(*mapping))

/* Representative pairs with the status the fixture cluster must give on both sides. */
struct representative {
	const char *what;
	const char *old_id[NVERSIONS];
	const char *v112;
	enum kc_status want;
};

static const struct representative representatives[] = {
	{ "cluster-admin bindings", { "5.1.1", "5.1.1" }, "5.1.1", KC_FAIL },
	{ "default service accounts", { "5.1.5", "5.1.5" }, "5.1.5", KC_FAIL },
	{ "privileged containers", { "5.2.2", "5.2.2" }, "5.2.2", KC_FAIL },
	{ "capabilities assigned", { "5.2.10", "5.2.10" }, "5.2.9", KC_FAIL },
	{ "Windows HostProcess", { "5.2.11", "5.2.11" }, "5.2.10", KC_PASS },
	{ "hostPort", { "5.2.13", "5.2.13" }, "5.2.12", KC_FAIL },
	{ "CNI enforces NetworkPolicy", { "5.3.1", "5.3.1" }, "5.3.1", KC_PASS },
	{ "NetworkPolicy per namespace", { "5.3.2", "5.3.2" }, "5.3.2", KC_FAIL },
	{ "namespaces as boundaries", { "5.7.1", "5.6.1" }, "5.6.1", KC_PASS },
	{ "default namespace unused", { "5.7.4", "5.6.4" }, "5.6.4", KC_FAIL },
};

struct audit {
	struct kc_policy_set set;
	struct kc_run run;
};

struct fixture {
	struct kc_cluster *cluster;
	char *dir;            /* an empty root for the node: only target "policies" is audited */
	struct kc_node node;
	struct audit v[NVERSIONS];
	struct audit v112;
};

static void load_benchmark(struct kc_policy_set *set, const char *bench)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "policies/%s", bench);
	memset(set, 0, sizeof(*set));
	if (kc_policy_load_dir(set, dir) < 0)
		fail_msg("%s: %s", dir, kc_error_last());
}

static void audit_benchmark(struct fixture *f, struct audit *a, const char *bench)
{
	load_benchmark(&a->set, bench);
	struct kc_query_provider qp[KC_SECTION5_PROVIDERS];
	struct kc_engine_opts opts = { .targets = "policies" };
	opts.providers = qp;
	opts.nproviders = kc_cluster_providers(f->cluster, qp, KC_SECTION5_PROVIDERS);
	assert_int_equal(opts.nproviders, KC_SECTION5_PROVIDERS);
	memset(&a->run, 0, sizeof(a->run));
	assert_int_equal(kc_engine_run(&a->set, &f->node, &opts, &a->run), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->cluster = kc_cluster_new();
	if (kc_cluster_load_manifests(f->cluster, FIXTURE) < 0)
		return -1;
	f->dir = kc_test_mkdtemp();
	if (kc_node_open(&f->node, f->dir, NULL) < 0)
		return -1;
	*state = f;
	for (size_t v = 0; v < NVERSIONS; v++)
		audit_benchmark(f, &f->v[v], benchmarks[v]);
	audit_benchmark(f, &f->v112, "cis-1.12");
	return 0;
}

static void audit_clear(struct audit *a)
{
	kc_run_clear(&a->run);
	kc_policy_set_clear(&a->set);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (size_t v = 0; v < NVERSIONS; v++)
		audit_clear(&f->v[v]);
	audit_clear(&f->v112);
	kc_node_clear(&f->node);
	kc_test_rmtree(f->dir);
	free(f->dir);
	kc_cluster_free(f->cluster);
	free(f);
	return 0;
}

static const struct kc_result *result(const struct audit *a, const char *id)
{
	for (size_t i = 0; i < a->run.nresults; i++)
		if (strcmp(a->run.results[i].id, id) == 0)
			return &a->run.results[i];
	fail_msg("%s: no result for %s", a->set.benchmark, id);
	return NULL;
}

static int is_query_name(const char *name)
{
	for (const char *const *q = kc_section5_query_names(); *q; q++)
		if (strcmp(*q, name) == 0)
			return 1;
	return 0;
}

/* Every section-5 check of each version loads from its directory (beside sections 1-4), names
 * the benchmark, targets policies and is decided by a known evaluator, or is manual and says
 * what to look at. */
static void test_checks_load(void **state)
{
	struct fixture *f = *state;
	for (size_t v = 0; v < NVERSIONS; v++) {
		const struct kc_policy_set *set = &f->v[v].set;
		assert_string_equal(set->benchmark, benchmarks[v]);
		size_t n5 = 0;
		for (size_t i = 0; i < set->nchecks; i++) {
			const struct kc_check *c = &set->checks[i];
			if (strncmp(c->id, "5.", 2) != 0)
				continue;
			n5++;
			assert_string_equal(c->target, "policies");
			assert_non_null(c->title);
			assert_non_null(c->remediation);
			assert_true(c->level == 1 || c->level == 2);
			if (strcmp(c->type, "manual") == 0) {
				assert_int_equal(c->ntests, 0);
				assert_non_null(c->manual);
				continue;
			}
			assert_string_equal(c->type, "automated");
			assert_int_equal(c->ntests, 1);
			assert_int_equal(c->tests[0].fact, KC_FACT_QUERY);
			if (!is_query_name(c->tests[0].query))
				fail_msg("%s %s: unknown query %s", benchmarks[v], c->id, c->tests[0].query);
		}
		assert_int_equal(n5, SECTION5_CHECKS);
		for (size_t m = 0; m < NMAPPING; m++)
			assert_non_null(kc_policy_find(set, mapping[m].old_id[v]));
	}
	/* v1.10 numbers General Policies 5.7.x, v1.11 like v1.12 5.6.x */
	assert_null(kc_policy_find(&f->v[0].set, "5.6.1"));
	assert_null(kc_policy_find(&f->v[1].set, "5.7.1"));
	/* v1.10 marks 5.1.1-5.1.6 Automated (scored); v1.11 marks every section-5 check Manual */
	assert_true(kc_policy_find(&f->v[0].set, "5.1.1")->scored);
	assert_true(kc_policy_find(&f->v[0].set, "5.1.6")->scored);
	assert_false(kc_policy_find(&f->v[0].set, "5.1.7")->scored);
	assert_false(kc_policy_find(&f->v[1].set, "5.1.1")->scored);
}

/* Each older check uses the query of its v1.12 counterpart, with the same level; the
 * check that exists only before v1.12 has an evaluator of its own. */
static void test_same_evaluators(void **state)
{
	struct fixture *f = *state;
	for (size_t v = 0; v < NVERSIONS; v++)
		for (size_t m = 0; m < NMAPPING; m++) {
			const struct kc_check *old = kc_policy_find(&f->v[v].set, mapping[m].old_id[v]);
			assert_non_null(old);
			if (!mapping[m].v112) {
				assert_int_equal(old->ntests, 1);
				assert_string_equal(old->tests[0].query, "pods.capabilities_add");
				continue;
			}
			const struct kc_check *cur = kc_policy_find(&f->v112.set, mapping[m].v112);
			assert_non_null(cur);
			assert_int_equal(old->ntests, 1);
			if (strcmp(old->tests[0].query, cur->tests[0].query) != 0)
				fail_msg("%s %s uses %s, v1.12 %s uses %s", benchmarks[v], old->id, old->tests[0].query,
					 cur->id, cur->tests[0].query);
			assert_int_equal(old->level, cur->level);
		}
	/* every evaluator is used by each version */
	for (const char *const *q = kc_section5_query_names(); *q; q++)
		for (size_t v = 0; v < NVERSIONS; v++) {
			int used = 0;
			for (size_t i = 0; i < f->v[v].set.nchecks; i++) {
				const struct kc_check *c = &f->v[v].set.checks[i];
				used |= c->ntests && c->tests[0].query && strcmp(c->tests[0].query, *q) == 0;
			}
			if (!used)
				fail_msg("%s: query %s unused", benchmarks[v], *q);
		}
}

/* The fixture cluster through the engine: one result per section-5 check, none ERROR or SKIP. */
static void test_fixture_no_error_or_skip(void **state)
{
	struct fixture *f = *state;
	for (size_t v = 0; v < NVERSIONS; v++) {
		const struct kc_run *run = &f->v[v].run;
		assert_int_equal(run->nresults, SECTION5_CHECKS);
		for (size_t i = 0; i < run->nresults; i++) {
			const struct kc_result *r = &run->results[i];
			assert_int_equal(strncmp(r->id, "5.", 2), 0);
			if (r->status == KC_ERROR || r->status == KC_SKIP)
				fail_msg("%s %s: %s (%s)", benchmarks[v], r->id, kc_status_name(r->status),
					 r->reason ? r->reason : "");
		}
		size_t counts[KC_STATUS_COUNT];
		kc_run_count(run, counts);
		assert_int_equal(counts[KC_ERROR], 0);
		assert_int_equal(counts[KC_SKIP], 0);
	}
}

/* Every mapped pair: the same status and the same number of failing objects as v1.12. */
static void test_mapped_pairs_agree(void **state)
{
	struct fixture *f = *state;
	for (size_t v = 0; v < NVERSIONS; v++)
		for (size_t m = 0; m < NMAPPING; m++) {
			const struct kc_result *old = result(&f->v[v], mapping[m].old_id[v]);
			if (!mapping[m].v112)
				continue;
			const struct kc_result *cur = result(&f->v112, mapping[m].v112);
			if (old->status != cur->status)
				fail_msg("%s %s is %s, v1.12 %s is %s", benchmarks[v], old->id, kc_status_name(old->status),
					 cur->id, kc_status_name(cur->status));
			assert_int_equal(k8s_nrows(old), k8s_nrows(cur));
		}
}

/* The named pairs, with the status the fixture cluster is built to give. */
static void test_representative_pairs(void **state)
{
	struct fixture *f = *state;
	for (size_t k = 0; k < sizeof(representatives) / sizeof(*representatives); k++) {
		const struct representative *p = &representatives[k];
		const struct kc_result *cur = result(&f->v112, p->v112);
		if (cur->status != p->want)
			fail_msg("v1.12 %s (%s) is %s", p->v112, p->what, kc_status_name(cur->status));
		for (size_t v = 0; v < NVERSIONS; v++) {
			const struct kc_result *old = result(&f->v[v], p->old_id[v]);
			if (old->status != p->want)
				fail_msg("%s %s (%s) is %s, want %s like v1.12 %s", benchmarks[v], p->old_id[v], p->what,
					 kc_status_name(old->status), kc_status_name(p->want), p->v112);
		}
	}
	for (size_t v = 0; v < NVERSIONS; v++) {
		/* the rows the remediation helper reads keep their ids in every version */
		const struct kc_result *r = result(&f->v[v], "5.3.2");
		assert_non_null(k8s_row(r, "Namespace", NULL, "default"));
		assert_null(k8s_row(r, "Namespace", NULL, "team-a"));
		r = result(&f->v[v], "5.1.1");
		const struct kc_evidence *e = k8s_row(r, "ClusterRoleBinding", NULL, "ci-admin");
		assert_non_null(e);
		assert_string_equal(e->value, "ServiceAccount team-b/ci-deployer");
		r = result(&f->v[v], "5.2.2");
		assert_non_null(k8s_row(r, "Deployment", "team-b", "legacy"));
		assert_non_null(k8s_row(r, "DaemonSet", "kube-system", "calico-node"));
		assert_string_equal(r->id, "5.2.2");
		/* added capabilities (only before v1.12): only containers that add count, so it lists a
		 * subset of v1.12's 5.2.9 (which also fails containers that keep their capabilities) */
		r = result(&f->v[v], "5.2.9");
		const struct kc_result *all = result(&f->v112, "5.2.9");
		assert_string_equal(r->type, "automated");
		assert_true(r->nevidence <= all->nevidence);
		for (size_t k = 0; k < r->nevidence; k++)
			if (r->evidence[k].kind == KC_EV_OBJECT && r->evidence[k].key)
				assert_non_null(strstr(r->evidence[k].key, "capabilities.add"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks_load),
		cmocka_unit_test(test_same_evaluators),
		cmocka_unit_test(test_fixture_no_error_or_skip),
		cmocka_unit_test(test_mapped_pairs_agree),
		cmocka_unit_test(test_representative_pairs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
