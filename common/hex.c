#include "common/hex.h"

static int digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void kc_hex_put(struct kc_buf *out, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;
	kc_buf_grow(out, 2 * n);
	for (size_t i = 0; i < n; i++) {
		kc_buf_putc(out, hex[b[i] >> 4]);
		kc_buf_putc(out, hex[b[i] & 15]);
	}
}

int kc_hex_decode(const char *hex, size_t len, struct kc_buf *out)
{
	if (len % 2)
		return -1;
	kc_buf_grow(out, len / 2);
	for (size_t i = 0; i < len; i += 2) {
		int hi = digit(hex[i]), lo = digit(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		kc_buf_putc(out, (char)(hi << 4 | lo));
	}
	return 0;
}
