#!/bin/bash
# 43-queue-full.sh - SECURITY.md 43 for kurier-queue: a queue on a small
# filesystem that is full.  kurier-queue exits 53 (temporary) and leaves
# no file behind, whether the disk is full from the start or fills in the
# middle of a message; once space is freed, the same message is queued.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/queue/e2e.sh"
q_instance || { notok "queue test instance" "setup failed"; exit 1; }
q_empty
# a 2 MiB tmpfs over the test instance's queue, with the tree rebuilt on it
mount -t tmpfs -o size=2m,mode=0750 kurier-q-full "$Q" 2>"$T/mount.err" ||
	{ skip "full queue" "cannot mount tmpfs: $(cat "$T/mount.err")"; exit 0; }
on_exit "umount '$Q'"
q_mktree "$TH" || { notok "full: rebuild the queue tree" "q_mktree failed"; exit 1; }

leftovers() { q_files "$Q/pid"; q_files "$Q/mess"; q_files "$Q/intd"; q_files "$Q/todo"; }
q_env a@b.example c@d.example >"$T/env"
printf 'Subject: small\n\nsmall body\n' >"$T/small"
head -c 600000 /dev/urandom | base64 >"$T/big"

# full from the start
dd if=/dev/zero of="$Q/filler" bs=64k 2>/dev/null
check_exit "full: a message into a full queue exits 53" 53 q_run "$T/env" "$T/small"
l=$(leftovers); [ -z "$l" ] && ok "full: nothing left after the refusal" || notok "full: leftovers" "$l"

# filling up in the middle of the message: 200 KiB free, 800 KiB message
rm -f "$Q/filler"
dd if=/dev/zero of="$Q/filler" bs=1k count=$((2048 - 200 - 200)) 2>/dev/null
check_exit "full: a message larger than the free space exits 53" 53 q_run "$T/env" "$T/big"
l=$(leftovers); [ -z "$l" ] && ok "full: nothing left of the partial message" || notok "full: partial leftovers" "$l"
check_exit "full: a small message still fits" 0 q_run "$T/env" "$T/small"
q_empty

# space freed: it works again
rm -f "$Q/filler"
check_exit "full: after freeing space the big message is queued" 0 q_run "$T/env" "$T/big"
m=$(q_files "$Q/mess")
[ -n "$m" ] && tail -n +2 "$m" | cmp -s - "$T/big" && ok "full: the queued message is complete" || notok "full: message content" "$m"
[ "$(q_count todo)" = 1 ] && ok "full: one todo entry" || notok "full: todo" "$(q_count todo)"
q_empty
exit 0
