/* One place that opens files under --root. Paths are resolved inside the root: ".." cannot
 * climb out and an absolute symlink restarts at the root, as if chrooted (openat2
 * RESOLVE_IN_ROOT). A symlink is read through to its target inside the root, as the
 * component would read it; kc_root_resolve says when a link would have left the root. Every
 * open is non-blocking and type-checked: only a regular file is read, never a FIFO or device.
 * /proc under --root is opened through kc_root_open_sub and confined the same way. */
#ifndef KC_FSROOT_H
#define KC_FSROOT_H

#include <stddef.h>
#include <sys/stat.h>

struct kc_root;

int kc_root_open(const char *dir, struct kc_root **out);
void kc_root_free(struct kc_root *r);
const char *kc_root_dir(const struct kc_root *r);

/* lstat of path (absolute, as seen on the audited host) inside root. Returns 0 or -errno. */
int kc_root_lstat(struct kc_root *r, const char *path, struct stat *st);
/* readlink of a symlink inside root; caller frees; NULL on error. */
char *kc_root_readlink(struct kc_root *r, const char *path);
/* Opens a regular file for reading, non-blocking; symlinks (the last component included)
 * resolve inside the root, never outside it. -errno on error, -EINVAL when it is not a
 * regular file (a FIFO, a device, a directory: never read). */
int kc_root_open_file(struct kc_root *r, const char *path);
/* Reads a whole regular file (at most max bytes, else -EFBIG, checked against the size
 * before reading); caller frees *data. */
int kc_root_read_file(struct kc_root *r, const char *path, size_t max, char **data, size_t *len);
/* Resolves path (whose components may be symlinks) inside root to the path it names,
 * following at most 40 links; *out (caller frees) gets the resolved path, or the missing
 * one. Returns 0, -ENOENT (dangling), -EXDEV (a ".." would climb above the root: the link
 * escapes), -ELOOP, or another -errno. Absolute targets restart at the root. */
int kc_root_resolve(struct kc_root *r, const char *path, char **out);
/* A root confined to the directory path under r (the audited host's /proc under --root):
 * a symlink inside it cannot leave it. 0 or a negative code with a message. */
int kc_root_open_sub(struct kc_root *r, const char *path, struct kc_root **out);
/* Opens a directory for listing; -errno. */
int kc_root_open_dir(struct kc_root *r, const char *path);
/* The entry names of a directory under root, sorted (results must not depend on directory
 * order), without "." and "..". With suffix, only names ending in it that are not hidden.
 * At most max names when max > 0. Free with kc_strv_free. Returns 0 or -errno (a
 * directory that cannot be opened or read is an error, never an empty list). */
int kc_root_list_dir(struct kc_root *r, const char *path, const char *suffix, size_t max, char ***names,
		     size_t *n);

#endif
