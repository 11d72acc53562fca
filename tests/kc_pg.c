#include "kc_pg.h"

#include <dirent.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kc_test.h"

#define NOBODY 65534

struct kc_pg {
	char bin[256];
	char dir[256];
	char data[512];
	char url[1024];
};

/* Runs argv as nobody; 0 when it exited 0. Output goes to dir/log. */
static int run_as_nobody(const struct kc_pg *pg, char *const argv[])
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char log[512];
		snprintf(log, sizeof(log), "%s/log", pg->dir);
		if (!freopen(log, "a", stdout) || !freopen(log, "a", stderr))
			_exit(126);
		if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int find_bin(char *out, size_t len)
{
	DIR *d = opendir("/usr/lib/postgresql");
	struct dirent *de;
	int found = 0;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "/usr/lib/postgresql/%.200s/bin/initdb", de->d_name);
		if (access(p, X_OK) == 0) {
			snprintf(out, len, "/usr/lib/postgresql/%.200s/bin", de->d_name);
			found = 1;
			break;
		}
	}
	if (d)
		closedir(d);
	return found ? 0 : -1;
}

struct kc_pg *kc_pg_start(const char **why)
{
	struct kc_pg *pg = calloc(1, sizeof(*pg));
	if (find_bin(pg->bin, sizeof(pg->bin)) < 0) {
		*why = "PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) not installed";
		free(pg);
		return NULL;
	}
	/* short path: the socket name must fit in sun_path */
	snprintf(pg->dir, sizeof(pg->dir), "/tmp/kcpg-XXXXXX");
	if (!mkdtemp(pg->dir) || chmod(pg->dir, 0755) != 0 || chown(pg->dir, NOBODY, NOBODY) != 0) {
		*why = "cannot make a directory for the server";
		free(pg);
		return NULL;
	}
	snprintf(pg->data, sizeof(pg->data), "%s/data", pg->dir);
	char initdb[512], ctl[512], opts[1024], log[512];
	snprintf(initdb, sizeof(initdb), "%s/initdb", pg->bin);
	snprintf(ctl, sizeof(ctl), "%s/pg_ctl", pg->bin);
	snprintf(log, sizeof(log), "%s/server.log", pg->dir);
	/* no TCP at all; fsync off: the data dies with the test */
	snprintf(opts, sizeof(opts), "-k %s -c listen_addresses= -c fsync=off -c max_connections=120", pg->dir);
	char *init_argv[] = { initdb, "-D", pg->data, "-U", "kc", "-A", "trust", "-E", "UTF8", "--no-sync", NULL };
	char *start_argv[] = { ctl, "-D", pg->data, "-l", log, "-o", opts, "-w", "start", NULL };
	if (run_as_nobody(pg, init_argv) != 0 || run_as_nobody(pg, start_argv) != 0) {
		*why = "initdb or pg_ctl start failed (see the server log)";
		kc_test_rmtree(pg->dir);
		free(pg);
		return NULL;
	}
	return pg;
}

void kc_pg_stop(struct kc_pg *pg)
{
	if (!pg)
		return;
	char ctl[512];
	snprintf(ctl, sizeof(ctl), "%s/pg_ctl", pg->bin);
	char *stop_argv[] = { ctl, "-D", pg->data, "-m", "immediate", "-w", "stop", NULL };
	run_as_nobody(pg, stop_argv);
	kc_test_rmtree(pg->dir);
	free(pg);
}

int kc_pg_exec(struct kc_pg *pg, const char *url, const char *sql)
{
	(void)pg;
	PGconn *c = PQconnectdb(url);
	int rc = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
		if (rc)
			fprintf(stderr, "kc_pg_exec: %s", PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return rc;
}

const char *kc_pg_new_db(struct kc_pg *pg, const char *name)
{
	char admin[512], sql[256];
	snprintf(admin, sizeof(admin), "postgresql://kc@/postgres?host=%s", pg->dir);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	if (kc_pg_exec(pg, admin, sql) != 0)
		return NULL;
	snprintf(pg->url, sizeof(pg->url), "postgresql://kc@/%s?host=%s", name, pg->dir);
	return pg->url;
}

long long kc_pg_query_int(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	long long v = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
			v = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	PQfinish(c);
	return v;
}
