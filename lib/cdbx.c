/*
 * cdbx.c - cdb access through libcdb; see cdbx.h.
 * libcdb maps the file and checks every offset against its size, so a
 * corrupt cdb yields "not found" or EPROTO, not a wild read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cdbx.h"

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

int cdbx_make_start(struct cdbx_make *m, const char *path, mode_t mode)
{
	m->fd = -1;
	m->tmp = (struct str)STR_INIT;
	m->final = (struct str)STR_INIT;
	if (!str_copys(&m->final, path) || !str_copys(&m->tmp, path) ||
	    !str_cats(&m->tmp, ".tmp"))
		goto fail;
	unlink(m->tmp.s);	/* a leftover from a crashed run */
	m->fd = open(m->tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (m->fd == -1)
		goto fail;
	if (fchmod(m->fd, mode) == -1 || cdb_make_start(&m->cm, m->fd) != 0) {
		cdbx_make_abort(m);
		return -1;
	}
	return 1;
fail:
	str_free(&m->tmp);
	str_free(&m->final);
	return -1;
}

int cdbx_make_add(struct cdbx_make *m, const char *k, size_t kl, const char *d, size_t dl)
{
	if (kl > 0xffffffffu || dl > 0xffffffffu) {
		errno = EFBIG;
		return -1;
	}
	return cdb_make_add(&m->cm, k, (unsigned)kl, d, (unsigned)dl) == 0 ? 1 : -1;
}

int cdbx_make_finish(struct cdbx_make *m)
{
	if (cdb_make_finish(&m->cm) != 0 || fsync(m->fd) != 0)
		goto fail;
	if (close(m->fd) != 0) {
		m->fd = -1;
		goto fail;
	}
	m->fd = -1;
	if (rename(m->tmp.s, m->final.s) != 0)
		goto fail;
	if (fsync_dir(m->final.s) < 0)
		goto fail_renamed;
	str_free(&m->tmp);
	str_free(&m->final);
	return 1;
fail:
	{
		int e = errno;
		cdbx_make_abort(m);
		errno = e;
	}
	return -1;
fail_renamed:
	str_free(&m->tmp);
	str_free(&m->final);
	return -1;
}

void cdbx_make_abort(struct cdbx_make *m)
{
	int e = errno;

	if (m->fd != -1) {
		/* libcdb frees its tables only in cdb_make_finish; tools exit soon after */
		close(m->fd);
		m->fd = -1;
	}
	if (m->tmp.s)
		unlink(m->tmp.s);
	str_free(&m->tmp);
	str_free(&m->final);
	errno = e;
}
