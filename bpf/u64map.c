#include "bpf/u64map.h"

#include <stdlib.h>

#include "common/strbuf.h"

static size_t slot(const struct kc_u64map *m, uint64_t key)
{
	/* splitmix64 finaliser: pids and cgroup ids are dense, spread them */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return (size_t)key & (m->cap - 1);
}

void *kc_u64map_get(const struct kc_u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (!m->vals[i])
			return NULL;
		if (m->keys[i] == key)
			return m->vals[i];
	}
}

static void grow(struct kc_u64map *m)
{
	struct kc_u64map n = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };
	n.keys = kc_xcalloc(n.cap, sizeof(*n.keys));
	n.vals = kc_xcalloc(n.cap, sizeof(*n.vals));
	for (size_t i = 0; i < m->cap; i++)
		if (m->vals[i])
			kc_u64map_put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
}

void *kc_u64map_put(struct kc_u64map *m, uint64_t key, void *val)
{
	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	for (size_t i = slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (!m->vals[i]) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->len++;
			return NULL;
		}
		if (m->keys[i] == key) {
			void *old = m->vals[i];
			m->vals[i] = val;
			return old;
		}
	}
}

void *kc_u64map_del(struct kc_u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	size_t i = slot(m, key);
	while (m->vals[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	void *old = m->vals[i];
	if (!old)
		return NULL;
	m->vals[i] = NULL;
	m->len--;
	/* backward-shift deletion: re-place the rest of the cluster, no tombstones */
	for (size_t j = (i + 1) & (m->cap - 1); m->vals[j]; j = (j + 1) & (m->cap - 1)) {
		uint64_t k = m->keys[j];
		void *v = m->vals[j];
		m->vals[j] = NULL;
		m->len--;
		kc_u64map_put(m, k, v);
	}
	return old;
}

void kc_u64map_clear(struct kc_u64map *m, void (*fn)(void *val))
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->vals[i] && fn)
			fn(m->vals[i]);
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->len = 0;
}
