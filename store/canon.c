#include "store/canon.h"

#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/hex.h"

/* Hash in slices of this size: small enough to stay in cache, large enough that the
 * per-call cost is noise. SHA-256 comes from nettle, as the evidence files' digests do: OpenSSL
 * 3's first digest initialises its providers and reads openssl.cnf, which cost more CPU than
 * a node audit (README, "where an audit's time went"); the digest is the same FIPS 180-4
 * SHA-256 either way. */
#define FLUSH_AT 16384

void kc_canon_init_hash(struct kc_canon *c)
{
	kc_buf_init(&c->buf);
	struct sha256_ctx *md = malloc(sizeof(*md));
	if (!md)
		abort(); /* out of memory */
	sha256_init(md);
	c->md = md;
}

void kc_canon_init_bytes(struct kc_canon *c)
{
	kc_buf_init(&c->buf);
	c->md = NULL;
}

void kc_canon_dispose(struct kc_canon *c)
{
	kc_buf_clear(&c->buf);
	free(c->md);
	c->md = NULL;
}

static void flush(struct kc_canon *c, int force)
{
	if (!c->md || (!force && c->buf.len < FLUSH_AT))
		return;
	sha256_update(c->md, c->buf.len, (const uint8_t *)c->buf.ptr);
	kc_buf_reset(&c->buf);
}

static void put_u64(struct kc_canon *c, char tag, uint64_t v)
{
	unsigned char b[9];
	b[0] = (unsigned char)tag;
	for (int i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(v >> (56 - 8 * i));
	kc_buf_add(&c->buf, b, sizeof(b));
	flush(c, 0);
}

static void put_bytes(struct kc_canon *c, char tag, const void *p, size_t len)
{
	unsigned char h[5];
	/* a value longer than 4 GiB cannot come from a row; cut rather than wrap the length */
	uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	h[0] = (unsigned char)tag;
	h[1] = (unsigned char)(n >> 24);
	h[2] = (unsigned char)(n >> 16);
	h[3] = (unsigned char)(n >> 8);
	h[4] = (unsigned char)n;
	kc_buf_add(&c->buf, h, sizeof(h));
	if (n)
		kc_buf_add(&c->buf, p, n);
	flush(c, 0);
}

void kc_canon_null(struct kc_canon *c) { kc_buf_putc(&c->buf, 'n'); }
void kc_canon_int(struct kc_canon *c, int64_t v) { put_u64(c, 'i', (uint64_t)v); }

void kc_canon_real(struct kc_canon *c, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	put_u64(c, 'r', bits);
}

void kc_canon_str(struct kc_canon *c, const char *s)
{
	if (!s)
		kc_canon_null(c);
	else
		put_bytes(c, 's', s, strlen(s));
}

void kc_canon_strn(struct kc_canon *c, const char *s, size_t len)
{
	if (!s)
		kc_canon_null(c);
	else
		put_bytes(c, 's', s, len);
}

void kc_canon_blob(struct kc_canon *c, const void *p, size_t len) { put_bytes(c, 'b', p, len); }

void kc_canon_digest(struct kc_canon *c, unsigned char out[KC_DIGEST_LEN])
{
	flush(c, 1);
	sha256_digest(c->md, KC_DIGEST_LEN, out); /* also resets the context for the next digest */
}

void kc_sha256(const void *p, size_t len, unsigned char out[KC_DIGEST_LEN])
{
	struct sha256_ctx md;
	sha256_init(&md);
	sha256_update(&md, len, p);
	sha256_digest(&md, KC_DIGEST_LEN, out);
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int kc_canon_next(const unsigned char *data, size_t size, size_t *pos, struct kc_canon_value *out)
{
	memset(out, 0, sizeof(*out));
	if (*pos >= size)
		return 0;
	size_t at = *pos, left = size - at - 1;
	const unsigned char *p = data + at + 1;
	out->type = (char)data[at];
	switch (out->type) {
	case 'n':
		*pos = at + 1;
		return 1;
	case 'i':
	case 'r': {
		if (left < 8)
			return kc_error_set(KC_EINVAL, "canonical form: offset %zu: 8 bytes expected after '%c', %zu left",
					    at, out->type, left);
		uint64_t v = get_u64(p);
		if (out->type == 'i')
			out->i = (int64_t)v;
		else
			memcpy(&out->r, &v, sizeof(v));
		*pos = at + 9;
		return 1;
	}
	case 's':
	case 'b': {
		if (left < 4)
			return kc_error_set(KC_EINVAL, "canonical form: offset %zu: length expected after '%c'", at, out->type);
		size_t n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
		if (n > left - 4)
			return kc_error_set(KC_EINVAL, "canonical form: offset %zu: length %zu runs past the end (%zu left)",
					    at, n, left - 4);
		out->p = p + 4;
		out->len = n;
		*pos = at + 5 + n;
		return 1;
	}
	default:
		return kc_error_set(KC_EINVAL, "canonical form: offset %zu: unknown tag 0x%02x (n, i, r, s or b expected)",
				    at, data[at]);
	}
}

void kc_digest_hex(const unsigned char d[KC_DIGEST_LEN], char out[KC_DIGEST_HEX])
{
	struct kc_buf b = KC_BUF_INIT;
	kc_hex_put(&b, d, KC_DIGEST_LEN);
	memcpy(out, b.ptr, KC_DIGEST_HEX);
	kc_buf_clear(&b);
}

int kc_digest_parse(const char *hex, unsigned char out[KC_DIGEST_LEN])
{
	struct kc_buf b = KC_BUF_INIT;
	int ok = hex && strlen(hex) == 2 * KC_DIGEST_LEN && kc_hex_decode(hex, 2 * KC_DIGEST_LEN, &b) == 0;
	if (ok)
		memcpy(out, b.ptr, KC_DIGEST_LEN);
	kc_buf_clear(&b);
	return ok ? 0 : kc_error_set(KC_EINVAL, "digest '%s': 64 hex digits expected", hex ? hex : "(none)");
}
