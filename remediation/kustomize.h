/* Editing a kustomization.yaml in place, the way a person would: new entries are inserted
 * as lines into the text, at positions taken from libyaml's marks (the parser's event
 * positions), so comments, key order, indentation, quoting and everything else stay
 * byte for byte. The file is never re-emitted. After an edit the result is parsed again
 * and checked (every other key unchanged, every entry present); an edit that does not
 * verify is refused rather than written. */
#ifndef KC_KUSTOMIZE_H
#define KC_KUSTOMIZE_H

#include <stddef.h>

#include "common/strbuf.h"

/* The file names kustomize looks for in a directory, in its order. */
extern const char *const kc_kustomize_names[3];

/* Which list an entry goes to: `resources` (a path per item) or `patches` (a mapping
 * `- path: x.yaml` per item, kustomize v5's field for strategic-merge patch files). */
enum kc_kustomize_list { KC_KUSTOMIZE_RESOURCES, KC_KUSTOMIZE_PATCHES };

/* data/len: the current file (name for messages). add: nadd relative paths. Appends the
 * new file to out and sets *changed = 1 when at least one entry was missing; otherwise
 * *changed = 0 and out is untouched. "./x.yaml" and "x.yaml" are the same entry.
 * KC_EINVAL when the file is not one YAML block mapping or the list is not a list. */
int kc_kustomize_add(const char *name, const char *data, size_t len, enum kc_kustomize_list list,
		     const char *const *add, size_t nadd, struct kc_buf *out, int *changed);
/* kc_kustomize_add(..., KC_KUSTOMIZE_RESOURCES, ...) */
int kc_kustomize_add_resources(const char *name, const char *data, size_t len,
			       const char *const *add, size_t nadd, struct kc_buf *out, int *changed);

/* 1 when the parsed file lists entry (or "./"entry) in resources (patches: as a path). */
int kc_kustomize_lists(const char *data, size_t len, const char *entry);
int kc_kustomize_lists_patch(const char *data, size_t len, const char *entry);

#endif
