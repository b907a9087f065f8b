/* fuzz-userdb - libFuzzer target: userdb source lines through the same
 * checks makeuserdb makes.  An accepted record must split into public and
 * shadow parts without newline or NUL, and the shadow part must hold
 * only password fields; udb_record's quick path must agree with
 * udb_record_plain on every record, result, reason and split, and so must
 * udb_record_spans (told the line is clean when udb_parse_line says so);
 * udb_next_line must find each line's end and cleanness as memchr and a
 * byte scan do, and udb_parse_clean agree with udb_parse_line. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "userdb.h"
#include "userdb-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - check every line; always 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str pub = STR_INIT, sh = STR_INIT, key = STR_INIT, pub2 = STR_INIT, sh2 = STR_INIT;
	struct str pub3 = STR_INIT, sh3 = STR_INIT;
	const char *s = (const char *)data, *e = s + size, *why, *why2;

	while (s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s), n2 = 0, c;
		struct udb_line l;
		int clean = 1;

		/* udb_next_line finds the same end, and tells a clean line;
		 * udb_parse_clean agrees with udb_parse_line on a clean one */
		for (c = 0; c < n; c++)
			if ((unsigned char)s[c] < 0x20 && s[c] != '\t')
				clean = 0;
		if (udb_next_line(s, (size_t)(e - s), &n2) != clean || n2 != n)
			__builtin_trap();
		if (clean) {
			struct udb_line a, b;
			const char *wa = 0, *wb = 0;
			int ra = udb_parse_line(s, n, &a, &wa), rb = udb_parse_clean(s, n, &b, &wb);
			if (ra != rb || (ra < 0 && strcmp(wa, wb) != 0) ||
			    (ra == 1 && (a.alen != b.alen || a.rec != b.rec || a.rlen != b.rlen)))
				__builtin_trap();
		}

		if (udb_parse_line(s, n, &l, &why) == 1) {
			int r, r2;
			pub.len = sh.len = 0;
			r = udb_record(l.rec, l.rlen, &pub, &sh, &why);
			r2 = udb_record_plain(l.rec, l.rlen, &pub2, &sh2, &why2);
			if (r != r2 || (r == 0 && strcmp(why, why2) != 0) ||
			    (r == 1 && (pub.len != pub2.len || sh.len != sh2.len ||
					(pub.len && memcmp(pub.s, pub2.s, pub.len)) || (sh.len && memcmp(sh.s, sh2.s, sh.len)))))
				__builtin_trap();
			{
				struct udb_span ps, ss;
				const char *why3 = 0;
				int r3 = udb_record_spans(l.rec, l.rlen, l.clean, &pub3, &sh3, &ps, &ss, &why3);
				if (r3 != r || (r == 0 && strcmp(why, why3) != 0) ||
				    (r == 1 && (ps.n != pub.len || ss.n != sh.len ||
						(ps.n && memcmp(ps.s, pub.s, ps.n)) || (ss.n && memcmp(ss.s, sh.s, ss.n)))))
					__builtin_trap();
			}
			if (r == 1) {
				size_t i = 0;
				if ((pub.len && (memchr(pub.s, '\n', pub.len) || memchr(pub.s, 0, pub.len))) ||
				    (sh.len && (memchr(sh.s, '\n', sh.len) || memchr(sh.s, 0, sh.len))))
					__builtin_trap();
				while (i < sh.len) {	/* every shadow field is a password field */
					const char *f = sh.s + i, *bar = memchr(f, '|', sh.len - i);
					size_t fl = bar ? (size_t)(bar - f) : sh.len - i;
					const char *eq = memchr(f, '=', fl);
					if (!userdb_is_password_field(f, eq ? (size_t)(eq - f) : fl))
						__builtin_trap();
					i += fl + 1;
				}
			}
			if (!udb_key(l.addr, l.alen, &key) || key.len != l.alen)
				__builtin_trap();
		}
		s += n + 1;
	}
	str_free(&pub);
	str_free(&sh);
	str_free(&key);
	str_free(&pub2);
	str_free(&sh2);
	str_free(&pub3);
	str_free(&sh3);
	return 0;
}
