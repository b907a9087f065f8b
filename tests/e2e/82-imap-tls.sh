#!/bin/bash
# 82-imap-tls - STARTTLS (RFC 3501 §6.2.1) and IMAPS through kurier-tlsd
# with the real checkpw chain: LOGINDISABLED and STARTTLS before, LOGIN
# and AUTH=PLAIN inside TLS, STARTTLS twice refused, "a STARTTLS\r\nb
# CAPABILITY" in one segment closes the connection (SECURITY.md 15), and
# port-993 style implicit TLS with kurier-tlsd -i.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/imapd/e2e-common.sh"

TLSD=$TB/kurier-tlsd
if [ "$imap_ready" != 1 ]; then skip imap-tls "no ${imap_missing:-userdb} in the test instance"; exit 0; fi
if [ ! -x "$TLSD" ]; then skip imap-tls "no kurier-tlsd in the test instance ($TLSD)"; exit 0; fi
if ! id kuriert >/dev/null 2>&1; then skip imap-tls "no user kuriert for kurier-tlsd"; exit 0; fi
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=imap.example \
	-keyout "$H/control/tlskey.pem" -out "$H/control/tlscert.pem" >/dev/null 2>&1
chmod 600 "$H/control/tlskey.pem"
imap_start stls -- "$TLSD" || notok stls-listens
imap_start imaps -- "$TLSD" -i || notok imaps-listens
printf 'Subject: over tls\n\nsecret words\n' | deliver

python3 - "$PORT_stls" "$PORT_imaps" <<'PY'
import imaplib, socket, ssl, sys
stls, imaps = map(int, sys.argv[1:3])
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
M = imaplib.IMAP4("127.0.0.1", stls, timeout=20)
ok("starttls-offered", "STARTTLS" in M.capabilities and "LOGINDISABLED" in M.capabilities, M.capabilities)
r = M._simple_command("LOGIN", "test@imap.example", "Sesame-9")
ok("login-refused-before-tls", r[0] == "NO" and b"PRIVACYREQUIRED" in r[1][0], r)
M.starttls(ssl_context=ctx)
ok("starttls-handshake", isinstance(M.sock, ssl.SSLSocket))
ok("capability-after-tls", "AUTH=PLAIN" in M.capabilities and "STARTTLS" not in M.capabilities and "LOGINDISABLED" not in M.capabilities, M.capabilities)
try:
    r = M._simple_command("STARTTLS")
    ok("starttls-twice-refused", False, r)
except imaplib.IMAP4.error as e:
    ok("starttls-twice-refused", "BAD" in str(e), e)
typ, dat = M.login("test@imap.example", "Sesame-9")
ok("login-inside-tls", typ == "OK", dat)
typ, dat = M.select("INBOX")
ok("select-inside-tls", dat == [b"1"], dat)
typ, dat = M.fetch("1", "(BODY[TEXT])")
ok("fetch-inside-tls", dat[0][1] == b"secret words\r\n", dat)
M.logout()
# SECURITY 15: a command pipelined after STARTTLS is never answered
s = socket.create_connection(("127.0.0.1", stls), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"a STARTTLS\r\nb CAPABILITY\r\n")
got = b""
s.settimeout(3)
try:
    while True:
        l = f.readline()
        if not l:
            break
        got += l
except (socket.timeout, ConnectionResetError):
    pass
ok("starttls-pipelined-closed", b"b OK" not in got and b"* CAPABILITY" not in got, got)
# implicit TLS
M = imaplib.IMAP4_SSL("127.0.0.1", imaps, ssl_context=ctx, timeout=20)
ok("imaps-plain-offered", "AUTH=PLAIN" in M.capabilities and "STARTTLS" not in M.capabilities, M.capabilities)
typ, dat = M.login("test@imap.example", "Sesame-9")
ok("imaps-login", typ == "OK", dat)
M.logout()
PY

# kurier-tlsd out of the data path: a plaintext session's login servers
# and kurier-imapd hold the TCP socket themselves and kurier-tlsd reads
# nothing; after STARTTLS the session process and then kurier-imapd (run
# by the monitor, which got the plaintext end from the session process)
# hold a unix socket, and the TCP socket is kurier-tlsd's alone
imap_start lazy AUTH_PLAINTEXT_OK=1 -- "$TLSD" || notok lazy-listens
python3 - "$PORT_lazy" "$KURIER_SRC/tests" <<'PY' || notok lazy-script "python exited $?"
import imaplib, ssl, sys
port = int(sys.argv[1])
sys.path.insert(0, sys.argv[2])
import procsock as ps
ok = ps.ok
ctx = ps.test_context()
M = imaplib.IMAP4("127.0.0.1", port, timeout=20)
ino, login, tlsd = ps.session(port, M.sock, "kurier-imap-log")
ok("lazy-plain-login-fd0-is-tcp", login is not None and tlsd is not None, ps.holders(ino) if ino else "no inode")
before = ps.rchar(tlsd) if tlsd else -1
M.login("test@imap.example", "Sesame-9")
M.select("INBOX")
typ, dat = M.fetch("1", "(BODY[TEXT])")
ok("lazy-plain-fetch", typ == "OK" and dat[0][1] == b"secret words\r\n", dat)
imapd = ps.find(ino, "kurier-imapd", 0)
ok("lazy-plain-imapd-fd0-is-tcp", imapd is not None and ps.fd_inode(imapd, 1) == ino, ps.holders(ino))
ok("lazy-plain-tlsd-read-nothing", before >= 0 and ps.rchar(tlsd) == before, (before, ps.rchar(tlsd)))
M.logout()

M = imaplib.IMAP4("127.0.0.1", port, timeout=20)
ino = ps.tcp_inode(port, M.sock.getsockname()[1])
M.starttls(ssl_context=ctx)
M.capability()
h = ps.holders(ino) if ino else []
sess = [pid for pid, c, fd in h if c == "kurier-imap-log"]
unix = [pid for pid in ps.children(sess[0])] if sess else []
# the session process is the monitor's child; it now holds the plaintext end
sp = [pid for pid in unix if ps.comm(pid) == "kurier-imap-log"]
u = ps.fd_inode(sp[0], 0) if sp else None
ok("lazy-tls-session-fd0-is-unix", u is not None and ps.is_unix(u), (h, unix, u))
M.login("test@imap.example", "Sesame-9")
M.select("INBOX")
typ, dat = M.fetch("1", "(BODY[TEXT])")
ok("lazy-tls-fetch", typ == "OK" and dat[0][1] == b"secret words\r\n", dat)
h = sorted(set(c for _, c, _ in ps.holders(ino)))
ok("lazy-tls-client-socket-tlsd-only", h == ["kurier-tlsd-ssl"], h)
imapd = [pid for pid in ps.children(sess[0]) if ps.comm(pid) == "kurier-imapd"] if sess else []
u = ps.fd_inode(imapd[0], 0) if imapd else None
ok("lazy-tls-imapd-fd0-is-unix", u is not None and ps.is_unix(u), (imapd, u))
M.logout()
PY
