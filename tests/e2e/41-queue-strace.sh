#!/bin/bash
# 41-queue-strace.sh - SECURITY.md 40: under strace -f, kurier-queue
# fsyncs the message and the envelope after their last writes, fsyncs the
# mess/ directory, links the envelope into todo/, fsyncs the
# todo/ directory, and only then exits 0.  The order is read from the
# trace, not from timings.  Twice: with an empty pool (the files are
# created) and with parked files in the pool (they are renamed in).
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
command -v strace >/dev/null || { skip "queue strace order" "no strace"; exit 0; }
q_instance || { notok "queue test instance" "setup failed"; exit 1; }
q_empty
head -c 150000 /dev/urandom | base64 >"$T/msg"
q_env a@b.example c@d.example >"$T/env"
# someone listening on the trigger fifo, as kurier-send would
exec 3<>"$Q/lock/trigger"
rm -f "$Q"/pool/*
for mode in create pool; do
if [ "$mode" = pool ]; then
	# two parked files, as kurier-clean leaves them
	for k in 1 2; do
		setpriv --reuid=kurierq --regid=kurier --clear-groups touch "$Q/pool/tmp$k"
		chmod 0640 "$Q/pool/tmp$k"
		mv "$Q/pool/tmp$k" "$Q/pool/$(stat -c %i "$Q/pool/tmp$k")"
	done
fi
# -u runs the program as nobody with its setuid bit honoured
strace -f -y -qq -u nobody -o "$T/trace" -e trace=open,openat,write,fsync,link,renameat2,exit_group \
	"$QB/kurier-queue" <"$T/msg" 1<"$T/env" 2>"$T/err"
rc=$?
[ "$rc" = 0 ] && ok "strace $mode: kurier-queue exits 0 under strace" || notok "strace $mode: exit" "$rc $(cat "$T/err")"
python3 - "$T/trace" "$KURIER_SRC/tests" "$mode" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import queuetrace
ev = queuetrace.events(sys.argv[1])
mode = sys.argv[3]

def idx(e, last=False):
    i = [k for k, x in enumerate(ev) if x == e]
    return (i[-1] if last else i[0]) if i else None

def check(cond, name):
    print(('ok ' if cond else 'not ok ') + 'strace ' + mode + ': ' + name + ('' if cond else ': ' + repr(ev)))

renames = sum(1 for x in ev if x[0] == 'take')
check(renames == (2 if mode == 'pool' else 0), 'message and envelope files taken from the pool' if mode == 'pool' else 'nothing taken from an empty pool')

fm, fe = idx(('fsync', 'mess')), idx(('fsync', 'intd'))
wm, we = idx(('write', 'mess'), True), idx(('write', 'intd'), True)
lt, ft = idx(('link', 'todo')), idx(('fsync', 'dir:todo'))
dm, di = idx(('fsync', 'dir:mess')), idx(('fsync', 'dir:intd'))
ex = idx(('exit', '0'))
check(None not in (fm, wm) and wm < fm, 'fsync(message) after its last write')
check(None not in (fe, we) and we < fe, 'fsync(envelope) after its last write')
check(None not in (fm, fe, lt) and fm < lt and fe < lt, 'message and envelope fsynced before the todo link')
check(None not in (dm, lt) and dm < lt, 'mess/ directory fsynced before the todo link')
# intd/ is not fsynced: the todo/ link names the same fsynced envelope,
# and nothing reads the intd/ name after the commit
check(di is None, 'no fsync of the intd/ directory')
check(None not in (lt, ft, ex) and lt < ft < ex, 'todo link, then fsync(todo dir), then exit 0')
check(sum(1 for x in ev if x[0] == 'fsync') == 4, 'exactly 4 fsyncs per message')
check(sum(1 for x in ev if x == ('link', 'todo')) == 1, 'exactly one link into todo')
tw = idx(('write', 'trigger'))
check(None not in (tw, ft, ex) and ft < tw < ex, 'the trigger is written after the commit')
PY
[ -n "$(q_files "$Q/todo")" ] && ok "strace $mode: the message is in todo/" || notok "strace $mode: todo" "empty"
b=$(timeout 2 dd bs=1 count=1 <&3 2>/dev/null | od -An -tx1 | tr -d ' ')
[ "$b" = 00 ] && ok "strace $mode: one byte arrived on lock/trigger" || notok "strace $mode: trigger byte" "got '$b'"
[ -z "$(q_pool)" ] && ok "strace $mode: the pool is empty afterwards" || notok "strace $mode: pool" "$(q_pool)"
q_empty
done
exit 0
