/* fuzz-cmd - libFuzzer target: SMTP command lines and their ESMTP
 * parameters, as kurier-smtpd's session loop sees them. */
#include <stddef.h>
#include <stdint.h>
#include "smtpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - parse one line; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cmd c;
	struct smtp_param p[SMTP_PARAMS_MAX];
	size_t n, i;

	if (!smtp_parse_command((const char *)data, size, &c))
		return 0;
	if (smtp_parse_params(c.arg, c.arglen, p, SMTP_PARAMS_MAX, &n))
		for (i = 0; i < n; i++)
			if (p[i].keylen == 0 || (p[i].val && p[i].vallen == 0))
				__builtin_trap();
	return 0;
}
