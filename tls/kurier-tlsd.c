/*
 * kurier-tlsd - TLS for every kurier server: sits between tcpserver and a
 * protocol server (kurier-smtpd, the IMAP and POP3 login servers).  This
 * is its front, which holds no OpenSSL: a session that stays in plaintext
 * never pays for loading it.  With -i it executes the TLS engine,
 * kurier-tlsd-ssl, at once; without, it starts the server on the client
 * socket, stays out of the data path, and executes the engine in its own
 * process when the server asks for TLS.
 * runs as:  root under tcpserver, just long enough to start the server
 *           and open the certificate and key files; then kuriert, in its
 *           sandbox.
 * input:    the client on fd 0/1; control/tlscert.pem, control/tlskey.pem
 *           and control/tlsticketkey under conf-home (or KURIER_HOME).
 * trusts:   root's environment and conf-home; nothing from the client and
 *           nothing from the server but the one-byte control protocol.
 * exit:     0 when the connection ends, however it ends; 100 (EX_T_USAGE)
 *           bad usage; 111 (EX_T_TEMP) cannot start: no certificate, no
 *           key, no memory, the sandbox failed, the engine cannot run.
 *
 * Without -i the server gets the client socket itself on fd 0/1 and a
 * control descriptor (its number in KURIER_TLSFD).  The key and
 * certificate files are opened before it starts (so that without them
 * the server never greets) and are never read here.  Then we drop to
 * kuriert and wait only on the control descriptor and on a pidfd of the
 * server, and end when the server ends.  On STARTTLS/STLS the server
 * sends its go-ahead and writes "S"; we execute kurier-tlsd-ssl -r in
 * this process with the control socket, the PEM files and the ticket
 * secret's file on fixed descriptors (tlsdsetup.h).  It reads the key,
 * shakes hands and relays.  Any other byte from the server ends the
 * connection.
 *
 * The engine is the file kurier-tlsd-ssl beside this program's own.  The
 * sandbox filter of the front is the engine's plus what an exec and the
 * engine's start need (filter-gen front); the engine loads its own on
 * top before it reads a byte of the client, so after the exec it is as
 * confined as if it had started alone.
 * Cost per connection: one exec (this program, linked with musl when it
 * can be), one posix_spawn; a TLS session one exec more.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "exitcode.h"
#include "log.h"
#include "str.h"
#include "tlsdsetup.h"
#include "tls/tlsd-front-bpf.h"

extern char **environ;

#define FD_SPARE 10	/* descriptors are moved above this before they take the engine's numbers */

static struct str engine;	/* the engine's path */

/* usage - complain about the command line and leave */
static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	diex(EX_T_USAGE, "usage: kurier-tlsd [-i] server [arg...]");
}

/* engine_find - the engine's path: kurier-tlsd-ssl in the directory of
 * our own file (/proc/self/exe), found while nothing is confined yet */
static void engine_find(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self);
	size_t dir;

	if (n <= 0 || (size_t)n >= sizeof self)
		die(EX_T_TEMP, "cannot read /proc/self/exe to find kurier-tlsd-ssl beside me (is /proc mounted?)");
	for (dir = (size_t)n; dir > 0 && self[dir - 1] != '/'; dir--)
		;
	if (!str_copyb(&engine, self, dir) || !str_cats(&engine, TLSD_ENGINE) || !str_0(&engine))
		tlsd_die_nomem();
}

/* engine_exec - become the engine: with -i the whole command line at
 * once, else -r with fds (control, certificate, key, ticket or -1) put on
 * the numbers tlsdsetup.h gives; returns only on failure (logged) */
static void engine_exec(char **argv, const int *fds)
{
	static const int to[4] = { TLSD_ENGINE_CTLFD, TLSD_ENGINE_CERTFD, TLSD_ENGINE_KEYFD,
				   TLSD_ENGINE_TICKETFD };
	char *rargv[] = { (char *)TLSD_ENGINE, (char *)"-r", 0 };
	int high[4];
	size_t i;

	if (fds) {
		/* above every target first, so that no dup2 overwrites a source */
		for (i = 0; i < 4; i++) {
			high[i] = fds[i] == -1 ? -1 : fcntl(fds[i], F_DUPFD_CLOEXEC, FD_SPARE);
			if (fds[i] != -1 && high[i] == -1) {
				log_warn("cannot move a descriptor for the engine");
				return;
			}
		}
		for (i = 0; i < 4; i++) {
			(void)close(to[i]);
			if (high[i] != -1 && dup2(high[i], to[i]) == -1) {
				log_warn("cannot move a descriptor for the engine");
				return;
			}
		}
		argv = rargv;
	}
	execve(engine.s, argv, environ);
	log_warn("cannot run ", engine.s, " (kurier-tlsd-ssl must be installed beside kurier-tlsd)");
}

/* wait_server - stay out of the data path while the session is
 * plaintext: the server has the client socket and we wait only for its
 * "S" or its end.  1 the server asked for TLS, 0 the session is over */
static int wait_server(const struct tlsd_server *s)
{
	struct pollfd p[2];
	int ctl = s->ctl, e, np;
	ssize_t r;
	char c;

	for (;;) {
		np = 0;
		if (ctl >= 0) {
			p[np].fd = ctl;
			p[np++].events = POLLIN;
		}
		p[np].fd = s->pidfd;
		p[np++].events = POLLIN;
		/* no timeout: the server keeps its own, and nothing passes here */
		do
			e = poll(p, (nfds_t)np, -1);
		while (e == -1 && errno == EINTR);
		if (e == -1)
			die(EX_T_TEMP, "poll failed");
		if (ctl >= 0 && p[0].revents) {
			r = read(ctl, &c, 1);
			if (r == 1)
				/* "S" is the only word a server may say; anything else
				 * means it is not itself: end the connection */
				return c == 'S';
			if (r == 0 || (errno != EAGAIN && errno != EINTR))
				ctl = -1;	/* the server will not ask any more */
			continue;
		}
		if (p[np - 1].revents)
			return 0;	/* the server has ended */
	}
}

int main(int argc, char **argv)
{
	struct tlsd_server srv;
	int fds[4];

	log_prog("kurier-tlsd");
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && !strcmp(argv[1], "-i")) {
		if (argc < 3)
			usage();
		engine_find();
		/* the engine does all of it, as root, as tcpserver started us */
		argv[0] = (char *)TLSD_ENGINE;
		engine_exec(argv, 0);
		_exit(EX_T_TEMP);
	}
	if (argc > 1 && !strcmp(argv[1], "--")) {
		argv++;
		argc--;
	}
	if (argc < 2 || argv[1][0] == '-')
		usage();
	/* a bad setting ends the connection before the server greets */
	(void)tlsd_seconds("KURIER_TLSTIMEOUT", TLSD_HANDSHAKE_TIMEOUT);
	(void)tlsd_seconds("KURIER_TLSIDLE", TLSD_IDLE_TIMEOUT);
	engine_find();
	/* opened first (close-on-exec): without them nothing is served, and
	 * the server, which has the client socket itself, must not greet */
	fds[1] = tlsd_pem_open("tlscert.pem");
	fds[2] = tlsd_pem_open("tlskey.pem");
	tlsd_server_start(argv + 1, 0, &srv);
	fds[0] = srv.ctl;
	fds[3] = tlsd_ticket_open();
	/* the filter as filter-gen front built it */
	tlsd_confine(tlsd_front_bpf_ALLOW, tlsd_front_bpf, sizeof tlsd_front_bpf);
	/* _exit: nothing is buffered (log lines are written whole), and in a
	 * sanitizer build the leak checker's exit-time thread, which the
	 * filter may let start, would only fail on the ptrace it needs */
	if (!wait_server(&srv))
		_exit(0);
	engine_exec(0, fds);
	_exit(0);	/* the server gets no "Y" and ends the session */
}
