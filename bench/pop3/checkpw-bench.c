/*
 * checkpw-bench - the benchmark's login helper: the checkpassword
 * interface with one account from the environment and a clear-text
 * password, so that kurier's login is timed against Dovecot's
 * passwd-file lookup with a {PLAIN} password on equal terms.
 * runs as:  root (from kurier-pop3-login's monitor), only in bench/pop3
 * input:    user\0password\0stamp\0 on fd 3; BENCH_USER, BENCH_PASS,
 *           BENCH_UID, BENCH_GID, BENCH_MAILDIR in the environment
 * exit:     1 bad login, 2 misuse, 111 system failure; else execs argv[1...]
 */
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FD3_MAX 512	/* checkpassword reads at most 512 bytes */

int main(int argc, char **argv)
{
	char b[FD3_MAX + 1];
	size_t n = 0;
	ssize_t r;
	const char *u = getenv("BENCH_USER"), *p = getenv("BENCH_PASS"), *m = getenv("BENCH_MAILDIR");
	const char *su = getenv("BENCH_UID"), *sg = getenv("BENCH_GID");
	uid_t uid;
	gid_t gid;

	if (argc < 2 || !u || !p || !m || !su || !sg)
		return 2;
	while (n < FD3_MAX && (r = read(3, b + n, FD3_MAX - n)) > 0)
		n += (size_t)r;
	b[n] = 0;
	/* the login, then the password, each NUL-terminated */
	if (strlen(b) + 1 >= n || strcmp(b, u) || strcmp(b + strlen(b) + 1, p))
		return 1;
	uid = (uid_t)strtoul(su, 0, 10);
	gid = (gid_t)strtoul(sg, 0, 10);
	if (setgroups(1, &gid) || setgid(gid) || setuid(uid))
		return 111;
	if (setenv("MAILDIR", m, 1) || setenv("USER", u, 1) || setenv("HOME", m, 1))
		return 111;
	execv(argv[1], argv + 1);
	return 111;
}
