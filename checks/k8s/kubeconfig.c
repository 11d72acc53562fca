#include "checks/k8s/kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/k8s/execcred.h"
#include "common/error.h"
#include "common/input.h"
#include "common/strbuf.h"
#include "common/yaml.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define MAX_CRED_FILE (4 * 1024 * 1024)

void kc_k8s_creds_clear(struct kc_k8s_creds *c)
{
	if (c->token)
		memset(c->token, 0, strlen(c->token));
	if (c->password)
		memset(c->password, 0, strlen(c->password));
	if (c->key_data)
		memset(c->key_data, 0, c->key_len);
	free(c->context); free(c->server); free(c->ca_file); free(c->cert_file); free(c->key_file);
	free(c->ca_data); free(c->cert_data); free(c->key_data); free(c->token); free(c->username);
	free(c->password); free(c->tls_server_name); free(c->ns);
	if (c->exec) {
		kc_exec_config_clear(c->exec);
		free(c->exec);
	}
	memset(c, 0, sizeof(*c));
}

static int read_small_file(const char *path, char **out, size_t *len)
{
	return kc_input_read(path, "file", MAX_CRED_FILE, out, len);
}

/* Token files end with a newline more often than not. */
static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || c == '-') return 62;
	if (c == '/' || c == '_') return 63;
	return -1;
}

/* Standard or URL-safe base64, whitespace ignored, padding optional. */
static int b64decode(const char *in, unsigned char **out, size_t *outlen)
{
	size_t n = strlen(in), o = 0;
	unsigned char *buf = kc_xmalloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch == '=' || ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		int v = b64val(ch);
		if (v < 0) {
			free(buf);
			return -1;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
}

static char *resolve(const char *base_dir, const char *path)
{
	if (!path || path[0] == '/' || !base_dir || !*base_dir)
		return kc_strdup(path);
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s/%s", base_dir, path);
	return kc_buf_detach(&b);
}

/* The entry of a named list (clusters, users, contexts) whose name is `name`. */
static yaml_node_t *named(yaml_document_t *d, yaml_node_t *root, const char *list, const char *name,
			  const char *inner)
{
	yaml_node_t *seq = kc_yaml_get(d, root, list);
	if (!seq || seq->type != YAML_SEQUENCE_NODE || !name)
		return NULL;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(d, *it);
		const char *n = kc_yaml_scalar(kc_yaml_get(d, e, "name"));
		if (n && strcmp(n, name) == 0)
			return kc_yaml_get(d, e, inner);
	}
	return NULL;
}

static const char *str(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	const char *s = kc_yaml_scalar(kc_yaml_get(d, map, key));
	return s && *s ? s : NULL;
}

static int data_field(const char *name, const char *what, const char *b64, unsigned char **out, size_t *len)
{
	if (!b64)
		return 0;
	if (b64decode(b64, out, len) < 0)
		return kc_error_set(KC_EINVAL, "%s: %s is not valid base64", name, what);
	return 0;
}

/* users[].user.exec (client-go api/types.go ExecConfig). */
static int parse_exec(const char *name, yaml_document_t *d, yaml_node_t *exec, const char *user_name,
		      const char *base_dir, struct kc_k8s_creds *out)
{
	const char *av = str(d, exec, "apiVersion"), *cmd = str(d, exec, "command");
	if (!av || (strcmp(av, "client.authentication.k8s.io/v1") != 0 &&
		    strcmp(av, "client.authentication.k8s.io/v1beta1") != 0))
		return kc_error_set(KC_EINVAL, "%s: user '%s': exec apiVersion '%s' is not supported (expected "
				    "client.authentication.k8s.io/v1 or v1beta1)", name, user_name, av ? av : "");
	if (!cmd || !*cmd)
		return kc_error_set(KC_EINVAL, "%s: user '%s': exec has no command", name, user_name);
	struct kc_exec_config *x = kc_xcalloc(1, sizeof(*x));
	out->exec = x;
	x->api_version = kc_strdup(av);
	x->user = kc_strdup(user_name ? user_name : "");
	/* a relative path with a directory is relative to the kubeconfig (client-go
	 * ResolveLocalPaths); a bare name is looked up in PATH when run */
	x->command = strchr(cmd, '/') ? resolve(base_dir, cmd) : kc_strdup(cmd);
	yaml_node_t *args = kc_yaml_get(d, exec, "args"), *env = kc_yaml_get(d, exec, "env");
	size_t n = 0;
	if (args && args->type == YAML_SEQUENCE_NODE) {
		x->args = kc_xcalloc((size_t)(args->data.sequence.items.top - args->data.sequence.items.start) + 1,
				     sizeof(*x->args));
		for (yaml_node_item_t *it = args->data.sequence.items.start; it < args->data.sequence.items.top; it++) {
			const char *a = kc_yaml_scalar(yaml_document_get_node(d, *it));
			if (!a)
				return kc_error_set(KC_EINVAL, "%s: user '%s': exec args must be strings", name, user_name);
			x->args[n++] = kc_strdup(a);
		}
	}
	n = 0;
	if (env && env->type == YAML_SEQUENCE_NODE) {
		x->env = kc_xcalloc((size_t)(env->data.sequence.items.top - env->data.sequence.items.start) + 1,
				    sizeof(*x->env));
		for (yaml_node_item_t *it = env->data.sequence.items.start; it < env->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(d, *it);
			const char *en = str(d, e, "name"), *ev = str(d, e, "value");
			if (!en || !*en || strchr(en, '='))
				return kc_error_set(KC_EINVAL, "%s: user '%s': exec env entries need a name", name, user_name);
			struct kc_buf b = KC_BUF_INIT;
			kc_buf_printf(&b, "%s=%s", en, ev ? ev : "");
			x->env[n++] = kc_buf_detach(&b);
		}
	}
	int flag;
	x->provide_cluster_info = kc_yaml_bool(kc_yaml_get(d, exec, "provideClusterInfo"), &flag) == 0 && flag;
	const char *mode = str(d, exec, "interactiveMode");
	x->interactive_always = mode && strcmp(mode, "Always") == 0;
	return 0;
}

int kc_kubeconfig_parse(const char *name, const char *data, size_t len, const char *context,
			const char *base_dir, struct kc_k8s_creds *out)
{
	struct kc_yaml y;
	int rc = kc_yaml_load(&y, name, data, len);
	memset(out, 0, sizeof(*out));
	if (rc < 0)
		goto cleanup;
	yaml_node_t *root = kc_yaml_root(&y, 0);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = kc_error_set(KC_EINVAL, "%s: not a kubeconfig (expected a mapping)", name);
		goto cleanup;
	}
	yaml_document_t *d = &y.docs[0];
	const char *ctx_name = context ? context : str(d, root, "current-context");
	if (!ctx_name) {
		rc = kc_error_set(KC_EINVAL, "%s: no current-context; name one with --context", name);
		goto cleanup;
	}
	yaml_node_t *ctx = named(d, root, "contexts", ctx_name, "context");
	if (!ctx) {
		rc = kc_error_set(KC_ENOTFOUND, "%s: context '%s' not found", name, ctx_name);
		goto cleanup;
	}
	out->context = kc_strdup(ctx_name);
	const char *cluster_name = str(d, ctx, "cluster"), *user_name = str(d, ctx, "user");
	out->ns = kc_strdup(str(d, ctx, "namespace"));
	yaml_node_t *cl = named(d, root, "clusters", cluster_name, "cluster");
	if (!cl) {
		rc = kc_error_set(KC_ENOTFOUND, "%s: cluster '%s' of context '%s' not found", name,
				  cluster_name ? cluster_name : "", ctx_name);
		goto cleanup;
	}
	const char *server = str(d, cl, "server");
	if (!server || (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)) {
		rc = kc_error_set(KC_EINVAL, "%s: cluster '%s' has no http(s) server URL", name, cluster_name);
		goto cleanup;
	}
	out->server = kc_strdup(server);
	for (size_t n = strlen(out->server); n > 8 && out->server[n - 1] == '/';)
		out->server[--n] = '\0';
	out->ca_file = resolve(base_dir, str(d, cl, "certificate-authority"));
	if ((rc = data_field(name, "certificate-authority-data", str(d, cl, "certificate-authority-data"),
			     &out->ca_data, &out->ca_len)) < 0)
		goto cleanup;
	const char *insecure = str(d, cl, "insecure-skip-tls-verify");
	out->insecure = insecure && strcmp(insecure, "true") == 0;
	out->tls_server_name = kc_strdup(str(d, cl, "tls-server-name"));

	yaml_node_t *user = user_name ? named(d, root, "users", user_name, "user") : NULL;
	if (user_name && !user) {
		rc = kc_error_set(KC_ENOTFOUND, "%s: user '%s' of context '%s' not found", name, user_name, ctx_name);
		goto cleanup;
	}
	out->cert_file = resolve(base_dir, str(d, user, "client-certificate"));
	out->key_file = resolve(base_dir, str(d, user, "client-key"));
	if ((rc = data_field(name, "client-certificate-data", str(d, user, "client-certificate-data"),
			     &out->cert_data, &out->cert_len)) < 0 ||
	    (rc = data_field(name, "client-key-data", str(d, user, "client-key-data"), &out->key_data, &out->key_len)) < 0)
		goto cleanup;
	out->token = kc_strdup(str(d, user, "token"));
	const char *token_file = str(d, user, "tokenFile");
	if (!out->token && token_file) {
		char *path = resolve(base_dir, token_file), *tok;
		size_t tlen;
		rc = read_small_file(path, &tok, &tlen);
		free(path);
		if (rc < 0) {
			rc = kc_error_wrap(rc, "%s: user '%s' tokenFile", name, user_name);
			goto cleanup;
		}
		chomp(tok);
		out->token = tok;
	}
	out->username = kc_strdup(str(d, user, "username"));
	out->password = kc_strdup(str(d, user, "password"));
	int has_cert = (out->cert_file || out->cert_data) && (out->key_file || out->key_data);
	yaml_node_t *exec = kc_yaml_get(d, user, "exec");
	if (!out->token && !has_cert && !out->username && exec) {
		if ((rc = parse_exec(name, d, exec, user_name, base_dir, out)) < 0)
			goto cleanup;
	} else if (!out->token && !has_cert && !out->username && kc_yaml_get(d, user, "auth-provider")) {
		/* the in-tree auth providers (gcp, azure, oidc) were removed from client-go in 1.26 */
		rc = kc_error_set(KC_EINVAL, "%s: user '%s' authenticates with an auth-provider plugin, which kubectl "
				  "itself no longer supports (removed in 1.26); use the exec plugin your provider "
				  "ships (gke-gcloud-auth-plugin, kubelogin, ...)", name, user_name);
		goto cleanup;
	}
	rc = 0;
cleanup:
	kc_yaml_clear(&y);
	if (rc < 0)
		kc_k8s_creds_clear(out);
	return rc;
}

int kc_kubeconfig_in_cluster(const char *sa_dir, struct kc_k8s_creds *out)
{
	memset(out, 0, sizeof(*out));
	const char *dir = sa_dir ? sa_dir : SA_DIR;
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	if (!host || !*host)
		return kc_error_set(KC_ENOTFOUND, "--in-cluster: KUBERNETES_SERVICE_HOST is not set (not running in a pod?)");
	struct kc_buf b = KC_BUF_INIT;
	/* an IPv6 service address needs brackets in a URL */
	kc_buf_printf(&b, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port && *port ? port : "443");
	out->server = kc_buf_detach(&b);
	out->context = kc_strdup("in-cluster");
	char *path, *data;
	size_t len;
	int rc;
	kc_buf_printf(&b, "%s/token", dir);
	path = kc_buf_detach(&b);
	rc = read_small_file(path, &data, &len);
	free(path);
	if (rc < 0) {
		kc_k8s_creds_clear(out);
		return kc_error_wrap(rc, "--in-cluster: service account token");
	}
	chomp(data);
	out->token = data;
	kc_buf_printf(&b, "%s/ca.crt", dir);
	out->ca_file = kc_buf_detach(&b);
	kc_buf_printf(&b, "%s/namespace", dir);
	path = kc_buf_detach(&b);
	if (read_small_file(path, &data, &len) == 0) {
		chomp(data);
		out->ns = data;
	}
	free(path);
	return 0;
}

int kc_kubeconfig_load(const struct kc_kubeconfig_opts *opts, struct kc_k8s_creds *out)
{
	memset(out, 0, sizeof(*out));
	if (opts->in_cluster)
		return kc_kubeconfig_in_cluster(opts->sa_dir, out);
	struct kc_buf p = KC_BUF_INIT;
	if (opts->kubeconfig) {
		kc_buf_puts(&p, opts->kubeconfig);
	} else {
		const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
		if (env && *env)
			kc_buf_add(&p, env, strcspn(env, ":"));
		else if (home && *home)
			kc_buf_printf(&p, "%s/.kube/config", home);
		else
			return kc_error_set(KC_ENOTFOUND, "no kubeconfig: give --kubeconfig FILE");
	}
	char *data;
	size_t len;
	int rc = read_small_file(p.ptr, &data, &len);
	if (rc < 0) {
		kc_buf_clear(&p);
		return kc_error_wrap(rc, "kubeconfig");
	}
	char *slash = strrchr(p.ptr, '/');
	char *dir = slash ? kc_strndup(p.ptr, (size_t)(slash - p.ptr)) : kc_strdup(".");
	if (dir[0] == '\0') {
		free(dir);
		dir = kc_strdup("/");
	}
	rc = kc_kubeconfig_parse(p.ptr, data, len, opts->context, dir, out);
	free(dir);
	free(data);
	kc_buf_clear(&p);
	return rc;
}
