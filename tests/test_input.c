/* common/input.c's reading of whole files: every byte of a file read, whatever its size says
 * (a regular file read in one call when its size is known, /proc files that report size 0,
 * files that grow after they were stat'ed), and the size limit kept exactly. */
#include "kc_test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/input.h"
#include "common/strbuf.h"

static char *pattern(size_t n)
{
	char *p = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + i / 13) % 26);
	p[n] = '\0';
	return p;
}

/* Sizes around the read sizes: empty, one byte, a page and either side, larger than a chunk. */
static void test_regular_files_of_every_size_read_whole(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 300000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		char *want = pattern(sizes[i]);
		const char *path = kc_test_write(dir, "f", want, 0644);
		char *data = NULL;
		size_t len = 0;
		assert_int_equal(kc_input_read(path, "test file", 1u << 20, &data, &len), 0);
		assert_int_equal(len, sizes[i]);
		assert_memory_equal(data, want, sizes[i]);
		assert_int_equal(data[len], '\0');
		free(data);
		free(want);
	}
	kc_test_rmtree(dir);
	free(dir);
}

/* The size taken before the file grew: the read goes on to the end, not to the old size. */
static void test_file_grown_after_its_stat_is_read_to_its_end(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char *want = pattern(10000);
	const char *path = kc_test_write(dir, "grows", "", 0644);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, want, 100), 100);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0); /* 100 bytes now */
	assert_int_equal(write(fd, want + 100, 9900), 9900);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(kc_input_slurp_fd_stat(fd, &st, 1u << 20, &data, &len), 0); /* closes fd */
	assert_int_equal(len, 10000);
	assert_memory_equal(data, want, 10000);
	free(data);
	free(want);
	kc_test_rmtree(dir);
	free(dir);
}

/* /proc files say size 0: they are read until read returns 0 (here our own environment,
 * which is larger than one small read when the test sets a long variable). */
static void test_proc_file_reporting_size_zero_is_read_whole(void **state)
{
	(void)state;
	char *big = pattern(20000);
	setenv("KC_TEST_LONG_VALUE", big, 1);
	/* /proc/PID/environ is the environment a process was exec'd with: a child's has it */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *const argv[] = { "sleep", "5", NULL };
		execvp("sleep", argv);
		_exit(127);
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	char *data = NULL;
	size_t len = 0;
	int rc = -1;
	for (int tries = 0; tries < 200; tries++) {
		free(data);
		data = NULL;
		rc = kc_input_read(path, "proc file", 1u << 20, &data, &len);
		if (rc == 0 && memmem(data, len, big, 20000))
			break;
		usleep(10000); /* until the child has exec'd */
	}
	struct stat st;
	int stat_rc = stat(path, &st);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(rc, 0);
	assert_int_equal(stat_rc, 0);
	assert_int_equal(st.st_size, 0); /* the premise: its size says nothing */
	assert_non_null(memmem(data, len, big, 20000));
	assert_true(len > 20000);
	free(data);
	free(big);
	unsetenv("KC_TEST_LONG_VALUE");
}

/* The limit: a file of exactly max bytes is read; one byte more is refused, whether its
 * size was known or it came through a pipe. */
static void test_size_limit_exact_for_files_and_pipes(void **state)
{
	(void)state;
	char *dir = kc_test_mkdtemp();
	char *want = pattern(5001);
	want[5000] = '\0';
	const char *path = kc_test_write(dir, "max", want, 0644);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(kc_input_read(path, "test file", 5000, &data, &len), 0);
	assert_int_equal(len, 5000);
	free(data);
	want[5000] = 'z';
	path = kc_test_write(dir, "over", want, 0644);
	assert_true(kc_input_read(path, "test file", 5000, &data, &len) < 0);

	for (int extra = 0; extra < 2; extra++) {
		int p[2];
		assert_int_equal(pipe(p), 0);
		assert_int_equal(write(p[1], want, 5000 + (size_t)extra), 5000 + extra);
		close(p[1]);
		struct kc_buf b = KC_BUF_INIT;
		int rc = kc_input_read_fd(p[0], 5000, &b);
		close(p[0]);
		if (extra) {
			assert_int_equal(rc, -EFBIG);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(b.len, 5000);
			assert_memory_equal(b.ptr, want, 5000);
		}
		kc_buf_clear(&b);
	}
	free(want);
	kc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_files_of_every_size_read_whole),
		cmocka_unit_test(test_file_grown_after_its_stat_is_read_to_its_end),
		cmocka_unit_test(test_proc_file_reporting_size_zero_is_read_whole),
		cmocka_unit_test(test_size_limit_exact_for_files_and_pipes),
	};
	return cmocka_run_group_tests_name("input", tests, NULL, NULL);
}
