#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/benchmark.h"
#include "auditor/cli.h"
#include "common/error.h"

static const char usage[] =
	"usage: kubecomply checks [--benchmark NAME] [--policy-dir DIR] [--check IDS] [--skip IDS]\n"
	"\n"
	"Lists the checks of a benchmark, one line each: id, type, target, level, title.\n"
	"Policies are read from $KUBECOMPLY_POLICIES, policies/ beside the binary, or\n"
	"<prefix>/share/kubecomply/policies.\n"
	"\n"
	"  -b, --benchmark NAME   benchmark (default " KC_DEFAULT_BENCHMARK ")\n"
	"      --policy-dir DIR   add the checks of DIR's *.yaml files\n"
	"      --check IDS        only these ids or sections (comma list: 1.2,4.1.1)\n"
	"      --skip IDS         leave these out\n"
	"\n"
	"example: kubecomply checks --benchmark cis-1.12 --check 1.2\n";

int kc_cmd_checks(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "benchmark", required_argument, NULL, 'b' },
		{ "policy-dir", required_argument, NULL, 'P' },
		{ "check", required_argument, NULL, 'c' },
		{ "skip", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bench = NULL, *pdir = NULL, *inc = NULL, *exc = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bench = optarg; break;
		case 'P': pdir = optarg; break;
		case 'c': inc = optarg; break;
		case 's': exc = optarg; break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default: fputs(usage, stderr); return KC_EXIT_ERROR;
		}
	}
	if (optind < argc)
		return kc_cli_fail("checks", "unexpected argument '%s'", argv[optind]);
	const char *why;
	char *name = kc_benchmark_resolve(bench, NULL, NULL, &why, NULL);
	struct kc_policy_set set = { 0 };
	int rc = kc_benchmark_load(name, pdir, &set);
	if (rc < 0) {
		kc_policy_set_clear(&set);
		free(name);
		return kc_cli_fail("checks", "%s", kc_error_last());
	}
	for (size_t i = 0; i < set.nchecks; i++) {
		const struct kc_check *ch = &set.checks[i];
		if (kc_check_selected(ch, inc, exc))
			printf("%s\t%s\t%s\tL%d\t%s\n", ch->id, ch->type, ch->target, ch->level, ch->title);
	}
	kc_policy_set_clear(&set);
	free(name);
	return KC_EXIT_OK;
}
