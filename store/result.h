/* What a check yields: a status, expected vs actual, and the evidence that decided it.
 * A result owns copies of its check's metadata so a stored run can be rendered without the
 * policies that produced it (policies change; evidence must not). */
#ifndef KC_RESULT_H
#define KC_RESULT_H

#include <stddef.h>

enum kc_status { KC_PASS, KC_FAIL, KC_WARN, KC_SKIP, KC_ERROR, KC_STATUS_COUNT };

enum kc_severity { KC_SEV_INFO, KC_SEV_LOW, KC_SEV_MEDIUM, KC_SEV_HIGH, KC_SEV_CRITICAL };

const char *kc_status_name(enum kc_status s);          /* "PASS" ... */
int kc_status_parse(const char *s, enum kc_status *out); /* 0 or KC_EINVAL */
const char *kc_severity_name(enum kc_severity s);        /* "low" ... */
int kc_severity_parse(const char *s, enum kc_severity *out);

enum kc_evidence_kind {
	KC_EV_PROCESS,  /* a running process: pid + redacted command line */
	KC_EV_FILE,     /* a file: path, mode, owner, group, sha256 */
	KC_EV_CONFIG,   /* a setting read from a config source: source file, key, line, layer */
	KC_EV_DEFAULT,  /* nothing set: the component's default applied */
	KC_EV_OBJECT,   /* a cluster object: kind, namespace, name, source/API path, field, value */
	KC_EV_NOTE,     /* free text: why a check is manual, what to look at */
	KC_EV_KIND_COUNT
};
const char *kc_evidence_kind_name(enum kc_evidence_kind k); /* "process", "file", ... */
int kc_evidence_kind_parse(const char *s, enum kc_evidence_kind *out);

/* Every string is owned by the evidence and already redacted (see common/redact.h). Unused
 * fields are NULL / 0. */
struct kc_evidence {
	enum kc_evidence_kind kind;
	char *source;   /* file path, "/proc/<pid>/cmdline", manifest path, API URL */
	long line;      /* 1-based line within source, 0 when unknown */
	char *key;      /* flag name, config key, object field path */
	char *value;    /* the value found (redacted) */
	char *layer;    /* which layer decided a setting: "process", "static-pod", "systemd", "config-file", "default" */
	char *detail;   /* one human sentence */
	long pid;       /* process evidence */
	int has_stat;   /* file evidence: the next four are valid */
	unsigned mode;  /* permission bits incl. file type bits of st_mode */
	char *owner;    /* user name (or numeric id when unknown in the audited root) */
	char *group;
	char *sha256;   /* hex digest of regular files, NULL otherwise */
	char *obj_kind; /* object evidence */
	char *obj_namespace;
	char *obj_name;
};

struct kc_result {
	/* copied from the check */
	char *id;          /* benchmark's own id, e.g. "1.2.15" */
	char *title;
	char *section;     /* "1.2" */
	char *section_title;
	char *target;      /* master, controlplane, etcd, node, policies */
	char *type;        /* automated, manual */
	int level;
	int scored;
	enum kc_severity severity;
	char *remediation;
	/* outcome */
	enum kc_status status;
	char *expected;    /* human form: "--profiling is false" */
	char *actual;      /* human form: "--profiling is not set (default true)" */
	char *reason;      /* why WARN/SKIP/ERROR; NULL for PASS/FAIL */
	char *exception;   /* set when a documented exception turned a FAIL into PASS */
	double duration_ms;
	struct kc_evidence *evidence;
	size_t nevidence, evidence_cap;
};

/* Adds an evidence row and returns it zeroed, with kind set; strings are filled by the caller
 * with kc_strdup or by the helpers below. */
struct kc_evidence *kc_result_add_evidence(struct kc_result *r, enum kc_evidence_kind kind);
struct kc_evidence *kc_result_note(struct kc_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A setting read from a config source; value is redacted by its key (common/redact.h). */
struct kc_evidence *kc_result_add_config(struct kc_result *r, const char *source, const char *key,
					 const char *value, long line, const char *layer, const char *detail);
void kc_result_set_actual(struct kc_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kc_result_set_expected(struct kc_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kc_result_set_reason(struct kc_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Applies common/redact.h to every text of r and its evidence (a secret-named key's value
 * becomes <redacted>, credential-looking text anywhere is masked). Idempotent. */
struct kc_redact_memo;
/* memo (may be NULL): texts of the run already found clean, scanned once (common/redact.h) */
void kc_result_redact(struct kc_result *r, struct kc_redact_memo *memo);

void kc_evidence_clear(struct kc_evidence *ev);
void kc_evidence_copy(struct kc_evidence *dst, const struct kc_evidence *src);
void kc_result_clear(struct kc_result *r);   /* frees everything inside, not r */
void kc_result_copy(struct kc_result *dst, const struct kc_result *src);

#endif
