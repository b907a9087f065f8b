/*
 * fuzz-seqset - libFuzzer target for sequence sets: parse, resolve
 * against a star and a mailbox size taken from the input, and check that
 * the result is sorted, merged, inside 1..max, and that membership agrees
 * with a walk over the ranges.
 */
#include <stdlib.h>
#include <string.h>
#include "imapparse.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct imap_seqset set = { 0, 0, 0 };
	uint32_t star = 0, max, x;
	size_t i;

	if (size >= 4) {
		memcpy(&star, data, 4);
		data += 4;
		size -= 4;
	}
	max = star % 100000;
	if (imap_seqset_parse((const char *)data, size, &set) == 1) {
		imap_seqset_resolve(&set, max, max);
		for (i = 0; i < set.n; i++) {
			if (set.r[i].lo < 1 || set.r[i].lo > set.r[i].hi || set.r[i].hi > max)
				abort();
			if (i && set.r[i].lo <= set.r[i - 1].hi + 1)
				abort();
		}
		for (x = 0; x < 64 && x <= max; x++) {
			int in = 0;
			for (i = 0; i < set.n; i++)
				if (x >= set.r[i].lo && x <= set.r[i].hi)
					in = 1;
			if (in != imap_seqset_has(&set, x))
				abort();
		}
	}
	imap_seqset_free(&set);
	return 0;
}
