#include "bpf/rules.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/input.h"
#include "common/strbuf.h"
#include "common/yaml.h"

static int fail(const char *name, const yaml_node_t *n, const char *what)
{
	return kc_error_set(KC_EINVAL, "%s:%ld:%ld: %s", name, kc_yaml_line(n), kc_yaml_col(n), what);
}

static int parse_bool(const char *name, const yaml_node_t *n, int *out)
{
	const char *s = kc_yaml_scalar(n);
	if (s && !strcasecmp(s, "true"))
		*out = 1;
	else if (s && !strcasecmp(s, "false"))
		*out = 0;
	else
		return fail(name, n, "expected true or false");
	return 0;
}

static int parse_list(const char *name, yaml_document_t *d, yaml_node_t *n, struct kc_bpf_rule_list *out)
{
	size_t cap = 0;
	if (n->type == YAML_SCALAR_NODE) {
		out->globs = kc_array_grow(out->globs, &cap, 1, sizeof(char *));
		out->globs[out->n++] = kc_strdup(kc_yaml_scalar(n));
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(name, n, "expected a list of names");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = yaml_document_get_node(d, *it);
		if (!kc_yaml_scalar(v))
			return fail(name, v, "expected a name");
		out->globs = kc_array_grow(out->globs, &cap, out->n + 1, sizeof(char *));
		out->globs[out->n++] = kc_strdup(kc_yaml_scalar(v));
	}
	return 0;
}

static void list_clear(struct kc_bpf_rule_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->globs[i]);
	free(l->globs);
	memset(l, 0, sizeof(*l));
}

static void rule_clear(struct kc_bpf_rule *r)
{
	free(r->id);
	free(r->summary);
	free(r->cis);
	free(r->event);
	struct kc_bpf_rule_list *lists[] = { &r->exe, &r->exe_not, &r->comm, &r->comm_not, &r->parent,
					 &r->parent_not, &r->cls, &r->syscall };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		list_clear(lists[i]);
}

static int parse_rule(const char *name, yaml_document_t *d, yaml_node_t *m, struct kc_bpf_rule *r)
{
	static const char *const keys =
		"id, severity, summary, cis, event, in_container, not_init, not_owner, write, memfd, "
		"setid, deleted, from_tmp, to_root, ptrace_attach, "
		"exe, exe_not, comm, comm_not, parent, parent_not, class, syscall";
	r->in_container = r->not_init = r->not_owner = r->write = r->memfd = -1;
	r->setid = r->deleted = r->from_tmp = r->to_root = r->ptrace_attach = -1;
	if (m->type != YAML_MAPPING_NODE)
		return fail(name, m, "expected a rule (a mapping)");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key), *v = yaml_document_get_node(d, p->value);
		const char *k = kc_yaml_scalar(kn), *s = kc_yaml_scalar(v);
		int rc = 0;
		if (!k)
			return fail(name, kn, "expected a key");
		struct { const char *key; struct kc_bpf_rule_list *list; } lists[] = {
			{ "exe", &r->exe }, { "exe_not", &r->exe_not }, { "comm", &r->comm },
			{ "comm_not", &r->comm_not }, { "parent", &r->parent },
			{ "parent_not", &r->parent_not }, { "class", &r->cls }, { "syscall", &r->syscall },
		};
		struct { const char *key; int *flag; } flags[] = {
			{ "in_container", &r->in_container }, { "not_init", &r->not_init },
			{ "not_owner", &r->not_owner }, { "write", &r->write }, { "memfd", &r->memfd },
			{ "setid", &r->setid }, { "deleted", &r->deleted }, { "from_tmp", &r->from_tmp },
			{ "to_root", &r->to_root }, { "ptrace_attach", &r->ptrace_attach },
		};
		struct { const char *key; char **str; } strs[] = {
			{ "id", &r->id }, { "summary", &r->summary }, { "cis", &r->cis }, { "event", &r->event },
		};
		int known = 0;
		for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]) && !known; i++)
			if (!strcmp(k, lists[i].key)) {
				known = 1;
				rc = parse_list(name, d, v, lists[i].list);
			}
		for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && !known; i++)
			if (!strcmp(k, flags[i].key)) {
				known = 1;
				rc = parse_bool(name, v, flags[i].flag);
			}
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]) && !known; i++)
			if (!strcmp(k, strs[i].key)) {
				known = 1;
				if (!s)
					return fail(name, v, "expected text");
				free(*strs[i].str);
				*strs[i].str = kc_strdup(s);
			}
		if (!known && !strcmp(k, "severity")) {
			known = 1;
			if (!s || kc_severity_parse(s, &r->severity) < 0)
				return fail(name, v, "expected a severity: info, low, medium, high, critical");
		}
		if (!known) {
			struct kc_buf b = KC_BUF_INIT;
			kc_buf_printf(&b, "unknown key '%s' in rule (expected one of: %s)", k, keys);
			rc = fail(name, kn, b.ptr);
			kc_buf_clear(&b);
		}
		if (rc < 0)
			return rc;
	}
	if (!r->id || !r->event || !r->summary)
		return fail(name, m, "a rule needs id, event and summary");
	if (strcmp(r->event, "exec") && strcmp(r->event, "open") && strcmp(r->event, "open-denied") &&
	    strcmp(r->event, "syscall"))
		return fail(name, m, "event must be exec, open, open-denied or syscall");
	return 0;
}

int kc_bpf_rules_parse(const char *name, const char *data, size_t len, struct kc_bpf_rules *out)
{
	struct kc_yaml y;
	memset(&y, 0, sizeof(y));
	int rc = kc_yaml_load(&y, name, data, len);
	if (rc < 0)
		goto out;
	yaml_node_t *root = kc_yaml_root(&y, 0);
	yaml_document_t *d = y.ndocs ? &y.docs[0] : NULL;
	yaml_node_t *list = d ? kc_yaml_get(d, root, "rules") : NULL;
	if (!list || list->type != YAML_SEQUENCE_NODE) {
		rc = fail(name, root, "expected a mapping with 'rules:' (a list)");
		goto out;
	}
	for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		out->v = kc_array_grow(out->v, &out->cap, out->n + 1, sizeof(*out->v));
		struct kc_bpf_rule *r = &out->v[out->n++];
		memset(r, 0, sizeof(*r));
		rc = parse_rule(name, d, yaml_document_get_node(d, *it), r);
		if (rc < 0)
			goto out;
		for (size_t i = 0; i + 1 < out->n; i++)
			if (!strcmp(out->v[i].id, r->id)) {
				rc = fail(name, yaml_document_get_node(d, *it), "duplicate rule id");
				goto out;
			}
	}
out:
	kc_yaml_clear(&y);
	return rc;
}

int kc_bpf_rules_load(const char *path, struct kc_bpf_rules *out)
{
	char *data;
	size_t len;
	/* before: reading stopped silently at 1 MiB */
	int rc = kc_input_read(path, "runtime rules", 1u << 20, &data, &len);
	if (rc == 0)
		rc = kc_bpf_rules_parse(path, data, len, out);
	free(data);
	return rc;
}

void kc_bpf_rules_clear(struct kc_bpf_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		rule_clear(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* No list = no condition; a list needs a value that matches one of its globs. */
static int any(const struct kc_bpf_rule_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (s && fnmatch(l->globs[i], s, 0) == 0)
			return 1;
	return 0;
}

static int flag_ok(int want, int have)
{
	return want < 0 || want == !!have;
}

int kc_bpf_rules_match_one(const struct kc_bpf_rule *r, const struct kc_bpf_rule_input *in)
{
	if (!in->event || strcmp(r->event, in->event))
		return 0;
	if (!flag_ok(r->in_container, in->in_container) || !flag_ok(r->not_init, !in->is_init) ||
	    !flag_ok(r->not_owner, !in->owner) || !flag_ok(r->write, in->write) ||
	    !flag_ok(r->memfd, in->memfd) || !flag_ok(r->setid, in->setid) ||
	    !flag_ok(r->deleted, in->deleted) || !flag_ok(r->from_tmp, in->from_tmp) ||
	    !flag_ok(r->to_root, in->to_root) || !flag_ok(r->ptrace_attach, in->ptrace_attach))
		return 0;
	if ((r->exe.n && !any(&r->exe, in->exe)) || any(&r->exe_not, in->exe))
		return 0;
	if ((r->comm.n && !any(&r->comm, in->comm)) || any(&r->comm_not, in->comm))
		return 0;
	if ((r->parent.n && !any(&r->parent, in->parent)) || any(&r->parent_not, in->parent))
		return 0;
	if (r->cls.n && !any(&r->cls, in->cls))
		return 0;
	if (r->syscall.n && !any(&r->syscall, in->syscall))
		return 0;
	return 1;
}
