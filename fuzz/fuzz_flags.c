/* libFuzzer target: command lines read from /proc/<pid>/cmdline and static pod manifests are
 * outside input (any process on the node controls its own). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/flags.h"
#include "checks/podspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_flags f = { 0 };
	kc_flags_parse_cmdline(&f, (const char *)data, size);
	kc_flags_value(&f, "profiling");
	kc_flags_value(&f, "--config");
	kc_flags_clear(&f);
	/* typed: slices, arrays and maps combined; etcd read with Go's flag package */
	static const char *const comps[] = { "kube-apiserver", "kubelet", "etcd" };
	for (size_t i = 0; i < 3; i++) {
		f.component = comps[i];
		kc_flags_parse_cmdline(&f, (const char *)data, size);
		kc_flags_value(&f, "authorization-mode");
		kc_flags_value(&f, "feature-gates");
		kc_flags_clear(&f);
	}
	/* the same bytes as a static pod manifest */
	struct kc_podspec ps;
	if (kc_podspec_parse("fuzz.yaml", (const char *)data, size, &ps) == 0) {
		kc_flags_parse(&f, (int)ps.argc, ps.argv);
		kc_flags_clear(&f);
	}
	kc_podspec_clear(&ps);
	return 0;
}
