/* Redaction: the one place that decides what never reaches evidence, the store or a report.
 * By RULE, not by list:
 *   - a key, flag or field NAME carries a credential when one of its words (split at "-",
 *     "_", "." and camelCase) is or contains token, password, passwd, secret, credential,
 *     passphrase, bearer or apikey, or it holds key data ("client-key-data") — unless its
 *     last word says it is a reference or a setting (…-file, -path, -dir, -config, -name,
 *     -ttl, -mode, -auth …: "--token-auth-file" is a path, "--enable-bootstrap-token-auth"
 *     a boolean). "--authorization-mode" names no credential at all.
 *   - a credential flag's VALUE is masked in both pflag forms: "--f=v" and "--f v";
 *   - VALUES that look like credentials are masked wherever they appear: JWTs, "Bearer x",
 *     PEM blocks other than certificates and public keys, bootstrap tokens, cloud keys
 *     (AWS AKIA/ASIA ids, Google AIza keys, GitHub ghp_/github_pat_, GitLab glpat-,
 *     Slack xox?-), and long mixed base64 runs.
 * The store applies it to every text it binds (auditor/store.c), and to the run it saves,
 * so every field of every report inherits it. */
#ifndef KC_REDACT_H
#define KC_REDACT_H

#include <stddef.h>

#define KC_REDACTED "<redacted>"

/* Does a key/flag/field name carry a secret? Leading dashes are ignored. */
int kc_redact_key_is_secret(const char *key);
/* The value to store for key=value: a copy of value, or "<redacted>"; caller frees. */
char *kc_redact_value(const char *key, const char *value);
/* A copy of text with credential flag values and token-looking substrings masked; caller
 * frees. Idempotent: redacting redacted text changes nothing. */
char *kc_redact_text(const char *text);
/* Masks in place (same or shorter length); returns the number of masked spans. */
size_t kc_redact_inplace(char *text);
/* Replaces *s with its redacted copy when anything was masked. */
void kc_redact_str(char **s);

/* Texts already found to need no masking, so that a run that repeats one (a component's
 * command line is the evidence of every check of its flags) scans it once. The texts are
 * borrowed: they must outlive the memo. Compared byte for byte, never by hash alone. */
struct kc_redact_memo {
	const char **clean;
	size_t n, cap;
};
#define KC_REDACT_MEMO_INIT { NULL, 0, 0 }
/* kc_redact_str, skipping a text the memo holds; a text that needed nothing is added. */
void kc_redact_str_memo(struct kc_redact_memo *memo, char **s);
void kc_redact_memo_clear(struct kc_redact_memo *memo);

#endif
