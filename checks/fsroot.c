#include "checks/fsroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"

struct kc_root {
	int fd;
	char *dir;
};

int kc_root_open(const char *dir, struct kc_root **out)
{
	*out = NULL;
	int fd = open(dir && *dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kc_error_set_errno(errno, "--root %s", dir);
	struct kc_root *r = kc_xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->dir = kc_strdup(dir && *dir ? dir : "/");
	*out = r;
	return 0;
}

void kc_root_free(struct kc_root *r)
{
	if (!r)
		return;
	close(r->fd);
	free(r->dir);
	free(r);
}

const char *kc_root_dir(const struct kc_root *r)
{
	return r->dir;
}

/* Resolves within the root: ".." cannot climb out and absolute symlinks restart at the root,
 * as if chrooted. Magic links (/proc/self/fd/N) are refused. */
static int open_in_root(struct kc_root *r, const char *rel, int flags, int extra_resolve)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (unsigned long long)extra_resolve;
	long fd;
	do
		fd = syscall(SYS_openat2, r->fd, rel && *rel ? rel : ".", &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd < 0 ? -errno : (int)fd;
}

/* Splits "/a/b/c" into the parent "a/b" (opened in root) and the last name "c". */
static int open_parent(struct kc_root *r, const char *path, char **name_out)
{
	while (*path == '/')
		path++;
	const char *slash = strrchr(path, '/');
	char *parent = slash ? kc_strndup(path, (size_t)(slash - path)) : kc_strdup(".");
	const char *name = slash ? slash + 1 : path;
	if (!*name || strcmp(name, "..") == 0 || strcmp(name, ".") == 0) {
		free(parent);
		return -EINVAL;
	}
	int fd = open_in_root(r, parent, O_PATH | O_DIRECTORY, 0);
	free(parent);
	if (fd < 0)
		return fd;
	*name_out = kc_strdup(name);
	return fd;
}

int kc_root_lstat(struct kc_root *r, const char *path, struct stat *st)
{
	char *name = NULL;
	int dfd = open_parent(r, path, &name);
	if (dfd < 0)
		return dfd;
	int rc = fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
	close(dfd);
	free(name);
	return rc;
}

char *kc_root_readlink(struct kc_root *r, const char *path)
{
	char *name = NULL;
	int dfd = open_parent(r, path, &name);
	if (dfd < 0)
		return NULL;
	char buf[4096];
	ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	close(dfd);
	free(name);
	return n < 0 ? NULL : kc_strndup(buf, (size_t)n);
}

int kc_root_open_file(struct kc_root *r, const char *path)
{
	char *name = NULL;
	int dfd = open_parent(r, path, &name);
	if (dfd < 0)
		return dfd;
	/* O_NOFOLLOW: a symlink planted at the last component fails with ELOOP; O_NONBLOCK: a
	 * FIFO planted where a file is expected cannot hang the audit */
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	int e = errno;
	close(dfd);
	free(name);
	if (fd < 0)
		return -e;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int kc_root_read_file(struct kc_root *r, const char *path, size_t max, char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	int fd = kc_root_open_file(r, path);
	if (fd < 0)
		return fd;
	struct kc_buf b = KC_BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (b.len + (size_t)n > max) {
			rc = -EFBIG;
			break;
		}
		kc_buf_add(&b, chunk, (size_t)n);
	}
	if (n < 0)
		rc = -errno;
	close(fd);
	if (rc < 0) {
		kc_buf_free(&b);
		return rc;
	}
	*len = b.len;
	*data = kc_buf_detach(&b);
	return 0;
}

int kc_root_open_dir(struct kc_root *r, const char *path)
{
	while (*path == '/')
		path++;
	return open_in_root(r, path, O_RDONLY | O_DIRECTORY, 0);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kc_root_list_dir(struct kc_root *r, const char *path, const char *suffix, size_t max, char ***names,
		     size_t *n)
{
	*names = NULL;
	*n = 0;
	int fd = kc_root_open_dir(r, path);
	if (fd < 0)
		return fd;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	size_t cap = 0, sl = suffix ? strlen(suffix) : 0;
	struct dirent *de;
	while ((de = readdir(d)) && (!max || *n < max)) {
		const char *nm = de->d_name;
		size_t l = strlen(nm);
		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		if (suffix && (nm[0] == '.' || l <= sl || strcmp(nm + l - sl, suffix) != 0))
			continue;
		*names = kc_array_grow(*names, &cap, *n + 1, sizeof(**names));
		(*names)[(*n)++] = kc_strdup(nm);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_name);
	return 0;
}
