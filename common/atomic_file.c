#include "common/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"

#define TMP_MARK ".tmp-"

/* "dir" and "base" of path; dir is "." for a bare name. */
static char *dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	*base = slash ? slash + 1 : path;
	if (!slash)
		return kc_strdup(".");
	return slash == path ? kc_strdup("/") : kc_strndup(path, (size_t)(slash - path));
}

int kc_atomic_clean_stale(const char *path)
{
	const char *base;
	char *dir = dir_of(path, &base);
	DIR *d = opendir(dir);
	int removed = 0;
	size_t bl = strlen(base), ml = strlen(TMP_MARK);
	for (struct dirent *de; d && (de = readdir(d));) {
		/* exactly "<base>.tmp-XXXXXX", as mkstemp names them: nobody else's files */
		if (strlen(de->d_name) != bl + ml + 6 || strncmp(de->d_name, base, bl) != 0 ||
		    strncmp(de->d_name + bl, TMP_MARK, ml) != 0)
			continue;
		int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct stat st;
		/* a writer holds LOCK_EX until it renames: a free lock means it died */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
		close(fd);
	}
	if (d)
		closedir(d);
	free(dir);
	return removed;
}

static int open_named(struct kc_atomic_file *af, const char *path)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s" TMP_MARK "XXXXXX", path);
	char *tmp = kc_buf_detach(&b);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return kc_error_set_errno(e, "cannot create a temporary file beside %s", path);
	}
	flock(fd, LOCK_EX); /* tells kc_atomic_clean_stale this writer is alive */
	af->tmp = tmp;
	return fd;
}

int kc_atomic_open(struct kc_atomic_file *af, const char *path)
{
	memset(af, 0, sizeof(*af));
	if (!path || !*path)
		return kc_error_set(KC_EINVAL, "empty output path");
	kc_atomic_clean_stale(path);
	const char *base;
	char *dir = dir_of(path, &base);
	/* reports carry evidence: readable by the owner and group only, like the database */
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
	free(dir);
	if (fd < 0) {
		/* EOPNOTSUPP/EISDIR: no O_TMPFILE on this filesystem; a missing directory fails below */
		fd = open_named(af, path);
		if (fd < 0)
			return fd;
	} else {
		flock(fd, LOCK_EX); /* covers the short-lived name link_anon gives it */
	}
	fchmod(fd, 0640);
	af->fp = fdopen(fd, "w");
	if (!af->fp) {
		int e = errno;
		close(fd);
		if (af->tmp)
			unlink(af->tmp);
		free(af->tmp);
		af->tmp = NULL;
		return kc_error_set_errno(e, "cannot open %s", path);
	}
	af->path = kc_strdup(path);
	return 0;
}

/* Names an O_TMPFILE: linkat cannot replace, so it is linked under a temporary name and
 * renamed over the target (a crash between the two leaves a name the next open cleans). */
static int link_anon(int fd, const char *path)
{
	struct kc_buf proc = KC_BUF_INIT, tmp = KC_BUF_INIT;
	kc_buf_printf(&proc, "/proc/self/fd/%d", fd);
	int rc = -1;
	for (int attempt = 0; attempt < 100 && rc != 0; attempt++) {
		kc_buf_reset(&tmp);
		kc_buf_printf(&tmp, "%s" TMP_MARK "%06x", path, (unsigned)((getpid() * 131u + (unsigned)attempt * 7919u) & 0xffffff));
		rc = linkat(AT_FDCWD, proc.ptr, AT_FDCWD, tmp.ptr, AT_SYMLINK_FOLLOW);
		if (rc != 0 && errno == ENOENT) /* no /proc: root may link the descriptor itself */
			rc = linkat(fd, "", AT_FDCWD, tmp.ptr, AT_EMPTY_PATH);
		if (rc != 0 && errno != EEXIST)
			break;
	}
	int e = errno;
	if (rc == 0 && rename(tmp.ptr, path) != 0) {
		e = errno;
		unlink(tmp.ptr);
		rc = -1;
	}
	kc_buf_clear(&proc);
	kc_buf_clear(&tmp);
	errno = e;
	return rc;
}

int kc_atomic_commit(struct kc_atomic_file *af)
{
	if (!af->fp)
		return kc_error_set(KC_EGENERIC, "%s: not open", af->path ? af->path : "report");
	int bad = ferror(af->fp) ? EIO : 0, e = 0;
	if (!bad && (fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0))
		bad = errno ? errno : EIO;
	if (!bad && !af->tmp && link_anon(fileno(af->fp), af->path) != 0)
		bad = errno ? errno : EIO;
	if (fclose(af->fp) != 0 && !bad)
		bad = errno ? errno : EIO;
	af->fp = NULL;
	if (!bad && af->tmp && rename(af->tmp, af->path) != 0)
		bad = errno ? errno : EIO;
	e = bad;
	if (bad && af->tmp)
		unlink(af->tmp);
	int rc = bad ? kc_error_set_errno(e, "cannot write %s", af->path) : 0;
	free(af->tmp);
	free(af->path);
	af->tmp = af->path = NULL;
	return rc;
}

void kc_atomic_abort(struct kc_atomic_file *af)
{
	if (af->fp)
		fclose(af->fp); /* an O_TMPFILE vanishes with its last descriptor */
	if (af->tmp)
		unlink(af->tmp);
	free(af->tmp);
	free(af->path);
	memset(af, 0, sizeof(*af));
}

int kc_atomic_write(const char *path, const void *data, size_t len)
{
	struct kc_atomic_file af;
	int rc = kc_atomic_open(&af, path);
	if (rc < 0)
		return rc;
	if (len && fwrite(data, 1, len, af.fp) != len) {
		kc_atomic_abort(&af);
		return kc_error_set_errno(EIO, "cannot write %s", path);
	}
	return kc_atomic_commit(&af);
}
