/* libFuzzer target: Go value syntax read from configs and flags others write (durations,
 * quantities, booleans) and the nesting pre-scan every YAML input goes through first. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/govalue.h"
#include "common/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	int64_t ns;
	if (kc_go_duration(s, &ns) == 0) {
		char buf[40];
		kc_go_duration_string(ns, buf, sizeof(buf));
	}
	double q;
	kc_go_quantity(s, &q);
	int b;
	kc_go_bool(s, &b);
	kc_yaml_check_depth("fuzz", (const char *)data, size, 64);
	free(s);
	return 0;
}
