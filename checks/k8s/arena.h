/* A bump allocator for the object model: a cluster of 100,000 pods is millions of small strings
 * and arrays that live exactly as long as the cluster, so they are carved from large blocks
 * and released at once instead of one free() each. */
#ifndef KC_K8S_ARENA_H
#define KC_K8S_ARENA_H

#include <stddef.h>

struct kc_arena;

struct kc_arena *kc_arena_new(void);
void kc_arena_free(struct kc_arena *a);
/* Zeroed, 16-byte aligned memory owned by the arena; aborts on OOM like kc_xmalloc. */
void *kc_arena_alloc(struct kc_arena *a, size_t n);
char *kc_arena_strdup(struct kc_arena *a, const char *s);  /* NULL-safe */
char *kc_arena_strndup(struct kc_arena *a, const char *s, size_t n);
/* Bytes handed out and bytes reserved (for the bench's memory figures). */
size_t kc_arena_used(const struct kc_arena *a);

#endif
