/*
 * fuzz-cmd - libFuzzer target for the IMAP command parser: any bytes as a
 * command with inline literals; every token must lie inside the input or
 * the arena, lists must pair up, and parsing twice gives the same tokens.
 */
#include <stdlib.h>
#include <string.h>
#include "imapparse.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct imap_cmd c, d;
	unsigned long long lit;
	int ns, r, r2;
	size_t k;

	(void)imap_literal_end((const char *)data, size, &lit, &ns);
	imap_cmd_init(&c);
	imap_cmd_init(&d);
	r = imap_parse((const char *)data, size, &c);
	r2 = imap_parse((const char *)data, size, &d);
	if (r != r2)
		abort();
	if (r == 1) {
		if (c.nt != d.nt)
			abort();
		for (k = 0; k < c.nt; k++) {
			const struct imap_tok *t = &c.t[k];
			if (t->type != d.t[k].type || t->len != d.t[k].len || memcmp(t->s, d.t[k].s, t->len))
				abort();
			if (t->type == IMAP_LITERAL && (t->s < (const char *)data || t->s + t->len > (const char *)data + size))
				abort();
			if (t->type == IMAP_OPEN && (t->end <= k || t->end >= c.nt || c.t[t->end].type != IMAP_CLOSE))
				abort();
		}
	}
	imap_cmd_free(&c);
	imap_cmd_free(&d);
	return 0;
}
