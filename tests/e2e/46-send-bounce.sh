#!/bin/bash
# 46-send-bounce.sh - kurier-send's bounces, parsed as RFC 3464 reports
# with Python's email package: a failure, a double bounce to
# doublebounceto, a triple bounce dropped, queuelifetime expiry (after
# SIGHUP rereads it), one delay warning, a crash with a bounce still owed
# (SECURITY.md 45), and kurier-qmsg's retry and remove requests.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
. "$KURIER_SRC/queue/e2e-send.sh"
s_setup || { notok "send test instance" "setup failed"; exit 1; }
split=$(head -n 1 "$KURIER_SRC/conf-split")

# dsn.py FILE KEY=VALUE... - check a bounce: prints "ok" or what is wrong
cat >"$T/dsn.py" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.compat32)
want = dict(a.split("=", 1) for a in sys.argv[2:])
bad = []
def eq(what, got, exp):
    if got != exp: bad.append("%s: %r, wanted %r" % (what, got, exp))
eq("content-type", m.get_content_type(), "multipart/report")
eq("report-type", m.get_param("report-type"), "delivery-status")
parts = m.get_payload()
eq("parts", [p.get_content_type() for p in parts][:2], ["text/plain", "message/delivery-status"])
ds = parts[1].get_payload()          # [per-message, per-recipient...]
permsg, rcpts = ds[0], ds[1:]
eq("reporting-mta", permsg.get("Reporting-MTA"), "dns; test.kurier.example")
if "sender" in want: eq("original sender", permsg.get("X-Original-Sender"), "rfc822; " + want["sender"])
if permsg.get("Arrival-Date") is None: bad.append("no Arrival-Date")
eq("recipients", sorted(r.get("Final-Recipient") for r in rcpts), sorted("rfc822; " + x for x in want["rcpts"].split(",")))
for r in rcpts:
    eq("action", r.get("Action"), want["action"])
    eq("status", r.get("Status"), want["status"])
    if want.get("diag") and want["diag"] not in (r.get("Diagnostic-Code") or ""):
        bad.append("diagnostic %r lacks %r" % (r.get("Diagnostic-Code"), want["diag"]))
if len(parts) < 3: bad.append("no original message part")
else:
    o = parts[2]
    if o.get_content_type() == "message/rfc822":
        inner = o.get_payload()[0]
        eq("original subject", inner.get("Subject"), want.get("subject", "test"))
    else: bad.append("original part is " + o.get_content_type())
eq("auto-submitted", m.get("Auto-Submitted"), "auto-replied")
if "to" in want: eq("to", m.get("To"), want["to"])
print("ok" if not bad else "; ".join(bad))
PY
# dsn NAME FILE ARGS... - ok when dsn.py finds nothing wrong
dsn() {
	local name=$1 f=$2 r; shift 2
	if [ -z "$f" ] || [ ! -f "$f" ]; then notok "$name" "no bounce delivered"; return; fi
	r=$(python3 "$T/dsn.py" "$f" "$@" 2>&1)
	[ "$r" = ok ] && ok "$name" || notok "$name" "$r"
}
# mailbox ADDR - the newest message delivered to ADDR by the stand-in
mailbox() { ls -t "$T/md/$1/new/"* 2>/dev/null | head -n 1; }

printf 'Subject: test\n\nbody\n' >"$T/msg"
cat >"$T/rules" <<'R'
nouser@ D 550 5.1.1 no such user here
later@ Z 451 4.2.0 mailbox busy
R
s_start

# --- a bounce ---------------------------------------------------------------
s_inject 'snd@far.example' 'ok1@local.example' 'nouser@local.example' 'nouser@far.example'
id=$(s_newid)
s_end "$id" || notok "bounce: message finished" "$(cat "$T/send.log")"
s_wait "^bounce msg $id qp [0-9]" 10 && ok "bounce: log: bounce msg M qp Q" || notok "bounce: log" "$(cat "$T/send.log")"
s_wait "delivery .*: success: delivered by the stand-in" 10 2
grep -q 'failure: 550 5.1.1 no such user here' "$T/send.log" && ok "bounce: log: delivery D: failure: TEXT" || notok "bounce: failure log" ""
sleep 0.5
dsn "bounce: an RFC 3464 report to the sender, one record per failed recipient" "$(mailbox snd@far.example)" \
	sender=snd@far.example rcpts=nouser@local.example,nouser@far.example action=failed status=5.1.1 \
	diag="no such user here" to=snd@far.example
grep -q '^[0-9]* mess/[0-9]*/[0-9]* <> snd@far.example K$' "$T/spawn.log" &&
	ok "bounce: sent with the null sender" || notok "bounce: null sender" "$(cat "$T/spawn.log")"
[ "$(ls "$T/md/snd@far.example/new" | wc -l)" = 1 ] && ok "bounce: exactly one bounce" || notok "bounce: count" ""
[ -z "$(ls "$Q/bounce")" ] && ok "bounce: bounce/ is empty afterwards" || notok "bounce: bounce/ left" "$(ls "$Q/bounce")"

# --- double and triple bounces ------------------------------------------------
echo 'pm@local.example' >"$TH/control/doublebounceto"
kill -HUP "$SPID"; s_wait "control files reread" 5
s_inject '' 'nouser@local.example'
s_wait "^bounce msg" 10 2 && sleep 0.5
dsn "bounce: a bounce of a bounce goes to doublebounceto" "$(mailbox pm@local.example)" \
	sender= rcpts=nouser@local.example action=failed status=5.1.1
grep -q '<#@\[\]> pm@local.example K$' "$T/spawn.log" && ok "bounce: double bounce with sender #@[]" ||
	notok "bounce: double sender" "$(cat "$T/spawn.log")"
s_inject '#@[]' 'nouser@far.example'
s_wait "^triple bounce: discarding bounce/[0-9]*$" 10 && ok "bounce: a triple bounce is dropped with a log line" ||
	notok "bounce: triple" "$(tail "$T/send.log")"
sleep 0.5
[ "$(ls "$T/md/pm@local.example/new" | wc -l)" = 1 ] && ok "bounce: nothing more to doublebounceto" || notok "bounce: triple delivered" ""

# --- queuelifetime, reread on SIGHUP; SIGALRM retries now ----------------------
s_inject 'life@far.example' 'later@local.example'
s_wait "deferral: 451 4.2.0 mailbox busy" 10 && ok "lifetime: deferred" || notok "lifetime: deferral" "$(tail "$T/send.log")"
kill -ALRM "$SPID"
s_wait "deferral: 451 4.2.0 mailbox busy" 10 2 && ok "lifetime: SIGALRM retries at once" || notok "lifetime: SIGALRM" "$(tail "$T/send.log")"
[ -z "$(ls "$T/md/life@far.example/new" 2>/dev/null)" ] && ok "lifetime: no bounce before the lifetime" || notok "lifetime: early bounce" ""
echo 1 >"$TH/control/queuelifetime"
kill -HUP "$SPID"; s_wait "control files reread" 5 2
sleep 1.2
kill -ALRM "$SPID"
s_wait "deferral: 451 4.2.0 mailbox busy" 10 3
s_wait "end msg" 10 5; sleep 0.5
dsn "lifetime: past queuelifetime the deferral becomes a bounce" "$(mailbox life@far.example)" \
	sender=life@far.example rcpts=later@local.example action=failed status=5.4.7 diag="too long"
rm -f "$TH/control/queuelifetime"

# --- one delay warning ----------------------------------------------------------
echo 1 >"$TH/control/delaywarning"
kill -HUP "$SPID"; s_wait "control files reread" 5 3
s_inject 'warn@far.example' 'later@local.example'
id=$(s_newid)
s_wait "msg $id to local later@" 10; sleep 1.2
kill -ALRM "$SPID"
s_wait "^delay warning msg $id qp [0-9]" 10 && ok "warn: log: delay warning" || notok "warn: log" "$(tail "$T/send.log")"
sleep 0.5
dsn "warn: an RFC 3464 delayed report" "$(mailbox warn@far.example)" \
	sender=warn@far.example rcpts=later@local.example action=delayed status=4.2.0
kill -ALRM "$SPID"; sleep 1; kill -ALRM "$SPID"; sleep 1
[ "$(ls "$T/md/warn@far.example/new" | wc -l)" = 1 ] && ok "warn: only one warning" || notok "warn: count" "$(ls "$T/md/warn@far.example/new")"
grep -q '^W$' <(tr '\0' '\n' <"$Q/info/$((id % split))/$id") && ok "warn: remembered in info" || notok "warn: info W" ""

# --- kurier-qmsg remove: nothing more, no bounce ------------------------------------
"$QB/kurier-qmsg" remove "$id" >/dev/null 2>&1
s_end "$id" && ok "qmsg: remove ends the message" || notok "qmsg: remove" "$(tail "$T/send.log")"
[ "$(ls "$T/md/warn@far.example/new" | wc -l)" = 1 ] && ok "qmsg: remove bounces nothing" || notok "qmsg: remove bounced" ""
rm -f "$TH/control/delaywarning"
kill -HUP "$SPID"; s_wait "control files reread" 5 4

# --- kurier-qmsg retry: at once, not at the next scheduled time --------------------
s_inject 'r@far.example' 'later@local.example'
id=$(s_newid)
s_wait "msg $id to local later@" 10
n=$(grep -c "msg $id to local" "$T/send.log")
"$QB/kurier-qmsg" retry "$id" >/dev/null 2>&1
s_wait "msg $id to local" 5 $((n + 1)) && ok "qmsg: retry delivers at once" || notok "qmsg: retry" "$(tail "$T/send.log")"
"$QB/kurier-qmsg" remove "$id" >/dev/null 2>&1; s_end "$id"

# --- a crash with a bounce still owed (SECURITY.md 45) ------------------------------
chmod 0700 "$Q/bounce"	# kurier-clean cannot read the bounce, so it cannot be queued...
s_inject 'crash@far.example' 'nouser@local.example'
id=$(s_newid)
s_wait "bounce msg $id deferred" 10 && ok "crash: bounce deferred while it cannot be queued" || notok "crash: deferred" "$(tail "$T/send.log")"
kill -KILL "$SPID"; wait "$SPID" 2>/dev/null	# ...and kurier-send dies
[ -s "$Q/bounce/$id" ] && ok "crash: the failure record is on disk" || notok "crash: bounce record" "$(ls -l "$Q/bounce")"
chmod 0750 "$Q/bounce"
s_start
s_wait "^bounce msg $id qp" 10 && ok "crash: after the restart the bounce goes out" || notok "crash: bounce after restart" "$(tail "$T/send.log")"
s_end "$id"; sleep 0.5
dsn "crash: the bounce is a proper report" "$(mailbox crash@far.example)" sender=crash@far.example \
	rcpts=nouser@local.example action=failed status=5.1.1
s_stop
left=$(q_files "$Q" | grep -v lock/trigger)
[ -z "$left" ] && ok "bounce: the queue is empty at the end" || notok "bounce: leftovers" "$left"
