/* libFuzzer target: the HTTP request head parser of both servers, the audit webhook and the
 * metrics endpoint (common/http.c).
 * Checks what the webhook relies on: a complete head's length is within the input and the
 * max_head bound, a refusal carries a status and a reason, and the path has no query. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_http_request r;
	size_t max_head = 4096;
	long n = kc_http_request_parse((const char *)data, size, max_head, &r);
	if (n > 0) {
		assert((size_t)n <= size && (size_t)n <= max_head);
		assert(memcmp(data + n - 4, "\r\n\r\n", 4) == 0);
		assert(r.path[0] == '/' && !strchr(r.path, '?'));
		assert(strcmp(r.method, "POST") != 0 || r.content_length >= 0);
	} else if (n < 0) {
		assert(r.status >= 400 && r.status < 600 && r.reason);
	} else {
		assert(size < max_head);
	}
	return 0;
}
