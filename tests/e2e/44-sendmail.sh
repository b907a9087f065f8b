#!/bin/bash
# 44-sendmail.sh - sendmail and kurier-inject: the flags cron, PHP, mutt
# (and the queue tools kurier-qstat, kurier-qread = sendmail -bp, kurier-qmsg)
# and scripts use; -t with Bcc removed; the Date:, Message-ID: and From:
# headers added when missing; CRLF stored as LF; the lone-dot rule and
# -i; legacy flags ignored; exit codes; a KURIERQUEUE filter is run.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
q_instance || { notok "queue test instance" "setup failed"; exit 1; }
q_empty
echo host.example.org >"$TH/control/defaulthost"
echo example.org >"$TH/control/defaultdomain"
on_exit "rm -f '$TH/control/defaulthost' '$TH/control/defaultdomain'"
SM=$TB/sendmail
INJ=$TB/kurier-inject
export USER=alice LOGNAME=alice
unset NAME MAILNAME QMAILNAME KURIERQUEUE

# mess / envelope of the one queued message, then empty the queue
msg() { cat "$(q_files "$Q/mess")"; }
envl() { tr '\0' '\n' <"$(q_files "$Q/todo")" | sed -n '4,$p'; }

# --- sendmail -t -i: recipients from the header, Bcc removed --------------
printf 'To: Ann <ann@a.example>, bob@b.example\nCc: "Doe, C" <carl@c.example> (carl)\nBcc: secret@d.example\nSubject: t\n\nline one\n.\nline three\n' |
	"$SM" -t -i
check_exit "sendmail: -t -i exits 0" 0 true
[ "$(envl)" = "$(printf 'Falice@example.org\nTann@a.example\nTbob@b.example\nTcarl@c.example\nTsecret@d.example')" ] &&
	ok "sendmail: -t takes To, Cc and Bcc; sender user@defaultdomain" || notok "sendmail: -t envelope" "$(envl)"
m=$(msg)
echo "$m" | grep -qi '^bcc:' && notok "sendmail: Bcc removed" "$m" || ok "sendmail: Bcc removed"
echo "$m" | grep -q '^secret@d.example' && notok "sendmail: Bcc address not in the message" "$m" || ok "sendmail: Bcc address not in the message"
echo "$m" | grep -Eq '^Date: [A-Z][a-z]{2}, [0-9]+ [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \+0000$' && ok "sendmail: Date: added" || notok "sendmail: Date" "$m"
echo "$m" | grep -Eq '^Message-ID: <[0-9]+\.[0-9]+\.[0-9a-f]{16}@host\.example\.org>$' && ok "sendmail: Message-ID: with defaulthost" ||
	notok "sendmail: Message-ID" "$m"
echo "$m" | grep -q '^From: alice@example.org$' && ok "sendmail: From: user@defaultdomain" || notok "sendmail: From" "$m"
echo "$m" | grep -q '^\.$' && echo "$m" | grep -q '^line three$' && ok "sendmail: -i keeps a lone dot line" || notok "sendmail: -i" "$m"
q_empty

# two messages must not share a Message-ID
printf 'Subject: a\n\nx\n' | "$SM" r@x.example
id1=$(msg | grep '^Message-ID:'); q_empty
printf 'Subject: a\n\nx\n' | "$SM" r@x.example
id2=$(msg | grep '^Message-ID:'); q_empty
[ -n "$id1" ] && [ "$id1" != "$id2" ] && ok "sendmail: Message-IDs are unique" || notok "sendmail: unique ids" "$id1 / $id2"

# --- the lone dot ends the message without -i; CRLF becomes LF --------------
printf 'Subject: dot\r\n\r\nkeep\r\n..x\r\n.\r\nlost\r\n' | "$SM" -f '<>' r@x.example
rc=$?
[ "$rc" = 0 ] && ok "sendmail: without -i exits 0" || notok "sendmail: without -i" "exit $rc"
m=$(msg)
echo "$m" | grep -q '^keep$' && ! echo "$m" | grep -q lost && ok "sendmail: a lone dot ends the message" || notok "sendmail: dot" "$m"
echo "$m" | grep -q '^\.\.x$' && ok "sendmail: other dot lines are left alone" || notok "sendmail: dot-dot" "$m"
[ -z "$(msg | tr -cd '\r')" ] && ok "sendmail: CRLF stored as LF" || notok "sendmail: CR left" "$(msg | od -c | head)"
[ "$(envl | head -n 1)" = "F" ] && ok "sendmail: -f '<>' is the null sender" || notok "sendmail: -f <>" "$(envl)"
q_empty

# --- -f, -F, existing headers kept -------------------------------------------
printf 'From: Me <me@mine.example>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <x@y>\nTo: z@z.example\n\nb\n' |
	"$SM" -f bounce@mine.example -F 'Not Used' one@x.example
m=$(msg)
[ "$(echo "$m" | grep -c '^Date:')" = 1 ] && [ "$(echo "$m" | grep -c '^Message-ID:')" = 1 ] &&
	[ "$(echo "$m" | grep -c '^From:')" = 1 ] && echo "$m" | grep -q '^From: Me <me@mine.example>$' &&
	ok "sendmail: existing Date/Message-ID/From kept, none added" || notok "sendmail: existing headers" "$m"
[ "$(envl)" = "$(printf 'Fbounce@mine.example\nTone@x.example')" ] && ok "sendmail: -f sets the sender; To: ignored without -t" ||
	notok "sendmail: -f envelope" "$(envl)"
q_empty
printf 'Subject: s\n\nb\n' | "$SM" -F 'Jo "Q" Public' -i r@x.example
msg | grep -q '^From: "Jo \\"Q\\" Public" <alice@example.org>$' && ok "sendmail: -F gives the display name, quoted" ||
	notok "sendmail: -F" "$(msg | grep From)"
q_empty

# --- flags: cron, mutt, PHP, legacy ones ------------------------------------
printf 'Subject: cron\n\nout\n' | "$SM" -FCronDaemon -i -B8BITMIME -oem root@x.example
check_exit "sendmail: cron's flags (-FCronDaemon -i -B8BITMIME -oem)" 0 test "$(q_count todo)" = 1
q_empty
printf 'To: a@x.example\nSubject: php\n\nout\n' | "$SM" -t -i
check_exit "sendmail: PHP's flags (-t -i)" 0 test "$(q_count todo)" = 1
q_empty
printf 'Subject: mutt\n\nout\n' | "$SM" -oem -oi -- a@x.example
check_exit "sendmail: mutt's flags (-oem -oi -- rcpt)" 0 test "$(q_count todo)" = 1
q_empty
printf 'Subject: legacy\n\nout\n' | "$SM" -odb -odi -oQ/var/spool -obq -om -U -N never -R hdrs -V xyz -Ox=y -bm -ti a@x.example
check_exit "sendmail: legacy flags accepted and ignored" 0 test "$(q_count todo)" = 1
q_empty
printf 'Subject: v\n\nout\n' | "$SM" -v a@x.example 2>"$T/v.err"
grep -q 'kurier-queue exited 0' "$T/v.err" && grep -q 'a@x.example' "$T/v.err" && ok "sendmail: -v says what it did" ||
	notok "sendmail: -v" "$(cat "$T/v.err")"
q_empty
printf 'x\n' | "$SM" -Z a@x.example 2>/dev/null
rc=$?; [ "$rc" = 100 ] && [ "$(q_count mess)" = 0 ] && ok "sendmail: an unknown flag is usage error 100" || notok "sendmail: unknown flag" "exit $rc"
printf 'Subject: none\n\nx\n' | "$SM" 2>/dev/null
rc=$?; [ "$rc" = 100 ] && [ "$(q_count mess)" = 0 ] && ok "sendmail: no recipients exits 100, nothing queued" || notok "sendmail: no rcpts" "exit $rc"
if [ -x "$TH/bin/kurier-smtpd" ]; then
	skip "sendmail: -bs without kurier-smtpd" "kurier-smtpd is installed"
else
	"$SM" -bs </dev/null 2>"$T/bs.err"
	rc=$?; [ "$rc" = 111 ] && grep -q 'kurier-smtpd' "$T/bs.err" && ok "sendmail: -bs without kurier-smtpd exits 111 and says why" ||
		notok "sendmail: -bs" "exit $rc $(cat "$T/bs.err")"
fi

# --- KURIERQUEUE: a filter that ends by calling kurier-queue ----------------
cat >"$T/filter" <<EOS
#!/bin/sh
echo ran >"$T/filter.ran"
exec "$QB/kurier-queue"
EOS
chmod 755 "$T/filter"
printf 'Subject: f\n\nx\n' | KURIERQUEUE=$T/filter "$SM" a@x.example
rc=$?
[ "$rc" = 0 ] && [ -f "$T/filter.ran" ] && [ "$(q_count todo)" = 1 ] && ok "sendmail: KURIERQUEUE filter runs and queues" ||
	notok "sendmail: KURIERQUEUE" "exit $rc"
q_empty
printf '#!/bin/sh\ncat >/dev/null; exit 31\n' >"$T/refuse"; chmod 755 "$T/refuse"
printf 'x\n' | KURIERQUEUE=$T/refuse "$SM" a@x.example 2>/dev/null
rc=$?; [ "$rc" = 100 ] && ok "sendmail: a permanent queue refusal (31) exits 100" || notok "sendmail: refusal" "exit $rc"
printf '#!/bin/sh\ncat >/dev/null; exit 71\n' >"$T/defer"; chmod 755 "$T/defer"
printf 'x\n' | KURIERQUEUE=$T/defer "$SM" a@x.example 2>/dev/null
rc=$?; [ "$rc" = 111 ] && ok "sendmail: a temporary queue failure (71) exits 111" || notok "sendmail: deferral" "exit $rc"

# --- kurier-inject -----------------------------------------------------------
printf 'To: t@x.example\nBcc: hidden@x.example\r\nSubject: i\r\n\r\nbody\r\n.\r\nmore\r\n' | "$INJ"
rc=$?
[ "$rc" = 0 ] && ok "inject: exits 0" || notok "inject: exit" "$rc"
[ "$(envl)" = "$(printf 'Falice@example.org\nTt@x.example\nThidden@x.example')" ] && ok "inject: recipients from the header without arguments" ||
	notok "inject: envelope" "$(envl)"
m=$(msg)
echo "$m" | grep -q '^Message-ID: ' && echo "$m" | grep -q '^Date: ' && echo "$m" | grep -q '^From: alice@example.org$' &&
	ok "inject: Date, Message-ID and From added" || notok "inject: headers" "$m"
! echo "$m" | grep -qi '^bcc' && echo "$m" | grep -q '^more$' && [ -z "$(msg | tr -cd '\r')" ] &&
	ok "inject: Bcc removed, no dot rule, CRLF to LF" || notok "inject: body" "$m"
q_empty
printf 'Subject: i\n\nbody\n' | "$INJ" -f s@x.example -F 'Ann' r1@x.example r2@x.example
[ "$(envl)" = "$(printf 'Fs@x.example\nTr1@x.example\nTr2@x.example')" ] && msg | grep -q '^From: "Ann" <alice@example.org>$' &&
	ok "inject: -f, -F and recipients as arguments" || notok "inject: args" "$(envl) $(msg | grep From)"
q_empty

# --- kurier-qstat, kurier-qread, sendmail -bp, kurier-qmsg ------------------
split=$(head -n 1 "$KURIER_SRC"/conf-split)
printf 'Subject: one\n\nx\n' | "$SM" -f s1@x.example r1@x.example r2@y.example
printf 'Subject: two\n\nyy\n' | "$SM" -f '' r3@x.example
"$QB/kurier-qstat" >"$T/qstat"
[ "$(cat "$T/qstat")" = "$(printf 'messages in queue: 2\nmessages in queue but not yet preprocessed: 2')" ] &&
	ok "qstat: two messages, two not preprocessed" || notok "qstat" "$(cat "$T/qstat")"
ids=$(q_files "$Q/mess" | sed 's,.*/,,' | sort -n)
# which id is which: the queue may reuse parked inodes (queue(5), the
# pool), so the order of the ids says nothing; the envelope's sender does
id1=; id2=
for id in $ids; do
	if tr '\0' '\n' <"$Q/todo/$((id % split))/$id" | grep -qx 'Fs1@x.example'; then id1=$id; else id2=$id; fi
done
"$QB/kurier-qread" >"$T/qread"
sz1=$(stat -c %s "$Q/mess/$((id1 % split))/$id1")
grep -Eq "^[0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT  #$id1  $sz1  <s1@x.example> \$" "$T/qread" &&
	ok "qread: date, #id, size, <sender> per message" || notok "qread: message line" "$(cat "$T/qread")"
grep -q "#$id2  [0-9]*  <> " "$T/qread" && ok "qread: the null sender as <>" || notok "qread: null sender" "$(cat "$T/qread")"
[ "$(grep -c "$(printf '^\ttodo\t')" "$T/qread")" = 3 ] && ok "qread: todo recipients before preprocessing" ||
	notok "qread: todo rcpts" "$(cat "$T/qread")"
# what kurier-send leaves after preprocessing message 1 (queue(5))
s1=$((id1 % split))
printf 'Fs1@x.example\0' >"$Q/info/$s1/$id1"
printf 'Tr1@x.example\0Dold@x.example\0' >"$Q/local/$s1/$id1"
printf 'Tr2@y.example\0' >"$Q/remote/$s1/$id1"
rm -f "$Q/todo/$s1/$id1" "$Q/intd/$s1/$id1"
"$QB/kurier-qstat" | grep -q 'not yet preprocessed: 1$' && ok "qstat: preprocessed messages not counted as todo" ||
	notok "qstat: after preprocessing" "$("$QB/kurier-qstat")"
"$QB/kurier-qread" >"$T/qread"
sed -n "/#$id1 /,/#/p" "$T/qread" >"$T/m1"
grep -q "$(printf '^\tlocal\tr1@x.example$')" "$T/m1" && grep -q "$(printf '^\tdone\tlocal\told@x.example$')" "$T/m1" &&
	grep -q "$(printf '^\tremote\tr2@y.example$')" "$T/m1" && ok "qread: local, remote and done from kurier-send's files" ||
	notok "qread: preprocessed" "$(cat "$T/qread")"
"$SM" -bp >"$T/bp"
cmp -s "$T/bp" "$T/qread" && ok "sendmail -bp prints what kurier-qread prints" || notok "sendmail -bp" "$(diff "$T/bp" "$T/qread")"
"$QB/kurier-qmsg" retry "#$id1"
rc=$?
[ "$rc" = 0 ] && [ -f "$Q/cmd/retry.$id1" ] && ok "qmsg: retry writes cmd/retry.ID" || notok "qmsg retry" "exit $rc"
"$QB/kurier-qmsg" remove "$id2"
rc=$?
[ "$rc" = 0 ] && [ -f "$Q/cmd/remove.$id2" ] && ok "qmsg: remove writes cmd/remove.ID" || notok "qmsg remove" "exit $rc"
"$QB/kurier-qmsg" retry 999999999999 2>/dev/null
rc=$?; [ "$rc" = 1 ] && [ ! -e "$Q/cmd/retry.999999999999" ] && ok "qmsg: an unknown id exits 1" || notok "qmsg unknown" "exit $rc"
"$QB/kurier-qmsg" retry 12x 2>/dev/null
rc=$?; [ "$rc" = 100 ] && ok "qmsg: a malformed id exits 100" || notok "qmsg malformed" "exit $rc"
rm -f "$Q/info/$s1/$id1" "$Q/local/$s1/$id1" "$Q/remote/$s1/$id1"
q_empty
exit 0
