/*
 * cdbx - cdb files through tinycdb's libcdb: lookups, and atomic writes.
 * A lookup opens the file afresh each time, so a daemon sees a rebuilt
 * cdb at once without restarting.  A write goes to NAME.tmp, is fsynced,
 * renamed over NAME, and the directory is fsynced: readers see the old
 * file or the new one, never a mixture, and a crash leaves one of them.
 */
#ifndef KURIER_CDBX_H
#define KURIER_CDBX_H

#include <stddef.h>
#include <sys/types.h>
#include <cdb.h>
#include "str.h"

/* cdbx_get - look key up in the cdb at path; 1 found (data in out), 0 not found or no file, -1 error */
int cdbx_get(const char *path, const char *key, size_t klen, struct str *out);

/*
 * Writing: libcdb's cdb_make writes in pieces of 4 KiB, and on ext4 a
 * write(2) of 4 KiB costs about three times what the same bytes cost in
 * writes of 1 MiB.  So libcdb is given a memory file (memfd) as its
 * descriptor instead, and every CDBX_CHUNK bytes what it has staged there
 * is copied into the real temporary file with one write.  This leans on
 * how cdb_make writes a cdb: the records and then the hash tables in
 * order, and last the 2048-byte table of contents at offset 0 (the cdb
 * format puts it there; tinycdb writes it with one lseek and one write).
 * The memory file holds the table of contents' 2048 bytes at its start
 * and the file's bytes from CDBX_WIN on; after a copy what is left over
 * moves back to CDBX_WIN, so it never holds more than about one chunk.
 * The end is checked against that order, and a libcdb that wrote
 * otherwise makes the write fail (EPROTO) rather than produce a wrong
 * file.  Without memfd_create libcdb writes to the file itself.
 *
 * A caller that has other threads working while a write waits for the
 * disk may ask (cdbx_make_direct) for the chunks to go to the file with
 * O_DIRECT where the filesystem allows it, in whole blocks (the rest
 * waits for the next chunk); a single-threaded caller is better served
 * by the page cache, whose writeback overlaps its work.  The disk reads
 * them from the memory file, with no copy into the page cache, no
 * writeback to start and nothing for the final fsync but the last part
 * block.  The first block is written again at the end with the table of
 * contents (its records' bytes kept aside), so that no block written
 * with O_DIRECT is read back.  On a filesystem without O_DIRECT every
 * copy goes through the page cache.
 *
 * A caller that rebuilds a large cdb often may keep the cdb it replaces
 * as a spare, NAME.old (cdbx_make_rename_spare), and write the next
 * cdb over the spare's blocks (cdbx_make_start_spare): no blocks are
 * allocated for the new file, and none are freed when it replaces the
 * old one (on a filesystem mounted with discard, freeing ten megabytes
 * waits some milliseconds for the disk; allocating them doubles the time
 * of an O_DIRECT write).  The spare is taken only when nobody can be
 * reading it: it is a regular file with no other link, owned by the
 * caller's user and group, and the kernel grants a write lease on it,
 * which it refuses while any other process holds the file open or
 * mapped.  Otherwise it is removed and NAME.tmp is created afresh.  The
 * spare is renamed to NAME.tmp before it is written, so a crash leaves
 * a temporary, never a damaged NAME.
 */
/* the cdb table of contents: 256 pairs of 32-bit numbers at offset 0 */
#define CDBX_HEAD 2048
/* staged bytes copied to the file at once: large enough that a write
 * costs little per byte, small enough to stay in the CPU's caches */
#define CDBX_CHUNK (1024UL * 1024)
/* where the file's bytes start in the memory file: past the table of
 * contents, on a page boundary (O_DIRECT writes from page-aligned memory) */
#define CDBX_WIN 4096
/* the unit of an O_DIRECT write: the page size, a multiple of any disk's
 * logical block size */
#define CDBX_ALIGN 4096

struct cdbx_make {
	struct cdb_make cm;
	int fd;			/* the temporary file */
	int stage;		/* the memory file libcdb writes to, or -1 */
	const char *win;	/* stage mapped from offset 0 */
	size_t winlen;
	size_t pending;		/* record bytes added since the last copy */
	off_t base;		/* file offset of stage byte CDBX_WIN */
	off_t synced;		/* file bytes handed to writeback so far */
	int direct;		/* fd has O_DIRECT: chunks go in whole blocks */
	int have_first;		/* first holds the file's bytes [CDBX_HEAD, CDBX_ALIGN) */
	char first[CDBX_ALIGN - CDBX_HEAD];	/* what follows the table of contents in the
				 * first block, for writing that block again with it */
	int reused;		/* the temporary is a spare written over (cut to size at the end) */
	struct str tmp;		/* NAME.tmp */
	struct str final;	/* NAME */
};
/* the spare's name: NAME and this suffix */
#define CDBX_SPARE ".old"

/* cdbx_make_start - create path.tmp with mode; 1 ok, -1 error */
int cdbx_make_start(struct cdbx_make *m, const char *path, mode_t mode);
/* cdbx_make_start_spare - cdbx_make_start writing over the spare
 * path.old when nobody can be reading it (see above); 1 ok, -1 error */
int cdbx_make_start_spare(struct cdbx_make *m, const char *path, mode_t mode);
/* cdbx_make_direct - right after cdbx_make_start: write the staged chunks
 * with O_DIRECT (see above); 1 on, 0 not available (the page cache is used) */
int cdbx_make_direct(struct cdbx_make *m);
/* cdbx_make_add - add one record; 1 ok, -1 error */
int cdbx_make_add(struct cdbx_make *m, const char *k, size_t kl, const char *d, size_t dl);
/* cdbx_make_end - write the hash tables, put every byte into path.tmp and start its writeback; 1 ok, -1 error */
int cdbx_make_end(struct cdbx_make *m);
/* cdbx_make_sync - after cdbx_make_end: fsync and close path.tmp; 1 ok, -1 error */
int cdbx_make_sync(struct cdbx_make *m);
/* cdbx_make_rename - after cdbx_make_sync: rename path.tmp to path (the directory is not fsynced); 1 ok, -1 error */
int cdbx_make_rename(struct cdbx_make *m);
/* cdbx_make_rename_spare - cdbx_make_rename keeping the cdb it replaces
 * as path.old, the next run's spare (when that cannot be, it is freed as
 * by cdbx_make_rename); 1 ok, -1 error */
int cdbx_make_rename_spare(struct cdbx_make *m);
/* cdbx_make_finish - end, fsync, rename into place, fsync the directory; 1 ok, -1 error (temp file removed) */
int cdbx_make_finish(struct cdbx_make *m);
/* cdbx_make_abort - remove the temporary file and release everything */
void cdbx_make_abort(struct cdbx_make *m);

/* fsync_dir - fsync the directory that holds path; 1 ok, -1 error */
int fsync_dir(const char *path);

#endif
