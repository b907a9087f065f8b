#!/bin/bash
# 72-pop3-tls - STLS (RFC 2595) and POP3S through kurier-tlsd: the
# capability list before and after, USER/PASS allowed only inside TLS,
# "STLS\r\nCAPA\r\n" in one segment closes the connection (SECURITY.md
# 15), and port-995 style implicit TLS with kurier-tlsd -i.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/pop3d/e2e-common.sh"

TLSD=$TB/kurier-tlsd
if [ ! -x "$LOGIN" ] || [ ! -x "$POP3D" ]; then notok pop3-built "no $LOGIN or $POP3D"; exit 0; fi
if [ ! -x "$TLSD" ]; then skip pop3-tls "no kurier-tlsd in the test instance ($TLSD)"; exit 0; fi
if ! id kuriert >/dev/null 2>&1; then skip pop3-tls "no user kuriert for kurier-tlsd"; exit 0; fi

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pop3.example \
	-keyout "$T/home/control/tlskey.pem" -out "$T/home/control/tlscert.pem" >/dev/null 2>&1
chmod 600 "$T/home/control/tlskey.pem"

# tls_start NAME [tlsd option] - like pop3_start, with kurier-tlsd in front
tls_start() {
	local name=$1 port pid; shift
	port=$(free_port)
	env -i PATH=/usr/bin:/bin KURIER_HOME="$T/home" TEST_MAILDIR="$MD" \
	    tcpserver -H -R -l0 127.0.0.1 "$port" \
	    "$TLSD" "$@" "$LOGIN" "$T/checkpw" "$POP3D" 2>>"$T/$name.log" &
	pid=$!
	on_exit "kill $pid"
	eval "PORT_$name=$port"
	wait_port "$port"
}
tls_start stls || notok stls-listens
tls_start pop3s -i || notok pop3s-listens
printf 'Subject: over tls\n\nsecret words\n' | deliver >/dev/null

python3 - "$PORT_stls" "$PORT_pop3s" <<'PY'
import poplib, socket, ssl, sys, time
stls, pop3s = map(int, sys.argv[1:3])
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

p = poplib.POP3("127.0.0.1", stls, timeout=20)
c = p.capa()
ok("capa-stls-offered", "STLS" in c, c)
ok("capa-no-user-before-tls", "USER" not in c, c)
p.stls(context=ctx)
ok("stls-handshake", isinstance(p.sock, ssl.SSLSocket))
c = p.capa()
ok("capa-after-tls-user", "USER" in c and "STLS" not in c and "PLAIN" in c.get("SASL", []), c)
try:
    p._shortcmd("STLS")
    ok("stls-twice-refused", False)
except poplib.error_proto:
    ok("stls-twice-refused", True)
p.user("test")
r = p.pass_("secret")
ok("login-inside-tls", r.startswith(b"+OK"), r)
resp, lines, _ = p.retr(1)
ok("retr-inside-tls", b"secret words" in lines, lines)
p.quit()

# SECURITY.md 15: a command pipelined behind STLS is never answered
s = socket.create_connection(("127.0.0.1", stls), timeout=10)
s.recv(1000)
s.sendall(b"STLS\r\nCAPA\r\n")
time.sleep(0.5)
got = b""
s.settimeout(5)
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
except (socket.timeout, ConnectionResetError):
    pass
ok("stls-pipelined-closed", b"capability" not in got and b"+OK begin" not in got, got)
s.close()

# implicit TLS (POP3S): the handshake first, then plaintext login is fine
p = poplib.POP3_SSL("127.0.0.1", pop3s, context=ctx, timeout=20)
c = p.capa()
ok("pop3s-capa", "USER" in c and "STLS" not in c, c)
p.user("test")
ok("pop3s-login", p.pass_("secret").startswith(b"+OK"))
ok("pop3s-stat", p.stat()[0] == 1, p.stat())
p.quit()
PY
rc=$?
[ "$rc" = 0 ] || notok tls-script "python exited $rc"

# kurier-tlsd out of the data path: a plaintext session's login servers
# and kurier-pop3d hold the TCP socket themselves and kurier-tlsd reads
# nothing; after STLS the session process and then kurier-pop3d (run by
# the monitor, which got the plaintext end from the session process)
# hold a unix socket, and the TCP socket is kurier-tlsd's alone
port=$(free_port)
env -i PATH=/usr/bin:/bin KURIER_HOME="$T/home" TEST_MAILDIR="$MD" AUTH_PLAINTEXT_OK=1 \
    tcpserver -H -R -l0 127.0.0.1 "$port" \
    "$TLSD" "$LOGIN" "$T/checkpw" "$POP3D" 2>>"$T/lazy.log" &
on_exit "kill $!"
wait_port "$port"
python3 - "$port" "$KURIER_SRC/tests" <<'PY' || notok lazy-script "python exited $?"
import poplib, ssl, sys
port = int(sys.argv[1])
sys.path.insert(0, sys.argv[2])
import procsock as ps
ok = ps.ok
ctx = ps.test_context()
p = poplib.POP3("127.0.0.1", port, timeout=20)
ino, login, tlsd = ps.session(port, p.sock, "kurier-pop3-log")
ok("lazy-plain-login-fd0-is-tcp", login is not None and tlsd is not None, ps.holders(ino) if ino else "no inode")
before = ps.rchar(tlsd) if tlsd else -1
p.user("test")
p.pass_("secret")
resp, lines, _ = p.retr(1)
ok("lazy-plain-retr", b"secret words" in lines, lines)
pop3d = ps.find(ino, "kurier-pop3d", 0)
ok("lazy-plain-pop3d-fd0-is-tcp", pop3d is not None and ps.fd_inode(pop3d, 1) == ino, ps.holders(ino))
ok("lazy-plain-tlsd-read-nothing", before >= 0 and ps.rchar(tlsd) == before, (before, ps.rchar(tlsd)))
p.quit()

p = poplib.POP3("127.0.0.1", port, timeout=20)
ino = ps.tcp_inode(port, p.sock.getsockname()[1])
p.stls(context=ctx)
p.capa()
h = ps.holders(ino) if ino else []
mon = [pid for pid, c, fd in h if c == "kurier-pop3-log"]
sp = [pid for pid in ps.children(mon[0]) if ps.comm(pid) == "kurier-pop3-log"] if mon else []
u = ps.fd_inode(sp[0], 0) if sp else None
ok("lazy-tls-session-fd0-is-unix", u is not None and ps.is_unix(u), (h, sp, u))
p.user("test")
p.pass_("secret")
resp, lines, _ = p.retr(1)
ok("lazy-tls-retr", b"secret words" in lines, lines)
h = sorted(set(c for _, c, _ in ps.holders(ino)))
ok("lazy-tls-client-socket-tlsd-only", h == ["kurier-tlsd-ssl"], h)
pop3d = [pid for pid in ps.children(mon[0]) if ps.comm(pid) == "kurier-pop3d"] if mon else []
u = ps.fd_inode(pop3d[0], 0) if pop3d else None
ok("lazy-tls-pop3d-fd0-is-unix", u is not None and ps.is_unix(u), (pop3d, u))
p.quit()
PY
