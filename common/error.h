/* Errors are returned as negative codes; the message that explains them is kept beside,
 * per thread, as libgit2 does (git_error_last). Library code never prints: only the
 * subcommand's entry point reads kc_error_last() and chooses the exit code. */
#ifndef KC_ERROR_H
#define KC_ERROR_H

enum kc_errcode {
	KC_OK = 0,
	KC_EGENERIC = -1,   /* anything else; message says what */
	KC_EINVAL = -2,     /* bad input: file:line:column: what was expected */
	KC_ENOTFOUND = -3,
	KC_EIO = -4,        /* system call failed: message carries strerror */
	KC_EUNSAFE = -5,    /* refused: symlink, path escape, invalid name */
	KC_EDB = -6,        /* evidence store */
};

int kc_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like kc_error_set, appending ": strerror(errnum)". */
int kc_error_set_errno(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends context ("loading policies: ") to the current message; returns code. */
int kc_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *kc_error_last(void);
void kc_error_clear(void);

#endif
