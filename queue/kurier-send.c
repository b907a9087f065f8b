/*
 * kurier-send - the queue's scheduler: preprocess new messages, hand
 * their recipients to kurier-lspawn and kurier-rspawn, retry, bounce.
 * runs as:  kuriers, started by kurier-start (kurier-start(8)), which
 *           gives it fd 3/4 to and from kurier-lspawn, 5/6 to and from
 *           kurier-rspawn, 7/8 to and from kurier-clean; fd 1 is the log
 * trusts:   its own state in queue/info, local, remote, bounce; the
 *           envelopes in todo/ only as NUL-separated records; the
 *           spawners' and kurier-clean's replies only as far as their
 *           grammar: a malformed reply from a sibling is fatal
 * exit:     0 after SIGTERM once every delivery in flight is answered;
 *           111 when a sibling dies or the queue cannot be used
 *           (supervise then restarts the group through kurier-start)
 * cost:     no process and no exec of its own per message; a message
 *           finished in its first attempt (fresh): no fsync, no file
 *           written, one request to kurier-clean; a message settled: 4
 *           fsyncs (info, one of local/remote, and their directories; 6
 *           with both channels) and a second request, no file creation
 *           while finished messages leave files to reuse (the pool); one
 *           more fsync per bounced recipient (the bounce record)
 *
 * The whole schedule lives in memory: one record per message with its
 * next retry time per channel in a binary heap, so a queue of 100,000
 * waiting messages costs no directory scans.  todo/ is read only when
 * the trigger fifo says something arrived (and every TODO_RESCAN
 * seconds).  A new message's first attempt runs from todo/ID with its
 * recipients in memory; only a message that attempt does not finish is
 * settled into info/, local/ and remote/ files, and todo/ID removed.
 * The files are the truth; after a crash, startup rebuilds everything
 * from info/, local/, remote/, bounce/ and todo/ (a message still in
 * todo/ is taken in afresh, its first attempt repeated).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>		/* rename only; no stdio streams */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "cdbx.h"
#include "control.h"
#include "date822.h"
#include "error.h"
#include "exitcode.h"
#include "log.h"
#include "qfile.h"
#include "../smtpd/rcptcheck.h"
#include "sandbox.h"
#include "scan.h"
#include "sched.h"
#include "str.h"

/* the channels */
#define LOCAL 0
#define REMOTE 1

/* descriptors from kurier-start */
#define FD_LSPAWN_TO 3
#define FD_LSPAWN_FROM 4
#define FD_RSPAWN_TO 5
#define FD_RSPAWN_FROM 6
#define FD_CLEAN_TO 7
#define FD_CLEAN_FROM 8

/* defaults of the control files (kurier-send(8)) */
#define DEF_CONC_LOCAL 10
#define DEF_CONC_REMOTE 20
#define DEF_CONC_DOMAIN 5	/* parallel deliveries to one remote domain, to be a polite client */
#define DEF_LIFETIME (7ULL * 86400)	/* queuelifetime, as qmail's 604800 */
#define DEF_DELAYWARN (4ULL * 3600)	/* delaywarning: RFC 3461's "delayed" DSN, after 4 hours */
/* RFC 5321 4.5.3.1.8: a server must take at least 100 recipients per transaction */
#define RCPT_GROUP_MAX 100
/* jobs (a message on one channel with its recipient file read) held at once, per unit of concurrency */
#define JOBS_PER_SLOT 2
/* fresh messages (first attempt straight from todo/, recipients in memory) held at
 * once, per unit of concurrencylocal + concurrencyremote: as many as the jobs the
 * two channels may hold, so that every free job slot has a message to take */
#define FRESH_PER_SLOT JOBS_PER_SLOT
/* seconds a message may stay fresh: a first attempt that takes longer (a slow
 * remote MX) is settled, so that its place among the fresh goes to new mail */
#define FRESH_HOLD 30
/* messages preprocessed before the loop looks at replies again */
#define TODO_BATCH 200
/* seconds between todo/ scans without a trigger (a lost trigger byte costs at most this) */
#define TODO_RESCAN 300
/* seconds before a bounce or a todo entry that failed for a temporary reason is tried again */
#define LATER 60
/* a reply held from a spawner: RCPT_GROUP_MAX fields of SCHED_FIELD_MAX bytes and their NULs */
#define REPLY_MAX (RCPT_GROUP_MAX * (SCHED_FIELD_MAX + 1) + 64)
/* read chunk from the pipes */
#define READ_CHUNK 65536
/* the largest original message quoted whole in a bounce; beyond it, its header only */
#define BOUNCE_BODY_MAX 100000
/* address space; the schedule is about 150 bytes per waiting message */
#define SEND_MEM_MAX (1024ULL * 1024 * 1024)
/* queue(5): a kurier-queue run lasts at most 24 hours; an unclaimed message file older than this is dead */
#define ORPHAN_AGE (36LL * 3600)
/* the sender of double bounces, as qmail: a bounce of it is a triple bounce */
#define DOUBLE_SENDER "#@[]"

static const char *chan_name[2] = { "local", "remote" };
static const char *chan_dir[2] = { "local", "remote" };
static const long long chan_quantum[2] = { SCHED_QUANTUM_LOCAL, SCHED_QUANTUM_REMOTE };

/* --- settings ------------------------------------------------------------- */

static unsigned conc[2], conc_domain;
static unsigned long long lifetime, delaywarn;
static struct str me, defaulthost, defaultdomain, doublebounceto, bouncefrom, bouncehost;

/* --- the in-memory schedule ---------------------------------------------- */

struct job;

struct msg {
	unsigned long long id;
	long long birth;		/* the envelope's t: when it was queued */
	long long next[2];		/* next attempt per channel */
	long hi[2];			/* index in heap[c], or -1 */
	struct job *job[2];		/* the channel's job while one is loaded */
	unsigned char done[2];		/* the channel has nothing pending */
	unsigned char warned;		/* a delay warning went out */
	unsigned char bounce;		/* bounce/ID holds failures not yet reported */
	unsigned char removing;		/* kurier-qmsg remove */
	unsigned char fresh;		/* first attempt from todo/ID: no state files yet */
	unsigned char progress;		/* fresh, and a recipient is done */
	unsigned char finishing;	/* fresh and finished, but kurier-clean could not remove it yet */
	long fi;			/* index in freshv while fresh */
	long long admitted;		/* when it was taken in fresh */
	struct str fb[2];		/* fresh: a channel's T records until its job loads */
	long long bounce_next;		/* when to retry a failed bounce injection */
	char *sender;
	unsigned long long qp, uid;
	struct msg *hnext;
};

struct rcpt {
	size_t off;		/* offset of the T/D byte in the file */
	const char *addr;	/* inside the file's bytes */
	size_t len;
	unsigned char state;	/* R_* */
	unsigned long long dno;	/* delivery number while in flight */
};
#define R_PENDING 0
#define R_FLIGHT 1
#define R_DONE 2
#define R_DEFERRED 3

struct job {
	struct msg *m;
	int chan;
	int fd;			/* the channel file, O_RDWR, for done marks */
	struct str file;
	struct rcpt *r;
	size_t n;
	size_t inflight;
	size_t undispatched;
	int deferred;
	struct str lasttext;	/* the last deferral, for a delay warning */
	struct job *next;
};

struct dlv {
	int used;
	int chan;
	unsigned long long slot;
	struct job *j;
	size_t idx[RCPT_GROUP_MAX];
	size_t n;
	const char *dom;	/* remote: the domain (inside the job's file) */
	size_t domlen;
};

static struct msg **htab;
static size_t hsize, hcount;
static struct msg **heap[2];
static size_t heapn[2], heapa[2];
static struct job *jobs[2];
static size_t njobs[2];
static struct dlv *dlvs;
static size_t ndlvs;
static unsigned inflight[2];
static unsigned long long dno_next = 1;
static struct msg **freshv;	/* the fresh messages */
static size_t nfresh, afresh;
static unsigned long long todo_cursor;	/* the last id taken in from todo/ */

/* --- pipes ----------------------------------------------------------------- */

struct pipeio {
	int in, out;
	struct str ib, ob;
	int dead;
};
static struct pipeio sp[2];

static volatile sig_atomic_t sig_term, sig_alrm, sig_hup;
static int stopping, exitcode;
static int trig_fd = -1, trig_wfd = -1;
static int want_todo = 1, want_cmd = 1;
static long long todo_next, bounce_scan_next;
static struct str tmp, lline;

/* now - the time in seconds */
static long long now(void)
{
	return (long long)time(0);
}

/* --- logging (qmail-send's words, one line each, on fd 1) ------------------- */

/* nomem - out of memory is fatal: the state is on disk, a restart rebuilds it */
static void nomem(void) __attribute__((noreturn));
static void nomem(void)
{
	diex(EX_T_TEMP, "out of memory");
}

/* L - start a log line */
static void L(const char *s)
{
	str_truncate(&lline, 0);
	if (!str_cats(&lline, s)) nomem();
}
/* Ls - append plain text */
static void Ls(const char *s)
{
	if (!str_cats(&lline, s)) nomem();
}
/* Lu - append a number */
static void Lu(unsigned long long u)
{
	if (!str_catu(&lline, u)) nomem();
}
/* Lx - append bytes from outside, escaped */
static void Lx(const char *s, size_t n)
{
	if (!log_safe(&lline, s, n)) nomem();
}
/* Lend - end and write the line */
static void Lend(void)
{
	size_t i = 0;
	if (!str_append(&lline, '\n')) nomem();
	while (i < lline.len) {
		ssize_t w = write(1, lline.s + i, lline.len - i);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) break;
		i += (size_t)w;
	}
}

/* --- small file helpers ---------------------------------------------------- */

/* qpath - "dir/S/id" into p */
static void qpath(struct str *p, const char *dir, unsigned long long id)
{
	if (!qfile_path(p, dir, id)) nomem();
}

/* write_all - write n bytes; 1 ok, 0 error */
static int write_all(int fd, const char *x, size_t n)
{
	while (n) {
		ssize_t w = write(fd, x, n);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) { if (w == 0) errno = EIO; return 0; }
		x += w;
		n -= (size_t)w;
	}
	return 1;
}

/* file_put - create path (truncating) with bytes x[0..n), fsync when sync; 1 ok, 0 error */
static int file_put(const char *path, const char *x, size_t n, int sync, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	int e;

	if (fd == -1) return 0;
	if (!write_all(fd, x, n) || (sync && fsync(fd) == -1)) {
		e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return 0;
	}
	return close(fd) == 0;
}

/* scan_dir - the names in flat directory dir, each NUL-terminated, into out; 1 ok, 0 error */
static int scan_dir(const char *dir, struct str *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	str_truncate(out, 0);
	if (!d) return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			if (!str_cats(out, e->d_name) || !str_0(out)) nomem();
	closedir(d);
	return 1;
}

/*
 * The reuse pool.  Creating a file costs an inode allocation, which on a
 * busy queue is most of what settling a message costs (ext4 scans its inode
 * bitmap past every inode freed in the last seconds); renaming an
 * existing file costs none.  So the info, local and remote files of a
 * finished message are emptied and parked as DIR/.reuse.N (a name no id
 * scan parses), and settling renames one back under the new id
 * before it writes.  A parked file holds nothing, and a reused one is
 * written and fsynced like a new one before todo/ID goes, so the pool
 * changes no guarantee; after a crash the files of any message whose
 * todo/ID still exists are dropped and it is taken in again (load_info).
 */
#define POOL_MAX 256		/* parked files per directory: more than a burst of settled messages finishes at once */
#define POOL_PREFIX ".reuse."
#define POOL_INFO 0
static const char *pool_dir[3] = { "info", "local", "remote" };
static unsigned long long pool_name[3][POOL_MAX];
static size_t pool_len[3];
static unsigned long long pool_seq = 1;

/* pool_path - "DIR/.reuse.K" into p */
static void pool_path(struct str *p, int d, unsigned long long k)
{
	if (!str_copys(p, pool_dir[d]) || !str_append(p, '/') || !str_cats(p, POOL_PREFIX) ||
	    !str_catu(p, k) || !str_0(p)) nomem();
}

/* pool_take - rename a parked file of directory d to path; 1 done, 0 none (create it) */
static int pool_take(int d, const char *path)
{
	struct str p = STR_INIT;
	int ok = 0;

	while (!ok && pool_len[d]) {
		pool_path(&p, d, pool_name[d][--pool_len[d]]);
		ok = rename(p.s, path) == 0;	/* ENOENT: someone cleared the pool; try the next */
	}
	str_free(&p);
	return ok;
}

/* pool_give - empty path and park it in d's pool, else remove it; 1 path is gone, 0 not */
static int pool_give(int d, const char *path)
{
	struct str p = STR_INIT;
	struct stat st;
	int fd, parked = 0;

	if (pool_len[d] < POOL_MAX) {
		fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT) return 1;
		if (fd != -1) {
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1) {
				pool_path(&p, d, pool_seq);
				if (rename(path, p.s) == 0) {
					pool_name[d][pool_len[d]++] = pool_seq++;
					parked = 1;
				}
				str_free(&p);
			}
			close(fd);
		}
		if (parked) return 1;
	}
	return unlink(path) == 0 || errno == ENOENT;
}

/* pool_load - at startup: take up the files parked by the last run */
static void pool_load(void)
{
	struct str p = STR_INIT;
	size_t k = strlen(POOL_PREFIX);
	int d;

	for (d = 0; d < 3; d++) {
		DIR *dir = opendir(pool_dir[d]);
		struct dirent *e;
		if (!dir) continue;
		while ((e = readdir(dir))) {
			unsigned long long n;
			if (strncmp(e->d_name, POOL_PREFIX, k) || !scan_ulongs(e->d_name + k, &n)) continue;
			if (n >= pool_seq) pool_seq = n + 1;
			if (pool_len[d] < POOL_MAX) {
				pool_name[d][pool_len[d]++] = n;
			} else {
				pool_path(&p, d, n);
				unlink(p.s);
			}
		}
		closedir(dir);
	}
	str_free(&p);
}

/* dir_sync - fsync directory "dir/S"; 1 ok, 0 error */
static int dir_sync(const char *dir, unsigned s)
{
	char d[64];
	size_t k = strlen(dir);
	int fd, r;

	memcpy(d, dir, k);
	d[k++] = '/';
	d[k + fmt_ulong(d + k, s)] = 0;
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) return 0;
	r = fsync(fd);
	close(fd);
	return r == 0;
}

/* --- the message table and the heaps ---------------------------------------- */

/* hslot - the bucket of id */
static size_t hslot(unsigned long long id, size_t size)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ULL) >> 20) & (size - 1);
}

/* msg_find - the record of id, or 0 */
static struct msg *msg_find(unsigned long long id)
{
	struct msg *m;

	if (!hsize) return 0;
	for (m = htab[hslot(id, hsize)]; m; m = m->hnext)
		if (m->id == id) return m;
	return 0;
}

/* msg_new - a new record for id in the table; it */
static struct msg *msg_new(unsigned long long id)
{
	struct msg *m;
	size_t h;

	if (hcount >= hsize) {
		size_t ns = hsize ? hsize * 2 : 4096, i;
		struct msg **nt = calloc(ns, sizeof *nt);
		if (!nt) nomem();
		for (i = 0; i < hsize; i++)
			while (htab[i]) {
				struct msg *x = htab[i];
				htab[i] = x->hnext;
				h = hslot(x->id, ns);
				x->hnext = nt[h];
				nt[h] = x;
			}
		free(htab);
		htab = nt;
		hsize = ns;
	}
	m = calloc(1, sizeof *m);
	if (!m) nomem();
	m->id = id;
	m->hi[0] = m->hi[1] = -1;
	m->done[0] = m->done[1] = 1;
	h = hslot(id, hsize);
	m->hnext = htab[h];
	htab[h] = m;
	hcount++;
	return m;
}

/* fresh_add - count m among the fresh messages */
static void fresh_add(struct msg *m)
{
	if (nfresh == afresh) {
		size_t na = afresh ? afresh * 2 : 64;
		struct msg **nv = realloc(freshv, na * sizeof *nv);
		if (!nv) nomem();
		freshv = nv;
		afresh = na;
	}
	m->fresh = 1;
	m->fi = (long)nfresh;
	freshv[nfresh++] = m;
}

/* fresh_del - m is no longer fresh: drop it from freshv and free its records */
static void fresh_del(struct msg *m)
{
	if (!m->fresh) return;
	freshv[m->fi] = freshv[--nfresh];
	freshv[m->fi]->fi = m->fi;
	m->fresh = 0;
	str_free(&m->fb[0]);
	str_free(&m->fb[1]);
}

/* fresh_max - how many messages may be fresh at once */
static size_t fresh_max(void)
{
	return (size_t)(conc[LOCAL] + conc[REMOTE]) * FRESH_PER_SLOT;
}

/* msg_forget - remove m from the table and free it (it is in no heap or job) */
static void msg_forget(struct msg *m)
{
	struct msg **p = &htab[hslot(m->id, hsize)];

	while (*p != m) p = &(*p)->hnext;
	*p = m->hnext;
	hcount--;
	fresh_del(m);
	free(m->sender);
	free(m);
}

/* heap_swap - exchange two heap entries of channel c */
static void heap_swap(int c, size_t a, size_t b)
{
	struct msg *t = heap[c][a];
	heap[c][a] = heap[c][b];
	heap[c][b] = t;
	heap[c][a]->hi[c] = (long)a;
	heap[c][b]->hi[c] = (long)b;
}

/* heap_fix - restore the heap order around index i */
static void heap_fix(int c, size_t i)
{
	while (i > 0 && heap[c][(i - 1) / 2]->next[c] > heap[c][i]->next[c]) {
		heap_swap(c, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, s = i;
		if (l < heapn[c] && heap[c][l]->next[c] < heap[c][s]->next[c]) s = l;
		if (l + 1 < heapn[c] && heap[c][l + 1]->next[c] < heap[c][s]->next[c]) s = l + 1;
		if (s == i) break;
		heap_swap(c, i, s);
		i = s;
	}
}

/* heap_put - schedule m on channel c at time t (or move it there) */
static void heap_put(int c, struct msg *m, long long t)
{
	m->next[c] = t;
	if (m->hi[c] < 0) {
		if (heapn[c] == heapa[c]) {
			size_t na = heapa[c] ? heapa[c] * 2 : 4096;
			struct msg **nh = realloc(heap[c], na * sizeof *nh);
			if (!nh) nomem();
			heap[c] = nh;
			heapa[c] = na;
		}
		heap[c][heapn[c]] = m;
		m->hi[c] = (long)heapn[c]++;
	}
	heap_fix(c, (size_t)m->hi[c]);
}

/* heap_del - take m off channel c's heap */
static void heap_del(int c, struct msg *m)
{
	size_t i = (size_t)m->hi[c];

	if (m->hi[c] < 0) return;
	heapn[c]--;
	if (i != heapn[c]) {
		heap[c][i] = heap[c][heapn[c]];
		heap[c][i]->hi[c] = (long)i;
		heap_fix(c, i);
	}
	m->hi[c] = -1;
}

/* --- control files ----------------------------------------------------------- */

/* cap - n limited to 1..conf-spawn */
static unsigned cap(unsigned long long n)
{
	if (n < 1) n = 1;
	if (n > auto_spawn) n = auto_spawn;
	return (unsigned)n;
}

/* config - read the control files; 1 ok, 0 a file could not be read (old values kept) */
static int config(void)
{
	unsigned long long cl, cr, cd, lt, dw;

	if (control_me(&me) < 0) return 0;
	if (control_readulong(&cl, "concurrencylocal", DEF_CONC_LOCAL) < 0 ||
	    control_readulong(&cr, "concurrencyremote", DEF_CONC_REMOTE) < 0 ||
	    control_readulong(&cd, "concurrencydomain", DEF_CONC_DOMAIN) < 0 ||
	    control_readduration(&lt, "queuelifetime", DEF_LIFETIME) < 0 ||
	    control_readduration(&dw, "delaywarning", DEF_DELAYWARN) < 0 ||
	    control_readdefault(&defaulthost, "defaulthost") < 0 ||
	    control_readdefault(&defaultdomain, "defaultdomain") < 0 ||
	    control_readline(&doublebounceto, "doublebounceto", "postmaster") < 0 ||
	    control_readline(&bouncefrom, "bouncefrom", "MAILER-DAEMON") < 0 ||
	    control_readdefault(&bouncehost, "bouncehost") < 0)
		return 0;
	conc[LOCAL] = cap(cl);
	conc[REMOTE] = cap(cr);
	conc_domain = cap(cd);
	lifetime = lt;
	delaywarn = dw;
	/* "postmaster" alone means postmaster at me, as qmail */
	if (doublebounceto.len && !memchr(doublebounceto.s, '@', doublebounceto.len))
		if (!str_append(&doublebounceto, '@') || !str_cat(&doublebounceto, &me)) nomem();
	return 1;
}

/* --- kurier-clean -------------------------------------------------------------- */

static struct pipeio cl;

/* clean_ask - send request r[0..n) to kurier-clean and wait for its reply
 * into tmp; the reply's letter K, Z or D.  A dead or garbling kurier-clean
 * is fatal. */
static char clean_ask(const char *r, size_t n)
{
	char c;

	if (!write_all(cl.out, r, n)) die(EX_T_TEMP, "kurier-clean is gone");
	str_truncate(&tmp, 0);
	for (;;) {
		ssize_t k = read(cl.in, &c, 1);
		if (k < 0 && errno == EINTR) continue;
		if (k <= 0) diex(EX_T_TEMP, "kurier-clean is gone");
		if (!c) break;
		if (tmp.len >= SCHED_FIELD_MAX) diex(EX_T_TEMP, "kurier-clean: reply too long");
		if (!str_append(&tmp, c)) nomem();
	}
	if (!tmp.len || (tmp.s[0] != 'K' && tmp.s[0] != 'Z' && tmp.s[0] != 'D'))
		diex(EX_T_TEMP, "kurier-clean: malformed reply");
	return tmp.s[0];
}

/* clean_simple - ask kurier-clean for "Pid" or "Mid"; 1 done, 0 not */
static int clean_simple(char what, unsigned long long id)
{
	char r[FMT_ULONG + 2];
	size_t n = 0;
	char c;

	r[n++] = what;
	n += fmt_ulong(r + n, id);
	r[n++] = 0;
	c = clean_ask(r, n);
	if (c != 'K') {
		L("warning: kurier-clean: ");
		Lx(tmp.s + 1, tmp.len - 1);
		Lend();
	}
	return c == 'K';
}

/* --- delivery records on disk ----------------------------------------------------- */

/* mark_done - turn recipient i of j from T into D in its file (in memory while
 * the message is fresh); 1 ok, 0 error */
static int mark_done(struct job *j, size_t i)
{
	if (j->m->fresh) {
		j->file.s[j->r[i].off] = 'D';
		j->m->progress = 1;
		return 1;
	}
	for (;;) {
		ssize_t w = pwrite(j->fd, "D", 1, (off_t)j->r[i].off);
		if (w == 1) return 1;
		if (w < 0 && errno == EINTR) continue;
		return 0;
	}
}

/*
 * settle - give fresh message m the state files of a preprocessed one:
 * local/ID and remote/ID from the records in memory (a job's, with the
 * done marks, or those of a job not loaded yet; a channel with nothing
 * left gets no file), then info/ID, each fsynced, then their directories,
 * and only then has kurier-clean remove todo/ID and intd/ID.  Until that
 * last step nothing trusts the files: a restart finds todo/ID, drops them
 * (load_info) and takes the message in afresh.  1 settled (its jobs now
 * mark done recipients in the files), 0 not (it stays fresh; the files
 * left are rewritten by the next try)
 */
static int settle(struct msg *m)
{
	struct str p = STR_INIT, info = STR_INIT;
	unsigned s = (unsigned)(m->id % auto_split);
	int c, ok = 0;

	for (c = 0; c < 2; c++) {
		const struct str *b = m->job[c] ? &m->job[c]->file : &m->fb[c];
		qpath(&p, chan_dir[c], m->id);
		if (!b->len) {
			if (unlink(p.s) == -1 && errno != ENOENT) goto fail;
			continue;
		}
		pool_take(1 + c, p.s);
		if (!file_put(p.s, b->s, b->len, 1, 0600) || !dir_sync(chan_dir[c], s)) goto fail;
	}
	if (!str_append(&info, 'F') || !str_cats(&info, m->sender) || !str_0(&info) ||
	    !str_append(&info, 't') || !str_catu(&info, (unsigned long long)m->birth) || !str_0(&info) ||
	    !str_append(&info, 'q') || !str_catu(&info, m->qp) || !str_0(&info) ||
	    !str_append(&info, 'u') || !str_catu(&info, m->uid) || !str_0(&info)) nomem();
	qpath(&p, "info", m->id);
	pool_take(POOL_INFO, p.s);
	if (!file_put(p.s, info.s, info.len, 1, 0600) || !dir_sync("info", s)) goto fail;
	if (!clean_simple('P', m->id)) goto out;
	for (c = 0; c < 2; c++)
		if (m->job[c]) {
			qpath(&p, chan_dir[c], m->id);
			m->job[c]->fd = open(p.s, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
			if (m->job[c]->fd == -1) {
				L("warning: unable to open "); Ls(p.s); Ls(": "); Ls(error_str(errno)); Lend();
			}
		}
	fresh_del(m);
	L("settled msg "); Lu(m->id); Lend();
	ok = 1;
	goto out;
fail:
	L("warning: unable to settle msg "); Lu(m->id); Ls(": "); Ls(error_str(errno)); Lend();
out:
	str_free(&p);
	str_free(&info);
	return ok;
}

/* bounce_add - append a failure record "Aaddr\0Xtext\0" to bounce/ID and fsync it;
 * 1 ok, 0 error (the recipient then stays pending) */
static int bounce_add(struct msg *m, const char *a, size_t al, const char *t, size_t tl)
{
	struct str p = STR_INIT, rec = STR_INIT;
	int fd, ok;

	if (!str_cats(&p, "bounce/") || !str_catu(&p, m->id) || !str_0(&p)) nomem();
	if (!str_append(&rec, 'A') || !str_catb(&rec, a, al) || !str_0(&rec) ||
	    !str_append(&rec, 'X') || !str_catb(&rec, t, tl) || !str_0(&rec)) nomem();
	fd = open(p.s, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	ok = fd != -1 && write_all(fd, rec.s, rec.len) && fsync(fd) == 0;
	if (fd != -1) close(fd);
	if (!ok) {
		L("warning: unable to write bounce/"); Lu(m->id); Ls(": "); Ls(error_str(errno)); Lend();
	} else {
		m->bounce = 1;
	}
	str_free(&p);
	str_free(&rec);
	return ok;
}

/* --- bounces and delay warnings (RFC 3464) ------------------------------------------ */

/* printable - append t[0..n) to s with anything outside printable ASCII as "?" */
static void printable(struct str *s, const char *t, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		char c = t[i];
		if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e) c = '?';
		if (!str_append(s, c)) nomem();
	}
}

/* cat - append a C string or die */
static void cat(struct str *s, const char *t)
{
	if (!str_cats(s, t)) nomem();
}

/* catdate - append an RFC 5322 date */
static void catdate(struct str *s, long long t)
{
	char d[DATE822_MAX];
	if (!str_catb(s, d, date822_fmt(d, (time_t)t))) nomem();
}

/*
 * dsn_compose - an RFC 3464 report into out: action "failed" for the
 * records in f[0..fl) (A/X pairs), or "delayed" (warn) for them; the
 * original message from mess/ quoted whole up to BOUNCE_BODY_MAX bytes,
 * else its header only.  1 ok, 0 the original could not be read.
 */
static int dsn_compose(struct str *out, struct msg *m, const char *f, size_t fl, int warn,
		       const char *to)
{
	struct str p = STR_INIT, orig = STR_INIT, b = STR_INIT;
	size_t i, hdr;
	int r;
	long long t = now();

	qpath(&p, "mess", m->id);
	r = qfile_read(p.s, &orig);
	str_free(&p);
	if (r <= 0) { str_free(&orig); return 0; }
	if (!str_cats(&b, "kurier-") || !str_catu(&b, m->id) || !str_append(&b, '-') ||
	    !str_catu(&b, (unsigned long long)t)) nomem();

	str_truncate(out, 0);
	cat(out, "From: "); printable(out, bouncefrom.s, bouncefrom.len);
	cat(out, "@"); printable(out, bouncehost.s, bouncehost.len); cat(out, "\n");
	cat(out, "To: "); printable(out, to, strlen(to)); cat(out, "\n");
	cat(out, warn ? "Subject: Delivery Status Notification (Delay)\n"
		      : "Subject: Delivery Status Notification (Failure)\n");
	cat(out, "Date: "); catdate(out, t); cat(out, "\n");
	cat(out, "Message-ID: <"); cat(out, b.s); cat(out, ".dsn@"); printable(out, me.s, me.len); cat(out, ">\n");
	cat(out, "Auto-Submitted: auto-replied\n");	/* RFC 3834: never answer this automatically */
	cat(out, "MIME-Version: 1.0\n");
	cat(out, "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"");
	cat(out, b.s); cat(out, "\"\n\n");
	cat(out, "This is a MIME-formatted message (RFC 3464 delivery status notification).\n\n");

	cat(out, "--"); cat(out, b.s); cat(out, "\nContent-Type: text/plain; charset=us-ascii\n\n");
	cat(out, "This is kurier-send at "); printable(out, me.s, me.len); cat(out, ".\n");
	if (warn)
		cat(out, "Your message has not been delivered yet to the addresses below.\n"
			 "Nothing needs to be done: delivery will be tried again until ");
	else
		cat(out, "I could not deliver your message to the addresses below.\n"
			 "This is a permanent error; I have given up.\n");
	if (warn) { catdate(out, m->birth + (long long)lifetime); cat(out, ".\n"); }
	cat(out, "\n");
	for (i = 0; i < fl; ) {
		const char *a = f + i + 1, *x;
		size_t al = strlen(a), xl;
		x = a + al + 1;
		xl = strlen(x + 1);
		cat(out, "<"); printable(out, a, al); cat(out, ">:\n");
		printable(out, x + 1, xl); cat(out, "\n\n");
		i += al + 2 + xl + 2;
	}

	cat(out, "--"); cat(out, b.s); cat(out, "\nContent-Type: message/delivery-status\n\n");
	cat(out, "Reporting-MTA: dns; "); printable(out, me.s, me.len); cat(out, "\n");
	cat(out, "X-Kurier-Queue-ID: "); if (!str_catu(out, m->id)) nomem(); cat(out, "\n");
	cat(out, "X-Original-Sender: rfc822; "); printable(out, m->sender, strlen(m->sender)); cat(out, "\n");
	cat(out, "Arrival-Date: "); catdate(out, m->birth); cat(out, "\n");
	for (i = 0; i < fl; ) {
		const char *a = f + i + 1, *x;
		size_t al = strlen(a), xl;
		char st[16];
		x = a + al + 1;
		xl = strlen(x + 1);
		sched_status(st, x + 1, xl, !warn);
		cat(out, "\nFinal-Recipient: rfc822; "); printable(out, a, al);
		cat(out, warn ? "\nAction: delayed\nStatus: " : "\nAction: failed\nStatus: ");
		cat(out, st);
		cat(out, "\nDiagnostic-Code: x-kurier; "); printable(out, x + 1, xl);
		cat(out, "\nLast-Attempt-Date: "); catdate(out, t);
		if (warn) { cat(out, "\nWill-Retry-Until: "); catdate(out, m->birth + (long long)lifetime); }
		cat(out, "\n");
		i += al + 2 + xl + 2;
	}
	cat(out, "\n--"); cat(out, b.s);
	if (orig.len <= BOUNCE_BODY_MAX) {
		cat(out, "\nContent-Type: message/rfc822\n\n");
		if (!str_cat(out, &orig)) nomem();
	} else {
		/* the header ends at the first empty line */
		for (hdr = 0; hdr < orig.len; hdr++)
			if (orig.s[hdr] == '\n' && (hdr + 1 == orig.len || orig.s[hdr + 1] == '\n')) break;
		if (hdr > BOUNCE_BODY_MAX) hdr = BOUNCE_BODY_MAX;
		cat(out, "\nContent-Type: text/rfc822-headers\n\n");
		if (!str_catb(out, orig.s, hdr)) nomem();
	}
	if (out->len && out->s[out->len - 1] != '\n') cat(out, "\n");
	cat(out, "\n--"); cat(out, b.s); cat(out, "--\n");
	str_free(&orig);
	str_free(&b);
	return 1;
}

/* inject - have kurier-clean queue bounce/NAME from sender to rcpt; 'K', 'Z' or 'D' */
static char inject(const char *name, const char *sender, const char *rcpt, unsigned long long *qp)
{
	struct str r = STR_INIT;
	char c;

	if (!str_append(&r, 'B') || !str_cats(&r, name) || !str_0(&r) ||
	    !str_append(&r, 'F') || !str_cats(&r, sender) || !str_0(&r) ||
	    !str_append(&r, 'T') || !str_cats(&r, rcpt) || !str_0(&r) || !str_0(&r)) nomem();
	c = clean_ask(r.s, r.len);
	str_free(&r);
	*qp = 0;
	if (c == 'K') scan_ulong(tmp.s + 1, tmp.len - 1, qp);
	return c;
}

/* bounce_send - report bounce/ID's failures to the sender (double bounce to
 * doublebounceto, a triple bounce is dropped); 1 done, 0 try later */
static int bounce_send(struct msg *m)
{
	struct str p = STR_INIT, f = STR_INIT, out = STR_INIT, name = STR_INIT;
	const char *to, *from;
	unsigned long long qp;
	int r, done = 0;
	char c;

	if (!str_cats(&p, "bounce/") || !str_catu(&p, m->id) || !str_0(&p)) nomem();
	r = qfile_read(p.s, &f);
	if (r == 0) { m->bounce = 0; done = 1; goto out; }
	if (r < 0) goto later;
	if (!f.len || m->removing) goto drop;
	if (!strcmp(m->sender, DOUBLE_SENDER)) {
		L("triple bounce: discarding bounce/"); Lu(m->id); Lend();
		goto drop;
	}
	if (!*m->sender) {
		if (!doublebounceto.len) {
			L("double bounce: discarding bounce/"); Lu(m->id); Lend();
			goto drop;
		}
		to = doublebounceto.s;
		from = DOUBLE_SENDER;
	} else {
		to = m->sender;
		from = "";
	}
	if (!dsn_compose(&out, m, f.s, f.len, 0, to)) goto later;
	if (!str_catu(&name, m->id) || !str_cats(&name, ".msg") || !str_0(&name)) nomem();
	{
		struct str np = STR_INIT;
		if (!str_cats(&np, "bounce/") || !str_cats(&np, name.s) || !str_0(&np)) nomem();
		r = file_put(np.s, out.s, out.len, 0, 0640);
		if (!r) {
			L("warning: unable to write "); Ls(np.s); Ls(": "); Ls(error_str(errno)); Lend();
			str_free(&np);
			goto later;
		}
		c = inject(name.s, from, to, &qp);
		unlink(np.s);
		str_free(&np);
	}
	if (c == 'Z') {
		L("warning: bounce msg "); Lu(m->id); Ls(" deferred: "); Lx(tmp.s + 1, tmp.len - 1); Lend();
		goto later;
	}
	if (c == 'D') {
		L("warning: bounce msg "); Lu(m->id); Ls(" refused, discarding: "); Lx(tmp.s + 1, tmp.len - 1); Lend();
	} else {
		L("bounce msg "); Lu(m->id); Ls(" qp "); Lu(qp); Lend();
	}
drop:
	unlink(p.s);
	m->bounce = 0;
	done = 1;
	goto out;
later:
	m->bounce_next = now() + LATER;
out:
	str_free(&p); str_free(&f); str_free(&out); str_free(&name);
	return done;
}

/* warn_send - a delay warning for job j's deferred recipients, once per message */
static void warn_send(struct job *j)
{
	struct msg *m = j->m;
	struct str f = STR_INIT, out = STR_INIT, name = STR_INIT, np = STR_INIT;
	unsigned long long qp;
	size_t i;
	char c;
	int fd;

	if (m->warned || !*m->sender || !strcmp(m->sender, DOUBLE_SENDER) || !delaywarn ||
	    now() < m->birth + (long long)delaywarn)
		return;
	for (i = 0; i < j->n; i++)
		if (j->r[i].state == R_DEFERRED)
			if (!str_append(&f, 'A') || !str_catb(&f, j->r[i].addr, j->r[i].len) || !str_0(&f) ||
			    !str_append(&f, 'X') || !str_cat(&f, &j->lasttext) || !str_0(&f)) nomem();
	if (!f.len || !dsn_compose(&out, m, f.s, f.len, 1, m->sender)) goto out;
	if (!str_catu(&name, m->id) || !str_cats(&name, ".warn") || !str_0(&name)) nomem();
	if (!str_cats(&np, "bounce/") || !str_cats(&np, name.s) || !str_0(&np)) nomem();
	if (!file_put(np.s, out.s, out.len, 0, 0640)) goto out;
	c = inject(name.s, "", m->sender, &qp);
	unlink(np.s);
	if (c == 'Z') goto out;
	if (c == 'K') { L("delay warning msg "); Lu(m->id); Ls(" qp "); Lu(qp); Lend(); }
	m->warned = 1;
	/* remember it across restarts: a W record after F and t in info */
	qpath(&np, "info", m->id);
	fd = open(np.s, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1) {
		(void)!write_all(fd, "W\0", 2);
		close(fd);
	}
out:
	str_free(&f); str_free(&out); str_free(&name); str_free(&np);
}

/* --- finishing messages -------------------------------------------------------------- */

/*
 * fresh_done - fresh message m is finished in its first attempt: one
 * request has kurier-clean remove todo/ID and intd/ID, then mess/ID; 1
 * removed.  In that order a crash in between leaves at most an orphan
 * message file (startup_orphans), and the id, the message file's inode,
 * cannot come back for a new message while todo/ID still names the old
 * one.  If todo/ID could not go, the record stays (finishing) and
 * bounces_due asks again; it still holds its place among the fresh.
 */
static int fresh_done(struct msg *m)
{
	struct str p = STR_INIT;
	int k = clean_simple('F', m->id), left;

	qpath(&p, "todo", m->id);
	left = !k && access(p.s, F_OK) == 0;
	str_free(&p);
	if (left) {
		m->finishing = 1;
		m->bounce_next = now() + LATER;
		return 0;
	}
	L("end msg "); Lu(m->id); Lend();
	heap_del(LOCAL, m);
	heap_del(REMOTE, m);
	msg_forget(m);
	return 1;
}

/*
 * msg_done - everything delivered or bounced: remove the message; 1 removed.
 * Our own files go first and the message file last: the queue id is the
 * message file's inode, and once mess/ID is gone kurier-queue may give the
 * same number to a new message, which a leftover info/ID must never claim.
 * A crash in between leaves an orphan mess/ID, removed by startup_orphans.
 */
static int msg_done(struct msg *m)
{
	struct str p = STR_INIT;

	if (m->fresh) return fresh_done(m);
	qpath(&p, "local", m->id); pool_give(1 + LOCAL, p.s);
	qpath(&p, "remote", m->id); pool_give(1 + REMOTE, p.s);
	qpath(&p, "info", m->id);
	if (!pool_give(POOL_INFO, p.s)) {
		L("warning: unable to remove "); Ls(p.s); Ls(": "); Ls(error_str(errno)); Lend();
		str_free(&p);
		return 0;
	}
	str_free(&p);
	clean_simple('M', m->id);
	L("end msg "); Lu(m->id); Lend();
	heap_del(LOCAL, m);
	heap_del(REMOTE, m);
	msg_forget(m);
	return 1;
}

/* msg_check - after a job ends: bounce when nothing is in flight, remove when all is done */
static void msg_check(struct msg *m)
{
	if (m->job[LOCAL] || m->job[REMOTE]) return;
	if (m->bounce && m->bounce_next <= now() && !bounce_send(m)) return;
	if (m->bounce) return;
	if (m->removing || (m->done[LOCAL] && m->done[REMOTE])) {
		m->done[LOCAL] = m->done[REMOTE] = 1;
		heap_del(LOCAL, m);
		heap_del(REMOTE, m);
		msg_done(m);
	}
}

/* job_free - release a job */
static void job_free(struct job *j)
{
	struct job **p = &jobs[j->chan];

	while (*p != j) p = &(*p)->next;
	*p = j->next;
	njobs[j->chan]--;
	j->m->job[j->chan] = 0;
	if (j->fd != -1) close(j->fd);
	str_free(&j->file);
	str_free(&j->lasttext);
	free(j->r);
	free(j);
}

/* job_end - a job with nothing in flight and nothing left to start */
static void job_end(struct job *j)
{
	struct msg *m = j->m;
	int c = j->chan;

	if (j->deferred && !m->removing) {
		if (m->fresh && !settle(m)) {
			/* it stays fresh: the next attempt takes these records, done marks and all */
			str_free(&m->fb[c]);
			m->fb[c] = j->file;
			j->file = (struct str)STR_INIT;
		} else {
			warn_send(j);
		}
		heap_put(c, m, sched_next(m->birth, now(), chan_quantum[c]));
	} else {
		m->done[c] = 1;
	}
	job_free(j);
	msg_check(m);
}

/* job_start and job_fresh - below */
static struct job *job_start(struct job *j);
static struct job *job_fresh(struct msg *m, int c);

/* job_load - read m's channel file (or take a fresh message's records) into a
 * new job; the job, or 0 (channel done or error) */
static struct job *job_load(struct msg *m, int c)
{
	struct str p = STR_INIT;
	struct job *j;
	struct stat st;

	if (m->fresh) return job_fresh(m, c);
	j = calloc(1, sizeof *j);
	if (!j) nomem();
	j->m = m;
	j->chan = c;
	qpath(&p, chan_dir[c], m->id);
	j->fd = open(p.s, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	str_free(&p);
	if (j->fd == -1) {
		if (errno != ENOENT) {
			L("warning: unable to open "); Ls(chan_dir[c]); Ls("/"); Lu(m->id); Ls(": ");
			Ls(error_str(errno)); Lend();
			free(j);
			heap_put(c, m, now() + LATER);
			return 0;
		}
		free(j);
		m->done[c] = 1;
		msg_check(m);
		return 0;
	}
	if (fstat(j->fd, &st) == -1 || !str_ready(&j->file, (size_t)st.st_size + 1)) nomem();
	while (j->file.len < (size_t)st.st_size) {
		ssize_t r = read(j->fd, j->file.s + j->file.len, (size_t)st.st_size - j->file.len);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		j->file.len += (size_t)r;
	}
	return job_start(j);
}

/* job_fresh - fresh m's channel c records into a new job; the job, or 0 (channel done) */
static struct job *job_fresh(struct msg *m, int c)
{
	struct job *j;

	if (!m->fb[c].len) {
		m->done[c] = 1;
		msg_check(m);
		return 0;
	}
	j = calloc(1, sizeof *j);
	if (!j) nomem();
	j->m = m;
	j->chan = c;
	j->fd = -1;
	j->file = m->fb[c];
	m->fb[c] = (struct str)STR_INIT;
	if (!str_readyplus(&j->file, 1)) nomem();
	return job_start(j);
}

/* job_start - index the records of j's file and enter j; it, or 0 (nothing to do: ended) */
static struct job *job_start(struct job *j)
{
	struct msg *m = j->m;
	int c = j->chan;
	size_t i, k;

	j->file.s[j->file.len] = 0;
	for (i = 0, k = 0; i < j->file.len; i++)
		if (!j->file.s[i]) k++;
	j->r = calloc(k ? k : 1, sizeof *j->r);
	if (!j->r) nomem();
	for (i = 0; i < j->file.len; ) {
		size_t l = strlen(j->file.s + i);
		if (i + l >= j->file.len) break;	/* a torn last record: ignore it */
		if (l > 1 && (j->file.s[i] == 'T' || j->file.s[i] == 'D')) {
			struct rcpt *r = &j->r[j->n++];
			r->off = i;
			r->addr = j->file.s + i + 1;
			r->len = l - 1;
			r->state = j->file.s[i] == 'T' ? R_PENDING : R_DONE;
			if (r->state == R_PENDING) j->undispatched++;
		}
		i += l + 1;
	}
	j->next = jobs[c];
	jobs[c] = j;
	njobs[c]++;
	m->job[c] = j;
	if (!j->undispatched || m->removing) {
		job_end(j);
		return 0;
	}
	return j;
}

/* --- deliveries ------------------------------------------------------------------------ */

/* dlv_get - a free delivery record */
static struct dlv *dlv_get(void)
{
	size_t i;
	for (i = 0; i < ndlvs; i++)
		if (!dlvs[i].used) return &dlvs[i];
	return 0;
}

/* domain_busy - deliveries in flight to domain d[0..n) */
static unsigned domain_busy(const char *d, size_t n)
{
	size_t i;
	unsigned k = 0;
	for (i = 0; i < ndlvs; i++)
		if (dlvs[i].used && dlvs[i].chan == REMOTE && dlvs[i].domlen == n && !memcmp(dlvs[i].dom, d, n))
			k++;
	return k;
}

/* dispatch_job - start what conc allows of job j's pending recipients; 1 if anything started */
static int dispatch_job(struct job *j)
{
	int c = j->chan, any = 0;
	size_t i, k;

	for (i = 0; i < j->n && j->undispatched && inflight[c] < conc[c]; i++) {
		struct dlv *d;
		struct str *o = &sp[c].ob;
		const char *dom = 0;
		size_t domlen = 0;

		if (j->r[i].state != R_PENDING) continue;
		if (c == REMOTE) {
			dom = sched_domain(j->r[i].addr, j->r[i].len, &domlen);
			if (domain_busy(dom, domlen) >= conc_domain) continue;
		}
		d = dlv_get();
		if (!d) break;
		d->used = 1;
		d->chan = c;
		d->j = j;
		d->n = 0;
		d->dom = dom;
		d->domlen = domlen;
		d->slot = dno_next;
		for (k = i; k < j->n && d->n < (c == REMOTE ? RCPT_GROUP_MAX : 1); k++) {
			size_t dl;
			const char *kd;
			if (j->r[k].state != R_PENDING) continue;
			if (c == REMOTE) {
				kd = sched_domain(j->r[k].addr, j->r[k].len, &dl);
				if (dl != domlen || memcmp(kd, dom, dl)) continue;
			}
			d->idx[d->n++] = k;
			j->r[k].state = R_FLIGHT;
			j->r[k].dno = dno_next++;
			j->undispatched--;
		}
		if (!str_catu(o, d->slot) || !str_0(o) || !str_cats(o, "mess/") ||
		    !str_catu(o, j->m->id % auto_split) || !str_append(o, '/') ||
		    !str_catu(o, j->m->id) || !str_0(o) || !str_cats(o, j->m->sender) || !str_0(o)) nomem();
		for (k = 0; k < d->n; k++) {
			struct rcpt *r = &j->r[d->idx[k]];
			if (!str_catb(o, r->addr, r->len) || !str_0(o)) nomem();
			L("starting delivery "); Lu(r->dno); Ls(": msg "); Lu(j->m->id); Ls(" to ");
			Ls(chan_name[c]); Ls(" "); Lx(r->addr, r->len); Lend();
		}
		if (!str_0(o)) nomem();
		j->inflight++;
		inflight[c]++;
		any = 1;
	}
	return any;
}

/* dispatch - start deliveries on channel c while there is room */
static void dispatch(int c)
{
	struct job *j;
	long long t = now();

	if (stopping || sp[c].dead) return;
	for (j = jobs[c]; j && inflight[c] < conc[c]; j = j->next)
		if (j->undispatched) dispatch_job(j);
	while (inflight[c] < conc[c] && heapn[c] && heap[c][0]->next[c] <= t &&
	       njobs[c] < (size_t)conc[c] * JOBS_PER_SLOT) {
		struct msg *m = heap[c][0];
		heap_del(c, m);
		if (m->job[c]) continue;
		j = job_load(m, c);
		if (j) dispatch_job(j);
	}
}

/* result - the answer text[0..n) (starting K, Z or D) for recipient i of delivery d */
static void result(struct dlv *d, size_t i, const char *text, size_t n)
{
	struct job *j = d->j;
	struct msg *m = j->m;
	struct rcpt *r = &j->r[d->idx[i]];
	char v = text[0];
	int bounce = 0;

	L("delivery "); Lu(r->dno); Ls(v == 'K' ? ": success: " : v == 'D' ? ": failure: " : ": deferral: ");
	Lx(text + 1, n - 1);
	Lend();
	if (v == 'Z' && lifetime && now() >= m->birth + (long long)lifetime) {
		struct str t = STR_INIT;
		if (!str_cats(&t, "D5.4.7 I'm not going to try again; this message has been in the queue too long. Last error: ") ||
		    !str_catb(&t, text + 1, n - 1)) nomem();
		/* a bounce record is written only once todo/ID is gone (settle) */
		bounce = (!m->fresh || settle(m)) && bounce_add(m, r->addr, r->len, t.s + 1, t.len - 1);
		str_free(&t);
		if (!bounce) v = 'Z';
		else v = 'D';
	} else if (v == 'D') {
		if ((m->fresh && !settle(m)) || !bounce_add(m, r->addr, r->len, text + 1, n - 1)) v = 'Z';
	}
	if (v == 'Z') {
		r->state = R_DEFERRED;
		j->deferred = 1;
		if (!str_copyb(&j->lasttext, text + 1, n - 1)) nomem();
		return;
	}
	if (!mark_done(j, d->idx[i])) {
		L("warning: unable to mark delivery "); Lu(r->dno); Ls(" done: "); Ls(error_str(errno)); Lend();
	}
	r->state = R_DONE;
}

/* dlv_finish - delivery d has all its answers */
static void dlv_finish(struct dlv *d)
{
	struct job *j = d->j;

	d->used = 0;
	inflight[d->chan]--;
	j->inflight--;
	if (!j->inflight && !j->undispatched) job_end(j);
}

/* replies - handle every whole reply held from spawner c */
static void replies(int c)
{
	struct str *b = &sp[c].ib;
	size_t used = 0;

	for (;;) {
		unsigned long long slot;
		size_t f, nf, i;
		long r = sched_reply(b->s + used, b->len - used, &slot, &f, &nf);
		struct dlv *d = 0;

		if (r < 0) diex(EX_T_TEMP, c == LOCAL ? "kurier-lspawn: malformed reply" : "kurier-rspawn: malformed reply");
		if (r == 0) break;
		for (i = 0; i < ndlvs; i++)
			if (dlvs[i].used && dlvs[i].chan == c && dlvs[i].slot == slot) { d = &dlvs[i]; break; }
		if (!d || nf != d->n)
			diex(EX_T_TEMP, c == LOCAL ? "kurier-lspawn: reply for no delivery" : "kurier-rspawn: reply for no delivery");
		f += used;
		for (i = 0; i < nf; i++) {
			size_t l = strlen(b->s + f);
			result(d, i, b->s + f, l);
			f += l + 1;
		}
		used += (size_t)r;
		dlv_finish(d);
	}
	if (used) {
		memmove(b->s, b->s + used, b->len - used);
		str_truncate(b, b->len - used);
	}
	if (b->len > REPLY_MAX) diex(EX_T_TEMP, "spawner reply too long");
}

/* spawner_dead - spawner c is gone: its deliveries in flight are deferred; stop */
static void spawner_dead(int c)
{
	size_t i;

	L(c == LOCAL ? "alert: kurier-lspawn is gone" : "alert: kurier-rspawn is gone");
	Lend();
	sp[c].dead = 1;
	stopping = 1;
	exitcode = EX_T_TEMP;
	for (i = 0; i < ndlvs; i++) {
		struct dlv *d = &dlvs[i];
		size_t k;
		if (!d->used || d->chan != c) continue;
		for (k = 0; k < d->n; k++)
			result(d, k, "Zthe spawner died during the delivery", 37);
		dlv_finish(d);
	}
}

/* --- preprocessing ------------------------------------------------------------------------ */

/* classify - local (0) or remote (1) for rewritten address a; -1 temporary failure */
static int classify(const char *a, size_t n)
{
	struct rcptcheck rc = { auto_home, 0, 0 };
	size_t dl;
	const char *d = sched_domain(a, n, &dl);
	struct str p = STR_INIT, key = STR_INIT, v = STR_INIT;
	int r;

	r = rcpt_domain(&rc, d, dl);
	if (r == DOM_TEMP) return -1;
	if (r == DOM_LOCAL || r == DOM_HOSTED) return LOCAL;
	/* an alias of a foreign domain (makealiases keys it in lower case) */
	if (!control_path(&p, "aliases.cdb") || !rcpt_lower(&key, a, n)) nomem();
	r = cdbx_get(p.s, key.s, key.len, &v);
	if (r == 0 && dl) {
		if (!str_copys(&key, "@") || !str_catb(&key, d, dl) || !rcpt_lower(&v, key.s, key.len)) nomem();
		r = cdbx_get(p.s, v.s, v.len, &key);
	}
	str_free(&p); str_free(&key); str_free(&v);
	if (r < 0) return -1;
	return r > 0 ? LOCAL : REMOTE;
}

/* env_field - the next record of e at *i; its start, or 0 at the end */
static const char *env_field(const struct str *e, size_t *i)
{
	const char *f;
	size_t l;
	if (*i >= e->len) return 0;
	f = e->s + *i;
	l = strnlen(f, e->len - *i);
	if (*i + l >= e->len) return 0;	/* no NUL: a torn record */
	*i += l + 1;
	return f;
}

/* what preprocess did with a todo entry */
#define PRE_LATER 0	/* a temporary failure: try again later */
#define PRE_TAKEN 1	/* taken in fresh */
#define PRE_DROP 2	/* no message or no sender: its todo entry goes */

/*
 * preprocess - take todo/ID in as a fresh message: its recipients
 * rewritten and split into local and remote T records held in memory,
 * no file written (settle writes them when the first attempt does not
 * finish the message); PRE_TAKEN, PRE_DROP or PRE_LATER
 */
static int preprocess(unsigned long long id)
{
	struct str p = STR_INIT, e = STR_INIT, ch[2] = { STR_INIT, STR_INIT }, a = STR_INIT;
	const char *f, *sender = 0;
	unsigned long long uid = 0, qp = 0, birth = 0;
	size_t i = 0;
	struct stat st;
	int r, c, ret = PRE_LATER;
	struct msg *m;

	qpath(&p, "todo", id);
	r = qfile_read(p.s, &e);
	if (r == 0) goto out;
	if (r < 0) goto fail;
	qpath(&p, "mess", id);
	if (stat(p.s, &st) == -1) {
		if (errno != ENOENT) goto fail;
		L("warning: todo/"); Lu(id); Ls(" has no message; removing it"); Lend();
		ret = PRE_DROP;
		goto out;
	}
	while ((f = env_field(&e, &i))) {
		if (f[0] == 'u') scan_ulongs(f + 1, &uid);
		else if (f[0] == 'p') scan_ulongs(f + 1, &qp);
		else if (f[0] == 't') scan_ulongs(f + 1, &birth);
		else if (f[0] == 'F') sender = f + 1;
		else if (f[0] == 'T' && sender) {
			if (!sched_rewrite(&a, f + 1, strlen(f + 1), defaulthost.s, defaultdomain.s)) nomem();
			c = classify(a.s, a.len);
			if (c < 0) { errno = EAGAIN; goto fail; }
			if (!str_append(&ch[c], 'T') || !str_cat(&ch[c], &a) || !str_0(&ch[c])) nomem();
		}
	}
	if (!sender) {
		L("warning: todo/"); Lu(id); Ls(" has no sender; removing it"); Lend();
		ret = PRE_DROP;
		goto out;
	}
	if (!birth) birth = (unsigned long long)st.st_mtime;
	L("new msg "); Lu(id); Lend();
	L("info msg "); Lu(id); Ls(": bytes "); Lu((unsigned long long)st.st_size); Ls(" from <");
	Lx(sender, strlen(sender)); Ls("> qp "); Lu(qp); Ls(" uid "); Lu(uid); Lend();
	m = msg_new(id);
	m->birth = (long long)birth;
	m->sender = strdup(sender);
	if (!m->sender) nomem();
	m->qp = qp;
	m->uid = uid;
	m->admitted = now();
	fresh_add(m);
	ret = PRE_TAKEN;
	for (c = 0; c < 2; c++)
		if (ch[c].len) {
			m->fb[c] = ch[c];
			ch[c] = (struct str)STR_INIT;
			m->done[c] = 0;
			heap_put(c, m, now());
		}
	if (m->done[LOCAL] && m->done[REMOTE]) msg_check(m);
	goto out;
fail:
	L("warning: trouble preprocessing todo/"); Lu(id); Ls(": "); Ls(error_str(errno)); Lend();
out:
	str_free(&p); str_free(&e); str_free(&ch[0]); str_free(&ch[1]); str_free(&a);
	return ret;
}

/* todo_room - 1 if a todo scan may take messages in: the fresh are at most
 * half their cap, so that a scan under load takes in many at once */
static int todo_room(void)
{
	return nfresh <= fresh_max() / 2;
}

/*
 * todo_scan - take in up to TODO_BATCH messages from todo/ while fewer than
 * fresh_max are fresh.  Entries of messages already fresh are skipped; the
 * scan starts after the id it took in last, so under a full cap every
 * entry gets its turn.  An entry left over is kept for the next scan
 * (want_todo), which waits for todo_room.
 */
static void todo_scan(void)
{
	unsigned long long *ids = 0, drop[TODO_BATCH];
	long n = qfile_ids("todo", &ids), i, k = 0, first, took = 0;

	want_todo = 0;
	todo_next = now() + TODO_RESCAN;
	if (n < 0) {
		L("warning: unable to scan todo: "); Ls(error_str(errno)); Lend();
		free(ids);
		todo_next = now() + LATER;
		return;
	}
	/* qfile_ids gives them in ascending order */
	for (first = 0; first < n && ids[first] <= todo_cursor; first++) ;
	for (i = 0; i < n && took < TODO_BATCH && k < TODO_BATCH; i++) {
		unsigned long long id = ids[(first + i) % n];
		struct msg *m = msg_find(id);
		int r;
		if (m) {
			/* fresh: in its first attempt, todo/ID is its only record (or
			 * finished, and its removal failed); else settled, and only
			 * the removal of todo/ID failed */
			if (!m->fresh) drop[k++] = id;
			else if (m->finishing) msg_check(m);	/* ask kurier-clean again */
			continue;
		}
		if (nfresh >= fresh_max()) break;
		r = preprocess(id);
		if (r == PRE_TAKEN) { took++; todo_cursor = id; }
		else if (r == PRE_DROP) drop[k++] = id;
		else todo_next = now() + LATER;
	}
	if (i < n) want_todo = 1;
	free(ids);
	for (i = 0; i < k; i++)
		if (!clean_simple('P', drop[i])) todo_next = now() + LATER;
}

/* fresh_expire - settle the fresh messages held longer than FRESH_HOLD;
 * the time the next one is due */
static long long fresh_expire(void)
{
	long long t = now(), next = t + TODO_RESCAN;
	size_t i = 0;

	while (i < nfresh) {
		struct msg *m = freshv[i];
		if (!m->finishing && t >= m->admitted + FRESH_HOLD) {
			if (settle(m)) continue;	/* freshv[i] is another message now */
			m->admitted = t;		/* another hold before the next try */
		}
		if (!m->finishing && m->admitted + FRESH_HOLD < next) next = m->admitted + FRESH_HOLD;
		i++;
	}
	return next;
}

/* fresh_exit - before exiting: settle the fresh messages that have a
 * recipient done, so a restart does not deliver to it again */
static void fresh_exit(void)
{
	size_t i = 0;

	while (i < nfresh) {
		struct msg *m = freshv[i];
		if (m->progress && !m->finishing && settle(m)) continue;
		i++;
	}
}

/* --- startup and administrator requests ---------------------------------------------------- */

/*
 * startup_due - when a message found at startup is first tried: at once
 * while it is younger than its first retry (it may never have been tried),
 * else at the next point of its schedule, so that a restart with a large
 * queue of deferred mail does not retry all of it at the same moment
 */
static long long startup_due(const struct msg *m, int c)
{
	long long t = now();

	if (t < m->birth + chan_quantum[c] * chan_quantum[c]) return t;
	return sched_next(m->birth, t, chan_quantum[c]);
}

/* load_info - rebuild the record of message id from info/ at startup */
static void load_info(unsigned long long id)
{
	struct str p = STR_INIT, f = STR_INIT;
	struct msg *m;
	const char *x;
	size_t i = 0;
	int c, r;

	/* todo/ID still there: a settle did not finish, and nothing trusts its
	 * files; the message is taken in afresh from todo/ID (todo_scan) */
	qpath(&p, "todo", id);
	if (access(p.s, F_OK) == 0) {
		qpath(&p, "local", id); unlink(p.s);
		qpath(&p, "remote", id); unlink(p.s);
		qpath(&p, "info", id); unlink(p.s);
		goto out;
	}
	qpath(&p, "info", id);
	r = qfile_read(p.s, &f);
	if (r <= 0) goto out;
	m = msg_new(id);
	while ((x = env_field(&f, &i))) {
		if (x[0] == 'F' && !m->sender) m->sender = strdup(x + 1);
		else if (x[0] == 't') { unsigned long long b; scan_ulongs(x + 1, &b); m->birth = (long long)b; }
		else if (x[0] == 'q') scan_ulongs(x + 1, &m->qp);
		else if (x[0] == 'u') scan_ulongs(x + 1, &m->uid);
		else if (x[0] == 'W') m->warned = 1;
	}
	if (!m->sender) m->sender = strdup("");
	if (!m->sender) nomem();
	qpath(&p, "mess", id);
	if (access(p.s, F_OK) == -1 && errno == ENOENT) {
		/* removed before a crash: finish the removal */
		qpath(&p, "bounce", id);	/* not split, but harmless */
		if (!str_copys(&p, "bounce/") || !str_catu(&p, id) || !str_0(&p)) nomem();
		unlink(p.s);
		qpath(&p, "local", id); unlink(p.s);
		qpath(&p, "remote", id); unlink(p.s);
		qpath(&p, "info", id); unlink(p.s);
		L("end msg "); Lu(id); Lend();
		msg_forget(m);
		goto out;
	}
	for (c = 0; c < 2; c++) {
		qpath(&p, chan_dir[c], id);
		if (access(p.s, F_OK) == 0) {
			m->done[c] = 0;
			heap_put(c, m, startup_due(m, c));
		}
	}
out:
	str_free(&p);
	str_free(&f);
}

/* startup_orphans - at startup: ask kurier-clean to remove message files
 * that have neither a todo entry nor our state, once they are older than
 * ORPHAN_AGE (a kurier-queue run may still be writing a young one) */
static void startup_orphans(void)
{
	unsigned long long *ids = 0;
	long n = qfile_ids("mess", &ids), i;
	struct str p = STR_INIT;
	long long cut = now() - ORPHAN_AGE;

	for (i = 0; i < n; i++) {
		struct stat st;
		if (msg_find(ids[i])) continue;
		qpath(&p, "todo", ids[i]);
		if (access(p.s, F_OK) == 0) continue;
		qpath(&p, "mess", ids[i]);
		if (stat(p.s, &st) == -1 || (long long)st.st_mtime > cut) continue;
		qpath(&p, "info", ids[i]);
		if (access(p.s, F_OK) == 0) continue;
		L("status: removing orphan mess/"); Lu(ids[i] % auto_split); Ls("/"); Lu(ids[i]); Lend();
		clean_simple('M', ids[i]);
	}
	free(ids);
	str_free(&p);
}

/* startup_finish - messages with nothing pending at startup (a crash
 * came between the removal of their local/remote files and of info):
 * bounce what is owed and finish them */
static void startup_finish(void)
{
	size_t i;

	for (i = 0; i < hsize; i++) {
		struct msg *m = htab[i], *nx;
		for (; m; m = nx) {
			nx = m->hnext;
			if (m->done[LOCAL] && m->done[REMOTE]) msg_check(m);
		}
	}
}

/* bounce_scan - at startup: bounce/ID marks a message whose bounce is still owed */
static void bounce_scan(void)
{
	struct str names = STR_INIT, p = STR_INIT;
	size_t i;

	if (!scan_dir("bounce", &names)) return;
	for (i = 0; i < names.len; i += strlen(names.s + i) + 1) {
		unsigned long long id;
		struct msg *m;
		if (!str_copys(&p, "bounce/") || !str_cats(&p, names.s + i) || !str_0(&p)) nomem();
		if (!scan_ulongs(names.s + i, &id) || !(m = msg_find(id))) {
			unlink(p.s);	/* a composed copy, or left by a finished message */
			continue;
		}
		m->bounce = 1;
	}
	str_free(&names);
	str_free(&p);
}

/* cmd_scan - act on kurier-qmsg's requests in cmd/ */
static void cmd_scan(void)
{
	struct str names = STR_INIT, p = STR_INIT;
	size_t i;

	want_cmd = 0;
	if (!scan_dir("cmd", &names)) return;
	for (i = 0; i < names.len; i += strlen(names.s + i) + 1) {
		const char *n = names.s + i;
		unsigned long long id;
		struct msg *m = 0;
		int c;
		if (!str_copys(&p, "cmd/") || !str_cats(&p, n) || !str_0(&p)) nomem();
		if (!strncmp(n, "retry.", 6) && scan_ulongs(n + 6, &id) && (m = msg_find(id))) {
			L("retry msg "); Lu(id); Lend();
			for (c = 0; c < 2; c++)
				if (!m->done[c] && !m->job[c]) heap_put(c, m, now());
			m->bounce_next = 0;
		} else if (!strncmp(n, "remove.", 7) && scan_ulongs(n + 7, &id) && (m = msg_find(id))) {
			L("remove msg "); Lu(id); Lend();
			m->removing = 1;
			unlink(p.s);
			msg_check(m);
			continue;
		}
		unlink(p.s);
	}
	str_free(&names);
	str_free(&p);
}

/* --- signals and the loop ----------------------------------------------------------------- */

/* on_signal - note the signal for the loop */
static void on_signal(int s)
{
	if (s == SIGTERM) sig_term = 1;
	else if (s == SIGALRM) sig_alrm = 1;
	else if (s == SIGHUP) sig_hup = 1;
}

/* retry_all - SIGALRM: every waiting message is due now */
static void retry_all(void)
{
	int c;
	size_t i;
	long long t = now();

	for (c = 0; c < 2; c++)
		for (i = 0; i < heapn[c]; i++)
			heap[c][i]->next[c] = t;
	for (i = 0; i < hsize; i++) {
		struct msg *m;
		for (m = htab[i]; m; m = m->hnext) m->bounce_next = 0;
	}
}

/* bounces_due - send the bounces whose retry time came, for messages at rest */
static void bounces_due(void)
{
	size_t i;
	long long t = now();

	if (bounce_scan_next > t) return;
	bounce_scan_next = t + LATER;
	for (i = 0; i < hsize; i++) {
		struct msg *m = htab[i], *nx;
		for (; m; m = nx) {
			nx = m->hnext;
			if ((m->bounce || m->removing || m->finishing) && !m->job[0] && !m->job[1] &&
			    m->bounce_next <= t)
				msg_check(m);
		}
	}
}

/* pipe_setup - non-blocking pipe pair for channel or clean */
static void pipe_setup(struct pipeio *p, int out, int in, int nonblock)
{
	p->out = out;
	p->in = in;
	if (fcntl(out, F_GETFD) == -1 || fcntl(in, F_GETFD) == -1)
		diex(EX_T_USAGE, "run me through kurier-start: descriptors 3 to 8 are missing");
	fcntl(out, F_SETFD, FD_CLOEXEC);
	fcntl(in, F_SETFD, FD_CLOEXEC);
	if (nonblock) {
		fcntl(out, F_SETFL, fcntl(out, F_GETFL) | O_NONBLOCK);
		fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
	}
}

/* trigger_open - open the trigger fifo for reading, and a writer that keeps it from hanging up */
static void trigger_open(void)
{
	if (trig_fd != -1) close(trig_fd);
	if (trig_wfd != -1) close(trig_wfd);
	trig_fd = open("lock/trigger", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (trig_fd == -1) die(EX_T_TEMP, "unable to open lock/trigger");
	trig_wfd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
}

int main(int argc, char **argv)
{
	struct sandbox sb = { 0 };
	struct sigaction sa;
	sigset_t block, old;
	unsigned long long *ids = 0;
	long n, i;
	int c;

	(void)argc; (void)argv;
	log_prog("kurier-send");
	log_fd(1);
	if (chdir(auto_home) == -1) die(EX_T_TEMP, "unable to chdir to", auto_home);
	pipe_setup(&sp[LOCAL], FD_LSPAWN_TO, FD_LSPAWN_FROM, 1);
	pipe_setup(&sp[REMOTE], FD_RSPAWN_TO, FD_RSPAWN_FROM, 1);
	pipe_setup(&cl, FD_CLEAN_TO, FD_CLEAN_FROM, 0);
	if (getuid() == 0) sb.user = auto_user_s;
	sb.allow = SANDBOX_FILES;
	sb.mem = SEND_MEM_MAX;
	if (sandbox_enter(&sb) != 1) die(EX_T_TEMP, "unable to enter the sandbox");
	if (chdir("queue") == -1) die(EX_T_TEMP, "unable to chdir to the queue");
	if (!config()) die(EX_T_TEMP, "unable to read the control files");
	ndlvs = (size_t)auto_spawn * 2;
	dlvs = calloc(ndlvs, sizeof *dlvs);
	if (!dlvs) nomem();

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, 0);
	sigaction(SIGALRM, &sa, 0);
	sigaction(SIGHUP, &sa, 0);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);

	trigger_open();
	/* rebuild the schedule from the files */
	n = qfile_ids("info", &ids);
	if (n < 0) die(EX_T_TEMP, "unable to scan info");
	for (i = 0; i < n; i++) load_info(ids[i]);
	free(ids);
	pool_load();
	bounce_scan();
	startup_finish();
	startup_orphans();
	L("status: kurier-send started with "); Lu(hcount); Ls(" messages in the queue"); Lend();

	for (;;) {
		struct pollfd pf[6];
		int np = 0, ti = -1, li[2] = { -1, -1 }, lo[2] = { -1, -1 };
		long long t = now(), wake = t + TODO_RESCAN, fwake = wake;
		struct timespec ts;

		if (sig_hup) {
			sig_hup = 0;
			if (!config()) { L("warning: unable to reread the control files"); Lend(); }
			else { L("status: control files reread"); Lend(); }
		}
		if (sig_alrm) {
			sig_alrm = 0;
			L("status: retrying everything now"); Lend();
			retry_all();
			want_todo = want_cmd = 1;
		}
		if (sig_term && !stopping) {
			L("status: exiting once deliveries in flight are answered"); Lend();
			stopping = 1;
		}
		if (stopping && !inflight[LOCAL] && !inflight[REMOTE]) {
			fresh_exit();
			L("status: exiting"); Lend();
			return exitcode;
		}
		if (!stopping) {
			if (want_cmd) cmd_scan();
			if ((want_todo && todo_room()) || todo_next <= t) todo_scan();
			bounces_due();
			fwake = fresh_expire();
		}
		for (c = 0; c < 2; c++) {
			dispatch(c);
			if (!stopping && heapn[c] && njobs[c] < (size_t)conc[c] * JOBS_PER_SLOT &&
			    inflight[c] < conc[c] && heap[c][0]->next[c] < wake)
				wake = heap[c][0]->next[c];
		}
		if (want_todo && todo_room()) wake = t;
		if (todo_next < wake) wake = todo_next;
		if (fwake < wake) wake = fwake;
		if (!stopping) {
			pf[np].fd = trig_fd; pf[np].events = POLLIN; ti = np++;
		}
		for (c = 0; c < 2; c++) {
			if (sp[c].dead) continue;
			pf[np].fd = sp[c].in; pf[np].events = POLLIN; li[c] = np++;
			if (sp[c].ob.len) { pf[np].fd = sp[c].out; pf[np].events = POLLOUT; lo[c] = np++; }
		}
		ts.tv_sec = wake > t ? (time_t)(wake - t) : 0;
		ts.tv_nsec = 0;
		if (ppoll(pf, (nfds_t)np, &ts, &old) < 0) {
			if (errno == EINTR) continue;
			die(EX_T_TEMP, "poll failed");
		}
		if (ti >= 0 && pf[ti].revents) {
			char junk[512];
			while (read(trig_fd, junk, sizeof junk) > 0) ;
			if (pf[ti].revents & (POLLHUP | POLLERR)) trigger_open();
			want_todo = want_cmd = 1;
		}
		for (c = 0; c < 2; c++) {
			if (lo[c] >= 0 && pf[lo[c]].revents) {
				ssize_t w = write(sp[c].out, sp[c].ob.s, sp[c].ob.len);
				if (w > 0) {
					memmove(sp[c].ob.s, sp[c].ob.s + w, sp[c].ob.len - (size_t)w);
					str_truncate(&sp[c].ob, sp[c].ob.len - (size_t)w);
				} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
					str_truncate(&sp[c].ob, 0);
					spawner_dead(c);
					continue;
				}
			}
			if (li[c] >= 0 && pf[li[c]].revents) {
				ssize_t r;
				if (!str_readyplus(&sp[c].ib, READ_CHUNK)) nomem();
				r = read(sp[c].in, sp[c].ib.s + sp[c].ib.len, READ_CHUNK);
				if (r > 0) {
					sp[c].ib.len += (size_t)r;
					replies(c);
				} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
					spawner_dead(c);
				}
			}
		}
	}
}
