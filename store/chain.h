/* The evidence store's hash chain (docs/evidence.md): every audit run and every batch of
 * monitor rows (events, findings, gaps, audit events, BPF attachments) is sealed by a row of
 * `seals` holding the SHA-256 of its canonical form (store/canon.h) and the link digest of
 * the seal before it, optionally signed with Ed25519. `kc_chain_verify` recomputes all of it.
 *
 * How rows reach a batch: store.c tells the chain every monitor row it writes
 * (kc_chain_touch), and seals them when the transaction commits (kc_store_commit, the end of
 * a monitor's implicit batch). A row changed later (the audit-log monitor completes an event;
 * the correlator adds kernel execs to a finding) is sealed again in the batch of that change;
 * verify compares each row with its latest seal. Runs are sealed explicitly: an audit when it
 * is saved, a watch run when it finishes. Both backends: every statement goes through the
 * backend interface (store/db.h), and on PostgreSQL the append takes an advisory lock, so
 * that concurrent writers take positions one at a time.
 *
 * Ownership: a chain belongs to its kc_store (store.c creates and frees it). Outside store/,
 * callers use the kc_store_* wrappers (store.h) and the verify entry points below. */
#ifndef KC_CHAIN_H
#define KC_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"
#include "store/canon.h"

struct kc_store;
struct kc_key;
struct kc_run;
struct kc_chain;

/* The monitor tables sealed per batch, in the order rows are listed in a batch. */
enum kc_chain_table { KC_CHAIN_EVENTS, KC_CHAIN_FINDINGS, KC_CHAIN_GAPS, KC_CHAIN_AUDIT_EVENTS,
		      KC_CHAIN_ATTACHMENTS, KC_CHAIN_NTABLES };

struct kc_chain *kc_chain_new(void);
void kc_chain_free(struct kc_chain *c);
/* Borrowed signing key (NULL: heads are not signed). */
void kc_chain_set_key(struct kc_chain *c, const struct kc_key *key);
/* A monitor row written (deleted: 1 when it was deleted) in the current transaction. */
void kc_chain_touch(struct kc_chain *c, enum kc_chain_table table, int64_t id, int deleted);
/* Transaction boundaries: a rolled-back transaction's rows are forgotten. */
void kc_chain_begin(struct kc_chain *c);
void kc_chain_rollback(struct kc_chain *c);

/* Inside the caller's write transaction: seals the rows touched since the last seal
 * (nothing when there were none). */
int kc_chain_seal_batch(struct kc_store *st, struct kc_chain *c);
/* Inside the caller's write transaction: seals run run->id and sets run->digest,
 * run->chain_pos and run->chain_link. */
int kc_chain_seal_run(struct kc_store *st, struct kc_chain *c, struct kc_run *run);
/* A store migrated from before the chain holds the 'adopt' mark (store/schema.c, v4): seals
 * every run and row as found, in one transaction, and removes the mark. Nothing otherwise. */
int kc_chain_adopt(struct kc_store *st, struct kc_chain *c);
/* Fills run->digest / chain_pos / chain_link from the run's seal; leaves them NULL/0 when
 * the run is not sealed (an open watch run). */
int kc_chain_run_proof(struct kc_store *st, struct kc_run *run);

/* The latest seal of one monitor row, as verify found it. */
struct kc_chain_row {
	uint8_t table;       /* enum kc_chain_table */
	uint8_t deleted;     /* sealed as deleted (a tombstone) */
	int64_t id;
	int64_t pos;         /* position of the seal that sealed it last */
	unsigned char digest[KC_DIGEST_LEN];
};

struct kc_chain_verify {
	size_t nproblems;
	struct kc_buf problems;      /* one line per problem: what, where, and why */
	struct kc_buf notes;         /* lines that are not problems (an open watch run) */
	size_t runs, batches, rows;  /* what was checked */
	int64_t first_pos, head_pos; /* 0 when the chain is empty */
	char head[KC_DIGEST_HEX];    /* link of the head */
	int signed_head;             /* the head carries a signature that verified */
	struct kc_chain_row *latest; /* sorted by (table, id) */
	size_t nlatest;
};

/* Recomputes every digest and link of the store. key (may be NULL) checks signatures:
 * then the head and the latest checkpoint must be signed by it. Returns 0 when it could
 * read the store (out->nproblems says whether the chain holds), a negative code when not.
 * The caller releases out with kc_chain_verify_dispose. */
int kc_chain_verify(struct kc_store *st, const struct kc_key *key, struct kc_chain_verify *out);
void kc_chain_verify_dispose(struct kc_chain_verify *v);

/* The seal of run run_id: the content digest it was sealed with, its position and link
 * (for `verify --report`). KC_ENOTFOUND when the run has no seal. */
int kc_chain_find_run(struct kc_store *st, int64_t run_id, char digest[KC_DIGEST_HEX], int64_t *pos,
		      char link[KC_DIGEST_HEX]);

struct kc_chain_prune {
	int64_t checkpoint_pos;      /* the pruned prefix ends here; 0 when nothing was pruned */
	char checkpoint[KC_DIGEST_HEX];
	size_t runs, rows, seals;    /* what was removed */
};
/* Removes the longest prefix of the chain sealed before `before` (RFC 3339 UTC): its runs,
 * the monitor rows last sealed in it, and its seals, keeping a checkpoint with the link of
 * the last pruned seal. Refuses when the chain does not verify (pruning must not erase the
 * evidence of tampering). One transaction. */
int kc_chain_prune(struct kc_store *st, struct kc_chain *c, const char *before, const struct kc_key *verify_key,
		   struct kc_chain_prune *out);

#endif
