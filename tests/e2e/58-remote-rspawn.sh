#!/bin/bash
# 58-remote-rspawn - kurier-rspawn speaks the spawn contract: requests on
# fd 0, replies (SLOT, K/Z/D per recipient, empty field) on fd 1 in the
# order deliveries finish, a slow delivery never holds up the others, a
# missing message or a null-MX domain gets its answer, a malformed
# request is fatal (111), and each delivery costs one fork and no exec.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/deliver/remote-e2e.sh"
command -v dnsmasq >/dev/null || { skip remote-rspawn "dnsmasq is not installed"; exit 0; }

r_dns --mx-host=a.test,mx1.a.test,10 --host-record=mx1.a.test,127.0.0.1 \
	--mx-host=slow.test,mx.slow.test,10 --host-record=mx.slow.test,127.0.0.2 \
	--dns-rr=null.test,15,00000000
r_ctl timeoutremote 3
r_srv fast
r_ctl remoteport "$R_PORT"
R_FIXPORT=$R_PORT R_ADDR=127.0.0.2 r_srv slow addr=127.0.0.2 hostile=silent

# messages in the test instance's queue, where kurierr can read them
[ -d "$TH/queue/mess" ] || install -d -o kurierq -g kurier -m 0750 "$TH/queue" "$TH/queue/mess"
Q=mess/remote-e2e.$$
install -d -o kurierq -g kurier -m 0750 "$TH/queue/$Q"
on_exit "rm -rf '$TH/queue/$Q'"
printf 'Subject: spawn\n\nbody\n' >"$TH/queue/$Q/1"
chown kurierq:kurier "$TH/queue/$Q/1"; chmod 640 "$TH/queue/$Q/1"

cat >"$T/drive.py" <<'PY'
# drive.py RSPAWN REQUEST... - send the requests (fields separated by |,
# "-" for an empty field), print each reply as "SLOT CODE:text|CODE:text"
# in arrival order, then "exit N"
import os, select, subprocess, sys, time
p = subprocess.Popen(sys.argv[1:2], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
n = 0
for r in sys.argv[2:]:
    fields = [b"" if f == "-" else f.encode() for f in r.split("|")]
    p.stdin.write(b"".join(f + b"\0" for f in fields) + b"\0")
    n += 1
p.stdin.flush()
buf, done, end = b"", 0, time.time() + 60
while done < n and time.time() < end:
    if not select.select([p.stdout], [], [], 1)[0]:
        continue
    d = os.read(p.stdout.fileno(), 65536)
    if not d:
        break
    buf += d
    while b"\0\0" in buf:
        rep, buf = buf.split(b"\0\0", 1)
        f = rep.split(b"\0")
        print(f[0].decode(), "|".join(x[:1].decode() + ":" + x[1:].decode() for x in f[1:]), flush=True)
        done += 1
p.stdin.close()
print("exit", p.wait(timeout=20))
PY
out=$(/usr/bin/python3 "$T/drive.py" "$TB/kurier-rspawn" \
	"7|$Q/1|s@x.test|u@slow.test" \
	"8|$Q/1|s@x.test|ok@a.test|tmp@a.test|perm@a.test" \
	"9|$Q/missing|s@x.test|ok@a.test" \
	"10|$Q/1|-|u@null.test" 2>"$T/rspawn.err")
first=$(echo "$out" | head -3 | cut -d' ' -f1 | sort -n | tr '\n' ' ')
[ "$first" = "8 9 10 " ] && [ "$(echo "$out" | sed -n 4p | cut -d' ' -f1)" = 7 ] &&
	ok rspawn-slow-does-not-block || notok rspawn-slow-does-not-block "$out"
echo "$out" | grep -q '^8 K:mx1.a.test \[127.0.0.1\]: 250 queued as X|Z:mx1.a.test \[127.0.0.1\]: 451 4.2.0 try later|D:mx1.a.test \[127.0.0.1\]: 550 5.1.1 no such user$' &&
	ok rspawn-per-recipient || notok rspawn-per-recipient "$out"
echo "$out" | grep -q '^9 Z:cannot open the message in the queue: No such file' && ok rspawn-missing-message || notok rspawn-missing-message "$out"
echo "$out" | grep -q '^10 D:5.1.10 ' && ok rspawn-null-mx || notok rspawn-null-mx "$out"
echo "$out" | grep -q '^7 Z:mx.slow.test \[127.0.0.2\]: cannot read the reply: timed out$' && ok rspawn-timeout || notok rspawn-timeout "$out"
echo "$out" | grep -q '^exit 0$' && ok rspawn-exit-at-eof || notok rspawn-exit-at-eof "$out"
m=$(ls "$T/fast"/msg.* | head -1)
[ "$(cat "$m")" = $'Subject: spawn\r\n\r\nbody\r\n.\r' ] && ok rspawn-message-sent || notok rspawn-message-sent "$(od -c "$m" | head)"

# a malformed request from kurier-send is fatal
out=$(/usr/bin/python3 "$T/drive.py" "$TB/kurier-rspawn" "x7|$Q/1|s@x.test|ok@a.test" 2>/dev/null)
[ "$(echo "$out" | tail -1)" = "exit 111" ] && ok rspawn-malformed-fatal || notok rspawn-malformed-fatal "$out"
out=$(/usr/bin/python3 "$T/drive.py" "$TB/kurier-rspawn" "5|../etc/passwd|s@x.test|ok@a.test" 2>/dev/null)
[ "$(echo "$out" | tail -1)" = "exit 111" ] && ok rspawn-path-outside-queue || notok rspawn-path-outside-queue "$out"

# processes: one fork per delivery, no exec beyond kurier-rspawn itself
if command -v strace >/dev/null; then
	strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$T/trace" \
		/usr/bin/python3 "$T/drive.py" "$TB/kurier-rspawn" \
		"1|$Q/1|s@x.test|a1@a.test" "2|$Q/1|s@x.test|a2@a.test" "3|$Q/1|s@x.test|a3@a.test" >/dev/null 2>&1
	rsp=$(grep "execve(\"$TB/kurier-rspawn\"" "$T/trace" | awk '{print $1}')
	# a clone that strace shows split ("<unfinished ...>", then "<... clone
	# resumed>") is one clone: count the lines that start one
	forks=$(grep "^$rsp .*clone" "$T/trace" | grep -vc 'resumed>')
	execs=$(awk -v p="$rsp" '$1 != p' "$T/trace" | grep -c 'execve(' )
	# the python driver's own execve is the only other one
	[ "$forks" = 3 ] && [ "$execs" = 1 ] && ok rspawn-one-fork-per-delivery || notok rspawn-one-fork-per-delivery "forks $forks execs $execs"
else
	skip rspawn-one-fork-per-delivery "strace is not installed"
fi

# confined while it runs
coproc RS { exec "$TB/kurier-rspawn" 2>/dev/null; }
sleep 0.5
st=$(cat /proc/"$RS_PID"/status 2>/dev/null)
echo "$st" | grep -q '^Seccomp:[[:space:]]*2' && echo "$st" | grep -q '^NoNewPrivs:[[:space:]]*1' &&
	[ "$(echo "$st" | awk '/^Uid:/ {print $2}')" = "$(id -u kurierr)" ] && ok rspawn-sandbox || notok rspawn-sandbox "$(echo "$st" | grep -E 'Uid|Seccomp|NoNewPrivs')"
eval "exec ${RS[1]}>&-"
wait "$RS_PID" 2>/dev/null
