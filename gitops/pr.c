#include "gitops/pr.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/input.h"

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

/* The forge's own words about a failure ("message", GitLab's "message" array or
 * "error"), bounded; never the request. */
static void response_message(struct kc_buf *out, const char *body)
{
	struct json_object *o = json_tokener_parse(body), *m;
	const char *s = NULL;
	if (o && (json_object_object_get_ex(o, "message", &m) || json_object_object_get_ex(o, "error", &m)))
		s = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s && o && json_object_object_get_ex(o, "errors", &m))
		s = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		kc_buf_add(out, s, strlen(s) > 300 ? 300 : strlen(s));
	else
		kc_buf_add(out, body, strlen(body) > 200 ? 200 : strlen(body));
	if (o)
		json_object_put(o);
}

static int already_exists(enum kc_pr_kind kind, long status, const char *body)
{
	if (status == 409)
		return 1;
	return status == 422 && kind != KC_PR_GITLAB && strstr(body, "already exist") != NULL;
}

int kc_pr_open(const struct kc_pr_opts *o, const char *head, const char *base, const char *title,
	       const char *body, char **url_out, int *existed)
{
	struct kc_buf url = KC_BUF_INIT, req = KC_BUF_INIT, resp = KC_BUF_INIT, auth = KC_BUF_INIT, msg = KC_BUF_INIT;
	struct curl_slist *hdr = NULL;
	CURL *c = NULL;
	long status = 0;
	int rc = 0;

	if (url_out)
		*url_out = NULL;
	*existed = 0;
	if (!o->api_url || strncmp(o->api_url, "https://", 8) != 0)
		return kc_error_set(KC_EINVAL, "--pr-url must be an https:// API URL (the token would travel in clear)");
	if (!o->token || !*o->token)
		return kc_error_set(KC_EINVAL, "--pr needs a token (--token-file)");

	size_t ulen = strlen(o->api_url);
	while (ulen && o->api_url[ulen - 1] == '/')
		ulen--;
	kc_buf_add(&url, o->api_url, ulen);
	kc_buf_puts(&url, o->kind == KC_PR_GITLAB ? "/merge_requests" : "/pulls");

	kc_buf_putc(&req, '{');
	if (o->kind == KC_PR_GITLAB) {
		kc_buf_puts(&req, "\"source_branch\":");
		kc_buf_put_json_str(&req, head);
		kc_buf_puts(&req, ",\"target_branch\":");
		kc_buf_put_json_str(&req, base);
		kc_buf_puts(&req, ",\"title\":");
		kc_buf_put_json_str(&req, title);
		kc_buf_puts(&req, ",\"description\":");
		kc_buf_put_json_str(&req, body);
		kc_buf_puts(&req, ",\"remove_source_branch\":true");
		kc_buf_printf(&auth, "PRIVATE-TOKEN: %s", o->token);
	} else {
		kc_buf_puts(&req, "\"title\":");
		kc_buf_put_json_str(&req, title);
		kc_buf_puts(&req, ",\"head\":");
		kc_buf_put_json_str(&req, head);
		kc_buf_puts(&req, ",\"base\":");
		kc_buf_put_json_str(&req, base);
		kc_buf_puts(&req, ",\"body\":");
		kc_buf_put_json_str(&req, body);
		kc_buf_printf(&auth, "Authorization: %s %s", o->kind == KC_PR_GITHUB ? "Bearer" : "token", o->token);
	}
	kc_buf_putc(&req, '}');

	c = curl_easy_init();
	if (!c) {
		rc = kc_error_set(KC_EGENERIC, "cannot initialise libcurl");
		goto done;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, o->kind == KC_PR_GITHUB ? "Accept: application/vnd.github+json" : "Accept: application/json");
	if (o->kind == KC_PR_GITHUB)
		hdr = curl_slist_append(hdr, "X-GitHub-Api-Version: 2022-11-28");
	hdr = curl_slist_append(hdr, auth.ptr);
	curl_easy_setopt(c, CURLOPT_URL, url.ptr);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.ptr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req.len);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kubecomply/" KC_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	/* a redirect would re-send the token to wherever the server says */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		rc = kc_error_set(KC_EGENERIC, "%s request to %s failed: %s", kc_pr_kind_name(o->kind), url.ptr,
				  curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (already_exists(o->kind, status, resp.ptr)) {
		*existed = 1;
		goto done;
	}
	if (status != 201 && status != 200) {
		response_message(&msg, resp.ptr);
		rc = kc_error_set(KC_EGENERIC, "%s answered %ld to POST %s: %s", kc_pr_kind_name(o->kind), status,
				  url.ptr, msg.ptr);
		goto done;
	}
	struct json_object *j = json_tokener_parse(resp.ptr), *u;
	if (j && url_out && (json_object_object_get_ex(j, "html_url", &u) || json_object_object_get_ex(j, "web_url", &u)) &&
	    json_object_is_type(u, json_type_string))
		*url_out = kc_strdup(json_object_get_string(u));
	if (j)
		json_object_put(j);
done:
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
	/* the header held the token */
	if (auth.len)
		memset(auth.ptr, 0, auth.len);
	kc_buf_free(&auth);
	kc_buf_free(&url);
	kc_buf_free(&req);
	kc_buf_free(&resp);
	kc_buf_free(&msg);
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
	kc_buf_free(&web);
}
