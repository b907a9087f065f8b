/*
 * userdb-parse.c - parse and check userdb source lines; see userdb-parse.h.
 * No I/O and no global state: safe to fuzz and to call from any tool.
 */
#include <string.h>
#include "scan.h"
#include "userdb.h"
#include "userdb-parse.h"

/* is_blank - 1 for the bytes that separate the address from its record */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int udb_parse_line(const char *s, size_t n, struct udb_line *out, const char **why)
{
	size_t i = 0, a;

	if (n > UDB_LINE_MAX) {
		*why = "line too long";
		return -1;
	}
	if (memchr(s, 0, n)) {
		*why = "NUL byte in line";
		return -1;
	}
	if (memchr(s, '\n', n)) {
		*why = "newline inside a line";
		return -1;
	}
	while (n && (is_blank(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	if (i) {
		*why = "line starts with white space";
		return -1;
	}
	while (i < n && !is_blank(s[i]))
		i++;
	a = i;
	if (udb_check_addr(s, a, why) < 0)
		return -1;
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n) {
		*why = "address without fields";
		return -1;
	}
	out->addr = s;
	out->alen = a;
	out->rec = s + i;
	out->rlen = n - i;
	return 1;
}

int udb_check_addr(const char *a, size_t n, const char **why)
{
	size_t i;

	if (n == 0) {
		*why = "empty address";
		return -1;
	}
	if (n > UDB_ADDR_MAX) {
		*why = "address longer than 254 bytes";
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c <= ' ' || c == 0x7f || c == '|') {
			*why = "control character, space or '|' in address";
			return -1;
		}
	}
	return 1;
}

int udb_key(const char *a, size_t n, struct str *key)
{
	size_t i;

	if (!str_copyb(key, a, n))
		return 0;
	for (i = 0; i < n; i++)
		if (key->s[i] >= 'A' && key->s[i] <= 'Z')
			key->s[i] = (char)(key->s[i] + ('a' - 'A'));
	return 1;
}

/* is_digits - 1 if s[0..n) is a non-empty run of decimal digits */
static int is_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int udb_check_quota(const char *q, size_t n)
{
	const char *comma = memchr(q, ',', n);
	size_t first = comma ? (size_t)(comma - q) : n;
	unsigned long long u;

	/* each part: digits then S (bytes) or C (messages), Maildir++ style */
	if (first < 2 || (q[first - 1] != 'S' && q[first - 1] != 'C') ||
	    !is_digits(q, first - 1) || scan_ulong(q, first - 1, &u) != first - 1)
		return 0;
	if (!comma)
		return 1;
	q += first + 1;
	n -= first + 1;
	if (n < 2 || (q[n - 1] != 'S' && q[n - 1] != 'C') || q[n - 1] == comma[-1] ||
	    !is_digits(q, n - 1) || scan_ulong(q, n - 1, &u) != n - 1)
		return 0;
	return 1;
}

/* name_is - 1 if the field name f[0..n) is the C string s */
static int name_is(const char *f, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(f, s, n) == 0;
}

/* is_hex64 - 1 if v[0..n) is exactly 64 lower-case hex digits */
static int is_hex64(const char *v, size_t n)
{
	size_t i;

	if (n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return 0;
	return 1;
}

/* check_field - check a field split at its '=' (nl name bytes, vl value bytes at v); 1 ok, -1 bad (*why) */
static int check_field(const char *f, size_t n, size_t nl, const char *v, size_t vl, const char **why)
{
	size_t i;
	unsigned long long u;

	if (n == 0) {
		*why = "empty field";
		return -1;
	}
	if (nl == 0) {
		*why = "empty field name";
		return -1;
	}
	if (nl > UDB_NAME_MAX) {
		*why = "field name too long";
		return -1;
	}
	if (!(f[0] >= 'a' && f[0] <= 'z') && !(f[0] >= 'A' && f[0] <= 'Z')) {
		*why = "field name must start with a letter";
		return -1;
	}
	for (i = 0; i < nl; i++) {
		char c = f[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			*why = "invalid character in field name";
			return -1;
		}
	}
	for (i = 0; i < vl; i++)
		if ((unsigned char)v[i] < ' ' && v[i] != '\t') {
			*why = "control character in field value";
			return -1;
		}
	if (name_is(f, nl, "uid") || name_is(f, nl, "gid")) {
		/* numeric only: names would make the database depend on /etc/passwd at login */
		if (!is_digits(v, vl) || scan_ulong(v, vl, &u) != vl || u > UDB_ID_MAX) {
			*why = f[0] == 'u' ? "uid is not a number" : "gid is not a number";
			return -1;
		}
		if (f[0] == 'u' && u == 0) {
			*why = "uid 0 is not allowed";
			return -1;
		}
	} else if (name_is(f, nl, "home")) {
		if (vl == 0 || v[0] != '/') {
			*why = "home is not an absolute path";
			return -1;
		}
	} else if (name_is(f, nl, "mail")) {
		if (vl == 0) {
			*why = "mail is empty";
			return -1;
		}
	} else if (name_is(f, nl, "quota")) {
		if (!udb_check_quota(v, vl)) {
			*why = "quota is not NNNS[,NNNC]";
			return -1;
		}
	} else if (name_is(f, nl, "hmac-md5pw")) {
		if (!is_hex64(v, vl)) {
			*why = "hmac-md5pw is not 64 lower-case hex digits";
			return -1;
		}
	}
	return 1;
}

int udb_check_field(const char *f, size_t n, const char **why)
{
	const char *eq = memchr(f, '=', n);
	size_t nl = eq ? (size_t)(eq - f) : n;

	return check_field(f, n, nl, f + nl + 1, eq ? n - nl - 1 : 0, why);
}

int udb_record(const char *rec, size_t n, struct str *pub, struct str *shadow, const char **why)
{
	const char *name[UDB_FIELDS_MAX];
	size_t namelen[UDB_FIELDS_MAX];
	size_t i = 0, nf = 0, j;
	int have_uid = 0, have_gid = 0, have_home = 0;

	pub->len = 0;
	shadow->len = 0;
	if (n == 0) {
		*why = "no fields";
		return 0;
	}
	for (;;) {
		const char *f = rec + i;
		const char *bar = memchr(f, '|', n - i);
		size_t fl = bar ? (size_t)(bar - f) : n - i;
		const char *eq = memchr(f, '=', fl);
		size_t nl = eq ? (size_t)(eq - f) : fl;
		struct str *to;

		if (check_field(f, fl, nl, f + nl + 1, eq ? fl - nl - 1 : 0, why) < 0)
			return 0;
		if (nf == UDB_FIELDS_MAX) {
			*why = "too many fields";
			return 0;
		}
		for (j = 0; j < nf; j++)
			if (namelen[j] == nl && memcmp(name[j], f, nl) == 0) {
				*why = "duplicate field";
				return 0;
			}
		name[nf] = f;
		namelen[nf++] = nl;
		if (name_is(f, nl, "uid"))
			have_uid = 1;
		else if (name_is(f, nl, "gid"))
			have_gid = 1;
		else if (name_is(f, nl, "home"))
			have_home = 1;
		to = userdb_is_password_field(f, nl) ? shadow : pub;
		if ((to->len && !str_append(to, '|')) || !str_catb(to, f, fl))
			return -1;
		if (!bar)
			break;
		i += fl + 1;
	}
	if (!have_uid) {
		*why = "required field uid missing";
		return 0;
	}
	if (!have_gid) {
		*why = "required field gid missing";
		return 0;
	}
	if (!have_home) {
		*why = "required field home missing";
		return 0;
	}
	return 1;
}
