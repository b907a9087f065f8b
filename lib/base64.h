/*
 * base64 - the base64 alphabet of RFC 4648 §4, strict: whole groups of
 * four characters, '=' padding only at the very end, and no stray bits in
 * the last group.  SASL responses (PLAIN, CRAM-MD5) and CRAM-MD5
 * challenges use it.  No I/O: byte strings in, a struct str out.
 */
#ifndef KURIER_BASE64_H
#define KURIER_BASE64_H

#include <stddef.h>
#include "str.h"

/* base64_decode - the base64 text s[0..n) appended to out (out->max is honoured); 1 ok, 0 bad text or too long */
int base64_decode(const char *s, size_t n, struct str *out);
/* base64_encode - n bytes of s as base64, appended to out; 1 ok, 0 no memory */
int base64_encode(const char *s, size_t n, struct str *out);

#endif
