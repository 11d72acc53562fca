/* UTF-8 validity for text that enters the store: audit fields and BPF argv are bytes from
 * outside, and every report (JSON, HTML, SARIF, JUnit XML) must be valid UTF-8. */
#ifndef KC_UTF8_H
#define KC_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when s[0] does not start one (overlong
 * forms, surrogates and code points over U+10FFFF are invalid, as RFC 3629 says). */
size_t kc_utf8_seq(const unsigned char *s, size_t n);
/* NULL when s is valid UTF-8 (nothing to do); otherwise a new string, each invalid byte
 * written as the four characters "\xNN" (a backslash is left alone). Caller frees. */
char *kc_utf8_escape(const char *s);

#endif
