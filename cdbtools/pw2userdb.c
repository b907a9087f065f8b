/*
 * pw2userdb - print userdb source lines for the system's accounts.
 * runs as:  root (to read /etc/shadow) or anyone (without passwords)
 * usage:    pw2userdb [-m MINUID]
 * output:   one line per account from getpwent(3) with uid >= MINUID
 *           (default 1000, Debian's first regular user) and uid != 0:
 *             LOGIN<TAB>uid=U|gid=G|home=H|shell=S[|gecos=G][|systempw=HASH]
 *           systempw comes from getspent(3) when the shadow file is
 *           readable and the entry holds a usable hash (not "*", "!...",
 *           or empty).  Accounts whose fields cannot be a valid userdb
 *           line (a relative home, '|' in a field) are skipped with a
 *           warning on stderr.  Feed the output to makeuserdb.
 * trusts:   the system password and shadow files.
 * exit:     0 printed; 100 bad usage; 111 system failure.
 */
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "scan.h"
#include "str.h"
#include "userdb-parse.h"

#define MINUID_DEFAULT 1000	/* Debian's adduser starts regular users here (FIRST_UID) */

/* usable_hash - 1 if a shadow field holds a password hash that can match */
static int usable_hash(const char *h)
{
	return h && h[0] && h[0] != '*' && h[0] != '!' && !strchr(h, '|');
}

/* shadow_hash - the shadow hash of login into out; 1 found, 0 none */
static int shadow_hash(const char *login, struct str *out)
{
	struct spwd *sp = getspnam(login);

	if (!sp || !usable_hash(sp->sp_pwdp))
		return 0;
	return str_copys(out, sp->sp_pwdp);
}

/* gecos_clean - the gecos field, cut at the first comma (the full name) */
static size_t gecos_clean(const char *g)
{
	size_t n = strcspn(g, ",|");
	return n;
}

int main(int argc, char **argv)
{
	struct str line = STR_INIT, hash = STR_INIT, pub = STR_INIT, sh = STR_INIT;
	unsigned long long minuid = MINUID_DEFAULT;
	char outbuf[BUF_SIZE];
	struct buf out;
	struct passwd *pw;
	int opt;

	log_prog("pw2userdb");
	while ((opt = getopt(argc, argv, "m:")) != -1) {
		if (opt == 'm' && scan_ulongs(optarg, &minuid))
			continue;
		diex(EX_T_USAGE, "usage: pw2userdb [-m MINUID]");
	}
	if (optind != argc)
		diex(EX_T_USAGE, "usage: pw2userdb [-m MINUID]");
	buf_init(&out, buf_unixwrite, 1, outbuf, sizeof outbuf);
	setpwent();
	while ((errno = 0, pw = getpwent())) {
		const char *why;
		int have;

		if (pw->pw_uid == 0 || pw->pw_uid < minuid)
			continue;
		line.len = 0;
		if (!str_cats(&line, pw->pw_name) || !str_append(&line, '\t') ||
		    !str_cats(&line, "uid=") || !str_catu(&line, pw->pw_uid) ||
		    !str_cats(&line, "|gid=") || !str_catu(&line, pw->pw_gid) ||
		    !str_cats(&line, "|home=") || !str_cats(&line, pw->pw_dir))
			diex(EX_T_TEMP, "out of memory");
		if (pw->pw_shell && pw->pw_shell[0] &&
		    (!str_cats(&line, "|shell=") || !str_cats(&line, pw->pw_shell)))
			diex(EX_T_TEMP, "out of memory");
		if (pw->pw_gecos && gecos_clean(pw->pw_gecos) &&
		    (!str_cats(&line, "|gecos=") || !str_catb(&line, pw->pw_gecos, gecos_clean(pw->pw_gecos))))
			diex(EX_T_TEMP, "out of memory");
		/* the shadow hash, or a hash kept in the password file itself */
		have = shadow_hash(pw->pw_name, &hash);
		if (!have && usable_hash(pw->pw_passwd) && strcmp(pw->pw_passwd, "x") != 0)
			have = str_copys(&hash, pw->pw_passwd);
		if (have && (!str_cats(&line, "|systempw=") || !str_cat(&line, &hash)))
			diex(EX_T_TEMP, "out of memory");
		/* emit only what makeuserdb would take */
		{
			struct udb_line l;
			int r = udb_parse_line(line.s, line.len, &l, &why);
			if (r == 1)
				r = udb_record(l.rec, l.rlen, &pub, &sh, &why) == 1 ? 1 : -1;
			if (r != 1) {
				log_warnx("skipping account ", pw->pw_name, ": ", r == 0 ? "empty" : why);
				continue;
			}
		}
		if (!str_append(&line, '\n') || buf_put(&out, line.s, line.len) < 0)
			die(EX_T_TEMP, "cannot write");
	}
	if (errno && errno != ENOENT)
		die(EX_T_TEMP, "cannot read the password file");
	endpwent();
	str_wipe(&line);
	str_wipe(&hash);
	str_wipe(&pub);
	str_wipe(&sh);
	if (buf_flush(&out) < 0)
		die(EX_T_TEMP, "cannot write");
	return EX_T_OK;
}
