#!/bin/bash
# 59-remote-send - the whole remote path: kurier-queue -> kurier-send ->
# the real kurier-rspawn -> DNS (dnsmasq) -> a scripted SMTP server on
# loopback.  Per-recipient results come back to kurier-send as success,
# deferral and failure, and the failure is bounced to the sender with
# the remote server's words.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/deliver/remote-e2e.sh"
. "$KURIER_SRC/queue/e2e.sh"
. "$KURIER_SRC/queue/e2e-send.sh"
command -v dnsmasq >/dev/null || { skip remote-send "dnsmasq is not installed"; exit 0; }
[ -x "$TB/kurier-start" ] && [ -x "$TB/kurier-send" ] || { skip remote-send "kurier-start/kurier-send are not built"; exit 0; }
s_setup || { notok remote-send-setup "setup failed"; exit 1; }
install -o root -g kurier -m 0755 "$TB/kurier-rspawn" "$QB/kurier-rspawn"
for p in kurier-start kurier-send kurier-clean; do
	[ -x "$QB/$p" ] || install -m 0755 "$TB/$p" "$QB/$p"
done

r_dns --mx-host=far.test,mx.far.test,10 --host-record=mx.far.test,127.0.0.1
r_ctl timeoutremote 5
r_srv peer
r_ctl remoteport "$R_PORT"

env STANDIN_QUEUE="$Q" STANDIN_LOG="$T/spawn.log" STANDIN_MAILDIR="$T/md" \
	STANDIN_RULES="$T/rules" STANDIN_DELAY=0 \
	KURIER_LSPAWN="$KURIER_SRC/queue/standin-spawn.py" \
	KURIER_RSPAWN="$QB/kurier-rspawn" \
	"$QB/kurier-start" >>"$T/send.log" 2>&1 </dev/null &
SPID=$!
on_exit "kill $SPID"
s_wait 'started with' 10 || { notok remote-send-start "$(cat "$T/send.log")"; exit 1; }

printf 'Subject: whole path\n\n.leading dot\nbody\n' >"$T/msg"
s_inject 'from@test.kurier.example' ok@far.test tmp@far.test perm@far.test
s_wait 'delivery [0-9]*: success:' 20 && ok remote-send-success || notok remote-send-success "$(tail "$T/send.log")"
s_wait 'delivery [0-9]*: deferral:' 20 && grep 'deferral:' "$T/send.log" | grep -q '451 4.2.0 try later' &&
	ok remote-send-deferral || notok remote-send-deferral "$(tail "$T/send.log")"
s_wait 'delivery [0-9]*: failure:' 20 && grep 'failure:' "$T/send.log" | grep -q '550 5.1.1 no such user' &&
	ok remote-send-failure || notok remote-send-failure "$(tail "$T/send.log")"
m=$(ls "$T/peer"/msg.* 2>/dev/null | head -1)
[ -n "$m" ] && grep -q $'^\\.\\.leading dot\r$' "$m" && grep -q '^Received: ' "$m" &&
	ok remote-send-message-arrived || notok remote-send-message-arrived "$(cat "$T"/peer/conn.* 2>/dev/null | head -20)"
s_wait '^bounce msg' 20 && ok remote-send-bounce || notok remote-send-bounce "$(tail "$T/send.log")"
for _ in $(seq 50); do [ -n "$(ls "$T/md/from@test.kurier.example/new" 2>/dev/null)" ] && break; sleep 0.1; done
b=$(ls "$T/md/from@test.kurier.example/new/"* 2>/dev/null | head -1)
[ -n "$b" ] && grep -q 'perm@far.test' "$b" && grep -q '550 5.1.1 no such user' "$b" &&
	ok remote-send-bounce-text || notok remote-send-bounce-text "$(ls -R "$T/md" 2>/dev/null | head)"
s_stop
