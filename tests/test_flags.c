/* Flag parsing as the components (pflag) parse their command lines. */
#include "kc_test.h"

#include <string.h>

#include "checks/flags.h"

static void parse(struct kc_flags *f, const char *const *argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	memset(f, 0, sizeof(*f));
	kc_flags_parse(f, argc, (char *const *)argv);
}

static void test_forms(void **state)
{
	(void)state;
	const char *argv[] = { "kube-apiserver", "--a=1", "--b", "2", "-c=3", "--d", "--e=", "--f=x=y", "pos", NULL };
	struct kc_flags f;
	parse(&f, argv);
	assert_string_equal(kc_flags_value(&f, "a"), "1");
	assert_string_equal(kc_flags_value(&f, "b"), "2");
	assert_string_equal(kc_flags_value(&f, "--c"), "3");
	assert_string_equal(kc_flags_value(&f, "d"), "true"); /* bare: boolean true */
	assert_string_equal(kc_flags_value(&f, "e"), "");      /* set, to empty */
	assert_string_equal(kc_flags_value(&f, "f"), "x=y");
	assert_null(kc_flags_value(&f, "pos"));
	assert_null(kc_flags_value(&f, "missing"));
	kc_flags_clear(&f);
}

static void test_repeated_last_wins(void **state)
{
	(void)state;
	const char *argv[] = { "etcd", "--x=1", "--x", "2", "--x=3", NULL };
	struct kc_flags f;
	parse(&f, argv);
	assert_string_equal(kc_flags_value(&f, "x"), "3");
	assert_int_equal(f.n, 3); /* all kept */
	kc_flags_clear(&f);
}

static void test_booleans_do_not_take_next_word(void **state)
{
	(void)state;
	/* pflag: "--profiling false" leaves "false" positional, so profiling is true */
	const char *argv[] = { "kube-apiserver", "--profiling", "false", "--anonymous-auth", "--v", "2", NULL };
	struct kc_flags f;
	parse(&f, argv);
	assert_string_equal(kc_flags_value(&f, "profiling"), "true");
	assert_string_equal(kc_flags_value(&f, "anonymous-auth"), "true");
	assert_string_equal(kc_flags_value(&f, "v"), "2");
	kc_flags_clear(&f);
}

static void test_double_dash_ends_flags(void **state)
{
	(void)state;
	const char *argv[] = { "kubelet", "--a=1", "--", "--b=2", NULL };
	struct kc_flags f;
	parse(&f, argv);
	assert_string_equal(kc_flags_value(&f, "a"), "1");
	assert_null(kc_flags_value(&f, "b"));
	kc_flags_clear(&f);
}

static void test_cmdline_buffer(void **state)
{
	(void)state;
	static const char buf[] = "/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0--v\0002\0";
	struct kc_flags f = { 0 };
	kc_flags_parse_cmdline(&f, buf, sizeof(buf) - 1);
	assert_string_equal(kc_flags_value(&f, "config"), "/var/lib/kubelet/config.yaml");
	assert_string_equal(kc_flags_value(&f, "v"), "2");
	kc_flags_clear(&f);
	/* truncated: no final NUL */
	static const char cut[] = "kubelet\0--a=1";
	kc_flags_parse_cmdline(&f, cut, sizeof(cut) - 1);
	assert_string_equal(kc_flags_value(&f, "a"), "1");
	kc_flags_clear(&f);
	kc_flags_parse_cmdline(&f, "", 0);
	assert_int_equal(f.n, 0);
	kc_flags_clear(&f);
}

static void parse_as(struct kc_flags *f, const char *component, const char *const *argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	memset(f, 0, sizeof(*f));
	f->component = component;
	kc_flags_parse(f, argc, (char *const *)argv);
}

static void test_string_slice_repeats_accumulate_and_each_value_is_csv_split(void **state)
{
	(void)state;
	/* pflag string_slice.go Set: readAsCSV, the first occurrence replaces the default, the
	 * next ones append. "--authorization-mode=AlwaysAllow --authorization-mode=Node,RBAC"
	 * runs the API server with all three: last-wins would hide AlwaysAllow (a false PASS). */
	const char *argv[] = { "kube-apiserver", "--authorization-mode=AlwaysAllow", "--enable-admission-plugins",
			       "NodeRestriction", "--authorization-mode", "Node,RBAC",
			       "--enable-admission-plugins=\"AlwaysPullImages\",EventRateLimit", NULL };
	struct kc_flags f;
	parse_as(&f, "kube-apiserver", argv);
	assert_string_equal(kc_flags_value(&f, "authorization-mode"), "AlwaysAllow,Node,RBAC");
	assert_string_equal(kc_flags_value(&f, "enable-admission-plugins"), "NodeRestriction,AlwaysPullImages,EventRateLimit");
	assert_true(kc_flags_get(&f, "authorization-mode")->combined);
	kc_flags_clear(&f);
	/* the kubelet's --authorization-mode is a plain string: the last wins */
	const char *kv[] = { "kubelet", "--authorization-mode=AlwaysAllow", "--authorization-mode=Webhook", NULL };
	parse_as(&f, "kubelet", kv);
	assert_string_equal(kc_flags_value(&f, "authorization-mode"), "Webhook");
	kc_flags_clear(&f);
}

static void test_string_array_repeats_accumulate_without_splitting(void **state)
{
	(void)state;
	const char *argv[] = { "kube-apiserver", "--service-account-key-file=/a,b.pem", "--service-account-key-file=/c.pem", NULL };
	struct kc_flags f;
	parse_as(&f, "kube-apiserver", argv);
	assert_string_equal(kc_flags_value(&f, "service-account-key-file"), "/a,b.pem,/c.pem");
	kc_flags_clear(&f);
}

static void test_feature_gates_repeats_merge_later_key_wins(void **state)
{
	(void)state;
	/* component-base featuregate Set / MapStringBool.Set: items merged, keys trimmed */
	const char *argv[] = { "kubelet", "--feature-gates=RotateKubeletServerCertificate=true,A=false",
			       "--feature-gates", "RotateKubeletServerCertificate = false", NULL };
	struct kc_flags f;
	parse_as(&f, "kubelet", argv);
	assert_string_equal(kc_flags_value(&f, "feature-gates"), "RotateKubeletServerCertificate=false,A=false");
	kc_flags_clear(&f);
}

static void test_bool_flag_never_consumes_next_arg_but_string_flag_takes_a_dash_word(void **state)
{
	(void)state;
	/* kubelet: --rotate-certificates is a bool (NoOptDefVal), --tls-cipher-suites a slice
	 * that takes the next word even when it starts with '-' (pflag parseLongArg) */
	const char *argv[] = { "kubelet", "--rotate-certificates", "false", "--tls-cipher-suites", "-x", NULL };
	struct kc_flags f;
	parse_as(&f, "kubelet", argv);
	assert_string_equal(kc_flags_value(&f, "rotate-certificates"), "true");
	assert_string_equal(kc_flags_value(&f, "tls-cipher-suites"), "-x");
	kc_flags_clear(&f);
}

static void test_etcd_go_flag_stops_at_first_positional(void **state)
{
	(void)state;
	/* etcd uses Go's flag package: "--client-cert-auth false" leaves "false" positional,
	 * and parsing stops there, so --peer-client-cert-auth is never read */
	const char *argv[] = { "etcd", "--client-cert-auth", "false", "--peer-client-cert-auth=true", NULL };
	struct kc_flags f;
	parse_as(&f, "etcd", argv);
	assert_string_equal(kc_flags_value(&f, "client-cert-auth"), "true");
	assert_null(kc_flags_value(&f, "peer-client-cert-auth"));
	kc_flags_clear(&f);
	/* pflag keeps parsing after a positional word */
	const char *av[] = { "kube-apiserver", "stray", "--profiling=false", NULL };
	parse_as(&f, "kube-apiserver", av);
	assert_string_equal(kc_flags_value(&f, "profiling"), "false");
	kc_flags_clear(&f);
}

static void test_flag_kinds_per_component(void **state)
{
	(void)state;
	assert_int_equal(kc_flag_kind("kube-apiserver", "authorization-mode"), KC_FLAG_SLICE);
	assert_int_equal(kc_flag_kind("kubelet", "authorization-mode"), KC_FLAG_SCALAR);
	assert_int_equal(kc_flag_kind("etcd", "cipher-suites"), KC_FLAG_SCALAR);
	assert_int_equal(kc_flag_kind("kube-apiserver", "tls-cipher-suites"), KC_FLAG_SLICE);
	assert_int_equal(kc_flag_kind("kube-controller-manager", "feature-gates"), KC_FLAG_MAP);
}

static void test_secret_flags(void **state)
{
	(void)state;
	assert_true(kc_flag_is_secret("token"));
	assert_false(kc_flag_is_secret("token-auth-file"));
	assert_false(kc_flag_is_secret("tls-private-key-file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_repeated_last_wins),
		cmocka_unit_test(test_booleans_do_not_take_next_word),
		cmocka_unit_test(test_double_dash_ends_flags),
		cmocka_unit_test(test_cmdline_buffer),
		cmocka_unit_test(test_secret_flags),
		cmocka_unit_test(test_string_slice_repeats_accumulate_and_each_value_is_csv_split),
		cmocka_unit_test(test_string_array_repeats_accumulate_without_splitting),
		cmocka_unit_test(test_feature_gates_repeats_merge_later_key_wins),
		cmocka_unit_test(test_bool_flag_never_consumes_next_arg_but_string_flag_takes_a_dash_word),
		cmocka_unit_test(test_etcd_go_flag_stops_at_first_positional),
		cmocka_unit_test(test_flag_kinds_per_component),
	};
	return cmocka_run_group_tests_name("flags", tests, NULL, NULL);
}
