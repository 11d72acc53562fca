/* k3s: the components one `k3s server` / `k3s agent` process runs inside itself, given the
 * command lines k3s would pass them.
 *
 * k3s's own flags come from its process (/proc/<pid>/cmdline) or, without one, from the
 * ExecStart of k3s.service / k3s-agent.service, preceded by the merged config file
 * (/etc/rancher/k3s/config.yaml, then config.yaml.d/ (*.yaml, *.yml) in lexical order, `key+:` appending:
 * k3s pkg/configfilearg/parser.go readConfigFile, Parser.Parse). Each embedded component's
 * command line is k3s's built-in arguments for it (pkg/daemons/control/server.go apiServer,
 * controllerManager, scheduler; pkg/daemons/agent kubelet and kube-proxy args) overridden by
 * the --kube-*-arg pass-through values as k3s's GetArgs merges them (pkg/daemons/config:
 * a passed key replaces the default, `key+=v` appends to it, `key-=v` prepends). The result
 * is set as the component's flags (source KC_SRC_K3S), with arg_origin naming, per
 * argument, the k3s default, config file:line or command line that produced it. */
#ifndef KC_K3S_H
#define KC_K3S_H

struct kc_node;

/* Fills the components of a k3s node that no process, static pod or unit provided. A
 * config file that does not parse leaves each would-be component with flags_error set
 * (file:line and the parser's message). No k3s process or unit: nothing is filled. */
void kc_k3s_load(struct kc_node *node);

/* The default data directory (k3s pkg/cli/cmds/server.go, --data-dir, as root). */
#define KC_K3S_DATA_DIR "/var/lib/rancher/k3s"
#define KC_K3S_CONFIG "/etc/rancher/k3s/config.yaml"

#endif
