/*
 * kurier-remote - deliver one message to recipients of one domain by SMTP,
 * with qmail-remote's command line and report; or, with -x, explain the
 * route without sending anything.
 * runs as:  kurierr (becomes it when started as root); kurier-rspawn does
 *           the same work in forked children without running this program
 * input:    kurier-remote DOMAIN SENDER RCPT...: the message on fd 0
 *           kurier-remote -x DOMAIN: nothing
 * output:   fd 1, per recipient "r"/"h"/"s" (delivered, failed, deferred)
 *           with text and a NUL, then one "K"/"D"/"Z" for the message
 * trusts:   control/ (root's); nothing from DNS or the network
 * exit:     0 report written (or -x: the mail would be sent); 1 (-x) it
 *           would bounce or wait; 100 usage; 111 system trouble
 * costs:    one process, no exec, no fsync; DNS: one MX query, then AAAA
 *           and A together per host tried; one TCP connection per host
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "remote.h"
#include "sandbox.h"

#define REMOTE_MESSAGE_MAX (1ULL << 30)	/* a message read from a pipe is held in memory */
#define REMOTE_MEM_LIMIT (256ULL << 20)	/* RLIMIT_AS beyond a mapped message */

static char outspace[BUF_SIZE];
static struct buf out;

/* usage - print how to call us and exit 100 */
static void usage(void)
{
	diex(EX_T_USAGE, "usage: kurier-remote DOMAIN SENDER RCPT... | kurier-remote -x DOMAIN");
}

/* confine - become kurierr if root, then the sandbox */
static void confine(unsigned long long msgsize)
{
	struct sandbox sb;

	memset(&sb, 0, sizeof sb);
	sb.user = getuid() == 0 ? auto_user_r : 0;
	sb.allow = SANDBOX_FILES | SANDBOX_NET;
	sb.mem = REMOTE_MEM_LIMIT + msgsize;
	sb.nofile = 64;
	if (sandbox_enter(&sb) != 1)
		die(EX_T_TEMP, "cannot enter the sandbox");
}

/* explain - -x: print the route for domain; exit 0 or 1 */
static int explain(const char *domain)
{
	static struct plan p;
	unsigned i, a;

	remote_plan(domain, &p, 1);
	buf_puts(&out, "domain: ");
	{
		struct str s = STR_INIT;
		(void)log_safe(&s, domain, strlen(domain));
		buf_put(&out, s.s ? s.s : "", s.len);
		str_free(&s);
	}
	buf_puts(&out, "\nroute: ");
	buf_put(&out, p.source.s ? p.source.s : "", p.source.len);
	buf_puts(&out, "\n");
	buf_put(&out, p.notes.s ? p.notes.s : "", p.notes.len);
	if (p.verdict) {
		buf_puts(&out, p.verdict == 'D' ? "bounce: " : "defer: ");
		buf_put(&out, p.text.s, p.text.len);
		buf_puts(&out, "\n");
		buf_flush(&out);
		return EX_T_FAIL;
	}
	buf_puts(&out, "port: ");
	buf_putu(&out, p.port);
	buf_puts(&out, "\ntls: ");
	buf_puts(&out, route_tlsname(p.tls));
	buf_puts(&out, "\n");
	if (p.relay.len) {
		buf_puts(&out, "auth: control/esmtpauth entry for ");
		buf_put(&out, p.relay.s, p.relay.len);
		buf_puts(&out, ", if there is one\n");
	}
	for (i = 0; i < p.n; i++) {
		struct target *t = &p.t[i];
		struct str s = STR_INIT;
		(void)str_cats(&s, "host ");
		(void)log_safe(&s, t->name, strlen(t->name));
		(void)str_cats(&s, " preference ");
		(void)str_catu(&s, t->pref);
		(void)str_cats(&s, ":");
		if (t->resolved == DNS_OK)
			for (a = 0; a < t->addrs.n; a++) {
				(void)str_cats(&s, " ");
				(void)dns_fmt(&s, &t->addrs.a[a]);
			}
		else
			(void)str_cats(&s, t->resolved == DNS_TEMP ? " address lookup failed, for now"
								   : " no AAAA or A record");
		(void)str_cats(&s, "\n");
		buf_put(&out, s.s, s.len);
		str_free(&s);
	}
	buf_flush(&out);
	return EX_T_OK;
}

/* message - the message on fd 0: mapped when it is a file; *n its size */
static const char *message(size_t *n)
{
	struct stat st;
	struct str m = STR_INIT;

	if (fstat(0, &st) == 0 && S_ISREG(st.st_mode)) {
		void *p;
		*n = (size_t)st.st_size;
		if (!*n)
			return "";
		p = mmap(0, *n, PROT_READ, MAP_PRIVATE, 0, 0);
		if (p == MAP_FAILED)
			die(EX_T_TEMP, "cannot map the message");
		return p;
	}
	m.max = REMOTE_MESSAGE_MAX;
	for (;;) {
		ssize_t r;
		if (!str_readyplus(&m, 65536))
			die(EX_T_TEMP, "cannot hold the message");
		r = read(0, m.s + m.len, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die(EX_T_TEMP, "cannot read the message");
		if (r == 0)
			break;
		m.len += (size_t)r;
	}
	*n = m.len;
	return m.s ? m.s : "";
}

int main(int argc, char **argv)
{
	struct str err = STR_INIT;
	struct rcptresult *res;
	const char *m;
	size_t n;
	unsigned nr, i;
	int any = 0, temp = 0;
	char final;

	log_prog("kurier-remote");
	buf_init(&out, buf_unixwrite, 1, outspace, sizeof outspace);
	if (argc == 3 && !strcmp(argv[1], "-x")) {
		if (remote_init(&err) < 0)
			diex(EX_T_TEMP, err.s);
		confine(0);
		return explain(argv[2]);
	}
	if (argc < 4 || argv[1][0] == '-')
		usage();
	nr = (unsigned)(argc - 3);
	if (nr > REMOTE_RCPTS_MAX)
		diex(EX_T_USAGE, "too many recipients");
	for (i = 2; i < (unsigned)argc; i++)
		if (strlen(argv[i]) > REMOTE_ADDR_MAX)
			diex(EX_T_USAGE, "address too long: ", argv[i]);
	if (remote_init(&err) < 0)
		diex(EX_T_TEMP, err.s);
	m = message(&n);
	confine(n);
	res = calloc(nr, sizeof *res);
	if (!res)
		die(EX_T_TEMP, "out of memory");
	remote_deliver(argv[1], argv[2], argv + 3, nr, m, n, res);
	for (i = 0; i < nr; i++) {
		char c = res[i].code == 'K' ? 'r' : res[i].code == 'D' ? 'h' : 's';
		any |= res[i].code == 'K';
		temp |= res[i].code == 'Z';
		buf_put(&out, &c, 1);
		buf_put(&out, res[i].text.s ? res[i].text.s : "", res[i].text.len);
		buf_put(&out, "", 1);
	}
	final = any ? 'K' : temp ? 'Z' : 'D';
	buf_put(&out, &final, 1);
	for (i = 0; i < nr; i++)
		if (res[i].code == (final == 'K' ? 'K' : final)) {
			buf_put(&out, res[i].text.s ? res[i].text.s : "", res[i].text.len);
			break;
		}
	buf_put(&out, "", 1);
	if (buf_flush(&out) < 0)
		die(EX_T_TEMP, "cannot write the report");
	return 0;
}
