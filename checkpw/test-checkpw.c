/*
 * test-checkpw - table-driven tests of the helpers' shared pieces: the
 * helper/program split on the command line, control/checkpwlimits, the
 * throttle's growing and capped delay, address buckets (IPv6 by /64),
 * the constant-time compare, hex decoding, and crypt(3) verification
 * (SHA-512 and yescrypt accepted, "", "*", "!" and locked never).
 */
#include <crypt.h>
#include <string.h>
#include "test.h"
#include "checkpw.h"

struct split {
	const char *name;
	const char *argv[8];
	int ok, nhelpers, explicit;
	const char *prog0;
};

static const struct split splits[] = {
	{ "program only", { "kurier-checkpw", "/bin/true" }, 1, 0, 0, "/bin/true" },
	{ "Dovecot's form", { "kurier-checkpw", "/usr/lib/dovecot/checkpassword-reply" }, 1, 0, 0,
	  "/usr/lib/dovecot/checkpassword-reply" },
	{ "two helpers by name", { "kurier-checkpw", "kurier-checkpw-unix", "imapd", "-x" }, 1, 1, 0, "imapd" },
	{ "helper by path", { "kurier-checkpw", "/var/kurier/bin/kurier-checkpw-pam", "prog" }, 1, 1, 0, "prog" },
	{ "explicit separator with a foreign helper", { "kurier-checkpw", "/usr/sbin/checkpw", "--", "prog" },
	  1, 1, 1, "prog" },
	{ "separator and no helper", { "kurier-checkpw", "--", "prog", "--" }, 1, 0, 1, "prog" },
	{ "foreign helper not last", { "kurier-checkpw", "/usr/sbin/checkpw", "kurier-checkpw-unix", "--", "p" },
	  0, 0, 0, 0 },
	{ "no program", { "kurier-checkpw" }, 0, 0, 0, 0 },
	{ "helpers but no program", { "kurier-checkpw", "kurier-checkpw-unix" }, 0, 0, 0, 0 },
	{ "separator but no program", { "kurier-checkpw", "kurier-checkpw-unix", "--" }, 0, 0, 0, 0 },
	{ "empty program name", { "kurier-checkpw", "" }, 0, 0, 0, 0 },
};

struct lim {
	const char *name;
	const char *text;	/* lines separated by \n, turned into NULs */
	int ok;
	unsigned long long failfree, slots;
};

static const struct lim lims[] = {
	{ "empty file keeps defaults", "", 1, CPW_FAILFREE, CPW_SLOTS },
	{ "two settings", "failfree 5\nslots\t8", 1, 5, 8 },
	{ "unknown setting", "failfre 5", 0, 0, 0 },
	{ "no value", "slots", 0, 0, 0 },
	{ "not a number", "slots 4x", 0, 0, 0 },
	{ "zero slots", "slots 0", 0, 0, 0 },
	{ "too many slots", "slots 5000", 0, 0, 0 },
	{ "over a day", "failcap 86400001", 0, 0, 0 },
	{ "overflowing number", "failcap 99999999999999999999999", 0, 0, 0 },
};

int main(void)
{
	size_t i;
	const char *why;

	for (i = 0; i < sizeof splits / sizeof splits[0]; i++) {
		const struct split *t = &splits[i];
		struct cpw_args a;
		int argc = 0, r;
		while (t->argv[argc])
			argc++;
		why = 0;
		r = cpw_args_split(argc, (char **)t->argv, &a, &why);
		CHECK(r == t->ok, t->name);
		if (r && t->ok)
			CHECK(a.nhelpers == t->nhelpers && a.explicit == t->explicit &&
			      strcmp(a.prog[0], t->prog0) == 0, t->name);
		if (!r)
			CHECK(why != 0, "a refused command line says why");
	}

	for (i = 0; i < sizeof lims / sizeof lims[0]; i++) {
		const struct lim *t = &lims[i];
		struct cpw_limits l;
		char b[256];
		size_t n = strlen(t->text), k;
		int r;
		memcpy(b, t->text, n);
		b[n] = 0;
		for (k = 0; k < n; k++)
			if (b[k] == '\n')
				b[k] = 0;
		cpw_limits_default(&l);
		why = 0;
		r = cpw_limits_parse(&l, b, n ? n + 1 : 0, &why);
		CHECK(r == t->ok, t->name);
		if (r && t->ok)
			CHECK(l.failfree == t->failfree && l.slots == t->slots, t->name);
	}

	{
		struct cpw_limits l;
		unsigned long long d, prev = 0;
		int grows = 1;
		cpw_limits_default(&l);
		CHECK(cpw_throttle_delay(&l, 0) == 0 && cpw_throttle_delay(&l, CPW_FAILFREE - 1) == 0,
		      "throttle: the first failures cost nothing");
		CHECK(cpw_throttle_delay(&l, CPW_FAILFREE) == CPW_FAILBASE, "throttle: then the base delay");
		for (i = CPW_FAILFREE; i < 100; i++) {
			d = cpw_throttle_delay(&l, i);
			if (d < prev || d > CPW_FAILCAP)
				grows = 0;
			prev = d;
		}
		CHECK(grows, "throttle: the delay never shrinks and never passes the cap");
		CHECK(cpw_throttle_delay(&l, 100) == CPW_FAILCAP, "throttle: 100 failures reach the cap");
		CHECK(cpw_throttle_delay(&l, ~0ull) == CPW_FAILCAP, "throttle: a huge count is the cap, no overflow");
		CHECK(cpw_throttle_delay(&l, CPW_FAILFREE + 1) == 2 * CPW_FAILBASE, "throttle: doubles per failure");
	}

	CHECK(cpw_bucket("2001:db8:1:2::1") == cpw_bucket("2001:db8:1:2:ffff::9"),
	      "bucket: one IPv6 /64 is one bucket");
	CHECK(cpw_bucket("::ffff:192.0.2.7") == cpw_bucket("192.0.2.7"), "bucket: IPv4-mapped is the IPv4 address");
	CHECK(cpw_bucket("192.0.2.7") < CPW_BUCKETS && cpw_bucket("junk") < CPW_BUCKETS, "bucket: in range");
	{
		unsigned seen[CPW_BUCKETS] = { 0 };
		char ip[32];
		int distinct = 0;
		for (i = 0; i < 256; i++) {
			size_t n = 0;
			memcpy(ip, "198.51.100.", 11);
			n = 11;
			if (i >= 100) ip[n++] = (char)('0' + i / 100);
			if (i >= 10) ip[n++] = (char)('0' + i / 10 % 10);
			ip[n++] = (char)('0' + i % 10);
			ip[n] = 0;
			if (!seen[cpw_bucket(ip)]++)
				distinct++;
		}
		CHECK(distinct > 240, "bucket: 256 neighbours spread over the buckets");
	}

	CHECK(cpw_ct_equal("abc", 3, "abc", 3), "ct_equal: equal");
	CHECK(!cpw_ct_equal("abc", 3, "abd", 3), "ct_equal: last byte differs");
	CHECK(!cpw_ct_equal("abc", 3, "ab", 2), "ct_equal: prefix is not equal");
	CHECK(!cpw_ct_equal("", 0, "a", 1), "ct_equal: empty against one byte");
	CHECK(cpw_ct_equal("", 0, "", 0), "ct_equal: both empty");

	{
		unsigned char o[2];
		CHECK(cpw_unhex("a0Ff", 4, o, 2) && o[0] == 0xa0 && o[1] == 0xff, "unhex: mixed case");
		CHECK(!cpw_unhex("a0F", 3, o, 2), "unhex: odd length");
		CHECK(!cpw_unhex("g0ff", 4, o, 2), "unhex: not hex");
	}

	{
		struct crypt_data cd;
		char h6[256], hy[256];
		const char *s;
		memset(&cd, 0, sizeof cd);
		s = crypt_r("pw", "$6$saltsalt$", &cd);
		strcpy(h6, s ? s : "*");
		memset(&cd, 0, sizeof cd);
		s = crypt_r("pw", crypt_gensalt_rn("$y$", 0, 0, 0, hy, sizeof hy), &cd);
		strcpy(hy, s ? s : "*");
		CHECK(cpw_crypt_verify(h6, "pw"), "crypt: $6$ verifies");
		CHECK(!cpw_crypt_verify(h6, "pW"), "crypt: $6$ wrong password");
		CHECK(cpw_crypt_verify(hy, "pw"), "crypt: yescrypt verifies");
		CHECK(!cpw_crypt_verify(hy, ""), "crypt: yescrypt empty password");
		CHECK(!cpw_crypt_verify("", ""), "crypt: empty hash never matches");
		CHECK(!cpw_crypt_verify("*", "*"), "crypt: * never matches");
		CHECK(!cpw_crypt_verify("!", "!"), "crypt: ! never matches");
		h6[0] = '!';
		CHECK(!cpw_crypt_verify(h6, "pw"), "crypt: a locked hash never matches");
		CHECK(!cpw_crypt_verify("abJnggxhB/yJU", "pw"), "crypt: DES is not accepted");
	}
	return test_done();
}
