#include "checks/podspec.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "common/yaml.h"

static void push(char ***v, size_t *n, size_t *cap, char *s)
{
	*v = kc_array_grow(*v, cap, *n + 2, sizeof(**v));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static void add_seq(yaml_document_t *d, yaml_node_t *seq, struct kc_podspec *ps, size_t *cap, size_t *lcap)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(d, *it);
		const char *s = kc_yaml_scalar(n);
		if (s) {
			ps->lines = kc_array_grow(ps->lines, lcap, ps->argc + 1, sizeof(*ps->lines));
			ps->lines[ps->argc] = kc_yaml_line(n);
			push(&ps->argv, &ps->argc, cap, kc_strdup(s));
		}
	}
}

int kc_podspec_parse(const char *name, const char *data, size_t len, struct kc_podspec *out)
{
	memset(out, 0, sizeof(*out));
	struct kc_yaml y;
	int rc = kc_yaml_load(&y, name, data, len);
	if (rc < 0 || y.ndocs == 0) {
		kc_yaml_clear(&y);
		return rc < 0 ? rc : kc_error_set(KC_EINVAL, "%s: empty manifest", name);
	}
	yaml_document_t *d = &y.docs[0];
	yaml_node_t *root = kc_yaml_root(&y, 0);
	yaml_node_t *containers = kc_yaml_path(d, root, "spec.containers");
	if (!containers || containers->type != YAML_SEQUENCE_NODE ||
	    containers->data.sequence.items.start == containers->data.sequence.items.top) {
		kc_yaml_clear(&y);
		return kc_error_set(KC_EINVAL, "%s: expected spec.containers in a Pod manifest", name);
	}
	yaml_node_t *c = yaml_document_get_node(d, containers->data.sequence.items.start[0]);
	size_t cap = 0, ecap = 0, en = 0, lcap = 0;
	add_seq(d, kc_yaml_get(d, c, "command"), out, &cap, &lcap);
	add_seq(d, kc_yaml_get(d, c, "args"), out, &cap, &lcap);
	out->image = kc_strdup(kc_yaml_scalar(kc_yaml_get(d, c, "image")));
	yaml_node_t *env = kc_yaml_get(d, c, "env");
	if (env && env->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = env->data.sequence.items.start; it < env->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(d, *it);
			const char *k = kc_yaml_scalar(kc_yaml_get(d, e, "name"));
			const char *v = kc_yaml_scalar(kc_yaml_get(d, e, "value"));
			if (!k || !v)
				continue;
			struct kc_buf b = KC_BUF_INIT;
			kc_buf_printf(&b, "%s=%s", k, v);
			push(&out->env, &en, &ecap, kc_buf_detach(&b));
		}
	}
	kc_yaml_clear(&y);
	return 0;
}

int kc_podspec_read(struct kc_root *root, const char *path, struct kc_podspec *out)
{
	char *data;
	size_t len;
	memset(out, 0, sizeof(*out));
	int rc = kc_root_read_file(root, path, 4u << 20, &data, &len);
	if (rc < 0)
		return kc_error_set(KC_EIO, "%s: cannot read: %s", path, strerror(-rc));
	rc = kc_podspec_parse(path, data, len, out);
	free(data);
	return rc;
}

void kc_podspec_clear(struct kc_podspec *ps)
{
	for (size_t i = 0; i < ps->argc; i++)
		free(ps->argv[i]);
	free(ps->argv);
	free(ps->lines);
	if (ps->env)
		for (char **e = ps->env; *e; e++)
			free(*e);
	free(ps->env);
	free(ps->image);
	memset(ps, 0, sizeof(*ps));
}
