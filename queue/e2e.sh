# queue/e2e.sh - helpers for the queue's end-to-end tests (owner q);
# source it after tests/lib.sh.  Not a test itself.
#
# q_instance: make the test instance $TH ready for the queue: the system
# users and group (created when missing, as make setup would), the queue
# tree built from queue/hier.tab (and queue/hier-send.tab when present),
# and the queue programs installed into $TH/bin with the table's owners
# and modes.  Gives $Q (the queue directory) and $QB ($TH/bin).

# q_users - create the kurier group and the users the queue needs
q_users() {
	getent group kurier >/dev/null || groupadd -r kurier || return 1
	local u
	for u in kurierq kuriers; do
		id "$u" >/dev/null 2>&1 ||
			useradd -r -g kurier -d /nonexistent -s /usr/sbin/nologin "$u" || return 1
	done
}

# q_tables - the hier lines of the queue's tables, comments dropped
q_tables() {
	cat "$KURIER_SRC"/queue/hier*.tab | grep -v '^[[:space:]]*#' | grep -v '^[[:space:]]*$'
}

# q_mktree HOME - create HOME/queue from the tables (d, s and p entries)
q_mktree() {
	local home=$1 type path owner group mode src i
	local split
	split=$(head -n 1 "$KURIER_SRC"/conf-split)
	mkdir -p "$home"
	while read -r type path owner group mode src; do
		case $path in queue|queue/*) ;; *) continue;; esac
		case $type in
		d) mkdir -p "$home/$path" ;;
		s) mkdir -p "$home/$path"
		   for ((i = 0; i < split; i++)); do
			mkdir -p "$home/$path/$i"; chown "$owner:$group" "$home/$path/$i"; chmod "$mode" "$home/$path/$i"
		   done ;;
		p) [ -p "$home/$path" ] || mkfifo "$home/$path" ;;
		*) continue ;;
		esac
		chown "$owner:$group" "$home/$path" && chmod "$mode" "$home/$path" || return 1
	done < <(q_tables)
}

# q_install HOME BIN - install the built programs (f entries named by a bare name)
q_install() {
	local home=$1 bin=$2 type path owner group mode src
	mkdir -p "$home/bin"
	while read -r type path owner group mode src; do
		[ "$type" = f ] || continue
		case $src in */*|'') continue;; esac
		[ -f "$bin/$src" ] || continue
		install -o "$owner" -g "$group" -m "$mode" "$bin/$src" "$home/$path" || return 1
	done < <(q_tables)
}

# q_instance - the whole test instance for the queue tests
q_instance() {
	q_users || return 1
	mkdir -p "$TH/control" && chmod 755 "$TH" "$TH/control"
	[ -f "$TH/control/me" ] || echo test.kurier.example > "$TH/control/me"
	q_mktree "$TH" && q_install "$TH" "$TB"
	Q=$TH/queue
	QB=$TH/bin
}

# q_files DIR - names of the files below DIR, one per line; parked files
# (kurier-send's DIR/.reuse.N and kurier-clean's pool/INODE, queue(5)) are
# left out: they belong to no message
q_files() {
	find "$1" \( -type f -o -type l \) ! -name '.reuse.*' ! -path '*/queue/pool/*' 2>/dev/null
}

# q_pool - the parked files in the pool (queue(5)), one per line
q_pool() {
	find "$Q/pool" -mindepth 1 2>/dev/null
}

# q_empty - remove every message from the test queue (the tree stays)
q_empty() {
	find "$Q"/pid "$Q"/mess "$Q"/intd "$Q"/todo "$Q"/info "$Q"/local "$Q"/remote \
		"$Q"/bounce "$Q"/cmd -mindepth 1 \( -type f -o -type l \) -delete 2>/dev/null
	return 0
}

# q_count DIR - how many files DIR (a queue subdirectory) holds
q_count() {
	q_files "$Q/$1" | wc -l
}

# q_env - print an envelope on stdout: q_env SENDER RCPT... (adds the final NUL)
q_env() {
	local s=$1; shift
	printf 'F%s\0' "$s"
	local r
	for r in "$@"; do printf 'T%s\0' "$r"; done
	printf '\0'
}

# q_run ENVFILE MSGFILE [PROG] - run kurier-queue (as nobody, so the setuid
# bit matters) with the message on fd 0 and the envelope on fd 1; its exit code
q_run() {
	local prog=${3:-$QB/kurier-queue}
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$prog" <"$2" 1<"$1" 2>>"$T/q_run.err"
}
