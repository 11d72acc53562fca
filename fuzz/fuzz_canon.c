/* libFuzzer target: the canonical form of stored evidence (store/canon.h). Two properties:
 * 1. any bytes decode without reading past the end, and what decodes re-encodes to exactly
 *    the bytes consumed (one encoding per value sequence);
 * 2. any value sequence, encoded, decodes back to the same values (no two sequences share
 *    an encoding: the digests of the chain cannot be made to collide by moving a boundary). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/canon.h"

static void reencode(struct kc_canon *c, const struct kc_canon_value *v)
{
	switch (v->type) {
	case 'n': kc_canon_null(c); break;
	case 'i': kc_canon_int(c, v->i); break;
	case 'r': kc_canon_real(c, v->r); break;
	case 's': kc_canon_strn(c, (const char *)v->p, v->len); break;
	default: kc_canon_blob(c, v->p, v->len); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 1: decode, re-encode */
	struct kc_canon c;
	kc_canon_init_bytes(&c);
	size_t pos = 0;
	struct kc_canon_value v;
	while (kc_canon_next(data, size, &pos, &v) == 1)
		reencode(&c, &v);
	if (c.buf.len > size || memcmp(c.buf.ptr, data, c.buf.len) != 0)
		abort();
	kc_canon_dispose(&c);

	/* 2: the input read as a list of values to encode: a type byte, then for strings and
	 * blobs a length byte and that many bytes, for numbers 8 bytes */
	kc_canon_init_bytes(&c);
	struct kc_canon_value want[256];
	size_t n = 0;
	for (size_t i = 0; i < size && n < 256;) {
		struct kc_canon_value *w = &want[n];
		memset(w, 0, sizeof(*w));
		uint8_t t = data[i++] % 5;
		if (t == 0) {
			w->type = 'n';
		} else if (t == 1 || t == 2) {
			uint64_t x = 0;
			for (int k = 0; k < 8 && i < size; k++)
				x = x << 8 | data[i++];
			w->type = t == 1 ? 'i' : 'r';
			w->i = (int64_t)x;
			memcpy(&w->r, &x, sizeof(x));
		} else {
			size_t len = i < size ? data[i++] : 0;
			if (len > size - i)
				len = size - i;
			w->type = t == 3 ? 's' : 'b';
			w->p = data + i;
			w->len = len;
			i += len;
		}
		reencode(&c, w);
		n++;
	}
	pos = 0;
	for (size_t k = 0; k < n; k++) {
		if (kc_canon_next((const unsigned char *)c.buf.ptr, c.buf.len, &pos, &v) != 1 || v.type != want[k].type)
			abort();
		if ((v.type == 'i' && v.i != want[k].i) ||
		    (v.type == 'r' && memcmp(&v.r, &want[k].r, sizeof(v.r)) != 0) ||
		    ((v.type == 's' || v.type == 'b') && (v.len != want[k].len || memcmp(v.p, want[k].p, v.len) != 0)))
			abort();
	}
	if (kc_canon_next((const unsigned char *)c.buf.ptr, c.buf.len, &pos, &v) != 0)
		abort();
	kc_canon_dispose(&c);
	return 0;
}
