/* Schema migrations, applied in order inside one transaction each. A migration is never
 * edited once released: a new one is appended and KC_STORE_SCHEMA_VERSION raised. */
#include "auditor/store_schema.h"

#include <stddef.h>

static const char *const migrations[] = {
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
	 * must outlive a deleted run so that verify can name it. */
	"CREATE TABLE seals ("
	" pos INTEGER PRIMARY KEY, kind TEXT NOT NULL, run_id INTEGER, sealed TEXT NOT NULL,"
	" content TEXT NOT NULL, rows BLOB, prev TEXT NOT NULL, link TEXT NOT NULL, key TEXT, sig TEXT);"
	"CREATE INDEX seals_run ON seals(run_id);"
	"CREATE TABLE checkpoints ("
	" pos INTEGER PRIMARY KEY, link TEXT NOT NULL, pruned TEXT NOT NULL, runs INTEGER, seals INTEGER,"
	" key TEXT, sig TEXT);",
};

const char *kc_store_migration(int version)
{
	if (version < 1 || version > (int)(sizeof(migrations) / sizeof(*migrations)))
		return NULL;
	return migrations[version - 1];
}

int kc_store_migration_count(void)
{
	return (int)(sizeof(migrations) / sizeof(*migrations));
}
