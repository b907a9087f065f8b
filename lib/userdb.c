/*
 * userdb.c - field access in userdb records; see userdb.h.
 */
#include <string.h>
#include "userdb.h"

int userdb_field(const char *rec, size_t len, const char *name, struct str *out)
{
	size_t nl = strlen(name), i = 0;

	while (i < len) {
		const char *f = rec + i;
		const char *bar = memchr(f, '|', len - i);
		size_t flen = bar ? (size_t)(bar - f) : len - i;

		if (flen > nl && f[nl] == '=' && memcmp(f, name, nl) == 0)
			return str_copyb(out, f + nl + 1, flen - nl - 1) ? 1 : -1;
		if (flen == nl && memcmp(f, name, nl) == 0)
			return str_copys(out, "") ? 1 : -1;	/* a bare field means empty */
		i += flen + 1;
	}
	return 0;
}

int userdb_is_password_field(const char *name, size_t len)
{
	static const char *const pw[] = { "systempw", "imappw", "pop3pw", "esmtppw", "hmac-md5pw", 0 };
	size_t i;

	for (i = 0; pw[i]; i++)
		if (strlen(pw[i]) == len && memcmp(pw[i], name, len) == 0)
			return 1;
	/* any other *pw field is a password too, by Courier's convention */
	return len > 2 && memcmp(name + len - 2, "pw", 2) == 0;
}
