/* The systemd unit reader: continuations, quoting, Environment= vs EnvironmentFile=
 * precedence, optional '-' files, ExecStart= resets in drop-ins, $VAR splitting vs ${VAR},
 * drop-in order and masking across unit directories, the file each argument came from, and
 * symlinked units left unread. Corpus: the packaged kubeadm drop-in and kind's node. */
#include "kc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "checks/fsroot.h"
#include "checks/systemd.h"

static const char *arg_src(const struct kc_unit *u, const char *arg)
{
	for (size_t i = 0; i < u->argc; i++)
		if (strcmp(u->argv[i], arg) == 0)
			return u->argv_src[i];
	fail_msg("argument %s not found", arg);
	return NULL;
}

static void test_text_rules(void **state)
{
	(void)state;
	static const char unit[] =
		"# comment\n[Unit]\nDescription=x\nExecStart=/not/in/service\n"
		"[Service]\n"
		"Environment=\"A=--a=1 --b=2\" B=--single 'C=--c=with space'\n"
		"Environment=D=--d\n"
		"ExecStart=/usr/bin/one\n"
		"ExecStart=\n"
		"ExecStart=-/usr/bin/kubelet \\\n"
		"  # a comment inside a continuation is dropped\n"
		"  --x=1 \\\n"
		"  $A ${C} --y=${B} \"--q=a b\" --cost=$$5 $UNSET\n"
		"IPAddressDeny=any\n";
	struct kc_unit u;
	memset(&u, 0, sizeof(u));
	kc_unit_apply_text(&u, "/lib/systemd/system/kubelet.service", unit, strlen(unit));
	kc_unit_finish(&u);
	const char *want[] = { "/usr/bin/kubelet", "--x=1", "--a=1", "--b=2", "--c=with space", "--y=--single",
			       "--q=a b", "--cost=$5", NULL };
	for (size_t i = 0; want[i]; i++) {
		assert_true(i < u.argc);
		assert_string_equal(u.argv[i], want[i]);
	}
	assert_int_equal(u.argc, 8);
	assert_string_equal(kc_unit_setting(&u, "IPAddressDeny")->value, "any");
	assert_null(kc_unit_setting(&u, "Description")); /* [Unit] keys are not service settings */
	kc_unit_clear(&u);
}

static void test_envfile_overrides_environment(void **state)
{
	(void)state;
	struct kc_unit u;
	memset(&u, 0, sizeof(u));
	static const char unit[] = "[Service]\nEnvironmentFile=-/etc/default/kubelet\nEnvironment=X=from-unit Y=kept\n"
				   "ExecStart=/usr/bin/kubelet $X $Y $Z\n";
	static const char env[] = "# c\n; c\nX=\"from-file \\\n continued\"\nexport Z='--z=1'   \nbad line\n1BAD=x\n";
	kc_unit_apply_text(&u, "/u", unit, strlen(unit));
	kc_unit_apply_envfile(&u, "/etc/default/kubelet", env, strlen(env));
	kc_unit_finish(&u);
	assert_string_equal(kc_unit_var(&u, "X")->value, "from-file  continued");
	assert_string_equal(kc_unit_var(&u, "X")->file, "/etc/default/kubelet");
	assert_string_equal(kc_unit_var(&u, "Y")->value, "kept");
	assert_string_equal(kc_unit_var(&u, "Z")->value, "--z=1");
	assert_null(kc_unit_var(&u, "1BAD"));
	assert_string_equal(arg_src(&u, "from-file"), "/etc/default/kubelet");
	assert_string_equal(arg_src(&u, "kept"), "/u");
	kc_unit_clear(&u);
}

static void test_load_dropins_and_files(void **state)
{
	(void)state;
	char *d = kc_test_mkdtemp();
	kc_test_write(d, "lib/systemd/system/kubelet.service", "[Service]\nExecStart=/usr/bin/kubelet\n", 0644);
	/* the same drop-in name in /etc masks the one in /lib; order is by file name */
	kc_test_write(d, "lib/systemd/system/kubelet.service.d/10-kubeadm.conf", "[Service]\nEnvironment=MASKED=1\n", 0644);
	kc_test_write(d, "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
		      "[Service]\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\n"
		      "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\nEnvironmentFile=-/etc/default/kubelet\nExecStart=\n"
		      "ExecStart=/usr/bin/kubelet $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n", 0600);
	kc_test_write(d, "run/systemd/system/kubelet.service.d/20-extra.conf",
		      "[Service]\nEnvironment=\"KUBELET_EXTRA_ARGS=--read-only-port=0\"\n", 0644);
	kc_test_write(d, "var/lib/kubelet/kubeadm-flags.env", "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=pause:3.9\"\n", 0644);
	kc_test_write(d, "etc/systemd/system/kubelet.service.d/notes.txt", "[Service]\nExecStart=/bin/evil\n", 0644);
	struct kc_root *root;
	assert_int_equal(kc_root_open(d, &root), 0);
	struct kc_unit u;
	assert_int_equal(kc_unit_load(root, "kubelet.service", &u), 0);
	assert_string_equal(u.path, "/lib/systemd/system/kubelet.service");
	assert_int_equal(u.ndropins, 2);
	assert_string_equal(u.dropins[0], "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf");
	assert_string_equal(u.dropins[1], "/run/systemd/system/kubelet.service.d/20-extra.conf");
	assert_null(kc_unit_var(&u, "MASKED"));
	assert_int_equal(u.argc, 4);
	assert_string_equal(u.argv[1], "--config=/var/lib/kubelet/config.yaml");
	assert_string_equal(arg_src(&u, "--pod-infra-container-image=pause:3.9"), "/var/lib/kubelet/kubeadm-flags.env");
	assert_string_equal(arg_src(&u, "--read-only-port=0"), "/run/systemd/system/kubelet.service.d/20-extra.conf");
	/* the missing optional /etc/default/kubelet is not an error */
	assert_int_equal(u.nenvfiles, 2);
	assert_int_equal(u.envfile_err[1], 0);
	kc_unit_clear(&u);

	/* a linked unit (a symlink, as `systemctl link` makes) is read at its target, resolved
	 * inside the root as systemd follows it; one masked to /dev/null is not read */
	char link[1024];
	snprintf(link, sizeof(link), "%s/etc/systemd/system/etcd.service", d);
	assert_int_equal(symlink("/lib/systemd/system/kubelet.service", link), 0);
	assert_int_equal(kc_unit_load(root, "etcd.service", &u), 0);
	assert_string_equal(u.path, "/etc/systemd/system/etcd.service");
	kc_unit_clear(&u);
	snprintf(link, sizeof(link), "%s/etc/systemd/system/kube-proxy.service", d);
	assert_int_equal(symlink("/dev/null", link), 0);
	char devnull[1024];
	snprintf(devnull, sizeof(devnull), "%s/dev/null", d);
	mkdir(strcat(strcpy(link, d), "/dev"), 0755);
	mknod(devnull, S_IFCHR | 0666, makedev(1, 3)); /* as on a real host; absent works too */
	assert_int_not_equal(kc_unit_load(root, "kube-proxy.service", &u), 0);
	assert_null(u.path);
	kc_unit_clear(&u);
	kc_root_free(root);
	kc_test_rmtree(d);
	free(d);
}

/* The packaged drop-in and kind's node layout, copied into a tree at test time. */
static void test_corpus_kind_node(void **state)
{
	(void)state;
	KC_REQUIRE_CORPUS();
	char *d = kc_test_mkdtemp(), p[1024];
	static const struct { const char *from, *to; } files[] = {
		{ "node/kind-node-image/etc/systemd/system/kubelet.service", "etc/systemd/system/kubelet.service" },
		{ "node/kind-node-image/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "etc/systemd/system/kubelet.service.d/10-kubeadm.conf" },
		{ "node/kind-node-image/etc/systemd/system/kubelet.service.d/11-kind.conf", "etc/systemd/system/kubelet.service.d/11-kind.conf" },
		{ "node/kind-node-image/etc/default/kubelet", "etc/default/kubelet" },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(p, sizeof(p), "%s/%s", kc_test_corpus(), files[i].from);
		char *data = kc_test_slurp(p, NULL);
		assert_non_null(data);
		kc_test_write(d, files[i].to, data, 0644);
		free(data);
	}
	struct kc_root *root;
	assert_int_equal(kc_root_open(d, &root), 0);
	struct kc_unit u;
	assert_int_equal(kc_unit_load(root, "kubelet.service", &u), 0);
	assert_string_equal(u.argv[0], "/usr/bin/kubelet");
	assert_string_equal(arg_src(&u, "--config=/var/lib/kubelet/config.yaml"),
			    "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf");
	assert_string_equal(arg_src(&u, "--runtime-cgroups=/system.slice/containerd.service"), "/etc/default/kubelet");
	assert_string_equal(arg_src(&u, "--kubeconfig=/etc/kubernetes/kubelet.conf"),
			    "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf");
	kc_unit_clear(&u);
	kc_root_free(root);
	kc_test_rmtree(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_rules),
		cmocka_unit_test(test_envfile_overrides_environment),
		cmocka_unit_test(test_load_dropins_and_files),
		cmocka_unit_test(test_corpus_kind_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
