/*
 * kurier-qmsg - ask kurier-send to retry a queued message now, or to
 * remove it, through a request file in queue/cmd/ (queue(5)):
 *   kurier-qmsg retry ID...    deliver the pending recipients now
 *   kurier-qmsg remove ID...   deliver nothing more, drop the message
 * It creates cmd/retry.ID or cmd/remove.ID, fsyncs cmd/, and writes one
 * byte to lock/trigger; kurier-send acts on the request and removes it.
 * runs as:  root (or kuriers); IDs as kurier-qread prints them (#ID or ID)
 * trusts:   its arguments only as decimal ids
 * exit:     0 every request written; 1 some ID is not in the queue
 *           (the others are still requested); 100 bad usage; 111 system
 *           failure
 * cost:     one process, one fsync (of cmd/) per call
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "exitcode.h"
#include "log.h"
#include "qfile.h"

/* usage - print how to call us and exit 100 */
static void usage(void)
{
	diex(EX_T_USAGE, "usage", "kurier-qmsg retry|remove ID...");
}

int main(int argc, char **argv)
{
	struct str p = STR_INIT;
	int i, code = EX_T_OK, fd;

	log_prog("kurier-qmsg");
	if (argc < 3 || (strcmp(argv[1], "retry") && strcmp(argv[1], "remove"))) usage();
	for (i = 2; i < argc; i++) {
		unsigned long long id;
		if (!qfile_id(argv[i], &id)) usage();
	}
	if (qfile_chdir() == -1) die(EX_T_TEMP, "unable to chdir to the queue");
	for (i = 2; i < argc; i++) {
		unsigned long long id;
		struct stat st;

		qfile_id(argv[i], &id);
		if (!qfile_path(&p, "mess", id)) diex(EX_T_TEMP, "out of memory");
		if (stat(p.s, &st) == -1) {
			if (errno != ENOENT) die(EX_T_TEMP, "unable to stat", p.s);
			log_warnx("no such message", argv[i]);
			code = EX_T_FAIL;
			continue;
		}
		if (!str_copys(&p, "cmd/") || !str_cats(&p, argv[1]) || !str_append(&p, '.') || !str_catu(&p, id))
			diex(EX_T_TEMP, "out of memory");
		fd = open(p.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		/* a request already waiting is the same request */
		if (fd == -1 && errno != EEXIST) die(EX_T_TEMP, "unable to create", p.s);
		if (fd != -1) close(fd);
	}
	fd = open("cmd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fsync(fd) == -1) die(EX_T_TEMP, "unable to sync queue/cmd");
	close(fd);
	fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd != -1) {
		(void)!write(fd, "", 1);
		close(fd);
	}
	return code;
}
