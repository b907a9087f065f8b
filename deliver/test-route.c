/*
 * test-route - table-driven tests of the esmtproutes parser and lookup.
 */
#include <stdio.h>
#include <string.h>
#include "route.h"
#include "test.h"

static const char routes[] =
	"# routes for the test\n"
	"\n"
	"example.com: relay.example.net,2525\n"
	".example.com: [192.0.2.1]\n"
	".deep.example.com: [2001:db8::1],26 /tls=verify\n"
	"plain.example.org:\n"
	"port.example.org: ,2526 /tls=must\n"
	"opts.example.org: /tls=none\n"
	"  Upper.Example.Org :x.example.net\n"
	": smart.example.net,587 /tls=must\n";

struct rcase {
	const char *name;
	const char *domain;
	int found;
	unsigned long line;
	const char *relay;
	int literal;
	unsigned port;
	int tls;
};

static const struct rcase cases[] = {
	{ "exact", "example.com", 1, 3, "relay.example.net", 0, 2525, ROUTE_TLS_TRY },
	{ "exact-case", "EXAMPLE.Com", 1, 3, "relay.example.net", 0, 2525, ROUTE_TLS_TRY },
	{ "exact-final-dot", "example.com.", 1, 3, "relay.example.net", 0, 2525, ROUTE_TLS_TRY },
	{ "wildcard", "a.example.com", 1, 4, "192.0.2.1", 4, 0, ROUTE_TLS_TRY },
	{ "wildcard-deeper", "x.y.example.com", 1, 4, "192.0.2.1", 4, 0, ROUTE_TLS_TRY },
	{ "longest-wildcard", "a.deep.example.com", 1, 5, "2001:db8::1", 6, 26, ROUTE_TLS_VERIFY },
	{ "wildcard-label-boundary", "notexample.com", 1, 10, "smart.example.net", 0, 587, ROUTE_TLS_MUST },
	{ "empty-relay", "plain.example.org", 1, 6, "", 0, 0, ROUTE_TLS_TRY },
	{ "port-only", "port.example.org", 1, 7, "", 0, 2526, ROUTE_TLS_MUST },
	{ "options-only", "opts.example.org", 1, 8, "", 0, 0, ROUTE_TLS_NONE },
	{ "spaces-and-case", "upper.example.org", 1, 9, "x.example.net", 0, 0, ROUTE_TLS_TRY },
	{ "smarthost", "other.net", 1, 10, "smart.example.net", 0, 587, ROUTE_TLS_MUST },
};

struct bcase {
	const char *name;
	const char *text;
	const char *err;
};

static const struct bcase bad[] = {
	{ "no-colon", "a.com relay\n", "esmtproutes line 1: space inside the domain" },
	{ "no-colon-at-all", "a.com\n", "esmtproutes line 1: no colon after the domain" },
	{ "bad-char", "a;b.com: x\n", "esmtproutes line 1: bad character in the domain" },
	{ "bad-relay", "a.com: x`id`\n", "esmtproutes line 1: bad character in the relay host" },
	{ "bad-port", "a.com: x,0\n", "esmtproutes line 1: port is not a number from 1 to 65535" },
	{ "big-port", "a.com: x,65536\n", "esmtproutes line 1: port is not a number from 1 to 65535" },
	{ "no-bracket", "a.com: [1.2.3.4\n", "esmtproutes line 1: no ] after the address" },
	{ "not-ip", "a.com: [host]\n", "esmtproutes line 1: not an IP address inside [ ]" },
	{ "unknown-option", "a.com: x /tls=maybe\n", "esmtproutes line 1: unknown option" },
	{ "junk", "a.com: x y\n", "esmtproutes line 1: junk after the relay (options start with /)" },
	{ "dup-exact", "# c\na.com: x\na.com: y\n", "esmtproutes line 3: a second line for this domain" },
	{ "dup-default", ": x\n: y\n", "esmtproutes line 2: a second line for the empty domain" },
	{ "dup-wild", ".com: x\n.com: y\n", "esmtproutes line 2: a second line for this wildcard" },
	{ "lone-dot", ".: x\n", "esmtproutes line 1: domain ends with a dot" },
	{ "final-dot", "a.com.: x\n", "esmtproutes line 1: domain ends with a dot" },
};

int main(void)
{
	size_t i;
	char name[128];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct rcase *c = &cases[i];
		struct route r = { 0, 0, STR_INIT, STR_INIT, 0, 0, 0 };
		struct str err = STR_INIT;
		int rc = route_find(routes, sizeof routes - 1, c->domain, &r, &err);

		snprintf(name, sizeof name, "route-%s", c->name);
		CHECK(rc == 1 && r.found == c->found && r.line == c->line && r.literal == c->literal &&
		      r.port == c->port && r.tls == c->tls && r.relay.len == strlen(c->relay) &&
		      (!r.relay.len || !memcmp(r.relay.s, c->relay, r.relay.len)), name);
		route_free(&r);
		str_free(&err);
	}
	{
		struct route r = { 0, 0, STR_INIT, STR_INIT, 0, 0, 0 };
		struct str err = STR_INIT;
		const char *t = "a.com: x\n";
		CHECK(route_find(t, strlen(t), "b.com", &r, &err) == 1 && !r.found, "route-no-match");
		CHECK(route_find("", 0, "b.com", &r, &err) == 1 && !r.found, "route-empty-file");
		CHECK(route_find("a.com: x", 8, "a.com", &r, &err) == 1 && r.found, "route-no-final-newline");
		CHECK(route_find("a.com: x\0\n", 10, "a.com", &r, &err) == -1, "route-nul");
		route_free(&r);
		str_free(&err);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const struct bcase *c = &bad[i];
		struct route r = { 0, 0, STR_INIT, STR_INIT, 0, 0, 0 };
		struct str err = STR_INIT;
		int rc = route_find(c->text, strlen(c->text), "a.com", &r, &err);

		snprintf(name, sizeof name, "route-bad-%s", c->name);
		CHECK(rc == -1 && !r.found && err.len == strlen(c->err) && !memcmp(err.s, c->err, err.len), name);
		if (!(rc == -1 && err.len == strlen(c->err) && !memcmp(err.s, c->err, err.len)))
			printf("# got %d %.*s\n", rc, (int)err.len, err.s ? err.s : "");
		route_free(&r);
		str_free(&err);
	}
	CHECK(route_ip("192.0.2.1") == 4 && route_ip("::1") == 6 && route_ip("1.2.3") == 0 &&
	      route_ip("mx.example.com") == 0 && route_ip("1.2.3.4.") == 0, "route-ip");
	return test_done();
}
