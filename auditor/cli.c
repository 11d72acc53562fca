#include "auditor/cli.h"
#include "checks/policy_root.h"

#include "common/error.h"
#include "common/log.h"
#include "common/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kc_cli_fail(const char *cmd, const char *fmt, ...)
{
	struct kc_buf msg = KC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	/* a DaemonSet's log pipeline parses JSON lines; a person reads one plain line */
	if (kc_log_get_format() == KC_LOG_JSON)
		kc_log_fields(KC_LOG_ERROR, (const char *const[]){ "command", cmd, NULL }, "%s", msg.ptr);
	else
		fprintf(stderr, "kubecomply %s: %s\n", cmd, msg.ptr);
	kc_buf_clear(&msg);
	return KC_EXIT_ERROR;
}

int kc_cli_log_option(const char *cmd, const char *name, const char *value)
{
	if (strcmp(name, "log-format") == 0) {
		if (kc_log_set_format_name(value) < 0)
			return kc_cli_fail(cmd, "%s", kc_error_last());
		return 0;
	}
	enum kc_log_level lv;
	if (kc_log_level_parse(value, &lv) < 0)
		return kc_cli_fail(cmd, "%s", kc_error_last());
	kc_log_set_level(lv);
	return 0;
}

const char *kc_cli_default_db(void)
{
	if (geteuid() == 0) {
		/* the evidence holds paths and findings about the host: root-only directory */
		if (mkdir("/var/lib/kubecomply", 0700) == 0 || errno == EEXIST)
			return "/var/lib/kubecomply/kubecomply.db";
	}
	return "kubecomply.db";
}

const char *kc_cli_policy_root(void)
{
	return kc_policy_root();
}
