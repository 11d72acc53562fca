#include "checks/k8s/arena.h"

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

#define BLOCK_SIZE (256 * 1024)

struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct kc_arena {
	struct block *head;
	size_t used;
};

struct kc_arena *kc_arena_new(void)
{
	return kc_xcalloc(1, sizeof(struct kc_arena));
}

void kc_arena_free(struct kc_arena *a)
{
	if (!a)
		return;
	for (struct block *b = a->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *kc_arena_alloc(struct kc_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	struct block *b = a->head;
	if (!b || b->cap - b->used < n) {
		/* an oversized request gets its own block, behind the current one so that the
		 * current block's free space is not abandoned */
		size_t cap = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
		struct block *nb = kc_xmalloc(sizeof(*nb) + cap);
		nb->used = 0;
		nb->cap = cap;
		if (b && cap != BLOCK_SIZE) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			a->head = nb;
		}
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *kc_arena_strndup(struct kc_arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *p = kc_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *kc_arena_strdup(struct kc_arena *a, const char *s)
{
	return s ? kc_arena_strndup(a, s, strlen(s)) : NULL;
}

size_t kc_arena_used(const struct kc_arena *a)
{
	return a->used;
}
