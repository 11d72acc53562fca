/* Threshold-rule state in the store (see store_rulestate.h). */
#include "auditor/store_rulestate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/error.h"
#include "common/strbuf.h"

int kc_store_rulestate_init(struct kc_store *st)
{
	char *err = NULL;
	if (sqlite3_exec(kc_store_db(st),
			 "CREATE TABLE IF NOT EXISTS audit_rule_state(rule TEXT NOT NULL, user TEXT NOT NULL,"
			 " times TEXT NOT NULL, fired INTEGER NOT NULL, PRIMARY KEY(rule, user))",
			 NULL, NULL, &err) != SQLITE_OK) {
		int rc = kc_error_set(KC_EDB, "creating audit_rule_state: %s", err ? err : "?");
		sqlite3_free(err);
		return rc;
	}
	return 0;
}

int kc_store_rulestate_load(struct kc_store *st, kc_store_rulestate_fn fn, void *payload)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(kc_store_db(st), "SELECT rule, user, times, fired FROM audit_rule_state", -1, &s,
			       NULL) != SQLITE_OK)
		return kc_error_set(KC_EDB, "reading audit_rule_state: %s", sqlite3_errmsg(kc_store_db(st)));
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *times = (const char *)sqlite3_column_text(s, 2);
		int64_t t[64];
		size_t n = 0;
		for (const char *p = times ? times : ""; *p && n < 64;) {
			char *end;
			long long v = strtoll(p, &end, 10);
			if (end == p)
				break;
			t[n++] = v;
			p = *end == ',' ? end + 1 : end;
		}
		fn(payload, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1), t, n,
		   sqlite3_column_int64(s, 3));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return kc_error_set(KC_EDB, "reading audit_rule_state: %s", sqlite3_errmsg(kc_store_db(st)));
	return 0;
}

int kc_store_rulestate_save(struct kc_store *st, const char *rule, const char *user,
			    const int64_t *times, size_t n, int64_t fired)
{
	struct kc_buf b = KC_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		kc_buf_printf(&b, "%s%lld", i ? "," : "", (long long)times[i]);
	sqlite3_stmt *s;
	int rc = 0;
	if (sqlite3_prepare_v2(kc_store_db(st),
			       "INSERT INTO audit_rule_state(rule, user, times, fired) VALUES(?1,?2,?3,?4)"
			       " ON CONFLICT(rule, user) DO UPDATE SET times=excluded.times, fired=excluded.fired",
			       -1, &s, NULL) != SQLITE_OK) {
		kc_buf_free(&b);
		return kc_error_set(KC_EDB, "saving audit_rule_state: %s", sqlite3_errmsg(kc_store_db(st)));
	}
	sqlite3_bind_text(s, 1, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, b.ptr ? b.ptr : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, fired);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = kc_error_set(KC_EDB, "saving audit_rule_state: %s", sqlite3_errmsg(kc_store_db(st)));
	sqlite3_finalize(s);
	kc_buf_free(&b);
	return rc;
}
