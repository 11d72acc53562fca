/* `kubecomply watch`: the continuous mode. Opens the store, records a watch run, and runs the
 * monitors asked for until --duration ends or SIGTERM/SIGINT arrives; monitors flush what
 * they hold before returning. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auditor/cli.h"
#include "auditor/correlate.h"
#include "store/store.h"
#include "auditor/watch.h"
#include "bpf/flows.h"
#include "auditor/metrics_http.h"
#include "common/error.h"
#include "common/log.h"
#include "common/sign.h"
#include "common/strbuf.h"

static atomic_int stopping;

int kc_watch_stopping(void) { return atomic_load(&stopping); }
void kc_watch_request_stop(void) { atomic_store(&stopping, 1); }

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stopping, 1);
}

/* "30d", "12h", "90m", "3600s" or plain seconds. */
static int parse_retain(const char *v, double *out)
{
	char *end;
	double x = strtod(v, &end);
	if (end == v || x <= 0)
		return -1;
	double unit = !*end || strcmp(end, "s") == 0 ? 1 : strcmp(end, "m") == 0 ? 60 : strcmp(end, "h") == 0 ? 3600
		    : strcmp(end, "d") == 0 ? 86400 : -1;
	if (unit < 0)
		return -1;
	*out = x * unit;
	return 0;
}

/* Deletes monitor events older than --retain. */
static void apply_retain(struct kc_store *st, double retain_s)
{
	if (retain_s <= 0)
		return;
	time_t cut = time(NULL) - (time_t)retain_s;
	struct tm tm;
	char cutoff[40];
	gmtime_r(&cut, &tm);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	int64_t n = 0;
	if (kc_store_watch_retain(st, cutoff, &n) < 0)
		kc_log(KC_LOG_WARN, "--retain: %s", kc_error_last());
	else if (n)
		kc_log(KC_LOG_INFO, "--retain: %lld stored events older than %s deleted", (long long)n, cutoff);
}

static const char usage[] =
	"usage: kubecomply watch [--bpf] [--audit-log FILE [--once]]\n"
	"                        [--audit-webhook ADDR --tls-cert F --tls-key F [--client-ca F]]\n"
	"                        [--db FILE] [--duration SECONDS] [--ringbuf-size BYTES] [--root DIR]\n"
	"                        [--sign-key FILE]\n"
	"\n"
	"Watches the node continuously and records events, findings and monitor gaps in the store.\n"
	"SIGTERM, SIGINT or SIGHUP flushes what is pending and exits 0.\n"
	"\n"
	"      --bpf                BPF monitors: exec, sensitive files, namespace and kernel tampering\n"
	"      --ringbuf-size BYTES ring buffer size (power of two, default 8 MiB)\n"
	"      --audit-log FILE     follow the API server's audit log (survives rotation and restarts)\n"
	"      --once               read what the audit log holds and exit\n"
	"      --audit-webhook ADDR serve the API server's audit webhook on ADDR (host:port, HTTPS)\n"
	"      --audit-webhook-path P  the path in the API server's webhook URL (default /audit)\n"
	"      --tls-cert F, --tls-key F, --client-ca F   the webhook's TLS identity and client CA\n"
	"      --db FILE            evidence store (default as for audit)\n"
	"      --sign-key FILE      Ed25519 private key (PEM) signing each sealed batch (docs/evidence.md)\n"
	"      --duration SECONDS   stop after this long (default: until signalled)\n"
	"      --retain DURATION    delete stored events older than this (30d, 12h, 90m; findings and gaps stay)\n"
	"      --root DIR           the host's filesystem (watch lists, /var/log/pods), default /\n"
	"      --metrics-addr H:P   serve Prometheus metrics at http://H:P/metrics (':9464' = all addresses)\n"
	"      --host NAME, --cluster NAME   how the run is tagged (default: this host's name)\n"
	"      --log-format F       text (default) or json lines; --log-level debug|info|warn|error\n"
	"  -q, --quiet              no start-up report\n"
	"\n"
	"examples:\n"
	"  kubecomply watch --bpf --duration 60\n"
	"  kubecomply watch --audit-log /var/log/kubernetes/audit.log --once --db audit.db\n";

struct audit_thread {
	const struct kc_watch_opts *o;
	struct kc_store *st;
	struct kc_run *run;
	int rc;
	char err[512];
};

static void *audit_main(void *arg)
{
	struct audit_thread *t = arg;
	t->rc = kc_auditlog_watch(t->o, t->st, t->run);
	if (t->rc < 0)
		snprintf(t->err, sizeof(t->err), "%s", kc_error_last());
	/* when one monitor stops on its own (--once), the other keeps going */
	return NULL;
}

struct correlate_thread {
	struct kc_correlator *c;
	atomic_int done;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Links audit execs with kernel execs once each one's window has passed. */
static void *correlate_main(void *arg)
{
	struct correlate_thread *t = arg;
	while (!atomic_load(&t->done)) {
		struct timespec d = { 0, 250 * 1000 * 1000 };
		nanosleep(&d, NULL);
		kc_correlator_flush(t->c, now_ms(), 0);
	}
	return NULL;
}

int kc_cmd_watch(int argc, char **argv)
{
	enum { O_BPF = 256, O_AUDIT_LOG, O_ONCE, O_WEBHOOK, O_CERT, O_KEY, O_CA, O_DB, O_DURATION, O_RINGBUF, O_ROOT,
	       O_METRICS, O_HOST, O_CLUSTER, O_LOG_FORMAT, O_LOG_LEVEL, O_WEBHOOK_PATH, O_SIGN_KEY, O_RETAIN };
	static const struct option opts[] = {
		{ "bpf", no_argument, NULL, O_BPF },
		{ "audit-log", required_argument, NULL, O_AUDIT_LOG },
		{ "once", no_argument, NULL, O_ONCE },
		{ "audit-webhook", required_argument, NULL, O_WEBHOOK },
		{ "audit-webhook-path", required_argument, NULL, O_WEBHOOK_PATH },
		{ "tls-cert", required_argument, NULL, O_CERT },
		{ "tls-key", required_argument, NULL, O_KEY },
		{ "client-ca", required_argument, NULL, O_CA },
		{ "db", required_argument, NULL, O_DB },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "retain", required_argument, NULL, O_RETAIN },
		{ "ringbuf-size", required_argument, NULL, O_RINGBUF },
		{ "root", required_argument, NULL, O_ROOT },
		{ "metrics-addr", required_argument, NULL, O_METRICS },
		{ "host", required_argument, NULL, O_HOST },
		{ "cluster", required_argument, NULL, O_CLUSTER },
		{ "log-format", required_argument, NULL, O_LOG_FORMAT },
		{ "log-level", required_argument, NULL, O_LOG_LEVEL },
		{ "sign-key", required_argument, NULL, O_SIGN_KEY },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct kc_watch_opts o = { .root = "/" };
	const char *host_opt = NULL, *cluster_opt = NULL, *sign_key_opt = NULL;
	double retain_s = 0;
	int c;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case O_BPF: o.bpf = 1; break;
		case O_AUDIT_LOG: o.audit_log = optarg; break;
		case O_ONCE: o.once = 1; break;
		case O_WEBHOOK: o.webhook_addr = optarg; break;
		case O_WEBHOOK_PATH: o.webhook_path = optarg; break;
		case O_CERT: o.tls_cert = optarg; break;
		case O_KEY: o.tls_key = optarg; break;
		case O_CA: o.client_ca = optarg; break;
		case O_DB: o.db = optarg; break;
		case O_DURATION:
			o.duration = strtod(optarg, &end);
			if (*end || o.duration < 0)
				return kc_cli_fail("watch", "--duration: a number of seconds expected, got '%s'", optarg);
			break;
		case O_RETAIN:
			if (parse_retain(optarg, &retain_s) < 0)
				return kc_cli_fail("watch", "--retain: a duration expected (30d, 12h, 90m, 3600s), got '%s'", optarg);
			break;
		case O_RINGBUF: {
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || v < 4096 || (v & (v - 1)))
				return kc_cli_fail("watch", "--ringbuf-size: a power of two of at least 4096 bytes expected, got '%s'", optarg);
			o.ringbuf_size = v;
			break;
		}
		case O_ROOT: o.root = optarg; break;
		case O_METRICS: o.metrics_addr = optarg; break;
		case O_HOST: host_opt = optarg; break;
		case O_CLUSTER: cluster_opt = optarg; break;
		case O_SIGN_KEY: sign_key_opt = optarg; break;
		case O_LOG_FORMAT:
		case O_LOG_LEVEL:
			if (kc_cli_log_option("watch", c == O_LOG_FORMAT ? "log-format" : "log-level", optarg) != 0)
				return KC_EXIT_ERROR;
			break;
		case 'q': o.quiet = 1; break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default: fputs(usage, stderr); return KC_EXIT_ERROR;
		}
	}
	if (optind < argc)
		return kc_cli_fail("watch", "unexpected argument '%s' (see --help)", argv[optind]);
	if (!o.bpf && !o.audit_log && !o.webhook_addr)
		return kc_cli_fail("watch", "nothing to watch: give --bpf, --audit-log FILE or --audit-webhook ADDR");
	if (o.webhook_addr && (!o.tls_cert || !o.tls_key))
		return kc_cli_fail("watch", "--audit-webhook needs --tls-cert and --tls-key");
	if (o.once && !o.audit_log)
		return kc_cli_fail("watch", "--once applies to --audit-log");

	struct kc_store *st = NULL;
	struct kc_run run = { 0 };
	struct kc_metrics_server *metrics = NULL;
	struct kc_store *corr_st = NULL;
	struct correlate_thread ct = { 0 };
	struct kc_key *sign_key = NULL;
	int rc = KC_EXIT_ERROR;
	o.db = o.db ? o.db : kc_cli_default_db();
	/* the monitors get their configuration and stop signal from here, never call back */
	o.policy_root = kc_cli_policy_root();
	o.stopping = kc_watch_stopping;
	/* the monitors' batched writer (store/store.h: rows outside a transaction commit in batches) */
	if ((sign_key_opt && kc_key_load(sign_key_opt, 1, &sign_key) < 0) ||
	    kc_store_open_mode(o.db, KC_STORE_MONITOR, &st) < 0) {
		kc_cli_fail("watch", "%s", kc_error_last());
		goto out;
	}
	kc_store_set_key(st, sign_key);
	char host[256] = "unknown";
	gethostname(host, sizeof(host) - 1);
	run.host = kc_strdup(host_opt ? host_opt : host);
	run.cluster = kc_strdup(cluster_opt);
	run.benchmark = kc_strdup("watch");
	struct kc_buf targets = KC_BUF_INIT;
	kc_buf_printf(&targets, "%s%s%s", o.bpf ? "bpf" : "", o.bpf && (o.audit_log || o.webhook_addr) ? "," : "",
		      o.audit_log || o.webhook_addr ? "audit" : "");
	run.targets = kc_buf_detach(&targets);
	run.root = kc_strdup(o.root);
	run.tool_version = kc_strdup(KC_VERSION);
	run.started = kc_time_now_rfc3339();
	if (kc_store_start_watch(st, &run) < 0) {
		kc_cli_fail("watch", "%s", kc_error_last());
		goto out;
	}
	/* a previous run killed without finishing: the node was unwatched meanwhile */
	int killed = 0;
	if (kc_store_watch_downtime(st, &run, &killed) < 0)
		kc_log(KC_LOG_WARN, "recording the down time of a killed watch run: %s", kc_error_last());
	else if (killed)
		kc_log(KC_LOG_WARN, "%d earlier watch run(s) ended without finishing: down time recorded as a gap", killed);
	apply_retain(st, retain_s);

	if (o.metrics_addr && kc_metrics_server_start(o.metrics_addr, st, &metrics) < 0) {
		kc_cli_fail("watch", "%s", kc_error_last());
		goto out;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: blocking polls return EINTR and see the stop flag at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* SIGHUP (a closed terminal, a supervisor's reload) flushes and exits like SIGTERM: its
	 * default action would end the process with the batches in flight unwritten */
	sigaction(SIGHUP, &sa, NULL);

	int mrc = 0;
	struct audit_thread at = { .o = &o, .st = st, .run = &run };
	pthread_t th;
	int threaded = 0;
	struct kc_store *audit_st = NULL;
	pthread_t cth;
	int correlating = 0;
	if (o.bpf && (o.audit_log || o.webhook_addr)) {
		/* "who" from the audit log, "what ran" from the kernel: one evidence record */
		if (kc_store_open(o.db, &corr_st) < 0 || kc_correlator_new(corr_st, &ct.c) < 0) {
			kc_cli_fail("watch", "%s", kc_error_last());
			goto out;
		}
		kc_store_set_key(corr_st, sign_key);
		kc_auditlog_correlate_set(kc_correlator_add, ct.c);
		if (pthread_create(&cth, NULL, correlate_main, &ct) == 0)
			correlating = 1;
		/* each monitor writes through its own connection: transactions of two threads on one
		 * SQLite connection would interleave; WAL lets the two connections take turns */
		if (kc_store_open_mode(o.db, KC_STORE_MONITOR, &audit_st) < 0) {
			kc_cli_fail("watch", "%s", kc_error_last());
			goto out;
		}
		kc_store_set_key(audit_st, sign_key);
		at.st = audit_st;
		if (pthread_create(&th, NULL, audit_main, &at) != 0) {
			kc_store_free(audit_st);
			kc_cli_fail("watch", "cannot start the audit-log thread");
			goto out;
		}
		threaded = 1;
	} else if (o.audit_log || o.webhook_addr) {
		audit_main(&at);
	}
	struct kc_flows_watch *flows_rec = NULL;
	if (o.bpf && kc_flows_watch_start(o.db, o.root, cluster_opt, run.host, run.id, &flows_rec) < 0)
		kc_log(KC_LOG_WARN, "TCP flows are not recorded: %s", kc_error_last());
	if (o.bpf) {
		mrc = kc_bpf_watch(&o, st, &run);
		if (mrc < 0)
			kc_cli_fail("watch", "bpf: %s", kc_error_last());
		kc_watch_request_stop();
	}
	if (flows_rec && kc_flows_watch_stop(flows_rec) < 0)
		kc_cli_fail("watch", "flows: %s", kc_error_last());
	if (threaded)
		pthread_join(th, NULL);
	kc_store_free(audit_st);
	if (correlating) {
		atomic_store(&ct.done, 1);
		pthread_join(cth, NULL);
	}
	if (ct.c) {
		kc_auditlog_correlate_set(NULL, NULL);
		/* the monitors have flushed: whatever is still queued is linked now */
		if (kc_correlator_flush(ct.c, now_ms(), 1) < 0)
			kc_cli_fail("watch", "correlation: %s", kc_error_last());
	}
	if (at.rc < 0)
		kc_cli_fail("watch", "audit log: %s", at.err);
	apply_retain(st, retain_s);
	char *fin = kc_time_now_rfc3339();
	kc_store_finish_run(st, run.id, fin);
	free(fin);
	rc = mrc < 0 || at.rc < 0 ? KC_EXIT_ERROR : KC_EXIT_OK;
	if (!o.quiet)
		kc_log(KC_LOG_INFO, "watch run %lld recorded in %s", (long long)run.id, kc_store_path(st));
out:
	kc_metrics_server_stop(metrics);
	kc_correlator_free(ct.c);
	kc_store_free(corr_st);
	kc_run_clear(&run);
	kc_store_free(st);
	kc_key_free(sign_key);
	return rc;
}
