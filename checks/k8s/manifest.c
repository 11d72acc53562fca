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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/k8s/arena.h"
#include "checks/k8s/decode.h"
#include "checks/k8s/jsonscan.h"
#include "common/error.h"
#include "common/input.h"
#include "common/strbuf.h"
#include "common/yaml.h"

#define MAX_FILE_SIZE (1024L * 1024 * 1024)
#define MAX_DOC_NODES (4UL * 1000 * 1000)
#define MAX_WORKERS 8
#define MAP_MIN_SIZE (8L * 1024 * 1024)

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
	const char *map;          /* the file, when it is mapped rather than read */
	size_t map_len, released; /* map[0, released) has been given back to the kernel */
	size_t nskipped;          /* parts of the input not judged (each also a warning) */
	size_t first_skip;        /* warnings[first_skip] says what the first was */
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

/* A warning for a part of the input that is not judged: counted, so that no check can PASS
 * over it (checks/section5/providers.c). */
#define batch_skip(b, ...)                                                                   \
	((b)->first_skip = (b)->nskipped++ ? (b)->first_skip : (b)->nwarnings, batch_warn((b), __VA_ARGS__))

static void add_object(struct batch *b, struct json_object *o, long line, const char *kind_hint,
		       const char *api_version_hint)
{
	struct kc_k8s_decode_ctx ctx = { .kind_hint = kind_hint, .api_version_hint = api_version_hint,
					 .default_ns = b->default_ns, .src = b->src };
	struct kc_k8s_obj *ob;
	if (kc_k8s_decode(b->arena, o, &ctx, line, &ob) < 0) {
		batch_skip(b, "%s:%ld: %s; skipped", b->path, line, kc_error_last());
		return;
	}
	b->objs = kc_array_grow(b->objs, &b->cap, b->nobjs + 1, sizeof(*b->objs));
	b->objs[b->nobjs++] = ob;
}

/* A mapped file's pages before pos are not needed again (documents and List items are read
 * in order): give them back, so that memory follows the largest document or item, not the
 * file. Reading them again would re-fault them from the file, so this is only about memory. */
#define RELEASE_STEP (8u << 20)
static void release_behind(struct batch *b, const char *pos)
{
	if (!b->map || pos < b->map || pos > b->map + b->map_len)
		return;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), upto = (size_t)(pos - b->map) / page * page;
	if (upto < b->released + RELEASE_STEP)
		return;
	madvise((char *)b->map + b->released, upto - b->released, MADV_DONTNEED);
	b->released = upto;
}

/* A second pass over the same bytes (List items after the scan) re-faults the pages it reads
 * and gives them back again from here. */
static void release_restart(struct batch *b, const char *from)
{
	if (b->map && from >= b->map && from <= b->map + b->map_len && (size_t)(from - b->map) < b->released)
		b->released = (size_t)(from - b->map) / (size_t)sysconf(_SC_PAGESIZE) * (size_t)sysconf(_SC_PAGESIZE);
}

static void release_progress(void *arg, size_t off)
{
	struct batch *b = ((void **)arg)[0];
	const char *base = ((void **)arg)[1];
	release_behind(b, base + off);
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
			batch_skip(b, "%s:%ld:%s; document skipped", b->path, l + first_line - 1, end + 1);
			return;
		}
	}
	batch_skip(b, "%s:%ld: %s; document skipped", b->path, first_line, msg);
}

static void yaml_node_objects(struct batch *b, yaml_document_t *d, yaml_node_t *n, long first_line, int depth,
			      const char *kind_hint, const char *api_version_hint);

/* A document that is a List: its items are converted one by one, each with its own line. */
static int yaml_list_items(struct batch *b, yaml_document_t *d, yaml_node_t *root, long first_line, int depth)
{
	const char *kind = kc_yaml_scalar(kc_yaml_get(d, root, "kind"));
	yaml_node_t *items = kc_yaml_get(d, root, "items");
	char item_kind[128];
	if (!kc_k8s_list_kind(kind, item_kind, sizeof(item_kind)) || !items || items->type != YAML_SEQUENCE_NODE)
		return 0;
	/* objects keep the hint: it must live in their arena, not in the document */
	const char *api_version = kc_arena_strdup(b->arena, kc_yaml_scalar(kc_yaml_get(d, root, "apiVersion")));
	for (yaml_node_item_t *it = items->data.sequence.items.start; it < items->data.sequence.items.top; it++)
		yaml_node_objects(b, d, yaml_document_get_node(d, *it), first_line, depth + 1,
				  item_kind[0] ? item_kind : NULL, item_kind[0] ? api_version : NULL);
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

static void yaml_node_objects(struct batch *b, yaml_document_t *d, yaml_node_t *n, long first_line, int depth,
			      const char *kind_hint, const char *api_version_hint)
{
	if (!n)
		return;
	long line = kc_yaml_line(n) + first_line - 1;
	if (depth > 4) {
		batch_skip(b, "%s:%ld: lists nested too deeply; skipped", b->path, line);
		return;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			yaml_node_objects(b, d, yaml_document_get_node(d, *it), first_line, depth + 1, NULL, NULL);
		return;
	}
	if (n->type == YAML_MAPPING_NODE && yaml_list_items(b, d, n, first_line, depth))
		return;
	struct json_object *o = NULL;
	if (yaml_object_to_json(d, n, &o) < 0) {
		batch_skip(b, "%s:%ld: %s; skipped", b->path, line, kc_error_last());
		return;
	}
	if (o)
		add_object(b, o, line, kind_hint, api_version_hint);
	else
		batch_skip(b, "%s:%ld: not a Kubernetes object (empty); skipped", b->path, line);
	json_object_put(o);
}

static int is_separator(const char *p, const char *end)
{
	if (end - p < 3 || p[0] != '-' || p[1] != '-' || p[2] != '-')
		return 0;
	return end - p == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\n' || p[3] == '\r';
}

/* One YAML document (data holds no separator line but possibly its first). */
static void read_yaml_document(struct batch *b, const char *data, size_t len, long first_line)
{
	struct kc_yaml y;
	if (kc_yaml_load(&y, b->path, data, len) < 0)
		warn_yaml_error(b, kc_error_last(), first_line);
	for (size_t i = 0; i < y.ndocs; i++) {
		yaml_node_t *root = kc_yaml_root(&y, i);
		/* comments-only documents (helm's "# Source:" headers) are not objects */
		if (root && root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)
			continue;
		yaml_node_objects(b, &y.docs[i], root, first_line, 0, NULL, NULL);
	}
	kc_yaml_clear(&y);
}

/* ---- JSON ---- */

static long line_at(const char *s, size_t off, size_t *scan, long *line)
{
	for (; *scan < off; (*scan)++)
		if (s[*scan] == '\n')
			(*line)++;
	return *line;
}

/* json-c on one value of a known extent; depth is already bounded by the scan. */
static struct json_object *json_parse_value(struct json_tokener *tok, const char *s, size_t len)
{
	json_tokener_reset(tok);
	struct json_object *o = json_tokener_parse_ex(tok, s, (int)(len > 0x7fffffff ? 0x7fffffff : len));
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (!o && jerr == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, "", -1);
		jerr = json_tokener_get_error(tok);
	}
	if (jerr != json_tokener_success) {
		json_object_put(o);
		kc_error_set(KC_EINVAL, "invalid JSON: %s", json_tokener_error_desc(jerr));
		return NULL;
	}
	return o;
}

/* Drops what no check reads and `kubectl get -o json` is full of, before decoding. */
static void json_trim(struct json_object *o)
{
	struct json_object *meta;
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_del(o, "status");
	if (json_object_object_get_ex(o, "metadata", &meta) && json_object_is_type(meta, json_type_object))
		json_object_object_del(meta, "managedFields");
}

/* The JSON values of data (one or several, concatenated), starting at absolute line
 * first_line. A List or an array is parsed item by item (memory bounded by the largest item,
 * not the List). Returns 0, or -1 when the first value is not JSON at all and yaml_fallback
 * allows the caller to read it as YAML; refused JSON (too deep, NUL, duplicate keys) never
 * falls back. */
static int read_json(struct batch *b, const char *data, size_t len, long first_line, int yaml_fallback)
{
	struct json_tokener *tok = json_tokener_new_ex(KC_JSON_MAX_DEPTH + 1);
	size_t pos = 0, scan = 0;
	long line = first_line;
	int values = 0, rc = 0;
	while (pos < len) {
		while (pos < len && (data[pos] == ' ' || data[pos] == '\n' || data[pos] == '\t' || data[pos] == '\r'))
			pos++;
		if (pos >= len)
			break;
		struct kc_json_scan sc;
		void *progress_arg[2] = { b, (void *)(data + pos) };
		if (kc_json_scan_ex(data + pos, len - pos, &sc, release_progress, progress_arg) < 0) {
			if (!values && sc.syntax && yaml_fallback) {
				rc = -1; /* e.g. a YAML flow mapping: let the YAML reader try */
				break;
			}
			long l = line_at(data, pos + sc.err_off, &scan, &line);
			batch_skip(b, "%s:%ld: %s; rest of the %s skipped", b->path, l, kc_error_last(),
				   yaml_fallback ? "document" : "file");
			break;
		}
		values++;
		long obj_line = line_at(data, pos, &scan, &line);
		char item_kind[128] = "";
		int list = sc.root_array || (sc.has_items && kc_k8s_list_kind(sc.kind, item_kind, sizeof(item_kind)));
		const char *api_version = item_kind[0] ? kc_arena_strdup(b->arena, sc.api_version) : NULL;
		if (list)
			release_restart(b, data + pos);
		for (size_t i = 0; list && i < sc.nitems; i++) {
			long l = line_at(data, pos + sc.items[i].off, &scan, &line);
			release_behind(b, data + pos + sc.items[i].off);
			struct json_object *o = json_parse_value(tok, data + pos + sc.items[i].off, sc.items[i].len);
			if (!o) {
				batch_skip(b, "%s:%ld: %s; skipped", b->path, l, kc_error_last());
				continue;
			}
			json_trim(o);
			add_object(b, o, l, item_kind[0] ? item_kind : NULL, api_version);
			json_object_put(o);
		}
		if (!list) {
			struct json_object *o = json_parse_value(tok, data + pos, sc.end);
			if (!o) {
				batch_skip(b, "%s:%ld: %s; skipped", b->path, obj_line, kc_error_last());
			} else {
				json_trim(o);
				add_object(b, o, obj_line, NULL, NULL);
			}
			json_object_put(o);
		}
		kc_json_scan_clear(&sc);
		pos += sc.end;
	}
	json_tokener_free(tok);
	return rc;
}

/* ---- documents ---- */

/* Where a document's content starts: past blank lines, comment lines and its own `---`
 * marker, so that a JSON document can be told from a YAML one. */
static size_t content_start(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
		} else if (c == '#') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (is_separator(s + i, s + len)) {
			i += 3;
		} else {
			break;
		}
	}
	return i;
}

/* One document of a YAML stream, sniffed on its own: JSON is a subset of YAML, so a document
 * written in JSON style is read by the JSON reader (fast, bounded, item by item) and anything
 * else, or JSON-looking text that is not JSON (a flow mapping), by the YAML reader. */
static void read_document(struct batch *b, const char *doc, size_t len, long first_line)
{
	size_t off = content_start(doc, len);
	if (off >= len)
		return; /* empty, or comments only */
	if (doc[off] == '{' || doc[off] == '[') {
		long line = first_line;
		for (size_t i = 0; i < off; i++)
			line += doc[i] == '\n';
		if (read_json(b, doc + off, len - off, line, 1) == 0)
			return;
	}
	read_yaml_document(b, doc, len, first_line);
}

/* A YAML stream is cut into documents at `---` lines, as kubectl's reader does
 * (k8s.io/apimachinery/pkg/util/yaml YAMLReader), and each is read on its own: a bad one
 * costs only itself, and memory is bounded by the largest document. */
static void read_stream(struct batch *b, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *doc = data;
	long line = 1, doc_line = 1;
	while (p < end) {
		if (p != doc && is_separator(p, end)) {
			read_document(b, doc, (size_t)(p - doc), doc_line);
			doc = p;
			doc_line = line;
			release_behind(b, doc);
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
		line++;
	}
	read_document(b, doc, (size_t)(end - doc), doc_line);
}

/* ---- files ---- */

static int is_json_name(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot && strcmp(dot, ".json") == 0;
}

/* A .json file is JSON (one or several values) and nothing else; anything else is a YAML
 * stream whose documents may each be JSON. */
static void read_data(struct batch *b, const char *data, size_t len)
{
	if (is_json_name(b->path))
		read_json(b, data, len, 1, 0);
	else
		read_stream(b, data, len);
}

static int slurp_fd(int fd, const char *name, char **out, size_t *len)
{
	struct kc_buf buf = KC_BUF_INIT;
	int rc = kc_input_read_fd(fd, (size_t)MAX_FILE_SIZE, &buf);
	if (rc < 0) {
		kc_buf_clear(&buf);
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

/* Reads what fd holds (a regular file is mapped) into b; the caller closes fd. */
static void batch_read_fd(struct batch *b, int fd)
{
	char *data = NULL;
	size_t len = 0;
	struct stat st;
	/* Large files are mapped, not read: pages are given back behind the reader
	 * (release_behind). Small ones are read: a copy cannot change or shrink under the reader
	 * (a mapped file truncated by someone else faults with SIGBUS), and memory is no concern. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= MAP_MIN_SIZE) {
		if (st.st_size > MAX_FILE_SIZE) {
			b->err = kc_error_set(KC_EINVAL, "%s: larger than the %ld MiB limit for a manifest file", b->path,
						   MAX_FILE_SIZE >> 20);
			batch_skip(b, "%s", kc_error_last());
		} else {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (m == MAP_FAILED) {
				b->err = kc_error_set_errno(errno, "%s: cannot map", b->path);
				batch_skip(b, "%s", kc_error_last());
			} else {
				madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
				b->map = m;
				b->map_len = (size_t)st.st_size;
				read_data(b, m, b->map_len);
				munmap(m, b->map_len);
				b->map = NULL;
			}
		}
	} else if (slurp_fd(fd, b->path, &data, &len) < 0) {
		b->err = KC_EIO;
		batch_skip(b, "%s", kc_error_last());
	} else {
		read_data(b, data, len);
	}
	free(data);
}

static void batch_read_file(struct batch *b)
{
	/* a FIFO or device given as --manifests (or swapped in after the walk) is refused, not read */
	int fd = kc_input_open(b->path, "manifest");
	if (fd < 0) {
		b->err = fd;
		batch_skip(b, "%s", kc_error_last());
		return;
	}
	batch_read_fd(b, fd);
	close(fd);
}

/* stdin (`kubectl get pods -A -o json | kubecomply audit --manifests -`, close to a gigabyte
 * on a large cluster) is spooled to an unnamed temporary file and read like a file, mapped
 * and given back behind the reader, rather than held in memory. Returns the file or -1 when
 * the temporary directory does not support O_TMPFILE (the caller then reads it into memory). */
static int spool_stdin(const char *name, int *err)
{
	const char *tmp = getenv("TMPDIR");
	int fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	*err = 0;
	if (fd < 0)
		return -1;
	char buf[65536];
	size_t total = 0;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = kc_error_set_errno(errno, "%s: cannot read", name);
			break;
		}
		if (n == 0 && lseek(fd, 0, SEEK_SET) == 0)
			return fd; /* read from the start: small files are read, not mapped */
		if (n == 0) {
			*err = kc_error_set_errno(errno, "%s: cannot rewind the temporary file", name);
			break;
		}
		total += (size_t)n;
		if (total > (size_t)MAX_FILE_SIZE) {
			*err = kc_error_set(KC_EINVAL, "%s: larger than %ld bytes", name, MAX_FILE_SIZE);
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				*err = kc_error_set_errno(errno, "%s: cannot spool to a temporary file", name);
				break;
			}
			off += w;
		}
		if (*err)
			break;
	}
	close(fd);
	return -1;
}

/* arena: handed to c with the objects, or NULL when c already owns it (shared worker arena) */
static void batch_merge(struct kc_cluster *c, struct batch *b, struct kc_arena *arena)
{
	if (b->nskipped && !c->nskipped)
		c->first_skip = c->nwarnings + b->first_skip;
	c->nskipped += b->nskipped;
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
		kc_buf_clear(&p);
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
		int err, fd = spool_stdin("<stdin>", &err);
		if (err < 0)
			return err;
		if (fd >= 0) {
			struct batch b;
			struct kc_arena *a = kc_arena_new();
			batch_init(&b, "<stdin>", c->default_ns, a);
			batch_read_fd(&b, fd);
			close(fd);
			batch_merge(c, &b, a);
			return 0;
		}
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
		if (fl.n) /* an empty directory: qsort(NULL, 0, ...) is undefined behaviour */
			qsort(fl.paths, fl.n, sizeof(*fl.paths), kc_strcmp_ptr);
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
