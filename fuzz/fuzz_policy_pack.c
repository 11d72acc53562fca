/* libFuzzer target: the packed policy reader (checks/policy_pack.h). The packs are the
 * binary's own build-time data, never outside input, but the reader is bounds-checked all the
 * same: any bytes are refused or read without reading past the end, a refused pack leaves the
 * set empty, and what reads writes a pack that reads back to the same set. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/policy.h"
#include "checks/policy_pack.h"
#include "common/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the pack's magic first, so that the fuzzer spends its time past it */
	static const char magic[8] = "KCPK\0\0\0\1";
	unsigned char *buf = malloc(size + sizeof(magic));
	if (!buf)
		return 0;
	memcpy(buf, magic, sizeof(magic));
	memcpy(buf + sizeof(magic), data, size);
	struct kc_policy_set set = { 0 };
	if (kc_policy_pack_read(buf, size + sizeof(magic), "/fuzz", &set) == 0) {
		/* what was read writes a pack that reads back to a set writing the same bytes (the
		 * first write normalises: an int field wider than the struct's, has_re 2 for 1) */
		struct kc_buf w1 = KC_BUF_INIT, w2 = KC_BUF_INIT;
		kc_policy_pack_write(&set, &w1);
		struct kc_policy_set again = { 0 };
		if (kc_policy_pack_read((const unsigned char *)w1.ptr, w1.len, "/fuzz", &again) != 0)
			abort();
		kc_policy_pack_write(&again, &w2);
		if (w1.len != w2.len || memcmp(w1.ptr, w2.ptr, w1.len) != 0)
			abort();
		kc_policy_set_clear(&again);
		kc_buf_clear(&w1);
		kc_buf_clear(&w2);
	} else if (set.nchecks || set.checks || set.benchmark || set.title) {
		abort();
	}
	kc_policy_set_clear(&set);
	free(buf);
	return 0;
}
