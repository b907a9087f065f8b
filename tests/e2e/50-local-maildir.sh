#!/bin/bash
# 50-local-maildir.sh - kurier-lspawn fed requests on a pipe as kurier-send
# feeds them, delivering to real system users' maildirs: the unique name
# and S= size, Delivered-To and Return-Path, Maildir++ folders, quota under
# and over (defer by default, bounce when control/overquota says so),
# domain wildcards and exceptions, control/minuid, unknown users, root
# refused, a writable home refused, a symlink planted for tmp/, the
# Delivered-To loop, and 30 concurrent requests answered once each.
. "$KURIER_SRC"/tests/lib.sh
. "$KURIER_SRC"/deliver/local-e2e.sh
[ "$(id -u)" = 0 ] || { skip "local maildir" "needs root for useradd and kurier-lspawn"; exit 0; }
l_setup || { notok "local maildir: test instance" "l_setup failed"; exit 1; }
M=$TH/bin/maildirmake
A=kl50a B=kl50b
l_user $A || { notok "local maildir: useradd" ""; exit 1; }
HA=$L_HOME
l_user $B || { notok "local maildir: useradd" ""; exit 1; }
HB=$L_HOME
setpriv --reuid=$A --regid=$A --clear-groups "$M" "$HA/Maildir"
setpriv --reuid=$B --regid=$B --clear-groups "$M" "$HB/Maildir"

# a plain delivery: K, one file in new/ owned by the user, its name and content
l_msg
r=$(l_one sender@remote.example $A@local.example)
case $r in K*) ok "maildir: delivered (K)";; *) notok "maildir: delivered (K)" "$r";; esac
f=$(find "$HA/Maildir/new" -type f | head -n 1)
check "maildir: exactly one file in new/" test "$(l_count "$HA/Maildir/new")" = 1
check "maildir: tmp/ left empty" test "$(l_count "$HA/Maildir/tmp")" = 0
check "maildir: file owned by the user" test "$(stat -c %U "$f")" = $A
check "maildir: file not readable by others" test "$(stat -c %a "$f")" = 600
n=$(basename "$f")
if [[ $n =~ ^[0-9]+\.M[0-9]+P[0-9]+V[0-9A-F]{16}I[0-9A-F]{16}\..+,S=([0-9]+)$ ]] &&
   [ "${BASH_REMATCH[1]}" = "$(stat -c %s "$f")" ]; then ok "maildir: Courier unique name with the right S= size"
else notok "maildir: Courier unique name with the right S= size" "$n"; fi
check "maildir: Return-Path first" test "$(head -n 1 "$f")" = "Return-Path: <sender@remote.example>"
check "maildir: Delivered-To second" test "$(sed -n 2p "$f")" = "Delivered-To: $A@local.example"
check "maildir: the message follows unchanged" cmp <(tail -n +3 "$f") "$Q/$L_MSG"
check "maildir: the user cannot read the queued message itself (opened before the drop)" \
	test "$(stat -c %U:%a "$Q/$L_MSG")" = kurierq:640

# the null sender
l_msg
r=$(l_one "" $A@local.example)
f=$(ls -t "$HA/Maildir/new" | head -n 1)
check "maildir: null sender gives Return-Path: <>" test "$(head -n 1 "$HA/Maildir/new/$f")" = "Return-Path: <>"

# domains: wildcard, exception, foreign; unknown user
r=$(l_one s@r.example $A@sub.wild.example)
case $r in K*) ok "locals: .wild.example covers sub.wild.example";; *) notok "locals: .wild.example covers sub.wild.example" "$r";; esac
r=$(l_one s@r.example $A@not.wild.example)
case $r in D*) ok "locals: !not.wild.example is an exception (D)";; *) notok "locals: !not.wild.example is an exception (D)" "$r";; esac
r=$(l_one s@r.example nosuchuser50@local.example)
case $r in D*"no such user"*) ok "unknown user: D no such user";; *) notok "unknown user: D no such user" "$r";; esac
r=$(l_one s@r.example root@local.example)
case $r in D*root*) ok "root: never a delivery target (D)";; *) notok "root: never a delivery target (D)" "$r";; esac
echo 100000 > "$TH/control/minuid"
r=$(l_one s@r.example $A@local.example)
case $r in D*minuid*) ok "minuid: an account below control/minuid is refused";; *) notok "minuid: an account below control/minuid is refused" "$r";; esac
rm -f "$TH/control/minuid"

# a folder through .courier-work
setpriv --reuid=$A --regid=$A --clear-groups "$M" -f Work "$HA/Maildir"
check "maildirmake -f: maildirfolder exists" test -f "$HA/Maildir/.Work/maildirfolder"
echo './Maildir/.Work/' > "$HA/.courier-work"; chown $A: "$HA/.courier-work"
l_msg
r=$(l_one s@r.example $A-work@local.example)
case $r in K*) ok "folder: delivered through .courier-work";; *) notok "folder: delivered through .courier-work" "$r";; esac
check "folder: the message is in .Work/new" test "$(l_count "$HA/Maildir/.Work/new")" = 1

# quota: maildirsize with 600 bytes; under, then over (Z), then bounce policy (D)
setpriv --reuid=$B --regid=$B --clear-groups "$M" -q 600S "$HB/Maildir"
check "quota: maildirmake -q writes the quota line" test "$(head -n 1 "$HB/Maildir/maildirsize")" = 600S
l_msg
r=$(l_one s@r.example $B@local.example)
case $r in K*) ok "quota: under the quota delivers";; *) notok "quota: under the quota delivers" "$r";; esac
sz=$(stat -c %s "$HB/Maildir/new/"*)
check "quota: maildirsize gets the delivery's size and count" grep -qx "$sz 1" "$HB/Maildir/maildirsize"
{ printf 'Subject: big\n\n'; head -c 700 /dev/zero | tr '\0' x; echo; } > "$T/big"
l_msg "$T/big"
r=$(l_one s@r.example $B@local.example)
case $r in Z*quota*) ok "quota: over quota is a temporary failure (Z)";; *) notok "quota: over quota is a temporary failure (Z)" "$r";; esac
check "quota: nothing added when over" test "$(l_count "$HB/Maildir/new")" = 1
echo bounce > "$TH/control/overquota"
r=$(l_one s@r.example $B@local.example)
case $r in D*quota*) ok "quota: control/overquota bounce makes it D";; *) notok "quota: control/overquota bounce makes it D" "$r";; esac
rm -f "$TH/control/overquota"
# a stale or wrong maildirsize is rebuilt: claim a huge usage in a long file
{ echo 600S; for i in $(seq 1400); do echo "1 0"; done; } > "$HB/Maildir/maildirsize"; chown $B: "$HB/Maildir/maildirsize"
l_msg
r=$(l_one s@r.example $B@local.example)
case $r in K*) ok "quota: a maildirsize over 5120 bytes is recounted";; *) notok "quota: a maildirsize over 5120 bytes is recounted" "$r";; esac
check "quota: the rebuilt file is short again" test "$(stat -c %s "$HB/Maildir/maildirsize")" -lt 100

# a home the group may write: Z, nothing delivered
chmod 770 "$HA"
n0=$(l_count "$HA/Maildir/new")
l_msg
r=$(l_one s@r.example $A@local.example)
case $r in Z*writable*) ok "home: group-writable home refused (Z)";; *) notok "home: group-writable home refused (Z)" "$r";; esac
check "home: nothing delivered into it" test "$(l_count "$HA/Maildir/new")" = "$n0"
chmod 700 "$HA"

# tmp/ replaced by a symlink to somewhere else: Z, nothing written there
mkdir -p "$T/victim" && chown $A: "$T/victim"
mv "$HA/Maildir/tmp" "$HA/Maildir/tmp.real"
ln -s "$T/victim" "$HA/Maildir/tmp"
l_msg
r=$(l_one s@r.example $A@local.example)
case $r in Z*) ok "symlink: tmp/ as a symlink is refused (Z)";; *) notok "symlink: tmp/ as a symlink is refused (Z)" "$r";; esac
check "symlink: nothing written through it" test "$(l_count "$T/victim")" = 0
rm "$HA/Maildir/tmp"; mv "$HA/Maildir/tmp.real" "$HA/Maildir/tmp"

# Delivered-To loop
printf 'Delivered-To: %s@Local.Example\nSubject: loop\n\nx\n' $A > "$T/loop"
l_msg "$T/loop"
n0=$(l_count "$HA/Maildir/new")
r=$(l_one s@r.example $A@local.example)
case $r in D*loop*) ok "loop: our Delivered-To already there (D)";; *) notok "loop: our Delivered-To already there (D)" "$r";; esac
check "loop: nothing delivered" test "$(l_count "$HA/Maildir/new")" = "$n0"

# 30 requests written at once, two users: every slot answered once, all K
rm -f "$HB/Maildir/maildirsize"
l_msg
nA=$(l_count "$HA/Maildir/new") nB=$(l_count "$HB/Maildir/new")
out=$( { for i in $(seq 1 30); do
	if [ $((i % 2)) = 0 ]; then l_req $i "$L_MSG" s@r.example $A@local.example
	else l_req $i "$L_MSG" s@r.example $B@local.example; fi
done; } | l_spawn)
slots=$(printf '%s\n' "$out" | awk 'BEGIN{RS=""} {print $1}' | sort -n | tr '\n' ' ')
check "concurrency: 30 replies, each slot once" test "$slots" = "$(seq 1 30 | tr '\n' ' ')"
check "concurrency: all K" test "$(printf '%s\n' "$out" | grep -c '^K')" = 30
check "concurrency: 15 messages each" test "$(( $(l_count "$HA/Maildir/new") - nA )):$(( $(l_count "$HB/Maildir/new") - nB ))" = 15:15

# a malformed request from kurier-send is fatal (111), never guessed at
printf '1\0mess/0/x\0s@r\0' | timeout 10 "$TH/bin/kurier-lspawn" >/dev/null 2>&1; rc=$?
check "contract: EOF inside a request (alone) exits 111" test $rc = 111
r=$(l_req 7 ../../etc/shadow s@r.example $A@local.example | l_spawn | sed -n 2p)
case $r in Z*path*) ok "contract: a message path with .. is refused";; *) notok "contract: a message path with .. is refused" "$r";; esac
printf '\0x\0' | timeout 10 "$TH/bin/kurier-lspawn" >/dev/null 2>&1; rc=$?
check "contract: an empty slot exits 111" test $rc = 111

# a full file system under the maildir (SECURITY 44): Z, nothing in new/ or tmp/
mkdir -p "$T/full"
if mount -t tmpfs -o size=128k,mode=0755 tmpfs "$T/full" 2>/dev/null; then
	on_exit "umount -l '$T/full'"
	setpriv --reuid=$A --regid=$A --clear-groups "$M" "$T/full/Maildir" 2>/dev/null ||
		{ mkdir -p "$T/full/Maildir"; "$M" "$T/full/Maildir"; chown -R $A: "$T/full/Maildir"; }
	echo "$T/full/Maildir/" > "$HA/.courier-full"; chown $A: "$HA/.courier-full"
	dd if=/dev/zero of="$T/full/filler" bs=1k count=112 2>/dev/null
	{ printf 'Subject: large\n\n'; head -c 40000 /dev/zero | tr '\0' f; echo; } > "$T/large"
	l_msg "$T/large"
	r=$(l_one s@r.example $A-full@local.example)
	case $r in Z*) ok "full disk: a maildir write that runs out of space is Z";; *) notok "full disk: a maildir write that runs out of space is Z" "$r";; esac
	check "full disk: nothing in new/" test "$(l_count "$T/full/Maildir/new")" = 0
	check "full disk: nothing left in tmp/" test "$(l_count "$T/full/Maildir/tmp")" = 0
	rm -f "$T/full/filler"
	r=$(l_one s@r.example $A-full@local.example)
	case $r in K*) ok "full disk: delivered once there is room";; *) notok "full disk: delivered once there is room" "$r";; esac
	check "full disk: the whole message is there" test "$(tail -n +3 "$T/full/Maildir/new/"* | cmp - "$Q/$L_MSG" && echo same)" = same
else
	skip "full disk" "cannot mount a tmpfs here"
fi

# --- a broken request from kurier-send: exit 111, lose nothing ---------------
# the delivery already under way still reports; nothing is delivered twice
n0=$(l_count "$HA/Maildir/new")
l_msg
out=$({ l_req 41 "$L_MSG" s@r.example $A@local.example; printf 'x1\0%s\0s@r.example\0%s\0\0' "$L_MSG" $A@local.example; } |
	timeout 60 "$TH/bin/kurier-lspawn" 2>"$T/lspawn.err" | tr '\0' '\n'; echo "rc=${PIPESTATUS[1]}")
check "contract: a non-decimal slot after a good request exits 111" grep -qx 'rc=111' <<<"$out"
check "contract: the good request before it is still answered" test "$(sed -n 1,2p <<<"$out" | tr '\n' ' ' | cut -c1-4)" = "41 K"
check "contract: the broken request is not delivered" test "$(l_count "$HA/Maildir/new")" = $((n0 + 1))
check "contract: the reason is logged" grep -q "malformed slot" "$T/lspawn.err"
# a request cut short by EOF after a complete one
l_msg
out=$({ l_req 42 "$L_MSG" s@r.example $A@local.example; printf '43\0%s\0s@r' "$L_MSG"; } |
	timeout 60 "$TH/bin/kurier-lspawn" 2>/dev/null | tr '\0' '\n'; echo "rc=${PIPESTATUS[1]}")
check "contract: EOF inside a request exits 111" grep -qx 'rc=111' <<<"$out"
check "contract: the complete request before it is answered" test "$(sed -n 1,2p <<<"$out" | tr '\n' ' ' | cut -c1-4)" = "42 K"
check "contract: the cut request is not delivered" test "$(l_count "$HA/Maildir/new")" = $((n0 + 2))

# --- postmaster (RFC 5321 4.5.1: always deliverable) ------------------------
# nothing configured: the maildir conf-home/postmaster/ (kuriera, as hier-local.tab makes it)
l_save postmaster
rm -f "$TH/control/postmaster"
PM=$TH/postmaster
if [ ! -d "$PM/new" ]; then
	mkdir -p "$PM/tmp" "$PM/new" "$PM/cur"; chown -R kuriera:nofiles "$PM"; chmod -R 0700 "$PM"
	on_exit "rm -rf '$PM'"
fi
p0=$(l_count "$PM/new")
l_msg
r=$(l_one s@r.example postmaster@local.example)
case $r in K*) ok "postmaster: without alias or control/postmaster it is delivered";; *) notok "postmaster: without alias or control/postmaster it is delivered" "$r";; esac
check "postmaster: into conf-home/postmaster/new" test "$(l_count "$PM/new")" = $((p0 + 1))
check "postmaster: the file belongs to kuriera" test "$(stat -c %U "$(ls -t "$PM/new/"* | head -n 1)")" = kuriera
r=$(l_one s@r.example PostMaster@virt.example)
case $r in K*) ok "postmaster: at a hosted domain too, any case";; *) notok "postmaster: at a hosted domain too, any case" "$r";; esac
r=$(l_one s@r.example postmaster)
case $r in K*) ok "postmaster: the bare name (<postmaster>)";; *) notok "postmaster: the bare name (<postmaster>)" "$r";; esac
# control/postmaster names the target, and wins over the default
mkdir -p "$T/pmbox"; "$M" "$T/pmbox/Maildir"; chown -R kuriera:nofiles "$T/pmbox"; chmod 0755 "$T"
printf '# where postmaster mail goes\n%s\n' "$T/pmbox/Maildir/" > "$TH/control/postmaster"
p0=$(l_count "$PM/new")
r=$(l_one s@r.example postmaster@local.example)
case $r in K*) ok "postmaster: control/postmaster's target";; *) notok "postmaster: control/postmaster's target" "$r";; esac
check "postmaster: the message is in control/postmaster's maildir" test "$(l_count "$T/pmbox/Maildir/new")" = 1
check "postmaster: and not in the default" test "$(l_count "$PM/new")" = $p0
