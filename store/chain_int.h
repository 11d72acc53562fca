/* Semi-private parts of the chain shared by its files (chain.c seals, chain_verify.c
 * verifies, chain_prune.c prunes) and store.c. Not for use outside store/. */
#ifndef KC_CHAIN_INT_H
#define KC_CHAIN_INT_H

#include "store/chain.h"
#include "store/db.h"

struct kc_chain_table_def {
	const char *name, *cols;
	int ncols;
};
extern const struct kc_chain_table_def kc_chain__tables[KC_CHAIN_NTABLES];

/* The store's backend connection (store.c). */
struct kc_db *kc_store__backend(struct kc_store *st);

/* One statement for one call: prepare, and finalize with kc_chain__done. */
int kc_chain__prepare(struct kc_db *db, const char *sql, struct kc_db_stmt **out);
void kc_chain__done(struct kc_db *db, struct kc_db_stmt *s);
/* The first column of every row of sql (one int64 parameter when param is not NULL);
 * *ids is malloc'ed, caller frees. */
int kc_chain__ids(struct kc_db *db, const char *sql, const int64_t *param, int64_t **ids, size_t *n);
void kc_chain__encode_cols(struct kc_canon *c, struct kc_db *db, struct kc_db_stmt *s, int from, int to);
/* *found 0 (and no digest) when there is no run run_id. */
int kc_chain__run_content(struct kc_store *st, int64_t run_id, unsigned char out[KC_DIGEST_LEN], int *found);
void kc_chain__link_digest(int64_t pos, const char *kind, int64_t run_id, const char *sealed, const char *content,
			   const char *prev, char out[KC_DIGEST_HEX]);
void kc_chain__head_message(struct kc_buf *m, const char *link);
void kc_chain__checkpoint_message(struct kc_buf *m, int64_t pos, const char *link);
int kc_chain__row_cmp(const void *a, const void *b);
const struct kc_key *kc_chain__key(const struct kc_chain *c);
void kc_chain__set_drop(struct kc_chain *c, const struct kc_chain_row *rows, size_t n);

#endif
