/*
 * localfile.c - delivery instruction files; see localfile.h.
 * runs as:  the recipient (delivery child) or root (kurier-route)
 * trusts:   nothing: the text comes from a user's file
 */
#include <errno.h>
#include <string.h>
#include "localfile.h"

/* is_space - a blank inside a line */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int localfile_parse(const char *s, size_t n, struct localfile_instr *out, size_t max,
    size_t *count, unsigned *badline)
{
	size_t i = 0;
	unsigned line = 0;

	*count = 0;
	*badline = 0;
	while (i < n) {
		const char *l = s + i;
		const char *nl = memchr(l, '\n', n - i);
		size_t ll = nl ? (size_t)(nl - l) : n - i;
		struct localfile_instr in;

		i += ll + 1;
		line++;
		if (memchr(l, 0, ll)) {
			*badline = line;
			return 0;
		}
		while (ll && is_space(l[ll - 1]))
			ll--;
		if (!ll || l[0] == '#')
			continue;
		in.line = line;
		switch (l[0]) {
		case '|':
			in.type = LF_PROGRAM;
			in.arg = l + 1;
			in.len = ll - 1;
			/* an all-blank command runs nothing: refuse it */
			while (in.len && is_space(in.arg[0])) {
				in.arg++;
				in.len--;
			}
			break;
		case '/':
		case '.':
			in.type = l[ll - 1] == '/' ? LF_MAILDIR : LF_MBOX;
			in.arg = l;
			in.len = ll;
			break;
		case '&':
			in.type = LF_FORWARD;
			in.arg = l + 1;
			in.len = ll - 1;
			while (in.len && is_space(in.arg[0])) {
				in.arg++;
				in.len--;
			}
			break;
		default:
			/* anything else is an address to forward to, as in qmail */
			if (is_space(l[0])) {
				*badline = line;
				return 0;
			}
			in.type = LF_FORWARD;
			in.arg = l;
			in.len = ll;
			break;
		}
		if (!in.len || (in.type == LF_FORWARD && (memchr(in.arg, ' ', in.len) ||
		    memchr(in.arg, '\t', in.len))) || *count >= max) {
			*badline = line;
			return 0;
		}
		out[(*count)++] = in;
	}
	return 1;
}

/* cat_ext - append e[0..n) lower-cased with '.' as ':'; 1 ok, 0 no memory */
static int cat_ext(struct str *out, const char *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = e[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		else if (c == '.')
			c = ':';
		if (!str_append(out, c))
			return 0;
	}
	return 1;
}

int localfile_candidates(const char *ext, size_t n, struct str *out)
{
	size_t k;

	out->len = 0;
	if (n > LOCALFILE_EXT_MAX) {
		errno = E2BIG;
		return 0;
	}
	if (!cat_ext(out, ext, n) || !str_0(out) || !str_0(out))
		return 0;
	if (!n)
		return 1;
	/* for each '-' from the right: prefix-default, with the rest as DEFAULT */
	k = n;
	while (k > 0) {
		while (k > 0 && ext[k - 1] != '-')
			k--;
		if (!k)
			break;
		k--;
		if (!cat_ext(out, ext, k + 1) || !str_cats(out, "default") || !str_0(out) ||
		    !str_catb(out, ext + k + 1, n - k - 1) || !str_0(out))
			return 0;
	}
	return str_cats(out, "default") && str_0(out) && str_catb(out, ext, n) && str_0(out);
}
