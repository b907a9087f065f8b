#!/bin/bash
# 49-send-lspawn.sh - kurier-send with the real kurier-lspawn (the remote
# side is still the stand-in): a message for a system account lands in
# its Maildir through the default delivery kurier-start passes on; an
# unknown local user is bounced as an RFC 3464 report; kurier-send and
# kurier-clean run confined (SECURITY.md 25).
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
. "$KURIER_SRC/queue/e2e-send.sh"
s_setup || { notok "send test instance" "setup failed"; exit 1; }
if [ ! -x "$TB/kurier-lspawn" ]; then
	skip "send with kurier-lspawn" "kurier-lspawn is not built"
	exit 0
fi
install -o root -g kurier -m 0700 "$TB/kurier-lspawn" "$QB/kurier-lspawn"
for p in kurier-local kurier-maildir; do [ -x "$TB/$p" ] && install -m 0755 "$TB/$p" "$QB/$p"; done
u=kqsend$$
u=${u:0:16}
useradd -m -d "$T/home/$u" -s /usr/sbin/nologin -U "$u" || { notok "send: test user" "useradd failed"; exit 1; }
on_exit "userdel $u; groupdel $u"
chmod 700 "$T/home/$u"
for d in tmp new cur; do mkdir -p "$T/home/$u/Maildir/$d"; done
chown -R "$u:$u" "$T/home/$u/Maildir"; chmod -R 700 "$T/home/$u/Maildir"

S_LSPAWN= s_start ./Maildir/
printf 'Subject: real\n\nhello through kurier-lspawn\n' >"$T/msg"
s_inject 'from@far.example' "$u@local.example" 'nosuchuser-kq@local.example'
id=$(q_files "$Q/info" | head -1); id=${id##*/}
s_wait "delivery [0-9]*: success:" 15 && ok "lspawn: delivery success logged" || notok "lspawn: success" "$(tail "$T/send.log")"
f=$(ls "$T/home/$u/Maildir/new/" 2>/dev/null | head -1)
[ -n "$f" ] && grep -q 'hello through kurier-lspawn' "$T/home/$u/Maildir/new/$f" &&
	ok "lspawn: the message is in the account's Maildir/new" || notok "lspawn: maildir" "$(ls -R "$T/home/$u/Maildir")"
[ -n "$f" ] && [ "$(stat -c %U "$T/home/$u/Maildir/new/$f")" = "$u" ] && ok "lspawn: delivered as the user" ||
	notok "lspawn: owner" "$(stat -c %U "$T/home/$u/Maildir/new/$f" 2>/dev/null)"
s_wait "delivery [0-9]*: failure:" 15 && ok "lspawn: the unknown user fails permanently" || notok "lspawn: failure" "$(tail "$T/send.log")"
s_wait "^bounce msg" 15 && ok "lspawn: a bounce is queued" || notok "lspawn: bounce" "$(tail "$T/send.log")"
for i in $(seq 50); do [ -n "$(ls "$T/md/from@far.example/new" 2>/dev/null)" ] && break; sleep 0.1; done
b=$(ls "$T/md/from@far.example/new/"* 2>/dev/null | head -1)
if [ -n "$b" ] && python3 - "$b" <<'PY'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
assert m.get_content_type() == "multipart/report"
ds = m.get_payload()[1].get_payload()
r = ds[1]
assert r["Final-Recipient"] == "rfc822; nosuchuser-kq@local.example", r["Final-Recipient"]
assert r["Action"] == "failed" and r["Status"].startswith("5."), (r["Action"], r["Status"])
PY
then ok "lspawn: the bounce reports the unknown user"; else notok "lspawn: bounce report" "$b"; fi
for p in kurier-send kurier-clean; do
	pid=$(pgrep -x "$p" | head -1)
	st=$(grep -E '^(Seccomp|NoNewPrivs):' "/proc/$pid/status" 2>/dev/null | tr -s '\t ' ' ' | tr '\n' ' ')
	case $st in *"NoNewPrivs: 1"*"Seccomp: 2"*) ok "lspawn: $p runs under seccomp with no_new_privs" ;;
	*) notok "lspawn: $p confinement" "$st" ;; esac
	[ "$(ps -o user= -p "$pid")" = "$([ $p = kurier-send ] && echo kuriers || echo kurierq)" ] &&
		ok "lspawn: $p runs as its own user" || notok "lspawn: $p user" "$(ps -o user= -p "$pid")"
done
s_stop
