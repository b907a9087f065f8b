#!/bin/bash
# 84-imap-dovecot - kurier-imapd and Dovecot's imap serving the same
# maildir one after the other: flags that kurier stores (in the file
# names) are what Dovecot shows, flags Dovecot stores are what kurier
# shows, and kurier's UIDs and UIDVALIDITY survive Dovecot's visit.  Each
# server keeps its own UID list (kurier-uidlist, dovecot-uidlist): UIDs
# are not shared between them, flags are.  Dovecot runs pre-authenticated
# as the account, with a private base_dir.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/imapd/e2e-common.sh"

if [ "$imap_ready" != 1 ]; then skip imap-dovecot "no ${imap_missing:-userdb} in the test instance"; exit 0; fi
if [ ! -x /usr/lib/dovecot/imap ]; then skip imap-dovecot "Debian dovecot-imapd is not installed"; exit 0; fi
imap_start plain AUTH_PLAINTEXT_OK=1 || notok plain-listens
for i in 1 2 3; do printf 'Subject: shared %s\n\nbody %s\n' "$i" "$i" | deliver; done
mkdir -p "$T/dv"
chown "$VUID:$VGID" "$T/dv"
cat >"$T/dv/dovecot.conf" <<X
base_dir = $T/dv/run
log_path = $T/dv/log
mail_location = maildir:$MD
ssl = no
X
cat >"$T/dovecot-imap" <<X
#!/bin/sh
exec setpriv --reuid=$VUID --regid=$VGID --clear-groups env -i HOME=$V USER=test /usr/lib/dovecot/imap -c $T/dv/dovecot.conf
X
chmod 755 "$T/dovecot-imap"
dport=$(free_port)
tcpserver -H -R -l0 127.0.0.1 "$dport" "$T/dovecot-imap" 2>>"$T/dv.log" &
on_exit "kill $!"
wait_port "$dport" || notok dovecot-listens

python3 - "$PORT_plain" "$dport" "$MD" <<'PY'
import imaplib, os, re, sys
kport, dport, MD = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
def flags(M):
    typ, dat = M.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    out = {}
    for d in dat:
        if isinstance(d, tuple):
            subj = d[1].decode().strip()
            fl = set(re.search(r"FLAGS \(([^)]*)\)", d[0].decode()).group(1).split()) - {"\\Recent"}
            out[subj] = fl
    return out
def uids(M):
    typ, dat = M.fetch("1:*", "(UID)")
    return [int(re.search(rb"UID (\d+)", d).group(1)) for d in dat]
K = imaplib.IMAP4("127.0.0.1", kport)
K.login("test@imap.example", "Sesame-9")
K.select("INBOX")
kuv = K.untagged_responses["UIDVALIDITY"][0]
kuids = uids(K)
K.store("1", "+FLAGS", "(\\Flagged)")
K.store("2", "+FLAGS", "(\\Seen \\Answered)")
K.logout()
D = imaplib.IMAP4("127.0.0.1", dport)
ok("dovecot-preauth", D.state == "AUTH", D.state)
D.select("INBOX")
f = flags(D)
ok("dovecot-sees-kurier-flags", f.get("Subject: shared 1") == {"\\Flagged"} and f.get("Subject: shared 2") == {"\\Seen", "\\Answered"} and f.get("Subject: shared 3") == set(), f)
D.store("1", "-FLAGS", "(\\Flagged)")
D.store("3", "+FLAGS", "(\\Deleted \\Draft)")
D.logout()
ok("both-uidlists", os.path.exists(MD + "/kurier-uidlist") and os.path.exists(MD + "/dovecot-uidlist"), os.listdir(MD))
K = imaplib.IMAP4("127.0.0.1", kport)
K.login("test@imap.example", "Sesame-9")
K.select("INBOX")
f = flags(K)
ok("kurier-sees-dovecot-flags", f.get("Subject: shared 1") == set() and f.get("Subject: shared 2") == {"\\Seen", "\\Answered"} and f.get("Subject: shared 3") == {"\\Deleted", "\\Draft"}, f)
ok("kurier-uidvalidity-kept", K.untagged_responses["UIDVALIDITY"][0] == kuv)
ok("kurier-uids-kept", uids(K) == kuids, (uids(K), kuids))
K.expunge()
K.logout()
D = imaplib.IMAP4("127.0.0.1", dport)
typ, dat = D.select("INBOX")
ok("dovecot-sees-kurier-expunge", dat == [b"2"], dat)
D.logout()
PY
