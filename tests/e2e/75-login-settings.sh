#!/bin/bash
# 75-login-settings - the settings kurier-pop3-login and kurier-imap-login
# read before the first client byte (lib/session.c), run directly with the
# client on a file or pipe: a bad login timeout, a KURIER_TLSFD that is not
# open and too many programs on the command line each end the program with
# 111 and a line naming what is wrong; the host name from control/me goes
# into the APOP timestamp and the CRAM-MD5 challenge, with the bytes each
# protocol masks shown as '?'; TCPREMOTEIP is logged made safe; the login
# timeout ends a silent client with the protocol's own last words, and a
# checkpw chain that hangs is killed after it (a temporary failure).
. "$KURIER_SRC/tests/lib.sh"

POP=$TB/kurier-pop3-login
IMAP=$TB/kurier-imap-login
if [ ! -x "$POP" ] || [ ! -x "$IMAP" ]; then notok login-built "no $POP or $IMAP"; exit 0; fi
mkdir -p "$T/home/control"
printf 'a"b\\c<d>e@f.example\n' >"$T/home/control/me"
export KURIER_HOME=$T/home

# run NAME PROG VAR=value... - PROG with those variables, the client's
# bytes from $T/in; output in $T/NAME.out, log in $T/NAME.err, exit code in $T/NAME.rc
run() {
	local name=$1 prog=$2; shift 2
	env "$@" "$prog" <"$T/in" >"$T/$name.out" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
}
# refused NAME WANT - exit 111 and a log line holding WANT
refused() {
	if [ "$(cat "$T/$1.rc")" = 111 ] && grep -q -- "$2" "$T/$1.err" && [ ! -s "$T/$1.out" ]; then ok "$1"
	else notok "$1" "exit $(cat "$T/$1.rc"): $(cat "$T/$1.err")"; fi
}

: >"$T/in"
for p in POP3:"$POP" IMAP:"$IMAP"; do
	n=${p%%:*} prog=${p#*:} l=$(echo "$n" | tr A-Z a-z)
	for bad in 0 3601 x 10s -1; do
		run "$l-timeout-$bad" "$prog" "KURIER_${n}_TIMEOUT_LOGIN=$bad"
		refused "$l-timeout-$bad" "KURIER_${n}_TIMEOUT_LOGIN must be 1 to 3600 seconds"
	done
	run "$l-tlsfd-closed" "$prog" KURIER_TLSFD=97
	refused "$l-tlsfd-closed" "KURIER_TLSFD is not an open descriptor"
	run "$l-tlsfd-stderr" "$prog" KURIER_TLSFD=2
	refused "$l-tlsfd-stderr" "KURIER_TLSFD is not an open descriptor"
	env "$prog" $(seq 1 17 | sed 's|^|/bin/false|') <"$T/in" >"$T/$l-args.out" 2>"$T/$l-args.err"
	echo $? >"$T/$l-args.rc"
	refused "$l-args" "too many programs on the command line"
done

# POP3: the APOP timestamp shows what control/me holds, masking only < > @
printf 'QUIT\r\n' >"$T/in"
run pop-greeting "$POP" KURIER_POP3_APOP=1
stamp=$(head -1 "$T/pop-greeting.out" | tr -d '\r' | sed -n 's/^+OK kurier POP3 server ready //p')
if [[ $stamp =~ ^\<[0-9]+\.[0-9]+@a\"b\\c\?d\?e\?f\.example\>$ ]] && [ "$(cat "$T/pop-greeting.rc")" = 0 ] &&
    [ "$(sed -n 2p "$T/pop-greeting.out")" = $'+OK bye\r' ]; then ok pop-apop-stamp
else notok pop-apop-stamp "$(cat "$T/pop-greeting.out" "$T/pop-greeting.err")"; fi
printf 'AUTH CRAM-MD5\r\n*\r\nQUIT\r\n' >"$T/in"
run pop-cram "$POP"
chal=$(sed -n 2p "$T/pop-cram.out" | tr -d '\r' | sed -n 's/^+ //p' | base64 -d 2>/dev/null)
if [[ $chal =~ ^\<[0-9]+\.[0-9]+@a\"b\\c\?d\?e\?f\.example\>$ ]] && grep -q '^-ERR AUTH cancelled' "$T/pop-cram.out"; then
	ok pop-cram-challenge
else notok pop-cram-challenge "$chal: $(cat "$T/pop-cram.out")"; fi

# IMAP: the CRAM-MD5 challenge also masks " and \ (they would end a quoted string)
printf 'a AUTHENTICATE CRAM-MD5\r\n*\r\nb LOGOUT\r\n' >"$T/in"
run imap-cram "$IMAP"
chal=$(sed -n 2p "$T/imap-cram.out" | tr -d '\r' | sed -n 's/^+ //p' | base64 -d 2>/dev/null)
if [[ $chal =~ ^\<[0-9]+\.[0-9]+@a\?b\?c\?d\?e\?f\.example\>$ ]] && grep -q '^a BAD AUTHENTICATE cancelled' "$T/imap-cram.out" &&
    grep -q '^b OK LOGOUT completed' "$T/imap-cram.out"; then ok imap-cram-challenge
else notok imap-cram-challenge "$chal: $(cat "$T/imap-cram.out")"; fi

# without control/me the host name is used
mv "$T/home/control/me" "$T/me.saved"
printf 'QUIT\r\n' >"$T/in"
run pop-hostname "$POP" KURIER_POP3_APOP=1
if grep -q "@$(hostname | tr -d '<>@' | cut -c1-200)>" "$T/pop-hostname.out"; then ok pop-hostname
else notok pop-hostname "$(cat "$T/pop-hostname.out" "$T/pop-hostname.err")"; fi
mv "$T/me.saved" "$T/home/control/me"

# TCPREMOTEIP reaches the log made safe: no new line, no space
printf 'X\r\nY\r\nZ\r\n' >"$T/in"
run pop-errors "$POP" TCPREMOTEIP=$'192.0.2.1\nfake line'
run imap-errors "$IMAP" TCPREMOTEIP=$'192.0.2.1\nfake line'
for l in pop imap; do
	if grep -q 'too many errors: 192.0.2.1?fake?line$' "$T/$l-errors.err" && ! grep -q '^fake' "$T/$l-errors.err"; then
		ok "$l-remoteip-logged-safe"
	else notok "$l-remoteip-logged-safe" "$(cat "$T/$l-errors.err")"; fi
done

# the login timeout: a client that says nothing gets the last words
for p in pop:"$POP":KURIER_POP3_TIMEOUT_LOGIN:'-ERR autologout: idle too long' \
    imap:"$IMAP":KURIER_IMAP_TIMEOUT_LOGIN:'* BYE autologout: idle too long'; do
	IFS=: read -r l prog var words <<<"$p"
	start=$(date +%s%N)
	env "$var=1" TCPREMOTEIP=192.0.2.7 "$prog" < <(sleep 5) >"$T/$l-idle.out" 2>"$T/$l-idle.err"
	took=$((($(date +%s%N) - start) / 1000000))
	if [ "$(tail -1 "$T/$l-idle.out" | tr -d '\r')" = "$words" ] && [ "$took" -ge 900 ] && [ "$took" -lt 4000 ] &&
	    grep -q 'timeout before login: 192.0.2.7' "$T/$l-idle.err"; then ok "$l-login-timeout"
	else notok "$l-login-timeout" "${took} ms: $(cat "$T/$l-idle.out" "$T/$l-idle.err")"; fi
done

# a checkpw chain that hangs is killed after the login timeout: the client
# gets a temporary failure and can try again
for p in pop:"$POP":KURIER_POP3_TIMEOUT_LOGIN:'USER u\r\nPASS p\r\n':'-ERR [SYS/TEMP] temporary failure, try again later' \
    imap:"$IMAP":KURIER_IMAP_TIMEOUT_LOGIN:'a LOGIN u p\r\n':'a NO [UNAVAILABLE] temporary failure, try again later'; do
	IFS=: read -r l prog var req want <<<"$p"
	start=$(date +%s%N)
	env "$var=1" AUTH_PLAINTEXT_OK=1 TCPREMOTEIP=192.0.2.8 "$prog" /bin/sh -c 'exec sleep 8' \
	    < <(printf "$req"; sleep 3) >"$T/$l-hang.out" 2>"$T/$l-hang.err"
	took=$((($(date +%s%N) - start) / 1000000))
	if grep -qF -- "$want" "$T/$l-hang.out" && grep -q 'checkpw chain timed out: 192.0.2.8' "$T/$l-hang.err" &&
	    [ "$took" -lt 7000 ]; then ok "$l-hanging-chain-killed"
	else notok "$l-hanging-chain-killed" "${took} ms: $(cat "$T/$l-hang.out" "$T/$l-hang.err")"; fi
done
