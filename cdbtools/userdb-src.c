/*
 * userdb-src.c - list and read userdb source files; see userdb-src.h.
 * Files are opened with O_NOFOLLOW and checked with fstat on the open
 * descriptor, so what is checked is what is read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "userdb-src.h"

int udb_src_private(mode_t mode)
{
	return (mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) == 0;
}

/* ends - 1 if s ends with suffix */
static int ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int udb_src_skip(const char *name)
{
	return name[0] == '.' || name[0] == '#' || ends(name, "~") || ends(name, ".bak") ||
	       ends(name, ".orig") || ends(name, ".rej") || ends(name, ".swp") || ends(name, ".tmp") ||
	       strstr(name, ".dpkg-") != 0;
}

/* cmp_names - qsort comparison of two char * by bytes; returns <0, 0, >0 */
static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* add_file - append a strdup of p to s; 1 ok, 0 no memory */
static int add_file(struct udb_src *s, const char *p)
{
	char **nf = realloc(s->files, (s->n + 1) * sizeof *nf);

	if (!nf)
		return 0;
	s->files = nf;
	if (!(nf[s->n] = strdup(p)))
		return 0;
	s->n++;
	return 1;
}

int udb_src_list(const char *path, struct udb_src *s, struct str *bad, const char **why)
{
	struct stat st;
	struct str p = STR_INIT;
	struct dirent *d;
	DIR *dir;
	int fd;

	s->files = 0;
	s->n = 0;
	s->isdir = 0;
	if (!str_copys(bad, path))
		return -1;
	if (lstat(path, &st) == -1)
		return -1;
	if (S_ISREG(st.st_mode))
		return add_file(s, path) ? 1 : -1;
	if (!S_ISDIR(st.st_mode)) {
		*why = "not a regular file or a directory";
		return 0;
	}
	s->isdir = 1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if (!udb_src_private(st.st_mode)) {
		close(fd);
		*why = "readable or writable by group or others; chmod go-rw it";
		return 0;
	}
	if (!(dir = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while ((errno = 0, d = readdir(dir))) {
		if (udb_src_skip(d->d_name))
			continue;
		if (s->n == UDB_SRC_FILES_MAX) {
			closedir(dir);
			*why = "too many files in the directory";
			return 0;
		}
		if (!str_copys(&p, path) || !str_append(&p, '/') || !str_cats(&p, d->d_name) || !add_file(s, p.s)) {
			closedir(dir);
			str_free(&p);
			return -1;
		}
	}
	if (errno) {
		int e = errno;
		closedir(dir);
		str_free(&p);
		errno = e;
		return -1;
	}
	closedir(dir);
	str_free(&p);
	if (s->n)
		qsort(s->files, s->n, sizeof *s->files, cmp_names);
	return 1;
}

/* open_private - open file for reading and check it is a private regular file; fd, -1 refused (*why), -2 system error */
static int open_private(const char *file, struct stat *st, const char **why)
{
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd == -1) {
		if (errno == ELOOP) {
			*why = "is a symbolic link";
			return -1;
		}
		return -2;
	}
	if (fstat(fd, st) == -1) {
		int e = errno;
		close(fd);
		errno = e;
		return -2;
	}
	*why = !S_ISREG(st->st_mode) ? "not a regular file" :
	       !udb_src_private(st->st_mode) ? "readable or writable by group or others; chmod go-rw it" :
	       (unsigned long long)st->st_size > UDB_SRC_FILE_MAX ? "file larger than 1 GiB" : 0;
	if (*why) {
		close(fd);
		return -1;
	}
	return fd;
}

int udb_src_map(const char *file, const char **p, size_t *n, const char **why)
{
	struct stat st;
	void *m;
	int fd = open_private(file, &st, why);

	if (fd < 0)
		return fd == -1 ? 0 : -1;
	*n = (size_t)st.st_size;
	*p = 0;
	if (*n == 0) {
		close(fd);
		return 1;
	}
	/* the whole file is read once, in order: map it in one go; its pages
	 * come in as they are first read (the kernel maps a run of cached
	 * pages around each fault), which costs about what populating them
	 * all before the first line would, but is spread over the work */
	m = mmap(0, *n, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	*p = m;
	return 1;
}

void udb_src_unmap(const char *p, size_t n)
{
	if (p)
		munmap((void *)p, n);
}

int udb_src_load(const char *file, struct str *data, const char **why)
{
	struct stat st;
	size_t size;
	int fd = open_private(file, &st, why);

	data->len = 0;
	if (fd < 0)
		return fd == -1 ? 0 : -1;
	size = (size_t)st.st_size;
	if (!str_ready(data, size + 1))
		goto fail;
	for (;;) {
		ssize_t r;
		if (!str_readyplus(data, 65536))
			goto fail;
		r = read(fd, data->s + data->len, data->a - 1 - data->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		data->len += (size_t)r;
		if (data->len > UDB_SRC_FILE_MAX) {
			close(fd);
			*why = "file larger than 1 GiB";
			return 0;
		}
	}
	data->s[data->len] = 0;
	close(fd);
	return 1;
fail:
	{
		int e = errno;
		close(fd);
		errno = e;
	}
	return -1;
}

void udb_src_free(struct udb_src *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->files[i]);
	free(s->files);
	s->files = 0;
	s->n = 0;
}
