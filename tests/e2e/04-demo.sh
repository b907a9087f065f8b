#!/bin/bash
# 04-demo.sh - the whole "make run" demo on a private instance: a build
# compiled for a scratch conf-home, setup from every table, the demo
# configuration, svscan over the installed services with every env/PORT
# moved to a free port; then a message to demo@example.test through
# kurier-smtpd reaches the demo maildir and is read back with the printed
# password over POP3S and IMAP STARTTLS; stop leaves no port open.
. "$KURIER_SRC/tests/lib.sh"
S=$KURIER_SRC
if [ "$(id -u)" != 0 ]; then skip demo "needs root"; exit 0; fi
for p in svscan tcpserver swaks make; do
	command -v "$p" >/dev/null || { skip demo "no $p"; exit 0; }
done
H=$T/home B2=$T/build
# seconds to wait for the message to be delivered
DELIVERY_WAIT=30

# a build whose compiled-in conf-home is the scratch one; the outer
# make's flags (its jobserver, BUILD=...) must not leak into it
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$S" --no-print-directory -j2 \
	BUILD="$B2" CONF_HOME="$H" programs >"$T/build.log" 2>&1; then
	notok "demo: build for a scratch conf-home" "$(tail -5 "$T/build.log")"
	exit 0
fi
ok "demo: build for a scratch conf-home"

# every service's port moves to a free one: env/PORT is a c entry, so
# setup keeps a file that is already there
declare -A port
while read -r svc; do
	port[$svc]=$(free_port)
	mkdir -p "$H/service/$svc/env"
	echo "${port[$svc]}" >"$H/service/$svc/env/PORT"
done < <(cat "$S"/*/hier*.tab | sed -n 's|^c[[:space:]]\{1,\}service/\([^/]*\)/env/PORT[[:space:]].*|\1|p' | sort -u)
check "demo: some services are installed" test ${#port[@]} -gt 0

mapfile -t TABLES < <(ls "$S"/*/hier*.tab | sort)
on_exit "'$S/install/svscan.sh' stop '$H'"
check_exit "demo: setup from every table" 0 "$S/install/setup.sh" "$H" "$B2/bin" "$S" "${TABLES[@]}"
moved=0
for svc in "${!port[@]}"; do [ "$(cat "$H/service/$svc/env/PORT")" = "${port[$svc]}" ] || moved=1; done
check "demo: setup kept every moved env/PORT" test $moved = 0
"$S/install/demo.sh" "$H" "$B2/bin" >"$T/demo.out" 2>&1
pw=$(sed -n 's/^password: *//p' "$T/demo.out")
check "demo: configuration written, password printed" test -n "$pw"
check_exit "demo: svscan starts" 0 "$S/install/svscan.sh" start "$H"

for svc in "${!port[@]}"; do
	check "demo: $svc listens on its moved port" wait_port "${port[$svc]}"
done

smtp=${port[kurier-smtpd]:-} pop3s=${port[kurier-pop3s]:-} imap=${port[kurier-imapd]:-}
if [ -z "$smtp" ]; then
	skip "demo: a message through kurier-smtpd" "no kurier-smtpd service in the tables"
	exit 0
fi
out=$(swaks --server "127.0.0.1:$smtp" --helo client.test --from someone@remote.test \
	--to demo@example.test --header 'Subject: kurier demo test' --body 'hello, demo' 2>&1)
if grep -q '<- *250 ' <<<"$out"; then ok "demo: kurier-smtpd accepts mail for demo@example.test"
else notok "demo: kurier-smtpd accepts mail for demo@example.test" "$(grep '<-' <<<"$out" | tail -2)"; fi
new=$H/mail/example.test/demo/Maildir/new
for ((i = 0; i < DELIVERY_WAIT * 10; i++)); do
	[ -n "$(ls -A "$new" 2>/dev/null)" ] && break
	sleep 0.1
done
m=$(ls "$new" 2>/dev/null | head -1)
if [ -n "$m" ] && grep -q '^Subject: kurier demo test' "$new/$m"; then ok "demo: the message is delivered into the demo maildir"
else notok "demo: the message is delivered into the demo maildir" "$(tail -3 "$H"/service/kurier-send/log/main/current 2>/dev/null)"; fi
check "demo: the delivered file belongs to kurierv" test -n "$m" -a "$(stat -c %U "$new/$m" 2>/dev/null)" = kurierv

read_back() {
	python3 - "$1" "$2" "$3" "$pw" <<'PY'
import imaplib, poplib, ssl, sys
kind, port, _, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if kind == "pop3s":
    p = poplib.POP3_SSL("127.0.0.1", port, timeout=20, context=ctx)
    p.user("demo@example.test")
    p.pass_(pw)
    lines = p.retr(1)[1]
    p.quit()
    sys.exit(0 if b"Subject: kurier demo test" in lines else 1)
i = imaplib.IMAP4("127.0.0.1", port, timeout=20)
i.starttls(ctx)
i.login("demo@example.test", pw)
i.select("INBOX")
typ, data = i.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
i.logout()
sys.exit(0 if b"kurier demo test" in data[0][1] else 1)
PY
}
if [ -n "$pop3s" ]; then check "demo: POP3S with the printed password reads the message" read_back pop3s "$pop3s" x
else skip "demo: POP3S" "no kurier-pop3s service in the tables"; fi
if [ -n "$imap" ]; then check "demo: IMAP STARTTLS with the printed password reads the message" read_back imap "$imap" x
else skip "demo: IMAP" "no kurier-imapd service in the tables"; fi

check_exit "demo: stop" 0 "$S/install/svscan.sh" stop "$H"
closed=1
for svc in "${!port[@]}"; do
	(exec 3<>/dev/tcp/127.0.0.1/"${port[$svc]}") 2>/dev/null && closed=0
done
check "demo: every port is closed after stop" test $closed = 1
