/* `kubecomply report`: any stored run rendered again, or the drift between two runs. */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditor/cli.h"
#include "auditor/outputs.h"
#include "store/store.h"
#include "common/error.h"
#include "reports/fleet.h"
#include "reports/report.h"

static const char usage[] =
	"usage: kubecomply report --db FILE [--run ID|latest] [--json FILE] [--junit FILE]\n"
	"                         [--html FILE] [--sarif FILE] [--fail-on WHAT] [--quiet]\n"
	"       kubecomply report --db FILE --diff RUN_A RUN_B [--json FILE] [--html FILE]\n"
	"       kubecomply report --db A --db B ... | --db DIR  [--json FILE] [--html FILE]\n"
	"       kubecomply report --db STORE --fleet [--json FILE] [--html FILE]\n"
	"\n"
	"Renders a run stored by 'audit' or 'watch' (run ids as stored: 1 is the first run of a\n"
	"new database), or what changed between two runs.\n"
	"\n"
	"      --db FILE|URL    evidence store (default as for audit), or postgres://user@host/db\n"
	"      --run ID         run id, or 'latest' (default)\n"
	"      --diff A B       compare run A with run B (new failures, fixed, still failing)\n"
	;
/* after the outputs' lines (kc_outputs_help) */
static const char usage_tail[] =
	"      --db given more than once, or naming a directory of *.db: one fleet report of the\n"
	"                       latest audit of every node (which nodes drift from the others)\n"
	"      --fleet          one fleet report of the latest audit of every host in ONE store\n"
	"                       (a PostgreSQL database the nodes write to)\n"
	"      --fail-on WHAT   apply the gate to the stored run (exit 1 when it trips)\n"
	"  -q, --quiet          print only the summary\n"
	"  -v, --verbose        print evidence for every check\n"
	"\n"
	"examples:\n"
	"  kubecomply report --db kubecomply.db --html last.html\n"
	"  kubecomply report --db kubecomply.db --diff 1 2\n"
	"  kubecomply report --db postgres://kubecomply@db.monitoring/evidence --fleet --html fleet.html\n";

static void print_usage(FILE *fp)
{
	fputs(usage, fp);
	kc_outputs_help(fp);
	fputs(usage_tail, fp);
}

static int parse_run_id(const char *s, int64_t *out)
{
	if (strcmp(s, "latest") == 0) {
		*out = 0;
		return 0;
	}
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < 1)
		return -1;
	*out = v;
	return 0;
}

int kc_cmd_report(int argc, char **argv)
{
	enum { O_DB = 256, O_RUN, O_DIFF, O_FAIL_ON, O_FLEET,
	       O_LOG_FORMAT, O_OUTPUT_MORE };
	static const struct option own[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "fleet", no_argument, NULL, O_FLEET },
		{ "run", required_argument, NULL, O_RUN },
		{ "diff", required_argument, NULL, O_DIFF },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "log-format", required_argument, NULL, O_LOG_FORMAT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct option opts[sizeof(own) / sizeof(*own) + KC_OUTPUT_NOPTS];
	kc_outputs_options(opts, sizeof(opts) / sizeof(*opts), own, O_OUTPUT_MORE);
	const char *dbs[64];
	size_t ndb = 0;
	const char *db = NULL, *run_s = "latest", *diff_a = NULL, *diff_b = NULL, *fail_on = NULL;
	struct kc_output_opts out = { 0 };
	int c, one_store_fleet = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			if (ndb == sizeof(dbs) / sizeof(*dbs))
				return kc_cli_fail("report", "at most %zu --db; name a directory of databases instead", ndb);
			dbs[ndb++] = db = optarg;
			break;
		case O_RUN: run_s = optarg; break;
		case O_FLEET: one_store_fleet = 1; break;
		case O_DIFF:
			diff_a = optarg;
			if (optind < argc && argv[optind][0] != '-')
				diff_b = argv[optind++];
			break;
		case O_FAIL_ON: fail_on = optarg; break;
		case O_OUTPUT_MORE ... O_OUTPUT_MORE + KC_OUTPUT_NOPTS - 1:
			if (kc_outputs_option("report", &out, c - O_OUTPUT_MORE, optarg) != 0)
				return KC_EXIT_ERROR;
			break;
		case O_LOG_FORMAT:
			if (kc_cli_log_option("report", "log-format", optarg) != 0)
				return KC_EXIT_ERROR;
			break;
		case 'q': out.quiet = 1; break;
		case 'v': out.verbose = 1; break;
		case 'h': print_usage(stdout); return KC_EXIT_OK;
		default: print_usage(stderr); return KC_EXIT_ERROR;
		}
	}
	if (optind < argc)
		return kc_cli_fail("report", "unexpected argument '%s' (see --help)", argv[optind]);
	if (diff_a && !diff_b)
		return kc_cli_fail("report", "--diff takes two run ids: --diff RUN_A RUN_B");
	struct kc_gate gate;
	if (kc_gate_parse(&gate, fail_on) < 0)
		return kc_cli_fail("report", "%s", kc_error_last());

	struct stat sb;
	if (one_store_fleet) {
		if (diff_a || ndb > 1)
			return kc_cli_fail("report", "--fleet reads the hosts of one store: one --db, no --diff");
		struct kc_fleet *fleet = NULL;
		if (kc_fleet_load_store(db ? db : kc_cli_default_db(), &fleet) < 0)
			return kc_cli_fail("report", "%s", kc_error_last());
		int frc = kc_fleet_render(fleet, out.quiet ? NULL : stdout, kc_outputs_path(&out, "json"), kc_outputs_path(&out, "html"));
		kc_fleet_free(fleet);
		return frc < 0 ? kc_cli_fail("report", "%s", kc_error_last()) : KC_EXIT_OK;
	}
	if (ndb > 1 || (ndb == 1 && stat(dbs[0], &sb) == 0 && S_ISDIR(sb.st_mode))) {
		/* a fleet: each node's latest audit side by side */
		if (diff_a)
			return kc_cli_fail("report", "--diff compares two runs of one database");
		struct kc_fleet *fleet = NULL;
		if (kc_fleet_load(dbs, ndb, &fleet) < 0)
			return kc_cli_fail("report", "%s", kc_error_last());
		int frc = kc_fleet_render(fleet, out.quiet ? NULL : stdout, kc_outputs_path(&out, "json"), kc_outputs_path(&out, "html"));
		kc_fleet_free(fleet);
		return frc < 0 ? kc_cli_fail("report", "%s", kc_error_last()) : KC_EXIT_OK;
	}
	struct kc_store *st = NULL;
	struct kc_run a = { 0 }, b = { 0 };
	int rc = KC_EXIT_ERROR;
	int64_t ida, idb;
	if (diff_a && (parse_run_id(diff_a, &ida) < 0 || parse_run_id(diff_b, &idb) < 0))
		return kc_cli_fail("report", "--diff: run ids are positive integers or 'latest'");
	if (!diff_a && parse_run_id(run_s, &ida) < 0)
		return kc_cli_fail("report", "--run '%s': a positive integer or 'latest' expected", run_s);
	db = db ? db : kc_cli_default_db();
	/* read-only: never creates a store where the user mistyped a path, works on a read-only mount */
	if (kc_store_open_mode(db, KC_STORE_READ_ONLY, &st) < 0) {
		kc_cli_fail("report", "%s", kc_error_last());
		goto out;
	}
	if (kc_store_load_run(st, ida, &a) < 0) {
		kc_cli_fail("report", "%s", kc_error_last());
		goto out;
	}
	if (diff_a) {
		if (kc_store_load_run(st, idb, &b) < 0) {
			kc_cli_fail("report", "%s", kc_error_last());
			goto out;
		}
		if (kc_report_diff(&a, &b, stdout, kc_outputs_path(&out, "json"), kc_outputs_path(&out, "html")) < 0) {
			kc_cli_fail("report", "%s", kc_error_last());
			goto out;
		}
		rc = KC_EXIT_OK;
		goto out;
	}
	rc = kc_outputs_write("report", &a, st, &out, fail_on ? &gate : NULL);
out:
	kc_run_clear(&a);
	kc_run_clear(&b);
	kc_store_free(st);
	return rc;
}
