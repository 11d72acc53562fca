/* libFuzzer target: the kubeconfig reader (contexts, clusters, users, base64 -data fields). The
 * tokenFile lookup is given a base directory that does not exist, so no real file is read. */
#include <stddef.h>
#include <stdint.h>

#include "checks/k8s/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_k8s_creds k;
	if (kc_kubeconfig_parse("fuzz-kubeconfig", (const char *)data, size, NULL, "/nonexistent-kc-fuzz", &k) == 0)
		kc_k8s_creds_clear(&k);
	if (kc_kubeconfig_parse("fuzz-kubeconfig", (const char *)data, size, "dev", "/nonexistent-kc-fuzz", &k) == 0)
		kc_k8s_creds_clear(&k);
	return 0;
}
