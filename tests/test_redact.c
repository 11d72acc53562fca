/* Redaction: what must never reach evidence, and what must stay readable. */
#include "kc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/redact.h"
#include "common/strbuf.h"

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

/* The rule, on the names the fixed list missed and on the names it must leave alone. */
static void test_names_by_rule(void **state)
{
	(void)state;
	static const char *const secret[] = {
		"--token", "token", "--registry-password", "--api-token", "--static-token", "--azure-client-secret",
		"--bootstrap-token", "--etcd-password", "--oidc-client-secret", "clientSecret", "bearerToken",
		"ETCD_INITIAL_CLUSTER_TOKEN", "AWS_SECRET_ACCESS_KEY", "client-key-data", "--db-passwd",
		"--storage-credential", "api-key", "password",
	};
	static const char *const not_secret_names[] = {
		"--token-auth-file", "--authorization-mode", "--service-account-key-file", "tokenFile",
		"--enable-bootstrap-token-auth", "--service-account-extend-token-expiration", "--image-credential-provider-config",
		"--image-credential-provider-bin-dir", "secretName", "secretKeyRef", "secrets", "--token-ttl",
		"--tls-private-key-file", "readOnlyPort", "--anonymous-auth", "--kubelet-client-certificate",
		"--use-service-account-credentials",
	};
	for (size_t i = 0; i < sizeof(secret) / sizeof(*secret); i++)
		if (!kc_redact_key_is_secret(secret[i]))
			fail_msg("%s should be secret", secret[i]);
	for (size_t i = 0; i < sizeof(not_secret_names) / sizeof(*not_secret_names); i++)
		if (kc_redact_key_is_secret(not_secret_names[i]))
			fail_msg("%s should not be secret", not_secret_names[i]);
}

/* A check title names a boolean switch about credentials; the word after it is prose, and a
 * title mangled in the store would make every report (and verify --report) disagree with it. */
static void test_switch_about_credentials_and_prose_kept(void **state)
{
	(void)state;
	static const char *const keep[] = {
		"Ensure that the --use-service-account-credentials argument is set to true",
		"--use-service-account-credentials=true",
		"Ensure that the --token-auth-file parameter is not set",
	};
	for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
		char *r = kc_redact_text(keep[i]);
		assert_string_equal(r, keep[i]);
		free(r);
	}
	char *r = kc_redact_text("kube-apiserver --token s3cr3t-value --v=2");
	assert_null(strstr(r, "s3cr3t-value"));
	free(r);
}

static void test_flag_forms_and_cloud_keys(void **state)
{
	(void)state;
	expect("kube-apiserver --token abc123 --v=2", "kube-apiserver --token <redacted> --v=2");
	expect("x --registry-password=hunter2 y", "x --registry-password=<redacted> y");
	expect("--azure-client-secret VALUE --authorization-mode=Node,RBAC",
	       "--azure-client-secret <redacted> --authorization-mode=Node,RBAC");
	expect("--token-auth-file=/etc/k/tokens.csv", "--token-auth-file=/etc/k/tokens.csv");
	expect("--static-token --anonymous-auth=false", "--static-token --anonymous-auth=false"); /* no value */
	/* our own prose keeps its words; a value after "is" is masked */
	expect("--token is not set", "--token is not set");
	expect("--api-token is s3cr3t", "--api-token is <redacted>");
	expect("key AKIAIOSFODNN7EXAMPLE here", "key <redacted> here");
	expect("AIzaSyA-1234567890abcdefghijklmnopqrstu", "<redacted>");
	expect("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "<redacted>");
	expect("-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----", "<redacted>");
	expect("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
	/* idempotent */
	expect("--token <redacted> --password=<redacted>", "--token <redacted> --password=<redacted>");
}

static void test_inplace(void **state)
{
	(void)state;
	char buf[] = "x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnop y";
	assert_int_equal(kc_redact_inplace(buf), 1);
	assert_string_equal(buf, "x <redacted> y");
}

/* The run's redaction remembers texts found clean (a component's command line repeats in
 * the evidence of every check of its flags): a repeat is not scanned again, and a text that
 * differs from a clean one by a single secret is still masked. */
static void test_memo_skips_only_texts_already_found_clean(void **state)
{
	(void)state;
	static const char clean[] = "kube-apiserver --advertise-address=10.0.0.1 --authorization-mode=Node,RBAC "
				    "--profiling=false";
	static const char secret[] = "kube-apiserver --advertise-address=10.0.0.1 --authorization-mode=Node,RBAC "
				     "--token=s3cr3t";
	struct kc_redact_memo memo = KC_REDACT_MEMO_INIT;
	char *a = kc_strdup(clean), *b = kc_strdup(clean), *c = kc_strdup(secret), *d = kc_strdup(secret);
	kc_redact_str_memo(&memo, &a);
	assert_int_equal(memo.n, 1);
	kc_redact_str_memo(&memo, &b);
	assert_int_equal(memo.n, 1); /* the repeat was found in the memo */
	assert_string_equal(b, clean);
	kc_redact_str_memo(&memo, &c);
	kc_redact_str_memo(&memo, &d);
	assert_string_equal(c, "kube-apiserver --advertise-address=10.0.0.1 --authorization-mode=Node,RBAC --token=<redacted>");
	assert_string_equal(d, c);
	assert_int_equal(memo.n, 1); /* a text that needed masking is never remembered */
	/* many texts: the table grows and still finds each */
	char *many[200];
	for (int i = 0; i < 200; i++) {
		char t[128];
		snprintf(t, sizeof(t), "%s --v=%d", clean, i);
		many[i] = kc_strdup(t);
		kc_redact_str_memo(&memo, &many[i]);
	}
	assert_int_equal(memo.n, 201);
	for (int i = 0; i < 200; i++) {
		char *again = kc_strdup(many[i]);
		kc_redact_str_memo(&memo, &again);
		assert_string_equal(again, many[i]);
		free(again);
	}
	assert_int_equal(memo.n, 201);
	kc_redact_memo_clear(&memo);
	for (int i = 0; i < 200; i++)
		free(many[i]);
	free(a);
	free(b);
	free(c);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_names_by_rule),
		cmocka_unit_test(test_flag_forms_and_cloud_keys),
		cmocka_unit_test(test_switch_about_credentials_and_prose_kept),
		cmocka_unit_test(test_inplace),
		cmocka_unit_test(test_memo_skips_only_texts_already_found_clean),
	};
	return cmocka_run_group_tests_name("redact", tests, NULL, NULL);
}
