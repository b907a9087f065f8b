/*
 * test-loginmon - the login programs' monitor and request (loginmon.c):
 * a login reaches the chain as fd 3 data ("name\0secret\0stamp\0") with
 * KURIER_SERVICE, KURIER_AUTHTYPE, the tag and the started/pending
 * variables set and KURIER_CHECKPW_VERIFYONLY taken out; the chain's exit
 * code becomes "refused" (1, 2) or "temporary" (others); commands sent
 * ahead reach the server on fd 4; a server that says it started ends the
 * session process; every malformed request ends it without running the
 * chain (table below); credentials that are empty or too long never
 * leave the session process.  Also the SASL PLAIN and CRAM-MD5 parsers,
 * table-driven.
 * runs as:  anyone; the chain is /bin/sh with a script in a scratch
 *           directory.
 * exit:     0 when every check passed; results as TAP lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "base64.h"
#include "loginmon.h"
#include "session.h"
#include "test.h"

#define WAIT_SECS 10	/* nothing here takes a second; a hang fails instead */

static char dir[] = "/tmp/kurier-test-loginmon.XXXXXX";
static char fd3path[64], envpath[64], pendpath[64];
static const char *const types[] = { "login", "plain", 0 };

/* slurp - the contents of path into s; 1 read, 0 not there */
static int slurp(const char *path, struct str *s)
{
	char b[4096];
	ssize_t r;
	int fd = open(path, O_RDONLY);

	s->len = 0;
	if (fd == -1)
		return 0;
	while ((r = read(fd, b, sizeof b)) > 0)
		if (!str_catb(s, b, (size_t)r))
			break;
	close(fd);
	return 1;
}

/* hasline - 1 if s holds the line l */
static int hasline(const struct str *s, const char *l)
{
	size_t n = strlen(l), i = 0;

	while (i + n <= s->len) {
		if (!memcmp(s->s + i, l, n) && (i + n == s->len || s->s[i + n] == '\n'))
			return 1;
		while (i < s->len && s->s[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

/*
 * run - start a monitor over the chain "sh -c script" (tagged: requests
 * carry a tag); its session process sends raw (if rawlen) or logs in as
 * name/secret with tag, and reports what it got: the answer byte, 'M' or
 * 'L' (malformed or too long, not sent), or nothing when it was ended
 */
static int run(const char *script, int tagged, const char *raw, size_t rawlen,
    const char *name, const char *secret, const char *tag)
{
	char *chain[] = { (char *)"/bin/sh", (char *)"-c", (char *)script, 0 };
	int res[2], st;
	char got = 0;
	pid_t pid;

	unlink(fd3path);
	unlink(envpath);
	unlink(pendpath);
	if (pipe2(res, O_CLOEXEC) == -1)
		return -1;
	pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0) {
		struct loginmon lm = {
			.chain = chain, .service = "test", .pending_var = "KURIER_T_PENDING",
			.started_var = "KURIER_T_STARTED", .tag_var = tagged ? "KURIER_T_TAG" : 0,
			.types = types, .datamax = LOGINMON_CHECKPW_MAX, .tagmax = 8,
			.chain_timeout = WAIT_SECS, .delaymax = 0,
		};
		char a = 0;
		close(res[0]);
		alarm(WAIT_SECS);
		loginmon_start(&lm);
		/* the session process */
		if (rawlen) {
			/* then end of file: a short request is not waited for */
			if (write(lm.reqfd, raw, rawlen) != (ssize_t)rawlen || close(lm.reqfd) == -1 ||
			    read(lm.ansfd, &a, 1) != 1)
				_exit(0);
		} else {
			switch (loginmon_login(&lm, "plain", name, strlen(name), secret, strlen(secret), tag)) {
			case LOGINMON_NO: a = 'N'; break;
			case LOGINMON_TEMP: a = 'T'; break;
			case LOGINMON_MALFORMED: a = 'M'; break;
			case LOGINMON_TOOLONG: a = 'L'; break;
			}
		}
		(void)!write(res[1], &a, 1);
		_exit(0);
	}
	close(res[1]);
	alarm(2 * WAIT_SECS);
	if (read(res[0], &got, 1) != 1)
		got = 0;
	close(res[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	alarm(0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? got : -1;
}

/* the chain's scripts: record fd 3, the environment and fd 4, then exit */
#define RECORD "cat <&3 >\"$D/fd3\"; env >\"$D/env\"; "

/* a request as a string literal and its length, the NULs counted */
#define RAW(s) s, sizeof s - 1

/* malformed or short requests (untagged monitor unless tagged): no answer, the chain never runs */
static const struct { const char *name; int tagged; const char *req; size_t len; } bad[] = {
	{ "unknown-type", 0, RAW("apop\0u\0s\0<1>\0" "0\0") },
	{ "empty-type", 0, RAW("\0u\0s\0<1>\0" "0\0") },
	{ "count-not-digits", 0, RAW("login\0u\0s\0<1>\0x\0") },
	{ "count-empty", 0, RAW("login\0u\0s\0<1>\0\0") },
	{ "count-signed", 0, RAW("login\0u\0s\0<1>\0-1\0") },
	{ "count-too-big", 0, RAW("login\0u\0s\0<1>\0" "99999\0") },
	{ "more-than-counted", 0, RAW("login\0u\0s\0<1>\0" "1\0ab") },
	{ "tag-missing", 1, RAW("login\0u\0s\0<1>\0" "0\0") },
	{ "tag-empty", 1, RAW("login\0u\0s\0<1>\0\0" "0\0") },
	{ "short", 0, RAW("login\0u\0s\0<1>\0") },
	{ "tag-too-long", 1, RAW("login\0u\0s\0<1>\0" "123456789\0" "0\0") },
};

static void test_monitor(void)
{
	struct str s = STR_INIT;
	char script[512], big[LOGINMON_CHECKPW_MAX + 64], req[2 * LOGINMON_CHECKPW_MAX];
	size_t i, n;
	int r;

	snprintf(fd3path, sizeof fd3path, "%s/fd3", dir);
	snprintf(envpath, sizeof envpath, "%s/env", dir);
	snprintf(pendpath, sizeof pendpath, "%s/pending", dir);
	if (setenv("D", dir, 1) || setenv("KURIER_CHECKPW_VERIFYONLY", "1", 1) ||
	    setenv("KURIER_SERVICE", "smtp", 1) || setenv("KURIER_T_TAG", "stale", 1))
		return;

	/* a refused login: the answer, fd 3 and the variables */
	r = run(RECORD "exit 1", 1, 0, 0, "alice", "secret", "A1");
	CHECK(r == 'N', "refused");
	CHECK(slurp(fd3path, &s) && s.len > 13 && !memcmp(s.s, "alice\0secret\0<", 14) &&
	    s.s[s.len - 2] == '>' && s.s[s.len - 1] == 0 && memchr(s.s, '@', s.len), "fd3-data");
	CHECK(slurp(envpath, &s) && hasline(&s, "KURIER_SERVICE=test") && hasline(&s, "KURIER_AUTHTYPE=plain") &&
	    hasline(&s, "KURIER_T_TAG=A1") && hasline(&s, "KURIER_T_STARTED=5") &&
	    !hasline(&s, "KURIER_T_TAG=stale") && !hasline(&s, "KURIER_SERVICE=smtp"), "variables");
	CHECK(!memmem(s.s, s.len, "KURIER_CHECKPW_VERIFYONLY", 25) && !memmem(s.s, s.len, "KURIER_T_PENDING", 16),
	    "variables-taken-out");
	CHECK(run("exit 2", 0, 0, 0, "alice", "secret", 0) == 'N', "misuse-is-refused");
	CHECK(run("exit 111", 0, 0, 0, "alice", "secret", 0) == 'T', "temporary");
	CHECK(run("exit 0", 0, 0, 0, "alice", "secret", 0) == 0, "success-ends-session");
	CHECK(run("kill -9 $$", 0, 0, 0, "alice", "secret", 0) == 'T', "killed-chain-temporary");
	/* the server took over: the session process is ended, whatever the exit code */
	CHECK(run(RECORD "printf x >&5; exit 1", 0, 0, 0, "alice", "secret", 0) == 0 &&
	    slurp(fd3path, &s), "started-ends-session");

	/* never sent: the chain does not run */
	CHECK(run(RECORD "exit 1", 0, 0, 0, "", "secret", 0) == 'M' && !slurp(fd3path, &s), "empty-name");
	CHECK(run(RECORD "exit 1", 0, 0, 0, "alice", "", 0) == 'M' && !slurp(fd3path, &s), "empty-secret");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(run(RECORD "exit 1", 0, 0, 0, "alice", big, 0) == 'L' && !slurp(fd3path, &s), "too-long");

	/* commands sent ahead reach the server on fd 4, named by the pending variable */
	snprintf(script, sizeof script, "%s cat <&4 >\"$D/pending\"; exit 1", RECORD);
	r = run(script, 0, RAW("login\0u\0s\0<1>\0" "4\0NOOP"), 0, 0, 0);
	CHECK(r == 'N' && slurp(pendpath, &s) && s.len == 4 && !memcmp(s.s, "NOOP", 4), "pending");
	CHECK(slurp(envpath, &s) && hasline(&s, "KURIER_T_PENDING=4") && hasline(&s, "KURIER_AUTHTYPE=login"),
	    "pending-variable");
	CHECK(slurp(fd3path, &s) && s.len == 8 && !memcmp(s.s, "u\0s\0<1>\0", 8), "raw-fd3-data");

	/* fd 3 data up to the limit passes; one byte more is malformed */
	memcpy(req, "login\0", 6);
	n = 6;
	memset(req + n, 'u', LOGINMON_CHECKPW_MAX - 5);	/* name\0s\0<\0 is then the limit */
	n += LOGINMON_CHECKPW_MAX - 5;
	memcpy(req + n, "\0s\0<\0" "0\0", 7);
	CHECK(run(RECORD "exit 1", 0, req, n + 7, 0, 0, 0) == 'N' && slurp(fd3path, &s) &&
	    s.len == LOGINMON_CHECKPW_MAX, "data-at-limit");
	memmove(req + n + 1, req + n, 7);
	req[n] = 'u';
	CHECK(run(RECORD "exit 1", 0, req, n + 8, 0, 0, 0) == 0 && !slurp(fd3path, &s), "data-over-limit");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(run(RECORD "exit 1", bad[i].tagged, bad[i].req, bad[i].len, 0, 0, 0) == 0 &&
		    !slurp(fd3path, &s), bad[i].name);
	str_free(&s);
}

/* SASL responses, before base64 (text: sent as it is) */
static const struct {
	const char *name, *in, *text;
	size_t len;
	int cram, want;
	const char *user, *secret;
} sasl[] = {
	{ "plain", "\0test\0secret", 0, 12, 0, LOGINMON_OK, "test", "secret" },
	{ "plain-authz-self", "test\0test\0secret", 0, 16, 0, LOGINMON_OK, "test", "secret" },
	{ "plain-authz-other", "root\0test\0secret", 0, 16, 0, LOGINMON_AUTHZ, 0, 0 },
	{ "plain-authz-prefix", "tes\0test\0secret", 0, 15, 0, LOGINMON_AUTHZ, 0, 0 },
	{ "plain-one-nul", "\0test", 0, 5, 0, LOGINMON_MALFORMED, 0, 0 },
	{ "plain-no-name", "\0\0secret", 0, 8, 0, LOGINMON_MALFORMED, 0, 0 },
	{ "plain-no-secret", "\0test\0", 0, 6, 0, LOGINMON_MALFORMED, 0, 0 },
	{ "plain-nul-in-secret", "\0test\0se\0cret", 0, 13, 0, LOGINMON_OK, "test", "se\0cret" },
	{ "plain-empty", 0, "=", 0, 0, LOGINMON_MALFORMED, 0, 0 },
	{ "plain-bad-base64", 0, "AHRlc3QAc2VjcmV0=", 0, 0, LOGINMON_BASE64, 0, 0 },
	{ "cram", "alice 0123456789abcdef0123456789abcdef", 0, 38, 1, LOGINMON_OK, "alice",
	  "0123456789abcdef0123456789abcdef" },
	{ "cram-name-with-space", "al ice 0123456789abcdef0123456789abcdef", 0, 39, 1, LOGINMON_OK, "al ice",
	  "0123456789abcdef0123456789abcdef" },
	{ "cram-upper-hex", "alice 0123456789ABCDEF0123456789abcdef", 0, 38, 1, LOGINMON_MALFORMED, 0, 0 },
	{ "cram-short-digest", "alice 0123456789abcdef0123456789abcde", 0, 37, 1, LOGINMON_MALFORMED, 0, 0 },
	{ "cram-no-space", "alice-0123456789abcdef0123456789abcdef", 0, 38, 1, LOGINMON_MALFORMED, 0, 0 },
	{ "cram-no-name", " 0123456789abcdef0123456789abcdef", 0, 33, 1, LOGINMON_MALFORMED, 0, 0 },
	{ "cram-nul-in-name", "al\0ice 0123456789abcdef0123456789abcdef", 0, 39, 1, LOGINMON_MALFORMED, 0, 0 },
	{ "cram-bad-base64", 0, "YWxpY2U*", 0, 1, LOGINMON_BASE64, 0, 0 },
};

static void test_sasl(void)
{
	struct str text = STR_INIT, dec = STR_INIT;
	const char *name = 0, *secret = 0;
	size_t i, nlen = 0, slen = 0;

	for (i = 0; i < sizeof sasl / sizeof sasl[0]; i++) {
		text.len = 0;
		dec.len = 0;
		if (sasl[i].in ? !base64_encode(sasl[i].in, sasl[i].len, &text) : !str_copys(&text, sasl[i].text))
			return;
		int r = (sasl[i].cram ? loginmon_cram : loginmon_plain)(text.s, text.len, &dec, &name, &nlen, &secret, &slen);
		if (!CHECK(r == sasl[i].want, sasl[i].name) || r != LOGINMON_OK)
			continue;
		CHECK(nlen == strlen(sasl[i].user) && !memcmp(name, sasl[i].user, nlen) &&
		    slen == (sasl[i].cram ? 32 : sasl[i].len - (size_t)(secret - dec.s)) &&
		    !memcmp(secret, sasl[i].secret, slen), sasl[i].name);
	}
	str_free(&text);
	str_free(&dec);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	session_init("idle\n", "nomem\n", "<>@");
	if (!str_copys(&session.remoteip, "test") || !str_copys(&session.me, "test.example") || !mkdtemp(dir)) {
		CHECK(0, "setup");
		return test_done();
	}
	test_sasl();
	test_monitor();
	{
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return test_done();
}
