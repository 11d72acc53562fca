/* Helpers for the suites that build node trees and audit them (test_cis_nodes, test_cis_distros):
 * writing files with modes and owners, a fake /proc, running a benchmark over a tree, and
 * asserting results. Header-only: every non-suite .c in tests/ is linked into every suite. */
#ifndef KC_NODE_TREE_H
#define KC_NODE_TREE_H

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc_test.h"
#include "checks/engine.h"
#include "common/error.h"

#define NOBODY 1000 /* a non-root owner for the weak trees */

static inline void put(const char *dir, const char *rel, const char *data, unsigned mode, unsigned uid)
{
	const char *p = kc_test_write(dir, rel, data, mode);
	assert_non_null(p);
	assert_int_equal(chmod(p, mode), 0);
	if (uid)
		assert_int_equal(chown(p, uid, uid), 0);
}

static inline void put_dir(const char *dir, const char *rel, unsigned mode, unsigned uid)
{
	char path[1024], keep[512];
	snprintf(keep, sizeof(keep), "%s/.keep", rel);
	unlink(kc_test_write(dir, keep, "", 0600)); /* creates the parents */
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	mkdir(path, mode);
	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(chown(path, uid, uid), 0);
}

/* A fake /proc/<pid>/cmdline: the words of line (split at spaces), NUL-separated. */
static inline void put_cmdline(const char *dir, int pid, const char *line)
{
	char rel[64], path[1024];
	snprintf(rel, sizeof(rel), "proc/%d/cmdline", pid);
	kc_test_write(dir, rel, "", 0644);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (const char *p = line; *p;) {
		while (*p == ' ' || *p == '\n')
			p++;
		size_t n = strcspn(p, " \n");
		if (!n)
			break;
		fwrite(p, 1, n, f);
		fputc('\0', f);
		p += n;
	}
	fclose(f);
}

static inline void need_root(void)
{
	if (!kc_test_is_root()) {
		print_message("kc-skip: ownership cases need root (chown)\n");
		skip();
	}
}

struct audit {
	struct kc_node node;
	struct kc_policy_set set;
	struct kc_run run;
};

static inline void audit_tree(struct audit *a, const char *root, const char *proc, const char *bench, const char *targets)
{
	memset(a, 0, sizeof(*a));
	assert_int_equal(kc_node_open(&a->node, root, proc), 0);
	char dir[256];
	snprintf(dir, sizeof(dir), "policies/%s", bench);
	if (kc_policy_load_dir(&a->set, dir) < 0)
		fail_msg("%s", kc_error_last());
	struct kc_engine_opts o = { .targets = targets };
	assert_int_equal(kc_engine_run(&a->set, &a->node, &o, &a->run), 0);
}

static inline void audit_free(struct audit *a)
{
	kc_run_clear(&a->run);
	kc_policy_set_clear(&a->set);
	kc_node_clear(&a->node);
}

static inline const struct kc_result *result(const struct audit *a, const char *id)
{
	for (size_t i = 0; i < a->run.nresults; i++)
		if (strcmp(a->run.results[i].id, id) == 0)
			return &a->run.results[i];
	fail_msg("no result for %s", id);
	return NULL;
}

static inline void expect(const struct audit *a, const char *id, enum kc_status want)
{
	const struct kc_result *r = result(a, id);
	if (r->status != want)
		fail_msg("%s: expected %s, got %s (expected: %s; actual: %s; reason: %s)", id, kc_status_name(want),
			 kc_status_name(r->status), r->expected ? r->expected : "-", r->actual ? r->actual : "-",
			 r->reason ? r->reason : "-");
}

static inline void no_errors(const struct audit *a)
{
	for (size_t i = 0; i < a->run.nresults; i++)
		if (a->run.results[i].status == KC_ERROR)
			fail_msg("%s: ERROR %s", a->run.results[i].id, a->run.results[i].reason);
}

/* Does a note of id say the kubelet setting was decided by layer (from a source containing src)? */
static inline int has_layer(const struct audit *a, const char *id, const char *layer, const char *src)
{
	const struct kc_result *r = result(a, id);
	for (size_t i = 0; i < r->nevidence; i++) {
		const struct kc_evidence *e = &r->evidence[i];
		if (e->kind == KC_EV_NOTE && e->detail && strstr(e->detail, "decided by the") && strstr(e->detail, layer) &&
		    (!src || strstr(e->detail, src)))
			return 1;
	}
	return 0;
}

#endif
