/* `kubecomply prune`: retention that keeps the proof. The pruned prefix of the chain is
 * replaced by a checkpoint holding the link of its last seal, which the first kept seal
 * already names as its `prev`; verify starts from it. */
#include "store/chain.h"
#include "store/chain_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditor/store.h"
#include "common/error.h"
#include "common/sign.h"

static int exec1(struct kc_store *st, const char *sql, int64_t a, const char *what)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(kc_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return kc_chain__db_fail(st, what);
	sqlite3_bind_int64(s, 1, a);
	int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : kc_chain__db_fail(st, what);
	sqlite3_finalize(s);
	return rc;
}

/* The last position of the longest prefix sealed before `before`: seals are appended in time
 * order, so the prefix ends just before the first seal at or after it. */
static int prefix_end(struct kc_store *st, const char *before, int64_t *out)
{
	sqlite3_stmt *s;
	*out = 0;
	if (sqlite3_prepare_v2(kc_store_db(st),
			       "SELECT coalesce((SELECT min(pos) - 1 FROM seals WHERE sealed >= ?1),"
			       " (SELECT max(pos) FROM seals), 0)", -1, &s, NULL) != SQLITE_OK)
		return kc_chain__db_fail(st, "finding what to prune");
	sqlite3_bind_text(s, 1, before, -1, SQLITE_STATIC);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return step == SQLITE_ROW ? 0 : kc_chain__db_fail(st, "finding what to prune");
}

static int prune_in_tx(struct kc_store *st, struct kc_chain *c, int64_t end, struct kc_chain_verify *v,
		       struct kc_chain_prune *out)
{
	int rc;
	sqlite3_stmt *s;
	/* rows whose latest seal is pruned go with it; the others stay sealed where they are */
	for (size_t i = 0; i < v->nlatest; i++) {
		const struct kc_chain_row *r = &v->latest[i];
		if (r->pos > end || r->deleted)
			continue;
		char sql[96];
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id=?", kc_chain__tables[r->table].name);
		if ((rc = exec1(st, sql, r->id, "pruning rows")) < 0)
			return rc;
		out->rows++;
	}
	/* the runs sealed in the prefix, with their results and evidence (ON DELETE CASCADE);
	 * what a later batch sealed of them is deleted too, and that deletion sealed at commit */
	if (sqlite3_prepare_v2(kc_store_db(st), "SELECT run_id FROM seals WHERE kind='run' AND pos<=?", -1, &s, NULL) !=
	    SQLITE_OK)
		return kc_chain__db_fail(st, "pruning runs");
	sqlite3_bind_int64(s, 1, end);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		ids = kc_array_grow(ids, &cap, n + 1, sizeof(*ids));
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	rc = step == SQLITE_DONE ? 0 : kc_chain__db_fail(st, "pruning runs");
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = exec1(st, "DELETE FROM runs WHERE id=?", ids[i], "pruning runs");
	free(ids);
	if (rc < 0)
		return rc;
	out->runs = n;

	char link[KC_DIGEST_HEX];
	if (sqlite3_prepare_v2(kc_store_db(st), "SELECT link, (SELECT count(*) FROM seals WHERE pos<=?1) FROM seals"
						" WHERE pos=?1", -1, &s, NULL) != SQLITE_OK)
		return kc_chain__db_fail(st, "pruning seals");
	sqlite3_bind_int64(s, 1, end);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		const unsigned char *l = sqlite3_column_text(s, 0);
		snprintf(link, sizeof(link), "%s", l ? (const char *)l : "");
		out->seals = (size_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (step != SQLITE_ROW)
		return kc_chain__db_fail(st, "pruning seals");
	char *now = kc_time_now_rfc3339();
	char sig[KC_SIG_HEX];
	const struct kc_key *key = kc_chain__key(c);
	if (key) {
		struct kc_buf m = KC_BUF_INIT;
		kc_chain__checkpoint_message(&m, end, link);
		rc = kc_key_sign(key, m.ptr, m.len, sig);
		kc_buf_free(&m);
		if (rc < 0) {
			free(now);
			return rc;
		}
	}
	if (sqlite3_prepare_v2(kc_store_db(st), "INSERT INTO checkpoints(pos, link, pruned, runs, seals, key, sig)"
						" VALUES(?,?,?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK) {
		free(now);
		return kc_chain__db_fail(st, "writing the checkpoint");
	}
	sqlite3_bind_int64(s, 1, end);
	sqlite3_bind_text(s, 2, link, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)out->runs);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)out->seals);
	if (key) {
		sqlite3_bind_text(s, 6, kc_key_id(key), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, sig, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : kc_chain__db_fail(st, "writing the checkpoint");
	sqlite3_finalize(s);
	free(now);
	if (rc < 0)
		return rc;
	if ((rc = exec1(st, "DELETE FROM seals WHERE pos<=?", end, "pruning seals")) < 0)
		return rc;
	out->checkpoint_pos = end;
	memcpy(out->checkpoint, link, KC_DIGEST_HEX);
	return 0;
}

int kc_chain_prune(struct kc_store *st, struct kc_chain *c, const char *before, const struct kc_key *verify_key,
		   struct kc_chain_prune *out)
{
	memset(out, 0, sizeof(*out));
	struct kc_chain_verify v;
	int rc = kc_chain_verify(st, verify_key, &v);
	if (rc < 0)
		goto out;
	if (v.nproblems) {
		rc = kc_error_set(KC_EINVAL, "%s: the chain does not verify (%zu problems; see kubecomply verify): "
					     "pruning would erase the evidence of it", kc_store_path(st), v.nproblems);
		goto out;
	}
	if ((rc = kc_store_begin(st)) < 0)
		goto out;
	int64_t end;
	if ((rc = prefix_end(st, before, &end)) == 0 && end > 0 && (rc = prune_in_tx(st, c, end, &v, out)) == 0) {
		/* rows of the pruned prefix are gone with their seals: their deletion is not sealed */
		size_t w = 0;
		for (size_t i = 0; i < v.nlatest; i++)
			if (v.latest[i].pos <= end)
				v.latest[w++] = v.latest[i];
		kc_chain__set_drop(c, v.latest, w);
		rc = kc_store_commit(st);
		kc_chain__set_drop(c, NULL, 0);
	} else if (rc == 0) {
		rc = kc_store_commit(st);
	}
	if (rc < 0) {
		kc_store_rollback(st);
		memset(out, 0, sizeof(*out));
	}
out:
	kc_chain_verify_dispose(&v);
	return rc;
}
