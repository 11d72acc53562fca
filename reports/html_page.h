/* The frame every HTML output shares (the report and the diff): a buffered writer with one
 * escaping path for outside text, the page head with its style and a strict Content Security
 * Policy, and the one inline script whose SHA-256 the policy allows. Nothing is fetched: the
 * page works from a file:// URL with networking off. */
#ifndef KC_HTML_PAGE_H
#define KC_HTML_PAGE_H

#include <stdio.h>

#include "common/strbuf.h"

struct kc_html {
	struct kc_buf b;   /* pending output, flushed to fp in large chunks */
	struct kc_buf tmp; /* scratch for cleaning outside text */
	FILE *fp;
};

/* Trusted markup written by this program (tags, class names, numbers). */
void kc_html_raw(struct kc_html *h, const char *markup);
/* Trusted markup with formatted numbers; never pass outside strings to a %s here. */
void kc_html_fmt(struct kc_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Outside text (check text, paths, object names, labels): cleaned of invalid UTF-8, invisible
 * format controls shown as "[U+XXXX]" (kc_report_put_visible) and escaped with
 * kc_buf_put_html, safe in element text and in double-quoted attributes. */
void kc_html_text(struct kc_html *h, const char *s);
/* Writes what is pending once it is large; 0 or KC_EIO. */
int kc_html_flush(struct kc_html *h, int force);
void kc_html_clear(struct kc_html *h);

/* <!doctype html> … <body>; with_script adds the CSP hash of the filter script. */
void kc_html_page_start(struct kc_html *h, const char *title, int with_script);
/* The filter script (when with_script) and </body></html>. */
void kc_html_page_end(struct kc_html *h, int with_script);

struct kc_atomic_file;
/* Every HTML page's one ending: kc_html_page_end, the last flush, then the file committed
 * (or dropped when anything failed: a failed intermediate flush leaves ferror set on af's
 * stream, which the commit refuses), and h freed. 0 or a negative code with a message. */
int kc_html_page_finish(struct kc_html *h, struct kc_atomic_file *af, int with_script);

/* The script text and its CSP source ('sha256-…'), exposed for the tests. */
const char *kc_html_script(void);
void kc_html_script_hash(struct kc_buf *out);

#endif
