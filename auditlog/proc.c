/* The audit-event processor (see proc.h). Boring events cost one header scan: the rules are
 * evaluated on the scanned header with body conditions "unknown", and only an event for
 * which some rule is not false, or that the record condition keeps, goes further. */
#include "auditlog/proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "auditlog/owners.h"
#include "common/error.h"
#include "common/redact.h"
#include "common/strbuf.h"
#include "common/utf8.h"

/* A string set for the store-less mode (dedup must behave the same with or without SQLite). */
struct strset {
	char **slot;
	size_t cap, n;
};

static int strset_add(struct strset *s, const char *key) /* 1 when added, 0 when present */
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		char **ns = kc_xcalloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i]) {
				size_t h = kc_auditlog_hash(s->slot[i], strlen(s->slot[i])) & (ncap - 1);
				while (ns[h])
					h = (h + 1) & (ncap - 1);
				ns[h] = s->slot[i];
			}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	size_t h = kc_auditlog_hash(key, strlen(key)) & (s->cap - 1);
	while (s->slot[h]) {
		if (strcmp(s->slot[h], key) == 0)
			return 0;
		h = (h + 1) & (s->cap - 1);
	}
	s->slot[h] = kc_strdup(key);
	s->n++;
	return 1;
}

static int strset_has(const struct strset *s, const char *key)
{
	if (!s->cap)
		return 0;
	size_t h = kc_auditlog_hash(key, strlen(key)) & (s->cap - 1);
	while (s->slot[h]) {
		if (strcmp(s->slot[h], key) == 0)
			return 1;
		h = (h + 1) & (s->cap - 1);
	}
	return 0;
}

static void strset_clear(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Burst state of a threshold rule: recent matching times per effective user. */
struct burst {
	char *user;
	int64_t *t;       /* ring of threshold_count times */
	unsigned head, n;
	int64_t fired;    /* time of the last finding, -1 none */
};

#define BURST_USERS 4096

struct kc_auditlog_proc {
	struct kc_store *st;
	int64_t run_id;
	const struct kc_audit_rules *rules;
	struct kc_audit_owners *owners; /* who created each workload owner (owners.h) */
	int full;
	struct kc_audit_event ev;
	unsigned char *match;   /* per rule: KC_TRUE/KC_FALSE/KC_UNKNOWN */
	struct burst **bursts;  /* per rule, BURST_USERS slots (threshold rules only) */
	struct strset seen;     /* store-less mode: "id\x1fstage" and "id\x1frule" */
	kc_auditlog_finding_fn on_finding;
	void *payload;
	struct kc_auditlog_stats stats;
};

uint64_t kc_auditlog_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void burst_restore(void *payload, const char *rule_id, const char *user, const int64_t *t, size_t n,
			  int64_t fired);

int kc_auditlog_proc_new(struct kc_store *st, int64_t run_id, const struct kc_audit_rules *rules,
			 struct kc_auditlog_proc **out)
{
	*out = NULL;
	struct kc_auditlog_proc *p = kc_xcalloc(1, sizeof(*p));
	p->st = st;
	p->run_id = run_id;
	p->rules = rules;
	p->ev.code = -1;
	p->match = kc_xcalloc(rules->n ? rules->n : 1, 1);
	p->owners = kc_audit_owners_new(65536);
	p->bursts = kc_xcalloc(rules->n ? rules->n : 1, sizeof(*p->bursts));
	/* bursts in progress when the last run stopped go on */
	int rc = st ? kc_store_rulestate_load(st, burst_restore, p) : 0;
	if (rc < 0) {
		kc_auditlog_proc_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void kc_auditlog_proc_free(struct kc_auditlog_proc *p)
{
	if (!p)
		return;
	for (size_t r = 0; r < p->rules->n; r++) {
		if (!p->bursts[r])
			continue;
		for (size_t i = 0; i < BURST_USERS; i++) {
			free(p->bursts[r][i].user);
			free(p->bursts[r][i].t);
		}
		free(p->bursts[r]);
	}
	free(p->bursts);
	free(p->match);
	kc_audit_owners_free(p->owners);
	strset_clear(&p->seen);
	kc_audit_event_clear(&p->ev);
	free(p);
}

void kc_auditlog_proc_on_finding(struct kc_auditlog_proc *p, kc_auditlog_finding_fn fn, void *payload)
{
	p->on_finding = fn;
	p->payload = payload;
}

void kc_auditlog_proc_set_full(struct kc_auditlog_proc *p, int full)
{
	p->full = full;
}

const struct kc_auditlog_stats *kc_auditlog_proc_stats(const struct kc_auditlog_proc *p)
{
	return &p->stats;
}

int64_t kc_auditlog_proc_run_id(const struct kc_auditlog_proc *p)
{
	return p->run_id;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The burst slot of user for threshold rule r (created empty when new). */
static struct burst *burst_slot(struct kc_auditlog_proc *p, size_t r, const char *user)
{
	const struct kc_audit_rule *rule = &p->rules->rules[r];
	if (!p->bursts[r])
		p->bursts[r] = kc_xcalloc(BURST_USERS, sizeof(struct burst));
	struct burst *tab = p->bursts[r];
	size_t h = kc_auditlog_hash(user, strlen(user)) & (BURST_USERS - 1), probes = 0;
	while (tab[h].user && strcmp(tab[h].user, user) != 0 && probes < BURST_USERS) {
		h = (h + 1) & (BURST_USERS - 1);
		probes++;
	}
	if (probes == BURST_USERS) {
		/* table full of other users: forget them all (bursts in progress restart) */
		for (size_t i = 0; i < BURST_USERS; i++) {
			free(tab[i].user);
			free(tab[i].t);
		}
		memset(tab, 0, BURST_USERS * sizeof(*tab));
	}
	struct burst *b = &tab[h];
	if (!b->user) {
		b->user = kc_strdup(user);
		b->t = kc_xcalloc(rule->threshold_count, sizeof(int64_t));
		b->fired = -1;
	}
	return b;
}

/* Saves a burst's state in the current transaction: a restart resumes it. */
static int burst_save(struct kc_auditlog_proc *p, size_t r, const struct burst *b)
{
	if (!p->st)
		return 0;
	const struct kc_audit_rule *rule = &p->rules->rules[r];
	int64_t t[64];
	size_t n = 0;
	for (unsigned i = 0; i < b->n && n < 64; i++)
		t[n++] = b->t[(b->head + i) % rule->threshold_count];
	return kc_store_rulestate_save(p->st, rule->id, b->user, t, n, b->fired);
}

static void burst_restore(void *payload, const char *rule_id, const char *user, const int64_t *t, size_t n,
			  int64_t fired)
{
	struct kc_auditlog_proc *p = payload;
	for (size_t r = 0; r < p->rules->n; r++) {
		const struct kc_audit_rule *rule = &p->rules->rules[r];
		if (!rule->threshold_count || strcmp(rule->id, rule_id) != 0)
			continue;
		struct burst *b = burst_slot(p, r, user ? user : "");
		b->head = 0;
		b->n = 0;
		for (size_t i = n > rule->threshold_count ? n - rule->threshold_count : 0; i < n; i++)
			b->t[b->n++] = t[i];
		b->fired = fired;
	}
}

/* Records one matching request for a threshold rule; 1 when this one completes a burst, 0
 * when not, negative when its state cannot be saved. */
static int burst_hit(struct kc_auditlog_proc *p, size_t r, const struct kc_audit_event *ev)
{
	const struct kc_audit_rule *rule = &p->rules->rules[r];
	const char *user = ev->impersonated ? ev->f[KC_AF_IMP_USER] : ev->f[KC_AF_USER];
	if (!user)
		user = "";
	int64_t t = kc_audit_time_ms(ev->f[KC_AF_TIME]);
	if (t < 0)
		t = now_ms();
	struct burst *b = burst_slot(p, r, user);
	int64_t win = (int64_t)rule->threshold_window * 1000;
	b->t[(b->head + b->n) % rule->threshold_count] = t;
	if (b->n < rule->threshold_count)
		b->n++;
	else
		b->head = (b->head + 1) % rule->threshold_count;
	/* drop hits older than the window */
	while (b->n && b->t[b->head] < t - win) {
		b->head = (b->head + 1) % rule->threshold_count;
		b->n--;
	}
	int fire = 0;
	if (b->n >= rule->threshold_count && (b->fired < 0 || t - b->fired >= win)) {
		b->fired = t;
		fire = 1;
	}
	int rc = burst_save(p, r, b);
	return rc < 0 ? rc : fire;
}

static void put_str(struct kc_buf *b, const char *key, const char *v, int *first)
{
	if (!v)
		return;
	if (!*first)
		kc_buf_putc(b, ',');
	*first = 0;
	kc_buf_put_json_str(b, key);
	kc_buf_putc(b, ':');
	char *r = kc_redact_text(v), *esc = kc_utf8_escape(r);
	kc_buf_put_json_str(b, esc ? esc : r);
	free(esc);
	free(r);
}

static void put_list(struct kc_buf *b, const char *key, const struct kc_audit_event *ev,
		     enum kc_audit_list l, int *first)
{
	if (!ev->nlist[l])
		return;
	if (key) {
		if (!*first)
			kc_buf_putc(b, ',');
		*first = 0;
		kc_buf_put_json_str(b, key);
		kc_buf_putc(b, ':');
	}
	kc_buf_putc(b, '[');
	for (unsigned i = 0; i < ev->nlist[l] && i < KC_AUDIT_MAX_LIST; i++) {
		if (i)
			kc_buf_putc(b, ',');
		char *r = kc_redact_text(ev->list[l][i]), *esc = kc_utf8_escape(r);
		kc_buf_put_json_str(b, esc ? esc : r);
		free(esc);
		free(r);
	}
	kc_buf_putc(b, ']');
}

/* The finding's data: who, from where, on what, how it was decided, and the rule's evidence. */
static char *finding_json(const struct kc_audit_rule *rule, const struct kc_audit_event *ev, const char *id)
{
	struct kc_buf b = KC_BUF_INIT;
	const char *const *f = ev->f;
	int first = 1;
	kc_buf_putc(&b, '{');
	put_str(&b, "audit_id", id, &first);
	put_str(&b, "user", f[KC_AF_USER], &first);
	put_list(&b, "groups", ev, KC_AL_GROUPS, &first);
	put_str(&b, "impersonated_user", f[KC_AF_IMP_USER], &first);
	put_list(&b, "impersonated_groups", ev, KC_AL_IMP_GROUPS, &first);
	put_str(&b, "source_ip", f[KC_AF_SOURCE_IP], &first);
	put_list(&b, "source_ips", ev, KC_AL_SOURCE_IPS, &first);
	put_str(&b, "user_agent", f[KC_AF_USER_AGENT], &first);
	put_str(&b, "verb", f[KC_AF_VERB], &first);
	kc_buf_puts(&b, first ? "" : ",");
	first = 0;
	kc_buf_puts(&b, "\"object\":{");
	int ofirst = 1;
	put_str(&b, "namespace", f[KC_AF_NAMESPACE], &ofirst);
	put_str(&b, "resource", f[KC_AF_RESOURCE], &ofirst);
	put_str(&b, "subresource", f[KC_AF_SUBRESOURCE], &ofirst);
	put_str(&b, "name", f[KC_AF_NAME], &ofirst);
	put_str(&b, "api_group", f[KC_AF_API_GROUP], &ofirst);
	kc_buf_putc(&b, '}');
	if (ev->code >= 0)
		kc_buf_printf(&b, ",\"code\":%d", ev->code);
	put_str(&b, "decision", f[KC_AF_DECISION], &first);
	put_str(&b, "reason", f[KC_AF_REASON], &first);
	put_str(&b, "stage", f[KC_AF_STAGE], &first);
	put_str(&b, "level", f[KC_AF_LEVEL], &first);
	put_str(&b, "request_uri", f[KC_AF_REQUEST_URI], &first);
	if (rule->needs && strcmp(rule->needs, "Metadata") != 0 && f[KC_AF_LEVEL] &&
	    strcmp(f[KC_AF_LEVEL], "Metadata") == 0)
		put_str(&b, "visibility", "the log is at Metadata level: the request body is invisible", &first);
	if (rule->nevidence) {
		kc_buf_puts(&b, ",\"evidence\":{");
		int efirst = 1;
		for (size_t i = 0; i < rule->nevidence; i++) {
			size_t mark = b.len;
			if (!efirst)
				kc_buf_putc(&b, ',');
			kc_buf_put_json_str(&b, rule->evidence[i]);
			kc_buf_putc(&b, ':');
			if (kc_audit_value_json(ev, rule->evidence[i], &b))
				efirst = 0;
			else
				kc_buf_truncate(&b, mark);
		}
		kc_buf_putc(&b, '}');
	}
	kc_buf_putc(&b, '}');
	return kc_buf_detach(&b);
}

static int emit(struct kc_auditlog_proc *p, size_t r, const struct kc_audit_event *ev, const char *id)
{
	const struct kc_audit_rule *rule = &p->rules->rules[r];
	struct kc_finding f = { 0 };
	f.rule = rule->id;
	f.severity = kc_audit_rule_severity(rule, ev);
	f.time = kc_audit_time_rfc3339(ev->f[KC_AF_TIME]);
	f.source = "audit";
	f.cis = rule->cis;
	f.summary = kc_audit_rule_summary(rule, ev);
	char *esc = kc_utf8_escape(f.summary);
	if (esc) {
		free(f.summary);
		f.summary = esc;
	}
	f.data_json = finding_json(rule, ev, id);
	int rc = 0;
	if (p->st)
		rc = kc_store_add_finding(p->st, p->run_id, &f);
	if (rc == 0) {
		p->stats.findings++;
		if (p->on_finding)
			p->on_finding(p->payload, &f, ev);
	}
	free(f.time);
	free(f.summary);
	free(f.data_json);
	return rc;
}

/* Previously stored stages and fired rules of this request, from its data_json. */
struct prior {
	int exists;
	enum kc_audit_stage stage;
	struct json_object *stages, *rules; /* arrays, borrowed from doc */
	struct json_object *doc;
};

static int in_array(struct json_object *arr, const char *s)
{
	if (!arr || !s)
		return 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
			return 1;
	return 0;
}

static int load_prior(struct kc_auditlog_proc *p, const char *id, struct prior *pr)
{
	memset(pr, 0, sizeof(*pr));
	char *stage = NULL, *dj = NULL;
	int rc = kc_store_audit_event_get(p->st, id, &pr->exists, &stage, &dj);
	if (rc == 0 && pr->exists) {
		pr->stage = kc_audit_stage_parse(stage);
		pr->doc = dj ? json_tokener_parse(dj) : NULL;
		if (pr->doc) {
			json_object_object_get_ex(pr->doc, "stages", &pr->stages);
			json_object_object_get_ex(pr->doc, "rules", &pr->rules);
		}
	}
	free(stage);
	free(dj);
	return rc;
}

static void put_names(struct kc_buf *b, struct json_object *old, const char *const *add, size_t nadd)
{
	kc_buf_putc(b, '[');
	size_t n = 0;
	for (size_t i = 0; old && i < json_object_array_length(old); i++, n++) {
		if (n)
			kc_buf_putc(b, ',');
		kc_buf_put_json_str(b, json_object_get_string(json_object_array_get_idx(old, i)));
	}
	for (size_t i = 0; i < nadd; i++) {
		if (!add[i] || in_array(old, add[i]))
			continue;
		if (n++)
			kc_buf_putc(b, ',');
		kc_buf_put_json_str(b, add[i]);
	}
	kc_buf_putc(b, ']');
}

/* v, or its escaped copy (kept in *own, which the caller frees) when it is not valid UTF-8. */
static const char *utf8(const char *v, char **own)
{
	*own = v ? kc_utf8_escape(v) : NULL;
	return *own ? *own : v;
}

static int store_event(struct kc_auditlog_proc *p, const struct kc_audit_event *ev, const char *id,
		       const struct prior *pr, const char *const *fired, size_t nfired)
{
	const char *const *f = ev->f;
	struct kc_buf dj = KC_BUF_INIT, groups = KC_BUF_INIT;
	int first = 1;
	kc_buf_putc(&dj, '{');
	put_list(&dj, "impersonated_groups", ev, KC_AL_IMP_GROUPS, &first);
	put_list(&dj, "source_ips", ev, KC_AL_SOURCE_IPS, &first);
	put_str(&dj, "request_uri", f[KC_AF_REQUEST_URI], &first);
	put_str(&dj, "api_group", f[KC_AF_API_GROUP], &first);
	kc_buf_puts(&dj, first ? "\"stages\":" : ",\"stages\":");
	const char *stage = f[KC_AF_STAGE] ? f[KC_AF_STAGE] : "";
	put_names(&dj, pr->stages, &stage, 1);
	kc_buf_puts(&dj, ",\"rules\":");
	put_names(&dj, pr->rules, fired, nfired);
	kc_buf_putc(&dj, '}');
	int gfirst = 1;
	put_list(&groups, NULL, ev, KC_AL_GROUPS, &gfirst);

	enum kc_audit_stage st = kc_audit_stage_parse(f[KC_AF_STAGE]);
	enum kc_store_audit_write how = !pr->exists ? KC_STORE_AUDIT_INSERT
					: st > pr->stage ? KC_STORE_AUDIT_UPDATE : KC_STORE_AUDIT_UPDATE_DATA;
	char *t = kc_audit_time_rfc3339(f[KC_AF_TIME]);
	char *ua = f[KC_AF_USER_AGENT] ? kc_redact_text(f[KC_AF_USER_AGENT]) : NULL;
	char *reason = f[KC_AF_REASON] ? kc_redact_text(f[KC_AF_REASON]) : NULL;
	/* bytes from outside: stored text is valid UTF-8 in every report (groups and data_json
	 * were escaped as they were built) */
	char *own[13] = { 0 };
	struct kc_store_audit_event row = {
		.run_id = p->run_id, .audit_id = id, .stage = utf8(f[KC_AF_STAGE], &own[0]), .time = t,
		.verb = utf8(f[KC_AF_VERB], &own[1]), .user = utf8(f[KC_AF_USER], &own[2]),
		.impersonated = utf8(f[KC_AF_IMP_USER], &own[3]), .groups = groups.len ? groups.ptr : NULL,
		.source_ip = utf8(f[KC_AF_SOURCE_IP], &own[4]), .user_agent = utf8(ua, &own[5]),
		.namespace_ = utf8(f[KC_AF_NAMESPACE], &own[6]), .resource = utf8(f[KC_AF_RESOURCE], &own[7]),
		.subresource = utf8(f[KC_AF_SUBRESOURCE], &own[8]), .name = utf8(f[KC_AF_NAME], &own[9]),
		.code = ev->code, .decision = utf8(f[KC_AF_DECISION], &own[10]), .reason = utf8(reason, &own[11]),
		.level = utf8(f[KC_AF_LEVEL], &own[12]), .data_json = dj.ptr,
	};
	int rc = kc_store_audit_event_put(p->st, how, &row);
	for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++)
		free(own[i]);
	free(t);
	free(ua);
	free(reason);
	kc_buf_clear(&dj);
	kc_buf_clear(&groups);
	if (rc == 0)
		p->stats.recorded++;
	return rc;
}

/* Evaluates the rules that can apply into p->match; the number not false, and in *ntrue
 * the number true. */
static size_t evaluate(struct kc_auditlog_proc *p, const struct kc_audit_event *ev, size_t *ntrue)
{
	const struct kc_audit_rules *rules = p->rules;
	const struct kc_audit_rule_index *ix = kc_audit_rules_select(rules, ev);
	size_t maybe = 0;
	*ntrue = 0;
	memset(p->match, KC_FALSE, rules->n);
	if (kc_audit_dry_run(ev))
		return 0;
	if (!ev->attr)
		kc_audit_owners_observe(p->owners, (struct kc_audit_event *)ev);
	for (size_t i = 0; i < ix->n; i++) {
		size_t r = ix->rules[i];
		p->match[r] = (unsigned char)kc_audit_cond_eval(rules->rules[r].when, ev);
		maybe += p->match[r] != KC_FALSE;
		*ntrue += p->match[r] == KC_TRUE;
	}
	return maybe;
}

/* Everything after the rules were evaluated on ev (fully decoded whenever some rule was not
 * false on the header): dedup, findings, the record. */
static int process(struct kc_auditlog_proc *p, struct kc_audit_event *ev, const char *raw, size_t rawlen,
		   size_t nmatch)
{
	const struct kc_audit_rules *rules = p->rules;
	int keep = rules->record && kc_audit_cond_eval(rules->record, ev) == KC_TRUE;
	if (!nmatch && !keep)
		return 0;

	char synth[32];
	const char *id = ev->f[KC_AF_AUDIT_ID];
	if (!id || !*id) {
		/* no auditID (hand-made or exported events): the event's own bytes identify it */
		snprintf(synth, sizeof(synth), "noid-%016llx", (unsigned long long)kc_auditlog_hash(raw, rawlen));
		id = synth;
	}
	char *id_own;
	id = utf8(id, &id_own); /* looked up and stored the same way */
	const char *stage = ev->f[KC_AF_STAGE] ? ev->f[KC_AF_STAGE] : "";
	struct prior pr = { 0 };
	struct kc_buf key = KC_BUF_INIT;
	int rc = 0;
	if (p->st) {
		if ((rc = load_prior(p, id, &pr)) < 0)
			goto out;
		if (pr.exists && in_array(pr.stages, stage)) {
			p->stats.duplicates++;
			goto out;
		}
	} else {
		kc_buf_printf(&key, "%s\x1f%s", id, stage);
		if (!strset_add(&p->seen, key.ptr)) {
			p->stats.duplicates++;
			goto out;
		}
	}

	const char **fired = kc_xcalloc(rules->n + 1, sizeof(*fired));
	size_t nfired = 0;
	for (size_t r = 0; r < rules->n && rc == 0; r++) {
		if (p->match[r] != KC_TRUE)
			continue;
		const char *rid = rules->rules[r].id;
		if (p->st) {
			if (in_array(pr.rules, rid))
				continue;
		} else {
			kc_buf_reset(&key);
			kc_buf_printf(&key, "%s\x1f%s", id, rid);
			if (strset_has(&p->seen, key.ptr))
				continue;
		}
		if (rules->rules[r].threshold_count) {
			int hit = burst_hit(p, r, ev);
			if (hit < 0) {
				rc = hit;
				break;
			}
			if (!hit)
				continue;
		}
		if ((rc = emit(p, r, ev, id)) < 0)
			break;
		fired[nfired++] = rid;
		if (!p->st)
			strset_add(&p->seen, key.ptr);
	}
	if (rc == 0 && p->st)
		rc = store_event(p, ev, id, &pr, fired, nfired);
	else if (rc == 0)
		p->stats.recorded++;
	free(fired);
out:
	json_object_put(pr.doc);
	kc_buf_clear(&key);
	free(id_own);
	return rc;
}

/* An EventList written as one line (a webhook batch saved to a file, `kubectl get --raw`
 * exports): each item is an event of its own. 1 when line was one (items processed), 0 not. */
static int event_list_line(struct kc_auditlog_proc *p, const char *line, size_t len, int *rc)
{
	size_t head = len < 512 ? len : 512;
	if (!memmem(line, head, "\"EventList\"", 11))
		return 0;
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *root = json_tokener_parse_ex(tok, line, (int)len);
	int whole = root && json_tokener_get_error(tok) == json_tokener_success;
	json_tokener_free(tok);
	struct json_object *kind, *items;
	if (!whole || !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "kind", &kind) || !json_object_is_type(kind, json_type_string) ||
	    strcmp(json_object_get_string(kind), "EventList") != 0 ||
	    !json_object_object_get_ex(root, "items", &items) || !json_object_is_type(items, json_type_array)) {
		json_object_put(root);
		return 0;
	}
	*rc = 0;
	for (size_t i = 0; *rc == 0 && i < json_object_array_length(items); i++)
		*rc = kc_auditlog_proc_object(p, json_object_array_get_idx(items, i));
	json_object_put(root);
	return 1;
}

int kc_auditlog_proc_line(struct kc_auditlog_proc *p, const char *line, size_t len)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	int lrc;
	if (event_list_line(p, line, len, &lrc))
		return lrc;
	p->stats.events++;
	struct kc_audit_event *ev = &p->ev;
	size_t ntrue;
	if (!p->full && kc_audit_scan(ev, line, len) == 0 && evaluate(p, ev, &ntrue) == 0) {
		/* no rule can fire: the header alone decides (whether to record it) */
		p->stats.scanned++;
		return process(p, ev, line, len, 0);
	}
	/* some rule may fire (or the scanner gave up): decide on the whole event */
	if (kc_audit_decode(ev, line, len) < 0) {
		kc_error_clear();
		p->stats.malformed++;
		return 0;
	}
	p->stats.parsed++;
	evaluate(p, ev, &ntrue);
	return process(p, ev, line, len, ntrue);
}

int kc_auditlog_proc_object(struct kc_auditlog_proc *p, struct json_object *obj)
{
	p->stats.events++;
	if (kc_audit_decode_object(&p->ev, obj) < 0) {
		kc_error_clear();
		p->stats.malformed++;
		return 0;
	}
	p->stats.parsed++;
	size_t ntrue;
	evaluate(p, &p->ev, &ntrue);
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	return process(p, &p->ev, text, strlen(text), ntrue);
}
