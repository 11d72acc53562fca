#include "common/redact.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/strbuf.h"

/* Substrings of key names whose values are credentials themselves. Paths to key files are
 * not secret (they are evidence); their contents are never read into evidence anyway. */
static const char *const secret_words[] = {
	"token", "password", "passwd", "secret", "key-data", "keydata", "client-key-data",
	"credential", "bearer", "apikey", "api-key", "private-key-data",
};
static const char *const not_secret[] = {
	"token-auth-file", "tokenfile", "token-file", "secret-name", "secretname", "keyfile",
	"key-file", "cert-file", "secretkeyref", "service-account-key-file",
	"service-account-private-key-file", "token-ttl", "token-expiration",
	"extend-token-expiration", "service-account-lookup", "token-webhook",
	"tokenrequest", "secrets", "audit-id",
};

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

int kc_redact_key_is_secret(const char *key)
{
	if (!key)
		return 0;
	/* the HTTP header carries credentials; "authorization.mode" and "--authorization-mode" do not */
	if (strcasecmp(key, "authorization") == 0)
		return 1;
	for (size_t i = 0; i < sizeof(not_secret) / sizeof(*not_secret); i++)
		if (contains_ci(key, not_secret[i]))
			return 0;
	for (size_t i = 0; i < sizeof(secret_words) / sizeof(*secret_words); i++)
		if (contains_ci(key, secret_words[i]))
			return 1;
	return 0;
}

char *kc_redact_value(const char *key, const char *value)
{
	if (!value)
		return NULL;
	if (kc_redact_key_is_secret(key))
		return kc_strdup(KC_REDACTED);
	return kc_redact_text(value);
}

static int is_b64url(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '+' || c == '/' || c == '=';
}

/* Length of a token-looking span at p, 0 when none. */
static size_t token_span(const char *p, const char *start)
{
	/* JWT: eyJ<b64>.<b64>.<b64> */
	if (strncmp(p, "eyJ", 3) == 0) {
		size_t n = 0, dots = 0;
		while (p[n] && (is_b64url((unsigned char)p[n]) || p[n] == '.')) {
			if (p[n] == '.')
				dots++;
			n++;
		}
		if (dots >= 2 && n >= 20)
			return n;
	}
	/* PEM private key block */
	if (strncmp(p, "-----BEGIN", 10) == 0 && strstr(p, "PRIVATE KEY-----")) {
		const char *end = strstr(p, "-----END");
		if (end) {
			const char *close = strstr(end + 8, "-----");
			return (size_t)((close ? close + 5 : end + 8) - p);
		}
		return strlen(p);
	}
	/* "Bearer <token>" */
	if (strncasecmp(p, "bearer ", 7) == 0) {
		size_t n = 7;
		while (p[n] && !isspace((unsigned char)p[n]) && p[n] != '"' && p[n] != '\'')
			n++;
		if (n > 7 + 8)
			return n;
	}
	/* A long run of base64 (kubeconfig *-data, bootstrap tokens are handled by key): only at a
	 * word start, and long enough that file paths and hashes do not match. */
	if (p == start || !is_b64url((unsigned char)p[-1])) {
		size_t n = 0, upper = 0, lower = 0, digit = 0;
		while (is_b64url((unsigned char)p[n])) {
			upper += isupper((unsigned char)p[n]) != 0;
			lower += islower((unsigned char)p[n]) != 0;
			digit += isdigit((unsigned char)p[n]) != 0;
			n++;
		}
		if (n >= 60 && upper && lower && digit && p[0] != '/')
			return n;
	}
	/* bootstrap token: [a-z0-9]{6}.[a-z0-9]{16} */
	if (p == start || !isalnum((unsigned char)p[-1])) {
		size_t i = 0;
		while (i < 6 && (islower((unsigned char)p[i]) || isdigit((unsigned char)p[i])))
			i++;
		if (i == 6 && p[6] == '.') {
			size_t j = 7;
			while (j < 23 && (islower((unsigned char)p[j]) || isdigit((unsigned char)p[j])))
				j++;
			if (j == 23 && !isalnum((unsigned char)p[23]))
				return 23;
		}
	}
	return 0;
}

char *kc_redact_text(const char *text)
{
	if (!text)
		return NULL;
	struct kc_buf b = KC_BUF_INIT;
	const char *p = text;
	while (*p) {
		size_t n = token_span(p, text);
		if (n) {
			kc_buf_puts(&b, KC_REDACTED);
			p += n;
		} else {
			kc_buf_putc(&b, *p++);
		}
	}
	if (!b.cap)
		return kc_strdup("");
	return kc_buf_detach(&b);
}

size_t kc_redact_inplace(char *text)
{
	size_t count = 0;
	char *w = text;
	const char *p = text;
	while (*p) {
		size_t n = token_span(p, text);
		/* masks shorter than the redaction marker keep their length: replaced by '*' */
		if (n) {
			size_t m = strlen(KC_REDACTED);
			if (n >= m) {
				memcpy(w, KC_REDACTED, m);
				w += m;
			} else {
				memset(w, '*', n);
				w += n;
			}
			p += n;
			count++;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return count;
}
