#!/bin/bash
# 31-checkpw-unix-pam.sh - kurier-checkpw-unix and kurier-checkpw-pam end
# to end, and chains: $6$ from a shadow file, uid 0 and uids below the
# minimum refused (SECURITY.md 35), expired and locked accounts, an
# unreadable shadow file is 111 (34); PAM through pam_exec and through
# pam_unix with a real account; a chain of two helpers where the first
# does not know the user, and where it knows the user and rejects (no
# hand-on); Debian's checkpw as the last helper; the rules of a setuid
# helper (environment ignored, foreign next helpers refused, verify-only
# gives root back).
. "$KURIER_SRC/tests/lib.sh"
CP=$TB/kurier-checkpw CU=$TB/kurier-checkpw-unix CPAM=$TB/kurier-checkpw-pam
H=$T/h
mkdir -p "$H/users" "$H/control" "$T/out" "$T/uh"
chmod 777 "$T/out"
echo "afterfail 0" >"$H/control/checkpwlimits"
export KURIER_HOME=$H
unset TCPREMOTEIP KURIER_SERVICE SERVICE KURIER_AUTHTYPE KURIER_CHECKPW_VERIFYONLY KURIER_MINUID

h6() { python3 -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], "$6$kurierkurier$"))' "$1"; }
C=$(h6 carol-pw) R=$(h6 root-pw) D=$(h6 dave-pw)
cat >"$T/passwd" <<X
root:x:0:0:root:/root:/bin/bash
carol:x:2001:2001:Carol:$T/uh:/bin/bash
dave:x:500:500:Dave:$T/uh:/bin/sh
old:x:2002:2002::$T/uh:/bin/sh
lock:x:2003:2003::$T/uh:/bin/sh
noshadow:x:2004:2004::$T/uh:/bin/sh
X
cat >"$T/shadow" <<X
root:$R:19000:0:99999:7:::
carol:$C:19000:0:99999:7:::
dave:$D:19000:0:99999:7:::
old:$C:19000:0:99999:7::1:
lock:!$C:19000:0:99999:7:::
X
export KURIER_PASSWD=$T/passwd KURIER_SHADOW=$T/shadow
chmod 755 "$T/uh"

# userdb knows carol@example.org, and also "carol" with another password
A=$(printf 'userdb-pw\n' | "$TB/userdbpw")
printf 'carol@example.org\tuid=3001|gid=3001|home=%s|systempw=%s\ncarol\tuid=3001|gid=3001|home=%s|systempw=%s\n' \
	"$T/uh" "$A" "$T/uh" "$A" >"$T/src"
chmod 600 "$T/src"
# the cdbs are what matters here (makeuserdb has its own test, 22)
"$TB/makeuserdb" -f "$T/src" -o "$H/users" 2>>"$T/mkudb.err"
[ -s "$H/users/userdb.cdb" ] && [ -s "$H/users/userdbshadow.cdb" ] || notok "checkpw-unix: makeuserdb" "cannot build the userdb: $(head -c 300 "$T/mkudb.err")"

req() { printf '%s\0%s\0\0' "$1" "$2"; }
# run NAME CODE LOGIN PASSWORD CMD... - feed the request to CMD, expect CODE; the program writes $T/out/ran
run() {
	local name=$1 want=$2 l=$3 p=$4 got; shift 4
	rm -f "$T/out/ran"
	req "$l" "$p" >"$T/in"; chmod 644 "$T/in"
	"$@" /bin/sh -c 'echo "$(id -u) $(id -g) $USER $HOME $MAILDIR" >"$0"' "$T/out/ran" 3<"$T/in" 2>>"$T/log"
	got=$?
	if [ "$got" != "$want" ]; then notok "$name" "exit $got, wanted $want"
	elif [ "$want" = 0 ] && [ ! -e "$T/out/ran" ]; then notok "$name" "exit 0 but the program did not run"
	elif [ "$want" != 0 ] && [ -e "$T/out/ran" ]; then notok "$name" "exit $got but the program ran"
	else ok "$name"; fi
}

# --- kurier-checkpw-unix ------------------------------------------------------------
run "checkpw-unix: \$6\$ login" 0 carol carol-pw "$CU"
check "checkpw-unix: the program runs as carol with her home and maildir" \
	test "$(cat "$T/out/ran")" = "2001 2001 carol $T/uh $T/uh/Maildir"
run "checkpw-unix: wrong password is 1" 1 carol carol-PW "$CU"
run "checkpw-unix: unknown user is 1" 1 nosuch carol-pw "$CU"
run "checkpw-unix: root with the right password is 1" 1 root root-pw "$CU"
run "checkpw-unix: root is 1 even with KURIER_MINUID=0" 1 root root-pw env KURIER_MINUID=0 "$CU"
run "checkpw-unix: uid 500 below the default minimum 1000 is 1" 1 dave dave-pw "$CU"
echo 400 >"$H/control/minuid"
run "checkpw-unix: control/minuid 400 lets uid 500 in" 0 dave dave-pw "$CU"
echo 600 >"$H/control/minuid"
run "checkpw-unix: control/minuid 600 keeps uid 500 out" 1 dave dave-pw "$CU"
run "checkpw-unix: KURIER_MINUID overrides control/minuid" 0 dave dave-pw env KURIER_MINUID=100 "$CU"
echo lots >"$H/control/minuid"
run "checkpw-unix: a control/minuid that is not a number is 111" 111 carol carol-pw "$CU"
rm "$H/control/minuid"
run "checkpw-unix: an expired account is 1" 1 old carol-pw "$CU"
run "checkpw-unix: a locked (!) hash is 1" 1 lock carol-pw "$CU"
run "checkpw-unix: passwd x without a shadow entry is 1" 1 noshadow x "$CU"
run "checkpw-unix: CRAM-MD5 is 1" 1 carol carol-pw env KURIER_AUTHTYPE=cram-md5 "$CU"
run "checkpw-unix: shadow unreadable is 111" 111 carol carol-pw env KURIER_SHADOW="$T/uh" "$CU"
run "checkpw-unix: shadow missing is 111" 111 carol carol-pw env KURIER_SHADOW="$T/nofile" "$CU"
run "checkpw-unix: passwd file missing is 111" 111 carol carol-pw env KURIER_PASSWD="$T/nofile" "$CU"
run "checkpw-unix: 513 bytes is 2" 2 carol "$(head -c 510 /dev/zero | tr '\0' x)" "$CU"

# --- chains of two helpers ---------------------------------------------------------------
run "chain: the first helper (userdb) logs carol@example.org in" 0 carol@example.org userdb-pw "$CP" "$CU"
run "chain: a user only unix knows is handed on and logs in" 0 dave dave-pw env KURIER_MINUID=100 "$CP" "$CU"
check "chain: the second helper set up the unix account" test "$(cut -d' ' -f1,3 "$T/out/ran")" = "500 dave"
run "chain: userdb knows carol and rejects the unix password: 1, not handed on" 1 carol carol-pw "$CP" "$CU"
run "chain: the userdb password works for carol" 0 carol userdb-pw "$CP" "$CU"
check "chain: ... as the userdb account" test "$(cut -d' ' -f1 "$T/out/ran")" = 3001
run "chain: unknown to both is 1" 1 nosuch x "$CP" "$CU"
run "chain: with -- separator" 0 dave dave-pw env KURIER_MINUID=100 "$CP" "$CU" --
run "chain: a foreign helper before another helper is 2" 2 dave dave-pw "$CP" /bin/true "$CU" --
run "chain: three helpers, the third knows the user" 0 dave dave-pw env KURIER_MINUID=100 "$CP" "$CP" "$CU"

# --- kurier-checkpw-pam through pam_exec -------------------------------------------------------
mkdir -p "$T/pam.d"
cat >"$T/pamcheck" <<'PY'
#!/usr/bin/python3
# PAM stand-in: carol's PAM password is pam-pw
import os, sys
pw = sys.stdin.buffer.read().split(b"\0")[0].rstrip(b"\n")
sys.exit(0 if os.environ.get("PAM_USER") == "carol" and pw == b"pam-pw" else 1)
PY
chmod 755 "$T/pamcheck"
# pam_exec turns any failure of the program into PAM_SYSTEM_ERR: route it to pam_deny
printf 'auth [success=1 default=ignore] pam_exec.so expose_authtok quiet %s\nauth requisite pam_deny.so\nauth required pam_permit.so\naccount required pam_permit.so\n' "$T/pamcheck" >"$T/pam.d/kurier"
printf 'auth required pam_deny.so\naccount required pam_permit.so\n' >"$T/pam.d/deny"
export KURIER_PAM_CONFDIR=$T/pam.d
if [ -e /lib/x86_64-linux-gnu/security/pam_exec.so ] || [ -e /usr/lib/x86_64-linux-gnu/security/pam_exec.so ] ||
   ls /lib/*/security/pam_exec.so /usr/lib/*/security/pam_exec.so >/dev/null 2>&1; then
	run "checkpw-pam: PAM accepts the password" 0 carol pam-pw "$CPAM"
	check "checkpw-pam: passwd supplies the account" test "$(cat "$T/out/ran")" = "2001 2001 carol $T/uh $T/uh/Maildir"
	run "checkpw-pam: PAM rejects a wrong password" 1 carol carol-pw "$CPAM"
	echo deny >"$H/control/checkpwpam"
	run "checkpw-pam: control/checkpwpam picks the service" 1 carol pam-pw "$CPAM"
	rm -f "$H/control/checkpwpam"
	run "checkpw-pam: KURIER_PAM_SERVICE picks the service" 1 carol pam-pw env KURIER_PAM_SERVICE=deny "$CPAM"
	run "checkpw-pam: a missing service file is PAM's 'other', which here does not exist: not 0" 111 carol pam-pw \
		env KURIER_PAM_SERVICE=nosuchservice "$CPAM"
	printf 'carol:x:0:0::%s:/bin/sh\n' "$T/uh" >"$T/rootpw"
	run "checkpw-pam: uid 0 is refused even when PAM says yes" 1 carol pam-pw env KURIER_PASSWD="$T/rootpw" "$CPAM"
	run "checkpw-pam: uid below the minimum is refused" 1 carol pam-pw env KURIER_MINUID=5000 "$CPAM"
	run "checkpw-pam: CRAM-MD5 is 1" 1 carol pam-pw env KURIER_AUTHTYPE=cram-md5 "$CPAM"
	run "checkpw-pam: a user passwd does not know goes to the next helper" 0 carol@example.org userdb-pw "$CPAM" "$CP"
else
	skip "checkpw-pam: PAM tests" "pam_exec.so not installed"
fi
unset KURIER_PAM_CONFDIR

# --- a real system account: passwd/shadow, pam_unix, Debian's checkpw ---------------------------------
U=kcpw$$ UIDN=$((61000 + $$ % 3000))
if command -v useradd >/dev/null && useradd -M -N -g nogroup -u "$UIDN" -d "$T/dh" -s /bin/sh "$U" 2>>"$T/log"; then
	on_exit "userdel $U"
	mkdir -p "$T/dh/Maildir"
	echo "$U:real-pw" | chpasswd
	printf 'maildir-pw\n' >"$T/dh/Maildir/.password"
	chown -R "$U" "$T/dh"; chmod 600 "$T/dh/Maildir/.password"
	unset KURIER_PASSWD KURIER_SHADOW
	run "system: kurier-checkpw-unix with /etc/shadow" 0 "$U" real-pw "$CU"
	check "system: ... runs as the account" test "$(cut -d' ' -f1,3 "$T/out/ran")" = "$UIDN $U"
	run "system: kurier-checkpw-unix wrong password" 1 "$U" real-PW "$CU"
	mkdir -p "$T/pam.unix"
	printf 'auth required pam_unix.so\naccount required pam_unix.so\n' >"$T/pam.unix/kurier"
	run "system: kurier-checkpw-pam with pam_unix" 0 "$U" real-pw env KURIER_PAM_CONFDIR="$T/pam.unix" "$CPAM"
	run "system: kurier-checkpw-pam with pam_unix, wrong password" 1 "$U" real-PW env KURIER_PAM_CONFDIR="$T/pam.unix" "$CPAM"
	if [ -x /usr/bin/checkpw ]; then
		run "system: Debian's checkpw after kurier-checkpw takes the user userdb does not know" 0 "$U" maildir-pw \
			"$CP" /usr/bin/checkpw --
		check "system: ... and Debian's checkpw ran the program as the account" \
			test "$(cut -d' ' -f1,3 "$T/out/ran")" = "$UIDN $U"
		run "system: Debian's checkpw after kurier-checkpw rejects a wrong password" 1 "$U" real-pw \
			"$CP" /usr/bin/checkpw --
		run "system: userdb's carol never reaches Debian's checkpw" 1 carol carol-pw "$CP" /usr/bin/checkpw --
	else
		skip "system: Debian's checkpw" "/usr/bin/checkpw not installed (package checkpw)"
	fi

	# --- setuid: a copy installed setuid root, run by nobody ----------------------------------------------
	mkdir -p "$T/suid" "$TH"
	cp "$CU" "$T/suid/kurier-checkpw-unix"; cp "$CP" "$T/suid/kurier-checkpw"
	chown root:root "$T"/suid/*; chmod 4755 "$T"/suid/*
	NB="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	run "setuid: a system login works for a caller that is not root" 0 "$U" real-pw $NB "$T/suid/kurier-checkpw-unix"
	check "setuid: ... and the program runs as the account, not root or nobody" \
		test "$(cut -d' ' -f1 "$T/out/ran")" = "$UIDN"
	run "setuid: verify-only gives root back: the program runs as the caller" 0 "$U" real-pw \
		$NB env KURIER_CHECKPW_VERIFYONLY=1 "$T/suid/kurier-checkpw-unix"
	check "setuid: ... as nobody" test "$(cut -d' ' -f1 "$T/out/ran")" = "$(id -u nobody)"
	run "setuid: KURIER_PASSWD and KURIER_SHADOW are ignored" 1 carol carol-pw \
		$NB env KURIER_PASSWD="$T/passwd" KURIER_SHADOW="$T/shadow" "$T/suid/kurier-checkpw-unix"
	run "setuid: KURIER_HOME is ignored (its userdb would let carol in)" 1 carol userdb-pw \
		$NB env KURIER_HOME="$H" "$T/suid/kurier-checkpw"
	run "setuid: a next helper outside conf-home/bin is 2" 2 "$U" real-pw \
		$NB "$T/suid/kurier-checkpw" "$T/suid/kurier-checkpw-unix"
	run "setuid: a foreign next helper is 2" 2 "$U" real-pw $NB "$T/suid/kurier-checkpw" /bin/sh --
	# a helper waiting on fd 3 cannot be stopped by its caller (it would hold a slot for ever)
	mkfifo "$T/fifo"
	$NB "$T/suid/kurier-checkpw-unix" /bin/true 3<>"$T/fifo" 2>>"$T/log" &
	hp=$!
	sleep 0.5
	if $NB kill -STOP "$hp" 2>/dev/null; then notok "setuid: the caller cannot signal a running helper" "kill -STOP worked"
	else ok "setuid: the caller cannot signal a running helper"; fi
	kill -9 "$hp" 2>/dev/null; wait "$hp" 2>/dev/null || :
else
	skip "system: real account tests" "cannot create a system user"
fi
