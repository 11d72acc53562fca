/* How a component's --config file relates to its command-line flags, as each component's
 * own code decides it:
 *   kube-proxy      the file replaces the whole flag-parsed configuration except logging
 *                   and --hostname-override (cmd/kube-proxy/app/server.go Options.Complete);
 *   kube-scheduler  the deprecated flags are "ignored if a config file is specified in
 *                   --config" (cmd/kube-scheduler/app/options/deprecated.go AddFlags,
 *                   options.go ApplyTo); the other flags still apply;
 *   kubelet         checks/kubelet.h; etcd: checks/nodequery.c (its --config-file governs).
 * kube-controller-manager and kube-apiserver take no such file: their flags decide. */
#ifndef KC_COMPCONFIG_H
#define KC_COMPCONFIG_H

struct kc_config_key {
	const char *flag;     /* without dashes */
	const char *key;      /* dotted key in the config file */
	const char *defval;   /* the file format's default when the key is unset; NULL none */
};

/* With --config in use, does component ignore flag? *out (may be NULL) gets the config key
 * that replaces it, when one is known. */
int kc_config_ignores_flag(const char *component, const char *flag, const struct kc_config_key **out);

#endif
