/* Packed policies (checks/policy_pack.h): a pack gives exactly the set parsing gives, and it
 * is used only for the very bytes it was made from. */
#include "kc_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/policy.h"
#include "checks/policy_pack.h"
#include "common/error.h"
#include "common/input.h"
#include "common/strbuf.h"
#include "store/canon.h"

static void assert_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* every field the loader fills, compared one by one */
static void assert_sets_equal(const struct kc_policy_set *a, const struct kc_policy_set *b)
{
	assert_str_eq(a->benchmark, b->benchmark);
	assert_str_eq(a->title, b->title);
	assert_int_equal(a->nchecks, b->nchecks);
	for (size_t i = 0; i < a->nchecks; i++) {
		const struct kc_check *x = &a->checks[i], *y = &b->checks[i];
		assert_str_eq(x->id, y->id);
		assert_str_eq(x->title, y->title);
		assert_str_eq(x->section, y->section);
		assert_str_eq(x->section_title, y->section_title);
		assert_str_eq(x->target, y->target);
		assert_str_eq(x->type, y->type);
		assert_int_equal(x->level, y->level);
		assert_int_equal(x->scored, y->scored);
		assert_int_equal(x->severity, y->severity);
		assert_str_eq(x->manual, y->manual);
		assert_str_eq(x->remediation, y->remediation);
		assert_int_equal(x->nreferences, y->nreferences);
		for (size_t k = 0; k < x->nreferences; k++)
			assert_str_eq(x->references[k], y->references[k]);
		assert_int_equal(x->match_any, y->match_any);
		assert_str_eq(x->file, y->file);
		assert_int_equal(x->line, y->line);
		assert_int_equal(x->ntests, y->ntests);
		for (size_t k = 0; k < x->ntests; k++) {
			const struct kc_test *s = &x->tests[k], *t = &y->tests[k];
			assert_int_equal(s->fact, t->fact);
			assert_str_eq(s->component, t->component);
			assert_str_eq(s->flag, t->flag);
			assert_str_eq(s->config_key, t->config_key);
			assert_str_eq(s->path, t->path);
			assert_int_equal(s->want_dir, t->want_dir);
			assert_str_eq(s->unit, t->unit);
			assert_str_eq(s->dir, t->dir);
			assert_str_eq(s->glob, t->glob);
			assert_int_equal(s->recursive, t->recursive);
			assert_int_equal(s->only_files, t->only_files);
			assert_str_eq(s->query, t->query);
			assert_int_equal(s->op, t->op);
			assert_str_eq(s->value, t->value);
			assert_int_equal(s->num, t->num);
			assert_int_equal(s->mode, t->mode);
			assert_int_equal(s->has_re, t->has_re);
			assert_str_eq(s->defval, t->defval);
			assert_int_equal(s->missing, t->missing);
			assert_int_equal(s->missing_set, t->missing_set);
			assert_int_equal(s->line, t->line);
			assert_int_equal(s->column, t->column);
		}
	}
}

/* A pack of dir's files as the build tool makes it, from the set given (which need not be
 * the one the files parse to: a test uses that to see which one was used). */
struct test_pack {
	struct kc_policy_pack pack;
	struct kc_policy_pack_file files[64];
	char *names[64];
	struct kc_buf data;
};

static void make_pack(struct test_pack *tp, const char *dir, const struct kc_policy_set *set)
{
	memset(tp, 0, sizeof(*tp));
	char **names;
	size_t n;
	assert_int_equal(kc_dir_names(dir, ".yaml", &names, &n), 0);
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s/%s", dir, names[i]);
		char *data;
		size_t len;
		assert_int_equal(kc_input_read(p.ptr, "policy file", 1u << 20, &data, &len), 0);
		tp->names[i] = kc_strdup(names[i]);
		tp->files[i].name = tp->names[i];
		tp->files[i].size = len;
		kc_sha256(data, len, tp->files[i].sha256);
		free(data);
		kc_buf_clear(&p);
	}
	kc_strv_free(names, n);
	tp->data = (struct kc_buf)KC_BUF_INIT;
	kc_policy_pack_write(set, &tp->data);
	tp->pack = (struct kc_policy_pack){ dir, tp->files, n, (const unsigned char *)tp->data.ptr, tp->data.len };
}

static void free_pack(struct test_pack *tp)
{
	for (size_t i = 0; i < 64; i++)
		free(tp->names[i]);
	kc_buf_clear(&tp->data);
}

/* The shipped benchmarks: pack -> read gives the parsed set, field for field. */
static void test_pack_of_every_shipped_benchmark_reads_back_as_the_parsed_set(void **state)
{
	(void)state;
	static const char *const dirs[] = { "policies/cis-1.10", "policies/cis-1.11", "policies/cis-1.12",
					    "policies/k3s-cis-1.12", "policies/rke2-cis-1.12", "policies/eks-cis-1.8",
					    "policies/aks-cis-1.8", "policies/gke-cis-1.6" };
	kc_policy_packs_use(NULL, 0);
	int regexes = 0;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(*dirs); d++) {
		struct kc_policy_set parsed = { 0 }, read = { 0 };
		assert_int_equal(kc_policy_load_dir(&parsed, dirs[d]), 0);
		struct kc_buf pack = KC_BUF_INIT;
		kc_policy_pack_write(&parsed, &pack);
		assert_int_equal(kc_policy_pack_read((const unsigned char *)pack.ptr, pack.len, dirs[d], &read), 0);
		assert_sets_equal(&parsed, &read);
		for (size_t i = 0; i < read.nchecks; i++)
			for (size_t k = 0; k < read.checks[i].ntests; k++)
				regexes += read.checks[i].tests[k].has_re;
		kc_buf_clear(&pack);
		kc_policy_set_clear(&parsed);
		kc_policy_set_clear(&read);
	}
	assert_true(regexes > 0); /* the shipped policies hold regex operands: they went through */
}

/* A regex test survives the pack compiled, and matches as the parsed one does. */
static void test_pack_compiles_regex_operands_as_the_loader_does(void **state)
{
	(void)state;
	static const char y[] = "benchmark: t\ntarget: master\nchecks:\n  - id: 9.1\n    title: re\n    type: automated\n"
				"    tests:\n      - flag: kube-apiserver --tls-min-version\n        regex: \"^VersionTLS1[23]$\"\n";
	struct kc_policy_set parsed = { 0 }, read = { 0 };
	assert_int_equal(kc_policy_load_buffer(&parsed, "/x/re.yaml", y, strlen(y)), 0);
	struct kc_buf pack = KC_BUF_INIT;
	kc_policy_pack_write(&parsed, &pack);
	assert_int_equal(kc_policy_pack_read((const unsigned char *)pack.ptr, pack.len, "/elsewhere", &read), 0);
	assert_int_equal(read.checks[0].tests[0].has_re, 1);
	assert_int_equal(regexec(&read.checks[0].tests[0].re, "VersionTLS13", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&read.checks[0].tests[0].re, "VersionTLS11", 0, NULL, 0), 0);
	/* a check's file is the directory it is loaded from, as kc_policy_load_dir names it */
	assert_string_equal(read.checks[0].file, "/elsewhere/re.yaml");
	kc_buf_clear(&pack);
	kc_policy_set_clear(&parsed);
	kc_policy_set_clear(&read);
}

/* Truncated or foreign bytes are refused, never half a set. */
static void test_damaged_pack_is_refused_and_leaves_the_set_empty(void **state)
{
	(void)state;
	struct kc_policy_set parsed = { 0 };
	kc_policy_packs_use(NULL, 0);
	assert_int_equal(kc_policy_load_dir(&parsed, "policies/cis-1.12"), 0);
	struct kc_buf pack = KC_BUF_INIT;
	kc_policy_pack_write(&parsed, &pack);
	for (size_t cut = 0; cut < pack.len; cut += pack.len / 97 + 1) {
		struct kc_policy_set read = { 0 };
		assert_true(kc_policy_pack_read((const unsigned char *)pack.ptr, cut, "d", &read) < 0);
		assert_int_equal(read.nchecks, 0);
		assert_null(read.checks);
	}
	struct kc_policy_set read = { 0 };
	kc_buf_putc(&pack, 'x'); /* trailing bytes */
	assert_true(kc_policy_pack_read((const unsigned char *)pack.ptr, pack.len, "d", &read) < 0);
	kc_buf_clear(&pack);
	kc_policy_set_clear(&parsed);
}

static char *copy_dir(const char *from)
{
	char *to = kc_test_mkdtemp();
	char **names;
	size_t n;
	assert_int_equal(kc_dir_names(from, ".yaml", &names, &n), 0);
	for (size_t i = 0; i < n; i++) {
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s/%s", from, names[i]);
		size_t len;
		char *data = kc_test_slurp(p.ptr, &len);
		assert_non_null(data);
		kc_test_write(to, names[i], data, 0644);
		free(data);
		kc_buf_clear(&p);
	}
	kc_strv_free(names, n);
	return to;
}

/* The pack is used for the same bytes, and only for them: one byte changed, a file added or
 * removed, and the YAML on disk decides. The pack here carries a title the files do not
 * hold, so the set says which one was used. */
static void test_pack_used_only_for_the_exact_files_it_was_made_from(void **state)
{
	(void)state;
	char *dir = copy_dir("policies/cis-1.12");
	struct kc_policy_set parsed = { 0 };
	kc_policy_packs_use(NULL, 0);
	assert_int_equal(kc_policy_load_dir(&parsed, dir), 0);
	free(parsed.title);
	parsed.title = kc_strdup("from the pack");
	struct test_pack tp;
	make_pack(&tp, dir, &parsed);
	kc_policy_set_clear(&parsed);
	kc_policy_packs_use(&tp.pack, 1);

	struct kc_policy_set s = { 0 };
	assert_int_equal(kc_policy_load_dir(&s, dir), 0);
	assert_string_equal(s.title, "from the pack");
	kc_policy_set_clear(&s);

	/* a set already holding checks (a second policy directory) is always parsed into */
	struct kc_policy_set two = { 0 };
	static const char first[] = "benchmark: cis-1.12\ntarget: node\nchecks:\n  - id: 9.9.8\n    title: first\n"
				    "    type: manual\n    manual: look\n";
	if (kc_policy_load_buffer(&two, "/elsewhere/first.yaml", first, strlen(first)) != 0)
		fail_msg("%s", kc_error_last());
	size_t before = two.nchecks;
	assert_int_equal(kc_policy_load_dir(&two, dir), 0);
	assert_true(two.nchecks > before);
	assert_string_not_equal(two.title, "from the pack");
	kc_policy_set_clear(&two);

	/* one byte of one file changed: same size, other digest */
	struct kc_buf p = KC_BUF_INIT;
	kc_buf_printf(&p, "%s/1.4-scheduler.yaml", dir);
	size_t len;
	char *data = kc_test_slurp(p.ptr, &len);
	char *t = strstr(data, "Ensure");
	assert_non_null(t);
	*t = 'e';
	kc_test_write(dir, "1.4-scheduler.yaml", data, 0644);
	assert_int_equal(kc_policy_load_dir(&s, dir), 0);
	assert_string_not_equal(s.title ? s.title : "", "from the pack");
	kc_policy_set_clear(&s);

	/* restored: the pack again; then a file added */
	char *orig = kc_test_slurp("policies/cis-1.12/1.4-scheduler.yaml", &len);
	kc_test_write(dir, "1.4-scheduler.yaml", orig, 0644);
	assert_int_equal(kc_policy_load_dir(&s, dir), 0);
	assert_string_equal(s.title, "from the pack");
	kc_policy_set_clear(&s);
	kc_test_write(dir, "9-extra.yaml", "benchmark: cis-1.12\ntarget: node\nchecks:\n  - id: 9.9.9\n    title: extra\n"
					     "    type: manual\n    manual: look\n", 0644);
	assert_int_equal(kc_policy_load_dir(&s, dir), 0);
	assert_string_not_equal(s.title ? s.title : "", "from the pack");
	assert_non_null(kc_policy_find(&s, "9.9.9"));
	kc_policy_set_clear(&s);

	/* and one removed */
	struct kc_buf q = KC_BUF_INIT;
	kc_buf_printf(&q, "%s/9-extra.yaml", dir);
	unlink(q.ptr);
	kc_buf_reset(&q);
	kc_buf_printf(&q, "%s/5-6-general.yaml", dir);
	unlink(q.ptr);
	assert_int_equal(kc_policy_load_dir(&s, dir), 0);
	assert_string_not_equal(s.title ? s.title : "", "from the pack");
	assert_null(kc_policy_find(&s, "5.6.1"));
	kc_policy_set_clear(&s);

	kc_policy_packs_use(NULL, 0);
	free(orig);
	free(data);
	kc_buf_clear(&p);
	kc_buf_clear(&q);
	free_pack(&tp);
	kc_test_rmtree(dir);
	free(dir);
}

/* A pack that matches the files but does not read is not trusted: the files are parsed. */
static void test_unreadable_pack_falls_back_to_parsing(void **state)
{
	(void)state;
	char *dir = copy_dir("policies/cis-1.12");
	struct kc_policy_set parsed = { 0 };
	kc_policy_packs_use(NULL, 0);
	assert_int_equal(kc_policy_load_dir(&parsed, dir), 0);
	struct test_pack tp;
	make_pack(&tp, dir, &parsed);
	tp.pack.len /= 2; /* cut */
	kc_policy_packs_use(&tp.pack, 1);
	struct kc_policy_set s = { 0 };
	assert_int_equal(kc_policy_load_dir(&s, dir), 0);
	assert_sets_equal(&parsed, &s);
	kc_policy_set_clear(&s);
	kc_policy_set_clear(&parsed);
	kc_policy_packs_use(NULL, 0);
	free_pack(&tp);
	kc_test_rmtree(dir);
	free(dir);
}

/* An unreadable policy file fails the load with its own message, pack or not. */
static void test_unreadable_policy_file_fails_with_its_message(void **state)
{
	(void)state;
	char *dir = copy_dir("policies/cis-1.12");
	struct kc_buf p = KC_BUF_INIT;
	kc_buf_printf(&p, "%s/2-etcd.yaml", dir);
	unlink(p.ptr);
	assert_int_equal(mkfifo(p.ptr, 0644), 0);
	struct kc_policy_set s = { 0 };
	assert_true(kc_policy_load_dir(&s, dir) < 0);
	assert_non_null(strstr(kc_error_last(), "2-etcd.yaml"));
	kc_policy_set_clear(&s);
	kc_buf_clear(&p);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_of_every_shipped_benchmark_reads_back_as_the_parsed_set),
		cmocka_unit_test(test_pack_compiles_regex_operands_as_the_loader_does),
		cmocka_unit_test(test_damaged_pack_is_refused_and_leaves_the_set_empty),
		cmocka_unit_test(test_pack_used_only_for_the_exact_files_it_was_made_from),
		cmocka_unit_test(test_unreadable_pack_falls_back_to_parsing),
		cmocka_unit_test(test_unreadable_policy_file_fails_with_its_message),
	};
	return cmocka_run_group_tests_name("policy_pack", tests, NULL, NULL);
}
