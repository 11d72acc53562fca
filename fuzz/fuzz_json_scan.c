/* libFuzzer target: the JSON scanner that sees every JSON manifest before json-c (depth bound,
 * NUL escapes, duplicate keys, List item offsets). Whatever it accepts, each item span it
 * returns lies inside the input and json-c parses the value it reports. */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "checks/k8s/jsonscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct kc_json_scan sc;
	if (kc_json_scan(s, size, &sc) < 0) {
		if (sc.err_off > size)
			abort();
		return 0;
	}
	if (sc.end == 0 || sc.end > size)
		abort();
	for (size_t i = 0; i < sc.nitems; i++)
		if (sc.items[i].off >= sc.end || sc.items[i].off + sc.items[i].len > sc.end)
			abort();
	struct json_tokener *tok = json_tokener_new_ex(KC_JSON_MAX_DEPTH + 1);
	struct json_object *o = json_tokener_parse_ex(tok, s, (int)sc.end);
	json_object_put(o);
	json_tokener_free(tok);
	kc_json_scan_clear(&sc);
	return 0;
}
