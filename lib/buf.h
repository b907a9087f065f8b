/*
 * buf - buffered descriptor I/O with a pluggable read/write function.
 * The op has read(2)/write(2)'s shape, so tests can hand a buffer bytes
 * one at a time, or in any pieces they like, and servers can put a
 * timeout in front of every read.  Functions return 1 (or a count) on
 * success, 0 at end of file where that makes sense, and -1 with errno set.
 */
#ifndef KURIER_BUF_H
#define KURIER_BUF_H

#include <stddef.h>
#include <sys/types.h>
#include "str.h"

typedef ssize_t (*buf_op)(int fd, void *b, size_t n);

struct buf {
	char *x;	/* the storage */
	size_t size;	/* its size */
	size_t p;	/* read: first unread byte; write: unused (0) */
	size_t len;	/* read: end of held bytes; write: bytes pending */
	int fd;
	buf_op op;
};

#define BUF_SIZE 8192	/* a page pair: large enough that syscalls are few */

/* buf_init - set up b over fd with op and the storage x of size n */
void buf_init(struct buf *b, buf_op op, int fd, char *x, size_t n);

/* buf_get - read up to n bytes; count, 0 at EOF, -1 on error */
ssize_t buf_get(struct buf *b, char *out, size_t n);
/* buf_feed - refill an empty buffer; count, 0 at EOF, -1 on error */
ssize_t buf_feed(struct buf *b);
/* buf_peek - the unread bytes held; their count in *len */
char *buf_peek(struct buf *b, size_t *len);
/* buf_seek - consume n held bytes (n <= held) */
void buf_seek(struct buf *b, size_t n);
/* buf_held - how many unread bytes are held */
size_t buf_held(const struct buf *b);
/*
 * buf_getline - append bytes up to and including sep to line.
 * Returns 1 when sep was seen, 0 at EOF (line holds any partial tail),
 * -1 on error; errno E2BIG when line->max is reached first, in which case
 * line holds exactly max bytes and the rest of the line is still unread.
 */
int buf_getline(struct buf *b, struct str *line, char sep);

/* buf_put - queue n bytes for writing; 1 ok, -1 on error */
int buf_put(struct buf *b, const char *x, size_t n);
/* buf_puts - queue a C string; 1 ok, -1 on error */
int buf_puts(struct buf *b, const char *s);
/* buf_putu - queue an unsigned decimal number; 1 ok, -1 on error */
int buf_putu(struct buf *b, unsigned long long u);
/* buf_flush - write out everything pending; 1 ok, -1 on error */
int buf_flush(struct buf *b);
/* buf_putflush - buf_put then buf_flush; 1 ok, -1 on error */
int buf_putflush(struct buf *b, const char *x, size_t n);

/* the unistd read and write, retried on EINTR */
ssize_t buf_unixread(int fd, void *x, size_t n);
ssize_t buf_unixwrite(int fd, void *x, size_t n);

#endif
