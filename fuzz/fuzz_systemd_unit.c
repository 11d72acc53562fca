/* libFuzzer target: systemd units, drop-ins and EnvironmentFiles are files on the audited
 * node, written by whoever administers it. The input is split at the first NUL byte: the
 * part before is applied as a unit file, the part after as an EnvironmentFile. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "checks/flags.h"
#include "checks/systemd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t unit_len = nul ? (size_t)(nul - text) : size;
	struct kc_unit u;
	memset(&u, 0, sizeof(u));
	kc_unit_apply_text(&u, "/etc/systemd/system/fuzz.service", text, unit_len);
	if (nul)
		kc_unit_apply_envfile(&u, "/etc/default/fuzz", nul + 1, size - unit_len - 1);
	kc_unit_finish(&u);
	/* what node.c does with the result */
	if (u.argc) {
		struct kc_flags f = { 0 };
		kc_flags_parse(&f, (int)u.argc, u.argv);
		kc_flags_value(&f, "config");
		kc_flags_clear(&f);
	}
	kc_unit_var(&u, "KUBELET_EXTRA_ARGS");
	kc_unit_setting(&u, "IPAddressDeny");
	kc_unit_clear(&u);
	return 0;
}
