#include "checks/compconfig.h"

#include <stddef.h>
#include <string.h>

/* KubeSchedulerConfiguration v1 defaults (pkg/scheduler/apis/config/v1/defaults.go
 * SetDefaults_KubeSchedulerConfiguration): profiling and contention profiling on. */
static const struct kc_config_key scheduler_keys[] = {
	{ "profiling", "enableProfiling", "true" },
	{ "contention-profiling", "enableContentionProfiling", "true" },
	{ "kubeconfig", "clientConnection.kubeconfig", NULL },
	{ "kube-api-content-type", "clientConnection.contentType", NULL },
	{ "kube-api-qps", "clientConnection.qps", NULL },
	{ "kube-api-burst", "clientConnection.burst", NULL },
	{ "lock-object-namespace", "leaderElection.resourceNamespace", NULL },
	{ "lock-object-name", "leaderElection.resourceName", NULL },
	{ NULL, NULL, NULL },
};

/* KubeProxyConfiguration v1alpha1 (pkg/proxy/apis/config/v1alpha1/defaults.go): metrics on
 * 127.0.0.1:10249, healthz on 0.0.0.0:10256. */
static const struct kc_config_key proxy_keys[] = {
	{ "metrics-bind-address", "metricsBindAddress", "127.0.0.1:10249" },
	{ "healthz-bind-address", "healthzBindAddress", "0.0.0.0:10256" },
	{ "kubeconfig", "clientConnection.kubeconfig", NULL },
	{ "bind-address", "bindAddress", "0.0.0.0" },
	{ "proxy-mode", "mode", NULL },
	{ "cluster-cidr", "clusterCIDR", NULL },
	{ "feature-gates", "featureGates", NULL },
	{ NULL, NULL, NULL },
};

/* Flags kube-proxy keeps over its file: logging (copyLogsFromFlags) and the node name
 * (processHostnameOverrideFlag). */
static const char *const proxy_kept[] = { "v", "vmodule", "log-flush-frequency", "hostname-override", "config",
					  "cleanup", "write-config-to", NULL };

int kc_config_ignores_flag(const char *component, const char *flag, const struct kc_config_key **out)
{
	const struct kc_config_key *table = NULL;
	int all = 0;
	if (out)
		*out = NULL;
	if (strcmp(component, "kube-scheduler") == 0) {
		table = scheduler_keys;
	} else if (strcmp(component, "kube-proxy") == 0) {
		table = proxy_keys;
		all = 1;
		for (const char *const *k = proxy_kept; *k; k++)
			if (strcmp(flag, *k) == 0)
				return 0;
	} else {
		return 0;
	}
	for (const struct kc_config_key *k = table; k->flag; k++) {
		if (strcmp(k->flag, flag) == 0) {
			if (out)
				*out = k;
			return 1;
		}
	}
	return all;
}
