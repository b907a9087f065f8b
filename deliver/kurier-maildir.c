/*
 * kurier-maildir - deliver the message on stdin into a Maildir++ maildir,
 * for pipelines and "|kurier-maildir ./Maildir/" lines in delivery files.
 * usage:    kurier-maildir [-q QUOTA] DIR
 *           QUOTA "NNNS,NNNC"; without it the quota in DIR/maildirsize
 * runs as:  the mailbox owner
 * trusts:   nothing on stdin; DIR belongs to the caller
 * exit:     0 delivered; 100 usage or a malformed quota, or over quota
 *           when control/overquota says "bounce"; 111 any other failure,
 *           over quota included (kurier-maildir(8))
 * cost:     one process, 2 fsyncs (the file and new/)
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "maildir.h"

int main(int argc, char **argv)
{
	struct maildir_quota q, *qp = 0;
	struct maildir_tmp t;
	struct str pol = STR_INIT;
	const char *dir;
	int over;

	log_prog("kurier-maildir");
	signal(SIGXFSZ, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "-q") == 0) {
		if (!maildir_quota_parse(argv[2], strlen(argv[2]), &q))
			diex(EX_D_PERM, "malformed quota: ", argv[2]);
		qp = &q;
		argv += 2;
		argc -= 2;
	}
	if (argc != 2 || !argv[1][0] || argv[1][0] == '-')
		diex(EX_D_PERM, "usage: kurier-maildir [-q quota] dir < message");
	dir = argv[1];
	if (maildir_tmp_open(&t, dir) < 0)
		die(EX_D_TEMP, "cannot create a file in ", dir, "/tmp");
	if (maildir_tmp_copy(&t, 0) < 0) {
		maildir_abort(&t);
		die(EX_D_TEMP, "cannot write the message into ", dir);
	}
	/* the size is known only now: check the quota before the commit */
	over = maildir_quota_check(dir, qp, t.size, 1);
	if (over != 0) {
		maildir_abort(&t);
		if (over < 0)
			die(EX_D_TEMP, "cannot read the quota of ", dir);
		over = control_readline(&pol, "overquota", "defer") > 0 && str_equals(&pol, "bounce");
		str_free(&pol);	/* nothing held at exit: the tests run it under LeakSanitizer */
		if (over)
			diex(EX_D_PERM, "mailbox is over quota: ", dir);
		diex(EX_D_TEMP, "mailbox is over quota: ", dir);
	}
	if (maildir_commit(&t) < 0)
		die(EX_D_TEMP, "cannot commit the message into ", dir);
	maildir_quota_add(dir, (long long)t.size, 1);
	str_free(&t.name);
	str_free(&pol);
	return EX_D_OK;
}
