/* The YAML layer read as sigs.k8s.io/yaml over go-yaml v2 reads it (YAML 1.1), with the
 * bounds that keep hostile documents cheap. Each test is named after the upstream behaviour. */
#include "kc_test.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "common/yaml.h"

static yaml_node_t *path(struct kc_yaml *y, const char *dotted)
{
	return kc_yaml_path(&y->docs[0], kc_yaml_root(y, 0), dotted);
}

static void load_ok(struct kc_yaml *y, const char *text)
{
	int rc = kc_yaml_load(y, "t.yaml", text, strlen(text));
	if (rc != 0)
		print_error("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	assert_true(y->ndocs >= 1);
}

static void test_yaml11_booleans_where_the_field_is_boolean(void **state)
{
	(void)state;
	struct kc_yaml y;
	load_ok(&y, "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: N\ng: True\nh: FALSE\ni: \"true\"\nj: maybe\nk: nO\n");
	static const struct { const char *k; int rc, v; } want[] = {
		{ "a", 0, 1 }, { "b", 0, 0 }, { "c", 0, 1 }, { "d", 0, 0 }, { "e", 0, 1 }, { "f", 0, 0 },
		{ "g", 0, 1 }, { "h", 0, 0 }, { "i", KC_EINVAL, 0 }, { "j", KC_EINVAL, 0 }, { "k", KC_EINVAL, 0 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		int b = -1;
		assert_int_equal(kc_yaml_bool(path(&y, want[i].k), &b), want[i].rc);
		if (want[i].rc == 0)
			assert_int_equal(b, want[i].v);
	}
	/* the canonical text the engine compares */
	char *c = kc_yaml_canon(path(&y, "c"));
	assert_string_equal(c, "true");
	free(c);
	kc_yaml_clear(&y);
}

static void test_tilde_null_and_empty_are_unset(void **state)
{
	(void)state;
	struct kc_yaml y;
	load_ok(&y, "a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL\ng: \"\"\n");
	int b;
	for (const char *const *k = (const char *const[]){ "a", "b", "c", "d", "e", "missing", NULL }; *k; k++) {
		assert_true(kc_yaml_is_null(path(&y, *k)));
		assert_int_equal(kc_yaml_bool(path(&y, *k), &b), KC_ENOTFOUND);
		assert_null(kc_yaml_canon(path(&y, *k)));
	}
	assert_false(kc_yaml_is_null(path(&y, "f"))); /* not one of resolve.go's spellings */
	assert_false(kc_yaml_is_null(path(&y, "g"))); /* a quoted empty string is a value */
	kc_yaml_clear(&y);
}

static void test_yaml11_integer_forms(void **state)
{
	(void)state;
	struct kc_yaml y;
	load_ok(&y, "a: 0x1F\nb: 0o17\nc: 017\nd: 0b101\ne: +12\nf: 1_000\ng: -0x10\nh: 1e3\ni: \"10\"\nj: 1.5\nk: 09\n");
	static const struct { const char *k; int rc; long long v; } want[] = {
		{ "a", 0, 31 }, { "b", 0, 15 }, { "c", 0, 15 }, { "d", 0, 5 }, { "e", 0, 12 }, { "f", 0, 1000 },
		{ "g", 0, -16 }, { "h", 0, 1000 }, { "i", KC_EINVAL, 0 }, { "j", KC_EINVAL, 0 },
		{ "k", 0, 9 }, /* not octal: go-yaml falls through to the float form, 9 */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		long long v = -1;
		assert_int_equal(kc_yaml_int(path(&y, want[i].k), &v), want[i].rc);
		if (want[i].rc == 0)
			assert_int_equal(v, want[i].v);
	}
	char *c = kc_yaml_canon(path(&y, "a"));
	assert_string_equal(c, "31");
	free(c);
	kc_yaml_clear(&y);
}

static void test_merge_key_applies_anchor(void **state)
{
	(void)state;
	struct kc_yaml y;
	load_ok(&y, "base: &b\n  anonymous: {enabled: true}\n  mode: AlwaysAllow\n"
		    "authentication:\n  <<: *b\n  mode: Webhook\n");
	assert_string_equal(kc_yaml_scalar(path(&y, "authentication.anonymous.enabled")), "true");
	assert_string_equal(kc_yaml_scalar(path(&y, "authentication.mode")), "Webhook"); /* after: overrides */
	kc_yaml_clear(&y);
}

static void test_merge_key_before_explicit_key_is_overridden_by_it_and_after_overrides(void **state)
{
	(void)state;
	/* go-yaml v2 decoder.mapping applies the merge where it meets it: a key written before
	 * `<<` is replaced by the merged value */
	struct kc_yaml y;
	load_ok(&y, "b: &b {x: merged}\nm:\n  x: explicit\n  <<: *b\n");
	assert_string_equal(kc_yaml_scalar(path(&y, "m.x")), "merged");
	kc_yaml_clear(&y);
}

static void test_merge_key_list_earlier_map_wins(void **state)
{
	(void)state;
	struct kc_yaml y;
	load_ok(&y, "a: &a {x: 1, only_a: A}\nb: &b {x: 2, z: 2}\nm:\n  <<: [*a, *b]\n");
	assert_string_equal(kc_yaml_scalar(path(&y, "m.x")), "1");
	assert_string_equal(kc_yaml_scalar(path(&y, "m.z")), "2");
	assert_string_equal(kc_yaml_scalar(path(&y, "m.only_a")), "A");
	/* and in JSON, as section 5 reads manifests */
	struct json_object *j = NULL;
	assert_int_equal(kc_yaml_to_json(&y.docs[0], path(&y, "m"), 0, &j), 0);
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), "{\"x\":1,\"z\":2,\"only_a\":\"A\"}");
	json_object_put(j);
	kc_yaml_clear(&y);
}

static void test_merge_key_of_a_scalar_is_refused(void **state)
{
	(void)state;
	struct kc_yaml y;
	const char *t = "a: &a 1\nm:\n  <<: *a\n";
	assert_int_equal(kc_yaml_load(&y, "t.yaml", t, strlen(t)), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "map merge requires map or sequence of maps"));
	kc_yaml_clear(&y);
}

static void test_duplicate_key_refused_with_file_and_line(void **state)
{
	(void)state;
	struct kc_yaml y;
	const char *t = "spec:\n  privileged: true\n  other: 1\n  privileged: false\n";
	assert_int_equal(kc_yaml_load(&y, "pod.yaml", t, strlen(t)), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "pod.yaml:4:3: mapping key \"privileged\" already defined at line 2"));
	kc_yaml_clear(&y);
	/* "a" and a quoted 'a' are the same key */
	t = "a: 1\n'a': 2\n";
	assert_int_equal(kc_yaml_load(&y, "q.yaml", t, strlen(t)), KC_EINVAL);
	kc_yaml_clear(&y);
}

static char *laughs(int levels, int width)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, "a0: &a0 [lol]\n");
	for (int i = 1; i < levels; i++) {
		kc_buf_printf(&b, "a%d: &a%d [", i, i);
		for (int j = 0; j < width; j++)
			kc_buf_printf(&b, "%s*a%d", j ? "," : "", i - 1);
		kc_buf_puts(&b, "]\n");
	}
	return kc_buf_detach(&b);
}

static void test_billion_laughs_refused_per_document(void **state)
{
	(void)state;
	char *t = laughs(10, 10); /* 10^9 nodes once expanded */
	struct kc_yaml y;
	assert_int_equal(kc_yaml_load(&y, "lol.yaml", t, strlen(t)), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "excessive aliasing"));
	kc_yaml_clear(&y);
	free(t);
}

static void test_alias_budget_counts_the_whole_document_not_each_key(void **state)
{
	(void)state;
	/* each key alone expands to ~10^4 nodes (fine); 200 keys of it is 2*10^6 nodes from 1 KB,
	 * the shape that used to pass a per-key budget and exhaust memory */
	struct kc_buf b = KC_BUF_INIT;
	char *base = laughs(4, 10);
	kc_buf_puts(&b, base);
	free(base);
	for (int i = 0; i < 200; i++)
		kc_buf_printf(&b, "k%d: *a3\n", i);
	struct kc_yaml y;
	assert_int_equal(kc_yaml_load(&y, "many.yaml", b.ptr, b.len), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "excessive aliasing"));
	kc_yaml_clear(&y);
	/* a stream: the small first document is kept, the second is refused on its own count */
	kc_buf_reset(&b);
	base = laughs(3, 10);
	kc_buf_printf(&b, "%sk: *a2\n---\n", base);
	free(base);
	base = laughs(4, 10);
	kc_buf_puts(&b, base);
	for (int i = 0; i < 200; i++)
		kc_buf_printf(&b, "k%d: *a3\n", i);
	free(base);
	assert_int_equal(kc_yaml_load(&y, "stream.yaml", b.ptr, b.len), KC_EINVAL);
	if (y.ndocs != 1)
		print_error("%s\n", kc_error_last());
	assert_int_equal(y.ndocs, 1);
	kc_yaml_clear(&y);
	kc_buf_clear(&b);
}

static void test_anchor_containing_itself_refused(void **state)
{
	(void)state;
	struct kc_yaml y;
	const char *t = "a: &a [x, *a]\n";
	assert_int_equal(kc_yaml_load(&y, "self.yaml", t, strlen(t)), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "contains itself"));
	kc_yaml_clear(&y);
}

static void test_deep_flow_nesting_refused_before_parsing(void **state)
{
	(void)state;
	size_t n = 100000;
	char *t = malloc(2 * n + 1);
	memset(t, '[', n);
	memset(t + n, ']', n);
	t[2 * n] = '\0';
	struct kc_yaml y;
	assert_int_equal(kc_yaml_load(&y, "deep.yaml", t, 2 * n), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "deep.yaml:1: nesting deeper than 1000 levels: refused before parsing"));
	kc_yaml_clear(&y);
	/* a stray quote cannot hide real nesting from the scan: brackets count wherever they are */
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_puts(&b, "a: |\n  \"\nb: ");
	for (int i = 0; i < 2000; i++)
		kc_buf_putc(&b, '[');
	kc_buf_puts(&b, "\nc: \"\n");
	assert_int_equal(kc_yaml_check_depth("q", b.ptr, b.len, 1000), KC_EINVAL);
	/* balanced brackets in text are harmless however many */
	kc_buf_reset(&b);
	for (int i = 0; i < 5000; i++)
		kc_buf_puts(&b, "x: \"[[:space:]]\"\n");
	assert_int_equal(kc_yaml_check_depth("r", b.ptr, b.len, 10), 0);
	kc_buf_clear(&b);
	free(t);
}

static void test_deep_block_nesting_refused(void **state)
{
	(void)state;
	struct kc_buf b = KC_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		kc_buf_puts(&b, "- ");
	kc_buf_puts(&b, "x\n");
	struct kc_yaml y;
	assert_int_equal(kc_yaml_load(&y, "block.yaml", b.ptr, b.len), KC_EINVAL);
	assert_non_null(strstr(kc_error_last(), "nesting deeper than"));
	kc_yaml_clear(&y);
	kc_buf_clear(&b);
}

static void test_to_json_types_scalars_as_yaml11(void **state)
{
	(void)state;
	struct kc_yaml y;
	load_ok(&y, "a: yes\nb: off\nc: 0x10\nd: ~\ne: '0x10'\nf: 1.5\ng: .inf\nyes: k\n0x10: v\nh: 1_0\n");
	struct json_object *j = NULL;
	assert_int_equal(kc_yaml_to_json(&y.docs[0], kc_yaml_root(&y, 0), 0, &j), 0);
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			    "{\"a\":true,\"b\":false,\"c\":16,\"d\":null,\"e\":\"0x10\",\"f\":1.5,\"g\":\".inf\","
			    "\"true\":\"k\",\"16\":\"v\",\"h\":10}");
	json_object_put(j);
	kc_yaml_clear(&y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml11_booleans_where_the_field_is_boolean),
		cmocka_unit_test(test_tilde_null_and_empty_are_unset),
		cmocka_unit_test(test_yaml11_integer_forms),
		cmocka_unit_test(test_merge_key_applies_anchor),
		cmocka_unit_test(test_merge_key_before_explicit_key_is_overridden_by_it_and_after_overrides),
		cmocka_unit_test(test_merge_key_list_earlier_map_wins),
		cmocka_unit_test(test_merge_key_of_a_scalar_is_refused),
		cmocka_unit_test(test_duplicate_key_refused_with_file_and_line),
		cmocka_unit_test(test_billion_laughs_refused_per_document),
		cmocka_unit_test(test_alias_budget_counts_the_whole_document_not_each_key),
		cmocka_unit_test(test_anchor_containing_itself_refused),
		cmocka_unit_test(test_deep_flow_nesting_refused_before_parsing),
		cmocka_unit_test(test_deep_block_nesting_refused),
		cmocka_unit_test(test_to_json_types_scalars_as_yaml11),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
