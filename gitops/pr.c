#include "gitops/pr.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/input.h"
#include "common/redact.h"

#define MAX_RESPONSE (1u << 20)

int kc_pr_kind_parse(const char *s, enum kc_pr_kind *out)
{
	if (s && strcmp(s, "github") == 0)
		*out = KC_PR_GITHUB;
	else if (s && strcmp(s, "gitlab") == 0)
		*out = KC_PR_GITLAB;
	else if (s && strcmp(s, "gitea") == 0)
		*out = KC_PR_GITEA;
	else
		return kc_error_set(KC_EINVAL, "--pr \"%s\": expected github, gitlab or gitea", s ? s : "");
	return 0;
}

const char *kc_pr_kind_name(enum kc_pr_kind k)
{
	return k == KC_PR_GITHUB ? "github" : k == KC_PR_GITLAB ? "gitlab" : "gitea";
}

int kc_pr_read_token(const char *path, char **out)
{
	char line[4096], *data;
	size_t len;
	*out = NULL;
	int rc = kc_input_read(path, "token file", 64u << 10, &data, &len);
	if (rc < 0)
		return rc;
	/* the first line is the token */
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(data, "\n"), data);
	memset(data, 0, len);
	free(data);
	if (!line[0])
		return kc_error_set(KC_EINVAL, "the token file %s is empty", path);
	char *s = line, *e = line + strlen(line);
	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (!*s)
		return kc_error_set(KC_EINVAL, "the token file %s is empty", path);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return kc_error_set(KC_EINVAL, "the token in %s has characters a header cannot carry", path);
	*out = kc_strdup(s);
	memset(line, 0, sizeof(line));
	return 0;
}

static size_t collect(char *ptr, size_t size, size_t n, void *data)
{
	struct kc_buf *b = data;
	size_t len = size * n;
	if (b->len + len > MAX_RESPONSE)
		return 0; /* aborts the transfer */
	kc_buf_add(b, ptr, len);
	return len;
}

int kc_pr_url_ok(const char *api_url)
{
	if (!api_url || strncmp(api_url, "https://", 8) != 0) {
		kc_error_set(KC_EINVAL, "--pr-url must be an https:// API URL (the token would travel in clear)");
		return 0;
	}
	return 1;
}

void kc_pr_info_clear(struct kc_pr_info *i)
{
	free(i->url);
	free(i->body);
	memset(i, 0, sizeof(*i));
}

/* A forge's words may echo a header, a URL with credentials or the token itself. */
static char *scrub(const struct kc_pr_opts *o, const char *text)
{
	char *s = kc_redact_text(text);
	if (o->token && *o->token) {
		char *p;
		while ((p = strstr(s, o->token)) != NULL)
			memset(p, '*', strlen(o->token));
	}
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	/* "scheme://user:password@host": the userinfo goes */
	for (char *p = strstr(s, "://"); p; p = strstr(p + 3, "://")) {
		char *host = p + 3, *at = host;
		while (*at && *at != '@' && *at != '/' && *at != ' ' && *at != '"')
			at++;
		if (*at == '@')
			memmove(host, at + 1, strlen(at + 1) + 1);
	}
	return s;
}

/* The forge's own words about a failure ("message", GitLab's "message" array or
 * "error"), bounded and scrubbed; never the request. */
static void response_message(const struct kc_pr_opts *o, struct kc_buf *out, const char *body)
{
	struct json_object *j = json_tokener_parse(body), *m;
	const char *s = NULL;
	if (j && (json_object_object_get_ex(j, "message", &m) || json_object_object_get_ex(j, "error", &m)))
		s = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s && j && json_object_object_get_ex(j, "errors", &m))
		s = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *cut = kc_strndup(s ? s : body, strlen(s ? s : body) > 300 ? 300 : strlen(s ? s : body));
	char *clean = scrub(o, cut);
	kc_buf_puts(out, clean);
	free(clean);
	free(cut);
	if (j)
		json_object_put(j);
}

/* One API call: https only, no redirects (they would re-send the token), the token only in
 * its header. *status is the HTTP status; resp the body. */
static int call(const struct kc_pr_opts *o, const char *method, const char *url, const char *json, long *status,
		struct kc_buf *resp)
{
	struct kc_buf auth = KC_BUF_INIT;
	struct curl_slist *hdr = NULL;
	int rc = 0;
	*status = 0;
	if (!kc_pr_url_ok(o->api_url))
		return KC_EINVAL;
	if (!o->token || !*o->token)
		return kc_error_set(KC_EINVAL, "--pr needs a token (--token-file)");
	CURL *c = curl_easy_init();
	if (!c)
		return kc_error_set(KC_EGENERIC, "cannot initialise libcurl");
	if (o->kind == KC_PR_GITLAB)
		kc_buf_printf(&auth, "PRIVATE-TOKEN: %s", o->token);
	else
		kc_buf_printf(&auth, "Authorization: %s %s", o->kind == KC_PR_GITHUB ? "Bearer" : "token", o->token);
	if (json)
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, o->kind == KC_PR_GITHUB ? "Accept: application/vnd.github+json" : "Accept: application/json");
	if (o->kind == KC_PR_GITHUB)
		hdr = curl_slist_append(hdr, "X-GitHub-Api-Version: 2022-11-28");
	hdr = curl_slist_append(hdr, auth.ptr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (json) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	}
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kubecomply/" KC_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		rc = kc_error_set(KC_EGENERIC, "%s request %s %s failed: %s", kc_pr_kind_name(o->kind), method, url,
				  curl_easy_strerror(cc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	memset(auth.ptr, 0, auth.len); /* the header held the token */
	kc_buf_clear(&auth);
	return rc;
}

static int call_ok(const struct kc_pr_opts *o, const char *method, const char *url, const char *json,
		   struct kc_buf *resp)
{
	long status = 0;
	int rc = call(o, method, url, json, &status, resp);
	if (rc)
		return rc;
	if (status < 200 || status > 299) {
		struct kc_buf msg = KC_BUF_INIT;
		response_message(o, &msg, resp->ptr ? resp->ptr : "");
		rc = kc_error_set(KC_EGENERIC, "%s answered %ld to %s %s: %s", kc_pr_kind_name(o->kind), status, method, url,
				  msg.ptr ? msg.ptr : "");
		kc_buf_clear(&msg);
	}
	return rc;
}

/* <api>/<suffix> without a doubled slash */
static void api(const struct kc_pr_opts *o, struct kc_buf *url, const char *suffix)
{
	size_t ulen = strlen(o->api_url);
	while (ulen && o->api_url[ulen - 1] == '/')
		ulen--;
	kc_buf_add(url, o->api_url, ulen);
	kc_buf_puts(url, suffix);
}

static void put_escaped(struct kc_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			kc_buf_putc(b, (char)ch);
		else
			kc_buf_printf(b, "%%%02X", ch);
	}
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static long jlong(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? (long)json_object_get_int64(v) : 0;
}

static int fill_info(const struct kc_pr_opts *o, struct json_object *pr, struct kc_pr_info *out)
{
	const char *state = jstr(pr, "state");
	struct json_object *v;
	int merged = (json_object_object_get_ex(pr, "merged_at", &v) && v && !json_object_is_type(v, json_type_null)) ||
		     (json_object_object_get_ex(pr, "merged", &v) && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v)) ||
		     (state && strcmp(state, "merged") == 0);
	if (!state)
		return 0;
	out->state = merged ? KC_PR_MERGED
		   : (strcmp(state, "open") == 0 || strcmp(state, "opened") == 0) ? KC_PR_OPEN : KC_PR_CLOSED;
	out->number = jlong(pr, o->kind == KC_PR_GITLAB ? "iid" : "number");
	const char *u = jstr(pr, o->kind == KC_PR_GITLAB ? "web_url" : "html_url");
	const char *body = jstr(pr, o->kind == KC_PR_GITLAB ? "description" : "body");
	out->url = kc_strdup(u);
	out->body = kc_strdup(body);
	return 1;
}

/* owner of https://HOST/.../repos/OWNER/REPO, for GitHub's head=OWNER:BRANCH filter */
static char *github_owner(const char *api_url)
{
	const char *m = strstr(api_url, "/repos/");
	if (!m)
		return NULL;
	m += 7;
	const char *slash = strchr(m, '/');
	return slash && slash > m ? kc_strndup(m, (size_t)(slash - m)) : NULL;
}

int kc_pr_find(const struct kc_pr_opts *o, const char *head, const char *base, struct kc_pr_info *out)
{
	struct kc_buf url = KC_BUF_INIT, resp = KC_BUF_INIT;
	int rc;
	memset(out, 0, sizeof(*out));
	if (o->kind == KC_PR_GITHUB) {
		char *owner = github_owner(o->api_url);
		if (!owner) {
			kc_buf_clear(&url);
			return kc_error_set(KC_EINVAL, "--pr-url %s: expected .../repos/OWNER/REPO", o->api_url);
		}
		api(o, &url, "/pulls?state=all&per_page=20&head=");
		put_escaped(&url, owner);
		kc_buf_putc(&url, ':');
		put_escaped(&url, head);
		free(owner);
	} else if (o->kind == KC_PR_GITLAB) {
		api(o, &url, "/merge_requests?state=all&order_by=created_at&sort=desc&source_branch=");
		put_escaped(&url, head);
	} else {
		/* Gitea's list has no head filter; the newest 50 are plenty for one bot branch */
		api(o, &url, "/pulls?state=all&sort=recentupdate&limit=50");
	}
	if (o->kind != KC_PR_GITEA) {
		kc_buf_puts(&url, o->kind == KC_PR_GITHUB ? "&base=" : "&target_branch=");
		put_escaped(&url, base);
	}
	rc = call_ok(o, "GET", url.ptr, NULL, &resp);
	if (!rc) {
		struct json_object *j = json_tokener_parse(resp.ptr ? resp.ptr : "");
		size_t n = j && json_object_is_type(j, json_type_array) ? json_object_array_length(j) : 0;
		if (!j || !json_object_is_type(j, json_type_array))
			rc = kc_error_set(KC_EGENERIC, "%s answered GET %s with something that is not a list",
					  kc_pr_kind_name(o->kind), url.ptr);
		for (size_t i = 0; i < n && !rc; i++) {
			struct json_object *pr = json_object_array_get_idx(j, i), *h, *b;
			if (o->kind == KC_PR_GITEA) {
				const char *href = json_object_object_get_ex(pr, "head", &h) ? jstr(h, "ref") : NULL;
				const char *bref = json_object_object_get_ex(pr, "base", &b) ? jstr(b, "ref") : NULL;
				if (!href || !bref || strcmp(href, head) != 0 || strcmp(bref, base) != 0)
					continue;
			}
			/* the open one wins over older closed ones; else the newest */
			struct kc_pr_info cand = { 0 };
			if (!fill_info(o, pr, &cand))
				continue;
			if (out->state == KC_PR_NONE || (cand.state == KC_PR_OPEN && out->state != KC_PR_OPEN)) {
				kc_pr_info_clear(out);
				*out = cand;
			} else {
				kc_pr_info_clear(&cand);
			}
		}
		if (j)
			json_object_put(j);
	}
	kc_buf_clear(&url);
	kc_buf_clear(&resp);
	return rc;
}

static int set_labels(const struct kc_pr_opts *o, long number)
{
	struct kc_buf url = KC_BUF_INIT, req = KC_BUF_INIT, resp = KC_BUF_INIT;
	int rc;
	if (!o->nlabels || o->kind == KC_PR_GITLAB) /* GitLab takes them with the request itself */
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/issues/%ld/labels", number);
	api(o, &url, path);
	kc_buf_puts(&req, "{\"labels\":[");
	for (size_t i = 0; i < o->nlabels; i++) {
		if (i)
			kc_buf_putc(&req, ',');
		kc_buf_put_json_str(&req, o->labels[i]);
	}
	kc_buf_puts(&req, "]}");
	rc = call_ok(o, "POST", url.ptr, req.ptr, &resp);
	kc_buf_clear(&url);
	kc_buf_clear(&req);
	kc_buf_clear(&resp);
	return rc;
}

static void gitlab_labels(const struct kc_pr_opts *o, struct kc_buf *req)
{
	struct kc_buf l = KC_BUF_INIT;
	for (size_t i = 0; i < o->nlabels; i++)
		kc_buf_printf(&l, "%s%s", i ? "," : "", o->labels[i]);
	kc_buf_puts(req, ",\"labels\":");
	kc_buf_put_json_str(req, l.ptr ? l.ptr : "");
	kc_buf_clear(&l);
}

/* "Draft: " (GitLab) and "WIP: " (Gitea) are how those forges mark a draft by title */
static void put_title(const struct kc_pr_opts *o, struct kc_buf *req, const char *title)
{
	struct kc_buf t = KC_BUF_INIT;
	if (o->draft && o->kind == KC_PR_GITLAB)
		kc_buf_puts(&t, "Draft: ");
	else if (o->draft && o->kind == KC_PR_GITEA)
		kc_buf_puts(&t, "WIP: ");
	kc_buf_puts(&t, title);
	kc_buf_put_json_str(req, t.ptr);
	kc_buf_clear(&t);
}

int kc_pr_open(const struct kc_pr_opts *o, const char *head, const char *base, const char *title,
	       const char *body, char **url_out, int *existed)
{
	struct kc_buf url = KC_BUF_INIT, req = KC_BUF_INIT, resp = KC_BUF_INIT;
	struct kc_pr_info cur = { 0 };
	int rc;

	if (url_out)
		*url_out = NULL;
	*existed = 0;
	if (!kc_pr_url_ok(o->api_url))
		return KC_EINVAL;
	if (strlen(body) > KC_PR_BODY_MAX)
		return kc_error_set(KC_EINVAL, "the request body has %zu characters, more than the %d a forge takes",
				    strlen(body), KC_PR_BODY_MAX);
	if ((rc = kc_pr_find(o, head, base, &cur)) != 0)
		goto done;

	kc_buf_putc(&req, '{');
	if (cur.state == KC_PR_OPEN && cur.body && strcmp(cur.body, body) == 0) {
		/* already true: no request, nothing to notify reviewers about */
		*existed = 1;
		if (url_out)
			*url_out = kc_strdup(cur.url);
		goto done;
	}
	if (cur.state == KC_PR_OPEN) {
		/* the branch changed: the request says so, in place */
		char path[64];
		snprintf(path, sizeof(path), o->kind == KC_PR_GITLAB ? "/merge_requests/%ld" : "/pulls/%ld", cur.number);
		api(o, &url, path);
		kc_buf_puts(&req, "\"title\":");
		put_title(o, &req, title);
		kc_buf_puts(&req, o->kind == KC_PR_GITLAB ? ",\"description\":" : ",\"body\":");
		kc_buf_put_json_str(&req, body);
		if (o->kind == KC_PR_GITLAB)
			gitlab_labels(o, &req);
		kc_buf_putc(&req, '}');
		rc = call_ok(o, o->kind == KC_PR_GITLAB ? "PUT" : "PATCH", url.ptr, req.ptr, &resp);
		*existed = 1;
	} else {
		api(o, &url, o->kind == KC_PR_GITLAB ? "/merge_requests" : "/pulls");
		if (o->kind == KC_PR_GITLAB) {
			kc_buf_puts(&req, "\"source_branch\":");
			kc_buf_put_json_str(&req, head);
			kc_buf_puts(&req, ",\"target_branch\":");
			kc_buf_put_json_str(&req, base);
			kc_buf_puts(&req, ",\"title\":");
			put_title(o, &req, title);
			kc_buf_puts(&req, ",\"description\":");
			kc_buf_put_json_str(&req, body);
			gitlab_labels(o, &req);
			kc_buf_puts(&req, ",\"remove_source_branch\":true");
		} else {
			kc_buf_puts(&req, "\"title\":");
			put_title(o, &req, title);
			kc_buf_puts(&req, ",\"head\":");
			kc_buf_put_json_str(&req, head);
			kc_buf_puts(&req, ",\"base\":");
			kc_buf_put_json_str(&req, base);
			kc_buf_puts(&req, ",\"body\":");
			kc_buf_put_json_str(&req, body);
			if (o->kind == KC_PR_GITHUB && o->draft)
				kc_buf_puts(&req, ",\"draft\":true");
		}
		kc_buf_putc(&req, '}');
		rc = call_ok(o, "POST", url.ptr, req.ptr, &resp);
	}
	if (rc)
		goto done;
	struct json_object *j = json_tokener_parse(resp.ptr ? resp.ptr : "");
	long number = j ? jlong(j, o->kind == KC_PR_GITLAB ? "iid" : "number") : 0;
	const char *web = j ? jstr(j, o->kind == KC_PR_GITLAB ? "web_url" : "html_url") : NULL;
	if (number)
		cur.number = number;
	if (url_out)
		*url_out = kc_strdup(web ? web : cur.url);
	if (j)
		json_object_put(j);
	if (!cur.number && o->nlabels && o->kind != KC_PR_GITLAB) {
		rc = kc_error_set(KC_EGENERIC, "%s did not say which number the request has; labels not set",
				  kc_pr_kind_name(o->kind));
		goto done;
	}
	rc = set_labels(o, cur.number);
done:
	kc_pr_info_clear(&cur);
	kc_buf_clear(&url);
	kc_buf_clear(&req);
	kc_buf_clear(&resp);
	return rc;
}

/* "https://HOST/api/v3/repos/O/R" or "https://api.github.com/repos/O/R" -> web base. */
static int web_base(const struct kc_pr_opts *o, struct kc_buf *out)
{
	const char *u = o->api_url;
	if (!u || strncmp(u, "https://", 8) != 0)
		return -1;
	const char *host = u + 8, *path = strchr(host, '/');
	if (!path)
		return -1;
	const char *marker = o->kind == KC_PR_GITLAB ? "/api/v4/projects/" : o->kind == KC_PR_GITEA ? "/api/v1/repos/" : "/repos/";
	const char *m = strstr(path, marker);
	if (!m)
		return -1;
	const char *repo = m + strlen(marker);
	if (o->kind == KC_PR_GITHUB && strncmp(host, "api.github.com/", 15) == 0)
		kc_buf_puts(out, "https://github.com/");
	else
		kc_buf_printf(out, "https://%.*s/", (int)(path - host), host);
	size_t n = strlen(repo);
	while (n && repo[n - 1] == '/')
		n--;
	for (size_t i = 0; i < n; i++) {
		/* GitLab's url-encoded "group%2Fproject" */
		if (repo[i] == '%' && i + 2 < n && repo[i + 1] == '2' && (repo[i + 2] == 'F' || repo[i + 2] == 'f')) {
			kc_buf_putc(out, '/');
			i += 2;
		} else {
			kc_buf_putc(out, repo[i]);
		}
	}
	/* a numeric GitLab project id has no web path */
	return o->kind == KC_PR_GITLAB && strspn(repo, "0123456789") == n ? -1 : 0;
}

void kc_pr_manual(struct kc_buf *out, const struct kc_pr_opts *o, const char *head, const char *base,
		  const char *title, const char *body)
{
	struct kc_buf web = KC_BUF_INIT;
	kc_buf_printf(out, "The branch %s is pushed; open the %s by hand", head,
		      o->kind == KC_PR_GITLAB ? "merge request" : "pull request");
	if (web_base(o, &web) == 0) {
		if (o->kind == KC_PR_GITLAB)
			kc_buf_printf(out, ":\n  %s/-/merge_requests/new?merge_request%%5Bsource_branch%%5D=%s&merge_request%%5Btarget_branch%%5D=%s\n",
				      web.ptr, head, base);
		else
			kc_buf_printf(out, ":\n  %s/compare/%s...%s%s\n", web.ptr, base, head,
				      o->kind == KC_PR_GITHUB ? "?expand=1" : "");
	} else {
		kc_buf_printf(out, " from %s into %s.\n", head, base);
	}
	kc_buf_printf(out, "Title:\n  %s\nBody:\n%s", title, body);
	if (!body[0] || body[strlen(body) - 1] != '\n')
		kc_buf_putc(out, '\n');
	kc_buf_clear(&web);
}
