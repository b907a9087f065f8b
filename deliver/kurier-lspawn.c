/*
 * kurier-lspawn - run local deliveries for kurier-send.
 * usage:    kurier-lspawn [defaultdelivery]
 * runs as:  root, started by kurier-start with a pipe from kurier-send on
 *           fd 0 and a pipe to it on fd 1 (the spawn contract, kurier-lspawn(8))
 * input:    requests SLOT\0MSGPATH\0SENDER\0RCPT\0[RCPT\0...]\0
 * output:   replies SLOT\0 then K/Z/D+text\0 per recipient, then \0
 * trusts:   kurier-send's framing (a malformed request is fatal) but not
 *           the addresses or the message; conf-home's control/ and
 *           users/ files and the passwd file
 * exit:     0 at EOF on fd 0 once every delivery has reported;
 *           111 on a system failure, or on a malformed or truncated
 *           request, after the deliveries under way have reported
 * cost:     one fork per request (no exec): the child opens the message
 *           as root, resolves the address, becomes the user and delivers
 *           in-process; requests with several recipients fork once more
 *           per recipient
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "auto.h"
#include "exitcode.h"
#include "local.h"
#include "log.h"
#include "resolve.h"
#include "str.h"

#define REQUEST_MAX 65536	/* one request's bytes: a slot, a path and addresses of RESOLVE_ADDR_MAX */
#define RCPTS_MAX 1000		/* recipients in one request; lspawn normally gets exactly one */
#define PENDING_MAX 100000	/* requests held beyond conf-spawn before kurier-send is wrong */
#define FIELD_MAX 1100		/* one field: an address of RESOLVE_ADDR_MAX and some slack */
#define SLOT_MAX 20		/* digits of a slot: a 64-bit number */
#define PASSWD "/etc/passwd"
#define BAD_REQUEST ((size_t)-1)	/* parse: the request breaks the contract */

struct job {
	pid_t pid;
	int fd;			/* results from the child */
	unsigned nrcpt;
	struct str slot;
	struct str out;		/* the child's K/Z/D fields */
};

static struct job *jobs;
static unsigned njobs, maxjobs;
static struct str pending = STR_INIT;	/* whole requests waiting for a free job */
static unsigned npending;
static struct str outq = STR_INIT;	/* replies not yet written to kurier-send */

/* die_nomem - fatal: out of memory */
static void die_nomem(void)
{
	diex(EX_T_TEMP, "out of memory");
}

/* msgpath_ok - 1 if p is a safe relative path under the queue */
static int msgpath_ok(const char *p)
{
	size_t i, n = strlen(p);

	if (!n || p[0] == '/' || strstr(p, ".."))
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '/' || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* result - write one K/Z/D field to fd; exits on error */
static void result(int fd, char code, const struct str *text)
{
	struct str f = STR_INIT;
	size_t i;

	if (!str_append(&f, code))
		_exit(EX_T_TEMP);
	for (i = 0; i < text->len && i < LOCAL_TEXT_MAX; i++)
		if (!str_append(&f, text->s[i] == 0 || text->s[i] == '\n' ? '_' : text->s[i]))
			_exit(EX_T_TEMP);
	if (!str_0(&f))
		_exit(EX_T_TEMP);
	for (i = 0; i < f.len; ) {
		ssize_t w = write(fd, f.s + i, f.len - i);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			_exit(EX_T_TEMP);
		i += (size_t)w;
	}
	str_free(&f);
}

/* deliver_one - resolve rcpt, become its user and deliver; does not return */
static void deliver_one(int out, int msgfd, const char *sender, const char *rcpt)
{
	struct resolved r;
	struct local_msg m;
	struct str text = STR_INIT;
	int k;
	char code;

	resolve_init(&r);
	k = resolve_address(rcpt, strlen(rcpt), PASSWD, &r);
	if (k == RES_TEMP) {
		if (!r.text.len)
			str_copys(&r.text, "temporary failure while looking the address up");
		result(out, 'Z', &r.text);
		_exit(0);
	}
	if (k == RES_FOREIGN) {
		str_copys(&text, "not a local domain here");
		result(out, 'D', &text);
		_exit(0);
	}
	if (k == RES_UNKNOWN) {
		result(out, 'D', &r.text);
		_exit(0);
	}
	if (local_become(r.acct.uid, r.acct.gid) < 0) {
		str_copys(&text, "cannot become the recipient's user");
		result(out, 'Z', &text);
		_exit(0);
	}
	m.fd = msgfd;
	m.sender = sender;
	m.recipient = rcpt;
	code = local_deliver(&r, &m, &text);
	result(out, code, &text);
	_exit(0);
}

/* child - run one request: fields in req (slot, path, sender, rcpts...); does not return */
static void child(int out, const char *req, unsigned nrcpt)
{
	struct str path = STR_INIT, text = STR_INIT;
	const char *slot = req, *mp = slot + strlen(slot) + 1, *sender = mp + strlen(mp) + 1;
	const char *rcpt = sender + strlen(sender) + 1;
	int msgfd, devnull;
	unsigned i;

	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	/* kurier-send's pipes are not for the programs users run */
	devnull = open("/dev/null", O_RDWR);
	if (devnull == -1 || dup2(devnull, 0) == -1 || dup2(devnull, 1) == -1)
		_exit(EX_T_TEMP);
	if (devnull > 2)
		close(devnull);
	if (!msgpath_ok(mp)) {
		str_copys(&text, "malformed message path from kurier-send");
		for (i = 0; i < nrcpt; i++)
			result(out, 'Z', &text);
		_exit(0);
	}
	if (!str_copys(&path, auto_home) || !str_cats(&path, "/queue/") || !str_cats(&path, mp))
		_exit(EX_T_TEMP);
	/* open the message while still root: the user may not read the queue */
	msgfd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (msgfd == -1) {
		str_copys(&text, "cannot open the message file in the queue");
		for (i = 0; i < nrcpt; i++)
			result(out, 'Z', &text);
		_exit(0);
	}
	if (nrcpt == 1)
		deliver_one(out, msgfd, sender, rcpt);
	for (i = 0; i < nrcpt; i++, rcpt += strlen(rcpt) + 1) {
		int status, pfd[2];
		pid_t pid;
		struct str got = STR_INIT;
		char b[1100];
		ssize_t n;
		/* one more process per recipient, so each becomes its own user */
		if (pipe2(pfd, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
			str_copys(&text, "cannot fork for a recipient");
			result(out, 'Z', &text);
			continue;
		}
		if (pid == 0) {
			close(pfd[0]);
			if (lseek(msgfd, 0, SEEK_SET) == -1)
				_exit(EX_T_TEMP);
			deliver_one(pfd[1], msgfd, sender, rcpt);
		}
		close(pfd[1]);
		/* one field is all a delivery process writes; more is dropped */
		while ((n = read(pfd[0], b, sizeof b)) > 0 || (n == -1 && errno == EINTR))
			if (n > 0 && got.len < FIELD_MAX && !str_catb(&got, b, (size_t)n))
				_exit(EX_T_TEMP);
		close(pfd[0]);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		if (got.len >= 2 && got.s[got.len - 1] == 0) {
			got.len--;
			text.len = 0;
			str_catb(&text, got.s + 1, got.len - 1);
			result(out, got.s[0], &text);
		} else {
			str_copys(&text, "the delivery process died");
			result(out, 'Z', &text);
		}
		str_free(&got);
	}
	_exit(0);
}

/* start - fork a job for the request req[0..n); exits on fatal errors */
static void start(const char *req, size_t n, unsigned nrcpt)
{
	struct job *j = &jobs[njobs];
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		die(EX_T_TEMP, "cannot make a pipe");
	pid = fork();
	if (pid == -1)
		die(EX_T_TEMP, "cannot fork");
	if (pid == 0) {
		close(pfd[0]);
		child(pfd[1], req, nrcpt);
	}
	close(pfd[1]);
	memset(j, 0, sizeof *j);
	j->pid = pid;
	j->fd = pfd[0];
	j->nrcpt = nrcpt;
	if (!str_copys(&j->slot, req))
		die_nomem();
	(void)n;
	njobs++;
}

/* flush_some - write one PIPE_BUF piece of the replies, which poll said fits; exits on errors */
static void flush_some(void)
{
	size_t n = outq.len > PIPE_BUF ? PIPE_BUF : outq.len;
	ssize_t w = write(1, outq.s, n);

	if (w == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		die(EX_T_TEMP, "cannot write to kurier-send");
	}
	memmove(outq.s, outq.s + w, outq.len - (size_t)w);
	outq.len -= (size_t)w;
}

/* reply - queue the finished job's reply for kurier-send */
static void reply(struct job *j)
{
	struct str r = STR_INIT;
	unsigned have = 0;
	size_t i, end;

	if (!str_cat(&r, &j->slot) || !str_0(&r))
		die_nomem();
	/* the child's fields, complete ones only; the missing ones are deferrals */
	end = j->out.len;
	while (end > 0 && j->out.s[end - 1] != 0)
		end--;
	for (i = 0; i < end && have < j->nrcpt; i += strlen(j->out.s + i) + 1) {
		const char *f = j->out.s + i;
		if ((f[0] != 'K' && f[0] != 'Z' && f[0] != 'D') || !str_cats(&r, f) || !str_0(&r)) {
			if (!str_cats(&r, "Zmalformed result from a delivery process") || !str_0(&r))
				die_nomem();
		}
		have++;
	}
	for (; have < j->nrcpt; have++)
		if (!str_cats(&r, "Zthe delivery process died before reporting") || !str_0(&r))
			die_nomem();
	if (!str_0(&r) || !str_cat(&outq, &r))
		die_nomem();
	str_free(&r);
}

/* finish - job i has closed its pipe: reap it, reply, and free the slot */
static void finish(unsigned i)
{
	struct job *j = &jobs[i];
	int status;

	close(j->fd);
	while (waitpid(j->pid, &status, 0) == -1)
		if (errno != EINTR)
			break;
	reply(j);
	str_free(&j->slot);
	str_free(&j->out);
	jobs[i] = jobs[--njobs];
}

/*
 * parse - the first complete request in s[0..n); its length, 0 when it is
 * not complete yet, BAD_REQUEST (with *why set) when it breaks the
 * contract; the recipient count into *nrcpt.
 */
static size_t parse(const char *s, size_t n, unsigned *nrcpt, const char **why)
{
	size_t i = 0, fields = 0, k;

	*nrcpt = 0;
	if (!n)
		return 0;
	for (;;) {
		const char *z = memchr(s + i, 0, n - i);
		size_t fl;
		if (!z) {
			*why = "request from kurier-send too long";
			return n > REQUEST_MAX ? BAD_REQUEST : 0;
		}
		fl = (size_t)(z - s) - i;
		if (fl > FIELD_MAX) {
			*why = "field from kurier-send too long";
			return BAD_REQUEST;
		}
		if (fields == 0) {
			/* the slot: a decimal number, as kurier-send numbers deliveries */
			for (k = 0; k < fl && s[k] >= '0' && s[k] <= '9'; k++)
				;
			if (!fl || k != fl || fl > SLOT_MAX) {
				*why = "malformed slot from kurier-send";
				return BAD_REQUEST;
			}
		}
		fields++;
		i += fl + 1;
		if (fields == 2 && fl == 0) {
			*why = "empty message path from kurier-send";
			return BAD_REQUEST;
		}
		if (fields >= 4) {
			if (fl == 0) {
				if (!*nrcpt) {
					*why = "request from kurier-send without a recipient";
					return BAD_REQUEST;
				}
				return i;
			}
			if (++*nrcpt > RCPTS_MAX) {
				*why = "too many recipients in one request";
				return BAD_REQUEST;
			}
		}
	}
}

/* drain - start pending requests while jobs are free */
static void drain(void)
{
	while (npending && njobs < maxjobs) {
		unsigned nr;
		const char *why;
		size_t len = parse(pending.s, pending.len, &nr, &why);
		start(pending.s, len, nr);
		memmove(pending.s, pending.s + len, pending.len - len);
		pending.len -= len;
		npending--;
	}
}

int main(int argc, char **argv)
{
	struct str in = STR_INIT;
	char b[8192];
	int eof = 0, bad = 0;

	log_prog("kurier-lspawn");
	if (argc > 2)
		diex(EX_T_TEMP, "usage: kurier-lspawn [defaultdelivery]");
	local_default_arg = argc == 2 ? argv[1] : 0;
	signal(SIGPIPE, SIG_IGN);
	if (getuid() != 0)
		diex(EX_T_TEMP, "must run as root: it becomes each recipient");
	maxjobs = auto_spawn ? auto_spawn : 1;
	jobs = calloc(maxjobs, sizeof *jobs);
	if (!jobs)
		die_nomem();
	if (chdir("/") == -1)
		die(EX_T_TEMP, "cannot chdir to /");
	for (;;) {
		struct pollfd *p;
		unsigned i, np = 0, nj, out = 0;
		if (eof && !njobs && !npending && !outq.len)
			break;
		p = calloc(maxjobs + 2, sizeof *p);
		if (!p)
			die_nomem();
		for (i = 0; i < njobs; i++) {
			p[np].fd = jobs[i].fd;
			p[np++].events = POLLIN;
		}
		nj = np;
		if (outq.len) {
			/* replies never wait behind requests, nor requests behind replies */
			p[np].fd = 1;
			p[np++].events = POLLOUT;
			out = 1;
		}
		if (!eof) {
			p[np].fd = 0;
			p[np++].events = POLLIN;
		}
		if (poll(p, np, -1) == -1) {
			free(p);
			if (errno == EINTR)
				continue;
			die(EX_T_TEMP, "poll failed");
		}
		if (out && p[nj].revents) {
			if (p[nj].revents & (POLLERR | POLLHUP) && !(p[nj].revents & POLLOUT))
				diex(EX_T_TEMP, "kurier-send closed its end of the reply pipe");
			flush_some();
		}
		if (!eof && p[np - 1].revents) {
			ssize_t n = read(0, b, sizeof b);
			if (n == -1 && errno != EINTR && errno != EAGAIN)
				die(EX_T_TEMP, "cannot read from kurier-send");
			if (n > 0 && !str_catb(&in, b, (size_t)n))
				die_nomem();
			for (;;) {
				unsigned nr;
				const char *why = 0;
				size_t len = parse(in.s, in.len, &nr, &why);
				if (len && len != BAD_REQUEST && npending >= PENDING_MAX) {
					len = BAD_REQUEST;
					why = "kurier-send sent far more requests than conf-spawn";
				} else if (!len && n == 0 && in.len) {
					len = BAD_REQUEST;
					why = "kurier-send closed the pipe inside a request";
				}
				if (len == BAD_REQUEST) {
					/*
					 * kurier-send broke the contract: read no more, but let
					 * the deliveries under way report before exiting 111,
					 * so none is done twice; the rest it retries
					 */
					log_warnx(why);
					bad = eof = 1;
					in.len = 0;
					break;
				}
				if (!len)
					break;
				if (!str_catb(&pending, in.s, len))
					die_nomem();
				npending++;
				memmove(in.s, in.s + len, in.len - len);
				in.len -= len;
			}
			if (n == 0)
				eof = 1;
		}
		/* jobs: collect output; a closed pipe means the job is done */
		for (i = 0; i < nj; i++) {
			unsigned j;
			if (!p[i].revents)
				continue;
			for (j = 0; j < njobs && jobs[j].fd != p[i].fd; j++)
				;
			if (j == njobs)
				continue;
			for (;;) {
				ssize_t n = read(jobs[j].fd, b, sizeof b);
				if (n == -1 && errno == EINTR)
					continue;
				if (n > 0) {
					if (jobs[j].out.len < REQUEST_MAX && !str_catb(&jobs[j].out, b, (size_t)n))
						die_nomem();
					break;
				}
				finish(j);
				break;
			}
		}
		free(p);
		drain();
	}
	str_free(&in);
	str_free(&pending);
	str_free(&outq);
	free(jobs);
	return bad ? EX_T_TEMP : 0;
}
