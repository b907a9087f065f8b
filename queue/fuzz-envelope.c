/* fuzz-envelope - libFuzzer target for the envelope parser: any bytes, in
 * any split, must give the same verdict and never read past the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - parse data whole and split at data[0]; 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct env_parser a = ENV_PARSER_INIT, b = ENV_PARSER_INIT;
	enum env_result ra, rb;
	size_t ua, ub, cut;

	if (!size) return 0;
	cut = data[0] % size;
	ra = env_feed(&a, (const char *)data, size, &ua);
	rb = env_feed(&b, (const char *)data, cut, &ub);
	if (rb == ENV_MORE) {
		size_t more;
		rb = env_feed(&b, (const char *)data + cut, size - cut, &more);
		ub += more;
	}
	if (ra != rb || ua != ub || ua > size) abort();
	return 0;
}
