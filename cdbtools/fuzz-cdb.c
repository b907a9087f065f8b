/* fuzz-cdb - libFuzzer target: the cdb reader fed arbitrary files.  The
 * input is written to a temporary file and read the ways kurier reads
 * cdbs: lookups through lib/cdbx (cdbx_get, as the daemons do) and a
 * sequential walk with libcdb (as kurier-cdb dump and kurier-showctl do).
 * Corrupt offsets and lengths must give "not found" or an error, never
 * a read outside the file. */
#include <cdb.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cdbx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the scratch file every input is written to; mkstemp fills in the X's once */
static char path[] = "/tmp/fuzz-cdb.XXXXXX";
static int made;

/* LLVMFuzzerTestOneInput - write, look up, walk; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *keys[] = { "", "a", "postmaster", "@example.com", "127.0.0.1", "127." };
	struct str out = STR_INIT;
	struct cdb c;
	unsigned pos;
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
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		(void)cdbx_get(path, keys[i], strlen(keys[i]), &out);
	/* a key taken from the input itself, so real hits happen too */
	if (size > 2056)
		(void)cdbx_get(path, (const char *)data + 2048, 8, &out);
	fd = open(path, O_RDONLY);
	if (fd != -1 && cdb_init(&c, fd) == 0) {
		cdb_seqinit(&pos, &c);
		while (cdb_seqnext(&pos, &c) > 0) {
			const unsigned char *k = cdb_get(&c, cdb_keylen(&c), cdb_keypos(&c));
			const unsigned char *d = cdb_get(&c, cdb_datalen(&c), cdb_datapos(&c));
			volatile unsigned char sink = 0;
			if (!k || !d)
				break;	/* as kurier-cdb and kurier-showctl do: libcdb's walk can wrap */
			if (cdb_keylen(&c))
				sink ^= k[cdb_keylen(&c) - 1];
			if (cdb_datalen(&c))
				sink ^= d[cdb_datalen(&c) - 1];
			(void)sink;
		}
		cdb_free(&c);
	}
	if (fd != -1)
		close(fd);
	str_free(&out);
	return 0;
}
