#include "kc_test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *kc_test_corpus(void)
{
	static char path[PATH_MAX];
	static int done;
	if (!done) {
		done = 1;
		const char *env = getenv("KC_CORPUS");
		snprintf(path, sizeof(path), "%s", env && *env ? env : "../shared/corpus");
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			path[0] = '\0';
	}
	return path[0] ? path : NULL;
}

char *kc_test_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof(tmpl), "%s/kctest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl))
		return NULL;
	return strdup(tmpl);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

void kc_test_rmtree(const char *dir)
{
	if (dir && *dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void mkparents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
}

const char *kc_test_write(const char *dir, const char *rel, const char *data, unsigned mode)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	mkparents(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode);
	if (fd < 0)
		return NULL;
	size_t len = strlen(data);
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return NULL;
	}
	fchmod(fd, mode);
	close(fd);
	return path;
}

const char *kc_test_bin(void)
{
	const char *b = getenv("KC_BIN");
	return b && *b ? b : "build/kubecomply";
}

int kc_test_run(char **out, const char *const argv[])
{
	int pfd[2];
	if (pipe(pfd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		size_t n = 0;
		while (argv[n])
			n++;
		char **av = calloc(n + 2, sizeof(*av));
		av[0] = (char *)kc_test_bin();
		for (size_t i = 0; i < n; i++)
			av[i + 1] = (char *)argv[i];
		execv(av[0], av);
		_exit(127);
	}
	close(pfd[1]);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while ((r = read(pfd[0], buf + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (cap - len < 1024)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *kc_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n < 1024)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int kc_test_is_root(void)
{
	return geteuid() == 0;
}
