/* fuzz-sched - libFuzzer target for kurier-send's spawner reply parser,
 * status extraction and address rewriting: any bytes must give a verdict
 * without reading past the input, a parsed reply must lie inside it, and
 * a prefix of a whole reply must ask for more. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - run every sched parser over data; 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *x = malloc(size ? size : 1), st[16];
	unsigned long long slot;
	size_t f, nf;
	long r;
	struct str out = STR_INIT;

	if (!x) return 0;
	memcpy(x, data, size);
	r = sched_reply(x, size, &slot, &f, &nf);
	if (r > 0) {
		if ((size_t)r > size || f >= (size_t)r || !nf) abort();
		if (sched_reply(x, (size_t)r - 1, &slot, &f, &nf) != 0) abort();
	}
	sched_status(st, x, size, size & 1);
	if (strlen(st) < 5 || (st[0] != '4' && st[0] != '5')) abort();
	if (!sched_rewrite(&out, x, size, "host.example", "example")) abort();
	str_free(&out);
	free(x);
	return 0;
}
