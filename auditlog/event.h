/* One API server audit event (audit.k8s.io/v1 or v1beta1) as the rules see it: the request's
 * header fields typed at the edge, and the request body (requestObject) only when a full
 * parse was done. Two decoders fill it and must agree field for field:
 *   - kc_audit_decode (decode.c): json-c, the whole event; request_object is set;
 *   - kc_audit_scan (prefilter.c): a single pass over the bytes that extracts the header
 *     fields and skips bodies, so boring events never pay for a full parse.
 * Strings are borrowed: from the json-c tree (decode) or from ev->arena (scan); they live
 * until the next decode into the same event or kc_audit_event_clear. */
#ifndef KC_AUDITLOG_EVENT_H
#define KC_AUDITLOG_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct kc_audit_attribution;

/* Scalar header fields, in the order rules name them (rules.c keeps the names). */
enum kc_audit_field {
	KC_AF_AUDIT_ID,
	KC_AF_STAGE,         /* RequestReceived, ResponseStarted, ResponseComplete, Panic */
	KC_AF_LEVEL,         /* Metadata, Request, RequestResponse */
	KC_AF_VERB,
	KC_AF_USER,          /* user.username: who really sent the request */
	KC_AF_IMP_USER,      /* impersonatedUser.username: who it acted as */
	KC_AF_USER_AGENT,
	KC_AF_SOURCE_IP,     /* sourceIPs[0] */
	KC_AF_REQUEST_URI,
	KC_AF_NAMESPACE,     /* objectRef.* */
	KC_AF_RESOURCE,
	KC_AF_SUBRESOURCE,
	KC_AF_NAME,
	KC_AF_API_GROUP,
	KC_AF_DECISION,      /* annotations["authorization.k8s.io/decision"] */
	KC_AF_REASON,        /* annotations["authorization.k8s.io/reason"] */
	KC_AF_TIME,          /* stageTimestamp, requestReceivedTimestamp, timestamp (v1beta1),
	                      * metadata.creationTimestamp: the first present, as written */
	KC_AF_API_VERSION,
	KC_AF_NSCALAR
};

/* List fields; more than KC_AUDIT_MAX_LIST items are counted in n but not kept. */
enum kc_audit_list { KC_AL_GROUPS, KC_AL_IMP_GROUPS, KC_AL_SOURCE_IPS, KC_AL_N };
#define KC_AUDIT_MAX_LIST 32

enum kc_audit_stage {
	KC_STAGE_UNKNOWN = 0,
	KC_STAGE_REQUEST_RECEIVED,
	KC_STAGE_RESPONSE_STARTED,
	KC_STAGE_RESPONSE_COMPLETE,
	KC_STAGE_PANIC,
};

struct kc_audit_event {
	const char *f[KC_AF_NSCALAR];              /* NULL when absent or not a string */
	const char *list[KC_AL_N][KC_AUDIT_MAX_LIST];
	unsigned nlist[KC_AL_N];
	int code;                                  /* responseStatus.code; -1 when absent */
	char code_text[12];                        /* code as text ("" when absent) */
	int impersonated;                          /* impersonatedUser present */
	int has_request_object;                    /* requestObject present and not null */
	struct json_object *root;                  /* full parse (owned), NULL after a scan */
	struct json_object *request_object;        /* borrowed from root, or patch_view */
	struct json_object *patch_view;            /* owned: what a patch sets, object-shaped
						    * (patch.h); request_object points at it */
	struct kc_audit_attribution *attr;         /* owned: who created the owner (owners.h) */
	char *arena;                               /* scan: unescaped strings */
	size_t arena_cap;
};

/* Full parse of one event with json-c (strict JSON). KC_EINVAL when it is not a JSON
 * object. The event may be reused; previous contents are released. */
int kc_audit_decode(struct kc_audit_event *ev, const char *json, size_t len);
/* The same, from an object already parsed (webhook EventList item); takes a reference. */
int kc_audit_decode_object(struct kc_audit_event *ev, struct json_object *obj);
/* Fast header scan (prefilter.c): 0, or KC_EINVAL when the bytes are not a JSON object this
 * scanner understands (callers then fall back to kc_audit_decode). */
int kc_audit_scan(struct kc_audit_event *ev, const char *json, size_t len);
void kc_audit_event_clear(struct kc_audit_event *ev);

enum kc_audit_stage kc_audit_stage_parse(const char *s);
/* The exec command of a pods/exec request: requestObject.command[] when there is a body,
 * else the command= parameters of requestURI, joined by spaces; caller frees; NULL when none. */
char *kc_audit_command(const struct kc_audit_event *ev);
/* Event time as milliseconds since the epoch (RFC 3339 or "YYYY-MM-DD HH:MM:SS[.frac]");
 * -1 when absent or unreadable. */
int64_t kc_audit_time_ms(const char *t);
/* Event time normalised to RFC 3339 UTC ("...T...Z"); caller frees; now when absent. */
char *kc_audit_time_rfc3339(const char *t);
/* Fills ev->code_text from ev->code (0..999). */
void kc_audit_code_text(struct kc_audit_event *ev);
/* Is every header field of a and b equal (used by the bench, tests and the fuzzer)? */
int kc_audit_event_same_header(const struct kc_audit_event *a, const struct kc_audit_event *b);

#endif
