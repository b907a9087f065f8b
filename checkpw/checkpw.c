/*
 * checkpw.c - what the login helpers share; see checkpw.h.
 * runs as:  root (called by root, or setuid root from group kurier)
 * trusts:   conf-home and the files under it; not fd 3, not argv beyond
 *           its shape, not the environment when running setuid
 * exit:     1 bad login, 2 misuse, 111 temporary (lib/exitcode.h)
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "md5.h"
#include "scan.h"
#include "checkpw.h"

/* the throttle record: "count next_ms last_ms\n", three 20-digit numbers at most */
#define CPW_RECORD_MAX (3 * FMT_ULONG + 4)

int cpw_is_helper(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return strncmp(b, "kurier-checkpw", 14) == 0;
}

int cpw_args_split(int argc, char **argv, struct cpw_args *a, const char **why)
{
	int i, sep = -1;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	a->helpers = argv + 1;
	if (sep >= 0) {
		a->explicit = 1;
		a->nhelpers = sep - 1;
		a->prog = argv + sep + 1;
		/* a helper that is not ours only understands "helper prog...": it must come last */
		for (i = 0; i + 1 < a->nhelpers; i++)
			if (!cpw_is_helper(a->helpers[i])) {
				*why = "a helper that is not kurier-checkpw* must be the last before --";
				return 0;
			}
	} else {
		a->explicit = 0;
		for (i = 1; i < argc && cpw_is_helper(argv[i]); i++)
			;
		a->nhelpers = i - 1;
		a->prog = argv + i;
	}
	if (!a->prog[0] || !a->prog[0][0]) {
		*why = "usage: kurier-checkpw [helper...] [--] program [arg...]";
		return 0;
	}
	for (i = 0; i < a->nhelpers; i++)
		if (!a->helpers[i][0]) {
			*why = "empty helper name";
			return 0;
		}
	return 1;
}

void cpw_limits_default(struct cpw_limits *l)
{
	l->failfree = CPW_FAILFREE;
	l->failbase = CPW_FAILBASE;
	l->failcap = CPW_FAILCAP;
	l->failforget = CPW_FAILFORGET;
	l->failqueue = CPW_FAILQUEUE;
	l->afterfail = CPW_AFTERFAIL;
	l->slots = CPW_SLOTS;
	l->slotwait = CPW_SLOTWAIT;
}

int cpw_limits_parse(struct cpw_limits *l, const char *x, size_t n, const char **why)
{
	static const struct { const char *name; size_t off; } names[] = {
		{ "failfree", offsetof(struct cpw_limits, failfree) },
		{ "failbase", offsetof(struct cpw_limits, failbase) },
		{ "failcap", offsetof(struct cpw_limits, failcap) },
		{ "failforget", offsetof(struct cpw_limits, failforget) },
		{ "failqueue", offsetof(struct cpw_limits, failqueue) },
		{ "afterfail", offsetof(struct cpw_limits, afterfail) },
		{ "slots", offsetof(struct cpw_limits, slots) },
		{ "slotwait", offsetof(struct cpw_limits, slotwait) },
	};
	size_t i = 0, k;

	while (i < n) {
		const char *line = x + i;
		size_t len = strnlen(line, n - i), nl, vs;
		unsigned long long v;

		for (nl = 0; nl < len && line[nl] != ' ' && line[nl] != '\t'; nl++)
			;
		for (vs = nl; vs < len && (line[vs] == ' ' || line[vs] == '\t'); vs++)
			;
		for (k = 0; k < sizeof names / sizeof names[0]; k++)
			if (strlen(names[k].name) == nl && memcmp(line, names[k].name, nl) == 0)
				break;
		if (k == sizeof names / sizeof names[0]) {
			*why = "unknown setting";
			return 0;
		}
		if (vs == len || scan_ulong(line + vs, len - vs, &v) != len - vs || v > CPW_LIMIT_MAX) {
			*why = "value is not a number up to 86400000";
			return 0;
		}
		if (names[k].off == offsetof(struct cpw_limits, slots) && (v == 0 || v > 1024)) {
			*why = "slots must be 1 to 1024";
			return 0;
		}
		*(unsigned long long *)((char *)l + names[k].off) = v;
		i += len + 1;
	}
	return 1;
}

unsigned long long cpw_throttle_delay(const struct cpw_limits *l, unsigned long long count)
{
	unsigned long long d, shift;

	if (count < l->failfree || !l->failbase)
		return 0;
	shift = count - l->failfree;
	if (shift > 40)
		return l->failcap;
	d = l->failbase << shift;	/* failbase <= CPW_LIMIT_MAX < 2^27, shift <= 40: no overflow */
	return d < l->failcap ? d : l->failcap;
}

unsigned cpw_bucket(const char *ip)
{
	unsigned char a[16], dig[MD5_DIGEST];
	struct md5 m;
	size_t n;

	md5_init(&m);
	if (inet_pton(AF_INET6, ip, a) == 1) {
		static const unsigned char mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
		if (memcmp(a, mapped, 12) == 0)
			md5_update(&m, a + 12, 4);	/* IPv4-mapped: the IPv4 address */
		else
			md5_update(&m, a, 8);	/* one /64 is one subscriber (RFC 6177) */
	} else if (inet_pton(AF_INET, ip, a) == 1) {
		md5_update(&m, a, 4);
	} else {
		n = strlen(ip);
		md5_update(&m, ip, n);
	}
	md5_final(&m, dig);
	return ((unsigned)dig[0] << 8 | dig[1]) % CPW_BUCKETS;
}

int cpw_ct_equal(const char *a, size_t an, const char *b, size_t bn)
{
	volatile unsigned char d = an != bn;
	size_t i, n = an < bn ? an : bn;

	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* hexval - value of one hex digit, or -1 */
static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int cpw_unhex(const char *h, size_t hn, unsigned char *out, size_t n)
{
	size_t i;

	if (hn != 2 * n)
		return 0;
	for (i = 0; i < n; i++) {
		int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 1;
}

/* --- the running helper -------------------------------------------------- */

void cpw_wipe(struct cpw *c)
{
	explicit_bzero(c->data, sizeof c->data);
}

void cpw_temp(struct cpw *c, const char *what, int e)
{
	if (c)
		cpw_wipe(c);
	if (e)
		log_write("fatal", e, what, (const char *)0);
	else
		log_write("fatal", -1, what, (const char *)0);
	_exit(EX_PW_TEMP);
}

/* misuse - log and exit 2 */
static void misuse(struct cpw *c, const char *why) __attribute__((noreturn));
static void misuse(struct cpw *c, const char *why)
{
	cpw_wipe(c);
	log_write("fatal", -1, why, (const char *)0);
	_exit(EX_PW_MISUSE);
}

void cpw_home_path(struct cpw *c, struct str *out, const char *rel)
{
	if (!str_copy(out, &c->home) || !str_cats(out, "/") || !str_cats(out, rel) || !str_0(out))
		cpw_temp(c, "out of memory", 0);
	out->len--;
}

/* env_ok - the environment value of name, or 0; ignored when setuid */
static const char *env_ok(const struct cpw *c, const char *name)
{
	const char *v;

	if (c->setuid_mode)
		return 0;
	v = getenv(name);
	return v && *v ? v : 0;
}

static volatile sig_atomic_t fd3_timeout;

/* on_fd3_alarm - note that the caller took too long */
static void on_fd3_alarm(int sig)
{
	(void)sig;
	fd3_timeout = 1;
}

/* read_fd3 - read fd 3 to EOF, keeping at most FD3_MAX + 1 bytes; 1 ok, 0 too long, -1 error, -2 timeout */
static int read_fd3(struct cpw *c)
{
	char sink[256];
	size_t drained = 0;
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fd3_alarm;	/* no SA_RESTART: the read returns EINTR */
	sigaction(SIGALRM, &sa, 0);
	alarm(CPW_FD3_TIMEOUT);
	c->n = 0;
	for (;;) {
		ssize_t r;
		if (c->n < sizeof c->data)
			r = read(3, c->data + c->n, sizeof c->data - c->n);
		else
			r = read(3, sink, sizeof sink);	/* drain, so the caller's write never blocks */
		if (r == -1 && errno == EINTR && !fd3_timeout)
			continue;
		if (r == -1 && fd3_timeout)
			return -2;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (c->n < sizeof c->data) {
			c->n += (size_t)r;
		} else if ((drained += (size_t)r) > CPW_FD3_DRAIN) {
			break;	/* endless input: enough to know it is too long */
		}
	}
	alarm(0);
	close(3);
	explicit_bzero(sink, sizeof sink);
	return c->n <= FD3_MAX;
}

/* load_limits - control/checkpwlimits over the defaults; exits 111 when unreadable or bad */
static void load_limits(struct cpw *c)
{
	struct str p = STR_INIT, x = STR_INIT;
	const char *why = 0;
	int r;

	cpw_limits_default(&c->lim);
	cpw_home_path(c, &p, "control/checkpwlimits");
	r = control_readlist(&x, p.s);
	if (r < 0)
		cpw_temp(c, "cannot read control/checkpwlimits", errno);
	if (r > 0 && !cpw_limits_parse(&c->lim, x.s, x.len, &why)) {
		log_warnx("control/checkpwlimits: ", why);
		cpw_temp(c, "bad control/checkpwlimits", 0);
	}
	str_free(&p);
	str_free(&x);
}

/* installed_helper - 1 if path is conf-home/bin/kurier-checkpw* with nothing odd in it */
static int installed_helper(const char *path)
{
	size_t h = strlen(auto_home);
	const char *rest;

	if (strncmp(path, auto_home, h) != 0 || strncmp(path + h, "/bin/kurier-checkpw", 19) != 0)
		return 0;
	rest = path + h + 19;
	return !strchr(rest, '/');
}

void cpw_start(struct cpw *c, int argc, char **argv, const char *name)
{
	const char *why = 0, *v;
	int r;

	log_prog(name);
	memset(c, 0, sizeof *c);
	c->slotfd = -1;
	c->setuid_mode = getuid() != geteuid() || getgid() != getegid();
	c->caller_uid = getuid();
	c->caller_gid = getgid();
	/* setuid root: make the real uid root too, so the caller can no longer
	 * signal us (a stopped helper would hold a hashing slot for ever) */
	if (c->setuid_mode && geteuid() == 0 && setresuid(0, 0, 0) == -1)
		cpw_temp(c, "cannot set the real uid", errno);
	if (!cpw_args_split(argc, argv, &c->args, &why))
		misuse(c, why);
	for (r = 0; c->setuid_mode && r < c->args.nhelpers; r++)
		if (!installed_helper(c->args.helpers[r]))
			misuse(c, "running setuid, every next helper must be a kurier-checkpw* in conf-home/bin");
	v = env_ok(c, "KURIER_HOME");
	if (!str_copys(&c->home, v ? v : auto_home) || !str_0(&c->home))
		cpw_temp(c, "out of memory", 0);
	c->home.len--;
	r = read_fd3(c);
	if (r == -2)
		misuse(c, "fd 3 not closed within 60 seconds");
	if (r < 0 && errno == EBADF)
		misuse(c, "descriptor 3 is not open for reading");
	if (r < 0)
		cpw_temp(c, "cannot read fd 3", errno);
	if (r == 0)
		misuse(c, "more than 512 bytes on fd 3");
	if (!fd3_parse(c->data, c->n, &c->req, &why))
		misuse(c, why);
	v = getenv("KURIER_CHECKPW_VERIFYONLY");
	c->verifyonly = v && strcmp(v, "1") == 0;
	v = getenv("KURIER_AUTHTYPE");
	c->cram = v && strcasecmp(v, "cram-md5") == 0;
	c->apop = v && strcasecmp(v, "apop") == 0;
	v = getenv("TCPREMOTEIP");
	c->remoteip = v && *v ? v : 0;
	load_limits(c);
}

int cpw_has_next(const struct cpw *c)
{
	return c->args.nhelpers > 0;
}

void cpw_pass(struct cpw *c)
{
	char **argv, **p;
	const char *next;
	int pfd[2], i, n = 0;

	if (!cpw_has_next(c))
		return;
	next = c->args.helpers[0];
	for (p = c->args.prog; *p; p++)
		n++;
	argv = calloc((size_t)c->args.nhelpers + (size_t)n + 3, sizeof *argv);
	if (!argv)
		cpw_temp(c, "out of memory", 0);
	n = 0;
	for (i = 0; i < c->args.nhelpers; i++)
		argv[n++] = c->args.helpers[i];
	if (c->args.explicit && cpw_is_helper(next))
		argv[n++] = (char *)"--";
	for (p = c->args.prog; *p; p++)
		argv[n++] = *p;
	argv[n] = 0;
	/* the same bytes on a fresh fd 3: at most 512, below PIPE_BUF, so the write cannot block */
	if (pipe(pfd) == -1)
		cpw_temp(c, "cannot make a pipe", errno);
	if (write(pfd[1], c->data, c->n) != (ssize_t)c->n)
		cpw_temp(c, "cannot write the next helper's fd 3", errno);
	close(pfd[1]);
	if (pfd[0] != 3) {
		if (dup2(pfd[0], 3) == -1)
			cpw_temp(c, "cannot dup fd 3", errno);
		close(pfd[0]);
	}
	cpw_wipe(c);
	/* the next helper must see who called, as this one did */
	if (c->setuid_mode && setresuid(c->caller_uid, 0, 0) == -1)
		cpw_temp(c, "cannot restore the caller's real uid", errno);
	execvp(next, argv);
	cpw_temp(c, next, errno);
}

unsigned long long cpw_minuid(struct cpw *c)
{
	struct str p = STR_INIT;
	unsigned long long u;
	const char *v = env_ok(c, "KURIER_MINUID");

	if (v) {
		if (!scan_ulongs(v, &u))
			misuse(c, "KURIER_MINUID is not a number");
		return u;
	}
	cpw_home_path(c, &p, "control/minuid");
	if (control_readulong(&u, p.s, CPW_MINUID) < 0)
		cpw_temp(c, "cannot read control/minuid or not a number", errno);
	str_free(&p);
	return u;
}

/* now_ms - wall-clock milliseconds (the throttle state outlives processes) */
static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

/* sleep_ms - sleep ms milliseconds, through signals */
static void sleep_ms(unsigned long long ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* state_dir - make sure conf-home/checkpw/sub exists, belongs to us and is private; its path in out */
static void state_dir(struct cpw *c, struct str *out, const char *sub)
{
	struct stat st;
	int i;

	for (i = 0; i < 2; i++) {
		if (i == 0)
			cpw_home_path(c, out, "checkpw");
		else if (!str_cats(out, "/") || !str_cats(out, sub) || !str_0(out))
			cpw_temp(c, "out of memory", 0);
		else
			out->len--;
		if (mkdir(out->s, 0700) == -1 && errno != EEXIST)
			cpw_temp(c, out->s, errno);
		if (lstat(out->s, &st) == -1)
			cpw_temp(c, out->s, errno);
		if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
			log_warnx(out->s, ": not a private directory of this user");
			cpw_temp(c, "unsafe state directory", 0);
		}
	}
}

/* open_state - open (creating) a state file under dir; the descriptor, exits 111 on error */
static int open_state(struct cpw *c, struct str *dir, const char *name)
{
	size_t keep = dir->len;
	int fd;

	if (!str_cats(dir, "/") || !str_cats(dir, name) || !str_0(dir))
		cpw_temp(c, "out of memory", 0);
	fd = open(dir->s, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		cpw_temp(c, dir->s, errno);
	str_truncate(dir, keep);
	return fd;
}

struct record {
	unsigned long long count, next, last;
};

/* record_read - the bucket's record (zeros when new or garbled) */
static void record_read(int fd, struct record *r)
{
	char b[CPW_RECORD_MAX + 1];
	ssize_t n = pread(fd, b, CPW_RECORD_MAX, 0);
	unsigned long long *v[3] = { &r->count, &r->next, &r->last };
	size_t i = 0, k, u;

	r->count = r->next = r->last = 0;
	if (n <= 0)
		return;
	for (k = 0; k < 3; k++) {
		u = scan_ulong(b + i, (size_t)n - i, v[k]);
		if (!u) {
			r->count = r->next = r->last = 0;
			return;
		}
		i += u;
		if (i < (size_t)n && b[i] == ' ')
			i++;
	}
}

/* record_write - store the record; 1 ok, 0 error */
static int record_write(int fd, const struct record *r)
{
	char b[CPW_RECORD_MAX];
	size_t n = 0;

	n += fmt_ulong(b + n, r->count);
	b[n++] = ' ';
	n += fmt_ulong(b + n, r->next);
	b[n++] = ' ';
	n += fmt_ulong(b + n, r->last);
	b[n++] = '\n';
	if (pwrite(fd, b, n, 0) != (ssize_t)n || ftruncate(fd, (off_t)n) == -1)
		return 0;
	return 1;
}

/* bucket_open - lock and read this address's record; fd, or -1 when there is no address */
static int bucket_open(struct cpw *c, struct record *r)
{
	struct str dir = STR_INIT;
	char name[8];
	unsigned b;
	int fd;

	if (!c->remoteip)
		return -1;
	b = cpw_bucket(c->remoteip);
	name[0] = "0123456789abcdef"[(b >> 8) & 15];
	name[1] = "0123456789abcdef"[(b >> 4) & 15];
	name[2] = "0123456789abcdef"[b & 15];
	name[3] = 0;
	state_dir(c, &dir, "fail");
	fd = open_state(c, &dir, name);
	str_free(&dir);
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR)
			cpw_temp(c, "cannot lock the throttle file", errno);
	record_read(fd, r);
	if (r->last && now_ms() > r->last + c->lim.failforget * 1000)
		r->count = 0;
	return fd;
}

void cpw_throttle(struct cpw *c)
{
	struct record r;
	unsigned long long now, start, d;
	int fd = bucket_open(c, &r);

	if (fd < 0)
		return;
	now = now_ms();
	d = cpw_throttle_delay(&c->lim, r.count);
	/* wait d, and at least d after the previous attempt's turn: parallel
	 * attempts line up one behind the other instead of all waiting once */
	start = r.next > now + d ? r.next : now + d;
	if (start - (now + d) > c->lim.failqueue * 1000) {
		close(fd);
		log_info("throttled: too many failures from ", c->remoteip, "; try later");
		cpw_wipe(c);
		_exit(EX_PW_TEMP);
	}
	if (d) {
		r.next = start + d;
		if (!record_write(fd, &r))
			cpw_temp(c, "cannot write the throttle file", errno);
	}
	close(fd);
	if (start > now)
		sleep_ms(start - now);
}

/* throttle_result - count a failure, or halve the count after a success */
static void throttle_result(struct cpw *c, int failed)
{
	struct record r;
	int fd = bucket_open(c, &r);

	if (fd < 0)
		return;
	if (failed) {
		r.count++;
		r.last = now_ms();
	} else {
		r.count /= 2;	/* one good login does not wipe a guessing record */
	}
	if (!record_write(fd, &r))
		log_warn("cannot write the throttle file");
	close(fd);
}

/* on_alarm - interrupt a blocked flock */
static void on_alarm(int sig)
{
	(void)sig;
}

void cpw_slot_get(struct cpw *c)
{
	struct str dir = STR_INIT;
	struct sigaction sa;
	char name[FMT_ULONG];
	unsigned long long i, first = (unsigned long long)getpid() % c->lim.slots;
	int fd = -1;

	state_dir(c, &dir, "slot");
	for (i = 0; i < c->lim.slots; i++) {
		unsigned long long k = (first + i) % c->lim.slots;
		name[fmt_ulong(name, k)] = 0;
		fd = open_state(c, &dir, name);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			c->slotfd = fd;
			str_free(&dir);
			return;
		}
		close(fd);
	}
	/* every slot busy: wait for ours, but not forever */
	name[fmt_ulong(name, first)] = 0;
	fd = open_state(c, &dir, name);
	str_free(&dir);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, 0);
	alarm((unsigned)c->lim.slotwait);
	if (flock(fd, LOCK_EX) == -1) {
		log_warnx("all hashing slots busy for too long");
		cpw_wipe(c);
		_exit(EX_PW_TEMP);
	}
	alarm(0);
	c->slotfd = fd;
}

void cpw_slot_put(struct cpw *c)
{
	if (c->slotfd >= 0)
		close(c->slotfd);
	c->slotfd = -1;
}

int cpw_crypt_verify(const char *hash, const char *pw)
{
	static struct crypt_data cd;
	const char *out;
	int ok;

	if (!hash || hash[0] != '$')
		return 0;	/* empty, "*", "!", "!!", locked "!$..." and DES never match */
	memset(&cd, 0, sizeof cd);
	out = crypt_r(pw, hash, &cd);
	ok = out && out[0] == '$' && cpw_ct_equal(out, strlen(out), hash, strlen(hash));
	explicit_bzero(&cd, sizeof cd);
	return ok;
}

void cpw_crypt_dummy(const char *pw)
{
	static struct crypt_data cd;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	if (crypt_gensalt_rn(0, 0, 0, 0, setting, sizeof setting)) {
		memset(&cd, 0, sizeof cd);
		(void)crypt_r(pw, setting, &cd);
		explicit_bzero(&cd, sizeof cd);
	}
}

void cpw_reject(struct cpw *c, const char *why)
{
	cpw_slot_put(c);
	throttle_result(c, 1);
	log_info("login failed: ", c->req.login, " from ", c->remoteip ? c->remoteip : "-", ": ", why);
	cpw_wipe(c);
	sleep_ms(c->lim.afterfail);
	_exit(EX_PW_BAD);
}

/* setenv_or_die - setenv, 111 on failure */
static void setenv_or_die(struct cpw *c, const char *n, const char *v)
{
	if (setenv(n, v, 1) == -1)
		cpw_temp(c, "out of memory", 0);
}

void cpw_login(struct cpw *c, const struct cpw_account *a)
{
	uid_t ruid = c->caller_uid;
	gid_t rgid = c->caller_gid;

	cpw_slot_put(c);
	throttle_result(c, 0);
	cpw_wipe(c);
	if (!c->verifyonly && a->uid == 0)
		cpw_temp(c, "refusing to log in as uid 0", 0);
	setenv_or_die(c, "USER", a->user);
	setenv_or_die(c, "HOME", a->home);
	setenv_or_die(c, "SHELL", a->shell);
	setenv_or_die(c, "MAILDIR", a->maildir);
	setenv_or_die(c, "AUTHENTICATED", a->address);
	if (c->verifyonly) {
		/* keep the caller's ids: a setuid helper gives root back first */
		if (c->setuid_mode && (setresgid(rgid, rgid, rgid) == -1 || setresuid(ruid, ruid, ruid) == -1))
			cpw_temp(c, "cannot return to the caller's ids", errno);
	} else {
		int g = a->groups_by_name ? initgroups(a->user, a->gid) : setgroups(1, &a->gid);
		if (g == -1 || setresgid(a->gid, a->gid, a->gid) == -1 || setresuid(a->uid, a->uid, a->uid) == -1)
			cpw_temp(c, "cannot set the account's groups and ids", errno);
		if (getuid() != a->uid || geteuid() != a->uid || getegid() != a->gid)
			cpw_temp(c, "ids did not change", 0);
		if (chdir(a->home) == -1)
			cpw_temp(c, "cannot change to the home directory", errno);
	}
	log_info("login: ", a->address, " from ", c->remoteip ? c->remoteip : "-");
	execvp(c->args.prog[0], c->args.prog);
	cpw_temp(c, c->args.prog[0], errno);
}
