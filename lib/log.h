/*
 * log - one-line messages on stderr (or stdout) that multilog can stamp.
 * Lines look like "prog: level: part part...: error text".  Every part is
 * escaped: bytes outside printable ASCII and the backslash come out as
 * \ooo, so no attacker byte can start a new log line or a terminal
 * sequence.  The arguments are C strings ending with a null pointer; the
 * macros below add it.
 */
#ifndef KURIER_LOG_H
#define KURIER_LOG_H

#include <stddef.h>
#include "str.h"

/* log_prog - set the program name that starts every line */
void log_prog(const char *name);
/* log_fd - send lines to fd (2 by default; kurier-send logs to 1) */
void log_fd(int fd);
/* log_write - write "prog: level: parts[: strerror(e)]"; e < 0 means none */
void log_write(const char *level, int e, const char *first, ...);
/* log_die - log_write with "fatal", then exit(code) */
void log_die(int code, int e, const char *first, ...) __attribute__((noreturn));
/* log_safe - append n bytes to out with log escaping; 1 ok, 0 no memory */
int log_safe(struct str *out, const char *s, size_t n);

#define log_info(...)  log_write("info", -1, __VA_ARGS__, (const char *)0)
#define log_warnx(...) log_write("warning", -1, __VA_ARGS__, (const char *)0)
#define log_warn(...)  log_write("warning", errno, __VA_ARGS__, (const char *)0)
/* die with errno text / without */
#define die(code, ...)  log_die((code), errno, __VA_ARGS__, (const char *)0)
#define diex(code, ...) log_die((code), -1, __VA_ARGS__, (const char *)0)

#endif
