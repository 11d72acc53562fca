#include "remediation/yemit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	kc_buf_add(data, buffer, size);
	return 1;
}

static void emit(struct kc_yemit *y, yaml_event_t *ev, int ok)
{
	if (y->failed) {
		if (ok)
			yaml_event_delete(ev);
		return;
	}
	if (!ok) {
		y->failed = kc_error_set(KC_EGENERIC, "YAML emitter: cannot build event");
		return;
	}
	/* yaml_emitter_emit takes the event in both outcomes */
	if (!yaml_emitter_emit(&y->emitter, ev))
		y->failed = kc_error_set(KC_EGENERIC, "YAML emitter: %s",
					 y->emitter.problem ? y->emitter.problem : "emit failed");
}

int kc_yemit_init(struct kc_yemit *y, struct kc_buf *out)
{
	yaml_event_t ev;
	memset(y, 0, sizeof(*y));
	y->out = out;
	if (!yaml_emitter_initialize(&y->emitter))
		return y->failed = kc_error_set(KC_EGENERIC, "cannot initialise the YAML emitter");
	y->ready = 1;
	yaml_emitter_set_output(&y->emitter, write_handler, out);
	yaml_emitter_set_unicode(&y->emitter, 1);
	yaml_emitter_set_indent(&y->emitter, 2);
	/* long annotation values stay on one line: reviewers grep for them */
	yaml_emitter_set_width(&y->emitter, -1);
	emit(y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	return y->failed;
}

int kc_yemit_finish(struct kc_yemit *y)
{
	yaml_event_t ev;
	if (!y->ready)
		return y->failed ? y->failed : kc_error_set(KC_EGENERIC, "YAML emitter not initialised");
	emit(y, &ev, yaml_stream_end_event_initialize(&ev));
	if (!y->failed && !yaml_emitter_flush(&y->emitter))
		y->failed = kc_error_set(KC_EGENERIC, "YAML emitter: cannot flush");
	yaml_emitter_delete(&y->emitter);
	y->ready = 0;
	return y->failed;
}

void kc_yemit_doc_start(struct kc_yemit *y)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
}

void kc_yemit_doc_end(struct kc_yemit *y)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_document_end_event_initialize(&ev, 1));
}

static void map_start(struct kc_yemit *y, const char *tag, yaml_mapping_style_t style)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, (yaml_char_t *)tag,
							 tag == NULL, style));
}

static void seq_start(struct kc_yemit *y, const char *tag, yaml_sequence_style_t style)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *)tag,
							  tag == NULL, style));
}

void kc_yemit_map_start(struct kc_yemit *y) { map_start(y, NULL, YAML_BLOCK_MAPPING_STYLE); }
void kc_yemit_map_start_flow(struct kc_yemit *y) { map_start(y, NULL, YAML_FLOW_MAPPING_STYLE); }
void kc_yemit_seq_start(struct kc_yemit *y) { seq_start(y, NULL, YAML_BLOCK_SEQUENCE_STYLE); }
void kc_yemit_seq_start_flow(struct kc_yemit *y) { seq_start(y, NULL, YAML_FLOW_SEQUENCE_STYLE); }

void kc_yemit_map_end(struct kc_yemit *y)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_mapping_end_event_initialize(&ev));
}

void kc_yemit_seq_end(struct kc_yemit *y)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_sequence_end_event_initialize(&ev));
}

void kc_yemit_scalar_raw(struct kc_yemit *y, const char *tag, const char *s, size_t len,
			 yaml_scalar_style_t style)
{
	yaml_event_t ev;
	int plain_implicit = tag == NULL, quoted_implicit = tag == NULL;
	emit(y, &ev, yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag,
						  (yaml_char_t *)s, (int)len, plain_implicit,
						  quoted_implicit, style));
}

/* YAML 1.1 (what kubectl's sigs.k8s.io/yaml still resolves) and 1.2 core: booleans,
 * nulls, numbers in any base, infinities and NaN, and sexagesimal-looking values. */
int kc_yemit_needs_quotes(const char *s)
{
	static const char *const words[] = {
		"", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
		".inf", "-.inf", "+.inf", ".nan",
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return 0;
	/* anything that starts like a number and is made only of number characters */
	if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')) {
		for (const char *q = p; *q; q++) {
			if (!strchr("0123456789abcdefABCDEFxXoO._:+-", *q))
				return 0;
		}
		return 1;
	}
	return 0;
}

void kc_yemit_str(struct kc_yemit *y, const char *s)
{
	if (!s)
		s = "";
	kc_yemit_scalar_raw(y, NULL, s, strlen(s),
			    kc_yemit_needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
						     : YAML_ANY_SCALAR_STYLE);
}

void kc_yemit_int(struct kc_yemit *y, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	kc_yemit_scalar_raw(y, NULL, tmp, (size_t)n, YAML_PLAIN_SCALAR_STYLE);
}

void kc_yemit_bool(struct kc_yemit *y, int v)
{
	const char *s = v ? "true" : "false";
	kc_yemit_scalar_raw(y, NULL, s, strlen(s), YAML_PLAIN_SCALAR_STYLE);
}

void kc_yemit_kv(struct kc_yemit *y, const char *key, const char *value)
{
	kc_yemit_str(y, key);
	kc_yemit_str(y, value);
}

/* The tag of a parsed node when the document said one explicitly; libyaml fills in the
 * default tags (!!str, !!map, !!seq) for untagged nodes, and re-emitting those would add
 * noise to every line. */
static const char *explicit_tag(const yaml_node_t *n)
{
	const char *tag = (const char *)n->tag;
	if (!tag)
		return NULL;
	if (strcmp(tag, YAML_DEFAULT_SCALAR_TAG) == 0 || strcmp(tag, YAML_DEFAULT_MAPPING_TAG) == 0 ||
	    strcmp(tag, YAML_DEFAULT_SEQUENCE_TAG) == 0)
		return NULL;
	return tag;
}

/* Aliases are shared nodes: a document of nested aliases expands exponentially when
 * written out, so re-emission has a node budget as well as a depth limit. */
static void node_rec(struct kc_yemit *y, yaml_document_t *doc, yaml_node_t *n, int depth,
		     size_t *budget)
{
	if (y->failed)
		return;
	if (!n || depth > 100 || *budget == 0) {
		y->failed = kc_error_set(KC_EINVAL, "YAML document too deep or too large to re-emit");
		return;
	}
	(*budget)--;
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *tag = explicit_tag(n);
		yaml_scalar_style_t style = n->data.scalar.style;
		kc_yemit_scalar_raw(y, tag, (const char *)n->data.scalar.value, n->data.scalar.length, style);
		break;
	}
	case YAML_SEQUENCE_NODE:
		seq_start(y, explicit_tag(n), n->data.sequence.style);
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			node_rec(y, doc, yaml_document_get_node(doc, *it), depth + 1, budget);
		kc_yemit_seq_end(y);
		break;
	case YAML_MAPPING_NODE:
		map_start(y, explicit_tag(n), n->data.mapping.style);
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			node_rec(y, doc, yaml_document_get_node(doc, p->key), depth + 1, budget);
			node_rec(y, doc, yaml_document_get_node(doc, p->value), depth + 1, budget);
		}
		kc_yemit_map_end(y);
		break;
	default:
		y->failed = kc_error_set(KC_EINVAL, "YAML node of unknown type");
	}
}

void kc_yemit_node(struct kc_yemit *y, yaml_document_t *doc, yaml_node_t *node)
{
	size_t budget = 100000;
	node_rec(y, doc, node, 0, &budget);
}
