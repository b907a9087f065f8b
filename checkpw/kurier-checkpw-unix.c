/*
 * kurier-checkpw-unix - checkpassword login helper for system accounts.
 * runs as:  root: called by root or setuid root from group kurier
 * usage:    kurier-checkpw-unix [helper...] [--] program [arg...]
 * input:    login\0password\0stamp\0 on fd 3
 * reads:    the passwd and shadow databases (getpwnam, getspnam); when
 *           not running setuid, KURIER_PASSWD and KURIER_SHADOW may name
 *           files in the same formats instead (for tests)
 * trusts:   the system's account databases; nothing on fd 3
 * exit:     1 bad login (also uid 0, uids below the minimum, expired or
 *           locked accounts, CRAM-MD5); 2 misuse; 111 temporary (shadow
 *           unreadable); else the program's
 * cost:     one process; one crypt(3) of the stored method per attempt.
 */
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "exitcode.h"
#include "log.h"
#include "checkpw.h"

static struct cpw c;

/* file_pw - look name up in a passwd-format file; the entry or 0 (errno 0 when absent) */
static struct passwd *file_pw(const char *path, const char *name)
{
	FILE *f = fopen(path, "re");
	struct passwd *p;

	if (!f)
		return 0;
	while ((p = fgetpwent(f)))
		if (strcmp(p->pw_name, name) == 0)
			break;
	if (!p && !ferror(f))
		errno = 0;
	else if (!p)
		errno = EIO;
	fclose(f);
	return p;
}

/* file_sp - look name up in a shadow-format file; the entry or 0 (errno 0 when absent) */
static struct spwd *file_sp(const char *path, const char *name)
{
	FILE *f = fopen(path, "re");
	struct spwd *s;

	if (!f)
		return 0;
	while ((s = fgetspent(f)))
		if (strcmp(s->sp_namp, name) == 0)
			break;
	if (!s && !ferror(f))
		errno = 0;
	else if (!s)
		errno = EIO;
	fclose(f);
	return s;
}

/* expired - 1 if the shadow entry says the account has expired */
static int expired(const struct spwd *s)
{
	long today = (long)(time(0) / 86400);

	return s->sp_expire > 0 && today >= s->sp_expire;
}

int main(int argc, char **argv)
{
	struct str maildir = STR_INIT;
	struct cpw_account a;
	struct passwd *pw;
	struct spwd *sp = 0;
	const char *pwf = 0, *spf = 0, *why = 0;
	char *hash;
	unsigned long long minuid;
	int ok;

	cpw_start(&c, argc, argv, "kurier-checkpw-unix");
	if (!c.setuid_mode) {
		pwf = getenv("KURIER_PASSWD");
		spf = getenv("KURIER_SHADOW");
	}
	errno = 0;
	pw = pwf && *pwf ? file_pw(pwf, c.req.login) : getpwnam(c.req.login);
	if (!pw) {
		if (errno && ((pwf && *pwf) || (errno != ENOENT && errno != ESRCH)))
			cpw_temp(&c, "cannot read the passwd database", errno);
		cpw_pass(&c);
		cpw_throttle(&c);
		cpw_slot_get(&c);
		cpw_crypt_dummy(c.req.secret);
		cpw_reject(&c, "no such user");
	}
	/* the entry lives in static storage the next lookup overwrites: keep what we need */
	a.user = strdup(pw->pw_name);
	a.home = strdup(pw->pw_dir);
	a.shell = strdup(pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	a.uid = pw->pw_uid;
	a.gid = pw->pw_gid;
	hash = strdup(pw->pw_passwd ? pw->pw_passwd : "");
	if (!a.user || !a.home || !a.shell || !hash)
		cpw_temp(&c, "out of memory", 0);
	errno = 0;
	sp = spf && *spf ? file_sp(spf, c.req.login) : getspnam(c.req.login);
	if (sp) {
		if (expired(sp))
			why = "account expired";
		explicit_bzero(hash, strlen(hash));
		free(hash);
		hash = strdup(sp->sp_pwdp ? sp->sp_pwdp : "");
		explicit_bzero(sp->sp_pwdp, strlen(sp->sp_pwdp));
		if (!hash)
			cpw_temp(&c, "out of memory", 0);
	} else if (errno == EACCES || errno == EPERM || errno == EIO || errno == ENOMEM ||
		   (spf && *spf && errno)) {
		cpw_temp(&c, "cannot read the shadow database", errno);
	} else if (strcmp(hash, "x") == 0) {
		why = "no shadow entry";
	}
	minuid = cpw_minuid(&c);
	cpw_throttle(&c);
	cpw_slot_get(&c);
	if (c.cram || c.apop) {
		cpw_crypt_dummy(c.req.secret);
		ok = 0;
		why = c.cram ? "CRAM-MD5 needs a userdb hmac-md5pw" : "APOP needs a clear password";
	} else if (hash[0] == '$') {
		ok = cpw_crypt_verify(hash, c.req.secret);
	} else {
		cpw_crypt_dummy(c.req.secret);	/* "*", "!", "": locked or no password */
		ok = 0;
	}
	cpw_slot_put(&c);
	explicit_bzero(hash, strlen(hash));
	if (!ok)
		cpw_reject(&c, why ? why : "wrong password");
	if (why)
		cpw_reject(&c, why);
	if (a.uid == 0)
		cpw_reject(&c, "uid 0 never logs in");
	if ((unsigned long long)a.uid < minuid)
		cpw_reject(&c, "uid below the minimum (control/minuid)");
	if (!str_copys(&maildir, a.home) || !str_cats(&maildir, "/Maildir") || !str_0(&maildir))
		cpw_temp(&c, "out of memory", 0);
	a.maildir = maildir.s;
	a.address = a.user;
	a.groups_by_name = 1;
	cpw_login(&c, &a);
}
