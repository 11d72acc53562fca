/* Real connections, really observed: the flow tracer (bpf/flows.bpf.c) is loaded into this
 * kernel; a "db" server and a "web" client run as processes moved into pod-shaped cgroups
 * (kubepods.slice/.../cri-containerd-<id>.scope, as the systemd cgroup driver names them)
 * with kubelet's /var/log/pods naming their pods; they talk over IPv4 and IPv6 loopback.
 * The tracer must see each connection once, from web's pod to db's pod (both halves
 * joined), aggregated with counts; the recorder stores them in the flows table; and
 * `kubecomply remediate --since` turns them into a least-privilege policy whose rule
 * selects db and web by their controllers' matchLabels. Needs root (tests run as root);
 * skipped with a kc-skip line otherwise. */
#include "kc_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/run.h"
#include "store/store.h"
#include "bpf/attribution.h"
#include "bpf/flows.h"
#include "common/error.h"
#include "common/strbuf.h"

struct pod {
	const char *ns, *name;
	char uid[40];
	char cg[1200];      /* the container's cgroup directory */
	char slice[1000];   /* the pod's slice */
};

struct fixture {
	char *tmp;          /* --root with var/log/pods */
	char *v2;           /* cgroup v2 mount */
	char qos[800];
	struct pod web, db;
	int port4, port6;
};

static void mk(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void make_pod(struct fixture *f, struct pod *p, const char *ns, const char *name, unsigned seed)
{
	p->ns = ns;
	p->name = name;
	snprintf(p->uid, sizeof(p->uid), "%08x-1111-4222-8333-%012x", seed, (unsigned)getpid());
	char uid_[40];
	snprintf(uid_, sizeof(uid_), "%s", p->uid);
	for (char *c = uid_; *c; c++)
		if (*c == '-')
			*c = '_';
	snprintf(p->slice, sizeof(p->slice), "%s/kubepods-besteffort-pod%s.slice", f->qos, uid_);
	mk(p->slice);
	snprintf(p->cg, sizeof(p->cg), "%s/cri-containerd-%08x%056x.scope", p->slice, seed, 0);
	mk(p->cg);
	char logdir[900];
	snprintf(logdir, sizeof(logdir), "var/log/pods/%s_%s_%s/c/0.log", ns, name, p->uid);
	kc_test_write(f->tmp, logdir, "", 0644);
}

static int setup(void **state)
{
	if (!kc_test_is_root()) {
		print_message("kc-skip: the flow tracer needs root (BPF and cgroups)\n");
		return -1;
	}
	struct fixture *f = calloc(1, sizeof(*f));
	f->tmp = kc_test_mkdtemp();
	int fd = kc_attr_open_cgroup_root("/", &f->v2);
	if (fd < 0) {
		print_message("kc-skip: no cgroup v2 hierarchy\n");
		free(f);
		return -1;
	}
	close(fd);
	char kp[650];
	snprintf(kp, sizeof(kp), "%s/kubepods.slice", f->v2);
	mk(kp);
	snprintf(f->qos, sizeof(f->qos), "%s/kubepods-besteffort.slice", kp);
	mk(f->qos);
	unsigned seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 8);
	make_pod(f, &f->web, "shop", "web-7d9c5b6f4-x2x9k", seed);
	make_pod(f, &f->db, "shop", "db-0", seed + 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	/* the processes are gone: the cgroups are empty and can go */
	rmdir(f->web.cg);
	rmdir(f->web.slice);
	rmdir(f->db.cg);
	rmdir(f->db.slice);
	kc_test_rmtree(f->tmp);
	free(f->tmp);
	free(f->v2);
	free(f);
	return 0;
}

static void enter(const struct pod *p)
{
	char procs[1300], pid[32];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", p->cg);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	int fd = open(procs, O_WRONLY);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		_exit(90);
	close(fd);
}

static int listen_on(int family, int *port)
{
	int s = socket(family, SOCK_STREAM, 0), one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t l = sizeof(a);
		if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16) || getsockname(s, (struct sockaddr *)&a, &l))
			return -1;
		*port = ntohs(a.sin_port);
	} else {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		socklen_t l = sizeof(a);
		if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16) || getsockname(s, (struct sockaddr *)&a, &l))
			return -1;
		*port = ntohs(a.sin6_port);
	}
	return s;
}

/* db (server) and web (client) in their pods: n4 connections over IPv4, n6 over IPv6. The
 * sockets are created after each process entered its cgroup, as in a container. */
static void run_pods(struct fixture *f, int n4, int n6)
{
	int ready[2], ports[2];
	assert_int_equal(pipe(ready), 0);
	pid_t server = fork();
	if (server == 0) {
		enter(&f->db);
		int s4 = listen_on(AF_INET, &ports[0]), s6 = listen_on(AF_INET6, &ports[1]);
		if (s4 < 0 || s6 < 0)
			_exit(91);
		if (write(ready[1], ports, sizeof(ports)) != sizeof(ports))
			_exit(92);
		for (int i = 0; i < n4 + n6; i++) {
			/* both listeners, whichever has a connection */
			int c = accept4(i < n4 ? s4 : s6, NULL, NULL, 0);
			if (c < 0)
				_exit(93);
			char b;
			if (read(c, &b, 1) < 0)
				_exit(94);
			close(c);
		}
		_exit(0);
	}
	assert_int_equal(read(ready[0], ports, sizeof(ports)), (ssize_t)sizeof(ports));
	f->port4 = ports[0];
	f->port6 = ports[1];
	pid_t client = fork();
	if (client == 0) {
		enter(&f->web);
		for (int i = 0; i < n4 + n6; i++) {
			int v6 = i >= n4;
			int c = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
			int rc;
			if (v6) {
				struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT, .sin6_port = htons((uint16_t)ports[1]) };
				rc = connect(c, (struct sockaddr *)&a, sizeof(a));
			} else {
				struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons((uint16_t)ports[0]) };
				rc = connect(c, (struct sockaddr *)&a, sizeof(a));
			}
			if (rc != 0 || write(c, "x", 1) != 1)
				_exit(95);
			close(c);
		}
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(client, &st, 0), client);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(waitpid(server, &st, 0), server);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(ready[0]);
	close(ready[1]);
}

struct seen {
	struct fixture *f;
	int v4, v6;               /* count of the web -> db flows */
	int other;                /* flows of our ports that are not web -> db */
};

static int collect(void *payload, const struct kc_flowmon_obs *o)
{
	struct seen *s = payload;
	if (o->port != s->f->port4 && o->port != s->f->port6)
		return 0;   /* another process on this machine */
	print_message("observed: %s %s/%s (%s) [%s] -> %s %s/%s (%s) [%s] port %d x%llu\n", o->src.kind, o->src.ns,
		      o->src.workload, o->src.pod, o->src.addr, o->dst.kind, o->dst.ns, o->dst.workload, o->dst.pod,
		      o->dst.addr, o->port, (unsigned long long)o->count);
	int web_db = strcmp(o->src.kind, "pod") == 0 && strcmp(o->src.ns, "shop") == 0 &&
		     strcmp(o->src.workload, "web") == 0 && strcmp(o->src.pod, "web-7d9c5b6f4-x2x9k") == 0 &&
		     strcmp(o->dst.kind, "pod") == 0 && strcmp(o->dst.workload, "db") == 0 && strcmp(o->dst.pod, "db-0") == 0;
	if (!web_db)
		s->other++;
	else if (o->port == s->f->port4)
		s->v4 += (int)o->count;
	else
		s->v6 += (int)o->count;
	return 0;
}

/* The tracer in this kernel: 3 IPv4 and 2 IPv6 connections from web's pod to db's pod are
 * two aggregated flows with counts 3 and 2, each joined from its connect and its accept
 * (no second, accept-only flow), attributed through the sockets' cgroups. */
static void test_connect_and_accept_joined_per_pod_pair(void **state)
{
	struct fixture *f = *state;
	struct kc_attr_cache *attr = NULL;
	struct kc_flowmon *mon = NULL;
	assert_int_equal(kc_attr_new(NULL, f->tmp, &attr), 0);
	int rc = kc_flowmon_open(attr, &mon);
	if (rc)
		print_message("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	run_pods(f, 3, 2);
	struct seen s = { f, 0, 0, 0 };
	assert_int_equal(kc_flowmon_drain(mon, 1, collect, &s), 0);
	assert_int_equal(s.v4, 3);
	assert_int_equal(s.v6, 2);
	assert_int_equal(s.other, 0);
	uint64_t seen = 0, dropped = 0;
	kc_flowmon_counters(mon, &seen, &dropped);
	assert_true(seen >= 10);      /* 5 connects and 5 accepts at least */
	assert_int_equal(dropped, 0);
	kc_flowmon_free(mon);
	kc_attr_free(attr);
}

/* Pods' workloads come from the names controllers give them. */
static void test_workload_from_pod_name(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "web-7d9c5b6f4-x2x9k", "web" }, { "db-0", "db" }, { "node-exporter-4xkzt", "node-exporter" },
		{ "api-proxy", "api-proxy" }, { "coredns-5d78c9869d-8hz2w", "coredns" }, { "etcd-master-1", "etcd-master" },
		{ "standalone", "standalone" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char w[256];
		kc_flowmon_workload(cases[i][0], w, sizeof(w));
		assert_string_equal(w, cases[i][1]);
	}
}

/* ---- end to end: watch's recorder -> flows table -> remediate --since ---------------------- */

static const char web_deploy[] =
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n"
	"  selector:\n    matchLabels:\n      app.kubernetes.io/name: web\n  template:\n    metadata:\n"
	"      labels:\n        app.kubernetes.io/name: web\n        version: v7\n    spec:\n"
	"      containers:\n      - name: web\n        image: web:7\n";
static const char db_sts[] =
	"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n  namespace: shop\nspec:\n"
	"  serviceName: db\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: db\n  template:\n    metadata:\n"
	"      labels:\n        app.kubernetes.io/name: db\n    spec:\n      containers:\n      - name: db\n        image: db:1\n";

static void seed_repo(const char *tmp, char *work, size_t cap)
{
	char remote[600];
	snprintf(remote, sizeof(remote), "%s/remote.git", tmp);
	snprintf(work, cap, "%s/work", tmp);
	git_libgit2_init();
	git_repository *r, *w;
	git_treebuilder *tb;
	git_oid empty, tree_id, commit;
	git_tree *base, *tree;
	git_signature *sig;
	assert_int_equal(git_repository_init(&r, remote, 1), 0);
	git_treebuilder_new(&tb, r, NULL);
	git_treebuilder_write(&empty, tb);
	git_treebuilder_free(tb);
	git_tree_lookup(&base, r, &empty);
	const char *files[][2] = {
		{ "clusters/prod/kustomization.yaml", "resources:\n- shop\n" },
		{ "clusters/prod/shop/kustomization.yaml", "resources:\n- web.yaml\n- db.yaml\n" },
		{ "clusters/prod/shop/web.yaml", web_deploy },
		{ "clusters/prod/shop/db.yaml", db_sts },
	};
	git_tree_update up[4];
	memset(up, 0, sizeof(up));
	for (size_t i = 0; i < 4; i++) {
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].filemode = GIT_FILEMODE_BLOB;
		up[i].path = files[i][0];
		git_blob_create_from_buffer(&up[i].id, r, files[i][1], strlen(files[i][1]));
	}
	assert_int_equal(git_tree_create_updated(&tree_id, r, base, 4, up), 0);
	git_tree_lookup(&tree, r, &tree_id);
	git_signature_now(&sig, "Platform", "p@example.test");
	assert_int_equal(git_commit_create(&commit, r, "refs/heads/main", sig, sig, NULL, "init\n", tree, 0, NULL), 0);
	git_repository_set_head(r, "refs/heads/main");
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_repository_free(r);
	assert_int_equal(git_clone(&w, remote, work, NULL), 0);
	git_repository_free(w);
	git_libgit2_shutdown();
}

static void seed_audit(const char *db)
{
	struct kc_store *st;
	struct kc_run run;
	memset(&run, 0, sizeof(run));
	run.host = kc_strdup("node-1");
	run.cluster = kc_strdup("prod");
	run.benchmark = kc_strdup("cis-1.12");
	run.started = kc_time_now_rfc3339();
	run.finished = kc_time_now_rfc3339();
	struct kc_result *r = kc_run_add_result(&run);
	r->id = kc_strdup("5.3.2");
	r->status = KC_FAIL;
	struct kc_evidence *ev = kc_result_add_evidence(r, KC_EV_OBJECT);
	ev->obj_kind = kc_strdup("Namespace");
	ev->obj_name = kc_strdup("shop");
	ev->detail = kc_strdup("no NetworkPolicy selects the pods of namespace shop");
	assert_int_equal(kc_store_open(db, &st), 0);
	assert_int_equal(kc_store_save_run(st, &run), 0);
	/* an old observation: outside --since, it must not become a rule */
	struct kc_store_flow old = {
		"prod", "node-1", 0, "pod", "shop", "web", "web-5f6d7c8b9-abcde", "10.1.0.5",
		"address", NULL, NULL, NULL, "198.51.100.9", 8443, "TCP", 40, "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z",
	};
	assert_int_equal(kc_store_flow_add(st, &old), 0);
	kc_store_free(st);
	kc_run_clear(&run);
}

static int print_row(void *payload, const struct kc_store_flow *f)
{
	(void)payload;
	print_message("flows row: %s/%s (%s) -> %s %s/%s (%s) %s/%d count %lld first %s last %s\n",
		      f->src_namespace ? f->src_namespace : "-", f->src_workload ? f->src_workload : f->src_addr,
		      f->src_pod ? f->src_pod : "", f->dst_kind, f->dst_namespace ? f->dst_namespace : "-",
		      f->dst_workload ? f->dst_workload : f->dst_addr, f->dst_pod ? f->dst_pod : "", f->protocol, f->port,
		      (long long)f->count, f->first_seen, f->last_seen);
	return 0;
}

static void test_recorded_flows_become_the_policy(void **state)
{
	struct fixture *f = *state;
	char db[600], work[600];
	if (access(kc_test_bin(), X_OK) != 0) {
		print_message("kc-skip: %s not built\n", kc_test_bin());
		skip();
	}
	snprintf(db, sizeof(db), "%s/evidence.db", f->tmp);
	seed_audit(db);
	seed_repo(f->tmp, work, sizeof(work));

	/* what `watch --bpf` runs beside the monitor */
	struct kc_flows_watch *w = NULL;
	int rc = kc_flows_watch_start(db, f->tmp, "prod", "node-1", 0, &w);
	if (rc)
		print_message("%s\n", kc_error_last());
	assert_int_equal(rc, 0);
	run_pods(f, 4, 1);
	usleep(1500 * 1000);   /* at least one periodic drain, so stop's final drain adds up */
	run_pods(f, 2, 0);
	assert_int_equal(kc_flows_watch_stop(w), 0);

	struct kc_store *st;
	assert_int_equal(kc_store_open(db, &st), 0);
	assert_int_equal(kc_store_flows(st, "prod", NULL, print_row, NULL), 0);
	kc_store_free(st);

	char *out = NULL;
	const char *argv[] = { "remediate", "--db", db, "--repo", work, "--path", "clusters/prod", "--since", "1h",
			       "--dry-run", NULL };
	rc = kc_test_run(&out, argv);
	const char *save = getenv("KC_FLOWS_OUT");   /* the closing note shows it */
	FILE *sf = save && *save ? fopen(save, "w") : NULL;
	if (sf) {
		fputs(out, sf);
		fclose(sf);
	}
	if (rc)
		print_message("%s\n", out);
	assert_int_equal(rc, 0);
	/* db's ingress policy selects db by its StatefulSet's selector and allows web by its
	 * Deployment's, on the two ports that were used */
	assert_non_null(strstr(out, "+    matchLabels:\n+      app.kubernetes.io/name: db\n"));
	assert_non_null(strstr(out, "+          app.kubernetes.io/name: web\n"));
	assert_null(strstr(out, "version: v7"));
	assert_null(strstr(out, "pod-template-hash"));
	char want[128];
	snprintf(want, sizeof(want), "| shop/app.kubernetes.io/name=web | shop/app.kubernetes.io/name=db | TCP/%d |", f->port4);
	assert_non_null(strstr(out, want));
	/* the old observation is outside --since */
	assert_null(strstr(out, "198.51.100.9"));
	free(out);
	const char *all[] = { "remediate", "--db", db, "--repo", work, "--path", "clusters/prod", "--dry-run", NULL };
	assert_int_equal(kc_test_run(&out, all), 0);
	assert_non_null(strstr(out, "198.51.100.9/32"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workload_from_pod_name),
		cmocka_unit_test_setup_teardown(test_connect_and_accept_joined_per_pod_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recorded_flows_become_the_policy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
