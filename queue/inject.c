/*
 * inject.c - message injection for sendmail and kurier-inject; see inject.h.
 * runs as:  the local user who sends the mail
 * trusts:   nothing in the message or the environment's values beyond
 *           using them as text; control/defaulthost and defaultdomain
 * cost:     one posix_spawn of kurier-queue (or $KURIERQUEUE) per message
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "date822.h"
#include "exitcode.h"
#include "inject.h"
#include "log.h"
#include "scan.h"

extern char **environ;

enum { INJ_BOL = 0, INJ_MID, INJ_CR, INJ_DOT, INJ_DOTCR };

size_t inject_body_feed(struct inject_body *b, const char *x, size_t n, struct str *out, int *err)
{
	size_t i;

	*err = 0;
	if (!str_readyplus(out, n + 2)) { *err = 1; return 0; }
	for (i = 0; i < n; i++) {
		char c = x[i];
again:
		switch (b->state) {
		case INJ_BOL:
			if (b->dot && c == '.') { b->state = INJ_DOT; continue; }
			b->state = INJ_MID;
			goto again;
		case INJ_MID:
			if (c == '\r') { b->state = INJ_CR; continue; }
			out->s[out->len++] = c;
			if (c == '\n') b->state = INJ_BOL;
			continue;
		case INJ_CR:
			if (c == '\n') { out->s[out->len++] = '\n'; b->state = INJ_BOL; continue; }
			out->s[out->len++] = '\r';
			b->state = INJ_MID;
			goto again;
		case INJ_DOT:
			if (c == '\n') { b->done = 1; return i + 1; }
			if (c == '\r') { b->state = INJ_DOTCR; continue; }
			out->s[out->len++] = '.';
			b->state = INJ_MID;
			goto again;
		case INJ_DOTCR:
			if (c == '\n') { b->done = 1; return i + 1; }
			/* ".\r" then more: both bytes were held back */
			if (!str_readyplus(out, n - i + 2)) { *err = 1; return 0; }
			out->s[out->len++] = '.';
			out->s[out->len++] = '\r';
			b->state = INJ_MID;
			goto again;
		}
	}
	out->s[out->len] = 0;
	return n;
}

int inject_body_end(struct inject_body *b, struct str *out)
{
	int ok = 1;

	if (b->state == INJ_CR) ok = str_append(out, '\r');
	else if (b->state == INJ_DOT) ok = str_append(out, '.');
	else if (b->state == INJ_DOTCR) ok = str_catb(out, ".\r", 2);
	b->state = INJ_BOL;
	return ok;
}

/* addr_emit - append the collected address a (if any) and a NUL to out; 1 ok */
static int addr_emit(struct str *out, struct str *a)
{
	int ok = 1;

	if (a->len) ok = str_catb(out, a->s, a->len) && str_0(out);
	a->len = 0;
	return ok;
}

int inject_addrs(const char *v, size_t n, struct str *out)
{
	struct str cur = STR_INIT, ang = STR_INIT;
	size_t i;
	int comment = 0, quote = 0, angle = 0, has_angle = 0, ok = 1;

	for (i = 0; i < n && ok; i++) {
		char c = v[i];
		struct str *to = angle ? &ang : &cur;

		if (comment) {
			if (c == '\\' && i + 1 < n) i++;
			else if (c == '(') comment++;
			else if (c == ')') comment--;
			continue;
		}
		if (quote) {
			ok = str_append(to, c);
			if (c == '\\' && i + 1 < n) ok = ok && str_append(to, v[++i]);
			else if (c == '"') quote = 0;
			continue;
		}
		switch (c) {
		case '(': comment = 1; break;
		case '"': quote = 1; ok = str_append(to, c); break;
		case '<': angle = 1; has_angle = 1; ang.len = 0; break;
		case '>': angle = 0; break;
		case ' ': case '\t': case '\r': case '\n': break;
		case ':':
			if (angle) {
				/* a source route "@a,@b:user@host" keeps only the mailbox */
				if (ang.len && ang.s[0] == '@') ang.len = 0;
				else ok = str_append(&ang, c);
			} else
				cur.len = 0;	/* "group name:" */
			break;
		case ',': case ';':
			if (angle) { ok = str_append(&ang, c); break; }
			ok = addr_emit(out, has_angle ? &ang : &cur);
			cur.len = ang.len = 0;
			has_angle = 0;
			break;
		default:
			ok = str_append(to, c);
		}
	}
	if (ok) ok = addr_emit(out, has_angle ? &ang : &cur);
	str_free(&cur);
	str_free(&ang);
	return ok;
}

/* --- the message ------------------------------------------------------- */

static struct str field = STR_INIT;	/* the header field being collected */
static struct str hdr = STR_INIT;	/* header fields kept, LF line ends */
static struct str rcpts = STR_INIT;	/* envelope recipients, NUL after each */
static int have_date, have_msgid, have_from;
static const struct inject *opt;

/* die_nomem - out of memory is temporary; does not return */
static void die_nomem(void)
{
	diex(EX_T_TEMP, "out of memory");
}

/* name_is - 1 if the field f starts with the header name n (lower case) and a colon */
static int name_is(const struct str *f, const char *n)
{
	size_t k = strlen(n), i;

	if (f->len <= k) return 0;
	for (i = 0; i < k; i++) {
		char c = f->s[i];
		if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
		if (c != n[i]) return 0;
	}
	for (; i < f->len && (f->s[i] == ' ' || f->s[i] == '\t'); i++)
		;
	return i < f->len && f->s[i] == ':';
}

/* field_flush - file the collected field: note it, take recipients, keep or drop it */
static void field_flush(void)
{
	int bcc;

	if (!field.len) return;
	bcc = name_is(&field, "bcc");
	if (opt->rcpt_from_headers && (bcc || name_is(&field, "to") || name_is(&field, "cc"))) {
		size_t colon = str_chr(&field, ':') + 1;
		if (!inject_addrs(field.s + colon, field.len - colon, &rcpts)) die_nomem();
	}
	if (name_is(&field, "date")) have_date = 1;
	if (name_is(&field, "message-id")) have_msgid = 1;
	if (name_is(&field, "from")) have_from = 1;
	/* Bcc: recipients must not see each other */
	if (!bcc && !str_cat(&hdr, &field)) die_nomem();
	field.len = 0;
}

/* is_field_start - 1 if line (without its end) begins "name:" */
static int is_field_start(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != ':'; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126) return 0;
	return i > 0 && i < n;
}

/* safe_word - 1 if s is usable as a local part in a header: no specials, no controls */
static int safe_word(const char *s)
{
	if (!s || !*s) return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 32 || (unsigned char)*s >= 127 || strchr("<>()[]\\,;:@\"", *s)) return 0;
	return 1;
}

/* user_name - the sending user's login name */
static const char *user_name(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (safe_word(u)) return u;
	u = getenv("LOGNAME");
	if (safe_word(u)) return u;
	pw = getpwuid(getuid());
	if (pw && safe_word(pw->pw_name)) return pw->pw_name;
	return "nobody";
}

/* add_headers - append the missing Date:, Message-ID: and From: to hdr */
static void add_headers(const char *user, const struct str *host, const struct str *dom)
{
	char date[DATE822_MAX], hex[17];
	unsigned char rnd[8];
	const char *name = opt->fullname;
	int named;

	if (!have_date) {
		if (!str_cats(&hdr, "Date: ") || !str_catb(&hdr, date, date822_fmt(date, time(0))) ||
		    !str_append(&hdr, '\n'))
			die_nomem();
	}
	if (!have_msgid) {
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) die(EX_T_TEMP, "unable to get random bytes");
		fmt_hex(hex, rnd, sizeof rnd);
		if (!str_cats(&hdr, "Message-ID: <") || !str_catu(&hdr, (unsigned long long)time(0)) ||
		    !str_append(&hdr, '.') || !str_catu(&hdr, (unsigned long long)getpid()) ||
		    !str_append(&hdr, '.') || !str_catb(&hdr, hex, 16) || !str_append(&hdr, '@') ||
		    !str_cat(&hdr, host) || !str_cats(&hdr, ">\n"))
			die_nomem();
	}
	if (!have_from) {
		if (!name) name = getenv("QMAILNAME");
		if (!name) name = getenv("MAILNAME");
		if (!name) name = getenv("NAME");
		if (!str_cats(&hdr, "From: ")) die_nomem();
		named = name && *name;
		if (named) {
			/* a quoted-string (RFC 5322 3.2.4); controls dropped */
			if (!str_append(&hdr, '"')) die_nomem();
			for (; *name; name++) {
				if ((unsigned char)*name < 32 || *name == 127) continue;
				if ((*name == '"' || *name == '\\') && !str_append(&hdr, '\\')) die_nomem();
				if (!str_append(&hdr, *name)) die_nomem();
			}
			if (!str_cats(&hdr, "\" <")) die_nomem();
		}
		if (!str_cats(&hdr, user) || !str_append(&hdr, '@') || !str_cat(&hdr, dom) ||
		    !str_cats(&hdr, named ? ">\n" : "\n"))
			die_nomem();
	}
}

/* write_all - write n bytes to fd; 1 ok, 0 error */
static int write_all(int fd, const char *x, size_t n)
{
	while (n) {
		ssize_t w = write(fd, x, n);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return 0;
		x += w;
		n -= (size_t)w;
	}
	return 1;
}

/* spawn_queue - start the queue program with pipes on its fd 0 and 1; its pid */
static pid_t spawn_queue(int *msgfd, int *envfd)
{
	int mp[2], ep[2];
	posix_spawn_file_actions_t fa;
	struct str path = STR_INIT;
	const char *q = getenv("KURIERQUEUE");
	char *argv[2];
	pid_t pid;
	int e;

	if (!q || !*q) {
		if (!str_copys(&path, auto_home) || !str_cats(&path, "/bin/kurier-queue")) die_nomem();
		q = path.s;
	}
	if (pipe2(mp, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1) die(EX_T_TEMP, "unable to make a pipe");
	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_adddup2(&fa, mp[0], 0) ||
	    posix_spawn_file_actions_adddup2(&fa, ep[0], 1))
		die_nomem();
	argv[0] = (char *)q;
	argv[1] = 0;
	e = posix_spawn(&pid, q, &fa, 0, argv, environ);
	if (e) { errno = e; die(EX_T_TEMP, "unable to run", q); }
	posix_spawn_file_actions_destroy(&fa);
	close(mp[0]);
	close(ep[0]);
	*msgfd = mp[1];
	*envfd = ep[1];
	str_free(&path);
	return pid;
}

/* read_some - read from fd 0 into s (growing it); bytes read, 0 at EOF; dies on error */
static size_t read_some(struct str *s)
{
	ssize_t r;

	if (!str_readyplus(s, INJECT_CHUNK)) die_nomem();
	do r = read(0, s->s + s->len, INJECT_CHUNK); while (r < 0 && errno == EINTR);
	if (r < 0) die(EX_T_TEMP, "unable to read the message");
	s->len += (size_t)r;
	s->s[s->len] = 0;
	return (size_t)r;
}

int inject_run(const struct inject *o)
{
	struct str in = STR_INIT, out = STR_INIT, host = STR_INIT, dom = STR_INIT, env = STR_INIT;
	struct inject_body body = { o->dot, INJ_BOL, 0 };
	size_t p = 0, i;
	int eof = 0, ended = 0, msgfd, envfd, status, broken = 0, err, headers_done = 0;
	const char *user;
	pid_t pid;

	opt = o;
	signal(SIGPIPE, SIG_IGN);
	if (control_readdefault(&host, "defaulthost") < 0 || control_readdefault(&dom, "defaultdomain") < 0)
		die(EX_T_TEMP, "unable to read control/defaulthost or control/defaultdomain");
	user = user_name();

	/* the header section: whole lines until a blank line or a non-header line */
	while (!headers_done) {
		char *nl;
		size_t len, end;

		if (!eof && !memchr(in.s ? in.s + p : "", '\n', in.len - p)) {
			if (in.len - p > INJECT_HEADER_MAX) diex(EX_T_USAGE, "header section too large");
			if (!read_some(&in)) eof = 1;
			continue;
		}
		if (p == in.len) break;	/* EOF at a line start: no body */
		nl = memchr(in.s + p, '\n', in.len - p);
		len = nl ? (size_t)(nl - (in.s + p)) + 1 : in.len - p;
		end = len;
		if (end && in.s[p + end - 1] == '\n') end--;
		if (end && in.s[p + end - 1] == '\r') end--;
		if (o->dot && end == 1 && in.s[p] == '.' && nl) { ended = 1; p += len; break; }
		if (end == 0 && nl) { p += len; headers_done = 1; break; }
		if ((in.s[p] == ' ' || in.s[p] == '\t') && field.len) {
			/* a continuation line of the field */
		} else if (is_field_start(in.s + p, end)) {
			field_flush();
		} else {
			headers_done = 1;	/* body without a blank line */
			break;
		}
		if (hdr.len + field.len > INJECT_HEADER_MAX) diex(EX_T_USAGE, "header section too large");
		if (!str_catb(&field, in.s + p, end) || !str_append(&field, '\n')) die_nomem();
		p += len;
	}
	field_flush();
	add_headers(user, &host, &dom);
	if (!str_append(&hdr, '\n')) die_nomem();

	if (o->rcpts)
		for (i = 0; o->rcpts[i]; i++)
			if (!str_cats(&rcpts, o->rcpts[i]) || !str_0(&rcpts)) die_nomem();
	if (!rcpts.len) diex(EX_T_USAGE, "no recipients");

	/* the envelope: -f, else user@defaultdomain; "<>" and "" are the null sender */
	if (!str_append(&env, 'F')) die_nomem();
	if (o->sender) {
		const char *s = o->sender;
		size_t n = strlen(s);
		if (n >= 2 && s[0] == '<' && s[n - 1] == '>') { s++; n -= 2; }
		if (!str_catb(&env, s, n)) die_nomem();
	} else if (!str_cats(&env, user) || !str_append(&env, '@') || !str_cat(&env, &dom))
		die_nomem();
	if (!str_0(&env)) die_nomem();
	for (i = 0; i < rcpts.len; i += strlen(rcpts.s + i) + 1)
		if (!str_append(&env, 'T') || !str_cats(&env, rcpts.s + i) || !str_0(&env)) die_nomem();
	if (!str_0(&env)) die_nomem();
	if (o->verbose)
		for (i = 0; i < env.len; i += strlen(env.s + i) + 1)
			if (env.s[i]) log_info(env.s[i] == 'F' ? "from <" : "to <", env.s + i + 1, ">");

	pid = spawn_queue(&msgfd, &envfd);
	if (!write_all(msgfd, hdr.s, hdr.len)) broken = 1;
	/* the body: what is left of in, then the rest of fd 0 */
	while (!broken && !ended) {
		if (p < in.len) {
			size_t used = inject_body_feed(&body, in.s + p, in.len - p, &out, &err);
			if (err) die_nomem();
			p += used;
			if (body.done) ended = 1;
		}
		if (!ended && p == in.len) {
			in.len = p = 0;
			if (eof || !read_some(&in)) {
				eof = 1;
				if (!inject_body_end(&body, &out)) die_nomem();
				ended = 1;
			}
		}
		if (out.len >= INJECT_CHUNK || ended) {
			if (!write_all(msgfd, out.s, out.len)) broken = 1;
			out.len = 0;
		}
	}
	close(msgfd);
	if (!broken) (void)write_all(envfd, env.s, env.len);
	close(envfd);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) die(EX_T_TEMP, "unable to wait for the queue");
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);
		if (o->verbose) {
			char num[FMT_ULONG + 1];
			num[fmt_ulong(num, (unsigned long long)code)] = 0;
			log_info("kurier-queue exited ", num);
		}
		if (code == 0) return EX_T_OK;
		if (exitcode_queue_permanent(code)) {
			log_write("fatal", -1, "the queue refused the message permanently", (const char *)0);
			return EX_T_USAGE;
		}
		log_write("fatal", -1, "the queue failed temporarily; try again later", (const char *)0);
		return EX_T_TEMP;
	}
	log_write("fatal", -1, "the queue program crashed", (const char *)0);
	return EX_T_TEMP;
}
