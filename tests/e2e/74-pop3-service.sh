#!/bin/bash
# 74-pop3-service - the installed services: install/setup.sh installs a
# scratch conf-home from the common, checkpw, tls and pop3d tables; the
# kurier-pop3d (STLS) and kurier-pop3s (implicit TLS) run scripts are
# started as daemontools would start them, on free ports (env/PORT is a
# configuration file), and a userdb account reads mail delivered by
# kurier-maildir through each: the whole chain tcpserver -x smtpaccess.cdb
# -> kurier-tlsd -> kurier-pop3-login -> kurier-checkpw -> kurier-pop3d.
. "$KURIER_SRC/tests/lib.sh"
S=$KURIER_SRC
if [ "$(id -u)" != 0 ]; then skip pop3-service "needs root"; exit 0; fi
for p in tcpserver tcprules envdir setuidgid multilog; do
	command -v "$p" >/dev/null || { skip pop3-service "no $p (daemontools, ucspi-tcp)"; exit 0; }
done
for p in kurier-install kurier-tlsd kurier-checkpw kurier-checkpw-unix kurier-checkpw-pam \
	kurier-pop3-login kurier-pop3d makeuserdb userdbpw kurier-maildir; do
	[ -x "$TB/$p" ] || { skip pop3-service "no $TB/$p"; exit 0; }
done
for t in install/hier.tab checkpw/hier.tab tls/hier.tab pop3d/hier.tab; do
	[ -f "$S/$t" ] || { skip pop3-service "no $t"; exit 0; }
done
H=$T/inst
"$S/install/setup.sh" "$H" "$TB" "$S" "$S/install/hier.tab" "$S/checkpw/hier.tab" \
	"$S/tls/hier.tab" "$S/pop3d/hier.tab" >"$T/setup.log" 2>&1
check_exit "setup installs the pop3 services" 0 test -x "$H/service/kurier-pop3d/run" -a -x "$H/service/kurier-pop3s/run"
check "the run script names the installed chain" grep -q "$H/bin/kurier-tlsd $H/bin/kurier-pop3-login" "$H/service/kurier-pop3d/run"
check "kurier-pop3s uses implicit TLS" grep -q "kurier-tlsd -i" "$H/service/kurier-pop3s/run"
check "the demo ports are the defaults" test "$(cat "$H/service/kurier-pop3d/env/PORT") $(cat "$H/service/kurier-pop3s/env/PORT")" = "2110 2995"
check "man pages installed" test -f "$H/man/man8/kurier-pop3-login.8" -a -f "$H/man/man8/kurier-pop3d.8" -a -f "$H/man/man5/kurier-pop3sizes.5"

# the account, its mail, the access rules
VU=$(id -u kurierv) VG=$(id -g kurierv)
M=$H/mail/t
mkdir -p "$M/Maildir/new" "$M/Maildir/cur" "$M/Maildir/tmp"
chown -R "$VU:$VG" "$M"
chmod 700 "$M"
printf 'test@pop3.example\tuid=%s|gid=%s|home=%s|mail=%s/Maildir|systempw=%s\n' \
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
for s in kurier-pop3d kurier-pop3s; do
	port=$(free_port)
	echo "$port" >"$H/service/$s/env/PORT"
	echo "$H" >"$H/service/$s/env/KURIER_HOME"
	(cd "$H/service/$s" && exec env - PATH=/usr/bin:/bin ./run >"$T/$s.log" 2>&1) &
	on_exit "kill $!"
	eval "PORT_${s#kurier-}=$port"
	wait_port "$port" || notok "$s-listens" "$(cat "$T/$s.log")"
done

python3 - "$PORT_pop3d" "$PORT_pop3s" <<'PY'
import poplib, ssl, sys
plain, tls = map(int, sys.argv[1:3])
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3("127.0.0.1", plain, timeout=30)
c = p.capa()
ok("service-offers-stls-not-user", "STLS" in c and "USER" not in c, c)
p.stls(context=ctx)
p.user("test@pop3.example")
ok("service-stls-login", p.pass_("Sesame-9").startswith(b"+OK 1 messages"))
ok("service-retr", b"service body" in p.retr(1)[1])
p.quit()
p = poplib.POP3_SSL("127.0.0.1", tls, context=ctx, timeout=30)
p.user("test@pop3.example")
ok("service-pop3s-login", p.pass_("Sesame-9").startswith(b"+OK 1 messages"))
p.quit()
PY
rc=$?
[ "$rc" = 0 ] || notok service-script "python exited $rc"
if grep -q 'tcpserver: status' "$T/kurier-pop3d.log"; then ok service-logs-tcpserver; else notok service-logs-tcpserver "$(head -3 "$T/kurier-pop3d.log")"; fi
