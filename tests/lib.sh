# tests/lib.sh - shared helpers for end-to-end tests; source it first.
#
# Gives: ok NAME, notok NAME WHY, check NAME CMD..., skip NAME WHY,
# $T (a private scratch directory, removed on exit), $KB (the built
# programs of the main build), $TB (those of the test instance's build),
# $TH (the test instance's conf-home), and cleanup hooks that run even
# when the test fails: add commands with on_exit 'cmd'.
# Servers in tests listen on 127.0.0.1 or ::1 only; tcpserver always gets
# -H -R -l0 so that no DNS or ident query leaves the machine.
set -u
: "${KURIER_SRC:?run me through tests/run}"
KB=$KURIER_BUILD/bin
TB=${KURIER_TBUILD:-}/bin
TH=${KURIER_THOME:-}
T=$(mktemp -d /tmp/kurier-e2e.XXXXXX)
chmod 755 "$T"
_exit_cmds=()
on_exit() { _exit_cmds+=("$1"); }
_cleanup() {
	local i
	for ((i = ${#_exit_cmds[@]} - 1; i >= 0; i--)); do eval "${_exit_cmds[$i]}" >/dev/null 2>&1; done
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM

ok() { echo "ok $1"; }
notok() { echo "not ok $1: ${2:-}"; }
skip() { echo "ok $1 # SKIP ${2:-}"; }
# check NAME CMD... - ok when CMD exits 0, else not ok with its exit code
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else notok "$name" "exit $? from: $*"; fi
}
# check_fails NAME CODE CMD... - ok when CMD exits exactly CODE
check_exit() {
	local name=$1 want=$2 rc; shift 2
	"$@"; rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else notok "$name" "exit $rc, wanted $want: $*"; fi
}
# free_port - a TCP port on 127.0.0.1 nobody listens on now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# wait_port PORT - wait up to 5 s for something to listen on 127.0.0.1:PORT
wait_port() {
	local i
	for i in $(seq 50); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
