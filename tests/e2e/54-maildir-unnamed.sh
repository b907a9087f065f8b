#!/bin/bash
# 54-maildir-unnamed.sh - how a maildir delivery makes its tmp/ file: an
# unnamed file (O_TMPFILE) that gets its tmp/ name by link(2) through
# /proc/self/fd, so the inode is found without holding tmp/'s lock; and
# the same delivery by a named O_EXCL create where /proc is missing.
# Either way: the message in new/ whole, with one link, tmp/ empty, the
# two fsyncs (the file, then new/) before the program says it delivered.
. "$KURIER_SRC"/tests/lib.sh
[ "$(id -u)" = 0 ] || { skip "maildir unnamed tmp file" "needs root for unshare and setpriv"; exit 0; }
KM=$KB/kurier-maildir MM=$KB/maildirmake
printf 'Subject: unnamed\n\nline one\nline two\n' > "$T/msg"
size=$(wc -c < "$T/msg")

# delivered DIR NAME - the maildir DIR holds exactly the message in new/, one link, nothing in tmp/
delivered() {
	local f
	f=$(find "$1/new" -type f)
	check "$2: one file in new/" test "$(find "$1/new" -type f | wc -l)" = 1
	check "$2: tmp/ empty" test "$(find "$1/tmp" -mindepth 1 | wc -l)" = 0
	check "$2: the file is the message" cmp -s "$f" "$T/msg"
	check "$2: one link (no tmp/ name left on it)" test "$(stat -c %h "$f")" = 1
	check "$2: S= is its size" grep -q ",S=$size\$" <<<"$f"
}

# --- as root, /proc there: the unnamed file, named by link(2) -----------------
"$MM" "$T/M1" || notok "maildirmake M1" ""
strace -f -qq -o "$T/s1" -e trace=openat,open,linkat,unlinkat,fsync "$KM" "$T/M1" < "$T/msg"; rc=$?
check "kurier-maildir: exit 0" test $rc = 0
delivered "$T/M1" "unnamed"
check "unnamed: tmp/ file opened with O_TMPFILE" grep -q 'O_TMPFILE' "$T/s1"
check "unnamed: named in tmp/ by a link from /proc/self/fd" grep -qE 'linkat\(AT_FDCWD, "/proc/self/fd/[0-9]+", [0-9]+, "[^"]+", AT_SYMLINK_FOLLOW\) = 0' "$T/s1"
check "unnamed: no named O_CREAT in tmp/" bash -c "! grep -q 'O_CREAT' '$T/s1'"
# the order that makes it durable: fsync file, link into new/, unlink tmp name, fsync new/
order=$(grep -oE '^[0-9]+ +(fsync|linkat|unlinkat)' "$T/s1" | awk '{print $2}' | tr '\n' ' ')
check "unnamed: link to tmp/, fsync, link to new/, unlink tmp/, fsync new/" \
	test "$order" = "linkat fsync linkat unlinkat fsync "

# --- as a user: the /proc link works for the file's owner ---------------------
id nobody >/dev/null 2>&1 || { skip "unnamed as a user" "no user nobody"; exit 0; }
mkdir -p "$T/u" && chmod 755 "$T/u"
"$MM" "$T/u/M2" && chown -R nobody "$T/u/M2"
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$KM" "$T/u/M2" < "$T/msg"; rc=$?
check "as nobody: exit 0" test $rc = 0
delivered "$T/u/M2" "as nobody"
check "as nobody: the file belongs to nobody" test "$(stat -c %U "$(find "$T/u/M2/new" -type f)")" = nobody

# --- /proc hidden (a private mount namespace): the named create instead ------------
"$MM" "$T/M3" || notok "maildirmake M3" ""
unshare -m --propagation private bash -c 'mount -t tmpfs none /proc &&
	exec strace -f -qq -o "$0" -e trace=openat,open,linkat "$1" "$2"' "$T/s3" "$KM" "$T/M3" < "$T/msg"; rc=$?
# a sanitizer build reads ASAN_OPTIONS from /proc/self/environ, so here it
# runs its leak check, which cannot work under strace and fails the exit
if grep -qa __asan_init "$KM"; then
	skip "without /proc: exit 0" "sanitizer build: its leak check needs /proc"
else
	check "without /proc: exit 0" test $rc = 0
fi
delivered "$T/M3" "without /proc"
check "without /proc: the /proc link failed" grep -q '"/proc/self/fd/.*= -1 ENOENT' "$T/s3"
check "without /proc: tmp/ file created by name, O_EXCL" grep -q 'O_CREAT|O_EXCL|O_NOFOLLOW' "$T/s3"
