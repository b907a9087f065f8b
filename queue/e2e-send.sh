# queue/e2e-send.sh - helpers for kurier-send's end-to-end tests (owner
# send); source it after tests/lib.sh and queue/e2e.sh.  Not a test itself.
#
# s_start starts kurier-start (as root, as supervise would) on the test
# instance with the stand-in spawners of queue/standin-spawn.py, logging
# to $T/send.log; deliveries land in $T/md/<rcpt>/new, and $T/spawn.log
# gets one line per recipient the spawners saw.  $T/rules decides their
# answers (standin-spawn.py).

S_CONTROL="me locals queuelifetime delaywarning doublebounceto concurrencylocal concurrencyremote
	concurrencydomain defaulthost defaultdomain hosteddomains.cdb aliases.cdb bouncefrom bouncehost"

# s_save - remember the control files these tests change, to put them back on exit
s_save() {
	local f
	mkdir -p "$T/control.saved"
	for f in $S_CONTROL; do
		if [ -e "$TH/control/$f" ]; then cp -a "$TH/control/$f" "$T/control.saved/$f"
		else touch "$T/control.saved/$f.absent"; fi
	done
	on_exit s_restore
}
# s_restore - put the saved control files back
s_restore() {
	local f
	for f in $S_CONTROL; do
		if [ -e "$T/control.saved/$f.absent" ]; then rm -f "$TH/control/$f"
		elif [ -e "$T/control.saved/$f" ]; then cp -a "$T/control.saved/$f" "$TH/control/$f"; fi
	done
}

# s_setup - the instance, the control files the tests rely on (restored on
# exit), an empty queue
s_setup() {
	q_instance || return 1
	s_save
	q_empty
	mkdir -p "$T/md" && chmod 777 "$T/md"
	: >"$T/spawn.log"; chmod 666 "$T/spawn.log"
	: >"$T/rules"; chmod 644 "$T/rules"
	echo test.kurier.example >"$TH/control/me"
	printf 'test.kurier.example\nlocal.example\n' >"$TH/control/locals"
	local f
	for f in $S_CONTROL; do [ "$f" = me ] || [ "$f" = locals ] || rm -f "$TH/control/$f"; done
	chmod 644 "$TH"/control/*
}

# s_start [ARGS] - start the queue in the background; its pid in $SPID
# (S_LSPAWN= empty runs the real kurier-lspawn of the instance)
s_start() {
	local started
	started=$(grep -c 'started with' "$T/send.log" 2>/dev/null)
	env STANDIN_QUEUE="$Q" STANDIN_LOG="$T/spawn.log" STANDIN_MAILDIR="$T/md" \
		STANDIN_RULES="$T/rules" STANDIN_DELAY="${S_DELAY:-0}" \
		KURIER_LSPAWN="${S_LSPAWN-$KURIER_SRC/queue/standin-spawn.py}" \
		KURIER_RSPAWN="$KURIER_SRC/queue/standin-spawn.py" \
		"$QB/kurier-start" "$@" >>"$T/send.log" 2>&1 </dev/null &
	SPID=$!
	on_exit "kill $SPID"
	s_wait 'started with' 10 $((${started:-0} + 1))
}

# s_stop - SIGTERM the queue and wait for it (at most 20 s)
s_stop() {
	local i
	kill -TERM "$SPID" 2>/dev/null
	for i in $(seq 200); do kill -0 "$SPID" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$SPID" 2>/dev/null
	return 1
}

# s_wait PATTERN [SECONDS [COUNT]] - wait until send.log has COUNT (default 1) lines matching PATTERN
s_wait() {
	local i c n=${3:-1}
	for i in $(seq $((${2:-10} * 10))); do
		c=$(grep -c -- "$1" "$T/send.log" 2>/dev/null)
		[ "${c:-0}" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

# s_inject SENDER RCPT... - queue a message (body from $T/msg, or a small one) as nobody
s_inject() {
	[ -f "$T/msg" ] || printf 'Subject: test\n\nbody\n' >"$T/msg"
	q_env "$@" >"$T/env.$$"
	S_NEWS=$(grep -c '^new msg' "$T/send.log" 2>/dev/null)
	q_run "$T/env.$$" "$T/msg"
}

# s_newid - the id of the first message kurier-send took in after the last
# s_inject (waits up to 10 s for it)
s_newid() {
	local i
	for i in $(seq 100); do
		if [ "$(grep -c '^new msg' "$T/send.log")" -gt "${S_NEWS:-0}" ]; then
			grep '^new msg' "$T/send.log" | sed -n "$((${S_NEWS:-0} + 1))p" | cut -d' ' -f3
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# s_trigger - wake kurier-send
s_trigger() {
	printf x >"$Q/lock/trigger"
}

# s_end ID [SECONDS] - wait until message ID (the newest one with that id:
# ids are inode numbers and come back) has ended: as many "end msg" lines
# for it as "new msg" lines
s_end() {
	local i n e
	for i in $(seq $((${2:-10} * 10))); do
		n=$(grep -c "^new msg $1\$" "$T/send.log" 2>/dev/null)
		e=$(grep -c "^end msg $1\$" "$T/send.log" 2>/dev/null)
		[ "${n:-0}" -gt 0 ] && [ "${e:-0}" -ge "${n:-0}" ] && return 0
		sleep 0.1
	done
	return 1
}
