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

#include <zlib.h>

#include "store/run.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strbuf.h"

/* The position's hash covers this many bytes before the offset (the last line or more):
 * enough to tell "the same file, grown" from "truncated and written again". */
#define WINDOW 4096
/* A line longer than this is skipped (counted malformed): the API server never writes one. */
#define MAX_LINE (8u << 20)

/* What is being read: the live log (fd), or a rotated copy, plain (fd) or gzip (gz). A gzip
 * stream reads forward; a read behind its position rewinds it. */
struct src {
	int fd;
	gzFile gz;
	uint64_t pos;  /* gz: offset of the next byte gzread returns */
};

static ssize_t src_pread(struct src *s, void *buf, size_t n, uint64_t off)
{
	if (!s->gz)
		return pread(s->fd, buf, n, (off_t)off);
	if (off != s->pos) {
		if (gzseek(s->gz, (z_off_t)off, SEEK_SET) < 0)
			return -1;
		s->pos = off;
	}
	int r = gzread(s->gz, buf, (unsigned)n);
	if (r > 0)
		s->pos += (uint64_t)r;
	return r;
}

static void src_close(struct src *s)
{
	if (s->gz)
		gzclose(s->gz); /* closes the fd too */
	else if (s->fd >= 0)
		close(s->fd);
	s->gz = NULL;
	s->fd = -1;
}

struct follower {
	struct kc_store *st;
	struct kc_auditlog_proc *proc;
	const struct kc_auditlog_follow_opts *o;
	struct src src;         /* the file being read */
	uint64_t ino;
	uint64_t offset;         /* first byte not yet consumed */
	uint64_t read_off;       /* offset + pending.len */
	struct kc_buf pending;   /* bytes read, not yet consumed */
	unsigned char tail[WINDOW];
	size_t ntail;            /* consumed bytes just before offset */
	int skipping;            /* inside an oversized line */
	char *chunk;
	size_t chunk_len;
	/* losses inside the current batch, written as one gap row with it */
	uint64_t invalid, too_long;
	uint64_t loss_from, loss_to;   /* byte range of the lost lines */
	int64_t last_warn;             /* rate limit of the invalid-line warning (monotonic ms) */
	char last_pos[40];             /* when the position was last written: a loss's window starts there */
	struct timespec copies_seen;   /* rotated copies up to this mtime are read (or predate us) */
	unsigned long drained;         /* rotated files read so far (drain()) */
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

/* Hash of the window before off in s; -1 when it cannot be read whole. */
static int window_hash(struct src *s, uint64_t off, char out[17])
{
	unsigned char buf[WINDOW];
	size_t n = off < WINDOW ? (size_t)off : WINDOW;
	if (n && src_pread(s, buf, n, off - n) != (ssize_t)n)
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
	if (rc == 0)
		snprintf(f->last_pos, sizeof(f->last_pos), "%s", now);
	free(now);
	return rc;
}

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int add_gap_window(struct follower *f, const char *start, uint64_t lost, const char *detail)
{
	if (!f->o->run_id)
		return 0;
	char *now = kc_time_now_rfc3339();
	struct kc_gap g = { .monitor = (char *)"audit:file", .start = (char *)(start ? start : now),
			    .end = now, .seen = lost, .lost = lost, .detail = (char *)detail };
	int rc = kc_store_add_gap(f->st, f->o->run_id, &g);
	free(now);
	return rc;
}

static void note_loss(struct follower *f, uint64_t from, uint64_t to, int too_long)
{
	if (!f->invalid && !f->too_long)
		f->loss_from = from;
	f->loss_to = to;
	if (too_long)
		f->too_long++;
	else
		f->invalid++;
}

/* The lines of this batch that could not be read: one gap row in the batch's transaction
 * (so a restart neither repeats nor forgets it), and a warning at most every 10 s. */
static int flush_losses(struct follower *f)
{
	if (!f->invalid && !f->too_long)
		return 0;
	char detail[384];
	snprintf(detail, sizeof(detail),
		 "%s: %llu invalid line(s) (not a JSON audit event) and %llu line(s) over %u MiB skipped"
		 " between offsets %llu and %llu",
		 f->o->path, (unsigned long long)f->invalid, (unsigned long long)f->too_long, MAX_LINE >> 20,
		 (unsigned long long)f->loss_from, (unsigned long long)f->loss_to);
	int64_t now = mono_ms();
	if (!f->last_warn || now - f->last_warn >= 10000) {
		f->last_warn = now;
		kc_log_fields(KC_LOG_WARN, (const char *const[]){ "monitor", "audit:file", NULL }, "%s", detail);
	}
	int rc = add_gap_window(f, NULL, f->invalid + f->too_long, detail);
	f->invalid = f->too_long = 0;
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
			/* an oversized line: consumed without being read, up to its end; counted once */
			if (!f->skipping)
				note_loss(f, f->offset, f->offset + (end - pos), 1);
			f->loss_to = f->offset + (end - pos);
			f->skipping = !nl;
		} else {
			uint64_t bad = kc_auditlog_proc_stats(f->proc)->malformed;
			if ((rc = kc_auditlog_proc_line(f->proc, p + pos, end - pos)) < 0)
				goto fail;
			if (kc_auditlog_proc_stats(f->proc)->malformed != bad)
				note_loss(f, f->offset, f->offset + (end - pos), 0);
		}
		tail_add(f, p + pos, end - pos);
		f->offset += end - pos;
		pos = end;
	}
	if (!began)
		return 0;
	if ((rc = flush_losses(f)) < 0 || (rc = put_position(f)) < 0 || (rc = kc_store_commit(f->st)) < 0)
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
	f->invalid = f->too_long = 0;
	if (off) {
		size_t n = off < WINDOW ? (size_t)off : WINDOW;
		if (src_pread(&f->src, f->tail, n, off - n) == (ssize_t)n)
			f->ntail = n;
	}
}

/* Are the consumed bytes just before the offset still in the file? When a chunk was read and
 * they still are, the chunk came from the same content (a copytruncate replaces the file's
 * bytes from offset 0): checked AFTER each read, so a truncation racing with the read is never
 * taken for more of the old file. */
static int prefix_intact(struct follower *f)
{
	unsigned char buf[WINDOW];
	if (!f->ntail)
		return 1;
	return src_pread(&f->src, buf, f->ntail, f->offset - f->ntail) == (ssize_t)f->ntail &&
	       memcmp(buf, f->tail, f->ntail) == 0;
}

/* Reads everything available into pending and hands complete lines over. *truncated: the
 * live file was truncated under the read (nothing of the racing chunk was used). */
static int read_available(struct follower *f, int final, int *got, int *truncated)
{
	*got = 0;
	*truncated = 0;
	for (;;) {
		ssize_t n = src_pread(&f->src, f->chunk, f->chunk_len, f->read_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kc_error_set_errno(errno, "reading %s", f->o->path);
		}
		if (n == 0)
			return final ? batch(f, 1) : 0;
		if (!f->src.gz && !prefix_intact(f)) {
			*truncated = 1;
			return 0;
		}
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
	/* O_NONBLOCK: a FIFO in the log's place is refused below instead of hanging the open */
	int fd = open(f->o->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	src_close(&f->src);
	f->src.fd = fd;
	f->ino = (uint64_t)sb.st_ino;
	reset_to(f, 0);
	return 0;
}

/* Opens a rotated file as a source: gzip when it starts with gzip's magic (logrotate's
 * compress, the API server's --audit-log-compress), plain otherwise. */
static int src_open_at(int dirfd, const char *name, struct src *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat sb;
	unsigned char magic[2];
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	if (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		out->gz = gzdopen(fd, "rb");
		if (!out->gz) {
			close(fd);
			return -1;
		}
		return 0;
	}
	out->fd = fd;
	return 0;
}

/* The log's directory, split off path; the stem rotated copies start with ("audit" for
 * audit.log: logrotate's audit.log.1[.gz], the API server's audit-<time>.log[.gz]). */
struct rotated {
	char name[256];
	uint64_t ino;
	struct timespec mtime;
};

static int list_rotated(const char *path, uint64_t live_ino, DIR **dir_out, struct rotated **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dname = slash ? kc_strndup(path, (size_t)(slash == path ? 1 : slash - path)) : kc_strdup(".");
	DIR *d = opendir(dname);
	free(dname);
	*dir_out = d;
	if (!d)
		return -1;
	const char *dot = strrchr(base, '.');
	size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, base, stem) != 0 || strcmp(de->d_name, base) == 0 || strlen(de->d_name) >= 256)
			continue;
		struct stat sb;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode) ||
		    (uint64_t)sb.st_ino == live_ino)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = kc_xrealloc(*out, cap * sizeof(**out));
		}
		struct rotated *r = &(*out)[(*n)++];
		snprintf(r->name, sizeof(r->name), "%s", de->d_name);
		r->ino = (uint64_t)sb.st_ino;
		r->mtime = sb.st_mtim;
	}
	return 0;
}

static int cmp_mtime(const void *a, const void *b)
{
	const struct rotated *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : x->mtime.tv_nsec > y->mtime.tv_nsec;
}

/* Reads src from off to its end as the (finished) log, then returns to the live file where it
 * was: offset, unconsumed bytes and the window before the offset are kept, so that a copy can
 * be read in the middle of a generation (scan_copies). The stored position then names the copy:
 * the caller writes the live position again (or moves it). */
static int drain(struct follower *f, struct src *from, uint64_t ino, uint64_t off)
{
	struct src live = f->src;
	uint64_t live_ino = f->ino, live_off = f->offset, live_read = f->read_off;
	struct kc_buf live_pending = f->pending;
	unsigned char *live_tail = kc_xmalloc(WINDOW);
	size_t live_ntail = f->ntail;
	int live_skipping = f->skipping;
	memcpy(live_tail, f->tail, f->ntail);
	f->pending = (struct kc_buf)KC_BUF_INIT;
	f->src = *from;
	f->ino = ino;
	reset_to(f, off);
	int got, trunc, rc = read_available(f, 1, &got, &trunc);
	src_close(&f->src);
	kc_buf_clear(&f->pending);
	f->src = live;
	f->ino = live_ino;
	f->offset = live_off;
	f->read_off = live_read;
	f->pending = live_pending;
	memcpy(f->tail, live_tail, live_ntail);
	f->ntail = live_ntail;
	f->skipping = live_skipping;
	free(live_tail);
	f->drained++;
	return rc;
}

/* Is this rotated file a copy of the generation the live file still holds (logrotate copying
 * it right now, or done and about to truncate)? Its first bytes are then the live file's first
 * bytes. Such a copy is not read whole: the live file is being read, and when it is truncated
 * the copy is matched by the bytes before our offset and read from there. Read whole, a copy
 * still being written would end in a cut line (a false loss) and repeat what the live file
 * gives. */
static int copy_of_live(struct follower *f, struct src *copy)
{
	unsigned char a[WINDOW], b[WINDOW];
	ssize_t n = src_pread(copy, a, sizeof(a), 0);
	if (n <= 0)
		return n == 0; /* empty: nothing to read whole anyway */
	return src_pread(&f->src, b, (size_t)n, 0) == n && memcmp(a, b, (size_t)n) == 0;
}

/* ... or a copy of the generation being read, already holding the bytes before our offset
 * (the truncation that follows is detected, and the copy read from the offset then). */
static int copy_of_current(struct follower *f, struct src *copy)
{
	char have[17], want[17];
	if (!f->ntail)
		return 0;
	hash_hex(f->tail, f->ntail, want);
	return window_hash(copy, f->offset, have) == 0 && strcmp(have, want) == 0;
}

static int ts_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec != b->tv_sec ? a->tv_sec > b->tv_sec : a->tv_nsec > b->tv_nsec;
}

/* The rotated file holding the content read up to off (its window before off hashes to want),
 * drained from off. newer_too (a restart): the rotated files written after it are read whole
 * too (several rotations while stopped), oldest first. In the live loop (newer_too 0), every
 * copy made since the last look (f->copies_seen) other than the matched one is read whole as
 * well, and the directory is listed again until no new copy appeared: a follower that lags
 * behind several copytruncates in a row finds each generation in its copy. 1 when the
 * content was found, 0 when not, negative on error. */
static int drain_rotated(struct follower *f, uint64_t want_ino, uint64_t off, const char *want, int newer_too)
{
	int rc = 0, matched = 0;
	for (int round = 0; round < 64; round++) {
		DIR *d = NULL;
		struct rotated *r = NULL;
		size_t n = 0;
		int found = -1, fresh = 0;
		if (list_rotated(f->o->path, f->ino, &d, &r, &n) < 0) {
			if (d)
				closedir(d);
			free(r);
			break;
		}
		if (n)
			qsort(r, n, sizeof(*r), cmp_mtime);
		/* the same inode first (a plain rename), then any copy with the same bytes before off
		 * (at offset 0 there are no such bytes: only the inode can tell) */
		for (int pass = 0; !matched && pass < (off ? 2 : 1) && found < 0; pass++)
			for (size_t i = 0; i < n && found < 0; i++) {
				if ((pass == 0) != (r[i].ino == want_ino))
					continue;
				struct src s;
				char have[17];
				if (src_open_at(dirfd(d), r[i].name, &s) < 0)
					continue;
				if (window_hash(&s, off, have) == 0 && strcmp(have, want) == 0) {
					found = (int)i;
					src_close(&s);
				} else {
					src_close(&s);
				}
			}
		for (size_t i = 0; rc == 0 && i < n; i++) {
			struct src s;
			int whole = newer_too ? found >= 0 && i > (size_t)found : ts_after(&r[i].mtime, &f->copies_seen);
			if ((int)i != found && !whole)
				continue;
			if (src_open_at(dirfd(d), r[i].name, &s) < 0)
				continue;
			if ((int)i != found && (copy_of_live(f, &s) || copy_of_current(f, &s))) {
				/* not a generation we missed: its turn comes with the live file's truncation */
				src_close(&s);
				continue;
			}
			rc = drain(f, &s, r[i].ino, (int)i == found ? off : 0);
			fresh++;
			if (ts_after(&r[i].mtime, &f->copies_seen))
				f->copies_seen = r[i].mtime;
		}
		matched |= found >= 0;
		closedir(d);
		free(r);
		if (rc < 0 || newer_too || !fresh)
			break;
	}
	return rc < 0 ? rc : matched;
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

/* Records that the content after off of the file described by (ino, hash) was not found. */
static int record_unread(struct follower *f, const char *since, uint64_t ino, uint64_t off, const char *why)
{
	char detail[512];
	snprintf(detail, sizeof(detail),
		 "%s: %s: the rest of the log after offset %llu (inode %llu) was not found beside it (rotated"
		 " away and removed, or rotated more often than kept): events in it were not read",
		 f->o->path, why, (unsigned long long)off, (unsigned long long)ino);
	kc_log_fields(KC_LOG_WARN, (const char *const[]){ "monitor", "audit:file", NULL }, "%s", detail);
	int rc = kc_store_begin(f->st);
	if (rc == 0 && (rc = add_gap_window(f, since, 0, detail)) == 0 && (rc = put_position(f)) == 0)
		rc = kc_store_commit(f->st);
	if (rc < 0)
		kc_store_rollback(f->st);
	return rc;
}

/* Where to start: the stored position when it still describes this file, else its content's
 * rotated successor (found by inode or by the bytes before the offset, plain or gzip, which is
 * drained first together with the rotated files written after it), else a gap. */
static int resume(struct follower *f)
{
	int found;
	uint64_t ino, off;
	char want[17], since[64];
	int rc = kc_store_position_get(f->st, f->o->path, &found, &ino, &off, want, since);
	if (rc < 0 || !found)
		return rc;
	char have[17];
	/* the same file, grown: the inode AND the bytes before the offset agree (an inode number
	 * is reused by a new file as soon as the old one is deleted) */
	if (ino == f->ino && window_hash(&f->src, off, have) == 0 && strcmp(have, want) == 0) {
		reset_to(f, off);
		return 0;
	}
	rc = drain_rotated(f, ino, off, want, 1);
	if (rc < 0)
		return rc;
	reset_to(f, 0);
	if (rc == 0)
		return record_unread(f, since[0] ? since : NULL, ino, off, "rotated while kubecomply was stopped");
	return write_position_now(f);
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The live file was truncated in place (copytruncate): the unread rest of the old content is
 * in logrotate's copy when it was kept; then reading restarts at 0. */
static int on_truncated(struct follower *f)
{
	char want[17];
	hash_hex(f->tail, f->ntail, want);
	uint64_t off = f->offset, ino = f->ino;
	char *since = f->last_pos[0] ? kc_strdup(f->last_pos) : kc_time_now_rfc3339();
	/* newer_too 0: besides the matched copy, every copy made since the last look is read whole,
	 * listing again until none is new — logrotate may copy and truncate again while the
	 * matched copy is being read, and a generation truncated before we read a byte of it can
	 * only be found that way. (Reading only the copies listed once and newer than the matched
	 * one lost such generations without a gap as soon as draining took longer than a
	 * rotation interval.) */
	int rc = off ? drain_rotated(f, 0, off, want, 0) : 1;
	reset_to(f, 0);
	if (rc == 0)
		rc = record_unread(f, since, ino, off, "truncated in place (copytruncate)");
	else if (rc > 0)
		rc = write_position_now(f);
	free(since);
	return rc;
}

/* At end of file: copies made since the last look that are not of the generation being read
 * are generations we never saw — truncated before we had read a byte of them (no bytes can
 * tell that truncation), e.g. between the last listing and the first read after a reset to 0.
 * They are read whole, oldest first; the live position is then written again. */
static int scan_copies(struct follower *f)
{
	unsigned long before = f->drained;
	int rc = drain_rotated(f, 0, 0, "", 0);
	if (rc < 0 || f->drained == before)
		return rc < 0 ? rc : 0;
	return write_position_now(f);
}

/* At end of file: has the log been rotated or truncated under us? */
static int check_rotation(struct follower *f, int *changed)
{
	*changed = 0;
	struct stat sb, fsb;
	if (stat(f->o->path, &sb) != 0)
		return 0; /* renamed, not yet recreated: keep the old file */
	if ((uint64_t)sb.st_ino != f->ino) {
		/* rename-and-create: whatever the writer added to the old file before closing it */
		int got, trunc, rc = read_available(f, 1, &got, &trunc);
		if (rc < 0)
			return rc;
		/* the renamed file is read: it is no unread copy */
		if (fstat(f->src.fd, &fsb) == 0 && ts_after(&fsb.st_mtim, &f->copies_seen))
			f->copies_seen = fsb.st_mtim;
		if ((rc = open_current(f)) < 0)
			return rc == -ENOENT ? 0 : kc_error_set_errno(-rc, "opening %s", f->o->path);
		*changed = 1;
		return write_position_now(f);
	}
	/* size and content together: a file truncated and refilled past our offset is as long as
	 * before, but the bytes before the offset changed */
	if ((fstat(f->src.fd, &fsb) == 0 && (uint64_t)fsb.st_size < f->read_off) || !prefix_intact(f)) {
		*changed = 1;
		return on_truncated(f);
	}
	return scan_copies(f);
}

int kc_auditlog_follow(struct kc_store *st, struct kc_auditlog_proc *proc, const struct kc_auditlog_follow_opts *o)
{
	struct follower f = { .st = st, .proc = proc, .o = o, .src = { .fd = -1 }, .pending = KC_BUF_INIT };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	f.chunk_len = o->chunk ? o->chunk : (4u << 20);
	f.chunk = kc_xmalloc(f.chunk_len);
	/* copies older than this run were rotated before it: resume() decides about those */
	clock_gettime(CLOCK_REALTIME, &f.copies_seen);
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
		int got, changed, truncated;
		if ((rc = read_available(&f, 0, &got, &truncated)) < 0)
			goto out;
		if (truncated) {
			if ((rc = on_truncated(&f)) < 0)
				goto out;
			continue;
		}
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
	src_close(&f.src);
	kc_buf_clear(&f.pending);
	free(f.chunk);
	return rc;
}
