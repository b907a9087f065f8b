# pop3d/e2e-common.sh - shared set-up for the POP3 end-to-end tests
# (tests/e2e/7*-pop3*.sh); source it after tests/lib.sh.  It gives:
#   $LOGIN $POP3D   the test instance's kurier-pop3-login and kurier-pop3d
#   $MD             a maildir owned by nobody, the stand-in account's
#   $T/checkpw      a stand-in checkpw helper (the real chain is used where
#                   the test instance has it): user "test" password
#                   "secret" for USER/PASS, PLAIN, CRAM-MD5 and APOP (the
#                   APOP digest needs the clear password, which only a
#                   stand-in has); it becomes nobody with MAILDIR=$MD.
#                   User "root" password "rootpw" stays root, so that
#                   kurier-pop3d's own refusal of root is what is tested.
#                   User "slow" hangs for a minute.
#   pop3_start NAME [VAR=value...]
#                   tcpserver -H -R -l0 (as root, as in service/) on a free
#                   port running kurier-pop3-login with the stand-in chain;
#                   sets PORT_<NAME>; log lines in $T/NAME.log
#   deliver [FILE]  put a message (stdin or FILE) into $MD/new the way a
#                   maildir delivery does (tmp/, then a Courier-style
#                   unique name with ,S=size); prints the unique name
LOGIN=$TB/kurier-pop3-login
POP3D=$TB/kurier-pop3d
MD=$T/Maildir
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
chown -R nobody "$MD"
printf 'pop3.example\n' >"$T/me"
mkdir -p "$T/home/control" && cp "$T/me" "$T/home/control/me"

cat >"$T/checkpw" <<'PY'
#!/usr/bin/python3
# stand-in checkpw helper for the POP3 tests
import hashlib, hmac, os, pwd, sys
data = b""
while True:
    b = os.read(3, 600)
    if not b:
        break
    data += b
f = data.split(b"\0")
if len(f) != 4 or f[3] != b"" or os.environ.get("KURIER_SERVICE") != "pop3":
    sys.exit(2)
user, secret, stamp = f[0], f[1], f[2]
t = os.environ.get("KURIER_AUTHTYPE")
log = os.environ.get("CHECKPW_LOG")
if log:
    with open(log, "a") as l:
        l.write("%s %s\n" % (t, user.decode("latin-1")))
def good(pw):
    if t == "cram-md5":
        return hmac.new(pw, stamp, hashlib.md5).hexdigest().encode() == secret
    if t == "apop":
        return hashlib.md5(stamp + pw).hexdigest().encode() == secret
    if t in ("login", "plain"):
        return secret == pw
    return False
if user == b"slow":
    import time
    time.sleep(60)	# a helper that hangs: kurier-pop3-login must give up
if user == b"test" and good(b"secret"):
    nb = pwd.getpwnam("nobody")
    os.environ.update(USER="test", HOME=os.path.dirname(os.environ["TEST_MAILDIR"]),
                      MAILDIR=os.environ["TEST_MAILDIR"], AUTHENTICATED="test")
    os.setgroups([])
    os.setgid(nb.pw_gid)
    os.setuid(nb.pw_uid)
elif user == b"root" and good(b"rootpw"):
    os.environ.update(USER="root", HOME="/root", MAILDIR=os.environ["TEST_MAILDIR"])
else:
    sys.exit(1)
os.execv(sys.argv[1], sys.argv[1:])
PY
chmod 755 "$T/checkpw"

# pop3_start NAME [VAR=value...]
pop3_start() {
	local name=$1 port pid; shift
	port=$(free_port)
	env -i PATH=/usr/bin:/bin KURIER_HOME="$T/home" TEST_MAILDIR="$MD" "$@" \
	    tcpserver -H -R -l0 127.0.0.1 "$port" \
	    "$LOGIN" "$T/checkpw" "$POP3D" 2>>"$T/$name.log" &
	pid=$!
	on_exit "kill $pid"
	eval "PORT_$name=$port PID_$name=$pid"
	wait_port "$port"
}

# deliver [FILE] - one message into $MD/new; prints its unique name
deliver() {
	local src=${1:-}
	if [ -z "$src" ]; then src=$T/deliver.in; cat >"$src"; fi
	python3 "$T/deliver.py" "$MD" "$src"
}
cat >"$T/deliver.py" <<'PY'
# deliver.py MAILDIR FILE - the message in FILE into MAILDIR/new; prints its unique name
import os, sys, time
md, src = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
t = time.time()
tmp = os.path.join(md, "tmp", "%d.%d.tmp" % (os.getpid(), int(t * 1e6)))
with open(tmp, "wb") as f:
    f.write(data)
st = os.stat(tmp)
uniq = "%d.M%dP%dV%016XI%016X_0.%s,S=%d" % (int(t), int((t % 1) * 1e6), os.getpid(),
        st.st_dev, st.st_ino, "pop3.example", len(data))
os.rename(tmp, os.path.join(md, "new", uniq))
os.chown(os.path.join(md, "new", uniq), 65534, -1)
print(uniq)
PY
