/* Growable, always NUL-terminated byte buffer: the one string builder of the project.
 * Modelled on git's strbuf: `struct kc_buf b = KC_BUF_INIT;` needs no allocation until used,
 * and `kc_buf_clear()` returns it to that state. Allocation failure aborts: a compliance run
 * that silently drops evidence is worse than one that stops. */
#ifndef KC_STRBUF_H
#define KC_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct kc_buf {
	char *ptr;   /* never NULL: points at a shared "" until the first write */
	size_t len;
	size_t cap;
};

extern char kc_buf_empty[];
#define KC_BUF_INIT { kc_buf_empty, 0, 0 }

void kc_buf_init(struct kc_buf *b);
void kc_buf_clear(struct kc_buf *b);           /* frees the contents; b is the caller's, empty again */
void kc_buf_reset(struct kc_buf *b);            /* len = 0, keeps the allocation */
void kc_buf_grow(struct kc_buf *b, size_t extra);
void kc_buf_add(struct kc_buf *b, const void *data, size_t len);
void kc_buf_puts(struct kc_buf *b, const char *s);
void kc_buf_putc(struct kc_buf *b, char c);
void kc_buf_printf(struct kc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kc_buf_vprintf(struct kc_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void kc_buf_truncate(struct kc_buf *b, size_t len);
/* After writing into the room kc_buf_grow made past len (a read into ptr + len), as git's
 * strbuf_setlen: len must stay below cap. */
void kc_buf_setlen(struct kc_buf *b, size_t len);
/* Hands the string to the caller (free() it) and leaves the buffer empty. */
char *kc_buf_detach(struct kc_buf *b);

/* Escapers write into a buffer; each is the only way that kind of text leaves the program. */
void kc_buf_put_json_str(struct kc_buf *b, const char *s); /* with the quotes */
void kc_buf_put_html(struct kc_buf *b, const char *s);      /* text and attribute safe */

/* Small string helpers used across folders. */
char *kc_strdup(const char *s);                  /* NULL-safe, aborts on OOM */
char *kc_strndup(const char *s, size_t n);
void *kc_xmalloc(size_t n);
void *kc_xcalloc(size_t n, size_t size);
void *kc_xrealloc(void *p, size_t n);
/* Frees n strings and the array holding them. */
void kc_strv_free(char **v, size_t n);
/* Splits NUL-separated strings (/proc/PID/cmdline, environ) into *count new strings, the
 * array NULL-terminated (NULL when len is 0); a missing final NUL (a cut read) still ends
 * the last one. Free with kc_strv_free(v, *count). */
char **kc_split_nul(const char *buf, size_t len, size_t *count);
/* strcmp for qsort over an array of char * (sorted names, bytewise). */
int kc_strcmp_ptr(const void *a, const void *b);
/* Grows an array of `size`-byte items so that `need` fit; doubles to keep appends amortised O(1). */
void *kc_array_grow(void *arr, size_t *cap, size_t need, size_t size);

#endif
