#!/bin/bash
# 53-local-dovecot.sh - Maildir++ interoperability with Dovecot, a private
# instance on 127.0.0.1 (mail_location = maildir:, quota = maildir):
# Dovecot reads a maildir and maildirsize that kurier-lspawn wrote (IMAP
# message count, GETQUOTAROOT usage), and kurier reads one Dovecot wrote
# with IMAP APPEND (kurier's recount agrees with Dovecot's maildirsize,
# and a kurier delivery's maildirsize line is seen by Dovecot).
. "$KURIER_SRC"/tests/lib.sh
. "$KURIER_SRC"/deliver/local-e2e.sh
[ "$(id -u)" = 0 ] || { skip "dovecot interop" "needs root"; exit 0; }
command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/imap ] ||
	{ skip "dovecot interop" "Debian dovecot-imapd is not installed"; exit 0; }
id dovenull >/dev/null 2>&1 && id dovecot >/dev/null 2>&1 ||
	{ skip "dovecot interop" "the dovecot and dovenull users are missing"; exit 0; }
l_setup || { notok "dovecot interop: test instance" "l_setup failed"; exit 1; }
A=kl53a
l_user $A || { notok "dovecot interop: useradd" ""; exit 1; }
H=$L_HOME
QUOTA_KB=1000
setpriv --reuid=$A --regid=$A --clear-groups "$TH/bin/maildirmake" -q $((QUOTA_KB * 1024))S "$H/Maildir"

# kurier writes: three messages of different sizes
for n in 1 2 3; do
	{ printf 'From: a@b\nSubject: kurier %s\n\n' $n; head -c $((n * 3000)) /dev/zero | tr '\0' k; echo; } > "$T/m$n"
	l_msg "$T/m$n"
	r=$(l_one s@r.example $A@local.example)
	case $r in K*) ok "kurier delivers message $n";; *) notok "kurier delivers message $n" "$r";; esac
done
# sum - the usage a maildirsize file states: "bytes count"
sum() { awk 'NR > 1 { b += $1; c += $2 } END { print b + 0, c + 0 }' "$1"; }
read -r kb kc < <(sum "$H/Maildir/maildirsize")
real=$(cat "$H"/Maildir/new/* | wc -c)
check "kurier: maildirsize counts 3 messages and their bytes" test "$kb $kc" = "$real 3"

# the private Dovecot
D=$T/dovecot
mkdir -p "$D/run" "$D/state" && chmod 755 "$D" "$D/run"
PORT=$(free_port)
cat > "$D/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/state
log_path = $D/log
info_log_path = $D/log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
mail_plugins = quota
first_valid_uid = 1
protocol imap {
  mail_plugins = \$mail_plugins imap_quota
}
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=${QUOTA_KB}K
}
passdb {
  driver = static
  args = password=secret53
}
userdb {
  driver = static
  args = uid=$A gid=$A home=$H
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
dovecot -c "$D/dovecot.conf" -F >"$D/stdout" 2>&1 &
DPID=$!
on_exit "kill $DPID; sleep 0.5; kill -9 $DPID"
if ! wait_port "$PORT"; then
	notok "dovecot starts" "$(tail -n 5 "$D/log" "$D/stdout" 2>/dev/null)"
	exit 1
fi
ok "dovecot starts on 127.0.0.1"

# imap PYTHON-STATEMENTS - run them with M logged in; prints what they print
imap() {
	timeout 30 python3 - "$PORT" "$A" "$1" <<'EOF'
import imaplib, sys, re
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login(sys.argv[2], "secret53")
exec(sys.argv[3])
M.logout()
EOF
}
out=$(imap '
typ, d = M.select("INBOX", readonly=True)
print("exists", d[0].decode())
typ, d = M.getquotaroot("INBOX")
m = re.search(rb"STORAGE (\d+) (\d+)", b" ".join(x for x in d[1] if isinstance(x, bytes)))
print("quota", m.group(1).decode(), m.group(2).decode())
typ, d = M.fetch("1:*", "(RFC822.SIZE)")
print("sizes", " ".join(sorted(re.search(rb"RFC822.SIZE (\d+)", x).group(1).decode() for x in d if isinstance(x, bytes))))
' 2>&1)
check "dovecot sees the 3 messages kurier delivered" grep -qx 'exists 3' <<<"$out"
used=$(sed -n 's/^quota \([0-9]*\) \([0-9]*\)$/\1/p' <<<"$out")
limit=$(sed -n 's/^quota \([0-9]*\) \([0-9]*\)$/\2/p' <<<"$out")
check "dovecot GETQUOTAROOT: the limit from the configuration" test "${limit:-x}" = $QUOTA_KB
check "dovecot GETQUOTAROOT: usage equals kurier's maildirsize (KiB, rounded up)" \
	test "${used:-x}" = $(( (kb + 1023) / 1024 ))
# RFC822.SIZE counts CRLF line ends: the file's bytes plus one per line
check "dovecot's sizes are the files' sizes with CRLF" test "$(sed -n 's/^sizes //p' <<<"$out")" = \
	"$(for f in "$H"/Maildir/new/*; do echo $(( $(stat -c %s "$f") + $(wc -l < "$f") )); done | sort | tr '\n' ' ' | sed 's/ $//')"

# Dovecot writes: APPEND two messages, one into a folder it creates
out=$(imap '
M.create("Lists")
for i, box in ((1, "INBOX"), (2, "Lists")):
    body = ("From: d@e\r\nSubject: dovecot %d\r\n\r\n" % i + "d" * (5000 * i) + "\r\n").encode()
    print(M.append(box, None, None, body)[0])
' 2>&1)
check "dovecot APPENDs two messages" test "$(grep -c '^OK$' <<<"$out")" = 2
check "dovecot made the folder as a Maildir++ .Lists" test -d "$H/Maildir/.Lists/cur" -o -d "$H/Maildir/.Lists/new"
read -r db dc < <(sum "$H/Maildir/maildirsize")
check "dovecot's maildirsize now counts 5 messages" test "$dc" = 5
# kurier recounts from the file names (Dovecot's ,S= tags) and must agree
setpriv --reuid=$A --regid=$A --clear-groups "$TH/bin/maildirmake" -q $((QUOTA_KB * 1024))S "$H/Maildir"
read -r rb rc < <(sum "$H/Maildir/maildirsize")
check "kurier's recount agrees with dovecot's maildirsize" test "$rb $rc" = "$db $dc"
# and a kurier delivery after that is counted by Dovecot too
l_msg "$T/m1"
r=$(l_one s@r.example $A@local.example)
case $r in K*) ok "kurier delivers into the maildir dovecot wrote";; *) notok "kurier delivers into the maildir dovecot wrote" "$r";; esac
read -r nb nc < <(sum "$H/Maildir/maildirsize")
out=$(imap '
typ, d = M.getquotaroot("INBOX")
m = re.search(rb"STORAGE (\d+) (\d+)", b" ".join(x for x in d[1] if isinstance(x, bytes)))
print("quota", m.group(1).decode())
typ, d = M.select("INBOX", readonly=True)
print("exists", d[0].decode())
' 2>&1)
check "dovecot counts kurier's new maildirsize line" test "$(sed -n 's/^quota //p' <<<"$out")" = $(( (nb + 1023) / 1024 ))
check "dovecot sees 5 messages in INBOX" grep -qx 'exists 5' <<<"$out"

# a folder kurier made and delivered into is a mailbox to Dovecot
setpriv --reuid=$A --regid=$A --clear-groups "$TH/bin/maildirmake" -f Work "$H/Maildir"
echo './Maildir/.Work/' > "$H/.courier-work"; chown $A: "$H/.courier-work"
l_msg "$T/m2"
r=$(l_one s@r.example $A-work@local.example)
case $r in K*) ok "kurier delivers into its folder .Work";; *) notok "kurier delivers into its folder .Work" "$r";; esac
read -r fb fc < <(sum "$H/Maildir/maildirsize")
out=$(imap '
print("list", " ".join(sorted(re.search(rb"\"([^\"]*)\"$|(\S+)$", x).group(0).decode().strip("\"") for x in M.list()[1])))
typ, d = M.select("Work", readonly=True)
print("exists", d[0].decode())
typ, d = M.getquotaroot("INBOX")
m = re.search(rb"STORAGE (\d+) (\d+)", b" ".join(x for x in d[1] if isinstance(x, bytes)))
print("quota", m.group(1).decode())
' 2>&1)
check "dovecot lists the folder" grep -q '^list .*\bWork\b' <<<"$out"
check "dovecot finds the message in it" grep -qx 'exists 1' <<<"$out"
check "dovecot's usage counts the folder as kurier's maildirsize does" \
	test "$(sed -n 's/^quota //p' <<<"$out")" = $(( (fb + 1023) / 1024 ))
