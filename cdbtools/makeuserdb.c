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
 *           removed and the old cdbs are untouched.  Two threads: the
 *           main one reads and checks the source and hands each checked
 *           record (key, public part, shadow part) over in blocks of
 *           memory; a writer thread adds them to both cdbs in source
 *           order, so the two halves of the work run on two cores.  Only
 *           the main thread exits or removes files, after stopping the
 *           writer.
 * exit:     0 done; 100 bad usage or bad source ("file:line: reason" on
 *           stderr); 111 system failure.
 */
#include <errno.h>
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
 * are laid out one after another in blocks: three 32-bit lengths (key,
 * public part, shadow part) and then the bytes; a key length of
 * REC_NEXT says the rest of the block is unused and the records go on in
 * the next one.  The checker fills a block and links the next before it
 * publishes the count of records written (under q_lock), so everything
 * the writer reads below that count is complete.  Spent blocks go back
 * to a free list, so the same few blocks, warm in the caches, are reused.
 */
#define REC_BLOCK (256UL * 1024)	/* a block: a few hundred records, fits in the L2 cache */
#define REC_BATCH 2048	/* records published at once: one lock and wake-up per batch (a wake-up costs some microseconds) */
#define REC_HEAD 12	/* three 32-bit lengths */
#define REC_NEXT UINT32_MAX
struct rec_block {
	struct rec_block *next;	/* the next block of records, or on q_free the next free one */
	struct rec_block *all;	/* every block made, for the release at the end */
	size_t cap;	/* bytes in d */
	size_t used;	/* bytes written in d */
	size_t dirty;	/* bytes ever written in d, for the wipe */
	char d[];
};
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_more = PTHREAD_COND_INITIALIZER;	/* the writer waits on it */
static pthread_cond_t q_added = PTHREAD_COND_INITIALIZER;	/* the main thread waits on it */
static int w_added;	/* the writer has added every record */
static size_t q_published;	/* records the writer may take */
static int q_done;	/* no more records will come */
static int q_stop;	/* give up: the writer returns at once */
static struct rec_block *q_free;	/* spent blocks of REC_BLOCK bytes */
static int w_failed;	/* the writer stopped on an error ... */
static int w_errno;	/* ... with this errno ... */
static struct cdbx_make *w_make;	/* ... on this cdb ... */
static const char *w_what;	/* ... doing this */
static pthread_t writer;
static int writer_running;
static struct rec_block *first_blk;	/* where the writer starts */
static struct rec_block *all_blk;	/* every block (only the main thread touches this) */
/* the checker's side: the block being filled, its fill, records written */
static struct rec_block *p_blk;
static size_t p_count;

/* blk_release - wipe (shadow parts hold password hashes) and free a block */
static void blk_release(struct rec_block *b)
{
	explicit_bzero(b->d, b->dirty > b->used ? b->dirty : b->used);
	free(b);
}

/* writer_stop - tell the writer to give up and wait for it */
static void writer_stop(void)
{
	if (!writer_running)
		return;
	pthread_mutex_lock(&q_lock);
	q_stop = 1;
	pthread_cond_signal(&q_more);
	pthread_mutex_unlock(&q_lock);
	pthread_join(writer, 0);
	writer_running = 0;
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

/* the addresses seen so far: open addressing over 8-byte slots that hold
 * the key's hash (keyhash.h) and its offset in one arena (each key
 * stored there after a length byte; offset 0 is never used, so it marks
 * an empty slot).  Small slots keep the table cache-friendly: a million keys fit
 * in 16 MiB. */
struct seen_slot {
	uint32_t hash;
	uint32_t off;
};
#define SEEN_ARENA_MAX 0xffffffffUL	/* offsets are 32 bits */
static struct str arena = STR_INIT;
static struct seen_slot *seen;
static size_t seen_size, seen_count;

/* huge - ask for transparent huge pages over the 2 MiB-aligned middle of
 * p[0..n): a million addresses take tens of MiB of table and arena, and
 * faulting them in 4 KiB at a time costs more than filling them */
static void huge(void *p, size_t n)
{
	uintptr_t b = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)(HUGE_PAGE - 1);

	if (p && e > b)
		(void)madvise((void *)b, e - b, MADV_HUGEPAGE);	/* only a hint */
}

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
	if (!size_mul(&bytes, nsize, sizeof *ns))
		return 0;
	if (!(ns = calloc(nsize, sizeof *ns)))
		return 0;
	huge(ns, bytes);
	for (i = 0; i < seen_size; i++) {
		size_t j;
		if (!seen[i].off)
			continue;
		for (j = seen[i].hash & (nsize - 1); ns[j].off; j = (j + 1) & (nsize - 1))
			;
		ns[j] = seen[i];
	}
	free(seen);
	seen = ns;
	seen_size = nsize;
	return 1;
}

/* seen_add - remember key (at most 255 bytes); 1 new, 0 seen before, -1 no memory or too many */
static int seen_add(const char *k, size_t n, uint32_t hash)
{
	size_t j;

	if ((seen_count + 1) * 2 > seen_size && !seen_reserve(seen_count + 1))
		return -1;
	if (!arena.len && !str_append(&arena, 0))	/* offset 0 means empty */
		return -1;
	for (j = hash & (seen_size - 1); seen[j].off; j = (j + 1) & (seen_size - 1))
		if (seen[j].hash == hash && (unsigned char)arena.s[seen[j].off] == n &&
		    memcmp(arena.s + seen[j].off + 1, k, n) == 0)
			return 0;
	if (arena.len + 1 + n > SEEN_ARENA_MAX) {
		errno = E2BIG;
		return -1;
	}
	seen[j].hash = hash;
	seen[j].off = (uint32_t)arena.len;
	if (!str_append(&arena, (char)n) || !str_catb(&arena, k, n))
		return -1;
	seen_count++;
	return 1;
}

/* count_lines - newlines in p[0..n), plus one for an unterminated tail */
static size_t count_lines(const char *p, size_t n)
{
	size_t c = 0;
	const char *e = p + n, *nl;

	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p)))) {
		c++;
		p = nl + 1;
	}
	return c + (p < e);
}

/* start_tmp - create DIR/NAME.tmp with mode for a cdb; dies on failure */
static void start_tmp(struct cdbx_make *m, int *open, const char *dir, const char *name, mode_t mode)
{
	struct str path = STR_INIT;

	if (!str_copys(&path, dir) || !str_append(&path, '/') || !str_cats(&path, name))
		die_nomem();
	if (cdbx_make_start(m, path.s, mode) < 0)
		die_sys("cannot create", path.s);
	*open = 1;
	str_free(&path);
}

/* writer_fail - record the writer's error doing what on m (for the main thread to report) */
static void writer_fail(const char *what, struct cdbx_make *m)
{
	int e = errno;

	pthread_mutex_lock(&q_lock);
	w_failed = 1;
	w_errno = e;
	w_make = m;
	w_what = what;
	pthread_cond_signal(&q_added);
	pthread_mutex_unlock(&q_lock);
}

/* write_records - the writer thread: add every published record to both
 * cdbs in order, then write the public cdb's hash tables and fsync it
 * (the main thread finishes the shadow cdb meanwhile); returns 0 (errors
 * go to writer_fail) */
static void *write_records(void *unused)
{
	struct rec_block *b = first_blk, *spent = 0;
	size_t off = 0, taken = 0, avail;
	int done;

	(void)unused;
	for (;;) {
		pthread_mutex_lock(&q_lock);
		while (spent) {	/* blocks read through go back for reuse */
			struct rec_block *n = spent->next;
			if (spent->cap == REC_BLOCK) {	/* a larger one is just left */
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
			uint32_t len[3];
			const char *k;

			memcpy(len, b->d + off, sizeof len);
			if (len[0] == REC_NEXT) {
				struct rec_block *n = b->next;
				b->next = spent;
				spent = b;
				b = n;
				off = 0;
				continue;
			}
			k = b->d + off + REC_HEAD;
			if (cdbx_make_add(&mpub, k, len[0], k + len[0], len[1]) < 0) {
				writer_fail("cannot write", &mpub);
				return 0;
			}
			if (len[2] && cdbx_make_add(&msh, k, len[0], k + len[0] + len[1], len[2]) < 0) {
				writer_fail("cannot write", &msh);
				return 0;
			}
			off += REC_HEAD + (size_t)len[0] + len[1] + len[2];
			taken++;
		}
	}
	pthread_mutex_lock(&q_lock);
	w_added = 1;
	pthread_cond_signal(&q_added);
	pthread_mutex_unlock(&q_lock);
	if (cdbx_make_end(&mpub) < 0)
		writer_fail("cannot write", &mpub);
	else if (cdbx_make_sync(&mpub) < 0)
		writer_fail("cannot fsync", &mpub);
	return 0;
}

/* blk_new - a block with room for need bytes, reused when it can be; 0 no memory */
static struct rec_block *blk_new(size_t need)
{
	struct rec_block *b = 0;
	size_t cap = need > REC_BLOCK ? need : REC_BLOCK;

	if (cap == REC_BLOCK) {
		pthread_mutex_lock(&q_lock);
		if ((b = q_free))
			q_free = b->next;
		pthread_mutex_unlock(&q_lock);
	}
	if (!b) {
		if (!(b = malloc(sizeof *b + cap)))
			return 0;
		b->all = all_blk;
		all_blk = b;
		b->dirty = 0;
	} else {
		b->dirty = b->dirty > b->used ? b->dirty : b->used;
	}
	b->next = 0;
	b->cap = cap;
	b->used = 0;
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
	pthread_cond_signal(&q_more);
	pthread_mutex_unlock(&q_lock);
	return ok;
}

/* die_writer - report the writer's error: stop it, clean up, exit 111 */
static void die_writer(void)
{
	writer_stop();
	errno = w_errno;
	die_sys(w_what, w_make->tmp.s);
}

/* put_rec - hand one checked record to the writer; dies on failure */
static void put_rec(const struct str *k, const struct str *pub, const struct str *sh)
{
	uint32_t len[3];
	size_t need = REC_HEAD + k->len + pub->len + sh->len;
	char *p;

	/* each part is shorter than a source line (UDB_LINE_MAX) */
	len[0] = (uint32_t)k->len;
	len[1] = (uint32_t)pub->len;
	len[2] = (uint32_t)sh->len;
	if (p_blk->used + need + sizeof len[0] > p_blk->cap) {
		struct rec_block *n = blk_new(need + sizeof len[0]);
		uint32_t next = REC_NEXT;
		if (!n)
			die_nomem();
		memcpy(p_blk->d + p_blk->used, &next, sizeof next);
		p_blk->used += sizeof next;
		p_blk->next = n;
		p_blk = n;
	}
	p = p_blk->d + p_blk->used;
	memcpy(p, len, sizeof len);
	memcpy(p + REC_HEAD, k->s, k->len);
	memcpy(p + REC_HEAD + k->len, pub->s, pub->len);
	memcpy(p + REC_HEAD + k->len + pub->len, sh->s, sh->len);
	p_blk->used += need;
	if (++p_count % REC_BATCH == 0 && !publish(0))
		die_writer();
}

int main(int argc, char **argv)
{
	struct str src = STR_INIT, dir = STR_INIT, key = STR_INIT;
	struct str pub = STR_INIT, sh = STR_INIT, bad = STR_INIT;
	struct udb_src files;
	const char *why = 0;
	int opt, r;
	size_t f;

	log_prog("makeuserdb");
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
	if (!(first_blk = p_blk = blk_new(0)))
		die_nomem();
	errno = pthread_create(&writer, 0, write_records, 0);
	if (errno)
		die_sys("cannot start a thread for", dir.s);
	writer_running = 1;

	for (f = 0; f < files.n; f++) {
		const char *file = files.files[f];
		const char *data;
		size_t i = 0, dlen, ahead = 0;
		unsigned long lineno = 0;

		r = udb_src_map(file, &data, &dlen, &why);
		if (r < 0)
			die_sys("cannot read", file);
		if (r == 0) {
			cleanup();
			diex(EX_T_USAGE, file, ": ", why);
		}
		/* size the table and the key arena once: no rehash, no copying */
		if (!seen_reserve(count_lines(data, dlen)) || !str_readyplus(&arena, dlen + 1))
			die_nomem();
		huge(arena.s, arena.a);
		while (i < dlen) {
			const char *s = data + i;
			const char *nl;
			size_t n;
			struct udb_line l;
			uint32_t h;

			for (; ahead < i + READ_AHEAD && ahead < dlen; ahead += CACHE_LINE)
				__builtin_prefetch(data + ahead);
			nl = memchr(s, '\n', dlen - i);
			n = nl ? (size_t)(nl - s) : dlen - i;

			i += n + 1;
			lineno++;
			r = udb_parse_line(s, n, &l, &why);
			if (r < 0)
				die_line(file, lineno, why);
			if (r == 0)
				continue;
			/* hash first and start loading the key's table slot, so the
			 * cache miss overlaps the checks of the record */
			if (!udb_key(l.addr, l.alen, &key))
				die_nomem();
			h = key_hash(key.s, key.len);
			__builtin_prefetch(&seen[h & (seen_size - 1)]);
			r = udb_record(l.rec, l.rlen, &pub, &sh, &why);
			if (r < 0)
				die_nomem();
			if (r == 0)
				die_line(file, lineno, why);
			r = seen_add(key.s, key.len, h);
			if (r < 0 && errno == E2BIG) {
				cleanup();
				diex(EX_T_USAGE, "more than 4 GiB of addresses");
			}
			if (r < 0)
				die_nomem();
			if (r == 0)
				die_line(file, lineno, "duplicate address");
			put_rec(&key, &pub, &sh);
		}
		udb_src_unmap(data, dlen);
	}
	str_wipe(&sh);

	/* the writer adds the last records; then each thread writes the hash
	 * tables of one cdb and fsyncs it, the public one in the writer */
	publish(1);
	pthread_mutex_lock(&q_lock);
	while (!w_added && !w_failed)
		pthread_cond_wait(&q_added, &q_lock);
	pthread_mutex_unlock(&q_lock);
	if (w_failed)
		die_writer();
	if (cdbx_make_end(&msh) < 0)
		die_sys("cannot write", msh.tmp.s);
	if (cdbx_make_sync(&msh) < 0)
		die_sys("cannot fsync", msh.tmp.s);
	pthread_join(writer, 0);
	writer_running = 0;
	if (w_failed)
		die_writer();
	blocks_free();
	/* both are complete: publish, shadow first so no public entry lacks its password */
	if (cdbx_make_rename(&msh) < 0)
		die_sys("cannot rename to", msh.final.s);
	if (cdbx_make_rename(&mpub) < 0)
		die_sys("cannot rename to", mpub.final.s);
	if (fsync_dir(mpub.final.s) < 0)
		die(EX_T_TEMP, "cannot fsync ", dir.s);
	str_free(&mpub.final);
	str_free(&msh.final);
	open_pub = open_sh = 0;
	/* everything is released, so that a leak checker sees none */
	str_free(&src);
	str_free(&dir);
	str_free(&key);
	str_free(&pub);
	str_free(&bad);
	str_free(&arena);
	free(seen);
	seen = 0;
	seen_size = seen_count = 0;
	udb_src_free(&files);
	return EX_T_OK;
}
