#!/bin/bash
# 70-pop3 - kurier-pop3-login and kurier-pop3d through a real tcpserver on
# 127.0.0.1, driven by Python's poplib and raw sockets: the greeting and
# CAPA, the plaintext policy, USER/PASS, AUTH PLAIN and CRAM-MD5, APOP
# (off by default, on with KURIER_POP3_APOP=1),
# every RFC 1939 command, UIDLs stable across sessions, flag changes and
# new/ -> cur/, DELE only at QUIT, arrivals during a session, the size
# cache, byte-stuffing and CRLF on the wire, the SECURITY.md 31/32 cases,
# commands sent ahead of the login reply, a killed kurier-pop3d, the
# Maildir++ quota file at QUIT, timeouts, and the session process's sandbox.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/pop3d/e2e-common.sh"

if [ ! -x "$LOGIN" ] || [ ! -x "$POP3D" ]; then notok pop3-built "no $LOGIN or $POP3D"; exit 0; fi

pop3_start plain AUTH_PLAINTEXT_OK=1 || notok plain-listens
pop3_start strict CHECKPW_LOG="$T/checkpw.log" || notok strict-listens
pop3_start short KURIER_POP3_TIMEOUT_LOGIN=2 KURIER_POP3_APOP=1 || notok short-listens
pop3_start idle AUTH_PLAINTEXT_OK=1 KURIER_POP3_TIMEOUT=2 || notok idle-listens
pop3_start apop KURIER_POP3_APOP=1 || notok apop-listens

# the messages: an ordinary one, one with bare LF line ends and dotted
# lines, one without a final newline, one with CRLF line ends
printf 'From: a@example.org\nSubject: first\n\nline one\nline two\nline three\n' >"$T/m1"
printf 'Subject: dots\n\n.\n..\n.leading dot\nmiddle . dot\n...\n' >"$T/m2"
printf 'Subject: no end\n\nlast line without newline' >"$T/m3"
printf 'Subject: crlf\r\n\r\nalready\r\ncrlf\r\n' >"$T/m4"
for i in 1 2 3 4; do deliver "$T/m$i" >"$T/u$i"; sleep 0.01; done

python3 - "$PORT_plain" "$PORT_strict" "$PORT_short" "$PORT_idle" "$PORT_apop" "$MD" "$T" <<'PY'
import base64, glob, hashlib, hmac, os, poplib, re, socket, sys, time
plain, strict, short, idle, apop = map(int, sys.argv[1:6])
MD, T = sys.argv[6], sys.argv[7]
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
def expect(name, fn, exc=poplib.error_proto):
    try:
        r = fn()
    except exc as e:
        ok(name, True)
        return e
    except Exception as e:
        ok(name, False, "%r" % e)
        return e
    ok(name, False, "no error: %r" % (r,))
def login(port=plain):
    p = poplib.POP3("127.0.0.1", port, timeout=20)
    p.user("test")
    p.pass_("secret")
    return p
def raw(port, data, wait=0.5, login=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.recv(1000)
    if login:
        f = s.makefile("rb")
        s.sendall(b"USER test\r\n")
        f.readline()
        s.sendall(b"PASS secret\r\n")
        r = f.readline()
        if not r.startswith(b"+OK"):
            return r
    got = b""
    try:
        s.sendall(data)
    except OSError:
        pass	# the server may hang up while we still send
    time.sleep(wait)
    s.settimeout(3)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return got
files = {}
for i in range(1, 5):
    files[i] = open(os.path.join(T, "m%d" % i), "rb").read()
uniq = {i: open(os.path.join(T, "u%d" % i)).read().strip() for i in range(1, 5)}
def uid_of(name):
    # RFC 1939 §7: at most 70 printable octets; longer names go as X + MD5
    if len(name) <= 70 and all(0x21 <= ord(c) <= 0x7e for c in name):
        return name
    return "X" + hashlib.md5(name.encode()).hexdigest()

# greeting, CAPA, plaintext policy
p = poplib.POP3("127.0.0.1", strict, timeout=20)
w = p.getwelcome()
ok("greeting-ok", w.startswith(b"+OK"), w)
# APOP is off by default: no timestamp, since no kurier helper checks APOP
ok("greeting-no-apop-timestamp", w.rstrip() == b"+OK kurier POP3 server ready", w)
caps = p.capa()
ok("capa-sasl-cram", caps.get("SASL") == ["CRAM-MD5"], caps)
ok("capa-no-user-without-tls", "USER" not in caps, caps)
ok("capa-uidl-top", "UIDL" in caps and "TOP" in caps, caps)
ok("capa-no-stls-without-tlsd", "STLS" not in caps, caps)
expect("user-refused-without-tls", lambda: p.user("test"))
expect("auth-plain-refused-without-tls", lambda: p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0test\0secret").decode()))
expect("stls-without-tlsd", lambda: p._shortcmd("STLS"))
p.close()

# APOP off (the default): refused before the chain runs, even with the
# right digest; the timestamp is the CRAM-MD5 challenge, so use that
open(os.path.join(T, "checkpw.log"), "w").close()
s = socket.create_connection(("127.0.0.1", strict), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"AUTH CRAM-MD5\r\n")
stamp = base64.b64decode(f.readline()[2:].strip())
s.sendall(b"*\r\n")
f.readline()
d = hashlib.md5(stamp + b"secret").hexdigest().encode()
s.sendall(b"APOP test " + d + b"\r\n")
r = f.readline()
ok("apop-off-refused", r.startswith(b"-ERR") and b"not enabled" in r, r)
s.close()
ok("apop-off-chain-not-run", "apop" not in open(os.path.join(T, "checkpw.log")).read(),
   open(os.path.join(T, "checkpw.log")).read())

# APOP on (KURIER_POP3_APOP=1): a fresh timestamp in every greeting, and
# the digest of timestamp + password logs in
p = poplib.POP3("127.0.0.1", apop, timeout=20)
w = p.getwelcome()
m = re.search(rb"^\+OK kurier POP3 server ready (<\d+\.\d+@pop3\.example>)$", w)
ok("apop-on-greeting-timestamp", m is not None, w)
r = p.apop("test", "secret")
ok("apop-login", r.startswith(b"+OK"), r)
ok("apop-stat", p.stat()[0] == 4, p.stat())
p.quit()
p = poplib.POP3("127.0.0.1", apop, timeout=20)
w2 = p.getwelcome()
ok("apop-timestamp-fresh", m is not None and m.group(1) not in w2, (w, w2))
expect("apop-wrong-password", lambda: p.apop("test", "wrong"))
p.close()

# CRAM-MD5 on the strict server (RFC 5034 with RFC 2195)
s = socket.create_connection(("127.0.0.1", strict), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"AUTH CRAM-MD5\r\n")
chal = f.readline()
ok("cram-challenge", chal.startswith(b"+ "), chal)
stamp = base64.b64decode(chal[2:].strip())
ok("cram-challenge-is-stamp", re.match(rb"<\d+\.\d+@pop3\.example>$", stamp) is not None, stamp)
d = hmac.new(b"secret", stamp, hashlib.md5).hexdigest()
s.sendall(base64.b64encode(b"test " + d.encode()) + b"\r\n")
r = f.readline()
ok("cram-login", r.startswith(b"+OK"), r)
s.sendall(b"STAT\r\n")
r = f.readline()
ok("cram-stat", r.startswith(b"+OK 4 "), r)
s.sendall(b"QUIT\r\n")
f.readline()
s.close()

# AUTH PLAIN with an initial response and without; a cancelled exchange
p = poplib.POP3("127.0.0.1", plain, timeout=20)
r = p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0test\0secret").decode())
ok("auth-plain-initial", r.startswith(b"+OK"), r)
p.quit()
s = socket.create_connection(("127.0.0.1", plain), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"AUTH PLAIN\r\n")
ok("auth-plain-continue", f.readline().startswith(b"+ "))
s.sendall(b"*\r\n")
ok("auth-cancel", f.readline().startswith(b"-ERR"))
s.sendall(b"AUTH PLAIN\r\n")
f.readline()
s.sendall(base64.b64encode(b"test\0test\0secret") + b"\r\n")
r = f.readline()
ok("auth-plain-authzid-same", r.startswith(b"+OK"), r)
s.close()

# AUTH input that must fail cleanly (SECURITY.md 10, for POP3)
for name, data in (("auth-b64-len-mod-4", b"AUTH PLAIN AHRlc3QAc2VjcmV\r\n"),
                   ("auth-b64-bad-char", b"AUTH PLAIN AHRlc3Q*c2VjcmV0\r\n"),
                   ("auth-b64-inner-pad", b"AUTH PLAIN AH=lc3QAc2VjcmV0\r\n"),
                   ("auth-plain-no-nul", b"AUTH PLAIN " + base64.b64encode(b"testsecret") + b"\r\n"),
                   ("auth-unknown-mech", b"AUTH FOO\r\n"),
                   ("auth-cram-initial-response", b"AUTH CRAM-MD5 abcd\r\n")):
    got = raw(plain, data)
    ok(name, got.startswith(b"-ERR") and b"+OK" not in got, got)
got = raw(plain, b"AUTH CRAM-MD5\r\n" + base64.b64encode(b"test-no-digest") + b"\r\n")
ok("auth-cram-malformed", got.startswith(b"+ ") and b"-ERR malformed CRAM-MD5" in got, got)
got = raw(plain, b"AUTH PLAIN\r\n" + b"A" * 10240 + b"\r\nCAPA\r\n")
ok("auth-10k-response", b"-ERR AUTH line too long" in got and b"capability" not in got, got[:200])

# the transaction state
p = login()
n, total = p.stat()
ok("stat-count", n == 4, n)
lst = p.list()[1]
sizes = {int(l.split()[0]): int(l.split()[1]) for l in lst}
ok("list-all", len(sizes) == 4, lst)
ok("stat-total-is-sum", total == sum(sizes.values()), (total, sizes))
uidl = {int(l.split()[0]): l.split()[1].decode() for l in p.uidl()[1]}
ok("uidl-is-unique-name", sorted(uidl.values()) == sorted(uid_of(u) for u in uniq.values()), (uidl, uniq))
num = {u: k for k, u in uidl.items()}
num.update({n: num[uid_of(n)] for n in uniq.values()})
ok("numbering-arrival-order", [num[uniq[i]] for i in range(1, 5)] == [1, 2, 3, 4], num)
ok("list-one", p.list(2).split()[2] == str(sizes[2]).encode())
ok("uidl-one", p.uidl(3).split()[2].decode() == uid_of(uniq[3]))
for i in range(1, 5):
    k = num[uniq[i]]
    resp, lines, octets = p.retr(k)
    want = files[i].replace(b"\r\n", b"\n").split(b"\n")
    if want and want[-1] == b"":
        want = want[:-1]
    ok("retr-content-%d" % i, lines == want, (lines, want))
    ok("retr-size-is-crlf-size-%d" % i, sizes[k] == sum(len(l) + 2 for l in want), (sizes[k], want))
resp, lines, _ = p.top(num[uniq[1]], 1)
ok("top-1", lines == [b"From: a@example.org", b"Subject: first", b"", b"line one"], lines)
resp, lines, _ = p.top(num[uniq[1]], 0)
ok("top-0", lines == [b"From: a@example.org", b"Subject: first", b""], lines)
ok("noop", p.noop().startswith(b"+OK"))
c2 = p.capa()
ok("capa-after-login", "UIDL" in c2 and "PIPELINING" in c2, c2)
expect("retr-0", lambda: p.retr(0))
expect("retr-5", lambda: p.retr(5))
expect("retr-2^64", lambda: p._shortcmd("RETR 18446744073709551616"))
expect("retr-2^32", lambda: p._shortcmd("RETR 4294967296"))
expect("top-minus-1", lambda: p._shortcmd("TOP 1 -1"))
expect("list-plus", lambda: p._shortcmd("LIST +1"))
expect("user-after-login", lambda: p.user("x"))
p.quit()

# raw bytes on the wire: dot-stuffing and CRLF
got = raw(plain, b"RETR %d\r\nRETR %d\r\nQUIT\r\n" % (num[uniq[2]], num[uniq[3]]), login=True)
body2 = b"Subject: dots\r\n\r\n..\r\n...\r\n..leading dot\r\nmiddle . dot\r\n....\r\n.\r\n"
ok("dot-stuffing-on-wire", body2 in got, got)
ok("no-bare-lf-on-wire", re.search(rb"[^\r]\n", got) is None, got)
ok("unended-line-gets-crlf", b"last line without newline\r\n.\r\n" in got, got)

# UIDLs: stable across sessions, across new/ -> cur/ and flag changes
ok("moved-to-cur", not os.listdir(os.path.join(MD, "new")) and len(os.listdir(os.path.join(MD, "cur"))) == 4,
   (os.listdir(os.path.join(MD, "new")), os.listdir(os.path.join(MD, "cur"))))
ok("cur-names-have-info", all(n.endswith(":2,") for n in os.listdir(os.path.join(MD, "cur"))))
c = os.path.join(MD, "cur", uniq[2] + ":2,")
os.rename(c, c + "S")	# another client marks it seen
p = login()
uidl2 = {int(l.split()[0]): l.split()[1].decode() for l in p.uidl()[1]}
ok("uidl-stable-across-sessions-and-flags", uidl2 == uidl, (uidl2, uidl))
# and a flag change during the session: RETR still finds the message
os.rename(c + "S", c + "RS")
resp, lines, _ = p.retr(num[uniq[2]])
ok("retr-after-rename-in-session", lines[0] == b"Subject: dots", lines)
p.quit()

# the size cache: written, used, and rebuilt when damaged
cache = os.path.join(MD, "kurier-pop3sizes")
ok("size-cache-written", os.path.exists(cache) and open(cache, "rb").read().startswith(b"Vkurier-pop3sizes 2\0"))
open(cache, "wb").write(b"Vkurier-pop3sizes 2\0U" + uniq[1].encode() + b"\0S999\0F:2,\0Ugarbage")
p = login()
l1 = p.list(num[uniq[1]]).split()[2]
ok("size-cache-is-used", l1 == b"999", l1)	# proves STAT/LIST do not read the files
p.quit()
open(cache, "wb").write(b"garbage")
p = login()
ok("size-cache-damaged-rebuilt", int(p.list(num[uniq[1]]).split()[2]) == sizes[1] and
   open(cache, "rb").read().startswith(b"Vkurier-pop3sizes 2\0"))
p.quit()

# DELE only at QUIT; RSET; a dropped connection deletes nothing
p = login()
p.dele(1)
ok("dele-hides-from-list", len(p.list()[1]) == 3)
expect("retr-deleted", lambda: p.retr(1))
expect("dele-twice", lambda: p.dele(1))
q = login()
ok("dele-not-before-quit", q.stat()[0] == 4, q.stat())
q.quit()
p.rset()
ok("rset-undeletes", p.stat()[0] == 4)
p.dele(1)
p.sock.close()	# no QUIT
time.sleep(0.5)
p = login()
ok("no-quit-no-delete", p.stat()[0] == 4)
p.dele(num[uniq[4]])
qf = os.path.join(MD, "maildirsize")
open(qf, "w").write("1000000S\n%d 4\n" % sum(len(files[i]) for i in range(1, 5)))
os.chown(qf, 65534, -1)	# the mailbox owner's, as a delivery leaves it
p.quit()
time.sleep(0.2)
left = [n.split(":")[0] for n in os.listdir(os.path.join(MD, "cur"))]
ok("dele-at-quit", uniq[4] not in left and len(left) == 3, left)
q = open(qf).read().splitlines()
ok("dele-updates-maildirsize", q[-1] == "-%d -1" % len(files[4]), q)
os.unlink(qf)

# arrivals during a session: numbering and counts unchanged
p = login()
n0 = p.stat()[0]
import subprocess
open(os.path.join(T, "late"), "wb").write(b"Subject: late\n\nlate\n")
new = subprocess.run(["python3", os.path.join(T, "deliver.py"), MD, os.path.join(T, "late")],
                     capture_output=True).stdout.decode().strip()
ok("late-delivered", os.path.exists(os.path.join(MD, "new", new)), new)
ok("arrival-not-in-session", p.stat()[0] == n0 and len(p.list()[1]) == n0)
expect("arrival-not-retrievable", lambda: p.retr(n0 + 1))
p.quit()
p = login()
ok("arrival-next-session", p.stat()[0] == n0 + 1 and p.uidl(n0 + 1).split()[2].decode() == uid_of(new))
p.quit()

# a settled cur/: the second login takes the list from the cache, lazily,
# and must give exactly what a full read gives
p = login()
full = (p.stat(), p.list()[1], p.uidl()[1], p.retr(2)[1])
p.quit()
old = time.time() - 100
os.utime(os.path.join(MD, "cur"), (old, old))
p = login(); p.quit()	# writes the listing with cur/'s settled mtime
ok("settled-listing-written", b"\0D" in open(cache, "rb").read()[:40])
p = login()
lazy = (p.stat(), p.list()[1], p.uidl()[1], p.retr(2)[1])
ok("settled-listing-same-answers", lazy == full, (lazy[:2], full[:2]))
p.dele(1)
p.quit()
p = login()
ok("settled-listing-dele-seen", p.stat()[0] == full[0][0] - 1, p.stat())
p.quit()

# kurier-pop3d killed mid-session: the connection ends; the login
# process must not take the connection back and answer on it.  Only this
# test's kurier-pop3d (TEST_MAILDIR=$MD in its environment) is killed:
# other runs of the suite may have sessions of their own.
import signal, subprocess
def mine(pid):
    try:
        return ("TEST_MAILDIR=" + MD).encode() in open("/proc/%s/environ" % pid.decode(), "rb").read().split(b"\0")
    except OSError:
        return False
p = login()
pids = [x for x in subprocess.run(["pgrep", "-u", "nobody", "-x", "kurier-pop3d"], capture_output=True).stdout.split() if mine(x)]
for pid in pids:
    os.kill(int(pid), signal.SIGKILL)
p.sock.settimeout(5)
try:
    rest = p.sock.recv(1000)
except (socket.timeout, ConnectionResetError) as e:
    rest = repr(e).encode()
ok("pop3d-killed-connection-ends", pids and rest == b"", (pids, rest))
p.close()

# wrong password: -ERR [AUTH], after a delay
p = poplib.POP3("127.0.0.1", plain, timeout=20)
p.user("test")
t0 = time.time()
e = expect("bad-password", lambda: p.pass_("wrong"))
ok("bad-password-auth-code", b"[AUTH]" in str(e).encode() or "[AUTH]" in str(e), e)
ok("bad-password-delayed", time.time() - t0 >= 0.9, time.time() - t0)
p.close()

# SECURITY.md 32: PASS before USER, 10 KB USER, root
p = poplib.POP3("127.0.0.1", plain, timeout=20)
expect("pass-before-user", lambda: p.pass_("secret"))
p.close()
got = raw(plain, b"USER " + b"x" * 10240 + b"\r\n")
ok("user-10k-refused", got.startswith(b"-ERR") and b"+OK" not in got, got[:200])
p = poplib.POP3("127.0.0.1", plain, timeout=20)
p.user("root")
expect("root-never-logs-in", lambda: p.pass_("rootpw"))
p.close()

# SECURITY.md 31: three bad commands before login, twenty after
got = raw(plain, b"FROB\r\nFROB\r\nFROB\r\nCAPA\r\n")
ok("three-bad-before-login-disconnect", got.count(b"-ERR") == 4 and b"too many" in got and b"capability" not in got, got)
got = raw(plain, b"FROB\r\n" * 20 + b"NOOP\r\n", wait=1, login=True)
ok("twenty-bad-after-login-disconnect", b"too many errors" in got and not got.rstrip().endswith(b"+OK"), got[-200:])
got = raw(plain, b"STAT\r\n")
ok("transaction-command-before-login", got.startswith(b"-ERR"), got)
got = raw(plain, b"USER a\0b\r\n")
ok("nul-in-command", got.startswith(b"-ERR"), got)

# commands sent ahead of the login reply: kurier-pop3d answers them after
# a good login, the login state after a bad one
got = raw(plain, b"USER test\r\nPASS secret\r\nSTAT\r\nUIDL 1\r\nQUIT\r\n")
ok("commands-ahead-of-login-answered", re.match(rb"\+OK send PASS\r\n\+OK \d+ messages .*\r\n\+OK \d+ \d+\r\n\+OK 1 \S+\r\n\+OK bye\r\n$", got) is not None, got)
got = raw(plain, b"USER test\r\nPASS wrong\r\nSTAT\r\nQUIT\r\n", wait=2)
ok("commands-ahead-of-failed-login", re.match(rb"\+OK send PASS\r\n-ERR \[AUTH\].*\r\n-ERR \[AUTH\] log in first\r\n\+OK bye\r\n$", got) is not None, got)

# a checkpw chain that hangs is killed after the login timeout (2 s here)
s = socket.create_connection(("127.0.0.1", short), timeout=20)
f = s.makefile("rb")
f.readline()
s.sendall(b"APOP slow 0123456789abcdef0123456789abcdef\r\n")
t0 = time.time()
r = f.readline()
ok("hanging-chain-killed", r.startswith(b"-ERR [SYS/TEMP]") and 1.5 < time.time() - t0 < 10, (r, time.time() - t0))
s.close()

# timeouts: before login (2 s here) and after (2 s here)
s = socket.create_connection(("127.0.0.1", short), timeout=10)
s.recv(1000)
t0 = time.time()
r = s.recv(1000)
ok("login-timeout", r.startswith(b"-ERR") and 1.5 < time.time() - t0 < 8, (r, time.time() - t0))
s.close()
p = login(idle)
t0 = time.time()
r = p.sock.recv(1000)
ok("idle-timeout", r.startswith(b"-ERR") and 1.5 < time.time() - t0 < 8, (r, time.time() - t0))
p.close()
PY
rc=$?
[ "$rc" = 0 ] || notok poplib-script "python exited $rc"

# the session process: kurierd, seccomp filter, no_new_privs
exec 3<>/dev/tcp/127.0.0.1/"$PORT_strict"
read -r -t 5 greet <&3
sp=
for p in $(pgrep -u kurierd -f kurier-pop3-login); do
	# this test's session process, not one of another run of the suite
	tr '\0' '\n' </proc/"$p"/environ 2>/dev/null | grep -qxF "KURIER_HOME=$T/home" && sp=$p
done
if [ -n "$sp" ] && grep -q '^Seccomp:[[:space:]]*2' /proc/"$sp"/status && grep -q '^NoNewPrivs:[[:space:]]*1' /proc/"$sp"/status; then
	ok session-process-sandboxed
else
	notok session-process-sandboxed "pid '$sp': $(grep -E 'Uid|Seccomp|NoNewPrivs' /proc/"$sp"/status 2>/dev/null | tr '\n' ' ')"
fi
exec 3<&-
if grep -q 'login failed: 127.0.0.1 login test' "$T/plain.log"; then ok failure-logged; else notok failure-logged "$(tail -3 "$T/plain.log")"; fi
