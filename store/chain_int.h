/* Semi-private parts of the chain shared by its files (chain.c seals, chain_verify.c
 * verifies, chain_prune.c prunes). Not for use outside store/. */
#ifndef KC_CHAIN_INT_H
#define KC_CHAIN_INT_H

#include <sqlite3.h>

#include "store/chain.h"

#define KC_CHAIN_NTABLES 5

struct kc_chain_table {
	const char *name, *cols;
};
extern const struct kc_chain_table kc_chain__tables[KC_CHAIN_NTABLES];

int kc_chain__db_fail(struct kc_store *st, const char *what);
void kc_chain__encode_cols(struct kc_canon *c, sqlite3_stmt *s, int from, int to);
/* *found 0 (and no digest) when there is no run run_id. */
int kc_chain__run_content(struct kc_store *st, int64_t run_id, unsigned char out[KC_DIGEST_LEN], int *found);
void kc_chain__link_digest(int64_t pos, const char *kind, int64_t run_id, const char *sealed, const char *content,
			   const char *prev, char out[KC_DIGEST_HEX]);
void kc_chain__head_message(struct kc_buf *m, const char *link);
void kc_chain__checkpoint_message(struct kc_buf *m, int64_t pos, const char *link);
int kc_chain__head(struct kc_store *st, int64_t *pos, char link[KC_DIGEST_HEX]);
int kc_chain__row_cmp(const void *a, const void *b);
int kc_chain__row_digest(struct kc_store *st, struct kc_chain *c, uint8_t table, int64_t id,
			 unsigned char out[KC_DIGEST_LEN], int *found);
const struct kc_key *kc_chain__key(const struct kc_chain *c);
void kc_chain__set_drop(struct kc_chain *c, const struct kc_chain_row *rows, size_t n);

#endif
