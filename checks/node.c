#include "checks/node.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "checks/k3s.h"
#include "checks/kubelet.h"
#include "checks/podspec.h"
#include "checks/systemd.h"
#include "common/error.h"
#include "common/input.h"
#include "common/redact.h"
#include "common/strbuf.h"

static const char *const comp_names[KC_COMP_COUNT] = {
	"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kubelet", "kube-proxy",
};

/* Config files the components read are kilobytes; this bounds a planted one. */
#define CONFIG_MAX_BYTES (16u << 20)

/* Files larger than this are stat'ed but not hashed: evidence, not a backup. */
#define HASH_MAX_BYTES (16u << 20)

int kc_node_open(struct kc_node *node, const char *root, const char *proc_dir)
{
	memset(node, 0, sizeof(*node));
	struct stat st;
	if (!root || !*root)
		root = "/";
	if (stat(root, &st) != 0)
		return kc_error_set_errno(errno, "--root %s", root);
	if (!S_ISDIR(st.st_mode))
		return kc_error_set(KC_EINVAL, "--root %s: not a directory", root);
	int rc = kc_root_open(root, &node->root);
	if (rc < 0)
		return rc;
	node->proc_dir = proc_dir && *proc_dir && strcmp(proc_dir, "none") != 0 ? kc_strdup(proc_dir) : NULL;
	if (node->proc_dir) {
		/* /proc under --root is confined like every other path there: a /proc/<pid> that
		 * is a symlink out of the root reads the root's own files, never the host's. A
		 * separate --proc (the host's /proc) is confined to itself. */
		size_t rl = strlen(root);
		while (rl > 1 && root[rl - 1] == '/')
			rl--;
		int under = strcmp(root, "/") != 0 && strncmp(node->proc_dir, root, rl) == 0 && node->proc_dir[rl] == '/';
		rc = under ? kc_root_open_sub(node->root, node->proc_dir + rl, &node->proc)
			   : kc_root_open(node->proc_dir, &node->proc);
		if (rc < 0) {
			/* no process discovery, as with --proc none; the components come from files */
			node->proc = NULL;
			kc_error_clear();
		}
	}
	node->manifest_dir = kc_strdup("/etc/kubernetes/manifests");
	for (int i = 0; i < KC_COMP_COUNT; i++) {
		node->comps[i].id = (enum kc_component_id)i;
		node->comps[i].name = comp_names[i];
	}
	return 0;
}

static void component_clear(struct kc_component *c)
{
	free(c->source_path);
	free(c->arg_lines);
	kc_flags_clear(&c->flags);
	if (c->env)
		for (char **e = c->env; *e; e++)
			free(*e);
	free(c->env);
	free(c->cmdline_redacted);
	free(c->image);
	for (size_t i = 0; i < c->nargs; i++)
		free(c->arg_origin[i]);
	free(c->arg_origin);
	free(c->flags_error);
	enum kc_component_id id = c->id;
	const char *name = c->name;
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->name = name;
}

void kc_node_clear(struct kc_node *node)
{
	for (int i = 0; i < KC_COMP_COUNT; i++)
		component_clear(&node->comps[i]);
	for (size_t i = 0; i < node->nusers; i++)
		free(node->users[i].name);
	for (size_t i = 0; i < node->ngroups; i++)
		free(node->groups[i].name);
	free(node->users);
	free(node->groups);
	for (size_t i = 0; i < node->nfiles; i++) {
		free(node->files[i]->path);
		free(node->files[i]->link_target);
		free(node->files[i]->resolved);
		free(node->files[i]);
	}
	free(node->files);
	for (size_t i = 0; i < node->nyamls; i++) {
		free(node->yamls[i]->path);
		free(node->yamls[i]->errmsg);
		kc_yaml_clear(&node->yamls[i]->y);
		free(node->yamls[i]);
	}
	free(node->yamls);
	kc_kubelet_free(node->kubelet);
	kc_strv_free(node->k3s_argv, node->k3s_argc);
	free(node->k3s_config_env);
	free(node->proc_dir);
	kc_root_free(node->proc);
	free(node->manifest_dir);
	kc_root_free(node->root);
	memset(node, 0, sizeof(*node));
}

static int comp_by_program(const char *prog)
{
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	for (int i = 0; i < KC_COMP_COUNT; i++)
		if (strcmp(base, comp_names[i]) == 0)
			return i;
	return -1;
}

/* The command line as evidence: credential flag values in both pflag forms ("--token=v",
 * "--token v") and token-looking text masked, by the one rule of common/redact.h. */
static char *redacted_cmdline(const char *const *argv, size_t argc)
{
	struct kc_buf b = KC_BUF_INIT;
	for (size_t i = 0; i < argc; i++) {
		if (i)
			kc_buf_putc(&b, ' ');
		kc_buf_puts(&b, argv[i]);
	}
	char *red = kc_redact_text(b.ptr);
	kc_buf_clear(&b);
	return red;
}

/* A process's cmdline or environ, read through the confined /proc: the kernel bounds a
 * real one (the argument space is a quarter of the stack limit); a planted one larger than
 * this is reported as cut, never silently shortened. *cut is set then and data is NULL. */
#define PROC_TEXT_MAX (64u << 20)

static char *read_proc_text(struct kc_node *node, const char *pid, const char *what, size_t *len, int *cut)
{
	struct kc_buf p = KC_BUF_INIT;
	kc_buf_printf(&p, "/%s/%s", pid, what);
	char *data = NULL;
	int rc = kc_root_read_file(node->proc, p.ptr, PROC_TEXT_MAX, &data, len);
	kc_buf_clear(&p);
	if (rc == -EFBIG)
		*cut = 1;
	return rc < 0 ? NULL : data;
}

/* k3s and RKE2 run the components inside their own binary (k3s) or start them (rke2):
 * the process name tells the distribution even when no component process is visible. */
static void note_distro_process(struct kc_node *node, const char *pid, const char *prog, size_t len)
{
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	if (strcmp(base, "k3s") == 0 || strncmp(base, "k3s-", 4) == 0) {
		node->distro = KC_DISTRO_K3S;
		node->distro_why = "a running k3s process";
		/* `k3s server` / `k3s agent` runs the components in itself (checks/k3s.c); the
		 * first one found wins, as for the components. k3s execs k3s-server/k3s-agent with
		 * its own argv (cmd/k3s/main.go stageAndRun), so argv[0] is usually "k3s"; a
		 * `k3s kubectl …` or `k3s etcd-snapshot …` beside it is not the server */
		size_t argc = 0;
		char **argv = kc_split_nul(prog, len, &argc);
		int runs = argc >= 2 && (strcmp(argv[1], "server") == 0 || strcmp(argv[1], "agent") == 0) &&
			   (strcmp(base, "k3s") == 0 || strcmp(base, "k3s-server") == 0 || strcmp(base, "k3s-agent") == 0);
		if (node->k3s_argv || !runs) {
			kc_strv_free(argv, argc);
		} else {
			node->k3s_argv = argv;
			node->k3s_argc = argc;
			node->k3s_pid = strtol(pid, NULL, 10);
			size_t elen = 0;
			int ecut = 0;
			char *env = read_proc_text(node, pid, "environ", &elen, &ecut);
			size_t nenv = 0;
			char **ev = env ? kc_split_nul(env, elen, &nenv) : NULL;
			for (size_t i = 0; i < nenv; i++)
				if (strncmp(ev[i], "K3S_CONFIG_FILE=", 16) == 0 && ev[i][16]) {
					free(node->k3s_config_env);
					node->k3s_config_env = kc_strdup(ev[i] + 16);
				}
			kc_strv_free(ev, nenv);
			free(env);
		}
	} else if ((strcmp(base, "rke2") == 0 || strncmp(base, "rke2-", 5) == 0) && node->distro != KC_DISTRO_K3S) {
		node->distro = KC_DISTRO_RKE2;
		node->distro_why = "a running rke2 process";
	}
}

static void load_processes(struct kc_node *node)
{
	char **names;
	size_t nnames;
	if (!node->proc || kc_root_list_dir(node->proc, "/", NULL, 0, &names, &nnames) < 0)
		return;
	char path[512];
	for (size_t k = 0; k < nnames; k++) {
		const char *pid = names[k];
		if (!isdigit((unsigned char)pid[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s/cmdline", node->proc_dir, pid);
		size_t len = 0;
		int cut = 0;
		char *buf = read_proc_text(node, pid, "cmdline", &len, &cut);
		if (cut) {
			/* the program name is in the first bytes: find whose command line was cut */
			struct kc_buf p = KC_BUF_INIT;
			kc_buf_printf(&p, "/%s/cmdline", pid);
			int fd = kc_root_open_file(node->proc, p.ptr);
			kc_buf_clear(&p);
			char head[4096] = "";
			if (fd >= 0) {
				ssize_t hn = read(fd, head, sizeof(head) - 1);
				head[hn > 0 ? hn : 0] = '\0';
				close(fd);
			}
			int cid = comp_by_program(head);
			if (cid >= 0 && node->comps[cid].source != KC_SRC_PROCESS) {
				struct kc_component *c = &node->comps[cid];
				component_clear(c);
				c->source = KC_SRC_PROCESS;
				c->pid = strtol(pid, NULL, 10);
				c->source_path = kc_strdup(path);
				c->cmdline_cut = 1;
				c->cmdline_redacted = kc_strdup("(command line longer than 64 MiB: not read)");
			}
			continue;
		}
		if (!buf || !len) {
			free(buf);
			continue;
		}
		int id = comp_by_program(buf);
		if (id < 0)
			note_distro_process(node, pid, buf, len);
		/* the first (lowest pid in readdir order) instance wins; a restart leaves one */
		if (id < 0 || node->comps[id].source == KC_SRC_PROCESS) {
			free(buf);
			continue;
		}
		struct kc_component *c = &node->comps[id];
		component_clear(c);
		c->source = KC_SRC_PROCESS;
		c->pid = strtol(pid, NULL, 10);
		c->source_path = kc_strdup(path);
		c->flags.component = comp_names[id];
		kc_flags_parse_cmdline(&c->flags, buf, len);
		size_t argc;
		char **argv = kc_split_nul(buf, len, &argc);
		c->cmdline_redacted = redacted_cmdline((const char *const *)argv, argc);
		kc_strv_free(argv, argc);
		free(buf);
		int ecut = 0;
		char *env = read_proc_text(node, pid, "environ", &len, &ecut);
		if (env) {
			c->env = kc_split_nul(env, len, &argc);
			free(env);
		}
		/* etcd reads ETCD_* from it: a cut environment leaves its flags undecided too */
		c->cmdline_cut = ecut;
	}
	kc_strv_free(names, nnames);
}

const char *const kc_node_manifest_dirs[] = {
	"/etc/kubernetes/manifests",                  /* kubeadm */
	"/var/lib/rancher/rke2/agent/pod-manifests",  /* RKE2 */
	NULL,
};

static int is_manifest_name(const char *nm)
{
	size_t l = strlen(nm);
	return nm[0] != '.' && l >= 5 &&
	       (strcmp(nm + l - 5, ".yaml") == 0 || strcmp(nm + l - 4, ".yml") == 0 || strcmp(nm + l - 5, ".json") == 0);
}

static void load_static_pods(struct kc_node *node, const char *dir)
{
	char **names;
	size_t n;
	if (kc_root_list_dir(node->root, dir, NULL, 0, &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!is_manifest_name(names[i]))
			continue;
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s/%s", dir, names[i]);
		struct kc_podspec ps;
		if (kc_podspec_read(node->root, p.ptr, &ps) == 0 && ps.argc > 0) {
			int id = comp_by_program(ps.argv[0]);
			if (id >= 0 && node->comps[id].source == KC_SRC_NONE) {
				struct kc_component *c = &node->comps[id];
				c->source = KC_SRC_STATIC_POD;
				c->source_path = kc_strdup(p.ptr);
				c->flags.component = comp_names[id];
				kc_flags_parse(&c->flags, (int)ps.argc, ps.argv);
				c->cmdline_redacted = redacted_cmdline((const char *const *)ps.argv, ps.argc);
				c->env = ps.env;
				ps.env = NULL;
				c->arg_lines = ps.lines;
				c->narg_lines = ps.argc;
				ps.lines = NULL;
				c->image = ps.image;
				ps.image = NULL;
			} else if (id >= 0 && !node->comps[id].image) {
				/* process flags win, but the manifest's image still tells the version */
				node->comps[id].image = ps.image;
				ps.image = NULL;
			}
		}
		kc_podspec_clear(&ps);
		kc_buf_clear(&p);
	}
	kc_strv_free(names, n);
}

static void load_idnames(struct kc_node *node, const char *path, struct kc_idname **out, size_t *nout)
{
	char *data;
	size_t len, cap = 0;
	if (kc_root_read_file(node->root, path, 4u << 20, &data, &len) < 0)
		return;
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* name:x:id:... for both passwd and group */
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c1 || !c2 || line[0] == '#')
			continue;
		char *end;
		unsigned long id = strtoul(c2 + 1, &end, 10);
		if (end == c2 + 1 || *end != ':')
			continue;
		*out = kc_array_grow(*out, &cap, *nout + 1, sizeof(**out));
		(*out)[*nout].id = (unsigned)id;
		(*out)[(*nout)++].name = kc_strndup(line, (size_t)(c1 - line));
	}
	free(data);
}

/* Clusters built without kubeadm start their components as systemd units: the last source
 * of flags for a component found neither running nor as a static pod. */
static void load_systemd_units(struct kc_node *node)
{
	for (int i = 0; i < KC_COMP_COUNT; i++) {
		struct kc_component *c = &node->comps[i];
		if (c->source != KC_SRC_NONE)
			continue;
		struct kc_buf name = KC_BUF_INIT;
		kc_buf_printf(&name, "%s.service", comp_names[i]);
		struct kc_unit u;
		if (kc_unit_load(node->root, name.ptr, &u) == 0 && u.argc > 0 && comp_by_program(u.argv[0]) == i) {
			c->source = KC_SRC_SYSTEMD;
			/* the unit that starts it; the drop-ins and environment files are in arg_origin */
			c->source_path = kc_strdup(u.path ? u.path : u.exec_file);
			c->flags.component = comp_names[i];
			kc_flags_parse(&c->flags, (int)u.argc, u.argv);
			c->cmdline_redacted = redacted_cmdline((const char *const *)u.argv, u.argc);
			c->arg_origin = u.argv_src;
			c->nargs = u.argc;
			u.argv_src = NULL;
			/* the unit's environment is the component's environment (etcd's ETCD_*) */
			c->env = kc_xcalloc(u.nvars + 1, sizeof(char *));
			for (size_t v = 0; v < u.nvars; v++) {
				struct kc_buf kv = KC_BUF_INIT;
				kc_buf_printf(&kv, "%s=%s", u.vars[v].name, u.vars[v].value);
				c->env[v] = kc_buf_detach(&kv);
			}
			for (size_t a = 0; a < u.argc; a++)
				free(u.argv[a]);
			free(u.argv);
			u.argv = NULL;
			u.argc = 0;
		}
		kc_unit_clear(&u);
		kc_buf_clear(&name);
	}
}

int kc_node_load(struct kc_node *node)
{
	if (node->loaded)
		return 0;
	node->loaded = 1;
	if (node->proc_dir)
		load_processes(node);
	load_static_pods(node, node->manifest_dir);
	for (const char *const *d = kc_node_manifest_dirs + 1; *d; d++)
		load_static_pods(node, *d);
	load_systemd_units(node);
	kc_k3s_load(node);
	load_idnames(node, "/etc/passwd", &node->users, &node->nusers);
	load_idnames(node, "/etc/group", &node->groups, &node->ngroups);
	return 0;
}

const struct kc_component *kc_node_component(struct kc_node *node, enum kc_component_id id)
{
	kc_node_load(node);
	return (unsigned)id < KC_COMP_COUNT ? &node->comps[id] : NULL;
}

const struct kc_component *kc_node_component_by_name(struct kc_node *node, const char *name)
{
	for (int i = 0; i < KC_COMP_COUNT; i++)
		if (strcmp(name, comp_names[i]) == 0)
			return kc_node_component(node, (enum kc_component_id)i);
	return NULL;
}

/* sha256 of a checked file, for evidence and for comparing two files by content. nettle,
 * not OpenSSL: OpenSSL 3's first digest initialises its providers and reads openssl.cnf,
 * about 8 million instructions, more than the rest of a node audit (README, "Startup").
 * A read error leaves the hash empty: a digest of part of a file is no file's digest. */
static void hash_file(struct kc_node *node, struct kc_filefact *f)
{
	int fd = kc_root_open_file(node->root, f->resolved ? f->resolved : f->path);
	if (fd < 0)
		return;
	struct sha256_ctx ctx;
	uint8_t md[SHA256_DIGEST_SIZE];
	char buf[65536];
	ssize_t n;
	sha256_init(&ctx);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&ctx, (size_t)n, (const uint8_t *)buf);
	if (n == 0) {
		sha256_digest(&ctx, sizeof(md), md);
		static const char hex[] = "0123456789abcdef";
		for (unsigned i = 0; i < sizeof(md); i++) {
			f->sha256[2 * i] = hex[md[i] >> 4];
			f->sha256[2 * i + 1] = hex[md[i] & 15];
		}
		f->sha256[2 * sizeof(md)] = '\0';
	}
	close(fd);
}

static void set_stat(struct kc_filefact *f, const struct stat *st)
{
	f->mode = st->st_mode;
	f->uid = st->st_uid;
	f->gid = st->st_gid;
	f->size = st->st_size;
}

const struct kc_filefact *kc_node_file(struct kc_node *node, const char *path)
{
	for (size_t i = 0; i < node->nfiles; i++)
		if (strcmp(node->files[i]->path, path) == 0)
			return node->files[i];
	node->files = kc_array_grow(node->files, &node->files_cap, node->nfiles + 1, sizeof(*node->files));
	struct kc_filefact *f = kc_xcalloc(1, sizeof(*f));
	node->files[node->nfiles++] = f;
	f->path = kc_strdup(path);
	struct stat st;
	int rc = kc_root_lstat(node->root, path, &st);
	if (rc < 0) {
		f->err = -rc;
		return f;
	}
	set_stat(f, &st);
	if (S_ISLNK(st.st_mode)) {
		/* the component reads through the link: the verdict is on the target, resolved
		 * inside root (never outside it); a dangling or escaping link keeps the link's stat */
		f->is_symlink = 1;
		f->link_target = kc_root_readlink(node->root, path);
		rc = kc_root_resolve(node->root, path, &f->resolved);
		struct stat tst;
		if (rc == 0)
			rc = kc_root_lstat(node->root, f->resolved, &tst);
		if (rc < 0) {
			f->link_err = -rc;
			return f;
		}
		set_stat(f, &tst);
		st = tst;
	}
	if (S_ISREG(st.st_mode) && st.st_size <= (off_t)HASH_MAX_BYTES)
		hash_file(node, f);
	return f;
}

static const struct kc_yamlfile *node_yaml_in(struct kc_node *node, struct kc_root *root, long pid, const char *path,
					      const char *name)
{
	for (size_t i = 0; i < node->nyamls; i++)
		if (node->yamls[i]->pid == pid && strcmp(node->yamls[i]->path, path) == 0)
			return node->yamls[i];
	node->yamls = kc_array_grow(node->yamls, &node->yamls_cap, node->nyamls + 1, sizeof(*node->yamls));
	struct kc_yamlfile *yf = kc_xcalloc(1, sizeof(*yf));
	node->yamls[node->nyamls++] = yf;
	yf->path = kc_strdup(path);
	yf->pid = pid;
	char *data;
	size_t len;
	/* kc_node_file and its link facts describe the host view only */
	int host = root && root == node->root;
	struct stat lst;
	if (host && kc_root_lstat(node->root, path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		/* a link whose ".." would climb out of the root is not read at its clamped target:
		 * the same result as for its mode and owner (kc_node_file) */
		const struct kc_filefact *ff = kc_node_file(node, path);
		if (ff->link_err && ff->link_err != ENOENT) {
			struct kc_buf m = KC_BUF_INIT;
			kc_buf_printf(&m, "%s is a symlink to %s, %s", path, ff->link_target ? ff->link_target : "?",
				      ff->link_err == EXDEV ? "which leaves --root: not followed" : strerror(ff->link_err));
			yf->err = KC_EUNSAFE;
			yf->errmsg = kc_buf_detach(&m);
			return yf;
		}
	}
	int rc = root ? kc_root_read_file(root, path, CONFIG_MAX_BYTES, &data, &len) : -ENOENT;
	if (rc < 0) {
		yf->err = rc;
		memset(&yf->y, 0, sizeof(yf->y));
		/* say what the file is when it is not one: a FIFO or a directory where a config is expected */
		struct kc_buf m = KC_BUF_INIT;
		if (rc == -EINVAL && host) {
			const struct kc_filefact *ff = kc_node_file(node, path);
			kc_buf_printf(&m, "%s: is %s, expected a regular file", name, kc_file_type_name(ff->mode));
		} else if (rc == -EINVAL) {
			kc_buf_printf(&m, "%s: not a regular file", name);
		} else if (rc == -EFBIG) {
			kc_buf_printf(&m, "%s: larger than the %u MiB limit for a config file", name, CONFIG_MAX_BYTES >> 20);
		} else if (rc != -ENOENT) {
			kc_buf_printf(&m, "%s: %s", name, strerror(-rc));
		}
		yf->errmsg = m.len ? kc_buf_detach(&m) : NULL;
		kc_buf_clear(&m);
		return yf;
	}
	if (kc_yaml_load(&yf->y, name, data, len) < 0) {
		yf->err = KC_EINVAL;
		yf->errmsg = kc_strdup(kc_error_last());
	}
	free(data);
	return yf;
}

const struct kc_yamlfile *kc_node_yaml(struct kc_node *node, const char *path)
{
	return node_yaml_in(node, node->root, 0, path, path);
}

const struct kc_yamlfile *kc_node_component_yaml(struct kc_node *node, const struct kc_component *c, const char *path,
						 const char **view)
{
	const struct kc_yamlfile *yf = kc_node_yaml(node, path);
	if (view)
		*view = "host";
	if (yf->err != -ENOENT || !c || c->source != KC_SRC_PROCESS || !node->proc || c->pid <= 0)
		return yf;
	/* The process's root, confined like --root: its symlinks cannot leave it. On a real
	 * procfs /proc/<pid>/root is the kernel's magic link to the process's mount namespace
	 * root, which openat2(RESOLVE_IN_ROOT) refuses to follow, so it is opened by its path;
	 * anywhere else (a tree under --root) it is an ordinary entry and is opened confined
	 * inside the proc root, so a planted "root -> /" link reads the tree, never the host. */
	char dir[512], name[1024];
	snprintf(dir, sizeof(dir), "%s/%ld/root", node->proc_dir, c->pid);
	snprintf(name, sizeof(name), "/proc/%ld/root%s", c->pid, path);
	struct kc_root *proot = NULL;
	struct statfs sfs;
	int rc = statfs(node->proc_dir, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC
			 ? kc_root_open(dir, &proot)
			 : kc_root_open_sub(node->proc, dir + strlen(node->proc_dir), &proot);
	if (rc < 0) {
		proot = NULL;
		kc_error_clear();
	}
	const struct kc_yamlfile *pyf = node_yaml_in(node, proot, c->pid, path, name);
	kc_root_free(proot);
	if (pyf->err == -ENOENT)
		return kc_node_yaml(node, path); /* absent in both views: report the host's */
	if (view)
		*view = "process root";
	return pyf;
}

static const char *idname(const struct kc_idname *v, size_t n, unsigned id, char numbuf[16])
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return v[i].name;
	snprintf(numbuf, 16, "%u", id);
	return numbuf;
}

const char *kc_node_user_name(struct kc_node *node, unsigned uid, char numbuf[16])
{
	kc_node_load(node);
	return idname(node->users, node->nusers, uid, numbuf);
}

const char *kc_node_group_name(struct kc_node *node, unsigned gid, char numbuf[16])
{
	kc_node_load(node);
	return idname(node->groups, node->ngroups, gid, numbuf);
}

static int file_exists(struct kc_node *node, const char *path)
{
	return kc_node_file(node, path)->err == 0;
}

int kc_node_has_any_component(struct kc_node *node)
{
	const char *why;
	static const char *const targets[] = { "master", "etcd", "node" };
	for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++)
		if (kc_node_has_target(node, targets[i], &why))
			return 1;
	for (int i = 0; i < KC_COMP_COUNT; i++)
		if (node->comps[i].source != KC_SRC_NONE)
			return 1;
	return 0;
}

int kc_node_has_target(struct kc_node *node, const char *target, const char **why)
{
	kc_node_load(node);
	if (strcmp(target, "master") == 0 || strcmp(target, "controlplane") == 0) {
		const struct kc_component *c = &node->comps[KC_COMP_APISERVER];
		if (c->source != KC_SRC_NONE || file_exists(node, "/etc/kubernetes/manifests/kube-apiserver.yaml") ||
		    file_exists(node, "/var/lib/rancher/rke2/agent/pod-manifests/kube-apiserver.yaml")) {
			*why = "kube-apiserver found on this node";
			return 1;
		}
		*why = "no kube-apiserver process or static pod manifest on this node";
		return 0;
	}
	if (strcmp(target, "etcd") == 0) {
		if (node->comps[KC_COMP_ETCD].source != KC_SRC_NONE || file_exists(node, "/etc/kubernetes/manifests/etcd.yaml")) {
			*why = "etcd found on this node";
			return 1;
		}
		*why = "no etcd process or static pod manifest on this node";
		return 0;
	}
	if (strcmp(target, "node") == 0) {
		if (node->comps[KC_COMP_KUBELET].source != KC_SRC_NONE ||
		    file_exists(node, "/var/lib/kubelet/config.yaml") || file_exists(node, "/etc/kubernetes/kubelet.conf") ||
		    file_exists(node, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf") ||
		    file_exists(node, "/lib/systemd/system/kubelet.service") ||
		    file_exists(node, "/etc/systemd/system/kubelet.service")) {
			*why = "kubelet found on this node";
			return 1;
		}
		*why = "no kubelet process, config or unit on this node";
		return 0;
	}
	*why = "unknown target";
	return 0;
}

const char *kc_distro_name(enum kc_distro d)
{
	switch (d) {
	case KC_DISTRO_KUBEADM: return "kubeadm";
	case KC_DISTRO_K3S: return "k3s";
	case KC_DISTRO_RKE2: return "rke2";
	case KC_DISTRO_SYSTEMD: return "systemd";
	default: return "unknown";
	}
}

enum kc_distro kc_node_distribution(struct kc_node *node, const char **why)
{
	kc_node_load(node);
	if (node->distro == KC_DISTRO_UNKNOWN) {
		static const struct { const char *path; enum kc_distro d; const char *why; } marks[] = {
			{ "/etc/rancher/k3s/config.yaml", KC_DISTRO_K3S, "/etc/rancher/k3s/config.yaml exists" },
			{ "/var/lib/rancher/k3s/agent", KC_DISTRO_K3S, "/var/lib/rancher/k3s/agent exists" },
			{ "/var/lib/rancher/rke2/agent/pod-manifests", KC_DISTRO_RKE2, "RKE2 static pods under /var/lib/rancher/rke2/agent/pod-manifests" },
			{ "/etc/rancher/rke2", KC_DISTRO_RKE2, "/etc/rancher/rke2 exists" },
			{ "/etc/kubernetes/manifests/kube-apiserver.yaml", KC_DISTRO_KUBEADM, "kubeadm's static pod manifests" },
			{ "/var/lib/kubelet/kubeadm-flags.env", KC_DISTRO_KUBEADM, "/var/lib/kubelet/kubeadm-flags.env exists" },
			{ "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", KC_DISTRO_KUBEADM, "kubeadm's kubelet drop-in 10-kubeadm.conf" },
			{ "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", KC_DISTRO_KUBEADM, "kubeadm's kubelet drop-in 10-kubeadm.conf" },
		};
		for (size_t i = 0; i < sizeof(marks) / sizeof(*marks) && node->distro == KC_DISTRO_UNKNOWN; i++)
			if (file_exists(node, marks[i].path)) {
				node->distro = marks[i].d;
				node->distro_why = marks[i].why;
			}
		for (int i = 0; i < KC_COMP_COUNT && node->distro == KC_DISTRO_UNKNOWN; i++)
			if (node->comps[i].source == KC_SRC_SYSTEMD) {
				node->distro = KC_DISTRO_SYSTEMD;
				node->distro_why = "components are started by systemd units";
			}
		if (node->distro == KC_DISTRO_UNKNOWN)
			node->distro_why = "no marker of kubeadm, k3s, RKE2 or systemd-run components";
	}
	if (why)
		*why = node->distro_why;
	return node->distro;
}
