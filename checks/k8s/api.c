/* The live path: LIST every collection section 5 needs from the API server with libcurl, page
 * by page (limit + continue), gzip-compressed, retrying 429 and 5xx with backoff, and decode
 * each item with the same decoder the manifest reader uses. Read-only: GET requests only; the
 * writer for reports (checks/k8s/client.h, at the end) shares the client and its retries. */
#include "checks/k8s/index.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks/k8s/arena.h"
#include "checks/k8s/client.h"
#include "checks/k8s/decode.h"
#include "checks/k8s/execcred.h"
#include "checks/k8s/kubeconfig.h"
#include "common/error.h"
#include "common/strbuf.h"

#define MAX_BODY (512L * 1024 * 1024)
#define MAX_PAGES 100000
#define MAX_BACKOFF_MS 30000L

struct client {
	CURL *curl;
	struct curl_slist *headers;
	struct curl_slist *connect_to;  /* tls-server-name: connect to the server, name it as this */
	char *url_server;               /* the server as requests name it (tls-server-name as host) */
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

/* tls-server-name (client-go rest.TLSClientConfig.ServerName): the name sent in SNI and
 * checked against the certificate, while the connection goes to the server's address. With
 * libcurl the URL's host is what SNI and verification use, so requests name the server as
 * tls-server-name and CURLOPT_CONNECT_TO sends them to the real host and port. */
static int tls_server_name(struct client *cl)
{
	const char *srv = cl->creds.server, *tsn = cl->creds.tls_server_name;
	if (!tsn || !*tsn || strncmp(srv, "https://", 8) != 0) {
		cl->url_server = kc_strdup(srv);
		return 0;
	}
	const char *host = srv + 8, *path = host + strcspn(host, "/");
	const char *host_end = path, *port = "443";
	char portbuf[16];
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(path - host));
		if (!rb)
			return -1;
		host_end = rb + 1;
	} else {
		const char *colon = memchr(host, ':', (size_t)(path - host));
		if (colon)
			host_end = colon;
	}
	if (*host_end == ':') {
		snprintf(portbuf, sizeof(portbuf), "%.*s", (int)(path - host_end - 1), host_end + 1);
		port = portbuf;
	}
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s:%s:%.*s:%s", tsn, port, (int)(host_end - host), host, port);
	cl->connect_to = curl_slist_append(NULL, b.ptr);
	kc_buf_reset(&b);
	kc_buf_printf(&b, "https://%s:%s%s", tsn, port, path);
	cl->url_server = kc_buf_detach(&b);
	return cl->connect_to && curl_easy_setopt(cl->curl, CURLOPT_CONNECT_TO, cl->connect_to) == CURLE_OK ? 0 : -1;
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
		kc_buf_clear(&h);
	} else if (k->username) {
		bad |= curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK;
		bad |= curl_easy_setopt(c, CURLOPT_USERNAME, k->username) != CURLE_OK;
		bad |= curl_easy_setopt(c, CURLOPT_PASSWORD, k->password ? k->password : "") != CURLE_OK;
	}
	bad |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, cl->headers) != CURLE_OK;
	bad |= tls_server_name(cl) < 0;
	if (bad)
		return kc_error_set(KC_EGENERIC, "libcurl rejected an option (is it built with OpenSSL and blob support?)");
	return 0;
}

static void client_clear(struct client *cl)
{
	if (cl->curl)
		curl_easy_cleanup(cl->curl);
	curl_slist_free_all(cl->headers);
	curl_slist_free_all(cl->connect_to);
	free(cl->url_server);
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
		/* libcurl reports 0 when there is no Retry-After header: only a positive value is the
		 * server's word; otherwise back off exponentially */
		long delay = cl->retry_base_ms << (attempt < 10 ? attempt : 10);
		if (retry_after > 0)
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
	size_t nskipped;            /* items the decoder refused: not judged, so no PASS */
	char *first_skip;
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
	struct kc_buf req = KC_BUF_INIT;
	if (*res->group) {
		kc_buf_printf(&req, "%s/apis/%s/%s", cl->url_server, res->group, res->version);
		kc_buf_printf(&base, "%s/apis/%s/%s", cl->creds.server, res->group, res->version);
		kc_buf_printf(&api_version, "%s/%s", res->group, res->version);
	} else {
		kc_buf_printf(&req, "%s/api/%s", cl->url_server, res->version);
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
		kc_buf_printf(&url, "%s/%s?limit=%ld", req.ptr, res->plural, cl->page_limit);
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
			if (kc_k8s_decode(l->arena, json_object_array_get_idx(items, i), &ctx, 0, &ob) < 0) {
				/* not judged (e.g. a NUL in a string): counted, so that no check PASSes over it */
				if (!l->nskipped++) {
					struct kc_buf m = KC_BUF_INIT;
					kc_buf_printf(&m, "%s: item %zu: %s; skipped", url.ptr, i, kc_error_last());
					l->first_skip = kc_buf_detach(&m);
				}
				continue;
			}
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
	kc_buf_clear(&b.buf);
	kc_buf_clear(&base);
	kc_buf_clear(&req);
	kc_buf_clear(&url);
	kc_buf_clear(&api_version);
	kc_buf_clear(&rname);
	return rc;
}

/* ---- exec credential plugins: one run per credential lifetime, per process ---- */

static pthread_mutex_t exec_lock = PTHREAD_MUTEX_INITIALIZER;
static char *exec_key;                  /* what the cached credential was made by */
static struct kc_exec_credential exec_cache;

static char *exec_cache_key(const struct kc_exec_config *x, const char *server)
{
	struct kc_buf b = KC_BUF_INIT;
	kc_buf_printf(&b, "%s\n%s\n%s", server, x->api_version, x->command);
	for (char **a = x->args; a && *a; a++)
		kc_buf_printf(&b, "\n%s", *a);
	for (char **e = x->env; e && *e; e++)
		kc_buf_printf(&b, "\n%s", *e);
	return kc_buf_detach(&b);
}

static unsigned char *memdup(const unsigned char *p, size_t n)
{
	unsigned char *d = kc_xmalloc(n ? n : 1);
	memcpy(d, p, n);
	return d;
}

/* Fills creds from the plugin, reusing the credential until its expirationTimestamp (with
 * a margin, so that it does not expire in the middle of the listing). */
static int exec_credentials(struct kc_k8s_creds *k)
{
	char *key = exec_cache_key(k->exec, k->server);
	int rc = 0;
	pthread_mutex_lock(&exec_lock);
	int fresh = exec_key && strcmp(exec_key, key) == 0 &&
		    (exec_cache.expires == 0 || time(NULL) + 60 < exec_cache.expires);
	if (!fresh) {
		struct kc_exec_cluster info = { k->server, k->tls_server_name, k->ca_data, k->ca_len, k->insecure };
		struct kc_exec_credential cred;
		rc = kc_execcred_run(k->exec, &info, &cred);
		if (rc == 0) {
			kc_execcred_clear(&exec_cache);
			free(exec_key);
			exec_cache = cred;
			exec_key = key;
			key = NULL;
		}
	}
	if (rc == 0) {
		if (exec_cache.token) {
			free(k->token);
			k->token = kc_strdup(exec_cache.token);
		}
		if (exec_cache.cert_data) {
			free(k->cert_data);
			free(k->key_data);
			k->cert_data = memdup(exec_cache.cert_data, exec_cache.cert_len);
			k->cert_len = exec_cache.cert_len;
			k->key_data = memdup(exec_cache.key_data, exec_cache.key_len);
			k->key_len = exec_cache.key_len;
		}
	}
	pthread_mutex_unlock(&exec_lock);
	free(key);
	return rc;
}

/* ---- concurrent listing ---- */

#define MAX_LISTERS 4

struct job {
	struct listing l;
	int rc;
	char *err;
};

struct lister {
	struct client cl;               /* a copy of the main client with its own handle */
	struct kc_cluster *c;
	struct job *jobs;
	atomic_int *next;
	atomic_int *stop;               /* a 401: the credentials are bad for every collection */
};

static void *lister_main(void *arg)
{
	struct lister *w = arg;
	for (;;) {
		int r = atomic_fetch_add(w->next, 1);
		if (r >= KC_RES_COUNT || atomic_load(w->stop))
			break;
		struct job *j = &w->jobs[r];
		j->l.arena = kc_arena_new();
		j->rc = list_resource(w->c, &w->cl, (enum kc_k8s_res)r, &j->l);
		if (j->rc < 0)
			j->err = kc_strdup(kc_error_last());
		if (j->rc == KC_EUNSAFE)
			atomic_store(w->stop, 1);
	}
	return NULL;
}

int kc_cluster_load_api(struct kc_cluster *c, const struct kc_kubeconfig_opts *opts)
{
	struct client cl = { 0 };
	struct job jobs[KC_RES_COUNT];
	memset(jobs, 0, sizeof(jobs));
	int rc = kc_kubeconfig_load(opts, &cl.creds);
	if (rc < 0)
		return rc;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cl.creds.exec && (rc = exec_credentials(&cl.creds)) < 0)
		goto cleanup;
	if ((rc = client_init(&cl, opts)) < 0)
		goto cleanup;
	free(c->server);
	c->server = kc_strdup(cl.creds.server);

	/* collections are listed by a few threads at once, each with its own libcurl handle
	 * (connections are not shared); results are merged in collection order afterwards */
	atomic_int next, stop;
	atomic_init(&next, 0);
	atomic_init(&stop, 0);
	struct lister ws[MAX_LISTERS];
	pthread_t tids[MAX_LISTERS];
	size_t started = 0;
	for (size_t t = 0; t < MAX_LISTERS; t++) {
		ws[t] = (struct lister){ cl, c, jobs, &next, &stop };
		if (t == 0) {
			/* this thread lists too, with the main handle: its messages land in its copy */
			curl_easy_setopt(cl.curl, CURLOPT_ERRORBUFFER, ws[0].cl.errbuf);
			continue;
		}
		ws[t].cl.curl = curl_easy_duphandle(cl.curl);
		if (!ws[t].cl.curl)
			break;
		curl_easy_setopt(ws[t].cl.curl, CURLOPT_ERRORBUFFER, ws[t].cl.errbuf);
		if (pthread_create(&tids[started], NULL, lister_main, &ws[t]) != 0) {
			curl_easy_cleanup(ws[t].cl.curl);
			break;
		}
		started++;
	}
	lister_main(&ws[0]);
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	for (size_t t = 1; t <= started; t++)
		curl_easy_cleanup(ws[t].cl.curl);

	size_t loaded = 0;
	rc = 0;
	for (int r = 0; r < KC_RES_COUNT && rc == 0; r++)
		if (jobs[r].rc == KC_EUNSAFE)
			rc = kc_error_set(KC_EUNSAFE, "%s", jobs[r].err);
	for (int r = 0; r < KC_RES_COUNT && rc == 0; r++) {
		struct job *j = &jobs[r];
		if (j->rc == KC_EIO && loaded == 0) {
			/* 401: nothing else will work either; EIO first: the server cannot be reached */
			rc = kc_error_set(j->rc, "%s", j->err);
		} else if (j->rc < 0) {
			free(c->res_error[r]);
			c->res_error[r] = kc_strdup(j->err);
			kc_cluster__warn(c, "%s", j->err);
		} else if (j->rc == 0) {
			loaded++;
		}
	}
cleanup:
	for (int r = 0; r < KC_RES_COUNT; r++) {
		if (rc == 0 && jobs[r].l.nskipped) {
			if (!c->nskipped)
				c->first_skip = c->nwarnings;
			c->nskipped += jobs[r].l.nskipped;
			kc_cluster__warn(c, "%s (%zu item%s of this collection not judged)", jobs[r].l.first_skip,
					 jobs[r].l.nskipped, jobs[r].l.nskipped == 1 ? "" : "s");
		}
		free(jobs[r].l.first_skip);
		if (jobs[r].l.arena) {
			if (rc == 0)
				kc_cluster__adopt(c, jobs[r].l.arena, jobs[r].l.objs, jobs[r].l.n);
			else
				kc_arena_free(jobs[r].l.arena);
		}
		free(jobs[r].l.objs);
		free(jobs[r].err);
	}
	client_clear(&cl);
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
	client_clear(&k->cl);
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
	kc_buf_clear(&b.buf);
	kc_buf_clear(&url);
	kc_buf_clear(&ct);
	return rc;
}
