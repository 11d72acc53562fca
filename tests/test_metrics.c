/* Prometheus metrics: the exact exposition for a known run (no store), the store-backed
 * counters (findings by rule, events seen/lost per monitor from gaps, audit events, the latest
 * AUDIT run rather than a later watch run), the textfile written atomically, and a real scrape
 * over HTTP on 127.0.0.1 of the server `watch --metrics-addr` starts: 200 with the content
 * type, HEAD, 404, 405, an oversized request refused, a malformed address refused. */
#include "kc_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auditor/metrics_http.h"
#include "store/store.h"
#include "bpf/bpfmon.h"
#include "common/error.h"
#include "reports/metrics.h"

static void add(struct kc_run *run, const char *id, const char *section, enum kc_status st, enum kc_severity sev)
{
	struct kc_result *r = kc_run_add_result(run);
	r->id = kc_strdup(id);
	r->title = kc_strdup("a check");
	r->section = kc_strdup(section);
	r->target = kc_strdup("master");
	r->severity = sev;
	r->status = st;
}

static void finding(struct kc_run *run, const char *rule, enum kc_severity sev)
{
	struct kc_finding *f = kc_run_add_finding(run);
	f->rule = kc_strdup(rule);
	f->severity = sev;
	f->time = kc_strdup("2026-11-28T06:00:00.000Z");
	f->source = kc_strdup("bpf");
	f->summary = kc_strdup("something happened");
}

static void gap(struct kc_run *run, const char *monitor, uint64_t seen, uint64_t lost)
{
	struct kc_gap *g = kc_run_add_gap(run);
	g->monitor = kc_strdup(monitor);
	g->start = kc_strdup("2026-11-28T06:00:00.000Z");
	g->end = kc_strdup("2026-11-28T06:00:01.000Z");
	g->seen = seen;
	g->sent = seen - lost;
	g->lost = lost;
}

static void make_run(struct kc_run *run)
{
	memset(run, 0, sizeof(*run));
	run->id = 3;
	run->host = kc_strdup("node-1");
	run->benchmark = kc_strdup("cis-1.12");
	run->targets = kc_strdup("master");
	run->tool_version = kc_strdup("0.1.0");
	run->started = kc_strdup("2026-11-28T05:45:39.123Z");
	run->finished = kc_strdup("2026-11-28T05:45:41.456Z");
	add(run, "1.1.1", "1.1", KC_PASS, KC_SEV_MEDIUM);
	add(run, "1.2.15", "1.2", KC_FAIL, KC_SEV_HIGH);
	add(run, "1.2.16", "1.2", KC_FAIL, KC_SEV_HIGH);
	add(run, "1.2.30", "1.2", KC_WARN, KC_SEV_CRITICAL);
	finding(run, "exec-in-container", KC_SEV_HIGH);
	finding(run, "exec-in-container", KC_SEV_HIGH);
	finding(run, "kernel-module-load", KC_SEV_CRITICAL);
	gap(run, "bpf:exec", 100, 3);
	gap(run, "bpf:exec", 50, 2);
	gap(run, "audit:webhook", 10, 10);
}

#define L(name, status, sev, n) \
	"kubecomply_checks{benchmark=\"cis-1.12\",host=\"node-1\",status=\"" status "\",severity=\"" sev "\"} " #n "\n"
#define ROW(status, a, b, c, d, e) \
	L(x, status, "info", a) L(x, status, "low", b) L(x, status, "medium", c) L(x, status, "high", d) L(x, status, "critical", e)

static const char expected_run[] =
	"# HELP kubecomply_build_info The kubecomply version serving these metrics.\n"
	"# TYPE kubecomply_build_info gauge\n"
	"kubecomply_build_info{version=\"" KC_VERSION "\"} 1\n"
	"# HELP kubecomply_checks Checks of the latest audit run by status and severity.\n"
	"# TYPE kubecomply_checks gauge\n"
	ROW("PASS", 0, 0, 1, 0, 0)
	ROW("FAIL", 0, 0, 0, 2, 0)
	ROW("WARN", 0, 0, 0, 0, 1)
	ROW("SKIP", 0, 0, 0, 0, 0)
	ROW("ERROR", 0, 0, 0, 0, 0)
	"# HELP kubecomply_check_status Status of each check in the latest audit run (1 for the current status).\n"
	"# TYPE kubecomply_check_status gauge\n"
	"kubecomply_check_status{benchmark=\"cis-1.12\",host=\"node-1\",check=\"1.1.1\",section=\"1.1\",severity=\"medium\",status=\"PASS\"} 1\n"
	"kubecomply_check_status{benchmark=\"cis-1.12\",host=\"node-1\",check=\"1.2.15\",section=\"1.2\",severity=\"high\",status=\"FAIL\"} 1\n"
	"kubecomply_check_status{benchmark=\"cis-1.12\",host=\"node-1\",check=\"1.2.16\",section=\"1.2\",severity=\"high\",status=\"FAIL\"} 1\n"
	"kubecomply_check_status{benchmark=\"cis-1.12\",host=\"node-1\",check=\"1.2.30\",section=\"1.2\",severity=\"critical\",status=\"WARN\"} 1\n"
	"# HELP kubecomply_last_audit_timestamp_seconds When the latest audit run finished (Unix time).\n"
	"# TYPE kubecomply_last_audit_timestamp_seconds gauge\n"
	"kubecomply_last_audit_timestamp_seconds{benchmark=\"cis-1.12\",host=\"node-1\"} 1795844741.456\n"
	"# HELP kubecomply_last_audit_run_id Evidence store id of the latest audit run.\n"
	"# TYPE kubecomply_last_audit_run_id gauge\n"
	"kubecomply_last_audit_run_id{benchmark=\"cis-1.12\",host=\"node-1\"} 3\n"
	"# HELP kubecomply_findings_total Runtime findings recorded, by rule.\n"
	"# TYPE kubecomply_findings_total counter\n"
	"kubecomply_findings_total{rule=\"exec-in-container\",severity=\"high\",source=\"bpf\"} 2\n"
	"kubecomply_findings_total{rule=\"kernel-module-load\",severity=\"critical\",source=\"bpf\"} 1\n"
	"# HELP kubecomply_monitor_events_seen_total Events a monitor saw during its gaps.\n"
	"# TYPE kubecomply_monitor_events_seen_total counter\n"
	"kubecomply_monitor_events_seen_total{monitor=\"audit:webhook\"} 10\n"
	"kubecomply_monitor_events_seen_total{monitor=\"bpf:exec\"} 150\n"
	"# HELP kubecomply_monitor_events_lost_total Events a monitor saw but could not deliver.\n"
	"# TYPE kubecomply_monitor_events_lost_total counter\n"
	"kubecomply_monitor_events_lost_total{monitor=\"audit:webhook\"} 10\n"
	"kubecomply_monitor_events_lost_total{monitor=\"bpf:exec\"} 5\n"
	"# HELP kubecomply_monitor_gaps_total Periods in which a monitor was blind.\n"
	"# TYPE kubecomply_monitor_gaps_total counter\n"
	"kubecomply_monitor_gaps_total{monitor=\"audit:webhook\"} 1\n"
	"kubecomply_monitor_gaps_total{monitor=\"bpf:exec\"} 2\n";

static void test_exact_run(void **state)
{
	(void)state;
	struct kc_run run;
	make_run(&run);
	struct kc_buf out = KC_BUF_INIT;
	kc_buf_puts(&out, "prefix\n"); /* render appends */
	assert_int_equal(kc_metrics_render(&run, NULL, &out), 0);
	assert_string_equal(out.ptr + 7, expected_run);
	kc_buf_clear(&out);
	kc_run_clear(&run);
}

/* Label values are escaped as the format says: backslash, double quote, newline. */
static void test_label_escaping(void **state)
{
	(void)state;
	struct kc_run run = { 0 };
	run.host = kc_strdup("we\"ird\\host\nname");
	run.benchmark = kc_strdup("cis-1.12");
	struct kc_buf out = KC_BUF_INIT;
	assert_int_equal(kc_metrics_render(&run, NULL, &out), 0);
	assert_non_null(strstr(out.ptr, "host=\"we\\\"ird\\\\host\\nname\""));
	/* no raw newline inside any sample line: every line is a comment or name{...} value */
	for (char *line = out.ptr; *line; line = strchr(line, '\n') + 1)
		assert_true(line[0] == '#' || strncmp(line, "kubecomply_", 11) == 0);
	kc_buf_clear(&out);
	kc_run_clear(&run);
}

struct fixture {
	char *dir;
	char db[4096];
	struct kc_store *st;
};

/* A store with an audit run, a later watch run carrying findings and gaps, and audit events. */
static void make_store(struct fixture *fx)
{
	fx->dir = kc_test_mkdtemp();
	snprintf(fx->db, sizeof(fx->db), "%s/kubecomply.db", fx->dir);
	assert_int_equal(kc_store_open(fx->db, &fx->st), 0);
	struct kc_run run;
	make_run(&run);
	run.id = 0;
	/* the audit run is saved without its findings and gaps: the watch run records them */
	size_t nf = run.nfindings, ng = run.ngaps;
	run.nfindings = run.ngaps = 0;
	assert_int_equal(kc_store_save_run(fx->st, &run), 0);
	run.nfindings = nf;
	run.ngaps = ng;
	struct kc_run w = { 0 };
	w.host = kc_strdup("node-1");
	w.benchmark = kc_strdup("cis-1.12");
	w.started = kc_strdup("2026-11-28T06:00:00.000Z");
	assert_int_equal(kc_store_start_watch(fx->st, &w), 0);
	assert_int_equal(kc_store_begin(fx->st), 0);
	for (size_t i = 0; i < run.nfindings; i++)
		assert_int_equal(kc_store_add_finding(fx->st, w.id, &run.findings[i]), 0);
	for (size_t i = 0; i < run.ngaps; i++)
		assert_int_equal(kc_store_add_gap(fx->st, w.id, &run.gaps[i]), 0);
	assert_int_equal(kc_store_commit(fx->st), 0);
	assert_int_equal(sqlite3_exec(kc_store_db(fx->st),
				      "INSERT INTO audit_events(audit_id, verb) VALUES ('a1', 'get'), ('a2', 'create'),"
				      " ('a3', 'delete')", NULL, NULL, NULL), SQLITE_OK);
	kc_run_clear(&w);
	kc_run_clear(&run);
}

static void drop_store(struct fixture *fx)
{
	kc_store_free(fx->st);
	kc_test_rmtree(fx->dir);
	free(fx->dir);
}

static void assert_store_metrics(const char *text)
{
	/* the latest AUDIT run (id 1), not the later watch run */
	assert_non_null(strstr(text, "\nkubecomply_last_audit_run_id{benchmark=\"cis-1.12\",host=\"node-1\"} 1\n"));
	assert_non_null(strstr(text, "\n" L(x, "FAIL", "high", 2)));
	assert_non_null(strstr(text, "\nkubecomply_last_audit_timestamp_seconds{benchmark=\"cis-1.12\",host=\"node-1\"} 1795844741.456\n"));
	assert_non_null(strstr(text, "\nkubecomply_findings_total{rule=\"exec-in-container\",severity=\"high\",source=\"bpf\"} 2\n"));
	assert_non_null(strstr(text, "\nkubecomply_findings_total{rule=\"kernel-module-load\",severity=\"critical\",source=\"bpf\"} 1\n"));
	assert_non_null(strstr(text, "\nkubecomply_monitor_events_seen_total{monitor=\"bpf:exec\"} 150\n"));
	assert_non_null(strstr(text, "\nkubecomply_monitor_events_lost_total{monitor=\"bpf:exec\"} 5\n"));
	assert_non_null(strstr(text, "\nkubecomply_monitor_gaps_total{monitor=\"audit:webhook\"} 1\n"));
	assert_non_null(strstr(text, "\n# TYPE kubecomply_audit_events_ingested_total counter\n"
					"kubecomply_audit_events_ingested_total 3\n"));
}

static void test_store(void **state)
{
	(void)state;
	struct fixture fx;
	make_store(&fx);
	struct kc_buf out = KC_BUF_INIT;
	assert_int_equal(kc_metrics_render(NULL, fx.st, &out), 0);
	assert_store_metrics(out.ptr);
	kc_buf_clear(&out);

	/* the textfile: atomic, readable by node-exporter's user, the same text */
	char path[4200];
	snprintf(path, sizeof(path), "%s/kubecomply.prom", fx.dir);
	assert_int_equal(kc_metrics_write_file(NULL, fx.st, path), 0);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	size_t len;
	char *text = kc_test_slurp(path, &len);
	assert_store_metrics(text);
	free(text);
	snprintf(path, sizeof(path), "%s/no/such/dir/kubecomply.prom", fx.dir);
	assert_true(kc_metrics_write_file(NULL, fx.st, path) < 0);
	drop_store(&fx);
}

/* An empty store: build info and zero counters, no check metrics, no error. */
static void test_empty_store(void **state)
{
	(void)state;
	struct fixture fx = { 0 };
	fx.dir = kc_test_mkdtemp();
	snprintf(fx.db, sizeof(fx.db), "%s/empty.db", fx.dir);
	assert_int_equal(kc_store_open(fx.db, &fx.st), 0);
	struct kc_buf out = KC_BUF_INIT;
	assert_int_equal(kc_metrics_render(NULL, fx.st, &out), 0);
	assert_null(strstr(out.ptr, "kubecomply_checks{"));
	assert_non_null(strstr(out.ptr, "kubecomply_audit_events_ingested_total 0\n"));
	kc_buf_clear(&out);
	drop_store(&fx);
}

/* ---- HTTP ---- */

/* One request on a fresh connection; the whole answer (the server closes after it). */
static char *http(int port, const char *request, size_t request_len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	size_t off = 0;
	while (off < request_len) {
		ssize_t n = send(fd, request + off, request_len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break; /* the server may answer (431) and close before reading everything */
		off += (size_t)n;
	}
	struct kc_buf b = KC_BUF_INIT;
	char chunk[4096];
	ssize_t n;
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		kc_buf_add(&b, chunk, (size_t)n);
	close(fd);
	return kc_buf_detach(&b);
}

static char *get(int port, const char *req)
{
	return http(port, req, strlen(req));
}

static void test_http_scrape(void **state)
{
	(void)state;
	struct fixture fx;
	make_store(&fx);
	struct kc_metrics_server *srv = NULL;
	int rc = kc_metrics_server_start("127.0.0.1:0", fx.st, &srv);
	if (rc < 0)
		print_error("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	int port = kc_metrics_server_port(srv);
	assert_true(port > 0);

	char *r = get(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Prometheus/2.53\r\n"
			    "Accept: text/plain;version=0.0.4\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(r, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "\r\nConnection: close\r\n"));
	char *body = strstr(r, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	long clen = atol(strstr(r, "Content-Length: ") + 16);
	assert_int_equal(clen, (long)strlen(body));
	struct kc_buf direct = KC_BUF_INIT;
	assert_int_equal(kc_metrics_render(NULL, fx.st, &direct), 0);
	kc_bpfmon_metrics(&direct); /* the BPF monitor's store health, held in memory */
	assert_string_equal(body, direct.ptr);
	assert_non_null(strstr(body, "\nkubecomply_monitor_store_degraded{monitor=\"bpf\"} 0\n"));
	assert_store_metrics(body - 1);
	kc_buf_clear(&direct);
	free(r);

	/* the store changes between scrapes: the next scrape sees it (its own connection) */
	assert_int_equal(sqlite3_exec(kc_store_db(fx.st), "INSERT INTO audit_events(audit_id) VALUES ('a4')", NULL, NULL, NULL),
			 SQLITE_OK);
	r = get(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "\nkubecomply_audit_events_ingested_total 4\n"));
	free(r);

	r = get(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_string_equal(strstr(r, "\r\n\r\n"), "\r\n\r\n"); /* headers only */
	free(r);

	r = get(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	free(r);
	r = get(port, "GET /metrics/../etc HTTP/1.1\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
	free(r);
	r = get(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
	assert_non_null(strstr(r, "\r\nAllow: GET, HEAD\r\n"));
	free(r);
	r = get(port, "NONSENSE\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 400 ", 13) == 0);
	free(r);
	/* the head goes through the audit webhook's parser (common/http.c, one fuzz target):
	 * what it refuses there is refused here — a bare LF, obsolete line folding, a
	 * Transfer-Encoding, a target that is not a path */
	r = get(port, "GET /metrics HTTP/1.1\n\n");
	assert_true(strncmp(r, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
	assert_non_null(strstr(r, "bare LF"));
	free(r);
	r = get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 400 ", 13) == 0);
	free(r);
	r = get(port, "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 411 Length Required\r\n", 30) == 0);
	free(r);
	r = get(port, "GET http://x/metrics HTTP/1.1\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 400 ", 13) == 0);
	free(r);

	/* a request head larger than the bound is refused, not buffered */
	struct kc_buf big = KC_BUF_INIT;
	kc_buf_puts(&big, "GET /metrics HTTP/1.1\r\n");
	while (big.len < 20000)
		kc_buf_puts(&big, "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	kc_buf_puts(&big, "\r\n");
	r = http(port, big.ptr, big.len);
	assert_true(strncmp(r, "HTTP/1.1 431 ", 13) == 0);
	free(r);
	kc_buf_clear(&big);

	/* still serving after all that */
	r = get(port, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	free(r);
	assert_true(kc_metrics_server_requests(srv) >= 9);
	kc_metrics_server_stop(srv);
	drop_store(&fx);
}

static void test_bad_addresses(void **state)
{
	(void)state;
	struct kc_metrics_server *srv = (struct kc_metrics_server *)1;
	assert_int_equal(kc_metrics_server_start("9464", NULL, &srv), KC_EINVAL);
	assert_null(srv);
	assert_non_null(strstr(kc_error_last(), "--metrics-addr"));
	assert_int_equal(kc_metrics_server_start("127.0.0.1:http", NULL, &srv), KC_EINVAL);
	assert_int_equal(kc_metrics_server_start("[::1:9464", NULL, &srv), KC_EINVAL);
	/* an address in use is an error at start, not later in the thread */
	struct kc_metrics_server *a = NULL;
	assert_int_equal(kc_metrics_server_start("127.0.0.1:0", NULL, &a), 0);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", kc_metrics_server_port(a));
	assert_true(kc_metrics_server_start(addr, NULL, &srv) < 0);
	assert_null(srv);
	/* without a store: build info only */
	char *r = get(kc_metrics_server_port(a), "GET /metrics HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(r, "kubecomply_build_info{"));
	assert_null(strstr(r, "kubecomply_checks{"));
	free(r);
	kc_metrics_server_stop(a);
	kc_metrics_server_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_run),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_empty_store),
		cmocka_unit_test(test_http_scrape),
		cmocka_unit_test(test_bad_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
