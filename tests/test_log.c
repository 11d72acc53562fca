/* Structured logs: text lines for people, JSON lines (one object per line, every string
 * escaped) for log pipelines, fields in both, the level filter, and the option parsers. */
#include "kc_test.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"

static char *capture(void (*fn)(void))
{
	FILE *fp = tmpfile();
	assert_non_null(fp);
	kc_log_set_stream(fp);
	fn();
	kc_log_set_stream(NULL);
	long len = ftell(fp);
	assert_true(len >= 0);
	char *buf = calloc(1, (size_t)len + 1);
	rewind(fp);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	return buf;
}

static void emit_some(void)
{
	kc_log(KC_LOG_DEBUG, "hidden %d", 1);
	kc_log(KC_LOG_INFO, "audit saved as run %d", 12);
	kc_log_fields(KC_LOG_WARN, (const char *const[]){ "monitor", "bpf:exec", "path", "/a b", "skipped", NULL, NULL },
		      "lost %u events\n", 3u);
	kc_log(KC_LOG_ERROR, "quote \" backslash \\ newline\n tab\t ctl\x01 <end>");
}

static void test_text(void **state)
{
	(void)state;
	kc_log_set_format(KC_LOG_TEXT);
	kc_log_set_level(KC_LOG_INFO);
	char *out = capture(emit_some);
	/* 2026-11-28T06:00:00.120Z info: ... */
	char *l1 = out, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
	assert_int_equal(strlen(out) - (size_t)(strchr(l3, '\n') - out), 1); /* three lines */
	assert_true(l1[4] == '-' && l1[10] == 'T' && l1[23] == 'Z' && l1[24] == ' ');
	assert_true(strncmp(l1 + 25, "info: audit saved as run 12\n", 28) == 0);
	assert_true(strncmp(l2 + 25, "warn: lost 3 events monitor=bpf:exec path=\"/a b\"\n", 49) == 0);
	/* control characters cannot start a forged line in text mode */
	assert_string_equal(l3 + 25, "error: quote \" backslash \\ newline\\n tab\t ctl\\x01 <end>\n");
	assert_null(strstr(out, "hidden"));
	free(out);
}

static void test_json(void **state)
{
	(void)state;
	kc_log_set_format(KC_LOG_JSON);
	kc_log_set_level(KC_LOG_DEBUG);
	char *out = capture(emit_some);
	size_t lines = 0;
	for (char *line = out, *nl; *line; line = nl + 1, lines++) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		struct json_object *o = json_tokener_parse(line), *v;
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "time", &v));
		assert_int_equal(strlen(json_object_get_string(v)), 24);
		assert_true(json_object_object_get_ex(o, "level", &v));
		const char *level = json_object_get_string(v);
		assert_true(json_object_object_get_ex(o, "msg", &v));
		const char *msg = json_object_get_string(v);
		if (lines == 0) {
			assert_string_equal(level, "debug");
			assert_string_equal(msg, "hidden 1");
		} else if (lines == 2) {
			assert_string_equal(level, "warn");
			assert_string_equal(msg, "lost 3 events");
			assert_true(json_object_object_get_ex(o, "monitor", &v));
			assert_string_equal(json_object_get_string(v), "bpf:exec");
			assert_true(json_object_object_get_ex(o, "path", &v));
			assert_string_equal(json_object_get_string(v), "/a b");
			assert_false(json_object_object_get_ex(o, "skipped", &v));
		} else if (lines == 3) {
			assert_string_equal(msg, "quote \" backslash \\ newline\n tab\t ctl\x01 <end>");
		}
		json_object_put(o);
	}
	assert_int_equal(lines, 4);
	free(out);
	kc_log_set_format(KC_LOG_TEXT);
	kc_log_set_level(KC_LOG_INFO);
}

static void test_options(void **state)
{
	(void)state;
	assert_int_equal(kc_log_set_format_name("json"), 0);
	assert_int_equal(kc_log_set_format_name("text"), 0);
	assert_int_equal(kc_log_set_format_name("xml"), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "--log-format"));
	enum kc_log_level l;
	assert_int_equal(kc_log_level_parse("warn", &l), 0);
	assert_int_equal(l, KC_LOG_WARN);
	assert_int_equal(kc_log_level_parse("loud", &l), KC_EINVAL);
	assert_string_equal(kc_log_level_name(KC_LOG_ERROR), "error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
