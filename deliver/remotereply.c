/*
 * remotereply.c - SMTP reply and EHLO keyword parsers; see remotereply.h.
 * runs as:  inside kurier-remote and kurier-rspawn's delivery children
 * trusts:   nothing in its input
 */
#include <string.h>
#include "remotereply.h"
#include "scan.h"

void reply_start(struct reply *r)
{
	r->code = 0;
	r->lines = 0;
	r->done = 0;
	r->text.len = 0;
}

void reply_free(struct reply *r)
{
	str_free(&r->text);
	r->code = 0;
	r->lines = 0;
	r->done = 0;
}

int reply_class(const struct reply *r)
{
	return r->code / 100;
}

int reply_sanitize(struct str *out, const char *s, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && out->len < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e)
			c = '?';
		if (!str_append(out, (char)c))
			return 0;
	}
	return 1;
}

/* reply_fail - put the reason for a malformed reply into the text; -1 */
static int reply_fail(struct reply *r, const char *why)
{
	r->text.len = 0;
	(void)str_cats(&r->text, why);
	r->done = 1;
	if (r->code == 0 || r->code / 100 < 2 || r->code / 100 > 5)
		r->code = 0;
	return -1;
}

int reply_line(struct reply *r, const char *s, size_t n)
{
	int code, last;

	if (r->done)
		return reply_fail(r, "reply continues after its last line");
	if (n && s[n - 1] == '\r')
		n--;
	if (n > REPLY_LINE_MAX)
		return reply_fail(r, "reply line too long");
	if (++r->lines > REPLY_LINES_MAX)
		return reply_fail(r, "reply has too many lines");
	if (n < 3)
		return reply_fail(r, "reply line too short");
	if (s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9')
		return reply_fail(r, "reply line without a reply code");
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (r->code && code != r->code)
		return reply_fail(r, "reply code changes between lines");
	r->code = code;
	if (n == 3)
		last = 1;		/* "250" alone: RFC 5321 allows no text */
	else if (s[3] == ' ')
		last = 1;
	else if (s[3] == '-')
		last = 0;
	else
		return reply_fail(r, "reply line with a bad separator");
	if (r->text.len < REPLY_TEXT_MAX) {
		if (r->text.len && !str_append(&r->text, ' '))
			return reply_fail(r, "out of memory");
		if (!reply_sanitize(&r->text, s, n, REPLY_TEXT_MAX))
			return reply_fail(r, "out of memory");
	}
	r->done = last;
	return last;
}

/* word_is - 1 if s[0..n) equals the upper-case keyword w, ignoring case */
static int word_is(const char *s, size_t n, const char *w)
{
	size_t i;

	if (strlen(w) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c != w[i])
			return 0;
	}
	return 1;
}

void ehlo_line(struct ehlo *e, const char *s, size_t n)
{
	size_t i, j;
	const char *kw;
	size_t kwlen;

	if (n && s[n - 1] == '\r')
		n--;
	if (n < 5)
		return;
	s += 4;
	n -= 4;
	for (i = 0; i < n && s[i] != ' ' && s[i] != '='; i++)
		;
	kw = s;
	kwlen = i;
	if (word_is(kw, kwlen, "PIPELINING"))
		e->flags |= EHLO_PIPELINING;
	else if (word_is(kw, kwlen, "8BITMIME"))
		e->flags |= EHLO_8BITMIME;
	else if (word_is(kw, kwlen, "STARTTLS"))
		e->flags |= EHLO_STARTTLS;
	else if (word_is(kw, kwlen, "SMTPUTF8"))
		e->flags |= EHLO_SMTPUTF8;
	else if (word_is(kw, kwlen, "SIZE")) {
		unsigned long long u = 0;
		size_t used;
		e->flags |= EHLO_SIZE;
		while (i < n && s[i] == ' ')
			i++;
		used = scan_ulong(s + i, n - i, &u);
		e->size = used && u <= REPLY_SIZE_MAX ? u : 0;
	} else if (word_is(kw, kwlen, "AUTH")) {
		/* "AUTH PLAIN LOGIN" and the old "AUTH=LOGIN" form */
		while (i < n) {
			while (i < n && (s[i] == ' ' || s[i] == '='))
				i++;
			for (j = i; j < n && s[j] != ' '; j++)
				;
			if (word_is(s + i, j - i, "PLAIN"))
				e->flags |= EHLO_AUTHPLAIN;
			else if (word_is(s + i, j - i, "LOGIN"))
				e->flags |= EHLO_AUTHLOGIN;
			i = j;
		}
	}
}
