/* A cluster's objects, read from manifests or from the API server, for the section-5 checks.
 *
 *   struct kc_cluster *c = kc_cluster_new();
 *   kc_cluster_load_manifests(c, "deploy/");            // or kc_cluster_load_api(c, &opts)
 *   for (i = 0; i < kc_cluster_warning_count(c); i++) puts(kc_cluster_warning(c, i));
 *   n = kc_cluster_providers(c, providers, 8);           // checks/section5/providers.h
 *   ... kc_engine_run(..., providers, n) ...
 *   kc_cluster_free(c);
 *
 * Loading several sources adds to the same cluster. Bad documents do not fail a load: they are
 * kept as warnings ("file:line: what is wrong") and the rest is audited. */
#ifndef KC_K8S_CLUSTER_H
#define KC_K8S_CLUSTER_H

#include <stddef.h>

struct kc_cluster;
struct kc_kubeconfig_opts;  /* checks/k8s/kubeconfig.h */
struct kc_exceptions;       /* checks/k8s/exceptions.h */

struct kc_cluster *kc_cluster_new(void);
void kc_cluster_free(struct kc_cluster *c);

/* path: a file, a directory (walked recursively for *.yaml, *.yml, *.json, hidden entries and
 * symlinked directories skipped), or "-" for stdin. Returns 0, or a negative code when path
 * itself cannot be read; problems inside files become warnings. */
int kc_cluster_load_manifests(struct kc_cluster *c, const char *path);
/* The same from memory; name is used as the source in evidence and warnings. */
int kc_cluster_load_buffer(struct kc_cluster *c, const char *name, const char *data, size_t len);

/* Lists every resource section 5 needs from the API server (read-only: get/list only).
 * Returns a negative code when the server cannot be reached or rejects the credentials (401);
 * a resource the credentials may not list (403) becomes a warning naming the permission, and
 * the checks that need it end in ERROR with that message. */
int kc_cluster_load_api(struct kc_cluster *c, const struct kc_kubeconfig_opts *opts);

size_t kc_cluster_warning_count(const struct kc_cluster *c);
const char *kc_cluster_warning(const struct kc_cluster *c, size_t i);
size_t kc_cluster_object_count(const struct kc_cluster *c);

/* Namespaces that 5.2.1 and 5.3.2 do not require to be covered (comma list, replaces the
 * default "kube-system,kube-public,kube-node-lease"). */
void kc_cluster_set_exempt_namespaces(struct kc_cluster *c, const char *comma_list);
/* Namespace of manifests that name none (default "default"), as kubectl apply would use. */
void kc_cluster_set_default_namespace(struct kc_cluster *c, const char *ns);
/* Judge the platform's own RBAC objects (labelled kubernetes.io/bootstrapping=rbac-defaults)
 * too; off by default because every cluster has them and they are not the user's to change. */
void kc_cluster_set_include_defaults(struct kc_cluster *c, int on);
/* Exceptions applied by the providers to every FAIL (borrowed; may be NULL). */
void kc_cluster_set_exceptions(struct kc_cluster *c, const struct kc_exceptions *ex);

#endif
