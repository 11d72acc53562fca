/* Fuzzes the kustomization editor (line insertion at libyaml's positions): any input either
 * is refused with an error or yields a file that parses back as one mapping whose
 * resources list holds every added entry; the same for the patches list. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "common/yaml.h"
#include "remediation/kustomize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const add[] = { "shop/networkpolicy-default-deny.yaml", "./team-a/namespace-pod-security.yaml" };
	struct kc_buf out = KC_BUF_INIT;
	int changed = 0;
	if (kc_kustomize_add_resources("fuzz", (const char *)data, size, add, 2, &out, &changed) == 0) {
		const char *text = changed ? out.ptr : (const char *)data;
		size_t len = changed ? out.len : size;
		/* whatever was accepted now lists both entries */
		for (size_t i = 0; i < 2; i++)
			if (!kc_kustomize_lists(text, len, add[i]))
				abort();
		if (changed) {
			struct kc_yaml y;
			if (kc_yaml_load(&y, "out", out.ptr, out.len) != 0 || y.ndocs != 1 ||
			    kc_yaml_root(&y, 0)->type != YAML_MAPPING_NODE)
				abort();
			kc_yaml_clear(&y);
		}
	}
	kc_error_clear();
	kc_buf_reset(&out);
	static const char *const patch[] = { "shop/namespace-pod-security.yaml" };
	if (kc_kustomize_add("fuzz", (const char *)data, size, KC_KUSTOMIZE_PATCHES, patch, 1, &out, &changed) == 0 &&
	    !kc_kustomize_lists_patch(changed ? out.ptr : (const char *)data, changed ? out.len : size, patch[0]))
		abort();
	kc_error_clear();
	kc_buf_clear(&out);
	return 0;
}
