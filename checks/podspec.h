/* A static pod manifest read for what the component is started with: the first container's
 * command + args (as one argv), its environment and image. */
#ifndef KC_PODSPEC_H
#define KC_PODSPEC_H

#include <stddef.h>

#include "checks/fsroot.h"

struct kc_podspec {
	char **argv;   /* NULL-terminated */
	long *lines;   /* 1-based line of each argv item in the manifest, for evidence */
	size_t argc;
	char **env;    /* KEY=VALUE, NULL-terminated; valueFrom entries are skipped */
	char *image;
};

int kc_podspec_read(struct kc_root *root, const char *path, struct kc_podspec *out);
int kc_podspec_parse(const char *name, const char *data, size_t len, struct kc_podspec *out);
void kc_podspec_clear(struct kc_podspec *ps);

#endif
