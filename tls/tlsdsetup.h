#ifndef KURIER_TLSDSETUP_H
#define KURIER_TLSDSETUP_H

#include <stddef.h>
#include "sandbox.h"

/* tlsdsetup - what both halves of kurier-tlsd do before any OpenSSL
 * work: the plaintext front (kurier-tlsd, no OpenSSL) and the TLS engine
 * (kurier-tlsd-ssl) share it, the one linked with musl, the other with
 * glibc and OpenSSL. */

#define TLSD_HANDSHAKE_TIMEOUT 60	/* seconds for a handshake: abandoned ones end here (SECURITY.md 17) */
#define TLSD_IDLE_TIMEOUT    1800	/* seconds without a byte either way; above every server's own timeout */
#define TLSD_TIMEOUT_MAX    86400	/* poll(2) takes int milliseconds */
#define TLSD_TICKET_SECRET     32	/* bytes of control/tlsticketkey */
/* the system-call groups of both halves' filters (lib/sandbox.h; the
 * extra calls are in filter.h) */
#define TLSD_SANDBOX_ALLOW SANDBOX_NET
/* the limits of both halves' sandbox: the front sets them, the engine
 * inherits them across execve, so they are the engine's */
#define TLSD_MEM_LIMIT  128000000ULL	/* RLIMIT_AS: OpenSSL and two record buffers fit easily */
#define TLSD_NOFILE            16	/* client, server, control, pidfd, stderr, the PEM files */
#define TLSD_CTLFD 3			/* the server's control descriptor (KURIER_TLSFD) */
#define TLSD_CTLFD_STR "3"
/* The descriptors the front hands the engine across execve, when the
 * server has asked for TLS: the server's control socket, the certificate
 * and key files (opened as root), the ticket secret's file (when there is
 * one); fds 0/1 stay the client socket. */
#define TLSD_ENGINE_CTLFD    3
#define TLSD_ENGINE_CERTFD   4
#define TLSD_ENGINE_KEYFD    5
#define TLSD_ENGINE_TICKETFD 6
#define TLSD_ENGINE "kurier-tlsd-ssl"	/* the engine's name, beside the front's own file */

/* the server the front or the engine started */
struct tlsd_server {
	int child;	/* with -i: our end of the server's plaintext socketpair */
	int ctl;	/* without -i: our end of the server's control socket */
	int pidfd;	/* without -i: readable once the server has ended */
};

/* tlsd_die_nomem - leave (111) when memory runs out */
void tlsd_die_nomem(void) __attribute__((noreturn));
/* tlsd_ctlpath - conf-home's (or KURIER_HOME's) control/name; leaves on no memory */
const char *tlsd_ctlpath(const char *name);
/* tlsd_seconds - a timeout from the environment variable var, or def;
 * 1..TLSD_TIMEOUT_MAX, leaves (100) on anything else */
int tlsd_seconds(const char *var, int def);
/* tlsd_pem_open - open control/name as root, close-on-exec; leaves (111) on failure */
int tlsd_pem_open(const char *name);
/* tlsd_server_start - spawn the protocol server argv: with implicit on
 * the plaintext end of a socketpair, else on the client socket (fds 0/1)
 * with a control descriptor; fills s; leaves (111) on failure */
void tlsd_server_start(char **argv, int implicit, struct tlsd_server *s);
/* tlsd_ticket_open - control/tlsticketkey opened for reading (created
 * with a random secret when missing), close-on-exec; the descriptor, or
 * -1 (logged: no session resumption) */
int tlsd_ticket_open(void);
/* tlsd_ticket_read - the secret from fd (closed after), 1 ok, 0 none
 * (fd -1, or a short file: logged) */
int tlsd_ticket_read(int fd, unsigned char secret[TLSD_TICKET_SECRET]);
/* tlsd_confine - become kuriert (when root), with the limits above,
 * no_new_privs and the filter prog of len bytes that filter-gen wrote for
 * the groups allow; leaves (111) on failure */
void tlsd_confine(unsigned allow, const unsigned char *prog, size_t len);

#endif
