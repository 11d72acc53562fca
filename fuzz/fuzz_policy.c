/* libFuzzer target: the policy loader takes YAML written by users (--policy-dir). */
#include <stddef.h>
#include <stdint.h>

#include "checks/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_policy_set set = { 0 };
	kc_policy_load_buffer(&set, "fuzz.yaml", (const char *)data, size);
	for (size_t i = 0; i < set.nchecks; i++) {
		struct kc_check *c = &set.checks[i];
		kc_check_selected(c, "1.2,4", "1.2.1");
	}
	kc_policy_set_clear(&set);
	return 0;
}
