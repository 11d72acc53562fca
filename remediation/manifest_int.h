/* Semi-private helpers shared by the manifest generators (manifest.c, netpol.c). */
#ifndef KC_MANIFEST_INT_H
#define KC_MANIFEST_INT_H

#include "remediation/manifest.h"
#include "remediation/yemit.h"

/* metadata: name, namespace (NULL for cluster-scoped), the managed-by label plus
 * extra_labels, the check and run annotations plus extra_annotations (both NULL or
 * NULL-terminated key, value, key, value, ... arrays). */
void kc_manifest__metadata(struct kc_yemit *y, const char *name, const char *ns,
			   const struct kc_manifest_meta *meta, const char *const *extra_labels,
			   const char *const *extra_annotations);

#endif
