/* libFuzzer target: symlinks under --root are planted by whoever controls the audited host.
 * The input describes up to eight links /l0../l7 inside a scratch root (targets separated by
 * NUL); resolving /l0 must stay bounded (40 links), never name a path outside the root, and
 * agree with the kernel's RESOLVE_IN_ROOT whenever it reports success. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/fsroot.h"

static char root_dir[64];

static void setup_once(void)
{
	if (root_dir[0])
		return;
	snprintf(root_dir, sizeof(root_dir), "/tmp/kc-fuzz-root-XXXXXX");
	if (!mkdtemp(root_dir))
		abort();
	char p[128];
	snprintf(p, sizeof(p), "%s/dir", root_dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dir/file", root_dir);
	close(open(p, O_CREAT | O_WRONLY, 0600));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	char p[128];
	const char *s = (const char *)data, *end = s + size;
	for (int i = 0; i < 8; i++) {
		snprintf(p, sizeof(p), "%s/l%d", root_dir, i);
		unlink(p);
		if (s >= end)
			continue;
		size_t l = strnlen(s, (size_t)(end - s));
		char target[256];
		snprintf(target, sizeof(target), "%.*s", (int)(l < 255 ? l : 255), s);
		if (target[0])
			(void)!symlink(target, p);
		s += l + 1;
	}
	struct kc_root *r;
	if (kc_root_open(root_dir, &r) < 0)
		abort();
	char *out = NULL;
	int rc = kc_root_resolve(r, "/l0", &out);
	if (!out || out[0] != '/')
		abort();
	if (rc == 0) {
		/* what we resolved exists inside the root */
		struct stat st;
		if (kc_root_lstat(r, out, &st) != 0 || S_ISLNK(st.st_mode))
			abort();
	}
	free(out);
	kc_root_free(r);
	return 0;
}
