/*
 * local.c - the local delivery engine; see local.h and local(8).
 * runs as:  the recipient (or the alias user kuriera), after the caller
 *           has dropped root with local_become
 * trusts:   nothing in the message, the envelope or the user's files;
 *           the resolution r was made by root from root's files
 * cost:     per recipient, no exec for maildir and mbox (2 fsyncs for a
 *           maildir, 1 for an mbox); one fork+exec of /bin/sh per program
 *           line, one of kurier-queue for all forwards together
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "error.h"
#include "exitcode.h"
#include "local.h"
#include "localfile.h"
#include "maildir.h"

#define COPY_CHUNK 65536	/* bytes per read while copying a message */

const char *local_default_arg;

int local_become(uid_t uid, gid_t gid)
{
	if (uid == 0 || gid == 0) {
		errno = EPERM;
		return -1;
	}
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 || setuid(uid) == -1)
		return -1;
	/* all of real, effective and saved ids changed: root cannot come back */
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
	    setuid(0) != -1) {
		errno = EPERM;
		return -1;
	}
	return 1;
}

int local_seekable(int fd)
{
	struct stat st;
	char b[COPY_CHUNK];
	int m;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_SET) == 0)
		return fd;
	m = memfd_create("kurier-message", MFD_CLOEXEC);
	if (m == -1)
		return -1;
	for (;;) {
		ssize_t r = read(fd, b, sizeof b), w, o = 0;
		if (r == 0)
			break;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			close(m);
			return -1;
		}
		while (o < r) {
			w = write(m, b + o, (size_t)(r - o));
			if (w == -1) {
				close(m);
				return -1;
			}
			o += w;
		}
	}
	return m;
}

/* settext - text = s1 s2 s3, cut to LOCAL_TEXT_MAX printable bytes; returns code */
static char settext(struct str *text, char code, const char *s1, const char *s2, const char *s3)
{
	const char *p[3] = { s1, s2, s3 };
	int i;

	text->len = 0;
	for (i = 0; i < 3; i++)
		for (; p[i] && *p[i] && text->len < LOCAL_TEXT_MAX; p[i]++) {
			unsigned char c = (unsigned char)*p[i];
			if (!str_append(text, c < 32 || c > 126 ? '_' : (char)c))
				return 'Z';
		}
	return code;
}

/* syserr - a text from errno, temporary unless the caller says otherwise */
static char syserr(struct str *text, char code, const char *what)
{
	return settext(text, code, what, ": ", error_str(errno));
}

/* ctx - what one delivery needs along the way */
struct ctx {
	const struct resolved *r;
	const struct local_msg *m;
	struct str dtline;	/* "Delivered-To: addr\n" */
	struct str rpline;	/* "Return-Path: <sender>\n" */
	struct str recipient;	/* local@domain */
	struct str defpart;	/* DEFAULT, when a -default file matched */
	const char *home;
	struct str forwards;	/* addresses, NUL-terminated, done at the end */
	unsigned nforwards;
	struct str done;	/* what was done, for the K text */
};

/* ieq - case-insensitive comparison of a[0..n) and b[0..n) */
static int ieq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* looping - 1 if the header holds "Delivered-To: recipient", 0 not, -1 read error */
static int looping(struct ctx *c)
{
	char *b;
	size_t len = 0, i = 0;
	ssize_t r;
	int hit = 0;
	const char *want = c->recipient.s;
	size_t wl = c->recipient.len;

	b = mmap(0, LOCAL_HEADER_SCAN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		return -1;
	while (len < LOCAL_HEADER_SCAN) {
		r = pread(c->m->fd, b + len, LOCAL_HEADER_SCAN - len, (off_t)len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			munmap(b, LOCAL_HEADER_SCAN);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	while (i < len) {
		char *l = b + i;
		char *nl = memchr(l, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - l) : len - i, p;
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (!ll)
			break;	/* the end of the header */
		if (ll > 13 && ieq(l, "delivered-to:", 13)) {
			p = 13;
			while (p < ll && (l[p] == ' ' || l[p] == '\t'))
				p++;
			while (ll > p && (l[ll - 1] == ' ' || l[ll - 1] == '\t'))
				ll--;
			if (ll - p == wl && ieq(l + p, want, wl)) {
				hit = 1;
				break;
			}
		}
		if (!nl)
			break;
		i += (size_t)(nl - l) + 1;
	}
	munmap(b, LOCAL_HEADER_SCAN);
	return hit;
}

/* writeall - all of x to fd; 1 ok, -1 error */
static int writeall(int fd, const char *x, size_t n)
{
	while (n) {
		ssize_t w = write(fd, x, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		x += w;
		n -= (size_t)w;
	}
	return 1;
}

/* do_maildir - deliver into the maildir at path; 'K', 'Z' or 'D' */
static char do_maildir(struct ctx *c, const char *path, int isdefault, struct str *text)
{
	struct maildir_tmp t;
	struct stat st;
	const struct maildir_quota *q = 0;
	struct str pol = STR_INIT;
	int over;

	if (isdefault && c->r->acct.has_quota)
		q = &c->r->acct.quota;
	if (fstat(c->m->fd, &st) == -1)
		return syserr(text, 'Z', "cannot stat the message");
	over = maildir_quota_check(path, q,
	    (unsigned long long)st.st_size + c->dtline.len + c->rpline.len, 1);
	if (over < 0)
		return syserr(text, 'Z', "cannot read the maildir's quota");
	if (over) {
		char code = 'Z';
		if (control_readline(&pol, "overquota", "defer") > 0 && str_equals(&pol, "bounce"))
			code = 'D';
		str_free(&pol);
		return settext(text, code, "mailbox is over quota: ", path, "");
	}
	if (lseek(c->m->fd, 0, SEEK_SET) == -1)
		return syserr(text, 'Z', "cannot rewind the message");
	if (maildir_tmp_open(&t, path) < 0)
		return syserr(text, 'Z', "cannot create a file in the maildir's tmp/");
	if (maildir_tmp_write(&t, c->rpline.s, c->rpline.len) < 0 ||
	    maildir_tmp_write(&t, c->dtline.s, c->dtline.len) < 0 ||
	    maildir_tmp_copy(&t, c->m->fd) < 0) {
		maildir_abort(&t);
		return syserr(text, 'Z', "cannot write the message into the maildir");
	}
	if (maildir_commit(&t) < 0)
		return syserr(text, 'Z', "cannot commit the message into the maildir");
	if (maildir_quota_add(path, (long long)t.size, 1) < 0) {
		/* the message is safe; the count is rebuilt when the file looks wrong */
	}
	str_free(&t.name);
	str_free(&t.tmpname);
	return 'K';
}

/* mbox_lock - take the .lock file (when the directory allows) and fcntl lock; 1 ok, -1 error */
static int mbox_lock(int fd, const struct str *lock, int *have_dot)
{
	struct flock fl;
	time_t start = time(0);
	struct stat st;

	*have_dot = 0;
	for (;;) {
		int lf = open(lock->s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lf != -1) {
			close(lf);
			*have_dot = 1;
			break;
		}
		if (errno == EACCES || errno == EPERM || errno == EROFS)
			break;	/* a spool directory we may not write: fcntl alone */
		if (errno != EEXIST)
			return -1;
		if (lstat(lock->s, &st) == 0 && time(0) - st.st_mtime > LOCAL_LOCK_STALE)
			unlink(lock->s);
		else if (time(0) - start > LOCAL_LOCK_WAIT) {
			errno = EAGAIN;
			return -1;
		} else
			sleep(1);
	}
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLK, &fl) == -1) {
		if ((errno != EAGAIN && errno != EACCES && errno != EINTR) ||
		    time(0) - start > LOCAL_LOCK_WAIT) {
			int e = errno;
			if (*have_dot)
				unlink(lock->s);
			errno = e;
			return -1;
		}
		sleep(1);
	}
	return 1;
}

/* mbox_body - the From line, our lines, the message with ">From " quoting, a blank line; 1 ok, -1 error */
static int mbox_body(struct ctx *c, int fd)
{
	struct str out = STR_INIT;
	struct stat st;
	char date[64];
	time_t now = time(0);
	struct tm tm;
	const char *msg = 0;
	size_t len = 0, i = 0;
	int r = -1;

	gmtime_r(&now, &tm);
	if (!strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm))
		date[0] = 0;
	if (!str_cats(&out, "From ") || !str_cats(&out, c->m->sender[0] ? c->m->sender : "MAILER-DAEMON") ||
	    !str_cats(&out, " ") || !str_cats(&out, date) || !str_cats(&out, "\n") ||
	    !str_cat(&out, &c->rpline) || !str_cat(&out, &c->dtline))
		goto out;
	if (fstat(c->m->fd, &st) == -1)
		goto out;
	len = (size_t)st.st_size;
	if (len) {
		msg = mmap(0, len, PROT_READ, MAP_PRIVATE, c->m->fd, 0);
		if (msg == MAP_FAILED) {
			msg = 0;
			goto out;
		}
	}
	/* line by line: a line starting with "From " gets a '>' (mboxo) */
	while (i < len) {
		const char *nl = memchr(msg + i, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - msg - i) + 1 : len - i;
		if (ll >= 5 && memcmp(msg + i, "From ", 5) == 0 && !str_append(&out, '>'))
			goto out;
		if (!str_catb(&out, msg + i, ll))
			goto out;
		i += ll;
		if (out.len >= COPY_CHUNK) {
			if (writeall(fd, out.s, out.len) < 0)
				goto out;
			out.len = 0;
		}
	}
	if ((len && msg[len - 1] != '\n' && !str_append(&out, '\n')) || !str_append(&out, '\n'))
		goto out;
	r = writeall(fd, out.s, out.len);
out:
	if (msg)
		munmap((void *)msg, len);
	str_free(&out);
	return r;
}

/* do_mbox - append to the mbox file at path, truncating back on failure; 'K' or 'Z' */
static char do_mbox(struct ctx *c, const char *path, struct str *text)
{
	struct str lock = STR_INIT;
	struct stat st;
	off_t start;
	int fd, dot, e;
	char code = 'K';

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd == -1)
		return syserr(text, 'Z', "cannot open the mbox");
	if (fstat(fd, &st) == -1) {
		close(fd);
		return syserr(text, 'Z', "cannot stat the mbox");
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return settext(text, 'Z', "refusing the mbox (not a plain file of mine with one link, "
		    "or group/world writable): ", path, "");
	}
	if (!str_copys(&lock, path) || !str_cats(&lock, ".lock") || !str_0(&lock)) {
		close(fd);
		return settext(text, 'Z', "out of memory", "", "");
	}
	if (mbox_lock(fd, &lock, &dot) < 0) {
		code = syserr(text, 'Z', "cannot lock the mbox");
		close(fd);
		str_free(&lock);
		return code;
	}
	start = lseek(fd, 0, SEEK_END);
	if (start == -1 || mbox_body(c, fd) < 0 || fsync(fd) == -1) {
		e = errno;
		if (start != -1 && ftruncate(fd, start) == 0)
			fsync(fd);
		errno = e;
		code = syserr(text, 'Z', "cannot write the mbox (truncated back)");
	}
	close(fd);	/* releases the fcntl lock */
	if (dot)
		unlink(lock.s);
	str_free(&lock);
	return code;
}

/*
 * only_stdio - mark every descriptor above 2 close-on-exec, so that a
 * program run for a user gets the message, its output pipe and nothing
 * else, whatever the process that started kurier left open; 1 ok, 0 error
 */
static int only_stdio(void)
{
	return close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0;
}

/* envset - append "name=value\0" to env; 1 ok, 0 no memory */
static int envset(struct str *env, const char *name, const char *v, size_t n)
{
	return str_cats(env, name) && str_append(env, '=') && str_catb(env, v, n) && str_0(env);
}

/* ext_part - the part of ext after its k-th '-' (k = 1 for EXT2); "" if none */
static const char *ext_part(const char *ext, int k)
{
	while (k > 0 && *ext) {
		if (*ext++ == '-')
			k--;
	}
	return k ? "" : ext;
}

/* do_program - run cmd by /bin/sh -c with the message on stdin; 'K', 'Z', 'D', or 'S' (99: stop) */
static char do_program(struct ctx *c, const char *cmd, struct str *text)
{
	const struct resolved *r = c->r;
	struct str env = STR_INIT, out = STR_INIT;
	char *envp[32];
	size_t i, k = 0;
	int pfd[2], status;
	pid_t pid;
	char b[1024];
	time_t start = time(0);
	const char *ext = r->acct.ext.s ? r->acct.ext.s : "";

	if (!envset(&env, "SENDER", c->m->sender, strlen(c->m->sender)) ||
	    !envset(&env, "RECIPIENT", c->recipient.s, c->recipient.len) ||
	    !envset(&env, "USER", r->acct.user.s, r->acct.user.len) ||
	    !envset(&env, "HOME", c->home, strlen(c->home)) ||
	    !envset(&env, "HOST", r->domain.s, r->domain.len) ||
	    !envset(&env, "LOCAL", r->local.s, r->local.len) ||
	    !envset(&env, "EXT", ext, strlen(ext)) ||
	    !envset(&env, "EXT2", ext_part(ext, 1), strlen(ext_part(ext, 1))) ||
	    !envset(&env, "EXT3", ext_part(ext, 2), strlen(ext_part(ext, 2))) ||
	    !envset(&env, "EXT4", ext_part(ext, 3), strlen(ext_part(ext, 3))) ||
	    (c->defpart.len && !envset(&env, "DEFAULT", c->defpart.s, c->defpart.len)) ||
	    !envset(&env, "DTLINE", c->dtline.s, c->dtline.len) ||
	    !envset(&env, "RPLINE", c->rpline.s, c->rpline.len) ||
	    !envset(&env, "PATH", "/usr/local/bin:/usr/bin:/bin", 28) ||
	    !envset(&env, "SHELL", "/bin/sh", 7)) {
		str_free(&env);
		return settext(text, 'Z', "out of memory", "", "");
	}
	for (i = 0; i < env.len && k < 31; i += strlen(env.s + i) + 1)
		envp[k++] = env.s + i;
	envp[k] = 0;
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		str_free(&env);
		return syserr(text, 'Z', "cannot make a pipe");
	}
	pid = fork();
	if (pid == -1) {
		close(pfd[0]);
		close(pfd[1]);
		str_free(&env);
		return syserr(text, 'Z', "cannot fork");
	}
	if (pid == 0) {
		char *argv[4] = { (char *)"sh", (char *)"-c", (char *)cmd, 0 };
		signal(SIGXFSZ, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		/* its own process group, so a timeout ends whatever it started */
		setpgid(0, 0);
		if (lseek(c->m->fd, 0, SEEK_SET) == -1 || dup2(c->m->fd, 0) == -1 ||
		    dup2(pfd[1], 1) == -1 || dup2(pfd[1], 2) == -1 || !only_stdio())
			_exit(EX_D_TEMP);
		execve("/bin/sh", argv, envp);
		_exit(EX_D_TEMP);
	}
	close(pfd[1]);
	str_free(&env);
	/* keep the first line of what it says, drain the rest, bounded in time */
	for (;;) {
		struct pollfd p = { pfd[0], POLLIN, 0 };
		time_t left = LOCAL_PROG_TIMEOUT - (time(0) - start);
		ssize_t n;
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)(left > 60 ? 60000 : left * 1000)) == -1 && errno != EINTR)
			break;
		if (!p.revents)
			continue;
		n = read(pfd[0], b, sizeof b);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out.len < LOCAL_TEXT_MAX)
			str_catb(&out, b, (size_t)n > LOCAL_TEXT_MAX - out.len ? LOCAL_TEXT_MAX - out.len : (size_t)n);
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			str_free(&out);
			return syserr(text, 'Z', "cannot wait for the program");
		}
	for (i = 0; i < out.len && out.s[i] != '\n'; i++)
		;
	str_truncate(&out, i);
	str_0(&out);
	if (!WIFEXITED(status)) {
		str_free(&out);
		return settext(text, 'Z', "program crashed or timed out: ", cmd, "");
	}
	k = (size_t)WEXITSTATUS(status);
	if (k == EX_D_OK || k == EX_D_STOP) {
		str_free(&out);
		return k == EX_D_STOP ? 'S' : 'K';
	}
	{
		char code = exitcode_delivery_permanent((int)k) ? 'D' : 'Z';
		code = settext(text, code, "program failed: ", out.len > 1 ? out.s : cmd, "");
		str_free(&out);
		return code;
	}
}

/* do_forwards - hand the message with our Delivered-To to kurier-queue for every address; 'K', 'Z', 'D' */
static char do_forwards(struct ctx *c, struct str *text)
{
	struct str qpath = STR_INIT, envl = STR_INIT;
	static char b[COPY_CHUNK];
	int mp[2], ep[2], status, ok = 1;
	pid_t pid;
	size_t i;

	if (!c->nforwards)
		return 'K';
	if (!str_copys(&qpath, auto_home) || !str_cats(&qpath, "/bin/kurier-queue") ||
	    !str_append(&envl, 'F') || !str_cats(&envl, c->m->sender) || !str_0(&envl))
		return settext(text, 'Z', "out of memory", "", "");
	for (i = 0; i < c->forwards.len; i += strlen(c->forwards.s + i) + 1)
		if (!str_append(&envl, 'T') || !str_cats(&envl, c->forwards.s + i) || !str_0(&envl))
			return settext(text, 'Z', "out of memory", "", "");
	if (!str_0(&envl))
		return settext(text, 'Z', "out of memory", "", "");
	if (pipe2(mp, O_CLOEXEC) == -1)
		return syserr(text, 'Z', "cannot make a pipe");
	if (pipe2(ep, O_CLOEXEC) == -1) {
		close(mp[0]);
		close(mp[1]);
		return syserr(text, 'Z', "cannot make a pipe");
	}
	pid = fork();
	if (pid == -1) {
		close(mp[0]); close(mp[1]); close(ep[0]); close(ep[1]);
		return syserr(text, 'Z', "cannot fork");
	}
	if (pid == 0) {
		char *argv[2] = { (char *)"kurier-queue", 0 };
		if (dup2(mp[0], 0) == -1 || dup2(ep[0], 1) == -1 || !only_stdio())
			_exit(EX_Q_BUG);
		signal(SIGPIPE, SIG_DFL);
		execv(qpath.s, argv);
		_exit(EX_Q_CONFIG);
	}
	close(mp[0]);
	close(ep[0]);
	/* kurier-queue reads the whole message first, then the envelope */
	if (lseek(c->m->fd, 0, SEEK_SET) == -1 || writeall(mp[1], c->dtline.s, c->dtline.len) < 0)
		ok = 0;
	while (ok) {
		ssize_t n = read(c->m->fd, b, sizeof b);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		if (writeall(mp[1], b, (size_t)n) < 0)
			ok = 0;
	}
	close(mp[1]);
	if (ok && writeall(ep[1], envl.s, envl.len) < 0)
		ok = 0;
	close(ep[1]);
	str_free(&qpath);
	str_free(&envl);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return syserr(text, 'Z', "cannot wait for kurier-queue");
	if (!WIFEXITED(status))
		return settext(text, 'Z', "kurier-queue crashed while forwarding", "", "");
	if (WEXITSTATUS(status) == 0 && ok)
		return 'K';
	if (exitcode_queue_permanent(WEXITSTATUS(status)))
		return settext(text, 'D', "kurier-queue refused the forwarded message", "", "");
	return settext(text, 'Z', "kurier-queue failed to queue the forwarded message", "", "");
}

/* note - add a step to c->done for the K text */
static void note(struct ctx *c, const char *what, const char *arg, size_t n)
{
	if (c->done.len)
		str_cats(&c->done, "; ");
	str_cats(&c->done, what);
	str_catb(&c->done, arg, n);
}

/* follow - carry out the instructions; 'K', 'Z' or 'D' */
static char follow(struct ctx *c, const struct localfile_instr *in, size_t n, int isdefault,
    struct str *text)
{
	struct str arg = STR_INIT;
	size_t i;
	char code = 'K';

	for (i = 0; i < n && code == 'K'; i++) {
		if (!str_copyb(&arg, in[i].arg, in[i].len) || !str_0(&arg)) {
			code = settext(text, 'Z', "out of memory", "", "");
			break;
		}
		switch (in[i].type) {
		case LF_MAILDIR:
			code = do_maildir(c, arg.s, isdefault, text);
			if (code == 'K')
				note(c, "maildir ", in[i].arg, in[i].len);
			break;
		case LF_MBOX:
			code = do_mbox(c, arg.s, text);
			if (code == 'K')
				note(c, "mbox ", in[i].arg, in[i].len);
			break;
		case LF_FORWARD:
			if (c->nforwards >= LOCAL_FORWARD_MAX) {
				code = settext(text, 'D', "too many forwarding addresses", "", "");
				break;
			}
			if (!str_cat(&c->forwards, &arg)) {
				code = settext(text, 'Z', "out of memory", "", "");
				break;
			}
			c->nforwards++;
			note(c, "forward ", in[i].arg, in[i].len);
			break;
		case LF_PROGRAM:
			code = do_program(c, arg.s, text);
			if (code == 'K' || code == 'S')
				note(c, "program ", in[i].arg, in[i].len);
			if (code == 'S') {
				code = 'K';
				i = n;	/* 99: delivered, ignore the rest */
			}
			break;
		}
	}
	str_free(&arg);
	if (code == 'K')
		code = do_forwards(c, text);
	return code;
}

/*
 * check_home - the current directory (the home just entered) is the
 * user's and not writable by others; checking "." rather than the path
 * leaves no window for swapping the directory after the check.  'K', 'Z'
 */
static char check_home(const struct resolved *r, struct str *text)
{
	struct stat st;

	if (stat(".", &st) == -1)
		return syserr(text, 'Z', "cannot reach the home directory");
	if (!S_ISDIR(st.st_mode))
		return settext(text, 'Z', "the home directory is not a directory", "", "");
	if (st.st_uid != r->acct.uid)
		return settext(text, 'Z', "the home directory is not owned by the account", "", "");
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return settext(text, 'Z', "the home directory is group or world writable", "", "");
	return 'K';
}

/*
 * find_file - the delivery file for r's extension, read into content;
 * its name into fname ("" when none) and DEFAULT into defpart.
 * 'K' found or none, 'D' an extension without any file, 'Z' trouble.
 */
static char find_file(const struct resolved *r, struct str *content, struct str *fname,
    struct str *defpart, struct str *text)
{
	static const char *const base[] = { ".courier", ".qmail", 0 };
	struct str cand = STR_INIT;
	size_t i;
	int b;
	char code = 'K';

	fname->len = content->len = defpart->len = 0;
	if (!localfile_candidates(r->acct.ext.s ? r->acct.ext.s : "", r->acct.ext.len, &cand)) {
		str_free(&cand);
		return errno == E2BIG ? settext(text, 'D', "address extension too long", "", "")
		    : settext(text, 'Z', "out of memory", "", "");
	}
	for (i = 0; i < cand.len && !fname->len; ) {
		const char *suf = cand.s + i;
		const char *def = suf + strlen(suf) + 1;
		i = (size_t)(def - cand.s) + strlen(def) + 1;
		for (b = 0; base[b]; b++) {
			struct stat st;
			char buf[4096];
			int fd;
			if (!str_copys(fname, base[b]) || (*suf && (!str_append(fname, '-') ||
			    !str_cats(fname, suf))) || !str_0(fname)) {
				code = settext(text, 'Z', "out of memory", "", "");
				goto out;
			}
			fname->len--;
			/* no symbolic link and (below) one link only: a file that is
			 * really the account's, not a name for someone else's */
			fd = open(fname->s, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1) {
				fname->len = 0;
				if (errno == ENOENT)
					continue;
				code = errno == ELOOP ? settext(text, 'Z', "refusing the delivery file (a symbolic "
				    "link): ", fname->s, "") : syserr(text, 'Z', "cannot open the delivery file");
				goto out;
			}
			if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
			    (st.st_uid != r->acct.uid && st.st_uid != 0) ||
			    (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_size > LOCALFILE_MAX) {
				close(fd);
				code = settext(text, 'Z', "refusing the delivery file (not a plain file of the "
				    "account's with one link, group or world writable, or too long): ", fname->s, "");
				goto out;
			}
			for (;;) {
				ssize_t n = read(fd, buf, sizeof buf);
				if (n == 0)
					break;
				if (n == -1 || content->len + (size_t)n > LOCALFILE_MAX ||
				    !str_catb(content, buf, (size_t)n)) {
					close(fd);
					code = syserr(text, 'Z', "cannot read the delivery file");
					goto out;
				}
			}
			close(fd);
			if (!str_copys(defpart, def) || !str_0(defpart))
				code = settext(text, 'Z', "out of memory", "", "");
			else
				defpart->len--;
			break;
		}
	}
	if (!fname->len && r->acct.ext.len)
		code = settext(text, 'D', "no mailbox here by that name (no delivery file for the "
		    "extension)", "", "");
out:
	str_free(&cand);
	return code;
}

/* default_delivery - the instructions used without a delivery file, into out; 1 ok, 0 error */
static int default_delivery(const struct resolved *r, struct str *out)
{
	if (r->acct.virtual && r->acct.mail.len)
		return str_copy(out, &r->acct.mail) && str_append(out, '\n');
	if (control_readfile(out, "defaultdelivery") < 0)
		return 0;
	if (!out->len && local_default_arg && local_default_arg[0])
		return str_copys(out, local_default_arg) && str_append(out, '\n');
	if (!out->len)
		return str_copys(out, "./Maildir/\n");
	return 1;
}

/* setup - fill c's lines for r and m; 1 ok, 0 no memory */
static int setup(struct ctx *c, const struct resolved *r, const struct local_msg *m)
{
	memset(c, 0, sizeof *c);
	c->r = r;
	c->m = m;
	if (!str_copy(&c->recipient, &r->local) || !str_append(&c->recipient, '@') ||
	    !str_cat(&c->recipient, &r->domain) || !str_0(&c->recipient))
		return 0;
	c->recipient.len--;
	return str_copys(&c->dtline, "Delivered-To: ") && str_cat(&c->dtline, &c->recipient) &&
	       str_append(&c->dtline, '\n') && str_copys(&c->rpline, "Return-Path: <") &&
	       str_cats(&c->rpline, m->sender) && str_cats(&c->rpline, ">\n");
}

/* ctx_free - release c's memory */
static void ctx_free(struct ctx *c)
{
	str_free(&c->dtline);
	str_free(&c->rpline);
	str_free(&c->recipient);
	str_free(&c->defpart);
	str_free(&c->forwards);
	str_free(&c->done);
}

/* alias_instr - alias targets as instructions (they hold no comments or blanks) */
static size_t alias_instr(const struct resolved *r, struct localfile_instr *in, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < r->targets.len && n < max; i += strlen(r->targets.s + i) + 1) {
		const char *t = r->targets.s + i;
		size_t l = strlen(t);
		if (!l)
			continue;
		in[n].line = (unsigned)n + 1;
		if (t[0] == '|') {
			in[n].type = LF_PROGRAM;
			in[n].arg = t + 1;
			in[n].len = l - 1;
		} else if (t[0] == '/') {
			in[n].type = t[l - 1] == '/' ? LF_MAILDIR : LF_MBOX;
			in[n].arg = t;
			in[n].len = l;
		} else {
			in[n].type = LF_FORWARD;
			in[n].arg = t[0] == '&' ? t + 1 : t;
			in[n].len = t[0] == '&' ? l - 1 : l;
		}
		if (in[n].len)
			n++;
	}
	return n;
}

/* sender_ok - 1 if the envelope sender s has no control byte (and fits the address limit) */
static int sender_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] == 127 || i >= RESOLVE_ADDR_MAX)
			return 0;
	return 1;
}

char local_deliver(const struct resolved *r, const struct local_msg *m, struct str *text)
{
	struct ctx c;
	struct str content = STR_INIT, fname = STR_INIT;
	struct localfile_instr in[LOCALFILE_INSTR_MAX];
	size_t n = 0;
	unsigned bad;
	int isdefault = 0, l;
	char code;

	signal(SIGXFSZ, SIG_IGN);	/* a file size limit is an error to report, not a death */
	signal(SIGPIPE, SIG_IGN);
	if (!sender_ok(m->sender)) {
		/* kurier-queue takes any bytes from local users: a newline here
		 * would forge a header line, or an mbox "From " line */
		memset(&c, 0, sizeof c);
		code = settext(text, 'D', "malformed envelope sender (a control byte)", "", "");
		goto out;
	}
	if (!setup(&c, r, m)) {
		ctx_free(&c);
		return settext(text, 'Z', "out of memory", "", "");
	}
	l = looping(&c);
	if (l != 0) {
		code = l < 0 ? syserr(text, 'Z', "cannot read the message")
		    : settext(text, 'D', "this message is looping: it already has my Delivered-To line "
			"for ", c.recipient.s, "");
		goto out;
	}
	if (r->acct.uid == 0 || getuid() == 0) {
		code = settext(text, 'Z', "refusing to deliver as root", "", "");
		goto out;
	}
	if (r->targets.len) {
		struct stat st;
		c.home = r->acct.home.len && stat(r->acct.home.s, &st) == 0 && S_ISDIR(st.st_mode)
		    ? r->acct.home.s : "/";
		if (chdir(c.home) == -1) {
			code = syserr(text, 'Z', "cannot enter the alias user's home");
			goto out;
		}
		n = alias_instr(r, in, LOCALFILE_INSTR_MAX);
		code = follow(&c, in, n, 0, text);
		goto out;
	}
	c.home = r->acct.home.s;
	if (chdir(c.home) == -1) {
		code = syserr(text, 'Z', "cannot enter the home directory");
		goto out;
	}
	code = check_home(r, text);
	if (code != 'K')
		goto out;
	code = find_file(r, &content, &fname, &c.defpart, text);
	if (code != 'K')
		goto out;
	if (fname.len && !localfile_parse(content.s, content.len, in, LOCALFILE_INSTR_MAX, &n, &bad)) {
		code = settext(text, 'Z', "malformed delivery file ", fname.s, "");
		goto out;
	}
	if (!n) {
		/* no file, or one without instructions: the default delivery */
		isdefault = 1;
		if (!default_delivery(r, &content) ||
		    !localfile_parse(content.s, content.len, in, LOCALFILE_INSTR_MAX, &n, &bad) || !n) {
			code = settext(text, 'Z', "cannot read or parse control/defaultdelivery", "", "");
			goto out;
		}
	}
	code = follow(&c, in, n, isdefault, text);
out:
	if (code == 'K')
		settext(text, 'K', "delivered: ", c.done.len && str_0(&c.done) ? c.done.s : "", "");
	ctx_free(&c);
	str_free(&content);
	str_free(&fname);
	return code;
}

/* plan_instr - describe instructions into out */
static int plan_instr(struct str *out, const struct localfile_instr *in, size_t n)
{
	static const char *const what[] = { "", "maildir ", "mbox ", "forward ", "program " };
	size_t i;

	for (i = 0; i < n; i++)
		if (!str_cats(out, "  ") || !str_cats(out, what[in[i].type]) ||
		    !str_catb(out, in[i].arg, in[i].len) || !str_append(out, '\n'))
			return 0;
	return 1;
}

int local_plan(const struct resolved *r, struct str *out)
{
	struct str content = STR_INIT, fname = STR_INIT, def = STR_INIT, text = STR_INIT;
	struct localfile_instr in[LOCALFILE_INSTR_MAX];
	size_t n = 0;
	unsigned bad;
	int ok = 1;
	char code;

	if (r->targets.len) {
		n = alias_instr(r, in, LOCALFILE_INSTR_MAX);
		return str_cats(out, "delivered as ") && str_cat(out, &r->acct.user) &&
		       str_cats(out, ":\n") && plan_instr(out, in, n);
	}
	if (chdir(r->acct.home.s) == -1)
		return str_cats(out, "home directory ") && str_cat(out, &r->acct.home) &&
		       str_cats(out, ": cannot enter it (") && str_cats(out, error_str(errno)) &&
		       str_cats(out, ")\n");
	code = check_home(r, &text);
	if (code != 'K' && (!str_cats(out, "warning: ") || !str_cat(out, &text) || !str_append(out, '\n')))
		return 0;
	code = find_file(r, &content, &fname, &def, &text);
	if (code != 'K') {
		ok = str_cats(out, "result: ") && str_append(out, code) && str_append(out, ' ') &&
		     str_cat(out, &text) && str_append(out, '\n');
		goto out;
	}
	if (fname.len) {
		ok = str_cats(out, "delivery file: ") && str_cat(out, &r->acct.home) &&
		     str_append(out, '/') && str_cat(out, &fname) && str_append(out, '\n');
		if (ok && def.len)
			ok = str_cats(out, "DEFAULT=") && str_cat(out, &def) && str_append(out, '\n');
		if (ok && !localfile_parse(content.s, content.len, in, LOCALFILE_INSTR_MAX, &n, &bad)) {
			ok = str_cats(out, "result: Z malformed delivery file at line ") &&
			     str_catu(out, bad) && str_append(out, '\n');
			goto out;
		}
	}
	if (ok && !n) {
		ok = str_cats(out, r->acct.virtual && r->acct.mail.len ? "default delivery (userdb mail=):\n"
		    : "default delivery (control/defaultdelivery):\n");
		if (ok && (!default_delivery(r, &content) ||
		    !localfile_parse(content.s, content.len, in, LOCALFILE_INSTR_MAX, &n, &bad)))
			ok = str_cats(out, "  cannot read or parse it\n");
	} else if (ok) {
		ok = str_cats(out, "instructions:\n");
	}
	if (ok)
		ok = plan_instr(out, in, n);
out:
	str_free(&content);
	str_free(&fname);
	str_free(&def);
	str_free(&text);
	return ok;
}
