/*
 * kurier-pop3d - the POP3 transaction and update states (RFC 1939) over
 * one maildir, after kurier-pop3-login and the checkpw chain.
 * runs as:  the mailbox's user (never root), started by the checkpw
 *           helper with the client on fd 0/1 and log lines on fd 2.
 * input:    the maildir: argument 1, else $MAILDIR, else $HOME/Maildir.
 * trusts:   its environment and the maildir (the user's own); nothing the
 *           client sends.
 * cost:     one process per session; at login a readdir of new/ and
 *           cur/, a rename per new message, one read of the size cache
 *           (rewritten only when it changed); RETR reads the file once.
 * exit:     0 when a session took place (QUIT, disconnect, timeout, too
 *           many errors); 1 (EX_PW_BAD) when run as root, so that the
 *           login counts it as a failed login; 111 (EX_T_TEMP) when it
 *           cannot start (no maildir, no memory) - nothing has been sent
 *           to the client then, and kurier-pop3-login reports it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "md5.h"
#include "msgout.h"
#include "pop3.h"
#include "pop3cmd.h"
#include "pop3parse.h"
#include "sandbox.h"
#include "scan.h"
#include "snapshot.h"
#include "str.h"

#define OUT_SIZE 65536		/* big writes for RETR */
#define FILE_CHUNK 65536	/* bytes per read(2) of a message */
#define UIDL_MAX 70		/* RFC 1939 §7: a unique-id is 1 to 70 octets of 0x21-0x7E */

static struct buf in, out;
static char inspace[BUF_SIZE], outspace[OUT_SIZE];
static int timeout = POP3_TIMEOUT_SESSION;
static struct snapshot snap;
static struct str line, conv;
static int errors;
static const char *who = "";
static int pendfd = -1;		/* KURIER_POP3_PENDING: commands read ahead by kurier-pop3-login */

/* die_nomem - say so and leave */
static void die_nomem(void) __attribute__((noreturn));
static void die_nomem(void)
{
	(void)buf_puts(&out, "-ERR [SYS/TEMP] out of memory\r\n");
	(void)buf_flush(&out);
	diex(0, "out of memory");
}

/* safewrite - write to the client; leave quietly if it has gone */
static ssize_t safewrite(int fd, void *x, size_t n)
{
	ssize_t r = buf_unixwrite(fd, x, n);

	if (r <= 0)
		_exit(0);
	return r;
}

/* say - queue text for the client */
static void say(const char *s)
{
	(void)buf_puts(&out, s);
}

/* sayu - queue a number */
static void sayu(unsigned long long u)
{
	(void)buf_putu(&out, u);
}

/* saferead - flush replies, then wait for the client at most timeout seconds */
static ssize_t saferead(int fd, void *x, size_t n)
{
	struct pollfd p;
	ssize_t r;
	int e;

	/* first the commands the client sent ahead of the login reply */
	while (pendfd >= 0) {
		r = read(pendfd, x, n);
		if (r > 0)
			return r;
		if (r < 0 && errno == EINTR)
			continue;
		close(pendfd);
		pendfd = -1;
	}
	(void)buf_flush(&out);
	p.fd = fd;
	p.events = POLLIN;
	do
		e = poll(&p, 1, timeout * 1000);
	while (e == -1 && errno == EINTR);
	if (e == 0) {
		say("-ERR autologout: idle too long\r\n");
		(void)buf_flush(&out);
		log_info("timeout: ", who);
		_exit(0);
	}
	r = buf_unixread(fd, x, n);
	if (r <= 0)
		_exit(0);
	return r;
}

/* bad - answer -ERR text and count an error; hang up after POP3_ERRORS_SESSION */
static void bad(const char *text)
{
	say("-ERR ");
	say(text);
	say("\r\n");
	if (++errors >= POP3_ERRORS_SESSION) {
		say("-ERR too many errors, closing connection\r\n");
		(void)buf_flush(&out);
		log_info("too many errors: ", who);
		_exit(0);
	}
}

/* ready - build the message list if only its summary was read; leaves if the cache is damaged */
static void ready(void)
{
	if (snapshot_ready(&snap) == 1)
		return;
	log_warn("size cache damaged, session ended: ", who);
	say("-ERR [SYS/TEMP] the mailbox index is damaged; please log in again\r\n");
	(void)buf_flush(&out);
	unlink(SNAPSHOT_CACHE);
	_exit(0);
}

/* msgarg - the message named by argument k of c, 0-based in *i; 1 ok, 0 bad (answered) */
static int msgarg(const struct pop3_cmd *c, unsigned k, size_t *i)
{
	unsigned long u;

	ready();
	if (!pop3_number(c->arg[k], c->arglen[k], &u) || u == 0) {
		bad("bad message number");
		return 0;
	}
	if (u > snap.n) {
		bad("no such message");
		return 0;
	}
	if (snap.m[u - 1].deleted) {
		bad("message is deleted");
		return 0;
	}
	*i = u - 1;
	return 1;
}

/* uidl - the unique-id of message i: its unique name, or a digest of it when that does not fit RFC 1939 */
static void uidl(size_t i)
{
	size_t n, k;
	const char *u = snapshot_uid(&snap, i, &n);
	int fits = n > 0 && n <= UIDL_MAX;

	for (k = 0; fits && k < n; k++)
		if ((unsigned char)u[k] < 0x21 || (unsigned char)u[k] > 0x7e)
			fits = 0;
	if (fits) {
		(void)buf_put(&out, u, n);
		return;
	}
	{
		struct md5 m;
		unsigned char d[MD5_DIGEST];
		char hex[2 * MD5_DIGEST];
		md5_init(&m);
		md5_update(&m, u, n);
		md5_final(&m, d);
		fmt_hex(hex, d, sizeof d);
		say("X");
		(void)buf_put(&out, hex, sizeof hex);
	}
}

/* cmd_stat - STAT: count and size of the messages not deleted */
static void cmd_stat(void)
{
	unsigned long long n = 0, total = 0;
	size_t i;

	if (snap.lazy) {
		/* nothing can be deleted before the list is built */
		n = snap.n;
		total = snap.total;
	}
	for (i = 0; !snap.lazy && i < snap.n; i++)
		if (!snap.m[i].deleted) {
			n++;
			total += snap.m[i].size;
		}
	say("+OK ");
	sayu(n);
	say(" ");
	sayu(total);
	say("\r\n");
}

/* cmd_list - LIST and UIDL, one message or all */
static void cmd_list(const struct pop3_cmd *c, int unique)
{
	size_t i;

	if (c->nargs > 1) {
		bad("too many arguments");
		return;
	}
	if (c->nargs == 1) {
		if (!msgarg(c, 0, &i))
			return;
		say("+OK ");
		sayu(i + 1);
		say(" ");
		if (unique)
			uidl(i);
		else
			sayu(snap.m[i].size);
		say("\r\n");
		return;
	}
	ready();
	say(unique ? "+OK unique-id listing follows\r\n" : "+OK scan listing follows\r\n");
	for (i = 0; i < snap.n; i++) {
		if (snap.m[i].deleted)
			continue;
		sayu(i + 1);
		say(" ");
		if (unique)
			uidl(i);
		else
			sayu(snap.m[i].size);
		say("\r\n");
	}
	say(".\r\n");
}

/* open_msg - open message i, following a rename by another client; fd, or -1 (answered) */
static int open_msg(size_t i)
{
	int fd, r;

	for (;;) {
		fd = open(snapshot_name(&snap, i), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT)
			break;
		r = snapshot_refind(&snap, i);
		if (r == 0) {
			say("-ERR [SYS/PERM] message has been removed by another client\r\n");
			return -1;
		}
		if (r < 0)
			break;
	}
	log_warn("cannot open ", snapshot_name(&snap, i));
	say("-ERR [SYS/TEMP] cannot read the message\r\n");
	return -1;
}

/* cmd_retr - RETR n, or TOP n lines: the message converted for POP3 */
static void cmd_retr(const struct pop3_cmd *c, int top)
{
	static char b[FILE_CHUNK];
	struct msgout m;
	unsigned long lines = 0;
	size_t i;
	int fd;

	if (c->nargs != (top ? 2u : 1u)) {
		bad(top ? "usage: TOP msg lines" : "usage: RETR msg");
		return;
	}
	if (!msgarg(c, 0, &i))
		return;
	if (top && !pop3_number(c->arg[1], c->arglen[1], &lines)) {
		bad("bad line count");
		return;
	}
	fd = open_msg(i);
	if (fd < 0)
		return;
	say("+OK ");
	sayu(snap.m[i].size);
	say(" octets\r\n");
	msgout_init(&m, top, lines);
	for (;;) {
		ssize_t r = read(fd, b, sizeof b);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* the +OK is out: all we can do is end the connection */
			log_warn("cannot read ", snapshot_name(&snap, i));
			(void)buf_flush(&out);
			_exit(0);
		}
		if (r == 0)
			break;
		conv.len = 0;
		if (!msgout_put(&m, b, (size_t)r, &conv))
			die_nomem();
		(void)buf_put(&out, conv.s, conv.len);
		/* a short read of a regular file is its end: no signal handler can cut it */
		if (msgout_done(&m) || (size_t)r < sizeof b)
			break;
	}
	close(fd);
	conv.len = 0;
	if (!msgout_end(&m, &conv))
		die_nomem();
	(void)buf_put(&out, conv.s, conv.len);
}

/* quota_sub - note removed messages in the Maildir++ maildirsize, if there is one */
static void quota_sub(unsigned long long bytes, unsigned long long count)
{
	struct str l = STR_INIT;
	int fd;

	if (!count)
		return;
	fd = open("maildirsize", O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return;	/* no quota kept: nothing to do */
	/* "-bytes -count", one write, like the deliveries' "+size 1" lines */
	if (str_cats(&l, "-") && str_catu(&l, bytes) && str_cats(&l, " -") && str_catu(&l, count) &&
	    str_cats(&l, "\n") && write(fd, l.s, l.len) != (ssize_t)l.len)
		log_warn("cannot update maildirsize: ", who);
	close(fd);
	str_free(&l);
}

/* update - the UPDATE state (RFC 1939 §6): remove what was deleted; 1 all gone, 0 some left */
static int update(void)
{
	unsigned long long bytes = 0, count = 0;
	struct stat st;
	size_t i;
	int all = 1;

	for (i = 0; !snap.lazy && i < snap.n; i++) {
		if (!snap.m[i].deleted)
			continue;
		for (;;) {
			int have = lstat(snapshot_name(&snap, i), &st) == 0;
			if (unlink(snapshot_name(&snap, i)) == 0) {
				if (have) {
					bytes += (unsigned long long)st.st_size;
					count++;
				}
				break;
			}
			if (errno == ENOENT) {
				int r = snapshot_refind(&snap, i);
				if (r == 1)
					continue;
				if (r == 0)
					break;	/* already gone: that is what was asked */
			}
			log_warn("cannot remove ", snapshot_name(&snap, i));
			all = 0;
			break;
		}
	}
	quota_sub(bytes, count);
	return all;
}

/* session - the TRANSACTION state until QUIT or the client leaves */
static void session(void)
{
	struct pop3_cmd c;
	size_t i;

	line.max = POP3_LINE_MAX;
	while (pop3_getcmd(&in, &line, &c, bad)) {
		switch (c.verb) {
		case POP3_STAT:
			if (c.nargs) bad("STAT takes no argument"); else cmd_stat();
			break;
		case POP3_LIST: cmd_list(&c, 0); break;
		case POP3_UIDL: cmd_list(&c, 1); break;
		case POP3_RETR: cmd_retr(&c, 0); break;
		case POP3_TOP: cmd_retr(&c, 1); break;
		case POP3_DELE:
			if (c.nargs != 1) { bad("usage: DELE msg"); break; }
			if (!msgarg(&c, 0, &i))
				break;
			snap.m[i].deleted = 1;
			say("+OK message deleted\r\n");
			break;
		case POP3_RSET:
			for (i = 0; !snap.lazy && i < snap.n; i++)
				snap.m[i].deleted = 0;
			say("+OK\r\n");
			break;
		case POP3_NOOP: say("+OK\r\n"); break;
		case POP3_CAPA:
			say("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n"
			    "IMPLEMENTATION kurier\r\n.\r\n");
			break;
		case POP3_QUIT:
			if (update())
				say("+OK bye\r\n");
			else
				say("-ERR [SYS/TEMP] some deleted messages not removed\r\n");
			(void)buf_flush(&out);
			return;
		case POP3_USER: case POP3_PASS: case POP3_APOP: case POP3_AUTH: case POP3_STLS:
			bad("already logged in");
			break;
		default:
			bad("unknown command");
		}
	}
}

/* confine - limits and the system-call filter; the ids are already the user's */
static void confine(void)
{
	struct sandbox sb;

	memset(&sb, 0, sizeof sb);
	sb.allow = SANDBOX_FILES;
	sb.mem = POP3_MEM_LIMIT;	/* lib/sandbox leaves it under ASan */
	sb.nofile = POP3_NOFILE;
	if (sandbox_enter(&sb) != 1)
		die(EX_T_TEMP, "cannot enter the sandbox");
}

int main(int argc, char **argv)
{
	const char *dir, *v;
	unsigned long long u;

	log_prog("kurier-pop3d");
	signal(SIGPIPE, SIG_IGN);
	buf_init(&in, saferead, 0, inspace, sizeof inspace);
	buf_init(&out, safewrite, 1, outspace, sizeof outspace);
	if (getuid() == 0 || geteuid() == 0)
		diex(EX_PW_BAD, "root may not read mail through POP3");
	v = getenv("USER");
	who = v && *v ? v : "?";
	v = getenv("KURIER_POP3_PENDING");
	if (v && *v && scan_ulongs(v, &u) && u > 2 && u < 1000 && fcntl((int)u, F_GETFD) != -1) {
		pendfd = (int)u;
		(void)fcntl(pendfd, F_SETFD, FD_CLOEXEC);
	}
	v = getenv("KURIER_POP3_TIMEOUT");
	if (v && *v && scan_ulongs(v, &u) && u > 0 && u <= POP3_TIMEOUT_MAX)
		timeout = (int)u;

	dir = argc > 1 ? argv[1] : getenv("MAILDIR");
	if (!dir || !*dir) {
		v = getenv("HOME");
		if (!v || !*v)
			diex(EX_T_TEMP, "neither MAILDIR nor HOME is set");
		if (chdir(v) == -1)
			die(EX_T_TEMP, "cannot enter ", v);
		dir = "Maildir";
	}
	if (chdir(dir) == -1)
		die(EX_T_TEMP, "cannot enter the maildir ", dir);
	/* we write whole buffers ourselves: no Nagle delay on the last piece
	 * of a reply (fails harmlessly when fd 1 is kurier-tlsd's pipe) */
	{
		int one = 1;
		(void)setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	confine();
	if (snapshot_load(&snap, 1) < 0)
		die(EX_T_TEMP, "cannot read the maildir ", dir);
	if (snap.truncated)
		log_warnx("more than POP3_MSGS_MAX messages; listing some: ", who);
	/* tell kurier-pop3-login that the session is ours now, however it ends */
	v = getenv("KURIER_POP3_STARTED");
	if (v && *v && scan_ulongs(v, &u) && u > 2 && u < 1000) {
		(void)!write((int)u, "S", 1);
		close((int)u);
	}
	say("+OK ");
	sayu(snap.n);
	say(" messages (");
	sayu(snap.total);
	say(" octets)\r\n");
	session();
	(void)buf_flush(&out);
	return 0;
}
