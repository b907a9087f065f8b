#!/bin/bash
# 55-remote-route - kurier-remote's route choice against a real DNS server
# (dnsmasq on loopback): MX order, no MX (A/AAAA), NXDOMAIN, null MX
# (RFC 7505), an MX naming an IP address (RFC 1035), backup MX, IPv6,
# MX names with shell syntax, and esmtproutes (exact, .wildcard,
# smarthost, empty relay, [literal], bad lines).
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/deliver/remote-e2e.sh"
command -v dnsmasq >/dev/null || { skip remote-route "dnsmasq is not installed"; exit 0; }

# an MX whose name holds shell syntax: pref 10, labels "a;touch T/pwn" and "test"
evil=$("$PY" -c '
import sys
name = ["a;touch%s/pwn`id`" % sys.argv[1], "test"]
w = b"\x00\x0a" + b"".join(bytes([len(l)]) + l.encode() for l in name) + b"\x00"
print(w.hex())' "$T")
r_dns --mx-host=a.test,mx1.a.test,10 --mx-host=a.test,mx2.a.test,20 \
	--host-record=mx1.a.test,127.0.0.1 --host-record=mx2.a.test,127.0.0.2 \
	--dns-rr=null.test,15,00000000 \
	--mx-host=ipmx.test,127.0.0.1,10 \
	--host-record=nomx.test,127.0.0.1 \
	--mx-host=bk.test,mx1.a.test,10 --mx-host=bk.test,me.test,20 --mx-host=bk.test,mx2.a.test,30 \
	--mx-host=best.test,me.test,10 --mx-host=best.test,mx1.a.test,20 \
	--mx-host=six.test,mx6.six.test,10 --host-record=mx6.six.test,::1 \
	--dns-rr=evil.test,15,"$evil" \
	--host-record=relay.test,127.0.0.1

r_srv s1 v6=1
P1=$R_PORT
r_ctl remoteport "$P1"
msg() { printf 'Subject: t\n\nbody\n'; }

# MX order: mx1 (10) before mx2 (20)
out=$("$TB/kurier-remote" -x a.test)
if echo "$out" | grep -q '^host mx1.a.test preference 10: 127.0.0.1$' &&
   [ "$(echo "$out" | grep '^host' | head -1 | cut -d' ' -f2)" = mx1.a.test ] &&
   echo "$out" | grep -q '^host mx2.a.test preference 20: 127.0.0.2$'; then
	ok route-mx-order
else notok route-mx-order "$out"; fi
out=$(msg | r_send a.test s@x.test u@a.test)
[ "$out" = $'rmx1.a.test [127.0.0.1]: 250 queued as X\nKmx1.a.test [127.0.0.1]: 250 queued as X' ] &&
	ok route-mx-deliver || notok route-mx-deliver "$out"

# no MX: the domain's own address (RFC 5321 5.1)
out=$("$TB/kurier-remote" -x nomx.test)
echo "$out" | grep -q 'none, so its own AAAA/A' && echo "$out" | grep -q '^host nomx.test preference 0: 127.0.0.1$' &&
	ok route-implicit-mx || notok route-implicit-mx "$out"
out=$(msg | r_send nomx.test s@x.test u@nomx.test)
[[ $out == r* ]] && ok route-implicit-mx-deliver || notok route-implicit-mx-deliver "$out"

# NXDOMAIN: bounce at once, 5.1.2
out=$(msg | r_send nx.test s@x.test u@nx.test)
[[ $out == $'h5.1.2 the domain nx.test does not exist'*$'\nD'* ]] && ok route-nxdomain || notok route-nxdomain "$out"

# null MX: bounce at once, no connection
n0=$(ls "$T/s1" | grep -c conn)
out=$(msg | r_send null.test s@x.test u@null.test)
n1=$(ls "$T/s1" | grep -c conn)
[[ $out == h5.1.10*RFC\ 7505* ]] && [ "$n0" = "$n1" ] && ok route-null-mx || notok route-null-mx "$out ($n0/$n1 connections)"
check_exit route-null-mx-x 1 "$TB/kurier-remote" -x null.test >/dev/null

# MX naming an IP address: refused with the FAQ's words, unless esmtproutes says
out=$(msg | r_send ipmx.test s@x.test u@ipmx.test)
[[ $out == h*'violate section 3.3.9 of RFC 1035'* ]] && ok route-ip-mx || notok route-ip-mx "$out"
r_ctl esmtproutes "ipmx.test: [127.0.0.1]"
out=$(msg | r_send ipmx.test s@x.test u@ipmx.test)
[[ $out == r127.0.0.1\ \[127.0.0.1\]:\ 250* ]] && ok route-ip-mx-override || notok route-ip-mx-override "$out"
rm -f "$R_CTL/esmtproutes"

# backup MX: control/me is MX 20, so only MX 10 is tried
out=$("$TB/kurier-remote" -x bk.test)
hosts=$(echo "$out" | grep '^host' | cut -d' ' -f2 | tr '\n' ' ')
[ "$hosts" = "mx1.a.test " ] && echo "$out" | grep -q 'skipped MX me.test preference 20: this host' &&
	echo "$out" | grep -q 'skipped MX mx2.a.test preference 30' && ok route-backup-mx || notok route-backup-mx "$out"
out=$(msg | r_send best.test s@x.test u@best.test)
[[ $out == h5.4.6*'mail would loop'* ]] && ok route-best-mx-is-me || notok route-best-mx-is-me "$out"

# IPv6: an MX with only an AAAA record
if "$PY" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	out=$(msg | r_send six.test s@x.test u@six.test)
	[[ $out == 'rmx6.six.test [::1]: 250'* ]] && ok route-ipv6 || notok route-ipv6 "$out"
else
	skip route-ipv6 "no IPv6 on the loopback interface here"
fi

# an MX name with shell syntax: skipped, escaped, never run
out=$("$TB/kurier-remote" -x evil.test)
if echo "$out" | grep -q 'not a host name' && ! echo "$out" | LC_ALL=C grep -q '[^[:print:]]' &&
   [ ! -e "$T/pwn" ]; then ok route-evil-mx-name; else notok route-evil-mx-name "$out"; fi
out=$(msg | r_send evil.test s@x.test u@evil.test)
[[ $out == h5.4.4\ no\ usable\ MX* ]] && [ ! -e "$T/pwn" ] && ok route-evil-mx-deliver || notok route-evil-mx-deliver "$out"

# esmtproutes: exact, wildcard, smarthost, empty relay, ports, options
r_srv s2
P2=$R_PORT
R_ADDR=127.0.0.2 r_srv s3 addr=127.0.0.2
P3=$R_PORT
cat >"$R_CTL/esmtproutes" <<ROUTES
# test routes
exact.test: relay.test,$P2
.wild.test: [127.0.0.2],$P3 /tls=none
: [127.0.0.1],$P2
a.test:
ROUTES
out=$(msg | r_send exact.test s@x.test u@exact.test)
[[ $out == 'rrelay.test [127.0.0.1]: 250'* ]] && ls "$T/s2" | grep -q msg && ok routes-exact || notok routes-exact "$out"
out=$(msg | r_send deep.sub.wild.test s@x.test u@deep.sub.wild.test)
[[ $out == 'r127.0.0.2 [127.0.0.2]: 250'* ]] && ok routes-wildcard || notok routes-wildcard "$out"
out=$("$TB/kurier-remote" -x wild.test)
echo "$out" | grep -q 'the smarthost line' && ok routes-wildcard-not-itself || notok routes-wildcard-not-itself "$out"
out=$(msg | r_send elsewhere.test s@x.test u@elsewhere.test)
[[ $out == 'r127.0.0.1 [127.0.0.1]: 250'* ]] && ok routes-smarthost || notok routes-smarthost "$out"
out=$("$TB/kurier-remote" -x a.test)
echo "$out" | grep -q 'esmtproutes line 5 (a.test:), an empty relay: MX records of a.test' &&
	echo "$out" | grep -q "^port: $P1\$" && ok routes-empty-relay-mx || notok routes-empty-relay-mx "$out"
out=$("$TB/kurier-remote" -x x.wild.test)
echo "$out" | grep -q '^tls: none$' && echo "$out" | grep -q "^port: $P3\$" && ok routes-options || notok routes-options "$out"

# a bad line makes every delivery wait, with the line number
printf 'good.test: relay.test\nbad.test relay.test\n' >"$R_CTL/esmtproutes"
out=$(msg | r_send good.test s@x.test u@good.test)
[[ $out == 'sesmtproutes line 2: space inside the domain'* ]] && ok routes-bad-line || notok routes-bad-line "$out"
printf 'd.test: [1.2.3.4.5]\n' >"$R_CTL/esmtproutes"
out=$("$TB/kurier-remote" -x d.test)
echo "$out" | grep -q 'defer: esmtproutes line 1: not an IP address' && ok routes-bad-literal || notok routes-bad-literal "$out"
rm -f "$R_CTL/esmtproutes"

# the DNS server is down: wait, never bounce
r_ctl dnsserver "127.0.0.1,$(free_port)"
out=$(msg | timeout 60 "$TB/kurier-remote" a.test s@x.test u@a.test | tr '\0' '\n')
[[ $out == s*'DNS MX lookup of a.test failed'* ]] && ok route-dns-down || notok route-dns-down "$out"
check_exit remote-usage 100 "$TB/kurier-remote" a.test 2>/dev/null
