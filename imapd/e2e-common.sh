# imapd/e2e-common.sh - shared set-up for the IMAP end-to-end tests
# (tests/e2e/8*-imap*.sh); source it after tests/lib.sh.  It gives:
#   $LOGIN $IMAPD $CP  the test instance's kurier-imap-login, kurier-imapd
#                      and kurier-checkpw (the real chain)
#   $H                 a conf-home with control/me, a userdb built by
#                      makeuserdb and a checkpwlimits without delays
#   $MD                the virtual account's maildir (uid $VUID), where
#                      "test@imap.example" password "Sesame-9" (also with
#                      CRAM-MD5) reads mail
#   imap_start NAME [VAR=value...] [-- tlsd-args]
#                      tcpserver -H -R -l0 (as root, as in service/) on a
#                      free port running kurier-imap-login with the real
#                      chain; sets PORT_<NAME>; log lines in $T/NAME.log
#   deliver [FILE]     a message (stdin or FILE) into $MD through
#                      kurier-maildir as the account
LOGIN=$TB/kurier-imap-login
IMAPD=$TB/kurier-imapd
CP=$TB/kurier-checkpw
imap_ready=1
for p in "$LOGIN" "$IMAPD" "$CP" "$TB/makeuserdb" "$TB/userdbpw" "$TB/kurier-maildir"; do
	[ -x "$p" ] || { imap_ready=0; imap_missing=$p; }
done
VUID=54341 VGID=54342
H=$T/h V=$T/v MD=$T/v/Maildir
mkdir -p "$H/users" "$H/control" "$MD/new" "$MD/cur" "$MD/tmp"
printf 'imap.example\n' >"$H/control/me"
chown -R "$VUID:$VGID" "$V"
chmod 700 "$V"
if [ "$imap_ready" = 1 ]; then
	PW=$(printf 'Sesame-9\n' | "$TB/userdbpw")
	HM=$(printf 'Sesame-9\n' | "$TB/userdbpw" -hmac-md5)
	printf 'test@imap.example\tuid=%s|gid=%s|home=%s|mail=%s|systempw=%s|hmac-md5pw=%s\n' \
		"$VUID" "$VGID" "$V" "$MD" "$PW" "$HM" >"$T/userdb.src"
	chmod 600 "$T/userdb.src"
	ASAN_OPTIONS=detect_leaks=0 "$TB/makeuserdb" -f "$T/userdb.src" -o "$H/users" || imap_ready=0
	echo "afterfail 0" >"$H/control/checkpwlimits"
fi

# imap_start NAME [VAR=value...] [-- tlsd-args...]
imap_start() {
	local name=$1 port pid; shift
	local envs=() tls=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
	if [ "${1:-}" = "--" ]; then shift; tls=("$@"); fi
	port=$(free_port)
	env -i PATH=/usr/bin:/bin KURIER_HOME="$H" "${envs[@]}" \
	    tcpserver -H -R -l0 127.0.0.1 "$port" \
	    "${tls[@]}" "$LOGIN" "$CP" "$IMAPD" 2>>"$T/$name.log" &
	pid=$!
	on_exit "kill $pid"
	eval "PORT_$name=$port PID_$name=$pid"
	wait_port "$port"
}

# deliver [FILE] - one message into $MD through kurier-maildir
deliver() {
	if [ -n "${1:-}" ]; then
		ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=$VUID --regid=$VGID --clear-groups "$TB/kurier-maildir" "$MD" <"$1"
	else
		ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=$VUID --regid=$VGID --clear-groups "$TB/kurier-maildir" "$MD"
	fi
}
