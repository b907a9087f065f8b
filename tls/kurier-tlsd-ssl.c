/*
 * kurier-tlsd-ssl - the TLS engine of kurier-tlsd (OpenSSL): shakes hands
 * with the client and relays plaintext to the protocol server,
 * ciphertext to the client.  kurier-tlsd, the front, executes it: at once
 * with -i (implicit TLS, ports 465, 993, 995), and with -r in its own
 * process when a plaintext session's server asks for TLS (STARTTLS,
 * STLS), so that a session that stays in plaintext never loads OpenSSL.
 * runs as:  -i: root under tcpserver, just long enough to start the
 *           server and read the certificate and key files; then kuriert
 *           in its sandbox.  -r: kuriert already (the front dropped to it),
 *           in its sandbox before the first byte from the client.
 * input:    the client on fd 0/1.  -i: control/tlscert.pem,
 *           control/tlskey.pem and control/tlsticketkey under conf-home
 *           (or KURIER_HOME).  -r: the server's control socket on fd 3,
 *           the certificate and key files open on fds 4 and 5, the ticket
 *           secret's file on fd 6 when there is one (tlsdsetup.h).
 * trusts:   root's environment and conf-home; nothing from the client and
 *           nothing from the server but the one-byte control protocol.
 * exit:     0 when the connection ends, however it ends; 100 (EX_T_USAGE)
 *           bad usage; 111 (EX_T_TEMP) cannot start: no certificate, no
 *           key, no memory, the sandbox failed.
 *
 * With -i the server is started (posix_spawn) before the key is read and
 * executes at once, so no byte of the key ever exists in a process that
 * parses SMTP, IMAP or POP3; the handshake comes first and the server
 * gets KURIER_TLS=1.
 *
 * With -r the server has the client socket itself on fd 0/1.  It checked
 * that the client sent nothing after the command (its buffer and FIONREAD
 * on the socket: the client has not seen the go-ahead yet, so nothing
 * there can be a ClientHello), sent its go-ahead and wrote "S", which
 * the front read.  We shake hands on the client socket (bytes the client
 * sent after the server's check are read as TLS and fail it, so nothing
 * sent before the handshake is ever answered inside it, SECURITY.md 15),
 * then answer "Y" with the plaintext end of a new socketpair attached
 * (SCM_RIGHTS), which the server puts on fd 0/1, and relay from then on.
 * Cost per connection: one exec (of this program), for TLS sessions only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>
#include "exitcode.h"
#include "log.h"
#include "str.h"
#include "tlsctl.h"
#include "tlsdsetup.h"
#include "tls/tlsd-bpf.h"

#define TLSD_RECORD         16384	/* RFC 8446 §5.1: the largest TLS plaintext record */
#define TLSD_TICKET_PERIOD  43200	/* seconds a ticket key encrypts; accepted one period longer */
#define TLSD_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"	/* TLS 1.2: forward secrecy and AEAD only */
#define TLSD_PEM_MAX (1024 * 1024)	/* a certificate chain or key file; real ones are a few KB */

/* a ticket key derived for one period: RFC 5077 §4's key name, AES and HMAC keys */
struct tkey {
	unsigned char name[16], aes[32], mac[32];
};

static SSL_CTX *ctx;
static SSL *ssl;
static int tls;				/* 1 once the handshake is done */
static int child = -1, ctl = -1;	/* our ends of the socketpairs */
static struct str remote;
static struct tkey tkeys[2];		/* this period's and the previous one's */
static int tkeys_ok;
static struct str certpem, keypem;	/* the PEM files, read as root, parsed on demand */
static unsigned char tsecret[TLSD_TICKET_SECRET];	/* control/tlsticketkey */
static int have_secret;

/* usage - complain about the command line and leave */
static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	diex(EX_T_USAGE, "usage: kurier-tlsd-ssl -i server [arg...] | kurier-tlsd-ssl -r");
}

/* die_ssl - log OpenSSL's first error after what, and leave with code */
static void die_ssl(int code, const char *what) __attribute__((noreturn));
static void die_ssl(int code, const char *what)
{
	char e[256];

	ERR_error_string_n(ERR_get_error(), e, sizeof e);
	diex(code, what, ": ", e);
}

/* nonblock - make fd non-blocking; leaves on failure */
static void nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		die(EX_T_TEMP, "cannot make a descriptor non-blocking");
}

/* pem_read - the whole PEM file open on fd into out, while we are root;
 * sized from fstat first, so no copy of the bytes is left behind by a
 * growing buffer; closes fd; leaves on failure */
static void pem_read(struct str *out, int fd, const char *name)
{
	struct stat st;
	ssize_t r;

	if (fstat(fd, &st) == -1)
		die(EX_T_TEMP, "cannot load control/", name);
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > TLSD_PEM_MAX)
		diex(EX_T_TEMP, "cannot load control/", name, ": not a file of 1 to 1048576 bytes");
	if (!str_readyplus(out, (size_t)st.st_size))
		tlsd_die_nomem();
	out->len = 0;
	while (out->len < (size_t)st.st_size) {
		r = read(fd, out->s + out->len, (size_t)st.st_size - out->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die(EX_T_TEMP, "cannot load control/", name);
		if (r == 0)
			break;	/* it shrank meanwhile: what there is */
		out->len += (size_t)r;
	}
	close(fd);
}

/* tkey_derive - the ticket keys of period p from the secret */
static void tkey_derive(struct tkey *k, const unsigned char *secret, unsigned long long p)
{
	static const char *const label[3] = { "kurier ticket name", "kurier ticket aes", "kurier ticket mac" };
	unsigned char msg[64], out[EVP_MAX_MD_SIZE];
	unsigned char *dst[3] = { k->name, k->aes, k->mac };
	size_t len[3] = { sizeof k->name, sizeof k->aes, sizeof k->mac };
	unsigned int n, i, j;

	for (i = 0; i < 3; i++) {
		size_t l = strlen(label[i]);
		memcpy(msg, label[i], l);
		for (j = 0; j < 8; j++)
			msg[l + j] = (unsigned char)(p >> (8 * j));
		if (!HMAC(EVP_sha256(), secret, TLSD_TICKET_SECRET, msg, l + 8, out, &n) || n < len[i])
			die_ssl(EX_T_TEMP, "cannot derive the ticket keys");
		memcpy(dst[i], out, len[i]);
	}
	OPENSSL_cleanse(out, sizeof out);
}

/* ticket_cb - encrypt a new session ticket or find the key of one the client shows;
 * 1 ok, 2 ok but renew it, 0 unknown key, -1 error (SSL_CTX_set_tlsext_ticket_key_evp_cb) */
static int ticket_cb(SSL *s, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *c,
    EVP_MAC_CTX *h, int enc)
{
	OSSL_PARAM p[3];
	const struct tkey *k = 0;
	int r = 1;

	(void)s;
	if (!tkeys_ok)
		return enc ? -1 : 0;
	if (enc) {
		k = &tkeys[0];
		memcpy(name, k->name, sizeof k->name);
		if (RAND_bytes(iv, 16) != 1 || !EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), 0, k->aes, iv))
			return -1;
	} else {
		if (!memcmp(name, tkeys[0].name, 16))
			k = &tkeys[0];
		else if (!memcmp(name, tkeys[1].name, 16)) {
			k = &tkeys[1];
			r = 2;
		} else
			return 0;
		if (!EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), 0, k->aes, iv))
			return -1;
	}
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->mac, sizeof k->mac);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	p[2] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(h, p))
		return -1;
	return r;
}

/* key_parse - the private key from the PEM bytes in keypem, or 0.
 * OpenSSL's generic PEM reader tries every key decoder it has, about
 * 0.2 ms a handshake; when the PEM label or the PKCS#8 algorithm says the
 * key is RSA or EC, the DER is decoded as that type alone.  Anything else
 * (an encrypted key, another type or label) goes the generic way.  The
 * decoded DER is wiped (PEM_FLAG_SECURE buffers are cleared when freed). */
static EVP_PKEY *key_parse(void)
{
	char *name = 0, *header = 0;
	unsigned char *der = 0;
	const unsigned char *q;
	long len = 0;
	int type = EVP_PKEY_NONE;
	EVP_PKEY *key = 0;
	BIO *bio;

	bio = BIO_new_mem_buf(keypem.s, (int)keypem.len);
	if (!bio)
		return 0;
	if (PEM_read_bio_ex(bio, &name, &header, &der, &len, PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE) == 1 &&
	    header && !*header) {
		if (!strcmp(name, "PRIVATE KEY")) {
			PKCS8_PRIV_KEY_INFO *p8;
			const ASN1_OBJECT *o;
			q = der;
			p8 = d2i_PKCS8_PRIV_KEY_INFO(0, &q, len);	/* its free wipes the key bytes */
			if (p8 && PKCS8_pkey_get0(&o, 0, 0, 0, p8))
				type = OBJ_obj2nid(o);
			PKCS8_PRIV_KEY_INFO_free(p8);
		} else if (!strcmp(name, "RSA PRIVATE KEY")) {
			type = EVP_PKEY_RSA;
		} else if (!strcmp(name, "EC PRIVATE KEY")) {
			type = EVP_PKEY_EC;
		}
		if (type == EVP_PKEY_RSA || type == EVP_PKEY_EC) {
			q = der;
			key = d2i_PrivateKey(type, 0, &q, len);
		}
	}
	OPENSSL_secure_free(name);
	OPENSSL_secure_free(header);
	OPENSSL_secure_clear_free(der, (size_t)(len > 0 ? len : 0));
	if (!key) {
		ERR_clear_error();
		(void)BIO_reset(bio);
		key = PEM_read_bio_PrivateKey(bio, 0, 0, 0);
	}
	BIO_free(bio);
	return key;
}

/* tls_setup - the context from the PEM bytes read at start: versions,
 * ciphers, certificate chain, key, tickets; then the session.  Run only
 * when a handshake is wanted, so a plaintext session never spends the
 * time; the key's PEM bytes are wiped once parsed.  Leaves (111) when the
 * files do not parse or do not match. */
static void tls_setup(void)
{
	unsigned long long period = (unsigned long long)time(0) / TLSD_TICKET_PERIOD;
	BIO *bio = 0;
	X509 *x = 0;
	EVP_PKEY *key = 0;
	const char *what;

	/* no openssl.cnf: every setting is made here, and parsing it costs
	 * time on every connection.  No legacy name tables of every cipher
	 * and digest either (about 0.25 ms): libssl fetches what it uses from
	 * the provider, the ticket callback names its algorithms itself, and
	 * only an encrypted PEM key, which we cannot read anyway (no
	 * passphrase), would look a cipher up by name. */
	what = "cannot initialize OpenSSL";
	if (!OPENSSL_init_crypto(OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS |
	    OPENSSL_INIT_NO_LOAD_CONFIG, 0) ||
	    !OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CONFIG, 0))
		goto fail;
	what = "cannot create the TLS context";
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		goto fail;
	/* RFC 8996: TLS 1.0 and 1.1 are gone */
	what = "cannot set the TLS versions and ciphers";
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, TLSD_CIPHERS))
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

	/* the chain: the server's certificate first, then its issuers */
	what = "cannot load control/tlscert.pem";
	bio = BIO_new_mem_buf(certpem.s, (int)certpem.len);
	if (!bio || !(x = PEM_read_bio_X509_AUX(bio, 0, 0, 0)) || SSL_CTX_use_certificate(ctx, x) != 1)
		goto fail;
	X509_free(x);
	while ((x = PEM_read_bio_X509(bio, 0, 0, 0)))
		if (!SSL_CTX_add0_chain_cert(ctx, x))
			goto fail;
	/* the end of the file is the one error expected here */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
		goto fail;
	ERR_clear_error();
	BIO_free(bio);
	bio = 0;

	what = "cannot load control/tlskey.pem";
	if (!(key = key_parse()) || SSL_CTX_use_PrivateKey(ctx, key) != 1)
		goto fail;
	EVP_PKEY_free(key);
	key = 0;
	str_wipe(&keypem);
	what = "control/tlskey.pem does not match control/tlscert.pem";
	if (SSL_CTX_check_private_key(ctx) != 1)
		goto fail;

	/* resumption across processes: every tlsd derives the same ticket keys
	 * from one secret, a fresh pair each period; no server-side cache */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_timeout(ctx, TLSD_TICKET_PERIOD);
	if (have_secret) {
		tkey_derive(&tkeys[0], tsecret, period);
		tkey_derive(&tkeys[1], tsecret, period - 1);
		tkeys_ok = 1;
		OPENSSL_cleanse(tsecret, sizeof tsecret);
	}
	what = "cannot set the ticket callback";
	if (!SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb))
		goto fail;
	if (!tkeys_ok)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	what = "cannot create the TLS session";
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_rfd(ssl, 0) || !SSL_set_wfd(ssl, 1))
		goto fail;
	return;
fail:
	X509_free(x);
	EVP_PKEY_free(key);
	BIO_free(bio);
	str_wipe(&keypem);
	die_ssl(EX_T_TEMP, what);
}

/* confine - become kuriert (with -i; with -r we are already) in the
 * engine's sandbox: the filter as filter-gen built it, stacked on the
 * front's when there is one */
static void confine(void)
{
	tlsd_confine(tlsd_bpf_ALLOW, tlsd_bpf, sizeof tlsd_bpf);
}

/* wait_fd - poll one descriptor until deadline; 1 ready, 0 timed out */
static int wait_fd(int fd, short ev, time_t deadline)
{
	struct pollfd p;
	time_t now = time(0);
	int r;

	if (now >= deadline)
		return 0;
	p.fd = fd;
	p.events = ev;
	do
		r = poll(&p, 1, (int)(deadline - now) * 1000);
	while (r == -1 && errno == EINTR);
	return r > 0;
}

/* nodelay - send each TLS record at once (TCP_NODELAY), never held back
 * by Nagle's algorithm until the client acknowledges the one before.
 * After the handshake a TLS 1.3 server sends its session ticket and then,
 * once the client has spoken, the reply: held back behind the
 * unacknowledged ticket, the reply waited for the client's delayed-ACK
 * timer, 40 ms, whenever the client sent its first command at once
 * (TCP_NODELAY on its side).  Each record goes out in one write anyway,
 * so this adds no packets.  A client descriptor that is not TCP ignores
 * it. */
static void nodelay(void)
{
	int one = 1;

	(void)setsockopt(0, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* handshake - run the server side of the handshake until deadline; 1 done, 0 failed */
static int handshake(int seconds)
{
	time_t deadline = time(0) + seconds;
	int r, e;

	nodelay();
	for (;;) {
		r = SSL_accept(ssl);
		if (r == 1)
			break;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ) {
			if (!wait_fd(0, POLLIN, deadline))
				goto timeout;
		} else if (e == SSL_ERROR_WANT_WRITE) {
			if (!wait_fd(1, POLLOUT, deadline))
				goto timeout;
		} else {
			char msg[256];
			ERR_error_string_n(ERR_get_error(), msg, sizeof msg);
			log_info("handshake failed: ", remote.s, ": ", msg);
			return 0;
		}
	}
	tls = 1;
	log_info("tls: ", remote.s, " ", SSL_get_version(ssl), " ", SSL_get_cipher_name(ssl),
	    SSL_session_reused(ssl) ? " resumed" : " new");
	return 1;
timeout:
	log_info("handshake timeout: ", remote.s);
	return 0;
}

/* quickack - acknowledge what the client sent at once, not after the
 * kernel's delayed-ACK timer.  A client whose TCP waits for the ACK of its
 * last full segment before it sends a short one (Nagle's algorithm) would
 * otherwise stall up to 40 ms in every message larger than a segment: 100
 * KiB over TLS went at about 35 messages a second instead of 400.  The
 * kernel leaves quick-ACK mode on its own, so it is set after each read
 * of client bytes; a client descriptor that is not TCP turns it off. */
static void quickack(void)
{
	static int off;
	int one = 1;

	if (!off && setsockopt(0, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one) == -1)
		off = 1;
}

/* net_read - client bytes into b; >0 count, 0 end, -1 would block (*want set), -2 error */
static ssize_t net_read(char *b, size_t n, short *want)
{
	ssize_t r;
	int e;

	if (!tls) {
		r = read(0, b, n);
		if (r > 0)
			quickack();
		if (r >= 0)
			return r;
		if (errno == EAGAIN || errno == EINTR) {
			*want = POLLIN;
			return -1;
		}
		return -2;
	}
	e = SSL_read(ssl, b, (int)n);
	if (e > 0) {
		quickack();
		return e;
	}
	switch (SSL_get_error(ssl, e)) {
	case SSL_ERROR_WANT_READ: *want = POLLIN; return -1;
	case SSL_ERROR_WANT_WRITE: *want = POLLOUT; return -1;
	case SSL_ERROR_ZERO_RETURN: return 0;
	}
	return -2;
}

/* net_write - b to the client; >0 count, -1 would block (*want set), -2 error */
static ssize_t net_write(const char *b, size_t n, short *want)
{
	ssize_t r;
	int e;

	if (!tls) {
		r = write(1, b, n);
		if (r > 0)
			return r;
		if (r == -1 && (errno == EAGAIN || errno == EINTR)) {
			*want = POLLOUT;
			return -1;
		}
		return -2;
	}
	e = SSL_write(ssl, b, (int)n);
	if (e > 0)
		return e;
	switch (SSL_get_error(ssl, e)) {
	case SSL_ERROR_WANT_READ: *want = POLLIN; return -1;
	case SSL_ERROR_WANT_WRITE: *want = POLLOUT; return -1;
	}
	return -2;
}

/* relay - move bytes both ways until the server is done or the client gone */
static void relay(int idle)
{
	static char n2c[TLSD_RECORD], c2n[TLSD_RECORD];
	size_t n2clen = 0, c2nlen = 0;
	int net_eof = 0, child_eof = 0;
	ssize_t r;

	for (;;) {
		struct pollfd p[3];
		short rwant = 0, wwant = 0, cwant = 0;
		int progress = 0, np = 0, e;

		if (!net_eof && !n2clen) {
			r = net_read(n2c, sizeof n2c, &rwant);
			if (r > 0) {
				n2clen = (size_t)r;
				progress = 1;
			} else if (r == 0 || r == -2) {
				/* the client is gone: the server reads its end, finishes, closes */
				net_eof = 1;
				(void)shutdown(child, SHUT_WR);
				progress = 1;
			}
		}
		if (n2clen) {
			r = write(child, n2c, n2clen);
			if (r > 0) {
				memmove(n2c, n2c + r, n2clen - (size_t)r);
				n2clen -= (size_t)r;
				progress = 1;
			} else if (r == -1 && (errno == EAGAIN || errno == EINTR)) {
				cwant |= POLLOUT;
			} else {
				return;	/* the server has gone */
			}
		}
		if (!child_eof && !c2nlen) {
			r = read(child, c2n, sizeof c2n);
			if (r > 0) {
				c2nlen = (size_t)r;
				progress = 1;
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				child_eof = 1;
				progress = 1;
			} else {
				cwant |= POLLIN;
			}
		}
		if (c2nlen) {
			r = net_write(c2n, c2nlen, &wwant);
			if (r > 0) {
				memmove(c2n, c2n + r, c2nlen - (size_t)r);
				c2nlen -= (size_t)r;
				progress = 1;
			} else if (r == -2) {
				return;	/* the client cannot take more */
			}
		}
		if (child_eof && !c2nlen) {
			if (tls)
				(void)SSL_shutdown(ssl);
			return;
		}
		if (progress)
			continue;
		if (rwant || wwant) {
			/* the TLS engine and the plain socket: fd 0 reads, fd 1 writes */
			short ev = (short)(rwant | wwant);
			if (ev & POLLIN) {
				p[np].fd = 0;
				p[np++].events = POLLIN;
			}
			if (ev & POLLOUT) {
				p[np].fd = 1;
				p[np++].events = POLLOUT;
			}
		}
		if (cwant) {
			p[np].fd = child;
			p[np++].events = cwant;
		}
		do
			e = poll(p, (nfds_t)np, idle * 1000);
		while (e == -1 && errno == EINTR);
		if (e == 0) {
			log_info("timeout: ", remote.s);
			return;
		}
		if (e == -1)
			die(EX_T_TEMP, "poll failed");
	}
}

/* handover - the server asked for the handshake (it has sent its go-ahead
 * and checked that the client sent nothing after the command): shake
 * hands on the client socket, then give the server the plaintext end of
 * a new socketpair with "Y"; 1 TLS is up, 0 close the connection */
static int handover(int hs)
{
	int sp[2];

	/* the server waits on the control descriptor now and no longer
	 * touches the socket: non-blocking is safe on the shared file */
	nonblock(0);
	nonblock(1);
	tls_setup();
	if (!handshake(hs))
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("cannot create a socketpair");
		return 0;
	}
	if (tlsctl_send(ctl, 'Y', sp[1]) != 1) {
		close(sp[0]);
		close(sp[1]);
		return 0;
	}
	close(sp[1]);
	close(ctl);
	ctl = -1;
	child = sp[0];
	nonblock(child);
	return 1;
}

/* resume - -r: the front has read the server's "S" and executed us with
 * its descriptors (tlsdsetup.h); we are kuriert in the front's sandbox
 * already.  1 TLS is up (relay from now on), 0 the session is over */
static int resume(int hs)
{
	int tfd = TLSD_ENGINE_TICKETFD;

	pem_read(&certpem, TLSD_ENGINE_CERTFD, "tlscert.pem");
	pem_read(&keypem, TLSD_ENGINE_KEYFD, "tlskey.pem");
	if (fcntl(tfd, F_GETFD) == -1)
		tfd = -1;	/* the front had no ticket secret */
	have_secret = tlsd_ticket_read(tfd, tsecret);
	confine();
	ctl = TLSD_ENGINE_CTLFD;
	nonblock(ctl);
	return handover(hs);
}

int main(int argc, char **argv)
{
	struct tlsd_server srv;
	int hs, idle, certfd, keyfd;
	const char *v;

	/* not dumpable before the key is read: an execve by a process that
	 * keeps its ids (the front's, -r) makes it dumpable again, and then
	 * any process of kuriert's could read our memory (ptrace,
	 * /proc/PID/mem); dropping from root (-i) clears it anyway */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		die(EX_T_TEMP, "cannot make myself undumpable");
	/* the logs and the operator know one program, kurier-tlsd */
	log_prog("kurier-tlsd");
	signal(SIGPIPE, SIG_IGN);
	hs = tlsd_seconds("KURIER_TLSTIMEOUT", TLSD_HANDSHAKE_TIMEOUT);
	idle = tlsd_seconds("KURIER_TLSIDLE", TLSD_IDLE_TIMEOUT);
	v = getenv("TCPREMOTEIP");
	if (!log_safe(&remote, v && *v ? v : "unknown", strlen(v && *v ? v : "unknown")) || !str_0(&remote))
		tlsd_die_nomem();
	if (argc == 2 && !strcmp(argv[1], "-r")) {
		if (!resume(hs))
			return 0;
		relay(idle);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "-i"))
		usage();
	argv++;
	if (!strcmp(argv[1], "--"))
		argv++;
	if (!argv[1] || argv[1][0] == '-')
		usage();
	/* opened first (close-on-exec): without them nothing is served */
	certfd = tlsd_pem_open("tlscert.pem");
	keyfd = tlsd_pem_open("tlskey.pem");
	/* then the server: it must never see the key, not even in a copy of our memory */
	tlsd_server_start(argv + 1, 1, &srv);
	child = srv.child;
	/* read as root, parsed in tls_setup */
	pem_read(&certpem, certfd, "tlscert.pem");
	pem_read(&keypem, keyfd, "tlskey.pem");
	have_secret = tlsd_ticket_read(tlsd_ticket_open(), tsecret);
	confine();
	nonblock(0);
	nonblock(1);
	nonblock(child);
	tls_setup();
	if (!handshake(hs))
		return 0;
	relay(idle);
	return 0;
}
