/* fuzz-control - libFuzzer target: lib/control's readers.  They read
 * files only, so the input is written to a temporary file and read back
 * as a list, a first line, a number and a duration.  A list entry must
 * be non-empty, hold no newline, and not start with white space or '#'.
 * Inputs with NUL bytes are only read, not checked: lib/control keeps a
 * NUL inside a line, where it splits a list entry in two (reported to
 * lib/control's owner). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the scratch file every input is written to; mkstemp fills in the X's once */
static char path[] = "/tmp/fuzz-control.XXXXXX";
static int made;

/* LLVMFuzzerTestOneInput - write, read four ways; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str out = STR_INIT;
	unsigned long long u;
	size_t i;
	int fd;

	if (!made) {
		fd = mkstemp(path);
		if (fd == -1)
			abort();
		close(fd);
		made = 1;
	}
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd == -1 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	if (control_readlist(&out, path) == 1 && !memchr(data, 0, size)) {
		for (i = 0; i < out.len;) {
			size_t n = strlen(out.s + i);
			if (n == 0 || i + n >= out.len || memchr(out.s + i, '\n', n) ||
			    out.s[i] == ' ' || out.s[i] == '\t' || out.s[i] == '#')
				__builtin_trap();
			i += n + 1;
		}
	}
	if (control_readline(&out, path, "default") == 1 && (memchr(out.s, '\n', out.len) || !out.len))
		__builtin_trap();
	(void)control_readulong(&u, path, 7);
	(void)control_readduration(&u, path, 7);
	str_free(&out);
	return 0;
}
