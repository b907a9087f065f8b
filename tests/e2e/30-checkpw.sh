#!/bin/bash
# 30-checkpw.sh - kurier-checkpw (userdb) end to end: argon2id and $6$
# logins set uid, gid, groups, USER, HOME, SHELL, MAILDIR, AUTHENTICATED
# and the directory; per-service passwords; CRAM-MD5; passwords that never
# match; the fd 3 limits (SECURITY.md 33); unreadable databases give 111
# (34); uid 0 refused (35); unknown users cost a real verification (36);
# the delay after a failure; the throttle on disk across processes and
# parallel attempts (38); the hashing slots (39); verify-only mode as
# kurier-smtpd uses it.
. "$KURIER_SRC/tests/lib.sh"
CP=$TB/kurier-checkpw
H=$T/h
VUID=54321 VGID=54322
mkdir -p "$H/users" "$H/control" "$T/home/v" "$T/out"
chown "$VUID:$VGID" "$T/home/v"
chmod 777 "$T/out"
export KURIER_HOME=$H
unset TCPREMOTEIP KURIER_SERVICE SERVICE KURIER_AUTHTYPE KURIER_CHECKPW_VERIFYONLY

A1=$(printf 'Secret-1\n' | "$TB/userdbpw")
AI=$(printf 'imap-only\n' | "$TB/userdbpw")
AS=$(printf 'smtp-only\n' | "$TB/userdbpw")
HM=$(printf 'cram-key\n' | "$TB/userdbpw" -hmac-md5)
C6=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("crypt-pw", "$6$0123456789abcdef$"))')
cat >"$T/src" <<X
alice@example.org	uid=$VUID|gid=$VGID|home=$T/home/v|mail=$T/home/v/Mail|shell=/bin/bash|systempw=$A1|imappw=$AI|esmtppw=$AS|hmac-md5pw=$HM
bob@example.org	uid=$VUID|gid=$VGID|home=$T/home/v|systempw=$C6
star@example.org	uid=$VUID|gid=$VGID|home=$T/home/v|systempw=*
bang@example.org	uid=$VUID|gid=$VGID|home=$T/home/v|systempw=!
locked@example.org	uid=$VUID|gid=$VGID|home=$T/home/v|systempw=!$C6
nopw@example.org	uid=$VUID|gid=$VGID|home=$T/home/v
noimap@example.org	uid=$VUID|gid=$VGID|home=$T/home/v|options=wbnodsn=1,disableimap=1|systempw=$A1
X
chmod 600 "$T/src"
# the cdbs are what matters here (makeuserdb has its own test, 22)
"$TB/makeuserdb" -f "$T/src" -o "$H/users" 2>>"$T/mkudb.err"
[ -s "$H/users/userdb.cdb" ] && [ -s "$H/users/userdbshadow.cdb" ] || notok "checkpw: makeuserdb" "cannot build the test userdb: $(head -c 300 "$T/mkudb.err")"
# no waiting after failures unless a case asks for it
echo "afterfail 0" >"$H/control/checkpwlimits"

# req LOGIN PASSWORD [STAMP] - the fd 3 bytes
req() { printf '%s\0%s\0%s\0' "$1" "$2" "${3:-}"; }
STAMP=
# login LOGIN PASSWORD [VAR=v...] - run kurier-checkpw with the request; echo the exit code
login() {
	local l=$1 p=$2; shift 2
	req "$l" "$p" "$STAMP" | env "$@" "$CP" /bin/sh -c 'echo ran >"$0"' "$T/out/ran" 3<&0 2>>"$T/log"
	echo $?
}
# expect NAME CODE LOGIN PASSWORD [VAR=v...]
expect() {
	local name=$1 want=$2 got; shift 2
	rm -f "$T/out/ran"
	got=$(login "$@")
	if [ "$got" = "$want" ] && { [ "$want" = 0 ] || [ ! -e "$T/out/ran" ]; }; then ok "checkpw: $name"
	else notok "checkpw: $name" "exit $got, wanted $want"; fi
}

# --- a good login sets up the account -----------------------------------------
req alice@example.org Secret-1 | "$CP" /bin/sh -c \
	'echo "$(id -u) $(id -g) $(id -G) $USER $HOME $SHELL $MAILDIR $AUTHENTICATED $(pwd)"' 3<&0 >"$T/env" 2>>"$T/log"
check "checkpw: argon2id login runs the program as the account" test "$(cat "$T/env")" = \
	"$VUID $VGID $VGID alice@example.org $T/home/v /bin/bash $T/home/v/Mail alice@example.org $T/home/v"
req ALICE@Example.ORG Secret-1 | "$CP" /bin/sh -c 'echo "$USER $MAILDIR"' 3<&0 >"$T/env" 2>>"$T/log"
check "checkpw: login is case-insensitive, MAILDIR from mail=" test "$(cat "$T/env")" = "alice@example.org $T/home/v/Mail"
req bob@example.org crypt-pw | "$CP" /bin/sh -c 'echo "$SHELL $MAILDIR"' 3<&0 >"$T/env" 2>>"$T/log"
check "checkpw: \$6\$ crypt login; default shell and MAILDIR" test "$(cat "$T/env")" = "/bin/sh $T/home/v/Maildir"
expect "wrong password is 1 and the program does not run" 1 alice@example.org Secret-2
expect "unknown user is 1" 1 nobody@example.org Secret-1
expect "wrong \$6\$ password is 1" 1 bob@example.org crypt-PW

# --- per-service passwords, tried before systempw -----------------------------------
expect "imappw works for KURIER_SERVICE=imap" 0 alice@example.org imap-only KURIER_SERVICE=imap
expect "imappw works for Dovecot's SERVICE=imap" 0 alice@example.org imap-only SERVICE=imap
expect "systempw still works for imap" 0 alice@example.org Secret-1 KURIER_SERVICE=imap
expect "imappw is not a pop3 password" 1 alice@example.org imap-only KURIER_SERVICE=pop3
expect "imappw is not a password without a service" 1 alice@example.org imap-only
expect "esmtppw works for smtp" 0 alice@example.org smtp-only KURIER_SERVICE=smtp
expect "esmtppw is not an imap password" 1 alice@example.org smtp-only KURIER_SERVICE=imap

expect "options disableimap=1 refuses imap with the right password" 1 noimap@example.org Secret-1 KURIER_SERVICE=imap
expect "options disableimap=1 leaves pop3 alone" 0 noimap@example.org Secret-1 KURIER_SERVICE=pop3
expect "options disableimap=1 leaves smtp alone" 0 noimap@example.org Secret-1 KURIER_SERVICE=smtp

# --- CRAM-MD5 against hmac-md5pw ----------------------------------------------------
ST='<4711.1700000000@mx.example.org>'
dig() { python3 -c 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.md5).hexdigest())' "$1" "$ST"; }
STAMP=$ST
expect "CRAM-MD5 with the right digest" 0 alice@example.org "$(dig cram-key)" KURIER_AUTHTYPE=cram-md5
expect "CRAM-MD5 upper-case hex digest" 0 alice@example.org "$(dig cram-key | tr a-f A-F)" KURIER_AUTHTYPE=CRAM-MD5
expect "CRAM-MD5 with a wrong key" 1 alice@example.org "$(dig cram-kez)" KURIER_AUTHTYPE=cram-md5
expect "a CRAM-MD5 digest is not a password" 1 alice@example.org "$(dig cram-key)"
rm -f "$T/out/ran"
got=$(req alice@example.org "$(dig cram-key)" '<other@x>' | KURIER_AUTHTYPE=cram-md5 "$CP" touch "$T/out/ran" 3<&0 2>>"$T/log"; echo $?)
check "checkpw: CRAM-MD5 digest of another challenge is 1" test "$got" = 1 -a ! -e "$T/out/ran"
expect "CRAM-MD5 for an account without hmac-md5pw" 1 bob@example.org "$(dig cram-key)" KURIER_AUTHTYPE=cram-md5
STAMP=
expect "the CRAM secret is not a password" 1 alice@example.org cram-key
expect "APOP is refused: userdb keeps no clear password" 1 alice@example.org Secret-1 KURIER_AUTHTYPE=apop

# --- values that never match (SECURITY.md 37) -----------------------------------------
expect "systempw=* never matches" 1 star@example.org '*'
expect "systempw=! never matches" 1 bang@example.org '!'
expect "a locked !\$6\$ hash never matches" 1 locked@example.org crypt-pw
expect "an account without a password never matches" 1 nopw@example.org ''
expect "an empty password never matches" 1 alice@example.org ''

# --- fd 3 input limits (SECURITY.md 33) --------------------------------------------------
# raw NAME CODE PRINTF-FORMAT [ARGS] - feed exact bytes
raw() {
	local name=$1 want=$2 got; shift 2
	rm -f "$T/out/ran"
	printf "$@" >"$T/in"
	"$CP" touch "$T/out/ran" 3<"$T/in" 2>>"$T/log"; got=$?
	if [ "$got" = "$want" ] && [ ! -e "$T/out/ran" ]; then ok "checkpw: $name"
	else notok "checkpw: $name" "exit $got, wanted $want ($(wc -c <"$T/in") bytes)"; fi
}
pw() { head -c "$1" /dev/zero | tr '\0' p; }
raw "0 bytes is 2" 2 ''
raw "511 bytes, well formed, wrong password: 1" 1 'alice@example.org\0%s\0\0' "$(pw 491)"
raw "512 bytes, well formed, wrong password: 1" 1 'alice@example.org\0%s\0\0' "$(pw 492)"
raw "513 bytes is 2" 2 'alice@example.org\0%s\0\0' "$(pw 493)"
raw "64 KiB is 2" 2 'alice@example.org\0%s\0\0' "$(pw 65536)"
raw "login without NUL is 2" 2 'alice@example.org'
raw "password without NUL is 2" 2 'alice@example.org\0Secret-1'
raw "stamp without NUL is 2" 2 'alice@example.org\0Secret-1\0stamp'
raw "NUL inside the name (a fourth field) is 2" 2 'alice\0@example.org\0Secret-1\0\0'
raw "slash in the name is 2" 2 '../../etc/passwd\0x\0\0'
raw "dot-dot in the name is 2" 2 'alice..x@example.org\0x\0\0'
raw "newline in the name is 2" 2 'alice\n@example.org\0x\0\0'
"$CP" 3</dev/null 2>>"$T/log"
check "checkpw: no arguments at all is 2" test $? = 2
timeout 10 "$CP" true 3</dev/zero 2>>"$T/log"
check "checkpw: endless input on fd 3 is 2, at once" test $? = 2
"$CP" true 3<&- 2>>"$T/log"
check "checkpw: descriptor 3 not open is 2" test $? = 2
req alice@example.org Secret-1 >"$T/in"
"$CP" 3<"$T/in" 2>>"$T/log"
check "checkpw: a good password but no program is 2" test $? = 2

# --- unreadable or broken databases are temporary (SECURITY.md 34) ----------------------------
chmod 700 "$T/home/v"
rm -f "$T/out/ran"
req alice@example.org Secret-1 >"$T/in"; chmod 644 "$T/in"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$CP" touch "$T/out/ran" 3<"$T/in" 2>>"$T/log"
check "checkpw: shadow cdb unreadable (not root) is 111" test $? = 111 -a ! -e "$T/out/ran"
cp -a "$H" "$T/h2"
mv "$T/h2/users/userdbshadow.cdb" "$T/h2/users/x"; mkdir "$T/h2/users/userdbshadow.cdb"
check_exit "checkpw: shadow cdb that is a directory is 111" 111 env KURIER_HOME="$T/h2" "$CP" true 3<"$T/in" 2>>"$T/log"
head -c 3000 /dev/urandom >"$T/h2/users/userdb.cdb"
check_exit "checkpw: a garbled userdb.cdb is 111, never 1" 111 env KURIER_HOME="$T/h2" "$CP" true 3<"$T/in" 2>>"$T/log"
echo "slots 0" >"$T/h2/control/checkpwlimits"; rm -rf "$T/h2/users"; mkdir "$T/h2/users"
check_exit "checkpw: a bad checkpwlimits is 111" 111 env KURIER_HOME="$T/h2" "$CP" true 3<"$T/in" 2>>"$T/log"
grep -q 'slots must be 1 to 1024' "$T/log" && ok "checkpw: the bad setting is named in the log" ||
	notok "checkpw: the bad setting is named in the log" "$(tail -3 "$T/log")"

# --- uid 0 is refused (SECURITY.md 35): makeuserdb refuses it, so build the cdbs by hand ----------
mkdir -p "$T/h3/users" "$T/h3/control"; echo "afterfail 0" >"$T/h3/control/checkpwlimits"
k=root@example.org v="uid=1|gid=0|home=/root" v=${v/uid=1/uid=0} sv="systempw=$A1"
printf '+%d,%d:%s->%s\n\n' ${#k} ${#v} "$k" "$v" | cdb -c "$T/h3/users/userdb.cdb"
printf '+%d,%d:%s->%s\n\n' ${#k} ${#sv} "$k" "$sv" | cdb -c "$T/h3/users/userdbshadow.cdb"
rm -f "$T/out/ran"
req root@example.org Secret-1 | KURIER_HOME=$T/h3 "$CP" touch "$T/out/ran" 3<&0 2>>"$T/log"
check "checkpw: a userdb account with uid 0 and the right password is 1" test $? = 1 -a ! -e "$T/out/ran"

# --- verify-only, as kurier-smtpd runs it ------------------------------------------------------
req alice@example.org smtp-only | KURIER_CHECKPW_VERIFYONLY=1 KURIER_SERVICE=smtp "$CP" /bin/sh -c \
	'echo "$(id -u) $(pwd) $AUTHENTICATED"' 3<&0 >"$T/env" 2>>"$T/log"
check "checkpw: verify-only keeps the caller's ids and directory" test "$(cat "$T/env")" = "0 $PWD alice@example.org"

# --- constant time (SECURITY.md 36) ----------------------------------------------------------------
# known and unknown alternate, so load from elsewhere hits both alike; medians of 7
tk=() tu=()
for i in 1 2 3 4 5 6 7; do
	s=$(date +%s%N); login alice@example.org wrong-pw >/dev/null; e=$(date +%s%N); tk+=($(( (e - s) / 1000 )))
	s=$(date +%s%N); login ghost@example.org wrong-pw >/dev/null; e=$(date +%s%N); tu+=($(( (e - s) / 1000 )))
done
known=$(printf '%s\n' "${tk[@]}" | sort -n | sed -n 4p) unknown=$(printf '%s\n' "${tu[@]}" | sort -n | sed -n 4p)
# without the dummy verification an unknown user would take a few ms against tens
if [ "$unknown" -ge $((known / 2)) ] && [ "$unknown" -le $((known * 2)) ]; then
	ok "checkpw: unknown user costs what a wrong password costs ($unknown vs $known us)"
else notok "checkpw: unknown user costs what a wrong password costs" "$unknown vs $known us"; fi

# --- a delay after each failure ---------------------------------------------------------------------
s=$(date +%s%N); login alice@example.org Secret-1 >/dev/null; e=$(date +%s%N); good=$(( (e - s) / 1000000 ))
echo "afterfail 1000" >"$H/control/checkpwlimits"
s=$(date +%s%N); login alice@example.org wrong >/dev/null; e=$(date +%s%N); bad=$(( (e - s) / 1000000 ))
check "checkpw: a failure waits afterfail (1000 ms) before exit 1 ($bad ms)" test "$bad" -ge 1000
s=$(date +%s%N); login alice@example.org Secret-1 >/dev/null; e=$(date +%s%N)
check "checkpw: a success does not wait" test $(( (e - s) / 1000000 )) -lt $((good + 700))

# --- the throttle across processes (SECURITY.md 38) ------------------------------------------------
printf 'afterfail 0\nfailfree 2\nfailbase 400\nfailcap 1600\nfailqueue 4\n' >"$H/control/checkpwlimits"
ms() { local s e; s=$(date +%s%N); login "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
times=()
for i in 1 2 3 4 5 6 7; do times+=("$(ms alice@example.org wrong TCPREMOTEIP=192.0.2.9)"); done
# attempts 1 and 2 are free; then 400, 800, 1600, 1600, 1600 ms (the wait follows the count so far)
if [ "${times[1]}" -lt $((times[0] + 400)) ] && [ "${times[2]}" -ge 400 ] && [ "${times[3]}" -ge 800 ] &&
   [ "${times[4]}" -ge 1600 ] && [ "${times[6]}" -ge 1600 ] && [ "${times[6]}" -lt $((times[0] + 3200)) ]; then
	ok "checkpw: failures from one address get a growing, capped delay (${times[*]} ms)"
else notok "checkpw: failures from one address get a growing, capped delay" "${times[*]} ms"; fi
check "checkpw: the count is on disk" grep -q '^7 ' "$H"/checkpw/fail/*
t=$(ms alice@example.org wrong TCPREMOTEIP=198.51.100.77)
check "checkpw: another address is not slowed ($t ms)" test "$t" -lt $((times[0] + 400))
t=$(ms alice@example.org wrong TCPREMOTEIP=2001:db8:5:6::1)
t2=$(ms alice@example.org wrong TCPREMOTEIP=2001:db8:5:6::2); t3=$(ms alice@example.org wrong TCPREMOTEIP=2001:db8:5:6:ffff::3)
check "checkpw: one IPv6 /64 shares its count ($t $t2 $t3 ms)" test "$t3" -ge 400
check "checkpw: ... three failures in one bucket" grep -q '^3 ' "$H"/checkpw/fail/*
# 50 at once from the throttled address (SECURITY.md 38): the queue holds
# about failqueue/failcap of them, the rest get 111 without a verification
for i in $(seq 50); do (login alice@example.org wrong TCPREMOTEIP=192.0.2.9 >"$T/out/par.$i") & done
wait
n1=$(cat "$T"/out/par.* | grep -c '^1$') n111=$(cat "$T"/out/par.* | grep -c '^111$')
if [ "$n1" -le 4 ] && [ "$n111" -ge 46 ] && [ $((n1 + n111)) = 50 ]; then
	ok "checkpw: 50 parallel attempts do not get around the throttle ($n1 tried, $n111 told to wait)"
else notok "checkpw: 50 parallel attempts do not get around the throttle" "$n1 tried, $n111 got 111"; fi
expect "the right password from a throttled address still works, after its wait" 0 alice@example.org Secret-1 \
	TCPREMOTEIP=192.0.2.9

# --- bounded concurrent hashing (SECURITY.md 39) ----------------------------------------------------
printf 'afterfail 0\nslots 1\nslotwait 5\n' >"$H/control/checkpwlimits"
for i in 1 2 3 4 5 6; do (login alice@example.org Secret-1 >"$T/out/slot.$i") & done
wait
good=$(cat "$T"/out/slot.* | grep -c '^0$')
check "checkpw: with one slot, 6 parallel logins all succeed ($good)" test "$good" = 6
# 40 logins at once with 2 slots: only the slot holders have argon2id's
# 64 MiB.  A sampler counts the slot files held, from /proc/locks (an
# exclusive flock has one holder, so a hand-over never counts twice, as a
# ps scan across processes did; /proc/locks comes a page at a time, and
# a holder may show in two pages), and checks that every kurier-checkpw
# seen with the hashing memory held a slot in the lock table read just
# before or just after its memory was (a sample is used only when both
# reads are within SAMPLE_MS, far less than one hash).
# Only this test's helpers count (KURIER_HOME=$H in their environment):
# other instances of the suite may be hashing on the machine too.
printf 'afterfail 0\nslots 2\nslotwait 30\n' >"$H/control/checkpwlimits"
python3 - "$H/checkpw/slot" "$T/out/storm.sampler" <<'PY' &
import os, sys, time
slotdir, out = sys.argv[1], sys.argv[2]
mine = b"KURIER_HOME=" + os.path.dirname(os.path.dirname(slotdir)).encode()
SAMPLE_MS = 40		# one argon2id verification takes longer than this
RSS_KB = 40000		# argon2id interactive: 64 MiB while it hashes
def slot_ids():
    ids = set()
    try:
        for n in os.listdir(slotdir):
            st = os.stat(os.path.join(slotdir, n))
            ids.add("%02x:%02x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    except OSError:
        pass
    return ids
def locks():
    # "N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF"; waiters have "->"
    with open("/proc/locks") as f:
        return [line.split() for line in f.read().splitlines()]
def held(lk, ids):
    # slot file -> the pids shown holding it (two only across a page turn)
    k = {}
    for w in lk:
        if len(w) >= 6 and w[1] == "FLOCK" and w[5] in ids:
            k.setdefault(w[5], set()).add(w[4])
    return k
def big():
    b = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if open("/proc/%s/comm" % pid).read().strip() != "kurier-checkpw":
                continue
            if mine not in open("/proc/%s/environ" % pid, "rb").read().split(b"\0"):
                continue
            rss = int(open("/proc/%s/statm" % pid).read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, ValueError, IndexError):
            continue
        if rss > RSS_KB:
            b.add(pid)
    return b
peak = used = seen_big = outside = 0
why = ""
end = time.time() + 60
open(out + ".ready", "w").close()
while time.time() < end:
    t0 = time.monotonic()
    l1 = locks()
    b = big()
    l2 = locks()
    t1 = time.monotonic()
    ids = slot_ids()	# afterwards: it includes every slot file created meanwhile
    k1, k2 = held(l1, ids), held(l2, ids)
    h1, h2 = set().union(*k1.values()), set().union(*k2.values())
    peak = max(peak, len(k1), len(k2))
    if (t1 - t0) * 1000 <= SAMPLE_MS:
        used += 1
        if b:
            seen_big += 1
        if b - (h1 | h2):
            outside += 1
            why = "pids %s hashing, holders %s/%s" % (sorted(b), sorted(h1), sorted(h2))
    if not h1 and not h2 and not b and os.path.exists(out + ".done"):
        break
    time.sleep(0.01)
open(out, "w").write("%d %d %d %d %s\n" % (peak, used, seen_big, outside, why))
PY
sampler=$!
for i in $(seq 100); do [ -e "$T/out/storm.sampler.ready" ] && break; sleep 0.05; done
storm=()
for i in $(seq 40); do (login alice@example.org Secret-1 >"$T/out/storm.$i") & storm+=($!); done
wait "${storm[@]}"
touch "$T/out/storm.sampler.done"
wait "$sampler"
wait
good=$(cat "$T"/out/storm.[0-9]* | grep -c '^0$')
check "checkpw: 40 logins at once with 2 slots all succeed ($good)" test "$good" = 40
read -r peak used seen_big outside why <"$T/out/storm.sampler" || peak=x
check "checkpw: ... at most 2 hold a hashing slot at a time, and some did (peak $peak in $used samples)" \
	test "$peak" -le 2 -a "$peak" -ge 1
if [ "${seen_big:-0}" -ge 1 ] && [ "${outside:-1}" = 0 ]; then
	ok "checkpw: ... and only slot holders had the hashing memory ($seen_big of $used samples saw it)"
else notok "checkpw: ... and only slot holders had the hashing memory" \
	"$outside samples saw it outside a slot, $seen_big saw it at all: ${why:-}"; fi
printf 'afterfail 0\nslots 1\nslotwait 5\n' >"$H/control/checkpwlimits"
# while something holds the only slot, a login waits for it, then succeeds
flock "$H/checkpw/slot/0" sleep 1.5 &
sleep 0.2
s=$(date +%s%N); got=$(login alice@example.org Secret-1); e=$(date +%s%N)
check "checkpw: a login waits for the busy slot, then succeeds ($got after $(( (e - s) / 1000000 )) ms)" \
	test "$got" = 0 -a $(( (e - s) / 1000000 )) -ge 1200
wait
printf 'afterfail 0\nslots 1\nslotwait 1\n' >"$H/control/checkpwlimits"
flock "$H/checkpw/slot/0" sleep 3 &
sleep 0.3
s=$(date +%s%N); got=$(login alice@example.org Secret-1); e=$(date +%s%N)
check "checkpw: waiting past slotwait for a busy slot is 111 ($got after $(( (e - s) / 1000000 )) ms)" \
	test "$got" = 111 -a $(( (e - s) / 1000000 )) -lt 2500
wait

# --- logs: one escaped line per attempt, no password -----------------------------------------------------
grep -q 'login failed: alice@example.org from 192.0.2.9: wrong password' "$T/log" &&
	ok "checkpw: failures are logged with address and reason" ||
	notok "checkpw: failures are logged with address and reason" "$(tail -3 "$T/log")"
grep -q -e Secret-1 -e crypt-pw -e imap-only "$T/log" &&
	notok "checkpw: no password in the log" "$(grep -e Secret-1 -e crypt-pw "$T/log" | head -2)" ||
	ok "checkpw: no password in the log"
