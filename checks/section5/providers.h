/* Section 5 as query providers for the engine: policies/cis-1.12/5-*.yaml name these queries
 * (`query: rbac.cluster_admin_bindings`), and the providers decide them from a cluster.
 *
 *   struct kc_query_provider qp[KC_SECTION5_PROVIDERS];
 *   size_t n = kc_cluster_providers(cluster, qp, KC_SECTION5_PROVIDERS);
 *   opts.providers = qp; opts.nproviders = n;
 *
 * Load every source into the cluster first: the providers index it once, here. */
#ifndef KC_SECTION5_PROVIDERS_H
#define KC_SECTION5_PROVIDERS_H

#include <stddef.h>

#include "checks/engine.h"
#include "store/result.h"

struct kc_cluster;

#define KC_SECTION5_PROVIDERS 6

/* Fills out with one provider per query prefix (rbac., pods., netpol., secrets., admission.,
 * namespaces.), ctx = c (borrowed: keep c alive while the engine runs). Returns how many. */
size_t kc_cluster_providers(struct kc_cluster *c, struct kc_query_provider *out, size_t max);

/* Decides one query directly (tests, bench, and callers without the engine). check_id is used
 * for exceptions and may be NULL. */
int kc_section5_query(struct kc_cluster *c, const char *query, const char *check_id, struct kc_result *r,
		      enum kc_status *status);

/* Every query name, NULL-terminated (for policy validation). */
const char *const *kc_section5_query_names(void);

#endif
