#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char kc_buf_empty[1];

static void oom(void)
{
	/* not through common/log.h: the logger allocates */
	fputs("kubecomply: out of memory\n", stderr); /* kc-print-ok */
	abort();
}

void *kc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *kc_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *kc_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *kc_array_grow(void *arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return arr;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need)
		ncap *= 2;
	if (ncap > ((size_t)-1) / size)
		oom();
	arr = kc_xrealloc(arr, ncap * size);
	*cap = ncap;
	return arr;
}

void kc_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char **kc_split_nul(const char *buf, size_t len, size_t *count)
{
	char **v = NULL;
	size_t cap = 0, n = 0;
	for (size_t start = 0; start < len;) {
		const char *nul = memchr(buf + start, '\0', len - start);
		size_t end = nul ? (size_t)(nul - buf) : len;
		v = kc_array_grow(v, &cap, n + 2, sizeof(*v));
		v[n++] = kc_strndup(buf + start, end - start);
		start = end + 1;
	}
	if (v)
		v[n] = NULL;
	*count = n;
	return v;
}

int kc_strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *kc_strdup(const char *s)
{
	return s ? kc_strndup(s, strlen(s)) : NULL;
}

char *kc_strndup(const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *p = kc_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void kc_buf_init(struct kc_buf *b)
{
	b->ptr = kc_buf_empty;
	b->len = b->cap = 0;
}

void kc_buf_clear(struct kc_buf *b)
{
	if (b->cap)
		free(b->ptr);
	kc_buf_init(b);
}

void kc_buf_reset(struct kc_buf *b)
{
	b->len = 0;
	if (b->cap)
		b->ptr[0] = '\0';
}

void kc_buf_grow(struct kc_buf *b, size_t extra)
{
	if (extra >= ((size_t)-1) / 2 - b->len)
		oom();
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;
	if (b->cap) {
		b->ptr = kc_xrealloc(b->ptr, ncap);
	} else {
		b->ptr = kc_xmalloc(ncap);
		b->ptr[0] = '\0';
	}
	b->cap = ncap;
}

void kc_buf_add(struct kc_buf *b, const void *data, size_t len)
{
	if (!len)
		return;
	kc_buf_grow(b, len);
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void kc_buf_puts(struct kc_buf *b, const char *s)
{
	if (s)
		kc_buf_add(b, s, strlen(s));
}

void kc_buf_putc(struct kc_buf *b, char c)
{
	kc_buf_add(b, &c, 1);
}

void kc_buf_vprintf(struct kc_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(b->cap ? b->ptr + b->len : NULL, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if (b->cap && (size_t)n < b->cap - b->len) {
		b->len += (size_t)n;
		return;
	}
	kc_buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
}

void kc_buf_printf(struct kc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void kc_buf_truncate(struct kc_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

void kc_buf_setlen(struct kc_buf *b, size_t len)
{
	if (len >= b->cap)
		abort(); /* past what kc_buf_grow made room for: a caller's bug */
	b->len = len;
	b->ptr[len] = '\0';
}

char *kc_buf_detach(struct kc_buf *b)
{
	char *s = b->cap ? b->ptr : kc_strdup("");
	if (b->cap)
		b->ptr[b->len] = '\0';
	kc_buf_init(b);
	return s;
}

void kc_buf_put_json_str(struct kc_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	kc_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': kc_buf_puts(b, "\\\""); break;
		case '\\': kc_buf_puts(b, "\\\\"); break;
		case '\n': kc_buf_puts(b, "\\n"); break;
		case '\r': kc_buf_puts(b, "\\r"); break;
		case '\t': kc_buf_puts(b, "\\t"); break;
		/* '<' escaped so a JSON blob embedded in HTML cannot close a <script> element */
		case '<': kc_buf_puts(b, "\\u003c"); break;
		default:
			if (*p < 0x20) {
				char esc[7] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0 };
				kc_buf_puts(b, esc);
			} else {
				kc_buf_putc(b, (char)*p);
			}
		}
	}
	kc_buf_putc(b, '"');
}

void kc_buf_put_html(struct kc_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '<': kc_buf_puts(b, "&lt;"); break;
		case '>': kc_buf_puts(b, "&gt;"); break;
		case '&': kc_buf_puts(b, "&amp;"); break;
		case '"': kc_buf_puts(b, "&quot;"); break;
		case '\'': kc_buf_puts(b, "&#39;"); break;
		case '`': kc_buf_puts(b, "&#96;"); break;
		default:
			/* control characters other than tab/newline carry no meaning in a report */
			if (*p < 0x20 && *p != '\n' && *p != '\t')
				kc_buf_puts(b, "&#xFFFD;");
			else
				kc_buf_putc(b, (char)*p);
		}
	}
}
