#!/bin/bash
# 85-imap-service - the installed services: install/setup.sh installs a
# scratch conf-home from the common, checkpw, tls and imapd tables; the
# kurier-imapd (STARTTLS) and kurier-imaps (implicit TLS) run scripts are
# started as daemontools would start them, on free ports (env/PORT is a
# configuration file), and a userdb account reads mail delivered by
# kurier-maildir through each: the whole chain tcpserver -x smtpaccess.cdb
# -> kurier-tlsd -> kurier-imap-login -> kurier-checkpw -> kurier-imapd.
. "$KURIER_SRC/tests/lib.sh"
S=$KURIER_SRC
if [ "$(id -u)" != 0 ]; then skip imap-service "needs root"; exit 0; fi
for p in tcpserver tcprules envdir setuidgid multilog; do
	command -v "$p" >/dev/null || { skip imap-service "no $p (daemontools, ucspi-tcp)"; exit 0; }
done
for p in kurier-install kurier-tlsd kurier-checkpw kurier-checkpw-unix kurier-checkpw-pam \
	kurier-imap-login kurier-imapd makeuserdb userdbpw kurier-maildir; do
	[ -x "$TB/$p" ] || { skip imap-service "no $TB/$p"; exit 0; }
done
for t in install/hier.tab checkpw/hier.tab tls/hier.tab imapd/hier.tab; do
	[ -f "$S/$t" ] || { skip imap-service "no $t"; exit 0; }
done
H=$T/inst
"$S/install/setup.sh" "$H" "$TB" "$S" "$S/install/hier.tab" "$S/checkpw/hier.tab" \
	"$S/tls/hier.tab" "$S/imapd/hier.tab" >"$T/setup.log" 2>&1
check_exit "setup installs the imap services" 0 test -x "$H/service/kurier-imapd/run" -a -x "$H/service/kurier-imaps/run"
check "the run script names the installed chain" grep -q "$H/bin/kurier-tlsd $H/bin/kurier-imap-login" "$H/service/kurier-imapd/run"
check "kurier-imaps uses implicit TLS" grep -q "kurier-tlsd -i" "$H/service/kurier-imaps/run"
check "the demo ports are the defaults" test "$(cat "$H/service/kurier-imapd/env/PORT") $(cat "$H/service/kurier-imaps/env/PORT")" = "2143 2993"
check "man pages installed" test -f "$H/man/man8/kurier-imap-login.8" -a -f "$H/man/man8/kurier-imapd.8" -a -f "$H/man/man5/kurier-uidlist.5"

# the account, its mail, the access rules
VU=$(id -u kurierv) VG=$(id -g kurierv)
M=$H/mail/t
mkdir -p "$M/Maildir/new" "$M/Maildir/cur" "$M/Maildir/tmp"
chown -R "$VU:$VG" "$M"
chmod 700 "$M"
printf 'test@imap.example\tuid=%s|gid=%s|home=%s|mail=%s/Maildir|systempw=%s\n' \
	"$VU" "$VG" "$M" "$M" "$(printf 'Sesame-9\n' | "$TB/userdbpw")" >"$T/src"
chmod 600 "$T/src"
"$TB/makeuserdb" -f "$T/src" -o "$H/users" || notok makeuserdb "exit $?"
echo "afterfail 0" >"$H/control/checkpwlimits"
printf '127.0.0.1:allow\n:deny\n' | tcprules "$H/control/smtpaccess.cdb" "$H/control/smtpaccess.tmp"
printf 'From: s@example.org\nSubject: via the service\n\nservice body\n' |
	ASAN_OPTIONS=detect_leaks=0 setpriv --reuid="$VU" --regid="$VG" --clear-groups "$TB/kurier-maildir" "$M/Maildir" ||
	notok deliver "kurier-maildir exit $?"

# start both run scripts as supervise would, on free ports; the test
# binaries have another conf-home compiled in, so KURIER_HOME points here
for s in kurier-imapd kurier-imaps; do
	port=$(free_port)
	echo "$port" >"$H/service/$s/env/PORT"
	echo "$H" >"$H/service/$s/env/KURIER_HOME"
	(cd "$H/service/$s" && exec env - PATH=/usr/bin:/bin ./run >"$T/$s.log" 2>&1) &
	on_exit "kill $!"
	eval "PORT_${s#kurier-}=$port"
	wait_port "$port" || notok "$s-listens" "$(cat "$T/$s.log")"
done

python3 - "$PORT_imapd" "$PORT_imaps" <<'PY'
import imaplib, ssl, sys
plain, tls = map(int, sys.argv[1:3])
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
M = imaplib.IMAP4("127.0.0.1", plain, timeout=30)
ok("service-offers-starttls-logindisabled", "STARTTLS" in M.capabilities and "LOGINDISABLED" in M.capabilities, M.capabilities)
M.starttls(ssl_context=ctx)
ok("service-starttls-login", M.login("test@imap.example", "Sesame-9")[0] == "OK")
typ, dat = M.select("INBOX")
ok("service-select", dat == [b"1"], dat)
ok("service-fetch", b"service body" in M.fetch("1", "(BODY[TEXT])")[1][0][1])
M.logout()
M = imaplib.IMAP4_SSL("127.0.0.1", tls, ssl_context=ctx, timeout=30)
ok("service-imaps-login", M.login("test@imap.example", "Sesame-9")[0] == "OK")
M.logout()
PY
rc=$?
[ "$rc" = 0 ] || notok service-script "python exited $rc"
if grep -q 'tcpserver: status' "$T/kurier-imapd.log"; then ok service-logs-tcpserver; else notok service-logs-tcpserver "$(head -3 "$T/kurier-imapd.log")"; fi
