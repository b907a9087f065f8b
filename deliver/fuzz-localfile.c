/*
 * fuzz-localfile.c - libFuzzer target for the local delivery parsers that
 * read bytes users or other programs control: delivery files, the
 * extension-to-file-name search, maildirsize text, quota strings (with a
 * parse/format/parse round trip), maildir file names with their S= tag
 * and flag suffix, and the locals matcher.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "localfile.h"
#include "maildir.h"
#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct localfile_instr in[LOCALFILE_INSTR_MAX];
	const char *s = (const char *)data;
	struct str out = STR_INIT, z = STR_INIT;
	struct maildir_quota q, q2;
	long long b, c;
	size_t n, i;
	unsigned bad;
	const char *e;

	if (localfile_parse(s, size, in, LOCALFILE_INSTR_MAX, &n, &bad))
		for (i = 0; i < n; i++)
			if (in[i].arg < s || in[i].arg + in[i].len > s + size || !in[i].len)
				abort();
	if (localfile_candidates(s, size, &out) && (!out.len || out.s[out.len - 1] != 0))
		abort();
	if (maildir_size_parse(s, size, &q, &b, &c) && (b < 0 || c < 0))
		abort();
	if (maildir_quota_parse(s, size, &q)) {
		if (!maildir_quota_fmt(&out, &q) || !maildir_quota_parse(out.s, out.len, &q2) ||
		    q2.bytes != q.bytes || q2.count != q.count)
			abort();
	}
	if (str_copyb(&z, s, size) && str_0(&z)) {
		unsigned long long sz;
		maildir_name_size(z.s, &sz);
		maildir_folder_ok(z.s);
		/* the input as a locals list (NUL-separated) and as a domain */
		resolve_locals_match(z.s, size, "a.example", 9, &e);
		resolve_locals_match("x.example\0.example\0!b.example\0", 30, z.s, strlen(z.s), &e);
	}
	str_free(&out);
	str_free(&z);
	return 0;
}
