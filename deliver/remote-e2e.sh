# deliver/remote-e2e.sh - shared setup for the remote-delivery end-to-end
# tests (tests/e2e/55-59); source it after tests/lib.sh.
#
# Gives: r_dns ARGS... (dnsmasq on loopback, authoritative for .test,
# control/dnsserver pointed at it), r_srv NAME OPTS... (the scripted
# server deliver/remote-testsrv.py on a free port; its port in
# $R_PORT, its records in $T/NAME), r_send DOMAIN SENDER RCPT... (runs
# kurier-remote, the report on stdout with NULs as newlines), r_ctl
# NAME VALUE (write a control file, restored on exit).  Every control
# file these tests touch is saved first and put back afterwards, since
# the test instance's conf-home is shared with the other tests.
PY=/usr/bin/python3
R_SRV=$KURIER_SRC/deliver/remote-testsrv.py
R_CTL=$TH/control
mkdir -p "$R_CTL" "$T/save"
for f in me dnsserver esmtproutes remoteport timeoutremote timeoutconnect remoteca.pem esmtpauth helohost concurrencyremote; do
	if [ -e "$R_CTL/$f" ]; then cp -p "$R_CTL/$f" "$T/save/$f"; fi
done
r_restore() {
	local f
	for f in me dnsserver esmtproutes remoteport timeoutremote timeoutconnect remoteca.pem esmtpauth helohost concurrencyremote; do
		rm -f "$R_CTL/$f"
		if [ -e "$T/save/$f" ]; then cp -p "$T/save/$f" "$R_CTL/$f"; fi
	done
}
on_exit r_restore
# r_ctl NAME VALUE - write control/NAME (restored on exit)
r_ctl() { printf '%s\n' "$2" >"$R_CTL/$1"; chmod 644 "$R_CTL/$1"; }
r_ctl me me.test
rm -f "$R_CTL/esmtproutes" "$R_CTL/esmtpauth" "$R_CTL/timeoutremote" "$R_CTL/remoteca.pem" "$R_CTL/helohost"

# r_dns ARGS... - start dnsmasq answering for .test from its arguments only
r_dns() {
	local port i
	for i in 1 2 3; do
		port=$(free_port)
		dnsmasq --keep-in-foreground --no-resolv --no-hosts --port="$port" \
			--listen-address=127.0.0.1 --bind-interfaces --user=root --pid-file= \
			--local=/test/ "$@" 2>"$T/dnsmasq.log" &
		R_DNSPID=$!
		on_exit "kill $R_DNSPID"
		sleep 0.3
		if kill -0 "$R_DNSPID" 2>/dev/null; then break; fi
	done
	r_ctl dnsserver "127.0.0.1,$port"
}

# r_srv NAME OPTS... - start the scripted server; port in R_PORT
r_srv() {
	local name=$1 pid; shift
	mkdir -p "$T/$name"
	R_PORT=${R_FIXPORT:-$(free_port)}
	"$PY" "$R_SRV" "$R_PORT" "$T/$name" "$@" 2>"$T/$name.err" &
	pid=$!
	on_exit "kill $pid"
	wait_port_on "${R_ADDR:-127.0.0.1}" "$R_PORT"
}
# wait_port_on ADDR PORT - like wait_port, for another loopback address
wait_port_on() {
	local i
	for i in $(seq 50); do
		(exec 3<>/dev/tcp/"$1"/"$2") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# r_send DOMAIN SENDER RCPT... - kurier-remote with the message on stdin
r_send() { "$TB/kurier-remote" "$@" | tr '\0' '\n'; }
