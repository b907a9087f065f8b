#!/bin/bash
# 63-smtpd-services - the installed service directories kurier-smtpd,
# kurier-submission and kurier-smtps of the test instance, each run by its
# own run script (on a free port) through tcpserver and kurier-tlsd with
# the instance's certificate and real setuid kurier-queue: mail over
# STARTTLS reaches queue/todo, submission and SMTPS demand AUTH, SMTPS is
# TLS from the first byte, the log scripts use multilog as kurierl.
. "$KURIER_SRC/tests/lib.sh"

if [ "$(id -u)" != 0 ]; then skip smtpd-services "needs root (tcpserver as root, kurier-tlsd reads the key)"; exit 0; fi
for f in service/kurier-smtpd/run service/kurier-submission/run service/kurier-smtps/run \
	bin/kurier-tlsd bin/kurier-smtpd control/tlskey.pem control/tlscert.pem; do
	if [ ! -e "$TH/$f" ]; then notok smtpd-services-installed "no $TH/$f (make setup)"; exit 0; fi
done
ok smtpd-services-installed
for s in kurier-smtpd kurier-submission kurier-smtps; do
	if [ "$(cat "$TH/service/$s/log/run" | tail -1)" = 'exec setuidgid kurierl multilog t ./main' ] &&
	   [ -d "$TH/service/$s/log/main" ] && [ "$(stat -c %U "$TH/service/$s/log/main")" = kurierl ]; then
		ok "$s-log-run"
	else
		notok "$s-log-run"
	fi
done
if grep -q 'kurier-tlsd -i' "$TH/service/kurier-smtps/run" && ! grep -q '@HOME@' "$TH/service/kurier-smtpd/run"; then
	ok service-templates-filled
else
	notok service-templates-filled
fi

echo ':allow' | tcprules "$T/smtpaccess.cdb" "$T/smtpaccess.tmp"
# svc_start NAME: run the service's own run script from a copy with env/PORT changed
svc_start() {
	local name=$1 port
	port=$(free_port)
	cp -r "$TH/service/$name" "$T/$name"
	echo "$port" >"$T/$name/env/PORT"
	# the instance may have no control/smtpaccess.cdb yet (tcpserver -x
	# then drops every connection): use a private one that allows all
	if [ ! -e "$TH/control/smtpaccess.cdb" ]; then
		sed -i "s|$TH/control/smtpaccess.cdb|$T/smtpaccess.cdb|" "$T/$name/run"
	fi
	(cd "$T/$name" && exec setsid ./run) >"$T/$name.log" 2>&1 &
	on_exit "pkill -s $! ; kill $!"
	eval "PORT_${name//-/_}=$port"
	wait_port "$port"
}
svc_start kurier-smtpd || notok smtpd-service-listens
svc_start kurier-submission || notok submission-service-listens
svc_start kurier-smtps || notok smtps-service-listens

me=$(head -1 "$TH/control/me")
if [ -u "$TH/bin/kurier-queue" ] && [ -d "$TH/queue/todo" ]; then
	before=$(find "$TH/queue/todo" -type f | wc -l)
	out=$(swaks --server 127.0.0.1:$PORT_kurier_smtpd --tls --from a@remote.test --to "root@$me" \
		--header 'Subject: service test' 2>&1)
	after=$(find "$TH/queue/todo" -type f | wc -l)
	if echo "$out" | grep -q '<~ *250 2.0.0 ok' && [ "$after" -gt "$before" ]; then
		ok smtpd-service-starttls-queues
	else
		notok smtpd-service-starttls-queues "$(echo "$out" | grep -E '<[~-]|\*\*\*' | tail -3) todo $before -> $after"
	fi
	# the monitor keeps root, but runs kurier-queue as kurierd: the
	# envelope's u record is kurierd's uid
	newest=$(find "$TH/queue/todo" -type f -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2)
	u=$([ -n "$newest" ] && tr '\0' '\n' <"$newest" | sed -n 's/^u//p' | head -1)
	if [ "$u" = "$(id -u kurierd)" ]; then ok smtpd-service-queue-runs-as-kurierd
	else notok smtpd-service-queue-runs-as-kurierd "u record '$u' in $newest"; fi
else
	skip smtpd-service-starttls-queues "no setuid kurier-queue and queue in $TH"
fi
python3 - "$PORT_kurier_smtpd" "$PORT_kurier_submission" "$PORT_kurier_smtps" <<'PY' || notok python-script "exited $?"
import smtplib, ssl, sys
mx, sub, smtps = map(int, sys.argv[1:4])
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %r" % (name, why)))
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", mx, timeout=10)
s.ehlo("c")
ok("smtpd-service-offers-starttls", "starttls" in s.esmtp_features)
s.quit()
s = smtplib.SMTP("127.0.0.1", sub, timeout=10)
s.ehlo("c")
ok("submission-no-auth-before-tls", "auth" not in s.esmtp_features and "starttls" in s.esmtp_features)
ok("submission-mail-530-before-auth", s.docmd("MAIL FROM:<a@b.test>")[0] == 530)
s.starttls(context=ctx)
s.ehlo("c")
ok("submission-auth-inside-tls", "auth" in s.esmtp_features)
ok("submission-still-530-without-auth", s.docmd("MAIL FROM:<a@b.test>")[0] == 530)
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", smtps, context=ctx, timeout=10)
s.ehlo("c")
ok("smtps-service-tls-first", s.sock.version() in ("TLSv1.2", "TLSv1.3") and "auth" in s.esmtp_features and "starttls" not in s.esmtp_features)
ok("smtps-service-530", s.docmd("MAIL FROM:<a@b.test>")[0] == 530)
s.quit()
PY
if grep -q 'tcpserver: status' "$T/kurier-smtpd.log" && grep -q 'kurier-tlsd: info: tls:' "$T/kurier-smtpd.log"; then
	ok service-log-lines
else
	notok service-log-lines "$(head -5 "$T/kurier-smtpd.log")"
fi
