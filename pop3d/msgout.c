/*
 * msgout.c - CRLF line ends, dot-stuffing and TOP for stored messages.
 * runs as:  inside kurier-pop3d (the user)
 * trusts:   nothing about the message bytes: any length, NUL, bare CR/LF
 * exit:     never
 */
#include <string.h>
#include "msgout.h"

void msgout_init(struct msgout *m, int top, unsigned long lines)
{
	memset(m, 0, sizeof *m);
	m->bol = 1;
	m->inhdr = 1;
	m->top = top;
	m->lines = lines;
}

/* line_end - account for a finished line: the header's end, TOP's count */
static void line_end(struct msgout *m, size_t len)
{
	/* the line held len bytes before its LF; "" and "\r" are both empty */
	int empty = len == 0 || (len == 1 && m->cr);

	if (m->inhdr) {
		if (empty) {
			m->inhdr = 0;
			if (m->top && m->lines == 0)
				m->done = 1;
		}
		return;
	}
	if (m->top && --m->lines == 0)
		m->done = 1;
}

int msgout_put(struct msgout *m, const char *s, size_t n, struct str *out)
{
	size_t i, run;

	/* room for the worst case: every byte a dotted line or a bare LF */
	if (!str_readyplus(out, n < ((size_t)-1) / 2 - 8 ? 2 * n + 8 : n))
		return 0;
	i = 0;
	while (i < n && !m->done) {
		if (m->bol && s[i] == '.' && !str_append(out, '.'))
			return 0;
		/* copy the rest of the line in one piece */
		{
			const char *lf = memchr(s + i, '\n', n - i);
			run = lf ? (size_t)(lf - (s + i)) : n - i;
		}
		if (run) {
			if (!str_catb(out, s + i, run))
				return 0;
			m->cr = s[i + run - 1] == '\r';
			m->linelen += run;
			m->size += run;
			m->bol = 0;
			i += run;
		}
		if (i < n) {
			/* s[i] is the LF */
			if (!m->cr) {
				if (!str_append(out, '\r'))
					return 0;
				m->size++;
			}
			if (!str_append(out, '\n'))
				return 0;
			m->size++;
			line_end(m, m->linelen);
			m->linelen = 0;
			m->cr = 0;
			m->bol = 1;
			i++;
		}
	}
	return 1;
}

int msgout_end(struct msgout *m, struct str *out)
{
	if (!m->bol && !m->done) {
		if (!str_cats(out, m->cr ? "\n" : "\r\n"))
			return 0;
		m->size += m->cr ? 1 : 2;
		m->bol = 1;
	}
	return str_cats(out, ".\r\n");
}

int msgout_done(const struct msgout *m)
{
	return m->done;
}

void msgsize_put(struct msgout *m, const char *s, size_t n)
{
	size_t i;

	if (!n)
		return;
	m->size += n;
	/* a LF at the very start of this piece follows the last byte of the previous one */
	if (s[0] == '\n' && !m->cr)
		m->size++;
	for (i = 1; i < n; i++)
		if (s[i] == '\n' && s[i - 1] != '\r')
			m->size++;
	m->cr = s[n - 1] == '\r';
	m->bol = s[n - 1] == '\n';
}

unsigned long long msgsize_end(struct msgout *m)
{
	if (!m->bol && m->size)
		return m->size + (m->cr ? 1 : 2);
	return m->size;
}
