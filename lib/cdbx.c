/*
 * cdbx.c - cdb access through libcdb; see cdbx.h.
 * libcdb maps the file and checks every offset against its size, so a
 * corrupt cdb yields "not found" or EPROTO, not a wild read.  Writes go
 * through a memory file in chunks, as cdbx.h explains.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cdbx.h"

/* the memory file is mapped this long at first: a chunk, the table of
 * contents' page, a left-over block, and room for what libcdb writes past
 * a chunk before the next copy (its 4 KiB buffer and a record); a longer
 * overrun remaps it */
#define CDBX_WINDOW (CDBX_WIN + CDBX_ALIGN + CDBX_CHUNK + 256UL * 1024)

int cdbx_get(const char *path, const char *key, size_t klen, struct str *out)
{
	struct cdb c;
	int fd, r;

	if (klen > 0xffffffffu)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (cdb_init(&c, fd) != 0) {
		int e = errno;
		close(fd);
		errno = e ? e : EPROTO;
		return -1;
	}
	r = cdb_find(&c, key, (unsigned)klen);
	if (r > 0) {
		const void *d = cdb_get(&c, cdb_datalen(&c), cdb_datapos(&c));
		if (!d) {
			errno = EPROTO;
			r = -1;
		} else if (!str_copyb(out, d, cdb_datalen(&c))) {
			r = -1;
		} else {
			r = 1;
		}
	} else if (r < 0) {
		errno = EPROTO;
	}
	cdb_free(&c);
	close(fd);
	return r;
}

int fsync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	struct str dir = STR_INIT;
	int fd, r;

	if (!slash)
		r = str_copys(&dir, ".");
	else if (slash == path)
		r = str_copys(&dir, "/");
	else
		r = str_copyb(&dir, path, (size_t)(slash - path));
	if (!r)
		return -1;
	fd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	str_free(&dir);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r == 0 ? 1 : -1;
}

static int put_all(int fd, const char *p, size_t n, off_t off);

/* stage_map - map the memory file's first len bytes; 1 ok, -1 error */
static int stage_map(struct cdbx_make *m, size_t len)
{
	void *p;

	if (m->win)
		p = mremap((void *)m->win, m->winlen, len, MREMAP_MAYMOVE);
	else
		p = mmap(0, len, PROT_READ, MAP_SHARED, m->stage, 0);
	if (p == MAP_FAILED)
		return -1;
	m->win = p;
	m->winlen = len;
	return 1;
}

/* stage_close - unmap and close the memory file, if any */
static void stage_close(struct cdbx_make *m)
{
	if (m->win)
		munmap((void *)m->win, m->winlen);
	m->win = 0;
	m->winlen = 0;
	if (m->stage != -1)
		close(m->stage);
	m->stage = -1;
}

/* stage_open - make a memory file for libcdb to write to; 1 made, 0 not available (libcdb writes the file itself) */
static int stage_open(struct cdbx_make *m)
{
	m->stage = memfd_create("cdbx", MFD_CLOEXEC);
	if (m->stage == -1)
		return 0;
	/* sized and mapped once: a chunk and the records that overrun it;
	 * libcdb starts writing (the table of contents' placeholder, then
	 * the records) at CDBX_WIN, which is file offset 0 */
	if (ftruncate(m->stage, (off_t)CDBX_WINDOW) != 0 || stage_map(m, CDBX_WINDOW) < 0 ||
	    lseek(m->stage, CDBX_WIN, SEEK_SET) != CDBX_WIN) {
		stage_close(m);
		return 0;
	}
	m->base = 0;
	return 1;
}

/* direct_off - stop writing m's file with O_DIRECT; 1 ok, -1 error */
static int direct_off(struct cdbx_make *m)
{
	int fl;

	if (!m->direct)
		return 1;
	fl = fcntl(m->fd, F_GETFL);
	if (fl == -1 || fcntl(m->fd, F_SETFL, fl & ~O_DIRECT) == -1)
		return -1;
	m->direct = 0;
	return 1;
}

/* put_direct - write n bytes (whole blocks) of the mapped stage at p to
 * the file at off with O_DIRECT, or through the page cache if the
 * filesystem refuses it; 1 ok, -1 error */
static int put_direct(struct cdbx_make *m, const char *p, size_t n, off_t off)
{
	while (n) {
		ssize_t r = pwrite(m->fd, p, n, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EINVAL) {
			/* O_DIRECT not after all: the rest through the page cache */
			if (direct_off(m) < 0)
				return -1;
			return put_all(m->fd, p, n, off);
		}
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += r;
		if (n % CDBX_ALIGN && direct_off(m) < 0)	/* a short write broke the blocks */
			return -1;
	}
	return 1;
}

/* put_all - pwrite n bytes of p at off in fd; 1 ok, -1 error */
static int put_all(int fd, const char *p, size_t n, off_t off)
{
	while (n) {
		ssize_t r = pwrite(fd, p, n, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 1;
}

/* stage_copy - copy the staged bytes [CDBX_WIN, end) to the file at base,
 * with O_DIRECT only whole blocks of them (unless all); the bytes copied, or -1 */
static ssize_t stage_copy(struct cdbx_make *m, size_t end, int all)
{
	size_t n;

	if (end <= CDBX_WIN)
		return 0;
	if (end > m->winlen && stage_map(m, end) < 0)
		return -1;
	n = end - CDBX_WIN;
	if (m->direct) {
		size_t whole = n & ~(size_t)(CDBX_ALIGN - 1);
		if (whole && m->base == 0) {	/* the first block: keep what follows the table of contents */
			memcpy(m->first, m->win + CDBX_WIN + CDBX_HEAD, sizeof m->first);
			m->have_first = 1;
		}
		if (whole && put_direct(m, m->win + CDBX_WIN, whole, m->base) < 0)
			return -1;
		m->base += (off_t)whole;
		m->synced = m->base;	/* on the disk already */
		if (!all || whole == n)
			return (ssize_t)whole;
		/* the last part block through the page cache */
		if (direct_off(m) < 0)
			return -1;
		if (put_all(m->fd, m->win + CDBX_WIN + whole, n - whole, m->base) < 0)
			return -1;
		m->base += (off_t)(n - whole);
		(void)sync_file_range(m->fd, m->synced, m->base - m->synced, SYNC_FILE_RANGE_WRITE);	/* a hint, as below */
		m->synced = m->base;
		return (ssize_t)n;
	}
	if (put_all(m->fd, m->win + CDBX_WIN, n, m->base) < 0)
		return -1;
	m->base += (off_t)n;
	/* only a hint, so that the final fsync finds little left to write;
	 * a failure to write shows up again at the fsync */
	(void)sync_file_range(m->fd, m->synced, m->base - m->synced, SYNC_FILE_RANGE_WRITE);
	m->synced = m->base;
	return (ssize_t)n;
}

/* stage_drain - copy what libcdb has staged so far and move what is
 * left of it (less than a block) back to CDBX_WIN; the new position, or -1 */
static off_t stage_drain(struct cdbx_make *m)
{
	off_t pos = lseek(m->stage, 0, SEEK_CUR);
	ssize_t done;
	size_t left;

	if (pos == -1 || pos <= CDBX_WIN)
		return pos;
	if ((done = stage_copy(m, (size_t)pos, 0)) < 0)
		return -1;
	left = (size_t)pos - CDBX_WIN - (size_t)done;
	/* the left-over bytes lie past the first block after CDBX_WIN, so
	 * they never overlap their new place (nothing copied: they are there) */
	if (left && done && put_all(m->stage, m->win + CDBX_WIN + done, left, CDBX_WIN) < 0)
		return -1;
	if (lseek(m->stage, CDBX_WIN + (off_t)left, SEEK_SET) != CDBX_WIN + (off_t)left)
		return -1;
	return CDBX_WIN + (off_t)left;
}

/* spare_take - m->tmp names what was the spare: open it for writing if
 * nobody can be reading it and it is what a new temporary would be (a
 * regular file of ours with one link); the descriptor, or -1 (then
 * m->tmp is to be created afresh) */
static int spare_take(struct cdbx_make *m)
{
	struct stat st;
	int fd = open(m->tmp.s, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		return -1;
	/* a write lease is refused while any other process has the file
	 * open or mapped; it is let go at once (nobody can open the file
	 * by its old name any more, and nobody knows this one) */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid() || st.st_gid != getegid() ||
	    fcntl(fd, F_SETLEASE, F_WRLCK) != 0) {
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	m->reused = 1;
	return fd;
}

/* make_start - cdbx_make_start, over the spare if spare; 1 ok, -1 error */
static int make_start(struct cdbx_make *m, const char *path, mode_t mode, int spare)
{
	struct str old = STR_INIT;

	m->fd = -1;
	m->stage = -1;
	m->win = 0;
	m->winlen = 0;
	m->pending = 0;
	m->base = 0;
	m->synced = 0;
	m->direct = 0;
	m->have_first = 0;
	m->reused = 0;
	m->tmp = (struct str)STR_INIT;
	m->final = (struct str)STR_INIT;
	if (!str_copys(&m->final, path) || !str_copys(&m->tmp, path) ||
	    !str_cats(&m->tmp, ".tmp"))
		goto fail;
	if (spare) {
		if (!str_copys(&old, path) || !str_cats(&old, CDBX_SPARE))
			goto fail;
		/* over a leftover temporary, which goes; no spare: a new file */
		if (rename(old.s, m->tmp.s) == 0)
			m->fd = spare_take(m);
		str_free(&old);
	}
	if (m->fd == -1) {
		unlink(m->tmp.s);	/* a leftover from a crashed run, or a spare not taken */
		m->fd = open(m->tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	}
	if (m->fd == -1)
		goto fail;
	if (fchmod(m->fd, mode) == -1) {
		cdbx_make_abort(m);
		return -1;
	}
	/* without a memory file libcdb writes the file itself, and nothing
	 * says where its last byte is: a spare is emptied first */
	if (!stage_open(m) && m->reused && ftruncate(m->fd, 0) != 0) {
		cdbx_make_abort(m);
		return -1;
	}
	if (cdb_make_start(&m->cm, m->stage != -1 ? m->stage : m->fd) != 0) {
		cdbx_make_abort(m);
		return -1;
	}
	return 1;
fail:
	str_free(&old);
	str_free(&m->tmp);
	str_free(&m->final);
	return -1;
}

int cdbx_make_start(struct cdbx_make *m, const char *path, mode_t mode)
{
	return make_start(m, path, mode, 0);
}

int cdbx_make_start_spare(struct cdbx_make *m, const char *path, mode_t mode)
{
	return make_start(m, path, mode, 1);
}

int cdbx_make_direct(struct cdbx_make *m)
{
	int fl;

	/* only where libcdb does not write the file itself, and before any copy */
	if (m->stage == -1 || m->base != 0)
		return 0;
	fl = fcntl(m->fd, F_GETFL);
	m->direct = fl != -1 && fcntl(m->fd, F_SETFL, fl | O_DIRECT) == 0;
	return m->direct;
}

int cdbx_make_add(struct cdbx_make *m, const char *k, size_t kl, const char *d, size_t dl)
{
	if (kl > 0xffffffffu || dl > 0xffffffffu) {
		errno = EFBIG;
		return -1;
	}
	if (cdb_make_add(&m->cm, k, (unsigned)kl, d, (unsigned)dl) != 0)
		return -1;
	if (m->stage == -1)
		return 1;
	/* a record takes 8 bytes of lengths, the key and the data */
	m->pending += 8 + kl + dl;
	if (m->pending >= CDBX_CHUNK) {
		m->pending = 0;
		if (stage_drain(m) < 0)
			return -1;
	}
	return 1;
}

int cdbx_make_end(struct cdbx_make *m)
{
	struct stat st;
	off_t pos;
	int head = 0;	/* the table of contents is written */

	if (m->stage == -1) {
		if (cdb_make_finish(&m->cm) != 0)
			return -1;
		(void)sync_file_range(m->fd, 0, 0, SYNC_FILE_RANGE_WRITE);	/* a hint, as above */
		return 1;
	}
	/* cut the memory file at libcdb's position, so its size afterwards
	 * says where libcdb's last bytes end */
	pos = stage_drain(m);
	if (pos == -1 || ftruncate(m->stage, pos) != 0)
		return -1;
	if (cdb_make_finish(&m->cm) != 0)
		return -1;
	/* libcdb's last write must have been the table of contents at 0 */
	pos = lseek(m->stage, 0, SEEK_CUR);
	if (pos == -1 || fstat(m->stage, &st) != 0)
		return -1;
	if (pos != CDBX_HEAD || st.st_size < CDBX_WIN) {
		errno = EPROTO;
		return -1;
	}
	if (m->base == 0) {
		/* nothing copied yet (a small cdb): the table of contents goes
		 * over its placeholder in the memory file, and out with the rest */
		if (st.st_size < CDBX_WIN + CDBX_HEAD) {
			errno = EPROTO;
			return -1;
		}
		if (put_all(m->stage, m->win, CDBX_HEAD, CDBX_WIN) < 0)
			return -1;
		head = 1;
	} else if (m->have_first && m->direct) {
		/* the first block again, now with the table of contents */
		/* the memory file's first page: the table of contents libcdb
		 * just wrote, then the rest of the block as kept */
		if (put_all(m->stage, m->first, sizeof m->first, CDBX_HEAD) < 0 ||
		    put_direct(m, m->win, CDBX_ALIGN, 0) < 0)
			return -1;
		head = 1;
	}
	/* the rest; then the table of contents over its placeholder where
	 * that was not written above */
	if (stage_copy(m, (size_t)st.st_size, 1) < 0 || direct_off(m) < 0)
		return -1;
	if (!head && put_all(m->fd, m->win, CDBX_HEAD, 0) < 0)
		return -1;
	/* a spare written over may have been longer */
	if (m->reused && ftruncate(m->fd, m->base) != 0)
		return -1;
	(void)sync_file_range(m->fd, 0, CDBX_HEAD, SYNC_FILE_RANGE_WRITE);	/* a hint, as above */
	stage_close(m);
	return 1;
}

int cdbx_make_sync(struct cdbx_make *m)
{
	int r;

	if (fsync(m->fd) != 0)
		return -1;
	r = close(m->fd);
	m->fd = -1;
	return r == 0 ? 1 : -1;
}

int cdbx_make_rename(struct cdbx_make *m)
{
	if (rename(m->tmp.s, m->final.s) != 0)
		return -1;
	str_free(&m->tmp);
	return 1;
}

int cdbx_make_rename_spare(struct cdbx_make *m)
{
	struct str old = STR_INIT;
	int r;

	if (!str_copys(&old, m->final.s) || !str_cats(&old, CDBX_SPARE))
		return -1;
	/* only a help: without it (no old cdb, or a spare already there)
	 * the rename frees the old cdb */
	r = link(m->final.s, old.s);
	str_free(&old);
	if (r != 0)
		errno = 0;
	return cdbx_make_rename(m);
}

int cdbx_make_finish(struct cdbx_make *m)
{
	if (cdbx_make_end(m) < 0 || cdbx_make_sync(m) < 0 || cdbx_make_rename(m) < 0) {
		cdbx_make_abort(m);
		return -1;
	}
	if (fsync_dir(m->final.s) < 0) {
		int e = errno;
		str_free(&m->final);
		errno = e;
		return -1;
	}
	str_free(&m->final);
	return 1;
}

void cdbx_make_abort(struct cdbx_make *m)
{
	int e = errno;

	/* libcdb frees its tables only in cdb_make_finish; tools exit soon after */
	stage_close(m);
	if (m->fd != -1) {
		close(m->fd);
		m->fd = -1;
	}
	if (m->tmp.s)
		unlink(m->tmp.s);
	str_free(&m->tmp);
	str_free(&m->final);
	errno = e;
}
