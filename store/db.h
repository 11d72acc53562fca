/* Internal to store/: the two backends (SQLite, PostgreSQL) behind one statement interface,
 * so that every query in store.c is written once and runs on both. Nothing outside store/
 * includes this header.
 *
 * SQL dialect both accept: numbered parameters $1..$n (SQLite takes "$1" as a named
 * parameter; the SQLite backend maps the names to its indexes), RETURNING id for new rows,
 * IS NOT DISTINCT FROM for NULL-safe equality, CAST($n AS TEXT) where a parameter appears
 * only beside IS NULL, and "user", "offset", "end" quoted (reserved words in PostgreSQL). */
#ifndef KC_STORE_DB_H
#define KC_STORE_DB_H

#include <stdint.h>

#include "common/strbuf.h"

struct kc_db;
struct kc_db_stmt;

enum kc_db_open { KC_DB_READ_WRITE, KC_DB_READ_ONLY };

struct kc_db_ops {
	const char *name; /* "sqlite", "postgres" */
	/* Runs SQL without parameters or rows (several statements allowed). */
	int (*exec)(struct kc_db *db, const char *sql, const char *what);
	int (*prepare)(struct kc_db *db, const char *sql, struct kc_db_stmt **out);
	/* Bindings are copied; text NULL binds SQL NULL. i counts from 1 ($1). */
	void (*bind_text)(struct kc_db_stmt *s, int i, const char *v);
	void (*bind_int64)(struct kc_db_stmt *s, int i, int64_t v);
	void (*bind_double)(struct kc_db_stmt *s, int i, double v);
	/* 1: a row is ready; 0: done; negative: error with message. */
	int (*step)(struct kc_db_stmt *s, const char *what);
	const char *(*col_text)(struct kc_db_stmt *s, int i); /* from 0; NULL for SQL NULL */
	int64_t (*col_int64)(struct kc_db_stmt *s, int i);
	double (*col_double)(struct kc_db_stmt *s, int i);
	/* The value's class for the evidence chain's canonical form (store/canon.h): 'n' NULL,
	 * 'i' integer, 'r' real, 's' text, 'b' blob, as the backend holds it. */
	char (*col_class)(struct kc_db_stmt *s, int i);
	/* Clears bindings and rows: the statement can be bound and stepped again. */
	void (*reset)(struct kc_db_stmt *s);
	void (*finalize)(struct kc_db_stmt *s);
	/* A write transaction that holds the write lock from its start (no failure half-way on
	 * a lock), and a read transaction that sees one snapshot. */
	int (*begin_write)(struct kc_db *db);
	int (*begin_read)(struct kc_db *db);
	int (*commit)(struct kc_db *db);
	void (*rollback)(struct kc_db *db);
	int (*in_transaction)(struct kc_db *db);
	/* Brings the schema to the newest version (once, under the backend's lock), after the
	 * backend has checked that the schema holds nothing kubecomply did not create. */
	int (*migrate)(struct kc_db *db);
	void (*close)(struct kc_db *db);
};

/* Base of every backend's connection. */
struct kc_db {
	const struct kc_db_ops *ops;
	char *where;       /* path or URL with the password removed, for messages */
	int busy_ms;       /* how long a write waits for another writer's lock */
	int busy;          /* the last error was that lock, still held after busy_ms */
};

int kc_db_sqlite_open(const char *path, enum kc_db_open mode, struct kc_db **out);
int kc_db_pg_open(const char *url, enum kc_db_open mode, struct kc_db **out);
/* The SQLite handle of a SQLite connection, NULL otherwise (kc_store_db, for tests). */
struct sqlite3 *kc_db_sqlite_handle(struct kc_db *db);
/* Whether opening this SQLite store ran PRAGMA quick_check (tests). */
int kc_db_sqlite_ran_check(struct kc_db *db);
const char *kc_db_sqlite_version(void);
/* The schema a SQLite store of this version holds, one "type name tbl sql" line per object in
 * name order, as our migrations build it in memory (the reference every open compares with). */
int kc_db_sqlite_schema_text(int version, struct kc_buf *out);
/* That text for the latest version, computed at build time (build/gen/schema_ref.c): an open
 * compares with it before building the reference itself. */
void kc_db_sqlite_use_schema_ref(int version, const char *text);
int kc_db_pg_version(void);
/* postgres:// or postgresql:// */
int kc_db_is_pg_url(const char *where);

/* The migrations of each backend: same count, same meaning per version. */
const char *kc_store_sqlite_migration(int version);
const char *kc_store_pg_migration(int version);
int kc_store_migration_count(void);

#endif
