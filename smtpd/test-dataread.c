/* test-dataread - DATA/BDAT decoding (dot-stuffing, CRLF, bare CR/LF,
 * every SMTP smuggling variant of SECURITY.md 8) and the MIME limits,
 * fed whole and one byte at a time. */
#include <string.h>
#include "dataread.h"
#include "mimelimit.h"
#include "test.h"

static const struct {
	const char *name, *in;
	int done, bare;
	const char *out;	/* decoded text up to the end */
	size_t rest;		/* bytes left after the end */
} cases[] = {
	{ "plain", "a\r\nb\r\n.\r\n", 1, 0, "a\nb\n", 0 },
	{ "empty", ".\r\n", 1, 0, "", 0 },
	{ "dot unstuffed", "..x\r\n.\r\n", 1, 0, ".x\n", 0 },
	{ "lone dot line stuffed", "..\r\n.\r\n", 1, 0, ".\n", 0 },
	{ "pipelined rest", "a\r\n.\r\nQUIT\r\n", 1, 0, "a\n", 6 },
	{ "smuggle LF.LF", "a\n.\nMAIL FROM:<x@y>\r\n", 0, 1, 0, 0 },
	{ "smuggle LF.CRLF", "a\n.\r\nMAIL FROM:<x@y>\r\n", 0, 1, 0, 0 },
	{ "smuggle CRLF.LF", "a\r\n.\nMAIL FROM:<x@y>\r\n", 0, 1, 0, 0 },
	{ "smuggle CR.CRLF", "a\r.\r\nMAIL FROM:<x@y>\r\n", 0, 1, 0, 0 },
	{ "smuggle CRLF.CR", "a\r\n.\rMAIL FROM:<x@y>\r\n", 0, 1, 0, 0 },
	{ "smuggle then real end", "a\n.\nX\r\n.\r\n", 1, 1, 0, 0 },
	{ "bare CR", "a\rb\r\n.\r\n", 1, 1, 0, 0 },
	{ "CR CR LF", "a\r\r\n.\r\n", 1, 1, 0, 0 },
	{ "8bit kept", "\xc3\xa4\xff\r\n.\r\n", 1, 0, "\xc3\xa4\xff\n", 0 },
};

/* run - decode in[0..n) in pieces of step bytes; bytes consumed */
static size_t run(struct dataread *d, const char *in, size_t n, size_t step, struct str *out)
{
	size_t i = 0;

	dataread_init(d);
	out->len = 0;
	while (i < n && !d->done) {
		size_t k = n - i < step ? n - i : step;
		i += dataread_data(d, in + i, k, out);
	}
	return i;
}

/* mime - feed text line by line; the mime_result */
static int mime(const char *text)
{
	struct mime_limit m;
	const char *p = text;
	int r;

	mime_init(&m);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		mime_line(&m, p, n);
		p += n + (nl != 0);
	}
	r = mime_result(&m);
	mime_free(&m);
	return r;
}

int main(void)
{
	struct dataread d;
	struct str out = STR_INIT, big = STR_INIT;
	size_t i, step, used;
	int k;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].in);
		int same = 1;
		for (step = 1; step <= n; step = step * 2 + 1) {
			used = run(&d, cases[i].in, n, step, &out);
			same &= d.done == cases[i].done && d.bare == cases[i].bare &&
			        n - used == cases[i].rest &&
			        (!cases[i].out || (out.len == strlen(cases[i].out) &&
			         memcmp(out.s, cases[i].out, out.len) == 0));
		}
		CHECK(same, cases[i].name);
	}
	run(&d, "a\0b\r\n.\r\n", 8, 8, &out);
	CHECK(d.done && d.nul && out.len == 4, "NUL noted, kept in length");

	/* BDAT: no dot-stuffing, CRLF still required */
	dataread_init(&d);
	out.len = 0;
	dataread_bdat(&d, ".a\r", 3, &out);
	dataread_bdat(&d, "\nb\r\n", 4, &out);
	dataread_bdat_end(&d);
	CHECK(!d.bare && out.len == 5 && memcmp(out.s, ".a\nb\n", 5) == 0, "bdat CRLF split across chunks");
	dataread_init(&d);
	dataread_bdat(&d, "a\nb", 3, &out);
	CHECK(d.bare, "bdat bare LF");
	dataread_init(&d);
	dataread_bdat(&d, "a\r", 2, &out);
	dataread_bdat_end(&d);
	CHECK(d.bare, "bdat CR at the very end");

	/* MIME */
	CHECK(mime("Subject: x\n\nbody\n") == MIME_OK, "mime: plain message");
	CHECK(mime("Content-Type: multipart/mixed; boundary=\"b1\"\n\npre\n--b1\n\none\n--b1\n"
	           "Content-Type: text/plain\n\ntwo\n--b1--\nepi\n") == MIME_OK, "mime: two parts");
	CHECK(mime("Content-Type: multipart/mixed;\n boundary=b1\n\n--b1\n\nx\n--b1--\n") == MIME_OK,
	      "mime: folded boundary");
	big.len = 0;
	for (k = 0; k < MIME_DEPTH_MAX + 2; k++) {
		str_cats(&big, "Content-Type: multipart/mixed; boundary=\"d");
		str_catu(&big, (unsigned)k);
		str_cats(&big, "\"\n\n--d");
		str_catu(&big, (unsigned)k);
		str_cats(&big, "\n");
	}
	str_0(&big);
	CHECK(mime(big.s) == MIME_TOODEEP, "mime: nesting over the limit");
	big.len = 0;
	str_cats(&big, "Content-Type: multipart/mixed; boundary=z\n\n");
	for (k = 0; k <= MIME_PARTS_MAX; k++)
		str_cats(&big, "--z\n\nx\n");
	str_0(&big);
	CHECK(mime(big.s) == MIME_TOOMANY, "mime: part count over the limit");
	big.len = 0;
	str_cats(&big, "Content-Type: multipart/mixed; boundary=z\n\n");
	for (k = 0; k < MIME_PARTS_MAX; k++)
		str_cats(&big, "--z\n\nx\n");
	str_cats(&big, "--z--\n");
	str_0(&big);
	CHECK(mime(big.s) == MIME_OK, "mime: part count at the limit");
	CHECK(mime("Content-Type: multipart/mixed; boundary=z\n\n--zz\n--z-\n--z x\n") == MIME_OK,
	      "mime: near-boundaries are body text");
	{
		struct str b = STR_INIT;
		CHECK(mime_boundary(" multipart/alternative; charset=x; BOUNDARY=\"a b\"", 48, &b) &&
		      b.len == 3 && memcmp(b.s, "a b", 3) == 0, "mime_boundary quoted");
		CHECK(!mime_boundary("text/plain; boundary=x", 22, &b), "mime_boundary needs multipart");
		str_free(&b);
	}
	str_free(&out);
	str_free(&big);
	return test_done();
}
