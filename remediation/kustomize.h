/* Editing a kustomization.yaml: add entries to `resources`, keep everything else.
 * The file is parsed with the project's YAML reader and re-emitted node by node with the
 * styles it had; libyaml does not keep comments, so a file is rewritten only when an
 * entry is really missing and left byte-for-byte alone otherwise. */
#ifndef KC_KUSTOMIZE_H
#define KC_KUSTOMIZE_H

#include <stddef.h>

#include "common/strbuf.h"

/* The file names kustomize looks for in a directory, in its order. */
extern const char *const kc_kustomize_names[3];

/* data/len: the current file (name for messages). add: nadd relative paths. Appends the
 * new file to out and sets *changed = 1 when at least one entry was missing; otherwise
 * *changed = 0 and out is untouched. "./x.yaml" and "x.yaml" are the same entry.
 * KC_EINVAL when the file is not one YAML mapping or `resources` is not a list. */
int kc_kustomize_add_resources(const char *name, const char *data, size_t len,
			       const char *const *add, size_t nadd, struct kc_buf *out, int *changed);

/* 1 when the parsed file lists entry (or "./"entry) in resources. */
int kc_kustomize_lists(const char *data, size_t len, const char *entry);

#endif
