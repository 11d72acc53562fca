#include "common/redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/strbuf.h"

/* Words that say a name holds a credential (matched inside a word too: "apitoken"). */
static const char *const cred_words[] = {
	"token", "password", "passwd", "secret", "credential", "passphrase", "bearer", "apikey",
};
/* A last word that makes the name a reference to a credential or a setting about one. */
static const char *const ref_words[] = {
	"file", "path", "dir", "directory", "config", "name", "names", "ref", "mode", "ttl", "expiration",
	"lookup", "auth", "hash", "url", "endpoint", "provider", "type", "namespace", "bin", "enabled",
	"verification", "id", "length", "size", "count", "source", "rotation", "ca", "cert", "period",
	"duration", "timeout", "webhook", "audiences", "issuer", "resource", "template", "reviews",
	"request", "requests", "store", "key", "keys",
};
/* Whole names that are resource or field names, not credentials. */
static const char *const not_secret[] = { "secrets", "tokenrequest", "tokenreviews", "serviceaccounts/token" };

#define N(a) (sizeof(a) / sizeof(*(a)))

/* Splits name into lower-case words at -, _, ., / and camelCase; returns the count. */
static size_t split_words(const char *name, char words[][48], size_t max)
{
	size_t n = 0, l = 0;
	for (const char *p = name;; p++) {
		int sep = !*p || *p == '-' || *p == '_' || *p == '.' || *p == '/' || *p == ' ';
		int camel = !sep && l > 0 && isupper((unsigned char)*p) && p > name && islower((unsigned char)p[-1]);
		if ((sep || camel) && l) {
			words[n][l] = '\0';
			if (++n == max)
				return n;
			l = 0;
		}
		if (!*p)
			return n;
		if (!sep && l < 47)
			words[n][l++] = (char)tolower((unsigned char)*p);
	}
}

static int in_list(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}

int kc_redact_key_is_secret(const char *key)
{
	if (!key)
		return 0;
	key += strspn(key, "-");
	/* the HTTP header carries credentials; "authorization.mode" and "--authorization-mode" do not */
	if (strcasecmp(key, "authorization") == 0)
		return 1;
	/* Every way to a credential below needs one of these inside a word, so inside the
	 * lower-cased name: a name with none (most flags of a command line) is decided here,
	 * without splitting it into words. */
	char low[128];
	size_t ll0 = 0;
	for (; key[ll0] && ll0 < sizeof(low) - 1; ll0++)
		low[ll0] = (char)tolower((unsigned char)key[ll0]);
	low[ll0] = '\0';
	if (!key[ll0] && !strstr(low, "key") && !strstr(low, "token") && !strstr(low, "passw") && !strstr(low, "secret") &&
	    !strstr(low, "credential") && !strstr(low, "passphrase") && !strstr(low, "bearer"))
		return 0;
	for (size_t i = 0; i < N(not_secret); i++)
		if (strcasecmp(key, not_secret[i]) == 0)
			return 0;
	char words[16][48];
	size_t n = split_words(key, words, 16);
	if (!n)
		return 0;
	int cred = 0;
	for (size_t i = 0; i < n && !cred; i++) {
		for (size_t k = 0; k < N(cred_words) && !cred; k++)
			cred = strstr(words[i], cred_words[k]) != NULL;
		/* key material inline: client-key-data, private-key-data, keyData */
		if ((strcmp(words[i], "key") == 0 || strcmp(words[i], "keydata") == 0) &&
		    (strcmp(words[i], "keydata") == 0 || (i + 1 < n && strcmp(words[i + 1], "data") == 0)))
			cred = 1;
		if (strcmp(words[i], "api") == 0 && i + 1 < n && strcmp(words[i + 1], "key") == 0)
			return 1; /* api-key: the last word "key" is the credential itself */
	}
	if (!cred)
		return 0;
	/* a switch about credentials, not one: "--use-service-account-credentials" (a boolean,
	 * kube-controller-manager), "--enable-bootstrap-token-auth", "--allow-privileged-token" */
	static const char *const switch_words[] = { "use", "enable", "disable", "allow", "require", "skip", "insecure" };
	if (n > 1 && in_list(words[0], switch_words, N(switch_words)))
		return 0;
	const char *last = words[n - 1];
	size_t ll = strlen(last);
	/* "tokenfile", "passwordpath": a reference glued to the word */
	static const char *const glued[] = { "file", "path", "dir", "ref", "name" };
	for (size_t i = 0; i < N(glued); i++) {
		size_t gl = strlen(glued[i]);
		if (ll > gl && strcmp(last + ll - gl, glued[i]) == 0)
			return 0;
	}
	/* "AWS_SECRET_ACCESS_KEY", "client-key-data": key/data at the end is the material */
	if (strcmp(last, "key") == 0 || strcmp(last, "keys") == 0)
		return 1;
	return !in_list(last, ref_words, N(ref_words));
}

char *kc_redact_value(const char *key, const char *value)
{
	if (!value)
		return NULL;
	if (kc_redact_key_is_secret(key))
		return kc_strdup(KC_REDACTED);
	return kc_redact_text(value);
}

/* Character classes as the C locale has them (kubecomply never calls setlocale), inlined:
 * the token scan below asks them at every byte of every stored text. */
static inline int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static inline int is_b64url(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == '+' || c == '/' || c == '=';
}

static inline int word_start(const char *p, const char *start)
{
	return p == start || !is_alnum((unsigned char)p[-1]);
}

/* prefix followed by at least min characters of class [A-Za-z0-9_-] */
static size_t prefixed_key(const char *p, const char *prefix, size_t min, int upper_digits_only)
{
	size_t pl = strlen(prefix);
	if (strncmp(p, prefix, pl) != 0)
		return 0;
	size_t n = pl;
	while (p[n] && (upper_digits_only ? (isupper((unsigned char)p[n]) || isdigit((unsigned char)p[n]))
					   : (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '-')))
		n++;
	return n - pl >= min ? n : 0;
}

/* Words that follow a flag name in our own prose, never a value. */
static const char *const prose[] = {
	"is", "was", "not", "set", "unset", "names", "decided", "by", "in", "of", "and", "or", "to", "the",
	"from", "has", "must", "should", "given", "layer", "flag", "when", "with", "on", "a", "an", "for",
	"(not", "(default", "beats", "wins", "overrides", "as", "at", "if", "argument", "arguments",
	"parameter", "option", "setting", "value", "are", "be", "KC_REDACTED", KC_REDACTED,
};

/* Length of the value word at p (to whitespace, quote, comma, parenthesis or end). */
static size_t value_len(const char *p)
{
	size_t n = 0;
	while (p[n] && !isspace((unsigned char)p[n]) && p[n] != '"' && p[n] != '\'' && p[n] != ',' && p[n] != ')')
		n++;
	return n;
}

/* A credential flag at p ("--token", "-password"): *skip gets the bytes kept verbatim (the
 * name and separator) and the return value the length of the value to mask, or 0. */
static size_t flag_value(const char *p, const char *start, size_t *skip)
{
	if (*p != '-' || !(p == start || isspace((unsigned char)p[-1]) || p[-1] == '"' || p[-1] == '\'' ||
			   p[-1] == '[' || p[-1] == '(' || p[-1] == ','))
		return 0;
	size_t d = strspn(p, "-");
	if (d > 2)
		return 0;
	size_t nl = 0;
	while (isalnum((unsigned char)p[d + nl]) || p[d + nl] == '-' || p[d + nl] == '_' || p[d + nl] == '.')
		nl++;
	if (nl < 3)
		return 0;
	char name[128];
	if (nl >= sizeof(name))
		return 0;
	memcpy(name, p + d, nl);
	name[nl] = '\0';
	if (!kc_redact_key_is_secret(name))
		return 0;
	const char *v = p + d + nl;
	if (*v == '=') {
		*skip = d + nl + 1;
		size_t vl = value_len(v + 1);
		/* only a value that IS the marker was redacted before; one merely holding it is masked */
		return vl == strlen(KC_REDACTED) && strncmp(v + 1, KC_REDACTED, vl) == 0 ? 0 : vl;
	}
	if (*v != ' ')
		return 0;
	/* "--token VALUE" (pflag's second form); in prose, "--token is VALUE" */
	const char *w = v + 1;
	size_t wl = value_len(w);
	if (!wl || *w == '-')
		return 0;
	char word[32];
	snprintf(word, sizeof(word), "%.*s", (int)(wl < sizeof(word) - 1 ? wl : sizeof(word) - 1), w);
	if (strcmp(word, "is") == 0 || strcmp(word, "was") == 0 || strcmp(word, "=") == 0) {
		const char *w2 = w + wl + (w[wl] == ' ');
		size_t w2l = w[wl] == ' ' ? value_len(w2) : 0;
		char second[32];
		snprintf(second, sizeof(second), "%.*s", (int)(w2l < sizeof(second) - 1 ? w2l : sizeof(second) - 1), w2);
		if (!w2l || in_list(second, prose, N(prose)) || strncmp(w2, KC_REDACTED, strlen(KC_REDACTED)) == 0)
			return 0;
		*skip = (size_t)(w2 - p);
		return w2l;
	}
	/* a word the token pass masked before (it then starts with the marker) is left alone */
	if (in_list(word, prose, N(prose)) || strncmp(w, KC_REDACTED, strlen(KC_REDACTED)) == 0)
		return 0;
	*skip = (size_t)(w - p);
	return wl;
}

/* The cloud and forge key prefixes starting with c, in the order they are tried. */
static size_t prefixed_keys(const char *p)
{
	size_t n = 0;
	switch (*p) {
	case 'A':
		(void)((n = prefixed_key(p, "AKIA", 16, 1)) || (n = prefixed_key(p, "ASIA", 16, 1)) ||
		       (n = prefixed_key(p, "AIza", 30, 0)));
		break;
	case 'g':
		(void)((n = prefixed_key(p, "ghp_", 30, 0)) || (n = prefixed_key(p, "gho_", 30, 0)) ||
		       (n = prefixed_key(p, "ghs_", 30, 0)) || (n = prefixed_key(p, "github_pat_", 30, 0)) ||
		       (n = prefixed_key(p, "glpat-", 20, 0)));
		break;
	case 'x':
		(void)((n = prefixed_key(p, "xoxb-", 20, 0)) || (n = prefixed_key(p, "xoxp-", 20, 0)));
		break;
	case 's':
		n = prefixed_key(p, "sk_live_", 20, 0);
		break;
	}
	return n;
}

/* Length of a token-looking span at p, 0 when none. after_mask: p follows a span just
 * masked, which a second redaction will see as a word boundary (the marker ends in '>'):
 * treated as one now, so that redaction is idempotent. Every pattern is gated on its first
 * byte before any string compare: this runs at every byte of every text the store and the
 * reports receive (most of an audit's CPU when it compared each prefix at each byte). */
static size_t token_span(const char *p, const char *start, int after_mask)
{
	unsigned char c = (unsigned char)*p;
	if (after_mask)
		start = p;
	/* JWT: eyJ<b64>.<b64>.<b64> */
	if (c == 'e' && p[1] == 'y' && p[2] == 'J') {
		size_t n = 0, dots = 0;
		while (p[n] && (is_b64url((unsigned char)p[n]) || p[n] == '.')) {
			if (p[n] == '.')
				dots++;
			n++;
		}
		if (dots >= 2 && n >= 20)
			return n;
	}
	/* PEM blocks: private keys and anything else that is not a certificate or a public key */
	if (c == '-' && strncmp(p, "-----BEGIN ", 11) == 0) {
		const char *label = p + 11;
		size_t ll = strspn(label, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ");
		if (!ll || strncmp(label + ll, "-----", 5) != 0)
			return 0; /* not a PEM header (RFC 7468: "-----BEGIN label-----") */
		int pub = strncmp(label, "CERTIFICATE", 11) == 0 || strncmp(label, "PUBLIC KEY", 10) == 0 ||
			  strncmp(label, "X509 CRL", 8) == 0 || strncmp(label, "CERTIFICATE REQUEST", 19) == 0;
		if (!pub) {
			const char *end = strstr(p, "-----END");
			if (end) {
				const char *close = strstr(end + 8, "-----");
				return (size_t)((close ? close + 5 : end + 8) - p);
			}
			/* a cut block: to the end of the string it sits in (a JSON value ends at '"') */
			return strcspn(p, "\"");
		}
	}
	/* "Bearer <token>" */
	if ((c == 'b' || c == 'B') && strncasecmp(p, "bearer ", 7) == 0) {
		size_t n = 7;
		/* '<' ends it: "Bearer <redacted>" was masked before */
		while (p[n] && !isspace((unsigned char)p[n]) && p[n] != '"' && p[n] != '\'' && p[n] != '<')
			n++;
		if (n > 7 + 8)
			return n;
	}
	int at_word = word_start(p, start);
	/* cloud and forge keys, recognisable by their prefix */
	size_t n;
	if (at_word && (n = prefixed_keys(p)))
		return n;
	/* A long run of base64 (kubeconfig *-data): only at a word start, and long enough that
	 * file paths and hashes do not match. */
	if (is_b64url(c) && c != '/' && (p == start || !is_b64url((unsigned char)p[-1]))) {
		n = 0;
		while (is_b64url((unsigned char)p[n]))
			n++;
		/* the character classes only of a run long enough to be one */
		if (n >= 60) {
			size_t upper = 0, lower = 0, digit = 0;
			for (size_t i = 0; i < n; i++) {
				upper += p[i] >= 'A' && p[i] <= 'Z';
				lower += p[i] >= 'a' && p[i] <= 'z';
				digit += p[i] >= '0' && p[i] <= '9';
			}
			if (upper && lower && digit)
				return n;
		}
	}
	/* bootstrap token: [a-z0-9]{6}.[a-z0-9]{16} */
	if (at_word) {
		size_t i = 0;
		while (i < 6 && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')))
			i++;
		if (i == 6 && p[6] == '.') {
			size_t j = 7;
			while (j < 23 && ((p[j] >= 'a' && p[j] <= 'z') || (p[j] >= '0' && p[j] <= '9')))
				j++;
			if (j == 23 && !is_alnum((unsigned char)p[23]))
				return 23;
		}
	}
	return 0;
}

/* Two passes: credential flag values first, then token-looking text anywhere (a flag's
 * name is scanned too: "--AIza…" is a key whatever it is passed as). Masking only removes
 * characters a flag name or a token is made of, so a second redaction finds nothing new. */
static size_t redact_pass(const char *text, struct kc_buf *out)
{
	size_t count = 0;
	struct kc_buf flags = KC_BUF_INIT;
	/* a flag starts with '-': the text between two dashes is copied as one span */
	const char *copied = text;
	for (const char *p = strchr(text, '-'); p;) {
		size_t skip = 0, n = flag_value(p, text, &skip);
		if (n) {
			kc_buf_add(&flags, copied, (size_t)(p - copied) + skip);
			kc_buf_puts(&flags, KC_REDACTED);
			p += skip + n;
			copied = p;
			count++;
			p = strchr(p, '-');
		} else {
			p = strchr(p + 1, '-');
		}
	}
	const char *scan = text;
	if (count) {
		kc_buf_puts(&flags, copied);
		scan = flags.ptr;
	}
	int after_mask = 0;
	copied = scan;
	for (const char *p = scan; *p;) {
		/* inside a word only a JWT ("eyJ"), "Bearer" or a PEM header can start: the
		 * other patterns need a word start (token_span says the same, slower) */
		if (!after_mask && p != scan && is_alnum((unsigned char)p[-1]) && *p != 'e' && *p != 'b' && *p != 'B' &&
		    *p != '-') {
			p++;
			continue;
		}
		size_t n = token_span(p, scan, after_mask);
		after_mask = n > 0;
		if (n) {
			kc_buf_add(out, copied, (size_t)(p - copied));
			kc_buf_puts(out, KC_REDACTED);
			p += n;
			copied = p;
			count++;
		} else {
			p++;
		}
	}
	kc_buf_puts(out, copied);
	kc_buf_clear(&flags);
	return count;
}

char *kc_redact_text(const char *text)
{
	if (!text)
		return NULL;
	struct kc_buf b = KC_BUF_INIT;
	redact_pass(text, &b);
	if (!b.cap)
		return kc_strdup("");
	return kc_buf_detach(&b);
}

size_t kc_redact_inplace(char *text)
{
	struct kc_buf b = KC_BUF_INIT;
	size_t count = redact_pass(text, &b);
	/* masks shorter than the marker keep their length: a short secret becomes '*'s */
	if (count && b.len <= strlen(text))
		memcpy(text, b.ptr, b.len + 1);
	else if (count) {
		/* the marker is longer than what it hides: mask in place with '*' instead */
		for (const char *p = text; *p;) {
			size_t skip = 0, n = flag_value(p, text, &skip);
			if (n) {
				memset((char *)p + skip, '*', n);
				p += skip + n;
				continue;
			}
			n = token_span(p, text, 0);
			if (n) {
				memset((char *)p, '*', n);
				p += n;
			} else {
				p++;
			}
		}
	}
	kc_buf_clear(&b);
	return count;
}

void kc_redact_str(char **s)
{
	if (!s || !*s)
		return;
	char *r = kc_redact_text(*s);
	if (strcmp(r, *s) == 0) {
		free(r);
		return;
	}
	free(*s);
	*s = r;
}

/* Only texts this long are remembered: shorter ones cost less to scan than to look up. */
#define MEMO_MIN_LEN 64

/* Eight bytes at a time (the memo compares texts byte for byte: the hash only picks the slot;
 * the byte-at-a-time FNV it replaces was half of the memo's cost on a node audit). */
static size_t memo_hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ len;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	uint64_t w = 0;
	memcpy(&w, s + i, len - i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
	return (size_t)(h ^ (h >> 29));
}

/* Open addressing over a power-of-two table, at most half full. */
static const char **memo_slot(struct kc_redact_memo *memo, const char *s, size_t hash)
{
	size_t mask = memo->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask)
		if (!memo->clean[i] || strcmp(memo->clean[i], s) == 0)
			return &memo->clean[i];
}

void kc_redact_str_memo(struct kc_redact_memo *memo, char **s)
{
	if (!s || !*s)
		return;
	size_t len = strlen(*s);
	if (len < MEMO_MIN_LEN) {
		kc_redact_str(s);
		return;
	}
	size_t hash = memo_hash(*s, len);
	if (memo->cap && *memo_slot(memo, *s, hash))
		return;
	char *r = kc_redact_text(*s);
	if (strcmp(r, *s) != 0) {
		free(*s);
		*s = r;
		return;
	}
	free(r);
	if (2 * (memo->n + 1) > memo->cap) {
		struct kc_redact_memo grown = { kc_xcalloc(memo->cap ? 2 * memo->cap : 64, sizeof(char *)), 0,
						memo->cap ? 2 * memo->cap : 64 };
		for (size_t i = 0; i < memo->cap; i++)
			if (memo->clean[i]) {
				const char *t = memo->clean[i];
				*memo_slot(&grown, t, memo_hash(t, strlen(t))) = t;
				grown.n++;
			}
		free(memo->clean);
		*memo = grown;
	}
	*memo_slot(memo, *s, hash) = *s;
	memo->n++;
}

void kc_redact_memo_clear(struct kc_redact_memo *memo)
{
	free(memo->clean);
	memo->clean = NULL;
	memo->n = memo->cap = 0;
}
