/*
 * qfile.c - walking and reading the queue; see qfile.h.
 * runs as:  root or a member of group kurier (the admin tools)
 * trusts:   the queue's names only as far as they parse as ids
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "auto.h"
#include "qfile.h"
#include "scan.h"

int qfile_chdir(void)
{
	if (chdir(auto_home) == -1 || chdir("queue") == -1) return -1;
	return 1;
}

/* id_cmp - qsort order of two ids */
static int id_cmp(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

long qfile_ids(const char *dir, unsigned long long **ids)
{
	size_t n = 0, a = 0;
	unsigned s;

	*ids = 0;
	for (s = 0; s < auto_split; s++) {
		char sub[FMT_ULONG + 64];
		size_t k = strlen(dir);
		DIR *d;
		struct dirent *e;

		if (k > 32) { errno = ENAMETOOLONG; return -1; }
		memcpy(sub, dir, k);
		sub[k++] = '/';
		sub[k + fmt_ulong(sub + k, s)] = 0;
		d = opendir(sub);
		if (!d) {
			if (errno == ENOENT) continue;
			return -1;
		}
		while ((e = readdir(d))) {
			unsigned long long id;
			if (!scan_ulongs(e->d_name, &id)) continue;
			if (n == a) {
				size_t na = a ? a * 2 : 256, bytes;
				unsigned long long *m;
				if (!size_mul(&bytes, na, sizeof *m)) { errno = ENOMEM; closedir(d); return -1; }
				m = realloc(*ids, bytes);
				if (!m) { closedir(d); return -1; }
				*ids = m;
				a = na;
			}
			(*ids)[n++] = id;
		}
		closedir(d);
	}
	if (n) qsort(*ids, n, sizeof **ids, id_cmp);
	return (long)n;
}

int qfile_path(struct str *out, const char *dir, unsigned long long id)
{
	return str_copys(out, dir) && str_append(out, '/') && str_catu(out, id % auto_split) &&
	       str_append(out, '/') && str_catu(out, id);
}

int qfile_read(const char *path, struct str *out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int ok = 1;

	out->len = 0;
	if (fd == -1) return errno == ENOENT ? 0 : -1;
	for (;;) {
		ssize_t r;
		if (out->len >= QFILE_MAX) { errno = EFBIG; ok = -1; break; }
		if (!str_readyplus(out, 65536)) { ok = -1; break; }
		r = read(fd, out->s + out->len, 65536);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) { ok = -1; break; }
		if (r == 0) break;
		out->len += (size_t)r;
	}
	close(fd);
	if (ok == 1 && !str_readyplus(out, 0)) ok = -1;
	if (ok == 1) out->s[out->len] = 0;
	return ok;
}

int qfile_id(const char *s, unsigned long long *id)
{
	if (*s == '#') s++;
	return scan_ulongs(s, id) && *id != 0;
}
