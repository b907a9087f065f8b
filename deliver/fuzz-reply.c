/*
 * fuzz-reply - libFuzzer target for what a remote SMTP server can send us:
 * the reply parser line by line, the EHLO keyword parser on every line,
 * and, since the queue's bytes are just as arbitrary, the DATA writer,
 * whose output must be canonical (CRLF only, no bare CR or LF, and no
 * line "." before the end).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "remotedata.h"
#include "remotereply.h"

/* sink - collect DATA output */
static int sink(void *ctx, const char *s, size_t n)
{
	return str_catb(ctx, s, n) ? 1 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct reply r = { 0, 0, 0, STR_INIT };
	struct ehlo e = { 0, 0 };
	struct str out = STR_INIT;
	size_t p = 0, i;
	int eb;
	unsigned long long want;

	reply_start(&r);
	while (p < size) {
		const char *nl = memchr(s + p, '\n', size - p);
		size_t n = nl ? (size_t)(nl - s - p) : size - p;
		int rc = reply_line(&r, s + p, n);
		ehlo_line(&e, s + p, n);
		if (r.text.len > REPLY_TEXT_MAX + REPLY_LINE_MAX)
			abort();
		for (i = 0; i < r.text.len; i++)
			if (r.text.s[i] < 0x20 || r.text.s[i] > 0x7e)
				abort();
		if (rc != 0)
			reply_start(&r);
		p += n + 1;
	}
	reply_free(&r);

	want = data_measure(s, size, &eb);
	if (data_copy(s, size, sink, &out) != 1 || out.len != want + 3)
		abort();
	for (i = 0; i < out.len; i++) {
		if (out.s[i] == '\r' && (i + 1 >= out.len || out.s[i + 1] != '\n'))
			abort();
		if (out.s[i] == '\n' && (i == 0 || out.s[i - 1] != '\r'))
			abort();
		/* a line that is just "." may only be the last one */
		if (out.s[i] == '.' && (i == 0 || out.s[i - 1] == '\n') && i + 3 < out.len &&
		    out.s[i + 1] == '\r')
			abort();
	}
	str_free(&out);
	return 0;
}
