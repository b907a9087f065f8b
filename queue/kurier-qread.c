/*
 * kurier-qread - list the queue, one line per message and one per
 * recipient, as qmail-qread does (sendmail -bp prints the same):
 *   DATE  #ID  SIZE  <SENDER>
 *   	[done	]local|remote|todo	RCPT
 * DATE is when the message was queued (its envelope's t record, else the
 * message file's time), in UTC.  "todo" marks a recipient of a message
 * whose todo entry still exists: not taken in by kurier-send yet, or in
 * its first attempt, whose progress only kurier-send's memory holds;
 * "done" marks one that has been delivered or bounced.
 * runs as:  root or a member of group kurier; no arguments
 * trusts:   the queue files only as NUL-separated records (queue(5))
 * exit:     0 listed; 111 the queue could not be read
 * cost:     one process; reads each message's todo or info/local/remote
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "qfile.h"
#include "scan.h"

static char space[BUF_SIZE];
static struct buf out;

/* put - queue n bytes of x for stdout, escaping controls; dies on error */
static void put(const char *x, size_t n)
{
	struct str e = STR_INIT;

	if (!log_safe(&e, x, n)) die(EX_T_TEMP, "out of memory");
	if (buf_put(&out, e.s ? e.s : "", e.len) == -1) die(EX_T_TEMP, "unable to write output");
	str_free(&e);
}

/* puts_ - queue a C string for stdout as it is; dies on error */
static void puts_(const char *s)
{
	if (buf_puts(&out, s) == -1) die(EX_T_TEMP, "unable to write output");
}

/* put_date - "24 Nov 2026 11:38:24 GMT" for t */
static void put_date(time_t t)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char b[FMT_ULONG * 3 + 32];
	struct tm tm;
	size_t n = 0;

	if (!gmtime_r(&t, &tm)) { t = 0; gmtime_r(&t, &tm); }
	n += fmt_ulong(b + n, (unsigned long long)tm.tm_mday); b[n++] = ' ';
	memcpy(b + n, months[tm.tm_mon % 12], 3); n += 3; b[n++] = ' ';
	n += fmt_ulong(b + n, (unsigned long long)(tm.tm_year + 1900)); b[n++] = ' ';
	b[n++] = (char)('0' + tm.tm_hour / 10); b[n++] = (char)('0' + tm.tm_hour % 10); b[n++] = ':';
	b[n++] = (char)('0' + tm.tm_min / 10); b[n++] = (char)('0' + tm.tm_min % 10); b[n++] = ':';
	b[n++] = (char)('0' + tm.tm_sec / 10); b[n++] = (char)('0' + tm.tm_sec % 10);
	memcpy(b + n, " GMT", 5);
	puts_(b);
}

/* record - the value of the first record of type c in f (NUL-separated), or 0 */
static const char *record(const struct str *f, char c)
{
	size_t i;

	for (i = 0; i < f->len; i += strlen(f->s + i) + 1)
		if (f->s[i] == c) return f->s + i + 1;
	return 0;
}

/* rcpts - one line per T/D record of f, marked with where */
static void rcpts(const struct str *f, const char *where)
{
	size_t i;

	for (i = 0; i < f->len; i += strlen(f->s + i) + 1) {
		const char *r = f->s + i;
		if (*r != 'T' && *r != 'D') continue;
		puts_("\t");
		if (*r == 'D') puts_("done\t");
		puts_(where);
		puts_("\t");
		put(r + 1, strlen(r + 1));
		puts_("\n");
	}
}

/* read_or_die - qfile_read of dir/S/id into f; 1 read, 0 missing */
static int read_or_die(const char *dir, unsigned long long id, struct str *f)
{
	struct str p = STR_INIT;
	int r;

	if (!qfile_path(&p, dir, id)) die(EX_T_TEMP, "out of memory");
	r = qfile_read(p.s, f);
	if (r < 0) die(EX_T_TEMP, "unable to read", p.s);
	str_free(&p);
	return r;
}

int main(void)
{
	struct str f = STR_INIT, p = STR_INIT, l = STR_INIT;
	unsigned long long *ids;
	long n, i;

	log_prog("kurier-qread");
	buf_init(&out, buf_unixwrite, 1, space, sizeof space);
	if (qfile_chdir() == -1) die(EX_T_TEMP, "unable to chdir to the queue");
	n = qfile_ids("mess", &ids);
	if (n < 0) die(EX_T_TEMP, "unable to read queue/mess");
	for (i = 0; i < n; i++) {
		unsigned long long id = ids[i], t;
		struct stat st;
		const char *sender, *tr;
		int todo;

		if (!qfile_path(&p, "mess", id)) die(EX_T_TEMP, "out of memory");
		if (stat(p.s, &st) == -1) continue;	/* gone meanwhile */
		todo = read_or_die("todo", id, &f);
		if (!todo && !read_or_die("info", id, &f)) continue;	/* not committed, or being removed */
		tr = record(&f, 't');
		put_date(tr && scan_ulongs(tr, &t) ? (time_t)t : st.st_mtime);
		puts_("  #");
		if (buf_putu(&out, id) == -1) die(EX_T_TEMP, "unable to write output");
		puts_("  ");
		if (buf_putu(&out, (unsigned long long)st.st_size) == -1) die(EX_T_TEMP, "unable to write output");
		puts_("  <");
		sender = record(&f, 'F');
		if (sender) put(sender, strlen(sender));
		puts_("> \n");
		if (todo) {
			rcpts(&f, "todo");
			continue;
		}
		if (read_or_die("local", id, &l)) rcpts(&l, "local");
		if (read_or_die("remote", id, &l)) rcpts(&l, "remote");
	}
	if (buf_flush(&out) == -1) die(EX_T_TEMP, "unable to write output");
	free(ids);
	return EX_T_OK;
}
