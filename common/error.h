/* Errors are returned as negative codes; the message that explains them is kept beside,
 * per thread, as libgit2 does (git_error_last). Library code never prints: only the
 * subcommand's entry point reads kc_error_last() and chooses the exit code.
 *
 * One code space: -1 .. -KC_ERRNO_MAX are -errno values (the kernel's MAX_ERRNO), returned
 * as they are by the code that opens files (checks/fsroot.c); the project's own codes lie
 * far below, so a project code can never be mistaken for an errno (once KC_EINVAL was -2,
 * i.e. -ENOENT, and a file that did not parse was taken for a missing one). */
#ifndef KC_ERROR_H
#define KC_ERROR_H

#define KC_ERRNO_MAX 4095

enum kc_errcode {
	KC_OK = 0,
	KC_EGENERIC = -10001, /* anything else; message says what */
	KC_EINVAL = -10002,   /* bad input: file:line:column: what was expected */
	KC_ENOTFOUND = -10003,
	KC_EIO = -10004,      /* system call failed: message carries strerror */
	KC_EUNSAFE = -10005,  /* refused: symlink, path escape, invalid name */
	KC_EDB = -10006,      /* evidence store */
};

/* Is rc a -errno value (as opposed to a project code)? */
static inline int kc_error_is_errno(int rc)
{
	return rc < 0 && rc >= -KC_ERRNO_MAX;
}

/* A short name for any code of the space: "EINVAL (bad input)", "ENOENT", ... (static). */
const char *kc_error_name(int rc);

int kc_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like kc_error_set, appending ": strerror(errnum)". */
int kc_error_set_errno(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends context ("loading policies: ") to the current message; returns code. */
int kc_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *kc_error_last(void);
void kc_error_clear(void);

#endif
