/* Derived node facts for `query:` tests, decided from the node's own files without a shell.
 * Each query yields a value that the test's operator judges, plus evidence:
 *   apiserver.admission_plugins        effective enabled plugins: the release's defaults, plus
 *                                      --enable-admission-plugins, minus --disable-admission-plugins
 *                                      (the legacy --admission-control replaces the defaults)
 *   apiserver.encryption_providers     first (writing) provider of every resource entry covering
 *                                      secrets, in the file named by --encryption-provider-config
 *   apiserver.audit_policy_rules       number of rules of the --audit-policy-file Policy
 *   apiserver.audit_level.<resource>   level the audit policy gives reads of a core resource
 *                                      (secrets, configmaps, pods/exec …) by an ordinary user
 *   etcd.option.<flag>                 etcd flag, else ETCD_<FLAG> in its environment, else the key
 *                                      in its --config-file
 *   etcd.ca_distinct                   "true" when etcd's trusted CA differs from the cluster's
 *                                      client CA (by content, else by path)
 *   kubelet.feature_gate.<Gate>        the gate from --feature-gates, else featureGates in the
 *                                      config layers, else the test's default
 *   kubelet.unit.<Setting>             a [Service] setting of kubelet.service (IPAddressDeny)
 *   node.distribution                  kubeadm, k3s, rke2, systemd or unknown */
#ifndef KC_NODEQUERY_H
#define KC_NODEQUERY_H

#include "checks/node.h"
#include "checks/policy.h"
#include "store/result.h"

struct kc_nodequery_out {
	char *value;          /* NULL when unset */
	char *what;           /* subject for expected/actual ("admission plugins of kube-apiserver") */
	int from_default;
	int undecided;        /* set with status/reason when the fact cannot be determined */
	enum kc_status status;
	char *reason;
};

/* Returns 1 when name is a node query (out filled, evidence appended to r), 0 otherwise. */
int kc_nodequery_run(struct kc_node *node, const struct kc_test *t, struct kc_result *r, struct kc_nodequery_out *out);
void kc_nodequery_out_clear(struct kc_nodequery_out *out);

#endif
