/* libFuzzer target: the redaction rule (common/redact.h) runs over every text that enters
 * the store, including command lines and files any process on the node controls. It must
 * not crash, must be idempotent (the store redacts text the engine already redacted), and
 * must never let a credential flag's "=value" through. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/redact.h"
#include "common/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = kc_strndup((const char *)data, size);
	char *once = kc_redact_text(text);
	char *twice = kc_redact_text(once);
	if (strcmp(once, twice) != 0)
		abort();
	/* "--token=" followed by anything but the marker must not survive */
	for (const char *p = once; (p = strstr(p, "--token=")) != NULL; p++) {
		const char *v = p + 8;
		int word = p == once || p[-1] == ' ';
		if (word && *v && !isspace((unsigned char)*v) && *v != '"' && *v != '\'' && *v != ',' && *v != ')' &&
		    strncmp(v, KC_REDACTED, strlen(KC_REDACTED)) != 0)
			abort();
	}
	kc_redact_key_is_secret(text);
	size_t before = strlen(text);
	kc_redact_inplace(text);
	if (strlen(text) > before)
		abort();
	free(twice);
	free(once);
	free(text);
	return 0;
}
