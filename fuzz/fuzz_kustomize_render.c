/* Fuzzes the built-in kustomize renderer (remediation/render.c): the input is the
 * kustomization at the top, and every other path reads as the input again (so resources
 * and bases that point back at themselves exercise the depth bound) or, for "*.yaml"
 * names, as a two-document manifest. Any input renders or reports problems; none crashes,
 * loops or leaks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "remediation/render.h"

struct input {
	const char *data;
	size_t len;
};

static int read_input(void *payload, const char *path, char **out, size_t *len)
{
	const struct input *in = payload;
	size_t n = strlen(path);
	if (n > 5 && strcmp(path + n - 5, ".yaml") == 0 && strstr(path, "kustomization") == NULL) {
		static const char doc[] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\nkind: Namespace\nmetadata: {name: b}\n";
		*out = kc_strdup(doc);
		*len = sizeof(doc) - 1;
		return 0;
	}
	if (strstr(path, "kustomization") == NULL) {
		*out = NULL;   /* a directory: its kustomization is read next */
		*len = 0;
		return 0;
	}
	*out = kc_strndup(in->data, in->len);
	*len = in->len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { (const char *)data, size };
	struct kc_render r;
	kc_render_init(&r);
	kc_render_dir(read_input, &in, "clusters/prod", &r);
	for (size_t i = 0; i < r.n; i++)
		if (!r.v[i].kind || !r.v[i].name || !r.v[i].file)
			abort();
	kc_render_clear(&r);
	kc_error_clear();
	return 0;
}
