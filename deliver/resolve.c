/*
 * resolve.c - address resolution for local delivery; see resolve.h.
 * runs as:  root (kurier-lspawn's child before the drop, kurier-local,
 *           kurier-route) or any user for kurier-route
 * trusts:   conf-home's control/ and users/ files and the passwd file;
 *           the address itself is attacker data and is only compared
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "auto.h"
#include "cdbx.h"
#include "control.h"
#include "resolve.h"
#include "sandbox.h"
#include "scan.h"
#include "userdb.h"

void resolve_lower(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] + 32);
}

/* acct_clear - forget an account's values */
static void acct_clear(struct account *a)
{
	a->uid = 0;
	a->gid = 0;
	a->user.len = a->home.len = a->ext.len = a->mail.len = 0;
	a->quota.bytes = a->quota.count = 0;
	a->has_quota = a->virtual = 0;
}

void resolve_init(struct resolved *r)
{
	memset(r, 0, sizeof *r);
}

void resolve_free(struct resolved *r)
{
	str_free(&r->local);
	str_free(&r->domain);
	str_free(&r->acct.user);
	str_free(&r->acct.home);
	str_free(&r->acct.ext);
	str_free(&r->acct.mail);
	str_free(&r->targets);
	str_free(&r->why);
	str_free(&r->text);
}

/* why - append the C strings (ending with 0) and a newline to r->why; 1 ok, 0 no memory */
static int why(struct resolved *r, const char *first, ...)
	__attribute__((sentinel));
static int why(struct resolved *r, const char *first, ...)
{
	va_list ap;
	const char *s;
	int ok = 1;

	va_start(ap, first);
	for (s = first; s && ok; s = va_arg(ap, const char *))
		ok = str_cats(&r->why, s);
	va_end(ap);
	return ok && str_append(&r->why, '\n');
}

/* fail - set r->text and note it; returns code (or RES_TEMP when out of memory) */
static int fail(struct resolved *r, int code, const char *text)
{
	if (!str_copys(&r->text, text) || !why(r, "result: ", text, (const char *)0))
		return RES_TEMP;
	return code;
}

int resolve_locals_match(const char *list, size_t len, const char *d, size_t n, const char **entry)
{
	size_t i;
	struct str e = STR_INIT;
	int hit = 0;

	*entry = 0;
	/* exceptions first: "!host" wins over any wildcard */
	for (i = 0; i < len; i += strlen(list + i) + 1)
		if (list[i] == '!' && strlen(list + i + 1) == n) {
			if (!str_copys(&e, list + i + 1))
				break;
			resolve_lower(e.s, e.len);
			if (memcmp(e.s, d, n) == 0) {
				*entry = list + i;
				str_free(&e);
				return 0;
			}
		}
	for (i = 0; i < len && !hit; i += strlen(list + i) + 1) {
		size_t el = strlen(list + i);
		if (list[i] == '!' || !str_copyb(&e, list + i, el))
			continue;
		resolve_lower(e.s, e.len);
		if (e.s[0] == '.' && el > 1)
			hit = n > el && memcmp(d + n - el, e.s, el) == 0;
		else
			hit = n == el && memcmp(d, e.s, n) == 0;
		if (hit)
			*entry = list + i;
	}
	str_free(&e);
	return hit;
}

/* home_path - conf-home/sub/name into out; 1 ok, 0 no memory */
static int home_path(struct str *out, const char *sub, const char *name)
{
	return str_copys(out, auto_home) && str_cats(out, "/") && str_cats(out, sub) &&
	       str_cats(out, "/") && str_cats(out, name);
}

/* lookup - key in conf-home/sub/file; 1 found (value in val), 0 not, -1 error */
static int lookup(const char *sub, const char *file, const char *key, size_t klen, struct str *val)
{
	struct str p = STR_INIT;
	int r = -1;

	if (home_path(&p, sub, file))
		r = cdbx_get(p.s, key, klen, val);
	str_free(&p);
	return r;
}

/* domain_class - 1 local, 2 hosted (canonical name into canon), 0 foreign, -1 error */
static int domain_class(struct resolved *r, struct str *canon)
{
	struct str list = STR_INIT, me = STR_INIT, val = STR_INIT;
	const char *entry;
	int k;

	k = control_readlist(&list, "locals");
	if (k < 0) {
		str_free(&list);
		return -1;
	}
	if (k == 0) {
		if (control_me(&me) < 0) {
			str_free(&list);
			return -1;
		}
		resolve_lower(me.s, me.len);
		k = me.len == r->domain.len && memcmp(me.s, r->domain.s, me.len) == 0;
		why(r, "domain ", r->domain.s, k ? ": local (no control/locals; it is control/me)" :
		    ": not local (no control/locals; control/me is ", k ? "" : me.s, k ? "" : ")",
		    (const char *)0);
		str_free(&me);
		if (k)
			return 1;
	} else {
		k = resolve_locals_match(list.s, list.len, r->domain.s, r->domain.len, &entry);
		if (k) {
			why(r, "domain ", r->domain.s, ": local (control/locals entry \"", entry, "\")",
			    (const char *)0);
			str_free(&list);
			return 1;
		}
		if (entry)
			why(r, "domain ", r->domain.s, ": not local (control/locals exception \"", entry, "\")",
			    (const char *)0);
	}
	str_free(&list);
	k = lookup("control", "hosteddomains.cdb", r->domain.s, r->domain.len, &val);
	if (k < 0) {
		str_free(&val);
		return -1;
	}
	if (k > 0) {
		if (val.len) {
			resolve_lower(val.s, val.len);
			k = str_copy(canon, &val) && str_0(canon) ? 1 : -1;
			canon->len--;
			why(r, "domain ", r->domain.s, ": hosted (control/hosteddomains.cdb), an alias of ",
			    canon->s, (const char *)0);
		} else {
			k = str_copy(canon, &r->domain) && str_0(canon) ? 1 : -1;
			canon->len--;
			why(r, "domain ", r->domain.s, ": hosted (control/hosteddomains.cdb)", (const char *)0);
		}
		str_free(&val);
		return k < 0 ? -1 : 2;
	}
	str_free(&val);
	why(r, "domain ", r->domain.s, ": not in control/locals or control/hosteddomains.cdb",
	    (const char *)0);
	return 0;
}

int resolve_passwd(const char *passwd, const char *name, size_t n, struct account *acct)
{
	struct str pw = STR_INIT;
	size_t i = 0;
	int r = control_readfile(&pw, passwd);

	if (r <= 0) {
		str_free(&pw);
		return r < 0 ? -1 : 0;
	}
	r = 0;
	/* a ':' would let "alice:x" match alice's line as a name of its own */
	while (i < pw.len && n && !memchr(name, ':', n)) {
		const char *line = pw.s + i;
		const char *nl = memchr(line, '\n', pw.len - i);
		size_t ll = nl ? (size_t)(nl - line) : pw.len - i;
		if (ll > n && line[n] == ':' && memcmp(line, name, n) == 0) {
			/* name:pw:uid:gid:gecos:home:shell */
			const char *f[7];
			size_t fl[7], k = 0, p = 0, st = 0;
			unsigned long long u, g;
			for (; p <= ll && k < 7; p++)
				if (p == ll || line[p] == ':') {
					f[k] = line + st;
					fl[k++] = p - st;
					st = p + 1;
				}
			if (k < 6 || scan_ulong(f[2], fl[2], &u) != fl[2] ||
			    scan_ulong(f[3], fl[3], &g) != fl[3] || u > (uid_t)-2 || g > (gid_t)-2) {
				r = 0;	/* a broken line names nobody */
				break;
			}
			acct->uid = (uid_t)u;
			acct->gid = (gid_t)g;
			if (!str_copyb(&acct->user, name, n) || !str_0(&acct->user) ||
			    !str_copyb(&acct->home, f[5], fl[5]) || !str_0(&acct->home))
				r = -1;
			else
				r = 1;
			acct->user.len--;
			acct->home.len--;
			break;
		}
		i += ll + 1;
	}
	str_free(&pw);
	return r;
}

/* set_ext - acct->ext = l[k+1..n) (after "user-"); 1 ok, 0 no memory */
static int set_ext(struct account *a, const char *l, size_t n, size_t k)
{
	if (!str_copyb(&a->ext, k < n ? l + k + 1 : "", k < n ? n - k - 1 : 0) || !str_0(&a->ext))
		return 0;
	a->ext.len--;
	return 1;
}

/* prev_dash - the index of the last '-' in l[0..k), or 0 when there is none */
static size_t prev_dash(const char *l, size_t k)
{
	while (k > 0 && l[k - 1] != '-')
		k--;
	return k ? k - 1 : 0;
}

/* system_account - find the account for local part l[0..n) (lower case); RES_* */
static int system_account(struct resolved *r, const char *l, size_t n, const char *passwd)
{
	unsigned long long minuid;
	size_t k = n;
	int tries = 0, f;
	char num[FMT_ULONG];

	if (control_readulong(&minuid, "minuid", RESOLVE_MINUID_DEFAULT) < 0)
		return fail(r, RES_TEMP, "cannot read control/minuid");
	while (k > 0 && tries++ < RESOLVE_EXT_TRIES) {
		acct_clear(&r->acct);
		f = resolve_passwd(passwd, l, k, &r->acct);
		if (f < 0)
			return fail(r, RES_TEMP, "cannot read the passwd file");
		if (f > 0) {
			if (!set_ext(&r->acct, l, n, k))
				return RES_TEMP;
			num[fmt_ulong(num, r->acct.uid)] = 0;
			why(r, "account: ", r->acct.user.s, " (", passwd, ": uid ", num,
			    ", home ", r->acct.home.s, ")", (const char *)0);
			if (r->acct.ext.len)
				why(r, "extension: ", r->acct.ext.s, (const char *)0);
			if (r->acct.uid == 0)
				return fail(r, RES_UNKNOWN, "root never receives mail; add an alias");
			if (r->acct.uid < minuid)
				return fail(r, RES_UNKNOWN, "the account's uid is below control/minuid");
			return RES_ACCOUNT;
		}
		k = prev_dash(l, k);
	}
	acct_clear(&r->acct);
	return fail(r, RES_UNKNOWN, "no such user here");
}

/* num_or_name - a uid/gid field: digits, or an account name looked up in passwd; 1 ok, 0 bad */
static int num_or_name(const struct str *v, const char *passwd, int want_gid, unsigned long long *out)
{
	struct account a;
	int r;

	if (v->len && scan_ulong(v->s, v->len, out) == v->len)
		return 1;
	memset(&a, 0, sizeof a);
	r = v->len ? resolve_passwd(passwd, v->s, v->len, &a) : 0;
	if (r > 0)
		*out = want_gid ? a.gid : a.uid;
	str_free(&a.user);
	str_free(&a.home);
	return r > 0;
}

/* virtual_account - the userdb account for l@canon; RES_* */
static int virtual_account(struct resolved *r, const char *l, size_t n, const struct str *canon,
    const char *passwd)
{
	struct str key = STR_INIT, rec = STR_INIT, v = STR_INIT;
	unsigned long long u, g;
	size_t k = n;
	int tries = 0, f = 0, res;

	while (k > 0 && tries++ < RESOLVE_EXT_TRIES) {
		if (!str_copyb(&key, l, k) || !str_append(&key, '@') || !str_cat(&key, canon)) {
			res = RES_TEMP;
			goto out;
		}
		f = lookup("users", "userdb.cdb", key.s, key.len, &rec);
		if (f != 0)
			break;
		k = prev_dash(l, k);
	}
	if (f < 0) {
		res = fail(r, RES_TEMP, "cannot read users/userdb.cdb");
		goto out;
	}
	if (f == 0) {
		res = fail(r, RES_UNKNOWN, "no such user in users/userdb.cdb");
		goto out;
	}
	acct_clear(&r->acct);
	r->acct.virtual = 1;
	if (!str_copy(&r->acct.user, &key) || !str_0(&r->acct.user) || !set_ext(&r->acct, l, n, k)) {
		res = RES_TEMP;
		goto out;
	}
	r->acct.user.len--;
	why(r, "account: ", r->acct.user.s, " (users/userdb.cdb)", (const char *)0);
	if (r->acct.ext.len)
		why(r, "extension: ", r->acct.ext.s, (const char *)0);
	if (userdb_field(rec.s, rec.len, "uid", &v) <= 0 || !num_or_name(&v, passwd, 0, &u) ||
	    userdb_field(rec.s, rec.len, "gid", &v) <= 0 || !num_or_name(&v, passwd, 1, &g) ||
	    u > (uid_t)-2 || g > (gid_t)-2) {
		/* a virtual account without ids belongs to the virtual mailbox
		 * owner, with the group nofiles: kurierv's own group (kurier) may
		 * read the queue, and a mailbox's programs must not */
		struct account o;
		gid_t ng;
		memset(&o, 0, sizeof o);
		f = resolve_passwd(passwd, auto_user_v, strlen(auto_user_v), &o);
		u = o.uid;
		str_free(&o.user);
		str_free(&o.home);
		if (f <= 0) {
			res = fail(r, RES_TEMP, "userdb record lacks uid/gid and the virtual owner is unknown");
			goto out;
		}
		if (sandbox_gid(auto_group_nofiles, &ng) != 1 || ng == 0) {
			res = fail(r, RES_TEMP, "userdb record lacks uid/gid and the group nofiles is missing");
			goto out;
		}
		g = ng;
		why(r, "owner: ", auto_user_v, ", group ", auto_group_nofiles, " (the record has no usable uid/gid)", (const char *)0);
	}
	r->acct.uid = (uid_t)u;
	r->acct.gid = (gid_t)g;
	f = userdb_field(rec.s, rec.len, "home", &v);
	if (f <= 0 || !v.len) {
		res = fail(r, RES_TEMP, "userdb record has no home");
		goto out;
	}
	if (!str_copy(&r->acct.home, &v) || !str_0(&r->acct.home)) {
		res = RES_TEMP;
		goto out;
	}
	r->acct.home.len--;
	f = userdb_field(rec.s, rec.len, "mail", &v);
	if (f > 0 && v.len) {
		if (!str_copy(&r->acct.mail, &v) ||
		    (v.s[v.len - 1] != '/' && !str_append(&r->acct.mail, '/')) || !str_0(&r->acct.mail)) {
			res = RES_TEMP;
			goto out;
		}
		r->acct.mail.len--;
	}
	f = userdb_field(rec.s, rec.len, "quota", &v);
	if (f > 0 && v.len) {
		if (!maildir_quota_parse(v.s, v.len, &r->acct.quota)) {
			res = fail(r, RES_TEMP, "userdb quota= is malformed");
			goto out;
		}
		r->acct.has_quota = 1;
		why(r, "quota: ", v.s, " (userdb)", (const char *)0);
	}
	{
		char num[FMT_ULONG];
		num[fmt_ulong(num, r->acct.uid)] = 0;
		why(r, "uid ", num, ", home ", r->acct.home.s, r->acct.mail.len ? ", mail " : "",
		    r->acct.mail.len ? r->acct.mail.s : "", (const char *)0);
	}
	if (r->acct.uid == 0) {
		res = fail(r, RES_UNKNOWN, "uid 0 never receives mail");
		goto out;
	}
	res = RES_ACCOUNT;
out:
	str_free(&key);
	str_free(&rec);
	str_free(&v);
	return res;
}

/*
 * alias_user - make r->acct the alias user (kuriera) with the group
 * nofiles, not its own group kurier, which may read the queue: a program
 * in an alias has no business there.  RES_ALIAS or RES_TEMP.
 */
static int alias_user(struct resolved *r, const char *passwd)
{
	gid_t g;
	int f;

	acct_clear(&r->acct);
	f = resolve_passwd(passwd, auto_user_a, strlen(auto_user_a), &r->acct);
	if (f <= 0)
		return fail(r, RES_TEMP, "the alias user is not in the passwd file");
	if (r->acct.uid == 0)
		return fail(r, RES_TEMP, "the alias user must not be root");
	if (sandbox_gid(auto_group_nofiles, &g) != 1 || g == 0)
		return fail(r, RES_TEMP, "the group nofiles is missing");
	r->acct.gid = g;
	return RES_ALIAS;
}

/*
 * addr_bytes_ok - 1 if a[0..n) has no control byte (it goes into a
 * Delivered-To line, the mbox From line and programs' environment) and
 * no '/' (it becomes part of file names); 0 otherwise
 */
static int addr_bytes_ok(const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c < 32 || c == 127 || c == '/')
			return 0;
	}
	return 1;
}

/*
 * postmaster_targets - control/postmaster's lines as alias targets into
 * r->targets; 1 set, 0 no such file (or empty), -1 error
 */
static int postmaster_targets(struct resolved *r)
{
	int k = control_readlist(&r->targets, "postmaster");

	if (k <= 0 || !r->targets.len) {
		r->targets.len = 0;
		return k < 0 ? -1 : 0;
	}
	why(r, "postmaster: control/postmaster", (const char *)0);
	return 1;
}

/*
 * postmaster_default - RFC 5321 4.5.1: postmaster must be deliverable.
 * With neither control/postmaster, an alias nor an account, its mail
 * goes to the maildir conf-home/postmaster/ as the alias user; RES_*
 */
static int postmaster_default(struct resolved *r, const char *passwd)
{
	r->text.len = r->targets.len = 0;
	if (!str_copys(&r->targets, auto_home) || !str_cats(&r->targets, "/" RESOLVE_POSTMASTER_DIR "/") ||
	    !str_0(&r->targets))
		return RES_TEMP;
	why(r, "postmaster: no control/postmaster, alias or account; the default maildir ",
	    r->targets.s, (const char *)0);
	return alias_user(r, passwd);
}

int resolve_address(const char *a, size_t n, const char *passwd, struct resolved *r)
{
	struct str addr = STR_INIT, key = STR_INIT, canon = STR_INIT, val = STR_INIT, t = STR_INIT;
	size_t at = n, ll;
	int dom, f, res, ispm;

	r->why.len = r->text.len = r->targets.len = 0;
	acct_clear(&r->acct);
	if (n > RESOLVE_ADDR_MAX || !addr_bytes_ok(a, n))
		return fail(r, RES_UNKNOWN, "malformed address");
	while (at > 0 && a[at - 1] != '@')
		at--;
	if (at) {
		if (!str_copyb(&r->local, a, at - 1) || !str_0(&r->local) ||
		    !str_copyb(&r->domain, a + at, n - at) || !str_0(&r->domain))
			return RES_TEMP;
	} else {
		/* a bare local name is a local address (postmaster, and administrators) */
		if (!str_copyb(&r->local, a, n) || !str_0(&r->local) || control_me(&r->domain) < 0 ||
		    !str_0(&r->domain))
			return fail(r, RES_TEMP, "cannot read control/me");
	}
	r->local.len--;
	r->domain.len--;
	resolve_lower(r->domain.s, r->domain.len);
	ll = r->local.len;
	if (!ll || !r->domain.len || r->local.s[0] == '.' || r->local.s[0] == '-')
		return fail(r, RES_UNKNOWN, "malformed address");
	if (!str_copy(&addr, &r->local) || !str_append(&addr, '@') || !str_cat(&addr, &r->domain) ||
	    !str_0(&addr)) {
		res = RES_TEMP;
		goto out;
	}
	addr.len--;
	resolve_lower(addr.s, addr.len);
	ispm = ll == 10 && memcmp(addr.s, "postmaster", 10) == 0;
	dom = domain_class(r, &canon);
	if (dom < 0) {
		res = fail(r, RES_TEMP, "cannot read the domain lists in control/");
		goto out;
	}
	if (dom == 0 && ispm && !at) {
		/* <postmaster> alone is this host's, whatever control/locals lists */
		why(r, "postmaster alone: local", (const char *)0);
		dom = 1;
	}
	if (dom == 0) {
		res = RES_FOREIGN;
		goto out;
	}
	if (ispm) {
		f = postmaster_targets(r);
		if (f < 0) {
			res = fail(r, RES_TEMP, "cannot read control/postmaster");
			goto out;
		}
		if (f > 0) {
			res = alias_user(r, passwd);
			goto out;
		}
	}
	/* aliases: the whole address, the bare name for local domains, then "@dom" */
	f = lookup("control", "aliases.cdb", addr.s, addr.len, &val);
	if (f > 0)
		why(r, "alias: control/aliases.cdb key \"", addr.s, "\"", (const char *)0);
	if (f == 0 && dom == 1) {
		f = lookup("control", "aliases.cdb", addr.s, ll, &val);
		if (f > 0) {
			if (str_copyb(&t, addr.s, ll) && str_0(&t))
				why(r, "alias: control/aliases.cdb key \"", t.s, "\"", (const char *)0);
		}
	}
	if (f == 0) {
		if (!str_copys(&key, "@") || !str_cat(&key, &r->domain) || !str_0(&key)) {
			res = RES_TEMP;
			goto out;
		}
		f = lookup("control", "aliases.cdb", key.s, key.len - 1, &val);
		if (f > 0) {
			why(r, "alias: control/aliases.cdb key \"", key.s, "\" (catch-all)", (const char *)0);
			if (val.len && !memchr(val.s, '@', strlen(val.s)) && val.s[0] != '|' &&
			    val.s[0] != '/' && strlen(val.s) + 1 == val.len) {
				/* "@dom: localuser": x@dom goes to localuser-x */
				if (!str_copys(&t, val.s) || !str_append(&t, '-') ||
				    !str_catb(&t, addr.s, ll) || !str_0(&t)) {
					res = RES_TEMP;
					goto out;
				}
				why(r, "catch-all: ", r->local.s, " goes to the account extension ", t.s,
				    (const char *)0);
				res = system_account(r, t.s, t.len - 1, passwd);
				goto out;
			}
		}
	}
	if (f < 0) {
		res = fail(r, RES_TEMP, "cannot read control/aliases.cdb");
		goto out;
	}
	if (f > 0) {
		size_t i;
		if (!val.len || val.s[val.len - 1] != 0) {
			res = fail(r, RES_TEMP, "control/aliases.cdb holds a malformed value");
			goto out;
		}
		for (i = 0; i < val.len; i += strlen(val.s + i) + 1)
			why(r, "  target: ", val.s + i, (const char *)0);
		if (!str_copy(&r->targets, &val)) {
			res = RES_TEMP;
			goto out;
		}
		res = alias_user(r, passwd);
		goto out;
	}
	why(r, "alias: none", (const char *)0);
	if (dom == 1)
		res = system_account(r, addr.s, ll, passwd);
	else
		res = virtual_account(r, addr.s, ll, &canon, passwd);
	if (ispm && res == RES_UNKNOWN)
		res = postmaster_default(r, passwd);
out:
	str_free(&addr);
	str_free(&key);
	str_free(&canon);
	str_free(&val);
	str_free(&t);
	return res;
}
