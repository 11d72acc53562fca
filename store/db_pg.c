/* The PostgreSQL backend (libpq): one database for a fleet's nodes. The same queries as
 * SQLite (store.c), prepared once per connection, parameters sent as text so that the
 * server converts them to the column types.
 *
 * Concurrency: each node's run is one transaction; identity columns hand out ids without a
 * lock, so 50 audits writing at once only wait on the disk. Migrations run in one
 * transaction under a transaction-level advisory lock: the first process to arrive migrates,
 * the others wait for it and then find the schema current. */
#include "store/db.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"

/* pg_advisory_xact_lock key: "kubecomp" as a number, the same in every kubecomply */
#define MIGRATION_LOCK_KEY 0x6b756265636f6d70ll
#define MAX_PARAMS 32

struct pg_db {
	struct kc_db base;
	PGconn *conn;
	int readonly;
	unsigned nstmts;
};

struct kc_db_stmt {
	struct pg_db *db;
	char name[24];
	int nparams;
	char *vals[MAX_PARAMS];
	PGresult *res;
	int row, nrows;
};

static int pg_fail(struct pg_db *d, const PGresult *res, const char *what)
{
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn);
	struct kc_buf m = KC_BUF_INIT;
	kc_buf_puts(&m, msg && *msg ? msg : "unknown error");
	while (m.len && (m.ptr[m.len - 1] == '\n' || m.ptr[m.len - 1] == ' '))
		kc_buf_truncate(&m, m.len - 1);
	int rc = kc_error_set(KC_EDB, "%s: %s: %s", d->base.where, what, m.ptr);
	kc_buf_clear(&m);
	return rc;
}

static int pg_exec(struct kc_db *db, const char *sql, const char *what)
{
	struct pg_db *d = (struct pg_db *)db;
	PGresult *res = PQexec(d->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : pg_fail(d, res, what);
	PQclear(res);
	return rc;
}

/* The highest $n in sql: the number of parameters the statement takes. */
static int count_params(const char *sql)
{
	int max = 0;
	for (const char *p = sql; (p = strchr(p, '$')) != NULL; p++) {
		int n = atoi(p + 1);
		if (n > max)
			max = n;
	}
	return max;
}

static int pg_prepare(struct kc_db *db, const char *sql, struct kc_db_stmt **out)
{
	struct pg_db *d = (struct pg_db *)db;
	struct kc_db_stmt *s = kc_xcalloc(1, sizeof(*s));
	s->db = d;
	s->nparams = count_params(sql);
	if (s->nparams > MAX_PARAMS) {
		free(s);
		*out = NULL;
		return kc_error_set(KC_EDB, "a statement with more than %d parameters", MAX_PARAMS);
	}
	snprintf(s->name, sizeof(s->name), "kc%u", ++d->nstmts);
	PGresult *res = PQprepare(d->conn, s->name, sql, s->nparams, NULL);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : pg_fail(d, res, "preparing a statement");
	PQclear(res);
	if (rc < 0) {
		free(s);
		s = NULL;
	}
	*out = s;
	return rc;
}

static void set_val(struct kc_db_stmt *s, int i, char *v)
{
	if (i < 1 || i > s->nparams) {
		free(v);
		return;
	}
	free(s->vals[i - 1]);
	s->vals[i - 1] = v;
}

/* Length of the valid UTF-8 sequence at p, 0 when invalid (overlong, surrogate, > U+10FFFF). */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (!n || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
		return 0;
	if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
		return 0;
	return n;
}

/* PostgreSQL refuses text that is not UTF-8, and evidence quotes files and command lines
 * byte for byte: an invalid byte becomes U+FFFD rather than failing the whole run. SQLite
 * keeps the bytes as they were. */
static char *utf8_copy(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, "");
	while (*p) {
		size_t n = utf8_len(p);
		if (n) {
			kc_buf_add(&b, p, n);
			p += n;
		} else {
			kc_buf_puts(&b, "\xef\xbf\xbd");
			p++;
		}
	}
	return kc_buf_detach(&b);
}

static void pg_bind_text(struct kc_db_stmt *s, int i, const char *v) { set_val(s, i, v ? utf8_copy(v) : NULL); }

static void pg_bind_int64(struct kc_db_stmt *s, int i, int64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%lld", (long long)v);
	set_val(s, i, kc_strdup(b));
}

static void pg_bind_double(struct kc_db_stmt *s, int i, double v)
{
	char b[40];
	snprintf(b, sizeof(b), "%.17g", v);
	set_val(s, i, kc_strdup(b));
}

static int pg_step(struct kc_db_stmt *s, const char *what)
{
	if (!s->res) {
		s->res = PQexecPrepared(s->db->conn, s->name, s->nparams, (const char *const *)s->vals, NULL, NULL, 0);
		ExecStatusType st = PQresultStatus(s->res);
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
			int rc = pg_fail(s->db, s->res, what);
			PQclear(s->res);
			s->res = NULL;
			return rc;
		}
		s->nrows = st == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
		s->row = -1;
	}
	return ++s->row < s->nrows ? 1 : 0;
}

static const char *pg_col_text(struct kc_db_stmt *s, int i)
{
	if (!s->res || s->row < 0 || s->row >= s->nrows || PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

static int64_t pg_col_int64(struct kc_db_stmt *s, int i)
{
	const char *t = pg_col_text(s, i);
	return t ? strtoll(t, NULL, 10) : 0;
}

static double pg_col_double(struct kc_db_stmt *s, int i)
{
	const char *t = pg_col_text(s, i);
	return t ? strtod(t, NULL) : 0;
}

/* By the column's type OID (server/catalog/pg_type.dat): the classes SQLite would give the
 * same columns, so that both backends hash a run to the same digest. */
static char pg_col_class(struct kc_db_stmt *s, int i)
{
	if (!pg_col_text(s, i))
		return 'n';
	switch (PQftype(s->res, i)) {
	case 20: case 21: case 23: case 26: /* int8, int2, int4, oid */
		return 'i';
	case 700: case 701: case 1700: /* float4, float8, numeric */
		return 'r';
	case 17: /* bytea */
		return 'b';
	default:
		return 's';
	}
}

static void pg_reset(struct kc_db_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	for (int i = 0; i < s->nparams; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
	}
}

static void pg_finalize(struct kc_db_stmt *s)
{
	if (!s)
		return;
	pg_reset(s);
	/* the prepared statement ends with the connection */
	free(s);
}

static int pg_begin_write(struct kc_db *db) { return pg_exec(db, "BEGIN", "starting a transaction"); }

static int pg_begin_read(struct kc_db *db)
{
	/* one snapshot for a whole run: a concurrent writer cannot change it under us */
	return pg_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a read");
}

static int pg_commit(struct kc_db *db) { return pg_exec(db, "COMMIT", "committing"); }

static int pg_in_tx(struct kc_db *db)
{
	PGTransactionStatusType t = PQtransactionStatus(((struct pg_db *)db)->conn);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static void pg_rollback(struct kc_db *db)
{
	if (pg_in_tx(db))
		PQclear(PQexec(((struct pg_db *)db)->conn, "ROLLBACK"));
}

static void pg_close(struct kc_db *db)
{
	struct pg_db *d = (struct pg_db *)db;
	if (!d)
		return;
	PQfinish(d->conn);
	free(d->base.where);
	free(d);
}

static int query_int(struct pg_db *d, const char *sql, int64_t *out, int *found)
{
	PGresult *res = PQexec(d->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int rc = pg_fail(d, res, "reading the schema");
		PQclear(res);
		return rc;
	}
	*found = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0);
	*out = *found ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return 0;
}

/* Triggers and rules on our tables could rewrite what we store (a FAIL into a PASS). */
static int verify_schema(struct pg_db *d)
{
	int64_t n;
	int found, rc = query_int(d,
				  "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
				  " JOIN pg_namespace s ON s.oid = c.relnamespace"
				  " WHERE s.nspname = current_schema() AND NOT t.tgisinternal", &n, &found);
	if (rc == 0 && n > 0)
		return kc_error_set(KC_EUNSAFE, "%s: refused: %lld trigger(s) on the store's tables; kubecomply creates none",
				    d->base.where, (long long)n);
	if (rc == 0)
		rc = query_int(d, "SELECT count(*) FROM pg_rules WHERE schemaname = current_schema()", &n, &found);
	if (rc == 0 && n > 0)
		return kc_error_set(KC_EUNSAFE, "%s: refused: %lld rewrite rule(s) on the store's tables; kubecomply creates none",
				    d->base.where, (long long)n);
	return rc;
}

static int pg_migrate(struct kc_db *db)
{
	struct pg_db *d = (struct pg_db *)db;
	int64_t cur = 0;
	int found = 0, rc;
	int last = kc_store_migration_count();
	if (d->readonly) {
		/* never creates: a database without our tables is a clear error, not an empty store */
		int64_t exists = 0;
		if ((rc = query_int(d, "SELECT CASE WHEN to_regclass('kc_schema') IS NULL THEN 0 ELSE 1 END",
				    &exists, &found)) < 0)
			return rc;
		if (!exists)
			return kc_error_set(KC_ENOTFOUND, "%s: no kubecomply store in this database", d->base.where);
		if ((rc = query_int(d, "SELECT max(version) FROM kc_schema", &cur, &found)) < 0)
			return rc;
		if (cur > last)
			return kc_error_set(KC_EDB, "%s: schema version %lld is newer than this kubecomply understands (%d)",
					    d->base.where, (long long)cur, last);
		if (cur < last)
			return kc_error_set(KC_EDB, "%s: schema version %lld is older than %d; run 'kubecomply audit' "
					    "against it once to migrate it", d->base.where, (long long)cur, last);
		return verify_schema(d);
	}
	char lock[128];
	snprintf(lock, sizeof(lock), "BEGIN; SELECT pg_advisory_xact_lock(%lld);", MIGRATION_LOCK_KEY);
	if ((rc = pg_exec(db, lock, "locking for migration")) < 0)
		return rc;
	if ((rc = pg_exec(db, "CREATE TABLE IF NOT EXISTS kc_schema (version INTEGER NOT NULL)", "migrating")) < 0 ||
	    (rc = query_int(d, "SELECT max(version) FROM kc_schema", &cur, &found)) < 0)
		goto fail;
	if (cur > last) {
		rc = kc_error_set(KC_EDB, "%s: schema version %lld is newer than this kubecomply understands (%d); "
				  "use a newer kubecomply", d->base.where, (long long)cur, last);
		goto fail;
	}
	if ((rc = verify_schema(d)) < 0)
		goto fail;
	for (int v = (int)cur + 1; v <= last; v++) {
		char set[96];
		snprintf(set, sizeof(set), "DELETE FROM kc_schema; INSERT INTO kc_schema VALUES (%d);", v);
		if ((rc = pg_exec(db, kc_store_pg_migration(v), "migrating the schema")) < 0 ||
		    (rc = pg_exec(db, set, "migrating the schema")) < 0)
			goto fail;
	}
	if ((rc = pg_exec(db, "COMMIT", "migrating the schema")) < 0)
		goto fail;
	return 0;
fail:
	pg_rollback(db);
	return rc;
}

static const struct kc_db_ops pg_ops = {
	.name = "postgres",
	.exec = pg_exec,
	.prepare = pg_prepare,
	.bind_text = pg_bind_text,
	.bind_int64 = pg_bind_int64,
	.bind_double = pg_bind_double,
	.step = pg_step,
	.col_text = pg_col_text,
	.col_int64 = pg_col_int64,
	.col_double = pg_col_double,
	.col_class = pg_col_class,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.begin_write = pg_begin_write,
	.begin_read = pg_begin_read,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.in_transaction = pg_in_tx,
	.migrate = pg_migrate,
	.close = pg_close,
};

int kc_db_is_pg_url(const char *where)
{
	return where && (strncmp(where, "postgres://", 11) == 0 || strncmp(where, "postgresql://", 13) == 0);
}

/* The URL for messages: a password in it is replaced. */
static char *display_url(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
	if (!colon)
		return kc_strdup(url);
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_add(&b, url, (size_t)(colon - url));
	kc_buf_puts(&b, ":***");
	kc_buf_puts(&b, at);
	return kc_buf_detach(&b);
}

static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int kc_db_pg_open(const char *url, enum kc_db_open mode, struct kc_db **out)
{
	*out = NULL;
	struct pg_db *d = kc_xcalloc(1, sizeof(*d));
	d->base.ops = &pg_ops;
	d->base.where = display_url(url);
	d->base.busy_ms = 120000;
	d->readonly = mode == KC_DB_READ_ONLY;
	int rc;
	d->conn = PQconnectdb(url);
	if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
		rc = pg_fail(d, NULL, "cannot connect");
		goto fail;
	}
	/* quiet NOTICEs (CREATE TABLE IF NOT EXISTS): library code never prints */
	PQsetNoticeProcessor(d->conn, quiet_notice, NULL);
	if ((rc = pg_exec(&d->base, "SET client_min_messages = warning; SET TIME ZONE 'UTC'", "configuring")) < 0)
		goto fail;
	if (d->readonly && (rc = pg_exec(&d->base, "SET default_transaction_read_only = on", "configuring")) < 0)
		goto fail;
	*out = &d->base;
	return 0;
fail:
	pg_close(&d->base);
	return rc;
}

int kc_db_pg_version(void)
{
	return PQlibVersion();
}
