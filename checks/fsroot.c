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
#include "common/input.h"
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
	if (!path[strspn(path, "/")]) /* the root itself (a link to "/" or ".." resolves here) */
		return fstatat(r->fd, "", st, AT_EMPTY_PATH) == 0 ? 0 : -errno;
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

static int open_file_stat(struct kc_root *r, const char *path, struct stat *st)
{
	while (*path == '/')
		path++;
	/* symlinks, the last one included, resolve inside the root as the component running in
	 * it would read them; O_NONBLOCK: a FIFO planted where a file is expected cannot hang
	 * the audit, and it is refused below before a byte is read */
	int fd = open_in_root(r, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int kc_root_open_file(struct kc_root *r, const char *path)
{
	struct stat st;
	return open_file_stat(r, path, &st);
}

int kc_root_read_file(struct kc_root *r, const char *path, size_t max, char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	struct stat st;
	int fd = open_file_stat(r, path, &st);
	return fd < 0 ? fd : kc_input_slurp_fd_stat(fd, &st, max, data, len);
}

/* Follows a symlink path one component at a time, as RESOLVE_IN_ROOT would, but says when
 * the walk would have left the root: ".." above "/" is an escape here, not a silent clamp. */
int kc_root_resolve(struct kc_root *r, const char *path, char **out)
{
	*out = NULL;
	struct kc_buf cur = KC_BUF_INIT, rest = KC_BUF_INIT;
	kc_buf_puts(&rest, path);
	int links = 0, rc = 0;
	while (rc == 0) {
		const char *p = rest.ptr + strspn(rest.ptr, "/");
		if (!*p)
			break;
		size_t l = strcspn(p, "/");
		char *comp = kc_strndup(p, l);
		char *tail = kc_strdup(p + l);
		kc_buf_reset(&rest);
		kc_buf_puts(&rest, tail);
		free(tail);
		if (strcmp(comp, ".") == 0) {
			free(comp);
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			free(comp);
			char *slash = strrchr(cur.ptr, '/');
			if (!slash) {
				rc = -EXDEV;
				break;
			}
			kc_buf_truncate(&cur, (size_t)(slash - cur.ptr));
			continue;
		}
		size_t keep = cur.len;
		kc_buf_printf(&cur, "/%s", comp);
		free(comp);
		struct stat st;
		int e = kc_root_lstat(r, cur.ptr, &st);
		if (e < 0) {
			kc_buf_puts(&cur, rest.ptr); /* the missing path, for the message */
			rc = e;
			break;
		}
		if (!S_ISLNK(st.st_mode))
			continue;
		if (++links > 40) {
			rc = -ELOOP;
			break;
		}
		char *target = kc_root_readlink(r, cur.ptr);
		if (!target) {
			rc = -EIO;
			break;
		}
		kc_buf_truncate(&cur, target[0] == '/' ? 0 : keep);
		char *t = kc_strdup(rest.ptr);
		kc_buf_reset(&rest);
		kc_buf_printf(&rest, "%s/%s", target, t);
		free(t);
		free(target);
	}
	if (!cur.len)
		kc_buf_puts(&cur, "/");
	*out = kc_buf_detach(&cur);
	kc_buf_clear(&rest);
	return rc;
}

int kc_root_open_sub(struct kc_root *r, const char *path, struct kc_root **out)
{
	*out = NULL;
	int fd = kc_root_open_dir(r, path);
	if (fd < 0)
		return kc_error_set_errno(-fd, "%s under --root %s", path, r->dir);
	struct kc_root *sub = kc_xcalloc(1, sizeof(*sub));
	sub->fd = fd;
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s%s%s", r->dir, r->dir[strlen(r->dir) - 1] == '/' ? "" : "/", path + strspn(path, "/"));
	sub->dir = kc_buf_detach(&b);
	*out = sub;
	return 0;
}

int kc_root_open_dir(struct kc_root *r, const char *path)
{
	while (*path == '/')
		path++;
	return open_in_root(r, path, O_RDONLY | O_DIRECTORY, 0);
}

int kc_root_list_dir(struct kc_root *r, const char *path, const char *suffix, size_t max, char ***names,
		     size_t *n)
{
	*names = NULL;
	*n = 0;
	int fd = kc_root_open_dir(r, path);
	if (fd < 0)
		return fd;
	return kc_dir_names_fd(fd, suffix, max, names, n);
}
