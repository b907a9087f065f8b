#!/bin/bash
# 87-imap-index - sessions opened from the binary index (kurier-index,
# kurier-uidlist(5)): the first SELECT of a quiet folder writes it, later
# ones map it; two sessions on the index at once see each other's flag
# changes, keywords and expunges and a delivery at NOOP; a session after
# all that sees the same UIDs as a full look; a damaged index is read as
# missing.  The folder's directory times are set into the past before
# each open, as for a folder nobody touched for a while (the index is
# trusted only for settled times).
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/imapd/e2e-common.sh"

if [ "$imap_ready" != 1 ]; then skip imap-index "no ${imap_missing:-userdb} in the test instance"; exit 0; fi
imap_start plain AUTH_PLAINTEXT_OK=1 || notok plain-listens
for i in $(seq 1 30); do printf 'Subject: indexed %s\n\nbody %s\n' "$i" "$i" | deliver; done

python3 - "$PORT_plain" "$MD" "$VUID" "$VGID" "$TB" <<'PY'
import imaplib, os, re, sys, time
port, MD, VUID, VGID, TB = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
IDX = os.path.join(MD, "kurier-index")
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
def settle():
    # as if nobody had touched the folder for a minute
    t = time.time() - 60
    for d in ("cur", "new"):
        os.utime(os.path.join(MD, d), (t, t))
def login():
    M = imaplib.IMAP4("127.0.0.1", port)
    M.login("test@imap.example", "Sesame-9")
    return M
def uids(M):
    typ, dat = M.fetch("1:*", "(UID FLAGS)")
    return [(int(re.search(rb"UID (\d+)", d).group(1)),
             tuple(sorted(set(re.search(rb"FLAGS \(([^)]*)\)", d).group(1).split()) - {b"\\Recent"}))) for d in dat]
def maps_index():
    # the newest kurier-imapd of the account has the index mapped: its table is in use
    pid = os.popen("pgrep -n -u %s -x kurier-imapd" % VUID).read().strip()
    try:
        return pid and "kurier-index" in open("/proc/%s/maps" % pid).read()
    except OSError:
        return False
def fetches(M):
    return M.untagged_responses.get("FETCH", [])

# the first look moves new/ to cur/ and numbers everything; once quiet, a full look writes the index
A = login()
A.select("INBOX")
A.logout()
settle()
A = login()
typ, dat = A.select("INBOX")
full = uids(A)
A.logout()
ok("index-written", os.path.exists(IDX), os.listdir(MD))
ok("full-look", typ == "OK" and dat == [b"30"] and [u for u, f in full] == list(range(1, 31)), (typ, dat, full))
ino = os.stat(IDX).st_ino

# two sessions from the index at once: the second maps it elsewhere
B = login()
typ, dat = B.select("INBOX")
ok("b-from-index", typ == "OK" and dat == [b"30"] and uids(B) == full and maps_index(), (typ, dat))
C = login()
typ, dat = C.select("INBOX")
ok("c-from-index", typ == "OK" and dat == [b"30"] and uids(C) == full and maps_index(), (typ, dat))
ok("index-not-rewritten-by-reads", os.stat(IDX).st_ino == ino)
C.store("1", "+FLAGS", "(\\Flagged)")
B.untagged_responses.clear()
B.noop()
ok("b-sees-c-flags", any(re.match(rb"1 \(FLAGS \(.*\\Flagged", x) for x in fetches(B)), fetches(B))
C.store("2", "+FLAGS", "(Project)")
B.untagged_responses.clear()
B.noop()
ok("b-sees-c-keyword", any(re.match(rb"2 \(FLAGS \(.*Project", x) for x in fetches(B)), fetches(B))
C.store("3", "+FLAGS", "(\\Deleted)")
C.expunge()
B.untagged_responses.clear()
B.noop()
ok("b-sees-c-expunge", B.untagged_responses.get("EXPUNGE") == [b"3"], B.untagged_responses)
os.system("printf 'Subject: late\\n\\nlate\\n' | ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=%s --regid=%s --clear-groups %s/kurier-maildir %s"
          % (VUID, VGID, TB, MD))
B.untagged_responses.clear()
B.noop()
ok("b-sees-delivery", B.untagged_responses.get("EXISTS") == [b"30"], B.untagged_responses)
typ, dat = B.fetch("30", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
ok("delivery-next-uid", typ == "OK" and b"UID 31" in dat[0][0] and b"late" in dat[0][1], dat)
after = uids(B)
B.logout()
C.logout()

# quiet again: a full look, then the index, agree on every UID and flag
settle()
D = login()
D.select("INBOX")
d = uids(D)
D.logout()
ok("full-look-after", d == after and len(d) == 30, (d, after))
E = login()
E.select("INBOX")
e = uids(E)
ok("e-from-index", maps_index())
E.logout()
ok("index-after", e == after, (e, after))
ok("index-rewritten", os.path.exists(IDX) and os.stat(IDX).st_ino != ino)

# a damaged index is read as missing: the same UIDs from the text list
with open(IDX, "r+b") as f:
    f.truncate(os.path.getsize(IDX) // 2)
F = login()
typ, dat = F.select("INBOX")
f_ = uids(F)
ok("damaged-index-not-mapped", not maps_index())
F.logout()
ok("damaged-index-ignored", typ == "OK" and f_ == after, (typ, f_))
with open(IDX, "wb") as f:
    f.write(b"\0" * 4096)
F = login()
typ, dat = F.select("INBOX")
f_ = uids(F)
F.logout()
ok("zeroed-index-ignored", typ == "OK" and f_ == after, (typ, f_))
PY
