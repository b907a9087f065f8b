/*
 * imapmsg - ENVELOPE, BODYSTRUCTURE, BODY[section], sizes, SEARCH
 * matching and the Date header over the bytes of one message
 * (imapmsg.h).  The message is never copied as a whole: header fields
 * are found and unfolded one at a time, MIME parts are (offset, length)
 * ranges of the caller's bytes, and only the parts a SEARCH decodes are
 * copied once.  Recursion follows MIME nesting and stops at
 * IMAPMSG_DEPTH_MAX; every size sum is overflow-checked.
 * runs as:  inside kurier-imapd, as the mail user
 * trusts:   nothing in the message
 * exit:     never; errors are returned (imapmsg.h)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "imapmsg.h"

/* Placeholder host of an address that has none (RFC 3501 §7.4.2 reserves
 * a NIL host for group syntax, so a bare local part needs a host). */
#define MISSING_HOST "MISSING_DOMAIN"
#define MISSING_MAILBOX "MISSING_MAILBOX"	/* likewise for "<>" and other empty local parts */

/* lc - ASCII lower case of c */
static unsigned char lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* eqi - 1 if a[0..an) equals b[0..bn) ignoring ASCII case */
static int eqi(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (lc(a[i]) != lc(b[i]))
			return 0;
	return 1;
}

/* eqis - eqi against a C string */
static int eqis(const char *a, size_t an, const char *s)
{
	return eqi(a, an, s, strlen(s));
}

/* big - set errno for a limit; returns -1 */
static int big(void)
{
	errno = E2BIG;
	return -1;
}

/* nomem - the result of a failed str call; returns -1 */
static int nomem(void)
{
	if (!errno)
		errno = ENOMEM;
	return -1;
}

/* measure - CRLF size and line count (LFs) of p[0..n); 1 ok, 0 overflow */
static int measure(const char *p, size_t n, size_t *size, size_t *lines)
{
	size_t i, bare = 0, lf = 0;
	const char *q;

	for (i = 0; i < n; i = (size_t)(q - p) + 1) {
		q = memchr(p + i, '\n', n - i);
		if (!q)
			break;
		lf++;
		if (q == p || q[-1] != '\r')
			bare++;
	}
	if (lines)
		*lines = lf;
	return size_add(size, n, bare);
}

/* cat_crlf - append p[0..n) with bare LF turned into CRLF and NUL into 0x80 (a literal carries no NUL,
 * RFC 3501 §4.3; the length stays that of RFC822.SIZE); 1 ok, 0 no memory */
static int cat_crlf(struct str *out, const char *p, size_t n)
{
	size_t i, s = 0, start = out->len;
	const char *q;
	char *z;

	for (i = 0; i < n; i = (size_t)(q - p) + 1) {
		q = memchr(p + i, '\n', n - i);
		if (!q)
			break;
		if (q == p || q[-1] != '\r') {
			size_t at = (size_t)(q - p);
			if (!str_catb(out, p + s, at - s) || !str_catb(out, "\r\n", 2))
				return 0;
			s = at + 1;
		}
	}
	if (!str_catb(out, p + s, n - s))
		return 0;
	for (i = start; out->s && (z = memchr(out->s + i, '\0', out->len - i)) != NULL; i = (size_t)(z - out->s) + 1)
		*z = (char)0x80;
	return 1;
}

/* ---- header fields ---- */

/* A node is a message or a MIME part: header fields, blank line, body. */
struct node {
	const char *m;
	size_t n;
	size_t fend;	/* end of the header fields: start of the blank line, or n */
	size_t body;	/* start of the body */
	int digest;	/* a part of multipart/digest: message/rfc822 by default */
};

/* node_split - find the blank line that ends the header of m[0..n) */
static void node_split(struct node *x, const char *m, size_t n)
{
	size_t p = 0;
	const char *q;

	x->m = m;
	x->n = n;
	x->digest = 0;
	while (p < n) {
		if (m[p] == '\n' || (m[p] == '\r' && p + 1 < n && m[p + 1] == '\n')) {
			x->fend = p;
			x->body = p + (m[p] == '\n' ? 1 : 2);
			return;
		}
		q = memchr(m + p, '\n', n - p);
		if (!q)
			break;
		p = (size_t)(q - m) + 1;
	}
	x->fend = n;
	x->body = n;
}

struct field {
	const char *name, *val;	/* the value starts after the colon, runs to the end of the field's last line (line end excluded) */
	size_t nl, vl;
	size_t start, end;	/* the whole field, line end of its last line included */
};

/* field_next - the next header field (or a line that is none, with nl 0) from *pos in h[0..hn); 1 found, 0 at end */
static int field_next(const char *h, size_t hn, size_t *pos, struct field *f)
{
	while (*pos < hn) {
		size_t p = *pos, e, c, nl;
		const char *q;

		q = memchr(h + p, '\n', hn - p);
		e = q ? (size_t)(q - h) : hn;
		/* continuation lines belong to this field */
		while (e < hn && e + 1 < hn && (h[e + 1] == ' ' || h[e + 1] == '\t')) {
			q = memchr(h + e + 1, '\n', hn - e - 1);
			e = q ? (size_t)(q - h) : hn;
		}
		*pos = e < hn ? e + 1 : hn;
		f->start = p;
		f->end = *pos;
		for (c = p; c < e && h[c] != ':' && h[c] != '\n'; c++)
			;
		nl = c - p;
		while (nl && (h[p + nl - 1] == ' ' || h[p + nl - 1] == '\t'))
			nl--;	/* obsolete "Name :" */
		if (h[p] == ' ' || h[p] == '\t' || c >= e || h[c] != ':' || !nl) {
			/* a continuation with no field before it, or no colon: not a field, but a line
			 * of the header all the same (HEADER.FIELDS.NOT keeps it); nl 0 marks it */
			f->name = h + p;
			f->nl = 0;
			f->val = h + p;
			f->vl = e - p;
			return 1;
		}
		f->name = h + p;
		f->nl = nl;
		f->val = h + c + 1;
		f->vl = e - c - 1;
		if (f->vl && f->val[f->vl - 1] == '\r')
			f->vl--;
		return 1;
	}
	return 0;
}

/* hdr_get - the first field called name in x's header; 1 found, 0 not */
static int hdr_get(const struct node *x, const char *name, struct field *f)
{
	size_t pos = 0, nl = strlen(name);

	while (field_next(x->m, x->fend, &pos, f))
		if (f->nl && eqi(f->name, f->nl, name, nl))
			return 1;
	return 0;
}

/* unfold - the value without line ends, NUL shown as U+FFFD, leading blanks dropped; with collapse, runs of
 * blanks become one space and trailing ones go too (the subject, as clients show it); 1 ok, 0 no memory */
static int unfold(struct str *out, const char *v, size_t vl, int collapse)
{
	size_t i;
	int blank = 0, folded = 0;

	str_truncate(out, 0);
	for (i = 0; i < vl; i++) {
		char c = v[i];
		if (c == '\n')
			folded = 1;
		if (c == '\r' || c == '\n')
			continue;
		if (collapse && (c == ' ' || c == '\t')) {
			blank = 1;
			continue;
		}
		if (blank && out->len && !str_append(out, ' '))
			return 0;
		blank = 0;
		if (!out->len && !folded && (c == ' ' || c == '\t'))
			continue;	/* blanks after the colon; those of a folded first line stay */
		if (c == '\0' ? !str_catb(out, "\xef\xbf\xbd", 3) : !str_append(out, c))
			return 0;
	}
	if (!str_catb(out, "", 0))
		return 0;
	return 1;
}

/* ---- IMAP output ---- */

/* put_str - p[0..n) as a quoted string, or a literal when it must be; 1 ok, 0 no memory */
static int put_str(struct str *out, const char *p, size_t n)
{
	size_t i;
	int lit = n > IMAPMSG_QUOTED_MAX;

	for (i = 0; i < n && !lit; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80)
			lit = 1;
	}
	if (lit) {
		if (!str_append(out, '{') || !str_catu(out, n) || !str_catb(out, "}\r\n", 3))
			return 0;
		for (i = 0; i < n; i++)	/* NUL is not allowed in a literal (RFC 3501 §4.3) */
			if (!str_append(out, p[i] ? p[i] : (char)0x80))
				return 0;
		return 1;
	}
	if (!str_append(out, '"'))
		return 0;
	for (i = 0; i < n; i++) {
		if ((p[i] == '"' || p[i] == '\\') && !str_append(out, '\\'))
			return 0;
		if (!str_append(out, p[i]))
			return 0;
	}
	return str_append(out, '"');
}

/* put_sstr - a str as a string, or NIL when empty; 1 ok, 0 no memory */
static int put_sstr(struct str *out, const struct str *s)
{
	if (!s->len)
		return str_cats(out, "NIL");
	return put_str(out, s->s, s->len);
}

/* ---- tokens of structured header fields (RFC 5322 §3.2, RFC 2045 §5.1) ---- */

enum { T_END, T_ATOM, T_QUOTED, T_COMMENT, T_SPECIAL };

struct lex {
	const char *p;
	size_t n, i;
	int addr;	/* 1: RFC 5322 specials (a dot splits atoms); 0: RFC 2045 tspecials */
	int ws;		/* blanks came before the last token */
	int open;	/* the last quoted string ran to the end unclosed */
};

/* lex_init - a lexer over p[0..n) in RFC 5322 (addr 1) or RFC 2045 (addr 0) mode */
static void lex_init(struct lex *l, const char *p, size_t n, int addr)
{
	l->p = p;
	l->n = n;
	l->i = 0;
	l->addr = addr;
	l->ws = 0;
	l->open = 0;
}

/* special - 1 if c ends an atom in the lexer's mode */
static int special(const struct lex *l, unsigned char c)
{
	if (c <= ' ' || c == 0x7f)
		return 1;
	if (l->addr)
		return strchr("()<>[]:;@\\,.\"", c) != NULL;
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* lex_next - the next token: its kind, text in *tp and *tl (quoted and comment text still escaped) */
static int lex_next(struct lex *l, const char **tp, size_t *tl)
{
	const char *p = l->p;
	size_t n = l->n, s;

	s = l->i;
	while (l->i < n && (p[l->i] == ' ' || p[l->i] == '\t' || p[l->i] == '\r' || p[l->i] == '\n'))
		l->i++;
	l->ws = l->i > s;
	if (l->i >= n)
		return T_END;
	s = l->i;
	if (p[s] == '(') {
		size_t depth = 1;	/* a counter, never recursion */
		for (l->i = s + 1; l->i < n && depth; l->i++) {
			if (p[l->i] == '\\')
				l->i++;
			else if (p[l->i] == '(')
				depth++;
			else if (p[l->i] == ')')
				depth--;
		}
		if (l->i > n)
			l->i = n;
		*tp = p + s + 1;
		*tl = l->i - s - 1 - (depth ? 0 : 1);
		return T_COMMENT;
	}
	if (p[s] == '"') {
		for (l->i = s + 1; l->i < n && p[l->i] != '"'; l->i++)
			if (p[l->i] == '\\' && l->i + 1 < n)
				l->i++;
		*tp = p + s + 1;
		*tl = (l->i < n ? l->i : n) - s - 1;
		l->open = l->i >= n;
		if (l->i < n)
			l->i++;
		return T_QUOTED;
	}
	if (l->addr && p[s] == '[') {
		for (l->i = s + 1; l->i < n && p[l->i] != ']'; l->i++)
			if (p[l->i] == '\\' && l->i + 1 < n)
				l->i++;
		if (l->i < n)
			l->i++;
		*tp = p + s;
		*tl = l->i - s;
		return T_ATOM;
	}
	if (special(l, (unsigned char)p[s]) && (unsigned char)p[s] > ' ') {
		l->i = s + 1;
		*tp = p + s;
		*tl = 1;
		return T_SPECIAL;
	}
	for (l->i = s; l->i < n && !special(l, (unsigned char)p[l->i]); l->i++)
		;
	if (l->i == s) {	/* a control character: skip it as a blank */
		l->i++;
		return lex_next(l, tp, tl);
	}
	*tp = p + s;
	*tl = l->i - s;
	return T_ATOM;
}

/* cat_unq - append quoted or comment text without its escapes and line ends; 1 ok, 0 no memory */
static int cat_unq(struct str *out, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			continue;
		if (p[i] == '\\' && i + 1 < n)
			i++;
		if (!str_append(out, p[i]))
			return 0;
	}
	return 1;
}

/* ---- Content-Type and friends ---- */

struct param {
	const char *name, *val;
	size_t nl, vl;
	int quoted;
};

/* params_parse - the "; name=value" list after the lexer's position; count found, at most IMAPMSG_PARAMS_MAX */
static size_t params_parse(struct lex *l, struct param *pa)
{
	size_t np = 0;
	const char *tp;
	size_t tl;
	int k;

	for (;;) {
		struct param p;
		/* find the next ';' */
		while ((k = lex_next(l, &tp, &tl)) != T_END && !(k == T_SPECIAL && *tp == ';'))
			;
		if (k == T_END)
			return np;
	again:
		while ((k = lex_next(l, &tp, &tl)) == T_COMMENT)
			;
		if (k != T_ATOM) {
			if (k == T_SPECIAL && *tp == ';')
				goto again;
			if (k == T_END)
				return np;
			continue;
		}
		p.name = tp;
		p.nl = tl;
		while ((k = lex_next(l, &tp, &tl)) == T_COMMENT)
			;
		if (k != T_SPECIAL || *tp != '=') {
			if (k == T_SPECIAL && *tp == ';')
				goto again;
			if (k == T_END)
				return np;
			continue;
		}
		while ((k = lex_next(l, &tp, &tl)) == T_COMMENT)
			;
		if (k != T_ATOM && k != T_QUOTED) {
			if (k == T_SPECIAL && *tp == ';')
				goto again;
			if (k == T_END)
				return np;
			continue;
		}
		if (k == T_QUOTED && l->open)
			return np;	/* an unclosed quote: the value is lost, and so is the rest */
		p.val = tp;
		p.vl = tl;
		p.quoted = k == T_QUOTED;
		if (np < IMAPMSG_PARAMS_MAX)
			pa[np++] = p;
		else
			return np;	/* the rest is ignored (SECURITY.md 48) */
	}
}

struct ctype {
	const char *t, *s;	/* type and subtype as written; t NULL when absent or malformed */
	size_t tl, sl;
	char bnd[IMAPMSG_BOUNDARY_MAX];
	size_t bl;
	int hasb;		/* a usable boundary (it may be empty) */
	const char *v;		/* the raw field value, for the parameters */
	size_t vl;
};

/* ctype_parse - type, subtype and boundary of a Content-Type value */
static void ctype_parse(const char *v, size_t vl, struct ctype *c)
{
	struct lex l = { v, vl, 0, 0, 0, 0 };
	struct param pa[IMAPMSG_PARAMS_MAX];
	const char *tp;
	size_t tl, np, i;
	int k;

	c->t = c->s = NULL;
	c->tl = c->sl = c->bl = 0;
	c->hasb = 0;
	c->v = v;
	c->vl = vl;
	while ((k = lex_next(&l, &tp, &tl)) == T_COMMENT)
		;
	if (k != T_ATOM)
		return;
	c->t = tp;
	c->tl = tl;
	while ((k = lex_next(&l, &tp, &tl)) == T_COMMENT)
		;
	if (k != T_SPECIAL || *tp != '/') {
		c->t = NULL;
		return;
	}
	while ((k = lex_next(&l, &tp, &tl)) == T_COMMENT)
		;
	if (k != T_ATOM) {
		c->t = NULL;
		return;
	}
	c->s = tp;
	c->sl = tl;
	np = params_parse(&l, pa);
	for (i = 0; i < np; i++)
		if (eqis(pa[i].name, pa[i].nl, "boundary")) {
			size_t j, o = 0;
			for (j = 0; j < pa[i].vl && o < sizeof c->bnd; j++) {
				char ch = pa[i].val[j];
				if (ch == '\r' || ch == '\n')
					continue;
				if (pa[i].quoted && ch == '\\' && j + 1 < pa[i].vl)
					ch = pa[i].val[++j];
				c->bnd[o++] = ch;
			}
			c->bl = o;
			c->hasb = j == pa[i].vl;	/* too long: unusable */
			break;
		}
}

/* is_type - 1 if the content type is t/s (s NULL: any subtype) */
static int is_type(const struct ctype *c, const char *t, const char *s)
{
	return c->t && eqis(c->t, c->tl, t) && (!s || eqis(c->s, c->sl, s));
}

/* seg_no - for an RFC 2231 name "base*N" or "base*N*": the base length, N and whether extended; 1 if a segment */
static int seg_no(const char *nm, size_t nl, size_t *bl, size_t *no, int *ext)
{
	size_t i, j, k = 0;

	for (i = 0; i < nl && nm[i] != '*'; i++)
		;
	if (i == nl || i == 0)
		return 0;
	for (j = i + 1; j < nl && nm[j] >= '0' && nm[j] <= '9' && k < 1000; j++)
		k = k * 10 + (size_t)(nm[j] - '0');
	if (j == i + 1)
		return 0;
	if (j == nl)
		*ext = 0;
	else if (j + 1 == nl && nm[j] == '*')
		*ext = 1;
	else
		return 0;
	*bl = i;
	*no = k;
	return 1;
}

/* put_pval - a parameter value as an IMAP string; 1 ok, 0 no memory */
static int put_pval(struct str *out, struct str *tmp, const struct param *p)
{
	str_truncate(tmp, 0);
	if (p->quoted) {
		if (!cat_unq(tmp, p->val, p->vl))
			return 0;
	} else if (!str_catb(tmp, p->val, p->vl))
		return 0;
	return put_str(out, tmp->s ? tmp->s : "", tmp->len);
}

/* put_params - the parameter list after l's position, RFC 2231 continuations joined, or NIL; 1 ok, 0 no memory */
static int put_params(struct str *out, struct str *tmp, struct lex *l, int text)
{
	struct param pa[IMAPMSG_PARAMS_MAX];
	size_t sbl[IMAPMSG_PARAMS_MAX], sno[IMAPMSG_PARAMS_MAX];
	int sext[IMAPMSG_PARAMS_MAX], seg[IMAPMSG_PARAMS_MAX];
	size_t np = params_parse(l, pa), i, j, written = 0;
	int charset = 0;

	for (i = 0; i < np; i++) {	/* plain parameters first, then the RFC 2231 ones joined */
		seg[i] = seg_no(pa[i].name, pa[i].nl, &sbl[i], &sno[i], &sext[i]);
		if (eqis(pa[i].name, pa[i].nl, "charset"))
			charset = 1;
		if (memchr(pa[i].name, '*', pa[i].nl))
			continue;	/* RFC 2231 names come after the others */
		if (!str_cats(out, written++ ? " " : "("))
			return 0;
		if (!put_str(out, pa[i].name, pa[i].nl) || !str_append(out, ' ') || !put_pval(out, tmp, &pa[i]))
			return 0;
	}
	for (i = 0; i < np; i++) {
		size_t want;
		int ext = 0, pass;

		if (!memchr(pa[i].name, '*', pa[i].nl))
			continue;
		if (!seg[i]) {	/* "name*=charset'lang'value", passed on as it is */
			if (!str_cats(out, written++ ? " " : "("))
				return 0;
			if (!put_str(out, pa[i].name, pa[i].nl) || !str_append(out, ' ') || !put_pval(out, tmp, &pa[i]))
				return 0;
			continue;
		}
		if (sno[i] != 0)
			continue;	/* later segments are joined into segment 0 */
		for (j = 0; j < i; j++)	/* a repeated segment 0 was joined already: at most
					 * IMAPMSG_PARAMS_MAX^2 steps per header */
			if (seg[j] && sno[j] == 0 && eqi(pa[j].name, sbl[j], pa[i].name, sbl[i]))
				break;
		if (j < i)
			continue;
		for (pass = 0; pass < 2; pass++) {	/* 0: is any segment extended?  1: join them */
			str_truncate(tmp, 0);
			if (pass == 1 && ext && !sext[i] && !str_catb(tmp, "''", 2))
				return 0;	/* an extended value without its charset'language' gets an empty one */
			for (want = 0; want < np; want++) {	/* segment want, in order */
				for (j = 0; j < np; j++)
					if (seg[j] && sno[j] == want && eqi(pa[j].name, sbl[j], pa[i].name, sbl[i]))
						break;
				if (j == np)
					break;
				ext |= sext[j];
				if (pass == 1 && (pa[j].quoted ? !cat_unq(tmp, pa[j].val, pa[j].vl) :
				    !str_catb(tmp, pa[j].val, pa[j].vl)))
					return 0;
			}
			if (pass == 1)
				break;
			/* the key: name* if any segment was extended */
			if (!str_cats(out, written++ ? " " : "(") || !str_catb(tmp, pa[i].name, sbl[i]) ||
			    (ext && !str_append(tmp, '*')) || !put_str(out, tmp->s, tmp->len) || !str_append(out, ' '))
				return 0;
		}
		if (!put_str(out, tmp->s ? tmp->s : "", tmp->len))
			return 0;
	}
	if (text && !charset) {	/* RFC 2045 §5.2: text defaults to us-ascii */
		if (!str_cats(out, written++ ? " " : "(") || !str_cats(out, "\"charset\" \"us-ascii\""))
			return 0;
	}
	return str_cats(out, written ? ")" : "NIL");
}

/* put_field - a field's unfolded value as a string, NIL if absent; 1 ok, 0 no memory */
static int put_field(struct str *out, struct str *tmp, const struct node *x, const char *name)
{
	struct field f;

	if (!hdr_get(x, name, &f))
		return str_cats(out, "NIL");
	if (!unfold(tmp, f.val, f.vl, 0))
		return 0;
	return put_str(out, tmp->s, tmp->len);
}

/* put_disposition - Content-Disposition as ("type" (params)) or NIL; 1 ok, 0 no memory */
static int put_disposition(struct str *out, struct str *tmp, const struct node *x)
{
	struct field f;
	struct lex l;
	const char *tp;
	size_t tl;
	int k;

	if (!hdr_get(x, "content-disposition", &f))
		return str_cats(out, "NIL");
	lex_init(&l, f.val, f.vl, 0);
	while ((k = lex_next(&l, &tp, &tl)) == T_COMMENT)
		;
	if (k != T_ATOM)
		return str_cats(out, "NIL");
	return str_append(out, '(') && put_str(out, tp, tl) && str_append(out, ' ') &&
	    put_params(out, tmp, &l, 0) && str_append(out, ')');
}

/* put_language - Content-Language as ("tag" ...) or NIL; 1 ok, 0 no memory */
static int put_language(struct str *out, const struct node *x)
{
	struct field f;
	struct lex l;
	const char *tp;
	size_t tl, n = 0;
	int k;

	if (!hdr_get(x, "content-language", &f))
		return str_cats(out, "NIL");
	lex_init(&l, f.val, f.vl, 0);
	while ((k = lex_next(&l, &tp, &tl)) != T_END) {
		if (k != T_ATOM)
			continue;
		if (!str_cats(out, n++ ? " " : "(") || !put_str(out, tp, tl))
			return 0;
	}
	return str_cats(out, n ? ")" : "NIL");
}

/* ---- envelope ---- */

struct addrs {
	struct str name, route, mbox, host, tmp;
	size_t count;
};

/* addr_emit - one (name adl mailbox host); 1 ok, 0 no memory */
static int addr_emit(struct str *out, struct addrs *a, int group)
{
	if (!str_cats(out, a->count++ ? "(" : "(("))
		return 0;
	if (!put_sstr(out, &a->name) || !str_append(out, ' ') || !put_sstr(out, &a->route) || !str_append(out, ' '))
		return 0;
	if (group == 2)	/* end of group */
		return str_cats(out, "NIL NIL)");
	if (!(a->mbox.len ? put_str(out, a->mbox.s, a->mbox.len) : str_cats(out, "\"" MISSING_MAILBOX "\"")) ||
	    !str_append(out, ' '))
		return 0;
	if (!a->host.len)
		return str_cats(out, "\"" MISSING_HOST "\")");
	return put_sstr(out, &a->host) && str_append(out, ')');
}

/* addr_group - (NIL NIL "name" NIL) opening a group; 1 ok, 0 no memory */
static int addr_group(struct str *out, struct addrs *a)
{
	return str_cats(out, a->count++ ? "(NIL NIL " : "((NIL NIL ") &&
	    put_str(out, a->name.s ? a->name.s : "", a->name.len) && str_cats(out, " NIL)");
}

/* word_cat - a word onto a phrase (blanks kept as one) and onto a local part (joined); 1 ok, 0 no memory */
static int word_cat(struct addrs *a, int k, const char *tp, size_t tl, int ws)
{
	if (k == T_SPECIAL)	/* the dot */
		return str_append(&a->name, '.') && str_append(&a->mbox, '.');
	if (a->name.len && ws && !str_append(&a->name, ' '))
		return 0;
	if (k == T_QUOTED)
		return cat_unq(&a->name, tp, tl) && cat_unq(&a->mbox, tp, tl);
	return str_catb(&a->name, tp, tl) && str_catb(&a->mbox, tp, tl);
}

/* addr_list - the addresses of one field value (RFC 5322 §3.4, groups and obsolete routes too); 1 ok, 0 no memory */
static int addr_list(struct str *out, struct addrs *a, const char *v, size_t vl)
{
	struct lex l = { v, vl, 0, 1, 0, 0 };
	const char *tp, *cp = NULL;
	size_t tl, cl = 0;
	int k, words = 0, group = 0;

	str_truncate(&a->name, 0);
	str_truncate(&a->mbox, 0);
	for (;;) {
		k = lex_next(&l, &tp, &tl);
		if (k == T_ATOM || k == T_QUOTED || (k == T_SPECIAL && *tp == '.')) {
			if (!word_cat(a, k, tp, tl, l.ws))
				return 0;
			words = 1;
			continue;
		}
		if (k == T_COMMENT) {
			cp = tp;
			cl = tl;
			continue;
		}
		if (k == T_SPECIAL && *tp == ':' && !group && words) {
			if (!addr_group(out, a))
				return 0;
			group = 1;
		} else if (k == T_SPECIAL && (*tp == '<' || *tp == '@')) {
			int angle = *tp == '<';
			int st = angle ? 0 : 1;	/* 0 local part, 1 domain, 2 obsolete route, 3 junk after the domain */
			int word = 0;		/* the domain's last token was a word: another must follow a dot */

			str_truncate(&a->route, 0);
			str_truncate(&a->host, 0);
			if (angle)
				str_truncate(&a->mbox, 0);
			while ((k = lex_next(&l, &tp, &tl)) != T_END) {
				int sp = k == T_SPECIAL ? *tp : 0;
				if (k == T_COMMENT) {
					cp = tp;
					cl = tl;
					continue;
				}
				if (angle ? sp == '>' : sp == ',' || sp == ';' || sp == '<')
					break;
				if (st == 0 && sp == '@' && !a->mbox.len && !a->route.len && angle)
					st = 2;
				if (st == 2) {
					if (sp == ':')
						st = 0;
					else if (k == T_QUOTED ? !cat_unq(&a->route, tp, tl) : !str_catb(&a->route, tp, tl))
						return 0;
					continue;
				}
				if (st == 0 && sp == '@') {
					st = 1;
					continue;
				}
				if (st == 0) {
					if (k == T_QUOTED ? !cat_unq(&a->mbox, tp, tl) : !str_catb(&a->mbox, tp, tl))
						return 0;
				} else if (st == 1 && (sp == '.' || (k == T_ATOM && !word))) {
					word = sp != '.';
					if (!str_catb(&a->host, tp, tl))
						return 0;
				} else
					st = 3;	/* "a@b junk": the domain ended before the junk */
			}
			if (!angle)
				str_truncate(&a->name, 0);
			str_truncate(&a->tmp, 0);
			if (angle) {
				if (!str_copy(&a->tmp, &a->name))
					return 0;
			} else if (cp && !cat_unq(&a->tmp, cp, cl))
				return 0;
			if (!str_copy(&a->name, &a->tmp))
				return 0;
			if (!addr_emit(out, a, 0))
				return 0;
			words = 0;
			cp = NULL;
			str_truncate(&a->name, 0);
			str_truncate(&a->mbox, 0);
			str_truncate(&a->route, 0);
			if (k == T_END)
				break;
			if (k == T_SPECIAL && *tp == ';' && group) {
				str_truncate(&a->name, 0);
				if (!addr_emit(out, a, 2))
					return 0;
				group = 0;
			}
			continue;
		} else if (k == T_END || (k == T_SPECIAL && (*tp == ',' || *tp == ';'))) {
			if (words) {	/* a local part alone */
				str_truncate(&a->name, 0);
				str_truncate(&a->route, 0);
				str_truncate(&a->host, 0);
				if (!addr_emit(out, a, 0))
					return 0;
			}
			if (group && (k == T_END || *tp == ';')) {
				str_truncate(&a->name, 0);
				str_truncate(&a->route, 0);
				if (!addr_emit(out, a, 2))
					return 0;
				group = 0;
			}
			if (k == T_END)
				break;
		}
		/* anything else ends the words seen so far */
		words = 0;
		cp = NULL;
		str_truncate(&a->name, 0);
		str_truncate(&a->mbox, 0);
	}
	return 1;
}

/* put_addrs - the addresses of every field called name in x, as one list, or NIL; 1 ok, 0 no memory */
static int put_addrs(struct str *out, struct addrs *a, const struct node *x, const char *name)
{
	struct field f;
	size_t pos = 0, nl = strlen(name);

	a->count = 0;
	while (field_next(x->m, x->fend, &pos, &f))
		if (f.nl && eqi(f.name, f.nl, name, nl) && !addr_list(out, a, f.val, f.vl))
			return 0;
	return str_cats(out, a->count ? ")" : "NIL");
}

/* envelope - the ENVELOPE of the message or part x; 1 ok, 0 no memory */
static int envelope(struct str *out, const struct node *x)
{
	static const char *const addr_fields[] = { "from", "sender", "reply-to", "to", "cc", "bcc" };
	struct addrs a = { STR_INIT, STR_INIT, STR_INIT, STR_INIT, STR_INIT, 0 };
	struct str tmp = STR_INIT;
	struct field f;
	size_t i;
	int ok = 0;

	if (!str_append(out, '(') || !put_field(out, &tmp, x, "date") || !str_append(out, ' '))
		goto done;
	if (!hdr_get(x, "subject", &f)) {
		if (!str_cats(out, "NIL"))
			goto done;
	} else if (!unfold(&tmp, f.val, f.vl, 1) || !put_str(out, tmp.s, tmp.len))
		goto done;
	for (i = 0; i < sizeof addr_fields / sizeof *addr_fields; i++) {
		size_t before;
		if (!str_append(out, ' '))
			goto done;
		before = out->len;
		if (!put_addrs(out, &a, x, addr_fields[i]))
			goto done;
		/* RFC 3501: sender and reply-to default to from */
		if ((i == 1 || i == 2) && !a.count) {
			str_truncate(out, before);
			if (!put_addrs(out, &a, x, "from"))
				goto done;
		}
	}
	if (!str_append(out, ' ') || !put_field(out, &tmp, x, "in-reply-to") || !str_append(out, ' ') ||
	    !put_field(out, &tmp, x, "message-id") || !str_append(out, ')'))
		goto done;
	ok = 1;
done:
	str_free(&a.name);
	str_free(&a.route);
	str_free(&a.mbox);
	str_free(&a.host);
	str_free(&a.tmp);
	str_free(&tmp);
	return ok;
}

/* imapmsg_envelope - "(date subject from sender reply-to to cc bcc in-reply-to message-id)"; 1 ok, -1 error */
int imapmsg_envelope(const char *msg, size_t len, struct str *out)
{
	struct node x;

	size_t keep = out->len;

	node_split(&x, msg, len);
	errno = 0;
	if (envelope(out, &x))
		return 1;
	str_truncate(out, keep);
	return nomem();
}

/* ---- MIME structure ---- */

/* part_type - the content type of node x; digest: the default is message/rfc822 (RFC 2046 §5.1.5) */
static void part_type(const struct node *x, struct ctype *c)
{
	struct field f;

	if (hdr_get(x, "content-type", &f))
		ctype_parse(f.val, f.vl, c);
	else if (x->digest) {
		c->t = "message";
		c->tl = 7;
		c->s = "rfc822";
		c->sl = 6;
		c->bl = 0;
		c->hasb = 0;
		c->v = NULL;
		c->vl = 0;
	} else {
		c->t = NULL;
		c->bl = 0;
		c->hasb = 0;
		c->v = NULL;
		c->vl = 0;
	}
}

struct mp {
	const char *b;		/* the multipart body */
	size_t n, pos;
	const char *bnd;
	size_t bl;
	int hasb;
	int state;		/* 0 before the first delimiter, 1 inside, 2 done */
};

/* delim_find - the next delimiter line at or after line start from; 1 found (its start, the line after it, close or not), 0 none */
static int delim_find(const struct mp *it, size_t from, size_t *ls, size_t *next, int *close)
{
	const char *b = it->b, *q;
	size_t n = it->n, p = from;

	while (p < n) {
		if (n - p >= 2 + it->bl && b[p] == '-' && b[p + 1] == '-' && !memcmp(b + p + 2, it->bnd, it->bl)) {
			size_t e = p + 2 + it->bl, w;
			*close = n - e >= 2 && b[e] == '-' && b[e + 1] == '-';
			/* only blanks may follow (RFC 2046 §5.1.1), so "--b1" is not "--b10" */
			for (w = e + (*close ? 2 : 0); w < n && (b[w] == ' ' || b[w] == '\t'); w++)
				;
			if (w == n || b[w] == '\n' || (b[w] == '\r' && (w + 1 == n || b[w + 1] == '\n'))) {
				*ls = p;
				*next = w < n ? w + (b[w] == '\r' ? 2 : 1) : n;
				if (*next > n)
					*next = n;
				return 1;
			}
		}
		q = memchr(b + p, '\n', n - p);
		if (!q)
			break;
		p = (size_t)(q - b) + 1;
	}
	return 0;
}

/* mp_next - the next body part of a multipart body (RFC 2046 §5.1.1); 1 found, 0 no more */
static int mp_next(struct mp *it, const char **pp, size_t *pn)
{
	size_t ls, next, end;
	int close;

	if (it->state == 0) {
		it->state = 2;
		if (!it->hasb || !delim_find(it, 0, &ls, &next, &close) || close)
			return 0;
		it->state = 1;
		it->pos = next;
	}
	if (it->state == 2)
		return 0;
	if (delim_find(it, it->pos, &ls, &next, &close)) {
		end = ls;
		if (end > it->pos && it->b[end - 1] == '\n')
			end--;
		if (end > it->pos && it->b[end - 1] == '\r')
			end--;
		*pp = it->b + it->pos;
		*pn = end - it->pos;
		it->pos = next;
		if (close)
			it->state = 2;
		return 1;
	}
	*pp = it->b + it->pos;
	*pn = it->n - it->pos;
	it->state = 2;
	return 1;
}

/* mp_open - start iterating the parts of multipart node x with boundary c */
static void mp_open(struct mp *it, const struct node *x, const struct ctype *c)
{
	it->b = x->m + x->body;
	it->n = x->n - x->body;
	it->pos = 0;
	it->bnd = c->bnd;
	it->bl = c->bl;
	it->hasb = c->hasb;
	it->state = 0;
}

struct bs {
	struct str *out, tmp;
	size_t parts;
	int ext;
};

/* empty part of a multipart with no parts: RFC 3501 wants at least one */
#define BS_EMPTY "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"

/* bs_part - BODY/BODYSTRUCTURE of the part m[0..n); 1 ok, -1 error */
static int bs_part(struct bs *s, const char *m, size_t n, int digest, unsigned depth)
{
	struct str *out = s->out;
	struct node x;
	struct ctype c;
	struct lex l;
	size_t size = 0, lines = 0;
	int text, msg;

	if (depth > IMAPMSG_DEPTH_MAX || ++s->parts > IMAPMSG_PARTS_MAX)
		return big();
	node_split(&x, m, n);
	part_type(&x, &c);
	if (is_type(&c, "multipart", NULL)) {
		struct mp it;
		const char *pp;
		size_t pn, k = 0;
		int dig = eqis(c.s, c.sl, "digest");

		if (!str_append(out, '('))
			return nomem();
		mp_open(&it, &x, &c);
		while (mp_next(&it, &pp, &pn)) {
			k++;
			if (bs_part(s, pp, pn, dig, depth + 1) < 0)
				return -1;
		}
		if (!k && (!str_cats(out, BS_EMPTY) || !str_cats(out, s->ext ? " NIL NIL NIL NIL)" : ")")))
			return nomem();
		if (!str_append(out, ' ') || !put_str(out, c.s, c.sl))
			return nomem();
		if (s->ext) {
			lex_init(&l, c.v, c.vl, 0);
			while (l.i < l.n && l.p[l.i] != ';')	/* past type/subtype */
				l.i++;
			if (!str_append(out, ' ') || !put_params(out, &s->tmp, &l, 0) ||
			    !str_append(out, ' ') || !put_disposition(out, &s->tmp, &x) ||
			    !str_append(out, ' ') || !put_language(out, &x) ||
			    !str_append(out, ' ') || !put_field(out, &s->tmp, &x, "content-location"))
				return nomem();
		}
		return str_append(out, ')') ? 1 : nomem();
	}
	if (!str_append(out, '('))
		return nomem();
	if (c.t) {
		text = is_type(&c, "text", NULL);
		msg = is_type(&c, "message", "rfc822");
		if (!put_str(out, c.t, c.tl) || !str_append(out, ' ') || !put_str(out, c.s, c.sl) || !str_append(out, ' '))
			return nomem();
		lex_init(&l, c.v, c.vl, 0);
		while (l.i < l.n && l.p[l.i] != ';')
			l.i++;
		if (!put_params(out, &s->tmp, &l, text))
			return nomem();
	} else {
		text = !digest;
		msg = digest;
		if (!str_cats(out, digest ? "\"message\" \"rfc822\" NIL" : "\"text\" \"plain\" (\"charset\" \"us-ascii\")"))
			return nomem();
	}
	if (!str_append(out, ' ') || !put_field(out, &s->tmp, &x, "content-id") ||
	    !str_append(out, ' ') || !put_field(out, &s->tmp, &x, "content-description") || !str_append(out, ' '))
		return nomem();
	{	/* the encoding's token, comments and all else dropped; 7bit by default (RFC 2045 §6.1) */
		struct field f;
		const char *tp = "7bit";
		size_t tl = 4;

		if (hdr_get(&x, "content-transfer-encoding", &f)) {
			struct lex el;
			const char *ep;
			size_t en;
			int k;

			lex_init(&el, f.val, f.vl, 0);
			while ((k = lex_next(&el, &ep, &en)) == T_COMMENT)
				;
			if (k == T_ATOM) {
				tp = ep;
				tl = en;
			}
		}
		if (!put_str(out, tp, tl))
			return nomem();
	}
	if (!measure(x.m + x.body, x.n - x.body, &size, &lines))
		return big();
	if (!str_append(out, ' ') || !str_catu(out, size))
		return nomem();
	if (msg) {
		struct node in;
		node_split(&in, x.m + x.body, x.n - x.body);
		if (!str_append(out, ' ') || !envelope(out, &in) || !str_append(out, ' '))
			return nomem();
		if (bs_part(s, in.m, in.n, 0, depth + 1) < 0)
			return -1;
	}
	if ((text || msg) && (!str_append(out, ' ') || !str_catu(out, lines)))
		return nomem();
	if (s->ext && (!str_append(out, ' ') || !put_field(out, &s->tmp, &x, "content-md5") ||
	    !str_append(out, ' ') || !put_disposition(out, &s->tmp, &x) ||
	    !str_append(out, ' ') || !put_language(out, &x) ||
	    !str_append(out, ' ') || !put_field(out, &s->tmp, &x, "content-location")))
		return nomem();
	return str_append(out, ')') ? 1 : nomem();
}

/* imapmsg_bodystructure - BODY (extended 0) or BODYSTRUCTURE (1); 1 ok, -1 error */
int imapmsg_bodystructure(const char *msg, size_t len, int extended, struct str *out)
{
	struct bs s = { out, STR_INIT, 0, extended };
	size_t keep = out->len;
	int r;

	errno = 0;
	r = bs_part(&s, msg, len, 0, 0);
	str_free(&s.tmp);
	if (r < 0)
		str_truncate(out, keep);
	return r;
}

/* imapmsg_size_crlf - the size with CRLF line ends; 1 ok, -1 overflow */
int imapmsg_size_crlf(const char *msg, size_t len, size_t *out)
{
	*out = 0;
	return measure(msg, len, out, NULL) ? 1 : big();
}

/* ---- BODY[section] ---- */

/* What a node stands for while a section path is followed. */
enum { AS_PART, AS_MESSAGE, AS_BODY /* the body of a single-part message, its header the MIME header */ };

/* sub_part - part k (from 1) of node x seen as *is_msg (RFC 3501 §6.4.5); 1 found, 0 not, -1 limit */
static int sub_part(struct node *x, int *is_msg, unsigned long k, unsigned *depth)
{
	struct ctype c;

	for (;;) {
		if (++*depth > IMAPMSG_DEPTH_MAX)
			return big();
		part_type(x, &c);
		if (is_type(&c, "multipart", NULL)) {
			struct mp it;
			const char *pp;
			size_t pn;
			unsigned long i = 0;

			int dig = eqis(c.s, c.sl, "digest");

			mp_open(&it, x, &c);
			while (mp_next(&it, &pp, &pn))
				if (++i == k) {
					node_split(x, pp, pn);
					x->digest = dig;
					*is_msg = AS_PART;
					return 1;
				}
			return 0;
		}
		if (*is_msg == AS_MESSAGE) {	/* a single-part message has only part 1 */
			if (k != 1)
				return 0;
			*is_msg = AS_BODY;
			return 1;
		}
		if (!is_type(&c, "message", "rfc822"))	/* a leaf inside a multipart is its own part 1, as other servers answer */
			return k == 1 && *is_msg == AS_PART;
		node_split(x, x->m + x->body, x->n - x->body);
		*is_msg = AS_MESSAGE;
	}
}

/* fields_match - 1 if name is in the list l (a parenthesized list of astrings) */
static int fields_match(const char *l, size_t ln, const char *name, size_t nl)
{
	size_t i = 0, s;

	while (i < ln) {
		while (i < ln && (l[i] == ' ' || l[i] == '(' || l[i] == ')'))
			i++;
		if (i >= ln)
			break;
		if (l[i] == '"') {
			int esc = 0;
			char buf[256];
			size_t o = 0;
			for (i++; i < ln && !(l[i] == '"' && !esc); i++) {
				if (l[i] == '\\' && !esc) {
					esc = 1;
					continue;
				}
				esc = 0;
				if (o < sizeof buf)
					buf[o++] = l[i];
			}
			i++;
			if (o < sizeof buf && eqi(buf, o, name, nl))
				return 1;
			continue;
		}
		for (s = i; i < ln && l[i] != ' ' && l[i] != ')' && l[i] != '('; i++)
			;
		if (eqi(l + s, i - s, name, nl))
			return 1;
	}
	return 0;
}

/* fields_ok - 1 if "(name ...)" is a well-formed, bounded field list */
static int fields_ok(const char *l, size_t ln)
{
	size_t i, words = 0;
	int inq = 0, inw = 0;

	if (ln < 2 || l[0] != '(' || l[ln - 1] != ')')
		return 0;
	for (i = 1; i + 1 < ln; i++) {
		if (inq) {
			if (l[i] == '\\')
				i++;
			else if (l[i] == '"')
				inq = 0;
			continue;
		}
		if (l[i] == '"') {
			inq = 1;
			words++;
			inw = 0;
		} else if (l[i] == ' ')
			inw = 0;
		else if (l[i] == '(' || l[i] == ')')
			return 0;
		else if (!inw) {
			inw = 1;
			words++;
		}
	}
	return !inq && words && words <= IMAPMSG_FIELDS_MAX;
}

/* section - imapmsg_section without the clean-up of out on failure */
static int section(const char *msg, size_t len, const char *spec, size_t slen, struct str *out)
{
	struct node x;
	size_t i = 0, keep = out->len;
	int is_msg = AS_MESSAGE, path = 0, r, not = 0;
	const char *l = NULL;
	size_t ln = 0;
	unsigned depth = 0;
	const char *t;
	size_t tl;

	errno = 0;
	/* the syntax first (RFC 3501 §9 section-spec), so a bad spec is EINVAL whatever the message holds */
	while (i < slen && spec[i] >= '0' && spec[i] <= '9') {
		if (spec[i] == '0') {	/* nz-number */
			errno = EINVAL;
			return -1;
		}
		while (i < slen && spec[i] >= '0' && spec[i] <= '9')
			i++;
		if (i < slen) {
			if (spec[i] != '.' || i + 1 == slen) {
				errno = EINVAL;
				return -1;
			}
			i++;
		}
	}
	t = spec + i;
	tl = slen - i;
	if (tl > 18 && eqi(t, 18, "HEADER.FIELDS.NOT ", 18)) {
		not = 1;
		l = t + 18;
		ln = tl - 18;
	} else if (tl > 14 && eqi(t, 14, "HEADER.FIELDS ", 14)) {
		l = t + 14;
		ln = tl - 14;
	} else if (tl && !eqis(t, tl, "HEADER") && !eqis(t, tl, "TEXT") && !eqis(t, tl, "MIME")) {
		errno = EINVAL;
		return -1;
	}
	if ((l && !fields_ok(l, ln)) || (!i && eqis(t, tl, "MIME"))) {
		errno = EINVAL;
		return -1;
	}
	node_split(&x, msg, len);
	i = 0;
	while (i < slen && spec[i] >= '0' && spec[i] <= '9') {
		unsigned long k = 0;
		for (; i < slen && spec[i] >= '0' && spec[i] <= '9'; i++) {
			if (k > 100000000)
				return big();
			k = k * 10 + (unsigned long)(spec[i] - '0');
		}
		if (!k) {
			errno = EINVAL;
			return -1;
		}
		r = sub_part(&x, &is_msg, k, &depth);
		if (r <= 0)
			return r;
		path = 1;
		if (i < slen) {
			if (spec[i] != '.' || i + 1 == slen) {
				errno = EINVAL;
				return -1;
			}
			i++;
		}
	}
	if (!tl) {
		if (!path)
			return cat_crlf(out, x.m, x.n) ? 1 : nomem();
		return cat_crlf(out, x.m + x.body, x.n - x.body) ? 1 : nomem();
	}
	if (eqis(t, tl, "MIME")) {
		if (!path) {
			errno = EINVAL;
			return -1;
		}
		return cat_crlf(out, x.m, x.body) ? 1 : nomem();
	}
	/* HEADER, TEXT and HEADER.FIELDS address a message: the top one or a message/rfc822 part */
	if (path) {
		struct ctype c;
		part_type(&x, &c);
		if (!is_type(&c, "message", "rfc822"))
			return 0;
		node_split(&x, x.m + x.body, x.n - x.body);
	}
	if (eqis(t, tl, "HEADER"))
		return cat_crlf(out, x.m, x.body) ? 1 : nomem();
	if (eqis(t, tl, "TEXT"))
		return cat_crlf(out, x.m + x.body, x.n - x.body) ? 1 : nomem();
	{
		size_t pos = 0;
		struct field f;

		while (field_next(x.m, x.fend, &pos, &f))
			if (f.nl ? fields_match(l, ln, f.name, f.nl) != not : not) {
				if (!cat_crlf(out, x.m + f.start, f.end - f.start))
					goto oom;
				if (f.end == x.fend && (f.end == 0 || x.m[f.end - 1] != '\n') && !str_catb(out, "\r\n", 2))
					goto oom;
			}
		/* the blank line; HEADER.FIELDS.NOT copies the header's own end, absent in a header-only message */
		if ((!not || x.body > x.fend) && !str_catb(out, "\r\n", 2))
			goto oom;
		return 1;
	}
oom:
	str_truncate(out, keep);
	return nomem();
}

/* imapmsg_section - contents of BODY[spec]; 1 ok, 0 no such section, -1 error (EINVAL: bad spec) */
int imapmsg_section(const char *msg, size_t len, const char *spec, size_t slen, struct str *out)
{
	size_t keep = out->len;
	int r;

	errno = 0;
	r = section(msg, len, spec, slen, out);
	if (r != 1)
		str_truncate(out, keep);
	return r;
}

/* ---- searching ---- */

/* A case-insensitive substring matcher fed in pieces: Knuth-Morris-Pratt
 * over ASCII-folded bytes, so a search is linear in the text. */
struct match {
	unsigned char *nd;
	size_t *fail;
	size_t n, q;
};

/* match_init - prepare the needle; 1 ok, 0 no memory */
static int match_init(struct match *m, const char *nd, size_t n)
{
	size_t i, k = 0, sz;

	m->n = n;
	m->q = 0;
	m->nd = malloc(n ? n : 1);
	if (!size_mul(&sz, n ? n : 1, sizeof *m->fail)) {
		free(m->nd);
		m->nd = NULL;
		errno = E2BIG;
		return 0;
	}
	m->fail = malloc(sz);
	if (!m->nd || !m->fail) {
		free(m->nd);
		free(m->fail);
		errno = ENOMEM;
		return 0;
	}
	for (i = 0; i < n; i++)
		m->nd[i] = lc((unsigned char)nd[i]);
	if (n)
		m->fail[0] = 0;
	for (i = 1; i < n; i++) {
		while (k && m->nd[i] != m->nd[k])
			k = m->fail[k - 1];
		if (m->nd[i] == m->nd[k])
			k++;
		m->fail[i] = k;
	}
	return 1;
}

/* match_feed - feed text; 1 once the needle has been seen */
static int match_feed(struct match *m, const char *p, size_t len)
{
	size_t i, q = m->q;

	if (!m->n)
		return 1;
	for (i = 0; i < len; i++) {
		unsigned char c = lc((unsigned char)p[i]);
		while (q && c != m->nd[q])
			q = m->fail[q - 1];
		if (c == m->nd[q] && ++q == m->n) {
			m->q = 0;
			return 1;
		}
	}
	m->q = q;
	return 0;
}

/* match_free - release the matcher */
static void match_free(struct match *m)
{
	free(m->nd);
	free(m->fail);
}

/* latin1 - append ISO-8859-1 bytes as UTF-8; 1 ok, 0 no memory */
static int latin1(struct str *out, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x80) {
			if (!str_append(out, (char)c))
				return 0;
		} else if (!str_append(out, (char)(0xc0 | c >> 6)) || !str_append(out, (char)(0x80 | (c & 0x3f))))
			return 0;
	}
	return 1;
}

/* is_latin1 - 1 if the charset name is ISO-8859-1 or an alias */
static int is_latin1(const char *cs, size_t n)
{
	return eqis(cs, n, "iso-8859-1") || eqis(cs, n, "iso8859-1") || eqis(cs, n, "latin1") ||
	    eqis(cs, n, "iso_8859-1") || eqis(cs, n, "l1");
}

/* b64val - the value of a base64 digit, or -1 */
static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* hexval - the value of a hex digit, or -1 */
static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lc(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* dec_b64 - append decoded base64, skipping anything that is not a digit; 1 ok, 0 no memory */
static int dec_b64(struct str *out, const char *p, size_t n)
{
	size_t i;
	unsigned acc = 0, bits = 0;

	for (i = 0; i < n; i++) {
		int v = b64val((unsigned char)p[i]);
		if (v < 0) {
			if (p[i] == '=')
				break;
			continue;
		}
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (!str_append(out, (char)(acc >> bits & 0xff)))
				return 0;
		}
	}
	return 1;
}

/* dec_qp - append decoded quoted-printable (RFC 2045 §6.7; q: RFC 2047 "Q", where _ is a blank); 1 ok, 0 no memory */
static int dec_qp(struct str *out, const char *p, size_t n, int q)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];
		if (c == '=' && i + 2 < n + 0 && hexval((unsigned char)p[i + 1]) >= 0 && hexval((unsigned char)p[i + 2]) >= 0) {
			c = (char)(hexval((unsigned char)p[i + 1]) << 4 | hexval((unsigned char)p[i + 2]));
			i += 2;
		} else if (c == '=' && !q) {	/* soft line break: "=", blanks, line end */
			size_t j = i + 1;
			while (j < n && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j < n && p[j] == '\r')
				j++;
			if (j < n && p[j] == '\n') {
				i = j;
				continue;
			}
			if (j == n) {
				i = j;
				continue;
			}
		} else if (c == '_' && q)
			c = ' ';
		if (!str_append(out, c))
			return 0;
	}
	return 1;
}

/* dec2047 - append a header value with its RFC 2047 encoded words decoded (to UTF-8 where the charset is known); 1 ok, 0 no memory */
static int dec2047(struct str *out, struct str *tmp, const char *v, size_t vl)
{
	size_t i = 0, blank = 0;
	int after_word = 0;

	while (i < vl) {
		if (v[i] == '=' && i + 1 < vl && v[i + 1] == '?') {
			size_t cs = i + 2, ce, te, j;
			char enc;
			const char *q;

			for (ce = cs; ce < vl && v[ce] != '?' && v[ce] != ' '; ce++)
				;
			if (ce + 3 < vl && v[ce] == '?' && v[ce + 2] == '?' && strchr("bBqQ", v[ce + 1])) {
				enc = lc((unsigned char)v[ce + 1]);
				q = NULL;
				for (te = ce + 3; te + 1 < vl; te++)
					if (v[te] == '?' && v[te + 1] == '=') {
						q = v + te;
						break;
					}
				if (q) {
					size_t csl = ce - cs;
					for (j = cs; j < ce; j++)	/* RFC 2231 §5: charset*language */
						if (v[j] == '*')
							csl = j - cs;
					str_truncate(tmp, 0);
					if (enc == 'b' ? !dec_b64(tmp, v + ce + 3, te - ce - 3) : !dec_qp(tmp, v + ce + 3, te - ce - 3, 1))
						return 0;
					if (!after_word && blank && !str_catb(out, v + i - blank, blank))
						return 0;
					if (is_latin1(v + cs, csl) ? !latin1(out, tmp->s, tmp->len) : !str_catb(out, tmp->s, tmp->len))
						return 0;
					i = te + 2;
					after_word = 1;
					blank = 0;
					continue;
				}
			}
		}
		if (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n') {
			blank++;	/* held back: dropped between two encoded words */
			i++;
			continue;
		}
		if (blank && !str_catb(out, v + i - blank, blank))
			return 0;
		blank = 0;
		after_word = 0;
		if (!str_append(out, v[i]))
			return 0;
		i++;
	}
	return 1;
}

/* imapmsg_search_header - field contains needle; 1 yes, 0 no, -1 error */
int imapmsg_search_header(const char *msg, size_t len, const char *field, size_t flen, const char *needle, size_t nlen)
{
	struct node x;
	struct field f;
	struct str u = STR_INIT, d = STR_INIT, tmp = STR_INIT;
	struct match m;
	size_t pos = 0;
	int r = 0;

	errno = 0;
	node_split(&x, msg, len);
	if (!match_init(&m, needle, nlen))
		return -1;
	while (field_next(x.m, x.fend, &pos, &f)) {
		if (!f.nl || !eqi(f.name, f.nl, field, flen))
			continue;
		str_truncate(&d, 0);
		if (!unfold(&u, f.val, f.vl, 0) || !dec2047(&d, &tmp, u.s, u.len)) {
			r = nomem();
			break;
		}
		m.q = 0;
		if (match_feed(&m, d.s ? d.s : "", d.len)) {
			r = 1;
			break;
		}
	}
	match_free(&m);
	str_free(&u);
	str_free(&d);
	str_free(&tmp);
	return r;
}

struct srch {
	struct match m;
	struct str a, b, tmp;
	size_t parts;
};

/* srch_header - feed every field of x, unfolded and RFC 2047 decoded; 1 seen, 0 not, -1 error */
static int srch_header(struct srch *s, const struct node *x)
{
	struct field f;
	size_t pos = 0;

	while (field_next(x->m, x->fend, &pos, &f)) {
		if (!f.nl)
			continue;
		str_truncate(&s->b, 0);
		if (!unfold(&s->a, f.val, f.vl, 0) || !str_catb(&s->b, f.name, f.nl) || !str_catb(&s->b, ": ", 2) ||
		    !dec2047(&s->b, &s->tmp, s->a.s, s->a.len))
			return nomem();
		s->m.q = 0;
		if (match_feed(&s->m, s->b.s, s->b.len))
			return 1;
	}
	return 0;
}

/* srch_part - feed the decoded text of the part m[0..n) and everything inside it, with every header
 * (the part's own, those of parts and attached messages inside) when hdrs is set; 1 seen, 0 not, -1 error */
static int srch_part(struct srch *s, const char *m, size_t n, int digest, unsigned depth, int hdrs)
{
	struct node x;
	struct ctype c;
	struct field f;
	const char *p;
	size_t pn;
	int r;

	if (depth > IMAPMSG_DEPTH_MAX || ++s->parts > IMAPMSG_PARTS_MAX)
		return big();
	node_split(&x, m, n);
	x.digest = digest;
	if (hdrs && (r = srch_header(s, &x)) != 0)
		return r;
	part_type(&x, &c);
	if (is_type(&c, "multipart", NULL)) {
		struct mp it;
		int dig = eqis(c.s, c.sl, "digest");
		mp_open(&it, &x, &c);
		while (mp_next(&it, &p, &pn))
			if ((r = srch_part(s, p, pn, dig, depth + 1, hdrs)) != 0)
				return r;
		return 0;
	}
	if (is_type(&c, "message", "rfc822"))
		return srch_part(s, x.m + x.body, x.n - x.body, 0, depth + 1, hdrs);
	if (c.t && !is_type(&c, "text", NULL) && !is_type(&c, "message", NULL))
		return 0;	/* images, archives and the like are not text */
	p = x.m + x.body;
	pn = x.n - x.body;
	if (hdr_get(&x, "content-transfer-encoding", &f)) {
		struct lex l = { f.val, f.vl, 0, 0, 0, 0 };
		const char *tp;
		size_t tl;
		int k;
		while ((k = lex_next(&l, &tp, &tl)) == T_COMMENT)
			;
		if (k == T_ATOM && (eqis(tp, tl, "base64") || eqis(tp, tl, "quoted-printable"))) {
			str_truncate(&s->a, 0);
			if (lc(*tp) == 'b' ? !dec_b64(&s->a, p, pn) : !dec_qp(&s->a, p, pn, 0))
				return nomem();
			p = s->a.s ? s->a.s : "";
			pn = s->a.len;
		}
	}
	if (c.t) {	/* an ISO-8859-1 text is compared as UTF-8 */
		struct lex l = { c.v, c.vl, 0, 0, 0, 0 };
		struct param pa[IMAPMSG_PARAMS_MAX];
		size_t np, i;
		while (l.i < l.n && l.p[l.i] != ';')
			l.i++;
		np = params_parse(&l, pa);
		for (i = 0; i < np; i++)
			if (eqis(pa[i].name, pa[i].nl, "charset")) {
				str_truncate(&s->tmp, 0);
				if (pa[i].quoted ? !cat_unq(&s->tmp, pa[i].val, pa[i].vl) : !str_catb(&s->tmp, pa[i].val, pa[i].vl))
					return nomem();
				if (is_latin1(s->tmp.s, s->tmp.len)) {
					str_truncate(&s->b, 0);
					if (!latin1(&s->b, p, pn))
						return nomem();
					p = s->b.s ? s->b.s : "";
					pn = s->b.len;
				}
				break;
			}
	}
	s->m.q = 0;
	return match_feed(&s->m, p, pn);
}

/* imapmsg_search_text - SEARCH BODY (body_only 1) or TEXT (0); 1 yes, 0 no, -1 error */
int imapmsg_search_text(const char *msg, size_t len, const char *needle, size_t nlen, int body_only)
{
	struct srch s = { { 0 }, STR_INIT, STR_INIT, STR_INIT, 0 };
	int r;

	errno = 0;
	if (!match_init(&s.m, needle, nlen))
		return -1;
	r = srch_part(&s, msg, len, 0, 0, !body_only);
	match_free(&s.m);
	str_free(&s.a);
	str_free(&s.b);
	str_free(&s.tmp);
	return r;
}

/* ---- Date ---- */

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* date_num - digits at *i (at most max); the value, -1 if none */
static long date_num(const char *p, size_t n, size_t *i, int max)
{
	long v = 0;
	int k = 0;

	while (*i < n && p[*i] >= '0' && p[*i] <= '9' && k < max) {
		v = v * 10 + (p[*i] - '0');
		(*i)++;
		k++;
	}
	return k ? v : -1;
}

/* date_skip - past blanks, line ends and comments */
static void date_skip(const char *p, size_t n, size_t *i)
{
	while (*i < n) {
		if (p[*i] == ' ' || p[*i] == '\t' || p[*i] == '\r' || p[*i] == '\n')
			(*i)++;
		else if (p[*i] == '(') {
			size_t depth = 0;
			for (; *i < n; (*i)++) {
				if (p[*i] == '(')
					depth++;
				else if (p[*i] == ')' && !--depth) {
					(*i)++;
					break;
				}
			}
		} else
			break;
	}
}

/* date_parse - RFC 5322 §3.3 date-time (and §4.3 obsolete forms); 1 ok with *t and the zone in *zsec, 0 bad */
static int date_parse(const char *p, size_t n, long long *t, long long *zsec)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const struct { const char *name; int off; } zones[] = {
		{ "ut", 0 }, { "gmt", 0 }, { "z", 0 }, { "est", -500 }, { "edt", -400 }, { "cst", -600 },
		{ "cdt", -500 }, { "mst", -700 }, { "mdt", -600 }, { "pst", -800 }, { "pdt", -700 },
	};
	size_t i = 0, s, k;
	long day, year, hh, mm, ss = 0, zone = 0;
	unsigned mon = 0;

	date_skip(p, n, &i);
	/* optional day of week */
	for (s = i; i < n && ((p[i] | 32) >= 'a' && (p[i] | 32) <= 'z'); i++)
		;
	if (i > s) {
		date_skip(p, n, &i);
		if (i < n && p[i] == ',')
			i++;
		date_skip(p, n, &i);
	}
	if ((day = date_num(p, n, &i, 2)) < 1 || day > 31)
		return 0;
	date_skip(p, n, &i);
	if (i + 3 > n)
		return 0;
	for (k = 0; k < 12; k++)
		if (lc(p[i]) == months[3 * k] && lc(p[i + 1]) == months[3 * k + 1] && lc(p[i + 2]) == months[3 * k + 2])
			mon = (unsigned)k + 1;
	if (!mon)
		return 0;
	i += 3;
	while (i < n && ((p[i] | 32) >= 'a' && (p[i] | 32) <= 'z'))
		i++;	/* "June" */
	date_skip(p, n, &i);
	s = i;
	if ((year = date_num(p, n, &i, 4)) < 0)
		return 0;
	if (i - s == 2)	/* RFC 5322 §4.3 */
		year += year < 50 ? 2000 : 1900;
	else if (i - s == 3)
		year += 1900;
	date_skip(p, n, &i);
	if ((hh = date_num(p, n, &i, 2)) < 0 || hh > 23)
		return 0;
	date_skip(p, n, &i);
	if (i >= n || p[i++] != ':')
		return 0;
	date_skip(p, n, &i);
	if ((mm = date_num(p, n, &i, 2)) < 0 || mm > 59)
		return 0;
	date_skip(p, n, &i);
	if (i < n && p[i] == ':') {
		i++;
		date_skip(p, n, &i);
		if ((ss = date_num(p, n, &i, 2)) < 0 || ss > 60)
			return 0;
		date_skip(p, n, &i);
	}
	if (i < n && (p[i] == '+' || p[i] == '-')) {
		int neg = p[i++] == '-';
		s = i;
		if ((zone = date_num(p, n, &i, 4)) < 0 || i - s != 4 || zone % 100 > 59)
			return 0;
		if (neg)
			zone = -zone;
	} else if (i < n) {
		for (s = i; i < n && ((p[i] | 32) >= 'a' && (p[i] | 32) <= 'z'); i++)
			;
		for (k = 0; k < sizeof zones / sizeof *zones; k++)
			if (eqis(p + s, i - s, zones[k].name))
				zone = zones[k].off;
		/* other zones, military letters included, count as +0000 (§4.3) */
	}
	if (day > 28) {	/* the day must exist in the month */
		static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
		if (day > mdays[mon - 1] || (mon == 2 && day == 29 && !leap))
			return 0;
	}
	*zsec = (zone < 0 ? -1 : 1) * ((labs(zone) / 100) * 3600 + (labs(zone) % 100) * 60);
	*t = days_from_civil(year, mon, (unsigned)day) * 86400 + hh * 3600 + mm * 60 + ss - *zsec;
	return 1;
}

/* msg_date - parse the Date: header; 1 ok, 0 absent or bad */
static int msg_date(const char *msg, size_t len, long long *t, long long *zsec)
{
	struct node x;
	struct field f;

	node_split(&x, msg, len);
	return hdr_get(&x, "date", &f) && date_parse(f.val, f.vl, t, zsec);
}

/* imapmsg_date - the Date: header in seconds since the epoch; 1 ok, 0 absent or bad */
int imapmsg_date(const char *msg, size_t len, long long *t)
{
	long long z;

	if (msg_date(msg, len, t, &z))
		return 1;
	*t = 0;
	return 0;
}

/* imapmsg_sentday - the day of the Date: header as written, in days since 1970-01-01; 1 ok, 0 absent or bad */
int imapmsg_sentday(const char *msg, size_t len, long long *day)
{
	long long t, z;

	*day = 0;
	if (!msg_date(msg, len, &t, &z))
		return 0;
	t += z;		/* back to the sender's wall clock */
	*day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	return 1;
}
