#!/bin/bash
# 65-tls-lazy - kurier-tlsd stays out of the data path of a plaintext
# SMTP session: kurier-smtpd holds the client's TCP socket itself as fd
# 0 and 1, and kurier-tlsd reads no byte while a 64 KiB message and 100
# commands pass; after STARTTLS kurier-smtpd's fd 0 and 1 are a unix
# socket (the plaintext end kurier-tlsd passed it), the TCP socket is
# the TLS layer's alone, and the session goes on inside TLS.  The front
# that waits through the plaintext part has no OpenSSL in it; at STARTTLS
# the same process becomes the engine (kurier-tlsd-ssl), which loads its
# own filter on top of the front's.  Without the engine beside the front,
# STARTTLS ends the session and nothing after it is answered.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/smtpd/e2e-common.sh"
TLSD=$TB/kurier-tlsd

if [ ! -x "$TLSD" ] || [ ! -x "$SMTPD" ]; then notok tlsd-built "no $TLSD or $SMTPD"; exit 0; fi
if [ "$(id -u)" != 0 ]; then skip tls-lazy "kurier-tlsd must start as root to read its key and drop to kuriert"; exit 0; fi
if ! id kuriert >/dev/null 2>&1 || ! id kurierd >/dev/null 2>&1; then
	skip tls-lazy "users kuriert and kurierd do not exist (make setup creates them)"
	exit 0
fi
tls_keypair

# serve PORT TLSD LOG - tcpserver on PORT running TLSD in front of kurier-smtpd
serve() {
	env -i PATH=/usr/bin:/bin KURIER_HOME="$H" KURIER_PASSWD="$H/passwd" \
	    KURIERQUEUE="$T/fakeq" FAKEQ_DIR="$Q" KURIER_CHECKPW="$T/checkpw" \
	    tcpserver -H -R -l0 127.0.0.1 "$1" "$2" "$SMTPD" 2>>"$3" &
	on_exit "kill $!"
	wait_port "$1"
}
port=$(free_port)
serve "$port" "$TLSD" "$T/st.log"

python3 - "$port" "$Q" "$KURIER_SRC/tests" <<'PY' || notok lazy-script "python exited $?"
import glob, os, smtplib, ssl, sys
port, Q = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, sys.argv[3])
import procsock as ps
ok = ps.ok
ctx = ps.test_context()

s = smtplib.SMTP("127.0.0.1", port, timeout=20)
s.ehlo("c.test")
ino, smtpd, tlsd = ps.session(port, s.sock, "kurier-smtpd")
ok("plain-smtpd-fd0-is-tcp", smtpd is not None and ps.fd_inode(smtpd, 1) == ino, ps.holders(ino) if ino else "no inode")
ok("plain-tlsd-holds-client", tlsd is not None, ps.holders(ino) if ino else "no inode")
exe = os.readlink("/proc/%d/exe" % tlsd) if tlsd else ""
ok("plain-front-has-no-openssl", exe.endswith("/kurier-tlsd") and b"OpenSSL" not in open(exe, "rb").read(), exe)
before = ps.rchar(tlsd) if tlsd else -1
for i in range(100):
    s.noop()
body = b"Subject: lazy\r\n\r\n" + (b"x" * 70 + b"\r\n") * 900
s.sendmail("a@remote.test", ["root@example.org"], body)
after = ps.rchar(tlsd) if tlsd else -1
q = sorted(glob.glob(os.path.join(Q, "*.msg")))
ok("plain-message-queued", len(q) == 1 and b"Subject: lazy" in open(q[0], "rb").read(), q)
ok("plain-tlsd-read-nothing", before >= 0 and after == before, (before, after))
for f in glob.glob(os.path.join(Q, "*")):
    os.unlink(f)

s.starttls(context=ctx)
s.ehlo("c.test")
u = ps.fd_inode(smtpd, 0) if smtpd else None
ok("tls-smtpd-fd0-is-unix", u is not None and u != ino and ps.is_unix(u) and ps.fd_inode(smtpd, 1) == u, u)
holders = ps.holders(ino)
h = [c for _, c, _ in holders]
ok("tls-client-socket-tlsd-only", h and set(h) == {"kurier-tlsd-ssl"}, h)
ok("tls-engine-is-the-front-process", tlsd is not None and set(p for p, _, _ in holders) == {tlsd}, (tlsd, holders))
st = open("/proc/%d/status" % tlsd).read() if tlsd else ""
f = dict(l.split(":", 1) for l in st.splitlines() if ":" in l)
ok("tls-engine-filters-stacked", f.get("Seccomp", "").strip() == "2" and f.get("Seccomp_filters", "").strip() == "2"
   and f.get("NoNewPrivs", "").strip() == "1", {k: f.get(k) for k in ("Seccomp", "Seccomp_filters", "NoNewPrivs")})
# not dumpable (its /proc files then belong to root): no process of
# kuriert's may read the memory that holds the key
ok("tls-engine-not-dumpable", tlsd is not None and os.stat("/proc/%d/environ" % tlsd).st_uid == 0,
   os.stat("/proc/%d/environ" % tlsd).st_uid if tlsd else None)
ok("tls-engine-is-kuriert", f.get("Uid", "").split()[:1] == [str(__import__("pwd").getpwnam("kuriert").pw_uid)], f.get("Uid"))
mid = ps.rchar(tlsd)
code = s.noop()[0]
ok("tls-session-goes-on", code == 250 and ps.rchar(tlsd) > mid, code)
s.quit()
PY

# --- the engine missing: the front cannot become it, the session ends
mkdir -p "$T/lone"
cp "$TLSD" "$T/lone/kurier-tlsd"
port2=$(free_port)
serve "$port2" "$T/lone/kurier-tlsd" "$T/lone.log"
python3 - "$port2" "$KURIER_SRC/tests" <<'PY' || notok lone-script "python exited $?"
import socket, ssl, sys
sys.path.insert(0, sys.argv[2])
import procsock as ps
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"EHLO c.test\r\n")
while f.readline()[3:4] == b"-":
    pass
s.sendall(b"STARTTLS\r\n")
go = f.readline()
try:
    t = ps.test_context().wrap_socket(s)
    t.sendall(b"NOOP\r\n")
    answered = t.recv(100)
except (OSError, ssl.SSLError):
    answered = b""
ps.ok("no-engine-starttls-fails-closed", go.startswith(b"220") and answered == b"", (go, answered))
PY
for i in $(seq 50); do grep -q 'cannot run .*/lone/kurier-tlsd-ssl' "$T/lone.log" && break; sleep 0.1; done
check "no-engine-logged" grep -q 'kurier-tlsd: .*cannot run .*/lone/kurier-tlsd-ssl' "$T/lone.log"
