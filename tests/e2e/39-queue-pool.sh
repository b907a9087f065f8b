#!/bin/bash
# 39-queue-pool.sh - the pool of spare queue inodes (queue(5)): kurier-clean
# parks a finished message's files emptied in pool/, kurier-queue renames
# them back into place.  Checks: a reused file holds exactly the new
# message and envelope; a parked file is empty and has no name under
# mess/, intd/ or todo/; the pool never grows past its bound; concurrent
# kurier-queue runs racing for the pool each get their own file; kill -9
# of kurier-queue or kurier-clean at each step loses no acknowledged
# message, shows no stale bytes and leaves only what the sweep (or
# kurier-send's orphan check) removes.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
q_instance || { notok "queue test instance" "setup failed"; exit 1; }
q_empty
split=$(head -n 1 "$KURIER_SRC"/conf-split)
pool_max=$(sed -n 's/^#define QFILE_POOL_MAX \([0-9]*\)$/\1/p' "$KURIER_SRC/queue/qfile.h")
[ -n "$pool_max" ] || { notok "pool: QFILE_POOL_MAX" "not found in queue/qfile.h"; exit 1; }

[ "$(stat -c '%U %a' "$Q/pool")" = "kurierq 700" ] && ok "pool: pool/ is kurierq's alone (0700)" ||
	notok "pool: pool/ owner and mode" "$(stat -c '%U %a' "$Q/pool")"

# park_dummy N - put N empty files into the pool, as kurier-clean leaves them
park_dummy() {
	python3 - "$KURIER_SRC/tests" "$Q/pool" "$1" "$(id -u kurierq)" "$(getent group kurier | cut -d: -f3)" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import qpool
qpool.park(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
PY
}

# clean_run REQUEST... - run kurier-clean with the requests (each sent
# with its NUL); its replies in $T/replies, its exit code in crc
clean_run() {
	local r
	for r in "$@"; do printf '%s\0' "$r"; done >"$T/requests"
	"$QB/kurier-clean" <"$T/requests" >"$T/replies" 2>>"$T/clean.err"
	crc=$?
}

# queue_one MSGFILE RCPT - queue a message; its id in qid, the envelope's inode in eino
queue_one() {
	q_env sender@x.example "$2" >"$T/env.$2"
	q_run "$T/env.$2" "$1"
	qrc=$?
	qid=$(q_files "$Q/todo" | head -n 1); qid=${qid##*/}
	eino=; [ -n "$qid" ] && eino=$(stat -c %i "$Q/todo/$((qid % split))/$qid")
}

# exact ID MSGFILE ENVFILE - 0 when mess/ID is the Received: line and
# MSGFILE, and todo/ID the u, p, t records and ENVFILE without its final NUL
exact() {
	python3 - "$Q" "$1" "$split" "$2" "$3" <<'PY'
import re, sys
q, i, split, mf, ef = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
mess = open("%s/mess/%d/%d" % (q, i % split, i), "rb").read()
todo = open("%s/todo/%d/%d" % (q, i % split, i), "rb").read()
want, env = open(mf, "rb").read(), open(ef, "rb").read()
nl = mess.find(b"\n")
ok = mess.startswith(b"Received: (kurier-queue invoked by uid ") and mess[nl + 1:] == want
m = re.match(rb"u\d+\0p\d+\0t\d+\0", todo)
ok = ok and m is not None and todo[m.end():] == env[:-1]
sys.exit(0 if ok else 1)
PY
}

# whole FILE MSGFILE ENVFILE - 0 when FILE is empty, or is the message
# MSGFILE after a Received: line (under mess/), or the u, p, t records and
# ENVFILE without its final NUL (under intd/ or todo/)
whole() {
	python3 - "$@" <<'PY'
import re, sys
f, mf, ef = sys.argv[1:4]
b = open(f, "rb").read()
if not b: sys.exit(0)
if "/mess/" in f:
    ok = b.startswith(b"Received: ") and b[b.find(b"\n") + 1:] == open(mf, "rb").read()
else:
    m = re.match(rb"u\d+\0p\d+\0t\d+\0", b)
    ok = m is not None and b[m.end():] == open(ef, "rb").read()[:-1]
sys.exit(0 if ok else 1)
PY
}

# inodes_named - the inode numbers of every file under mess, intd, todo
inodes_named() { q_files "$Q/mess"; q_files "$Q/intd"; q_files "$Q/todo"; } 2>/dev/null
inos_named() { inodes_named | xargs -r stat -c %i | sort -u; }
inos_pool() { q_pool | xargs -r stat -c %i | sort -u; }

# pool_sane NAME - every parked file is empty, 0640, kurierq's, named by
# its inode, one link, and none has a name under mess/intd/todo
pool_sane() {
	local f bad=
	for f in $(q_pool); do
		[ "$(stat -c '%s %a %U %h %i' "$f")" = "0 640 kurierq 1 ${f##*/}" ] || bad="$bad $(stat -c '%n %s %a %U %h %i' "$f")"
	done
	local both
	both=$(comm -12 <(inos_named) <(inos_pool))
	[ -z "$bad$both" ] && ok "$1" || notok "$1" "bad:$bad shared inodes: $both"
}

# --- a finished message is parked, and a new one reuses its files exactly -------------
rm -f "$Q"/pool/*
for k in $(seq 1 400); do echo "first message line $k, longer than the second message"; done >"$T/msgA"
queue_one "$T/msgA" a@y.example
idA=$qid eA=$eino
[ "$qrc" = 0 ] && [ -n "$idA" ] && ok "reuse: message A queued" || notok "reuse: queue A" "exit $qrc"
clean_run "P$idA" "M$idA"
[ "$crc" = 0 ] && [ "$(od -An -c "$T/replies" | tr -d ' \n')" = 'K\0K\0' ] &&
	ok "reuse: kurier-clean answers K to P and M" || notok "reuse: clean replies" "exit $crc: $(od -c "$T/replies")"
[ -z "$(inodes_named)" ] && ok "reuse: A has no name left in mess, intd, todo" || notok "reuse: A's names" "$(inodes_named)"
[ "$(inos_pool | tr '\n' ' ')" = "$(printf '%s\n' "$idA" "$eA" | sort -u | tr '\n' ' ')" ] &&
	ok "reuse: A's message and envelope inodes are parked as pool/INODE" || notok "reuse: pool" "$(q_pool) want $idA $eA"
pool_sane "reuse: parked files are empty and named nowhere else"
printf 'Subject: B\n\nshort\n' >"$T/msgB"
queue_one "$T/msgB" b@y.example
[ "$qrc" = 0 ] && ok "reuse: message B queued" || notok "reuse: queue B" "exit $qrc $(cat "$T/q_run.err")"
[ "$(printf '%s\n' "$qid" "$eino" | sort -u | tr '\n' ' ')" = "$(printf '%s\n' "$idA" "$eA" | sort -u | tr '\n' ' ')" ] &&
	ok "reuse: B's message and envelope are A's parked inodes" || notok "reuse: B's inodes" "$qid $eino, A's $idA $eA"
[ -z "$(q_pool)" ] && ok "reuse: the pool is empty again" || notok "reuse: pool after B" "$(q_pool)"
exact "$qid" "$T/msgB" "$T/env.b@y.example" && ok "reuse: B's files hold exactly B, nothing of A" ||
	notok "reuse: B's contents" "$(head -c 300 "$Q/mess/$((qid % split))/$qid" | od -c | head)"
[ "$(stat -c '%a %U %G %h' "$Q/mess/$((qid % split))/$qid")" = "640 kurierq kurier 1" ] &&
	ok "reuse: the reused message file is 0640 kurierq:kurier, one link" ||
	notok "reuse: mode" "$(stat -c '%a %U %G %h' "$Q/mess/$((qid % split))/$qid")"
q_empty

# a parked file that a power loss left with bytes (its truncation lost,
# its rename kept) is emptied when it is taken
rm -f "$Q"/pool/*
park_dummy 2
for f in $(q_pool); do head -c 30000 /dev/urandom >>"$f"; done
queue_one "$T/msgB" e@y.example
[ "$qrc" = 0 ] && [ -z "$(q_pool)" ] && exact "$qid" "$T/msgB" "$T/env.e@y.example" &&
	ok "reuse: parked files with old bytes are emptied before reuse" ||
	notok "reuse: stale parked bytes" "exit $qrc pool $(q_pool) size $(stat -c %s "$Q/mess/$((qid % split))/$qid")"
q_empty

# a file with a second name is not parked: kurier-queue drops its pool name
rm -f "$Q"/pool/*
park_dummy 1
f=$(q_pool); ln "$f" "$T/second"
queue_one "$T/msgB" f@y.example
[ "$qrc" = 0 ] && [ -z "$(q_pool)" ] && [ "$qid" != "${f##*/}" ] && [ "$eino" != "${f##*/}" ] &&
	[ "$(stat -c %h "$T/second")" = 1 ] &&
	ok "reuse: a parked file with another name is left alone and dropped from the pool" ||
	notok "reuse: two names" "exit $qrc pool $(q_pool) qid $qid eino $eino links $(stat -c %h "$T/second")"
q_empty

# a link planted at intd/S/ID while the message file is taken: the
# envelope's rename never replaces it and the O_EXCL create refuses it (65)
if command -v strace >/dev/null; then
	rm -f "$Q"/pool/*
	park_dummy 2
	strace -f -u nobody -qq -o /dev/null -e trace=renameat2 -e inject=renameat2:delay_exit=1500000:when=1 \
		"$QB/kurier-queue" <"$T/msgB" 1<"$T/env.b@y.example" 2>>"$T/q_run.err" &
	sp=$!
	m=
	for i in $(seq 100); do m=$(q_files "$Q/mess"); [ -n "$m" ] && break; sleep 0.05; done
	[ -n "$m" ] && ln -s "$T/victim" "$Q/intd/$(( ${m##*/} % split ))/${m##*/}"
	wait $sp
	rc=$?
	[ -n "$m" ] && [ "$rc" = 65 ] && [ ! -e "$T/victim" ] && [ -z "$(q_files "$Q/mess"; q_files "$Q/todo")" ] &&
		ok "reuse: a link planted in intd/ is neither replaced nor followed (65)" ||
		notok "reuse: intd link" "exit $rc mess '$m' $(q_files "$Q/mess")"
	find "$Q/intd" -type l -delete
	q_empty
fi

# --- the pool is bounded ---------------------------------------------------------------
rm -f "$Q"/pool/*
park_dummy $((pool_max - 1))
queue_one "$T/msgA" c@y.example
# two were taken: two more make room for exactly one of the two that come back
park_dummy 2
clean_run "P$qid" "M$qid"
n=$(q_pool | grep -c .)
[ "$crc" = 0 ] && [ "$n" = "$pool_max" ] && [ -z "$(inodes_named)" ] &&
	ok "bound: the pool stops at QFILE_POOL_MAX ($pool_max), the rest is unlinked" ||
	notok "bound: pool size" "$n files (max $pool_max), exit $crc, named: $(inodes_named)"
queue_one "$T/msgB" d@y.example
clean_run "P$qid" "M$qid"
n=$(q_pool | grep -c .)
[ "$n" = "$pool_max" ] && ok "bound: still $pool_max after another message" || notok "bound: pool size again" "$n"
pool_sane "bound: a full pool holds only empty unnamed files"
q_empty

# --- concurrent kurier-queue runs racing for a small pool -----------------------------
rm -f "$Q"/pool/*
park_dummy 12
RUNS=16
for k in $(seq 1 $RUNS); do
	printf 'Subject: race %d\n\nmarker %d\n' "$k" "$k" >"$T/race.$k"
	q_env sender@x.example "r$k@y.example" >"$T/renv.$k"
done
pids=
for k in $(seq 1 $RUNS); do
	( timeout 60 setpriv --reuid=nobody --regid=nogroup --clear-groups "$QB/kurier-queue" \
		<"$T/race.$k" 1<"$T/renv.$k" 2>>"$T/race.err"; echo $? >"$T/race.rc.$k" ) &
	pids="$pids $!"
done
wait $pids
bad=
for k in $(seq 1 $RUNS); do [ "$(cat "$T/race.rc.$k")" = 0 ] || bad="$bad $k:$(cat "$T/race.rc.$k")"; done
[ -z "$bad" ] && ok "race: all $RUNS concurrent runs exit 0" || notok "race: exits" "$bad $(cat "$T/race.err")"
ids=$(q_files "$Q/todo" | sed 's|.*/||')
[ "$(echo "$ids" | grep -c .)" = "$RUNS" ] && ok "race: $RUNS todo entries" || notok "race: todo count" "$ids"
bad=
for i in $ids; do
	k=$(tr '\0' '\n' <"$Q/todo/$((i % split))/$i" | sed -n 's/^Tr\([0-9]*\)@y.example$/\1/p')
	[ -n "$k" ] && exact "$i" "$T/race.$k" "$T/renv.$k" || bad="$bad $i"
done
[ -z "$bad" ] && ok "race: each message file holds exactly its own message and envelope" || notok "race: contents" "$bad"
taken=$((12 - $(q_pool | grep -c .)))
[ "$taken" -gt 0 ] && ok "race: $taken parked files were taken" || notok "race: nothing taken" "$(q_pool)"
pool_sane "race: what is left in the pool is empty and unnamed"
q_empty

# --- kill -9 of kurier-queue at each step ---------------------------------------------
command -v strace >/dev/null || { skip "kill kurier-queue" "no strace"; exit 0; }
# aged_sweep - age what is left under pid, mess and intd past 36 hours and
# run kurier-clean's startup sweep; then ask it to remove orphan message
# files, as kurier-send's startup does (no todo, no info, older than 36 hours)
aged_sweep() {
	local f ids=
	for f in $(q_files "$Q/pid") $(inodes_named); do touch -d '40 hours ago' "$f"; done
	for f in $(q_files "$Q/mess"); do
		local i=${f##*/}
		[ -e "$Q/todo/$((i % split))/$i" ] || [ -e "$Q/info/$((i % split))/$i" ] || ids="$ids M$i"
	done
	# shellcheck disable=SC2086
	clean_run $ids
}
for step in renameat2:1 renameat2:2 write:1 fsync:1 fsync:2 fsync:3 link:1 fsync:4; do
	rm -f "$Q"/pool/*
	q_empty
	park_dummy 2
	inos_pool >"$T/pool0"
	sc=${step%:*} when=${step#*:}
	# in a subshell, so that the shell's "Killed" goes nowhere
	rc=$( (strace -f -qq -u nobody -o "$T/ktrace" -e trace="$sc" -e inject="$sc:signal=KILL:when=$when" \
		"$QB/kurier-queue" <"$T/msgA" 1<"$T/env.a@y.example"; echo $?) 2>/dev/null)
	todo=$(q_files "$Q/todo")
	if [ "$step" = fsync:4 ]; then
		# killed after the commit, before the exit: the message is queued, whole
		i=${todo##*/}
		[ -n "$todo" ] && exact "$i" "$T/msgA" "$T/env.a@y.example" &&
			ok "kill queue at $step: committed before the kill, the message is whole" ||
			notok "kill queue at $step" "rc $rc todo '$todo'"
		continue
	fi
	[ "$rc" != 0 ] && [ -z "$todo" ] && ok "kill queue at $step: no exit 0, no todo entry" ||
		notok "kill queue at $step" "rc $rc todo '$todo'"
	# the two parked inodes are in the pool or named as an uncommitted leftover
	[ "$(sort -u <(inos_pool) <(inos_named) | tr '\n' ' ')" = "$(tr '\n' ' ' <"$T/pool0")" ] &&
		ok "kill queue at $step: both parked inodes are accounted for" ||
		notok "kill queue at $step: inodes" "pool $(inos_pool | tr '\n' ' ') named $(inos_named | tr '\n' ' ') was $(cat "$T/pool0")"
	pool_sane "kill queue at $step: the pool holds only empty unnamed files"
	aged_sweep
	l=$(q_files "$Q/pid"; inodes_named)
	[ -z "$l" ] && ok "kill queue at $step: the sweep and the orphan check remove the leftovers" ||
		notok "kill queue at $step: leftovers after the sweep" "$l"
done
q_empty

# --- kill -9 of kurier-clean at each step of parking ----------------------------------
for step in unlink:1 ftruncate:1 renameat2:1 ftruncate:2 renameat2:2; do
	rm -f "$Q"/pool/*
	q_empty
	queue_one "$T/msgA" k@y.example
	id=$qid
	printf 'P%s\0M%s\0' "$id" "$id" >"$T/requests"
	sc=${step%:*} when=${step#*:}
	(strace -f -qq -o "$T/ctrace" -e trace="$sc" -e inject="$sc:signal=KILL:when=$when" \
		"$QB/kurier-clean" <"$T/requests" >/dev/null) 2>/dev/null
	hit=$(grep -c 'killed by SIGKILL' "$T/ctrace")
	pool_sane "kill clean at $step: the pool holds only empty unnamed files"
	# a name that is left shows A's bytes whole (kill before the
	# truncation) or nothing at all: never a reused file's new bytes
	bad=
	for f in $(inodes_named); do
		whole "$f" "$T/msgA" "$T/env.k@y.example" || bad="$bad $f"
	done
	[ "$hit" = 1 ] && [ -z "$bad" ] && ok "kill clean at $step: what keeps a queue name is whole or empty" ||
		notok "kill clean at $step" "hit $hit bad $bad"
	# kurier-send asks again after a restart: the requests finish the job
	clean_run "P$id" "M$id"
	[ "$crc" = 0 ] && [ -z "$(inodes_named)" ] && ok "kill clean at $step: repeating the requests finishes it" ||
		notok "kill clean at $step: after repeating" "exit $crc left $(inodes_named)"
	pool_sane "kill clean at $step: after repeating, the pool is sane"
done
q_empty
rm -f "$Q"/pool/*

# --- a file someone still has open is never parked -----------------------------------
# A pipe delivery gets the message file as standard input, and a program
# it left running may hold it after the delivery: reusing that inode would
# show it the next message.  Here the test itself holds the file open.
q_empty
rm -f "$Q"/pool/*
queue_one "$T/msgA" open@y.example
idO=$qid eO=$eino
mf="$Q/mess/$((idO % split))/$idO"
exec 7<"$mf"
clean_run "P$idO" "M$idO"
[ "$crc" = 0 ] && [ "$(od -An -c "$T/replies" | tr -d ' \n')" = 'K\0K\0' ] &&
	ok "open: kurier-clean finishes a message whose file is open elsewhere" || notok "open: clean" "exit $crc"
[ "$(inos_pool | tr '\n' ' ')" = "$eO " ] &&
	ok "open: only the envelope (open nowhere) is parked, not the open message file" ||
	notok "open: pool" "pool $(inos_pool | tr '\n' ' '), message $idO envelope $eO"
queue_one "$T/msgB" next@y.example
[ "$qrc" = 0 ] && ok "open: the next message is queued" || notok "open: next" "exit $qrc"
cat <&7 >"$T/held"
python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
sys.exit(0 if b.startswith(b"Received: ") and b[b.find(b"\n") + 1:] == open(sys.argv[2], "rb").read() else 1)
' "$T/held" "$T/msgA" && ok "open: the holder still reads the old message whole" || notok "open: holder" "reads $(head -c 200 "$T/held" | od -c | head -3)"
exec 7<&-
q_empty
rm -f "$Q"/pool/*

# an open(2) while kurier-clean holds its lease (the truncation delayed 2 s
# under strace) breaks the lease with SIGIO: kurier-clean must live on,
# and the opener gets the file once the lease is released
queue_one "$T/msgA" lease@y.example
idL=$qid
printf 'P%s\0M%s\0' "$idL" "$idL" >"$T/requests"
strace -f -qq -o /dev/null -e trace=ftruncate -e inject=ftruncate:delay_enter=2000000:when=2 \
	"$QB/kurier-clean" <"$T/requests" >"$T/replies" 2>>"$T/clean.err" &
cpid=$!
sleep 1
timeout 20 cat "$Q/mess/$((idL % split))/$idL" >/dev/null 2>&1
catrc=$?
wait $cpid
crc=$?
[ "$crc" = 0 ] && [ "$(od -An -c "$T/replies" | tr -d ' \n')" = 'K\0K\0' ] && [ "$catrc" = 0 ] &&
	ok "lease: an open during the lease neither kills kurier-clean nor fails" ||
	notok "lease: break" "clean exit $crc replies $(od -An -c "$T/replies" | tr -d ' \n'), cat $catrc"
q_empty
rm -f "$Q"/pool/*

# --- kurier-queue -s: every message of a session takes from the pool ------------------
# Message 1 starts with an empty pool (it creates its files); two files are
# parked while the session waits for message 2, which must find them (the
# pool is listed again once the names read before are used up); message 3
# finds the pool empty again and creates.  Each message's files must hold
# exactly that message.
q_empty
for n in 1 2 3; do
	printf 'Subject: s%s\n\nsession message %s\n' $n $n >"$T/msgS$n"
	q_env s@x.example "s$n@y.example" >"$T/envS$n"
done
python3 - "$QB/kurier-queue" "$Q" "$T" "$(id -u kurierq)" "$(getent group kurier | cut -d: -f3)" \
	"$KURIER_SRC/tests" >"$T/session.out" 2>"$T/session.err" <<'PY'
import subprocess, sys
prog, q, t, uid, gid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, sys.argv[6])
import qpool
p = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", prog, "-s"],
                     cwd="/", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
parked = []
for n in (1, 2, 3):
    m = open("%s/msgS%d" % (t, n), "rb").read()
    e = open("%s/envS%d" % (t, n), "rb").read()
    p.stdin.write(b"M%d\n" % len(m) + m + b"E%d\n" % len(e) + e)
    p.stdin.flush()
    print("status", n, p.stdout.readline().decode().strip())
    if n == 1: parked = qpool.park(q + "/pool", 2, uid, gid)
p.stdin.close()
print("exit", p.wait())
print("parked", " ".join(str(i) for i in sorted(parked)))
PY
[ "$(grep -c '^status [123] 0$' "$T/session.out")" = 3 ] && grep -q '^exit 0$' "$T/session.out" &&
	ok "session: three messages queued by one kurier-queue -s" || notok "session: statuses" "$(cat "$T/session.out" "$T/session.err")"
parked=$(sed -n 's/^parked //p' "$T/session.out")
# the ids in order of the sender's recipient: which message took which inodes
sid=() sino=()
for f in $(q_files "$Q/todo"); do
	r=$(tr '\0' '\n' <"$f" | sed -n 's/^T//p')
	n=${r#s}; n=${n%%@*}
	sid[$n]=${f##*/}; sino[$n]="$(printf '%s\n' "${f##*/}" "$(stat -c %i "$f")" | sort -n | tr '\n' ' ')"
done
[ -n "${sid[2]}" ] && [ "${sino[2]% }" = "$parked" ] &&
	ok "session: message 2 took the two files parked after message 1" ||
	notok "session: message 2's inodes" "got '${sino[2]}', parked '$parked'"
bad=
for n in 1 3; do
	for i in ${sino[$n]}; do case " $parked " in *" $i "*) bad="$bad $n:$i" ;; esac; done
done
[ -n "${sid[1]}" ] && [ -n "${sid[3]}" ] && [ -z "$bad" ] &&
	ok "session: messages 1 and 3 created their files (the pool was empty)" || notok "session: 1 and 3" "ids ${sid[*]} bad$bad"
bad=
for n in 1 2 3; do exact "${sid[$n]}" "$T/msgS$n" "$T/envS$n" || bad="$bad $n"; done
[ -z "$bad" ] && ok "session: each message's files hold exactly that message" || notok "session: contents" "wrong:$bad"
[ -z "$(q_pool)" ] && ok "session: the pool is empty afterwards" || notok "session: pool" "$(q_pool)"
q_empty
rm -f "$Q"/pool/*
exit 0
