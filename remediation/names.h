/* Validation of every name that ends up in a path or a Kubernetes object we generate.
 * Namespaces come from a store that holds what a cluster (or an attacker who controls
 * object names) said; before one becomes a directory in a GitOps repository it must be a
 * DNS-1123 label, so "../../etc", "a/b" or a 300-byte name can never reach the tree. */
#ifndef KC_NAMES_H
#define KC_NAMES_H

/* 0 when name is a DNS-1123 label (1..63 of [a-z0-9-], alphanumeric at both ends);
 * KC_EUNSAFE otherwise, with "<what> \"<name>\": <why>" as message. */
int kc_names_check_label(const char *what, const char *name);
/* 0 when path is a relative path inside a repository ("clusters/prod", "clusters/prod/"):
 * components of [A-Za-z0-9._-], none empty, "." or "..", no leading '/', at most 255
 * bytes; KC_EUNSAFE otherwise. */
int kc_names_check_relpath(const char *what, const char *path);
/* Kubernetes label key ("app", "app.kubernetes.io/name") and value ("" or 1..63 of
 * [A-Za-z0-9._-], alphanumeric at both ends); KC_EUNSAFE otherwise. */
int kc_names_check_label_key(const char *key);
int kc_names_check_label_value(const char *key, const char *value);

#endif
