/* Rule state that spans events (a threshold rule's recent hits per identity), kept in the
 * store so that a burst in progress survives a restart. Self-contained: the table is created
 * on first use (CREATE TABLE IF NOT EXISTS, no schema version of its own), so that the store
 * module can adopt it as a migration without a change of contract.
 *
 *   audit_rule_state(rule, user, times, fired, PRIMARY KEY(rule, user))
 *     times: the hit times in the window, ms since the epoch, comma-separated, oldest first
 *     fired: time of the last finding (ms), -1 none
 *
 * Saves go in the caller's transaction (the audit processor's batch), so the state and the
 * events that made it are committed together. */
#ifndef KC_STORE_RULESTATE_H
#define KC_STORE_RULESTATE_H

#include <stddef.h>
#include <stdint.h>

#include "auditor/store.h"

int kc_store_rulestate_init(struct kc_store *st);
typedef void (*kc_store_rulestate_fn)(void *payload, const char *rule, const char *user,
				      const int64_t *times, size_t n, int64_t fired);
int kc_store_rulestate_load(struct kc_store *st, kc_store_rulestate_fn fn, void *payload);
int kc_store_rulestate_save(struct kc_store *st, const char *rule, const char *user,
			    const int64_t *times, size_t n, int64_t fired);

#endif
