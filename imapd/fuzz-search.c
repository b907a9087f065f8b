/*
 * fuzz-search - libFuzzer target for SEARCH: the input is parsed as a
 * command "t SEARCH <input>", its keys as a search, and the result is
 * matched against a few made-up messages with small bodies.
 */
#include <stdlib.h>
#include <string.h>
#include "imapparse.h"
#include "search.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char body[] = "From: a@example.org\nSubject: =?UTF-8?Q?caf=C3=A9?=\nDate: 1 Jan 2020 00:00:00 +0000\n\nhello world\n";

static unsigned long long fsize(void *ctx) { (void)ctx; return sizeof body - 1; }
static const char *ftext(void *ctx, size_t *len) { (void)ctx; *len = sizeof body - 1; return body; }

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct imap_cmd c;
	struct search s;
	struct str line = STR_INIT;
	uint32_t i;

	if (!str_copys(&line, "t SEARCH ") || !str_catb(&line, (const char *)data, size))
		return 0;
	imap_cmd_init(&c);
	memset(&s, 0, sizeof s);
	if (imap_parse(line.s, line.len, &c) == 1 && search_parse(&s, c.t, c.nt, 5, 9) == 1) {
		for (i = 1; i <= 5; i++) {
			static char kw0[] = "$Junk", kw1[] = "work";
			static char *const kwn[] = { kw0, kw1 };
			struct search_msg m;
			int r;
			memset(&m, 0, sizeof m);
			m.kw = i & 3;
			m.kwname = kwn;
			m.nkw = 2;
			m.seq = i;
			m.uid = i * 2 - 1;
			m.flags = i * 7u;
			m.recent = (int)(i & 1);
			m.idate = 1577836800LL + i * 86400;
			m.ctx = 0;
			m.size = fsize;
			m.text = ftext;
			r = search_match(&s, &m);
			if (r < -1 || r > 1)
				abort();
		}
	}
	search_free(&s);
	imap_cmd_free(&c);
	str_free(&line);
	return 0;
}
