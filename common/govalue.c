#include "common/govalue.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

#define NS_US 1000LL
#define NS_MS (1000LL * NS_US)
#define NS_S (1000LL * NS_MS)
#define NS_M (60LL * NS_S)
#define NS_H (60LL * NS_M)

static const struct {
	const char *unit;
	int64_t ns;
} go_units[] = {
	{ "ns", 1 }, { "us", NS_US }, { "\xc2\xb5s", NS_US } /* U+00B5 */, { "\xce\xbcs", NS_US } /* U+03BC */,
	{ "ms", NS_MS }, { "s", NS_S }, { "m", NS_M }, { "h", NS_H },
};

static int bad_duration(const char *orig, const char *why)
{
	return kc_error_set(KC_EINVAL, "time: %s duration \"%s\" (expected e.g. 4h0m0s, 90s, 300ms)", why, orig);
}

/* time.ParseDuration (Go src/time/format.go): [-+]? then number+unit pairs, each number
 * with an optional fraction; "0" alone needs no unit. */
int kc_go_duration(const char *s, int64_t *ns)
{
	const char *orig = s;
	int neg = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (!*s)
		return bad_duration(orig, "invalid");
	unsigned __int128 total = 0;
	while (*s) {
		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return bad_duration(orig, "invalid");
		unsigned __int128 v = 0;
		const char *p = s;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned)(*s++ - '0');
			if (v > (unsigned __int128)INT64_MAX + 1)
				return bad_duration(orig, "invalid (overflow)");
		}
		int pre = s != p;
		double frac = 0, scale = 1;
		int post = 0;
		if (*s == '.') {
			s++;
			p = s;
			while (*s >= '0' && *s <= '9') {
				if (scale < 1e18) { /* digits past int64 precision are dropped, as Go does */
					frac = frac * 10 + (*s - '0');
					scale *= 10;
				}
				s++;
			}
			post = s != p;
		}
		if (!pre && !post)
			return bad_duration(orig, "invalid");
		p = s;
		while (*s && *s != '.' && !(*s >= '0' && *s <= '9'))
			s++;
		if (s == p)
			return bad_duration(orig, "missing unit in");
		int64_t unit = 0;
		for (size_t i = 0; i < sizeof(go_units) / sizeof(*go_units); i++)
			if (strlen(go_units[i].unit) == (size_t)(s - p) && strncmp(go_units[i].unit, p, (size_t)(s - p)) == 0)
				unit = go_units[i].ns;
		if (!unit)
			return bad_duration(orig, "unknown unit in");
		v *= (unsigned __int128)unit;
		if (frac > 0)
			v += (unsigned __int128)(frac * ((double)unit / scale));
		total += v;
		if (total > (unsigned __int128)INT64_MAX + 1)
			return bad_duration(orig, "invalid (overflow)");
	}
	if (!neg && total > (unsigned __int128)INT64_MAX)
		return bad_duration(orig, "invalid (overflow)");
	*ns = neg ? (int64_t)(0 - (uint64_t)total) : (int64_t)total;
	return 0;
}

/* A fraction without trailing zeros: frac of unit ns, e.g. 1500ms -> "1.5". */
static void put_units(char *buf, size_t size, uint64_t v, uint64_t unit, const char *suffix)
{
	uint64_t whole = v / unit, frac = v % unit;
	char fbuf[32] = "";
	if (frac) {
		/* one digit per power of ten of the unit, then trailing zeros dropped */
		size_t n = 0;
		fbuf[n++] = '.';
		for (uint64_t u = unit / 10; u >= 1 && n < sizeof(fbuf) - 1; u /= 10) {
			fbuf[n++] = (char)('0' + (frac / u) % 10);
			if (u == 1)
				break;
		}
		while (n > 1 && fbuf[n - 1] == '0')
			n--;
		fbuf[n] = '\0';
	}
	snprintf(buf, size, "%llu%s%s", (unsigned long long)whole, fbuf, suffix);
}

const char *kc_go_duration_string(int64_t ns, char *buf, size_t size)
{
	if (ns == 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	const char *sign = ns < 0 ? "-" : "";
	uint64_t u = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
	char tail[40];
	if (u < (uint64_t)NS_S) {
		if (u < (uint64_t)NS_US)
			put_units(tail, sizeof(tail), u, 1, "ns");
		else if (u < (uint64_t)NS_MS)
			put_units(tail, sizeof(tail), u, NS_US, "\xc2\xb5s");
		else
			put_units(tail, sizeof(tail), u, NS_MS, "ms");
		snprintf(buf, size, "%s%s", sign, tail);
		return buf;
	}
	uint64_t h = u / NS_H, m = (u % NS_H) / NS_M;
	put_units(tail, sizeof(tail), u % NS_M, NS_S, "s");
	if (h)
		snprintf(buf, size, "%s%lluh%llum%s", sign, (unsigned long long)h, (unsigned long long)m, tail);
	else if (m)
		snprintf(buf, size, "%s%llum%s", sign, (unsigned long long)m, tail);
	else
		snprintf(buf, size, "%s%s", sign, tail);
	return buf;
}

/* resource.ParseQuantity (k8s.io/apimachinery/pkg/api/resource/quantity.go): a signed
 * decimal number, then a binary-SI suffix (Ki..Ei), a decimal-SI suffix (n u m "" k M G T
 * P E) or a decimal exponent (e3, E-2). */
int kc_go_quantity(const char *s, double *value)
{
	static const struct {
		const char *suffix;
		double mult;
	} sfx[] = {
		{ "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 }, { "Ti", 1099511627776.0 },
		{ "Pi", 1125899906842624.0 }, { "Ei", 1152921504606846976.0 }, { "n", 1e-9 }, { "u", 1e-6 },
		{ "m", 1e-3 }, { "", 1 }, { "k", 1e3 }, { "M", 1e6 }, { "G", 1e9 }, { "T", 1e12 }, { "P", 1e15 },
		{ "E", 1e18 },
	};
	const char *p = s;
	int neg = 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	double v = 0, scale = 1;
	int digits = 0;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			scale /= 10;
			v += (*p++ - '0') * scale;
			digits++;
		}
	}
	if (!digits)
		return kc_error_set(KC_EINVAL, "quantity \"%s\": expected a number with an optional unit (100Mi, 1.5G, 500m)", s);
	if ((*p == 'e' || *p == 'E') && p[1]) {
		int en = 0, eneg = 0;
		const char *q = p + 1;
		if (*q == '+' || *q == '-')
			eneg = *q++ == '-';
		const char *d = q;
		while (*q >= '0' && *q <= '9' && en < 1000)
			en = en * 10 + (*q++ - '0');
		if (q != d && !*q) {
			double m = 1;
			for (int i = 0; i < en; i++)
				m *= 10;
			*value = (neg ? -v : v) * (eneg ? 1 / m : m);
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(sfx) / sizeof(*sfx); i++) {
		if (strcmp(p, sfx[i].suffix) == 0) {
			*value = (neg ? -v : v) * sfx[i].mult;
			return 0;
		}
	}
	return kc_error_set(KC_EINVAL, "quantity \"%s\": unknown unit \"%s\" (expected Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or eN)", s, p);
}

/* strconv.ParseBool (Go src/strconv/atob.go) */
int kc_go_bool(const char *s, int *out)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, t[i]) == 0)
			return *out = 1, 0;
		if (strcmp(s, f[i]) == 0)
			return *out = 0, 0;
	}
	return kc_error_set(KC_EINVAL, "strconv.ParseBool: parsing \"%s\": invalid syntax (expected true/false, 1/0, t/f)", s);
}
