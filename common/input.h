/* Outside input that is not under --root: policy files, manifests, kubeconfigs, exception
 * files, audit-log rules and logs — anything a path on the command line names. The one way
 * such a file is opened and read (files under --root go through checks/fsroot.h, which
 * uses the same bounded reader):
 *   - opened O_NONBLOCK, so a FIFO planted where a file is expected cannot hang the run;
 *   - type-checked with fstat before the first read: only a regular file is input
 *     (/dev/zero, a FIFO, a socket or a directory are refused with their type named);
 *   - read with a byte limit checked against st_size first, so a 10 GB sparse file is
 *     refused without reading it, and a file that grows while being read stops at the limit. */
#ifndef KC_INPUT_H
#define KC_INPUT_H

#include <stddef.h>
#include <sys/types.h>

struct kc_buf;

/* Default limit for one input file. */
#define KC_INPUT_MAX_BYTES (64u << 20)

/* "a regular file", "a FIFO", "a character device", "a directory", "a symlink", ... */
const char *kc_file_type_name(mode_t mode);

/* Opens path for reading; what names the input in messages ("policy file"). Returns the
 * descriptor, or KC_ENOTFOUND (missing), KC_EUNSAFE (not a regular file), KC_EIO, with a
 * message "<what> <path>: ...". The descriptor stays non-blocking (harmless for files). */
int kc_input_open(const char *path, const char *what);
/* Reads the whole of an open file into out (appended), at most max bytes. Returns 0,
 * -EFBIG when the file is larger than max, or -errno. Sets no message: callers name
 * the file (fsroot keeps -errno codes, kc_input_read turns them into messages). */
int kc_input_read_fd(int fd, size_t max, struct kc_buf *out);
/* Reads all of fd (at most max bytes) into *data (NUL-terminated, caller frees) and closes
 * fd. Returns 0, -EFBIG or -errno, without a message. */
int kc_input_slurp_fd(int fd, size_t max, char **data, size_t *len);
/* Same, with the fd's stat the caller has just taken (st may be NULL). */
struct stat;
int kc_input_slurp_fd_stat(int fd, const struct stat *st, size_t max, char **data, size_t *len);
/* open + type check + bounded read; *data is NUL-terminated, caller frees. Returns 0 or
 * a negative code with "<what> <path>: larger than the N MiB limit" and the like. */
int kc_input_read(const char *path, const char *what, size_t max, char **data, size_t *len);

/* The entry names of the open directory fd (closed here), sorted bytewise (what a run reads
 * must not depend on directory order), without "." and "..". With suffix, only names ending
 * in it that are not hidden. At most max names when max > 0. Free with kc_strv_free.
 * Returns 0 or -errno, without a message: a directory that cannot be read is an error, never
 * a short list. The one directory listing: checks/fsroot.c (under --root), the policy
 * directory and a directory of stores use it. */
int kc_dir_names_fd(int fd, const char *suffix, size_t max, char ***names, size_t *n);
/* The same for a path not under --root (a command-line directory). */
int kc_dir_names(const char *dir, const char *suffix, char ***names, size_t *n);

#endif
