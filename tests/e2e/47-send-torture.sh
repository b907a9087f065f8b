#!/bin/bash
# 47-send-torture.sh - SECURITY.md 41: SIGKILL a random queue process
# (kurier-send, kurier-clean, a spawner, a kurier-queue run) every 0.1-2 s
# while a bounded number of messages flow, with kurier-start under
# daemontools' supervise; afterwards every message the client saw
# acknowledged must be delivered, a repeat allowed only for a delivery a
# kill interrupted, and the queue must be empty and consistent.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
. "$KURIER_SRC/queue/e2e-send.sh"
s_setup || { notok "send test instance" "setup failed"; exit 1; }
command -v supervise >/dev/null || { skip "torture" "daemontools' supervise is not installed"; exit 0; }
N=${TORTURE_N:-2000}		# messages offered
LIMIT=${TORTURE_SECONDS:-60}	# the client stops after this many seconds, whatever N
MIN_KILLS=10			# kills at least, even when the messages flow faster

# a supervised service running the queue with the stand-in spawners
sv=$T/sv
mkdir -p "$sv"
cat >"$sv/run" <<RUN
#!/bin/sh
exec env STANDIN_QUEUE="$Q" STANDIN_LOG="$T/spawn.log" STANDIN_MAILDIR="$T/md" STANDIN_RULES="$T/rules" \\
	KURIER_LSPAWN="$KURIER_SRC/queue/standin-spawn.py" KURIER_RSPAWN="$KURIER_SRC/queue/standin-spawn.py" \\
	"$QB/kurier-start" >>"$T/send.log" 2>&1
RUN
chmod 755 "$sv/run"
supervise "$sv" </dev/null >/dev/null 2>&1 &
SUP=$!
on_exit "svc -dx '$sv'; sleep 0.5; kill $SUP"
s_wait 'started with' 10 || { notok "torture: queue starts under supervise" "$(cat "$T/send.log")"; exit 1; }

# ours PROG - the pid of one process of this instance's PROG (never another
# instance's: other tests may run kurier programs at the same time)
ours() {
	local q
	for q in $(pgrep -x "$1"); do
		[ "$(readlink "/proc/$q/exe" 2>/dev/null)" = "$QB/$1" ] && echo "$q"
	done | shuf -n 1
}

# the killer: one random victim every 0.1-2 s
: >"$T/kills"
(
	while [ ! -e "$T/stop" ]; do
		sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.1 + (r % 191) / 100 }')"
		case $((RANDOM % 4)) in
		0) p=$(ours kurier-send) ;;
		1) p=$(ours kurier-clean) ;;
		2) p=$(for q in $(pgrep -f "standin-spawn.py"); do
			tr '\0' '\n' <"/proc/$q/environ" 2>/dev/null | grep -qx "STANDIN_QUEUE=$Q" && echo "$q"
		   done | shuf -n 1) ;;
		3) p=$(ours kurier-queue) ;;
		esac
		[ -n "$p" ] && kill -KILL $p 2>/dev/null && echo "$p" >>"$T/kills"
	done
) &
KILLER=$!
on_exit "touch '$T/stop'; kill $KILLER"

# the client: its own record of what was acknowledged
: >"$T/acked"
start=$SECONDS
for ((i = 1; i <= N; i++)); do
	[ $((SECONDS - start)) -ge "$LIMIT" ] && break
	printf 'Subject: torture %d\n\ntoken-%d\n' "$i" "$i" >"$T/msg"
	if ((i % 4)); then r=t@local.example; else r=r@far.example; fi
	q_env 's@far.example' "$r" >"$T/env"
	if q_run "$T/env" "$T/msg"; then echo "$i" >>"$T/acked"; fi
done
offered=$((i - 1))
# on a fast machine the flow may end before many kills: keep killing while
# the queue drains, until MIN_KILLS (at most 30 s more)
for ((k = 0; k < 300; k++)); do [ "$(wc -l <"$T/kills")" -ge "$MIN_KILLS" ] && break; sleep 0.1; done
touch "$T/stop"; wait "$KILLER" 2>/dev/null
kills=$(wc -l <"$T/kills")
acked=$(wc -l <"$T/acked")
echo "# offered $offered, acknowledged $acked, kills $kills in $((SECONDS - start)) s"
[ "$acked" -gt $((offered / 2)) ] && ok "torture: most messages acknowledged" || notok "torture: acked" "$acked of $offered"
[ "$kills" -ge "$MIN_KILLS" ] && ok "torture: processes were killed ($kills)" || notok "torture: kills" "$kills"

# let the queue drain (poking it with SIGALRM), at most 90 s
for ((k = 0; k < 90; k++)); do
	[ -z "$(q_files "$Q/todo")$(q_files "$Q/info")" ] && break
	svc -a "$sv"; sleep 1
done
[ -z "$(q_files "$Q/todo")$(q_files "$Q/info")" ] && ok "torture: the queue drains" ||
	notok "torture: queue not drained" "$(q_files "$Q/todo" | wc -l) todo, $(q_files "$Q/info" | wc -l) info"

# count deliveries per token
cat "$T"/md/*/new/* 2>/dev/null | grep -o '^token-[0-9]*$' | sort | uniq -c | awk '{print $2, $1}' | sed 's/^token-//' >"$T/got"
missing=$(sort "$T/acked" | join -v1 - <(sort -k1,1 "$T/got") | wc -l)
dups=$(awk '$2 > 1 { d += $2 - 1 } END { print d + 0 }' "$T/got")
echo "# delivered $(wc -l <"$T/got") distinct, missing $missing, repeats $dups"
# (on a loss the run's files are kept in /tmp/kurier-torture-fail for study)
[ "$missing" = 0 ] && ok "torture: every acknowledged message was delivered" || {
	notok "torture: lost messages" "$missing, e.g. $(sort "$T/acked" | join -v1 - <(sort -k1,1 "$T/got") | head -5 | tr '\n' ' ')"
	rm -rf /tmp/kurier-torture-fail; cp -a "$T" /tmp/kurier-torture-fail
}
# a kill interrupts at most concurrencylocal + concurrencyremote deliveries (defaults 10 + 20)
[ "$dups" -le $((kills * 30)) ] && ok "torture: repeats only from interrupted deliveries ($dups)" ||
	notok "torture: repeats" "$dups repeats for $kills kills"
bad=$(for f in "$T"/md/*/new/*; do tail -n 1 "$f" | grep -q '^token-[0-9]*$' || echo "$f"; done | head -3)
[ -z "$bad" ] && ok "torture: no delivered message is truncated" || notok "torture: truncated" "$bad"
left=$(q_files "$Q/todo"; q_files "$Q/info"; q_files "$Q/local"; q_files "$Q/remote"; q_files "$Q/bounce")
[ -z "$left" ] && ok "torture: nothing left in todo, info, local, remote, bounce" || notok "torture: leftovers" "$left"
# a killed kurier-queue leaves its uncommitted files, a kill between the last
# two steps of a finished message an orphan message file: at most one per kill,
# and kurier-clean/kurier-send remove them once they are 36 hours old
orphans=$(q_files "$Q/mess" | wc -l)
[ "$orphans" -le "$kills" ] && ok "torture: orphaned message files at most one per kill ($orphans)" ||
	notok "torture: orphans" "$orphans message files for $kills kills"
grep -q 'malformed' "$T/send.log" && notok "torture: no malformed replies" "$(grep malformed "$T/send.log" | head -3)" ||
	ok "torture: no malformed replies after kills"
