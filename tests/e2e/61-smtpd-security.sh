#!/bin/bash
# 61-smtpd-security - the SMTP cases of SECURITY.md (1-14) against
# kurier-smtpd under a real tcpserver on 127.0.0.1: hostile addresses,
# CR/LF/NUL in parameters, over-long and endless lines, error limits,
# a flood of RCPTs, SMTP smuggling, pipelining, AUTH base64 edge cases,
# NUL bytes, format strings in logs, mail loops, size limits, MIME
# limits, RBLSMTPD/BLOCK and bofh, with memory checked while it runs.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/smtpd/e2e-common.sh"

if [ ! -x "$SMTPD" ]; then notok smtpd-built "no $SMTPD"; exit 0; fi
echo 200000 >"$H/control/sizelimit"
printf 'maxrcpts 50\nbadfrom spammer@bad.test\nbadfrom @worse.test\nspamtrap trap@example.org\n' >"$H/control/bofh"
printf '127.0.0.1:allow,RELAYCLIENT=""\n' | tcprules "$T/relay.cdb" "$T/relay.tmp"
H2=$T/home2
mkdir -p "$H2/control"
cp "$H/control/me" "$H/control/locals" "$H2/control/"
echo 1 >"$H2/control/timeoutsmtpd"

smtpd_start mx
smtpd_start relay -x "$T/relay.cdb"
smtpd_start auth -- AUTH_PLAINTEXT_OK=1
smtpd_start rbl -- "RBLSMTPD=-blocked: see example"
smtpd_start rbltemp -- "RBLSMTPD=try later"
smtpd_start block -- "BLOCK=go away"
smtpd_start slow -- KURIER_HOME="$H2"

python3 - "$Q" "$T" "$PORT_mx" "$PID_mx" "$PORT_relay" "$PORT_auth" "$PID_auth" \
	"$PORT_rbl" "$PORT_rbltemp" "$PORT_block" "$PORT_slow" <<'PY' || notok python-script "exited $?"
import base64, glob, os, socket, subprocess, sys, threading, time
Q, T = sys.argv[1], sys.argv[2]
mx, mxpid, relay, auth, authpid, rbl, rbltemp, block, slow = map(int, sys.argv[3:12])

def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %r" % (name, why)[:600]))
    sys.stdout.flush()
def queued():
    return sorted(glob.glob(os.path.join(Q, "*.msg")))
def clear():
    for f in glob.glob(os.path.join(Q, "*")):
        os.unlink(f)
def child_of(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        return int(out[-1]) if out else None
    except Exception:
        return None
def hwm_kb(pid):
    try:
        for l in open("/proc/%d/status" % pid):
            if l.startswith("VmHWM:"):
                return int(l.split()[1])
    except OSError:
        return None

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.settimeout(30)
        self.buf = b""
        self.greeting = self.reply()
    def send(self, b):
        self.s.sendall(b)
    def line(self):
        while b"\n" not in self.buf:
            b = self.s.recv(65536)
            if not b:
                r, self.buf = self.buf, b""
                return r
            self.buf += b
        l, self.buf = self.buf.split(b"\n", 1)
        return l + b"\n"
    def reply(self):
        out = b""
        while True:
            l = self.line()
            out += l
            if len(l) < 4 or l[3:4] != b"-":
                return out
    def cmd(self, b):
        self.send(b + b"\r\n")
        return self.reply()
    def rest(self):
        """everything until the server closes"""
        self.s.shutdown(socket.SHUT_WR)
        out = self.buf
        while True:
            try:
                b = self.s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            out += b
        self.s.close()
        return out

def talk(port, data):
    c = Conn(port)
    try:
        c.send(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return c.rest()

def begin(port=mx, rcpt=b"root@example.org"):
    c = Conn(port)
    c.cmd(b"EHLO client.test")
    c.cmd(b"MAIL FROM:<a@remote.test>")
    if rcpt:
        c.cmd(b"RCPT TO:<" + rcpt + b">")
    return c

# --- 1, 2, 3: hostile and odd addresses
c = Conn(mx)
c.cmd(b"EHLO client.test")
cases = [
    (b"MAIL FROM:<;sleep 5;>", b"501"),
    (b"MAIL FROM:<$(touch " + T.encode() + b"/pwned)@x.test>", b"501"),
    (b"MAIL FROM:<u@>", b"501"),
    (b"MAIL FROM:<@x.test>", b"501"),
    (b"MAIL FROM:<user>", b"501"),
    (b"MAIL FROM:<a@b.test", b"501"),
    (b"MAIL FROM:a@b.test", b"501"),
]
for cmd, want in cases:
    r = c.cmd(cmd)
    ok("sender-refused " + cmd.decode(), r.startswith(want), r)
# seven refusals count as errors but leave the session usable; the
# expansion syntax (no space: a space would end the path) is opaque bytes
ok("mail-after-refusals", c.cmd(b"MAIL FROM:<${run{/bin/touch${IFS}" + T.encode() + b"/pwned}}@x.test>").startswith(b"250"))
c.cmd(b"QUIT")
# a fresh session for the recipients, so the error limit (10) is not reached
c = Conn(mx)
c.cmd(b"EHLO client.test")
c.cmd(b"MAIL FROM:<a@remote.test>")
rc = [
    (b"<>", b"501 5.1.3"),
    (b"<\"\"@relay.example>", b"550 5.7.1"),
    (b"<@a.test,@b.test:u@c.test>", b"550 5.7.1"),
    (b"<@a.test,@b.test:root@example.org>", b"250"),
    (b"<u%v@w.test>", b"550 5.7.1"),
    (b"<root%remote.test@example.org>", b"550 5.1.1"),
    (b"<u@x.>", b"501"),
    (b"<u@[1.2.3.4]>", b"550 5.7.1"),
    (b"<root@[127.0.0.1]>", b"250"),
    (b"<\"|touch " + T.encode() + b"/pwned\"@example.org>", b"550 5.1.1"),
    (b"<`touch${IFS}" + T.encode() + b"/pwned`@example.org>", b"550 5.1.1"),
    (b"<`touch " + T.encode() + b"/pwned`@example.org>", b"501 5.1.3"),
    (b"<;sleep 5;@example.org>", b"501"),
    (b"<root@example.org> NOTIFY=NEVER", b"555"),
]
for addr, want in rc:
    r = c.cmd(b"RCPT TO:" + addr)
    ok("rcpt " + addr.decode(), r.startswith(want), r)
c.cmd(b"QUIT")
ok("no-shell-ran", not os.path.exists(os.path.join(T, "pwned")))

# the odd bytes survive only as opaque data in the envelope, through a relay
c = Conn(relay)
c.cmd(b"EHLO c")
c.cmd(b"MAIL FROM:<${run{x}}@x.test>")
c.cmd(b"RCPT TO:<\"|cmd arg\"@far.test>")
r = c.cmd(b"DATA")
r = c.cmd(b"x\r\n.")
q = queued()
ok("opaque-addresses-in-envelope", q and open(q[0][:-4] + ".env", "rb").read() == b"F${run{x}}@x.test\0T|cmd arg@far.test\0\0", q and open(q[0][:-4] + ".env", "rb").read())
clear()
c.cmd(b"QUIT")

# --- 4: CR, LF, NUL in ESMTP parameters
c = Conn(mx)
c.cmd(b"EHLO c")
ok("cr-in-param-501", c.cmd(b"MAIL FROM:<a@b.test> AUTH=x\rRCPT").startswith(b"501"))
ok("nul-in-param-501", c.cmd(b"MAIL FROM:<a@b.test> AUTH=x\0y").startswith(b"501"))
ok("tab-in-param-501", c.cmd(b"MAIL FROM:<a@b.test> AUTH=x\ty").startswith(b"501"))
r1 = c.cmd(b"MAIL FROM:<a@b.test> AUTH=x\nRCPT TO:<root@example.org>")
r2 = c.reply()
ok("lf-splits-commands", r1.startswith(b"250") and r2.startswith(b"250"), (r1, r2))
c.send(b"DATA\r\n"); c.reply()
c.cmd(b"y\r\n.")
q = queued()
ok("lf-no-record-injection", q and open(q[0][:-4] + ".env", "rb").read() == b"Fa@b.test\0Troot@example.org\0\0")
clear()
c.cmd(b"QUIT")

# --- 5: long and endless lines, error limit, flat memory
c = Conn(mx)
pid = child_of(mxpid)
ok("line-512-ok", c.cmd(b"NOOP " + b"x" * 505).startswith(b"250"))
ok("line-513-500", c.cmd(b"NOOP " + b"x" * 506).startswith(b"500"))
ok("line-64k-500", c.cmd(b"NOOP " + b"x" * 65536).startswith(b"500"))
ok("in-sync-after-long-lines", c.cmd(b"NOOP").startswith(b"250"))
h = hwm_kb(pid) if pid else None
ok("memory-flat-after-64k-line", h is not None and h < 16000, h)
c.cmd(b"QUIT")
c = Conn(mx)
def endless(conn):
    try:
        for i in range(2000):
            conn.s.sendall(b"x" * 8192)
    except OSError:
        pass
t = threading.Thread(target=endless, args=(c,))
t.start()
r = c.rest() if False else None
out = b""
while True:
    try:
        b = c.s.recv(65536)
    except (OSError, socket.timeout):
        break
    if not b:
        break
    out += b
t.join()
ok("endless-line-500-then-421", out.startswith(b"500 5.5.2") and b"421 4.7.0" in out, out[:200])
r = talk(mx, b"BOGUS\r\n" * 12)
ok("errors-disconnect", r.count(b"500 5.5.1") == 10 and r.endswith(b"421 4.7.0 too many errors, closing connection\r\n"), r[-200:])

# --- 6: a huge header line and endless continuations
c = begin()
pid = child_of(mxpid)
c.cmd(b"DATA")
c.send(b"X-Big: " + b"a" * (4 << 20) + b"\r\n\r\nbody\r\n.\r\n")
r = c.reply()
ok("huge-header-line-552", r.startswith(b"552"), r)
h = hwm_kb(pid) if pid else None
ok("memory-bounded-huge-header", h is not None and h < 16000, h)
c.cmd(b"MAIL FROM:<a@b.test>"); c.cmd(b"RCPT TO:<root@example.org>"); c.cmd(b"DATA")
c.send(b"X-Long: a\r\n" + b" b\r\n" * 300000 + b"\r\nbody\r\n.\r\n")
r = c.reply()
ok("continuation-flood-552", r.startswith(b"552"), r)
ok("nothing-queued-6", not queued())
c.cmd(b"QUIT")

# --- 7: a flood of pipelined RCPTs
c = begin(rcpt=None)
pid = child_of(mxpid)
N = 20000
c.send(b"RCPT TO:<root@example.org>\r\n" * N)
codes = {}
for i in range(N):
    r = c.reply()
    codes[r[:9]] = codes.get(r[:9], 0) + 1
ok("rcpt-flood-50-accepted", codes.get(b"250 2.1.5") == 50, codes)
ok("rcpt-flood-452-past-max", codes.get(b"452 4.5.3") == N - 50, codes)
h = hwm_kb(pid) if pid else None
ok("memory-flat-rcpt-flood", h is not None and h < 16000, h)
c.cmd(b"QUIT")

# --- 8: SMTP smuggling: only CRLF.CRLF ends DATA; one clean message afterwards
smuggles = {
    "lf-dot-lf": b"\n.\n", "lf-dot-crlf": b"\n.\r\n", "crlf-dot-lf": b"\r\n.\n",
    "cr-dot-crlf": b"\r.\r\n", "crlf-dot-cr": b"\r\n.\r",
}
for name, end in smuggles.items():
    clear()
    data = (b"EHLO c\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<root@example.org>\r\nDATA\r\n"
            b"Subject: one\r\n\r\nfirst" + end +
            b"MAIL FROM:<evil@remote.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n"
            b"MAIL FROM:<b@remote.test>\r\nRCPT TO:<root@example.org>\r\nDATA\r\nSubject: clean\r\n\r\nok\r\n.\r\nQUIT\r\n")
    r = talk(mx, data)
    q = queued()
    good = len(q) == 1 and b"Subject: clean" in open(q[0], "rb").read() and \
        open(q[0][:-4] + ".env", "rb").read() == b"Fb@remote.test\0Troot@example.org\0\0"
    ok("smuggle-" + name, good and b"550 5.6.0" in r and b"smuggled" not in b"".join(open(f, "rb").read() for f in q), r[-300:])
clear()

# --- 9: everything in one segment, data before 354
r = talk(mx, b"EHLO c\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<root@example.org>\r\nDATA\r\nSubject: p\r\n\r\nx\r\n.\r\nQUIT\r\n")
codes = [l[:3] for l in r.split(b"\r\n") if l[3:4] == b" "]
ok("pipelined-reply-order", codes == [b"250", b"250", b"250", b"354", b"250", b"221"], codes)
ok("pipelined-one-message", len(queued()) == 1)
clear()
c = begin()
c.send(b"DATA\r\nSubject: unfinished\r\n\r\nno end")
r = c.reply()
time.sleep(0.2)
ok("nothing-queued-before-end", r.startswith(b"354") and not queued())
c.s.close()
time.sleep(0.3)
ok("nothing-queued-after-drop", not queued())

# --- 10: AUTH base64 edge cases
c = Conn(auth)
c.cmd(b"EHLO c")
bad = [b"AUTH PLAIN Y", b"AUTH PLAIN YQ", b"AUTH PLAIN YQ=", b"AUTH PLAIN @@@@", b"AUTH PLAIN YQ==YQ==",
       b"AUTH PLAIN " + base64.b64encode(b"A" * 7000), b"AUTH PLAIN " + base64.b64encode(b"\0u\0p\0x"),
       b"AUTH PLAIN " + base64.b64encode(b"\0\0p")]
n = 0
for b in bad:
    r = c.cmd(b)
    ok("auth-bad-base64-%d" % n, r.startswith(b"501"), r); n += 1
    if n == 5:
        c.s.close(); c = Conn(auth); c.cmd(b"EHLO c")
c.s.close(); c = Conn(auth); c.cmd(b"EHLO c")
r = c.cmd(b"AUTH PLAIN")
ok("auth-cancel", r.startswith(b"334") and c.cmd(b"*").startswith(b"501"))
r = c.cmd(b"AUTH LOGIN")
r = c.cmd(b"AUTH PLAIN AHRlc3QAc2VjcmV0")
ok("auth-mechanism-switch-501", r.startswith(b"501"), r)
r = c.cmd(b"AUTH CRAM-MD5")
r = c.cmd(b"dGVzdCBub3RoZXg=")
ok("auth-cram-bad-digest-501", r.startswith(b"501"), r)
r = c.cmd(b"AUTH PLAIN " + b"QUFB" * 2500)
ok("auth-10k-blob-501", r.startswith(b"501"), r[:80])
r = c.cmd(b"AUTH PLAIN " + b"QUFB" * 4000)
ok("auth-line-past-12288-500", r.startswith(b"500 5.5.2"), r[:80])
ok("auth-unknown-mech-504", c.cmd(b"AUTH GSSAPI").startswith(b"504"))
c.s.close(); c = Conn(auth); c.cmd(b"EHLO c")
r = c.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0%n%s%x\0secret"))
ok("auth-format-user-535", r.startswith(b"535"), r)
ok("auth-then-good-login", c.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0test\0secret")).startswith(b"235"))
ok("auth-twice-503", c.cmd(b"AUTH PLAIN AHRlc3QAc2VjcmV0").startswith(b"503"))
c.cmd(b"QUIT")
c = Conn(auth); c.cmd(b"EHLO c")
r1 = c.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0test\0wrong"))
r2 = c.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0test\0wrong"))
ok("auth-failures-535", r1.startswith(b"535 5.7.8") and r2.startswith(b"535 5.7.8"), (r1, r2))
c.cmd(b"QUIT")

# --- 11: NUL bytes
r = talk(mx, b"EHLO c\r\nNO\0OP\r\nQUIT\r\n")
ok("nul-in-command-501", b"501 5.5.2" in r and r.endswith(b"221 2.0.0 example.org closing connection\r\n"), r)
c = begin(); c.cmd(b"DATA")
r = c.cmd(b"Sub\0ject: x\r\n\r\nbody\r\n.")
ok("nul-in-header-name-refused", r.startswith(b"554 5.6.0") and not queued(), r)
c.cmd(b"QUIT")

# --- 12: format strings are logged literally (checked in the log below)
talk(mx, b"HELO %n%s%x%n\r\nQUIT\r\n")

# --- 13: mail loops
c = begin(); c.cmd(b"DATA")
r = c.cmd(b"Received: from x\r\n" * 101 + b"Subject: loop\r\n\r\nx\r\n.")
ok("101-received-554-5.4.6", r.startswith(b"554 5.4.6"), r)
c.cmd(b"MAIL FROM:<a@b.test>"); c.cmd(b"RCPT TO:<root@example.org>"); c.cmd(b"DATA")
r = c.cmd(b"Received: from x\r\n" * 100 + b"Subject: ok\r\n\r\nx\r\n.")
ok("100-received-accepted", r.startswith(b"250") and len(queued()) == 1, r)
clear()
c.cmd(b"QUIT")

# --- 14: size limits (sizelimit 200000)
c = Conn(mx); c.cmd(b"EHLO c")
ok("size-at-limit-250", c.cmd(b"MAIL FROM:<a@b.test> SIZE=200000").startswith(b"250"))
c.cmd(b"RSET")
r = c.cmd(b"MAIL FROM:<a@b.test> SIZE=200001")
ok("size-over-limit-552-5.3.4", r.startswith(b"552 5.3.4"), r)
r = c.cmd(b"MAIL FROM:<a@b.test> SIZE=99999999999999999999999")
ok("size-overflow-refused", r[:1] == b"5", r)
c.cmd(b"MAIL FROM:<a@b.test>"); c.cmd(b"RCPT TO:<root@example.org>"); c.cmd(b"DATA")
r = c.cmd(b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 250 + b".")
ok("data-over-limit-552", r.startswith(b"552 5.3.4") and not queued(), r)
ok("in-sync-after-552", c.cmd(b"NOOP").startswith(b"250"))
c.cmd(b"QUIT")

# --- MIME limits
c = begin(); c.cmd(b"DATA")
body = b"".join(b"Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n" % (i, i) for i in range(30))
r = c.cmd(b"Subject: deep\r\n" + body + b"x\r\n.")
ok("mime-too-deep-554-5.6.0", r.startswith(b"554 5.6.0"), r)
c.cmd(b"MAIL FROM:<a@b.test>"); c.cmd(b"RCPT TO:<root@example.org>"); c.cmd(b"DATA")
r = c.cmd(b"Content-Type: multipart/mixed; boundary=z\r\n\r\n" + b"--z\r\n\r\nx\r\n" * 1001 + b"--z--\r\n.")
ok("mime-too-many-parts-554", r.startswith(b"554 5.6.0") and not queued(), r)
c.cmd(b"QUIT")

# --- RBLSMTPD, BLOCK, bofh
c = Conn(rbl); c.cmd(b"EHLO c")
r = c.cmd(b"MAIL FROM:<a@b.test>")
ok("rblsmtpd-permanent-553", r == b"553 5.7.1 blocked:?see?example\r\n", r)
c = Conn(rbltemp); c.cmd(b"EHLO c")
ok("rblsmtpd-temporary-451", c.cmd(b"MAIL FROM:<a@b.test>").startswith(b"451 4.7.1"))
c = Conn(block); c.cmd(b"EHLO c")
ok("block-553", c.cmd(b"MAIL FROM:<a@b.test>").startswith(b"553 5.7.1 go?away"))
c = Conn(mx); c.cmd(b"EHLO c")
ok("badfrom-address", c.cmd(b"MAIL FROM:<Spammer@Bad.Test>").startswith(b"550 5.7.1"))
ok("badfrom-domain", c.cmd(b"MAIL FROM:<x@worse.test>").startswith(b"550 5.7.1"))
c.cmd(b"MAIL FROM:<a@b.test>")
c.cmd(b"RCPT TO:<root@example.org>")
ok("spamtrap-550", c.cmd(b"RCPT TO:<trap@example.org>").startswith(b"550 5.7.1"))
ok("spamtrap-poisons-transaction", c.cmd(b"DATA").startswith(b"554 5.7.1") and not queued())
c.cmd(b"QUIT")

# --- timeout (timeoutsmtpd 1)
c = Conn(slow)
c.s.settimeout(10)
r = c.reply()
ok("timeout-421", r.startswith(b"421 4.4.2"), r)
PY

# --- 12: the log holds the format strings literally, escaped only where unprintable
if grep -qF 'kurier-smtpd: info: helo: 127.0.0.1 %n%s%x%n' "$T/mx.log"; then ok helo-format-logged-literally; else notok helo-format-logged-literally "$(grep helo "$T/mx.log" | tail -2)"; fi
if grep -qF 'auth failed: 127.0.0.1 plain %n%s%x' "$T/auth.log"; then ok auth-user-logged-literally; else notok auth-user-logged-literally "$(grep auth "$T/auth.log" | tail -2)"; fi
if ! grep -q $'\r' "$T/mx.log" && [ "$(grep -c 'fatal' "$T/mx.log")" = 0 ]; then ok log-clean; else notok log-clean "$(grep fatal "$T/mx.log" | head -3)"; fi
