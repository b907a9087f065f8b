/*
 * dns.c - MX, A and AAAA lookups through c-ares; see dns.h.
 * runs as:  kurierr, inside kurier-remote and kurier-rspawn's children
 * trusts:   answers only as far as c-ares checks them; names are copied
 *           with their length bounded and are never handed to a shell
 */
#include <arpa/inet.h>
#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include "control.h"
#include "dns.h"

static ares_channel chan;
static int ready;

/* a query in flight and what became of it */
struct query {
	int done;
	int status;		/* ARES_* */
	int type;		/* 1 A, 28 AAAA, 15 MX */
	struct mxset *mx;
	struct addrset *addrs;
	int added;		/* records added */
};

/* serverlist - control/dnsserver as c-ares's "ip:port" list into csv;
 * 1 some, 0 none (use resolv.conf), -1 bad line (err) */
static int serverlist(struct str *csv, struct str *err)
{
	struct str list = STR_INIT;
	size_t p = 0;
	unsigned n = 0;
	int r = control_readlist(&list, "dnsserver");

	if (r <= 0) {
		str_free(&list);
		if (r < 0)
			(void)str_copys(err, "cannot read control/dnsserver");
		return r;
	}
	csv->len = 0;
	while (p < list.len) {
		char *l = list.s + p, *comma;
		size_t len = strlen(l);
		int fam;

		p += len + 1;
		if (++n > DNS_SERVERS_MAX)
			break;
		comma = strrchr(l, ',');
		if (comma)
			*comma = 0;
		fam = 0;
		{
			unsigned char a[16];
			if (inet_pton(AF_INET, l, a) == 1)
				fam = 4;
			else if (inet_pton(AF_INET6, l, a) == 1)
				fam = 6;
		}
		if (!fam) {
			str_free(&list);
			(void)str_copys(err, "control/dnsserver: not an IP address: ");
			(void)str_cats(err, l);
			return -1;
		}
		if (csv->len && !str_append(csv, ','))
			goto nomem;
		if (fam == 6 ? !str_cats(csv, "[") || !str_cats(csv, l) || !str_cats(csv, "]")
			     : !str_cats(csv, l))
			goto nomem;
		if (comma) {
			const char *q = comma + 1;
			size_t k;
			for (k = 0; q[k]; k++)
				if (q[k] < '0' || q[k] > '9' || k > 5)
					break;
			if (!k || q[k]) {
				str_free(&list);
				(void)str_copys(err, "control/dnsserver: bad port");
				return -1;
			}
			if (!str_cats(csv, ":") || !str_cats(csv, q))
				goto nomem;
		}
	}
	str_free(&list);
	return csv->len ? 1 : 0;
nomem:
	str_free(&list);
	(void)str_copys(err, "out of memory");
	return -1;
}

int dns_init(struct str *err)
{
	struct ares_options o;
	struct str csv = STR_INIT;
	int r;

	if (ready)
		return 1;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		(void)str_copys(err, "cannot start c-ares");
		return -1;
	}
	memset(&o, 0, sizeof o);
	o.timeout = DNS_TIMEOUT_MS;
	o.tries = DNS_TRIES;
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS;
	o.ednspsz = 1232;	/* the DNS flag day 2020 size: no IP fragments */
	r = ares_init_options(&chan, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ);
	if (r != ARES_SUCCESS) {
		(void)str_copys(err, "cannot set up c-ares: ");
		(void)str_cats(err, ares_strerror(r));
		return -1;
	}
	r = serverlist(&csv, err);
	if (r < 0) {
		str_free(&csv);
		ares_destroy(chan);
		return -1;
	}
	if (r > 0 && ares_set_servers_ports_csv(chan, csv.s) != ARES_SUCCESS) {
		str_free(&csv);
		ares_destroy(chan);
		(void)str_copys(err, "control/dnsserver: c-ares refused the list");
		return -1;
	}
	str_free(&csv);
	ready = 1;
	return 1;
}

void dns_done(void)
{
	if (ready) {
		ares_destroy(chan);
		ares_library_cleanup();
		ready = 0;
	}
}

/* answer - the c-ares callback: parse the records the query asked for */
static void answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;

	(void)timeouts;
	q->done = 1;
	q->status = status;
	if (status != ARES_SUCCESS)
		return;
	if (q->type == 15) {
		struct ares_mx_reply *list = 0, *m;
		q->status = ares_parse_mx_reply(abuf, alen, &list);
		for (m = list; m && q->status == ARES_SUCCESS; m = m->next) {
			struct mx *x;
			size_t len = strlen(m->host);
			if (q->mx->n >= DNS_MX_MAX)
				break;
			x = &q->mx->mx[q->mx->n];
			if (len > DNS_NAME_MAX)
				continue;	/* cannot come from the wire; be sure */
			memcpy(x->name, m->host, len + 1);
			if (!strcmp(x->name, "."))
				x->name[0] = 0;
			x->pref = m->priority;
			q->mx->n++;
			q->added++;
		}
		if (list)
			ares_free_data(list);
	} else if (q->type == 1) {
		struct ares_addrttl a[DNS_ADDR_MAX];
		int n = DNS_ADDR_MAX, i;
		q->status = ares_parse_a_reply(abuf, alen, 0, a, &n);
		for (i = 0; q->status == ARES_SUCCESS && i < n && q->addrs->n < DNS_ADDR_MAX; i++) {
			struct addr *x = &q->addrs->a[q->addrs->n++];
			x->family = AF_INET;
			memcpy(x->a, &a[i].ipaddr, 4);
			q->added++;
		}
	} else {
		struct ares_addr6ttl a[DNS_ADDR_MAX];
		int n = DNS_ADDR_MAX, i;
		q->status = ares_parse_aaaa_reply(abuf, alen, 0, a, &n);
		for (i = 0; q->status == ARES_SUCCESS && i < n && q->addrs->n < DNS_ADDR_MAX; i++) {
			struct addr *x = &q->addrs->a[q->addrs->n++];
			x->family = AF_INET6;
			memcpy(x->a, &a[i].ip6addr, 16);
			q->added++;
		}
	}
}

/* wait_all - run c-ares until every query in q[0..n) is done */
static void wait_all(struct query *q, int n)
{
	for (;;) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd p[ARES_GETSOCK_MAXNUM];
		struct timeval tv, *tvp;
		int i, np = 0, bits, ms, pending = 0;

		for (i = 0; i < n; i++)
			pending |= !q[i].done;
		if (!pending)
			return;
		bits = ares_getsock(chan, socks, ARES_GETSOCK_MAXNUM);
		for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = 0;
			/* c-ares's own macros shift a signed 1 into the sign bit */
			if ((unsigned)bits & (1u << i))
				ev |= POLLIN;
			if ((unsigned)bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
				ev |= POLLOUT;
			if (!ev)
				continue;
			p[np].fd = socks[i];
			p[np].events = ev;
			p[np].revents = 0;
			np++;
		}
		tvp = ares_timeout(chan, 0, &tv);
		ms = tvp ? (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) : DNS_TIMEOUT_MS;
		if (poll(p, (nfds_t)np, ms) <= 0) {
			ares_process_fd(chan, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < np; i++) {
			if (!p[i].revents)
				continue;
			ares_process_fd(chan,
			    p[i].revents & (POLLIN | POLLERR | POLLHUP) ? p[i].fd : ARES_SOCKET_BAD,
			    p[i].revents & POLLOUT ? p[i].fd : ARES_SOCKET_BAD);
		}
	}
}

/* verdict - a query's status as DNS_*, with the reason for failures */
static int verdict(const struct query *q, const char *what, const char *name, struct str *err)
{
	switch (q->status) {
	case ARES_SUCCESS:
		return q->added ? DNS_OK : DNS_NODATA;
	case ARES_ENODATA:
		return DNS_NODATA;
	case ARES_ENOTFOUND:
		return DNS_NXDOMAIN;
	}
	err->len = 0;
	(void)str_cats(err, "DNS ");
	(void)str_cats(err, what);
	(void)str_cats(err, " lookup of ");
	(void)str_cats(err, name);
	(void)str_cats(err, " failed: ");
	(void)str_cats(err, ares_strerror(q->status));
	return DNS_TEMP;
}

int dns_mx(const char *domain, struct mxset *out, struct str *err)
{
	struct query q = { 0, 0, 15, out, 0, 0 };

	out->n = 0;
	ares_query(chan, domain, 1 /* C_IN */, 15 /* T_MX */, answer, &q);
	wait_all(&q, 1);
	return verdict(&q, "MX", domain, err);
}

int dns_ip(const char *host, struct addrset *out, struct str *err)
{
	struct addrset v4;
	struct query q[2] = { { 0, 0, 28, 0, out, 0 }, { 0, 0, 1, 0, &v4, 0 } };
	int r6, r4;
	unsigned i;

	out->n = 0;
	v4.n = 0;
	ares_query(chan, host, 1, 28 /* T_AAAA */, answer, &q[0]);
	ares_query(chan, host, 1, 1 /* T_A */, answer, &q[1]);
	wait_all(q, 2);
	for (i = 0; i < v4.n && out->n < DNS_ADDR_MAX; i++)
		out->a[out->n++] = v4.a[i];
	r6 = verdict(&q[0], "AAAA", host, err);
	r4 = verdict(&q[1], "A", host, err);
	if (r6 == DNS_OK || r4 == DNS_OK)
		return DNS_OK;
	if (r6 == DNS_TEMP || r4 == DNS_TEMP)
		return DNS_TEMP;
	if (r6 == DNS_NXDOMAIN || r4 == DNS_NXDOMAIN)
		return DNS_NXDOMAIN;
	return DNS_NODATA;
}

int dns_fmt(struct str *out, const struct addr *a)
{
	char t[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family, a->a, t, sizeof t))
		return str_cats(out, "?");
	return str_cats(out, t);
}
