/* The build tools' one way of writing text into generated C: a string literal whose bytes are
 * exactly the text's (quotes, backslashes, control and non-ASCII bytes as octal escapes; a
 * newline ends a source line too, so that a generated schema stays readable). */
#ifndef KC_TOOLS_CSTRING_H
#define KC_TOOLS_CSTRING_H

#include <stdio.h>

static inline void kc_put_cstring(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\n')
			fputs(s[1] ? "\\n\"\n\t\"" : "\\n", f);
		else if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			fprintf(f, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

#endif
