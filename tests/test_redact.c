/* Redaction: what must never reach evidence, and what must stay readable. */
#include "kc_test.h"

#include <stdlib.h>
#include <string.h>

#include "common/redact.h"

static void expect(const char *in, const char *want)
{
	char *out = kc_redact_text(in);
	assert_string_equal(out, want);
	free(out);
}

static void test_text(void **state)
{
	(void)state;
	expect("--token=eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
	       "--token=<redacted>");
	expect("Authorization: Bearer abcdefghijklmnop1234", "Authorization: <redacted>");
	expect("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nrest", "key:\n<redacted>\nrest");
	expect("--token abcdef.0123456789abcdef done", "--token <redacted> done");
	/* evidence that must stay readable */
	expect("/etc/kubernetes/pki/apiserver-kubelet-client.key", "/etc/kubernetes/pki/apiserver-kubelet-client.key");
	expect("sha256 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
	       "sha256 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
	expect("-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----");
	expect("", "");
	/* a long base64 blob such as client-key-data */
	expect("data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBdXZ5",
	       "data: <redacted>");
}

static void test_keys(void **state)
{
	(void)state;
	assert_true(kc_redact_key_is_secret("token"));
	assert_true(kc_redact_key_is_secret("client-key-data"));
	assert_true(kc_redact_key_is_secret("password"));
	assert_true(kc_redact_key_is_secret("Authorization"));
	assert_false(kc_redact_key_is_secret("authorization.mode"));
	assert_false(kc_redact_key_is_secret("--authorization-mode"));
	assert_false(kc_redact_key_is_secret("token-auth-file"));
	assert_false(kc_redact_key_is_secret("tls-private-key-file"));
	assert_false(kc_redact_key_is_secret("readOnlyPort"));
	char *v = kc_redact_value("client-key-data", "AAAA");
	assert_string_equal(v, KC_REDACTED);
	free(v);
	v = kc_redact_value("readOnlyPort", "10255");
	assert_string_equal(v, "10255");
	free(v);
}

static void test_inplace(void **state)
{
	(void)state;
	char buf[] = "x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnop y";
	assert_int_equal(kc_redact_inplace(buf), 1);
	assert_string_equal(buf, "x <redacted> y");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_inplace),
	};
	return cmocka_run_group_tests_name("redact", tests, NULL, NULL);
}
