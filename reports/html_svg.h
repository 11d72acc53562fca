/* Inline SVG charts for the HTML outputs: no script, no external file, readable printed.
 * Every number is ours; the only outside text (run times) goes through kc_html_text. */
#ifndef KC_HTML_SVG_H
#define KC_HTML_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "store/result.h"
#include "reports/html_page.h"

/* One bar per status with its count. */
void kc_html_svg_status(struct kc_html *h, const size_t counts[KC_STATUS_COUNT]);

struct kc_trend_point {
	int64_t run_id;
	char *started;                   /* owned, may be NULL */
	size_t counts[KC_STATUS_COUNT];
};
/* Stacked bars per run, oldest left. */
void kc_html_svg_trend(struct kc_html *h, const struct kc_trend_point *p, size_t n);

#endif
