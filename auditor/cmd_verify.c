/* `kubecomply verify`: proves that the evidence store, and optionally a report file, are as
 * they were written (docs/evidence.md). */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auditor/cli.h"
#include "store/store.h"
#include "common/error.h"
#include "common/sign.h"
#include "common/strbuf.h"
#include "reports/report.h"
#include "store/chain.h"

static const char usage[] =
	"usage: kubecomply verify [--db FILE] [--pubkey FILE] [--report FILE] [--quiet]\n"
	"\n"
	"Recomputes the digest of every run and every batch of monitor rows in the evidence store\n"
	"and every link of its hash chain (docs/evidence.md). Each run or batch whose content,\n"
	"order or link changed, or that was deleted or inserted, is named on its own line.\n"
	"\n"
	"      --db FILE        evidence store (default as for audit); never created\n"
	"      --pubkey FILE    Ed25519 public key (PEM): the chain head and the latest checkpoint\n"
	"                       must carry a valid signature by it, and every signature must verify\n"
	"      --report FILE    a JSON report (audit/report --json): it must name a sealed run of\n"
	"                       this store and say exactly what that run says now\n"
	"  -q, --quiet          print only problems\n"
	"\n"
	"exit codes: 0 everything holds; 1 something does not (each named); 2 usage or input error\n"
	"\n"
	"examples:\n"
	"  kubecomply verify --db /var/lib/kubecomply/kubecomply.db\n"
	"  kubecomply verify --db kubecomply.db --pubkey signing.pub --report last.json\n";

/* Reports the first place where two JSON documents differ (path like run.started or
 * results[3].status) into where; 0 when they are equal. */
static int json_diff(struct json_object *a, struct json_object *b, struct kc_buf *path, struct kc_buf *where)
{
	if (json_object_get_type(a) != json_object_get_type(b)) {
		kc_buf_puts(where, path->len ? path->ptr : "(top)");
		return 1;
	}
	size_t len = path->len;
	if (json_object_is_type(a, json_type_object)) {
		json_object_object_foreach(a, k, va) {
			struct json_object *vb = NULL;
			kc_buf_printf(path, "%s%s", len ? "." : "", k);
			if (!json_object_object_get_ex(b, k, &vb) || json_diff(va, vb, path, where)) {
				if (!where->len)
					kc_buf_puts(where, path->ptr);
				return 1;
			}
			kc_buf_truncate(path, len);
		}
		json_object_object_foreach(b, kb, vb2) {
			(void)vb2;
			if (!json_object_object_get_ex(a, kb, NULL)) {
				kc_buf_printf(path, "%s%s", len ? "." : "", kb);
				kc_buf_puts(where, path->ptr);
				return 1;
			}
		}
		return 0;
	}
	if (json_object_is_type(a, json_type_array)) {
		size_t na = json_object_array_length(a), nb = json_object_array_length(b);
		for (size_t i = 0; i < na && i < nb; i++) {
			kc_buf_printf(path, "[%zu]", i);
			if (json_diff(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i), path, where))
				return 1;
			kc_buf_truncate(path, len);
		}
		if (na != nb) {
			kc_buf_printf(where, "%s (%zu entries, the store has %zu)", path->len ? path->ptr : "(top)", na, nb);
			return 1;
		}
		return 0;
	}
	if (!json_object_equal(a, b)) {
		kc_buf_puts(where, path->len ? path->ptr : "(top)");
		return 1;
	}
	return 0;
}

static struct json_object *parse_json(const char *text, size_t len, const char *name)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	if (!o || err != json_tokener_success) {
		kc_error_set(KC_EINVAL, "%s: not a JSON report: %s at byte %zu", name,
			     json_tokener_error_desc(err == json_tokener_success ? json_tokener_continue : err),
			     json_tokener_get_parse_end(tok));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static const char *member_str(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
											      : NULL;
}

/* Checks report `path` against the store; problems are appended to out (one per line).
 * Negative when the report cannot be read at all. */
static int verify_report(struct kc_store *st, const char *path, struct kc_buf *out, size_t *nproblems)
{
	struct kc_buf text = KC_BUF_INIT, path_b = KC_BUF_INIT, where = KC_BUF_INIT;
	struct json_object *rep = NULL, *stored = NULL, *meta = NULL, *v;
	struct kc_run run = { 0 };
	char *mem = NULL;
	size_t memlen = 0;
	int rc = 0;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return kc_error_set_errno(errno, "cannot open the report %s", path);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		kc_buf_add(&text, chunk, n);
	int bad = ferror(fp);
	fclose(fp);
	if (bad) {
		rc = kc_error_set_errno(EIO, "cannot read the report %s", path);
		goto out;
	}
	if (!(rep = parse_json(text.ptr, text.len, path))) {
		rc = KC_EINVAL;
		goto out;
	}
	if (!json_object_object_get_ex(rep, "run", &meta) || !json_object_object_get_ex(meta, "id", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1) {
		rc = kc_error_set(KC_EINVAL, "%s: run.id: a positive run id expected (is it a kubecomply JSON report?)", path);
		goto out;
	}
	int64_t id = json_object_get_int64(v);
	const char *digest = member_str(meta, "digest");
	char sealed[KC_DIGEST_HEX], link[KC_DIGEST_HEX];
	int64_t pos = 0;
	if (kc_chain_find_run(st, id, sealed, &pos, link) < 0) {
		kc_buf_printf(out, "report %s: run %lld: %s\n", path, (long long)id, kc_error_last());
		(*nproblems)++;
		goto out;
	}
	struct json_object *jpos = NULL;
	json_object_object_get_ex(meta, "chain_position", &jpos);
	if (!digest) {
		kc_buf_printf(out, "report %s: carries no run digest (written before the chain, or edited)\n", path);
		(*nproblems)++;
	} else if (strcmp(digest, sealed) != 0 || !jpos || json_object_get_int64(jpos) != pos) {
		kc_buf_printf(out, "report %s: names run %lld with digest %.12s at position %lld; the store sealed "
				   "%.12s at position %lld\n", path, (long long)id, digest,
			      (long long)(jpos ? json_object_get_int64(jpos) : 0), sealed, (long long)pos);
		(*nproblems)++;
	}
	/* the content: what the stored (and verified) run renders to, member by member */
	if ((rc = kc_store_load_run(st, id, &run)) < 0)
		goto out;
	FILE *mf = open_memstream(&mem, &memlen);
	if (!mf) {
		rc = kc_error_set_errno(errno, "rendering run %lld", (long long)id);
		goto out;
	}
	rc = kc_report_json_fprint(&run, mf);
	fclose(mf);
	if (rc < 0 || !(stored = parse_json(mem, memlen, "the stored run"))) {
		rc = rc < 0 ? rc : KC_EINVAL;
		goto out;
	}
	if (json_diff(rep, stored, &path_b, &where)) {
		kc_buf_printf(out, "report %s: differs from stored run %lld at %s\n", path, (long long)id, where.ptr);
		(*nproblems)++;
	}
out:
	json_object_put(rep);
	json_object_put(stored);
	kc_run_clear(&run);
	free(mem);
	kc_buf_clear(&text);
	kc_buf_clear(&path_b);
	kc_buf_clear(&where);
	return rc;
}

int kc_cmd_verify(int argc, char **argv)
{
	enum { O_DB = 256, O_PUBKEY, O_REPORT, O_LOG_FORMAT };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "pubkey", required_argument, NULL, O_PUBKEY },
		{ "report", required_argument, NULL, O_REPORT },
		{ "log-format", required_argument, NULL, O_LOG_FORMAT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *db = NULL, *pubkey = NULL, *report = NULL;
	int quiet = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case O_DB: db = optarg; break;
		case O_PUBKEY: pubkey = optarg; break;
		case O_REPORT: report = optarg; break;
		case O_LOG_FORMAT:
			if (kc_cli_log_option("verify", "log-format", optarg) != 0)
				return KC_EXIT_ERROR;
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default: fputs(usage, stderr); return KC_EXIT_ERROR;
		}
	}
	if (optind < argc)
		return kc_cli_fail("verify", "unexpected argument '%s' (see --help)", argv[optind]);
	db = db ? db : kc_cli_default_db();
	struct kc_key *key = NULL;
	struct kc_store *st = NULL;
	struct kc_chain_verify v = { 0 };
	struct kc_buf rep = KC_BUF_INIT;
	size_t nrep = 0;
	int rc = KC_EXIT_ERROR;
	if (pubkey && kc_key_load(pubkey, 0, &key) < 0) {
		kc_cli_fail("verify", "%s", kc_error_last());
		goto out;
	}
	/* read-only: verifying never creates an empty (and trivially valid) store where a path
	 * was mistyped, and never writes to the evidence it judges */
	if (kc_store_open_mode(db, KC_STORE_READ_ONLY, &st) < 0 || kc_chain_verify(st, key, &v) < 0) {
		kc_cli_fail("verify", "%s", kc_error_last());
		goto out;
	}
	if (report && verify_report(st, report, &rep, &nrep) < 0) {
		kc_cli_fail("verify", "%s", kc_error_last());
		goto out;
	}
	fputs(v.problems.ptr, stdout);
	fputs(rep.ptr, stdout);
	if (!quiet)
		fputs(v.notes.ptr, stdout);
	if (v.nproblems || nrep) {
		fprintf(stderr, "kubecomply verify: %s: %zu problem%s: the evidence was changed after it was sealed\n", db,
			v.nproblems + nrep, v.nproblems + nrep == 1 ? "" : "s");
		rc = KC_EXIT_GATE;
		goto out;
	}
	if (!quiet) {
		if (v.head_pos)
			printf("%s: the chain holds: %zu runs, %zu batches, %zu monitor rows; positions %lld-%lld, head %s%s%s\n",
			       db, v.runs, v.batches, v.rows, (long long)v.first_pos, (long long)v.head_pos, v.head,
			       key ? ", signed by key " : "", key ? kc_key_id(key) : "");
		else
			printf("%s: the chain is empty: nothing sealed yet\n", db);
		if (report)
			printf("%s: matches the stored run it names\n", report);
	}
	rc = KC_EXIT_OK;
out:
	kc_chain_verify_dispose(&v);
	kc_buf_clear(&rep);
	kc_store_free(st);
	kc_key_free(key);
	return rc;
}
