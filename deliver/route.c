/*
 * route.c - the esmtproutes parser and lookup; see route.h.
 * runs as:  inside kurier-remote and kurier-rspawn's delivery children
 * trusts:   control/esmtproutes is root's, but a mistake in it must give a
 *           clear error, never a wrong route
 */
#include <arpa/inet.h>
#include <string.h>
#include "route.h"
#include "scan.h"

const char *route_tlsname(int tls)
{
	switch (tls) {
	case ROUTE_TLS_NONE: return "none";
	case ROUTE_TLS_MUST: return "must";
	case ROUTE_TLS_VERIFY: return "verify";
	}
	return "try";
}

int route_ip(const char *s)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	return 0;
}

void route_free(struct route *r)
{
	str_free(&r->key);
	str_free(&r->relay);
	r->found = 0;
}

/* lower - ASCII lower case of c */
static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* isspace_ - a blank inside a line */
static int isspace_(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

struct line {
	struct str key, relay;
	int literal, tls;
	unsigned port;
};

/* fail - "line N: why" into err; -1 */
static int fail(struct str *err, unsigned long n, const char *why)
{
	err->len = 0;
	if (!str_cats(err, "esmtproutes line ") || !str_catu(err, n) ||
	    !str_cats(err, ": ") || !str_cats(err, why))
		return -1;
	return -1;
}

/* parse_line - one non-comment line s[0..n) into l; 1 ok, -1 bad (err) */
static int parse_line(const char *s, size_t n, unsigned long lineno, struct line *l, struct str *err)
{
	size_t i = 0, j;

	l->key.len = l->relay.len = 0;
	l->literal = 0;
	l->port = 0;
	l->tls = ROUTE_TLS_TRY;
	while (i < n && isspace_(s[i]))
		i++;
	for (j = i; j < n && s[j] != ':'; j++) {
		char c = lower(s[j]);
		if (isspace_(c)) {
			size_t k = j;
			while (k < n && isspace_(s[k]))
				k++;
			if (k < n && s[k] == ':') {
				j = k;
				break;
			}
			return fail(err, lineno, "space inside the domain");
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return fail(err, lineno, "bad character in the domain");
		if (!str_append(&l->key, c))
			return -1;
	}
	if (j == n)
		return fail(err, lineno, "no colon after the domain");
	if (l->key.len > ROUTE_DOMAIN_MAX)
		return fail(err, lineno, "domain too long");
	if (l->key.len && l->key.s[l->key.len - 1] == '.')
		return fail(err, lineno, "domain ends with a dot");
	i = j + 1;
	while (i < n && isspace_(s[i]))
		i++;
	if (i < n && s[i] == '[') {
		for (j = i + 1; j < n && s[j] != ']'; j++)
			;
		if (j == n)
			return fail(err, lineno, "no ] after the address");
		if (!str_copyb(&l->relay, s + i + 1, j - i - 1))
			return -1;
		l->literal = route_ip(l->relay.s);
		if (!l->literal || memchr(l->relay.s, 0, l->relay.len))
			return fail(err, lineno, "not an IP address inside [ ]");
		i = j + 1;
	} else if (i < n && s[i] == '/') {
		;	/* options right after the colon: an empty relay */
	} else {
		for (j = i; j < n && s[j] != ',' && !isspace_(s[j]); j++) {
			char c = lower(s[j]);
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			      c == '.' || c == '-' || c == '_'))
				return fail(err, lineno, "bad character in the relay host");
			if (!str_append(&l->relay, c))
				return -1;
		}
		if (l->relay.len > ROUTE_DOMAIN_MAX)
			return fail(err, lineno, "relay host too long");
		if (l->relay.len && route_ip(l->relay.s))
			l->literal = route_ip(l->relay.s);
		i = j;
	}
	if (i < n && s[i] == ',') {
		unsigned long long port;
		size_t used = scan_ulong(s + i + 1, n - i - 1, &port);
		if (!used || port < 1 || port > 65535)
			return fail(err, lineno, "port is not a number from 1 to 65535");
		l->port = (unsigned)port;
		i += 1 + used;
	}
	for (;;) {
		while (i < n && isspace_(s[i]))
			i++;
		if (i == n)
			break;
		for (j = i; j < n && !isspace_(s[j]); j++)
			;
#define OPT(w) (j - i == strlen(w) && !memcmp(s + i, w, j - i))
		if (OPT("/tls=none"))
			l->tls = ROUTE_TLS_NONE;
		else if (OPT("/tls=try"))
			l->tls = ROUTE_TLS_TRY;
		else if (OPT("/tls=must"))
			l->tls = ROUTE_TLS_MUST;
		else if (OPT("/tls=verify"))
			l->tls = ROUTE_TLS_VERIFY;
		else
			return fail(err, lineno, s[i] == '/' ? "unknown option" :
			    "junk after the relay (options start with /)");
#undef OPT
		i = j;
	}
	return 1;
}

/* take - copy line l into the result r; 1 ok, -1 no memory */
static int take(struct route *r, struct line *l, unsigned long lineno)
{
	r->found = 1;
	r->line = lineno;
	r->literal = l->literal;
	r->port = l->port;
	r->tls = l->tls;
	if (!str_copy(&r->key, &l->key) || !str_copy(&r->relay, &l->relay))
		return -1;
	return 1;
}

int route_find(const char *text, size_t n, const char *domain, struct route *r, struct str *err)
{
	struct line l = { STR_INIT, STR_INIT, 0, 0, 0 };
	struct str dom = STR_INIT;
	size_t pos = 0, best = (size_t)-1, i, dlen;
	unsigned long lineno = 0, bestline = 0;
	int rc = 1, have_default = 0;
	struct line def = { STR_INIT, STR_INIT, 0, 0, 0 };
	unsigned long defline = 0;

	r->found = 0;
	r->line = 0;
	r->key.len = r->relay.len = 0;
	for (i = 0; domain[i]; i++)
		if (!str_append(&dom, lower(domain[i])))
			return -1;
	if (dom.len && dom.s[dom.len - 1] == '.')
		str_truncate(&dom, dom.len - 1);
	dlen = dom.len;
	/* best: the length of the matching key (exact match is dlen + 1) */
	while (pos < n) {
		const char *s = text + pos;
		const char *e = memchr(s, '\n', n - pos);
		size_t len = e ? (size_t)(e - s) : n - pos;
		size_t k;

		pos += len + (e ? 1 : 0);
		if (++lineno > ROUTE_LINES_MAX) {
			rc = fail(err, lineno, "too many lines");
			break;
		}
		for (k = 0; k < len && isspace_(s[k]); k++)
			;
		if (k == len || s[k] == '#')
			continue;
		if (memchr(s, 0, len)) {
			rc = fail(err, lineno, "NUL byte in the line");
			break;
		}
		if (parse_line(s, len, lineno, &l, err) < 0) {
			rc = -1;
			break;
		}
		/* a second line for the same domain would make the answer
		 * depend on line order; only lines that match are compared */
		if (l.key.len == 0) {
			if (have_default) {
				rc = fail(err, lineno, "a second line for the empty domain");
				break;
			}
			have_default = 1;
			defline = lineno;
			if (!str_copy(&def.key, &l.key) || !str_copy(&def.relay, &l.relay)) {
				rc = -1;
				break;
			}
			def.literal = l.literal;
			def.port = l.port;
			def.tls = l.tls;
			continue;
		}
		if (l.key.s[0] != '.') {
			if (l.key.len == dlen && !memcmp(l.key.s, dom.s, dlen)) {
				if (best == dlen + 1) {
					rc = fail(err, lineno, "a second line for this domain");
					break;
				}
				best = dlen + 1;
				bestline = lineno;
				if (take(r, &l, lineno) < 0) {
					rc = -1;
					break;
				}
			}
		} else if (l.key.len < dlen + 1 &&
			   !memcmp(l.key.s, dom.s + dlen - l.key.len, l.key.len)) {
			if (best == l.key.len) {
				rc = fail(err, lineno, "a second line for this wildcard");
				break;
			}
			if (best != (size_t)-1 && best > l.key.len)
				continue;
			best = l.key.len;
			bestline = lineno;
			if (take(r, &l, lineno) < 0) {
				rc = -1;
				break;
			}
		}
	}
	(void)bestline;
	if (rc == 1 && !r->found && have_default && take(r, &def, defline) < 0)
		rc = -1;
	if (rc < 0)
		r->found = 0;
	str_free(&l.key);
	str_free(&l.relay);
	str_free(&def.key);
	str_free(&def.relay);
	str_free(&dom);
	return rc;
}
