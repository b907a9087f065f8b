/*
 * fuzz-imapmsg - libFuzzer target for imapmsg: every function on
 * arbitrary message bytes, and a round trip: the ENVELOPE, BODY and
 * BODYSTRUCTURE strings must each be one balanced IMAP list (quoted
 * strings closed, literal lengths right), RFC822.SIZE must equal the
 * length of BODY[], and a failed call must leave the output untouched.
 * The first line of the input, when it starts with '#', is taken as the
 * section spec and search needle; the rest is the message.
 * runs as:  the fuzzing user, under ASan and UBSan
 * exit:     aborts on a broken invariant
 */
#include <stdlib.h>
#include <string.h>
#include "imapmsg.h"

#define FUZZ_SPEC_MAX 200	/* longest spec taken from the input */

/* balanced - 1 if s[0..n) is exactly one IMAP parenthesized list */
static int balanced(const char *s, size_t n)
{
	size_t i = 0, depth = 0;

	if (!n || s[0] != '(')
		return 0;
	while (i < n) {
		char c = s[i];
		if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\')
					i++;
				else if (s[i] == '\r' || s[i] == '\n')
					return 0;
			}
			if (i >= n)
				return 0;
			i++;
		} else if (c == '{') {
			size_t len = 0;
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				len = len * 10 + (size_t)(s[i] - '0');
			if (n - i < 3 || memcmp(s + i, "}\r\n", 3) || n - i - 3 < len)
				return 0;
			i += 3 + len;
		} else if (c == '(') {
			depth++;
			i++;
		} else if (c == ')') {
			if (!depth--)
				return 0;
			i++;
			if (!depth && i != n)
				return 0;	/* something after the outer list */
		} else
			i++;
	}
	return depth == 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* LLVMFuzzerTestOneInput - one input; aborts on a broken invariant */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *msg = (const char *)data, *spec = "1", *nl;
	size_t len = size, slen = 1, sz = 0;
	struct str o = STR_INIT;
	long long t;
	int r;

	if (size && data[0] == '#' && (nl = memchr(msg, '\n', size < FUZZ_SPEC_MAX ? size : FUZZ_SPEC_MAX))) {
		spec = msg + 1;
		slen = (size_t)(nl - spec);
		msg = nl + 1;
		len = size - (size_t)(msg - (const char *)data);
	}
	if (imapmsg_envelope(msg, len, &o) == 1 && !balanced(o.s, o.len))
		abort();
	str_truncate(&o, 0);
	r = imapmsg_bodystructure(msg, len, 0, &o);
	if ((r == 1 && !balanced(o.s, o.len)) || (r < 0 && o.len))
		abort();
	str_truncate(&o, 0);
	r = imapmsg_bodystructure(msg, len, 1, &o);
	if ((r == 1 && !balanced(o.s, o.len)) || (r < 0 && o.len))
		abort();
	str_truncate(&o, 0);
	if (imapmsg_size_crlf(msg, len, &sz) != 1 || imapmsg_section(msg, len, "", 0, &o) != 1 || o.len != sz)
		abort();
	str_truncate(&o, 0);
	r = imapmsg_section(msg, len, spec, slen, &o);
	if (r != 1 && o.len)
		abort();
	str_truncate(&o, 0);
	imapmsg_section(msg, len, "1.MIME", 6, &o);
	str_truncate(&o, 0);
	imapmsg_section(msg, len, "2.1.HEADER.FIELDS (SUBJECT FROM)", 32, &o);
	str_truncate(&o, 0);
	imapmsg_section(msg, len, "HEADER.FIELDS.NOT (TO)", 22, &o);
	if (imapmsg_search_header(msg, len, "subject", 7, spec, slen) < 0 && slen > 1000000)
		abort();
	imapmsg_search_text(msg, len, spec, slen, 0);
	imapmsg_search_text(msg, len, spec, slen, 1);
	r = imapmsg_date(msg, len, &t);
	if (r == 0 && t != 0)
		abort();
	if (imapmsg_sentday(msg, len, &t) != r || (r == 0 && t != 0))
		abort();
	str_free(&o);
	return 0;
}
