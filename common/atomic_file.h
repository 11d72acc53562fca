/* Report files appear whole or not at all. Where the filesystem allows it (Linux 3.11+:
 * ext4, xfs, btrfs, tmpfs) the report is written to an unnamed O_TMPFILE in the target's
 * directory and given its name with linkat only when complete: a crash or `kill -9` leaves
 * nothing behind. Elsewhere a named "<path>.tmp-XXXXXX" is written under an flock and renamed;
 * the next kc_atomic_open of the same path removes such temporaries whose writer is gone
 * (their lock is free), so none is left forever. */
#ifndef KC_ATOMIC_FILE_H
#define KC_ATOMIC_FILE_H

#include <stdio.h>

struct kc_atomic_file {
	FILE *fp;          /* write here */
	char *path;        /* final name */
	char *tmp;         /* temporary name; NULL while the file is an unnamed O_TMPFILE */
};

int kc_atomic_open(struct kc_atomic_file *af, const char *path);
/* Flushes, fsyncs and gives the file its name; on any error removes what it wrote. */
int kc_atomic_commit(struct kc_atomic_file *af);
/* Drops the unfinished file; safe to call after commit (does nothing then). */
void kc_atomic_abort(struct kc_atomic_file *af);
/* Writes len bytes of data to path atomically. */
int kc_atomic_write(const char *path, const void *data, size_t len);
/* Removes "<path>.tmp-XXXXXX" files left by writers that died (nobody holds their lock).
 * Returns how many were removed. Called by kc_atomic_open. */
int kc_atomic_clean_stale(const char *path);

#endif
