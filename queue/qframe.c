/*
 * qframe.c - the frame parser of kurier-queue's session mode; see
 * qframe.h.  Headers are parsed a byte at a time, so a header split
 * across any number of reads parses the same as one read; a frame's
 * bytes are handed on in whole pieces, the envelope's through the
 * envelope parser first.
 */
#include "qframe.h"

/* head - parse header bytes of x[0..n); QFRAME_MORE with *used the bytes
 * taken (the header's LF included once it is complete, f->inbody then
 * set), or QFRAME_FORMAT at the offending byte */
static enum qframe_event head(struct qframe *f, const char *x, size_t n, size_t *used)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)x[i];

		if (!f->type) {
			/* the envelope's frames end the message: no message bytes after them */
			if (c == 'E' || (c == 'M' && f->part != 2)) {
				f->type = (char)c;
				f->digits = 0;
				f->left = 0;
				continue;
			}
			*used = i;
			return QFRAME_FORMAT;
		}
		if (c >= '0' && c <= '9') {
			/* no leading zero, and no empty frame: a writer never needs one */
			if ((f->digits == 0 && c == '0') || ++f->digits > QFRAME_DIGITS) {
				*used = i;
				return QFRAME_FORMAT;
			}
			f->left = f->left * 10 + (c - '0');
			if (f->left > QFRAME_MAX) {
				*used = i;
				return QFRAME_FORMAT;
			}
			continue;
		}
		if (c != '\n' || !f->digits) {
			*used = i;
			return QFRAME_FORMAT;
		}
		f->inbody = 1;
		f->part = f->type == 'M' ? 1 : 2;
		*used = i + 1;
		return QFRAME_MORE;
	}
	*used = n;
	return QFRAME_MORE;
}

enum qframe_event qframe_feed(struct qframe *f, const char *x, size_t n, size_t *used,
    const char **data, size_t *len)
{
	size_t h = 0, k, u;
	enum qframe_event ev;

	*data = x;
	*len = 0;
	if (!f->inbody) {
		ev = head(f, x, n, &h);
		if (ev != QFRAME_MORE || !f->inbody || h == n) {
			*used = h;
			return ev;
		}
		x += h;
		n -= h;
	}
	k = n < f->left ? n : f->left;
	*data = x;
	if (f->type == 'M') {
		f->left -= k;
		if (!f->left)
			f->inbody = f->type = 0;
		*used = h + k;
		*len = k;
		return QFRAME_MESSAGE;
	}
	switch (env_feed(&f->env, x, k, &u)) {
	case ENV_MORE:
		f->left -= k;
		if (!f->left)
			f->inbody = f->type = 0;
		*used = h + k;
		*len = k;
		return QFRAME_ENVELOPE;
	case ENV_DONE:
		/* the final NUL must be the frame's last byte */
		if (u != f->left)
			break;
		f->inbody = f->type = 0;
		f->left = 0;
		f->part = 0;
		f->env = (struct env_parser)ENV_PARSER_INIT;
		*used = h + u;
		*len = u - 1;
		return QFRAME_END;
	case ENV_TOOLONG:
		*used = h + u;
		return QFRAME_TOOLONG;
	case ENV_TOOMANY:
		*used = h + u;
		return QFRAME_TOOMANY;
	case ENV_FORMAT:
		*used = h + u;
		return QFRAME_FORMAT;
	}
	*used = h + u;
	return QFRAME_FORMAT;
}

int qframe_idle(const struct qframe *f)
{
	return !f->inbody && !f->type && !f->part;
}
