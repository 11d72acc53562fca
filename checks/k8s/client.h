/* A request-at-a-time API client for writers (PolicyReports applied with
 * `--policy-report-apply`): the same credentials, TLS settings and retries (429, 5xx, transport)
 * as the read-only LIST path in checks/k8s/api.c, with any method and a body. Section 5
 * itself stays read-only: only reports/ writes. */
#ifndef KC_K8S_CLIENT_H
#define KC_K8S_CLIENT_H

#include <stddef.h>

#include "checks/k8s/kubeconfig.h"
#include "common/strbuf.h"

struct kc_k8s_client;

/* Loads credentials as opts say and opens a client; *out is freed with kc_k8s_client_free. */
int kc_k8s_client_open(const struct kc_kubeconfig_opts *opts, struct kc_k8s_client **out);
void kc_k8s_client_free(struct kc_k8s_client *cl);
/* The server URL ("https://host:port"); borrowed. */
const char *kc_k8s_client_server(const struct kc_k8s_client *cl);
/* method ("GET", "PATCH", "DELETE", ...) on path (absolute, query included); body and
 * content_type may be NULL. Returns 0 with the HTTP status and response body in *status and
 * out (reset first), or a negative code when no response came. */
int kc_k8s_client_request(struct kc_k8s_client *cl, const char *method, const char *path, const char *body,
			  size_t len, const char *content_type, long *status, struct kc_buf *out);

#endif
