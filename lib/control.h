/*
 * control - reading the text files in conf-home's control/ directory.
 * Names are relative to control/ ("me", "locals"); an absolute name is
 * used as it is, which the tests use.  A missing file is never an error:
 * each reader reports it (return 0) and the caller applies the default
 * that control(5) documents.  Errors other than ENOENT return -1 and
 * callers treat them as temporary.
 *
 * Text rules for every file: trailing spaces, tabs and CRs are removed
 * from each line; in lists, blank lines and lines starting with # are
 * skipped.
 */
#ifndef KURIER_CONTROL_H
#define KURIER_CONTROL_H

#include "str.h"

/* the most bytes any control file may hold; larger ones belong in a cdb */
#define CONTROL_FILE_MAX (16u * 1024 * 1024)

/* control_path - the full path of control file name into out; 1 ok, 0 no memory */
int control_path(struct str *out, const char *name);
/* control_readfile - whole file into out; 1 read, 0 missing, -1 error */
int control_readfile(struct str *out, const char *name);
/* control_readline - first line, trimmed; 1 read, 0 missing or empty (out = def), -1 error */
int control_readline(struct str *out, const char *name, const char *def);
/* control_readulong - first line as a number; 1 read, 0 missing (*u = def), -1 error or not a number */
int control_readulong(unsigned long long *u, const char *name, unsigned long long def);
/* control_readduration - like control_readulong, with w/d/h/m/s suffixes allowed */
int control_readduration(unsigned long long *u, const char *name, unsigned long long def);
/*
 * control_readlist - the lines of a list file, each NUL-terminated, in
 * out (a line that holds a NUL byte is skipped: it cannot be an entry);
 * 1 read, 0 missing (out empty), -1 error
 */
int control_readlist(struct str *out, const char *name);
/* control_me - "me", defaulting to the system's host name; 1 ok, -1 error */
int control_me(struct str *out);
/* control_readdefault - first line, defaulting to "me"; 1 ok, -1 error */
int control_readdefault(struct str *out, const char *name);

#endif
