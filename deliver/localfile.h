/*
 * localfile - delivery instruction files (.courier-ext, .qmail-ext and
 * control/defaultdelivery): which file names to try for an extension,
 * and the parse of their lines.  Pure functions on byte strings, so the
 * unit test can drive them from a table; the file system is left to
 * local.c.  The semantics are qmail's dot-qmail(5), see local(8).
 */
#ifndef KURIER_LOCALFILE_H
#define KURIER_LOCALFILE_H

#include <stddef.h>
#include "str.h"

#define LOCALFILE_MAX 65536	/* the largest delivery file read; a longer one is a mistake */
#define LOCALFILE_INSTR_MAX 256	/* instructions in one file; forwards beyond this belong in a list manager */
#define LOCALFILE_EXT_MAX 200	/* longest extension searched (the name must fit a 255-byte entry) */

#define LF_MAILDIR 1	/* "/path/" or "./path/": a maildir */
#define LF_MBOX    2	/* "/path" or "./path": an mbox file */
#define LF_FORWARD 3	/* "&addr" or "addr": forward */
#define LF_PROGRAM 4	/* "|command": run by /bin/sh -c */

struct localfile_instr {
	int type;		/* LF_* */
	const char *arg;	/* the path, address or command (not NUL-terminated) */
	size_t len;
	unsigned line;		/* 1-based line in the file */
};

/*
 * localfile_parse - the instructions of file text s[0..n) into out (at
 * most max); 1 ok (*count set), 0 malformed (*badline set: an empty
 * program or address, a NUL byte, or more than max instructions)
 */
int localfile_parse(const char *s, size_t n, struct localfile_instr *out, size_t max,
    size_t *count, unsigned *badline);

/*
 * localfile_candidates - the name suffixes to try for extension ext, in
 * order, into out as pairs "suffix\0default\0": for "foo-bar" they are
 * "foo-bar" "" , "foo-default" "bar", "default" "foo-bar"; for "" just
 * "" "".  In the suffixes the extension is lower-cased and '.' becomes
 * ':'; the default parts keep the address's own bytes.
 * 1 ok, 0 no memory or extension too long (errno E2BIG)
 */
int localfile_candidates(const char *ext, size_t n, struct str *out);

#endif
