/*
 * dns - the lookups remote delivery needs (MX, A, AAAA) through c-ares.
 *
 * Why c-ares: it is a stub resolver, which is what a mail client wants
 * (the site's recursive resolver does the caching and, where it is set
 * up, DNSSEC validation); it is small (libunbound carries a whole
 * validating recursive resolver, ldns is a toolkit that leaves the
 * sending, retrying and timeouts to us); it asks for A and AAAA at the
 * same time; it takes a server list with ports, so the tests can point
 * it at a DNS server on loopback; and it parses MX, A and AAAA answers
 * with bounds checks of its own.
 *
 * Servers: control/dnsserver, one per line, "IP" or "IP,PORT" (IPv6 as
 * "::1,5353"); missing or empty means /etc/resolv.conf.
 */
#ifndef KURIER_DNS_H
#define KURIER_DNS_H

#include "str.h"

#define DNS_NAME_MAX 255	/* RFC 1035 §2.3.4: 255 octets for a name */
#define DNS_MX_MAX 32		/* MX records kept per domain; real domains have a few */
#define DNS_ADDR_MAX 16		/* addresses kept per host, IPv6 and IPv4 together */
#define DNS_SERVERS_MAX 8	/* lines read from control/dnsserver */
#define DNS_TIMEOUT_MS 5000	/* per try and server (resolv.conf's default timeout) */
#define DNS_TRIES 2		/* tries per server (resolv.conf's default attempts) */

enum { DNS_OK, DNS_NODATA, DNS_NXDOMAIN, DNS_TEMP };

struct mx {
	unsigned pref;
	char name[DNS_NAME_MAX + 1];	/* as c-ares expanded it; "" for "." */
};
struct mxset {
	unsigned n;
	struct mx mx[DNS_MX_MAX];
};

struct addr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char a[16];
};
struct addrset {
	unsigned n;
	struct addr a[DNS_ADDR_MAX];
};

/* dns_init - set up the resolver from control/dnsserver or resolv.conf;
 * 1 ok, -1 failure with the reason in err */
int dns_init(struct str *err);
/* dns_mx - MX records of domain; DNS_* (err says why for DNS_TEMP) */
int dns_mx(const char *domain, struct mxset *out, struct str *err);
/* dns_ip - AAAA and A records of host, IPv6 first; DNS_* */
int dns_ip(const char *host, struct addrset *out, struct str *err);
/* dns_fmt - an address in text form into out; 1 ok, 0 no memory */
int dns_fmt(struct str *out, const struct addr *a);
/* dns_done - release the resolver */
void dns_done(void);

#endif
