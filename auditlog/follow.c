/* The audit-log follower (see follow.h). */
#include "auditlog/follow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "store/run.h"
#include "common/error.h"
#include "common/strbuf.h"

/* The position's hash covers this many bytes before the offset (the last line or more):
 * enough to tell "the same file, grown" from "truncated and written again". */
#define WINDOW 4096
/* A line longer than this is skipped (counted malformed): the API server never writes one. */
#define MAX_LINE (8u << 20)

struct follower {
	struct kc_store *st;
	struct kc_auditlog_proc *proc;
	const struct kc_auditlog_follow_opts *o;
	int fd;
	uint64_t ino;
	uint64_t offset;         /* first byte not yet consumed */
	uint64_t read_off;       /* offset + pending.len */
	struct kc_buf pending;   /* bytes read, not yet consumed */
	unsigned char tail[WINDOW];
	size_t ntail;            /* consumed bytes just before offset */
	int skipping;            /* inside an oversized line */
	char *chunk;
	size_t chunk_len;
};

static void hash_hex(const void *p, size_t n, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)kc_auditlog_hash(p, n));
}

static void tail_add(struct follower *f, const char *p, size_t n)
{
	if (n >= WINDOW) {
		memcpy(f->tail, p + n - WINDOW, WINDOW);
		f->ntail = WINDOW;
		return;
	}
	if (f->ntail + n > WINDOW) {
		size_t drop = f->ntail + n - WINDOW;
		memmove(f->tail, f->tail + drop, f->ntail - drop);
		f->ntail -= drop;
	}
	memcpy(f->tail + f->ntail, p, n);
	f->ntail += n;
}

/* Hash of the window before off in fd; -1 when it cannot be read whole. */
static int window_hash(int fd, uint64_t off, char out[17])
{
	unsigned char buf[WINDOW];
	size_t n = off < WINDOW ? (size_t)off : WINDOW;
	if (n && pread(fd, buf, n, (off_t)(off - n)) != (ssize_t)n)
		return -1;
	hash_hex(buf, n, out);
	return 0;
}

static int put_position(struct follower *f)
{
	char h[17];
	hash_hex(f->tail, f->ntail, h);
	char *now = kc_time_now_rfc3339();
	int rc = kc_store_position_put(f->st, f->o->path, f->ino, f->offset, h, now);
	free(now);
	return rc;
}

/* Feeds the complete lines of pending to the processor and advances the position, all in one
 * transaction. final: the file will not grow (rotated away), so a last partial line counts. */
static int batch(struct follower *f, int final)
{
	const char *p = f->pending.ptr;
	size_t len = f->pending.len, pos = 0;
	int rc = 0, began = 0;
	for (;;) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) + 1 : len;
		if (!nl && !(final && end > pos) && !(f->skipping || end - pos > MAX_LINE))
			break;
		if (end == pos)
			break;
		if (!began) {
			if ((rc = kc_store_begin(f->st)) < 0)
				return rc;
			began = 1;
		}
		if (f->skipping || end - pos > MAX_LINE) {
			/* an oversized line: consumed without being read, up to its end */
			f->skipping = !nl;
		} else if ((rc = kc_auditlog_proc_line(f->proc, p + pos, end - pos)) < 0) {
			goto fail;
		}
		tail_add(f, p + pos, end - pos);
		f->offset += end - pos;
		pos = end;
	}
	if (!began)
		return 0;
	if ((rc = put_position(f)) < 0 || (rc = kc_store_commit(f->st)) < 0)
		goto fail;
	memmove(f->pending.ptr, p + pos, len - pos);
	kc_buf_truncate(&f->pending, len - pos);
	return 0;
fail:
	kc_store_rollback(f->st);
	return rc;
}

static void reset_to(struct follower *f, uint64_t off)
{
	f->offset = f->read_off = off;
	kc_buf_reset(&f->pending);
	f->ntail = 0;
	f->skipping = 0;
	if (off) {
		size_t n = off < WINDOW ? (size_t)off : WINDOW;
		if (pread(f->fd, f->tail, n, (off_t)(off - n)) == (ssize_t)n)
			f->ntail = n;
	}
}

/* Reads everything available into pending and hands complete lines over. */
static int read_available(struct follower *f, int final, int *got)
{
	*got = 0;
	for (;;) {
		ssize_t n = pread(f->fd, f->chunk, f->chunk_len, (off_t)f->read_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kc_error_set_errno(errno, "reading %s", f->o->path);
		}
		if (n == 0)
			return final ? batch(f, 1) : 0;
		*got = 1;
		kc_buf_add(&f->pending, f->chunk, (size_t)n);
		f->read_off += (uint64_t)n;
		int rc = batch(f, 0);
		if (rc < 0)
			return rc;
		if (f->o->stopping && f->o->stopping() && !final)
			return 0;
	}
}

static int open_current(struct follower *f)
{
	int fd = open(f->o->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->ino = (uint64_t)sb.st_ino;
	reset_to(f, 0);
	return 0;
}

/* A file in the log's directory with this inode: the log, renamed while we were away. */
static int find_rotated(const char *path, uint64_t ino)
{
	char *dir = kc_strdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	DIR *d = opendir(slash ? dir : ".");
	int fd = -1;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) && fd < 0) {
			struct stat sb;
			if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(sb.st_mode) && (uint64_t)sb.st_ino == ino)
				fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		}
		closedir(d);
	}
	free(dir);
	return fd;
}

static int write_position_now(struct follower *f)
{
	int rc = kc_store_begin(f->st);
	if (rc < 0)
		return rc;
	if ((rc = put_position(f)) < 0 || (rc = kc_store_commit(f->st)) < 0)
		kc_store_rollback(f->st);
	return rc;
}

static int add_gap(struct follower *f, const char *detail)
{
	struct kc_gap g = { 0 };
	char *now = kc_time_now_rfc3339();
	g.monitor = (char *)"audit:file";
	g.start = g.end = now;
	g.detail = (char *)detail;
	int rc = f->o->run_id ? kc_store_add_gap(f->st, f->o->run_id, &g) : 0;
	free(now);
	return rc;
}

/* Where to start: the stored position when it still describes this file (or its renamed
 * predecessor, which is drained first), else the beginning. */
static int resume(struct follower *f)
{
	int found;
	uint64_t ino, off;
	char want[17];
	int rc = kc_store_position_get(f->st, f->o->path, &found, &ino, &off, want);
	if (rc < 0 || !found)
		return rc;
	char have[17];
	if (ino == f->ino) {
		if (window_hash(f->fd, off, have) == 0 && strcmp(have, want) == 0)
			reset_to(f, off);
		/* else: truncated or replaced in place; everything in it is new */
		return 0;
	}
	int old = find_rotated(f->o->path, ino);
	if (old < 0 || window_hash(old, off, have) != 0 || strcmp(have, want) != 0) {
		if (old >= 0)
			close(old);
		char detail[160];
		snprintf(detail, sizeof(detail),
			 "rotated log (inode %llu) not found beside %s: events after offset %llu were not read",
			 (unsigned long long)ino, f->o->path, (unsigned long long)off);
		rc = kc_store_begin(f->st);
		if (rc == 0 && (rc = add_gap(f, detail)) == 0 && (rc = put_position(f)) == 0)
			rc = kc_store_commit(f->st);
		if (rc < 0)
			kc_store_rollback(f->st);
		return rc;
	}
	/* drain the predecessor from the stored position, then start the current file at 0 */
	int cur = f->fd;
	uint64_t cur_ino = f->ino;
	f->fd = old;
	f->ino = ino;
	reset_to(f, off);
	int got;
	rc = read_available(f, 1, &got);
	close(old);
	f->fd = cur;
	f->ino = cur_ino;
	reset_to(f, 0);
	return rc < 0 ? rc : write_position_now(f);
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* At end of file: has the log been rotated or truncated under us? */
static int check_rotation(struct follower *f, int *changed)
{
	*changed = 0;
	struct stat sb;
	if (stat(f->o->path, &sb) != 0)
		return 0; /* renamed, not yet recreated: keep the old file */
	if ((uint64_t)sb.st_ino != f->ino) {
		/* rename-and-create: whatever the writer added to the old file before closing it */
		int got, rc = read_available(f, 1, &got);
		if (rc < 0)
			return rc;
		if ((rc = open_current(f)) < 0)
			return rc == -ENOENT ? 0 : kc_error_set_errno(-rc, "opening %s", f->o->path);
		*changed = 1;
		return write_position_now(f);
	}
	char have[17], want[17];
	hash_hex(f->tail, f->ntail, want);
	if ((uint64_t)sb.st_size < f->read_off ||
	    (f->offset && (window_hash(f->fd, f->offset, have) != 0 || strcmp(have, want) != 0))) {
		/* copytruncate: the same inode restarted from nothing */
		reset_to(f, 0);
		*changed = 1;
		return write_position_now(f);
	}
	return 0;
}

int kc_auditlog_follow(struct kc_store *st, struct kc_auditlog_proc *proc, const struct kc_auditlog_follow_opts *o)
{
	struct follower f = { .st = st, .proc = proc, .o = o, .fd = -1, .pending = KC_BUF_INIT };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	f.chunk_len = o->chunk ? o->chunk : (4u << 20);
	f.chunk = kc_xmalloc(f.chunk_len);
	unsigned poll_ms = o->poll_ms ? o->poll_ms : 100;
	int rc;
	/* the log may not exist yet (API server starting): wait for it unless --once */
	while ((rc = open_current(&f)) < 0) {
		if (o->once || (o->stopping && o->stopping()) || (o->duration > 0 && elapsed(&t0) >= o->duration)) {
			rc = kc_error_set_errno(-rc, "opening %s", o->path);
			goto out;
		}
		usleep(poll_ms * 1000);
	}
	if ((rc = resume(&f)) < 0)
		goto out;
	for (;;) {
		int got, changed;
		if ((rc = read_available(&f, 0, &got)) < 0)
			goto out;
		if ((o->stopping && o->stopping()) || (o->duration > 0 && elapsed(&t0) >= o->duration))
			break;
		if ((rc = check_rotation(&f, &changed)) < 0)
			goto out;
		if (changed)
			continue;
		if (o->once)
			break;
		usleep(poll_ms * 1000);
	}
	rc = 0;
out:
	if (f.fd >= 0)
		close(f.fd);
	kc_buf_free(&f.pending);
	free(f.chunk);
	return rc;
}
