/* Where the policies (benchmarks and runtime rules) are: $KUBECOMPLY_POLICIES, else beside
 * the binary (build/kubecomply -> policies/, bin/ -> share/kubecomply/policies), else
 * ./policies, else the install prefix. Borrowed string. */
#ifndef KC_POLICY_ROOT_H
#define KC_POLICY_ROOT_H

const char *kc_policy_root(void);

#endif
