/* libFuzzer target: the kubelet's config file (KubeletConfiguration YAML or JSON) as the
 * layering code reads it. Each input is written to a scratch root as the file --config names,
 * with a copy in the --config-dir drop-in directory, and every setting the benchmarks ask
 * about is resolved with evidence. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/kubelet.h"
#include "checks/node.h"
#include "common/strbuf.h"

static char root[64];

static void write_file(const char *rel, const uint8_t *data, size_t size)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

static void setup(void)
{
	if (root[0])
		return;
	snprintf(root, sizeof(root), "/tmp/kc-fuzz-kubelet-XXXXXX");
	if (!mkdtemp(root))
		abort();
	static const char *const dirs[] = { "etc", "etc/systemd", "etc/systemd/system", "var", "var/lib",
					    "var/lib/kubelet", "etc/kubelet.conf.d" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		mkdir(p, 0755);
	}
	static const char unit[] = "[Service]\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml "
				   "--config-dir=/etc/kubelet.conf.d\n";
	write_file("etc/systemd/system/kubelet.service", (const uint8_t *)unit, sizeof(unit) - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	write_file("var/lib/kubelet/config.yaml", data, size);
	write_file("etc/kubelet.conf.d/10-fuzz.conf", data, size / 2);
	struct kc_node node;
	if (kc_node_open(&node, root, NULL) < 0)
		return 0;
	static const char *const keys[][2] = {
		{ "anonymous-auth", "authentication.anonymous.enabled" }, { "authorization-mode", "authorization.mode" },
		{ "read-only-port", "readOnlyPort" }, { "tls-cipher-suites", "tlsCipherSuites" },
		{ NULL, "featureGates" }, { "client-ca-file", NULL }, { NULL, "a.b.c.d.e.f" },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		struct kc_result r;
		memset(&r, 0, sizeof(r));
		struct kc_kubelet_value v;
		kc_kubelet_resolve(&node, keys[i][0], keys[i][1], 1, &v, &r);
		kc_kubelet_value_clear(&v);
		kc_kubelet_feature_gate(&node, "RotateKubeletServerCertificate", "true", &v, &r);
		kc_kubelet_value_clear(&v);
		kc_result_clear(&r);
	}
	kc_node_clear(&node);
	return 0;
}
