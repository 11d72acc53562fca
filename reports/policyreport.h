/* Results as `wgpolicyk8s.io/v1alpha2` PolicyReport / ClusterPolicyReport objects (the Policy
 * Report API of the Kubernetes policy working group), so that Policy Reporter, Kyverno's UI and
 * similar tools show kubecomply's results beside those of other engines.
 *
 * One multi-document YAML stream, written with libyaml's emitter:
 *   - one ClusterPolicyReport: node checks (each result names the Node), section-5 results
 *     without objects, and failing cluster-scoped objects (ClusterRole, ClusterRoleBinding, ...).
 *     Named `kubecomply-<benchmark>-node-<host>` with scope Node/<host> when the run audited a
 *     node, else `kubecomply-<benchmark>-cluster`, so every node of a fleet keeps its own.
 *   - one PolicyReport per namespace holding failing objects of section-5 checks (Namespace
 *     rows, e.g. "no NetworkPolicy", go to that namespace's report), named
 *     `kubecomply-<benchmark>`, one result per (check, object).
 * Every object is labelled app.kubernetes.io/managed-by=kubecomply.
 *
 * result: PASS/FAIL/WARN/ERROR/SKIP -> pass/fail/warn/error/skip; an object covered by a
 * documented exception is `skip` with the exception in properties.exception (as Kyverno reports
 * a PolicyException). summary counts the results of each report. properties hold the check's
 * title, expected, actual, reason, level, scored and the evidence lines (each value at most
 * 2 KiB, cut with "..."): the Policy Report API types properties as strings.
 *
 * Size: etcd refuses an object over 1.5 MiB (a namespace with 100,000 failing objects made a
 * 106 MB report). Each report is split into parts of about KC_POLICYREPORT_PART_BYTES of
 * YAML: part 1 keeps the name above, part N is named "<name>-N"; every part carries the
 * label kubecomply.io/part=N and its own summary (the counts of the results it holds), and
 * `summary` comes after `results`. With one entry at most ~25 KiB (properties capped), a
 * part stays under 300 KiB of YAML, and its JSON form (what the API server stores; quotes
 * and escapes included) well under 1 MiB, even with client-side apply's last-applied copy. */
#ifndef KC_POLICYREPORT_H
#define KC_POLICYREPORT_H

#include "store/run.h"

#define KC_POLICYREPORT_PART_BYTES (256 * 1024)
#include "common/strbuf.h"

/* Writes the stream to path atomically (`audit --policy-report FILE`, `report ... --policy-report`). */
int kc_report_policyreport_write(const struct kc_run *run, const char *path);
/* Appends the same stream to out (tests, and the apply below). */
int kc_report_policyreport_render(const struct kc_run *run, struct kc_buf *out);

struct kc_k8s_client;
/* `--policy-report-apply` (reports/policyreport_apply.c): server-side applies every part of the
 * stream through cl and deletes the stale parts of ours (see that file for which). *applied
 * and *deleted count objects. Stops at the first API error, with its message. */
int kc_report_policyreport_apply(const struct kc_run *run, struct kc_k8s_client *cl, size_t *applied,
				 size_t *deleted);

#endif
