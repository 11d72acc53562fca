/* Shared helpers for the cmocka suites. Include after cmocka.h's prerequisites. */
#ifndef KC_TEST_H
#define KC_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* ../shared/corpus beside the checkout (or $KC_CORPUS); NULL when absent, so a fresh clone
 * still passes: callers skip with kc_test_skip_no_corpus(). */
const char *kc_test_corpus(void);
/* Skips the running test with a clear line when the corpus is absent. */
#define KC_REQUIRE_CORPUS()                                                      \
	do {                                                                     \
		if (!kc_test_corpus()) {                                         \
			print_message("kc-skip: ../shared/corpus not present\n"); \
			skip();                                                  \
		}                                                                \
	} while (0)

/* A fresh directory under $TMPDIR removed by kc_test_rmtree; caller frees the string. */
char *kc_test_mkdtemp(void);
void kc_test_rmtree(const char *dir);
/* Writes data to dir/rel (creating parents) with mode; returns the full path (static buffer). */
const char *kc_test_write(const char *dir, const char *rel, const char *data, unsigned mode);
/* The kubecomply binary under test ($KC_BIN, else build/kubecomply). */
const char *kc_test_bin(void);
/* Runs the binary with argv (NULL-terminated, without argv[0]); stdout+stderr into *out
 * (caller frees, may be NULL). Returns the exit status, or -1 when it did not exit. */
int kc_test_run(char **out, const char *const argv[]);
/* Reads a whole file; caller frees; NULL when unreadable. */
char *kc_test_slurp(const char *path, size_t *len);
int kc_test_is_root(void);

#endif
