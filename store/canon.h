/* The canonical byte form of stored evidence (docs/evidence.md, "Canonical form"): what the
 * hash chain hashes, defined over column values so that SQLite and PostgreSQL, or another
 * tool reading either, produce the same bytes. Every value is self-delimiting:
 *
 *   'n'                                   NULL
 *   'i' int64, 8 bytes big-endian two's complement
 *   'r' IEEE-754 binary64, 8 bytes big-endian (bits as stored, no normalisation)
 *   's' u32 big-endian length, then that many bytes of UTF-8 text (no terminator)
 *   'b' u32 big-endian length, then that many raw bytes
 *
 * so no two different sequences of values share an encoding (the fuzz target checks it by
 * decoding what it encoded). Digests are SHA-256 through OpenSSL's EVP interface.
 *
 * Ownership: a kc_canon owns its buffer and digest context; kc_canon_dispose releases both. */
#ifndef KC_CANON_H
#define KC_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

#define KC_DIGEST_LEN 32
#define KC_DIGEST_HEX (2 * KC_DIGEST_LEN + 1)

struct kc_canon {
	struct kc_buf buf;   /* the bytes not yet hashed (all of them for a byte encoder) */
	void *md;            /* nettle sha256_ctx while hashing, NULL for a byte encoder */
};

/* A hashing encoder: bytes go into SHA-256 as they come (a run of 100,000 results is never
 * held whole). Aborts on allocation failure like the rest of the project. */
void kc_canon_init_hash(struct kc_canon *c);
/* A byte encoder: the encoding stays in c->buf (batch row lists are stored as such). */
void kc_canon_init_bytes(struct kc_canon *c);
void kc_canon_dispose(struct kc_canon *c);

void kc_canon_null(struct kc_canon *c);
void kc_canon_int(struct kc_canon *c, int64_t v);
void kc_canon_real(struct kc_canon *c, double v);
/* NULL s encodes as 'n': an absent value differs from an empty string. */
void kc_canon_str(struct kc_canon *c, const char *s);
void kc_canon_strn(struct kc_canon *c, const char *s, size_t len);
void kc_canon_blob(struct kc_canon *c, const void *p, size_t len);

/* Hashing encoder: the SHA-256 of everything encoded; the encoder is then reset to empty. */
void kc_canon_digest(struct kc_canon *c, unsigned char out[KC_DIGEST_LEN]);
/* SHA-256 of a byte string. */
void kc_sha256(const void *p, size_t len, unsigned char out[KC_DIGEST_LEN]);

/* One decoded value; p points into the decoded bytes (borrowed). */
struct kc_canon_value {
	char type;           /* 'n', 'i', 'r', 's', 'b' */
	int64_t i;
	double r;
	const unsigned char *p;
	size_t len;
};
/* Decodes the value at *pos in [data, data+size) and advances *pos: 1 when a value was read,
 * 0 at the end, KC_EINVAL (with the offset in the message) for an unknown tag or a length
 * that runs past the end. */
int kc_canon_next(const unsigned char *data, size_t size, size_t *pos, struct kc_canon_value *out);

/* Lower-case hex; out holds KC_DIGEST_HEX bytes. */
void kc_digest_hex(const unsigned char d[KC_DIGEST_LEN], char out[KC_DIGEST_HEX]);
/* 0, or KC_EINVAL when hex is not exactly 64 hex digits. */
int kc_digest_parse(const char *hex, unsigned char out[KC_DIGEST_LEN]);

#endif
