/* Schema migrations, applied in order inside one transaction each. A migration is never
 * edited once released: a new one is appended (to BOTH lists) and KC_STORE_SCHEMA_VERSION
 * raised. The SQLite texts are also the reference a store's schema is compared with at open
 * (db_sqlite.c): a released text changed by one byte would refuse every existing store. */
#include "store/db.h"

#include <stddef.h>

static const char *const sqlite_migrations[] = {
	/* v1: audit runs and their evidence */
	"CREATE TABLE runs ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL DEFAULT 'audit',"
	" host TEXT, cluster TEXT, benchmark TEXT, k8s_version TEXT, targets TEXT, root TEXT,"
	" tool_version TEXT, started TEXT NOT NULL, finished TEXT);"
	"CREATE INDEX runs_host_bench ON runs(host, benchmark, id);"
	"CREATE TABLE results ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, check_id TEXT NOT NULL, title TEXT, section TEXT, section_title TEXT,"
	" target TEXT, type TEXT, level INTEGER, scored INTEGER, severity TEXT, status TEXT NOT NULL,"
	" expected TEXT, actual TEXT, reason TEXT, exception TEXT, remediation TEXT, duration_ms REAL);"
	"CREATE INDEX results_run ON results(run_id, seq);"
	"CREATE TABLE evidence ("
	" id INTEGER PRIMARY KEY,"
	" result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, kind TEXT NOT NULL, source TEXT, line INTEGER, key TEXT, value TEXT,"
	" layer TEXT, detail TEXT, pid INTEGER, has_stat INTEGER, mode INTEGER, owner TEXT, grp TEXT,"
	" sha256 TEXT, obj_kind TEXT, obj_namespace TEXT, obj_name TEXT);"
	"CREATE INDEX evidence_result ON evidence(result_id, seq);",

	/* v2: runtime monitors */
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,"
	" time TEXT NOT NULL, source TEXT NOT NULL, type TEXT NOT NULL, pid INTEGER, ppid INTEGER,"
	" uid INTEGER, comm TEXT, path TEXT, pod_uid TEXT, container_id TEXT, namespace TEXT, pod TEXT,"
	" data_json TEXT);"
	"CREATE INDEX events_run_time ON events(run_id, time);"
	"CREATE TABLE findings ("
	" id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,"
	" time TEXT NOT NULL, source TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT, cis TEXT,"
	" summary TEXT, data_json TEXT);"
	"CREATE INDEX findings_run ON findings(run_id, time);"
	"CREATE TABLE gaps ("
	" id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,"
	" monitor TEXT NOT NULL, start TEXT NOT NULL, end TEXT NOT NULL, seen INTEGER, sent INTEGER,"
	" lost INTEGER, detail TEXT);"
	"CREATE TABLE audit_events ("
	" id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
	" audit_id TEXT NOT NULL UNIQUE, stage TEXT, time TEXT, verb TEXT, user TEXT, impersonated TEXT,"
	" groups TEXT, source_ip TEXT, user_agent TEXT, namespace TEXT, resource TEXT, subresource TEXT,"
	" name TEXT, code INTEGER, decision TEXT, reason TEXT, level TEXT, data_json TEXT);"
	"CREATE TABLE positions ("
	" path TEXT PRIMARY KEY, inode INTEGER, offset INTEGER, hash TEXT, updated TEXT);"
	"CREATE TABLE attachments ("
	" id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,"
	" monitor TEXT, program TEXT, attached INTEGER, detail TEXT);",

	/* v3: audit execs are linked with the kernel execs of the same pod (auditor/correlate.c) */
	"CREATE INDEX events_pod_time ON events(namespace, pod, time);",

	/* v4: the hash chain (store/chain.h, docs/evidence.md). No foreign key to runs: a seal
	 * outlives a deleted run so that verify can name it. A store that already holds data gets
	 * a checkpoint at position 0 marked 'adopt': the next read-write open seals it as found. */
	"CREATE TABLE seals ("
	" pos INTEGER PRIMARY KEY, kind TEXT NOT NULL, run_id INTEGER, sealed TEXT NOT NULL,"
	" content TEXT NOT NULL, rows TEXT, prev TEXT NOT NULL, link TEXT NOT NULL, key TEXT, sig TEXT);"
	"CREATE INDEX seals_run ON seals(run_id);"
	"CREATE TABLE checkpoints ("
	" pos INTEGER PRIMARY KEY, link TEXT NOT NULL, pruned TEXT NOT NULL, runs INTEGER, seals INTEGER,"
	" key TEXT, sig TEXT);"
	"INSERT INTO checkpoints(pos, link, pruned, runs, seals) SELECT 0, 'adopt', '', 0, 0"
	" WHERE EXISTS (SELECT 1 FROM runs) OR EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM findings)"
	" OR EXISTS (SELECT 1 FROM gaps) OR EXISTS (SELECT 1 FROM audit_events) OR EXISTS (SELECT 1 FROM attachments);",
	/* v5: observed TCP flows, aggregated (bpf/flows.c writes, remediation reads) */
	"CREATE TABLE flows ("
	" id INTEGER PRIMARY KEY, cluster TEXT NOT NULL DEFAULT '', node TEXT, run_id INTEGER,"
	" src_key TEXT NOT NULL, src_kind TEXT, src_namespace TEXT, src_workload TEXT, src_pod TEXT, src_addr TEXT,"
	" dst_key TEXT NOT NULL, dst_kind TEXT, dst_namespace TEXT, dst_workload TEXT, dst_pod TEXT, dst_addr TEXT,"
	" port INTEGER NOT NULL, protocol TEXT NOT NULL, count INTEGER NOT NULL,"
	" first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);"
	"CREATE UNIQUE INDEX flows_key ON flows(cluster, src_key, dst_key, port, protocol);"
	"CREATE INDEX flows_last ON flows(cluster, last_seen);",
	/* v6: threshold-rule state of the audit-log rules (auditlog/proc.c), kept across restarts */
	"CREATE TABLE audit_rule_state ("
	" rule TEXT NOT NULL, user TEXT NOT NULL, times TEXT NOT NULL, fired INTEGER NOT NULL,"
	" PRIMARY KEY(rule, user));",
};

/* The same tables for PostgreSQL: 64-bit ids from identity columns, DOUBLE PRECISION for
 * durations, reserved words quoted. The version lives in kc_schema (no user_version). */
static const char *const pg_migrations[] = {
	/* v1 */
	"CREATE TABLE runs ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" kind TEXT NOT NULL DEFAULT 'audit',"
	" host TEXT, cluster TEXT, benchmark TEXT, k8s_version TEXT, targets TEXT, root TEXT,"
	" tool_version TEXT, started TEXT NOT NULL, finished TEXT);"
	"CREATE INDEX runs_host_bench ON runs(host, benchmark, id);"
	"CREATE TABLE results ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, check_id TEXT NOT NULL, title TEXT, section TEXT, section_title TEXT,"
	" target TEXT, type TEXT, level INTEGER, scored INTEGER, severity TEXT, status TEXT NOT NULL,"
	" expected TEXT, actual TEXT, reason TEXT, exception TEXT, remediation TEXT,"
	" duration_ms DOUBLE PRECISION);"
	"CREATE INDEX results_run ON results(run_id, seq);"
	"CREATE TABLE evidence ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" result_id BIGINT NOT NULL REFERENCES results(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, kind TEXT NOT NULL, source TEXT, line BIGINT, key TEXT, value TEXT,"
	" layer TEXT, detail TEXT, pid BIGINT, has_stat INTEGER, mode BIGINT, owner TEXT, grp TEXT,"
	" sha256 TEXT, obj_kind TEXT, obj_namespace TEXT, obj_name TEXT);"
	"CREATE INDEX evidence_result ON evidence(result_id, seq);",

	/* v2 */
	"CREATE TABLE events ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" run_id BIGINT REFERENCES runs(id) ON DELETE CASCADE,"
	" time TEXT NOT NULL, source TEXT NOT NULL, type TEXT NOT NULL, pid BIGINT, ppid BIGINT,"
	" uid BIGINT, comm TEXT, path TEXT, pod_uid TEXT, container_id TEXT, namespace TEXT, pod TEXT,"
	" data_json TEXT);"
	"CREATE INDEX events_run_time ON events(run_id, time);"
	"CREATE TABLE findings ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" run_id BIGINT REFERENCES runs(id) ON DELETE CASCADE,"
	" time TEXT NOT NULL, source TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT, cis TEXT,"
	" summary TEXT, data_json TEXT);"
	"CREATE INDEX findings_run ON findings(run_id, time);"
	"CREATE TABLE gaps ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" run_id BIGINT REFERENCES runs(id) ON DELETE CASCADE,"
	" monitor TEXT NOT NULL, start TEXT NOT NULL, \"end\" TEXT NOT NULL, seen BIGINT, sent BIGINT,"
	" lost BIGINT, detail TEXT);"
	"CREATE TABLE audit_events ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" run_id BIGINT REFERENCES runs(id) ON DELETE SET NULL,"
	" audit_id TEXT NOT NULL UNIQUE, stage TEXT, time TEXT, verb TEXT, \"user\" TEXT,"
	" impersonated TEXT, groups TEXT, source_ip TEXT, user_agent TEXT, namespace TEXT, resource TEXT,"
	" subresource TEXT, name TEXT, code INTEGER, decision TEXT, reason TEXT, level TEXT,"
	" data_json TEXT);"
	"CREATE TABLE positions ("
	" path TEXT PRIMARY KEY, inode BIGINT, \"offset\" BIGINT, hash TEXT, updated TEXT);"
	"CREATE TABLE attachments ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" run_id BIGINT REFERENCES runs(id) ON DELETE CASCADE,"
	" monitor TEXT, program TEXT, attached INTEGER, detail TEXT);",

	/* v3 */
	"CREATE INDEX events_pod_time ON events(namespace, pod, time);",

	/* v4 */
	"CREATE TABLE seals ("
	" pos BIGINT PRIMARY KEY, kind TEXT NOT NULL, run_id BIGINT, sealed TEXT NOT NULL,"
	" content TEXT NOT NULL, \"rows\" TEXT, prev TEXT NOT NULL, link TEXT NOT NULL, key TEXT, sig TEXT);"
	"CREATE INDEX seals_run ON seals(run_id);"
	"CREATE TABLE checkpoints ("
	" pos BIGINT PRIMARY KEY, link TEXT NOT NULL, pruned TEXT NOT NULL, runs BIGINT, seals BIGINT,"
	" key TEXT, sig TEXT);"
	"INSERT INTO checkpoints(pos, link, pruned, runs, seals) SELECT 0, 'adopt', '', 0, 0"
	" WHERE EXISTS (SELECT 1 FROM runs) OR EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM findings)"
	" OR EXISTS (SELECT 1 FROM gaps) OR EXISTS (SELECT 1 FROM audit_events) OR EXISTS (SELECT 1 FROM attachments);",
	/* v5 */
	"CREATE TABLE flows ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, cluster TEXT NOT NULL DEFAULT '', node TEXT, run_id BIGINT,"
	" src_key TEXT NOT NULL, src_kind TEXT, src_namespace TEXT, src_workload TEXT, src_pod TEXT, src_addr TEXT,"
	" dst_key TEXT NOT NULL, dst_kind TEXT, dst_namespace TEXT, dst_workload TEXT, dst_pod TEXT, dst_addr TEXT,"
	" port BIGINT NOT NULL, protocol TEXT NOT NULL, count BIGINT NOT NULL,"
	" first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);"
	"CREATE UNIQUE INDEX flows_key ON flows(cluster, src_key, dst_key, port, protocol);"
	"CREATE INDEX flows_last ON flows(cluster, last_seen);",
	/* v6 */
	"CREATE TABLE audit_rule_state ("
	" rule TEXT NOT NULL, \"user\" TEXT NOT NULL, times TEXT NOT NULL, fired BIGINT NOT NULL,"
	" PRIMARY KEY(rule, \"user\"));",
};

_Static_assert(sizeof(sqlite_migrations) == sizeof(pg_migrations), "one migration per version on both backends");
#define NMIG ((int)(sizeof(sqlite_migrations) / sizeof(*sqlite_migrations)))

const char *kc_store_sqlite_migration(int version)
{
	return version < 1 || version > NMIG ? NULL : sqlite_migrations[version - 1];
}

const char *kc_store_pg_migration(int version)
{
	return version < 1 || version > NMIG ? NULL : pg_migrations[version - 1];
}

int kc_store_migration_count(void)
{
	return NMIG;
}
