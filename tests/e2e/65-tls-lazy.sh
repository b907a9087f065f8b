#!/bin/bash
# 65-tls-lazy - kurier-tlsd stays out of the data path of a plaintext
# SMTP session: kurier-smtpd holds the client's TCP socket itself as fd
# 0 and 1, and kurier-tlsd reads no byte while a 64 KiB message and 100
# commands pass; after STARTTLS kurier-smtpd's fd 0 and 1 are a unix
# socket (the plaintext end kurier-tlsd passed it), the TCP socket is
# kurier-tlsd's alone, and the session goes on inside TLS.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/smtpd/e2e-common.sh"
TLSD=$TB/kurier-tlsd

if [ ! -x "$TLSD" ] || [ ! -x "$SMTPD" ]; then notok tlsd-built "no $TLSD or $SMTPD"; exit 0; fi
if [ "$(id -u)" != 0 ]; then skip tls-lazy "kurier-tlsd must start as root to read its key and drop to kuriert"; exit 0; fi
if ! id kuriert >/dev/null 2>&1 || ! id kurierd >/dev/null 2>&1; then
	skip tls-lazy "users kuriert and kurierd do not exist (make setup creates them)"
	exit 0
fi
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$H/control/tlskey.pem" -out "$H/control/tlscert.pem" \
	-days 2 -subj /CN=example.org >/dev/null 2>&1
chmod 600 "$H/control/tlskey.pem"
chmod 755 "$H" "$H/control"

port=$(free_port)
env -i PATH=/usr/bin:/bin KURIER_HOME="$H" KURIER_PASSWD="$H/passwd" \
    KURIERQUEUE="$T/fakeq" FAKEQ_DIR="$Q" KURIER_CHECKPW="$T/checkpw" \
    tcpserver -H -R -l0 127.0.0.1 "$port" "$TLSD" "$SMTPD" 2>>"$T/st.log" &
on_exit "kill $!"
wait_port "$port"

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
h = [c for _, c, _ in ps.holders(ino)]
ok("tls-client-socket-tlsd-only", h and set(h) == {"kurier-tlsd"}, h)
mid = ps.rchar(tlsd)
code = s.noop()[0]
ok("tls-session-goes-on", code == 250 and ps.rchar(tlsd) > mid, code)
s.quit()
PY
