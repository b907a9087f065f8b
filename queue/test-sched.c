/* test-sched - kurier-send's pure parts on tables: the retry schedule,
 * address rewriting, bounce status codes, and the spawner reply parser
 * fed whole and cut at every byte. */
#include <stdio.h>
#include <string.h>
#include "sched.h"
#include "test.h"

int main(void)
{
	static const struct { long long birth, now, q, want; } next[] = {
		{ 1000, 1000, 10, 1100 },	/* first retry at (1*10)^2 */
		{ 1000, 1099, 10, 1100 },
		{ 1000, 1100, 10, 1400 },	/* then (2*10)^2 */
		{ 1000, 1500, 10, 1900 },
		{ 0, 0, 20, 400 },
		{ 0, 401, 20, 1600 },
		{ 500, 100, 10, 600 },		/* a clock behind the birth: from the birth */
		{ 0, 604800, 10, 608400 },	/* at a week: 78^2*100 = 608400 */
	};
	static const struct { const char *in, *want; } rw[] = {
		{ "bob", "bob@host.example" },
		{ "bob@", "bob@host.example" },
		{ "Ann@Local.Example.", "Ann@local.example" },
		{ "x@bare", "x@bare.example" },
		{ "x@BARE.", "x@bare.example" },
		{ "u@[192.0.2.1]", "u@[192.0.2.1]" },
		{ "a@b@c.example", "a@b@c.example" },
		{ "", "" },
	};
	static const struct { const char *in; int perm; const char *want; } st[] = {
		{ "D550 5.1.1 no such user", 1, "5.1.1" },
		{ "D5.7.1 refused", 1, "5.7.1" },
		{ "Z451 4.2.0 busy", 0, "4.2.0" },
		{ "Z451 4.2.0 busy", 1, "5.0.0" },	/* the class must match the verdict */
		{ "Dno code at all", 1, "5.0.0" },
		{ "Zno code", 0, "4.0.0" },
		{ "D550-5.2.2 full", 1, "5.2.2" },
		{ "D5.1234.1 too long a part", 1, "5.0.0" },
		{ "D5.1.1x glued", 1, "5.0.0" },
		{ "", 1, "5.0.0" },
		{ "Z2.2.8 success class", 0, "4.0.0" },	/* found by fuzz-sched */
	};
	static const struct { const char *in; size_t len; long want; unsigned long long slot; size_t nf; } rp[] = {
		{ "7\0Kok\0\0", 7, 7, 7, 1 },
		{ "12\0Kok\0Dno\0Zlater\0\0rest", 21, 19, 12, 3 },
		{ "7\0Kok\0", 6, 0, 0, 0 },		/* more needed */
		{ "7\0\0", 3, -1, 0, 0 },		/* no result field */
		{ "x\0Kok\0\0", 7, -1, 0, 0 },		/* bad slot */
		{ "7\0Qhuh\0\0", 8, -1, 0, 0 },		/* bad letter */
		{ "\0Kok\0\0", 6, -1, 0, 0 },		/* empty slot */
		{ "123456789012345678901234\0", 25, -1, 0, 0 },	/* slot too long */
	};
	struct str out = STR_INIT;
	char name[200], s[16];
	size_t i, k;

	for (i = 0; i < sizeof next / sizeof next[0]; i++) {
		snprintf(name, sizeof name, "sched_next(%lld, %lld, %lld)", next[i].birth, next[i].now, next[i].q);
		CHECK(sched_next(next[i].birth, next[i].now, next[i].q) == next[i].want, name);
	}
	for (i = 0; i < sizeof rw / sizeof rw[0]; i++) {
		snprintf(name, sizeof name, "sched_rewrite(\"%s\")", rw[i].in);
		CHECK(sched_rewrite(&out, rw[i].in, strlen(rw[i].in), "host.example", "example") &&
		      out.len == strlen(rw[i].want) && !memcmp(out.s, rw[i].want, out.len), name);
	}
	for (i = 0; i < sizeof st / sizeof st[0]; i++) {
		snprintf(name, sizeof name, "sched_status(\"%s\", %d)", st[i].in, st[i].perm);
		sched_status(s, st[i].in, strlen(st[i].in), st[i].perm);
		CHECK(!strcmp(s, st[i].want), name);
	}
	for (i = 0; i < sizeof rp / sizeof rp[0]; i++) {
		unsigned long long slot = 0;
		size_t f = 0, nf = 0;
		long r = sched_reply(rp[i].in, rp[i].len, &slot, &f, &nf);
		int cut_ok = 1;
		snprintf(name, sizeof name, "sched_reply table %zu", i);
		CHECK(r == rp[i].want && (r <= 0 || (slot == rp[i].slot && nf == rp[i].nf)), name);
		/* every proper prefix of a good reply asks for more */
		if (rp[i].want > 0)
			for (k = 0; k < (size_t)rp[i].want; k++)
				if (sched_reply(rp[i].in, k, &slot, &f, &nf) != 0) cut_ok = 0;
		snprintf(name, sizeof name, "sched_reply table %zu: every prefix needs more", i);
		if (rp[i].want > 0) CHECK(cut_ok, name);
	}
	str_free(&out);
	return test_done();
}
