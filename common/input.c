#include "common/input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"

const char *kc_file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symlink";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	default: return "an unknown file type";
	}
}

int kc_input_open(const char *path, const char *what)
{
	if (!path || !*path)
		return kc_error_set(KC_EINVAL, "%s: empty path", what);
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		return e == ENOENT ? kc_error_set(KC_ENOTFOUND, "%s %s: no such file", what, path)
				   : kc_error_set_errno(e, "%s %s", what, path);
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return kc_error_set_errno(e, "%s %s", what, path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return kc_error_set(KC_EUNSAFE, "%s %s: is %s, expected a regular file", what, path,
				    kc_file_type_name(st.st_mode));
	}
	return fd;
}

/* known: the fd's stat when the caller has just taken it (one syscall less per file:
 * an audit reads every process's command line), else NULL */
static int read_fd(int fd, const struct stat *known, size_t max, struct kc_buf *out)
{
	struct stat st;
	/* the size first: a sparse or huge file is refused before a byte is read */
	if (!known && fstat(fd, &st) == 0)
		known = &st;
	if (known && S_ISREG(known->st_mode) && (unsigned long long)known->st_size > max)
		return -EFBIG;
	/* A regular file with a size is read in one call asking for one byte more than it holds:
	 * a local file's read returns less than asked only at its end, so a short read ends it
	 * without the read that returns 0 (one syscall less per file; an audit reads hundreds). A
	 * file reporting size 0 (/proc, sysfs) or growing past its size is read on until read
	 * returns 0, in reads as large as the buffer's free room (it doubles as it fills). */
	size_t hint = known && S_ISREG(known->st_mode) && known->st_size > 0 ? (size_t)known->st_size + 1 : 0;
	size_t got = 0;
	for (;;) {
		size_t room = out->cap > out->len + 1 ? out->cap - out->len - 1 : 0;
		size_t want = hint && !got ? hint : room > 4096 ? (room < (1u << 20) ? room : 1u << 20) : 4096;
		size_t left = max - got; /* got never exceeds max: checked below */
		if (want > left && left < SIZE_MAX)
			want = left + 1; /* one byte past max tells a file that is too large */
		kc_buf_grow(out, want);
		ssize_t n = read(fd, out->ptr + out->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		/* the file may grow while it is read (or lie about its size, as /proc files do) */
		if (got + (size_t)n > max)
			return -EFBIG;
		kc_buf_setlen(out, out->len + (size_t)n);
		got += (size_t)n;
		if (hint && got < hint && got == (size_t)n)
			return 0;
	}
}

int kc_input_read_fd(int fd, size_t max, struct kc_buf *out)
{
	return read_fd(fd, NULL, max, out);
}

int kc_input_slurp_fd_stat(int fd, const struct stat *st, size_t max, char **data, size_t *len)
{
	struct kc_buf b = KC_BUF_INIT;
	int rc = read_fd(fd, st, max, &b);
	close(fd);
	if (rc < 0) {
		kc_buf_clear(&b);
		return rc;
	}
	*len = b.len;
	*data = b.cap ? kc_buf_detach(&b) : kc_strdup("");
	return 0;
}

int kc_input_slurp_fd(int fd, size_t max, char **data, size_t *len)
{
	return kc_input_slurp_fd_stat(fd, NULL, max, data, len);
}

int kc_input_read(const char *path, const char *what, size_t max, char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	int fd = kc_input_open(path, what);
	if (fd < 0)
		return fd;
	int rc = kc_input_slurp_fd(fd, max, data, len);
	if (rc == -EFBIG)
		rc = max >= (1u << 20) ? kc_error_set(KC_EINVAL, "%s %s: larger than the %zu MiB limit", what, path, max >> 20)
				       : kc_error_set(KC_EINVAL, "%s %s: larger than the %zu KiB limit", what, path, max >> 10);
	else if (rc < 0)
		rc = kc_error_set_errno(-rc, "%s %s: cannot read", what, path);
	return rc;
}

int kc_dir_names_fd(int fd, const char *suffix, size_t max, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	size_t cap = 0, sl = suffix ? strlen(suffix) : 0;
	struct dirent *de;
	int errno_after_readdir = 0;
	for (;;) {
		if (max && *n >= max)
			break;
		errno = 0;
		if (!(de = readdir(d))) {
			errno_after_readdir = errno;
			break;
		}
		const char *nm = de->d_name;
		size_t l = strlen(nm);
		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		if (suffix && (nm[0] == '.' || l <= sl || strcmp(nm + l - sl, suffix) != 0))
			continue;
		*names = kc_array_grow(*names, &cap, *n + 1, sizeof(**names));
		(*names)[(*n)++] = kc_strdup(nm);
	}
	/* readdir's NULL is also its error: a listing cut by an I/O error is not a short list */
	int e = errno_after_readdir;
	closedir(d);
	if (e) {
		kc_strv_free(*names, *n);
		*names = NULL;
		*n = 0;
		return -e;
	}
	if (*n)
		qsort(*names, *n, sizeof(**names), kc_strcmp_ptr);
	return 0;
}

int kc_dir_names(const char *dir, const char *suffix, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return kc_dir_names_fd(fd, suffix, 0, names, n);
}
