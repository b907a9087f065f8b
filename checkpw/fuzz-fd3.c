/* fuzz-fd3 - libFuzzer target: the checkpassword fd 3 request.  An
 * accepted request must lie inside the input, account for every byte
 * (three fields and three NULs), fit in 512 bytes, and have a login with
 * no '/', no "..", no control byte; the helper/program split must never
 * point past argv. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "fd3.h"
#include "checkpw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - parse and check the invariants; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *x = (const char *)data, *why = 0;
	struct fd3 f;
	size_t i;

	if (fd3_parse(x, size, &f, &why)) {
		if (size > FD3_MAX || f.login != x || f.loginlen + f.secretlen + f.stamplen + 3 != size)
			__builtin_trap();
		if (f.login[f.loginlen] || f.secret[f.secretlen] || f.stamp[f.stamplen] || !f.loginlen)
			__builtin_trap();
		for (i = 0; i < f.loginlen; i++)
			if (f.login[i] == '/' || (unsigned char)f.login[i] < 0x21 ||
			    (f.login[i] == '.' && i + 1 < f.loginlen && f.login[i + 1] == '.'))
				__builtin_trap();
	} else if (!why || !*why) {
		__builtin_trap();
	}
	/* the same bytes as a command line: NUL-separated words */
	if (size < 256) {
		char buf[256], *argv[64];
		struct cpw_args a;
		int argc = 0;
		memcpy(buf, x, size);
		buf[size] = 0;
		for (i = 0; i <= size && argc < 63; ) {
			argv[argc++] = buf + i;
			i += strlen(buf + i) + 1;
		}
		argv[argc] = 0;
		if (cpw_args_split(argc, argv, &a, &why)) {
			if (a.prog < argv + 1 || a.prog >= argv + argc || !a.prog[0][0] || a.nhelpers < 0 ||
			    a.helpers + a.nhelpers > a.prog)
				__builtin_trap();
		}
	}
	return 0;
}
