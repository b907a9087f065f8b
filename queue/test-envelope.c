/* test-envelope - the envelope parser on a table of envelopes, each fed
 * whole and one byte at a time, which must give the same verdict. */
#include <string.h>
#include "envelope.h"
#include "test.h"

/* run - feed n bytes of x in pieces of step; the result and *used total */
static enum env_result run(const char *x, size_t n, size_t step, size_t *total)
{
	struct env_parser p = ENV_PARSER_INIT;
	enum env_result r = ENV_MORE;
	size_t off = 0;

	while (off < n) {
		size_t take = n - off < step ? n - off : step, used;
		r = env_feed(&p, x + off, take, &used);
		off += used;
		if (r != ENV_MORE) break;
	}
	*total = off;
	return r;
}

int main(void)
{
	static const struct {
		const char *in;
		size_t len;
		enum env_result want;
		size_t used;	/* for ENV_DONE: bytes up to and including the final NUL */
		const char *name;
	} t[] = {
#define E(s) s, sizeof s - 1
		{ E("Fa@b\0Tc@d\0\0"), ENV_DONE, 11, "one recipient" },
		{ E("F\0Tc@d\0\0"), ENV_DONE, 8, "null sender" },
		{ E("Fa\0Tb\0Tc\0\0junk"), ENV_DONE, 10, "bytes after the final NUL are not consumed" },
		{ E("Fa@b\0Tc@d\0"), ENV_MORE, 0, "no final NUL yet" },
		{ E(""), ENV_MORE, 0, "nothing yet" },
		{ E("Tc@d\0\0"), ENV_FORMAT, 0, "no F record" },
		{ E("\0"), ENV_FORMAT, 0, "a lone NUL" },
		{ E("Fa@b\0\0"), ENV_FORMAT, 0, "no recipient" },
		{ E("Fa@b\0T\0\0"), ENV_FORMAT, 0, "empty recipient" },
		{ E("Fa@b\0Fc@d\0\0"), ENV_FORMAT, 0, "two F records" },
		{ E("Fa@b\0Tc\0X\0\0"), ENV_FORMAT, 0, "unknown record type" },
#undef E
	};
	char big[ENV_ADDR_MAX + 16];
	size_t i, used;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		enum env_result whole = run(t[i].in, t[i].len, t[i].len ? t[i].len : 1, &used);
		size_t used1;
		enum env_result bytes = run(t[i].in, t[i].len, 1, &used1);
		CHECK(whole == t[i].want && (t[i].want != ENV_DONE || used == t[i].used), t[i].name);
		CHECK(bytes == whole && used1 == used, t[i].name);
	}

	/* address length at and past the limit */
	big[0] = 'F';
	memset(big + 1, 'a', ENV_ADDR_MAX);
	memcpy(big + 1 + ENV_ADDR_MAX, "\0Tx\0\0", 5);
	CHECK(run(big, ENV_ADDR_MAX + 6, 7, &used) == ENV_DONE, "sender of exactly ENV_ADDR_MAX bytes");
	memset(big + 1, 'a', ENV_ADDR_MAX + 1);
	memcpy(big + 2 + ENV_ADDR_MAX, "\0Tx\0\0", 5);
	CHECK(run(big, ENV_ADDR_MAX + 7, 7, &used) == ENV_TOOLONG && used == ENV_ADDR_MAX + 1,
	      "sender of ENV_ADDR_MAX+1 bytes is too long");

	/* recipient count at and past the limit, fed record by record */
	{
		struct env_parser p = ENV_PARSER_INIT;
		enum env_result r;
		unsigned long k;
		int bad = 0;
		r = env_feed(&p, "F\0", 2, &used);
		for (k = 0; k < ENV_RCPT_MAX && !bad; k++)
			if (env_feed(&p, "Tr@x\0", 5, &used) != ENV_MORE || used != 5) bad = 1;
		CHECK(!bad && r == ENV_MORE && p.rcpts == ENV_RCPT_MAX, "ENV_RCPT_MAX recipients accepted");
		CHECK(env_feed(&p, "Tr@x\0", 5, &used) == ENV_TOOMANY && used == 0, "one more recipient is too many");
	}
	return test_done();
}
