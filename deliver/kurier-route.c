/*
 * kurier-route - explain where mail for an address would go, and why,
 * without delivering anything.
 * usage:    kurier-route ADDRESS
 * runs as:  anyone; root sees every home directory's delivery files
 * trusts:   conf-home's control/ and users/ files and /etc/passwd
 * exit:     0 explained (local or remote), 1 no such user here,
 *           100 usage, 111 a file could not be read
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "auto.h"
#include "exitcode.h"
#include "local.h"
#include "log.h"
#include "resolve.h"

#define PASSWD "/etc/passwd"

/* say - write n bytes to fd 1 */
static void say(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(1, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	struct resolved r;
	struct str plan = STR_INIT, remote = STR_INIT;
	int k;

	log_prog("kurier-route");
	if (argc != 2 || !argv[1][0])
		diex(EX_T_USAGE, "usage: kurier-route ADDRESS");
	resolve_init(&r);
	say("address: ", 9);
	say(argv[1], strlen(argv[1]));
	say("\n", 1);
	k = resolve_address(argv[1], strlen(argv[1]), PASSWD, &r);
	say(r.why.s ? r.why.s : "", r.why.len);
	switch (k) {
	case RES_TEMP:
		resolve_free(&r);
		return EX_T_TEMP;
	case RES_UNKNOWN:
		resolve_free(&r);
		return EX_T_FAIL;
	case RES_ACCOUNT:
	case RES_ALIAS:
		if (!local_plan(&r, &plan))
			diex(EX_T_TEMP, "out of memory");
		say(plan.s ? plan.s : "", plan.len);
		resolve_free(&r);
		str_free(&plan);
		return EX_T_OK;
	}
	say("result: remote delivery to ", 27);
	say(r.domain.s, r.domain.len);
	say("\n", 1);
	if (str_copys(&remote, auto_home) && str_cats(&remote, "/bin/kurier-remote") &&
	    access(remote.s, X_OK) == 0) {
		char *av[4] = { (char *)"kurier-remote", (char *)"-x", r.domain.s, 0 };
		execv(remote.s, av);
		die(EX_T_TEMP, "cannot run ", remote.s);
	}
	say("(kurier-remote is not installed: no route shown)\n", 49);
	resolve_free(&r);
	str_free(&remote);
	return EX_T_OK;
}
