/*
 * log.c - escaped one-line logging; see log.h.
 * A line is built in memory first and written with one write(2), so
 * lines from concurrent processes sharing a pipe never interleave (pipe
 * writes up to PIPE_BUF are atomic).  Memory failure degrades to a fixed
 * message rather than silence.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"

#define LOG_LINE_MAX 4000	/* below PIPE_BUF (4096) so a write is atomic */

static const char *prog = "kurier";
static int logfd = 2;

void log_prog(const char *name)
{
	const char *slash = strrchr(name, '/');

	prog = slash ? slash + 1 : name;
}

void log_fd(int fd)
{
	logfd = fd;
}

int log_safe(struct str *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (!str_append(out, (char)c))
				return 0;
		} else {
			char esc[4];
			esc[0] = '\\';
			esc[1] = (char)('0' + (c >> 6));
			esc[2] = (char)('0' + ((c >> 3) & 7));
			esc[3] = (char)('0' + (c & 7));
			if (!str_catb(out, esc, 4))
				return 0;
		}
	}
	return 1;
}

static void log_vwrite(const char *level, int e, const char *first, va_list ap)
{
	struct str line = STR_INIT;
	const char *part;
	size_t done = 0;
	int ok;

	line.max = LOG_LINE_MAX;
	ok = str_cats(&line, prog) && str_cats(&line, ": ") &&
	     str_cats(&line, level) && str_cats(&line, ": ");
	for (part = first; ok && part; part = va_arg(ap, const char *))
		ok = log_safe(&line, part, strlen(part));
	if (ok && e >= 0)
		ok = str_cats(&line, ": ") && str_cats(&line, strerror(e));
	if (!ok) {
		/* too long or no memory: keep what fits, mark the cut */
		if (line.s && line.len + 5 > LOG_LINE_MAX)
			str_truncate(&line, LOG_LINE_MAX - 5);
		if (!line.s || !str_cats(&line, "...")) {
			const char *m = "kurier: log: line lost\n";
			(void)!write(logfd, m, strlen(m));
			str_free(&line);
			return;
		}
	}
	(void)str_append(&line, '\n');
	while (done < line.len) {
		ssize_t w = write(logfd, line.s + done, line.len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	str_free(&line);
}

void log_write(const char *level, int e, const char *first, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, first);
	log_vwrite(level, e, first, ap);
	va_end(ap);
	errno = saved;
}

void log_die(int code, int e, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	log_vwrite("fatal", e, first, ap);
	va_end(ap);
	_exit(code);
}
