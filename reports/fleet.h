/* Fleet report: the latest audit run of many nodes side by side (`kubecomply report --db A
 * --db B ...`, or a directory of *.db), one row per check with its status on every node, and
 * the nodes that drift from the rest highlighted.
 *
 * Drift: for each check, the majority status is the most common status among the nodes where
 * the check ran and was not SKIP (a worker skips the API server checks; that is its role, not
 * drift); ties go to the better status (PASS before FAIL before WARN before ERROR), so that a
 * node worse than its peers is the one flagged. A node drifts on a check when its status there
 * is neither SKIP nor the majority. A check a node's run does not have at all (another benchmark
 * or policy set) is shown as absent, not as drift.
 *
 *   struct kc_fleet *f;
 *   if (kc_fleet_load(paths, n, &f) == 0) {
 *           kc_fleet_render(f, stdout, json_path, html_path);
 *           kc_fleet_free(f);
 *   }
 */
#ifndef KC_FLEET_H
#define KC_FLEET_H

#include <stddef.h>
#include <stdio.h>

#include "store/run.h"

struct kc_fleet_node {
	char *db;              /* the database it came from */
	char *label;           /* "cluster/host" or "host"; unique within the fleet */
	struct kc_run run;     /* its latest audit run */
	size_t ndrift;         /* checks on which it drifts */
};

struct kc_fleet_check {
	const struct kc_result *first; /* metadata (id, title, section, severity) from the first node having it */
	int *status;           /* per node: enum kc_status, or -1 when the node's run lacks the check */
	int majority;          /* enum kc_status, or -1 when every node skipped or lacks it */
	size_t nmajority;      /* nodes with the majority status */
	size_t ndrift;         /* nodes drifting on this check */
};

struct kc_fleet {
	struct kc_fleet_node *nodes;
	size_t nnodes;
	struct kc_fleet_check *checks;  /* in benchmark id order (1.2.9 before 1.2.10) */
	size_t nchecks;
	size_t ndrift_checks;           /* checks with at least one drifting node */
};

/* paths: evidence databases, or directories whose *.db files (not recursive, name order) are
 * taken. Each database must exist (it is never created) and hold at least one audit run; the
 * latest audit run of each is loaded. Errors name the file. */
int kc_fleet_load(const char *const *paths, size_t npaths, struct kc_fleet **out);
/* The latest audit of every host in ONE store (a PostgreSQL database a fleet writes to, or a
 * SQLite file several hosts were audited into). */
int kc_fleet_load_store(const char *where, struct kc_fleet **out);
void kc_fleet_free(struct kc_fleet *f);

/* Text summary and the drifting checks to fp (may be NULL), and the full matrix as JSON
 * (`kubecomply.fleet/v1`) and HTML files when their paths are given (atomically). */
int kc_fleet_render(const struct kc_fleet *f, FILE *fp, const char *json_path, const char *html_path);

#endif
