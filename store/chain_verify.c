/* `kubecomply verify`: recompute every seal, link, run and row of the store and name each
 * one that does not hold. Reads only; one read transaction so that a concurrent writer
 * (watch) cannot move the chain under it. */
#include "store/chain.h"
#include "store/chain_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/sign.h"

#define ROW_LINES_PER_TABLE 50

static const char zero_link[KC_DIGEST_HEX] = "0000000000000000000000000000000000000000000000000000000000000000";

struct run_seal {
	int64_t run_id, pos;
	char content[KC_DIGEST_HEX];
};

static void problem(struct kc_chain_verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct kc_chain_verify *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&v->problems, fmt, ap);
	va_end(ap);
	kc_buf_putc(&v->problems, '\n');
	v->nproblems++;
}

static const char *text(struct kc_db *db, struct kc_db_stmt *s, int i)
{
	const char *t = db->ops->col_text(s, i);
	return t ? t : "";
}

static void add_latest(struct kc_chain_verify *v, size_t *cap, uint8_t table, int64_t id, int64_t pos,
		       const unsigned char *digest)
{
	v->latest = kc_array_grow(v->latest, cap, v->nlatest + 1, sizeof(*v->latest));
	struct kc_chain_row *r = &v->latest[v->nlatest++];
	memset(r, 0, sizeof(*r));
	r->table = table;
	r->id = id;
	r->pos = pos;
	r->deleted = digest == NULL;
	if (digest)
		memcpy(r->digest, digest, KC_DIGEST_LEN);
}

/* A batch's row list: "kubecomply.batch/v1", then (table, id, digest | NULL) per row. */
static int decode_rows(struct kc_chain_verify *v, size_t *cap, int64_t pos, const unsigned char *p, size_t n)
{
	size_t at = 0;
	struct kc_canon_value a, b, c;
	int rc = kc_canon_next(p, n, &at, &a);
	if (rc != 1 || a.type != 's' || a.len != 19 || memcmp(a.p, "kubecomply.batch/v1", 19) != 0)
		return -1;
	while ((rc = kc_canon_next(p, n, &at, &a)) == 1) {
		if (a.type != 's' || kc_canon_next(p, n, &at, &b) != 1 || b.type != 'i' ||
		    kc_canon_next(p, n, &at, &c) != 1 || !(c.type == 'n' || (c.type == 'b' && c.len == KC_DIGEST_LEN)))
			return -1;
		int t = -1;
		for (int i = 0; i < KC_CHAIN_NTABLES; i++)
			if (strlen(kc_chain__tables[i].name) == a.len && memcmp(kc_chain__tables[i].name, a.p, a.len) == 0)
				t = i;
		if (t < 0)
			return -1;
		add_latest(v, cap, (uint8_t)t, b.i, pos, c.type == 'b' ? c.p : NULL);
	}
	return rc == 0 ? 0 : -1;
}

static int check_checkpoint(struct kc_store *st, const struct kc_key *key, struct kc_chain_verify *v,
			    int64_t *pos, char link[KC_DIGEST_HEX])
{
	struct kc_db *db = kc_store__backend(st);
	struct kc_db_stmt *s;
	*pos = 0;
	memcpy(link, zero_link, KC_DIGEST_HEX);
	int rc = kc_chain__prepare(db, "SELECT pos, link, sig FROM checkpoints ORDER BY pos DESC LIMIT 1", &s);
	if (rc < 0)
		return rc;
	rc = db->ops->step(s, "reading the checkpoint");
	if (rc == 1 && db->ops->col_int64(s, 0) == 0) {
		/* the mark of a store migrated from before the chain, not yet sealed */
		problem(v, "the store was migrated from before the chain and not sealed yet: open it once with "
			   "'kubecomply audit' or 'watch'");
	} else if (rc == 1) {
		*pos = db->ops->col_int64(s, 0);
		snprintf(link, KC_DIGEST_HEX, "%s", text(db, s, 1));
		if (key) {
			struct kc_buf m = KC_BUF_INIT;
			kc_chain__checkpoint_message(&m, *pos, link);
			if (db->ops->col_class(s, 2) == 'n')
				problem(v, "checkpoint at position %lld: not signed (a prune without the signing key, or a "
					   "forged checkpoint)", (long long)*pos);
			else if (kc_key_verify(key, m.ptr, m.len, text(db, s, 2)) < 0)
				problem(v, "checkpoint at position %lld: %s", (long long)*pos, kc_error_last());
			kc_buf_clear(&m);
		}
	}
	kc_chain__done(db, s);
	return rc < 0 ? rc : 0;
}

static int seal_pass(struct kc_store *st, const struct kc_key *key, struct kc_chain_verify *v,
		     struct run_seal **runs, size_t *nruns)
{
	size_t rcap = 0, lcap = 0;
	int64_t expected;
	char prev[KC_DIGEST_HEX];
	int rc = check_checkpoint(st, key, v, &expected, prev);
	if (rc < 0)
		return rc;
	expected++;
	struct kc_db *db = kc_store__backend(st);
	struct kc_db_stmt *s;
	if ((rc = kc_chain__prepare(db, "SELECT pos, kind, run_id, sealed, content, \"rows\", prev, link, sig"
					" FROM seals ORDER BY pos", &s)) < 0)
		return rc;
	int step, head_sig = 0;
	struct kc_buf m = KC_BUF_INIT, rows = KC_BUF_INIT;
	while ((step = db->ops->step(s, "reading the seals")) == 1) {
		int64_t pos = db->ops->col_int64(s, 0);
		const char *kind = text(db, s, 1);
		int64_t run_id = db->ops->col_int64(s, 2);
		char link[KC_DIGEST_HEX];
		if (!v->first_pos)
			v->first_pos = pos;
		if (pos != expected)
			problem(v, "positions %lld to %lld: missing (seals deleted)", (long long)expected, (long long)pos - 1);
		else if (strcmp(text(db, s, 6), prev) != 0)
			problem(v, "position %lld: does not link to the seal before it (seals reordered, or one deleted "
				   "or inserted before it)", (long long)pos);
		kc_chain__link_digest(pos, kind, run_id, text(db, s, 3), text(db, s, 4), text(db, s, 6), link);
		if (strcmp(link, text(db, s, 7)) != 0)
			problem(v, "position %lld (%s%s%.0lld): seal altered (its link digest does not match its fields)",
				(long long)pos, kind, run_id ? " of run " : "", (long long)run_id);
		head_sig = 0;
		if (key && db->ops->col_class(s, 8) != 'n') {
			kc_chain__head_message(&m, text(db, s, 7));
			if (kc_key_verify(key, m.ptr, m.len, text(db, s, 8)) < 0)
				problem(v, "position %lld: %s", (long long)pos, kc_error_last());
			else
				head_sig = 1;
		}
		if (strcmp(kind, "run") == 0) {
			*runs = kc_array_grow(*runs, &rcap, *nruns + 1, sizeof(**runs));
			struct run_seal *r = &(*runs)[(*nruns)++];
			r->run_id = run_id;
			r->pos = pos;
			snprintf(r->content, sizeof(r->content), "%s", text(db, s, 4));
		} else if (strcmp(kind, "batch") == 0) {
			unsigned char d[KC_DIGEST_LEN];
			char hex[KC_DIGEST_HEX];
			kc_buf_reset(&rows);
			const char *hex_rows = text(db, s, 5);
			int bad = kc_hex_decode(hex_rows, strlen(hex_rows), &rows) < 0;
			kc_sha256(rows.ptr, rows.len, d);
			kc_digest_hex(d, hex);
			v->batches++;
			if (bad || strcmp(hex, text(db, s, 4)) != 0)
				problem(v, "batch at position %lld: its row list was altered", (long long)pos);
			else if (decode_rows(v, &lcap, pos, (const unsigned char *)rows.ptr, rows.len) < 0)
				problem(v, "batch at position %lld: its row list is not in the canonical form", (long long)pos);
		} else {
			problem(v, "position %lld: unknown kind '%s'", (long long)pos, kind);
		}
		snprintf(prev, sizeof(prev), "%s", text(db, s, 7));
		expected = pos + 1;
		v->head_pos = pos;
		snprintf(v->head, sizeof(v->head), "%s", prev);
	}
	kc_buf_clear(&m);
	kc_buf_clear(&rows);
	kc_chain__done(db, s);
	if (step < 0)
		return step;
	v->signed_head = head_sig;
	if (key && v->head_pos && !head_sig)
		problem(v, "the head (position %lld) is not signed by key %s: seals after the last signed one were "
			   "added without the key", (long long)v->head_pos, kc_key_id(key));
	return 0;
}

static int run_seal_cmp(const void *a, const void *b)
{
	const struct run_seal *x = a, *y = b;
	if (x->run_id != y->run_id)
		return x->run_id < y->run_id ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int check_runs(struct kc_store *st, struct kc_chain_verify *v, struct run_seal *runs, size_t nruns)
{
	int rc;
	for (size_t i = 0; i < nruns; i++) {
		unsigned char d[KC_DIGEST_LEN];
		char hex[KC_DIGEST_HEX];
		int found;
		if ((rc = kc_chain__run_content(st, runs[i].run_id, d, &found)) < 0)
			return rc;
		v->runs++;
		if (!found) {
			problem(v, "run %lld (sealed at position %lld): deleted", (long long)runs[i].run_id, (long long)runs[i].pos);
			continue;
		}
		kc_digest_hex(d, hex);
		if (strcmp(hex, runs[i].content) == 0)
			continue;
		/* the content of another sealed run under this id: two runs swapped places */
		size_t j;
		for (j = 0; j < nruns; j++)
			if (j != i && strcmp(hex, runs[j].content) == 0)
				break;
		if (j < nruns)
			problem(v, "run %lld (position %lld): holds what was sealed as run %lld (position %lld): runs "
				   "reordered", (long long)runs[i].run_id, (long long)runs[i].pos, (long long)runs[j].run_id,
				(long long)runs[j].pos);
		else
			problem(v, "run %lld (position %lld): content changed (its metadata, a result or an evidence row; "
				   "sealed %.12s, now %.12s)", (long long)runs[i].run_id, (long long)runs[i].pos,
				runs[i].content, hex);
	}
	/* runs without a seal */
	if (nruns) /* qsort(NULL, 0) is undefined */
		qsort(runs, nruns, sizeof(*runs), run_seal_cmp);
	struct kc_db *db = kc_store__backend(st);
	struct kc_db_stmt *s;
	if ((rc = kc_chain__prepare(db, "SELECT id, kind, finished,"
					" (SELECT count(*) FROM results WHERE run_id=runs.id) FROM runs ORDER BY id", &s)) < 0)
		return rc;
	int step;
	size_t j = 0;
	while ((step = db->ops->step(s, "listing runs")) == 1) {
		int64_t id = db->ops->col_int64(s, 0);
		while (j < nruns && runs[j].run_id < id)
			j++;
		if (j < nruns && runs[j].run_id == id)
			continue;
		/* a watch run is sealed when it finishes; its rows are sealed batch by batch meanwhile */
		if (strcmp(text(db, s, 1), "watch") == 0 && db->ops->col_class(s, 2) == 'n' &&
		    db->ops->col_int64(s, 3) == 0)
			kc_buf_printf(&v->notes, "run %lld: a watch run still open (sealed when it finishes)\n", (long long)id);
		else
			problem(v, "run %lld: not sealed (inserted after the fact)", (long long)id);
	}
	kc_chain__done(db, s);
	return step < 0 ? step : 0;
}

struct row_report {
	struct kc_chain_verify *v;
	const char *table;
	size_t listed, more;
};

static void row_problem(struct row_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row_problem(struct row_report *r, const char *fmt, ...)
{
	if (r->listed >= ROW_LINES_PER_TABLE) {
		r->more++;
		r->v->nproblems++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	kc_buf_printf(&r->v->problems, "%s row ", r->table);
	kc_buf_vprintf(&r->v->problems, fmt, ap);
	va_end(ap);
	kc_buf_putc(&r->v->problems, '\n');
	r->v->nproblems++;
	r->listed++;
}

/* Every row against its latest seal: a merge of the table (by id) with the sealed list. */
static int check_rows(struct kc_store *st, struct kc_chain_verify *v)
{
	/* keep the latest seal of each row: after sorting by (table, id, pos), the last of a run */
	if (v->nlatest)
		qsort(v->latest, v->nlatest, sizeof(*v->latest), kc_chain__row_cmp);
	size_t w = 0;
	for (size_t i = 0; i < v->nlatest; i++) {
		if (i + 1 < v->nlatest && v->latest[i + 1].table == v->latest[i].table && v->latest[i + 1].id == v->latest[i].id)
			continue;
		v->latest[w++] = v->latest[i];
	}
	v->nlatest = w;
	size_t li = 0;
	struct kc_db *db = kc_store__backend(st);
	for (uint8_t t = 0; t < KC_CHAIN_NTABLES; t++) {
		struct row_report rr = { .v = v, .table = kc_chain__tables[t].name };
		struct kc_buf q = KC_BUF_INIT;
		kc_buf_printf(&q, "SELECT %s FROM %s ORDER BY id", kc_chain__tables[t].cols, kc_chain__tables[t].name);
		struct kc_db_stmt *s;
		int prc = kc_chain__prepare(db, q.ptr, &s);
		kc_buf_clear(&q);
		if (prc < 0)
			return prc;
		struct kc_canon cn;
		kc_canon_init_hash(&cn);
		int step;
		while ((step = db->ops->step(s, "reading monitor rows")) == 1) {
			int64_t id = db->ops->col_int64(s, 0);
			for (; li < v->nlatest && v->latest[li].table == t && v->latest[li].id < id; li++)
				if (!v->latest[li].deleted)
					row_problem(&rr, "%lld (batch at position %lld): deleted", (long long)v->latest[li].id,
						    (long long)v->latest[li].pos);
			v->rows++;
			if (li >= v->nlatest || v->latest[li].table != t || v->latest[li].id != id) {
				row_problem(&rr, "%lld: not sealed (inserted after the fact)", (long long)id);
				continue;
			}
			const struct kc_chain_row *l = &v->latest[li++];
			if (l->deleted) {
				row_problem(&rr, "%lld: sealed as deleted at position %lld, present again (inserted)",
					    (long long)id, (long long)l->pos);
				continue;
			}
			unsigned char d[KC_DIGEST_LEN];
			kc_canon_str(&cn, kc_chain__tables[t].name);
			kc_chain__encode_cols(&cn, db, s, 0, kc_chain__tables[t].ncols);
			kc_canon_digest(&cn, d);
			if (memcmp(d, l->digest, KC_DIGEST_LEN) != 0)
				row_problem(&rr, "%lld (batch at position %lld): changed", (long long)id, (long long)l->pos);
		}
		kc_canon_dispose(&cn);
		kc_chain__done(db, s);
		if (step < 0)
			return step;
		for (; li < v->nlatest && v->latest[li].table == t; li++)
			if (!v->latest[li].deleted)
				row_problem(&rr, "%lld (batch at position %lld): deleted", (long long)v->latest[li].id,
					    (long long)v->latest[li].pos);
		if (rr.more)
			kc_buf_printf(&v->problems, "%s: %zu more rows with problems\n", rr.table, rr.more);
	}
	return 0;
}

int kc_chain_verify(struct kc_store *st, const struct kc_key *key, struct kc_chain_verify *out)
{
	memset(out, 0, sizeof(*out));
	kc_buf_init(&out->problems);
	kc_buf_init(&out->notes);
	struct run_seal *runs = NULL;
	size_t nruns = 0;
	struct kc_db *db = kc_store__backend(st);
	/* one snapshot: a concurrent writer (watch) cannot move the chain under the check */
	int own_tx = !db->ops->in_transaction(db);
	int rc = own_tx ? db->ops->begin_read(db) : 0;
	if (rc < 0)
		return rc;
	rc = seal_pass(st, key, out, &runs, &nruns);
	if (rc == 0)
		rc = check_runs(st, out, runs, nruns);
	if (rc == 0)
		rc = check_rows(st, out);
	if (own_tx)
		db->ops->rollback(db);
	free(runs);
	return rc;
}

void kc_chain_verify_dispose(struct kc_chain_verify *v)
{
	kc_buf_clear(&v->problems);
	kc_buf_clear(&v->notes);
	free(v->latest);
	memset(v, 0, sizeof(*v));
}
