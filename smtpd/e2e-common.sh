# smtpd/e2e-common.sh - shared set-up for the kurier-smtpd end-to-end
# tests (tests/e2e/60-smtpd.sh, 61-smtpd-security.sh); source it after
# tests/lib.sh.  It gives:
#   $SMTPD        the test instance's kurier-smtpd
#   $H            a private conf-home (KURIER_HOME) with control files
#   $Q            where the stand-in queue keeps what it accepted
#   smtpd_start NAME [tcpserver options] -- [VAR=value...]
#                 run tcpserver -H -R -l0 as nobody on a free port with
#                 kurier-smtpd; sets PORT_<NAME>; log in $T/NAME.log
#   queued        how many messages the stand-in queue holds
# The stand-in queue ($T/fakeq) keeps a message only when the envelope
# ends with its final NUL, like kurier-queue, so an aborted message leaves
# nothing behind.  The stand-in checkpw ($T/checkpw) knows one user,
# "test" with password "secret", for PLAIN, LOGIN and CRAM-MD5.
SMTPD=$TB/kurier-smtpd
H=$T/home
Q=$T/q
mkdir -p "$H/control" "$H/users" "$Q"
chmod 777 "$Q"
echo example.org >"$H/control/me"
printf 'example.org\n.sub.example.org\n' >"$H/control/locals"
printf 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n' >"$H/passwd"

cat >"$T/fakeq" <<'PY'
#!/usr/bin/python3
# stand-in for kurier-queue: message on fd 0, envelope on fd 1
import os, sys
d = os.environ["FAKEQ_DIR"]
msg = sys.stdin.buffer.read()
env = b""
while True:
    b = os.read(1, 65536)
    if not b:
        break
    env += b
if not env.startswith(b"F") or not env.endswith(b"\0\0"):
    sys.exit(91)
code = int(os.environ.get("FAKEQ_EXIT", "0"))
if code == 0:
    n = "%d" % os.getpid()
    open(os.path.join(d, n + ".tmp"), "wb").write(msg)
    open(os.path.join(d, n + ".env"), "wb").write(env)
    os.rename(os.path.join(d, n + ".tmp"), os.path.join(d, n + ".msg"))
sys.exit(code)
PY
cat >"$T/checkpw" <<'PY'
#!/usr/bin/python3
# stand-in checkpw helper: user "test", password "secret"
import hmac, hashlib, os, sys
data = b""
while True:
    b = os.read(3, 600)
    if not b:
        break
    data += b
f = data.split(b"\0")
if len(f) < 4 or os.environ.get("KURIER_CHECKPW_VERIFYONLY") != "1" or os.environ.get("KURIER_SERVICE") != "smtp":
    sys.exit(2)
user, secret, stamp = f[0], f[1], f[2]
t = os.environ.get("KURIER_AUTHTYPE")
if t == "cram-md5":
    good = hmac.new(b"secret", stamp, hashlib.md5).hexdigest().encode() == secret
else:
    good = secret == b"secret"
if user != b"test" or not good:
    sys.exit(1)
os.execvp(sys.argv[1], sys.argv[1:])
PY
chmod 755 "$T/fakeq" "$T/checkpw"

# tls_keypair - a self-signed certificate and its key in $H/control, the
# key root's alone, as kurier-tlsd reads them
tls_keypair() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$H/control/tlskey.pem" -out "$H/control/tlscert.pem" \
		-days 2 -subj /CN=example.org >/dev/null 2>&1
	chmod 600 "$H/control/tlskey.pem"
	chmod 755 "$H" "$H/control"
}

# smtpd_start NAME [tcpserver options] -- [VAR=value...]
smtpd_start() {
	local name=$1 port opts=() pid; shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	port=$(free_port)
	env -i PATH=/usr/bin:/bin KURIER_HOME="$H" KURIER_PASSWD="$H/passwd" \
	    KURIERQUEUE="$T/fakeq" FAKEQ_DIR="$Q" KURIER_CHECKPW="$T/checkpw" "$@" \
	    tcpserver -H -R -l0 -u "$(id -u nobody)" -g "$(id -g nobody)" "${opts[@]}" \
	    127.0.0.1 "$port" "$SMTPD" 2>>"$T/$name.log" &
	pid=$!
	on_exit "kill $pid"
	eval "PORT_$name=$port PID_$name=$pid"
	wait_port "$port"
}

# queued - number of messages the stand-in queue kept
queued() {
	ls "$Q" | grep -c '\.msg$'
}
