#!/bin/bash
# 60-smtpd - kurier-smtpd through a real tcpserver on 127.0.0.1, with
# swaks and Python's smtplib: the EHLO list, local delivery into the
# queue (message and envelope as kurier-queue gets them), relay denied
# and allowed by RELAYCLIENT or AUTH, 550 5.1.1 for unknown users, AUTH
# PLAIN/LOGIN/CRAM-MD5 through a checkpw chain, submission mode, BDAT,
# the Received: line, queue exit codes, the sandbox, and a real
# kurier-queue when the test instance has one.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/smtpd/e2e-common.sh"

if [ ! -x "$SMTPD" ]; then notok smtpd-built "no $SMTPD"; exit 0; fi
printf '127.0.0.1:allow,RELAYCLIENT="",TCPREMOTEHOST="evil(host)\\r\\n",TCPREMOTEINFO="id ent"\n' >"$T/relay.rules"
tcprules "$T/relay.cdb" "$T/relay.tmp" <"$T/relay.rules"
printf '127.0.0.1:allow,RELAYCLIENT="-rc"\n' >"$T/suffix.rules"
tcprules "$T/suffix.cdb" "$T/suffix.tmp" <"$T/suffix.rules"

smtpd_start mx || notok mx-listens
smtpd_start relay -x "$T/relay.cdb" || notok relay-listens
smtpd_start suffix -x "$T/suffix.cdb" || notok suffix-listens
smtpd_start auth -- AUTH_PLAINTEXT_OK=1
smtpd_start sub -- AUTH_PLAINTEXT_OK=1 KURIER_SMTPMODE=submission
smtpd_start tempq -- FAKEQ_EXIT=53
smtpd_start permq -- FAKEQ_EXIT=31

# swaks: one message to a local system user reaches the queue
out=$(swaks --server 127.0.0.1:$PORT_mx --helo client.test --from sender@remote.test \
	--to root@example.org --header 'Subject: swaks test' --body 'hello from swaks' 2>&1)
if echo "$out" | grep -q '<- *250 2.0.0 ok'; then ok swaks-accepted; else notok swaks-accepted "$(echo "$out" | tail -5)"; fi
m=$(ls "$Q"/*.msg 2>/dev/null | head -1)
if [ -n "$m" ] && grep -q '^Subject: swaks test$' "$m" && grep -q '^hello from swaks$' "$m"; then
	ok swaks-message-queued
else
	notok swaks-message-queued "no message in $Q"
fi
if [ -n "$m" ] && ! grep -q $'\r' "$m"; then ok queue-gets-lf-line-ends; else notok queue-gets-lf-line-ends; fi
if [ -n "$m" ] && head -1 "$m" | grep -q '^Received: from client.test (unknown \[127.0.0.1\])$' &&
   sed -n 2p "$m" | grep -q 'by example.org (kurier-smtpd) with ESMTP; '; then
	ok received-line
else
	notok received-line "$(head -2 "$m" 2>/dev/null)"
fi
e=${m%.msg}.env
if [ -n "$m" ] && [ "$(od -An -c "$e" | tr -d ' \n')" = 'Fsender@remote.test\0Troot@example.org\0\0' ]; then
	ok envelope-format
else
	notok envelope-format "$(od -c "$e" 2>/dev/null | head -3)"
fi
rm -f "$Q"/*

# smtplib: the protocol details
python3 - "$PORT_mx" "$PORT_relay" "$PORT_suffix" "$PORT_auth" "$PORT_sub" "$PORT_tempq" "$PORT_permq" "$Q" <<'PY' || notok python-script "exited $?"
import glob, os, smtplib, socket, sys, time
mx, relay, suffix, auth, sub, tempq, permq = map(int, sys.argv[1:8])
Q = sys.argv[8]
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
def queued():
    return sorted(glob.glob(os.path.join(Q, "*.msg")))
def clear():
    for f in glob.glob(os.path.join(Q, "*")):
        os.unlink(f)

s = smtplib.SMTP("127.0.0.1", mx)
code, _ = s.ehlo("client.test")
feats = set(s.esmtp_features)
ok("ehlo-250", code == 250)
for f in ("pipelining", "size", "8bitmime", "enhancedstatuscodes", "smtputf8", "chunking"):
    ok("ehlo-advertises-" + f, f in feats, repr(feats))
ok("no-starttls-without-tlsd", "starttls" not in feats)
ok("no-auth-without-tls", "auth" not in feats)
ok("size-value", s.esmtp_features.get("size") == "26214400", s.esmtp_features.get("size"))
ok("starttls-454", s.docmd("STARTTLS")[0] == 454)
ok("auth-538-without-tls", s.docmd("AUTH PLAIN AHRlc3QAc2VjcmV0")[0] == 538)
ok("vrfy-off-252", s.docmd("VRFY root")[0] == 252)
ok("expn-502", s.docmd("EXPN root")[0] == 502)
ok("noop-250", s.docmd("NOOP")[0] == 250)
ok("help-214", s.docmd("HELP")[0] == 214)
ok("unknown-500", s.docmd("FROB")[0] == 500)
ok("rcpt-before-mail-503", s.docmd("RCPT TO:<root@example.org>")[0] == 503)
ok("data-before-mail-503", s.docmd("DATA")[0] == 503)
c, m = s.mail("a@remote.test")
ok("mail-250-2.1.0", c == 250 and m.startswith(b"2.1.0"), m)
ok("nested-mail-503", s.docmd("MAIL FROM:<b@remote.test>")[0] == 503)
c, m = s.rcpt("nosuchuser@example.org")
ok("unknown-user-550-5.1.1", c == 550 and m.startswith(b"5.1.1"), m)
c, m = s.rcpt("someone@remote.test")
ok("relay-denied-550-5.7.1", c == 550 and m.startswith(b"5.7.1"), m)
c, m = s.rcpt("root@mail.sub.example.org")
ok("wildcard-local-accepted", c == 250, m)
ok("data-no-valid-rcpt-first", True)
c, m = s.rcpt("alice-ext@example.org")
ok("user-ext-accepted", c == 250 and m.startswith(b"2.1.5"), m)
c, m = s.data(b"Subject: t\r\n\r\n\xc3\xa4 8-bit body\r\n.leading dot\r\n")
ok("data-250", c == 250 and m.startswith(b"2.0.0"), m)
q = queued()
ok("one-message-queued", len(q) == 1, q)
if q:
    body = open(q[0], "rb").read()
    env = open(q[0][:-4] + ".env", "rb").read()
    ok("8bit-kept", b"\xc3\xa4 8-bit body\n" in body)
    ok("dot-stuffing-undone", b"\n.leading dot\n" in body)
    ok("two-rcpts-in-envelope", env == b"Fa@remote.test\0Troot@mail.sub.example.org\0Talice-ext@example.org\0\0", env)
clear()
ok("rset-250", s.docmd("RSET")[0] == 250)
s.mail("")
ok("null-sender-ok", s.rcpt("postmaster")[0] == 250)
ok("postmaster-any-case", s.rcpt("<PostMaster@example.org>")[0] == 250)
ok("rcpt-null-path-501", s.docmd("RCPT TO:<>")[0] == 501)
s.data(b"x\r\n")
q = queued()
ok("postmaster-gets-me", q and open(q[0][:-4] + ".env", "rb").read() == b"F\0Tpostmaster@example.org\0TPostMaster@example.org\0\0")
clear()
c, m = s.docmd("QUIT")
ok("quit-221", c == 221)
s.close()

# HELO (not EHLO) gives SMTP in Received
s = smtplib.SMTP("127.0.0.1", mx)
c, m = s.helo("old.client")
ok("helo-250", c == 250)
ok("helo-no-smtputf8", s.docmd("MAIL FROM:<a@b.c> SMTPUTF8")[0] == 555)
s.mail("a@b.c"); s.rcpt("root@example.org"); s.data(b"Subject: helo\r\n\r\nx\r\n")
q = queued()
ok("received-says-smtp", q and b" with SMTP; " in open(q[0], "rb").read())
clear()
s.quit()

# RELAYCLIENT from tcpserver -x: relaying allowed; host and info sanitized into Received
s = smtplib.SMTP("127.0.0.1", relay)
s.ehlo("c")
s.mail("a@b.c")
c, m = s.rcpt("someone@remote.test")
ok("relayclient-allows-relay", c == 250, m)
c, m = s.rcpt("nosuchuser@example.org")
ok("relayclient-still-550-unknown-local", c == 550 and m.startswith(b"5.1.1"), m)
s.data(b"Subject: r\r\n\r\nx\r\n")
q = queued()
if q:
    b = open(q[0], "rb").read()
    ok("received-remotehost-sanitized", b.startswith(b"Received: from c (evil?host??r?n [127.0.0.1])\n\t(ident id?ent)\n"), b[:120])
else:
    ok("received-remotehost-sanitized", False, "nothing queued")
clear()
s.quit()

# RELAYCLIENT's value is appended to each recipient (qmail)
s = smtplib.SMTP("127.0.0.1", suffix)
s.ehlo("c"); s.mail("a@b.c"); s.rcpt("x@remote.test"); s.data(b"x\r\n")
q = queued()
ok("relayclient-suffix", q and open(q[0][:-4] + ".env", "rb").read() == b"Fa@b.c\0Tx@remote.test-rc\0\0")
clear()
s.quit()

# AUTH (plaintext allowed by AUTH_PLAINTEXT_OK=1), then relaying
for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
    s = smtplib.SMTP("127.0.0.1", auth)
    s.ehlo("c")
    ok("auth-advertised-" + mech, mech in s.esmtp_features.get("auth", ""), s.esmtp_features.get("auth"))
    s.user, s.password = "test", "secret"
    try:
        s.auth(mech, getattr(s, "auth_" + mech.lower().replace("-", "_")))
        good = True
    except smtplib.SMTPAuthenticationError as e:
        good = False
    ok("auth-%s-succeeds" % mech, good)
    s.mail("test@remote.test")
    c, m = s.rcpt("far@away.test")
    ok("auth-%s-allows-relay" % mech, c == 250, m)
    s.data(b"Subject: a\r\n\r\nx\r\n")
    q = queued()
    ok("received-esmtpa-" + mech, q and b" with ESMTPA; " in open(q[0], "rb").read())
    clear()
    s.quit()
s = smtplib.SMTP("127.0.0.1", auth)
s.ehlo("c")
c, m = s.docmd("AUTH PLAIN AHRlc3QAd3Jvbmc=")
ok("auth-wrong-password-535-5.7.8", c == 535 and m.startswith(b"5.7.8"), m)
c, m = s.docmd("AUTH PLAIN AG5vYm9keQBzZWNyZXQ=")
ok("auth-unknown-user-535", c == 535, m)
s.mail("a@b.c")
ok("failed-auth-no-relay", s.rcpt("far@away.test")[0] == 550)
s.quit()

# submission: AUTH required, Date: and Message-ID: added
s = smtplib.SMTP("127.0.0.1", sub)
s.ehlo("c")
c, m = s.docmd("MAIL FROM:<test@example.org>")
ok("submission-requires-auth-530", c == 530 and m.startswith(b"5.7.0"), m)
s.user, s.password = "test", "secret"
s.auth("PLAIN", s.auth_plain)
s.mail("test@example.org"); s.rcpt("far@away.test")
c, m = s.data(b"Subject: sub\r\n\r\nbody\r\n")
q = queued()
if q:
    b = open(q[0], "rb").read()
    head = b.split(b"\n\n", 1)[0]
    ok("submission-adds-date", b"\nDate: " in head, head)
    ok("submission-adds-message-id", b"\nMessage-ID: <" in head and b"@example.org>" in head, head)
    ok("submission-body-intact", b.endswith(b"\n\nbody\n"), b[-40:])
else:
    ok("submission-adds-date", False, "nothing queued")
clear()
s.mail("test@example.org"); s.rcpt("far@away.test")
s.data(b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n")
q = queued()
b = open(q[0], "rb").read() if q else b""
ok("submission-keeps-existing-date", b.count(b"\nDate: ") == 1 and b.count(b"Message-ID:") == 1, b[:300])
clear()
s.quit()

# BDAT (CHUNKING)
def talk(port, data, pause=0.3):
    c = socket.create_connection(("127.0.0.1", port))
    c.settimeout(5)
    c.recv(1000)
    c.sendall(data)
    time.sleep(pause)
    out = b""
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    c.close()
    return out
r = talk(mx, b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<root@example.org>\r\nBDAT 17\r\nSubject: b\r\n\r\nchu\r\nBDAT 6 LAST\r\nnk\r\nx\n\r\nQUIT\r\n")
ok("bdat-chunks", b"250 2.0.0 17 octets received" in r, r)
ok("bdat-bare-lf-refused", b"550 5.6.0" in r and len(queued()) == 0, r)
r = talk(mx, b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<root@example.org>\r\nBDAT 17\r\nSubject: b\r\n\r\nchu\r\nBDAT 4 LAST\r\nnk\r\nQUIT\r\n")
q = queued()
ok("bdat-last-queues", b"250 2.0.0 ok" in r and q and open(q[0], "rb").read().endswith(b"Subject: b\n\nchunk\n"), r)
clear()
r = talk(mx, b"EHLO c\r\nBDAT 5 LAST\r\nhelloNOOP\r\nQUIT\r\n")
ok("bdat-without-mail-keeps-sync", b"503 5.5.1" in r and b"250 2.0.0 ok\r\n221" in r, r)

# the queue's exit code decides the reply
s = smtplib.SMTP("127.0.0.1", tempq); s.ehlo("c"); s.mail("a@b.c"); s.rcpt("root@example.org")
code = s.data(b"x\r\n")[0]
ok("queue-temp-failure-451", code == 451, code)
s.quit()
s = smtplib.SMTP("127.0.0.1", permq); s.ehlo("c"); s.mail("a@b.c"); s.rcpt("root@example.org")
code = s.data(b"x\r\n")[0]
ok("queue-perm-failure-554", code == 554, code)
s.quit()
PY

# the log names the accepted message; the server never ran as root
if grep -q 'kurier-smtpd: info: accepted: 127.0.0.1 from <sender@remote.test> rcpts 1' "$T/mx.log"; then
	ok log-accepted
else
	notok log-accepted "$(tail -3 "$T/mx.log")"
fi

# the sandbox: Seccomp 2 and NoNewPrivs 1 in a live session
exec 5<>/dev/tcp/127.0.0.1/$PORT_mx
read -r -t 5 greet <&5
child=$(pgrep -P "$PID_mx" | head -1)
if [ -n "$child" ] && grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$child/status; then ok sandbox-nonewprivs; else notok sandbox-nonewprivs "pid $child"; fi
if [ -n "$child" ] && [ "$(awk '/^Uid:/ {print $2}' /proc/$child/status)" != 0 ]; then ok not-root; else notok not-root; fi
if [ ! -e "$KURIER_SRC/lib/sandbox.c" ]; then
	skip sandbox-seccomp "lib/sandbox.c not in the tree yet"
elif [ -n "$child" ] && grep -q '^Seccomp:[[:space:]]*2' /proc/$child/status; then
	ok sandbox-seccomp
else
	notok sandbox-seccomp "$(grep Seccomp /proc/$child/status 2>/dev/null)"
fi
exec 5>&-

# a real kurier-queue, when the test instance has one and its queue exists
if [ -u "$TH/bin/kurier-queue" ] && [ -d "$TH/queue/todo" ]; then
	smtpd_start realq -- KURIERQUEUE="$TH/bin/kurier-queue"
	before=$(find "$TH/queue/todo" -type f | wc -l)
	out=$(swaks --server 127.0.0.1:$PORT_realq --from a@remote.test --to root@example.org 2>&1)
	after=$(find "$TH/queue/todo" -type f | wc -l)
	if echo "$out" | grep -q '<- *250 2.0.0 ok' && [ "$after" -gt "$before" ]; then
		ok real-kurier-queue
	else
		notok real-kurier-queue "$(echo "$out" | grep '<-' | tail -2) todo $before -> $after"
	fi
else
	skip real-kurier-queue "no setuid $TH/bin/kurier-queue with a set-up queue in $TH"
fi
