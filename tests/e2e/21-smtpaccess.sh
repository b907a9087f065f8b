#!/bin/bash
# 21-smtpaccess.sh - makesmtpaccess's cdb read by the real tcpserver -x.
# tcpserver (ucspi-tcp) listens on 127.0.0.1 and on ::1 with -x our cdb
# and runs a tiny program that prints its environment; clients connect
# from several loopback source addresses (127.0.0.1, 127.0.0.2, 127.1.0.1)
# and the rules are rebuilt between connections (tcpserver reads the cdb
# on every connection), so each check shows which entry applied: the exact
# address, the 127.0.0 block, the 127 block, or '*'; allow, deny,
# RELAYCLIENT and other variables; likewise ::1, the :: prefix and '*'
# for IPv6.  Also: the cdb equals, record for record, what tcprules
# builds from the same rules, and a bad line keeps the old cdb.
. "$KURIER_SRC/tests/lib.sh"
M=$KB/makesmtpaccess
command -v tcpserver >/dev/null || { skip "smtpaccess: tcpserver" "ucspi-tcp-ipv6 not installed"; exit 0; }
command -v tcprules >/dev/null || { skip "smtpaccess: tcprules" "ucspi-tcp-ipv6 not installed"; exit 0; }
D=$T/control
mkdir -p "$D"
cat >"$T/showenv" <<'X'
#!/bin/sh
echo "ip=$TCPREMOTEIP proto=$PROTO who=${WHO-unset} relay=${RELAYCLIENT-unset} block=${BLOCK-unset}"
X
chmod 755 "$T/showenv"

# port FAMILY - a free TCP port on the loopback address of FAMILY (4 or 6)
port() {
	python3 -c 'import socket,sys
f = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.socket(f); s.bind(("::1" if f == socket.AF_INET6 else "127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
# ask HOST PORT [SOURCE] - connect (from SOURCE), print what the server says, or DENIED
ask() {
	python3 - "$@" <<'X'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam)
s.settimeout(5)
if len(sys.argv) > 3:
    s.bind((sys.argv[3], 0))
s.connect((host, port))
data = b""
while True:
    try:
        b = s.recv(4096)
    except ConnectionResetError:
        break
    if not b:
        break
    data += b
print(data.decode().strip() or "DENIED")
X
}
# rules TEXT - write control/smtpaccess and compile it
rules() { printf '%s\n' "$@" >"$D/smtpaccess"; "$M" -f "$D/smtpaccess" -o "$D"; }
# expect NAME HOST PORT SOURCE WANT - the server's answer contains WANT
expect() {
	local got
	got=$(ask "$2" "$3" ${4:+"$4"} 2>&1)
	case "$got" in *"$5"*) ok "$1" ;; *) notok "$1" "got '$got', wanted '$5'" ;; esac
}

# --- IPv4 ---------------------------------------------------------------------
P4=$(port 4)
rules "127.0.0.1	allow,RELAYCLIENT,WHO=exact" "127.0.0	allow,WHO=\"c net\",RELAYCLIENT=\"@relay.example\"" \
	"127	allow,WHO=a-net" "*	deny" || notok "smtpaccess: rules compile" "exit $?"
tcpserver -H -R -l0 -x "$D/smtpaccess.cdb" 127.0.0.1 "$P4" "$T/showenv" 2>"$T/tcpserver4.log" &
on_exit "kill $!"
if ! wait_port "$P4"; then notok "smtpaccess: tcpserver on 127.0.0.1 starts" "$(cat "$T/tcpserver4.log")"; exit 1; fi
expect "smtpaccess: 127.0.0.1 gets its exact entry with an empty RELAYCLIENT" 127.0.0.1 "$P4" 127.0.0.1 \
	"ip=127.0.0.1 proto=TCP who=exact relay= block=unset"
expect "smtpaccess: 127.0.0.2 gets the 127.0.0 entry (quoted value, RELAYCLIENT value)" 127.0.0.1 "$P4" 127.0.0.2 \
	"ip=127.0.0.2 proto=TCP who=c net relay=@relay.example"
expect "smtpaccess: 127.1.0.1 gets the 127 entry, no RELAYCLIENT" 127.0.0.1 "$P4" 127.1.0.1 \
	"ip=127.1.0.1 proto=TCP who=a-net relay=unset"
rules "127.0.0.1	deny" "127	allow,WHO=a-net" "*	deny"
expect "smtpaccess: an exact deny wins over an allowing block" 127.0.0.1 "$P4" 127.0.0.1 DENIED
expect "smtpaccess: the block still allows its other addresses" 127.0.0.1 "$P4" 127.0.0.2 "who=a-net"
rules "10	allow,WHO=ten" "*	deny"
expect "smtpaccess: '*' denies what no entry names" 127.0.0.1 "$P4" 127.0.0.1 DENIED
rules "10	deny" "*	allow,WHO=default,BLOCK=\"550 no mail from you\""
expect "smtpaccess: '*' allow applies, with BLOCK text" 127.0.0.1 "$P4" 127.0.0.1 \
	"who=default relay=unset block=550 no mail from you"
rules "127.0.0.	allow,WHO=trailing-dot" "127.0.0.1.5	allow" 2>"$T/err"
check "smtpaccess: a bad netblock exits 100 naming file:line" grep -q "smtpaccess:2: bad IPv4 netblock" "$T/err"
expect "smtpaccess: the refused source left the old cdb in force" 127.0.0.1 "$P4" 127.0.0.1 "who=default"

# --- IPv6 ---------------------------------------------------------------------
if ! python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	skip "smtpaccess: IPv6 through tcpserver" "no ::1 on this machine"
else
	P6=$(port 6)
	rules "::1	allow,WHO=v6-exact,RELAYCLIENT" "::	allow,WHO=v6-prefix" "127	allow,WHO=v4" "*	deny"
	tcpserver -H -R -l0 -x "$D/smtpaccess.cdb" ::1 "$P6" "$T/showenv" 2>"$T/tcpserver6.log" &
	on_exit "kill $!"
	for i in $(seq 50); do ask ::1 "$P6" >/dev/null 2>&1 && break; sleep 0.1; done
	expect "smtpaccess: ::1 gets its exact entry" ::1 "$P6" "" "ip=::1 proto=TCP6 who=v6-exact relay="
	rules "::	allow,WHO=v6-prefix" "*	deny"
	expect "smtpaccess: ::1 falls back to the :: prefix" ::1 "$P6" "" "who=v6-prefix relay=unset"
	rules "0:0:0:0:0:0:0:1	deny" "::	allow,WHO=v6-prefix" "*	allow"
	expect "smtpaccess: ::1 written in full is the same key, and its deny wins" ::1 "$P6" "" DENIED
	rules "2001:db8	allow,WHO=doc" "*	deny"
	expect "smtpaccess: an unrelated IPv6 prefix leaves ::1 to '*' (deny)" ::1 "$P6" "" DENIED
	rules "2001:db8	allow,WHO=doc" "*	allow,WHO=v6-default"
	expect "smtpaccess: '*' allow for IPv6" ::1 "$P6" "" "who=v6-default"
fi

# --- the same records as tcprules -------------------------------------------------
cat >"$D/smtpaccess" <<'X'
# Courier syntax
10.1.2.3	allow,RELAYCLIENT
10.1.2	allow,RELAYCLIENT="",A=1
192.168	deny
2001:DB8::1	allow,X="two words"
2001:0db8	deny
*	allow,BLOCK="451 later"
X
cat >"$T/tcprules.txt" <<'X'
10.1.2.3:allow,RELAYCLIENT=""
10.1.2.:allow,RELAYCLIENT="",A="1"
192.168.:deny
2001:db8::1:allow,X="two words"
2001:db8::deny
:allow,BLOCK="451 later"
X
"$M" -f "$D/smtpaccess" -o "$D"
tcprules "$T/tr.cdb" "$T/tr.tmp" <"$T/tcprules.txt"
cdb -d "$D/smtpaccess.cdb" >"$T/ours.dump"; cdb -d "$T/tr.cdb" >"$T/theirs.dump"
if cmp -s "$T/ours.dump" "$T/theirs.dump"; then ok "smtpaccess: records equal tcprules' for the same rules"
else notok "smtpaccess: records equal tcprules' for the same rules" "$(diff "$T/ours.dump" "$T/theirs.dump" | tr '\0' '@' | head)"; fi

# --- a directory source -------------------------------------------------------------
mkdir -p "$D/sa.d"
printf '10.0.0.1\tallow,WHO=one\n' >"$D/sa.d/10-one"
printf '10.0.0.2\tallow,WHO=two\n' >"$D/sa.d/20-two"
printf '10.0.0.3\tallow,WHO=editor\n' >"$D/sa.d/20-two~"
printf '10.0.0.4\tallow,WHO=dpkg\n' >"$D/sa.d/20-two.dpkg-old"
printf 'junk line\n' >"$D/sa.d/.20-two.swp"
"$M" -f "$D/sa.d" -o "$D"
check "smtpaccess: a directory source is the concatenation of its files, leftovers skipped" \
	test "$(cdb -d "$D/smtpaccess.cdb" | tr -d '\0')" = "$(printf '+8,9:10.0.0.1->+WHO=one\n+8,9:10.0.0.2->+WHO=two\n\n')"
exit 0
