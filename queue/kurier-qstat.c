/*
 * kurier-qstat - how many messages the queue holds, as qmail-qstat says it:
 *   messages in queue: N
 *   messages in queue but not yet preprocessed: N
 * (the second: todo/ entries, which includes messages in their first
 * delivery attempt, run straight from todo/ by kurier-send)
 * runs as:  root or a member of group kurier; no arguments
 * trusts:   the queue's file names only as far as they parse as ids
 * exit:     0 printed; 111 the queue could not be read
 * cost:     one process; reads 2 x conf-split directories, no file contents
 */
#include <errno.h>
#include <stdlib.h>
#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "qfile.h"

int main(void)
{
	static char space[BUF_SIZE];
	struct buf out;
	unsigned long long *ids;
	long mess, todo;

	log_prog("kurier-qstat");
	buf_init(&out, buf_unixwrite, 1, space, sizeof space);
	if (qfile_chdir() == -1) die(EX_T_TEMP, "unable to chdir to the queue");
	mess = qfile_ids("mess", &ids);
	if (mess < 0) die(EX_T_TEMP, "unable to read queue/mess");
	free(ids);
	todo = qfile_ids("todo", &ids);
	if (todo < 0) die(EX_T_TEMP, "unable to read queue/todo");
	free(ids);
	if (buf_puts(&out, "messages in queue: ") == -1 || buf_putu(&out, (unsigned long long)mess) == -1 ||
	    buf_puts(&out, "\nmessages in queue but not yet preprocessed: ") == -1 ||
	    buf_putu(&out, (unsigned long long)todo) == -1 || buf_puts(&out, "\n") == -1 || buf_flush(&out) == -1)
		die(EX_T_TEMP, "unable to write output");
	return EX_T_OK;
}
