/*
 * imapparse - IMAP command syntax (RFC 3501 §9): tokens, literals,
 * sequence sets, modified UTF-7 and dates.  Pure functions over bytes.
 * runs as:  inside kurier-imap-login and kurier-imapd
 * trusts:   nothing: every byte comes from the client
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "imap.h"
#include "imapparse.h"
#include "scan.h"

/* imap_cmd_init - an empty command structure */
void imap_cmd_init(struct imap_cmd *c)
{
	memset(c, 0, sizeof *c);
}

/* imap_cmd_free - release what a command holds */
void imap_cmd_free(struct imap_cmd *c)
{
	free(c->t);
	str_free(&c->arena);
	memset(c, 0, sizeof *c);
}

/* atomchar - 1 if c may appear in an atom (RFC 3501 ATOM-CHAR, plus the list wildcards, '\' and ']') */
static int atomchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '"';
}

/* addtok - one more token of type with its arena offset; 1 ok, 0 too many (err set), -1 no memory */
static int addtok(struct imap_cmd *c, enum imap_toktype type, size_t off, size_t len)
{
	if (c->nt >= IMAP_TOKENS_MAX) {
		c->err = "too many arguments";
		return 0;
	}
	if (c->nt == c->ta) {
		size_t na = c->ta ? c->ta * 2 : 32;
		struct imap_tok *t = realloc(c->t, na * sizeof *t);
		if (!t)
			return -1;
		c->t = t;
		c->ta = na;
	}
	c->t[c->nt].type = type;
	c->t[c->nt].off = off;
	c->t[c->nt].len = len;
	c->t[c->nt].end = 0;
	c->t[c->nt].s = 0;
	c->nt++;
	return 1;
}

/* imap_literal_end - does the line end with {N} or {N+}? 1 yes, 0 no, -1 bad size */
int imap_literal_end(const char *s, size_t n, unsigned long long *size, int *nonsync)
{
	size_t i, e;

	if (n < 3 || s[n - 1] != '}')
		return 0;
	e = n - 1;
	*nonsync = 0;
	if (s[e - 1] == '+') {
		*nonsync = 1;
		e--;
	}
	for (i = e; i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9'; i--)
		;
	if (i == 0 || s[i - 1] != '{')
		return 0;
	if (i == e)
		return -1;
	if (scan_ulong(s + i, e - i, size) != e - i)
		return -1;
	return 1;
}

/* imap_parse - one command into c; 1 ok, 0 syntax error, -1 no memory */
int imap_parse(const char *s, size_t n, struct imap_cmd *c)
{
	size_t i = 0, j, stack[IMAP_DEPTH_MAX], depth = 0, tagoff, nameoff, k;
	int r;

	c->nt = 0;
	c->arena.len = 0;
	c->tag = c->name = 0;
	c->taglen = c->namelen = 0;
	c->err = 0;
	/* the tag: atom characters except '+' (RFC 3501 §9 tag) */
	for (j = 0; j < n && atomchar((unsigned char)s[j]) && s[j] != '+' && s[j] != '%' && s[j] != '*'; j++)
		;
	if (j == 0 || j > IMAP_TAG_MAX) {
		c->err = j ? "tag too long" : "missing tag";
		return 0;
	}
	if (!str_copyb(&c->arena, s, j) || !str_0(&c->arena))
		return -1;
	tagoff = 0;
	c->taglen = j;
	c->tag = c->arena.s;
	if (j < n && s[j] != ' ') {
		c->err = "bad character in tag";
		return 0;
	}
	i = j + 1;
	for (j = i; j < n && atomchar((unsigned char)s[j]) && s[j] != '[' ; j++)
		;
	if (j == i || (j < n && s[j] != ' ')) {
		c->err = "missing or bad command name";
		return 0;
	}
	nameoff = c->arena.len;
	for (k = i; k < j; k++) {
		char ch = s[k];
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		if (!str_append(&c->arena, ch))
			return -1;
	}
	if (!str_0(&c->arena))
		return -1;
	c->namelen = j - i;
	i = j;
	while (i < n) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		if (s[i] == '(') {
			if (depth >= IMAP_DEPTH_MAX) {
				c->err = "lists nested too deeply";
				return 0;
			}
			r = addtok(c, IMAP_OPEN, 0, 0);
			if (r <= 0)
				return r;
			stack[depth++] = c->nt - 1;
			i++;
			continue;
		}
		if (s[i] == ')') {
			if (!depth) {
				c->err = "unbalanced )";
				return 0;
			}
			r = addtok(c, IMAP_CLOSE, 0, 0);
			if (r <= 0)
				return r;
			c->t[stack[--depth]].end = c->nt - 1;
			i++;
			continue;
		}
		if (s[i] == '"') {
			size_t off = c->arena.len;
			for (i++; ; i++) {
				if (i >= n) {
					c->err = "unterminated quoted string";
					return 0;
				}
				if (s[i] == '"')
					break;
				if (s[i] == '\\') {
					/* only \\ and \" (RFC 3501 quoted-specials) */
					if (i + 1 >= n || (s[i + 1] != '\\' && s[i + 1] != '"')) {
						c->err = "bad backslash in quoted string";
						return 0;
					}
					i++;
				} else if (s[i] == 0 || s[i] == '\r' || s[i] == '\n') {
					c->err = "NUL, CR or LF in quoted string";
					return 0;
				}
				if (!str_append(&c->arena, s[i]))
					return -1;
			}
			i++;
			r = addtok(c, IMAP_QUOTED, off, c->arena.len - off);
			if (r <= 0)
				return r;
			if (!str_0(&c->arena))
				return -1;
		} else if (s[i] == '{') {
			unsigned long long sz;
			size_t d = i + 1, e;
			for (e = d; e < n && s[e] >= '0' && s[e] <= '9'; e++)
				;
			if (e == d || scan_ulong(s + d, e - d, &sz) != e - d) {
				c->err = "bad literal size";
				return 0;
			}
			if (e < n && s[e] == '+')
				e++;
			if (e >= n || s[e] != '}' || n - e < 3 || s[e + 1] != '\r' || s[e + 2] != '\n') {
				c->err = "bad literal";
				return 0;
			}
			e += 3;
			if (sz > n - e) {
				c->err = "literal shorter than announced";
				return 0;
			}
			r = addtok(c, IMAP_LITERAL, e, (size_t)sz);
			if (r <= 0)
				return r;
			i = e + (size_t)sz;
		} else {
			size_t off = c->arena.len, bdepth = 0;
			for (j = i; j < n; j++) {
				unsigned char ch = (unsigned char)s[j];
				if (bdepth) {
					/* inside [...] (a section) spaces and lists belong to the atom */
					if (ch == ']')
						bdepth--;
					else if (ch == '[')
						bdepth++;
					else if (ch != ' ' && ch != '(' && ch != ')' && ch != '"' && !atomchar(ch))
						break;
					if (bdepth > IMAP_DEPTH_MAX)
						break;
					continue;
				}
				if (ch == '[') {
					bdepth++;
					continue;
				}
				if (!atomchar(ch))
					break;
			}
			if (j == i || bdepth) {
				c->err = bdepth ? "unbalanced [" : "bad character in argument";
				return 0;
			}
			if (j < n && s[j] != ' ' && s[j] != ')' && s[j] != '(') {
				c->err = "bad character in argument";
				return 0;
			}
			if (!str_catb(&c->arena, s + i, j - i))
				return -1;
			r = addtok(c, IMAP_ATOM, off, j - i);
			if (r <= 0)
				return r;
			if (!str_0(&c->arena))
				return -1;
			i = j;
			continue;
		}
		if (i < n && s[i] != ' ' && s[i] != ')') {
			c->err = "missing space between arguments";
			return 0;
		}
	}
	if (depth) {
		c->err = "unbalanced (";
		return 0;
	}
	/* the arena has stopped growing: set the pointers */
	c->tag = c->arena.s + tagoff;
	c->name = c->arena.s + nameoff;
	for (k = 0; k < c->nt; k++) {
		struct imap_tok *t = &c->t[k];
		if (t->type == IMAP_LITERAL)
			t->s = s + t->off;
		else if (t->type == IMAP_ATOM || t->type == IMAP_QUOTED)
			t->s = c->arena.s + t->off;
		else
			t->s = "";
	}
	return 1;
}

/* imap_tok_is - 1 if t is an atom equal to w, ignoring case */
int imap_tok_is(const struct imap_tok *t, const char *w)
{
	return t->type == IMAP_ATOM && strlen(w) == t->len && !strncasecmp(t->s, w, t->len);
}

/* imap_tok_string - 1 if t is an astring */
int imap_tok_string(const struct imap_tok *t)
{
	return t->type == IMAP_ATOM || t->type == IMAP_QUOTED || t->type == IMAP_LITERAL;
}

/* imap_number - a number up to 2^32-1; 1 ok, 0 bad */
int imap_number(const char *s, size_t n, uint32_t *u)
{
	unsigned long long v;

	if (!n || n > 10 || scan_ulong(s, n, &v) != n || v > 0xffffffffULL)
		return 0;
	*u = (uint32_t)v;
	return 1;
}

/* ---- sequence sets ---- */

/* seqnum - one seq-number ("*" is 0); bytes used, 0 bad */
static size_t seqnum(const char *s, size_t n, uint32_t *u)
{
	size_t k;

	if (n && s[0] == '*') {
		*u = 0;
		return 1;
	}
	for (k = 0; k < n && s[k] >= '0' && s[k] <= '9'; k++)
		;
	if (!k || s[0] == '0' || !imap_number(s, k, u))
		return 0;
	return k;
}

/* imap_seqset_parse - a sequence set; 1 ok, 0 bad, -1 no memory */
int imap_seqset_parse(const char *s, size_t n, struct imap_seqset *set)
{
	size_t i = 0, k;
	uint32_t lo, hi;

	set->n = 0;
	if (!n)
		return 0;
	for (;;) {
		k = seqnum(s + i, n - i, &lo);
		if (!k)
			return 0;
		i += k;
		hi = lo;
		if (i < n && s[i] == ':') {
			i++;
			k = seqnum(s + i, n - i, &hi);
			if (!k)
				return 0;
			i += k;
		}
		if (set->n >= IMAP_RANGES_MAX)
			return 0;
		if (set->n == set->a) {
			size_t na = set->a ? set->a * 2 : 8;
			struct imap_range *r = realloc(set->r, na * sizeof *r);
			if (!r)
				return -1;
			set->r = r;
			set->a = na;
		}
		set->r[set->n].lo = lo;
		set->r[set->n].hi = hi;
		set->n++;
		if (i == n)
			return 1;
		if (s[i] != ',')
			return 0;
		i++;
	}
}

/* rangecmp - order ranges by their start */
static int rangecmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* imap_seqset_resolve - substitute star, order, sort, merge, clamp to max */
void imap_seqset_resolve(struct imap_seqset *set, uint32_t star, uint32_t max)
{
	size_t i, o = 0;

	for (i = 0; i < set->n; i++) {
		uint32_t lo = set->r[i].lo ? set->r[i].lo : star, hi = set->r[i].hi ? set->r[i].hi : star;
		if (lo > hi) {
			uint32_t t = lo;
			lo = hi;
			hi = t;
		}
		if (lo == 0)
			lo = 1;
		if (hi > max)
			hi = max;
		if (lo > hi)
			continue;
		set->r[o].lo = lo;
		set->r[o].hi = hi;
		o++;
	}
	set->n = o;
	if (!o)
		return;
	qsort(set->r, o, sizeof *set->r, rangecmp);
	for (i = 1, o = 0; i < set->n; i++) {
		if (set->r[i].lo <= set->r[o].hi || set->r[i].lo - 1 == set->r[o].hi) {
			if (set->r[i].hi > set->r[o].hi)
				set->r[o].hi = set->r[i].hi;
		} else
			set->r[++o] = set->r[i];
	}
	set->n = o + 1;
}

/* imap_seqset_has - x in a resolved set (binary search) */
int imap_seqset_has(const struct imap_seqset *set, uint32_t x)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (x < set->r[m].lo)
			hi = m;
		else if (x > set->r[m].hi)
			lo = m + 1;
		else
			return 1;
	}
	return 0;
}

/* imap_seqset_free - release a set */
void imap_seqset_free(struct imap_seqset *set)
{
	free(set->r);
	set->r = 0;
	set->n = set->a = 0;
}

/* ---- modified UTF-7 (RFC 3501 §5.1.3) ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* b64val - the value of a modified base64 digit, -1 if none */
static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == ',') return 63;
	return -1;
}

/* pututf8 - code point u as UTF-8; 1 ok, 0 no memory */
static int pututf8(struct str *o, uint32_t u)
{
	char b[4];
	size_t n;

	if (u < 0x80) { b[0] = (char)u; n = 1; }
	else if (u < 0x800) { b[0] = (char)(0xc0 | (u >> 6)); b[1] = (char)(0x80 | (u & 0x3f)); n = 2; }
	else if (u < 0x10000) { b[0] = (char)(0xe0 | (u >> 12)); b[1] = (char)(0x80 | ((u >> 6) & 0x3f)); b[2] = (char)(0x80 | (u & 0x3f)); n = 3; }
	else { b[0] = (char)(0xf0 | (u >> 18)); b[1] = (char)(0x80 | ((u >> 12) & 0x3f)); b[2] = (char)(0x80 | ((u >> 6) & 0x3f)); b[3] = (char)(0x80 | (u & 0x3f)); n = 4; }
	return str_catb(o, b, n);
}

/* imap_utf7_decode - modified UTF-7 to UTF-8; 1 ok, 0 invalid, -1 no memory */
int imap_utf7_decode(const char *s, size_t n, struct str *out)
{
	size_t i = 0;

	out->len = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e)
			return 0;
		if (c != '&') {
			if (!str_append(out, (char)c))
				return -1;
			i++;
			continue;
		}
		i++;
		if (i < n && s[i] == '-') {
			if (!str_append(out, '&'))
				return -1;
			i++;
			continue;
		}
		{
			uint32_t bits = 0, hi = 0;
			int nbits = 0, any = 0, v;
			while (i < n && s[i] != '-') {
				v = b64val((unsigned char)s[i]);
				if (v < 0)
					return 0;
				bits = (bits << 6) | (uint32_t)v;
				nbits += 6;
				i++;
				if (nbits >= 16) {
					uint32_t u = (bits >> (nbits - 16)) & 0xffff;
					nbits -= 16;
					bits &= (1u << nbits) - 1;
					any = 1;
					if (hi) {
						if (u < 0xdc00 || u > 0xdfff)
							return 0;
						u = 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00);
						hi = 0;
					} else if (u >= 0xd800 && u <= 0xdbff) {
						hi = u;
						continue;
					} else if (u >= 0xdc00 && u <= 0xdfff)
						return 0;
					/* printable US-ASCII must not be encoded */
					if (u >= 0x20 && u <= 0x7e)
						return 0;
					if (u < 0x20 || u == 0x7f)
						return 0;
					if (pututf8(out, u) != 1)
						return -1;
				}
			}
			if (i >= n || !any || hi || nbits >= 6 || bits)
				return 0;
			i++;	/* the '-' */
			/* two encoded runs in a row must have been one */
			if (i + 1 < n && s[i] == '&' && s[i + 1] != '-')
				return 0;
		}
	}
	return 1;
}

/* utf8next - decode one code point at s[*i]; 1 ok, 0 invalid */
static int utf8next(const char *s, size_t n, size_t *i, uint32_t *u)
{
	unsigned char c = (unsigned char)s[*i];
	size_t k, len;
	uint32_t v, min;

	if (c < 0x80) { *u = c; (*i)++; return 1; }
	if ((c & 0xe0) == 0xc0) { len = 2; v = c & 0x1f; min = 0x80; }
	else if ((c & 0xf0) == 0xe0) { len = 3; v = c & 0x0f; min = 0x800; }
	else if ((c & 0xf8) == 0xf0) { len = 4; v = c & 0x07; min = 0x10000; }
	else return 0;
	if (n - *i < len)
		return 0;
	for (k = 1; k < len; k++) {
		unsigned char d = (unsigned char)s[*i + k];
		if ((d & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (d & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*u = v;
	*i += len;
	return 1;
}

/* imap_utf7_encode - UTF-8 to modified UTF-7; 1 ok, 0 invalid UTF-8, -1 no memory */
int imap_utf7_encode(const char *s, size_t n, struct str *out)
{
	size_t i = 0;
	uint32_t u, bits = 0;
	int nbits = 0, open = 0;

	out->len = 0;
	while (i < n) {
		if (!utf8next(s, n, &i, &u))
			return 0;
		if (u < 0x20 || u == 0x7f)
			return 0;	/* control characters have no place in a mailbox name */
		if (u <= 0x7e) {
			if (open) {
				if (nbits && !str_append(out, b64[(bits << (6 - nbits)) & 0x3f]))
					return -1;
				if (!str_append(out, '-'))
					return -1;
				open = 0;
				nbits = 0;
				bits = 0;
			}
			if (!str_append(out, (char)u) || (u == '&' && !str_append(out, '-')))
				return -1;
			continue;
		}
		if (!open) {
			if (!str_append(out, '&'))
				return -1;
			open = 1;
		}
		{
			uint32_t units[2];
			int nu = 1, k;
			if (u >= 0x10000) {
				units[0] = 0xd800 + ((u - 0x10000) >> 10);
				units[1] = 0xdc00 + ((u - 0x10000) & 0x3ff);
				nu = 2;
			} else
				units[0] = u;
			for (k = 0; k < nu; k++) {
				bits = (bits << 16) | units[k];
				nbits += 16;
				while (nbits >= 6) {
					if (!str_append(out, b64[(bits >> (nbits - 6)) & 0x3f]))
						return -1;
					nbits -= 6;
				}
				bits &= (1u << nbits) - 1;
			}
		}
	}
	if (open) {
		if (nbits && !str_append(out, b64[(bits << (6 - nbits)) & 0x3f]))
			return -1;
		if (!str_append(out, '-'))
			return -1;
	}
	return 1;
}

/* ---- dates ---- */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* imap_days_from_civil - days since 1970-01-01 (proleptic Gregorian) */
long long imap_days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* dateparts - "d-Mon-yyyy" at s; bytes used, 0 bad */
static size_t dateparts(const char *s, size_t n, long long *days)
{
	size_t i = 0, k;
	unsigned d = 0, m;
	unsigned long long y;

	if (n && s[0] == ' ')
		i++;	/* date-day-fixed */
	for (k = i; k < n && k < i + 2 && s[k] >= '0' && s[k] <= '9'; k++)
		d = d * 10 + (unsigned)(s[k] - '0');
	if (k == i || k + 9 > n || s[k] != '-' || s[k + 4] != '-')
		return 0;
	for (m = 0; m < 12; m++)
		if (!strncasecmp(s + k + 1, months + 3 * m, 3))
			break;
	if (m == 12 || scan_ulong(s + k + 5, 4, &y) != 4)
		return 0;
	if (d < 1 || d > 31 || y < 1900 || y > 9999)
		return 0;
	*days = imap_days_from_civil((long long)y, m + 1, d);
	return k + 9;
}

/* imap_date - a date as days since the epoch; 1 ok, 0 bad */
int imap_date(const char *s, size_t n, long long *days)
{
	size_t k = dateparts(s, n, days);

	return k && k == n;
}

/* imap_datetime - an APPEND date-time as seconds since the epoch; 1 ok, 0 bad */
int imap_datetime(const char *s, size_t n, long long *t)
{
	long long days;
	size_t k = dateparts(s, n, &days);
	unsigned long long h, mi, se, z;
	const char *p;

	if (!k || n - k != 15)
		return 0;
	p = s + k;
	if (p[0] != ' ' || p[3] != ':' || p[6] != ':' || p[9] != ' ' || (p[10] != '+' && p[10] != '-'))
		return 0;
	if (scan_ulong(p + 1, 2, &h) != 2 || scan_ulong(p + 4, 2, &mi) != 2 || scan_ulong(p + 7, 2, &se) != 2 ||
	    scan_ulong(p + 11, 4, &z) != 4 || h > 23 || mi > 59 || se > 60 || z % 100 > 59)
		return 0;
	*t = days * 86400 + (long long)(h * 3600 + mi * 60 + se);
	*t -= (p[10] == '-' ? -1 : 1) * (long long)((z / 100) * 3600 + (z % 100) * 60);
	return 1;
}
