/*
 * tlsctl - a protocol server's side of kurier-tlsd's control descriptor
 * (KURIER_TLSFD), shared by kurier-smtpd and the login servers.  While
 * the session is plaintext the server has the client socket itself on
 * fd 0/1 and kurier-tlsd moves no bytes.  On STARTTLS/STLS the server
 * checks that the client sent nothing after the command (tlsctl_pending),
 * sends its go-ahead, then tlsctl_start writes "S"; kurier-tlsd shakes
 * hands on the client socket and answers "Y" with the plaintext end of a
 * new socketpair attached (SCM_RIGHTS), which replaces fds 0 and 1.
 * tlsctl_sendfds, a byte with descriptors attached, also carries
 * kurier-smtpd's requests to its monitor.
 */
#ifndef KURIER_TLSCTL_H
#define KURIER_TLSCTL_H

#include <stddef.h>

/* tlsctl_pending - bytes waiting unread on fd (FIONREAD); 0 none, >0 some, -1 error */
int tlsctl_pending(int fd);
/* tlsctl_start - "S" on ctl, then wait for "Y" and the plaintext
 * descriptor and put it on fds 0 and 1; 1 TLS is up, 0 failed (the
 * handshake failed or kurier-tlsd has gone: end the session) */
int tlsctl_start(int ctl);
/* tlsctl_recv - one byte from sock into *c and the descriptor attached to
 * it into *fd (close-on-exec; -1 when none came); 1 ok, 0 end of file,
 * -1 error (EBADMSG: more than one descriptor, or a cut message) */
int tlsctl_recv(int sock, char *c, int *fd);
/* tlsctl_send - the byte c with the descriptor fd attached, on sock; 1 ok, -1 error */
int tlsctl_send(int sock, char c, int fd);
/* the most descriptors one message carries: kurier-smtpd's monitor
 * request passes two (the message and envelope pipes) */
#define TLSCTL_FDS_MAX 2
/* tlsctl_sendfds - the byte c with n descriptors fds attached (none when
 * n is 0), on sock; 1 ok, -1 error (EINVAL: n over TLSCTL_FDS_MAX) */
int tlsctl_sendfds(int sock, char c, const int *fds, size_t n);

#endif
