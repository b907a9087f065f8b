#!/bin/bash
# 86-imap-folders - kurier-imapd's folder tree and what crosses it, driven
# by Python's imaplib through the real login chain on 127.0.0.1:
#  - LIST and LSUB over flat Maildir++ folders: a name with subfolders
#    and no folder of its own is \Noselect \HasChildren for "*" and "%"
#    (RFC 3501 6.3.8), CHILDREN attributes, LSUB "%" shows the
#    unsubscribed parent of a subscribed folder \Noselect (6.3.9), and
#    DELETE of a folder with subfolders (6.3.4);
#  - COPY, APPEND and MOVE under a Maildir++ quota: OVERQUOTA (RFC 9208)
#    with nothing copied, all or nothing when a copy fails part way,
#    maildirsize kept, MOVE reporting EXPUNGE only for what really left;
#  - public folders under conf-home/shared as "shared.NAME": listed only
#    when readable, read-only, read through a mirror in the user's
#    maildir, never written to, following the public folder's changes,
#    in the INBOX. namespace and the top-level one.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/imapd/e2e-common.sh"

if [ "$imap_ready" != 1 ]; then skip imap-folders "no ${imap_missing:-userdb} in the test instance"; exit 0; fi
imap_start plain AUTH_PLAINTEXT_OK=1 || notok plain-listens
imap_start noshared AUTH_PLAINTEXT_OK=1 KURIER_IMAP_SHARED= || notok noshared-listens

# three messages of about 1 kB each
for i in 1 2 3; do
	{ printf 'From: s%s@example.org\nSubject: message %s\n\n' "$i" "$i"; head -c 1000 /dev/zero | tr '\0' 'x'; printf '\n'; } | deliver || notok "deliver-$i" "exit $?"
done

# public folders, made by root as an administrator would: News (with
# News.Old below it) readable by all, Secret by root alone
S=$H/shared
for f in .News .News.Old .Secret; do mkdir -p "$S/$f/cur" "$S/$f/new" "$S/$f/tmp"; done
printf 'Subject: public one\n\nfirst public\n' >"$S/.News/cur/1700000001.P1.pub:2,S"
printf 'Subject: public two\n\nsecond public\n' >"$S/.News/new/1700000002.P2.pub"
printf 'Subject: secret\n\nhidden\n' >"$S/.Secret/cur/1700000003.P3.pub:2,"
chmod -R a+rX "$S"
chmod 700 "$S/.Secret"

python3 - "$PORT_plain" "$PORT_noshared" "$MD" "$S" "$VUID" "$TB" <<'PY'
import imaplib, os, re, sys
plain, noshared = int(sys.argv[1]), int(sys.argv[2])
MD, S, VUID, TB = sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
USER, PW = "test@imap.example", "Sesame-9"
imaplib.Commands["MOVE"] = ("SELECTED",)
def ok(name, cond, why=""):
    print(("ok %s" % name) if cond else ("not ok %s: %s" % (name, why)))
    sys.stdout.flush()
def login(port=plain):
    M = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    M.login(USER, PW)
    return M
def listing(dat):
    """{name: set(attributes)} of LIST or LSUB answers"""
    r = {}
    for d in dat:
        if d is None:
            continue
        m = re.match(rb'\(([^)]*)\) "\." "?([^"]*)"?$', d)
        if m:
            r[m.group(2).decode()] = set(m.group(1).decode().split())
    return r
def msgfiles(d):
    return sorted(os.listdir(d + "/cur") + os.listdir(d + "/new"))
def quota_used():
    lines = open(MD + "/maildirsize").read().split("\n")
    b = c = 0
    for l in lines[1:]:
        if l.strip():
            x, y = l.split()
            b += int(x); c += int(y)
    return b, c

# ---- LIST and LSUB: names with subfolders but no folder of their own
M = login()
for f in ("INBOX.A.B", "INBOX.Plain", "INBOX.Top", "INBOX.Top.Kid"):
    typ, dat = M.create(f)
    ok("create-" + f, typ == "OK", dat)
ok("flat-maildir-no-parent", os.path.isdir(MD + "/.A.B") and not os.path.exists(MD + "/.A"), os.listdir(MD))
typ, dat = M.list('""', "*")
L = listing(dat)
ok("list-star-noselect-parent", L.get("INBOX.A") == {"\\Noselect", "\\HasChildren"}, L)
ok("list-star-child", L.get("INBOX.A.B") == {"\\HasNoChildren"}, L)
ok("list-haschildren-real", L.get("INBOX.Top") == {"\\HasChildren"}, L)
ok("list-hasnochildren", L.get("INBOX.Plain") == {"\\HasNoChildren"}, L)
ok("list-inbox-haschildren", L.get("INBOX") == {"\\HasChildren"}, L)
typ, dat = M.list('""', "INBOX.%")
L = listing(dat)
ok("list-percent-noselect-parent", L.get("INBOX.A") == {"\\Noselect", "\\HasChildren"} and "INBOX.A.B" not in L and "INBOX.Top" in L, L)
typ, dat = M.list("INBOX.A.", "%")
ok("list-reference", listing(dat) == {"INBOX.A.B": {"\\HasNoChildren"}}, dat)
typ, dat = M.list('""', "%")
L = listing(dat)
ok("list-percent-top", "INBOX" in L and L.get("shared") == {"\\Noselect", "\\HasChildren"} and "INBOX.A" not in L, L)
# LSUB: the subscribed folder under an unsubscribed parent
M.subscribe("INBOX.A.B")
M.create("INBOX.Gone")
M.subscribe("INBOX.Gone")
M.delete("INBOX.Gone")
typ, dat = M.lsub('""', "INBOX.%")
L = listing(dat)
ok("lsub-percent-parent-noselect", "INBOX.A" in L and "\\Noselect" in L["INBOX.A"] and "INBOX.A.B" not in L, L)
typ, dat = M.lsub('""', "*")
L = listing(dat)
ok("lsub-star-no-parent", "INBOX.A.B" in L and "INBOX.A" not in L and "\\Noselect" not in L["INBOX.A.B"], L)
ok("lsub-keeps-missing-name", L.get("INBOX.Gone") == {"\\Noselect"}, L)
M.subscribe("INBOX.Top")
typ, dat = M.lsub('""', "INBOX.%")
L = listing(dat)
ok("lsub-subscribed-parent-selectable", L.get("INBOX.Top") == {"\\HasChildren"}, L)
# DELETE (RFC 3501 6.3.4): a folder with subfolders loses its messages and stays as \Noselect
M.append("INBOX.Top", None, None, b"Subject: in top\r\n\r\nx\r\n")
typ, dat = M.delete("INBOX.Top")
ok("delete-with-children", typ == "OK" and not os.path.exists(MD + "/.Top") and os.path.isdir(MD + "/.Top.Kid"), dat)
L = listing(M.list('""', "INBOX.*")[1])
ok("deleted-parent-noselect", L.get("INBOX.Top") == {"\\Noselect", "\\HasChildren"} and "INBOX.Top.Kid" in L, L)
typ, dat = M.delete("INBOX.A")
ok("delete-noselect-refused", typ == "NO" and b"CANNOT" in dat[0] and os.path.isdir(MD + "/.A.B"), dat)
typ, dat = M.select("INBOX.A")
ok("select-noselect-refused", typ == "NO", dat)
typ, dat = M.delete("INBOX.Nothing")
ok("delete-missing", typ == "NO" and b"NONEXISTENT" in dat[0], dat)
typ, dat = M.rename("INBOX.Top", "INBOX.Moved")
ok("rename-noselect-moves-children", typ == "OK" and os.path.isdir(MD + "/.Moved.Kid") and not os.path.exists(MD + "/.Top.Kid"), (dat, os.listdir(MD)))
L = listing(M.list('""', "INBOX.*")[1])
ok("renamed-noselect-listed", L.get("INBOX.Moved") == {"\\Noselect", "\\HasChildren"} and "INBOX.Top" not in L, L)
typ, dat = M.rename("INBOX.Nothing", "INBOX.Else")
ok("rename-missing", typ == "NO" and b"NONEXISTENT" in dat[0], dat)
M.logout()

# ---- quota: COPY, APPEND and MOVE
M = login()
M.create("INBOX.Dst")
M.create("INBOX.Trash")
M.select("INBOX")
sizes = {}
for n in os.listdir(MD + "/cur"):
    sizes[n.split(":")[0]] = int(re.search(r",S=(\d+)", n).group(1))
one = max(sizes.values())
used = sum(sizes.values())
# room for one more message, not for three
with open(MD + "/maildirsize", "w") as f:
    f.write("%dS\n%d %d\n" % (used + one + one // 2, used, len(sizes)))
os.chown(MD + "/maildirsize", VUID, VUID + 1)
typ, dat = M.copy("1:3", "INBOX.Dst")
ok("copy-overquota", typ == "NO" and b"OVERQUOTA" in dat[0], dat)
ok("copy-overquota-nothing-copied", msgfiles(MD + "/.Dst") == [], msgfiles(MD + "/.Dst"))
ok("copy-overquota-size-unchanged", quota_used() == (used, 3), quota_used())
typ, dat = M.copy("1", "INBOX.Dst")
ok("copy-within-quota", typ == "OK" and len(msgfiles(MD + "/.Dst")) == 1, dat)
ok("copy-counted", quota_used()[1] == 4 and quota_used()[0] >= used + 1000, (quota_used(), used))
typ, dat = M.copy("2:3", "INBOX.Trash")
ok("copy-to-trash-not-counted", typ == "OK" and quota_used()[1] == 4 and len(msgfiles(MD + "/.Trash")) == 2, (dat, quota_used()))
typ, dat = M.append("INBOX", None, None, b"Subject: big\r\n\r\n" + b"y" * 1000 + b"\r\n")
ok("append-overquota", typ == "NO" and b"OVERQUOTA" in dat[0], dat)
# MOVE between two counted folders adds nothing net: allowed even when full
M.untagged_responses.clear()
typ, dat = M._simple_command("MOVE", "2:3", "INBOX.Dst")
ok("move-net-zero-allowed", typ == "OK" and len(msgfiles(MD + "/.Dst")) == 3 and len(msgfiles(MD)) == 1, (typ, dat, msgfiles(MD)))
ok("move-expunges", M.untagged_responses.get("EXPUNGE") in ([b"2", b"2"], [b"3", b"2"]), M.untagged_responses)
ok("move-quota-net-zero", quota_used()[1] == 4, quota_used())
# a copy failing part way takes back what it made: message 2 of .Dst is unreadable to the user
M.select("INBOX.Dst")
typ, dat = M.fetch("1:*", "(UID)")
victim = [MD + "/.Dst/cur/" + n for n in os.listdir(MD + "/.Dst/cur") if b"Subject: message 3" in open(MD + "/.Dst/cur/" + n, "rb").read()][0]
os.chown(victim, 0, 0)
os.chmod(victim, 0)
with open(MD + "/maildirsize", "w") as f:
    f.write("100000000S\n%d %d\n" % quota_used())
before = quota_used()
typ, dat = M.copy("1:3", "INBOX.Plain")
ok("copy-partway-failure-no", typ == "NO", dat)
ok("copy-partway-nothing-left", msgfiles(MD + "/.Plain") == [], msgfiles(MD + "/.Plain"))
ok("copy-partway-quota-unchanged", quota_used() == before, (quota_used(), before))
M.untagged_responses.clear()
typ, dat = M._simple_command("MOVE", "1:3", "INBOX.Plain")
ok("move-partway-nothing-moved", typ == "NO" and msgfiles(MD + "/.Plain") == [] and len(msgfiles(MD + "/.Dst")) == 3 and "EXPUNGE" not in M.untagged_responses,
   (typ, dat, msgfiles(MD + "/.Plain"), M.untagged_responses))
os.chown(victim, VUID, VUID + 1)
os.chmod(victim, 0o600)
# MOVE whose source cannot be removed: the copy stays, the source stays, no EXPUNGE for it
os.chown(MD + "/.Dst/cur", 0, 0)
os.chmod(MD + "/.Dst/cur", 0o755)
M.untagged_responses.clear()
typ, dat = M._simple_command("MOVE", "1", "INBOX.Plain")
ok("move-unremovable-source", typ == "OK" and b"both" in dat[-1] and len(msgfiles(MD + "/.Plain")) == 1 and len(msgfiles(MD + "/.Dst")) == 3,
   (typ, dat, M.untagged_responses))
ok("move-unremovable-no-expunge", "EXPUNGE" not in M.untagged_responses, M.untagged_responses)
os.chown(MD + "/.Dst/cur", VUID, VUID + 1)
os.chmod(MD + "/.Dst/cur", 0o700)
M.logout()

# ---- public folders
M = login()
typ, dat = M.namespace()
ok("namespace-shared", dat == [b'(("INBOX." ".")) NIL (("shared." "."))'], dat)
L = listing(M.list('""', "shared.*")[1])
ok("shared-list", L.get("shared.News") == {"\\HasChildren"} and L.get("shared.News.Old") == {"\\HasNoChildren"}, L)
ok("shared-unreadable-not-listed", "shared.Secret" not in L, L)
typ, dat = M.select("shared.Secret")
ok("shared-unreadable-select", typ == "NO" and b"NONEXISTENT" in dat[0], dat)
M.untagged_responses.clear()
typ, dat = M._simple_command("SELECT", "shared.News")
M.state = "SELECTED"
M.is_readonly = True
ok("shared-select", typ == "OK" and M.untagged_responses.get("EXISTS") == [b"2"], (dat, M.untagged_responses))
ok("shared-select-read-only", "READ-ONLY" in M.untagged_responses, (dat, M.untagged_responses))
ok("shared-select-permanentflags-empty", M.untagged_responses.get("PERMANENTFLAGS") == [b"()"], M.untagged_responses.get("PERMANENTFLAGS"))
uv = M.untagged_responses["UIDVALIDITY"][0]
typ, dat = M.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
fl = [d for d in dat if isinstance(d, tuple)]
ok("shared-fetch", len(fl) == 2 and b"public one" in fl[0][1] and b"public two" in fl[1][1] and b"\\Seen" in fl[0][0] and b"\\Seen" not in fl[1][0], dat)
uids = [int(re.search(rb"UID (\d+)", d[0]).group(1)) for d in dat if isinstance(d, tuple)]
typ, dat = M.fetch("2", "(BODY[TEXT])")
ok("shared-fetch-body", dat[0][1] == b"second public\r\n", dat)
ok("shared-search", M.search(None, "BODY", "second")[1] == [b"2"], M.search(None, "BODY", "second"))
typ, dat = M.store("1", "+FLAGS", "(\\Flagged)")
ok("shared-store-refused", typ == "NO", dat)
ok("shared-flags-untouched", sorted(os.listdir(S + "/.News/cur")) == ["1700000001.P1.pub:2,S"], os.listdir(S + "/.News/cur"))
typ, dat = M.copy("1:2", "INBOX.Plain")
ok("shared-copy-from", typ == "OK" and len(msgfiles(MD + "/.Plain")) == 3, (dat, msgfiles(MD + "/.Plain")))
typ, dat = M.copy("1", "shared.News.Old")
ok("shared-copy-into-refused", typ == "NO" and b"NOPERM" in dat[0] and msgfiles(S + "/.News.Old") == [], dat)
typ, dat = M.append("shared.News", None, None, b"Subject: x\r\n\r\ny\r\n")
ok("shared-append-refused", typ == "NO" and b"NOPERM" in dat[0], dat)
typ, dat = M.create("shared.Mine")
ok("shared-create-refused", typ == "NO" and b"NOPERM" in dat[0] and not os.path.exists(S + "/.Mine"), dat)
typ, dat = M.delete("shared.News.Old")
ok("shared-delete-refused", typ == "NO" and os.path.isdir(S + "/.News.Old"), dat)
typ, dat = M.status("shared.News", "(MESSAGES UIDNEXT)")
ok("shared-status", typ == "OK" and b"MESSAGES 2" in dat[0], dat)
# a public file the user may also write: the kernel lets the mirror hard-link it instead of copying
pf = S + "/.News.Old/cur/1700000006.P6.pub:2,"
open(pf, "w").write("Subject: linked\n\nx\n")
os.chmod(pf, 0o666)
typ, dat = M.status("shared.News.Old", "(MESSAGES)")
mf = MD + "/kurier-shared/.News.Old/cur/1700000006.P6.pub:2,"
ok("shared-hard-link", typ == "OK" and b"MESSAGES 1" in dat[0] and os.path.exists(mf) and os.stat(mf).st_ino == os.stat(pf).st_ino, (dat, MD))
ok("shared-copy-not-link", os.stat(MD + "/kurier-shared/.News/cur/1700000001.P1.pub:2,S").st_ino != os.stat(S + "/.News/cur/1700000001.P1.pub:2,S").st_ino)
ok("shared-subscribe", M.subscribe("shared.News")[0] == "OK" and "shared.News" in listing(M.lsub('""', "shared.%")[1]))
ok("shared-nothing-written", sorted(os.listdir(S + "/.News")) == ["cur", "new", "tmp"] and os.listdir(S + "/.News/new") == ["1700000002.P2.pub"],
   (os.listdir(S + "/.News"), os.listdir(S + "/.News/new")))
ok("shared-mirror-private", os.path.isdir(MD + "/kurier-shared/.News/cur") and os.stat(MD + "/kurier-shared").st_uid == VUID and
   os.stat(MD + "/kurier-shared").st_mode & 0o077 == 0, MD)
# the public folder changes: a new message, a flag set by its owner, one removed
open(S + "/.News/cur/1700000004.P4.pub:2,", "w").write("Subject: public three\n\nthird\n")
os.chmod(S + "/.News/cur/1700000004.P4.pub:2,", 0o644)
os.rename(S + "/.News/cur/1700000001.P1.pub:2,S", S + "/.News/cur/1700000001.P1.pub:2,FS")
M.untagged_responses.clear()
M.noop()
ok("shared-noop-exists", M.untagged_responses.get("EXISTS") == [b"3"], M.untagged_responses)
ok("shared-noop-flags", any(b"\\Flagged" in x for x in M.untagged_responses.get("FETCH", [])), M.untagged_responses)
os.unlink(S + "/.News/new/1700000002.P2.pub")
M.untagged_responses.clear()
M.noop()
ok("shared-noop-expunge", M.untagged_responses.get("EXPUNGE") == [b"2"], M.untagged_responses)
# IDLE wakes for a message arriving in the public folder
tag = M._new_tag()
M.send(tag + b" IDLE\r\n")
ok("shared-idle-continuation", M.readline().startswith(b"+"))
open(S + "/.News/new/1700000005.P5.pub", "w").write("Subject: public four\n\nfourth\n")
os.chmod(S + "/.News/new/1700000005.P5.pub", 0o644)
M.sock.settimeout(10)
l = M.readline()
ok("shared-idle-exists", l.strip() == b"* 3 EXISTS", l)
M.send(b"DONE\r\n")
rest = b""
while not rest.startswith(tag):
    rest = M.readline()
ok("shared-idle-done", rest.startswith(tag + b" OK"), rest)
os.unlink(S + "/.News/new/1700000005.P5.pub")
M.logout()
# UIDs last across sessions
M = login()
typ, dat = M.select("shared.News", readonly=True)
typ, dat2 = M.fetch("1:*", "(UID)")
u2 = [int(re.search(rb"UID (\d+)", d).group(1)) for d in dat2]
ok("shared-uids-stable", M.untagged_responses["UIDVALIDITY"][0] == uv and u2[0] == uids[0] and u2[1] > uids[1], (u2, uids))
# the folder closed to the user: gone from the list, and its mirror with it
os.chmod(S + "/.News.Old", 0o700)
ok("shared-closed-select", M.select("shared.News.Old", readonly=True)[0] == "NO")
ok("shared-closed-not-listed", "shared.News.Old" not in listing(M.list('""', "*")[1]) and not os.path.exists(MD + "/kurier-shared/.News.Old"))
# a public folder removed altogether: the next LIST drops its mirror and the copies in it
for sub in ("cur", "new", "tmp"):
    os.makedirs(S + "/.Temp/" + sub)
open(S + "/.Temp/cur/1700000007.P7.pub:2,", "w").write("Subject: temp\n\nx\n")
os.system("chmod -R a+rX '%s/.Temp'" % S)
typ, dat = M.status("shared.Temp", "(MESSAGES)")
ok("shared-temp-mirrored", typ == "OK" and b"MESSAGES 1" in dat[0] and os.path.isdir(MD + "/kurier-shared/.Temp/cur"), dat)
os.system("rm -rf '%s/.Temp'" % S)
L = listing(M.list('""', "shared.*")[1])
ok("shared-removed-mirror-pruned", "shared.Temp" not in L and not os.path.exists(MD + "/kurier-shared/.Temp") and os.path.isdir(MD + "/kurier-shared/.News"),
   (L, os.listdir(MD + "/kurier-shared")))
# the quota root "" is the user's maildir: a public folder is not under it
typ, dat = M.getquotaroot("shared.News")
ok("shared-no-quota-root", typ == "OK" and dat[0] == [b'"shared.News"'], dat)
typ, dat = M.getquotaroot("INBOX")
ok("inbox-quota-root", typ == "OK" and dat[0] == [b'"INBOX" ""'], dat)
M.logout()
# the top-level namespace keeps shared. for the public folders (kurier-imapd run directly, PREAUTH over a pipe)
import subprocess
p = subprocess.run(["setpriv", "--reuid=%d" % VUID, "--regid=%d" % (VUID + 1), "--clear-groups", "env", "KURIER_IMAP_NAMESPACE=.",
                    "KURIER_IMAP_SHARED=" + S, TB + "/kurier-imapd", MD],
                   input=b'a NAMESPACE\r\nb LIST "" "*"\r\nc CREATE shared\r\nd EXAMINE shared.News\r\ne LOGOUT\r\n', capture_output=True, timeout=30)
o = p.stdout
ok("top-namespace-shared", b'* NAMESPACE (("" ".")) NIL (("shared." "."))' in o, o)
ok("top-list", b'"." "Plain"' in o and b'"." "shared.News"' in o and b'(\\HasChildren \\Noselect) "." "shared"' in o and b"INBOX.Plain" not in o, o)
ok("top-shared-not-a-folder", b"c NO" in o and not os.path.exists(MD + "/.shared"), o)
ok("top-examine-shared", b"d OK [READ-ONLY]" in o, o)
# without public folders (KURIER_IMAP_SHARED empty)
M = login(noshared)
ok("namespace-no-shared", M.namespace()[1] == [b'(("INBOX." ".")) NIL NIL'], M.namespace())
ok("no-shared-list", not any(n.startswith("shared") for n in listing(M.list('""', "*")[1])), M.list('""', "*"))
ok("no-shared-select", M.select("shared.News", readonly=True)[0] == "NO")
M.logout()
PY
