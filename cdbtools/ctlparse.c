/*
 * ctlparse.c - parsers for the make* tools' text formats; see ctlparse.h.
 * No global state and no I/O except through the :include: callback.
 * A plain address target, the common case, is checked in one pass
 * (quick_target); anything else goes the long way, which alone chooses
 * the error messages.
 */
#include <stdint.h>
#include <string.h>
#include "ctlparse.h"

/* is_white - the bytes that separate fields on a line */
static int is_white(char c)
{
	return c == ' ' || c == '\t';
}

/* trim_end - length of s[0..n) without trailing spaces, tabs and CRs */
static size_t trim_end(const char *s, size_t n)
{
	while (n && (is_white(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	return n;
}

/* skip_white - index of the first non-white byte of s[i..n) */
static size_t skip_white(const char *s, size_t i, size_t n)
{
	while (i < n && is_white(s[i]))
		i++;
	return i;
}

int cp_lower(struct str *out, const char *s, size_t n)
{
	size_t i, at = out->len;

	if (!str_catb(out, s, n))
		return 0;
	for (i = at; i < out->len; i++)
		if (out->s[i] >= 'A' && out->s[i] <= 'Z')
			out->s[i] = (char)(out->s[i] + 32);
	return 1;
}

int cp_domain(const char *d, size_t n, const char **why)
{
	size_t i, label = 0;

	if (n == 0) {
		*why = "empty domain";
		return 0;
	}
	if (n > CP_DOMAIN_MAX) {
		*why = "domain longer than 255 bytes (RFC 5321)";
		return 0;
	}
	for (i = 0; i < n; i++) {
		char c = d[i];
		if (c == '.') {
			if (label == 0) {
				*why = "empty label in domain";
				return 0;
			}
			if (d[i - 1] == '-') {
				*why = "domain label ends with '-'";
				return 0;
			}
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
			*why = "bad character in domain";
			return 0;
		}
		if (c == '-' && label == 0) {
			*why = "domain label starts with '-'";
			return 0;
		}
		if (++label > CP_LABEL_MAX) {
			*why = "domain label longer than 63 bytes (RFC 1035)";
			return 0;
		}
	}
	if (label == 0) {
		*why = "domain ends with a dot";
		return 0;
	}
	if (d[n - 1] == '-') {
		*why = "domain label ends with '-'";
		return 0;
	}
	return 1;
}

/* is_atext - 1 for RFC 5322 atext bytes */
static int is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != 0);
}

/* the bytes of a dot-atom local part (RFC 5322 atext and '.'), as
 * bitmaps of the ASCII codes 0-63 and 64-127 */
#define LOCAL_LO 0xa3ffecfa00000000ULL
#define LOCAL_HI 0x7fffffffc7fffffeULL

/* in_set - 1 if byte c is in the bitmap lo/hi */
static int in_set(unsigned char c, uint64_t lo, uint64_t hi)
{
	uint64_t w = c & 64 ? hi : lo;

	return (c >> 7 == 0) & (int)(w >> (c & 63) & 1);
}

/* quick_domain - the end of the domain that starts at s[b] (the first byte
 * that cannot be part of one) when cp_domain would accept it; 0 when it
 * would not.  b is past an '@', so never 0. */
static size_t quick_domain(const char *s, size_t b, size_t n)
{
	size_t i = b, label = 0;
	char prev = '.';

	for (; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || prev == '-')
				return 0;
			label = 0;
		} else if ((unsigned char)((c | 0x20) - 'a') < 26 || (unsigned char)(c - '0') < 10) {
			label++;
		} else if (c == '-') {
			if (label == 0)
				return 0;
			label++;
		} else {
			break;
		}
		if (label > CP_LABEL_MAX)
			return 0;
		prev = c;
	}
	if (label == 0 || prev == '-' || i - b > CP_DOMAIN_MAX)
		return 0;
	return i;
}

int cp_local(const char *l, size_t n, const char **why)
{
	size_t i;

	if (n == 0) {
		*why = "empty local part";
		return 0;
	}
	if (n > CP_LOCAL_MAX) {
		*why = "local part longer than 64 bytes (RFC 5321)";
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!is_atext(l[i]) && l[i] != '.') {
			*why = l[i] == '"' ? "quoted local parts are not supported" : "bad character in local part";
			return 0;
		}
	return 1;
}

int cp_address(const char *a, size_t n, const char **why)
{
	const char *at = memchr(a, '@', n);

	if (n > CP_ADDR_MAX) {
		*why = "address longer than 254 bytes (RFC 5321)";
		return 0;
	}
	if (!at)
		return cp_local(a, n, why);
	return cp_local(a, (size_t)(at - a), why) &&
	       cp_domain(at + 1, n - (size_t)(at - a) - 1, why);
}

int cp_split(const char *text, size_t len, size_t *pos, int cont, struct str *buf,
    const char **line, size_t *ll, size_t *start, const char **why)
{
	size_t i = *pos;
	int have = 0, joined = 0, nonul = cont & CP_NONUL;

	cont &= CP_CONT;
	*line = "";
	*ll = 0;
	while (i < len) {
		const char *s = text + i;
		const char *nl;
		size_t n, t, lead;

		/* a line that starts with none of white space, '#' or a line
		 * end starts the next logical line: no need to read it now
		 * (with NULs possible, it is read for its NUL check first) */
		if (have && cont && nonul && s[0] != ' ' && s[0] != '\t' && s[0] != '\n' &&
		    s[0] != '\r' && s[0] != '#')
			break;
		nl = memchr(s, '\n', len - i);
		n = nl ? (size_t)(nl - s) : len - i;
		t = trim_end(s, n);
		lead = skip_white(s, 0, t);

		if (!nonul && memchr(s, 0, n)) {
			*start = i;
			*why = "NUL byte in line";
			return -1;
		}
		if (lead == t || s[lead] == '#') {	/* blank or comment */
			if (have && !cont)
				break;
			i += n + 1;
			continue;
		}
		if (have) {
			if (!cont || lead == 0)
				break;	/* the next logical line starts here */
			if (*ll + 1 + (t - lead) > CP_LINE_MAX) {
				*why = "line longer than 1 MiB";
				return -1;
			}
			if ((!joined && !str_copyb(buf, *line, *ll)) ||
			    !str_append(buf, ' ') || !str_catb(buf, s + lead, t - lead)) {
				*why = "out of memory";
				return -1;
			}
			joined = 1;
			*line = buf->s;
			*ll = buf->len;
		} else {
			*start = i;
			if (cont && lead) {
				*why = "continuation line with no line before it";
				return -1;
			}
			if (t - lead > CP_LINE_MAX) {
				*why = "line longer than 1 MiB";
				return -1;
			}
			*line = s + lead;
			*ll = t - lead;
			have = 1;
		}
		i += n + 1;
		if (!cont)
			break;
	}
	*pos = i < len ? i : len;
	return have;
}

int cp_hosted(const char *s, size_t n, struct str *key, struct str *val, const char **why)
{
	size_t i = 0, a, b;

	key->len = val->len = 0;
	while (i < n && !is_white(s[i]))
		i++;
	a = i;
	if (!cp_domain(s, a, why))
		return 0;
	i = skip_white(s, i, n);
	b = i;
	while (i < n && !is_white(s[i]))
		i++;
	if (skip_white(s, i, n) != n) {
		*why = "more than two fields";
		return 0;
	}
	if (b < n && !cp_domain(s + b, i - b, why))
		return 0;
	if (!cp_lower(key, s, a) || !cp_lower(val, s + b, i - b)) {
		*why = "out of memory";
		return 0;
	}
	if (val->len == key->len && memcmp(val->s, key->s, key->len) == 0) {
		*why = "domain aliases itself";
		return 0;
	}
	return 1;
}

int cp_accept(const char *s, size_t n, struct str *key, const char **why)
{
	size_t i = 0;

	key->len = 0;
	while (i < n && !is_white(s[i]))
		i++;
	if (i != n) {
		*why = "more than one field";
		return 0;
	}
	if (n && s[0] == '.') {
		*why = "wildcard domains are not supported; list each domain";
		return 0;
	}
	if (!cp_domain(s, n, why))
		return 0;
	if (!cp_lower(key, s, n)) {
		*why = "out of memory";
		return 0;
	}
	return 1;
}

/* hexval - value of a hex digit, or -1 */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ip4_scan - four dotted decimal octets, exactly filling s[0..n); 1 ok, 0 bad */
static int ip4_scan(const char *s, size_t n, unsigned char ip[4])
{
	size_t i = 0;
	int k;

	for (k = 0; k < 4; k++) {
		unsigned v = 0, digits = 0;
		if (k && (i >= n || s[i++] != '.'))
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return 0;
		ip[k] = (unsigned char)v;
	}
	return i == n;
}

int ip6_scan(const char *s, size_t n, unsigned char ip[16])
{
	unsigned char head[16] = { 0 }, tail[16] = { 0 };
	size_t nh = 0, nt = 0, i = 0;
	int gap = 0;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 1;
		i = 2;
	} else if (n && s[0] == ':') {
		return 0;
	}
	while (i < n) {
		unsigned char *g = gap ? tail : head;
		size_t *ng = gap ? &nt : &nh;
		size_t j = i;
		unsigned v = 0;

		/* an IPv4 tail: digits followed by '.' */
		while (j < n && hexval(s[j]) >= 0)
			j++;
		if (j < n && s[j] == '.') {
			if (nh + nt + 4 > 16 || !ip4_scan(s + i, n - i, g + *ng))
				return 0;
			*ng += 4;
			break;	/* the IPv4 tail ends the address */
		}
		if (j == i || j - i > 4 || nh + nt + 2 > 16)
			return 0;
		for (; i < j; i++)
			v = v * 16 + (unsigned)hexval(s[i]);
		g[(*ng)++] = (unsigned char)(v >> 8);
		g[(*ng)++] = (unsigned char)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return 0;
		i++;
		if (i < n && s[i] == ':') {
			if (gap)
				return 0;
			gap = 1;
			i++;
		} else if (i == n) {
			return 0;	/* a single trailing colon */
		}
	}
	if (gap ? nh + nt > 14 : nh != 16)
		return 0;
	memset(ip, 0, 16);
	memcpy(ip, head, nh);
	memcpy(ip + 16 - nt, tail, nt);
	return 1;
}

int ip6_text(struct str *out, const unsigned char ip[16])
{
	static const char hex[] = "0123456789abcdef";
	size_t k, best = 0, bestlen = 0, run = 0;
	int mapped = 1;

	for (k = 0; k < 10; k++)
		if (ip[k])
			mapped = 0;
	if (ip[10] != 0xff || ip[11] != 0xff)
		mapped = 0;
	/* the longest run of zero groups (one group counts), the first on a tie */
	for (k = 0; k < 16; k += 2) {
		if (ip[k] == 0 && ip[k + 1] == 0) {
			run += 2;
			if (run > bestlen) {
				bestlen = run;
				best = k + 2 - run;
			}
		} else {
			run = 0;
		}
	}
	for (k = 0; k < 16; k += 2) {
		unsigned v = (unsigned)ip[k] << 8 | ip[k + 1];
		char g[4];
		size_t gl = 0;
		int shift;

		if (k == 12 && mapped) {
			for (shift = 12; shift < 16; shift++) {
				if (shift > 12 && !str_append(out, '.'))
					return 0;
				if (!str_catu(out, ip[shift]))
					return 0;
			}
			return 1;
		}
		if (bestlen && k == best) {
			if ((k == 0 && !str_append(out, ':')) || !str_append(out, ':'))
				return 0;
			k += bestlen - 2;
			continue;
		}
		for (shift = 12; shift >= 0; shift -= 4)
			if ((v >> shift) || gl || shift == 0)
				g[gl++] = hex[(v >> shift) & 15];
		if (!str_catb(out, g, gl) || (k < 14 && !str_append(out, ':')))
			return 0;
	}
	return 1;
}

/* ip6_prefix - a prefix of IPv6 groups as tcpserver's text starts: lower
 * case, leading zeros dropped, ending in ':'; 1 ok, 0 bad */
static int ip6_prefix(const char *s, size_t n, struct str *key)
{
	size_t i = 0, groups = 0;
	int gap = 0;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		if (!str_cats(key, "::"))
			return 0;
		gap = 1;
		i = 2;
	} else if (n && s[0] == ':') {
		return 0;
	}
	while (i < n) {
		size_t j = i, z;
		while (j < n && hexval(s[j]) >= 0)
			j++;
		if (j == i || j - i > 4 || ++groups > 7)
			return 0;
		for (z = i; z + 1 < j && s[z] == '0'; z++)
			;
		if (!cp_lower(key, s + z, j - z))
			return 0;
		i = j;
		if (i == n)
			break;
		if (s[i] != ':' || !str_append(key, ':'))
			return 0;
		i++;
		if (i < n && s[i] == ':') {
			if (gap || !str_append(key, ':'))
				return 0;
			gap = 1;
			i++;
		}
	}
	if (key->len && key->s[key->len - 1] != ':' && !str_append(key, ':'))
		return 0;
	return key->len > 0;
}

int cp_netblock(const char *s, size_t n, struct str *key, const char **why)
{
	size_t i, dots = 0;
	unsigned char ip[16];

	key->len = 0;
	if (n == 1 && s[0] == '*')
		return 1;
	if (n == 0) {
		*why = "empty netblock";
		return 0;
	}
	if (memchr(s, ':', n)) {
		if (s[n - 1] != ':' && ip6_scan(s, n, ip)) {
			static const unsigned char v4map[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
			if (memcmp(ip, v4map, 12) == 0) {
				*why = "write an IPv4-mapped address as IPv4: tcpserver reports those clients so";
				return 0;
			}
			if (!ip6_text(key, ip)) {
				*why = "out of memory";
				return 0;
			}
			return 1;
		}
		if (memchr(s, '.', n) || !ip6_prefix(s, n, key)) {
			key->len = 0;
			*why = "bad IPv6 netblock";
			return 0;
		}
		return 1;
	}
	/* IPv4: one to four decimal octets; fewer than four make a prefix */
	if (s[n - 1] == '.')
		n--;	/* written with its trailing dot */
	i = 0;
	for (;;) {
		unsigned v = 0, digits = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255) {
			key->len = 0;
			*why = "bad IPv4 netblock";
			return 0;
		}
		if (!str_catu(key, v)) {
			*why = "out of memory";
			return 0;
		}
		if (i == n)
			break;
		if (s[i] != '.' || ++dots > 3) {
			key->len = 0;
			*why = "bad IPv4 netblock";
			return 0;
		}
		i++;
		if (!str_append(key, '.')) {
			*why = "out of memory";
			return 0;
		}
	}
	if (dots < 3 && !str_append(key, '.')) {
		*why = "out of memory";
		return 0;
	}
	return 1;
}

/* is_varname - 1 for the bytes of an environment variable name */
static int is_varname(char c, int first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
}

int cp_smtpaccess(const char *s, size_t n, struct str *key, struct str *val, const char **why)
{
	size_t i = 0, a, vars = 0, mark;

	val->len = 0;
	while (i < n && !is_white(s[i]))
		i++;
	if (!cp_netblock(s, i, key, why))
		return 0;
	i = skip_white(s, i, n);
	a = i;
	while (i < n && s[i] != ',' && !is_white(s[i]))
		i++;
	if (i - a == 4 && strncmp(s + a, "deny", 4) == 0) {
		if (skip_white(s, i, n) != n) {
			*why = "deny takes no variables";
			return 0;
		}
		if (!str_catb(val, "D", 2)) {	/* "D" and its NUL, as tcprules writes it */
			*why = "out of memory";
			return 0;
		}
		return 1;
	}
	if (!(i - a == 5 && strncmp(s + a, "allow", 5) == 0)) {
		*why = i == a ? "missing allow or deny" : "action is neither allow nor deny";
		return 0;
	}
	while ((i = skip_white(s, i, n)) < n) {
		size_t nb, ne, k;
		if (s[i] != ',') {
			*why = "expected ',' between variables";
			return 0;
		}
		i = skip_white(s, i + 1, n);
		nb = i;
		while (i < n && is_varname(s[i], i == nb))
			i++;
		ne = i;
		if (ne == nb) {
			*why = "bad variable name";
			return 0;
		}
		if (ne - nb > CP_VARNAME_MAX) {
			*why = "variable name longer than 64 bytes";
			return 0;
		}
		if (++vars > CP_VARS_MAX) {
			*why = "more than 64 variables";
			return 0;
		}
		/* the same name twice would leave only one in tcpserver's environment */
		for (k = 0; k < val->len; k += strlen(val->s + k) + 1)
			if (strncmp(val->s + k + 1, s + nb, ne - nb) == 0 && val->s[k + 1 + ne - nb] == '=') {
				*why = "variable set twice";
				return 0;
			}
		mark = val->len;
		if (!str_append(val, '+') || !str_catb(val, s + nb, ne - nb) || !str_append(val, '=')) {
			*why = "out of memory";
			return 0;
		}
		if (i < n && s[i] == '=') {
			size_t vb, ve;
			i++;
			if (i < n && s[i] == '"') {
				vb = ++i;
				while (i < n && s[i] != '"')
					i++;
				if (i == n) {
					*why = "unterminated quoted value";
					return 0;
				}
				ve = i++;
			} else {
				vb = i;
				while (i < n && s[i] != ',' && !is_white(s[i]) && s[i] != '"')
					i++;
				if (i < n && s[i] == '"') {
					*why = "quote inside an unquoted value";
					return 0;
				}
				ve = i;
			}
			for (k = vb; k < ve; k++)
				if ((unsigned char)s[k] < 32 || s[k] == 127) {
					*why = "control character in a value";
					return 0;
				}
			if (ve - vb > CP_VALUE1_MAX) {
				*why = "value longer than 1024 bytes";
				return 0;
			}
			if (!str_catb(val, s + vb, ve - vb)) {
				*why = "out of memory";
				return 0;
			}
		} else if (i < n && s[i] != ',' && !is_white(s[i])) {
			val->len = mark;
			*why = "bad variable name";
			return 0;
		}
		if (!str_0(val)) {
			*why = "out of memory";
			return 0;
		}
	}
	return 1;
}

/* alias parsing ----------------------------------------------------------- */

struct actx {
	int quick;		/* try quick_target first */
	struct str *val;
	cp_include_fn inc;
	void *arg;
	struct cp_alias_err *err;
	size_t count;
	int depth;
};

/* fail - record why and return 0 */
static int fail(struct cp_alias_err *err, const char *why)
{
	err->why = why;
	return 0;
}

static int targets(struct actx *c, const char *s, size_t n);

/* include - expand an :include: file into c->val; 1 ok, 0 bad (err) */
static int include(struct actx *c, const char *path, size_t pl)
{
	struct str p = STR_INIT, data = STR_INIT, line = STR_INIT;
	size_t pos = 0, start = 0, i, ll;
	const char *lp;
	const char *why = 0;
	int r;

	if (pl == 0 || path[0] != '/')
		return fail(c->err, ":include: needs an absolute path");
	if (pl > CP_TARGET_MAX)
		return fail(c->err, ":include: path too long");
	if (memchr(path, 0, pl))
		return fail(c->err, "NUL byte in :include: path");
	if (c->depth >= CP_INCLUDE_DEPTH)
		return fail(c->err, ":include: nested more than 8 deep (a loop?)");
	if (!c->inc)
		return fail(c->err, ":include: is not allowed here");
	if (!str_copyb(&p, path, pl))
		return fail(c->err, "out of memory");
	r = c->inc(c->arg, p.s, &data);
	if (r <= 0) {
		c->err->sys = r < 0;
		str_free(&data);
		if (!str_copy(&c->err->file, &p))
			c->err->file.len = 0;
		str_free(&p);
		c->err->line = 0;
		return fail(c->err, r == 0 ? "cannot read :include: file: no such file" : "cannot read :include: file");
	}
	c->depth++;
	for (;;) {
		r = cp_split(data.s ? data.s : "", data.len, &pos, 1, &line, &lp, &ll, &start, &why);
		if (r == 0)
			break;
		if (r < 0 || !targets(c, lp, ll)) {
			if (r < 0)
				c->err->why = why;
			if (!c->err->file.len) {	/* the innermost file names the place */
				unsigned long l = 1;
				for (i = 0; i < start; i++)
					if (data.s[i] == '\n')
						l++;
				c->err->line = l;
				if (!str_copy(&c->err->file, &p))
					c->err->file.len = 0;
			}
			str_free(&p);
			str_free(&data);
			str_free(&line);
			return 0;
		}
	}
	c->depth--;
	str_free(&p);
	str_free(&data);
	str_free(&line);
	return 1;
}

/* target - check one target and append it with its NUL; 1 ok, 0 bad */
static int target(struct actx *c, const char *t, size_t n)
{
	const char *why = 0;

	if (n >= 9 && t[0] == ':' && memcmp(t, ":include:", 9) == 0) {
		size_t i = skip_white(t, 9, n);
		return include(c, t + i, n - i);
	}
	if (n == 0)
		return fail(c->err, "empty target");
	if (n > CP_TARGET_MAX)
		return fail(c->err, "target longer than 4096 bytes");
	if (t[0] == '|') {
		size_t i;
		if (n == 1)
			return fail(c->err, "empty program");
		for (i = 0; i < n; i++)
			if ((unsigned char)t[i] < 32 && t[i] != '\t')
				return fail(c->err, "control character in a program");
	} else if (t[0] == '/') {
		size_t i;
		if (t[n - 1] != '/')
			return fail(c->err, "a path target must be a maildir ending in '/'");
		for (i = 0; i < n; i++)
			if ((unsigned char)t[i] <= 32 || t[i] == 127)
				return fail(c->err, "space or control character in a maildir path");
		if (n >= 3 && (memmem(t, n, "/../", 4) || memmem(t, n, "/./", 3)))
			return fail(c->err, "'.' or '..' in a maildir path");
	} else if (!cp_address(t, n, &why)) {
		return fail(c->err, why);
	}
	if (++c->count > CP_TARGETS_MAX)
		return fail(c->err, "more than 100000 targets");
	if (c->val->len + n + 1 > CP_VALUE_MAX)
		return fail(c->err, "targets longer than 16 MiB in all");
	if (!str_catb(c->val, t, n) || !str_0(c->val))
		return fail(c->err, "out of memory");
	return 1;
}

/*
 * quick_target - the target at s[b..n) when it is a plain local@domain
 * the long way would accept: sets *e to its end and *next to the ','
 * after it (or n); 1 such a target, 0 the long way must look at it.
 */
static int quick_target(const char *s, size_t b, size_t n, size_t *e, size_t *next)
{
	size_t i = b, j;

	if (b < n && (s[b] == '|' || s[b] == '/'))
		return 0;	/* programs and maildirs */
	while (i < n && in_set((unsigned char)s[i], LOCAL_LO, LOCAL_HI))
		i++;
	if (i == b || i == n || s[i] != '@' || i - b > CP_LOCAL_MAX || !(i = quick_domain(s, i + 1, n)))
		return 0;
	j = skip_white(s, i, n);
	if ((j < n && s[j] != ',') || i - b > CP_ADDR_MAX)
		return 0;
	*e = i;
	*next = j;
	return 1;
}

/* targets - a comma-separated list of targets, any of them in double quotes; 1 ok, 0 bad */
static int targets(struct actx *c, const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t b, e;
		int quick = 0;
		i = skip_white(s, i, n);
		if (c->quick && quick_target(s, i, n, &e, &b)) {
			quick = 1;
			/* checked: only the count and the size are left */
			if (++c->count > CP_TARGETS_MAX)
				return fail(c->err, "more than 100000 targets");
			if (c->val->len + (e - i) + 1 > CP_VALUE_MAX)
				return fail(c->err, "targets longer than 16 MiB in all");
			if (!str_catb(c->val, s + i, e - i) || !str_0(c->val))
				return fail(c->err, "out of memory");
			i = b;
		} else if (i < n && s[i] == '"') {
			b = ++i;
			while (i < n && s[i] != '"')
				i++;
			if (i == n)
				return fail(c->err, "unterminated quoted target");
			e = i++;
			i = skip_white(s, i, n);
			if (i < n && s[i] != ',')
				return fail(c->err, "text after a quoted target");
		} else {
			b = i;
			while (i < n && s[i] != ',')
				i++;
			e = i;
			while (e > b && is_white(s[e - 1]))
				e--;
			if (memchr(s + b, '"', e - b))
				return fail(c->err, "quote inside a target");
			if (e > b && s[b] != '|' && s[b] != ':') {
				size_t k;
				for (k = b; k < e; k++)
					if (is_white(s[k]))
						return fail(c->err, "white space inside a target (missing comma?)");
			}
		}
		if (!quick && !target(c, s + b, e - b))
			return 0;
		if (i >= n)
			return 1;
		i++;	/* the comma */
		if (skip_white(s, i, n) == n)
			return fail(c->err, "comma at the end of the line");
	}
}

/* quick_key - the alias of s[0..n) into key, lower-cased, when it is a plain
 * local@domain followed by ':'; 1 done, 0 the long way must look at it */
static int quick_key(const char *s, size_t n, struct str *key)
{
	size_t i = 0, j;

	while (i < n && in_set((unsigned char)s[i], LOCAL_LO, LOCAL_HI))
		i++;
	if (i == 0 || i == n || s[i] != '@' || i > CP_LOCAL_MAX || !(i = quick_domain(s, i + 1, n)))
		return 0;
	j = skip_white(s, i, n);
	if (j == n || s[j] != ':' || i > CP_ADDR_MAX || !str_ready(key, i))
		return 0;
	for (j = 0; j < i; j++)
		key->s[j] = (char)(s[j] >= 'A' && s[j] <= 'Z' ? s[j] + 32 : s[j]);
	key->s[i] = 0;
	key->len = i;
	return 1;
}

/* alias_key - cp_alias_key, trying quick_key first when quick is set */
static int alias_key(const char *s, size_t n, struct str *key, const char **why, int quick)
{
	const char *colon;
	size_t kl;

	key->len = 0;
	if (quick && quick_key(s, n, key))
		return 1;
	colon = memchr(s, ':', n);
	if (!colon) {
		*why = "missing ':' after the alias";
		return 0;
	}
	kl = (size_t)(colon - s);
	while (kl && is_white(s[kl - 1]))
		kl--;
	if (kl == 0) {
		*why = "missing alias before ':'";
		return 0;
	}
	if (s[0] == '@') {
		if (!cp_domain(s + 1, kl - 1, why))
			return 0;
	} else if (!cp_address(s, kl, why)) {
		return 0;
	}
	if (!cp_lower(key, s, kl)) {
		*why = "out of memory";
		return 0;
	}
	return 1;
}

int cp_alias_key(const char *s, size_t n, struct str *key, const char **why)
{
	return alias_key(s, n, key, why, 1);
}

int cp_alias_key_plain(const char *s, size_t n, struct str *key, const char **why)
{
	return alias_key(s, n, key, why, 0);
}

/* alias - cp_alias, with the quick paths when quick is set */
static int alias(const char *s, size_t n, struct str *key, struct str *val,
    cp_include_fn inc, void *arg, struct cp_alias_err *err, int quick)
{
	struct actx c;
	const char *colon = memchr(s, ':', n);
	const char *why = 0;
	size_t at0 = val->len;

	err->why = 0;
	err->file.len = 0;
	err->line = 0;
	err->sys = 0;
	if (key && !alias_key(s, n, key, &why, quick))
		return fail(err, why);
	if (!colon)	/* only reached without key: the caller checked it before */
		return fail(err, "missing ':' after the alias");
	c.quick = quick;
	c.val = val;
	c.inc = inc;
	c.arg = arg;
	c.err = err;
	c.count = 0;
	c.depth = 0;
	if (skip_white(s, (size_t)(colon - s) + 1, n) == n)
		return fail(err, "alias without targets");
	if (!targets(&c, colon + 1, n - (size_t)(colon - s) - 1)) {
		val->len = at0;
		return 0;
	}
	if (s[0] == '@') {
		/* "@dom: user": the one target is a local account that gets x@dom as user-x */
		const char *t = val->s + at0;
		size_t tl = strlen(t);
		if (c.count != 1 || t[0] == '|' || t[0] == '/' || memchr(t, '@', tl)) {
			val->len = at0;
			return fail(err, "an @domain alias takes exactly one local user name");
		}
	}
	return 1;
}

int cp_alias(const char *s, size_t n, struct str *key, struct str *val,
    cp_include_fn inc, void *arg, struct cp_alias_err *err)
{
	return alias(s, n, key, val, inc, arg, err, 1);
}

int cp_alias_plain(const char *s, size_t n, struct str *key, struct str *val,
    cp_include_fn inc, void *arg, struct cp_alias_err *err)
{
	return alias(s, n, key, val, inc, arg, err, 0);
}
