/* test-str - str, buf, scan and fmt on tables of inputs, including the
 * overflow and cap edges that untrusted data reaches. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "buf.h"
#include "scan.h"
#include "str.h"
#include "test.h"

/* piece_read - a buf_op that hands out one byte per call from piece_src */
static const char *piece_src;
static size_t piece_len, piece_pos, piece_step;
static ssize_t piece_read(int fd, void *x, size_t n)
{
	size_t take = piece_len - piece_pos;
	(void)fd;
	if (take > piece_step) take = piece_step;
	if (take > n) take = n;
	memcpy(x, piece_src + piece_pos, take);
	piece_pos += take;
	return (ssize_t)take;
}

static struct str sink = STR_INIT;
static ssize_t sink_write(int fd, void *x, size_t n)
{
	(void)fd;
	if (n > 3) n = 3;	/* short writes, as on a slow pipe */
	return str_catb(&sink, x, n) ? (ssize_t)n : -1;
}

static void test_strings(void)
{
	struct str a = STR_INIT, capped = STR_INIT;

	CHECK(str_copys(&a, "hello") && a.len == 5 && a.s[5] == 0, "str copy keeps NUL after data");
	CHECK(str_catb(&a, "\0x", 2) && a.len == 7 && a.s[5] == 0 && a.s[6] == 'x', "str holds NUL bytes");
	CHECK(str_catu(&a, 18446744073709551615ULL) && a.len == 27 &&
	      memcmp(a.s + 7, "18446744073709551615", 20) == 0, "str_catu of 2^64-1");
	errno = 0;
	CHECK(!str_readyplus(&a, SIZE_MAX) && errno == E2BIG, "str growth near SIZE_MAX fails with E2BIG");
	CHECK(!str_ready(&a, SIZE_MAX - 1) && a.len == 27, "str_ready(SIZE_MAX-1) fails cleanly");
	capped.max = 10;
	CHECK(str_copys(&capped, "0123456789"), "capped str takes exactly max bytes");
	errno = 0;
	CHECK(!str_append(&capped, 'x') && errno == E2BIG && capped.len == 10, "capped str refuses max+1");
	CHECK(str_equals(&capped, "0123456789") && !str_equals(&capped, "012345678"), "str_equals");
	CHECK(str_starts(&capped, "0123") && !str_starts(&capped, "1"), "str_starts");
	CHECK(str_chr(&capped, '5') == 5 && str_chr(&capped, 'z') == 10, "str_chr");
	str_wipe(&capped);
	CHECK(capped.s == 0 && capped.len == 0, "str_wipe releases");
	str_free(&a);
}

static void test_scan(void)
{
	static const struct { const char *in; size_t used; unsigned long long v; } t[] = {
		{ "0", 1, 0 }, { "42x", 2, 42 }, { "18446744073709551615", 20, 18446744073709551615ULL },
		{ "18446744073709551616", 0, 0 }, { "99999999999999999999", 0, 0 }, { "", 0, 0 }, { "x1", 0, 0 },
	};
	static const struct { const char *in; int ok; unsigned long long v; } d[] = {
		{ "3600", 1, 3600 }, { "7d", 1, 604800 }, { "1w2d3h4m5s", 1, 604800 + 2 * 86400 + 3 * 3600 + 245 },
		{ "1d5", 0, 0 }, { "d", 0, 0 }, { "", 0, 0 }, { "5y", 0, 0 }, { "99999999999999999999w", 0, 0 },
		{ "40000000000000w", 0, 0 },
	};
	size_t i;
	char out[FMT_ULONG];

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		unsigned long long v = 12345;
		size_t used = scan_ulong(t[i].in, strlen(t[i].in), &v);
		CHECK(used == t[i].used && (!used || v == t[i].v), t[i].in);
	}
	for (i = 0; i < sizeof d / sizeof d[0]; i++) {
		unsigned long long v = 0;
		int ok = scan_duration(d[i].in, &v);
		CHECK(ok == d[i].ok && (!ok || v == d[i].v), d[i].in);
	}
	CHECK(fmt_ulong(out, 0) == 1 && out[0] == '0', "fmt_ulong 0");
	CHECK(fmt_xlong(out, 0xdeadbeefULL) == 8 && memcmp(out, "deadbeef", 8) == 0, "fmt_xlong");
}

static void test_buf(void)
{
	static const char input[] = "line one\r\nline two\nlast";
	static const size_t steps[] = { 1, 2, 3, 7, 100 };
	size_t i;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct buf b;
		char space[4];
		struct str line = STR_INIT;
		int r1, r2, r3;

		piece_src = input; piece_len = strlen(input); piece_pos = 0; piece_step = steps[i];
		buf_init(&b, piece_read, 0, space, sizeof space);
		r1 = buf_getline(&b, &line, '\n');
		CHECK(r1 == 1 && str_equals(&line, "line one\r\n"), "getline first line in pieces");
		line.len = 0;
		r2 = buf_getline(&b, &line, '\n');
		CHECK(r2 == 1 && str_equals(&line, "line two\n"), "getline second line in pieces");
		line.len = 0;
		r3 = buf_getline(&b, &line, '\n');
		CHECK(r3 == 0 && str_equals(&line, "last"), "getline returns 0 with the unterminated tail");
		str_free(&line);
	}
	{
		struct buf b;
		char space[16];
		struct str line = STR_INIT;
		int r;

		piece_src = "abcdefghij\n"; piece_len = 11; piece_pos = 0; piece_step = 100;
		buf_init(&b, piece_read, 0, space, sizeof space);
		line.max = 4;
		errno = 0;
		r = buf_getline(&b, &line, '\n');
		CHECK(r == -1 && errno == E2BIG && line.len == 4, "getline stops at the cap with E2BIG");
		line.len = 0;
		line.max = 0;
		r = buf_getline(&b, &line, '\n');
		CHECK(r == 1 && str_equals(&line, "efghij\n"), "the rest of a capped line is still readable");
		str_free(&line);
	}
	{
		struct buf w;
		char space[5];
		char big[40];

		memset(big, 'z', sizeof big);
		buf_init(&w, sink_write, 1, space, sizeof space);
		CHECK(buf_puts(&w, "ab") == 1 && sink.len == 0, "buf_put holds small writes");
		CHECK(buf_put(&w, big, sizeof big) == 1 && buf_putu(&w, 1234) == 1 && buf_flush(&w) == 1, "buf_put and flush");
		CHECK(sink.len == 2 + 40 + 4 && memcmp(sink.s, "ab", 2) == 0 &&
		      memcmp(sink.s + 42, "1234", 4) == 0, "short writes deliver every byte in order");
	}
}

int main(void)
{
	test_strings();
	test_scan();
	test_buf();
	return test_done();
}
