/* Ed25519 signatures through OpenSSL (EVP_DigestSign with no digest: Ed25519 hashes the
 * message itself, RFC 8032). The evidence chain signs each head with the private key given
 * to `--sign-key`; `verify --pubkey` checks them.
 *
 * Keys are PEM files as `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write
 * them; any other key type is refused (a signature whose algorithm depends on the key file
 * could be downgraded by swapping the file).
 *
 * Ownership: kc_key_load returns a key the caller frees with kc_key_free. */
#ifndef KC_SIGN_H
#define KC_SIGN_H

#include <stddef.h>

#define KC_SIG_HEX (2 * 64 + 1)
#define KC_KEYID_HEX 17   /* 16 hex digits of the SHA-256 of the raw public key, + NUL */

struct kc_key;

/* want_private: 1 for a signing key (PRIVATE KEY PEM), 0 for a verifying key (PUBLIC KEY PEM;
 * a private key file is accepted too, its public half is used). */
int kc_key_load(const char *path, int want_private, struct kc_key **out);
void kc_key_free(struct kc_key *k);
/* Short id of the public key, to say which key signed a head. Borrowed. */
const char *kc_key_id(const struct kc_key *k);

/* Signs msg; the signature in lower-case hex in out. */
int kc_key_sign(const struct kc_key *k, const void *msg, size_t len, char out[KC_SIG_HEX]);
/* 0 when sig_hex is a valid signature of msg by k; KC_EINVAL otherwise. */
int kc_key_verify(const struct kc_key *k, const void *msg, size_t len, const char *sig_hex);

#endif
