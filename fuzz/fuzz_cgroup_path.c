/* libFuzzer target: the cgroup-path attribution parser (bpf/attribution.c). Cgroup names are
 * chosen by whoever creates cgroups on the node, so the parser reads outside input. Checks
 * that what it returns is well-formed, not just that it does not crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/attribution.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_cgroup_info info;
	kc_cgroup_parse((const char *)data, size, &info);
	if (info.kind == KC_CGROUP_CONTAINER && strlen(info.container_id) != 64)
		abort();
	if (info.kind >= KC_CGROUP_POD) {
		size_t n = strlen(info.pod_uid);
		if (n < 32 || n > 36 || strchr(info.pod_uid, '_'))
			abort();
	}
	if (info.kind < KC_CGROUP_POD && (info.pod_uid[0] || info.container_id[0]))
		abort();
	/* every field is NUL-terminated within its array */
	if (memchr(info.unit, 0, sizeof(info.unit)) == NULL || memchr(info.qos, 0, sizeof(info.qos)) == NULL ||
	    memchr(info.runtime, 0, sizeof(info.runtime)) == NULL)
		abort();
	return 0;
}
