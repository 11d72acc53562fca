/* Report files are written to a temporary name in the same directory and renamed into place
 * only when complete, so a crash or an error never leaves a half-written report. */
#ifndef KC_ATOMIC_FILE_H
#define KC_ATOMIC_FILE_H

#include <stdio.h>

struct kc_atomic_file {
	FILE *fp;          /* write here */
	char *path;        /* final name */
	char *tmp;         /* temporary name */
};

int kc_atomic_open(struct kc_atomic_file *af, const char *path);
/* Flushes, fsyncs and renames; on any error removes the temporary file. */
int kc_atomic_commit(struct kc_atomic_file *af);
/* Removes the temporary file; safe to call after commit (does nothing then). */
void kc_atomic_abort(struct kc_atomic_file *af);
/* Writes len bytes of data to path atomically. */
int kc_atomic_write(const char *path, const void *data, size_t len);

#endif
