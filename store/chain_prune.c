/* `kubecomply prune`: retention that keeps the proof. The pruned prefix of the chain is
 * replaced by a checkpoint holding the link of its last seal, which the first kept seal
 * already names as its `prev`; verify starts from it. */
#include "store/chain.h"
#include "store/chain_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/sign.h"
#include "store/store.h"

static int exec1(struct kc_db *db, const char *sql, int64_t a, const char *what)
{
	struct kc_db_stmt *s;
	int rc = kc_chain__prepare(db, sql, &s);
	if (rc < 0)
		return rc;
	db->ops->bind_int64(s, 1, a);
	rc = db->ops->step(s, what);
	kc_chain__done(db, s);
	return rc < 0 ? rc : 0;
}

/* The last position of the longest prefix sealed before `before`: seals are appended in time
 * order, so the prefix ends just before the first seal at or after it. */
static int prefix_end(struct kc_db *db, const char *before, int64_t *out)
{
	struct kc_db_stmt *s;
	*out = 0;
	int rc = kc_chain__prepare(db, "SELECT coalesce((SELECT min(pos) - 1 FROM seals WHERE sealed >= $1),"
				       " (SELECT max(pos) FROM seals), 0)", &s);
	if (rc < 0)
		return rc;
	db->ops->bind_text(s, 1, before);
	if ((rc = db->ops->step(s, "finding what to prune")) == 1)
		*out = db->ops->col_int64(s, 0);
	kc_chain__done(db, s);
	return rc < 0 ? rc : 0;
}

/* Deleting a run deletes its results, evidence, events, findings, gaps and attachments (ON
 * DELETE CASCADE) and detaches its audit events (SET NULL): each such monitor row is a write
 * the chain must see. */
static int delete_run(struct kc_db *db, struct kc_chain *c, int64_t run_id)
{
	static const enum kc_chain_table cascade[] = { KC_CHAIN_EVENTS, KC_CHAIN_FINDINGS, KC_CHAIN_GAPS,
						       KC_CHAIN_ATTACHMENTS, KC_CHAIN_AUDIT_EVENTS };
	int rc = 0;
	for (size_t i = 0; i < sizeof(cascade) / sizeof(*cascade) && rc == 0; i++) {
		struct kc_buf q = KC_BUF_INIT;
		int64_t *ids;
		size_t n;
		kc_buf_printf(&q, "SELECT id FROM %s WHERE run_id=$1", kc_chain__tables[cascade[i]].name);
		rc = kc_chain__ids(db, q.ptr, &run_id, &ids, &n);
		kc_buf_clear(&q);
		for (size_t k = 0; k < n && rc == 0; k++)
			kc_chain_touch(c, cascade[i], ids[k], cascade[i] != KC_CHAIN_AUDIT_EVENTS);
		free(ids);
	}
	return rc < 0 ? rc : exec1(db, "DELETE FROM runs WHERE id=$1", run_id, "pruning runs");
}

static int prune_in_tx(struct kc_store *st, struct kc_chain *c, int64_t end, struct kc_chain_verify *v,
		       struct kc_chain_prune *out)
{
	struct kc_db *db = kc_store__backend(st);
	int rc;
	/* rows whose latest seal is pruned go with it; the others stay sealed where they are */
	for (size_t i = 0; i < v->nlatest; i++) {
		const struct kc_chain_row *r = &v->latest[i];
		if (r->pos > end || r->deleted)
			continue;
		char sql[96];
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id=$1", kc_chain__tables[r->table].name);
		if ((rc = exec1(db, sql, r->id, "pruning rows")) < 0)
			return rc;
		out->rows++;
	}
	/* the runs sealed in the prefix, with their results and evidence */
	int64_t *ids;
	size_t n;
	if ((rc = kc_chain__ids(db, "SELECT run_id FROM seals WHERE kind='run' AND pos<=$1", &end, &ids, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = delete_run(db, c, ids[i]);
	free(ids);
	if (rc < 0)
		return rc;
	out->runs = n;

	char link[KC_DIGEST_HEX] = "";
	struct kc_db_stmt *s;
	if ((rc = kc_chain__prepare(db, "SELECT link, (SELECT count(*) FROM seals WHERE pos<=$1) FROM seals"
					" WHERE pos=$1", &s)) < 0)
		return rc;
	db->ops->bind_int64(s, 1, end);
	if ((rc = db->ops->step(s, "pruning seals")) == 1) {
		const char *l = db->ops->col_text(s, 0);
		snprintf(link, sizeof(link), "%s", l ? l : "");
		out->seals = (size_t)db->ops->col_int64(s, 1);
	}
	kc_chain__done(db, s);
	if (rc <= 0)
		return rc < 0 ? rc : kc_error_set(KC_EDB, "%s: pruning: no seal at position %lld", kc_store_path(st),
						  (long long)end);
	rc = 0;
	char *now = kc_time_now_rfc3339();
	char sig[KC_SIG_HEX];
	const struct kc_key *key = kc_chain__key(c);
	if (key) {
		struct kc_buf m = KC_BUF_INIT;
		kc_chain__checkpoint_message(&m, end, link);
		rc = kc_key_sign(key, m.ptr, m.len, sig);
		kc_buf_clear(&m);
	}
	if (rc == 0 && (rc = kc_chain__prepare(db, "INSERT INTO checkpoints(pos, link, pruned, runs, seals, key, sig)"
						   " VALUES($1,$2,$3,$4,$5,$6,$7)", &s)) == 0) {
		db->ops->bind_int64(s, 1, end);
		db->ops->bind_text(s, 2, link);
		db->ops->bind_text(s, 3, now);
		db->ops->bind_int64(s, 4, (int64_t)out->runs);
		db->ops->bind_int64(s, 5, (int64_t)out->seals);
		db->ops->bind_text(s, 6, key ? kc_key_id(key) : NULL);
		db->ops->bind_text(s, 7, key ? sig : NULL);
		rc = db->ops->step(s, "writing the checkpoint");
		kc_chain__done(db, s);
	}
	free(now);
	if (rc < 0 || (rc = exec1(db, "DELETE FROM seals WHERE pos<=$1", end, "pruning seals")) < 0)
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
	if ((rc = prefix_end(kc_store__backend(st), before, &end)) == 0 && end > 0 &&
	    (rc = prune_in_tx(st, c, end, &v, out)) == 0) {
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
