#!/bin/bash
# 80-imap - kurier-imap-login, the real checkpw chain (kurier-checkpw over
# a makeuserdb userdb) and kurier-imapd through tcpserver on 127.0.0.1,
# driven by Python's imaplib: the greeting and CAPABILITY, the plaintext
# policy (LOGINDISABLED), LOGIN, AUTHENTICATE PLAIN (and SASL-IR) and
# CRAM-MD5, SELECT/EXAMINE, FETCH items, STORE with flags in file names,
# UIDs stable across sessions, SEARCH, COPY/MOVE with COPYUID, APPEND
# (durable, with APPENDUID), EXPUNGE, CLOSE/UNSELECT, folders (CREATE,
# DELETE, RENAME, LIST with * and %, SUBSCRIBE/LSUB, STATUS), NAMESPACE,
# ID, ENABLE, IDLE woken by a delivery, two sessions seeing each other's
# changes, and kurier-imapd's ids and sandbox.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/imapd/e2e-common.sh"

if [ "$imap_ready" != 1 ]; then skip imap "no ${imap_missing:-userdb} in the test instance"; exit 0; fi
imap_start plain AUTH_PLAINTEXT_OK=1 || notok plain-listens
imap_start strict || notok strict-listens

for i in 1 2 3 4; do
	printf 'From: Sender %s <s%s@example.org>\nTo: test@imap.example\nSubject: message %s\nDate: Mon, 2%s Nov 2026 10:00:00 +0000\nMessage-ID: <m%s@example.org>\n\nbody of message %s\nwith words%s\n' \
		"$i" "$i" "$i" "$i" "$i" "$i" "$( [ $i = 3 ] && echo ' needle')" | deliver || notok "deliver-$i" "exit $?"
	sleep 0.01
done

python3 - "$PORT_plain" "$PORT_strict" "$MD" "$T" "$TB" "$VUID" <<'PY'
import base64, hashlib, hmac, imaplib, os, re, socket, subprocess, sys, threading, time
plain, strict = int(sys.argv[1]), int(sys.argv[2])
MD, T, TB, VUID = sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
USER, PW = "test@imap.example", "Sesame-9"
for c in ("ID", "ENABLE", "UNSELECT", "MOVE"):
    imaplib.Commands[c] = ("AUTH", "SELECTED")
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
def login(port=plain):
    M = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    M.login(USER, PW)
    return M
def fail(name, fn, exc=imaplib.IMAP4.error):
    try:
        r = fn()
    except exc:
        ok(name, True)
        return
    except Exception as e:
        ok(name, False, repr(e))
        return
    ok(name, False, "no error: %r" % (r,))

# greeting and the plaintext policy
M = imaplib.IMAP4("127.0.0.1", strict, timeout=30)
ok("strict-logindisabled", "LOGINDISABLED" in M.capabilities and "AUTH=PLAIN" not in M.capabilities, M.capabilities)
ok("strict-cram-offered", "AUTH=CRAM-MD5" in M.capabilities, M.capabilities)
fail("strict-login-refused", lambda: M.login(USER, PW))
def cram(chal):
    return USER + " " + hmac.new(PW.encode(), chal, hashlib.md5).hexdigest()
typ, dat = M.authenticate("CRAM-MD5", cram)
ok("strict-cram-md5-login", typ == "OK", dat)
typ, dat = M.select("INBOX")
ok("cram-session-selects", typ == "OK" and dat[0] == b"4", dat)
ok("first-select-recent", M.untagged_responses.get("RECENT") == [b"4"], M.untagged_responses.get("RECENT"))
M.logout()

M = imaplib.IMAP4("127.0.0.1", plain, timeout=30)
ok("plain-auth-offered", "AUTH=PLAIN" in M.capabilities and "LOGINDISABLED" not in M.capabilities, M.capabilities)
fail("wrong-password", lambda: M.login(USER, "wrong"))
fail("unknown-user", lambda: M.login("nobody@imap.example", PW))
typ, dat = M.login(USER, PW)
ok("login", typ == "OK", dat)
ok("login-reply-capability", b"CAPABILITY" in dat[0] and b"IDLE" in dat[0], dat)
M.logout()
M = imaplib.IMAP4("127.0.0.1", plain, timeout=30)
typ, dat = M.authenticate("PLAIN", lambda c: ("\0%s\0%s" % (USER, PW)).encode())
ok("authenticate-plain", typ == "OK", dat)
M.logout()
# SASL-IR: the initial response on the command line
s = socket.create_connection(("127.0.0.1", plain), timeout=20)
f = s.makefile("rb")
f.readline()
s.sendall(b"a AUTHENTICATE PLAIN " + base64.b64encode(("\0%s\0%s" % (USER, PW)).encode()) + b"\r\nb NOOP\r\nc LOGOUT\r\n")
got = b""
while True:
    l = f.readline()
    if not l:
        break
    got += l
ok("sasl-ir-and-pipelined", b"a OK" in got and b"b OK NOOP" in got and b"c OK LOGOUT" in got, got)
s.close()

M = login()
typ, dat = M.select("INBOX")
ok("select-exists", dat == [b"4"], dat)
ok("select-uidvalidity", "UIDVALIDITY" in M.untagged_responses, M.untagged_responses)
uv1 = M.untagged_responses["UIDVALIDITY"][0]
ok("second-select-not-recent", M.untagged_responses.get("RECENT") == [b"0"], M.untagged_responses.get("RECENT"))
ok("new-moved-to-cur", len(os.listdir(MD + "/new")) == 0 and len(os.listdir(MD + "/cur")) == 4, os.listdir(MD + "/cur"))
typ, dat = M.fetch("1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)")
ok("fetch-all", typ == "OK" and len(dat) == 4, dat)
ok("fetch-envelope-subject", b'"message 2"' in dat[1] and b'"s2" "example.org"' in dat[1], dat[1])
uids = [int(re.search(rb"UID (\d+)", d).group(1)) for d in dat]
ok("uids-ascending", uids == sorted(uids) and len(set(uids)) == 4, uids)
files = {n.split(":")[0]: n for n in os.listdir(MD + "/cur")}
sizes = [int(re.search(rb"RFC822.SIZE (\d+)", d).group(1)) for d in dat]
want = sorted(len(open(os.path.join(MD, "cur", n), "rb").read().replace(b"\n", b"\r\n")) for n in files.values())
ok("rfc822-size-crlf", sorted(sizes) == want, (sizes, want))
typ, dat = M.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.7> INTERNALDATE)")
ok("fetch-header-fields", dat[0][1] == b"Subject: message 2\r\n\r\n", dat)
ok("fetch-partial", dat[1][1] == b"body of" and b"BODY[TEXT]<0>" in dat[1][0], dat)
ok("peek-leaves-unseen", b"\\Seen" not in M.fetch("2", "(FLAGS)")[1][0], M.fetch("2", "(FLAGS)"))
typ, dat = M.fetch("2", "(BODY[])")
whole = dat[0][1]
ok("fetch-body-crlf", whole.startswith(b"From: Sender 2") and b"\r\nwith words\r\n" in whole and b"\n" not in whole.replace(b"\r\n", b""), whole)
ok("body-sets-seen", b"\\Seen" in M.fetch("2", "(FLAGS)")[1][0], M.fetch("2", "(FLAGS)"))
ok("seen-in-filename", any(n.endswith(":2,S") for n in os.listdir(MD + "/cur")), os.listdir(MD + "/cur"))
typ, dat = M.fetch("3", "(RFC822.HEADER BODYSTRUCTURE)")
ok("fetch-rfc822-header", dat[0][1].endswith(b"\r\n\r\n") and b"Subject: message 3" in dat[0][1], dat)
# STORE and flags kept in file names, sorted letters
typ, dat = M.store("1", "+FLAGS", "(\\Flagged \\Answered)")
ok("store-plus", typ == "OK" and b"\\Answered" in dat[0] and b"\\Flagged" in dat[0], dat)
ok("store-filename-FR", any(n.endswith(":2,FR") for n in os.listdir(MD + "/cur")), os.listdir(MD + "/cur"))
typ, dat = M.store("1", "-FLAGS.SILENT", "(\\Answered)")
ok("store-silent", typ == "OK" and dat == [None], dat)
typ, dat = M.uid("STORE", str(uids[3]), "FLAGS", "(\\Draft)")
ok("uid-store", typ == "OK" and b"UID %d" % uids[3] in dat[0] and b"\\Draft" in dat[0], dat)
# keywords: kept in the folder's kurier-keywords file
typ, dat = M.store("3", "+FLAGS", "($Forwarded Work)")
ok("store-keywords", typ == "OK" and b"$Forwarded" in dat[0] and b"Work" in dat[0], dat)
ok("keywords-file", b" $Forwarded Work" in open(MD + "/kurier-keywords", "rb").read(), open(MD + "/kurier-keywords", "rb").read())
ok("search-keyword", M.search(None, "KEYWORD", "work")[1] == [b"3"], M.search(None, "KEYWORD", "work"))
ok("search-unkeyword", M.search(None, "UNKEYWORD", "$Forwarded")[1] == [b"1 2 4"], M.search(None, "UNKEYWORD", "$Forwarded"))
typ, dat = M.store("3", "-FLAGS", "(Work)")
ok("store-minus-keyword", typ == "OK" and b"Work" not in dat[0] and b"$Forwarded" in dat[0], dat)
# SEARCH
ok("search-seen", M.search(None, "SEEN")[1] == [b"2"], M.search(None, "SEEN"))
ok("search-unseen", M.search(None, "UNSEEN")[1] == [b"1 3 4"], M.search(None, "UNSEEN"))
ok("search-subject", M.search(None, "SUBJECT", '"message 3"')[1] == [b"3"], M.search(None, "SUBJECT", "message 3"))
ok("search-body", M.search(None, "BODY", "needle")[1] == [b"3"], M.search(None, "BODY", "needle"))
ok("search-text-from", M.search(None, "TEXT", "s4@example")[1] == [b"4"], M.search(None, "TEXT", "s4@example"))
ok("search-or-not", M.search(None, "OR", "FLAGGED", "DRAFT", "NOT", "SEEN")[1] == [b"1 4"], M.search(None, "OR FLAGGED DRAFT NOT SEEN"))
ok("search-parens-header", M.search(None, "(HEADER", "Message-ID", "m2@", ")")[1] == [b"2"], M.search(None, "(HEADER Message-ID m2@)"))
ok("search-sentsince", M.search(None, "SENTSINCE", "23-Nov-2026")[1] == [b"3 4"], M.search(None, "SENTSINCE 23-Nov-2026"))
ok("search-seqset-larger", M.search(None, "2:3", "LARGER", "10")[1] == [b"2 3"], M.search(None, "2:3 LARGER 10"))
ok("uid-search", M.uid("SEARCH", None, "UID", "%d:*" % uids[2])[1] == [b"%d %d" % (uids[2], uids[3])], M.uid("SEARCH", None, "UID", "%d:*" % uids[2]))
ok("search-charset-utf8", M.search("UTF-8", "SUBJECT", "message")[0] == "OK")
ok("search-charset-bad", M.search("KOI8-R", "ALL")[0] == "NO")
# folders
ok("create", M.create("INBOX.Work")[0] == "OK" and os.path.isfile(MD + "/.Work/maildirfolder"), os.listdir(MD))
ok("create-nested", M.create("INBOX.Work.Old")[0] == "OK" and os.path.isdir(MD + "/.Work.Old/cur"))
ok("create-exists", M.create("INBOX.Work")[0] == "NO")
ok("create-utf7", M.create("INBOX.Entw&APw-rfe")[0] == "OK" and os.path.isdir(MD + "/.Entw&APw-rfe"))
typ, dat = M.list('""', "*")
names = [re.search(rb'"\." (.*)$', l).group(1).strip(b'"') for l in dat]
ok("list-star", names == [b"INBOX", b"INBOX.Entw&APw-rfe", b"INBOX.Work", b"INBOX.Work.Old"], dat)
ok("list-children", any(b"\\HasChildren" in l and l.endswith(b'"INBOX.Work"') for l in dat), dat)
typ, dat = M.list("INBOX.", "%")
ok("list-percent", len(dat) == 2 and all(b"Old" not in l for l in dat), dat)
ok("list-empty-pattern", M.list('""', '""')[1] == [b'(\\Noselect) "." ""'], M.list('""', '""'))
ok("subscribe", M.subscribe("INBOX.Work")[0] == "OK")
ok("lsub", M.lsub('""', "*")[1] == [b'(\\HasChildren) "." "INBOX.Work"'], M.lsub('""', "*"))
ok("unsubscribe", M.unsubscribe("INBOX.Work")[0] == "OK" and M.lsub('""', "*")[1] == [None], M.lsub('""', "*"))
# COPY and MOVE with UIDPLUS
typ, dat = M.copy("1:2", "INBOX.Work")
ok("copy-copyuid", typ == "OK" and re.search(rb"COPYUID \d+ \d+[,:]\d+ 1[,:]2", dat[0]), dat)
ok("copy-trycreate", M.copy("1", "INBOX.Nope")[0] == "NO")
typ, dat = M._simple_command("MOVE", "4", "INBOX.Work")
ok("move", typ == "OK" and M.untagged_responses.get("EXPUNGE") == [b"4"], (typ, dat, M.untagged_responses))
M.untagged_responses.clear()
typ, dat = M.status("INBOX.Work", "(MESSAGES UIDNEXT UNSEEN)")
ok("status", dat[0].endswith(b"(MESSAGES 3 UIDNEXT 4 UNSEEN 2)"), dat)
# APPEND: durable in cur/ with the flags, APPENDUID
msg = b"From: me@imap.example\r\nSubject: appended\r\n\r\nappended body\r\n"
typ, dat = M.append("INBOX.Work", "(\\Seen \\Flagged)", imaplib.Time2Internaldate(1700000000), msg)
ok("append-appenduid", typ == "OK" and re.search(rb"APPENDUID \d+ 4\]", dat[0]), dat)
app = [n for n in os.listdir(MD + "/.Work/cur") if n.endswith(":2,FS")]
ok("append-file", len(app) == 1 and open(MD + "/.Work/cur/" + app[0], "rb").read() == msg, os.listdir(MD + "/.Work/cur"))
ok("append-internaldate", app and int(os.stat(MD + "/.Work/cur/" + app[0]).st_mtime) == 1700000000)
typ, dat = M.append("INBOX.Work", "($Label2 \\Seen)", None, b"Subject: kw\r\n\r\nkw\r\n")
ok("append-keyword-file", typ == "OK" and b" $Label2\n" in open(MD + "/.Work/kurier-keywords", "rb").read())
ok("append-trycreate", M.append("INBOX.Nope", None, None, msg)[0] == "NO")
# EXPUNGE, CLOSE
M.store("1", "+FLAGS", "\\Deleted")
typ, dat = M.expunge()
ok("expunge", typ == "OK" and dat == [b"1"], dat)
ok("expunge-file-gone", len(os.listdir(MD + "/cur")) == 2, os.listdir(MD + "/cur"))
typ, dat = M.select("INBOX.Work", readonly=True)
ok("examine", typ == "OK" and dat == [b"5"], dat)
ok("examine-store-refused", M.store("1", "+FLAGS", "\\Seen")[0] == "NO")
ok("unselect", M._simple_command("UNSELECT")[0] == "OK")
# RENAME and DELETE
ok("rename", M.rename("INBOX.Work", "INBOX.Done")[0] == "OK" and os.path.isdir(MD + "/.Done.Old") and not os.path.exists(MD + "/.Work"))
ok("delete", M.delete("INBOX.Done.Old")[0] == "OK" and not os.path.exists(MD + "/.Done.Old"))
ok("delete-inbox-refused", M.delete("INBOX")[0] == "NO")
# NAMESPACE, ID, ENABLE, quota
typ, dat = M.namespace()
ok("namespace", dat == [b'(("INBOX." ".")) NIL (("shared." "."))'], dat)
typ, dat = M._simple_command("ID", "NIL")
ok("id", typ == "OK" and M.untagged_responses.get("ID"), M.untagged_responses)
typ, dat = M._simple_command("ENABLE", "CONDSTORE")
ok("enable", typ == "OK")
typ, dat = M.getquotaroot("INBOX")
ok("getquotaroot", typ == "OK", dat)
M.logout()

# UIDs and UIDVALIDITY persist across sessions
M = login()
M.select("INBOX")
ok("uidvalidity-stable", M.untagged_responses["UIDVALIDITY"][0] == uv1)
typ, dat = M.fetch("1:*", "(UID)")
ok("uids-stable", [int(re.search(rb"UID (\d+)", d).group(1)) for d in dat] == uids[1:3], dat)
ok("recent-only-once", M.untagged_responses.get("RECENT") == [b"0"], M.untagged_responses.get("RECENT"))
ok("select-flags-keywords", b"$Forwarded" in M.untagged_responses.get("FLAGS", [b""])[0], M.untagged_responses.get("FLAGS"))
ok("select-permanentflags-star", b"\\*" in M.untagged_responses.get("PERMANENTFLAGS", [b""])[0] and b"$Forwarded" in M.untagged_responses.get("PERMANENTFLAGS", [b""])[0], M.untagged_responses.get("PERMANENTFLAGS"))

# a second session: its changes reach the first at NOOP; a delivery wakes IDLE
N = login()
N.select("INBOX")
N.store("1", "+FLAGS", "\\Flagged")
M.untagged_responses.clear()
M.noop()
ok("other-session-flags", any(b"FLAGS" in x and b"\\Flagged" in x for x in M.untagged_responses.get("FETCH", [])), M.untagged_responses)
N.store("1", "+FLAGS", "(Project)")
M.untagged_responses.clear()
M.noop()
ok("other-session-keyword", any(b"Project" in x for x in M.untagged_responses.get("FETCH", [])), M.untagged_responses)
N.store("2", "+FLAGS", "\\Deleted")
N.expunge()
M.untagged_responses.clear()
M.noop()
ok("other-session-expunge", M.untagged_responses.get("EXPUNGE") == [b"2"], M.untagged_responses)
N.logout()
tag = M._new_tag()
M.send(tag + b" IDLE\r\n")
ok("idle-continuation", M.readline().startswith(b"+"))
def later():
    time.sleep(0.5)
    subprocess.run(["setpriv", "--reuid=%d" % VUID, "--regid=%d" % (VUID + 1), "--clear-groups", TB + "/kurier-maildir", MD],
                   input=b"Subject: during idle\n\nhello\n", env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
threading.Thread(target=later).start()
M.sock.settimeout(10)
l = M.readline()
ok("idle-exists", l.strip() == b"* 2 EXISTS", l)
M.send(b"DONE\r\n")
rest = b""
while not rest.startswith(tag):
    rest = M.readline()
ok("idle-done", rest.startswith(tag + b" OK"), rest)
# SENTON takes the day the Date: header writes, whatever its zone (RFC 3501 §6.4.4)
M.append("INBOX.Done", None, None, b"Date: Tue, 24 Nov 2026 23:30:00 -0500\r\nSubject: late\r\n\r\nx\r\n")
typ, dat = M.select("INBOX.Done")
last = dat[0]
ok("senton-day-as-written", last in M.search(None, "SENTON", "24-Nov-2026")[1][0].split() and last not in M.search(None, "SENTON", "25-Nov-2026")[1][0].split(),
   (M.search(None, "SENTON", "24-Nov-2026"), M.search(None, "SENTON", "25-Nov-2026")))
# IDLE wakes for a keyword another session sets
M.select("INBOX")
N = login()
N.select("INBOX")
tag = M._new_tag()
M.send(tag + b" IDLE\r\n")
M.readline()
N.store("1", "+FLAGS", "(Urgent)")
N.logout()
l = M.readline()
ok("idle-keyword-from-other-session", b"FETCH" in l and b"Urgent" in l, l)
M.send(b"DONE\r\n")
rest = b""
while not rest.startswith(tag):
    rest = M.readline()
# kurier-imapd runs as the account, in its sandbox
pids = subprocess.run(["pgrep", "-x", "kurier-imapd"], capture_output=True, text=True).stdout.split()
st = [open("/proc/%s/status" % p).read() for p in pids]
ok("imapd-as-user", any(re.search(r"^Uid:\s+%d\s" % VUID, s, re.M) for s in st), pids)
ok("imapd-seccomp", all(re.search(r"^Seccomp:\s+2", s, re.M) and re.search(r"^NoNewPrivs:\s+1", s, re.M) for s in st) and st, pids)
M.logout()

ok("header-cache-written", os.path.exists(MD + "/kurier-headers") and open(MD + "/kurier-headers", "rb").read().startswith(b"kurier-headers 1 ") and b"Subject: message 3" in open(MD + "/kurier-headers", "rb").read())

# the top-level namespace (KURIER_IMAP_NAMESPACE=.), kurier-imapd run directly: PREAUTH over a pipe
p = subprocess.run(["setpriv", "--reuid=%d" % VUID, "--regid=%d" % (VUID + 1), "--clear-groups", "env", "KURIER_IMAP_NAMESPACE=.",
                    TB + "/kurier-imapd", MD], input=b'a NAMESPACE\r\nb CREATE Top\r\nc LIST "" "*"\r\nd CREATE INBOX.x\r\ne LOGOUT\r\n',
                   capture_output=True, timeout=30)
o = p.stdout
ok("preauth-greeting", o.startswith(b"* PREAUTH"), o[:80])
ok("namespace-top", b'* NAMESPACE (("" ".")) NIL' in o, o)
ok("namespace-top-create", b"b OK" in o and os.path.isdir(MD + "/.Top/cur"), o)
ok("namespace-top-list", b'"." "Top"' in o and b'"." "INBOX"' in o and b"INBOX.Top" not in o, o)
PY
