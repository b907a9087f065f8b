#!/bin/bash
# install/svscan.sh - start or stop daemontools over HOME/service, for
# "make run" and "make stop", as root.
#   start  runs svscan in its own session in the background (so make
#          returns), unless one already runs for HOME; its pid is kept
#          in HOME/service/.svscan.pid (svscan ignores dot names) and its
#          output in HOME/service/.svscan.log.
#   stop   stops svscan, then every service and its logger with svc -dx,
#          and waits for each supervise to exit.
# usage: install/svscan.sh start|stop HOME
# exit:  0 done; 100 bad usage; 111 failure.
set -u
if [ $# != 2 ]; then echo "usage: install/svscan.sh start|stop HOME" >&2; exit 100; fi
cmd=$1 home=$2 sv=$2/service
pidf=$sv/.svscan.pid
# seconds stop waits for the supervise processes to go
STOP_WAIT=20
export PATH=$home/bin:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin

# running - 0 if the svscan of the pid file is alive
running() {
	local pid
	pid=$(cat "$pidf" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^svscan $sv "
}

case $cmd in
start)
	[ -d "$sv" ] || { echo "svscan: fatal: no $sv (make setup)" >&2; exit 111; }
	if running; then echo "svscan already runs for $sv (pid $(cat "$pidf"))"; exit 0; fi
	setsid svscan "$sv" </dev/null >>"$sv/.svscan.log" 2>&1 &
	echo $! >"$pidf"
	sleep 1
	running || { echo "svscan: fatal: svscan did not start; see $sv/.svscan.log" >&2; exit 111; }
	echo "svscan runs for $sv (pid $(cat "$pidf")); services:"
	n=0
	for s in "$sv"/*/; do
		[ -d "$s" ] || continue
		echo "  $(basename "$s")"; n=$((n + 1))
	done
	[ $n = 0 ] && echo "  (none installed yet)"
	exit 0
	;;
stop)
	if running; then kill "$(cat "$pidf")"; fi
	rm -f "$pidf"
	dirs=()
	for s in "$sv"/*/; do
		[ -d "$s" ] || continue
		dirs+=("${s%/}")
		[ -d "$s/log" ] && dirs+=("${s}log")
	done
	[ ${#dirs[@]} = 0 ] && { echo "nothing to stop in $sv"; exit 0; }
	svc -dx "${dirs[@]}" 2>/dev/null
	for ((i = 0; i < STOP_WAIT * 10; i++)); do
		up=0
		for d in "${dirs[@]}"; do svok "$d" 2>/dev/null && up=1; done
		[ $up = 0 ] && break
		sleep 0.1
	done
	if [ $up = 1 ]; then echo "svscan: fatal: some supervise still runs under $sv" >&2; exit 111; fi
	echo "stopped everything under $sv"
	;;
*) echo "usage: install/svscan.sh start|stop HOME" >&2; exit 100 ;;
esac
