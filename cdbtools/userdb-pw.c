/*
 * userdb-pw.c - password hashing for userdbpw; see userdb-pw.h.
 * argon2id through libsodium's crypto_pwhash_str with the INTERACTIVE
 * limits (2 passes over 64 MiB in libsodium 1.0.18): a login costs tens
 * of milliseconds, an offline guess as much.
 */
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include "md5.h"
#include "userdb-pw.h"

_Static_assert(crypto_pwhash_STRBYTES <= UDB_PW_HASH_MAX, "argon2 string fits");

int udb_pw_argon2(const char *pw, size_t n, char out[UDB_PW_HASH_MAX])
{
	if (sodium_init() < 0) {
		errno = ENOSYS;
		return 0;
	}
	if (crypto_pwhash_str_alg(out, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		errno = ENOMEM;
		return 0;
	}
	return 1;
}

int udb_pw_verify(const char *hash, const char *pw, size_t n)
{
	if (sodium_init() < 0)
		return 0;
	return crypto_pwhash_str_verify(hash, pw, n) == 0;
}

void udb_pw_hmac_md5(const char *pw, size_t n, char out[UDB_PW_HMAC_HEX + 1])
{
	static const char x[] = "0123456789abcdef";
	unsigned char st[32];
	int i;

	hmac_md5_states((const unsigned char *)pw, n, st, st + 16);
	for (i = 0; i < 32; i++) {
		out[2 * i] = x[st[i] >> 4];
		out[2 * i + 1] = x[st[i] & 15];
	}
	out[UDB_PW_HMAC_HEX] = 0;
	explicit_bzero(st, sizeof st);
}
