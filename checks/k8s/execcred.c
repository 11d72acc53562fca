#include "checks/k8s/execcred.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"

#define MAX_OUTPUT (1024 * 1024)
#define PLUGIN_TIMEOUT_MS 60000

extern char **environ;

static void b64encode(struct kc_buf *b, const unsigned char *in, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
		char q[4] = { tab[v >> 18 & 63], tab[v >> 12 & 63], i + 1 < n ? tab[v >> 6 & 63] : '=', i + 2 < n ? tab[v & 63] : '=' };
		kc_buf_add(b, q, 4);
	}
}

/* KUBERNETES_EXEC_INFO: the ExecCredential the plugin is given (client-go exec.go
 * newExecCredential / ExecCredentialSpec). */
static char *exec_info(const struct kc_exec_config *x, const struct kc_exec_cluster *cl)
{
	struct json_object *o = json_object_new_object(), *spec = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string("ExecCredential"));
	json_object_object_add(o, "apiVersion", json_object_new_string(x->api_version));
	json_object_object_add(spec, "interactive", json_object_new_boolean(0));
	if (x->provide_cluster_info && cl) {
		struct json_object *c = json_object_new_object();
		json_object_object_add(c, "server", json_object_new_string(cl->server ? cl->server : ""));
		if (cl->tls_server_name)
			json_object_object_add(c, "tls-server-name", json_object_new_string(cl->tls_server_name));
		if (cl->insecure)
			json_object_object_add(c, "insecure-skip-tls-verify", json_object_new_boolean(1));
		if (cl->ca_data) {
			struct kc_buf b = KC_BUF_INIT;
			b64encode(&b, cl->ca_data, cl->ca_len);
			json_object_object_add(c, "certificate-authority-data", json_object_new_string_len(b.ptr, (int)b.len));
			kc_buf_clear(&b);
		}
		json_object_object_add(spec, "cluster", c);
	}
	json_object_object_add(o, "spec", spec);
	char *s = kc_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* The environment: ours, the kubeconfig's entries (which win, as in client-go), and
 * KUBERNETES_EXEC_INFO. Returned array and strings are the caller's. */
static char **build_env(const struct kc_exec_config *x, const char *info)
{
	size_t n = 0, cap = 0;
	char **env = NULL;
	for (char **e = environ; e && *e; e++) {
		size_t nl = strcspn(*e, "=");
		int overridden = strncmp(*e, "KUBERNETES_EXEC_INFO=", 21) == 0;
		for (char **o = x->env; o && *o && !overridden; o++)
			overridden = strncmp(*o, *e, nl + 1) == 0;
		if (overridden)
			continue;
		env = kc_array_grow(env, &cap, n + 2, sizeof(*env));
		env[n++] = kc_strdup(*e);
	}
	for (char **o = x->env; o && *o; o++) {
		env = kc_array_grow(env, &cap, n + 2, sizeof(*env));
		env[n++] = kc_strdup(*o);
	}
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "KUBERNETES_EXEC_INFO=%s", info);
	env = kc_array_grow(env, &cap, n + 2, sizeof(*env));
	env[n++] = kc_buf_detach(&b);
	env[n] = NULL;
	return env;
}

static void free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* RFC 3339 as Kubernetes writes metav1.Time: "2026-12-04T20:30:00Z" (offsets accepted). */
static int parse_time(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	long off = 0;
	if (*end == '+' || *end == '-') {
		int hh, mm;
		if (sscanf(end + 1, "%2d:%2d", &hh, &mm) != 2)
			return -1;
		off = (hh * 3600L + mm * 60L) * (*end == '-' ? -1 : 1);
	} else if (*end != 'Z' && *end != 'z') {
		return -1;
	}
	*out = timegm(&tm) - off;
	return 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

static int parse_output(const struct kc_exec_config *x, const char *text, struct kc_exec_credential *out)
{
	const char *who = x->command;
	struct json_object *o = json_tokener_parse(text), *status = NULL;
	int rc = 0;
	if (!o || !json_object_is_type(o, json_type_object)) {
		rc = kc_error_set(KC_EINVAL, "exec plugin %s: its output is not a JSON ExecCredential", who);
		goto out;
	}
	const char *kind = jstr(o, "kind"), *av = jstr(o, "apiVersion");
	if (!kind || strcmp(kind, "ExecCredential") != 0) {
		rc = kc_error_set(KC_EINVAL, "exec plugin %s: output kind is '%s', expected ExecCredential", who,
				  kind ? kind : "");
		goto out;
	}
	/* client-go refuses a credential of another version than the one asked for */
	if (!av || strcmp(av, x->api_version) != 0) {
		rc = kc_error_set(KC_EINVAL, "exec plugin %s: output apiVersion '%s' differs from the kubeconfig's '%s'",
				  who, av ? av : "", x->api_version);
		goto out;
	}
	if (!json_object_object_get_ex(o, "status", &status) || !json_object_is_type(status, json_type_object)) {
		rc = kc_error_set(KC_EINVAL, "exec plugin %s: output has no status", who);
		goto out;
	}
	const char *token = jstr(status, "token"), *cert = jstr(status, "clientCertificateData"),
		   *key = jstr(status, "clientKeyData"), *exp = jstr(status, "expirationTimestamp");
	if ((cert == NULL) != (key == NULL)) {
		rc = kc_error_set(KC_EINVAL, "exec plugin %s: status has only one of clientCertificateData and clientKeyData", who);
		goto out;
	}
	if (!token && !cert) {
		rc = kc_error_set(KC_EINVAL, "exec plugin %s: status has neither a token nor a client certificate", who);
		goto out;
	}
	if (exp && parse_time(exp, &out->expires) < 0) {
		rc = kc_error_set(KC_EINVAL, "exec plugin %s: expirationTimestamp '%s' is not RFC 3339", who, exp);
		goto out;
	}
	out->token = token ? kc_strdup(token) : NULL;
	if (cert) {
		out->cert_len = strlen(cert);
		out->cert_data = (unsigned char *)kc_strdup(cert);
		out->key_len = strlen(key);
		out->key_data = (unsigned char *)kc_strdup(key);
	}
out:
	json_object_put(o);
	return rc;
}

int kc_execcred_run(const struct kc_exec_config *x, const struct kc_exec_cluster *cl, struct kc_exec_credential *out)
{
	memset(out, 0, sizeof(*out));
	if (x->interactive_always)
		return kc_error_set(KC_EINVAL, "exec plugin %s of user '%s' needs interactiveMode Always; kubecomply runs "
				    "unattended: give it a plugin that works without a terminal", x->command, x->user);
	char *info = exec_info(x, cl);
	char **env = build_env(x, info);
	free(info);
	size_t nargs = 0;
	while (x->args && x->args[nargs])
		nargs++;
	char **argv = kc_xcalloc(nargs + 2, sizeof(*argv));
	argv[0] = x->command;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = x->args[i];
	int fds[2] = { -1, -1 }, rc = 0;
	struct kc_buf text = KC_BUF_INIT;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		rc = kc_error_set_errno(errno, "exec plugin %s: pipe", x->command);
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		rc = kc_error_set_errno(errno, "exec plugin %s: fork", x->command);
		goto out;
	}
	if (pid == 0) {
		/* executed directly, as client-go's exec.Command does: no shell reads the arguments */
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(fds[1], 1) < 0)
			_exit(126);
		execvpe(x->command, argv, env);
		_exit(127);
	}
	close(fds[1]);
	fds[1] = -1;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int timed_out = 0, too_big = 0;
	for (;;) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = PLUGIN_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd p = { fds[0], POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			timed_out = 1;
			break;
		}
		char buf[4096];
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (text.len + (size_t)n > MAX_OUTPUT) {
			too_big = 1;
			break;
		}
		kc_buf_add(&text, buf, (size_t)n);
	}
	if (timed_out || too_big)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		rc = kc_error_set(KC_EIO, "exec plugin %s of user '%s' did not finish within %d s", x->command, x->user,
				  PLUGIN_TIMEOUT_MS / 1000);
	else if (too_big)
		rc = kc_error_set(KC_EINVAL, "exec plugin %s: output larger than %d bytes", x->command, MAX_OUTPUT);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		rc = kc_error_set(KC_ENOTFOUND, "exec plugin %s of user '%s' could not be executed (not found in PATH?)",
				  x->command, x->user);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = kc_error_set(KC_EGENERIC, "exec plugin %s of user '%s' failed (exit %d)", x->command, x->user,
				  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else
		rc = parse_output(x, text.ptr ? text.ptr : "", out);
out:
	if (text.ptr)
		memset(text.ptr, 0, text.len);
	kc_buf_clear(&text);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	free(argv);
	free_strv(env);
	return rc;
}

void kc_execcred_clear(struct kc_exec_credential *c)
{
	if (c->token)
		memset(c->token, 0, strlen(c->token));
	if (c->key_data)
		memset(c->key_data, 0, c->key_len);
	free(c->token);
	free(c->cert_data);
	free(c->key_data);
	memset(c, 0, sizeof(*c));
}

void kc_exec_config_clear(struct kc_exec_config *x)
{
	free(x->api_version);
	free(x->command);
	free(x->user);
	free_strv(x->args);
	free_strv(x->env);
	memset(x, 0, sizeof(*x));
}
