/*
 * userdbpw - hash a password for the userdb source.
 * runs as:  anyone
 * usage:    userdbpw [-hmac-md5]
 * input:    one password line on stdin (the newline is dropped); on a
 *           terminal it asks twice without echo.
 * output:   an argon2id hash string (libsodium crypto_pwhash_str,
 *           OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE) for systempw and
 *           the other *pw fields, or with -hmac-md5 the 64 hex digits of
 *           the HMAC-MD5 inner and outer states for hmac-md5pw (CRAM-MD5).
 * trusts:   nothing; the password is wiped from memory before exit.
 * exit:     0 printed; 100 bad usage, empty or mismatched password;
 *           111 system failure.
 */
#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "userdb-pw.h"

/* longest password read; longer input is refused, not cut */
#define PW_MAX 1024

static char pw[PW_MAX + 2], pw2[PW_MAX + 2];

/* wipe - clear both password buffers */
static void wipe(void)
{
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(pw2, sizeof pw2);
}

/* fail - wipe and exit with code after message */
static void fail(int code, const char *m)
{
	wipe();
	diex(code, m);
}

/* read_line - read one line from fd into p (at most PW_MAX bytes); length, -1 too long, -2 error */
static long read_line(int fd, char *p)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, p + n, 1);	/* byte by byte: take nothing after the line */
		if (r == -1 && errno == EINTR)
			continue;
		if (r < 0)
			return -2;
		if (r == 0 || p[n] == '\n')
			break;
		if (++n > PW_MAX)
			return -1;
	}
	if (n && p[n - 1] == '\r')
		n--;
	p[n] = 0;
	return (long)n;
}

/* prompt_read - print prompt on the terminal and read a line without echo; length as read_line */
static long prompt_read(const char *prompt, char *p)
{
	struct termios old, noecho;
	long n;

	if (tcgetattr(0, &old) != 0)
		return -2;
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	(void)!write(2, prompt, strlen(prompt));
	if (tcsetattr(0, TCSAFLUSH, &noecho) != 0)
		return -2;
	n = read_line(0, p);
	tcsetattr(0, TCSAFLUSH, &old);
	(void)!write(2, "\n", 1);
	return n;
}

int main(int argc, char **argv)
{
	char out[UDB_PW_HASH_MAX];
	int hmac = 0;
	long n;

	log_prog("userdbpw");
	if (argc == 2 && strcmp(argv[1], "-hmac-md5") == 0)
		hmac = 1;
	else if (argc != 1)
		diex(EX_T_USAGE, "usage: userdbpw [-hmac-md5]");
	if (isatty(0)) {
		long m;
		n = prompt_read("Password: ", pw);
		m = n >= 0 ? prompt_read("Reenter password: ", pw2) : n;
		if (n >= 0 && m >= 0 && (n != m || memcmp(pw, pw2, (size_t)n) != 0))
			fail(EX_T_USAGE, "passwords do not match");
	} else
		n = read_line(0, pw);
	if (n == -2)
		fail(EX_T_TEMP, "cannot read the password");
	if (n == -1)
		fail(EX_T_USAGE, "password longer than 1024 bytes");
	if (n == 0)
		fail(EX_T_USAGE, "empty password");
	if (hmac)
		udb_pw_hmac_md5(pw, (size_t)n, out);
	else if (!udb_pw_argon2(pw, (size_t)n, out))
		fail(EX_T_TEMP, "cannot hash the password: out of memory");
	wipe();
	{
		size_t len = strlen(out);
		out[len] = '\n';
		if (buf_unixwrite(1, out, len + 1) != (ssize_t)(len + 1))
			die(EX_T_TEMP, "cannot write the hash");
	}
	return EX_T_OK;
}
