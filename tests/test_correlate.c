/* Audit exec ↔ kernel exec: "who" from the audit log and "what ran" from the BPF monitor end
 * up in the audit finding's own evidence. */
#include "kc_test.h"

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditor/correlate.h"
#include "store/store.h"
#include "common/strbuf.h"

struct fx {
	char *dir;
	struct kc_store *st;
	int64_t finding;
};

/* 2026-11-28T07:00:00.000Z */
#define T0 1795849200000LL

static void add_exec(struct kc_store *st, const char *time, long pid, const char *ns, const char *pod, const char *argv)
{
	struct kc_event ev = { .time = (char *)time, .source = "bpf", .type = "exec", .pid = pid, .ppid = 1,
			       .comm = "sh", .path = "/bin/sh", .namespace_ = ns, .pod = pod, .container_id = "c0ffee",
			       .data_json = argv };
	assert_int_equal(kc_store_add_event(st, 0, &ev), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = kc_test_mkdtemp();
	struct kc_buf p = KC_BUF_INIT;
	kc_buf_printf(&p, "%s/c.db", f->dir);
	assert_int_equal(kc_store_open(p.ptr, &f->st), 0);
	kc_buf_clear(&p);
	add_exec(f->st, "2026-11-28T06:59:59.600Z", 100, "shop", "web-1", "{\"argv\":[\"sh\",\"-c\",\"id\"]}");
	add_exec(f->st, "2026-11-28T07:00:02.000Z", 101, "shop", "web-1", "{\"argv\":[\"cat\",\"/etc/passwd\"]}");
	add_exec(f->st, "2026-11-28T07:00:09.000Z", 102, "shop", "web-1", NULL); /* after the window */
	add_exec(f->st, "2026-11-28T07:00:01.000Z", 103, "shop", "web-2", NULL); /* another pod */
	add_exec(f->st, "2026-11-28T06:59:58.000Z", 104, "shop", "web-1", NULL); /* before the window */
	struct kc_finding fd = { .rule = "pod-exec", .time = "2026-11-28T07:00:00.000Z", .source = "audit",
				 .severity = KC_SEV_HIGH, .data_json = "{\"audit_id\":\"a1\",\"user\":\"alice\"}" };
	assert_int_equal(kc_store_add_finding(f->st, 0, &fd), 0);
	f->finding = fd.id;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	kc_store_free(f->st);
	kc_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static struct json_object *finding_data(struct fx *f)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(kc_store_db(f->st), "SELECT data_json FROM findings WHERE id=?", -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(s, 1, f->finding);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	struct json_object *o = json_tokener_parse((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	assert_non_null(o);
	return o;
}

static void test_links_the_pods_execs_in_the_window(void **state)
{
	struct fx *f = *state;
	assert_int_equal(kc_correlate_exec(f->st, f->finding, "shop", "web-1", T0, KC_CORRELATE_WINDOW_MS), 2);
	struct json_object *d = finding_data(f), *v, *execs;
	/* the audit side is kept */
	assert_true(json_object_object_get_ex(d, "user", &v));
	assert_string_equal(json_object_get_string(v), "alice");
	assert_true(json_object_object_get_ex(d, "kernel_execs", &execs));
	assert_int_equal(json_object_array_length(execs), 2);
	struct json_object *e0 = json_object_array_get_idx(execs, 0), *e1 = json_object_array_get_idx(execs, 1);
	assert_true(json_object_object_get_ex(e0, "pid", &v));
	assert_int_equal(json_object_get_int(v), 100);
	assert_true(json_object_object_get_ex(e1, "pid", &v));
	assert_int_equal(json_object_get_int(v), 101);
	assert_true(json_object_object_get_ex(e1, "argv", &v));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)), "/etc/passwd");
	assert_true(json_object_object_get_ex(e1, "container_id", &v));
	assert_string_equal(json_object_get_string(v), "c0ffee");
	json_object_put(d);
}

static void test_nothing_seen_leaves_the_finding(void **state)
{
	struct fx *f = *state;
	assert_int_equal(kc_correlate_exec(f->st, f->finding, "shop", "db-0", T0, KC_CORRELATE_WINDOW_MS), 0);
	struct json_object *d = finding_data(f);
	assert_false(json_object_object_get_ex(d, "kernel_execs", NULL));
	json_object_put(d);
}

static void test_queue_waits_for_the_window(void **state)
{
	struct fx *f = *state;
	struct kc_correlator *c;
	assert_int_equal(kc_correlator_new(f->st, &c), 0);
	struct kc_audit_exec_ref ref = { .audit_id = "a1", .namespace_ = "shop", .pod = "web-1", .time_ms = T0,
					 .finding_id = f->finding };
	kc_correlator_add(c, &ref);
	struct kc_audit_exec_ref nopod = { .audit_id = "a2", .namespace_ = "shop", .time_ms = T0, .finding_id = f->finding };
	kc_correlator_add(c, &nopod); /* nothing to place: not queued */
	/* the window and the monitor's commit have not passed yet */
	assert_int_equal(kc_correlator_flush(c, T0 + 1000, 0), 0);
	struct json_object *d = finding_data(f);
	assert_false(json_object_object_get_ex(d, "kernel_execs", NULL));
	json_object_put(d);
	/* now they have */
	assert_int_equal(kc_correlator_flush(c, T0 + KC_CORRELATE_WINDOW_MS + KC_CORRELATE_SETTLE_MS + 1, 0), 2);
	d = finding_data(f);
	assert_true(json_object_object_get_ex(d, "kernel_execs", NULL));
	json_object_put(d);
	/* linked once: the queue is empty */
	assert_int_equal(kc_correlator_flush(c, T0 + 60000, 1), 0);
	kc_correlator_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_links_the_pods_execs_in_the_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_seen_leaves_the_finding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_waits_for_the_window, setup, teardown),
	};
	return cmocka_run_group_tests_name("correlate", tests, NULL, NULL);
}
