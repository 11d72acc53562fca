/* Continuity of `watch` across its own deaths and its storage bound: self-contained SQL (no
 * schema change) that the store module can adopt as is.
 *
 * A watch run that never finished (SIGKILL, OOM kill, node crash) left the node unwatched
 * from its last sign of life until the next run started: that blind time becomes a gap row of
 * the new run (monitor "watch"), and the old run is closed at its last sign of life so that the
 * gap is recorded once. --retain bounds what monitors store: events and audit requests older
 * than the bound are deleted; findings and gaps (the evidence) are kept. */
#ifndef KC_STORE_WATCH_H
#define KC_STORE_WATCH_H

#include <stdint.h>

#include "auditor/store.h"

/* Records the down time after unfinished watch runs of run->host before run; *n = how many. */
int kc_store_watch_downtime(struct kc_store *st, const struct kc_run *run, int *n);
/* Deletes events and audit_events older than cutoff (RFC 3339 UTC); *deleted = rows removed. */
int kc_store_watch_retain(struct kc_store *st, const char *cutoff, int64_t *deleted);

#endif
