/* libFuzzer target: k3s's inputs are outside input — its command line (any process named
 * k3s), /etc/rancher/k3s/config.yaml and its config.yaml.d drop-ins. The input is split at
 * the first "\n---8<---\n" into a NUL-separated command line and a config file, and the rest
 * (after a second separator) becomes a drop-in; the node is loaded from a scratch tree, which
 * runs checks/k3s.c (config merge, pass-through, GetArgs) and the typed flag parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/node.h"

static char root[64];

static void write_file(const char *rel, const uint8_t *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	if (len)
		fwrite(data, 1, len, f);
	fclose(f);
}

static const uint8_t *cut(const uint8_t *p, size_t len, size_t *first)
{
	static const char sep[] = "\n---8<---\n";
	const uint8_t *m = memmem(p, len, sep, sizeof(sep) - 1);
	*first = m ? (size_t)(m - p) : len;
	return m ? m + sizeof(sep) - 1 : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root[0]) {
		snprintf(root, sizeof(root), "/tmp/fuzz_k3s.XXXXXX");
		if (!mkdtemp(root))
			abort();
		char p[128];
		static const char *const dirs[] = { "proc", "proc/10", "etc", "etc/rancher", "etc/rancher/k3s",
						    "etc/rancher/k3s/config.yaml.d" };
		for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
			snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
			mkdir(p, 0755);
		}
	}
	size_t n1, n2;
	const uint8_t *rest = cut(data, size, &n1), *rest2 = NULL;
	static const char head[] = "/usr/local/bin/k3s\0server\0";
	uint8_t *cmd = malloc(sizeof(head) - 1 + n1 + 1);
	memcpy(cmd, head, sizeof(head) - 1);
	memcpy(cmd + sizeof(head) - 1, data, n1);
	write_file("proc/10/cmdline", cmd, sizeof(head) - 1 + n1);
	free(cmd);
	size_t left = rest ? size - (size_t)(rest - data) : 0;
	if (rest)
		rest2 = cut(rest, left, &n2);
	write_file("etc/rancher/k3s/config.yaml", rest ? rest : (const uint8_t *)"", rest ? n2 : 0);
	write_file("etc/rancher/k3s/config.yaml.d/10-x.yaml", rest2 ? rest2 : (const uint8_t *)"",
		   rest2 ? left - (size_t)(rest2 - rest) : 0);
	char proc[128];
	snprintf(proc, sizeof(proc), "%s/proc", root);
	struct kc_node node;
	if (kc_node_open(&node, root, proc) == 0) {
		kc_node_load(&node);
		for (int i = 0; i < KC_COMP_COUNT; i++) {
			const struct kc_component *c = kc_node_component(&node, (enum kc_component_id)i);
			kc_flags_value(&c->flags, "anonymous-auth");
			kc_flags_value(&c->flags, "authorization-mode");
		}
		kc_node_clear(&node);
	}
	return 0;
}
