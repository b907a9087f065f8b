/*
 * userdb-parse.c - parse and check userdb source lines; see userdb-parse.h.
 * No I/O and no global state: safe to fuzz and to call from any thread.
 * makeuserdb runs a million lines through here, so the common case is
 * checked eight bytes at a time (has_ctl, find_bar) and a record is
 * split in one pass, and where the public or the password fields are one
 * run of the line they are not copied at all (udb_record_spans); any line
 * the quick path does not plainly accept is checked again field by field
 * by the plain path, which alone chooses the error message.  The two
 * paths accept exactly the same records.
 */
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "scan.h"
#include "userdb.h"
#include "userdb-parse.h"

/* is_blank - 1 for the bytes that separate the address from its record */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* bytes of a 64-bit word, for the checks eight bytes at a time */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* zero_bytes - the high bit of each byte of x that is zero, exactly */
static uint64_t zero_bytes(uint64_t x)
{
	return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS;
}

/* has_ctl - 1 if p[0..n) holds a byte below 0x20 other than TAB; exact
 * for every byte of a word (no borrow runs from one byte to the next) */
static int has_ctl(const char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y, low, tab;
		memcpy(&x, p + i, 8);
		/* high bit of each byte of low: that byte is below 0x20 */
		low = ~(((x & ~HIGHS) + ONES * 0x60) | x) & HIGHS;
		/* high bit of each byte of tab: that byte is a TAB */
		y = x ^ (ONES * '\t');
		tab = ~(((y & ~HIGHS) + ~HIGHS) | y) & HIGHS;
		if (low & ~tab)
			return 1;
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
			return 1;
	return 0;
}

/* find_bar - the offset of the first '|' in p[0..n), or n */
static size_t find_bar(const char *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i bar = _mm_set1_epi8('|');

	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, bar));
		if (m)
			return i + (unsigned)__builtin_ctz(m);
	}
#endif
	for (; i + 8 <= n; i += 8) {
		uint64_t x, z;
		memcpy(&x, p + i, 8);
		x ^= ONES * '|';
		/* the lowest bit set is exact (a borrow runs only upwards) */
		z = (x - ONES) & ~x & HIGHS;
		if (z)
			return i + (unsigned)__builtin_ctzll(z) / 8;
	}
	for (; i < n; i++)
		if (p[i] == '|')
			return i;
	return n;
}

int udb_next_line(const char *s, size_t avail, size_t *n)
{
	size_t i = 0;
	const char *nl;

#ifdef __SSE2__
	/* sixteen bytes at a time: the first byte below 0x20 but TAB is the
	 * newline of a clean line, or makes the line unclean */
	const __m128i top = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t');

	for (; i + 16 <= avail; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, top), x);	/* x <= 0x1f */
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), low));
		if (m) {
			i += (unsigned)__builtin_ctz(m);
			break;
		}
	}
#endif
	for (; i < avail && ((unsigned char)s[i] >= 0x20 || s[i] == '\t'); i++)
		;
	if (i == avail || s[i] == '\n') {
		*n = i;
		return 1;
	}
	nl = memchr(s + i, '\n', avail - i);
	*n = nl ? (size_t)(nl - s) : avail;
	return 0;
}

/* addr_end - the length of the address at the start of s[0..n) (up to
 * its first blank, at most n), with *bad set if it holds '|' or DEL, the
 * bytes udb_check_addr refuses besides the control characters; eight
 * bytes at a time (the high bit of a byte is exact: zero_bytes) */
static size_t addr_end(const char *s, size_t n, int *bad)
{
	size_t i = 0;
	uint64_t b = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, blank;
		memcpy(&x, s + i, 8);
		blank = zero_bytes(x ^ (ONES * ' ')) | zero_bytes(x ^ (ONES * '\t'));
		if (blank) {
			unsigned k = (unsigned)__builtin_ctzll(blank) / 8;	/* bytes before the blank */
			b |= (zero_bytes(x ^ (ONES * '|')) | zero_bytes(x ^ (ONES * 0x7f))) &
			     (k ? (1ULL << (8 * k)) - 1 : 0);
			*bad = b != 0;
			return i + k;
		}
		b |= zero_bytes(x ^ (ONES * '|')) | zero_bytes(x ^ (ONES * 0x7f));
	}
	for (; i < n && !is_blank(s[i]); i++)
		if (s[i] == '|' || s[i] == 0x7f)
			b = 1;
	*bad = b != 0;
	return i;
}

/* parse - udb_parse_line; ctl: the line may hold control characters
 * (else the caller has made sure it holds none but TAB) */
static int parse(const char *s, size_t n, int ctl, struct udb_line *out, const char **why)
{
	size_t i = 0, a;
	int bad;

	if (n > UDB_LINE_MAX) {
		*why = "line too long";
		return -1;
	}
	/* NUL and newline are both control characters: one pass finds
	 * neither on a good line (the TAB that ends the address is not one) */
	ctl = ctl && has_ctl(s, n);
	if (ctl && memchr(s, 0, n)) {
		*why = "NUL byte in line";
		return -1;
	}
	if (ctl && memchr(s, '\n', n)) {
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
	/* on a clean line only '|' and DEL are left to refuse in the address
	 * besides its length; otherwise udb_check_addr chooses the reason */
	a = addr_end(s, n, &bad);
	i = a;
	if ((ctl || bad || a == 0 || a > UDB_ADDR_MAX) && udb_check_addr(s, a, why) < 0)
		return -1;
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n) {
		*why = "address without fields";
		return -1;
	}
	out->clean = !ctl;
	out->addr = s;
	out->alen = a;
	out->rec = s + i;
	out->rlen = n - i;
	return 1;
}

int udb_parse_line(const char *s, size_t n, struct udb_line *out, const char **why)
{
	return parse(s, n, 1, out, why);
}

int udb_parse_clean(const char *s, size_t n, struct udb_line *out, const char **why)
{
	return parse(s, n, 0, out, why);
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

int udb_record_plain(const char *rec, size_t n, struct str *pub, struct str *shadow, const char **why)
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

/* name_byte - 1 for the bytes of a field name: letters, digits, '-' and '_' */
static const unsigned char name_byte[256] = {
	['-'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
	['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* field kinds the quick path checks, by name */
enum kind { K_OTHER, K_UID, K_GID, K_HOME, K_MAIL, K_QUOTA, K_HMAC };

/* kind_of - which checked field the name f[0..nl) is */
static enum kind kind_of(const char *f, size_t nl)
{
	/* byte by byte: these are too short for a call to memcmp to pay */
	switch (nl) {
	case 3:
		if (f[1] == 'i' && f[2] == 'd')
			return f[0] == 'u' ? K_UID : f[0] == 'g' ? K_GID : K_OTHER;
		return K_OTHER;
	case 4:
		if (f[0] == 'h' && f[1] == 'o' && f[2] == 'm' && f[3] == 'e')
			return K_HOME;
		return f[0] == 'm' && f[1] == 'a' && f[2] == 'i' && f[3] == 'l' ? K_MAIL : K_OTHER;
	case 5:
		return f[0] == 'q' && memcmp(f, "quota", 5) == 0 ? K_QUOTA : K_OTHER;
	case 10:
		return f[0] == 'h' && memcmp(f, "hmac-md5pw", 10) == 0 ? K_HMAC : K_OTHER;
	}
	return K_OTHER;
}

/* digits that cannot overflow 64 bits, whatever they are */
#define QUICK_DIGITS 19

/* quick_num - the value of v[0..vl), 1 to QUICK_DIGITS decimal digits, in
 * *u; 1 ok, 0 anything else (longer runs are left to the plain path) */
static int quick_num(const char *v, size_t vl, unsigned long long *u)
{
	unsigned long long r = 0;
	size_t i;

	if (vl == 0 || vl > QUICK_DIGITS)
		return 0;
	for (i = 0; i < vl; i++) {
		unsigned d = (unsigned)(unsigned char)v[i] - '0';
		if (d > 9)
			return 0;
		r = r * 10 + d;
	}
	*u = r;
	return 1;
}

/* id_ok - 1 if v[0..vl) is a uid or gid the plain path accepts (uid 0 is not), 0 if not or not sure */
static int id_ok(const char *v, size_t vl, int uid)
{
	unsigned long long u;

	return quick_num(v, vl, &u) && u <= UDB_ID_MAX && !(uid && u == 0);
}

/* quota_ok - 1 if v[0..vl) is a quota udb_check_quota accepts, 0 if not or not sure */
static int quota_ok(const char *v, size_t vl)
{
	unsigned long long u;
	size_t i = 0;
	char first;

	/* NNN then S or C, and maybe ",NNN" and the other letter */
	while (i < vl && (unsigned)(unsigned char)v[i] - '0' < 10)
		i++;
	if (i == vl || !quick_num(v, i, &u) || (v[i] != 'S' && v[i] != 'C'))
		return 0;
	first = v[i++];
	if (i == vl)
		return 1;
	if (v[i++] != ',')
		return 0;
	v += i;
	vl -= i;
	return vl >= 2 && (v[vl - 1] == 'S' || v[vl - 1] == 'C') && v[vl - 1] != first &&
	       quick_num(v, vl - 1, &u);
}

/* is_password - userdb_is_password_field without its list: every name
 * on that list also ends in "pw", so the suffix alone decides (the
 * tests hold the two to the same answers) */
static int is_password(const char *f, size_t nl)
{
	return nl > 2 && f[nl - 2] == 'p' && f[nl - 1] == 'w';
}

/* run - where the fields bound for one output lie in a record: from b
 * to e, one run of whole fields with only their '|' between, until a
 * field of the other output comes between them (split) */
struct run {
	const char *b, *e;
	int split;
};

/* run_add - count field f[0..fl) into r */
static void run_add(struct run *r, const char *f, size_t fl)
{
	if (!r->b)
		r->b = f;
	else if (f != r->e + 1)
		r->split = 1;
	r->e = f + fl;
}

/* give - set sp to the fields of the record bound for one output (pw: the
 * password fields or the others): r's run of rec when it is one, else a
 * copy into out made from the nf fields at f[], fl[], ispw[] */
static void give(const struct run *r, int pw, struct str *out, struct udb_span *sp,
		 const char *const *f, const size_t *fl, const unsigned char *ispw, size_t nf)
{
	size_t j;

	if (!r->b) {
		sp->s = "";
		sp->n = 0;
		return;
	}
	if (!r->split) {
		sp->s = r->b;
		sp->n = (size_t)(r->e - r->b);
		return;
	}
	/* manual length arithmetic: the fields and their separators fit in
	 * the record, and out has room for all of it (str_ready by the caller) */
	for (j = 0; j < nf; j++) {
		if (ispw[j] != pw)
			continue;
		if (out->len)
			out->s[out->len++] = '|';
		memcpy(out->s + out->len, f[j], fl[j]);
		out->len += fl[j];
	}
	out->s[out->len] = 0;
	sp->s = out->s;
	sp->n = out->len;
}

/* plain - udb_record_plain with the spans pointing at its outputs; returns as udb_record */
static int plain(const char *rec, size_t n, struct str *pub, struct str *shadow,
		 struct udb_span *ps, struct udb_span *ss, const char **why)
{
	int r = udb_record_plain(rec, n, pub, shadow, why);

	if (r == 1) {
		ps->s = pub->len ? pub->s : "";
		ps->n = pub->len;
		ss->s = shadow->len ? shadow->s : "";
		ss->n = shadow->len;
	}
	return r;
}

int udb_record_spans(const char *rec, size_t n, int clean, struct str *pub, struct str *shadow,
		     struct udb_span *ps, struct udb_span *ss, const char **why)
{
	const char *name[UDB_FIELDS_MAX];
	size_t namelen[UDB_FIELDS_MAX], flen[UDB_FIELDS_MAX];
	unsigned char ispw[UDB_FIELDS_MAX];
	struct run rp = { 0, 0, 0 }, rs = { 0, 0, 0 };
	size_t i = 0, nf = 0, j;
	int have = 0;	/* bits: 1 uid, 2 gid, 4 home */

	pub->len = 0;
	shadow->len = 0;
	/* control characters (TAB is allowed in values) are the plain path's
	 * to report; a TAB in a name or a checked value leaves the quick path
	 * below as well */
	if (n == 0 || (!clean && has_ctl(rec, n)))
		return plain(rec, n, pub, shadow, ps, ss, why);
	for (;;) {
		const char *f = rec + i, *v;
		size_t nl = 0, fl, vl;
		int pw = 0;

		while (i + nl < n && name_byte[(unsigned char)f[nl]])
			nl++;
		if (nl == 0 || nl > UDB_NAME_MAX || !((unsigned char)((f[0] | 0x20) - 'a') < 26) || nf == UDB_FIELDS_MAX)
			return plain(rec, n, pub, shadow, ps, ss, why);
		if (i + nl < n && f[nl] == '=') {
			v = f + nl + 1;
			vl = find_bar(v, n - i - nl - 1);
			fl = nl + 1 + vl;
		} else if (i + nl == n || f[nl] == '|') {
			v = f + nl;
			vl = 0;
			fl = nl;
		} else {
			return plain(rec, n, pub, shadow, ps, ss, why);
		}
		switch (kind_of(f, nl)) {
		case K_UID:
			if (!id_ok(v, vl, 1))
				return plain(rec, n, pub, shadow, ps, ss, why);
			have |= 1;
			break;
		case K_GID:
			if (!id_ok(v, vl, 0))
				return plain(rec, n, pub, shadow, ps, ss, why);
			have |= 2;
			break;
		case K_HOME:
			if (vl == 0 || v[0] != '/')
				return plain(rec, n, pub, shadow, ps, ss, why);
			have |= 4;
			break;
		case K_MAIL:
			if (vl == 0)
				return plain(rec, n, pub, shadow, ps, ss, why);
			break;
		case K_QUOTA:
			if (!quota_ok(v, vl))
				return plain(rec, n, pub, shadow, ps, ss, why);
			break;
		case K_HMAC:
			if (!is_hex64(v, vl))
				return plain(rec, n, pub, shadow, ps, ss, why);
			pw = 1;
			break;
		case K_OTHER:
			pw = is_password(f, nl);
			break;
		}
		for (j = 0; j < nf; j++)
			if (namelen[j] == nl && name[j][0] == f[0] && memcmp(name[j], f, nl) == 0)
				return plain(rec, n, pub, shadow, ps, ss, why);
		name[nf] = f;
		namelen[nf] = nl;
		flen[nf] = fl;
		ispw[nf] = (unsigned char)pw;
		run_add(ispw[nf] ? &rs : &rp, f, fl);
		nf++;
		i += fl;
		if (i == n)
			break;
		i++;	/* the '|' */
	}
	if (have != 7)
		return plain(rec, n, pub, shadow, ps, ss, why);
	/* each output holds some of rec's fields and their separators: at most n bytes */
	if ((rp.split && !str_ready(pub, n)) || (rs.split && !str_ready(shadow, n)))
		return -1;
	give(&rp, 0, pub, ps, name, flen, ispw, nf);
	give(&rs, 1, shadow, ss, name, flen, ispw, nf);
	return 1;
}

int udb_record(const char *rec, size_t n, struct str *pub, struct str *shadow, const char **why)
{
	struct udb_span ps, ss;
	int r = udb_record_spans(rec, n, 0, pub, shadow, &ps, &ss, why);

	if (r != 1)
		return r;
	/* a span that is a run of rec is copied out; one already in its output stays */
	if (ps.s != pub->s && !str_copyb(pub, ps.s, ps.n))
		return -1;
	if (ss.s != shadow->s && !str_copyb(shadow, ss.s, ss.n))
		return -1;
	return 1;
}
