#!/bin/bash
# 66-smtpd-qsession.sh - one kurier-queue -s per SMTP session: kurier-smtpd
# (as root under tcpserver, as in production) with the real setuid
# kurier-queue of the test instance.  Several messages on one connection
# are all accepted by one kurier-queue process (the same qp in every 250,
# one exec under strace -f, one process in /proc while the session is
# open, none after QUIT) and delivered byte for byte; a message over the
# size limit in the middle is refused and the next one accepted;
# kurier-queue killed (SIGKILL) between messages costs nothing, killed
# inside a message gives that message a 4xx and the next one a new
# kurier-queue, and nothing uncommitted is left but the one message file
# a process killed while writing it leaves to kurier-clean; a client that
# disconnects inside a message leaves nothing (kurier-queue removes it); and
# kurier-queue -s run by hand answers malformed frames with the
# documented codes, leaving nothing behind.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
. "$KURIER_SRC/queue/e2e-send.sh"
command -v strace >/dev/null || { skip "queue session" "no strace"; exit 0; }
s_setup || { notok "queue session: test instance" "setup failed"; exit 1; }
[ -u "$QB/kurier-queue" ] || { skip "queue session" "no setuid $QB/kurier-queue"; exit 0; }
id kurierd >/dev/null 2>&1 || { skip "queue session" "no user kurierd"; exit 0; }
mkdir -p "$T/expect"

# uncommitted - pid/ files, and mess/ or intd/ files without a todo/ entry
# (kurier-send is not running yet, so every committed message is in todo/)
uncommitted() {
	local f id
	q_files "$Q/pid"
	for f in $(q_files "$Q/mess") $(q_files "$Q/intd"); do
		id=${f#"$Q"/*/}
		[ -e "$Q/todo/$id" ] || echo "$f"
	done
}

# smtpd_on PORT [strace output] - tcpserver with kurier-smtpd as root, relaying
# for loopback, messages up to 300000 bytes; its pid (strace's, if traced) in SRV
smtpd_on() {
	local pre=()
	[ -n "${2:-}" ] && pre=(strace -f -qq -o "$2" -e trace=execve)
	env -i PATH=/usr/bin:/bin RELAYCLIENT= SIZELIMIT=300000 "${pre[@]}" \
		tcpserver -H -R -l0 127.0.0.1 "$1" "$TB/kurier-smtpd" </dev/null >/dev/null 2>>"$T/smtpd.log" &
	SRV=$!
	on_exit "kill $SRV 2>/dev/null"
	wait_port "$1"
}
PA=$(free_port)
smtpd_on "$PA" "$T/strace.a" || { notok "queue session: tcpserver" "no listener"; exit 1; }
STRACE_A=$SRV
PB=$(free_port)
smtpd_on "$PB" || { notok "queue session: tcpserver" "no listener"; exit 1; }

cat >"$T/client.py" <<'PY'
# the SMTP client: sessions A (several messages), B (size limit), C (kills);
# prints TAP lines; writes each accepted message, as it must be stored
# after the two Received lines, to EXPECT/<rcpt>
import os, re, signal, smtplib, sys, time
port_a, port_b, Q, QPROG, EXPECT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def ok(cond, name, why=""):
    print(("ok " if cond else "not ok ") + "queue session: " + name + ("" if cond else ": " + str(why)), flush=True)

def qprocs():
    """kurier-queue processes of this test instance (zombies have no exe)"""
    r = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.readlink("/proc/%s/exe" % p) == QPROG:
                    r.append(int(p))
            except OSError:
                pass
    return sorted(r)

def files():
    out = set()
    for d in ("pid", "mess", "intd", "todo"):
        for root, _, fs in os.walk(os.path.join(Q, d)):
            out |= {os.path.join(root, f) for f in fs if not f.startswith(".reuse.")}
    return out

def writing(before):
    """the message files over 8 KiB that appeared since before, once there is one (3 s at most)"""
    new = set()
    for _ in range(150):
        new = {f for f in files() - before if "/mess/" in f and os.path.getsize(f) > 8192}
        if new:
            break
        time.sleep(0.02)
    return new

def gone(pid, secs=3):
    for _ in range(secs * 50):
        if pid not in qprocs():
            return True
        time.sleep(0.02)
    return False

def qp(text):
    m = re.search(rb"qp (\d+)", text)
    return int(m.group(1)) if m else None

def send(s, rcpt, msg):
    """one transaction: (code, qp) of the reply to DATA"""
    s.mail("sender@client.example")
    s.rcpt(rcpt)
    code, text = s.data(msg)
    if code == 250:
        stored = msg.replace(b"\r\n", b"\n")
        open(os.path.join(EXPECT, rcpt), "wb").write(stored if stored.endswith(b"\n") else stored + b"\n")
    return code, qp(text)

def begin(s, rcpt, part):
    """MAIL, RCPT, DATA, then the first part of the message"""
    s.mail("sender@client.example")
    s.rcpt(rcpt)
    s.putcmd("data")
    code, _ = s.getreply()
    s.send(part)
    return code

def small(tag):
    return b"Subject: " + tag + b"\r\nFrom: sender@client.example\r\n\r\nhello " + tag + b"\r\n"

# --- A: five messages on one connection, one kurier-queue for all
big = b"Subject: a2\r\n\r\n" + b"".join(b"line %06d %s\r\n" % (i, b"x" * 60) for i in range(2800))
msgs = [small(b"a1"), big,
        b"Subject: a3\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast\r\n",
        b"Subject: a4\r\n\r\n8bit: \xc3\xa4 \xff\xfe\r\n",
        b"Subject: a5\r\n\r\nM5\r\nE11\r\nlines that look like frames\r\n"]
s = smtplib.SMTP("127.0.0.1", port_a, timeout=30)
s.ehlo("client.example")
res = []
for i, m in enumerate(msgs):
    res.append(send(s, "a%d@far.example" % (i + 1), m))
    if i == 2:
        during = qprocs()
codes = [c for c, _ in res]
qps = {p for _, p in res}
ok(codes == [250] * 5, "five messages on one connection accepted", codes)
ok(len(qps) == 1 and None not in qps, "the same kurier-queue (qp) for all five", [p for _, p in res])
ok(during == sorted(qps), "one kurier-queue process while the session is open", (during, qps))
s.quit()
ok(all(gone(p) for p in qps), "kurier-queue gone after QUIT", qprocs())

# --- B: a message over the size limit between two good ones
s = smtplib.SMTP("127.0.0.1", port_b, timeout=30)
s.ehlo("client.example")
c1, p1 = send(s, "b1@far.example", small(b"b1"))
c2, _ = send(s, "b2@far.example", b"Subject: b2\r\n\r\n" + b"y" * 78 + b"\r\n" * 1 + (b"z" * 78 + b"\r\n") * 5000)
c3, p3 = send(s, "b3@far.example", small(b"b3"))
ok((c1, c2, c3) == (250, 552, 250), "oversized message refused between two accepted ones", (c1, c2, c3))
s.quit()

# --- C: kurier-queue killed between messages and inside them
s = smtplib.SMTP("127.0.0.1", port_b, timeout=30)
s.ehlo("client.example")
c, p1 = send(s, "c1@far.example", small(b"c1"))
ok(c == 250 and p1, "first message of session C", c)
os.kill(p1, signal.SIGKILL)
gone(p1)
c, p2 = send(s, "c2@far.example", small(b"c2"))
ok(c == 250 and p2 and p2 != p1, "killed between messages: the next one accepted by a new kurier-queue", (c, p1, p2))
# killed while smtpd still holds the header (no frame sent yet): nothing to remove
before = files()
code = begin(s, "c3@far.example", b"Subject: c3\r\nX-Long: ")
time.sleep(0.3)
os.kill(p2, signal.SIGKILL)
gone(p2)
s.send(b"rest\r\n\r\nbody\r\n.\r\n")
c, text = s.getreply()
ok(code == 354 and 400 <= c < 500, "killed before the message's first frame: 4xx", (code, c, text))
ok(files() == before, "killed before the first frame: no file left", sorted(files() - before))
c, p3 = send(s, "c4@far.example", small(b"c4"))
ok(c == 250 and p3 not in (None, p1, p2), "after a kill inside a message the next one gets a new kurier-queue", (c, p3))
# killed while it writes the message file
before = files()
code = begin(s, "c5@far.example", b"Subject: c5\r\n\r\n" + (b"w" * 78 + b"\r\n") * 500)
new = writing(before)
ok(len(new) == 1, "kurier-queue was writing the message file", sorted(files() - before))
os.kill(p3, signal.SIGKILL)
gone(p3)
s.send(b"more\r\n.\r\n")
c, text = s.getreply()
ok(code == 354 and 400 <= c < 500, "killed inside the message: 4xx", (code, c, text))
left = files() - before
ok(len(left) == 1 and left == new, "killed inside the message: only its uncommitted message file is left", sorted(left))
for f in left:
    os.unlink(f)   # kurier-clean's job, after 36 hours
c, p4 = send(s, "c6@far.example", small(b"c6"))
ok(c == 250 and p4 not in (None, p1, p2, p3), "and the next message is accepted again", (c, p4))
s.quit()

# --- D: the client goes away inside a message: kurier-queue -s sees its
# input end, removes the message itself and exits; the monitor waits for it
s = smtplib.SMTP("127.0.0.1", port_b, timeout=30)
s.ehlo("client.example")
c, p5 = send(s, "d1@far.example", small(b"d1"))
before = files()
code = begin(s, "d2@far.example", b"Subject: d2\r\n\r\n" + (b"v" * 78 + b"\r\n") * 500)
new = writing(before)
ok(c == 250 and code == 354 and len(new) == 1, "session D: a message accepted, the next one being written", (c, code, new))
s.close()   # the socket and smtplib's file on it: the connection ends
ok(gone(p5), "client gone inside a message: kurier-queue exits", qprocs())
left = set()
for _ in range(150):
    left = files() - before
    if not left:
        break
    time.sleep(0.02)
ok(not left, "client gone inside a message: kurier-queue removed it", sorted(left))
PY
python3 "$T/client.py" "$PA" "$PB" "$Q" "$QB/kurier-queue" "$T/expect"

# one exec of kurier-queue for session A's five messages
kill "$(pgrep -P "$STRACE_A")" 2>/dev/null
for i in $(seq 50); do kill -0 "$STRACE_A" 2>/dev/null || break; sleep 0.1; done
n=$(grep -c "execve(\"$QB/kurier-queue\"" "$T/strace.a")
[ "$n" = 1 ] && ok "queue session: one exec of kurier-queue for five messages (strace -f)" ||
	notok "queue session: execs under strace" "$n: $(grep kurier-queue "$T/strace.a" | head -5)"
grep "execve(\"$QB/kurier-queue\"" "$T/strace.a" | grep -q ', "-s"\]' &&
	ok "queue session: kurier-queue runs with -s" || notok "queue session: -s" "$(grep kurier-queue "$T/strace.a" | head -2)"
u=$(uncommitted)
[ -z "$u" ] && ok "queue session: nothing uncommitted in pid/ mess/ intd/ after the sessions" ||
	notok "queue session: leftovers" "$u"
[ "$(q_count todo)" = "$(ls "$T/expect" | wc -l)" ] && ok "queue session: one todo entry per accepted message" ||
	notok "queue session: todo entries" "$(q_count todo) for $(ls "$T/expect" | wc -l)"

# --- kurier-queue -s by hand: each input, its exit code and status lines
# hand NAME EXIT STATUS NEWTODO PRINTF-FORMAT - run it as nobody on that input
hand() {
	local name=$1 want=$2 wantout=$3 newtodo=$4 fmt=$5 todo0 rc out u
	todo0=$(q_count todo)
	# shellcheck disable=SC2059
	printf "$fmt" >"$T/in"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$QB/kurier-queue" -s <"$T/in" >"$T/out" 2>>"$T/hand.err"
	rc=$?
	out=$(tr '\n' ' ' <"$T/out")
	u=$(uncommitted)
	if [ "$rc" = "$want" ] && [ "$out" = "$wantout" ] && [ -z "$u" ] &&
		[ "$(q_count todo)" = $((todo0 + newtodo)) ]; then
		ok "queue session: by hand: $name"
	else
		notok "queue session: by hand: $name" "exit $rc, status '$out', todo $todo0 -> $(q_count todo), left: $u"
	fi
}
hand "empty input is a clean end" 0 "" 0 ''
hand "two messages, two statuses" 0 "0 0 " 2 'M5\nhelloE14\nFa@x\0Th1@far\0\0E14\nFb@x\0Th2@far\0\0'
hand "a good message, then garbage" 91 "0 91 " 1 'E14\nFa@x\0Th3@far\0\0X'
hand "unknown frame type" 91 "91 " 0 'X5\nhello'
hand "leading zero" 91 "91 " 0 'M05\nhello'
hand "zero length" 91 "91 " 0 'M0\n'
hand "length past the limit" 91 "91 " 0 'M1048577\n'
hand "no LF after the length" 91 "91 " 0 'M5hello'
hand "bytes after the final NUL in its frame" 91 "91 " 0 'M1\nxE8\nFa\0Tb\0\0x'
hand "message bytes after envelope bytes" 91 "91 " 0 'M1\nxE3\nFa\0M1\ny'
hand "envelope without recipient" 91 "91 " 0 'M1\nxE4\nFa\0\0'
hand "end inside a frame" 54 "54 " 0 'M5\nhel'
hand "end before the envelope" 54 "54 " 0 'M5\nhello'
hand "end before the final NUL" 54 "54 " 0 'M5\nhelloE6\nFa\0Tb\0'
hand "end inside a header" 54 "54 " 0 'M5\nhelloE'
long=$(head -c 513 /dev/zero | tr '\0' a)
hand "an address over 512 bytes" 11 "11 " 0 "E$((513 + 6))\nF$long\\0Tb\\0\\0"
# the u record is the caller's uid; all messages of one run share the p record
f=$(for t in $(q_files "$Q/todo"); do grep -l "Th[12]@far" "$t"; done 2>/dev/null)
if [ "$(echo "$f" | wc -l)" = 2 ] && [ "$(for t in $f; do tr '\0' '\n' <"$t" | grep '^p'; done | sort -u | wc -l)" = 1 ] &&
	[ "$(tr '\0' '\n' <"$(echo "$f" | head -1)" | grep '^u')" = "u$(id -u nobody)" ]; then
	ok "queue session: by hand: envelopes carry the caller's uid and one pid"
else
	notok "queue session: by hand: envelopes" "$f"
fi

# --- SECURITY.md 40 for each message of one kurier-queue -s, from the trace:
# message and envelope fsynced, mess/ fsynced, the todo link, todo/ fsynced,
# then the trigger, and only then the status line 0
printf 'M5\nhelloE14\nFa@x\0Th4@far\0\0M3\nbyeE14\nFa@x\0Th5@far\0\0' >"$T/in"
exec 3<>"$Q/lock/trigger"
strace -f -y -qq -u nobody -o "$T/trace.s" -e trace=open,openat,write,fsync,link,renameat2,exit_group \
	"$QB/kurier-queue" -s <"$T/in" >"$T/out.s" 2>>"$T/hand.err"
rc=$?
exec 3<&-
[ "$rc" = 0 ] && [ "$(cat "$T/out.s")" = "$(printf '0\n0')" ] && ok "queue session: strace: two messages, two statuses, exit 0" ||
	notok "queue session: strace: run" "exit $rc, $(od -c "$T/out.s" | head -2)"
python3 - "$T/trace.s" "$KURIER_SRC/tests" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import queuetrace
ev = queuetrace.events(sys.argv[1])

def check(cond, name):
    print(('ok ' if cond else 'not ok ') + 'queue session: strace: ' + name + ('' if cond else ': ' + repr(ev)))

st = [i for i, e in enumerate(ev) if e[0] == 'status']
check(len(st) == 2, 'one status line per message')
prev = -1
for k, i in enumerate(st):
    seg = ev[prev + 1:i]
    prev = i
    def at(e, last=False):
        j = [n for n, x in enumerate(seg) if x == e]
        return (j[-1] if last else j[0]) if j else None
    fm, fe, dm = at(('fsync', 'mess')), at(('fsync', 'intd')), at(('fsync', 'dir:mess'))
    lt, ft, tw = at(('link', 'todo')), at(('fsync', 'dir:todo')), at(('write', 'trigger'))
    wm, we = at(('write', 'mess'), True), at(('write', 'intd'), True)
    n = 'message %d: ' % (k + 1)
    check(None not in (fm, wm, fe, we) and wm < fm and we < fe, n + 'message and envelope fsynced after their last writes')
    check(None not in (fm, fe, dm, lt) and max(fm, fe, dm) < lt, n + 'both files and mess/ fsynced before the todo link')
    check(None not in (lt, ft, tw) and lt < ft < tw, n + 'todo link, fsync(todo/), trigger, then the status')
    check(sum(1 for x in seg if x[0] == 'fsync') == 4 and sum(1 for x in seg if x == ('link', 'todo')) == 1,
          n + 'exactly 4 fsyncs and one todo link')
PY

# --- delivery: kurier-send with the stand-in spawners, byte for byte
s_start
all=1
for e in "$T"/expect/*; do
	r=${e##*/} got=
	for i in $(seq 150); do
		got=$(ls "$T/md/$r/new/"* 2>/dev/null | head -1)
		[ -n "$got" ] && break
		sleep 0.1
	done
	# kurier-queue's Received line, kurier-smtpd's two, then the message
	if [ -z "$got" ] || ! python3 - "$got" "$e" <<'PY'
import sys
d, want = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
lines = d.split(b"\n", 3)
assert lines[0].startswith(b"Received: (kurier-queue invoked by uid "), lines[0]
assert lines[1].startswith(b"Received: from ") and lines[2].startswith(b"\tby "), lines[1:3]
assert lines[3] == want, (len(lines[3]), len(want))
PY
	then
		all=0
		notok "queue session: $r delivered byte for byte" "${got:-not delivered}"
	fi
done
[ "$all" = 1 ] && ok "queue session: all $(ls "$T/expect" | wc -l) accepted messages delivered byte for byte"
for r in b2@far.example c3@far.example c5@far.example; do
	[ -z "$(ls "$T/md/$r/new/" 2>/dev/null)" ] && ok "queue session: refused $r never delivered" ||
		notok "queue session: $r delivered" "$(ls "$T/md/$r/new/")"
done
for i in $(seq 200); do
	[ -z "$(q_files "$Q/todo")$(q_files "$Q/mess")$(q_files "$Q/intd")$(q_files "$Q/pid")" ] && break
	sleep 0.1
done
left=$(q_files "$Q/todo"; q_files "$Q/mess"; q_files "$Q/intd"; q_files "$Q/pid")
[ -z "$left" ] && ok "queue session: the queue drains to nothing" || notok "queue session: queue left" "$left"
s_stop
exit 0
