#!/bin/bash
# 83-imap-clients - real IMAP clients against kurier-imap-login, the real
# checkpw chain and kurier-imapd, over mail delivered by kurier-maildir:
# mbsync (isync) and offlineimap3 synchronise INBOX and a folder to local
# maildirs (bodies compared byte for byte, a flag set locally reaches the
# server's file name), and mutt copies every message to a local maildir.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/imapd/e2e-common.sh"

if [ "$imap_ready" != 1 ]; then skip imap-clients "no ${imap_missing:-userdb} in the test instance"; exit 0; fi
imap_start plain AUTH_PLAINTEXT_OK=1 || notok plain-listens
P=$PORT_plain
for i in 1 2 3; do
	printf 'From: c%s@example.org\nTo: test@imap.example\nSubject: client test %s\nMessage-ID: <c%s@example.org>\n\nclient body %s\n' \
		"$i" "$i" "$i" "$i" | deliver || notok "deliver-$i"
done
python3 - "$P" <<'PY'
import imaplib, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login("test@imap.example", "Sesame-9")
M.create("INBOX.Archive")
M.append("INBOX.Archive", "(\\Seen)", None, b"Subject: archived\r\nMessage-ID: <arch@example.org>\r\n\r\nold mail\r\n")
M.logout()
PY

# bodies - the sorted bodies (after the blank line) of every message file under a maildir
bodies() {
	python3 - "$@" <<'PY'
import os, sys
out = []
for root, dirs, files in os.walk(sys.argv[1]):
    if os.path.basename(root) not in ("cur", "new"):
        continue
    for f in files:
        b = open(os.path.join(root, f), "rb").read().replace(b"\r\n", b"\n")
        out.append(b.split(b"\n\n", 1)[1].decode(errors="replace").strip())
print("|".join(sorted(out)))
PY
}
want=$(bodies "$MD")

# mbsync
if command -v mbsync >/dev/null; then
	mkdir -p "$T/mbsync"
	cat >"$T/mbsyncrc" <<X
IMAPAccount k
Host 127.0.0.1
Port $P
User test@imap.example
Pass Sesame-9
SSLType None
AuthMechs LOGIN

IMAPStore k-remote
Account k

MaildirStore k-local
Path $T/mbsync/
Inbox $T/mbsync/INBOX
SubFolders Verbatim

Channel k
Far :k-remote:
Near :k-local:
Patterns *
Create Near
Sync All
SyncState *
X
	if timeout 60 mbsync -c "$T/mbsyncrc" -a >"$T/mbsync.log" 2>&1; then ok mbsync-runs; else notok mbsync-runs "$(tail -3 "$T/mbsync.log")"; fi
	got=$(bodies "$T/mbsync")
	[ "$got" = "$want" ] && ok mbsync-bodies || notok mbsync-bodies "got [$got] want [$want]"
	[ -n "$(ls "$T"/mbsync/*rchive*/cur 2>/dev/null)" ] && ok mbsync-folder || notok mbsync-folder "$(ls -R "$T/mbsync" | head)"
	# a flag set on the local copy goes back to the server's file name
	f=$(ls "$T/mbsync/INBOX/cur" "$T/mbsync/INBOX/new" 2>/dev/null | grep -v : | head -1; true)
	f=$(find "$T/mbsync/INBOX" -type f -path '*/cur/*' | head -1)
	[ -z "$f" ] && f=$(find "$T/mbsync/INBOX" -type f -path '*/new/*' | head -1)
	case $f in
	*:2,*) mv "$f" "${f%%:2,*}:2,F" ;;
	*) mv "$f" "$T/mbsync/INBOX/cur/$(basename "$f"):2,F" ;;
	esac
	timeout 60 mbsync -c "$T/mbsyncrc" -a >>"$T/mbsync.log" 2>&1
	if ls "$MD/cur" | grep -q ':2,.*F'; then ok mbsync-flag-upstream; else notok mbsync-flag-upstream "$(ls "$MD/cur")"; fi
else
	skip mbsync "mbsync (isync) not installed"
fi

# offlineimap3
if command -v offlineimap >/dev/null; then
	mkdir -p "$T/oi" "$T/oimeta"
	cat >"$T/oirc" <<X
[general]
accounts = k
metadata = $T/oimeta

[Account k]
localrepository = kl
remoterepository = kr

[Repository kl]
type = Maildir
localfolders = $T/oi

[Repository kr]
type = IMAP
remotehost = 127.0.0.1
remoteport = $P
remoteuser = test@imap.example
remotepass = Sesame-9
ssl = no
starttls = no
X
	if timeout 120 offlineimap -c "$T/oirc" -o -u quiet >"$T/oi.log" 2>&1; then ok offlineimap-runs; else notok offlineimap-runs "$(tail -5 "$T/oi.log")"; fi
	got=$(bodies "$T/oi")
	[ "$got" = "$want" ] && ok offlineimap-bodies || notok offlineimap-bodies "got [$got] want [$want]"
	[ -d "$T/oi/INBOX.Archive/cur" ] && ok offlineimap-folder || notok offlineimap-folder "$(ls "$T/oi")"
else
	skip offlineimap "offlineimap3 not installed"
fi

# mutt: copy every INBOX message to a local maildir
if command -v mutt >/dev/null && command -v script >/dev/null; then
	mkdir -p "$T/mutthome/Mail"
	cat >"$T/muttrc" <<X
set imap_user="test@imap.example"
set imap_pass="Sesame-9"
set ssl_starttls=no
set ssl_force_tls=no
set mbox_type=Maildir
set confirmcreate=no
set confirmappend=no
set quit=yes
set move=no
set header_cache=""
set message_cachedir=""
X
	# the keys go in through a folder-hook: pushed before the mailbox is
	# open, mutt would eat them while it connects
	HOME=$T/mutthome TERM=vt100 timeout 60 script -qec "mutt -n -F $T/muttrc -e 'folder-hook . \"push <first-entry><copy-message>$T/muttcopy<enter><next-entry><copy-message>$T/muttcopy<enter><next-entry><copy-message>$T/muttcopy<enter><quit>\"' -f imap://127.0.0.1:$P/INBOX" /dev/null \
		</dev/null >"$T/mutt.log" 2>&1
	got=$(bodies "$T/muttcopy")
	want_inbox=$(bodies "$MD" | tr '|' '\n' | grep -v 'old mail' | paste -sd'|')
	[ "$got" = "$want_inbox" ] && ok mutt-copy || notok mutt-copy "got [$got] want [$want_inbox] mutt: $(tr -c "[:print:]" " " <"$T/mutt.log" | tail -c 400)"
else
	skip mutt "mutt or script not installed"
fi
