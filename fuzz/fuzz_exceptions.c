/* libFuzzer target: the exceptions file (--exceptions) is written by users and kept in git. */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "checks/k8s/exceptions.h"
#include "common/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_exceptions *ex = NULL;
	if (kc_exceptions_load_buffer("fuzz.yaml", (const char *)data, size, &ex) == 0) {
		struct kc_result r = { 0 };
		struct kc_evidence *ev = kc_result_add_evidence(&r, KC_EV_OBJECT);
		ev->obj_kind = kc_strdup("Deployment");
		ev->obj_namespace = kc_strdup("kube-system");
		ev->obj_name = kc_strdup("cilium-operator");
		kc_exceptions_apply(ex, "5.2.2", &r, KC_FAIL, (time_t)1800000000);
		kc_result_clear(&r);
	}
	kc_exceptions_free(ex);
	return 0;
}
