/* How to reach and authenticate to an API server: a kubeconfig's context (current-context or
 * --context) or the pod's own service account (--in-cluster). Parsed into plain credentials
 * that the API client hands to libcurl. Secrets here (tokens, keys) never reach evidence,
 * warnings or error messages. */
#ifndef KC_K8S_KUBECONFIG_H
#define KC_K8S_KUBECONFIG_H

#include <stddef.h>

struct kc_exec_config;

struct kc_kubeconfig_opts {
	const char *kubeconfig;    /* file; NULL = first of $KUBECONFIG, else ~/.kube/config */
	const char *context;       /* NULL = current-context */
	int in_cluster;            /* service account credentials instead of a kubeconfig */
	const char *sa_dir;        /* NULL = /var/run/secrets/kubernetes.io/serviceaccount */
	long timeout_ms;           /* whole request; 0 = 60 s */
	long connect_timeout_ms;   /* 0 = 10 s */
	int max_retries;           /* on 429, 5xx and transport errors; 0 = 5, negative = none */
	long retry_base_ms;        /* first backoff, doubled per retry (Retry-After wins); 0 = 500 */
	long page_limit;           /* LIST page size; 0 = 500 */
};

struct kc_k8s_creds {
	char *context;             /* for messages */
	char *server;              /* "https://host:port", no trailing slash */
	char *ca_file, *cert_file, *key_file;
	unsigned char *ca_data, *cert_data, *key_data; /* decoded PEM */
	size_t ca_len, cert_len, key_len;
	char *token;               /* bearer token (from token or tokenFile) */
	char *username, *password; /* basic auth */
	char *tls_server_name;
	char *ns;                  /* context or service account namespace */
	int insecure;              /* insecure-skip-tls-verify: true */
	struct kc_exec_config *exec; /* exec credential plugin (checks/k8s/execcred.h), or NULL */
};

/* Loads credentials as opts say. Errors say which file and field, never a secret's value. */
int kc_kubeconfig_load(const struct kc_kubeconfig_opts *opts, struct kc_k8s_creds *out);
/* Parses kubeconfig text; relative paths are resolved against base_dir (may be NULL). */
int kc_kubeconfig_parse(const char *name, const char *data, size_t len, const char *context,
			const char *base_dir, struct kc_k8s_creds *out);
/* In-cluster: token, ca.crt and namespace under sa_dir, KUBERNETES_SERVICE_HOST/PORT. */
int kc_kubeconfig_in_cluster(const char *sa_dir, struct kc_k8s_creds *out);
void kc_k8s_creds_clear(struct kc_k8s_creds *c);

#endif
