/*
 * buf.c - buffered I/O; see buf.h.
 * Read buffers hold x[p .. len); write buffers hold x[0 .. len) pending.
 * Writes loop until every byte is out, since short writes are normal on
 * pipes and sockets.  A refill makes exactly one op call.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"

ssize_t buf_unixread(int fd, void *x, size_t n)
{
	ssize_t r;

	do
		r = read(fd, x, n);
	while (r == -1 && errno == EINTR);
	return r;
}

ssize_t buf_unixwrite(int fd, void *x, size_t n)
{
	ssize_t r;

	do
		r = write(fd, x, n);
	while (r == -1 && errno == EINTR);
	return r;
}

void buf_init(struct buf *b, buf_op op, int fd, char *x, size_t n)
{
	b->x = x;
	b->size = n;
	b->p = 0;
	b->len = 0;
	b->fd = fd;
	b->op = op;
}

size_t buf_held(const struct buf *b)
{
	return b->len - b->p;
}

ssize_t buf_feed(struct buf *b)
{
	ssize_t r;

	if (b->p < b->len)
		return (ssize_t)(b->len - b->p);
	r = b->op(b->fd, b->x, b->size);
	if (r <= 0)
		return r;
	b->p = 0;
	b->len = (size_t)r;
	return r;
}

char *buf_peek(struct buf *b, size_t *len)
{
	*len = b->len - b->p;
	return b->x + b->p;
}

void buf_seek(struct buf *b, size_t n)
{
	if (n > b->len - b->p)
		n = b->len - b->p;
	b->p += n;
}

ssize_t buf_get(struct buf *b, char *out, size_t n)
{
	ssize_t r;
	size_t have;

	if (!n)
		return 0;
	if (b->p == b->len && n >= b->size)
		return b->op(b->fd, out, n);	/* large read: skip the copy */
	r = buf_feed(b);
	if (r <= 0)
		return r;
	have = b->len - b->p;
	if (n > have)
		n = have;
	memcpy(out, b->x + b->p, n);
	b->p += n;
	return (ssize_t)n;
}

int buf_getline(struct buf *b, struct str *line, char sep)
{
	for (;;) {
		ssize_t r = buf_feed(b);
		size_t have, take, room;
		char *start, *end;

		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		start = b->x + b->p;
		have = b->len - b->p;
		end = memchr(start, sep, have);
		take = end ? (size_t)(end - start) + 1 : have;
		if (line->max) {
			room = line->max - (line->len < line->max ? line->len : line->max);
			if (take > room) {
				if (!str_catb(line, start, room))
					return -1;
				b->p += room;
				errno = E2BIG;
				return -1;
			}
		}
		if (!str_catb(line, start, take))
			return -1;
		b->p += take;
		if (end)
			return 1;
	}
}

int buf_flush(struct buf *b)
{
	size_t done = 0;

	while (done < b->len) {
		ssize_t w = b->op(b->fd, b->x + done, b->len - done);
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)w;
	}
	b->len = 0;
	return 1;
}

int buf_put(struct buf *b, const char *x, size_t n)
{
	while (n) {
		size_t room = b->size - b->len;
		if (!room) {
			if (buf_flush(b) < 0)
				return -1;
			room = b->size;
		}
		if (n >= b->size && b->len == 0) {
			/* bigger than the buffer: write it through directly */
			while (n) {
				ssize_t w = b->op(b->fd, (char *)x, n);
				if (w < 0)
					return -1;
				if (w == 0) {
					errno = EIO;
					return -1;
				}
				x += w;
				n -= (size_t)w;
			}
			return 1;
		}
		if (room > n)
			room = n;
		memcpy(b->x + b->len, x, room);
		b->len += room;
		x += room;
		n -= room;
	}
	return 1;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int buf_putu(struct buf *b, unsigned long long u)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	return buf_put(b, tmp + i, sizeof tmp - i);
}

int buf_putflush(struct buf *b, const char *x, size_t n)
{
	if (buf_put(b, x, n) < 0)
		return -1;
	return buf_flush(b);
}
