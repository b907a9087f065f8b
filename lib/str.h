/*
 * str - a growable byte string with overflow-checked sizes.
 * Every function returns 1 on success and 0 on failure with errno set
 * (ENOMEM when memory runs out, E2BIG when the string would pass its cap
 * or when a size computation would overflow).  The bytes are always
 * followed by a NUL that is not counted in len, as a safety net for code
 * that hands s to the C library; the data itself may contain NULs.
 */
#ifndef KURIER_STR_H
#define KURIER_STR_H

#include <stddef.h>

struct str {
	char *s;	/* the bytes, NUL-terminated after len; NULL when empty and unallocated */
	size_t len;	/* bytes in use */
	size_t a;	/* bytes allocated, including room for the NUL */
	size_t max;	/* cap on len for data from outside; 0 means no cap */
};

#define STR_INIT { 0, 0, 0, 0 }

/* str_ready - make room for n bytes in total; 1 ok, 0 ENOMEM/E2BIG */
int str_ready(struct str *, size_t n);
/* str_readyplus - make room for n more bytes; 1 ok, 0 on failure */
int str_readyplus(struct str *, size_t n);
/* str_copyb - replace contents with n bytes; 1 ok, 0 on failure */
int str_copyb(struct str *, const char *, size_t n);
/* str_copys - replace contents with a C string; 1 ok, 0 on failure */
int str_copys(struct str *, const char *);
/* str_copy - replace contents with another str; 1 ok, 0 on failure */
int str_copy(struct str *, const struct str *);
/* str_catb - append n bytes; 1 ok, 0 on failure (contents unchanged) */
int str_catb(struct str *, const char *, size_t n);
/* str_cats - append a C string; 1 ok, 0 on failure */
int str_cats(struct str *, const char *);
/* str_cat - append another str; 1 ok, 0 on failure */
int str_cat(struct str *, const struct str *);
/* str_append - append one byte; 1 ok, 0 on failure */
int str_append(struct str *, char);
/* str_catu - append an unsigned number in decimal; 1 ok, 0 on failure */
int str_catu(struct str *, unsigned long long);
/* str_0 - append a NUL byte that is counted in len; 1 ok, 0 on failure */
int str_0(struct str *);
/* str_truncate - shorten to n bytes (n <= len) */
void str_truncate(struct str *, size_t n);
/* str_free - release memory, wiping nothing */
void str_free(struct str *);
/* str_wipe - zero the bytes (for secrets), then release memory */
void str_wipe(struct str *);
/* str_equals - 1 if the contents equal the C string s, else 0 */
int str_equals(const struct str *, const char *s);
/* str_starts - 1 if the contents start with the C string s, else 0 */
int str_starts(const struct str *, const char *s);
/* str_chr - index of the first byte c, or len if none */
size_t str_chr(const struct str *, char c);

/* size_add - *r = a + b; 1 ok, 0 on overflow */
static inline int size_add(size_t *r, size_t a, size_t b)
{
	return !__builtin_add_overflow(a, b, r);
}
/* size_mul - *r = a * b; 1 ok, 0 on overflow */
static inline int size_mul(size_t *r, size_t a, size_t b)
{
	return !__builtin_mul_overflow(a, b, r);
}

#endif
