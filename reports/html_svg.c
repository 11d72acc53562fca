#include "reports/html_svg.h"

static const enum kc_status order[KC_STATUS_COUNT] = { KC_PASS, KC_FAIL, KC_WARN, KC_SKIP, KC_ERROR };

void kc_html_svg_status(struct kc_html *h, const size_t counts[KC_STATUS_COUNT])
{
	const int bw = 56, gap = 14, top = 16, height = 90, width = KC_STATUS_COUNT * (bw + gap) + gap;
	size_t max = 1;
	for (int i = 0; i < KC_STATUS_COUNT; i++)
		if (counts[i] > max)
			max = counts[i];
	kc_html_fmt(h, "<svg class=\"chart\" id=\"status-chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		    "role=\"img\" aria-label=\"checks per status\">", width, top + height + 20, width,
		    top + height + 20);
	for (int i = 0; i < KC_STATUS_COUNT; i++) {
		enum kc_status s = order[i];
		int x = gap + i * (bw + gap);
		int bh = counts[s] ? (int)((double)counts[s] * height / (double)max) : 0;
		if (counts[s] && bh < 2)
			bh = 2;
		kc_html_fmt(h, "<g><title>%s: %zu</title><rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>"
			    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%zu</text>"
			    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text></g>",
			    kc_status_name(s), counts[s], kc_status_name(s), x, top + height - bh, bw, bh,
			    x + bw / 2, top + height - bh - 3, counts[s], x + bw / 2, top + height + 14,
			    kc_status_name(s));
	}
	kc_html_fmt(h, "<line class=\"axis\" x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></svg>", top + height, width,
		    top + height);
}

void kc_html_svg_trend(struct kc_html *h, const struct kc_trend_point *p, size_t n)
{
	const int bw = 22, gap = 10, left = 40, height = 120;
	int top = 10;
	int width = left + (int)n * (bw + gap) + gap;
	if (width < 200) /* room for the axis caption with two or three runs */
		width = 200;
	size_t max = 1;
	for (size_t i = 0; i < n; i++) {
		size_t t = 0;
		for (int s = 0; s < KC_STATUS_COUNT; s++)
			t += p[i].counts[s];
		if (t > max)
			max = t;
	}
	/* headroom for the FAIL count above the tallest bar */
	top += 12;
	kc_html_fmt(h, "<svg class=\"chart\" id=\"trend-chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		    "role=\"img\" aria-label=\"checks per status over the last %zu runs\">",
		    width, top + height + 34, width, top + height + 34, n);
	kc_html_fmt(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%zu</text>"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>",
		    left - 4, top + 9, max, left - 4, top + height);
	for (size_t i = 0; i < n; i++) {
		int x = left + gap + (int)i * (bw + gap);
		double y = top + height;
		kc_html_fmt(h, "<g><title>run %lld", (long long)p[i].run_id);
		if (p[i].started) {
			kc_html_raw(h, " ");
			kc_html_text(h, p[i].started);
		}
		for (int k = 0; k < KC_STATUS_COUNT; k++)
			kc_html_fmt(h, "%s%zu %s", k ? ", " : ": ", p[i].counts[order[k]], kc_status_name(order[k]));
		kc_html_raw(h, "</title>");
		for (int k = 0; k < KC_STATUS_COUNT; k++) {
			size_t c = p[i].counts[order[k]];
			if (!c)
				continue;
			double bh = (double)c * height / (double)max;
			y -= bh;
			kc_html_fmt(h, "<rect class=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>",
				    kc_status_name(order[k]), x, y, bw, bh);
		}
		/* the number that matters over time, on the bar: how many failed */
		kc_html_fmt(h, "<text class=\"nfail\" x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%zu</text>",
			    x + bw / 2, y - 3, p[i].counts[KC_FAIL]);
		kc_html_fmt(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">#%lld</text></g>", x + bw / 2,
			    top + height + 14, (long long)p[i].run_id);
	}
	kc_html_fmt(h, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		    "<text x=\"%d\" y=\"%d\">oldest → newest</text></svg>",
		    left, top + height, width, top + height, left, top + height + 30);
	/* the legend: colours carry a label, and what the number on each bar counts */
	kc_html_raw(h, "<ul class=\"legend\" id=\"trend-legend\">");
	for (int k = KC_STATUS_COUNT - 1; k >= 0; k--)
		kc_html_fmt(h, "<li><span class=\"badge %s\">%s</span></li>", kc_status_name(order[k]), kc_status_name(order[k]));
	kc_html_raw(h, "<li>bar height: checks per status; number above a bar: its FAIL count; hover a bar for all "
		    "counts</li></ul>\n");
}
