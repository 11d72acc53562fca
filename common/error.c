#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

static _Thread_local char last[2048];

int kc_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last, sizeof(last), fmt, ap);
	va_end(ap);
	return code;
}

int kc_error_set_errno(int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(last, sizeof(last), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(last))
		snprintf(last + n, sizeof(last) - (size_t)n, ": %s", strerror(errnum));
	return errnum == ENOENT ? KC_ENOTFOUND : KC_EIO;
}

int kc_error_wrap(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof(last)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last, sizeof(old));
	/* truncation of an over-long message is acceptable; the prefix matters most */
	size_t n = strlen(prefix);
	if (n > sizeof(last) - 3)
		n = sizeof(last) - 3;
	memcpy(last, prefix, n);
	memcpy(last + n, ": ", 2);
	size_t rest = sizeof(last) - n - 3;
	size_t olen = strnlen(old, rest);
	memcpy(last + n + 2, old, olen);
	last[n + 2 + olen] = '\0';
	return code;
}

const char *kc_error_last(void)
{
	return last[0] ? last : "unknown error";
}

void kc_error_clear(void)
{
	last[0] = '\0';
}

const char *kc_error_name(int rc)
{
	switch (rc) {
	case KC_OK: return "ok";
	case KC_EGENERIC: return "error";
	case KC_EINVAL: return "invalid input";
	case KC_ENOTFOUND: return "not found";
	case KC_EIO: return "I/O error";
	case KC_EUNSAFE: return "refused as unsafe";
	case KC_EDB: return "evidence store error";
	default:
		/* strerror's text for -errno; the codes above for everything else */
		return kc_error_is_errno(rc) ? strerror(-rc) : "unknown error";
	}
}
