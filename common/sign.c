#include "common/sign.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/hex.h"
#include "common/strbuf.h"

struct kc_key {
	EVP_PKEY *pkey;
	int has_private;
	char id[KC_KEYID_HEX];
};

static const char *ssl_reason(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r ? r : "not a PEM key";
}

int kc_key_load(const char *path, int want_private, struct kc_key **out)
{
	*out = NULL;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return kc_error_set_errno(errno, "cannot open the key %s", path);
	/* a signing key must be private; a verifying key may be either (its public half is used) */
	EVP_PKEY *pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	int priv = pkey != NULL;
	if (!pkey && !want_private) {
		ERR_clear_error();
		rewind(fp);
		pkey = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	}
	fclose(fp);
	if (!pkey)
		return kc_error_set(KC_EINVAL, "%s: %s (an Ed25519 %s key in PEM expected)", path, ssl_reason(),
				    want_private ? "private" : "public");
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return kc_error_set(KC_EINVAL, "%s: not an Ed25519 key (make one with: openssl genpkey -algorithm ed25519)",
				    path);
	}
	unsigned char raw[32], d[32];
	size_t rawlen = sizeof(raw);
	unsigned int dlen = 0;
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1 ||
	    EVP_Digest(raw, rawlen, d, &dlen, EVP_sha256(), NULL) != 1) {
		EVP_PKEY_free(pkey);
		return kc_error_set(KC_EINVAL, "%s: cannot read the public key: %s", path, ssl_reason());
	}
	struct kc_key *k = kc_xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	k->has_private = priv;
	struct kc_buf id = KC_BUF_INIT;
	kc_hex_put(&id, d, 8);
	memcpy(k->id, id.ptr, KC_KEYID_HEX);
	kc_buf_clear(&id);
	*out = k;
	return 0;
}

void kc_key_free(struct kc_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

const char *kc_key_id(const struct kc_key *k) { return k->id; }

int kc_key_sign(const struct kc_key *k, const void *msg, size_t len, char out[KC_SIG_HEX])
{
	if (!k->has_private)
		return kc_error_set(KC_EINVAL, "signing needs the private key");
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
		 EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && siglen == sizeof(sig);
	EVP_MD_CTX_free(md);
	if (!ok)
		return kc_error_set(KC_EGENERIC, "Ed25519 signing failed: %s", ssl_reason());
	struct kc_buf hex = KC_BUF_INIT;
	kc_hex_put(&hex, sig, siglen);
	memcpy(out, hex.ptr, KC_SIG_HEX);
	kc_buf_clear(&hex);
	return 0;
}

int kc_key_verify(const struct kc_key *k, const void *msg, size_t len, const char *sig_hex)
{
	unsigned char sig[64];
	struct kc_buf raw = KC_BUF_INIT;
	int ok = sig_hex && strlen(sig_hex) == 2 * sizeof(sig) && kc_hex_decode(sig_hex, 2 * sizeof(sig), &raw) == 0;
	if (ok)
		memcpy(sig, raw.ptr, sizeof(sig));
	kc_buf_clear(&raw);
	if (!ok)
		return kc_error_set(KC_EINVAL, "signature: 128 hex digits expected");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
		 EVP_DigestVerify(md, sig, sizeof(sig), msg, len) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok ? 0 : kc_error_set(KC_EINVAL, "the signature does not verify with key %s", k->id);
}
