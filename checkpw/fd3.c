/*
 * fd3.c - the checkpassword request parser; see fd3.h.
 * runs as:  inside the login helpers (root) and their tests
 * trusts:   nothing: the bytes come from the network via the caller
 */
#include <string.h>
#include "fd3.h"

/* login_ok - 1 if the login name is acceptable as a lookup key, else 0 with *why */
static int login_ok(const char *s, size_t n, const char **why)
{
	size_t i;

	if (!n) {
		*why = "empty login name";
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c == 0x7f) {
			*why = "control byte or space in login name";
			return 0;
		}
		if (c == '/') {
			*why = "slash in login name";
			return 0;
		}
		if (c == '.' && i + 1 < n && s[i + 1] == '.') {
			*why = "\"..\" in login name";
			return 0;
		}
	}
	return 1;
}

int fd3_parse(const char *x, size_t n, struct fd3 *out, const char **why)
{
	const char *f[FD3_FIELDS];
	size_t len[FD3_FIELDS], pos = 0;
	int i;

	if (n > FD3_MAX) {
		*why = "more than 512 bytes on fd 3";
		return 0;
	}
	for (i = 0; i < FD3_FIELDS; i++) {
		const char *z = pos < n ? memchr(x + pos, 0, n - pos) : 0;
		if (!z) {
			*why = i == 0 ? "login name without its NUL" :
			       i == 1 ? "password without its NUL" : "timestamp without its NUL";
			return 0;
		}
		f[i] = x + pos;
		len[i] = (size_t)(z - f[i]);
		pos += len[i] + 1;
	}
	if (pos != n) {
		*why = "bytes after the third NUL";
		return 0;
	}
	if (!login_ok(f[0], len[0], why))
		return 0;
	out->login = f[0];
	out->loginlen = len[0];
	out->secret = f[1];
	out->secretlen = len[1];
	out->stamp = f[2];
	out->stamplen = len[2];
	return 1;
}
