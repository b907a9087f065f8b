/*
 * maildirmake - create a maildir, a Maildir++ folder, or set a quota.
 * usage:    maildirmake [-q QUOTA] [-f FOLDER] DIR
 *           plain: create DIR with tmp/ new/ cur/ (an existing one is kept)
 *           -f:    create the folder DIR/.FOLDER ("A.B" nests) with maildirfolder
 *           -q:    write DIR/maildirsize for QUOTA ("NNNS,NNNC"), counted afresh
 * runs as:  the mailbox owner (or root, which then owns what it makes)
 * exit:     0 done; 100 usage, a bad folder name or quota; 111 a system failure
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "exitcode.h"
#include "log.h"
#include "maildir.h"

int main(int argc, char **argv)
{
	struct maildir_quota q;
	const char *quota = 0, *folder = 0;
	long long b, c;
	int opt;

	log_prog("maildirmake");
	while ((opt = getopt(argc, argv, "q:f:")) != -1) {
		if (opt == 'q')
			quota = optarg;
		else if (opt == 'f')
			folder = optarg;
		else
			diex(EX_T_USAGE, "usage: maildirmake [-q quota] [-f folder] dir");
	}
	if (optind + 1 != argc || !argv[optind][0])
		diex(EX_T_USAGE, "usage: maildirmake [-q quota] [-f folder] dir");
	if (quota && !maildir_quota_parse(quota, strlen(quota), &q))
		diex(EX_T_USAGE, "malformed quota (want NNNS, NNNC or NNNS,NNNC): ", quota);
	if (folder && !maildir_folder_ok(folder))
		diex(EX_T_USAGE, "bad folder name: ", folder);
	if (maildir_make(argv[optind]) < 0)
		die(EX_T_TEMP, "cannot create the maildir ", argv[optind]);
	if (folder && maildir_folder_make(argv[optind], folder) < 0)
		die(EX_T_TEMP, "cannot create the folder ", folder);
	if (quota && maildir_quota_recalc(argv[optind], &q, &b, &c) < 0)
		die(EX_T_TEMP, "cannot write maildirsize in ", argv[optind]);
	return EX_T_OK;
}
