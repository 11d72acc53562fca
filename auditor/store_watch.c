/* Watch continuity and retention in the store (see store_watch.h). */
#include "auditor/store_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/error.h"
#include "common/strbuf.h"

static int db_fail(struct kc_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = kc_error_set(KC_EDB, "%s: %s", what, sqlite3_errmsg(kc_store_db(st)));
	sqlite3_finalize(s);
	return rc;
}

int kc_store_watch_downtime(struct kc_store *st, const struct kc_run *run, int *n)
{
	*n = 0;
	/* the last sign of life of each unfinished run: the newest of its start, events, findings
	 * and gaps (times are RFC 3339 UTC, which sort as text) */
	static const char q[] =
		"SELECT r.id, max(r.started,"
		" coalesce((SELECT max(time) FROM events WHERE run_id = r.id), ''),"
		" coalesce((SELECT max(time) FROM findings WHERE run_id = r.id), ''),"
		" coalesce((SELECT max(end) FROM gaps WHERE run_id = r.id), ''))"
		" FROM runs r WHERE r.kind = 'watch' AND r.finished IS NULL AND r.id < ?1"
		" AND r.host IS ?2 ORDER BY r.id";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(kc_store_db(st), q, -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, NULL, "finding unfinished watch runs");
	sqlite3_bind_int64(s, 1, run->id);
	sqlite3_bind_text(s, 2, run->host, -1, SQLITE_STATIC);
	int64_t ids[64];
	char *last[64];
	int k = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && k < 64) {
		ids[k] = sqlite3_column_int64(s, 0);
		last[k++] = kc_strdup((const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return kc_error_set(KC_EDB, "finding unfinished watch runs: %s", sqlite3_errmsg(kc_store_db(st)));
	rc = k ? kc_store_begin(st) : 0;
	for (int i = 0; rc == 0 && i < k; i++) {
		char detail[256];
		snprintf(detail, sizeof(detail),
			 "watch run %lld ended without finishing (killed or crashed): nothing was watched from its"
			 " last sign of life until run %lld started", (long long)ids[i], (long long)run->id);
		struct kc_gap g = { .monitor = (char *)"watch", .start = last[i], .end = run->started, .detail = detail };
		if ((rc = kc_store_add_gap(st, run->id, &g)) < 0)
			break;
		sqlite3_stmt *u;
		if (sqlite3_prepare_v2(kc_store_db(st), "UPDATE runs SET finished = ?2 WHERE id = ?1", -1, &u, NULL) != SQLITE_OK) {
			rc = db_fail(st, NULL, "closing a killed watch run");
			break;
		}
		sqlite3_bind_int64(u, 1, ids[i]);
		sqlite3_bind_text(u, 2, last[i], -1, SQLITE_STATIC);
		if (sqlite3_step(u) != SQLITE_DONE) {
			rc = db_fail(st, u, "closing a killed watch run");
			break;
		}
		sqlite3_finalize(u);
		(*n)++;
	}
	if (k) {
		if (rc == 0)
			rc = kc_store_commit(st);
		if (rc < 0)
			kc_store_rollback(st);
	}
	for (int i = 0; i < k; i++)
		free(last[i]);
	return rc;
}

int kc_store_watch_retain(struct kc_store *st, const char *cutoff, int64_t *deleted)
{
	*deleted = 0;
	static const char *const q[] = {
		"DELETE FROM events WHERE time < ?1",
		"DELETE FROM audit_events WHERE time < ?1",
	};
	int rc = kc_store_begin(st);
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(kc_store_db(st), q[i], -1, &s, NULL) != SQLITE_OK) {
			rc = db_fail(st, NULL, "applying --retain");
			break;
		}
		sqlite3_bind_text(s, 1, cutoff, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			rc = db_fail(st, s, "applying --retain");
			break;
		}
		*deleted += sqlite3_changes(kc_store_db(st));
		sqlite3_finalize(s);
	}
	if (rc == 0)
		rc = kc_store_commit(st);
	if (rc < 0)
		kc_store_rollback(st);
	return rc;
}
