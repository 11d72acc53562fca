/* Prometheus metrics in the text exposition format (version 0.0.4), every name prefixed
 * `kubecomply_`. Served by `watch --metrics-addr` (auditor/metrics_http.h) and written for
 * node-exporter's textfile collector by `--metrics-file` in batch mode.
 *
 *   kubecomply_build_info{version}                                   gauge, 1
 *   kubecomply_checks{benchmark,host,status,severity}                gauge: latest audit run
 *   kubecomply_check_status{benchmark,host,check,section,status}     gauge, 1 per check
 *   kubecomply_last_audit_timestamp_seconds{benchmark,host}          gauge: latest audit's finish
 *   kubecomply_last_audit_run_id{benchmark,host}                     gauge
 *   kubecomply_findings_total{rule,severity,source}                  counter
 *   kubecomply_monitor_events_seen_total{monitor}                    counter (from gaps)
 *   kubecomply_monitor_events_lost_total{monitor}                    counter (from gaps)
 *   kubecomply_monitor_gaps_total{monitor}                           counter
 *   kubecomply_audit_events_ingested_total                           counter
 *
 * Every status x severity pair is always present (0 when none) so that a series does not
 * vanish when the last failure is fixed: alerts on `> 0` then resolve instead of going stale.
 * Lines come in a fixed order, so the output for a given run and store is byte-stable. */
#ifndef KC_METRICS_H
#define KC_METRICS_H

#include "store/run.h"
#include "store/store.h"
#include "common/strbuf.h"

/* The Content-Type a server must send with this text. */
#define KC_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Appends the exposition to out. run: the audit to describe; NULL = the latest run of kind
 * "audit" in st (none yet: the check metrics are absent). st: the store whose findings, gaps
 * and audit events are counted over all runs; NULL = count run's own findings and gaps (and no
 * audit-event counter). Returns 0 or a negative code (KC_EDB) with out unchanged. */
int kc_metrics_render(const struct kc_run *run, struct kc_store *st, struct kc_buf *out);

/* The same, written atomically to path (mode 0644: node-exporter runs as another user, and
 * metrics carry no evidence). Name the file *.prom for the textfile collector. */
int kc_metrics_write_file(const struct kc_run *run, struct kc_store *st, const char *path);

#endif
