/*
 * smtpparse.c - SMTP command, path, parameter and base64 parsers; see
 * smtpparse.h.  Pure functions over untrusted bytes: no I/O, no global
 * state, every index checked against the given length.
 */
#include <string.h>
#include "smtpparse.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", SMTP_HELO }, { "EHLO", SMTP_EHLO }, { "MAIL", SMTP_MAIL },
	{ "RCPT", SMTP_RCPT }, { "DATA", SMTP_DATA }, { "BDAT", SMTP_BDAT },
	{ "RSET", SMTP_RSET }, { "NOOP", SMTP_NOOP }, { "QUIT", SMTP_QUIT },
	{ "VRFY", SMTP_VRFY }, { "EXPN", SMTP_EXPN }, { "HELP", SMTP_HELP },
	{ "AUTH", SMTP_AUTH }, { "STARTTLS", SMTP_STARTTLS },
};

/* lower - ASCII lower case of c */
static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

int smtp_case_eq(const char *s, size_t n, const char *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!t[i] || lower((unsigned char)s[i]) != lower((unsigned char)t[i]))
			return 0;
	return t[n] == 0;
}

int smtp_parse_command(const char *line, size_t len, struct smtp_cmd *c)
{
	size_t i, v;

	c->verb = SMTP_UNKNOWN;
	c->arg = line + len;
	c->arglen = 0;
	if (memchr(line, '\r', len) || memchr(line, 0, len))
		return 0;
	for (v = 0; v < len && line[v] != ' '; v++)
		;
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (smtp_case_eq(line, v, verbs[i].name)) {
			c->verb = verbs[i].verb;
			break;
		}
	if (v < len) {
		c->arg = line + v + 1;
		c->arglen = len - v - 1;
	}
	return 1;
}

/* is_atext - RFC 5322 atext, plus bytes >= 128 (RFC 6531 UTF-8) */
static int is_atext(unsigned char c)
{
	if (c >= 128)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != 0;
}

/* is_ldh - letter, digit, hyphen, or a UTF-8 byte of a U-label */
static int is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c >= 128;
}

/*
 * parse_domain - a domain name or address literal at s[0..n), appended
 * to out when out is not 0; bytes used, 0 on a syntax error
 */
static size_t parse_domain(const char *s, size_t n, struct str *out)
{
	size_t i = 0, label;

	if (n && s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 33 || c > 126 || c == '[' || c == '\\')
				return 0;
		}
		if (i >= n || i == 1)
			return 0;
		i++;
	} else {
		for (;;) {
			label = i;
			while (i < n && is_ldh((unsigned char)s[i]))
				i++;
			if (i == label || s[label] == '-' || s[i - 1] == '-')
				return 0;
			if (i < n && s[i] == '.' && i + 1 < n && is_ldh((unsigned char)s[i + 1])) {
				i++;
				continue;
			}
			break;
		}
	}
	if (i > SMTP_DOMAIN_MAX)
		return 0;
	if (out && !str_catb(out, s, i))
		return 0;
	return i;
}

size_t smtp_addr_domain(const char *addr, size_t len)
{
	size_t i = len;

	while (i > 0)
		if (addr[--i] == '@')
			return i + 1;
	return len;
}

int smtp_parse_path(const char *s, size_t n, size_t *used, struct str *addr, int *utf8)
{
	size_t i = 1, start, j, d;
	int quoted = 0;

	addr->len = 0;
	*utf8 = 0;
	*used = 0;
	if (n < 2 || s[0] != '<')
		return PATH_SYNTAX;
	if (s[1] == '>') {
		*used = 2;
		return PATH_OK;
	}
	/* a source route "@a,@b:" is obsolete (RFC 5321 §4.1.2, App. C): check and drop it */
	if (s[i] == '@') {
		for (;;) {
			if (i >= n || s[i] != '@')
				return PATH_SYNTAX;
			i++;
			d = parse_domain(s + i, n - i, 0);
			if (!d)
				return PATH_SYNTAX;
			i += d;
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			if (i < n && s[i] == ':') {
				i++;
				break;
			}
			return PATH_SYNTAX;
		}
	}
	start = i;
	if (i < n && s[i] == '"') {
		quoted = 1;
		for (i++; i < n && s[i] != '"'; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == '\\') {
				if (++i >= n)
					return PATH_SYNTAX;
				c = (unsigned char)s[i];
				if (c < 32 || c > 126)
					return PATH_SYNTAX;
			} else if (c < 32 || c == 127) {
				return PATH_SYNTAX;
			}
			if (!str_append(addr, (char)c))
				return PATH_TOOLONG;
		}
		if (i >= n)
			return PATH_SYNTAX;
		i++;
	} else {
		for (;;) {
			j = i;
			while (i < n && is_atext((unsigned char)s[i]))
				i++;
			if (i == j)
				return PATH_SYNTAX;
			if (i < n && s[i] == '.') {
				i++;
				continue;
			}
			break;
		}
		if (!str_catb(addr, s + start, i - start))
			return PATH_TOOLONG;
	}
	if (addr->len > SMTP_LOCAL_MAX)
		return PATH_TOOLONG;
	if (i < n && s[i] == '>' && !quoted && smtp_case_eq(addr->s, addr->len, "postmaster")) {
		/* RFC 5321 §4.1.1.3: "<Postmaster>" without a domain must be accepted */
	} else {
		if (i >= n || s[i] != '@')
			return PATH_SYNTAX;
		if (!str_append(addr, '@'))
			return PATH_TOOLONG;
		i++;
		d = parse_domain(s + i, n - i, addr);
		if (!d)
			return PATH_SYNTAX;
		i += d;
	}
	if (i >= n || s[i] != '>')
		return PATH_SYNTAX;
	i++;
	if (i > SMTP_PATH_MAX)
		return PATH_TOOLONG;
	for (j = 0; j < addr->len; j++)
		if ((unsigned char)addr->s[j] >= 128)
			*utf8 = 1;
	*used = i;
	return PATH_OK;
}

int smtp_parse_params(const char *s, size_t n, struct smtp_param *p, size_t max, size_t *count)
{
	size_t i = 0, k = 0;

	*count = 0;
	for (;;) {
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		if (k >= max)
			return 0;
		p[k].key = s + i;
		while (i < n && (is_ldh((unsigned char)s[i]) && (unsigned char)s[i] < 128))
			i++;
		p[k].keylen = (size_t)(s + i - p[k].key);
		if (!p[k].keylen || p[k].key[0] == '-')
			return 0;
		p[k].val = 0;
		p[k].vallen = 0;
		if (i < n && s[i] == '=') {
			i++;
			p[k].val = s + i;
			while (i < n) {
				unsigned char c = (unsigned char)s[i];
				if (c == ' ')
					break;
				if (c < 33 || c == 127 || c == '=')
					return 0;
				i++;
			}
			p[k].vallen = (size_t)(s + i - p[k].val);
			if (!p[k].vallen)
				return 0;
		}
		if (i < n && s[i] != ' ')
			return 0;
		k++;
	}
	*count = k;
	return 1;
}

int smtp_param_is(const struct smtp_param *p, const char *name)
{
	return smtp_case_eq(p->key, p->keylen, name);
}

/* b64val - the 6-bit value of a base64 character, or -1 */
static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

int base64_decode(const char *s, size_t n, struct str *out)
{
	size_t i;

	if (n % 4)
		return 0;
	for (i = 0; i < n; i += 4) {
		int v[4], k, pad = 0;
		unsigned long w;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + k];
			if (c == '=') {
				/* padding: only in the last quad, only at its end */
				if (i + 4 != n || k < 2)
					return 0;
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad)
				return 0;
			v[k] = b64val(c);
			if (v[k] < 0)
				return 0;
		}
		w = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
		    ((unsigned long)v[2] << 6) | (unsigned long)v[3];
		if (!str_append(out, (char)(w >> 16)))
			return 0;
		if (pad < 2 && !str_append(out, (char)(w >> 8)))
			return 0;
		if (pad < 1 && !str_append(out, (char)w))
			return 0;
	}
	return 1;
}

int base64_encode(const char *s, size_t n, struct str *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned long w = (unsigned long)(unsigned char)s[i] << 16;
		char q[4];
		if (i + 1 < n) w |= (unsigned long)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n) w |= (unsigned char)s[i + 2];
		q[0] = a[(w >> 18) & 63];
		q[1] = a[(w >> 12) & 63];
		q[2] = i + 1 < n ? a[(w >> 6) & 63] : '=';
		q[3] = i + 2 < n ? a[w & 63] : '=';
		if (!str_catb(out, q, 4))
			return 0;
	}
	return 1;
}
