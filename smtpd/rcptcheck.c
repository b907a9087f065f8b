/*
 * rcptcheck.c - accepted domains and recipient existence; see
 * rcptcheck.h.  Runs inside kurier-smtpd (uid kurierd); trusts the
 * files under conf-home (root's) and the passwd file.
 */
#include <string.h>
#include <unistd.h>
#include "cdbx.h"
#include "control.h"
#include "rcptcheck.h"

#define HOSTNAME_MAX 256	/* a host name fits a DNS name (RFC 1035) */

int rcpt_lower(struct str *out, const char *s, size_t n)
{
	size_t i;

	if (!str_copyb(out, s, n))
		return 0;
	for (i = 0; i < n; i++)
		if (out->s[i] >= 'A' && out->s[i] <= 'Z')
			out->s[i] = (char)(out->s[i] + 32);
	return 1;
}

/* path - home/sub/name into out; 1 ok, 0 no memory */
static int path(struct str *out, const struct rcptcheck *rc, const char *sub, const char *name)
{
	return str_copys(out, rc->home) && str_cats(out, "/") &&
	       str_cats(out, sub) && str_cats(out, "/") && str_cats(out, name);
}

/* cdb_lookup - 1 if key is in home/sub/file (data into val), 0 not, -1 error */
static int cdb_lookup(const struct rcptcheck *rc, const char *sub, const char *file,
    const char *key, size_t klen, struct str *val)
{
	struct str p = STR_INIT;
	int r;

	if (!path(&p, rc, sub, file)) {
		str_free(&p);
		return -1;
	}
	r = cdbx_get(p.s, key, klen, val);
	str_free(&p);
	return r;
}

/* eq - 1 if a[0..an) equals the C string b */
static int eq(const char *a, size_t an, const char *b)
{
	return strlen(b) == an && memcmp(a, b, an) == 0;
}

/* lower_eq - 1 if lower-case d[0..n) equals entry, ignoring entry's case */
static int lower_eq(const char *d, size_t n, const char *entry)
{
	struct str e = STR_INIT;
	int r;

	if (!rcpt_lower(&e, entry, strlen(entry)))
		return 0;
	r = eq(d, n, e.s);
	str_free(&e);
	return r;
}

/* in_locals - 1 if lower-case d is local, 0 not, -1 error */
static int in_locals(const struct rcptcheck *rc, const char *d, size_t n)
{
	struct str p = STR_INIT, list = STR_INIT, me = STR_INIT;
	size_t i;
	int r, hit = 0;

	if (!path(&p, rc, "control", "locals"))
		return -1;
	r = control_readlist(&list, p.s);
	if (r == 0) {
		/* no locals: only me (Courier) */
		if (!path(&p, rc, "control", "me")) {
			r = -1;
		} else {
			r = control_readline(&me, p.s, "");
			if (r == 0) {
				char host[HOSTNAME_MAX];
				if (gethostname(host, sizeof host - 1) == 0) {
					host[sizeof host - 1] = 0;
					r = str_copys(&me, host) ? 1 : -1;
				} else {
					r = -1;
				}
			}
			if (r > 0)
				hit = lower_eq(d, n, me.s);
		}
		str_free(&p);
		str_free(&me);
		return r < 0 ? -1 : hit;
	}
	str_free(&p);
	if (r < 0)
		return -1;
	/* exceptions first: "!host" wins over any wildcard */
	for (i = 0; i < list.len; i += strlen(list.s + i) + 1)
		if (list.s[i] == '!' && lower_eq(d, n, list.s + i + 1)) {
			str_free(&list);
			return 0;
		}
	for (i = 0; i < list.len && !hit; i += strlen(list.s + i) + 1) {
		const char *e = list.s + i;
		size_t el = strlen(e);
		if (e[0] == '!')
			continue;
		if (e[0] == '.' && el > 1 && n > el)
			hit = lower_eq(d + n - el, el, e);
		else
			hit = lower_eq(d, n, e);
	}
	str_free(&list);
	return hit;
}

int rcpt_domain(const struct rcptcheck *rc, const char *dom, size_t n)
{
	struct str d = STR_INIT, val = STR_INIT;
	int r;

	if (!n)
		return DOM_LOCAL;	/* <postmaster> */
	if (!rcpt_lower(&d, dom, n))
		return DOM_TEMP;
	if (d.s[0] == '[') {
		/* an address literal is ours only when it names the address we answer on */
		r = rc->localip && n == strlen(rc->localip) + 2 && d.s[n - 1] == ']' &&
		    memcmp(d.s + 1, rc->localip, n - 2) == 0 ? DOM_LOCAL : DOM_FOREIGN;
		str_free(&d);
		return r;
	}
	r = in_locals(rc, d.s, d.len);
	if (r != 0) {
		str_free(&d);
		return r < 0 ? DOM_TEMP : DOM_LOCAL;
	}
	r = cdb_lookup(rc, "control", "hosteddomains.cdb", d.s, d.len, &val);
	if (r > 0) {
		r = DOM_HOSTED;
	} else if (r == 0) {
		r = cdb_lookup(rc, "control", "esmtpacceptmailfor.cdb", d.s, d.len, &val);
		if (r > 0)
			r = DOM_ACCEPT;
	}
	str_free(&d);
	str_free(&val);
	return r < 0 ? DOM_TEMP : r;
}

/* passwd_has - 1 if name[0..n) is an account in the passwd file, 0 not, -1 error */
static int passwd_has(const struct rcptcheck *rc, const char *name, size_t n)
{
	struct str pw = STR_INIT;
	size_t i = 0;
	int r = control_readfile(&pw, rc->passwd);

	if (r <= 0) {
		str_free(&pw);
		return r < 0 ? -1 : 0;
	}
	r = 0;
	while (i < pw.len) {
		const char *line = pw.s + i;
		const char *nl = memchr(line, '\n', pw.len - i);
		size_t ll = nl ? (size_t)(nl - line) : pw.len - i;
		if (ll > n && line[n] == ':' && memcmp(line, name, n) == 0 && n) {
			r = 1;
			break;
		}
		i += ll + 1;
	}
	str_free(&pw);
	return r;
}

/* system_user - 1 if local part l (lower case) is an account or account-ext, 0 not, -1 error */
static int system_user(const struct rcptcheck *rc, const char *l, size_t n)
{
	size_t k = n;
	int r;

	for (;;) {
		r = passwd_has(rc, l, k);
		if (r)
			return r;
		while (k > 0 && l[k - 1] != '-')
			k--;
		if (k == 0)
			return 0;
		k--;	/* drop "-ext" and try the shorter name */
	}
}

int rcpt_check(const struct rcptcheck *rc, const char *a, size_t n)
{
	struct str addr = STR_INIT, key = STR_INIT, val = STR_INIT;
	size_t at = n, dl;
	int dom, r = RCPT_UNKNOWN, f;

	while (at > 0 && a[at - 1] != '@')
		at--;
	if (!at) {
		return RCPT_OK;	/* <postmaster>: RFC 5321 §4.5.1 */
	}
	dl = n - at;
	dom = rcpt_domain(rc, a + at, dl);
	if (dom == DOM_TEMP)
		return RCPT_TEMP;
	if (dom == DOM_FOREIGN)
		return RCPT_FOREIGN;
	if (dom == DOM_ACCEPT)
		return RCPT_OK;
	if (!rcpt_lower(&addr, a, n))
		return RCPT_TEMP;
	if (eq(addr.s, at - 1, "postmaster")) {
		str_free(&addr);
		return RCPT_OK;
	}
	/* aliases: the whole address, the bare local name (local domains), "@dom" */
	f = cdb_lookup(rc, "control", "aliases.cdb", addr.s, addr.len, &val);
	if (f == 0 && dom == DOM_LOCAL)
		f = cdb_lookup(rc, "control", "aliases.cdb", addr.s, at - 1, &val);
	if (f == 0) {
		f = str_copys(&key, "@") && str_catb(&key, addr.s + at, dl) ?
		    cdb_lookup(rc, "control", "aliases.cdb", key.s, key.len, &val) : -1;
	}
	if (f > 0) {
		r = RCPT_OK;
	} else if (f < 0) {
		r = RCPT_TEMP;
	} else if (dom == DOM_LOCAL) {
		f = system_user(rc, addr.s, at - 1);
		r = f > 0 ? RCPT_OK : f < 0 ? RCPT_TEMP : RCPT_UNKNOWN;
	} else {
		/* hosted: the canonical domain may differ (alias domains) */
		f = cdb_lookup(rc, "control", "hosteddomains.cdb", addr.s + at, dl, &val);
		if (f > 0 && val.len) {
			size_t i;
			for (i = 0; i < val.len; i++)
				if (val.s[i] >= 'A' && val.s[i] <= 'Z')
					val.s[i] = (char)(val.s[i] + 32);
			if (!str_copyb(&key, addr.s, at) || !str_cat(&key, &val))
				f = -1;
		} else if (f >= 0) {
			f = str_copy(&key, &addr) ? 1 : -1;
		}
		if (f > 0)
			f = cdb_lookup(rc, "users", "userdb.cdb", key.s, key.len, &val);
		r = f > 0 ? RCPT_OK : f < 0 ? RCPT_TEMP : RCPT_UNKNOWN;
	}
	str_free(&addr);
	str_free(&key);
	str_free(&val);
	return r;
}
