#!/bin/bash
# 33-checkpw-smtpd.sh - the installed helpers as kurier-smtpd really runs
# them: the test instance's kurier-smtpd (started as root, so it becomes
# kurierd while its monitor keeps root and runs the default chain
# conf-home/bin/kurier-checkpw conf-home/bin/kurier-checkpw-unix, installed
# without a setuid bit, in verify-only mode with
# KURIER_SERVICE=smtp) answers SMTP AUTH PLAIN, LOGIN and CRAM-MD5 from the
# instance's userdb, including the per-service esmtppw.  The instance's
# userdb cdbs get one extra account for the test and are restored after.
. "$KURIER_SRC/tests/lib.sh"
if [ "$(id -u)" != 0 ]; then skip "checkpw-smtpd" "needs root"; exit 0; fi
for f in bin/kurier-smtpd bin/kurier-checkpw bin/kurier-checkpw-unix control/me; do
	if [ ! -e "$TH/$f" ]; then skip "checkpw-smtpd" "no $TH/$f (make setup)"; exit 0; fi
done
# only kurier-queue is setuid (DESIGN.md): the helpers get root from the monitor
for f in kurier-checkpw kurier-checkpw-unix kurier-checkpw-pam; do
	if [ -e "$TH/bin/$f" ] && [ ! -u "$TH/bin/$f" ] && [ "$(stat -c %U "$TH/bin/$f")" = root ]; then
		ok "checkpw-smtpd: the installed $f is root's and not setuid"
	else
		notok "checkpw-smtpd: the installed $f is root's and not setuid" "$(ls -l "$TH/bin/$f" 2>&1)"
	fi
done

# the instance's userdb plus one account; the originals come back at exit
U=smtp-auth-$$@example.test
mkdir -p "$T/bak" "$TH/users"
for f in userdb.cdb userdbshadow.cdb; do
	if [ -e "$TH/users/$f" ]; then cp -a "$TH/users/$f" "$T/bak/$f"; on_exit "cp -a '$T/bak/$f' '$TH/users/$f'"
	else on_exit "rm -f '$TH/users/$f'"; fi
done
mkdir -p "$TH/checkpw"
cp -a "$TH/checkpw" "$T/bak/checkpw"
on_exit "rm -rf '$TH/checkpw/fail'; cp -a '$T/bak/checkpw/fail' '$TH/checkpw/' 2>/dev/null"
A=$(printf 'Sys-pw-1\n' | "$TB/userdbpw") S=$(printf 'Smtp-pw-2\n' | "$TB/userdbpw") M=$(printf 'cram-key\n' | "$TB/userdbpw" -hmac-md5)
add() {	# CDB KEY VALUE - rebuild CDB with one more record
	local c=$1 k=$2 v=$3
	{ [ -e "$c" ] && cdb -d "$c" | sed '/^$/d'; printf '+%d,%d:%s->%s\n\n' ${#k} ${#v} "$k" "$v"; } >"$T/cdb.in"
	cdb -c -p 0600 "$c" "$T/cdb.in"
}
add "$TH/users/userdb.cdb" "$U" "uid=54351|gid=54351|home=$T"
chmod 644 "$TH/users/userdb.cdb"
add "$TH/users/userdbshadow.cdb" "$U" "systempw=$A|esmtppw=$S|hmac-md5pw=$M"
chmod 600 "$TH/users/userdbshadow.cdb"

PORT=$(free_port)
env -i PATH=/usr/bin:/bin KURIER_SMTPMODE=submission AUTH_PLAINTEXT_OK=1 \
	tcpserver -H -R -l0 127.0.0.1 "$PORT" "$TH/bin/kurier-smtpd" 2>>"$T/smtpd.log" &
on_exit "kill $!"
wait_port "$PORT" || { notok "checkpw-smtpd: kurier-smtpd listens" "$(tail -3 "$T/smtpd.log")"; exit 0; }

# auth MECH USER PASSWORD - the SMTP reply code to AUTH
auth() {
	python3 - "$PORT" "$@" <<'PY'
import smtplib, sys, hmac, hashlib, base64
port, mech, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.ehlo("client.test")
s.user, s.password = user, pw
obj = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login, "CRAM-MD5": s.auth_cram_md5}[mech]
try:
    code, _ = s.auth(mech, obj, initial_response_ok=(mech == "PLAIN"))
except smtplib.SMTPAuthenticationError as e:
    code = e.smtp_code
except smtplib.SMTPException as e:
    code = "error " + str(e)
print(code)
s.close()
PY
}
check "checkpw-smtpd: AUTH PLAIN with systempw is 235" test "$(auth PLAIN "$U" Sys-pw-1)" = 235
check "checkpw-smtpd: AUTH LOGIN with the esmtppw (KURIER_SERVICE=smtp) is 235" test "$(auth LOGIN "$U" Smtp-pw-2)" = 235
check "checkpw-smtpd: AUTH CRAM-MD5 against hmac-md5pw is 235" test "$(auth CRAM-MD5 "$U" cram-key)" = 235
check "checkpw-smtpd: a wrong password is 535" test "$(auth PLAIN "$U" wrong)" = 535
check "checkpw-smtpd: an unknown user is 535" test "$(auth PLAIN "nobody-$$@example.test" Sys-pw-1)" = 535
if grep -q 'checkpw chain failed\|454 4\.7' "$T/smtpd.log"; then
	notok "checkpw-smtpd: no temporary failures from the chain" "$(grep -m3 'checkpw' "$T/smtpd.log")"
else ok "checkpw-smtpd: no temporary failures from the chain"; fi
