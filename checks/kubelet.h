/* The kubelet's effective settings, resolved the way the kubelet resolves them:
 *   1. command-line flags (of the running process, else of its systemd unit with drop-ins
 *      and EnvironmentFiles, see checks/systemd.h);
 *   2. the drop-in directory named by --config-dir, its *.conf files merged in name order
 *      (a later file wins);
 *   3. the KubeletConfiguration file named by --config;
 *   4. the built-in default, which differs with and without a config file: a config file's
 *      unset fields take the file format's defaults (anonymous auth off, authorization
 *      Webhook, read-only port 0), a kubelet started without one takes the flags' defaults
 *      (anonymous auth on, AlwaysAllow, 10255).
 * Each lookup can write one evidence row per layer consulted and a note naming the winner. */
#ifndef KC_KUBELET_H
#define KC_KUBELET_H

#include "checks/node.h"
#include "store/result.h"

struct kc_kubelet;

/* One resolved setting. Strings are owned by the node's kubelet state (valid until
 * kc_node_clear), except value when owned is set. */
struct kc_kubelet_value {
	const char *value;   /* NULL when no layer sets it and no default is known */
	const char *layer;   /* "process", "systemd", "static-pod", "config-dir", "config-file", "default", "none" */
	const char *source;  /* file (or /proc/<pid>/cmdline) of the deciding layer; NULL for defaults */
	long line;
	char *owned;         /* storage behind value when it was built (lists); freed by kc_kubelet_value_clear */
};

/* Resolves flag (without dashes, may be NULL) / config_key (dotted, may be NULL). When
 * use_default is set and nothing is configured, the layer-dependent built-in default applies.
 * r (may be NULL) receives the evidence. Returns 0, or KC_EINVAL / -errno when a config
 * layer exists but cannot be read or parsed (kc_error_last() says which). */
int kc_kubelet_resolve(struct kc_node *node, const char *flag, const char *config_key, int use_default,
		       struct kc_kubelet_value *out, struct kc_result *r);
/* The state of one feature gate: --feature-gates items beat featureGates in the config
 * layers, which beat default_value (may be NULL). */
int kc_kubelet_feature_gate(struct kc_node *node, const char *gate, const char *default_value,
			    struct kc_kubelet_value *out, struct kc_result *r);
/* The config key the kubelet reads for a flag ("client-ca-file" ->
 * "authentication.x509.clientCAFile"); NULL when the flag has no config equivalent. */
const char *kc_kubelet_config_key(const char *flag);
/* Path of the config file in effect (--config, else kubeadm's default when the kubelet was
 * not found at all), NULL when the kubelet runs without one. */
const char *kc_kubelet_config_path(struct kc_node *node);
void kc_kubelet_value_clear(struct kc_kubelet_value *v);
void kc_kubelet_free(struct kc_kubelet *k);

#endif
