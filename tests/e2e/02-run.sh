#!/bin/bash
# 02-run.sh - what "make run" and "make stop" do, on a scratch conf-home
# with a service of the test's own on a free port: the demo configuration
# (locals, hosteddomains.cdb with example.test, smtpaccess.cdb,
# demo@example.test in
# userdb.cdb whose argon2id hash matches the printed password, a maildir
# owned by kurierv), a second run changing nothing, svscan started in the
# background running the service and its multilog logger as kurierl,
# a second start harmless, and stop leaving no supervise or server behind.
. "$KURIER_SRC/tests/lib.sh"
S=$KURIER_SRC
if [ "$(id -u)" != 0 ]; then skip run "needs root"; exit 0; fi
for p in svscan supervise svc svok tcpserver multilog setuidgid envdir cdb; do
	command -v "$p" >/dev/null || { skip run "no $p (daemontools, ucspi-tcp, tinycdb)"; exit 0; }
done
H=$T/home
# only the common table: what the other directories install is theirs
# to test, and this test is about the demo and the supervision
TABLES=("$S/install/hier.tab")
port=$(free_port)

# a service of our own, installed the way every service is: t entries
printf '#!/bin/sh\nexec 2>&1\nexec envdir ./env sh -c '"'"'exec tcpserver -v -H -R -l0 127.0.0.1 "$PORT" @HOME@/bin/echo-svc'"'"'\n' >"$T/run.in"
printf '#!/bin/sh\nexec setuidgid kurierl multilog t ./main\n' >"$T/logrun.in"
printf '#!/bin/sh\necho "hello from @HOME@"\n' >"$T/echo-svc.in"
echo "$port" >"$T/port.in"
cat >"$T/svc.tab" <<EOF
d service/echo root root 0755
t service/echo/run root root 0755 $T/run.in
d service/echo/env root root 0755
t service/echo/env/PORT root root 0644 $T/port.in
d service/echo/log root root 0755
t service/echo/log/run root root 0755 $T/logrun.in
d service/echo/log/main kurierl kurier 0750
t bin/echo-svc root kurier 0755 $T/echo-svc.in
EOF
on_exit "'$S/install/svscan.sh' stop '$H'"
check_exit "setup of the scratch conf-home" 0 "$S/install/setup.sh" "$H" "$KB" "$S" "${TABLES[@]}" "$T/svc.tab"

# --- the demo configuration ---------------------------------------------------
"$S/install/demo.sh" "$H" "$KB" >"$T/demo1" 2>&1
check "demo configuration exits 0" test $? = 0
pw=$(sed -n 's/^password: *//p' "$T/demo1")
check "a password is printed" test -n "$pw"
check "control/locals names localhost and control/me" \
	test "$(cat "$H/control/locals")" = "localhost
$(cat "$H/control/me")"
check "hosteddomains.cdb holds example.test" cdb -q "$H/control/hosteddomains.cdb" example.test
acc=$(cdb -q "$H/control/smtpaccess.cdb" 127.0.0.1; echo "rc=$?")
check "smtpaccess.cdb lets 127.0.0.1 in without relaying (empty allow record)" test "$acc" = "rc=0"
rec=$(cdb -q "$H/users/userdb.cdb" demo@example.test)
check "userdb.cdb holds demo@example.test with kurierv's uid" \
	grep -q "^uid=$(id -u kurierv)|gid=[0-9]*|home=$H/mail/example.test/demo$" <<<"$rec"
shadow=$(cdb -q "$H/users/userdbshadow.cdb" demo@example.test)
hash=${shadow#systempw=}
if python3 -c 'import sys, ctypes
s = ctypes.CDLL("libsodium.so.23"); s.sodium_init()
sys.exit(s.crypto_pwhash_str_verify(sys.argv[1].encode(), sys.argv[2].encode(), len(sys.argv[2])) != 0)' "$hash" "$pw"; then
	ok "the stored argon2id hash matches the printed password"
else
	notok "the stored argon2id hash matches the printed password" "$shadow"
fi
check "users/userdbshadow.cdb is 0600" test "$(stat -c %a "$H/users/userdbshadow.cdb")" = 600
check "the demo maildir belongs to kurierv" \
	test "$(stat -c '%U %a' "$H/mail/example.test/demo/Maildir/new")" = "kurierv 700"
sum1=$(cat "$H/users/userdb" "$H/control/locals" | sha256sum)
"$S/install/demo.sh" "$H" "$KB" >"$T/demo2" 2>&1
check "a second run prints the same password" test -n "$pw" -a "$(sed -n 's/^password: *//p' "$T/demo2")" = "$pw"
check "a second run changes no source" test "$(cat "$H/users/userdb" "$H/control/locals" | sha256sum)" = "$sum1"
check_exit "instcheck still passes after the demo" 0 "$KB/kurier-install" check "$H" "${TABLES[@]}" "$T/svc.tab"

# --- svscan ---------------------------------------------------------------------
check_exit "svscan starts in the background" 0 "$S/install/svscan.sh" start "$H"
pid=$(cat "$H/service/.svscan.pid")
check "svscan runs in its own session" test "$(ps -o sess= -p "$pid" | tr -d ' ')" = "$pid"
check "the service listens on its env/PORT" wait_port "$port"
reply=$(python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print(s.makefile().readline().strip())' "$port")
check "the service answers as its t-installed script says" test "$reply" = "hello from $H"
"$S/install/svscan.sh" start "$H" >"$T/start2"
check "a second start is harmless" grep -q "already runs" "$T/start2"
check "the second start kept the same svscan" test "$(cat "$H/service/.svscan.pid")" = "$pid"
for i in $(seq 50); do grep -q 'tcpserver: ' "$H/service/echo/log/main/current" 2>/dev/null && break; sleep 0.1; done
check "multilog logs the service with timestamps" grep -q '^@[0-9a-f]\{24\} tcpserver: ' "$H/service/echo/log/main/current"
check "the logger runs as kurierl" test "$(stat -c %U "$H/service/echo/log/main/current")" = kurierl

check_exit "stop exits 0" 0 "$S/install/svscan.sh" stop "$H"
left=$(pgrep -f "supervise (echo|log)$|svscan $H/service|tcpserver .* $port " | while read -r p; do
	[ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$H/service/echo" ] ||
	[ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$H/service/echo/log" ] ||
	[ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$H/service" ] && echo "$p"; done)
check "nothing of the instance runs after stop" test -z "$left"
check "the port is closed after stop" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
