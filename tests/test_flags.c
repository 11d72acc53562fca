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
	kc_flags_free(&f);
}

static void test_repeated_last_wins(void **state)
{
	(void)state;
	const char *argv[] = { "etcd", "--x=1", "--x", "2", "--x=3", NULL };
	struct kc_flags f;
	parse(&f, argv);
	assert_string_equal(kc_flags_value(&f, "x"), "3");
	assert_int_equal(f.n, 3); /* all kept */
	kc_flags_free(&f);
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
	kc_flags_free(&f);
}

static void test_double_dash_ends_flags(void **state)
{
	(void)state;
	const char *argv[] = { "kubelet", "--a=1", "--", "--b=2", NULL };
	struct kc_flags f;
	parse(&f, argv);
	assert_string_equal(kc_flags_value(&f, "a"), "1");
	assert_null(kc_flags_value(&f, "b"));
	kc_flags_free(&f);
}

static void test_cmdline_buffer(void **state)
{
	(void)state;
	static const char buf[] = "/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0--v\0002\0";
	struct kc_flags f = { 0 };
	kc_flags_parse_cmdline(&f, buf, sizeof(buf) - 1);
	assert_string_equal(kc_flags_value(&f, "config"), "/var/lib/kubelet/config.yaml");
	assert_string_equal(kc_flags_value(&f, "v"), "2");
	kc_flags_free(&f);
	/* truncated: no final NUL */
	static const char cut[] = "kubelet\0--a=1";
	kc_flags_parse_cmdline(&f, cut, sizeof(cut) - 1);
	assert_string_equal(kc_flags_value(&f, "a"), "1");
	kc_flags_free(&f);
	kc_flags_parse_cmdline(&f, "", 0);
	assert_int_equal(f.n, 0);
	kc_flags_free(&f);
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
	};
	return cmocka_run_group_tests_name("flags", tests, NULL, NULL);
}
