/* UTF-8 checks and escaping (see utf8.h). */
#include "common/utf8.h"

#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"

size_t kc_utf8_seq(const unsigned char *s, size_t n)
{
	if (!n)
		return 0;
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned cp, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

char *kc_utf8_escape(const char *s)
{
	if (!s)
		return NULL;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	while (i < n) {
		size_t l = kc_utf8_seq(p + i, n - i);
		if (!l)
			break;
		i += l;
	}
	if (i == n)
		return NULL;
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_add(&b, s, i);
	while (i < n) {
		size_t l = kc_utf8_seq(p + i, n - i);
		if (l) {
			kc_buf_add(&b, s + i, l);
			i += l;
		} else {
			kc_buf_printf(&b, "\\x%02x", p[i]);
			i++;
		}
	}
	return kc_buf_detach(&b);
}
