#include "checks/policy.h"
#include "checks/policy_pack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/input.h"
#include "common/log.h"
#include "common/govalue.h"
#include "common/strbuf.h"
#include "common/yaml.h"

static const char *const components[] = {
	"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kubelet", "kube-proxy", NULL,
};
static const char *const targets[] = { "master", "controlplane", "etcd", "node", "policies", NULL };
static const char *const fact_keys[KC_FACT_COUNT] = { "flag", "setting", "env", "file", "files", "content", "query" };
static const char *const op_keys[KC_OP_COUNT] = {
	"", "present", "eq", "neq", "gte", "lte", "has", "has_not", "subset", "regex", "mode_max", "owner",
};

const char *kc_op_name(enum kc_op op)
{
	return (unsigned)op < KC_OP_COUNT ? op_keys[op] : "?";
}

/* The largest shipped benchmark file is ~60 KB: a policy file of megabytes is a mistake or
 * an attack (a --policy-dir entry pointing at /dev/zero is refused before this by type). */
#define POLICY_MAX_BYTES (8u << 20)

struct ctx {
	struct kc_policy_set *set;
	yaml_document_t *d;
	const char *file;
};

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	struct kc_buf b = KC_BUF_INIT;
	va_list ap;
	kc_buf_printf(&b, "%s:%ld:%ld: ", c->file, kc_yaml_line(n), kc_yaml_col(n));
	va_start(ap, fmt);
	kc_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	int rc = kc_error_set(KC_EINVAL, "%s", b.ptr);
	kc_buf_clear(&b);
	return rc;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a sequence";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

static int get_str(struct ctx *c, yaml_node_t *n, const char *key, char **out)
{
	const char *s = kc_yaml_scalar(n);
	if (!s || !*s)
		return fail(c, n, "'%s' must be a non-empty string, got %s", key, s ? "an empty string" : node_kind(n));
	free(*out);
	*out = kc_strdup(s);
	return 0;
}

static int get_bool(struct ctx *c, yaml_node_t *n, const char *key, int *out)
{
	const char *s = kc_yaml_scalar(n);
	if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
		*out = s[0] == 't';
		return 0;
	}
	return fail(c, n, "'%s' must be true or false, got %s%s%s", key, s ? "'" : node_kind(n), s ? s : "", s ? "'" : "");
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static void join(struct kc_buf *b, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!list[i] || !*list[i])
			continue;
		if (b->len)
			kc_buf_puts(b, ", ");
		kc_buf_puts(b, list[i]);
	}
}

/* Rejects duplicate keys within one mapping: YAML leaves them undefined and a silently
 * ignored duplicate would hide a mistake in a benchmark. */
static int check_duplicates(struct ctx *c, yaml_node_t *map)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const char *a = kc_yaml_scalar(yaml_document_get_node(c->d, p->key));
			const char *b = kc_yaml_scalar(yaml_document_get_node(c->d, q->key));
			if (a && b && strcmp(a, b) == 0)
				return fail(c, yaml_document_get_node(c->d, p->key), "duplicate key '%s'", a);
		}
	return 0;
}

/* "kube-apiserver --profiling" -> component + flag name */
static int parse_flag_ref(struct ctx *c, yaml_node_t *n, const char *key, char **comp, char **flag)
{
	const char *s = kc_yaml_scalar(n);
	const char *sp = s ? strchr(s, ' ') : NULL;
	if (!s || !sp)
		return fail(c, n, "'%s' must be \"<component> --<flag>\", e.g. \"kube-apiserver --profiling\"", key);
	char *cp = kc_strndup(s, (size_t)(sp - s));
	if (!in_list(cp, components)) {
		struct kc_buf b = KC_BUF_INIT;
		join(&b, components, 6);
		int rc = fail(c, n, "unknown component '%s' (expected one of: %s)", cp, b.ptr);
		kc_buf_clear(&b);
		free(cp);
		return rc;
	}
	while (*sp == ' ')
		sp++;
	const char *name = sp + strspn(sp, "-");
	if (!*name || strchr(name, ' ') || strchr(name, '=')) {
		free(cp);
		return fail(c, n, "'%s': expected a single flag name after the component, got '%s'", key, sp);
	}
	free(*comp);
	free(*flag);
	*comp = cp;
	*flag = kc_strdup(name);
	return 0;
}

/* type: file (the default) | directory: what a file test expects to find at the path */
static int parse_file_type(struct ctx *c, yaml_node_t *v, struct kc_test *t)
{
	const char *s = kc_yaml_scalar(v);
	if (s && strcmp(s, "directory") == 0)
		t->want_dir = 1;
	else if (s && strcmp(s, "file") == 0)
		t->want_dir = 0;
	else
		return fail(c, v, "'file.type' must be file or directory, got '%s'", s ? s : "?");
	return 0;
}

/* file: /path  or  file: {flag: "kubelet --kubeconfig", path: /default, type: directory} */
static int parse_file_ref(struct ctx *c, yaml_node_t *n, struct kc_test *t)
{
	if (n->type == YAML_SCALAR_NODE) {
		if (get_str(c, n, "file", &t->path) < 0)
			return KC_EINVAL;
		if (t->path[0] != '/')
			return fail(c, n, "'file' must be an absolute path, got '%s'", t->path);
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "'file' must be a path or a mapping {flag, path}, got %s", node_kind(n));
	if (check_duplicates(c, n) < 0)
		return KC_EINVAL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->d, p->key), *v = yaml_document_get_node(c->d, p->value);
		const char *key = kc_yaml_scalar(k);
		int rc;
		if (key && strcmp(key, "flag") == 0)
			rc = parse_flag_ref(c, v, "file.flag", &t->component, &t->flag);
		else if (key && strcmp(key, "path") == 0)
			rc = get_str(c, v, "file.path", &t->path);
		else if (key && strcmp(key, "type") == 0)
			rc = parse_file_type(c, v, t);
		else if (key && strcmp(key, "unit") == 0)
			rc = get_str(c, v, "file.unit", &t->unit);
		else
			rc = fail(c, k, "unknown key '%s' in file (expected one of: flag, path, type, unit)", key ? key : "?");
		if (rc < 0)
			return rc;
	}
	if (!t->flag && !t->path && !t->unit)
		return fail(c, n, "'file' needs a flag, a path, a unit, or a combination");
	return 0;
}

static int parse_fact(struct ctx *c, enum kc_fact_kind kind, yaml_node_t *v, struct kc_test *t)
{
	t->fact = kind;
	switch (kind) {
	case KC_FACT_FLAG:
		return parse_flag_ref(c, v, "flag", &t->component, &t->flag);
	case KC_FACT_ENV: {
		const char *s = kc_yaml_scalar(v);
		const char *sp = s ? strchr(s, ' ') : NULL;
		if (!sp)
			return fail(c, v, "'env' must be \"<component> <VARIABLE>\", e.g. \"etcd ETCD_CERT_FILE\"");
		t->component = kc_strndup(s, (size_t)(sp - s));
		if (!in_list(t->component, components))
			return fail(c, v, "unknown component '%s'", t->component);
		t->flag = kc_strdup(sp + strspn(sp, " "));
		return 0;
	}
	case KC_FACT_QUERY:
		return get_str(c, v, "query", &t->query);
	case KC_FACT_FILE:
		return parse_file_ref(c, v, t);
	case KC_FACT_SETTING:
	case KC_FACT_FILES:
	case KC_FACT_CONTENT:
		break;
	default:
		return fail(c, v, "internal: unknown fact");
	}
	if (v->type != YAML_MAPPING_NODE)
		return fail(c, v, "'%s' must be a mapping, got %s", fact_keys[kind], node_kind(v));
	if (check_duplicates(c, v) < 0)
		return KC_EINVAL;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->d, p->key), *val = yaml_document_get_node(c->d, p->value);
		const char *key = kc_yaml_scalar(k);
		key = key ? key : "?";
		int rc;
		if (kind == KC_FACT_SETTING && strcmp(key, "component") == 0) {
			rc = get_str(c, val, "setting.component", &t->component);
			if (rc == 0 && !in_list(t->component, components))
				rc = fail(c, val, "unknown component '%s'", t->component);
		} else if (kind == KC_FACT_SETTING && strcmp(key, "flag") == 0) {
			rc = get_str(c, val, "setting.flag", &t->flag);
			if (rc == 0)
				memmove(t->flag, t->flag + strspn(t->flag, "-"), strlen(t->flag + strspn(t->flag, "-")) + 1);
		} else if (kind == KC_FACT_SETTING && strcmp(key, "config") == 0) {
			rc = get_str(c, val, "setting.config", &t->config_key);
		} else if (kind == KC_FACT_FILES && strcmp(key, "dir") == 0) {
			rc = get_str(c, val, "files.dir", &t->dir);
		} else if (kind == KC_FACT_FILES && strcmp(key, "glob") == 0) {
			rc = get_str(c, val, "files.glob", &t->glob);
		} else if (kind == KC_FACT_FILES && strcmp(key, "recursive") == 0) {
			rc = get_bool(c, val, "files.recursive", &t->recursive);
		} else if (kind == KC_FACT_FILES && strcmp(key, "only_files") == 0) {
			rc = get_bool(c, val, "files.only_files", &t->only_files);
		} else if (kind == KC_FACT_CONTENT && strcmp(key, "file") == 0) {
			rc = parse_file_ref(c, val, t);
		} else if (kind == KC_FACT_CONTENT && strcmp(key, "key") == 0) {
			rc = get_str(c, val, "content.key", &t->config_key);
		} else {
			static const char *const exp[] = { [KC_FACT_SETTING] = "component, flag, config",
							   [KC_FACT_FILES] = "dir, glob, recursive, only_files",
							   [KC_FACT_CONTENT] = "file, key" };
			rc = fail(c, k, "unknown key '%s' in %s (expected one of: %s)", key, fact_keys[kind], exp[kind]);
		}
		if (rc < 0)
			return rc;
	}
	if (kind == KC_FACT_SETTING && (!t->component || (!t->flag && !t->config_key)))
		return fail(c, v, "'setting' needs a component and a flag or a config key");
	if (kind == KC_FACT_FILES && !t->dir)
		return fail(c, v, "'files' needs a dir");
	if (kind == KC_FACT_FILES && t->dir[0] != '/')
		return fail(c, v, "'files.dir' must be an absolute path");
	if (kind == KC_FACT_CONTENT && (!t->config_key || (!t->path && !t->flag)))
		return fail(c, v, "'content' needs a file and a key");
	return 0;
}

static int parse_duration(const char *s, long long *out);

static int parse_op(struct ctx *c, enum kc_op op, yaml_node_t *v, struct kc_test *t)
{
	t->op = op;
	const char *s = kc_yaml_scalar(v);
	if (!s)
		return fail(c, v, "operator '%s' takes a scalar value, got %s", op_keys[op], node_kind(v));
	t->value = kc_strdup(s);
	switch (op) {
	case KC_OP_PRESENT:
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			return fail(c, v, "operator 'present' takes true or false, got '%s'", s);
		return 0;
	case KC_OP_GTE:
	case KC_OP_LTE:
		if (parse_duration(s, &t->num) < 0)
			return fail(c, v, "operator '%s' takes an integer or a duration like 5m, got '%s'", op_keys[op], s);
		return 0;
	case KC_OP_MODE_MAX: {
		char *end;
		unsigned long m = strtoul(s, &end, 8);
		if (!*s || *end || m > 07777)
			return fail(c, v, "operator 'mode_max' takes an octal mode like 600, got '%s'", s);
		t->mode = (unsigned)m;
		return 0;
	}
	case KC_OP_REGEX: {
		int e = regcomp(&t->re, s, REG_EXTENDED | REG_NOSUB);
		if (e != 0) {
			char msg[128];
			regerror(e, &t->re, msg, sizeof(msg));
			return fail(c, v, "operator 'regex': invalid regular expression '%s': %s", s, msg);
		}
		t->has_re = 1;
		return 0;
	}
	case KC_OP_OWNER:
		if (!*s || strchr(s, ' '))
			return fail(c, v, "operator 'owner' takes user:group or user, got '%s'", s);
		return 0;
	default:
		return 0;
	}
}

static void test_clear(struct kc_test *t)
{
	free(t->component); free(t->flag); free(t->config_key); free(t->path); free(t->unit); free(t->dir);
	free(t->glob); free(t->query); free(t->value); free(t->defval);
	if (t->has_re)
		regfree(&t->re);
	memset(t, 0, sizeof(*t));
}

static int parse_test(struct ctx *c, yaml_node_t *n, struct kc_test *t, int manual)
{
	memset(t, 0, sizeof(*t));
	t->line = kc_yaml_line(n);
	t->column = kc_yaml_col(n);
	/* docs/node-checks.md "Missing files": a file the benchmark names that does not exist
	 * is WARN (undecidable is not PASS, and not a FAIL computed from nothing); a policy says
	 * `missing: pass` only where the benchmark's audit reads "if it exists" */
	t->missing = KC_WARN;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "a test must be a mapping with a fact and an operator, got %s", node_kind(n));
	if (check_duplicates(c, n) < 0)
		return KC_EINVAL;
	int have_fact = 0;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->d, p->key), *v = yaml_document_get_node(c->d, p->value);
		const char *key = kc_yaml_scalar(k);
		if (!key)
			return fail(c, k, "keys must be strings");
		int rc = 1;
		for (int f = 0; f < KC_FACT_COUNT && rc == 1; f++)
			if (strcmp(key, fact_keys[f]) == 0) {
				if (have_fact)
					return fail(c, k, "a test names one fact; '%s' is a second one", key);
				have_fact = 1;
				rc = parse_fact(c, (enum kc_fact_kind)f, v, t);
			}
		for (int o = 1; o < KC_OP_COUNT && rc == 1; o++)
			if (strcmp(key, op_keys[o]) == 0) {
				if (t->op != KC_OP_NONE)
					return fail(c, k, "a test has one operator; '%s' is a second one (first: '%s')", key, op_keys[t->op]);
				rc = parse_op(c, (enum kc_op)o, v, t);
			}
		if (rc == 1 && strcmp(key, "default") == 0) {
			const char *s = kc_yaml_scalar(v);
			if (!s)
				return fail(c, v, "'default' must be a scalar, got %s", node_kind(v));
			t->defval = kc_strdup(s);
			rc = 0;
		}
		if (rc == 1 && strcmp(key, "missing") == 0) {
			const char *s = kc_yaml_scalar(v);
			enum kc_status st;
			if (!s || kc_status_parse(s, &st) < 0 || st == KC_ERROR)
				return fail(c, v, "'missing' must be pass, fail, warn or skip");
			t->missing = st;
			t->missing_set = 1;
			rc = 0;
		}
		if (rc == 1) {
			struct kc_buf facts = KC_BUF_INIT, ops = KC_BUF_INIT;
			join(&facts, fact_keys, KC_FACT_COUNT);
			join(&ops, op_keys, KC_OP_COUNT);
			rc = fail(c, k, "unknown key '%s' in test (expected a fact: %s; an operator: %s; or default, missing)",
				  key, facts.ptr, ops.ptr);
			kc_buf_clear(&facts);
			kc_buf_clear(&ops);
		}
		if (rc < 0)
			return rc;
	}
	if (!have_fact)
		return fail(c, n, "a test needs a fact (flag, setting, env, file, files, content or query)");
	if (t->op == KC_OP_NONE && !manual && t->fact != KC_FACT_QUERY)
		return fail(c, n, "a test of an automated check needs an operator (present, eq, neq, gte, lte, has, "
			    "has_not, subset, regex, mode_max, owner)");
	if ((t->op == KC_OP_MODE_MAX || t->op == KC_OP_OWNER) && t->fact != KC_FACT_FILE && t->fact != KC_FACT_FILES)
		return fail(c, n, "operator '%s' applies to file and files facts only", op_keys[t->op]);
	return 0;
}

static void check_clear(struct kc_check *ch)
{
	free(ch->id); free(ch->title); free(ch->section); free(ch->section_title); free(ch->target);
	free(ch->type); free(ch->manual); free(ch->remediation); free(ch->file);
	for (size_t i = 0; i < ch->nreferences; i++)
		free(ch->references[i]);
	free(ch->references);
	for (size_t i = 0; i < ch->ntests; i++)
		test_clear(&ch->tests[i]);
	free(ch->tests);
	memset(ch, 0, sizeof(*ch));
}

struct file_defaults {
	const char *section, *section_title, *target;
};

static int parse_check(struct ctx *c, yaml_node_t *n, const struct file_defaults *fd, struct kc_check *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->file = kc_strdup(c->file);
	ch->line = kc_yaml_line(n);
	ch->level = 1;
	ch->scored = -1;
	ch->severity = KC_SEV_MEDIUM;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "a check must be a mapping, got %s", node_kind(n));
	if (check_duplicates(c, n) < 0)
		return KC_EINVAL;
	yaml_node_t *tests = NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->d, p->key), *v = yaml_document_get_node(c->d, p->value);
		const char *key = kc_yaml_scalar(k);
		key = key ? key : "?";
		int rc = 0;
		if (strcmp(key, "id") == 0) rc = get_str(c, v, key, &ch->id);
		else if (strcmp(key, "title") == 0) rc = get_str(c, v, key, &ch->title);
		else if (strcmp(key, "section") == 0) rc = get_str(c, v, key, &ch->section);
		else if (strcmp(key, "section_title") == 0) rc = get_str(c, v, key, &ch->section_title);
		else if (strcmp(key, "manual") == 0) rc = get_str(c, v, key, &ch->manual);
		else if (strcmp(key, "remediation") == 0) rc = get_str(c, v, key, &ch->remediation);
		else if (strcmp(key, "scored") == 0) rc = get_bool(c, v, key, &ch->scored);
		else if (strcmp(key, "target") == 0) {
			rc = get_str(c, v, key, &ch->target);
			if (rc == 0 && !in_list(ch->target, targets))
				rc = fail(c, v, "unknown target '%s' (expected one of: master, controlplane, etcd, node, policies)", ch->target);
		} else if (strcmp(key, "type") == 0) {
			rc = get_str(c, v, key, &ch->type);
			if (rc == 0 && strcmp(ch->type, "automated") != 0 && strcmp(ch->type, "manual") != 0)
				rc = fail(c, v, "'type' must be automated or manual, got '%s'", ch->type);
		} else if (strcmp(key, "level") == 0) {
			const char *s = kc_yaml_scalar(v);
			if (!s || (strcmp(s, "1") != 0 && strcmp(s, "2") != 0))
				rc = fail(c, v, "'level' must be 1 or 2, got %s%s%s", s ? "'" : node_kind(v), s ? s : "", s ? "'" : "");
			else
				ch->level = s[0] - '0';
		} else if (strcmp(key, "severity") == 0) {
			const char *s = kc_yaml_scalar(v);
			if (!s || kc_severity_parse(s, &ch->severity) < 0)
				rc = fail(c, v, "'severity' must be info, low, medium, high or critical");
		} else if (strcmp(key, "match") == 0) {
			const char *s = kc_yaml_scalar(v);
			if (!s || (strcmp(s, "all") != 0 && strcmp(s, "any") != 0))
				rc = fail(c, v, "'match' must be all or any");
			else
				ch->match_any = s[1] == 'n';
		} else if (strcmp(key, "references") == 0) {
			if (v->type != YAML_SEQUENCE_NODE) {
				rc = fail(c, v, "'references' must be a sequence of strings, got %s", node_kind(v));
			} else {
				size_t cap = 0;
				for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top && rc == 0; it++) {
					yaml_node_t *item = yaml_document_get_node(c->d, *it);
					char *ref = NULL;
					rc = get_str(c, item, "references[]", &ref);
					if (rc == 0) {
						ch->references = kc_array_grow(ch->references, &cap, ch->nreferences + 1, sizeof(char *));
						ch->references[ch->nreferences++] = ref;
					}
				}
			}
		} else if (strcmp(key, "tests") == 0) {
			if (v->type != YAML_SEQUENCE_NODE)
				rc = fail(c, v, "'tests' must be a sequence, got %s", node_kind(v));
			tests = v;
		} else {
			rc = fail(c, k, "unknown key '%s' in check (expected one of: id, title, section, section_title, "
				  "target, level, scored, severity, type, match, tests, manual, remediation, references)", key);
		}
		if (rc < 0)
			return rc;
	}
	if (!ch->id)
		return fail(c, n, "a check needs an 'id'");
	if (!ch->title)
		return fail(c, n, "check %s needs a 'title'", ch->id);
	if (!ch->type)
		return fail(c, n, "check %s needs a 'type' (automated or manual)", ch->id);
	if (!ch->target && fd->target)
		ch->target = kc_strdup(fd->target);
	if (!ch->target)
		return fail(c, n, "check %s needs a 'target' (or one for the whole file)", ch->id);
	/* the file's section applies to the checks whose ids lie under it */
	if (!ch->section && fd->section && strncmp(ch->id, fd->section, strlen(fd->section)) == 0 &&
	    (ch->id[strlen(fd->section)] == '.' || ch->id[strlen(fd->section)] == '\0'))
		ch->section = kc_strdup(fd->section);
	if (!ch->section) {
		const char *dot = strrchr(ch->id, '.');
		ch->section = dot ? kc_strndup(ch->id, (size_t)(dot - ch->id)) : kc_strdup(ch->id);
	}
	if (!ch->section_title && fd->section_title && strcmp(ch->section, fd->section ? fd->section : "") == 0)
		ch->section_title = kc_strdup(fd->section_title);
	int manual = strcmp(ch->type, "manual") == 0;
	if (ch->scored < 0)
		ch->scored = !manual;
	if (tests) {
		size_t nt = (size_t)(tests->data.sequence.items.top - tests->data.sequence.items.start);
		ch->tests = kc_xcalloc(nt ? nt : 1, sizeof(*ch->tests));
		for (size_t i = 0; i < nt; i++) {
			int rc = parse_test(c, yaml_document_get_node(c->d, tests->data.sequence.items.start[i]), &ch->tests[i], manual);
			ch->ntests = i + 1;
			if (rc < 0)
				return rc;
		}
	}
	if (!manual && ch->ntests == 0)
		return fail(c, n, "automated check %s needs at least one test", ch->id);
	if (manual && ch->ntests == 0 && !ch->manual)
		return fail(c, n, "manual check %s needs tests or a 'manual' text saying what to look at", ch->id);
	return 0;
}

static int load_doc(struct ctx *c, yaml_node_t *root)
{
	if (!root || root->type != YAML_MAPPING_NODE)
		return fail(c, root, "a policy file must be a mapping with 'benchmark' and 'checks'");
	if (check_duplicates(c, root) < 0)
		return KC_EINVAL;
	struct file_defaults fd = { 0 };
	yaml_node_t *checks = NULL, *bench = NULL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->d, p->key), *v = yaml_document_get_node(c->d, p->value);
		const char *key = kc_yaml_scalar(k);
		key = key ? key : "?";
		if (strcmp(key, "checks") == 0 || strcmp(key, "benchmark") == 0 || strcmp(key, "title") == 0 ||
		    strcmp(key, "section") == 0 || strcmp(key, "section_title") == 0 || strcmp(key, "target") == 0) {
			if (strcmp(key, "checks") == 0) {
				if (v->type != YAML_SEQUENCE_NODE)
					return fail(c, v, "'checks' must be a sequence, got %s", node_kind(v));
				checks = v;
				continue;
			}
			const char *s = kc_yaml_scalar(v);
			if (!s || !*s)
				return fail(c, v, "'%s' must be a non-empty string, got %s", key, s ? "an empty string" : node_kind(v));
			if (strcmp(key, "benchmark") == 0) bench = v;
			else if (strcmp(key, "section") == 0) fd.section = s;
			else if (strcmp(key, "section_title") == 0) fd.section_title = s;
			else if (strcmp(key, "target") == 0) {
				if (!in_list(s, targets))
					return fail(c, v, "unknown target '%s' (expected one of: master, controlplane, etcd, node, policies)", s);
				fd.target = s;
			} else if (!c->set->title) c->set->title = kc_strdup(s);
		} else {
			return fail(c, k, "unknown key '%s' at top level (expected one of: benchmark, title, section, "
				    "section_title, target, checks)", key);
		}
	}
	if (!bench)
		return fail(c, root, "a policy file needs 'benchmark' (e.g. cis-1.12)");
	const char *bname = kc_yaml_scalar(bench);
	if (c->set->benchmark && strcmp(c->set->benchmark, bname) != 0)
		return fail(c, bench, "benchmark '%s' does not match '%s' of the files loaded before", bname, c->set->benchmark);
	if (!c->set->benchmark)
		c->set->benchmark = kc_strdup(bname);
	if (!checks)
		return fail(c, root, "a policy file needs 'checks'");
	for (yaml_node_item_t *it = checks->data.sequence.items.start; it < checks->data.sequence.items.top; it++) {
		struct kc_check ch;
		yaml_node_t *cn = yaml_document_get_node(c->d, *it);
		int rc = parse_check(c, cn, &fd, &ch);
		if (rc == 0) {
			const struct kc_check *dup = kc_policy_find(c->set, ch.id);
			if (dup)
				rc = fail(c, cn, "duplicate check id '%s' (first defined at %s:%ld)", ch.id, dup->file, dup->line);
		}
		if (rc < 0) {
			check_clear(&ch);
			return rc;
		}
		struct kc_policy_set *s = c->set;
		s->checks = kc_array_grow(s->checks, &s->checks_cap, s->nchecks + 1, sizeof(*s->checks));
		s->checks[s->nchecks++] = ch;
	}
	return 0;
}

int kc_policy_load_buffer(struct kc_policy_set *set, const char *name, const char *data, size_t len)
{
	struct kc_yaml y;
	int rc = kc_yaml_load(&y, name, data, len);
	if (rc == 0 && y.ndocs == 0)
		rc = kc_error_set(KC_EINVAL, "%s:1:1: empty policy file (expected a mapping with 'benchmark' and 'checks')", name);
	for (size_t i = 0; rc == 0 && i < y.ndocs; i++) {
		struct ctx c = { set, &y.docs[i], name };
		rc = load_doc(&c, kc_yaml_root(&y, i));
	}
	kc_yaml_clear(&y);
	return rc;
}

int kc_policy_load_file(struct kc_policy_set *set, const char *path)
{
	char *data;
	size_t len;
	int rc = kc_input_read(path, "policy file", POLICY_MAX_BYTES, &data, &len);
	if (rc < 0)
		return rc;
	rc = kc_policy_load_buffer(set, path, data, len);
	free(data);
	return rc;
}

int kc_policy_load_dir(struct kc_policy_set *set, const char *dir)
{
	char **names;
	size_t n;
	int rc = kc_dir_names(dir, ".yaml", &names, &n);
	if (rc < 0)
		return kc_error_set_errno(-rc, "cannot open policy directory %s", dir);
	if (!n) {
		kc_strv_free(names, n);
		return kc_error_set(KC_ENOTFOUND, "policy directory %s holds no *.yaml file", dir);
	}
	/* every file read first: when they are, byte for byte, the files a pack of this build was
	 * made from (checks/policy_pack.h), the set is the one parsing them gives; otherwise each
	 * is parsed in turn, and a file that could not be read fails where it did before */
	char **data = kc_xcalloc(n, sizeof(*data));
	size_t *lens = kc_xcalloc(n, sizeof(*lens));
	int *read_rc = kc_xcalloc(n, sizeof(*read_rc));
	char **paths = kc_xcalloc(n, sizeof(*paths));
	int all_read = 1;
	for (size_t i = 0; i < n; i++) {
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s/%s", dir, names[i]);
		paths[i] = kc_buf_detach(&p);
		read_rc[i] = kc_input_read(paths[i], "policy file", POLICY_MAX_BYTES, &data[i], &lens[i]);
		if (read_rc[i] < 0) {
			all_read = 0;
			break; /* its error is the one reported, below */
		}
	}
	const struct kc_policy_pack *pack = NULL;
	if (all_read && set->nchecks == 0 && !set->benchmark && !set->title)
		pack = kc_policy_pack_find(names, data, lens, n);
	if (pack && kc_policy_pack_read(pack->data, pack->len, dir, set) < 0) {
		kc_log(KC_LOG_WARN, "%s: %s; parsing the policy files", dir, kc_error_last());
		pack = NULL;
	}
	/* the files before an unreadable one parse without setting an error: its message stays */
	for (size_t i = 0; !pack && rc == 0 && i < n; i++)
		rc = read_rc[i] < 0 ? read_rc[i] : kc_policy_load_buffer(set, paths[i], data[i], lens[i]);
	for (size_t i = 0; i < n; i++) {
		free(data[i]);
		free(paths[i]);
	}
	free(data);
	free(lens);
	free(read_rc);
	free(paths);
	kc_strv_free(names, n);
	return rc;
}

void kc_policy_set_clear(struct kc_policy_set *set)
{
	for (size_t i = 0; i < set->nchecks; i++)
		check_clear(&set->checks[i]);
	free(set->checks);
	free(set->benchmark);
	free(set->title);
	memset(set, 0, sizeof(*set));
}

const struct kc_check *kc_policy_find(const struct kc_policy_set *set, const char *id)
{
	for (size_t i = 0; i < set->nchecks; i++)
		if (strcmp(set->checks[i].id, id) == 0)
			return &set->checks[i];
	return NULL;
}

/* "1.2" matches "1.2" and "1.2.x" but not "1.20"; "1.2.1" does not match "1.2.10". */
static int id_matches(const char *id, const char *pat, size_t len)
{
	if (len == 0 || strncmp(id, pat, len) != 0)
		return 0;
	return id[len] == '\0' || id[len] == '.';
}

static int list_matches(const char *id, const char *list)
{
	if (!list || !*list)
		return 0;
	for (const char *p = list; *p;) {
		while (*p == ',' || *p == ' ')
			p++;
		size_t len = strcspn(p, ", ");
		if (id_matches(id, p, len))
			return 1;
		p += len;
	}
	return 0;
}

int kc_check_selected(const struct kc_check *c, const char *include, const char *exclude)
{
	if (include && *include && !list_matches(c->id, include))
		return 0;
	return !list_matches(c->id, exclude);
}

static int parse_duration(const char *s, long long *out)
{
	/* integers, or Go durations (time.ParseDuration: 1h2m3s, 1.5h, 300ms, 0) in whole
	 * seconds; a fraction of a second rounds away from zero, so 500ms is not "0" */
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s && !*end && errno == 0) {
		*out = v;
		return 0;
	}
	int64_t ns;
	if (kc_go_duration(s, &ns) < 0)
		return -1;
	long long sec = ns / 1000000000LL;
	if (ns % 1000000000LL)
		sec += ns > 0 ? 1 : -1;
	*out = sec;
	return 0;
}

/* Exported for the engine, which compares values with the same rules. */
int kc_policy_parse_duration(const char *s, long long *out)
{
	return parse_duration(s, out);
}
