/*
 * test-base64 - base64 against the RFC 4648 §10 test vectors, both ways;
 * bad text of every kind (length, alphabet, padding, stray bits); every
 * byte value through a round trip; appending; and the out->max cap that
 * bounds a decoded SASL response (SECURITY.md 10).
 */
#include <stdio.h>
#include <string.h>
#include "base64.h"
#include "test.h"

/* RFC 4648 §10, then the SASL shapes the login programs see */
static const struct { const char *plain; size_t len; const char *text; } good[] = {
	{ "", 0, "" },
	{ "f", 1, "Zg==" },
	{ "fo", 2, "Zm8=" },
	{ "foo", 3, "Zm9v" },
	{ "foob", 4, "Zm9vYg==" },
	{ "fooba", 5, "Zm9vYmE=" },
	{ "foobar", 6, "Zm9vYmFy" },
	{ "\0test\0secret", 12, "AHRlc3QAc2VjcmV0" },
	{ "a", 1, "YQ==" },
	{ "ab", 2, "YWI=" },
	{ "abc", 3, "YWJj" },
	{ "\xff\xfe\xfd", 3, "//79" },
	{ "\xfb\xef\xbe", 3, "++++" },
};

/* text decode must refuse */
static const char *const bad[] = {
	"Zg=",		/* not a whole group of four */
	"Zg",
	"Z",
	"Zm9vY",
	"Y===",		/* too much padding */
	"====",
	"Zg==Zg==",	/* padding inside */
	"Y=Q=",
	"Zh==",		/* stray bits in the last group (RFC 4648 §3.5) */
	"YR==",
	"Zm9=",
	"Zm 9",		/* characters outside the alphabet */
	"YWJ*",
	"Zm9v\r\n",
	"Zm-_",		/* the URL-safe alphabet of §5 is not this one */
	"Zm9\0",
};

int main(void)
{
	struct str o = STR_INIT, e = STR_INIT;
	char name[80], all[256];
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		o.len = 0;
		snprintf(name, sizeof name, "decode-%zu", i);
		CHECK(base64_decode(good[i].text, strlen(good[i].text), &o) && o.len == good[i].len &&
		    (!o.len || !memcmp(o.s, good[i].plain, o.len)), name);
		e.len = 0;
		snprintf(name, sizeof name, "encode-%zu", i);
		CHECK(base64_encode(good[i].plain, good[i].len, &e) && e.len == strlen(good[i].text) &&
		    (!e.len || !memcmp(e.s, good[i].text, e.len)), name);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = strlen(bad[i]);
		o.len = 0;
		if (i == sizeof bad / sizeof bad[0] - 1)
			n = 4;	/* the NUL is part of the text */
		snprintf(name, sizeof name, "bad-%zu", i);
		CHECK(base64_decode(bad[i], n, &o) == 0, name);
	}

	/* every byte value, at each of the three positions in a group */
	for (i = 0; i < sizeof all; i++)
		all[i] = (char)i;
	for (i = 0; i < 3; i++) {
		e.len = 0;
		o.len = 0;
		snprintf(name, sizeof name, "roundtrip-all-bytes-%zu", i);
		CHECK(base64_encode(all + i, sizeof all - i, &e) && e.len % 4 == 0 &&
		    base64_decode(e.s, e.len, &o) && o.len == sizeof all - i && !memcmp(o.s, all + i, o.len), name);
	}

	/* both append to what the string holds */
	if (!str_copys(&o, "x") || !str_copys(&e, "y"))
		return 1;
	CHECK(base64_decode("Zm8=", 4, &o) && o.len == 3 && !memcmp(o.s, "xfo", 3), "decode-appends");
	CHECK(base64_encode("fo", 2, &e) && e.len == 5 && !memcmp(e.s, "yZm8=", 5), "encode-appends");

	/* out->max bounds what a client can make us hold */
	{
		static char big[10240];
		memset(big, 'Q', sizeof big);
		o.len = 0;
		o.max = 2048;
		CHECK(base64_decode(big, sizeof big, &o) == 0 && o.len <= 2048, "cap");
		o.len = 0;
		CHECK(base64_decode(big, 2048 / 3 * 4, &o) == 1 && o.len == 2048 / 3 * 3, "cap-just-fits");
	}
	str_free(&o);
	str_free(&e);
	return test_done();
}
