/* A single pass over one JSON value before json-c sees it, for what json-c cannot do:
 * - bound nesting (a 200 KB "[[[[..." must cost microseconds, never reach another parser);
 * - refuse "\u0000" in strings and keys (json-c keeps NULs in values, which every C string
 *   reader then cuts: "kube-system\u0000evil" would read as "kube-system"; in keys it cuts
 *   them itself);
 * - refuse duplicate keys, as the API server's strict decoding does (last-wins would let
 *   `"privileged": true, "privileged": false` pass);
 * - find the top-level "kind", "apiVersion" and the items of "items" (or of a root array)
 *   with their byte offsets, so that a List of a gigabyte is parsed item by item.
 * Internal to checks/k8s. */
#ifndef KC_K8S_JSONSCAN_H
#define KC_K8S_JSONSCAN_H

#include <stddef.h>

#define KC_JSON_MAX_DEPTH 100

struct kc_json_span {
	size_t off, len;
};

struct kc_json_scan {
	size_t end;                   /* offset just past the value */
	int root_array;               /* the value is an array: items are its elements */
	char *kind, *api_version;     /* top-level strings (caller frees), NULL when absent */
	int has_items;                /* the top-level object has an "items" array */
	struct kc_json_span *items;   /* elements of the root array or of "items" (caller frees) */
	size_t nitems;
	size_t err_off;               /* on error: offset of the problem */
	int syntax;                   /* on error: not JSON at all (rather than refused JSON) */
};

/* Scans the JSON value starting at s[0] (no leading whitespace). Returns 0 and fills out, or
 * KC_EINVAL with a message (no location; err_off says where) for a syntax error, nesting
 * beyond KC_JSON_MAX_DEPTH, a NUL escape, or a duplicate key. Nothing is allocated on error. */
int kc_json_scan(const char *s, size_t len, struct kc_json_scan *out);
/* The same, calling progress(arg, offset) every few megabytes of input: the manifest reader
 * drops the pages of a mapped file behind the scan, so memory does not grow with the file. */
int kc_json_scan_ex(const char *s, size_t len, struct kc_json_scan *out, void (*progress)(void *arg, size_t off),
		    void *arg);
void kc_json_scan_clear(struct kc_json_scan *sc);

#endif
