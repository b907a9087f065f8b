#!/bin/bash
# 81-imap-security - the SECURITY.md cases 26-31 against kurier-imap-login
# and kurier-imapd behind the real checkpw chain: announced literal sizes
# before login ({4294967296}, {18446744073709551616}, {10000000}) get BAD
# without a continuation and an oversized {N+} closes the connection; NUL
# and a trailing backslash in quoted strings; 100,000 nested parentheses;
# 1:4294967295, 0 and BODY[]<4294967295.4294967295>; SEARCH with 10,000
# nested OR terms and with 10,000 flat keys; hostile mailbox names; three
# bad commands before login and twenty after; both timeouts.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/imapd/e2e-common.sh"

if [ "$imap_ready" != 1 ]; then skip imap-security "no ${imap_missing:-userdb} in the test instance"; exit 0; fi
imap_start plain AUTH_PLAINTEXT_OK=1 || notok plain-listens
imap_start short AUTH_PLAINTEXT_OK=1 KURIER_IMAP_TIMEOUT_LOGIN=2 KURIER_IMAP_TIMEOUT=2 || notok short-listens
printf 'Subject: one\n\nbody\n' | deliver
printf 'Subject: two\n\nbody\n' | deliver

python3 - "$PORT_plain" "$PORT_short" <<'PY'
import socket, sys, time
plain, short = int(sys.argv[1]), int(sys.argv[2])
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
class C:
    def __init__(self, port, login=False):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = self.s.makefile("rb")
        self.greeting = self.f.readline()
        if login:
            r = self.cmd(b'L LOGIN test@imap.example Sesame-9')
            assert r[-1].startswith(b"L OK"), r
    def send(self, b):
        self.s.sendall(b)
    def line(self):
        return self.f.readline()
    def cmd(self, b, tag=None):
        tag = tag or b.split(b" ")[0]
        self.send(b + b"\r\n")
        out = []
        while True:
            l = self.f.readline()
            out.append(l)
            if not l or l.startswith(tag + b" ") or l.startswith(b"* BYE"):
                return out
    def rest(self, wait=3):
        self.s.settimeout(wait)
        got = b""
        try:
            while True:
                b = self.f.readline()
                if not b:
                    break
                got += b
        except (socket.timeout, ConnectionResetError):
            pass
        return got

# SECURITY 26: literal sizes before login
for name, lit in (("4294967296", b"{4294967296}"), ("2^64", b"{18446744073709551616}"), ("10000000", b"{10000000}")):
    c = C(plain)
    r = c.cmd(b"a LOGIN " + lit)
    ok("literal-%s-bad-no-plus" % name, r and r[0].startswith(b"a BAD") and not any(l.startswith(b"+") for l in r), r)
    r = c.cmd(b"b NOOP")
    ok("literal-%s-session-goes-on" % name, r[-1].startswith(b"b OK"), r)
c = C(plain)
c.send(b"a LOGIN {5000+}\r\n" + b"x" * 5000 + b"\r\n")
got = c.rest()
ok("nonsync-literal-closes", b"BYE" in got and b"a OK" not in got, got)
c = C(plain)
c.send(b"a LOGIN {4}\r\n")
r = c.line()
ok("small-literal-continuation", r.startswith(b"+"), r)
# SECURITY 27: NUL and backslash in quoted strings
c = C(plain)
r = c.cmd(b'a LOGIN "te\0st" "x"')
ok("nul-in-quoted-bad", r[-1].startswith(b"a BAD"), r)
r = c.cmd(b'b LOGIN "test\\')
ok("backslash-at-end-bad", r[-1].startswith(b"b BAD"), r)
# SECURITY 31: the third bad command before login ends the connection
r = c.cmd(b"c FOO")
r2 = c.rest(3)
ok("third-bad-before-login-bye", r[-1].startswith(b"c BAD") and r2.startswith(b"* BYE"), (r, r2))
c = C(short)
t0 = time.time()
got = c.rest(10)
ok("login-timeout", b"BYE" in got and time.time() - t0 < 8, (got, time.time() - t0))

c = C(plain, login=True)
r = c.cmd(b"s SELECT INBOX")
ok("select", r[-1].startswith(b"s OK"), r)
# SECURITY 28: deep nesting
t0 = time.time()
r = c.cmd(b"d FETCH 1 " + b"(" * 100000 + b"FLAGS" + b")" * 100000)
ok("nested-parens-bad", r[-1].startswith(b"d BAD") and time.time() - t0 < 2, r[-1][:80])
# SECURITY 29: sets and partials
r = c.cmd(b"e FETCH 1:4294967295 (FLAGS)")
ok("seq-huge-range-bad", r[-1].startswith(b"e BAD"), r)
r = c.cmd(b"e2 UID FETCH 1:4294967295 (FLAGS)")
ok("uid-huge-range-clamped", len(r) == 3 and r[-1].startswith(b"e2 OK"), r)
r = c.cmd(b"f FETCH 0 (FLAGS)")
ok("seq-zero-bad", r[-1].startswith(b"f BAD"), r)
r = c.cmd(b"g FETCH 1 BODY.PEEK[]<4294967295.4294967295>")
ok("partial-huge-empty", r[0].endswith(b"BODY[]<4294967295> {0}\r\n") and r[-1].startswith(b"g OK"), r)
r = c.cmd(b"g2 FETCH 1 BODY.PEEK[]<4294967296.1>")
ok("partial-overflow-bad", r[-1].startswith(b"g2 BAD"), r)
t0 = time.time()
r = c.cmd(b"h SEARCH " + b"OR " * 9999 + b"ALL " * 10000)
ok("search-10000-or-refused", r[-1].startswith(b"h BAD") and time.time() - t0 < 2, r[-1])
t0 = time.time()
r = c.cmd(b"i SEARCH " + b" ".join([b"ALL"] * 10000))
ok("search-10000-flat-keys", r[0] == b"* SEARCH 1 2\r\n" and r[-1].startswith(b"i OK") and time.time() - t0 < 2, r)
# SECURITY 30: mailbox names
for n, name in ((b"../x", "dotdot"), (b"/etc", "slash"), (b"INBOX/../x", "inbox-slash"), (b"INBOX..x", "empty-level"),
                (b"INBOX.&Jjo", "bad-utf7"), (b"INBOX.&AGE-", "utf7-ascii"), (b"INBOX." + b"x" * 10240, "10k")):
    r = c.cmd(b'k CREATE "' + n + b'"')
    r2 = c.cmd(b'k2 SELECT "' + n + b'"')
    ok("mailbox-%s-no" % name, r[-1].startswith(b"k NO") and r2[-1].startswith(b"k2 NO"), (r, r2))
c = C(plain, login=True)
# SECURITY 31: twenty bad commands after login
bye = False
for i in range(20):
    r = c.cmd(b"z%d BOGUS" % i)
    if i == 19:
        bye = c.rest(3).startswith(b"* BYE") and i
ok("twenty-bad-after-login-bye", bye == 19, bye)
c = C(short, login=True)
t0 = time.time()
got = c.rest(10)
ok("session-timeout", b"BYE" in got and time.time() - t0 < 8, got)
PY
