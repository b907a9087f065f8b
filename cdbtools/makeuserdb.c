/*
 * makeuserdb - compile the userdb source into userdb.cdb and userdbshadow.cdb.
 * runs as:  root (or whoever owns the source), by hand after editing
 * usage:    makeuserdb [-f SOURCE] [-o DIR]
 *           SOURCE defaults to conf-home/users/userdb (a file, or a
 *           directory of files read in name order), DIR to conf-home/users.
 * output:   DIR/userdb.cdb (mode 0644): lower-cased address -> every
 *           field except passwords; DIR/userdbshadow.cdb (mode 0600):
 *           address -> password fields only (addresses without any are
 *           left out).  See userdb(5).
 * trusts:   nothing in the source: every line is checked (userdb-parse.c);
 *           a source readable or writable by group or others is refused.
 * method:   both cdbs are written to NAME.tmp, fsynced, and only when both
 *           are complete renamed into place (shadow first), then the
 *           directory is fsynced.  On any error the temporaries are
 *           removed and the old cdbs are untouched.  The cdbs replaced
 *           are kept as NAME.old, spares the next run writes over
 *           (lib/cdbx: no blocks allocated or freed).  Threads: the
 *           main one reads and checks the source and hands each checked
 *           record (key, public part, shadow part) over in blocks of
 *           memory; two writer threads, one per cdb, add them in source
 *           order (the scheduler shares the two cores of a small machine
 *           among the three).  A part that is one run of the source line
 *           (the usual case: the password fields together) is handed
 *           over as a pointer into the mapped source, which stays mapped
 *           until libcdb has copied every record; only the others are
 *           copied.  The main thread releases the records, the source
 *           and the keys while the writers write their hash tables, and
 *           renames the cdbs once both are fsynced.  Only the main
 *           thread exits or removes files, after stopping the writers.
 * cost:     see makeuserdb(8): one exec, three fsyncs, about 100 bytes
 *           of memory per account beside libcdb's tables.
 * exit:     0 done; 100 bad usage or bad source ("file:line: reason" on
 *           stderr); 111 system failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "cdbx.h"
#include "exitcode.h"
#include "keyhash.h"
#include "log.h"
#include "str.h"
#include "userdb-parse.h"
#include "userdb-src.h"

#define MODE_PUBLIC 0644	/* every program may look an account up */
#define MODE_SHADOW 0600	/* only the login helpers, running as root, read passwords */
/* the duplicate-address table starts at this many slots and doubles at half full */
#define SEEN_INITIAL 65536
/* the huge page size on x86-64 and arm64 with 4 KiB pages */
#define HUGE_PAGE (2UL * 1024 * 1024)
/* the source is read this many bytes ahead of the line being checked: the
 * table lookups and the cdb writes between two lines push it out of the
 * caches, and the processor's own prefetching then loses the stream */
#define READ_AHEAD 2048
#define CACHE_LINE 64
/* the two cdbs being written (lib/cdbx: NAME.tmp, fsync, rename) */
static struct cdbx_make mpub, msh;
static int open_pub, open_sh;

/*
 * The hand-over from the checking thread to the writer thread.  Records
 * are laid out one after another in blocks: a struct hand (where the key,
 * the public part and the shadow part are, and their lengths), followed
 * by the parts that had to be copied (a lower-cased key lives in the key
 * arena instead); a key length of REC_NEXT says the rest of the block is
 * unused and the records go on in the next one.  The checker fills a
 * block and links the next before it publishes the count of records
 * written (under q_lock), so everything the writer reads below that
 * count is complete.  Spent blocks go back to a free list, so the same
 * few blocks, warm in the caches, are reused.
 */
#define REC_BLOCK HUGE_PAGE	/* a block: tens of thousands of records in one huge page */
#define REC_BATCH 2048	/* records published at once: one lock and wake-up per batch (a wake-up costs some microseconds) */
#define REC_NEXT UINT32_MAX
#define REC_ALIGN 8	/* a struct hand starts 8-byte aligned */
struct hand {
	const char *k, *p, *s;	/* key, public part, shadow part */
	uint32_t kl, pl, sl;	/* their lengths, each below UDB_LINE_MAX; kl REC_NEXT: next block */
	uint32_t copied;	/* bytes after this header holding copied parts, rounded to REC_ALIGN */
};
struct rec_block {
	struct rec_block *next;	/* the next block of records, or on q_free the next free one */
	struct rec_block *all;	/* every block made, for the release at the end */
	size_t size;	/* bytes mapped for the block, header included */
	size_t cap;	/* bytes in d */
	size_t used;	/* bytes written in d */
	struct rec_block *spent_next[2];	/* each writer's list of blocks it read through */
	int passed;	/* writers done with it (under q_lock) */
	int secret;	/* a shadow part (password fields) was ever copied into d */
	size_t dirty;	/* bytes ever written in d, for the wipe */
	_Alignas(REC_ALIGN) char d[];	/* struct hands, each REC_ALIGN-aligned */
};
/* one writer thread per cdb; both read the same records */
#define WRITERS 2
struct writer {
	struct cdbx_make *m;	/* its cdb */
	int shadow;	/* it takes the shadow parts (else the public ones); also its index */
	pthread_t t;
	int running;
};
static struct writer writers[WRITERS] = { { &mpub, 0, 0, 0 }, { &msh, 1, 0, 0 } };
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_more = PTHREAD_COND_INITIALIZER;	/* the writers wait on it */
static pthread_cond_t q_added = PTHREAD_COND_INITIALIZER;	/* the main thread waits on it */
static int w_added;	/* writers that have added every record */
static int w_synced;	/* writers whose cdb is complete and fsynced */
static size_t q_published;	/* records the writers may take */
static int q_done;	/* no more records will come */
static int q_stop;	/* give up: the writers return at once */
static struct rec_block *q_free;	/* spent blocks of REC_BLOCK bytes */
/* the bytes for records in a block of REC_BLOCK bytes */
#define REC_CAP (REC_BLOCK - sizeof(struct rec_block))
static int w_failed;	/* a writer stopped on an error (the first one is kept) ... */
static int w_errno;	/* ... with this errno ... */
static struct cdbx_make *w_make;	/* ... on this cdb ... */
static const char *w_what;	/* ... doing this */
static struct rec_block *first_blk;	/* where the writers start */
static struct rec_block *all_blk;	/* every block (only the main thread touches this) */
/* the checker's side: the block being filled, its fill, records written */
static struct rec_block *p_blk;
static size_t p_count;

/* the mapped source files, kept until the writer is done: records point into them */
struct src_map {
	const char *p;
	size_t n;
};
static struct src_map *maps;
static size_t nmaps;

/* maps_free - unmap every source file */
static void maps_free(void)
{
	size_t i;

	for (i = 0; i < nmaps; i++)
		udb_src_unmap(maps[i].p, maps[i].n);
	free(maps);
	maps = 0;
	nmaps = 0;
}

/* huge_alloc - n bytes (a multiple of HUGE_PAGE) of zeroed memory on a
 * huge page boundary, to be backed by huge pages: the address table and
 * the record blocks take megabytes, and faulting them in 4 KiB at a time
 * cost more than filling them; 0 no memory */
static void *huge_alloc(size_t n)
{
	size_t len;
	char *p;
	uintptr_t a, end;

	if (!size_add(&len, n, HUGE_PAGE))
		return 0;
	p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	/* keep the aligned n bytes, give back the rest */
	a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	end = (uintptr_t)p + len;
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if (end > a + n)
		munmap((void *)(a + n), end - (a + n));
	(void)madvise((void *)a, n, MADV_HUGEPAGE);	/* only a hint */
	return (void *)a;
}

/* huge_size - n rounded up to a multiple of HUGE_PAGE; 0 on overflow */
static size_t huge_size(size_t n)
{
	size_t r;

	if (!size_add(&r, n, HUGE_PAGE - 1))
		return 0;
	return r & ~(HUGE_PAGE - 1);
}

/* blk_release - wipe a block that held shadow parts (password hashes) and unmap it */
static void blk_release(struct rec_block *b)
{
	if (b->secret)
		explicit_bzero(b->d, b->dirty > b->used ? b->dirty : b->used);
	munmap(b, b->size);
}

/* writers_join - wait for every writer started */
static void writers_join(void)
{
	int i;

	for (i = 0; i < WRITERS; i++)
		if (writers[i].running) {
			pthread_join(writers[i].t, 0);
			writers[i].running = 0;
		}
}

/* writer_stop - tell the writers to give up and wait for them */
static void writer_stop(void)
{
	pthread_mutex_lock(&q_lock);
	q_stop = 1;
	pthread_cond_broadcast(&q_more);
	pthread_mutex_unlock(&q_lock);
	writers_join();
}

/* blocks_free - release every block (once the writer has stopped) */
static void blocks_free(void)
{
	struct rec_block *b, *n;

	for (b = all_blk; b; b = n) {
		n = b->all;
		blk_release(b);
	}
	all_blk = q_free = first_blk = p_blk = 0;
}

/* cleanup - stop the writer, remove whatever temporaries exist */
static void cleanup(void)
{
	writer_stop();
	blocks_free();
	maps_free();
	if (open_pub)
		cdbx_make_abort(&mpub);
	if (open_sh)
		cdbx_make_abort(&msh);
	open_pub = open_sh = 0;
}

/* die_usage - print usage and exit 100 */
static void die_usage(void)
{
	diex(EX_T_USAGE, "usage: makeuserdb [-f SOURCE] [-o DIR]");
}

/* die_nomem - exit 111 after cleaning up */
static void die_nomem(void)
{
	cleanup();
	diex(EX_T_TEMP, "out of memory");
}

/* die_sys - a system failure on path: clean up, exit 111 */
static void die_sys(const char *what, const char *path)
{
	struct str p = STR_INIT;	/* path may be a temporary's name, which cleanup frees */
	int e = errno;

	if (!str_copys(&p, path))
		p.s = (char *)"(out of memory)";
	cleanup();
	errno = e;
	die(EX_T_TEMP, what, " ", p.s);
}

/* die_line - a bad source line: clean up, print file:line: reason, exit 100 */
static void die_line(const char *file, unsigned long line, const char *why)
{
	char num[24];
	size_t i = sizeof num;

	num[--i] = 0;
	do
		num[--i] = (char)('0' + line % 10);
	while ((line /= 10) && i);
	cleanup();
	diex(EX_T_USAGE, file, ":", num + i, ": ", why);
}

/* the addresses seen so far: open addressing over slots that hold the
 * key's hash (keyhash.h), its length and where its bytes are: in the
 * mapped source when the address is already in lower case, else in the
 * key arena.  Either stays put until the end, so the writer uses the same
 * pointers.  A null pointer marks an empty slot. */
struct seen_slot {
	const char *k;
	uint32_t hash;
	uint32_t len;
};
static struct seen_slot *seen;
static size_t seen_size, seen_count, seen_bytes;	/* slots, keys, bytes mapped */

/* the key arena: lower-cased copies of addresses written with upper-case
 * letters, in chunks that never move */
#define KEY_CHUNK (64UL * 1024)	/* far above the longest address (UDB_ADDR_MAX) */
struct key_chunk {
	struct key_chunk *next;
	size_t used;
	char d[KEY_CHUNK];
};
static struct key_chunk *keys;

/* how far malloc grows its heap at a time: libcdb allocates its record
 * lists a few KiB at a time, and growing by just that cost a system call
 * each (a thread's own heap grows by what is asked); one heap for every
 * thread (libcdb's few allocations hardly contend) grows by this much */
#define HEAP_PAD (4UL * 1024 * 1024)

/* lines in the sample of a source file that sizes the address table */
#define SIZE_SAMPLE (64UL * 1024)

/* seen_reserve - make room for n more keys below half load; 1 ok, 0 no memory */
static int seen_reserve(size_t n)
{
	size_t want, nsize = seen_size ? seen_size : SEEN_INITIAL, i, bytes;
	struct seen_slot *ns;

	if (!size_add(&want, seen_count, n) || !size_mul(&want, want, 2))
		return 0;
	if (want <= seen_size)
		return 1;
	while (nsize < want)
		if (!size_mul(&nsize, nsize, 2))
			return 0;
	if (!size_mul(&bytes, nsize, sizeof *ns) || !(bytes = huge_size(bytes)))
		return 0;
	if (!(ns = huge_alloc(bytes)))
		return 0;
	for (i = 0; i < seen_size; i++) {
		size_t j;
		if (!seen[i].k)
			continue;
		for (j = seen[i].hash & (nsize - 1); ns[j].k; j = (j + 1) & (nsize - 1))
			;
		ns[j] = seen[i];
	}
	if (seen)
		munmap(seen, seen_bytes);
	seen = ns;
	seen_bytes = bytes;
	seen_size = nsize;
	return 1;
}

/* seen_add - remember key k[0..n) (which stays put); 1 new, 0 seen before, -1 no memory */
static int seen_add(const char *k, size_t n, uint32_t hash)
{
	size_t j;

	if ((seen_count + 1) * 2 > seen_size && !seen_reserve(seen_count + 1))
		return -1;
	for (j = hash & (seen_size - 1); seen[j].k; j = (j + 1) & (seen_size - 1))
		if (seen[j].hash == hash && seen[j].len == n && memcmp(seen[j].k, k, n) == 0)
			return 0;
	seen[j].k = k;
	seen[j].hash = hash;
	seen[j].len = (uint32_t)n;	/* at most UDB_ADDR_MAX */
	seen_count++;
	return 1;
}

/* estimate_lines - about how many lines p[0..n) holds, from the lines in its first SIZE_SAMPLE bytes */
static size_t estimate_lines(const char *p, size_t n)
{
	size_t sample = n < SIZE_SAMPLE ? n : SIZE_SAMPLE, c = 1;
	const char *e, *nl;

	if (!n)
		return 0;	/* an empty file is not mapped: p is null */
	e = p + sample;
	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p)))) {
		c++;
		p = nl + 1;
	}
	/* scaled to the whole file, an eighth more for longer lines later;
	 * a wrong guess costs only a rehash (seen_add grows the table) */
	return n / sample * c + n / sample * c / 8 + c;
}

/* lines found ahead of the one being checked, for hint() */
#define HINT_AHEAD 4

/* a line found ahead of the one being checked: where it is, and what
 * hint() made of its first word (the address, if the line is good) */
struct ahead {
	size_t off, n;	/* the line in the mapped file */
	size_t alen;	/* bytes up to its first blank (or more: then unused) */
	uint32_t hash;	/* key_hash of those bytes lower-cased */
	int upper;	/* they hold an upper-case letter */
	int clean;	/* no byte below 0x20 but TAB (udb_next_line) */
};

/* bytes of a 64-bit word, for hint() */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* zero_bytes - the high bit of each byte of x that is zero, exactly */
static uint64_t zero_bytes(uint64_t x)
{
	return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS;
}

/* hint - hash the first word of the line s[0..n) lower-cased (the key,
 * if it is a good line) into r, and start loading its slot of the
 * address table: the line is checked HINT_AHEAD lines later, and the
 * table is larger than the caches (waiting for a slot cost more than
 * checking a record).  Eight bytes at a time; a wrong guess costs a
 * little time, nothing else, since the line's own check decides */
static void hint(const char *s, size_t n, struct ahead *r)
{
	char k[UDB_ADDR_MAX + 8];
	size_t a = 0;
	uint64_t up = 0;

	for (; a + 8 <= n && a < UDB_ADDR_MAX; a += 8) {
		uint64_t x, t, u, blank;
		memcpy(&x, s + a, 8);
		blank = zero_bytes(x ^ (ONES * ' ')) | zero_bytes(x ^ (ONES * '\t'));
		/* the high bit of each byte from 'A' to 'Z' */
		t = x & ~HIGHS;
		u = (t + ONES * (0x80 - 'A')) & ~(t + ONES * (0x80 - 'Z' - 1)) & ~x & HIGHS;
		if (blank) {
			unsigned b = (unsigned)__builtin_ctzll(blank) / 8;	/* bytes before the blank */
			u &= b ? (1ULL << (8 * b)) - 1 : 0;
			up |= u;
			x |= u >> 2;	/* 0x80 >> 2 is the case bit */
			memcpy(k + a, &x, 8);
			a += b;
			goto done;
		}
		up |= u;
		x |= u >> 2;
		memcpy(k + a, &x, 8);
	}
	for (; a < n && a < UDB_ADDR_MAX && s[a] != ' ' && s[a] != '\t'; a++) {
		unsigned char c = (unsigned char)s[a];
		if ((unsigned char)(c - 'A') < 26) {
			c = (unsigned char)(c + ('a' - 'A'));
			up = 1;
		}
		k[a] = (char)c;
	}
done:
	r->alen = a;
	r->upper = up != 0;
	r->hash = key_hash(k, a);
	__builtin_prefetch(&seen[r->hash & (seen_size - 1)]);
}

/* has_upper - 1 if a[0..n) holds an ASCII upper-case letter */
static int has_upper(const char *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)(a[i] - 'A') < 26)
			return 1;
	return 0;
}

/* key_lower - a lower-cased copy of a[0..n) (n at most UDB_ADDR_MAX) in the key arena; 0 no memory */
static const char *key_lower(const char *a, size_t n)
{
	char *k;
	size_t i;

	if (!keys || KEY_CHUNK - keys->used < n) {
		struct key_chunk *c = malloc(sizeof *c);
		if (!c)
			return 0;
		c->next = keys;
		c->used = 0;
		keys = c;
	}
	k = keys->d + keys->used;
	keys->used += n;
	for (i = 0; i < n; i++)
		k[i] = (char)((unsigned char)(a[i] - 'A') < 26 ? a[i] + ('a' - 'A') : a[i]);
	return k;
}

/* keys_free - release the key arena */
static void keys_free(void)
{
	while (keys) {
		struct key_chunk *n = keys->next;
		free(keys);
		keys = n;
	}
}

/* start_tmp - create DIR/NAME.tmp with mode for a cdb; dies on failure */
static void start_tmp(struct cdbx_make *m, int *open, const char *dir, const char *name, mode_t mode)
{
	struct str path = STR_INIT;

	if (!str_copys(&path, dir) || !str_append(&path, '/') || !str_cats(&path, name))
		die_nomem();
	if (cdbx_make_start_spare(m, path.s, mode) < 0)
		die_sys("cannot create", path.s);
	/* the writer threads wait for the disk while the checker works */
	(void)cdbx_make_direct(m);
	*open = 1;
	str_free(&path);
}

/* writer_fail - record the writer's error doing what on m (for the main thread to report) */
static void writer_fail(const char *what, struct cdbx_make *m)
{
	int e = errno;

	pthread_mutex_lock(&q_lock);
	if (!w_failed) {
		w_failed = 1;
		w_errno = e;
		w_make = m;
		w_what = what;
	}
	pthread_cond_signal(&q_added);
	pthread_mutex_unlock(&q_lock);
}

/* write_records - a writer thread (arg: its struct writer): add every
 * published record's part for its cdb in order, then write the cdb's
 * hash tables and fsync it; returns 0 (errors go to writer_fail) */
static void *write_records(void *arg)
{
	const struct writer *w = arg;
	struct rec_block *b = first_blk, *spent = 0;
	size_t off = 0, taken = 0;

	for (;;) {
		size_t avail;
		int done;

		pthread_mutex_lock(&q_lock);
		while (spent) {	/* blocks every writer has read through go back for reuse */
			struct rec_block *n = spent->spent_next[w->shadow];
			if (++spent->passed == WRITERS && spent->cap == REC_CAP) {	/* a larger one is just left */
				spent->next = q_free;
				q_free = spent;
			}
			spent = n;
		}
		while (q_published == taken && !q_done && !q_stop)
			pthread_cond_wait(&q_more, &q_lock);
		avail = q_published;
		done = q_done;
		if (q_stop) {
			pthread_mutex_unlock(&q_lock);
			return 0;
		}
		pthread_mutex_unlock(&q_lock);
		if (taken == avail && done)
			break;
		while (taken < avail) {
			const struct hand *h = (const struct hand *)(b->d + off);

			if (h->kl == REC_NEXT) {
				struct rec_block *n = b->next;
				b->spent_next[w->shadow] = spent;
				spent = b;
				b = n;
				off = 0;
				continue;
			}
			if (w->shadow ? h->sl && cdbx_make_add(w->m, h->k, h->kl, h->s, h->sl) < 0
				      : cdbx_make_add(w->m, h->k, h->kl, h->p, h->pl) < 0) {
				writer_fail("cannot write", w->m);
				return 0;
			}
			off += sizeof *h + h->copied;
			taken++;
		}
	}
	/* libcdb has copied every record: the main thread may release them */
	pthread_mutex_lock(&q_lock);
	w_added++;
	pthread_cond_signal(&q_added);
	pthread_mutex_unlock(&q_lock);
	if (cdbx_make_end(w->m) < 0) {
		writer_fail("cannot write", w->m);
		return 0;
	}
	if (cdbx_make_sync(w->m) < 0) {
		writer_fail("cannot fsync", w->m);
		return 0;
	}
	pthread_mutex_lock(&q_lock);
	w_synced++;
	pthread_cond_signal(&q_added);
	pthread_mutex_unlock(&q_lock);
	return 0;
}

/* blk_new - a block with room for need bytes, reused when it can be; 0 no memory */
static struct rec_block *blk_new(size_t need)
{
	struct rec_block *b = 0;
	size_t cap = need > REC_CAP ? need : REC_CAP;

	if (cap == REC_CAP) {
		pthread_mutex_lock(&q_lock);
		if ((b = q_free))
			q_free = b->next;
		pthread_mutex_unlock(&q_lock);
	}
	if (!b) {
		size_t size = cap == REC_CAP ? REC_BLOCK : huge_size(sizeof *b + cap);
		if (!size || !(b = huge_alloc(size)))
			return 0;
		b->size = size;
		cap = size - sizeof *b;
		b->all = all_blk;
		all_blk = b;
		b->dirty = 0;
		b->secret = 0;
	} else {
		b->dirty = b->dirty > b->used ? b->dirty : b->used;
	}
	b->next = 0;
	b->cap = cap;
	b->used = 0;
	b->passed = 0;
	return b;
}

/* publish - let the writer take every record written so far (done: and no more); 1 ok, 0 the writer failed */
static int publish(int done)
{
	int ok;

	pthread_mutex_lock(&q_lock);
	q_published = p_count;
	q_done = done;
	ok = !w_failed;
	pthread_cond_broadcast(&q_more);
	pthread_mutex_unlock(&q_lock);
	return ok;
}

/* die_writer - report a writer's error: stop them, clean up, exit 111 */
static void die_writer(void)
{
	writer_stop();
	errno = w_errno;
	die_sys(w_what, w_make->tmp.s);
}

/* put_rec - hand one checked record to the writer: key k[0..kl) (which
 * stays put), and the parts ps and ss, copied when they lie in their str
 * (pub, sh), else pointed to; dies on failure */
static void put_rec(const char *k, size_t kl, const struct udb_span *ps, const struct udb_span *ss,
		    const struct str *pub, const struct str *sh)
{
	int cp = ps->n && ps->s == pub->s, cs = ss->n && ss->s == sh->s;
	size_t copied = (cp ? ps->n : 0) + (cs ? ss->n : 0);
	size_t need;
	struct hand *h;
	char *to;

	/* each part is shorter than a source line (UDB_LINE_MAX) */
	copied = (copied + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1);
	need = sizeof *h + copied;
	/* room for this record and the REC_NEXT mark after it */
	if (p_blk->used + need + sizeof *h > p_blk->cap) {
		struct rec_block *n = blk_new(need + sizeof *h);
		if (!n)
			die_nomem();
		((struct hand *)(p_blk->d + p_blk->used))->kl = REC_NEXT;
		p_blk->used += sizeof *h;
		p_blk->next = n;
		p_blk = n;
	}
	h = (struct hand *)(p_blk->d + p_blk->used);
	to = (char *)(h + 1);
	h->k = k;
	h->kl = (uint32_t)kl;
	h->pl = (uint32_t)ps->n;
	h->sl = (uint32_t)ss->n;
	h->copied = (uint32_t)copied;
	h->p = ps->s;
	h->s = ss->s;
	if (cp) {
		memcpy(to, ps->s, ps->n);
		h->p = to;
		to += ps->n;
	}
	if (cs) {
		memcpy(to, ss->s, ss->n);
		h->s = to;
		p_blk->secret = 1;
	}
	p_blk->used += need;
	if (++p_count % REC_BATCH == 0 && !publish(0))
		die_writer();
}

/* map_file - map source file f into maps; dies on failure */
static void map_file(const char *file)
{
	const char *why = 0;
	int r = udb_src_map(file, &maps[nmaps].p, &maps[nmaps].n, &why);

	if (r < 0)
		die_sys("cannot read", file);
	if (r == 0) {
		cleanup();
		diex(EX_T_USAGE, file, ": ", why);
	}
	nmaps++;
}

int main(int argc, char **argv)
{
	struct str src = STR_INIT, dir = STR_INIT;
	struct str pub = STR_INIT, sh = STR_INIT, bad = STR_INIT;
	struct udb_src files;
	const char *why = 0;
	int opt, r, i;
	size_t f;

	log_prog("makeuserdb");
	(void)mallopt(M_ARENA_MAX, 1);	/* both only tuning: a failure costs time, nothing else */
	(void)mallopt(M_TOP_PAD, HEAP_PAD);
	if (!str_copys(&src, auto_home) || !str_cats(&src, "/users/userdb") ||
	    !str_copys(&dir, auto_home) || !str_cats(&dir, "/users"))
		die_nomem();
	while ((opt = getopt(argc, argv, "f:o:")) != -1) {
		switch (opt) {
		case 'f': if (!str_copys(&src, optarg)) die_nomem(); break;
		case 'o': if (!str_copys(&dir, optarg)) die_nomem(); break;
		default: die_usage();
		}
	}
	if (optind != argc)
		die_usage();
	umask(077);

	r = udb_src_list(src.s, &files, &bad, &why);
	if (r < 0)
		die(EX_T_TEMP, "cannot read ", bad.s);
	if (r == 0)
		diex(EX_T_USAGE, bad.s, ": ", why);

	start_tmp(&mpub, &open_pub, dir.s, "userdb.cdb", MODE_PUBLIC);
	start_tmp(&msh, &open_sh, dir.s, "userdbshadow.cdb", MODE_SHADOW);
	if (!(maps = calloc(files.n ? files.n : 1, sizeof *maps)))
		die_nomem();
	if (files.n)
		map_file(files.files[0]);
	if (!(first_blk = p_blk = blk_new(0)))
		die_nomem();
	for (i = 0; i < WRITERS; i++) {
		errno = pthread_create(&writers[i].t, 0, write_records, &writers[i]);
		if (errno)
			die_sys("cannot start a thread for", dir.s);
		writers[i].running = 1;
	}

	for (f = 0; f < files.n; f++) {
		const char *file = files.files[f];
		const char *data;
		size_t dlen, ahead = 0, scan = 0, head = 0, queued = 0;
		unsigned long lineno = 0;
		struct ahead ring[HINT_AHEAD];	/* lines found, not yet checked */

		if (f)
			map_file(file);
		data = maps[f].p;
		dlen = maps[f].n;
		/* size the table once for the file: a rehash is rare */
		if (!seen_reserve(estimate_lines(data, dlen)))
			die_nomem();
		for (;;) {
			const char *s, *k;
			const struct ahead *cur;
			size_t n;
			struct udb_line l;
			struct udb_span ps, ss;
			uint32_t h;

			for (; ahead < scan + READ_AHEAD && ahead < dlen; ahead += CACHE_LINE)
				__builtin_prefetch(data + ahead);
			/* find lines ahead, and start loading their table slots */
			for (; queued < HINT_AHEAD && scan < dlen; queued++) {
				struct ahead *next = &ring[(head + queued) % HINT_AHEAD];
				s = data + scan;
				next->clean = udb_next_line(s, dlen - scan, &n);
				next->off = scan;
				next->n = n;
				hint(s, n, next);
				scan += n + 1;
			}
			if (!queued)
				break;
			cur = &ring[head];
			s = data + cur->off;
			n = cur->n;
			head = (head + 1) % HINT_AHEAD;
			queued--;
			lineno++;
			r = cur->clean ? udb_parse_clean(s, n, &l, &why) : udb_parse_line(s, n, &l, &why);
			if (r < 0)
				die_line(file, lineno, why);
			if (r == 0)
				continue;
			/* the key: the address itself unless it needs lower-casing;
			 * hint() has hashed it already when it saw the same word */
			k = (cur->alen == l.alen ? cur->upper : has_upper(l.addr, l.alen)) ?
			    key_lower(l.addr, l.alen) : l.addr;
			if (!k)
				die_nomem();
			h = cur->alen == l.alen ? cur->hash : key_hash(k, l.alen);
			r = udb_record_spans(l.rec, l.rlen, l.clean, &pub, &sh, &ps, &ss, &why);
			if (r < 0)
				die_nomem();
			if (r == 0)
				die_line(file, lineno, why);
			r = seen_add(k, l.alen, h);
			if (r < 0)
				die_nomem();
			if (r == 0)
				die_line(file, lineno, "duplicate address");
			put_rec(k, l.alen, &ps, &ss, &pub, &sh);
		}
	}

	/* the writers add the last records; once libcdb has copied them all,
	 * the records, the source and the keys are released while the
	 * writers write their cdbs' hash tables and fsync them */
	publish(1);
	pthread_mutex_lock(&q_lock);
	while (w_added < WRITERS && !w_failed)
		pthread_cond_wait(&q_added, &q_lock);
	pthread_mutex_unlock(&q_lock);
	if (w_failed)
		die_writer();
	str_wipe(&sh);
	blocks_free();
	maps_free();
	keys_free();
	pthread_mutex_lock(&q_lock);
	while (w_synced < WRITERS && !w_failed)
		pthread_cond_wait(&q_added, &q_lock);
	pthread_mutex_unlock(&q_lock);
	if (w_failed)
		die_writer();
	writers_join();
	/* both are complete: into place, shadow first so no public entry
	 * lacks its password, each keeping the cdb it replaces as its spare
	 * (the next run writes over it) */
	if (cdbx_make_rename_spare(&msh) < 0)
		die_sys("cannot rename to", msh.final.s);
	if (cdbx_make_rename_spare(&mpub) < 0)
		die_sys("cannot rename to", mpub.final.s);
	if (fsync_dir(mpub.final.s) < 0)
		die_sys("cannot fsync", dir.s);
	str_free(&mpub.final);
	str_free(&msh.final);
	open_pub = open_sh = 0;
	/* everything is released, so that a leak checker sees none */
	str_free(&src);
	str_free(&dir);
	str_free(&pub);
	str_free(&bad);
	munmap(seen, seen_bytes);
	seen = 0;
	seen_size = seen_count = 0;
	udb_src_free(&files);
	return EX_T_OK;
}
