/* Lower-case hexadecimal: the one encoder and decoder of the project's digests, signatures
 * and the evidence chain's stored row lists. */
#ifndef KC_HEX_H
#define KC_HEX_H

#include <stddef.h>

#include "common/strbuf.h"

/* Appends 2 * n lower-case hex digits. */
void kc_hex_put(struct kc_buf *out, const void *p, size_t n);
/* Decodes len hex digits (upper or lower case) into out; 0, or -1 on an odd length or a
 * character that is not a hex digit (out then holds what came before it). */
int kc_hex_decode(const char *hex, size_t len, struct kc_buf *out);

#endif
