#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"

int kc_atomic_open(struct kc_atomic_file *af, const char *path)
{
	memset(af, 0, sizeof(*af));
	if (!path || !*path)
		return kc_error_set(KC_EINVAL, "empty output path");
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s.tmp-XXXXXX", path);
	char *tmp = kc_buf_detach(&b);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return kc_error_set_errno(e, "cannot create a temporary file beside %s", path);
	}
	/* reports carry evidence: readable by the owner and group only, like the database */
	fchmod(fd, 0640);
	af->fp = fdopen(fd, "w");
	if (!af->fp) {
		int e = errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		return kc_error_set_errno(e, "cannot open %s", path);
	}
	af->tmp = tmp;
	af->path = kc_strdup(path);
	return 0;
}

int kc_atomic_commit(struct kc_atomic_file *af)
{
	if (!af->fp)
		return kc_error_set(KC_EGENERIC, "%s: not open", af->path ? af->path : "report");
	int bad = ferror(af->fp);
	if (fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0)
		bad = errno ? errno : EIO;
	int e = errno;
	if (fclose(af->fp) != 0 && !bad)
		bad = errno ? errno : EIO;
	af->fp = NULL;
	if (!bad && rename(af->tmp, af->path) != 0)
		bad = errno ? errno : EIO, e = errno;
	if (bad) {
		unlink(af->tmp);
		int rc = kc_error_set_errno(e ? e : EIO, "cannot write %s", af->path);
		free(af->tmp); free(af->path);
		af->tmp = af->path = NULL;
		return rc;
	}
	free(af->tmp); free(af->path);
	af->tmp = af->path = NULL;
	return 0;
}

void kc_atomic_abort(struct kc_atomic_file *af)
{
	if (af->fp)
		fclose(af->fp);
	if (af->tmp)
		unlink(af->tmp);
	free(af->tmp); free(af->path);
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
