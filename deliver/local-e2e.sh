# deliver/local-e2e.sh - helpers for local delivery's end-to-end tests
# (tests/e2e/50-54); source it after tests/lib.sh.  Not a test itself.
#
# l_setup: the test instance $TH with its queue (queue/e2e.sh), the local
#   delivery programs in $TH/bin, and control files for the domains
#   local.example (locals), .wild.example (wildcard) with the exception
#   not.wild.example, virt.example (hosted) and alias.example (a hosted
#   alias of virt.example).  Control files and the userdb cdbs it may
#   change are restored (or removed) on exit.
# l_user NAME: a system user with a home under $T/home (removed on exit);
#   sets $L_HOME.
# l_msg [FILE]: a message file in the queue (as kurier-queue would leave
#   it: owner kurierq, mode 0640), from FILE or a small default; sets
#   $L_MSG (its path relative to queue/).
# l_req SLOT MSG SENDER RCPT...: one request in the spawn contract.
# l_spawn: run kurier-lspawn with the requests on stdin, replies on stdout
#   with NULs as newlines.
# l_one SENDER RCPT: deliver the message $L_MSG to one recipient through
#   kurier-lspawn; prints the reply's result field (K..., Z..., D...).
# l_cdb FILE KEY COUNT VALUE...: a cdb with NUL-terminated values (aliases).
. "$KURIER_SRC"/queue/e2e.sh

L_SAVED=$T/saved-control
L_USERS=()
L_N=0

# l_save NAME [DIR] - remember DIR/NAME (DIR default control) or its absence for the exit
l_save() {
	local d=${2:-control}
	mkdir -p "$L_SAVED/$d"
	if [ -e "$TH/$d/$1" ]; then cp -a "$TH/$d/$1" "$L_SAVED/$d/$1"
	else touch "$L_SAVED/$d/$1.absent"; fi
	on_exit "l_restore $1 $d"
}
# l_restore NAME DIR - put DIR/NAME back as it was
l_restore() {
	if [ -e "$L_SAVED/$2/$1.absent" ]; then rm -f "$TH/$2/$1"
	else cp -a "$L_SAVED/$2/$1" "$TH/$2/$1"; fi
}

# l_cdb FILE KEY COUNT VALUE... [KEY COUNT VALUE...] - write a cdb, each
# key's COUNT values NUL-terminated one after another (aliases.cdb's form)
l_cdb() {
	local file=$1; shift
	python3 -c '
import sys
recs = []
args = sys.argv[1:]
i = 0
while i < len(args):
    k = args[i].encode(); n = int(args[i+1]); v = b"".join(a.encode() + b"\0" for a in args[i+2:i+2+n])
    recs.append(b"+%d,%d:%s->%s\n" % (len(k), len(v), k, v)); i += 2 + n
sys.stdout.buffer.write(b"".join(recs) + b"\n")
' "$@" | cdb -c "$file"
}

l_setup() {
	local p
	q_instance || return 1
	for p in kurier-lspawn kurier-local kurier-route kurier-maildir maildirmake; do
		[ -x "$TB/$p" ] && install -m 0755 "$TB/$p" "$TH/bin/$p"
	done
	mkdir -p "$TH/users" && chmod 755 "$TH/users"
	for p in locals hosteddomains.cdb aliases.cdb defaultdelivery overquota minuid; do l_save "$p"; done
	rm -f "$TH/control/defaultdelivery" "$TH/control/overquota" "$TH/control/minuid"
	printf 'local.example\n.wild.example\n!not.wild.example\n' > "$TH/control/locals"
	printf '+12,0:virt.example->\n+13,12:alias.example->virt.example\n\n' | cdb -c "$TH/control/hosteddomains.cdb"
	printf '\n' | cdb -c "$TH/control/aliases.cdb"
	l_save userdb.cdb users
	l_save userdbshadow.cdb users
	mkdir -p "$T/home" && chmod 755 "$T/home"
}

# l_user NAME - create system user NAME (home $T/home/NAME, mode 0700)
l_user() {
	local name=$1
	userdel "$name" >/dev/null 2>&1
	groupdel "$name" >/dev/null 2>&1
	useradd -m -d "$T/home/$name" -s /usr/sbin/nologin -U "$name" || return 1
	L_USERS+=("$name")
	on_exit "userdel $name; groupdel $name"
	chmod 700 "$T/home/$name"
	L_HOME=$T/home/$name
}

# l_msg [FILE] - put a message into the queue's mess/0 and name it in $L_MSG
l_msg() {
	L_N=$((L_N + 1))
	local name=9$$$L_N
	if [ $# -gt 0 ]; then cp "$1" "$Q/mess/0/$name"
	else printf 'From: sender@remote.example\nSubject: test %s\n\nbody %s\n' "$L_N" "$L_N" > "$Q/mess/0/$name"; fi
	chown kurierq:kurier "$Q/mess/0/$name" && chmod 0640 "$Q/mess/0/$name"
	on_exit "rm -f '$Q/mess/0/$name'"
	L_MSG=mess/0/$name
}

# l_req SLOT MSG SENDER RCPT... - one request on stdout
l_req() {
	local slot=$1 msg=$2 sender=$3 r; shift 3
	printf '%s\0%s\0%s\0' "$slot" "$msg" "$sender"
	for r in "$@"; do printf '%s\0' "$r"; done
	printf '\0'
}

# l_spawn - kurier-lspawn between stdin and stdout, NULs shown as newlines
l_spawn() {
	timeout 60 "$TH/bin/kurier-lspawn" | tr '\0' '\n'
}

# l_one SENDER RCPT - the result field for one delivery of $L_MSG
l_one() {
	l_req 1 "$L_MSG" "$1" "$2" | l_spawn | sed -n 2p
}

# l_count DIR - files in DIR
l_count() {
	find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l
}
