/* Redaction: the one place that decides what never reaches evidence, the store or a report.
 * Secret-valued keys (tokens, passwords, private keys, client-key data) are replaced by
 * "<redacted>"; token-looking strings inside free text (JWTs, bearer tokens, PEM private
 * key blocks, long base64 runs) are masked wherever they appear. */
#ifndef KC_REDACT_H
#define KC_REDACT_H

#include <stddef.h>

#define KC_REDACTED "<redacted>"

/* Does a key/flag/field name carry a secret? ("token", "password", "client-key-data",
 * "--token-auth-file" is a path and is not secret, "--etcd-keyfile" neither). */
int kc_redact_key_is_secret(const char *key);
/* The value to store for key=value: a copy of value, or "<redacted>"; caller frees. */
char *kc_redact_value(const char *key, const char *value);
/* A copy of text with token-looking substrings masked; caller frees. */
char *kc_redact_text(const char *text);
/* Masks in place (same or shorter length); returns the number of masked spans. */
size_t kc_redact_inplace(char *text);

#endif
