/* fuzz-smtpaccess - libFuzzer target: smtpaccess lines.  A parsed rule
 * must give a key of digits, hex, dots and colons that parses back to
 * itself, and a value in tcprules' form: "D\0", or "+NAME=value\0" records. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ctlparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - parse every line; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str buf = STR_INIT, key = STR_INIT, val = STR_INIT, again = STR_INIT;
	size_t pos = 0, start, ll, i;
	const char *line, *why;

	while (cp_split((const char *)data, size, &pos, 0, &buf, &line, &ll, &start, &why) > 0) {
		if (cp_smtpaccess(line, ll, &key, &val, &why) != 1)
			continue;
		for (i = 0; i < key.len; i++)
			if (!strchr("0123456789abcdef.:", key.s[i]) || key.s[i] == 0)
				__builtin_trap();
		if (key.len && (cp_netblock(key.s, key.len, &again, &why) != 1 ||
		    again.len != key.len || memcmp(again.s, key.s, key.len) != 0))
			__builtin_trap();	/* the key is its own canonical form */
		if (val.len == 2 && val.s[0] == 'D' && val.s[1] == 0)
			continue;
		for (i = 0; i < val.len;) {
			size_t n = strlen(val.s + i);
			if (i + n >= val.len || val.s[i] != '+' || !memchr(val.s + i, '=', n))
				__builtin_trap();
			i += n + 1;
		}
	}
	str_free(&buf);
	str_free(&key);
	str_free(&val);
	str_free(&again);
	return 0;
}
