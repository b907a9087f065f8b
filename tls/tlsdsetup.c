/*
 * tlsdsetup - the start of a kurier-tlsd connection, shared by the
 * plaintext front (kurier-tlsd) and the TLS engine (kurier-tlsd-ssl):
 * control/ paths, timeouts from the environment, the PEM files opened as
 * root, the protocol server spawned, the ticket secret's file.
 * runs as:  root under tcpserver (before either half drops to kuriert)
 * trusts:   root's environment and conf-home
 * exit:     the tlsd_ functions that cannot go on leave with 100 or 111
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "auto.h"
#include "exitcode.h"
#include "log.h"
#include "sandbox.h"
#include "scan.h"
#include "str.h"
#include "tlsdsetup.h"

extern char **environ;

void tlsd_die_nomem(void)
{
	diex(EX_T_TEMP, "out of memory");
}

const char *tlsd_ctlpath(const char *name)
{
	static struct str path;
	const char *home = getenv("KURIER_HOME");

	if (!home || !*home)
		home = auto_home;
	if (!str_copys(&path, home) || !str_cats(&path, "/control/") ||
	    !str_cats(&path, name) || !str_0(&path))
		tlsd_die_nomem();
	return path.s;
}

int tlsd_seconds(const char *var, int def)
{
	unsigned long long u;
	const char *v = getenv(var);

	if (!v || !*v)
		return def;
	if (!scan_ulongs(v, &u) || !u || u > TLSD_TIMEOUT_MAX)
		diex(EX_T_USAGE, var, " must be a number of seconds from 1 to 86400");
	return (int)u;
}

/* Opened while we are root, before the server starts, so that a missing
 * or unreadable file ends the connection before the server has said a
 * word; read later (the engine, after the server runs). */
int tlsd_pem_open(const char *name)
{
	int fd = open(tlsd_ctlpath(name), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		die(EX_T_TEMP, "cannot load control/", name);
	return fd;
}

/* server_env - the environment for the server: ours without KURIER_TLS
 * and KURIER_TLSFD, then the one of them that applies; leaves on no memory */
static char **server_env(int implicit)
{
	static char tlsvar[] = "KURIER_TLS=1", fdvar[] = "KURIER_TLSFD=" TLSD_CTLFD_STR;
	size_t n = 0, i, k = 0;
	char **envp;

	while (environ[n])
		n++;
	/* n + 2 cannot overflow: the environment fits in memory already */
	envp = calloc(n + 2, sizeof *envp);
	if (!envp)
		tlsd_die_nomem();
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "KURIER_TLS=", 11) && strncmp(environ[i], "KURIER_TLSFD=", 13))
			envp[k++] = environ[i];
	envp[k++] = implicit ? tlsvar : fdvar;
	envp[k] = 0;
	return envp;
}

/* No key is loaded yet.  With -i the server gets the plaintext end of a
 * socketpair on fd 0/1; without, the client socket itself (our fd 0/1,
 * inherited) and the control descriptor.  posix_spawn (clone with
 * CLONE_VFORK) copies no page tables: the server runs in our memory only
 * until its exec.  A pidfd tells us when the server has ended. */
void tlsd_server_start(char **argv, int implicit, struct tlsd_server *s)
{
	int data[2] = { -1, -1 }, cp[2] = { -1, -1 }, e;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;
	pid_t pid;
	char **envp;

	s->child = s->ctl = s->pidfd = -1;
	if (implicit && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) == -1)
		die(EX_T_TEMP, "cannot create a socketpair");
	if (!implicit && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cp) == -1)
		die(EX_T_TEMP, "cannot create a socketpair");
	envp = server_env(implicit);
	/* dup2 onto another number leaves close-on-exec off: the server keeps
	 * fds 0, 1 and the control descriptor; every other of ours closes.
	 * With -i the data pair is the only pair, so neither of its ends is
	 * fd 0 or 1 unless one of those was closed, and then it is put in
	 * place by the dup2 anyway.  Without -i fds 0 and 1 stay as they are;
	 * the control end cannot be fd 0 or 1 (both are open: the client). */
	if (posix_spawn_file_actions_init(&fa) || posix_spawnattr_init(&at))
		tlsd_die_nomem();
	e = 0;
	if (implicit)
		e = posix_spawn_file_actions_adddup2(&fa, data[1], 0);
	if (!e && implicit)
		e = posix_spawn_file_actions_adddup2(&fa, data[1], 1);
	if (!e && !implicit)
		e = posix_spawn_file_actions_adddup2(&fa, cp[1], TLSD_CTLFD);
	/* we ignore SIGPIPE; an ignored signal would stay ignored across exec */
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	if (!e)
		e = posix_spawnattr_setsigdefault(&at, &def);
	if (!e)
		e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	if (!e)
		e = posix_spawnp(&pid, argv[0], &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(envp);
	if (e) {
		errno = e;
		die(EX_T_TEMP, "cannot run ", argv[0]);
	}
	if (implicit) {
		close(data[1]);
		s->child = data[0];
		return;
	}
	close(cp[1]);
	s->ctl = cp[0];
	/* a server that has exited and not been reaped still has its pidfd */
	s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (s->pidfd == -1)
		die(EX_T_TEMP, "cannot watch the server");
}

/* ticket_create - a new random secret written whole under a temporary
 * name, then linked to control/tlsticketkey (a concurrent first use
 * loses the link and reads the winner's) */
static void ticket_create(void)
{
	struct str tmpname = STR_INIT;
	unsigned char fresh[TLSD_TICKET_SECRET];
	int fd;

	if (getrandom(fresh, sizeof fresh, 0) != (ssize_t)sizeof fresh)
		return;
	if (!str_copys(&tmpname, tlsd_ctlpath("tlsticketkey")) || !str_cats(&tmpname, ".") ||
	    !str_catu(&tmpname, (unsigned long long)getpid()) || !str_0(&tmpname))
		tlsd_die_nomem();
	fd = open(tmpname.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, fresh, sizeof fresh) == (ssize_t)sizeof fresh && fsync(fd) == 0)
			(void)!link(tmpname.s, tlsd_ctlpath("tlsticketkey"));
		close(fd);
		(void)unlink(tmpname.s);
	}
	explicit_bzero(fresh, sizeof fresh);
	str_free(&tmpname);
}

int tlsd_ticket_open(void)
{
	int fd = open(tlsd_ctlpath("tlsticketkey"), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1 && errno == ENOENT) {
		ticket_create();
		fd = open(tlsd_ctlpath("tlsticketkey"), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1)
		log_warn("cannot read control/tlsticketkey: no session resumption");
	return fd;
}

int tlsd_ticket_read(int fd, unsigned char secret[TLSD_TICKET_SECRET])
{
	ssize_t r;

	if (fd == -1)
		return 0;
	do
		r = read(fd, secret, TLSD_TICKET_SECRET);
	while (r == -1 && errno == EINTR);
	close(fd);
	if (r == TLSD_TICKET_SECRET)
		return 1;
	log_warnx("control/tlsticketkey is shorter than 32 bytes: no session resumption");
	return 0;
}

void tlsd_confine(unsigned allow, const unsigned char *prog, size_t len)
{
	struct sandbox sb;

	memset(&sb, 0, sizeof sb);
	sb.user = geteuid() == 0 ? auto_user_t : 0;
	sb.allow = allow;
	sb.mem = TLSD_MEM_LIMIT;	/* lib/sandbox leaves it under ASan */
	sb.nofile = TLSD_NOFILE;
	sb.nproc = 1;
	if (sandbox_enter_prog(&sb, prog, len) != 1)
		die(EX_T_TEMP, "cannot enter the sandbox");
}
