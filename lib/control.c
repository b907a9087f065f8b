/*
 * control.c - control file readers; see control.h.
 * Files are opened with O_NOFOLLOW off on purpose: administrators
 * symlink control files to shared copies, and control/ is root's.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "scan.h"

int control_path(struct str *out, const char *name)
{
	if (name[0] == '/')
		return str_copys(out, name);
	return str_copys(out, auto_home) && str_cats(out, "/control/") &&
	       str_cats(out, name);
}

int control_readfile(struct str *out, const char *name)
{
	struct str path = STR_INIT;
	int fd, ok;
	size_t max = out->max;

	out->len = 0;
	if (!control_path(&path, name))
		return -1;
	fd = open(path.s, O_RDONLY | O_CLOEXEC);
	str_free(&path);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	out->max = CONTROL_FILE_MAX;
	ok = 1;
	for (;;) {
		ssize_t r;
		if (!str_readyplus(out, 4096)) {
			ok = -1;
			break;
		}
		r = read(fd, out->s + out->len, 4096);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ok = -1;
			break;
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
		out->s[out->len] = 0;
	}
	out->max = max;
	close(fd);
	if (ok < 0)
		out->len = 0;
	else if (!str_readyplus(out, 0))
		return -1;
	return ok;
}

/* trim - length of s[0..n) without trailing space, tab and CR */
static size_t trim(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n;
}

int control_readline(struct str *out, const char *name, const char *def)
{
	struct str all = STR_INIT;
	int r = control_readfile(&all, name);
	size_t n;

	if (r < 0) {
		str_free(&all);
		return -1;
	}
	n = r ? trim(all.s, str_chr(&all, '\n')) : 0;
	if (!n) {
		str_free(&all);
		return str_copys(out, def) ? 0 : -1;
	}
	r = str_copyb(out, all.s, n) ? 1 : -1;
	str_free(&all);
	return r;
}

static int readnumber(unsigned long long *u, const char *name,
    unsigned long long def, int duration)
{
	struct str line = STR_INIT;
	int r = control_readline(&line, name, "");

	if (r == 1) {
		if (duration ? !scan_duration(line.s, u) : !scan_ulongs(line.s, u)) {
			errno = EINVAL;
			r = -1;
		}
	} else if (r == 0) {
		*u = def;
	}
	str_free(&line);
	return r;
}

int control_readulong(unsigned long long *u, const char *name, unsigned long long def)
{
	return readnumber(u, name, def, 0);
}

int control_readduration(unsigned long long *u, const char *name, unsigned long long def)
{
	return readnumber(u, name, def, 1);
}

int control_readlist(struct str *out, const char *name)
{
	struct str all = STR_INIT;
	int r = control_readfile(&all, name);
	size_t i = 0;

	out->len = 0;
	if (r <= 0) {
		str_free(&all);
		return r;
	}
	while (i < all.len) {
		const char *line = all.s + i;
		const char *nl = memchr(line, '\n', all.len - i);
		size_t n = nl ? (size_t)(nl - line) : all.len - i;
		size_t t = trim(line, n);
		size_t lead = 0;

		while (lead < t && (line[lead] == ' ' || line[lead] == '\t'))
			lead++;
		/* entries are NUL-separated, so a line holding a NUL is no entry */
		if (t > lead && line[lead] != '#' && !memchr(line + lead, '\0', t - lead))
			if (!str_catb(out, line + lead, t - lead) || !str_0(out)) {
				r = -1;
				break;
			}
		i += n + 1;
	}
	str_free(&all);
	return r;
}

int control_me(struct str *out)
{
	char host[256];
	int r = control_readline(out, "me", "");

	if (r < 0)
		return -1;
	if (r == 1)
		return 1;
	if (gethostname(host, sizeof host - 1) == -1)
		return -1;
	host[sizeof host - 1] = 0;
	return str_copys(out, host) ? 1 : -1;
}

int control_readdefault(struct str *out, const char *name)
{
	int r = control_readline(out, name, "");

	if (r < 0)
		return -1;
	if (r == 1)
		return 1;
	return control_me(out);
}
