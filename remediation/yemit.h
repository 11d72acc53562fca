/* A thin layer over libyaml's emitter that writes into a kc_buf. Every generated manifest
 * and every re-emitted kustomization goes through it, so quoting is decided in one place:
 * strings that a YAML 1.1 or 1.2 reader would take for a number, boolean or null are
 * quoted, everything else is plain when libyaml allows it.
 *
 * Errors are sticky: after the first failure every call is a no-op and kc_yemit_finish
 * returns the error, so generators write straight-line code and check once. */
#ifndef KC_YEMIT_H
#define KC_YEMIT_H

#include <stdint.h>
#include <yaml.h>

#include "common/strbuf.h"

struct kc_yemit {
	yaml_emitter_t emitter;
	struct kc_buf *out;
	int failed;        /* first error code, 0 while fine */
	int ready;         /* emitter initialised */
};

/* Starts a stream writing to out (appended to). */
int kc_yemit_init(struct kc_yemit *y, struct kc_buf *out);
/* Ends the stream, flushes, releases the emitter; returns the first error, 0 when none. */
int kc_yemit_finish(struct kc_yemit *y);

/* "---" is written before every document but the first (implicit start). */
void kc_yemit_doc_start(struct kc_yemit *y);
void kc_yemit_doc_end(struct kc_yemit *y);
void kc_yemit_map_start(struct kc_yemit *y);
void kc_yemit_map_start_flow(struct kc_yemit *y);   /* "{}" for empty selectors */
void kc_yemit_map_end(struct kc_yemit *y);
void kc_yemit_seq_start(struct kc_yemit *y);
void kc_yemit_seq_start_flow(struct kc_yemit *y);
void kc_yemit_seq_end(struct kc_yemit *y);
/* A string scalar, quoted when it would otherwise read back as another type. */
void kc_yemit_str(struct kc_yemit *y, const char *s);
/* A scalar with the given libyaml style and tag as it was parsed (re-emission). */
void kc_yemit_scalar_raw(struct kc_yemit *y, const char *tag, const char *s, size_t len,
			 yaml_scalar_style_t style);
void kc_yemit_int(struct kc_yemit *y, int64_t v);
void kc_yemit_bool(struct kc_yemit *y, int v);
/* key: value pair of strings (inside a mapping). */
void kc_yemit_kv(struct kc_yemit *y, const char *key, const char *value);
/* Emits a node of a parsed document and everything below it, keeping scalar and
 * collection styles and explicit tags. */
void kc_yemit_node(struct kc_yemit *y, yaml_document_t *doc, yaml_node_t *node);

/* 1 when a plain scalar s would be resolved as something other than a string. */
int kc_yemit_needs_quotes(const char *s);

#endif
