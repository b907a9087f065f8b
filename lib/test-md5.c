/* test-md5 - MD5 against the RFC 1321 appendix A.5 test suite, HMAC-MD5
 * against the RFC 2202 §2 test cases, updates fed in pieces, and the
 * stored-state form that CRAM-MD5 secrets use. */
#include <string.h>
#include "md5.h"
#include "test.h"

/* hex - 16 bytes as 32 lower-case hex digits into out (33 bytes) */
static void hex(const unsigned char d[16], char out[33])
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[32] = 0;
}

/* md5_hex - digest of s[0..n) fed in pieces of step bytes, as hex */
static void md5_hex(const char *s, size_t n, size_t step, char out[33])
{
	struct md5 m;
	unsigned char d[16];
	size_t i;

	md5_init(&m);
	for (i = 0; i < n; i += step)
		md5_update(&m, s + i, n - i < step ? n - i : step);
	md5_final(&m, d);
	hex(d, out);
}

static void test_md5(void)
{
	static const struct { const char *in, *want; } t[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
		/* padding edges: 55, 56 and 64 bytes */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ef1772b6dff9a122358552954ad0df65" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "3b0c8ac703f828b04c6c197006d17218" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "014842d480b571495a4a0363793f7367" },
	};
	static const size_t steps[] = { 1, 3, 63, 64, 65, 1000 };
	size_t i, j;
	char got[33], name[80];

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		for (j = 0; j < sizeof steps / sizeof steps[0]; j++) {
			md5_hex(t[i].in, strlen(t[i].in), steps[j], got);
			snprintf(name, sizeof name, "md5 vector %zu in pieces of %zu", i, steps[j]);
			CHECK(strcmp(got, t[i].want) == 0, name);
		}
}

static void test_hmac(void)
{
	static const struct { unsigned char key; size_t klen; unsigned char dat; size_t dlen; const char *key_s, *dat_s, *want; } t[] = {
		{ 0x0b, 16, 0, 0, 0, "Hi There", "9294727a3638bb1c13f48ef8158bfc9d" },
		{ 0, 0, 0, 0, "Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738" },
		{ 0xaa, 16, 0xdd, 50, 0, 0, "56be34521d144c88dbb8c733f0e8b3f6" },
		{ 0, 25, 0xcd, 50, 0, 0, "697eaf0aca3a3aea3a75164746ffaa79" },	/* key 0x01..0x19 */
		{ 0x0c, 16, 0, 0, 0, "Test With Truncation", "56461ef2342edc00f9bab995690efd4c" },
		{ 0xaa, 80, 0, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First",
		  "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd" },
		{ 0xaa, 80, 0, 0, 0, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
		  "6f630fad67cda0ee1fb1f562db3aa53e" },
	};
	size_t i, j;
	char got[33], name[80];

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		unsigned char key[80], dat[80], out[16], is[16], os[16];
		size_t klen, dlen;

		if (t[i].key_s) {
			klen = strlen(t[i].key_s);
			memcpy(key, t[i].key_s, klen);
		} else {
			klen = t[i].klen;
			for (j = 0; j < klen; j++)
				key[j] = t[i].key ? t[i].key : (unsigned char)(j + 1);
		}
		if (t[i].dat_s) {
			dlen = strlen(t[i].dat_s);
			memcpy(dat, t[i].dat_s, dlen);
		} else {
			dlen = t[i].dlen;
			memset(dat, t[i].dat, dlen);
		}
		hmac_md5(key, klen, dat, dlen, out);
		hex(out, got);
		snprintf(name, sizeof name, "hmac-md5 RFC 2202 case %zu", i + 1);
		CHECK(strcmp(got, t[i].want) == 0, name);
		hmac_md5_states(key, klen, is, os);
		hmac_md5_with_states(is, os, dat, dlen, out);
		hex(out, got);
		snprintf(name, sizeof name, "hmac-md5 from stored states, case %zu", i + 1);
		CHECK(strcmp(got, t[i].want) == 0, name);
	}
}

static void test_states(void)
{
	unsigned char is[16], os[16], is2[16], os2[16];
	static const unsigned char iv[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };	/* RFC 1321 §3.3, little-endian */

	hmac_md5_states((const unsigned char *)"Jefe", 4, is, os);
	CHECK(memcmp(is, os, 16) != 0 && memcmp(is, iv, 16) != 0, "hmac states differ from each other and from the IV");
	/* a key is zero-padded to the block: "Jefe" and "Jefe\0" give the same states */
	hmac_md5_states((const unsigned char *)"Jefe\0", 5, is2, os2);
	CHECK(memcmp(is, is2, 16) == 0 && memcmp(os, os2, 16) == 0, "hmac key zero padding");
	hmac_md5_states((const unsigned char *)"Jeff", 4, is2, os2);
	CHECK(memcmp(is, is2, 16) != 0 && memcmp(os, os2, 16) != 0, "hmac states depend on the key");
}

int main(void)
{
	test_md5();
	test_hmac();
	test_states();
	return test_done();
}
