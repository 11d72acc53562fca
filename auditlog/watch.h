/* The audit-log monitor's entry point: follows --audit-log or serves --audit-webhook into the
 * store until o->duration ends or o->stopping() says so. Rules: o->policy_dir/audit-rules.yaml
 * when present, else o->policy_root/runtime/audit-rules.yaml. */
#ifndef KC_AUDITLOG_WATCH_H
#define KC_AUDITLOG_WATCH_H

#include "store/run.h"
#include "common/watch.h"
#include "store/store.h"

int kc_auditlog_watch(const struct kc_watch_opts *o, struct kc_store *st, struct kc_run *run);

#endif
