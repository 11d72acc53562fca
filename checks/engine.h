/* The engine: evaluates each selected check of a policy set against the facts of one node
 * (and, through query providers, the cluster's objects), appending one result per check. */
#ifndef KC_ENGINE_H
#define KC_ENGINE_H

#include "store/run.h"
#include "checks/node.h"
#include "checks/policy.h"

/* A query provider decides `query:` tests whose name starts with its prefix (e.g. "rbac.",
 * "pods.", "netpol."). It sets *status and fills r's expected/actual/evidence. Returning a
 * negative code makes the result ERROR with kc_error_last() as the reason. */
typedef int (*kc_query_fn)(void *ctx, const struct kc_check *check, const struct kc_test *test,
			   struct kc_result *r, enum kc_status *status);

struct kc_query_provider {
	const char *prefix;
	kc_query_fn fn;
	void *ctx;
};

struct kc_engine_opts {
	const char *include;   /* --check */
	const char *exclude;   /* --skip */
	const char *targets;   /* --targets: comma list; NULL = every target present on the node */
	const struct kc_query_provider *providers;
	size_t nproviders;
};

/* Evaluates the selected checks in policy order. Node facts are read once per run through
 * node's caches. Never fails as a whole: a check that cannot be evaluated is ERROR. */
int kc_engine_run(const struct kc_policy_set *set, struct kc_node *node,
		  const struct kc_engine_opts *opts, struct kc_run *run);

/* Compares one value with a test's operator (exported for tests and query providers).
 * Returns 1 pass, 0 fail; *why gets a short human explanation (caller frees). */
int kc_op_eval(const struct kc_test *t, const char *value, char **why);

#endif
