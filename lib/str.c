/*
 * str.c - growable byte strings; see str.h.
 * Growth is by half again the wanted size, computed with checked
 * arithmetic so that no request near SIZE_MAX can wrap around.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "str.h"

int str_ready(struct str *x, size_t n)
{
	size_t want;
	char *p;

	if (x->max && n > x->max) {
		errno = E2BIG;
		return 0;
	}
	if (!size_add(&want, n, 1)) {
		errno = E2BIG;
		return 0;
	}
	if (x->s && want <= x->a)
		return 1;
	/* grow by n/2 extra so appends cost amortised O(1); near SIZE_MAX
	 * the extra is simply dropped */
	{
		size_t roomy;
		if (size_add(&roomy, want, n / 2 + 30))
			want = roomy;
	}
	if (x->max) {
		size_t capped;
		if (size_add(&capped, x->max, 1) && want > capped)
			want = capped;
	}
	p = realloc(x->s, want);
	if (!p) {
		errno = ENOMEM;
		return 0;
	}
	if (!x->s)
		p[0] = 0;
	x->s = p;
	x->a = want;
	return 1;
}

int str_readyplus(struct str *x, size_t n)
{
	size_t total;

	if (!size_add(&total, x->len, n)) {
		errno = E2BIG;
		return 0;
	}
	return str_ready(x, total);
}

int str_copyb(struct str *x, const char *b, size_t n)
{
	if (!str_ready(x, n))
		return 0;
	if (n)
		memmove(x->s, b, n);
	x->len = n;
	x->s[n] = 0;
	return 1;
}

int str_copys(struct str *x, const char *s)
{
	return str_copyb(x, s, strlen(s));
}

int str_copy(struct str *x, const struct str *y)
{
	return str_copyb(x, y->s, y->len);
}

int str_catb(struct str *x, const char *b, size_t n)
{
	if (!str_readyplus(x, n))
		return 0;
	if (n)
		memmove(x->s + x->len, b, n);
	x->len += n;
	x->s[x->len] = 0;
	return 1;
}

int str_cats(struct str *x, const char *s)
{
	return str_catb(x, s, strlen(s));
}

int str_cat(struct str *x, const struct str *y)
{
	return str_catb(x, y->s, y->len);
}

int str_append(struct str *x, char c)
{
	return str_catb(x, &c, 1);
}

int str_catu(struct str *x, unsigned long long u)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	return str_catb(x, tmp + i, sizeof tmp - i);
}

int str_0(struct str *x)
{
	return str_catb(x, "", 1);
}

void str_truncate(struct str *x, size_t n)
{
	if (n < x->len) {
		x->len = n;
		x->s[n] = 0;
	}
}

void str_free(struct str *x)
{
	free(x->s);
	x->s = 0;
	x->len = 0;
	x->a = 0;
}

void str_wipe(struct str *x)
{
	if (x->s)
		explicit_bzero(x->s, x->a);
	str_free(x);
}

int str_equals(const struct str *x, const char *s)
{
	size_t n = strlen(s);

	return x->len == n && (n == 0 || memcmp(x->s, s, n) == 0);
}

int str_starts(const struct str *x, const char *s)
{
	size_t n = strlen(s);

	return x->len >= n && (n == 0 || memcmp(x->s, s, n) == 0);
}

size_t str_chr(const struct str *x, char c)
{
	const char *p;

	if (!x->len)
		return 0;
	p = memchr(x->s, c, x->len);
	return p ? (size_t)(p - x->s) : x->len;
}
