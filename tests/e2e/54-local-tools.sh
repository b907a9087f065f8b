#!/bin/bash
# 54-local-tools.sh - the local delivery commands: kurier-local (as root
# and as the user, -n, a message on a pipe, exit codes), kurier-route
# (which file and entry decided, account, delivery file, instructions,
# alias targets, unknown and remote addresses), kurier-maildir (quota,
# exit codes, nothing left behind) and maildirmake's refusals.
. "$KURIER_SRC"/tests/lib.sh
. "$KURIER_SRC"/deliver/local-e2e.sh
[ "$(id -u)" = 0 ] || { skip "local tools" "needs root for useradd"; exit 0; }
l_setup || { notok "local tools: test instance" "l_setup failed"; exit 1; }
A=kl54a B=kl54b
l_user $A || { notok "local tools: useradd" ""; exit 1; }
H=$L_HOME
l_user $B || { notok "local tools: useradd" ""; exit 1; }
as() { local u=$1; shift; setpriv --reuid=$u --regid=$u --clear-groups "$@"; }
as $A "$TH/bin/maildirmake" "$H/Maildir"
as $A "$TH/bin/maildirmake" -f Lists "$H/Maildir"
printf '# lists\n./Maildir/.Lists/\n|cat > "$HOME/copy"\n' > "$H/.courier-lists-default"; chown $A: "$H/.courier-lists-default"
L=$TH/bin/kurier-local R=$TH/bin/kurier-route KM=$TH/bin/kurier-maildir MM=$TH/bin/maildirmake
printf 'Subject: tools\n\nline one\n' > "$T/msg"

# --- kurier-local -----------------------------------------------------------
out=$("$L" s@r.example $A@local.example < "$T/msg"); rc=$?
check "kurier-local: root delivers, exit 0" test $rc = 0
check "kurier-local: says what it did" grep -q '^delivered: maildir ./Maildir/' <<<"$out"
check "kurier-local: one message in new/" test "$(l_count "$H/Maildir/new")" = 1
cat "$T/msg" | "$L" s@r.example $A-lists-kurier@local.example >/dev/null; rc=$?
check "kurier-local: a message on a pipe, two instructions, exit 0" test $rc = 0
check "kurier-local: the program got the whole message from the pipe" cmp "$H/copy" "$T/msg"
check "kurier-local: and the folder got it" test "$(l_count "$H/Maildir/.Lists/new")" = 1
"$L" s@r.example nosuch54@local.example < "$T/msg" 2>/dev/null; rc=$?
check "kurier-local: unknown user exits 100" test $rc = 100
"$L" s@r.example $A-nofile@local.example < "$T/msg" >/dev/null; rc=$?
check "kurier-local: an extension without a file exits 100" test $rc = 100
"$L" s@r.example someone@elsewhere.example < "$T/msg" 2>/dev/null; rc=$?
check "kurier-local: a foreign domain exits 100" test $rc = 100
"$L" onlyone < /dev/null 2>/dev/null; rc=$?
check "kurier-local: bad usage exits 100" test $rc = 100
as $A "$L" s@r.example $A@local.example < "$T/msg" >/dev/null; rc=$?
check "kurier-local: a user delivers to its own address" test $rc = 0
as $B "$L" s@r.example $A@local.example < "$T/msg" 2>/dev/null; rc=$?
check "kurier-local: a user may not deliver to another's (111)" test $rc = 111
check "kurier-local: so two messages in new/" test "$(l_count "$H/Maildir/new")" = 2
n0=$(l_count "$H/Maildir/.Lists/new")
out=$("$L" -n s@r.example $A-lists-x@local.example); rc=$?
check "kurier-local -n: exit 0" test $rc = 0
check "kurier-local -n: names the delivery file" grep -qx "delivery file: $H/.courier-lists-default" <<<"$out"
check "kurier-local -n: delivers nothing" test "$(l_count "$H/Maildir/.Lists/new")" = "$n0"

# --- kurier-route -------------------------------------------------------------
out=$("$R" $A-lists-x@sub.wild.example); rc=$?
check "kurier-route: exit 0 for a local account" test $rc = 0
check "kurier-route: the locals entry that decided" grep -qF 'domain sub.wild.example: local (control/locals entry ".wild.example")' <<<"$out"
check "kurier-route: the account" grep -q "^account: $A (/etc/passwd: uid $(id -u $A), home $H)" <<<"$out"
check "kurier-route: the extension" grep -qx "extension: lists-x" <<<"$out"
check "kurier-route: the delivery file and DEFAULT" grep -qx "DEFAULT=x" <<<"$out"
check "kurier-route: the instructions" grep -qx "  maildir ./Maildir/.Lists/" <<<"$out"
check "kurier-route: program lines too" grep -qx '  program cat > "$HOME/copy"' <<<"$out"
out=$("$R" $A@not.wild.example); rc=$?
check "kurier-route: an exception names its entry" grep -qF 'control/locals exception "!not.wild.example"' <<<"$out"
check "kurier-route: and says remote" grep -q '^result: remote delivery to not.wild.example' <<<"$out"
out=$("$R" nosuch54@local.example); rc=$?
check "kurier-route: unknown user exits 1" test $rc = 1
check "kurier-route: and says why" grep -qx "result: no such user here" <<<"$out"
l_cdb "$TH/control/aliases.cdb" kl54alias 1 /tmp/x/
out=$("$R" KL54alias@local.example); rc=$?
check "kurier-route: an alias key and its targets" test "$(grep -E '^(alias|  target)' <<<"$out" | tr '\n' '|')" = \
	'alias: control/aliases.cdb key "kl54alias"|  target: /tmp/x/|'
out=$("$R"); rc=$?
check "kurier-route: no argument exits 100" test $rc = 100

# --- kurier-maildir -----------------------------------------------------------
M2=$T/m2
"$MM" "$M2"
"$KM" "$M2" < "$T/msg"; rc=$?
check "kurier-maildir: exit 0" test $rc = 0
f=$(ls "$M2/new")
check "kurier-maildir: the file is the message, S= its size" \
	test "$(cat "$M2/new/$f")" = "$(cat "$T/msg")" -a "${f##*,S=}" = "$(stat -c %s "$T/msg")"
"$KM" -q 20S "$M2" < "$T/msg"; rc=$?
check "kurier-maildir: over the -q quota exits 111" test $rc = 111
check "kurier-maildir: nothing added over quota" test "$(l_count "$M2/new"):$(l_count "$M2/tmp")" = 1:0
check "kurier-maildir: -q wrote maildirsize" test "$(head -n 1 "$M2/maildirsize")" = 20S
"$KM" -q 20X "$M2" < "$T/msg" 2>/dev/null; rc=$?
check "kurier-maildir: a malformed quota exits 100" test $rc = 100
"$KM" < "$T/msg" 2>/dev/null; rc=$?
check "kurier-maildir: no directory exits 100" test $rc = 100
"$KM" "$T/nonexistent" < "$T/msg" 2>/dev/null; rc=$?
check "kurier-maildir: a missing maildir exits 111" test $rc = 111
echo bounce > "$TH/control/overquota"
"$KM" -q 20S "$M2" < "$T/msg" 2>/dev/null; rc=$?
check "kurier-maildir: over quota with control/overquota bounce exits 100" test $rc = 100
rm -f "$TH/control/overquota"

# --- maildirmake --------------------------------------------------------------
"$MM" -f ../evil "$M2" 2>/dev/null; rc=$?
check "maildirmake: a folder name with .. exits 100" test $rc = 100
check "maildirmake: and creates nothing outside" test ! -e "$T/evil" -a ! -e "$M2/...evil"
"$MM" -q 10Q "$M2" 2>/dev/null; rc=$?
check "maildirmake: a malformed quota exits 100" test $rc = 100
"$MM" 2>/dev/null; rc=$?
check "maildirmake: no directory exits 100" test $rc = 100
"$MM" -f A.B "$M2"; rc=$?
check "maildirmake: -f A.B makes .A.B" test $rc = 0 -a -f "$M2/.A.B/maildirfolder"

# --- the whole queue: kurier-start, kurier-send and this kurier-lspawn -------
if [ -f "$KURIER_SRC/queue/e2e-send.sh" ] && [ -x "$TH/bin/kurier-start" ] && [ -x "$TH/bin/kurier-send" ]; then
	. "$KURIER_SRC/queue/e2e-send.sh"
	# what s_setup does for the stand-in remote spawner, without touching control/
	q_empty
	mkdir -p "$T/md" && chmod 777 "$T/md"
	: >"$T/spawn.log"; chmod 666 "$T/spawn.log"
	: >"$T/rules"; chmod 644 "$T/rules"
	S_LSPAWN= s_start ./Maildir/ || notok "queue: kurier-start runs" "$(tail -n 5 "$T/send.log")"
	n0=$(l_count "$H/Maildir/new")
	printf 'Subject: through the queue\n\nqueued body\n' > "$T/msg"
	s_inject s@r.example $A@local.example nosuch54@local.example
	s_trigger
	s_wait 'delivery [0-9]*: success' 20
	s_wait 'delivery [0-9]*: failure' 20
	check "queue: kurier-send logs the success kurier-lspawn reported" grep -q 'delivery [0-9]*: success: delivered: maildir' "$T/send.log"
	check "queue: and the failure for the unknown user" grep -q 'delivery [0-9]*: failure: no such user here' "$T/send.log"
	check "queue: the message is in the maildir" test "$(l_count "$H/Maildir/new")" = $((n0 + 1))
	f=$(ls -t "$H/Maildir/new" | head -n 1)
	check "queue: with its Delivered-To and body" grep -qx "Delivered-To: $A@local.example" "$H/Maildir/new/$f"
	s_stop
else
	skip "queue" "kurier-start or kurier-send is not in the test instance"
fi

# --- LeakSanitizer (an ASan build only): kurier-maildir and kurier-local free
# everything on their success and failure paths, so callers need not turn
# leak detection off for them
if grep -qa __asan_init "$KM" 2>/dev/null; then
	nolsan() { [ -f "$1" ] && ! grep -q LeakSanitizer "$1"; }
	ML=$T/leakmd
	"$MM" "$ML" && chown -R $A: "$ML"
	for q in "" "-q 1S" "-q 1000000S"; do
		as $A env ASAN_OPTIONS=detect_leaks=1 "$KM" $q "$ML" < "$T/msg" 2> "$T/lsan.err"
		check "LeakSanitizer: kurier-maildir ${q:-without -q} leaks nothing" nolsan "$T/lsan.err"
	done
	as $A env ASAN_OPTIONS=detect_leaks=1 "$KM" "$T/no-such-dir" < "$T/msg" 2> "$T/lsan.err"
	check "LeakSanitizer: kurier-maildir into a missing maildir leaks nothing" nolsan "$T/lsan.err"
	ASAN_OPTIONS=detect_leaks=1 "$L" s@r.example $A@local.example < "$T/msg" >/dev/null 2> "$T/lsan.err"
	check "LeakSanitizer: kurier-local delivering leaks nothing" nolsan "$T/lsan.err"
	ASAN_OPTIONS=detect_leaks=1 "$L" -n s@r.example nobody54@local.example < "$T/msg" >/dev/null 2> "$T/lsan.err"
	check "LeakSanitizer: kurier-local -n for an unknown user leaks nothing" nolsan "$T/lsan.err"
else
	skip "LeakSanitizer: kurier-maildir and kurier-local" "not an ASan build (make asan runs these)"
fi
