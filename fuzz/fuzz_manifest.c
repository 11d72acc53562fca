/* libFuzzer target: the manifest reader (YAML streams, JSON, Lists) and the object decoder take
 * whatever a repository or stdin holds; every query then runs over what was decoded. */
#include <stddef.h>
#include <stdint.h>

#include "checks/k8s/cluster.h"
#include "store/result.h"
#include "checks/section5/providers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_cluster *c = kc_cluster_new();
	kc_cluster_load_buffer(c, "fuzz.yaml", (const char *)data, size);
	for (size_t i = 0; i < kc_cluster_warning_count(c); i++)
		(void)kc_cluster_warning(c, i);
	for (const char *const *q = kc_section5_query_names(); *q; q++) {
		struct kc_result r = { 0 };
		enum kc_status st;
		kc_section5_query(c, *q, "5.0.0", &r, &st);
		kc_result_clear(&r);
	}
	kc_cluster_free(c);
	return 0;
}
