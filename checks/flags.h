/* Command-line flags parsed the way the Kubernetes components (spf13/pflag) parse them:
 * --flag=value, --flag value, -flag=value, repeated flags (the last wins for scalars, all
 * are kept), booleans given without a value, and "--" ending the flags. */
#ifndef KC_FLAGS_H
#define KC_FLAGS_H

#include <stddef.h>

struct kc_flag {
	char *name;    /* without dashes */
	char *value;   /* NULL when given without a value (boolean true) */
	int index;     /* position in argv */
};

struct kc_flags {
	struct kc_flag *items;
	size_t n, cap;
};

/* argv[0] is the program and is skipped. Never fails. */
void kc_flags_parse(struct kc_flags *out, int argc, char *const argv[]);
/* Parses a NUL-separated buffer as /proc/<pid>/cmdline holds it. */
void kc_flags_parse_cmdline(struct kc_flags *out, const char *buf, size_t len);
/* The last occurrence of name; NULL when absent. *value is "true" for bare booleans. */
const struct kc_flag *kc_flags_get(const struct kc_flags *f, const char *name);
const char *kc_flags_value(const struct kc_flags *f, const char *name);
void kc_flags_add(struct kc_flags *f, const char *name, const char *value, int index);
void kc_flags_free(struct kc_flags *f);

/* Flags whose values are secrets or carry them: shown as <redacted> in evidence. The rule
 * of common/redact.h (kc_redact_key_is_secret). */
int kc_flag_is_secret(const char *name);

#endif
