/* Continuous mode: `kubecomply watch`. The subcommand (auditor/cmd_watch.c) parses options,
 * opens the store, creates the watch run, and runs the monitors asked for; each monitor is
 * an entry point declared in its own folder (bpf/bpfmon.h, auditlog/watch.h) that
 * returns when the duration ends, when o->stopping() says so (SIGTERM/SIGINT), or on a fatal
 * error (negative code, message in kc_error_last()). */
#ifndef KC_WATCH_H
#define KC_WATCH_H

#include <stdint.h>

#include "auditlog/watch.h"
#include "store/run.h"
#include "bpf/bpfmon.h"
#include "common/watch.h"
#include "store/store.h"

/* Set by the signal handler installed by cmd_watch; handed to the monitors as o->stopping. */
int kc_watch_stopping(void);
void kc_watch_request_stop(void);

#endif
