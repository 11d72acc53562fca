/* The CI gate: --fail-on decides which results make `audit` exit 1.
 * Forms (comma-separated, any one trips the gate): FAIL | WARN | ERROR (a status and every
 * worse one: WARN includes FAIL), severity>=high, level=1 / level<=2, scored. Statuses may
 * be combined with the others: "FAIL,severity>=high" trips on a FAIL of high or critical
 * severity; "automated" limits it to checks of type automated. Default: "scored" with status
 * FAIL, i.e. any scored FAIL (audit with a cluster source defaults to "FAIL,automated":
 * section 5 is unscored in the benchmark, so "scored" would never trip there). */
#ifndef KC_GATE_H
#define KC_GATE_H

#include "store/run.h"

struct kc_gate {
	int statuses;             /* bit per enum kc_status that trips */
	int min_severity;         /* -1 = any */
	int max_level;            /* 0 = any */
	int scored_only;
	int automated_only;       /* "automated": checks of type automated only */
};

int kc_gate_parse(struct kc_gate *g, const char *spec); /* NULL/empty = default */
int kc_gate_trips(const struct kc_gate *g, const struct kc_result *r);

#endif
