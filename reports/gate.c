#include "reports/gate.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"

int kc_gate_parse(struct kc_gate *g, const char *spec)
{
	memset(g, 0, sizeof(*g));
	g->min_severity = -1;
	if (!spec || !*spec)
		spec = "FAIL,scored";
	char *copy = kc_strdup(spec), *save = NULL;
	int rc = 0, have_status = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		enum kc_status st;
		enum kc_severity sev;
		if (kc_status_parse(tok, &st) == 0) {
			have_status = 1;
			/* a status trips with every worse one: WARN also trips on FAIL and ERROR */
			if (st == KC_WARN)
				g->statuses |= 1 << KC_WARN | 1 << KC_FAIL | 1 << KC_ERROR;
			else if (st == KC_FAIL)
				g->statuses |= 1 << KC_FAIL | 1 << KC_ERROR;
			else
				g->statuses |= 1 << st;
		} else if (strcmp(tok, "scored") == 0) {
			g->scored_only = 1;
		} else if (strcmp(tok, "automated") == 0) {
			g->automated_only = 1;
		} else if (strncmp(tok, "severity>=", 10) == 0 && kc_severity_parse(tok + 10, &sev) == 0) {
			g->min_severity = (int)sev;
		} else if (strncmp(tok, "level", 5) == 0 && (tok[5] == '=' || strncmp(tok + 5, "<=", 2) == 0)) {
			const char *num = tok + (tok[5] == '=' ? 6 : 7);
			char *end;
			long lv = strtol(num, &end, 10);
			if (*end || lv < 1 || lv > 2) {
				rc = kc_error_set(KC_EINVAL, "--fail-on: '%s': level must be 1 or 2", tok);
				break;
			}
			g->max_level = (int)lv;
		} else {
			rc = kc_error_set(KC_EINVAL,
					  "--fail-on: '%s' is not understood (expected FAIL, WARN, ERROR, "
					  "severity>=LOW|MEDIUM|HIGH|CRITICAL, level=N, scored, automated)", tok);
			break;
		}
	}
	if (!have_status)
		g->statuses = 1 << KC_FAIL;
	free(copy);
	return rc;
}

int kc_gate_trips(const struct kc_gate *g, const struct kc_result *r)
{
	if (!(g->statuses & (1 << r->status)))
		return 0;
	if (g->scored_only && !r->scored)
		return 0;
	if (g->automated_only && (!r->type || strcmp(r->type, "automated") != 0))
		return 0;
	if (g->min_severity >= 0 && (int)r->severity < g->min_severity)
		return 0;
	if (g->max_level && r->level > g->max_level)
		return 0;
	return 1;
}
