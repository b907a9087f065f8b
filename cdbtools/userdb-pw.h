/*
 * userdb-pw - the password values userdbpw prints: an argon2id hash for
 * systempw and friends, and the CRAM-MD5 secret for hmac-md5pw.
 * No I/O; the callers wipe the cleartext.
 */
#ifndef KURIER_USERDB_PW_H
#define KURIER_USERDB_PW_H

#include <stddef.h>

/* crypto_pwhash_STRBYTES: libsodium's fixed size for an encoded hash */
#define UDB_PW_HASH_MAX 128
/* hmac-md5pw: istate and ostate, 16 bytes each, in hex */
#define UDB_PW_HMAC_HEX 64

/* udb_pw_argon2 - argon2id hash string (OPSLIMIT/MEMLIMIT_INTERACTIVE) of pw into out; 1 ok, 0 failure (errno) */
int udb_pw_argon2(const char *pw, size_t n, char out[UDB_PW_HASH_MAX]);
/* udb_pw_verify - 1 if hash (a NUL-terminated argon2 string) matches pw, else 0 */
int udb_pw_verify(const char *hash, const char *pw, size_t n);
/* udb_pw_hmac_md5 - the 64 lower-case hex digits of the HMAC-MD5 states of pw into out, NUL-terminated */
void udb_pw_hmac_md5(const char *pw, size_t n, char out[UDB_PW_HMAC_HEX + 1]);

#endif
