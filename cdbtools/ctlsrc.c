/*
 * ctlsrc.c - read a control source file or directory; see ctlsrc.h.
 * Files are opened with O_NONBLOCK and checked with fstat on the open
 * descriptor, so a fifo or device planted in the directory is refused
 * instead of hanging the tool.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ctlsrc.h"

/* ends - 1 if s ends with suffix */
static int ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int ctlsrc_skip(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' || strchr(name, '~') != 0 ||
	       (name[0] == '#' && n > 1 && name[n - 1] == '#') ||
	       ends(name, ".swp") || ends(name, ".swo") || ends(name, ".bak") ||
	       ends(name, ".orig") || ends(name, ".rej") || ends(name, ".tmp") ||
	       strstr(name, ".dpkg-") != 0 || strstr(name, ".ucf-") != 0 ||
	       strstr(name, ".rpmnew") != 0 || strstr(name, ".rpmsave") != 0 ||
	       strstr(name, ".rpmorig") != 0 || strstr(name, ".pacnew") != 0 ||
	       strstr(name, ".pacsave") != 0;
}

/* appendfile - append the regular file at path (at most max bytes in all) to out; 1 ok, 0 missing, -1 error */
static int appendfile(const char *path, struct str *out, size_t max)
{
	struct stat st;
	size_t at = out->len, want;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((unsigned long long)st.st_size > max - at) {
		errno = EFBIG;
		goto fail;
	}
	/* room for the whole file, a newline and the NUL: one read, no copying */
	if (!size_add(&want, at, (size_t)st.st_size) || !size_add(&want, want, 2) || !str_ready(out, want))
		goto fail;
	for (;;) {
		ssize_t r;
		if (out->len - at > max - at) {
			errno = EFBIG;
			goto fail;
		}
		if (out->len + 2 >= out->a && !str_readyplus(out, 65536))
			goto fail;
		r = read(fd, out->s + out->len, out->a - 2 - out->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		out->len += (size_t)r;
	}
	out->s[out->len] = 0;
	close(fd);
	return 1;
fail:
	{
		int e = errno;
		close(fd);
		out->len = at;
		errno = e;
	}
	return -1;
}

int ctlsrc_readfile(const char *path, struct str *out, size_t max)
{
	out->len = 0;
	return appendfile(path, out, max);
}

int ctlsrc_add(struct ctlsrc *s, const char *name, const char *p, size_t n)
{
	struct ctlsrc_file *nf;
	size_t total;

	if (s->n >= CTLSRC_FILES_MAX || !size_add(&total, s->text.len, n) ||
	    !size_add(&total, total, 1) || total > CTLSRC_MAX) {
		errno = EFBIG;
		return 0;
	}
	nf = realloc(s->files, (s->n + 1) * sizeof *nf);
	if (!nf)
		return 0;
	s->files = nf;
	if (!(nf[s->n].name = strdup(name)))
		return 0;
	nf[s->n].start = s->text.len;
	s->n++;
	if (!str_catb(&s->text, p, n))
		return 0;
	if (n && p[n - 1] != '\n' && !str_append(&s->text, '\n'))
		return 0;
	s->data = s->text.s ? s->text.s : "";
	s->len = s->text.len;
	return 1;
}

/* cmp_names - qsort comparison of two char * by bytes */
static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* add_path - read file path onto the end of the text; 1 ok, -1 refused (*why) or error */
static int add_path(struct ctlsrc *s, const char *path, struct str *bad, const char **why)
{
	struct ctlsrc_file *nf;
	size_t at = s->text.len;
	int r;

	if (s->n >= CTLSRC_FILES_MAX) {
		*why = "more than 10000 files";
		return -1;
	}
	if (!(nf = realloc(s->files, (s->n + 1) * sizeof *nf)))
		return -1;
	s->files = nf;
	r = appendfile(path, &s->text, CTLSRC_MAX);
	if (r <= 0) {
		int e = r == 0 ? ENOENT : errno;
		if (!str_copys(bad, path))
			return -1;
		*why = e == EFBIG ? "source larger than 1 GiB" : e == EINVAL ? "not a regular file" : 0;
		errno = e;
		return -1;
	}
	if (!(nf[s->n].name = strdup(path)))
		return -1;
	nf[s->n].start = at;
	s->n++;
	if (s->text.len > at && s->text.s[s->text.len - 1] != '\n' && !str_append(&s->text, '\n'))
		return -1;
	s->data = s->text.s ? s->text.s : "";
	s->len = s->text.len;
	return 1;
}

/* map_file - map the one regular file of a source; 1 ok, -1 refused (*why) or error */
static int map_file(struct ctlsrc *s, const char *path, const char **why)
{
	struct stat st;
	void *m;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		errno = EINVAL;
		goto fail;
	}
	if ((unsigned long long)st.st_size > CTLSRC_MAX) {
		*why = "source larger than 1 GiB";
		errno = EFBIG;
		goto fail;
	}
	if (!(s->files = malloc(sizeof *s->files)) || !(s->files[0].name = strdup(path)))
		goto fail;
	s->files[0].start = 0;
	s->n = 1;
	s->data = "";
	s->len = 0;
	if (st.st_size > 0) {
		/* read once, front to back: map and fault it all in at once */
		m = mmap(0, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (m == MAP_FAILED)
			goto fail;
		s->data = m;
		s->len = s->mapped = (size_t)st.st_size;
	}
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

int ctlsrc_read(const char *path, struct ctlsrc *s, struct str *bad, const char **why)
{
	struct stat st;
	struct str p = STR_INIT;
	struct dirent *d;
	char **names = 0;
	size_t nn = 0, i;
	DIR *dir;
	int r = -1;

	s->text = (struct str)STR_INIT;
	s->files = 0;
	s->n = 0;
	s->isdir = 0;
	s->data = "";
	s->len = s->mapped = 0;
	*why = 0;
	if (!str_copys(bad, path))
		return -1;
	if (stat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return map_file(s, path, why);
	s->isdir = 1;
	if (!(dir = opendir(path)))
		return -1;
	while ((errno = 0, d = readdir(dir))) {
		char **nn2;
		if (ctlsrc_skip(d->d_name))
			continue;
		if (nn >= CTLSRC_FILES_MAX) {
			*why = "more than 10000 files in the directory";
			errno = EFBIG;
			goto done;
		}
		if (!(nn2 = realloc(names, (nn + 1) * sizeof *names)))
			goto done;
		names = nn2;
		if (!(names[nn] = strdup(d->d_name)))
			goto done;
		nn++;
	}
	if (errno)
		goto done;
	if (nn)
		qsort(names, nn, sizeof *names, cmp_names);
	for (i = 0; i < nn; i++) {
		if (!str_copys(&p, path) || !str_append(&p, '/') || !str_cats(&p, names[i]))
			goto done;
		if (add_path(s, p.s, bad, why) < 0)
			goto done;
	}
	r = 1;
done:
	{
		int e = errno;
		closedir(dir);
		for (i = 0; i < nn; i++)
			free(names[i]);
		free(names);
		str_free(&p);
		errno = e;
	}
	return r;
}

void ctlsrc_where(const struct ctlsrc *s, size_t off, const char **file, unsigned long *line)
{
	size_t lo = 0, hi = s->n, i;
	unsigned long l = 1;

	*file = "-";
	*line = 0;
	if (!s->n)
		return;
	while (hi - lo > 1) {	/* the last file starting at or before off */
		size_t mid = lo + (hi - lo) / 2;
		if (s->files[mid].start <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (i = s->files[lo].start; i < off && i < s->len; i++)
		if (s->data[i] == '\n')
			l++;
	*file = s->files[lo].name;
	*line = l;
}

void ctlsrc_free(struct ctlsrc *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->files[i].name);
	free(s->files);
	s->files = 0;
	s->n = 0;
	if (s->mapped)
		munmap((void *)s->data, s->mapped);
	s->data = "";
	s->len = s->mapped = 0;
	str_free(&s->text);
}
