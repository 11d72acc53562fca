/* The hash chain over the evidence store. The byte forms hashed here are specified in
 * docs/evidence.md; a change to any of them is a new version string, never an edit. */
#include "store/chain.h"
#include "store/chain_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditor/run.h"
#include "auditor/store.h"
#include "common/error.h"
#include "common/sign.h"

/* The monitor tables sealed per batch, and the columns hashed, in this order. An explicit
 * list (not SELECT *) so that a column added by a later migration does not change the digest
 * of rows sealed before it. */
const struct kc_chain_table kc_chain__tables[KC_CHAIN_NTABLES] = {
	{ "events", "id, run_id, time, source, type, pid, ppid, uid, comm, path, pod_uid, container_id,"
		    " namespace, pod, data_json" },
	{ "findings", "id, run_id, time, source, rule, severity, cis, summary, data_json" },
	{ "gaps", "id, run_id, monitor, start, end, seen, sent, lost, detail" },
	{ "audit_events", "id, run_id, audit_id, stage, time, verb, user, impersonated, groups, source_ip,"
			  " user_agent, namespace, resource, subresource, name, code, decision, reason, level,"
			  " data_json" },
	{ "attachments", "id, run_id, monitor, program, attached, detail" },
};
_Static_assert(sizeof(kc_chain__tables) / sizeof(*kc_chain__tables) == KC_CHAIN_NTABLES, "one entry per sealed table");

static const char zero_link[KC_DIGEST_HEX] = "0000000000000000000000000000000000000000000000000000000000000000";

struct touch {
	uint8_t table;
	uint8_t deleted;
	int64_t id;
	uint64_t seq;
};

struct kc_chain {
	sqlite3 *db;
	struct touch *t;
	size_t n, cap, mark;
	uint64_t seq;
	const struct kc_key *key;
	/* during prune: rows whose seals are being pruned; their deletion is not sealed again */
	const struct kc_chain_row *drop;
	size_t ndrop;
	sqlite3_stmt *row_stmt[KC_CHAIN_NTABLES];
};

static int table_index(const char *name)
{
	for (size_t i = 0; i < KC_CHAIN_NTABLES; i++)
		if (strcmp(kc_chain__tables[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void on_write(void *arg, int op, const char *dbname, const char *table, sqlite3_int64 rowid)
{
	struct kc_chain *c = arg;
	int ti;
	if (strcmp(dbname, "main") != 0 || (ti = table_index(table)) < 0)
		return;
	c->t = kc_array_grow(c->t, &c->cap, c->n + 1, sizeof(*c->t));
	c->t[c->n++] = (struct touch){ .table = (uint8_t)ti, .deleted = op == SQLITE_DELETE, .id = rowid, .seq = c->seq++ };
}

int kc_chain_attach(struct kc_store *st, struct kc_chain **out)
{
	struct kc_chain *c = kc_xcalloc(1, sizeof(*c));
	c->db = kc_store_db(st);
	sqlite3_update_hook(c->db, on_write, c);
	*out = c;
	return 0;
}

void kc_chain_free(struct kc_chain *c)
{
	if (!c)
		return;
	sqlite3_update_hook(c->db, NULL, NULL);
	for (size_t i = 0; i < KC_CHAIN_NTABLES; i++)
		sqlite3_finalize(c->row_stmt[i]);
	free(c->t);
	free(c);
}

void kc_chain_set_key(struct kc_chain *c, const struct kc_key *key) { c->key = key; }
const struct kc_key *kc_chain__key(const struct kc_chain *c) { return c->key; }

void kc_chain__set_drop(struct kc_chain *c, const struct kc_chain_row *rows, size_t n)
{
	c->drop = rows;
	c->ndrop = n;
}
void kc_chain_begin(struct kc_chain *c) { c->mark = c->n; }
void kc_chain_rollback(struct kc_chain *c) { c->n = c->mark < c->n ? c->mark : c->n; }
int kc_chain_pending(const struct kc_chain *c) { return c->n > 0; }

int kc_chain__db_fail(struct kc_store *st, const char *what)
{
	return kc_error_set(KC_EDB, "%s: %s: %s", kc_store_path(st), what, sqlite3_errmsg(kc_store_db(st)));
}

/* Each value by its storage class: a value whose class was changed (a number written into a
 * text column) changes the digest even when its text reads the same. */
static void encode_col(struct kc_canon *c, sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL: kc_canon_null(c); break;
	case SQLITE_INTEGER: kc_canon_int(c, sqlite3_column_int64(s, i)); break;
	case SQLITE_FLOAT: kc_canon_real(c, sqlite3_column_double(s, i)); break;
	case SQLITE_BLOB: kc_canon_blob(c, sqlite3_column_blob(s, i), (size_t)sqlite3_column_bytes(s, i)); break;
	default:
		kc_canon_strn(c, (const char *)sqlite3_column_text(s, i), (size_t)sqlite3_column_bytes(s, i));
		break;
	}
}

void kc_chain__encode_cols(struct kc_canon *c, sqlite3_stmt *s, int from, int to)
{
	for (int i = from; i < to; i++)
		encode_col(c, s, i);
}

/* ---- the canonical form of a run ---- */

int kc_chain__run_content(struct kc_store *st, int64_t run_id, unsigned char out[KC_DIGEST_LEN], int *found)
{
	sqlite3 *db = kc_store_db(st);
	sqlite3_stmt *s = NULL;
	struct kc_canon c;
	int rc = 0, step;
	*found = 0;
	if (sqlite3_prepare_v2(db, "SELECT kind, host, cluster, benchmark, k8s_version, targets, root, tool_version,"
				   " started, finished FROM runs WHERE id=?", -1, &s, NULL) != SQLITE_OK)
		return kc_chain__db_fail(st, "hashing a run");
	sqlite3_bind_int64(s, 1, run_id);
	step = sqlite3_step(s);
	if (step != SQLITE_ROW) {
		sqlite3_finalize(s);
		return step == SQLITE_DONE ? 0 : kc_chain__db_fail(st, "hashing a run");
	}
	*found = 1;
	kc_canon_init_hash(&c);
	kc_canon_str(&c, "kubecomply.run/v1");
	kc_chain__encode_cols(&c, s, 0, 10);
	sqlite3_finalize(s);
	/* results in their order, each followed by its evidence rows in theirs */
	if (sqlite3_prepare_v2(db,
			       "SELECT r.id, e.id, r.seq, r.check_id, r.title, r.section, r.section_title, r.target, r.type,"
			       " r.level, r.scored, r.severity, r.status, r.expected, r.actual, r.reason, r.exception,"
			       " r.remediation, r.duration_ms,"
			       " e.seq, e.kind, e.source, e.line, e.key, e.value, e.layer, e.detail, e.pid, e.has_stat,"
			       " e.mode, e.owner, e.grp, e.sha256, e.obj_kind, e.obj_namespace, e.obj_name"
			       " FROM results r LEFT JOIN evidence e ON e.result_id = r.id WHERE r.run_id=?"
			       " ORDER BY r.seq, r.id, e.seq, e.id", -1, &s, NULL) != SQLITE_OK) {
		rc = kc_chain__db_fail(st, "hashing a run");
		goto out;
	}
	sqlite3_bind_int64(s, 1, run_id);
	int64_t last_result = 0;
	int any = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(s, 0);
		if (!any || rid != last_result) {
			kc_canon_str(&c, "result");
			kc_chain__encode_cols(&c, s, 2, 19);
			last_result = rid;
			any = 1;
		}
		if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
			kc_canon_str(&c, "evidence");
			kc_chain__encode_cols(&c, s, 19, 36);
		}
	}
	if (step != SQLITE_DONE)
		rc = kc_chain__db_fail(st, "hashing a run");
	kc_canon_str(&c, "end");
	kc_canon_digest(&c, out);
out:
	sqlite3_finalize(s);
	kc_canon_dispose(&c);
	return rc;
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
int kc_chain__head(struct kc_store *st, int64_t *pos, char link[KC_DIGEST_HEX])
{
	sqlite3_stmt *s;
	*pos = 0;
	memcpy(link, zero_link, KC_DIGEST_HEX);
	static const char *const q[] = { "SELECT pos, link FROM seals ORDER BY pos DESC LIMIT 1",
					 "SELECT pos, link FROM checkpoints ORDER BY pos DESC LIMIT 1" };
	for (int i = 0; i < 2; i++) {
		if (sqlite3_prepare_v2(kc_store_db(st), q[i], -1, &s, NULL) != SQLITE_OK)
			return kc_chain__db_fail(st, "reading the chain head");
		int step = sqlite3_step(s);
		if (step == SQLITE_ROW) {
			const char *l = (const char *)sqlite3_column_text(s, 1);
			*pos = sqlite3_column_int64(s, 0);
			snprintf(link, KC_DIGEST_HEX, "%s", l ? l : "");
		}
		sqlite3_finalize(s);
		if (step == SQLITE_ROW)
			return 0;
		if (step != SQLITE_DONE)
			return kc_chain__db_fail(st, "reading the chain head");
	}
	return 0;
}

static int append_seal(struct kc_store *st, struct kc_chain *c, const char *kind, int64_t run_id,
		       const char *content, const struct kc_buf *rows, int64_t *pos_out, char link_out[KC_DIGEST_HEX])
{
	int64_t pos;
	char prev[KC_DIGEST_HEX], link[KC_DIGEST_HEX], sig[KC_SIG_HEX];
	int rc = kc_chain__head(st, &pos, prev);
	if (rc < 0)
		return rc;
	pos++;
	char *sealed = kc_time_now_rfc3339();
	kc_chain__link_digest(pos, kind, run_id, sealed, content, prev, link);
	if (c->key) {
		struct kc_buf m = KC_BUF_INIT;
		kc_chain__head_message(&m, link);
		rc = kc_key_sign(c->key, m.ptr, m.len, sig);
		kc_buf_free(&m);
		if (rc < 0) {
			free(sealed);
			return rc;
		}
	}
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(kc_store_db(st),
			       "INSERT INTO seals(pos, kind, run_id, sealed, content, rows, prev, link, key, sig)"
			       " VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK) {
		free(sealed);
		return kc_chain__db_fail(st, "sealing");
	}
	sqlite3_bind_int64(s, 1, pos);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	if (run_id)
		sqlite3_bind_int64(s, 3, run_id);
	sqlite3_bind_text(s, 4, sealed, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, content, -1, SQLITE_STATIC);
	if (rows)
		sqlite3_bind_blob(s, 6, rows->ptr, (int)rows->len, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, link, -1, SQLITE_STATIC);
	if (c->key) {
		sqlite3_bind_text(s, 9, kc_key_id(c->key), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 10, sig, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : kc_chain__db_fail(st, "sealing");
	sqlite3_finalize(s);
	free(sealed);
	if (rc == 0) {
		if (pos_out)
			*pos_out = pos;
		if (link_out)
			memcpy(link_out, link, KC_DIGEST_HEX);
	}
	return rc;
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
	if (!c->drop)
		return 0;
	struct kc_chain_row key = { .table = table, .id = id };
	size_t lo = 0, hi = c->ndrop;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct kc_chain_row *r = &c->drop[mid];
		int cmp = r->table != key.table ? (r->table < key.table ? -1 : 1) : r->id < key.id ? -1 : r->id > key.id;
		if (cmp == 0)
			return 1;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The digest of one monitor row as stored now; *found 0 when it is gone. */
int kc_chain__row_digest(struct kc_store *st, struct kc_chain *c, uint8_t table, int64_t id,
		      unsigned char out[KC_DIGEST_LEN], int *found)
{
	sqlite3_stmt *s = c->row_stmt[table];
	if (!s) {
		struct kc_buf q = KC_BUF_INIT;
		kc_buf_printf(&q, "SELECT %s FROM %s WHERE id=?", kc_chain__tables[table].cols, kc_chain__tables[table].name);
		int prc = sqlite3_prepare_v3(kc_store_db(st), q.ptr, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
		kc_buf_free(&q);
		if (prc != SQLITE_OK)
			return kc_chain__db_fail(st, "hashing a row");
		c->row_stmt[table] = s;
	}
	sqlite3_bind_int64(s, 1, id);
	int step = sqlite3_step(s);
	*found = step == SQLITE_ROW;
	if (*found) {
		struct kc_canon cn;
		kc_canon_init_hash(&cn);
		kc_canon_str(&cn, kc_chain__tables[table].name);
		kc_chain__encode_cols(&cn, s, 0, sqlite3_column_count(s));
		kc_canon_digest(&cn, out);
		kc_canon_dispose(&cn);
	}
	sqlite3_reset(s);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : kc_chain__db_fail(st, "hashing a row");
}

int kc_chain_seal_batch(struct kc_store *st, struct kc_chain *c)
{
	if (!c->n)
		return 0;
	qsort(c->t, c->n, sizeof(*c->t), touch_cmp);
	struct kc_canon rows;
	kc_canon_init_bytes(&rows);
	kc_canon_str(&rows, "kubecomply.batch/v1");
	size_t entries = 0;
	int rc = 0;
	for (size_t i = 0; i < c->n; i++) {
		/* the last write of a row wins: it is the row as the transaction leaves it */
		if (i + 1 < c->n && c->t[i + 1].table == c->t[i].table && c->t[i + 1].id == c->t[i].id)
			continue;
		unsigned char d[KC_DIGEST_LEN];
		int found;
		if ((rc = kc_chain__row_digest(st, c, c->t[i].table, c->t[i].id, d, &found)) < 0)
			goto out;
		if (!found && dropped(c, c->t[i].table, c->t[i].id))
			continue;
		kc_canon_str(&rows, kc_chain__tables[c->t[i].table].name);
		kc_canon_int(&rows, c->t[i].id);
		if (found)
			kc_canon_blob(&rows, d, sizeof(d));
		else
			kc_canon_null(&rows);
		entries++;
	}
	if (entries) {
		unsigned char d[KC_DIGEST_LEN];
		char hex[KC_DIGEST_HEX];
		kc_sha256(rows.buf.ptr, rows.buf.len, d);
		kc_digest_hex(d, hex);
		rc = append_seal(st, c, "batch", 0, hex, &rows.buf, NULL, NULL);
	}
out:
	kc_canon_dispose(&rows);
	if (rc == 0)
		c->n = c->mark = 0;
	return rc;
}

int kc_chain_adopt(struct kc_store *st, struct kc_chain *c)
{
	sqlite3 *db = kc_store_db(st);
	sqlite3_stmt *s;
	int rc = 0, step;
	if (sqlite3_prepare_v2(db, "SELECT id FROM runs ORDER BY id", -1, &s, NULL) != SQLITE_OK)
		return kc_chain__db_fail(st, "sealing the runs stored before the chain");
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct kc_run run = { .id = sqlite3_column_int64(s, 0) };
		rc = kc_chain_seal_run(st, c, &run);
		kc_run_clear(&run);
		if (rc < 0)
			break;
	}
	sqlite3_finalize(s);
	if (rc < 0)
		return rc;
	if (step != SQLITE_DONE)
		return kc_chain__db_fail(st, "sealing the runs stored before the chain");
	for (size_t t = 0; t < KC_CHAIN_NTABLES; t++) {
		struct kc_buf q = KC_BUF_INIT;
		kc_buf_printf(&q, "SELECT id FROM %s ORDER BY id", kc_chain__tables[t].name);
		int prc = sqlite3_prepare_v2(db, q.ptr, -1, &s, NULL);
		kc_buf_free(&q);
		if (prc != SQLITE_OK)
			return kc_chain__db_fail(st, "sealing the rows stored before the chain");
		while ((step = sqlite3_step(s)) == SQLITE_ROW)
			on_write(c, SQLITE_INSERT, "main", kc_chain__tables[t].name, sqlite3_column_int64(s, 0));
		sqlite3_finalize(s);
		if (step != SQLITE_DONE)
			return kc_chain__db_fail(st, "sealing the rows stored before the chain");
	}
	return kc_chain_seal_batch(st, c);
}

static int run_seal(struct kc_store *st, int64_t run_id, char digest[KC_DIGEST_HEX], int64_t *pos,
		    char link[KC_DIGEST_HEX])
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(kc_store_db(st), "SELECT pos, content, link FROM seals WHERE kind='run' AND run_id=?"
						" ORDER BY pos DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return kc_chain__db_fail(st, "reading a run's seal");
	sqlite3_bind_int64(s, 1, run_id);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 1), *l = (const char *)sqlite3_column_text(s, 2);
		*pos = sqlite3_column_int64(s, 0);
		snprintf(digest, KC_DIGEST_HEX, "%s", d ? d : "");
		snprintf(link, KC_DIGEST_HEX, "%s", l ? l : "");
	}
	sqlite3_finalize(s);
	if (step == SQLITE_ROW)
		return 0;
	if (step != SQLITE_DONE)
		return kc_chain__db_fail(st, "reading a run's seal");
	return kc_error_set(KC_ENOTFOUND, "%s: run %lld has no seal", kc_store_path(st), (long long)run_id);
}

int kc_chain_find_run(struct kc_store *st, int64_t run_id, char digest[KC_DIGEST_HEX], int64_t *pos,
		      char link[KC_DIGEST_HEX])
{
	return run_seal(st, run_id, digest, pos, link);
}

int kc_chain_run_proof(struct kc_store *st, struct kc_run *run)
{
	char digest[KC_DIGEST_HEX], link[KC_DIGEST_HEX];
	int64_t pos;
	int rc = run_seal(st, run->id, digest, &pos, link);
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
