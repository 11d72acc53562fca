/* The BPF monitor's user-side pieces that need no kernel: cgroup path -> pod/container
 * attribution for both kubelet cgroup drivers and three runtimes, the watch list's device
 * encoding and owner matching, the rule file and its matcher, and the id map. */
#include "kc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "bpf/attribution.h"
#include "bpf/rules.h"
#include "bpf/u64map.h"
#include "bpf/watchlist.h"
#include "common/error.h"

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
	const struct { const char *rule; struct kc_bpf_rule_input *in; int want; } cases[] = {
		{ "shell-in-container", &shell, 1 }, { "shell-in-container", &init, 0 },
		{ "shell-in-container", &host, 0 }, { "shadow-read", &shadow, 1 },
		{ "shadow-read", &passwd, 0 }, { "exec-into-container", &exec_in, 1 },
		{ "exec-into-container", &shell, 0 }, { "kernel-module-load", &module, 1 },
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
