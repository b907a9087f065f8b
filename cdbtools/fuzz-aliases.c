/* fuzz-aliases - libFuzzer target: aliases source text through the logical
 * line splitter and the alias parser, with an :include: reader that hands
 * back the input itself (so includes nest until the depth limit).  A
 * parsed alias must have a lower-case key without NUL, colon or white
 * space, and a value that is a run of NUL-terminated targets; and the
 * quick checks must agree with cp_alias_plain on every line. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ctlparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *self;
static size_t selflen;

/* self_include - an :include: of "/self" reads the input again; anything else is missing */
static int self_include(void *arg, const char *path, struct str *out)
{
	(void)arg;
	if (strcmp(path, "/self") != 0)
		return 0;
	return str_copyb(out, self, selflen) ? 1 : -1;
}

/* LLVMFuzzerTestOneInput - parse every logical line; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str buf = STR_INIT, key = STR_INIT, val = STR_INIT, key2 = STR_INIT, val2 = STR_INIT;
	struct cp_alias_err err, err2;
	int r;
	size_t pos = 0, start, ll, i;
	const char *line, *why;

	self = (const char *)data;
	selflen = size;
	err.file = (struct str)STR_INIT;
	err2.file = (struct str)STR_INIT;
	while (cp_split((const char *)data, size, &pos, 1, &buf, &line, &ll, &start, &why) > 0) {
		val.len = 0;
		if (start > size || ll > CP_LINE_MAX)
			__builtin_trap();
		val2.len = 0;
		r = cp_alias(line, ll, &key, &val, self_include, 0, &err);
		if (r != cp_alias_plain(line, ll, &key2, &val2, self_include, 0, &err2) ||
		    (r != 1 && strcmp(err.why, err2.why) != 0) ||
		    (r == 1 && (key.len != key2.len || val.len != val2.len ||
				memcmp(key.s, key2.s, key.len) != 0 || memcmp(val.s, val2.s, val.len) != 0)))
			__builtin_trap();
		if (r != 1)
			continue;
		for (i = 0; i < key.len; i++)
			if ((key.s[i] >= 'A' && key.s[i] <= 'Z') || key.s[i] == 0 || key.s[i] == ':' ||
			    key.s[i] == ' ' || key.s[i] == '\t')
				__builtin_trap();
		if (!key.len || !val.len || val.s[val.len - 1] != 0 || val.len > CP_VALUE_MAX || val.s[0] == 0)
			__builtin_trap();
		for (i = 1; i < val.len; i++)
			if (val.s[i] == 0 && val.s[i - 1] == 0)
				__builtin_trap();	/* an empty target */
	}
	str_free(&buf);
	str_free(&key);
	str_free(&val);
	str_free(&err.file);
	str_free(&key2);
	str_free(&val2);
	str_free(&err2.file);
	return 0;
}
