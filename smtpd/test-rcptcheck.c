/* test-rcptcheck - accepted domains and recipient existence against a
 * private conf-home built here: locals with wildcard and exception,
 * hosted domains (with an alias domain), backup MX, aliases, userdb and
 * a passwd file (DESIGN.md "Where an address goes"). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cdbx.h"
#include "rcptcheck.h"
#include "test.h"

static char dir[] = "/tmp/kurier-test-rcpt.XXXXXX";

/* put - write a text file under dir */
static void put(const char *name, const char *text)
{
	struct str p = STR_INIT;
	int fd;

	str_copys(&p, dir); str_cats(&p, "/"); str_cats(&p, name);
	fd = open(p.s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
	str_free(&p);
}

/* cdb - write a cdb of NUL-separated key/value pairs ending in an empty key */
static void cdb(const char *name, const char *const *kv)
{
	struct cdbx_make mk;
	struct str p = STR_INIT;

	str_copys(&p, dir); str_cats(&p, "/"); str_cats(&p, name);
	if (cdbx_make_start(&mk, p.s, 0644) == 1) {
		for (; kv[0]; kv += 2)
			cdbx_make_add(&mk, kv[0], strlen(kv[0]), kv[1], strlen(kv[1]));
		cdbx_make_finish(&mk);
	}
	str_free(&p);
}

static const char *const hosted[] = { "hosted.example", "", "alias.example", "hosted.example", 0 };
static const char *const accept[] = { "backup.example", "", 0 };
static const char *const aliases[] = { "info@example.org", "x", "sales", "y", "@catch.example", "z", 0 };
static const char *const users[] = { "alice@hosted.example", "uid=1|gid=1|home=/h", 0 };

static const struct { const char *addr; int r; } table[] = {
	{ "root@example.org", RCPT_OK },
	{ "ROOT@EXAMPLE.ORG", RCPT_OK },
	{ "root-ext-more@example.org", RCPT_OK },
	{ "rootless@example.org", RCPT_UNKNOWN },
	{ "nosuch@example.org", RCPT_UNKNOWN },
	{ "-@example.org", RCPT_UNKNOWN },
	{ "postmaster@example.org", RCPT_OK },
	{ "postmaster", RCPT_OK },
	{ "info@example.org", RCPT_OK },
	{ "sales@example.org", RCPT_OK },
	{ "anyone@catch.example", RCPT_FOREIGN },
	{ "root@mail.sub.example.org", RCPT_OK },
	{ "root@sub.example.org", RCPT_FOREIGN },
	{ "root@bad.sub.example.org", RCPT_FOREIGN },
	{ "alice@hosted.example", RCPT_OK },
	{ "Alice@Hosted.Example", RCPT_OK },
	{ "alice@alias.example", RCPT_OK },
	{ "bob@hosted.example", RCPT_UNKNOWN },
	{ "anything@backup.example", RCPT_OK },
	{ "someone@elsewhere.net", RCPT_FOREIGN },
	{ "root@[127.0.0.1]", RCPT_OK },
	{ "root@[10.0.0.1]", RCPT_FOREIGN },
	{ "@relay.example", RCPT_FOREIGN },
};

int main(void)
{
	struct rcptcheck rc;
	struct str p = STR_INIT;
	size_t i;

	if (!mkdtemp(dir))
		return 1;
	str_copys(&p, dir); str_cats(&p, "/control"); mkdir(p.s, 0755);
	str_copys(&p, dir); str_cats(&p, "/users"); mkdir(p.s, 0755);
	put("control/me", "me.example\n");
	put("control/locals", "# ours\nexample.org\n.sub.example.org\n!bad.sub.example.org\n");
	put("passwd", "root:x:0:0::/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\n");
	cdb("control/hosteddomains.cdb", hosted);
	cdb("control/esmtpacceptmailfor.cdb", accept);
	cdb("control/aliases.cdb", aliases);
	cdb("users/userdb.cdb", users);
	str_copys(&p, dir); str_cats(&p, "/passwd");
	rc.home = dir;
	rc.localip = "127.0.0.1";
	rc.passwd = p.s;
	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		CHECK(rcpt_check(&rc, table[i].addr, strlen(table[i].addr)) == table[i].r, table[i].addr);
	CHECK(rcpt_domain(&rc, "hosted.example", 14) == DOM_HOSTED, "domain hosted");
	CHECK(rcpt_domain(&rc, "backup.example", 14) == DOM_ACCEPT, "domain backup mx");
	CHECK(rcpt_domain(&rc, "me.example", 10) == DOM_FOREIGN, "me not local when locals exists");
	put("control/locals", "");
	str_copys(&p, dir); str_cats(&p, "/control/locals"); unlink(p.s);
	CHECK(rcpt_domain(&rc, "ME.example", 10) == DOM_LOCAL, "no locals: me is local");
	CHECK(rcpt_domain(&rc, "example.org", 11) == DOM_FOREIGN, "no locals: nothing else");
	str_copys(&p, dir); str_cats(&p, "/control/aliases.cdb"); unlink(p.s); mkdir(p.s, 0755);
	CHECK(rcpt_check(&rc, "x@me.example", 12) == RCPT_TEMP, "unreadable aliases: temporary");
	rmdir(p.s);
	str_copys(&p, "rm -rf "); str_cats(&p, dir);
	(void)!system(p.s);
	str_free(&p);
	return test_done();
}
