/* The manifest reader: files, directory trees and stdin holding YAML streams or JSON, as
 * written by hand, by `kubectl get -o yaml|json`, `helm template` or `kustomize build`.
 * A bad document costs only itself: it becomes a "file:line: problem" warning and reading
 * resumes at the next `---` separator line (where kubectl's YAML reader would cut the stream). */
#include "checks/k8s/index.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/k8s/arena.h"
#include "checks/k8s/decode.h"
#include "common/error.h"
#include "common/input.h"
#include "common/strbuf.h"
#include "common/yaml.h"

#define MAX_FILE_SIZE (1024L * 1024 * 1024)
#define MAX_DOC_NODES (4UL * 1000 * 1000)
#define MAX_WORKERS 8

/* What one file yields; files are read in parallel and merged in name order. */
struct batch {
	const char *path;
	const char *default_ns;
	struct kc_arena *arena;
	struct kc_k8s_src *src;
	struct kc_k8s_obj **objs;
	size_t nobjs, cap;
	char **warnings;
	size_t nwarnings, wcap;
	int err;                  /* the file could not be read at all */
};

static void batch_warn(struct batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void batch_warn(struct batch *b, const char *fmt, ...)
{
	struct kc_buf buf = KC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kc_buf_vprintf(&buf, fmt, ap);
	va_end(ap);
	b->warnings = kc_array_grow(b->warnings, &b->wcap, b->nwarnings + 1, sizeof(*b->warnings));
	b->warnings[b->nwarnings++] = kc_buf_detach(&buf);
}

static void add_object(struct batch *b, struct json_object *o, long line)
{
	struct kc_k8s_decode_ctx ctx = { .default_ns = b->default_ns, .src = b->src };
	struct kc_k8s_obj *ob;
	if (kc_k8s_decode(b->arena, o, &ctx, line, &ob) < 0) {
		batch_warn(b, "%s:%ld: %s; skipped", b->path, line, kc_error_last());
		return;
	}
	b->objs = kc_array_grow(b->objs, &b->cap, b->nobjs + 1, sizeof(*b->objs));
	b->objs[b->nobjs++] = ob;
}

/* ---- YAML ---- */

/* Rewrites "name:L:C: rest" (kc_yaml_load's message, L relative to the chunk) with the
 * absolute line. */
static void warn_yaml_error(struct batch *b, const char *msg, long first_line)
{
	size_t n = strlen(b->path);
	if (strncmp(msg, b->path, n) == 0 && msg[n] == ':') {
		char *end;
		long l = strtol(msg + n + 1, &end, 10);
		if (end != msg + n + 1 && *end == ':') {
			batch_warn(b, "%s:%ld:%s; document skipped", b->path, l + first_line - 1, end + 1);
			return;
		}
	}
	batch_warn(b, "%s:%ld: %s; document skipped", b->path, first_line, msg);
}

static void yaml_node_objects(struct batch *b, yaml_document_t *d, yaml_node_t *n, long first_line, int depth);

/* A document that is a List: its items are converted one by one, each with its own line. */
static int yaml_list_items(struct batch *b, yaml_document_t *d, yaml_node_t *root, long first_line, int depth)
{
	const char *kind = kc_yaml_scalar(kc_yaml_get(d, root, "kind"));
	yaml_node_t *items = kc_yaml_get(d, root, "items");
	size_t klen = kind ? strlen(kind) : 0;
	if (klen < 4 || strcmp(kind + klen - 4, "List") != 0 || !items || items->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *it = items->data.sequence.items.start; it < items->data.sequence.items.top; it++)
		yaml_node_objects(b, d, yaml_document_get_node(d, *it), first_line, depth + 1);
	return 1;
}

/* Converts an object to json-c without what no check reads and `kubectl get -o yaml` output is
 * full of: status and metadata.managedFields. */
static int yaml_object_to_json(yaml_document_t *d, yaml_node_t *n, struct json_object **out)
{
	if (n->type != YAML_MAPPING_NODE)
		return kc_yaml_to_json(d, n, MAX_DOC_NODES, out);
	struct json_object *o = json_object_new_object();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *key = kc_yaml_scalar(yaml_document_get_node(d, p->key));
		yaml_node_t *v = yaml_document_get_node(d, p->value);
		struct json_object *jv = NULL;
		if (!key || strcmp(key, "status") == 0)
			continue;
		int rc;
		if (strcmp(key, "metadata") == 0 && v && v->type == YAML_MAPPING_NODE) {
			jv = json_object_new_object();
			rc = 0;
			for (yaml_node_pair_t *m = v->data.mapping.pairs.start; m < v->data.mapping.pairs.top && rc == 0; m++) {
				const char *mk = kc_yaml_scalar(yaml_document_get_node(d, m->key));
				struct json_object *mv;
				if (!mk || strcmp(mk, "managedFields") == 0)
					continue;
				rc = kc_yaml_to_json(d, yaml_document_get_node(d, m->value), MAX_DOC_NODES, &mv);
				if (rc == 0)
					json_object_object_add(jv, mk, mv);
			}
		} else {
			rc = kc_yaml_to_json(d, v, MAX_DOC_NODES, &jv);
		}
		if (rc < 0) {
			json_object_put(jv);
			json_object_put(o);
			return rc;
		}
		json_object_object_add(o, key, jv);
	}
	*out = o;
	return 0;
}

static void yaml_node_objects(struct batch *b, yaml_document_t *d, yaml_node_t *n, long first_line, int depth)
{
	if (!n)
		return;
	long line = kc_yaml_line(n) + first_line - 1;
	if (depth > 4) {
		batch_warn(b, "%s:%ld: lists nested too deeply; skipped", b->path, line);
		return;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			yaml_node_objects(b, d, yaml_document_get_node(d, *it), first_line, depth + 1);
		return;
	}
	if (n->type == YAML_MAPPING_NODE && yaml_list_items(b, d, n, first_line, depth))
		return;
	struct json_object *o = NULL;
	if (yaml_object_to_json(d, n, &o) < 0) {
		batch_warn(b, "%s:%ld: %s; skipped", b->path, line, kc_error_last());
		return;
	}
	if (o)
		add_object(b, o, line);
	else
		batch_warn(b, "%s:%ld: not a Kubernetes object (empty); skipped", b->path, line);
	json_object_put(o);
}

static int is_separator(const char *p, const char *end)
{
	if (end - p < 3 || p[0] != '-' || p[1] != '-' || p[2] != '-')
		return 0;
	return end - p == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\n' || p[3] == '\r';
}

/* Parses data (starting at absolute line first_line) as one stream and audits the documents
 * read. On a syntax error, *resume is set to the offset of the first separator line at or after
 * the error (the bad document's successor) and *resume_line to its line; 0 when none. */
static void yaml_stream(struct batch *b, const char *data, size_t len, long first_line, size_t *resume,
			long *resume_line)
{
	struct kc_yaml y;
	*resume = 0;
	if (kc_yaml_load(&y, b->path, data, len) < 0) {
		const char *msg = kc_error_last();
		long err_line = first_line;
		size_t n = strlen(b->path);
		if (strncmp(msg, b->path, n) == 0 && msg[n] == ':')
			err_line = strtol(msg + n + 1, NULL, 10) + first_line - 1;
		warn_yaml_error(b, msg, first_line);
		const char *p = data, *end = data + len;
		long line = first_line;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (p != data && line >= err_line && is_separator(p, end)) {
				*resume = (size_t)(p - data);
				*resume_line = line;
				break;
			}
			p = nl ? nl + 1 : end;
			line++;
		}
	}
	for (size_t i = 0; i < y.ndocs; i++) {
		yaml_node_t *root = kc_yaml_root(&y, i);
		/* comments-only documents (helm's "# Source:" headers) are not objects */
		if (root && root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)
			continue;
		yaml_node_objects(b, &y.docs[i], root, first_line, 0);
	}
	kc_yaml_free(&y);
}

/* One parser for the whole stream (the common case, and the fast one); after a bad document,
 * parsing resumes at the next `---` separator line, where kubectl's reader would cut it. */
static void read_yaml(struct batch *b, const char *data, size_t len)
{
	long line = 1;
	for (;;) {
		size_t resume;
		long resume_line = 0;
		yaml_stream(b, data, len, line, &resume, &resume_line);
		if (!resume)
			break;
		data += resume;
		len -= resume;
		line = resume_line;
	}
}

/* ---- JSON ---- */

/* Offsets of the elements of the root array, or of the root object's "items" array: json-c
 * keeps no positions, and each object's line is evidence. */
static size_t json_element_offsets(const char *s, size_t len, size_t **out)
{
	size_t n = 0, cap = 0;
	int depth = 0, in_items = 0, expect = 0, root_array = 0;
	const char *key = NULL;
	size_t keylen = 0;
	*out = NULL;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		if (expect && ch != ']') {
			*out = kc_array_grow(*out, &cap, n + 1, sizeof(**out));
			(*out)[n++] = i;
			expect = 0;
		}
		if (ch == '"') {
			size_t start = ++i;
			while (i < len && s[i] != '"')
				i += s[i] == '\\' ? 2 : 1;
			if (depth == 1 && !root_array) {
				key = s + start;
				keylen = i - start;
			}
			continue;
		}
		if (ch == '{' || ch == '[') {
			depth++;
			if (depth == 1 && ch == '[')
				root_array = in_items = expect = 1;
			else if (depth == 2 && ch == '[' && key && keylen == 5 && memcmp(key, "items", 5) == 0)
				in_items = expect = 1;
		} else if (ch == '}' || ch == ']') {
			if (in_items && depth == (root_array ? 1 : 2))
				in_items = 0;
			if (--depth == 0)
				break;
		} else if (ch == ',' && in_items && depth == (root_array ? 1 : 2)) {
			expect = 1;
		}
	}
	return n;
}

static long line_at(const char *s, size_t off, size_t *scan, long *line)
{
	for (; *scan < off; (*scan)++)
		if (s[*scan] == '\n')
			(*line)++;
	return *line;
}

/* Returns 0, or -1 when data is not JSON after all (the caller reads it as YAML). */
static int read_json(struct batch *b, const char *data, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	size_t pos = 0, scan = 0;
	long line = 1;
	int values = 0, rc = 0;
	while (pos < len) {
		while (pos < len && (data[pos] == ' ' || data[pos] == '\n' || data[pos] == '\t' || data[pos] == '\r'))
			pos++;
		if (pos >= len)
			break;
		json_tokener_reset(tok);
		struct json_object *o = json_tokener_parse_ex(tok, data + pos, (int)(len - pos > 0x7fffffff ? 0x7fffffff : len - pos));
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		if (!o && jerr == json_tokener_continue) {
			o = json_tokener_parse_ex(tok, "", -1);
			jerr = json_tokener_get_error(tok);
		}
		if (jerr != json_tokener_success) {
			json_object_put(o);
			if (!values) {
				rc = -1; /* e.g. a YAML flow mapping: let the YAML reader try */
				break;
			}
			long l = line_at(data, pos + json_tokener_get_parse_end(tok), &scan, &line);
			batch_warn(b, "%s:%ld: invalid JSON: %s; rest of file skipped", b->path, l,
				   json_tokener_error_desc(jerr));
			break;
		}
		values++;
		size_t used = json_tokener_get_parse_end(tok);
		long obj_line = line_at(data, pos, &scan, &line);
		if (json_object_is_type(o, json_type_array) || kc_k8s_is_list(o)) {
			struct json_object *items = json_object_is_type(o, json_type_array) ? o : NULL;
			if (!items)
				json_object_object_get_ex(o, "items", &items);
			size_t *offs, noffs = json_element_offsets(data + pos, used, &offs);
			size_t nitems = json_object_array_length(items);
			for (size_t i = 0; i < nitems; i++) {
				long l = i < noffs ? line_at(data, pos + offs[i], &scan, &line) : obj_line;
				add_object(b, json_object_array_get_idx(items, i), l);
			}
			free(offs);
		} else {
			add_object(b, o, obj_line);
		}
		json_object_put(o);
		pos += used;
	}
	json_tokener_free(tok);
	return rc;
}

/* ---- files ---- */

static void read_data(struct batch *b, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r'))
		i++;
	if (i < len && (data[i] == '{' || data[i] == '[') && read_json(b, data, len) == 0)
		return;
	read_yaml(b, data, len);
}

static int slurp_fd(int fd, const char *name, char **out, size_t *len)
{
	struct kc_buf buf = KC_BUF_INIT;
	int rc = kc_input_read_fd(fd, (size_t)MAX_FILE_SIZE, &buf);
	if (rc < 0) {
		kc_buf_free(&buf);
		return rc == -EFBIG ? kc_error_set(KC_EINVAL, "%s: larger than the %ld MiB limit for a manifest file", name,
						   MAX_FILE_SIZE >> 20)
				    : kc_error_set_errno(-rc, "%s: cannot read", name);
	}
	*len = buf.len;
	*out = kc_buf_detach(&buf);
	return 0;
}

/* Objects of a batch live in `arena`: the worker's, shared by every file it reads, so that
 * ten thousand small files do not each map a block of their own. */
static void batch_init(struct batch *b, const char *path, const char *default_ns, struct kc_arena *arena)
{
	memset(b, 0, sizeof(*b));
	b->arena = arena;
	/* objects keep their namespace pointer: it must live in their own arena */
	b->default_ns = kc_arena_strdup(b->arena, default_ns);
	b->src = kc_arena_alloc(b->arena, sizeof(*b->src));
	b->src->path = kc_arena_strdup(b->arena, path);
	b->path = b->src->path;
}

static void batch_read_file(struct batch *b)
{
	/* a FIFO or device given as --manifests (or swapped in after the walk) is refused, not read */
	int fd = kc_input_open(b->path, "manifest");
	char *data = NULL;
	size_t len = 0;
	if (fd < 0) {
		b->err = fd;
		batch_warn(b, "%s", kc_error_last());
		return;
	}
	if (slurp_fd(fd, b->path, &data, &len) < 0) {
		b->err = KC_EIO;
		batch_warn(b, "%s", kc_error_last());
	} else {
		read_data(b, data, len);
	}
	free(data);
	close(fd);
}

/* arena: handed to c with the objects, or NULL when c already owns it (shared worker arena) */
static void batch_merge(struct kc_cluster *c, struct batch *b, struct kc_arena *arena)
{
	for (size_t i = 0; i < b->nwarnings; i++) {
		kc_cluster__warn(c, "%s", b->warnings[i]);
		free(b->warnings[i]);
	}
	free(b->warnings);
	kc_cluster__adopt(c, arena, b->objs, b->nobjs);
	free(b->objs);
}

int kc_cluster_load_buffer(struct kc_cluster *c, const char *name, const char *data, size_t len)
{
	struct batch b;
	struct kc_arena *a = kc_arena_new();
	batch_init(&b, name ? name : "<input>", c->default_ns, a);
	read_data(&b, data, len);
	batch_merge(c, &b, a);
	return 0;
}

/* ---- directory walk and parallel reading ---- */

struct filelist {
	char **paths;
	size_t n, cap;
};

static int has_manifest_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 || strcmp(dot, ".json") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const char *dir, struct filelist *fl, int depth)
{
	if (depth > 64)
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return kc_error_set_errno(errno, "%s: cannot open directory", dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue; /* ., .., .git and other hidden entries */
		struct kc_buf p = KC_BUF_INIT;
		kc_buf_printf(&p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
		struct stat st;
		/* lstat: a symlinked directory could loop or leave the tree; symlinked files are read */
		if (lstat(p.ptr, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(p.ptr, fl, depth + 1);
		} else if (has_manifest_ext(e->d_name) && stat(p.ptr, &st) == 0 && S_ISREG(st.st_mode)) {
			fl->paths = kc_array_grow(fl->paths, &fl->cap, fl->n + 1, sizeof(*fl->paths));
			fl->paths[fl->n++] = kc_buf_detach(&p);
			continue;
		}
		kc_buf_free(&p);
	}
	closedir(d);
	return 0;
}

struct pool {
	char **paths;
	struct batch *batches;
	size_t n;
	const char *default_ns;
	atomic_size_t next;
};

struct worker_arg {
	struct pool *pool;
	struct kc_arena *arena;
};

static void *worker(void *arg)
{
	struct worker_arg *w = arg;
	struct pool *p = w->pool;
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->n)
			break;
		batch_init(&p->batches[i], p->paths[i], p->default_ns, w->arena);
		batch_read_file(&p->batches[i]);
	}
	return NULL;
}

static void read_files(struct kc_cluster *c, char **paths, size_t n)
{
	struct pool p = { .paths = paths, .batches = kc_xcalloc(n ? n : 1, sizeof(struct batch)), .n = n,
			  .default_ns = c->default_ns };
	atomic_init(&p.next, 0);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = cpus > 1 ? (size_t)cpus : 1;
	if (nthreads > MAX_WORKERS)
		nthreads = MAX_WORKERS;
	if (nthreads > n)
		nthreads = n ? n : 1;
	pthread_t tids[MAX_WORKERS];
	struct worker_arg args[MAX_WORKERS];
	size_t started = 0;
	for (size_t t = 0; t < nthreads; t++)
		args[t] = (struct worker_arg){ &p, kc_arena_new() };
	for (size_t t = 1; t < nthreads; t++)
		if (pthread_create(&tids[started], NULL, worker, &args[t]) == 0)
			started++;
	worker(&args[0]); /* this thread works too; with no helpers it reads everything */
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	for (size_t t = 0; t < nthreads; t++)
		kc_cluster__adopt(c, args[t].arena, NULL, 0);
	for (size_t i = 0; i < n; i++)
		batch_merge(c, &p.batches[i], NULL);
	free(p.batches);
}

int kc_cluster_load_manifests(struct kc_cluster *c, const char *path)
{
	if (!path || !*path)
		return kc_error_set(KC_EINVAL, "no manifest path given");
	if (strcmp(path, "-") == 0) {
		char *data;
		size_t len;
		if (slurp_fd(STDIN_FILENO, "<stdin>", &data, &len) < 0)
			return KC_EIO;
		kc_cluster_load_buffer(c, "<stdin>", data, len);
		free(data);
		return 0;
	}
	struct stat st;
	if (stat(path, &st) != 0)
		return kc_error_set_errno(errno, "%s", path);
	struct filelist fl = { 0 };
	if (S_ISDIR(st.st_mode)) {
		int rc = walk(path, &fl, 0);
		if (rc < 0)
			return rc;
		qsort(fl.paths, fl.n, sizeof(*fl.paths), cmp_str);
	} else {
		fl.paths = kc_xmalloc(sizeof(*fl.paths));
		fl.paths[fl.n++] = kc_strdup(path);
	}
	read_files(c, fl.paths, fl.n);
	for (size_t i = 0; i < fl.n; i++)
		free(fl.paths[i]);
	free(fl.paths);
	return 0;
}
