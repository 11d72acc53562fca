/* A real PostgreSQL server for the store suites: Debian's initdb and postgres, run as the
 * unprivileged user `nobody` (the tests run as root, and postgres refuses root) in a fresh
 * directory, listening only on a unix socket in that directory. */
#ifndef KC_PG_H
#define KC_PG_H

struct kc_pg;

/* Starts a server; NULL (and a reason in *why, static) when Debian's PostgreSQL binaries are
 * absent or it cannot start: callers skip with a kc-skip: line. */
struct kc_pg *kc_pg_start(const char **why);
void kc_pg_stop(struct kc_pg *pg);
/* A new empty database on the server; returns its postgres:// URL (static buffer). */
const char *kc_pg_new_db(struct kc_pg *pg, const char *name);
/* Runs SQL on a database of the server (for tests that plant objects); 0 on success. */
int kc_pg_exec(struct kc_pg *pg, const char *url, const char *sql);
/* The first column of the first row of a query, -1 on error. */
long long kc_pg_query_int(const char *url, const char *sql);

#endif
