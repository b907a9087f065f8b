/*
 * loginmon.c - the monitor that runs the checkpw chain for a login
 * program, and the session process's side of its pipes (see loginmon.h).
 * runs as:  the monitor: the ids the program started with (root under
 *           tcpserver); loginmon_login and the SASL parsers: the session
 *           process, as kurierd in its sandbox
 * trusts:   the monitor trusts nothing the session process sends: a
 *           malformed request ends the connection; the parsers trust
 *           nothing the client sends
 * exit:     the monitor exits 0 when the session process has gone or the
 *           server ran; loginmon_start dies 111 (EX_T_TEMP) when it cannot
 *           fork; the session process leaves (exit 0) when the monitor
 *           ends the connection
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "base64.h"
#include "exitcode.h"
#include "log.h"
#include "loginmon.h"
#include "scan.h"
#include "session.h"
#include "tlsctl.h"

extern char **environ;

/* the descriptor numbers as the server's variables give them */
#define NUM(x) #x
#define FDNAME(x) NUM(x)
/* the fields of a request before the pending bytes, without and with the tag */
#define FIELDS_MAX 6
/* type, fd 3 data and tag with their NULs, the count, the pending bytes */
#define REQ_MAX (LOGINMON_TYPE_MAX + LOGINMON_CHECKPW_MAX + LOGINMON_TAG_MAX + 1)

/* ---- the monitor: the only part that runs the checkpw chain ---- */

/* setvar - "name=value" into s, NUL-terminated; 1 ok, 0 no memory */
static int setvar(struct str *s, const char *name, const char *value)
{
	return str_copys(s, name) && str_append(s, '=') && str_cats(s, value) && str_0(s);
}

/* ours - 1 if the environment entry e sets a variable the monitor sets itself or must not pass */
static int ours(const struct loginmon *lm, const char *e)
{
	static const char *const fixed[] = {
		"KURIER_AUTHTYPE", "KURIER_SERVICE", "KURIER_TLSFD", "KURIER_CHECKPW_VERIFYONLY",
	};
	const char *var[3];
	size_t i, n;

	var[0] = lm->pending_var;
	var[1] = lm->started_var;
	var[2] = lm->tag_var;
	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		n = strlen(fixed[i]);
		if (!strncmp(e, fixed[i], n) && e[n] == '=')
			return 1;
	}
	for (i = 0; i < 3; i++) {
		if (!var[i])
			continue;
		n = strlen(var[i]);
		if (!strncmp(e, var[i], n) && e[n] == '=')
			return 1;
	}
	return 0;
}

/*
 * chain_run - run the chain with the fd 3 data and the client on fd 0/1;
 * the tag (if any) in lm->tag_var; the commands the client sent ahead of
 * the login reply wait on LOGINMON_PENDING_FD for the server; *started
 * set if the server took over; the chain's exit code, -1 if it could not run
 */
static int chain_run(const struct loginmon *lm, const char *type, const char *data, size_t len,
    const char *tag, const char *pending, size_t plen, int *started)
{
	char *envp[LOGINMON_ENV_MAX + 6];
	struct str svc = STR_INIT, at = STR_INIT, tg = STR_INIT, sta = STR_INIT, pend = STR_INIT;
	posix_spawn_file_actions_t fa;
	size_t i, ne = 0;
	int p[2], q[2] = { -1, -1 }, sp[2] = { -1, -1 }, e, st, r = -1;
	pid_t pid;
	char c;

	*started = 0;
	if (!setvar(&svc, "KURIER_SERVICE", lm->service) || !setvar(&at, "KURIER_AUTHTYPE", type) ||
	    (lm->tag_var && !setvar(&tg, lm->tag_var, tag)) ||
	    !setvar(&sta, lm->started_var, FDNAME(LOGINMON_STARTED_FD)) ||
	    !setvar(&pend, lm->pending_var, FDNAME(LOGINMON_PENDING_FD)))
		goto fail0;
	for (i = 0; environ[i] && ne < LOGINMON_ENV_MAX; i++)
		if (!ours(lm, environ[i]))
			envp[ne++] = environ[i];
	envp[ne++] = svc.s;
	envp[ne++] = at.s;
	if (lm->tag_var)
		envp[ne++] = tg.s;
	envp[ne++] = sta.s;
	if (plen)
		envp[ne++] = pend.s;
	envp[ne] = 0;
	if (pipe2(sp, O_CLOEXEC) == -1)
		goto fail0;
	if (pipe2(p, O_CLOEXEC) == -1)
		goto fail1;
	if (plen) {
		/* at most LOGINMON_PENDING_MAX bytes: they fit in the pipe, so this never blocks */
		if (pipe2(q, O_CLOEXEC) == -1)
			goto fail2;
		if (write(q[1], pending, plen) != (ssize_t)plen) {
			close(q[0]);
			close(q[1]);
			goto fail2;
		}
		close(q[1]);
	}
	e = posix_spawn_file_actions_init(&fa);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, p[0], 3);
	if (!e && plen)
		e = posix_spawn_file_actions_adddup2(&fa, q[0], LOGINMON_PENDING_FD);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, sp[1], LOGINMON_STARTED_FD);
	if (!e) {
		e = posix_spawn(&pid, lm->chain[0], &fa, 0, lm->chain, envp);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[0]);
	close(sp[1]);
	if (q[0] >= 0)
		close(q[0]);
	if (e) {
		close(sp[0]);
		close(p[1]);
		errno = e;
		log_warn("cannot run ", lm->chain[0]);
		goto fail0;
	}
	/* at most LOGINMON_CHECKPW_MAX bytes: below PIPE_BUF, so this never blocks */
	(void)!write(p[1], data, len);
	close(p[1]);
	if (lm->chain_timeout) {
		/* the chain has as long as the client has for a command to get to
		 * the server (the byte on sp[0]) or to give up (end of file there) */
		struct pollfd pf;
		pf.fd = sp[0];
		pf.events = POLLIN;
		while ((e = poll(&pf, 1, lm->chain_timeout * 1000)) == -1 && errno == EINTR)
			;
		if (e == 0) {
			log_warnx("checkpw chain timed out: ", session.remoteip.s);
			kill(pid, SIGKILL);
		}
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			close(sp[0]);
			goto fail0;
		}
	/* the server writes one byte there as it starts the session */
	while ((e = (int)read(sp[0], &c, 1)) == -1 && errno == EINTR)
		;
	*started = e == 1;
	close(sp[0]);
	r = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	goto fail0;
fail2:
	close(p[0]);
	close(p[1]);
fail1:
	close(sp[0]);
	close(sp[1]);
fail0:
	str_free(&svc);
	str_free(&at);
	str_free(&tg);
	str_free(&sta);
	str_free(&pend);
	return r;
}

/* known - 1 if the request type t is one lm accepts */
static int known(const struct loginmon *lm, const char *t)
{
	size_t i;

	for (i = 0; lm->types[i]; i++)
		if (!strcmp(t, lm->types[i]))
			return 1;
	return 0;
}

/*
 * tls_take - after STARTTLS the session process passes on the plaintext
 * end kurier-tlsd gave it ("T" with the descriptor on tlsin), which the
 * server must get on fds 0/1 instead of the client socket.  It arrives
 * before the request that follows it.  Only a socket kurier-tlsd (our
 * parent) made is taken; 1 ok (taken, or nothing came), -1 not ours
 */
static int tls_take(int *tlsin)
{
	struct pollfd pf;
	struct ucred uc;
	socklen_t ul = sizeof uc;
	char c;
	int fd, r;

	if (*tlsin < 0)
		return 1;
	pf.fd = *tlsin;
	pf.events = POLLIN;
	if (poll(&pf, 1, 0) != 1)
		return 1;
	r = tlsctl_recv(*tlsin, &c, &fd);
	close(*tlsin);
	*tlsin = -1;
	if (r == 0)
		return 1;
	if (r != 1 || c != 'T' || fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == -1 ||
	    uc.pid != getppid() || dup2(fd, 0) == -1 || dup2(fd, 1) == -1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

/* monitor - serve the session process's requests until it leaves or the server ran; never returns */
static void monitor(const struct loginmon *lm, pid_t child, int req, int ans, int tlsin) __attribute__((noreturn));
static void monitor(const struct loginmon *lm, pid_t child, int req, int ans, int tlsin)
{
	static char b[REQ_MAX + FMT_ULONG + LOGINMON_PENDING_MAX];
	const size_t nf = lm->tag_var ? 6 : 5;	/* NULs before the pending bytes */
	const size_t cap = LOGINMON_TYPE_MAX + lm->datamax + (lm->tag_var ? lm->tagmax + 1 : 0) + FMT_ULONG;
	size_t have, scan, nul, f[FIELDS_MAX], want;
	unsigned long long plen = 0;
	int code, started;

	for (;;) {
		/* one request at a time, so nothing after it is read by mistake */
		have = scan = nul = 0;
		want = 0;
		for (;;) {
			ssize_t r;
			if (want && have >= want)
				break;
			if (have >= sizeof b)
				goto malformed;
			r = read(req, b + have, sizeof b - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				goto done;
			have += (size_t)r;
			for (; nul < nf && scan < have; scan++)
				if (!b[scan])
					f[nul++] = scan;
			if (nul < nf) {
				if (have > cap)
					goto malformed;
				continue;
			}
			if (!want) {
				/* f[0..3] end type, name, secret, stamp; then the tag; the last the count */
				size_t c0 = f[nf - 2], c1 = f[nf - 1];
				if (scan_ulong(b + c0 + 1, c1 - c0 - 1, &plen) != c1 - c0 - 1 || c1 == c0 + 1 ||
				    plen > LOGINMON_PENDING_MAX || f[3] - f[0] > lm->datamax)
					goto malformed;
				if (lm->tag_var && (f[4] - f[3] - 1 > lm->tagmax || f[4] == f[3] + 1))
					goto malformed;
				want = c1 + 1 + (size_t)plen;
				if (!known(lm, b))
					goto malformed;
			}
		}
		if (have != want || tls_take(&tlsin) != 1)
			goto malformed;
		code = chain_run(lm, b, b + f[0] + 1, f[3] - f[0], lm->tag_var ? b + f[3] + 1 : "",
		    b + f[nf - 1] + 1, (size_t)plen, &started);
		memset(b, 0, have);
		if (started || code == 0) {
			/* the server ran the session, however it ended: it is over */
			kill(child, SIGKILL);
			goto done;
		}
		if (write(ans, code == EX_PW_BAD || code == EX_PW_MISUSE ? "N" : "T", 1) != 1)
			goto done;
	}
malformed:
	/* a malformed request means the session process is not itself */
	log_warnx("malformed request from the session process: ", session.remoteip.s);
	kill(child, SIGKILL);
done:
	/* a session process still waiting for an answer gets end of file */
	close(ans);
	while (waitpid(child, 0, 0) == -1 && errno == EINTR)
		;
	_exit(0);
}

void loginmon_args(struct loginmon *lm, int argc, char **argv, int max, const char *server)
{
	static struct str d[3];
	static char *defchain[4];
	const char *const name[3] = { "/bin/kurier-checkpw", "/bin/kurier-checkpw-unix", server };
	size_t i;

	if (argc > max + 1)
		diex(EX_T_TEMP, "too many programs on the command line");
	lm->chain = argv + 1;
	if (argc >= 2)
		return;
	/* the default chain: userdb, then the system accounts, then the server */
	for (i = 0; i < 3; i++) {
		if (!str_copys(&d[i], auto_home) || !str_cats(&d[i], name[i]) || !str_0(&d[i]))
			session_nomem();
		defchain[i] = d[i].s;
	}
	defchain[3] = 0;
	lm->chain = defchain;
}

void loginmon_start(struct loginmon *lm)
{
	int req[2], ans[2], tp[2] = { -1, -1 };
	pid_t pid;

	if (pipe2(req, O_CLOEXEC) == -1 || pipe2(ans, O_CLOEXEC) == -1)
		die(EX_T_TEMP, "cannot make a pipe");
	/* the way for the plaintext end after STARTTLS (tls_take) */
	if (session.tlsfd >= 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tp) == -1)
		die(EX_T_TEMP, "cannot make a socketpair");
	pid = fork();
	if (pid == -1)
		die(EX_T_TEMP, "cannot fork");
	if (pid > 0) {
		close(req[1]);
		close(ans[0]);
		if (session.tlsfd >= 0) {
			close(session.tlsfd);
			close(tp[1]);
		}
		monitor(lm, pid, req[0], ans[1], tp[0]);
	}
	close(req[0]);
	close(ans[1]);
	if (tp[1] >= 0) {
		close(tp[0]);
		session.monfd = tp[1];
	}
	lm->reqfd = req[1];
	lm->ansfd = ans[0];
	/* unique per connection: this process's id and the time */
	if (!str_copys(&lm->stamp, "<") || !str_catu(&lm->stamp, (unsigned long long)getpid()) ||
	    !str_cats(&lm->stamp, ".") || !str_catu(&lm->stamp, (unsigned long long)time(0)) ||
	    !str_cats(&lm->stamp, "@") || !str_cat(&lm->stamp, &session.me) || !str_cats(&lm->stamp, ">"))
		session_nomem();
}

/* ---- the session process's side ---- */

/* writeall - write all n bytes of x to fd; 1 ok, -1 error */
static int writeall(int fd, const char *x, size_t n)
{
	while (n) {
		ssize_t w = buf_unixwrite(fd, (void *)x, n);
		if (w <= 0)
			return -1;
		x += w;
		n -= (size_t)w;
	}
	return 1;
}

int loginmon_login(struct loginmon *lm, const char *type, const char *name, size_t nlen,
    const char *secret, size_t slen, const char *tag)
{
	struct str req = STR_INIT, n = STR_INIT;
	const char *pending;
	size_t plen;
	char ans;
	ssize_t r;

	if (!nlen || !slen || memchr(name, 0, nlen) || memchr(secret, 0, slen))
		return LOGINMON_MALFORMED;
	if (nlen + slen + lm->stamp.len + 3 > lm->datamax)
		return LOGINMON_TOOLONG;
	(void)buf_flush(&session.out);
	/* commands the client sent ahead go to the server; if the login
	 * fails they stay here and are answered in this state */
	pending = buf_peek(&session.in, &plen);
	if (!str_copys(&req, type) || !str_0(&req) || !str_catb(&req, name, nlen) || !str_0(&req) ||
	    !str_catb(&req, secret, slen) || !str_0(&req) || !str_cat(&req, &lm->stamp) || !str_0(&req) ||
	    (lm->tag_var && (!str_cats(&req, tag) || !str_0(&req))) ||
	    !str_catu(&req, plen) || !str_0(&req) || !str_catb(&req, pending, plen))
		session_nomem();
	if (writeall(lm->reqfd, req.s, req.len) != 1)
		_exit(0);
	str_wipe(&req);
	do
		r = read(lm->ansfd, &ans, 1);
	while (r == -1 && errno == EINTR);
	if (r != 1)
		_exit(0);	/* the session ran and is over; the monitor is ending us */
	session_sanitize(&n, name, nlen, LOGINMON_LOGNAME_MAX);
	if (ans == 'N') {
		lm->fails++;
		log_info("login failed: ", session.remoteip.s, " ", type, " ", n.s);
		session_sleep(lm->fails < lm->delaymax ? lm->fails : lm->delaymax);
		str_free(&n);
		return LOGINMON_NO;
	}
	log_warnx("checkpw chain failed: ", session.remoteip.s, " ", type, " ", n.s);
	str_free(&n);
	return LOGINMON_TEMP;
}

void loginmon_challenge(const struct loginmon *lm, struct str *dec)
{
	dec->len = 0;
	if (!base64_encode(lm->stamp.s, lm->stamp.len, dec) || !str_0(dec))
		session_nomem();
	session_say("+ ");
	session_say(dec->s);
	session_say("\r\n");
	dec->len = 0;
}

int loginmon_plain(const char *s, size_t n, struct str *dec, const char **name, size_t *nlen,
    const char **secret, size_t *slen)
{
	size_t z1, z2, i;

	/* RFC 4959 §3, RFC 5034 §4: "=" is the empty response */
	if (n == 1 && s[0] == '=')
		n = 0;
	if (!base64_decode(s, n, dec))
		return LOGINMON_BASE64;
	/* authzid \0 authcid \0 passwd (RFC 4616 §2) */
	z1 = z2 = dec->len;
	for (i = 0; i < dec->len; i++)
		if (!dec->s[i]) { z1 = i; break; }
	for (i = z1 + 1; i < dec->len; i++)
		if (!dec->s[i]) { z2 = i; break; }
	if (z1 >= dec->len || z2 >= dec->len || z2 == z1 + 1 || z2 + 1 == dec->len)
		return LOGINMON_MALFORMED;
	*name = dec->s + z1 + 1;
	*nlen = z2 - z1 - 1;
	*secret = dec->s + z2 + 1;
	*slen = dec->len - z2 - 1;
	/* an authorization identity is allowed only when it is the login itself */
	if (z1 && (z1 != *nlen || memcmp(dec->s, *name, z1)))
		return LOGINMON_AUTHZ;
	return LOGINMON_OK;
}

int loginmon_cram(const char *s, size_t n, struct str *dec, const char **name, size_t *nlen,
    const char **secret, size_t *slen)
{
	size_t i;
	int hex;

	if (!base64_decode(s, n, dec))
		return LOGINMON_BASE64;
	/* "user hexdigest" (RFC 2195 §2): the digest is the last 32 hex digits */
	hex = dec->len > 33 && dec->s[dec->len - 33] == ' ';
	for (i = hex ? dec->len - 32 : dec->len; i < dec->len; i++)
		if (!((dec->s[i] >= '0' && dec->s[i] <= '9') || (dec->s[i] >= 'a' && dec->s[i] <= 'f')))
			hex = 0;
	/* a NUL in the name would end it early in the checkpw request;
	 * loginmon_login refuses it too, but the parser says so first */
	if (!hex || memchr(dec->s, 0, dec->len - 33))
		return LOGINMON_MALFORMED;
	*name = dec->s;
	*nlen = dec->len - 33;
	*secret = dec->s + dec->len - 32;
	*slen = 32;
	return LOGINMON_OK;
}
