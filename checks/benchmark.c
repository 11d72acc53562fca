#include "checks/benchmark.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/fsroot.h"
#include "checks/policy_root.h"
#include "common/error.h"
#include "common/strbuf.h"

/* "v1.29.3", "1.29", "v1.31.0-eks-1234": the minor of a 1.x release, or -1. */
static int parse_minor(const char *v)
{
	if (!v)
		return -1;
	if (*v == 'v' || *v == 'V')
		v++;
	if (strncmp(v, "1.", 2) != 0)
		return -1;
	char *end;
	long minor = strtol(v + 2, &end, 10);
	if (end == v + 2 || minor < 0 || minor > 999 || (*end && *end != '.' && *end != '-' && *end != '+'))
		return -1;
	return (int)minor;
}

/* kube-bench's mapping for the benchmarks we ship: 1.28 -> cis-1.10, 1.29..1.31 -> cis-1.11,
 * 1.32 and later -> cis-1.12. Releases older than 1.28 get the oldest we ship. */
static const char *bench_for_minor(int minor)
{
	if (minor >= 32)
		return "cis-1.12";
	if (minor >= 29)
		return "cis-1.11";
	return "cis-1.10";
}

/* The tag of a static pod image: ".../kube-apiserver:v1.29.0" -> "v1.29.0". */
static const char *image_tag(const char *image)
{
	const char *slash = image ? strrchr(image, '/') : NULL;
	const char *colon = strrchr(slash ? slash : (image ? image : ""), ':');
	return colon ? colon + 1 : NULL;
}

/* Go binaries of Kubernetes carry their gitVersion ("v1.30.2") as a string; dependency
 * versions in the build info are tab-separated and skipped. Reads through fsroot. */
static int binary_minor(struct kc_node *node, const char *path, char *found, size_t foundlen)
{
	int fd = kc_root_open_file(node->root, path);
	if (fd < 0)
		return -1;
	char *buf = kc_xmalloc(1 << 16);
	char carry[16] = "";
	size_t total = 0;
	int minor = -1;
	ssize_t n;
	while (minor < 0 && total < (256u << 20) && (n = read(fd, buf + sizeof(carry), (1 << 16) - sizeof(carry))) > 0) {
		memcpy(buf, carry, sizeof(carry));
		size_t len = sizeof(carry) + (size_t)n;
		for (size_t i = 1; i + 6 < len && minor < 0; i++) {
			if (buf[i] != 'v' || buf[i + 1] != '1' || buf[i + 2] != '.' || buf[i - 1] == '\t' ||
			    isalnum((unsigned char)buf[i - 1]))
				continue;
			size_t j = i + 3, digits = 0;
			while (j < len && isdigit((unsigned char)buf[j]) && digits < 3)
				j++, digits++;
			if (digits == 0 || j >= len || buf[j] != '.' || !isdigit((unsigned char)buf[j + 1]))
				continue;
			int m = atoi(buf + i + 3);
			if (m >= 20 && m <= 60) {
				size_t k = j + 1;
				while (k < len && isdigit((unsigned char)buf[k]))
					k++;
				snprintf(found, foundlen, "%.*s", (int)(k - i), buf + i);
				minor = m;
			}
		}
		memcpy(carry, buf + len - sizeof(carry), sizeof(carry));
		total += (size_t)n;
	}
	close(fd);
	free(buf);
	return minor;
}

/* The version the node runs matters to the report even when the benchmark was named. */
static char *detect(const char *name, struct kc_node *node, const char *k8s_version, const char **why,
		    char **version);

/* The distribution and managed-platform variants we ship, each for one benchmark release,
 * chosen over the version-based CIS benchmark when the node's layout is theirs. */
#define KC_RKE2_BENCHMARK "rke2-cis-1.12"
#define KC_K3S_BENCHMARK "k3s-cis-1.12"
#define KC_EKS_BENCHMARK "eks-cis-1.8"
#define KC_AKS_BENCHMARK "aks-cis-1.8"
#define KC_GKE_BENCHMARK "gke-cis-1.6"

static int path_is(struct kc_node *node, const char *path, mode_t type)
{
	struct stat st;
	return kc_root_lstat(node->root, path, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/* Managed worker nodes, told apart by the files their node images install (read through
 * fsroot, nothing run). Returns the variant and sets *what to the marker found. */
static const char *managed_platform(struct kc_node *node, const char **what)
{
	static const struct {
		const char *path;
		mode_t type;
		const char *bench, *what;
	} marks[] = {
		{ "/etc/eks", S_IFDIR, KC_EKS_BENCHMARK, "EKS node: /etc/eks exists (EKS AMI bootstrap files)" },
		{ "/etc/kubernetes/kubelet/kubelet-config.json", S_IFREG, KC_EKS_BENCHMARK,
		  "EKS node: the EKS AMI's kubelet config /etc/kubernetes/kubelet/kubelet-config.json" },
		{ "/etc/kubernetes/kubelet/config.json", S_IFREG, KC_EKS_BENCHMARK,
		  "EKS node: nodeadm's kubelet config /etc/kubernetes/kubelet/config.json" },
		{ "/etc/kubernetes/azure.json", S_IFREG, KC_AKS_BENCHMARK,
		  "AKS node: the Azure cloud provider config /etc/kubernetes/azure.json" },
		{ "/home/kubernetes/kubelet-config.yaml", S_IFREG, KC_GKE_BENCHMARK,
		  "GKE node: the GKE node image's kubelet config /home/kubernetes/kubelet-config.yaml" },
	};
	for (size_t i = 0; i < sizeof(marks) / sizeof(*marks); i++)
		if (path_is(node, marks[i].path, marks[i].type)) {
			*what = marks[i].what;
			return marks[i].bench;
		}
	return NULL;
}

char *kc_benchmark_resolve(const char *name, struct kc_node *node, const char *k8s_version, const char **why,
			   char **version)
{
	char *v = NULL;
	char *b = detect(name, node, k8s_version, why, &v);
	int named = name && *name && strcmp(name, "auto") != 0;
	if (!named && node) {
		/* the layout decides the variant; the version found (if any) stays in the report */
		static char whybuf[768];
		const char *dwhy = NULL, *what = NULL, *variant = NULL;
		if (kc_node_distribution(node, &dwhy) == KC_DISTRO_RKE2) {
			variant = KC_RKE2_BENCHMARK;
			what = dwhy;
			snprintf(whybuf, sizeof(whybuf), "RKE2 detected (%s): %s, the RKE2 variant", dwhy ? dwhy : "its layout",
				 variant);
		} else if ((variant = managed_platform(node, &what)) != NULL) {
			snprintf(whybuf, sizeof(whybuf), "%s: %s, the worker-node sections of its CIS benchmark", what, variant);
		}
		if (!variant && kc_node_distribution(node, &dwhy) == KC_DISTRO_K3S) {
			/* the k3s variant judges the components k3s runs in its own process from the
			 * arguments k3s gives them (checks/k3s.h); say where those came from */
			const char *from = NULL;
			for (int i = 0; i < KC_COMP_COUNT && !from; i++)
				if (node->comps[i].source == KC_SRC_K3S)
					from = node->comps[i].source_path;
			variant = KC_K3S_BENCHMARK;
			if (from)
				snprintf(whybuf, sizeof(whybuf), "k3s detected (%s): %s, the k3s variant; the components k3s runs "
					 "are judged from the arguments it gives them (k3s command line %s)",
					 dwhy ? dwhy : "its layout", variant, from);
			else
				snprintf(whybuf, sizeof(whybuf), "k3s detected (%s): %s, the k3s variant; no k3s server or agent "
					 "process or unit was found, so the components k3s runs are not found",
					 dwhy ? dwhy : "its layout", variant);
		}
		if (variant) {
			if (v) {
				size_t len = strlen(whybuf);
				snprintf(whybuf + len, sizeof(whybuf) - len, " (Kubernetes %s; %s would apply otherwise)", v, b);
			}
			free(b);
			b = kc_strdup(variant);
			*why = whybuf;
		}
	}
	if (version)
		*version = v;
	else
		free(v);
	return b;
}

static char *detect(const char *name, struct kc_node *node, const char *k8s_version, const char **why,
		    char **version)
{
	static char whybuf[512];
	int named = name && *name && strcmp(name, "auto") != 0;
	if (named && k8s_version)
		*version = kc_strdup(k8s_version);
	if (named) {
		*why = "given with --benchmark";
		return kc_strdup(name);
	}
	int minor = parse_minor(k8s_version);
	if (minor >= 0) {
		*version = kc_strdup(k8s_version);
		snprintf(whybuf, sizeof(whybuf), "Kubernetes %s given with --k8s-version", k8s_version);
		*why = whybuf;
		return kc_strdup(bench_for_minor(minor));
	}
	if (node) {
		kc_node_load(node);
		static const enum kc_component_id order[] = { KC_COMP_APISERVER, KC_COMP_CONTROLLER_MANAGER,
							     KC_COMP_SCHEDULER, KC_COMP_KUBELET, KC_COMP_PROXY };
		for (size_t i = 0; i < sizeof(order) / sizeof(*order); i++) {
			const struct kc_component *c = kc_node_component(node, order[i]);
			const char *tag = image_tag(c->image);
			if ((minor = parse_minor(tag)) >= 0) {
				*version = kc_strdup(tag);
				snprintf(whybuf, sizeof(whybuf), "Kubernetes %s from the image of %s (%s)", tag, c->name,
					 c->source_path ? c->source_path : "static pod");
				*why = whybuf;
				return kc_strdup(bench_for_minor(minor));
			}
		}
		for (size_t i = 0; i < sizeof(order) / sizeof(*order); i++) {
			const struct kc_component *c = kc_node_component(node, order[i]);
			char bin[512] = "", ver[64] = "";
			/* the program the unit or process starts, or the usual install paths */
			static const char *const dirs[] = { NULL, "/usr/bin", "/usr/local/bin" };
			for (size_t k = 0; k < 3 && minor < 0; k++) {
				if (k == 0) {
					if (c->source != KC_SRC_SYSTEMD || !c->cmdline_redacted || c->cmdline_redacted[0] != '/')
						continue;
					snprintf(bin, sizeof(bin), "%.*s", (int)strcspn(c->cmdline_redacted, " "), c->cmdline_redacted);
				} else {
					snprintf(bin, sizeof(bin), "%s/%s", dirs[k], c->name);
				}
				minor = binary_minor(node, bin, ver, sizeof(ver));
			}
			if (minor >= 0) {
				*version = kc_strdup(ver);
				snprintf(whybuf, sizeof(whybuf), "Kubernetes %s from the build information of %s", ver, bin);
				*why = whybuf;
				return kc_strdup(bench_for_minor(minor));
			}
		}
	}
	*why = "the newest benchmark (no Kubernetes version detected; give --k8s-version to choose)";
	return kc_strdup(KC_DEFAULT_BENCHMARK);
}

/* Benchmark names become directory names: letters, digits, '.', '-', '_' only. */
static int valid_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

int kc_benchmark_load(const char *name, const char *extra_dir, struct kc_policy_set *out)
{
	if (!valid_name(name))
		return kc_error_set(KC_EINVAL, "--benchmark '%s': a name of letters, digits, '.', '-' and '_' expected", name);
	struct kc_buf dir = KC_BUF_INIT;
	kc_buf_printf(&dir, "%s/%s", kc_policy_root(), name);
	struct stat st;
	int rc = 0;
	if (stat(dir.ptr, &st) == 0 && S_ISDIR(st.st_mode))
		rc = kc_policy_load_dir(out, dir.ptr);
	else if (!extra_dir)
		rc = kc_error_set(KC_ENOTFOUND, "benchmark '%s' not found (no directory %s); 'kubecomply checks --help' "
				  "lists where policies are looked up", name, dir.ptr);
	if (rc == 0 && extra_dir)
		rc = kc_policy_load_dir(out, extra_dir);
	kc_buf_clear(&dir);
	return rc;
}
