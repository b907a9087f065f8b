/*
 * md5.c - MD5 (RFC 1321) and HMAC-MD5 (RFC 2104); see md5.h.
 * Written from the RFC's description: four rounds of sixteen steps, with
 * the sine-table constants T[i] = floor(2^32 * |sin(i)|) and the per-step
 * shift amounts of RFC 1321 §3.4.  Words are little-endian.
 * Stored HMAC states are the four state words as 16 little-endian bytes.
 */
#include <string.h>
#include "md5.h"

#define HMAC_IPAD 0x36	/* RFC 2104 §2 */
#define HMAC_OPAD 0x5c	/* RFC 2104 §2 */

static const uint32_t md5_t[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* shift amounts: four per round, repeated four times within the round */
static const unsigned char md5_r[4][4] = {
	{ 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 },
};

/* rol - rotate x left by c bits; returns the rotated word */
static inline uint32_t rol(uint32_t x, unsigned c)
{
	return (x << c) | (x >> (32 - c));
}

/* get32 - the little-endian word at p; returns it */
static inline uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* put32 - store w at p little-endian */
static inline void put32(unsigned char *p, uint32_t w)
{
	p[0] = (unsigned char)w;
	p[1] = (unsigned char)(w >> 8);
	p[2] = (unsigned char)(w >> 16);
	p[3] = (unsigned char)(w >> 24);
}

/* md5_block - run the compression function over one 64-byte block */
static void md5_block(uint32_t s[4], const unsigned char *p)
{
	uint32_t x[16], a = s[0], b = s[1], c = s[2], d = s[3];
	unsigned i;

	for (i = 0; i < 16; i++)
		x[i] = get32(p + 4 * i);
	for (i = 0; i < 64; i++) {
		uint32_t f, t;
		unsigned k, round = i / 16;

		switch (round) {
		case 0: f = (b & c) | (~b & d); k = i; break;
		case 1: f = (b & d) | (c & ~d); k = (5 * i + 1) % 16; break;
		case 2: f = b ^ c ^ d; k = (3 * i + 5) % 16; break;
		default: f = c ^ (b | ~d); k = (7 * i) % 16; break;
		}
		t = d;
		d = c;
		c = b;
		b = b + rol(a + f + x[k] + md5_t[i], md5_r[round][i % 4]);
		a = t;
	}
	s[0] += a;
	s[1] += b;
	s[2] += c;
	s[3] += d;
}

void md5_init(struct md5 *m)
{
	m->s[0] = 0x67452301;	/* RFC 1321 §3.3 */
	m->s[1] = 0xefcdab89;
	m->s[2] = 0x98badcfe;
	m->s[3] = 0x10325476;
	m->len = 0;
}

void md5_update(struct md5 *m, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t have = (size_t)(m->len % MD5_BLOCK);

	m->len += n;
	if (have) {
		size_t take = MD5_BLOCK - have;
		if (take > n)
			take = n;
		memcpy(m->buf + have, p, take);
		p += take;
		n -= take;
		if (have + take < MD5_BLOCK)
			return;
		md5_block(m->s, m->buf);
	}
	for (; n >= MD5_BLOCK; p += MD5_BLOCK, n -= MD5_BLOCK)
		md5_block(m->s, p);
	if (n)
		memcpy(m->buf, p, n);
}

void md5_final(struct md5 *m, unsigned char out[16])
{
	size_t have = (size_t)(m->len % MD5_BLOCK);
	uint64_t bits = m->len * 8;
	unsigned i;

	/* RFC 1321 §3.1-3.2: a 1 bit, zeros to 56 mod 64, then the bit length */
	m->buf[have++] = 0x80;
	if (have > MD5_BLOCK - 8) {
		memset(m->buf + have, 0, MD5_BLOCK - have);
		md5_block(m->s, m->buf);
		have = 0;
	}
	memset(m->buf + have, 0, MD5_BLOCK - 8 - have);
	put32(m->buf + 56, (uint32_t)bits);
	put32(m->buf + 60, (uint32_t)(bits >> 32));
	md5_block(m->s, m->buf);
	for (i = 0; i < 4; i++)
		put32(out + 4 * i, m->s[i]);
	explicit_bzero(m, sizeof *m);
}

/* hmac_pad_state - the state after one block of key XOR pad; written to out */
static void hmac_pad_state(const unsigned char *k, size_t klen, unsigned char pad, unsigned char out[16])
{
	unsigned char block[MD5_BLOCK];
	struct md5 m;
	size_t i;

	for (i = 0; i < MD5_BLOCK; i++)
		block[i] = (unsigned char)((i < klen ? k[i] : 0) ^ pad);
	md5_init(&m);
	md5_block(m.s, block);
	for (i = 0; i < 4; i++)
		put32(out + 4 * i, m.s[i]);
	explicit_bzero(block, sizeof block);
	explicit_bzero(&m, sizeof m);
}

void hmac_md5_states(const unsigned char *key, size_t klen, unsigned char istate[16], unsigned char ostate[16])
{
	unsigned char kh[MD5_DIGEST];

	/* RFC 2104 §2: a key longer than the block is replaced by its hash */
	if (klen > MD5_BLOCK) {
		struct md5 m;
		md5_init(&m);
		md5_update(&m, key, klen);
		md5_final(&m, kh);
		key = kh;
		klen = sizeof kh;
	}
	hmac_pad_state(key, klen, HMAC_IPAD, istate);
	hmac_pad_state(key, klen, HMAC_OPAD, ostate);
	explicit_bzero(kh, sizeof kh);
}

/* md5_resume - a digest that continues from a stored state after one block */
static void md5_resume(struct md5 *m, const unsigned char st[16])
{
	unsigned i;

	for (i = 0; i < 4; i++)
		m->s[i] = get32(st + 4 * i);
	m->len = MD5_BLOCK;
}

void hmac_md5_with_states(const unsigned char istate[16], const unsigned char ostate[16], const void *msg, size_t n, unsigned char out[16])
{
	unsigned char inner[MD5_DIGEST];
	struct md5 m;

	md5_resume(&m, istate);
	md5_update(&m, msg, n);
	md5_final(&m, inner);
	md5_resume(&m, ostate);
	md5_update(&m, inner, sizeof inner);
	md5_final(&m, out);
	explicit_bzero(inner, sizeof inner);
}

void hmac_md5(const unsigned char *key, size_t klen, const void *msg, size_t n, unsigned char out[16])
{
	unsigned char is[MD5_DIGEST], os[MD5_DIGEST];

	hmac_md5_states(key, klen, is, os);
	hmac_md5_with_states(is, os, msg, n, out);
	explicit_bzero(is, sizeof is);
	explicit_bzero(os, sizeof os);
}
