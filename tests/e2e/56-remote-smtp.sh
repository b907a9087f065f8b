#!/bin/bash
# 56-remote-smtp - kurier-remote's ESMTP client against a scripted server
# (deliver/remote-testsrv.py): per-recipient results, 4xx and 5xx at every
# stage, next MX on a bad greeting, EHLO->HELO fallback, PIPELINING on
# and off, SIZE and BODY=8BITMIME, canonical outgoing bytes (SECURITY.md
# 20), and hostile replies (SECURITY.md 19) - and Postfix's smtp-sink.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/deliver/remote-e2e.sh"
command -v dnsmasq >/dev/null || { skip remote-smtp "dnsmasq is not installed"; exit 0; }

r_dns --mx-host=a.test,mx1.a.test,10 --mx-host=a.test,mx2.a.test,20 --mx-host=one.test,mx1.a.test,10 \
	--host-record=mx1.a.test,127.0.0.1 --host-record=mx2.a.test,127.0.0.2
r_ctl timeoutremote 3
msg() { printf 'Subject: t\n\nbody\n'; }
# srv NAME OPTS... - a fresh scripted server as the only MX (mx1, 127.0.0.1)
srv() { r_srv "$@"; r_ctl remoteport "$R_PORT"; }
lastmsg() { cat "$(ls -t "$T/$1"/msg.* 2>/dev/null | head -1)" 2>/dev/null; }
conns() { cat "$T/$1"/conn.* 2>/dev/null; }

# per-recipient results in one transaction
srv plain
out=$(msg | r_send a.test s@x.test ok@a.test tmp@a.test perm@a.test ok2@a.test)
want=$'rmx1.a.test [127.0.0.1]: 250 queued as X\nsmx1.a.test [127.0.0.1]: 451 4.2.0 try later\nhmx1.a.test [127.0.0.1]: 550 5.1.1 no such user\nrmx1.a.test [127.0.0.1]: 250 queued as X\nKmx1.a.test [127.0.0.1]: 250 queued as X'
[ "$out" = "$want" ] && ok smtp-per-recipient || notok smtp-per-recipient "$out"
[ "$(conns plain | grep -c '^MAIL FROM')" = 1 ] && [ "$(conns plain | grep -c '^RCPT TO')" = 4 ] &&
	ok smtp-one-transaction || notok smtp-one-transaction "$(conns plain)"

# canonical bytes: bare LF, bare CR, leading dots, no final newline
printf 'Subject: c\n\n.dot line\r\nbare\rcr\n..two\nlast' | r_send a.test s@x.test ok@a.test >/dev/null
want=$(printf 'Subject: c\r\n\r\n..dot line\r\nbare\r\ncr\r\n...two\r\nlast\r\n.\r\n' | od -c)
got=$(lastmsg plain | od -c)
[ "$got" = "$want" ] && ok smtp-canonical-bytes || notok smtp-canonical-bytes "$got"
size=$(( $(printf 'Subject: c\r\n\r\n..dot line\r\nbare\r\ncr\r\n...two\r\nlast\r\n' | wc -c) ))
conns plain | grep -q "^MAIL FROM:<s@x.test> SIZE=$size"$'\r'"\$" && ok smtp-size-param || notok smtp-size-param "$(conns plain | grep MAIL)"
printf 'Subject: 8\n\ncaf\xc3\xa9\n' | r_send a.test s@x.test ok@a.test >/dev/null
conns plain | grep -q 'BODY=8BITMIME' && ok smtp-8bitmime || notok smtp-8bitmime "$(conns plain | grep MAIL)"
out=$(msg | r_send a.test '' ok@a.test)
conns plain | grep -q '^MAIL FROM:<> SIZE=' && [[ $out == r* ]] && ok smtp-null-sender || notok smtp-null-sender "$out"
# more than one transaction's worth of recipients
rc=(); for i in $(seq 150); do rc+=("u$i@a.test"); done
out=$(msg | r_send a.test s@x.test "${rc[@]}")
[ "$(echo "$out" | grep -c '^r')" = 150 ] && [ "$(lastmsg plain | wc -l)" = 4 ] && ok smtp-150-recipients || notok smtp-150-recipients "$(echo "$out" | head -3)"

# no PIPELINING, no SIZE, EHLO refused: HELO
srv helo ehlo=502 caps=
out=$(msg | r_send a.test s@x.test ok@a.test perm@a.test)
[[ $out == r*$'\n'h*$'\nK'* ]] && conns helo | grep -q '^HELO me.test' && ! conns helo | grep -q 'SIZE=' &&
	ok smtp-helo-fallback || notok smtp-helo-fallback "$out"

# SIZE limit below the message: bounce before MAIL
srv small caps=SIZE\ 10
out=$(msg | r_send a.test s@x.test ok@a.test)
[[ $out == h*'5.3.4 the message is 20 bytes'* ]] && ! conns small | grep -q '^MAIL' && ok smtp-size-limit || notok smtp-size-limit "$out"

# codes at each stage
stage() {	# stage NAME WANTPREFIX OPTS...
	local name=$1 want=$2; shift 2
	srv "$name" "$@"
	out=$(msg | r_send one.test s@x.test ok@one.test)
	[[ $out == "$want"* ]] && ok "smtp-$name" || notok "smtp-$name" "$out"
}
stage mail451 's' mail=451
stage mail550 'hmx1.a.test [127.0.0.1]: 550 sender ok' mail=550
stage data451 'smx1.a.test [127.0.0.1]: 451 go on' data=451
stage data554 'hmx1.a.test [127.0.0.1]: 554 go on' data=554
stage dot452 'smx1.a.test [127.0.0.1]: 452 queued as X' dot=452
stage dot554 'hmx1.a.test [127.0.0.1]: 554 queued as X' dot=554
stage mail550-nopipe 'h' mail=550 caps=
stage greet554 's' greet=554
stage ehlo421 's' ehlo=421
r_ctl remoteport "$R_PORT"
srv all-rcpt-fail
out=$(msg | r_send a.test s@x.test perm@one.test tmp@one.test)
[[ $out == h*$'\ns'*$'\nZ'* ]] && ! cat "$T/all-rcpt-fail"/msg.* 2>/dev/null | grep -q body && ok smtp-no-recipient-no-data || notok smtp-no-recipient-no-data "$out"

# a bad greeting on the first MX: the next one takes the mail
srv down greet=421
P=$R_PORT
R_FIXPORT=$P R_ADDR=127.0.0.2 r_srv mx2 addr=127.0.0.2
out=$(msg | r_send a.test s@x.test ok@a.test)
[[ $out == 'rmx2.a.test [127.0.0.2]: 250'* ]] && conns down | grep -q '^QUIT' && ok smtp-next-mx || notok smtp-next-mx "$out"
# nobody listens on either MX: wait, with the reason
r_ctl remoteport "$(free_port)"
out=$(msg | r_send a.test s@x.test ok@a.test)
[[ $out == 's'*'connect failed: Connection refused'* ]] && ok smtp-connect-refused || notok smtp-connect-refused "$out"

# hostile replies (SECURITY.md 19): bounded, sanitized, never a crash
hostile() {	# hostile MODE WANTPREFIX
	local mode=$1 want=$2 t0 t1
	srv "h-$mode" hostile="$mode"
	t0=$(date +%s)
	out=$(msg | timeout 30 "$TB/kurier-remote" one.test s@x.test ok@one.test perm@one.test | tr '\0' '\n')
	t1=$(date +%s)
	if [[ $out == "$want"* ]] && ! printf '%s' "$out" | tr -d '\n' | LC_ALL=C grep -q '[^[:print:]]'; then
		ok "smtp-hostile-$mode"
	else
		notok "smtp-hostile-$mode" "$(printf '%s' "$out" | head -c 300 | od -c | head -5) ($((t1 - t0)) s)"
	fi
}
hostile short 'smx1.a.test [127.0.0.1]: malformed reply: reply line too short'
hostile nofinal 'smx1.a.test [127.0.0.1]: connection closed'
hostile long 'smx1.a.test [127.0.0.1]: reply line too long'
# ... and reading past the limit holds no more of it: peak memory stays
# far below the 64 MiB line
rss=$(msg | "$PY" -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$TB/kurier-remote" one.test s@x.test ok@one.test)
echo "# kurier-remote peak RSS ${rss} kB"
[ "${rss:-999999}" -lt 32768 ] && ok smtp-hostile-long-memory || notok smtp-hostile-long-memory "peak RSS ${rss} kB"
hostile manycont 'smx1.a.test [127.0.0.1]: malformed reply: reply has too many lines'
hostile silent 'smx1.a.test [127.0.0.1]: cannot read the reply: timed out'
hostile barelf 'rmx1.a.test [127.0.0.1]: 250 queued as X'
hostile rcptnul $'rmx1.a.test [127.0.0.1]: 250 queued as X\nhmx1.a.test [127.0.0.1]: 550 5.1.1 no?such?[2Juser? here'

# Postfix's smtp-sink as the peer
if command -v smtp-sink >/dev/null; then
	P=$(free_port)
	mkdir -p "$T/sink" && chmod 777 "$T/sink"
	(cd "$T/sink" && exec smtp-sink -u nobody -d "$T/sink/%M." 127.0.0.1:"$P" 10) 2>"$T/sink.err" &
	sp=$!
	on_exit "kill $sp"
	wait_port "$P"
	r_ctl remoteport "$P"
	out=$(printf 'Subject: sink\n\n.x\n' | r_send one.test s@x.test ok@one.test other@one.test)
	[[ $out == r*$'\nr'*$'\nK'* ]] && grep -q '^\.x' "$T"/sink/* && [ "$(cat "$T"/sink/* | grep -c '^X-Rcpt-Args:')" = 2 ] && ok smtp-sink-delivery || notok smtp-sink-delivery "$out"
else
	skip smtp-sink-delivery "postfix (smtp-sink) is not installed"
fi
