/* Exec credential plugins (client.authentication.k8s.io v1 and v1beta1), as kubectl runs them
 * (k8s.io/client-go/plugin/pkg/client/auth/exec/exec.go): the kubeconfig's command and args
 * executed directly (no shell), the current environment plus the kubeconfig's env entries
 * plus KUBERNETES_EXEC_INFO (an ExecCredential naming the apiVersion, interactive: false,
 * and the cluster when provideClusterInfo is set), stdin closed, stderr passed through, and
 * stdout parsed as an ExecCredential of the same apiVersion. EKS, GKE and AKS kubeconfigs
 * authenticate this way. This is authentication, not a check: the no-shell rule for checks
 * stands, and the plugin is never run through a shell. The credential is kept in memory
 * until its expirationTimestamp; it is never written anywhere. */
#ifndef KC_K8S_EXECCRED_H
#define KC_K8S_EXECCRED_H

#include <stddef.h>
#include <time.h>

struct kc_exec_config {
	char *api_version;          /* client.authentication.k8s.io/v1 or /v1beta1 */
	char *command;              /* resolved against the kubeconfig's directory when relative with a '/' */
	char **args;                /* NULL-terminated */
	char **env;                 /* "NAME=value", NULL-terminated */
	int provide_cluster_info;
	int interactive_always;     /* interactiveMode: Always (refused: nothing to interact with) */
	char *user;                 /* the kubeconfig user, for messages */
};

struct kc_exec_credential {
	char *token;                                /* bearer token, or NULL */
	unsigned char *cert_data, *key_data;        /* PEM client certificate and key, or NULL */
	size_t cert_len, key_len;
	time_t expires;                             /* 0 = no expiry given */
};

/* Cluster information for KUBERNETES_EXEC_INFO (provideClusterInfo). */
struct kc_exec_cluster {
	const char *server, *tls_server_name;
	const unsigned char *ca_data;
	size_t ca_len;
	int insecure;
};

/* Runs the plugin and parses its ExecCredential. Errors name the plugin and what was wrong
 * with its output, never a credential's value. */
int kc_execcred_run(const struct kc_exec_config *x, const struct kc_exec_cluster *cl, struct kc_exec_credential *out);
void kc_execcred_clear(struct kc_exec_credential *c);
void kc_exec_config_clear(struct kc_exec_config *x);

#endif
