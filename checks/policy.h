/* Checks as data: the in-memory form of the YAML files under policies/<benchmark>/, and its loader.
 * Format: docs/policy-format.md. The loader rejects unknown keys, unknown operators, wrong
 * types and duplicate ids with "file:line:column: what was expected". */
#ifndef KC_POLICY_H
#define KC_POLICY_H

#include <regex.h>
#include <stddef.h>

#include "store/result.h"

enum kc_fact_kind {
	KC_FACT_FLAG,     /* flag: "kube-apiserver --profiling" */
	KC_FACT_SETTING,  /* setting: {component, flag, config}: flag beats config file beats default */
	KC_FACT_ENV,      /* env: "etcd ETCD_CERT_FILE": a variable of the component's environment */
	KC_FACT_FILE,     /* file: PATH | {flag: "kubelet --kubeconfig", path: default} */
	KC_FACT_FILES,    /* files: {dir, glob, recursive}: every match must satisfy */
	KC_FACT_CONTENT,  /* content: {file: ..., key: a.b.c}: a value inside a YAML/JSON file */
	KC_FACT_QUERY,    /* query: NAME: a named evaluator (cluster objects, derived facts) */
	KC_FACT_COUNT
};

enum kc_op {
	KC_OP_NONE,      /* manual: nothing to compare */
	KC_OP_PRESENT,   /* present: true|false */
	KC_OP_EQ, KC_OP_NEQ,
	KC_OP_GTE, KC_OP_LTE,          /* integers (durations in seconds, "30s"/"5m"/"1h" accepted) */
	KC_OP_HAS, KC_OP_HAS_NOT,      /* item of a comma list ("Node,RBAC"); "Name=false" items too */
	KC_OP_SUBSET,                  /* every item of the comma list is in the allowed list */
	KC_OP_REGEX,
	KC_OP_MODE_MAX,                /* "600": no permission bit outside the mask */
	KC_OP_OWNER,                   /* "root:root" or "root" */
	KC_OP_COUNT
};

struct kc_test {
	enum kc_fact_kind fact;
	char *component;   /* FLAG, SETTING, ENV; FILE when named by a flag */
	char *flag;        /* without leading dashes */
	char *config_key;  /* SETTING, CONTENT: dotted path */
	char *path;        /* FILE: the path (or the default when named by a flag); CONTENT: file */
	int want_dir;      /* FILE: the path is a directory (type: directory); else a regular file */
	char *unit;        /* FILE: a systemd unit whose files in effect are judged ("kubelet.service") */
	char *dir, *glob;  /* FILES */
	int recursive;
	int only_files;    /* FILES: skip directories */
	char *query;       /* QUERY */
	enum kc_op op;
	char *value;       /* operand as written */
	long long num;     /* GTE/LTE operand */
	unsigned mode;     /* MODE_MAX operand */
	regex_t re;        /* REGEX operand (compiled) */
	int has_re;
	char *defval;      /* value the component assumes when unset; NULL = no default */
	enum kc_status missing; /* status when a FILE/FILES target does not exist (default FAIL) */
	int missing_set;
	long line, column;
};

struct kc_check {
	char *id, *title, *section, *section_title, *target, *type;
	int level, scored;
	enum kc_severity severity;
	char *manual;       /* what to look at when it cannot be decided */
	char *remediation;
	char **references;
	size_t nreferences;
	struct kc_test *tests;
	size_t ntests;
	int match_any;      /* match: any (default all) */
	char *file;         /* where it was defined */
	long line;
};

struct kc_policy_set {
	char *benchmark;    /* e.g. "cis-1.12" */
	char *title;
	struct kc_check *checks;
	size_t nchecks, checks_cap;
};

/* Loads every *.yaml of dir (sorted by name) into set; a set may be filled from several
 * directories (--policy-dir adds to the benchmark). Duplicate ids across files are errors. */
int kc_policy_load_dir(struct kc_policy_set *set, const char *dir);
int kc_policy_load_file(struct kc_policy_set *set, const char *path);
/* Same, from memory (tests, fuzzing); name is used in messages. */
int kc_policy_load_buffer(struct kc_policy_set *set, const char *name, const char *data, size_t len);
void kc_policy_set_clear(struct kc_policy_set *set);
const struct kc_check *kc_policy_find(const struct kc_policy_set *set, const char *id);

/* Selection by id or section prefix: "1.2" selects 1.2.x, "1.2.1" selects only 1.2.1
 * (not 1.2.10). Comma lists. */
int kc_check_selected(const struct kc_check *c, const char *include, const char *exclude);

const char *kc_op_name(enum kc_op op);
/* Integers or Go durations ("1h30m", "5m", "30s") in seconds. */
int kc_policy_parse_duration(const char *s, long long *out);

#endif
