#include "bpf/attribution.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "bpf/u64map.h"
#include "checks/fsroot.h"
#include "common/error.h"
#include "common/strbuf.h"

/* ---- the parser (outside input: fuzzed by fuzz/fuzz_cgroup_path.c) ---- */

struct span {
	const char *p;
	size_t n;
};

static int span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int span_prefix(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && memcmp(s.p, lit, n) == 0;
}

static int span_suffix(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && memcmp(s.p + s.n - n, lit, n) == 0;
}

static const char *span_find(struct span s, const char *lit, int last)
{
	size_t n = strlen(lit);
	const char *hit = NULL;
	for (size_t i = 0; n <= s.n && i <= s.n - n; i++)
		if (memcmp(s.p + i, lit, n) == 0) {
			hit = s.p + i;
			if (!last)
				break;
		}
	return hit;
}

static void copy_span(char *dst, size_t cap, const char *p, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Pod UIDs: API-created pods have a 36-character UUID, static pods a 32-hex hash; the
 * systemd driver writes '-' as '_'. */
static int take_uid(const char *p, size_t n, char out[40])
{
	char uid[40];
	if (n < 32 || n > 36)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '_')
			c = '-';
		if (!is_hex(c) && c != '-')
			return 0;
		uid[i] = c;
	}
	uid[n] = 0;
	memcpy(out, uid, n + 1); /* only whole: a failed parse leaves out untouched */
	return 1;
}

static int take_qos(struct span s, char out[16])
{
	if (span_eq(s, "besteffort") || span_eq(s, "burstable") || span_eq(s, "guaranteed")) {
		copy_span(out, 16, s.p, s.n);
		return 1;
	}
	return 0;
}

/* "<runtime>-<64hex>.scope" (systemd) or "<64hex>" / "crio-<64hex>" (cgroupfs) */
static int take_container(struct span s, struct kc_cgroup_info *out)
{
	static const struct { const char *prefix, *runtime; int conmon; } kinds[] = {
		{ "cri-containerd-", "containerd", 0 },
		{ "crio-conmon-", "crio", 1 },
		{ "crio-", "crio", 0 },
		{ "docker-", "docker", 0 },
		{ "", "", 0 },
	};
	if (span_suffix(s, ".scope"))
		s.n -= strlen(".scope");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (!span_prefix(s, kinds[k].prefix))
			continue;
		size_t off = strlen(kinds[k].prefix);
		if (s.n - off != 64)
			continue;
		int ok = 1;
		for (size_t i = off; i < s.n && ok; i++)
			ok = is_hex(s.p[i]);
		if (!ok)
			continue;
		copy_span(out->container_id, sizeof(out->container_id), s.p + off, 64);
		copy_span(out->runtime, sizeof(out->runtime), kinds[k].runtime, strlen(kinds[k].runtime));
		out->conmon = kinds[k].conmon;
		return 1;
	}
	return 0;
}

/* systemd driver: "kubepods[-<qos>]-pod<uid>.slice", possibly with a cgroup-root prefix
 * ("kubelet-kubepods-..."); also the qos slice "kubepods-<qos>.slice". */
static int take_systemd_slice(struct span s, struct kc_cgroup_info *out, int *in_kubepods)
{
	if (!span_suffix(s, ".slice"))
		return 0;
	const char *kp = span_find(s, "kubepods", 0);
	if (!kp)
		return 0;
	*in_kubepods = 1;
	const char *end = s.p + s.n - strlen(".slice");
	const char *after = kp + strlen("kubepods");
	struct span rest = { after, (size_t)(end - after) };
	const char *pod = span_find(rest, "-pod", 1);
	const char *qend = pod ? pod : end;
	if (after < qend && *after == '-') {
		struct span q = { after + 1, (size_t)(qend - after - 1) };
		take_qos(q, out->qos);
	}
	if (pod && take_uid(pod + 4, (size_t)(end - pod - 4), out->pod_uid))
		return 2;
	return 1;
}

void kc_cgroup_parse(const char *path, size_t len, struct kc_cgroup_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!path || !len)
		return;
	int in_kubepods = 0, have_pod = 0, have_container = 0;
	struct span last = { path, 0 };
	for (size_t i = 0; i < len;) {
		while (i < len && path[i] == '/')
			i++;
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		struct span c = { path + i, j - i };
		i = j;
		if (!c.n)
			continue;
		last = c;
		if (have_container)
			continue;
		if (have_pod) {
			have_container = take_container(c, out);
			continue;
		}
		int r = take_systemd_slice(c, out, &in_kubepods);
		if (r == 2) {
			have_pod = 1;
			continue;
		}
		if (r == 1)
			continue;
		if (span_eq(c, "kubepods")) {
			in_kubepods = 1;
			continue;
		}
		if (in_kubepods && take_qos(c, out->qos))
			continue;
		if (in_kubepods && span_prefix(c, "pod") && take_uid(c.p + 3, c.n - 3, out->pod_uid))
			have_pod = 1;
	}
	if (have_container)
		out->kind = KC_CGROUP_CONTAINER;
	else if (have_pod)
		out->kind = KC_CGROUP_POD;
	else
		out->kind = KC_CGROUP_HOST;
	if (!have_pod) {
		memset(out->qos, 0, sizeof(out->qos));
		copy_span(out->unit, sizeof(out->unit), last.p, last.n);
		/* a NUL inside a fuzzed path would end the string early: that is fine */
	}
}

/* ---- the cache ---- */

struct pod_dir {
	char uid[40];
	char *namespace_, *name;
};

struct kc_attr_cache {
	char *cgroot;              /* NULL: no v2 hierarchy; else where it is, for messages */
	int cgfd;                  /* the hierarchy's root directory, -1 when none */
	struct kc_root *root;      /* NULL when --root cannot be opened: no pod names */
	struct kc_u64map ids;      /* cgroup id -> struct kc_attr */
	struct kc_u64map missed;   /* ids still unknown after a rescan */
	struct kc_attr unknown;
	struct pod_dir *pods;
	size_t npods, pods_cap;
	double pods_at;            /* monotonic seconds of the last /var/log/pods scan */
	char last_missed_uid[40];
	uint64_t learn_seq;        /* kc_attr_learn calls so far */
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fd_is_cgroup2(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* The auditor's own mount: a fixed path of this process, not from the host. */
static int open_own_cgroup2(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && !fd_is_cgroup2(fd)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* <root><rel> from the host: resolved inside the root (checks/fsroot.h), and the last
 * component must be a directory itself, not a symlink to one; the opened directory must be
 * the one lstat saw, and a cgroup2 mount. */
static int open_root_cgroup2(struct kc_root *r, const char *rel)
{
	struct stat lst, st;
	if (kc_root_lstat(r, rel, &lst) < 0 || !S_ISDIR(lst.st_mode))
		return -1;
	int fd = kc_root_open_dir(r, rel);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino || !fd_is_cgroup2(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

static char *join_root(const char *root, const char *rel)
{
	struct kc_buf b = KC_BUF_INIT;
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	kc_buf_add(&b, root, n);
	kc_buf_puts(&b, n == 1 && root[0] == '/' ? rel + 1 : rel);
	return kc_buf_detach(&b);
}

int kc_attr_open_cgroup_root(const char *host_root, char **where)
{
	static const char *const rels[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	struct kc_root *r = NULL;
	int fd = -1;

	*where = NULL;
	if (host_root && *host_root && strcmp(host_root, "/") != 0) {
		if (kc_root_open(host_root, &r) == 0) {
			for (size_t i = 0; i < 2 && fd < 0; i++)
				if ((fd = open_root_cgroup2(r, rels[i])) >= 0)
					*where = join_root(host_root, rels[i]);
			kc_root_free(r);
		}
		kc_error_clear();
	}
	for (size_t i = 0; i < 2 && fd < 0; i++)
		if ((fd = open_own_cgroup2(rels[i])) >= 0)
			*where = kc_strdup(rels[i]);
	return fd;
}

static void attr_free(void *p)
{
	struct kc_attr *a = p;
	free(a->path);
	free(a->namespace_);
	free(a->pod);
	free(a);
}

static void pods_clear(struct kc_attr_cache *c)
{
	for (size_t i = 0; i < c->npods; i++) {
		free(c->pods[i].namespace_);
		free(c->pods[i].name);
	}
	c->npods = 0;
}

int kc_attr_new(const char *cgroup_root, const char *host_root, struct kc_attr_cache **out)
{
	char *where = NULL;
	int fd;
	if (cgroup_root) {
		fd = open_own_cgroup2(cgroup_root);
		if (fd >= 0)
			where = kc_strdup(cgroup_root);
	} else {
		fd = kc_attr_open_cgroup_root(host_root, &where);
	}
	int rc = kc_attr_new_fd(fd, where, host_root, out);
	free(where);
	return rc;
}

int kc_attr_new_fd(int cgroup_fd, const char *where, const char *host_root, struct kc_attr_cache **out)
{
	struct kc_attr_cache *c = kc_xcalloc(1, sizeof(*c));
	c->cgfd = cgroup_fd;
	if (cgroup_fd >= 0)
		c->cgroot = kc_strdup(where ? where : "(cgroup v2)");
	if (kc_root_open(host_root ? host_root : "/", &c->root) < 0)
		c->root = NULL; /* attribution still works, only without pod names */
	kc_error_clear();
	c->pods_at = -1e9;
	*out = c;
	return 0;
}

void kc_attr_free(struct kc_attr_cache *c)
{
	if (!c)
		return;
	kc_u64map_clear(&c->ids, attr_free);
	kc_u64map_clear(&c->missed, NULL);
	pods_clear(c);
	free(c->pods);
	kc_root_free(c->root);
	if (c->cgfd >= 0)
		close(c->cgfd);
	free(c->cgroot);
	free(c);
}

const char *kc_attr_cgroup_root(const struct kc_attr_cache *c)
{
	return c->cgroot;
}

static struct kc_attr *add_id(struct kc_u64map *m, uint64_t id, const char *path)
{
	struct kc_attr *a = kc_xcalloc(1, sizeof(*a));
	a->id = id;
	a->path = kc_strdup(path);
	kc_cgroup_parse(a->path, strlen(a->path), &a->info);
	void *old = kc_u64map_put(m, id, a);
	if (old)
		attr_free(old);
	return a;
}

void kc_attr_learn(struct kc_attr_cache *c, uint64_t cgroup_id, const char *path)
{
	if (!c->cgroot || !path || path[0] != '/')
		return;
	struct kc_attr *a = add_id(&c->ids, cgroup_id, path);
	a->learned = ++c->learn_seq;
	kc_u64map_del(&c->missed, cgroup_id);
}

/* Directories only, never through symlinks (cgroupfs has none, but be strict anyway). */
static void walk(int dfd, struct kc_buf *path, int depth, struct kc_u64map *m)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		size_t keep = path->len;
		if (keep > 1)
			kc_buf_putc(path, '/');
		kc_buf_puts(path, de->d_name);
		add_id(m, (uint64_t)st.st_ino, path->ptr);
		if (depth < 32) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk(sub, path, depth + 1, m);
		}
		kc_buf_truncate(path, keep);
	}
	closedir(d);
}

static void rescan(struct kc_attr_cache *c)
{
	struct kc_u64map fresh = KC_U64MAP_INIT;
	struct kc_buf path = KC_BUF_INIT;
	struct stat st;
	/* a fresh descriptor of the directory found at start: the path is not resolved again */
	int fd = openat(c->cgfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		add_id(&fresh, (uint64_t)st.st_ino, "/");
		kc_buf_puts(&path, "/");
		walk(fd, &path, 0, &fresh);
	} else if (fd >= 0) {
		close(fd);
	}
	kc_buf_clear(&path);
	/* keep pod names already resolved for cgroups that still exist */
	for (size_t i = 0; i < fresh.cap; i++) {
		struct kc_attr *a = fresh.vals[i], *old;
		if (a && (old = kc_u64map_get(&c->ids, a->id)) && old->namespace_) {
			a->namespace_ = kc_strdup(old->namespace_);
			a->pod = kc_strdup(old->pod);
		}
	}
	/* cgroups the kernel reported at creation and already removed: their events may still
	 * be in the ring buffer; the newest KC_ATTR_LEARNED_MAX are kept */
	for (size_t i = 0; i < c->ids.cap; i++) {
		struct kc_attr *old = c->ids.vals[i], *a;
		if (!old || !old->learned || old->learned + KC_ATTR_LEARNED_MAX <= c->learn_seq ||
		    kc_u64map_get(&fresh, old->id))
			continue;
		a = add_id(&fresh, old->id, old->path);
		a->learned = old->learned;
		a->namespace_ = old->namespace_ ? kc_strdup(old->namespace_) : NULL;
		a->pod = old->pod ? kc_strdup(old->pod) : NULL;
	}
	kc_u64map_clear(&c->ids, attr_free);
	c->ids = fresh;
}

static void scan_pods(struct kc_attr_cache *c)
{
	pods_clear(c);
	c->pods_at = now_mono();
	if (!c->root)
		return;
	int fd = kc_root_open_dir(c->root, "/var/log/pods");
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		/* <namespace>_<pod>_<uid>: names are DNS labels (no '_'), so split at the ends */
		const char *a = strchr(de->d_name, '_'), *b = strrchr(de->d_name, '_');
		if (!a || a == b || a == de->d_name)
			continue;
		struct pod_dir p;
		memset(&p, 0, sizeof(p));
		if (!take_uid(b + 1, strlen(b + 1), p.uid))
			continue;
		p.namespace_ = kc_strndup(de->d_name, (size_t)(a - de->d_name));
		p.name = kc_strndup(a + 1, (size_t)(b - a - 1));
		c->pods = kc_array_grow(c->pods, &c->pods_cap, c->npods + 1, sizeof(*c->pods));
		c->pods[c->npods++] = p;
	}
	closedir(d);
}

static const struct pod_dir *find_pod(struct kc_attr_cache *c, const char *uid)
{
	for (size_t i = 0; i < c->npods; i++)
		if (!strcmp(c->pods[i].uid, uid))
			return &c->pods[i];
	return NULL;
}

static void resolve_pod(struct kc_attr_cache *c, struct kc_attr *a)
{
	const struct pod_dir *p = find_pod(c, a->info.pod_uid);
	/* a new pod's log directory appears just before its containers start: rescan for a
	 * uid not seen before, otherwise at most once a second */
	if (!p && (strcmp(c->last_missed_uid, a->info.pod_uid) != 0 || now_mono() - c->pods_at >= 1.0)) {
		scan_pods(c);
		p = find_pod(c, a->info.pod_uid);
		if (!p)
			memcpy(c->last_missed_uid, a->info.pod_uid, sizeof(c->last_missed_uid));
	}
	if (p) {
		a->namespace_ = kc_strdup(p->namespace_);
		a->pod = kc_strdup(p->name);
	}
}

const struct kc_attr *kc_attr_lookup(struct kc_attr_cache *c, uint64_t cgroup_id)
{
	memset(&c->unknown, 0, sizeof(c->unknown));
	c->unknown.id = cgroup_id;
	if (!c->cgroot)
		return &c->unknown;
	struct kc_attr *a = kc_u64map_get(&c->ids, cgroup_id);
	if (!a && !kc_u64map_get(&c->missed, cgroup_id)) {
		rescan(c);
		a = kc_u64map_get(&c->ids, cgroup_id);
		if (!a) {
			/* gone before we looked (short-lived cgroup): do not rescan for it again */
			if (c->missed.len > 4096)
				kc_u64map_clear(&c->missed, NULL);
			kc_u64map_put(&c->missed, cgroup_id, (void *)1);
		}
	}
	if (!a)
		return &c->unknown;
	if (a->info.kind >= KC_CGROUP_POD && !a->namespace_)
		resolve_pod(c, a);
	return a;
}
