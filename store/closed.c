#include "store/closed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"

#define SUFFIX "-checked"
#define RECORD_MAX 256

static void record_line(const struct stat *sb, struct kc_buf *out)
{
	kc_buf_printf(out, "kubecomply store checked v1 dev %llu ino %llu size %lld mtime %lld.%09ld ctime %lld.%09ld\n",
		      (unsigned long long)sb->st_dev, (unsigned long long)sb->st_ino, (long long)sb->st_size,
		      (long long)sb->st_mtim.tv_sec, sb->st_mtim.tv_nsec, (long long)sb->st_ctim.tv_sec,
		      sb->st_ctim.tv_nsec);
}

/* A WAL with frames holds pages the main file's stat does not cover. */
static int wal_has_frames(const char *path)
{
	struct kc_buf p = KC_BUF_INIT;
	kc_buf_printf(&p, "%s-wal", path);
	struct stat sb;
	int frames = lstat(p.ptr, &sb) == 0 && (!S_ISREG(sb.st_mode) || sb.st_size > 0);
	kc_buf_clear(&p);
	return frames;
}

int kc_store_closed_unchanged(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0 || wal_has_frames(path))
		return 0;
	struct kc_buf rec = KC_BUF_INIT, want = KC_BUF_INIT;
	kc_buf_printf(&rec, "%s" SUFFIX, path);
	int fd = open(rec.ptr, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char line[RECORD_MAX];
	ssize_t n = -1;
	struct stat rs;
	/* ours: a regular file of this user, written 0600 */
	if (fd >= 0 && fstat(fd, &rs) == 0 && S_ISREG(rs.st_mode) && rs.st_uid == geteuid() && !(rs.st_mode & 077))
		n = read(fd, line, sizeof(line) - 1);
	if (fd >= 0)
		close(fd);
	record_line(&sb, &want);
	int same = n > 0 && (size_t)n == want.len && memcmp(line, want.ptr, want.len) == 0;
	kc_buf_clear(&rec);
	kc_buf_clear(&want);
	return same;
}

void kc_store_closed_forget(const char *path)
{
	struct kc_buf rec = KC_BUF_INIT;
	kc_buf_printf(&rec, "%s" SUFFIX, path);
	unlink(rec.ptr);
	kc_buf_clear(&rec);
}

void kc_store_closed_note(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || wal_has_frames(path)) {
		kc_store_closed_forget(path);
		return;
	}
	struct kc_buf rec = KC_BUF_INIT, tmp = KC_BUF_INIT, line = KC_BUF_INIT;
	kc_buf_printf(&rec, "%s" SUFFIX, path);
	kc_buf_printf(&tmp, "%s.tmp-%ld", rec.ptr, (long)getpid());
	record_line(&sb, &line);
	int fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, line.ptr, line.len) == (ssize_t)line.len;
	if (fd >= 0)
		ok &= close(fd) == 0;
	/* no fsync: a record lost in a crash only means the next open checks the store */
	if (!ok || rename(tmp.ptr, rec.ptr) != 0) {
		unlink(tmp.ptr);
		kc_store_closed_forget(path);
	}
	kc_buf_clear(&rec);
	kc_buf_clear(&tmp);
	kc_buf_clear(&line);
}
