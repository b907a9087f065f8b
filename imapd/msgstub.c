/*
 * msgstub - a plain-text stand-in for the imapmsg library (msgapi.h),
 * built only while imapd/imapmsg.c is not in the tree.  It treats every
 * message as one text/plain part: ENVELOPE from the top-level header,
 * BODY[], HEADER, TEXT, 1, HEADER.FIELDS[.NOT], and substring SEARCH
 * without MIME decoding.
 * runs as:  inside kurier-imapd, as the user
 * trusts:   nothing in the message
 */
#include <string.h>
#include <strings.h>
#include "msgapi.h"
#include "imapparse.h"
#include "scan.h"

/* hdrend - where the body starts; *hlen the header length including the blank line */
static size_t hdrend(const char *m, size_t n)
{
	size_t i;

	if (n && m[0] == '\n')
		return 1;
	if (n > 1 && m[0] == '\r' && m[1] == '\n')
		return 2;
	for (i = 0; i + 1 < n; i++)
		if (m[i] == '\n') {
			if (m[i + 1] == '\n')
				return i + 2;
			if (i + 2 < n && m[i + 1] == '\r' && m[i + 2] == '\n')
				return i + 3;
		}
	return n;
}

/* crlf - m[0..n) onto out with bare LF as CRLF; 1 ok, -1 no memory */
static int crlf(const char *m, size_t n, struct str *out)
{
	size_t i, s = 0;

	for (i = 0; i < n; i++)
		if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) {
			if (!str_catb(out, m + s, i - s) || !str_catb(out, "\r\n", 2))
				return -1;
			s = i + 1;
		}
	return str_catb(out, m + s, n - s) ? 1 : -1;
}

/* imapmsg_size_crlf - the size with CRLF line ends */
int imapmsg_size_crlf(const char *msg, size_t len, size_t *out)
{
	size_t i, n = len;

	for (i = 0; i < len; i++)
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			n++;
	*out = n;
	return 1;
}

/* field - the unfolded value of the first header field name into v; 1 found, 0 not */
static int field(const char *m, size_t n, const char *name, size_t nl, struct str *v)
{
	size_t h = hdrend(m, n), i = 0, e;

	v->len = 0;
	while (i < h) {
		for (e = i; e < h && m[e] != '\n'; e++)
			;
		if (e - i > nl && m[i + nl] == ':' && !strncasecmp(m + i, name, nl)) {
			size_t s = i + nl + 1;
			for (;;) {
				size_t k;
				for (k = s; k < e; k++)
					if (m[k] != '\r' && !str_append(v, m[k]))
						return -1;
				if (e + 1 < h && (m[e + 1] == ' ' || m[e + 1] == '\t')) {
					s = e + 1;
					for (e = s; e < h && m[e] != '\n'; e++)
						;
					continue;
				}
				break;
			}
			while (v->len && (v->s[0] == ' ' || v->s[0] == '\t')) {
				memmove(v->s, v->s + 1, v->len - 1);
				v->len--;
			}
			while (v->len && (v->s[v->len - 1] == ' ' || v->s[v->len - 1] == '\t'))
				v->len--;
			return 1;
		}
		i = e + 1;
	}
	return 0;
}

/* nstring - s as an IMAP quoted string or literal, NIL when absent */
static int nstring(struct str *o, const char *s, size_t n, int present)
{
	size_t i;

	if (!present)
		return str_cats(o, "NIL") ? 1 : -1;
	for (i = 0; i < n; i++)
		if (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			break;
	if (i < n) {
		if (!str_append(o, '{') || !str_catu(o, n) || !str_cats(o, "}\r\n") || !str_catb(o, s, n))
			return -1;
		return 1;
	}
	return str_append(o, '"') && str_catb(o, s, n) && str_append(o, '"') ? 1 : -1;
}

/* addrlist - an address header as an IMAP address list */
static int addrlist(struct str *o, const char *s, size_t n, int present)
{
	size_t i = 0, k, any = 0;

	if (!present || !n)
		return str_cats(o, "NIL") ? 1 : -1;
	if (!str_append(o, '('))
		return -1;
	while (i < n) {
		size_t e = i, lt, gt, at;
		int q = 0;
		for (; e < n && (q || s[e] != ','); e++)
			if (s[e] == '"')
				q = !q;
		lt = gt = e;
		for (k = i; k < e; k++)
			if (s[k] == '<') lt = k;
			else if (s[k] == '>' && lt < e) gt = k;
		{
			const char *a = s + i, *name = 0;
			size_t al = e - i, nl = 0;
			if (lt < e && gt < e && gt > lt) {
				a = s + lt + 1;
				al = gt - lt - 1;
				name = s + i;
				nl = lt - i;
				while (nl && (*name == ' ' || *name == '"')) { name++; nl--; }
				while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '"')) nl--;
			}
			while (al && *a == ' ') { a++; al--; }
			while (al && a[al - 1] == ' ') al--;
			if (al) {
				for (at = 0; at < al && a[at] != '@'; at++)
					;
				if (!str_append(o, '(') || nstring(o, name, nl, nl > 0) < 0 || !str_cats(o, " NIL ") ||
				    nstring(o, a, at, 1) < 0 || !str_append(o, ' ') ||
				    nstring(o, a + at + (at < al), at < al ? al - at - 1 : 0, at < al) < 0 || !str_append(o, ')'))
					return -1;
				any = 1;
			}
		}
		i = e + 1;
	}
	if (!any) {
		o->len--;
		return str_cats(o, "NIL") ? 1 : -1;
	}
	return str_append(o, ')') ? 1 : -1;
}

/* imapmsg_envelope - the ENVELOPE of a message */
int imapmsg_envelope(const char *msg, size_t len, struct str *out)
{
	static const char *const f[] = { "Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "In-Reply-To", "Message-ID" };
	struct str v = STR_INIT, from = STR_INIT;
	int i, p, hf;

	hf = field(msg, len, "From", 4, &from);
	if (hf < 0 || !str_append(out, '('))
		goto nomem;
	for (i = 0; i < 10; i++) {
		if (i && !str_append(out, ' '))
			goto nomem;
		p = field(msg, len, f[i], strlen(f[i]), &v);
		if (p < 0)
			goto nomem;
		if ((i == 3 || i == 4) && (!p || !v.len)) {
			if (addrlist(out, from.s, from.len, hf) < 0)
				goto nomem;
		} else if (i >= 2 && i <= 7) {
			if (addrlist(out, v.s, v.len, p) < 0)
				goto nomem;
		} else if (nstring(out, v.s, v.len, p) < 0)
			goto nomem;
	}
	if (!str_append(out, ')'))
		goto nomem;
	str_free(&v);
	str_free(&from);
	return 1;
nomem:
	str_free(&v);
	str_free(&from);
	return -1;
}

/* imapmsg_bodystructure - one text/plain part */
int imapmsg_bodystructure(const char *msg, size_t len, int extended, struct str *out)
{
	size_t h = hdrend(msg, len), sz, i, lines = 0;

	(void)imapmsg_size_crlf(msg + h, len - h, &sz);
	for (i = h; i < len; i++)
		if (msg[i] == '\n')
			lines++;
	if (len > h && msg[len - 1] != '\n')
		lines++;
	if (!str_cats(out, "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" ") ||
	    !str_catu(out, sz) || !str_append(out, ' ') || !str_catu(out, lines) ||
	    (extended && !str_cats(out, " NIL NIL NIL NIL")) || !str_append(out, ')'))
		return -1;
	return 1;
}

/* fieldlist - 1 if the header line starting at m (length n) names a field in the list "(A B)" */
static int inlist(const char *m, size_t n, const char *list, size_t ll)
{
	size_t i = 0, c;

	for (c = 0; c < n && m[c] != ':'; c++)
		;
	if (c == n)
		return 0;
	while (i < ll) {
		size_t e;
		while (i < ll && (list[i] == ' ' || list[i] == '(' || list[i] == ')' || list[i] == '"'))
			i++;
		for (e = i; e < ll && list[e] != ' ' && list[e] != ')' && list[e] != '"'; e++)
			;
		if (e > i && e - i == c && !strncasecmp(m, list + i, c))
			return 1;
		i = e;
	}
	return 0;
}

/* imapmsg_section - BODY[spec] of a one-part message */
int imapmsg_section(const char *msg, size_t len, const char *spec, size_t slen, struct str *out)
{
	size_t h = hdrend(msg, len);

	out->len = 0;
	if (!slen)
		return crlf(msg, len, out);
	if (slen == 6 && !strncasecmp(spec, "HEADER", 6))
		return crlf(msg, h, out);
	if ((slen == 4 && !strncasecmp(spec, "TEXT", 4)) || (slen == 1 && spec[0] == '1'))
		return crlf(msg + h, len - h, out);
	if (slen > 14 && !strncasecmp(spec, "HEADER.FIELDS ", 14)) {
		int not = 0;
		const char *list = spec + 14;
		size_t ll = slen - 14, i = 0, e;
		if (slen > 18 && !strncasecmp(spec, "HEADER.FIELDS.NOT ", 18)) {
			not = 1;
			list = spec + 18;
			ll = slen - 18;
		}
		while (i < h) {
			int keep;
			for (e = i; e < h && msg[e] != '\n'; e++)
				;
			if (msg[i] == '\r' || msg[i] == '\n')
				break;
			keep = inlist(msg + i, e - i, list, ll) != not;
			for (;;) {
				if (keep && crlf(msg + i, e + 1 > h ? h - i : e + 1 - i, out) < 0)
					return -1;
				i = e + 1;
				if (i < h && (msg[i] == ' ' || msg[i] == '\t')) {
					for (e = i; e < h && msg[e] != '\n'; e++)
						;
					continue;
				}
				break;
			}
		}
		return str_catb(out, "\r\n", 2) ? 1 : -1;
	}
	if (slen == 14 && !strncasecmp(spec, "HEADER.FIELDS", 13))
		return 0;
	return 0;
}

/* contains - 1 if needle occurs in s ignoring ASCII case */
static int contains(const char *s, size_t n, const char *needle, size_t nl)
{
	size_t i;

	if (!nl)
		return 1;
	for (i = 0; i + nl <= n; i++)
		if (!strncasecmp(s + i, needle, nl))
			return 1;
	return 0;
}

/* imapmsg_search_header - substring in a header field */
int imapmsg_search_header(const char *msg, size_t len, const char *fieldname, size_t flen, const char *needle, size_t nlen)
{
	struct str v = STR_INIT;
	int r = field(msg, len, fieldname, flen, &v);

	if (r == 1)
		r = contains(v.s, v.len, needle, nlen);
	str_free(&v);
	return r;
}

/* imapmsg_search_text - substring in the body or the whole message */
int imapmsg_search_text(const char *msg, size_t len, const char *needle, size_t nlen, int body_only)
{
	size_t h = body_only ? hdrend(msg, len) : 0;

	return contains(msg + h, len - h, needle, nlen);
}

/* imapmsg_date - the Date header as seconds since the epoch; 0 if absent or bad */
int imapmsg_date(const char *msg, size_t len, long long *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct str v = STR_INIT;
	unsigned long long d, y, hh, mm, ss = 0, z;
	size_t i = 0, k;
	unsigned m;
	int r = field(msg, len, "Date", 4, &v), sign;

	*t = 0;
	if (r != 1)
		goto out;
	r = 1;
	if (v.len > 5 && v.s[3] == ',')
		i = 4;
	while (i < v.len && v.s[i] == ' ')
		i++;
	if (!(k = scan_ulong(v.s + i, v.len - i, &d)))
		goto out;
	i += k + 1;
	if (i + 3 > v.len)
		goto out;
	for (m = 0; m < 12 && strncasecmp(v.s + i, months + 3 * m, 3); m++)
		;
	i += 4;
	if (m == 12 || i > v.len || !(k = scan_ulong(v.s + i, v.len - i, &y)))
		goto out;
	i += k + 1;
	if (i > v.len || !(k = scan_ulong(v.s + i, v.len - i, &hh)) || i + k >= v.len || v.s[i + k] != ':')
		goto out;
	i += k + 1;
	if (!(k = scan_ulong(v.s + i, v.len - i, &mm)))
		goto out;
	i += k;
	if (i < v.len && v.s[i] == ':') {
		i++;
		if (!(k = scan_ulong(v.s + i, v.len - i, &ss)))
			goto out;
		i += k;
	}
	while (i < v.len && v.s[i] == ' ')
		i++;
	sign = 0;
	z = 0;
	if (i < v.len && (v.s[i] == '+' || v.s[i] == '-') && scan_ulong(v.s + i + 1, v.len - i - 1, &z) == 4)
		sign = v.s[i] == '-' ? -1 : 1;
	if (y < 100)
		y += y < 50 ? 2000 : 1900;
	if (d < 1 || d > 31 || y > 9999 || hh > 23 || mm > 59 || ss > 60)
		goto out;
	*t = imap_days_from_civil((long long)y, m + 1, (unsigned)d) * 86400 + (long long)(hh * 3600 + mm * 60 + ss);
	*t -= sign * (long long)((z / 100) * 3600 + (z % 100) * 60);
out:
	str_free(&v);
	return r < 0 ? -1 : 1;
}

/* imapmsg_sentday - the Date: header's day; the stand-in takes it in UTC; 1 ok, 0 absent or bad */
int imapmsg_sentday(const char *msg, size_t len, long long *day)
{
	long long t;

	*day = 0;
	if (imapmsg_date(msg, len, &t) < 0)
		return -1;
	if (!t)
		return 0;
	*day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	return 1;
}
