/* The BPF monitor's user-side pieces that need no kernel: cgroup path -> pod/container
 * attribution for both kubelet cgroup drivers and three runtimes, the watch list's device
 * encoding and owner matching, the rule file and its matcher, and the id map. */
#include "kc_test.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/attribution.h"
#include "bpf/rules.h"
#include "bpf/u64map.h"
#include "bpf/watchlist.h"
#include "common/error.h"
#include "common/strbuf.h"

#define UID "6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718"
#define UID_ "6f1c2b3a_9d8e_4f70_a1b2_c3d4e5f60718"
#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void parse(const char *path, struct kc_cgroup_info *out)
{
	kc_cgroup_parse(path, strlen(path), out);
}

static void test_systemd_containerd(void **state)
{
	(void)state;
	struct kc_cgroup_info i;
	parse("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	      ".slice/cri-containerd-" CID ".scope", &i);
	assert_int_equal(i.kind, KC_CGROUP_CONTAINER);
	assert_string_equal(i.pod_uid, UID);
	assert_string_equal(i.container_id, CID);
	assert_string_equal(i.runtime, "containerd");
	assert_string_equal(i.qos, "besteffort");
}

static void test_systemd_guaranteed_crio_docker(void **state)
{
	(void)state;
	struct kc_cgroup_info i;
	parse("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" CID ".scope", &i);
	assert_int_equal(i.kind, KC_CGROUP_CONTAINER);
	assert_string_equal(i.runtime, "crio");
	assert_string_equal(i.qos, "");
	assert_int_equal(i.conmon, 0);
	parse("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	      ".slice/crio-conmon-" CID ".scope", &i);
	assert_int_equal(i.kind, KC_CGROUP_CONTAINER);
	assert_int_equal(i.conmon, 1);
	assert_string_equal(i.qos, "burstable");
	parse("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	      ".slice/docker-" CID ".scope", &i);
	assert_string_equal(i.runtime, "docker");
	/* kind's nested layout: a cgroup-root prefix on every slice */
	parse("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	      "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID ".scope", &i);
	assert_int_equal(i.kind, KC_CGROUP_CONTAINER);
	assert_string_equal(i.pod_uid, UID);
}

static void test_cgroupfs(void **state)
{
	(void)state;
	struct kc_cgroup_info i;
	parse("/kubepods/burstable/pod" UID "/" CID, &i);
	assert_int_equal(i.kind, KC_CGROUP_CONTAINER);
	assert_string_equal(i.pod_uid, UID);
	assert_string_equal(i.container_id, CID);
	assert_string_equal(i.qos, "burstable");
	assert_string_equal(i.runtime, "");
	parse("/kubepods/pod" UID "/crio-" CID, &i);
	assert_int_equal(i.kind, KC_CGROUP_CONTAINER);
	assert_string_equal(i.runtime, "crio");
	/* a static pod's uid is a 32-hex hash */
	parse("/kubepods/besteffort/pod0123456789abcdef0123456789abcdef", &i);
	assert_int_equal(i.kind, KC_CGROUP_POD);
	assert_string_equal(i.pod_uid, "0123456789abcdef0123456789abcdef");
}

static void test_host_and_odd(void **state)
{
	(void)state;
	struct kc_cgroup_info i;
	parse("/system.slice/kubelet.service", &i);
	assert_int_equal(i.kind, KC_CGROUP_HOST);
	assert_string_equal(i.unit, "kubelet.service");
	parse("/", &i);
	assert_int_equal(i.kind, KC_CGROUP_HOST);
	assert_string_equal(i.unit, "");
	parse("", &i);
	assert_int_equal(i.kind, KC_CGROUP_UNKNOWN);
	/* "pod..." outside kubepods is not a pod; a 63-hex id is not a container */
	parse("/user.slice/pod" UID "/" CID, &i);
	assert_int_equal(i.kind, KC_CGROUP_HOST);
	parse("/kubepods/besteffort/pod" UID "/" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", &i);
	assert_int_equal(i.kind, KC_CGROUP_POD);
	parse("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podzz.slice", &i);
	assert_int_equal(i.kind, KC_CGROUP_HOST);
	/* a uid that fails half-way leaves nothing behind (found by fuzz_cgroup_path) */
	parse("/kubepods.slice/kubepods-pod0123456789abcdef012\001xx789abcdef.slice", &i);
	assert_int_equal(i.kind, KC_CGROUP_HOST);
	assert_string_equal(i.pod_uid, "");
}

static void test_watch_dev_and_owner(void **state)
{
	(void)state;
	/* user space 254:0 (st_dev 0xfe00) is the kernel's 254 << 20 */
	assert_int_equal(kc_watch_kdev(makedev(254, 0)), 254ULL << 20);
	assert_int_equal(kc_watch_kdev(makedev(8, 17)), (8ULL << 20) | 17);
	assert_true(kc_watch_is_owner("kube-apiserver,kube-controller-manager", "kube-controller"));
	assert_true(kc_watch_is_owner("kube-apiserver,etcd", "etcd"));
	assert_false(kc_watch_is_owner("kube-apiserver,etcd", "cat"));
	assert_false(kc_watch_is_owner("kube-apiserver,etcd", "etc"));
	assert_false(kc_watch_is_owner(NULL, "cat"));
}

static void test_rules_file(void **state)
{
	(void)state;
	struct kc_bpf_rules r = KC_BPF_RULES_INIT;
	int rc = kc_bpf_rules_load("policies/runtime/bpf-rules.yaml", &r);
	if (rc < 0)
		fail_msg("%s", kc_error_last());
	assert_true(r.n >= 10);
	struct kc_bpf_rule_input shell = { .event = "exec", .in_container = 1, .exe = "sh", .comm = "sh",
				       .parent = "bash" };
	struct kc_bpf_rule_input init = shell;
	init.is_init = 1;
	struct kc_bpf_rule_input host = shell;
	host.in_container = 0;
	struct kc_bpf_rule_input shadow = { .event = "open", .comm = "cat", .parent = "sh", .cls = "shadow" };
	struct kc_bpf_rule_input passwd = shadow;
	passwd.comm = "passwd";
	passwd.owner = 1; /* the decoder decides ownership from the watch list */
	struct kc_bpf_rule_input exec_in = { .event = "exec", .in_container = 1, .exe = "ls", .comm = "ls",
					 .parent = "runc:[2:INIT]" };
	struct kc_bpf_rule_input module = { .event = "syscall", .syscall = "finit_module", .comm = "modprobe" };
	/* a refused open of a key is its own event kind: the rules for keys that were read stay quiet */
	struct kc_bpf_rule_input denied = { .event = "open-denied", .comm = "cat", .parent = "sh", .cls = "pki-key",
					    .in_container = 1 };
	struct kc_bpf_rule_input denied_owner = denied;
	denied_owner.owner = 1;
	struct kc_bpf_rule_input key_read = denied;
	key_read.event = "open";
	const struct { const char *rule; struct kc_bpf_rule_input *in; int want; } cases[] = {
		{ "shell-in-container", &shell, 1 }, { "shell-in-container", &init, 0 },
		{ "shell-in-container", &host, 0 }, { "shadow-read", &shadow, 1 },
		{ "shadow-read", &passwd, 0 }, { "exec-into-container", &exec_in, 1 },
		{ "exec-into-container", &shell, 0 }, { "kernel-module-load", &module, 1 },
		{ "watched-file-open-denied", &denied, 1 }, { "watched-file-open-denied", &denied_owner, 0 },
		{ "watched-file-open-denied", &key_read, 0 }, { "pki-key-read-by-non-owner", &denied, 0 },
		{ "pki-key-read-by-non-owner", &key_read, 1 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct kc_bpf_rule *rule = NULL;
		for (size_t i = 0; i < r.n; i++)
			if (!strcmp(r.v[i].id, cases[c].rule))
				rule = &r.v[i];
		assert_non_null(rule);
		if (kc_bpf_rules_match_one(rule, cases[c].in) != cases[c].want)
			fail_msg("rule %s, case %zu: expected %d", cases[c].rule, c, cases[c].want);
	}
	kc_bpf_rules_clear(&r);
}

static void test_rules_errors(void **state)
{
	(void)state;
	struct kc_bpf_rules r = KC_BPF_RULES_INIT;
	const char *bad = "rules:\n  - id: x\n    event: exec\n    summary: s\n    exee: [sh]\n";
	assert_int_equal(kc_bpf_rules_parse("t.yaml", bad, strlen(bad), &r), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "t.yaml:5:5: unknown key 'exee'"));
	kc_bpf_rules_clear(&r);
	const char *sev = "rules:\n  - {id: x, event: exec, summary: s, severity: huge}\n";
	assert_int_equal(kc_bpf_rules_parse("t.yaml", sev, strlen(sev), &r), KC_EINVAL);
	kc_bpf_rules_clear(&r);
	const char *dup = "rules:\n  - {id: x, event: exec, summary: s}\n  - {id: x, event: open, summary: s}\n";
	assert_int_equal(kc_bpf_rules_parse("t.yaml", dup, strlen(dup), &r), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "duplicate"));
	kc_bpf_rules_clear(&r);
}

static void test_u64map(void **state)
{
	(void)state;
	struct kc_u64map m = KC_U64MAP_INIT;
	static int vals[5000];
	for (uint64_t k = 0; k < 5000; k++)
		assert_null(kc_u64map_put(&m, k * 7919, &vals[k]));
	for (uint64_t k = 0; k < 5000; k += 2)
		assert_ptr_equal(kc_u64map_del(&m, k * 7919), &vals[k]);
	for (uint64_t k = 0; k < 5000; k++)
		assert_ptr_equal(kc_u64map_get(&m, k * 7919), k % 2 ? &vals[k] : NULL);
	assert_int_equal(m.len, 2500);
	kc_u64map_clear(&m, NULL);
	assert_null(kc_u64map_get(&m, 1));
}

static uint64_t ino_of(const char *dir, const char *rel)
{
	struct kc_buf p = KC_BUF_INIT;
	struct stat st;
	kc_buf_printf(&p, "%s/%s", dir, rel);
	if (lstat(p.ptr, &st) < 0)
		fail_msg("lstat %s: %s", p.ptr, strerror(errno));
	kc_buf_clear(&p);
	return (uint64_t)st.st_ino;
}

#define POD_CG "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice"
#define CTR_CG POD_CG "/cri-containerd-" CID ".scope"

/* A host tree mounted somewhere else (a DaemonSet's /host): cgroup ids are the inode numbers
 * of the directories under <root>/sys/fs/cgroup, the path is relative to that directory, and
 * the pod's name comes from <root>/var/log/pods. Plain directories stand in for cgroupfs:
 * the cache maps whatever tree it is given, so no BPF, no mount and no root are needed. */
static void test_attr_resolves_through_root_tree(void **state)
{
	(void)state;
	char *root = kc_test_mkdtemp();
	kc_test_write(root, "sys/fs/cgroup/" CTR_CG "/cgroup.procs", "", 0644);
	kc_test_write(root, "sys/fs/cgroup/system.slice/kubelet.service/cgroup.procs", "", 0644);
	kc_test_write(root, "var/log/pods/kube-system_web-0_" UID "/web/0.log", "", 0644);
	kc_test_write(root, "outside/secret", "", 0644);
	/* a symlink inside the tree is not a cgroup and is never followed */
	struct kc_buf cg = KC_BUF_INIT, link = KC_BUF_INIT;
	kc_buf_printf(&cg, "%s/sys/fs/cgroup", root);
	kc_buf_printf(&link, "%s/escape", cg.ptr);
	assert_int_equal(symlink("../../../outside", link.ptr), 0);

	int fd = open(cg.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct kc_attr_cache *c = NULL;
	assert_int_equal(kc_attr_new_fd(fd, cg.ptr, root, &c), 0);
	assert_string_equal(kc_attr_cgroup_root(c), cg.ptr);

	const struct kc_attr *a = kc_attr_lookup(c, ino_of(cg.ptr, CTR_CG));
	assert_int_equal(a->info.kind, KC_CGROUP_CONTAINER);
	assert_string_equal(a->path, "/" CTR_CG);
	assert_string_equal(a->info.pod_uid, UID);
	assert_string_equal(a->info.container_id, CID);
	assert_non_null(a->namespace_);
	assert_string_equal(a->namespace_, "kube-system");
	assert_string_equal(a->pod, "web-0");
	a = kc_attr_lookup(c, ino_of(cg.ptr, POD_CG));
	assert_int_equal(a->info.kind, KC_CGROUP_POD);
	a = kc_attr_lookup(c, ino_of(cg.ptr, "system.slice/kubelet.service"));
	assert_int_equal(a->info.kind, KC_CGROUP_HOST);
	assert_string_equal(a->info.unit, "kubelet.service");
	a = kc_attr_lookup(c, ino_of(cg.ptr, "."));
	assert_string_equal(a->path, "/");
	/* the symlink's target is not reached, nor the symlink itself taken for a cgroup */
	assert_int_equal(kc_attr_lookup(c, ino_of(root, "outside"))->info.kind, KC_CGROUP_UNKNOWN);
	assert_null(kc_attr_lookup(c, ino_of(cg.ptr, "escape"))->path);
	kc_attr_free(c);
	kc_buf_clear(&cg);
	kc_buf_clear(&link);
	kc_test_rmtree(root);
	free(root);
}

/* The own cgroup v2 hierarchy of this machine, or NULL. */
static const char *own_cgroup2(void)
{
	char *where = NULL;
	int fd = kc_attr_open_cgroup_root("/", &where);
	if (fd >= 0)
		close(fd);
	static char buf[64];
	snprintf(buf, sizeof(buf), "%s", where ? where : "");
	free(where);
	return buf[0] ? buf : NULL;
}

/* A --root whose sys/fs/cgroup is not a cgroup2 mount, or whose sys/fs/cgroup/unified is a
 * symlink, is not used: the auditor's own hierarchy is (no mount needed to check that). */
static void test_cgroup_root_rejects_plain_dir_and_symlink(void **state)
{
	(void)state;
	char *root = kc_test_mkdtemp();
	kc_test_write(root, "sys/fs/cgroup/kubepods.slice/cgroup.procs", "", 0644);
	struct kc_buf link = KC_BUF_INIT;
	kc_buf_printf(&link, "%s/sys/fs/cgroup/unified", root);
	assert_int_equal(symlink("/sys/fs/cgroup/unified", link.ptr), 0);
	char *where = NULL;
	int fd = kc_attr_open_cgroup_root(root, &where);
	const char *own = own_cgroup2();
	if (own) {
		assert_true(fd >= 0);
		assert_string_equal(where, own);
	} else {
		assert_int_equal(fd, -1);
		assert_null(where);
	}
	if (fd >= 0)
		close(fd);
	free(where);
	kc_buf_clear(&link);
	kc_test_rmtree(root);
	free(root);
}

/* Child of test_cgroup_root_under_root, in its own mount namespace: exit 0 = pass, 77 = skip,
 * else the number of the check that failed. */
static int cgroup_root_child(const char *root, const char *own)
{
	struct kc_buf t = KC_BUF_INIT, decoy = KC_BUF_INIT, link = KC_BUF_INIT;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 77;
	/* the host's v2 hierarchy at <root>/sys/fs/cgroup (a unified host, as most nodes are) */
	kc_buf_printf(&t, "%s/sys/fs/cgroup", root);
	if (mount(own, t.ptr, NULL, MS_BIND, NULL) < 0)
		return 77;
	char *where = NULL;
	int fd = kc_attr_open_cgroup_root(root, &where);
	if (fd < 0 || !where || strcmp(where, t.ptr) != 0)
		return 1;
	close(fd);
	free(where);

	/* resolution through it: this process's own cgroup, named by /proc/self/cgroup */
	char *self = kc_test_slurp("/proc/self/cgroup", NULL), *line = self ? strstr(self, "0::") : NULL;
	if (!line)
		return 77;
	line += 3;
	line[strcspn(line, "\n")] = 0;
	struct kc_buf dir = KC_BUF_INIT;
	kc_buf_printf(&dir, "%s%s", t.ptr, line);
	struct stat st;
	if (stat(dir.ptr, &st) < 0)
		return 2;
	struct kc_attr_cache *c = NULL;
	if (kc_attr_new(NULL, root, &c) < 0 || !kc_attr_cgroup_root(c) || strcmp(kc_attr_cgroup_root(c), t.ptr) != 0)
		return 3;
	const struct kc_attr *a = kc_attr_lookup(c, (uint64_t)st.st_ino);
	if (!a->path || strcmp(a->path, line) != 0)
		return 4;
	kc_attr_free(c);

	/* the hybrid layout is preferred: <root>/sys/fs/cgroup/unified over <root>/sys/fs/cgroup */
	if (umount2(t.ptr, MNT_DETACH) < 0)
		return 5;
	kc_buf_puts(&t, "/unified");
	if (mkdir(t.ptr, 0755) < 0 || mount(own, t.ptr, NULL, MS_BIND, NULL) < 0)
		return 6;
	if ((fd = kc_attr_open_cgroup_root(root, &where)) < 0 || strcmp(where, t.ptr) != 0)
		return 7;
	close(fd);
	free(where);

	/* a symlink at <root>/sys/fs/cgroup/unified to a real cgroup2 inside the root is still
	 * not followed: the last component of a host path never is */
	if (umount2(t.ptr, MNT_DETACH) < 0 || rmdir(t.ptr) < 0)
		return 8;
	kc_buf_printf(&decoy, "%s/decoy", root);
	if (mkdir(decoy.ptr, 0755) < 0 || mount(own, decoy.ptr, NULL, MS_BIND, NULL) < 0)
		return 9;
	if (symlink("/decoy", t.ptr) < 0)
		return 10;
	if ((fd = kc_attr_open_cgroup_root(root, &where)) < 0 || strcmp(where, own) != 0)
		return 11;
	close(fd);
	free(where);
	umount2(decoy.ptr, MNT_DETACH);
	free(self);
	kc_buf_clear(&t);
	kc_buf_clear(&dir);
	kc_buf_clear(&decoy);
	kc_buf_clear(&link);
	return 0;
}

/* --root /host with the host's cgroup2 mounted at /host/sys/fs/cgroup: the hierarchy under the
 * root is used, not the auditor's own. Bind mounts in a child's private mount namespace, so
 * nothing is left mounted and removing the temporary tree cannot reach the real cgroups. */
static void test_cgroup_root_under_root(void **state)
{
	(void)state;
	const char *own = own_cgroup2();
	if (!kc_test_is_root() || !own) {
		print_message("kc-skip: needs root and a cgroup v2 hierarchy to bind-mount\n");
		skip();
	}
	char *root = kc_test_mkdtemp();
	kc_test_write(root, "sys/fs/cgroup/.keep", "", 0644);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(cgroup_root_child(root, own));
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	kc_test_rmtree(root);
	free(root);
	if (WEXITSTATUS(status) == 77) {
		print_message("kc-skip: cannot bind-mount in a private mount namespace here\n");
		skip();
	}
	if (WEXITSTATUS(status) != 0)
		fail_msg("check %d of the cgroup root under --root failed", WEXITSTATUS(status));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_containerd),
		cmocka_unit_test(test_systemd_guaranteed_crio_docker),
		cmocka_unit_test(test_cgroupfs),
		cmocka_unit_test(test_host_and_odd),
		cmocka_unit_test(test_watch_dev_and_owner),
		cmocka_unit_test(test_rules_file),
		cmocka_unit_test(test_rules_errors),
		cmocka_unit_test(test_u64map),
		cmocka_unit_test(test_attr_resolves_through_root_tree),
		cmocka_unit_test(test_cgroup_root_rejects_plain_dir_and_symlink),
		cmocka_unit_test(test_cgroup_root_under_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
