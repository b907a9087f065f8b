#!/bin/bash
# 73-pop3-userdb - the real login chain: kurier-pop3-login runs
# kurier-checkpw over a userdb built by makeuserdb, which executes
# kurier-pop3d as the virtual account, in the maildir its mail= field
# names; mail is delivered there by kurier-maildir.  Checks USER/PASS and
# CRAM-MD5 (poplib and fetchmail "auth cram-md5"), bad and unknown users,
# root, and kurier-pop3d's ids and sandbox.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/pop3d/e2e-common.sh"

CP=$TB/kurier-checkpw
for p in "$LOGIN" "$POP3D" "$CP" "$TB/makeuserdb" "$TB/userdbpw" "$TB/kurier-maildir"; do
	if [ ! -x "$p" ]; then skip pop3-userdb "no $p in the test instance"; exit 0; fi
done
VUID=54331 VGID=54332
H=$T/h V=$T/v
mkdir -p "$H/users" "$H/control" "$V/Maildir/new" "$V/Maildir/cur" "$V/Maildir/tmp"
cp "$T/me" "$H/control/me"
chown -R "$VUID:$VGID" "$V"
chmod 700 "$V"
PW=$(printf 'Sesame-9\n' | "$TB/userdbpw")
HM=$(printf 'Sesame-9\n' | "$TB/userdbpw" -hmac-md5)
cat >"$T/src" <<X
test@pop3.example	uid=$VUID|gid=$VGID|home=$V|mail=$V/Maildir|systempw=$PW|hmac-md5pw=$HM
X
chmod 600 "$T/src"
"$TB/makeuserdb" -f "$T/src" -o "$H/users" || notok makeuserdb "cannot build the test userdb"
echo "afterfail 0" >"$H/control/checkpwlimits"

# (leak checks off for kurier-maildir under ASan: its leaks are its own
# tests' business)
for i in 1 2 3; do
	printf 'From: s@example.org\nSubject: real %s\n\nreal body %s\n.dot\n' "$i" "$i" |
		ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=$VUID --regid=$VGID --clear-groups "$TB/kurier-maildir" "$V/Maildir" ||
		notok "kurier-maildir-$i" "exit $?"
done
ls "$V/Maildir/new" >"$T/names"

port=$(free_port)
env -i PATH=/usr/bin:/bin KURIER_HOME="$H" AUTH_PLAINTEXT_OK=1 \
	tcpserver -H -R -l0 127.0.0.1 "$port" "$LOGIN" "$CP" "$POP3D" 2>>"$T/real.log" &
on_exit "kill $!"
wait_port "$port" || notok real-listens

python3 - "$port" "$T/names" "$VUID" <<'PY'
import base64, hashlib, hmac, os, poplib, re, socket, subprocess, sys, time
port, names, vuid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
def uid_of(n):
    return n if len(n) <= 70 else "X" + hashlib.md5(n.encode()).hexdigest()
delivered = sorted(uid_of(l.strip()) for l in open(names))

p = poplib.POP3("127.0.0.1", port, timeout=30)
p.user("test@pop3.example")
r = p.pass_("Sesame-9")
ok("userdb-user-pass", r.startswith(b"+OK 3 messages"), r)
ok("userdb-stat", p.stat()[0] == 3, p.stat())
u = sorted(l.split()[1].decode() for l in p.uidl()[1])
ok("uidl-of-kurier-maildir-names", u == delivered, (u, delivered))
resp, lines, _ = p.retr(2)
ok("retr-delivered-mail", b"real body 2" in lines and b".dot" in lines, lines)
# kurier-pop3d runs as the account, sandboxed (this session's: MAILDIR
# names this test's maildir, whatever other runs of the suite do)
def ours(pid):
    try:
        env = open("/proc/%s/environ" % pid.decode(), "rb").read().split(b"\0")
    except OSError:
        return False
    return ("MAILDIR=%s/v/Maildir" % os.path.dirname(names)).encode() in env
pids = [x for x in subprocess.run(["pgrep", "-u", str(vuid), "-x", "kurier-pop3d"], capture_output=True).stdout.split() if ours(x)]
st = open("/proc/%s/status" % pids[-1].decode()).read() if pids else ""
ok("pop3d-as-account-sandboxed", re.search(r"Seccomp:\s*2", st) and re.search(r"NoNewPrivs:\s*1", st) and
   re.search(r"Uid:\s*%d\s" % vuid, st), st[:0] or pids)
p.dele(1)
p.quit()
ok("dele-by-account", len(os.listdir(os.path.dirname(names) + "/v/Maildir/cur")) == 2)

s = socket.create_connection(("127.0.0.1", port), timeout=30)
f = s.makefile("rb")
f.readline()
s.sendall(b"AUTH CRAM-MD5\r\n")
stamp = base64.b64decode(f.readline()[2:].strip())
d = hmac.new(b"Sesame-9", stamp, hashlib.md5).hexdigest()
s.sendall(base64.b64encode(b"test@pop3.example " + d.encode()) + b"\r\n")
r = f.readline()
ok("userdb-cram-md5", r.startswith(b"+OK 2 messages"), r)
s.sendall(b"QUIT\r\n")
s.close()

for name, user, pw in (("wrong-password", "test@pop3.example", "nope"),
                       ("unknown-user", "nobody@pop3.example", "Sesame-9"),
                       ("root", "root", "Sesame-9")):
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.user(user)
    try:
        r = p.pass_(pw)
        ok(name + "-refused", False, r)
    except poplib.error_proto as e:
        ok(name + "-refused", b"[AUTH]" in e.args[0], e)
    p.close()
PY
rc=$?
[ "$rc" = 0 ] || notok userdb-script "python exited $rc"

# fetchmail as in the Courier FAQ: protocol POP3, auth cram-md5
if command -v fetchmail >/dev/null; then
	mkdir -p "$T/fm"
	cat >"$T/fetchmailrc" <<X
set no syslog
poll 127.0.0.1 port $port protocol POP3 auth cram-md5 timeout 30
  user "test@pop3.example" password "Sesame-9" is root here keep
  mda "/bin/sh -c 'cat > $T/fm/\$\$.msg'"
  sslproto '' no sslcertck
X
	chmod 600 "$T/fetchmailrc"
	HOME=$T FETCHMAILHOME=$T timeout 60 fetchmail -f "$T/fetchmailrc" --nodetach >"$T/fetchmail.log" 2>&1
	n=$(grep -l 'real body' "$T"/fm/*.msg 2>/dev/null | wc -l)
	if [ "$n" = 2 ]; then ok fetchmail-userdb-cram-md5; else notok fetchmail-userdb-cram-md5 "$n messages: $(tail -3 "$T/fetchmail.log")"; fi
else
	skip fetchmail-userdb "fetchmail is not installed"
fi
