/*
 * kurier-checkpw-pam - checkpassword login helper through PAM.
 * PAM checks the password (pam_authenticate) and the account
 * (pam_acct_mgmt); the passwd database supplies uid, gid, home and shell.
 * runs as:  root: called by root or setuid root from group kurier
 * usage:    kurier-checkpw-pam [helper...] [--] program [arg...]
 * input:    login\0password\0stamp\0 on fd 3
 * config:   the PAM service is control/checkpwpam (default "kurier");
 *           when not running setuid, KURIER_PAM_SERVICE overrides it,
 *           KURIER_PAM_CONFDIR names another directory of PAM service
 *           files and KURIER_PASSWD another passwd file (for tests)
 * trusts:   PAM and the passwd database; nothing on fd 3
 * exit:     1 bad login (also uid 0, uids below the minimum, CRAM-MD5);
 *           2 misuse; 111 temporary (PAM or passwd failing); else the program's
 * cost:     one process; whatever the PAM stack costs.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <security/pam_appl.h>
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "checkpw.h"

#define PAM_SERVICE_DEFAULT "kurier"
/* PAM's own limit on a message array is PAM_MAX_NUM_MSG (32) */
#define PAM_MSGS_MAX PAM_MAX_NUM_MSG

static struct cpw c;

/* conv - answer PAM's prompts: echo-on gets the login, echo-off the password */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;
	int i;

	(void)data;
	if (n <= 0 || n > PAM_MSGS_MAX)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof *r);
	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		const char *v = 0;
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			v = c.req.secret;
		else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			v = c.req.login;
		if (v && !(r[i].resp = strdup(v))) {
			while (i-- > 0)
				if (r[i].resp) {
					explicit_bzero(r[i].resp, strlen(r[i].resp));
					free(r[i].resp);
				}
			free(r);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* pam_check - run the PAM stack for the login; PAM_SUCCESS or PAM's error */
static int pam_check(const char *service, const char *confdir)
{
	struct pam_conv pc = { conv, 0 };
	pam_handle_t *h = 0;
	int r;

	r = confdir ? pam_start_confdir(service, c.req.login, &pc, confdir, &h)
		    : pam_start(service, c.req.login, &pc, &h);
	if (r != PAM_SUCCESS)
		return r;
	if (c.remoteip)
		(void)pam_set_item(h, PAM_RHOST, c.remoteip);
	r = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (r == PAM_SUCCESS)
		r = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	pam_end(h, r);
	return r;
}

/* file_pw - look name up in a passwd-format file; the entry or 0 */
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

int main(int argc, char **argv)
{
	struct str svc = STR_INIT, path = STR_INIT, maildir = STR_INIT;
	struct cpw_account a;
	struct passwd *pw;
	const char *pwf = 0, *confdir = 0, *v;
	unsigned long long minuid;
	int r;

	cpw_start(&c, argc, argv, "kurier-checkpw-pam");
	if (!c.setuid_mode) {
		pwf = getenv("KURIER_PASSWD");
		confdir = getenv("KURIER_PAM_CONFDIR");
		if (confdir && !*confdir)
			confdir = 0;
	}
	v = c.setuid_mode ? 0 : getenv("KURIER_PAM_SERVICE");
	if (v && *v) {
		if (!str_copys(&svc, v) || !str_0(&svc))
			cpw_temp(&c, "out of memory", 0);
	} else {
		cpw_home_path(&c, &path, "control/checkpwpam");
		if (control_readline(&svc, path.s, PAM_SERVICE_DEFAULT) < 0 || !str_0(&svc))
			cpw_temp(&c, "cannot read control/checkpwpam", errno);
	}
	errno = 0;
	pw = pwf && *pwf ? file_pw(pwf, c.req.login) : getpwnam(c.req.login);
	if (!pw) {
		if (errno && ((pwf && *pwf) || (errno != ENOENT && errno != ESRCH)))
			cpw_temp(&c, "cannot read the passwd database", errno);
		cpw_pass(&c);
		/* the last helper: let PAM spend its usual time on the unknown name */
		cpw_throttle(&c);
		cpw_slot_get(&c);
		(void)pam_check(svc.s, confdir);
		cpw_reject(&c, "no such user");
	}
	a.user = strdup(pw->pw_name);
	a.home = strdup(pw->pw_dir);
	a.shell = strdup(pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	a.uid = pw->pw_uid;
	a.gid = pw->pw_gid;
	if (!a.user || !a.home || !a.shell)
		cpw_temp(&c, "out of memory", 0);
	minuid = cpw_minuid(&c);
	cpw_throttle(&c);
	if (c.cram || c.apop)
		cpw_reject(&c, c.cram ? "CRAM-MD5 needs a userdb hmac-md5pw" : "APOP needs a clear password");
	cpw_slot_get(&c);
	r = pam_check(svc.s, confdir);
	cpw_slot_put(&c);
	switch (r) {
	case PAM_SUCCESS:
		break;
	case PAM_AUTH_ERR: case PAM_USER_UNKNOWN: case PAM_ACCT_EXPIRED: case PAM_PERM_DENIED:
	case PAM_NEW_AUTHTOK_REQD: case PAM_MAXTRIES: case PAM_CRED_INSUFFICIENT:
		cpw_reject(&c, pam_strerror(0, r));
	default:
		log_warnx("PAM service ", svc.s, ": ", pam_strerror(0, r));
		cpw_temp(&c, "PAM failed", 0);
	}
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
