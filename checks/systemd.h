/* A systemd service read the way systemd reads it, without systemd: the unit file found first
 * on the unit search path, its drop-ins (every <name>.d/NAME.conf from every unit directory, a later
 * directory's file of the same name masked by an earlier one, applied in file-name order),
 * line continuations, Environment= and EnvironmentFile= (a leading '-' makes a missing file
 * harmless; EnvironmentFile values override Environment= ones, as systemd documents), an
 * empty ExecStart= resetting the list, and $VAR / ${VAR} expansion of the last ExecStart.
 * Every argument remembers the file it came from, so evidence can name the drop-in or the
 * environment file that set a flag. All reads go through fsroot (no symlink is followed). */
#ifndef KC_SYSTEMD_H
#define KC_SYSTEMD_H

#include <stddef.h>

#include "checks/fsroot.h"

/* A [Service] setting other than ExecStart/Environment (e.g. IPAddressDeny), last one wins. */
struct kc_unit_setting {
	char *key, *value;
	char *file;        /* file that set it */
	long line;
};

struct kc_unit_var {
	char *name, *value;
	char *file;        /* Environment= line's file or the EnvironmentFile */
	long line;
};

struct kc_unit {
	char *name;        /* "kubelet.service" */
	char *path;        /* main unit file, NULL when only drop-ins exist */
	char *masked_by;   /* the unit file linked to /dev/null that masks the unit, else NULL */
	char **dropins;    /* applied drop-ins in order */
	size_t ndropins;
	char **envfiles;   /* EnvironmentFile= entries as written (with '-' kept), in order */
	int *envfile_err;  /* 0 or -errno per envfile (ENOENT of a '-' file is not an error) */
	size_t nenvfiles;
	struct kc_unit_var *vars;   /* effective environment, one entry per name */
	size_t nvars;
	struct kc_unit_setting *settings;
	size_t nsettings;
	char *exec_raw;    /* the winning ExecStart= value as written, continuations joined */
	char *exec_file;   /* file that set it */
	long exec_line;
	char **argv;       /* expanded, NULL-terminated; argv[0] is the program (prefixes stripped) */
	char **argv_src;   /* per argument: the file whose text produced it */
	size_t argc;
	/* parsing state: Environment= entries before EnvironmentFile= overrides are applied */
	struct kc_unit_var *pending;
	size_t npending;
};

/* Loads name (e.g. "kubelet.service") from the unit directories under root. Returns 0 when
 * a unit file or at least one drop-in was found, KC_ENOTFOUND when neither exists or when the
 * unit is masked (its first file on the search path is a link to /dev/null: masked_by). */
int kc_unit_load(struct kc_root *root, const char *name, struct kc_unit *out);
/* Applies one file's text (main unit or drop-in) to u; for tests and fuzzing. Never fails
 * on bad input: unparseable lines are skipped, as systemd skips them with a warning. */
void kc_unit_apply_text(struct kc_unit *u, const char *file, const char *data, size_t len);
/* Reads an EnvironmentFile's text into u's environment (overriding earlier values). */
void kc_unit_apply_envfile(struct kc_unit *u, const char *file, const char *data, size_t len);
/* Expands the winning ExecStart into argv with the environment gathered so far. */
void kc_unit_finish(struct kc_unit *u);
/* Value of an environment variable / [Service] setting; NULL when unset. */
const struct kc_unit_var *kc_unit_var(const struct kc_unit *u, const char *name);
const struct kc_unit_setting *kc_unit_setting(const struct kc_unit *u, const char *key);
void kc_unit_clear(struct kc_unit *u);

#endif
