/* Subcommands of the one binary. Each parses its own long options (getopt_long), prints
 * its own --help, and returns the process exit code: 0 ran and the gate held, 1 the gate
 * tripped, 2 usage, input or environment error (one line on stderr says why). */
#ifndef KC_CLI_H
#define KC_CLI_H

enum { KC_EXIT_OK = 0, KC_EXIT_GATE = 1, KC_EXIT_ERROR = 2 };

int kc_cmd_audit(int argc, char **argv);
int kc_cmd_watch(int argc, char **argv);
int kc_cmd_report(int argc, char **argv);
int kc_cmd_remediate(int argc, char **argv);
int kc_cmd_checks(int argc, char **argv);
int kc_cmd_version(int argc, char **argv);
int kc_cmd_verify(int argc, char **argv);
int kc_cmd_prune(int argc, char **argv);

/* Prints "kubecomply <cmd>: <message>" to stderr and returns KC_EXIT_ERROR. */
int kc_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Applies --log-format (name "log-format") or --log-level; KC_EXIT_ERROR after printing
 * the reason when value is not understood, else 0. */
int kc_cli_log_option(const char *cmd, const char *name, const char *value);
/* Default database path: /var/lib/kubecomply/kubecomply.db as root, ./kubecomply.db otherwise. */
const char *kc_cli_default_db(void);
/* The directory holding policies/: $KUBECOMPLY_POLICIES, ./policies, <prefix>/share/kubecomply/policies. */
const char *kc_cli_policy_root(void);

#endif
