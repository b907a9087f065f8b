#!/bin/bash
# 22-userdb.sh - the userdb tools end to end: makeuserdb's two cdbs (modes,
# contents, passwords only in the shadow one, a large source byte for byte
# as cdb -c builds it), refusal of a group-readable
# source, a bad line reported as file:line with the old cdbs untouched, a
# directory source, userdb set/unset/del keeping comments, userdbpw piped
# into userdb, and pw2userdb's output accepted by makeuserdb.
. "$KURIER_SRC/tests/lib.sh"
M=$KB/makeuserdb U=$KB/userdb P=$KB/userdbpw
S=$T/src O=$T/out
mkdir -p "$O"
umask 022

# --- round trip ---------------------------------------------------------------
cat >"$S" <<'X'
# the accounts of example.test
Demo@Example.TEST	uid=1000|gid=1000|home=/home/demo|systempw=$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA|quota=1000000S,100C

bob@example.test	uid=1001|gid=1000|home=/home/bob|mail=/home/bob/Maildir|imappw=$argon2id$v=19$m=65536,t=2,p=1$eA$eQ|hmac-md5pw=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
nopw@example.test	uid=1002|gid=1000|home=/home/nopw
X
chmod 600 "$S"
check_exit "makeuserdb: a good source exits 0" 0 "$M" -f "$S" -o "$O"
check "makeuserdb: public cdb is mode 0644" test "$(stat -c %a "$O/userdb.cdb")" = 644
check "makeuserdb: shadow cdb is mode 0600" test "$(stat -c %a "$O/userdbshadow.cdb")" = 600
check "makeuserdb: key is the lower-cased address, value the public fields" \
	test "$(cdb -q "$O/userdb.cdb" demo@example.test)" = "uid=1000|gid=1000|home=/home/demo|quota=1000000S,100C"
check "makeuserdb: shadow holds the password fields" \
	test "$(cdb -q "$O/userdbshadow.cdb" bob@example.test)" = 'imappw=$argon2id$v=19$m=65536,t=2,p=1$eA$eQ|hmac-md5pw=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
if cdb -d "$O/userdb.cdb" | grep -q 'pw='; then notok "makeuserdb: no password in the public cdb" "$(cdb -d "$O/userdb.cdb")"
else ok "makeuserdb: no password in the public cdb"; fi
check "makeuserdb: three public records" test "$(cdb -d "$O/userdb.cdb" | grep -c .)" = 3
check_exit "makeuserdb: an account without passwords has no shadow record" 100 cdb -q "$O/userdbshadow.cdb" nopw@example.test
ls -a "$O" | grep -q tmp && notok "makeuserdb: no temporary left" "$(ls -a "$O")" || ok "makeuserdb: no temporary left"

# --- a large source: the same bytes as cdb -c --------------------------------------
# 30000 accounts make two cdbs of several MB, written through lib/cdbx a
# megabyte at a time; dumped and rebuilt by tinycdb they must not change
awk 'BEGIN { for (i = 0; i < 30000; i++)
	printf "User%d@Big%d.example\tuid=%d|gid=100|home=/home/u%d|mail=/home/u%d/Maildir|quota=%dS|systempw=$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$%040d\n", i, i % 7, 1000 + i, i, i, 1000 + i, i }' >"$T/big"
chmod 600 "$T/big"
mkdir -p "$T/bigout"
check_exit "makeuserdb: 30000 accounts exit 0" 0 "$M" -f "$T/big" -o "$T/bigout"
cdb -d "$T/bigout/userdb.cdb" | cdb -c "$T/bigpub.cdb"
cdb -d "$T/bigout/userdbshadow.cdb" | cdb -c "$T/bigsh.cdb"
check "makeuserdb: a 3 MB public cdb has the same bytes as cdb -c on its records" \
	test "$(stat -c %s "$T/bigout/userdb.cdb")" -gt 3000000 -a -n "$(cmp -s "$T/bigpub.cdb" "$T/bigout/userdb.cdb" && echo same)"
check "makeuserdb: the shadow cdb has the same bytes as cdb -c on its records" \
	test "$(stat -c %s "$T/bigout/userdbshadow.cdb")" -gt 3000000 -a -n "$(cmp -s "$T/bigsh.cdb" "$T/bigout/userdbshadow.cdb" && echo same)"
check "makeuserdb: 30000 public and 30000 shadow records" \
	test "$(cdb -d "$T/bigout/userdb.cdb" | grep -c '^+')/$(cdb -d "$T/bigout/userdbshadow.cdb" | grep -c '^+')" = 30000/30000
check "makeuserdb: the last account is found, lower-cased" \
	test "$(cdb -q "$T/bigout/userdb.cdb" user29999@big4.example)" = "uid=30999|gid=100|home=/home/u29999|mail=/home/u29999/Maildir|quota=30999S"

# --- spares: each run keeps the cdbs it replaces as NAME.old, and the next
# run writes over them unless someone may be reading them ---------------------------
ino() { stat -c %i "$1"; }
B=$T/bigout
first=$(ino "$B/userdb.cdb")/$(ino "$B/userdbshadow.cdb")
check_exit "makeuserdb: a second run exits 0" 0 "$M" -f "$T/big" -o "$B"
check "makeuserdb: the cdbs replaced are kept as userdb.cdb.old and userdbshadow.cdb.old" \
	test "$(ino "$B/userdb.cdb.old")/$(ino "$B/userdbshadow.cdb.old")" = "$first"
check "makeuserdb: ... the shadow one still mode 0600" test "$(stat -c %a "$B/userdbshadow.cdb.old")" = 600
head -n 1000 "$T/big" >"$T/small"; chmod 600 "$T/small"
check_exit "makeuserdb: a third run, of 1000 accounts, exits 0" 0 "$M" -f "$T/small" -o "$B"
check "makeuserdb: ... written over the spares (the first run's files)" \
	test "$(ino "$B/userdb.cdb")/$(ino "$B/userdbshadow.cdb")" = "$first"
cdb -d "$B/userdb.cdb" | cdb -c "$T/smallpub.cdb"
cdb -d "$B/userdbshadow.cdb" | cdb -c "$T/smallsh.cdb"
check "makeuserdb: ... cut to the size of the new cdbs, the same bytes as cdb -c on their records" \
	test -n "$(cmp -s "$T/smallpub.cdb" "$B/userdb.cdb" && cmp -s "$T/smallsh.cdb" "$B/userdbshadow.cdb" && echo same)"
check "makeuserdb: ... which are the 1000 accounts" \
	test "$(cdb -d "$B/userdb.cdb" | grep -c '^+')/$(cdb -q "$B/userdb.cdb" user999@big5.example)" = "1000/uid=1999|gid=100|home=/home/u999|mail=/home/u999/Maildir|quota=1999S"
check "makeuserdb: ... with the modes of new cdbs" test "$(stat -c %a "$B/userdb.cdb")/$(stat -c %a "$B/userdbshadow.cdb")" = 644/600
# a spare someone holds open, one with a second link and one mapped by a
# reader that closed its descriptor (as libcdb's readers do) are never
# written over (the run makes a new file, the other spare is still used);
# nor is the target of a spare that is a symbolic link
spare_kept() {	# NAME - a run must leave the public spare, as set up, alone
	local pub sh
	pub=$(ino "$B/userdb.cdb.old") sh=$(ino "$B/userdbshadow.cdb.old")
	"$M" -f "$T/small" -o "$B" 2>"$T/err"; rc=$?
	if [ "$rc" = 0 ] && [ "$(ino "$B/userdb.cdb")" != "$pub" ] && [ "$(ino "$B/userdbshadow.cdb")" = "$sh" ] &&
	   ! ls -a "$B" | grep -q tmp; then ok "makeuserdb: a spare $1 is not written over"
	else notok "makeuserdb: a spare $1 is not written over" "exit $rc: $(cat "$T/err")"; fi
}
exec 9<"$B/userdb.cdb.old"
before=$(md5sum </dev/fd/9)
spare_kept "held open"
check "makeuserdb: ... its bytes are still there for its reader" test "$(md5sum </dev/fd/9)" = "$before"
exec 9<&-
ln -f "$B/userdb.cdb.old" "$T/link"
before=$(md5sum <"$T/link")
spare_kept "with a second link"
check "makeuserdb: ... its bytes are still there under the other name" test "$(md5sum <"$T/link")" = "$before"
rm -f "$T/link"
python3 -c 'import mmap, sys, time
f = open(sys.argv[1], "rb"); m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ); f.close()
print("mapped", flush=True); time.sleep(30)' "$B/userdb.cdb.old" >"$T/mapper" & mapper=$!
on_exit "kill $mapper 2>/dev/null"
for i in $(seq 100); do grep -q mapped "$T/mapper" && break; sleep 0.1; done
spare_kept "mapped by a reader"
kill "$mapper" 2>/dev/null; wait "$mapper" 2>/dev/null
printf 'not a cdb\n' >"$T/target"; rm -f "$B/userdb.cdb.old"; ln -s "$T/target" "$B/userdb.cdb.old"
check_exit "makeuserdb: a spare that is a symbolic link: exit 0" 0 "$M" -f "$T/small" -o "$B"
check "makeuserdb: ... and its target untouched" test "$(cat "$T/target")" = "not a cdb"

# an empty source, and one of comments and blank lines only: two empty
# cdbs, the same bytes as cdb -c makes from no records
printf '\n' | cdb -c "$T/nothing.cdb"
: >"$T/empty"; printf '# nobody yet\n\n' >"$T/comments"; chmod 600 "$T/empty" "$T/comments"
for src in empty comments; do
	mkdir -p "$T/$src.out"
	check_exit "makeuserdb: an $src source exits 0" 0 "$M" -f "$T/$src" -o "$T/$src.out"
	check "makeuserdb: ... and writes two empty cdbs as cdb -c does" \
		test -n "$(cmp -s "$T/nothing.cdb" "$T/$src.out/userdb.cdb" && echo same)" -a \
		-n "$(cmp -s "$T/nothing.cdb" "$T/$src.out/userdbshadow.cdb" && echo same)"
done

# the same against records built apart from makeuserdb: 70000 accounts
# (records handed between its threads in several blocks), upper and lower
# case addresses, password fields last, first, or between public ones
# (then copied rather than pointed to), some accounts without a password;
# cdb -c on the expected records in source order must give the same bytes
awk 'BEGIN { for (i = 0; i < 70000; i++) {
	a = (i % 3 ? "Mix" : "mix") i "@Dom" (i % 5) ".Example"; k = tolower(a)
	pub = "uid=" 1000 + i "|gid=100|home=/h/" i; pw = "systempw=$x$" i "|imappw=i" i
	if (i % 4 == 0) { line = pw "|" pub; shp = pw }
	else if (i % 4 == 1) { line = "uid=" 1000 + i "|imappw=i" i "|gid=100|home=/h/" i "|pop3pw=p" i; shp = "imappw=i" i "|pop3pw=p" i }
	else if (i % 4 == 2) { line = pub "|" pw; shp = pw }
	else { line = pub; shp = "" }
	print a "\t" line > "/dev/stderr"
	printf "+%d,%d:%s->%s\n", length(k), length(pub), k, pub > "'"$T/mixpub.in"'"
	if (shp != "") printf "+%d,%d:%s->%s\n", length(k), length(shp), k, shp > "'"$T/mixsh.in"'"
} }' 2>"$T/mix"
echo >>"$T/mixpub.in"; echo >>"$T/mixsh.in"
cdb -c "$T/mixpub.cdb" <"$T/mixpub.in"; cdb -c "$T/mixsh.cdb" <"$T/mixsh.in"
chmod 600 "$T/mix"
mkdir -p "$T/mixout"
check_exit "makeuserdb: 70000 mixed accounts exit 0" 0 "$M" -f "$T/mix" -o "$T/mixout"
check "makeuserdb: mixed accounts' public cdb is byte for byte cdb -c on the expected records" \
	cmp -s "$T/mixpub.cdb" "$T/mixout/userdb.cdb"
check "makeuserdb: mixed accounts' shadow cdb is byte for byte cdb -c on the expected records" \
	cmp -s "$T/mixsh.cdb" "$T/mixout/userdbshadow.cdb"

# a write that fails half way (the file size limit, 2 MiB, past the first
# copies of staged bytes) exits 111 and leaves the old cdbs and no temporary
before=$(cat "$T/bigout/userdb.cdb" "$T/bigout/userdbshadow.cdb" | md5sum)
(trap '' XFSZ; ulimit -f 2048; exec "$M" -f "$T/big" -o "$T/bigout") 2>"$T/err"; rc=$?
check "makeuserdb: a write failing half way exits 111 with the reason" test "$rc" = 111 -a -n "$(grep -E 'cannot write .*/bigout/userdb(shadow)?.cdb.tmp: File too large' "$T/err")"
check "makeuserdb: ... and leaves the old cdbs and no temporaries" \
	test "$(cat "$T/bigout/userdb.cdb" "$T/bigout/userdbshadow.cdb" | md5sum)" = "$before" -a \
	! -e "$T/bigout/userdb.cdb.tmp" -a ! -e "$T/bigout/userdbshadow.cdb.tmp"

# --- refusals leave the old cdbs untouched ----------------------------------------
sum() { md5sum "$O/userdb.cdb" "$O/userdbshadow.cdb"; }
before=$(sum)
chmod 640 "$S"
"$M" -f "$S" -o "$O" 2>"$T/err"; rc=$?
check "makeuserdb: group-readable source exits 100" test "$rc" = 100
check "makeuserdb: group-readable source is named" grep -q "$S: readable or writable by group or others" "$T/err"
chmod 604 "$S"
check_exit "makeuserdb: world-readable source exits 100" 100 "$M" -f "$S" -o "$O"
chmod 620 "$S"
check_exit "makeuserdb: group-writable source exits 100" 100 "$M" -f "$S" -o "$O"
chmod 600 "$S"

bad_case() {	# NAME LINE REASON - append LINE as line 6, expect file:6: REASON
	cp "$S" "$T/bad"; chmod 600 "$T/bad"
	printf '%s\n' "$2" >>"$T/bad"
	"$M" -f "$T/bad" -o "$O" 2>"$T/err"; rc=$?
	if [ "$rc" = 100 ] && grep -qF "$T/bad:6: $3" "$T/err"; then ok "makeuserdb: $1"
	else notok "makeuserdb: $1" "exit $rc: $(cat "$T/err")"; fi
}
bad_case "duplicate address (case-insensitive)" $'DEMO@example.test\tuid=5|gid=5|home=/x' "duplicate address"
# duplicates found whatever the address's length and case: makeuserdb
# hashes each address ahead of its check, eight bytes at a time, so every
# length up to 70 (every split of a word), upper-case bytes in each word
# and a TAB or a space after the address; each source holds all the
# addresses once and then one again in another case
awk 'BEGIN { s = "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789.-_+"
	for (l = 1; l <= 70; l++) { a = ""; for (i = 0; i < l; i++) a = a substr(s, (i * 7 + l) % 40 + 1, 1); print a } }' >"$T/addrs"
dup_bad=0 dup_n=0
mkdir -p "$T/dupout"
while read -r a; do
	dup_n=$((dup_n + 1))
	sep=$'\t'; [ $((dup_n % 2)) = 0 ] && sep=' '
	awk -v sep="$sep" '{ print $0 sep "uid=5|gid=5|home=/x" }' "$T/addrs" >"$T/dup"
	printf '%s%suid=6|gid=6|home=/y\n' "$(printf %s "$a" | tr 'a-zA-Z' 'A-Za-z')" "$sep" >>"$T/dup"
	chmod 600 "$T/dup"
	"$M" -f "$T/dup" -o "$T/dupout" 2>"$T/err"
	[ $? = 100 ] && grep -qF "$T/dup:71: duplicate address" "$T/err" || { dup_bad=$((dup_bad + 1)); echo "# not found: $a" >&2; }
done <"$T/addrs"
check "makeuserdb: a duplicate in another case is found for addresses of 1 to 70 bytes ($dup_n tried)" \
	test "$dup_bad/$dup_n" = 0/70
awk '{ print $0 "\tuid=5|gid=5|home=/x" }' "$T/addrs" >"$T/dup"; chmod 600 "$T/dup"
check_exit "makeuserdb: ... and the 70 addresses alone are accepted" 0 "$M" -f "$T/dup" -o "$T/dupout"
bad_case "missing home" $'x@y\tuid=5|gid=5' "required field home missing"
bad_case "non-numeric uid" $'x@y\tuid=demo|gid=5|home=/x' "uid is not a number"
bad_case "relative home" $'x@y\tuid=5|gid=5|home=x' "home is not an absolute path"
bad_case "bad quota" $'x@y\tuid=5|gid=5|home=/x|quota=10K' "quota is not NNNS[,NNNC]"
bad_case "empty field name" $'x@y\tuid=5|gid=5|home=/x|=v' "empty field name"
bad_case "address only" 'x@y' "address without fields"
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "u%d@big.test\tuid=%d|gid=1|home=/h\n", i, i + 1; print "U77777@BIG.test\tuid=1|gid=1|home=/h" }' >"$T/big"
chmod 600 "$T/big"
"$M" -f "$T/big" -o "$O" 2>"$T/err"; rc=$?
if [ "$rc" = 100 ] && grep -qF "$T/big:100001: duplicate address" "$T/err"; then ok "makeuserdb: duplicate found among 100,000 addresses"
else notok "makeuserdb: duplicate found among 100,000 addresses" "exit $rc: $(cat "$T/err")"; fi
check "makeuserdb: failed runs left the old cdbs byte for byte" test "$(sum)" = "$before"
ls -a "$O" | grep -q tmp && notok "makeuserdb: failed runs left no temporary" "$(ls -a "$O")" || ok "makeuserdb: failed runs left no temporary"

# --- a directory source --------------------------------------------------------------
mkdir -m 700 "$T/dir"
printf 'a@x\tuid=10|gid=10|home=/a\n' >"$T/dir/10-a"
printf 'b@x\tuid=11|gid=10|home=/b\n' >"$T/dir/20-b"
printf 'c@x\tuid=12|gid=10|home=/c\n' >"$T/dir/20-b~"
printf 'garbage\n' >"$T/dir/.hidden"
chmod 600 "$T/dir"/*  "$T/dir/.hidden"
check_exit "makeuserdb: directory source exits 0" 0 "$M" -f "$T/dir" -o "$O"
check "makeuserdb: directory files read, editor leftovers and dot files skipped" \
	test "$(cdb -d "$O/userdb.cdb" | grep -c .)/$(cdb -q "$O/userdb.cdb" c@x; echo $?)" = "2/100"
chmod 750 "$T/dir"
check_exit "makeuserdb: group-readable source directory exits 100" 100 "$M" -f "$T/dir" -o "$O"

# --- userdb edits ---------------------------------------------------------------------
check_exit "userdb: set creates a new address" 0 "$U" -f "$S" new@example.test set uid=2000 gid=2000 home=/home/new
check_exit "userdb: set replaces a field and adds another" 0 "$U" -f "$S" new@example.test set home=/home/other shell=/bin/sh
check "userdb: -show lists the fields in order" \
	test "$("$U" -f "$S" -show new@example.test | tr '\n' ' ')" = "uid=2000 gid=2000 home=/home/other shell=/bin/sh "
check_exit "userdb: unset removes a field" 0 "$U" -f "$S" new@example.test unset shell
check "userdb: the field is gone" test "$(grep '^new@' "$S")" = $'new@example.test\tuid=2000|gid=2000|home=/home/other'
check "userdb: comments and blank lines are kept" test "$(sed -n '1p;3p' "$S" | tr '\n' /)" = '# the accounts of example.test//'
check "userdb: the source stays mode 0600" test "$(stat -c %a "$S")" = 600
check_exit "userdb: set refuses a '|' in a value" 100 "$U" -f "$S" new@example.test set gecos='a|b'
check_exit "userdb: set refuses a bad uid" 100 "$U" -f "$S" new@example.test set uid=x
check_exit "userdb: unset of an unknown address exits 1" 1 "$U" -f "$S" none@example.test unset shell
echo 'tr0ub4dor&3' | "$P" | "$U" -f "$S" new@example.test set systempw
check "userdb: userdbpw | userdb set systempw stores an argon2id hash" grep -q '^new@example.test	.*|systempw=\$argon2id\$' "$S"
echo 'secret' | "$P" -hmac-md5 | "$U" -f "$S" new@example.test set hmac-md5pw
check "userdb: userdbpw -hmac-md5 stores 64 hex digits" grep -Eq '\|hmac-md5pw=[0-9a-f]{64}$' "$S"
check_exit "makeuserdb: the edited source compiles" 0 "$M" -f "$S" -o "$O"
check "makeuserdb: edited account's password is in the shadow cdb" \
	sh -c "cdb -q '$O/userdbshadow.cdb' new@example.test | grep -q '^systempw=\\\$argon2id\\\$.*|hmac-md5pw='"
check_exit "userdb: del removes the address" 0 "$U" -f "$S" new@example.test del
check "userdb: the line is gone and the rest is unchanged" test "$(grep -c . "$S")/$(grep -c '^new@' "$S")" = "4/0"
check "userdb: -show lists every address" test "$("$U" -f "$S" -show | tr '\n' ' ')" = "Demo@Example.TEST bob@example.test nopw@example.test "
chmod 644 "$S"
check_exit "userdb: refuses a world-readable source" 100 "$U" -f "$S" -show
chmod 600 "$S"

# --- userdbpw ------------------------------------------------------------------------
h=$(echo pw | "$P")
check "userdbpw: argon2id with the interactive limits" test "${h#\$argon2id\$v=19\$m=65536,t=2,p=1\$}" != "$h"
check "userdbpw: two hashes of one password differ (random salt)" test "$h" != "$(echo pw | "$P")"
check_exit "userdbpw: empty password exits 100" 100 "$P" </dev/null
# RFC 2195's example: the secret for tanstaaftanstaaf is checked in test-userdb-pw
check "userdbpw -hmac-md5: same password, same secret" \
	test "$(echo tanstaaftanstaaf | "$P" -hmac-md5)" = "$(printf 'tanstaaftanstaaf\n' | "$P" -hmac-md5)"

# --- pw2userdb ---------------------------------------------------------------------------
"$KB/pw2userdb" -m 1 >"$T/pw" 2>"$T/pwerr"; rc=$?
check "pw2userdb: exits 0" test "$rc" = 0
check "pw2userdb: skips uid 0" sh -c "! grep -q '^root	' '$T/pw'"
check "pw2userdb: emits system accounts" grep -q '^daemon	uid=1|gid=1|home=' "$T/pw"
chmod 600 "$T/pw"
check_exit "pw2userdb: its output compiles with makeuserdb" 0 "$M" -f "$T/pw" -o "$O"
check "pw2userdb: default minimum uid 1000 leaves out system accounts" sh -c "! '$KB/pw2userdb' | grep -q '^daemon	'"
