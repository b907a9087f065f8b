/*
 * pop3cmd - read one POP3 command from the client and parse it, for both
 * kurier-pop3-login and kurier-pop3d: the line limit, what an over-long
 * line or one holding NUL or CR costs, and the CRLF, in one place.
 */
#ifndef KURIER_POP3CMD_H
#define KURIER_POP3CMD_H

#include "buf.h"
#include "pop3parse.h"
#include "str.h"

/*
 * pop3_getcmd - the next command from in into c (its bytes in line, whose
 * max is the line limit); lines that are too long (each piece of one) or
 * hold NUL or CR are answered with bad and skipped; 1 a command, 0 the
 * client has gone
 */
int pop3_getcmd(struct buf *in, struct str *line, struct pop3_cmd *c, void (*bad)(const char *));

#endif
