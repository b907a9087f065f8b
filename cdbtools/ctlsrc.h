/*
 * ctlsrc - read the text source of a control cdb: one file, or a
 * directory whose files are concatenated in name order (see
 * ctlsrc_skip for the names left out).  A one-file source is mapped
 * (no copy: a million aliases are 90 MB); a directory is read into one
 * buffer with a newline after every file.  A small map remembers
 * where each file starts, so a parser can report "file:line" for any
 * byte.  Used by makealiases, makehosteddomains, makeacceptmailfor and
 * makesmtpaccess.  Trusts nothing it reads; sizes are bounded.
 */
#ifndef KURIER_CTLSRC_H
#define KURIER_CTLSRC_H

#include <stddef.h>
#include "str.h"

/* one source is read whole: 1 GiB is far above ten million aliases */
#define CTLSRC_MAX (1024UL * 1024 * 1024)
/* files in a source directory; more is a mistake, not a configuration */
#define CTLSRC_FILES_MAX 10000

struct ctlsrc_file {
	char *name;	/* path as the user will see it in messages */
	size_t start;	/* offset of its first byte in the buffer */
};

struct ctlsrc {
	const char *data;		/* the source bytes: text.s, or a one-file source mapped */
	size_t len;
	size_t mapped;			/* bytes mapped at data, or 0 */
	struct str text;		/* a directory's files, each ending in a newline */
	struct ctlsrc_file *files;
	size_t n;
	int isdir;
};

/* ctlsrc_skip - 1 if a directory entry name is a dot file, a backup or an editor or package-manager leftover */
int ctlsrc_skip(const char *name);
/*
 * ctlsrc_read - read source path (file or directory) into s.
 * Returns 1 ok, 0 missing (ENOENT on path itself), -1 refused (*why;
 * the offending path in bad) or system error (*why = 0, errno set).
 */
int ctlsrc_read(const char *path, struct ctlsrc *s, struct str *bad, const char **why);
/* ctlsrc_add - append a file's bytes under name (used by ctlsrc_read and the tests); 1 ok, 0 no memory or too big */
int ctlsrc_add(struct ctlsrc *s, const char *name, const char *p, size_t n);
/* ctlsrc_where - the file and line number of offset off */
void ctlsrc_where(const struct ctlsrc *s, size_t off, const char **file, unsigned long *line);
/* ctlsrc_free - release everything */
void ctlsrc_free(struct ctlsrc *s);

/* ctlsrc_readfile - read one regular file whole (at most max bytes) into out; 1 ok, 0 missing, -1 error (errno; EFBIG when too big) */
int ctlsrc_readfile(const char *path, struct str *out, size_t max);

#endif
