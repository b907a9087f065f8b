/*
 * remote.c - route choice and the ESMTP conversation; see remote.h and
 * kurier-remote(8).
 * runs as:  kurierr, inside kurier-remote or a kurier-rspawn child
 * trusts:   control/ (root's); nothing from DNS or the SMTP server: names
 *           are checked before use, replies are bounded and sanitized
 *           (remotereply.c), and no name or reply ever reaches a shell
 * costs:    no process of its own; one TCP connection per host tried;
 *           DNS queries: one MX, then AAAA and A together per host tried
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "control.h"
#include "remote.h"
#include "remotedata.h"
#include "remotereply.h"
#include "smtpclient.h"

#define REMOTE_TEXT_MAX 1000	/* the spawn contract's limit on a result's text */

static struct str helohost;
static unsigned defport = REMOTE_PORT_DEFAULT;
static unsigned long long tmax;		/* control/timeoutremote: caps every reply wait */
static unsigned long long tconnect = REMOTE_TIMEOUT_CONNECT;
static SSL_CTX *ctx;

/* T - a timeout in seconds, capped by control/timeoutremote */
static int T(int secs)
{
	return tmax && tmax < (unsigned long long)secs ? (int)tmax : secs;
}

int remote_init(struct str *err)
{
	unsigned long long u;
	struct str ca = STR_INIT;

	if (control_readdefault(&helohost, "helohost") < 0) {
		(void)str_copys(err, "cannot read control/helohost or control/me");
		return -1;
	}
	if (control_readulong(&u, "remoteport", REMOTE_PORT_DEFAULT) < 0 || u < 1 || u > 65535) {
		(void)str_copys(err, "control/remoteport is not a port number");
		return -1;
	}
	defport = (unsigned)u;
	if (control_readulong(&tmax, "timeoutremote", 0) < 0 || tmax > 86400) {
		(void)str_copys(err, "control/timeoutremote is not a number of seconds up to 86400");
		return -1;
	}
	if (control_readulong(&tconnect, "timeoutconnect", REMOTE_TIMEOUT_CONNECT) < 0 ||
	    tconnect < 1 || tconnect > 3600) {
		(void)str_copys(err, "control/timeoutconnect is not a number of seconds up to 3600");
		return -1;
	}
	if (dns_init(err) < 0)
		return -1;
	OPENSSL_init_ssl(0, 0);
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		(void)str_copys(err, "cannot set up OpenSSL");
		return -1;
	}
	/* certificates for /tls=verify: control/remoteca.pem, else the system's */
	if (!control_path(&ca, "remoteca.pem")) {
		(void)str_copys(err, "out of memory");
		return -1;
	}
	if (access(ca.s, F_OK) == 0) {
		if (SSL_CTX_load_verify_locations(ctx, ca.s, 0) != 1) {
			str_free(&ca);
			(void)str_copys(err, "cannot load control/remoteca.pem");
			return -1;
		}
	} else
		SSL_CTX_set_default_verify_paths(ctx);
	str_free(&ca);
	return 1;
}

void remote_plan_free(struct plan *p)
{
	str_free(&p->text);
	str_free(&p->source);
	str_free(&p->notes);
	str_free(&p->relay);
}

/* hostname_ok - 1 if s looks like a host name (LDH labels, '_' allowed) */
static int hostname_ok(const char *s)
{
	size_t i, label = 0;

	if (!*s)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		if (c == '.') {
			if (!label)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (++label > 63)	/* RFC 1035 §2.3.4 */
			return 0;
	}
	return i <= DNS_NAME_MAX;
}

/* same_host - 1 if names a and b are equal, ignoring case and a final dot */
static int same_host(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	if (la != lb)
		return 0;
	for (i = 0; i < la; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* safe_cats - append s, escaped as printable ASCII, to out */
static void safe_cats(struct str *out, const char *s)
{
	(void)reply_sanitize(out, s, strlen(s), out->len + DNS_NAME_MAX + 1);
}

/* verdict - stop the plan with code and text; the text is assembled by the caller */
static void verdict(struct plan *p, char code)
{
	p->verdict = code;
}

/* resolve - look up a target's addresses; DNS_* */
static int resolve(struct target *t, struct str *err)
{
	if (t->resolved < 0)
		t->resolved = dns_ip(t->name, &t->addrs, err);
	return t->resolved;
}

/* note - one line about a skipped MX */
static void note(struct plan *p, const struct mx *m, const char *why)
{
	(void)str_cats(&p->notes, "skipped MX ");
	safe_cats(&p->notes, m->name[0] ? m->name : ".");
	(void)str_cats(&p->notes, " preference ");
	(void)str_catu(&p->notes, m->pref);
	(void)str_cats(&p->notes, ": ");
	(void)str_cats(&p->notes, why);
	(void)str_cats(&p->notes, "\n");
}

void remote_plan(const char *domain, struct plan *p, int all)
{
	static struct mxset mxs;
	struct str txt = STR_INIT, err = STR_INIT, me = STR_INIT;
	struct route rt = { 0, 0, STR_INIT, STR_INIT, 0, 0, 0 };
	unsigned i, j, ipmx = 0, cut = (unsigned)-1, nulls = 0, bad = 0;
	int r;

	p->verdict = 0;
	p->text.len = p->source.len = p->notes.len = p->relay.len = 0;
	p->port = defport;
	p->tls = ROUTE_TLS_TRY;
	p->n = 0;
	r = control_readfile(&txt, "esmtproutes");
	if (r < 0) {
		(void)str_copys(&p->text, "cannot read control/esmtproutes");
		verdict(p, 'Z');
		goto out;
	}
	if (r > 0 && route_find(txt.s, txt.len, domain, &rt, &err) < 0) {
		(void)str_copy(&p->text, &err);
		verdict(p, 'Z');
		goto out;
	}
	if (rt.found) {
		(void)str_cats(&p->source, "esmtproutes line ");
		(void)str_catu(&p->source, rt.line);
		(void)str_cats(&p->source, rt.key.len ? " (" : " (the smarthost line, ");
		safe_cats(&p->source, rt.key.s ? rt.key.s : "");
		(void)str_cats(&p->source, ":");
		if (rt.relay.len) {
			(void)str_cats(&p->source, " ");
			safe_cats(&p->source, rt.relay.s);
		}
		(void)str_cats(&p->source, ")");
		if (rt.port)
			p->port = rt.port;
		p->tls = rt.tls;
	}
	if (rt.found && rt.relay.len) {
		struct target *t = &p->t[0];
		(void)str_copy(&p->relay, &rt.relay);
		memcpy(t->name, rt.relay.s, rt.relay.len + 1);
		t->pref = 0;
		t->resolved = -1;
		t->addrs.n = 0;
		if (rt.literal) {
			struct addr *a = &t->addrs.a[0];
			a->family = rt.literal == 6 ? AF_INET6 : AF_INET;
			inet_pton(a->family, rt.relay.s, a->a);
			t->addrs.n = 1;
			t->resolved = DNS_OK;
		}
		p->n = 1;
		goto resolve_all;
	}
	if (rt.found)
		(void)str_cats(&p->source, ", an empty relay: ");
	(void)str_cats(&p->source, "MX records of ");
	safe_cats(&p->source, domain);
	r = dns_mx(domain, &mxs, &err);
	if (r == DNS_TEMP) {
		(void)str_copy(&p->text, &err);
		verdict(p, 'Z');
		goto out;
	}
	if (r == DNS_NXDOMAIN) {
		(void)str_copys(&p->text, "5.1.2 the domain ");
		safe_cats(&p->text, domain);
		(void)str_cats(&p->text, " does not exist (DNS NXDOMAIN)");
		verdict(p, 'D');
		goto out;
	}
	if (r == DNS_NODATA) {
		/* RFC 5321 §5.1: no MX, so the domain itself is the host */
		struct target *t = &p->t[0];
		(void)str_cats(&p->source, ": none, so its own AAAA/A records (RFC 5321 5.1)");
		if (strlen(domain) > DNS_NAME_MAX || !hostname_ok(domain)) {
			(void)str_copys(&p->text, "5.1.2 not a domain name: ");
			safe_cats(&p->text, domain);
			verdict(p, 'D');
			goto out;
		}
		memcpy(t->name, domain, strlen(domain) + 1);
		t->pref = 0;
		t->resolved = -1;
		p->n = 1;
		r = resolve(t, &err);
		if (r == DNS_TEMP) {
			(void)str_copy(&p->text, &err);
			verdict(p, 'Z');
		} else if (r != DNS_OK) {
			(void)str_copys(&p->text, "5.1.2 the domain ");
			safe_cats(&p->text, domain);
			(void)str_cats(&p->text, " has no MX, AAAA or A records");
			verdict(p, 'D');
		}
		goto out;
	}
	/* RFC 7505: a lone "MX 0 ." says the domain takes no mail */
	for (i = 0; i < mxs.n; i++)
		nulls += !mxs.mx[i].name[0];
	if (nulls && nulls == mxs.n) {
		(void)str_copys(&p->text, "5.1.10 the domain ");
		safe_cats(&p->text, domain);
		(void)str_cats(&p->text, " accepts no mail (null MX, RFC 7505)");
		verdict(p, 'D');
		goto out;
	}
	/* by preference; equal preferences in random order (RFC 5321 §5.1) */
	for (i = 0; i < mxs.n; i++)
		mxs.mx[i].name[DNS_NAME_MAX] = 0;
	{
		unsigned seed = (unsigned)time(0) ^ (unsigned)getpid() << 8;
		for (i = 1; i < mxs.n; i++) {
			struct mx x = mxs.mx[i];
			for (j = i; j > 0 && mxs.mx[j - 1].pref > x.pref; j--)
				mxs.mx[j] = mxs.mx[j - 1];
			mxs.mx[j] = x;
		}
		for (i = 0; i + 1 < mxs.n; i++) {
			unsigned k = i, span;
			while (k + 1 < mxs.n && mxs.mx[k + 1].pref == mxs.mx[i].pref)
				k++;
			span = k - i + 1;
			for (j = i; j < k; j++) {
				unsigned pick = j + (seed = seed * 1103515245u + 12345u) % (k - j + 1);
				struct mx x = mxs.mx[j];
				mxs.mx[j] = mxs.mx[pick];
				mxs.mx[pick] = x;
			}
			i += span - 1;
		}
	}
	/* backup MX: only hosts preferred over this one (control/me) */
	if (control_me(&me) < 0) {
		(void)str_copys(&p->text, "cannot read control/me");
		verdict(p, 'Z');
		goto out;
	}
	for (i = 0; i < mxs.n; i++)
		if (me.len && same_host(mxs.mx[i].name, me.s) && mxs.mx[i].pref < cut)
			cut = mxs.mx[i].pref;
	for (i = 0; i < mxs.n; i++) {
		struct mx *m = &mxs.mx[i];
		struct target *t;
		if (!m->name[0]) {
			note(p, m, "a null MX beside real ones");
			continue;
		}
		if (route_ip(m->name)) {
			note(p, m, "names an IP address, which RFC 1035 3.3.9 forbids");
			ipmx++;
			continue;
		}
		if (!hostname_ok(m->name)) {
			note(p, m, "not a host name");
			bad++;
			continue;
		}
		if (m->pref >= cut) {
			note(p, m, same_host(m->name, me.s) ? "this host (control/me)" :
			    "not preferred over this host (control/me is an MX too)");
			continue;
		}
		t = &p->t[p->n++];
		memcpy(t->name, m->name, strlen(m->name) + 1);
		t->pref = m->pref;
		t->resolved = -1;
		t->addrs.n = 0;
	}
	if (!p->n) {
		if (cut != (unsigned)-1) {
			(void)str_copys(&p->text, "5.4.6 this host (");
			safe_cats(&p->text, me.s);
			(void)str_cats(&p->text, ") is the best MX for ");
			safe_cats(&p->text, domain);
			(void)str_cats(&p->text, ", which is not a local domain here: mail would loop");
		} else if (ipmx) {
			(void)str_copys(&p->text, "5.4.4 MX records for ");
			safe_cats(&p->text, domain);
			(void)str_cats(&p->text, " violate section 3.3.9 of RFC 1035 (an MX names an IP address; esmtproutes can override)");
		} else {
			(void)str_copys(&p->text, "5.4.4 no usable MX record for ");
			safe_cats(&p->text, domain);
		}
		verdict(p, 'D');
		goto out;
	}
resolve_all:
	if (all)
		for (i = 0; i < p->n; i++)
			(void)resolve(&p->t[i], &err);
out:
	str_free(&txt);
	str_free(&err);
	str_free(&me);
	route_free(&rt);
}

/* --- the SMTP conversation ------------------------------------------- */

struct job {
	struct plan *p;
	const char *sender;
	char **rcpt;
	unsigned nr;
	struct rcptresult *res;
	char *decided;			/* per recipient: 1 once final for this attempt */
	const char *m;
	size_t n;
	unsigned long long size;	/* canonical size (SIZE=) */
	int eightbit;
	struct str user, pass;		/* esmtpauth, or empty */
	int authbad;			/* 1: esmtpauth unusable, text in autherr */
	int tlsfailed;			/* 1: the last attempt's TLS handshake failed under /tls=try */
	struct str autherr;
	struct str last;		/* why the last host failed */
};

/* result - set recipient i's outcome: code and "prefix text", bounded */
static void result(struct job *j, unsigned i, char code, const struct str *prefix, const struct str *text)
{
	struct str *o = &j->res[i].text;

	j->res[i].code = code;
	o->len = 0;
	if (prefix)
		(void)reply_sanitize(o, prefix->s, prefix->len, REMOTE_TEXT_MAX);
	if (text)
		(void)reply_sanitize(o, text->s, text->len, REMOTE_TEXT_MAX);
	j->decided[i] = 1;
}

/* code_of - K, Z or D for a reply class */
static char code_of(int cls)
{
	return cls == 2 ? 'K' : cls == 5 ? 'D' : 'Z';
}

/* lastset - remember why this host failed: "prefix what" */
static void lastset(struct job *j, const struct str *prefix, const char *what, const struct str *more)
{
	j->last.len = 0;
	(void)str_cat(&j->last, prefix);
	(void)str_cats(&j->last, what);
	if (more)
		(void)str_cat(&j->last, more);
}

/* b64 - append the base64 (RFC 4648) of s[0..n) to out */
static void b64(struct str *out, const char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63] };
		(void)str_catb(out, q, 4);
	}
	if (n - i == 1) {
		unsigned v = (unsigned char)s[i] << 16;
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63], '=', '=' };
		(void)str_catb(out, q, 4);
	} else if (n - i == 2) {
		unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8;
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], '=' };
		(void)str_catb(out, q, 4);
	}
}

/* put_data - data_put over the connection */
static int put_data(void *c, const char *s, size_t n)
{
	return smtp_put(c, s, n);
}

/* command - send one line (already CRLF-terminated) and read the reply; 1 ok, -1 I/O */
static int command(struct smtp *c, const struct str *cmd, struct reply *r, struct ehlo *e, int timeout)
{
	if (smtp_put(c, cmd->s, cmd->len) < 0 || smtp_flush(c, timeout) < 0)
		return -1;
	return smtp_reply(c, r, e, timeout);
}

/* quit - say goodbye politely and drop the connection */
static void quit(struct smtp *c)
{
	struct reply r = { 0, 0, 0, STR_INIT };

	if (smtp_puts(c, "QUIT\r\n") > 0 && smtp_flush(c, REMOTE_TIMEOUT_QUIT) > 0)
		(void)smtp_reply(c, &r, 0, REMOTE_TIMEOUT_QUIT);
	reply_free(&r);
	smtp_close(c);
}

/* authenticate - AUTH PLAIN or LOGIN (RFC 4954, 4616); 1 ok, 0 failed (j->last) */
static int authenticate(struct smtp *c, struct job *j, const struct ehlo *caps,
    const struct str *who, struct reply *r)
{
	struct str cmd = STR_INIT, tok = STR_INIT;
	int ok = 0;

	if (caps->flags & EHLO_AUTHPLAIN) {
		(void)str_append(&tok, 0);
		(void)str_cat(&tok, &j->user);
		(void)str_append(&tok, 0);
		(void)str_cat(&tok, &j->pass);
		(void)str_copys(&cmd, "AUTH PLAIN ");
		b64(&cmd, tok.s, tok.len);
		(void)str_cats(&cmd, "\r\n");
		if (command(c, &cmd, r, 0, T(REMOTE_TIMEOUT_MAIL)) < 0)
			lastset(j, who, "", &c->err);
		else if (reply_class(r) != 2)
			lastset(j, who, "refused AUTH PLAIN: ", &r->text);
		else
			ok = 1;
	} else if (caps->flags & EHLO_AUTHLOGIN) {
		(void)str_copys(&cmd, "AUTH LOGIN\r\n");
		if (command(c, &cmd, r, 0, T(REMOTE_TIMEOUT_MAIL)) < 0)
			lastset(j, who, "", &c->err);
		else if (r->code != 334)
			lastset(j, who, "refused AUTH LOGIN: ", &r->text);
		else {
			cmd.len = 0;
			b64(&cmd, j->user.s, j->user.len);
			(void)str_cats(&cmd, "\r\n");
			if (command(c, &cmd, r, 0, T(REMOTE_TIMEOUT_MAIL)) < 0)
				lastset(j, who, "", &c->err);
			else if (r->code != 334)
				lastset(j, who, "refused the AUTH LOGIN user: ", &r->text);
			else {
				str_wipe(&cmd);
				b64(&cmd, j->pass.s, j->pass.len);
				(void)str_cats(&cmd, "\r\n");
				if (command(c, &cmd, r, 0, T(REMOTE_TIMEOUT_MAIL)) < 0)
					lastset(j, who, "", &c->err);
				else if (reply_class(r) != 2)
					lastset(j, who, "refused the AUTH LOGIN password: ", &r->text);
				else
					ok = 1;
			}
		}
	} else
		lastset(j, who, "offers neither AUTH PLAIN nor AUTH LOGIN", 0);
	str_wipe(&cmd);
	str_wipe(&tok);
	return ok;
}

/*
 * transaction - one MAIL/RCPT/DATA for recipients idx[0..k) of j;
 * 1 done (those recipients decided), 0 the host failed (j->last),
 * -1 the connection is unusable after deciding them.
 */
static int transaction(struct smtp *c, struct job *j, const struct ehlo *caps,
    const unsigned *idx, unsigned k, const struct str *who, struct reply *r)
{
	static char rc[REMOTE_RCPTS_TXN];
	static struct str rt[REMOTE_RCPTS_TXN];
	struct str cmd = STR_INIT;
	unsigned i, accepted = 0;
	int pipelined = !!(caps->flags & EHLO_PIPELINING), ret = 1, mailcls, datacls = 0;

	(void)str_copys(&cmd, "MAIL FROM:<");
	(void)str_cats(&cmd, j->sender);
	(void)str_cats(&cmd, ">");
	if (caps->flags & EHLO_SIZE) {
		(void)str_cats(&cmd, " SIZE=");
		(void)str_catu(&cmd, j->size);
	}
	if (j->eightbit && (caps->flags & EHLO_8BITMIME))
		(void)str_cats(&cmd, " BODY=8BITMIME");
	(void)str_cats(&cmd, "\r\n");
	if (smtp_put(c, cmd.s, cmd.len) < 0)
		goto ioerr;
	if (pipelined) {
		for (i = 0; i < k; i++) {
			cmd.len = 0;
			(void)str_cats(&cmd, "RCPT TO:<");
			(void)str_cats(&cmd, j->rcpt[idx[i]]);
			(void)str_cats(&cmd, ">\r\n");
			if (smtp_put(c, cmd.s, cmd.len) < 0)
				goto ioerr;
		}
		if (smtp_puts(c, "DATA\r\n") < 0)
			goto ioerr;
	}
	if (smtp_flush(c, T(REMOTE_TIMEOUT_MAIL)) < 0 || smtp_reply(c, r, 0, T(REMOTE_TIMEOUT_MAIL)) < 0)
		goto ioerr;
	mailcls = reply_class(r);
	if (mailcls != 2 && !pipelined) {
		if (mailcls == 5) {
			for (i = 0; i < k; i++)
				result(j, idx[i], 'D', who, &r->text);
			ret = 1;
		} else {
			lastset(j, who, "refused the sender: ", &r->text);
			ret = 0;
		}
		goto out;
	}
	if (mailcls != 2)
		(void)str_copy(&rt[0], &r->text);	/* keep the MAIL reply for below */
	for (i = 0; i < k; i++) {
		if (!pipelined) {
			cmd.len = 0;
			(void)str_cats(&cmd, "RCPT TO:<");
			(void)str_cats(&cmd, j->rcpt[idx[i]]);
			(void)str_cats(&cmd, ">\r\n");
			if (command(c, &cmd, r, 0, T(REMOTE_TIMEOUT_RCPT)) < 0)
				goto ioerr;
		} else if (smtp_reply(c, r, 0, T(REMOTE_TIMEOUT_RCPT)) < 0)
			goto ioerr;
		if (mailcls != 2)
			continue;
		rc[i] = code_of(reply_class(r));
		(void)str_copy(&rt[i], &r->text);
		accepted += rc[i] == 'K';
	}
	if (pipelined || accepted) {
		if (!pipelined && smtp_puts(c, "DATA\r\n") < 0)
			goto ioerr;
		if (!pipelined && smtp_flush(c, T(REMOTE_TIMEOUT_DATA)) < 0)
			goto ioerr;
		if (smtp_reply(c, r, 0, T(REMOTE_TIMEOUT_DATA)) < 0)
			goto ioerr;
		datacls = reply_class(r);
	}
	if (mailcls != 2) {
		/* pipelined and the sender was refused: everything after it failed */
		if (datacls == 3 && (smtp_puts(c, ".\r\n") < 0 || smtp_flush(c, T(REMOTE_TIMEOUT_DOT)) < 0 ||
		    smtp_reply(c, r, 0, T(REMOTE_TIMEOUT_DOT)) < 0))
			goto ioerr;
		if (mailcls == 5) {
			for (i = 0; i < k; i++)
				result(j, idx[i], 'D', who, &rt[0]);
			ret = 1;
		} else {
			lastset(j, who, "refused the sender: ", &rt[0]);
			ret = 0;
		}
		goto out;
	}
	if (!accepted) {
		/* RFC 2920 §3.1: a 354 without recipients still needs the dot */
		if (datacls == 3 && (smtp_puts(c, ".\r\n") < 0 || smtp_flush(c, T(REMOTE_TIMEOUT_DOT)) < 0 ||
		    smtp_reply(c, r, 0, T(REMOTE_TIMEOUT_DOT)) < 0))
			ret = -1;
		for (i = 0; i < k; i++)
			result(j, idx[i], rc[i], who, &rt[i]);
		goto out;
	}
	if (datacls != 3) {
		for (i = 0; i < k; i++)
			if (rc[i] == 'K')
				result(j, idx[i], datacls == 5 ? 'D' : 'Z', who, &r->text);
			else
				result(j, idx[i], rc[i], who, &rt[i]);
		goto out;
	}
	c->timeout = T(REMOTE_TIMEOUT_BLOCK);
	if (data_copy(j->m, j->n, put_data, c) < 0 || smtp_flush(c, T(REMOTE_TIMEOUT_BLOCK)) < 0)
		goto ioerr;
	if (smtp_reply(c, r, 0, T(REMOTE_TIMEOUT_DOT)) < 0) {
		/* the message may have arrived: a retry later is all we can do */
		struct str why = STR_INIT;
		(void)str_copys(&why, "no reply to the end of the message, it may have been delivered: ");
		(void)str_cat(&why, &c->err);
		for (i = 0; i < k; i++)
			result(j, idx[i], rc[i] == 'K' ? 'Z' : rc[i], who, rc[i] == 'K' ? &why : &rt[i]);
		str_free(&why);
		ret = -1;
		goto out;
	}
	for (i = 0; i < k; i++)
		if (rc[i] == 'K')
			result(j, idx[i], code_of(reply_class(r)), who, &r->text);
		else
			result(j, idx[i], rc[i], who, &rt[i]);
out:
	str_free(&cmd);
	return ret;
ioerr:
	lastset(j, who, "", &c->err);
	str_free(&cmd);
	return 0;
}

/* attempt - deliver the undecided recipients through one address, with
 * STARTTLS unless plain is set; 1 all decided, 0 try the next address
 * (j->last says why; j->tlsfailed when a TLS handshake under /tls=try
 * failed, so that a plain-text attempt may follow) */
static int attempt(struct job *j, struct target *t, struct addr *a, int plain)
{
	static struct smtp c;
	struct reply r = { 0, 0, 0, STR_INIT };
	struct ehlo caps = { 0, 0 };
	struct str who = STR_INIT, cmd = STR_INIT;
	static unsigned idx[REMOTE_RCPTS_TXN];
	unsigned i, k;
	int esmtp = 1, tls = 0, ret = 0, required = j->p->tls >= ROUTE_TLS_MUST;

	safe_cats(&who, t->name);
	(void)str_cats(&who, " [");
	(void)dns_fmt(&who, a);
	(void)str_cats(&who, "]: ");
	memset(&c, 0, sizeof c);
	c.fd = -1;
	if (smtp_connect(&c, a, j->p->port, (int)tconnect) < 0) {
		lastset(j, &who, "", &c.err);
		goto out;
	}
	if (smtp_reply(&c, &r, 0, T(REMOTE_TIMEOUT_GREETING)) < 0) {
		lastset(j, &who, "", &c.err);
		goto drop;
	}
	if (reply_class(&r) != 2) {
		lastset(j, &who, "greeted us with: ", &r.text);
		goto bye;
	}
	(void)str_copys(&cmd, "EHLO ");
	(void)str_cat(&cmd, &helohost);
	(void)str_cats(&cmd, "\r\n");
again:
	caps.flags = 0;
	caps.size = 0;
	if (command(&c, &cmd, &r, &caps, T(REMOTE_TIMEOUT_MAIL)) < 0) {
		lastset(j, &who, "", &c.err);
		goto drop;
	}
	if (reply_class(&r) == 5 && !tls) {
		/* RFC 5321 §3.2: a server that does not know EHLO gets HELO */
		esmtp = 0;
		caps.flags = 0;
		(void)str_copys(&cmd, "HELO ");
		(void)str_cat(&cmd, &helohost);
		(void)str_cats(&cmd, "\r\n");
		if (command(&c, &cmd, &r, 0, T(REMOTE_TIMEOUT_MAIL)) < 0) {
			lastset(j, &who, "", &c.err);
			goto drop;
		}
	}
	if (reply_class(&r) != 2) {
		lastset(j, &who, "refused our greeting: ", &r.text);
		goto bye;
	}
	if (!tls && !plain && j->p->tls != ROUTE_TLS_NONE && (caps.flags & EHLO_STARTTLS)) {
		struct str st = STR_INIT;
		(void)str_copys(&st, "STARTTLS\r\n");
		i = (unsigned)command(&c, &st, &r, 0, T(REMOTE_TIMEOUT_MAIL));
		str_free(&st);
		if ((int)i < 0) {
			lastset(j, &who, "", &c.err);
			goto drop;
		}
		if (reply_class(&r) == 2) {
			/* SECURITY.md 18: nothing may come between the 220 and the
			 * handshake; bytes here were injected in the clear */
			if (smtp_pending(&c)) {
				lastset(j, &who, "sent data after its reply to STARTTLS (possible command injection); connection dropped", 0);
				goto drop;
			}
			if (smtp_tls(&c, ctx, t->name, j->p->tls == ROUTE_TLS_VERIFY, T(REMOTE_TIMEOUT_MAIL)) < 0) {
				lastset(j, &who, "", &c.err);
				j->tlsfailed = !required;
				goto drop;
			}
			tls = 1;
			goto again;	/* RFC 3207 §4.2: forget everything, EHLO again */
		}
		if (required) {
			lastset(j, &who, "refused STARTTLS, which esmtproutes requires: ", &r.text);
			goto bye;
		}
	}
	if (required && !tls) {
		lastset(j, &who, esmtp ? "does not offer STARTTLS, which esmtproutes requires"
				       : "does not speak ESMTP, so no STARTTLS, which esmtproutes requires", 0);
		goto bye;
	}
	if (j->authbad) {
		lastset(j, &who, "", &j->autherr);
		goto bye;
	}
	if (j->user.len) {
		if (!tls) {
			lastset(j, &who, "no TLS, so the password in control/esmtpauth was not sent", 0);
			goto bye;
		}
		if (!authenticate(&c, j, &caps, &who, &r))
			goto bye;
	}
	if ((caps.flags & EHLO_SIZE) && caps.size && j->size > caps.size) {
		struct str why = STR_INIT;
		(void)str_copys(&why, "5.3.4 the message is ");
		(void)str_catu(&why, j->size);
		(void)str_cats(&why, " bytes, more than the ");
		(void)str_catu(&why, caps.size);
		(void)str_cats(&why, " this server takes (its EHLO SIZE)");
		for (i = 0; i < j->nr; i++)
			if (!j->decided[i])
				result(j, i, 'D', &who, &why);
		str_free(&why);
		ret = 1;
		goto bye;
	}
	for (;;) {
		int tr;
		for (i = 0, k = 0; i < j->nr && k < REMOTE_RCPTS_TXN; i++)
			if (!j->decided[i])
				idx[k++] = i;
		if (!k) {
			ret = 1;
			goto bye;
		}
		tr = transaction(&c, j, &caps, idx, k, &who, &r);
		if (tr == 0)
			goto drop;
		if (tr < 0) {
			for (i = 0; i < j->nr && j->decided[i]; i++)
				;
			ret = i == j->nr;
			goto drop;
		}
	}
bye:
	quit(&c);
	goto out;
drop:
	smtp_close(&c);
out:
	reply_free(&r);
	str_free(&who);
	str_free(&cmd);
	return ret;
}

/* load_auth - credentials for relay from control/esmtpauth ("RELAY USER
 * PASSWORD" lines, the file mode 0600); sets j->user/pass or j->authbad */
static void load_auth(struct job *j, const char *relay)
{
	struct str path = STR_INIT, txt = STR_INIT;
	struct stat st;
	size_t p = 0;
	int fd;

	if (!control_path(&path, "esmtpauth"))
		goto nomem;
	fd = open(path.s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	str_free(&path);
	if (fd == -1) {
		if (errno == ENOENT)
			return;
		(void)str_copys(&j->autherr, "cannot open control/esmtpauth");
		j->authbad = 1;
		return;
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & 077)) {
		close(fd);
		(void)str_copys(&j->autherr, "control/esmtpauth is open to others; it must be mode 0600");
		j->authbad = 1;
		return;
	}
	for (;;) {
		ssize_t r;
		if (txt.len > 65536 || !str_readyplus(&txt, 4096)) {
			close(fd);
			str_wipe(&txt);
			(void)str_copys(&j->autherr, "control/esmtpauth is too big");
			j->authbad = 1;
			return;
		}
		r = read(fd, txt.s + txt.len, 4096);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		txt.len += (size_t)r;
	}
	close(fd);
	while (p < txt.len) {
		char *l = txt.s + p, *e = memchr(l, '\n', txt.len - p), *sp1, *sp2;
		size_t len = e ? (size_t)(e - l) : txt.len - p;
		p += len + 1;
		while (len && (l[len - 1] == '\r' || l[len - 1] == ' ' || l[len - 1] == '\t'))
			len--;
		if (!len || l[0] == '#')
			continue;
		sp1 = memchr(l, ' ', len);
		if (!sp1)
			continue;
		if ((size_t)(sp1 - l) != strlen(relay) || memcmp(l, relay, (size_t)(sp1 - l)))
			continue;
		sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - l));
		if (!sp2 || sp2 == sp1 + 1 || (size_t)(l + len - sp2 - 1) > REMOTE_AUTH_MAX) {
			(void)str_copys(&j->autherr, "control/esmtpauth: the line for this relay is not RELAY USER PASSWORD");
			j->authbad = 1;
			break;
		}
		(void)str_copyb(&j->user, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		(void)str_copyb(&j->pass, sp2 + 1, (size_t)(l + len - sp2 - 1));
		break;
	}
	str_wipe(&txt);
	return;
nomem:
	(void)str_copys(&j->autherr, "out of memory");
	j->authbad = 1;
}

void remote_deliver(const char *domain, const char *sender, char **rcpt, unsigned nr,
    const char *m, size_t n, struct rcptresult *res)
{
	static struct plan p;
	struct job j;
	unsigned i, a, tries = 0;
	struct str err = STR_INIT;

	memset(&j, 0, sizeof j);
	j.p = &p;
	j.sender = sender;
	j.rcpt = rcpt;
	j.nr = nr;
	j.res = res;
	j.m = m;
	j.n = n;
	j.decided = calloc(nr ? nr : 1, 1);
	if (!j.decided) {
		for (i = 0; i < nr; i++) {
			res[i].code = 'Z';
			(void)str_copys(&res[i].text, "out of memory");
		}
		return;
	}
	remote_plan(domain, &p, 0);
	if (p.verdict) {
		for (i = 0; i < nr; i++)
			result(&j, i, (char)p.verdict, 0, &p.text);
		goto out;
	}
	j.size = data_measure(m, n, &j.eightbit);
	if (p.relay.len)
		load_auth(&j, p.relay.s);
	(void)str_copys(&j.last, "no host could be reached");
	for (i = 0; i < p.n && tries < REMOTE_CONNECTS_MAX; i++) {
		struct target *t = &p.t[i];
		int r = resolve(t, &err);
		if (r != DNS_OK) {
			j.last.len = 0;
			safe_cats(&j.last, t->name);
			(void)str_cats(&j.last, ": ");
			if (r == DNS_TEMP)
				(void)str_cat(&j.last, &err);
			else
				(void)str_cats(&j.last, "no AAAA or A record");
			continue;
		}
		for (a = 0; a < t->addrs.n && tries < REMOTE_CONNECTS_MAX; a++) {
			tries++;
			j.tlsfailed = 0;
			if (attempt(&j, t, &t->addrs.a[a], 0))
				goto out;
			/* /tls=try: a server whose TLS is broken still gets the
			 * mail in plain text, as it would without STARTTLS */
			if (j.tlsfailed && tries < REMOTE_CONNECTS_MAX) {
				tries++;
				if (attempt(&j, t, &t->addrs.a[a], 1))
					goto out;
			}
		}
	}
	for (i = 0; i < nr; i++)
		if (!j.decided[i])
			result(&j, i, 'Z', 0, &j.last);
out:
	free(j.decided);
	str_wipe(&j.user);
	str_wipe(&j.pass);
	str_free(&j.autherr);
	str_free(&j.last);
	str_free(&err);
}
