#include <json-c/json_c_version.h>
#include <stdio.h>
#include <yaml.h>

#include "auditor/cli.h"
#include "store/store.h"

int kc_cmd_version(int argc, char **argv)
{
	(void)argc; (void)argv;
	printf("kubecomply %s (%s)\n", KC_VERSION, KC_GIT_REV);
	printf("store schema %d, %s, json-c %s, libyaml %s\n", KC_STORE_SCHEMA_VERSION, kc_store_library_versions(),
	       json_c_version(), yaml_get_version_string());
	return KC_EXIT_OK;
}
