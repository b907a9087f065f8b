#!/bin/bash
# 20-cdbtools.sh - makealiases, makehosteddomains, makeacceptmailfor and
# kurier-cdb end to end: cdb contents in the key formats smtpd reads
# (checked with tinycdb's cdb), :include: expansion and its limits,
# merged duplicates, continuation lines, directory sources that skip
# editor and package-manager leftovers, refusals reported as file:line
# with exit 100 and the old cdb byte for byte untouched, no temporary
# left behind, -n checking without writing; kurier-cdb dump/make against
# cdb -d/-c in both directions, get; kurier-showctl's sources.
. "$KURIER_SRC/tests/lib.sh"
A=$KB/makealiases H=$KB/makehosteddomains E=$KB/makeacceptmailfor C=$KB/kurier-cdb S=$KB/kurier-showctl
command -v cdb >/dev/null || { skip "cdbtools: cdb" "tinycdb not installed"; exit 0; }
D=$T/control
mkdir -p "$D" "$T/lists"
umask 022

# get CDB KEY - the value with NULs shown as '|'
get() { cdb -q "$1" "$2" | tr '\0' '|'; }
# same NAME WANT GOT
same() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got '$3', wanted '$2'"; fi; }

# --- aliases: round trip ------------------------------------------------------------
printf 'alice@example.com\n# a comment\nbob, carol@example.org\n' >"$T/lists/staff"
printf ':include:%s\ndave\n' "$T/lists/staff" >"$T/lists/all"
cat >"$D/aliases" <<X
# system aliases
postmaster: root
MAILER-DAEMON: postmaster
Info@Example.COM: alice@example.com,
	bob@example.net,
   "|/usr/local/bin/ticket --queue=info,sales"
archive: /var/mail/archive/Maildir/
everyone: :include:$T/lists/all, eve@example.net
@virtual.example: vuser
info@example.com: carol@example.org, alice@example.com
X
check_exit "makealiases: a good source exits 0" 0 "$A" -f "$D/aliases" -o "$D"
same "makealiases: bare local name key" "root|" "$(get "$D/aliases.cdb" postmaster)"
same "makealiases: key lower-cased" "postmaster|" "$(get "$D/aliases.cdb" mailer-daemon)"
same "makealiases: continuation lines, quoted program, duplicate merged in order, each target once" \
	"alice@example.com|bob@example.net||/usr/local/bin/ticket --queue=info,sales|carol@example.org|" \
	"$(get "$D/aliases.cdb" info@example.com)"
same "makealiases: maildir target" "/var/mail/archive/Maildir/|" "$(get "$D/aliases.cdb" archive)"
same "makealiases: nested :include: expanded at compile time" \
	"alice@example.com|bob|carol@example.org|dave|eve@example.net|" "$(get "$D/aliases.cdb" everyone)"
same "makealiases: @domain key holds the local user" "vuser|" "$(get "$D/aliases.cdb" @virtual.example)"
same "makealiases: one record per alias" 6 "$(cdb -d "$D/aliases.cdb" | grep -ac '^+')"
same "makealiases: mode 0644" 644 "$(stat -c %a "$D/aliases.cdb")"
ls -a "$D" | grep -q '\.tmp' && notok "makealiases: no temporary left" "$(ls -a "$D")" || ok "makealiases: no temporary left"

# --- refusals keep the old cdb ------------------------------------------------------
cp "$D/aliases" "$T/good"
sum=$(md5sum <"$D/aliases.cdb")
# bad NAME TOOL CDB LINE WANT - append LINE to a copy of the source, expect exit 100 and WANT on stderr
bad() {
	local name=$1 tool=$2 cdbf=$3 line=$4 want=$5 before rc
	before=$(md5sum <"$D/$cdbf")
	cp "$T/good" "$T/bad"
	printf '%s\n' "$line" >>"$T/bad"
	"$tool" -f "$T/bad" -o "$D" 2>"$T/err"; rc=$?
	if [ "$rc" = 100 ] && grep -qF -- "$want" "$T/err" && [ "$(md5sum <"$D/$cdbf")" = "$before" ] &&
	   ! ls -a "$D" | grep -q '\.tmp'; then
		ok "$name"
	else
		notok "$name" "exit $rc: $(cat "$T/err")"
	fi
}
n=$(($(wc -l <"$T/good") + 1))
bad "makealiases: missing colon" "$A" aliases.cdb "justaword" "$T/bad:$n: missing ':' after the alias"
bad "makealiases: alias without targets" "$A" aliases.cdb "x:" "$T/bad:$n: alias without targets"
bad "makealiases: bad address" "$A" aliases.cdb "x: a@b..c" "$T/bad:$n: empty label in domain"
bad "makealiases: missing comma" "$A" aliases.cdb "x: a b" "$T/bad:$n: white space inside a target"
bad "makealiases: mbox path refused" "$A" aliases.cdb "x: /var/mail/x" "$T/bad:$n: a path target must be a maildir"
bad "makealiases: @domain with two targets" "$A" aliases.cdb "@d.example: a, b" "$T/bad:$n: an @domain alias takes exactly one local user name"
bad "makealiases: @domain defined twice" "$A" aliases.cdb "@virtual.example: other" "$T/bad:$n: an @domain alias may be defined only once (first at $T/bad:9)"
bad "makealiases: missing :include: file" "$A" aliases.cdb "x: :include:$T/lists/none" "$T/bad:$n: cannot read :include: file: no such file: $T/lists/none"
printf 'ok@example.com\nnot an address\n' >"$T/lists/broken"
bad "makealiases: error inside an :include: file names that file" "$A" aliases.cdb "x: :include:$T/lists/broken" \
	"$T/lists/broken:2: white space inside a target (missing comma?) (included from $T/bad:$n)"
printf ':include:%s\n' "$T/lists/loop" >"$T/lists/loop"
bad "makealiases: :include: loop stops at the depth limit" "$A" aliases.cdb "x: :include:$T/lists/loop" "nested more than 8 deep"
printf 'x: a\0b\n' >"$T/nul"; cp "$T/good" "$T/bad"; cat "$T/nul" >>"$T/bad"
"$A" -f "$T/bad" -o "$D" 2>"$T/err"; rc=$?
check "makealiases: NUL byte refused with exit 100" test "$rc" = 100 -a "$(md5sum <"$D/aliases.cdb")" = "$sum"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$T/long"; { cat "$T/good"; printf 'x: '; cat "$T/long"; echo; } >"$T/bad"
"$A" -f "$T/bad" -o "$D" 2>"$T/err"; rc=$?
check "makealiases: a 2 MB line is refused" grep -q "line longer than 1 MiB" "$T/err"
same "makealiases: the old cdb survived every refusal" "$sum" "$(md5sum <"$D/aliases.cdb")"
"$A" -n -f "$T/good" -o "$T/nowhere" 2>"$T/err"
check "makealiases: -n checks without writing" test $? = 0 -a ! -e "$T/nowhere"
"$A" -f "$T/none" -o "$D" 2>"$T/err"; rc=$?
same "makealiases: a missing source exits 100" 100 "$rc"
chmod 000 "$D"
if [ "$(id -u)" != 0 ]; then
	"$A" -f "$T/good" -o "$D" 2>/dev/null; same "makealiases: unwritable directory exits 111" 111 $?
fi
chmod 755 "$D"

# --- a directory source ---------------------------------------------------------------
mkdir "$D/aliases.d"
printf 'a1: one@example.com\n' >"$D/aliases.d/10-first"
printf 'a2: two@example.com\na1: three@example.com' >"$D/aliases.d/20-second"	# no final newline
printf 'a3: editor\n' >"$D/aliases.d/20-second~"
printf 'a4: emacs\n' >"$D/aliases.d/#20-second#"
printf 'a5: vim\n' >"$D/aliases.d/.20-second.swp"
printf 'a6: dpkg\n' >"$D/aliases.d/20-second.dpkg-dist"
printf 'a7: rpm\n' >"$D/aliases.d/20-second.rpmnew"
printf '  b: continues nothing\n' >"$D/aliases.d/30-third"
"$A" -f "$D/aliases.d" -o "$D" 2>"$T/err"; rc=$?
check "makealiases: a continuation cannot reach into the previous file" grep -q "aliases.d/30-third:1: continuation line with no line before it" "$T/err"
rm "$D/aliases.d/30-third"
check_exit "makealiases: directory source exits 0" 0 "$A" -f "$D/aliases.d" -o "$D"
same "makealiases: directory files concatenated in name order, leftovers skipped" \
	"+2,34:a1->one@example.com|three@example.com|+2,16:a2->two@example.com|" \
	"$(cdb -d "$D/aliases.cdb" | tr '\0' '|' | tr -d '\n')"

# --- hosteddomains -------------------------------------------------------------------------
printf '# hosted\nExample.COM\nexample.net\nalias.example\texample.com\n' >"$D/hosteddomains"
check_exit "makehosteddomains: a good source exits 0" 0 "$H" -f "$D/hosteddomains" -o "$D"
same "makehosteddomains: records (lower case, alias value)" \
	"+11,0:example.com->+11,0:example.net->+13,11:alias.example->example.com" \
	"$(cdb -d "$D/hosteddomains.cdb" | tr -d '\n')"
cp "$D/hosteddomains" "$T/good"
bad "makehosteddomains: alias of an unlisted domain" "$H" hosteddomains.cdb "x.example	nowhere.example" "$T/bad:5: aliases a domain that is not listed as hosted"
bad "makehosteddomains: alias of an alias" "$H" hosteddomains.cdb "y.example	alias.example" "$T/bad:5: aliases a domain that is itself an alias"
bad "makehosteddomains: duplicate (any case)" "$H" hosteddomains.cdb "EXAMPLE.net" "$T/bad:5: duplicate domain (first at $T/bad:3)"
bad "makehosteddomains: bad domain" "$H" hosteddomains.cdb "exa_mple.com" "$T/bad:5: bad character in domain"

# --- esmtpacceptmailfor ----------------------------------------------------------------------
printf 'Backup.Example\nother.example\n' >"$D/esmtpacceptmailfor"
check_exit "makeacceptmailfor: a good source exits 0" 0 "$E" -f "$D/esmtpacceptmailfor" -o "$D"
same "makeacceptmailfor: records" "+14,0:backup.example->+13,0:other.example->" "$(cdb -d "$D/esmtpacceptmailfor.cdb" | tr -d '\n')"
cp "$D/esmtpacceptmailfor" "$T/good"
bad "makeacceptmailfor: wildcard refused" "$E" esmtpacceptmailfor.cdb ".wild.example" "$T/bad:3: wildcard domains are not supported"
bad "makeacceptmailfor: two fields refused" "$E" esmtpacceptmailfor.cdb "a.example b.example" "$T/bad:3: more than one field"

# --- kurier-cdb against tinycdb's cdb, both ways ------------------------------------------
python3 - "$T/in.cdbmake" <<'X'
import random, sys
random.seed(7)
out = bytearray()
for i in range(3000):
    k = bytes(random.randrange(256) for _ in range(random.randrange(0, 40)))
    d = bytes(random.randrange(256) for _ in range(random.randrange(0, 300)))
    if i % 500 == 0:
        k = b"dup"	# repeated keys stay, in order
    out += b"+%d,%d:" % (len(k), len(d)) + k + b"->" + d + b"\n"
out += b"\n"
open(sys.argv[1], "wb").write(out)
X
"$C" make "$T/ours.cdb" <"$T/in.cdbmake"; rc1=$?
cdb -c "$T/theirs.cdb" <"$T/in.cdbmake"; rc2=$?
check "kurier-cdb make: same bytes as cdb -c" test "$rc1$rc2" = 00 -a -n "$(cmp -s "$T/ours.cdb" "$T/theirs.cdb" && echo same)"
"$C" dump "$T/theirs.cdb" >"$T/ours.dump"
cdb -d "$T/theirs.cdb" >"$T/theirs.dump"
check "kurier-cdb dump: same bytes as cdb -d" cmp -s "$T/ours.dump" "$T/theirs.dump"
check "kurier-cdb dump | make: round trip to the same file" sh -c "'$C' dump '$T/ours.cdb' | '$C' make '$T/again.cdb' && cmp -s '$T/again.cdb' '$T/ours.cdb'"
check "kurier-cdb: the dump is the make input" cmp -s "$T/ours.dump" "$T/in.cdbmake"
same "kurier-cdb get: the first record of a key" "$(cdb -q -n 1 "$T/ours.cdb" dup | od -An -c)" "$("$C" get dup "$T/ours.cdb" | od -An -c)"
check_exit "kurier-cdb get: a missing key exits 1" 1 "$C" get no-such-key "$D/aliases.cdb"
# lib/cdbx copies what libcdb writes into the file a megabyte at a time:
# many copies, records longer than its staging window (1.25 MiB), and an
# empty cdb must all come out as cdb -c writes them
python3 - "$T/big.cdbmake" <<'X'
import random, sys
random.seed(11)
out = bytearray()
for i in range(40000):
    k = b"key%d" % i
    d = bytes(random.randrange(256) for _ in range(random.randrange(0, 200)))
    if i in (5000, 20000):
        d = bytes([i % 251]) * (3 * 1024 * 1024 + 17)	# past the window
    if i == 30000:
        k = bytes([7]) * 2 * 1024 * 1024		# a long key
    out += b"+%d,%d:" % (len(k), len(d)) + k + b"->" + d + b"\n"
out += b"\n"
open(sys.argv[1], "wb").write(out)
X
"$C" make "$T/bigours.cdb" <"$T/big.cdbmake"; rc1=$?
cdb -c "$T/bigtheirs.cdb" <"$T/big.cdbmake"; rc2=$?
check "kurier-cdb make: a 13 MB cdb with records of 3 MiB has the same bytes as cdb -c" \
	test "$rc1$rc2" = 00 -a "$(stat -c %s "$T/bigours.cdb")" -gt 13000000 -a -n "$(cmp -s "$T/bigours.cdb" "$T/bigtheirs.cdb" && echo same)"
check "kurier-cdb make: no temporary left behind" test ! -e "$T/bigours.cdb.tmp"
printf '\n' | "$C" make "$T/emptyours.cdb"; rc1=$?
printf '\n' | cdb -c "$T/emptytheirs.cdb"; rc2=$?
check "kurier-cdb make: an empty cdb has the same 2048 bytes as cdb -c" \
	test "$rc1$rc2" = 00 -a "$(stat -c %s "$T/emptyours.cdb")" = 2048 -a -n "$(cmp -s "$T/emptyours.cdb" "$T/emptytheirs.cdb" && echo same)"
check_exit "kurier-cdb get: a missing file exits 111" 111 "$C" get x "$T/none.cdb"
printf '+1,1:a->b\n' | "$C" make "$T/trunc.cdb" 2>"$T/err"; rc=$?
check "kurier-cdb make: input without the final empty line exits 100, writes nothing" \
	test "$rc" = 100 -a ! -e "$T/trunc.cdb" -a ! -e "$T/trunc.cdb.tmp"
printf '+5,1:a->b\n\n' | "$C" make "$T/trunc.cdb" 2>"$T/err"
check "kurier-cdb make: a short key is refused" grep -q "missing '->' after the key" "$T/err"
printf '+99999999999,1:a->b\n\n' | "$C" make "$T/trunc.cdb" 2>"$T/err"
check "kurier-cdb make: a length past 4 GiB is refused" grep -q "larger than a cdb can hold" "$T/err"
check_exit "kurier-cdb: bad usage exits 100" 100 "$C" frobnicate
head -c 3000 /dev/urandom >"$T/junk.cdb"
"$C" dump "$T/junk.cdb" >/dev/null 2>&1; rc=$?
check "kurier-cdb dump: a corrupt file fails cleanly (111), no crash" test "$rc" = 111 -o "$rc" = 0
printf '\xff\xff\xff\x7f' >"$T/short.cdb"
check_exit "kurier-cdb dump: a truncated file exits 111" 111 "$C" dump "$T/short.cdb"

# a record whose lengths wrap libcdb's walk back onto itself (8 + 2 x 0xfffffffc = 0 mod 2^32)
python3 - "$T/wrap.cdb" <<'X'
import struct, sys
size = 2048 + 64
head = b"".join(struct.pack("<II", size, 0) for _ in range(256))
body = struct.pack("<II", 0xfffffffc, 0xfffffffc) + b"\0" * 56
open(sys.argv[1], "wb").write(head + body)
X
timeout 10 "$C" dump "$T/wrap.cdb" >/dev/null 2>&1; rc=$?
same "kurier-cdb dump: lengths that wrap the walk are corrupt, not an endless loop" 111 "$rc"

# --- kurier-showctl ----------------------------------------------------------------------------
I=$T/inst
mkdir -p "$I/control" "$I/users"
echo mail.example.test >"$I/control/me"
printf 'example.test\n.wild.test\n' >"$I/control/locals"
echo 3d >"$I/control/queuelifetime"
printf 'postmaster: root\nabuse: root\n' >"$I/control/aliases"
"$A" -f "$I/control/aliases" -o "$I/control"
printf 'x.example\n' >"$I/control/hosteddomains"
"$S" -d "$I" >"$T/show"; rc=$?
same "kurier-showctl: exits 0" 0 "$rc"
check "kurier-showctl: a file's value and source" grep -qx "me: mail.example.test (control/me)" "$T/show"
check "kurier-showctl: a list" grep -qx "locals: example.test, .wild.test (control/locals)" "$T/show"
check "kurier-showctl: a duration" grep -qx "queuelifetime: 3d (control/queuelifetime)" "$T/show"
check "kurier-showctl: a default" grep -qx "doublebounceto: postmaster (default)" "$T/show"
check "kurier-showctl: a compiled-in value" grep -qx "conf-home: .* (compiled in)" "$T/show"
check "kurier-showctl: a cdb's record count" grep -qx "aliases: 2 records (control/aliases.cdb)" "$T/show"
check "kurier-showctl: an uncompiled source is flagged" grep -qx "warning: control/hosteddomains has never been compiled" "$T/show"
touch -d '2 minutes ago' "$I/control/aliases.cdb"
"$S" -d "$I" -n >"$T/shown"
check "kurier-showctl: a source newer than its cdb is flagged" grep -qx "warning: control/aliases is newer than its cdb: run makealiases" "$T/shown"
check "kurier-showctl -n: no defaults and no conf-*" sh -c "! grep -q '(default)\|(compiled in)' '$T/shown'"
same "kurier-showctl -n: every set file" 5 "$(grep -vc '^warning' "$T/shown")"
mkdir -p "$T/inst2/control"; cp "$T/wrap.cdb" "$T/inst2/control/aliases.cdb"
timeout 10 "$S" -d "$T/inst2" -n >"$T/shown2"; rc=$?
check "kurier-showctl: a corrupt cdb is reported, not walked forever" test "$rc" = 0 -a -n "$(grep -x 'aliases: unreadable or corrupt (control/aliases.cdb)' "$T/shown2")"
printf 'bad\001value\n' >"$I/control/smtpgreeting"
"$S" -d "$I" -n >"$T/shown"
check "kurier-showctl: control bytes are escaped" grep -qF 'smtpgreeting: bad\001value (control/smtpgreeting)' "$T/shown"
exit 0
