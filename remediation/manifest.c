/* Shared object metadata, and the two single-object fixes (PSA labels, default service
 * accounts). NetworkPolicies live in netpol.c. */
#include "remediation/manifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/yaml.h"
#include "remediation/manifest_int.h"
#include "remediation/names.h"
#include "remediation/yemit.h"

void kc_manifest__metadata(struct kc_yemit *y, const char *name, const char *ns,
			   const struct kc_manifest_meta *meta, const char *const *extra_labels,
			   const char *const *extra_annotations)
{
	char run[32];
	snprintf(run, sizeof(run), "%" PRId64, meta->run_id);
	kc_yemit_str(y, "metadata");
	kc_yemit_map_start(y);
	kc_yemit_kv(y, "name", name);
	if (ns)
		kc_yemit_kv(y, "namespace", ns);
	kc_yemit_str(y, "labels");
	kc_yemit_map_start(y);
	kc_yemit_kv(y, KC_MANAGED_BY_LABEL, KC_MANAGED_BY_VALUE);
	for (size_t i = 0; extra_labels && extra_labels[i]; i += 2)
		kc_yemit_kv(y, extra_labels[i], extra_labels[i + 1]);
	kc_yemit_map_end(y);
	kc_yemit_str(y, "annotations");
	kc_yemit_map_start(y);
	kc_yemit_kv(y, KC_ANN_CHECK, meta->check_id);
	kc_yemit_kv(y, KC_ANN_RUN, run);
	for (size_t i = 0; extra_annotations && extra_annotations[i]; i += 2)
		kc_yemit_kv(y, extra_annotations[i], extra_annotations[i + 1]);
	kc_yemit_map_end(y);
	kc_yemit_map_end(y);
}

/* Objects that exist before and after us (the Namespace, the default ServiceAccount) must
 * survive Argo CD pruning when the file is removed from Git: deleting a Namespace deletes
 * everything in it. */
static const char argocd_keep_key[] = "argocd.argoproj.io/sync-options";
static const char argocd_keep_value[] = "Prune=false,Delete=false";
/* Flux's kustomize-controller: garbage collection skips objects with this annotation
 * (fluxcd/kustomize-controller docs, "Garbage collection"). */
static const char flux_keep_key[] = "kustomize.toolkit.fluxcd.io/prune";
static const char flux_keep_value[] = "disabled";

int kc_manifest_psa_namespace(struct kc_buf *out, const char *ns, enum kc_psa_stage stage, const char *level,
			      const struct kc_manifest_meta *meta)
{
	struct kc_yemit y;
	int rc = kc_names_check_label("namespace", ns);
	if (rc)
		return rc;
	const char *observe[] = {
		"pod-security.kubernetes.io/audit", "restricted",
		"pod-security.kubernetes.io/audit-version", "latest",
		"pod-security.kubernetes.io/warn", "restricted",
		"pod-security.kubernetes.io/warn-version", "latest",
		NULL,
	};
	const char *enforce[] = {
		"pod-security.kubernetes.io/audit", "restricted",
		"pod-security.kubernetes.io/audit-version", "latest",
		"pod-security.kubernetes.io/enforce", level,
		"pod-security.kubernetes.io/enforce-version", "latest",
		"pod-security.kubernetes.io/warn", "restricted",
		"pod-security.kubernetes.io/warn-version", "latest",
		NULL,
	};
	const char *ann[] = {
		argocd_keep_key, argocd_keep_value,
		flux_keep_key, flux_keep_value,
		"kubecomply.io/pod-security-stage", stage == KC_PSA_ENFORCE ? "enforce" : "observe",
		NULL,
	};
	if (stage == KC_PSA_ENFORCE && (!level || (strcmp(level, "baseline") != 0 && strcmp(level, "restricted") != 0)))
		return kc_error_set(KC_EINVAL, "Pod Security level \"%s\": expected baseline or restricted", level ? level : "");
	if ((rc = kc_yemit_init(&y, out)) != 0)
		goto done;
	kc_yemit_doc_start(&y);
	kc_yemit_map_start(&y);
	kc_yemit_kv(&y, "apiVersion", "v1");
	kc_yemit_kv(&y, "kind", "Namespace");
	kc_manifest__metadata(&y, ns, NULL, meta, stage == KC_PSA_ENFORCE ? enforce : observe, ann);
	kc_yemit_map_end(&y);
	kc_yemit_doc_end(&y);
done:
	return kc_yemit_finish(&y);
}

int kc_manifest_service_account(struct kc_buf *out, const char *ns, const char *name,
				const struct kc_manifest_meta *meta)
{
	struct kc_yemit y;
	int rc = kc_names_check_label("namespace", ns);
	if (!rc)
		rc = kc_names_check_label("service account", name);
	if (rc)
		return rc;
	const char *ann[] = { argocd_keep_key, argocd_keep_value, flux_keep_key, flux_keep_value, NULL };
	if ((rc = kc_yemit_init(&y, out)) != 0)
		goto done;
	kc_yemit_doc_start(&y);
	kc_yemit_map_start(&y);
	kc_yemit_kv(&y, "apiVersion", "v1");
	kc_yemit_kv(&y, "kind", "ServiceAccount");
	kc_manifest__metadata(&y, name, ns, meta, NULL, ann);
	kc_yemit_str(&y, "automountServiceAccountToken");
	kc_yemit_bool(&y, 0);
	kc_yemit_map_end(&y);
	kc_yemit_doc_end(&y);
done:
	return kc_yemit_finish(&y);
}

int64_t kc_manifest_run_id(const char *text, size_t len)
{
	struct kc_yaml doc;
	int64_t id = 0;
	if (kc_yaml_load(&doc, "manifest", text, len) == 0 && doc.ndocs > 0) {
		yaml_document_t *d = &doc.docs[0];
		yaml_node_t *ann = kc_yaml_path(d, kc_yaml_root(&doc, 0), "metadata.annotations");
		const char *v = kc_yaml_scalar(kc_yaml_get(d, ann, KC_ANN_RUN));
		char *end;
		if (v) {
			long long n = strtoll(v, &end, 10);
			if (*end == '\0' && n > 0)
				id = n;
		}
	}
	kc_error_clear();
	kc_yaml_clear(&doc);
	return id;
}
