/*
 * kurier-checkpw - checkpassword login helper for userdb accounts.
 * runs as:  root: called by root (Dovecot) or setuid root by a program
 *           in group kurier (kurier-smtpd, the login servers)
 * usage:    kurier-checkpw [helper...] [--] program [arg...]
 * input:    login\0password\0stamp\0 on fd 3 (CRAM-MD5: login\0digest\0challenge\0)
 * reads:    conf-home/users/userdb.cdb (account) and userdbshadow.cdb
 *           (systempw, imappw, pop3pw, esmtppw, hmac-md5pw)
 * trusts:   conf-home; nothing on fd 3
 * exit:     1 bad login; 2 misuse; 111 temporary; else the program's
 *           (on success it becomes the account and executes the program)
 * cost:     one process; one argon2id verification (64 MiB, tens of ms)
 *           per password tried, inside one of the hashing slots.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "cdbx.h"
#include "exitcode.h"
#include "log.h"
#include "md5.h"
#include "scan.h"
#include "userdb.h"
#include "checkpw.h"

/* a hash with userdbpw's parameters (argon2id, OPSLIMIT/MEMLIMIT_INTERACTIVE)
 * of a password nobody uses: verifying against it costs what a real
 * verification costs, so unknown users answer as slowly as known ones */
static const char dummy_hash[] =
	"$argon2id$v=19$m=65536,t=2,p=1$XwLcMlaNQBdJs1gMXuSyww$/wUSM5R5vLlgIbgyKFmClEg1cH7MsRMCDKr5ReDGc7Q";

static struct cpw c;

/* argon2_verify - 1 if the argon2 string h matches the password, else 0 */
static int argon2_verify(const char *h, size_t hlen)
{
	int ok;

	if (hlen >= crypto_pwhash_STRBYTES)
		return 0;
	/* only here: a login handed on to the next helper never pays for it */
	if (sodium_init() < 0)
		cpw_temp(&c, "cannot initialise libsodium", 0);
	cpw_slot_get(&c);
	ok = crypto_pwhash_str_verify(h, c.req.secret, c.req.secretlen) == 0;
	cpw_slot_put(&c);
	return ok;
}

/* pw_verify - 1 if the stored value v matches the password (argon2 or crypt), else 0 */
static int pw_verify(const struct str *v)
{
	int ok;

	if (v->len > 8 && memcmp(v->s, "$argon2", 7) == 0)
		return argon2_verify(v->s, v->len);
	if (v->len < 2 || v->s[0] != '$' || strlen(v->s) != v->len)
		return 0;	/* empty, "*", "!", locked or garbled: never */
	cpw_slot_get(&c);
	ok = cpw_crypt_verify(v->s, c.req.secret);
	cpw_slot_put(&c);
	return ok;
}

/* cram_verify - 1 if the client's digest is HMAC-MD5 of the challenge under the stored states */
static int cram_verify(const struct str *v)
{
	unsigned char st[32], mac[MD5_DIGEST], got[MD5_DIGEST];
	int ok;

	if (!cpw_unhex(v->s, v->len, st, sizeof st))
		return 0;
	if (!cpw_unhex(c.req.secret, c.req.secretlen, got, sizeof got)) {
		explicit_bzero(st, sizeof st);
		return 0;
	}
	hmac_md5_with_states(st, st + 16, c.req.stamp, c.req.stamplen, mac);
	ok = cpw_ct_equal((const char *)mac, sizeof mac, (const char *)got, sizeof got);
	explicit_bzero(st, sizeof st);
	explicit_bzero(mac, sizeof mac);
	return ok;
}

/* service_field - the per-service password field for the caller's service, or 0 */
static const char *service_field(void)
{
	const char *s = getenv("KURIER_SERVICE");

	if (!s || !*s)
		s = getenv("SERVICE");	/* what Dovecot sets */
	if (!s)
		return 0;
	if (!strcasecmp(s, "smtp") || !strcasecmp(s, "esmtp") || !strcasecmp(s, "submission"))
		return "esmtppw";
	if (!strcasecmp(s, "imap"))
		return "imappw";
	if (!strcasecmp(s, "pop3"))
		return "pop3pw";
	return 0;
}

/* service_name - the caller's service in lower case: "smtp", "imap", "pop3", or 0 */
static const char *service_name(void)
{
	const char *f = service_field();

	return !f ? 0 : f[0] == 'e' ? "smtp" : f[0] == 'i' ? "imap" : "pop3";
}

/* disabled - 1 if the options field holds disable<service>=1 for the caller's service (Courier's options) */
static int disabled(const struct str *rec)
{
	struct str v = STR_INIT;
	const char *svc = service_name();
	size_t i = 0, n;
	int r = 0;

	if (!svc || userdb_field(rec->s, rec->len, "options", &v) != 1) {
		str_free(&v);
		return 0;
	}
	while (i < v.len && !r) {
		const char *o = v.s + i;
		for (n = 0; i + n < v.len && o[n] != ','; n++)
			;
		if (n == 7 + strlen(svc) + 2 && !memcmp(o, "disable", 7) &&
		    !memcmp(o + 7, svc, strlen(svc)) && !memcmp(o + 7 + strlen(svc), "=1", 2))
			r = 1;
		i += n + 1;
	}
	str_free(&v);
	return r;
}

/* field_num - numeric field name of rec into *u; 1 ok, 0 missing or bad */
static int field_num(const struct str *rec, const char *name, unsigned long long *u)
{
	struct str v = STR_INIT;
	int r = userdb_field(rec->s, rec->len, name, &v);

	if (r < 0)
		cpw_temp(&c, "out of memory", 0);
	r = r == 1 && v.len && scan_ulong(v.s, v.len, u) == v.len;
	str_free(&v);
	return r;
}

int main(int argc, char **argv)
{
	struct str key = STR_INIT, pubp = STR_INIT, shp = STR_INIT, rec = STR_INIT, sh = STR_INIT;
	struct str home = STR_INIT, mail = STR_INIT, shell = STR_INIT, v = STR_INIT;
	struct cpw_account a;
	unsigned long long uid, gid;
	const char *sf;
	size_t i;
	int r, tried = 0, ok = 0;

	cpw_start(&c, argc, argv, "kurier-checkpw");
	if (!str_copyb(&key, c.req.login, c.req.loginlen))
		cpw_temp(&c, "out of memory", 0);
	for (i = 0; i < key.len; i++)
		if (key.s[i] >= 'A' && key.s[i] <= 'Z')
			key.s[i] = (char)(key.s[i] - 'A' + 'a');
	cpw_home_path(&c, &pubp, "users/userdb.cdb");
	cpw_home_path(&c, &shp, "users/userdbshadow.cdb");
	r = cdbx_get(pubp.s, key.s, key.len, &rec);
	if (r < 0)
		cpw_temp(&c, "cannot read users/userdb.cdb", errno);
	if (r == 0) {
		cpw_pass(&c);	/* returns only when this is the last helper */
		cpw_throttle(&c);
		if (!c.cram)
			(void)argon2_verify(dummy_hash, sizeof dummy_hash - 1);
		cpw_reject(&c, "no such user");
	}
	r = cdbx_get(shp.s, key.s, key.len, &sh);
	if (r < 0 && geteuid() != 0)
		log_warnx("not running as root: is kurier-checkpw installed setuid root, and is its caller free of no_new_privs?");
	if (r < 0)
		cpw_temp(&c, "cannot read users/userdbshadow.cdb", errno);
	if (!field_num(&rec, "uid", &uid) || !field_num(&rec, "gid", &gid) ||
	    userdb_field(rec.s, rec.len, "home", &home) != 1 || home.len == 0 || home.s[0] != '/') {
		log_warnx("userdb record of ", key.s, " lacks a valid uid, gid or home");
		cpw_temp(&c, "bad userdb record", 0);
	}
	cpw_throttle(&c);
	if (c.apop)
		cpw_reject(&c, "APOP needs a clear password, which userdb does not keep");
	if (c.cram) {
		if (r == 1 && (r = userdb_field(sh.s, sh.len, "hmac-md5pw", &v)) == 1) {
			tried = 1;
			ok = cram_verify(&v);
		}
	} else {
		sf = service_field();
		if (r == 1 && sf && (r = userdb_field(sh.s, sh.len, sf, &v)) == 1) {
			tried = 1;
			ok = pw_verify(&v);
		}
		str_wipe(&v);
		if (!ok && sh.len && (r = userdb_field(sh.s, sh.len, "systempw", &v)) == 1) {
			tried = 1;
			ok = pw_verify(&v);
		}
		if (!tried)
			(void)argon2_verify(dummy_hash, sizeof dummy_hash - 1);
	}
	str_wipe(&v);
	str_wipe(&sh);
	if (r < 0)
		cpw_temp(&c, "out of memory", 0);
	if (!ok)
		cpw_reject(&c, tried ? "wrong password" : "no password for this service");
	if (disabled(&rec))
		cpw_reject(&c, "service disabled for this account (options)");
	if (uid == 0 || gid == 0 || uid != (uid_t)uid || gid != (gid_t)gid)
		cpw_reject(&c, "uid or gid 0 or out of range in userdb");
	if (userdb_field(rec.s, rec.len, "mail", &mail) != 1 || !mail.len)
		if (!str_copy(&mail, &home) || !str_cats(&mail, "/Maildir"))
			cpw_temp(&c, "out of memory", 0);
	if (userdb_field(rec.s, rec.len, "shell", &shell) != 1 || !shell.len)
		if (!str_copys(&shell, "/bin/sh"))
			cpw_temp(&c, "out of memory", 0);
	if (!str_0(&key) || !str_0(&home) || !str_0(&mail) || !str_0(&shell))
		cpw_temp(&c, "out of memory", 0);
	a.user = key.s;
	a.address = key.s;
	a.uid = (uid_t)uid;
	a.gid = (gid_t)gid;
	a.home = home.s;
	a.shell = shell.s;
	a.maildir = mail.s;
	a.groups_by_name = 0;
	cpw_login(&c, &a);
}
