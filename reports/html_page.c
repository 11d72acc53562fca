#include "reports/html_page.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "reports/render.h"

#define FLUSH_AT (1u << 20)

void kc_html_raw(struct kc_html *h, const char *markup)
{
	kc_buf_puts(&h->b, markup);
}

void kc_html_fmt(struct kc_html *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&h->b, fmt, ap);
	va_end(ap);
}

void kc_html_text(struct kc_html *h, const char *s)
{
	kc_buf_reset(&h->tmp);
	kc_report_put_visible(&h->tmp, s);
	kc_buf_put_html(&h->b, h->tmp.ptr);
}

int kc_html_flush(struct kc_html *h, int force)
{
	if (!h->b.len || (!force && h->b.len < FLUSH_AT))
		return 0;
	size_t len = h->b.len, n = fwrite(h->b.ptr, 1, len, h->fp);
	kc_buf_reset(&h->b);
	return n != len ? kc_error_set_errno(errno ? errno : EIO, "cannot write the HTML report") : 0;
}

void kc_html_clear(struct kc_html *h)
{
	kc_buf_clear(&h->b);
	kc_buf_clear(&h->tmp);
}

/* Colours also carry a text label everywhere, so the page reads in grey print too. */
static const char style[] =
	":root{--PASS:#1a7f37;--FAIL:#cf222e;--WARN:#9a6700;--SKIP:#6e7781;--ERROR:#8250df;"
	"--line:#d0d7de;--soft:#f6f8fa;color:#1f2328;background:#fff;"
	"font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif}"
	"body{margin:0 auto;max-width:1200px;padding:1rem 1.5rem}"
	"h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.2rem 0 .4rem}"
	"h3{font-size:1rem;margin:.6rem 0 .2rem}code,pre{font:12px/1.4 ui-monospace,monospace}"
	"pre{white-space:pre-wrap;word-break:break-word;background:var(--soft);padding:.5rem;margin:.2rem 0}"
	".meta{color:#57606a}.head{display:flex;flex-wrap:wrap;gap:1rem 2rem;align-items:flex-start}"
	".head dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem 1rem;margin:0}.head dt{color:#57606a}"
	".score{font-size:1.6rem;font-weight:700}.headline p{margin:.1rem 0 .4rem}"
	".head>div{min-width:0;max-width:100%}.head dd{margin:0;overflow-wrap:anywhere;min-width:0}"
	"table.sevtab{width:auto;font-size:12px;margin:.3rem 0}.sevtab td{text-align:right;min-width:2.5em}"
	".sevtab td.hot{color:var(--FAIL);font-weight:700}.cid{white-space:nowrap}"
	".legend{display:flex;flex-wrap:wrap;gap:.3rem .8rem;list-style:none;padding:0;margin:.2rem 0;font-size:12px}"
	"details.sec,details.check{scroll-margin-top:5rem}"
	".matrix{max-width:100%;overflow-x:auto}table.fleet td,table.fleet th{white-space:nowrap}"
	"table.fleet td:nth-child(2){white-space:normal;min-width:14em}"
	"tr.drifting>td:first-child{border-left:4px solid var(--WARN)}"
	"mark,mark.drift-cell{background:#fff8c5;color:inherit;outline:2px solid var(--WARN);padding:0 .15em}"
	".counts{display:flex;gap:.5rem;flex-wrap:wrap;list-style:none;padding:0;margin:.3rem 0}"
	".counts li{border:1px solid var(--line);border-radius:6px;padding:.2rem .6rem}"
	".badge{display:inline-block;min-width:3.6em;text-align:center;border-radius:4px;color:#fff;"
	"font-weight:600;font-size:12px;padding:0 .3em}"
	".PASS{background:var(--PASS)}.FAIL{background:var(--FAIL)}.WARN{background:var(--WARN)}"
	".SKIP{background:var(--SKIP)}.ERROR{background:var(--ERROR)}"
	"svg .PASS{fill:var(--PASS)}svg .FAIL{fill:var(--FAIL)}svg .WARN{fill:var(--WARN)}"
	"svg .SKIP{fill:var(--SKIP)}svg .ERROR{fill:var(--ERROR)}svg text{font:11px system-ui,sans-serif;fill:#1f2328}"
	"svg .axis{stroke:#8c959f;stroke-width:1}svg{max-width:100%;height:auto}"
	".sev{font-size:12px;border:1px solid var(--line);border-radius:4px;padding:0 .3em}"
	".sev-critical,.sev-high{border-color:var(--FAIL);color:var(--FAIL)}"
	"details.sec{border:1px solid var(--line);border-radius:6px;margin:.5rem 0}"
	"details.sec>summary{padding:.4rem .6rem;background:var(--soft);font-weight:600;cursor:pointer}"
	"details.check{border-top:1px solid var(--line)}details.check>summary{padding:.3rem .6rem;cursor:pointer}"
	".body{padding:.2rem 1rem .6rem 2rem}"
	"dl.ea{display:grid;grid-template-columns:8em minmax(0,1fr);gap:.1rem .8rem;margin:.2rem 0}dl.ea dt{color:#57606a}"
	"dl.ea dd{margin:0;min-width:0;overflow-wrap:anywhere}summary,h1,li{overflow-wrap:anywhere}"
	"select,input{max-width:100%}#filters label{max-width:100%}"
	"ul.ev{margin:.2rem 0;padding-left:1.2rem}"
	"table{border-collapse:collapse;margin:.2rem 0;width:100%}td,th{border:1px solid var(--line);"
	"padding:.15rem .4rem;text-align:left;vertical-align:top;word-break:break-word}th{background:var(--soft)}"
	".drift{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:.5rem}"
	".drift section{border:1px solid var(--line);border-radius:6px;padding:.3rem .6rem}"
	".drift ul{margin:.2rem 0;padding-left:1.1rem;max-height:14rem;overflow:auto}"
	"#filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:.6rem 0;padding:.4rem .6rem;"
	"background:var(--soft);border:1px solid var(--line);border-radius:6px;position:sticky;top:0}"
	"#filters[hidden]{display:none}"
	"button.chip{border:1px solid var(--line);border-radius:6px;background:#fff;cursor:pointer;font:inherit;color:inherit}"
	/* without the script the chips do nothing: they must not look like buttons */
	"button.chip:disabled{cursor:default;background:none;border-color:transparent;padding:0}"
	"code{overflow-wrap:anywhere}td,th{overflow-wrap:anywhere}"
	"@media (max-width:600px){body{padding:.5rem}.body{padding:.2rem .3rem .6rem .6rem}"
	"dl.ea{grid-template-columns:minmax(0,1fr)}#filters{position:static}table.objs{font-size:12px}"
	"details.check>summary .meta{display:block}}"
	"@media print{#filters,noscript,.noprint{display:none!important}body{max-width:none;padding:0}"
	"details.sec,details.check{break-inside:auto}details>summary{list-style:none}"
	"details.check>summary{break-after:avoid}a{color:inherit;text-decoration:none}"
	".drift ul{max-height:none;overflow:visible}}"
	/* closed sections and checks print their content too (browsers that know
	 * ::details-content); a closed list of more objects does not */
	"@media print{details.sec::details-content,details.check::details-content{content-visibility:visible;"
	"display:block}}";

/* The only script: filters (status, severity, target, text) applied on change and from
 * location.hash ("#status=FAIL&severity=high&target=node&q=etcd"), which also makes a filter
 * reproducible by URL; a count of visible checks, and per section "showing k of n"; a text
 * match opens its check (and its object list when the match is there) and sections with
 * matches open, so a match is never hidden in a collapsed block; the text of each check is
 * lowered once, at the first search, not per keystroke; "#r-N" (the drift links) clears the
 * filters, opens that check and its section and scrolls to it (scroll-margin keeps it below
 * the sticky bar); the status chips, disabled in the markup, are enabled; every section and
 * check is opened for printing (object lists past the first 50 only if opened: a 100,000-row
 * print is what made Chromium fail). It reads only its own page. It must stay byte-for-byte
 * constant: the CSP allows its hash. */
static const char script[] =
	"(function(){'use strict';var d=document,f=d.getElementById('filters');if(!f)return;"
	"var rows=[].slice.call(d.querySelectorAll('details.check')),"
	"secs=[].slice.call(d.querySelectorAll('details.sec')),"
	"sel={status:d.getElementById('f-status'),severity:d.getElementById('f-severity'),"
	"target:d.getElementById('f-target')},q=d.getElementById('f-q'),shown=d.getElementById('shown'),"
	"timer=0,texts=null,mores=null;f.hidden=false;"
	"function low(e){return e?e.textContent.toLowerCase():'';}"
	"function apply(save){var s=sel.status.value,v=sel.severity.value,t=sel.target.value,"
	"x=q.value.toLowerCase(),n=0,any=!!(s||v||t||x);"
	"if(x&&!texts){texts=rows.map(low);mores=rows.map(function(r){return low(r.querySelector('details.more'));});}"
	"rows.forEach(function(r,i){var ok=(!s||r.dataset.status===s)&&"
	"(!v||r.dataset.severity===v)&&(!t||r.dataset.target===t)&&"
	"(!x||texts[i].indexOf(x)>=0);r.hidden=!ok;if(ok){n++;if(x){r.open=true;"
	"if(mores[i].indexOf(x)>=0)r.querySelector('details.more').open=true;}}});"
	"secs.forEach(function(c){var all=c.querySelectorAll('details.check').length,"
	"k=c.querySelectorAll('details.check:not([hidden])').length,o=c.querySelector('.sec-shown');"
	"c.hidden=!k;if(any&&k)c.open=true;if(o)o.textContent=any?'· showing '+k+' of '+all:'';});"
	"shown.textContent=String(n);if(save){var h=[];Object.keys(sel).forEach(function(k){"
	"if(sel[k].value)h.push(k+'='+encodeURIComponent(sel[k].value));});"
	"if(q.value)h.push('q='+encodeURIComponent(q.value));"
	"try{history.replaceState(null,'',h.length?'#'+h.join('&'):location.pathname);}catch(e){}}}"
	"function fromHash(){var h=location.hash.replace(/^#/,''),el;q.value='';"
	"Object.keys(sel).forEach(function(k){sel[k].value='';});"
	"if(/^r-[0-9]+$/.test(h)&&(el=d.getElementById(h))){apply(false);el.open=true;"
	"var c=el.parentNode;while(c&&c!==d.body){if(c.tagName==='DETAILS')c.open=true;c=c.parentNode;}"
	"el.scrollIntoView();return;}"
	"h.split('&').forEach(function(p){var i=p.indexOf('='),k,v;if(i<1)return;"
	"k=p.slice(0,i);try{v=decodeURIComponent(p.slice(i+1));}catch(e){return;}"
	"if(sel.hasOwnProperty(k))sel[k].value=v;else if(k==='q')q.value=v;});apply(false);}"
	"Object.keys(sel).forEach(function(k){sel[k].addEventListener('change',function(){apply(true);});});"
	"q.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(function(){apply(true);},150);});"
	"[].slice.call(d.querySelectorAll('button[data-status]')).forEach(function(b){b.disabled=false;"
	"b.addEventListener('click',function(){sel.status.value=b.dataset.status;apply(true);});});"
	"d.getElementById('f-reset').addEventListener('click',function(){q.value='';"
	"Object.keys(sel).forEach(function(k){sel[k].value='';});apply(true);});"
	"var closed=[];window.addEventListener('beforeprint',function(){"
	"closed=[].slice.call(d.querySelectorAll('details.sec:not([open]),details.check:not([open])'));"
	"closed.forEach(function(e){e.open=true;});});"
	"window.addEventListener('afterprint',function(){closed.forEach(function(e){e.open=false;});closed=[];});"
	"f.addEventListener('submit',function(e){e.preventDefault();apply(true);});"
	"window.addEventListener('hashchange',fromHash);fromHash();})();";

const char *kc_html_script(void)
{
	return script;
}

void kc_html_script_hash(struct kc_buf *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	EVP_Digest(script, sizeof(script) - 1, md, &mdlen, EVP_sha256(), NULL);
	int n = EVP_EncodeBlock(b64, md, (int)mdlen);
	kc_buf_puts(out, "'sha256-");
	kc_buf_add(out, b64, n > 0 ? (size_t)n : 0);
	kc_buf_putc(out, '\'');
}

void kc_html_page_start(struct kc_html *h, const char *title, int with_script)
{
	struct kc_buf csp = KC_BUF_INIT;
	/* no fetch of any kind; styles inline; the one script by hash, so even markup that
	 * escaped the escaping (it must not) could run nothing */
	kc_buf_puts(&csp, "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
		    "base-uri 'none'; form-action 'none'; script-src ");
	if (with_script)
		kc_html_script_hash(&csp);
	else
		kc_buf_puts(&csp, "'none'");
	kc_html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"");
	kc_html_text(h, csp.ptr);
	kc_html_raw(h, "\">\n<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
		    "<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"generator\" content=\"kubecomply\">\n<title>");
	kc_html_text(h, title);
	kc_html_raw(h, "</title>\n<style>");
	kc_html_raw(h, style);
	kc_html_raw(h, "</style>\n</head>\n<body>\n");
	kc_buf_clear(&csp);
}

void kc_html_page_end(struct kc_html *h, int with_script)
{
	if (with_script) {
		kc_html_raw(h, "<script>");
		kc_html_raw(h, script);
		kc_html_raw(h, "</script>\n");
	}
	kc_html_raw(h, "</body>\n</html>\n");
}

int kc_html_page_finish(struct kc_html *h, struct kc_atomic_file *af, int with_script)
{
	kc_html_page_end(h, with_script);
	int rc = kc_html_flush(h, 1);
	if (rc == 0)
		rc = kc_atomic_commit(af);
	if (rc < 0)
		kc_atomic_abort(af);
	kc_html_clear(h);
	return rc;
}
