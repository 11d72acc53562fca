/* `kubecomply audit`: collect facts, evaluate the benchmark, save the run in one
 * transaction, then render the reports from it and apply the gate. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/benchmark.h"
#include "auditor/cli.h"
#include "auditor/outputs.h"
#include "store/store.h"
#include "checks/engine.h"
#include "checks/k8s/cluster.h"
#include "checks/k8s/exceptions.h"
#include "checks/k8s/kubeconfig.h"
#include "checks/section5/providers.h"
#include "common/error.h"
#include "common/log.h"
#include "common/sign.h"
#include "common/strbuf.h"

static const char usage[] =
	"usage: kubecomply audit [--root DIR] [--proc DIR] [--benchmark NAME] [--targets LIST]\n"
	"                        [--check IDS] [--skip IDS] [--policy-dir DIR] [--db FILE]\n"
	"                        [--json FILE] [--junit FILE] [--html FILE] [--sarif FILE]\n"
	"                        [--fail-on WHAT] [--quiet] [--verbose]\n"
	"                        [--kubeconfig FILE [--context NAME] | --in-cluster | --manifests PATH...]\n"
	"                        [--exceptions FILE] [--exempt-namespaces LIST]\n"
	"                        [--policy-report FILE] [--metrics-file FILE] [--log-format text|json]\n"
	"                        [--json-format kubecomply|kube-bench] [--oscal FILE] [--policy-report-apply]\n"
	"                        [--sign-key FILE]\n"
	"\n"
	"Audits a node against a CIS Kubernetes Benchmark without running any program: component\n"
	"flags from /proc and static pod manifests, file modes and owners, config files. Every\n"
	"result is saved with its evidence in the SQLite store; reports are rendered from it.\n"
	"\n"
	"  -r, --root DIR        the host's filesystem (default /; a DaemonSet mounts it at /host)\n"
	"      --proc DIR        the host's /proc (default /proc for --root /, else DIR/proc when\n"
	"                        present); 'none' reads no processes\n"
	"  -b, --benchmark NAME  cis-1.12 (default), or a directory under the policy root\n"
	"  -t, --targets LIST    master,controlplane,etcd,node,policies (default: all)\n"
	"      --check IDS       only these ids or sections (1.2,4.1.1; '1.2.1' is not '1.2.10')\n"
	"      --skip IDS        leave these out\n"
	"      --policy-dir DIR  add the checks in DIR\n"
	"      --host NAME       the host name recorded (default: the audited root's hostname)\n"
	"      --cluster NAME    the cluster name recorded\n"
	"      --db FILE         evidence store (default /var/lib/kubecomply/kubecomply.db as root,\n"
	"                        ./kubecomply.db otherwise), or postgres://user@host/db for a fleet\n"
	;
/* after the outputs' lines (kc_outputs_help) */
static const char usage_tail[] =
	"      --log-format F    text (default) or json lines; --log-level debug|info|warn|error\n"
	"      --fail-on WHAT    exit 1 when a result matches: FAIL, WARN, ERROR, severity>=high,\n"
	"                        level=1, scored, automated (comma list; default: a scored FAIL\n"
	"                        or ERROR, and with a cluster source any FAIL or ERROR of an\n"
	"                        automated check, since section 5 is unscored)\n"
	"      --kubeconfig FILE cluster objects for section 5 from the API server (read-only)\n"
	"      --context NAME    kubeconfig context (default: current-context)\n"
	"      --in-cluster      use the pod's service account instead of a kubeconfig\n"
	"      --manifests PATH  cluster objects from manifests: a file, a directory (recursive) or\n"
	"                        '-' for stdin; repeatable. With a cluster source and no --root,\n"
	"                        only the policies target is audited unless --targets says otherwise\n"
	"      --exceptions FILE documented exceptions (check, namespace/name globs, reason, expiry)\n"
	"      --exempt-namespaces LIST  namespaces 5.2.1/5.3.2 do not require to be covered\n"
	"                        (default kube-system,kube-public,kube-node-lease)\n"
	"      --sign-key FILE   Ed25519 private key (PEM) signing the run's seal (docs/evidence.md)\n"
	"  -q, --quiet           print only the summary\n"
	"  -v, --verbose         print expected/actual and evidence for every check\n"
	"\n"
	"exit codes: 0 ran and the gate held; 1 the gate tripped; 2 usage, input or environment error\n"
	"\n"
	"examples:\n"
	"  kubecomply audit\n"
	"  kubecomply audit --root /host --proc /proc --json /var/lib/kubecomply/last.json\n"
	"  kubecomply audit --root examples/node-kubeadm --check 1.1,1.2 --fail-on severity>=high\n"
	"  kubecomply audit --manifests k8s/ --exceptions exceptions.yaml --junit section5.xml\n"
	"  kubecomply audit --targets policies --kubeconfig ~/.kube/config --context prod\n";

static void print_usage(FILE *fp)
{
	fputs(usage, fp);
	kc_outputs_help(fp);
	fputs(usage_tail, fp);
}

struct audit_opts {
	const char *root, *proc, *benchmark, *targets, *include, *exclude, *policy_dir, *db, *host, *cluster;
	const char *fail_on, *k8s_version;
	const char *kubeconfig, *context, *exceptions, *exempt, *sign_key;
	const char **manifests;
	size_t nmanifests, manifests_cap;
	int in_cluster, root_given;
	struct kc_output_opts out;
	int quiet, verbose;
};

/* Loads the cluster objects asked for; NULL with *rc = 0 when no source was given. */
static struct kc_cluster *load_cluster(const struct audit_opts *o, int *rc)
{
	*rc = 0;
	if (!o->nmanifests && !o->kubeconfig && !o->in_cluster && !o->context)
		return NULL;
	struct kc_cluster *c = kc_cluster_new();
	if (o->exempt)
		kc_cluster_set_exempt_namespaces(c, o->exempt);
	for (size_t i = 0; i < o->nmanifests && *rc == 0; i++)
		*rc = kc_cluster_load_manifests(c, o->manifests[i]);
	if (*rc == 0 && (o->kubeconfig || o->in_cluster || o->context)) {
		struct kc_kubeconfig_opts ko = { .kubeconfig = o->kubeconfig, .context = o->context,
						 .in_cluster = o->in_cluster };
		*rc = kc_cluster_load_api(c, &ko);
	}
	/* bad documents are skipped, not fatal: say which, and audit the rest */
	for (size_t i = 0; i < kc_cluster_warning_count(c); i++)
		kc_log(KC_LOG_WARN, "%s", kc_cluster_warning(c, i));
	/* an empty directory, only unknown extensions, or everything skipped: nothing to judge is
	 * not "everything passes" */
	if (*rc == 0 && kc_cluster_object_count(c) == 0)
		*rc = kc_error_set(KC_EINVAL, "the cluster sources yielded no Kubernetes objects (%zu warning%s above); "
				   "nothing to audit", kc_cluster_warning_count(c),
				   kc_cluster_warning_count(c) == 1 ? "" : "s");
	if (*rc < 0) {
		kc_cluster_free(c);
		return NULL;
	}
	return c;
}

static char *host_name(struct kc_node *node, const char *root)
{
	if (strcmp(root, "/") != 0) {
		char *data;
		size_t len;
		if (kc_root_read_file(node->root, "/etc/hostname", 256, &data, &len) == 0) {
			data[strcspn(data, " \t\r\n")] = '\0';
			if (*data)
				return data;
			free(data);
		}
		const char *base = strrchr(root, '/');
		return kc_strdup(base && base[1] ? base + 1 : root);
	}
	char buf[256];
	if (gethostname(buf, sizeof(buf)) == 0) {
		buf[sizeof(buf) - 1] = '\0';
		return kc_strdup(buf);
	}
	return kc_strdup("unknown");
}

static const char *default_proc(const char *root, struct kc_buf *tmp)
{
	if (strcmp(root, "/") == 0)
		return "/proc";
	kc_buf_printf(tmp, "%s/proc", root);
	struct stat st;
	return stat(tmp->ptr, &st) == 0 && S_ISDIR(st.st_mode) ? tmp->ptr : NULL;
}

int kc_cmd_audit(int argc, char **argv)
{
	enum { O_PROC = 256, O_CHECK, O_SKIP, O_POLICY_DIR, O_DB, O_FAIL_ON,
	       O_HOST, O_CLUSTER, O_K8S_VERSION, O_KUBECONFIG, O_CONTEXT, O_IN_CLUSTER, O_MANIFESTS, O_EXCEPTIONS,
	       O_EXEMPT, O_LOG_FORMAT, O_LOG_LEVEL, O_SIGN_KEY, O_OUTPUT_MORE };
	static const struct option own[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "proc", required_argument, NULL, O_PROC },
		{ "benchmark", required_argument, NULL, 'b' },
		{ "targets", required_argument, NULL, 't' },
		{ "check", required_argument, NULL, O_CHECK },
		{ "skip", required_argument, NULL, O_SKIP },
		{ "policy-dir", required_argument, NULL, O_POLICY_DIR },
		{ "db", required_argument, NULL, O_DB },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "host", required_argument, NULL, O_HOST },
		{ "cluster", required_argument, NULL, O_CLUSTER },
		{ "k8s-version", required_argument, NULL, O_K8S_VERSION },
		{ "kubeconfig", required_argument, NULL, O_KUBECONFIG },
		{ "context", required_argument, NULL, O_CONTEXT },
		{ "in-cluster", no_argument, NULL, O_IN_CLUSTER },
		{ "manifests", required_argument, NULL, O_MANIFESTS },
		{ "exceptions", required_argument, NULL, O_EXCEPTIONS },
		{ "exempt-namespaces", required_argument, NULL, O_EXEMPT },
		{ "log-format", required_argument, NULL, O_LOG_FORMAT },
		{ "log-level", required_argument, NULL, O_LOG_LEVEL },
		{ "sign-key", required_argument, NULL, O_SIGN_KEY },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct option opts[sizeof(own) / sizeof(*own) + KC_OUTPUT_NOPTS];
	kc_outputs_options(opts, sizeof(opts) / sizeof(*opts), own, O_OUTPUT_MORE);
	struct audit_opts o = { .root = "/" };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:b:t:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.root = optarg; o.root_given = 1; break;
		case O_PROC: o.proc = optarg; break;
		case 'b': o.benchmark = optarg; break;
		case 't': o.targets = optarg; break;
		case O_CHECK: o.include = optarg; break;
		case O_SKIP: o.exclude = optarg; break;
		case O_POLICY_DIR: o.policy_dir = optarg; break;
		case O_DB: o.db = optarg; break;
		case O_FAIL_ON: o.fail_on = optarg; break;
		case O_HOST: o.host = optarg; break;
		case O_CLUSTER: o.cluster = optarg; break;
		case O_K8S_VERSION: o.k8s_version = optarg; break;
		case O_KUBECONFIG: o.kubeconfig = optarg; break;
		case O_CONTEXT: o.context = optarg; break;
		case O_IN_CLUSTER: o.in_cluster = 1; break;
		case O_MANIFESTS:
			o.manifests = kc_array_grow(o.manifests, &o.manifests_cap, o.nmanifests + 1, sizeof(*o.manifests));
			o.manifests[o.nmanifests++] = optarg;
			break;
		case O_EXCEPTIONS: o.exceptions = optarg; break;
		case O_EXEMPT: o.exempt = optarg; break;
		case O_SIGN_KEY: o.sign_key = optarg; break;
		case O_OUTPUT_MORE ... O_OUTPUT_MORE + KC_OUTPUT_NOPTS - 1:
			if (kc_outputs_option("audit", &o.out, c - O_OUTPUT_MORE, optarg) != 0) {
				free(o.manifests);
				return KC_EXIT_ERROR;
			}
			break;
		case O_LOG_FORMAT:
		case O_LOG_LEVEL:
			if (kc_cli_log_option("audit", c == O_LOG_FORMAT ? "log-format" : "log-level", optarg) != 0) {
				free(o.manifests);
				return KC_EXIT_ERROR;
			}
			break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': print_usage(stdout); return KC_EXIT_OK;
		default: print_usage(stderr); return KC_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		free(o.manifests);
		return kc_cli_fail("audit", "unexpected argument '%s' (see --help)", argv[optind]);
	}
	if (o.in_cluster && (o.kubeconfig || o.context)) {
		free(o.manifests);
		return kc_cli_fail("audit", "--in-cluster and --kubeconfig/--context exclude each other");
	}
	/* a manifest scan in CI is about the objects, not the machine the pipeline runs on */
	int cluster_source = o.nmanifests || o.kubeconfig || o.context || o.in_cluster;
	if (cluster_source && !o.root_given && !o.targets)
		o.targets = "policies"; /* no node checks run: an empty --root says nothing about this run */
	static const char *const known_targets[] = { "master", "controlplane", "etcd", "node", "policies" };
	for (const char *p = o.targets; p && *p;) {
		size_t len = strcspn(p, ",");
		int ok = 0;
		for (size_t i = 0; i < 5; i++)
			ok |= strlen(known_targets[i]) == len && strncmp(p, known_targets[i], len) == 0;
		if (!ok) {
			free(o.manifests);
			return kc_cli_fail("audit", "--targets: unknown target '%.*s' (expected master, controlplane, etcd, node, policies)",
					   (int)len, p);
		}
		p += len + (p[len] == ',');
	}
	/* Section 5 is unscored in the benchmark: the node default ("scored" FAIL) would never
	 * trip on a cluster source, and a CI gate on manifests would pass a failing repository. */
	if (cluster_source && !o.fail_on)
		o.fail_on = "FAIL,automated";
	struct kc_gate gate;
	if (kc_gate_parse(&gate, o.fail_on) < 0) {
		free(o.manifests);
		return kc_cli_fail("audit", "%s", kc_error_last());
	}

	int exit_code = KC_EXIT_ERROR;
	struct kc_node node;
	struct kc_policy_set set = { 0 };
	struct kc_run run = { 0 };
	struct kc_store *st = NULL;
	struct kc_key *sign_key = NULL;
	struct kc_buf procbuf = KC_BUF_INIT;
	char *bench = NULL, *k8s_version = NULL;
	int node_open = 0;
	struct kc_cluster *cluster = NULL;
	struct kc_exceptions *exceptions = NULL;
	struct kc_query_provider providers[KC_SECTION5_PROVIDERS];
	size_t nproviders = 0;

	if (!o.proc)
		o.proc = default_proc(o.root, &procbuf);
	if (kc_node_open(&node, o.root, o.proc) < 0) {
		kc_cli_fail("audit", "%s", kc_error_last());
		goto out;
	}
	node_open = 1;
	const char *why;
	bench = kc_benchmark_resolve(o.benchmark, &node, o.k8s_version, &why, &k8s_version);
	if (!o.quiet)
		kc_log(KC_LOG_INFO, "benchmark %s (%s)", bench, why);
	if (kc_benchmark_load(bench, o.policy_dir, &set) < 0) {
		kc_cli_fail("audit", "%s", kc_error_last());
		goto out;
	}
	if (o.exceptions && kc_exceptions_load(o.exceptions, &exceptions) < 0) {
		kc_cli_fail("audit", "%s", kc_error_last());
		goto out;
	}
	int crc;
	cluster = load_cluster(&o, &crc);
	if (crc < 0) {
		kc_cli_fail("audit", "%s", kc_error_last());
		goto out;
	}
	if (cluster) {
		kc_cluster_set_exceptions(cluster, exceptions);
		nproviders = kc_cluster_providers(cluster, providers, KC_SECTION5_PROVIDERS);
	}
	/* open the store before the audit: a database we cannot write is an error now, not
	 * after the work is done */
	if ((o.sign_key && kc_key_load(o.sign_key, 1, &sign_key) < 0) ||
	    kc_store_open(o.db ? o.db : kc_cli_default_db(), &st) < 0) {
		kc_cli_fail("audit", "%s", kc_error_last());
		goto out;
	}
	kc_store_set_key(st, sign_key);

	run.host = o.host ? kc_strdup(o.host) : host_name(&node, o.root);
	run.cluster = kc_strdup(o.cluster);
	run.benchmark = kc_strdup(bench);
	run.k8s_version = k8s_version;
	k8s_version = NULL;
	run.targets = kc_strdup(o.targets ? o.targets : "master,controlplane,etcd,node,policies");
	run.root = kc_strdup(o.root);
	run.tool_version = kc_strdup(KC_VERSION);
	run.started = kc_time_now_rfc3339();

	struct kc_engine_opts eo = { .include = o.include, .exclude = o.exclude, .targets = o.targets,
				     .providers = providers, .nproviders = nproviders };
	kc_engine_run(&set, &node, &eo, &run);
	run.finished = kc_time_now_rfc3339();

	if (kc_store_save_run(st, &run) < 0) {
		kc_cli_fail("audit", "%s", kc_error_last());
		goto out;
	}
	o.out.quiet = o.quiet;
	o.out.verbose = o.verbose;
	o.out.kube = (struct kc_kubeconfig_opts){ .kubeconfig = o.kubeconfig, .context = o.context,
						  .in_cluster = o.in_cluster };
	exit_code = kc_outputs_write("audit", &run, st, &o.out, &gate);
	if (!o.quiet)
		kc_log(KC_LOG_INFO, "run %lld saved to %s", (long long)run.id, kc_store_path(st));
	/* an empty or mis-mounted --root must never pass a gate: every node check was SKIP.
	 * The run is saved and reported; the exit says the environment is wrong. Only when the
	 * node was audited: a manifest scan without --root audits policies alone. */
	if (!o.targets && !kc_node_has_any_component(&node)) {
		kc_cli_fail("audit", "no Kubernetes component found under --root %s (no kube-apiserver, etcd or kubelet "
			    "process, static pod manifest, unit or config): is the host's root mounted there? "
			    "Give --targets to audit it anyway", o.root ? o.root : "/");
		exit_code = KC_EXIT_ERROR;
	}
out:
	kc_run_clear(&run);
	kc_store_free(st);
	kc_key_free(sign_key);
	kc_policy_set_clear(&set);
	if (node_open)
		kc_node_clear(&node);
	kc_buf_clear(&procbuf);
	kc_cluster_free(cluster);
	kc_exceptions_free(exceptions);
	free(o.manifests);
	free(bench);
	free(k8s_version);
	return exit_code;
}
