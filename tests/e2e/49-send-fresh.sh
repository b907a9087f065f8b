#!/bin/bash
# 49-send-fresh.sh - kurier-send's first attempt straight from todo/ (a
# "fresh" message, kurier-send(8)): finished in that attempt it never has
# info, local or remote files and leaves nothing; a deferral settles it
# (state files written with the done recipient marked, todo gone) and the
# retry delivers only what is left; a permanent failure gives exactly one
# bounce; a todo rescan leaves an in-flight message's todo entry alone,
# and kurier-qread/kurier-qstat list it; a SIGKILL while a fresh message
# is in flight leads to its redelivery, never its loss, and no duplicate
# bounce; the cap on fresh messages holds and every message gets through;
# one in flight longer than FRESH_HOLD is settled while in flight.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
. "$KURIER_SRC/queue/e2e-send.sh"
s_setup || { notok "send test instance" "setup failed"; exit 1; }
split=$(head -n 1 "$KURIER_SRC/conf-split")

# state - the state files of message $1 that exist, by directory name
state() {
	local d
	for d in info local remote; do [ -e "$Q/$d/$(($1 % split))/$1" ] && echo "$d"; done
}
# kcount RCPT - how many times the spawners delivered RCPT
kcount() {
	grep -c " $1 K\$" "$T/spawn.log"
}
# bounces RCPT - how many messages RCPT's maildir got
bounces() {
	ls "$T/md/$1/new" 2>/dev/null | wc -l
}

# --- finished in its first attempt: no state files, nothing left ----------------
# (with the deliveries slowed down, the files are looked at while it is in flight)
S_DELAY=1.5 s_start
s_inject 's@x.example' 'f1@local.example' 'f2@far.example'
id=$(s_newid)
s_wait "starting delivery .* f2@far.example" 10
[ -e "$Q/todo/$((id % split))/$id" ] && [ -z "$(state "$id")" ] &&
	ok "fresh: in flight, todo/ID is its only record" || notok "fresh: in flight" "$(q_files "$Q")"
# a todo scan (trigger and SIGALRM) while it is in flight leaves its todo entry alone
s_trigger; kill -ALRM "$SPID"; sleep 0.3
[ -e "$Q/todo/$((id % split))/$id" ] && ! grep -q "warning: kurier-clean" "$T/send.log" &&
	ok "fresh: a rescan does not remove an in-flight message's todo entry" || notok "fresh: rescan" "$(q_files "$Q"; tail -5 "$T/send.log")"
"$QB/kurier-qread" >"$T/qread" 2>&1
grep -q "#$id " "$T/qread" && grep -q "	todo	f1@local.example" "$T/qread" &&
	ok "fresh: kurier-qread lists the message in flight" || notok "fresh: qread" "$(cat "$T/qread")"
"$QB/kurier-qstat" | grep -q 'not yet preprocessed: 1$' &&
	ok "fresh: kurier-qstat counts it" || notok "fresh: qstat" "$("$QB/kurier-qstat")"
s_end "$id" 10 && ok "fresh: delivered and ended" || notok "fresh: end" "$(tail -5 "$T/send.log")"
[ "$(kcount f1@local.example)" = 1 ] && [ "$(kcount f2@far.example)" = 1 ] &&
	ok "fresh: each recipient once" || notok "fresh: once" "$(cat "$T/spawn.log")"
left=$(q_files "$Q" | grep -v lock/trigger)
[ -z "$left" ] && ok "fresh: nothing left in the queue" || notok "fresh: leftovers" "$left"
[ -z "$(find "$Q/info" "$Q/local" "$Q/remote" -type f)" ] && ! grep -q "^settled msg $id" "$T/send.log" &&
	ok "fresh: never settled, no state file was ever made" || notok "fresh: settled" "$(find "$Q/info" "$Q/local" "$Q/remote" -type f)"
s_stop

# --- a deferral settles it; the retry delivers only what is left ----------------
echo 'd2@ Z not now' >"$T/rules"
s_start
s_inject 's@x.example' 'd1@local.example' 'd2@local.example'
id=$(s_newid)
s_wait "^settled msg $id\$" 10 && ok "deferral: the message is settled" || notok "deferral: settled" "$(tail -5 "$T/send.log")"
[ "$(state "$id" | tr '\n' ' ')" = "info local " ] && [ ! -e "$Q/todo/$((id % split))/$id" ] &&
	[ ! -e "$Q/intd/$((id % split))/$id" ] &&
	ok "deferral: info and local written, todo and intd gone" || notok "deferral: files" "$(q_files "$Q")"
recs=$(tr '\0' '\n' <"$Q/local/$((id % split))/$id" | sort | tr '\n' ' ')
[ "$recs" = "Dd1@local.example Td2@local.example " ] &&
	ok "deferral: the delivered recipient is marked done in local/ID" || notok "deferral: records" "$recs"
: >"$T/rules"
kill -ALRM "$SPID"
s_end "$id" 10 && ok "deferral: the retry finishes it" || notok "deferral: retry" "$(tail -5 "$T/send.log")"
[ "$(kcount d1@local.example)" = 1 ] && [ "$(kcount d2@local.example)" = 1 ] &&
	ok "deferral: each recipient delivered once" || notok "deferral: once" "$(cat "$T/spawn.log")"
[ -z "$(q_files "$Q" | grep -v lock/trigger)" ] && ok "deferral: nothing left" || notok "deferral: leftovers" "$(q_files "$Q")"

# --- a permanent failure: settled first, exactly one bounce -------------------------
echo 'nouser@ D 550 5.1.1 no such user' >"$T/rules"
s_inject 'pf@far.example' 'p1@local.example' 'nouser@local.example'
id=$(s_newid)
s_end "$id" 10 && ok "failure: the message ends" || notok "failure: end" "$(tail -5 "$T/send.log")"
for i in $(seq 100); do [ "$(bounces pf@far.example)" -ge 1 ] && break; sleep 0.1; done
sleep 0.5
grep -q "^settled msg $id\$" "$T/send.log" && ok "failure: settled before the bounce record" ||
	notok "failure: settled" "$(tail -8 "$T/send.log")"
[ "$(bounces pf@far.example)" = 1 ] && [ "$(kcount p1@local.example)" = 1 ] &&
	ok "failure: exactly one bounce, the other recipient once" || notok "failure: bounce count" "$(bounces pf@far.example); $(cat "$T/spawn.log")"
s_stop

# --- SIGKILL while a fresh message is in flight: redelivered, one bounce --------------
# (the stand-in spawners take 2 s per delivery and finish them after kurier-send is gone)
: >"$T/spawn.log"
S_DELAY=2 s_start
s_inject 'kf@far.example' 'k1@local.example' 'nouser@local.example'
id=$(s_newid)
s_wait "starting delivery .* nouser@local.example" 10
kill -KILL "$SPID"; wait "$SPID" 2>/dev/null
sleep 2.5
[ -e "$Q/todo/$((id % split))/$id" ] && [ -z "$(state "$id")" ] && [ ! -e "$Q/bounce/$id" ] &&
	ok "crash: the fresh message is still in todo, no state, no bounce record" || notok "crash: after kill" "$(q_files "$Q")"
s_start
# ("new msg" is logged again for the repeated first attempt, "end msg" once)
s_wait "^end msg $id\$" 15 && ok "crash: after the restart the message ends" || notok "crash: end" "$(tail -8 "$T/send.log")"
for i in $(seq 100); do [ "$(bounces kf@far.example)" -ge 1 ] && break; sleep 0.1; done
sleep 2.5
[ "$(kcount k1@local.example)" -ge 1 ] && ok "crash: the recipient is delivered (at least once: $(kcount k1@local.example))" ||
	notok "crash: lost" "$(cat "$T/spawn.log")"
[ "$(bounces kf@far.example)" = 1 ] && ok "crash: exactly one bounce" || notok "crash: bounces" "$(bounces kf@far.example)"
for i in $(seq 50); do [ -z "$(q_files "$Q" | grep -v lock/trigger)" ] && break; sleep 0.1; done
[ -z "$(q_files "$Q" | grep -v lock/trigger)" ] && ok "crash: nothing left" || notok "crash: leftovers" "$(q_files "$Q")"
s_stop

# --- the cap on fresh messages: concurrency 1+1 allows 4; all 10 get through ----------
: >"$T/rules"; : >"$T/spawn.log"; : >"$T/send.log"
echo 1 >"$TH/control/concurrencylocal"; echo 1 >"$TH/control/concurrencyremote"
chmod 644 "$TH/control/concurrencylocal" "$TH/control/concurrencyremote"
S_DELAY=0.3 s_start
kill -STOP "$SPID"
for i in $(seq 10); do s_inject 's@x.example' "cap$i@local.example"; done
kill -CONT "$SPID"; s_trigger
s_wait '^end msg' 30 10 && ok "cap: all ten messages end" || notok "cap: ends" "$(tail -5 "$T/send.log")"
most=$(awk '/^new msg/ { n++; if (n > m) m = n } /^end msg/ { n-- } END { print m + 0 }' "$T/send.log")
[ "$most" -le 4 ] && [ "$most" -ge 2 ] && ok "cap: at most 4 fresh at once ($most)" || notok "cap: fresh at once" "$most"
! grep -q '^settled msg' "$T/send.log" && ok "cap: none of them needed state files" || notok "cap: settled" "$(grep settled "$T/send.log")"
n=0; for i in $(seq 10); do [ "$(kcount "cap$i@local.example")" = 1 ] && n=$((n + 1)); done
[ "$n" = 10 ] && ok "cap: each delivered once" || notok "cap: once" "$(cat "$T/spawn.log")"
s_stop

# --- in flight longer than FRESH_HOLD (30 s): settled while its delivery
# runs (state files written, todo/ID gone), then it ends from them, the
# recipient delivered once and nothing left
: >"$T/rules"; : >"$T/spawn.log"; : >"$T/send.log"
S_DELAY=33 s_start
s_inject 's@x.example' 'hold@local.example'
id=$(s_newid)
s_wait "starting delivery .* hold@local.example" 10
if s_wait "^settled msg $id\$" 35 && ! grep -q "^end msg $id\$" "$T/send.log" &&
   [ -n "$(state "$id")" ] && [ ! -e "$Q/todo/$((id % split))/$id" ]; then
	ok "hold: settled after FRESH_HOLD while in flight: state files, no todo entry"
else
	notok "hold: settled" "state '$(state "$id")', $(tail -5 "$T/send.log")"
fi
s_end "$id" 15 && ok "hold: then it ends" || notok "hold: end" "$(tail -5 "$T/send.log")"
[ "$(kcount hold@local.example)" = 1 ] && ok "hold: delivered once" || notok "hold: once" "$(cat "$T/spawn.log")"
for i in $(seq 50); do [ -z "$(q_files "$Q" | grep -v lock/trigger)" ] && break; sleep 0.1; done
left=$(q_files "$Q" | grep -v lock/trigger)
[ -z "$left" ] && ok "hold: nothing left" || notok "hold: leftovers" "$left"
s_stop
