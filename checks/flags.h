/* Command-line flags parsed the way the Kubernetes components parse them.
 *
 * pflag (spf13/pflag flag.go parseArgs/parseLongArg), used by every component but etcd:
 * --flag=value, --flag value (a known non-boolean flag takes the next word whatever it is),
 * booleans given without a value (NoOptDefVal "true": a boolean never takes the next word),
 * "--" ends the flags, positional words are skipped (interspersed).
 * Go's flag package (src/flag/flag.go FlagSet.parseOne), used by etcd: the same forms, but
 * parsing stops at the first positional word.
 *
 * A repeated flag is combined by its type, taken per component from the component's options
 * code (docs/node-checks.md, "Command lines"):
 *   scalar        the last occurrence wins;
 *   stringSlice   occurrences accumulate, each value split as CSV (pflag string_slice.go);
 *   stringArray   occurrences accumulate, no splitting (pflag string_array.go);
 *   map           "k=v,k2=v2" items merged, a later key wins (component-base MapStringBool,
 *                 featuregate.Set).
 * kc_flags_get/kc_flags_value give the combined value, joined with ','. */
#ifndef KC_FLAGS_H
#define KC_FLAGS_H

#include <stddef.h>

enum kc_flag_kind { KC_FLAG_SCALAR, KC_FLAG_BOOL, KC_FLAG_SLICE, KC_FLAG_ARRAY, KC_FLAG_MAP };

struct kc_flag {
	char *name;    /* without dashes */
	char *value;   /* NULL when given without a value (boolean true) */
	int index;     /* position in argv (the last occurrence for a combined value) */
	int combined;  /* 1 for the entry that combines repeated slice/array/map occurrences */
};

struct kc_flags {
	struct kc_flag *items;
	size_t n, cap;
	const char *component; /* set before parsing: selects the flag types and the dialect */
};

/* argv[0] is the program and is skipped. Never fails. */
void kc_flags_parse(struct kc_flags *out, int argc, char *const argv[]);
/* Parses a NUL-separated buffer as /proc/<pid>/cmdline holds it. */
void kc_flags_parse_cmdline(struct kc_flags *out, const char *buf, size_t len);
/* The effective value of name: the last occurrence, or the combined entry; NULL when absent.
 * *value is "true" for bare booleans. */
const struct kc_flag *kc_flags_get(const struct kc_flags *f, const char *name);
const char *kc_flags_value(const struct kc_flags *f, const char *name);
void kc_flags_add(struct kc_flags *f, const char *name, const char *value, int index);
void kc_flags_clear(struct kc_flags *f);
/* The type of a flag of a component ("kube-apiserver"); KC_FLAG_SCALAR when unknown. */
enum kc_flag_kind kc_flag_kind(const char *component, const char *name);

/* Flags whose values are secrets or carry them: shown as <redacted> in evidence. The rule
 * of common/redact.h (kc_redact_key_is_secret). */
int kc_flag_is_secret(const char *name);

#endif
