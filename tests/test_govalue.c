/* Go value syntax: time.ParseDuration, Duration.String, resource.ParseQuantity,
 * strconv.ParseBool — each case checked against what the Go function returns. */
#include "kc_test.h"

#include <string.h>

#include "common/error.h"
#include "common/govalue.h"

static void test_parse_duration_as_go_time(void **state)
{
	(void)state;
	static const struct { const char *s; int64_t ns; } ok[] = {
		{ "0", 0 }, { "-0", 0 }, { "+0", 0 }, { "1.5h", 5400000000000LL }, { "1h30m", 5400000000000LL },
		{ "300ms", 300000000LL }, { "-2m", -120000000000LL }, { "4h0m0s", 14400000000000LL }, { "1us", 1000 },
		{ "1\xc2\xb5s", 1000 }, { "1\xce\xbcs", 1000 }, { "10ns", 10 }, { ".5s", 500000000LL }, { "5.s", 5000000000LL },
		{ "0s", 0 }, { "2h45m30.5s", 9930500000000LL },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		int64_t ns = -7;
		assert_int_equal(kc_go_duration(ok[i].s, &ns), 0);
		assert_true(ns == ok[i].ns);
	}
	static const char *const bad[] = { "", "1", "10", "1x", "h", ".s", "-", "1h-1m", "9999999999999h", "4 h" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		int64_t ns;
		assert_int_equal(kc_go_duration(bad[i], &ns), KC_EINVAL);
	}
	assert_non_null(strstr((kc_go_duration("10", &(int64_t){ 0 }), kc_error_last()), "missing unit"));
}

static void test_duration_string_as_go_prints_it(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(kc_go_duration_string(0, b, sizeof(b)), "0s");
	assert_string_equal(kc_go_duration_string(14400000000000LL, b, sizeof(b)), "4h0m0s");
	assert_string_equal(kc_go_duration_string(90000000000LL, b, sizeof(b)), "1m30s");
	assert_string_equal(kc_go_duration_string(1500000000LL, b, sizeof(b)), "1.5s");
	assert_string_equal(kc_go_duration_string(300000000LL, b, sizeof(b)), "300ms");
	assert_string_equal(kc_go_duration_string(-120000000000LL, b, sizeof(b)), "-2m0s");
}

static void test_parse_quantity_as_apimachinery(void **state)
{
	(void)state;
	double v;
	assert_int_equal(kc_go_quantity("100Mi", &v), 0);
	assert_true(v == 104857600.0);
	assert_int_equal(kc_go_quantity("1.5G", &v), 0);
	assert_true(v == 1.5e9);
	assert_int_equal(kc_go_quantity("500m", &v), 0);
	assert_true(v == 0.5);
	assert_int_equal(kc_go_quantity("1e3", &v), 0);
	assert_true(v == 1000.0);
	assert_int_equal(kc_go_quantity("-2Ki", &v), 0);
	assert_true(v == -2048.0);
	assert_int_equal(kc_go_quantity("12", &v), 0);
	assert_true(v == 12.0);
	assert_int_equal(kc_go_quantity("1MB", &v), KC_EINVAL);
	assert_int_equal(kc_go_quantity("Mi", &v), KC_EINVAL);
}

static void test_parse_bool_as_strconv(void **state)
{
	(void)state;
	int b;
	for (const char *const *s = (const char *const[]){ "1", "t", "T", "TRUE", "true", "True", NULL }; *s; s++) {
		assert_int_equal(kc_go_bool(*s, &b), 0);
		assert_int_equal(b, 1);
	}
	for (const char *const *s = (const char *const[]){ "0", "f", "F", "FALSE", "false", "False", NULL }; *s; s++) {
		assert_int_equal(kc_go_bool(*s, &b), 0);
		assert_int_equal(b, 0);
	}
	/* YAML's yes/on are not Go booleans: a flag given them stops the component */
	assert_int_equal(kc_go_bool("yes", &b), KC_EINVAL);
	assert_int_equal(kc_go_bool("tRUE", &b), KC_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_duration_as_go_time),
		cmocka_unit_test(test_duration_string_as_go_prints_it),
		cmocka_unit_test(test_parse_quantity_as_apimachinery),
		cmocka_unit_test(test_parse_bool_as_strconv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
