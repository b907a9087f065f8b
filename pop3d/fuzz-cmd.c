/* fuzz-cmd - libFuzzer target: POP3 command lines as kurier-pop3-login
 * and kurier-pop3d see them (verb, arguments, message numbers, SASL
 * base64, the PLAIN and CRAM-MD5 responses, whose parts must lie inside
 * what was decoded and hold no NUL in the name), plus two round trips: base64 encode then decode gives the
 * input back, and a message converted for RETR has no bare LF and the
 * size msgsize predicts. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "base64.h"
#include "loginmon.h"
#include "msgout.h"
#include "pop3parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - parse and convert one input; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct pop3_cmd c;
	struct str a = STR_INIT, b = STR_INIT;
	struct msgout m;
	unsigned long u;
	size_t i, dots = 0;

	if (pop3_parse(s, size, &c)) {
		for (i = 0; i < c.nargs && i < POP3_ARGS; i++) {
			if (c.arg[i] < s || c.arg[i] + c.arglen[i] > s + size)
				__builtin_trap();
			if (pop3_number(c.arg[i], c.arglen[i], &u) && u > 0xffffffffUL)
				__builtin_trap();
		}
		if (c.rest < s || c.rest + c.restlen > s + size)
			__builtin_trap();
	}
	a.max = 4096;
	(void)base64_decode(s, size, &a);
	a.max = 0;
	a.len = 0;
	if (base64_encode(s, size, &a) && base64_decode(a.s, a.len, &b) &&
	    (b.len != size || (size && memcmp(b.s, s, size))))
		__builtin_trap();

	a.len = 0;
	msgout_init(&m, 0, 0);
	if (msgout_put(&m, s, size, &a) && msgout_end(&m, &a)) {
		for (i = 0; i < a.len; i++) {
			if (a.s[i] == '\n' && (i == 0 || a.s[i - 1] != '\r'))
				__builtin_trap();
			if ((i == 0 || a.s[i - 1] == '\n') && a.s[i] == '.' && i + 3 != a.len)
				dots++;
		}
		msgout_init(&m, 0, 0);
		msgsize_put(&m, s, size);
		if (msgsize_end(&m) + dots + 3 != a.len)
			__builtin_trap();
	}
	{
		const char *name = 0, *secret = 0;
		size_t nlen = 0, slen = 0;
		int (*const parse[2])(const char *, size_t, struct str *, const char **, size_t *,
		    const char **, size_t *) = { loginmon_plain, loginmon_cram };
		for (i = 0; i < 2; i++) {
			b.len = 0;
			if (parse[i](s, size, &b, &name, &nlen, &secret, &slen) != LOGINMON_OK)
				continue;
			if (!nlen || !slen || name < b.s || name + nlen > b.s + b.len || secret < b.s ||
			    secret + slen > b.s + b.len || memchr(name, 0, nlen))
				__builtin_trap();
		}
	}
	str_free(&a);
	str_free(&b);
	return 0;
}
