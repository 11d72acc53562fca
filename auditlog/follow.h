/* The audit-log file follower: `tail -F` with exactly-once delivery into the store.
 * The read position (inode, offset of the first unread byte, hash of the bytes before it)
 * is written in the SAME transaction as the events it covers, so a crash at any moment
 * neither loses nor repeats an event. Survives rename-and-create rotation (the API server's
 * own: the old file is drained, also when the rename happened while we were down and the
 * old file is still in the same directory) and copytruncate (logrotate: the same inode
 * shrinks, reading restarts at 0). A partial last line is left for the next read. */
#ifndef KC_AUDITLOG_FOLLOW_H
#define KC_AUDITLOG_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "auditlog/proc.h"
#include "store/store.h"

struct kc_auditlog_follow_opts {
	const char *path;
	int once;               /* read what is there (and any rotated remainder) and return */
	double duration;        /* seconds; 0 = until stopping() */
	int (*stopping)(void);  /* polled between reads; NULL = never */
	unsigned poll_ms;       /* sleep at end of file; 0 = 100 */
	size_t chunk;           /* bytes read per batch (one transaction); 0 = 4 MiB */
	int64_t run_id;         /* for gap records */
};

/* Follows o->path, feeding every complete line to proc inside batch transactions on st.
 * Returns 0 when done (once, duration, stopping), negative on a store or I/O error. */
int kc_auditlog_follow(struct kc_store *st, struct kc_auditlog_proc *proc,
		       const struct kc_auditlog_follow_opts *o);

#endif
