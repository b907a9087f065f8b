#!/bin/bash
# 34-checkpw-debian.sh - Debian's checkpw (the checkpassword program of
# the checkpw package, which reads ~/Maildir/.password) as the callee of
# kurier's login programs: kurier-pop3-login and kurier-imap-login run it
# in place of kurier-checkpw, and it executes kurier-pop3d / kurier-imapd
# as the system account in its home.  Proves the login programs speak
# plain checkpassword (fd 3 user\0password\0stamp\0, exit 1 on a bad
# password) to a helper that is not kurier's.
. "$KURIER_SRC/tests/lib.sh"
if [ "$(id -u)" != 0 ]; then skip checkpw-debian "needs root (a system account, ids to drop to)"; exit 0; fi
CPW=/usr/bin/checkpw
for p in "$CPW" "$TB/kurier-pop3-login" "$TB/kurier-pop3d" "$TB/kurier-imap-login" "$TB/kurier-imapd"; do
	if [ ! -x "$p" ]; then skip checkpw-debian "no $p"; exit 0; fi
done

# a system account with a maildir, one message, and checkpw's password file
U=kcpw$$
HOMEDIR=$T/home-$U
useradd -M -d "$HOMEDIR" -s /bin/sh "$U" || { notok checkpw-debian "useradd $U"; exit 0; }
on_exit "userdel $U"
mkdir -p "$HOMEDIR/Maildir/new" "$HOMEDIR/Maildir/cur" "$HOMEDIR/Maildir/tmp"
printf 'From: a@example.org\nSubject: for debian checkpw\n\nhello from kurier\n' \
	>"$HOMEDIR/Maildir/new/1700000000.M1P1.test,S=64"
printf 'Open-Sesame-3\n' >"$HOMEDIR/Maildir/.password"
chown -R "$U:" "$HOMEDIR"
chmod 700 "$HOMEDIR" "$HOMEDIR/Maildir"
chmod 600 "$HOMEDIR/Maildir/.password"
uid=$(id -u "$U")

# serve NAME LOGIN SERVER - tcpserver as root, plaintext logins allowed; sets PORT_NAME
serve() {
	local port
	port=$(free_port)
	env -i PATH=/usr/bin:/bin AUTH_PLAINTEXT_OK=1 \
		tcpserver -H -R -l0 127.0.0.1 "$port" "$2" "$CPW" "$3" 2>>"$T/$1.log" &
	on_exit "kill $!"
	wait_port "$port" || { notok "checkpw-debian: $1 listens" "$(tail -3 "$T/$1.log")"; exit 0; }
	eval "PORT_$1=$port"
}
serve pop3 "$TB/kurier-pop3-login" "$TB/kurier-pop3d"
serve imap "$TB/kurier-imap-login" "$TB/kurier-imapd"

python3 - "$PORT_pop3" "$PORT_imap" "$U" "$uid" <<'PY' || notok "checkpw-debian: the client script" "exit $?"
import imaplib, poplib, subprocess, sys
pport, iport, user, uid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def ok(name, cond, why=""):
    print(("ok checkpw-debian: %s" % name) if cond else ("not ok checkpw-debian: %s: %s" % (name, why)))
    sys.stdout.flush()

p = poplib.POP3("127.0.0.1", pport, timeout=30)
p.user(user)
try:
    r = p.pass_("Open-Sesame-3")
except poplib.error_proto as e:
    r = str(e).encode()
ok("POP3 login through Debian's checkpw", r.startswith(b"+OK"), r)
if r.startswith(b"+OK"):
    ok("POP3 sees the account's message", p.stat()[0] == 1, p.stat())
    lines = p.retr(1)[1]
    ok("POP3 RETR gives its body", b"hello from kurier" in lines, lines)
    pids = subprocess.run(["pgrep", "-u", uid, "-x", "kurier-pop3d"], capture_output=True).stdout.split()
    ok("kurier-pop3d runs as the account checkpw set up", len(pids) >= 1, pids)
    p.quit()
p = poplib.POP3("127.0.0.1", pport, timeout=30)
p.user(user)
try:
    p.pass_("wrong-password")
    ok("POP3 wrong password refused", False, "accepted")
except poplib.error_proto as e:
    ok("POP3 wrong password refused", str(e).startswith("b'-ERR"), e)
p.close()

m = imaplib.IMAP4("127.0.0.1", iport, timeout=30)
try:
    typ, _ = m.login(user, "Open-Sesame-3")
except imaplib.IMAP4.error as e:
    typ = "NO %s" % e
ok("IMAP login through Debian's checkpw", typ == "OK", typ)
if typ == "OK":
    typ, d = m.select("INBOX", readonly=True)
    ok("IMAP sees the account's message", typ == "OK" and d[0] == b"1", (typ, d))
    typ, d = m.fetch("1", "(BODY.PEEK[TEXT])")
    ok("IMAP FETCH gives its body", typ == "OK" and b"hello from kurier" in d[0][1], d)
    m.logout()
m = imaplib.IMAP4("127.0.0.1", iport, timeout=30)
try:
    m.login(user, "wrong-password")
    ok("IMAP wrong password refused", False, "accepted")
except imaplib.IMAP4.error:
    ok("IMAP wrong password refused", True)
PY
