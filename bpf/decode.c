#include "bpf/decode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "bpf/monitor.h"
#include "common/error.h"
#include "common/redact.h"
#include "common/strbuf.h"
#include "common/utf8.h"

static const struct {
	unsigned nr;
	const char *name;
} syscall_names[] = {
	{ __NR_open, "open" }, { __NR_creat, "creat" }, { __NR_openat, "openat" },
	{ __NR_openat2, "openat2" }, { __NR_open_by_handle_at, "open_by_handle_at" },
	{ __NR_setns, "setns" }, { __NR_unshare, "unshare" }, { __NR_ptrace, "ptrace" },
	{ __NR_mount, "mount" }, { __NR_move_mount, "move_mount" }, { __NR_fsmount, "fsmount" },
	{ __NR_open_tree, "open_tree" }, { __NR_init_module, "init_module" },
	{ __NR_finit_module, "finit_module" }, { __NR_memfd_create, "memfd_create" },
	{ __NR_rename, "rename" }, { __NR_renameat, "renameat" }, { __NR_renameat2, "renameat2" },
	{ __NR_link, "link" }, { __NR_linkat, "linkat" }, { __NR_unlink, "unlink" },
	{ __NR_unlinkat, "unlinkat" }, { __NR_setuid, "setuid" }, { __NR_setreuid, "setreuid" },
	{ __NR_setresuid, "setresuid" }, { __NR_setgid, "setgid" }, { __NR_setregid, "setregid" },
	{ __NR_setresgid, "setresgid" }, { __NR_bpf, "bpf" },
};

const char *kc_bpf_decoder_syscall_name(unsigned nr)
{
	for (size_t i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
		if (syscall_names[i].nr == nr)
			return syscall_names[i].name;
	return NULL;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int kc_bpf_decoder_init(struct kc_bpf_decoder *d, struct kc_store *st, int64_t run_id, const char *root,
		    const char *rules_path)
{
	memset(d, 0, sizeof(*d));
	d->st = st;
	d->run_id = run_id;
	d->boot_to_real = clock_s(CLOCK_REALTIME) - clock_s(CLOCK_BOOTTIME);
	/* world-writable scratch directories an attacker drops binaries in (by inode: the
	 * kernel reports the executed file's ancestors, not a path) */
	static const char *const scratch[] = { "/tmp", "/var/tmp", "/dev/shm", "/run/shm" };
	for (size_t i = 0; i < 4; i++) {
		char p[4096];
		struct stat sb;
		snprintf(p, sizeof(p), "%s%s", root && strcmp(root, "/") ? root : "", scratch[i]);
		if (stat(p, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		int dup = 0;
		for (size_t k = 0; k < d->ntmp; k++)
			dup |= d->tmp_dirs[k][0] == kc_watch_kdev(sb.st_dev) && d->tmp_dirs[k][1] == sb.st_ino;
		if (dup)
			continue;
		d->tmp_dirs[d->ntmp][0] = kc_watch_kdev(sb.st_dev);
		d->tmp_dirs[d->ntmp][1] = sb.st_ino;
		d->tmp_names[d->ntmp++] = scratch[i];
	}
	int rc = kc_bpf_rules_load(rules_path, &d->rules);
	if (rc == 0)
		rc = kc_watchlist_build(root, &d->wl);
	if (rc == 0)
		rc = kc_attr_new(NULL, root, &d->attr);
	if (rc < 0)
		kc_bpf_decoder_clear(d);
	return rc;
}

void kc_bpf_decoder_clear(struct kc_bpf_decoder *d)
{
	kc_attr_free(d->attr);
	kc_watchlist_clear(&d->wl);
	kc_bpf_rules_clear(&d->rules);
	kc_u64map_clear(&d->procs, free);
	kc_u64map_clear(&d->euids, NULL);
	memset(d, 0, sizeof(*d));
}

char *kc_bpf_decoder_time(const struct kc_bpf_decoder *d, uint64_t boot_ns)
{
	double t = d->boot_to_real + (double)boot_ns / 1e9;
	time_t sec = (time_t)t;
	long ms = (long)((t - (double)sec) * 1000.0);
	struct tm tm;
	char buf[40];
	gmtime_r(&sec, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_add(&b, buf, n);
	kc_buf_printf(&b, ".%03ldZ", ms < 0 ? 0 : ms > 999 ? 999 : ms);
	return kc_buf_detach(&b);
}

/* A fixed-size kernel string that may lack its NUL. */
/* A string from the kernel (comm, file names, paths): bytes, not text; invalid UTF-8 is
 * escaped here so that every stored row and report is valid UTF-8. */
static char *kstr(const char *s, size_t cap)
{
	char *raw = kc_strndup(s, strnlen(s, cap)), *esc = kc_utf8_escape(raw);
	if (!esc)
		return raw;
	free(raw);
	return esc;
}

static void json_key(struct kc_buf *b, const char *key)
{
	if (b->len > 1)
		kc_buf_putc(b, ',');
	kc_buf_put_json_str(b, key);
	kc_buf_putc(b, ':');
}

static void json_str(struct kc_buf *b, const char *key, const char *v)
{
	if (!v)
		return;
	json_key(b, key);
	kc_buf_put_json_str(b, v);
}

static void json_u64(struct kc_buf *b, const char *key, unsigned long long v)
{
	json_key(b, key);
	kc_buf_printf(b, "%llu", v);
}

/* argv as a JSON array, secrets redacted: "--token=x" and "--token x" by flag name, and
 * token-looking text anywhere. */
static void json_argv(struct kc_buf *b, const char *args, size_t len)
{
	int redact_next = 0;
	kc_buf_putc(b, '[');
	for (size_t i = 0, k = 0; i < len; k++) {
		size_t n = strnlen(args + i, len - i);
		char *arg = kc_strndup(args + i, n), *out;
		char *eq = arg[0] == '-' ? strchr(arg, '=') : NULL;
		if (redact_next) {
			out = kc_strdup(KC_REDACTED);
		} else if (eq) {
			*eq = 0;
			char *v = kc_redact_value(arg, eq + 1);
			struct kc_buf kv = KC_BUF_INIT;
			kc_buf_printf(&kv, "%s=%s", arg, v);
			free(v);
			out = kc_buf_detach(&kv);
		} else {
			out = kc_redact_text(arg);
		}
		redact_next = arg[0] == '-' && !eq && kc_redact_key_is_secret(arg);
		if (k)
			kc_buf_putc(b, ',');
		char *esc = kc_utf8_escape(out);
		kc_buf_put_json_str(b, esc ? esc : out);
		free(esc);
		free(out);
		free(arg);
		i += n + 1;
	}
	kc_buf_putc(b, ']');
}

static void json_chain(struct kc_buf *b, const struct kc_bpf_decoder *d, const struct kc_mon_hdr *h)
{
	/* the process itself, then its ancestors as the kernel saw them */
	json_key(b, "chain");
	kc_buf_putc(b, '[');
	for (int i = -1; i < KC_MON_CHAIN && (i < 0 || h->chain[i].pid); i++) {
		const struct kc_mon_proc self = { h->pid, { 0 } };
		const struct kc_mon_proc *p = i < 0 ? &self : &h->chain[i];
		char *comm = kstr(i < 0 ? h->comm : p->comm, KC_MON_COMM_LEN);
		const char *exe = kc_u64map_get(&d->procs, p->pid);
		kc_buf_printf(b, "%s{\"pid\":%u,\"comm\":", i >= 0 ? "," : "", p->pid);
		kc_buf_put_json_str(b, comm);
		if (exe) {
			kc_buf_puts(b, ",\"exe\":");
			kc_buf_put_json_str(b, exe);
		}
		kc_buf_putc(b, '}');
		free(comm);
	}
	kc_buf_putc(b, ']');
}

static void json_attr(struct kc_buf *b, const struct kc_attr *a)
{
	json_u64(b, "cgroup_id", a->id);
	json_str(b, "cgroup", a->path);
	if (a->info.kind == KC_CGROUP_HOST)
		json_str(b, "unit", a->info.unit);
	if (a->info.kind >= KC_CGROUP_POD) {
		json_str(b, "pod_uid", a->info.pod_uid);
		json_str(b, "namespace", a->namespace_);
		json_str(b, "pod", a->pod);
		if (a->info.qos[0])
			json_str(b, "qos", a->info.qos);
	}
	if (a->info.kind == KC_CGROUP_CONTAINER) {
		json_str(b, "container_id", a->info.container_id);
		if (a->info.runtime[0])
			json_str(b, "runtime", a->info.runtime);
		if (a->info.conmon)
			json_str(b, "role", "conmon");
	}
}

/* Everything one event needs, decoded once for the row, the rules and the findings. */
struct view {
	const struct kc_mon_hdr *h;
	const struct kc_attr *attr;
	const char *type;
	char *time, *comm, *parent;
	char *path;                 /* file path (open) or executable (exec) */
	struct kc_buf detail;       /* type-specific JSON members, without braces */
	struct kc_bpf_rule_input in;
};

static const char *basename_of(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static void view_exec(struct kc_bpf_decoder *d, struct view *v, const struct kc_mon_exec *e)
{
	v->path = kstr(e->filename, sizeof(e->filename));
	size_t alen = e->args_len < sizeof(e->args) ? e->args_len : sizeof(e->args);
	json_key(&v->detail, "argv");
	json_argv(&v->detail, e->args, alen);
	if (e->h.flags & KC_MON_F_ARGS_TRUNC)
		kc_buf_puts(&v->detail, ",\"argv_truncated\":true");
	char *tty = kstr(e->tty, sizeof(e->tty));
	if (*tty)
		json_str(&v->detail, "tty", tty);
	free(tty);
	if (e->h.flags & KC_MON_F_EXE_MEMFD)
		kc_buf_puts(&v->detail, ",\"memfd\":true");
	if (e->h.flags & KC_MON_F_EXE_SETID)
		kc_buf_puts(&v->detail, ",\"setid\":true");
	if (e->h.flags & KC_MON_F_EXE_DELETED)
		kc_buf_puts(&v->detail, ",\"deleted\":true");
	for (int i = 0; i < KC_MON_EXE_DIRS && !v->in.from_tmp; i++)
		for (size_t k = 0; k < d->ntmp && e->exe_dirs[i]; k++)
			if (d->tmp_dirs[k][0] == e->exe_dev && d->tmp_dirs[k][1] == e->exe_dirs[i]) {
				v->in.from_tmp = 1;
				json_str(&v->detail, "below", d->tmp_names[k]);
				break;
			}
	v->in.setid = !!(e->h.flags & KC_MON_F_EXE_SETID);
	v->in.deleted = !!(e->h.flags & KC_MON_F_EXE_DELETED);
	free(kc_u64map_put(&d->procs, e->h.pid, kc_strdup(v->path)));
	v->in.exe = basename_of(v->path);
	v->in.memfd = !!(e->h.flags & KC_MON_F_EXE_MEMFD);
}

static void view_open(struct kc_bpf_decoder *d, struct view *v, const struct kc_mon_open *e)
{
	const struct kc_watch_entry *w = kc_watchlist_find(&d->wl, e->dev, e->ino);
	char *name = kstr(e->name, sizeof(e->name));
	struct kc_buf p = KC_BUF_INIT;
	if (w && e->match == KC_WATCH_CHILDREN)
		kc_buf_printf(&p, "%s/%s", w->path, name);
	else
		kc_buf_puts(&p, w ? w->path : name);
	v->path = kc_buf_detach(&p);
	free(name);
	int acc = (int)(e->f_flags & O_ACCMODE);
	v->in.write = acc != O_RDONLY || (e->f_flags & (O_TRUNC | O_CREAT));
	v->in.cls = w ? w->cls : NULL;
	v->in.owner = w && (kc_watch_is_owner(w->owners, v->comm) ||
			    (w->pod_uid[0] && !strcmp(w->pod_uid, v->attr->info.pod_uid)));
	json_str(&v->detail, "class", v->in.cls);
	json_str(&v->detail, "access", acc == O_RDONLY ? "read" : acc == O_WRONLY ? "write" : "read-write");
	if (e->f_flags & (O_TRUNC | O_CREAT))
		kc_buf_puts(&v->detail, ",\"create_or_truncate\":true");
	kc_buf_printf(&v->detail, ",\"dev\":\"%llu:%llu\",\"inode\":%llu",
		      (unsigned long long)(e->dev >> 20), (unsigned long long)(e->dev & 0xfffff),
		      (unsigned long long)e->ino);
	if (w && w->pod_uid[0])
		json_str(&v->detail, "token_pod_uid", w->pod_uid);
}

/* A refused open's name, looked up now as the process saw it: an absolute name through its
 * root, a relative one through its working directory or directory fd, while the process
 * lives; once it is gone, an absolute name as the host sees it (a relative one is lost). The
 * kernel cannot give the inode of a file it refused to open, so this lookup is the match. */
static const struct kc_watch_entry *attempt_target(const struct kc_bpf_decoder *d, const struct kc_mon_open *e,
						   const char *name)
{
	char buf[96 + KC_MON_NAME_LEN];
	struct stat st;
	if (!*name)
		return NULL;
	if (name[0] == '/')
		snprintf(buf, sizeof(buf), "/proc/%u/root%s", e->h.pid, name);
	else if (e->dfd == -100 /* AT_FDCWD */)
		snprintf(buf, sizeof(buf), "/proc/%u/cwd/%s", e->h.pid, name);
	else
		snprintf(buf, sizeof(buf), "/proc/%u/fd/%d/%s", e->h.pid, e->dfd, name);
	if (stat(buf, &st) < 0 && (name[0] != '/' || stat(name, &st) < 0))
		return NULL;
	const struct kc_watch_entry *w = kc_watchlist_find(&d->wl, kc_watch_kdev(st.st_dev), (uint64_t)st.st_ino);
	return w && (w->flags & KC_WATCH_FILE) ? w : NULL;
}

/* An attempt (open refused with EACCES or EPERM): kept only when the name is a watched file.
 * Its own event kind, "open-denied", so that the rules for opens that happened do not fire on
 * it. Returns 1 to keep the event. */
static int view_attempt(struct kc_bpf_decoder *d, struct view *v, const struct kc_mon_open *e)
{
	char *name = kstr(e->name, sizeof(e->name));
	const struct kc_watch_entry *w = attempt_target(d, e, name);
	if (!w) {
		free(name);
		return 0;
	}
	v->type = v->in.event = "open-denied";
	v->path = kc_strdup(w->path);
	int acc = (int)(e->f_flags & O_ACCMODE);
	v->in.write = acc != O_RDONLY || (e->f_flags & (O_TRUNC | O_CREAT));
	v->in.cls = w->cls;
	v->in.owner = kc_watch_is_owner(w->owners, v->comm) ||
		      (w->pod_uid[0] && !strcmp(w->pod_uid, v->attr->info.pod_uid));
	json_str(&v->detail, "class", v->in.cls);
	json_str(&v->detail, "access", acc == O_RDONLY ? "read" : acc == O_WRONLY ? "write" : "read-write");
	json_str(&v->detail, "name", name);
	json_str(&v->detail, "errno", e->ret == -EACCES ? "EACCES" : e->ret == -EPERM ? "EPERM" : "other");
	kc_buf_printf(&v->detail, ",\"ret\":%lld", (long long)e->ret);
	if (e->h.flags & KC_MON_F_NAME_TRUNC)
		kc_buf_puts(&v->detail, ",\"name_truncated\":true");
	free(name);
	return 1;
}

static int is_path_op(unsigned nr)
{
	return nr == __NR_rename || nr == __NR_renameat || nr == __NR_renameat2 || nr == __NR_link ||
	       nr == __NR_linkat || nr == __NR_unlink || nr == __NR_unlinkat;
}

static int is_set_id(unsigned nr)
{
	return nr == __NR_setuid || nr == __NR_setreuid || nr == __NR_setresuid || nr == __NR_setgid ||
	       nr == __NR_setregid || nr == __NR_setresgid;
}

/* set*id to 0 (the kernel sends no other): root from non-root when the process's effective
 * uid before the call (from its fork, exec or last set*id) was not 0. A process the monitor
 * has not seen start counts as non-root: a missed escalation is worse than a spare finding. */
static void view_set_id(struct kc_bpf_decoder *d, struct view *v, const struct kc_mon_syscall *e)
{
	void *was = kc_u64map_get(&d->euids, e->h.pid);
	v->in.to_root = !was || (uintptr_t)was - 1 != 0;
	if (was)
		kc_buf_printf(&v->detail, ",\"euid_before\":%llu", (unsigned long long)((uintptr_t)was - 1));
	else
		kc_buf_puts(&v->detail, ",\"euid_before\":\"unknown\"");
	kc_u64map_put(&d->euids, e->h.pid, (void *)((uintptr_t)e->h.euid + 1));
}

/* ptrace requests that take control of, or write into, another process */
static int ptrace_attaches(uint64_t req)
{
	return req == 16 /* ATTACH */ || req == 0x4206 /* SEIZE */ || req == 4 /* POKETEXT */ ||
	       req == 5 /* POKEDATA */ || req == 6 /* POKEUSER */ || req == 13 /* SETREGS */;
}

static void view_syscall(struct view *v, const struct kc_mon_syscall *e)
{
	v->in.syscall = kc_bpf_decoder_syscall_name(e->nr);
	v->in.ptrace_attach = e->nr == __NR_ptrace && ptrace_attaches(e->args[0]);
	json_str(&v->detail, "syscall", v->in.syscall ? v->in.syscall : "unknown");
	kc_buf_printf(&v->detail, ",\"nr\":%u,\"ret\":%lld,\"args\":[", e->nr, (long long)e->ret);
	for (int i = 0; i < 6; i++)
		kc_buf_printf(&v->detail, "%s%llu", i ? "," : "", (unsigned long long)e->args[i]);
	kc_buf_putc(&v->detail, ']');
	if (is_path_op(e->nr))
		return; /* view_path_op named it */
	char *s = kstr(e->str, sizeof(e->str));
	if (*s) {
		json_str(&v->detail, "arg", s);
		v->path = s;
	} else {
		free(s);
	}
}

/* The directory a name of a rename, link or unlink lives in, as (dev, ino), and its last
 * component. A bare name is relative to the directory the kernel reported; a name with a
 * directory part is looked up now: through the process's own root while it lives (a
 * container's view), else as the host sees it. Returns 0, or -1 when it cannot be known
 * (a relative path through a directory of a process already gone). */
static int name_dir(const struct kc_mon_syscall *e, const char *name, uint64_t *dev, uint64_t *ino,
		    const char **base)
{
	const char *slash = strrchr(name, '/');
	struct stat st;
	char buf[64 + KC_MON_NAME_LEN];
	*base = slash ? slash + 1 : name;
	if (!slash) {
		*dev = e->dir_dev;
		*ino = e->dir_ino;
		return 0;
	}
	int dlen = slash == name ? 1 : (int)(slash - name);
	if (name[0] == '/') {
		snprintf(buf, sizeof(buf), "/proc/%u/root%.*s", e->h.pid, dlen, name);
		if (stat(buf, &st) < 0) {
			snprintf(buf, sizeof(buf), "%.*s", dlen, name);
			if (stat(buf, &st) < 0)
				return -1;
		}
	} else {
		snprintf(buf, sizeof(buf), "/proc/%u/cwd/%.*s", e->h.pid, dlen, name);
		if (stat(buf, &st) < 0)
			return -1;
	}
	*dev = kc_watch_kdev(st.st_dev);
	*ino = (uint64_t)st.st_ino;
	return 0;
}

/* rename, link, unlink: kept only when a name on either side is (or would be) watched, in a
 * directory of the watch list; then the watch list is rebuilt (d->watch_changed). Returns 1
 * to keep the event. */
static int view_path_op(struct kc_bpf_decoder *d, struct view *v, const struct kc_mon_syscall *e)
{
	char *nname = kstr(e->str, sizeof(e->str)), *oname = kstr(e->str2, sizeof(e->str2));
	const struct kc_watch_dir *nd = NULL, *od = NULL;
	const char *nbase = NULL, *obase = NULL;
	uint64_t dev, ino;
	if (*nname && name_dir(e, nname, &dev, &ino, &nbase) == 0)
		nd = kc_watchlist_dir_match(&d->wl, dev, ino, nbase);
	if (*oname && name_dir(e, oname, &dev, &ino, &obase) == 0)
		od = kc_watchlist_dir_match(&d->wl, dev, ino, obase);
	const struct kc_watch_dir *w = nd ? nd : od;
	if (w) {
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s/%s", w->path, nd ? nbase : obase);
		v->path = kc_buf_detach(&p);
		v->in.cls = w->cls;
		v->in.owner = kc_watch_is_owner(w->owners, v->comm);
		json_str(&v->detail, "class", w->cls);
		json_str(&v->detail, "name", nname);
		if (*oname)
			json_str(&v->detail, "old_name", oname);
		if (od) {
			struct kc_buf o = KC_BUF_INIT;
			kc_buf_printf(&o, "%s/%s", od->path, obase);
			json_str(&v->detail, "old_path", o.ptr);
			kc_buf_clear(&o);
		}
		kc_buf_printf(&v->detail, ",\"dir_inode\":%llu", (unsigned long long)e->dir_ino);
		d->watch_changed = 1;
	}
	free(nname);
	free(oname);
	return w != NULL;
}

static void view_clear(struct view *v)
{
	free(v->time);
	free(v->comm);
	free(v->parent);
	free(v->path);
	kc_buf_clear(&v->detail);
}

/* The JSON object shared by the event row and its findings. */
static char *view_json(const struct kc_bpf_decoder *d, const struct view *v, const struct kc_bpf_rule *r)
{
	const struct kc_mon_hdr *h = v->h;
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_putc(&b, '{');
	if (r) {
		json_str(&b, "event", v->type);
		json_str(&b, "cis", r->cis);
		json_u64(&b, "pid", h->pid);
		json_str(&b, "comm", v->comm);
		json_str(&b, "path", v->path);
	}
	json_u64(&b, "tid", h->tid);
	json_u64(&b, "ppid", h->ppid);
	json_u64(&b, "vpid", h->vpid);
	json_u64(&b, "uid", h->uid);
	json_u64(&b, "euid", h->euid);
	json_attr(&b, v->attr);
	json_chain(&b, d, h);
	if (h->flags & KC_MON_F_READ_FAIL)
		kc_buf_puts(&b, ",\"read_failure\":true");
	if (v->detail.len) {
		kc_buf_putc(&b, ',');
		kc_buf_add(&b, v->detail.ptr, v->detail.len);
	}
	kc_buf_putc(&b, '}');
	return kc_buf_detach(&b);
}

static int add_finding(struct kc_bpf_decoder *d, const struct view *v, const struct kc_bpf_rule *r)
{
	struct kc_finding f;
	memset(&f, 0, sizeof(f));
	f.rule = r->id;
	f.severity = r->severity;
	f.time = v->time;
	f.source = "bpf";
	f.cis = r->cis;
	f.summary = r->summary;
	f.data_json = view_json(d, v, r);
	int rc = kc_store_add_finding(d->st, d->run_id, &f);
	free(f.data_json);
	if (rc == 0) {
		d->rows++;
		d->findings++;
	}
	return rc;
}

int kc_bpf_decoder_event(struct kc_bpf_decoder *d, const void *data, size_t size)
{
	static const size_t sizes[KC_MON_NTYPES] = {
		[KC_MON_EXEC] = sizeof(struct kc_mon_exec), [KC_MON_FORK] = sizeof(struct kc_mon_fork),
		[KC_MON_EXIT] = sizeof(struct kc_mon_exit), [KC_MON_OPEN] = sizeof(struct kc_mon_open),
		[KC_MON_SYSCALL] = sizeof(struct kc_mon_syscall), [KC_MON_CGROUP] = sizeof(struct kc_mon_cgroup),
	};
	static const char *const types[KC_MON_NTYPES] = { "exec", "fork", "exit", "open", "syscall", "cgroup" };
	const struct kc_mon_hdr *h = data;
	if (size < sizeof(*h) || h->type >= KC_MON_NTYPES || size < sizes[h->type])
		return 0;

	/* the tree: kept in memory for process chains, not stored row by row */
	if (h->type == KC_MON_FORK) {
		const char *exe = kc_u64map_get(&d->procs, h->ppid);
		if (exe)
			free(kc_u64map_put(&d->procs, h->pid, kc_strdup(exe)));
		if (d->euids.len > (1u << 20))
			kc_u64map_clear(&d->euids, NULL); /* bound memory if exits were lost */
		kc_u64map_put(&d->euids, h->pid, (void *)((uintptr_t)h->euid + 1));
		return 0;
	}
	if (h->type == KC_MON_EXIT) {
		free(kc_u64map_del(&d->procs, h->pid));
		kc_u64map_del(&d->euids, h->pid);
		return 0;
	}
	if (h->type == KC_MON_CGROUP) {
		/* named now, while the kernel's word is fresh: the directory may be gone when the
		 * container's first event is decoded */
		const struct kc_mon_cgroup *c = data;
		char *path = kstr(c->path, sizeof(c->path));
		kc_attr_learn(d->attr, c->id, path);
		free(path);
		return 0;
	}
	if (h->type == KC_MON_EXEC)
		kc_u64map_put(&d->euids, h->pid, (void *)((uintptr_t)h->euid + 1));

	struct view v;
	memset(&v, 0, sizeof(v));
	v.h = h;
	v.type = types[h->type];
	v.attr = kc_attr_lookup(d->attr, h->cgroup_id);
	v.time = kc_bpf_decoder_time(d, h->ts_ns);
	v.comm = kstr(h->comm, sizeof(h->comm));
	v.parent = kstr(h->chain[0].comm, sizeof(h->chain[0].comm));
	v.in.event = v.type;
	v.in.comm = v.comm;
	v.in.parent = v.parent;
	v.in.in_container = v.attr->info.kind == KC_CGROUP_CONTAINER && !v.attr->info.conmon;
	v.in.is_init = h->vpid == 1;
	if (h->type == KC_MON_EXEC)
		view_exec(d, &v, data);
	else if (h->type == KC_MON_OPEN && ((const struct kc_mon_open *)data)->ret < 0) {
		if (!view_attempt(d, &v, data)) {
			view_clear(&v); /* refused, but nothing watched */
			return 0;
		}
	} else if (h->type == KC_MON_OPEN)
		view_open(d, &v, data);
	else if (is_path_op(((const struct kc_mon_syscall *)data)->nr) && !view_path_op(d, &v, data)) {
		view_clear(&v); /* a rename elsewhere on the node: nothing watched changed */
		return 0;
	}
	if (h->type == KC_MON_SYSCALL && is_set_id(((const struct kc_mon_syscall *)data)->nr))
		view_set_id(d, &v, data);
	if (h->type == KC_MON_SYSCALL)
		view_syscall(&v, data);

	char *json = view_json(d, &v, NULL);
	const struct kc_cgroup_info *ci = &v.attr->info;
	struct kc_event ev = {
		.time = v.time, .source = "bpf", .type = v.type,
		.pid = h->pid, .ppid = h->ppid, .uid = h->uid,
		.comm = v.comm, .path = v.path,
		.pod_uid = ci->kind >= KC_CGROUP_POD ? ci->pod_uid : NULL,
		.container_id = ci->kind == KC_CGROUP_CONTAINER ? ci->container_id : NULL,
		.namespace_ = v.attr->namespace_, .pod = v.attr->pod,
		.data_json = json,
	};
	int rc = kc_store_add_event(d->st, d->run_id, &ev);
	free(json);
	if (rc == 0)
		d->rows++;
	for (size_t i = 0; rc == 0 && i < d->rules.n; i++)
		if (kc_bpf_rules_match_one(&d->rules.v[i], &v.in))
			rc = add_finding(d, &v, &d->rules.v[i]);
	view_clear(&v);
	if (d->procs.len > (1u << 20))
		kc_u64map_clear(&d->procs, free); /* bound memory if exits were lost */
	return rc;
}
