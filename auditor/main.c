/* kubecomply: one binary, kubectl/git-style subcommands. */
#include <curl/curl.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "auditor/cli.h"
#include "checks/policy_pack.h"
#include "store/store.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "audit", kc_cmd_audit, "audit this node (or a mounted host tree) and the cluster's objects" },
	{ "watch", kc_cmd_watch, "watch the node with BPF monitors and the API server's audit log" },
	{ "report", kc_cmd_report, "render a stored run again, or the drift between two runs" },
	{ "remediate", kc_cmd_remediate, "turn a stored run's findings into a GitOps pull request" },
	{ "verify", kc_cmd_verify, "prove that the evidence store (and a report) are as they were written" },
	{ "prune", kc_cmd_prune, "remove old runs, keeping a verifiable checkpoint" },
	{ "checks", kc_cmd_checks, "list the checks of a benchmark" },
	{ "version", kc_cmd_version, "print the version" },
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: kubecomply <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\n'kubecomply <command> --help' describes a command's options.\n"
		    "exit codes: 0 ran and the gate held, 1 the gate tripped (--fail-on), 2 usage, input or environment error\n");
}

/* Does an audit's command line name a cluster source (the only audit that uses libcurl)? */
static int needs_cluster_client(int argc, char **argv)
{
	static const char *const opts[] = { "--kubeconfig", "--in-cluster", "--context" };
	for (int i = 2; i < argc; i++)
		for (size_t k = 0; k < sizeof(opts) / sizeof(*opts); k++)
			if (strncmp(argv[i], opts[k], strlen(opts[k])) == 0)
				return 1;
	return 0;
}

int main(int argc, char **argv)
{
	/* libcurl's lazy global init is not thread-safe; watch and remediate use threads. Only
	 * the commands that may talk to a server pay for loading libcurl (common/lazy.h): a node
	 * audit never does. */
	if (argc >= 2 && strcmp(argv[1], "version") != 0 && strcmp(argv[1], "--version") != 0 &&
	    strcmp(argv[1], "checks") != 0 && strcmp(argv[1], "report") != 0 &&
	    (strcmp(argv[1], "audit") != 0 || needs_cluster_client(argc, argv)))
		curl_global_init(CURL_GLOBAL_DEFAULT);
	/* the manifest reader's threads free and re-grow large heaps file after file; trimming
	 * them back to the system each time costs a third more CPU on big repositories */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	/* the bundled policies as this build parsed them, used where the files are unchanged */
	kc_policy_packs_use(kc_policy_packs, kc_policy_packs_n);
	kc_store_use_schema_ref(kc_store_schema_ref_version, kc_store_schema_ref);
	if (argc < 2) {
		usage(stderr);
		return KC_EXIT_ERROR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return KC_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		return kc_cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "kubecomply: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return KC_EXIT_ERROR;
}
