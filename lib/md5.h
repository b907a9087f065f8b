/*
 * md5 - the MD5 message digest (RFC 1321) and HMAC-MD5 (RFC 2104).
 * Used for CRAM-MD5 (RFC 2195): userdbpw -hmac-md5 stores the two inner
 * MD5 states of the key, and the login helpers finish the HMAC from them.
 * MD5 is not used for anything else; it is broken as a collision-resistant
 * hash, but HMAC-MD5 as CRAM-MD5 uses it is what the protocol asks for.
 * No I/O, no allocation.
 */
#ifndef KURIER_MD5_H
#define KURIER_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_BLOCK 64	/* RFC 1321 §3.4: the algorithm works on 512-bit blocks */
#define MD5_DIGEST 16	/* RFC 1321 §3.5: a 128-bit digest */

struct md5 {
	uint32_t s[4];		/* A, B, C, D */
	uint64_t len;		/* bytes hashed so far */
	unsigned char buf[64];	/* the partial block */
};

/* md5_init - start a digest */
void md5_init(struct md5 *);
/* md5_update - hash n more bytes */
void md5_update(struct md5 *, const void *, size_t);
/* md5_final - pad, write the 16-byte digest to out, and wipe the state */
void md5_final(struct md5 *, unsigned char out[16]);

/* hmac_md5_states - the MD5 states after the ipad and opad blocks of key: what userdbpw -hmac-md5 stores */
void hmac_md5_states(const unsigned char *key, size_t klen, unsigned char istate[16], unsigned char ostate[16]);
/* hmac_md5_with_states - HMAC-MD5 of msg from those stored states */
void hmac_md5_with_states(const unsigned char istate[16], const unsigned char ostate[16], const void *msg, size_t n, unsigned char out[16]);
/* hmac_md5 - plain HMAC-MD5 */
void hmac_md5(const unsigned char *key, size_t klen, const void *msg, size_t n, unsigned char out[16]);

#endif
