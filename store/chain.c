/* The hash chain over the evidence store: sealing. The byte forms hashed here are specified
 * in docs/evidence.md; a change to any of them is a new version string, never an edit. */
#include "store/chain.h"
#include "store/chain_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/sign.h"
#include "store/store.h"

/* The monitor tables sealed per batch, and the columns hashed, in this order. An explicit
 * list (not SELECT *) so that a column added by a later migration does not change the digest
 * of rows sealed before it. Reserved words quoted for PostgreSQL. */
const struct kc_chain_table_def kc_chain__tables[KC_CHAIN_NTABLES] = {
	[KC_CHAIN_EVENTS] = { "events", "id, run_id, time, source, type, pid, ppid, uid, comm, path, pod_uid,"
					" container_id, namespace, pod, data_json", 15 },
	[KC_CHAIN_FINDINGS] = { "findings", "id, run_id, time, source, rule, severity, cis, summary, data_json", 9 },
	[KC_CHAIN_GAPS] = { "gaps", "id, run_id, monitor, start, \"end\", seen, sent, lost, detail", 9 },
	[KC_CHAIN_AUDIT_EVENTS] = { "audit_events", "id, run_id, audit_id, stage, time, verb, \"user\", impersonated,"
						    " groups, source_ip, user_agent, namespace, resource, subresource,"
						    " name, code, decision, reason, level, data_json", 20 },
	[KC_CHAIN_ATTACHMENTS] = { "attachments", "id, run_id, monitor, program, attached, detail", 6 },
};

/* pg_advisory_xact_lock key for appending to the chain: "kcchain!" as a number */
#define PG_CHAIN_LOCK "SELECT pg_advisory_xact_lock(7738151113213964577)"

static const char zero_link[KC_DIGEST_HEX] = "0000000000000000000000000000000000000000000000000000000000000000";

struct touch {
	uint8_t table;
	uint8_t deleted;
	int64_t id;
	uint64_t seq;
};

struct kc_chain {
	struct touch *t;
	size_t n, cap, mark;
	uint64_t seq;
	const struct kc_key *key;
	/* during prune: rows whose seals are being pruned; their deletion is not sealed again */
	const struct kc_chain_row *drop;
	size_t ndrop;
};

struct kc_chain *kc_chain_new(void) { return kc_xcalloc(1, sizeof(struct kc_chain)); }

void kc_chain_free(struct kc_chain *c)
{
	if (!c)
		return;
	free(c->t);
	free(c);
}

void kc_chain_set_key(struct kc_chain *c, const struct kc_key *key) { c->key = key; }
const struct kc_key *kc_chain__key(const struct kc_chain *c) { return c->key; }
void kc_chain_begin(struct kc_chain *c) { c->mark = c->n; }
void kc_chain_rollback(struct kc_chain *c) { c->n = c->mark < c->n ? c->mark : c->n; }

void kc_chain__set_drop(struct kc_chain *c, const struct kc_chain_row *rows, size_t n)
{
	c->drop = rows;
	c->ndrop = n;
}

void kc_chain_touch(struct kc_chain *c, enum kc_chain_table table, int64_t id, int deleted)
{
	if (!id)
		return;
	c->t = kc_array_grow(c->t, &c->cap, c->n + 1, sizeof(*c->t));
	c->t[c->n++] = (struct touch){ .table = (uint8_t)table, .deleted = deleted != 0, .id = id, .seq = c->seq++ };
}

int kc_chain__prepare(struct kc_db *db, const char *sql, struct kc_db_stmt **out)
{
	*out = NULL;
	return db->ops->prepare(db, sql, out);
}

void kc_chain__done(struct kc_db *db, struct kc_db_stmt *s)
{
	if (s)
		db->ops->finalize(s);
}

/* Each value by its class: a value whose class was changed (a number written into a text
 * column) changes the digest even when its text reads the same. */
void kc_chain__encode_cols(struct kc_canon *c, struct kc_db *db, struct kc_db_stmt *s, int from, int to)
{
	const struct kc_db_ops *ops = db->ops;
	for (int i = from; i < to; i++) {
		switch (ops->col_class(s, i)) {
		case 'n': kc_canon_null(c); break;
		case 'i': kc_canon_int(c, ops->col_int64(s, i)); break;
		case 'r': kc_canon_real(c, ops->col_double(s, i)); break;
		case 'b': {
			const char *t = ops->col_text(s, i);
			kc_canon_blob(c, t, t ? strlen(t) : 0);
			break;
		}
		default: kc_canon_str(c, ops->col_text(s, i)); break;
		}
	}
}

/* ---- the canonical form of a run ---- */

int kc_chain__run_content(struct kc_store *st, int64_t run_id, unsigned char out[KC_DIGEST_LEN], int *found)
{
	struct kc_db *db = kc_store__backend(st);
	struct kc_db_stmt *s = NULL;
	struct kc_canon c;
	*found = 0;
	int rc = kc_chain__prepare(db, "SELECT kind, host, cluster, benchmark, k8s_version, targets, root,"
				       " tool_version, started, finished FROM runs WHERE id=$1", &s);
	if (rc < 0)
		return rc;
	db->ops->bind_int64(s, 1, run_id);
	rc = db->ops->step(s, "hashing a run");
	if (rc <= 0) {
		kc_chain__done(db, s);
		return rc;
	}
	*found = 1;
	kc_canon_init_hash(&c);
	kc_canon_str(&c, "kubecomply.run/v1");
	kc_chain__encode_cols(&c, db, s, 0, 10);
	kc_chain__done(db, s);
	/* results in their order, each followed by its evidence rows in theirs */
	rc = kc_chain__prepare(db,
			       "SELECT r.id, e.id, r.seq, r.check_id, r.title, r.section, r.section_title, r.target,"
			       " r.type, r.level, r.scored, r.severity, r.status, r.expected, r.actual, r.reason,"
			       " r.exception, r.remediation, r.duration_ms,"
			       " e.seq, e.kind, e.source, e.line, e.key, e.value, e.layer, e.detail, e.pid, e.has_stat,"
			       " e.mode, e.owner, e.grp, e.sha256, e.obj_kind, e.obj_namespace, e.obj_name"
			       " FROM results r LEFT JOIN evidence e ON e.result_id = r.id WHERE r.run_id=$1"
			       " ORDER BY r.seq, r.id, e.seq, e.id", &s);
	if (rc < 0)
		goto out;
	db->ops->bind_int64(s, 1, run_id);
	int64_t last_result = 0;
	int any = 0;
	while ((rc = db->ops->step(s, "hashing a run")) == 1) {
		int64_t rid = db->ops->col_int64(s, 0);
		if (!any || rid != last_result) {
			kc_canon_str(&c, "result");
			kc_chain__encode_cols(&c, db, s, 2, 19);
			last_result = rid;
			any = 1;
		}
		if (db->ops->col_class(s, 1) != 'n') {
			kc_canon_str(&c, "evidence");
			kc_chain__encode_cols(&c, db, s, 19, 36);
		}
	}
	kc_canon_str(&c, "end");
	kc_canon_digest(&c, out);
out:
	kc_chain__done(db, s);
	kc_canon_dispose(&c);
	return rc < 0 ? rc : 0;
}

/* ---- seals ---- */

void kc_chain__link_digest(int64_t pos, const char *kind, int64_t run_id, const char *sealed, const char *content,
			   const char *prev, char out[KC_DIGEST_HEX])
{
	struct kc_canon c;
	unsigned char d[KC_DIGEST_LEN];
	kc_canon_init_hash(&c);
	kc_canon_str(&c, "kubecomply.seal/v1");
	kc_canon_int(&c, pos);
	kc_canon_str(&c, kind);
	if (run_id)
		kc_canon_int(&c, run_id);
	else
		kc_canon_null(&c);
	kc_canon_str(&c, sealed);
	kc_canon_str(&c, content);
	kc_canon_str(&c, prev);
	kc_canon_digest(&c, d);
	kc_canon_dispose(&c);
	kc_digest_hex(d, out);
}

/* What a signature covers: the head's link, with a prefix naming what it is. */
void kc_chain__head_message(struct kc_buf *m, const char *link)
{
	kc_buf_reset(m);
	kc_buf_printf(m, "kubecomply.head/v1:%s", link);
}

void kc_chain__checkpoint_message(struct kc_buf *m, int64_t pos, const char *link)
{
	kc_buf_reset(m);
	kc_buf_printf(m, "kubecomply.checkpoint/v1:%lld:%s", (long long)pos, link);
}

/* The position and link a new seal follows: the last seal, else the latest checkpoint,
 * else position 0 and 64 zeros. */
static int head(struct kc_store *st, int64_t *pos, char link[KC_DIGEST_HEX])
{
	struct kc_db *db = kc_store__backend(st);
	*pos = 0;
	memcpy(link, zero_link, KC_DIGEST_HEX);
	static const char *const q[] = { "SELECT pos, link FROM seals ORDER BY pos DESC LIMIT 1",
					 "SELECT pos, link FROM checkpoints WHERE pos > 0 ORDER BY pos DESC LIMIT 1" };
	for (int i = 0; i < 2; i++) {
		struct kc_db_stmt *s;
		int rc = kc_chain__prepare(db, q[i], &s);
		if (rc < 0)
			return rc;
		rc = db->ops->step(s, "reading the chain head");
		if (rc == 1) {
			const char *l = db->ops->col_text(s, 1);
			*pos = db->ops->col_int64(s, 0);
			snprintf(link, KC_DIGEST_HEX, "%s", l ? l : "");
		}
		kc_chain__done(db, s);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

static int append_seal(struct kc_store *st, struct kc_chain *c, const char *kind, int64_t run_id,
		       const char *content, const char *rows_hex, int64_t *pos_out, char link_out[KC_DIGEST_HEX])
{
	struct kc_db *db = kc_store__backend(st);
	int64_t pos;
	char prev[KC_DIGEST_HEX], link[KC_DIGEST_HEX], sig[KC_SIG_HEX];
	int rc;
	/* SQLite's write transaction already excludes every other writer; PostgreSQL's does not */
	if (strcmp(db->ops->name, "postgres") == 0 && (rc = db->ops->exec(db, PG_CHAIN_LOCK, "locking the chain")) < 0)
		return rc;
	if ((rc = head(st, &pos, prev)) < 0)
		return rc;
	pos++;
	char *sealed = kc_time_now_rfc3339();
	kc_chain__link_digest(pos, kind, run_id, sealed, content, prev, link);
	if (c->key) {
		struct kc_buf m = KC_BUF_INIT;
		kc_chain__head_message(&m, link);
		rc = kc_key_sign(c->key, m.ptr, m.len, sig);
		kc_buf_clear(&m);
		if (rc < 0) {
			free(sealed);
			return rc;
		}
	}
	struct kc_db_stmt *s;
	if ((rc = kc_chain__prepare(db, "INSERT INTO seals(pos, kind, run_id, sealed, content, \"rows\", prev, link,"
					" key, sig) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)", &s)) < 0) {
		free(sealed);
		return rc;
	}
	db->ops->bind_int64(s, 1, pos);
	db->ops->bind_text(s, 2, kind);
	if (run_id)
		db->ops->bind_int64(s, 3, run_id);
	else
		db->ops->bind_text(s, 3, NULL);
	db->ops->bind_text(s, 4, sealed);
	db->ops->bind_text(s, 5, content);
	db->ops->bind_text(s, 6, rows_hex);
	db->ops->bind_text(s, 7, prev);
	db->ops->bind_text(s, 8, link);
	db->ops->bind_text(s, 9, c->key ? kc_key_id(c->key) : NULL);
	db->ops->bind_text(s, 10, c->key ? sig : NULL);
	rc = db->ops->step(s, "sealing");
	kc_chain__done(db, s);
	free(sealed);
	if (rc < 0)
		return rc;
	if (pos_out)
		*pos_out = pos;
	if (link_out)
		memcpy(link_out, link, KC_DIGEST_HEX);
	return 0;
}

int kc_chain_seal_run(struct kc_store *st, struct kc_chain *c, struct kc_run *run)
{
	unsigned char d[KC_DIGEST_LEN];
	char hex[KC_DIGEST_HEX], link[KC_DIGEST_HEX];
	int found, rc = kc_chain__run_content(st, run->id, d, &found);
	if (rc < 0)
		return rc;
	if (!found)
		return kc_error_set(KC_ENOTFOUND, "%s: sealing: no run %lld", kc_store_path(st), (long long)run->id);
	kc_digest_hex(d, hex);
	int64_t pos;
	if ((rc = append_seal(st, c, "run", run->id, hex, NULL, &pos, link)) < 0)
		return rc;
	free(run->digest);
	free(run->chain_link);
	run->digest = kc_strdup(hex);
	run->chain_link = kc_strdup(link);
	run->chain_pos = pos;
	return 0;
}

static int touch_cmp(const void *a, const void *b)
{
	const struct touch *x = a, *y = b;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int kc_chain__row_cmp(const void *a, const void *b)
{
	const struct kc_chain_row *x = a, *y = b;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int dropped(const struct kc_chain *c, uint8_t table, int64_t id)
{
	size_t lo = 0, hi = c->drop ? c->ndrop : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct kc_chain_row *r = &c->drop[mid];
		int cmp = r->table != table ? (r->table < table ? -1 : 1) : r->id < id ? -1 : r->id > id;
		if (cmp == 0)
			return 1;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Digests of the n rows t[] of one table (sorted by id) as stored now; found[k] 0 for a row
 * that is gone. Rows a monitor appends have consecutive ids: one range scan reads them all,
 * where a lookup per row would cost as much as writing them. Scattered ids (audit events
 * updated long after they were written) are looked up one by one. */
static int hash_rows(struct kc_db *db, enum kc_chain_table table, const struct touch *t, size_t n,
		     unsigned char (*dig)[KC_DIGEST_LEN], char *found)
{
	const struct kc_chain_table_def *def = &kc_chain__tables[table];
	int range = (uint64_t)(t[n - 1].id - t[0].id) < 2 * (uint64_t)n + 64;
	struct kc_buf q = KC_BUF_INIT;
	kc_buf_printf(&q, range ? "SELECT %s FROM %s WHERE id BETWEEN $1 AND $2 ORDER BY id"
				: "SELECT %s FROM %s WHERE id=$1", def->cols, def->name);
	struct kc_db_stmt *s;
	int rc = kc_chain__prepare(db, q.ptr, &s);
	kc_buf_clear(&q);
	if (rc < 0)
		return rc;
	struct kc_canon cn;
	kc_canon_init_hash(&cn);
	if (range) {
		db->ops->bind_int64(s, 1, t[0].id);
		db->ops->bind_int64(s, 2, t[n - 1].id);
		size_t k = 0;
		while ((rc = db->ops->step(s, "hashing rows")) == 1) {
			int64_t id = db->ops->col_int64(s, 0);
			while (k < n && t[k].id < id)
				k++;
			if (k == n || t[k].id != id)
				continue; /* in the range, written by another transaction */
			kc_canon_str(&cn, def->name);
			kc_chain__encode_cols(&cn, db, s, 0, def->ncols);
			kc_canon_digest(&cn, dig[k]);
			found[k] = 1;
		}
	} else {
		for (size_t k = 0; k < n && rc >= 0; k++) {
			db->ops->bind_int64(s, 1, t[k].id);
			if ((rc = db->ops->step(s, "hashing a row")) == 1) {
				kc_canon_str(&cn, def->name);
				kc_chain__encode_cols(&cn, db, s, 0, def->ncols);
				kc_canon_digest(&cn, dig[k]);
				found[k] = 1;
			}
			db->ops->reset(s);
		}
	}
	kc_canon_dispose(&cn);
	kc_chain__done(db, s);
	return rc < 0 ? rc : 0;
}

int kc_chain_seal_batch(struct kc_store *st, struct kc_chain *c)
{
	if (!c->n)
		return 0;
	struct kc_db *db = kc_store__backend(st);
	qsort(c->t, c->n, sizeof(*c->t), touch_cmp);
	/* one entry per row: the last write wins, it is the row as the transaction leaves it */
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (i + 1 == c->n || c->t[i + 1].table != c->t[i].table || c->t[i + 1].id != c->t[i].id)
			c->t[n++] = c->t[i];
	unsigned char (*dig)[KC_DIGEST_LEN] = kc_xmalloc(n * KC_DIGEST_LEN);
	char *found = kc_xcalloc(n, 1);
	int rc = 0;
	for (size_t a = 0, b; a < n && rc == 0; a = b) {
		for (b = a; b < n && c->t[b].table == c->t[a].table; b++)
			;
		rc = hash_rows(db, (enum kc_chain_table)c->t[a].table, &c->t[a], b - a, &dig[a], &found[a]);
	}
	struct kc_canon rows;
	kc_canon_init_bytes(&rows);
	kc_canon_str(&rows, "kubecomply.batch/v1");
	size_t entries = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct touch *t = &c->t[i];
		if (!found[i] && dropped(c, t->table, t->id))
			continue;
		kc_canon_str(&rows, kc_chain__tables[t->table].name);
		kc_canon_int(&rows, t->id);
		if (found[i])
			kc_canon_blob(&rows, dig[i], KC_DIGEST_LEN);
		else
			kc_canon_null(&rows);
		entries++;
	}
	if (rc == 0 && entries) {
		unsigned char d[KC_DIGEST_LEN];
		char hex[KC_DIGEST_HEX];
		struct kc_buf rows_hex = KC_BUF_INIT;
		kc_sha256(rows.buf.ptr, rows.buf.len, d);
		kc_digest_hex(d, hex);
		kc_hex_put(&rows_hex, rows.buf.ptr, rows.buf.len);
		rc = append_seal(st, c, "batch", 0, hex, rows_hex.ptr, NULL, NULL);
		kc_buf_clear(&rows_hex);
	}
	kc_canon_dispose(&rows);
	free(dig);
	free(found);
	if (rc == 0)
		c->n = c->mark = 0;
	else
		c->n = n; /* deduplicated, still pending for a retry */
	return rc;
}

int kc_chain__ids(struct kc_db *db, const char *sql, const int64_t *param, int64_t **ids, size_t *n)
{
	struct kc_db_stmt *s;
	size_t cap = 0;
	*ids = NULL;
	*n = 0;
	int rc = kc_chain__prepare(db, sql, &s);
	if (rc < 0)
		return rc;
	if (param)
		db->ops->bind_int64(s, 1, *param);
	while ((rc = db->ops->step(s, "listing rows")) == 1) {
		*ids = kc_array_grow(*ids, &cap, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = db->ops->col_int64(s, 0);
	}
	kc_chain__done(db, s);
	return rc < 0 ? rc : 0;
}

int kc_chain_adopt(struct kc_store *st, struct kc_chain *c)
{
	struct kc_db *db = kc_store__backend(st);
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = kc_chain__ids(db, "SELECT pos FROM checkpoints WHERE pos=0 AND link='adopt'", NULL, &ids, &n);
	free(ids);
	if (rc < 0 || n == 0)
		return rc;
	if ((rc = kc_store_begin(st)) < 0)
		return rc;
	/* another process may have adopted it meanwhile: look again under the write lock */
	if ((rc = kc_chain__ids(db, "SELECT pos FROM checkpoints WHERE pos=0 AND link='adopt'", NULL, &ids, &n)) < 0 || n == 0)
		goto done;
	free(ids);
	if ((rc = kc_chain__ids(db, "SELECT id FROM runs ORDER BY id", NULL, &ids, &n)) < 0)
		goto done;
	size_t nruns = n;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct kc_run run = { .id = ids[i] };
		rc = kc_chain_seal_run(st, c, &run);
		kc_run_clear(&run);
	}
	for (int t = 0; t < KC_CHAIN_NTABLES && rc == 0; t++) {
		free(ids);
		struct kc_buf q = KC_BUF_INIT;
		kc_buf_printf(&q, "SELECT id FROM %s ORDER BY id", kc_chain__tables[t].name);
		rc = kc_chain__ids(db, q.ptr, NULL, &ids, &n);
		kc_buf_clear(&q);
		for (size_t i = 0; i < n && rc == 0; i++)
			kc_chain_touch(c, (enum kc_chain_table)t, ids[i], 0);
	}
	if (rc == 0)
		rc = db->ops->exec(db, "DELETE FROM checkpoints WHERE pos=0 AND link='adopt'", "sealing what the store held");
	/* said where a log collector sees it: a chain that starts over proves nothing about what
	 * came before, and someone who can write the store can make one start over */
	if (rc == 0)
		kc_log(KC_LOG_WARN, "%s: sealed %zu runs and the monitor rows found unsealed (a store from before "
				    "the evidence chain); the chain proves nothing about them before now",
		       kc_store_path(st), nruns);
done:
	free(ids);
	if (rc == 0)
		return kc_store_commit(st);
	kc_store_rollback(st);
	return rc;
}

int kc_chain_find_run(struct kc_store *st, int64_t run_id, char digest[KC_DIGEST_HEX], int64_t *pos,
		      char link[KC_DIGEST_HEX])
{
	struct kc_db *db = kc_store__backend(st);
	struct kc_db_stmt *s;
	int rc = kc_chain__prepare(db, "SELECT pos, content, link FROM seals WHERE kind='run' AND run_id=$1"
				       " ORDER BY pos DESC LIMIT 1", &s);
	if (rc < 0)
		return rc;
	db->ops->bind_int64(s, 1, run_id);
	rc = db->ops->step(s, "reading a run's seal");
	if (rc == 1) {
		const char *d = db->ops->col_text(s, 1), *l = db->ops->col_text(s, 2);
		*pos = db->ops->col_int64(s, 0);
		snprintf(digest, KC_DIGEST_HEX, "%s", d ? d : "");
		snprintf(link, KC_DIGEST_HEX, "%s", l ? l : "");
	}
	kc_chain__done(db, s);
	if (rc == 0)
		return kc_error_set(KC_ENOTFOUND, "%s: run %lld has no seal", kc_store_path(st), (long long)run_id);
	return rc < 0 ? rc : 0;
}

int kc_chain_run_proof(struct kc_store *st, struct kc_run *run)
{
	char digest[KC_DIGEST_HEX], link[KC_DIGEST_HEX];
	int64_t pos;
	int rc = kc_chain_find_run(st, run->id, digest, &pos, link);
	if (rc == KC_ENOTFOUND) {
		kc_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	run->digest = kc_strdup(digest);
	run->chain_link = kc_strdup(link);
	run->chain_pos = pos;
	return 0;
}
