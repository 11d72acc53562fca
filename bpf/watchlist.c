#include "bpf/watchlist.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bpf/monitor.h"
#include "checks/fsroot.h"
#include "common/error.h"
#include "common/strbuf.h"

#define CONTROL_PLANE "kube-apiserver,kube-controller-manager,kube-scheduler,etcd,kubelet,kubeadm"
/* who writes directly below /etc and the binary directories as a matter of course */
#define PACKAGE_MANAGERS "dpkg,apt,apt-get,aptitude,unattended-upgr,rpm,yum,dnf,microdnf,apk,zypper"
#define ETC_OWNERS PACKAGE_MANAGERS ",useradd,usermod,userdel,groupadd,groupmod,groupdel,passwd," \
	"chpasswd,chfn,chsh,vipw,newusers,systemd,systemd-resolve,systemd-network,systemd-timesyn," \
	"NetworkManager,dhclient,netconfig,resolvconf,cloud-init,ldconfig,update-ca-certifi"
#define SHADOW_OWNERS "passwd,chpasswd,chage,unix_chkpwd,login,sshd,su,sudo,useradd,usermod," \
	"userdel,groupadd,groupmod,pwck,grpck,vipw,newusers"

uint64_t kc_watch_kdev(dev_t st_dev)
{
	return ((uint64_t)major(st_dev) << 20) | (uint64_t)minor(st_dev);
}

int kc_watch_is_owner(const char *owners, const char *comm)
{
	size_t clen = strlen(comm);
	for (const char *p = owners; p && *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		/* the kernel keeps 15 characters of a task's name */
		size_t cmp = n > 15 ? 15 : n;
		if (clen == cmp && strncmp(p, comm, cmp) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

struct spec {
	const char *cls, *owners;
	const char *pod_uid;
	unsigned flags;
};

static void add(struct kc_watchlist *w, const char *path, const struct stat *st, const struct spec *s)
{
	w->v = kc_array_grow(w->v, &w->cap, w->n + 1, sizeof(*w->v));
	struct kc_watch_entry *e = &w->v[w->n++];
	memset(e, 0, sizeof(*e));
	e->path = kc_strdup(path);
	e->cls = s->cls;
	e->owners = s->owners;
	if (s->pod_uid)
		snprintf(e->pod_uid, sizeof(e->pod_uid), "%s", s->pod_uid);
	e->dev = kc_watch_kdev(st->st_dev);
	e->ino = (uint64_t)st->st_ino;
	e->flags = s->flags;
}

static void add_dir(struct kc_watchlist *w, const char *path, size_t len, const struct stat *st,
		    const struct spec *s, const char *glob)
{
	w->dirs = kc_array_grow(w->dirs, &w->dcap, w->ndirs + 1, sizeof(*w->dirs));
	struct kc_watch_dir *d = &w->dirs[w->ndirs++];
	d->path = kc_strndup(path, len);
	d->cls = s->cls;
	d->owners = s->owners;
	d->glob = glob;
	d->dev = kc_watch_kdev(st->st_dev);
	d->ino = (uint64_t)st->st_ino;
}

static void add_file(struct kc_watchlist *w, struct kc_root *r, const char *path, const struct spec *s)
{
	struct stat st;
	/* its directory whether or not the file is there now: a key renamed into place later is
	 * watched from that moment */
	const char *slash = strrchr(path, '/');
	if (slash && slash > path) {
		char *dir = kc_strndup(path, (size_t)(slash - path));
		if (kc_root_lstat(r, dir, &st) == 0 && S_ISDIR(st.st_mode))
			add_dir(w, dir, strlen(dir), &st, s, slash + 1);
		free(dir);
	}
	if (kc_root_lstat(r, path, &st) == 0 && S_ISREG(st.st_mode))
		add(w, path, &st, s);
}

/* Regular files under dir whose name matches glob (NULL = directories only, as
 * KC_WATCH_CHILDREN entries), depth levels down; symlinks are skipped, never followed. */
static void walk(struct kc_watchlist *w, int dfd, struct kc_buf *path, int depth, const char *glob,
		 const struct spec *s)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	struct stat dst;
	if (fstat(dirfd(d), &dst) == 0)
		add_dir(w, path->ptr, path->len, &dst, s, glob ? glob : "*");
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		size_t keep = path->len;
		kc_buf_putc(path, '/');
		kc_buf_puts(path, de->d_name);
		if (S_ISREG(st.st_mode) && glob && fnmatch(glob, de->d_name, 0) == 0) {
			add(w, path->ptr, &st, s);
		} else if (S_ISDIR(st.st_mode) && depth > 0) {
			if (!glob) {
				struct spec dir = *s;
				dir.flags = KC_WATCH_CHILDREN;
				add(w, path->ptr, &st, &dir);
			}
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk(w, sub, path, depth - 1, glob, s);
		}
		kc_buf_truncate(path, keep);
	}
	closedir(d);
}

static void add_tree(struct kc_watchlist *w, struct kc_root *r, const char *dir, int depth,
		     const char *glob, const struct spec *s)
{
	struct stat st;
	if (kc_root_lstat(r, dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return; /* absent, or a symlink: not followed */
	int fd = kc_root_open_dir(r, dir);
	if (fd < 0)
		return;
	struct kc_buf path = KC_BUF_INIT;
	kc_buf_puts(&path, dir);
	if (!glob) {
		struct spec top = *s;
		top.flags = KC_WATCH_CHILDREN;
		add(w, dir, &st, &top);
	}
	walk(w, fd, &path, depth, glob, s);
	kc_buf_clear(&path);
}

/* A directory whose direct children are watched for writes only; a symlink (/bin -> usr/bin
 * on merged-/usr systems) is not followed: its target is listed itself. */
static void add_write_dir(struct kc_watchlist *w, struct kc_root *r, const char *dir, const struct spec *s)
{
	struct stat st;
	if (kc_root_lstat(r, dir, &st) == 0 && S_ISDIR(st.st_mode))
		add(w, dir, &st, s);
}

static const struct {
	const char *name, *cls, *owners;
} kubeconfigs[] = {
	{ "admin.conf", "admin-kubeconfig", "kubeadm" },
	{ "super-admin.conf", "admin-kubeconfig", "kubeadm" },
	{ "controller-manager.conf", "kubeconfig", "kube-controller-manager,kubeadm" },
	{ "scheduler.conf", "kubeconfig", "kube-scheduler,kubeadm" },
	{ "kubelet.conf", "kubelet-config", "kubelet,kubeadm" },
	{ "bootstrap-kubelet.conf", "kubelet-config", "kubelet,kubeadm" },
};

/* Service-account tokens: /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~{projected,secret}/
 * <volume>/..<timestamp>/token (the "token" beside it is a symlink to there). */
static void add_sa_tokens(struct kc_watchlist *w, struct kc_root *r)
{
	int fd = kc_root_open_dir(r, "/var/lib/kubelet/pods");
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct kc_buf dir = KC_BUF_INIT;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) > 36)
			continue;
		static const char *const kinds[] = { "kubernetes.io~projected", "kubernetes.io~secret" };
		for (size_t k = 0; k < 2; k++) {
			struct spec s = { "sa-token", "kubelet", de->d_name, KC_WATCH_FILE };
			kc_buf_reset(&dir);
			kc_buf_printf(&dir, "/var/lib/kubelet/pods/%s/volumes/%s", de->d_name, kinds[k]);
			add_tree(w, r, dir.ptr, 2, "token", &s);
		}
	}
	kc_buf_clear(&dir);
	closedir(d);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct kc_watch_entry *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

int kc_watchlist_build(const char *root, struct kc_watchlist *out)
{
	struct kc_root *r = NULL;
	int rc = kc_root_open(root ? root : "/", &r);
	if (rc < 0)
		return rc;
	struct kc_buf path = KC_BUF_INIT;
	for (size_t i = 0; i < sizeof(kubeconfigs) / sizeof(kubeconfigs[0]); i++) {
		struct spec s = { kubeconfigs[i].cls, kubeconfigs[i].owners, NULL, KC_WATCH_FILE };
		kc_buf_reset(&path);
		kc_buf_printf(&path, "/etc/kubernetes/%s", kubeconfigs[i].name);
		add_file(out, r, path.ptr, &s);
	}
	struct spec pki = { "pki-key", CONTROL_PLANE, NULL, KC_WATCH_FILE };
	add_tree(out, r, "/etc/kubernetes/pki", 3, "*.key", &pki);
	struct spec kpki = { "pki-key", "kubelet", NULL, KC_WATCH_FILE };
	add_tree(out, r, "/var/lib/kubelet/pki", 1, "*.key", &kpki);
	add_tree(out, r, "/var/lib/kubelet/pki", 1, "kubelet-client-*.pem", &kpki);
	/* the directory too: a new manifest written there is tampering as much as an edit */
	struct spec man = { "manifest", "kubelet", NULL, KC_WATCH_FILE };
	add_tree(out, r, "/etc/kubernetes/manifests", 0, NULL, &man);
	add_tree(out, r, "/etc/kubernetes/manifests", 0, "*", &man);
	struct spec kcfg = { "kubelet-config", "kubelet", NULL, KC_WATCH_FILE };
	add_file(out, r, "/var/lib/kubelet/config.yaml", &kcfg);
	add_file(out, r, "/var/lib/kubelet/kubeconfig", &kcfg);
	struct spec etcd = { "etcd-data", "etcd", NULL, KC_WATCH_CHILDREN };
	add_tree(out, r, "/var/lib/etcd", 4, NULL, &etcd);
	add_sa_tokens(out, r);
	/* writes directly below /etc and the binary directories (reads are dropped in the kernel) */
	struct spec etc = { "etc", ETC_OWNERS, NULL, KC_WATCH_CHILD_WRITES };
	add_write_dir(out, r, "/etc", &etc);
	static const char *const bins[] = { "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin",
					    "/usr/local/sbin" };
	struct spec bin = { "bin-dir", PACKAGE_MANAGERS, NULL, KC_WATCH_CHILD_WRITES };
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++)
		add_write_dir(out, r, bins[i], &bin);
	struct spec shadow = { "shadow", SHADOW_OWNERS, NULL, KC_WATCH_FILE };
	add_file(out, r, "/etc/shadow", &shadow);
	add_file(out, r, "/etc/gshadow", &shadow);
	kc_buf_clear(&path);
	kc_root_free(r);

	/* one entry per inode (hard links, a file listed twice): merge flags, keep the first */
	qsort(out->v, out->n, sizeof(*out->v), cmp_entry);
	size_t k = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (k && cmp_entry(&out->v[k - 1], &out->v[i]) == 0) {
			out->v[k - 1].flags |= out->v[i].flags;
			free(out->v[i].path);
			continue;
		}
		out->v[k++] = out->v[i];
	}
	out->n = k;
	return 0;
}

void kc_watchlist_clear(struct kc_watchlist *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].path);
	free(w->v);
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	memset(w, 0, sizeof(*w));
}

const struct kc_watch_entry *kc_watchlist_find(const struct kc_watchlist *w, uint64_t dev, uint64_t ino)
{
	struct kc_watch_entry key;
	memset(&key, 0, sizeof(key));
	key.dev = dev;
	key.ino = ino;
	return w->n ? bsearch(&key, w->v, w->n, sizeof(*w->v), cmp_entry) : NULL;
}

const struct kc_watch_dir *kc_watchlist_dir_match(const struct kc_watchlist *w, uint64_t dev, uint64_t ino,
						  const char *name)
{
	for (size_t i = 0; name && i < w->ndirs; i++)
		if (w->dirs[i].dev == dev && w->dirs[i].ino == ino && fnmatch(w->dirs[i].glob, name, 0) == 0)
			return &w->dirs[i];
	return NULL;
}
