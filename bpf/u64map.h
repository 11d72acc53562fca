/* A small open-addressing hash map from uint64_t keys to pointers, for the monitor's caches
 * (cgroup id -> attribution, pid -> process). Values are borrowed: the map never frees them. */
#ifndef KC_BPF_U64MAP_H
#define KC_BPF_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct kc_u64map {
	uint64_t *keys;
	void **vals;         /* NULL = empty slot */
	size_t cap, len;     /* cap is 0 or a power of two */
};

#define KC_U64MAP_INIT { NULL, NULL, 0, 0 }

void *kc_u64map_get(const struct kc_u64map *m, uint64_t key);
/* Inserts or replaces; returns the previous value (for the caller to free) or NULL.
 * val must not be NULL. */
void *kc_u64map_put(struct kc_u64map *m, uint64_t key, void *val);
/* Removes key; returns its value or NULL. */
void *kc_u64map_del(struct kc_u64map *m, uint64_t key);
/* Calls fn on every value (to free them), then empties the map. */
void kc_u64map_clear(struct kc_u64map *m, void (*fn)(void *val));

#endif
