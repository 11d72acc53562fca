/* Full decoder of one audit event with json-c, and the helpers both decoders share
 * (stage names, exec command, event time). The scanner in prefilter.c must extract exactly
 * what this file extracts; kc_audit_event_same_header is how tests, the bench and the fuzzer
 * hold the two to that. */
#include "auditlog/event.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "auditlog/owners.h"
#include "auditlog/patch.h"
#include "store/run.h"
#include "common/error.h"
#include "common/strbuf.h"

static void reset(struct kc_audit_event *ev)
{
	if (ev->root)
		json_object_put(ev->root);
	json_object_put(ev->patch_view);
	kc_audit_attribution_free(ev->attr);
	char *arena = ev->arena;
	size_t cap = ev->arena_cap;
	memset(ev, 0, sizeof(*ev));
	ev->arena = arena;
	ev->arena_cap = cap;
	ev->code = -1;
}

void kc_audit_event_clear(struct kc_audit_event *ev)
{
	if (!ev)
		return;
	reset(ev);
	free(ev->arena);
	ev->arena = NULL;
	ev->arena_cap = 0;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static struct json_object *obj_of(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

static void list_of(struct kc_audit_event *ev, enum kc_audit_list l, struct json_object *arr)
{
	if (!arr || !json_object_is_type(arr, json_type_array))
		return;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_string))
			continue;
		if (ev->nlist[l] < KC_AUDIT_MAX_LIST)
			ev->list[l][ev->nlist[l]] = json_object_get_string(it);
		ev->nlist[l]++;
	}
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* roleRef cannot change (pkg/apis/rbac/validation ValidateClusterRoleBindingUpdate /
 * ValidateRoleBindingUpdate: "cannot change roleRef"), so a patch of a binding's subjects binds
 * them to the role it already has: the response shows it (RequestResponse level), and the
 * bootstrap binding `cluster-admin` always names ClusterRole cluster-admin
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go ClusterRoleBindings). */
static struct json_object *known_role_ref(const struct kc_audit_event *ev, struct json_object *resp)
{
	struct json_object *rr = resp && json_object_is_type(resp, json_type_object) ? obj_of(resp, "roleRef") : NULL;
	if (rr)
		return json_object_get(rr);
	const char *res = ev->f[KC_AF_RESOURCE], *name = ev->f[KC_AF_NAME];
	if (!res || strcmp(res, "clusterrolebindings") != 0 || !name || strcmp(name, "cluster-admin") != 0)
		return NULL;
	rr = json_object_new_object();
	json_object_object_add(rr, "apiGroup", json_object_new_string("rbac.authorization.k8s.io"));
	json_object_object_add(rr, "kind", json_object_new_string("ClusterRole"));
	json_object_object_add(rr, "name", json_object_new_string("cluster-admin"));
	return rr;
}

/* A patch body in the object's shape (patch.h): JSON-patch operations become the object
 * they set; a binding's patch gains the roleRef it already has. */
static void patch_view(struct kc_audit_event *ev, struct json_object *ro, struct json_object *resp)
{
	struct json_object *view = NULL;
	if (json_object_is_type(ro, json_type_array))
		view = kc_audit_patch_view(ro);
	else if (json_object_is_type(ro, json_type_object))
		view = NULL;
	else
		return;
	const char *res = ev->f[KC_AF_RESOURCE];
	struct json_object *base = view ? view : ro;
	if (res && json_object_is_type(base, json_type_object) && !obj_of(base, "roleRef") &&
	    (strcmp(res, "clusterrolebindings") == 0 || strcmp(res, "rolebindings") == 0)) {
		struct json_object *rr = known_role_ref(ev, resp);
		if (rr) {
			if (!view) {
				/* a copy of the merge patch's members: the event's tree stays as logged */
				view = json_object_new_object();
				json_object_object_foreach(ro, k, v)
					json_object_object_add(view, k, json_object_get(v));
			}
			json_object_object_add(view, "roleRef", rr);
		}
	}
	if (view) {
		ev->patch_view = view;
		ev->request_object = view;
	}
}

int kc_audit_decode_object(struct kc_audit_event *ev, struct json_object *root)
{
	reset(ev);
	if (!root || !json_object_is_type(root, json_type_object))
		return kc_error_set(KC_EINVAL, "audit event: not a JSON object");
	ev->root = json_object_get(root);
	ev->f[KC_AF_AUDIT_ID] = str_of(root, "auditID");
	ev->f[KC_AF_STAGE] = str_of(root, "stage");
	ev->f[KC_AF_LEVEL] = str_of(root, "level");
	ev->f[KC_AF_VERB] = str_of(root, "verb");
	ev->f[KC_AF_USER_AGENT] = str_of(root, "userAgent");
	ev->f[KC_AF_REQUEST_URI] = str_of(root, "requestURI");
	ev->f[KC_AF_API_VERSION] = str_of(root, "apiVersion");

	struct json_object *user = obj_of(root, "user");
	ev->f[KC_AF_USER] = str_of(user, "username");
	list_of(ev, KC_AL_GROUPS, user ? member(user, "groups") : NULL);
	struct json_object *imp = obj_of(root, "impersonatedUser");
	ev->impersonated = imp != NULL;
	ev->f[KC_AF_IMP_USER] = str_of(imp, "username");
	list_of(ev, KC_AL_IMP_GROUPS, imp ? member(imp, "groups") : NULL);
	list_of(ev, KC_AL_SOURCE_IPS, member(root, "sourceIPs"));
	ev->f[KC_AF_SOURCE_IP] = ev->nlist[KC_AL_SOURCE_IPS] ? ev->list[KC_AL_SOURCE_IPS][0] : NULL;

	struct json_object *ref = obj_of(root, "objectRef");
	ev->f[KC_AF_NAMESPACE] = str_of(ref, "namespace");
	ev->f[KC_AF_RESOURCE] = str_of(ref, "resource");
	ev->f[KC_AF_SUBRESOURCE] = str_of(ref, "subresource");
	ev->f[KC_AF_NAME] = str_of(ref, "name");
	ev->f[KC_AF_API_GROUP] = str_of(ref, "apiGroup");

	struct json_object *ann = obj_of(root, "annotations");
	ev->f[KC_AF_DECISION] = str_of(ann, "authorization.k8s.io/decision");
	ev->f[KC_AF_REASON] = str_of(ann, "authorization.k8s.io/reason");

	const char *t = str_of(root, "stageTimestamp");
	if (!t)
		t = str_of(root, "requestReceivedTimestamp");
	if (!t)
		t = str_of(root, "timestamp");
	if (!t)
		t = str_of(obj_of(root, "metadata"), "creationTimestamp");
	ev->f[KC_AF_TIME] = t;

	struct json_object *rs = obj_of(root, "responseStatus");
	struct json_object *code = rs ? member(rs, "code") : NULL;
	if (code && json_object_is_type(code, json_type_int)) {
		int64_t c = json_object_get_int64(code);
		if (c >= 0 && c <= 999)
			ev->code = (int)c;
	}
	if (ev->code >= 0)
		kc_audit_code_text(ev);

	struct json_object *ro = member(root, "requestObject");
	ev->has_request_object = ro != NULL;
	ev->request_object = ro;
	if (ro && ev->f[KC_AF_VERB] && strcmp(ev->f[KC_AF_VERB], "patch") == 0)
		patch_view(ev, ro, member(root, "responseObject"));
	return 0;
}

int kc_audit_decode(struct kc_audit_event *ev, const char *json, size_t len)
{
	reset(ev);
	struct json_tokener *tok = json_tokener_new_ex(64);
	if (!tok)
		return kc_error_set(KC_EGENERIC, "out of memory");
	/* Strict: the scanner accepts only standard JSON, so both decoders see the same events. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *root = json_tokener_parse_ex(tok, json, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = tok->char_offset;
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		return kc_error_set(KC_EINVAL, "audit event: %s", json_tokener_error_desc(jerr));
	}
	for (; used < len; used++)
		if (!isspace((unsigned char)json[used])) {
			json_object_put(root);
			return kc_error_set(KC_EINVAL, "audit event: trailing bytes after the object");
		}
	int rc = kc_audit_decode_object(ev, root);
	json_object_put(root); /* the event holds its own reference */
	return rc;
}

enum kc_audit_stage kc_audit_stage_parse(const char *s)
{
	if (!s)
		return KC_STAGE_UNKNOWN;
	if (strcmp(s, "RequestReceived") == 0)
		return KC_STAGE_REQUEST_RECEIVED;
	if (strcmp(s, "ResponseStarted") == 0)
		return KC_STAGE_RESPONSE_STARTED;
	if (strcmp(s, "ResponseComplete") == 0)
		return KC_STAGE_RESPONSE_COMPLETE;
	if (strcmp(s, "Panic") == 0)
		return KC_STAGE_PANIC;
	return KC_STAGE_UNKNOWN;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends a URL-decoded query value. */
static void put_urldecoded(struct kc_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			char c = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
			kc_buf_putc(b, c ? c : ' ');
			i += 2;
		} else {
			kc_buf_putc(b, s[i] == '+' ? ' ' : s[i]);
		}
	}
}

char *kc_audit_command(const struct kc_audit_event *ev)
{
	struct kc_buf b = KC_BUF_INIT;
	if (ev->has_request_object) {
		struct json_object *cmd = ev->request_object ? member(ev->request_object, "command") : NULL;
		if (ev->request_object && json_object_is_type(ev->request_object, json_type_object) &&
		    cmd && json_object_is_type(cmd, json_type_array)) {
			size_t n = json_object_array_length(cmd);
			for (size_t i = 0; i < n; i++) {
				struct json_object *it = json_object_array_get_idx(cmd, i);
				if (!json_object_is_type(it, json_type_string))
					continue;
				if (b.len)
					kc_buf_putc(&b, ' ');
				kc_buf_puts(&b, json_object_get_string(it));
			}
		}
	}
	if (!b.len && ev->f[KC_AF_REQUEST_URI]) {
		const char *q = strchr(ev->f[KC_AF_REQUEST_URI], '?');
		while (q) {
			q++;
			const char *end = strchr(q, '&');
			size_t n = end ? (size_t)(end - q) : strlen(q);
			if (n > 8 && strncmp(q, "command=", 8) == 0) {
				if (b.len)
					kc_buf_putc(&b, ' ');
				put_urldecoded(&b, q + 8, n - 8);
			}
			q = end;
		}
	}
	if (!b.len) {
		kc_buf_clear(&b);
		return NULL;
	}
	return kc_buf_detach(&b);
}

/* Parses "YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|±HH:MM]"; the panther/EKS exports use a space. */
int64_t kc_audit_time_ms(const char *t)
{
	if (!t)
		return -1;
	int Y, M, D, h, m, s, n = 0;
	char sep;
	if (sscanf(t, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &Y, &M, &D, &sep, &h, &m, &s, &n) != 7 ||
	    (sep != 'T' && sep != 't' && sep != ' ') || M < 1 || M > 12 || D < 1 || D > 31 ||
	    h > 23 || m > 59 || s > 60)
		return -1;
	const char *p = t + n;
	int64_t ms = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	int64_t off = 0;
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
		int oh = 0, om = 0;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) >= 1)
			off = (int64_t)(oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
	}
	struct tm tm = { 0 };
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = s;
	int64_t secs = (int64_t)timegm(&tm) - off;
	return secs * 1000 + ms;
}

char *kc_audit_time_rfc3339(const char *t)
{
	int64_t ms = kc_audit_time_ms(t);
	if (ms < 0)
		return kc_time_now_rfc3339();
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char out[64];
	snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return kc_strdup(out);
}

void kc_audit_code_text(struct kc_audit_event *ev)
{
	char *o = ev->code_text;
	int c = ev->code;
	if (c >= 100)
		*o++ = (char)('0' + c / 100);
	if (c >= 10)
		*o++ = (char)('0' + c / 10 % 10);
	*o++ = (char)('0' + c % 10);
	*o = '\0';
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int kc_audit_event_same_header(const struct kc_audit_event *a, const struct kc_audit_event *b)
{
	for (int i = 0; i < KC_AF_NSCALAR; i++)
		if (!same_str(a->f[i], b->f[i]))
			return 0;
	for (int l = 0; l < KC_AL_N; l++) {
		if (a->nlist[l] != b->nlist[l])
			return 0;
		for (unsigned i = 0; i < a->nlist[l] && i < KC_AUDIT_MAX_LIST; i++)
			if (!same_str(a->list[l][i], b->list[l][i]))
				return 0;
	}
	return a->code == b->code && a->impersonated == b->impersonated &&
	       a->has_request_object == b->has_request_object;
}
