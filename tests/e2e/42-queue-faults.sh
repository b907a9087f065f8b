#!/bin/bash
# 42-queue-faults.sh - SECURITY.md 42 for kurier-queue: EIO injected at
# each fsync and ENOSPC at each write (strace -e inject) gives a
# temporary exit (53), no todo entry and no file left in pid/, mess/ or
# intd/; a fault at the trigger write, after the commit, changes nothing.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
command -v strace >/dev/null || { skip "queue faults" "no strace"; exit 0; }
q_instance || { notok "queue test instance" "setup failed"; exit 1; }
q_empty
head -c 150000 /dev/urandom | base64 >"$T/msg"
q_env a@b.example c@d.example e@f.example >"$T/env"
# someone listening on the trigger fifo, so the trigger write happens
exec 3<>"$Q/lock/trigger"

# leftovers - the files in pid, mess, intd, todo
leftovers() { q_files "$Q/pid"; q_files "$Q/mess"; q_files "$Q/intd"; q_files "$Q/todo"; }

# faulty NAME SYSCALL ERROR N - run with the Nth SYSCALL failing; sets rc and hit
faulty() {
	strace -f -y -qq -u nobody -o "$T/trace" -e trace="$2" -e inject="$2:error=$3:when=$4" \
		"$QB/kurier-queue" <"$T/msg" 1<"$T/env" 2>"$T/err"
	rc=$?
	hit=$(grep 'INJECTED' "$T/trace" | head -n 1)
}

for n in 1 2 3 4 5; do
	faulty fsync fsync EIO $n
	if [ -z "$hit" ]; then
		[ "$n" = 5 ] && [ "$rc" = 0 ] && [ -n "$(q_files "$Q/todo")" ] &&
			ok "faults: 4 fsyncs; without a fault the message is queued" ||
			notok "faults: fsync count" "n=$n rc=$rc, no injection"
	else
		[ "$rc" = 53 ] && ok "faults: EIO at fsync $n exits 53" || notok "faults: EIO at fsync $n" "exit $rc: $hit"
		l=$(leftovers)
		[ -z "$l" ] && ok "faults: EIO at fsync $n leaves nothing" || notok "faults: EIO at fsync $n leftovers" "$l"
	fi
	q_empty
done

writes=0 trig=0
for n in $(seq 1 12); do
	faulty write write ENOSPC $n
	if [ -z "$hit" ]; then
		[ "$rc" = 0 ] && [ -n "$(q_files "$Q/todo")" ] && ok "faults: after $writes failing writes the message is queued" ||
			notok "faults: write count" "n=$n rc=$rc"
		q_empty
		break
	fi
	if echo "$hit" | grep -q 'lock/trigger'; then
		trig=1
		[ "$rc" = 0 ] && [ -n "$(q_files "$Q/todo")" ] && ok "faults: ENOSPC at the trigger write: still queued, exit 0" ||
			notok "faults: trigger write" "exit $rc"
	else
		writes=$((writes + 1))
		[ "$rc" = 53 ] && ok "faults: ENOSPC at write $n exits 53" || notok "faults: ENOSPC at write $n" "exit $rc: $hit"
		l=$(leftovers)
		[ -z "$l" ] && ok "faults: ENOSPC at write $n leaves nothing" || notok "faults: ENOSPC at write $n leftovers" "$l"
	fi
	q_empty
done
[ "$writes" -ge 4 ] && ok "faults: at least 4 data writes were each failed ($writes)" || notok "faults: write coverage" "$writes"
[ "$trig" = 1 ] && ok "faults: the trigger write was reached" || notok "faults: trigger" "never injected"

# EIO at every link and open (queue files, directories, and the C
# library's own files): either a temporary code and nothing left, or,
# when the fault hit something that does not matter, a complete commit
for sc in link open openat; do	# glibc opens with openat(2), musl with open(2)
	for n in $(seq 1 16); do
		faulty "$sc" "$sc" EIO $n
		[ -z "$hit" ] && { q_empty; break; }
		l=$(leftovers)
		if [ "$rc" -ge 51 ] && [ -z "$l" ]; then ok "faults: EIO at $sc $n: exit $rc, nothing left"
		elif [ "$rc" = 0 ] && [ "$(q_count todo)" = 1 ] && [ "$(q_count mess)" = 1 ] && [ "$(q_count pid)" = 0 ]; then
			ok "faults: EIO at $sc $n (${hit:0:60}...): a complete commit"
		else notok "faults: EIO at $sc $n" "exit $rc left $l: $hit"; fi
		q_empty
	done
done
exit 0
