/* The bundled policies, parsed at build time (tools/policy_pack_gen.c) and carried in the
 * kubecomply binary in a packed form, so that an audit does not parse 70 KB of YAML with
 * libyaml on every run (a tenth of a node audit's CPU). A pack is used for a policy
 * directory only when that directory holds exactly the files the pack was made from, byte
 * for byte (names, sizes and SHA-256 digests): an edited, added or removed policy file is
 * parsed as before, so the YAML on disk always decides. Tests and tools without packs parse. */
#ifndef KC_POLICY_PACK_H
#define KC_POLICY_PACK_H

#include <stddef.h>

#include "checks/policy.h"
#include "common/strbuf.h"

struct kc_policy_pack_file {
	const char *name;             /* the file's name in its directory */
	size_t size;
	unsigned char sha256[32];
};

struct kc_policy_pack {
	const char *dir;              /* the directory's name when packed (for messages only) */
	const struct kc_policy_pack_file *files; /* in kc_policy_load_dir's order */
	size_t nfiles;
	const unsigned char *data;    /* kc_policy_pack_write's bytes */
	size_t len;
};

/* The packs the binary carries (the generated build/gen/policy_packs.c). */
extern const struct kc_policy_pack kc_policy_packs[];
extern const size_t kc_policy_packs_n;

/* Makes kc_policy_load_dir consult these packs (the CLI, at start); NULL/0: parse always. */
void kc_policy_packs_use(const struct kc_policy_pack *packs, size_t n);

/* The pack matching these files exactly, or NULL. names/data/lens: n files in load order. */
const struct kc_policy_pack *kc_policy_pack_find(char *const *names, char *const *data, const size_t *lens, size_t n);

/* Serialises a set (every field the loader fills; a check's file as its base name). */
void kc_policy_pack_write(const struct kc_policy_set *set, struct kc_buf *out);

/* Fills an empty set from a pack as kc_policy_load_dir(set, dir) would have: a check's file
 * is dir/name again, regular expressions are compiled. 0, or <0 (set left empty) when the
 * bytes are not a pack this build wrote. */
int kc_policy_pack_read(const unsigned char *data, size_t len, const char *dir, struct kc_policy_set *set);

#endif
