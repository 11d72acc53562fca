/* Runtime rules: policies/runtime/bpf-rules.yaml, data like the checks. Each rule names one
 * event kind and conditions that must all hold; see docs/bpf.md for the keys. The rules see
 * a normalised view of an event (struct kc_bpf_rule_input), not the BPF structs, so they can be
 * tested without a kernel. */
#ifndef KC_BPF_RULES_H
#define KC_BPF_RULES_H

#include <stddef.h>

#include "store/result.h"

struct kc_bpf_rule_input {
	const char *event;       /* "exec", "open", "open-denied" (a refused open), "syscall" */
	int in_container;        /* the process is in a pod's container cgroup */
	int is_init;             /* pid 1 of its pid namespace (a container's own init) */
	const char *exe;         /* exec: basename of the executed file */
	const char *comm;        /* the process's name (after exec for exec events) */
	const char *parent;      /* parent's name */
	const char *cls;         /* open: watch-list class */
	int owner;               /* open: the process is one of the file's owners */
	int write;               /* open: for writing, creating or truncating */
	const char *syscall;     /* syscall: its name */
	int memfd;               /* exec: the executable was a memfd */
	int setid;               /* exec: the file is set-user-ID or set-group-ID */
	int deleted;             /* exec: the file had no name left (unlinked) */
	int from_tmp;            /* exec: the file lies below /tmp, /var/tmp or /dev/shm */
	int to_root;             /* syscall: a set*id call that made a non-root process root */
	int ptrace_attach;       /* syscall: ptrace that attaches to or writes another process */
};

/* A condition on a string: any glob of a list matches (or, negated, none does). */
struct kc_bpf_rule_list {
	char **globs;
	size_t n;
};

struct kc_bpf_rule {
	char *id, *summary, *cis;    /* cis NULL when no CIS control applies */
	enum kc_severity severity;
	char *event;
	int in_container, not_init, not_owner, write, memfd; /* -1 = no condition */
	int setid, deleted, from_tmp, to_root, ptrace_attach;
	struct kc_bpf_rule_list exe, exe_not, comm, comm_not, parent, parent_not, cls, syscall;
};

struct kc_bpf_rules {
	struct kc_bpf_rule *v;
	size_t n, cap;
};

#define KC_BPF_RULES_INIT { NULL, 0, 0 }

/* Parses a rules document; errors are "name:line:column: what was expected" (KC_EINVAL). */
int kc_bpf_rules_parse(const char *name, const char *data, size_t len, struct kc_bpf_rules *out);
int kc_bpf_rules_load(const char *path, struct kc_bpf_rules *out);
void kc_bpf_rules_clear(struct kc_bpf_rules *r);
int kc_bpf_rules_match_one(const struct kc_bpf_rule *r, const struct kc_bpf_rule_input *in);

#endif
