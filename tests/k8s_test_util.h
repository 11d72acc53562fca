/* Helpers for the k8s and section-5 suites, header-only because every tests/ source that is
   not a suite is linked into every suite. */
#ifndef KC_K8S_TEST_UTIL_H
#define KC_K8S_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/k8s/cluster.h"
#include "store/result.h"
#include "checks/section5/providers.h"
#include "common/error.h"
#include "common/strbuf.h"

/* Runs one query; fails the test on an internal error. */
static inline enum kc_status k8s_run(struct kc_cluster *c, const char *query, const char *id, struct kc_result *r)
{
	enum kc_status st = KC_ERROR;
	memset(r, 0, sizeof(*r));
	int rc = kc_section5_query(c, query, id, r, &st);
	if (rc < 0)
		fprintf(stderr, "query %s: %s\n", query, kc_error_last());
	assert_int_equal(rc, 0);
	return st;
}

/* The object row for kind ns/name (ns NULL for cluster-scoped), or NULL. */
static inline const struct kc_evidence *k8s_row(const struct kc_result *r, const char *kind, const char *ns,
						const char *name)
{
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct kc_evidence *e = &r->evidence[i];
		if (e->kind != KC_EV_OBJECT || !e->obj_kind || strcmp(e->obj_kind, kind) != 0 ||
		    !e->obj_name || strcmp(e->obj_name, name) != 0)
			continue;
		if ((ns == NULL) != (e->obj_namespace == NULL))
			continue;
		if (ns && strcmp(ns, e->obj_namespace) != 0)
			continue;
		return e;
	}
	return NULL;
}

static inline size_t k8s_nrows(const struct kc_result *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nevidence; i++)
		n += r->evidence[i].kind == KC_EV_OBJECT;
	return n;
}

static inline void k8s_dump(const struct kc_result *r)
{
	fprintf(stderr, "%s | %s | %s\n", kc_status_name(r->status), r->expected ? r->expected : "", r->actual ? r->actual : "");
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct kc_evidence *e = &r->evidence[i];
		fprintf(stderr, "  [%s] %s %s/%s %s:%ld %s=%s :: %s\n", kc_evidence_kind_name(e->kind),
			e->obj_kind ? e->obj_kind : "", e->obj_namespace ? e->obj_namespace : "",
			e->obj_name ? e->obj_name : "", e->source ? e->source : "", e->line, e->key ? e->key : "",
			e->value ? e->value : "", e->detail ? e->detail : "");
	}
}

#endif
