/* `kubecomply prune`: retention for the evidence store that keeps its proof (a checkpoint
 * with the digest of the pruned prefix; docs/evidence.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auditor/cli.h"
#include "store/store.h"
#include "common/error.h"
#include "common/sign.h"
#include "store/chain.h"

static const char usage[] =
	"usage: kubecomply prune --keep-days N [--db FILE] [--sign-key FILE] [--pubkey FILE] [--quiet]\n"
	"\n"
	"Removes the runs and monitor rows sealed more than N days ago, with their seals, and keeps\n"
	"a checkpoint holding the link digest of the last removed seal: 'verify' then starts from\n"
	"it. Refuses to prune a store that does not verify. One transaction.\n"
	"\n"
	"      --keep-days N    keep what was sealed in the last N days (N >= 1)\n"
	"      --db FILE        evidence store (default as for audit); never created\n"
	"      --sign-key FILE  Ed25519 private key (PEM) signing the checkpoint and the new head\n"
	"      --pubkey FILE    check the chain's signatures before pruning\n"
	"  -q, --quiet          print nothing when it worked\n"
	"\n"
	"examples:\n"
	"  kubecomply prune --db /var/lib/kubecomply/kubecomply.db --keep-days 400\n";

int kc_cmd_prune(int argc, char **argv)
{
	enum { O_DB = 256, O_KEEP_DAYS, O_SIGN_KEY, O_PUBKEY, O_LOG_FORMAT };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "keep-days", required_argument, NULL, O_KEEP_DAYS },
		{ "sign-key", required_argument, NULL, O_SIGN_KEY },
		{ "pubkey", required_argument, NULL, O_PUBKEY },
		{ "log-format", required_argument, NULL, O_LOG_FORMAT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *db = NULL, *days_s = NULL, *sign_key = NULL, *pubkey = NULL;
	int quiet = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case O_DB: db = optarg; break;
		case O_KEEP_DAYS: days_s = optarg; break;
		case O_SIGN_KEY: sign_key = optarg; break;
		case O_PUBKEY: pubkey = optarg; break;
		case O_LOG_FORMAT:
			if (kc_cli_log_option("prune", "log-format", optarg) != 0)
				return KC_EXIT_ERROR;
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default: fputs(usage, stderr); return KC_EXIT_ERROR;
		}
	}
	if (optind < argc)
		return kc_cli_fail("prune", "unexpected argument '%s' (see --help)", argv[optind]);
	char *end = NULL;
	long days = days_s ? strtol(days_s, &end, 10) : 0;
	/* 0 would prune everything sealed up to this second: surely a mistake, never a default */
	if (!days_s || !*days_s || *end || days < 1 || days > 36500)
		return kc_cli_fail("prune", "--keep-days: a whole number of days from 1 to 36500 expected%s%s%s",
				   days_s ? " (got '" : "", days_s ? days_s : "", days_s ? "')" : "");
	db = db ? db : kc_cli_default_db();
	struct stat sb;
	if (!kc_store_is_url(db) && stat(db, &sb) != 0)
		return kc_cli_fail("prune", "%s: no such evidence database (%s)", db, strerror(errno));

	/* the cutoff in the stored form ("2026-11-28T05:45:39.123Z"), so text order is time order */
	time_t cut = time(NULL) - (time_t)days * 86400;
	struct tm tm;
	char before[40];
	gmtime_r(&cut, &tm);
	strftime(before, sizeof(before), "%Y-%m-%dT%H:%M:%S.000Z", &tm);

	struct kc_key *skey = NULL, *pkey = NULL;
	struct kc_store *st = NULL;
	struct kc_chain_prune pr;
	int rc = KC_EXIT_ERROR;
	if ((sign_key && kc_key_load(sign_key, 1, &skey) < 0) || (pubkey && kc_key_load(pubkey, 0, &pkey) < 0) ||
	    kc_store_open(db, &st) < 0) {
		kc_cli_fail("prune", "%s", kc_error_last());
		goto out;
	}
	kc_store_set_key(st, skey);
	if (kc_store_prune(st, before, pkey, &pr) < 0) {
		kc_cli_fail("prune", "%s", kc_error_last());
		goto out;
	}
	if (!quiet) {
		if (pr.checkpoint_pos)
			printf("%s: pruned %zu runs, %zu monitor rows and %zu seals sealed before %s; checkpoint at "
			       "position %lld: %s\n", db, pr.runs, pr.rows, pr.seals, before, (long long)pr.checkpoint_pos,
			       pr.checkpoint);
		else
			printf("%s: nothing was sealed before %s\n", db, before);
	}
	rc = KC_EXIT_OK;
out:
	kc_store_free(st);
	kc_key_free(skey);
	kc_key_free(pkey);
	return rc;
}
