#include "remediation/names.h"

#include <string.h>
#include <strings.h>

#include "common/error.h"

/* Names are echoed in messages; a hostile one may hold control bytes or be huge, so the
 * message carries a bounded, printable rendering. */
static const char *printable(const char *s, char *tmp, size_t cap)
{
	size_t i, j = 0;
	for (i = 0; s[i] && j + 4 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		tmp[j++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
	}
	if (s[i]) {
		memcpy(tmp + j, "...", 3);
		j += 3;
	}
	tmp[j] = '\0';
	return tmp;
}

static int is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(int c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

int kc_names_check_label(const char *what, const char *name)
{
	char tmp[96];
	if (!name || !*name)
		return kc_error_set(KC_EUNSAFE, "%s name is empty", what);
	size_t n = strlen(name);
	if (n > 63)
		return kc_error_set(KC_EUNSAFE, "%s \"%s\": longer than 63 characters (DNS-1123 label)",
				    what, printable(name, tmp, sizeof(tmp)));
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)name[i];
		if (!is_lower_alnum(c) && c != '-')
			return kc_error_set(KC_EUNSAFE,
					    "%s \"%s\": not a DNS-1123 label (only a-z, 0-9 and '-')",
					    what, printable(name, tmp, sizeof(tmp)));
	}
	if (!is_lower_alnum((unsigned char)name[0]) || !is_lower_alnum((unsigned char)name[n - 1]))
		return kc_error_set(KC_EUNSAFE, "%s \"%s\": must start and end with a letter or digit",
				    what, printable(name, tmp, sizeof(tmp)));
	return 0;
}

int kc_names_check_relpath(const char *what, const char *path)
{
	char tmp[96];
	if (!path || !*path)
		return kc_error_set(KC_EUNSAFE, "%s is empty", what);
	if (strlen(path) > 255)
		return kc_error_set(KC_EUNSAFE, "%s is longer than 255 bytes", what);
	if (path[0] == '/')
		return kc_error_set(KC_EUNSAFE, "%s \"%s\": must be relative to the repository",
				    what, printable(path, tmp, sizeof(tmp)));
	const char *p = path;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 && end && end[1] != '\0')
			return kc_error_set(KC_EUNSAFE, "%s \"%s\": empty path component",
					    what, printable(path, tmp, sizeof(tmp)));
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return kc_error_set(KC_EUNSAFE, "%s \"%s\": '.' and '..' are not allowed",
					    what, printable(path, tmp, sizeof(tmp)));
		if (len == 4 && strncasecmp(p, ".git", 4) == 0)
			return kc_error_set(KC_EUNSAFE, "%s \"%s\": must not point into .git",
					    what, printable(path, tmp, sizeof(tmp)));
		for (size_t i = 0; i < len; i++) {
			int c = (unsigned char)p[i];
			if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
				return kc_error_set(KC_EUNSAFE, "%s \"%s\": only A-Z, a-z, 0-9, '.', '_', '-' and '/'",
						    what, printable(path, tmp, sizeof(tmp)));
		}
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static int check_name_part(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return -1;
	if (!is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[n - 1]))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
			return -1;
	}
	return 0;
}

static int check_dns_subdomain(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (!is_lower_alnum(c) && c != '-' && c != '.')
			return -1;
	}
	return is_lower_alnum((unsigned char)s[0]) && is_lower_alnum((unsigned char)s[n - 1]) ? 0 : -1;
}

int kc_names_check_label_key(const char *key)
{
	char tmp[96];
	if (!key)
		return kc_error_set(KC_EUNSAFE, "label key is missing");
	const char *slash = strchr(key, '/');
	const char *name = slash ? slash + 1 : key;
	if ((slash && check_dns_subdomain(key, (size_t)(slash - key)) != 0) ||
	    check_name_part(name, strlen(name), 63) != 0)
		return kc_error_set(KC_EUNSAFE, "label key \"%s\" is not a valid Kubernetes label key",
				    printable(key, tmp, sizeof(tmp)));
	return 0;
}

int kc_names_check_label_value(const char *key, const char *value)
{
	char tmp[96], tmp2[96];
	if (!value)
		return kc_error_set(KC_EUNSAFE, "label %s has no value", printable(key ? key : "", tmp, sizeof(tmp)));
	if (!*value)
		return 0;
	if (check_name_part(value, strlen(value), 63) != 0)
		return kc_error_set(KC_EUNSAFE, "label %s=\"%s\" is not a valid Kubernetes label value",
				    printable(key ? key : "", tmp, sizeof(tmp)),
				    printable(value, tmp2, sizeof(tmp2)));
	return 0;
}
