/*
 * kurier-imapd - the IMAP4rev1 authenticated and selected states
 * (RFC 3501) over one Maildir++ mailbox, after kurier-imap-login and the
 * checkpw chain; with IDLE, NAMESPACE, UIDPLUS, MOVE, SPECIAL-USE,
 * LITERAL+, ENABLE, ID, UNSELECT, CHILDREN and QUOTA.
 * runs as:  the mailbox's user (never root), started by the checkpw
 *           helper with the client on fd 0/1 and log lines on fd 2.
 * input:    the maildir: argument 1, else $MAILDIR, else $HOME/Maildir;
 *           KURIER_IMAP_TAG (the tag of the login command, answered
 *           here), KURIER_IMAP_PENDING and KURIER_IMAP_STARTED from
 *           kurier-imap-login; KURIER_IMAP_TIMEOUT; KURIER_IMAP_NAMESPACE
 *           (INBOX. or . for the top level); KURIER_IMAP_SHARED (the
 *           public folders, default conf-home/shared).  Without
 *           KURIER_IMAP_TAG it greets with PREAUTH.
 * trusts:   its environment and the maildir (the user's own); nothing the
 *           client sends; the public folders only as far as the file
 *           system lets this user read them (it never writes there).
 * exit:     0 when a session took place; 1 (EX_PW_BAD) when run as root;
 *           111 (EX_T_TEMP) when it cannot start (no maildir, sandbox) -
 *           nothing has been sent to the client then.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../deliver/maildir.h"
#include "auto.h"
#include "buf.h"
#include "cmdread.h"
#include "exitcode.h"
#include "imap.h"
#include "imapparse.h"
#include "log.h"
#include "msgapi.h"
#include "sandbox.h"
#include "scan.h"
#include "search.h"
#include "store.h"
#include "str.h"

#define OUT_SIZE 65536		/* big writes for FETCH */
#define HCACHE_FLUSH 1048576	/* bytes of learned headers held before they go to the cache file */
#define FLAGS_CHANGED 0x400	/* a mark in smsg.flags while refresh works, never stored */
#define IDLE_SETTLE_MS 50	/* after an inotify event, wait this long for the rest of a burst */

static struct buf in, out;
static char inspace[BUF_SIZE], outspace[OUT_SIZE];
static int timeout = IMAP_TIMEOUT_SESSION;
static struct str cmd, tmp, msgtext;
static int errors, pendfd = -1;
static const char *who = "?";

/* the selected mailbox */
static struct folder sel;
static int selected, readonly;
static size_t textidx = (size_t)-1;	/* which message msgtext holds */
static struct timespec curtime, newtime, foldtime, lastfold;	/* mtimes of cur/, new/ and the folder (its keyword file) at the last look */

/* die_nomem - say so and leave */
static void die_nomem(void) __attribute__((noreturn));
static void die_nomem(void)
{
	(void)buf_puts(&out, "* BYE [UNAVAILABLE] out of memory\r\n");
	(void)buf_flush(&out);
	diex(0, "out of memory");
}

/* safewrite - write to the client; leave quietly if it has gone */
static ssize_t safewrite(int fd, void *x, size_t n)
{
	ssize_t r = buf_unixwrite(fd, x, n);

	if (r <= 0)
		_exit(0);
	return r;
}

/* say - queue text */
static void say(const char *s)
{
	(void)buf_puts(&out, s);
}

/* sayb - queue bytes */
static void sayb(const char *s, size_t n)
{
	(void)buf_put(&out, s, n);
}

/* sayu - queue a number */
static void sayu(unsigned long long u)
{
	(void)buf_putu(&out, u);
}

/* saferead - flush replies, then wait for the client at most timeout seconds */
static ssize_t saferead(int fd, void *x, size_t n)
{
	struct pollfd p;
	ssize_t r;
	int e;

	while (pendfd >= 0) {
		r = read(pendfd, x, n);
		if (r > 0)
			return r;
		if (r < 0 && errno == EINTR)
			continue;
		close(pendfd);
		pendfd = -1;
	}
	(void)buf_flush(&out);
	p.fd = fd;
	p.events = POLLIN;
	do
		e = poll(&p, 1, timeout * 1000);
	while (e == -1 && errno == EINTR);
	if (e == 0) {
		say("* BYE autologout: idle too long\r\n");
		(void)buf_flush(&out);
		log_info("timeout: ", who);
		_exit(0);
	}
	r = buf_unixread(fd, x, n);
	if (r <= 0)
		_exit(0);
	return r;
}

/* tagged - "tag status text" */
static void tagged(const char *tag, const char *status, const char *text)
{
	say(tag);
	say(" ");
	say(status);
	say(" ");
	say(text);
	say("\r\n");
}

/* bad - BAD text, counting errors; hang up after IMAP_ERRORS_SESSION */
static void bad(const char *tag, const char *text)
{
	tagged(tag, "BAD", text);
	if (++errors >= IMAP_ERRORS_SESSION) {
		say("* BYE too many errors, closing connection\r\n");
		(void)buf_flush(&out);
		log_info("too many errors: ", who);
		_exit(0);
	}
}

/* no_sys - NO for a storage failure, logged with errno */
static void no_sys(const char *tag, const char *what)
{
	log_warn(what, ": ", who);
	tagged(tag, "NO", "[SERVERBUG] cannot access the mailbox, try again later");
}

/* quote - s as a quoted string, or a literal when it holds bytes a quoted string cannot */
static void quote(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			break;
	if (i < n) {
		say("{");
		sayu(n);
		say("}\r\n");
		sayb(s, n);
		return;
	}
	say("\"");
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			say("\\");
		sayb(s + i, 1);
	}
	say("\"");
}

/* capability - the capability list */
static void capability(void)
{
	say("IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE SPECIAL-USE UNSELECT CHILDREN QUOTA");
}

/* sayflags - the FLAGS list of a message of the selected folder */
static void sayflags(const struct smsg *m)
{
	int sp = 0;
	size_t k;

	say("(");
#define F(bit, name) if (m->flags & (bit)) { if (sp) say(" "); say(name); sp = 1; }
	F(STORE_ANSWERED, "\\Answered")
	F(STORE_FLAGGED, "\\Flagged")
	F(STORE_DELETED, "\\Deleted")
	F(STORE_SEEN, "\\Seen")
	F(STORE_DRAFT, "\\Draft")
#undef F
	for (k = 0; k < sel.nkw; k++)
		if (m->kw & (1u << k)) {
			if (sp)
				say(" ");
			say(sel.kwname[k]);
			sp = 1;
		}
	if (m->recent) {
		if (sp)
			say(" ");
		say("\\Recent");
	}
	say(")");
}

/* flagbit - the store bit of a flag atom; 0 for keywords and \Recent, -1 bad */
static int flagbit(const struct imap_tok *t)
{
	if (t->type != IMAP_ATOM)
		return -1;
	if (imap_tok_is(t, "\\Answered")) return STORE_ANSWERED;
	if (imap_tok_is(t, "\\Flagged")) return STORE_FLAGGED;
	if (imap_tok_is(t, "\\Deleted")) return STORE_DELETED;
	if (imap_tok_is(t, "\\Seen")) return STORE_SEEN;
	if (imap_tok_is(t, "\\Draft")) return STORE_DRAFT;
	if (imap_tok_is(t, "\\Recent")) return 0;
	if (t->s[0] == '\\' || t->len > IMAP_KEYWORD_LEN)
		return -1;
	{
		size_t i;
		for (i = 0; i < t->len; i++)
			if (t->s[i] == '%' || t->s[i] == '*' || t->s[i] == ']' || t->s[i] == '[')
				return -1;
	}
	return 0;	/* a keyword: see flaglist */
}

/* kwof - the keyword bit of flag token t in the selected folder (added when add); -1 none, -2 the folder is full */
static int kwof(const struct imap_tok *t, int add)
{
	int b;

	if (!selected || t->s[0] == '\\')
		return -1;
	b = store_kw_bit(&sel, t->s, t->len, add);
	if (b == -3)
		die_nomem();
	return b;
}

/* flaglist - flags from token k (one flag or a list); bits in *f, keyword bits of the selected folder in *kw (added when add); next index, 0 bad, (size_t)-1 too many keywords */
static size_t flaglist(const struct imap_cmd *c, size_t k, unsigned *f, uint32_t *kw, int add)
{
	size_t e, i, first, last;
	int b;

	*f = 0;
	*kw = 0;
	if (k >= c->nt)
		return 0;
	if (c->t[k].type == IMAP_OPEN) {
		first = k + 1;
		last = c->t[k].end;
		e = last + 1;
	} else {
		first = k;
		last = k + 1;
		e = k + 1;
	}
	for (i = first; i < last; i++) {
		if ((b = flagbit(&c->t[i])) < 0)
			return 0;
		*f |= (unsigned)b;
		if (!b) {
			int kb = kwof(&c->t[i], add);
			if (kb == -2)
				return (size_t)-1;
			if (kb >= 0)
				*kw |= 1u << kb;
		}
	}
	return e;
}

/* ---- the selected mailbox ---- */

/* dirtimes - mtimes of cur/ and new/ of dir; the folder's own in foldtime when c is curtime */
static void dirtimes(const char *dir, struct timespec *c, struct timespec *n)
{
	static struct timespec fold;
	struct stat st;

	if (!str_copys(&tmp, dir) || !str_cats(&tmp, "/cur") || !str_0(&tmp))
		die_nomem();
	memset(c, 0, sizeof *c);
	memset(n, 0, sizeof *n);
	if (stat(tmp.s, &st) == 0)
		*c = st.st_mtim;
	tmp.s[tmp.len - 4] = 'n';
	tmp.s[tmp.len - 3] = 'e';
	tmp.s[tmp.len - 2] = 'w';
	if (stat(tmp.s, &st) == 0)
		*n = st.st_mtim;
	memset(&fold, 0, sizeof fold);
	if (stat(dir, &st) == 0)
		fold = st.st_mtim;
	if (c == &curtime)
		foldtime = fold;
	else
		lastfold = fold;
}

/* unselect - forget the selected mailbox, saving the sizes learned */
static void unselect(void)
{
	if (selected) {
		(void)store_save_sizes(&sel);
		(void)store_hcache_save(&sel);
		(void)store_index_flush(&sel);	/* not written yet, and the folder unchanged since: still worth it */
	}
	store_free(&sel);
	selected = 0;
	textidx = (size_t)-1;
}

/* kwsame - 1 if keyword bits a of folder nf name the same keywords as bits b of sel */
static int kwsame(const struct folder *nf, uint32_t a, uint32_t b)
{
	size_t k, j;
	int na = 0, nb = 0;

	for (k = 0; k < sel.nkw; k++)
		nb += (b >> k) & 1;
	for (k = 0; k < nf->nkw; k++) {
		if (!((a >> k) & 1))
			continue;
		na++;
		for (j = 0; j < sel.nkw; j++)
			if (((b >> j) & 1) && !strcasecmp(nf->kwname[k], sel.kwname[j]))
				break;
		if (j == sel.nkw)
			return 0;
	}
	return na == nb;
}

/*
 * refresh - look at the selected mailbox again and tell the client what
 * other sessions and deliveries changed: EXPUNGE, FETCH FLAGS, EXISTS
 * and RECENT.  Cheap when nothing changed: two stat calls.
 */
static void refresh(int force)
{
	struct folder nf;
	struct timespec c, n;
	size_t i = 0, j = 0, k, removed = 0, oldn;

	if (!selected)
		return;
	dirtimes(sel.dir, &c, &n);
	if (!force && c.tv_sec == curtime.tv_sec && c.tv_nsec == curtime.tv_nsec &&
	    n.tv_sec == newtime.tv_sec && n.tv_nsec == newtime.tv_nsec &&
	    lastfold.tv_sec == foldtime.tv_sec && lastfold.tv_nsec == foldtime.tv_nsec)
		return;
	memset(&nf, 0, sizeof nf);
	if (store_load(sel.dir, &nf, !readonly) < 0) {
		log_warn("cannot read the mailbox again: ", who);
		store_free(&nf);
		return;
	}
	/* the times from before the load: a change made during it is seen next time */
	curtime = c;
	newtime = n;
	foldtime = lastfold;
	if (nf.uidvalidity != sel.uidvalidity) {
		/* the uid list was lost: nothing the client knows holds */
		say("* BYE [UNAVAILABLE] the mailbox index was rebuilt, please reconnect\r\n");
		(void)buf_flush(&out);
		_exit(0);
	}
	oldn = sel.n;
	/* walk both lists in UID order: report what went and what changed */
	i = j = 0;
	removed = 0;
	k = 0;
	while (i < sel.n) {
		struct smsg *m = &sel.m[i];
		while (j < nf.n && nf.m[j].uid < m->uid)
			j++;
		if (j < nf.n && nf.m[j].uid == m->uid) {
			struct smsg *q = &nf.m[j];
			q->recent = m->recent;
			if (!q->size && m->size) {
				q->size = m->size;
				q->sizedirty = m->sizedirty;
			}
			if (q->idate <= 0 && m->idate > 0) {
				q->idate = m->idate;
				q->sizedirty = m->sizedirty;
			}
			if ((q->flags & ~STORE_PASSED) != (m->flags & ~STORE_PASSED) || !kwsame(&nf, q->kw, m->kw))
				q->flags |= FLAGS_CHANGED;	/* reported below, with the new folder's keyword names */
			i++;
			j++;
			k++;
			continue;
		}
		say("* ");
		sayu(k + 1);
		say(" EXPUNGE\r\n");
		removed++;
		i++;
	}
	/* what is left of the client's view plus the arrivals: EXISTS when that differs */
	if (nf.n != oldn - removed) {
		size_t recent = 0;
		for (j = 0; j < nf.n; j++)
			recent += nf.m[j].recent;
		say("* ");
		sayu(nf.n);
		say(" EXISTS\r\n* ");
		sayu(recent);
		say(" RECENT\r\n");
	}
	(void)store_save_sizes(&sel);
	(void)store_hcache_save(&sel);
	{
		char *d = sel.dir;
		sel.dir = 0;
		store_free(&sel);
		sel = nf;
		free(d);
	}
	for (i = 0; i < sel.n; i++)
		if (sel.m[i].flags & FLAGS_CHANGED) {
			sel.m[i].flags &= ~FLAGS_CHANGED;
			say("* ");
			sayu(i + 1);
			say(" FETCH (FLAGS ");
			sayflags(&sel.m[i]);
			say(")\r\n");
		}
	textidx = (size_t)-1;
}

#define PREFETCH_AHEAD 32	/* files asked for ahead while messages are read in order from a disk */
#define PREFETCH_SLOW_NS 200000	/* a read this slow came from the disk, not the page cache */

/* msgbytes - the bytes of message i (cached for the next call; when messages are read in order and
 * the disk is slow, the next files are asked for ahead); 0 if unreadable */
static const char *msgbytes(size_t i, size_t *len)
{
	static size_t last = (size_t)-1;	/* the message read from disk before */
	static int ahead;			/* reading in order from a slow disk: keep PREFETCH_AHEAD files coming */

	if (textidx != i) {
		struct timespec t0, t1;
		long long ns;
		textidx = (size_t)-1;
		if (ahead && i == last + 1)
			store_prefetch(&sel, i + PREFETCH_AHEAD);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (store_read(&sel, i, &msgtext) != 1) {
			if (errno != ENOENT)
				log_warn("cannot read a message: ", who);
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
		if (i == last + 1 && !ahead && ns > PREFETCH_SLOW_NS) {
			/* in order and waiting for the disk: start the next files now */
			size_t k;
			ahead = 1;
			for (k = 1; k <= PREFETCH_AHEAD; k++)
				store_prefetch(&sel, i + k);
		} else if (i != last + 1)
			ahead = 0;
		last = i;
		textidx = i;
	}
	*len = msgtext.len;
	return msgtext.s ? msgtext.s : "";
}

/* hdrlen - the length of the header block at t, with the empty line that ends it */
static size_t hdrlen(const char *t, size_t n)
{
	size_t i;

	if (n && t[0] == '\n')
		return 1;
	if (n > 1 && t[0] == '\r' && t[1] == '\n')
		return 2;
	for (i = 0; i + 1 < n; i++)
		if (t[i] == '\n') {
			if (t[i + 1] == '\n')
				return i + 2;
			if (i + 2 < n && t[i + 1] == '\r' && t[i + 2] == '\n')
				return i + 3;
		}
	return n;
}

/* msghead - the header block of message i, from the header cache or the file (then cached); 0 if unreadable */
static const char *msghead(size_t i, size_t *len)
{
	const char *t = store_hcache_get(&sel, i, len);
	size_t n;

	if (t)
		return t;
	t = msgbytes(i, &n);
	if (!t)
		return 0;
	*len = hdrlen(t, n);
	if (store_hcache_add(&sel, i, t, *len) < 0)
		die_nomem();
	return t;
}

/* msgsize - RFC822.SIZE of message i, learned once */
static unsigned long long msgsize(size_t i)
{
	size_t len, sz;
	const char *t;

	if (sel.m[i].size)
		return sel.m[i].size;
	t = msgbytes(i, &len);
	if (!t)
		return 0;
	(void)imapmsg_size_crlf(t, len, &sz);
	sel.m[i].size = sz ? sz : 0;
	sel.m[i].sizedirty = 1;
	return sz;
}

/* setflags - flags of message i to f; 1 ok, 0 gone */
static int setflags(size_t i, unsigned f)
{
	int r;

	if (sel.m[i].flags == f)
		return 1;
	r = store_setflags(&sel, i, f);
	if (r < 0)
		log_warn("cannot change flags: ", who);
	if (r == 1)
		dirtimes(sel.dir, &curtime, &newtime);	/* our own rename is no news */
	return r == 1;
}

/* ---- commands ---- */

/* argmailbox - token k as a mailbox directory into d; 1 ok, 0 answered NO */
static int argmailbox(const struct imap_cmd *c, size_t k, struct str *d)
{
	if (k >= c->nt || !imap_tok_string(&c->t[k])) {
		bad(c->tag, "missing mailbox name");
		return 0;
	}
	d->len = 0;
	if (!store_mailbox_dir(c->t[k].s, c->t[k].len, d) || !str_0(d)) {
		tagged(c->tag, "NO", store_inbox_prefix ? "[CANNOT] no such mailbox name here: folders are INBOX, INBOX.name and shared.name" :
		    "[CANNOT] not an acceptable mailbox name");
		return 0;
	}
	/* a public folder is read through its mirror: bring that up to date first */
	if (store_is_shared(d->s) && store_shared_sync(d->s) < 0)
		log_warn("cannot bring the mirror of a public folder up to date: ", who);
	return 1;
}

/* noperm - refuse a change to a public folder; 1 if d is one (answered) */
static int noperm(const struct imap_cmd *c, const char *d)
{
	if (!store_is_shared(d))
		return 0;
	tagged(c->tag, "NO", "[NOPERM] public folders are read-only here; their owners fill them");
	return 1;
}

/* counted - 1 if messages in folder d count against the user's quota: Maildir++ leaves .Trash out, and public folders are not the user's */
static int counted(const char *d)
{
	return strcmp(d, ".Trash") && !store_is_shared(d);
}

/* diskbytes - the bytes message i of the selected folder takes on disk (its S=, else its size) */
static unsigned long long diskbytes(size_t i)
{
	unsigned long long sz = 0;
	struct stat st;

	if (maildir_name_size(sel.m[i].file + 4, &sz) == 1)
		return sz;
	if (!str_copys(&tmp, sel.dir) || !str_append(&tmp, '/') || !str_cats(&tmp, sel.m[i].file) || !str_0(&tmp))
		die_nomem();
	return stat(tmp.s, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

static int haschildren(const char *d);

/* exists - 1 if the folder directory d exists */
static int exists(const char *d)
{
	struct stat st;

	return stat(d, &st) == 0 && S_ISDIR(st.st_mode);
}

/* syncsel - when the selected folder is a public folder's mirror, bring it up to date, for refresh to report */
static void syncsel(void)
{
	if (selected && store_is_shared(sel.dir) && store_shared_sync(sel.dir) < 0)
		log_warn("cannot bring the mirror of a public folder up to date: ", who);
}

/* cmd_select - SELECT or EXAMINE */
static void cmd_select(const struct imap_cmd *c, int ro)
{
	struct str d = STR_INIT;
	size_t i, unseen = 0;

	if (c->nt != 1) {
		bad(c->tag, "usage: SELECT mailbox");
		return;
	}
	unselect();
	if (!argmailbox(c, 0, &d))
		goto done;
	if (!exists(d.s)) {
		tagged(c->tag, "NO", "[NONEXISTENT] no such mailbox");
		goto done;
	}
	readonly = ro;
	if (store_load(d.s, &sel, !ro) < 0) {
		store_free(&sel);
		no_sys(c->tag, "cannot read the mailbox");
		goto done;
	}
	dirtimes(sel.dir, &curtime, &newtime);
	selected = 1;
	for (i = 0; i < sel.n; i++)
		if (!(sel.m[i].flags & STORE_SEEN)) {
			unseen = i + 1;
			break;
		}
	say("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (i = 0; i < sel.nkw; i++) {
		say(" ");
		say(sel.kwname[i]);
	}
	say(")\r\n");
	if (ro) {
		/* EXAMINE and public folders: nothing can be changed (RFC 3501 6.3.2) */
		say("* OK [PERMANENTFLAGS ()] read-only, no flags can be changed\r\n* ");
	} else {
		say("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
		for (i = 0; i < sel.nkw; i++) {
			say(" ");
			say(sel.kwname[i]);
		}
		say(sel.nkw < IMAP_KEYWORDS_MAX ? " \\*)] flags and keywords kept\r\n* " : ")] flags and keywords kept\r\n* ");
	}
	sayu(sel.n);
	say(" EXISTS\r\n* ");
	sayu(sel.recent);
	say(" RECENT\r\n");
	if (unseen) {
		say("* OK [UNSEEN ");
		sayu(unseen);
		say("] first unseen\r\n");
	}
	say("* OK [UIDVALIDITY ");
	sayu(sel.uidvalidity);
	say("] UIDs valid\r\n* OK [UIDNEXT ");
	sayu(sel.uidnext);
	say("] predicted next UID\r\n");
	tagged(c->tag, "OK", ro ? "[READ-ONLY] EXAMINE completed" : "[READ-WRITE] SELECT completed");
	/* the answer first; then the binary index, if the load found it missing or stale */
	if (sel.idxpend) {
		(void)buf_flush(&out);
		if (store_index_flush(&sel) < 0)
			log_warn("cannot write the mailbox index: ", who);
	}
done:
	str_free(&d);
}

/* cmd_create - CREATE */
static void cmd_create(const struct imap_cmd *c)
{
	struct str d = STR_INIT;
	int r;

	if (c->nt != 1) { bad(c->tag, "usage: CREATE mailbox"); return; }
	if (!argmailbox(c, 0, &d))
		goto done;
	if (!strcmp(d.s, ".")) {
		tagged(c->tag, "NO", "[ALREADYEXISTS] INBOX always exists");
		goto done;
	}
	if (noperm(c, d.s))
		goto done;
	r = store_create(d.s);
	if (r == 0)
		tagged(c->tag, "NO", "[ALREADYEXISTS] mailbox exists");
	else if (r < 0)
		no_sys(c->tag, "cannot create a folder");
	else
		tagged(c->tag, "OK", "CREATE completed");
done:
	str_free(&d);
}

/* cmd_delete - DELETE */
static void cmd_delete(const struct imap_cmd *c)
{
	struct str d = STR_INIT;
	int r;

	if (c->nt != 1) { bad(c->tag, "usage: DELETE mailbox"); return; }
	if (!argmailbox(c, 0, &d))
		goto done;
	if (!strcmp(d.s, ".")) {
		tagged(c->tag, "NO", "[CANNOT] INBOX cannot be deleted");
		goto done;
	}
	if (noperm(c, d.s))
		goto done;
	if (selected && !strcmp(sel.dir, d.s))
		unselect();
	/* RFC 3501 6.3.4: a folder with subfolders loses its messages and
	 * stays as a \Noselect name while they are there; a name that is
	 * \Noselect already cannot be deleted */
	r = store_delete(d.s);
	if (r == 0)
		tagged(c->tag, "NO", haschildren(d.s) ? "[CANNOT] this name holds no messages, only subfolders: delete those first" :
		    "[NONEXISTENT] no such mailbox");
	else if (r < 0)
		no_sys(c->tag, "cannot delete a folder");
	else
		tagged(c->tag, "OK", "DELETE completed");
done:
	str_free(&d);
}

/* cmd_rename - RENAME */
static void cmd_rename(const struct imap_cmd *c)
{
	struct str a = STR_INIT, b = STR_INIT;
	int r;

	if (c->nt != 2) { bad(c->tag, "usage: RENAME from to"); return; }
	if (!argmailbox(c, 0, &a) || !argmailbox(c, 1, &b))
		goto done;
	if (!strcmp(a.s, ".") || !strcmp(b.s, ".")) {
		tagged(c->tag, "NO", "[CANNOT] INBOX cannot be renamed here");
		goto done;
	}
	if (noperm(c, a.s) || noperm(c, b.s))
		goto done;
	if (!strncmp(b.s, a.s, a.len - 1) && b.s[a.len - 1] == '.') {
		tagged(c->tag, "NO", "[CANNOT] a mailbox cannot move below itself");
		goto done;
	}
	if (selected && !strncmp(sel.dir, a.s, a.len - 1))
		unselect();
	r = store_rename(a.s, b.s);
	if (r == 0)
		tagged(c->tag, "NO", exists(a.s) ? "[ALREADYEXISTS] target exists" : "[NONEXISTENT] no such mailbox");
	else if (r < 0)
		no_sys(c->tag, "cannot rename a folder");
	else
		tagged(c->tag, "OK", "RENAME completed");
done:
	str_free(&a);
	str_free(&b);
}

/* match - does name match the LIST pattern (with * and %)? dynamic programming, O(n*m) */
static int match(const char *p, size_t pn, const char *s, size_t sn)
{
	unsigned char *row, *nrow;
	size_t i, j;
	int r;

	row = calloc(sn + 1, 1);
	nrow = calloc(sn + 1, 1);
	if (!row || !nrow)
		die_nomem();
	row[0] = 1;
	for (i = 0; i < pn; i++) {
		memset(nrow, 0, sn + 1);
		if (p[i] == '*' || p[i] == '%') {
			int carry = 0;
			for (j = 0; j <= sn; j++) {
				if (row[j])
					carry = 1;
				else if (j && p[i] == '%' && s[j - 1] == '.')
					carry = 0;
				if (carry && p[i] == '%' && j && s[j - 1] == '.' && !row[j])
					carry = 0;
				nrow[j] = (unsigned char)carry;
			}
		} else {
			for (j = 1; j <= sn; j++)
				nrow[j] = row[j - 1] && p[i] == s[j - 1];
		}
		memcpy(row, nrow, sn + 1);
	}
	r = row[sn];
	free(row);
	free(nrow);
	return r;
}

/* specialuse - the RFC 6154 attribute of a folder directory, or "" */
static const char *specialuse(const char *name)
{
	static const struct { const char *n, *a; } su[] = {
		{ ".Sent", " \\Sent" }, { ".Sent Messages", " \\Sent" }, { ".Drafts", " \\Drafts" },
		{ ".Trash", " \\Trash" }, { ".Junk", " \\Junk" }, { ".Spam", " \\Junk" },
		{ ".Archive", " \\Archive" },
	};
	size_t i;

	for (i = 0; i < sizeof su / sizeof *su; i++)
		if (!strcmp(name, su[i].n))
			return su[i].a;
	return "";
}

/* a name LIST or LSUB may show */
struct lent {
	char *name;		/* the IMAP name */
	char *dir;		/* its folder directory; 0 for a name that only has subfolders (\Noselect) */
	const char *attr;	/* LSUB: the attributes to show, when decided */
};

/* lentcmp - qsort order of lents: by name, a real folder before a bare name */
static int lentcmp(const void *a, const void *b)
{
	const struct lent *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (!x->dir) - (!y->dir);
}

/* lent_add - one more name (n bytes) with its directory (or 0) */
static void lent_add(struct lent **v, size_t *n, size_t *a, const char *name, size_t len, const char *dir, const char *attr)
{
	if (*n == *a) {
		struct lent *nv;
		*a = *a ? *a * 2 : 64;
		nv = realloc(*v, *a * sizeof **v);
		if (!nv)
			die_nomem();
		*v = nv;
	}
	(*v)[*n].name = malloc(len + 1);
	(*v)[*n].dir = dir ? strdup(dir) : 0;
	if (!(*v)[*n].name || (dir && !(*v)[*n].dir))
		die_nomem();
	memcpy((*v)[*n].name, name, len);
	(*v)[*n].name[len] = 0;
	(*v)[*n].attr = attr;
	(*n)++;
}

/* lent_ancestors - the names above each of the first n0 entries, as bare names */
static void lent_ancestors(struct lent **v, size_t *n, size_t *a, size_t n0, const char *attr)
{
	size_t i, p;

	for (i = 0; i < n0; i++)
		for (p = 1; (*v)[i].name[p]; p++)
			if ((*v)[i].name[p] == '.')
				lent_add(v, n, a, (*v)[i].name, p, 0, attr);
}

/* lent_sort - sort and drop repeated names (a real folder wins); the count left */
static size_t lent_sort(struct lent *v, size_t n)
{
	size_t i, o = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof *v, lentcmp);
	for (i = 1; i < n; i++) {
		if (!strcmp(v[i].name, v[o].name)) {
			free(v[i].name);
			free(v[i].dir);
			continue;
		}
		v[++o] = v[i];
	}
	return o + 1;
}

/* lent_find - index of the first entry not below name (n bytes) in sorted v: a name that starts with it, if any does */
static size_t lent_find(const struct lent *v, size_t cnt, const char *name, size_t n)
{
	size_t lo = 0, hi = cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(v[mid].name, name, n);
		if (c < 0 || (c == 0 && strlen(v[mid].name) < n))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* lent_children - 1 if sorted v holds a name below name */
static int lent_children(const struct lent *v, size_t cnt, const char *name)
{
	size_t n = strlen(name), k;

	if (!str_copys(&tmp, name) || !str_append(&tmp, '.'))
		die_nomem();
	k = lent_find(v, cnt, tmp.s, n + 1);
	return k < cnt && !strncmp(v[k].name, tmp.s, n + 1);
}

/* lent_free - release a lent list */
static void lent_free(struct lent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].dir);
	}
	free(v);
}

/* folder_names - every folder the user may see (INBOX, personal, public) and the names above them, sorted; 1 ok, 0 error */
static int folder_names(struct lent **v, size_t *n)
{
	struct str dirs = STR_INIT, nm = STR_INIT;
	size_t a = 0, count, i, pass;
	int ok = 1;

	*v = 0;
	*n = 0;
	lent_add(v, n, &a, "INBOX", 5, ".", 0);
	for (pass = 0; pass < 2 && ok; pass++) {
		if ((pass ? store_shared_folders(&dirs, &count) : store_folders(&dirs, &count)) < 0) {
			ok = 0;
			break;
		}
		for (i = 0; i < dirs.len; i += strlen(dirs.s + i) + 1) {
			if (!store_dir_mailbox(dirs.s + i, &nm))
				die_nomem();
			lent_add(v, n, &a, nm.s, nm.len, dirs.s + i, 0);
		}
	}
	lent_ancestors(v, n, &a, *n, 0);
	*n = lent_sort(*v, *n);
	str_free(&dirs);
	str_free(&nm);
	return ok;
}

/* haschildren - 1 if the folder directory d has folders below it */
static int haschildren(const char *d)
{
	struct lent *v;
	size_t n;
	struct str nm = STR_INIT;
	int r;

	if (!folder_names(&v, &n) || !store_dir_mailbox(d, &nm) || !str_0(&nm)) {
		lent_free(v, n);
		str_free(&nm);
		return 0;
	}
	r = lent_children(v, n, nm.s);
	lent_free(v, n);
	str_free(&nm);
	return r;
}

/* listattr - the attributes of entry k of the folder names */
static void listattr(const struct lent *v, size_t n, size_t k)
{
	say(lent_children(v, n, v[k].name) ? "\\HasChildren" : "\\HasNoChildren");
	if (!v[k].dir)
		say(" \\Noselect");
	else if (!store_is_shared(v[k].dir))
		say(specialuse(v[k].dir));
}

/*
 * cmd_list - LIST or LSUB.  Maildir++ folders are flat (".A.B" needs no
 * ".A"), so a name with folders below it and none of its own is shown
 * \Noselect (RFC 3501 6.3.8).  LSUB shows the subscribed names, and
 * with a "%" pattern the unsubscribed names above them, \Noselect
 * (RFC 3501 6.3.9).
 */
static void cmd_list(const struct imap_cmd *c, int lsub)
{
	struct str pat = STR_INIT, subs = STR_INIT;
	struct lent *v = 0, *sv = 0;
	size_t n = 0, sn = 0, sa = 0, k, q;

	if (c->nt != 2 || !imap_tok_string(&c->t[0]) || !imap_tok_string(&c->t[1])) {
		bad(c->tag, "usage: LIST reference pattern");
		return;
	}
	if (!c->t[1].len) {
		if (!lsub)
			say("* LIST (\\Noselect) \".\" \"\"\r\n");
		tagged(c->tag, "OK", lsub ? "LSUB completed" : "LIST completed");
		return;
	}
	if (!str_copyb(&pat, c->t[0].s, c->t[0].len) || !str_catb(&pat, c->t[1].s, c->t[1].len))
		die_nomem();
	if (pat.len >= 5 && !strncasecmp(pat.s, "INBOX", 5) && (pat.len == 5 || pat.s[5] == '.' || pat.s[5] == '*' || pat.s[5] == '%'))
		memcpy(pat.s, "INBOX", 5);
	if (!folder_names(&v, &n)) {
		no_sys(c->tag, "cannot list the folders");
		goto done;
	}
	if (!lsub) {
		/* mirrors of public folders gone or closed to the user are dropped, with their copies */
		if (store_shared_prune() < 0)
			log_warn("cannot remove the mirror of a public folder: ", who);
		for (k = 0; k < n; k++) {
			if (!match(pat.s, pat.len, v[k].name, strlen(v[k].name)))
				continue;
			say("* LIST (");
			listattr(v, n, k);
			say(") \".\" ");
			quote(v[k].name, strlen(v[k].name));
			say("\r\n");
		}
		tagged(c->tag, "OK", "LIST completed");
		goto done;
	}
	if (store_subscriptions(&subs) < 0) {
		no_sys(c->tag, "cannot read the subscriptions");
		goto done;
	}
	for (q = 0; q < subs.len; q += strlen(subs.s + q) + 1)
		if (subs.s[q])
			lent_add(&sv, &sn, &sa, subs.s + q, strlen(subs.s + q), 0, "");
	if (memchr(pat.s, '%', pat.len))
		lent_ancestors(&sv, &sn, &sa, sn, "\\Noselect");
	/* a subscribed name wins over the same name as an ancestor: lentcmp puts a dir first */
	for (k = 0; k < sn; k++)
		if (!sv[k].attr[0] && !(sv[k].dir = strdup("")))
			die_nomem();
	sn = lent_sort(sv, sn);
	for (k = 0; k < sn; k++) {
		size_t f;
		if (!match(pat.s, pat.len, sv[k].name, strlen(sv[k].name)))
			continue;
		say("* LSUB (");
		f = lent_find(v, n, sv[k].name, strlen(sv[k].name));
		if (sv[k].attr[0])
			say(sv[k].attr);	/* above a subscribed name, not subscribed itself */
		else if (f < n && !strcmp(v[f].name, sv[k].name))
			listattr(v, n, f);
		else
			say("\\Noselect");	/* subscribed, but no such folder (any more) */
		say(") \".\" ");
		quote(sv[k].name, strlen(sv[k].name));
		say("\r\n");
	}
	tagged(c->tag, "OK", "LSUB completed");
done:
	lent_free(v, n);
	lent_free(sv, sn);
	str_free(&pat);
	str_free(&subs);
}

/* cmd_subscribe - SUBSCRIBE or UNSUBSCRIBE */
static void cmd_subscribe(const struct imap_cmd *c, int on)
{
	struct str d = STR_INIT, nm = STR_INIT;

	if (c->nt != 1) { bad(c->tag, "usage: SUBSCRIBE mailbox"); return; }
	if (!argmailbox(c, 0, &d))
		goto done;
	if (on && !exists(d.s)) {
		tagged(c->tag, "NO", "[NONEXISTENT] no such mailbox");
		goto done;
	}
	if (!store_dir_mailbox(d.s, &nm))
		die_nomem();
	if (store_subscribe(nm.s, nm.len, on) < 0)
		no_sys(c->tag, "cannot change the subscriptions");
	else
		tagged(c->tag, "OK", on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
done:
	str_free(&d);
	str_free(&nm);
}

/* cmd_status - STATUS */
static void cmd_status(const struct imap_cmd *c)
{
	struct str d = STR_INIT;
	struct folder f;
	const struct folder *fp;
	size_t k, e, i, unseen = 0;

	memset(&f, 0, sizeof f);
	if (c->nt < 3 || c->t[1].type != IMAP_OPEN) { bad(c->tag, "usage: STATUS mailbox (items)"); return; }
	e = c->t[1].end;
	for (k = 2; k < e; k++)
		if (!imap_tok_is(&c->t[k], "MESSAGES") && !imap_tok_is(&c->t[k], "RECENT") && !imap_tok_is(&c->t[k], "UIDNEXT") &&
		    !imap_tok_is(&c->t[k], "UIDVALIDITY") && !imap_tok_is(&c->t[k], "UNSEEN")) {
			bad(c->tag, "unknown STATUS item");
			return;
		}
	if (!argmailbox(c, 0, &d))
		goto done;
	if (!exists(d.s)) {
		tagged(c->tag, "NO", "[NONEXISTENT] no such mailbox");
		goto done;
	}
	if (selected && !strcmp(sel.dir, d.s))
		fp = &sel;
	else {
		if (store_load(d.s, &f, 0) < 0) {
			no_sys(c->tag, "cannot read a mailbox");
			goto done;
		}
		fp = &f;
	}
	for (i = 0; i < fp->n; i++)
		if (!(fp->m[i].flags & STORE_SEEN))
			unseen++;
	say("* STATUS ");
	quote(c->t[0].s, c->t[0].len);
	say(" (");
	for (k = 2; k < e; k++) {
		if (k > 2)
			say(" ");
		if (imap_tok_is(&c->t[k], "MESSAGES")) { say("MESSAGES "); sayu(fp->n); }
		else if (imap_tok_is(&c->t[k], "RECENT")) {
			size_t r = 0;
			for (i = 0; i < fp->n; i++)
				r += fp->m[i].recent;
			say("RECENT ");
			sayu(r);
		}
		else if (imap_tok_is(&c->t[k], "UIDNEXT")) { say("UIDNEXT "); sayu(fp->uidnext); }
		else if (imap_tok_is(&c->t[k], "UIDVALIDITY")) { say("UIDVALIDITY "); sayu(fp->uidvalidity); }
		else { say("UNSEEN "); sayu(unseen); }
	}
	say(")\r\n");
	tagged(c->tag, "OK", "STATUS completed");
done:
	store_free(&f);
	str_free(&d);
}

/* cmd_append - APPEND mailbox [flags] [date] literal */
static void cmd_append(const struct imap_cmd *c)
{
	struct str d = STR_INIT;
	struct str kwl = STR_INIT;
	unsigned flags = 0;
	uint32_t kw = 0;
	long long idate = 0;
	size_t k = 1;
	uint32_t uid = 0, uv = 0;
	int q;

	if (c->nt < 2) { bad(c->tag, "usage: APPEND mailbox [flags] [date] message"); return; }
	if (c->t[k].type == IMAP_OPEN) {
		size_t w;
		k = flaglist(c, k, &flags, &kw, 0);
		if (!k || k == (size_t)-1) { bad(c->tag, "bad flag list"); goto done; }
		/* the keywords by name, for the target folder's keyword file */
		for (w = 2; w + 1 < k; w++)
			if (c->t[w].s[0] != '\\') {
				if ((kwl.len && !str_append(&kwl, ' ')) || !str_catb(&kwl, c->t[w].s, c->t[w].len))
					die_nomem();
			}
		if (!str_0(&kwl))
			die_nomem();
	}
	if (k + 1 < c->nt && c->t[k].type == IMAP_QUOTED) {
		if (!imap_datetime(c->t[k].s, c->t[k].len, &idate)) { bad(c->tag, "bad date-time"); goto done; }
		k++;
	}
	if (k + 1 != c->nt || (c->t[k].type != IMAP_LITERAL && c->t[k].type != IMAP_QUOTED)) {
		bad(c->tag, "usage: APPEND mailbox [flags] [date] {size}");
		goto done;
	}
	if (!argmailbox(c, 0, &d))
		goto done;
	if (noperm(c, d.s))
		goto done;
	if (!exists(d.s)) {
		tagged(c->tag, "NO", "[TRYCREATE] no such mailbox");
		goto done;
	}
	if (!c->t[k].len) {
		tagged(c->tag, "NO", "empty message");
		goto done;
	}
	q = counted(d.s) ? maildir_quota_check(".", 0, c->t[k].len, 1) : 0;
	if (q == 1) {
		tagged(c->tag, "NO", "[OVERQUOTA] mailbox is full");
		goto done;
	}
	if (store_deliver(d.s, c->t[k].s, c->t[k].len, flags, kwl.len ? kwl.s : 0, idate, &uid, &uv) < 0) {
		no_sys(c->tag, "cannot store a message");
		goto done;
	}
	if (counted(d.s))
		(void)maildir_quota_add(".", (long long)c->t[k].len, 1);
	if (selected && !strcmp(sel.dir, d.s))
		refresh(1);
	say(c->tag);
	if (uid) {
		say(" OK [APPENDUID ");
		sayu(uv);
		say(" ");
		sayu(uid);
		say("] APPEND completed\r\n");
	} else
		say(" OK APPEND completed\r\n");
done:
	str_free(&d);
	str_free(&kwl);
}

/* expunge - remove the \Deleted messages (in set, if given); report each */
static void expunge(const struct imap_seqset *uids, int report)
{
	size_t i, o = 0, k = 0;
	long long bytes = 0, count = 0;

	for (i = 0; i < sel.n; i++) {
		struct smsg *m = &sel.m[i];
		int drop = (m->flags & STORE_DELETED) && (!uids || imap_seqset_has(uids, m->uid));
		if (drop) {
			unsigned long long sz = 0;
			if (!str_copys(&tmp, sel.dir) || !str_append(&tmp, '/') || !str_cats(&tmp, m->file) || !str_0(&tmp))
				die_nomem();
			if (unlink(tmp.s) == -1 && errno != ENOENT) {
				log_warn("cannot remove a message: ", who);
				drop = 0;
			} else if (maildir_name_size(m->file + 4, &sz) == 1) {
				bytes += (long long)sz;
				count++;
			}
		}
		if (drop) {
			if (report) {
				say("* ");
				sayu(k + 1);
				say(" EXPUNGE\r\n");
			}
			if (m->ownfile)
				free(m->file);
			continue;
		}
		sel.m[o++] = *m;
		k++;
	}
	sel.n = o;
	textidx = (size_t)-1;
	if (count && counted(sel.dir))
		(void)maildir_quota_add(".", -bytes, -count);
	dirtimes(sel.dir, &curtime, &newtime);
}

/* resolve - the message indexes a sequence or UID set names, in order; 1 ok, 0 bad (answered) */
static int resolve(const struct imap_cmd *c, const struct imap_tok *t, int byuid, struct imap_seqset *set)
{
	int r;

	if (t->type != IMAP_ATOM || (r = imap_seqset_parse(t->s, t->len, set)) == 0) {
		bad(c->tag, "bad sequence set");
		return 0;
	}
	if (r < 0)
		die_nomem();
	if (byuid)
		imap_seqset_resolve(set, sel.n ? sel.m[sel.n - 1].uid : 0, 0xffffffffu);
	else {
		/* RFC 3501 §9: a sequence number past the end is an error (except "*") */
		size_t i;
		for (i = 0; i < set->n; i++)
			if (set->r[i].lo > sel.n || set->r[i].hi > sel.n) {
				bad(c->tag, "no such message");
				return 0;
			}
		imap_seqset_resolve(set, (uint32_t)sel.n, (uint32_t)sel.n);
	}
	return 1;
}

/* inset - message i in a resolved set */
static int inset(const struct imap_seqset *set, size_t i, int byuid)
{
	return imap_seqset_has(set, byuid ? sel.m[i].uid : (uint32_t)(i + 1));
}

/* firstin - the first message index >= from in set (walks ranges; fast for UID sets) */
static size_t nextin(const struct imap_seqset *set, size_t from, int byuid)
{
	size_t r, lo, hi;

	if (!byuid) {
		for (r = 0; r < set->n; r++)
			if (set->r[r].hi >= from + 1)
				return from + 1 >= set->r[r].lo ? from : set->r[r].lo - 1;
		return sel.n;
	}
	for (; from < sel.n; ) {
		uint32_t u = sel.m[from].uid;
		for (r = 0; r < set->n && set->r[r].hi < u; r++)
			;
		if (r == set->n)
			return sel.n;
		if (u >= set->r[r].lo)
			return from;
		/* binary search for the first message with uid >= lo */
		lo = from;
		hi = sel.n;
		while (lo < hi) {
			size_t m = lo + (hi - lo) / 2;
			if (sel.m[m].uid < set->r[r].lo)
				lo = m + 1;
			else
				hi = m;
		}
		from = lo;
	}
	return sel.n;
}

/* ---- FETCH ---- */

enum fitem { FI_UID, FI_FLAGS, FI_INTERNALDATE, FI_SIZE, FI_ENVELOPE, FI_BODY, FI_BODYSTRUCTURE,
	FI_RFC822, FI_RFC822_HEADER, FI_RFC822_TEXT, FI_SECTION };

struct fetchitem {
	enum fitem what;
	int peek;
	const char *spec;	/* FI_SECTION: inside [] */
	size_t slen;
	int partial;
	uint32_t origin, count;
	const char *label;	/* "BODY[spec]" as the reply names it */
	size_t llen;
};

/* parsesection - "BODY[...]<o.n>" or "BODY.PEEK[...]..." into it; 1 ok, 0 bad */
static int parsesection(const struct imap_tok *t, struct fetchitem *it)
{
	size_t pre, i, close;

	if (t->len >= 10 && !strncasecmp(t->s, "BODY.PEEK[", 10)) {
		pre = 10;
		it->peek = 1;
	} else if (t->len >= 5 && !strncasecmp(t->s, "BODY[", 5)) {
		pre = 5;
		it->peek = 0;
	} else
		return 0;
	for (close = t->len; close > pre && t->s[close - 1] != ']'; close--)
		;
	if (close == pre)
		return 0;
	close--;
	it->what = FI_SECTION;
	it->spec = t->s + pre;
	it->slen = close - pre;
	it->partial = 0;
	/* the section: parts "1.2", then HEADER, HEADER.FIELDS[.NOT] (list), TEXT or MIME */
	for (i = 0; i < it->slen && ((it->spec[i] >= '0' && it->spec[i] <= '9') || it->spec[i] == '.'); i++)
		;
	if (i < it->slen) {
		const char *r = it->spec + i;
		size_t rl = it->slen - i;
		if (!((rl == 6 && !strncasecmp(r, "HEADER", 6)) || (rl == 4 && !strncasecmp(r, "TEXT", 4)) ||
		      (rl == 4 && !strncasecmp(r, "MIME", 4) && i) ||
		      (rl > 15 && !strncasecmp(r, "HEADER.FIELDS (", 15) && r[rl - 1] == ')') ||
		      (rl > 19 && !strncasecmp(r, "HEADER.FIELDS.NOT (", 19) && r[rl - 1] == ')')))
			return 0;
	}
	if (close + 1 < t->len) {
		const char *p = t->s + close + 1;
		size_t pl = t->len - close - 1, dot;
		if (p[0] != '<' || p[pl - 1] != '>')
			return 0;
		for (dot = 1; dot < pl - 1 && p[dot] != '.'; dot++)
			;
		if (dot >= pl - 2 || !imap_number(p + 1, dot - 1, &it->origin) ||
		    !imap_number(p + dot + 1, pl - dot - 2, &it->count) || !it->count)
			return 0;
		it->partial = 1;
	}
	it->label = t->s + pre - 1;	/* "[x]": BODY.PEEK[x] is answered as BODY[x] */
	it->llen = close + 2 - pre;
	return 1;
}

/* additem - one item by name; 1 ok, 0 bad */
static int additem(const struct imap_tok *t, struct fetchitem *v, size_t *n, size_t max)
{
	static const struct { const char *name; enum fitem w; } simple[] = {
		{ "UID", FI_UID }, { "FLAGS", FI_FLAGS }, { "INTERNALDATE", FI_INTERNALDATE }, { "RFC822.SIZE", FI_SIZE },
		{ "ENVELOPE", FI_ENVELOPE }, { "BODY", FI_BODY }, { "BODYSTRUCTURE", FI_BODYSTRUCTURE },
		{ "RFC822", FI_RFC822 }, { "RFC822.HEADER", FI_RFC822_HEADER }, { "RFC822.TEXT", FI_RFC822_TEXT },
	};
	size_t k;

	if (*n + 4 >= max || t->type != IMAP_ATOM)
		return 0;
	for (k = 0; k < sizeof simple / sizeof *simple; k++)
		if (imap_tok_is(t, simple[k].name)) {
			memset(&v[*n], 0, sizeof v[*n]);
			v[(*n)++].what = simple[k].w;
			return 1;
		}
	if (imap_tok_is(t, "ALL") || imap_tok_is(t, "FAST") || imap_tok_is(t, "FULL")) {
		static const enum fitem all[] = { FI_FLAGS, FI_INTERNALDATE, FI_SIZE, FI_ENVELOPE, FI_BODY };
		size_t m = imap_tok_is(t, "FAST") ? 3 : imap_tok_is(t, "ALL") ? 4 : 5;
		for (k = 0; k < m; k++) {
			memset(&v[*n], 0, sizeof v[*n]);
			v[(*n)++].what = all[k];
		}
		return 1;
	}
	memset(&v[*n], 0, sizeof v[*n]);
	if (!parsesection(t, &v[*n]))
		return 0;
	(*n)++;
	return 1;
}

/* literal - bytes as a literal, or its <origin.count> part */
static void literal(const char *s, size_t n, const struct fetchitem *it)
{
	if (it && it->partial) {
		if (it->origin >= n)
			n = 0;
		else {
			s += it->origin;
			n -= it->origin;
			if (n > it->count)
				n = it->count;
		}
	}
	say("{");
	sayu(n);
	say("}\r\n");
	sayb(s, n);
}

/* internaldate - t as "dd-Mon-yyyy hh:mm:ss +0000" */
static void internaldate(long long t)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	time_t tt = (time_t)t;
	char b[40];

	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof tm);
	b[0] = '"';
	b[1] = (char)('0' + tm.tm_mday / 10);
	b[2] = (char)('0' + tm.tm_mday % 10);
	b[3] = '-';
	memcpy(b + 4, mon + 3 * (tm.tm_mon % 12), 3);
	b[7] = '-';
	sayb(b, 8);
	sayu((unsigned long long)(tm.tm_year + 1900));
	b[0] = ' ';
	b[1] = (char)('0' + tm.tm_hour / 10);
	b[2] = (char)('0' + tm.tm_hour % 10);
	b[3] = ':';
	b[4] = (char)('0' + tm.tm_min / 10);
	b[5] = (char)('0' + tm.tm_min % 10);
	b[6] = ':';
	b[7] = (char)('0' + tm.tm_sec / 10);
	b[8] = (char)('0' + tm.tm_sec % 10);
	memcpy(b + 9, " +0000\"", 7);
	sayb(b, 16);
}

#define FETCH_ITEMS_MAX 64	/* items in one FETCH: every item there is, several times over */

/* fetchone - the FETCH reply for message i; 1 ok, 0 the message could not be read or parsed */
static int fetchone(size_t i, const struct fetchitem *v, size_t n, int seen)
{
	struct smsg *m = &sel.m[i];
	const char *text = 0;
	size_t len = 0, k;
	int sp = 0, r, flagsdone = 0;

	{
		/* ENVELOPE and the top-level header sections need only the header block */
		int full = 0, head = 0;
		for (k = 0; k < n; k++) {
			const struct fetchitem *it = &v[k];
			if (it->what == FI_ENVELOPE || it->what == FI_RFC822_HEADER ||
			    (it->what == FI_SECTION && it->slen >= 6 && !strncasecmp(it->spec, "HEADER", 6)))
				head = 1;
			else if (it->what >= FI_ENVELOPE && it->what != FI_SIZE)
				full = 1;
		}
		if (full || head) {
			text = full ? msgbytes(i, &len) : msghead(i, &len);
			if (!text)
				return 0;
		}
	}
	if (seen && !(m->flags & STORE_SEEN))
		(void)setflags(i, m->flags | STORE_SEEN);
	else
		seen = 0;
	say("* ");
	sayu(i + 1);
	say(" FETCH (");
	for (k = 0; k < n; k++) {
		const struct fetchitem *it = &v[k];
		if (sp)
			say(" ");
		sp = 1;
		switch (it->what) {
		case FI_UID: say("UID "); sayu(m->uid); break;
		case FI_FLAGS: say("FLAGS "); sayflags(m); flagsdone = 1; break;
		case FI_INTERNALDATE: say("INTERNALDATE "); internaldate(store_idate(&sel, i)); break;
		case FI_SIZE: say("RFC822.SIZE "); sayu(msgsize(i)); break;
		case FI_ENVELOPE:
		case FI_BODY:
		case FI_BODYSTRUCTURE:
			tmp.len = 0;
			r = it->what == FI_ENVELOPE ? imapmsg_envelope(text, len, &tmp) :
			    imapmsg_bodystructure(text, len, it->what == FI_BODYSTRUCTURE, &tmp);
			if (r < 0) {
				say(")\r\n");
				return 0;
			}
			say(it->what == FI_ENVELOPE ? "ENVELOPE " : it->what == FI_BODY ? "BODY " : "BODYSTRUCTURE ");
			sayb(tmp.s, tmp.len);
			break;
		case FI_RFC822:
		case FI_RFC822_HEADER:
		case FI_RFC822_TEXT:
			tmp.len = 0;
			r = imapmsg_section(text, len, it->what == FI_RFC822 ? "" : it->what == FI_RFC822_HEADER ? "HEADER" : "TEXT",
			    it->what == FI_RFC822 ? 0 : it->what == FI_RFC822_HEADER ? 6 : 4, &tmp);
			if (r < 0) {
				say(")\r\n");
				return 0;
			}
			say(it->what == FI_RFC822 ? "RFC822 " : it->what == FI_RFC822_HEADER ? "RFC822.HEADER " : "RFC822.TEXT ");
			literal(tmp.s ? tmp.s : "", tmp.len, 0);
			break;
		case FI_SECTION:
			tmp.len = 0;
			r = imapmsg_section(text, len, it->spec, it->slen, &tmp);
			if (r < 0) {
				say(")\r\n");
				return 0;
			}
			say("BODY");
			sayb(it->label, it->llen);
			if (it->partial) {
				say("<");
				sayu(it->origin);
				say(">");
			}
			say(" ");
			if (r == 0)
				say("\"\"");	/* RFC 3501 §6.4.5: a section that does not exist is empty */
			else
				literal(tmp.s ? tmp.s : "", tmp.len, it);
			break;
		}
	}
	if (seen && !flagsdone) {
		say(" FLAGS ");
		sayflags(m);
	}
	say(")\r\n");
	return 1;
}

/* cmd_fetch - FETCH and UID FETCH */
static void cmd_fetch(const struct imap_cmd *c, int byuid)
{
	struct fetchitem v[FETCH_ITEMS_MAX];
	struct imap_seqset set = { 0, 0, 0 };
	size_t n = 0, k, i;
	int seen = 0, failed = 0, hasuid = 0;

	if (c->nt < 2) { bad(c->tag, "usage: FETCH set items"); return; }
	if (c->t[1].type == IMAP_OPEN) {
		if (c->t[1].end + 1 != c->nt) { bad(c->tag, "bad FETCH items"); return; }
		for (k = 2; k < c->t[1].end; k++)
			if (!additem(&c->t[k], v, &n, FETCH_ITEMS_MAX)) { bad(c->tag, "bad FETCH item"); return; }
	} else {
		if (c->nt != 2 || !additem(&c->t[1], v, &n, FETCH_ITEMS_MAX)) { bad(c->tag, "bad FETCH item"); return; }
	}
	if (!n) { bad(c->tag, "no FETCH items"); return; }
	for (k = 0; k < n; k++) {
		if (v[k].what == FI_UID)
			hasuid = 1;
		if ((v[k].what == FI_SECTION && !v[k].peek) || v[k].what == FI_RFC822 || v[k].what == FI_RFC822_TEXT)
			seen = !readonly;
	}
	if (byuid && !hasuid) {
		memmove(v + 1, v, n * sizeof *v);
		memset(v, 0, sizeof *v);
		v[0].what = FI_UID;
		n++;
	}
	if (!resolve(c, &c->t[0], byuid, &set))
		return;
	for (i = nextin(&set, 0, byuid); i < sel.n; i = nextin(&set, i + 1, byuid)) {
		if (!inset(&set, i, byuid))
			continue;
		if (!fetchone(i, v, n, seen))
			failed = 1;
	}
	imap_seqset_free(&set);
	if (failed)
		tagged(c->tag, "NO", "some messages could not be read (expunged or too complex)");
	else
		tagged(c->tag, "OK", byuid ? "UID FETCH completed" : "FETCH completed");
}

/* cmd_store - STORE and UID STORE */
static void cmd_store(const struct imap_cmd *c, int byuid)
{
	struct imap_seqset set = { 0, 0, 0 };
	const struct imap_tok *op;
	unsigned f;
	uint32_t kw;
	size_t i, k;
	int mode, silent, gone = 0;

	if (c->nt < 3 || c->t[1].type != IMAP_ATOM) { bad(c->tag, "usage: STORE set FLAGS (flags)"); return; }
	op = &c->t[1];
	silent = op->len > 7 && !strncasecmp(op->s + op->len - 7, ".SILENT", 7);
	k = silent ? op->len - 7 : op->len;
	mode = op->s[0] == '+' ? 1 : op->s[0] == '-' ? -1 : 0;
	if (k - (mode != 0) != 5 || strncasecmp(op->s + (mode != 0), "FLAGS", 5)) { bad(c->tag, "bad STORE item"); return; }
	if (readonly) { tagged(c->tag, "NO", "[READ-ONLY] mailbox is read-only"); return; }
	k = flaglist(c, 2, &f, &kw, mode >= 0);
	if (k == (size_t)-1) { tagged(c->tag, "NO", "[LIMIT] this folder has as many keywords as it can hold"); return; }
	if (k != c->nt) { bad(c->tag, "bad flag list"); return; }
	if (!resolve(c, &c->t[0], byuid, &set))
		return;
	for (i = nextin(&set, 0, byuid); i < sel.n; i = nextin(&set, i + 1, byuid)) {
		unsigned nf, keep = sel.m[i].flags & STORE_PASSED;
		if (!inset(&set, i, byuid))
			continue;
		nf = mode > 0 ? sel.m[i].flags | f : mode < 0 ? sel.m[i].flags & ~f : f | keep;
		if (!setflags(i, nf))
			gone = 1;
		else {
			uint32_t nk = mode > 0 ? sel.m[i].kw | kw : mode < 0 ? sel.m[i].kw & ~kw : kw;
			if (nk != sel.m[i].kw) {
				sel.m[i].kw = nk;
				sel.m[i].kwdirty = 1;
			}
		}
		if (!silent || byuid) {
			if (silent)
				continue;
			say("* ");
			sayu(i + 1);
			say(" FETCH (");
			if (byuid) {
				say("UID ");
				sayu(sel.m[i].uid);
				say(" ");
			}
			say("FLAGS ");
			sayflags(&sel.m[i]);
			say(")\r\n");
		}
	}
	imap_seqset_free(&set);
	if (store_kw_save(&sel) < 0) {
		no_sys(c->tag, "cannot save keywords");
		return;
	}
	dirtimes(sel.dir, &curtime, &newtime);	/* our own keyword file is no news */
	if (gone)
		tagged(c->tag, "NO", "some messages were expunged by another session");
	else
		tagged(c->tag, "OK", "STORE completed");
}

/* addset - uid onto a UIDPLUS set text */
static void addset(struct str *s, uint32_t uid)
{
	if ((s->len && !str_append(s, ',')) || !str_catu(s, uid))
		die_nomem();
}

/* unmake - take back the copies named in made (NUL-separated, relative to dir) */
static void unmake(const char *dir, const struct str *made)
{
	size_t i;

	for (i = 0; i < made->len; i += strlen(made->s + i) + 1) {
		if (!str_copys(&tmp, dir) || !str_append(&tmp, '/') || !str_cats(&tmp, made->s + i) || !str_0(&tmp))
			die_nomem();
		if (unlink(tmp.s) == -1 && errno != ENOENT)
			log_warn("cannot take back a copy: ", who);
	}
}

/*
 * cmd_copy - COPY, MOVE and their UID forms.  All or nothing: the
 * destination's quota is checked for the whole set first (RFC 9208
 * OVERQUOTA), and a failure part way takes back the copies already
 * made.  MOVE (RFC 6851) copies everything, each copy on disk (fsynced)
 * before the next, and only then removes the sources: a crash between
 * the two leaves a message in both folders, never in neither.
 */
static void cmd_copy(const struct imap_cmd *c, int byuid, int move)
{
	struct imap_seqset set = { 0, 0, 0 };
	struct str d = STR_INIT, src = STR_INIT, dst = STR_INIT, kwl = STR_INIT, made = STR_INIT, one = STR_INIT;
	size_t i, n = 0, q;
	unsigned long long bytes = 0, count = 0, addb = 0, addc = 0;
	uint32_t uid, uv = 0;
	int r, failed = 0, stuck = 0;

	if (c->nt != 2) { bad(c->tag, move ? "usage: MOVE set mailbox" : "usage: COPY set mailbox"); return; }
	if (!argmailbox(c, 1, &d))
		goto done;
	if (noperm(c, d.s))
		goto done;
	if (!exists(d.s)) {
		tagged(c->tag, "NO", "[TRYCREATE] no such mailbox");
		goto done;
	}
	if (move && readonly) {
		tagged(c->tag, "NO", "[READ-ONLY] mailbox is read-only");
		goto done;
	}
	if (!resolve(c, &c->t[0], byuid, &set))
		goto done;
	/* what the copies add to the quota; nothing net for a MOVE between two folders that both count */
	if (counted(d.s)) {
		for (i = nextin(&set, 0, byuid); i < sel.n; i = nextin(&set, i + 1, byuid))
			if (inset(&set, i, byuid)) {
				bytes += diskbytes(i);
				count++;
			}
		if (count && !(move && counted(sel.dir)) && maildir_quota_check(".", 0, bytes, count) == 1) {
			tagged(c->tag, "NO", "[OVERQUOTA] the messages would not fit in the mailbox; nothing was copied");
			goto done;
		}
	}
	for (i = nextin(&set, 0, byuid); i < sel.n; i = nextin(&set, i + 1, byuid)) {
		if (!inset(&set, i, byuid))
			continue;
		kwl.len = 0;
		for (q = 0; q < sel.nkw; q++)
			if ((sel.m[i].kw & (1u << q)) && ((kwl.len && !str_append(&kwl, ' ')) || !str_cats(&kwl, sel.kwname[q])))
				die_nomem();
		if (!str_0(&kwl))
			die_nomem();
		one.len = 0;
		r = store_copy_made(sel.dir, sel.m[i].file, d.s, sel.m[i].flags & ~STORE_PASSED, kwl.len > 1 ? kwl.s : 0, &uid, &uv, &one);
		if (one.len && !str_catb(&made, one.s, one.len))
			die_nomem();
		if (r < 0) {
			log_warn("cannot copy a message: ", who);
			failed = 1;
			break;
		}
		if (r == 0)
			continue;
		n++;
		if (counted(d.s)) {
			addb += diskbytes(i);
			addc++;
		}
		if (uid) {
			addset(&src, sel.m[i].uid);
			addset(&dst, uid);
		}
		if (move)
			sel.m[i].flags |= 0x100;	/* marked for removal below */
	}
	if (failed) {
		unmake(d.s, &made);
		for (i = 0; i < sel.n; i++)
			sel.m[i].flags &= ~0x100u;
		tagged(c->tag, "NO", "[SERVERBUG] cannot copy; nothing was copied");
		goto done;
	}
	if (addc)
		(void)maildir_quota_add(".", (long long)addb, (long long)addc);
	if (n && src.len && !str_0(&src))
		die_nomem();
	if (n && dst.len && !str_0(&dst))
		die_nomem();
	if (move) {
		/* every copy is on disk: now the sources go, exactly the moved ones whatever \Deleted others carry */
		size_t o = 0, k = 0;
		long long rb = 0, cnt = 0;
		if (src.len) {
			say("* OK [COPYUID ");
			sayu(uv);
			say(" ");
			say(src.s);
			say(" ");
			say(dst.s);
			say("] moved\r\n");
		}
		for (i = 0; i < sel.n; i++) {
			struct smsg *m = &sel.m[i];
			if (m->flags & 0x100) {
				unsigned long long sz = diskbytes(i);
				m->flags &= ~0x100u;
				if (!str_copys(&tmp, sel.dir) || !str_append(&tmp, '/') || !str_cats(&tmp, m->file) || !str_0(&tmp))
					die_nomem();
				if (unlink(tmp.s) == 0) {
					rb += (long long)sz;
					cnt++;
				} else if (errno != ENOENT) {
					/* still here: it stays in the client's view, and in both folders */
					log_warn("cannot remove a moved message: ", who);
					stuck = 1;
					sel.m[o++] = *m;
					k++;
					continue;
				}	/* else removed by another session, which counted it */
				say("* ");
				sayu(k + 1);
				say(" EXPUNGE\r\n");
				if (m->ownfile)
					free(m->file);
				continue;
			}
			sel.m[o++] = *m;
			k++;
		}
		sel.n = o;
		textidx = (size_t)-1;
		if (cnt && counted(sel.dir))
			(void)maildir_quota_add(".", -rb, -cnt);
		dirtimes(sel.dir, &curtime, &newtime);
		tagged(c->tag, "OK", stuck ? "MOVE completed, but some messages could not be removed here and are now in both mailboxes" :
		    "MOVE completed");
	} else if (src.len) {
		say(c->tag);
		say(" OK [COPYUID ");
		sayu(uv);
		say(" ");
		say(src.s);
		say(" ");
		say(dst.s);
		say("] COPY completed\r\n");
	} else
		tagged(c->tag, "OK", "COPY completed");
	if (!strcmp(d.s, sel.dir))
		refresh(1);
done:
	imap_seqset_free(&set);
	str_free(&d);
	str_free(&src);
	str_free(&dst);
	str_free(&kwl);
	str_free(&made);
	str_free(&one);
}

/* search callbacks over the selected mailbox */
static unsigned long long cb_size(void *ctx)
{
	return msgsize((size_t)(uintptr_t)ctx);
}

static const char *cb_text(void *ctx, size_t *len)
{
	return msgbytes((size_t)(uintptr_t)ctx, len);
}

static const char *cb_head(void *ctx, size_t *len)
{
	return msghead((size_t)(uintptr_t)ctx, len);
}

/* cmd_search - SEARCH and UID SEARCH */
static void cmd_search(const struct imap_cmd *c, int byuid)
{
	struct search s;
	struct search_msg m;
	size_t k = 0, i;
	int r, failed = 0;

	if (c->nt >= 2 && imap_tok_is(&c->t[0], "CHARSET")) {
		const struct imap_tok *cs = &c->t[1];
		if (!imap_tok_string(cs) || !((cs->len == 8 && !strncasecmp(cs->s, "US-ASCII", 8)) || (cs->len == 5 && !strncasecmp(cs->s, "UTF-8", 5)))) {
			tagged(c->tag, "NO", "[BADCHARSET (US-ASCII UTF-8)] unsupported charset");
			return;
		}
		k = 2;
	}
	r = search_parse(&s, c->t + k, c->nt - k, (uint32_t)sel.n, sel.n ? sel.m[sel.n - 1].uid : 0);
	if (r < 0)
		die_nomem();
	if (r == 0) {
		bad(c->tag, s.err ? s.err : "bad search");
		search_free(&s);
		return;
	}
	say("* SEARCH");
	for (i = 0; i < sel.n; i++) {
		m.seq = (uint32_t)(i + 1);
		m.uid = sel.m[i].uid;
		m.flags = sel.m[i].flags;
		m.recent = sel.m[i].recent;
		m.idate = s.needdate ? store_idate(&sel, i) : 0;
		m.kw = sel.m[i].kw;
		m.kwname = sel.kwname;
		m.nkw = sel.nkw;
		m.ctx = (void *)(uintptr_t)i;
		m.size = cb_size;
		m.text = s.needbody ? cb_text : cb_head;
		r = search_match(&s, &m);
		if (r < 0)
			failed = 1;
		if (r == 1) {
			say(" ");
			sayu(byuid ? sel.m[i].uid : i + 1);
		}
	}
	say("\r\n");
	search_free(&s);
	tagged(c->tag, "OK", failed ? "SEARCH completed (some messages could not be read)" : "SEARCH completed");
}

/* cmd_quota - GETQUOTA "" and GETQUOTAROOT mailbox, from maildirsize */
static void cmd_quota(const struct imap_cmd *c, int root)
{
	struct maildir_quota q;
	long long bytes = 0, count = 0;
	char *text = 0;
	int fd, have = 0;

	if (c->nt != 1 || !imap_tok_string(&c->t[0])) { bad(c->tag, "usage: GETQUOTA root"); return; }
	if (!root && c->t[0].len) {
		tagged(c->tag, "NO", "[NONEXISTENT] the only quota root is \"\"");
		return;
	}
	fd = open("maildirsize", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		char b[MAILDIR_SIZEFILE_MAX + 1];
		ssize_t n = read(fd, b, sizeof b - 1);
		close(fd);
		if (n > 0 && maildir_size_parse(b, (size_t)n, &q, &bytes, &count) == 1 && (q.bytes || q.count))
			have = 1;
	}
	(void)text;
	if (root) {
		/* the quota root "" is the user's maildir: .Trash and public folders are not under it */
		struct str d = STR_INIT;
		int under = store_mailbox_dir(c->t[0].s, c->t[0].len, &d) && str_0(&d) && counted(d.s);
		str_free(&d);
		say("* QUOTAROOT ");
		quote(c->t[0].s, c->t[0].len);
		say(have && under ? " \"\"\r\n" : "\r\n");
	}
	if (have) {
		int sp = 0;
		say("* QUOTA \"\" (");
		if (q.bytes) {
			say("STORAGE ");
			sayu((unsigned long long)(bytes > 0 ? bytes : 0) / 1024);
			say(" ");
			sayu(q.bytes / 1024);
			sp = 1;
		}
		if (q.count) {
			if (sp)
				say(" ");
			say("MESSAGE ");
			sayu((unsigned long long)(count > 0 ? count : 0));
			say(" ");
			sayu(q.count);
		}
		say(")\r\n");
	} else if (!root) {
		tagged(c->tag, "NO", "[NONEXISTENT] no quota");
		return;
	}
	tagged(c->tag, "OK", root ? "GETQUOTAROOT completed" : "GETQUOTA completed");
}

/* cmd_idle - IDLE (RFC 2177) with inotify on new/ and cur/ */
static void cmd_idle(const struct imap_cmd *c)
{
	struct pollfd p[2];
	struct str l = STR_INIT;
	char evbuf[4096];
	int ifd = -1, np = 1, e;

	if (c->nt) { bad(c->tag, "IDLE takes no argument"); return; }
	if (selected) {
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ifd >= 0) {
			uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
			if (!str_copys(&tmp, sel.dir) || !str_cats(&tmp, "/new") || !str_0(&tmp))
				die_nomem();
			(void)inotify_add_watch(ifd, tmp.s, mask);
			tmp.s[tmp.len - 4] = 'c'; tmp.s[tmp.len - 3] = 'u'; tmp.s[tmp.len - 2] = 'r';
			(void)inotify_add_watch(ifd, tmp.s, mask);
			/* the keyword file is replaced by a rename in the folder itself */
			(void)inotify_add_watch(ifd, sel.dir, IN_MOVED_TO);
			if (store_is_shared(sel.dir)) {
				/* a public folder's own changes reach its mirror at the next sync */
				if (!str_copys(&tmp, store_shared_root) || !str_append(&tmp, '/') ||
				    !str_cats(&tmp, sel.dir + sizeof STORE_MIRRORS) || !str_cats(&tmp, "/new") || !str_0(&tmp))
					die_nomem();
				(void)inotify_add_watch(ifd, tmp.s, mask);
				tmp.s[tmp.len - 4] = 'c'; tmp.s[tmp.len - 3] = 'u'; tmp.s[tmp.len - 2] = 'r';
				(void)inotify_add_watch(ifd, tmp.s, mask);
			}
			np = 2;
		}
	}
	syncsel();
	refresh(0);
	say("+ idling\r\n");
	(void)buf_flush(&out);
	for (;;) {
		if (!buf_held(&in) && pendfd < 0) {
			p[0].fd = 0;
			p[0].events = POLLIN;
			p[0].revents = 0;
			p[1].fd = ifd;
			p[1].events = POLLIN;
			p[1].revents = 0;
			do
				e = poll(p, (nfds_t)np, timeout * 1000);
			while (e == -1 && errno == EINTR);
			if (e == 0) {
				say("* BYE autologout: idle too long\r\n");
				(void)buf_flush(&out);
				_exit(0);
			}
			if (np == 2 && (p[1].revents & POLLIN)) {
				struct timespec ts = { 0, IDLE_SETTLE_MS * 1000000L };
				nanosleep(&ts, 0);
				while (read(ifd, evbuf, sizeof evbuf) > 0)
					;
				syncsel();
				refresh(0);
				(void)buf_flush(&out);
			}
			if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		l.len = 0;
		l.max = IMAP_LINE_MAX;
		e = buf_getline(&in, &l, '\n');
		if (e <= 0)
			_exit(0);
		l.len--;
		if (l.len && l.s[l.len - 1] == '\r')
			l.len--;
		break;
	}
	if (ifd >= 0)
		close(ifd);
	if (l.len == 4 && !strncasecmp(l.s, "DONE", 4))
		tagged(c->tag, "OK", "IDLE terminated");
	else
		bad(c->tag, "expected DONE");
	str_free(&l);
}

/* badtag - a tag for a command that did not parse */
static const char *badtag(const struct imap_cmd *c, struct str *t)
{
	size_t i;

	if (c->tag && c->taglen)
		return c->tag;
	for (i = 0; i < cmd.len && i < IMAP_TAG_MAX && cmd.s[i] > 0x20 && cmd.s[i] < 0x7f &&
	    cmd.s[i] != '"' && cmd.s[i] != '{' && cmd.s[i] != '(' && cmd.s[i] != '+'; i++)
		;
	if (!i || (i < cmd.len && cmd.s[i] != ' '))
		return "*";
	if (!str_copyb(t, cmd.s, i) || !str_0(t))
		die_nomem();
	return t->s;
}

/* needsel - 1 if a mailbox is selected, else BAD and 0 */
static int needsel(const struct imap_cmd *c)
{
	if (selected)
		return 1;
	bad(c->tag, "no mailbox selected");
	return 0;
}

/* session - the authenticated and selected states */
static void session(void)
{
	struct imap_cmd c, u;
	struct str t = STR_INIT;
	const char *err = "";
	int r;

	imap_cmd_init(&c);
	imap_cmd_init(&u);
	for (;;) {
		r = cmdread(&in, &out, &cmd, IMAP_LITERAL_MAX, IMAP_CMD_MAX, &err);
		if (r == CMDREAD_EOF)
			return;
		if (r == CMDREAD_CLOSE) {
			log_info("oversized literal: ", who);
			say("* BYE [TOOBIG] literal too big, closing connection\r\n");
			return;
		}
		c.tag = 0;
		c.taglen = 0;
		if (r == CMDREAD_BAD) {
			bad(badtag(&c, &t), err);
			continue;
		}
		r = imap_parse(cmd.s, cmd.len, &c);
		if (r < 0)
			die_nomem();
		if (r == 0) {
			bad(badtag(&c, &t), c.err);
			continue;
		}
		if (!strcmp(c.name, "CAPABILITY")) {
			say("* CAPABILITY ");
			capability();
			say("\r\n");
			tagged(c.tag, "OK", "CAPABILITY completed");
		} else if (!strcmp(c.name, "NOOP") || !strcmp(c.name, "CHECK")) {
			if (c.name[0] == 'C' && !needsel(&c))
				continue;
			syncsel();
			refresh(0);
			tagged(c.tag, "OK", c.name[0] == 'N' ? "NOOP completed" : "CHECK completed");
		} else if (!strcmp(c.name, "LOGOUT")) {
			say("* BYE logging out\r\n");
			tagged(c.tag, "OK", "LOGOUT completed");
			return;
		} else if (!strcmp(c.name, "ID")) {
			say("* ID (\"name\" \"kurier\")\r\n");
			tagged(c.tag, "OK", "ID completed");
		} else if (!strcmp(c.name, "ENABLE")) {
			say("* ENABLED\r\n");
			tagged(c.tag, "OK", "ENABLE completed");
		} else if (!strcmp(c.name, "NAMESPACE")) {
			say(store_inbox_prefix ? "* NAMESPACE ((\"INBOX.\" \".\")) NIL " : "* NAMESPACE ((\"\" \".\")) NIL ");
			say(store_shared_root ? "((\"" STORE_SHARED_PREFIX "\" \".\"))\r\n" : "NIL\r\n");
			tagged(c.tag, "OK", "NAMESPACE completed");
		} else if (!strcmp(c.name, "STARTTLS") || !strcmp(c.name, "LOGIN") || !strcmp(c.name, "AUTHENTICATE")) {
			bad(c.tag, "already authenticated");
		} else if (!strcmp(c.name, "SELECT") || !strcmp(c.name, "EXAMINE")) {
			/* a public folder is only ever examined: nothing a session changes in its mirror would reach the folder */
			struct str d = STR_INIT;
			int pub = c.nt == 1 && imap_tok_string(&c.t[0]) && store_mailbox_dir(c.t[0].s, c.t[0].len, &d) && str_0(&d) && store_is_shared(d.s);
			str_free(&d);
			cmd_select(&c, c.name[0] == 'E' || pub);
		} else if (!strcmp(c.name, "CREATE")) {
			cmd_create(&c);
		} else if (!strcmp(c.name, "DELETE")) {
			cmd_delete(&c);
		} else if (!strcmp(c.name, "RENAME")) {
			cmd_rename(&c);
		} else if (!strcmp(c.name, "SUBSCRIBE") || !strcmp(c.name, "UNSUBSCRIBE")) {
			cmd_subscribe(&c, c.name[0] == 'S');
		} else if (!strcmp(c.name, "LIST") || !strcmp(c.name, "LSUB")) {
			cmd_list(&c, c.name[1] == 'S');
		} else if (!strcmp(c.name, "STATUS")) {
			cmd_status(&c);
		} else if (!strcmp(c.name, "APPEND")) {
			cmd_append(&c);
		} else if (!strcmp(c.name, "GETQUOTA") || !strcmp(c.name, "GETQUOTAROOT")) {
			cmd_quota(&c, c.namelen == 12);
		} else if (!strcmp(c.name, "SETQUOTA")) {
			tagged(c.tag, "NO", "[NOPERM] quotas are set by the administrator");
		} else if (!strcmp(c.name, "IDLE")) {
			cmd_idle(&c);
		} else if (!strcmp(c.name, "CLOSE") || !strcmp(c.name, "UNSELECT")) {
			if (!needsel(&c))
				continue;
			if (c.name[0] == 'C' && !readonly)
				expunge(0, 0);
			unselect();
			tagged(c.tag, "OK", c.name[0] == 'C' ? "CLOSE completed" : "UNSELECT completed");
		} else if (!strcmp(c.name, "EXPUNGE")) {
			if (!needsel(&c))
				continue;
			if (readonly) {
				tagged(c.tag, "NO", "[READ-ONLY] mailbox is read-only");
				continue;
			}
			expunge(0, 1);
			refresh(0);
			tagged(c.tag, "OK", "EXPUNGE completed");
		} else if (!strcmp(c.name, "SEARCH")) {
			if (needsel(&c))
				cmd_search(&c, 0);
		} else if (!strcmp(c.name, "FETCH")) {
			if (needsel(&c))
				cmd_fetch(&c, 0);
		} else if (!strcmp(c.name, "STORE")) {
			if (needsel(&c))
				cmd_store(&c, 0);
		} else if (!strcmp(c.name, "COPY") || !strcmp(c.name, "MOVE")) {
			if (needsel(&c))
				cmd_copy(&c, 0, c.name[0] == 'M');
		} else if (!strcmp(c.name, "UID")) {
			const struct imap_tok *sub;
			if (!needsel(&c))
				continue;
			if (!c.nt || c.t[0].type != IMAP_ATOM) {
				bad(c.tag, "usage: UID command arguments");
				continue;
			}
			/* the rest as a command of its own: shift the tokens by one */
			sub = &c.t[0];
			{
				struct imap_cmd s = c;
				size_t k;
				s.t = c.t + 1;
				s.nt = c.nt - 1;
				for (k = 0; k < s.nt; k++)
					if (s.t[k].type == IMAP_OPEN)
						s.t[k].end--;
				if (imap_tok_is(sub, "FETCH"))
					cmd_fetch(&s, 1);
				else if (imap_tok_is(sub, "STORE"))
					cmd_store(&s, 1);
				else if (imap_tok_is(sub, "COPY"))
					cmd_copy(&s, 1, 0);
				else if (imap_tok_is(sub, "MOVE"))
					cmd_copy(&s, 1, 1);
				else if (imap_tok_is(sub, "SEARCH"))
					cmd_search(&s, 1);
				else if (imap_tok_is(sub, "EXPUNGE")) {
					struct imap_seqset set = { 0, 0, 0 };
					if (readonly)
						tagged(c.tag, "NO", "[READ-ONLY] mailbox is read-only");
					else if (s.nt == 1 && resolve(&s, &s.t[0], 1, &set)) {
						expunge(&set, 1);
						tagged(c.tag, "OK", "UID EXPUNGE completed");
					} else if (s.nt != 1)
						bad(c.tag, "usage: UID EXPUNGE set");
					imap_seqset_free(&set);
				} else
					bad(c.tag, "unknown UID command");
				for (k = 0; k < s.nt; k++)
					if (s.t[k].type == IMAP_OPEN)
						s.t[k].end++;
			}
		} else {
			bad(c.tag, "unknown command");
		}
		/* many headers learned: into the cache file now, rather than held until the end */
		if (selected && sel.hcnew.len > HCACHE_FLUSH)
			(void)store_hcache_save(&sel);
		if (cmd.a > IMAP_LINE_MAX * 4) {
			/* do not keep an APPEND's worth of memory between commands */
			str_free(&cmd);
			imap_cmd_free(&c);
			imap_cmd_init(&c);
		}
	}
}

/* confine - limits and the system-call filter; the ids are already the user's */
static void confine(void)
{
	struct sandbox sb;

	memset(&sb, 0, sizeof sb);
	sb.allow = SANDBOX_FILES | SANDBOX_INOTIFY;
	sb.mem = IMAP_MEM_LIMIT;	/* lib/sandbox leaves it under ASan */
	sb.nofile = IMAP_NOFILE;
	if (sandbox_enter(&sb) != 1)
		die(EX_T_TEMP, "cannot enter the sandbox");
}

int main(int argc, char **argv)
{
	const char *dir, *v, *tag;
	unsigned long long u;

	log_prog("kurier-imapd");
	signal(SIGPIPE, SIG_IGN);
	buf_init(&in, saferead, 0, inspace, sizeof inspace);
	buf_init(&out, safewrite, 1, outspace, sizeof outspace);
	if (getuid() == 0 || geteuid() == 0)
		diex(EX_PW_BAD, "root may not read mail through IMAP");
	v = getenv("USER");
	who = v && *v ? v : "?";
	v = getenv("KURIER_IMAP_PENDING");
	if (v && *v && scan_ulongs(v, &u) && u > 2 && u < 1000 && fcntl((int)u, F_GETFD) != -1) {
		pendfd = (int)u;
		(void)fcntl(pendfd, F_SETFD, FD_CLOEXEC);
	}
	v = getenv("KURIER_IMAP_NAMESPACE");
	if (v && *v) {
		/* the personal namespace: Courier's INBOX. (default) or the top level */
		if (!strcmp(v, "INBOX."))
			store_inbox_prefix = 1;
		else if (!strcmp(v, "."))
			store_inbox_prefix = 0;
		else
			diex(EX_T_TEMP, "KURIER_IMAP_NAMESPACE must be INBOX. or .");
	}
	v = getenv("KURIER_IMAP_SHARED");
	if (!v) {
		/* the public folders: conf-home/shared unless told otherwise */
		const char *h = getenv("KURIER_HOME");
		static struct str root;
		if (!str_copys(&root, h && *h ? h : auto_home) || !str_cats(&root, "/shared") || !str_0(&root))
			die_nomem();
		v = root.s;
	}
	if (*v && *v != '/')
		diex(EX_T_TEMP, "KURIER_IMAP_SHARED must be an absolute path (or empty: no public folders)");
	store_shared_root = *v ? v : 0;
	v = getenv("KURIER_IMAP_TIMEOUT");
	if (v && *v && scan_ulongs(v, &u) && u > 0 && u <= IMAP_TIMEOUT_MAX)
		timeout = (int)u;
	dir = argc > 1 ? argv[1] : getenv("MAILDIR");
	if (!dir || !*dir) {
		v = getenv("HOME");
		if (!v || !*v)
			diex(EX_T_TEMP, "neither MAILDIR nor HOME is set");
		if (chdir(v) == -1)
			die(EX_T_TEMP, "cannot enter ", v);
		dir = "Maildir";
	}
	if (chdir(dir) == -1)
		die(EX_T_TEMP, "cannot enter the maildir ", dir);
	{
		int one = 1;
		(void)setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	confine();
	v = getenv("KURIER_IMAP_STARTED");
	if (v && *v && scan_ulongs(v, &u) && u > 2 && u < 1000) {
		(void)!write((int)u, "S", 1);
		close((int)u);
	}
	tag = getenv("KURIER_IMAP_TAG");
	if (tag && *tag) {
		say(tag);
		say(" OK [CAPABILITY ");
		capability();
		say("] logged in\r\n");
	} else {
		say("* PREAUTH [CAPABILITY ");
		capability();
		say("] kurier IMAP ready\r\n");
	}
	log_info("login: ", who);
	session();
	unselect();
	(void)buf_flush(&out);
	return 0;
}
