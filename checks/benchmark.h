/* Which benchmark to run and where its policies live. */
#ifndef KC_BENCHMARK_H
#define KC_BENCHMARK_H

#include "checks/node.h"
#include "checks/policy.h"

#define KC_DEFAULT_BENCHMARK "cis-1.12"

/* Resolves "auto" (or NULL) to a benchmark name for this node; other names are returned as
 * given. *why says how it was chosen. When version (may be NULL) is given, *version gets the
 * Kubernetes version given or detected (caller frees; NULL when unknown). Caller frees the
 * result. */
char *kc_benchmark_resolve(const char *name, struct kc_node *node, const char *k8s_version, const char **why,
			   char **version);
/* Loads policies/<name>/ (validating the name: it becomes a path) plus extra_dir when given. */
int kc_benchmark_load(const char *name, const char *extra_dir, struct kc_policy_set *out);

#endif
