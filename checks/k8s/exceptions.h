/* Documented exceptions: a FAIL object that the cluster's owners accept, for a reason and
 * until a date. The file (YAML):
 *
 *   exceptions:
 *     - check: "5.2.2"              # check id, or a glob: "5.2.*"
 *       object: kube-system/cilium-* # namespace/name globs; a bare name glob matches
 *                                    # cluster-scoped objects and Namespace rows
 *       kind: DaemonSet              # optional: only rows of this kind
 *       reason: the CNI agent needs privileged mode
 *       expires: 2026-06-30          # YYYY-MM-DD, last day the exception applies (UTC)
 *
 * An excepted object stays in the evidence with the reason; when every failing object of a
 * result is excepted the result is PASS with `exception` set. Expired entries no longer apply
 * and say so in the row they would have matched. */
#ifndef KC_K8S_EXCEPTIONS_H
#define KC_K8S_EXCEPTIONS_H

#include <stddef.h>
#include <time.h>

#include "store/result.h"

struct kc_exception {
	char *check, *kind, *ns_glob, *name_glob, *reason, *expires;
	time_t until;      /* first second after the expiry day */
	long line;
};

struct kc_exceptions {
	char *path;
	struct kc_exception *items;
	size_t n;
};

/* Errors name "file:line:column: what was expected"; *out is NULL on error. */
int kc_exceptions_load(const char *path, struct kc_exceptions **out);
int kc_exceptions_load_buffer(const char *name, const char *data, size_t len, struct kc_exceptions **out);
void kc_exceptions_free(struct kc_exceptions *ex);

/* Applies ex to a result of check_id whose status is `status`; returns the new status.
 * Only FAIL results change. now is injectable for tests. */
enum kc_status kc_exceptions_apply(const struct kc_exceptions *ex, const char *check_id, struct kc_result *r,
				   enum kc_status status, time_t now);

#endif
