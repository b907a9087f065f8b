/*
 * smtpclient - one SMTP client connection: connect with a timeout, send
 * commands through a buffer, read replies with a deadline, and switch to
 * TLS (OpenSSL) after STARTTLS.  The conversation itself (what to send
 * when) is remote.c's; this file only moves bytes safely.
 */
#ifndef KURIER_SMTPCLIENT_H
#define KURIER_SMTPCLIENT_H

#include <openssl/ssl.h>
#include "buf.h"
#include "dns.h"
#include "remotereply.h"
#include "str.h"

struct smtp {
	int fd;
	SSL *ssl;		/* set once TLS is up */
	struct buf in, out;
	char inspace[BUF_SIZE], outspace[BUF_SIZE];
	struct str line;	/* the reply line being read */
	long long deadline;	/* monotonic ms by which the current I/O must end */
	int timeout;		/* seconds granted to each write */
	struct str err;		/* why the last call failed */
};

/* smtp_connect - TCP connection to a:port within timeout seconds; 1 ok, -1 (c->err) */
int smtp_connect(struct smtp *c, const struct addr *a, unsigned port, int timeout);
/* smtp_reply - read one whole reply within timeout seconds, passing each
 * line to ehlo_line when e is set; 1 ok, -1 I/O error, timeout or
 * malformed reply (c->err) */
int smtp_reply(struct smtp *c, struct reply *r, struct ehlo *e, int timeout);
/* smtp_put - queue bytes to send; 1 ok, -1 (c->err) */
int smtp_put(struct smtp *c, const char *s, size_t n);
/* smtp_puts - queue a C string; 1 ok, -1 */
int smtp_puts(struct smtp *c, const char *s);
/* smtp_flush - send everything queued within timeout seconds; 1 ok, -1 */
int smtp_flush(struct smtp *c, int timeout);
/* smtp_pending - 1 if the server has sent bytes we have not read yet */
int smtp_pending(struct smtp *c);
/* smtp_tls - TLS handshake over the connection; name is for SNI and, with
 * verify, the certificate's name check; 1 ok, -1 (c->err) */
int smtp_tls(struct smtp *c, SSL_CTX *ctx, const char *name, int verify, int timeout);
/* smtp_close - drop the connection (no QUIT) */
void smtp_close(struct smtp *c);

#endif
