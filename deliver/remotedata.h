/*
 * remotedata - a queued message as SMTP DATA bytes (RFC 5321 §4.1.1.4,
 * §4.5.2): every line ending becomes CRLF (a bare LF and a bare CR each
 * count as one), a line that starts with "." gets another in front, a
 * missing final line ending is added, and ".\r\n" ends it.  Whatever the
 * queue holds, what goes out is canonical (SECURITY.md 20).  Pure code:
 * the caller supplies where the bytes go.
 */
#ifndef KURIER_REMOTEDATA_H
#define KURIER_REMOTEDATA_H

#include <stddef.h>

/* data_put - where the bytes go; 1 ok, -1 error (stops the copy) */
typedef int (*data_put)(void *ctx, const char *s, size_t n);

/* data_measure - bytes the canonical form of m[0..n) takes without the
 * final ".\r\n" (the SIZE= value), and whether it has 8-bit bytes */
unsigned long long data_measure(const char *m, size_t n, int *eightbit);
/* data_copy - write the canonical form and ".\r\n" through put; 1 ok, -1 error */
int data_copy(const char *m, size_t n, data_put put, void *ctx);

#endif
