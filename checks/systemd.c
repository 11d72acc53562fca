#include "checks/systemd.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/strbuf.h"

/* systemd's system unit search path, highest priority first (systemd.unit(5)). */
static const char *const unit_dirs[] = {
	"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/lib/systemd/system", "/usr/lib/systemd/system",
};
#define NDIRS (sizeof(unit_dirs) / sizeof(*unit_dirs))
#define UNIT_MAX_BYTES (1u << 20)
#define MAX_DROPINS 256

static void var_set(struct kc_unit_var **v, size_t *n, const char *name, size_t nlen, const char *value,
		    const char *file, long line)
{
	for (size_t i = 0; i < *n; i++)
		if (strlen((*v)[i].name) == nlen && strncmp((*v)[i].name, name, nlen) == 0) {
			free((*v)[i].value);
			free((*v)[i].file);
			(*v)[i].value = kc_strdup(value);
			(*v)[i].file = kc_strdup(file);
			(*v)[i].line = line;
			return;
		}
	*v = kc_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].name = kc_strndup(name, nlen);
	(*v)[*n].value = kc_strdup(value);
	(*v)[*n].file = kc_strdup(file);
	(*v)[*n].line = line;
	(*n)++;
}

static void vars_free(struct kc_unit_var *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
		free(v[i].file);
	}
	free(v);
}

static int valid_var_name(const char *s, size_t n)
{
	if (n == 0 || isdigit((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* Splits a systemd value into words: whitespace separates, "..." and '...' group, a
 * backslash escapes the next character. Calls fn for each word. */
typedef void (*word_fn)(void *ctx, const char *word, int quoted);

static void split_words(const char *s, word_fn fn, void *ctx)
{
	struct kc_buf w = KC_BUF_INIT;
	const char *p = s;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		kc_buf_reset(&w);
		int quoted = 0;
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				quoted = 1;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && p[1])
						p++;
					kc_buf_putc(&w, *p++);
				}
				if (*p)
					p++;
			} else if (*p == '\\' && p[1]) {
				p++;
				kc_buf_putc(&w, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 's' ? ' ' : *p);
				p++;
			} else {
				kc_buf_putc(&w, *p++);
			}
		}
		fn(ctx, w.ptr, quoted);
	}
	kc_buf_clear(&w);
}

struct env_ctx {
	struct kc_unit *u;
	const char *file;
	long line;
};

static void env_word(void *ctx, const char *word, int quoted)
{
	(void)quoted;
	struct env_ctx *c = ctx;
	const char *eq = strchr(word, '=');
	if (!eq || !valid_var_name(word, (size_t)(eq - word)))
		return; /* systemd ignores invalid assignments */
	var_set(&c->u->pending, &c->u->npending, word, (size_t)(eq - word), eq + 1, c->file, c->line);
}

static void setting_set(struct kc_unit *u, const char *key, const char *value, const char *file, long line)
{
	for (size_t i = 0; i < u->nsettings; i++)
		if (strcmp(u->settings[i].key, key) == 0) {
			free(u->settings[i].value);
			free(u->settings[i].file);
			u->settings[i].value = kc_strdup(value);
			u->settings[i].file = kc_strdup(file);
			u->settings[i].line = line;
			return;
		}
	u->settings = kc_xrealloc(u->settings, (u->nsettings + 1) * sizeof(*u->settings));
	struct kc_unit_setting *s = &u->settings[u->nsettings++];
	s->key = kc_strdup(key);
	s->value = kc_strdup(value);
	s->file = kc_strdup(file);
	s->line = line;
}

static void envfiles_reset(struct kc_unit *u)
{
	for (size_t i = 0; i < u->nenvfiles; i++)
		free(u->envfiles[i]);
	free(u->envfiles);
	free(u->envfile_err);
	u->envfiles = NULL;
	u->envfile_err = NULL;
	u->nenvfiles = 0;
}

static void service_key(struct kc_unit *u, const char *key, const char *value, const char *file, long line)
{
	if (strcmp(key, "ExecStart") == 0) {
		/* an empty assignment resets the list: how drop-ins replace the unit's command */
		free(u->exec_raw);
		free(u->exec_file);
		u->exec_raw = *value ? kc_strdup(value) : NULL;
		u->exec_file = *value ? kc_strdup(file) : NULL;
		u->exec_line = *value ? line : 0;
	} else if (strcmp(key, "Environment") == 0) {
		if (!*value) {
			vars_free(u->pending, u->npending);
			u->pending = NULL;
			u->npending = 0;
			return;
		}
		struct env_ctx c = { u, file, line };
		split_words(value, env_word, &c);
	} else if (strcmp(key, "EnvironmentFile") == 0) {
		if (!*value) {
			envfiles_reset(u);
			return;
		}
		u->envfiles = kc_xrealloc(u->envfiles, (u->nenvfiles + 1) * sizeof(*u->envfiles));
		u->envfile_err = kc_xrealloc(u->envfile_err, (u->nenvfiles + 1) * sizeof(*u->envfile_err));
		u->envfiles[u->nenvfiles] = kc_strdup(value);
		u->envfile_err[u->nenvfiles++] = 0;
	} else {
		setting_set(u, key, value, file, line);
	}
}

static char *trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void kc_unit_apply_text(struct kc_unit *u, const char *file, const char *data, size_t len)
{
	int in_service = 0;
	struct kc_buf logical = KC_BUF_INIT;
	long start_line = 0, lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		char *line = kc_strndup(data + pos, end - pos);
		pos = end + 1;
		lineno++;
		/* NUL bytes end the line: systemd rejects them, we must not read past them */
		char *t = trim(line);
		int continuing = logical.len > 0;
		if (!continuing && (*t == '#' || *t == ';' || !*t)) {
			free(line);
			continue;
		}
		if (continuing && (*t == '#' || *t == ';')) {
			/* comment lines inside a continued line are skipped (systemd.syntax(7)) */
			free(line);
			continue;
		}
		if (!continuing)
			start_line = lineno;
		size_t tl = strlen(t);
		int cont = tl && t[tl - 1] == '\\';
		if (cont)
			t[--tl] = '\0';
		if (continuing)
			kc_buf_putc(&logical, ' ');
		kc_buf_puts(&logical, t);
		free(line);
		if (cont && pos < len)
			continue;
		char *l = trim(logical.ptr);
		if (*l == '[') {
			char *close = strchr(l, ']');
			in_service = close && (size_t)(close - l) == 8 && strncmp(l, "[Service", 8) == 0;
		} else if (in_service) {
			char *eq = strchr(l, '=');
			if (eq) {
				*eq = '\0';
				char *key = trim(l), *value = trim(eq + 1);
				if (*key)
					service_key(u, key, value, file, start_line);
			}
		}
		kc_buf_reset(&logical);
	}
	kc_buf_clear(&logical);
}

/* EnvironmentFile syntax: KEY=VALUE lines, '#'/';' comments, single or double quotes,
 * backslash escapes and continuations. */
void kc_unit_apply_envfile(struct kc_unit *u, const char *file, const char *data, size_t len)
{
	size_t pos = 0;
	long lineno = 0;
	while (pos < len) {
		while (pos < len && (data[pos] == ' ' || data[pos] == '\t' || data[pos] == '\r'))
			pos++;
		lineno++;
		long start = lineno;
		if (pos < len && (data[pos] == '#' || data[pos] == ';' || data[pos] == '\n')) {
			while (pos < len && data[pos] != '\n')
				pos++;
			pos++;
			continue;
		}
		size_t ks = pos;
		while (pos < len && data[pos] != '=' && data[pos] != '\n')
			pos++;
		if (pos >= len || data[pos] != '=') {
			pos++;
			continue;
		}
		size_t ke = pos;
		while (ke > ks && (data[ke - 1] == ' ' || data[ke - 1] == '\t'))
			ke--;
		if (ke - ks > 7 && strncmp(data + ks, "export ", 7) == 0)
			ks += 7; /* tolerated by shells that also read these files */
		pos++;
		while (pos < len && (data[pos] == ' ' || data[pos] == '\t'))
			pos++;
		struct kc_buf v = KC_BUF_INIT;
		size_t trailing_ws = 0;
		while (pos < len && data[pos] != '\n') {
			char ch = data[pos];
			if (ch == '"' || ch == '\'') {
				pos++;
				while (pos < len && data[pos] != ch) {
					if (ch == '"' && data[pos] == '\\' && pos + 1 < len) {
						pos++;
						if (data[pos] == '\n') {
							lineno++;
							pos++;
							continue;
						}
					}
					if (data[pos] == '\n')
						lineno++;
					kc_buf_putc(&v, data[pos++]);
				}
				pos++;
				trailing_ws = 0;
			} else if (ch == '\\' && pos + 1 < len) {
				pos++;
				if (data[pos] == '\n') {
					lineno++;
				} else {
					kc_buf_putc(&v, data[pos]);
				}
				pos++;
				trailing_ws = 0;
			} else {
				kc_buf_putc(&v, ch);
				trailing_ws = (ch == ' ' || ch == '\t' || ch == '\r') ? trailing_ws + 1 : 0;
				pos++;
			}
		}
		kc_buf_truncate(&v, v.len - trailing_ws);
		pos++;
		if (valid_var_name(data + ks, ke - ks))
			var_set(&u->vars, &u->nvars, data + ks, ke - ks, v.ptr, file, start);
		kc_buf_clear(&v);
	}
}

const struct kc_unit_var *kc_unit_var(const struct kc_unit *u, const char *name)
{
	for (size_t i = 0; i < u->nvars; i++)
		if (strcmp(u->vars[i].name, name) == 0)
			return &u->vars[i];
	return NULL;
}

const struct kc_unit_setting *kc_unit_setting(const struct kc_unit *u, const char *key)
{
	for (size_t i = 0; i < u->nsettings; i++)
		if (strcmp(u->settings[i].key, key) == 0)
			return &u->settings[i];
	return NULL;
}

struct argv_ctx {
	struct kc_unit *u;
	size_t cap;
};

static void push_arg(struct argv_ctx *c, const char *arg, const char *src)
{
	struct kc_unit *u = c->u;
	if (u->argc + 2 > c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		u->argv = kc_xrealloc(u->argv, c->cap * sizeof(*u->argv));
		u->argv_src = kc_xrealloc(u->argv_src, c->cap * sizeof(*u->argv_src));
	}
	u->argv[u->argc] = kc_strdup(arg);
	u->argv_src[u->argc++] = kc_strdup(src);
	u->argv[u->argc] = NULL;
	u->argv_src[u->argc] = NULL;
}

/* Replaces ${VAR} (and $VAR inside a word) with its value; "$$" is a literal '$'.
 * *src is set to the variable's file when the word is exactly one variable. */
static char *expand_inline(const struct kc_unit *u, const char *w, const char **src)
{
	struct kc_buf b = KC_BUF_INIT;
	int nvars = 0, literal = 0;
	const char *vsrc = NULL;
	for (const char *p = w; *p;) {
		if (p[0] == '$' && p[1] == '$') {
			kc_buf_putc(&b, '$');
			p += 2;
			literal = 1;
			continue;
		}
		if (p[0] == '$' && (p[1] == '{' || isalpha((unsigned char)p[1]) || p[1] == '_')) {
			const char *s = p + 1 + (p[1] == '{');
			size_t n = 0;
			while (isalnum((unsigned char)s[n]) || s[n] == '_')
				n++;
			if (p[1] == '{' && s[n] != '}') {
				kc_buf_putc(&b, *p++);
				literal = 1;
				continue;
			}
			char *name = kc_strndup(s, n);
			const struct kc_unit_var *v = kc_unit_var(u, name);
			free(name);
			if (v) {
				kc_buf_puts(&b, v->value);
				vsrc = v->file;
			}
			nvars++;
			p = s + n + (p[1] == '{');
			continue;
		}
		kc_buf_putc(&b, *p++);
		literal = 1;
	}
	*src = (nvars == 1 && !literal && vsrc) ? vsrc : NULL;
	return kc_buf_detach(&b);
}

static void exec_word(void *ctx, const char *word, int quoted)
{
	struct argv_ctx *c = ctx;
	struct kc_unit *u = c->u;
	/* a bare $VAR word is split at whitespace into several arguments (systemd.service(5)) */
	size_t wl = strlen(word);
	if (!quoted && word[0] == '$' && wl > 1 && valid_var_name(word + 1, wl - 1)) {
		const struct kc_unit_var *v = kc_unit_var(u, word + 1);
		if (!v)
			return; /* unset: the word disappears */
		const char *p = v->value;
		for (;;) {
			while (*p && isspace((unsigned char)*p))
				p++;
			if (!*p)
				break;
			size_t n = 0;
			while (p[n] && !isspace((unsigned char)p[n]))
				n++;
			char *a = kc_strndup(p, n);
			push_arg(c, a, v->file);
			free(a);
			p += n;
		}
		return;
	}
	const char *src = NULL;
	char *x = expand_inline(u, word, &src);
	if (u->argc == 0) {
		/* ExecStart prefixes: '-' ignore failure, '@' argv0, ':' no expansion, '+' '!' privileges */
		const char *prog = x + strspn(x, "-@:+!");
		if (!*prog) {
			free(x);
			return;
		}
		push_arg(c, prog, u->exec_file);
	} else {
		push_arg(c, x, src ? src : u->exec_file);
	}
	free(x);
}

void kc_unit_finish(struct kc_unit *u)
{
	/* Environment= values stand unless an EnvironmentFile set the same name */
	for (size_t i = 0; i < u->npending; i++)
		if (!kc_unit_var(u, u->pending[i].name))
			var_set(&u->vars, &u->nvars, u->pending[i].name, strlen(u->pending[i].name), u->pending[i].value,
				u->pending[i].file, u->pending[i].line);
	vars_free(u->pending, u->npending);
	u->pending = NULL;
	u->npending = 0;
	for (size_t i = 0; i < u->argc; i++) {
		free(u->argv[i]);
		free(u->argv_src[i]);
	}
	free(u->argv);
	free(u->argv_src);
	u->argv = NULL;
	u->argv_src = NULL;
	u->argc = 0;
	if (!u->exec_raw)
		return;
	struct argv_ctx c = { u, 0 };
	split_words(u->exec_raw, exec_word, &c);
}

static int cmp_str(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	return strcmp(strrchr(*x, '/') + 1, strrchr(*y, '/') + 1);
}

/* Drop-ins of every unit directory; a file name seen in a higher-priority directory masks
 * the same name further down the path. */
static size_t collect_dropins(struct kc_root *root, const char *name, char ***out)
{
	char **paths = NULL;
	size_t n = 0, cap = 0;
	for (size_t d = 0; d < NDIRS; d++) {
		struct kc_buf dir = KC_BUF_INIT;
		kc_buf_printf(&dir, "%s/%s.d", unit_dirs[d], name);
		char **names = NULL;
		size_t nn = 0;
		kc_root_list_dir(root, dir.ptr, ".conf", MAX_DROPINS, &names, &nn);
		for (size_t k = 0; k < nn && n < MAX_DROPINS; k++) {
			int masked = 0;
			for (size_t i = 0; i < n && !masked; i++)
				masked = strcmp(strrchr(paths[i], '/') + 1, names[k]) == 0;
			if (masked)
				continue;
			paths = kc_array_grow(paths, &cap, n + 1, sizeof(*paths));
			struct kc_buf p = KC_BUF_INIT;
			kc_buf_printf(&p, "%s/%s", dir.ptr, names[k]);
			paths[n++] = kc_buf_detach(&p);
		}
		kc_strv_free(names, nn);
		kc_buf_clear(&dir);
	}
	if (n)
		qsort(paths, n, sizeof(*paths), cmp_str);
	*out = paths;
	return n;
}

int kc_unit_load(struct kc_root *root, const char *name, struct kc_unit *out)
{
	memset(out, 0, sizeof(*out));
	out->name = kc_strdup(name);
	for (size_t d = 0; d < NDIRS && !out->path; d++) {
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s/%s", unit_dirs[d], name);
		char *data;
		size_t len;
		/* systemctl mask links the name to /dev/null in a higher directory: the unit is
		 * not started, whatever lies below (systemd.unit(5), "masked") */
		char *target = kc_root_readlink(root, p.ptr);
		if (target && strcmp(target, "/dev/null") == 0) {
			free(target);
			out->masked_by = kc_buf_detach(&p);
			return kc_error_set(KC_ENOTFOUND, "%s is masked (%s links to /dev/null)", name, out->masked_by);
		}
		free(target);
		/* a symlinked unit is read at its target inside the root, as systemd follows it; one
		 * masked to /dev/null is refused by fsroot (a device, not a regular file) */
		if (kc_root_read_file(root, p.ptr, UNIT_MAX_BYTES, &data, &len) == 0) {
			out->path = kc_buf_detach(&p);
			kc_unit_apply_text(out, out->path, data, len);
			free(data);
		}
		kc_buf_clear(&p);
	}
	out->ndropins = collect_dropins(root, name, &out->dropins);
	for (size_t i = 0; i < out->ndropins; i++) {
		char *data;
		size_t len;
		if (kc_root_read_file(root, out->dropins[i], UNIT_MAX_BYTES, &data, &len) == 0) {
			kc_unit_apply_text(out, out->dropins[i], data, len);
			free(data);
		}
	}
	if (!out->path && !out->ndropins)
		return kc_error_set(KC_ENOTFOUND, "%s: no unit file or drop-in under the unit directories", name);
	for (size_t i = 0; i < out->nenvfiles; i++) {
		const char *f = out->envfiles[i];
		int optional = f[0] == '-';
		f += optional;
		char *data;
		size_t len;
		int rc = kc_root_read_file(root, f, UNIT_MAX_BYTES, &data, &len);
		if (rc < 0) {
			out->envfile_err[i] = (optional && rc == -ENOENT) ? 0 : rc;
			continue;
		}
		kc_unit_apply_envfile(out, f, data, len);
		free(data);
	}
	kc_unit_finish(out);
	return 0;
}

void kc_unit_clear(struct kc_unit *u)
{
	free(u->masked_by);
	free(u->name);
	free(u->path);
	for (size_t i = 0; i < u->ndropins; i++)
		free(u->dropins[i]);
	free(u->dropins);
	envfiles_reset(u);
	vars_free(u->vars, u->nvars);
	vars_free(u->pending, u->npending);
	for (size_t i = 0; i < u->nsettings; i++) {
		free(u->settings[i].key);
		free(u->settings[i].value);
		free(u->settings[i].file);
	}
	free(u->settings);
	free(u->exec_raw);
	free(u->exec_file);
	for (size_t i = 0; i < u->argc; i++) {
		free(u->argv[i]);
		free(u->argv_src[i]);
	}
	free(u->argv);
	free(u->argv_src);
	memset(u, 0, sizeof(*u));
}
