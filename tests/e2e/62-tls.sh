#!/bin/bash
# 62-tls - kurier-tlsd in front of kurier-smtpd under a real tcpserver
# on 127.0.0.1: STARTTLS with swaks, smtplib and openssl s_client, SMTPS
# (implicit TLS), TLS 1.0/1.1 and weak ciphers refused, session
# resumption across connections, SECURITY.md 15-17 (bytes sent before the
# handshake never answered inside it, state forgotten after it, STARTTLS
# twice / after AUTH / inside DATA, 200 abandoned handshakes freed by the
# timeout), and the key kept out of the SMTP process (fd, maps, memory,
# and the fork before the key is read, under strace), and the key parsed
# only when a handshake is wanted.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/smtpd/e2e-common.sh"
TLSD=$TB/kurier-tlsd

if [ ! -x "$TLSD" ] || [ ! -x "$SMTPD" ]; then notok tlsd-built "no $TLSD or $SMTPD"; exit 0; fi
if [ "$(id -u)" != 0 ]; then skip tls "kurier-tlsd must start as root to read its key and drop to kuriert"; exit 0; fi
if ! id kuriert >/dev/null 2>&1 || ! id kurierd >/dev/null 2>&1; then
	skip tls "users kuriert and kurierd do not exist (make setup creates them)"
	exit 0
fi
tls_keypair

# tlsd_start NAME [tlsd options] -- [VAR=value...]: tcpserver as root with tlsd and smtpd
tlsd_start() {
	local name=$1 port opts=() pid; shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	port=$(free_port)
	env -i PATH=/usr/bin:/bin KURIER_HOME="$H" KURIER_PASSWD="$H/passwd" \
	    KURIERQUEUE="$T/fakeq" FAKEQ_DIR="$Q" KURIER_CHECKPW="$T/checkpw" "$@" \
	    tcpserver -H -R -l0 -c 300 127.0.0.1 "$port" "$TLSD" "${opts[@]}" "$SMTPD" 2>>"$T/$name.log" &
	pid=$!
	on_exit "kill $pid"
	eval "PORT_$name=$port PID_$name=$pid"
	wait_port "$port"
}

tlsd_start st -- KURIER_TLSTIMEOUT=3
tlsd_start ssl -i -- KURIER_TLSTIMEOUT=3 KURIER_SMTPMODE=smtps
tlsd_start plainauth -- AUTH_PLAINTEXT_OK=1
# a server that takes half a second between its go-ahead and asking for
# the handshake, so that client bytes reach the socket in that time; it
# checks nothing itself, so kurier-tlsd's handshake is what meets them.
# With the argument X it asks with a word that is not "S".
cat >"$T/slowstart" <<'PY'
#!/usr/bin/python3
import os, socket, sys, time
fd = int(os.environ["KURIER_TLSFD"])
word = b"X" if sys.argv[1:] == ["X"] else b"S"
os.write(1, b"220 slow\r\n")
data = b""
while b"STARTTLS\r\n" not in data:
    b = os.read(0, 100)
    if not b:
        sys.exit(0)
    data += b
os.write(1, b"220 go ahead\r\n")
time.sleep(0.5)
os.write(fd, word)
ctl = socket.socket(fileno=fd)
msg, fds, _, _ = socket.recv_fds(ctl, 1, 1)
if msg == b"Y" and len(fds) == 1:
    os.dup2(fds[0], 0)
    os.dup2(fds[0], 1)
    got = os.read(0, 100)
    os.write(1, b"250 answered inside TLS: " + got)
PY
chmod 755 "$T/slowstart"
port=$(free_port)
env -i PATH=/usr/bin:/bin KURIER_HOME="$H" tcpserver -H -R -l0 127.0.0.1 "$port" "$TLSD" "$T/slowstart" 2>>"$T/slow.log" &
on_exit "kill $!"
PORT_slow=$port
wait_port "$PORT_slow"
port=$(free_port)
env -i PATH=/usr/bin:/bin KURIER_HOME="$H" tcpserver -H -R -l0 127.0.0.1 "$port" "$TLSD" "$T/slowstart" 2>>"$T/slowp.log" &
on_exit "kill $!"
PORT_slowp=$port
wait_port "$PORT_slowp"
port=$(free_port)
env -i PATH=/usr/bin:/bin KURIER_HOME="$H" tcpserver -H -R -l0 127.0.0.1 "$port" "$TLSD" "$T/slowstart" X 2>>"$T/slowx.log" &
on_exit "kill $!"
PORT_slowx=$port
wait_port "$PORT_slowx"

# --- swaks: STARTTLS, then AUTH inside TLS
out=$(swaks --server 127.0.0.1:$PORT_st --tls --helo client.test --from a@remote.test --to root@example.org \
	--header 'Subject: swaks tls' 2>&1)
if echo "$out" | grep -q '<~ *250 2.0.0 ok' && echo "$out" | grep -q 'TLS started'; then ok swaks-starttls; else notok swaks-starttls "$(echo "$out" | tail -4)"; fi
m=$(ls "$Q"/*.msg 2>/dev/null | head -1)
if [ -n "$m" ] && grep -q 'with ESMTPS;' "$m"; then ok received-esmtps; else notok received-esmtps "$(head -3 "$m" 2>/dev/null)"; fi
rm -f "$Q"/*
out=$(swaks --server 127.0.0.1:$PORT_st --tls --auth PLAIN --auth-user test --auth-password secret \
	--from a@remote.test --to someone@far.test 2>&1)
if echo "$out" | grep -q '<~ *235' && echo "$out" | grep -q '<~ *250 2.0.0 ok'; then ok swaks-tls-auth-relays; else notok swaks-tls-auth-relays "$(echo "$out" | grep '<' | tail -4)"; fi
m=$(ls "$Q"/*.msg 2>/dev/null | head -1)
if [ -n "$m" ] && grep -q 'with ESMTPSA;' "$m"; then ok received-esmtpsa; else notok received-esmtpsa "$(head -3 "$m" 2>/dev/null)"; fi
rm -f "$Q"/*
out=$(swaks --server 127.0.0.1:$PORT_ssl --tlsc --auth LOGIN --auth-user test --auth-password secret \
	--from a@remote.test --to root@example.org 2>&1)
if echo "$out" | grep -q '<~ *250 2.0.0 ok'; then ok swaks-smtps; else notok swaks-smtps "$(echo "$out" | tail -4)"; fi
rm -f "$Q"/*

# --- smtplib: what EHLO says before and after, state reset, SMTPS
python3 - "$PORT_st" "$PORT_ssl" "$PORT_plainauth" "$PORT_slow" "$PORT_slowp" "$PORT_slowx" "$Q" <<'PY' || notok tls-clients-script "python exited $?"
import base64, glob, os, smtplib, socket, ssl, sys, time
st, sslport, plainauth, slow, slowp, slowx = map(int, sys.argv[1:7])
Q = sys.argv[7]
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %r" % (name, why)))
    sys.stdout.flush()
def queued():
    return sorted(glob.glob(os.path.join(Q, "*.msg")))
def clear():
    for f in glob.glob(os.path.join(Q, "*")):
        os.unlink(f)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

s = smtplib.SMTP("127.0.0.1", st)
s.ehlo("c.test")
ok("ehlo-starttls-advertised", "starttls" in s.esmtp_features, s.esmtp_features)
ok("no-auth-before-tls", "auth" not in s.esmtp_features)
ok("auth-before-tls-538", s.docmd("AUTH PLAIN AHRlc3QAc2VjcmV0")[0] == 538)
ok("mail-before-tls", s.docmd("MAIL FROM:<a@remote.test>")[0] == 250)
code, _ = s.starttls(context=ctx)
ok("starttls-220", code == 220)
ok("tls-version-1.2+", s.sock.version() in ("TLSv1.2", "TLSv1.3"), s.sock.version())
# RFC 3207 4.2, SECURITY.md 16: EHLO and the transaction are gone
ok("helo-forgotten-after-tls", s.docmd("MAIL FROM:<a@remote.test>")[0] == 503)
s.ehlo("c.test")
ok("rcpt-after-tls-needs-new-mail", s.docmd("RCPT TO:<root@example.org>")[0] == 503)
ok("no-starttls-inside-tls", "starttls" not in s.esmtp_features)
ok("auth-advertised-inside-tls", "auth" in s.esmtp_features, s.esmtp_features)
ok("starttls-twice-503", s.docmd("STARTTLS")[0] == 503)
code, _ = s.login("test", "secret")
ok("auth-inside-tls-235", code == 235)
# SECURITY.md 17: STARTTLS inside DATA is message text
s.docmd("MAIL FROM:<a@remote.test>")
s.docmd("RCPT TO:<root@example.org>")
ok("data-354", s.docmd("DATA")[0] == 354)
s.send(b"Subject: in data\r\n\r\nSTARTTLS\r\n.\r\n")
code, _ = s.getreply()
q = queued()
ok("starttls-inside-data-is-text", code == 250 and len(q) == 1 and b"\nSTARTTLS\n" in open(q[0], "rb").read(), code)
clear()
s.quit()

# STARTTLS after AUTH (plaintext AUTH allowed here)
s = smtplib.SMTP("127.0.0.1", plainauth)
s.ehlo("c.test")
s.login("test", "secret")
ok("starttls-after-auth-503", s.docmd("STARTTLS")[0] == 503)
s.quit()

# SMTPS: TLS from the first byte; the server knows (AUTH offered, no STARTTLS)
s = smtplib.SMTP_SSL("127.0.0.1", sslport, context=ctx)
s.ehlo("c.test")
ok("smtps-auth-offered", "auth" in s.esmtp_features, s.esmtp_features)
ok("smtps-no-starttls", "starttls" not in s.esmtp_features)
ok("smtps-mail-needs-auth-530", s.docmd("MAIL FROM:<a@remote.test>")[0] == 530)
s.login("test", "secret")
s.sendmail("a@remote.test", ["root@example.org"], b"Subject: smtps\r\n\r\nhi\r\n")
q = queued()
body = open(q[0], "rb").read() if q else b""
ok("smtps-queued-esmtpsa", len(q) == 1 and b"with ESMTPSA;" in body, body[:300])
ok("smtps-adds-date-and-message-id", b"\nDate: " in body and b"\nMessage-ID: <" in body, body[:400])
clear()
s.quit()

# SECURITY.md 15: STARTTLS and a command in one segment: no reply to either
k = socket.create_connection(("127.0.0.1", st))
k.settimeout(10)
k.recv(1000)
k.sendall(b"EHLO c\r\n")
time.sleep(0.2)
k.recv(4000)
k.sendall(b"STARTTLS\r\nRSET\r\n")
out = b""
while True:
    try:
        b = k.recv(1000)
    except (ConnectionResetError, socket.timeout):
        break
    if not b:
        break
    out += b
ok("pipelined-starttls-closed-unanswered", out == b"", out)

# the command arrives after the go-ahead but before the handshake, at
# several delays: never answered, neither in plaintext nor inside TLS
for delay in (0, 0.001, 0.005, 0.02):
    k = socket.create_connection(("127.0.0.1", st))
    k.settimeout(10)
    k.recv(1000)
    k.sendall(b"EHLO c\r\n")
    time.sleep(0.1)
    k.recv(4000)
    k.sendall(b"STARTTLS\r\n")
    time.sleep(delay)
    k.sendall(b"RSET\r\n")
    answered = False
    try:
        t = ctx.wrap_socket(k)
        t.sendall(b"NOOP\r\n")
        answered = b"250" in t.recv(1000)
    except (ssl.SSLError, OSError):
        pass
    ok("late-command-not-answered-%g" % delay, not answered)

# the same, with the command sitting in the socket when the server asks:
# kurier-tlsd's handshake reads it as TLS and fails
k = socket.create_connection(("127.0.0.1", slow))
k.settimeout(10)
k.recv(100)
k.sendall(b"STARTTLS\r\n")
r = k.recv(100)
k.sendall(b"RSET\r\n")
answered = b""
try:
    t = ctx.wrap_socket(k)
    answered = t.recv(1000)
except (ssl.SSLError, OSError):
    pass
ok("tlsd-refuses-bytes-before-handshake", r.startswith(b"220 go") and b"answered" not in answered, answered)
def starttls_noop(port):
    """STARTTLS at once, then a NOOP inside TLS: the reply, or None on failure"""
    try:
        k = socket.create_connection(("127.0.0.1", port))
        k.settimeout(10)
        k.recv(100)
        k.sendall(b"STARTTLS\r\n")
        k.recv(100)
        t = ctx.wrap_socket(k)
        t.sendall(b"NOOP\r\n")
        return t.recv(1000)
    except (ssl.SSLError, OSError):
        return None
# the client starts its handshake the moment it reads the go-ahead, half
# a second before the server asks: the ClientHello waits in the socket
r = starttls_noop(slowp)
ok("tlsd-late-ask-then-handshake", r is not None and r.startswith(b"250 answered inside TLS: NOOP"), r)
# a server that asks with any other word: the connection ends, no handshake
r = starttls_noop(slowx)
ok("tlsd-refuses-unknown-word", r is None, r)
PY
if grep -q 'handshake failed: 127.0.0.1' "$T/slow.log"; then ok tlsd-logs-early-bytes; else notok tlsd-logs-early-bytes "$(tail -3 "$T/slow.log")"; fi

# --- openssl s_client: versions, ciphers, resumption
for v in tls1_2 tls1_3; do
	rm -f "$T/sess"
	(sleep 1; printf 'QUIT\r\n') | timeout 10 openssl s_client -$v -starttls smtp -connect 127.0.0.1:$PORT_st \
		-sess_out "$T/sess" >"$T/s1" 2>&1
	printf 'QUIT\r\n' | timeout 10 openssl s_client -$v -starttls smtp -connect 127.0.0.1:$PORT_st \
		-sess_in "$T/sess" >"$T/s2" 2>&1
	if grep -q '^New, TLSv1\.[23]' "$T/s1" && grep -q "^Reused, TLSv1\\.${v#tls1_}" "$T/s2"; then
		ok "resumption-$v"
	else
		notok "resumption-$v" "$(grep -E '^(New|Reused)' "$T/s1" "$T/s2")"
	fi
	(sleep 1; printf 'QUIT\r\n') | timeout 10 openssl s_client -$v -connect 127.0.0.1:$PORT_ssl \
		-sess_out "$T/sess" >"$T/s1" 2>&1
	printf 'QUIT\r\n' | timeout 10 openssl s_client -$v -connect 127.0.0.1:$PORT_ssl -sess_in "$T/sess" >"$T/s2" 2>&1
	if grep -q '^Reused' "$T/s2"; then ok "resumption-smtps-$v"; else notok "resumption-smtps-$v" "$(grep -E '^(New|Reused)' "$T/s2")"; fi
done
if grep -q 'resumed' "$T/st.log"; then ok tlsd-logs-resumption; else notok tlsd-logs-resumption; fi
for v in tls1 tls1_1; do
	printf 'QUIT\r\n' | timeout 10 openssl s_client -$v -cipher 'DEFAULT@SECLEVEL=0' -starttls smtp \
		-connect 127.0.0.1:$PORT_st >"$T/old" 2>&1
	if grep -q '^New, (NONE)' "$T/old" && ! grep -q '^New, TLS' "$T/old"; then ok "refuses-$v"; else notok "refuses-$v" "$(grep -E '^New|alert' "$T/old")"; fi
done
for c in AES128-SHA AES256-GCM-SHA384 ECDHE-RSA-AES128-SHA DHE-RSA-AES128-GCM-SHA256; do
	printf 'QUIT\r\n' | timeout 10 openssl s_client -tls1_2 -cipher "$c@SECLEVEL=0" -starttls smtp \
		-connect 127.0.0.1:$PORT_st >"$T/weak" 2>&1
	if ! grep -q '^New, TLS' "$T/weak"; then ok "refuses-cipher-$c"; else notok "refuses-cipher-$c"; fi
done
printf 'QUIT\r\n' | timeout 10 openssl s_client -tls1_2 -cipher 'ECDHE-RSA-CHACHA20-POLY1305' -starttls smtp \
	-connect 127.0.0.1:$PORT_st >"$T/chacha" 2>&1
if grep -q '^New, TLSv1.2, Cipher is ECDHE-RSA-CHACHA20-POLY1305' "$T/chacha"; then ok accepts-chacha20; else notok accepts-chacha20; fi

# --- who holds what: a live STARTTLS session, then its processes
exec 5<>/dev/tcp/127.0.0.1/$PORT_st
read -r -t 5 greet <&5
sleep 0.3
tlsd=$(pgrep -P "$PID_st" | head -1)
smtpd=$(pgrep -P "${tlsd:-0}" | head -1)
if [ -n "$tlsd" ] && [ "$(awk '/^Uid:/ {print $2}' /proc/$tlsd/status)" = "$(id -u kuriert)" ]; then ok tlsd-runs-as-kuriert; else notok tlsd-runs-as-kuriert "pid $tlsd"; fi
if [ -n "$tlsd" ] && grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$tlsd/status; then ok tlsd-nonewprivs; else notok tlsd-nonewprivs; fi
if [ ! -e "$KURIER_SRC/lib/sandbox.c" ]; then
	skip tlsd-seccomp "lib/sandbox.c not in the tree yet"
elif [ -n "$tlsd" ] && grep -q '^Seccomp:[[:space:]]*2' /proc/$tlsd/status; then
	ok tlsd-seccomp
else
	notok tlsd-seccomp "$(grep Seccomp /proc/$tlsd/status 2>/dev/null)"
fi
if [ -n "$smtpd" ] && [ "$(readlink /proc/$smtpd/exe)" = "$(readlink -f "$SMTPD")" ] &&
   [ "$(awk '/^Uid:/ {print $2}' /proc/$smtpd/status)" = "$(id -u kurierd)" ]; then
	ok smtpd-child-execd-as-kurierd
else
	notok smtpd-child-execd-as-kurierd "pid $smtpd $(readlink /proc/$smtpd/exe 2>/dev/null)"
fi
if [ -n "$smtpd" ] && ! ls -l /proc/$smtpd/fd 2>/dev/null | grep -q 'tls\(key\|cert\|ticketkey\)'; then ok smtpd-no-key-fd; else notok smtpd-no-key-fd; fi
# smtpd's monitor (it runs kurier-queue and the checkpw chain): root, as
# kurier-smtpd was started under kurier-tlsd, and the client is not among
# its descriptors
mon=$(pgrep -P "${smtpd:-0}" | head -1)
if [ -n "$mon" ] && [ "$(awk '/^Uid:/ {print $2}' /proc/$mon/status)" = 0 ] &&
   [ "$(readlink /proc/$mon/fd/0)" = /dev/null ] && [ "$(readlink /proc/$mon/fd/1)" = /dev/null ] &&
   [ "$(ls /proc/$mon/fd | wc -l)" -le 4 ]; then
	ok smtpd-monitor-holds-no-client
else
	notok smtpd-monitor-holds-no-client "pid $mon: $(ls -l /proc/$mon/fd 2>/dev/null | tail -n +2)"
fi
if [ -n "$smtpd" ] && [ -e "$KURIER_SRC/lib/sandbox.c" ] && grep -q '^Seccomp:[[:space:]]*2' /proc/$smtpd/status &&
   grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$smtpd/status; then
	ok smtpd-confined-under-tlsd
else
	notok smtpd-confined-under-tlsd "$(grep -E 'Seccomp|NoNewPrivs' /proc/$smtpd/status 2>/dev/null)"
fi
if [ -n "$smtpd" ] && ! grep -q 'libssl\|libcrypto' /proc/$smtpd/maps; then ok smtpd-no-openssl-mapped; else notok smtpd-no-openssl-mapped; fi
# the key's base64 lines are nowhere in the SMTP process's memory; the
# greeting is, which shows the search can find what is there
python3 - "$smtpd" "$H/control/tlskey.pem" <<'PY' || notok smtpd-memory-script "python exited $?"
import re, sys
pid = sys.argv[1]
key = [l.strip().encode() for l in open(sys.argv[2]) if not l.startswith("-----")]
needles = [k[:40] for k in key[1:6]]
found_key = found_greet = False
try:
    maps = open("/proc/%s/maps" % pid).read().splitlines()
    mem = open("/proc/%s/mem" % pid, "rb", 0)
    for l in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", l)
        if not m or "[vvar]" in l or "[vsyscall]" in l:
            continue
        a, b = int(m.group(1), 16), int(m.group(2), 16)
        if b - a > (1 << 30):
            continue	# AddressSanitizer's shadow: reserved, never data
        prev = b""
        for off in range(a, b, 1 << 20):
            try:
                mem.seek(off)
                chunk = prev + mem.read(min(1 << 20, b - off))
            except OSError:
                break
            if any(n in chunk for n in needles):
                found_key = True
            if b"ESMTP kurier" in chunk:
                found_greet = True
            prev = chunk[-64:]
    ok = found_greet and not found_key
    print(("ok" if ok else "not ok") + " smtpd-memory-holds-no-key" + ("" if ok else ": key %s greeting %s" % (found_key, found_greet)))
except OSError as e:
    print("not ok smtpd-memory-holds-no-key: %s" % e)
PY
exec 5>&-

# the server is forked before the key file is opened (strace of one tlsd)
if command -v strace >/dev/null; then
	python3 - "$TLSD" "$H" "$T/strace" <<'PY' || notok strace-script "python exited $?"
import os, socket, subprocess, sys, time
tlsd, home, out = sys.argv[1:4]
a, b = socket.socketpair()
env = {"PATH": "/usr/bin:/bin", "KURIER_HOME": home}
p = subprocess.Popen(["strace", "-f", "-o", out, "-e", "trace=clone,clone3,fork,vfork,openat,read,execve", tlsd, "-i", "/bin/cat"],
                     stdin=b, stdout=b, stderr=subprocess.DEVNULL, env=env)
b.close()
time.sleep(1.5)
a.close()
p.wait(timeout=20)
lines = open(out).read().splitlines()
fork = next((i for i, l in enumerate(lines) if "clone" in l or "fork(" in l), None)
# the key file is opened before the fork (a missing one ends the
# connection before the server greets), but read only after it
opened = next((l for l in lines if "tlskey.pem" in l and "openat(" in l), "")
kfd = opened.rsplit("= ", 1)[-1].split()[0] if "= " in opened else "none"
key = next((i for i, l in enumerate(lines) if ("read(%s," % kfd) in l.split(" ", 1)[-1]), None)
good = fork is not None and key is not None and fork < key
print(("ok" if good else "not ok") + " server-forked-before-key-read" + ("" if good else ": fork %s key %s" % (fork, key)))
PY
else
	skip server-forked-before-key-read "no strace"
fi

# the engine sends each TLS record at once (TCP_NODELAY on the client's TCP
# socket): otherwise the first reply after the handshake waits behind the
# session ticket for the client's delayed ACK, 40 ms, with a client that
# sends its first command at once
if command -v strace >/dev/null; then
	python3 - "$TLSD" "$H" "$T/strace.nd" <<'PY' || notok strace-nodelay-script "python exited $?"
import socket, ssl, subprocess, sys
tlsd, home, out = sys.argv[1:4]
lst = socket.create_server(("127.0.0.1", 0))
cli = socket.create_connection(lst.getsockname())
srv, _ = lst.accept()
env = {"PATH": "/usr/bin:/bin", "KURIER_HOME": home}
p = subprocess.Popen(["strace", "-f", "-o", out, "-e", "trace=setsockopt", tlsd, "-i", "/bin/cat"],
                     stdin=srv, stdout=srv, stderr=subprocess.DEVNULL, env=env)
srv.close()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
cli.settimeout(10)
t = ctx.wrap_socket(cli)
t.sendall(b"ping\n")
echo = t.recv(100)
t.close()
p.wait(timeout=20)
lines = open(out).read().splitlines()
nodelay = [l for l in lines if "setsockopt(0, SOL_TCP, TCP_NODELAY, [1], 4) = 0" in l]
good = echo == b"ping\n" and len(nodelay) >= 1
print(("ok" if good else "not ok") + " engine-tcp-nodelay" + ("" if good else ": echo %r, %s" % (echo, lines)))
PY
else
	skip engine-tcp-nodelay "no strace"
fi

# --- SECURITY.md 17: 200 abandoned handshakes end at the timeout (3 s);
# 50 when the programs carry AddressSanitizer, whose processes are large
ABANDON=200
grep -qa __asan_init "$TLSD" && ABANDON=50
python3 - "$PORT_ssl" "$PORT_st" "$PID_ssl" "$PID_st" "$ABANDON" <<'PY' || notok abandon-script "python exited $?"
import os, socket, ssl, subprocess, sys, time
sslport, st, sslpid, stpid, count = map(int, sys.argv[1:6])
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %r" % (name, why)))
def kids(pid):
    return subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
socks = []
for i in range(count):
    k = socket.create_connection(("127.0.0.1", sslport))
    if i % 2:
        k.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")	# the start of a ClientHello
    socks.append(k)
for i in range(20):
    k = socket.create_connection(("127.0.0.1", st))
    k.settimeout(5)
    k.recv(1000)
    k.sendall(b"EHLO c\r\nSTARTTLS\r\n")
    socks.append(k)
peak = 0
deadline = time.time() + 20
while time.time() < deadline:
    n = len(kids(sslpid)) + len(kids(stpid))
    peak = max(peak, n)
    if not n:
        break
    time.sleep(0.25)
ok("abandoned-handshakes-were-waiting", peak >= count // 4, peak)
ok("abandoned-handshakes-freed", not kids(sslpid) and not kids(stpid), (len(kids(sslpid)), len(kids(stpid))))
closed = 0
for k in socks:
    k.settimeout(1)
    try:
        while True:
            b = k.recv(4096)
            if not b:
                closed += 1
                break
    except (ConnectionResetError, BrokenPipeError):
        closed += 1
    except socket.timeout:
        pass
    k.close()
ok("abandoned-connections-closed", closed == len(socks), closed)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
import smtplib
s = smtplib.SMTP_SSL("127.0.0.1", sslport, context=ctx, timeout=10)
ok("serves-after-abandoned", s.ehlo("c")[0] == 250)
s.quit()
# a client that starts its handshake the moment it reads the go-ahead is
# never mistaken for one that pipelined a command (tlsd's "P")
bad = 0
for i in range(100):
    s = smtplib.SMTP("127.0.0.1", st, timeout=10)
    s.ehlo("c")
    try:
        s.starttls(context=ctx)
        s.quit()
    except (ssl.SSLError, OSError, smtplib.SMTPException):
        bad += 1
ok("starttls-100-in-a-row", bad == 0, bad)
PY
if grep -q 'handshake timeout' "$T/ssl.log"; then ok tlsd-logs-timeout; else notok tlsd-logs-timeout; fi
if ! grep -q 'fatal' "$T/st.log" "$T/ssl.log"; then ok tls-logs-no-fatal; else notok tls-logs-no-fatal "$(grep -h fatal "$T"/*.log | head -3)"; fi

# --- the TLS work is done only when a handshake is wanted: with a key
# that does not parse, a plaintext session is served as usual, and only
# STARTTLS fails (the connection closes, the log names the key); with
# no key file at all nothing is served
H2=$T/home2
mkdir -p "$H2/control" && cp -p "$H"/control/* "$H2/control/" && chmod 755 "$H2" "$H2/control"
printf -- '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n' >"$H2/control/tlskey.pem"
chmod 600 "$H2/control/tlskey.pem"
tlsd_start badkey -- KURIER_HOME="$H2"
H3=$T/home3
mkdir -p "$H3/control" && cp -p "$H"/control/* "$H3/control/" && chmod 755 "$H3" "$H3/control"
rm -f "$H3/control/tlskey.pem"
tlsd_start nokey -- KURIER_HOME="$H3"
python3 - "$PORT_badkey" "$PORT_nokey" <<'PY' || notok lazy-script "python exited $?"
import smtplib, socket, ssl, sys
bad, nokey = map(int, sys.argv[1:3])
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %r" % (name, why)))
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", bad, timeout=10)
code = s.ehlo("c")[0]
ok("badkey-plaintext-served", code == 250 and s.has_extn("starttls"), code)
code = s.docmd("NOOP")[0]
ok("badkey-plaintext-noop", code == 250, code)
failed = False
try:
    s.starttls(context=ctx)
    s.noop()
except (ssl.SSLError, OSError, smtplib.SMTPException):
    failed = True
ok("badkey-starttls-fails", failed)
k = socket.create_connection(("127.0.0.1", nokey), timeout=10)
try:
    got = k.recv(100)
except OSError:
    got = b""
ok("nokey-nothing-served", got == b"", got)
k.close()
PY
if grep -q 'cannot load control/tlskey.pem' "$T/badkey.log"; then ok badkey-logged-at-starttls; else notok badkey-logged-at-starttls "$(tail -2 "$T/badkey.log")"; fi
if grep -q 'cannot load control/tlskey.pem' "$T/nokey.log"; then ok nokey-logged; else notok nokey-logged "$(tail -2 "$T/nokey.log")"; fi

# every key form kurier-tlsd reads: PKCS#8 and traditional RSA and EC
# keys (decoded as their type alone) and Ed25519 (OpenSSL's generic reader)
mkdir -p "$T/kf/control"
echo example.org >"$T/kf/control/me"
chmod 755 "$T/kf" "$T/kf/control"
for kind in rsa-traditional ec-pkcs8 ec-traditional ed25519; do
	case $kind in
	rsa-traditional) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
		openssl pkey -traditional -out "$T/kf/control/tlskey.pem" ;;
	ec-pkcs8) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/kf/control/tlskey.pem" ;;
	ec-traditional) openssl ecparam -name prime256v1 -genkey -noout -out "$T/kf/control/tlskey.pem" ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$T/kf/control/tlskey.pem" ;;
	esac
	chmod 600 "$T/kf/control/tlskey.pem"
	openssl req -x509 -key "$T/kf/control/tlskey.pem" -out "$T/kf/control/tlscert.pem" -days 2 \
		-subj /CN=example.org 2>/dev/null
	port=$(free_port)
	env -i PATH=/usr/bin:/bin KURIER_HOME="$T/kf" KURIERQUEUE="$T/fakeq" \
	    tcpserver -H -R -l0 127.0.0.1 "$port" "$TLSD" -i "$SMTPD" 2>>"$T/kf.log" &
	kpid=$!
	wait_port "$port"
	r=$(timeout 20 python3 - "$port" <<'PY'
import smtplib, ssl, sys
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
try:
    s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=c, timeout=10)
    print(s.noop()[0]); s.quit()
except Exception as e:
    print(repr(e))
PY
)
	kill "$kpid"; wait "$kpid" 2>/dev/null
	check "key-form-$kind" [ "$r" = 250 ]
done
