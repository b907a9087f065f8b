/* test-userdb-pw - userdbpw's values: the argon2id string verifies with
 * libsodium and names argon2id, a wrong password fails, and the stored
 * hmac-md5pw states reproduce RFC 2195's CRAM-MD5 example digest. */
#include <string.h>
#include "md5.h"
#include "test.h"
#include "userdb-pw.h"

/* unhex - 2n hex digits into n bytes; 1 ok, 0 bad digit */
static int unhex(const char *h, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		char c = h[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return 0;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 1;
}

int main(void)
{
	char hash[UDB_PW_HASH_MAX], hex[UDB_PW_HMAC_HEX + 1], got[33];
	unsigned char st[32], d[16];
	static const char chal[] = "<1896.697170952@postoffice.reston.mci.net>";
	static const char x[] = "0123456789abcdef";
	int i;

	CHECK(udb_pw_argon2("correct horse", 13, hash), "argon2id hash made");
	CHECK(strncmp(hash, "$argon2id$", 10) == 0, "hash names argon2id");
	CHECK(strstr(hash, "m=65536,t=2,") != 0, "hash uses the INTERACTIVE limits (64 MiB, 2 passes)");
	CHECK(udb_pw_verify(hash, "correct horse", 13), "libsodium verifies the right password");
	CHECK(!udb_pw_verify(hash, "correct horsf", 13), "libsodium rejects a wrong password");
	CHECK(!strchr(hash, '|') && !strchr(hash, '\n'), "hash fits in a userdb field");

	udb_pw_hmac_md5("tanstaaftanstaaf", 16, hex);
	CHECK(strlen(hex) == 64 && strspn(hex, x) == 64, "hmac-md5pw is 64 lower-case hex digits");
	CHECK(unhex(hex, st, 32), "hmac-md5pw decodes");
	hmac_md5_with_states(st, st + 16, chal, sizeof chal - 1, d);
	for (i = 0; i < 16; i++) {
		got[2 * i] = x[d[i] >> 4];
		got[2 * i + 1] = x[d[i] & 15];
	}
	got[32] = 0;
	CHECK(strcmp(got, "b913a602c7eda7a495b4e6e7334d3890") == 0, "stored states give RFC 2195's CRAM-MD5 digest");
	return test_done();
}
