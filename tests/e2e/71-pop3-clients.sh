#!/bin/bash
# 71-pop3-clients - real POP3 clients from Debian against kurier-pop3-login
# and kurier-pop3d through tcpserver on 127.0.0.1: fetchmail with
# "protocol POP3 auth cram-md5" (the setup of the Courier FAQ), getmail6
# with USER/PASS, mpop with CRAM-MD5 and UIDL-based keeping.  Each fetches
# mail delivered into the maildir and the test compares the bytes.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/pop3d/e2e-common.sh"

if [ ! -x "$LOGIN" ] || [ ! -x "$POP3D" ]; then notok pop3-built "no $LOGIN or $POP3D"; exit 0; fi
pop3_start plain AUTH_PLAINTEXT_OK=1 || notok plain-listens
pop3_start strict || notok strict-listens

# mail with a dotted line and bare LF line ends, three messages per round
mkmail() {
	local tag=$1 i
	for i in 1 2 3; do
		printf 'From: sender@example.org\nTo: test@pop3.example\nSubject: %s %s\nMessage-ID: <%s.%s@example.org>\n\nbody of %s %s\n.a dotted line\n..two dots\nend\n' \
			"$tag" "$i" "$tag" "$i" "$tag" "$i" | deliver >/dev/null
	done
}
# body_ok FILE TAG I - the fetched message holds the body we delivered
body_ok() {
	tr -d '\r' <"$1" | grep -q "^Subject: $2 $3\$" &&
	tr -d '\r' <"$1" | grep -qx '.a dotted line' &&
	tr -d '\r' <"$1" | grep -qx '..two dots' &&
	tr -d '\r' <"$1" | grep -qx "body of $2 $3"
}
left() { ls "$MD/cur" "$MD/new" | grep -c '^[0-9]'; }

# fetchmail, auth cram-md5, deleting what it fetched
if command -v fetchmail >/dev/null; then
	mkmail fetchmail
	mkdir -p "$T/fm"
	cat >"$T/fetchmailrc" <<EOF2
set no syslog
poll 127.0.0.1 port $PORT_strict protocol POP3 auth cram-md5 timeout 20
  user "test" password "secret" is root here
  mda "/bin/sh -c 'cat > $T/fm/\$\$.msg'"
  sslproto '' no sslcertck
EOF2
	chmod 600 "$T/fetchmailrc"
	HOME=$T FETCHMAILHOME=$T timeout 60 fetchmail -f "$T/fetchmailrc" --nodetach -v >"$T/fetchmail.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then ok fetchmail-cram-md5; else notok fetchmail-cram-md5 "exit $rc: $(tail -5 "$T/fetchmail.log")"; fi
	n=0; good=0
	for f in "$T"/fm/*.msg; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		for i in 1 2 3; do body_ok "$f" fetchmail $i && good=$((good + 1)); done
	done
	if [ "$n" = 3 ] && [ "$good" = 3 ]; then ok fetchmail-got-all; else notok fetchmail-got-all "$n messages, $good right"; fi
	if grep -q 'AUTH CRAM-MD5' "$T/fetchmail.log"; then ok fetchmail-used-cram; else notok fetchmail-used-cram; fi
	if [ "$(left)" = 0 ]; then ok fetchmail-deleted-at-quit; else notok fetchmail-deleted-at-quit "$(left) left"; fi
else
	skip fetchmail "fetchmail is not installed"
fi

# getmail6, USER/PASS (plaintext allowed on this instance), keeping mail
if command -v getmail >/dev/null; then
	mkmail getmail
	mkdir -p "$T/gm/new" "$T/gm/cur" "$T/gm/tmp" "$T/gmdir"
	cat >"$T/getmailrc" <<EOF2
[retriever]
type = SimplePOP3Retriever
server = 127.0.0.1
port = $PORT_plain
username = test
password = secret

[destination]
type = Maildir
path = $T/gm/

[options]
delete = false
read_all = false
verbose = 1
EOF2
	# getmail will not deliver as root
	chown -R nobody "$T/gm" "$T/gmdir" "$T/getmailrc"
	getmail_run() {
		HOME=$T timeout 60 setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
			getmail --rcfile "$T/getmailrc" --getmaildir "$T/gmdir"
	}
	getmail_run >"$T/getmail.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then ok getmail-user-pass; else notok getmail-user-pass "exit $rc: $(tail -5 "$T/getmail.log")"; fi
	good=0
	for i in 1 2 3; do for f in "$T"/gm/new/[0-9]*; do body_ok "$f" getmail $i && good=$((good + 1)); done; done
	if [ "$good" = 3 ]; then ok getmail-got-all; else notok getmail-got-all "$good of 3"; fi
	# a second run: UIDLs unchanged (new/ -> cur/ happened), so nothing new
	getmail_run >"$T/getmail2.log" 2>&1
	if [ "$(ls "$T/gm/new" | wc -l)" = 3 ] && grep -q '0 messages' "$T/getmail2.log"; then
		ok getmail-uidl-stable
	else
		notok getmail-uidl-stable "$(ls "$T/gm/new" | wc -l) fetched; $(tail -3 "$T/getmail2.log")"
	fi
	if [ "$(left)" = 3 ]; then ok getmail-kept; else notok getmail-kept "$(left) left"; fi
else
	skip getmail "getmail6 is not installed"
fi

# mpop, CRAM-MD5, keeping mail, remembering UIDLs
if command -v mpop >/dev/null; then
	mkdir -p "$T/mp/new" "$T/mp/cur" "$T/mp/tmp"
	mpop_run() {
		HOME=$T timeout 60 mpop --host=127.0.0.1 --port="$PORT_strict" --auth=cram-md5 --user=test \
			--passwordeval='echo secret' --tls=off --keep=on --only-new=on \
			--delivery=maildir,"$T/mp" --uidls-file="$T/mpop-uidls" --timeout=20 "$@"
	}
	mpop_run >"$T/mpop.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then ok mpop-cram-md5; else notok mpop-cram-md5 "exit $rc: $(tail -5 "$T/mpop.log")"; fi
	good=0
	for i in 1 2 3; do for f in "$T"/mp/new/[0-9]*; do body_ok "$f" getmail $i && good=$((good + 1)); done; done
	if [ "$good" = 3 ]; then ok mpop-got-all; else notok mpop-got-all "$good of 3"; fi
	mkmail mpop
	mpop_run >"$T/mpop2.log" 2>&1
	n=$(ls "$T/mp/new" | wc -l)
	good=0
	for i in 1 2 3; do for f in "$T"/mp/new/[0-9]*; do body_ok "$f" mpop $i && good=$((good + 1)); done; done
	if [ "$n" = 6 ] && [ "$good" = 3 ]; then ok mpop-only-new-by-uidl; else notok mpop-only-new-by-uidl "$n fetched, $good new right; $(tail -3 "$T/mpop2.log")"; fi
else
	skip mpop "mpop is not installed"
fi
