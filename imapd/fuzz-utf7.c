/*
 * fuzz-utf7 - libFuzzer target for modified UTF-7: whatever decodes must
 * encode back to the same bytes (the encoding is canonical), and whatever
 * UTF-8 encodes must decode back to itself.
 */
#include <stdlib.h>
#include <string.h>
#include "imapparse.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct str a = STR_INIT, b = STR_INIT;

	if (imap_utf7_decode((const char *)data, size, &a) == 1) {
		if (imap_utf7_encode(a.s ? a.s : "", a.len, &b) != 1 || b.len != size || memcmp(b.s ? b.s : "", data, size))
			abort();
	}
	if (imap_utf7_encode((const char *)data, size, &a) == 1) {
		if (imap_utf7_decode(a.s ? a.s : "", a.len, &b) != 1 || b.len != size || memcmp(b.s ? b.s : "", data, size))
			abort();
	}
	str_free(&a);
	str_free(&b);
	return 0;
}
