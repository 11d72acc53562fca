/* The live path: LIST every collection section 5 needs from the API server with libcurl, page
 * by page (limit + continue), gzip-compressed, retrying 429 and 5xx with backoff, and decode
 * each item with the same decoder the manifest reader uses. Read-only: GET requests only; the
 * writer for reports (checks/k8s/client.h, at the end) shares the client and its retries. */
#include "checks/k8s/index.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks/k8s/arena.h"
#include "checks/k8s/client.h"
#include "checks/k8s/decode.h"
#include "checks/k8s/kubeconfig.h"
#include "common/error.h"
#include "common/strbuf.h"

#define MAX_BODY (512L * 1024 * 1024)
#define MAX_PAGES 100000
#define MAX_BACKOFF_MS 30000L

struct client {
	CURL *curl;
	struct curl_slist *headers;
	struct kc_k8s_creds creds;
	long timeout_ms, connect_timeout_ms, retry_base_ms, page_limit;
	int max_retries;
	char errbuf[CURL_ERROR_SIZE];
};

struct body {
	struct kc_buf buf;
	int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;
	if (b->buf.len + n > (size_t)MAX_BODY) {
		b->too_big = 1;
		return 0;
	}
	kc_buf_add(&b->buf, ptr, n);
	return n;
}

static int blob(CURL *c, CURLoption opt, unsigned char *data, size_t len)
{
	struct curl_blob bl = { .data = data, .len = len, .flags = CURL_BLOB_COPY };
	return curl_easy_setopt(c, opt, &bl) == CURLE_OK ? 0 : -1;
}

static int client_init(struct client *cl, const struct kc_kubeconfig_opts *o)
{
	cl->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
	cl->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
	cl->retry_base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : 500;
	cl->max_retries = o->max_retries > 0 ? o->max_retries : o->max_retries < 0 ? 0 : 5;
	cl->page_limit = o->page_limit > 0 ? o->page_limit : 500;
	cl->curl = curl_easy_init();
	if (!cl->curl)
		return kc_error_set(KC_EGENERIC, "cannot initialise libcurl");
	CURL *c = cl->curl;
	const struct kc_k8s_creds *k = &cl->creds;
	int bad = 0;
	bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cl->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK; /* every encoding libcurl decodes, gzip included */
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cl->timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cl->connect_timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "kubecomply/" KC_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	/* verification stays on unless the kubeconfig itself says insecure-skip-tls-verify */
	bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, k->insecure ? 0L : 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, k->insecure ? 0L : 2L) != CURLE_OK;
	if (k->ca_data)
		bad |= blob(c, CURLOPT_CAINFO_BLOB, k->ca_data, k->ca_len);
	else if (k->ca_file)
		bad |= curl_easy_setopt(c, CURLOPT_CAINFO, k->ca_file) != CURLE_OK;
	if (k->cert_data)
		bad |= blob(c, CURLOPT_SSLCERT_BLOB, k->cert_data, k->cert_len);
	else if (k->cert_file)
		bad |= curl_easy_setopt(c, CURLOPT_SSLCERT, k->cert_file) != CURLE_OK;
	if (k->key_data)
		bad |= blob(c, CURLOPT_SSLKEY_BLOB, k->key_data, k->key_len);
	else if (k->key_file)
		bad |= curl_easy_setopt(c, CURLOPT_SSLKEY, k->key_file) != CURLE_OK;
	cl->headers = curl_slist_append(NULL, "Accept: application/json");
	if (k->token) {
		struct kc_buf h = KC_BUF_INIT;
		kc_buf_printf(&h, "Authorization: Bearer %s", k->token);
		cl->headers = curl_slist_append(cl->headers, h.ptr);
		memset(h.ptr, 0, h.len);
		kc_buf_free(&h);
	} else if (k->username) {
		bad |= curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK;
		bad |= curl_easy_setopt(c, CURLOPT_USERNAME, k->username) != CURLE_OK;
		bad |= curl_easy_setopt(c, CURLOPT_PASSWORD, k->password ? k->password : "") != CURLE_OK;
	}
	bad |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, cl->headers) != CURLE_OK;
	if (bad)
		return kc_error_set(KC_EGENERIC, "libcurl rejected an option (is it built with OpenSSL and blob support?)");
	return 0;
}

static void client_free(struct client *cl)
{
	if (cl->curl)
		curl_easy_cleanup(cl->curl);
	curl_slist_free_all(cl->headers);
	kc_k8s_creds_clear(&cl->creds);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static int retryable_transport(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SEND_ERROR ||
	       rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE ||
	       rc == CURLE_COULDNT_RESOLVE_HOST;
}

/* GET with retries. Returns 0 with *status and body, or a negative code when the request
 * could not be completed at all. */
static int get(struct client *cl, const char *url, long *status, struct body *b)
{
	for (int attempt = 0;; attempt++) {
		kc_buf_reset(&b->buf);
		b->too_big = 0;
		cl->errbuf[0] = '\0';
		curl_easy_setopt(cl->curl, CURLOPT_URL, url);
		curl_easy_setopt(cl->curl, CURLOPT_WRITEDATA, b);
		CURLcode rc = curl_easy_perform(cl->curl);
		long code = 0;
		curl_off_t retry_after = -1;
		if (rc == CURLE_OK) {
			curl_easy_getinfo(cl->curl, CURLINFO_RESPONSE_CODE, &code);
			curl_easy_getinfo(cl->curl, CURLINFO_RETRY_AFTER, &retry_after);
		}
		int again = rc == CURLE_OK ? (code == 429 || (code >= 500 && code <= 504)) : retryable_transport(rc);
		if (!again || attempt >= cl->max_retries) {
			if (rc != CURLE_OK)
				return kc_error_set(b->too_big ? KC_EINVAL : KC_EIO, "%s: %s", url,
						    b->too_big ? "response larger than 512 MiB"
						    : cl->errbuf[0] ? cl->errbuf : curl_easy_strerror(rc));
			*status = code;
			return 0;
		}
		long delay = cl->retry_base_ms << (attempt < 10 ? attempt : 10);
		if (retry_after >= 0)
			delay = (long)retry_after * 1000;
		sleep_ms(delay > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : delay);
	}
}

/* "pods" or "clusterrolebindings.rbac.authorization.k8s.io", as RBAC rules name them. */
static void resource_name(struct kc_buf *b, const struct kc_k8s_resource *res)
{
	kc_buf_puts(b, res->plural);
	if (*res->group)
		kc_buf_printf(b, ".%s", res->group);
}

static const char *status_message(const struct body *b)
{
	static _Thread_local char msg[512];
	msg[0] = '\0';
	struct json_object *o = json_tokener_parse(b->buf.ptr);
	struct json_object *m;
	if (o && json_object_object_get_ex(o, "message", &m) && json_object_is_type(m, json_type_string))
		snprintf(msg, sizeof(msg), "%s", json_object_get_string(m));
	json_object_put(o);
	return msg;
}

struct listing {
	struct kc_arena *arena;
	struct kc_k8s_obj **objs;
	size_t n, cap;
};

/* One collection, every page. Returns 0, 1 when absent (optional 404), or negative with the
 * error message (403 names the permission). */
static int list_resource(struct kc_cluster *c, struct client *cl, enum kc_k8s_res r, struct listing *l)
{
	const struct kc_k8s_resource *res = kc_k8s_resource(r);
	struct kc_buf base = KC_BUF_INIT, url = KC_BUF_INIT, api_version = KC_BUF_INIT, rname = KC_BUF_INIT;
	struct body b = { KC_BUF_INIT, 0 };
	char *cont = NULL;
	int rc = 0, restarted = 0;
	if (*res->group) {
		kc_buf_printf(&base, "%s/apis/%s/%s", cl->creds.server, res->group, res->version);
		kc_buf_printf(&api_version, "%s/%s", res->group, res->version);
	} else {
		kc_buf_printf(&base, "%s/api/%s", cl->creds.server, res->version);
		kc_buf_puts(&api_version, res->version);
	}
	resource_name(&rname, res);
	struct kc_k8s_src *src = kc_arena_alloc(l->arena, sizeof(*src));
	src->path = kc_arena_strdup(l->arena, base.ptr);
	src->api = 1;
	src->resource = res->plural;
	struct kc_k8s_decode_ctx ctx = { .kind_hint = res->kind, .api_version_hint = kc_arena_strdup(l->arena, api_version.ptr),
					 .default_ns = NULL, .src = src };
	size_t first = l->n;
	for (int page = 0; page < MAX_PAGES; page++) {
		kc_buf_reset(&url);
		kc_buf_printf(&url, "%s/%s?limit=%ld", base.ptr, res->plural, cl->page_limit);
		if (cont) {
			char *esc = curl_easy_escape(cl->curl, cont, 0);
			kc_buf_printf(&url, "&continue=%s", esc ? esc : "");
			curl_free(esc);
		}
		long status = 0;
		if ((rc = get(cl, url.ptr, &status, &b)) < 0)
			break;
		if (status == 404 && res->optional) {
			rc = 1;
			break;
		}
		if (status == 410 && cont && !restarted) {
			/* the continue token expired: start the collection over, once */
			restarted = 1;
			l->n = first;
			free(cont);
			cont = NULL;
			page = -1;
			continue;
		}
		if (status == 401) {
			rc = kc_error_set(KC_EUNSAFE, "%s: 401 Unauthorized: the API server rejected the credentials of "
					  "context '%s'%s%s", url.ptr, cl->creds.context ? cl->creds.context : "",
					  *status_message(&b) ? ": " : "", status_message(&b));
			break;
		}
		if (status == 403) {
			rc = kc_error_set(KC_EGENERIC, "cannot list %s: 403 Forbidden; the auditor needs permission to "
					  "\"list %s at cluster scope\" (see deploy/rbac/clusterrole-readonly.yaml)%s%s",
					  rname.ptr, rname.ptr, *status_message(&b) ? ": " : "", status_message(&b));
			break;
		}
		if (status != 200) {
			rc = kc_error_set(KC_EGENERIC, "cannot list %s: HTTP %ld from %s%s%s", rname.ptr, status, url.ptr,
					  *status_message(&b) ? ": " : "", status_message(&b));
			break;
		}
		struct json_object *o = json_tokener_parse(b.buf.ptr);
		struct json_object *items = NULL, *meta = NULL, *next = NULL;
		if (!o || !json_object_object_get_ex(o, "items", &items) || !json_object_is_type(items, json_type_array)) {
			json_object_put(o);
			rc = kc_error_set(KC_EINVAL, "cannot list %s: %s did not return a list", rname.ptr, url.ptr);
			break;
		}
		size_t n = json_object_array_length(items);
		for (size_t i = 0; i < n; i++) {
			struct kc_k8s_obj *ob;
			if (kc_k8s_decode(l->arena, json_object_array_get_idx(items, i), &ctx, 0, &ob) < 0)
				continue; /* an item that is not an object: the server's problem, not ours */
			l->objs = kc_array_grow(l->objs, &l->cap, l->n + 1, sizeof(*l->objs));
			l->objs[l->n++] = ob;
		}
		free(cont);
		cont = NULL;
		if (json_object_object_get_ex(o, "metadata", &meta) && json_object_object_get_ex(meta, "continue", &next) &&
		    json_object_is_type(next, json_type_string) && *json_object_get_string(next))
			cont = kc_strdup(json_object_get_string(next));
		json_object_put(o);
		if (!cont)
			break;
	}
	if (rc != 0)
		l->n = first;
	free(cont);
	kc_buf_free(&b.buf);
	kc_buf_free(&base);
	kc_buf_free(&url);
	kc_buf_free(&api_version);
	kc_buf_free(&rname);
	return rc;
}

int kc_cluster_load_api(struct kc_cluster *c, const struct kc_kubeconfig_opts *opts)
{
	struct client cl = { 0 };
	struct listing l = { 0 };
	int rc = kc_kubeconfig_load(opts, &cl.creds);
	if (rc < 0)
		return rc;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((rc = client_init(&cl, opts)) < 0)
		goto cleanup;
	free(c->server);
	c->server = kc_strdup(cl.creds.server);
	l.arena = kc_arena_new();
	size_t loaded = 0;
	for (int r = 0; r < KC_RES_COUNT; r++) {
		rc = list_resource(c, &cl, (enum kc_k8s_res)r, &l);
		if (rc == KC_EUNSAFE) /* 401: nothing else will work either */
			goto cleanup;
		if (rc == KC_EIO && loaded == 0) /* the server cannot be reached at all */
			goto cleanup;
		if (rc < 0) {
			free(c->res_error[r]);
			c->res_error[r] = kc_strdup(kc_error_last());
			kc_cluster__warn(c, "%s", kc_error_last());
		} else if (rc == 0) {
			loaded++;
		}
	}
	rc = 0;
cleanup:
	if (l.arena)
		kc_cluster__adopt(c, l.arena, l.objs, l.n);
	free(l.objs);
	client_free(&cl);
	return rc;
}

/* ---- writers (checks/k8s/client.h) ---- */

struct kc_k8s_client {
	struct client cl;
};

int kc_k8s_client_open(const struct kc_kubeconfig_opts *opts, struct kc_k8s_client **out)
{
	struct kc_k8s_client *k = kc_xcalloc(1, sizeof(*k));
	int rc = kc_kubeconfig_load(opts, &k->cl.creds);
	if (rc == 0) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = client_init(&k->cl, opts);
	}
	if (rc < 0) {
		kc_k8s_client_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void kc_k8s_client_free(struct kc_k8s_client *k)
{
	if (!k)
		return;
	client_free(&k->cl);
	free(k);
}

const char *kc_k8s_client_server(const struct kc_k8s_client *k)
{
	return k->cl.creds.server;
}

int kc_k8s_client_request(struct kc_k8s_client *k, const char *method, const char *path, const char *body,
			  size_t len, const char *content_type, long *status, struct kc_buf *out)
{
	struct client *cl = &k->cl;
	struct kc_buf url = KC_BUF_INIT, ct = KC_BUF_INIT;
	struct body b = { .buf = KC_BUF_INIT };
	kc_buf_printf(&url, "%s%s", cl->creds.server, path);
	struct curl_slist *headers = NULL;
	for (struct curl_slist *h = cl->headers; h; h = h->next)
		headers = curl_slist_append(headers, h->data);
	if (content_type) {
		kc_buf_printf(&ct, "Content-Type: %s", content_type);
		headers = curl_slist_append(headers, ct.ptr);
	}
	curl_easy_setopt(cl->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(cl->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(cl->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(cl->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	int rc = get(cl, url.ptr, status, &b);
	/* back to the read-only defaults */
	curl_easy_setopt(cl->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(cl->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(cl->curl, CURLOPT_HTTPHEADER, cl->headers);
	curl_slist_free_all(headers);
	kc_buf_reset(out);
	if (rc == 0)
		kc_buf_add(out, b.buf.ptr, b.buf.len);
	kc_buf_free(&b.buf);
	kc_buf_free(&url);
	kc_buf_free(&ct);
	return rc;
}
