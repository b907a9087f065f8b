/*
 * store - the storage kurier-imapd serves, knowing nothing of IMAP
 * syntax: Maildir++ folders (".A.B" under the maildir), persistent UIDs
 * and UIDVALIDITY in a per-folder uid list that also caches each
 * message's size with CRLF line ends and its internal date, flags in
 * the file names (":2," then the letters DFPRST in order), and the
 * subscription list.
 *
 * The uid list, FOLDER/kurier-uidlist, is text:
 *   line 1:  "kurier-uidlist 2 UIDVALIDITY UIDNEXT CURMTIME NEWMTIME"
 *   then:    "UID SIZE IDATE FILE" per message, SIZE 0 when not known yet,
 *            FILE "cur/NAME:2,FLAGS" or "new/NAME"
 * While cur/ and new/ still carry the recorded times (sec.nsec), a load
 * takes everything from the list without reading the directories.
 * Beside it, FOLDER/kurier-index is the same list in binary form, for a
 * cheap SELECT: a header (UIDVALIDITY, UIDNEXT, the two directory times,
 * and the inode, size and mtime of the uid list it was made from), then
 * the message table (struct smsg records, their file pointers set for the
 * address the header names), then the names.  It is a cache: written
 * (tmp + rename, no fsync) after a full look at settled directories,
 * mapped copy-on-write by a load and used in place as f->m, and
 * trusted only while the uid list and both directories are exactly as it
 * records them; anything else (missing, short, damaged) means the text
 * list is read as before.  See kurier-uidlist(5).
 * Keywords (RFC 3501 flags without a backslash) live in FOLDER/kurier-keywords,
 * one line per message that has any: "NAME kw kw...", NAME its unique name;
 * written like the uid list.  A folder holds at most IMAP_KEYWORDS_MAX.
 * It is only written under an exclusive flock(2) of the folder directory,
 * to a temporary file that is fsynced and renamed over it, so a reader
 * sees the old list or the new one.  A missing or damaged list is built
 * again with a new UIDVALIDITY (greater than any seen before), so that
 * clients throw away what they cached.
 */
#ifndef KURIER_STORE_H
#define KURIER_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "imap.h"
#include "str.h"

#define STORE_UIDLIST "kurier-uidlist"
#define STORE_SUBSCRIBED "kurier-subscribed"
#define STORE_KEYWORDS "kurier-keywords"
#define STORE_INDEX "kurier-index"

/* flags: the maildir letters */
#define STORE_DRAFT    0x01	/* D */
#define STORE_FLAGGED  0x02	/* F */
#define STORE_PASSED   0x04	/* P: no IMAP flag, kept as it is */
#define STORE_ANSWERED 0x08	/* R */
#define STORE_SEEN     0x10	/* S */
#define STORE_DELETED  0x20	/* T */

struct smsg {
	uint32_t uid;
	unsigned flags;
	uint32_t kw;			/* keywords: bit k is folder.kwname[k] */
	unsigned char recent;		/* moved from new/ by this session */
	unsigned char gone;		/* the file has disappeared (expunged elsewhere) */
	unsigned char sizedirty;	/* size or date learned here, not yet in the uid list */
	unsigned char kwdirty;		/* keywords changed here, not yet in the keyword file */
	unsigned char hnew;		/* the cached header is in folder.hcnew, not folder.hctext */
	unsigned char ownfile;		/* file was malloc'd (else it points into folder.ultext) */
	uint32_t hoff, hlen;		/* the cached header block; hlen 0: not cached */
	unsigned short baselen;		/* bytes of the unique name at file + 4 */
	unsigned long long size;	/* RFC822.SIZE; 0 not known yet */
	long long idate;		/* INTERNALDATE: the file's mtime; 0 until store_idate looks */
	char *file;			/* "cur/NAME:2,FLAGS" or "new/NAME", relative to the folder; in folder.idxmap or
					 * folder.ultext unless ownfile; never written through */
};

struct idxpend;

struct folder {
	char *dir;			/* "." for INBOX, else ".A.B" */
	struct smsg *m;
	size_t n, a;
	uint32_t uidvalidity, uidnext;
	size_t recent;			/* messages that were in new/ */
	char *kwname[IMAP_KEYWORDS_MAX];	/* the folder's keywords, in the order first used */
	size_t nkw;
	char *ultext;			/* the uid list as read, when messages point into it */
	char *hctext;			/* the header cache file, mapped */
	size_t hclen, hcmap;		/* its valid bytes; its mapped size */
	int hcloaded;
	struct str hcnew;		/* headers learned in this session, as records to add */
	char *idxmap;			/* the binary index, mapped copy-on-write, when m or the names live in it */
	int minmap;			/* m is the index's table: never free or realloc it apart from the mapping */
	struct idxpend *idxpend;	/* an index to write after the answer (store_index_flush) */
	size_t idxmaplen;		/* its mapped size */
	size_t hctouch;			/* cached header bytes handed out since the mapping's pages were last let go */
};

/* store_load - read dir's messages (moving new/ to cur/ if takenew) and its uid list into f (emptied first); 1 ok, -1 error */
int store_load(const char *dir, struct folder *f, int takenew);
/* store_index_flush - write the binary index a load of f found missing or stale, if nothing changed since; 1 written, 0 not needed or not valid any more, -1 error */
int store_index_flush(struct folder *f);
/* store_free - release what f holds */
void store_free(struct folder *f);
/* store_save_sizes - record the sizes learned in f into its uid list; 1 ok, -1 error */
int store_save_sizes(struct folder *f);
/* store_setflags - rename message i of f to carry flags; 1 ok, 0 the file is gone, -1 error */
int store_setflags(struct folder *f, size_t i, unsigned flags);
/* store_flags_of - the flags in a file name's ":2," part */
unsigned store_flags_of(const char *name, size_t n);
/* store_kw_bit - the bit of keyword name in f, adding it when add; -1 unknown, -2 the folder has IMAP_KEYWORDS_MAX already, -3 no memory */
int store_kw_bit(struct folder *f, const char *name, size_t n, int add);
/* store_kw_save - write the keywords of f's messages whose kwdirty is set into the folder's keyword file; 1 ok, -1 error */
int store_kw_save(struct folder *f);
/*
 * The header cache, FOLDER/kurier-headers: "kurier-headers 1 UIDVALIDITY\n",
 * then records "UID LEN\n" + LEN bytes of the message's header block +
 * "\n".  Messages never change and UIDs are never reused, so a record
 * stays true as long as the UIDVALIDITY does.  Rewritten whole (tmp +
 * rename, under the folder lock) with the records of messages still
 * there, those of newer UIDs, and the ones learned here.
 */
#define STORE_HEADERS "kurier-headers"
#define STORE_HEADER_MAX 65536		/* a longer header block is not cached */
#define STORE_HCACHE_MAX 268435456ULL	/* the cache file stops growing at 256 MiB */
/* cached header bytes read through the mapping before the session lets the
 * kernel drop its page-table entries for it (the pages stay in the page
 * cache, shared with every other session; they are mapped again on use) */
#define STORE_HCACHE_RESIDENT 4194304
/* store_hcache_get - the cached header block of message i, loading the cache once; 0 if not cached */
const char *store_hcache_get(struct folder *f, size_t i, size_t *len);
/* store_hcache_add - remember message i's header block for the cache; 1 ok, 0 not kept, -1 no memory */
int store_hcache_add(struct folder *f, size_t i, const char *h, size_t n);
/* store_hcache_save - write the headers learned into the cache file; 1 ok, -1 error */
int store_hcache_save(struct folder *f);
/* store_idate - INTERNALDATE of message i (the file's mtime), looked up once; 0 if gone */
long long store_idate(struct folder *f, size_t i);
/* store_find_uid - index of uid in f (sorted by uid), or f->n */
size_t store_find_uid(const struct folder *f, uint32_t uid);

/*
 * Public folders: the Maildir++ folders ".A.B" under store_shared_root
 * (0: none) are the mailboxes "shared.A.B", read through a private
 * mirror STORE_MIRRORS/.A.B in the user's maildir (see store.c).
 */
#define STORE_MIRRORS "kurier-shared"
#define STORE_SHARED_PREFIX "shared."
extern const char *store_shared_root;
/* store_is_shared - 1 if the folder directory dir is the mirror of a public folder */
int store_is_shared(const char *dir);
/* store_shared_folders - the public folders the user may read, as mirror directories, each followed by NUL, sorted; 1 ok, -1 error */
int store_shared_folders(struct str *out, size_t *count);
/* store_shared_prune - remove the mirrors of public folders gone or closed to the user; 1 ok, -1 error */
int store_shared_prune(void);
/* store_shared_sync - bring the mirror dir up to date with its public folder; 1 ok, 0 not readable by this user (mirror removed), -1 error */
int store_shared_sync(const char *dir);

/* 1: folders are named INBOX.A.B (Courier's namespace, the default); 0: A.B at the top, beside INBOX */
extern int store_inbox_prefix;
/* store_mailbox_dir - the directory of an IMAP mailbox name (modified UTF-7, as sent) into dir; 1 ok, 0 not an acceptable name */
int store_mailbox_dir(const char *name, size_t n, struct str *dir);
/* store_dir_mailbox - the IMAP name of a directory ("." or ".A.B") into name; 1 ok, 0 no memory */
int store_dir_mailbox(const char *dir, struct str *name);
/* store_folders - every folder directory under the maildir, as ".A.B" names each followed by NUL, sorted; 1 ok, -1 error */
int store_folders(struct str *out, size_t *count);
/* store_create - create folder dir; 1 ok, 0 exists, -1 error */
int store_create(const char *dir);
/* store_delete - remove folder dir and its messages (not its subfolders); 1 ok, 0 no such folder, -1 error */
int store_delete(const char *dir);
/* store_rename - rename folder from (or a name with only subfolders) and its subfolders to; 1 ok, 0 neither from nor subfolders of it, or to exists, -1 error */
int store_rename(const char *from, const char *to);
/* store_deliver - put n bytes into dir with flags, keywords kw (space-separated, or 0) and internal date; the new UID in *uid; 1 ok, -1 error */
int store_deliver(const char *dir, const char *msg, size_t n, unsigned flags, const char *kw, long long idate, uint32_t *uid, uint32_t *uidvalidity);
/* store_copy - copy message file src (relative to srcdir) into dir with flags and keywords kw (or 0); new UID in *uid; 1 ok, 0 src gone, -1 error */
int store_copy(const char *srcdir, const char *src, const char *dir, unsigned flags, const char *kw, uint32_t *uid, uint32_t *uidvalidity);
/* store_copy_made - store_copy, also putting the copy's file ("cur/NAME:2,FLAGS", relative to dir) into made when it is not 0, even on failure, so that it can be taken back */
int store_copy_made(const char *srcdir, const char *src, const char *dir, unsigned flags, const char *kw, uint32_t *uid, uint32_t *uidvalidity,
    struct str *made);
/* store_subscriptions - the subscribed names, each followed by NUL; 1 ok, -1 error */
int store_subscriptions(struct str *out);
/* store_subscribe - add (on) or remove (!on) a name; 1 ok, -1 error */
int store_subscribe(const char *name, size_t n, int on);
/* store_prefetch - start reading message i's file in the background (a hint; nothing when its header is cached) */
void store_prefetch(const struct folder *f, size_t i);
/* store_read - the whole message file of f's message i into out; 1 ok, 0 gone, -1 error */
int store_read(const struct folder *f, size_t i, struct str *out);

#endif
