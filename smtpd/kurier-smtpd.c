/*
 * kurier-smtpd - the ESMTP server (RFC 5321) for port 25, submission
 * (587) and SMTPS (465).
 * runs as:  kurierd, under tcpserver (ucspi-tcp), one process per
 *           connection; if started as root it becomes kurierd itself.
 *           Before it confines itself it forks its monitor (monitor.c),
 *           which runs the setuid kurier-queue and checkpw helpers for it,
 *           since a process with no_new_privs cannot.
 * input:    the client on fd 0, replies on fd 1, log lines on fd 2; the
 *           environment tcpserver, envdir and smtpaccess set (see
 *           kurier-smtpd(8)); optionally a kurier-tlsd control descriptor
 *           (KURIER_TLSFD): fd 0/1 stay the client's TCP socket itself
 *           until STARTTLS, then kurier-tlsd's plaintext end replaces them.
 * trusts:   the environment and conf-home (root's); nothing the client
 *           sends.  It holds no secret and writes the queue only by
 *           running kurier-queue; passwords go to the checkpw chain.
 * exit:     0 when the session ends (QUIT, disconnect, timeout, too many
 *           errors); 111 (EX_T_TEMP) when it cannot start: unreadable
 *           configuration, no memory, the sandbox failed.
 * cost:     with kurier's own queue program, one kurier-queue -s for all
 *           the messages of a connection, started at its first DATA or
 *           BDAT; with another (KURIERQUEUE), one run per message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "buf.h"
#include "control.h"
#include "dataread.h"
#include "exitcode.h"
#include "filter.h"
#include "log.h"
#include "mimelimit.h"
#include "monitor.h"
#include "rcptcheck.h"
#include "sandbox.h"
#include "scan.h"
#include "smtpparse.h"
#include "str.h"
#include "tlsctl.h"
#include "../queue/date822.h"
#include "smtpd/smtpd-bpf.h"

extern char **environ;

#define SMTPD_TIMEOUT_DEFAULT 300	/* RFC 5321 §4.5.3.2.7: 5 minutes per command */
#define SMTPD_TIMEOUT_MAX    3600	/* poll(2) takes int milliseconds */
#define SMTPD_ERRORS_MAX       10	/* bad commands before we hang up (SECURITY.md 5) */
#define SMTPD_MAXRCPTS_DEFAULT 100	/* RFC 5321 §4.5.3.1.8: at least 100 */
#define SMTPD_SIZE_DEFAULT  26214400ULL	/* when neither sizelimit nor databytes says */
#define SMTPD_HOPS_MAX        100	/* RFC 5321 §6.3; SECURITY.md 13 */
#define SMTPD_HEADER_MAX (1024 * 1024)	/* the header section is held in memory */
#define SMTPD_MIMELINE_MAX   1000	/* RFC 5321 §4.5.3.1.6: a text line */
#define SMTPD_HELO_MAX         96	/* HELO text kept for the Received line */
#define SMTPD_INFO_MAX         96	/* host/ident text kept for the Received line */
#define SMTPD_AUTHFAIL_MAX      5	/* failed AUTHs before we hang up */
#define SMTPD_AUTHDELAY_MAX    10	/* seconds: the failure delay grows up to this */
#define SMTPD_CHECKPW_MAX     512	/* checkpassword reads at most 512 bytes on fd 3 */
#define SMTPD_CHECKPW_ARGS     16	/* helpers in a KURIER_CHECKPW chain */
#define SMTPD_MEM_LIMIT  64000000ULL	/* RLIMIT_AS: as the run script's softlimit */
#define SMTPD_NOFILE           64	/* descriptors: the socket, pipes, one cdb */
#define SMTPD_BLOCKTEXT_MAX   200	/* RBLSMTPD / BLOCK text in a reply */

enum { MODE_MX, MODE_SUBMISSION, MODE_SMTPS };

static struct buf in, cout;
static char inspace[BUF_SIZE], outspace[BUF_SIZE];
static int timeout = SMTPD_TIMEOUT_DEFAULT;

static struct str me, greeting, helo, line, tmp, tmp2;
static struct str remoteip, remotehost, remoteinfo;
static struct str badfrom, spamtrap;	/* lower-case NUL-separated lists from bofh */
static struct str blocktext;		/* full reply line for RBLSMTPD/BLOCK, or empty */
static int mode = MODE_MX;
static int seen_helo;			/* 0 none, 1 HELO, 2 EHLO */
static int tls, tlsfd = -1, auth_plaintext, vrfy_on;
static int authed, authfails, errors;
static struct str authuser;
static const char *relayclient;
static unsigned long long sizelimit, maxrcpts = SMTPD_MAXRCPTS_DEFAULT;
static int maxrcpts_hard;
static struct rcptcheck rc;
static const char *home;
static int mon = -1;			/* the monitor's socket (monitor.h) */
static int qsession;			/* the queue is kurier's own: one kurier-queue -s per connection */
static struct monitor_qs qs = MONITOR_QS_INIT;	/* that kurier-queue -s, once started */
static struct sandbox_ids dids;		/* kurierd's ids, when started as root */
static int root;			/* started as root: drop to dids */

/* the transaction */
static int have_mail, smtputf8, trapped;
static unsigned long nrcpts;
static struct str env;			/* F<sender>\0T<rcpt>\0... */

/* the message being received */
struct msg {
	int active;
	pid_t pid;
	int envfd;			/* one-shot: the envelope pipe; -1 with qsession */
	struct buf q;			/* the message: a pipe, or frames to kurier-queue -s */
	char qspace[BUF_SIZE];
	struct dataread dr;
	struct mime_limit mime;
	struct str hdr, mline, text;
	size_t hdrline;			/* start of the current header line in hdr */
	int in_hdr, hops, have_date, have_msgid;
	unsigned long long size;
	int toobig, hdrtoobig, qerr, nomem;
};
static struct msg m;

/* die_nomem - log and leave when memory runs out */
static void die_nomem(void) __attribute__((noreturn));
static void die_nomem(void)
{
	(void)buf_putflush(&cout, "421 4.3.0 out of memory\r\n", 25);
	diex(EX_T_TEMP, "out of memory");
}

/* safewrite - write to the client; leave quietly if it has gone */
static ssize_t safewrite(int fd, void *x, size_t n)
{
	ssize_t r = buf_unixwrite(fd, x, n);

	if (r <= 0)
		_exit(0);
	return r;
}

/* say - queue text for the client; replies go out when we next wait for input */
static void say(const char *s)
{
	(void)buf_puts(&cout, s);
}

/* sayb - queue n bytes for the client */
static void sayb(const char *s, size_t n)
{
	(void)buf_put(&cout, s, n);
}

/* bye - send the last reply and leave, after the session's kurier-queue -s
 * has seen the end of its input and exited (a message in progress is
 * removed by it) */
static void bye(const char *s) __attribute__((noreturn));
static void bye(const char *s)
{
	say(s);
	(void)buf_flush(&cout);
	(void)monitor_qs_close(mon, &qs);
	_exit(0);
}

/* saferead - flush our replies, then wait for client bytes at most timeout seconds */
static ssize_t saferead(int fd, void *x, size_t n)
{
	struct pollfd p;
	ssize_t r;
	int e;

	(void)buf_flush(&cout);
	p.fd = fd;
	p.events = POLLIN;
	do
		e = poll(&p, 1, timeout * 1000);
	while (e == -1 && errno == EINTR);
	if (e == 0) {
		log_info("timeout: ", remoteip.s);
		bye("421 4.4.2 timeout, closing connection\r\n");
	}
	r = buf_unixread(fd, x, n);
	if (r <= 0)
		_exit(0);
	return r;
}

/* error_count - count a client error; hang up after SMTPD_ERRORS_MAX */
static void error_count(void)
{
	if (++errors >= SMTPD_ERRORS_MAX) {
		log_info("too many errors: ", remoteip.s);
		bye("421 4.7.0 too many errors, closing connection\r\n");
	}
}

/* sanitize - append s to out keeping only bytes safe in a header comment, at most max */
static void sanitize(struct str *out, const char *s, size_t max)
{
	size_t i;

	out->len = 0;
	for (i = 0; s && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 33 || c > 126 || c == '(' || c == ')' || c == '[' || c == ']' ||
		    c == '\\' || c == '"' || c == ';')
			c = '?';
		if (!str_append(out, (char)c))
			die_nomem();
	}
	if (!str_readyplus(out, 0))
		die_nomem();
	out->s[out->len] = 0;
}

/* date822 - the current time as an RFC 5322 date-time in UTC into out */
static void date822(struct str *out)
{
	char d[DATE822_MAX];

	if (!str_catb(out, d, date822_fmt(d, time(0))))
		die_nomem();
}

/* transaction_reset - forget MAIL, RCPTs and any message in progress */
static void msg_abort(void);
static void transaction_reset(void)
{
	have_mail = 0;
	smtputf8 = 0;
	trapped = 0;
	nrcpts = 0;
	env.len = 0;
	if (m.active)
		msg_abort();
}

/* list_has - 1 if the NUL-separated list holds the C string s */
static int list_has(const struct str *list, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < list->len; i += strlen(list->s + i) + 1)
		if (strlen(list->s + i) == n && memcmp(list->s + i, s, n) == 0)
			return 1;
	return 0;
}

/* ctlpath - home/control/name into out */
static const char *ctlpath(struct str *out, const char *name)
{
	if (!str_copys(out, home) || !str_cats(out, "/control/") || !str_cats(out, name))
		die_nomem();
	return out->s;
}

/* env_flag - 1 if the environment variable is set, non-empty and not "0" */
static int env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

/* bofh_read - maxrcpts, badfrom and spamtrap from control/bofh */
static void bofh_read(void)
{
	struct str list = STR_INIT;
	size_t i;
	int r = control_readlist(&list, ctlpath(&tmp, "bofh"));

	if (r < 0)
		die(EX_T_TEMP, "cannot read control/bofh");
	for (i = 0; i < list.len; i += strlen(list.s + i) + 1) {
		char *l = list.s + i, *w = l;
		unsigned long long u;
		struct str *to = 0;

		while (*w && *w != ' ' && *w != '\t')
			w++;
		if (*w)
			*w++ = 0;
		while (*w == ' ' || *w == '\t')
			w++;
		if (!strcmp(l, "maxrcpts")) {
			size_t k = scan_ulong(w, strlen(w), &u);
			if (k && u) {
				maxrcpts = u;
				w += k;
				while (*w == ' ' || *w == '\t')
					w++;
				maxrcpts_hard = !strcmp(w, "hard");
			}
			continue;
		}
		if (!strcmp(l, "badfrom"))
			to = &badfrom;
		else if (!strcmp(l, "spamtrap"))
			to = &spamtrap;
		if (to && *w) {
			if (!rcpt_lower(&tmp2, w, strlen(w)) || !str_cat(to, &tmp2) || !str_0(to))
				die_nomem();
		}
	}
	str_free(&list);
}

/* limit_read - a size setting: the environment variable if set, else the control file */
static unsigned long long limit_read(const char *var, const char *file)
{
	unsigned long long u = 0;
	const char *v = getenv(var);

	if (v && *v) {
		if (!scan_ulongs(v, &u))
			diex(EX_T_TEMP, var, " is not a number");
		return u;
	}
	if (control_readulong(&u, ctlpath(&tmp, file), 0) < 0)
		die(EX_T_TEMP, "cannot read control/", file);
	return u;
}

/* config - read settings and the environment before the sandbox closes */
static void config(void)
{
	const char *v;
	unsigned long long u, a, b;
	int r;

	home = getenv("KURIER_HOME");
	if (!home || !*home)
		home = auto_home;
	r = control_readline(&me, ctlpath(&tmp, "me"), "");
	if (r < 0)
		die(EX_T_TEMP, "cannot read control/me");
	if (r == 0) {
		char host[256];
		if (gethostname(host, sizeof host - 1) == -1)
			die(EX_T_TEMP, "cannot get the host name");
		host[sizeof host - 1] = 0;
		if (!str_copys(&me, host))
			die_nomem();
	}
	if (!str_0(&me))
		die_nomem();
	me.len--;
	if (control_readline(&greeting, ctlpath(&tmp, "smtpgreeting"), "") < 0)
		die(EX_T_TEMP, "cannot read control/smtpgreeting");
	if (control_readulong(&u, ctlpath(&tmp, "timeoutsmtpd"), SMTPD_TIMEOUT_DEFAULT) < 0)
		die(EX_T_TEMP, "cannot read control/timeoutsmtpd");
	timeout = (int)(u && u <= SMTPD_TIMEOUT_MAX ? u : SMTPD_TIMEOUT_DEFAULT);
	a = limit_read("SIZELIMIT", "sizelimit");
	b = limit_read("DATABYTES", "databytes");
	sizelimit = a && (!b || a < b) ? a : b;
	if (!sizelimit)
		sizelimit = SMTPD_SIZE_DEFAULT;
	bofh_read();

	v = getenv("KURIER_SMTPMODE");
	if (v && !strcmp(v, "submission"))
		mode = MODE_SUBMISSION;
	else if (v && !strcmp(v, "smtps"))
		mode = MODE_SMTPS;
	else if (v && *v && strcmp(v, "mx"))
		diex(EX_T_TEMP, "KURIER_SMTPMODE must be mx, submission or smtps");
	/* only kurier-tlsd says TLS is on: smtps mode without it stays plaintext */
	tls = env_flag("KURIER_TLS");
	v = getenv("KURIER_TLSFD");
	if (v && *v) {
		if (!scan_ulongs(v, &u) || u < 3 || u > 1000 || fcntl((int)u, F_GETFD) == -1)
			diex(EX_T_TEMP, "KURIER_TLSFD is not an open descriptor");
		tlsfd = (int)u;
		(void)fcntl(tlsfd, F_SETFD, FD_CLOEXEC);
	}
	auth_plaintext = env_flag("AUTH_PLAINTEXT_OK");
	if (!auth_plaintext) {
		r = control_readline(&tmp2, ctlpath(&tmp, "smtpauthplaintext"), "");
		if (r < 0)
			die(EX_T_TEMP, "cannot read control/smtpauthplaintext");
		auth_plaintext = r == 1 && str_equals(&tmp2, "1");
	}
	vrfy_on = env_flag("KURIER_VRFY");
	relayclient = getenv("RELAYCLIENT");
	sanitize(&remoteip, getenv("TCPREMOTEIP"), SMTPD_INFO_MAX);
	if (!remoteip.len && !str_copys(&remoteip, "unknown"))
		die_nomem();
	sanitize(&remotehost, getenv("TCPREMOTEHOST"), SMTPD_INFO_MAX);
	sanitize(&remoteinfo, getenv("TCPREMOTEINFO"), SMTPD_INFO_MAX);

	/* rblsmtpd's convention: a leading "-" makes the refusal permanent */
	v = getenv("RBLSMTPD");
	if (v && *v) {
		int perm = *v == '-';
		sanitize(&tmp2, v + perm, SMTPD_BLOCKTEXT_MAX);
		if (!str_copys(&blocktext, perm ? "553 5.7.1 " : "451 4.7.1 ") ||
		    !str_cat(&blocktext, &tmp2) || !str_cats(&blocktext, "\r\n"))
			die_nomem();
	}
	v = getenv("BLOCK");
	if (v && *v && !blocktext.len) {
		sanitize(&tmp2, v, SMTPD_BLOCKTEXT_MAX);
		if (!str_copys(&blocktext, "553 5.7.1 ") || !str_cat(&blocktext, &tmp2) ||
		    !str_cats(&blocktext, "\r\n"))
			die_nomem();
	}
	rc.home = home;
	rc.localip = getenv("TCPLOCALIP");
	rc.passwd = getenv("KURIER_PASSWD");
	if (!rc.passwd || !*rc.passwd)
		rc.passwd = "/etc/passwd";
}

/* confine - enter the sandbox: kurierd if root; files, pipes and sendmsg only */
static void confine(void)
{
	static const int extra[] = SMTPD_SANDBOX_EXTRA;
	struct sandbox sb;

	memset(&sb, 0, sizeof sb);
	sb.ids = root ? &dids : 0;
	sb.allow = SMTPD_SANDBOX_ALLOW;
	sb.extra = extra;
	sb.mem = SMTPD_MEM_LIMIT;	/* lib/sandbox leaves it under ASan */
	sb.nofile = SMTPD_NOFILE;
	/* the filter as filter-gen built it from the same allow and extra */
	if (sandbox_enter_prog(&sb, smtpd_bpf, sizeof smtpd_bpf) != 1) {
		say("421 4.3.0 temporary failure\r\n");
		(void)buf_flush(&cout);
		die(EX_T_TEMP, "cannot enter the sandbox");
	}
}

/* ---- the message ---- */

/* queue_start - have the monitor run kurier-queue for one message and point
 * m.q (and m.envfd) at it; 1 ok, 0 failed (reply sent) */
static int queue_start(void)
{
	int mp[2], ep[2], r;

	if (qsession) {
		/* the session's kurier-queue -s, or a new one that starts while
		 * the client sends the message: whether it did is read in
		 * msg_finish, before any reply */
		if (monitor_qs_open(mon, &qs) != 1) {
			log_warn("the monitor could not run kurier-queue");
			say("451 4.3.0 temporary failure\r\n");
			return 0;
		}
		m.envfd = -1;
		buf_init(&m.q, monitor_qs_write, qs.fd, m.qspace, sizeof m.qspace);
		return 1;
	}
	if (pipe2(mp, O_CLOEXEC) == -1) {
		log_warn("cannot create a pipe");
		say("451 4.3.0 temporary failure\r\n");
		return 0;
	}
	if (pipe2(ep, O_CLOEXEC) == -1) {
		log_warn("cannot create a pipe");
		close(mp[0]);
		close(mp[1]);
		say("451 4.3.0 temporary failure\r\n");
		return 0;
	}
	/* the monitor starts kurier-queue while the client sends the message:
	 * whether it started is read in msg_finish, before any reply */
	r = monitor_queue(mon, mp[0], ep[0]);
	close(mp[0]);
	close(ep[0]);
	if (r != 1) {
		log_warnx("the monitor could not run kurier-queue");
		close(mp[1]);
		close(ep[1]);
		say("451 4.3.0 temporary failure\r\n");
		return 0;
	}
	m.envfd = ep[1];
	buf_init(&m.q, buf_unixwrite, mp[1], m.qspace, sizeof m.qspace);
	return 1;
}

/* msg_start - get kurier-queue ready and the body's state; 1 ok, 0 failed (reply sent) */
static int msg_start(void)
{
	if (!queue_start())
		return 0;
	m.active = 1;
	dataread_init(&m.dr);
	mime_init(&m.mime);
	m.hdr.len = 0;
	m.hdr.max = SMTPD_HEADER_MAX;
	m.mline.len = 0;
	m.text.len = 0;
	m.hdrline = 0;
	m.in_hdr = 1;
	m.hops = m.have_date = m.have_msgid = 0;
	m.size = 0;
	m.toobig = m.hdrtoobig = m.qerr = m.nomem = 0;
	return 1;
}

/* qput - send bytes on to kurier-queue, noting a failure */
static void qput(const char *s, size_t n)
{
	if (!m.qerr && !m.toobig && buf_put(&m.q, s, n) < 0)
		m.qerr = 1;
}

/* prefix_ci - 1 if s[0..n) starts with the C string t, any ASCII case */
static int prefix_ci(const char *s, size_t n, const char *t)
{
	size_t k = strlen(t);

	return n >= k && smtp_case_eq(s, k, t);
}

/* received - our Received: line into out */
static void received(struct str *o)
{
	const char *proto = seen_helo == 1 ? "SMTP" : tls && authed ? "ESMTPSA" :
	    tls ? "ESMTPS" : authed ? "ESMTPA" : "ESMTP";

	o->len = 0;
	if (!str_cats(o, "Received: from ") || !str_cat(o, &helo) ||
	    !str_cats(o, " (") || !str_cats(o, remotehost.len ? remotehost.s : "unknown") ||
	    !str_cats(o, " [") || !str_cat(o, &remoteip) || !str_cats(o, "])\n"))
		die_nomem();
	if (remoteinfo.len && (!str_cats(o, "\t(ident ") || !str_cat(o, &remoteinfo) ||
	    !str_cats(o, ")\n")))
		die_nomem();
	if (!str_cats(o, "\tby ") || !str_cat(o, &me) || !str_cats(o, " (kurier-smtpd) with ") ||
	    !str_cats(o, proto) || !str_cats(o, "; "))
		die_nomem();
	date822(o);
	if (!str_cats(o, "\n"))
		die_nomem();
}

/* header_end - the header section is complete: write ours, then it, to the queue */
static void header_end(void)
{
	static unsigned long count;
	size_t n = m.hdr.len;
	int blank = n && m.hdr.s[n - 1] == '\n' && (n == 1 || m.hdr.s[n - 2] == '\n');

	m.in_hdr = 0;
	received(&tmp);
	qput(tmp.s, tmp.len);
	if (blank)
		n--;
	qput(m.hdr.s, n);
	if (n && m.hdr.s[n - 1] != '\n')
		qput("\n", 1);
	if (mode != MODE_MX) {
		/* RFC 6409 §8.2, §8.3: a submission server may add what is missing */
		if (!m.have_date) {
			tmp.len = 0;
			if (!str_cats(&tmp, "Date: "))
				die_nomem();
			date822(&tmp);
			if (!str_cats(&tmp, "\n"))
				die_nomem();
			qput(tmp.s, tmp.len);
		}
		if (!m.have_msgid) {
			tmp.len = 0;
			if (!str_cats(&tmp, "Message-ID: <") || !str_catu(&tmp, (unsigned long long)time(0)) ||
			    !str_cats(&tmp, ".") || !str_catu(&tmp, (unsigned long long)getpid()) ||
			    !str_cats(&tmp, ".") || !str_catu(&tmp, ++count) || !str_cats(&tmp, "@") ||
			    !str_cat(&tmp, &me) || !str_cats(&tmp, ">\n"))
				die_nomem();
			qput(tmp.s, tmp.len);
		}
	}
	if (blank)
		qput("\n", 1);
	m.hdr.len = 0;
}

/* header_line - look at one complete header line hdr[start..len) */
static void header_line(const char *l, size_t n)
{
	if (prefix_ci(l, n, "received:") && ++m.hops > SMTPD_HOPS_MAX)
		m.hops = SMTPD_HOPS_MAX + 1;
	if (prefix_ci(l, n, "date:"))
		m.have_date = 1;
	if (prefix_ci(l, n, "message-id:"))
		m.have_msgid = 1;
}

/* msg_text - take decoded message text (LF line ends) */
static void msg_text(const char *s, size_t n)
{
	/* overflow-safe: a size past the limit stays past it */
	if (n > sizelimit || m.size > sizelimit - n)
		m.toobig = 1;
	else
		m.size += n;
	while (n) {
		const char *nl = memchr(s, '\n', n);
		size_t k = nl ? (size_t)(nl - s) + 1 : n;
		size_t room = SMTPD_MIMELINE_MAX - m.mline.len;

		/* MIME sees each line, cut to a text line's length */
		if (room && !str_catb(&m.mline, s, k - (nl != 0) < room ? k - (nl != 0) : room))
			m.nomem = 1;
		if (nl) {
			if (!mime_line(&m.mime, m.mline.s ? m.mline.s : "", m.mline.len))
				m.nomem = 1;
			m.mline.len = 0;
		}
		if (m.in_hdr) {
			if (!m.hdrtoobig && !str_catb(&m.hdr, s, k))
				m.hdrtoobig = 1;
			if (nl && !m.hdrtoobig) {
				const char *l = m.hdr.s + m.hdrline;
				size_t ll = m.hdr.len - m.hdrline - 1;
				if (ll == 0) {
					header_end();
					m.hdrline = 0;
				} else {
					header_line(l, ll);
					m.hdrline = m.hdr.len;
				}
			}
		} else {
			qput(s, k);
		}
		s += k;
		n -= k;
	}
}

/* msg_abort - stop kurier-queue without queueing: close both pipes before the
 * envelope; kurier-queue -s sees its input end inside the message, removes
 * it and exits, and the next message starts a new one */
static void msg_abort(void)
{
	if (qsession) {
		(void)monitor_qs_close(mon, &qs);
	} else {
		close(m.q.fd);
		close(m.envfd);
		(void)monitor_queue_wait(mon, &m.pid);
	}
	m.active = 0;
	mime_free(&m.mime);
	m.hdr.len = 0;
}

/* msg_finish - decide about the message and reply to the client */
static void msg_finish(void)
{
	const char *no = 0;
	int code;

	if (m.in_hdr && !m.hdrtoobig)
		header_end();
	if (m.dr.nul)
		no = "554 5.6.0 message contains NUL bytes\r\n";
	else if (m.dr.bare)
		no = "550 5.6.0 bare CR or LF in message; lines must end with CRLF\r\n";
	else if (m.toobig)
		no = "552 5.3.4 message exceeds the size limit\r\n";
	else if (m.hdrtoobig)
		no = "552 5.3.4 header section too large\r\n";
	else if (m.hops > SMTPD_HOPS_MAX)
		no = "554 5.4.6 too many hops, mail loop?\r\n";
	else if (mime_result(&m.mime) != MIME_OK)
		no = "554 5.6.0 MIME structure too complex\r\n";
	else if (m.nomem)
		no = "451 4.3.0 out of memory\r\n";
	else if (m.qerr || (!qsession && buf_flush(&m.q) < 0))
		no = "451 4.3.0 cannot write to the queue\r\n";
	if (no) {
		msg_abort();
		if (!str_copyb(&tmp2, no, strlen(no) - 2) || !str_0(&tmp2))
			die_nomem();
		log_info("refused: from ", remoteip.s, ": ", tmp2.s);
		say(no);
		transaction_reset();
		return;
	}
	if (!str_0(&env))
		die_nomem();
	if (qsession) {
		/* what the buffer still holds and the envelope go in one write */
		code = monitor_qs_finish(mon, &qs, m.q.x, m.q.len, env.s, env.len, &m.pid);
		m.q.len = 0;
	} else {
		size_t done = 0;
		close(m.q.fd);
		while (done < env.len) {
			ssize_t w = buf_unixwrite(m.envfd, env.s + done, env.len - done);
			if (w <= 0)
				break;
			done += (size_t)w;
		}
		close(m.envfd);
		code = monitor_queue_wait(mon, &m.pid);
	}
	if (m.pid <= 0)
		log_warnx("the monitor could not run kurier-queue");
	m.active = 0;
	mime_free(&m.mime);
	if (code == EX_Q_OK) {
		char num[FMT_ULONG], nr[FMT_ULONG], sz[FMT_ULONG];
		num[fmt_ulong(num, (unsigned long long)m.pid)] = 0;
		nr[fmt_ulong(nr, nrcpts)] = 0;
		sz[fmt_ulong(sz, m.size)] = 0;
		log_info("accepted: ", remoteip.s, " from <", env.s + 1, "> rcpts ", nr,
		    " bytes ", sz, " qp ", num);
		say("250 2.0.0 ok qp ");
		say(num);
		say("\r\n");
	} else if (code > 0 && exitcode_queue_permanent(code)) {
		say("554 5.3.0 mail refused by the queue\r\n");
	} else {
		say("451 4.3.0 temporary queue failure\r\n");
	}
	transaction_reset();
}

/* ---- commands ---- */

/* cmd_helo - HELO and EHLO: remember the name, reset, list the extensions */
static void cmd_helo(const struct smtp_cmd *c, int ehlo)
{
	char num[FMT_ULONG];

	if (!c->arglen) {
		say("501 5.5.4 HELO/EHLO requires a domain\r\n");
		error_count();
		return;
	}
	if (!str_copyb(&tmp2, c->arg, c->arglen) || !str_0(&tmp2))
		die_nomem();
	sanitize(&helo, tmp2.s, SMTPD_HELO_MAX);
	log_info("helo: ", remoteip.s, " ", helo.s);
	transaction_reset();
	seen_helo = ehlo ? 2 : 1;
	say("250");
	say(ehlo ? "-" : " ");
	sayb(me.s, me.len);
	say(" hello\r\n");
	if (!ehlo)
		return;
	num[fmt_ulong(num, sizelimit)] = 0;
	say("250-PIPELINING\r\n250-SIZE ");
	say(num);
	say("\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n");
	if (tlsfd >= 0 && !tls)
		say("250-STARTTLS\r\n");
	if ((tls || auth_plaintext) && !authed)
		say("250-AUTH PLAIN LOGIN CRAM-MD5\r\n");
	say("250 CHUNKING\r\n");
}

/* badfrom_has - 1 if the sender (lower case) or its "@domain" is in bofh badfrom */
static int badfrom_has(const struct str *a)
{
	size_t d = smtp_addr_domain(a->s, a->len);

	if (!a->len)
		return 0;
	if (list_has(&badfrom, a->s, a->len))
		return 1;
	return d > 0 && d < a->len && list_has(&badfrom, a->s + d - 1, a->len - d + 1);
}

/* cmd_mail - MAIL FROM:<path> [params] */
static void cmd_mail(const struct smtp_cmd *c)
{
	struct smtp_param p[SMTP_PARAMS_MAX];
	size_t used, np, i;
	int utf8 = 0, want_utf8 = 0, r;
	const char *a = c->arg;
	size_t n = c->arglen;

	if (!seen_helo) { say("503 5.5.1 send HELO or EHLO first\r\n"); error_count(); return; }
	if (have_mail) { say("503 5.5.1 nested MAIL command\r\n"); error_count(); return; }
	if (m.active) { say("503 5.5.1 a BDAT transfer is in progress\r\n"); return; }
	if (mode != MODE_MX && !authed) {	/* RFC 6409 §4.3, RFC 8314 §3.3 */
		say("530 5.7.0 authentication required\r\n");
		return;
	}
	if (blocktext.len && !authed && !relayclient) {
		sayb(blocktext.s, blocktext.len);
		return;
	}
	if (n < 5 || !smtp_case_eq(a, 5, "FROM:")) {
		say("501 5.5.4 syntax: MAIL FROM:<address>\r\n");
		error_count();
		return;
	}
	a += 5; n -= 5;
	while (n && *a == ' ') { a++; n--; }
	r = smtp_parse_path(a, n, &used, &tmp, &utf8);
	if (r != PATH_OK) {
		say(r == PATH_TOOLONG ? "501 5.1.7 sender address too long\r\n" :
		    "501 5.1.7 bad sender address syntax\r\n");
		error_count();
		return;
	}
	if (used < n && a[used] != ' ') {
		say("501 5.5.4 syntax error after the address\r\n");
		error_count();
		return;
	}
	if (!smtp_parse_params(a + used, n - used, p, SMTP_PARAMS_MAX, &np)) {
		say("501 5.5.4 bad ESMTP parameter\r\n");
		error_count();
		return;
	}
	for (i = 0; i < np; i++) {
		if (smtp_param_is(&p[i], "SIZE") && p[i].val) {
			unsigned long long u;
			if (scan_ulong(p[i].val, p[i].vallen, &u) != p[i].vallen) {
				say("501 5.5.4 bad SIZE value\r\n");
				error_count();
				return;
			}
			if (u > sizelimit) {
				say("552 5.3.4 message size exceeds the limit\r\n");
				return;
			}
		} else if (smtp_param_is(&p[i], "BODY") && p[i].val &&
		    (smtp_case_eq(p[i].val, p[i].vallen, "7BIT") ||
		     smtp_case_eq(p[i].val, p[i].vallen, "8BITMIME"))) {
			;
		} else if (smtp_param_is(&p[i], "SMTPUTF8") && !p[i].val && seen_helo == 2) {
			want_utf8 = 1;
		} else if (smtp_param_is(&p[i], "AUTH") && p[i].val) {
			;	/* RFC 4954 §5: we do not trust the client's claim */
		} else {
			say("555 5.5.4 unsupported MAIL parameter\r\n");
			error_count();
			return;
		}
	}
	if (utf8 && !want_utf8) {
		say("553 5.6.7 non-ASCII address needs SMTPUTF8\r\n");
		return;
	}
	if (!rcpt_lower(&tmp2, tmp.s ? tmp.s : "", tmp.len))
		die_nomem();
	if (badfrom_has(&tmp2)) {
		log_info("badfrom: ", remoteip.s, " <", tmp2.s, ">");
		say("550 5.7.1 sender rejected\r\n");
		return;
	}
	env.len = 0;
	if (!str_cats(&env, "F") || !str_cat(&env, &tmp) || !str_0(&env))
		die_nomem();
	have_mail = 1;
	smtputf8 = want_utf8;
	say("250 2.1.0 sender ok\r\n");
}

/* cmd_rcpt - RCPT TO:<path> */
static void cmd_rcpt(const struct smtp_cmd *c)
{
	struct smtp_param p[SMTP_PARAMS_MAX];
	size_t used, np;
	int utf8 = 0, r;
	const char *a = c->arg;
	size_t n = c->arglen;

	if (!have_mail) { say("503 5.5.1 send MAIL first\r\n"); error_count(); return; }
	if (m.active) { say("503 5.5.1 a BDAT transfer is in progress\r\n"); return; }
	if (n < 3 || !smtp_case_eq(a, 3, "TO:")) {
		say("501 5.5.4 syntax: RCPT TO:<address>\r\n");
		error_count();
		return;
	}
	a += 3; n -= 3;
	while (n && *a == ' ') { a++; n--; }
	r = smtp_parse_path(a, n, &used, &tmp, &utf8);
	if (r != PATH_OK || !tmp.len) {
		say(r == PATH_TOOLONG ? "501 5.1.3 recipient address too long\r\n" :
		    "501 5.1.3 bad recipient address syntax\r\n");
		error_count();
		return;
	}
	if ((used < n && a[used] != ' ') ||
	    !smtp_parse_params(a + used, n - used, p, SMTP_PARAMS_MAX, &np)) {
		say("501 5.5.4 bad ESMTP parameter\r\n");
		error_count();
		return;
	}
	if (np) {
		say("555 5.5.4 unsupported RCPT parameter\r\n");
		error_count();
		return;
	}
	if (utf8 && !smtputf8) {
		say("553 5.6.7 non-ASCII address needs SMTPUTF8\r\n");
		return;
	}
	if (trapped) {
		say("550 5.7.1 recipient rejected\r\n");
		return;
	}
	if (nrcpts >= maxrcpts) {
		say(maxrcpts_hard ? "552 5.5.3 too many recipients\r\n" :
		    "452 4.5.3 too many recipients\r\n");
		return;
	}
	if (!rcpt_lower(&tmp2, tmp.s, tmp.len))
		die_nomem();
	if (list_has(&spamtrap, tmp2.s, tmp2.len)) {
		log_info("spamtrap: ", remoteip.s, " <", tmp2.s, ">");
		trapped = 1;
		say("550 5.7.1 recipient rejected\r\n");
		return;
	}
	switch (rcpt_check(&rc, tmp.s, tmp.len)) {
	case RCPT_TEMP:
		log_warn("cannot check a recipient");
		say("451 4.3.0 temporary failure checking the recipient\r\n");
		return;
	case RCPT_UNKNOWN:
		say("550 5.1.1 no such user here\r\n");
		return;
	case RCPT_FOREIGN:
		if (!relayclient && !authed) {
			say("550 5.7.1 relaying denied\r\n");
			return;
		}
		break;
	}
	if (!memchr(tmp.s, '@', tmp.len)) {
		/* <postmaster> alone: the mailbox on this host */
		if (!str_cats(&tmp, "@") || !str_cat(&tmp, &me))
			die_nomem();
	}
	if (!str_cats(&env, "T") || !str_cat(&env, &tmp) ||
	    (relayclient && !str_cats(&env, relayclient)) || !str_0(&env))
		die_nomem();
	nrcpts++;
	say("250 2.1.5 recipient ok\r\n");
}

/* data_ready - the checks DATA and the first BDAT share; 1 go on, 0 replied */
static int data_ready(void)
{
	if (!have_mail) { say("503 5.5.1 send MAIL first\r\n"); error_count(); return 0; }
	if (!nrcpts) { say("554 5.5.1 no valid recipients\r\n"); return 0; }
	if (trapped) { say("554 5.7.1 message rejected\r\n"); transaction_reset(); return 0; }
	return 1;
}

/* cmd_data - DATA: read the body up to CRLF.CRLF */
static void cmd_data(const struct smtp_cmd *c)
{
	if (c->arglen) { say("501 5.5.4 DATA takes no argument\r\n"); error_count(); return; }
	if (m.active) { say("503 5.5.1 a BDAT transfer is in progress\r\n"); return; }
	if (!data_ready() || !msg_start())
		return;
	say("354 go ahead, end with <CRLF>.<CRLF>\r\n");
	while (!m.dr.done) {
		char *p;
		size_t have, used;

		if (buf_feed(&in) <= 0)
			_exit(0);
		p = buf_peek(&in, &have);
		m.text.len = 0;
		used = dataread_data(&m.dr, p, have, &m.text);
		if (!used)
			die_nomem();
		buf_seek(&in, used);
		msg_text(m.text.s, m.text.len);
	}
	msg_finish();
}

/* cmd_bdat - BDAT size [LAST] (RFC 3030): always read the chunk, then judge */
static void cmd_bdat(const struct smtp_cmd *c)
{
	unsigned long long size, left;
	size_t k = scan_ulong(c->arg, c->arglen, &size);
	int last = 0, ok = 1;
	char num[FMT_ULONG];

	if (!k || (k < c->arglen && !(c->arglen - k == 5 && smtp_case_eq(c->arg + k, 5, " LAST")))) {
		/* without a valid size we cannot find the next command */
		bye("501 5.5.4 syntax: BDAT size [LAST]; closing connection\r\n");
	}
	last = k < c->arglen;
	if (!m.active)
		ok = data_ready() && msg_start();
	for (left = size; left;) {
		char *p;
		size_t have;

		if (buf_feed(&in) <= 0)
			_exit(0);
		p = buf_peek(&in, &have);
		if (have > left)
			have = (size_t)left;
		if (ok) {
			m.text.len = 0;
			if (!dataread_bdat(&m.dr, p, have, &m.text))
				die_nomem();
			msg_text(m.text.s, m.text.len);
		}
		buf_seek(&in, have);
		left -= have;
	}
	if (!ok)
		return;	/* data_ready or msg_start replied */
	if (last) {
		dataread_bdat_end(&m.dr);
		msg_finish();
		return;
	}
	num[fmt_ulong(num, size)] = 0;
	say("250 2.0.0 ");
	say(num);
	say(" octets received\r\n");
}

/* auth_readline - one AUTH continuation line into line (CRLF removed); 1 ok, 0 cancelled or bad (replied) */
static int auth_readline(void)
{
	int r;

	line.len = 0;
	r = buf_getline(&in, &line, '\n');
	if (r == 0)
		_exit(0);
	if (r < 0) {
		if (errno != E2BIG)
			_exit(0);
		do {
			line.len = 0;
			r = buf_getline(&in, &line, '\n');
		} while (r < 0 && errno == E2BIG);
		if (r <= 0)
			_exit(0);
		say("501 5.5.2 AUTH line too long\r\n");
		error_count();
		return 0;
	}
	line.len--;
	if (line.len && line.s[line.len - 1] == '\r')
		line.len--;
	if (line.len == 1 && line.s[0] == '*') {
		say("501 5.0.0 AUTH cancelled\r\n");
		return 0;
	}
	return 1;
}

/* auth_decode - base64 of s[0..n) into out; 1 ok, 0 bad (replied) */
static int auth_decode(const char *s, size_t n, struct str *o)
{
	o->len = 0;
	o->max = SMTP_AUTHLINE_MAX;
	if (!base64_decode(s, n, o)) {
		say("501 5.5.2 bad base64\r\n");
		error_count();
		return 0;
	}
	return 1;
}

/* auth_delay - sleep longer after each failure, up to SMTPD_AUTHDELAY_MAX seconds */
static void auth_delay(void)
{
	struct timespec ts;

	ts.tv_sec = authfails < SMTPD_AUTHDELAY_MAX ? authfails : SMTPD_AUTHDELAY_MAX;
	ts.tv_nsec = 0;
	(void)buf_flush(&cout);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* checkpw - have the monitor run the checkpw chain on user, secret and stamp; its exit code, -1 failure to run */
static int checkpw(const struct str *user, const struct str *secret, const char *stamp,
    const char *type)
{
	return monitor_checkpw(mon, type, user->s, user->len, secret->s, secret->len, stamp);
}

/* auth_result - act on the checkpw verdict for user */
static void auth_result(int code, const struct str *user, const char *mech)
{
	if (code == 0) {
		authed = 1;
		if (!str_copy(&authuser, user) || !str_0(&authuser))
			die_nomem();
		log_info("auth: ", remoteip.s, " ", mech, " ", authuser.s);
		say("235 2.7.0 authentication successful\r\n");
		return;
	}
	if (code == 1 || code == 2) {
		authfails++;
		if (!str_copy(&tmp2, user) || !str_0(&tmp2))
			die_nomem();
		log_info("auth failed: ", remoteip.s, " ", mech, " ", tmp2.s);
		auth_delay();
		if (authfails >= SMTPD_AUTHFAIL_MAX)
			bye("421 4.7.0 too many authentication failures\r\n");
		say("535 5.7.8 authentication credentials invalid\r\n");
		return;
	}
	log_warnx("checkpw chain failed for ", remoteip.s);
	say("454 4.7.0 temporary authentication failure\r\n");
}

/* cmd_auth - AUTH PLAIN, LOGIN or CRAM-MD5 (RFC 4954, 4616, 2195) */
static void cmd_auth(const struct smtp_cmd *c)
{
	struct str user = STR_INIT, pass = STR_INIT, dec = STR_INIT, stamp = STR_INIT;
	size_t sp, i, z1, z2;
	const char *ir = 0, *mech = "";
	size_t irlen = 0;
	int code, hex;

	for (sp = 0; sp < c->arglen && c->arg[sp] != ' '; sp++)
		;
	if (sp < c->arglen) {
		ir = c->arg + sp + 1;
		irlen = c->arglen - sp - 1;
	}
	if (!seen_helo) { say("503 5.5.1 send EHLO first\r\n"); error_count(); return; }
	if (authed) { say("503 5.5.1 already authenticated\r\n"); error_count(); return; }
	if (have_mail) { say("503 5.5.1 AUTH not allowed during a transaction\r\n"); error_count(); return; }
	if (!tls && !auth_plaintext) { say("538 5.7.11 encryption required for AUTH\r\n"); return; }
	if (!str_copys(&stamp, "<") || !str_catu(&stamp, (unsigned long long)getpid()) ||
	    !str_cats(&stamp, ".") || !str_catu(&stamp, (unsigned long long)time(0)) ||
	    !str_cats(&stamp, "@") || !str_cat(&stamp, &me) || !str_cats(&stamp, ">") || !str_0(&stamp))
		die_nomem();
	stamp.len--;

	if (smtp_case_eq(c->arg, sp, "PLAIN")) {
		mech = "plain";
		if (!ir) {
			say("334 \r\n");
			if (!auth_readline())
				goto done;
			ir = line.s;
			irlen = line.len;
		}
		if (irlen == 1 && ir[0] == '=')
			irlen = 0;
		if (!auth_decode(ir, irlen, &dec))
			goto done;
		/* authzid \0 authcid \0 password (RFC 4616 §2) */
		z1 = dec.len;
		for (i = 0; i < dec.len; i++)
			if (!dec.s[i]) { z1 = i; break; }
		z2 = dec.len;
		for (i = z1 + 1; i < dec.len; i++)
			if (!dec.s[i]) { z2 = i; break; }
		if (z1 >= dec.len || z2 >= dec.len || memchr(dec.s + z2 + 1, 0, dec.len - z2 - 1) ||
		    z2 == z1 + 1 || z2 + 1 == dec.len) {
			say("501 5.5.2 malformed PLAIN response\r\n");
			error_count();
			goto done;
		}
		if (!str_copyb(&user, dec.s + z1 + 1, z2 - z1 - 1) ||
		    !str_copyb(&pass, dec.s + z2 + 1, dec.len - z2 - 1))
			die_nomem();
		if (z1 && (z1 != user.len || memcmp(dec.s, user.s, z1))) {
			say("535 5.7.8 authorization identity not allowed\r\n");
			goto done;
		}
	} else if (smtp_case_eq(c->arg, sp, "LOGIN")) {
		mech = "login";
		if (!ir) {
			say("334 VXNlcm5hbWU6\r\n");
			if (!auth_readline())
				goto done;
			ir = line.s;
			irlen = line.len;
		}
		if (!auth_decode(ir, irlen, &user))
			goto done;
		say("334 UGFzc3dvcmQ6\r\n");
		if (!auth_readline() || !auth_decode(line.s, line.len, &pass))
			goto done;
		if (!user.len || !pass.len || memchr(user.s, 0, user.len) || memchr(pass.s, 0, pass.len)) {
			say("501 5.5.2 malformed LOGIN response\r\n");
			error_count();
			goto done;
		}
	} else if (smtp_case_eq(c->arg, sp, "CRAM-MD5")) {
		mech = "cram-md5";
		if (ir) { say("501 5.5.2 CRAM-MD5 takes no initial response\r\n"); error_count(); goto done; }
		dec.len = 0;
		if (!base64_encode(stamp.s, stamp.len, &dec) || !str_0(&dec))
			die_nomem();
		say("334 ");
		say(dec.s);
		say("\r\n");
		if (!auth_readline() || !auth_decode(line.s, line.len, &dec))
			goto done;
		/* "user hexdigest": the digest is the last 32 hex digits (RFC 2195) */
		hex = dec.len > 33 && dec.s[dec.len - 33] == ' ';
		for (i = dec.len - 32; hex && i < dec.len; i++)
			if (!((dec.s[i] >= '0' && dec.s[i] <= '9') || (dec.s[i] >= 'a' && dec.s[i] <= 'f')))
				hex = 0;
		if (!hex || memchr(dec.s, 0, dec.len)) {
			say("501 5.5.2 malformed CRAM-MD5 response\r\n");
			error_count();
			goto done;
		}
		if (!str_copyb(&user, dec.s, dec.len - 33) || !str_copyb(&pass, dec.s + dec.len - 32, 32))
			die_nomem();
	} else {
		say("504 5.5.4 unrecognized authentication type\r\n");
		error_count();
		goto done;
	}
	if (user.len + pass.len + stamp.len + 3 > SMTPD_CHECKPW_MAX) {
		say("501 5.5.2 credentials too long\r\n");
		error_count();
		goto done;
	}
	code = checkpw(&user, &pass, stamp.s, mech);
	auth_result(code, &user, mech);
done:
	/* the password has passed through these: wipe them */
	if (line.s)
		memset(line.s, 0, line.a);
	line.len = 0;
	str_wipe(&pass);
	str_wipe(&dec);
	str_free(&user);
	str_free(&stamp);
}

/* cmd_starttls - hand the connection to kurier-tlsd for the handshake */
static void cmd_starttls(const struct smtp_cmd *c)
{
	if (c->arglen) { say("501 5.5.4 STARTTLS takes no argument\r\n"); error_count(); return; }
	if (tls) { say("503 5.5.1 TLS already active\r\n"); error_count(); return; }
	/* RFC 3207 §4.2 would throw the login away; refuse rather than pretend */
	if (authed) { say("503 5.5.1 STARTTLS not allowed after AUTH\r\n"); error_count(); return; }
	if (tlsfd < 0) { say("454 4.7.0 TLS not available\r\n"); return; }
	/* bytes pipelined after STARTTLS would be answered inside TLS
	 * (CVE-2011-0411): none in our buffer, none waiting in the socket.
	 * The client has not seen the go-ahead yet, so nothing it sends
	 * before this check can be its ClientHello; whatever it sends after
	 * is read by the handshake as TLS and fails it. */
	if (buf_held(&in) || tlsctl_pending(0) != 0) {
		log_info("starttls: data after STARTTLS from ", remoteip.s);
		_exit(0);
	}
	say("220 2.0.0 ready to start TLS\r\n");
	(void)buf_flush(&cout);
	if (!tlsctl_start(tlsfd)) {
		log_info("starttls: handshake failed for ", remoteip.s);
		_exit(0);
	}
	/* RFC 3207 §4.2: forget everything learned before TLS */
	tls = 1;
	seen_helo = 0;
	transaction_reset();
}

/* cmd_vrfy - VRFY: off unless KURIER_VRFY is set (RFC 5321 §3.5.3 allows 252) */
static void cmd_vrfy(const struct smtp_cmd *c)
{
	size_t used;
	int utf8, r;

	if (!vrfy_on) {
		say("252 2.5.2 cannot verify, but send some mail\r\n");
		return;
	}
	if (!str_copys(&tmp2, "<") || !str_catb(&tmp2, c->arg, c->arglen) || !str_cats(&tmp2, ">"))
		die_nomem();
	r = c->arglen && c->arg[0] == '<' ? smtp_parse_path(c->arg, c->arglen, &used, &tmp, &utf8) :
	    smtp_parse_path(tmp2.s, tmp2.len, &used, &tmp, &utf8);
	if (r != PATH_OK || !tmp.len) {
		say("501 5.1.3 bad address syntax\r\n");
		error_count();
		return;
	}
	r = rcpt_check(&rc, tmp.s, tmp.len);
	say(r == RCPT_OK ? "250 2.1.5 user ok\r\n" : r == RCPT_UNKNOWN ? "550 5.1.1 no such user here\r\n" :
	    r == RCPT_FOREIGN ? "551 5.7.1 not a local address\r\n" : "451 4.3.0 temporary failure\r\n");
}

/* session - answer commands until the client leaves */
static void session(void)
{
	struct smtp_cmd c;
	int r;

	line.max = SMTP_AUTHLINE_MAX;
	for (;;) {
		line.len = 0;
		r = buf_getline(&in, &line, '\n');
		if (r == 0)
			return;
		if (r < 0) {
			if (errno != E2BIG)
				return;
			say("500 5.5.2 line too long\r\n");
			error_count();
			/* throw the rest of the line away, counting every buffer of it */
			for (;;) {
				line.len = 0;
				r = buf_getline(&in, &line, '\n');
				if (r == 1)
					break;
				if (r == 0 || errno != E2BIG)
					return;
				error_count();
			}
			continue;
		}
		line.len--;
		if (line.len && line.s[line.len - 1] == '\r')
			line.len--;
		if (!smtp_parse_command(line.s, line.len, &c)) {
			say("501 5.5.2 CR or NUL in command\r\n");
			error_count();
			continue;
		}
		if (c.verb != SMTP_AUTH && line.len + 2 > SMTP_LINE_MAX) {
			say("500 5.5.2 line too long\r\n");
			error_count();
			continue;
		}
		switch (c.verb) {
		case SMTP_HELO: cmd_helo(&c, 0); break;
		case SMTP_EHLO: cmd_helo(&c, 1); break;
		case SMTP_MAIL: cmd_mail(&c); break;
		case SMTP_RCPT: cmd_rcpt(&c); break;
		case SMTP_DATA: cmd_data(&c); break;
		case SMTP_BDAT: cmd_bdat(&c); break;
		case SMTP_RSET: transaction_reset(); say("250 2.0.0 ok\r\n"); break;
		case SMTP_NOOP: say("250 2.0.0 ok\r\n"); break;
		case SMTP_QUIT:
			say("221 2.0.0 ");
			sayb(me.s, me.len);
			bye(" closing connection\r\n");
		case SMTP_VRFY: cmd_vrfy(&c); break;
		case SMTP_EXPN: say("502 5.5.1 EXPN not available\r\n"); break;
		case SMTP_HELP: say("214 2.0.0 see RFC 5321\r\n"); break;
		case SMTP_AUTH: cmd_auth(&c); break;
		case SMTP_STARTTLS: cmd_starttls(&c); break;
		default:
			say("500 5.5.1 command unrecognized\r\n");
			error_count();
		}
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	log_prog(argv[0] ? argv[0] : "kurier-smtpd");
	signal(SIGPIPE, SIG_IGN);
	buf_init(&in, saferead, 0, inspace, sizeof inspace);
	buf_init(&cout, safewrite, 1, outspace, sizeof outspace);
	config();
	/* kurierd's ids, from the files, for us and for every kurier-queue */
	root = geteuid() == 0;
	if (root && sandbox_ids(auto_user_d, 0, &dids) != 1) {
		say("421 4.3.0 temporary failure\r\n");
		(void)buf_flush(&cout);
		die(EX_T_TEMP, "cannot find the user ", auto_user_d, " in /etc/passwd");
	}
	qsession = monitor_queue_own();
	mon = monitor_start(root ? &dids : 0);
	if (mon == -1) {
		say("421 4.3.0 temporary failure\r\n");
		(void)buf_flush(&cout);
		die(EX_T_TEMP, "cannot start the monitor");
	}
	confine();
	say("220 ");
	if (greeting.len) {
		size_t i;
		for (i = 0; i < greeting.len; i++)
			if ((unsigned char)greeting.s[i] < 32 || (unsigned char)greeting.s[i] > 126)
				greeting.s[i] = '?';
		sayb(greeting.s, greeting.len < SMTPD_BLOCKTEXT_MAX ? greeting.len : SMTPD_BLOCKTEXT_MAX);
	} else {
		sayb(me.s, me.len);
	}
	say(" ESMTP kurier\r\n");
	session();
	if (m.active)
		msg_abort();
	(void)buf_flush(&cout);
	(void)monitor_qs_close(mon, &qs);
	return 0;
}
