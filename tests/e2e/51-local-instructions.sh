#!/bin/bash
# 51-local-instructions.sh - delivery instructions through kurier-lspawn:
# the .courier-ext / -default / .qmail-ext search, mbox (From line, >From
# quoting, truncated back when a write fails under RLIMIT_FSIZE), forward
# (re-queued through the instance's kurier-queue with the original sender
# and our Delivered-To), programs (environment, seekable stdin, exit codes
# 0, 99, 100, 111, 64 and 1), and refusals (group-writable delivery file,
# an extension with no file).
. "$KURIER_SRC"/tests/lib.sh
. "$KURIER_SRC"/deliver/local-e2e.sh
[ "$(id -u)" = 0 ] || { skip "local instructions" "needs root for useradd and kurier-lspawn"; exit 0; }
command -v prlimit >/dev/null || { skip "local instructions" "prlimit (util-linux) missing"; exit 0; }
l_setup || { notok "local instructions: test instance" "l_setup failed"; exit 1; }
A=kl51a
l_user $A || { notok "local instructions: useradd" ""; exit 1; }
H=$L_HOME
setpriv --reuid=$A --regid=$A --clear-groups "$TH/bin/maildirmake" "$H/Maildir"
setpriv --reuid=$A --regid=$A --clear-groups "$TH/bin/maildirmake" -f Work "$H/Maildir"
# dot FILE LINE... - write a delivery file of the user's
dot() { local f=$H/$1; shift; printf '%s\n' "$@" > "$f"; chown $A: "$f"; chmod 644 "$f"; }
# res RCPT [FILE] - deliver a fresh message (FILE's) to RCPT; the result field in $R
res() { if [ $# -gt 1 ]; then l_msg "$2"; else l_msg; fi; R=$(l_one s@r.example "$1"); }
# want NAME PATTERN RESULT - ok when RESULT matches the glob PATTERN
want() { case $3 in $2) ok "$1";; *) notok "$1" "$3";; esac; }

# --- file search ----------------------------------------------------------
dot .courier-foo-bar './Maildir/.Work/'
dot .courier-foo-default '|echo "$DEFAULT" > "$HOME/default.out"'
dot .courier-default '|echo "$EXT" > "$HOME/ext.out"'
res $A-foo-bar@local.example; want "search: .courier-foo-bar for foo-bar" 'K*' "$R"
check "search: exact file wins (message in .Work)" test "$(l_count "$H/Maildir/.Work/new")" = 1
res $A-foo-baz-qux@local.example; want "search: .courier-foo-default for foo-baz-qux" 'K*' "$R"
check "search: DEFAULT is the part the -default stood for" test "$(cat "$H/default.out")" = baz-qux
res $A-zz@local.example; want "search: .courier-default for zz" 'K*' "$R"
check "search: EXT in the program's environment" test "$(cat "$H/ext.out")" = zz
dot .courier-dot:ted './Maildir/.Work/'
res $A-Dot.Ted@local.example; want "search: '.' in the extension becomes ':'" 'K*' "$R"
check "search: and letters are lower-cased" test "$(l_count "$H/Maildir/.Work/new")" = 2
rm "$H/.courier-default"
dot .qmail-qm './Maildir/.Work/'
res $A-qm@local.example; want "search: .qmail-qm read when no .courier-qm exists" 'K*' "$R"
check "search: .qmail-qm delivered" test "$(l_count "$H/Maildir/.Work/new")" = 3
dot .courier-both './Maildir/'
dot .qmail-both './Maildir/.Work/'
n0=$(l_count "$H/Maildir/new")
res $A-both@local.example; want "search: .courier-both is preferred over .qmail-both" 'K*' "$R"
check "search: delivered by .courier-both" test "$(l_count "$H/Maildir/new")" = $((n0 + 1))
res $A-nofile@local.example; want "search: an extension without any file bounces" 'D*mailbox*' "$R"
dot .courier-gw './Maildir/'
chmod 664 "$H/.courier-gw"
res $A-gw@local.example; want "refusal: group-writable delivery file (Z)" 'Z*' "$R"

# --- mbox -----------------------------------------------------------------
dot .courier-mb './mbox'
printf 'From: a@b\nSubject: mbox\n\nFrom the start\nline\n' > "$T/m1"
res $A-mb@local.example "$T/m1"; want "mbox: delivered" 'K*' "$R"
check "mbox: owned by the user, mode 600" test "$(stat -c %U:%a "$H/mbox")" = $A:600
check "mbox: starts with a From line for the sender" grep -q '^From s@r.example ' "$H/mbox"
check "mbox: Delivered-To added" grep -qx "Delivered-To: $A-mb@local.example" "$H/mbox"
check "mbox: a body line 'From ' is quoted" grep -qx '>From the start' "$H/mbox"
check "mbox: ends with a blank line" test -z "$(tail -n 1 "$H/mbox")"
check "mbox: no lock file left" test ! -e "$H/mbox.lock"
cp "$H/mbox" "$T/mbox.before"
size=$(stat -c %s "$H/mbox")
{ printf 'Subject: large\n\n'; head -c 4000 /dev/zero | tr '\0' y; echo; } > "$T/large"
l_msg "$T/large"
r=$(l_req 1 "$L_MSG" s@r.example $A-mb@local.example | timeout 60 prlimit --fsize=$((size + 1000)) "$TH/bin/kurier-lspawn" | tr '\0' '\n' | sed -n 2p)
want "mbox: a write past RLIMIT_FSIZE is a temporary failure" 'Z*truncated*' "$r"
check "mbox: truncated back to its old contents" cmp "$H/mbox" "$T/mbox.before"
echo "$H/mbox" > /dev/null
dot .courier-mbl './mbox'
touch "$H/mbox.lock"; chown $A: "$H/mbox.lock"; touch -d '10 minutes ago' "$H/mbox.lock"
res $A-mbl@local.example; want "mbox: a stale .lock is taken over" 'K*' "$R"
ln "$H/mbox" "$H/mbox.hard"
res $A-mbl@local.example; want "mbox: a hard-linked mbox is refused" 'Z*' "$R"
rm -f "$H/mbox.hard"
ln -s "$T/elsewhere" "$H/mbox2"
dot .courier-mbs './mbox2'
res $A-mbs@local.example; want "mbox: a symlinked mbox is refused" 'Z*' "$R"
check "mbox: nothing created through the symlink" test ! -e "$T/elsewhere"

# --- programs -------------------------------------------------------------
dot .courier-env-default '|env > "$HOME/env.out"'
res $A-env-x-y@local.example; want "program: exit 0 delivers" 'K*' "$R"
for v in "SENDER=s@r.example" "RECIPIENT=$A-env-x-y@local.example" "USER=$A" "HOME=$H" \
	"HOST=local.example" "LOCAL=$A-env-x-y" "EXT=env-x-y" "EXT2=x-y" "EXT3=y" "DEFAULT=x-y" \
	"DTLINE=Delivered-To: $A-env-x-y@local.example" "RPLINE=Return-Path: <s@r.example>"; do
	check "program: environment has $v" grep -qxF "$v" "$H/env.out"
done
dot .courier-two '|cat > "$HOME/one.out"' '|cat > "$HOME/two.out"'
res $A-two@local.example; want "program: two programs" 'K*' "$R"
check "program: stdin is the message" cmp "$H/one.out" "$Q/$L_MSG"
check "program: the second program reads it from the start too" cmp "$H/two.out" "$Q/$L_MSG"
dot .courier-p99 '|exit 99' './Maildir/'
n0=$(l_count "$H/Maildir/new")
res $A-p99@local.example; want "program: 99 is success" 'K*' "$R"
check "program: 99 stops the remaining lines" test "$(l_count "$H/Maildir/new")" = "$n0"
dot .courier-p100 '|echo no such list; exit 100'
res $A-p100@local.example; want "program: 100 bounces with its output" 'D*no such list*' "$R"
dot .courier-p111 '|echo busy; exit 111'
res $A-p111@local.example; want "program: 111 defers" 'Z*busy*' "$R"
dot .courier-p64 '|exit 64'
res $A-p64@local.example; want "program: 64 (EX_USAGE) bounces" 'D*' "$R"
dot .courier-p1 '|exit 1'
res $A-p1@local.example; want "program: 1 defers" 'Z*' "$R"
dot .courier-pfail '|exit 100' './Maildir/'
n0=$(l_count "$H/Maildir/new")
res $A-pfail@local.example; want "program: a failure stops before later lines" 'D*' "$R"
check "program: the later maildir line did not run" test "$(l_count "$H/Maildir/new")" = "$n0"
dot .courier-inj '|printf %s "$SENDER" > "$HOME/inj.out"'
l_msg
r=$(l_one '$(touch${IFS}/tmp/kurier-pwned-51);`id`@x' $A-inj@local.example)
want "program: a hostile sender is delivered" 'K*' "$r"
check "program: the sender reaches the program as bytes, no shell expansion" \
	test "$(cat "$H/inj.out")" = '$(touch${IFS}/tmp/kurier-pwned-51);`id`@x'
check "program: nothing was executed from the sender" test ! -e /tmp/kurier-pwned-51

# --- forward --------------------------------------------------------------
dot .courier-fwd '&fwd1@remote.example' 'fwd2@remote.example'
before=$(q_files "$Q/todo" | sort)
res $A-fwd@local.example; want "forward: delivered (queued)" 'K*' "$R"
new=$(comm -13 <(echo "$before") <(q_files "$Q/todo" | sort))
check "forward: exactly one new message in todo/" test "$(echo "$new" | grep -c .)" = 1
if [ -n "$new" ]; then
	env=$(tr '\0' '\n' < $new)
	check "forward: the original sender is kept" grep -qx 'Fs@r.example' <<<"$env"
	check "forward: both addresses are recipients" test "$(grep -c '^Tfwd[12]@remote.example$' <<<"$env")" = 2
	m=$Q/mess/${new#"$Q"/todo/}
	check "forward: the queued message carries our Delivered-To" grep -qx "Delivered-To: $A-fwd@local.example" "$m"
	check "forward: and the original body" grep -q "^body $L_N\$" "$m"
	rm -f "$new" "$m" "$Q"/intd/${new#"$Q"/todo/} 2>/dev/null
fi

# --- concurrency: a slow program does not hold up a quick delivery ----------
dot .courier-slow '|sleep 2'
l_msg
out=$( { l_req 1 "$L_MSG" s@r.example $A-slow@local.example; l_req 2 "$L_MSG" s@r.example $A@local.example; } | l_spawn)
first=$(printf '%s\n' "$out" | head -n 1)
check "order: the quick delivery (slot 2) is answered first" test "$first" = 2
check "order: both answered K" test "$(printf '%s\n' "$out" | grep -c '^K')" = 2

# --- the default delivery: kurier-start's argument, control/defaultdelivery --
setpriv --reuid=$A --regid=$A --clear-groups "$TH/bin/maildirmake" "$H/Other"
l_msg
r=$(l_req 1 "$L_MSG" s@r.example $A@local.example | timeout 60 "$TH/bin/kurier-lspawn" ./Other/ | tr '\0' '\n' | sed -n 2p)
want "default: the argument of kurier-lspawn is the default delivery" 'K*Other*' "$r"
check "default: delivered into ./Other/" test "$(l_count "$H/Other/new")" = 1
echo './Maildir/.Work/' > "$TH/control/defaultdelivery"
n0=$(l_count "$H/Maildir/.Work/new")
r=$(l_req 1 "$L_MSG" s@r.example $A@local.example | timeout 60 "$TH/bin/kurier-lspawn" ./Other/ | tr '\0' '\n' | sed -n 2p)
want "default: control/defaultdelivery wins over the argument" 'K*Work*' "$r"
check "default: delivered into .Work" test "$(l_count "$H/Maildir/.Work/new")" = $((n0 + 1))
rm -f "$TH/control/defaultdelivery"

# --- mbox locking: a writer holding the fcntl lock is waited for -------------
dot .courier-mlk './mbox.locked'
: > "$H/mbox.locked"; chown $A: "$H/mbox.locked"; chmod 600 "$H/mbox.locked"
python3 - "$H/mbox.locked" "$T/locked" <<'PY' &
import fcntl, sys, time, os
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
f.write("From other@writer Thu Jan  1 00:00:00 1970\nSubject: held\n\nfirst half\n"); f.flush()
time.sleep(2)
f.write("second half\n\n"); f.flush()
fcntl.lockf(f, fcntl.LOCK_UN)
PY
LPID=$!
for i in $(seq 50); do [ -e "$T/locked" ] && break; sleep 0.1; done
res $A-mlk@local.example
wait $LPID
want "mbox lock: delivered after the other writer let go" 'K*' "$R"
check "mbox lock: the other writer's message is whole, ours after it" \
	test "$(grep -E '^(From |first half|second half)' "$H/mbox.locked" | cut -c1-11 | tr '\n' '|')" = 'From other@|first half|second half|From s@r.ex|'

# --- kurier-maildir as a delivery-file program --------------------------------
dot .courier-km "|$TH/bin/kurier-maildir ./Maildir/.Work/"
n0=$(l_count "$H/Maildir/.Work/new")
res $A-km@local.example; want "kurier-maildir in a delivery file delivers" 'K*' "$R"
check "kurier-maildir: into the folder it was given" test "$(l_count "$H/Maildir/.Work/new")" = $((n0 + 1))
dot .courier-kmq "|$TH/bin/kurier-maildir -q 10S ./Maildir/.Work/"
res $A-kmq@local.example; want "kurier-maildir over its quota: its 111 is a deferral" 'Z*quota*' "$R"

# --- hardening: links, descriptors, address bytes --------------------------
# a delivery file that is a symbolic link, even to a file of the user's, is
# refused (O_NOFOLLOW): it could name a file the user does not control
dot real-instr './Maildir/'
ln -sf "$H/real-instr" "$H/.courier-sym"; chown -h $A: "$H/.courier-sym"
res $A-sym@local.example; want "links: a symbolic link as delivery file is refused (Z)" 'Z*symbolic link*' "$R"
# a hard link (two names for one inode) is refused as well
ln -f "$H/real-instr" "$H/.courier-hard"
res $A-hard@local.example; want "links: a hard-linked delivery file is refused (Z)" 'Z*one link*' "$R"
rm -f "$H/.courier-sym" "$H/.courier-hard" "$H/real-instr"
# a program gets fds 0-2 only, even when kurier-lspawn was started with
# more open (a descriptor kurier-start or anyone above it leaked)
dot .courier-fds '|for i in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$i ] && echo $i; done > "$HOME/fds.out"; true'
l_msg
R=$(l_req 1 "$L_MSG" s@r.example $A-fds@local.example | (exec 7>"$T/leaked-fd"; timeout 60 "$TH/bin/kurier-lspawn") | tr '\0' '\n' | sed -n 2p)
want "fds: the program ran" 'K*' "$R"
check "fds: the program holds nothing beyond 0 1 2 (fd 7 of lspawn's parent is gone)" test -f "$H/fds.out" -a ! -s "$H/fds.out"
# control bytes in the address never reach Delivered-To or a program's environment
dot .courier-default './Maildir/'
res "$A-x"$'\r'"y@local.example"; want "address: a CR in the local part is malformed (D)" 'D*malformed*' "$R"
res "$A-x"$'\t'"y@local.example"; want "address: a TAB in the local part is malformed (D)" 'D*malformed*' "$R"
rm -f "$H/.courier-default"
# "user:x" is not a name for user through the passwd file's field separator
res "$A:x@local.example"; want "address: user:x does not match user's passwd line (D)" 'D*no such user*' "$R"

# --- hardening: sizes and names --------------------------------------------
# a delivery file over 64 KiB is refused, not read without bound
{ for i in $(seq 2000); do echo "# comment line $i, padding padding padding"; done; echo './Maildir/'; } > "$H/.courier-big"
chown $A: "$H/.courier-big"
res $A-big@local.example; want "sizes: a delivery file over 64 KiB is refused (Z)" 'Z*too long*' "$R"
rm -f "$H/.courier-big"
# an extension longer than a file name can hold bounces; so does an address over 1000 bytes
res "$A-$(head -c 250 /dev/zero | tr '\0' e)@local.example"; want "sizes: a 250-byte extension bounces (D)" 'D*too long*' "$R"
res "$A-$(head -c 1000 /dev/zero | tr '\0' e)@local.example"; want "sizes: an address over 1000 bytes is malformed (D)" 'D*malformed*' "$R"
# path bytes in the extension never reach a file name
res "$A-../../../etc/x@local.example"; want "names: '/' in the extension is malformed (D)" 'D*malformed*' "$R"
dot .courier-default './Maildir/'
res "$A-..@local.example"; want "names: '..' as extension stays a file name (.courier-::, then -default)" 'K*' "$R"
rm -f "$H/.courier-default"
# a maildirsize of 1 GiB (sparse, unparsable) is read only up to its limit
# (kurier-lspawn's own 60 s timeout in l_spawn bounds the whole delivery)
printf '100000000S\n' > "$H/Maildir/maildirsize"; truncate -s 1G "$H/Maildir/maildirsize"; chown $A: "$H/Maildir/maildirsize"
res $A@local.example; want "sizes: a 1 GiB maildirsize does not stop delivery" 'K*' "$R"
# a valid one of 1 MiB is read up to its limit, then rebuilt short
{ printf '100000000S\n'; yes '0 0' | head -n 262144; } > "$H/Maildir/maildirsize"; chown $A: "$H/Maildir/maildirsize"
res $A@local.example; want "sizes: a 1 MiB maildirsize does not stop delivery" 'K*' "$R"
check "sizes: the 1 MiB maildirsize is rebuilt short" test "$(stat -c %s "$H/Maildir/maildirsize")" -lt 5120
rm -f "$H/Maildir/maildirsize"

# --- hardening: the envelope sender -----------------------------------------
# kurier-queue takes an envelope from any local user, so a sender with a
# newline can reach a delivery: it must not forge a header line or an mbox
# "From " line (a second message in the mbox)
dot .courier-snd './mbox.snd'
l_msg
R=$(l_req 1 "$L_MSG" $'a@b.example\nFrom evil@x.example Mon Jan  1 00:00:00 2024' $A-snd@local.example | l_spawn | sed -n 2p)
want "sender: a newline in the envelope sender is refused (D)" 'D*sender*' "$R"
check "sender: nothing written to the mbox" test ! -s "$H/mbox.snd"
R=$(l_req 1 "$L_MSG" $'a\tb@b.example' $A-snd@local.example | l_spawn | sed -n 2p)
want "sender: a TAB in the envelope sender is refused (D)" 'D*sender*' "$R"
