/*
 * kurier-cdb - look into, dump and build cdb files.
 * runs as:  anyone
 * usage:    kurier-cdb get KEY FILE   the data of KEY's first record on stdout
 *           kurier-cdb dump FILE      every record in tinycdb's "cdb -d" form
 *           kurier-cdb make FILE      build FILE from "cdb -c" input on stdin
 * formats:  a record is "+KLEN,DLEN:KEY->DATA\n"; a dump ends with one
 *           empty line, and make requires it (bytes after it are ignored),
 *           exactly as tinycdb's cdb(1) writes and reads them, so the
 *           output of either tool is input for the other.  make writes
 *           records in input order through libcdb, which gives the same
 *           bytes as "cdb -c"; the file is written as FILE.tmp, fsynced
 *           and renamed (lib/cdbx).
 * trusts:   nothing: corrupt cdb offsets are checked by libcdb, and make's
 *           input lengths are read as the bytes arrive, never allocated
 *           on a claim.
 * exit:     0 done; 1 get: no such key; 100 bad usage or bad input;
 *           111 system failure (unreadable, corrupt or unwritable file).
 */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "cdbx.h"
#include "exitcode.h"
#include "log.h"
#include "str.h"

/* a cdb file holds at most 4 GiB, so neither length can pass 2^32-1 */
#define KC_LEN_MAX 0xffffffffULL
/* digits of 4294967295 */
#define KC_DIGITS_MAX 10

static char outspace[65536], inspace[65536];
static struct buf out, in;

/* usage - print the command line and exit 100 */
static void usage(void)
{
	diex(EX_T_USAGE, "usage: kurier-cdb get KEY FILE | dump FILE | make FILE");
}

/* die_write - stdout failed */
static void die_write(void)
{
	die(EX_T_TEMP, "cannot write to standard output");
}

/* open_cdb - open and map path; dies when it cannot */
static int open_cdb(const char *path, struct cdb *c)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		die(EX_T_TEMP, "cannot open ", path);
	if (cdb_init(c, fd) != 0) {
		if (!errno)
			errno = EPROTO;
		die(EX_T_TEMP, "cannot read ", path);
	}
	return fd;
}

/* do_get - print the data of the first record with key; exit code */
static int do_get(const char *key, const char *path)
{
	struct cdb c;
	const void *d;
	int r;

	open_cdb(path, &c);
	r = cdb_find(&c, key, (unsigned)strlen(key));
	if (r < 0) {
		errno = EPROTO;
		die(EX_T_TEMP, "cannot read ", path);
	}
	if (r == 0)
		return EX_T_FAIL;
	d = cdb_get(&c, cdb_datalen(&c), cdb_datapos(&c));
	if (!d) {
		errno = EPROTO;
		die(EX_T_TEMP, "cannot read ", path);
	}
	if (buf_put(&out, d, cdb_datalen(&c)) < 0 || buf_flush(&out) < 0)
		die_write();
	return EX_T_OK;
}

/* do_dump - print every record in file order, then an empty line; exit code */
static int do_dump(const char *path)
{
	struct cdb c;
	unsigned pos;
	int r;

	open_cdb(path, &c);
	cdb_seqinit(&pos, &c);
	while ((r = cdb_seqnext(&pos, &c)) > 0) {
		const void *k = cdb_get(&c, cdb_keylen(&c), cdb_keypos(&c));
		const void *d = cdb_get(&c, cdb_datalen(&c), cdb_datapos(&c));
		/* libcdb 0.78 lets klen + dlen wrap around, so the next position
		 * could fall back or stand still: a record that does not fit in
		 * the file ends the walk as corrupt */
		if (!k || !d)
			break;
		if (buf_put(&out, "+", 1) < 0 || buf_putu(&out, cdb_keylen(&c)) < 0 ||
		    buf_put(&out, ",", 1) < 0 || buf_putu(&out, cdb_datalen(&c)) < 0 ||
		    buf_put(&out, ":", 1) < 0 || buf_put(&out, k, cdb_keylen(&c)) < 0 ||
		    buf_put(&out, "->", 2) < 0 || buf_put(&out, d, cdb_datalen(&c)) < 0 ||
		    buf_put(&out, "\n", 1) < 0)
			die_write();
	}
	if (buf_flush(&out) < 0)
		die_write();
	if (r != 0) {
		errno = EPROTO;
		die(EX_T_TEMP, "cannot read ", path);
	}
	if (buf_putflush(&out, "\n", 1) < 0)
		die_write();
	return EX_T_OK;
}

static unsigned long long record;	/* for messages: the record being read */
static struct cdbx_make mk;
static int making;

/* die_input - bad make input: remove the temporary, exit 100 */
static void die_input(const char *why)
{
	char num[24];
	size_t i = sizeof num;
	unsigned long long r = record;

	if (making)
		cdbx_make_abort(&mk);
	num[--i] = 0;
	do
		num[--i] = (char)('0' + r % 10);
	while ((r /= 10) && i);
	diex(EX_T_USAGE, "standard input: record ", num + i, ": ", why);
}

/* getc1 - the next input byte; dies at EOF (what is the missing part) */
static char getc1(const char *what)
{
	char c;
	ssize_t r = buf_get(&in, &c, 1);

	if (r < 0) {
		if (making)
			cdbx_make_abort(&mk);
		die(EX_T_TEMP, "cannot read standard input");
	}
	if (r == 0)
		die_input(what);
	return c;
}

/* getnum - decimal digits up to the byte end; the number */
static unsigned long long getnum(char end)
{
	unsigned long long u = 0;
	unsigned digits = 0;
	char c;

	while ((c = getc1("unexpected end of input")) != end) {
		if (c < '0' || c > '9' || ++digits > KC_DIGITS_MAX + 10)
			die_input("bad length");
		u = u * 10 + (unsigned)(c - '0');
		if (u > KC_LEN_MAX)
			die_input("length larger than a cdb can hold");
	}
	if (!digits)
		die_input("missing length");
	return u;
}

/* getbytes - exactly n input bytes into s (grown as they arrive) */
static void getbytes(struct str *s, unsigned long long n)
{
	s->len = 0;
	while (n) {
		size_t want = n > sizeof inspace ? sizeof inspace : (size_t)n;
		ssize_t r;
		if (!str_readyplus(s, want)) {
			cdbx_make_abort(&mk);
			diex(EX_T_TEMP, "out of memory");
		}
		r = buf_get(&in, s->s + s->len, want);
		if (r < 0) {
			cdbx_make_abort(&mk);
			die(EX_T_TEMP, "cannot read standard input");
		}
		if (r == 0)
			die_input("unexpected end of input");
		s->len += (size_t)r;
		n -= (unsigned long long)r;
	}
}

/* do_make - build path from cdbmake records on stdin; exit code */
static int do_make(const char *path)
{
	struct str k = STR_INIT, d = STR_INIT;

	if (cdbx_make_start(&mk, path, 0644) < 0)
		die(EX_T_TEMP, "cannot create ", path, ".tmp");
	making = 1;
	for (;;) {
		unsigned long long kl, dl;
		char c;

		record++;
		c = getc1("missing the empty line that ends the input");
		if (c == '\n')
			break;
		if (c != '+')
			die_input("record does not start with '+'");
		kl = getnum(',');
		dl = getnum(':');
		getbytes(&k, kl);
		if (getc1("unexpected end of input") != '-' || getc1("unexpected end of input") != '>')
			die_input("missing '->' after the key");
		getbytes(&d, dl);
		if (getc1("unexpected end of input") != '\n')
			die_input("missing newline after the data");
		if (cdbx_make_add(&mk, k.s, k.len, d.s, d.len) < 0) {
			int e = errno;
			cdbx_make_abort(&mk);
			errno = e;
			die(EX_T_TEMP, "cannot write ", path, ".tmp");
		}
	}
	making = 0;
	if (cdbx_make_finish(&mk) < 0)
		die(EX_T_TEMP, "cannot write ", path);
	str_free(&k);
	str_free(&d);
	return EX_T_OK;
}

int main(int argc, char **argv)
{
	log_prog("kurier-cdb");
	buf_init(&out, buf_unixwrite, 1, outspace, sizeof outspace);
	buf_init(&in, buf_unixread, 0, inspace, sizeof inspace);
	if (argc == 4 && strcmp(argv[1], "get") == 0)
		return do_get(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "dump") == 0)
		return do_dump(argv[2]);
	if (argc == 3 && strcmp(argv[1], "make") == 0)
		return do_make(argv[2]);
	usage();
	return EX_T_USAGE;
}
