#!/bin/bash
# 52-local-virtual-aliases.sh - kurier-lspawn with virtual accounts from a
# userdb compiled by makeuserdb (home, mail, uid, gid and quota from the
# record; hosted alias domains; extensions) and with aliases compiled by
# makealiases: a bare local name with an address, a program and a maildir
# as targets (run as the alias user), an "@dom: localuser" catch-all going
# to localuser-x, and the loop check on an alias.
. "$KURIER_SRC"/tests/lib.sh
. "$KURIER_SRC"/deliver/local-e2e.sh
[ "$(id -u)" = 0 ] || { skip "local virtual" "needs root for useradd and kurier-lspawn"; exit 0; }
for p in makeuserdb makealiases; do
	[ -x "$TB/$p" ] || { skip "local virtual" "$p is not built in $TB"; exit 0; }
done
l_setup || { notok "local virtual: test instance" "l_setup failed"; exit 1; }
want() { case $3 in $2) ok "$1";; *) notok "$1" "$3";; esac; }
res() { if [ $# -gt 1 ]; then l_msg "$2"; else l_msg; fi; R=$(l_one s@r.example "$1"); }
V=$(id -u kurierv) G=$(id -g kurierv)
AU=$(id -un kuriera)

# --- virtual accounts -------------------------------------------------------
VH=$T/vhome/vu
mkdir -p "$VH" && chmod 755 "$T/vhome"
"$TH/bin/maildirmake" "$VH/Maildir" && "$TH/bin/maildirmake" -f Box "$VH/Maildir"
chown -R kurierv:kurier "$VH" && chmod 700 "$VH"
printf './Maildir/.Box/\n' > "$VH/.courier-box" && chown kurierv: "$VH/.courier-box"
src=$T/userdb
printf 'vu@virt.example\tuid=%s|gid=%s|home=%s|mail=%s/Maildir|quota=900S\n' $V $G "$VH" "$VH" > "$src"
chmod 600 "$src"
check "virtual: makeuserdb compiles the test userdb" "$TB/makeuserdb" -f "$src" -o "$TH/users"
# makeuserdb refuses uid 0, so add such a record behind its back
{ cdb -d "$TH/users/userdb.cdb" | sed '/^$/d'; printf '+18,22:rooty@virt.example->uid=0|gid=0|home=/root\n\n'; } > "$T/udb.in"
cdb -c "$TH/users/userdb.cdb" < "$T/udb.in"
res vu@virt.example; want "virtual: delivered" 'K*' "$R"
f=$(find "$VH/Maildir/new" -type f | head -n 1)
check "virtual: the message is in the userdb mail= maildir" test -n "$f"
check "virtual: owned by the record's uid" test "$(stat -c %u "${f:-/}")" = $V
check "virtual: Delivered-To names the address" grep -qx "Delivered-To: vu@virt.example" "${f:-/dev/null}"
check "virtual: the userdb quota is written to maildirsize" test "$(head -n 1 "$VH/Maildir/maildirsize")" = 900S
res VU@Alias.Example; want "virtual: a hosted alias domain reaches the canonical account" 'K*' "$R"
check "virtual: two messages now" test "$(l_count "$VH/Maildir/new")" = 2
res vu-box@virt.example; want "virtual: an extension uses the home's .courier-box" 'K*' "$R"
check "virtual: delivered into .Box" test "$(l_count "$VH/Maildir/.Box/new")" = 1
res nobody52@virt.example; want "virtual: an unknown virtual user bounces" 'D*' "$R"
res rooty@virt.example; want "virtual: a record with uid 0 is refused" 'D*uid 0*' "$R"
{ printf 'Subject: big\n\n'; head -c 1200 /dev/zero | tr '\0' z; echo; } > "$T/big"
res vu@virt.example "$T/big"; want "virtual: the userdb quota is enforced (Z)" 'Z*quota*' "$R"
# a record without ids (makeuserdb demands them; add one behind its back):
# kurierv with the group nofiles, never kurierv's own group kurier, which
# may read the queue
NG=$(getent group nofiles | cut -d: -f3)
VN=$T/vhome/vn
mkdir -p "$VN" && "$TH/bin/maildirmake" "$VN/Maildir" && chown -R kurierv:nofiles "$VN" && chmod 700 "$VN"
{ cdb -d "$TH/users/userdb.cdb" | sed '/^$/d'; rec="home=$VN"; printf '+15,%d:vn@virt.example->%s\n\n' ${#rec} "$rec"; } > "$T/udb.in"
cdb -c "$TH/users/userdb.cdb" < "$T/udb.in"
res vn@virt.example; want "virtual: a record without ids is delivered" 'K*' "$R"
f=$(find "$VN/Maildir/new" -type f | head -n 1)
check "virtual: ... as kurierv with the group nofiles" test "$(stat -c '%u %g' "${f:-/}")" = "$V $NG"

# --- aliases ----------------------------------------------------------------
A=kl52a
l_user $A || { notok "aliases: useradd" ""; exit 1; }
H=$L_HOME
setpriv --reuid=$A --regid=$A --clear-groups "$TH/bin/maildirmake" "$H/Maildir"
printf './Maildir/\n' > "$H/.courier-default" && chown $A: "$H/.courier-default"
AO=$T/aliasout && mkdir -p "$AO" && chown kuriera "$AO" && chmod 755 "$AO"
"$TH/bin/maildirmake" "$AO/Maildir" && chown -R kuriera "$AO/Maildir"
printf '+13,0:catch.example->\n+12,0:virt.example->\n+13,12:alias.example->virt.example\n\n' |
	cdb -c "$TH/control/hosteddomains.cdb"
printf '#!/bin/sh\necho "$RECIPIENT $USER $(id -Gn)" > %s/prog.out\n' "$AO" > "$AO/prog" && chmod 755 "$AO/prog"
cat > "$T/aliases" <<EOF
kl52alias: fwd52@remote.example, |$AO/prog, $AO/Maildir/
@catch.example: $A
EOF
check "aliases: makealiases compiles the test aliases" "$TB/makealiases" -f "$T/aliases" -o "$TH/control"
before=$(q_files "$Q/todo" | sort)
res kl52alias@local.example; want "aliases: delivered to every target" 'K*' "$R"
check "aliases: the program ran as the alias user" test "$(stat -c %U "$AO/prog.out" 2>/dev/null)" = "$AU"
check "aliases: with RECIPIENT the alias address, and only the group nofiles" \
	test "$(cat "$AO/prog.out" 2>/dev/null)" = "kl52alias@local.example $AU $(getent group nofiles | cut -d: -f1)"
f=$(find "$AO/Maildir/new" -type f | head -n 1)
check "aliases: the /path/ maildir target got it, owned by the alias user" test "$(stat -c %U "${f:-/}")" = "$AU"
new=$(comm -13 <(echo "$before") <(q_files "$Q/todo" | sort))
check "aliases: the address target was re-queued" test "$(echo "$new" | grep -c .)" = 1
[ -n "$new" ] && check "aliases: envelope to fwd52@remote.example from the original sender" \
	test "$(tr '\0' '\n' < $new | grep -E '^[FT]' | tr '\n' ' ')" = "Fs@r.example Tfwd52@remote.example "
printf 'Delivered-To: kl52alias@local.example\nSubject: loop\n\nx\n' > "$T/loop"
res kl52alias@local.example "$T/loop"; want "aliases: a message that was here already bounces (loop)" 'D*loop*' "$R"
res Someone@catch.example; want "aliases: @catch.example catch-all delivers" 'K*' "$R"
f=$(ls -t "$H/Maildir/new" | head -n 1)
check "aliases: catch-all went to $A-someone" grep -qx "Delivered-To: Someone@catch.example" "$H/Maildir/new/$f"
[ -n "${new:-}" ] && rm -f "$new" "$Q/mess/${new#"$Q"/todo/}"
