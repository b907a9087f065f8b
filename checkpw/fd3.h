/*
 * fd3 - the checkpassword request read from descriptor 3.
 * The caller writes login\0secret\0stamp\0 (at most 512 bytes): for a
 * password login the secret is the password and the stamp whatever the
 * caller likes (often empty); for CRAM-MD5 the secret is the client's hex
 * digest and the stamp the challenge.  No I/O here: the parser works on a
 * byte string, so the unit test and the fuzz target feed it directly.
 */
#ifndef KURIER_CHECKPW_FD3_H
#define KURIER_CHECKPW_FD3_H

#include <stddef.h>

/* checkpassword: "There must be at most 512 bytes of data before end of file" */
#define FD3_MAX 512
/* the three NUL-terminated fields: login, secret, stamp */
#define FD3_FIELDS 3

struct fd3 {
	const char *login;	/* NUL-terminated, inside the caller's bytes */
	size_t loginlen;
	const char *secret;
	size_t secretlen;
	const char *stamp;
	size_t stamplen;
};

/*
 * fd3_parse - split x[0..n) into its three fields and check the login.
 * Returns 1 when the request is well formed; 0 when it is not, with
 * *why set to a short reason: more than FD3_MAX bytes, a field without
 * its NUL, bytes after the third NUL (a login or password with a NUL in
 * it), an empty login, or a login with '/', "..", a control byte or a
 * space (never a valid account name, and dangerous as a file name).
 */
int fd3_parse(const char *x, size_t n, struct fd3 *out, const char **why);

#endif
