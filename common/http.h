/* The HTTP/1.1 request head parser of both small servers, the audit webhook
 * (auditlog/webhook.c) and the metrics endpoint (auditor/metrics_http.c): pure (bytes in, typed request out),
 * so that the fuzzer (fuzz/fuzz_http_request.c) reaches every branch without a socket.
 * Only what the API server's webhook client sends is accepted: a request line
 * `METHOD SP origin-form SP HTTP/1.x`, header fields `token ":" OWS value OWS` ended by CRLF,
 * a Content-Length body. Obsolete line folding, a bare LF, control bytes, conflicting
 * Content-Length values and Transfer-Encoding are refused (request smuggling needs one of
 * them), each with the status the server answers. */
#ifndef KC_HTTP_H
#define KC_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct kc_http_request {
	char method[16];
	char path[256];          /* target without the query */
	int http_minor;          /* HTTP/1.<minor> */
	int64_t content_length;  /* -1 when absent */
	int keep_alive;          /* 1.1 unless "Connection: close"; 1.0 only with "keep-alive" */
	int json;                /* Content-Type is application/json (parameters allowed) */
	int has_content_type;
	int expect_continue;     /* "Expect: 100-continue" */
	int status;              /* on a refusal: the status to answer */
	const char *reason;      /* on a refusal: why (static text) */
};

/* Parses the head at the start of buf[0..len). Returns the head's length (through the empty
 * line) when complete, 0 when more bytes are needed (and the head so far is not over
 * max_head), or -1 on a refusal with r->status (400, 405, 411, 414, 431, 501, 505) and
 * r->reason set. */
long kc_http_request_parse(const char *buf, size_t len, size_t max_head, struct kc_http_request *r);

/* The reason phrase of a status code the servers answer ("Bad Request"); an unknown code
 * gets "Internal Server Error". */
const char *kc_http_reason_phrase(int code);

#endif
