/* The SQLite backend: one file per node, WAL.
 *
 * A store file is outside input: the default ./kubecomply.db may have been planted in a CI
 * workspace. So the connection is opened with SQLite's defensive settings (no writes to the
 * schema table, no schema-defined functions, triggers and views disabled), the schema is
 * compared object by object with the one our own migrations build, and small stores pass
 * PRAGMA quick_check before anything is read or written. */
#include "store/db.h"
#include "store/closed.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/strbuf.h"

/* quick_check reads every page once: ~0.1 s for 64 MiB on this machine's disk, and a node
 * store stays far below (a run is ~1 MiB). Larger stores (a long watch) skip it. */
#define QUICK_CHECK_MAX_BYTES (64ll << 20)
#define MAX_PARAMS 32

struct sq_db {
	struct kc_db base;
	sqlite3 *db;
	int readonly;
	int warned_busy;
	int fresh; /* the file was empty at open: created by this process, nothing recorded in it */
	int unchanged;      /* the file is, by its stat, as a kubecomply process closed it (closed.c) */
	int checked;        /* quick_check passed at open, or the file was unchanged */
	int ran_check;      /* quick_check ran at open (tests) */
};

struct kc_db_stmt {
	struct sq_db *db;
	sqlite3_stmt *s;
	int idx[MAX_PARAMS + 1]; /* $n -> SQLite's parameter index, 0 when absent */
	int bind_rc;             /* a failed bind (a value over SQLite's limits) fails the step */
};

static int sq_error(struct sq_db *d, const char *what)
{
	int ec = sqlite3_extended_errcode(d->db) & 0xff;
	if (ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB)
		return kc_error_set(KC_EDB, "%s: %s: the store is damaged (%s); keep it for inspection, "
				    "move it aside and audit again", d->base.where, what, sqlite3_errmsg(d->db));
	d->base.busy = ec == SQLITE_BUSY || ec == SQLITE_LOCKED;
	if (d->base.busy)
		return kc_error_set(KC_EDB, "%s: %s: another process has held the write lock for more than %d s (%s)",
				    d->base.where, what, d->base.busy_ms / 1000, sqlite3_errmsg(d->db));
	return kc_error_set(KC_EDB, "%s: %s: %s", d->base.where, what, sqlite3_errmsg(d->db));
}

static int sq_exec(struct kc_db *db, const char *sql, const char *what)
{
	struct sq_db *d = (struct sq_db *)db;
	char *msg = NULL;
	if (sqlite3_exec(d->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sqlite3_free(msg);
		return sq_error(d, what);
	}
	return 0;
}

static int sq_prepare(struct kc_db *db, const char *sql, struct kc_db_stmt **out)
{
	struct sq_db *d = (struct sq_db *)db;
	struct kc_db_stmt *s = kc_xcalloc(1, sizeof(*s));
	s->db = d;
	if (sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->s, NULL) != SQLITE_OK) {
		free(s);
		*out = NULL;
		return sq_error(d, "preparing a statement");
	}
	for (int i = 1; i <= MAX_PARAMS; i++) {
		char name[8];
		snprintf(name, sizeof(name), "$%d", i);
		s->idx[i] = sqlite3_bind_parameter_index(s->s, name);
	}
	*out = s;
	return 0;
}

static int param(struct kc_db_stmt *s, int i)
{
	return i > 0 && i <= MAX_PARAMS ? s->idx[i] : 0;
}

static void bound(struct kc_db_stmt *s, int rc)
{
	/* an unused $n (index 0) is not an error; a value SQLite refused is */
	if (rc != SQLITE_OK && rc != SQLITE_RANGE && s->bind_rc == SQLITE_OK)
		s->bind_rc = rc;
}

static void sq_bind_text(struct kc_db_stmt *s, int i, const char *v)
{
	if (v)
		bound(s, sqlite3_bind_text(s->s, param(s, i), v, -1, SQLITE_TRANSIENT));
	else
		bound(s, sqlite3_bind_null(s->s, param(s, i)));
}

static void sq_bind_int64(struct kc_db_stmt *s, int i, int64_t v) { bound(s, sqlite3_bind_int64(s->s, param(s, i), v)); }
static void sq_bind_double(struct kc_db_stmt *s, int i, double v) { bound(s, sqlite3_bind_double(s->s, param(s, i), v)); }

static int sq_step(struct kc_db_stmt *s, const char *what)
{
	if (s->bind_rc != SQLITE_OK)
		return kc_error_set(KC_EDB, "%s: %s: a value was refused: %s", s->db->base.where, what,
				    sqlite3_errstr(s->bind_rc));
	int rc = sqlite3_step(s->s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sq_error(s->db, what);
}

static const char *sq_col_text(struct kc_db_stmt *s, int i) { return (const char *)sqlite3_column_text(s->s, i); }
static int64_t sq_col_int64(struct kc_db_stmt *s, int i) { return sqlite3_column_int64(s->s, i); }
static double sq_col_double(struct kc_db_stmt *s, int i) { return sqlite3_column_double(s->s, i); }

/* the storage class: a value whose class was changed behind our back changes its digest */
static char sq_col_class(struct kc_db_stmt *s, int i)
{
	switch (sqlite3_column_type(s->s, i)) {
	case SQLITE_NULL: return 'n';
	case SQLITE_INTEGER: return 'i';
	case SQLITE_FLOAT: return 'r';
	case SQLITE_BLOB: return 'b';
	default: return 's';
	}
}

static void sq_reset(struct kc_db_stmt *s)
{
	sqlite3_reset(s->s);
	sqlite3_clear_bindings(s->s);
	s->bind_rc = SQLITE_OK;
}

static void sq_finalize(struct kc_db_stmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->s);
	free(s);
}

/* IMMEDIATE takes the write lock now, so a batch never fails half-way on SQLITE_BUSY */
static int sq_begin_write(struct kc_db *db)
{
	((struct sq_db *)db)->warned_busy = 0;
	return sq_exec(db, "BEGIN IMMEDIATE", "starting a transaction");
}
static int sq_begin_read(struct kc_db *db) { return sq_exec(db, "BEGIN", "starting a read"); }
static int sq_commit(struct kc_db *db) { return sq_exec(db, "COMMIT", "committing"); }
static int sq_in_tx(struct kc_db *db) { return !sqlite3_get_autocommit(((struct sq_db *)db)->db); }

static void sq_rollback(struct kc_db *db)
{
	struct sq_db *d = (struct sq_db *)db;
	if (!sqlite3_get_autocommit(d->db))
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

static void sq_close(struct kc_db *db)
{
	struct sq_db *d = (struct sq_db *)db;
	if (!d)
		return;
	int closed = sqlite3_close(d->db) == SQLITE_OK;
	/* a store this connection checked (or made) and wrote: say how it was left. Read-only
	 * connections leave the record as it is (they change nothing; a read-only mount). */
	if (d->base.where && !d->readonly && d->db) {
		if (closed && d->checked)
			kc_store_closed_note(d->base.where);
		else
			kc_store_closed_forget(d->base.where);
	}
	free(d->base.where);
	free(d);
}

static int int_pragma(struct sq_db *d, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(d->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sq_error(d, "reading the store header");
	int rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_error(d, "reading the store header");
}

/* The objects a schema holds, one "type name tbl sql" line each, in name order. */
static int schema_text(sqlite3 *db, struct kc_buf *out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_schema ORDER BY name, type",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		kc_buf_printf(out, "%s %s %s %s\n", sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
			      sqlite3_column_text(s, 2), sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* First line of a that b lacks ("" when none); for the message. */
static void first_extra(const char *a, const char *b, struct kc_buf *out)
{
	for (const char *p = a; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		struct kc_buf line = KC_BUF_INIT;
		kc_buf_add(&line, p, n);
		kc_buf_putc(&line, '\n');
		int found = 0;
		for (const char *q = b; (q = strstr(q, line.ptr)) != NULL; q++)
			if (q == b || q[-1] == '\n') {
				found = 1;
				break;
			}
		if (!found) {
			kc_buf_add(out, p, n > 200 ? 200 : n);
			kc_buf_clear(&line);
			return;
		}
		kc_buf_clear(&line);
		p = nl ? nl + 1 : p + n;
	}
}

static int ref_version;
static const char *ref_text;

void kc_db_sqlite_use_schema_ref(int version, const char *text)
{
	ref_version = text ? version : 0;
	ref_text = text;
}

int kc_db_sqlite_schema_text(int version, struct kc_buf *out)
{
	sqlite3 *ref = NULL;
	int rc = 0;
	if (version == 0)
		return 0; /* an empty file: nothing in it yet */
	if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL) != SQLITE_OK) {
		rc = kc_error_set(KC_EDB, "cannot build the reference schema");
		goto out;
	}
	for (int v = 1; v <= version; v++)
		if (sqlite3_exec(ref, kc_store_sqlite_migration(v), NULL, NULL, NULL) != SQLITE_OK) {
			rc = kc_error_set(KC_EDB, "reference schema v%d: %s", v, sqlite3_errmsg(ref));
			goto out;
		}
	if (schema_text(ref, out) < 0)
		rc = kc_error_set(KC_EDB, "reference schema: %s", sqlite3_errmsg(ref));
out:
	sqlite3_close(ref);
	return rc;
}

/* The schema must be exactly what our migrations build for its version: a trigger that turns
 * a stored FAIL into PASS, a view or table shadowing ours, a column default -- all refused.
 * The latest version's text was computed when this binary was built; any other version, or a
 * store that differs from it, is compared with the reference built here (which also names
 * the difference). */
static int verify_schema(struct sq_db *d, int version)
{
	struct kc_buf want = KC_BUF_INIT, have = KC_BUF_INIT, what = KC_BUF_INIT;
	int rc = 0;
	if (schema_text(d->db, &have) < 0) {
		rc = sq_error(d, "reading the schema");
		goto out;
	}
	if (ref_text && version == ref_version && strcmp(have.ptr, ref_text) == 0)
		goto out;
	if ((rc = kc_db_sqlite_schema_text(version, &want)) < 0)
		goto out;
	if (strcmp(want.ptr, have.ptr) != 0) {
		first_extra(have.ptr, want.ptr, &what);
		if (!what.len) {
			kc_buf_puts(&what, "missing: ");
			first_extra(want.ptr, have.ptr, &what);
		}
		rc = kc_error_set(KC_EUNSAFE, "%s: refused: the schema holds objects kubecomply did not create "
				  "(schema version %d; first difference: %s); this file was not written by kubecomply "
				  "or was altered", d->base.where, version, what.ptr);
	}
out:
	kc_buf_clear(&want);
	kc_buf_clear(&have);
	kc_buf_clear(&what);
	return rc;
}

static int quick_check(struct sq_db *d)
{
	int64_t pages = 0, psize = 0;
	int rc;
	/* the file as a kubecomply process left it after its own check (store/closed.c): its
	 * pages are the ones that passed; checking them again cost more CPU as the store grew
	 * than the audit itself (docs/architecture.md, "Checked once") */
	if (d->unchanged) {
		d->checked = 1;
		return 0;
	}
	if ((rc = int_pragma(d, "PRAGMA page_count", &pages)) < 0 || (rc = int_pragma(d, "PRAGMA page_size", &psize)) < 0)
		return rc;
	if (pages * psize > QUICK_CHECK_MAX_BYTES)
		return 0;
	d->ran_check = 1;
	/* every page passes through the page cache once: a small cache recycles its buffers
	 * instead of growing to the default 2 MiB (a page fault per new page of it) */
	if ((rc = sq_exec(&d->base, "PRAGMA cache_size=32;", "checking integrity")) < 0)
		return rc;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(d->db, "PRAGMA quick_check(1)", -1, &s, NULL) != SQLITE_OK)
		return sq_error(d, "checking integrity");
	rc = sqlite3_step(s);
	const char *res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	if (rc == SQLITE_ROW && res && strcmp(res, "ok") == 0)
		rc = 0;
	else if (rc == SQLITE_ROW)
		rc = kc_error_set(KC_EDB, "%s: the store is damaged (integrity check: %s); keep it for inspection, "
				  "move it aside and audit again", d->base.where, res ? res : "?");
	else
		rc = sq_error(d, "checking integrity");
	sqlite3_finalize(s);
	int rc2 = sq_exec(&d->base, "PRAGMA cache_size=-2000;", "checking integrity"); /* SQLite's default */
	if (rc == 0 && rc2 == 0)
		d->checked = 1;
	return rc < 0 ? rc : rc2;
}

/* A store this process has just created: every migration in one transaction (all or nothing,
 * as each step is when a store is upgraded), written without syncs -- kc_db_sqlite_open turned
 * them off for the empty file -- and then the store's synchronous=NORMAL. Nothing is recorded
 * in the file yet, so a crash here loses no evidence; the first checkpoint (at the latest when
 * the store is closed) syncs the WAL and the database, as for every later commit. Six
 * transactions with syncs, and the switch to WAL through a synced rollback journal, were eight
 * fsyncs and a tenth of a node audit's CPU (docs/node-checks.md, "Speed"). */
static int create_schema(struct sq_db *d, int last, int *made)
{
	int64_t cur = 0;
	*made = 0;
	int rc = sq_exec(&d->base, "BEGIN IMMEDIATE;", "creating the schema");
	/* under the write lock: another process creating the same store may have been first */
	if (rc == 0 && (rc = int_pragma(d, "PRAGMA user_version", &cur)) == 0 && cur == 0) {
		struct kc_buf sql = KC_BUF_INIT;
		for (int v = 1; v <= last; v++)
			kc_buf_puts(&sql, kc_store_sqlite_migration(v));
		kc_buf_printf(&sql, " PRAGMA user_version=%d;", last);
		rc = sq_exec(&d->base, sql.ptr, "creating the schema");
		kc_buf_clear(&sql);
		*made = rc == 0;
	}
	if (rc == 0)
		rc = sq_exec(&d->base, "COMMIT;", "creating the schema");
	if (rc < 0)
		sq_rollback(&d->base);
	int rc2 = sq_exec(&d->base, "PRAGMA synchronous=NORMAL;", "configuring");
	d->fresh = 0;
	return rc < 0 ? rc : rc2;
}

static int sq_migrate(struct kc_db *db)
{
	struct sq_db *d = (struct sq_db *)db;
	int64_t cur = 0;
	int last = kc_store_migration_count();
	/* the version and the schema read in one snapshot: another process creating or migrating
	 * the store between the two reads made a good store look planted */
	int rc = sq_exec(db, "BEGIN;", "reading the schema");
	if (rc == 0 && (rc = int_pragma(d, "PRAGMA user_version", &cur)) == 0) {
		if (cur > last)
			rc = kc_error_set(KC_EDB, "%s: schema version %lld is newer than this kubecomply understands (%d); "
					  "use a newer kubecomply", d->base.where, (long long)cur, last);
		else if (cur < 0)
			rc = kc_error_set(KC_EUNSAFE, "%s: refused: schema version %lld", d->base.where, (long long)cur);
		/* check before anything is written: our own migration must not run beside a planted trigger */
		else if ((rc = quick_check(d)) == 0)
			rc = verify_schema(d, (int)cur);
	}
	if (rc == 0)
		rc = sq_exec(db, "COMMIT;", "reading the schema");
	if (rc < 0) {
		sq_rollback(db);
		return rc;
	}
	if (d->readonly) {
		if (cur < last)
			return kc_error_set(KC_EDB, "%s: schema version %lld is older than %d; open it once with "
					    "'kubecomply audit' or 'watch' to migrate it", d->base.where, (long long)cur, last);
		return 0;
	}
	if (d->fresh && cur != 0) {
		/* another process created the store since we found the file empty: it is not ours to
		 * create, and this connection syncs as every store's does */
		d->fresh = 0;
		if ((rc = sq_exec(db, "PRAGMA synchronous=NORMAL;", "configuring")) < 0)
			return rc;
	}
	if (d->fresh) {
		int made;
		if ((rc = create_schema(d, last, &made)) < 0 || made)
			return rc;
		return sq_migrate(db); /* created by another process first: judged as any store is */
	}
	for (int v = (int)cur + 1; v <= last; v++) {
		/* each step is atomic: a crash mid-migration leaves the previous version intact. The
		 * version is read again under the write lock: another process opening the same store
		 * may have migrated it (or created it) since our snapshot, and its schema is then
		 * judged like any store's (test_two_processes_creating_one_store_both_succeed) */
		int64_t now = 0;
		if ((rc = sq_exec(db, "BEGIN IMMEDIATE;", "migrating the schema")) == 0 &&
		    (rc = int_pragma(d, "PRAGMA user_version", &now)) == 0 && now != v - 1) {
			if ((rc = sq_exec(db, "COMMIT;", "migrating the schema")) == 0)
				return sq_migrate(db);
		}
		if (rc == 0) {
			struct kc_buf sql = KC_BUF_INIT;
			kc_buf_printf(&sql, "%s PRAGMA user_version=%d; COMMIT;", kc_store_sqlite_migration(v), v);
			rc = sq_exec(db, sql.ptr, "migrating the schema");
			kc_buf_clear(&sql);
		}
		if (rc < 0) {
			sq_rollback(db);
			return rc;
		}
	}
	return 0;
}

/* Another process holds the write lock (an audit and a watch on one store, a second audit
 * from cron): wait with growing pauses, say once that we wait, give up after busy_ms. */
static int busy_handler(void *arg, int count)
{
	struct sq_db *d = arg;
	static const int pause_ms[] = { 1, 2, 5, 10, 20, 50, 100, 200, 250 };
	int n = sizeof(pause_ms) / sizeof(*pause_ms);
	long waited = 0;
	for (int i = 0; i < count; i++)
		waited += pause_ms[i < n ? i : n - 1];
	if (waited >= d->base.busy_ms)
		return 0;
	if (waited >= 1000 && !d->warned_busy) {
		d->warned_busy = 1;
		kc_log(KC_LOG_WARN, "%s: another process holds the store's write lock; waiting up to %d s",
		       d->base.where, d->base.busy_ms / 1000);
	}
	int ms = pause_ms[count < n ? count : n - 1];
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	return 1;
}

static const struct kc_db_ops sqlite_ops = {
	.name = "sqlite",
	.exec = sq_exec,
	.prepare = sq_prepare,
	.bind_text = sq_bind_text,
	.bind_int64 = sq_bind_int64,
	.bind_double = sq_bind_double,
	.step = sq_step,
	.col_text = sq_col_text,
	.col_int64 = sq_col_int64,
	.col_double = sq_col_double,
	.col_class = sq_col_class,
	.reset = sq_reset,
	.finalize = sq_finalize,
	.begin_write = sq_begin_write,
	.begin_read = sq_begin_read,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.in_transaction = sq_in_tx,
	.migrate = sq_migrate,
	.close = sq_close,
};

static int defensive(struct sq_db *d)
{
	/* the schema is outside input: nothing in it may run code or rewrite what we store */
	static const int off[] = { SQLITE_DBCONFIG_TRUSTED_SCHEMA, SQLITE_DBCONFIG_ENABLE_TRIGGER,
				   SQLITE_DBCONFIG_ENABLE_VIEW, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
				   SQLITE_DBCONFIG_DQS_DDL, SQLITE_DBCONFIG_DQS_DML };
	for (size_t i = 0; i < sizeof(off) / sizeof(*off); i++)
		if (sqlite3_db_config(d->db, off[i], 0, (int *)NULL) != SQLITE_OK)
			return sq_error(d, "configuring");
	if (sqlite3_db_config(d->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL) != SQLITE_OK)
		return sq_error(d, "configuring");
	return sq_exec(&d->base, "PRAGMA cell_size_check=ON; PRAGMA mmap_size=0; PRAGMA foreign_keys=ON;",
		       "configuring");
}

static int open_file(const char *path, enum kc_db_open mode, int *empty)
{
	*empty = 0;
	if (mode == KC_DB_READ_ONLY) {
		/* reading never creates: a mistyped path must not look like an empty store */
		struct stat sb;
		if (lstat(path, &sb) != 0)
			return errno == ENOENT ? kc_error_set(KC_ENOTFOUND, "%s: no such evidence database", path)
					       : kc_error_set_errno(errno, "cannot open the evidence store %s", path);
		if (!S_ISREG(sb.st_mode))
			return kc_error_set(KC_EUNSAFE, "%s: not a regular file", path);
		return 0;
	}
	/* create it ourselves: mode 0600 and never through a planted symlink */
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0)
		return kc_error_set_errno(errno, "cannot open the evidence database %s", path);
	struct stat sb;
	int ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
	*empty = ok && sb.st_size == 0;
	close(fd);
	return ok ? 0 : kc_error_set(KC_EUNSAFE, "%s: not a regular file", path);
}

static int sq_connect(struct sq_db *d, const char *path, enum kc_db_open mode, int immutable)
{
	int flags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI;
	flags |= mode == KC_DB_READ_ONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	struct kc_buf uri = KC_BUF_INIT;
	/* as a file: URI so that a name with '?' or '%' stays a name */
	kc_buf_puts(&uri, "file:");
	for (const char *p = path; *p; p++) {
		if (*p == '?' || *p == '#' || *p == '%')
			kc_buf_printf(&uri, "%%%02X", (unsigned char)*p);
		else
			kc_buf_putc(&uri, *p);
	}
	if (immutable)
		kc_buf_puts(&uri, "?immutable=1");
	sqlite3_close(d->db);
	d->db = NULL;
	int rc = sqlite3_open_v2(uri.ptr, &d->db, flags, NULL);
	kc_buf_clear(&uri);
	if (rc != SQLITE_OK)
		return d->db ? sq_error(d, "cannot open") : kc_error_set(KC_EDB, "%s: out of memory", path);
	sqlite3_extended_result_codes(d->db, 1);
	sqlite3_busy_handler(d->db, busy_handler, d);
	return defensive(d);
}

/* SQLite counts every allocation under a global mutex unless told not to (memory statistics
 * nobody here reads): a third of the mutex calls of an audit. Before SQLite initialises. */
static void configure_once(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Switching a new file to WAL takes the exclusive lock without consulting the busy handler:
 * two audits creating one store at once had one of them fail at once with "database is
 * locked" (test_store test_two_processes_creating_one_store_both_succeed). The switch is
 * retried with the busy handler's pauses, for as long as a write would wait. */
static int configure_busy(struct sq_db *d, const char *sql)
{
	for (int count = 0;; count++) {
		int rc = sq_exec(&d->base, sql, "configuring");
		if (rc == 0 || !d->base.busy || !busy_handler(d, count))
			return rc;
		kc_error_clear();
	}
}

int kc_db_sqlite_open(const char *path, enum kc_db_open mode, struct kc_db **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, configure_once);
	*out = NULL;
	if (!path || !*path)
		return kc_error_set(KC_EINVAL, "empty database path");
	int empty;
	int rc = open_file(path, mode, &empty);
	if (rc < 0)
		return rc;
	struct sq_db *d = kc_xcalloc(1, sizeof(*d));
	d->unchanged = !empty && kc_store_closed_unchanged(path);
	d->base.ops = &sqlite_ops;
	d->base.where = kc_strdup(path);
	d->base.busy_ms = 120000;
	d->readonly = mode == KC_DB_READ_ONLY;
	if ((rc = sq_connect(d, path, mode, 0)) < 0)
		goto fail;
	if (mode == KC_DB_READ_WRITE) {
		/* WAL: readers (report) never block the writer (watch); NORMAL sync is durable across
		 * process crashes, which is what exactly-once needs; FULL would cost an fsync per batch. */
		/* an empty file is a store being created: no syncs until its schema exists (create_schema) */
		d->fresh = empty;
		if ((rc = configure_busy(d, empty ? "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;"
						  : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")) < 0)
			goto fail;
	} else {
		int64_t v;
		/* a WAL store on a read-only mount: no -shm can be made beside it, so SQLite cannot
		 * read it as a live database. Nobody can write a read-only mount either: read it as
		 * an immutable file. */
		if (int_pragma(d, "PRAGMA user_version", &v) < 0 && access(path, R_OK) == 0) {
			kc_error_clear();
			if ((rc = sq_connect(d, path, mode, 1)) < 0)
				goto fail;
		}
	}
	*out = &d->base;
	return 0;
fail:
	sq_close(&d->base);
	return rc;
}

int kc_db_sqlite_ran_check(struct kc_db *db)
{
	return db && db->ops == &sqlite_ops ? ((struct sq_db *)db)->ran_check : 0;
}

struct sqlite3 *kc_db_sqlite_handle(struct kc_db *db)
{
	return db && db->ops == &sqlite_ops ? ((struct sq_db *)db)->db : NULL;
}

const char *kc_db_sqlite_version(void)
{
	return sqlite3_libversion();
}
