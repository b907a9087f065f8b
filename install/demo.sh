#!/bin/bash
# install/demo.sh - the demo configuration of "make run", as root, on a
# tree that make setup has installed:
#   control/locals          localhost and control/me, when missing
#   control/hosteddomains   example.test, compiled to hosteddomains.cdb
#   control/smtpaccess      loopback allowed (no relaying), compiled to
#                           smtpaccess.cdb for tcpserver -x
#   users/userdb            demo@example.test with a generated password
#                           (argon2id by userdbpw), compiled by makeuserdb;
#                           its maildir HOME/mail/example.test/demo/Maildir
#                           belongs to kurierv
# Nothing that exists is changed, so running it twice is harmless; the
# password is generated once, kept in users/demo-password (mode 0600,
# root) and printed each time.
# usage: install/demo.sh HOME BUILDBIN
# exit:  0 done; 100 bad usage; 111 a step failed.
set -u
if [ $# != 2 ]; then echo "usage: install/demo.sh HOME BUILDBIN" >&2; exit 100; fi
home=$1 bin=$2
DOMAIN=example.test
ACCOUNT=demo@$DOMAIN
# characters of the generated password (base64 of 12 random bytes: 96 bits)
PW_BYTES=12

die() { echo "demo: fatal: $*" >&2; exit 111; }
# tool NAME - the installed program, else the built one; empty if neither
tool() {
	local d
	for d in "$home/bin" "$bin"; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}
[ -d "$home/control" ] && [ -d "$home/users" ] || die "$home is not set up (make setup)"
umask 022

# control/locals: the names mail is delivered to on this host
if [ ! -e "$home/control/locals" ]; then
	printf 'localhost\n%s\n' "$(head -n 1 "$home/control/me")" >"$home/control/locals" ||
		die "cannot write control/locals"
fi

# control/hosteddomains: the demo domain
if [ ! -e "$home/control/hosteddomains" ]; then
	echo "$DOMAIN" >"$home/control/hosteddomains" || die "cannot write control/hosteddomains"
fi
if [ ! -e "$home/control/hosteddomains.cdb" ] || [ "$home/control/hosteddomains" -nt "$home/control/hosteddomains.cdb" ]; then
	if t=$(tool makehosteddomains); then
		"$t" -f "$home/control/hosteddomains" -o "$home/control" || die "makehosteddomains failed"
	else
		# until makehosteddomains exists: the same cdb, key the domain, value empty
		printf '+%d,0:%s->\n\n' "${#DOMAIN}" "$DOMAIN" |
			cdb -c -t "$home/control/hosteddomains.cdb.tmp" "$home/control/hosteddomains.cdb" ||
			die "cannot write control/hosteddomains.cdb"
	fi
fi

# control/smtpaccess: the servers' tcpserver -x reads smtpaccess.cdb and
# drops every connection while it is missing; the demo lets loopback in
# without relaying (relay after AUTH on submission)
if [ ! -e "$home/control/smtpaccess" ]; then
	printf '127.0.0.1\tallow\n::1\tallow\n' >"$home/control/smtpaccess" ||
		die "cannot write control/smtpaccess"
fi
if [ ! -e "$home/control/smtpaccess.cdb" ] || [ "$home/control/smtpaccess" -nt "$home/control/smtpaccess.cdb" ]; then
	if t=$(tool makesmtpaccess); then
		"$t" -f "$home/control/smtpaccess" -o "$home/control" || die "makesmtpaccess failed"
	else
		printf '127.0.0.1:allow\n' |
			tcprules "$home/control/smtpaccess.cdb" "$home/control/smtpaccess.tmp" ||
			die "cannot write control/smtpaccess.cdb"
	fi
fi

# users/userdb: the demo account
src=$home/users/userdb
mkdir -p "$home/mail/$DOMAIN" && chown root:kurier "$home/mail" "$home/mail/$DOMAIN" &&
	chmod 0755 "$home/mail" "$home/mail/$DOMAIN" || die "cannot create $home/mail/$DOMAIN"
mbox=$home/mail/$DOMAIN/demo
if ! { [ -f "$src" ] && grep -q "^$ACCOUNT	" "$src"; }; then
	pwtool=$(tool userdbpw) || die "no userdbpw built"
	pw=$(head -c "$PW_BYTES" /dev/urandom | base64 | tr '+/' '-_')
	hash=$(printf '%s\n' "$pw" | "$pwtool") || die "userdbpw failed"
	(umask 077
	 [ -f "$src" ] || : >"$src"
	 printf '%s\tuid=%s|gid=%s|home=%s|systempw=%s\n' "$ACCOUNT" \
		"$(id -u kurierv)" "$(getent group nofiles | cut -d: -f3)" "$mbox" "$hash" >>"$src" &&
	 printf '%s\n' "$pw" >"$home/users/demo-password") || die "cannot write $src"
fi
for d in "$mbox" "$mbox/Maildir" "$mbox/Maildir/cur" "$mbox/Maildir/new" "$mbox/Maildir/tmp"; do
	mkdir -p "$d" && chown kurierv:nofiles "$d" && chmod 0700 "$d" || die "cannot create $d"
done
if [ ! -e "$home/users/userdb.cdb" ] || [ "$src" -nt "$home/users/userdb.cdb" ]; then
	mk=$(tool makeuserdb) || die "no makeuserdb built"
	"$mk" -f "$src" -o "$home/users" || die "makeuserdb failed"
fi
echo "demo account: $ACCOUNT"
echo "password:     $(cat "$home/users/demo-password" 2>/dev/null || echo '(set by hand: see users/userdb)')"
