#!/bin/bash
# 48-send-faults.sh - SECURITY.md 42 for kurier-send: EIO from fsync and
# ENOSPC from write injected (strace -e inject, attached to the running
# kurier-send) while it takes messages in, settles them, marks deliveries
# and writes bounce records.  The queue must stay consistent: nothing
# half-settled (todo kept, no info), no recipient marked done without its
# bounce record on disk, and once the fault is gone every message is
# delivered (exactly once while kurier-send lives; at least once when the
# fault made it exit) and bounced exactly once.  Then step by step for one
# message with a delivered and a failed recipient: its writes and fsyncs
# are counted (strace), and each Nth write (ENOSPC) and Nth fsync (EIO) in
# turn is failed, up to STEPS_MAX each; after the fault and a wake-up the
# message is delivered, bounced exactly once, no info or local file is
# ever seen partial, and the queue ends empty.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
. "$KURIER_SRC/queue/e2e-send.sh"
command -v strace >/dev/null || { skip "send faults" "strace is not installed"; exit 0; }
s_setup || { notok "send test instance" "setup failed"; exit 1; }
split=$(head -n 1 "$KURIER_SRC/conf-split")
echo 'nouser@ D 550 5.1.1 no such user' >"$T/rules"

# fault SYSCALL ERRNO - attach strace to kurier-send, failing every SYSCALL with ERRNO
# (getpid runs in its place: the seccomp filter would kill a skipped call)
fault() {
	strace -qq -o /dev/null -p "$SPID" -e trace="$1" -e inject="$1":error="$2":syscall=getpid &
	STRACE=$!
	on_exit "kill $STRACE"
	sleep 0.7
}
# unfault - detach strace
unfault() {
	kill "$STRACE" 2>/dev/null; wait "$STRACE" 2>/dev/null; sleep 0.3
}
# alive - restart the queue if the fault made kurier-send exit
alive() {
	kill -0 "$SPID" 2>/dev/null || s_start
}

s_start
# --- a link planted where kurier-send writes is never followed (SECURITY.md 23) ---
# (l1's deferral makes kurier-send settle the message, writing local/ID)
echo 'l1@ Z not now' >>"$T/rules"
kill -STOP "$SPID"
s_inject 's@far.example' 'l1@local.example'
id=$(q_files "$Q/todo"); id=${id##*/}
echo keep >"$T/victim"; chmod 666 "$T/victim"
ln -s "$T/victim" "$Q/local/$((id % split))/$id"
kill -CONT "$SPID"; s_trigger
s_wait "unable to settle msg $id" 10 && ok "faults: a planted link makes settling fail" ||
	notok "faults: planted link" "$(tail -3 "$T/send.log")"
[ "$(cat "$T/victim")" = keep ] && ok "faults: the link's target is untouched" || notok "faults: victim" "$(cat "$T/victim")"
[ -e "$Q/todo/$((id % split))/$id" ] && [ ! -e "$Q/info/$((id % split))/$id" ] && ok "faults: the message waits in todo" ||
	notok "faults: todo after link" "$(q_files "$Q")"
rm -f "$Q/local/$((id % split))/$id"
sed -i '/^l1@/d' "$T/rules"
kill -ALRM "$SPID"
s_end "$id" && ok "faults: once the link is gone the message is delivered" || notok "faults: after link" "$(tail -3 "$T/send.log")"

# --- fsync fails while settling: todo stays, no state, later delivered once -----
# (a1z's deferral makes kurier-send settle the message after a1 is delivered)
echo 'a1z@ Z not now' >>"$T/rules"
fault fsync EIO
s_inject 's@far.example' 'a1@local.example' 'a1z@local.example'
s_wait "unable to settle msg" 10 && ok "faults: fsync EIO while settling is logged" ||
	notok "faults: settle warning" "$(tail -5 "$T/send.log")"
id=$(q_files "$Q/todo"); id=${id##*/}
[ -n "$id" ] && ok "faults: the todo entry stays" || notok "faults: todo kept" "$(q_files "$Q")"
[ -z "$(q_files "$Q/info")$(q_files "$Q/local")" ] && ok "faults: no info or local file is left half done" ||
	notok "faults: half-settled state" "$(q_files "$Q/info") $(q_files "$Q/local")"
unfault; alive
sed -i '/^a1z@/d' "$T/rules"
kill -ALRM "$SPID"
s_wait "end msg $id" 10 && ok "faults: after the fault the message is delivered" || notok "faults: delivery after fsync fault" "$(tail -5 "$T/send.log")"
for i in $(seq 50); do grep -q ' a1z@local.example K$' "$T/spawn.log" && break; sleep 0.1; done
[ "$(grep -c ' a1@local.example K$' "$T/spawn.log")" = 1 ] && [ "$(grep -c ' a1z@local.example K$' "$T/spawn.log")" = 1 ] &&
	ok "faults: exactly once, the recipient done before the fault too" || notok "faults: once" "$(cat "$T/spawn.log")"

# --- write fails (ENOSPC) while preprocessing ---------------------------------------
fault write ENOSPC
s_inject 's@far.example' 'a2@local.example'
sleep 1.5
id=$(q_files "$Q/todo"); id=${id##*/}
[ -n "$id" ] && [ -z "$(q_files "$Q/info")" ] && ok "faults: write ENOSPC: todo stays, no info" ||
	notok "faults: ENOSPC state" "$(q_files "$Q")"
n=$(grep -c "end msg $id\$" "$T/send.log")	# ids are inodes: a2 may reuse a1's number
unfault; alive
kill -ALRM "$SPID" 2>/dev/null
s_wait "end msg $id\$" 10 $((n + 1)) && ok "faults: write ENOSPC: delivered once the disk has room" || notok "faults: ENOSPC delivery" "$(tail -5 "$T/send.log")"
[ "$(grep -c ' a2@local.example K$' "$T/spawn.log")" = 1 ] && ok "faults: write ENOSPC: exactly once" || notok "faults: ENOSPC once" "$(cat "$T/spawn.log"; tail -20 "$T/send.log")"

# --- each step of one message: the Nth write fails (ENOSPC), the Nth fsync (EIO) ----
# qleft - every file left in the queue's message directories
qleft() {
	local d
	for d in todo info local remote bounce mess; do q_files "$Q/$d"; done
}
# whole ID RCPT - "" when info/ID and local/ID, where they exist, are complete
whole() {
	local f
	f="$Q/info/$(($1 % split))/$1"
	if [ -e "$f" ]; then
		tr '\0' '\n' <"$f" | grep -q '^u[0-9]*$' || echo "info/$1 is partial"
	fi
	f="$Q/local/$(($1 % split))/$1"
	if [ -e "$f" ]; then
		tr '\0' '\n' <"$f" | grep -q "^[TD]$2\$" || echo "local/$1 is partial"
	fi
}
STEPS_MAX=12	# bounds the run: each step costs about 2 s
# count how many writes and fsyncs kurier-send makes for one message, intake to end
strace -qq -o "$T/count.trace" -p "$SPID" -e trace=write,fsync,fdatasync &
STRACE=$!
on_exit "kill $STRACE"
sleep 0.7
s_inject 's@far.example' 'c0@local.example' 'c0nouser@local.example'
for i in $(seq 100); do [ -z "$(qleft)" ] && break; sleep 0.1; done
sleep 0.3
unfault
nw=$(grep -c '^write(' "$T/count.trace"); nf=$(grep -c '^f\(data\)\?sync(' "$T/count.trace")
[ "$nw" -ge 3 ] && [ "$nf" -ge 2 ] && ok "faults: one message costs $nw writes and $nf fsyncs" ||
	notok "faults: counting steps" "$nw writes, $nf fsyncs: $(cat "$T/count.trace")"
echo "# the calls, in order: $(sed -n 's/^\(write\|fsync\|fdatasync\)(\([0-9]*\).*/\1(\2)/p' "$T/count.trace" | tr '\n' ' ')"
[ "$nw" -gt $STEPS_MAX ] && nw=$STEPS_MAX
[ "$nf" -gt $STEPS_MAX ] && nf=$STEPS_MAX
# bounces - how many bounces s@far.example got
bounces() {
	ls "$T/md/s@far.example/new" 2>/dev/null | wc -l
}
# step SYSCALL ERRNO N RCPT - fail the Nth SYSCALL of one message for RCPT
# (delivered) and its failing twin with ERRNO; sets BAD to what went wrong,
# empty when the queue kept its invariants
step() {
	local i f id bad= died= b0
	b0=$(bounces)
	strace -qq -o "$T/step.trace" -p "$SPID" -e trace="$1" -e inject="$1":error="$2":when="$3":syscall=getpid &
	STRACE=$!
	on_exit "kill $STRACE"
	sleep 0.7
	s_inject 's@far.example' "$4" "${4%@*}nouser@local.example"
	for i in $(seq 20); do grep -q "(INJECTED)" "$T/step.trace" && break; sleep 0.1; done
	grep -q "(INJECTED)" "$T/step.trace" || bad="no $1 number $3 to fail; "
	sleep 0.3
	id=$( (q_files "$Q/todo"; q_files "$Q/info") | head -n 1); id=${id##*/}
	[ -n "$id" ] && bad="$bad$(whole "$id" "$4")"
	unfault
	kill -0 "$SPID" 2>/dev/null || died=1
	alive
	kill -ALRM "$SPID" 2>/dev/null
	for i in $(seq 100); do [ -z "$(qleft)" ] && [ "$(bounces)" -gt "$b0" ] && break; sleep 0.1; done
	# a fault that kills kurier-send between removing info and the message
	# file (ENOSPC on its request to kurier-clean) leaves an orphan mess/ID,
	# which the next start removes once it is older than ORPHAN_AGE
	if [ -n "$(qleft)" ] && [ -z "$(q_files "$Q/todo")$(q_files "$Q/info")" ]; then
		for f in $(q_files "$Q/mess"); do touch -d '2 days ago' "$f"; done
		s_stop; s_start
		for i in $(seq 50); do [ -z "$(qleft)" ] && break; sleep 0.1; done
		[ -z "$(qleft)" ] && ORPHANS="$ORPHANS $1:$3"
	fi
	[ -z "$(qleft)" ] || bad="${bad}left in the queue: $(qleft); "
	# a fault that makes kurier-send exit in a message's first attempt
	# repeats the attempt: at least once then, exactly once otherwise
	i=$(grep -c " $4 K\$" "$T/spawn.log")
	if [ -n "$died" ]; then [ "$i" -ge 1 ] || bad="${bad}delivered $i times; "
	else [ "$i" = 1 ] || bad="${bad}delivered $i times; "; fi
	[ "$(bounces)" = $((b0 + 1)) ] || bad="${bad}$(($(bounces) - b0)) bounces; "
	BAD=$bad
}
bad= ORPHANS=
for n in $(seq "$nw"); do
	step write ENOSPC "$n" "w$n@local.example"
	[ -n "$BAD" ] && bad="$bad write $n: $BAD"
done
[ -z "$bad" ] && ok "faults: ENOSPC at each of $nw writes: delivered, bounced once, nothing partial or left" ||
	notok "faults: ENOSPC at each write" "$bad $(tail -5 "$T/send.log")"
bad=
for n in $(seq "$nf"); do
	step fsync EIO "$n" "f$n@local.example"
	[ -n "$BAD" ] && bad="$bad fsync $n: $BAD"
done
[ -z "$bad" ] && ok "faults: EIO at each of $nf fsyncs: delivered, bounced once, nothing partial or left" ||
	notok "faults: EIO at each fsync" "$bad $(tail -5 "$T/send.log")"
echo "# steps that left an orphan message file for the next start:${ORPHANS:- none}"

# --- fsync fails for the bounce record: the recipient stays pending -----------------
s_inject 'b@far.example' 'nouser@local.example'
id=$(s_newid)
s_wait "end msg $id" 10
: >"$T/spawn.log"
s_stop; S_DELAY=3 s_start
n=$(grep -c "starting delivery .* nouser@local.example" "$T/send.log")
nb=$(grep -c "warning: unable to write bounce/" "$T/send.log")
s_inject 'b2@far.example' 'nouser@local.example'
s_wait "starting delivery .* nouser@local.example" 10 $((n + 1))
# the failure settles the message first (fsyncs of local, its directory,
# info, its directory), then writes the bounce record: fail from the 5th on
strace -qq -o /dev/null -p "$SPID" -e trace=fsync -e inject=fsync:error=EIO:when=5+:syscall=getpid &
STRACE=$!
on_exit "kill $STRACE"
sleep 0.7
s_wait "warning: unable to write bounce/" 10 $((nb + 1)) && ok "faults: a bounce record that cannot be synced is logged" ||
	notok "faults: bounce warning" "$(tail -5 "$T/send.log")"
id=$(q_files "$Q/info"); id=${id##*/}
if [ -n "$id" ] && tr '\0' '\n' <"$Q/local/$((id % split))/$id" | grep -q '^Tnouser@local.example$'; then
	ok "faults: the recipient is not marked done without its bounce record"
else
	notok "faults: marked done" "$(q_files "$Q")"
fi
unfault; alive
kill -ALRM "$SPID"
s_wait "^bounce msg $id qp" 10 && ok "faults: the bounce goes out after the fault" || notok "faults: bounce after fault" "$(tail -5 "$T/send.log")"
for i in $(seq 100); do [ -n "$(ls "$T/md/b2@far.example/new" 2>/dev/null)" ] && break; sleep 0.1; done
s_wait "end msg" 10 5; sleep 0.5
[ "$(ls "$T/md/b2@far.example/new" 2>/dev/null | wc -l)" = 1 ] && ok "faults: exactly one bounce" ||
	notok "faults: bounce count" "$(ls "$T/md/b2@far.example/new" 2>/dev/null)"
s_stop
left=$(q_files "$Q/todo"; q_files "$Q/info"; q_files "$Q/local"; q_files "$Q/remote"; q_files "$Q/bounce"; q_files "$Q/mess")
[ -z "$left" ] && ok "faults: the queue is empty at the end" || notok "faults: leftovers" "$left"
