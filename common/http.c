/* HTTP request head parser (see http.h). RFC 9112 §3 (request line), §5 (field syntax),
 * §6.3 (message body length: Transfer-Encoding with Content-Length is refused rather than
 * guessed, conflicting Content-Length values are an error). */
#include "common/http.h"

#include <string.h>
#include <strings.h>

static int refuse(struct kc_http_request *r, int status, const char *reason)
{
	r->status = status;
	r->reason = reason;
	return -1;
}

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Field value bytes: visible ASCII, SP, HTAB and obs-text; never CR, LF, NUL or other controls. */
static int is_vchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int token_eq(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* Does the comma-separated list value contain word (case-insensitive)? */
static int list_has(const char *v, size_t n, const char *word)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && token_eq(v + s, e - s, word))
			return 1;
	}
	return 0;
}

static int parse_request_line(const char *p, size_t n, struct kc_http_request *r)
{
	const char *sp1 = memchr(p, ' ', n);
	if (!sp1 || sp1 == p)
		return refuse(r, 400, "malformed request line");
	size_t mlen = (size_t)(sp1 - p);
	if (mlen >= sizeof(r->method))
		return refuse(r, 501, "unknown method");
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return refuse(r, 400, "malformed method");
	memcpy(r->method, p, mlen);
	r->method[mlen] = '\0';
	const char *t = sp1 + 1, *end = p + n;
	const char *sp2 = memchr(t, ' ', (size_t)(end - t));
	if (!sp2 || sp2 == t)
		return refuse(r, 400, "malformed request line");
	if (*t != '/')
		return refuse(r, 400, "the target must be a path (origin-form)");
	const char *q = memchr(t, '?', (size_t)(sp2 - t));
	size_t plen = (size_t)((q ? q : sp2) - t);
	for (const char *c = t; c < sp2; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return refuse(r, 400, "control or non-ASCII byte in the target");
	if (plen >= sizeof(r->path))
		return refuse(r, 414, "target too long");
	memcpy(r->path, t, plen);
	r->path[plen] = '\0';
	const char *v = sp2 + 1;
	if ((size_t)(end - v) != 8 || memcmp(v, "HTTP/1.", 7) != 0)
		return refuse(r, (size_t)(end - v) == 8 && memcmp(v, "HTTP/", 5) == 0 ? 505 : 400,
			      "expected HTTP/1.x");
	if (v[7] != '0' && v[7] != '1')
		return refuse(r, 505, "HTTP version not supported");
	r->http_minor = v[7] - '0';
	r->keep_alive = r->http_minor == 1;
	return 0;
}

static int parse_length(const char *v, size_t n, int64_t *out)
{
	if (!n || n > 15)
		return -1;
	int64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return 0;
}

static int parse_field(const char *p, size_t n, struct kc_http_request *r)
{
	if (*p == ' ' || *p == '\t')
		return refuse(r, 400, "obsolete line folding");
	const char *colon = memchr(p, ':', n);
	if (!colon || colon == p)
		return refuse(r, 400, "malformed header field");
	size_t nlen = (size_t)(colon - p);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return refuse(r, 400, "malformed header name");
	const char *v = colon + 1, *end = p + n;
	for (const char *c = v; c < end; c++)
		if (!is_vchar((unsigned char)*c))
			return refuse(r, 400, "control byte in a header value");
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t vlen = (size_t)(end - v);
	if (token_eq(p, nlen, "Content-Length")) {
		int64_t x;
		if (parse_length(v, vlen, &x) < 0)
			return refuse(r, 400, "bad Content-Length");
		if (r->content_length >= 0 && r->content_length != x)
			return refuse(r, 400, "conflicting Content-Length values");
		r->content_length = x;
	} else if (token_eq(p, nlen, "Transfer-Encoding")) {
		return refuse(r, 411, "send a Content-Length (no Transfer-Encoding)");
	} else if (token_eq(p, nlen, "Connection")) {
		if (list_has(v, vlen, "close"))
			r->keep_alive = 0;
		else if (list_has(v, vlen, "keep-alive"))
			r->keep_alive = 1;
	} else if (token_eq(p, nlen, "Content-Type")) {
		const char *semi = memchr(v, ';', vlen);
		size_t mlen = semi ? (size_t)(semi - v) : vlen;
		while (mlen && (v[mlen - 1] == ' ' || v[mlen - 1] == '\t'))
			mlen--;
		r->has_content_type = 1;
		r->json = token_eq(v, mlen, "application/json");
	} else if (token_eq(p, nlen, "Expect")) {
		r->expect_continue = token_eq(v, vlen, "100-continue");
	}
	return 0;
}

long kc_http_request_parse(const char *buf, size_t len, size_t max_head, struct kc_http_request *r)
{
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	/* a client may send empty lines before the request line (RFC 9112 §2.2) */
	size_t pos = 0;
	while (pos + 1 < len && buf[pos] == '\r' && buf[pos + 1] == '\n' && pos < 64)
		pos += 2;
	size_t limit = len < max_head ? len : max_head;
	int line = 0;
	while (pos < limit) {
		const char *p = buf + pos;
		const char *lf = memchr(p, '\n', limit - pos);
		if (!lf)
			break;
		if (lf == p || lf[-1] != '\r')
			return refuse(r, 400, "bare LF");
		size_t n = (size_t)(lf - p) - 1;
		for (size_t i = 0; i < n; i++)
			if (p[i] == '\r' || p[i] == '\0')
				return refuse(r, 400, "bare CR or NUL");
		pos = (size_t)(lf - buf) + 1;
		if (n == 0) {
			if (!line)
				return refuse(r, 400, "empty request");
			if (r->content_length < 0 && strcmp(r->method, "POST") == 0)
				return refuse(r, 411, "send a Content-Length");
			return (long)pos;
		}
		if (line++ == 0 ? parse_request_line(p, n, r) < 0 : parse_field(p, n, r) < 0)
			return -1;
	}
	if (len >= max_head)
		return refuse(r, 431, "headers too large");
	return 0;
}

const char *kc_http_reason_phrase(int code)
{
	switch (code) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}
