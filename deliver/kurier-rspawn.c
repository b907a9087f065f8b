/*
 * kurier-rspawn - run remote deliveries for kurier-send.
 * runs as:  kurierr (becomes it when started as root), long-lived, one
 *           per kurier-send, started by kurier-start
 * input:    requests from kurier-send on fd 0, NUL-separated fields:
 *             SLOT MSGPATH SENDER RCPT [RCPT...] and an empty field
 *           (MSGPATH relative to conf-home/queue; the recipients all of
 *           one domain)
 * output:   replies on fd 1, in any order: SLOT, then per recipient
 *           K/Z/D followed by text, then an empty field; log lines on fd 2
 * trusts:   kurier-send's requests (a malformed one is fatal: it means a
 *           bug, not an attack); nothing from DNS or the network
 * exit:     0 when kurier-send closes fd 0 and every delivery is done;
 *           111 (EX_T_TEMP) on a malformed request or a system failure
 * costs:    per delivery one fork and no exec: the child runs the same
 *           client code as kurier-remote, since no privilege boundary
 *           lies between them; no fsync (kurier-send records results)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "remote.h"
#include "sandbox.h"
#include "str.h"

#define RSPAWN_CONCURRENCY_DEFAULT 20	/* qmail's concurrencyremote default */
#define RSPAWN_PENDING_MAX 10000	/* requests held while all slots are busy */
#define RSPAWN_FIELD_MAX 1024		/* SLOT and MSGPATH; addresses: REMOTE_ADDR_MAX */
#define RSPAWN_REPLY_MAX (REMOTE_RCPTS_MAX * 1100ULL)	/* a child's report: 1000 bytes a recipient and more */
#define RSPAWN_MEM_LIMIT (1ULL << 30)	/* RLIMIT_AS: the largest message is mapped by a child */
#define RSPAWN_NOFILE 1024		/* descriptors: a pipe per running delivery, and sockets */

struct request {
	struct str slot, path, sender;
	char **rcpt;			/* pointers into rcpts */
	struct str rcpts;		/* NUL-terminated addresses */
	unsigned nr;
	struct request *next;
};

struct job {
	pid_t pid;
	int fd;				/* read end of the child's report pipe */
	struct request *req;
	struct str report;
};

static struct job *jobs;
static unsigned njobs, maxjobs;
static struct request *qhead, *qtail;
static unsigned queued;
static struct str in, outq;		/* bytes from kurier-send; bytes for it */
static int in_eof;

/* req_free - release a request */
static void req_free(struct request *r)
{
	str_free(&r->slot);
	str_free(&r->path);
	str_free(&r->sender);
	str_free(&r->rcpts);
	free(r->rcpt);
	free(r);
}

/* field - the next NUL-terminated field at in[*p..]; its length, or -1 if
 * incomplete; dies if longer than max */
static long field(size_t *p, size_t max, const char *what)
{
	const char *s = in.s + *p;
	const char *z = memchr(s, 0, in.len - *p);
	size_t n;

	if (!z) {
		if (in.len - *p > max)
			diex(EX_T_TEMP, "malformed request from kurier-send: ", what, " too long");
		return -1;
	}
	n = (size_t)(z - s);
	if (n > max)
		diex(EX_T_TEMP, "malformed request from kurier-send: ", what, " too long");
	*p += n + 1;
	return (long)n;
}

/* parse - take one whole request off the front of in; 1 taken, 0 incomplete */
static int parse(void)
{
	size_t p = 0, start, i;
	long n;
	struct request *r;
	unsigned nr = 0;

	if ((n = field(&p, RSPAWN_FIELD_MAX, "slot")) < 0)
		return 0;
	if (n == 0)
		diex(EX_T_TEMP, "malformed request from kurier-send: empty slot");
	for (i = 0; i < (size_t)n; i++)
		if (in.s[i] < '0' || in.s[i] > '9')
			diex(EX_T_TEMP, "malformed request from kurier-send: slot is not a number");
	if (field(&p, RSPAWN_FIELD_MAX, "message path") < 0 ||
	    field(&p, REMOTE_ADDR_MAX, "sender") < 0)
		return 0;
	start = p;
	for (;;) {
		if ((n = field(&p, REMOTE_ADDR_MAX, "recipient")) < 0)
			return 0;
		if (n == 0)
			break;
		if (++nr > REMOTE_RCPTS_MAX)
			diex(EX_T_TEMP, "malformed request from kurier-send: too many recipients");
	}
	if (!nr)
		diex(EX_T_TEMP, "malformed request from kurier-send: no recipient");
	r = calloc(1, sizeof *r);
	if (!r || !(r->rcpt = calloc(nr, sizeof *r->rcpt)))
		die(EX_T_TEMP, "out of memory");
	{
		size_t q = 0;
		const char *s = in.s;
		size_t l1 = strlen(s), l2 = strlen(s + l1 + 1), l3 = strlen(s + l1 + l2 + 2);
		if (!str_copyb(&r->slot, s, l1) || !str_copyb(&r->path, s + l1 + 1, l2) ||
		    !str_copyb(&r->sender, s + l1 + l2 + 2, l3) ||
		    !str_copyb(&r->rcpts, in.s + start, p - 1 - start))
			die(EX_T_TEMP, "out of memory");
		for (i = 0; i < nr; i++) {
			r->rcpt[i] = r->rcpts.s + q;
			q += strlen(r->rcpts.s + q) + 1;
		}
	}
	if (memchr(r->path.s, '/', 1) || strstr(r->path.s, ".."))
		diex(EX_T_TEMP, "malformed request from kurier-send: message path leaves the queue");
	r->nr = nr;
	memmove(in.s, in.s + p, in.len - p);
	in.len -= p;
	if (qtail)
		qtail->next = r;
	else
		qhead = r;
	qtail = r;
	queued++;
	return 1;
}

/* reply - queue the reply for request r: its slot, then the fields in
 * report (already NUL-separated), then the empty field */
static void reply(struct request *r, const char *report, size_t n)
{
	if (!str_cat(&outq, &r->slot) || !str_append(&outq, 0) ||
	    !str_catb(&outq, report, n) || !str_append(&outq, 0))
		die(EX_T_TEMP, "out of memory");
}

/* reply_all - every recipient of r gets code and text */
static void reply_all(struct request *r, char code, const char *text)
{
	struct str rep = STR_INIT;
	unsigned i;

	for (i = 0; i < r->nr; i++)
		if (!str_append(&rep, code) || !str_cats(&rep, text) || !str_append(&rep, 0))
			die(EX_T_TEMP, "out of memory");
	reply(r, rep.s, rep.len);
	str_free(&rep);
}

/* child - the delivery itself, in a forked process; never returns */
static void child(struct request *r, int fd)
{
	struct rcptresult *res = calloc(r->nr, sizeof *res);
	struct str rep = STR_INIT;
	const char *dom = strrchr(r->rcpt[0], '@'), *m = "";
	struct stat st;
	size_t n = 0;
	unsigned i;
	int mfd;

	if (!res)
		_exit(EX_T_TEMP);
	mfd = open(r->path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (mfd == -1 || fstat(mfd, &st) == -1) {
		for (i = 0; i < r->nr; i++) {
			res[i].code = 'Z';
			(void)str_copys(&res[i].text, "cannot open the message in the queue: ");
			(void)str_cats(&res[i].text, strerror(errno));
		}
	} else if (!dom || !dom[1]) {
		for (i = 0; i < r->nr; i++) {
			res[i].code = 'D';
			(void)str_copys(&res[i].text, "5.1.3 the address has no domain");
		}
	} else {
		n = (size_t)st.st_size;
		if (n) {
			void *p = mmap(0, n, PROT_READ, MAP_PRIVATE, mfd, 0);
			if (p == MAP_FAILED)
				_exit(EX_T_TEMP);
			m = p;
		}
		remote_deliver(dom + 1, r->sender.s, r->rcpt, r->nr, m, n, res);
	}
	for (i = 0; i < r->nr; i++)
		if (!str_append(&rep, res[i].code) || !str_cat(&rep, &res[i].text) || !str_append(&rep, 0))
			_exit(EX_T_TEMP);
	for (i = 0; i < rep.len;) {
		ssize_t w = write(fd, rep.s + i, rep.len - i);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(EX_T_TEMP);
		i += (size_t)w;
	}
	_exit(0);
}

/* start - fork a child for the first queued request */
static void start(void)
{
	struct request *r = qhead;
	struct job *j = &jobs[njobs];
	int p[2];
	unsigned i;

	qhead = r->next;
	if (!qhead)
		qtail = 0;
	queued--;
	r->next = 0;
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("cannot make a pipe");
		reply_all(r, 'Z', "kurier-rspawn: cannot make a pipe");
		req_free(r);
		return;
	}
	j->pid = fork();
	if (j->pid == -1) {
		log_warn("cannot fork");
		close(p[0]);
		close(p[1]);
		reply_all(r, 'Z', "kurier-rspawn: cannot fork");
		req_free(r);
		return;
	}
	if (j->pid == 0) {
		/* kurier-send's pipes are the parent's: the child gets
		 * /dev/null there, so no socket can land on fd 0 or 1 */
		int nul = open("/dev/null", O_RDWR);
		if (nul == -1 || dup2(nul, 0) == -1 || dup2(nul, 1) == -1)
			_exit(EX_T_TEMP);
		if (nul > 1)
			close(nul);
		close(p[0]);
		for (i = 0; i < njobs; i++)
			close(jobs[i].fd);
		signal(SIGPIPE, SIG_IGN);
		child(r, p[1]);
	}
	close(p[1]);
	j->fd = p[0];
	j->req = r;
	j->report.len = 0;
	j->report.max = RSPAWN_REPLY_MAX;
	njobs++;
}

/* finish - a child closed its pipe: reap it and reply for it */
static void finish(unsigned k)
{
	struct job *j = &jobs[k];
	struct request *r = j->req;
	int status = 0;
	size_t p = 0;
	unsigned fields = 0;

	close(j->fd);
	while (waitpid(j->pid, &status, 0) == -1 && errno == EINTR)
		;
	/* the report must hold one K/Z/D field per recipient, no more */
	while (p < j->report.len) {
		const char *z = memchr(j->report.s + p, 0, j->report.len - p);
		if (!z || !strchr("KZD", j->report.s[p]) || j->report.s[p] == 0)
			break;
		p = (size_t)(z - j->report.s) + 1;
		fields++;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && p == j->report.len && fields == r->nr)
		reply(r, j->report.s, j->report.len);
	else {
		log_warnx("delivery process for slot ", r->slot.s, " failed");
		reply_all(r, 'Z', WIFSIGNALED(status) ? "kurier-rspawn: the delivery process crashed"
						       : "kurier-rspawn: the delivery process failed");
	}
	req_free(r);
	str_free(&j->report);
	jobs[k] = jobs[--njobs];
	memset(&jobs[njobs], 0, sizeof jobs[njobs]);
}

/* concurrency - control/concurrencyremote, capped by conf-spawn */
static unsigned concurrency(void)
{
	unsigned long long u;

	if (control_readulong(&u, "concurrencyremote", RSPAWN_CONCURRENCY_DEFAULT) < 0)
		diex(EX_T_TEMP, "control/concurrencyremote is not a number");
	if (u > auto_spawn)
		u = auto_spawn;
	return u ? (unsigned)u : 1;
}

int main(void)
{
	struct str err = STR_INIT, qdir = STR_INIT;
	struct sandbox sb;
	struct pollfd *pf;
	unsigned i;

	log_prog("kurier-rspawn");
	signal(SIGPIPE, SIG_IGN);
	if (!str_copys(&qdir, auto_home) || !str_cats(&qdir, "/queue"))
		die(EX_T_TEMP, "out of memory");
	if (chdir(qdir.s) == -1)
		die(EX_T_TEMP, "cannot chdir to ", qdir.s);
	maxjobs = concurrency();
	if (remote_init(&err) < 0)
		diex(EX_T_TEMP, err.s);
	jobs = calloc(maxjobs, sizeof *jobs);
	pf = calloc(maxjobs + 2, sizeof *pf);
	if (!jobs || !pf)
		die(EX_T_TEMP, "out of memory");
	if (fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK) == -1)
		die(EX_T_TEMP, "cannot make fd 1 non-blocking");
	memset(&sb, 0, sizeof sb);
	sb.user = getuid() == 0 ? auto_user_r : 0;
	sb.allow = SANDBOX_FILES | SANDBOX_NET | SANDBOX_SPAWN;
	sb.mem = RSPAWN_MEM_LIMIT;
	sb.nofile = RSPAWN_NOFILE;
	if (sandbox_enter(&sb) != 1)
		die(EX_T_TEMP, "cannot enter the sandbox");
	in.max = RSPAWN_PENDING_MAX * 64ULL + REMOTE_RCPTS_MAX * (REMOTE_ADDR_MAX + 1ULL);
	for (;;) {
		nfds_t np = 0;
		int rdin = !in_eof && queued < RSPAWN_PENDING_MAX;

		while (qhead && njobs < maxjobs)
			start();
		if (in_eof && !qhead && !njobs && !outq.len)
			return 0;
		if (rdin) {
			pf[np].fd = 0;
			pf[np++].events = POLLIN;
		}
		if (outq.len) {
			pf[np].fd = 1;
			pf[np++].events = POLLOUT;
		}
		for (i = 0; i < njobs; i++) {
			pf[np].fd = jobs[i].fd;
			pf[np++].events = POLLIN;
		}
		if (poll(pf, np, -1) == -1) {
			if (errno == EINTR)
				continue;
			die(EX_T_TEMP, "poll failed");
		}
		np = 0;
		if (rdin && pf[np++].revents) {
			ssize_t r;
			if (!str_readyplus(&in, 65536))
				diex(EX_T_TEMP, "too much input from kurier-send without a whole request");
			r = read(0, in.s + in.len, 65536);
			if (r < 0 && errno != EINTR && errno != EAGAIN)
				die(EX_T_TEMP, "cannot read from kurier-send");
			if (r == 0) {
				in_eof = 1;
				if (in.len)
					diex(EX_T_TEMP, "kurier-send closed the pipe inside a request");
			}
			if (r > 0)
				in.len += (size_t)r;
			while (in.len && queued < RSPAWN_PENDING_MAX && parse())
				;
		}
		if (outq.len && pf[np++].revents) {
			ssize_t w = write(1, outq.s, outq.len);
			if (w < 0 && errno != EINTR && errno != EAGAIN)
				die(EX_T_TEMP, "cannot write to kurier-send");
			if (w > 0) {
				memmove(outq.s, outq.s + w, outq.len - (size_t)w);
				outq.len -= (size_t)w;
			}
		}
		/* children: walk backwards, since finish() moves the last one down */
		for (i = njobs; i-- > 0;) {
			struct job *j = &jobs[i];
			short rev = pf[np + i].revents;
			ssize_t r;
			if (!rev)
				continue;
			if (!str_readyplus(&j->report, 4096)) {
				r = 0;	/* an oversized report: treat as failed */
				j->report.len = 0;
				kill(j->pid, SIGKILL);
			} else
				r = read(j->fd, j->report.s + j->report.len, 4096);
			if (r > 0)
				j->report.len += (size_t)r;
			else if (r == 0 || (errno != EINTR && errno != EAGAIN))
				finish(i);
		}
	}
}
