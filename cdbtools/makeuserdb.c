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
 *           order, so the two halves of the work run on two cores.  A
 *           part that is one run of the source line (the usual case: the
 *           password fields together) is handed over as a pointer into
 *           the mapped source, which stays mapped until the writer is
 *           done; only the others are copied.  Only the main thread exits
 *           or removes files, after stopping the writer.
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
#define REC_BLOCK (256UL * 1024)	/* a block: thousands of records, fits in the L2 cache */
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

/* the mapped source files, kept until the writer is done: records point into them */
struct src_map {
	const char *p;
	size_t n;
};
static struct src_map *maps;
static size_t nmaps;

/* populate - the writer's first job: bring the first source file's pages
 * into the address space (MADV_POPULATE_READ) while the main thread
 * starts checking it, instead of the main thread waiting for all of them */
static void populate(void)
{
	if (nmaps && maps[0].p)
		(void)madvise((void *)maps[0].p, maps[0].n, MADV_POPULATE_READ);	/* only a head start */
}

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
static size_t seen_size, seen_count;

/* the key arena: lower-cased copies of addresses written with upper-case
 * letters, in chunks that never move */
#define KEY_CHUNK (64UL * 1024)	/* far above the longest address (UDB_ADDR_MAX) */
struct key_chunk {
	struct key_chunk *next;
	size_t used;
	char d[KEY_CHUNK];
};
static struct key_chunk *keys;

/* lines in the sample of a source file that sizes the address table */
#define SIZE_SAMPLE (64UL * 1024)

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
		if (!seen[i].k)
			continue;
		for (j = seen[i].hash & (nsize - 1); ns[j].k; j = (j + 1) & (nsize - 1))
			;
		ns[j] = seen[i];
	}
	free(seen);
	seen = ns;
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
	const char *e = p + sample, *nl;

	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p)))) {
		c++;
		p = nl + 1;
	}
	/* scaled to the whole file, an eighth more for longer lines later;
	 * a wrong guess costs only a rehash (seen_add grows the table) */
	return n / sample * c + n / sample * c / 8 + c;
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
	populate();
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
			const struct hand *h = (const struct hand *)(b->d + off);

			if (h->kl == REC_NEXT) {
				struct rec_block *n = b->next;
				b->next = spent;
				spent = b;
				b = n;
				off = 0;
				continue;
			}
			if (cdbx_make_add(&mpub, h->k, h->kl, h->p, h->pl) < 0) {
				writer_fail("cannot write", &mpub);
				return 0;
			}
			if (h->sl && cdbx_make_add(&msh, h->k, h->kl, h->s, h->sl) < 0) {
				writer_fail("cannot write", &msh);
				return 0;
			}
			off += sizeof *h + h->copied;
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
	}
	p_blk->used += need;
	if (++p_count % REC_BATCH == 0 && !publish(0))
		die_writer();
}

/* map_file - map source file f into maps (with its pages populated
 * unless lazy: the writer populates the first); dies on failure */
static void map_file(const char *file, int lazy)
{
	const char *why = 0;
	int r = udb_src_map(file, &maps[nmaps].p, &maps[nmaps].n, lazy, &why);

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
	if (!(maps = calloc(files.n ? files.n : 1, sizeof *maps)))
		die_nomem();
	if (files.n)
		map_file(files.files[0], 1);
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

		if (f)
			map_file(file, 0);
		data = maps[f].p;
		dlen = maps[f].n;
		/* size the table once for the file: a rehash is rare */
		if (!seen_reserve(estimate_lines(data, dlen)))
			die_nomem();
		while (i < dlen) {
			const char *s = data + i;
			const char *nl, *k;
			size_t n;
			struct udb_line l;
			struct udb_span ps, ss;
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
			/* the key: the address itself unless it needs lower-casing */
			k = l.addr;
			if (has_upper(l.addr, l.alen) && !(k = key_lower(l.addr, l.alen)))
				die_nomem();
			/* hash first and start loading the key's table slot, so the
			 * cache miss overlaps the checks of the record */
			h = key_hash(k, l.alen);
			__builtin_prefetch(&seen[h & (seen_size - 1)]);
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
	str_wipe(&sh);
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
	maps_free();
	keys_free();
	str_free(&src);
	str_free(&dir);
	str_free(&pub);
	str_free(&bad);
	free(seen);
	seen = 0;
	seen_size = seen_count = 0;
	udb_src_free(&files);
	return EX_T_OK;
}
