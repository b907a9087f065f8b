/*
 * keyhash - the hash of the in-memory key tables of makeuserdb and the
 * make* control compilers (duplicate detection while reading a source).
 * It reads eight bytes at a time: a cdb's own hash goes a byte at a time
 * and cost a tenth of makealiases' time.  Only those tables see it; the
 * cdb files are hashed by libcdb as the format requires.
 */
#ifndef KURIER_KEYHASH_H
#define KURIER_KEYHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* key_hash - a 32-bit hash of k[0..kl), well mixed in its low bits */
static inline uint32_t key_hash(const char *k, size_t kl)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ kl, w;

	for (; kl >= 8; k += 8, kl -= 8) {
		memcpy(&w, k, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, k, kl);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (uint32_t)(h ^ (h >> 32));
}

#endif
