#!/bin/bash
# 32-checkpw-dovecot.sh - Dovecot as a caller of kurier-checkpw: a private
# dovecot (Debian dovecot-imapd) on 127.0.0.1 with its own base_dir and
# configuration, passdb checkpassword running kurier-checkpw (Dovecot's
# own form: the helper, then its checkpassword-reply), userdb prefetch, so
# the uid, gid and home Dovecot uses are the ones kurier-checkpw set.  Real
# IMAP logins through Python's imaplib: systempw, the per-service imappw
# (Dovecot sets SERVICE=imap), a wrong password, an unknown user, and a
# chain to kurier-checkpw-unix.  checkpassword-reply runs as the account,
# so Dovecot's INSECURE_SETUID is set (see kurier-checkpw(8), DOVECOT).
. "$KURIER_SRC/tests/lib.sh"
DOVECOT=$(command -v dovecot || echo /usr/sbin/dovecot)
REPLY=/usr/lib/dovecot/checkpassword-reply
if [ ! -x "$DOVECOT" ] || [ ! -x "$REPLY" ]; then
	skip "dovecot: IMAP login through kurier-checkpw" "dovecot-imapd not installed"
	exit 0
fi
if ! id dovenull >/dev/null 2>&1 || ! id dovecot >/dev/null 2>&1; then
	skip "dovecot: IMAP login through kurier-checkpw" "the dovecot and dovenull users are missing"
	exit 0
fi
H=$T/h D=$T/dovecot VUID=54331 VGID=54332
mkdir -p "$H/users" "$H/control" "$D/run" "$D/state" "$T/v/alice" "$T/uh"
chmod 755 "$D" "$D/run"
echo "afterfail 0" >"$H/control/checkpwlimits"
chown -R "$VUID:$VGID" "$T/v/alice"
A=$(printf 'Secret-1\n' | "$TB/userdbpw") I=$(printf 'imap-pw\n' | "$TB/userdbpw")
printf 'alice@example.org\tuid=%s|gid=%s|home=%s|systempw=%s|imappw=%s\n' "$VUID" "$VGID" "$T/v/alice" "$A" "$I" >"$T/src"
chmod 600 "$T/src"
# the cdbs are what matters here (makeuserdb has its own test, 22)
"$TB/makeuserdb" -f "$T/src" -o "$H/users" 2>>"$T/mkudb.err"
[ -s "$H/users/userdb.cdb" ] && [ -s "$H/users/userdbshadow.cdb" ] || notok "dovecot: makeuserdb" "cannot build the userdb: $(head -c 300 "$T/mkudb.err")"
C6=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("unix-pw", "$6$kurierkurier$"))')
chown "$VUID:$VGID" "$T/uh"
printf 'erin:x:%s:%s::%s:/bin/sh\n' "$VUID" "$VGID" "$T/uh" >"$T/passwd"
printf 'erin:%s:19000:0:99999:7:::\n' "$C6" >"$T/shadow"

PORT=$(free_port)
cat >"$D/dovecot.conf" <<X
base_dir = $D/run
state_dir = $D/state
log_path = $D/log
info_log_path = $D/log
instance_name = kurier-test-$$
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
mail_location = maildir:~/Maildir
first_valid_uid = 1000
# checkpassword-reply refuses to run under a uid other than the auth
# process's unless INSECURE_SETUID is set (kurier-checkpw(8), DOVECOT)
import_environment = TZ INSECURE_SETUID=1 KURIER_HOME=$H KURIER_PASSWD=$T/passwd KURIER_SHADOW=$T/shadow
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
# no address-space limit on the helpers: an ASan build reserves terabytes
service auth {
  user = root
  vsz_limit = 0
}
service anvil {
  chroot =
}
passdb {
  driver = checkpassword
  args = $TB/kurier-checkpw $TB/kurier-checkpw-unix
}
userdb {
  driver = prefetch
}
X
"$DOVECOT" -c "$D/dovecot.conf" -F 2>>"$D/stderr" &
DPID=$!
on_exit "kill $DPID; sleep 0.5; kill -9 $DPID"
if ! wait_port "$PORT"; then
	notok "dovecot: the private dovecot starts" "$(tail -5 "$D/log" "$D/stderr" 2>/dev/null)"
	exit 0
fi
ok "dovecot: the private dovecot starts"

# imap USER PASSWORD - log in, select INBOX, print "ok", or "no: reason"
imap() {
	python3 - "$PORT" "$1" "$2" <<'PY'
import imaplib, sys
try:
    m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=20)
    m.login(sys.argv[2], sys.argv[3])
    typ, _ = m.select("INBOX")
    print("ok" if typ == "OK" else "no: select " + typ)
    m.logout()
except imaplib.IMAP4.error as e:
    print("no:", e)
except Exception as e:
    print("error:", e)
PY
}
r=$(imap alice@example.org Secret-1)
check "dovecot: IMAP login with systempw through kurier-checkpw ($r)" test "$r" = ok
check "dovecot: Dovecot used the uid and home kurier-checkpw set (maildir created as $VUID)" \
	test "$(stat -c %u "$T/v/alice/Maildir" 2>/dev/null)" = "$VUID"
r=$(imap alice@example.org imap-pw)
check "dovecot: the per-service imappw works (SERVICE=imap) ($r)" test "$r" = ok
r=$(imap erin unix-pw)
check "dovecot: a system account through the chain to kurier-checkpw-unix ($r)" test "$r" = ok
# failures last: Dovecot's own penalty slows every later login from this address
r=$(imap alice@example.org wrong-pw)
case $r in "no:"*) ok "dovecot: a wrong password is refused";; *) notok "dovecot: a wrong password is refused" "$r";; esac
r=$(imap ghost@example.org Secret-1)
case $r in "no:"*) ok "dovecot: an unknown user is refused";; *) notok "dovecot: an unknown user is refused" "$r";; esac
grep -q 'kurier-checkpw: info: login failed: alice@example.org' "$D/log" "$D/stderr" 2>/dev/null &&
	ok "dovecot: kurier-checkpw's failure line reaches Dovecot's log" ||
	notok "dovecot: kurier-checkpw's failure line reaches Dovecot's log" "$(grep -i checkpw "$D/log" | tail -3)"

# --- the second form: verify-only with a static userdb, no INSECURE_SETUID -----------------------------
D2=$T/dovecot2 PORT2=$(free_port)
mkdir -p "$D2/run" "$D2/state" "$T/v/static"
chmod 755 "$D2" "$D2/run"
chown "$VUID:$VGID" "$T/v/static"
sed -e "s|$D/|$D2/|g" -e "s|port = $PORT|port = $PORT2|" -e "s|instance_name = .*|instance_name = kurier-test2-$$|" \
    -e "s|INSECURE_SETUID=1|KURIER_CHECKPW_VERIFYONLY=1|" "$D/dovecot.conf" |
	sed -e '/^userdb {/,/^}/d' >"$D2/dovecot.conf"
printf 'userdb {\n  driver = static\n  args = uid=%s gid=%s home=%s\n}\n' "$VUID" "$VGID" "$T/v/static" >>"$D2/dovecot.conf"
"$DOVECOT" -c "$D2/dovecot.conf" -F 2>>"$D2/stderr" &
DPID2=$!
on_exit "kill $DPID2; sleep 0.5; kill -9 $DPID2"
if wait_port "$PORT2"; then
	PORT=$PORT2
	r=$(imap alice@example.org Secret-1)
	check "dovecot: verify-only with a static userdb logs in ($r)" test "$r" = ok
	check "dovecot: ... with the static userdb's uid" test "$(stat -c %u "$T/v/static/Maildir" 2>/dev/null)" = "$VUID"
	r=$(imap alice@example.org wrong-pw)
	case $r in "no:"*) ok "dovecot: verify-only refuses a wrong password";; *) notok "dovecot: verify-only refuses a wrong password" "$r";; esac
else
	notok "dovecot: the second private dovecot starts" "$(tail -5 "$D2/log" "$D2/stderr" 2>/dev/null)"
fi
