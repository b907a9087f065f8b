#!/bin/bash
# 40-queue.sh - kurier-queue as a qmail-queue drop-in: the files a message
# leaves in the queue (names, modes, owners, the envelope records, the
# Received: line), and the exit codes for broken envelopes with nothing
# left behind (SECURITY.md 22), and links planted in pid/ and intd/ never
# followed (SECURITY.md 23).
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
q_instance || { notok "queue test instance" "setup failed"; exit 1; }
q_empty
# an empty pool: the files are created through pid/, as the checks below
# expect (39-queue-pool.sh tests the pool)
rm -f "$Q"/pool/*
split=$(head -n 1 "$KURIER_SRC"/conf-split)

# nothing_left NAME - ok when pid, mess, intd and todo hold no file
nothing_left() {
	local n
	n=$(q_files "$Q/pid"; q_files "$Q/mess"; q_files "$Q/intd"; q_files "$Q/todo")
	if [ -z "$n" ]; then ok "$1"; else notok "$1" "left: $n"; q_empty; fi
}

printf 'Subject: hello\n\nbody line\n' >"$T/msg"

# --- one good message -------------------------------------------------------
q_env 'a@b.example' 'c@d.example' 'e@f.example' >"$T/env"
check_exit "queue: a good message exits 0" 0 q_run "$T/env" "$T/msg"
mess=$(q_files "$Q/mess")
todo=$(q_files "$Q/todo")
intd=$(q_files "$Q/intd")
[ "$(echo "$mess" | grep -c .)" = 1 ] && ok "queue: one message file" || notok "queue: one message file" "$mess"
id=${mess##*/}
ino=$(stat -c %i "$mess")
[ "$id" = "$ino" ] && ok "queue: the id is the message file's inode" || notok "queue: id is inode" "$id vs $ino"
[ "$mess" = "$Q/mess/$((id % split))/$id" ] && ok "queue: message in mess/(id mod split)/id" || notok "queue: split dir" "$mess"
[ "$todo" = "$Q/todo/$((id % split))/$id" ] && ok "queue: todo entry for the id" || notok "queue: todo entry" "$todo"
[ "$(stat -c %i "$todo")" = "$(stat -c %i "$intd")" ] && ok "queue: todo is a hard link of intd" || notok "queue: todo link" "$intd"
[ -z "$(q_files "$Q/pid")" ] && ok "queue: pid/ is empty after the commit" || notok "queue: pid empty" "$(q_files "$Q/pid")"
[ "$(stat -c '%U %G %a' "$mess")" = "kurierq kurier 640" ] && ok "queue: message kurierq:kurier 0640" ||
	notok "queue: message owner/mode" "$(stat -c '%U %G %a' "$mess")"
[ "$(stat -c '%U %G %a' "$todo")" = "kurierq kurier 640" ] && ok "queue: envelope kurierq:kurier 0640" ||
	notok "queue: envelope owner/mode" "$(stat -c '%U %G %a' "$todo")"
head -n 1 "$mess" | grep -Eq '^Received: \(kurier-queue invoked by uid 65534\); (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0000$' &&
	ok "queue: its own Received: line first" || notok "queue: Received line" "$(head -n 1 "$mess")"
tail -n +2 "$mess" | cmp -s - "$T/msg" && ok "queue: the message bytes follow unchanged" || notok "queue: message bytes" "differ"
env=$(tr '\0' '\n' <"$todo")
if echo "$env" | sed -n 1p | grep -q '^u65534$' && echo "$env" | sed -n 2p | grep -q '^p[0-9][0-9]*$' &&
   echo "$env" | sed -n 3p | grep -q '^t[0-9][0-9]*$' &&
   [ "$(echo "$env" | sed -n '4,$p')" = "$(printf 'Fa@b.example\nTc@d.example\nTe@f.example')" ]; then
	ok "queue: envelope records u p t F T T"
else
	notok "queue: envelope records" "$env"
fi
[ "$(tail -c 1 "$todo" | od -An -tx1 | tr -d ' ')" = 00 ] && [ "$(tr -cd '\0' <"$todo" | wc -c)" = 6 ] &&
	ok "queue: envelope file has no extra final NUL" || notok "queue: envelope NULs" "$(od -c "$todo" | tail -3)"
q_empty

# the null sender and bytes after the final NUL (ignored, as qmail-queue does)
{ printf 'F\0Tx@y.example\0\0'; printf 'junk'; } >"$T/env"
check_exit "queue: null sender and trailing bytes exit 0" 0 q_run "$T/env" "$T/msg"
[ "$(tr '\0' '\n' <"$(q_files "$Q/todo")" | sed -n '4,$p')" = "$(printf 'F\nTx@y.example')" ] &&
	ok "queue: trailing bytes are not stored" || notok "queue: trailing bytes" "$(od -c "$(q_files "$Q/todo")")"
q_empty

# --- broken envelopes: the documented exit code, nothing left ----------------
# expect CODE NAME - run with $T/env and check code and leftovers
expect() {
	check_exit "queue: $2 exits $1" "$1" q_run "$T/env" "$T/msg"
	nothing_left "queue: $2 leaves nothing"
}
printf 'Tc@d\0\0' >"$T/env"; expect 91 "no F record"
printf '' >"$T/env"; expect 54 "empty envelope"
printf 'Fa@b\0Tc@d\0' >"$T/env"; expect 54 "no final NUL"
printf 'Fa@b\0Tc@d' >"$T/env"; expect 54 "EOF inside a recipient"
printf 'Fa@b\0\0' >"$T/env"; expect 91 "no recipient"
printf 'Fa@b\0T\0\0' >"$T/env"; expect 91 "an empty recipient"
printf 'Fa@b\0Xc@d\0\0' >"$T/env"; expect 91 "an unknown record"
long=$(head -c 513 /dev/zero | tr '\0' a)
q_env "$long" c@d >"$T/env"; expect 11 "a 513-byte sender"
q_env a@b "$long" >"$T/env"; expect 11 "a 513-byte recipient"
q_env a@b "${long:1}" >"$T/env"
check_exit "queue: a 512-byte recipient is fine" 0 q_run "$T/env" "$T/msg"
q_empty
python3 -c '
import sys
w = sys.stdout.buffer
w.write(b"Fa@b\0")
for i in range(1000000): w.write(b"Tr%d@x.example\0" % i)
w.write(b"\0")' >"$T/env"
expect 31 "a million recipients"
python3 -c '
import sys
w = sys.stdout.buffer
w.write(b"Fa@b\0")
for i in range(100000): w.write(b"Tr%d@x.example\0" % i)
w.write(b"\0")' >"$T/env"
check_exit "queue: 100000 recipients (the limit) are fine" 0 q_run "$T/env" "$T/msg"
[ "$(tr -cd '\0' <"$(q_files "$Q/todo")" | wc -c)" = 100004 ] && ok "queue: all 100000 recipients stored" ||
	notok "queue: 100000 recipients" "$(tr -cd '\0' <"$(q_files "$Q/todo")" | wc -c) NULs"
q_empty

# --- not installed setuid: it must refuse, not write files as someone else ----
cp "$QB/kurier-queue" "$T/kq-plain" && chmod 755 "$T/kq-plain"
q_env a@b c@d >"$T/env"
check_exit "queue: without setuid it refuses (62)" 62 q_run "$T/env" "$T/msg" "$T/kq-plain"
nothing_left "queue: refusal leaves nothing"

# --- links planted in pid/ (SECURITY.md 23) -----------------------------------
# The pid name is pid/PID.TIME.0; the wrapper shell keeps its pid across
# exec, so it can plant links under the names kurier-queue will try.
rm -f "$T/victim"
bash -c 't=$(date +%s); for d in 0 1 2; do ln -s "$1" "$2/pid/$$.$((t + d)).0"; done
	exec setpriv --reuid=nobody --regid=nogroup --clear-groups "$3"' x "$T/victim" "$Q" "$QB/kurier-queue" \
	<"$T/msg" 1<"$T/env" 2>>"$T/q_run.err"
rc=$?
[ "$rc" = 0 ] && ok "queue: a link in pid/ is passed over" || notok "queue: pid link" "exit $rc"
[ ! -e "$T/victim" ] && ok "queue: the link in pid/ was not followed" || notok "queue: pid link followed" "victim exists"
[ "$(find "$Q/pid" -type l | wc -l)" = 3 ] && ok "queue: planted pid links untouched" || notok "queue: pid links" "$(ls -l "$Q/pid")"
find "$Q/pid" -type l -delete
q_empty

# --- a link planted in intd/S/ID after the id is known ------------------------
# strace holds kurier-queue right after its link into mess/, long enough
# for us to read the id and plant the link; the order is by polling.
if command -v strace >/dev/null; then
	strace -f -u nobody -qq -o /dev/null -e trace=link -e inject=link:delay_exit=1500000 \
		"$QB/kurier-queue" <"$T/msg" 1<"$T/env" 2>>"$T/q_run.err" &
	sp=$!
	m=
	for i in $(seq 100); do m=$(q_files "$Q/mess"); [ -n "$m" ] && break; sleep 0.05; done
	if [ -n "$m" ]; then
		id=${m##*/}
		ln -s "$T/victim" "$Q/intd/$((id % split))/$id"
	fi
	wait $sp
	rc=$?
	[ -n "$m" ] && [ "$rc" = 65 ] && ok "queue: a link planted in intd/ fails with 65" || notok "queue: intd link" "exit $rc, mess=$m"
	[ ! -e "$T/victim" ] && ok "queue: the link in intd/ was not followed" || notok "queue: intd link followed" "victim exists"
	[ -z "$(q_files "$Q/mess"; q_files "$Q/todo")" ] && ok "queue: intd link leaves no message" ||
		notok "queue: intd leftovers" "$(q_files "$Q/mess")"
	find "$Q/intd" -type l -delete
else
	skip "queue: a link planted in intd/" "no strace"
fi
q_empty
exit 0
